//! Reviews: due on the cadence of the case's programme (or the service's) at the
//! current risk level; a review due today is due, not overdue, and overdue a moment after its
//! due time; reviews due in a window; each case's risk trend across its assessments.

use casework::case::{CaseCommand, ReviewDecision};
use casework::config::shipped;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::CaseId;
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::risk::RiskTrend;
use casework::read::listing::ReviewDueRow;
use casework::read::report::{review_due_within, risk_trend};
use casework::read::rows::{is_review_due_within, is_review_overdue, CaseSummary};
use casework::young_person::YoungPersonDetails;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

fn steps(indicators: &[&str]) -> Vec<CaseCommand> {
    vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: indicators.iter().map(|s| (*s).into()).collect(),
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
    ]
}

fn review(indicators: &[&str]) -> CaseCommand {
    CaseCommand::RecordReview {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
        decision: ReviewDecision::Continue,
    }
}

fn midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at.date_naive().and_hms_opt(0, 0, 0).unwrap())
}

// ---------------------------------------------------------------------------------------------
// The "review due today" boundary.

#[test]
fn r12_a_review_due_today_is_due_not_overdue_and_overdue_a_moment_later() {
    // Low risk in the city service: reviews every 84 days.
    let s = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(steps(&["older_boyfriend"]))
        .given(vec![CaseCommand::BeginWork]);
    let due = start() + Duration::days(84);
    assert_eq!(s.case().file().next_review_due, Some(due));
    let today = midnight(due);
    let tomorrow = today + Duration::days(1);
    assert_eq!(review_due_within(s.case(), today, tomorrow), Some(due));
    // Half-open windows: a window ending at the due time does not hold it; one starting there does.
    assert_eq!(review_due_within(s.case(), today, due), None);
    assert_eq!(review_due_within(s.case(), due, tomorrow), Some(due));
    let row = CaseSummary::of(s.case(), 1);
    assert!(is_review_due_within(&row, today, tomorrow));
    assert!(
        !is_review_overdue(&row, due),
        "due at exactly now is due, not overdue"
    );
    assert!(is_review_overdue(&row, due + Duration::microseconds(1)));
    assert!(!is_review_due_within(
        &row,
        tomorrow,
        tomorrow + Duration::days(1)
    ));
}

// ---------------------------------------------------------------------------------------------
// The programme's cadence.

fn young_woman_in_le() -> YoungPersonDetails {
    YoungPersonDetails {
        date_of_birth: NaiveDate::from_ymd_opt(2008, 9, 1).unwrap(),
        postcode: Postcode::parse("LE1 5AB").unwrap(),
        ..girl_in_leeds_area()
    }
}

#[test]
fn r12_the_programme_sets_the_review_cadence() {
    let team = shipped::profile("young-peoples-team").unwrap();
    let level_days = |p: &casework::policy::profile::ReviewCadence| p.low_days;
    let intensive = team
        .programme("intensive")
        .unwrap()
        .reviews
        .clone()
        .unwrap();
    let base = Scenario::new(team.clone())
        .given_referral(&young_woman_in_le(), self_referral(start()))
        .given(steps(&["older_boyfriend"]));
    assert_eq!(
        base.case().file().current_risk(),
        Some(casework::policy::risk::RiskLevel::Low)
    );
    // Work begun without a programme: the service's cadence.
    let active = base.clone().given(vec![CaseCommand::BeginWork]);
    let service_due = start() + Duration::days(i64::from(level_days(&team.reviews)));
    assert_eq!(active.case().file().next_review_due, Some(service_due));
    // Put on the intensive programme a day later: the next review is due on its cadence,
    // counted from when work began.
    let on_intensive = active
        .later(Duration::days(1))
        .when(CaseCommand::AssignProgramme {
            programme: "intensive".into(),
        })
        .then_events(|events| {
            assert!(events[0].describe().contains("intensive"));
        })
        .and();
    let programme_due = start() + Duration::days(i64::from(level_days(&intensive)));
    assert_eq!(
        on_intensive.case().file().next_review_due,
        Some(programme_due)
    );
    // A review then sets the next on the programme's cadence.
    let reviewed = on_intensive
        .later(Duration::days(9))
        .given(vec![review(&["older_boyfriend"])]);
    assert_eq!(
        reviewed.case().file().next_review_due,
        Some(reviewed.now() + Duration::days(i64::from(level_days(&intensive))))
    );
    // Put on it before work begins: the first review is on the programme's cadence.
    let first = base
        .given(vec![CaseCommand::AssignProgramme {
            programme: "intensive".into(),
        }])
        .given(vec![CaseCommand::BeginWork]);
    assert_eq!(first.case().file().next_review_due, Some(programme_due));
}

// ---------------------------------------------------------------------------------------------
// Through the facade: reviews due in a window, and each case's risk trend.

/// A case on `desk` whose work begins at `begin`.
async fn case_begun_at(desk: &Desk<MemoryStore>, begin: DateTime<Utc>) -> CaseId {
    desk.set(start());
    let yp = desk.register(girl_in_leeds_area()).await;
    let case = desk
        .engaged_with(yp, &["older_boyfriend"], &desk.worker)
        .await;
    desk.set(begin);
    desk.run(case, CaseCommand::BeginWork).await;
    case
}

#[tokio::test]
async fn r12_reviews_due_in_a_window_soonest_first() {
    let desk = Desk::new(MemoryStore::new());
    let a = case_begun_at(&desk, start()).await;
    let b = case_begun_at(&desk, start() + Duration::days(1)).await;
    let c = case_begun_at(&desk, start() + Duration::days(10)).await;
    let day_84 = start() + Duration::days(84);
    let ids = |rows: Vec<ReviewDueRow>| rows.into_iter().map(|r| r.case_id).collect::<Vec<_>>();
    let overdue_ids =
        |rows: Vec<CaseSummary>| rows.into_iter().map(|r| r.case_id).collect::<Vec<_>>();
    let both = desk
        .cw
        .reviews_due(day_84, day_84 + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(ids(both), vec![a, b]);
    let second_day = desk
        .cw
        .reviews_due(day_84 + Duration::days(1), day_84 + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(ids(second_day), vec![b]);
    // Today: midnight to midnight holds the review due at 09:00.
    let today = midnight(day_84);
    let due_today = desk
        .cw
        .reviews_due(today, today + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(ids(due_today), vec![a]);
    let later = desk
        .cw
        .reviews_due(day_84 + Duration::days(2), day_84 + Duration::days(30))
        .await
        .unwrap();
    assert_eq!(ids(later), vec![c]);
    // At the due time the review is due, not overdue; a moment later it is.
    desk.clock.set(day_84);
    assert!(desk.cw.overdue_reviews().await.unwrap().is_empty());
    desk.clock.set(day_84 + Duration::seconds(1));
    assert_eq!(
        overdue_ids(desk.cw.overdue_reviews().await.unwrap()),
        vec![a]
    );
}

#[tokio::test]
async fn each_case_has_a_risk_trend_across_its_assessments() {
    let desk = Desk::new(MemoryStore::new());
    let case = case_begun_at(&desk, start()).await;
    assert_eq!(desk.cw.risk_trend(case).await.unwrap(), RiskTrend::Stable);
    let mut expected = Vec::new();
    for (indicators, trend) in [
        (vec!["taken_to_parties"], RiskTrend::Rising),
        (vec![], RiskTrend::Reducing),
        (vec![], RiskTrend::Stable),
    ] {
        desk.clock.advance(Duration::days(7));
        let done = desk
            .cw
            .execute(&desk.worker, case, review(&indicators))
            .await
            .unwrap();
        assert_eq!(risk_trend(&done.state), trend);
        assert_eq!(desk.cw.risk_trend(case).await.unwrap(), trend);
        expected.push(trend);
    }
    assert_eq!(expected.len(), 3);
}
