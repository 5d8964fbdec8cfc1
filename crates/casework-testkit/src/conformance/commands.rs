//! Checks that each command through the service writes what it decided and only that: the
//! read-model row follows every command, and the stored history folds to the state the service
//! returned, attributed.

use super::support::{hours, keys, last_version, meta, ok, owed_of, Desk, HIGH, LOW, MEDIUM};
use crate::fixtures;
use crate::stored::stored;
use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::fold;
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{
    Case, CaseCommand, CaseEvent, Party, PauseReason, Professional, ProfessionalKind,
    ReviewDecision, StageName,
};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::event::{DomainEvent, RecordedEvent};
use casework_core::kernel::ids::{CaseId, ProfessionalId, StreamId};
use casework_core::policy::risk::{RiskLevel, RiskOverride};
use casework_core::read::rows::{CaseSummary, ReadModelUpdate};
use casework_core::store::{AppendError, AppendRequest, Store};
use casework_core::young_person::YoungPersonDetails;
use casework_service::{CommandError, Executed};
use chrono::Duration;

/// and R-12 (queries never see half a command): the read model is written in the
/// same append as the events. After every command the case's row is the row of the returned
/// state at the stream's last version; a refused stale append and a command the rules refuse
/// leave both the events and the row unchanged.
pub async fn case_summary_follows_every_command<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let person = desk.person("Bo Example").await;
    let case = desk.refer(person, desk.now()).await;
    let check = |done: Executed, events: Vec<RecordedEvent>, row: CaseSummary| {
        assert_eq!(
            last_version(&events),
            done.version,
            "the returned version is the stream's"
        );
        assert_eq!(
            row.version, done.version,
            "the row's version is the stream's last version"
        );
        assert_eq!(
            row,
            CaseSummary::of(&done.state, done.version),
            "the row is the state's"
        );
    };
    assert_eq!(
        desk.summary(case).await.version,
        last_version(&desk.load(case).await)
    );
    let steps = vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: keys(HIGH),
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        desk.allocate_to_worker(),
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(fixtures::text("Sessions at the youth club")),
        },
        CaseCommand::BeginWork,
    ];
    for step in steps {
        desk.clock.advance(hours(2));
        let done = desk.run(case, step).await;
        check(done, desk.load(case).await, desk.summary(case).await);
    }
    let row = desk.summary(case).await;
    assert_eq!(row.stage, StageName::Active);
    assert_eq!(row.worker, Some(desk.worker.id));
    assert_eq!(row.risk_level, Some(RiskLevel::High));

    // A stale append (someone decided on an old version) changes nothing.
    let events = desk.load(case).await;
    let stale = AppendRequest {
        stream: StreamId::Case(case),
        expected_version: last_version(&events) - 1,
        events: vec![CaseEvent::CaseResumed { at: desk.now() }.encode(meta(
            &desk.worker,
            desk.now(),
            None,
        ))],
        read_model: ReadModelUpdate::Case(CaseSummary {
            stage: StageName::Paused,
            version: last_version(&events),
            ..row.clone()
        }),
        snapshot: None,
        listings: None,
        idempotency: None,
    };
    assert!(
        matches!(
            desk.store().append(stale).await,
            Err(AppendError::Conflict(_))
        ),
        "a stale append conflicts"
    );
    assert_eq!(desk.summary(case).await, row, "the row is unchanged");
    assert_eq!(desk.load(case).await, events, "the events are unchanged");

    // A command the rules refuse writes nothing either.
    let refused = desk
        .refused(&desk.worker.clone(), case, CaseCommand::CompleteClosure)
        .await;
    assert!(
        refused.rejection().is_some(),
        "completing closure of an active case is refused by the rules, got {refused:?}"
    );
    assert_eq!(desk.summary(case).await, row);
    assert_eq!(desk.load(case).await, events);
    assert_eq!(
        ok(
            desk.store().case_summary(CaseId::new()).await,
            "case_summary"
        ),
        None,
        "an unknown case has no row"
    );
}

/// for a whole story — consent, an override with its reason, professionals, allocation,
/// owed actions discharged, a pause, a review and an agreed closure — after every command the
/// fold of the stored history equals the state the service returned, the new events carry who
/// (actor id, name, role), when (the clock, to the microsecond) and why (the stated reason),
/// and a command refused after closure writes nothing.
pub async fn stored_history_folds_to_executed_state<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    desk.set(fixtures::start() + Duration::microseconds(654_321));
    let details = YoungPersonDetails {
        name: fixtures::text("Cleo Example"),
        ..fixtures::girl_in_leeds_area()
    };
    let person = ok(
        desk.cw
            .register_young_person(&desk.worker, details.clone())
            .await,
        "register",
    );
    let record = ok(desk.cw.young_person(person).await, "young_person");
    assert_eq!(
        record.details, details,
        "the young person's record round-trips"
    );
    assert_eq!(record.registered_at, desk.now());

    let case = desk.refer(person, desk.now()).await;
    let teacher = Professional {
        id: ProfessionalId::new(),
        name: fixtures::text("Jo Teacher"),
        kind: ProfessionalKind::Teacher,
        agency: fixtures::text("Fictional High School"),
    };
    let manager = desk.manager.clone();
    let worker = desk.worker.clone();
    let steps: Vec<(Actor, CaseCommand)> = vec![
        (
            worker.clone(),
            CaseCommand::RecordConsent {
                entry: ConsentEntry {
                    scope: ConsentScope::SharingWithParents,
                    decision: ConsentDecision::Given,
                    by: ConsentGiver::YoungPerson,
                    method: ConsentMethod::InPerson,
                    purpose: fixtures::text("Tell her mum the service is working with her"),
                    given_at: desk.now(),
                },
            },
        ),
        (worker.clone(), CaseCommand::Screen),
        (
            manager.clone(),
            CaseCommand::AssessRisk {
                indicators: keys(MEDIUM),
                worker_override: Some(RiskOverride {
                    level: RiskLevel::High,
                    reason: fixtures::text("Seen getting into cars with older men (fictional)")
                        .into(),
                }),
            },
        ),
        (worker.clone(), CaseCommand::AcceptForSupport),
        (
            worker.clone(),
            CaseCommand::RecordProfessional {
                professional: teacher.clone(),
            },
        ),
        (worker.clone(), desk.allocate_to_worker()),
        (
            worker.clone(),
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(fixtures::text(
                    "Weekly sessions on healthy relationships",
                )),
            },
        ),
        (worker.clone(), CaseCommand::BeginWork),
    ];
    let mut last: Option<Executed> = None;
    let mut n = 0u64;
    let step = |actor: Actor, command: CaseCommand, n: u64| {
        let desk = &desk;
        async move {
            desk.clock
                .advance(hours(5) + Duration::microseconds(n as i64 * 7 + 1));
            let before = last_version(&desk.load(case).await);
            let reason = command.stated_reason();
            let at = desk.now();
            let done = desk.run_as(&actor, case, command).await;
            let events = desk.load(case).await;
            let history = ok(desk.cw.history(case).await, "history");
            assert_eq!(
                stored(&ok(fold(&history), "fold")),
                stored(&Some(&done.state)),
                "R-18: the fold of the stored history is the state the command returned"
            );
            assert_eq!(
                stored(&ok(desk.cw.case(case).await, "case")),
                stored(&done.state)
            );
            assert_eq!(last_version(&events), done.version);
            assert_eq!(
                stored(
                    &history[before as usize..]
                        .iter()
                        .map(|r| &r.event)
                        .collect::<Vec<_>>()
                ),
                stored(&done.events),
                "the stored events are the command's"
            );
            for e in &events[before as usize..] {
                assert_eq!(e.meta.actor, actor, "R-18: who");
                assert_eq!(e.meta.recorded_at, at, "R-18: when");
                assert_eq!(e.meta.reason, reason, "R-18: why");
            }
            assert_eq!(
                desk.summary(case).await,
                CaseSummary::of(&done.state, done.version)
            );
            done
        }
    };
    for (actor, command) in steps {
        n += 1;
        last = Some(step(actor, command, n).await);
    }
    let active = last.clone().expect("steps ran").state;
    assert_eq!(active.stage(), StageName::Active);
    assert_eq!(
        active.file().current_risk(),
        Some(RiskLevel::High),
        "override kept"
    );

    let notify = owed_of(&active, OwedActionKind::NotifySafeguardingUnit);
    let duty = owed_of(&active, OwedActionKind::ReferToDutySocialWork);
    let outcome = owed_of(&active, OwedActionKind::CommunicateOutcome);
    let sent_at = desk.now();
    let later: Vec<(Actor, CaseCommand)> = vec![
        (
            worker.clone(),
            CaseCommand::MarkActionSent {
                action: notify,
                reference: fixtures::text("FICT-ISU-0042"),
                sent_at,
            },
        ),
        (
            worker.clone(),
            CaseCommand::AcknowledgeAction {
                action: notify,
                acknowledged_at: sent_at,
            },
        ),
        (
            worker.clone(),
            CaseCommand::MarkActionSent {
                action: duty,
                reference: fixtures::text("FICT-DUTY-0007"),
                sent_at,
            },
        ),
        (
            worker.clone(),
            CaseCommand::Pause {
                reason: PauseReason::Missing,
            },
        ),
        (worker.clone(), CaseCommand::Resume),
        (
            worker.clone(),
            CaseCommand::RecordReview {
                indicators: keys(LOW),
                worker_override: None,
                decision: ReviewDecision::ProposeClosure,
            },
        ),
        (worker.clone(), CaseCommand::ProposeClosure),
        (
            worker.clone(),
            CaseCommand::RecordAgreement {
                party: Party::YoungPerson,
            },
        ),
        (
            worker.clone(),
            CaseCommand::RecordAgreement {
                party: Party::Professional(teacher.id),
            },
        ),
        (manager.clone(), CaseCommand::CompleteClosure),
        (
            worker.clone(),
            CaseCommand::ExplainAction {
                action: outcome,
                explanation: fixtures::text("Self-referral: she was told the outcome in person"),
            },
        ),
    ];
    for (actor, command) in later {
        n += 1;
        last = Some(step(actor, command, n).await);
    }
    let closed = last.expect("steps ran").state;
    match &closed {
        Case::Closed(c) => assert!(c.reason().is_risk_significantly_reduced()),
        other => panic!("the story ends closed, got {}", other.stage()),
    }

    // a closed case is never edited; the refusal writes nothing.
    let events = desk.load(case).await;
    let row = desk.summary(case).await;
    let refused = desk
        .refused(
            &worker,
            case,
            CaseCommand::RecordProfessional {
                professional: fixtures::social_worker(),
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            CommandError::Rejected(DomainError::CaseClosed { .. })
        ),
        "R-17: got {refused:?}"
    );
    assert_eq!(desk.load(case).await, events);
    assert_eq!(desk.summary(case).await, row);
}
