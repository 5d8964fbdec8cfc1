//! The model's own tests: its reading of the city profile, every invariant catching its
//! violation, and generated sequences reaching every stage and rule.

use crate::model::steps::fixed_text;
use crate::model::{age_on, By, CaseworkModel, Cmd, ModelRules, Prediction, ReferenceStateMachine};
use casework_core::case::consent::{ConsentDecision, ConsentGiver, ConsentMethod, ConsentScope};
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{
    Case, CaseCommand, CaseEvent, NewReferral, Party, ReferralSource, StageName,
};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::event::Recorded;
use casework_core::kernel::ids::{CaseId, YoungPersonId};
use casework_core::policy::eligibility::IneligibilityKind;
use casework_core::policy::profile::Approvals;
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, Window};
use casework_core::read::rows::CaseSummary;
use casework_core::young_person::{Gender, YoungPersonDetails};
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::collections::BTreeSet;

use super::invariants::*;
use crate::fixtures;
use casework_core::case::{Received, Stage};
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::event::{DomainEvent, EventMeta, RecordedEvent};
use casework_core::kernel::ids::{EventId, StreamId};
use casework_core::young_person::YoungPerson;
use proptest::strategy::ValueTree;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

#[test]
fn ages_count_completed_years_and_leap_birthdays_from_1_march() {
    assert_eq!(age_on(date(2011, 5, 14), date(2026, 5, 13)), 14);
    assert_eq!(age_on(date(2011, 5, 14), date(2026, 5, 14)), 15);
    assert_eq!(age_on(date(2008, 2, 29), date(2026, 2, 28)), 17);
    assert_eq!(age_on(date(2008, 2, 29), date(2026, 3, 1)), 18);
}

#[test]
fn the_model_reads_the_city_profile() {
    let rules = ModelRules::city(Approvals::default());
    let on = date(2026, 3, 2);
    let girl = fixtures::girl_in_leeds_area();
    assert!(rules.ineligibility(&girl, on).is_empty());
    let kinds = rules.ineligibility(&fixtures::boy_in_leeds_area(), on);
    assert_eq!(kinds, vec![IneligibilityKind::GenderNotServed]);
    let wf1 = YoungPersonDetails {
        postcode: casework_core::kernel::input::Postcode::parse("WF1").expect("a district"),
        ..girl.clone()
    };
    assert_eq!(
        rules.ineligibility(&wf1, on),
        vec![IneligibilityKind::OutsideArea]
    );
    let nineteen = YoungPersonDetails {
        date_of_birth: date(2007, 3, 2),
        ..girl.clone()
    };
    assert_eq!(
        rules.ineligibility(&nineteen, on),
        vec![IneligibilityKind::TooOld]
    );
    let with_ld = YoungPersonDetails {
        learning_difficulty: true,
        ..nineteen
    };
    assert!(rules.ineligibility(&with_ld, on).is_empty());
    let answers = |keys: &[&str]| -> Vec<IndicatorAnswer> {
        keys.iter().map(|k| IndicatorAnswer::current(*k)).collect()
    };
    assert_eq!(rules.risk_level(&[], 15, false), Ok(RiskLevel::Low));
    assert_eq!(rules.risk_level(&[], 12, false), Ok(RiskLevel::Medium));
    assert_eq!(rules.risk_level(&[], 15, true), Ok(RiskLevel::Medium));
    assert_eq!(
        rules.risk_level(
            &answers(&["missing_from_home", "school_absence", "older_boyfriend"]),
            15,
            false
        ),
        Ok(RiskLevel::Medium)
    );
    assert_eq!(
        rules.risk_level(&answers(&["taken_to_parties", "school_absence"]), 15, false),
        Ok(RiskLevel::High)
    );
    assert_eq!(
        rules.risk_level(
            &[IndicatorAnswer::within("disclosure", Window::SixTo12Months)],
            15,
            false
        ),
        Ok(RiskLevel::High)
    );
    assert_eq!(
        rules.risk_level(&answers(&["school_absence", "nope"]), 15, false),
        Err(1)
    );
    assert_eq!(
        rules.risk_level(&answers(&["school_absence", "school_absence"]), 15, false),
        Err(1)
    );
}

/// A real history, decided by the core, as a store would return it.
fn history(
    source: ReferralSource,
    commands: Vec<(By, CaseCommand)>,
) -> (Vec<Recorded<CaseEvent>>, Case) {
    let profile = ModelRules::city(Approvals::default()).service_profile();
    let at = fixtures::start();
    let person = YoungPerson {
        id: YoungPersonId::new(),
        details: fixtures::girl_in_leeds_area(),
        registered_at: at,
    };
    let worker = By::Worker.actor();
    let ctx = CommandContext::new(&worker, at, &profile);
    let referral = NewReferral {
        source,
        concerns: NewConfidential::new(fixed_text("Fictional concern")),
        received_at: at,
    };
    let (stage, mut events) =
        Received::open(CaseId::new(), &person, referral, None, &ctx).expect("opens");
    let mut case = stage.into_case();
    for (by, command) in commands {
        let actor = by.actor();
        let ctx = CommandContext::new(&actor, at, &profile);
        let new = case.decide(command, &ctx).expect("the command is accepted");
        for e in &new {
            case = Case::evolve(Some(case), e).expect("follows");
        }
        events.extend(new);
    }
    (recorded(&events, case.file().id), case)
}

fn recorded(events: &[CaseEvent], case: CaseId) -> Vec<Recorded<CaseEvent>> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| Recorded {
            stream: StreamId::Case(case),
            version: i as u64 + 1,
            position: i as u64 + 1,
            meta: EventMeta {
                event_id: EventId::new(),
                recorded_at: fixtures::start() + Duration::seconds(i as i64),
                actor: By::Worker.actor(),
                reason: None,
            },
            event: e.clone(),
        })
        .collect()
}

fn renumber(history: Vec<Recorded<CaseEvent>>) -> Vec<Recorded<CaseEvent>> {
    let case = history[0].stream;
    let events: Vec<CaseEvent> = history.into_iter().map(|r| r.event).collect();
    let StreamId::Case(id) = case else {
        unreachable!("a case stream")
    };
    recorded(&events, id)
}

fn on_waiting_list() -> Vec<(By, CaseCommand)> {
    vec![
        (By::Worker, CaseCommand::Screen),
        (
            By::Worker,
            CaseCommand::AssessRisk {
                indicators: vec![],
                worker_override: None,
            },
        ),
        (By::Worker, CaseCommand::AddToWaitingList),
    ]
}

fn closed_risk_reduced() -> (Vec<Recorded<CaseEvent>>, Case) {
    let professional = fixtures::social_worker();
    let mut commands = vec![
        (By::Worker, CaseCommand::Screen),
        (
            By::Worker,
            CaseCommand::AssessRisk {
                indicators: vec![],
                worker_override: None,
            },
        ),
        (By::Worker, CaseCommand::AcceptForSupport),
        (
            By::Worker,
            CaseCommand::Allocate {
                worker: By::Worker.staff_id(),
                worker_name: fixed_text("Sam Worker"),
                out_of_order_reason: None,
            },
        ),
        (
            By::Worker,
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(fixed_text("Weekly sessions")),
            },
        ),
        (By::Worker, CaseCommand::BeginWork),
        (By::Worker, CaseCommand::ProposeClosure),
    ];
    for party in [Party::YoungPerson, Party::Professional(professional.id)] {
        commands.push((By::Worker, CaseCommand::RecordAgreement { party }));
    }
    commands.push((By::Worker, CaseCommand::CompleteClosure));
    history(
        ReferralSource::Professional {
            professional: professional.clone(),
        },
        std::iter::once((
            By::Worker,
            Cmd::Consent {
                scope: ConsentScope::Referral,
                decision: ConsentDecision::Given,
                by: ConsentGiver::YoungPerson,
                method: ConsentMethod::Phone,
                secs_ago: 0,
            }
            .to_command(fixtures::start(), |_| None, |_| None),
        ))
        .chain(commands)
        .collect(),
    )
}

/// Every invariant holds on a real history, and fails on the same history with the one
/// fact its rule is about taken out or changed: the checks can fail.
#[test]
fn every_invariant_catches_its_violation() {
    let rules = ModelRules::city(Approvals::default());
    let (history, state) = closed_risk_reduced();
    assert_eq!(state.stage(), StageName::Closed);
    assert_eq!(r1_no_acceptance_without_permission(&history), Ok(()));
    assert_eq!(r2_no_ineligible_acceptance(&history, &rules), Ok(()));
    assert_eq!(r5_owed_actions_never_missing(&history, &state), Ok(()));
    assert_eq!(
        r16_risk_reduced_closure_has_every_agreement(&history),
        Ok(())
    );
    assert_eq!(r17_finished_case_takes_only_discharges(&history), Ok(()));
    assert_eq!(r18_fold_gives_service_state(&history, &state), Ok(()));

    // the young person's permission taken out.
    let without_consent = renumber(
        history
            .iter()
            .filter(|e| !matches!(e.event, CaseEvent::ConsentRecorded { .. }))
            .cloned()
            .collect(),
    );
    let e = r1_no_acceptance_without_permission(&without_consent).unwrap_err();
    assert!(e.starts_with("R-1"), "{e}");

    // the screening said ineligible.
    let mut ineligible = history.clone();
    for e in &mut ineligible {
        if let CaseEvent::EligibilityScreened { screening } = &mut e.event {
            screening.reasons.push(
                casework_core::policy::eligibility::Ineligibility::GenderNotServed {
                    gender: Gender::Male,
                },
            );
        }
    }
    assert!(r2_no_ineligible_acceptance(&ineligible, &rules)
        .unwrap_err()
        .starts_with("R-2"));
    // the young person, as referred, is a boy the profile does not serve.
    let mut boy = history.clone();
    if let CaseEvent::ReferralReceived { subject, .. } = &mut boy[0].event {
        subject.gender = Gender::Male;
    }
    assert!(r2_no_ineligible_acceptance(&boy, &rules)
        .unwrap_err()
        .starts_with("R-2"));

    // the safeguarding-unit notification missing from the history, or from the case.
    let without_notification = renumber(
        history
            .iter()
            .filter(|e| {
                !matches!(&e.event, CaseEvent::OwedActionRaised { action }
                    if action.kind == OwedActionKind::NotifySafeguardingUnit)
            })
            .cloned()
            .collect(),
    );
    assert!(r5_owed_actions_never_missing(&without_notification, &state)
        .unwrap_err()
        .starts_with("R-5"));
    let mut medium = history.clone();
    for e in &mut medium {
        if let CaseEvent::RiskAssessed { assessment } = &mut e.event {
            assessment.level = RiskLevel::Medium;
        }
    }
    assert!(r5_owed_actions_never_missing(&medium, &state)
        .unwrap_err()
        .contains("refer_to_duty_social_work"));

    // the professional's agreement taken out.
    let one_agreement = renumber(
        history
            .iter()
            .filter(|e| {
                !matches!(
                    e.event,
                    CaseEvent::ClosureAgreed {
                        party: Party::Professional(_),
                        ..
                    }
                )
            })
            .cloned()
            .collect(),
    );
    assert!(r16_risk_reduced_closure_has_every_agreement(&one_agreement)
        .unwrap_err()
        .starts_with("R-16"));

    // anything but a discharge after closing.
    let mut after_close = history.clone();
    let consent = history
        .iter()
        .find(|e| matches!(e.event, CaseEvent::ConsentRecorded { .. }))
        .cloned()
        .expect("a consent entry");
    after_close.push(consent);
    let after_close = renumber(after_close);
    assert!(r17_finished_case_takes_only_discharges(&after_close)
        .unwrap_err()
        .starts_with("R-17"));

    // a version gap; a fold that is not the state; a state as of t that shows a
    // later event.
    let stored: Vec<RecordedEvent> = history
        .iter()
        .map(|r| {
            let new =
                casework_core::kernel::confidential::for_storage(|| r.event.encode(r.meta.clone()));
            RecordedEvent {
                stream: r.stream,
                version: r.version,
                position: r.position,
                event_type: new.event_type,
                schema_version: new.schema_version,
                payload: new.payload,
                meta: new.meta,
            }
        })
        .collect();
    assert_eq!(r18_versions_gap_free(&stored), Ok(()));
    let mut gap = stored.clone();
    gap.remove(3);
    assert!(r18_versions_gap_free(&gap).unwrap_err().starts_with("R-18"));
    let earlier = Case::fold(history[..5].iter().map(|e| &e.event))
        .expect("folds")
        .expect("a case");
    assert!(r18_fold_gives_service_state(&history, &earlier)
        .unwrap_err()
        .starts_with("R-18"));
    let t = history[4].meta.recorded_at;
    assert_eq!(
        r18_as_of_never_shows_later_events(&history, t, Some(&earlier)),
        Ok(())
    );
    assert!(
        r18_as_of_never_shows_later_events(&history, t, Some(&state))
            .unwrap_err()
            .starts_with("R-18")
    );
}

#[test]
fn the_waiting_list_check_catches_a_misordered_list() {
    let (_, first) = history(ReferralSource::SelfReferral, on_waiting_list());
    let (_, second) = history(ReferralSource::SelfReferral, on_waiting_list());
    let mut a = CaseSummary::of(&first, 7);
    let mut b = CaseSummary::of(&second, 7);
    b.received_at = a.received_at + Duration::hours(1);
    assert_eq!(r7_waiting_list_in_order(&[a.clone(), b.clone()]), Ok(()));
    assert!(r7_waiting_list_in_order(&[b.clone(), a.clone()])
        .unwrap_err()
        .starts_with("R-7"));
    b.risk_level = Some(RiskLevel::High);
    assert!(r7_waiting_list_in_order(&[a.clone(), b.clone()]).is_err());
    assert_eq!(r7_waiting_list_in_order(&[b.clone(), a.clone()]), Ok(()));
    a.stage = StageName::Allocated;
    assert!(r7_waiting_list_in_order(&[b, a]).is_err());
}

/// The model alone, over generated sequences: every stage is reached and steps are
/// refused under each rule the model knows, so the store tests exercise them all.
#[test]
fn generated_sequences_reach_every_stage_and_rule() {
    let mut runner = TestRunner::deterministic();
    let strategy = CaseworkModel::sequential_strategy(1..=48usize);
    let mut stages = BTreeSet::new();
    let mut rules = BTreeSet::new();
    for _ in 0..400 {
        let (mut state, steps, _) = strategy
            .new_tree(&mut runner)
            .expect("a sequence")
            .current();
        for step in &steps {
            state = state.apply(step);
            if let Some(Prediction::Refused(r)) = state.last.as_ref().map(|e| &e.prediction) {
                rules.insert(r.rule());
            }
            stages.extend(state.cases.iter().map(|c| c.stage.as_str()));
        }
    }
    assert_eq!(stages.len(), StageName::ALL.len(), "{stages:?}");
    for rule in [1, 2, 3, 4, 5, 7, 16, 17, 24] {
        assert!(
            rules.contains(&Some(rule)),
            "R-{rule} never refused: {rules:?}"
        );
    }
}
