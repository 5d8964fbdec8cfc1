//! The system under test: [`StoreFactory`] (how a store's author makes fresh stores), [`Sut`] (the
//! real [`Casework`] facade over one, which runs each step and checks the result, the invariants
//! and the queries against the model), and [`ModelTest`], the `proptest-state-machine`
//! [`StateMachineTest`] that drives it.

use crate::model::compare::{compare_case, describe_error, refusal_matches};
use crate::model::runner::{SETTINGS, TALLY};
use crate::model::steps::{id, UNKNOWN};
use crate::model::{
    invariants, CaseworkModel, ModelState, Prediction, Resolved, StateMachineTest, Step,
};
use crate::stored::stored;
use casework_core::case::{Case, CaseEvent, StageName};
use casework_core::kernel::clock::ManualClock;
use casework_core::kernel::event::decode_stream;
use casework_core::kernel::ids::{ApprovalId, CaseId, OwedActionId, YoungPersonId};
use casework_core::policy::profile::Approvals;
use casework_core::read::rows::CaseSummary;
use casework_core::store::Store;
use casework_service::{Casework, CommandError};
use chrono::{DateTime, Duration, Utc};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// Makes fresh, empty stores for the model-based test, one per sequence: the one thing a
/// store's author writes to hold a store to the model.
pub trait StoreFactory: 'static {
    /// The store.
    type Store: Store + 'static;

    /// The store's name, for reports.
    fn name() -> &'static str;

    /// A fresh, empty, ready (migrated) store. Runs on the sequence's own current-thread
    /// tokio runtime.
    fn fresh() -> impl Future<Output = Self::Store>;

    /// Cleans up after a sequence that passed (drops a schema, …), just before the store is
    /// dropped; by default does nothing.
    fn dispose(store: &Self::Store) -> impl Future<Output = ()> {
        let _ = store;
        async {}
    }
}

/// The real [`Casework`] facade over a fresh store, with the ids the store gave to what the
/// model knows by position.
pub struct Sut<S: Store> {
    rt: tokio::runtime::Runtime,
    service: Option<Casework<S>>,
    clock: Arc<ManualClock>,
    name: &'static str,
    people: Vec<YoungPersonId>,
    cases: Vec<CaseId>,
    owed: Vec<Vec<OwedActionId>>,
    approvals: Vec<Vec<ApprovalId>>,
    seen: Vec<Option<Case>>,
    log: Vec<String>,
}

/// What the service did with a step.
enum Got {
    Registered(YoungPersonId),
    Opened(Vec<&'static str>),
    Executed(Box<casework_service::Executed>),
    Failed(CommandError),
}

fn event_types(events: &[CaseEvent]) -> Vec<&'static str> {
    events.iter().map(CaseEvent::event_type).collect()
}

impl<S: Store> Sut<S> {
    fn service(&self) -> &Casework<S> {
        self.service
            .as_ref()
            .expect("the service lives until teardown")
    }

    fn fail(&self, problem: impl fmt::Display) -> ! {
        panic!(
            "model-based test on {}: {problem}\n\nThe sequence (the model's prediction, then what \
             the store did; a shrunk sequence once proptest is done):\n{}\n",
            self.name,
            self.log.join("\n")
        )
    }

    fn ok<T>(&self, what: &str, result: Result<T, String>) -> T {
        result.unwrap_or_else(|problem| self.fail(format!("invariant broken ({what}): {problem}")))
    }

    fn block<T>(&self, what: &str, f: impl Future<Output = Result<T, impl fmt::Debug>>) -> T {
        match self.rt.block_on(f) {
            Ok(v) => v,
            Err(e) => self.fail(format!("{what} failed: {e:?}")),
        }
    }

    fn step(&mut self, state: &ModelState, step: &Step) {
        let expected = state
            .last
            .clone()
            .expect("the model records a prediction for every step");
        self.clock.set(state.now);
        let actor = step.by.actor();
        let unknown_case: CaseId = id(UNKNOWN);
        let got = match &expected.input {
            Resolved::Register(details) => {
                match self.rt.block_on(
                    self.service()
                        .register_young_person(&actor, details.clone()),
                ) {
                    Ok(id) => Got::Registered(id),
                    Err(e) => Got::Failed(e),
                }
            }
            Resolved::Refer { person, referral } => {
                let person = person.map_or_else(|| id(UNKNOWN), |p| self.people[p]);
                match self.rt.block_on(self.service().receive_referral(
                    &actor,
                    person,
                    referral.clone(),
                )) {
                    Ok(case) => {
                        let history = self.block("history", self.service().history(case));
                        let events: Vec<CaseEvent> = history.into_iter().map(|r| r.event).collect();
                        self.owed.push(owed_ids(&events));
                        self.approvals.push(Vec::new());
                        self.cases.push(case);
                        self.seen.push(None);
                        Got::Opened(event_types(&events))
                    }
                    Err(e) => Got::Failed(e),
                }
            }
            Resolved::Execute { case, command } => {
                let target = case.map_or(unknown_case, |i| self.cases[i]);
                let command = match case {
                    Some(i) => command.to_command(
                        state.now,
                        |n| self.owed[*i].get(n).copied(),
                        |n| self.approvals[*i].get(n).copied(),
                    ),
                    None => command.to_command(state.now, |_| None, |_| None),
                };
                match self
                    .rt
                    .block_on(self.service().execute(&actor, target, command))
                {
                    Ok(done) => {
                        let i = case.expect("an unknown case is never executed");
                        self.owed[i].extend(owed_ids(&done.events));
                        self.approvals[i].extend(done.events.iter().filter_map(|e| match e {
                            CaseEvent::ApprovalRequested { approval } => Some(approval.id),
                            _ => None,
                        }));
                        Got::Executed(Box::new(done))
                    }
                    Err(e) => Got::Failed(e),
                }
            }
        };
        let did = match &got {
            Got::Registered(_) => "accepted [young_person_registered]".to_owned(),
            Got::Opened(events) => format!("accepted [{}]", events.join(", ")),
            Got::Executed(done) => format!(
                "accepted [{}] (stage {})",
                event_types(&done.events).join(", "),
                done.state.stage()
            ),
            Got::Failed(e) => format!("refused: {}", describe_error(e)),
        };
        let agrees = match (&expected.prediction, &got) {
            (Prediction::Accepted(events), Got::Registered(_)) => {
                events == &["young_person_registered"]
            }
            (Prediction::Accepted(events), Got::Opened(got)) => events == got,
            (Prediction::Accepted(events), Got::Executed(done)) => {
                *events == event_types(&done.events)
            }
            (Prediction::Refused(r), Got::Failed(e)) => refusal_matches(r, e, &self.cases),
            _ => false,
        };
        let line = if agrees {
            format!("{:>4}. {step} → {did}", expected.number)
        } else {
            format!(
                "{:>4}. {step}\n        model: {}\n        store: {did}   <-- differs",
                expected.number, expected.prediction
            )
        };
        self.log.push(line);
        if !agrees {
            // Where both accepted, say which facts of the case differ too.
            let facts = match (&got, expected.case) {
                (Got::Executed(done), Some(i)) => {
                    compare_case(&state.cases[i], &done.state, &self.cases)
                        .err()
                        .map(|diffs| format!("; the case's facts differ:\n      {diffs}"))
                        .unwrap_or_default()
                }
                _ => String::new(),
            };
            self.fail(format!(
                "step {} differs from the model's prediction{facts}",
                expected.number
            ));
        }
        TALLY.with(|t| {
            let mut t = t.borrow_mut();
            t.steps += 1;
            match &expected.prediction {
                Prediction::Accepted(_) => t.accepted += 1,
                Prediction::Refused(r) => {
                    t.refused += 1;
                    let key = r.rule().map_or_else(
                        || {
                            format!("{r:?}")
                                .split(['(', ' '])
                                .next()
                                .unwrap_or("")
                                .to_owned()
                        },
                        |n| format!("R-{n}"),
                    );
                    *t.refusals.entry(key).or_default() += 1;
                }
            }
        });
        if let Got::Registered(id) = got {
            self.people.push(id);
        }
        if let Some(i) = expected.case {
            if i < self.cases.len() {
                let executed = match &got {
                    Got::Executed(done) => Some(done.state.clone()),
                    _ => None,
                };
                if matches!(got, Got::Failed(_)) {
                    self.check_unchanged(i, state.cases[i].version);
                } else {
                    let before = state.now - Duration::seconds(i64::from(step.after_secs.max(1)));
                    self.check_case(state, i, Some(before), executed.as_ref());
                }
            }
        }
    }

    /// A refused step wrote nothing: the case's row and state are as the last step left them.
    fn check_unchanged(&self, i: usize, version: u64) {
        let case = self.cases[i];
        let summary = self.block(
            "case_summary",
            casework_service::bypass::raw_store(self.service()).case_summary(case),
        );
        let current = self.block("case", self.service().case(case));
        if summary.as_ref().map(|s| s.version) != Some(version)
            || stored(&Some(&current)) != stored(&self.seen[i])
        {
            self.fail(format!(
                "case#{i} changed on a refused step: row version {:?} (expected {version}), stage \
                 {} (was {:?})",
                summary.map(|s| s.version),
                current.stage(),
                self.seen[i].as_ref().map(Case::stage)
            ));
        }
    }

    /// Every per-case invariant, and the case's facts against the model's.
    fn check_case(
        &mut self,
        state: &ModelState,
        i: usize,
        before: Option<DateTime<Utc>>,
        executed: Option<&Case>,
    ) {
        use casework_core::kernel::ids::StreamId;
        let case = self.cases[i];
        let service = self.service();
        let stored = self.block(
            "load",
            casework_service::bypass::raw_store(service).load(StreamId::Case(case)),
        );
        let history = self.ok(
            "R-18 stored history",
            decode_stream::<CaseEvent>(&stored).map_err(|e| e.to_string()),
        );
        let current = self.block("case", service.case(case));
        let summary = self.block(
            "case_summary",
            casework_service::bypass::raw_store(service).case_summary(case),
        );
        let model = &state.cases[i];
        self.ok("R-18 versions", invariants::r18_versions_gap_free(&stored));
        if history.len() as u64 != model.version {
            self.fail(format!(
                "case#{i} has {} events, the model expects {}",
                history.len(),
                model.version
            ));
        }
        self.ok(
            "R-18 fold",
            invariants::r18_fold_gives_service_state(&history, &current),
        );
        if let Some(executed) = executed {
            if crate::stored::stored(executed) != crate::stored::stored(&current) {
                self.fail(format!(
                    "R-18: case#{i}: the state `execute` returned (stage {}) is not the stored \
                     state (stage {})",
                    executed.stage(),
                    current.stage()
                ));
            }
        }
        if summary.as_ref() != Some(&CaseSummary::of(&current, model.version)) {
            self.fail(format!(
                "case#{i}: the read-model row {summary:?} is not the row of the stored state"
            ));
        }
        self.ok(
            "R-1",
            invariants::r1_no_acceptance_without_permission(&history),
        );
        self.ok(
            "R-2",
            invariants::r2_no_ineligible_acceptance(&history, &state.rules),
        );
        self.ok(
            "R-5",
            invariants::r5_owed_actions_never_missing(&history, &current),
        );
        self.ok(
            "R-16",
            invariants::r16_risk_reduced_closure_has_every_agreement(&history),
        );
        self.ok(
            "R-17",
            invariants::r17_finished_case_takes_only_discharges(&history),
        );
        if before.is_none() {
            let now_state = self.block("case_as_of(now)", service.case_as_of(case, state.now));
            self.ok(
                "R-18 as of now",
                invariants::r18_as_of_never_shows_later_events(
                    &history,
                    state.now,
                    now_state.as_ref(),
                ),
            );
        }
        if let Some(before) = before {
            let then = self.block("case_as_of(before)", service.case_as_of(case, before));
            self.ok(
                "R-18 as of the previous step",
                invariants::r18_as_of_never_shows_later_events(&history, before, then.as_ref()),
            );
            if crate::stored::stored(&then) != crate::stored::stored(&self.seen[i]) {
                self.fail(format!(
                    "R-18: case#{i} as of the previous step ({before}) is at stage {:?}, but it \
                     was at stage {:?} then",
                    then.as_ref().map(Case::stage),
                    self.seen[i].as_ref().map(Case::stage)
                ));
            }
        }
        if let Err(diffs) = compare_case(model, &current, &self.cases) {
            self.fail(format!("case#{i} differs from the model:\n      {diffs}"));
        }
        TALLY.with(|t| {
            t.borrow_mut().stages.insert(current.stage().as_str());
        });
        self.seen[i] = Some(current);
    }

    /// The queries against the model: the waiting list, the outstanding actions and
    /// the caseloads.
    fn check_queries(&self, state: &ModelState) {
        // Only a step that wrote can change a query's answer; the case a refused step named is
        // checked to be unchanged.
        let wrote = state
            .last
            .as_ref()
            .is_some_and(|e| matches!(e.prediction, Prediction::Accepted(_)));
        if !wrote || self.cases.len() != state.cases.len() {
            return;
        }
        let list = self.block("waiting_list", self.service().waiting_list());
        self.ok("R-7", invariants::r7_waiting_list_in_order(&list));
        let got: Vec<CaseId> = list.iter().map(|s| s.case_id).collect();
        let want: Vec<CaseId> = state
            .waiting_list()
            .iter()
            .map(|&i| self.cases[i])
            .collect();
        if got != want {
            self.fail(format!(
                "R-7: the waiting list is {got:?}, the model's is {want:?} (cases {:?})",
                state.waiting_list()
            ));
        }
        let outstanding = self.block("outstanding_actions", self.service().outstanding_actions());
        for pair in outstanding.windows(2) {
            if pair[1].due_at < pair[0].due_at {
                self.fail("R-5: outstanding actions are not soonest-due first");
            }
        }
        let mut got: Vec<String> = outstanding
            .iter()
            .map(|a| format!("{} {} {}", a.case_id, a.kind.as_str(), a.due_at))
            .collect();
        let mut want: Vec<String> = state
            .outstanding()
            .into_iter()
            .map(|(i, kind, due)| format!("{} {} {due}", self.cases[i], kind.as_str()))
            .collect();
        got.sort();
        want.sort();
        if got != want {
            self.fail(format!(
                "R-5: outstanding actions {got:#?}\n differ from the model's {want:#?}"
            ));
        }
        // every worker's caseload, as it stands after the step (a reallocation moves the
        // case from one to the other in the same append).
        let open = self.block("open_cases", self.service().open_cases(None));
        let mut got: Vec<String> = open
            .iter()
            .map(|r| format!("{} {}", r.case_id, r.worker))
            .collect();
        let mut want: Vec<String> = (0..state.cases.len())
            .filter(|&i| state.cases[i].has_worker())
            .filter_map(|i| {
                let (worker, _) = state.cases[i].allocation?;
                Some(format!("{} {worker}", self.cases[i]))
            })
            .collect();
        got.sort();
        want.sort();
        if got != want {
            self.fail(format!(
                "R-25: caseloads (case, worker) {got:#?}\n differ from the model's {want:#?}"
            ));
        }
    }

    /// At the end of a sequence: every case again (a step may have damaged a stream it did not
    /// touch), and every young person's cases in order with their links.
    fn finish(&mut self, state: &ModelState) {
        for i in 0..self.cases.len() {
            self.check_case(state, i, None, None);
        }
        TALLY.with(|t| {
            let mut t = t.borrow_mut();
            for case in &state.cases {
                t.cases += 1;
                t.longest = t.longest.max(case.version);
                if case.version > casework_service::casework::SNAPSHOT_EVERY {
                    t.snapshotted += 1;
                }
            }
        });
        for (p, person) in self.people.clone().into_iter().enumerate() {
            let rows = self.block("cases_of", self.service().cases_of(person));
            let got: Vec<(CaseId, StageName, Option<CaseId>)> = rows
                .iter()
                .map(|r| (r.case_id, r.stage, r.previous_case))
                .collect();
            let want: Vec<(CaseId, StageName, Option<CaseId>)> = state
                .cases_of(p)
                .into_iter()
                .map(|i| {
                    let c = &state.cases[i];
                    (self.cases[i], c.stage, c.previous.map(|j| self.cases[j]))
                })
                .collect();
            if got != want {
                self.fail(format!(
                    "R-17: person#{p}'s cases are {got:?}, the model's are {want:?}"
                ));
            }
        }
    }
}

fn describe_approvals(approvals: &Approvals) -> String {
    let steps: Vec<&str> = [
        (approvals.closure, "closures"),
        (approvals.risk_override, "risk overrides"),
        (
            approvals.out_of_order_allocation,
            "out-of-order allocations",
        ),
        (approvals.reallocation, "reallocations"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if steps.is_empty() {
        "nothing (R-24 off)".into()
    } else {
        steps.join(", ")
    }
}

fn owed_ids(events: &[CaseEvent]) -> Vec<OwedActionId> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::OwedActionRaised { action } => Some(action.id),
            _ => None,
        })
        .collect()
}

/// The model-based test of the stores `F` makes: a [`StateMachineTest`] whose reference is
/// [`CaseworkModel`].
pub struct ModelTest<F>(std::marker::PhantomData<F>);

impl<F: StoreFactory> StateMachineTest for ModelTest<F> {
    type SystemUnderTest = Sut<F::Store>;
    type Reference = CaseworkModel;

    fn init_test(state: &ModelState) -> Sut<F::Store> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the model-based test");
        let store = rt.block_on(F::fresh());
        let mut profile = state.rules.service_profile();
        (SETTINGS.with(|s| s.borrow().adjust_profile))(&mut profile);
        let clock = Arc::new(ManualClock::starting_at(state.now));
        let service = Casework::new(store, profile).with_clock(clock.clone());
        TALLY.with(|t| t.borrow_mut().sequences += 1);
        Sut {
            rt,
            service: Some(service),
            clock,
            name: F::name(),
            people: Vec::new(),
            cases: Vec::new(),
            owed: Vec::new(),
            approvals: Vec::new(),
            seen: Vec::new(),
            log: vec![format!(
                "   0. a {} store; the manager approves: {}",
                F::name(),
                describe_approvals(&state.rules.approvals)
            )],
        }
    }

    fn apply(mut sut: Sut<F::Store>, state: &ModelState, step: Step) -> Sut<F::Store> {
        sut.step(state, &step);
        sut
    }

    fn check_invariants(sut: &Sut<F::Store>, state: &ModelState) {
        sut.check_queries(state);
    }

    fn teardown(mut sut: Sut<F::Store>, state: ModelState) {
        sut.finish(&state);
        let service = sut
            .service
            .take()
            .expect("the service lives until teardown");
        sut.rt
            .block_on(F::dispose(casework_service::bypass::raw_store(&service)));
        drop(service);
    }
}
