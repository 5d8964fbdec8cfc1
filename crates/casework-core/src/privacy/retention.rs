//! Retention: how long a young person's records are kept, legal holds, and the review
//! list of records due under the schedule.
//!
//! **The schedule** is the service profile's ([`RetentionSchedule`]): keep until a birthday
//! (25), and at least some years after the young person's last case ended (6), and for much
//! longer (75 years) where the records concern sexual abuse or exploitation. Each applicable
//! rule gives a date and the latest wins; [`retention_due`] computes it, naming the rule that
//! set it. A young person with an open case is never due, whatever the dates say. A case
//! "ended" when it closed, or when its referral was declined, signposted or withdrawn.
//!
//! **Legal holds** (litigation, a police investigation, an inquiry, a serious case review)
//! stop erasure whatever the schedule says. Each is placed with a reason and lifted with a
//! reason, attributed, on the young person's retention stream
//! ([`crate::kernel::ids::StreamId::Retention`]), and every hold in place is listed
//! ([`ListingKind::LegalHold`], keyed by the young person's id, at when it was placed).
//!
//! **The review list** (`Acting::retention_review` (in `casework-service`)) is every young person whose records fell
//! due on or before a date, with the date, the rule that set it, and any hold in place that
//! blocks erasure (shown with its reason). Young people are found through their finished
//! cases' [`ListingKind::ClosedCase`] listings, so someone registered who never had a case is
//! not found by it. Someone already anonymised is not listed again unless an anonymisation of
//! theirs was interrupted, when the entry says so: run `Acting::anonymise` (in `casework-service`) again to finish it.
//!
//! Anonymisation itself is [`crate::privacy::anonymise`]; the retention stream records it too
//! ([`RetentionEvent::AnonymisationStarted`], [`RetentionEvent::RecordsAnonymised`]). The
//! retention stream is never anonymised: it is the record that the erasure happened, who did
//! it, when and why, so hold and erasure reasons should say why in terms of the law or the
//! schedule, never by repeating what the records said.
//!
//! Permissions: `manage_retention` to place and lift holds and to read the schedule's
//! answers; `erase` to anonymise. The administrator role has both; see [`crate::privacy::access`].
//!
//! Why one module of this size: the schedule, legal holds, the retention stream's events and the
//! refusals are one policy whose cases are tested together in this file.

use crate::aggregate::Aggregate;
use crate::case::{Case, CaseEvent};
use crate::kernel::actor::{Actor, Role};
use crate::kernel::chain::StreamHead;
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::event::{DomainEvent, HistoryError, HistoryProblem, Recorded};
use crate::kernel::ids::{CaseId, StaffId, StreamId, YoungPersonId};
use crate::kernel::input::{InputError, Text};
use crate::kernel::tag::kind_tagged;
use crate::policy::profile::RetentionSchedule;
use crate::policy::profile::ServiceProfile;
use crate::privacy::access::Permission;
use crate::read::listing::Listings;
use crate::read::rows::{Listing, ListingKind};
use crate::young_person::YoungPersonEvent;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use uuid::Uuid;

/// Every retention event type this library reads.
pub const RETENTION_EVENT_TYPES: &[&str] = &[
    "legal_hold_placed",
    "legal_hold_lifted",
    "anonymisation_started",
    "records_anonymised",
];

/// A legal hold's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct LegalHoldId(Uuid);

impl LegalHoldId {
    /// A fresh random id.
    #[must_use]
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// Wraps an id read back from storage or another system.
    #[must_use]
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The underlying uuid.
    #[must_use]
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for LegalHoldId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for LegalHoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hold-{}", self.0)
    }
}

/// Who did something on a retention record, as the record keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordedBy {
    /// Who.
    pub staff: StaffId,
    /// Their name.
    pub name: String,
    /// The role they acted in.
    pub role: Role,
}

impl From<&Actor> for RecordedBy {
    fn from(actor: &Actor) -> Self {
        RecordedBy {
            staff: actor.id,
            name: actor.name.clone(),
            role: actor.role,
        }
    }
}

impl fmt::Display for RecordedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.role)
    }
}

/// A legal hold in place: nothing about the young person may be erased while it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LegalHold {
    /// Its id.
    pub id: LegalHoldId,
    /// Whose records it holds.
    pub young_person: YoungPersonId,
    /// Why: the proceedings, investigation or inquiry, in words. Visible to whoever manages
    /// retention (never confidential: an administrator must see why a hold is in place) and
    /// kept after the records are anonymised, so it never names the young person
    /// ([`check_reason`]).
    pub reason: Text,
    /// Who placed it.
    pub placed_by: RecordedBy,
    /// When.
    pub placed_at: DateTime<Utc>,
}

impl LegalHold {
    /// Its listing ([`ListingKind::LegalHold`]): keyed by the young person, at when placed.
    #[must_use]
    pub fn listing(&self) -> Listing {
        Listing {
            kind: ListingKind::LegalHold,
            key: self.young_person.to_string(),
            at: Some(self.placed_at),
            detail: serde_json::to_string(self).expect("legal holds serialize"),
        }
    }
}

/// A legal hold that was lifted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LiftedHold {
    /// The hold as it was placed.
    pub hold: LegalHold,
    /// Why it was lifted: visible and kept as a hold's reason is ([`check_reason`]).
    pub reason: Text,
    /// Who lifted it.
    pub lifted_by: RecordedBy,
    /// When.
    pub lifted_at: DateTime<Utc>,
}

/// The start of an anonymisation: who, when, why, and the schedule's answer it relied on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ErasureStarted {
    /// Why, in the words of the person erasing: visible and kept as a hold's reason is
    /// ([`check_reason`]).
    pub reason: Text,
    /// When the records fell due under the schedule.
    pub due_on: NaiveDate,
    /// The rule that set that date, in words.
    pub because: String,
    /// Who started it.
    pub by: RecordedBy,
    /// When.
    pub at: DateTime<Utc>,
}

/// What an anonymisation covered, recorded when it finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ErasureCounts {
    /// Streams about the young person (their record, cases, shares, access-log records).
    pub streams: u64,
    /// Events in those streams.
    pub events: u64,
    /// Streams rewritten by this run (fewer when an earlier, interrupted run did some).
    pub rewritten_streams: u64,
    /// Events rewritten by this run.
    pub rewritten_events: u64,
}

/// One finished anonymisation of a young person's records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Erasure {
    /// How it started: who, when, why.
    pub started: ErasureStarted,
    /// Who finished it (the same person, unless a rerun finished an interrupted one).
    pub finished_by: RecordedBy,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// What it covered.
    pub counts: ErasureCounts,
}

/// What happens on a young person's retention record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RetentionEvent {
    /// A legal hold was placed.
    LegalHoldPlaced {
        /// The hold.
        hold: LegalHold,
    },
    /// A legal hold was lifted.
    LegalHoldLifted {
        /// Which.
        hold: LegalHoldId,
        /// Why.
        reason: Text,
        /// Who.
        by: RecordedBy,
        /// When.
        at: DateTime<Utc>,
    },
    /// Anonymisation began: recorded before any stream is rewritten, so an interrupted one is
    /// visible (and a rerun finishes it).
    AnonymisationStarted {
        /// Who, when, why.
        started: ErasureStarted,
    },
    /// Anonymisation finished.
    RecordsAnonymised {
        /// What it covered.
        counts: ErasureCounts,
        /// Who finished it.
        by: RecordedBy,
        /// When.
        at: DateTime<Utc>,
        /// The head of each stream this run rewrote, as its hash chain stood right after the
        /// rewrite linked it again (R-18, ADR 0014): a later change to those events that also
        /// recomputes their links no longer matches, so `verify` tells this erasure from
        /// tampering. Empty in erasures recorded before the chain.
        #[serde(default)]
        rechained: Vec<StreamHead>,
    },
}

impl DomainEvent for RetentionEvent {
    fn event_type(&self) -> &'static str {
        match self {
            RetentionEvent::LegalHoldPlaced { .. } => "legal_hold_placed",
            RetentionEvent::LegalHoldLifted { .. } => "legal_hold_lifted",
            RetentionEvent::AnonymisationStarted { .. } => "anonymisation_started",
            RetentionEvent::RecordsAnonymised { .. } => "records_anonymised",
        }
    }

    /// Every retention event is at schema 1.
    fn current_schema(event_type: &str) -> Option<u32> {
        RETENTION_EVENT_TYPES.contains(&event_type).then_some(1)
    }
}

/// A young person's retention record: the fold of their retention stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionRecord {
    /// Whose.
    pub young_person: YoungPersonId,
    /// Holds in place, oldest first.
    pub holds: Vec<LegalHold>,
    /// Holds lifted, in the order lifted.
    pub lifted: Vec<LiftedHold>,
    /// Finished anonymisations, oldest first.
    pub erasures: Vec<Erasure>,
    /// An anonymisation started and not finished (interrupted): rerun it to finish.
    pub pending: Option<ErasureStarted>,
    /// The stream's version.
    pub version: u64,
}

impl RetentionRecord {
    /// An empty record: no holds, never anonymised.
    #[must_use]
    pub fn new(young_person: YoungPersonId) -> Self {
        RetentionRecord {
            young_person,
            holds: Vec::new(),
            lifted: Vec::new(),
            erasures: Vec::new(),
            pending: None,
            version: 0,
        }
    }

    /// Folds a decoded stream; an event that cannot follow (lifting a hold never placed) is a
    /// [`HistoryError`].
    ///
    /// # Errors
    ///
    /// [`HistoryError`] (`history_unreadable`) with [`HistoryProblem::CannotFollow`], at the stream
    /// and version of the first event that cannot follow: lifting a hold that is not in place, or
    /// finishing an anonymisation that was not started.
    pub fn fold(
        young_person: YoungPersonId,
        events: &[Recorded<RetentionEvent>],
    ) -> Result<Self, HistoryError> {
        let mut record = RetentionRecord::new(young_person);
        for e in events {
            if !record.apply(&e.event) {
                return Err(HistoryError {
                    stream: e.stream,
                    version: e.version,
                    problem: HistoryProblem::CannotFollow {
                        event_type: e.event.event_type().to_owned(),
                    },
                });
            }
            record.version = e.version;
        }
        Ok(record)
    }

    /// Applies one event; `false` when it cannot follow.
    pub fn apply(&mut self, event: &RetentionEvent) -> bool {
        match event {
            RetentionEvent::LegalHoldPlaced { hold } => self.holds.push(hold.clone()),
            RetentionEvent::LegalHoldLifted {
                hold,
                reason,
                by,
                at,
            } => {
                let Some(i) = self.holds.iter().position(|h| h.id == *hold) else {
                    return false;
                };
                let hold = self.holds.remove(i);
                self.lifted.push(LiftedHold {
                    hold,
                    reason: reason.clone(),
                    lifted_by: by.clone(),
                    lifted_at: *at,
                });
            }
            RetentionEvent::AnonymisationStarted { started } => {
                // A second start while one is pending is a rerun: the first start stands.
                if self.pending.is_none() {
                    self.pending = Some(started.clone());
                }
            }
            RetentionEvent::RecordsAnonymised { counts, by, at, .. } => {
                let Some(started) = self.pending.take() else {
                    return false;
                };
                self.erasures.push(Erasure {
                    started,
                    finished_by: by.clone(),
                    finished_at: *at,
                    counts: *counts,
                });
            }
        }
        true
    }

    /// The hold with `id`, if it is in place.
    #[must_use]
    pub fn hold(&self, id: LegalHoldId) -> Option<&LegalHold> {
        self.holds.iter().find(|h| h.id == id)
    }

    /// Whether any legal hold is in place.
    #[must_use]
    pub fn is_held(&self) -> bool {
        !self.holds.is_empty()
    }

    /// Whether the records were anonymised and no anonymisation is pending.
    #[must_use]
    pub fn is_anonymised(&self) -> bool {
        !self.erasures.is_empty() && self.pending.is_none()
    }

    /// The stream's listings: one per hold in place, one per finished anonymisation.
    pub fn listings(&self) -> Vec<Listing> {
        let erasures = self.erasures.iter().map(|e| Listing {
            kind: ListingKind::Erasure,
            key: self.young_person.to_string(),
            at: Some(e.finished_at),
            detail: serde_json::to_string(e).expect("erasures serialize"),
        });
        self.holds
            .iter()
            .map(LegalHold::listing)
            .chain(erasures)
            .collect()
    }
}

/// A change to a young person's retention record, as the retention service decided it.
///
/// The decision itself (is the record due, is a hold in place, what does the anonymisation
/// plan rewrite) reads the schedule, the young person's cases and their streams, which a pure
/// decision on the record cannot; so the service decides the event, and the record's own
/// rule ([`Aggregate::decide`]) is only that the event can follow: a hold lifted must be in
/// place, an anonymisation finished must have started. Every retention change states why
/// recorded as the event's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionCommand {
    /// The event to record.
    pub event: RetentionEvent,
    /// Why, in the words of the person doing it.
    pub reason: Text,
}

impl Aggregate for RetentionRecord {
    // No key_owner: the retention record holds no confidential content, and it must take the
    // erasure's own record after the young person's data key is destroyed.
    type Id = YoungPersonId;
    type Command = RetentionCommand;
    type Event = RetentionEvent;

    fn stream(id: YoungPersonId) -> StreamId {
        StreamId::Retention(id)
    }

    fn evolve(state: Option<Self>, event: &RetentionEvent) -> Option<Self> {
        let mut record = state?;
        record.apply(event).then(|| {
            record.version += 1;
            record
        })
    }

    fn decide(
        &self,
        command: RetentionCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<RetentionEvent>, DomainError> {
        ctx.profile.limits.check_field("reason", &command.reason)?;
        let event = command.event;
        if self.clone().apply(&event) {
            Ok(vec![event])
        } else {
            Err(InputError::new(
                "event",
                format!(
                    "R-23: `{}` cannot follow {}'s retention record (no such hold in place, \
                     or no anonymisation started)",
                    event.event_type(),
                    self.young_person
                ),
            )
            .into())
        }
    }

    fn listings(&self, _profile: &ServiceProfile) -> Listings {
        Listings::encoded(RetentionRecord::listings(self))
    }

    fn command_name(command: &RetentionCommand) -> &'static str {
        match command.event {
            RetentionEvent::LegalHoldPlaced { .. } => "place_legal_hold",
            RetentionEvent::LegalHoldLifted { .. } => "lift_legal_hold",
            RetentionEvent::AnonymisationStarted { .. } => "start_anonymisation",
            RetentionEvent::RecordsAnonymised { .. } => "finish_anonymisation",
        }
    }

    fn command_permission(command: &RetentionCommand) -> Permission {
        match command.event {
            RetentionEvent::LegalHoldPlaced { .. } | RetentionEvent::LegalHoldLifted { .. } => {
                Permission::ManageRetention
            }
            RetentionEvent::AnonymisationStarted { .. }
            | RetentionEvent::RecordsAnonymised { .. } => Permission::Erase,
        }
    }

    fn stated_reason(command: &RetentionCommand) -> Option<String> {
        Some(command.reason.to_string())
    }
}

/// a retention reason (a hold placed or lifted, an anonymisation) is the record of why
/// the young person's records were kept or erased, and it outlives the erasure: the retention
/// stream is never anonymised. So it must say why in terms of the law or the schedule, and it
/// may not name the young person: a reason with a word of any of `names` in it (any word of
/// three letters or more, in any case) is refused. `names` are every name the young person
/// was recorded under (at registration, in each correction: [`names_recorded`]), since a
/// former name identifies her as well as the current one; once anonymised there is nothing
/// left to name.
///
/// # Errors
///
/// [`InputError`] (`bad_input`) on `reason` when it contains a word of one of the young
/// person's names, naming neither the word nor the name.
pub fn check_reason<'a>(
    reason: &Text,
    names: impl IntoIterator<Item = &'a Text>,
) -> Result<(), InputError> {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let named: Vec<String> = names
        .into_iter()
        .filter(|name| name.as_str() != crate::privacy::anonymise::ANONYMISED)
        .flat_map(|name| words(name.as_str()))
        .collect();
    if words(reason.as_str()).iter().any(|w| named.contains(w)) {
        return Err(InputError::new(
            "reason",
            "R-23: a retention reason is kept after the records are erased, so it must not name \
             the young person; say why in terms of the law or the schedule (e.g. a court's or \
             the police's reference)",
        ));
    }
    Ok(())
}

/// Every name a young person's stream records, oldest first: at registration and in each
/// correction, for [`check_reason`].
#[must_use]
pub fn names_recorded(history: &[Recorded<YoungPersonEvent>]) -> Vec<&Text> {
    history
        .iter()
        .filter_map(|e| match &e.event {
            YoungPersonEvent::Registered { details, .. }
            | YoungPersonEvent::DetailsCorrected { details, .. } => Some(&details.name),
            _ => None,
        })
        .collect()
}

/// What the schedule needs to know about one case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseRetentionFacts {
    /// The case.
    pub case: CaseId,
    /// When it ended (closed, or its referral declined, signposted or withdrawn); `None` while
    /// it is open.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it concerns sexual abuse or exploitation under the schedule, in words; `None` when
    /// it does not.
    pub exploitation: Option<String>,
}

impl CaseRetentionFacts {
    /// The facts of a case from its decoded history: when it first became finished (the
    /// recorded time of the event that finished it) and the evidence of exploitation in its
    /// assessments under `schedule`. `None` for an empty history.
    ///
    /// # Errors
    ///
    /// [`HistoryError`] (`history_unreadable`) with [`HistoryProblem::CannotFollow`], at the stream
    /// and version of the first event that cannot follow the ones before it ([`Case::evolve`]
    /// returns `None`).
    pub fn of(
        history: &[Recorded<CaseEvent>],
        schedule: &RetentionSchedule,
    ) -> Result<Option<Self>, HistoryError> {
        let mut state: Option<Case> = None;
        let mut ended_at = None;
        for e in history {
            state = Some(Case::evolve(state, &e.event).ok_or_else(|| HistoryError {
                stream: e.stream,
                version: e.version,
                problem: HistoryProblem::CannotFollow {
                    event_type: e.event.event_type().to_owned(),
                },
            })?);
            let finished = state.as_ref().is_some_and(|c| c.stage().is_finished());
            if finished && ended_at.is_none() {
                ended_at = Some(e.meta.recorded_at);
            }
        }
        Ok(state.map(|case| CaseRetentionFacts {
            case: case.file().id,
            ended_at,
            exploitation: exploitation_evidence(&case, schedule),
        }))
    }
}

/// Why `case` concerns sexual abuse or exploitation under `schedule`: the first assessment at
/// or above the schedule's level (computed or applied), or recording one of its indicators.
#[must_use]
pub fn exploitation_evidence(case: &Case, schedule: &RetentionSchedule) -> Option<String> {
    let rule = schedule.exploitation.as_ref()?;
    case.file().assessments.iter().find_map(|a| {
        let level = a.computed.max(a.level);
        if rule.risk_level.is_some_and(|min| level >= min) {
            return Some(format!(
                "assessed {level} on {}",
                a.at.date_naive().format("%Y-%m-%d")
            ));
        }
        a.answers
            .iter()
            .find(|ans| rule.indicators.contains(&ans.key))
            .map(|ans| {
                format!(
                    "`{}` recorded on {}",
                    ans.key,
                    a.at.date_naive().format("%Y-%m-%d")
                )
            })
    })
}

/// One rule of the schedule that applies to a young person, with the date it keeps the
/// records until.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RetentionBasis {
    /// Kept until a birthday.
    UntilBirthday {
        /// The age (25).
        age: u32,
        /// The birthday.
        on: NaiveDate,
    },
    /// Kept some years after the last case ended.
    AfterLastCase {
        /// How many years.
        years: u32,
        /// The case that ended last.
        case: CaseId,
        /// When it ended.
        ended_on: NaiveDate,
        /// The date kept until.
        on: NaiveDate,
    },
    /// Kept longer because a case concerns sexual abuse or exploitation.
    Exploitation {
        /// How many years after the last case ended.
        years: u32,
        /// The case that concerns exploitation.
        concerning: CaseId,
        /// The evidence, in words (`assessed High on 2026-03-02`).
        evidence: String,
        /// When the last case ended.
        ended_on: NaiveDate,
        /// The date kept until.
        on: NaiveDate,
    },
    /// No rule of the schedule applies: due since the last case ended, or since the young
    /// person was registered if they never had one.
    NoRule {
        /// Since when.
        on: NaiveDate,
    },
}

impl RetentionBasis {
    /// The date this rule keeps the records until: they are due on it.
    #[must_use]
    pub fn on(&self) -> NaiveDate {
        match self {
            RetentionBasis::UntilBirthday { on, .. }
            | RetentionBasis::AfterLastCase { on, .. }
            | RetentionBasis::Exploitation { on, .. }
            | RetentionBasis::NoRule { on } => *on,
        }
    }
}

impl fmt::Display for RetentionBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetentionBasis::UntilBirthday { age, on } => {
                write!(f, "kept until the young person's {} birthday ({on})", ordinal(*age))
            }
            RetentionBasis::AfterLastCase {
                years,
                case,
                ended_on,
                on,
            } => write!(
                f,
                "kept {years} years after the last case ({case}) ended on {ended_on}: until {on}"
            ),
            RetentionBasis::Exploitation {
                years,
                concerning,
                evidence,
                ended_on,
                on,
            } => write!(
                f,
                "kept {years} years after the last case ended on {ended_on}, because the records concern sexual exploitation ({concerning}: {evidence}): until {on}"
            ),
            RetentionBasis::NoRule { on } => {
                write!(f, "no retention rule applies: due since {on}")
            }
        }
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// When a young person's records fall due under the schedule.
///
/// Tagged `kind`; the tag `due` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(remote = "Self", tag = "kind", rename_all = "snake_case")]
pub enum RetentionDue {
    /// A case is open: never due while it is.
    CaseOpen {
        /// The open case.
        case: CaseId,
    },
    /// Due on a date.
    On {
        /// The date: the latest of every applicable rule's.
        on: NaiveDate,
        /// The rule that set it.
        because: RetentionBasis,
        /// Every rule that applies, in the schedule's order.
        applicable: Vec<RetentionBasis>,
    },
}

kind_tagged!(RetentionDue, "due");

impl RetentionDue {
    /// The date due, unless a case is open.
    #[must_use]
    pub fn due_on(&self) -> Option<NaiveDate> {
        match self {
            RetentionDue::CaseOpen { .. } => None,
            RetentionDue::On { on, .. } => Some(*on),
        }
    }

    /// Whether the records are due on `date`: on or after the due date, never with a case
    /// open.
    #[must_use]
    pub fn is_due(&self, date: NaiveDate) -> bool {
        self.due_on().is_some_and(|on| date >= on)
    }
}

/// The same day and month `years` later; 1 March when that year has no 29 February (as ages
/// count, R-2).
#[must_use]
pub fn anniversary(date: NaiveDate, years: u32) -> NaiveDate {
    let year = date
        .year()
        .saturating_add(i32::try_from(years).unwrap_or(i32::MAX));
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(NaiveDate::MAX)
}

/// When a young person's records fall due under `schedule`: never while a case is
/// open; otherwise the latest of the birthday rule, the years after their last case ended,
/// and the longer period when any of their cases concerns exploitation.
#[must_use]
pub fn retention_due(
    schedule: &RetentionSchedule,
    date_of_birth: NaiveDate,
    registered_on: NaiveDate,
    cases: &[CaseRetentionFacts],
) -> RetentionDue {
    if let Some(open) = cases.iter().find(|c| c.ended_at.is_none()) {
        return RetentionDue::CaseOpen { case: open.case };
    }
    let mut applicable = Vec::new();
    if let Some(age) = schedule.until_age {
        applicable.push(RetentionBasis::UntilBirthday {
            age,
            on: anniversary(date_of_birth, age),
        });
    }
    let last = cases
        .iter()
        .filter_map(|c| c.ended_at.map(|at| (at, c.case)))
        .max();
    if let Some((ended_at, case)) = last {
        let ended_on = ended_at.date_naive();
        if let Some(years) = schedule.years_after_last_case {
            applicable.push(RetentionBasis::AfterLastCase {
                years,
                case,
                ended_on,
                on: anniversary(ended_on, years),
            });
        }
        let evidence = cases
            .iter()
            .find_map(|c| c.exploitation.clone().map(|e| (c.case, e)));
        if let (Some(rule), Some((concerning, evidence))) = (&schedule.exploitation, evidence) {
            applicable.push(RetentionBasis::Exploitation {
                years: rule.years_after_last_case,
                concerning,
                evidence,
                ended_on,
                on: anniversary(ended_on, rule.years_after_last_case),
            });
        }
    }
    let because = applicable
        .iter()
        .max_by_key(|b| b.on())
        .cloned()
        .unwrap_or_else(|| RetentionBasis::NoRule {
            on: last.map_or(registered_on, |(at, _)| at.date_naive()),
        });
    RetentionDue::On {
        on: because.on(),
        because,
        applicable,
    }
}

/// Why a retention operation was refused. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum RetentionRefusal {
    /// A legal hold is in place.
    #[error("R-23: the records of {young_person} are under a legal hold ({hold}, placed {placed_at}): {reason}; nothing may be erased until it is lifted")]
    LegalHold {
        /// Whose records.
        young_person: YoungPersonId,
        /// The hold.
        hold: LegalHoldId,
        /// Its reason.
        reason: String,
        /// When it was placed.
        placed_at: DateTime<Utc>,
    },
    /// The records are not yet due under the schedule.
    #[error("R-23: the records of {young_person} are not due under the retention schedule until {due_on}: {because}")]
    NotDue {
        /// Whose records.
        young_person: YoungPersonId,
        /// When they fall due.
        due_on: NaiveDate,
        /// The rule that sets that date, in words.
        because: String,
    },
    /// A case is open: records are never due while one is.
    #[error("R-23: {young_person} has an open case ({case}); records are never due while a case is open")]
    CaseOpen {
        /// Whose records.
        young_person: YoungPersonId,
        /// The open case.
        case: CaseId,
    },
    /// A value was missing or not acceptable (a hold's or an erasure's reason).
    #[error("R-23: `{field}`: {problem}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// No such hold is in place.
    #[error("R-23: {young_person} has no legal hold {hold} in place")]
    UnknownHold {
        /// Whose records.
        young_person: YoungPersonId,
        /// The hold asked for.
        hold: LegalHoldId,
    },
    /// Anonymising would leave a stored event this library cannot read.
    #[error("R-23: anonymising {stream} would leave version {version} (`{event_type}`) unreadable: {problem}; nothing was written")]
    WouldNotDecode {
        /// The stream.
        stream: StreamId,
        /// The event's version.
        version: u64,
        /// Its type.
        event_type: String,
        /// What went wrong.
        problem: String,
    },
}

impl RetentionRefusal {
    /// The rule that refused: always R-23.
    #[must_use]
    pub fn rule(&self) -> crate::kernel::rule::Rule {
        crate::kernel::rule::Rule::R23
    }
}

impl From<InputError> for RetentionRefusal {
    fn from(e: InputError) -> Self {
        RetentionRefusal::Invalid {
            field: e.field,
            problem: e.problem,
        }
    }
}

/// A young person's standing under the schedule on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionStatus {
    /// Whose records.
    pub young_person: YoungPersonId,
    /// The date asked about.
    pub as_of: DateTime<Utc>,
    /// When the records fall due, and why.
    pub due: RetentionDue,
    /// Whether they are due on `as_of`.
    pub is_due: bool,
    /// Holds, lifted holds and erasures.
    pub record: RetentionRecord,
}

/// One entry of the review list: records due under the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionReviewEntry {
    /// Whose records.
    pub young_person: YoungPersonId,
    /// When they fell due.
    pub due_on: NaiveDate,
    /// The rule that set that date.
    pub because: RetentionBasis,
    /// Every rule that applies.
    pub applicable: Vec<RetentionBasis>,
    /// Legal holds in place: each blocks erasure.
    pub holds: Vec<LegalHold>,
    /// Whether an anonymisation was started and not finished: rerun it.
    pub anonymisation_incomplete: bool,
}

impl RetentionReviewEntry {
    /// Whether a legal hold blocks erasure.
    #[must_use]
    pub fn is_blocked(&self) -> bool {
        !self.holds.is_empty()
    }
}

impl crate::kernel::code::ErrorCode for RetentionRefusal {
    fn code(&self) -> &'static str {
        match self {
            RetentionRefusal::LegalHold { .. } => "legal_hold",
            RetentionRefusal::NotDue { .. } => "retention_not_due",
            RetentionRefusal::CaseOpen { .. } => "case_open",
            RetentionRefusal::Invalid { .. } => "bad_input",
            RetentionRefusal::UnknownHold { .. } => "unknown_hold",
            RetentionRefusal::WouldNotDecode { .. } => "would_not_decode",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::profile::ExploitationRetention;
    use crate::policy::risk::RiskLevel;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ended(on: NaiveDate, exploitation: Option<&str>) -> CaseRetentionFacts {
        CaseRetentionFacts {
            case: CaseId::new(),
            ended_at: Some(on.and_hms_opt(12, 0, 0).unwrap().and_utc()),
            exploitation: exploitation.map(str::to_owned),
        }
    }

    #[test]
    fn r23_a_retention_reason_never_names_the_young_person() {
        let text = |s: &str| Text::parse("reason", s).unwrap();
        let name = text("Amy-Jo Example");
        for naming in [
            "Inquiry into what happened to Amy-Jo",
            "police investigation (EXAMPLE family)",
            "amy asked for erasure",
        ] {
            let refused = check_reason(&text(naming), [&name]).unwrap_err();
            assert_eq!(refused.field, "reason");
            assert!(!refused.problem.contains("Amy"), "{}", refused.problem);
        }
        for fine in [
            "Police investigation, ref FICT-2026-0042",
            "Due under the schedule: 25th birthday passed",
            "Examples of the schedule applied", // a word that contains a name is not the name
        ] {
            assert!(check_reason(&text(fine), [&name]).is_ok(), "{fine}");
        }
        // A former name is refused as the current one is.
        let now = text("Amy-Jo Fictional");
        let refused = check_reason(&text("police investigation (Example)"), [&name, &now]);
        assert_eq!(refused.unwrap_err().field, "reason");
        // Once anonymised there is no name left to refuse.
        let gone = text(crate::privacy::anonymise::ANONYMISED);
        assert!(check_reason(&text("Records anonymised again"), [&gone]).is_ok());
    }

    #[test]
    fn r23_a_29_february_birthday_falls_on_1_march_as_ages_do() {
        assert_eq!(anniversary(d(2008, 2, 29), 25), d(2033, 3, 1));
        assert_eq!(anniversary(d(2008, 2, 29), 24), d(2032, 2, 29));
        assert_eq!(anniversary(d(2011, 5, 14), 25), d(2036, 5, 14));
    }

    #[test]
    fn r23_the_latest_applicable_date_wins() {
        let schedule = RetentionSchedule::default();
        let dob = d(2011, 5, 14);
        // No case at all: the birthday alone.
        let due = retention_due(&schedule, dob, d(2026, 1, 1), &[]);
        assert_eq!(due.due_on(), Some(d(2036, 5, 14)));
        // A case that ended late: six years after it.
        let due = retention_due(&schedule, dob, d(2026, 1, 1), &[ended(d(2033, 1, 1), None)]);
        assert_eq!(due.due_on(), Some(d(2039, 1, 1)));
        // Evidence of exploitation on an earlier case: 75 years after the last one ended.
        let due = retention_due(
            &schedule,
            dob,
            d(2026, 1, 1),
            &[
                ended(d(2027, 1, 1), Some("assessed High on 2026-06-01")),
                ended(d(2033, 1, 1), None),
            ],
        );
        assert_eq!(due.due_on(), Some(d(2108, 1, 1)));
        assert!(due.is_due(d(2108, 1, 1)) && !due.is_due(d(2107, 12, 31)));
    }

    #[test]
    fn r23_an_open_case_is_never_due_and_no_rule_means_due_since_the_end() {
        let open = CaseRetentionFacts {
            case: CaseId::new(),
            ended_at: None,
            exploitation: None,
        };
        let due = retention_due(
            &RetentionSchedule::default(),
            d(1990, 1, 1),
            d(2026, 1, 1),
            &[ended(d(2000, 1, 1), None), open.clone()],
        );
        assert_eq!(due, RetentionDue::CaseOpen { case: open.case });
        assert!(!due.is_due(NaiveDate::MAX));
        let none = RetentionSchedule {
            until_age: None,
            years_after_last_case: None,
            exploitation: None,
        };
        let due = retention_due(
            &none,
            d(1990, 1, 1),
            d(2026, 1, 1),
            &[ended(d(2026, 2, 1), None)],
        );
        assert_eq!(due.due_on(), Some(d(2026, 2, 1)));
    }

    #[test]
    fn r23_the_schedule_validates_against_the_risk_tool() {
        let tool = crate::policy::profile::examples::minimal_risk_tool();
        let mut schedule = RetentionSchedule::default();
        assert!(schedule.validate(&tool).is_ok());
        schedule.exploitation = Some(ExploitationRetention {
            years_after_last_case: 75,
            risk_level: None,
            indicators: vec![],
        });
        assert_eq!(schedule.validate(&tool).unwrap_err().field, "exploitation");
        schedule.exploitation = Some(ExploitationRetention {
            years_after_last_case: 75,
            risk_level: Some(RiskLevel::Medium),
            indicators: vec!["disclosure".into(), "nope".into()],
        });
        assert_eq!(
            schedule.validate(&tool).unwrap_err().field,
            "exploitation.indicators[1]"
        );
        schedule.exploitation = None;
        schedule.until_age = Some(0);
        assert_eq!(schedule.validate(&tool).unwrap_err().field, "until_age");
    }

    #[test]
    fn r23_the_record_folds_holds_and_erasures() {
        let yp = YoungPersonId::new();
        let by = RecordedBy {
            staff: StaffId::new(),
            name: "Ash Admin".into(),
            role: Role::Administrator,
        };
        let at = d(2036, 1, 1).and_hms_opt(9, 0, 0).unwrap().and_utc();
        let hold = LegalHold {
            id: LegalHoldId::new(),
            young_person: yp,
            reason: Text::parse("reason", "claim").unwrap(),
            placed_by: by.clone(),
            placed_at: at,
        };
        let mut record = RetentionRecord::new(yp);
        assert!(record.apply(&RetentionEvent::LegalHoldPlaced { hold: hold.clone() }));
        assert!(record.is_held());
        assert_eq!(record.listings().len(), 1);
        assert_eq!(record.listings()[0].key, yp.to_string());
        assert!(record.apply(&RetentionEvent::LegalHoldLifted {
            hold: hold.id,
            reason: Text::parse("reason", "settled").unwrap(),
            by: by.clone(),
            at,
        }));
        assert!(!record.is_held() && record.listings().is_empty());
        // A lift of a hold not in place, or a finish without a start, cannot follow.
        assert!(!record.clone().apply(&RetentionEvent::LegalHoldLifted {
            hold: hold.id,
            reason: Text::parse("reason", "again").unwrap(),
            by: by.clone(),
            at,
        }));
        let counts = ErasureCounts {
            streams: 1,
            events: 1,
            rewritten_streams: 1,
            rewritten_events: 1,
        };
        assert!(!record.clone().apply(&RetentionEvent::RecordsAnonymised {
            counts,
            by: by.clone(),
            at,
            rechained: vec![],
        }));
        let started = ErasureStarted {
            reason: Text::parse("reason", "due").unwrap(),
            due_on: d(2036, 1, 1),
            because: "birthday".into(),
            by: by.clone(),
            at,
        };
        assert!(record.apply(&RetentionEvent::AnonymisationStarted { started }));
        assert!(!record.is_anonymised());
        assert!(record.apply(&RetentionEvent::RecordsAnonymised {
            counts,
            by,
            at,
            rechained: vec![],
        }));
        assert!(record.is_anonymised());
        assert_eq!(record.erasures[0].counts, counts);
    }
}
