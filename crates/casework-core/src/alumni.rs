//! The alumni peer group.
//!
//! Former service users at low or no risk may join a peer group the service facilitates. A
//! young person may join when either
//! - they have no open case and at least one of their cases closed (a former service user), or
//! - their open case's latest risk level is Low.
//!
//! Anyone else is refused with the reason: a young person with an open case at Medium or High
//! risk (or not yet assessed), or one who has never been a service user (no case, or only
//! referrals that were declined, signposted or withdrawn). Membership is recorded on the young
//! person's own stream, since it outlives their cases.

use crate::case::StageName;
use crate::ids::CaseId;
use crate::read_model::CaseSummary;
use crate::risk::RiskLevel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a young person may join the alumni group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlumniBasis {
    /// A former service user: this case closed, and none is open.
    CaseClosed {
        /// Their latest closed case.
        case: CaseId,
    },
    /// Their open case's latest assessment is Low.
    LowRisk {
        /// The open case.
        case: CaseId,
    },
}

impl fmt::Display for AlumniBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlumniBasis::CaseClosed { case } => write!(f, "a former service user ({case} closed)"),
            AlumniBasis::LowRisk { case } => write!(f, "at low risk ({case})"),
        }
    }
}

/// A young person's membership of the alumni group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlumniMembership {
    /// Why they could join.
    pub basis: AlumniBasis,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

/// Whether a young person with these cases may join the alumni group, and on what basis; the
/// refusal says why not.
pub fn alumni_eligibility(cases: &[CaseSummary]) -> Result<AlumniBasis, String> {
    if let Some(open) = cases.iter().find(|c| !c.stage.is_finished()) {
        return match open.risk_level {
            Some(RiskLevel::Low) => Ok(AlumniBasis::LowRisk { case: open.case_id }),
            Some(level) => Err(format!(
                "the young person has an open case ({}) at {level} risk",
                open.case_id
            )),
            None => Err(format!(
                "the young person has an open case ({}) not yet assessed",
                open.case_id
            )),
        };
    }
    cases
        .iter()
        .filter(|c| c.stage == StageName::Closed)
        .max_by_key(|c| c.received_at)
        .map(|c| AlumniBasis::CaseClosed { case: c.case_id })
        .ok_or_else(|| {
            if cases.is_empty() {
                "the young person has never had a case with the service".to_owned()
            } else {
                "the young person has never been a service user: no case of theirs was worked and closed (referrals declined, signposted or withdrawn do not count)".to_owned()
            }
        })
}
