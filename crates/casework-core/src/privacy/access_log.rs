//! The access log: every read of confidential content is itself recorded.
//!
//! A read is one event on a stream of its own ([`crate::kernel::ids::StreamId::Access`]), so recording
//! it never waits on, or conflicts with, the case being worked on, and the log can never be
//! edited by a command on the case. Each read also writes [`ListingKind::Access`] listings
//! keyed by the case and by the young person, which is how a manager lists the reads of one
//! case or one young person's records, over any period.

use crate::kernel::actor::{Actor, Role};
use crate::kernel::event::DomainEvent;
use crate::kernel::ids::{CaseId, IntelligenceId, StaffId, WorkshopId, YoungPersonId};
use crate::kernel::input::Text;
use crate::kernel::tag::kind_tagged;
use crate::privacy::access::Relationship;
use crate::read::rows::{Listing, ListingKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every access-log event type this library reads.
pub const ACCESS_EVENT_TYPES: &[&str] = &["confidential_record_read"];

/// What was read.
///
/// Tagged `kind`; the tag `subject` it had before issue 14 is still read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum AccessSubject {
    /// One case's confidential record.
    Case {
        /// The case.
        case: CaseId,
        /// Whose case.
        young_person: YoungPersonId,
    },
    /// Everything held about a young person (a subject access export, R-23).
    YoungPerson {
        /// Who.
        young_person: YoungPersonId,
    },
    /// An intelligence report.
    Intelligence {
        /// Which.
        intelligence: IntelligenceId,
    },
    /// A workshop's tutorial notes and evaluation words.
    Workshop {
        /// Which.
        workshop: WorkshopId,
    },
}

kind_tagged!(AccessSubject, "subject");

impl AccessSubject {
    /// The listing keys a read of this subject is found under.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        match self {
            AccessSubject::Case { case, young_person } => {
                vec![case.to_string(), young_person.to_string()]
            }
            AccessSubject::YoungPerson { young_person } => vec![young_person.to_string()],
            AccessSubject::Intelligence { intelligence } => vec![intelligence.to_string()],
            AccessSubject::Workshop { workshop } => vec![workshop.to_string()],
        }
    }
}

/// One recorded read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessRecord {
    /// What was read.
    pub subject: AccessSubject,
    /// Who read it.
    pub staff: StaffId,
    /// Their name.
    pub name: String,
    /// The role they read it in.
    pub role: Role,
    /// Their relationship to the record when they read it.
    pub relationship: Relationship,
    /// Why, in their words.
    pub purpose: Text,
    /// When.
    pub read_at: DateTime<Utc>,
}

/// The access log's events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccessEvent {
    /// A confidential record was read.
    ConfidentialRecordRead {
        /// The read.
        record: AccessRecord,
    },
}

impl AccessEvent {
    /// A read by `actor`.
    #[must_use]
    pub fn read(
        actor: &Actor,
        relationship: Relationship,
        subject: AccessSubject,
        purpose: Text,
        at: DateTime<Utc>,
    ) -> Self {
        AccessEvent::ConfidentialRecordRead {
            record: AccessRecord {
                subject,
                staff: actor.id,
                name: actor.name.clone(),
                role: actor.role,
                relationship,
                purpose,
                read_at: at,
            },
        }
    }

    /// The read this event records.
    #[must_use]
    pub fn record(&self) -> &AccessRecord {
        match self {
            AccessEvent::ConfidentialRecordRead { record } => record,
        }
    }

    /// The listings of the access stream holding this one event.
    #[must_use]
    pub fn listings(&self) -> Vec<Listing> {
        let record = self.record();
        let detail = serde_json::to_string(record).expect("access records serialize");
        record
            .subject
            .keys()
            .into_iter()
            .map(|key| Listing {
                kind: ListingKind::Access,
                key,
                at: Some(record.read_at),
                detail: detail.clone(),
            })
            .collect()
    }
}

impl DomainEvent for AccessEvent {
    fn event_type(&self) -> &'static str {
        match self {
            AccessEvent::ConfidentialRecordRead { .. } => "confidential_record_read",
        }
    }

    /// Every access-log event is at schema 1.
    fn current_schema(event_type: &str) -> Option<u32> {
        ACCESS_EVENT_TYPES.contains(&event_type).then_some(1)
    }
}
