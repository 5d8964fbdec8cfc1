//! The consent ledger (lifecycle 2; ).
//!
//! Consent is kept per scope as an append-only list of entries: who gave or refused it, how,
//! when and for what. Withdrawal is a new entry; nothing is ever deleted, so the ledger always
//! answers "what had she agreed to on date X".

use crate::kernel::input::Text;
use crate::kernel::tag::kind_tagged;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a consent is for.
///
/// Tagged `kind`; the tag `scope` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ConsentScope {
    /// Being referred to the service.
    Referral,
    /// Working with the service (R-6: withdrawing it ends the case).
    Engagement,
    /// Telling parents or carers the service is working with her or him.
    SharingWithParents,
    /// Sharing outcome and attendance with the referrer.
    SharingWithReferrer,
    /// Sharing with a named agency.
    SharingWithAgency {
        /// The agency.
        agency: Text,
    },
}

kind_tagged!(ConsentScope, "scope");

impl fmt::Display for ConsentScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsentScope::Referral => f.write_str("referral"),
            ConsentScope::Engagement => f.write_str("engagement"),
            ConsentScope::SharingWithParents => f.write_str("sharing with parents/carers"),
            ConsentScope::SharingWithReferrer => f.write_str("sharing with the referrer"),
            ConsentScope::SharingWithAgency { agency } => write!(f, "sharing with {agency}"),
        }
    }
}

/// Given, refused, or withdrawn after being given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentDecision {
    /// Given.
    Given,
    /// Refused when asked.
    Refused,
    /// Withdrawn after being given.
    Withdrawn,
}

/// Who gave (or refused) the consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentGiver {
    /// The young person.
    YoungPerson,
    /// A parent or carer (never enough for R-1: the young person must agree).
    ParentOrCarer,
}

/// How the consent was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// The young person referred themselves.
    SelfReferral,
    /// In person.
    InPerson,
    /// By phone.
    Phone,
    /// In writing (a signed form).
    Written,
    /// Relayed by the referring professional.
    ViaReferrer,
}

/// One ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentEntry {
    /// The scope.
    pub scope: ConsentScope,
    /// Given, refused or withdrawn.
    pub decision: ConsentDecision,
    /// By whom.
    pub by: ConsentGiver,
    /// How.
    pub method: ConsentMethod,
    /// For what, in the words used when asking.
    pub purpose: Text,
    /// When the young person (or carer) gave it: may be before it was recorded.
    pub given_at: DateTime<Utc>,
}

/// The current standing of one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentStatus {
    /// Never asked.
    NotAsked,
    /// Given and not withdrawn.
    Given,
    /// Refused.
    Refused,
    /// Withdrawn.
    Withdrawn,
}

/// Every consent entry of a case, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct ConsentLedger {
    entries: Vec<ConsentEntry>,
}

impl ConsentLedger {
    /// Adds an entry (only ever appended).
    pub fn record(&mut self, entry: ConsentEntry) {
        self.entries.push(entry);
    }

    /// Every entry, oldest first.
    #[must_use]
    pub fn entries(&self) -> &[ConsentEntry] {
        &self.entries
    }

    /// The standing of `scope` as decided by the young person herself or himself (R-1, R-10:
    /// a parent's agreement is recorded but does not stand in for the young person's).
    #[must_use]
    pub fn young_person_status(&self, scope: &ConsentScope) -> ConsentStatus {
        self.entries
            .iter()
            .rev()
            .find(|e| &e.scope == scope && e.by == ConsentGiver::YoungPerson)
            .map_or(ConsentStatus::NotAsked, |e| match e.decision {
                ConsentDecision::Given => ConsentStatus::Given,
                ConsentDecision::Refused => ConsentStatus::Refused,
                ConsentDecision::Withdrawn => ConsentStatus::Withdrawn,
            })
    }

    /// Whether the young person currently permits `scope`.
    #[must_use]
    pub fn permits(&self, scope: &ConsentScope) -> bool {
        self.young_person_status(scope) == ConsentStatus::Given
    }
}

impl fmt::Display for ConsentDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsentDecision::Given => "given",
            ConsentDecision::Refused => "refused",
            ConsentDecision::Withdrawn => "withdrawn",
        })
    }
}

impl fmt::Display for ConsentGiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsentGiver::YoungPerson => "the young person",
            ConsentGiver::ParentOrCarer => "a parent or carer",
        })
    }
}
