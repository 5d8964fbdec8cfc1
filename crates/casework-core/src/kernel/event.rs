//! Stored events: the envelope, encoding, and upcasting old payloads on read.
//!
//! Every change is stored as a [`RecordedEvent`]: the stream and its version, a global
//! position, the event's type and schema version, its JSON payload, and who recorded it, when
//! and why. Stores keep the payload as JSON text and know nothing of its shape; the
//! domain decodes it here, upcasting payloads written by an older schema version, and refuses
//! with a typed [`HistoryError`] what it cannot read.

use crate::case::CaseEvent;
use crate::intelligence::IntelligenceEvent;
use crate::kernel::actor::Actor;
use crate::kernel::ids::{EventId, StreamId};
use crate::workshop::WorkshopEvent;
use crate::young_person::YoungPersonEvent;
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// Who recorded an event, when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventMeta {
    /// The event's id.
    pub event_id: EventId,
    /// When it was recorded (microsecond precision, so every store round-trips it exactly).
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub actor: Actor,
    /// Why, when the command stated a reason.
    pub reason: Option<String>,
}

impl EventMeta {
    /// A fresh envelope: a new event id, recorded by `actor` at `at`, with the reason the
    /// command stated.
    #[must_use]
    pub fn new(actor: &Actor, at: DateTime<Utc>, reason: Option<String>) -> Self {
        Self {
            event_id: EventId::new(),
            recorded_at: at,
            actor: actor.clone(),
            reason,
        }
    }
}

/// An event ready to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Type name (`case_closed`).
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: u32,
    /// The payload, JSON text.
    pub payload: String,
    /// Who, when, why.
    pub meta: EventMeta,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Its stream.
    pub stream: StreamId,
    /// Its version within the stream: 1, 2, 3… without gaps.
    pub version: u64,
    /// Its position across all streams, increasing in commit order of each store.
    pub position: u64,
    /// Type name.
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: u32,
    /// The payload, JSON text.
    pub payload: String,
    /// Who, when, why.
    pub meta: EventMeta,
}

/// A decoded event with its envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded<E> {
    /// Its stream.
    pub stream: StreamId,
    /// Its version within the stream.
    pub version: u64,
    /// Its global position.
    pub position: u64,
    /// Who, when, why.
    pub meta: EventMeta,
    /// The event.
    pub event: E,
}

/// A stored history that the domain cannot read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{stream} version {version}: {problem}")]
pub struct HistoryError {
    /// The stream.
    pub stream: StreamId,
    /// The version of the event that could not be read (0: the stream as a whole).
    pub version: u64,
    /// What was wrong.
    pub problem: HistoryProblem,
}

/// What was wrong with a stored history.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HistoryProblem {
    /// No such event type in this version of the library.
    #[error("unknown event type `{0}`")]
    UnknownEventType(String),
    /// Written by a newer version of the library.
    #[error("event type `{event_type}` has schema version {found}, newer than this library's {supported}; upgrade the library")]
    NewerSchema {
        /// The type.
        event_type: String,
        /// Version found.
        found: u32,
        /// Newest version this library reads.
        supported: u32,
    },
    /// The payload does not decode.
    #[error("payload of `{event_type}` does not decode: {message}")]
    BadPayload {
        /// The type.
        event_type: String,
        /// The decoder's message.
        message: String,
    },
    /// The event cannot follow the events before it.
    #[error("`{event_type}` cannot follow the events before it")]
    CannotFollow {
        /// The type.
        event_type: String,
    },
    /// Versions are not 1, 2, 3… without gaps.
    #[error("expected version {expected}, found {found}")]
    VersionGap {
        /// Expected.
        expected: u64,
        /// Found.
        found: u64,
    },
}

/// An event type the store can hold: encoded as JSON with a type name and schema version,
/// decoded with upcasting.
pub trait DomainEvent: Serialize + DeserializeOwned + Sized {
    /// The event's type name.
    fn event_type(&self) -> &'static str;

    /// The current schema version of `event_type`, or `None` for an unknown type.
    fn current_schema(event_type: &str) -> Option<u32>;

    /// The id, as displayed (`session-<uuid>`), of what this event brought into being (a
    /// case, a session, a goal, a pending approval, a workshop…), or `None`. Front ends read a
    /// command's new ids from it (the HTTP `CommandOutcome.created`).
    fn created(&self) -> Option<String> {
        None
    }

    /// Rewrites a payload of `event_type` from schema version `from` to `from + 1`.
    ///
    /// # Errors
    ///
    /// A message saying why, when the payload does not have the shape version `from` had;
    /// [`Self::decode`] reports it as [`HistoryProblem::BadPayload`]. The default never fails.
    fn upcast(event_type: &str, from: u32, payload: Value) -> Result<Value, String> {
        let _ = (event_type, from);
        Ok(payload)
    }

    /// Encodes for storage. An event holding confidential content (a session note, a plan)
    /// encodes only inside [`crate::kernel::confidential::for_storage`], as the library's own appends
    /// do; anywhere else it panics rather than hand the content to whoever asked.
    fn encode(&self, meta: EventMeta) -> NewEvent {
        let event_type = self.event_type();
        NewEvent {
            event_type: event_type.to_owned(),
            schema_version: Self::current_schema(event_type).unwrap_or(1),
            payload: serde_json::to_string(self).expect(
                "events serialize to JSON; one holding confidential content only inside \
                 confidential::for_storage",
            ),
            meta,
        }
    }

    /// Decodes a stored event, upcasting an old payload first.
    ///
    /// # Errors
    ///
    /// [`HistoryError`] (`history_unreadable`) at the event's stream and version, with
    /// [`HistoryProblem::UnknownEventType`] when this library has no such event type;
    /// [`HistoryProblem::NewerSchema`] when the schema version is newer than this library
    /// reads; [`HistoryProblem::BadPayload`] when the schema version is 0, the payload is not
    /// JSON, an upcast refuses it, or it does not decode into the event.
    fn decode(stored: &RecordedEvent) -> Result<Self, HistoryError> {
        let fail = |problem| HistoryError {
            stream: stored.stream,
            version: stored.version,
            problem,
        };
        let ty = stored.event_type.as_str();
        let current = Self::current_schema(ty)
            .ok_or_else(|| fail(HistoryProblem::UnknownEventType(ty.to_owned())))?;
        let bad = |message: String| {
            fail(HistoryProblem::BadPayload {
                event_type: ty.to_owned(),
                message,
            })
        };
        if stored.schema_version == 0 {
            return Err(bad(
                "schema version 0 does not exist; versions start at 1".into()
            ));
        }
        if stored.schema_version > current {
            return Err(fail(HistoryProblem::NewerSchema {
                event_type: ty.to_owned(),
                found: stored.schema_version,
                supported: current,
            }));
        }
        if stored.schema_version == current {
            return serde_json::from_str(&stored.payload).map_err(|e| bad(e.to_string()));
        }
        let mut value: Value =
            serde_json::from_str(&stored.payload).map_err(|e| bad(e.to_string()))?;
        for from in stored.schema_version..current {
            value = Self::upcast(ty, from, value).map_err(&bad)?;
        }
        serde_json::from_value(value).map_err(|e| bad(e.to_string()))
    }
}

/// Every case event type this library reads.
pub const CASE_EVENT_TYPES: &[&str] = &[
    "referral_received",
    "consent_recorded",
    "professional_involved",
    "eligibility_screened",
    "risk_assessed",
    "owed_action_raised",
    "owed_action_sent",
    "owed_action_acknowledged",
    "owed_action_explained",
    "outcome_given",
    "referral_withdrawn",
    "case_allocated",
    "case_reallocated",
    "plan_agreed",
    "work_begun",
    "case_paused",
    "case_resumed",
    "review_recorded",
    "closure_proposed",
    "closure_agreed",
    "closure_proposal_withdrawn",
    "approval_requested",
    "approval_given",
    "approval_refused",
    "risk_level_overridden",
    "case_closed",
    "goal_added",
    "goal_achieved",
    "goal_dropped",
    "session_planned",
    "session_held",
    "session_cancelled",
    "session_not_attended",
    "contact_recorded",
    "programme_assigned",
    "cadence_changed",
    "meeting_recorded",
    "partner_referral_sent",
    "partner_referral_updated",
];

/// Every young person event type this library reads.
pub const YOUNG_PERSON_EVENT_TYPES: &[&str] = &[
    "young_person_registered",
    "young_person_details_corrected",
    "missing_episode_started",
    "missing_episode_ended",
    "return_interview_recorded",
    "missing_pattern_flagged",
    "missing_flag_resolved",
    "alumni_joined",
    "alumni_left",
    "possible_duplicates_flagged",
    "same_person_recorded",
    "not_same_person_recorded",
];

/// Every workshop event type this library reads.
pub const WORKSHOP_EVENT_TYPES: &[&str] = &[
    "workshop_planned",
    "workshop_attendance_recorded",
    "workshop_attendee_identified_vulnerable",
    "workshop_tutorial_held",
    "workshop_evaluation_recorded",
];

/// Every intelligence event type this library reads.
pub const INTELLIGENCE_EVENT_TYPES: &[&str] =
    &["intelligence_recorded", "intelligence_passed_to_police"];

impl DomainEvent for CaseEvent {
    fn event_type(&self) -> &'static str {
        CaseEvent::event_type(self)
    }

    fn created(&self) -> Option<String> {
        CaseEvent::created(self)
    }

    /// Every case event is at schema 1, except `case_closed` at 2 (see [`Self::upcast`]).
    fn current_schema(event_type: &str) -> Option<u32> {
        match event_type {
            "case_closed" => Some(2),
            other => CASE_EVENT_TYPES.contains(&other).then_some(1),
        }
    }

    /// `case_closed` v1 (the draft format before 0.1) stored the reason as a bare string, with
    /// any words in `reason_text`; v2 stores the typed reason object of R-15.
    fn upcast(event_type: &str, from: u32, mut payload: Value) -> Result<Value, String> {
        if event_type == "case_closed" && from == 1 {
            let obj = payload.as_object_mut().ok_or("payload is not an object")?;
            let reason = obj
                .remove("reason")
                .and_then(|r| r.as_str().map(str::to_owned))
                .ok_or("v1 `reason` is not a string")?;
            let text = obj.remove("reason_text");
            let mut typed = serde_json::Map::new();
            typed.insert("reason".into(), Value::String(reason.clone()));
            match (reason.as_str(), text) {
                ("transferred", Some(t)) => {
                    typed.insert("to".into(), t);
                }
                ("other", Some(t)) => {
                    typed.insert("text".into(), t);
                }
                _ => {}
            }
            obj.insert("reason".into(), Value::Object(typed));
        }
        Ok(payload)
    }
}

impl DomainEvent for YoungPersonEvent {
    fn event_type(&self) -> &'static str {
        match self {
            YoungPersonEvent::Registered { .. } => "young_person_registered",
            YoungPersonEvent::DetailsCorrected { .. } => "young_person_details_corrected",
            YoungPersonEvent::MissingEpisodeStarted { .. } => "missing_episode_started",
            YoungPersonEvent::MissingEpisodeEnded { .. } => "missing_episode_ended",
            YoungPersonEvent::ReturnInterviewRecorded { .. } => "return_interview_recorded",
            YoungPersonEvent::MissingPatternFlagged { .. } => "missing_pattern_flagged",
            YoungPersonEvent::MissingFlagResolved { .. } => "missing_flag_resolved",
            YoungPersonEvent::AlumniJoined { .. } => "alumni_joined",
            YoungPersonEvent::AlumniLeft { .. } => "alumni_left",
            YoungPersonEvent::PossibleDuplicatesFlagged { .. } => "possible_duplicates_flagged",
            YoungPersonEvent::SamePersonRecorded { .. } => "same_person_recorded",
            YoungPersonEvent::NotSamePersonRecorded { .. } => "not_same_person_recorded",
        }
    }

    fn created(&self) -> Option<String> {
        YoungPersonEvent::created(self)
    }

    /// Every young person event is at schema 1.
    fn current_schema(event_type: &str) -> Option<u32> {
        YOUNG_PERSON_EVENT_TYPES.contains(&event_type).then_some(1)
    }
}

impl DomainEvent for WorkshopEvent {
    fn event_type(&self) -> &'static str {
        WorkshopEvent::event_type(self)
    }

    fn created(&self) -> Option<String> {
        WorkshopEvent::created(self)
    }

    /// Every workshop event is at schema 1.
    fn current_schema(event_type: &str) -> Option<u32> {
        WORKSHOP_EVENT_TYPES.contains(&event_type).then_some(1)
    }
}

impl DomainEvent for IntelligenceEvent {
    fn event_type(&self) -> &'static str {
        IntelligenceEvent::event_type(self)
    }

    fn created(&self) -> Option<String> {
        IntelligenceEvent::created(self)
    }

    /// Every intelligence event is at schema 1.
    fn current_schema(event_type: &str) -> Option<u32> {
        INTELLIGENCE_EVENT_TYPES.contains(&event_type).then_some(1)
    }
}

/// Decodes a whole stream, checking that versions run 1, 2, 3… without gaps.
///
/// # Errors
///
/// As [`decode_stream_from`] from version 1: the first [`HistoryError`]
/// (`history_unreadable`), a [`HistoryProblem::VersionGap`] or an event
/// [`DomainEvent::decode`] refuses.
pub fn decode_stream<E: DomainEvent>(
    stored: &[RecordedEvent],
) -> Result<Vec<Recorded<E>>, HistoryError> {
    decode_stream_from(stored, 1)
}

/// Decodes part of a stream that should start at version `first`, checking for gaps.
///
/// # Errors
///
/// The first [`HistoryError`] (`history_unreadable`) in stream order:
/// [`HistoryProblem::VersionGap`] when the `i`-th stored event's version is not `first + i`;
/// otherwise whatever [`DomainEvent::decode`] refuses for that event.
pub fn decode_stream_from<E: DomainEvent>(
    stored: &[RecordedEvent],
    first: u64,
) -> Result<Vec<Recorded<E>>, HistoryError> {
    stored
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let expected = first + i as u64;
            if s.version != expected {
                return Err(HistoryError {
                    stream: s.stream,
                    version: s.version,
                    problem: HistoryProblem::VersionGap {
                        expected,
                        found: s.version,
                    },
                });
            }
            Ok(Recorded {
                stream: s.stream,
                version: s.version,
                position: s.position,
                meta: s.meta.clone(),
                event: E::decode(s)?,
            })
        })
        .collect()
}

impl crate::kernel::code::ErrorCode for HistoryError {
    fn code(&self) -> &'static str {
        "history_unreadable"
    }
}
