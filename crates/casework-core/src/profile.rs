//! Service profiles: the configuration that makes one library serve many services (R-2, R-3,
//!
//!
//! A profile says who the service is for, where ineligible referrals are signposted, which
//! risk tool it uses, to whom it owes notifications and how soon, and how often reviews fall
//! due. Two fictional, real-shaped profiles ship in [`examples`].

use crate::eligibility::{Eligibility, IneligibilityKind, PostcodeCoverage};
use crate::risk::{Indicator, RiskLevel, RiskTool};
use crate::young_person::Gender;
use serde::{Deserialize, Serialize};

/// A service the profile signposts to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerService {
    /// Its name.
    pub name: String,
}

/// Where to signpost a referral that is ineligible for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignpostRule {
    /// The reason this rule answers.
    pub when: IneligibilityKind,
    /// The service to signpost to.
    pub to: PartnerService,
}

/// Who an owed action goes to and how many hours the service has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwedTo {
    /// Recipient, as shown on the action.
    pub recipient: String,
    /// Hours from the triggering event to the due time.
    pub due_within_hours: u32,
}

/// The owed actions of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwedActionRules {
    /// Raised on every referral.
    pub safeguarding_unit: OwedTo,
    /// Raised on a Medium or High assessment.
    pub duty_social_work: OwedTo,
    /// Raised when an outcome is given.
    pub outcome_to_referrer: OwedTo,
}

/// Days between reviews, by the current risk level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub fn days_for(&self, level: RiskLevel) -> u32 {
        match level {
            RiskLevel::Low => self.low_days,
            RiskLevel::Medium => self.medium_days,
            RiskLevel::High => self.high_days,
        }
    }
}

/// Everything a service configures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProfile {
    /// The service's name.
    pub name: String,
    /// Who the service is for.
    pub eligibility: Eligibility,
    /// Where ineligible referrals go.
    #[serde(default)]
    pub signposting: Vec<SignpostRule>,
    /// The risk indicator tool.
    pub risk_tool: RiskTool,
    /// Owed actions.
    pub owed_actions: OwedActionRules,
    /// Review cadence.
    pub reviews: ReviewCadence,
}

impl ServiceProfile {
    /// The partner service for the first reason that has a signposting rule.
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

    /// A minimal scored tool: vulnerabilities weigh 1, significant indicators 5; 3 is Medium,
    /// 6 is High; under 13 or a learning difficulty is never Low; a disclosure is High.
    pub fn minimal_risk_tool() -> RiskTool {
        let ind = |key: &str, label: &str, weight: u32, floor: Option<RiskLevel>| Indicator {
            key: key.into(),
            label: label.into(),
            weight,
            floor,
        };
        RiskTool {
            name: "Minimal CSE indicator tool".into(),
            version: "1".into(),
            indicators: vec![
                ind("missing_from_home", "Missing from home or care", 1, None),
                ind("school_absence", "Persistent absence from school", 1, None),
                ind(
                    "older_boyfriend",
                    "Relationship with an older person",
                    1,
                    None,
                ),
                ind(
                    "unexplained_gifts",
                    "Unexplained gifts, money or phones",
                    1,
                    None,
                ),
                ind("substance_misuse", "Drug or alcohol misuse", 1, None),
                ind("sexual_health", "Repeat sexual health concerns", 5, None),
                ind(
                    "taken_to_parties",
                    "Taken to parties or unknown addresses",
                    5,
                    None,
                ),
                ind(
                    "disclosure",
                    "Disclosure of sexual exploitation",
                    5,
                    Some(RiskLevel::High),
                ),
            ],
            medium_from: 3,
            high_from: 6,
            young_child_under: Some(13),
            young_child_floor: Some(RiskLevel::Medium),
            learning_difficulty_floor: Some(RiskLevel::Medium),
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
        }
    }

    /// A county service for all genders, working with the partner boys' service.
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
