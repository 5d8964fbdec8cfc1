//! R-5 (and R-4's outcome message): actions the service owes to others. Every referral owes a
//! notification to the integrated safeguarding unit; a Medium or High assessment also owes a
//! referral to the duty children's social work team. Owed actions are never deleted: they are
//! sent (with a reference), acknowledged, or explained.

use casework::case::owed::{OwedActionKind, OwedStatus};
use casework::case::{CaseCommand, CaseEvent, NewReferral, ReferralSource, ReviewDecision};
use casework::kernel::actor::Actor;
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::error::DomainError;
use casework::kernel::ids::OwedActionId;
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::Casework;
use casework_testkit::fixtures::{
    self, girl_in_leeds_area, professional_referral, self_referral, social_worker, start, text,
};
use casework_testkit::scenario::Scenario;
use chrono::Duration;
use std::collections::BTreeSet;
use std::sync::Arc;

const MEDIUM: &[&str] = &["missing_from_home", "school_absence", "older_boyfriend"];
const HIGH: &[&str] = &["sexual_health", "taken_to_parties"];

fn assess(indicators: &[&str]) -> CaseCommand {
    CaseCommand::AssessRisk {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
    }
}

fn review(indicators: &[&str]) -> CaseCommand {
    CaseCommand::RecordReview {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
        decision: ReviewDecision::Continue,
    }
}

fn referred() -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
}

fn active_at(indicators: &[&str]) -> Scenario {
    referred().given(vec![
        CaseCommand::Screen,
        assess(indicators),
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ])
}

fn sent(action: OwedActionId, reference: &str, scenario: &Scenario) -> CaseCommand {
    CaseCommand::MarkActionSent {
        action,
        reference: text(reference),
        sent_at: scenario.now(),
    }
}

fn status_of(scenario: &Scenario, action: OwedActionId) -> OwedStatus {
    scenario
        .case()
        .file()
        .owed
        .iter()
        .find(|a| a.id == action)
        .expect("the owed action is still on the case")
        .status
        .clone()
}

#[test]
fn r5_every_referral_owes_the_safeguarding_unit_a_notification() {
    let sources = vec![
        self_referral(start()),
        professional_referral(social_worker(), start()),
        NewReferral {
            source: ReferralSource::ParentOrCarer {
                name: text("Chris Parent"),
            },
            concerns: NewConfidential::new(text("Coming home with new phones")),
            received_at: start(),
        },
        NewReferral {
            source: ReferralSource::Agency {
                agency: text("Fictional Housing Association"),
            },
            concerns: NewConfidential::new(text("Older men visiting the flat")),
            received_at: start(),
        },
    ];
    let profile = city_girls_service();
    for referral in sources {
        let received_at = referral.received_at;
        Scenario::new(profile.clone())
            .later(Duration::hours(3))
            .when_referral(&girl_in_leeds_area(), referral)
            .then_owes(OwedActionKind::NotifySafeguardingUnit)
            .then_does_not_owe(OwedActionKind::ReferToDutySocialWork)
            .then_case(|case| {
                let action = &case.file().owed[0];
                assert_eq!(action.kind, OwedActionKind::NotifySafeguardingUnit);
                assert_eq!(
                    action.owed_to,
                    profile.owed_actions.safeguarding_unit.recipient
                );
                assert_eq!(action.status, OwedStatus::Owed);
                // Due from when the referral reached the service, not when it was typed in.
                assert_eq!(action.raised_at, received_at);
                assert_eq!(action.due_at, received_at + Duration::hours(24));
            });
    }
}

#[test]
fn r5_a_medium_assessment_owes_the_duty_social_work_referral() {
    referred()
        .given(vec![CaseCommand::Screen])
        .when(assess(MEDIUM))
        .then_owes(OwedActionKind::ReferToDutySocialWork);
}

#[test]
fn r5_a_high_assessment_owes_the_duty_social_work_referral() {
    referred()
        .given(vec![CaseCommand::Screen])
        .when(assess(HIGH))
        .then_owes(OwedActionKind::ReferToDutySocialWork)
        .then_case(|case| {
            let duty = case
                .file()
                .owed
                .iter()
                .find(|a| a.kind == OwedActionKind::ReferToDutySocialWork)
                .unwrap();
            assert_eq!(
                duty.owed_to,
                city_girls_service().owed_actions.duty_social_work.recipient
            );
        });
}

#[test]
fn r5_a_low_assessment_owes_no_duty_social_work_referral() {
    referred()
        .given(vec![CaseCommand::Screen])
        .when(assess(&["missing_from_home"]))
        .then_does_not_owe(OwedActionKind::ReferToDutySocialWork);
}

#[test]
fn r5_a_review_that_rises_to_medium_owes_the_duty_referral() {
    active_at(&[])
        .later(Duration::weeks(6))
        .when(review(MEDIUM))
        .then_owes(OwedActionKind::ReferToDutySocialWork);
}

#[test]
fn r5_the_duty_referral_is_owed_once_per_case() {
    let s = active_at(HIGH);
    assert_eq!(
        s.owed_actions(OwedActionKind::ReferToDutySocialWork).len(),
        1
    );
    s.later(Duration::weeks(4))
        .when(review(HIGH))
        .then_does_not_owe(OwedActionKind::ReferToDutySocialWork);
}

#[test]
fn r5_an_owed_action_is_sent_with_a_reference_then_acknowledged_and_kept() {
    let s = referred();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    let s = s.later(Duration::hours(2));
    let send = sent(notify, "ISU-2026-0042", &s);
    let s = s.when(send).then_event_types(&["owed_action_sent"]).and();
    match status_of(&s, notify) {
        OwedStatus::Sent { reference, sent_at } => {
            assert_eq!(reference.as_str(), "ISU-2026-0042");
            assert_eq!(sent_at, start() + Duration::hours(2));
        }
        other => panic!("{other:?}"),
    }
    let s = s.later(Duration::hours(5));
    let ack_at = s.now();
    let s = s
        .when(CaseCommand::AcknowledgeAction {
            action: notify,
            acknowledged_at: ack_at,
        })
        .then_event_types(&["owed_action_acknowledged"])
        .and();
    assert!(matches!(
        status_of(&s, notify),
        OwedStatus::Acknowledged { acknowledged_at, .. } if acknowledged_at == ack_at
    ));
}

#[test]
fn r5_an_owed_action_can_be_explained_and_is_kept() {
    let s = referred();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    let s = s
        .when(CaseCommand::ExplainAction {
            action: notify,
            explanation: text("The unit already holds this referral from the police"),
        })
        .then_event_types(&["owed_action_explained"])
        .and();
    assert!(matches!(
        status_of(&s, notify),
        OwedStatus::Explained { .. }
    ));
    assert_eq!(s.case().file().owed.len(), 1);
}

#[test]
fn r5_an_action_cannot_be_discharged_twice() {
    let s = referred();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    let first = sent(notify, "ISU-1", &s);
    let again = sent(notify, "ISU-2", &s);
    let s = s.given(vec![first]);
    s.clone()
        .when(again)
        .then_refused_by(Rule::R5)
        .then_error(|e| {
            assert!(matches!(
                e,
                DomainError::AlreadyDischarged { status: "sent", .. }
            ))
        });
    s.clone()
        .when(CaseCommand::ExplainAction {
            action: notify,
            explanation: text("changed my mind"),
        })
        .then_refused_by(Rule::R5);
    let ack = CaseCommand::AcknowledgeAction {
        action: notify,
        acknowledged_at: s.now(),
    };
    s.given(vec![ack.clone()])
        .when(ack)
        .then_refused_by(Rule::R5)
        .then_error(|e| {
            assert!(matches!(
                e,
                DomainError::AlreadyDischarged {
                    status: "acknowledged",
                    ..
                }
            ))
        });
}

#[test]
fn r5_an_explained_action_cannot_then_be_sent() {
    let s = referred();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    let send = sent(notify, "ISU-1", &s);
    s.given(vec![CaseCommand::ExplainAction {
        action: notify,
        explanation: text("Duplicate of a police referral"),
    }])
    .when(send)
    .then_refused_by(Rule::R5);
}

#[test]
fn r5_only_a_sent_action_can_be_acknowledged() {
    let s = referred();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    let at = s.now();
    s.when(CaseCommand::AcknowledgeAction {
        action: notify,
        acknowledged_at: at,
    })
    .then_refused_by(Rule::R5)
    .then_error(|e| assert_eq!(e, &DomainError::NotSent { action: notify }));
}

#[test]
fn r5_an_unknown_action_is_refused() {
    let s = referred();
    let stranger = OwedActionId::new();
    let send = sent(stranger, "X-1", &s);
    s.when(send)
        .then_refused_by(Rule::R5)
        .then_error(|e| assert_eq!(e, &DomainError::UnknownOwedAction { action: stranger }));
}

#[test]
fn r5_discharge_times_in_the_future_or_before_sending_are_refused_naming_the_field() {
    let s = referred();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    s.clone()
        .when(CaseCommand::MarkActionSent {
            action: notify,
            reference: text("ISU-1"),
            sent_at: s.now() + Duration::hours(1),
        })
        .then_input_error("sent_at");
    let send = sent(notify, "ISU-1", &s);
    let before = s.now() - Duration::minutes(1);
    s.given(vec![send])
        .when(CaseCommand::AcknowledgeAction {
            action: notify,
            acknowledged_at: before,
        })
        .then_input_error("acknowledged_at");
}

#[test]
fn r5_owed_actions_are_never_removed_across_a_whole_case() {
    // Walk a case from referral to closure, discharging as we go; after every step each
    // action ever owed is still on the case.
    let mut s = referred();
    let mut seen: BTreeSet<OwedActionId> = BTreeSet::new();
    let steps = |s: &Scenario| -> Vec<CaseCommand> {
        vec![
            CaseCommand::Screen,
            assess(HIGH),
            CaseCommand::AcceptForSupport,
            sent(
                s.owed_action(OwedActionKind::NotifySafeguardingUnit),
                "ISU-7",
                s,
            ),
            CaseCommand::Allocate {
                worker: fixtures::worker().id,
                worker_name: text("Sam Worker"),
                out_of_order_reason: None,
            },
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(text("Weekly sessions")),
            },
            CaseCommand::BeginWork,
            review(&[]),
            CaseCommand::Close {
                reason: casework::case::ClosureReason::MovedOutOfArea,
            },
        ]
    };
    for command in steps(&s) {
        s = s.later(Duration::days(1));
        let command = match command {
            CaseCommand::MarkActionSent {
                action, reference, ..
            } => CaseCommand::MarkActionSent {
                action,
                reference,
                sent_at: s.now(),
            },
            other => other,
        };
        s = s.given(vec![command]);
        let now: BTreeSet<_> = s.case().file().owed.iter().map(|a| a.id).collect();
        assert!(seen.is_subset(&now), "an owed action disappeared");
        seen = now;
    }
    assert_eq!(seen.len(), 3, "notify, duty referral, outcome to referrer");
}

#[tokio::test]
async fn r5_outstanding_actions_list_what_is_still_owed_and_the_case_keeps_the_rest() {
    let clock = Arc::new(fixtures::clock());
    let casework = Casework::new(MemoryStore::new(), city_girls_service())
        .with_clock(clock.clone() as Arc<dyn Clock>);
    let worker = Actor::worker("Sam Worker");
    let amy = casework
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, amy, self_referral(now(&clock)))
        .await
        .unwrap();
    casework
        .execute(&worker, case, CaseCommand::Screen)
        .await
        .unwrap();
    casework
        .execute(&worker, case, assess(MEDIUM))
        .await
        .unwrap();
    let outstanding = casework.outstanding_actions().await.unwrap();
    let kinds: BTreeSet<_> = outstanding.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["notify_safeguarding_unit", "refer_to_duty_social_work"])
    );
    // Soonest due first.
    assert!(outstanding.windows(2).all(|w| w[0].due_at <= w[1].due_at));

    let duty = outstanding
        .iter()
        .find(|a| a.kind == OwedActionKind::ReferToDutySocialWork)
        .unwrap()
        .action_id;
    clock.advance(Duration::hours(1));
    casework
        .execute(
            &worker,
            case,
            CaseCommand::MarkActionSent {
                action: duty,
                reference: text("DUTY-55"),
                sent_at: now(&clock),
            },
        )
        .await
        .unwrap();
    let outstanding = casework.outstanding_actions().await.unwrap();
    assert!(outstanding.iter().all(|a| a.action_id != duty));
    assert_eq!(outstanding.len(), 1);
    // Discharged, not deleted: the case still holds it.
    let kept = casework.case(case).await.unwrap();
    let kept = kept.file().owed.iter().find(|a| a.id == duty).unwrap();
    assert_eq!(kept.status.as_str(), "sent");
    let history = casework.history(case).await.unwrap();
    assert!(history
        .iter()
        .any(|e| matches!(&e.event, CaseEvent::OwedActionRaised { action } if action.id == duty)));
}

fn now(clock: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    clock.now()
}

#[test]
fn r5_a_finished_referral_still_discharges_what_it_owes_but_takes_no_edits() {
    let signposted = Scenario::new(city_girls_service())
        .given_referral(&fixtures::boy_in_leeds_area(), self_referral(start()))
        .given(vec![
            CaseCommand::Screen,
            assess(&[]),
            CaseCommand::Signpost {
                reason: None,
                to: None,
            },
        ])
        .later(Duration::hours(4));
    let outcome = signposted.owed_action(OwedActionKind::CommunicateOutcome);
    let send = sent(outcome, "Letter 2026-03-02", &signposted);
    signposted
        .clone()
        .when(send)
        .then_stage(casework::case::StageName::Signposted)
        .then_case(|case| {
            let action = case.file().owed.iter().find(|a| a.id == outcome).unwrap();
            assert_eq!(action.status.as_str(), "sent");
        });
    signposted
        .when(CaseCommand::RecordProfessional {
            professional: social_worker(),
        })
        .then_error(|e| assert!(matches!(e, DomainError::NotAtThisStage { .. }), "{e:?}"));
}

/// R-5 with R-21: the assessment keeps both levels, but the duty referral follows only the
/// overridden one, so a worker's downward override silently removes a statutory referral.
#[test]
fn r5_a_downward_override_does_not_remove_the_duty_referral() {
    referred()
        .given(vec![CaseCommand::Screen])
        .when(CaseCommand::AssessRisk {
            indicators: HIGH.iter().map(|s| (*s).into()).collect(),
            worker_override: Some(casework::policy::risk::RiskOverride {
                level: casework::policy::risk::RiskLevel::Low,
                reason: text("Already known to the police; now living with a safe relative").into(),
            }),
        })
        .then_case(|case| {
            let a = &case.file().assessments[0];
            assert_eq!(a.computed, casework::policy::risk::RiskLevel::High);
            assert_eq!(a.level, casework::policy::risk::RiskLevel::Low);
        })
        .then_owes(OwedActionKind::ReferToDutySocialWork);
}
