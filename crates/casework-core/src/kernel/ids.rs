//! Typed identifiers.
//!
//! Every entity has its own uuid newtype so a case id can never be passed where a young
//! person's id is expected. Public signatures never take a bare [`Uuid`].

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Why a string or a value is not an id of the type wanted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct IdError {
    problem: String,
}

/// Parses `s` as the id whose display prefix is `prefix`: the bare uuid (as stored) or the
/// displayed `prefix-<uuid>`. Another type's displayed id is refused, naming the prefix wanted.
fn parse_id(s: &str, prefix: &str) -> Result<Uuid, IdError> {
    if let Ok(id) = Uuid::parse_str(s) {
        return Ok(id);
    }
    if let Some(id) = s
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| Uuid::parse_str(rest).ok())
    {
        return Ok(id);
    }
    // `case-<uuid>` where a `session-<uuid>` is wanted: name both.
    let other = s
        .len()
        .checked_sub(37)
        .filter(|&at| s.is_char_boundary(at) && s[at..].starts_with('-'))
        .filter(|&at| at > 0 && Uuid::parse_str(&s[at + 1..]).is_ok())
        .map(|at| &s[..at]);
    let problem = match other {
        Some(other) => format!(
            "{} is a {} id, not a `{prefix}` id: expected `{prefix}-<uuid>` or a bare uuid",
            crate::kernel::input::quoted(s),
            crate::kernel::input::quoted(other)
        ),
        None => format!(
            "{} is not an id: expected `{prefix}-<uuid>` or a bare uuid",
            crate::kernel::input::quoted(s)
        ),
    };
    Err(IdError { problem })
}

macro_rules! typed_id {
    ($(#[doc = $doc:literal])* $name:ident, $prefix:literal) => {
        $(#[doc = $doc])*
        ///
        #[doc = concat!(
            "Written as the bare uuid; displayed `", $prefix, "-<uuid>`; read (and parsed) from ",
            "either, refusing another type's displayed id."
        )]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// The prefix of the displayed form.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
            /// Wraps an id read back from storage or another system.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The underlying uuid, for storage adapters.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "-{}"), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;

            /// The bare uuid or the displayed `prefix-<uuid>`.
            fn from_str(s: &str) -> Result<Self, IdError> {
                parse_id(s, $prefix).map(Self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if !deserializer.is_human_readable() {
                    return Uuid::deserialize(deserializer).map(Self);
                }
                struct IdVisitor;
                impl<'de> Visitor<'de> for IdVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a `", $prefix, "-<uuid>` id or a bare uuid"))
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        parse_id(v, $prefix).map($name).map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(IdVisitor)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn schema_id() -> std::borrow::Cow<'static, str> {
                concat!(module_path!(), "::", stringify!($name)).into()
            }

            /// Written as the bare uuid; read as that or the displayed form.
            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let description = concat!($($doc, "\n",)*).trim();
                if generator.contract().is_deserialize() {
                    schemars::json_schema!({
                        "description": description,
                        "type": "string",
                        // The hyphenated uuid, bare or after the prefix (a pattern, not
                        // `format`, which validators need not assert).
                        "pattern": concat!(
                            "^(", $prefix, "-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-",
                            "[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
                        )
                    })
                } else {
                    schemars::json_schema!({
                        "description": description,
                        "type": "string",
                        "format": "uuid"
                    })
                }
            }
        }
    };
}

typed_id!(
    /// A young person known to the service, across all their episodes.
    YoungPersonId,
    "yp"
);
typed_id!(
    /// One case: a single episode of work, from referral to closure.
    CaseId,
    "case"
);
typed_id!(
    /// A member of the charity's staff (worker, manager, administrator).
    StaffId,
    "staff"
);
typed_id!(
    /// A professional outside the charity (social worker, teacher, police officer...).
    ProfessionalId,
    "prof"
);
typed_id!(
    /// An action the service owes to someone else.
    OwedActionId,
    "owed"
);
typed_id!(
    /// A step waiting for a manager's approval.
    ApprovalId,
    "approval"
);
typed_id!(
    /// One stored event.
    EventId,
    "event"
);
typed_id!(
    /// A goal of a case's action plan.
    GoalId,
    "goal"
);
typed_id!(
    /// A one-to-one session with a young person.
    SessionId,
    "session"
);
typed_id!(
    /// A contact episode: a call, text, visit or drop-in.
    ContactId,
    "contact"
);
typed_id!(
    /// A multi-agency meeting recorded on a case.
    MeetingId,
    "meeting"
);
typed_id!(
    /// A referral out to a partner agency (housing, drug and alcohol, ...).
    PartnerReferralId,
    "partner-referral"
);
typed_id!(
    /// A missing episode of a young person.
    MissingEpisodeId,
    "missing"
);
typed_id!(
    /// A flag raised by repeated missing episodes.
    MissingFlagId,
    "missing-flag"
);
typed_id!(
    /// A group workshop at a school or youth club.
    WorkshopId,
    "workshop"
);
typed_id!(
    /// A report of intelligence about possible perpetrators.
    IntelligenceId,
    "intelligence"
);
typed_id!(
    /// One recorded read of a confidential record (R-27 access log).
    AccessId,
    "access"
);

/// The stream an event belongs to: one per aggregate instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StreamId {
    /// The stream of one case.
    Case(CaseId),
    /// The stream of one young person's identity record.
    YoungPerson(YoungPersonId),
    /// The stream of one group workshop.
    Workshop(WorkshopId),
    /// The stream of one intelligence report, apart from every case.
    Intelligence(IntelligenceId),
    /// Every share of one case's information, with consent or by override.
    Disclosures(CaseId),
    /// One recorded read of a confidential record: a stream of one event, so a read
    /// never waits on, or conflicts with, another.
    Access(AccessId),
    /// A young person's retention record: legal holds and erasures.
    Retention(YoungPersonId),
}

impl StreamId {
    /// The aggregate kind, as stored in the `stream_kind` column of SQL adapters.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            StreamId::Case(_) => "case",
            StreamId::YoungPerson(_) => "young_person",
            StreamId::Workshop(_) => "workshop",
            StreamId::Intelligence(_) => "intelligence",
            StreamId::Disclosures(_) => "disclosures",
            StreamId::Access(_) => "access",
            StreamId::Retention(_) => "retention",
        }
    }

    /// The aggregate's uuid, as stored by adapters.
    #[must_use]
    pub fn uuid(&self) -> Uuid {
        match self {
            StreamId::Case(id) | StreamId::Disclosures(id) => id.as_uuid(),
            StreamId::YoungPerson(id) | StreamId::Retention(id) => id.as_uuid(),
            StreamId::Workshop(id) => id.as_uuid(),
            StreamId::Intelligence(id) => id.as_uuid(),
            StreamId::Access(id) => id.as_uuid(),
        }
    }

    /// Rebuilds a stream id from its stored kind and uuid; `None` for an unknown kind.
    #[must_use]
    pub fn from_parts(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "case" => Some(StreamId::Case(CaseId::from_uuid(id))),
            "young_person" => Some(StreamId::YoungPerson(YoungPersonId::from_uuid(id))),
            "workshop" => Some(StreamId::Workshop(WorkshopId::from_uuid(id))),
            "intelligence" => Some(StreamId::Intelligence(IntelligenceId::from_uuid(id))),
            "disclosures" => Some(StreamId::Disclosures(CaseId::from_uuid(id))),
            "access" => Some(StreamId::Access(AccessId::from_uuid(id))),
            "retention" => Some(StreamId::Retention(YoungPersonId::from_uuid(id))),
            _ => None,
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamId::Case(id) => id.fmt(f),
            StreamId::YoungPerson(id) => id.fmt(f),
            StreamId::Workshop(id) => id.fmt(f),
            StreamId::Intelligence(id) => id.fmt(f),
            StreamId::Disclosures(id) => write!(f, "disclosures of {id}"),
            StreamId::Access(id) => id.fmt(f),
            StreamId::Retention(id) => write!(f, "retention record of {id}"),
        }
    }
}
