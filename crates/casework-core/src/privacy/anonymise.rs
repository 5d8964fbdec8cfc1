//! Anonymisation under the retention schedule (R-23): the one operation that changes history
//! rather than adding to it.
//!
//! `Acting::anonymise` (in `casework-service`) rewrites, in place, every stream about a young person: their own
//! record (identity, missing episodes, alumni membership), every case of theirs, each case's
//! shares ([`crate::kernel::ids::StreamId::Disclosures`]) and the access-log records of reads of their
//! records ([`crate::kernel::ids::StreamId::Access`], found by their [`ListingKind::Access`](crate::read::rows::ListingKind::Access) listings),
//! and, on each workshop they took part in ([`crate::kernel::ids::StreamId::Workshop`], found by their
//! [`ListingKind::WorkshopParticipant`](crate::read::rows::ListingKind::WorkshopParticipant) listings), the events about them alone (see below).
//! It is refused, with nothing written, while a legal hold is in place, before the records
//! are due under the schedule, or while a case is open ([`RetentionRefusal`]).
//!
//! ## What is kept, what is replaced
//!
//! The statistical shape stays: every event keeps its type, its version, its recorded time
//! and who recorded it (staff are not the subject of the records), so counts by type, waiting
//! times, risk at opening and closing, outcomes, closure reasons and caseloads are answered
//! as before (R-29); `case_as_of` and `history` still fold. Within payloads the rule is
//! **deny by default**, by walking each payload's JSON ([`Anonymiser`]):
//!
//! - kept as they are: numbers, booleans and nulls (ages, scores, durations, counts); ids
//!   (any uuid); times and dates (any RFC 3339 time, any `YYYY-MM-DD` date); the vocabulary
//!   words of tagged fields (`type`, `source`, `outcome`, `status`, `scope`, `kind`, `level`,
//!   `decision`, … and a closure, pause or ineligibility reason's tag) when they are
//!   `snake_case` words; and the service's own configuration words (`service`, `owed_to`,
//!   `tool`, `tool_version`, `floors_applied`, `programme`, indicator `key` and `group`, an
//!   evaluation form's `question`);
//!   session topics from the vocabulary or the service's programmes;
//! - coarsened: a date of birth to the first of its month (ages stay derivable to the
//!   month); a postcode to its district (`LS6 2AB` → `LS6`);
//! - replaced by [`ANONYMISED`]: every other string: names (the young person's, parents',
//!   professionals', staff), free text (reasons, purposes, references, agencies, meeting
//!   actions, resources) and confidential text (concerns, plans, goals, session notes, tutorial
//!   notes, an evaluation form's own words). Each event's stated reason is replaced too.
//!
//! A field this list does not know is replaced, so a new free-text field is anonymised
//! without anyone remembering to add it. The price is that a new vocabulary field may be
//! replaced when it should be kept; that is caught before anything is written: **every
//! rewritten event is decoded with its [`DomainEvent`](crate::kernel::event::DomainEvent) type, and each stream folded, before
//! the first write**, and a failure refuses the whole operation
//! ([`RetentionRefusal::WouldNotDecode`], naming the stream, version and type).
//!
//! Each stream's read-model row is recomputed from the anonymised state
//! ([`CaseSummary::of`](crate::read::rows::CaseSummary::of), [`YoungPersonSummary::of`](crate::read::rows::YoungPersonSummary::of)) and its listings from the crate's own
//! listing functions ([`Listings`](crate::read::listing::Listings), [`crate::privacy::disclosure::listings`],
//! [`AccessEvent::listings`](crate::privacy::access_log::AccessEvent::listings)), in the same transaction as the rewrite; the snapshot is
//! deleted, so a case loads by replaying its anonymised events.
//!
//! ## Recorded, idempotent, resumable
//!
//! The erasure is recorded on the young person's retention stream: `anonymisation_started`
//! (who, when, why, the schedule's date and rule) before the first stream is rewritten, and
//! `records_anonymised` (how many streams and events it covered and rewrote) after the last.
//! Streams are rewritten one transaction each, so a failure half way (the store goes away)
//! leaves some streams anonymised and the start recorded without its finish: the review list
//! shows the young person with `anonymisation_incomplete`, and running `Acting::anonymise` (in `casework-service`)
//! again rewrites what is left and records the finish. Anonymising what is already anonymised
//! changes nothing (the marker stays the marker, a district stays a district, the first of a
//! month stays the first), so a second run over finished records writes nothing at all and
//! says so ([`Anonymised::already_anonymised`]); a run after something new was recorded about
//! the young person (a later read of their records, say) anonymises just that.
//!
//! A command appended to one of the streams between the plan and its rewrite is not covered
//! by that run (its row may be recomputed from the state before it); a rerun covers it.
//!
//! ## Workshops: only the events about them
//!
//! A workshop's stream is shared by everyone who attended, so only the events about this young
//! person go through the walker: their identification as vulnerable (the concerns), their
//! individual tutorials (the notes) and their own evaluation form (its words on what was
//! learnt; the questions and the 1-to-5 answers stay). Events about other young people are
//! left exactly as they are, and so are the plan (venue, date, topics: the service's own
//! activity) and the attendance events, which keep every attendee's id, this young person's
//! too: ids are pseudonymous, and with the records they pointed to anonymised they name no one,
//! while the workshop's reach and evaluation results (R-29) stay as they were. The workshop's
//! listings are recomputed from the rewritten stream ([`Listings::of_workshop`](crate::read::listing::Listings::of_workshop)). The erasure's
//! counts include each workshop stream, with the events about this young person as the events
//! it covered.
//!
//! ## Not covered
//!
//! Intelligence reports name young people by id only and are about possible perpetrators,
//! kept under their own policy (R-19), so they are left as they are. The retention stream
//! itself is never rewritten: it is the record of the erasure.

use crate::kernel::event::{HistoryError, RecordedEvent};
use crate::kernel::ids::YoungPersonId;
use crate::kernel::input::Postcode;
use crate::policy::profile::ServiceProfile;
use crate::policy::topic::SessionTopic;
use crate::privacy::retention::{Erasure, ErasureCounts, RetentionRefusal};
use crate::store::RewriteRequest;
use chrono::{DateTime, Datelike, NaiveDate};
use serde_json::Value;

/// What every name, free text and confidential text becomes.
pub const ANONYMISED: &str = "[anonymised]";

/// Fields whose strings are vocabulary words (enum values and tags): kept when they are
/// `snake_case` words.
const TAG_FIELDS: &[&str] = &[
    "type",
    "source",
    "outcome",
    "scope",
    "status",
    "place",
    "with",
    "party",
    "step",
    "basis",
    "subject",
    "audience",
    "item",
    "items",
    "gender",
    "kind",
    "decision",
    "method",
    "by",
    "window",
    "level",
    "computed",
    "banded",
    "partner",
    "direction",
    "contact_preferences",
    "role",
    "relationship",
    "link",
    "urgency",
    "channel",
    "stage",
    "cancelled_by",
    "respondent",
];

/// Fields whose strings are the service's own configuration (its name, recipients, the risk
/// tool's words, programme keys): kept.
const CONFIG_FIELDS: &[&str] = &[
    "service",
    "owed_to",
    "tool",
    "tool_version",
    "floors_applied",
    "programme",
    "key",
    "group",
    "question",
];

/// The payload walker: see the module docs for what it keeps, coarsens and replaces.
#[derive(Clone, Copy, Debug)]
pub struct Anonymiser<'p> {
    profile: &'p ServiceProfile,
}

impl<'p> Anonymiser<'p> {
    /// A walker for a service run with `profile` (its programmes' topics are kept).
    #[must_use]
    pub fn new(profile: &'p ServiceProfile) -> Self {
        Anonymiser { profile }
    }

    /// The anonymised form of a stored payload of `event_type` at `schema_version`. Idempotent.
    ///
    /// # Errors
    ///
    /// The JSON parser's message when `payload` is not valid JSON (serializing the walked value
    /// back does not fail); sealed identifying details whose key is not in scope
    /// ([`crate::kernel::sealing::open_identifying_in`]: they are opened first, so that they
    /// are coarsened like any others).
    pub fn payload(
        &self,
        event_type: &str,
        schema_version: u32,
        payload: &str,
    ) -> Result<String, String> {
        let mut value: Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        crate::kernel::sealing::open_identifying_in(&mut value)?;
        // `case_closed` v1 kept the closure reason's tag as a bare top-level string.
        let legacy_reason_tag = event_type == "case_closed" && schema_version < 2;
        self.walk(&mut value, None, None, legacy_reason_tag);
        serde_json::to_string(&value).map_err(|e| e.to_string())
    }

    /// The anonymised form of a stated reason: [`ANONYMISED`] for any reason, none for none.
    #[must_use]
    pub fn reason(&self, reason: Option<&str>) -> Option<String> {
        reason.map(|_| ANONYMISED.to_owned())
    }

    fn walk(&self, value: &mut Value, key: Option<&str>, parent: Option<&str>, legacy: bool) {
        match value {
            // Content sealed with the young person's data key stays as it is: the erasure
            // destroys the key, so nothing opens it again (R-23, kernel::sealing).
            Value::Object(map)
                if map.len() == 2 && map.contains_key("sealed") && map.contains_key("owner") => {}
            Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    self.walk(child, Some(k), key, legacy);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(item, key, parent, legacy);
                }
            }
            Value::String(s) => {
                if let Some(kept) = self.string(s, key.unwrap_or(""), parent, legacy) {
                    *s = kept;
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// The new value of a string at field `key`, or `None` to keep it.
    fn string(&self, s: &str, key: &str, parent: Option<&str>, legacy: bool) -> Option<String> {
        let marker = || Some(ANONYMISED.to_owned());
        match key {
            "date_of_birth" => {
                return match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(date) => Some(date.with_day(1).unwrap_or(date).to_string()),
                    Err(_) => marker(),
                };
            }
            "postcode" => {
                return match Postcode::parse(s) {
                    Ok(p) => Some(p.district().to_owned()),
                    Err(_) => marker(),
                };
            }
            "topics" => {
                return if self.topic_kept(s) { None } else { marker() };
            }
            _ => {}
        }
        if is_structure(s) {
            return None;
        }
        if key == "reason" {
            // A tag when it is inside a closure, pause or ineligibility reason (`reason.reason`,
            // `reasons[].reason`), or the bare tag of a v1 `case_closed`; text otherwise.
            let tag = matches!(parent, Some("reason" | "reasons")) || (legacy && parent.is_none());
            return if tag && is_word(s) { None } else { marker() };
        }
        if TAG_FIELDS.contains(&key) && is_word(s) {
            return None;
        }
        if CONFIG_FIELDS.contains(&key) {
            return None;
        }
        marker()
    }

    fn topic_kept(&self, s: &str) -> bool {
        match SessionTopic::parse("topic", s) {
            Ok(topic) => {
                topic.is_vocabulary()
                    || topic
                        .check_offered("topic", self.profile.programmes.iter())
                        .is_ok()
            }
            Err(_) => false,
        }
    }
}

/// Ids, times and dates: structure, never personal words.
fn is_structure(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
        || DateTime::parse_from_rfc3339(s).is_ok()
        || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// A `snake_case` vocabulary word.
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// One stream's anonymisation, checked and ready to write.
#[derive(Clone, Debug)]
pub struct StreamPlan {
    /// Events in the stream.
    pub events: u64,
    /// The rewrite: changed events only, with the stream's recomputed row and listings.
    pub rewrite: RewriteRequest,
}

/// Everything about one young person, checked and ready to write.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Each stream's rewrite, in the order they are written.
    pub streams: Vec<StreamPlan>,
}

impl Plan {
    /// What the plan reads and rewrites, as recorded in the erasure.
    #[must_use]
    pub fn counts(&self) -> ErasureCounts {
        let changed: Vec<_> = self
            .streams
            .iter()
            .filter(|s| !s.rewrite.events.is_empty())
            .collect();
        ErasureCounts {
            streams: self.streams.len() as u64,
            events: self.streams.iter().map(|s| s.events).sum(),
            rewritten_streams: changed.len() as u64,
            rewritten_events: changed.iter().map(|s| s.rewrite.events.len() as u64).sum(),
        }
    }
}

/// What an anonymisation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anonymised {
    /// Whose records.
    pub young_person: YoungPersonId,
    /// The erasure as recorded on the retention stream (the earlier one when nothing was left
    /// to do).
    pub erasure: Erasure,
    /// Whether the records were already anonymised: nothing was written.
    pub already_anonymised: bool,
}

/// The refusal for a rewritten event that would not decode: nothing is written (R-23).
#[must_use]
pub fn would_not_decode(stored: &[RecordedEvent], e: HistoryError) -> RetentionRefusal {
    let event_type = stored
        .iter()
        .find(|s| s.version == e.version)
        .map(|s| s.event_type.clone())
        .unwrap_or_default();
    RetentionRefusal::WouldNotDecode {
        stream: e.stream,
        version: e.version,
        event_type,
        problem: e.problem.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::profile::examples::city_girls_service;

    fn walk(event_type: &str, schema: u32, payload: &str) -> Value {
        let profile = city_girls_service();
        let out = Anonymiser::new(&profile)
            .payload(event_type, schema, payload)
            .unwrap();
        serde_json::from_str(&out).unwrap()
    }

    #[test]
    fn r23_names_and_text_go_tags_ids_and_times_stay() {
        let v = walk(
            "case_closed",
            2,
            r#"{"type":"case_closed","reason":{"reason":"transferred","to":"Aunt Wilhelmina's service"},"at":"2026-03-02T09:00:00Z"}"#,
        );
        assert_eq!(v["reason"]["reason"], "transferred");
        assert_eq!(v["reason"]["to"], ANONYMISED);
        assert_eq!(v["at"], "2026-03-02T09:00:00Z");
        let v = walk(
            "missing_flag_resolved",
            1,
            r#"{"type":"missing_flag_resolved","flag":"0b4e0d0c-9d4b-4a55-8d8e-2b8f4a3c1d2e","reason":"other","at":"2026-03-02T09:00:00Z"}"#,
        );
        // A reason in words is text, even when it looks like a word.
        assert_eq!(v["reason"], ANONYMISED);
        assert_eq!(v["flag"], "0b4e0d0c-9d4b-4a55-8d8e-2b8f4a3c1d2e");
        let v = walk(
            "eligibility_screened",
            1,
            r#"{"type":"eligibility_screened","screening":{"age_on_referral":19,"reasons":[{"reason":"outside_area","postcode":"WF1 2AB"},{"reason":"too_old","age":19,"max_age":18}]}}"#,
        );
        assert_eq!(v["screening"]["reasons"][0]["reason"], "outside_area");
        assert_eq!(v["screening"]["reasons"][0]["postcode"], "WF1");
        assert_eq!(v["screening"]["reasons"][1]["age"], 19);
        let v = walk(
            "young_person_registered",
            1,
            r#"{"type":"young_person_registered","details":{"name":"Amy Example","date_of_birth":"2011-05-14","gender":"female","postcode":"LS6 2AB","learning_difficulty":true,"contact_preferences":["text"]},"at":"2026-03-02T09:00:00Z","id":"0b4e0d0c-9d4b-4a55-8d8e-2b8f4a3c1d2e"}"#,
        );
        assert_eq!(v["details"]["name"], ANONYMISED);
        assert_eq!(v["details"]["date_of_birth"], "2011-05-01");
        assert_eq!(v["details"]["postcode"], "LS6");
        assert_eq!(v["details"]["gender"], "female");
        assert_eq!(v["details"]["contact_preferences"][0], "text");
        // A vocabulary field holding anything but a word is replaced too.
        let v = walk(
            "contact_recorded",
            1,
            r#"{"type":"contact_recorded","contact":{"kind":"Call Amy's mum"}}"#,
        );
        assert_eq!(v["contact"]["kind"], ANONYMISED);
    }

    #[test]
    fn r23_a_v1_case_closed_keeps_its_bare_reason_tag() {
        let v = walk(
            "case_closed",
            1,
            r#"{"type":"case_closed","reason":"transferred","reason_text":"to the Harbour project","at":"2026-03-02T09:00:00Z"}"#,
        );
        assert_eq!(v["reason"], "transferred");
        assert_eq!(v["reason_text"], ANONYMISED);
    }

    #[test]
    fn r23_topics_from_the_vocabulary_stay_others_go() {
        let v = walk(
            "session_held",
            1,
            r#"{"type":"session_held","topics":["grooming_process","Amy's aunt's flat"]}"#,
        );
        assert_eq!(v["topics"][0], "grooming_process");
        assert_eq!(v["topics"][1], ANONYMISED);
    }

    #[test]
    fn r23_anonymising_is_idempotent() {
        let profile = city_girls_service();
        let walker = Anonymiser::new(&profile);
        let payload = r#"{"type":"young_person_registered","details":{"name":"Amy Example","date_of_birth":"2011-05-14","gender":"female","postcode":"LS6 2AB","learning_difficulty":false,"contact_preferences":[]},"at":"2026-03-02T09:00:00Z","id":"0b4e0d0c-9d4b-4a55-8d8e-2b8f4a3c1d2e"}"#;
        let once = walker
            .payload("young_person_registered", 1, payload)
            .unwrap();
        let twice = walker.payload("young_person_registered", 1, &once).unwrap();
        assert_eq!(once, twice);
        assert_eq!(walker.reason(Some("why")), Some(ANONYMISED.to_owned()));
        assert_eq!(walker.reason(None), None);
        assert!(walker.payload("x", 1, "not json").is_err());
    }
}
