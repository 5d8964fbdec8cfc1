//! every change is attributed (who, when, why) and kept; the state of any case at any
//! past moment can be reconstructed ("what was known on date X").

use casework::case::{Case, CaseCommand, ClosureReason, ReviewDecision, StageName};
use casework::kernel::actor::Actor;
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::CaseId;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::risk::RiskLevel;
use casework::{Casework, CommandError};
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use casework_testkit::stored::{stored, stored_history};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::Arc;

fn assess(indicators: &[&str]) -> CaseCommand {
    CaseCommand::AssessRisk {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
    }
}

struct Service {
    casework: Casework<MemoryStore>,
    clock: Arc<ManualClock>,
}

impl Service {
    fn new() -> Self {
        let clock = Arc::new(fixtures::clock());
        Self {
            casework: Casework::new(MemoryStore::new(), city_girls_service())
                .with_clock(clock.clone() as Arc<dyn Clock>),
            clock,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn referral(&self, by: &Actor) -> CaseId {
        let person = self
            .casework
            .register_young_person(by, girl_in_leeds_area())
            .await
            .unwrap();
        self.casework
            .receive_referral(by, person, self_referral(self.now()))
            .await
            .unwrap()
    }

    async fn as_of(&self, case: CaseId, at: DateTime<Utc>) -> Option<Case> {
        self.casework.case_as_of(case, at).await.unwrap()
    }
}

#[tokio::test]
async fn r18_case_as_of_before_and_after_a_change() {
    let s = Service::new();
    let worker = fixtures::worker();
    let case = s.referral(&worker).await;
    let referred = s.now();
    s.clock.advance(Duration::days(1));
    let screened = s.now();
    s.casework
        .execute(&worker, case, CaseCommand::Screen)
        .await
        .unwrap();
    s.clock.advance(Duration::days(1));

    assert!(s
        .as_of(case, referred - Duration::seconds(1))
        .await
        .is_none());
    let at_referral = s.as_of(case, referred).await.unwrap();
    assert_eq!(at_referral.stage(), StageName::Received);
    let just_before = s.as_of(case, screened - Duration::microseconds(1)).await;
    assert_eq!(just_before.unwrap().stage(), StageName::Received);
    let at_change = s.as_of(case, screened).await.unwrap();
    assert_eq!(at_change.stage(), StageName::Screened);
    assert!(at_change.file().screening.is_some());
    assert_eq!(
        stored(&at_change),
        stored(&s.casework.case(case).await.unwrap())
    );
    // Asking again later does not change the past.
    assert_eq!(
        stored(&s.as_of(case, referred).await.unwrap()),
        stored(&at_referral)
    );
}

#[tokio::test]
async fn r18_what_was_known_on_date_x_survives_later_reassessment() {
    let s = Service::new();
    let worker = fixtures::worker();
    let case = s.referral(&worker).await;
    for command in [
        CaseCommand::Screen,
        assess(&["missing_from_home"]),
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: worker.id,
            worker_name: text(&worker.name),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ] {
        s.casework.execute(&worker, case, command).await.unwrap();
    }
    let date_x = s.now();
    s.clock.advance(Duration::weeks(6));
    s.casework
        .execute(
            &worker,
            case,
            CaseCommand::RecordReview {
                indicators: vec!["disclosure".into()],
                worker_override: None,
                decision: ReviewDecision::ChangePlan,
            },
        )
        .await
        .unwrap();
    let then = s.as_of(case, date_x).await.unwrap();
    let now = s.casework.case(case).await.unwrap();
    assert_eq!(then.file().current_risk(), Some(RiskLevel::Low));
    assert_eq!(now.file().current_risk(), Some(RiskLevel::High));
    assert_eq!(then.file().reviews.len(), 0);
    // Every assessment is kept: the past one is still in the present file.
    assert_eq!(now.file().assessments.len(), 2);
    assert_eq!(
        stored(&now.file().assessments[0]),
        stored(&then.file().assessments[0])
    );
}

#[tokio::test]
async fn r18_every_event_is_attributed_to_who_did_it_when_and_why() {
    let s = Service::new();
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let case = s.referral(&worker).await;
    // (actor, command, stated reason) in order; the clock moves an hour between commands.
    let steps: Vec<(&Actor, CaseCommand, Option<&str>)> = vec![
        (&worker, CaseCommand::Screen, None),
        (&worker, assess(&[]), None),
        (&manager, CaseCommand::AcceptForSupport, None),
        (
            &manager,
            CaseCommand::Allocate {
                worker: worker.id,
                worker_name: text(&worker.name),
                out_of_order_reason: None,
            },
            None,
        ),
        (
            &worker,
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(text("Weekly sessions")),
            },
            None,
        ),
        (&worker, CaseCommand::BeginWork, None),
        (
            &manager,
            CaseCommand::Close {
                reason: ClosureReason::Transferred {
                    to: text("Fictional Leaving Care Team"),
                },
            },
            Some("transferred to Fictional Leaving Care Team"),
        ),
    ];
    let mut expected = Vec::new();
    let opened = s.casework.history(case).await.unwrap();
    for e in &opened {
        expected.push((
            worker.clone(),
            start(),
            None::<String>,
            e.event.event_type(),
        ));
    }
    for (actor, command, reason) in steps {
        s.clock.advance(Duration::hours(1));
        let done = s.casework.execute(actor, case, command).await.unwrap();
        for event in &done.events {
            expected.push((
                actor.clone(),
                s.now(),
                reason.map(str::to_owned),
                event.event_type(),
            ));
        }
    }
    let history = s.casework.history(case).await.unwrap();
    let actual: Vec<_> = history
        .iter()
        .map(|e| {
            (
                e.meta.actor.clone(),
                e.meta.recorded_at,
                e.meta.reason.clone(),
                e.event.event_type(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    // Versions 1, 2, 3… without gaps; positions increase; every event has its own id.
    let versions: Vec<_> = history.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=history.len() as u64).collect::<Vec<_>>());
    assert!(history.windows(2).all(|w| w[0].position < w[1].position));
    let ids: HashSet<_> = history.iter().map(|e| e.meta.event_id).collect();
    assert_eq!(ids.len(), history.len());
}

#[tokio::test]
async fn r18_the_state_is_the_fold_of_the_kept_history() {
    let s = Service::new();
    let worker = fixtures::worker();
    let case = s.referral(&worker).await;
    for command in [
        CaseCommand::Screen,
        assess(&["disclosure"]),
        CaseCommand::AddToWaitingList,
    ] {
        s.clock.advance(Duration::minutes(30));
        s.casework.execute(&worker, case, command).await.unwrap();
    }
    let history = s.casework.history(case).await.unwrap();
    let folded = casework::case::fold(&history).unwrap().unwrap();
    assert_eq!(
        stored(&folded),
        stored(&s.casework.case(case).await.unwrap())
    );
    // And each prefix of the history is the state as of that event's time.
    for (i, e) in history.iter().enumerate() {
        let prefix = Case::fold(history[..=i].iter().map(|r| &r.event))
            .unwrap()
            .unwrap();
        let as_of = s.as_of(case, e.meta.recorded_at).await.unwrap();
        // Events of one command share a time, so as-of includes the whole command.
        let last_same_time = history
            .iter()
            .rposition(|x| x.meta.recorded_at == e.meta.recorded_at)
            .unwrap();
        if last_same_time == i {
            assert_eq!(stored(&as_of), stored(&prefix), "as of event {}", e.version);
        }
    }
}

#[tokio::test]
async fn r18_a_refused_command_leaves_no_trace() {
    let s = Service::new();
    let worker = fixtures::worker();
    let case = s.referral(&worker).await;
    let before = s.casework.history(case).await.unwrap();
    let refused = s
        .casework
        .execute(&worker, case, CaseCommand::AcceptForSupport)
        .await;
    assert!(
        matches!(refused, Err(CommandError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(
        stored_history(&s.casework.history(case).await.unwrap()),
        stored_history(&before)
    );
}

#[test]
fn r18_in_the_pure_domain_every_prefix_of_the_history_folds_to_a_past_state() {
    let s = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(vec![
            CaseCommand::Screen,
            assess(&[]),
            CaseCommand::AcceptForSupport,
        ]);
    let stages: Vec<_> = (1..=s.history().len())
        .map(|n| Case::fold(&s.history()[..n]).unwrap().unwrap().stage())
        .collect();
    let mut distinct = stages.clone();
    distinct.dedup();
    assert_eq!(
        distinct,
        [
            StageName::Received,
            StageName::Screened,
            StageName::Assessed,
            StageName::AwaitingAllocation
        ]
    );
    assert_eq!(
        stored(&Case::fold(s.history()).unwrap()),
        stored(&Some(s.case())),
        "the fold of the whole history is the current state"
    );
}
