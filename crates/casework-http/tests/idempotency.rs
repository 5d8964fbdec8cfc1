//! `Idempotency-Key` on every command route over real HTTP: young-person commands, workshop
//! plans and commands, intelligence records and commands (case commands, registration and
//! referral are in `api.rs`). A server on `127.0.0.1:0` over a SQLite file, driven by a small
//! HTTP/1.1 client, as in `api.rs`. Fictional people only.

use casework_core::kernel::actor::Actor;
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_http::ApiTokens;
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use chrono::Duration;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

mod support;
use support::{assert_problem, Reply};

const WORKER: &str = "fictional-worker-token";
/// Another worker: the same key means nothing to their account.
const COLLEAGUE: &str = "fictional-colleague-token";
const MANAGER: &str = "fictional-manager-token";
/// An administrator: holds are theirs to place (`manage_retention`).
const ADMIN: &str = "fictional-administrator-token";

struct Server {
    addr: SocketAddr,
}

async fn server() -> Server {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(fixtures::clock());
    let casework = Arc::new(Casework::new(store, city_girls_service()).with_clock(clock));
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let directory = StaffDirectory::new().team(manager.id, [worker.id]);
    let tokens = ApiTokens::new()
        .with_hash(&ApiTokens::hash(WORKER), worker)
        .with_hash(
            &ApiTokens::hash(COLLEAGUE),
            Actor::worker("Casey Colleague"),
        )
        .with_hash(&ApiTokens::hash(MANAGER), manager)
        .with_hash(
            &ApiTokens::hash(ADMIN),
            Actor::new(
                "Ada Administrator",
                casework_core::kernel::actor::Role::Administrator,
            ),
        );
    let app = casework_http::router(casework, tokens, directory);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { addr }
}

impl Server {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        support::send(self.addr, method, path, Some(token), extra, body).await
    }

    async fn keyed(&self, path: &str, token: &str, key: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            token,
            &[("Idempotency-Key", key)],
            Some(&body.to_string()),
        )
        .await
    }

    /// The version a stream's `…/commands` route finds it at, read without writing: a
    /// command under an `If-Match` no stream is at is `412` naming the current version.
    async fn version(&self, commands: &str, probe: &Value) -> u64 {
        let reply = self
            .send(
                "POST",
                commands,
                WORKER,
                &[("If-Match", "\"999999\"")],
                Some(&probe.to_string()),
            )
            .await;
        assert_problem(&reply, 412, "conflict");
        reply.body["current_version"].as_u64().unwrap()
    }

    /// A young person registered by the worker.
    async fn registered(&self) -> String {
        let body = serde_json::to_string(&fixtures::girl_in_leeds_area()).unwrap();
        let reply = self
            .send("POST", "/young-people", WORKER, &[], Some(&body))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.body["young_person"].as_str().unwrap().to_owned()
    }
}

/// A retried command answered its first outcome.
fn assert_same_outcome(retry: &Reply, first: &Reply) {
    assert_eq!(retry.status, first.status, "{}", retry.text);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.headers.get("etag"), first.headers.get("etag"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_young_person_command_answers_its_first_outcome_and_appends_nothing() {
    let s = server().await;
    let person = s.registered().await;
    let commands = format!("/young-people/{person}/commands");
    let start = json!({
        "command": "start_missing_episode",
        "started_at": fixtures::start() - Duration::hours(3),
    });
    let first = s.keyed(&commands, WORKER, "missing-4e1a", &start).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let at = first.body["version"].as_u64().unwrap();
    assert_eq!(first.headers["etag"], format!("\"{at}\""));

    let retry = s.keyed(&commands, WORKER, "missing-4e1a", &start).await;
    assert_same_outcome(&retry, &first);
    let read = s
        .send("GET", &format!("/young-people/{person}"), WORKER, &[], None)
        .await;
    assert_eq!(
        read.headers["etag"],
        format!("\"{at}\""),
        "nothing appended"
    );

    // Another body under the key: 422, nothing written.
    let later = json!({
        "command": "start_missing_episode",
        "started_at": fixtures::start() - Duration::hours(2),
    });
    let reused = s.keyed(&commands, WORKER, "missing-4e1a", &later).await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    assert_eq!(reused.body["field"], "Idempotency-Key");
    assert_eq!(s.version(&commands, &start).await, at);

    // The colleague's same key and body are theirs: decided afresh (the young person is
    // still missing, so refused), not the worker's outcome replayed.
    let theirs = s.keyed(&commands, COLLEAGUE, "missing-4e1a", &start).await;
    assert_problem(&theirs, 400, "bad_input");
    assert_eq!(theirs.body["field"], "started_at", "{}", theirs.text);
    // And under it the colleague's own command is carried out, not refused as reused.
    let episode = first.body["events"][0]["episode"].as_str().unwrap();
    let end = json!({
        "command": "end_missing_episode",
        "episode": episode,
        "returned_at": fixtures::start() - Duration::hours(1),
    });
    let ended = s.keyed(&commands, COLLEAGUE, "missing-4e1a", &end).await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert!(ended.body["version"].as_u64().unwrap() > at);
    let again = s.keyed(&commands, COLLEAGUE, "missing-4e1a", &end).await;
    assert_same_outcome(&again, &ended);
    // The worker's retry still answers the worker's first outcome.
    let retry = s.keyed(&commands, WORKER, "missing-4e1a", &start).await;
    assert_same_outcome(&retry, &first);

    // A malformed key is a 400 naming the header.
    let bad = s.keyed(&commands, WORKER, &"k".repeat(300), &start).await;
    assert_problem(&bad, 400, "bad_input");
    assert_eq!(bad.body["field"], "Idempotency-Key", "{}", bad.text);
}

fn workshop(venue: &str) -> Value {
    json!({
        "venue": {"kind": "school", "name": venue},
        "date": fixtures::start().date_naive(),
        "age_group": {"min": 13, "max": 15},
        "topics": ["grooming_process"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_workshop_plan_and_command_answer_their_first_outcome() {
    let s = server().await;
    let planned = s
        .keyed(
            "/workshops",
            WORKER,
            "plan-0c3d",
            &workshop("Fictional Academy"),
        )
        .await;
    assert_eq!(planned.status, 201, "{}", planned.text);
    let id = planned.body["id"].as_str().unwrap().to_owned();
    let retry = s
        .keyed(
            "/workshops",
            WORKER,
            "plan-0c3d",
            &workshop("Fictional Academy"),
        )
        .await;
    assert_same_outcome(&retry, &planned);
    assert_eq!(retry.headers["location"], planned.headers["location"]);
    let reused = s
        .keyed(
            "/workshops",
            WORKER,
            "plan-0c3d",
            &workshop("Other Academy"),
        )
        .await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    // The colleague's same key and body plan a workshop of their own.
    let theirs = s
        .keyed(
            "/workshops",
            COLLEAGUE,
            "plan-0c3d",
            &workshop("Fictional Academy"),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_ne!(theirs.body["id"], planned.body["id"]);

    let commands = format!("/workshops/{id}/commands");
    let attendance = json!({"command": "record_attendance", "anonymous": 12});
    let first = s.keyed(&commands, WORKER, "attend-9b2f", &attendance).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let at = first.body["version"].as_u64().unwrap();
    let retry = s.keyed(&commands, WORKER, "attend-9b2f", &attendance).await;
    assert_same_outcome(&retry, &first);
    assert_eq!(
        s.version(&commands, &attendance).await,
        at,
        "nothing appended"
    );
    let other = json!({"command": "record_attendance", "anonymous": 13});
    let reused = s.keyed(&commands, WORKER, "attend-9b2f", &other).await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    assert_eq!(s.version(&commands, &attendance).await, at);
    let read = s
        .send("GET", &format!("/workshops/{id}"), WORKER, &[], None)
        .await;
    assert_eq!(read.body["anonymous_attendees"], 12, "{}", read.text);

    // The colleague's same key and body are decided afresh on the workshop, not replayed.
    let theirs = s
        .keyed(&commands, COLLEAGUE, "attend-9b2f", &attendance)
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert!(theirs.body["version"].as_u64().unwrap() > at);
    assert_ne!(theirs.body, first.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_intelligence_record_and_command_answer_their_first_outcome() {
    let s = server().await;
    let report = |words: &str| {
        json!({
            "report": words,
            "urgency": "non_urgent",
            "learnt_at": fixtures::start() - Duration::hours(1),
        })
    };
    let hatchback = report("A silver hatchback collects girls from the park");
    let recorded = s
        .keyed("/intelligence", WORKER, "intel-51aa", &hatchback)
        .await;
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    let id = recorded.body["id"].as_str().unwrap().to_owned();
    let retry = s
        .keyed("/intelligence", WORKER, "intel-51aa", &hatchback)
        .await;
    assert_same_outcome(&retry, &recorded);
    let reused = s
        .keyed(
            "/intelligence",
            WORKER,
            "intel-51aa",
            &report("Another report"),
        )
        .await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    let awaiting = s
        .send(
            "GET",
            "/queries/intelligence_awaiting_police",
            MANAGER,
            &[],
            None,
        )
        .await;
    // A query answers a list, or a page of one (`items`).
    let listed = awaiting
        .body
        .as_array()
        .or_else(|| awaiting.body["items"].as_array());
    assert_eq!(listed.map(Vec::len), Some(1), "{}", awaiting.text);
    let theirs = s
        .keyed("/intelligence", COLLEAGUE, "intel-51aa", &hatchback)
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_ne!(theirs.body["id"], recorded.body["id"]);

    let commands = format!("/intelligence/{id}/commands");
    let pass = |reference: &str| {
        json!({
            "command": "pass_to_police",
            "channel": "non_urgent",
            "reference": reference,
            "passed_at": fixtures::start(),
        })
    };
    let first = s
        .keyed(&commands, WORKER, "pass-77c0", &pass("FICT-0001"))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let at = first.body["version"].as_u64().unwrap();
    let retry = s
        .keyed(&commands, WORKER, "pass-77c0", &pass("FICT-0001"))
        .await;
    assert_same_outcome(&retry, &first);
    assert_eq!(s.version(&commands, &pass("FICT-0001")).await, at);
    let reused = s
        .keyed(&commands, WORKER, "pass-77c0", &pass("FICT-0002"))
        .await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    let read = s
        .send("GET", &format!("/intelligence/{id}"), MANAGER, &[], None)
        .await;
    assert_eq!(
        read.body["report"]["handovers"].as_array().map(Vec::len),
        Some(1),
        "one handover: {}",
        read.text
    );
    // The colleague's same key and body: their own handover, decided afresh.
    let theirs = s
        .keyed(&commands, COLLEAGUE, "pass-77c0", &pass("FICT-0001"))
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert!(theirs.body["version"].as_u64().unwrap() > at);
    assert_ne!(theirs.body, first.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_idempotency_key_on_every_operation_that_honours_it() {
    let s = server().await;
    let document = s.send("GET", "/openapi.json", WORKER, &[], None).await;
    assert_eq!(document.status, 200);
    let mut listed = Vec::new();
    for (path, item) in document.body["paths"].as_object().unwrap() {
        for (verb, operation) in item.as_object().unwrap() {
            let keyed = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
            if keyed {
                listed.push(operation["operationId"].as_str().unwrap().to_owned());
                assert_eq!(verb, "post", "{path}");
            }
        }
    }
    listed.sort();
    let mut flagged: Vec<String> = casework_http::operations::<SqliteStore>()
        .into_iter()
        .filter(|op| op.idempotent)
        .map(|op| op.name.into_owned())
        .collect();
    flagged.sort();
    assert_eq!(listed, flagged);
    for name in [
        "case_command",
        "register_young_person",
        "refer_young_person",
        "young_person_command",
        "plan_workshop",
        "workshop_command",
        "record_intelligence",
        "intelligence_command",
    ] {
        assert!(listed.iter().any(|l| l == name), "{name}: {listed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_legal_hold_places_one_hold() {
    let s = server().await;
    let person = s.registered().await;
    let holds = format!("/young-people/{person}/legal-holds");
    let reason = json!({"reason": "Fictional police investigation, ref. FIC-0001"});
    let first = s.keyed(&holds, ADMIN, "hold-7c2f", &reason).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let retry = s.keyed(&holds, ADMIN, "hold-7c2f", &reason).await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.body, first.body, "the first hold, answered again");

    let held = s.send("GET", "/legal-holds", ADMIN, &[], None).await;
    assert_eq!(held.status, 200, "{}", held.text);
    let list = held
        .body
        .as_array()
        .or_else(|| held.body["items"].as_array())
        .unwrap();
    assert_eq!(list.len(), 1, "one hold placed: {}", held.text);

    let other = json!({"reason": "Another fictional inquiry"});
    let reused = s.keyed(&holds, ADMIN, "hold-7c2f", &other).await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    // Without a key, a second request is a second hold, as before.
    let second = s
        .send("POST", &holds, ADMIN, &[], Some(&other.to_string()))
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_ne!(second.body["id"], first.body["id"]);
}
