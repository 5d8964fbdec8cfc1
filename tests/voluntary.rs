//! R-6: the service is voluntary. The young person may decline or stop at any time and the
//! case ends with that reason; engagement can never be recorded as a requirement of a
//! statutory plan, and imported data that claims it is rejected with a clear error.

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope, ConsentStatus,
};
use casework::case::{
    CaseCommand, CaseEvent, ClosureReason, NewReferral, Party, PauseReason, StageName,
};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::error::DomainError;
use casework::kernel::rule::Rule;
use casework::policy::profile::examples::city_girls_service;
use casework_testkit::fixtures::{
    self, girl_in_leeds_area, professional_referral, self_referral, social_worker, start, text,
};
use casework_testkit::scenario::Scenario;
use chrono::Duration;

fn entry(scope: ConsentScope, decision: ConsentDecision, by: ConsentGiver) -> ConsentEntry {
    ConsentEntry {
        scope,
        decision,
        by,
        method: ConsentMethod::InPerson,
        purpose: text("to work with the project"),
        given_at: start(),
    }
}

fn consent(scope: ConsentScope, decision: ConsentDecision, by: ConsentGiver) -> CaseCommand {
    CaseCommand::RecordConsent {
        entry: entry(scope, decision, by),
    }
}

fn young_person(scope: ConsentScope, decision: ConsentDecision) -> CaseCommand {
    consent(scope, decision, ConsentGiver::YoungPerson)
}

fn assess() -> CaseCommand {
    CaseCommand::AssessRisk {
        indicators: vec![],
        worker_override: None,
    }
}

fn allocate() -> CaseCommand {
    CaseCommand::Allocate {
        worker: fixtures::worker().id,
        worker_name: text("Sam Worker"),
        out_of_order_reason: None,
    }
}

/// A self-referral taken through `steps`.
fn self_referred(steps: Vec<CaseCommand>) -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .later(Duration::hours(1))
        .given(steps)
}

/// The case at every stage that has a worker: Allocated, Engaged, Active, Paused, Closing.
fn allocated_stages() -> Vec<Scenario> {
    let mut steps = vec![
        CaseCommand::Screen,
        assess(),
        CaseCommand::AcceptForSupport,
        allocate(),
    ];
    let mut stages = vec![self_referred(steps.clone())];
    steps.push(CaseCommand::AgreePlan {
        plan: NewConfidential::new(text("Weekly sessions")),
    });
    stages.push(self_referred(steps.clone()));
    steps.push(CaseCommand::BeginWork);
    stages.push(self_referred(steps.clone()));
    let mut paused = steps.clone();
    paused.push(CaseCommand::Pause {
        reason: PauseReason::NoContact,
    });
    stages.push(self_referred(paused));
    steps.push(CaseCommand::ProposeClosure);
    stages.push(self_referred(steps));
    let names: Vec<_> = stages.iter().map(|s| s.case().stage()).collect();
    assert_eq!(
        names,
        [
            StageName::Allocated,
            StageName::Engaged,
            StageName::Active,
            StageName::Paused,
            StageName::Closing
        ]
    );
    stages
}

/// A professional's referral at every stage before allocation.
fn before_allocation_stages() -> Vec<Scenario> {
    let referred = || {
        Scenario::new(city_girls_service())
            .given_referral(
                &girl_in_leeds_area(),
                professional_referral(social_worker(), start()),
            )
            .later(Duration::hours(1))
    };
    let permission = young_person(ConsentScope::Referral, ConsentDecision::Given);
    let stages = vec![
        referred(),
        referred().given(vec![CaseCommand::Screen]),
        referred().given(vec![CaseCommand::Screen, assess()]),
        referred().given(vec![
            CaseCommand::Screen,
            assess(),
            permission.clone(),
            CaseCommand::AcceptForSupport,
        ]),
        referred().given(vec![
            CaseCommand::Screen,
            assess(),
            permission,
            CaseCommand::AddToWaitingList,
        ]),
    ];
    let names: Vec<_> = stages.iter().map(|s| s.case().stage()).collect();
    assert_eq!(
        names,
        [
            StageName::Received,
            StageName::Screened,
            StageName::Assessed,
            StageName::AwaitingAllocation,
            StageName::WaitingList
        ]
    );
    stages
}

#[test]
fn r6_withdrawing_engagement_consent_ends_an_active_case_with_young_person_withdrew() {
    self_referred(vec![
        CaseCommand::Screen,
        assess(),
        CaseCommand::AcceptForSupport,
        young_person(ConsentScope::Engagement, ConsentDecision::Given),
        allocate(),
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ])
    .when(young_person(
        ConsentScope::Engagement,
        ConsentDecision::Withdrawn,
    ))
    .then_event_types(&["consent_recorded", "case_closed"])
    .then_stage(StageName::Closed)
    .then_case(|case| {
        let casework::case::Case::Closed(closed) = case else {
            unreachable!()
        };
        assert!(matches!(
            closed.reason(),
            ClosureReason::YoungPersonWithdrew
        ));
        // Withdrawal never deletes history: both entries are in the ledger.
        let decisions: Vec<_> = case
            .file()
            .consent
            .entries()
            .iter()
            .filter(|e| e.scope == ConsentScope::Engagement)
            .map(|e| e.decision)
            .collect();
        assert_eq!(
            decisions,
            [ConsentDecision::Given, ConsentDecision::Withdrawn]
        );
        assert_eq!(
            case.file()
                .consent
                .young_person_status(&ConsentScope::Engagement),
            ConsentStatus::Withdrawn
        );
    });
}

#[test]
fn r6_withdrawing_or_refusing_engagement_ends_the_case_at_every_stage_with_a_worker() {
    for decision in [ConsentDecision::Withdrawn, ConsentDecision::Refused] {
        for stage in allocated_stages() {
            let from = stage.case().stage();
            stage
                .when(young_person(ConsentScope::Engagement, decision))
                .then_stage(StageName::Closed)
                .then_events(|events| {
                    assert!(
                        matches!(
                            events.last(),
                            Some(CaseEvent::CaseClosed {
                                reason: ClosureReason::YoungPersonWithdrew,
                                ..
                            })
                        ),
                        "from {from}: {events:?}"
                    )
                });
        }
    }
}

#[test]
fn r6_refusing_referral_consent_before_allocation_withdraws_the_referral() {
    for stage in before_allocation_stages() {
        stage
            .when(young_person(
                ConsentScope::Referral,
                ConsentDecision::Refused,
            ))
            .then_event_types(&["consent_recorded", "referral_withdrawn"])
            .then_stage(StageName::Withdrawn);
    }
}

#[test]
fn r6_a_parent_cannot_end_the_young_persons_case() {
    for stage in allocated_stages() {
        let from = stage.case().stage();
        stage
            .when(consent(
                ConsentScope::Engagement,
                ConsentDecision::Withdrawn,
                ConsentGiver::ParentOrCarer,
            ))
            .then_event_types(&["consent_recorded"])
            .then_stage(from);
    }
}

#[test]
fn r6_withdrawing_a_sharing_consent_does_not_end_the_case() {
    for scope in [
        ConsentScope::SharingWithParents,
        ConsentScope::SharingWithReferrer,
        ConsentScope::SharingWithAgency {
            agency: text("Fictional Police Service"),
        },
    ] {
        for stage in allocated_stages() {
            let from = stage.case().stage();
            stage
                .when(young_person(scope.clone(), ConsentDecision::Withdrawn))
                .then_stage(from);
        }
    }
}

#[test]
fn r6_the_young_person_can_decline_the_service_at_any_stage_with_a_worker() {
    for stage in allocated_stages() {
        stage
            .when(CaseCommand::Close {
                reason: ClosureReason::YoungPersonDeclined,
            })
            .then_stage(StageName::Closed);
    }
}

#[test]
fn r6_a_closing_case_ends_when_she_withdraws_even_after_agreeing() {
    let closing = allocated_stages().pop().unwrap();
    closing
        .given(vec![CaseCommand::RecordAgreement {
            party: Party::YoungPerson,
        }])
        .when(young_person(
            ConsentScope::Engagement,
            ConsentDecision::Withdrawn,
        ))
        .then_case(|case| {
            let casework::case::Case::Closed(closed) = case else {
                panic!("{:?}", case.stage())
            };
            assert!(matches!(
                closed.reason(),
                ClosureReason::YoungPersonWithdrew
            ));
        });
}

// --- No statutory-plan requirement, and imports that claim one are refused -----------------

const STATUTORY_KEYS: &[&str] = &[
    "statutory_plan",
    "section_47",
    "section_17",
    "statutory_requirement",
    "required_by_plan",
    "s47",
    "s17",
];

fn consent_json(extra: &str) -> String {
    format!(
        r#"{{"command":"record_consent","entry":{{"scope":{{"scope":"engagement"}},
            "decision":"given","by":"young_person","method":"in_person",
            "purpose":"to work with the project","given_at":"2026-03-01T10:00:00Z"{extra}}}}}"#
    )
}

#[test]
fn r6_control_the_same_commands_without_a_statutory_claim_decode() {
    assert!(CaseCommand::from_json(&consent_json("")).is_ok());
    assert!(CaseCommand::from_json(r#"{"command":"agree_plan","plan":"Weekly sessions"}"#).is_ok());
    assert!(NewReferral::from_json(
        r#"{"source":{"source":"self_referral"},"concerns":"Older boyfriend","received_at":"2026-03-01T10:00:00Z"}"#
    )
    .is_ok());
}

#[test]
fn r6_a_command_claiming_a_statutory_plan_is_rejected_naming_the_field() {
    for key in STATUTORY_KEYS {
        let top = format!(r#"{{"command":"agree_plan","plan":"Weekly sessions","{key}":true}}"#);
        assert_eq!(
            CaseCommand::from_json(&top),
            Err(DomainError::StatutoryRequirement {
                field: key.to_string()
            }),
            "{top}"
        );
        let nested = consent_json(&format!(r#","{key}":{{"plan":"child protection"}}"#));
        assert_eq!(
            CaseCommand::from_json(&nested),
            Err(DomainError::StatutoryRequirement {
                field: format!("entry.{key}")
            }),
            "{nested}"
        );
    }
}

#[test]
fn r6_a_statutory_claim_is_found_however_deep_and_in_any_case() {
    let json = r#"{"command":"agree_plan","plan":"Weekly sessions",
                   "meta":{"links":[{"kind":"cp"},{"detail":{"Section_47":"yes"}}]}}"#;
    let err = CaseCommand::from_json(json).unwrap_err();
    assert_eq!(
        err,
        DomainError::StatutoryRequirement {
            field: "meta.links[1].detail.Section_47".into()
        }
    );
    assert_eq!(err.rule(), Some(Rule::R6));
    let message = err.to_string();
    assert!(message.starts_with("R-6"), "{message}");
    assert!(
        message.contains("meta.links[1].detail.Section_47"),
        "{message}"
    );
}

#[test]
fn r6_a_referral_claiming_a_statutory_plan_is_rejected_naming_the_field() {
    let json = r#"{"source":{"source":"professional","professional":{
            "id":"6f1c1f5e-4d3b-4a5f-9e7a-2b9f1c2d3e4f","name":"Pat Socialworker",
            "kind":"social_worker","agency":"Fictional Children's Services",
            "statutory_plan":"child protection plan"}},
        "concerns":"Missing overnight","received_at":"2026-03-01T10:00:00Z"}"#;
    assert_eq!(
        NewReferral::from_json(json),
        Err(DomainError::StatutoryRequirement {
            field: "source.professional.statutory_plan".into()
        })
    );
    let json = r#"{"source":{"source":"self_referral"},"concerns":"x",
                   "received_at":"2026-03-01T10:00:00Z","section_47":true}"#;
    assert_eq!(
        NewReferral::from_json(json),
        Err(DomainError::StatutoryRequirement {
            field: "section_47".into()
        })
    );
}

#[test]
fn r6_the_plan_has_no_field_that_could_make_engagement_a_requirement() {
    // Any other field on the plan command is unknown, so it cannot be recorded either.
    let err = CaseCommand::from_json(
        r#"{"command":"agree_plan","plan":"Weekly sessions","mandatory":true}"#,
    )
    .unwrap_err();
    assert!(matches!(err, DomainError::Input(_)), "{err:?}");
}
