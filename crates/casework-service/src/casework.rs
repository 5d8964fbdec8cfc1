//! The application service: load, decide, append.
//!
//! [`Casework`] is the one handle a front end holds. Each command loads the stream, reads the
//! clock once, decides with the pure domain, and appends the events with the read-model rows
//! in one transaction at the version it loaded. It retries nothing silently: a concurrent
//! writer surfaces as [`CommandError::Conflict`], and the caller decides whether to reload
//! and try again.
//!
//! Why one module of this size: it is the handle's whole unchecked surface (every command and
//! read trusted code calls, each with its `# Errors`), while the generic load / decide /
//! append path is in [`crate::streams`] and the checked one in [`crate::acting`].

use crate::keyring::Keyring;
use casework_core::aggregate::Aggregate;
use casework_core::case::{Case, CaseCommand, CaseEvent, NewReferral};
use casework_core::intelligence::{
    Intelligence, IntelligenceCommand, IntelligenceEvent, NewIntelligence,
};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::clock::{Clock, SystemClock};
use casework_core::kernel::event::Recorded;
use casework_core::kernel::idempotency::Idempotency;
use casework_core::kernel::ids::{
    CaseId, IntelligenceId, MissingEpisodeId, StreamId, WorkshopId, YoungPersonId,
};
use casework_core::policy::profile::ServiceProfile;
use casework_core::policy::risk::RiskTrend;
use casework_core::read::listing::{
    ListingRow, WorkshopParticipantRow, WorkshopReach, WorkshopRow,
};
use casework_core::read::report::{self, CadenceReport, LengthStatus};
use casework_core::read::rows::{CaseSummary, ListingKind, ListingQuery, OwedActionSummary};
use casework_core::store::{Store, StoreError};
use casework_core::workshop::{NewWorkshop, Workshop, WorkshopCommand, WorkshopEvent};
use casework_core::young_person::missing::ReturnInterviewDue;
use casework_core::young_person::{
    YoungPerson, YoungPersonActivity, YoungPersonCommand, YoungPersonDetails, YoungPersonEvent,
    YoungPersonRecord,
};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use std::sync::Arc;

pub use crate::error::{CommandError, LoadError};

/// Events between snapshots: a snapshot is written whenever a command crosses a multiple of
/// this many events, so a load replays fewer than this many events whatever the stream's
/// length.
pub const SNAPSHOT_EVERY: u64 = 32;

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed<A: Aggregate = Case> {
    /// The aggregate after the command.
    pub state: A,
    /// The stream's new version.
    pub version: u64,
    /// The events appended.
    pub events: Vec<A::Event>,
    /// Whether this is the first result of an earlier call with the same idempotency key,
    /// replayed: then `state` is the aggregate as that call left it, `version` the version it
    /// reached and `events` the events it appended, and nothing was decided or appended now.
    pub replayed: bool,
}

/// What a command about a young person did: their identity and activity after it.
pub type YoungPersonExecuted = Executed<YoungPersonRecord>;

/// What a command to a workshop did.
pub type WorkshopExecuted = Executed<Workshop>;

/// What a command to an intelligence report did.
pub type IntelligenceExecuted = Executed<Intelligence>;

/// The handle a front end holds: a store, a service profile and a clock.
///
/// Its own methods are for trusted code (imports, jobs, tests) and take the acting person as
/// given; front ends act through [`Casework::acting_as`], whose caller must have authenticated
/// the actor. Raw access to the store, past the gate and the audit, is
/// [`crate::bypass::raw_store`], named so.
pub struct Casework<S> {
    store: S,
    profile: Arc<ServiceProfile>,
    clock: Arc<dyn Clock>,
    /// Seals confidential content at rest with each owner's data key, when set.
    keyring: Option<Arc<Keyring>>,
}

impl<S> Casework<S> {
    /// The store, raw: for [`crate::bypass::raw_store`] only.
    pub(crate) fn raw(&self) -> &S {
        &self.store
    }
}

impl<S: Store> Casework<S> {
    /// A service over `store`, configured by `profile`, on the system clock.
    pub fn new(store: S, profile: ServiceProfile) -> Self {
        Self {
            store,
            profile: Arc::new(profile),
            clock: Arc::new(SystemClock),
            keyring: None,
        }
    }

    /// The same service sealing confidential content at rest: every
    /// [`casework_core::kernel::confidential::Confidential`] value in the events and snapshots
    /// it writes is sealed with its owner's data key from `keyring`
    /// ([`crate::keyring`], [`casework_core::kernel::sealing`]). Without one, content is
    /// written as it is (tests; a store already encrypted below the library).
    #[must_use]
    pub fn with_keyring(mut self, keyring: Arc<Keyring>) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// The keyring, shared, for a read that opens identifying details ([`crate::identity`]).
    pub(crate) fn keyring_arc(&self) -> Option<Arc<Keyring>> {
        self.keyring.clone()
    }

    /// The keyring sealing this service's content, if any.
    pub fn keyring(&self) -> Option<&Keyring> {
        self.keyring.as_deref()
    }

    /// The same service on another clock (tests, imports).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store, for the service's own reads and appends. Code outside the service reaches it
    /// only through [`crate::bypass::raw_store`].
    pub(crate) fn store(&self) -> &S {
        &self.store
    }

    /// The read-model row of `case` (its stage, dates, risk level and version; no
    /// confidential content), unchecked like the other reads here; `None` when there is no
    /// such case.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails.
    pub async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        self.store.case_summary(case).await
    }

    /// The service profile.
    pub fn profile(&self) -> &ServiceProfile {
        &self.profile
    }

    /// One clock reading per command, at the microsecond precision every store keeps.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    /// Registers a young person, returning only the id: the check for possible duplicates
    /// runs and flags what it finds all the same; [`Casework::register`] returns it.
    ///
    /// # Errors
    ///
    /// As [`Casework::register`]:
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`), naming the field, when
    ///   the details break the profile's input limits or hold a year outside the years kept;
    ///   on `date_of_birth` when it is after today (the service's local date) or more than 120
    ///   years before it ([`YoungPerson::register`]).
    /// - `CommandError::Store` (`store_*`) when reading the identity block for the duplicate check
    ///   or appending the registration fails.
    pub async fn register_young_person(
        &self,
        actor: &Actor,
        details: YoungPersonDetails,
    ) -> Result<YoungPersonId, CommandError> {
        Ok(self.register(actor, details).await?.young_person)
    }

    /// A young person's record.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such young person; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn young_person(&self, id: YoungPersonId) -> Result<YoungPerson, LoadError> {
        Ok(self.load::<YoungPersonRecord>(id).await?.state.person)
    }

    /// A young person's missing episodes, missing flags and alumni membership.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such young person; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn young_person_activity(
        &self,
        id: YoungPersonId,
    ) -> Result<YoungPersonActivity, LoadError> {
        Ok(self.load::<YoungPersonRecord>(id).await?.state.activity)
    }

    /// A young person's full history, decoded: registration, every correction of their
    /// details with who made it, when and why, and their missing episodes and alumni
    /// membership.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such young person; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn young_person_history(
        &self,
        id: YoungPersonId,
    ) -> Result<Vec<Recorded<YoungPersonEvent>>, LoadError> {
        self.load_stream(StreamId::YoungPerson(id)).await
    }

    /// A young person's details as they were recorded at `at`: before a correction, the
    /// details it corrected (R-18: "what was known on date X"). `None` if they were not
    /// registered yet.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such young person; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    ///
    /// A young person registered after `at` is `Ok(None)`, not `not_found`.
    pub async fn young_person_as_of(
        &self,
        id: YoungPersonId,
        at: DateTime<Utc>,
    ) -> Result<Option<YoungPerson>, LoadError> {
        let mut person = None;
        for e in self.young_person_history(id).await? {
            if e.meta.recorded_at > at {
                break;
            }
            person = YoungPerson::evolve(person, &e.event);
        }
        Ok(person)
    }

    /// The identity, the activity and the stream's version.
    pub(crate) async fn load_young_person(
        &self,
        id: YoungPersonId,
    ) -> Result<(YoungPerson, YoungPersonActivity, u64), LoadError> {
        let loaded = self.load::<YoungPersonRecord>(id).await?;
        Ok((loaded.state.person, loaded.state.activity, loaded.version))
    }

    /// Decides and records a command about a young person rather than one of their cases:
    /// missing episodes and return interviews, joining or leaving the alumni group
    /// (R-20, checked against the young person's cases), correcting their details with a
    /// reason.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the young person cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Rejected` with the `DomainError` the rules refuse with (its own code,
    ///   naming the rule) when [`YoungPersonActivity::decide`] refuses: `not_eligible_for_alumni`
    ///   for `join_alumni`, otherwise `bad_input` naming the field (R-22 for missing
    ///   episodes and return interviews, R-18 for corrections).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the young
    ///   person's stream after it was loaded.
    /// - `CommandError::Store` (`store_*`) when a lookup the decision needs (their cases, for
    ///   `join_alumni`) or the append fails.
    pub async fn execute_for_young_person(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        command: YoungPersonCommand,
    ) -> Result<YoungPersonExecuted, CommandError> {
        self.execute_on(actor, young_person, command).await
    }

    /// Records that a young person went missing at `started_at`; returns the episode.
    /// A third episode starting within 30 days raises a flag in the same append.
    ///
    /// # Errors
    ///
    /// As [`Casework::execute_for_young_person`]; the rules' refusal is `DomainError::Input`
    /// (`bad_input`) on `started_at` when it is later than now, before the young person's date of
    /// birth, while an episode is still open, or within a recorded episode.
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
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such young person; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn return_interviews_due(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<ReturnInterviewDue>, LoadError> {
        let activity = self.young_person_activity(young_person).await?;
        Ok(activity.return_interviews_due(self.now()))
    }

    /// Receives a referral about a registered young person and opens a case. A young person
    /// with an earlier, finished case is re-referred into a new case linked to the latest one
    /// one with an open case is refused, naming it. Records linked as the same person
    /// count as one. The young person is checked for possible duplicates, and new ones
    /// flagged; [`Casework::refer`] returns them with the case.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the young person cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Rejected` with `DomainError::OpenCaseExists` (`open_case_exists`, R-17),
    ///   naming the case, when the young person, or a record linked as the same person, has
    ///   an open case.
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) on `received_at` when it
    ///   is later than now ([`Received::open`](casework_core::case::Received::open)).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the young
    ///   person's stream while the duplicate check flagged new candidates on it.
    /// - `CommandError::Store` (`store_*`) when reading the young person's cases, their links or
    ///   the identity block, or an append, fails.
    pub async fn receive_referral(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        referral: NewReferral,
    ) -> Result<CaseId, CommandError> {
        Ok(self
            .open_case(actor, young_person, referral, None, None)
            .await?
            .case)
    }

    /// Receives a referral that `workshop` led to (often an attendee's self-referral), as
    /// [`Casework::receive_referral`], with the case linked back to the workshop by id. The
    /// workshop is loaded from its own stream ([`LoadError::NotFound`] if there is none);
    /// the referral cannot arrive before the workshop's date.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` with `LoadError::NotFound` (`not_found`) when there is no such
    ///   workshop, or `history_unreadable` / `store_*` loading it.
    /// - `CommandError::Load` when the young person cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Rejected` with `DomainError::OpenCaseExists` (`open_case_exists`, R-17),
    ///   naming the case, when the young person, or a record linked as the same person, has
    ///   an open case.
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) on `received_at` when the
    ///   referral's date is before the workshop's date or its time is later than now
    ///   ([`Received::open_from_workshop`](casework_core::case::Received::open_from_workshop)).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the young
    ///   person's stream while the duplicate check flagged new candidates on it.
    /// - `CommandError::Store` (`store_*`) when reading the young person's cases, their links or
    ///   the identity block, or an append, fails.
    pub async fn receive_referral_from_workshop(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        workshop: WorkshopId,
        referral: NewReferral,
    ) -> Result<CaseId, CommandError> {
        let workshop = self.workshop(workshop).await?;
        Ok(self
            .open_case(actor, young_person, referral, Some(&workshop), None)
            .await?
            .case)
    }

    /// Decides and records a command on a case.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the case cannot be loaded: `not_found` when there is no such
    ///   case, `history_unreadable` for a history this version cannot read, `store_*` when
    ///   the store fails.
    /// - `CommandError::Rejected` with the `DomainError` the rules refuse with (its own code,
    ///   naming the rule) when [`Case::decide`] refuses (a closed case is `case_closed`, R-17; a
    ///   step the stage does not have is `not_at_this_stage`; each step documents its own).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the case's
    ///   stream after it was loaded.
    /// - `CommandError::Store` (`store_*`) when a lookup the decision needs (the waiting list's
    ///   head, the young person's cases) or the append fails.
    pub async fn execute(
        &self,
        actor: &Actor,
        case: CaseId,
        command: CaseCommand,
    ) -> Result<Executed, CommandError> {
        self.execute_on(actor, case, command).await
    }

    /// The case's full history, decoded.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn history(&self, case: CaseId) -> Result<Vec<Recorded<CaseEvent>>, LoadError> {
        self.load_stream::<CaseEvent>(StreamId::Case(case)).await
    }

    /// The case as it is now.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn case(&self, case: CaseId) -> Result<Case, LoadError> {
        Ok(self.load::<Case>(case).await?.state)
    }

    /// The case as it was at `at`: every event recorded at or before `at`, and none after
    /// "what was known on date X"). `None` if the case did not exist yet.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read or an event in it cannot
    /// follow the ones before it; `LoadError::Store` (`store_*`) when the store fails.
    ///
    /// A case opened after `at` is `Ok(None)`, not `not_found`.
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
        Ok(casework_core::case::fold(&known)?)
    }

    /// The waiting list in R-7 order.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails.
    pub async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.waiting_list().await
    }

    /// Owed actions not yet discharged.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails.
    pub async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.store.outstanding_actions().await
    }

    /// A young person's cases.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails.
    pub async fn cases_of(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.cases_of(young_person).await
    }

    /// Reviews overdue now.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails.
    pub async fn overdue_reviews(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.overdue_reviews(self.now()).await
    }

    /// A case's expected against delivered sessions and contacts in `[from, to)`, with
    /// its contact with the referring professional.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
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
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn length_status(&self, case: CaseId) -> Result<Option<LengthStatus>, LoadError> {
        let state = self.case(case).await?;
        Ok(report::length_status(&state, &self.profile, self.now()))
    }

    /// The direction of a case's risk across its assessments (lifecycle 3, R-12).
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn risk_trend(&self, case: CaseId) -> Result<RiskTrend, LoadError> {
        Ok(report::risk_trend(&self.case(case).await?))
    }
}

/// Workshops and intelligence: aggregates of their own, each on its own stream, with no row in
/// the case tables
/// ([`ReadModelUpdate::None`](casework_core::read::rows::ReadModelUpdate::None)); their
/// listings say what the service-wide queries need.
impl<S: Store> Casework<S> {
    /// Plans a workshop at a school or youth club on its own stream (see
    /// [`casework_core::workshop`]); returns its id.
    ///
    /// # Errors
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) naming the field when
    ///   [`Workshop::plan`] refuses the details.
    /// - `CommandError::Store` (`store_*`) when the append fails.
    pub async fn plan_workshop(
        &self,
        actor: &Actor,
        details: NewWorkshop,
    ) -> Result<WorkshopId, CommandError> {
        Ok(self
            .plan_workshop_keyed(actor, details, None)
            .await?
            .state
            .id)
    }

    /// [`Casework::plan_workshop`] with an idempotency key (scoped to `actor`), answering the
    /// workshop as planned: a retry returns the workshop the first call planned
    /// ([`Executed::replayed`]) and plans none; the key used for another request is
    /// [`CommandError::IdempotencyKeyReused`] ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) naming the field when
    ///   [`Workshop::plan`] refuses the details.
    /// - `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`) when the key was already
    ///   used for a different request, or for a stream that is not a workshop's; a retry of the
    ///   same request is not an error. `CommandError::Store` (`store_corrupt`) when the versions
    ///   the key recorded are not in the stream.
    /// - `CommandError::Load` (`not_found`, `history_unreadable`, `store_*`) when a retry's a
    ///   workshop stream cannot be read back.
    /// - `CommandError::Store` (`store_*`) when looking the key up or the append fails.
    pub async fn plan_workshop_keyed(
        &self,
        actor: &Actor,
        details: NewWorkshop,
        idempotency: Option<Idempotency>,
    ) -> Result<WorkshopExecuted, CommandError> {
        let workshop_of = |stream| match stream {
            StreamId::Workshop(id) => Some(id),
            _ => None,
        };
        self.open_keyed::<Workshop>(actor, idempotency, workshop_of, |ctx| {
            let id = WorkshopId::new();
            Ok((id, Workshop::plan(id, details, ctx)?))
        })
        .await
    }

    /// Decides and records a command to a workshop: attendance, vulnerable attendees,
    /// individual tutorials, evaluation forms.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the workshop cannot be loaded: `not_found` when there is no such
    ///   workshop, `history_unreadable` for a history this version cannot read, `store_*`
    ///   when the store fails.
    /// - `CommandError::Rejected` with the `DomainError` the rules refuse with (its own code,
    ///   naming the rule) when [`Workshop::decide`] refuses: `bad_input` naming the field.
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the workshop's
    ///   stream after it was loaded.
    /// - `CommandError::Store` (`store_*`) when the append fails.
    pub async fn execute_workshop(
        &self,
        actor: &Actor,
        workshop: WorkshopId,
        command: WorkshopCommand,
    ) -> Result<WorkshopExecuted, CommandError> {
        self.execute_on(actor, workshop, command).await
    }

    /// The workshops a registered young person took part in (attended, was identified as
    /// vulnerable, had a tutorial or returned an evaluation form), by date: one indexed read of
    /// their [`ListingKind::WorkshopParticipant`] listings (R-23: subject access and erasure).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn workshops_of(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<WorkshopParticipantRow>, StoreError> {
        self.listed(
            ListingQuery::all(ListingKind::WorkshopParticipant).key(young_person.to_string()),
        )
        .await
    }

    /// A workshop as it is now.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such workshop; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn workshop(&self, workshop: WorkshopId) -> Result<Workshop, LoadError> {
        Ok(self.load::<Workshop>(workshop).await?.state)
    }

    /// A workshop's full history, decoded.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such workshop; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn workshop_history(
        &self,
        workshop: WorkshopId,
    ) -> Result<Vec<Recorded<WorkshopEvent>>, LoadError> {
        self.load_stream(StreamId::Workshop(workshop)).await
    }

    /// Records a report of intelligence about possible perpetrators on its own stream, apart
    /// from every case and linked to cases and young people only by id; returns its id.
    ///
    /// # Errors
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) naming the field when
    ///   [`Intelligence::record`] (on `learnt_at`, later than now) refuses the details.
    /// - `CommandError::Store` (`store_*`) when the append fails.
    pub async fn record_intelligence(
        &self,
        actor: &Actor,
        details: NewIntelligence,
    ) -> Result<IntelligenceId, CommandError> {
        Ok(self
            .record_intelligence_keyed(actor, details, None)
            .await?
            .state
            .id)
    }

    /// [`Casework::record_intelligence`] with an idempotency key (scoped to `actor`),
    /// answering the report as recorded: a retry returns the report the first call recorded
    /// ([`Executed::replayed`]) and records none; the key used for another request is
    /// [`CommandError::IdempotencyKeyReused`] ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) naming the field when
    ///   [`Intelligence::record`] (on `learnt_at`, later than now) refuses the details.
    /// - `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`) when the key was already
    ///   used for a different request, or for a stream that is not an intelligence report's; a
    ///   retry of the same request is not an error. `CommandError::Store` (`store_corrupt`) when
    ///   the versions the key recorded are not in the stream.
    /// - `CommandError::Load` (`not_found`, `history_unreadable`, `store_*`) when a retry's an
    ///   intelligence report stream cannot be read back.
    /// - `CommandError::Store` (`store_*`) when looking the key up or the append fails.
    pub async fn record_intelligence_keyed(
        &self,
        actor: &Actor,
        details: NewIntelligence,
        idempotency: Option<Idempotency>,
    ) -> Result<IntelligenceExecuted, CommandError> {
        let intelligence_of = |stream| match stream {
            StreamId::Intelligence(id) => Some(id),
            _ => None,
        };
        self.open_keyed::<Intelligence>(actor, idempotency, intelligence_of, |ctx| {
            let id = IntelligenceId::new();
            Ok((id, Intelligence::record(id, details, ctx)?))
        })
        .await
    }

    /// Decides and records a command to an intelligence report: passing it to the police
    /// a report of immediate risk goes first by an immediate call).
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the intelligence report cannot be loaded: `not_found` when there
    ///   is no such intelligence report, `history_unreadable` for a history this version
    ///   cannot read, `store_*` when the store fails.
    /// - `CommandError::Rejected` with the `DomainError` the rules refuse with (its own code,
    ///   naming the rule) when [`Intelligence::decide`] refuses: `immediate_risk_needs_call`
    ///   when a report of immediate risk is passed by the non-urgent channel before an immediate
    ///   call, `bad_input` on `passed_at`.
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the
    ///   intelligence report's stream after it was loaded.
    /// - `CommandError::Store` (`store_*`) when the append fails.
    pub async fn execute_intelligence(
        &self,
        actor: &Actor,
        intelligence: IntelligenceId,
        command: IntelligenceCommand,
    ) -> Result<IntelligenceExecuted, CommandError> {
        self.execute_on(actor, intelligence, command).await
    }

    /// An intelligence report as it is now.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such intelligence report;
    /// `LoadError::History` (`history_unreadable`, R-18) when its stored history cannot be read;
    /// `LoadError::Store` (`store_*`) when the store fails.
    pub async fn intelligence(
        &self,
        intelligence: IntelligenceId,
    ) -> Result<Intelligence, LoadError> {
        Ok(self.load::<Intelligence>(intelligence).await?.state)
    }

    /// An intelligence report's full history, decoded.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such intelligence report;
    /// `LoadError::History` (`history_unreadable`, R-18) when its stored history cannot be read;
    /// `LoadError::Store` (`store_*`) when the store fails.
    pub async fn intelligence_history(
        &self,
        intelligence: IntelligenceId,
    ) -> Result<Vec<Recorded<IntelligenceEvent>>, LoadError> {
        self.load_stream(StreamId::Intelligence(intelligence)).await
    }
}

/// Service-wide queries, each one indexed read of the listings (see [`casework_core::read::listing`]), never
/// a scan of every case. Windows are half-open: `from` is in, `to` is not.
impl<S: Store> Casework<S> {
    async fn listed<T: ListingRow>(&self, query: ListingQuery) -> Result<Vec<T>, StoreError> {
        casework_core::read::listing::decode_all(&self.store.listings(query).await?)
    }

    /// Expected against delivered sessions and contacts in `[from, to)` for every open case
    /// whose work began before `to`, by when allocated: one listing query, then each
    /// case listed is loaded. A case closed since is not open: ask its own
    /// [`Casework::cadence_report`].
    ///
    /// # Errors
    ///
    /// `LoadError::Store` (`store_*`) when the store fails, or a listing row does not decode
    /// (`store_corrupt`); then, for each case listed, as [`Casework::case`]: `not_found` when a
    /// listed case has no stream (a damaged store), `history_unreadable`.
    pub async fn cadence_across_open_cases(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CadenceReport>, LoadError> {
        let open = self.open_cases(None).await?;
        let mut reports = Vec::new();
        for row in open
            .iter()
            .filter(|r| r.work_begun_at.is_some_and(|begun| begun < to))
        {
            reports.push(report::cadence_report(
                &self.case(row.case_id).await?,
                from,
                to,
            ));
        }
        Ok(reports)
    }

    /// Workshop reach and evaluation results for workshops dated in `[from, to)`: each
    /// workshop, by date, and the totals.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn workshop_reach(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<WorkshopReach, StoreError> {
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        let workshops: Vec<WorkshopRow> = self
            .listed(
                ListingQuery::all(ListingKind::Workshop)
                    .from(midnight(from))
                    .before(midnight(to)),
            )
            .await?;
        Ok(WorkshopReach::of(from, to, workshops))
    }
}

/// The format of case snapshots. Bump it when [`Case`]'s serialized form changes: older
/// snapshots are then ignored and the stream replayed (and re-snapshotted on the next write).
/// Version 2 adds the case file's `activity` (and `from_workshop`): a version 1 snapshot would
/// lack the times work began and paused, which the activity derives from older events.
/// Version 3: the activity's `ended_at` is also set when a referral is declined, signposted or
/// withdrawn (the closed-case listing's time), which a version 2 snapshot would lack.
pub const CASE_SNAPSHOT_SCHEMA: u32 = match <Case as Aggregate>::SNAPSHOT_SCHEMA {
    Some(schema) => schema,
    None => 0,
};
