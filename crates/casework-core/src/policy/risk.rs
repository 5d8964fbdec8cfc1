//! Risk assessment with data-driven indicator tools.
//!
//! Risk indicator tools differ by area, so a [`RiskTool`] is data: named indicators in groups
//! (vulnerabilities, moderate, significant…), each answered as current, within the last 6
//! months, or 6–12 months ago (or with the date last seen, which the tool places in a window on
//! the assessment date); points per group and window; bands that map a score to
//! Low/Medium/High; and hard floors (a child under 13, or with a learning difficulty, is never
//! rated Low; a disclosure is High; in a matrix tool, any significant indicator is High). A
//! worker may override the computed level only with a recorded reason; both levels are kept.
//! Every assessment records the tool's name and version and how each answer scored, so an old
//! assessment still explains itself after the tool changes.

use crate::kernel::confidential::{Confidential, NewConfidential};
use crate::kernel::input::{quoted, InputError, Text};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Low, Medium or High risk of sexual exploitation. Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    #[must_use]
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

/// When an indicator was last present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Present now.
    Current,
    /// Present within the last 6 months (up to and including the day 6 months ago).
    #[serde(rename = "within_6_months")]
    Within6Months,
    /// Present 6–12 months ago (from 6 months and a day up to and including 12 months ago).
    #[serde(rename = "six_to_12_months")]
    SixTo12Months,
}

impl Window {
    /// Places a date last seen in a window on `assessed_on`; `None` when more than 12 months ago.
    #[must_use]
    pub fn of_last_seen(last_seen: NaiveDate, assessed_on: NaiveDate) -> Option<Window> {
        let six = assessed_on.checked_sub_months(Months::new(6))?;
        let twelve = assessed_on.checked_sub_months(Months::new(12))?;
        if last_seen >= six {
            Some(Window::Within6Months)
        } else if last_seen >= twelve {
            Some(Window::SixTo12Months)
        } else {
            None
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Window::Current => "current",
            Window::Within6Months => "within 6 months",
            Window::SixTo12Months => "6-12 months ago",
        })
    }
}

/// A worker's answer for one indicator that is present. Indicators not answered are absent.
///
/// In JSON an answer is either the indicator's key alone (`"missing_from_home"`: current), or
/// an object with the key and either the window or the date last seen:
/// `{"key": "missing_from_home", "window": "six_to_12_months"}`,
/// `{"key": "missing_from_home", "last_seen": "2026-01-20"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "AnswerRepr", into = "AnswerRepr")]
pub struct IndicatorAnswer {
    /// The indicator's key.
    pub key: String,
    /// When it was present.
    pub when: When,
}

/// When an answered indicator was present: a window, or the date last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// In a window.
    In(Window),
    /// Last seen on a date; the tool places it in a window on the assessment date.
    LastSeen(NaiveDate),
}

impl IndicatorAnswer {
    /// A current indicator.
    pub fn current(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            when: When::In(Window::Current),
        }
    }

    /// An indicator present in `window`.
    pub fn within(key: impl Into<String>, window: Window) -> Self {
        Self {
            key: key.into(),
            when: When::In(window),
        }
    }

    /// An indicator last seen on `date`.
    pub fn last_seen(key: impl Into<String>, date: NaiveDate) -> Self {
        Self {
            key: key.into(),
            when: When::LastSeen(date),
        }
    }
}

impl From<&str> for IndicatorAnswer {
    fn from(key: &str) -> Self {
        IndicatorAnswer::current(key)
    }
}

impl From<String> for IndicatorAnswer {
    fn from(key: String) -> Self {
        IndicatorAnswer::current(key)
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
enum AnswerRepr {
    Key(String),
    Full {
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<Window>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seen: Option<NaiveDate>,
    },
}

impl TryFrom<AnswerRepr> for IndicatorAnswer {
    type Error = String;
    fn try_from(repr: AnswerRepr) -> Result<Self, String> {
        match repr {
            AnswerRepr::Key(key) => Ok(IndicatorAnswer::current(key)),
            AnswerRepr::Full {
                key,
                window,
                last_seen,
            } => match (window, last_seen) {
                (Some(_), Some(_)) => Err(format!(
                    "answer `{key}` gives both `window` and `last_seen`; give one"
                )),
                (Some(w), None) => Ok(IndicatorAnswer::within(key, w)),
                (None, Some(d)) => Ok(IndicatorAnswer::last_seen(key, d)),
                (None, None) => Ok(IndicatorAnswer::current(key)),
            },
        }
    }
}

impl From<IndicatorAnswer> for AnswerRepr {
    fn from(a: IndicatorAnswer) -> Self {
        match a.when {
            When::In(Window::Current) => AnswerRepr::Key(a.key),
            When::In(w) => AnswerRepr::Full {
                key: a.key,
                window: Some(w),
                last_seen: None,
            },
            When::LastSeen(d) => AnswerRepr::Full {
                key: a.key,
                window: None,
                last_seen: Some(d),
            },
        }
    }
}

/// Points for an indicator of a group, by window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WindowWeights {
    /// When current.
    pub current: u32,
    /// When within the last 6 months.
    pub within_6_months: u32,
    /// When 6–12 months ago.
    pub six_to_12_months: u32,
}

impl WindowWeights {
    /// Points in `window`.
    #[must_use]
    pub fn points(&self, window: Window) -> u32 {
        match window {
            Window::Current => self.current,
            Window::Within6Months => self.within_6_months,
            Window::SixTo12Months => self.six_to_12_months,
        }
    }
}

/// A level an assessment can never fall below when any indicator of a group is present in one
/// of `windows` (a matrix tool: any significant indicator is High).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupFloor {
    /// The floor.
    pub level: RiskLevel,
    /// The windows that trigger it.
    pub windows: Vec<Window>,
}

/// A group of indicators scored alike.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IndicatorGroup {
    /// Stable key (`significant`).
    pub key: String,
    /// What a worker reads.
    pub label: String,
    /// Points per present indicator, by window.
    pub weights: WindowWeights,
    /// A floor triggered by any indicator of the group.
    #[serde(default)]
    pub floor: Option<GroupFloor>,
}

/// One indicator a tool asks about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable key used in answers (`missing_from_home`).
    pub key: String,
    /// What a worker reads.
    pub label: String,
    /// The group's key.
    pub group: String,
    /// A level the assessment can never fall below when this indicator is present in any
    /// window (a disclosure of sexual exploitation: High).
    #[serde(default)]
    pub floor: Option<RiskLevel>,
}

/// Scores from `from` up to and including `to` (or without limit) are `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelBand {
    /// The level.
    pub level: RiskLevel,
    /// Lowest score of the band.
    pub from: u32,
    /// Highest score of the band; absent for the last band.
    #[serde(default)]
    pub to: Option<u32>,
}

/// A child under `age` (completed years) is never rated below `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AgeFloor {
    /// The age: the floor applies below it.
    pub under_age: u32,
    /// The floor.
    pub level: RiskLevel,
}

/// Floors that depend on who the young person is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SubjectFloors {
    /// Young children.
    #[serde(default)]
    pub young_child: Option<AgeFloor>,
    /// Where a learning difficulty or disability is recorded.
    #[serde(default)]
    pub learning_difficulty: Option<RiskLevel>,
}

/// A risk indicator tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RiskTool {
    /// The tool's name.
    pub name: String,
    /// The tool's version; recorded on every assessment.
    pub version: String,
    /// The groups.
    pub groups: Vec<IndicatorGroup>,
    /// The indicators.
    pub indicators: Vec<Indicator>,
    /// Score bands, lowest first, from 0 without gaps or overlaps.
    pub levels: Vec<LevelBand>,
    /// Floors that depend on the young person.
    #[serde(default)]
    pub floors: SubjectFloors,
}

/// A worker's override of the computed level, with the reason it must carry. The
/// level is the case's structure; the reason is confidential, as it says what the worker
/// knows of the young person: `R` is [`Confidential`] as a case holds it, [`NewConfidential`]
/// in a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "RiskOverride_of_{R}"))]
#[serde(deny_unknown_fields)]
pub struct RiskOverride<R = Confidential<Text>> {
    /// The level the worker judges right.
    pub level: RiskLevel,
    /// Why (confidential).
    pub reason: R,
}

impl RiskOverride<NewConfidential> {
    /// The override as the case records it, its reason sealed.
    pub(crate) fn seal(self) -> RiskOverride {
        RiskOverride {
            level: self.level,
            reason: self.reason.seal(),
        }
    }
}

impl RiskOverride {
    /// The override with its reason revealed, for the crate's gated paths.
    pub(crate) fn revealed(&self) -> RiskOverride<Text> {
        RiskOverride {
            level: self.level,
            reason: self.reason.revealed(),
        }
    }
}

/// What the assessment is about, as the tool needs it.
#[derive(Clone, Copy, Debug)]
pub struct AssessmentSubject {
    /// Age in completed years on the assessment date.
    pub age: u32,
    /// Whether a learning difficulty is recorded.
    pub learning_difficulty: bool,
}

/// How one answer scored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoredAnswer {
    /// The indicator.
    pub key: String,
    /// Its group.
    pub group: String,
    /// The window it fell in on the assessment date.
    pub window: Window,
    /// Points it added.
    pub points: u32,
}

/// One completed assessment. Every assessment is kept, so the trend is always known.
/// Everything in it is the case's structure except an override's reason: `R` is
/// [`Confidential`] as a case holds it, [`Text`] in the young person's own export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "RiskAssessment_of_{R}"))]
#[serde(deny_unknown_fields)]
pub struct RiskAssessment<R = Confidential<Text>> {
    /// The tool's name.
    pub tool: String,
    /// The tool's version.
    pub tool_version: String,
    /// Each answer that counted, with its window and points.
    pub answers: Vec<ScoredAnswer>,
    /// The weighted score.
    pub score: u32,
    /// The level the score's band gives.
    pub banded: RiskLevel,
    /// Every floor that lifted the level, in words.
    pub floors_applied: Vec<String>,
    /// The level the tool computed, floors included.
    pub computed: RiskLevel,
    /// The level that applies: the override's, or the computed one.
    pub level: RiskLevel,
    /// The override, if the worker made one.
    pub overridden: Option<RiskOverride<R>>,
    /// When assessed.
    pub at: DateTime<Utc>,
}

impl RiskAssessment {
    /// The assessment with an override's reason revealed, for the crate's gated paths.
    pub(crate) fn revealed(&self) -> RiskAssessment<Text> {
        RiskAssessment {
            tool: self.tool.clone(),
            tool_version: self.tool_version.clone(),
            answers: self.answers.clone(),
            score: self.score,
            banded: self.banded,
            floors_applied: self.floors_applied.clone(),
            computed: self.computed,
            level: self.level,
            overridden: self.overridden.as_ref().map(RiskOverride::revealed),
            at: self.at,
        }
    }
}

impl<R> RiskAssessment<R> {
    /// Keys of the indicators that counted.
    #[must_use]
    pub fn indicator_keys(&self) -> BTreeSet<&str> {
        self.answers.iter().map(|a| a.key.as_str()).collect()
    }
}

impl RiskTool {
    /// The band's level for `score`.
    #[must_use]
    pub fn band(&self, score: u32) -> RiskLevel {
        self.levels
            .iter()
            .rev()
            .find(|b| score >= b.from)
            .map_or(RiskLevel::Low, |b| b.level)
    }

    /// Assesses the present indicators for `subject` on the date of `at`. An indicator the tool
    /// does not know, a repeated one, or a date last seen after the assessment is refused with
    /// its position, so a typo never silently lowers a score.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first bad answer: on `indicators[i]` when its key is
    /// not an indicator of this tool or is answered twice; on `indicators[i].last_seen` when the
    /// date last seen is after the date of `at`.
    pub fn assess(
        &self,
        answers: &[IndicatorAnswer],
        subject: AssessmentSubject,
        overridden: Option<RiskOverride<NewConfidential>>,
        at: DateTime<Utc>,
    ) -> Result<RiskAssessment, InputError> {
        self.assess_on(answers, subject, overridden, at, at.date_naive())
    }

    /// [`RiskTool::assess`] with `today`, the assessment's date where the service works (the
    /// local date of `at` in the profile's time zone), as the latest date an indicator may
    /// have been last seen.
    ///
    /// # Errors
    ///
    /// As [`RiskTool::assess`], a date last seen refused when it is after `today`.
    pub fn assess_on(
        &self,
        answers: &[IndicatorAnswer],
        subject: AssessmentSubject,
        overridden: Option<RiskOverride<NewConfidential>>,
        at: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<RiskAssessment, InputError> {
        let overridden = overridden.map(RiskOverride::seal);
        let on = today;
        let mut seen = BTreeSet::new();
        let mut scored = Vec::new();
        let mut floors_applied = Vec::new();
        let mut floor = RiskLevel::Low;
        let mut lift = |level: RiskLevel, why: String, floors: &mut Vec<String>| {
            if level > RiskLevel::Low {
                floors.push(format!("{why}: at least {level}"));
            }
            floor = floor.max(level);
        };
        for (i, answer) in answers.iter().enumerate() {
            let field = format!("indicators[{i}]");
            let Some(indicator) = self.indicators.iter().find(|d| d.key == answer.key) else {
                return Err(InputError::new(
                    field,
                    format!(
                        "{} is not an indicator of tool `{}` {}",
                        quoted(&answer.key),
                        self.name,
                        self.version
                    ),
                ));
            };
            if !seen.insert(answer.key.as_str()) {
                return Err(InputError::new(
                    field,
                    format!("{} is answered twice", quoted(&answer.key)),
                ));
            }
            let window = match answer.when {
                When::In(w) => w,
                When::LastSeen(date) if date > on => {
                    return Err(InputError::new(
                        format!("{field}.last_seen"),
                        format!("{date} is after the assessment date {on}"),
                    ))
                }
                When::LastSeen(date) => match Window::of_last_seen(date, on) {
                    Some(w) => w,
                    None => continue, // more than 12 months ago: outside every window
                },
            };
            let group = self
                .groups
                .iter()
                .find(|g| g.key == indicator.group)
                .expect("validated tools name existing groups");
            if let Some(level) = indicator.floor {
                lift(
                    level,
                    format!("`{}` present", indicator.key),
                    &mut floors_applied,
                );
            }
            if let Some(gf) = group
                .floor
                .as_ref()
                .filter(|gf| gf.windows.contains(&window))
            {
                lift(
                    gf.level,
                    format!("`{}` ({}) is {window}", indicator.key, group.label),
                    &mut floors_applied,
                );
            }
            scored.push(ScoredAnswer {
                key: indicator.key.clone(),
                group: group.key.clone(),
                window,
                points: group.weights.points(window),
            });
        }
        if let Some(f) = self
            .floors
            .young_child
            .filter(|f| subject.age < f.under_age)
        {
            lift(
                f.level,
                format!("aged {} (under {})", subject.age, f.under_age),
                &mut floors_applied,
            );
        }
        if let (true, Some(level)) = (subject.learning_difficulty, self.floors.learning_difficulty)
        {
            lift(
                level,
                "learning difficulty recorded".into(),
                &mut floors_applied,
            );
        }
        let score = scored
            .iter()
            .map(|a| a.points)
            .fold(0u32, u32::saturating_add);
        let banded = self.band(score);
        let computed = banded.max(floor);
        let level = overridden.as_ref().map_or(computed, |o| o.level);
        Ok(RiskAssessment {
            tool: self.name.clone(),
            tool_version: self.version.clone(),
            answers: scored,
            score,
            banded,
            floors_applied,
            computed,
            level,
            overridden,
            at,
        })
    }

    /// Checks what serde cannot: names present, keys unique, every indicator in a known group,
    /// and bands that start at 0, ascend in level, and leave no gap or overlap.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first problem: `name` or `version` empty;
    /// `groups[i].key` or `indicators[i].key` used twice; `indicators[i].group` not a group of the
    /// tool; `indicators` empty; `levels` empty; `levels[0].from` not 0; `levels[i].to` open-ended
    /// on a band other than the last, set on the last, or below the band's start; `levels[i].from`
    /// overlapping or leaving a gap after the band before; `levels[i].level` not above the level
    /// before.
    pub fn validate(&self) -> Result<(), InputError> {
        if self.name.trim().is_empty() {
            return Err(InputError::new("name", "must not be empty"));
        }
        if self.version.trim().is_empty() {
            return Err(InputError::new("version", "must not be empty"));
        }
        let mut groups = BTreeSet::new();
        for (i, g) in self.groups.iter().enumerate() {
            if !groups.insert(g.key.as_str()) {
                return Err(InputError::new(
                    format!("groups[{i}].key"),
                    format!("`{}` is used twice", g.key),
                ));
            }
        }
        let mut keys = BTreeSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            if !keys.insert(ind.key.as_str()) {
                return Err(InputError::new(
                    format!("indicators[{i}].key"),
                    format!("`{}` is used twice", ind.key),
                ));
            }
            if !groups.contains(ind.group.as_str()) {
                return Err(InputError::new(
                    format!("indicators[{i}].group"),
                    format!(
                        "`{}` is not a group of this tool (groups: {})",
                        ind.group,
                        groups.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        if self.indicators.is_empty() {
            return Err(InputError::new(
                "indicators",
                "a tool needs at least one indicator",
            ));
        }
        let Some(first) = self.levels.first() else {
            return Err(InputError::new(
                "levels",
                "a tool needs at least one score band",
            ));
        };
        if first.from != 0 {
            return Err(InputError::new(
                "levels[0].from",
                format!("the first band must start at 0, not {}", first.from),
            ));
        }
        for (i, band) in self.levels.iter().enumerate() {
            let last = i + 1 == self.levels.len();
            match (band.to, last) {
                (None, false) => {
                    return Err(InputError::new(
                        format!("levels[{i}].to"),
                        "only the last band may be open-ended",
                    ))
                }
                (Some(to), true) => {
                    return Err(InputError::new(
                        format!("levels[{i}].to"),
                        format!(
                        "the last band must be open-ended (scores above {to} would have no level)"
                    ),
                    ))
                }
                (Some(to), false) if to < band.from => {
                    return Err(InputError::new(
                        format!("levels[{i}].to"),
                        format!("{to} is below the band's start {}", band.from),
                    ))
                }
                _ => {}
            }
            if let Some(next) = self.levels.get(i + 1) {
                let to = band.to.unwrap_or(u32::MAX);
                if next.from <= to {
                    return Err(InputError::new(
                        format!("levels[{}].from", i + 1),
                        format!(
                            "bands overlap: {} is within the band {}..={to}",
                            next.from, band.from
                        ),
                    ));
                }
                if next.from != to + 1 {
                    return Err(InputError::new(
                        format!("levels[{}].from", i + 1),
                        format!(
                            "bands leave a gap: scores {}..={} have no level",
                            to + 1,
                            next.from - 1
                        ),
                    ));
                }
                if next.level <= band.level {
                    return Err(InputError::new(
                        format!("levels[{}].level", i + 1),
                        format!("levels must rise: {} follows {}", next.level, band.level),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The direction of risk across assessments (lifecycle 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[must_use]
pub fn trend(assessments: &[RiskAssessment]) -> RiskTrend {
    match assessments {
        [.., before, latest] if latest.level < before.level => RiskTrend::Reducing,
        [.., before, latest] if latest.level > before.level => RiskTrend::Rising,
        _ => RiskTrend::Stable,
    }
}
