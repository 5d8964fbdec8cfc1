//! Issue 14: a command that creates something answers its id, as displayed, in `created`
//! (a goal, a session, a pending approval…), found from the events it recorded; a command that
//! creates nothing answers `created: []`. Over real HTTP against a SQLite file the test's desk
//! shares. Fictional people only.

use casework_core::case::{CaseCommand, ClosureReason, Party, SessionPlace};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::input::Text;
use casework_core::policy::profile::examples::city_girls_service;
use casework_http::ApiTokens;
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures;
use chrono::Duration;
use serde_json::Value;
use std::sync::Arc;

mod support;

const WORKER: &str = "fictional-created-worker-token";

async fn post(addr: std::net::SocketAddr, path: &str, body: String) -> (u16, Value) {
    let reply = support::send(addr, "POST", path, Some(WORKER), &[], Some(&body)).await;
    (reply.status, reply.body)
}

fn created(outcome: &Value) -> Vec<String> {
    outcome["created"]
        .as_array()
        .unwrap_or_else(|| panic!("no `created` list: {outcome}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_answers_the_ids_of_what_it_created() {
    let path =
        std::env::temp_dir().join(format!("casework-created-ids-{}.db", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&path).unwrap();
    store.migrate().await.unwrap();
    // Closing needs a manager's approval, so a worker's close creates a pending one.
    let mut profile = city_girls_service();
    profile.approvals.closure = true;
    let desk = Desk::with_profile(store, profile.clone());
    let (_, case) = desk
        .person_at_work(fixtures::girl_in_leeds_area(), &[])
        .await;

    let casework = Arc::new(
        Casework::new(SqliteStore::open(&path).unwrap(), profile).with_clock(desk.clock.clone()),
    );
    let tokens = ApiTokens::new().with_hash(&ApiTokens::hash(WORKER), desk.worker.clone());
    let app = casework_http::router(casework, tokens, desk.directory.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let commands = format!("/cases/{}/commands", case.as_uuid());
    let run = |command: CaseCommand| {
        let commands = commands.clone();
        async move {
            let (status, body) = post(addr, &commands, command.to_json()).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };

    let goal = run(CaseCommand::AddGoal {
        description: NewConfidential::new(Text::parse("description", "Know who to call").unwrap()),
        agreed_with: vec![Party::YoungPerson],
    })
    .await;
    let ids = created(&goal);
    assert_eq!(ids.len(), 1, "{goal}");
    assert!(ids[0].starts_with("goal-"), "{goal}");
    // The goal's event is sealed (its description is confidential): its id is still answered.
    assert_eq!(goal["events"][0]["sealed"], true, "{goal}");

    desk.advance(Duration::hours(1));
    let session = run(CaseCommand::PlanSession {
        planned_for: desk.now() + Duration::days(2),
        place: SessionPlace::YouthClub,
        place_chosen_by_young_person: true,
        topics: vec![],
    })
    .await;
    let ids = created(&session);
    assert_eq!(
        ids,
        vec![format!(
            "session-{}",
            session["events"][0]["session"].as_str().unwrap()
        )],
        "{session}"
    );

    // Recording that she did not come, once the session is past, creates nothing.
    desk.advance(Duration::days(3));
    let nothing = run(CaseCommand::RecordNonAttendance {
        session: session["events"][0]["session"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    })
    .await;
    assert_eq!(created(&nothing), Vec::<String>::new(), "{nothing}");

    let approval = run(CaseCommand::Close {
        reason: ClosureReason::MovedOutOfArea,
    })
    .await;
    let ids = created(&approval);
    assert_eq!(
        ids,
        vec![format!(
            "approval-{}",
            approval["events"][0]["approval"]["id"].as_str().unwrap()
        )],
        "{approval}"
    );
    // Written in the new form: the step and its reason tagged `kind`.
    assert_eq!(approval["events"][0]["approval"]["step"]["kind"], "close");
    assert_eq!(
        approval["events"][0]["approval"]["step"]["reason"]["kind"],
        "moved_out_of_area"
    );

    let _ = std::fs::remove_file(&path);
}
