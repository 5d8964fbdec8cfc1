//! Anonymisation under the retention schedule (R-23): the one operation that changes history
//! rather than adding to it.
//!
//! [`Acting::anonymise`] rewrites, in place, every stream about a young person: their own
//! record (identity, missing episodes, alumni membership), every case of theirs, each case's
//! shares ([`crate::kernel::ids::StreamId::Disclosures`]) and the access-log records of reads of their
//! records ([`crate::kernel::ids::StreamId::Access`], found by their [`ListingKind::Access`] listings),
//! and, on each workshop they took part in ([`crate::kernel::ids::StreamId::Workshop`], found by their
//! [`ListingKind::WorkshopParticipant`] listings), the events about them alone (see below).
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
//! rewritten event is decoded with its [`DomainEvent`] type, and each stream folded, before
//! the first write**, and a failure refuses the whole operation
//! ([`RetentionRefusal::WouldNotDecode`], naming the stream, version and type).
//!
//! Each stream's read-model row is recomputed from the anonymised state
//! ([`CaseSummary::of`], [`YoungPersonSummary::of`]) and its listings from the crate's own
//! listing functions ([`Listings`], [`crate::privacy::disclosure::listings`],
//! [`AccessEvent::listings`]), in the same transaction as the rewrite; the snapshot is
//! deleted, so a case loads by replaying its anonymised events.
//!
//! ## Recorded, idempotent, resumable
//!
//! The erasure is recorded on the young person's retention stream: `anonymisation_started`
//! (who, when, why, the schedule's date and rule) before the first stream is rewritten, and
//! `records_anonymised` (how many streams and events it covered and rewrote) after the last.
//! Streams are rewritten one transaction each, so a failure half way (the store goes away)
//! leaves some streams anonymised and the start recorded without its finish: the review list
//! shows the young person with `anonymisation_incomplete`, and running [`Acting::anonymise`]
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
//! listings are recomputed from the rewritten stream ([`Listings::of_workshop`]). The erasure's
//! counts include each workshop stream, with the events about this young person as the events
//! it covered.
//!
//! ## Not covered
//!
//! Intelligence reports name young people by id only and are about possible perpetrators,
//! kept under their own policy (R-19), so they are left as they are. The retention stream
//! itself is never rewritten: it is the record of the erasure.

use crate::privacy::access::Permission;
use crate::privacy::access_log::AccessEvent;
use crate::acting::Acting;
use crate::case::CaseEvent;
use crate::privacy::disclosure::{self, DisclosureEvent};
use crate::kernel::event::{decode_stream, DomainEvent, HistoryError, RecordedEvent};
use crate::kernel::ids::{StreamId, YoungPersonId};
use crate::kernel::input::{Postcode, Text};
use crate::read::listing::Listings;
use crate::policy::profile::ServiceProfile;
use crate::read::rows::{
    CaseSummary, Listing, ListingKind, ListingQuery, ReadModelUpdate, YoungPersonSummary,
};
use crate::privacy::retention::{
    Erasure, ErasureCounts, ErasureStarted, RecordedBy, RetentionDue, RetentionError,
    RetentionEvent, RetentionRefusal,
};
use crate::service::{fold, Casework, CommandError};
use crate::store::{RewriteRequest, RewrittenEvent, Store};
use crate::policy::topic::SessionTopic;
use crate::workshop::{Respondent, Workshop, WorkshopEvent};
use crate::young_person::{YoungPerson, YoungPersonActivity, YoungPersonEvent};
use chrono::{DateTime, Datelike, NaiveDate};
use serde_json::Value;
use std::collections::BTreeSet;

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
    pub fn new(profile: &'p ServiceProfile) -> Self {
        Anonymiser { profile }
    }

    /// The anonymised form of a stored payload of `event_type` at `schema_version`. Idempotent.
    pub fn payload(
        &self,
        event_type: &str,
        schema_version: u32,
        payload: &str,
    ) -> Result<String, String> {
        let mut value: Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        // `case_closed` v1 kept the closure reason's tag as a bare top-level string.
        let legacy_reason_tag = event_type == "case_closed" && schema_version < 2;
        self.walk(&mut value, None, None, legacy_reason_tag);
        serde_json::to_string(&value).map_err(|e| e.to_string())
    }

    /// The anonymised form of a stated reason: [`ANONYMISED`] for any reason, none for none.
    pub fn reason(&self, reason: Option<&str>) -> Option<String> {
        reason.map(|_| ANONYMISED.to_owned())
    }

    fn walk(&self, value: &mut Value, key: Option<&str>, parent: Option<&str>, legacy: bool) {
        match value {
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
struct StreamPlan {
    /// Events in the stream.
    events: u64,
    /// The rewrite: changed events only, with the stream's recomputed row and listings.
    rewrite: RewriteRequest,
}

/// Everything about one young person, checked and ready to write.
#[derive(Clone, Debug, Default)]
struct Plan {
    streams: Vec<StreamPlan>,
}

impl Plan {
    fn counts(&self) -> ErasureCounts {
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

/// What [`Acting::anonymise`] did.
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

fn would_not_decode(stored: &[RecordedEvent], e: HistoryError) -> RetentionRefusal {
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

impl<S: Store> Casework<S> {
    /// The anonymised copies of `stored` and the rewrites of those that changed.
    fn anonymised_copies(
        &self,
        stored: &[RecordedEvent],
    ) -> Result<(Vec<RecordedEvent>, Vec<RewrittenEvent>), RetentionRefusal> {
        self.anonymised_copies_of(stored, |_| true)
    }

    /// The copies of `stored` with the events `about` says are about the young person
    /// anonymised (the rest copied as they are), and the rewrites of those that changed.
    fn anonymised_copies_of(
        &self,
        stored: &[RecordedEvent],
        about: impl Fn(&RecordedEvent) -> bool,
    ) -> Result<(Vec<RecordedEvent>, Vec<RewrittenEvent>), RetentionRefusal> {
        let walker = Anonymiser::new(self.profile());
        let mut copies = Vec::with_capacity(stored.len());
        let mut changed = Vec::new();
        for event in stored {
            if !about(event) {
                copies.push(event.clone());
                continue;
            }
            let payload = walker
                .payload(&event.event_type, event.schema_version, &event.payload)
                .map_err(|problem| RetentionRefusal::WouldNotDecode {
                    stream: event.stream,
                    version: event.version,
                    event_type: event.event_type.clone(),
                    problem,
                })?;
            let reason = walker.reason(event.meta.reason.as_deref());
            if payload != event.payload || reason != event.meta.reason {
                changed.push(RewrittenEvent {
                    version: event.version,
                    payload: payload.clone(),
                    reason: reason.clone(),
                });
            }
            let mut copy = event.clone();
            copy.payload = payload;
            copy.meta.reason = reason;
            copies.push(copy);
        }
        Ok((copies, changed))
    }

    /// Plans one stream: anonymises its events, decodes and folds the result, and computes
    /// its row and listings. `None` for an empty stream.
    async fn plan_stream(&self, stream: StreamId) -> Result<Option<StreamPlan>, RetentionError> {
        let stored = self.store().load(stream).await?;
        if stored.is_empty() {
            return Ok(None);
        }
        let (copies, changed) = self.anonymised_copies(&stored)?;
        let bad = |e: HistoryError| RetentionError::Refused(would_not_decode(&stored, e));
        let version = stored.last().map_or(0, |e| e.version);
        let (read_model, listings): (ReadModelUpdate, Vec<Listing>) = match stream {
            StreamId::YoungPerson(_) => {
                let events = decode_stream::<YoungPersonEvent>(&copies).map_err(bad)?;
                let mut person = None;
                for e in &events {
                    person = Some(YoungPerson::evolve(person, &e.event).ok_or_else(|| {
                        bad(HistoryError {
                            stream,
                            version: e.version,
                            problem: crate::kernel::event::HistoryProblem::CannotFollow {
                                event_type: e.event.event_type().to_owned(),
                            },
                        })
                    })?);
                }
                let person = person.ok_or(CommandError::NotFound(stream))?;
                let activity = YoungPersonActivity::fold(events.iter().map(|e| &e.event));
                (
                    ReadModelUpdate::YoungPerson(YoungPersonSummary::of(&person, version)),
                    Listings::of_young_person(&person, &activity).encode(),
                )
            }
            StreamId::Case(_) => {
                let history = decode_stream::<CaseEvent>(&copies).map_err(bad)?;
                let case = fold(&history)
                    .map_err(bad)?
                    .ok_or(CommandError::NotFound(stream))?;
                (
                    ReadModelUpdate::Case(CaseSummary::of(&case, version)),
                    Listings::of_case(&case, self.profile()).encode(),
                )
            }
            StreamId::Disclosures(_) => {
                let shares = decode_stream::<DisclosureEvent>(&copies).map_err(bad)?;
                (
                    ReadModelUpdate::None,
                    disclosure::listings(shares.iter().map(|s| s.event.share())),
                )
            }
            StreamId::Access(_) => {
                let reads = decode_stream::<AccessEvent>(&copies).map_err(bad)?;
                (
                    ReadModelUpdate::None,
                    reads.iter().flat_map(|r| r.event.listings()).collect(),
                )
            }
            StreamId::Workshop(_) | StreamId::Intelligence(_) | StreamId::Retention(_) => {
                unreachable!("only a young person's own streams are anonymised whole")
            }
        };
        Ok(Some(StreamPlan {
            events: stored.len() as u64,
            rewrite: RewriteRequest {
                stream,
                events: changed,
                read_model,
                listings,
            },
        }))
    }

    /// Plans one workshop stream: anonymises only the events about `young_person` (their
    /// identification as vulnerable, their tutorials, their own evaluation form), decodes and
    /// folds the result, and recomputes the workshop's listings. `None` for an empty stream.
    async fn plan_workshop_stream(
        &self,
        stream: StreamId,
        young_person: YoungPersonId,
    ) -> Result<Option<StreamPlan>, RetentionError> {
        let stored = self.store().load(stream).await?;
        if stored.is_empty() {
            return Ok(None);
        }
        let bad = |e: HistoryError| RetentionError::Refused(would_not_decode(&stored, e));
        let about: BTreeSet<u64> = decode_stream::<WorkshopEvent>(&stored)
            .map_err(bad)?
            .iter()
            .filter(|e| match &e.event {
                WorkshopEvent::AttendeeIdentifiedVulnerable {
                    young_person: yp, ..
                } => *yp == young_person,
                WorkshopEvent::TutorialHeld { tutorial } => tutorial.young_person == young_person,
                WorkshopEvent::EvaluationRecorded { evaluation } => {
                    evaluation.respondent == (Respondent::YoungPerson { id: young_person })
                }
                WorkshopEvent::Planned { .. } | WorkshopEvent::AttendanceRecorded { .. } => false,
            })
            .map(|e| e.version)
            .collect();
        let (copies, changed) =
            self.anonymised_copies_of(&stored, |e| about.contains(&e.version))?;
        let history = decode_stream::<WorkshopEvent>(&copies).map_err(bad)?;
        let workshop = Workshop::fold(history.iter().map(|r| &r.event))
            .map_err(|i| {
                bad(HistoryError {
                    stream,
                    version: history[i].version,
                    problem: crate::kernel::event::HistoryProblem::CannotFollow {
                        event_type: history[i].event.event_type().to_owned(),
                    },
                })
            })?
            .ok_or(CommandError::NotFound(stream))?;
        Ok(Some(StreamPlan {
            events: about.len() as u64,
            rewrite: RewriteRequest {
                stream,
                events: changed,
                read_model: ReadModelUpdate::None,
                listings: Listings::of_workshop(&workshop).encode(),
            },
        }))
    }

    /// Every stream about `young_person`, anonymised and checked, nothing written.
    async fn plan_anonymisation(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Plan, RetentionError> {
        let mut streams = vec![StreamId::YoungPerson(young_person)];
        for case in self.cases_of(young_person).await? {
            streams.push(StreamId::Case(case.case_id));
            streams.push(StreamId::Disclosures(case.case_id));
        }
        let reads: BTreeSet<StreamId> = self
            .store()
            .listings(ListingQuery::all(ListingKind::Access).key(young_person.to_string()))
            .await?
            .into_iter()
            .map(|l| l.stream)
            .filter(|s| matches!(s, StreamId::Access(_)))
            .collect();
        streams.extend(reads);
        let mut plan = Plan::default();
        for stream in streams {
            if let Some(p) = self.plan_stream(stream).await? {
                plan.streams.push(p);
            }
        }
        let workshops: BTreeSet<StreamId> = self
            .workshops_of(young_person)
            .await?
            .into_iter()
            .map(|w| StreamId::Workshop(w.workshop_id))
            .collect();
        for stream in workshops {
            if let Some(p) = self.plan_workshop_stream(stream, young_person).await? {
                plan.streams.push(p);
            }
        }
        if plan.streams.is_empty() {
            return Err(CommandError::NotFound(StreamId::YoungPerson(young_person)).into());
        }
        Ok(plan)
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Anonymises everything held about a young person under the retention schedule (`erase`,
    /// R-23): see the module docs for what is kept and what is replaced. Refused, with nothing
    /// written, while a legal hold is in place (naming its reason), before the records are due
    /// (naming the date and the rule), or while a case is open; the reason is required.
    /// Recorded on the young person's retention stream; a second run changes nothing, and a
    /// run after an interrupted one finishes it.
    pub async fn anonymise(
        &self,
        young_person: YoungPersonId,
        reason: &str,
    ) -> Result<Anonymised, RetentionError> {
        self.check_young_person(young_person, Permission::Erase)
            .await?;
        let reason = Text::parse("reason", reason).map_err(RetentionRefusal::from)?;
        let mut record = self.casework.retention_record(young_person).await?;
        if let Some(hold) = record.holds.first() {
            return Err(RetentionRefusal::LegalHold {
                young_person,
                hold: hold.id,
                reason: hold.reason.to_string(),
                placed_at: hold.placed_at,
            }
            .into());
        }
        let now = self.casework.now();
        let (due_on, because) = match self.casework.retention_due(young_person).await? {
            RetentionDue::CaseOpen { case } => {
                return Err(RetentionRefusal::CaseOpen { young_person, case }.into())
            }
            RetentionDue::On { on, because, .. } if now.date_naive() < on => {
                return Err(RetentionRefusal::NotDue {
                    young_person,
                    due_on: on,
                    because: because.to_string(),
                }
                .into())
            }
            RetentionDue::On { on, because, .. } => (on, because.to_string()),
        };
        let plan = self.casework.plan_anonymisation(young_person).await?;
        let counts = plan.counts();
        if counts.rewritten_events == 0 && record.pending.is_none() {
            if let Some(last) = record.erasures.last() {
                return Ok(Anonymised {
                    young_person,
                    erasure: last.clone(),
                    already_anonymised: true,
                });
            }
        }
        let by = RecordedBy::from(self.actor);
        if record.pending.is_none() {
            let started = ErasureStarted {
                reason: reason.clone(),
                due_on,
                because,
                by: by.clone(),
                at: now,
            };
            self.casework
                .append_retention(
                    self.actor,
                    &mut record,
                    RetentionEvent::AnonymisationStarted { started },
                    now,
                    Some(reason.to_string()),
                )
                .await?;
        }
        for stream in plan.streams {
            if stream.rewrite.events.is_empty() {
                continue;
            }
            // A hold placed while this runs (the plan takes time to load) stops it before the
            // next rewrite: the hold wins, and the record shows an anonymisation incomplete.
            let now_held = self.casework.retention_record(young_person).await?;
            if let Some(hold) = now_held.holds.first() {
                return Err(RetentionRefusal::LegalHold {
                    young_person,
                    hold: hold.id,
                    reason: hold.reason.to_string(),
                    placed_at: hold.placed_at,
                }
                .into());
            }
            self.casework.store().rewrite(stream.rewrite).await?;
        }
        let finished_at = self.casework.now().max(now);
        self.casework
            .append_retention(
                self.actor,
                &mut record,
                RetentionEvent::RecordsAnonymised {
                    counts,
                    by,
                    at: finished_at,
                },
                finished_at,
                Some(reason.to_string()),
            )
            .await?;
        let erasure = record
            .erasures
            .last()
            .cloned()
            .expect("the finish just recorded is the last erasure");
        Ok(Anonymised {
            young_person,
            erasure,
            already_anonymised: false,
        })
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
