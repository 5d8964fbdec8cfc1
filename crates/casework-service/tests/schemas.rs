//! The JSON Schemas (feature `schema`) describe what the service really answers: a story at
//! the testkit's desk (referrals, a case through intake to work, missing episodes, a workshop,
//! intelligence, shares, recorded reads, a legal hold) and every value it yields — what
//! `register` and `refer` return, every query's answer (each query's parameters given as JSON
//! that validates against its own schema), histories, states, disclosure views, the access
//! log, retention and the subject access export — validates against its type's schema.
#![cfg(feature = "schema")]

use casework_core::case::consent::{ConsentDecision, ConsentScope};
use casework_core::case::{
    Case, CaseCommand, CaseEvent, ClosureReason, ContactKind, ContactWith, Direction, MeetingKind,
    PartnerKind, PartnerReferralUpdate, Party, PauseReason, ReviewDecision, SessionPlace,
};
use casework_core::intelligence::{
    Intelligence, IntelligenceCommand, IntelligenceEvent, IntelligenceLink, NewIntelligence,
    PoliceChannel, Urgency,
};
use casework_core::kernel::confidential::{for_storage, NewConfidential};
use casework_core::kernel::event::{EventMeta, Recorded};
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::kernel::input::Postcode;
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::policy::programme::{Programme, ProgrammeKind, Span};
use casework_core::policy::risk::{IndicatorAnswer, Window};
use casework_core::policy::topic::SessionTopic;
use casework_core::privacy::access_log::AccessSubject;
use casework_core::privacy::disclosure::{Audience, ItemKind, OverrideRequest};
use casework_core::read::figures::{Figures, Shown, Suppression};
use casework_core::schema::{
    request_generator, response_generator, root_schema, Contract, JsonSchema, SchemaGenerator,
};
use casework_core::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, Workshop,
    WorkshopCommand, WorkshopEvent,
};
use casework_core::young_person::missing::ReturnInterviewOutcome;
use casework_core::young_person::{
    YoungPerson, YoungPersonCommand, YoungPersonDetails, YoungPersonEvent,
};
use casework_memory::MemoryStore;
use casework_service::queries::{self as q, Query};
use casework_service::{Referred, Registered, QUERIES};
use casework_testkit::desk::{allocate_to, Desk};
use casework_testkit::fixtures::{girl_in_leeds_area, professional_referral, social_worker, text};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Validators by schema, so each type's schema is compiled once.
struct Schemas {
    validators: BTreeMap<(String, bool), jsonschema::Validator>,
    /// How many values of each type were checked.
    checked: BTreeMap<String, usize>,
    /// Every type checked, as one OpenAPI document would gather them: one generator for what
    /// the API answers, one for what it reads.
    responses: SchemaGenerator,
    requests: SchemaGenerator,
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas {
            validators: BTreeMap::new(),
            checked: BTreeMap::new(),
            responses: response_generator(),
            requests: request_generator(),
        }
    }
}

/// Names a generator had to make unique (`Text2` beside `Text`): two types whose schemas
/// would share a name in one document.
fn clashing_names(generator: &SchemaGenerator) -> Vec<String> {
    let names = generator.definitions();
    names
        .keys()
        .filter(|name| {
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
            base.len() < name.len() && names.contains_key(base)
        })
        .cloned()
        .collect()
}

impl Schemas {
    fn validator<T: JsonSchema>(&mut self, contract: Contract) -> &jsonschema::Validator {
        let key = (T::schema_id().into_owned(), contract.is_serialize());
        self.validators.entry(key).or_insert_with(|| {
            let schema = root_schema::<T>(contract).to_value();
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("{}: not a valid schema: {e}", T::schema_name()))
        })
    }

    fn violations<T: JsonSchema>(&mut self, contract: Contract, json: &Value) -> Vec<String> {
        if contract.is_deserialize() {
            self.requests.subschema_for::<T>();
        }
        self.validator::<T>(contract)
            .iter_errors(json)
            .map(|e| format!("{e} at `{}`", e.instance_path))
            .collect()
    }

    /// `value` as serialized (for storage: confidential content included) validates against
    /// `T`'s schema of what it writes.
    fn written<T: JsonSchema + Serialize>(&mut self, value: &T) -> Value {
        let json = for_storage(|| serde_json::to_value(value)).expect("serializes");
        let errors = self.violations::<T>(Contract::Serialize, &json);
        assert!(
            errors.is_empty(),
            "{} as written does not validate: {errors:#?}\n{json:#}",
            T::schema_name()
        );
        *self
            .checked
            .entry(T::schema_name().into_owned())
            .or_default() += 1;
        self.responses.subschema_for::<T>();
        json
    }

    /// [`Schemas::written`], and what was written validates against the schema of what `T`
    /// reads and reads back as the same value.
    fn round_trip<T>(&mut self, value: &T)
    where
        T: JsonSchema + Serialize + DeserializeOwned + std::fmt::Debug,
    {
        let json = self.written(value);
        let errors = self.violations::<T>(Contract::Deserialize, &json);
        assert!(
            errors.is_empty(),
            "{} as read does not validate: {errors:#?}\n{json:#}",
            T::schema_name()
        );
        // Read back as storage reads it: an actor (who acted) deserializes only there.
        let back: T = for_storage(|| serde_json::from_value(json.clone())).expect("reads back");
        // Compared as written: records holding confidential content have no `==`.
        assert_eq!(self.written(&back), json, "{} reads back", T::schema_name());
    }

    /// Each recorded event: its envelope, stream and event.
    fn history<E>(&mut self, history: &[Recorded<E>])
    where
        E: JsonSchema + Serialize + DeserializeOwned + std::fmt::Debug,
    {
        assert!(!history.is_empty(), "a history to check");
        for recorded in history {
            self.round_trip::<EventMeta>(&recorded.meta);
            self.round_trip::<StreamId>(&recorded.stream);
            self.round_trip::<E>(&recorded.event);
        }
    }
}

/// Asks query `Q` with `params` as a front end sends them: the JSON validates against `Q`'s
/// schema and decodes; the answer validates against its own. The answer's JSON.
async fn ask<Q>(desk: &Desk<MemoryStore>, schemas: &mut Schemas, params: Value) -> Value
where
    Q: Query + JsonSchema + DeserializeOwned,
    Q::Output: JsonSchema + Serialize,
{
    let errors = schemas.violations::<Q>(Contract::Deserialize, &params);
    assert!(
        errors.is_empty(),
        "`{}` parameters {params} do not validate: {errors:#?}",
        Q::NAME
    );
    let query: Q = serde_json::from_value(params).expect("the parameters decode");
    let answer = desk.cw.query(query).await.expect("the query is answered");
    schemas.written(&answer)
}

/// The city girls' service with a one-to-one programme of eight to twelve weeks.
fn profile() -> casework_core::policy::profile::ServiceProfile {
    let mut profile = city_girls_service();
    profile.programmes.push(Programme {
        key: "one_to_one".into(),
        name: "One-to-one support".into(),
        kind: ProgrammeKind::OneToOne,
        eligibility: None,
        sessions_per_week: Some(Span { min: 1, max: 2 }),
        contacts_per_day: None,
        expected_weeks: Some(Span { min: 8, max: 12 }),
        reviews: None,
        topics: vec!["housing and independent living".into()],
        evaluation_forms: true,
    });
    profile
}

fn other_girl(name: &str, postcode: &str, born: NaiveDate) -> YoungPersonDetails {
    YoungPersonDetails {
        name: text(name),
        date_of_birth: born,
        postcode: Postcode::parse(postcode).unwrap(),
        ..girl_in_leeds_area()
    }
}

async fn case_state(desk: &Desk<MemoryStore>, case: CaseId) -> Case {
    desk.cw.case(case).await.unwrap()
}

#[tokio::test]
async fn everything_the_story_yields_validates_against_its_schema() {
    let desk = Desk::with_profile(MemoryStore::new(), profile()).ticking(Duration::hours(3));
    let mut schemas = Schemas::default();
    let worker = desk.acting_as(&desk.worker);
    let manager = desk.acting_as(&desk.manager);
    let admin = desk.acting_as(&desk.admin);

    // Registrations and a referral, as the API answers them; the second registration of the
    // same details is flagged as a possible duplicate.
    let registered: Registered = worker.register(girl_in_leeds_area()).await.unwrap();
    schemas.written(&registered);
    let amy = registered.young_person;
    let again: Registered = worker.register(girl_in_leeds_area()).await.unwrap();
    assert!(!again.possible_duplicates.is_empty());
    schemas.written(&again);
    schemas.round_trip(&worker.check_duplicates(again.young_person).await.unwrap());
    let professional = social_worker();
    let referred: Referred = worker
        .refer(amy, professional_referral(professional.clone(), desk.now()))
        .await
        .unwrap();
    schemas.written(&referred);
    let case = referred.case;

    // The case from intake to work, with something of every kind of activity.
    let run = |command: CaseCommand| desk.run(case, command);
    run(CaseCommand::RecordProfessional {
        professional: professional.clone(),
    })
    .await;
    run(desk.consent(ConsentScope::Referral, ConsentDecision::Given)).await;
    run(desk.consent(ConsentScope::Engagement, ConsentDecision::Given)).await;
    run(desk.consent(ConsentScope::SharingWithReferrer, ConsentDecision::Given)).await;
    run(CaseCommand::Screen).await;
    run(CaseCommand::AssessRisk {
        indicators: vec![
            "older_boyfriend".into(),
            IndicatorAnswer::within("missing_from_home", Window::SixTo12Months),
            IndicatorAnswer::last_seen(
                "unexplained_gifts",
                desk.now().date_naive() - Duration::days(20),
            ),
        ],
        worker_override: None,
    })
    .await;
    run(CaseCommand::AcceptForSupport).await;
    run(allocate_to(&desk.worker)).await;
    run(CaseCommand::AgreePlan {
        plan: NewConfidential::new(text("Weekly sessions at school")),
    })
    .await;
    run(CaseCommand::BeginWork).await;
    run(CaseCommand::AssignProgramme {
        programme: "one_to_one".into(),
    })
    .await;
    for owed in case_state(&desk, case).await.file().owed.clone() {
        run(CaseCommand::MarkActionSent {
            action: owed.id,
            reference: text("LETTER-0001"),
            sent_at: desk.now(),
        })
        .await;
    }
    run(CaseCommand::AddGoal {
        description: NewConfidential::new(text("Feel safe walking home")),
        agreed_with: vec![Party::YoungPerson, Party::Professional(professional.id)],
    })
    .await;
    for place in [
        SessionPlace::School,
        SessionPlace::YouthClub,
        SessionPlace::Home,
    ] {
        run(CaseCommand::PlanSession {
            planned_for: desk.now() + Duration::hours(1),
            place,
            place_chosen_by_young_person: true,
            topics: vec![
                SessionTopic::GroomingProcess,
                SessionTopic::Service("housing and independent living".into()),
            ],
        })
        .await;
    }
    let sessions = case_state(&desk, case)
        .await
        .file()
        .activity
        .sessions
        .clone();
    run(CaseCommand::HoldSession {
        session: sessions[0].id,
        held_at: desk.now(),
        duration_minutes: 60,
        place: None,
        topics: vec![],
        resources: vec![text("Fictional workbook")],
        note: NewConfidential::new(text("Talked about her friends")),
    })
    .await;
    run(CaseCommand::CancelSession {
        session: sessions[1].id,
        by: casework_core::case::CancelledBy::YoungPerson,
        reason: Some(text("Exams").into()),
    })
    .await;
    run(CaseCommand::RecordNonAttendance {
        session: sessions[2].id,
    })
    .await;
    run(CaseCommand::RecordContact {
        kind: ContactKind::Text,
        direction: Direction::Outbound,
        with: ContactWith::YoungPerson,
        at: desk.now(),
    })
    .await;
    run(CaseCommand::RecordMeeting {
        kind: MeetingKind::StrategyDiscussion,
        held_at: desk.now(),
        service_attended: true,
        actions: vec![casework_core::case::MeetingAction {
            action: text("Share the chronology").into(),
            by_whom: Some(text("Sam Worker")),
            due_on: Some(desk.now().date_naive() + Duration::days(7)),
        }],
    })
    .await;
    run(desk.consent(
        ConsentScope::SharingWithAgency {
            agency: text("Fictional Housing Trust"),
        },
        ConsentDecision::Given,
    ))
    .await;
    run(CaseCommand::ReferToPartner {
        partner: PartnerKind::Housing,
        agency: text("Fictional Housing Trust"),
        sent_at: desk.now(),
    })
    .await;
    let referral = case_state(&desk, case)
        .await
        .file()
        .activity
        .partner_referrals[0]
        .id;
    run(CaseCommand::UpdatePartnerReferral {
        referral,
        update: PartnerReferralUpdate::Accepted,
        at: desk.now(),
    })
    .await;
    run(CaseCommand::Pause {
        reason: PauseReason::Missing,
    })
    .await;
    run(CaseCommand::Resume).await;
    run(CaseCommand::RecordReview {
        indicators: vec!["older_boyfriend".into()],
        worker_override: None,
        decision: ReviewDecision::Continue,
    })
    .await;
    let goal = case_state(&desk, case).await.file().activity.goals[0].id;
    run(CaseCommand::AchieveGoal {
        goal,
        achieved_at: desk.now(),
    })
    .await;

    // Beth waits; Cara's case closes and she joins the alumni group.
    let beth = desk
        .register(other_girl(
            "Beth Example",
            "LS11 5XY",
            NaiveDate::from_ymd_opt(2010, 2, 1).unwrap(),
        ))
        .await;
    let waiting = desk.assessed(beth, &["school_absence"]).await;
    desk.run(waiting, CaseCommand::AddToWaitingList).await;
    let cara = desk
        .register(other_girl(
            "Cara Example",
            "WF10 1AB",
            NaiveDate::from_ymd_opt(2009, 8, 30).unwrap(),
        ))
        .await;
    let closed = desk
        .engaged_with(cara, &["older_boyfriend"], &desk.worker)
        .await;
    desk.run(
        closed,
        CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        },
    )
    .await;
    desk.run_for(cara, YoungPersonCommand::JoinAlumni).await;

    // Amy goes missing three times in a month: a flag.
    let first = desk.now() + Duration::days(1);
    let episode = desk.episode(amy, first, first + Duration::hours(20)).await;
    desk.episode(amy, first + Duration::days(5), first + Duration::days(6))
        .await;
    desk.episode(amy, first + Duration::days(12), first + Duration::days(13))
        .await;
    let episode_id = episode
        .events
        .iter()
        .find_map(|e| match e {
            YoungPersonEvent::MissingEpisodeStarted { episode, .. } => Some(*episode),
            _ => None,
        })
        .unwrap();
    desk.run_for(
        amy,
        YoungPersonCommand::RecordReturnInterview {
            episode: episode_id,
            outcome: ReturnInterviewOutcome::Completed,
            at: desk.now(),
        },
    )
    .await;

    // A workshop at a school, with Amy there and identified as vulnerable.
    let workshop = worker
        .plan_workshop(NewWorkshop {
            venue: Venue {
                kind: VenueKind::School,
                name: text("Fictional High School"),
            },
            date: desk.now().date_naive(),
            age_group: AgeGroup { min: 13, max: 15 },
            topics: vec![SessionTopic::InternetSafety],
            programme: None,
        })
        .await
        .unwrap();
    for command in [
        WorkshopCommand::RecordAttendance {
            young_people: vec![amy],
            anonymous: 24,
        },
        WorkshopCommand::IdentifyVulnerable {
            young_person: amy,
            concerns: NewConfidential::new(text("Spoke of an older friend")),
        },
        WorkshopCommand::HoldTutorial {
            young_person: amy,
            held_at: desk.now(),
            duration_minutes: 30,
            note: NewConfidential::new(text("Keeping safe online")),
        },
        WorkshopCommand::RecordEvaluation {
            respondent: Respondent::YoungPerson { id: amy },
            answers: vec![EvaluationAnswer {
                question: text("I know where to get help"),
                before: 2,
                after: 4,
            }],
            learnt: Some(NewConfidential::new(text("Who to tell"))),
        },
        WorkshopCommand::RecordEvaluation {
            respondent: Respondent::Anonymous,
            answers: vec![EvaluationAnswer {
                question: text("I know where to get help"),
                before: 3,
                after: 3,
            }],
            learnt: None,
        },
    ] {
        worker.execute_workshop(workshop, command).await.unwrap();
    }

    // Intelligence: one report passed to the police, one awaiting them.
    let mut reports = Vec::new();
    for (urgency, links) in [
        (Urgency::ImmediateRisk, vec![IntelligenceLink::Case(case)]),
        (Urgency::NonUrgent, vec![IntelligenceLink::YoungPerson(amy)]),
    ] {
        reports.push(
            worker
                .record_intelligence(NewIntelligence {
                    report: NewConfidential::new(text("A fictional car seen outside school")),
                    urgency,
                    links,
                    learnt_at: desk.now(),
                })
                .await
                .unwrap(),
        );
    }
    worker
        .execute_intelligence(
            reports[0],
            IntelligenceCommand::PassToPolice {
                channel: PoliceChannel::ImmediateCall,
                reference: text("POL-2026-0001"),
                passed_at: desk.now(),
            },
        )
        .await
        .unwrap();

    // Shares and a recorded read.
    schemas.written(&worker.share(case, Audience::Referrer).await.unwrap());
    let override_view = manager
        .share_under_override(
            case,
            OverrideRequest {
                audience: Audience::Police {
                    agency: text("Fictional Constabulary"),
                },
                items: vec![
                    ItemKind::SessionContent,
                    ItemKind::RiskLevel,
                    ItemKind::Concerns,
                ],
                legal_basis: "Children Act 1989 s47 (fictional test)".into(),
                concern: "Seen getting into a car with an older man".into(),
            },
        )
        .await
        .unwrap();
    schemas.written(&override_view);
    worker
        .open_record(case, "preparing for Thursday's session")
        .await
        .unwrap();

    // A legal hold on Cara's records, placed and lifted, and another placed.
    let hold = admin
        .place_legal_hold(cara, "Fictional litigation")
        .await
        .unwrap();
    schemas.round_trip(&hold);
    schemas.round_trip(
        &admin
            .lift_legal_hold(cara, hold.id, "Litigation settled")
            .await
            .unwrap(),
    );
    schemas.round_trip(
        &admin
            .place_legal_hold(cara, "A second, fictional claim")
            .await
            .unwrap(),
    );

    // Every query, its parameters as JSON.
    let now = desk.now();
    let (from, to) = (now - Duration::days(400), now + Duration::days(400));
    let day = |at: DateTime<Utc>| at.date_naive().to_string();
    let mut asked = BTreeSet::new();
    macro_rules! query {
        ($ty:ty, $params:expr, non_empty) => {{
            let answer = ask::<$ty>(&desk, &mut schemas, $params).await;
            assert!(
                answer.as_array().is_none_or(|rows| !rows.is_empty()),
                "`{}` answered nothing: the story should give it rows",
                <$ty as Query>::NAME
            );
            asked.insert(<$ty as Query>::NAME);
            answer
        }};
    }
    query!(q::ReviewsDue, json!({"from": from, "to": to}), non_empty);
    query!(
        q::CasesPastExpectedLength,
        json!({"as_of": now + Duration::weeks(20)}),
        non_empty
    );
    query!(q::OpenCases, json!({"worker": null}), non_empty);
    query!(q::OpenCases, json!({"worker": desk.worker.id}), non_empty);
    query!(
        q::CadenceAcrossOpenCases,
        json!({"from": from, "to": to}),
        non_empty
    );
    query!(q::PartnerReferrals, json!({"status": null}), non_empty);
    query!(
        q::PartnerReferrals,
        json!({"status": "accepted"}),
        non_empty
    );
    query!(q::ClosedCases, json!({"young_person": null}), non_empty);
    query!(q::ClosedCases, json!({"young_person": cara}), non_empty);
    query!(q::AllReturnInterviewsDue, json!({"as_of": now}), non_empty);
    query!(
        q::OverdueReturnInterviews,
        json!({"as_of": now + Duration::days(30)}),
        non_empty
    );
    query!(q::FlaggedYoungPeople, json!({}), non_empty);
    query!(q::AlumniMembers, json!({}), non_empty);
    query!(
        q::WorkshopReachIn,
        json!({"from": day(from), "to": day(to)}),
        non_empty
    );
    let report = json!({"request": {
        "from": day(from), "to": day(to),
        "scope": {"kind": "service"},
        "age_bands": {"starts": [13, 16, 18]},
    }});
    query!(q::ServiceReport, report, non_empty);
    query!(q::IntelligenceAwaitingPolice, json!({}), non_empty);
    query!(q::WaitingList, json!({}), non_empty);
    query!(q::OutstandingActions, json!({}), non_empty);
    // Reviews fall overdue as time passes.
    desk.advance(Duration::days(200));
    query!(q::OverdueReviews, json!({}), non_empty);
    query!(q::PossibleDuplicatesAwaitingDecision, json!({}), non_empty);
    let every: BTreeSet<_> = QUERIES.iter().map(|i| i.name).collect();
    assert_eq!(asked, every, "every query is asked");

    // Figures as published, small numbers hidden.
    let figures: Figures = desk
        .cw
        .report(&casework_core::read::figures::ReportRequest::new(
            from.date_naive(),
            to.date_naive(),
        ))
        .await
        .unwrap();
    schemas.round_trip(&figures);
    let published: Figures<Shown> = figures.publish(&Suppression::default());
    schemas.round_trip(&published);

    // Histories and states.
    for case in [case, waiting, closed] {
        schemas.history::<CaseEvent>(&desk.cw.history(case).await.unwrap());
        schemas.round_trip::<Case>(&desk.cw.case(case).await.unwrap());
        schemas.round_trip(&worker.cadence_report(case, from, to).await.unwrap());
        schemas.round_trip(&worker.risk_trend(case).await.unwrap());
        schemas.round_trip(&desk.cw.risk_trajectory(case).await.unwrap());
        if let Some(status) = worker.length_status(case).await.unwrap() {
            schemas.round_trip(&status);
        }
    }
    schemas.history::<casework_core::privacy::disclosure::DisclosureEvent>(
        &manager.disclosures(case).await.unwrap(),
    );
    for person in [amy, beth, cara] {
        schemas.history::<YoungPersonEvent>(&desk.cw.young_person_history(person).await.unwrap());
        schemas.round_trip::<YoungPerson>(&desk.cw.young_person(person).await.unwrap());
        schemas.round_trip(&desk.cw.young_person_activity(person).await.unwrap());
        schemas.round_trip(&worker.return_interviews_due(person).await.unwrap());
    }
    schemas.history::<WorkshopEvent>(&desk.cw.workshop_history(workshop).await.unwrap());
    schemas.round_trip::<Workshop>(&desk.cw.workshop(workshop).await.unwrap());
    for report in reports {
        schemas.history::<IntelligenceEvent>(&desk.cw.intelligence_history(report).await.unwrap());
        schemas.round_trip::<Intelligence>(&desk.cw.intelligence(report).await.unwrap());
    }
    schemas.round_trip(&desk.cw.cases_of(amy).await.unwrap());

    // The audit logs, retention and the subject access export.
    for share in manager.disclosure_log(from, to).await.unwrap() {
        schemas.round_trip(&share);
    }
    let overrides = manager.override_report(from, to).await.unwrap();
    assert!(!overrides.is_empty());
    schemas.round_trip(&overrides);
    let reads = manager
        .access_log(AccessSubject::Case {
            case,
            young_person: amy,
        })
        .await
        .unwrap();
    assert!(!reads.is_empty());
    schemas.round_trip(&reads);
    schemas.round_trip(&admin.legal_holds().await.unwrap());
    schemas.round_trip(&admin.retention_record(cara).await.unwrap());
    schemas.round_trip(&admin.erasure_log(from, to).await.unwrap());
    for person in [amy, cara] {
        schemas.round_trip(&admin.retention_status(person, now).await.unwrap());
    }
    schemas.round_trip(
        &admin
            .retention_review(now + Duration::days(365 * 12))
            .await
            .unwrap(),
    );
    let export = admin
        .subject_access_export(amy, "Amy asked for her records")
        .await
        .unwrap();
    schemas.round_trip(&export);

    eprintln!("checked: {:#?}", schemas.checked);
    assert_eq!(clashing_names(&schemas.responses), Vec::<String>::new());
    assert_eq!(clashing_names(&schemas.requests), Vec::<String>::new());
    assert!(schemas
        .responses
        .definitions()
        .contains_key("Figures_of_Shown"));
}

/// The query parameter schemas refuse what the decoder refuses: an unknown field, a missing
/// one, a value of the wrong kind.
#[test]
fn query_parameters_outside_the_schema_do_not_decode() {
    let mut schemas = Schemas::default();
    let id = YoungPersonId::new();
    let cases: Vec<(Value, bool)> = vec![
        (json!({"young_person": id}), true),
        (json!({"young_person": null}), true),
        (json!({"young_person": id, "worker": null}), false),
        (json!({"young_person": "yp-1"}), false),
        (json!({"young_person": 7}), false),
    ];
    for (params, accepted) in cases {
        let decoded = serde_json::from_value::<q::ClosedCases>(params.clone());
        let errors = schemas.violations::<q::ClosedCases>(Contract::Deserialize, &params);
        assert_eq!(decoded.is_ok(), accepted, "the decoder on {params}");
        assert_eq!(
            errors.is_empty(),
            accepted,
            "the schema on {params}: {errors:?}"
        );
    }
    let cases: Vec<(Value, bool)> = vec![
        (
            json!({"from": "2026-03-02T09:00:00Z", "to": "2026-04-02T09:00:00Z"}),
            true,
        ),
        (json!({"from": "2026-03-02T09:00:00Z"}), false),
        (json!({"from": "2026-03-02", "to": "2026-04-02"}), false),
        (
            json!({"from": "2026-03-02T09:00:00Z", "to": "2026-04-02T09:00:00Z", "x": 1}),
            false,
        ),
    ];
    for (params, accepted) in cases {
        let decoded = serde_json::from_value::<q::ReviewsDue>(params.clone());
        let errors = schemas.violations::<q::ReviewsDue>(Contract::Deserialize, &params);
        assert_eq!(decoded.is_ok(), accepted, "the decoder on {params}");
        assert_eq!(
            errors.is_empty(),
            accepted,
            "the schema on {params}: {errors:?}"
        );
    }
}
