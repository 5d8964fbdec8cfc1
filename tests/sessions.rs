//! The day-to-day work on a case (lifecycle 5): the action plan's goals, one-to-one sessions
//! (R-11), contact episodes (R-11, R-13), programmes and their cadence (R-11, R-14), and the
//! per-case queries over them: expected against delivered work, and length against the
//! programme's expected length. A closed case refuses all of it (R-17).

use casework::case::{
    Cadence, CadenceBasis, CancelledBy, Case, CaseCommand, ClosureReason, ContactKind, ContactWith,
    Direction, GoalStatus, Party, PauseReason, Professional, ProfessionalKind, SessionPlace,
    SessionStatus, StageName,
};
use casework::config::shipped;
use casework::kernel::actor::Actor;
use casework::kernel::clock::ManualClock;
use casework::kernel::confidential::{for_storage, NewConfidential};
use casework::kernel::error::DomainError;
use casework::kernel::ids::{GoalId, ProfessionalId, SessionId};
use casework::kernel::input::Postcode;
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::ServiceProfile;
use casework::policy::programme::Span;
use casework::policy::topic::SessionTopic;
use casework::read::report::{cadence_report, length_status, CadenceStatus};
use casework::young_person::YoungPersonDetails;
use casework::Casework;
use casework_testkit::fixtures::{
    self, girl_in_leeds_area, professional_referral, self_referral, social_worker, start, text,
};
use casework_testkit::scenario::Scenario;
use casework_testkit::stored::stored;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The shipped young people's team: short-term, intensive (16-21) and workshop programmes.
fn team() -> ServiceProfile {
    shipped::profile("young-peoples-team").expect("the shipped profile loads")
}

/// A 17-year-old young woman in the team's area: eligible for the intensive programme.
fn young_woman_in_le() -> YoungPersonDetails {
    YoungPersonDetails {
        date_of_birth: NaiveDate::from_ymd_opt(2008, 9, 1).unwrap(),
        postcode: Postcode::parse("LE1 5AB").unwrap(),
        ..girl_in_leeds_area()
    }
}

/// A 14-year-old girl in the team's area: too young for the intensive programme.
fn girl_in_le() -> YoungPersonDetails {
    YoungPersonDetails {
        postcode: Postcode::parse("LE2 1XY").unwrap(),
        ..girl_in_leeds_area()
    }
}

fn to_allocation() -> Vec<CaseCommand> {
    vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
    ]
}

fn to_work() -> Vec<CaseCommand> {
    vec![
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions on keeping safe")),
        },
        CaseCommand::BeginWork,
    ]
}

/// A self-referred case with work begun at [`start`], under `profile`.
fn active_in(profile: ServiceProfile, details: &YoungPersonDetails) -> Scenario {
    Scenario::new(profile)
        .given_referral(details, self_referral(start()))
        .given(to_allocation())
        .given(to_work())
}

fn active() -> Scenario {
    active_in(city_girls_service(), &girl_in_leeds_area())
}

fn teacher() -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: text("Jo Teacher"),
        kind: ProfessionalKind::Teacher,
        agency: text("Fictional High School"),
    }
}

fn plan_at(planned_for: DateTime<Utc>, topics: &[SessionTopic]) -> CaseCommand {
    CaseCommand::PlanSession {
        planned_for,
        place: SessionPlace::YouthClub,
        place_chosen_by_young_person: true,
        topics: topics.to_vec(),
    }
}

fn hold(session: SessionId, held_at: DateTime<Utc>, minutes: u32) -> CaseCommand {
    CaseCommand::HoldSession {
        session,
        held_at,
        duration_minutes: minutes,
        place: None,
        topics: vec![],
        resources: vec![text("Party Lines workbook (fictional)")],
        note: NewConfidential::new(text("Talked about the lifts and the gifts")),
    }
}

fn last_session(s: &Scenario) -> SessionId {
    s.case()
        .file()
        .activity
        .sessions
        .last()
        .expect("a session")
        .id
}

fn last_goal(s: &Scenario) -> GoalId {
    s.case().file().activity.goals.last().expect("a goal").id
}

fn contact_with_young_person(at: DateTime<Utc>) -> CaseCommand {
    CaseCommand::RecordContact {
        kind: ContactKind::Text,
        direction: Direction::Outbound,
        with: ContactWith::YoungPerson,
        at,
    }
}

fn refused_at_stage(error: &DomainError, stage: StageName) {
    match error {
        DomainError::NotAtThisStage { stage: s, .. } => assert_eq!(*s, stage),
        other => panic!("expected not-at-this-stage, got {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Action plan: goals agreed with the young person and named professionals.

#[test]
fn a_goal_is_agreed_with_the_young_person_and_named_professionals() {
    let teacher = teacher();
    let s = active().given(vec![CaseCommand::RecordProfessional {
        professional: teacher.clone(),
    }]);
    s.when(CaseCommand::AddGoal {
        description: NewConfidential::new(text("Know who to call if a party feels unsafe")),
        agreed_with: vec![
            Party::YoungPerson,
            Party::Professional(teacher.id),
            Party::YoungPerson,
        ],
    })
    .then_event_types(&["goal_added"])
    .then_stage(StageName::Active)
    .then_case(|case| {
        let goal = &case.file().activity.goals[0];
        assert!(matches!(goal.status, GoalStatus::Open));
        assert_eq!(
            goal.agreed_with,
            vec![Party::YoungPerson, Party::Professional(teacher.id)],
            "each party once"
        );
        assert_eq!(format!("{:?}", goal.description), "[confidential]");
    });
}

#[test]
fn r6_a_goal_not_agreed_with_the_young_person_is_refused_naming_agreed_with() {
    let teacher = teacher();
    let s = active().given(vec![CaseCommand::RecordProfessional {
        professional: teacher.clone(),
    }]);
    s.when(CaseCommand::AddGoal {
        description: NewConfidential::new(text("Attend school every day")),
        agreed_with: vec![Party::Professional(teacher.id)],
    })
    .then_input_error("agreed_with")
    .then_error(|e| assert!(e.to_string().contains("R-6"), "{e}"));
}

#[test]
fn a_goal_agreed_with_a_professional_not_involved_is_refused_naming_the_entry() {
    active()
        .when(CaseCommand::AddGoal {
            description: NewConfidential::new(text("Back to college")),
            agreed_with: vec![
                Party::YoungPerson,
                Party::Professional(ProfessionalId::new()),
            ],
        })
        .then_input_error("agreed_with[1]");
}

#[test]
fn a_goal_is_achieved_or_dropped_once_with_its_date() {
    let s = active()
        .later(Duration::days(1))
        .given(vec![CaseCommand::AddGoal {
            description: NewConfidential::new(text("Know the signs of grooming")),
            agreed_with: vec![Party::YoungPerson],
        }])
        .later(Duration::days(20));
    let goal = last_goal(&s);
    let set_at = s.now() - Duration::days(20);
    // Bad dates name the field.
    s.clone()
        .when(CaseCommand::AchieveGoal {
            goal,
            achieved_at: s.now() + Duration::hours(1),
        })
        .then_input_error("achieved_at");
    s.clone()
        .when(CaseCommand::AchieveGoal {
            goal,
            achieved_at: set_at - Duration::minutes(1),
        })
        .then_input_error("achieved_at");
    s.clone()
        .when(CaseCommand::AchieveGoal {
            goal: GoalId::new(),
            achieved_at: s.now(),
        })
        .then_input_error("goal");
    // Achieved on a past date; then it is settled.
    let achieved = s
        .clone()
        .when(CaseCommand::AchieveGoal {
            goal,
            achieved_at: set_at + Duration::days(10),
        })
        .then_case(|case| {
            assert!(matches!(
                case.file().activity.goals[0].status,
                GoalStatus::Achieved { at } if at == set_at + Duration::days(10)
            ))
        })
        .and();
    achieved
        .clone()
        .when(CaseCommand::DropGoal {
            goal,
            reason: text("Changed her mind").into(),
        })
        .then_input_error("goal");
    // Or dropped, with the reason.
    s.when(CaseCommand::DropGoal {
        goal,
        reason: text("She has chosen a college course instead").into(),
    })
    .then_case(|case| {
        assert!(matches!(
            &case.file().activity.goals[0].status,
            GoalStatus::Dropped { reason, .. }
                if stored(reason).as_str().is_some_and(|r| r.contains("college"))
        ))
    });
}

#[test]
fn goals_wait_for_the_plan() {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(to_allocation())
        .when(CaseCommand::AddGoal {
            description: NewConfidential::new(text("Keep safe at parties")),
            agreed_with: vec![Party::YoungPerson],
        })
        .then_error(|e| refused_at_stage(e, StageName::Allocated));
}

// ---------------------------------------------------------------------------------------------
// R-11: one-to-one sessions, planned → held / cancelled (by whom) / not attended.

#[test]
fn r11_a_session_is_planned_then_held_with_topics_place_duration_and_a_confidential_note() {
    let s = active().given(vec![plan_at(
        start() + Duration::days(3),
        &[
            SessionTopic::GroomingProcess,
            SessionTopic::HealthyRelationships,
        ],
    )]);
    let session = last_session(&s);
    s.later(Duration::days(3))
        .when(hold(session, start() + Duration::days(3), 55))
        .then_event_types(&["session_held"])
        .then_case(|case| {
            let held = &case.file().activity.sessions[0];
            assert!(held.place_chosen_by_young_person);
            assert_eq!(held.place, SessionPlace::YouthClub);
            // Topics default to those planned.
            assert_eq!(
                held.topics,
                vec![
                    SessionTopic::GroomingProcess,
                    SessionTopic::HealthyRelationships
                ]
            );
            match &held.status {
                SessionStatus::Held {
                    duration_minutes,
                    note,
                    resources,
                    ..
                } => {
                    assert_eq!(*duration_minutes, 55);
                    assert_eq!(resources.len(), 1);
                    // The note is kept for the record; reading it needs a recorded grant (R-27).
                    let stored = for_storage(|| serde_json::to_string(note)).unwrap();
                    assert!(stored.contains("lifts"));
                    assert!(
                        serde_json::to_string(note).is_err(),
                        "R-8: only for storage"
                    );
                    assert_eq!(format!("{note:?}"), "[confidential]");
                }
                other => panic!("expected held, got {other:?}"),
            }
        })
        .then_events(|events| {
            // The timeline line never shows the note (R-8).
            let line = events[0].describe();
            assert!(!line.contains("lifts"), "{line}");
            assert!(line.contains("grooming process"), "{line}");
        });
}

#[test]
fn r11_a_session_held_before_it_was_planned_is_refused_naming_held_at() {
    let s = active()
        .later(Duration::days(2))
        .given(vec![plan_at(start() + Duration::days(5), &[])]);
    let session = last_session(&s);
    s.later(Duration::days(3))
        .when(hold(session, start() + Duration::days(1), 60))
        .then_input_error("held_at")
        .then_error(|e| {
            assert!(
                e.to_string().contains("before the session was planned"),
                "{e}"
            )
        });
}

#[test]
fn r11_a_session_held_in_the_future_or_for_no_time_is_refused_naming_the_field() {
    let s = active().given(vec![plan_at(start() + Duration::hours(2), &[])]);
    let session = last_session(&s);
    let s = s.later(Duration::hours(3));
    let now = s.now();
    s.clone()
        .when(hold(session, now + Duration::minutes(1), 60))
        .then_input_error("held_at");
    s.clone()
        .when(hold(session, now, 0))
        .then_input_error("duration_minutes");
    s.when(hold(session, now, 721))
        .then_input_error("duration_minutes");
}

#[test]
fn r11_a_planned_session_is_cancelled_by_whom_or_not_attended_and_then_settled() {
    let s = active().given(vec![
        plan_at(start() + Duration::days(1), &[]),
        plan_at(start() + Duration::days(8), &[]),
    ]);
    let first = s.case().file().activity.sessions[0].id;
    let second = s.case().file().activity.sessions[1].id;
    // Not attended only once its time has come.
    s.clone()
        .when(CaseCommand::RecordNonAttendance { session: first })
        .then_input_error("session");
    let s = s
        .later(Duration::days(1))
        .when(CaseCommand::RecordNonAttendance { session: first })
        .then_event_types(&["session_not_attended"])
        .and();
    let s = s
        .when(CaseCommand::CancelSession {
            session: second,
            by: CancelledBy::YoungPerson,
            reason: Some(text("Exam the next morning").into()),
        })
        .then_case(|case| {
            assert!(matches!(
                case.file().activity.sessions[1].status,
                SessionStatus::Cancelled {
                    by: CancelledBy::YoungPerson,
                    ..
                }
            ))
        })
        .and();
    // A settled session is not held, cancelled or missed again.
    s.clone()
        .when(hold(second, s.now(), 30))
        .then_input_error("session");
    s.clone()
        .when(CaseCommand::CancelSession {
            session: first,
            by: CancelledBy::Worker,
            reason: None,
        })
        .then_input_error("session");
    s.when(hold(SessionId::new(), start(), 30))
        .then_input_error("session");
}

#[test]
fn r11_every_seed_topic_is_in_the_vocabulary() {
    let words = [
        "grooming process",
        "grooming stages",
        "grooming models",
        "internet safety",
        "sexting",
        "pornography",
        "healthy relationships",
        "risk and keeping safe",
        "being missing",
        "drugs and alcohol",
        "sexual health and contraception",
        "education, training and careers",
        "family and peer relationships",
    ];
    for w in words {
        let topic = SessionTopic::parse("topic", w).unwrap();
        assert!(topic.is_vocabulary(), "{w} should be a vocabulary topic");
    }
    assert_eq!(SessionTopic::VOCABULARY.len(), words.len());
}

#[test]
fn r11_service_topics_come_from_the_case_programme() {
    let s = active_in(team(), &young_woman_in_le()).given(vec![CaseCommand::AssignProgramme {
        programme: "intensive".into(),
    }]);
    let housing = SessionTopic::parse("topic", "Housing and independent living").unwrap();
    assert!(!housing.is_vocabulary());
    s.clone()
        .when(plan_at(
            start() + Duration::days(1),
            &[SessionTopic::DrugsAndAlcohol, housing],
        ))
        .then_event_types(&["session_planned"]);
    s.when(plan_at(
        start() + Duration::days(1),
        &[
            SessionTopic::DrugsAndAlcohol,
            SessionTopic::Service("Astrology".into()),
        ],
    ))
    .then_input_error("topics[1]")
    .then_error(|e| assert!(e.to_string().contains("`intensive`"), "{e}"));
}

#[test]
fn without_a_programme_any_of_the_service_programmes_topics_may_be_used() {
    let s = active_in(team(), &girl_in_le());
    s.clone()
        .when(plan_at(
            start() + Duration::days(1),
            &[SessionTopic::Service("past abusive experiences".into())],
        ))
        .then_accepted();
    // A service with no programmes has only the vocabulary.
    active()
        .when(plan_at(
            start() + Duration::days(1),
            &[SessionTopic::Service("Housing".into())],
        ))
        .then_input_error("topics[0]");
}

#[test]
fn sessions_are_planned_while_work_is_under_way_not_while_paused() {
    let s = active().given(vec![plan_at(start() + Duration::days(1), &[])]);
    let session = last_session(&s);
    let paused = s.later(Duration::days(2)).given(vec![CaseCommand::Pause {
        reason: PauseReason::NoContact,
    }]);
    paused
        .clone()
        .when(plan_at(start() + Duration::days(9), &[]))
        .then_error(|e| refused_at_stage(e, StageName::Paused));
    // A session planned before the pause can still be settled.
    paused
        .when(CaseCommand::RecordNonAttendance { session })
        .then_accepted()
        .then_stage(StageName::Paused);
    // Sessions can be planned once engaged, before work begins.
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(to_allocation())
        .given(vec![CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        }])
        .when(plan_at(start() + Duration::days(1), &[]))
        .then_stage(StageName::Engaged);
}

// ---------------------------------------------------------------------------------------------
// R-17: a closed case refuses all of it.

#[test]
fn r17_a_closed_case_refuses_every_activity() {
    let s = active().given(vec![plan_at(start() + Duration::days(1), &[])]);
    let session = last_session(&s);
    let closed = s.given(vec![CaseCommand::Close {
        reason: ClosureReason::MovedOutOfArea,
    }]);
    assert_eq!(closed.case().stage(), StageName::Closed);
    let commands = vec![
        CaseCommand::AddGoal {
            description: NewConfidential::new(text("Anything")),
            agreed_with: vec![Party::YoungPerson],
        },
        plan_at(start() + Duration::days(2), &[]),
        hold(session, start() + Duration::days(1), 30),
        CaseCommand::CancelSession {
            session,
            by: CancelledBy::Worker,
            reason: None,
        },
        contact_with_young_person(start()),
        CaseCommand::AssignProgramme {
            programme: "short_term".into(),
        },
        CaseCommand::ChangeCadence {
            cadence: Cadence::weekly(),
            basis: CadenceBasis::Risk,
            reason: text("More often"),
        },
        CaseCommand::RecordMeeting {
            kind: casework::case::MeetingKind::ChildInNeed,
            held_at: start(),
            service_attended: true,
            actions: vec![],
        },
        CaseCommand::ReferToPartner {
            partner: casework::case::PartnerKind::Housing,
            agency: text("Fictional Housing Options"),
            sent_at: start(),
        },
    ];
    for command in commands {
        closed.clone().when(command).then_refused_by(Rule::R17);
    }
}

// ---------------------------------------------------------------------------------------------
// Contact episodes (R-11), with the referring professional (R-13).

#[test]
fn r13_contact_with_the_referring_professional_is_recorded_and_reported() {
    let referrer = social_worker();
    let s = Scenario::new(city_girls_service())
        .given_referral(
            &girl_in_leeds_area(),
            professional_referral(referrer.clone(), start()),
        )
        .given(vec![CaseCommand::Screen]);
    // Contact is kept from the start, before allocation too.
    let s = s
        .later(Duration::hours(2))
        .when(CaseCommand::RecordContact {
            kind: ContactKind::Call,
            direction: Direction::Outbound,
            with: ContactWith::Professional { id: referrer.id },
            at: start() + Duration::hours(1),
        })
        .then_event_types(&["contact_recorded"])
        .then_stage(StageName::Screened)
        .and();
    let report = cadence_report(s.case(), start(), start() + Duration::days(7));
    assert_eq!(report.contacts_with_referrer, 1);
    assert_eq!(
        report.last_contact_with_referrer,
        Some(start() + Duration::hours(1))
    );
    assert_eq!(
        report.contacts.delivered, 0,
        "not a contact with the young person"
    );
}

#[test]
fn a_contact_with_a_professional_not_involved_or_in_the_future_is_refused_naming_the_field() {
    active()
        .when(CaseCommand::RecordContact {
            kind: ContactKind::Call,
            direction: Direction::Inbound,
            with: ContactWith::Professional {
                id: ProfessionalId::new(),
            },
            at: start(),
        })
        .then_input_error("with.id")
        .then_error(|e| assert!(e.to_string().contains("R-13"), "{e}"));
    active()
        .when(contact_with_young_person(start() + Duration::minutes(1)))
        .then_input_error("at");
    active()
        .when(contact_with_young_person(start() - Duration::days(1)))
        .then_input_error("at");
}

// ---------------------------------------------------------------------------------------------
// R-11, R-14: programmes and their cadence.

#[test]
fn r11_a_programme_sets_the_cadence_and_a_change_is_recorded_with_its_reason() {
    let s = active_in(team(), &young_woman_in_le())
        .when(CaseCommand::AssignProgramme {
            programme: "intensive".into(),
        })
        .then_event_types(&["programme_assigned"])
        .then_case(|case| {
            let activity = &case.file().activity;
            assert_eq!(activity.programme.as_deref(), Some("intensive"));
            assert_eq!(
                activity.current_cadence().sessions_per_week,
                Some(Span { min: 5, max: 6 })
            );
            assert_eq!(
                activity.current_cadence().contacts_per_day,
                Some(Span { min: 2, max: 3 })
            );
        })
        .and();
    let fewer = Cadence {
        sessions_per_week: Some(Span { min: 3, max: 3 }),
        contacts_per_day: Some(Span { min: 1, max: 2 }),
    };
    s.later(Duration::days(7))
        .when(CaseCommand::ChangeCadence {
            cadence: fewer,
            basis: CadenceBasis::LearningStyle,
            reason: text("Learns best with time to think between sessions"),
        })
        .then_event_types(&["cadence_changed"])
        .then_case(|case| {
            let activity = &case.file().activity;
            assert_eq!(activity.current_cadence(), fewer);
            assert_eq!(activity.cadence.len(), 2, "the history of cadences is kept");
        });
}

#[test]
fn r11_a_cadence_change_states_a_cadence_and_a_reason() {
    let s = active();
    s.clone()
        .when(CaseCommand::ChangeCadence {
            cadence: Cadence::weekly(),
            basis: CadenceBasis::Risk,
            reason: text("Same as before"),
        })
        .then_input_error("cadence");
    s.clone()
        .when(CaseCommand::ChangeCadence {
            cadence: Cadence {
                sessions_per_week: Some(Span { min: 3, max: 2 }),
                contacts_per_day: None,
            },
            basis: CadenceBasis::Risk,
            reason: text("Risk rising"),
        })
        .then_input_error("cadence.sessions_per_week.min");
    s.when(CaseCommand::ChangeCadence {
        cadence: Cadence {
            sessions_per_week: None,
            contacts_per_day: None,
        },
        basis: CadenceBasis::Other,
        reason: text("Nothing"),
    })
    .then_input_error("cadence");
    // From a front end, the reason cannot be empty.
    let json = r#"{"command": "change_cadence", "cadence": {"sessions_per_week": {"min": 2, "max": 2}}, "basis": "risk", "reason": "  "}"#;
    match CaseCommand::from_json(json) {
        Err(DomainError::Input(e)) => assert_eq!(e.field, "reason"),
        other => panic!("expected the empty reason refused, got {other:?}"),
    }
}

#[test]
fn r2_a_narrower_programme_screens_the_young_person_on_todays_date() {
    active_in(team(), &girl_in_le())
        .when(CaseCommand::AssignProgramme {
            programme: "intensive".into(),
        })
        .then_refused_by(Rule::R2);
}

#[test]
fn an_unknown_or_workshop_programme_is_refused_naming_programme() {
    let s = active_in(team(), &girl_in_le());
    s.clone()
        .when(CaseCommand::AssignProgramme {
            programme: "pottery".into(),
        })
        .then_input_error("programme")
        .then_error(|e| assert!(e.to_string().contains("short_term"), "{e}"));
    s.clone()
        .when(CaseCommand::AssignProgramme {
            programme: "schools_workshops".into(),
        })
        .then_input_error("programme");
    let on = s
        .given(vec![CaseCommand::AssignProgramme {
            programme: "short_term".into(),
        }])
        .when(CaseCommand::AssignProgramme {
            programme: "short_term".into(),
        });
    on.then_input_error("programme");
}

#[test]
fn programmes_are_assigned_once_a_worker_holds_the_case() {
    Scenario::new(team())
        .given_referral(&girl_in_le(), self_referral(start()))
        .given(vec![CaseCommand::Screen])
        .when(CaseCommand::AssignProgramme {
            programme: "short_term".into(),
        })
        .then_error(|e| refused_at_stage(e, StageName::Screened));
}

#[test]
fn r11_expected_against_delivered_sessions_and_contacts_in_a_week() {
    // Intensive: 5-6 sessions a week and 2-3 contacts a day.
    let mut s = active_in(team(), &young_woman_in_le()).given(vec![CaseCommand::AssignProgramme {
        programme: "intensive".into(),
    }]);
    for day in 0..5 {
        let at = start() + Duration::days(day) + Duration::hours(1);
        s = s.at(at).given(vec![plan_at(at, &[])]);
        let session = last_session(&s);
        s = s.given(vec![hold(session, at, 60), contact_with_young_person(at)]);
        let later = at + Duration::minutes(30);
        s = s.at(later).given(vec![contact_with_young_person(later)]);
    }
    let report = cadence_report(s.case(), start(), start() + Duration::days(7));
    assert_eq!(report.working_seconds, 7 * 24 * 3600);
    assert_eq!(report.sessions.expected, Some(Span { min: 5, max: 6 }));
    assert_eq!(report.sessions.delivered, 5);
    assert_eq!(report.sessions.status, Some(CadenceStatus::OnTrack));
    assert_eq!(report.contacts.expected, Some(Span { min: 14, max: 21 }));
    assert_eq!(report.contacts.delivered, 10);
    assert_eq!(report.contacts.status, Some(CadenceStatus::Behind));
    // The window is half-open: a session at its end belongs to the next window.
    let before = cadence_report(
        s.case(),
        start(),
        start() + Duration::days(4) + Duration::hours(1),
    );
    assert_eq!(before.sessions.delivered, 4);
}

#[test]
fn r11_nothing_is_expected_before_work_begins_or_while_paused_and_the_cadence_in_force_counts() {
    // Weekly for the first two weeks, paused for one, then twice a week for two.
    let s = active()
        .later(Duration::weeks(2))
        .given(vec![CaseCommand::Pause {
            reason: PauseReason::Missing,
        }])
        .later(Duration::weeks(1))
        .given(vec![
            CaseCommand::Resume,
            CaseCommand::ChangeCadence {
                cadence: Cadence {
                    sessions_per_week: Some(Span { min: 2, max: 2 }),
                    contacts_per_day: None,
                },
                basis: CadenceBasis::Risk,
                reason: text("Missing for a week: seeing her twice a week"),
            },
        ]);
    let report = cadence_report(
        s.case(),
        start() - Duration::weeks(1),
        start() + Duration::weeks(5),
    );
    assert_eq!(report.working_seconds, 4 * 7 * 24 * 3600);
    assert_eq!(report.sessions.expected, Some(Span { min: 6, max: 6 }));
    assert_eq!(report.sessions.status, Some(CadenceStatus::Behind));
    assert_eq!(report.contacts.expected, None, "no contacts a day expected");
    // Before work began, nothing is expected.
    let before = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(to_allocation());
    let report = cadence_report(before.case(), start(), start() + Duration::weeks(4));
    assert_eq!(report.working_seconds, 0);
    assert_eq!(report.sessions.expected, Some(Span { min: 0, max: 0 }));
    assert_eq!(report.sessions.status, Some(CadenceStatus::OnTrack));
}

#[test]
fn r14_short_term_work_past_its_expected_length_is_shown_never_enforced() {
    let profile = team();
    let s = active_in(profile.clone(), &girl_in_le()).given(vec![CaseCommand::AssignProgramme {
        programme: "short_term".into(),
    }]);
    let at_ten_weeks = start() + Duration::weeks(10);
    let status =
        length_status(s.case(), &profile, at_ten_weeks).expect("a programme with a length");
    assert_eq!(status.expected_weeks, Span { min: 8, max: 10 });
    assert_eq!(status.weeks, 10);
    assert!(
        !status.past_expected,
        "exactly ten weeks is not past ten weeks"
    );
    let status = length_status(s.case(), &profile, at_ten_weeks + Duration::seconds(1)).unwrap();
    assert!(status.past_expected);
    // Never enforced: work carries on past it.
    s.at(start() + Duration::weeks(12))
        .when(plan_at(start() + Duration::weeks(12), &[]))
        .then_accepted();
    // A programme with no expected length shows none.
    let open_ended = active_in(profile.clone(), &young_woman_in_le()).given(vec![
        CaseCommand::AssignProgramme {
            programme: "intensive".into(),
        },
    ]);
    assert_eq!(
        length_status(open_ended.case(), &profile, start() + Duration::weeks(52)),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// From a front end: the new commands' JSON names the field of a problem.

#[test]
fn new_commands_decode_from_flat_json_naming_the_field_of_a_problem() {
    let session = SessionId::new();
    let ok = format!(
        r#"{{"command": "hold_session", "session": "{}", "held_at": "2026-03-05T16:00:00Z", "duration_minutes": 45, "topics": ["grooming process", "Housing and independent living"], "note": "Talked"}}"#,
        session.as_uuid()
    );
    match CaseCommand::from_json(&ok).unwrap() {
        CaseCommand::HoldSession { topics, .. } => {
            assert_eq!(topics[0], SessionTopic::GroomingProcess);
            assert_eq!(
                topics[1],
                SessionTopic::Service("Housing and independent living".into())
            );
        }
        other => panic!("decoded {other:?}"),
    }
    let bad_place = r#"{"command": "plan_session", "planned_for": "2026-03-05T16:00:00Z", "place": {"place": "the moon"}, "place_chosen_by_young_person": true}"#;
    match CaseCommand::from_json(bad_place) {
        Err(DomainError::Input(e)) => assert!(e.field.starts_with("place"), "{e}"),
        other => panic!("expected a bad place refused, got {other:?}"),
    }
    let unknown = r#"{"command": "record_contact", "kind": "call", "direction": "inbound", "with": {"with": "young_person"}, "at": "2026-03-05T16:00:00Z", "mood": "fine"}"#;
    match CaseCommand::from_json(unknown) {
        Err(DomainError::Input(e)) => assert_eq!(e.field, "mood"),
        other => panic!("expected the unknown field refused, got {other:?}"),
    }
    let empty_topic = r#"{"command": "plan_session", "planned_for": "2026-03-05T16:00:00Z", "place": {"place": "home"}, "place_chosen_by_young_person": false, "topics": [" "]}"#;
    match CaseCommand::from_json(empty_topic) {
        Err(DomainError::Input(e)) => assert_eq!(e.field, "topics[0]"),
        other => panic!("expected the empty topic refused, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Through the facade, on the in-memory store.

#[tokio::test]
async fn the_facade_reports_cadence_and_length_from_the_store() {
    let clock = Arc::new(ManualClock::starting_at(start()));
    let cw = Casework::new(MemoryStore::new(), team()).with_clock(clock.clone());
    let worker = Actor::worker("Sam Worker");
    let yp = cw
        .register_young_person(&worker, girl_in_le())
        .await
        .unwrap();
    let case = cw
        .receive_referral(&worker, yp, self_referral(start()))
        .await
        .unwrap();
    let mut steps = to_allocation();
    steps.extend(to_work());
    steps.push(CaseCommand::AssignProgramme {
        programme: "short_term".into(),
    });
    for command in steps {
        cw.execute(&worker, case, command).await.unwrap();
    }
    for week in 0..3 {
        clock.set(start() + Duration::weeks(week));
        let planned = cw
            .execute(&worker, case, plan_at(start() + Duration::weeks(week), &[]))
            .await
            .unwrap();
        clock.advance(Duration::hours(1));
        let session = planned.state.file().activity.sessions.last().unwrap().id;
        cw.execute(
            &worker,
            case,
            hold(session, start() + Duration::weeks(week), 50),
        )
        .await
        .unwrap();
    }
    let report = cw
        .cadence_report(case, start(), start() + Duration::weeks(4))
        .await
        .unwrap();
    assert_eq!(report.sessions.expected, Some(Span { min: 4, max: 4 }));
    assert_eq!(report.sessions.delivered, 3);
    assert_eq!(report.sessions.status, Some(CadenceStatus::Behind));
    clock.set(start() + Duration::weeks(11));
    let length = cw.length_status(case).await.unwrap().unwrap();
    assert!(length.past_expected);
    assert_eq!(length.weeks, 11);
    // The stored history folds to the same activity (R-18).
    let history = cw.history(case).await.unwrap();
    let folded = Case::fold(history.iter().map(|r| &r.event))
        .unwrap()
        .unwrap();
    assert_eq!(stored(&folded), stored(&cw.case(case).await.unwrap()));
}

#[tokio::test]
async fn a_long_case_loads_its_activity_from_a_snapshot_as_its_history_folds() {
    let clock = Arc::new(ManualClock::starting_at(start()));
    let cw = Casework::new(MemoryStore::new(), city_girls_service()).with_clock(clock.clone());
    let worker = Actor::worker("Sam Worker");
    let yp = cw
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    let case = cw
        .receive_referral(&worker, yp, self_referral(start()))
        .await
        .unwrap();
    let mut steps = to_allocation();
    steps.extend(to_work());
    for command in steps {
        cw.execute(&worker, case, command).await.unwrap();
    }
    // Past a snapshot (one every 64 events), with a pause in the middle.
    for i in 0..80 {
        clock.advance(Duration::hours(3));
        if i == 40 {
            cw.execute(
                &worker,
                case,
                CaseCommand::Pause {
                    reason: PauseReason::NoContact,
                },
            )
            .await
            .unwrap();
        }
        if i == 45 {
            cw.execute(&worker, case, CaseCommand::Resume)
                .await
                .unwrap();
        }
        let now = casework::kernel::clock::Clock::now(clock.as_ref());
        cw.execute(&worker, case, contact_with_young_person(now))
            .await
            .unwrap();
    }
    let loaded = cw.case(case).await.unwrap();
    let history = cw.history(case).await.unwrap();
    assert!(history.len() > 64);
    let folded = Case::fold(history.iter().map(|r| &r.event))
        .unwrap()
        .unwrap();
    assert_eq!(stored(&loaded), stored(&folded));
    assert_eq!(loaded.file().activity.contacts.len(), 80);
    assert_eq!(loaded.file().activity.pauses.len(), 1);
    assert_eq!(
        cadence_report(&loaded, start(), start() + Duration::days(30))
            .contacts
            .delivered,
        80
    );
}
