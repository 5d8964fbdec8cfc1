//! The API over real HTTP: a server on `127.0.0.1:0` over a SQLite file, driven by a small
//! HTTP/1.1 client. Fictional people only.

use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::clock::{Clock, ManualClock};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_http::routes::Verb;
use casework_http::{ApiTokens, ROUTED_QUERIES};
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

mod support;
use support::{assert_problem, Reply};

const WORKER: &str = "fictional-worker-token";
const MANAGER: &str = "fictional-manager-token";
const AUDITOR: &str = "fictional-auditor-token";

struct Server {
    addr: SocketAddr,
    clock: Arc<ManualClock>,
    worker: Actor,
    manager: Actor,
    /// Every response body, for scanning.
    seen: std::sync::Mutex<Vec<String>>,
}

/// The referral's concerns: confidential (R-8), so never in any response of the API's reads
/// and commands here (none of them opens the record).
const CONCERNS: &str = "Planted-Concern: worried about an older boyfriend";

async fn server() -> Server {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(fixtures::clock());
    let casework = Arc::new(Casework::new(store, city_girls_service()).with_clock(clock.clone()));
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let auditor = Actor::new("Ari Auditor", Role::Auditor);
    let directory = StaffDirectory::new().team(manager.id, [worker.id]);
    let tokens = ApiTokens::new()
        .with_hash(&ApiTokens::hash(WORKER), worker.clone())
        .with_hash(&ApiTokens::hash(MANAGER), manager.clone())
        .with_hash(&ApiTokens::hash(AUDITOR), auditor);
    let app = casework_http::router(casework, tokens, directory);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        addr,
        clock,
        worker,
        manager,
        seen: std::sync::Mutex::default(),
    }
}

impl Server {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let reply = support::send(self.addr, method, path, token, extra, body).await;
        self.seen.lock().unwrap().push(reply.text.clone());
        reply
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), &[], None).await
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send("POST", path, Some(token), &[], Some(&body.to_string()))
            .await
    }

    /// A young person registered and referred by the worker: the case's id and version.
    async fn referred(&self) -> (String, u64) {
        let (_, case, version) = self.referred_person().await;
        (case, version)
    }

    /// As [`Server::referred`], with the young person's id first.
    async fn referred_person(&self) -> (String, String, u64) {
        let registered = self
            .post(
                "/young-people",
                WORKER,
                &serde_json::to_value(fixtures::girl_in_leeds_area()).unwrap(),
            )
            .await;
        assert_eq!(registered.status, 201, "{}", registered.text);
        let person = registered.body["young_person"].as_str().unwrap().to_owned();
        let referred = self
            .post(
                &format!("/young-people/yp-{person}/referrals"),
                WORKER,
                &json!({
                    "source": {"source": "self_referral"},
                    "concerns": CONCERNS,
                    "received_at": fixtures::start(),
                }),
            )
            .await;
        assert_eq!(referred.status, 201, "{}", referred.text);
        let case = referred.body["case"].as_str().unwrap().to_owned();
        assert_eq!(referred.headers["location"], format!("/cases/{case}"));
        let version = self.version(&case).await;
        (person, case, version)
    }

    /// The case's version, from its `ETag`.
    async fn version(&self, case: &str) -> u64 {
        let read = self.get(&format!("/cases/{case}"), WORKER).await;
        assert_eq!(read.status, 200, "{}", read.text);
        read.headers["etag"].trim_matches('"').parse().unwrap()
    }

    async fn command(&self, case: &str, token: &str, command: Value) -> Reply {
        self.post(&format!("/cases/{case}/commands"), token, &command)
            .await
    }
}

/// Every route the router serves (its operations, as the OpenAPI document lists them), with
/// the path's parameters filled in: `case` for a case's, `person` for a young person's, a
/// fresh id for the others.
fn every_route(case: &str, person: &str) -> Vec<(&'static str, String)> {
    casework_http::operations::<SqliteStore>()
        .into_iter()
        .map(|op| {
            let id = if op.path.starts_with("/cases") {
                case.to_owned()
            } else if op.path.starts_with("/young-people") {
                person.to_owned()
            } else {
                uuid::Uuid::new_v4().to_string()
            };
            let path = op
                .path
                .replace("{id}", &id)
                .replace("{other}", &uuid::Uuid::new_v4().to_string())
                .replace("{hold}", &uuid::Uuid::new_v4().to_string());
            let method = match op.verb {
                Verb::Get => "GET",
                Verb::Post => "POST",
                Verb::Delete => "DELETE",
            };
            (method, path)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_goes_from_intake_to_allocation_through_the_api() {
    let s = server().await;
    let (case, at_referral) = s.referred().await;

    let read = s.get(&format!("/cases/case-{case}"), WORKER).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["stage"], "received");
    assert_eq!(read.headers["etag"], format!("\"{at_referral}\""));

    let waiting = s.get("/queries/waiting_list", WORKER).await;
    assert_eq!(waiting.status, 200, "{}", waiting.text);

    let mut version = at_referral;
    for command in [
        json!({"command": "screen"}),
        json!({"command": "assess_risk", "indicators": ["older_boyfriend"]}),
        json!({"command": "accept_for_support"}),
        json!({"command": "allocate", "worker": s.worker.id, "worker_name": s.worker.name}),
    ] {
        let done = s.command(&case, WORKER, command.clone()).await;
        assert_eq!(done.status, 200, "{command}: {}", done.text);
        let now = done.body["version"].as_u64().unwrap();
        assert!(now > version);
        version = now;
        assert_eq!(done.headers["etag"], format!("\"{version}\""));
    }
    let read = s.get(&format!("/cases/{case}"), MANAGER).await;
    assert_eq!(read.body["stage"], "allocated", "{}", read.text);
    assert_eq!(read.body["worker"], json!(s.worker.id));
    assert_eq!(read.headers["etag"], format!("\"{version}\""));

    // The worker's open cases, as a query with a parameter in the query string.
    let open = s
        .get(
            &format!("/queries/open_cases?worker={}", s.worker.id.as_uuid()),
            MANAGER,
        )
        .await;
    assert_eq!(open.status, 200, "{}", open.text);
    assert_eq!(
        open.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        open.text
    );
    // And with its parameters as a JSON body.
    let open = s
        .post("/queries/open_cases", MANAGER, &json!({"worker": null}))
        .await;
    assert_eq!(
        open.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        open.text
    );
    for text in s.seen.lock().unwrap().iter() {
        assert!(
            !text.contains("Planted-Concern"),
            "confidential text in a response: {text}"
        );
    }
    let _ = s.manager;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_an_unauthenticated_call_and_a_forged_token() {
    let s = server().await;
    let (person, case, at_referral) = s.referred_person().await;
    let routes = every_route(&case, &person);
    assert!(routes.len() > 60, "{} routes", routes.len());
    for (method, path) in routes {
        for token in [
            None,
            Some("forged-token"),
            Some(&ApiTokens::hash(WORKER)[..]),
        ] {
            let reply = s.send(method, &path, token, &[], Some("{}")).await;
            assert_problem(&reply, 401, "unauthenticated");
            assert_eq!(
                reply.headers["www-authenticate"], "Bearer",
                "{method} {path}"
            );
        }
        // A header claiming an identity is not a credential.
        let reply = s
            .send(
                method,
                &path,
                None,
                &[
                    ("X-Casework-Role", "manager"),
                    ("X-Casework-Staff", "staff-1"),
                ],
                Some("{}"),
            )
            .await;
        assert_problem(&reply, 401, "unauthenticated");
    }
    // Nothing was written by any of them.
    assert_eq!(s.version(&case).await, at_referral);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claiming_another_role_or_id_gets_nothing_more() {
    let s = server().await;
    let (case, at_referral) = s.referred().await;
    let claims = [
        ("X-Casework-Role", "manager"),
        ("X-Role", "manager"),
        ("X-User-Id", "00000000-0000-0000-0000-000000000001"),
    ];
    // The auditor may read but not change a case, whatever the request says about itself.
    let reply = s
        .send(
            "POST",
            &format!("/cases/{case}/commands"),
            Some(AUDITOR),
            &claims,
            Some(r#"{"command": "screen"}"#),
        )
        .await;
    assert_problem(&reply, 403, "access_denied");
    assert_eq!(reply.body["permission"], "change_case");
    // A body naming an actor is not read for identity: it is refused as input.
    let reply = s
        .send(
            "POST",
            &format!("/cases/{case}/commands"),
            Some(AUDITOR),
            &claims,
            Some(r#"{"command": "screen", "actor": {"role": "manager"}}"#),
        )
        .await;
    assert!(matches!(reply.status, 400 | 403), "{}", reply.text);
    // The worker cannot read intelligence by saying they are a manager.
    let reply = s
        .send(
            "GET",
            "/queries/intelligence_awaiting_police",
            Some(WORKER),
            &claims,
            None,
        )
        .await;
    assert_problem(&reply, 403, "access_denied");
    assert_eq!(reply.body["permission"], "read_intelligence");
    assert_eq!(s.version(&case).await, at_referral, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_refused_with_the_current_version_and_nothing_is_overwritten() {
    let s = server().await;
    let (case, at_referral) = s.referred().await;
    let path = format!("/cases/{case}/commands");
    // Two workers read the case at the same version; the first to act wins.
    let seen = format!("\"{at_referral}\"");
    let first = s
        .send(
            "POST",
            &path,
            Some(WORKER),
            &[("If-Match", &seen)],
            Some(r#"{"command": "screen"}"#),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let now = first.body["version"].as_u64().unwrap();
    let second = s
        .send(
            "POST",
            &path,
            Some(MANAGER),
            &[("If-Match", &seen)],
            Some(r#"{"command": "assess_risk", "indicators": ["older_boyfriend"]}"#),
        )
        .await;
    assert_problem(&second, 412, "conflict");
    assert_eq!(second.body["current_version"], now);
    assert_eq!(second.headers["etag"], format!("\"{now}\""));
    let read = s.get(&format!("/cases/{case}"), WORKER).await;
    assert_eq!(read.headers["etag"], format!("\"{now}\""));
    assert_eq!(
        read.body["risk_level"],
        Value::Null,
        "the stale command was not applied"
    );
    // With the version it now holds, it goes through.
    let retry = s
        .send(
            "POST",
            &path,
            Some(MANAGER),
            &[("If-Match", &format!("\"{now}\""))],
            Some(r#"{"command": "assess_risk", "indicators": ["older_boyfriend"]}"#),
        )
        .await;
    assert_eq!(retry.status, 200, "{}", retry.text);
    let malformed = s
        .send(
            "POST",
            &path,
            Some(WORKER),
            &[("If-Match", "\"two\"")],
            Some(r#"{"command": "screen"}"#),
        )
        .await;
    assert_problem(&malformed, 400, "bad_input");
    assert_eq!(malformed.body["field"], "If-Match");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_error_is_a_problem_document() {
    let s = server().await;
    let (case, _) = s.referred().await;
    let path = format!("/cases/{case}/commands");

    // 400: malformed JSON, naming the body and never echoing it.
    let secret = "Planted-Secret-Text-".repeat(40);
    let reply = s
        .send(
            "POST",
            &path,
            Some(WORKER),
            &[],
            Some(&format!("{{\"command\": \"{secret}")),
        )
        .await;
    assert_problem(&reply, 400, "bad_input");
    assert!(!reply.text.contains(&secret), "{}", reply.text);
    // 400: a field the rules refuse as input, naming it.
    let reply = s
        .command(
            &case,
            WORKER,
            json!({"command": "assess_risk", "indicators": 7}),
        )
        .await;
    assert_problem(&reply, 400, "bad_input");
    assert_eq!(reply.body["field"], "indicators", "{}", reply.text);
    // 400: a malformed id.
    let reply = s.get("/cases/case-not-a-uuid", WORKER).await;
    assert_problem(&reply, 400, "bad_input");
    assert_eq!(reply.body["field"], "id");
    // 400: a query's parameter missing.
    let reply = s.get("/queries/reviews_due", WORKER).await;
    assert_problem(&reply, 400, "bad_input");
    // 401.
    let reply = s
        .send("GET", &format!("/cases/{case}"), None, &[], None)
        .await;
    assert_problem(&reply, 401, "unauthenticated");
    // 403, naming the permission and the rule.
    let reply = s.get("/queries/report", WORKER).await;
    assert_problem(&reply, 403, "access_denied");
    assert_eq!(reply.body["permission"], "read_reports");
    assert_eq!(reply.body["rule"], "R-27");
    // 404: no such case, no such query, no such route.
    let reply = s
        .get(&format!("/cases/{}", uuid::Uuid::new_v4()), WORKER)
        .await;
    assert_problem(&reply, 404, "not_found");
    let reply = s.get("/queries/no_such_query", WORKER).await;
    assert_problem(&reply, 404, "not_found");
    let reply = s.get("/no/such/route", WORKER).await;
    assert_problem(&reply, 404, "not_found");
    // 409: a domain refusal, with its code; work cannot begin on a case just received.
    let reply = s
        .command(&case, WORKER, json!({"command": "begin_work"}))
        .await;
    assert_problem(&reply, 409, "not_at_this_stage");
    // 409 with the rule and the field: R-6 refuses a statutory claim.
    let reply = s
        .command(
            &case,
            WORKER,
            json!({"command": "screen", "statutory_requirement": true}),
        )
        .await;
    assert_problem(&reply, 409, "statutory_requirement");
    assert_eq!(reply.body["rule"], "R-6");
    assert_eq!(reply.body["field"], "statutory_requirement");
    // 409 with the rule: R-7, allocating a case behind the head of the waiting list.
    let (later, _) = s.referred().await;
    for command in [
        json!({"command": "screen"}),
        json!({"command": "assess_risk", "indicators": ["older_boyfriend"]}),
        json!({"command": "add_to_waiting_list"}),
    ] {
        for c in [&case, &later] {
            let done = s.command(c, WORKER, command.clone()).await;
            assert_eq!(done.status, 200, "{command}: {}", done.text);
        }
    }
    // Both wait; allocating the one behind the head is out of order.
    let waiting = s.get("/queries/waiting_list", WORKER).await;
    let behind = waiting.body.as_array().unwrap().last().unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(behind == later || behind == case, "{}", waiting.text);
    let reply = s
        .command(
            &behind,
            WORKER,
            json!({"command": "allocate", "worker": s.worker.id, "worker_name": s.worker.name}),
        )
        .await;
    assert_problem(&reply, 409, "out_of_waiting_list_order");
    assert_eq!(reply.body["rule"], "R-7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_is_a_503_with_retry_after() {
    // A database that was never migrated: the store reports itself unavailable.
    let dir = std::env::temp_dir().join(format!(
        "casework-http-unmigrated-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(dir.join("casework.db")).unwrap();
    let casework = Arc::new(Casework::new(store, city_girls_service()));
    let tokens = ApiTokens::new().with_hash(&ApiTokens::hash(WORKER), fixtures::worker());
    let app = casework_http::router(casework, tokens, StaffDirectory::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let s = Server {
        addr,
        clock: Arc::new(fixtures::clock()),
        worker: fixtures::worker(),
        manager: fixtures::manager(),
        seen: std::sync::Mutex::default(),
    };
    let reply = s.get("/queries/waiting_list", WORKER).await;
    assert_problem(&reply, 503, "store_unavailable");
    assert_eq!(reply.headers["retry-after"], "1");
    assert!(
        !reply.text.contains("no such table"),
        "the backend's own message stays in the server: {}",
        reply.text
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each query's parameters, as a front end sends them. A query added to the service without
/// an example here fails the test below.
fn example_parameters(name: &str) -> Value {
    let from = fixtures::start() - chrono::Duration::days(30);
    let to = fixtures::start() + chrono::Duration::days(30);
    let (day_from, day_to) = (from.date_naive(), to.date_naive());
    match name {
        "reviews_due" | "cadence_across_open_cases" => json!({"from": from, "to": to}),
        "cases_past_expected_length"
        | "all_return_interviews_due"
        | "overdue_return_interviews" => {
            json!({"as_of": to})
        }
        "open_cases" => json!({"worker": null}),
        "partner_referrals" => json!({"status": null}),
        "closed_cases" => json!({"young_person": null}),
        "workshop_reach" => json!({"from": day_from, "to": day_to}),
        "report" => json!({
            "request": casework_core::read::figures::ReportRequest::new(day_from, day_to)
        }),
        "flagged_young_people"
        | "alumni_members"
        | "intelligence_awaiting_police"
        | "waiting_list"
        | "outstanding_actions"
        | "overdue_reviews"
        | "possible_duplicates_awaiting_decision" => json!({}),
        other => panic!("no example parameters for the query `{other}`: add them here"),
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_answers_from_the_query_string_and_from_a_json_body_alike() {
    let s = server().await;
    s.referred().await;
    for name in ROUTED_QUERIES {
        let params = example_parameters(name);
        let body = s.post(&format!("/queries/{name}"), MANAGER, &params).await;
        assert_eq!(body.status, 200, "{name}: {}", body.text);
        assert_eq!(body.headers["content-type"], "application/json");
        let query: Vec<String> = params
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{k}={}", url_encode(&v))
            })
            .collect();
        let string = s
            .get(&format!("/queries/{name}?{}", query.join("&")), MANAGER)
            .await;
        assert_eq!(string.status, 200, "{name}: {}", string.text);
        assert_eq!(string.body, body.body, "{name}");
    }
    // A parameter the query does not take is refused, naming it.
    let reply = s
        .post(
            "/queries/waiting_list",
            MANAGER,
            &json!({"role": "manager"}),
        )
        .await;
    assert_problem(&reply, 400, "bad_input");
}

/// The plan and session note agreed and held on the case below: confidential (R-8).
const PLAN: &str = "Planted-Plan: a safe route home from college";
const NOTE: &str = "Planted-Note: she named the flat above the chip shop";

/// Takes the referred case through allocation to a held session with a note, by flat JSON
/// commands only; answers the session's id.
async fn held_session(s: &Server, case: &str) -> String {
    use casework_core::case::{CaseCommand, SessionPlace};
    use casework_core::kernel::confidential::NewConfidential;
    let mut commands = vec![
        json!({"command": "screen"}),
        json!({"command": "assess_risk", "indicators": ["older_boyfriend"]}),
        json!({"command": "accept_for_support"}),
        json!({"command": "allocate", "worker": s.worker.id, "worker_name": s.worker.name}),
    ];
    let plan = CaseCommand::AgreePlan {
        plan: NewConfidential::new(fixtures::text(PLAN)),
    };
    commands.push(serde_json::from_str(&plan.to_json()).unwrap());
    commands.push(json!({"command": "begin_work"}));
    let planned_for = s.clock.now() + chrono::Duration::days(1);
    let plan_session = CaseCommand::PlanSession {
        planned_for,
        place: SessionPlace::YouthClub,
        place_chosen_by_young_person: true,
        topics: vec![],
    };
    commands.push(serde_json::from_str(&plan_session.to_json()).unwrap());
    let mut session = None;
    let mut answers = Vec::new();
    for command in commands {
        let done = s.command(case, WORKER, command.clone()).await;
        assert_eq!(done.status, 200, "{command}: {}", done.text);
        answers.push(done.text.clone());
        let planned = &done.body["events"][0];
        if planned["type"] == "session_planned" {
            session = planned["session"].as_str().map(str::to_owned);
        }
    }
    // A command that creates something answers with its id, in the event it recorded.
    let session =
        session.unwrap_or_else(|| panic!("no planned session's id in the answers: {answers:?}"));
    s.clock.advance(chrono::Duration::days(1));
    let hold = CaseCommand::HoldSession {
        session: casework_core::kernel::ids::SessionId::from_uuid(session.parse().unwrap()),
        held_at: planned_for,
        duration_minutes: 50,
        place: None,
        topics: vec![],
        resources: vec![],
        note: NewConfidential::new(fixtures::text(NOTE)),
    };
    let done = s
        .command(case, WORKER, serde_json::from_str(&hold.to_json()).unwrap())
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    session
}

fn assert_nothing_confidential(texts: &[String]) {
    for text in texts {
        for planted in [CONCERNS, PLAN, NOTE] {
            assert!(
                !text.contains(planted),
                "confidential text in a response: {text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_opens_only_through_a_logged_read_and_histories_keep_its_content_sealed() {
    let s = server().await;
    let (person, case, _) = s.referred_person().await;
    let session = held_session(&s, &case).await;

    // R-18: the history shows every event, with who, when and why; the ones holding
    // confidential content are sealed, the others carry their payload.
    let history = s.get(&format!("/cases/{case}/history"), WORKER).await;
    assert_eq!(history.status, 200, "{}", history.text);
    let entries = history.body.as_array().unwrap();
    let of = |kind: &str| {
        entries
            .iter()
            .find(|e| e["event_type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {}", history.text))
    };
    // The referral, holding the concerns, is the first event.
    assert_eq!(entries[0]["sealed"], true, "{}", history.text);
    assert_eq!(of("plan_agreed")["sealed"], true);
    assert_eq!(of("session_held")["sealed"], true);
    assert!(of("plan_agreed")["payload"].is_null());
    assert_eq!(of("eligibility_screened")["sealed"], false);
    assert_eq!(of("session_planned")["payload"]["session"], session);
    assert_eq!(
        of("eligibility_screened")["recorded_by"]["name"],
        s.worker.name
    );
    let version = entries.last().unwrap()["version"].as_u64().unwrap();
    assert_eq!(history.headers["etag"], format!("\"{version}\""));

    // The case as it stood before the session was held: at work, at an earlier version.
    let before = s.clock.now() - chrono::Duration::hours(1);
    let as_of = s
        .get(
            &format!(
                "/cases/{case}/as-of?at={}",
                url_encode(&before.to_rfc3339())
            ),
            WORKER,
        )
        .await;
    assert_eq!(as_of.status, 200, "{}", as_of.text);
    assert!(
        as_of.body["version"].as_u64().unwrap() < version,
        "{}",
        as_of.text
    );
    let trail = s.get(&format!("/cases/{case}/audit-trail"), MANAGER).await;
    assert_eq!(trail.status, 200, "{}", trail.text);
    let reads = |trail: &Reply| {
        trail
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "read")
            .count()
    };
    let reads_before = reads(&trail);
    assert_nothing_confidential(&s.seen.lock().unwrap());

    // The open-record read: the content, for a stated purpose, logged (R-27).
    let open = s
        .post(
            &format!("/cases/{case}/open"),
            WORKER,
            &json!({"purpose": "preparing supervision"}),
        )
        .await;
    assert_eq!(open.status, 200, "{}", open.text);
    assert_eq!(open.body["concerns"], CONCERNS);
    assert_eq!(open.body["plan"], PLAN);
    assert_eq!(open.body["session_notes"][0]["note"], NOTE);
    assert_eq!(open.body["session_notes"][0]["session"], session);
    let trail = s.get(&format!("/cases/{case}/audit-trail"), MANAGER).await;
    assert_eq!(reads(&trail), reads_before + 1, "{}", trail.text);
    assert!(
        trail.text.contains("preparing supervision"),
        "{}",
        trail.text
    );
    let subject = serde_json::to_string(&casework_core::privacy::access_log::AccessSubject::Case {
        case: casework_core::kernel::ids::CaseId::from_uuid(case.parse().unwrap()),
        young_person: casework_core::kernel::ids::YoungPersonId::from_uuid(person.parse().unwrap()),
    })
    .unwrap();
    let log = s
        .get(
            &format!("/access-log?subject={}", url_encode(&subject)),
            MANAGER,
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(log.text.contains("preparing supervision"), "{}", log.text);

    // Without a purpose there is no read.
    let refused = s
        .post(&format!("/cases/{case}/open"), WORKER, &json!({}))
        .await;
    assert_problem(&refused, 400, "bad_input");
    assert_eq!(refused.body["field"], "purpose", "{}", refused.text);

    // Only the open read's answer held the content.
    let seen = s.seen.lock().unwrap().clone();
    let holding: Vec<_> = seen.iter().filter(|t| t.contains(NOTE)).collect();
    assert_eq!(holding.len(), 1, "{holding:?}");
    assert!(holding[0].contains("\"session_notes\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_young_persons_record_and_its_reads_are_served() {
    let s = server().await;
    let (person, case, _) = s.referred_person().await;
    let record = s.get(&format!("/young-people/yp-{person}"), WORKER).await;
    assert_eq!(record.status, 200, "{}", record.text);
    assert_eq!(record.body["young_person_id"], person);
    assert!(record.headers.contains_key("etag"));
    let history = s
        .get(&format!("/young-people/{person}/history"), WORKER)
        .await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert_eq!(history.body[0]["version"], 1, "{}", history.text);
    let cases = s
        .get(&format!("/young-people/{person}/cases"), WORKER)
        .await;
    assert_eq!(cases.status, 200, "{}", cases.text);
    assert_eq!(cases.body[0]["case_id"], case, "{}", cases.text);
    let early = (fixtures::start() - chrono::Duration::days(1)).to_rfc3339();
    let as_of = s
        .get(
            &format!("/young-people/{person}/as-of?at={}", url_encode(&early)),
            WORKER,
        )
        .await;
    assert_eq!(as_of.status, 200, "{}", as_of.text);
    assert!(as_of.body.is_null(), "not registered yet: {}", as_of.text);
    for read in [
        "activity",
        "return-interviews-due",
        "duplicates",
        "linked-records",
    ] {
        let reply = s
            .get(&format!("/young-people/{person}/{read}"), WORKER)
            .await;
        assert_eq!(reply.status, 200, "{read}: {}", reply.text);
    }
    // A misspelt parameter is named, not ignored.
    let reply = s
        .get(&format!("/young-people/{person}/cases?wroker=1"), WORKER)
        .await;
    assert_problem(&reply, 400, "bad_input");
    assert_eq!(reply.body["field"], "wroker", "{}", reply.text);
    assert_nothing_confidential(&s.seen.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route_the_router_serves() {
    let s = server().await;
    let (person, case, _) = s.referred_person().await;
    // Served without a credential: it describes the API, not any record.
    let doc = s.send("GET", "/openapi.json", None, &[], None).await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let operations = casework_http::operations::<SqliteStore>();
    for op in &operations {
        let entry = &doc.body["paths"][&*op.path][op.verb.as_str()];
        assert_eq!(
            entry["operationId"],
            *op.name,
            "{} {}",
            op.verb.as_str(),
            op.path
        );
        let success = &entry["responses"][op.success.to_string()];
        assert!(
            success["content"]["application/json"]["schema"].is_object(),
            "{}: no response schema",
            op.name
        );
        for status in ["400", "401", "403", "503"] {
            assert!(
                entry["responses"][status].is_object(),
                "{} {status}",
                op.name
            );
        }
    }
    let listed: usize = doc.body["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        listed,
        operations.len(),
        "the document lists exactly the operations"
    );
    // Every reference resolves.
    fn references<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| references(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| references(v, out)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    references(&doc.body, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc.body["components"]["schemas"][name].is_object()
                || doc.body["components"]["schemas"][name].is_boolean(),
            "{r} does not resolve"
        );
    }
    // And every route listed is served: none falls through to the router's own 404.
    for (method, path) in every_route(&case, &person) {
        let reply = s.send(method, &path, Some(AUDITOR), &[], Some("{}")).await;
        assert!(
            !(reply.status == 404 && reply.body["detail"] == "no such resource"),
            "{method} {path} is not served"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_never_cached_and_limits_are_problems_naming_the_field() {
    let s = server().await;
    let (person, case, at_referral) = s.referred_person().await;
    // Nothing about a child is cached, sniffed, framed or sent on as a referrer.
    for reply in [
        s.get(&format!("/cases/{case}"), WORKER).await,
        s.get("/cases/not-an-id", WORKER).await,
        s.send("GET", "/queries/waiting_list", None, &[], None)
            .await,
    ] {
        assert_eq!(reply.headers["cache-control"], "no-store", "{}", reply.text);
        assert_eq!(reply.headers["x-content-type-options"], "nosniff");
        assert_eq!(reply.headers["x-frame-options"], "DENY");
        assert_eq!(reply.headers["referrer-policy"], "no-referrer");
        assert!(reply.headers["content-security-policy"].contains("default-src 'none'"));
    }
    // A known path with another method.
    let reply = s
        .send("DELETE", &format!("/cases/{case}"), Some(WORKER), &[], None)
        .await;
    assert_problem(&reply, 405, "method_not_allowed");
    // A text value over the limit (by default the profile's `limits.text_bytes`, 102,400) is
    // refused by its path, and nothing is written.
    let long = "x".repeat(102_401);
    let reply = s
        .command(&case, WORKER, json!({"command": "decline", "reason": long}))
        .await;
    assert_problem(&reply, 400, "bad_input");
    assert_eq!(reply.body["field"], "reason", "{}", reply.text);
    assert!(
        !reply.text.contains("xxxxxxxxxx"),
        "the input is not echoed"
    );
    assert_eq!(s.version(&case).await, at_referral);
    let reply = s
        .post(
            &format!("/young-people/{person}/subject-access-export"),
            WORKER,
            &json!({"purpose": long}),
        )
        .await;
    assert_problem(&reply, 400, "bad_input");
    assert_eq!(reply.body["field"], "purpose");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_end_on_a_configured_origin_may_call_and_no_other() {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    let casework = Arc::new(Casework::new(store, city_girls_service()));
    let tokens = ApiTokens::new().with_hash(&ApiTokens::hash(WORKER), fixtures::worker());
    let options = casework_http::Options::default().allow_origin("https://front.example.invalid");
    let app = casework_http::router_with(casework, tokens, StaffDirectory::new(), &options);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let s = Server {
        addr,
        clock: Arc::new(fixtures::clock()),
        worker: fixtures::worker(),
        manager: fixtures::manager(),
        seen: std::sync::Mutex::default(),
    };
    let preflight = |origin: &'static str| {
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,if-match,content-type",
            ),
        ]
    };
    let allowed = s
        .send(
            "OPTIONS",
            "/cases/x/commands",
            None,
            &preflight("https://front.example.invalid"),
            None,
        )
        .await;
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://front.example.invalid"
    );
    assert!(allowed.headers["access-control-allow-headers"].contains("if-match"));
    assert!(!allowed
        .headers
        .contains_key("access-control-allow-credentials"));
    let refused = s
        .send(
            "OPTIONS",
            "/cases/x/commands",
            None,
            &preflight("https://elsewhere.example.invalid"),
            None,
        )
        .await;
    assert!(!refused.headers.contains_key("access-control-allow-origin"));
    let read = s
        .send(
            "GET",
            "/queries/waiting_list",
            Some(WORKER),
            &[("Origin", "https://front.example.invalid")],
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.headers["access-control-expose-headers"].contains("etag"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_referral_with_its_idempotency_key_opens_one_case() {
    let s = server().await;
    let registered = s
        .send(
            "POST",
            "/young-people",
            Some(WORKER),
            &[("Idempotency-Key", "register-7f3a")],
            Some(&serde_json::to_string(&fixtures::girl_in_leeds_area()).unwrap()),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let person = registered.body["young_person"].as_str().unwrap().to_owned();
    // The retry after a timeout: the same young person, no second registration.
    let again = s
        .send(
            "POST",
            "/young-people",
            Some(WORKER),
            &[("Idempotency-Key", "register-7f3a")],
            Some(&serde_json::to_string(&fixtures::girl_in_leeds_area()).unwrap()),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["young_person"], person);

    let referral = json!({
        "source": {"source": "self_referral"},
        "concerns": CONCERNS,
        "received_at": fixtures::start(),
    })
    .to_string();
    let path = format!("/young-people/{person}/referrals");
    let key = [("Idempotency-Key", "referral-2b9c")];
    let first = s
        .send("POST", &path, Some(WORKER), &key, Some(&referral))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let retry = s
        .send("POST", &path, Some(WORKER), &key, Some(&referral))
        .await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.body["case"], first.body["case"]);
    let cases = s
        .get(&format!("/young-people/{person}/cases"), WORKER)
        .await;
    assert_eq!(
        cases.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        cases.text
    );

    // The same key for a different request is refused, and nothing is written.
    let other = json!({
        "source": {"source": "self_referral"},
        "concerns": "Another concern",
        "received_at": fixtures::start(),
    })
    .to_string();
    let reused = s
        .send("POST", &path, Some(WORKER), &key, Some(&other))
        .await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    assert_eq!(reused.body["field"], "Idempotency-Key");
    let cases = s
        .get(&format!("/young-people/{person}/cases"), WORKER)
        .await;
    assert_eq!(
        cases.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        cases.text
    );

    // A case command retried under its key: the first answer again, nothing appended.
    let case = first.body["case"].as_str().unwrap().to_owned();
    let before = s.version(&case).await;
    let commands = format!("/cases/{case}/commands");
    let key = [("Idempotency-Key", "screen-5d1e")];
    let screen = json!({"command": "screen"}).to_string();
    let done = s
        .send("POST", &commands, Some(WORKER), &key, Some(&screen))
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    let retried = s
        .send("POST", &commands, Some(WORKER), &key, Some(&screen))
        .await;
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(retried.body["version"], done.body["version"]);
    assert_eq!(retried.body["events"], done.body["events"]);
    let after = s.version(&case).await;
    assert!(after > before);
    assert_eq!(done.body["version"], after);
    let decline = json!({"command": "decline", "reason": "Not for this service"}).to_string();
    let reused = s
        .send("POST", &commands, Some(WORKER), &key, Some(&decline))
        .await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    assert_eq!(s.version(&case).await, after, "nothing was written");

    // A malformed key is named.
    let long = "k".repeat(300);
    let bad = s
        .send(
            "POST",
            &path,
            Some(WORKER),
            &[("Idempotency-Key", &long)],
            Some(&referral),
        )
        .await;
    assert_problem(&bad, 400, "bad_input");
    assert_eq!(bad.body["field"], "Idempotency-Key", "{}", bad.text);
    assert_nothing_confidential(&s.seen.lock().unwrap());
}
