//! The gate: the one way confidential content leaves a record.
//!
//! Confidential content is unsealed only by the types here, and each needs a receipt that
//! only this module mints, by appending the record of the read ([`record_read`]) or of the
//! share ([`record_share`]) to the store first. The checks (who may read, why) are the
//! service's; the receipt makes sure that whatever was checked was also recorded before any
//! content is handed over. A case's record goes further: [`open_case`] records the read and
//! loads the case and its history itself, from the same store, so an [`OpenRecord`] holds
//! only what the store its read is logged in holds.
//!
//! Why this lives in the core crate, with two small async functions over the store traits:
//! Rust's privacy boundary is the crate. [`Confidential`](crate::kernel::confidential)'s
//! unsealing is private to this crate, so the code that hands content out after a recorded
//! read must be here too; anything public would be an unsealing any caller could use.

use crate::case::{Case, CaseEvent, SessionStatus};
use crate::intelligence::Intelligence;
use crate::kernel::actor::Actor;
use crate::kernel::confidential::{for_storage, sealed_texts};
use crate::kernel::event::{decode_stream, DomainEvent, EventMeta, HistoryError, Recorded};
use crate::kernel::ids::{AccessId, CaseId, GoalId, SessionId, StreamId, YoungPersonId};
use crate::kernel::input::Text;
use crate::kernel::sealing::{opening_with, sealed, Sealer};
use crate::privacy::access::Relationship;
use crate::privacy::access_log::{AccessEvent, AccessSubject};
use crate::privacy::disclosure::{
    self, released_item, Audience, DisclosureEvent, DisclosureView, ItemKind, ShareBasis,
    ShareRecord,
};
use crate::read::rows::ReadModelUpdate;
use crate::store::{AppendError, AppendRequest, Store, StoreError};
use crate::workshop::Workshop;
use chrono::{DateTime, Utc};

/// Proof that a read was recorded in the access log: only [`record_read`] makes one.
#[derive(Debug)]
pub struct RecordedRead {
    subject: AccessSubject,
}

impl RecordedRead {
    /// What the recorded read was of.
    #[must_use]
    pub fn subject(&self) -> &AccessSubject {
        &self.subject
    }
}

/// Records a read of `subject` in the access log (one event on a stream of its own, so a
/// read never conflicts with work on the record) and returns the receipt that opens it.
///
/// # Errors
///
/// [`AppendError::Store`] (`store_unavailable`, `store_busy`, `store_full`, …) when the store fails
/// to append the read's record; nothing is recorded and no receipt is given, so the content stays
/// sealed. The record goes on a new stream with no idempotency key, so [`AppendError::Conflict`]
/// and [`AppendError::KeyTaken`] do not arise in practice.
#[allow(clippy::too_many_arguments)]
pub async fn record_read<S: Store + ?Sized>(
    store: &S,
    actor: &Actor,
    relationship: Relationship,
    subject: AccessSubject,
    purpose: Text,
    at: DateTime<Utc>,
) -> Result<RecordedRead, AppendError> {
    let event = AccessEvent::read(actor, relationship, subject, purpose, at);
    let listings = Some(event.listings());
    store
        .append(AppendRequest {
            stream: StreamId::Access(AccessId::new()),
            expected_version: 0,
            events: vec![for_storage(|| {
                event.encode(EventMeta::new(actor, at, None))
            })],
            read_model: ReadModelUpdate::None,
            snapshot: None,
            listings,
            idempotency: None,
        })
        .await?;
    Ok(RecordedRead { subject })
}

/// Why [`open_case`] handed nothing over.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenCaseError {
    /// Recording the read failed, so nothing was read.
    #[error(transparent)]
    Record(#[from] AppendError),
    /// Loading the case failed after its read was recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The case's stored history cannot be read, or its content not opened (a key
    /// not at hand: destroyed, R-23).
    #[error(transparent)]
    History(#[from] HistoryError),
    /// No such case; its read is recorded all the same.
    #[error("{0} not found")]
    NotFound(CaseId),
    /// The case is another young person's than the read recorded: nothing is handed over.
    #[error("R-27: {case} is not {young_person}'s case, as its recorded read said")]
    NotTheirs {
        /// The case.
        case: CaseId,
        /// The young person the read was recorded under.
        young_person: YoungPersonId,
    },
}

/// Records a read of `case` (`young_person`'s) in the access log and opens the case from the
/// same store: its history loaded and decoded with `key` in scope (the young person's data
/// key, when the service seals), and the case folded from it, so each sealed value is opened
/// once. The one way to an [`OpenRecord`]: what it holds was loaded here, from the store the
/// read is recorded in, so code in the process cannot record the read in a store of its own
/// or hand the record a history of its own.
///
/// # Errors
///
/// - [`OpenCaseError::Record`] when the read cannot be recorded: nothing is read.
/// - [`OpenCaseError::Store`] (`store_*`), [`OpenCaseError::History`] (`history_unreadable`,
///   R-18; a key not at hand, R-23) or [`OpenCaseError::NotFound`] when the case cannot be
///   loaded after its read was recorded.
/// - [`OpenCaseError::NotTheirs`] when the case is another young person's than `young_person`.
#[allow(clippy::too_many_arguments)]
pub async fn open_case<S: Store + ?Sized>(
    store: &S,
    actor: &Actor,
    relationship: Relationship,
    case: CaseId,
    young_person: YoungPersonId,
    purpose: Text,
    at: DateTime<Utc>,
    key: Option<Sealer>,
) -> Result<OpenRecord, OpenCaseError> {
    let subject = AccessSubject::Case { case, young_person };
    record_read(store, actor, relationship, subject, purpose, at).await?;
    let stored = store.load(StreamId::Case(case)).await?;
    let decode = || decode_stream::<CaseEvent>(&stored);
    let history = match key {
        Some((owner, key)) => opening_with(owner, key, decode),
        None => decode(),
    }?;
    let opened = crate::case::fold(&history)?.ok_or(OpenCaseError::NotFound(case))?;
    if opened.file().young_person != young_person {
        return Err(OpenCaseError::NotTheirs { case, young_person });
    }
    Ok(OpenRecord {
        case: opened,
        history,
    })
}

/// Proof that a share was recorded on the case's disclosures stream: only [`record_share`]
/// makes one.
#[derive(Debug)]
pub struct RecordedShare {
    share: ShareRecord,
}

impl RecordedShare {
    /// The share as recorded.
    #[must_use]
    pub fn share(&self) -> &ShareRecord {
        &self.share
    }
}

/// Records a share of `items` of `case` with `audience` on `basis` on the case's disclosures
/// stream, after the shares already there (`prior`, in order), with the stream's listings.
/// With `sealer` (the young person's data key, when the service seals), the event's
/// confidential and personal text is sealed with it, the override's concern included
/// ([`crate::kernel::sealing::personal`]); the envelope's stated reason is the legal basis
/// relied on, never the concern, since the envelope is not sealed.
///
/// # Errors
///
/// Nothing is recorded and no receipt is given when the append is refused:
///
/// - [`AppendError::Conflict`] (`conflict`) when the disclosures stream has moved on since `prior`
///   was read (another share was recorded meanwhile): reload and decide again.
/// - [`AppendError::Store`] (`store_unavailable`, `store_busy`, `store_full`, …) when the store
///   fails.
#[allow(clippy::too_many_arguments)]
pub async fn record_share<S: Store + ?Sized>(
    store: &S,
    case: &Case,
    prior: &[Recorded<DisclosureEvent>],
    audience: Audience,
    basis: ShareBasis,
    items: Vec<ItemKind>,
    actor: &Actor,
    at: DateTime<Utc>,
    sealer: Option<Sealer>,
) -> Result<RecordedShare, AppendError> {
    let share = ShareRecord {
        case: case.file().id,
        young_person: case.file().young_person,
        audience,
        basis,
        items,
        shared_by: actor.id,
        shared_by_name: actor.name.clone(),
        shared_at: at,
    };
    let reason = match &share.basis {
        ShareBasis::SafeguardingOverride { legal_basis, .. } => {
            Some(format!("safeguarding override: {legal_basis}"))
        }
        ShareBasis::Consent { .. } | ShareBasis::ReferrerOutcome => None,
    };
    let event = DisclosureEvent::InformationShared {
        share: share.clone(),
    };
    let encode = || {
        for_storage(|| {
            let listings =
                disclosure::listings(prior.iter().map(|s| s.event.share()).chain([&share]));
            (
                event.encode(EventMeta::new(actor, at, reason.clone())),
                listings,
            )
        })
    };
    let (encoded, listings) = sealed(&sealer, encode);
    store
        .append(AppendRequest {
            stream: StreamId::Disclosures(case.file().id),
            expected_version: prior.last().map_or(0, |s| s.version),
            events: vec![encoded],
            read_model: ReadModelUpdate::None,
            snapshot: None,
            listings: Some(listings),
            idempotency: None,
        })
        .await?;
    Ok(RecordedShare { share })
}

/// The view a recorded share released: every item it names, confidential ones included
/// (an override, R-9). `None` when the receipt is for another case.
#[must_use]
pub fn released_view(case: &Case, receipt: &RecordedShare) -> Option<DisclosureView> {
    let share = &receipt.share;
    (share.case == case.file().id).then(|| DisclosureView {
        case: share.case,
        audience: share.audience.clone(),
        basis: share.basis.clone(),
        items: share
            .items
            .iter()
            .map(|k| released_item(case, *k))
            .collect(),
    })
}

/// A case opened by a permitted read that is in the access log: its confidential
/// content, for this case only. Not `Clone`, not serializable: hand a person what they need,
/// not the record.
#[derive(Debug)]
pub struct OpenRecord {
    case: Case,
    history: Vec<Recorded<CaseEvent>>,
}

/// One piece of confidential text in an opened case's history: which event recorded it, where
/// in the event, and the text (a reason, a meeting's action, a note, the concerns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedText {
    /// The event's version in the case's stream.
    pub version: u64,
    /// The event's type (`goal_dropped`).
    pub event_type: &'static str,
    /// Where in the event (`reason`, `meeting.actions[0].action`).
    pub field: String,
    /// When the event was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The text.
    pub text: String,
}

impl OpenRecord {
    /// Every confidential text the history holds ([`open_case`] loads it), in the order
    /// recorded: the reasons kept in confidence
    /// (a decline, a withdrawal, a dropped goal, a cancelled session, an override, an approval,
    /// a closure's words), meetings' actions, and the concerns, plan, goals and notes that the
    /// other accessors also give. Timelines show that these were recorded, never what.
    #[must_use]
    pub fn texts(&self) -> Vec<RecordedText> {
        self.history
            .iter()
            .flat_map(|recorded| {
                sealed_texts(&recorded.event)
                    .into_iter()
                    .map(|(field, text)| RecordedText {
                        version: recorded.version,
                        event_type: recorded.event.event_type(),
                        field,
                        recorded_at: recorded.meta.recorded_at,
                        text,
                    })
            })
            .collect()
    }

    /// The case (its confidential fields still sealed).
    #[must_use]
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The concerns written on the referral.
    #[must_use]
    pub fn concerns(&self) -> &str {
        self.case.file().concerns.reveal_text()
    }

    /// The agreed plan, if one was agreed.
    #[must_use]
    pub fn plan(&self) -> Option<&str> {
        self.case.file().plan.as_ref().map(|p| p.reveal_text())
    }

    /// The action plan's goals, oldest first.
    #[must_use]
    pub fn goals(&self) -> Vec<(GoalId, &str)> {
        let goals = &self.case.file().activity.goals;
        goals
            .iter()
            .map(|g| (g.id, g.description.reveal_text()))
            .collect()
    }

    /// The notes of sessions held, in the order planned.
    #[must_use]
    pub fn session_notes(&self) -> Vec<(SessionId, &str)> {
        let sessions = &self.case.file().activity.sessions;
        sessions
            .iter()
            .filter_map(|s| match &s.status {
                SessionStatus::Held { note, .. } => Some((s.id, note.reveal_text())),
                _ => None,
            })
            .collect()
    }
}

/// An intelligence report opened by a permitted read that is in the access log.
#[derive(Debug)]
pub struct OpenIntelligence {
    report: Intelligence,
}

impl OpenIntelligence {
    /// Opens `report` on the receipt of a recorded read of it; `None` for another record's.
    #[must_use]
    pub fn new(report: Intelligence, read: &RecordedRead) -> Option<Self> {
        matches!(read.subject, AccessSubject::Intelligence { intelligence } if intelligence == report.id)
            .then_some(Self { report })
    }

    /// The report (its content still sealed).
    #[must_use]
    pub fn report(&self) -> &Intelligence {
        &self.report
    }

    /// What was reported.
    #[must_use]
    pub fn content(&self) -> &str {
        self.report.report.reveal_text()
    }
}

/// A workshop opened by a permitted read that is in the access log: the tutorial notes
/// and the words written on evaluation forms.
#[derive(Debug)]
pub struct OpenWorkshop {
    workshop: Workshop,
}

impl OpenWorkshop {
    /// Opens `workshop` on the receipt of a recorded read of it; `None` for another record's.
    #[must_use]
    pub fn new(workshop: Workshop, read: &RecordedRead) -> Option<Self> {
        matches!(read.subject, AccessSubject::Workshop { workshop: id } if id == workshop.id)
            .then_some(Self { workshop })
    }

    /// The workshop (its confidential parts still sealed).
    #[must_use]
    pub fn workshop(&self) -> &Workshop {
        &self.workshop
    }

    /// Each tutorial's note, with whom, in the order held.
    #[must_use]
    pub fn tutorial_notes(&self) -> Vec<(YoungPersonId, &str)> {
        let tutorials = &self.workshop.tutorials;
        tutorials
            .iter()
            .map(|t| (t.young_person, t.note.reveal_text()))
            .collect()
    }

    /// What each form says was learnt, in the respondent's words, in the order recorded.
    #[must_use]
    pub fn evaluation_words(&self) -> Vec<&str> {
        let forms = &self.workshop.evaluations;
        forms
            .iter()
            .filter_map(|e| e.learnt.as_ref())
            .map(|l| l.reveal_text())
            .collect()
    }
}
