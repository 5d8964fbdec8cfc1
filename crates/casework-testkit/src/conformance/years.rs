//! The years kept (`casework_core::kernel::input::YEARS`, 1900 to 9999): what the domain
//! accepts at the edges of the range comes back from every store exactly as given, in the
//! events, the case's row and the queries, and one microsecond outside either edge is refused
//! by the domain, naming the field, before any store sees it (R-18: every store keeps what it
//! is given, alike).

use super::support::{keys, ok, Desk, LOW};
use crate::fixtures;
use casework_core::case::{CaseCommand, CaseEvent, SessionPlace};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::error::DomainError;
use casework_core::store::Store;
use casework_service::CommandError;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn refused_field<T: std::fmt::Debug>(result: Result<T, CommandError>) -> String {
    match result {
        Err(CommandError::Rejected(DomainError::Input(e))) => e.field,
        other => panic!("expected the domain to refuse the year, got {other:?}"),
    }
}

/// A referral received at the first microsecond of 1900 and a session planned for the last
/// microsecond of 9999 round-trip exactly; a microsecond earlier or later is refused.
pub async fn years_at_the_edges_round_trip<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let micro = Duration::microseconds(1);
    let first: DateTime<Utc> = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap();
    let last: DateTime<Utc> =
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(999_999);
    let person = desk.person("Edie Example").await;

    assert_eq!(
        refused_field(
            desk.cw
                .receive_referral(&desk.worker, person, fixtures::self_referral(first - micro))
                .await
        ),
        "received_at",
        "a referral received in 1899 is refused by the domain"
    );
    let case = desk.refer(person, first).await;
    desk.run(case, CaseCommand::Screen).await;
    desk.run(
        case,
        CaseCommand::AssessRisk {
            indicators: keys(LOW),
            worker_override: None,
        },
    )
    .await;
    desk.run(case, CaseCommand::AcceptForSupport).await;
    desk.run(case, desk.allocate_to_worker()).await;
    desk.run(
        case,
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(fixtures::text("Weekly sessions at the youth club")),
        },
    )
    .await;
    desk.run(case, CaseCommand::BeginWork).await;
    let plan = |planned_for| CaseCommand::PlanSession {
        planned_for,
        place: SessionPlace::YouthClub,
        place_chosen_by_young_person: true,
        topics: vec![],
    };
    assert_eq!(
        refused_field(
            desk.try_run_as(&desk.worker, case, plan(last + micro))
                .await
        ),
        "planned_for",
        "a session planned for the year 10000 is refused by the domain"
    );
    desk.run(case, plan(last)).await;

    // As the store gives it back: the case, its history, its row and the queries.
    let state = ok(desk.cw.case(case).await, "load the case");
    assert_eq!(state.file().received_at, first, "received_at round-trips");
    assert_eq!(
        state.file().activity.sessions[0].planned_for,
        last,
        "planned_for round-trips to the microsecond"
    );
    let history = ok(desk.cw.history(case).await, "history");
    assert!(history.iter().any(
        |e| matches!(&e.event, CaseEvent::ReferralReceived { received_at, .. } if *received_at == first)
    ));
    assert!(history.iter().any(
        |e| matches!(&e.event, CaseEvent::SessionPlanned { planned_for, .. } if *planned_for == last)
    ));
    assert_eq!(
        desk.summary(case).await.received_at,
        first,
        "the row's received_at"
    );
    let cases = ok(desk.store().cases_of(person).await, "cases_of");
    assert_eq!(
        cases.iter().map(|c| c.received_at).collect::<Vec<_>>(),
        [first]
    );
    let outstanding = ok(
        desk.store().outstanding_actions().await,
        "outstanding_actions",
    );
    assert!(
        outstanding
            .iter()
            .any(|a| a.case_id == case && a.due_at == first + Duration::hours(24)),
        "the safeguarding notification due a day after a 1900 referral: {outstanding:?}"
    );
    // A query at the last microsecond of 9999 is a time every store compares.
    assert!(ok(desk.cw.case_as_of(case, last).await, "case_as_of").is_some());
}
