//! How much one request may hold (issue 17): the profile's `[limits]` (names 200 characters,
//! other text 100 KiB, 200 indicators, 200 items in other lists by default) are checked on
//! every command, referral and registration, each refusal naming the field and the limit, with
//! nothing written; NUL is refused in any text, and dates and times outside the years kept
//! (1900 to 9999, the same in every store) are refused by the domain, naming the field.
//!
//! All people and text are fictional.

use casework::case::{CaseCommand, Party, SessionPlace, StageName};
use casework::config::{load_profile_with, shipped};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::error::DomainError;
use casework::kernel::ids::{CaseId, SessionId};
use casework::kernel::input::{InputError, Text};
use casework::memory::MemoryStore;
use casework::policy::documents::ConfigError;
use casework::policy::limits::InputLimits;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::{PartnerService, ServiceProfile};
use casework::policy::risk::IndicatorAnswer;
use casework::policy::topic::SessionTopic;
use casework::young_person::YoungPersonDetails;
use casework::CommandError;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{girl_in_leeds_area, self_referral, text};
use chrono::{Duration, TimeZone, Utc};
use std::path::Path;

fn refused(result: Result<impl std::fmt::Debug, CommandError>) -> InputError {
    match result {
        Err(CommandError::Rejected(DomainError::Input(e))) => e,
        other => panic!("expected bad input, got {other:?}"),
    }
}

fn with_limits(limits: InputLimits) -> ServiceProfile {
    let mut profile = city_girls_service();
    profile.limits = limits;
    profile.validate().expect("the limits are valid");
    profile
}

fn small() -> InputLimits {
    InputLimits {
        name_chars: 32,
        text_bytes: 40,
        indicators: 8,
        list_items: 3,
    }
}

async fn history_len(desk: &Desk<MemoryStore>, case: CaseId) -> usize {
    desk.cw.history(case).await.unwrap().len()
}

/// A case at work with one session planned an hour ago, and the session.
async fn session_planned(desk: &Desk<MemoryStore>) -> (CaseId, SessionId) {
    let person = desk.register(girl_in_leeds_area()).await;
    let case = desk.at_work(person, &["older_boyfriend"]).await;
    desk.run(
        case,
        CaseCommand::PlanSession {
            planned_for: desk.now(),
            place: SessionPlace::YouthClub,
            place_chosen_by_young_person: true,
            topics: vec![SessionTopic::InternetSafety],
        },
    )
    .await;
    desk.advance(Duration::hours(1));
    let state = desk.cw.case(case).await.unwrap();
    (case, state.file().activity.sessions[0].id)
}

fn hold(session: SessionId, at: chrono::DateTime<Utc>, note: String) -> CaseCommand {
    CaseCommand::HoldSession {
        session,
        held_at: at,
        duration_minutes: 60,
        place: None,
        topics: vec![],
        resources: vec![],
        note: NewConfidential::new(Text::parse("note", note).unwrap()),
    }
}

#[tokio::test]
async fn a_note_of_100_kib_is_kept_and_one_byte_more_is_refused_naming_note() {
    let desk = Desk::new(MemoryStore::new());
    let (case, session) = session_planned(&desk).await;
    let before = history_len(&desk, case).await;
    let limit = InputLimits::default().text_bytes as usize;
    assert_eq!(limit, 102_400);

    let over = refused(
        desk.cw
            .execute(
                &desk.worker,
                case,
                hold(session, desk.now(), "a".repeat(limit + 1)),
            )
            .await,
    );
    assert_eq!(over.field, "note");
    assert!(over.problem.contains("102401 bytes"), "{}", over.problem);
    assert!(over.problem.contains("102400"), "{}", over.problem);
    assert!(
        over.problem.contains("limits.text_bytes"),
        "{}",
        over.problem
    );
    assert_eq!(history_len(&desk, case).await, before, "nothing written");

    desk.run(case, hold(session, desk.now(), "a".repeat(limit)))
        .await;
    assert_eq!(history_len(&desk, case).await, before + 1);
}

#[tokio::test]
async fn a_10_mb_note_is_refused_naming_note_and_not_stored() {
    let desk = Desk::new(MemoryStore::new());
    let (case, session) = session_planned(&desk).await;
    let before = history_len(&desk, case).await;
    let over = refused(
        desk.cw
            .execute(
                &desk.worker,
                case,
                hold(session, desk.now(), "She said ".repeat(1_200_000)),
            )
            .await,
    );
    assert_eq!(over.field, "note");
    assert!(over.problem.len() < 200, "the content is not echoed");
    assert_eq!(history_len(&desk, case).await, before);
}

#[tokio::test]
async fn a_name_of_name_chars_is_kept_and_one_more_is_refused_naming_it() {
    let desk = Desk::with_profile(MemoryStore::new(), with_limits(small()));
    let named = |name: &str| YoungPersonDetails {
        name: text(name),
        ..girl_in_leeds_area()
    };
    // Thirty-two characters, one of them two bytes.
    desk.register(named("Zoë Example-Fictional-Surname-Ab"))
        .await;
    let over = refused(
        desk.cw
            .register_young_person(&desk.worker, named("Zoë Example-Fictional-Surname-Abc"))
            .await,
    );
    assert_eq!(over.field, "name");
    assert!(over.problem.contains("33 characters"), "{}", over.problem);
    assert!(
        over.problem.contains("limits.name_chars"),
        "{}",
        over.problem
    );
}

#[tokio::test]
async fn indicators_up_to_the_limit_are_assessed_and_one_more_is_refused() {
    let desk = Desk::with_profile(MemoryStore::new(), with_limits(small()));
    let person = desk.register(girl_in_leeds_area()).await;
    let case = desk.refer(person, self_referral(desk.now())).await;
    desk.run(case, CaseCommand::Screen).await;
    let every: Vec<IndicatorAnswer> = desk
        .cw
        .profile()
        .risk_tool
        .indicators
        .iter()
        .map(|i| i.key.as_str().into())
        .collect();
    assert_eq!(every.len(), 8);
    let mut nine = every.clone();
    nine.push("missing_from_home".into());
    let over = refused(
        desk.cw
            .execute(
                &desk.worker,
                case,
                CaseCommand::AssessRisk {
                    indicators: nine,
                    worker_override: None,
                },
            )
            .await,
    );
    assert_eq!(over.field, "indicators");
    assert!(over.problem.contains("9 items"), "{}", over.problem);
    assert!(
        over.problem.contains("limits.indicators"),
        "{}",
        over.problem
    );
    desk.run(
        case,
        CaseCommand::AssessRisk {
            indicators: every,
            worker_override: None,
        },
    )
    .await;
    assert_eq!(
        desk.cw.case(case).await.unwrap().stage(),
        StageName::Assessed
    );
}

#[tokio::test]
async fn a_list_up_to_list_items_is_kept_and_one_more_is_refused_naming_it() {
    let desk = Desk::with_profile(MemoryStore::new(), with_limits(small()));
    let person = desk.register(girl_in_leeds_area()).await;
    let case = desk.at_work(person, &["older_boyfriend"]).await;
    let plan = |topics: &[SessionTopic]| CaseCommand::PlanSession {
        planned_for: desk.now() + Duration::days(7),
        place: SessionPlace::YouthClub,
        place_chosen_by_young_person: true,
        topics: topics.to_vec(),
    };
    let four = [
        SessionTopic::InternetSafety,
        SessionTopic::Sexting,
        SessionTopic::BeingMissing,
        SessionTopic::HealthyRelationships,
    ];
    let over = refused(desk.cw.execute(&desk.worker, case, plan(&four)).await);
    assert_eq!(over.field, "topics");
    assert!(
        over.problem.contains("limits.list_items"),
        "{}",
        over.problem
    );
    desk.run(case, plan(&four[..3])).await;

    // Other text is held to text_bytes: a goal of 41 bytes.
    let goal = CaseCommand::AddGoal {
        description: NewConfidential::new(text("x".repeat(41).as_str())),
        agreed_with: vec![Party::YoungPerson],
    };
    let over = refused(desk.cw.execute(&desk.worker, case, goal).await);
    assert_eq!(over.field, "description");
    assert!(over.problem.contains("41 bytes"), "{}", over.problem);
}

#[tokio::test]
async fn nul_is_refused_in_any_text_naming_the_field() {
    // `Text` refuses NUL when it is made; a plain string field is caught by the check.
    assert!(Text::parse("note", "a\0b").is_err());
    let desk = Desk::new(MemoryStore::new());
    let person = desk.register(girl_in_leeds_area()).await;
    let case = desk.assessed(person, &[]).await;
    let signpost = CaseCommand::Signpost {
        reason: Some(text("Better served nearer home").into()),
        to: Some(PartnerService {
            name: "Harbour\0Project".into(),
        }),
    };
    let nul = refused(desk.cw.execute(&desk.worker, case, signpost).await);
    assert_eq!(nul.field, "to.name");
    assert!(nul.problem.contains("NUL"), "{}", nul.problem);
}

#[tokio::test]
async fn years_outside_1900_to_9999_are_refused_by_the_domain_naming_the_field() {
    let desk = Desk::new(MemoryStore::new());
    let person = desk.register(girl_in_leeds_area()).await;
    let ancient = Utc.with_ymd_and_hms(-5000, 1, 1, 0, 0, 0).unwrap();
    let e = refused(
        desk.cw
            .receive_referral(&desk.worker, person, self_referral(ancient))
            .await,
    );
    assert_eq!(e.field, "received_at");
    assert!(e.problem.contains("-5000"), "{}", e.problem);
    assert!(e.problem.contains("1900 to 9999"), "{}", e.problem);

    let old = YoungPersonDetails {
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1899, 12, 31).unwrap(),
        ..girl_in_leeds_area()
    };
    let e = refused(desk.cw.register_young_person(&desk.worker, old).await);
    assert_eq!(e.field, "date_of_birth");

    let case = desk.at_work(person, &["older_boyfriend"]).await;
    let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    let e = refused(
        desk.cw
            .execute(
                &desk.worker,
                case,
                CaseCommand::PlanSession {
                    planned_for: far,
                    place: SessionPlace::YouthClub,
                    place_chosen_by_young_person: true,
                    topics: vec![],
                },
            )
            .await,
    );
    assert_eq!(e.field, "planned_for");
    // The last moment of 9999 is kept.
    let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    desk.run(
        case,
        CaseCommand::PlanSession {
            planned_for: last,
            place: SessionPlace::YouthClub,
            place_chosen_by_young_person: true,
            topics: vec![],
        },
    )
    .await;
}

/// The shipped city girls' profile with `edit` applied to its text.
fn city_girls_edited(edit: impl Fn(&str) -> String) -> Result<ServiceProfile, ConfigError> {
    let read = |path: &Path| -> std::io::Result<String> {
        let (_, text) = shipped::FILES
            .iter()
            .find(|(name, _)| path.ends_with(name))
            .expect("a shipped document");
        Ok(if path.ends_with("profiles/city-girls.toml") {
            edit(text)
        } else {
            (*text).to_owned()
        })
    };
    load_profile_with(Path::new("profiles/city-girls.toml"), &read)
}

#[test]
fn a_profile_document_sets_its_limits_and_time_zone_and_they_are_validated() {
    let shipped = shipped::profile("city-girls").expect("the shipped profile");
    assert_eq!(shipped.time_zone.name(), "Europe/London");
    assert_eq!(shipped.limits, InputLimits::default());

    let set = city_girls_edited(|t| {
        t.replace("\"Europe/London\"", "\"UTC\"")
            .replace("name_chars = 200", "name_chars = 80")
    })
    .unwrap();
    assert_eq!(set.time_zone.name(), "UTC");
    assert_eq!(set.limits.name_chars, 80);
    assert_eq!(set.limits.text_bytes, 102_400);

    let e = city_girls_edited(|t| t.replace("\"Europe/London\"", "\"Mars/Olympus\"")).unwrap_err();
    assert_eq!(e.field, "time_zone");
    assert!(e.problem.contains("IANA"), "{}", e.problem);
    let e = city_girls_edited(|t| t.replace("name_chars = 200", "name_chars = 31")).unwrap_err();
    assert_eq!(e.field, "limits.name_chars");
    // The shipped tool has eight indicators: a full assessment must fit.
    let e = city_girls_edited(|t| t.replace("indicators = 200", "indicators = 7")).unwrap_err();
    assert_eq!(e.field, "limits.indicators");
    let e = city_girls_edited(|t| t.replace("name_chars = 200", "name_charz = 200")).unwrap_err();
    assert_eq!(e.field, "limits.name_charz");
}
