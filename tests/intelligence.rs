//! intelligence about possible perpetrators can be recorded and passed to police
//! (non-urgent channel, or an immediate call where there is immediate risk), kept apart from
//! the young person's confidential record and linked to it only by id.

use casework::case::CaseCommand;
use casework::intelligence::{
    Intelligence, IntelligenceCommand, IntelligenceDetails, IntelligenceEvent, IntelligenceLink,
    NewIntelligence, PoliceChannel, Urgency,
};
use casework::kernel::actor::Actor;
use casework::kernel::confidential::{for_storage, NewConfidential};
use casework::kernel::context::CommandContext;
use casework::kernel::error::DomainError;
use casework::kernel::ids::IntelligenceId;
use casework::kernel::ids::StreamId;
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::ServiceProfile;
use casework::store::EventLoad;
use casework::{Casework, CommandError};
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use casework_testkit::stored::stored;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

const REPORT: &str = "A silver hatchback collects girls from the park on Fridays";

struct Desk {
    profile: ServiceProfile,
    actor: Actor,
}

impl Desk {
    fn new() -> Self {
        Desk {
            profile: city_girls_service(),
            actor: fixtures::worker(),
        }
    }

    fn ctx(&self, at: DateTime<Utc>) -> CommandContext<'_> {
        CommandContext::new(&self.actor, at, &self.profile)
    }

    fn record(&self, urgency: Urgency, links: Vec<IntelligenceLink>) -> Intelligence {
        let event = Intelligence::record(
            IntelligenceId::new(),
            NewIntelligence {
                report: NewConfidential::new(text(REPORT)),
                urgency,
                links,
                learnt_at: start(),
            },
            &self.ctx(start() + Duration::minutes(10)),
        )
        .unwrap();
        Intelligence::evolve(None, &event).unwrap()
    }

    fn pass(
        &self,
        report: &Intelligence,
        channel: PoliceChannel,
        passed_at: DateTime<Utc>,
    ) -> Result<Intelligence, DomainError> {
        let events = report.decide(
            IntelligenceCommand::PassToPolice {
                channel,
                reference: text("POL-0001 (fictional)"),
                passed_at,
            },
            &self.ctx(start() + Duration::hours(1)),
        )?;
        let mut state = report.clone();
        for e in &events {
            state = Intelligence::evolve(Some(state), e).unwrap();
        }
        Ok(state)
    }
}

#[test]
fn r19_non_urgent_intelligence_is_passed_through_the_non_urgent_channel_with_a_reference() {
    let desk = Desk::new();
    let report = desk.record(Urgency::NonUrgent, vec![]);
    assert!(report.awaiting_police());
    let passed = desk
        .pass(
            &report,
            PoliceChannel::NonUrgent,
            start() + Duration::minutes(30),
        )
        .unwrap();
    assert!(!passed.awaiting_police());
    assert_eq!(passed.handovers[0].reference, text("POL-0001 (fictional)"));
}

#[test]
fn r19_immediate_risk_goes_first_by_an_immediate_call() {
    let desk = Desk::new();
    let report = desk.record(Urgency::ImmediateRisk, vec![]);
    match desk.pass(
        &report,
        PoliceChannel::NonUrgent,
        start() + Duration::minutes(30),
    ) {
        Err(e) => {
            assert_eq!(e.rule(), Some(Rule::R19));
            assert!(e.to_string().contains("R-19"), "{e}");
        }
        Ok(_) => panic!("an immediate risk sent by the non-urgent channel should be refused"),
    }
    let called = desk
        .pass(
            &report,
            PoliceChannel::ImmediateCall,
            start() + Duration::minutes(11),
        )
        .unwrap();
    assert!(!called.awaiting_police());
    // Follow-ups may use either channel.
    let followed_up = desk
        .pass(
            &called,
            PoliceChannel::NonUrgent,
            start() + Duration::minutes(40),
        )
        .unwrap();
    assert_eq!(followed_up.handovers.len(), 2);
}

#[test]
fn bad_times_are_refused_naming_the_field() {
    let desk = Desk::new();
    let report = desk.record(Urgency::NonUrgent, vec![]);
    let field = |r: Result<Intelligence, DomainError>| match r {
        Err(DomainError::Input(e)) => e.field,
        other => panic!("expected bad input, got {other:?}"),
    };
    assert_eq!(
        field(desk.pass(
            &report,
            PoliceChannel::NonUrgent,
            start() - Duration::minutes(1)
        )),
        "passed_at"
    );
    assert_eq!(
        field(desk.pass(
            &report,
            PoliceChannel::NonUrgent,
            start() + Duration::hours(2)
        )),
        "passed_at"
    );
    let future = Intelligence::record(
        IntelligenceId::new(),
        NewIntelligence {
            report: NewConfidential::new(text(REPORT)),
            urgency: Urgency::NonUrgent,
            links: vec![],
            learnt_at: start() + Duration::days(1),
        },
        &desk.ctx(start()),
    );
    match future {
        Err(DomainError::Input(e)) => assert_eq!(e.field, "learnt_at"),
        other => panic!("expected learnt_at refused, got {other:?}"),
    }
}

#[test]
fn r19_intelligence_is_kept_apart_from_the_case_and_linked_only_by_id() {
    let desk = Desk::new();
    let case = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(vec![CaseCommand::Screen]);
    let case_id = case.case_id();
    let report = desk.record(
        Urgency::NonUrgent,
        vec![
            IntelligenceLink::Case(case_id),
            IntelligenceLink::YoungPerson(case.young_person_id()),
        ],
    );
    // The report refers to the case by id ...
    assert_eq!(report.links[0], IntelligenceLink::Case(case_id));
    // ... and the case's record holds nothing of the report.
    let case_json = for_storage(|| serde_json::to_string(case.case())).unwrap();
    assert!(!case_json.contains("hatchback"));
    assert!(!case_json.contains(&report.id.as_uuid().to_string()));
    // The report's content is confidential.
    assert_eq!(format!("{:?}", report.report), "[confidential]");
    assert!(!format!("{report:?}").contains("hatchback"));
    // Its stored form decodes back, and the fold agrees.
    let recorded = IntelligenceEvent::Recorded {
        intelligence: report.id,
        details: IntelligenceDetails {
            report: report.report.clone(),
            urgency: report.urgency,
            links: report.links.clone(),
            learnt_at: report.learnt_at,
        },
        at: report.recorded_at,
    };
    let json = for_storage(|| serde_json::to_string(&recorded)).unwrap();
    let back: IntelligenceEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(
        stored(&Intelligence::fold([&back]).unwrap()),
        stored(&Some(report))
    );
}

// ---------------------------------------------------------------------------------------------
// Stored on its own stream.

#[tokio::test]
async fn r19_a_report_is_stored_on_its_own_stream_and_the_case_stream_holds_nothing_of_it() {
    let clock = Arc::new(fixtures::clock());
    let cw = Casework::new(MemoryStore::new(), city_girls_service()).with_clock(clock.clone());
    let worker = fixtures::worker();
    let yp = cw
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    let case = cw
        .receive_referral(&worker, yp, self_referral(start()))
        .await
        .unwrap();
    let case_events = cw.history(case).await.unwrap().len();
    clock.advance(Duration::minutes(10));
    let id = cw
        .record_intelligence(
            &worker,
            NewIntelligence {
                report: NewConfidential::new(text(REPORT)),
                urgency: Urgency::ImmediateRisk,
                links: vec![
                    IntelligenceLink::Case(case),
                    IntelligenceLink::YoungPerson(yp),
                ],
                learnt_at: start(),
            },
        )
        .await
        .unwrap();
    // an immediate risk goes first by an immediate call; nothing is written otherwise.
    let pass = |channel, reference: &str| IntelligenceCommand::PassToPolice {
        channel,
        reference: text(reference),
        passed_at: start() + Duration::minutes(10),
    };
    match cw
        .execute_intelligence(&worker, id, pass(PoliceChannel::NonUrgent, "EMAIL-1"))
        .await
    {
        Err(CommandError::Rejected(e)) => assert_eq!(e.rule(), Some(Rule::R19), "{e}"),
        other => panic!("expected a refusal under R-19, got {other:?}"),
    }
    assert_eq!(cw.intelligence_history(id).await.unwrap().len(), 1);
    let passed = cw
        .execute_intelligence(&worker, id, pass(PoliceChannel::ImmediateCall, "CALL-1"))
        .await
        .unwrap();
    assert_eq!(passed.version, 2);
    assert!(!passed.state.awaiting_police());
    assert_eq!(
        stored(&cw.intelligence(id).await.unwrap()),
        stored(&passed.state)
    );
    // Linked to the case by id only; the case's stream is untouched and holds no trace of it.
    assert_eq!(
        passed.state.links,
        vec![
            IntelligenceLink::Case(case),
            IntelligenceLink::YoungPerson(yp)
        ]
    );
    let history = cw.history(case).await.unwrap();
    assert_eq!(history.len(), case_events);
    let stored = EventLoad::load(casework::bypass::raw_store(&cw), StreamId::Case(case))
        .await
        .unwrap();
    assert!(stored.iter().all(
        |e| !e.payload.contains("hatchback") && !e.payload.contains(&id.as_uuid().to_string())
    ));
    let own = EventLoad::load(casework::bypass::raw_store(&cw), StreamId::Intelligence(id))
        .await
        .unwrap();
    assert_eq!(own.len(), 2);
    assert!(
        own[0].payload.contains("hatchback"),
        "the report keeps its content"
    );
    assert!(own.iter().all(|e| e.meta.actor == worker), "R-18");
}
