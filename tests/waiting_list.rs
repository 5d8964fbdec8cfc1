//! the waiting list is ordered by risk level (High first), then by referral time;
//! allocation takes from its head unless a manager records a reason to do otherwise.

use casework::case::{Case, CaseCommand, CaseEvent, StageName};
use casework::kernel::actor::Actor;
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::error::DomainError;
use casework::kernel::ids::{CaseId, StaffId};
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::{Casework, CommandError};
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

const LOW: &[&str] = &[];
const MEDIUM: &[&str] = &["missing_from_home", "school_absence", "older_boyfriend"];
const HIGH: &[&str] = &["disclosure"];

fn assess(indicators: &[&str]) -> CaseCommand {
    CaseCommand::AssessRisk {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
    }
}

fn allocate(worker: &Actor, reason: Option<&str>) -> CaseCommand {
    CaseCommand::Allocate {
        worker: worker.id,
        worker_name: text(&worker.name),
        out_of_order_reason: reason.map(text),
    }
}

struct Service {
    casework: Casework<MemoryStore>,
    clock: Arc<ManualClock>,
    worker: Actor,
    manager: Actor,
}

impl Service {
    fn new() -> Self {
        let clock = Arc::new(fixtures::clock());
        Self {
            casework: Casework::new(MemoryStore::new(), city_girls_service())
                .with_clock(clock.clone() as Arc<dyn Clock>),
            clock,
            worker: fixtures::worker(),
            manager: fixtures::manager(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A self-referral received at `received_at`, assessed with `indicators` and put on the
    /// waiting list; the clock moves on a minute after each command.
    async fn waiting(&self, indicators: &[&str], received_at: DateTime<Utc>) -> CaseId {
        let w = &self.worker;
        let person = self
            .casework
            .register_young_person(w, girl_in_leeds_area())
            .await
            .unwrap();
        let case = self
            .casework
            .receive_referral(w, person, self_referral(received_at))
            .await
            .unwrap();
        for command in [
            CaseCommand::Screen,
            assess(indicators),
            CaseCommand::AddToWaitingList,
        ] {
            self.casework.execute(w, case, command).await.unwrap();
        }
        self.clock.advance(Duration::minutes(1));
        case
    }

    async fn order(&self) -> Vec<CaseId> {
        let list = self.casework.waiting_list().await.unwrap();
        assert!(list.iter().all(|c| c.stage == StageName::WaitingList));
        list.into_iter().map(|c| c.case_id).collect()
    }
}

fn refusal(result: Result<casework::Executed, CommandError>) -> DomainError {
    match result {
        Err(CommandError::Rejected(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn r7_high_risk_comes_before_medium_before_low() {
    let s = Service::new();
    // Recorded Low first and High last: the list must not follow recording order.
    let low = s.waiting(LOW, s.now()).await;
    let medium = s.waiting(MEDIUM, s.now()).await;
    let high = s.waiting(HIGH, s.now()).await;
    assert_eq!(s.order().await, vec![high, medium, low]);
}

#[tokio::test]
async fn r7_at_equal_risk_the_earlier_referral_comes_first() {
    let s = Service::new();
    s.clock.advance(Duration::days(3));
    // Typed in first, but referred yesterday; typed in second, but referred three days ago.
    let yesterday = s.waiting(MEDIUM, start() + Duration::days(2)).await;
    let three_days_ago = s.waiting(MEDIUM, start()).await;
    let today = s.waiting(MEDIUM, s.now()).await;
    assert_eq!(s.order().await, vec![three_days_ago, yesterday, today]);
}

#[tokio::test]
async fn r7_risk_outranks_referral_time() {
    let s = Service::new();
    s.clock.advance(Duration::days(10));
    let old_low = s.waiting(LOW, start()).await;
    let new_high = s.waiting(HIGH, s.now()).await;
    let old_medium = s.waiting(MEDIUM, start() + Duration::days(1)).await;
    let new_medium = s.waiting(MEDIUM, s.now()).await;
    assert_eq!(
        s.order().await,
        vec![new_high, old_medium, new_medium, old_low]
    );
}

#[tokio::test]
async fn r7_a_worker_allocates_from_the_head_and_the_case_leaves_the_list() {
    let s = Service::new();
    let head = s.waiting(HIGH, s.now()).await;
    let next = s.waiting(LOW, s.now()).await;
    let done = s
        .casework
        .execute(&s.worker, head, allocate(&s.worker, None))
        .await
        .unwrap();
    assert_eq!(done.state.stage(), StageName::Allocated);
    assert_eq!(done.state.allocation().unwrap().out_of_order_reason, None);
    assert_eq!(s.order().await, vec![next]);
}

#[tokio::test]
async fn r7_a_worker_cannot_allocate_out_of_order_even_with_a_reason() {
    let s = Service::new();
    let head = s.waiting(HIGH, s.now()).await;
    let behind = s.waiting(LOW, s.now()).await;
    for reason in [None, Some("She asked for me by name")] {
        let e = refusal(
            s.casework
                .execute(&s.worker, behind, allocate(&s.worker, reason))
                .await,
        );
        assert_eq!(
            e,
            DomainError::OutOfWaitingListOrder { case: behind, head },
            "{reason:?}"
        );
        assert_eq!(e.rule(), Some(Rule::R7));
        assert!(e.to_string().starts_with("R-7"), "{e}");
    }
    assert_eq!(s.order().await, vec![head, behind], "nothing was written");
}

#[tokio::test]
async fn r7_a_manager_cannot_allocate_out_of_order_without_a_reason() {
    let s = Service::new();
    let head = s.waiting(HIGH, s.now()).await;
    let behind = s.waiting(LOW, s.now()).await;
    let e = refusal(
        s.casework
            .execute(&s.manager, behind, allocate(&s.worker, None))
            .await,
    );
    assert_eq!(e, DomainError::OutOfWaitingListOrder { case: behind, head });
}

#[tokio::test]
async fn r7_a_manager_with_a_reason_allocates_out_of_order_and_the_reason_is_recorded() {
    let s = Service::new();
    let head = s.waiting(HIGH, s.now()).await;
    let behind = s.waiting(LOW, s.now()).await;
    let reason = "Only worker who speaks her first language is free today";
    let done = s
        .casework
        .execute(&s.manager, behind, allocate(&s.worker, Some(reason)))
        .await
        .unwrap();
    let allocation = done.state.allocation().unwrap();
    assert_eq!(allocation.worker, s.worker.id);
    assert_eq!(
        allocation.out_of_order_reason.as_ref().map(|r| r.as_str()),
        Some(reason)
    );
    // Recorded in the event and its envelope: who decided and why.
    let history = s.casework.history(behind).await.unwrap();
    let allocated = history.last().unwrap();
    assert!(matches!(
        &allocated.event,
        CaseEvent::CaseAllocated { allocation } if allocation.out_of_order_reason.is_some()
    ));
    assert_eq!(allocated.meta.actor, s.manager);
    assert_eq!(allocated.meta.reason.as_deref(), Some(reason));
    // The head is still waiting, still first.
    assert_eq!(s.order().await, vec![head]);
}

#[test]
fn r7_in_the_pure_domain_the_head_is_read_from_the_context() {
    let on_list = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(vec![
            CaseCommand::Screen,
            assess(LOW),
            CaseCommand::AddToWaitingList,
        ]);
    let me = on_list.case_id();
    let someone_else = CaseId::new();
    let worker = fixtures::worker();
    let manager = fixtures::manager();

    on_list
        .clone()
        .waiting_list_head(Some(me))
        .when(allocate(&worker, None))
        .then_stage(StageName::Allocated);
    on_list
        .clone()
        .waiting_list_head(Some(someone_else))
        .when(allocate(&worker, None))
        .then_refused_by(Rule::R7);
    on_list
        .clone()
        .by(&manager)
        .waiting_list_head(Some(someone_else))
        .when(allocate(&worker, None))
        .then_refused_by(Rule::R7);
    on_list
        .by(&manager)
        .waiting_list_head(Some(someone_else))
        .when(allocate(
            &worker,
            Some("Sibling already works with this worker"),
        ))
        .then_stage(StageName::Allocated)
        .then_case(|case| {
            let Case::Allocated(_) = case else { panic!() };
            assert!(case.allocation().unwrap().out_of_order_reason.is_some());
        });
}

#[test]
fn r7_immediate_support_is_allocated_without_the_waiting_list() {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(vec![
            CaseCommand::Screen,
            assess(HIGH),
            CaseCommand::AcceptForSupport,
        ])
        .waiting_list_head(Some(CaseId::new()))
        .when(CaseCommand::Allocate {
            worker: StaffId::new(),
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        })
        .then_stage(StageName::Allocated);
}
