//! Service profiles: the configuration that makes one library serve many services (R-2, R-3,
//! R-5, R-12, R-21, R-23).
//!
//! A profile says who the service is for, where ineligible referrals are signposted, which
//! risk tool it uses, to whom it owes notifications and how soon, how often reviews fall
//! due, and how long records are kept ([`RetentionSchedule`]). Two fictional, real-shaped
//! profiles ship in [`examples`].

use crate::kernel::input::InputError;
use crate::policy::eligibility::{Eligibility, IneligibilityKind, PostcodeCoverage};
use crate::policy::limits::InputLimits;
use crate::policy::programme::Programme;
use crate::policy::risk::{
    AgeFloor, Indicator, IndicatorGroup, LevelBand, RiskLevel, RiskTool, SubjectFloors,
    WindowWeights,
};
use crate::policy::time_zone::ServiceTimeZone;
use crate::young_person::Gender;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A service the profile signposts to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerService {
    /// Its name.
    pub name: String,
}

/// Where to signpost a referral that is ineligible for one reason (R-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignpostRule {
    /// The reason this rule answers.
    pub when: IneligibilityKind,
    /// The service to signpost to.
    pub to: PartnerService,
}

/// Who an owed action goes to and how many hours the service has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OwedTo {
    /// Recipient, as shown on the action.
    pub recipient: String,
    /// Hours from the triggering event to the due time.
    pub due_within_hours: u32,
}

/// The owed actions of R-4 and R-5.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OwedActionRules {
    /// Raised on every referral.
    pub safeguarding_unit: OwedTo,
    /// Raised on a Medium or High assessment.
    pub duty_social_work: OwedTo,
    /// Raised when an outcome is given.
    pub outcome_to_referrer: OwedTo,
}

/// Days between reviews, by the current risk level (R-12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewCadence {
    /// At Low risk.
    pub low_days: u32,
    /// At Medium risk.
    pub medium_days: u32,
    /// At High risk.
    pub high_days: u32,
}

impl ReviewCadence {
    /// Days until the next review at `level`.
    #[must_use]
    pub fn days_for(&self, level: RiskLevel) -> u32 {
        match level {
            RiskLevel::Low => self.low_days,
            RiskLevel::Medium => self.medium_days,
            RiskLevel::High => self.high_days,
        }
    }
}

/// Steps that need a manager's approval before they are done (R-24). Until approved the step
/// is pending; a manager taking the step directly approves it by doing so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    /// Closing a case.
    #[serde(default)]
    pub closure: bool,
    /// Overriding a computed risk level (R-21).
    #[serde(default)]
    pub risk_override: bool,
    /// Allocating out of waiting-list order (R-7).
    #[serde(default)]
    pub out_of_order_allocation: bool,
    /// Moving a case to another worker (R-25). Off when absent, so profiles written before
    /// reallocation existed read as they did.
    #[serde(default)]
    pub reallocation: bool,
}

/// Everything a service configures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceProfile {
    /// The service's name.
    pub name: String,
    /// Who the service is for (R-2).
    pub eligibility: Eligibility,
    /// Where ineligible referrals go (R-3).
    #[serde(default)]
    pub signposting: Vec<SignpostRule>,
    /// The risk indicator tool (R-21).
    pub risk_tool: RiskTool,
    /// Owed actions (R-4, R-5).
    pub owed_actions: OwedActionRules,
    /// Review cadence (R-12).
    pub reviews: ReviewCadence,
    /// Programmes offered (R-11, R-14).
    #[serde(default)]
    pub programmes: Vec<Programme>,
    /// Steps that need a manager's approval (R-24).
    #[serde(default)]
    pub approvals: Approvals,
    /// How long a young person's records are kept (R-23); the defaults when not configured.
    #[serde(default)]
    pub retention: RetentionSchedule,
    /// The service's time zone, whose local date is the date used for ages (R-2);
    /// `Europe/London` when not configured ([`crate::policy::time_zone`]).
    #[serde(default)]
    pub time_zone: ServiceTimeZone,
    /// How much one request may hold; the defaults of [`InputLimits`] when not configured
    /// ([`crate::policy::limits`]).
    #[serde(default)]
    pub limits: InputLimits,
}

/// How long a young person's records are kept before they fall due for review, and then
/// anonymisation (R-23). Each rule gives a date; **the latest date wins** (the longest
/// applicable period), and a young person with an open case is never due.
///
/// The defaults follow common UK practice for children's records:
/// - until the young person's **25th birthday** (the Records Management Code of Practice for
///   children's social care and health records);
/// - and at least **6 years after their last case ended** (the usual limitation period for
///   claims, and a common charity policy);
/// - and, where the records concern **sexual abuse or exploitation**, **75 years after their
///   last case ended** (the Independent Inquiry into Child Sexual Abuse recommended keeping
///   records known to relate to child sexual abuse for 75 years).
///
/// Which records "concern sexual abuse or exploitation" must be decidable from what the case
/// holds, not from a worker's later impression, so it is the risk tool's evidence: a case any
/// of whose assessments reached [`ExploitationRetention::risk_level`] (computed or applied,
/// so a worker's override downwards does not shorten retention), or recorded one of
/// [`ExploitationRetention::indicators`] (e.g. `disclosure`, a disclosure of sexual
/// exploitation). In a CSE service almost every High case concerns exploitation itself, not
/// only its risk; a service that wants every record kept for the long period sets
/// `risk_level = "low"`.
///
/// In a profile document:
///
/// ```toml
/// [retention]
/// until_age = 25
/// years_after_last_case = 6
///
/// [retention.exploitation]
/// years_after_last_case = 75
/// risk_level = "high"
/// indicators = ["disclosure"]
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionSchedule {
    /// Keep at least until this birthday (`25`); `None` for no age rule. A 29 February
    /// birthday falls on 1 March in other years, as ages do (R-2).
    #[serde(default = "default_until_age")]
    pub until_age: Option<u32>,
    /// Keep at least this many years after the young person's last case ended (closed,
    /// signposted, declined or withdrawn); `None` for no such rule.
    #[serde(default = "default_years_after_last_case")]
    pub years_after_last_case: Option<u32>,
    /// The longer period for records about sexual abuse or exploitation; `None` for none.
    #[serde(default = "default_exploitation")]
    pub exploitation: Option<ExploitationRetention>,
}

/// The longer retention of records about sexual abuse or exploitation (R-23); see
/// [`RetentionSchedule`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExploitationRetention {
    /// Keep at least this many years after the young person's last case ended.
    pub years_after_last_case: u32,
    /// A case with an assessment at this level or above (computed or applied) concerns
    /// exploitation; `None` to decide by indicators alone.
    #[serde(default = "default_exploitation_level")]
    pub risk_level: Option<RiskLevel>,
    /// A case whose assessments recorded any of these indicators (keys of the profile's
    /// risk tool) concerns exploitation.
    #[serde(default)]
    pub indicators: Vec<String>,
}

fn default_until_age() -> Option<u32> {
    Some(25)
}

fn default_years_after_last_case() -> Option<u32> {
    Some(6)
}

fn default_exploitation_level() -> Option<RiskLevel> {
    Some(RiskLevel::High)
}

fn default_exploitation() -> Option<ExploitationRetention> {
    Some(ExploitationRetention {
        years_after_last_case: 75,
        risk_level: default_exploitation_level(),
        indicators: Vec::new(),
    })
}

impl Default for RetentionSchedule {
    /// Until the 25th birthday; 6 years after the last case; 75 years after the last case
    /// where a case was assessed High.
    fn default() -> Self {
        RetentionSchedule {
            until_age: default_until_age(),
            years_after_last_case: default_years_after_last_case(),
            exploitation: default_exploitation(),
        }
    }
}

impl RetentionSchedule {
    /// Checks what serde cannot: ages and periods that a calendar can hold, an exploitation
    /// rule that can match something, and indicators the risk tool knows.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first problem: `until_age` not 1 to 120;
    /// `years_after_last_case` or `exploitation.years_after_last_case` more than 200;
    /// `exploitation` with neither a `risk_level` nor an indicator; `exploitation.indicators[i]`
    /// not an indicator of `tool`.
    pub fn validate(&self, tool: &RiskTool) -> Result<(), InputError> {
        if let Some(age) = self.until_age {
            if !(1..=120).contains(&age) {
                return Err(InputError::new(
                    "until_age",
                    format!("{age} is not an age between 1 and 120"),
                ));
            }
        }
        if let Some(years) = self.years_after_last_case {
            if years > 200 {
                return Err(InputError::new(
                    "years_after_last_case",
                    format!("{years} years is more than 200"),
                ));
            }
        }
        if let Some(e) = &self.exploitation {
            if e.years_after_last_case > 200 {
                return Err(InputError::new(
                    "exploitation.years_after_last_case",
                    format!("{} years is more than 200", e.years_after_last_case),
                ));
            }
            if e.risk_level.is_none() && e.indicators.is_empty() {
                return Err(InputError::new(
                    "exploitation",
                    "name a risk_level or at least one indicator, or leave the section out",
                ));
            }
            for (i, key) in e.indicators.iter().enumerate() {
                if !tool.indicators.iter().any(|d| &d.key == key) {
                    return Err(InputError::new(
                        format!("exploitation.indicators[{i}]"),
                        format!(
                            "`{key}` is not an indicator of the risk tool `{}`",
                            tool.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ReviewCadence {
    /// Every cadence is at least a day.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `low_days`, `medium_days` or `high_days`, the first
    /// that is 0.
    pub fn validate(&self) -> Result<(), InputError> {
        for (field, days) in [
            ("low_days", self.low_days),
            ("medium_days", self.medium_days),
            ("high_days", self.high_days),
        ] {
            if days == 0 {
                return Err(InputError::new(field, "must be at least 1 day"));
            }
        }
        Ok(())
    }
}

impl ServiceProfile {
    /// Checks what serde cannot: a name, a sensible eligibility, one signposting rule per reason,
    /// positive due times and cadences, a valid risk tool, a retention schedule that fits it,
    /// and programmes with unique keys.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first problem, by its path in the profile:
    /// `name` empty; under `eligibility` what [`Eligibility::validate`] refuses;
    /// `signposting[i].when` a second rule for the same reason, or `signposting[i].to.name`
    /// empty; `owed_actions.{rule}.recipient` empty or `owed_actions.{rule}.due_within_hours`
    /// 0; under `reviews`, `risk_tool` or `retention` what [`ReviewCadence::validate`],
    /// [`RiskTool::validate`] or [`RetentionSchedule::validate`] refuses; under
    /// `programmes[i]` what [`Programme::validate`] refuses, or `programmes[i].key` used
    /// twice; under `limits` what [`InputLimits::validate`] refuses.
    pub fn validate(&self) -> Result<(), InputError> {
        if self.name.trim().is_empty() {
            return Err(InputError::new("name", "must not be empty"));
        }
        self.eligibility
            .validate()
            .map_err(|e| e.within("eligibility"))?;
        for (i, rule) in self.signposting.iter().enumerate() {
            if self.signposting[..i].iter().any(|r| r.when == rule.when) {
                return Err(InputError::new(
                    format!("signposting[{i}].when"),
                    format!(
                        "a second rule for {:?}; give one service per reason",
                        rule.when
                    ),
                ));
            }
            if rule.to.name.trim().is_empty() {
                return Err(InputError::new(
                    format!("signposting[{i}].to.name"),
                    "must not be empty",
                ));
            }
        }
        for (field, owed) in [
            ("safeguarding_unit", &self.owed_actions.safeguarding_unit),
            ("duty_social_work", &self.owed_actions.duty_social_work),
            (
                "outcome_to_referrer",
                &self.owed_actions.outcome_to_referrer,
            ),
        ] {
            if owed.recipient.trim().is_empty() {
                return Err(InputError::new(
                    format!("owed_actions.{field}.recipient"),
                    "must not be empty",
                ));
            }
            if owed.due_within_hours == 0 {
                return Err(InputError::new(
                    format!("owed_actions.{field}.due_within_hours"),
                    "must be at least 1 hour",
                ));
            }
        }
        self.reviews.validate().map_err(|e| e.within("reviews"))?;
        self.risk_tool
            .validate()
            .map_err(|e| e.within("risk_tool"))?;
        self.retention
            .validate(&self.risk_tool)
            .map_err(|e| e.within("retention"))?;
        self.limits
            .validate(&self.risk_tool)
            .map_err(|e| e.within("limits"))?;
        for (i, p) in self.programmes.iter().enumerate() {
            p.validate()
                .map_err(|e| e.within(&format!("programmes[{i}]")))?;
            if self.programmes[..i].iter().any(|q| q.key == p.key) {
                return Err(InputError::new(
                    format!("programmes[{i}].key"),
                    format!("`{}` is used twice", p.key),
                ));
            }
        }
        Ok(())
    }

    /// The calendar date of `at` where the service works, in its [`ServiceProfile::time_zone`]:
    /// the date ages are computed on (R-2) and "today" is.
    #[must_use]
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.time_zone.date_of(at)
    }

    /// The programme with `key`.
    #[must_use]
    pub fn programme(&self, key: &str) -> Option<&Programme> {
        self.programmes.iter().find(|p| p.key == key)
    }

    /// The partner service for the first reason that has a signposting rule.
    #[must_use]
    pub fn signpost_for(&self, reasons: &[IneligibilityKind]) -> Option<&PartnerService> {
        reasons.iter().find_map(|reason| {
            self.signposting
                .iter()
                .find(|rule| rule.when == *reason)
                .map(|rule| &rule.to)
        })
    }
}

/// Fictional, real-shaped profiles for examples and tests.
pub mod examples {
    use super::*;

    /// A minimal scored tool for tests and examples: vulnerabilities score 1 (current or within
    /// 6 months), significant indicators 5 (1 when 6–12 months ago); 0–2 is Low, 3–5 Medium,
    /// 6 and over High; under 13 or a learning difficulty is never Low; a disclosure is High.
    #[must_use]
    pub fn minimal_risk_tool() -> RiskTool {
        let ind = |key: &str, label: &str, group: &str, floor: Option<RiskLevel>| Indicator {
            key: key.into(),
            label: label.into(),
            group: group.into(),
            floor,
        };
        let group =
            |key: &str, label: &str, current, within_6_months, six_to_12_months| IndicatorGroup {
                key: key.into(),
                label: label.into(),
                weights: WindowWeights {
                    current,
                    within_6_months,
                    six_to_12_months,
                },
                floor: None,
            };
        let band = |level, from, to| LevelBand { level, from, to };
        RiskTool {
            name: "Minimal CSE indicator tool".into(),
            version: "1".into(),
            groups: vec![
                group("vulnerabilities", "Vulnerabilities", 1, 1, 0),
                group("significant", "Significant indicators", 5, 5, 1),
            ],
            indicators: vec![
                ind(
                    "missing_from_home",
                    "Missing from home or care",
                    "vulnerabilities",
                    None,
                ),
                ind(
                    "school_absence",
                    "Persistent absence from school",
                    "vulnerabilities",
                    None,
                ),
                ind(
                    "older_boyfriend",
                    "Relationship with an older person",
                    "vulnerabilities",
                    None,
                ),
                ind(
                    "unexplained_gifts",
                    "Unexplained gifts, money or phones",
                    "vulnerabilities",
                    None,
                ),
                ind(
                    "substance_misuse",
                    "Drug or alcohol misuse",
                    "vulnerabilities",
                    None,
                ),
                ind(
                    "sexual_health",
                    "Repeat sexual health concerns",
                    "significant",
                    None,
                ),
                ind(
                    "taken_to_parties",
                    "Taken to parties or unknown addresses",
                    "significant",
                    None,
                ),
                ind(
                    "disclosure",
                    "Disclosure of sexual exploitation",
                    "significant",
                    Some(RiskLevel::High),
                ),
            ],
            levels: vec![
                band(RiskLevel::Low, 0, Some(2)),
                band(RiskLevel::Medium, 3, Some(5)),
                band(RiskLevel::High, 6, None),
            ],
            floors: SubjectFloors {
                young_child: Some(AgeFloor {
                    under_age: 13,
                    level: RiskLevel::Medium,
                }),
                learning_difficulty: Some(RiskLevel::Medium),
            },
        }
    }

    fn owed_actions() -> OwedActionRules {
        OwedActionRules {
            safeguarding_unit: OwedTo {
                recipient: "Integrated safeguarding unit (fictional city council)".into(),
                due_within_hours: 24,
            },
            duty_social_work: OwedTo {
                recipient: "Duty children's social work team".into(),
                due_within_hours: 24,
            },
            outcome_to_referrer: OwedTo {
                recipient: "Referrer".into(),
                due_within_hours: 72,
            },
        }
    }

    /// A girls-only city service: ages up to 18 (24 with a learning difficulty), every `LS`
    /// postcode plus `WF10` and `WF3`; boys are signposted to the partner boys' service.
    #[must_use]
    pub fn city_girls_service() -> ServiceProfile {
        ServiceProfile {
            name: "Riverside Girls' Project (fictional)".into(),
            eligibility: Eligibility {
                min_age: 0,
                max_age: 18,
                max_age_with_learning_difficulty: Some(24),
                genders: vec![Gender::Female],
                postcodes: PostcodeCoverage {
                    areas: vec!["LS".into()],
                    districts: vec!["WF10".into(), "WF3".into()],
                },
            },
            signposting: vec![
                SignpostRule {
                    when: IneligibilityKind::GenderNotServed,
                    to: PartnerService {
                        name: "Harbour Boys' Project (fictional partner)".into(),
                    },
                },
                SignpostRule {
                    when: IneligibilityKind::OutsideArea,
                    to: PartnerService {
                        name: "the local authority's CSE team for the young person's area".into(),
                    },
                },
            ],
            risk_tool: minimal_risk_tool(),
            owed_actions: owed_actions(),
            reviews: ReviewCadence {
                low_days: 84,
                medium_days: 42,
                high_days: 28,
            },
            programmes: Vec::new(),
            approvals: Approvals::default(),
            retention: RetentionSchedule {
                exploitation: Some(ExploitationRetention {
                    years_after_last_case: 75,
                    risk_level: Some(RiskLevel::High),
                    indicators: vec!["disclosure".into()],
                }),
                ..RetentionSchedule::default()
            },
            time_zone: ServiceTimeZone::default(),
            limits: InputLimits::default(),
        }
    }

    /// A county service for all genders, working with the partner boys' service.
    #[must_use]
    pub fn county_all_genders_service() -> ServiceProfile {
        let mut profile = city_girls_service();
        profile.name = "Moorland County Young People's Service (fictional)".into();
        profile.eligibility.genders = vec![
            Gender::Female,
            Gender::Male,
            Gender::NonBinary,
            Gender::NotStated,
        ];
        profile.eligibility.postcodes = PostcodeCoverage {
            areas: vec!["YO".into(), "HG".into(), "DL".into()],
            districts: vec![],
        };
        profile
            .signposting
            .retain(|r| r.when != IneligibilityKind::GenderNotServed);
        profile
    }
}
