//! steps a profile marks as needing a manager (closure, risk override, allocating out of
//! waiting-list order) are pending until a manager approves or refuses them, with who and why.

use casework::case::{Case, CaseCommand, CaseEvent, ClosureReason, GatedStep, StageName};
use casework::config::shipped;
use casework::kernel::actor::Actor;
use casework::kernel::clock::Clock;
use casework::kernel::error::DomainError;
use casework::kernel::ids::CaseId;
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::ServiceProfile;
use casework::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride};
use casework::CommandError;
use casework_testkit::desk::allocate_to;
use casework_testkit::fixtures::{self, text};
use casework_testkit::stored::stored;
use chrono::Duration;
use std::ops::Deref;

/// The shared desk, each command five minutes after the last.
struct Desk(casework_testkit::desk::Desk<MemoryStore>);

impl Deref for Desk {
    type Target = casework_testkit::desk::Desk<MemoryStore>;
    fn deref(&self) -> &casework_testkit::desk::Desk<MemoryStore> {
        &self.0
    }
}

fn desk(profile: ServiceProfile) -> Desk {
    Desk(casework_testkit::desk::Desk::with_profile(
        MemoryStore::new(),
        profile,
    ))
}

/// The county profile (matrix tool) with every approval on, for a girl in its area.
fn county() -> ServiceProfile {
    let p = shipped::profile("county-all-genders").unwrap();
    assert!(
        p.approvals.closure && p.approvals.risk_override && p.approvals.out_of_order_allocation
    );
    p
}

fn county_girl() -> casework::young_person::YoungPersonDetails {
    casework::young_person::YoungPersonDetails {
        postcode: casework::kernel::input::Postcode::parse("YO1 7AB").unwrap(),
        ..fixtures::girl_in_leeds_area()
    }
}

impl Desk {
    async fn run(
        &self,
        actor: &Actor,
        case: CaseId,
        command: CaseCommand,
    ) -> Result<Case, CommandError> {
        self.advance(Duration::minutes(5));
        self.try_run_as(actor, case, command).await.map(|e| e.state)
    }

    async fn referral(&self, indicators: &[&str]) -> CaseId {
        let yp = self.register(county_girl()).await;
        let case = self.refer(yp, fixtures::self_referral(self.now())).await;
        for command in [
            CaseCommand::Screen,
            CaseCommand::AssessRisk {
                indicators: indicators
                    .iter()
                    .map(|k| IndicatorAnswer::current(*k))
                    .collect(),
                worker_override: None,
            },
        ] {
            self.run(&self.worker, case, command).await.unwrap();
        }
        case
    }

    async fn active(&self) -> CaseId {
        let case = self.referral(&["older_boyfriend"]).await;
        for command in [
            CaseCommand::AcceptForSupport,
            allocate_to(&self.worker),
            CaseCommand::AgreePlan {
                plan: casework::kernel::confidential::NewConfidential::new(text("Weekly sessions")),
            },
            CaseCommand::BeginWork,
        ] {
            self.run(&self.worker, case, command).await.unwrap();
        }
        case
    }
}

fn only_pending(case: &Case) -> &casework::case::PendingApproval {
    assert_eq!(case.file().pending.len(), 1, "{:?}", case.file().pending);
    &case.file().pending[0]
}

#[tokio::test]
async fn r24_a_workers_closure_is_pending_until_a_manager_approves_it() {
    let d = desk(county());
    let case = d.active().await;
    let after = d
        .run(
            &d.worker,
            case,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await
        .unwrap();
    assert_eq!(after.stage(), StageName::Active, "pending, not done");
    let pending = only_pending(&after).clone();
    assert_eq!(
        stored(&pending.step),
        stored(&GatedStep::Close {
            reason: ClosureReason::MovedOutOfArea
        })
    );
    assert_eq!(pending.requested_by, d.worker.id);

    // A worker cannot approve.
    let err = d
        .run(
            &d.worker,
            case,
            CaseCommand::Approve {
                approval: pending.id,
                reason: text("ok").into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.rejection().and_then(DomainError::rule), Some(Rule::R24));

    let closed = d
        .run(
            &d.manager,
            case,
            CaseCommand::Approve {
                approval: pending.id,
                reason: text("Family has moved to another county").into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.stage(), StageName::Closed);
    assert!(closed.file().pending.is_empty());
    let history = d.cw.history(case).await.unwrap();
    let given = history
        .iter()
        .find(|e| matches!(e.event, CaseEvent::ApprovalGiven { .. }))
        .expect("the approval is recorded");
    assert_eq!(given.meta.actor.id, d.manager.id);
    // The manager's reason is confidential: kept, sealed, in the event, never copied
    // into the envelope every history shows.
    assert_eq!(given.meta.reason, None);
    let CaseEvent::ApprovalGiven { reason, .. } = &given.event else {
        unreachable!()
    };
    assert_eq!(stored(reason), "Family has moved to another county");
}

#[tokio::test]
async fn r24_a_refused_closure_leaves_the_case_open_with_the_reason_recorded() {
    let d = desk(county());
    let case = d.active().await;
    let after = d
        .run(
            &d.worker,
            case,
            CaseCommand::Close {
                reason: ClosureReason::NoEngagement,
            },
        )
        .await
        .unwrap();
    let id = only_pending(&after).id;
    let refused = d
        .run(
            &d.manager,
            case,
            CaseCommand::RefuseApproval {
                approval: id,
                reason: text("Try an outreach visit first").into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(refused.stage(), StageName::Active);
    assert!(refused.file().pending.is_empty());
    // A refused request cannot be approved afterwards.
    let err = d
        .run(
            &d.manager,
            case,
            CaseCommand::Approve {
                approval: id,
                reason: text("changed my mind").into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.rejection(), Some(DomainError::UnknownApproval { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn r24_a_manager_closing_directly_needs_no_separate_approval() {
    let d = desk(county());
    let case = d.active().await;
    let closed = d
        .run(
            &d.manager,
            case,
            CaseCommand::Close {
                reason: ClosureReason::AgedOut,
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.stage(), StageName::Closed);
}

#[tokio::test]
async fn r24_without_the_setting_a_worker_closes_directly() {
    let d = desk(shipped::profile("city-girls").unwrap());
    let yp =
        d.cw.register_young_person(&d.worker, fixtures::girl_in_leeds_area())
            .await
            .unwrap();
    let case =
        d.cw.receive_referral(&d.worker, yp, fixtures::self_referral(d.clock.now()))
            .await
            .unwrap();
    for c in [
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec![],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: d.worker.id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
    ] {
        d.run(&d.worker, case, c).await.unwrap();
    }
    let closed = d
        .run(
            &d.worker,
            case,
            CaseCommand::Close {
                reason: ClosureReason::YoungPersonDeclined,
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.stage(), StageName::Closed);
}

#[tokio::test]
async fn r24_r21_a_workers_override_is_pending_and_the_computed_level_applies_meanwhile() {
    let d = desk(county());
    let yp =
        d.cw.register_young_person(&d.worker, county_girl())
            .await
            .unwrap();
    let case =
        d.cw.receive_referral(&d.worker, yp, fixtures::self_referral(d.clock.now()))
            .await
            .unwrap();
    d.run(&d.worker, case, CaseCommand::Screen).await.unwrap();
    let o = RiskOverride {
        level: RiskLevel::High,
        reason: text("Seen getting into cars with unknown adults").into(),
    };
    let assessed = d
        .run(
            &d.worker,
            case,
            CaseCommand::AssessRisk {
                indicators: vec![],
                worker_override: Some(o.clone()),
            },
        )
        .await
        .unwrap();
    let a = assessed.file().assessments.last().unwrap();
    assert_eq!((a.computed, a.level), (RiskLevel::Low, RiskLevel::Low));
    assert!(a.overridden.is_none());
    let pending = only_pending(&assessed).clone();
    match &pending.step {
        GatedStep::RiskOverride {
            assessment,
            level_override,
        } => {
            assert_eq!(*assessment, 0);
            assert_eq!(stored(level_override), stored(&o));
        }
        other => panic!("the override is pending, not {}", other.name()),
    }
    // Low risk: no duty social work referral owed yet.
    let owed_duty = |c: &Case| {
        c.file()
            .owed
            .iter()
            .any(|x| x.kind == casework::case::owed::OwedActionKind::ReferToDutySocialWork)
    };
    assert!(!owed_duty(&assessed));

    let approved = d
        .run(
            &d.manager,
            case,
            CaseCommand::Approve {
                approval: pending.id,
                reason: text("Agreed on what the worker saw").into(),
            },
        )
        .await
        .unwrap();
    let a = approved.file().assessments.last().unwrap();
    assert_eq!(
        (a.computed, a.level),
        (RiskLevel::Low, RiskLevel::High),
        "both levels kept"
    );
    assert_eq!(stored(&a.overridden), stored(&Some(&o)));
    assert!(
        owed_duty(&approved),
        "R-5: a High level owes the duty social work referral"
    );
}

#[tokio::test]
async fn r24_an_override_approved_after_a_newer_assessment_is_stale() {
    let d = desk(county());
    let case = d.active().await;
    let o = RiskOverride {
        level: RiskLevel::High,
        reason: text("New information from school").into(),
    };
    let after = d
        .run(
            &d.worker,
            case,
            CaseCommand::RecordReview {
                indicators: vec![],
                worker_override: Some(o),
                decision: casework::case::ReviewDecision::Continue,
            },
        )
        .await
        .unwrap();
    let id = only_pending(&after).id;
    d.run(
        &d.worker,
        case,
        CaseCommand::RecordReview {
            indicators: vec![IndicatorAnswer::current("taken_to_parties")],
            worker_override: None,
            decision: casework::case::ReviewDecision::Continue,
        },
    )
    .await
    .unwrap();
    let err = d
        .run(
            &d.manager,
            case,
            CaseCommand::Approve {
                approval: id,
                reason: text("ok").into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.rejection(), Some(DomainError::StaleApproval { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn r24_r7_a_worker_allocating_out_of_order_asks_and_a_manager_approves() {
    let d = desk(county());
    let first = d.referral(&["older_boyfriend"]).await;
    let second = d.referral(&["older_boyfriend"]).await;
    for case in [first, second] {
        d.run(&d.worker, case, CaseCommand::AddToWaitingList)
            .await
            .unwrap();
    }
    let take_second = |reason: Option<&str>| CaseCommand::Allocate {
        worker: d.worker.id,
        worker_name: text("Sam Worker"),
        out_of_order_reason: reason.map(text),
    };
    // Without a reason it is simply refused.
    let err = d
        .run(&d.worker, second, take_second(None))
        .await
        .unwrap_err();
    assert_eq!(err.rejection().and_then(DomainError::rule), Some(Rule::R7));
    // With a reason it waits for a manager.
    let pending = d
        .run(
            &d.worker,
            second,
            take_second(Some("Sibling of a current case")),
        )
        .await
        .unwrap();
    assert_eq!(pending.stage(), StageName::WaitingList);
    let id = only_pending(&pending).id;
    let allocated = d
        .run(
            &d.manager,
            second,
            CaseCommand::Approve {
                approval: id,
                reason: text("Keep siblings together").into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(allocated.stage(), StageName::Allocated);
    let allocation = allocated.allocation().unwrap();
    assert_eq!(
        allocation.out_of_order_reason.as_ref().map(|t| t.as_str()),
        Some("Sibling of a current case")
    );
    assert_eq!(d.cw.waiting_list().await.unwrap()[0].case_id, first);
}
