//! The quickstart's three stories (`examples/quickstart.rs`) through the API alone, over real
//! HTTP against a server on `127.0.0.1:0`, on SQLite and on Postgres (`DATABASE_URL`; skipped,
//! saying so, without it). Fictional people only.
//!
//! 1. a self-referral (two indicators: High on the city tool), from referral to a closure everyone agreed (R-4, R-5,
//!    R-16);
//! 2. a boy referred to the girls-only service, signposted to the partner boys' service (R-2,
//!    R-3);
//! 3. a professional's referral without the young person's permission, refused, with
//!    what the service still owes the referrer.
//!
//! With them, what depends on the store: a stale `If-Match` is `412` and a retried command under
//! its `Idempotency-Key` answers its first outcome and appends nothing.
//!
//! And the request examples the OpenAPI document gives a front-end developer: each one, sent
//! to its route, is never refused as bad input.

use casework_core::kernel::clock::{Clock, ManualClock};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_core::store::Store;
use casework_http::ApiTokens;
use casework_postgres::PostgresStore;
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use casework_testkit::postgres_db::TestDatabase;
use chrono::Duration;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

mod support;

const WORKER: &str = "fictional-story-worker-token";
const MANAGER: &str = "fictional-story-manager-token";

/// A server over `store`, with a worker and their manager, on a clock the stories move.
struct Api {
    addr: SocketAddr,
    clock: Arc<ManualClock>,
    worker: casework_core::kernel::actor::Actor,
}

/// An answer: status, headers and JSON body.
struct Answer {
    status: u16,
    etag: Option<String>,
    body: Value,
}

impl Api {
    async fn serve<S: Store + 'static>(store: S) -> Api {
        let clock = Arc::new(fixtures::clock());
        let casework =
            Arc::new(Casework::new(store, city_girls_service()).with_clock(clock.clone()));
        let worker = fixtures::worker();
        let manager = fixtures::manager();
        let directory = StaffDirectory::new().team(manager.id, [worker.id]);
        let tokens = ApiTokens::new()
            .with_hash(&ApiTokens::hash(WORKER), worker.clone())
            .with_hash(&ApiTokens::hash(MANAGER), manager);
        let app = casework_http::router(casework, tokens, directory);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Api {
            addr,
            clock,
            worker,
        }
    }

    async fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Answer {
        self.call_with(method, path, token, &[], body).await
    }

    async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let body = body.map(|b| b.to_string());
        let reply = support::send(
            self.addr,
            method,
            path,
            Some(token),
            headers,
            body.as_deref(),
        )
        .await;
        Answer {
            status: reply.status,
            etag: reply.headers.get("etag").cloned(),
            body: reply.body,
        }
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let answer = self.call("GET", path, token, None).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        answer.body
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call("POST", path, token, Some(body)).await
    }

    /// Registers a young person and refers them: the case's id.
    async fn refer(&self, person: Value, source: Value, concerns: &str) -> String {
        let registered = self.post("/young-people", WORKER, person).await;
        assert_eq!(registered.status, 201, "{}", registered.body);
        let id = registered.body["young_person"].as_str().unwrap().to_owned();
        let referred = self
            .post(
                &format!("/young-people/{id}/referrals"),
                WORKER,
                json!({
                    "source": source,
                    "concerns": concerns,
                    "received_at": self.clock.now(),
                }),
            )
            .await;
        assert_eq!(referred.status, 201, "{}", referred.body);
        referred.body["case"].as_str().unwrap().to_owned()
    }

    /// A command on `case` that must succeed, the clock a day on after it.
    async fn run(&self, case: &str, token: &str, command: Value) -> Value {
        let done = self.command(case, token, command.clone()).await;
        assert_eq!(done.status, 200, "{command}: {}", done.body);
        self.clock.advance(Duration::days(1));
        done.body
    }

    async fn command(&self, case: &str, token: &str, command: Value) -> Answer {
        self.post(&format!("/cases/{case}/commands"), token, command)
            .await
    }

    /// The case's outstanding owed actions, from the service-wide list.
    async fn owed(&self, case: &str) -> Vec<Value> {
        let all = self.get("/queries/outstanding_actions", WORKER).await;
        items(&all)
            .iter()
            .filter(|a| a["case_id"].as_str().is_some_and(|c| case.ends_with(c)))
            .cloned()
            .collect()
    }
}

/// A list's items, whether it is answered whole or as a page.
fn items(list: &Value) -> Vec<Value> {
    list.as_array()
        .or_else(|| list["items"].as_array())
        .cloned()
        .unwrap_or_else(|| panic!("not a list: {list}"))
}

fn person(name: &str, born: &str, gender: &str, postcode: &str) -> Value {
    json!({
        "name": name,
        "date_of_birth": born,
        "gender": gender,
        "postcode": postcode,
        "learning_difficulty": false,
        "contact_preferences": [],
    })
}

/// A refusal: `409` with the rule and a sentence, naming no confidential content.
fn assert_refused(answer: &Answer, rule: &str) {
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(answer.body["rule"], rule, "{}", answer.body);
    assert!(answer.body["detail"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
}

async fn self_referral_to_an_agreed_closure(api: &Api) {
    let case = api
        .refer(
            person("Amy Example", "2011-05-14", "female", "LS6 2AB"),
            json!({"kind": "self_referral"}),
            "Older man giving lifts and gifts",
        )
        .await;
    let teacher = json!({
        "id": uuid::Uuid::new_v4(),
        "name": "Jo Teacher",
        "kind": "teacher",
        "agency": "Fictional High School",
    });
    for command in [
        json!({"command": "screen"}),
        json!({"command": "assess_risk", "indicators": ["taken_to_parties", "older_boyfriend"]}),
        json!({"command": "accept_for_support"}),
        json!({"command": "record_professional", "professional": teacher}),
        json!({"command": "allocate", "worker": api.worker.id, "worker_name": api.worker.name}),
        json!({"command": "agree_plan", "plan": "Weekly sessions on healthy relationships"}),
        json!({"command": "begin_work"}),
    ] {
        api.run(&case, WORKER, command).await;
    }
    let read = api.get(&format!("/cases/{case}"), WORKER).await;
    assert_eq!(read["stage"], "active", "{read}");
    assert_eq!(read["risk_level"], "high", "{read}");

    // What the service owes at acceptance, discharged through the API.
    let owed = api.owed(&case).await;
    assert!(!owed.is_empty(), "acceptance owes the referrer the outcome");
    for action in owed {
        api.run(
            &case,
            WORKER,
            json!({
                "command": "mark_action_sent",
                "action": action["action_id"],
                "reference": "REF-fictional",
                "sent_at": api.clock.now(),
            }),
        )
        .await;
    }
    assert!(api.owed(&case).await.is_empty());

    api.clock.advance(Duration::weeks(6));
    for command in [
        json!({"command": "record_review", "indicators": [], "decision": "propose_closure"}),
        json!({"command": "propose_closure"}),
        json!({"command": "record_agreement", "party": {"kind": "young_person"}}),
    ] {
        api.run(&case, WORKER, command).await;
    }
    // The teacher involved has not agreed yet: the closure waits.
    let early = api
        .command(&case, MANAGER, json!({"command": "complete_closure"}))
        .await;
    assert_refused(&early, "R-16");
    api.run(
        &case,
        WORKER,
        json!({"command": "record_agreement", "party": {"kind": "professional", "id": teacher["id"]}}),
    )
    .await;
    api.run(&case, MANAGER, json!({"command": "complete_closure"}))
        .await;
    let read = api.get(&format!("/cases/{case}"), WORKER).await;
    assert_eq!(read["stage"], "closed", "{read}");
    let history = api.get(&format!("/cases/{case}/history"), WORKER).await;
    let types: Vec<String> = items(&history)
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .map(str::to_owned)
        .collect();
    assert_eq!(
        types.first().map(String::as_str),
        Some("referral_received"),
        "{history}"
    );
    assert_eq!(
        types.last().map(String::as_str),
        Some("case_closed"),
        "{history}"
    );
}

async fn a_boy_is_signposted(api: &Api) {
    let case = api
        .refer(
            person("Ben Example", "2012-01-03", "male", "LS11 5XY"),
            json!({"kind": "self_referral"}),
            "Approached online by an adult",
        )
        .await;
    api.run(&case, WORKER, json!({"command": "screen"})).await;
    api.run(
        &case,
        WORKER,
        json!({"command": "assess_risk", "indicators": []}),
    )
    .await;
    let accept = api
        .command(&case, WORKER, json!({"command": "accept_for_support"}))
        .await;
    assert_refused(&accept, "R-2");
    api.run(&case, WORKER, json!({"command": "signpost"})).await;
    let read = api.get(&format!("/cases/{case}"), WORKER).await;
    assert_eq!(read["stage"], "signposted", "{read}");
}

async fn no_permission_no_acceptance(api: &Api) {
    let social_worker = json!({
        "id": uuid::Uuid::new_v4(),
        "name": "Pat Socialworker",
        "kind": "social_worker",
        "agency": "Fictional Children's Services",
    });
    let case = api
        .refer(
            person("Cara Example", "2010-09-30", "female", "WF10 1AA"),
            json!({"kind": "professional", "professional": social_worker}),
            "Missing overnight twice this month",
        )
        .await;
    api.run(&case, WORKER, json!({"command": "screen"})).await;
    api.run(
        &case,
        WORKER,
        json!({"command": "assess_risk", "indicators": ["older_boyfriend"]}),
    )
    .await;
    let accept = api
        .command(&case, WORKER, json!({"command": "accept_for_support"}))
        .await;
    assert_refused(&accept, "R-1");
    let read = api.get(&format!("/cases/{case}"), WORKER).await;
    assert_ne!(read["stage"], "accepted", "{read}");
    // The referrer is still owed the outcome.
    assert!(!api.owed(&case).await.is_empty());
}

/// What depends on the store: two workers on one version (one wins, the other is `412` with
/// the current version, nothing overwritten) and a retried command under its key (the first
/// outcome answered, nothing appended), kept across the store's own transactions.
async fn concurrency_and_retries(api: &Api) {
    let case = api
        .refer(
            person("Eve Example", "2011-07-21", "female", "LS6 3AA"),
            json!({"kind": "self_referral"}),
            "Given a phone by an older man",
        )
        .await;
    let path = format!("/cases/{case}/commands");
    let read = api
        .call("GET", &format!("/cases/{case}"), WORKER, None)
        .await;
    let seen = read.etag.expect("a read carries its version");
    let screen = json!({"command": "screen"});
    let first = api
        .call_with("POST", &path, WORKER, &[("If-Match", &seen)], Some(screen))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let assess = json!({"command": "assess_risk", "indicators": ["older_boyfriend"]});
    let stale = api
        .call_with(
            "POST",
            &path,
            MANAGER,
            &[("If-Match", &seen)],
            Some(assess.clone()),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.body["current_version"], first.body["version"]);
    let now = api
        .call("GET", &format!("/cases/{case}"), WORKER, None)
        .await;
    assert_eq!(now.etag, first.etag, "the stale command appended nothing");
    assert_eq!(now.body["risk_level"], Value::Null);

    let key = [("Idempotency-Key", "assess-eve-1")];
    let assessed = api
        .call_with("POST", &path, WORKER, &key, Some(assess.clone()))
        .await;
    assert_eq!(assessed.status, 200, "{}", assessed.body);
    let retried = api
        .call_with("POST", &path, WORKER, &key, Some(assess))
        .await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(
        retried.body, assessed.body,
        "the first outcome, answered again"
    );
    let after = api
        .call("GET", &format!("/cases/{case}"), WORKER, None)
        .await;
    assert_eq!(after.etag, assessed.etag, "the retry appended nothing");
    let reused = api
        .call_with(
            "POST",
            &path,
            WORKER,
            &key,
            Some(json!({"command": "accept_for_support"})),
        )
        .await;
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.body["code"], "idempotency_key_reused");
}

async fn the_three_stories(api: Api) {
    concurrency_and_retries(&api).await;
    self_referral_to_an_agreed_closure(&api).await;
    a_boy_is_signposted(&api).await;
    no_permission_no_acceptance(&api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_stories_through_the_api_on_sqlite() {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    the_three_stories(Api::serve(store).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_stories_through_the_api_on_postgres() {
    let Some(db) = TestDatabase::create("the quickstart stories through the API").await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    the_three_stories(Api::serve(store).await).await;
}

/// Sends every request example of the OpenAPI document to its route, path ids filled with a
/// real case and young person (a fresh id elsewhere).
async fn every_example_is_accepted_as_input(api: &Api) {
    let case = api
        .refer(
            person("Dee Example", "2011-02-03", "female", "LS6 1AA"),
            json!({"kind": "self_referral"}),
            "Seen with older men at the station",
        )
        .await;
    let read = api.get(&format!("/cases/{case}"), WORKER).await;
    let young_person = read["young_person_id"].as_str().unwrap().to_owned();
    // The examples happen on a fixed day in the past of any running service.
    api.clock.advance(Duration::days(30));
    let document = api.get("/openapi.json", WORKER).await;
    let mut sent = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (verb, operation) in item.as_object().unwrap() {
            let media = &operation["requestBody"]["content"]["application/json"];
            let Some(examples) = media["examples"].as_object() else {
                continue;
            };
            let id = if path.starts_with("/cases") {
                case.clone()
            } else if path.starts_with("/young-people") {
                young_person.clone()
            } else {
                uuid::Uuid::new_v4().to_string()
            };
            let path = path.replace("{id}", &id);
            for (name, example) in examples {
                let answer = api
                    .call(
                        &verb.to_uppercase(),
                        &path,
                        MANAGER,
                        Some(example["value"].clone()),
                    )
                    .await;
                assert!(
                    ![400, 413, 422].contains(&answer.status) && answer.status < 500,
                    "{verb} {path} example {name}: {} {}",
                    answer.status,
                    answer.body
                );
                sent += 1;
            }
        }
    }
    assert!(sent >= 20, "only {sent} examples in the document");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_example_in_the_openapi_document_is_accepted_by_its_route() {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    every_example_is_accepted_as_input(&Api::serve(store).await).await;
}
