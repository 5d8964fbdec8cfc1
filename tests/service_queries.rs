//! Service-wide queries, each answered by one indexed read of the listings every stream writes
//! with its events: reviews due, cases past their expected length, cadence across
//! open cases, caseloads, referrals out by status, finished cases for
//! retention, return interviews due and overdue and flagged young people, alumni
//! members, intelligence awaiting the police, and workshop reach and evaluation
//! results. Boundaries: a review due today (windows from inclusive, to exclusive); a case
//! exactly at its expected length; a return interview exactly 72 hours after the return, and a
//! microsecond later; a third missing episode on day 30 against day 31; a workshop outside the
//! period. Each test runs on the memory store and on SQLite.

#[macro_use]
mod support;

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::{
    Cadence, CadenceBasis, CaseCommand, ClosureReason, ContactKind, ContactWith, Direction,
    PartnerKind, PartnerReferralUpdate, ReviewDecision, SessionPlace, StageName,
};
use casework::config::shipped;
use casework::intelligence::{
    IntelligenceCommand, IntelligenceLink, NewIntelligence, PoliceChannel, Urgency,
};
use casework::kernel::actor::Actor;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::StaffId;
use casework::kernel::input::Postcode;
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::ServiceProfile;
use casework::policy::programme::Span;
use casework::policy::topic::SessionTopic;
use casework::read::listing::{PartnerReferralState, ReturnInterviewRow};
use casework::read::report::CadenceStatus;
use casework::read::rows::{ListingKind, ListingQuery};
use casework::sqlite::SqliteStore;
use casework::store::CaseQueries;
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, WorkshopCommand,
};
use casework::young_person::alumni::AlumniBasis;
use casework::young_person::missing::ReturnInterviewOutcome;
use casework::young_person::{YoungPersonCommand, YoungPersonDetails};
use casework::CommandError;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{girl_in_leeds_area, start, text};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

fn team() -> ServiceProfile {
    shipped::profile("young-peoples-team").unwrap()
}

fn young_woman_in_le() -> YoungPersonDetails {
    YoungPersonDetails {
        date_of_birth: NaiveDate::from_ymd_opt(2008, 9, 1).unwrap(),
        postcode: Postcode::parse("LE1 5AB").unwrap(),
        ..girl_in_leeds_area()
    }
}

fn midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at.date_naive().and_hms_opt(0, 0, 0).unwrap())
}

fn day(d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, hour, 0, 0).unwrap()
}

fn micro() -> Duration {
    Duration::microseconds(1)
}

fn review(indicators: &[&str]) -> CaseCommand {
    CaseCommand::RecordReview {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
        decision: ReviewDecision::Continue,
    }
}

fn sharing_with(agency: &str, decision: ConsentDecision) -> CaseCommand {
    CaseCommand::RecordConsent {
        entry: ConsentEntry {
            scope: ConsentScope::SharingWithAgency {
                agency: text(agency),
            },
            decision,
            by: ConsentGiver::YoungPerson,
            method: ConsentMethod::InPerson,
            purpose: text("to refer her on for support"),
            given_at: start(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// reviews due in a window.

on_every_store!(
    r12_a_review_due_today_is_in_todays_window_and_a_review_held_moves_it,
    city_girls_service(),
    |desk| {
        // Given a case at Low risk, begun at 09:00 on 2 March: reviews every 84 days.
        let (_, case) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        let due = start() + Duration::days(84);
        let today = midnight(due);
        let tomorrow = today + Duration::days(1);
        // Then it is due today: midnight to midnight holds it.
        let rows = desk.cw.reviews_due(today, tomorrow).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].case_id, rows[0].due_at), (case, due));
        assert!(
            !rows[0].is_overdue(due),
            "due at exactly now is due, not overdue"
        );
        assert!(rows[0].is_overdue(due + micro()));
        // Windows are half-open: `from` is in, `to` is not.
        assert!(desk.cw.reviews_due(today, due).await.unwrap().is_empty());
        assert_eq!(
            desk.cw.reviews_due(due, due + micro()).await.unwrap().len(),
            1
        );
        assert!(desk
            .cw
            .reviews_due(tomorrow, tomorrow + Duration::days(1))
            .await
            .unwrap()
            .is_empty());
        // When a review is held a week early, the listing moves to the next due date.
        desk.clock.set(due - Duration::days(7));
        desk.run(case, review(&["older_boyfriend"])).await;
        let next = due - Duration::days(7) + Duration::days(84);
        assert!(desk
            .cw
            .reviews_due(today, tomorrow)
            .await
            .unwrap()
            .is_empty());
        let moved = desk
            .cw
            .reviews_due(midnight(next), midnight(next) + Duration::days(1))
            .await
            .unwrap();
        assert_eq!((moved[0].case_id, moved[0].due_at), (case, next));
        // And when the case closes, it is due no more.
        desk.run(
            case,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await;
        assert!(desk
            .cw
            .reviews_due(start(), next + Duration::days(1))
            .await
            .unwrap()
            .is_empty());
    }
);

// ---------------------------------------------------------------------------------------------
// cases past their expected length, shown and never enforced.

on_every_store!(
    r14_a_case_exactly_at_its_expected_length_is_not_past_it_and_a_moment_later_is,
    team(),
    |desk| {
        // Given short-term casework (8-10 weeks) begun at 09:00 on 2 March.
        let (_, case) = desk
            .person_at_work(young_woman_in_le(), &["older_boyfriend"])
            .await;
        desk.run(
            case,
            CaseCommand::AssignProgramme {
                programme: "short_term".into(),
            },
        )
        .await;
        let end = start() + Duration::weeks(10);
        // Exactly at ten weeks it is not past its expected length.
        assert!(desk
            .cw
            .cases_past_expected_length(end)
            .await
            .unwrap()
            .is_empty());
        // A microsecond later it is, and the query agrees with the case's own status.
        let past = desk
            .cw
            .cases_past_expected_length(end + micro())
            .await
            .unwrap();
        assert_eq!(past.len(), 1);
        assert_eq!(
            (past[0].case, past[0].weeks, past[0].past_expected),
            (case, 10, true)
        );
        assert_eq!(past[0].expected_weeks, Span { min: 8, max: 10 });
        desk.clock.set(end + micro());
        assert_eq!(
            desk.cw.length_status(case).await.unwrap().as_ref(),
            Some(&past[0])
        );
        // Shown, never enforced: work goes on.
        desk.run(
            case,
            CaseCommand::RecordContact {
                kind: ContactKind::Call,
                direction: Direction::Outbound,
                with: ContactWith::YoungPerson,
                at: end + micro(),
            },
        )
        .await;
        assert_eq!(
            desk.cw
                .cases_past_expected_length(end + Duration::days(1))
                .await
                .unwrap()
                .len(),
            1
        );
        // A case on no programme with an expected length is never listed.
        let (_, unlimited) = desk
            .person_at_work(young_woman_in_le(), &["older_boyfriend"])
            .await;
        let far = end + Duration::weeks(100);
        let listed: Vec<_> = desk
            .cw
            .cases_past_expected_length(far)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.case)
            .collect();
        assert_eq!(listed, vec![case]);
        assert!(!listed.contains(&unlimited));
    }
);

// ---------------------------------------------------------------------------------------------
// expected against delivered across the open cases.

on_every_store!(
    r11_cadence_across_open_cases_reports_each_case_expected_against_delivered,
    city_girls_service(),
    |desk| {
        // Given a weekly case with one session held in the week ...
        let (_, weekly) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        // ... a case changed to 2-3 sessions a week for risk, with none held ...
        let (_, intensive) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        desk.run(
            intensive,
            CaseCommand::ChangeCadence {
                cadence: Cadence {
                    sessions_per_week: Some(Span { min: 2, max: 3 }),
                    contacts_per_day: None,
                },
                basis: CadenceBasis::Risk,
                reason: text("Missing overnight twice"),
            },
        )
        .await;
        // ... a case allocated but not begun, and a case closed.
        let not_begun_yp = desk.register(girl_in_leeds_area()).await;
        let not_begun = desk
            .engaged_with(not_begun_yp, &["older_boyfriend"], &desk.worker)
            .await;
        let (_, closed) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        desk.run(
            closed,
            CaseCommand::Close {
                reason: ClosureReason::NoEngagement,
            },
        )
        .await;
        desk.clock.set(start() + Duration::days(2));
        let planned = desk
            .run(
                weekly,
                CaseCommand::PlanSession {
                    planned_for: start() + Duration::days(2),
                    place: SessionPlace::YouthClub,
                    place_chosen_by_young_person: true,
                    topics: vec![SessionTopic::HealthyRelationships],
                },
            )
            .await;
        let session = planned.state.file().activity.sessions[0].id;
        desk.run(
            weekly,
            CaseCommand::HoldSession {
                session,
                held_at: start() + Duration::days(2),
                duration_minutes: 60,
                place: None,
                topics: vec![],
                resources: vec![],
                note: NewConfidential::new(text("Talked about the older boyfriend")),
            },
        )
        .await;
        // When the week is reported across the open cases:
        let (from, to) = (start(), start() + Duration::days(7));
        let reports = desk.cw.cadence_across_open_cases(from, to).await.unwrap();
        let mut ids: Vec<_> = reports.iter().map(|r| r.case).collect();
        ids.sort();
        let mut expected = vec![weekly, intensive];
        expected.sort();
        assert_eq!(
            ids, expected,
            "work begun and not closed: not {not_begun} or {closed}"
        );
        let of = |case| reports.iter().find(|r| r.case == case).unwrap();
        assert_eq!(of(weekly).sessions.expected, Some(Span { min: 1, max: 1 }));
        assert_eq!(
            (of(weekly).sessions.delivered, of(weekly).sessions.status),
            (1, Some(CadenceStatus::OnTrack))
        );
        assert_eq!(
            of(intensive).sessions.expected,
            Some(Span { min: 2, max: 3 })
        );
        assert_eq!(of(intensive).sessions.status, Some(CadenceStatus::Behind));
        // Each is the case's own report.
        for report in &reports {
            assert_eq!(
                report,
                &desk.cw.cadence_report(report.case, from, to).await.unwrap()
            );
        }
    }
);

// ---------------------------------------------------------------------------------------------
// each worker's caseload.

on_every_store!(
    r25_open_cases_are_listed_by_worker_until_they_close,
    city_girls_service(),
    |desk| {
        let other = Actor::worker("Jo Worker");
        let (_, mine) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        let yp = desk.register(girl_in_leeds_area()).await;
        let theirs = desk.engaged_with(yp, &["taken_to_parties"], &other).await;
        let ids = |rows: Vec<casework::read::listing::OpenCaseRow>| {
            rows.into_iter().map(|r| r.case_id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(desk.cw.open_cases(Some(desk.worker.id)).await.unwrap()),
            vec![mine]
        );
        let their_rows = desk.cw.open_cases(Some(other.id)).await.unwrap();
        assert_eq!(
            (their_rows[0].case_id, their_rows[0].stage),
            (theirs, StageName::Engaged)
        );
        assert_eq!(desk.cw.open_cases(None).await.unwrap().len(), 2);
        assert!(desk
            .cw
            .open_cases(Some(StaffId::new()))
            .await
            .unwrap()
            .is_empty());
        desk.run(
            mine,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await;
        assert!(desk
            .cw
            .open_cases(Some(desk.worker.id))
            .await
            .unwrap()
            .is_empty());
    }
);

// ---------------------------------------------------------------------------------------------
// R-8 and referrals out by status.

on_every_store!(
    r8_referrals_out_need_consent_and_are_listed_by_status,
    city_girls_service(),
    |desk| {
        const HOUSING: &str = "Fictional Housing Options";
        let (_, case) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        let refer = |agency: &str| CaseCommand::ReferToPartner {
            partner: PartnerKind::Housing,
            agency: text(agency),
            sent_at: start(),
        };
        // Without the young person's consent to share with the agency, nothing is sent.
        match desk.cw.execute(&desk.worker, case, refer(HOUSING)).await {
            Err(CommandError::Rejected(e)) => {
                let message = e.to_string();
                assert!(
                    message.contains("R-8") && message.contains(&format!("sharing with {HOUSING}")),
                    "{message}"
                );
            }
            other => panic!("expected a refusal under R-8, got {other:?}"),
        }
        assert!(desk.cw.partner_referrals(None).await.unwrap().is_empty());
        desk.run(case, sharing_with(HOUSING, ConsentDecision::Given))
            .await;
        let sent = desk.run(case, refer(HOUSING)).await;
        let referral = sent.state.file().activity.partner_referrals[0].id;
        let rows = desk
            .cw
            .partner_referrals(Some(PartnerReferralState::Sent))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].referral_id,
                rows[0].case_id,
                rows[0].agency.as_str()
            ),
            (referral, case, HOUSING)
        );
        assert!(desk
            .cw
            .partner_referrals(Some(PartnerReferralState::Accepted))
            .await
            .unwrap()
            .is_empty());
        // Accepted: it moves from `sent` to `accepted`.
        desk.run(
            case,
            CaseCommand::UpdatePartnerReferral {
                referral,
                update: PartnerReferralUpdate::Accepted,
                at: start(),
            },
        )
        .await;
        assert!(desk
            .cw
            .partner_referrals(Some(PartnerReferralState::Sent))
            .await
            .unwrap()
            .is_empty());
        let accepted = desk
            .cw
            .partner_referrals(Some(PartnerReferralState::Accepted))
            .await
            .unwrap();
        assert_eq!(
            (accepted[0].referral_id, accepted[0].status_at),
            (referral, Some(start()))
        );
        assert_eq!(desk.cw.partner_referrals(None).await.unwrap().len(), 1);
    }
);

// ---------------------------------------------------------------------------------------------
// finished cases, for the retention schedule.

on_every_store!(
    r23_finished_cases_are_listed_by_young_person_with_when_and_why,
    city_girls_service(),
    |desk| {
        let (amy, amys) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        desk.clock.set(start() + Duration::days(30));
        desk.run(
            amys,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await;
        let bea = desk.register(girl_in_leeds_area()).await;
        let beas = desk.assessed(bea, &["taken_to_parties"]).await;
        desk.clock.set(start() + Duration::days(31));
        desk.run(
            beas,
            CaseCommand::Decline {
                reason: text("Already supported elsewhere").into(),
            },
        )
        .await;
        let (cara, _) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        let amy_rows = desk.cw.closed_cases(Some(amy)).await.unwrap();
        assert_eq!(amy_rows.len(), 1);
        assert_eq!(
            (
                amy_rows[0].case_id,
                amy_rows[0].stage,
                amy_rows[0].reason.as_str(),
                amy_rows[0].closed_at
            ),
            (
                amys,
                StageName::Closed,
                "moved_out_of_area",
                start() + Duration::days(30)
            )
        );
        let bea_rows = desk.cw.closed_cases(Some(bea)).await.unwrap();
        assert_eq!(
            (
                bea_rows[0].case_id,
                bea_rows[0].stage,
                bea_rows[0].reason.as_str()
            ),
            (beas, StageName::Declined, "declined")
        );
        assert!(
            desk.cw.closed_cases(Some(cara)).await.unwrap().is_empty(),
            "an open case is not finished"
        );
        // The key is the young person's id in its display form, and the detail names the case.
        let raw = casework::bypass::raw_store(&desk.cw)
            .listings(ListingQuery::all(ListingKind::ClosedCase).key(amy.to_string()))
            .await
            .unwrap();
        assert_eq!(raw.len(), 1);
        let detail: serde_json::Value = serde_json::from_str(&raw[0].listing.detail).unwrap();
        for field in ["case_id", "young_person_id", "closed_at", "reason"] {
            assert!(detail.get(field).is_some(), "{field} in {detail}");
        }
        assert_eq!(raw[0].listing.at, Some(start() + Duration::days(30)));
    }
);

// ---------------------------------------------------------------------------------------------
// return interviews across all young people, and flagged young people.

on_every_store!(
    r22_a_return_interview_exactly_72_hours_after_return_is_due_and_a_microsecond_later_overdue,
    city_girls_service(),
    |desk| {
        let amy = desk.register(girl_in_leeds_area()).await;
        let bea = desk.register(girl_in_leeds_area()).await;
        desk.episode(amy, day(3, 22), day(4, 10)).await;
        desk.episode(bea, day(4, 22), day(5, 10)).await;
        let amys_due = day(7, 10);
        // Exactly 72 hours after Amy's return: both due, neither overdue.
        let due = desk.cw.all_return_interviews_due(amys_due).await.unwrap();
        let people: Vec<_> = due
            .iter()
            .map(|r| (r.young_person_id, r.due_at, r.overdue))
            .collect();
        assert_eq!(
            people,
            vec![(amy, amys_due, false), (bea, day(8, 10), false)]
        );
        assert!(desk
            .cw
            .overdue_return_interviews(amys_due)
            .await
            .unwrap()
            .is_empty());
        // A microsecond later Amy's is overdue.
        let later = amys_due + micro();
        let overdue = desk.cw.overdue_return_interviews(later).await.unwrap();
        assert_eq!(
            overdue
                .iter()
                .map(|r| (r.young_person_id, r.overdue))
                .collect::<Vec<_>>(),
            vec![(amy, true)]
        );
        let marked: Vec<_> = desk
            .cw
            .all_return_interviews_due(later)
            .await
            .unwrap()
            .iter()
            .map(|r| r.overdue)
            .collect();
        assert_eq!(marked, vec![true, false]);
        // The service-wide rows agree with each young person's own.
        desk.clock.set(later);
        let own = desk.cw.return_interviews_due(amy).await.unwrap();
        assert_eq!(
            (own[0].episode, own[0].due_at, own[0].overdue),
            (overdue[0].episode, overdue[0].due_at, true)
        );
        // Offered: still due, with when it was offered. Completed or declined: no longer listed.
        let offer = |episode, outcome, at| YoungPersonCommand::RecordReturnInterview {
            episode,
            outcome,
            at,
        };
        desk.run_for(
            amy,
            offer(overdue[0].episode, ReturnInterviewOutcome::Offered, later),
        )
        .await;
        let rows: Vec<ReturnInterviewRow> = desk.cw.overdue_return_interviews(later).await.unwrap();
        assert_eq!(rows[0].offered_at, Some(later));
        desk.run_for(
            amy,
            offer(overdue[0].episode, ReturnInterviewOutcome::Completed, later),
        )
        .await;
        let beas = desk.cw.all_return_interviews_due(later).await.unwrap();
        assert_eq!(
            beas.iter().map(|r| r.young_person_id).collect::<Vec<_>>(),
            vec![bea]
        );
        desk.run_for(
            bea,
            offer(beas[0].episode, ReturnInterviewOutcome::Declined, later),
        )
        .await;
        assert!(desk
            .cw
            .all_return_interviews_due(later)
            .await
            .unwrap()
            .is_empty());
    }
);

on_every_store!(
    r22_a_third_episode_on_day_30_flags_the_young_person_and_one_on_day_31_does_not,
    city_girls_service(),
    |desk| {
        let amy = desk.register(girl_in_leeds_area()).await;
        let bea = desk.register(girl_in_leeds_area()).await;
        for (yp, third) in [(amy, 30), (bea, 31)] {
            desk.episode(yp, day(1, 22), day(2, 8)).await;
            desk.episode(yp, day(15, 22), day(16, 8)).await;
            desk.episode(yp, day(third, 0), day(third, 9)).await;
        }
        let flagged = desk.cw.flagged_young_people().await.unwrap();
        assert_eq!(flagged.len(), 1, "day 30 flags, day 31 does not");
        assert_eq!(
            (flagged[0].young_person_id, flagged[0].episodes.len()),
            (amy, 3)
        );
        // Resolved after a strategy discussion: no longer flagged.
        desk.run_for(
            amy,
            YoungPersonCommand::ResolveMissingFlag {
                flag: flagged[0].flag,
                reason: text("Strategy discussion held; safety plan agreed"),
            },
        )
        .await;
        assert!(desk.cw.flagged_young_people().await.unwrap().is_empty());
    }
);

// ---------------------------------------------------------------------------------------------
// the alumni group.

on_every_store!(
    r20_alumni_members_are_listed_until_they_leave,
    city_girls_service(),
    |desk| {
        let (amy, amys) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        let (bea, beas) = desk
            .person_at_work(girl_in_leeds_area(), &["taken_to_parties"])
            .await;
        desk.run(
            beas,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await;
        desk.clock.advance(Duration::days(1));
        desk.run_for(amy, YoungPersonCommand::JoinAlumni).await;
        desk.clock.advance(Duration::days(1));
        desk.run_for(bea, YoungPersonCommand::JoinAlumni).await;
        let members = desk.cw.alumni_members().await.unwrap();
        assert_eq!(
            members
                .iter()
                .map(|m| (m.young_person_id, m.basis.clone()))
                .collect::<Vec<_>>(),
            vec![
                (amy, AlumniBasis::LowRisk { case: amys }),
                (bea, AlumniBasis::CaseClosed { case: beas }),
            ]
        );
        desk.run_for(amy, YoungPersonCommand::LeaveAlumni { reason: None })
            .await;
        let members = desk.cw.alumni_members().await.unwrap();
        assert_eq!(
            members
                .iter()
                .map(|m| m.young_person_id)
                .collect::<Vec<_>>(),
            vec![bea]
        );
    }
);

// ---------------------------------------------------------------------------------------------
// intelligence awaiting the police.

on_every_store!(
    r19_intelligence_awaits_the_police_until_passed_and_its_listing_holds_no_content,
    city_girls_service(),
    |desk| {
        let (yp, case) = desk
            .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
            .await;
        let record = |urgency| NewIntelligence {
            report: NewConfidential::new(text("A silver hatchback collects girls from the park")),
            urgency,
            links: vec![
                IntelligenceLink::Case(case),
                IntelligenceLink::YoungPerson(yp),
            ],
            learnt_at: start(),
        };
        let quiet = desk
            .cw
            .record_intelligence(&desk.worker, record(Urgency::NonUrgent))
            .await
            .unwrap();
        desk.clock.advance(Duration::minutes(5));
        let urgent = desk
            .cw
            .record_intelligence(&desk.worker, record(Urgency::ImmediateRisk))
            .await
            .unwrap();
        // Immediate risk first, though recorded later.
        let awaiting = desk.cw.intelligence_awaiting_police().await.unwrap();
        assert_eq!(
            awaiting
                .iter()
                .map(|r| r.intelligence_id)
                .collect::<Vec<_>>(),
            vec![urgent, quiet]
        );
        assert_eq!(
            awaiting[0].links,
            vec![
                IntelligenceLink::Case(case),
                IntelligenceLink::YoungPerson(yp)
            ]
        );
        // The listing holds ids and times, never the report.
        let raw = casework::bypass::raw_store(&desk.cw)
            .listings(ListingQuery::all(ListingKind::IntelligenceAwaitingPolice))
            .await
            .unwrap();
        assert!(raw.iter().all(|l| !l.listing.detail.contains("hatchback")));
        assert_eq!(
            raw.iter()
                .filter(|l| l.listing.key == "immediate_risk")
                .count(),
            1
        );
        let pass = |channel, reference: &str| IntelligenceCommand::PassToPolice {
            channel,
            reference: text(reference),
            passed_at: desk.now(),
        };
        // The non-urgent channel does not meet an immediate risk: still awaiting.
        match desk
            .cw
            .execute_intelligence(
                &desk.worker,
                urgent,
                pass(PoliceChannel::NonUrgent, "EMAIL-1"),
            )
            .await
        {
            Err(CommandError::Rejected(e)) => assert_eq!(e.rule(), Some(Rule::R19)),
            other => panic!("expected a refusal under R-19, got {other:?}"),
        }
        assert_eq!(
            desk.cw.intelligence_awaiting_police().await.unwrap().len(),
            2
        );
        desk.cw
            .execute_intelligence(
                &desk.worker,
                urgent,
                pass(PoliceChannel::ImmediateCall, "CALL-1"),
            )
            .await
            .unwrap();
        let awaiting = desk.cw.intelligence_awaiting_police().await.unwrap();
        assert_eq!(
            awaiting
                .iter()
                .map(|r| r.intelligence_id)
                .collect::<Vec<_>>(),
            vec![quiet]
        );
        desk.cw
            .execute_intelligence(
                &desk.worker,
                quiet,
                pass(PoliceChannel::NonUrgent, "EMAIL-2"),
            )
            .await
            .unwrap();
        assert!(desk
            .cw
            .intelligence_awaiting_police()
            .await
            .unwrap()
            .is_empty());
        // Kept apart: the case's events say nothing of it.
        let history = desk.cw.history(case).await.unwrap();
        assert!(history
            .iter()
            .all(|r| !r.event.describe().contains("intelligence")));
    }
);

// ---------------------------------------------------------------------------------------------
// workshop reach and evaluation results in a period.

fn workshop_on(date: NaiveDate, kind: VenueKind) -> NewWorkshop {
    NewWorkshop {
        venue: Venue {
            kind,
            name: text("Fictional Academy"),
        },
        date,
        age_group: AgeGroup { min: 13, max: 15 },
        topics: vec![SessionTopic::GroomingProcess],
        programme: Some("schools_workshops".into()),
    }
}

fn form(before: u8, after: u8) -> WorkshopCommand {
    WorkshopCommand::RecordEvaluation {
        respondent: Respondent::Anonymous,
        answers: vec![EvaluationAnswer {
            question: text("I know how grooming can start"),
            before,
            after,
        }],
        learnt: None,
    }
}

on_every_store!(
    r29_workshop_reach_and_evaluation_in_a_period_leave_out_workshops_outside_it,
    team(),
    |desk| {
        let date = |d: u32, m: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        desk.clock
            .set(Utc.with_ymd_and_hms(2026, 2, 1, 9, 0, 0).unwrap());
        // Workshops on 27 February (before), 10 March (in), 31 March (the first day after).
        let mut ids = Vec::new();
        for (when, kind, anonymous) in [
            (date(27, 2), VenueKind::School, 30),
            (date(10, 3), VenueKind::School, 20),
            (date(31, 3), VenueKind::YouthClub, 8),
        ] {
            let id = desk
                .cw
                .plan_workshop(&desk.worker, workshop_on(when, kind))
                .await
                .unwrap();
            desk.clock
                .set(when.and_hms_opt(15, 0, 0).unwrap().and_utc());
            desk.cw
                .execute_workshop(
                    &desk.worker,
                    id,
                    WorkshopCommand::RecordAttendance {
                        young_people: vec![],
                        anonymous,
                    },
                )
                .await
                .unwrap();
            desk.cw
                .execute_workshop(&desk.worker, id, form(2, 4))
                .await
                .unwrap();
            desk.cw
                .execute_workshop(&desk.worker, id, form(3, 3))
                .await
                .unwrap();
            ids.push(id);
        }
        let march = desk
            .cw
            .workshop_reach(date(1, 3), date(31, 3))
            .await
            .unwrap();
        assert_eq!(
            march
                .workshops
                .iter()
                .map(|w| w.workshop_id)
                .collect::<Vec<_>>(),
            vec![ids[1]]
        );
        assert_eq!((march.reach, march.forms), (20, 2));
        assert_eq!(march.questions.len(), 1);
        assert_eq!(
            (
                march.questions[0].responses,
                march.questions[0].improved,
                march.questions[0].unchanged
            ),
            (2, 1, 1)
        );
        // The period's first day is in it: 27 February on, to 1 April, holds all three.
        let term = desk
            .cw
            .workshop_reach(date(27, 2), date(1, 4))
            .await
            .unwrap();
        assert_eq!(term.workshops.len(), 3);
        assert_eq!(
            (term.reach, term.forms, term.questions[0].responses),
            (58, 6, 6)
        );
        assert_eq!(term.workshops[2].venue.kind, VenueKind::YouthClub);
        // The listing follows the workshop: more attendance, more reach.
        desk.cw
            .execute_workshop(
                &desk.worker,
                ids[1],
                WorkshopCommand::RecordAttendance {
                    young_people: vec![],
                    anonymous: 5,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            desk.cw
                .workshop_reach(date(1, 3), date(31, 3))
                .await
                .unwrap()
                .reach,
            25
        );
    }
);
