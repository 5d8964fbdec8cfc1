//! The profile's input limits over HTTP (issue 17): a request the server lets through whole
//! (a body limit raised to 16 MiB) is still held to the profile's `[limits]`, each refusal a
//! `400` naming the field and the limit, with nothing stored. The router's own per-value
//! check defaults to the profile's `limits.text_bytes`, so it never refuses what the service
//! keeps. Fictional people only.

use axum::extract::DefaultBodyLimit;
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_http::ApiTokens;
use casework_memory::MemoryStore;
use casework_service::Casework;
use casework_testkit::fixtures;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

mod support;
use support::{assert_problem, Reply};

const WORKER: &str = "fictional-worker-token";

struct Server {
    addr: SocketAddr,
    casework: Arc<Casework<MemoryStore>>,
}

async fn server() -> Server {
    let casework = Arc::new(
        Casework::new(MemoryStore::new(), city_girls_service())
            .with_clock(Arc::new(fixtures::clock())),
    );
    let tokens = ApiTokens::new().with_hash(&ApiTokens::hash(WORKER), fixtures::worker());
    let app = casework_http::router(casework.clone(), tokens, StaffDirectory::new())
        .layer(DefaultBodyLimit::max(16 << 20));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { addr, casework }
}

impl Server {
    async fn post(&self, path: &str, body: &Value) -> Reply {
        support::send(
            self.addr,
            "POST",
            path,
            Some(WORKER),
            &[],
            Some(&body.to_string()),
        )
        .await
    }

    async fn register(&self, name: &str) -> Reply {
        let mut details = serde_json::to_value(fixtures::girl_in_leeds_area()).unwrap();
        details["name"] = json!(name);
        self.post("/young-people", &details).await
    }

    async fn refer(&self, person: &str, concerns: &str) -> Reply {
        self.post(
            &format!("/young-people/yp-{person}/referrals"),
            &json!({
                "source": {"kind": "self_referral"},
                "concerns": concerns,
                "received_at": fixtures::start(),
            }),
        )
        .await
    }
}

#[tokio::test]
async fn a_10_mb_note_is_refused_naming_the_field_and_nothing_is_stored() {
    let server = server().await;
    let registered = server.register("Amy Example").await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let person = registered.body["young_person"].as_str().unwrap().to_owned();

    let huge = "She said ".repeat(1_200_000);
    let refused = server.refer(&person, &huge).await;
    assert_problem(&refused, 400, "bad_input");
    assert_eq!(refused.body["field"], "concerns", "{}", refused.text);
    assert!(refused.text.len() < 1_000, "the note is not echoed");

    // At the profile's limit exactly (102,400 bytes) the referral is received.
    let at_limit = "n".repeat(102_400);
    let over = server.refer(&person, &format!("{at_limit}n")).await;
    assert_problem(&over, 400, "bad_input");
    assert_eq!(over.body["field"], "concerns", "{}", over.text);
    let young_person = person.parse().unwrap();
    assert!(server
        .casework
        .cases_of(young_person)
        .await
        .unwrap()
        .is_empty());
    let received = server.refer(&person, &at_limit).await;
    assert_eq!(received.status, 201, "{}", received.text);
}

#[tokio::test]
async fn a_name_over_the_profiles_name_chars_is_refused_naming_the_field_and_the_limit() {
    let server = server().await;
    assert_eq!(server.register(&"N".repeat(200)).await.status, 201);
    let refused = server.register(&"N".repeat(201)).await;
    assert_problem(&refused, 400, "bad_input");
    assert_eq!(refused.body["field"], "name", "{}", refused.text);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("limits.name_chars"), "{detail}");
    assert!(detail.contains("200"), "{detail}");
}
