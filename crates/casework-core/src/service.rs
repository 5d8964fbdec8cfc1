//! The application service: load, decide, append.
//!
//! [`Casework`] is the one handle a front end holds. Each command loads the stream, reads the
//! clock once, decides with the pure domain, and appends the events with the read-model rows
//! in one transaction at the version it loaded. It retries nothing silently: a concurrent
//! writer surfaces as [`CommandError::Conflict`], and the caller decides whether to reload
//! and try again.

use crate::actor::Actor;
use crate::case::report::{self, CadenceReport, LengthStatus};
use crate::case::{Case, CaseCommand, CaseEvent, NewReferral, Received};
use crate::clock::{Clock, SystemClock};
use crate::context::CommandContext;
use crate::error::DomainError;
use crate::event::{
    decode_stream, decode_stream_from, DomainEvent, EventMeta, HistoryError, HistoryProblem,
    Recorded,
};
use crate::ids::{CaseId, EventId, MissingEpisodeId, StreamId, YoungPersonId};
use crate::missing::ReturnInterviewDue;
use crate::profile::ServiceProfile;
use crate::read_model::{CaseSummary, OwedActionSummary, ReadModelUpdate, YoungPersonSummary};
use crate::risk::RiskTrend;
use crate::store::{AppendError, AppendRequest, Conflict, Snapshot, Store, StoreError};
use crate::workshop::Workshop;
use crate::young_person::{
    YoungPerson, YoungPersonActivity, YoungPersonCommand, YoungPersonDetails, YoungPersonEvent,
};
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;
use thiserror::Error;

/// Why a read failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LoadError {
    /// No such stream.
    #[error("{0} not found")]
    NotFound(StreamId),
    /// The stored history cannot be read.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a command was not carried out. Nothing was written in any case.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CommandError {
    /// The domain rules refused it; the error names the rule.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// Another writer changed the case first: reload and decide again.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// No such case or young person.
    #[error("{0} not found")]
    NotFound(StreamId),
    /// The stored history cannot be read.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommandError {
    /// The domain refusal, if this is one.
    pub fn rejection(&self) -> Option<&DomainError> {
        match self {
            CommandError::Rejected(e) => Some(e),
            _ => None,
        }
    }
}

impl From<LoadError> for CommandError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::NotFound(s) => CommandError::NotFound(s),
            LoadError::History(h) => CommandError::History(h),
            LoadError::Store(s) => CommandError::Store(s),
        }
    }
}

impl From<AppendError> for CommandError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict(c) => CommandError::Conflict(c),
            AppendError::Store(s) => CommandError::Store(s),
        }
    }
}

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// The case after the command.
    pub case: Case,
    /// The stream's new version.
    pub version: u64,
    /// The events appended.
    pub events: Vec<CaseEvent>,
}

/// What a command about a young person did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YoungPersonExecuted {
    /// The young person's identity after the command.
    pub person: YoungPerson,
    /// Their missing episodes, flags and alumni membership after the command.
    pub activity: YoungPersonActivity,
    /// The stream's new version.
    pub version: u64,
    /// The events appended.
    pub events: Vec<YoungPersonEvent>,
}

/// The handle a front end holds: a store, a service profile and a clock.
pub struct Casework<S> {
    store: S,
    profile: Arc<ServiceProfile>,
    clock: Arc<dyn Clock>,
}

impl<S: Store> Casework<S> {
    /// A service over `store`, configured by `profile`, on the system clock.
    pub fn new(store: S, profile: ServiceProfile) -> Self {
        Self {
            store,
            profile: Arc::new(profile),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same service on another clock (tests, imports).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The service profile.
    pub fn profile(&self) -> &ServiceProfile {
        &self.profile
    }

    /// One clock reading per command, at the microsecond precision every store keeps.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    pub(crate) fn meta(actor: &Actor, at: DateTime<Utc>, reason: Option<String>) -> EventMeta {
        EventMeta {
            event_id: EventId::new(),
            recorded_at: at,
            actor: actor.clone(),
            reason,
        }
    }

    /// Registers a young person.
    pub async fn register_young_person(
        &self,
        actor: &Actor,
        details: YoungPersonDetails,
    ) -> Result<YoungPersonId, CommandError> {
        let at = self.now();
        let id = YoungPersonId::new();
        let event = YoungPerson::register(id, details, at).map_err(DomainError::from)?;
        let person = YoungPerson::evolve(None, &event).expect("registration opens the record");
        self.store
            .append(AppendRequest {
                stream: StreamId::YoungPerson(id),
                expected_version: 0,
                events: vec![event.encode(Self::meta(actor, at, None))],
                read_model: ReadModelUpdate::YoungPerson(YoungPersonSummary::of(&person, 1)),
                snapshot: None,
                listings: None,
            })
            .await?;
        Ok(id)
    }

    /// A young person's record.
    pub async fn young_person(&self, id: YoungPersonId) -> Result<YoungPerson, LoadError> {
        Ok(self.load_young_person(id).await?.0)
    }

    /// A young person's missing episodes, missing flags and alumni membership.
    pub async fn young_person_activity(
        &self,
        id: YoungPersonId,
    ) -> Result<YoungPersonActivity, LoadError> {
        Ok(self.load_young_person(id).await?.1)
    }

    /// The identity, the activity and the stream's version.
    pub(crate) async fn load_young_person(
        &self,
        id: YoungPersonId,
    ) -> Result<(YoungPerson, YoungPersonActivity, u64), LoadError> {
        let stream = StreamId::YoungPerson(id);
        let events = decode_stream::<YoungPersonEvent>(&self.store.load(stream).await?)?;
        let mut state = None;
        for e in &events {
            state = Some(
                YoungPerson::evolve(state, &e.event).ok_or_else(|| HistoryError {
                    stream,
                    version: e.version,
                    problem: HistoryProblem::CannotFollow {
                        event_type: e.event.event_type().to_owned(),
                    },
                })?,
            );
        }
        let person = state.ok_or(LoadError::NotFound(stream))?;
        let activity = YoungPersonActivity::fold(events.iter().map(|e| &e.event));
        let version = events.last().map_or(0, |e| e.version);
        Ok((person, activity, version))
    }

    /// Decides and records a command about a young person rather than one of their cases:
    /// missing episodes and return interviews, joining or leaving the alumni group
    /// (R-20, checked against the young person's cases).
    pub async fn execute_for_young_person(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        command: YoungPersonCommand,
    ) -> Result<YoungPersonExecuted, CommandError> {
        let (person, activity, version) = self.load_young_person(young_person).await?;
        let cases = if matches!(command, YoungPersonCommand::JoinAlumni) {
            self.store.cases_of(young_person).await?
        } else {
            Vec::new()
        };
        let at = self.now();
        let ctx = CommandContext::new(actor, at, &self.profile);
        let reason = command.stated_reason();
        let events = activity.decide(&person, command, &cases, &ctx)?;
        let mut person = person;
        let mut activity = activity;
        for event in &events {
            person = YoungPerson::evolve(Some(person), event)
                .expect("decided events follow their state");
            activity.apply(event);
        }
        let new_version = version + events.len() as u64;
        let version = self
            .store
            .append(AppendRequest {
                stream: StreamId::YoungPerson(young_person),
                expected_version: version,
                events: events
                    .iter()
                    .map(|e| e.encode(Self::meta(actor, at, reason.clone())))
                    .collect(),
                read_model: ReadModelUpdate::YoungPerson(YoungPersonSummary::of(
                    &person,
                    new_version,
                )),
                snapshot: None,
                listings: None,
            })
            .await?;
        Ok(YoungPersonExecuted {
            person,
            activity,
            version,
            events,
        })
    }

    /// Records that a young person went missing at `started_at`; returns the episode.
    /// A third episode starting within 30 days raises a flag in the same append.
    pub async fn start_missing_episode(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        started_at: DateTime<Utc>,
    ) -> Result<MissingEpisodeId, CommandError> {
        let executed = self
            .execute_for_young_person(
                actor,
                young_person,
                YoungPersonCommand::StartMissingEpisode { started_at },
            )
            .await?;
        Ok(executed
            .events
            .iter()
            .find_map(|e| match e {
                YoungPersonEvent::MissingEpisodeStarted { episode, .. } => Some(*episode),
                _ => None,
            })
            .expect("a start records its episode"))
    }

    /// A young person's return interviews not yet completed or declined, as of now, soonest
    /// due first, each marked overdue strictly after 72 hours from the return.
    pub async fn return_interviews_due(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<ReturnInterviewDue>, LoadError> {
        let activity = self.young_person_activity(young_person).await?;
        Ok(activity.return_interviews_due(self.now()))
    }

    /// Receives a referral about a registered young person and opens a case. A young person
    /// with an earlier, finished case is re-referred into a new case linked to the latest one
    /// one with an open case is refused, naming it.
    pub async fn receive_referral(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        referral: NewReferral,
    ) -> Result<CaseId, CommandError> {
        self.open_case(actor, young_person, referral, None).await
    }

    /// Receives a referral that `workshop` led to (often an attendee's self-referral), as
    /// [`Casework::receive_referral`], with the case linked back to the workshop. The caller
    /// holds the workshop's state (see [`crate::workshop`]); the referral cannot arrive before
    /// the workshop's date.
    pub async fn receive_referral_from_workshop(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        workshop: &Workshop,
        referral: NewReferral,
    ) -> Result<CaseId, CommandError> {
        self.open_case(actor, young_person, referral, Some(workshop))
            .await
    }

    async fn open_case(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        referral: NewReferral,
        workshop: Option<&Workshop>,
    ) -> Result<CaseId, CommandError> {
        let person = self.young_person(young_person).await?;
        let earlier = self.store.cases_of(young_person).await?;
        if let Some(open) = earlier.iter().find(|c| !c.stage.is_finished()) {
            return Err(DomainError::OpenCaseExists { case: open.case_id }.into());
        }
        let previous = earlier.last().map(|c| c.case_id);
        let at = self.now();
        let ctx = CommandContext::new(actor, at, &self.profile);
        let id = CaseId::new();
        let (stage, events) = match workshop {
            Some(w) => Received::open_from_workshop(id, &person, referral, previous, w, &ctx)?,
            None => Received::open(id, &person, referral, previous, &ctx)?,
        };
        let case = crate::case::Stage::into_case(stage);
        self.append_case(id, 0, &case, events, actor, at, None)
            .await?;
        Ok(id)
    }

    /// Decides and records a command on a case.
    pub async fn execute(
        &self,
        actor: &Actor,
        case: CaseId,
        command: CaseCommand,
    ) -> Result<Executed, CommandError> {
        let (state, version, last_recorded) = self.load_case(case).await?;
        // Recorded times never go backwards within a case, even when the wall clock steps back
        // (NTP): `case_as_of` depends on it.
        let at = self.now().max(last_recorded);
        let mut ctx = CommandContext::new(actor, at, &self.profile);
        if matches!(
            command,
            CaseCommand::Allocate { .. } | CaseCommand::Approve { .. }
        ) {
            ctx.waiting_list_head = self.store.waiting_list().await?.first().map(|c| c.case_id);
        }
        let reason = command.stated_reason();
        let events = state.decide(command, &ctx)?;
        let mut next = state;
        for event in &events {
            next = Case::evolve(Some(next), event).expect("decided events follow their state");
        }
        let version = self
            .append_case(case, version, &next, events.clone(), actor, at, reason)
            .await?;
        Ok(Executed {
            case: next,
            version,
            events,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn append_case(
        &self,
        id: CaseId,
        expected_version: u64,
        state: &Case,
        events: Vec<CaseEvent>,
        actor: &Actor,
        at: DateTime<Utc>,
        reason: Option<String>,
    ) -> Result<u64, CommandError> {
        let new_version = expected_version + events.len() as u64;
        let snapshot =
            (new_version / SNAPSHOT_EVERY > expected_version / SNAPSHOT_EVERY).then(|| Snapshot {
                stream: StreamId::Case(id),
                version: new_version,
                schema_version: CASE_SNAPSHOT_SCHEMA,
                state: serde_json::to_string(state).expect("a case serializes to JSON"),
            });
        let events = events
            .iter()
            .map(|e| e.encode(Self::meta(actor, at, reason.clone())))
            .collect();
        Ok(self
            .store
            .append(AppendRequest {
                stream: StreamId::Case(id),
                expected_version,
                events,
                read_model: ReadModelUpdate::Case(CaseSummary::of(state, new_version)),
                snapshot,
                listings: None,
            })
            .await?)
    }

    /// The case's full history, decoded.
    pub async fn history(&self, case: CaseId) -> Result<Vec<Recorded<CaseEvent>>, LoadError> {
        let stream = StreamId::Case(case);
        let history = decode_stream::<CaseEvent>(&self.store.load(stream).await?)?;
        if history.is_empty() {
            return Err(LoadError::NotFound(stream));
        }
        Ok(history)
    }

    /// The current state and version: from the latest readable snapshot plus the events after
    /// it, or by replaying the whole stream when there is no snapshot or it cannot be read.
    /// Also returns when the stream's last event was recorded.
    pub(crate) async fn load_case(&self, case: CaseId) -> Result<(Case, u64, DateTime<Utc>), LoadError> {
        let stream = StreamId::Case(case);
        let (snapshot, events) = self.store.load_latest(stream).await?;
        let Some(last_recorded) = events.last().map(|e| e.meta.recorded_at) else {
            return self.replay_case(case).await;
        };
        let Some(snapshot) = snapshot else {
            let history = decode_stream::<CaseEvent>(&events)?;
            let version = history.last().map_or(0, |e| e.version);
            let state = fold(&history)?.ok_or(LoadError::NotFound(stream))?;
            return Ok((state, version, last_recorded));
        };
        // The events start at the snapshot's own last version: a snapshot past the end of its
        // stream (a restored backup, a bug), or one that cannot be read, is not trusted, and the
        // stream is replayed instead.
        let belongs =
            snapshot.version > 0 && events.first().map(|e| e.version) == Some(snapshot.version);
        match decode_snapshot(&snapshot).filter(|_| belongs) {
            Some(mut state) => {
                let tail = decode_stream_from::<CaseEvent>(&events[1..], snapshot.version + 1)?;
                let version = tail.last().map_or(snapshot.version, |e| e.version);
                for e in &tail {
                    state = Case::evolve(Some(state), &e.event).ok_or_else(|| cannot_follow(e))?;
                }
                Ok((state, version, last_recorded))
            }
            None => self.replay_case(case).await,
        }
    }

    async fn replay_case(&self, case: CaseId) -> Result<(Case, u64, DateTime<Utc>), LoadError> {
        let history = self.history(case).await?;
        let last = history
            .last()
            .ok_or(LoadError::NotFound(StreamId::Case(case)))?;
        let (version, last_recorded) = (last.version, last.meta.recorded_at);
        let state = fold(&history)?.ok_or(LoadError::NotFound(StreamId::Case(case)))?;
        Ok((state, version, last_recorded))
    }

    /// The case as it is now.
    pub async fn case(&self, case: CaseId) -> Result<Case, LoadError> {
        Ok(self.load_case(case).await?.0)
    }

    /// The case as it was at `at`: every event recorded at or before `at`, and none after
    /// "what was known on date X"). `None` if the case did not exist yet.
    pub async fn case_as_of(
        &self,
        case: CaseId,
        at: DateTime<Utc>,
    ) -> Result<Option<Case>, LoadError> {
        let history = self.history(case).await?;
        let known: Vec<_> = history
            .into_iter()
            .take_while(|e| e.meta.recorded_at <= at)
            .collect();
        Ok(fold(&known)?)
    }

    /// The waiting list in R-7 order.
    pub async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.waiting_list().await
    }

    /// Owed actions not yet discharged.
    pub async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.store.outstanding_actions().await
    }

    /// A young person's cases.
    pub async fn cases_of(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.cases_of(young_person).await
    }

    /// Reviews overdue now.
    pub async fn overdue_reviews(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.overdue_reviews(self.now()).await
    }

    /// Cases whose next review falls due in `[from, to)`, soonest first. For today's
    /// reviews, pass today's midnight and the next. Answered from the overdue-review query
    /// (every review due before `to`, less those due before `from`), so it reads more rows
    /// than it returns; an indexed query of its own is a store's to add.
    pub async fn reviews_due(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let mut due = self.store.overdue_reviews(to).await?;
        due.retain(|c| crate::read_model::is_review_due_within(c, from, to));
        Ok(due)
    }

    /// A case's expected against delivered sessions and contacts in `[from, to)`, with
    /// its contact with the referring professional.
    pub async fn cadence_report(
        &self,
        case: CaseId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<CadenceReport, LoadError> {
        Ok(report::cadence_report(&self.case(case).await?, from, to))
    }

    /// A case's length against its programme's expected length, now (R-14: shown, never
    /// enforced); `None` without a programme that states one, or before work began.
    pub async fn length_status(&self, case: CaseId) -> Result<Option<LengthStatus>, LoadError> {
        let state = self.case(case).await?;
        Ok(report::length_status(&state, &self.profile, self.now()))
    }

    /// The direction of a case's risk across its assessments (lifecycle 3, R-12).
    pub async fn risk_trend(&self, case: CaseId) -> Result<RiskTrend, LoadError> {
        Ok(report::risk_trend(&self.case(case).await?))
    }
}

/// Events between snapshots: a snapshot is written whenever a command crosses a multiple of
/// this many events, so a load replays fewer than this many events whatever the case's length.
pub const SNAPSHOT_EVERY: u64 = 32;

/// The format of case snapshots. Bump it when [`Case`]'s serialized form changes: older
/// snapshots are then ignored and the stream replayed (and re-snapshotted on the next write).
/// Version 2 adds the case file's `activity` (and `from_workshop`): a version 1 snapshot would
/// lack the times work began and paused, which the activity derives from older events.
pub const CASE_SNAPSHOT_SCHEMA: u32 = 2;

fn decode_snapshot(snapshot: &Snapshot) -> Option<Case> {
    if snapshot.schema_version != CASE_SNAPSHOT_SCHEMA {
        return None;
    }
    serde_json::from_str(&snapshot.state).ok()
}

fn cannot_follow(bad: &Recorded<CaseEvent>) -> HistoryError {
    HistoryError {
        stream: bad.stream,
        version: bad.version,
        problem: HistoryProblem::CannotFollow {
            event_type: bad.event.event_type().to_owned(),
        },
    }
}

/// Folds a decoded history, naming the event that cannot follow.
pub fn fold(history: &[Recorded<CaseEvent>]) -> Result<Option<Case>, HistoryError> {
    Case::fold(history.iter().map(|r| &r.event)).map_err(|i| cannot_follow(&history[i]))
}
