//! The alumni peer group.
//!
//! "former service users at low or no risk may join an alumni peer group". Read here as:
//! a young person may join when either
//! - **their case closed** and none is open: a former service user, whatever the risk level the
//!   case closed at (closing is the service's judgement that its work is done); or
//! - **their latest assessed risk is Low**: the latest assessment of their open case or, with
//!   no case open and none closed, of their latest referral that was assessed (one declined,
//!   signposted or withdrawn after a Low assessment).
//!
//! Anyone else is refused with the reason ([`crate::kernel::error::DomainError::NotEligibleForAlumni`]):
//! a young person with an open case at Medium or High risk, or with an open case not yet
//! assessed (a new referral is a new concern: an older case's assessment does not speak for
//! it); one whose referrals were never worked and closed and whose latest assessment is Medium
//! or High, or who was never assessed; and one who has never had a case with the service.
//! Membership is recorded on the young person's own stream, since it outlives their cases.

use crate::case::StageName;
use crate::kernel::ids::CaseId;
use crate::kernel::tag::kind_tagged;
use crate::policy::risk::RiskLevel;
use crate::read::rows::CaseSummary;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a young person may join the alumni group.
///
/// Tagged `kind`; the tag `basis` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum AlumniBasis {
    /// A former service user: this case closed (at any risk level), and none is open.
    CaseClosed {
        /// Their latest closed case.
        case: CaseId,
    },
    /// Their latest assessed risk is Low: the latest assessment of this case, which is their
    /// open case, or, with none open and none closed, their latest assessed referral.
    LowRisk {
        /// The case assessed Low.
        case: CaseId,
    },
}

kind_tagged!(AlumniBasis, "basis");

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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AlumniMembership {
    /// Why they could join.
    pub basis: AlumniBasis,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

/// Whether a young person with these cases may join the alumni group, and on what basis; the
/// refusal says why not (R-20, read as the module docs say).
///
/// # Errors
///
/// The reason in words, when: an open case is not at Low risk or not yet assessed; the young
/// person has never had a case; or no case was closed and the latest assessed case is not at
/// Low risk, or none was assessed. [`YoungPersonActivity::decide`] refuses `join_alumni` with
/// it as [`DomainError::NotEligibleForAlumni`] (`not_eligible_for_alumni`, R-20).
///
/// [`YoungPersonActivity::decide`]: super::YoungPersonActivity::decide
/// [`DomainError::NotEligibleForAlumni`]: crate::kernel::error::DomainError::NotEligibleForAlumni
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
    let latest = |c: &&CaseSummary| (c.received_at, c.case_id);
    if let Some(closed) = cases
        .iter()
        .filter(|c| c.stage == StageName::Closed)
        .max_by_key(latest)
    {
        return Ok(AlumniBasis::CaseClosed {
            case: closed.case_id,
        });
    }
    if cases.is_empty() {
        return Err("the young person has never had a case with the service".to_owned());
    }
    match cases
        .iter()
        .filter(|c| c.risk_level.is_some())
        .max_by_key(latest)
    {
        Some(assessed) => match assessed.risk_level {
            Some(RiskLevel::Low) => Ok(AlumniBasis::LowRisk {
                case: assessed.case_id,
            }),
            level => Err(format!(
                "no case of theirs was worked and closed, and their latest assessed risk ({}) is {}, not Low",
                assessed.case_id,
                level.map_or("unknown".to_owned(), |l| l.to_string())
            )),
        },
        None => Err(
            "no case of theirs was worked and closed, and none was assessed (referrals declined, signposted or withdrawn before an assessment do not count)"
                .to_owned(),
        ),
    }
}
