//! Closure, R-14 … R-17: no time limit; a typed closure reason; 'risk significantly reduced'
//! only with everyone's agreement; a closed case is never edited, and a young person who comes
//! back is re-referred into a new, linked case.

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::owed::OwedActionKind;
use casework::case::{
    Case, CaseCommand, CaseEvent, ClosureReason, Party, PauseReason, Professional,
    ProfessionalKind, ReviewDecision, StageName,
};
use casework::kernel::actor::Actor;
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::error::DomainError;
use casework::kernel::ids::{ProfessionalId, StaffId};
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::{Casework, CommandError};
use casework_testkit::fixtures::{
    self, girl_in_leeds_area, professional_referral, self_referral, social_worker, start, text,
};
use casework_testkit::scenario::Scenario;
use casework_testkit::stored::{stored, stored_history};
use chrono::Duration;
use std::sync::Arc;

fn assess(indicators: &[&str]) -> CaseCommand {
    CaseCommand::AssessRisk {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
    }
}

fn teacher() -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: text("Jo Teacher"),
        kind: ProfessionalKind::Teacher,
        agency: text("Fictional High School"),
    }
}

fn young_person_consents(scope: ConsentScope) -> CaseCommand {
    CaseCommand::RecordConsent {
        entry: ConsentEntry {
            scope,
            decision: ConsentDecision::Given,
            by: ConsentGiver::YoungPerson,
            method: ConsentMethod::InPerson,
            purpose: text("to work with the project"),
            given_at: start(),
        },
    }
}

fn allocation_steps() -> Vec<CaseCommand> {
    vec![
        CaseCommand::Screen,
        assess(&["older_boyfriend"]),
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
    ]
}

fn work_steps() -> Vec<CaseCommand> {
    vec![
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions on healthy relationships")),
        },
        CaseCommand::BeginWork,
    ]
}

/// An active self-referred case.
fn active() -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(allocation_steps())
        .given(work_steps())
}

/// An active case referred by `referrer`, with `others` also recorded as involved.
fn active_referred_by(referrer: Professional, others: Vec<Professional>) -> Scenario {
    let mut steps = vec![
        CaseCommand::Screen,
        assess(&["older_boyfriend"]),
        young_person_consents(ConsentScope::Referral),
    ];
    steps.extend(
        others
            .into_iter()
            .map(|professional| CaseCommand::RecordProfessional { professional }),
    );
    steps.extend(allocation_steps().into_iter().skip(2));
    Scenario::new(city_girls_service())
        .given_referral(
            &girl_in_leeds_area(),
            professional_referral(referrer, start()),
        )
        .given(steps)
        .given(work_steps())
}

fn agree(party: Party) -> CaseCommand {
    CaseCommand::RecordAgreement { party }
}

/// Why a closed case closed, as stored (a reason's words are confidential: it has no `==`).
fn closed_with(case: &Case) -> serde_json::Value {
    match case {
        Case::Closed(closed) => stored(closed.reason()),
        other => panic!("expected closed, the case is {}", other.stage()),
    }
}

/// `reason` as a closed case stores it.
fn as_closed(reason: ClosureReason<NewConfidential>) -> serde_json::Value {
    stored(&reason)
}

fn every_other_closure_reason() -> Vec<ClosureReason<NewConfidential>> {
    vec![
        ClosureReason::YoungPersonDeclined,
        ClosureReason::YoungPersonWithdrew,
        ClosureReason::MovedOutOfArea,
        ClosureReason::AgedOut,
        ClosureReason::Transferred {
            to: text("Fictional Leaving Care Team"),
        },
        ClosureReason::NoEngagement,
        ClosureReason::Other {
            text: text("Now supported by a specialist service out of county").into(),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// no time limit.

#[test]
fn r14_a_case_has_no_time_limit() {
    let mut s = active();
    for _ in 0..6 {
        s = s
            .later(Duration::days(183))
            .given(vec![CaseCommand::RecordReview {
                indicators: vec![],
                worker_override: None,
                decision: ReviewDecision::Continue,
            }]);
    }
    // Three years on, still active: nothing closes it but a decision.
    assert_eq!(s.case().stage(), StageName::Active);
    assert!(!s
        .history()
        .iter()
        .any(|e| matches!(e, CaseEvent::CaseClosed { .. })));
    s.when(CaseCommand::Pause {
        reason: PauseReason::Missing,
    })
    .then_stage(StageName::Paused);
}

// ---------------------------------------------------------------------------------------------
// a case closes with a typed reason.

#[test]
fn r15_every_closure_reason_closes_through_close() {
    for reason in every_other_closure_reason() {
        active()
            .later(Duration::weeks(10))
            .when(CaseCommand::Close {
                reason: reason.clone(),
            })
            .then_event_types(&["case_closed"])
            .then_stage(StageName::Closed)
            .then_events(|events| {
                assert!(matches!(
                    &events[0],
                    CaseEvent::CaseClosed { reason: r, at } if stored(r) == stored(&reason) && *at == start() + Duration::weeks(10)
                ))
            })
            .then_case(|case| assert_eq!(closed_with(case), stored(&reason)));
    }
}

#[test]
fn r15_a_case_closes_from_every_stage_with_a_worker() {
    let allocated = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(allocation_steps());
    let engaged = allocated.clone().given(work_steps().into_iter().take(1));
    let paused = active().given(vec![CaseCommand::Pause {
        reason: PauseReason::NoContact,
    }]);
    let closing = active().given(vec![CaseCommand::ProposeClosure]);
    for stage in [allocated, engaged, active(), paused, closing] {
        stage
            .when(CaseCommand::Close {
                reason: ClosureReason::NoEngagement,
            })
            .then_stage(StageName::Closed);
    }
}

#[test]
fn r15_a_referral_without_a_worker_cannot_close() {
    let received = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()));
    received
        .when(CaseCommand::Close {
            reason: ClosureReason::NoEngagement,
        })
        .then_error(|e| {
            assert!(matches!(
                e,
                DomainError::NotAtThisStage {
                    stage: StageName::Received,
                    command: "close",
                    ..
                }
            ))
        });
}

#[test]
fn r15_r16_risk_significantly_reduced_is_refused_through_close() {
    active()
        .when(CaseCommand::Close {
            reason: ClosureReason::RiskSignificantlyReduced,
        })
        .then_refused_by(Rule::R16)
        .then_error(|e| assert_eq!(e, &DomainError::ClosureNeedsProposal))
        .and()
        .when(CaseCommand::ProposeClosure)
        .then_stage(StageName::Closing);
}

// ---------------------------------------------------------------------------------------------
// 'risk significantly reduced' needs the young person and every involved professional.

#[test]
fn r16_closing_waits_for_the_one_professional_who_has_not_agreed() {
    let referrer = social_worker();
    let school = teacher();
    let closing = active_referred_by(referrer.clone(), vec![school.clone()]).given(vec![
        CaseCommand::ProposeClosure,
        agree(Party::YoungPerson),
        agree(Party::Professional(school.id)),
    ]);
    let Case::Closing(stage) = closing.case() else {
        panic!()
    };
    assert_eq!(
        stage.missing_agreements(),
        vec![Party::Professional(referrer.id)]
    );
    closing
        .when(CaseCommand::CompleteClosure)
        .then_refused_by(Rule::R16)
        .then_error(|e| {
            assert_eq!(
                e,
                &DomainError::AgreementsMissing {
                    missing: vec![Party::Professional(referrer.id)]
                }
            )
        })
        .and()
        .given(vec![agree(Party::Professional(referrer.id))])
        .when(CaseCommand::CompleteClosure)
        .then_event_types(&["case_closed"])
        .then_case(|case| {
            assert_eq!(
                closed_with(case),
                as_closed(ClosureReason::RiskSignificantlyReduced)
            )
        });
}

#[test]
fn r16_the_young_persons_agreement_is_always_needed() {
    let referrer = social_worker();
    active_referred_by(referrer.clone(), vec![])
        .given(vec![
            CaseCommand::ProposeClosure,
            agree(Party::Professional(referrer.id)),
        ])
        .when(CaseCommand::CompleteClosure)
        .then_error(|e| {
            assert_eq!(
                e,
                &DomainError::AgreementsMissing {
                    missing: vec![Party::YoungPerson]
                }
            )
        });
}

#[test]
fn r16_a_self_referral_with_no_professionals_closes_on_her_agreement() {
    active()
        .given(vec![CaseCommand::ProposeClosure, agree(Party::YoungPerson)])
        .when(CaseCommand::CompleteClosure)
        .then_stage(StageName::Closed);
}

#[test]
fn r16_a_professional_added_while_closing_must_also_agree() {
    let latecomer = Professional {
        id: ProfessionalId::new(),
        name: text("Robin Nurse"),
        kind: ProfessionalKind::Health,
        agency: text("Fictional Sexual Health Clinic"),
    };
    active()
        .given(vec![
            CaseCommand::ProposeClosure,
            agree(Party::YoungPerson),
            CaseCommand::RecordProfessional {
                professional: latecomer.clone(),
            },
        ])
        .when(CaseCommand::CompleteClosure)
        .then_error(|e| {
            assert_eq!(
                e,
                &DomainError::AgreementsMissing {
                    missing: vec![Party::Professional(latecomer.id)]
                }
            )
        })
        .and()
        .given(vec![agree(Party::Professional(latecomer.id))])
        .when(CaseCommand::CompleteClosure)
        .then_stage(StageName::Closed);
}

#[test]
fn r16_agreement_from_someone_not_involved_is_refused() {
    let stranger = ProfessionalId::new();
    active()
        .given(vec![CaseCommand::ProposeClosure])
        .when(agree(Party::Professional(stranger)))
        .then_refused_by(Rule::R16)
        .then_error(|e| {
            assert_eq!(
                e,
                &DomainError::NotAParty {
                    party: Party::Professional(stranger)
                }
            )
        });
}

#[test]
fn r16_agreements_do_not_survive_a_withdrawn_proposal() {
    active()
        .given(vec![
            CaseCommand::ProposeClosure,
            agree(Party::YoungPerson),
            CaseCommand::WithdrawClosureProposal {
                reason: text("New concerns reported by school").into(),
            },
        ])
        .given(vec![CaseCommand::ProposeClosure])
        .when(CaseCommand::CompleteClosure)
        .then_error(|e| {
            assert_eq!(
                e,
                &DomainError::AgreementsMissing {
                    missing: vec![Party::YoungPerson]
                }
            )
        });
}

#[test]
fn r16_agreement_or_completion_without_a_proposal_is_refused_naming_r16() {
    for command in [agree(Party::YoungPerson), CaseCommand::CompleteClosure] {
        active().when(command).then_refused_by(Rule::R16);
    }
}

// ---------------------------------------------------------------------------------------------
// a closed case is never edited.

fn closed() -> Scenario {
    active()
        .later(Duration::weeks(12))
        .given(vec![CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        }])
}

/// One of every command a front end can send, except the three that discharge owed actions.
fn every_editing_command() -> Vec<CaseCommand> {
    vec![
        young_person_consents(ConsentScope::SharingWithParents),
        CaseCommand::RecordProfessional {
            professional: teacher(),
        },
        CaseCommand::Screen,
        assess(&[]),
        CaseCommand::AcceptForSupport,
        CaseCommand::AddToWaitingList,
        CaseCommand::Signpost {
            reason: Some(text("Another service").into()),
            to: None,
        },
        CaseCommand::Decline {
            reason: text("Not needed").into(),
        },
        CaseCommand::Withdraw {
            reason: text("Changed her mind").into(),
        },
        CaseCommand::Allocate {
            worker: StaffId::new(),
            worker_name: text("Another Worker"),
            out_of_order_reason: Some(text("Manager's choice")),
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("A corrected plan")),
        },
        CaseCommand::BeginWork,
        CaseCommand::Pause {
            reason: PauseReason::NoContact,
        },
        CaseCommand::Resume,
        CaseCommand::RecordReview {
            indicators: vec![],
            worker_override: None,
            decision: ReviewDecision::Continue,
        },
        CaseCommand::ProposeClosure,
        agree(Party::YoungPerson),
        CaseCommand::WithdrawClosureProposal {
            reason: text("Reopen").into(),
        },
        CaseCommand::CompleteClosure,
        CaseCommand::Close {
            reason: ClosureReason::NoEngagement,
        },
        CaseCommand::Close {
            reason: ClosureReason::RiskSignificantlyReduced,
        },
    ]
}

#[test]
fn r17_a_closed_case_refuses_every_command_except_discharging_owed_actions() {
    let s = closed();
    let case = s.case_id();
    let commands = every_editing_command();
    let mut covered: Vec<_> = commands.iter().map(CaseCommand::name).collect();
    covered.extend(["mark_action_sent", "acknowledge_action", "explain_action"]);
    covered.sort_unstable();
    covered.dedup();
    assert_eq!(covered.len(), 23, "one of every command kind: {covered:?}");
    for command in commands {
        let name = command.name();
        s.clone()
            .when(command)
            .then_refused_by(Rule::R17)
            .then_error(|e| assert_eq!(e, &DomainError::CaseClosed { case }, "{name}"));
    }
}

#[test]
fn r17_a_closed_case_still_discharges_what_it_owes() {
    let s = closed();
    let notify = s.owed_action(OwedActionKind::NotifySafeguardingUnit);
    let outcome = s.owed_action(OwedActionKind::CommunicateOutcome);
    let at = s.now();
    s.when(CaseCommand::MarkActionSent {
        action: notify,
        reference: text("ISU-2026-0101"),
        sent_at: at,
    })
    .then_stage(StageName::Closed)
    .and()
    .when(CaseCommand::AcknowledgeAction {
        action: notify,
        acknowledged_at: at,
    })
    .then_stage(StageName::Closed)
    .and()
    .when(CaseCommand::ExplainAction {
        action: outcome,
        explanation: text("Self-referral: she was told in person"),
    })
    .then_stage(StageName::Closed)
    .then_case(|case| {
        assert_eq!(closed_with(case), as_closed(ClosureReason::MovedOutOfArea));
        assert!(case.file().owed.iter().all(|a| a.status.is_discharged()));
    });
}

// --- R-17 through the facade: nothing is written; re-referral opens a new, linked case. ------

struct Service {
    casework: Casework<MemoryStore>,
    clock: Arc<ManualClock>,
    worker: Actor,
}

impl Service {
    fn new() -> Self {
        let clock = Arc::new(fixtures::clock());
        Self {
            casework: Casework::new(MemoryStore::new(), city_girls_service())
                .with_clock(clock.clone() as Arc<dyn Clock>),
            clock,
            worker: fixtures::worker(),
        }
    }

    async fn run(&self, case: casework::kernel::ids::CaseId, commands: Vec<CaseCommand>) {
        for command in commands {
            let name = command.name();
            self.casework
                .execute(&self.worker, case, command)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            self.clock.advance(Duration::hours(1));
        }
    }
}

#[tokio::test]
async fn r17_a_refused_edit_of_a_closed_case_writes_nothing() {
    let s = Service::new();
    let amy = s
        .casework
        .register_young_person(&s.worker, girl_in_leeds_area())
        .await
        .unwrap();
    let case = s
        .casework
        .receive_referral(&s.worker, amy, self_referral(s.clock.now()))
        .await
        .unwrap();
    let mut steps = allocation_steps();
    steps.extend(work_steps());
    steps.push(CaseCommand::Close {
        reason: ClosureReason::AgedOut,
    });
    s.run(case, steps).await;
    let before = s.casework.history(case).await.unwrap();
    let refused = s
        .casework
        .execute(
            &s.worker,
            case,
            CaseCommand::RecordProfessional {
                professional: teacher(),
            },
        )
        .await;
    assert!(
        matches!(refused, Err(CommandError::Rejected(DomainError::CaseClosed { case: c })) if c == case),
        "{refused:?}"
    );
    assert_eq!(
        stored_history(&s.casework.history(case).await.unwrap()),
        stored_history(&before)
    );
}

#[tokio::test]
async fn r17_a_referral_while_a_case_is_open_is_refused_and_re_referral_after_closure_is_linked() {
    let s = Service::new();
    let amy = s
        .casework
        .register_young_person(&s.worker, girl_in_leeds_area())
        .await
        .unwrap();
    let first = s
        .casework
        .receive_referral(&s.worker, amy, self_referral(s.clock.now()))
        .await
        .unwrap();
    s.run(first, allocation_steps()).await;

    // Still open: a second referral is refused, naming the open case.
    let refused = s
        .casework
        .receive_referral(&s.worker, amy, self_referral(s.clock.now()))
        .await;
    match refused {
        Err(CommandError::Rejected(e)) => {
            assert_eq!(e, DomainError::OpenCaseExists { case: first });
            assert_eq!(e.rule(), Some(Rule::R17));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.casework.cases_of(amy).await.unwrap().len(), 1);

    let mut steps = work_steps();
    steps.push(CaseCommand::Close {
        reason: ClosureReason::NoEngagement,
    });
    s.run(first, steps).await;
    s.clock.advance(Duration::days(200));

    let second = s
        .casework
        .receive_referral(
            &s.worker,
            amy,
            professional_referral(social_worker(), s.clock.now()),
        )
        .await
        .unwrap();
    assert_ne!(second, first);
    let new_case = s.casework.case(second).await.unwrap();
    assert_eq!(new_case.stage(), StageName::Received);
    assert_eq!(new_case.file().previous_case, Some(first));
    assert_eq!(new_case.file().young_person, amy);
    // The old case is untouched and still closed.
    let old_case = s.casework.case(first).await.unwrap();
    assert_eq!(
        closed_with(&old_case),
        as_closed(ClosureReason::NoEngagement)
    );
    let cases: Vec<_> = s
        .casework
        .cases_of(amy)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.case_id, c.previous_case))
        .collect();
    assert_eq!(cases, vec![(first, None), (second, Some(first))]);
}

#[test]
fn r17_a_re_referral_in_the_pure_domain_carries_the_link() {
    let previous = closed().case_id();
    Scenario::new(city_girls_service())
        .later(Duration::days(400))
        .given_re_referral(
            previous,
            &girl_in_leeds_area(),
            self_referral(start() + Duration::days(400)),
        )
        .when(CaseCommand::Screen)
        .then_case(|case| assert_eq!(case.file().previous_case, Some(previous)));
}
