//! former service users at low or no risk may join an alumni peer group. A young person
//! whose case closed, or whose open case is at Low risk, may join; anyone else is refused with
//! the reason, naming R-20.

use casework::actor::Actor;
use casework::alumni::{alumni_eligibility, AlumniBasis};
use casework::case::{CaseCommand, ClosureReason};
use casework::clock::ManualClock;
use casework::confidential::Confidential;
use casework::error::DomainError;
use casework::ids::{CaseId, YoungPersonId};
use casework::memory::MemoryStore;
use casework::profile::examples::city_girls_service;
use casework::rule::Rule;
use casework::young_person::YoungPersonCommand;
use casework::{Casework, CommandError, YoungPersonExecuted};
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use chrono::Duration;
use std::sync::Arc;

struct Desk {
    cw: Casework<MemoryStore>,
    clock: Arc<ManualClock>,
    worker: Actor,
    yp: YoungPersonId,
}

impl Desk {
    async fn new() -> Self {
        let clock = Arc::new(fixtures::clock());
        let cw = Casework::new(MemoryStore::new(), city_girls_service()).with_clock(clock.clone());
        let worker = fixtures::worker();
        let yp = cw
            .register_young_person(&worker, girl_in_leeds_area())
            .await
            .unwrap();
        Desk {
            cw,
            clock,
            worker,
            yp,
        }
    }

    /// A case assessed with `indicators` and, if `to_work`, allocated with work begun.
    async fn case(&self, indicators: &[&str], to_work: bool) -> CaseId {
        let case = self
            .cw
            .receive_referral(&self.worker, self.yp, self_referral(self.clock_now()))
            .await
            .unwrap();
        let mut steps = vec![
            CaseCommand::Screen,
            CaseCommand::AssessRisk {
                indicators: indicators.iter().map(|s| (*s).into()).collect(),
                worker_override: None,
            },
        ];
        if to_work {
            steps.extend([
                CaseCommand::AcceptForSupport,
                CaseCommand::Allocate {
                    worker: self.worker.id,
                    worker_name: text("Sam Worker"),
                    out_of_order_reason: None,
                },
                CaseCommand::AgreePlan {
                    plan: Confidential::new(text("Weekly sessions")),
                },
                CaseCommand::BeginWork,
            ]);
        }
        for command in steps {
            self.cw.execute(&self.worker, case, command).await.unwrap();
        }
        case
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        casework::clock::Clock::now(self.clock.as_ref())
    }

    async fn join(&self) -> Result<YoungPersonExecuted, CommandError> {
        self.clock.advance(Duration::days(1));
        self.cw
            .execute_for_young_person(&self.worker, self.yp, YoungPersonCommand::JoinAlumni)
            .await
    }
}

fn refused_by_r20(result: Result<YoungPersonExecuted, CommandError>, why: &str) {
    match result {
        Err(CommandError::Rejected(e)) => {
            assert_eq!(e.rule(), Some(Rule::R20), "{e}");
            let message = e.to_string();
            assert!(message.contains("R-20"), "{message}");
            assert!(
                message.contains(why),
                "the reason `{why}` should be given: {message}"
            );
        }
        other => panic!("expected a refusal under R-20, got {other:?}"),
    }
}

#[tokio::test]
async fn r20_a_young_person_whose_case_closed_may_join() {
    let desk = Desk::new().await;
    let case = desk.case(&["taken_to_parties"], true).await;
    desk.cw
        .execute(
            &desk.worker,
            case,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await
        .unwrap();
    let joined = desk.join().await.unwrap();
    assert_eq!(
        joined.activity.alumni.as_ref().map(|m| &m.basis),
        Some(&AlumniBasis::CaseClosed { case })
    );
    // Membership is kept on the young person, not the (closed, never edited) case.
    assert_eq!(
        desk.cw.young_person_activity(desk.yp).await.unwrap().alumni,
        joined.activity.alumni
    );
}

#[tokio::test]
async fn r20_a_young_person_at_low_risk_may_join() {
    let desk = Desk::new().await;
    let case = desk.case(&["older_boyfriend"], true).await;
    let joined = desk.join().await.unwrap();
    assert_eq!(
        joined.activity.alumni.unwrap().basis,
        AlumniBasis::LowRisk { case }
    );
}

#[tokio::test]
async fn r20_a_young_person_at_medium_risk_is_refused_with_the_reason() {
    let desk = Desk::new().await;
    desk.case(&["taken_to_parties"], true).await;
    refused_by_r20(desk.join().await, "at Medium risk");
}

#[tokio::test]
async fn r20_someone_who_was_never_a_service_user_is_refused_with_the_reason() {
    let desk = Desk::new().await;
    refused_by_r20(desk.join().await, "never had a case");
    // A declined referral is not a service user's case.
    let case = desk.case(&[], false).await;
    desk.cw
        .execute(
            &desk.worker,
            case,
            CaseCommand::Decline {
                reason: text("Already supported elsewhere"),
            },
        )
        .await
        .unwrap();
    refused_by_r20(desk.join().await, "never been a service user");
}

#[tokio::test]
async fn an_open_case_not_yet_assessed_is_refused() {
    let desk = Desk::new().await;
    desk.cw
        .receive_referral(&desk.worker, desk.yp, self_referral(start()))
        .await
        .unwrap();
    refused_by_r20(desk.join().await, "not yet assessed");
}

#[tokio::test]
async fn a_member_leaves_and_may_join_again_but_not_twice() {
    let desk = Desk::new().await;
    desk.case(&["older_boyfriend"], true).await;
    desk.join().await.unwrap();
    match desk.join().await {
        Err(CommandError::Rejected(DomainError::Input(e))) => assert_eq!(e.field, "young_person"),
        other => panic!("expected a second join refused, got {other:?}"),
    }
    let left = desk
        .cw
        .execute_for_young_person(
            &desk.worker,
            desk.yp,
            YoungPersonCommand::LeaveAlumni {
                reason: Some(text("Started work and has no time")),
            },
        )
        .await
        .unwrap();
    assert_eq!(left.activity.alumni, None);
    desk.join().await.unwrap();
}

#[test]
fn the_eligibility_rule_reads_the_young_persons_cases() {
    assert!(alumni_eligibility(&[]).is_err());
}
