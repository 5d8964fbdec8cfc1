//! What the API answers where the library's own value is not for the wire: histories whose
//! events may carry confidential content, records opened by a logged read, and
//! the outcome of a command.
//!
//! A stored event is shown with its payload only when the payload serializes outside
//! storage, which confidential content refuses to do ([`casework_core::kernel::confidential`]):
//! an event holding a session note, a disclosure or the concerns is shown `sealed`, its type,
//! version and who recorded it, when and why, without the content. The content is read
//! through an open-record read, which is logged.

use casework_core::case::StageName;
use casework_core::kernel::actor::Actor;
use casework_core::kernel::event::{DomainEvent, Recorded};
use casework_core::kernel::ids::{GoalId, IntelligenceId, SessionId, WorkshopId, YoungPersonId};
use casework_core::privacy::gate::{OpenIntelligence, OpenRecord, OpenWorkshop};
use casework_core::read::rows::CaseSummary;
use casework_service::TrailEntry;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

/// One stored event as the API shows it; see the module docs.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct HistoryEntry {
    /// Its version in its stream (1, 2, 3…).
    pub version: u64,
    /// Its position across all streams.
    pub position: u64,
    /// The event's type.
    pub event_type: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: Actor,
    /// The reason they stated, if any.
    pub reason: Option<String>,
    /// `true` when the event holds confidential content and `payload` is left out.
    pub sealed: bool,
    /// The event itself, when it holds no confidential content.
    pub payload: Option<Value>,
}

impl HistoryEntry {
    /// One entry of a history.
    pub fn of<E: DomainEvent>(recorded: &Recorded<E>) -> Self {
        // Serializing outside storage refuses confidential content: that refusal is the seal.
        let payload = serde_json::to_value(&recorded.event).ok();
        HistoryEntry {
            version: recorded.version,
            position: recorded.position,
            event_type: recorded.event.event_type().to_owned(),
            recorded_at: recorded.meta.recorded_at,
            recorded_by: recorded.meta.actor.clone(),
            reason: recorded.meta.reason.clone(),
            sealed: payload.is_none(),
            payload,
        }
    }

    /// A whole history.
    pub fn all<E: DomainEvent>(history: &[Recorded<E>]) -> Vec<Self> {
        history.iter().map(HistoryEntry::of).collect()
    }
}

/// One entry of a case's audit trail.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TrailView {
    /// When.
    pub at: DateTime<Utc>,
    /// Who, as `name (role)`.
    pub by: String,
    /// `change`, `share`, `override` or `read`.
    pub kind: String,
    /// What: the event type, the audience and items shared, or the purpose of the read.
    pub what: String,
}

impl From<TrailEntry> for TrailView {
    fn from(e: TrailEntry) -> Self {
        TrailView {
            at: e.at,
            by: e.by,
            kind: e.kind.to_owned(),
            what: e.what,
        }
    }
}

/// A case opened by a read recorded in the access log: its confidential content.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct OpenRecordView {
    /// The case's summary.
    pub case: CaseSummary,
    /// The concerns written on the referral.
    pub concerns: String,
    /// The agreed plan, if one was agreed.
    pub plan: Option<String>,
    /// The action plan's goals, oldest first.
    pub goals: Vec<GoalView>,
    /// The notes of sessions held, in the order planned.
    pub session_notes: Vec<SessionNoteView>,
    /// Every text the case's history recorded in confidence, in the order recorded: the
    /// reasons kept confidential (a decline, a withdrawal, a dropped goal, a cancelled session,
    /// an override, an approval, a closure's words) and meetings' actions, as well as the
    /// content above. Histories and timelines show only that these were recorded.
    pub texts: Vec<RecordedTextView>,
}

/// One confidential text of a case's history: which event recorded it, where, and the text.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RecordedTextView {
    /// The event's version in the case's stream.
    pub version: u64,
    /// The event's type (`goal_dropped`).
    pub event_type: String,
    /// Where in the event (`reason`, `meeting.actions[0].action`).
    pub field: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The text.
    pub text: String,
}

/// A goal of the action plan.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct GoalView {
    /// Its id.
    pub goal: GoalId,
    /// What it is.
    pub description: String,
}

/// A held session's note.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionNoteView {
    /// The session.
    pub session: SessionId,
    /// The note.
    pub note: String,
}

impl OpenRecordView {
    /// The view of `record`, whose case is at `version`.
    pub fn of(record: &OpenRecord, version: u64) -> Self {
        OpenRecordView {
            case: CaseSummary::of(record.case(), version),
            concerns: record.concerns().to_owned(),
            plan: record.plan().map(str::to_owned),
            goals: record
                .goals()
                .into_iter()
                .map(|(goal, d)| GoalView {
                    goal,
                    description: d.to_owned(),
                })
                .collect(),
            session_notes: record
                .session_notes()
                .into_iter()
                .map(|(session, n)| SessionNoteView {
                    session,
                    note: n.to_owned(),
                })
                .collect(),
            texts: record
                .texts()
                .into_iter()
                .map(|t| RecordedTextView {
                    version: t.version,
                    event_type: t.event_type.to_owned(),
                    field: t.field,
                    recorded_at: t.recorded_at,
                    text: t.text,
                })
                .collect(),
        }
    }
}

/// A workshop as listed: what was planned and how many came, without tutorial notes or
/// evaluation words (those are read through an open-record read).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WorkshopView {
    /// Its id.
    pub workshop: WorkshopId,
    /// The venue, date, age group, topics and programme, as planned.
    pub planned: Value,
    /// The date.
    pub date: NaiveDate,
    /// The young people known to the service who attended.
    pub attendees: Vec<YoungPersonId>,
    /// Attendees not known by name.
    pub anonymous_attendees: u32,
    /// Tutorials recorded.
    pub tutorials: usize,
    /// Evaluations recorded.
    pub evaluations: usize,
}

impl WorkshopView {
    /// The view of `workshop`.
    pub fn of(workshop: &casework_core::workshop::Workshop) -> Self {
        WorkshopView {
            workshop: workshop.id,
            planned: serde_json::json!({
                "venue": workshop.venue,
                "date": workshop.date,
                "age_group": workshop.age_group,
                "topics": workshop.topics,
                "programme": workshop.programme,
                "planned_at": workshop.planned_at,
            }),
            date: workshop.date,
            attendees: workshop.attendees.clone(),
            anonymous_attendees: workshop.anonymous_attendees,
            tutorials: workshop.tutorials.len(),
            evaluations: workshop.evaluations.len(),
        }
    }
}

/// A workshop opened by a logged read: its tutorial notes and evaluation words.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct OpenWorkshopView {
    /// The workshop.
    pub workshop: WorkshopView,
    /// Each tutorial's note, by the young person it was with.
    pub tutorial_notes: Vec<TutorialNoteView>,
    /// The evaluations' own words.
    pub evaluation_words: Vec<String>,
}

/// One tutorial's note.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TutorialNoteView {
    /// Who it was with.
    pub young_person: YoungPersonId,
    /// The note.
    pub note: String,
}

impl OpenWorkshopView {
    /// The view of `open`.
    pub fn of(open: &OpenWorkshop) -> Self {
        OpenWorkshopView {
            workshop: WorkshopView::of(open.workshop()),
            tutorial_notes: open
                .tutorial_notes()
                .into_iter()
                .map(|(young_person, note)| TutorialNoteView {
                    young_person,
                    note: note.to_owned(),
                })
                .collect(),
            evaluation_words: open
                .evaluation_words()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// An intelligence report as listed: everything but its content.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct IntelligenceView {
    /// Its id.
    pub intelligence: IntelligenceId,
    /// Its urgency, links, when it was learnt and recorded, and its police handovers.
    pub report: Value,
}

impl IntelligenceView {
    /// The view of `report`.
    pub fn of(report: &casework_core::intelligence::Intelligence) -> Self {
        IntelligenceView {
            intelligence: report.id,
            report: serde_json::json!({
                "urgency": report.urgency,
                "links": report.links,
                "learnt_at": report.learnt_at,
                "recorded_at": report.recorded_at,
                "handovers": report.handovers,
            }),
        }
    }
}

/// An intelligence report opened by a logged read.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct OpenIntelligenceView {
    /// The report as listed.
    pub intelligence: IntelligenceView,
    /// Its content.
    pub content: String,
}

impl OpenIntelligenceView {
    /// The view of `open`.
    pub fn of(open: &OpenIntelligence) -> Self {
        OpenIntelligenceView {
            intelligence: IntelligenceView::of(open.report()),
            content: open.content().to_owned(),
        }
    }
}

/// What a command did: the stream, its new version (also the `ETag`), the events it
/// recorded, by type, and the ids of what it created.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CommandOutcome {
    /// The stream's id, as displayed.
    pub stream: String,
    /// The stream's version after the command.
    pub version: u64,
    /// The case's stage after the command, for case commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageName>,
    /// The events recorded, each with its `type`, and its fields where it holds no
    /// confidential content (a created session's, goal's or approval's id is in its event);
    /// one that does is `{"type": …, "sealed": true}`.
    pub events: Vec<Value>,
    /// The ids, as displayed (`session-<uuid>`, `goal-<uuid>`, `approval-<uuid>`…), of what
    /// the command created, in the order of its events; empty when it created nothing. Read
    /// from the events (`DomainEvent::created`), so a sealed event's new id is here too.
    pub created: Vec<String>,
}

impl CommandOutcome {
    /// The outcome of events appended up to `version` of `stream`.
    pub fn of<E: DomainEvent>(stream: String, version: u64, events: &[E]) -> Self {
        CommandOutcome {
            stream,
            version,
            stage: None,
            events: events
                .iter()
                .map(|e| {
                    serde_json::to_value(e).unwrap_or_else(
                        |_| serde_json::json!({ "type": e.event_type(), "sealed": true }),
                    )
                })
                .collect(),
            created: events.iter().filter_map(DomainEvent::created).collect(),
        }
    }
}

/// The outcome of anonymising a young person's records.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AnonymisedView {
    /// Whose records.
    pub young_person: YoungPersonId,
    /// The erasure recorded.
    pub erasure: casework_core::privacy::retention::Erasure,
    /// `true` when they had been anonymised already and nothing was rewritten.
    pub already_anonymised: bool,
}

impl From<casework_core::privacy::anonymise::Anonymised> for AnonymisedView {
    fn from(done: casework_core::privacy::anonymise::Anonymised) -> Self {
        AnonymisedView {
            young_person: done.young_person,
            erasure: done.erasure,
            already_anonymised: done.already_anonymised,
        }
    }
}
