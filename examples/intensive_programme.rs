//! A week of intensive support (all names fictional), on the shipped young people's team
//! profile and the in-memory store:
//! a social worker's referral of a 17-year-old; the intensive programme (5-6 sessions a week,
//! 2-3 contacts a day, R-11); goals agreed with her and the social worker; sessions, contacts
//! and contact with the referrer (R-13); a strategy discussion; a housing referral, with her
//! consent to share with the housing team (R-8); a missing episode and its return interview
//! (R-22); intelligence stored on its own stream and passed to the police (R-19); the cadence
//! changed with a reason; what the week delivered against what was expected; and the
//! service-wide lists a manager reads on Monday morning, each one indexed query.
//!
//! ```sh
//! cargo run --example intensive_programme
//! ```

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::{
    CadenceBasis, CaseCommand, ContactKind, ContactWith, Direction, MeetingAction, MeetingKind,
    NewReferral, PartnerKind, PartnerReferralUpdate, Party, Professional, ProfessionalKind,
    ReferralSource, ReviewDecision, SessionPlace,
};
use casework::intelligence::{
    IntelligenceCommand, IntelligenceLink, NewIntelligence, PoliceChannel, Urgency,
};
use casework::kernel::actor::Actor;
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::{CaseId, ProfessionalId, SessionId};
use casework::kernel::input::{Postcode, Text};
use casework::memory::MemoryStore;
use casework::policy::programme::Span;
use casework::policy::topic::SessionTopic;
use casework::read::listing::PartnerReferralState;
use casework::young_person::missing::ReturnInterviewOutcome;
use casework::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
use casework::Casework;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::sync::Arc;

fn text(s: &str) -> Text {
    Text::parse("text", s).expect("example text is not empty")
}

type Service = Casework<MemoryStore>;

async fn run(cw: &Service, who: &Actor, case: CaseId, command: CaseCommand) {
    if let Err(e) = cw.execute(who, case, command).await {
        panic!("the example's step was refused: {e}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let monday = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::starting_at(monday));
    let profile = casework::config::shipped::profile("young-peoples-team")?;
    let cw = Casework::new(MemoryStore::new(), profile).with_clock(clock.clone());
    let worker = Actor::worker("Sam Worker");

    println!("== A social worker refers Chloe, 17 ==");
    let chloe = cw
        .register_young_person(
            &worker,
            YoungPersonDetails {
                name: text("Chloe Example"),
                date_of_birth: NaiveDate::from_ymd_opt(2008, 9, 1).unwrap(),
                gender: Gender::Female,
                postcode: Postcode::parse("LE1 5AB")?,
                learning_difficulty: false,
                contact_preferences: vec![],
            },
        )
        .await?;
    let social_worker = Professional {
        id: ProfessionalId::new(),
        name: text("Pat Socialworker"),
        kind: ProfessionalKind::SocialWorker,
        agency: text("Fictional Children's Services"),
    };
    let case = cw
        .receive_referral(
            &worker,
            chloe,
            NewReferral {
                source: ReferralSource::Professional {
                    professional: social_worker.clone(),
                },
                concerns: NewConfidential::new(text("Leaving care; older men at her flat")),
                received_at: clock.now(),
            },
        )
        .await?;
    let setup = vec![
        CaseCommand::RecordConsent {
            entry: ConsentEntry {
                scope: ConsentScope::Referral,
                decision: ConsentDecision::Given,
                by: ConsentGiver::YoungPerson,
                method: ConsentMethod::InPerson,
                purpose: text("to work with the project"),
                given_at: clock.now(),
            },
        },
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["looked_after".into(), "taken_to_parties".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: worker.id,
            worker_name: text(&worker.name),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Daily support moving into her own flat")),
        },
        CaseCommand::BeginWork,
        CaseCommand::AssignProgramme {
            programme: "intensive".into(),
        },
        CaseCommand::AddGoal {
            description: NewConfidential::new(text(
                "Keep her flat safe: no visitors she did not invite",
            )),
            agreed_with: vec![Party::YoungPerson, Party::Professional(social_worker.id)],
        },
    ];
    for command in setup {
        run(&cw, &worker, case, command).await;
    }
    let state = cw.case(case).await?;
    println!(
        "  risk {}, on programme `{}`: {}",
        state
            .file()
            .current_risk()
            .map_or("?".into(), |l| l.to_string()),
        state.file().activity.programme.as_deref().unwrap_or("-"),
        state.file().activity.current_cadence()
    );

    println!("\n== The week: sessions and contacts (R-11) ==");
    let topics = [
        vec![SessionTopic::RiskAndKeepingSafe],
        vec![SessionTopic::parse(
            "topic",
            "housing and independent living",
        )?],
        vec![SessionTopic::HealthyRelationships],
        vec![SessionTopic::DrugsAndAlcohol],
        vec![SessionTopic::EducationTrainingAndCareers],
    ];
    for (day, topics) in topics.into_iter().enumerate() {
        let morning = monday + Duration::days(day as i64) + Duration::hours(1);
        clock.set(morning);
        let planned = cw
            .execute(
                &worker,
                case,
                CaseCommand::PlanSession {
                    planned_for: morning + Duration::hours(1),
                    place: SessionPlace::Home,
                    place_chosen_by_young_person: true,
                    topics,
                },
            )
            .await?;
        let session: SessionId = planned.state.file().activity.sessions.last().unwrap().id;
        clock.set(morning + Duration::hours(2));
        run(
            &cw,
            &worker,
            case,
            CaseCommand::HoldSession {
                session,
                held_at: morning + Duration::hours(1),
                duration_minutes: 90,
                place: None,
                topics: vec![],
                resources: vec![text("Moving On workbook (fictional)")],
                note: NewConfidential::new(text("Budgeting; who has a key to the flat")),
            },
        )
        .await;
        for hour in [4, 9] {
            clock.set(morning + Duration::hours(hour));
            run(
                &cw,
                &worker,
                case,
                CaseCommand::RecordContact {
                    kind: if hour == 4 {
                        ContactKind::Text
                    } else {
                        ContactKind::Call
                    },
                    direction: Direction::Outbound,
                    with: ContactWith::YoungPerson,
                    at: clock.now(),
                },
            )
            .await;
        }
    }
    let week = cw.case(case).await?;
    println!(
        "  {} sessions held and {} contacts with Chloe, Monday to Friday",
        week.file().activity.sessions.len(),
        week.file().activity.contacts.len()
    );

    // Friday evening: a call to the referring social worker, and the week's meeting.
    clock.set(monday + Duration::days(4) + Duration::hours(10) + Duration::minutes(30));
    run(
        &cw,
        &worker,
        case,
        CaseCommand::RecordContact {
            kind: ContactKind::Call,
            direction: Direction::Outbound,
            with: ContactWith::Professional {
                id: social_worker.id,
            },
            at: clock.now(),
        },
    )
    .await;

    println!("\n== A strategy discussion and a housing referral (R-13) ==");
    clock.advance(Duration::minutes(15));
    run(
        &cw,
        &worker,
        case,
        CaseCommand::RecordMeeting {
            kind: MeetingKind::StrategyDiscussion,
            held_at: monday + Duration::days(3) + Duration::hours(4),
            service_attended: true,
            actions: vec![MeetingAction {
                action: text("Police to visit the flat's landlord").into(),
                by_whom: Some(text("Police")),
                due_on: NaiveDate::from_ymd_opt(2026, 3, 9),
            }],
        },
    )
    .await;
    clock.advance(Duration::minutes(5));
    // A referral out shares information about her: it needs her consent to share with that
    // agency (R-8), or it is refused naming the scope.
    let housing = "Fictional Housing Options Team";
    let refer = || CaseCommand::ReferToPartner {
        partner: PartnerKind::Housing,
        agency: text(housing),
        sent_at: clock.now(),
    };
    println!(
        "  before she agrees: {}",
        cw.execute(&worker, case, refer()).await.unwrap_err()
    );
    run(
        &cw,
        &worker,
        case,
        CaseCommand::RecordConsent {
            entry: ConsentEntry {
                scope: ConsentScope::SharingWithAgency {
                    agency: text(housing),
                },
                decision: ConsentDecision::Given,
                by: ConsentGiver::YoungPerson,
                method: ConsentMethod::InPerson,
                purpose: text("to refer her to housing for a safer flat"),
                given_at: clock.now(),
            },
        },
    )
    .await;
    let referred = cw.execute(&worker, case, refer()).await?;
    let referral = referred.state.file().activity.partner_referrals[0].id;
    println!("  strategy discussion recorded (the service attended); housing referral sent");

    println!("\n== Missing over the weekend (R-22) ==");
    let friday_night = monday + Duration::days(4) + Duration::hours(13);
    clock.set(friday_night + Duration::hours(1));
    let episode = cw
        .start_missing_episode(&worker, chloe, friday_night)
        .await?;
    let back = monday + Duration::days(5) + Duration::hours(2);
    clock.set(back + Duration::hours(1));
    cw.execute_for_young_person(
        &worker,
        chloe,
        YoungPersonCommand::EndMissingEpisode {
            episode,
            returned_at: back,
        },
    )
    .await?;
    // Across every young person the service works with, in one query.
    for due in cw.all_return_interviews_due(clock.now()).await? {
        println!(
            "  return interview due {} (overdue: {})",
            due.due_at.format("%a %d %b %H:%M"),
            due.overdue
        );
    }
    clock.set(back + Duration::hours(5));
    run(
        &cw,
        &worker,
        case,
        CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Accepted,
            at: clock.now(),
        },
    )
    .await;
    clock.set(back + Duration::hours(30));
    cw.execute_for_young_person(
        &worker,
        chloe,
        YoungPersonCommand::RecordReturnInterview {
            episode,
            outcome: ReturnInterviewOutcome::Completed,
            at: clock.now(),
        },
    )
    .await?;
    println!(
        "  after the interview: {} due across the service",
        cw.all_return_interviews_due(clock.now()).await?.len()
    );

    println!("\n== Intelligence for the police, kept apart from her record (R-19) ==");
    let report = cw
        .record_intelligence(
            &worker,
            NewIntelligence {
                report: NewConfidential::new(text(
                    "A grey van collected her from the flat on Friday",
                )),
                urgency: Urgency::ImmediateRisk,
                links: vec![IntelligenceLink::Case(case)],
                learnt_at: clock.now(),
            },
        )
        .await?;
    println!(
        "  awaiting the police: {} report(s)",
        cw.intelligence_awaiting_police().await?.len()
    );
    let pass = |channel, reference: &str| IntelligenceCommand::PassToPolice {
        channel,
        reference: text(reference),
        passed_at: clock.now(),
    };
    let by_email = cw
        .execute_intelligence(
            &worker,
            report,
            pass(PoliceChannel::NonUrgent, "EMAIL-1 (fictional)"),
        )
        .await;
    println!("  by the non-urgent channel: {}", by_email.unwrap_err());
    let called = cw
        .execute_intelligence(
            &worker,
            report,
            pass(PoliceChannel::ImmediateCall, "CALL-0001 (fictional)"),
        )
        .await?;
    println!(
        "  called in, reference {}; awaiting the police now: {}",
        called.state.handovers[0].reference,
        cw.intelligence_awaiting_police().await?.len()
    );
    println!(
        "  her case's record holds none of it: {} events, none about intelligence",
        cw.history(case).await?.len()
    );

    println!("\n== A review, and the cadence changed for risk (R-11, R-12) ==");
    clock.set(monday + Duration::days(7));
    run(
        &cw,
        &worker,
        case,
        CaseCommand::RecordReview {
            indicators: vec![
                "looked_after".into(),
                "taken_to_parties".into(),
                "missing_overnight".into(),
            ],
            worker_override: None,
            decision: ReviewDecision::ChangePlan,
        },
    )
    .await;
    run(
        &cw,
        &worker,
        case,
        CaseCommand::ChangeCadence {
            cadence: casework::case::Cadence {
                sessions_per_week: Some(Span { min: 6, max: 6 }),
                contacts_per_day: Some(Span { min: 3, max: 3 }),
            },
            basis: CadenceBasis::Risk,
            reason: text("Missing overnight at the weekend: daily sessions until it settles"),
        },
    )
    .await;
    println!("  risk trend: {:?}", cw.risk_trend(case).await?);

    println!("\n== The week in figures ==");
    let report = cw
        .cadence_report(case, monday, monday + Duration::days(7))
        .await?;
    let span = |s: Option<Span>| s.map_or("-".into(), |s| format!("{}-{}", s.min, s.max));
    println!(
        "  sessions: {} delivered, {} expected ({:?})",
        report.sessions.delivered,
        span(report.sessions.expected),
        report.sessions.status.unwrap()
    );
    println!(
        "  contacts with Chloe: {} delivered, {} expected ({:?})",
        report.contacts.delivered,
        span(report.contacts.expected),
        report.contacts.status.unwrap()
    );
    println!(
        "  contacts with the referring social worker: {}",
        report.contacts_with_referrer
    );
    println!(
        "  expected length: {}",
        match cw.length_status(case).await? {
            Some(l) => format!(
                "{} of {}-{} weeks",
                l.weeks, l.expected_weeks.min, l.expected_weeks.max
            ),
            None => "none: the intensive programme has no time limit (R-14)".into(),
        }
    );

    println!("\n== Monday morning: the service-wide lists (one indexed query each) ==");
    let monday_next = monday + Duration::days(7) + Duration::hours(1);
    clock.set(monday_next);
    for row in cw
        .reviews_due(monday_next, monday_next + Duration::days(28))
        .await?
    {
        println!(
            "  review due {} for {} ({} risk)",
            row.due_at.format("%a %d %b"),
            row.case_id,
            row.risk_level.map_or("?".into(), |l| l.to_string())
        );
    }
    for report in cw
        .cadence_across_open_cases(monday, monday + Duration::days(7))
        .await?
    {
        println!(
            "  last week, {}: {} sessions delivered of {} expected",
            report.case,
            report.sessions.delivered,
            span(report.sessions.expected)
        );
    }
    for row in cw
        .partner_referrals(Some(PartnerReferralState::Accepted))
        .await?
    {
        println!(
            "  referral accepted by {} ({}), sent {}",
            row.agency,
            row.partner,
            row.sent_at.format("%a %d %b")
        );
    }
    println!(
        "  past their expected length: {} case(s) (R-14: shown, never enforced)",
        cw.cases_past_expected_length(monday_next).await?.len()
    );
    println!(
        "  flagged for a strategy discussion: {}; overdue return interviews: {}",
        cw.flagged_young_people().await?.len(),
        cw.overdue_return_interviews(monday_next).await?.len()
    );

    println!("\n== Timeline (never shows confidential content) ==");
    for recorded in cw.history(case).await? {
        println!(
            "  {}  {}",
            recorded.meta.recorded_at.format("%a %d %b %H:%M"),
            recorded.event.describe()
        );
    }
    Ok(())
}
