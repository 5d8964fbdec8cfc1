//! Checks of the service's queries over a store: a case as it was at a time, the waiting
//! list, outstanding actions, a young person's cases and overdue reviews
//!

use super::support::{hours, ids, keys, ok, owed_of, Desk, HIGH, LOW, MEDIUM};
use crate::fixtures;
use crate::stored::stored;
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{CaseCommand, ClosureReason, PauseReason, ReviewDecision, StageName};
use casework_core::kernel::error::DomainError;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::policy::risk::RiskLevel;
use casework_core::read::rows::waiting_list_order;
use casework_core::store::Store;
use casework_service::{CommandError, LoadError};
use chrono::{DateTime, Duration, Utc};

/// R-18 ("what was known on date X"): `case_as_of` before the referral is `None`; between two
/// changes it shows the earlier state, from the instant of a change the later one, to the
/// microsecond; after the last change it is the case as it is now.
pub async fn case_as_of_reconstructs_the_past<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t0 = fixtures::start() + Duration::microseconds(17);
    desk.set(t0);
    let person = desk.person("Fay Example").await;
    let case = desk.refer(person, t0).await;
    let t1 = t0 + hours(1) + Duration::microseconds(250);
    desk.set(t1);
    let screened = desk.run(case, CaseCommand::Screen).await;
    let t2 = t1 + Duration::days(1);
    desk.set(t2);
    let assessed = desk
        .run(
            case,
            CaseCommand::AssessRisk {
                indicators: keys(MEDIUM),
                worker_override: None,
            },
        )
        .await;
    let t3 = t2 + hours(3);
    desk.set(t3);
    let accepted = desk.run(case, CaseCommand::AcceptForSupport).await;

    let as_of = |at: DateTime<Utc>| desk.cw.case_as_of(case, at);
    let micro = Duration::microseconds(1);
    assert!(
        ok(as_of(t0 - micro).await, "case_as_of").is_none(),
        "R-18: before the referral the case did not exist"
    );
    let received = ok(as_of(t0).await, "case_as_of").expect("the case existed at its referral");
    assert_eq!(received.stage(), StageName::Received);
    assert_eq!(received.file().screening, None);
    assert_eq!(
        ok(as_of(t1 - micro).await, "case_as_of").map(|c| c.stage()),
        Some(StageName::Received),
        "R-18: one microsecond before screening, the case was not yet screened"
    );
    assert_eq!(
        stored(&ok(as_of(t1).await, "case_as_of")),
        stored(&Some(&screened.state)),
        "R-18: at the instant of screening, the screened case"
    );
    assert_eq!(
        stored(&ok(as_of(t2 - micro).await, "case_as_of")),
        stored(&Some(screened.state)),
        "R-18: before the assessment, no risk level was known"
    );
    let at_assessment = ok(as_of(t2).await, "case_as_of");
    assert_eq!(stored(&at_assessment), stored(&Some(assessed.state)));
    assert_eq!(
        at_assessment.and_then(|c| c.file().current_risk()),
        Some(RiskLevel::Medium)
    );
    assert_eq!(
        stored(&ok(as_of(t3 + Duration::days(365)).await, "case_as_of")),
        stored(&Some(&accepted.state))
    );
    assert_eq!(
        stored(&ok(desk.cw.case(case).await, "case")),
        stored(&accepted.state),
        "after the last change, as-of is the case now"
    );
    let unknown = CaseId::new();
    assert_eq!(
        desk.cw.case_as_of(unknown, t3).await.err(),
        Some(LoadError::NotFound(StreamId::Case(unknown))),
        "an unknown case is not found"
    );
}

/// the waiting list holds only waiting-list cases, High before Medium before Low, the
/// earlier referral first within a level and the case id breaking exact ties, whatever order
/// the cases were created in; allocation takes from its head, and a manager may take another
/// case with a reason; allocated cases leave the list.
pub async fn waiting_list_in_r7_order<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t = fixtures::start();
    desk.set(t + Duration::days(1));
    let at = |h: i64| t + hours(h);
    // Created in an order that is neither risk order nor referral order. Five Low cases
    // received at the same instant are ordered by case id: a store that forgets the tie-break
    // passes by luck at most once in 120 runs.
    let mut ties = Vec::new();
    let m2 = desk.on_waiting_list("Gia Example", at(3), MEDIUM).await;
    ties.push(desk.on_waiting_list("Rue Example", at(6), LOW).await);
    let l1 = desk.on_waiting_list("Hana Example", at(0), LOW).await;
    let h2 = desk.on_waiting_list("Ida Example", at(4), HIGH).await;
    ties.push(desk.on_waiting_list("Jo Example", at(6), LOW).await);
    let m1 = desk.on_waiting_list("Kat Example", at(1), MEDIUM).await;
    ties.push(desk.on_waiting_list("Sky Example", at(6), LOW).await);
    let h1 = desk.on_waiting_list("Lia Example", at(2), HIGH).await;
    ties.push(desk.on_waiting_list("Mia Example", at(6), LOW).await);
    let l2 = desk.on_waiting_list("Nia Example", at(5), LOW).await;
    ties.push(desk.on_waiting_list("Tam Example", at(6), LOW).await);
    // Cases not on the waiting list.
    let immediate = desk.assessed("Ola Example", at(0), HIGH).await;
    desk.run(immediate, CaseCommand::AcceptForSupport).await;
    let declined = desk.assessed("Pia Example", at(0), HIGH).await;
    desk.run(
        declined,
        CaseCommand::Decline {
            reason: fixtures::text("Already supported by another fictional service").into(),
        },
    )
    .await;
    desk.assessed("Quin Example", at(0), HIGH).await;

    ties.sort();
    let mut expected = vec![h1, h2, m1, m2, l1, l2];
    expected.extend(&ties);
    let rows = ok(desk.cw.waiting_list().await, "waiting_list");
    assert_eq!(
        ids(&rows),
        expected,
        "R-7: High first, then Medium, then Low; earlier referral first; case id on ties"
    );
    let levels = [
        RiskLevel::High,
        RiskLevel::High,
        RiskLevel::Medium,
        RiskLevel::Medium,
    ]
    .into_iter()
    .chain(std::iter::repeat(RiskLevel::Low));
    for (row, level) in rows.iter().zip(levels) {
        assert_eq!(row.stage, StageName::WaitingList);
        assert_eq!(
            row.risk_level,
            Some(level),
            "the assessed level is on the row"
        );
        assert_eq!(
            row,
            &desk.summary(row.case_id).await,
            "a waiting-list row is the case's row"
        );
    }
    let mut resorted = rows.clone();
    resorted.sort_by(waiting_list_order);
    assert_eq!(
        resorted, rows,
        "the order is the library's waiting_list_order"
    );

    // Allocation takes from the head.
    match desk
        .refused(&desk.worker.clone(), m1, desk.allocate_to_worker())
        .await
    {
        CommandError::Rejected(DomainError::OutOfWaitingListOrder { case, head }) => {
            assert_eq!((case, head), (m1, h1), "R-7: the head is the High case");
        }
        other => panic!("R-7: allocating past the head must be refused, got {other:?}"),
    }
    desk.run(h1, desk.allocate_to_worker()).await;
    let manager = desk.manager.clone();
    let taken = desk
        .run_as(
            &manager,
            l2,
            CaseCommand::Allocate {
                worker: desk.worker.id,
                worker_name: fixtures::text(&desk.worker.name),
                out_of_order_reason: Some(fixtures::text(
                    "Worker already knows the family (fictional)",
                )),
            },
        )
        .await;
    assert_eq!(taken.state.stage(), StageName::Allocated);
    assert_eq!(
        ids(&ok(desk.cw.waiting_list().await, "waiting_list")),
        [vec![h2, m1, m2, l1], ties].concat(),
        "R-7: allocated cases leave the list; the rest keep their order"
    );
}

/// outstanding actions are exactly the owed actions still `owed` across all cases,
/// soonest due first (the action id breaking ties); sending or explaining one removes it, and
/// the case's row keeps it with its new status (owed actions are never deleted).
pub async fn outstanding_actions_soonest_first<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t = fixtures::start();
    desk.set(t + Duration::days(1));
    // A: self-referral at t, High (owes a duty social work referral), waiting list.
    let a = desk.assessed("Rae Example", t, HIGH).await;
    // B: a professional's referral at t+2h, left at Received (owes the notification only).
    let b_person = desk.person("Sol Example").await;
    let b = ok(
        desk.cw
            .receive_referral(
                &desk.worker,
                b_person,
                fixtures::professional_referral(fixtures::social_worker(), t + hours(2)),
            )
            .await,
        "receive a professional's referral",
    );
    // C, D, E: self-referrals at t+1h, Low, accepted at the same instant as A's outcome; F
    // referred at t+1h and left at Received. Four notifications and four outcome messages
    // fall due at equal times, so the action id must break the ties (a store that forgets it
    // passes by luck at most once in 576 runs).
    let c = desk.assessed("Tia Example", t + hours(1), LOW).await;
    let d = desk.assessed("Uli Example", t + hours(1), LOW).await;
    let e = desk.assessed("Val Example", t + hours(1), LOW).await;
    let f_person = desk.person("Wyn Example").await;
    let f = desk.refer(f_person, t + hours(1)).await;
    desk.set(t + Duration::days(1) + hours(2));
    let a_done = desk.run(a, CaseCommand::AddToWaitingList).await;
    let c_done = desk.run(c, CaseCommand::AcceptForSupport).await;
    desk.run(d, CaseCommand::AcceptForSupport).await;
    desk.run(e, CaseCommand::AcceptForSupport).await;
    let cases = [a, b, c, d, e, f];

    let expected = desk.expected_outstanding(&cases).await;
    assert_eq!(
        expected.len(),
        11,
        "fixture: 6 notifications, 1 duty referral, 4 outcomes"
    );
    let got = ok(desk.cw.outstanding_actions().await, "outstanding_actions");
    assert_eq!(
        got, expected,
        "R-5: every owed action, soonest due first, id on ties"
    );

    // Send A's notification: it leaves the list, and stays on the case as sent.
    let notify_a = owed_of(&a_done.state, OwedActionKind::NotifySafeguardingUnit);
    desk.run(
        a,
        CaseCommand::MarkActionSent {
            action: notify_a,
            reference: fixtures::text("FICT-ISU-0001"),
            sent_at: desk.now(),
        },
    )
    .await;
    let got = ok(desk.cw.outstanding_actions().await, "outstanding_actions");
    assert!(
        got.iter().all(|r| r.action_id != notify_a),
        "R-5: a sent action is no longer outstanding"
    );
    assert_eq!(got, desk.expected_outstanding(&cases).await);
    assert_eq!(got.len(), 10);
    let row = desk.summary(a).await;
    assert_eq!(
        row.owed
            .iter()
            .find(|r| r.action_id == notify_a)
            .map(|r| r.status.as_str()),
        Some("sent"),
        "R-5: a discharged action stays on the case with its status"
    );

    // Explain C's outcome message; acknowledge A's notification.
    let outcome_c = owed_of(&c_done.state, OwedActionKind::CommunicateOutcome);
    desk.run(
        c,
        CaseCommand::ExplainAction {
            action: outcome_c,
            explanation: fixtures::text("The young person referred herself and was told in person"),
        },
    )
    .await;
    desk.run(
        a,
        CaseCommand::AcknowledgeAction {
            action: notify_a,
            acknowledged_at: desk.now(),
        },
    )
    .await;
    let got = ok(desk.cw.outstanding_actions().await, "outstanding_actions");
    assert_eq!(got, desk.expected_outstanding(&cases).await);
    assert_eq!(got.len(), 9);
    assert!(got.iter().all(|r| r.status == "owed"));
    assert_eq!(
        desk.summary(c)
            .await
            .owed
            .iter()
            .find(|r| r.action_id == outcome_c)
            .map(|r| r.status.as_str()),
        Some("explained")
    );
    assert_eq!(
        desk.summary(a)
            .await
            .owed
            .iter()
            .find(|r| r.action_id == notify_a)
            .map(|r| r.status.as_str()),
        Some("acknowledged")
    );
}

/// `cases_of` lists a young person's cases, oldest referral first, each re-referral
/// linked to the case before it through `previous_case`; a re-referral while a case is open is
/// refused, naming it; other young people's cases are not listed.
pub async fn cases_of_oldest_first_with_links<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t = fixtures::start();
    desk.set(t);
    let uma = desk.person("Uma Example").await;
    let vic = desk.person("Vic Example").await;
    let vic_case = desk.refer(vic, t).await;

    let first = desk.refer(uma, t).await;
    desk.run(first, CaseCommand::Screen).await;
    desk.run(
        first,
        CaseCommand::AssessRisk {
            indicators: keys(LOW),
            worker_override: None,
        },
    )
    .await;
    desk.run(
        first,
        CaseCommand::Decline {
            reason: fixtures::text("Needs met by a fictional school programme").into(),
        },
    )
    .await;

    desk.set(t + Duration::days(30));
    let second = desk.refer(uma, desk.now()).await;
    match desk
        .cw
        .receive_referral(&desk.worker, uma, fixtures::self_referral(desk.now()))
        .await
    {
        Err(CommandError::Rejected(DomainError::OpenCaseExists { case })) => {
            assert_eq!(case, second, "R-17: the refusal names the open case")
        }
        other => panic!("R-17: a re-referral while a case is open must be refused, got {other:?}"),
    }
    desk.run(
        second,
        CaseCommand::Withdraw {
            reason: fixtures::text("Young person moved in with a relative (fictional)").into(),
        },
    )
    .await;
    desk.set(t + Duration::days(90));
    let third = desk.refer(uma, desk.now()).await;

    let rows = ok(desk.cw.cases_of(uma).await, "cases_of");
    assert_eq!(
        ids(&rows),
        vec![first, second, third],
        "R-17: oldest referral first"
    );
    assert_eq!(
        rows.iter().map(|r| r.previous_case).collect::<Vec<_>>(),
        vec![None, Some(first), Some(second)],
        "R-17: each re-referral links to the case before it"
    );
    assert_eq!(
        rows.iter().map(|r| r.stage).collect::<Vec<_>>(),
        vec![
            StageName::Declined,
            StageName::Withdrawn,
            StageName::Received
        ]
    );
    for row in &rows {
        assert_eq!(row, &desk.summary(row.case_id).await);
        assert_eq!(row.young_person_id, uma);
    }
    assert_eq!(
        ids(&ok(desk.cw.cases_of(vic).await, "cases_of")),
        vec![vic_case]
    );
    assert_eq!(
        ok(desk.cw.cases_of(YoungPersonId::new()).await, "cases_of"),
        vec![],
        "an unknown young person has no cases"
    );
    let third_case = ok(desk.cw.case(third).await, "case");
    assert_eq!(third_case.file().previous_case, Some(second));
}

/// a case whose review due time has passed is overdue; one due exactly at `as_of` is
/// not yet; paused cases count, closed and not-yet-active ones do not; the longest overdue
/// comes first; recording a review moves the due time.
pub async fn overdue_reviews_after_due_time<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let days = |level| Duration::days(i64::from(desk.cw.profile().reviews.days_for(level)));
    let t = fixtures::start() + Duration::days(2);
    desk.set(t - hours(1));
    let a = desk.active("Wren Example", HIGH, t).await;
    let b = desk.active("Xena Example", LOW, t + hours(1)).await;
    let c = desk.active("Yara Example", MEDIUM, t + hours(2)).await;
    desk.set(t + hours(3));
    desk.run(
        c,
        CaseCommand::Pause {
            reason: PauseReason::NoContact,
        },
    )
    .await;
    let d = desk.active("Zoe Example", HIGH, t + hours(3)).await;
    desk.set(t + hours(5));
    desk.run(
        d,
        CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        },
    )
    .await;
    desk.on_waiting_list("Abi Example", t, HIGH).await;

    let due_a = t + days(RiskLevel::High);
    let due_b = t + hours(1) + days(RiskLevel::Low);
    let due_c = t + hours(2) + days(RiskLevel::Medium);
    assert_eq!(desk.summary(a).await.next_review_due, Some(due_a));
    assert_eq!(desk.summary(b).await.next_review_due, Some(due_b));
    assert_eq!(desk.summary(c).await.next_review_due, Some(due_c));
    assert_eq!(
        desk.summary(d).await.next_review_due,
        None,
        "a closed case has no review due"
    );
    assert!(due_a < due_c && due_c < due_b, "fixture: cadence by level");

    let micro = Duration::microseconds(1);
    let overdue = |as_of: DateTime<Utc>| desk.store().overdue_reviews(as_of);
    assert_eq!(
        ids(&ok(overdue(due_a - micro).await, "overdue_reviews")),
        vec![],
        "R-12: nothing is overdue before the first due time"
    );
    assert_eq!(
        ids(&ok(overdue(due_a).await, "overdue_reviews")),
        vec![],
        "R-12: a review due exactly now is due, not overdue"
    );
    assert_eq!(
        ids(&ok(overdue(due_a + micro).await, "overdue_reviews")),
        vec![a],
        "R-12: one microsecond after its due time, the review is overdue"
    );
    assert_eq!(
        ids(&ok(
            overdue(due_c + Duration::seconds(1)).await,
            "overdue_reviews"
        )),
        vec![a, c],
        "R-12: paused cases count; longest overdue first"
    );
    let all = ok(
        overdue(due_b + Duration::seconds(1)).await,
        "overdue_reviews",
    );
    assert_eq!(
        ids(&all),
        vec![a, c, b],
        "R-12: longest overdue first; closed and waiting cases never"
    );
    for row in &all {
        assert_eq!(row, &desk.summary(row.case_id).await);
    }

    // A review moves A's due time on.
    let reviewed_at = due_a + Duration::days(1);
    desk.set(reviewed_at);
    desk.run(
        a,
        CaseCommand::RecordReview {
            indicators: keys(HIGH),
            worker_override: None,
            decision: ReviewDecision::Continue,
        },
    )
    .await;
    let new_due_a = reviewed_at + days(RiskLevel::High);
    assert_eq!(desk.summary(a).await.next_review_due, Some(new_due_a));
    assert_eq!(
        ids(&ok(overdue(due_a + micro).await, "overdue_reviews")),
        vec![],
        "R-12: after its review, A is no longer overdue at its old due time"
    );
    desk.set(due_b + Duration::days(30));
    assert!(due_c < new_due_a && new_due_a < due_b);
    assert_eq!(
        ids(&ok(desk.cw.overdue_reviews().await, "overdue_reviews")),
        vec![c, a, b],
        "R-12: the service asks the store at the clock's time"
    );
}
