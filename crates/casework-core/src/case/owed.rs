//! Actions the service owes to others (lifecycle 8; ).
//!
//! Every referral owes a notification to the integrated safeguarding unit; a Medium or High
//! assessment owes a referral to the duty children's social work team; every outcome owes a
//! message to the referrer. An owed action is never deleted: it is discharged (sent, with a
//! reference, then perhaps acknowledged) or explained.

use crate::kernel::ids::OwedActionId;
use crate::kernel::input::Text;
use crate::kernel::tag::kind_tagged;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What is owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OwedActionKind {
    /// Notify the integrated safeguarding unit of the referral.
    NotifySafeguardingUnit,
    /// Refer to the duty children's social work team after a Medium or High assessment.
    ReferToDutySocialWork,
    /// Tell the referrer the outcome.
    CommunicateOutcome,
}

impl OwedActionKind {
    /// Stable name, as stored in query tables.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            OwedActionKind::NotifySafeguardingUnit => "notify_safeguarding_unit",
            OwedActionKind::ReferToDutySocialWork => "refer_to_duty_social_work",
            OwedActionKind::CommunicateOutcome => "communicate_outcome",
        }
    }
}

impl fmt::Display for OwedActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OwedActionKind::NotifySafeguardingUnit => "notify the integrated safeguarding unit",
            OwedActionKind::ReferToDutySocialWork => {
                "refer to the duty children's social work team"
            }
            OwedActionKind::CommunicateOutcome => "tell the referrer the outcome",
        })
    }
}

/// Where an owed action stands.
///
/// Tagged `kind`; the tag `status` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum OwedStatus {
    /// Still owed.
    Owed,
    /// Sent, with the recipient's or our reference.
    Sent {
        /// Reference.
        reference: Text,
        /// When sent.
        sent_at: DateTime<Utc>,
    },
    /// Sent and acknowledged by the recipient.
    Acknowledged {
        /// Reference.
        reference: Text,
        /// When sent.
        sent_at: DateTime<Utc>,
        /// When acknowledged.
        acknowledged_at: DateTime<Utc>,
    },
    /// Not sent, with the reason recorded.
    Explained {
        /// Why it was not sent (visible: how the duty was met otherwise; sealed at rest,
        /// [`crate::kernel::sealing::personal`]).
        #[serde(with = "crate::kernel::sealing::personal")]
        #[cfg_attr(feature = "schema", schemars(with = "String", extend("x-sealed-at-rest" = "personal")))]
        explanation: Text,
        /// When explained.
        at: DateTime<Utc>,
    },
}

kind_tagged!(OwedStatus, "status");

impl OwedStatus {
    /// Stable name of the status, as stored in query tables.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            OwedStatus::Owed => "owed",
            OwedStatus::Sent { .. } => "sent",
            OwedStatus::Acknowledged { .. } => "acknowledged",
            OwedStatus::Explained { .. } => "explained",
        }
    }

    /// Whether the obligation is met (sent, acknowledged or explained).
    #[must_use]
    pub fn is_discharged(&self) -> bool {
        !matches!(self, OwedStatus::Owed)
    }
}

/// One owed action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OwedAction {
    /// Its id.
    pub id: OwedActionId,
    /// What is owed.
    pub kind: OwedActionKind,
    /// To whom (from the service profile).
    pub owed_to: String,
    /// When it arose.
    pub raised_at: DateTime<Utc>,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Where it stands.
    pub status: OwedStatus,
}
