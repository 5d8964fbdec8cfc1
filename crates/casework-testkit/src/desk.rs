//! [`Desk`]: a front desk over one store, for service-level tests.
//!
//! A [`Casework`] service on a [`ManualClock`] stopped at [`fixtures::start`], with a worker,
//! their manager, an administrator and the directory that puts the worker in the manager's
//! team, and the steps tests take again and again: register a young person, refer, screen and
//! assess, allocate, agree a plan, begin work, run a command (panicking, naming it, when it is
//! refused), record a missing episode. Test files that need more keep a thin wrapper around
//! it (`Deref` to it) with their own steps.
//!
//! Steps do not move the clock unless the desk is [`Desk::ticking`]: then every step it runs
//! (registering, referring, a command on a case or a young person) advances the clock by the
//! tick afterwards, so each is recorded at its own time.
//!
//! Always built, with no feature: the [`conformance`](crate::conformance) suite and the
//! [`confidentiality`](crate::confidentiality) property stand on it, and it needs nothing
//! beyond the testkit's own dependencies.
//!
//! ```
//! use casework_memory::MemoryStore;
//! use casework_testkit::desk::Desk;
//! use casework_testkit::fixtures;
//! use casework_core::case::StageName;
//! use chrono::Duration;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let desk = Desk::new(MemoryStore::new());
//! let person = desk.register(fixtures::girl_in_leeds_area()).await;
//! let case = desk.at_work(person, &["older_boyfriend"]).await;
//! desk.advance(Duration::days(1));
//! assert_eq!(desk.now(), fixtures::start() + Duration::days(1));
//! assert_eq!(desk.cw.case(case).await.unwrap().stage(), StageName::Active);
//! # });
//! ```

use crate::fixtures;
use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::{CaseCommand, NewReferral};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::clock::{Clock, ManualClock};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{CaseId, YoungPersonId};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::policy::profile::ServiceProfile;
use casework_core::privacy::access::StaffDirectory;
use casework_core::store::Store;
use casework_core::young_person::{YoungPersonCommand, YoungPersonDetails, YoungPersonEvent};
use casework_service::{Acting, Casework, CommandError, Executed, YoungPersonExecuted};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The plan [`Desk::engaged_with`] agrees.
pub const PLAN: &str = "Weekly sessions";

/// A service over one store, on a manual clock, with staff.
pub struct Desk<S> {
    /// The service.
    pub cw: Casework<S>,
    /// The clock it reads, stopped at [`fixtures::start`].
    pub clock: Arc<ManualClock>,
    /// The worker the desk's steps run as, and allocate cases to ([`fixtures::worker`]).
    pub worker: Actor,
    /// The worker's manager ([`fixtures::manager`]).
    pub manager: Actor,
    /// An administrator.
    pub admin: Actor,
    /// The manager's team, holding the worker.
    pub directory: StaffDirectory,
    tick: Duration,
}

impl<S: Store> Desk<S> {
    /// The city girls' service on `store`.
    pub fn new(store: S) -> Self {
        Self::with_profile(store, city_girls_service())
    }

    /// The service `profile` describes, on `store`.
    pub fn with_profile(store: S, profile: ServiceProfile) -> Self {
        let clock = Arc::new(fixtures::clock());
        let worker = fixtures::worker();
        let manager = fixtures::manager();
        let directory = StaffDirectory::new().team(manager.id, [worker.id]);
        Desk {
            cw: Casework::new(store, profile).with_clock(clock.clone()),
            clock,
            worker,
            manager,
            admin: Actor::new("Ash Admin", Role::Administrator),
            directory,
            tick: Duration::zero(),
        }
    }

    /// The same desk, advancing the clock by `tick` after every step it runs.
    #[must_use]
    pub fn ticking(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        casework_service::bypass::raw_store(&self.cw)
    }

    /// The clock's time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    /// Advances the clock by the desk's tick ([`Desk::ticking`]; none by default), as its
    /// own steps do after each: for steps a test takes past the desk.
    pub fn tick(&self) {
        self.clock.advance(self.tick);
    }

    /// The checked handle for `actor`, with the desk's directory (R-27).
    pub fn acting_as<'a>(&'a self, actor: &'a Actor) -> Acting<'a, S> {
        self.cw.acting_as(actor, &self.directory)
    }

    /// Registers a young person with `details`, as the worker.
    pub async fn register(&self, details: YoungPersonDetails) -> YoungPersonId {
        let person = self
            .cw
            .register_young_person(&self.worker, details)
            .await
            .unwrap_or_else(|e| panic!("registering a young person was refused: {e}"));
        self.tick();
        person
    }

    /// Receives `referral` about `person` and opens a case, as the worker.
    pub async fn refer(&self, person: YoungPersonId, referral: NewReferral) -> CaseId {
        let case = self
            .cw
            .receive_referral(&self.worker, person, referral)
            .await
            .unwrap_or_else(|e| panic!("the referral about {person} was refused: {e}"));
        self.tick();
        case
    }

    /// Runs `command` on `case` as `actor`; the outcome, refused or not.
    pub async fn try_run_as(
        &self,
        actor: &Actor,
        case: CaseId,
        command: CaseCommand,
    ) -> Result<Executed, CommandError> {
        let done = self.cw.execute(actor, case, command).await;
        self.tick();
        done
    }

    /// Runs `command` on `case` as `actor`; panics, naming it, when it is refused.
    pub async fn run_as(&self, actor: &Actor, case: CaseId, command: CaseCommand) -> Executed {
        let name = command.name();
        self.try_run_as(actor, case, command)
            .await
            .unwrap_or_else(|e| panic!("`{name}` on {case} was refused: {e}"))
    }

    /// Runs `command` on `case` as the worker; panics, naming it, when it is refused.
    pub async fn run(&self, case: CaseId, command: CaseCommand) -> Executed {
        self.run_as(&self.worker, case, command).await
    }

    /// Runs `command` about `person` as the worker; the outcome, refused or not.
    pub async fn try_run_for(
        &self,
        person: YoungPersonId,
        command: YoungPersonCommand,
    ) -> Result<YoungPersonExecuted, CommandError> {
        let done = self
            .cw
            .execute_for_young_person(&self.worker, person, command)
            .await;
        self.tick();
        done
    }

    /// Runs `command` about `person` as the worker; panics, naming it, when it is refused.
    pub async fn run_for(
        &self,
        person: YoungPersonId,
        command: YoungPersonCommand,
    ) -> YoungPersonExecuted {
        let name = command.name();
        self.try_run_for(person, command)
            .await
            .unwrap_or_else(|e| panic!("`{name}` about {person} was refused: {e}"))
    }

    /// Screens `case` and assesses its risk with `indicators`.
    pub async fn assess(&self, case: CaseId, indicators: &[&str]) {
        self.run(case, CaseCommand::Screen).await;
        self.run(
            case,
            CaseCommand::AssessRisk {
                indicators: indicators.iter().map(|i| (*i).into()).collect(),
                worker_override: None,
            },
        )
        .await;
    }

    /// A self-referral about `person` received now, screened and assessed with `indicators`.
    pub async fn assessed(&self, person: YoungPersonId, indicators: &[&str]) -> CaseId {
        let case = self
            .refer(person, fixtures::self_referral(self.now()))
            .await;
        self.assess(case, indicators).await;
        case
    }

    /// [`Desk::assessed`], accepted for support, allocated to `worker` and its plan ([`PLAN`])
    /// agreed: ready for work to begin.
    pub async fn engaged_with(
        &self,
        person: YoungPersonId,
        indicators: &[&str],
        worker: &Actor,
    ) -> CaseId {
        let case = self.assessed(person, indicators).await;
        self.run(case, CaseCommand::AcceptForSupport).await;
        self.run(case, allocate_to(worker)).await;
        self.run(
            case,
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(fixtures::text(PLAN)),
            },
        )
        .await;
        case
    }

    /// [`Desk::engaged_with`] the desk's worker, with work begun.
    pub async fn at_work(&self, person: YoungPersonId, indicators: &[&str]) -> CaseId {
        let case = self.engaged_with(person, indicators, &self.worker).await;
        self.run(case, CaseCommand::BeginWork).await;
        case
    }

    /// A young person registered with `details`, and a case [`Desk::at_work`] for them.
    pub async fn person_at_work(
        &self,
        details: YoungPersonDetails,
        indicators: &[&str],
    ) -> (YoungPersonId, CaseId) {
        let person = self.register(details).await;
        (person, self.at_work(person, indicators).await)
    }

    /// A consent decision by the young person, in person, now.
    pub fn consent(&self, scope: ConsentScope, decision: ConsentDecision) -> CaseCommand {
        CaseCommand::RecordConsent {
            entry: ConsentEntry {
                scope,
                decision,
                by: ConsentGiver::YoungPerson,
                method: ConsentMethod::InPerson,
                purpose: fixtures::text("asked in person"),
                given_at: self.now(),
            },
        }
    }

    /// A missing episode of `person` from `from` to `to`, each recorded at its time (the
    /// clock is left at `to`); the start's outcome, with any flag it raised.
    pub async fn episode(
        &self,
        person: YoungPersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> YoungPersonExecuted {
        self.set(from);
        let started = self
            .run_for(
                person,
                YoungPersonCommand::StartMissingEpisode { started_at: from },
            )
            .await;
        let episode = started
            .events
            .iter()
            .find_map(|e| match e {
                YoungPersonEvent::MissingEpisodeStarted { episode, .. } => Some(*episode),
                _ => None,
            })
            .expect("a start records its episode");
        self.set(to);
        self.run_for(
            person,
            YoungPersonCommand::EndMissingEpisode {
                episode,
                returned_at: to,
            },
        )
        .await;
        started
    }
}

/// Allocates a case to `worker`, in waiting-list order.
pub fn allocate_to(worker: &Actor) -> CaseCommand {
    CaseCommand::Allocate {
        worker: worker.id,
        worker_name: fixtures::text(&worker.name),
        out_of_order_reason: None,
    }
}
