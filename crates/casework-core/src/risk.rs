//! Risk assessment.
//!
//! A [`RiskTool`] turns the indicators a worker records into a level: each present indicator
//! adds its weight, thresholds map the score to Low/Medium/High, and floors lift the result
//! (a child under 13 or with a learning difficulty is never Low; a disclosure is High). A
//! worker may override the computed level only with a recorded reason; both levels are kept.
//! An assessment records the tool's name and version, so it still explains itself after the
//! tool changes. (This is the minimal tool; data-driven tools with time windows replace it.)

use crate::input::{InputError, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Low, Medium or High risk of sexual exploitation. Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl RiskLevel {
    /// 1, 2, 3: the rank stored in query tables so the waiting list sorts High first.
    pub fn rank(&self) -> i64 {
        match self {
            RiskLevel::Low => 1,
            RiskLevel::Medium => 2,
            RiskLevel::High => 3,
        }
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RiskLevel::Low => "Low",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        })
    }
}

/// One indicator a tool asks about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable key used in answers (`missing_from_home`).
    pub key: String,
    /// What a worker reads.
    pub label: String,
    /// Points added when present.
    pub weight: u32,
    /// A level the assessment can never fall below when this is present (a disclosure: High).
    #[serde(default)]
    pub floor: Option<RiskLevel>,
}

/// A risk indicator tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskTool {
    /// The tool's name.
    pub name: String,
    /// The tool's version; recorded on every assessment.
    pub version: String,
    /// The indicators.
    pub indicators: Vec<Indicator>,
    /// Scores from this value up are Medium.
    pub medium_from: u32,
    /// Scores from this value up are High.
    pub high_from: u32,
    /// Under this age (completed years) the level is never below `young_child_floor`.
    #[serde(default)]
    pub young_child_under: Option<u32>,
    /// The floor for young children.
    #[serde(default)]
    pub young_child_floor: Option<RiskLevel>,
    /// The floor where a learning difficulty is recorded.
    #[serde(default)]
    pub learning_difficulty_floor: Option<RiskLevel>,
}

/// A worker's override of the computed level, with the reason it must carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskOverride {
    /// The level the worker judges right.
    pub level: RiskLevel,
    /// Why.
    pub reason: Text,
}

/// What the assessment is about, as the tool needs it.
#[derive(Clone, Copy, Debug)]
pub struct AssessmentSubject {
    /// Age in completed years on the assessment date.
    pub age: u32,
    /// Whether a learning difficulty is recorded.
    pub learning_difficulty: bool,
}

/// One completed assessment. Every assessment is kept, so the trend is always known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskAssessment {
    /// The tool's name.
    pub tool: String,
    /// The tool's version.
    pub tool_version: String,
    /// Indicators recorded as present.
    pub indicators: BTreeSet<String>,
    /// The weighted score.
    pub score: u32,
    /// The level the tool computed, floors included.
    pub computed: RiskLevel,
    /// The level that applies: the override's, or the computed one.
    pub level: RiskLevel,
    /// The override, if the worker made one.
    pub overridden: Option<RiskOverride>,
    /// When assessed.
    pub at: DateTime<Utc>,
}

impl RiskTool {
    /// Assesses the present `indicators` for `subject`. An indicator the tool does not know is
    /// refused with its position, so a typo never silently lowers a score.
    pub fn assess(
        &self,
        indicators: &[String],
        subject: AssessmentSubject,
        overridden: Option<RiskOverride>,
        at: DateTime<Utc>,
    ) -> Result<RiskAssessment, InputError> {
        let mut present = BTreeSet::new();
        let mut score = 0u32;
        let mut floor = RiskLevel::Low;
        for (i, key) in indicators.iter().enumerate() {
            let Some(ind) = self.indicators.iter().find(|d| &d.key == key) else {
                return Err(InputError::new(
                    format!("indicators[{i}]"),
                    format!(
                        "`{key}` is not an indicator of tool `{}` {}",
                        self.name, self.version
                    ),
                ));
            };
            if present.insert(key.clone()) {
                score = score.saturating_add(ind.weight);
                floor = floor.max(ind.floor.unwrap_or(RiskLevel::Low));
            }
        }
        let mut computed = if score >= self.high_from {
            RiskLevel::High
        } else if score >= self.medium_from {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        };
        if let (Some(under), Some(level)) = (self.young_child_under, self.young_child_floor) {
            if subject.age < under {
                floor = floor.max(level);
            }
        }
        if let (true, Some(level)) = (subject.learning_difficulty, self.learning_difficulty_floor) {
            floor = floor.max(level);
        }
        computed = computed.max(floor);
        let level = overridden.as_ref().map_or(computed, |o| o.level);
        Ok(RiskAssessment {
            tool: self.name.clone(),
            tool_version: self.version.clone(),
            indicators: present,
            score,
            computed,
            level,
            overridden,
            at,
        })
    }
}

/// The direction of risk across assessments (R-3 of lifecycle 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTrend {
    /// The latest level is below the one before.
    Reducing,
    /// The same, or only one assessment.
    Stable,
    /// The latest level is above the one before.
    Rising,
}

/// The trend between the last two assessments.
pub fn trend(assessments: &[RiskAssessment]) -> RiskTrend {
    match assessments {
        [.., before, latest] if latest.level < before.level => RiskTrend::Reducing,
        [.., before, latest] if latest.level > before.level => RiskTrend::Rising,
        _ => RiskTrend::Stable,
    }
}
