//! Cursor pagination over real HTTP (issue 14 point 7): lists answer
//! `{"items": [...], "next_cursor": "…" | null}`; a walk of pages sees every item once, in the
//! list's order, even with records changed between pages; a bad `limit` or `cursor` is a
//! `400` naming it. On SQLite, on the memory store, and on Postgres when `DATABASE_URL` is
//! set (skipped, saying so, otherwise). Fictional people only.

use casework_core::kernel::actor::Actor;
use casework_core::kernel::clock::ManualClock;
use casework_core::kernel::ids::{CaseId, YoungPersonId};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_core::privacy::access_log::AccessSubject;
use casework_core::store::Store;
use casework_http::ApiTokens;
use casework_memory::MemoryStore;
use casework_postgres::PostgresStore;
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use casework_testkit::postgres_db::TestDatabase;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

mod support;
use support::Reply;

const WORKER: &str = "fictional-worker-token";
const MANAGER: &str = "fictional-manager-token";
const ADMIN: &str = "fictional-administrator-token";

struct Server<S> {
    addr: SocketAddr,
    clock: Arc<ManualClock>,
    casework: Arc<Casework<S>>,
    worker: Actor,
}

async fn serve<S: Store + 'static>(store: S) -> Server<S> {
    let clock = Arc::new(fixtures::clock());
    let casework = Arc::new(Casework::new(store, city_girls_service()).with_clock(clock.clone()));
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let directory = StaffDirectory::new().team(manager.id, [worker.id]);
    let tokens = ApiTokens::new()
        .with_hash(&ApiTokens::hash(WORKER), worker.clone())
        .with_hash(&ApiTokens::hash(MANAGER), manager)
        .with_hash(
            &ApiTokens::hash(ADMIN),
            Actor::new(
                "Ada Administrator",
                casework_core::kernel::actor::Role::Administrator,
            ),
        );
    let app = casework_http::router(Arc::clone(&casework), tokens, directory);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        addr,
        clock,
        casework,
        worker,
    }
}

async fn sqlite() -> Server<SqliteStore> {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    serve(store).await
}

impl<S: Store + 'static> Server<S> {
    async fn send(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let body = body.map(Value::to_string);
        support::send(self.addr, method, path, Some(token), &[], body.as_deref()).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, MANAGER, None).await
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send("POST", path, token, Some(body)).await
    }

    /// A young person registered, referred and allocated to the worker, an hour after the
    /// last: their case's id.
    async fn allocated(&self) -> String {
        self.clock.advance(chrono::Duration::hours(1));
        self.allocated_now().await.0
    }

    /// A young person registered, referred and allocated to the worker now: their case's id
    /// and their id.
    async fn allocated_now(&self) -> (String, String) {
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
                    "concerns": "Fictional concern for a paging test",
                    "received_at": self.clock_now(),
                }),
            )
            .await;
        assert_eq!(referred.status, 201, "{}", referred.text);
        let case = referred.body["case"].as_str().unwrap().to_owned();
        for command in [
            json!({"command": "screen"}),
            json!({"command": "assess_risk", "indicators": ["older_boyfriend"]}),
            json!({"command": "accept_for_support"}),
            json!({"command": "allocate", "worker": self.worker.id, "worker_name": self.worker.name}),
        ] {
            let done = self
                .post(&format!("/cases/{case}/commands"), WORKER, &command)
                .await;
            assert_eq!(done.status, 200, "{command}: {}", done.text);
        }
        (case, person)
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use casework_core::kernel::clock::Clock;
        self.clock.now()
    }

    /// One page of `path` (a path with a query string, `?` at least) over `GET`: its items
    /// and the next page's cursor.
    async fn page(
        &self,
        path: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> (Vec<Value>, Option<String>) {
        let mut url = format!("{path}&limit={limit}");
        if let Some(c) = cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = self.get(&url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.text);
        let items = page.body["items"].as_array().expect("items").clone();
        assert!(
            items.len() <= limit,
            "{url}: a page holds at most the limit"
        );
        match &page.body["next_cursor"] {
            Value::Null => (items, None),
            Value::String(next) => {
                assert!(
                    next.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                    "a cursor travels in a URL as it is: {next}"
                );
                (items, Some(next.clone()))
            }
            other => panic!("next_cursor is a string or null: {other}"),
        }
    }

    /// Walks `path` in pages of `limit`: the items seen and the number of pages.
    async fn walk(&self, path: &str, limit: usize) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for pages in 1..=50 {
            let (got, next) = self.page(path, limit, cursor.as_deref()).await;
            items.extend(got);
            match next {
                None => return (items, pages),
                Some(next) => cursor = Some(next),
            }
        }
        panic!("{path}: the pages never ended");
    }
}

fn assert_bad(reply: &Reply, field: &str) {
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["code"], "bad_input", "{}", reply.text);
    assert_eq!(reply.body["field"], field, "{}", reply.text);
}

fn case_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["case_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Five open cases in pages of two: three pages, every case once, in the list's order (the
/// whole list as the service answers it), the last page's `next_cursor` null.
async fn open_cases_span_three_pages<S: Store + 'static>(s: Server<S>) {
    for _ in 0..5 {
        s.allocated().await;
    }
    let whole = s.casework.open_cases(None).await.unwrap();
    assert_eq!(whole.len(), 5);
    let expected: Vec<Value> = whole
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let (items, pages) = s.walk("/queries/open_cases?", 2).await;
    assert_eq!(pages, 3, "5 items in pages of 2");
    assert_eq!(items, expected, "every item once, in the list's order");

    // The same over POST, the cursor in the body; and the default limit holds them all.
    let first = s
        .post("/queries/open_cases", MANAGER, &json!({"limit": 2}))
        .await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let second = s
        .post(
            "/queries/open_cases",
            MANAGER,
            &json!({"limit": 2, "cursor": first.body["next_cursor"]}),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["items"][0], expected[2]);
    let all = s.get("/queries/open_cases").await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(all.body["next_cursor"], Value::Null);
    // A filter pages too: the worker's own caseload.
    let worker = s.worker.id.as_uuid();
    let (mine, _) = s
        .walk(&format!("/queries/open_cases?worker={worker}"), 2)
        .await;
    assert_eq!(mine, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_spans_three_pages_of_two_on_sqlite() {
    open_cases_span_three_pages(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_spans_three_pages_of_two_on_memory() {
    open_cases_span_three_pages(serve(MemoryStore::new()).await).await;
}

/// Cases allocated between pages: every case open throughout is seen once, a case allocated
/// after the position is seen, one allocated before it is not, none twice, in order.
async fn changes_between_pages_skip_and_repeat_nothing<S: Store + 'static>(s: Server<S>) {
    let mut cases = Vec::new();
    for _ in 0..6 {
        cases.push(s.allocated().await);
    }
    let before = case_ids(
        s.get("/queries/open_cases?limit=500").await.body["items"]
            .as_array()
            .unwrap(),
    );
    let mut added = Vec::new();
    let mut earlier = Vec::new();
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 20, "the pages never ended");
        let (got, next) = s.page("/queries/open_cases?", 2, cursor.as_deref()).await;
        items.extend(got);
        let Some(next) = next else { break };
        cursor = Some(next);
        // Between pages: a case allocated after the position (later than every other), and
        // one before it (the clock set back): the first is on a later page, the second on
        // none, and neither moves another across the boundary.
        added.push(s.allocated().await);
        let latest = s.clock_now();
        s.clock
            .set(fixtures::start() - chrono::Duration::days(1 + page as i64));
        earlier.push(s.allocated_now().await.0);
        s.clock.set(latest);
    }
    let seen = case_ids(&items);
    for (n, case) in seen.iter().enumerate() {
        assert!(!seen[..n].contains(case), "{case} seen twice");
    }
    for case in &before {
        assert!(seen.contains(case), "{case}, open throughout, was skipped");
    }
    for case in &earlier {
        assert!(
            !seen.contains(case),
            "{case}, allocated before the position, is not seen"
        );
    }
    assert_eq!(seen.len(), before.len() + added.len(), "nothing else");
    for case in &added {
        assert!(
            seen.contains(case),
            "{case}, allocated after the position, is seen"
        );
    }
    let order: Vec<String> = items
        .iter()
        .map(|i| i["allocated_at"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        order, sorted,
        "pages follow one another in the list's order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_between_pages_skip_and_repeat_nothing_on_sqlite() {
    changes_between_pages_skip_and_repeat_nothing(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_between_pages_skip_and_repeat_nothing_on_memory() {
    changes_between_pages_skip_and_repeat_nothing(serve(MemoryStore::new()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_spans_three_pages_of_two_on_postgres() {
    let Some(db) = TestDatabase::create("pages of a list through the API").await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    open_cases_span_three_pages(serve(store).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_between_pages_skip_and_repeat_nothing_on_postgres() {
    let Some(db) = TestDatabase::create("changes between pages through the API").await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    changes_between_pages_skip_and_repeat_nothing(serve(store).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_limit_or_cursor_is_a_400_naming_it() {
    let s = sqlite().await;
    for _ in 0..3 {
        s.allocated().await;
    }
    for limit in ["0", "501", "-1", "1.5", "ten", "%22%22", "1e3"] {
        let reply = s.get(&format!("/queries/open_cases?limit={limit}")).await;
        assert_bad(&reply, "limit");
    }
    for limit in [json!(0), json!(501), json!("2"), json!([2])] {
        let reply = s
            .post("/queries/open_cases", MANAGER, &json!({ "limit": limit }))
            .await;
        assert_bad(&reply, "limit");
    }
    let first = s.get("/queries/open_cases?limit=1").await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let good = s
        .get(&format!("/queries/open_cases?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(good.status, 200, "{}", good.text);
    // Altered anywhere, cut short, made up, another list's or another filter's: refused.
    let mut altered = Vec::new();
    for at in [0, 2, 5, cursor.len() / 2, cursor.len() - 1] {
        let mut bytes = cursor.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        altered.push(String::from_utf8(bytes).unwrap());
    }
    let mut wrong = altered;
    wrong.extend([
        cursor[..cursor.len() - 4].to_owned(),
        format!("{cursor}AAAA"),
        "nonsense".to_owned(),
        "c1".to_owned(),
        "c1AAAA".to_owned(),
        "12345".to_owned(),
        "%7B%7D".to_owned(),
    ]);
    for bad in &wrong {
        let reply = s
            .get(&format!("/queries/open_cases?limit=1&cursor={bad}"))
            .await;
        assert_bad(&reply, "cursor");
    }
    let reply = s
        .get(&format!("/queries/closed_cases?limit=1&cursor={cursor}"))
        .await;
    assert_bad(&reply, "cursor");
    let reply = s
        .get(&format!(
            "/queries/open_cases?limit=1&cursor={cursor}&worker={}",
            s.worker.id.as_uuid()
        ))
        .await;
    assert_bad(&reply, "cursor");
    let reply = s
        .post("/queries/open_cases", MANAGER, &json!({"cursor": 7}))
        .await;
    assert_bad(&reply, "cursor");
    // A limit does not change the list: a cursor from pages of one serves pages of two.
    let two = s
        .get(&format!("/queries/open_cases?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(two.status, 200, "{}", two.text);
    assert_eq!(two.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(two.body["next_cursor"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_page_too() {
    let s = sqlite().await;
    let case = s.allocated().await;
    for n in 0..5 {
        let open = s
            .post(
                &format!("/cases/{case}/open"),
                WORKER,
                &json!({ "purpose": format!("fictional supervision {n}") }),
            )
            .await;
        assert_eq!(open.status, 200, "{}", open.text);
    }
    let summary = s.get(&format!("/cases/{case}")).await;
    let person: YoungPersonId = serde_json::from_value(summary.body["young_person_id"].clone())
        .unwrap_or_else(|_| panic!("{}", summary.text));
    let case_id: CaseId = serde_json::from_value(summary.body["case_id"].clone()).unwrap();
    let subject = serde_json::to_string(&AccessSubject::Case {
        case: case_id,
        young_person: person,
    })
    .unwrap();
    let subject: String = subject
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (items, pages) = s.walk(&format!("/access-log?subject={subject}"), 2).await;
    assert_eq!(pages, 3);
    let purposes: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    for n in 0..5 {
        assert_eq!(
            purposes
                .iter()
                .filter(|p| p.contains(&format!("fictional supervision {n}")))
                .count(),
            1,
            "{purposes:?}"
        );
    }
    let holds = s.get("/legal-holds?limit=2").await;
    assert_eq!(holds.status, 403, "a manager may not: {}", holds.text);
    let mut people = Vec::new();
    for n in 0..5 {
        s.clock.advance(chrono::Duration::hours(1));
        let (_, person) = s.allocated_now().await;
        let placed = s
            .post(
                &format!("/young-people/{person}/legal-holds"),
                ADMIN,
                &json!({ "reason": format!("fictional claim {n}") }),
            )
            .await;
        assert_eq!(placed.status, 201, "{}", placed.text);
        people.push(person);
    }
    let mut holds = Vec::new();
    let mut cursor = String::new();
    for page in 1.. {
        let reply = s
            .send(
                "GET",
                &format!("/legal-holds?limit=2&cursor={cursor}"),
                ADMIN,
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        holds.extend(reply.body["items"].as_array().unwrap().clone());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => {
                assert_eq!(page, 3, "5 holds in pages of 2");
                break;
            }
        }
    }
    let held: Vec<String> = holds
        .iter()
        .map(|h| h["young_person"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(held, people, "oldest first, each once: {holds:?}");
}

#[test]
fn the_openapi_document_describes_pages() {
    let document = casework_http::openapi_document::<SqliteStore>();
    let get = &document["paths"]["/queries/open_cases"]["get"];
    let names: Vec<&str> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["worker", "limit", "cursor"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let limit = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["maximum"], 500, "{limit}");
    assert_eq!(limit["schema"]["default"], 100, "{limit}");
    let response = &get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    let name = response.as_str().unwrap().rsplit('/').next().unwrap();
    let page = &document["components"]["schemas"][name];
    assert!(page["properties"]["items"].is_object(), "{page}");
    assert!(page["properties"]["next_cursor"].is_object(), "{page}");
    // The body of the POST form: the query's parameters, `limit` and `cursor`, no other.
    let body = &document["paths"]["/queries/open_cases"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["$ref"];
    let name = body.as_str().unwrap().rsplit('/').next().unwrap();
    let input = &document["components"]["schemas"][name];
    assert_eq!(input["additionalProperties"], false, "{input}");
    for field in ["worker", "limit", "cursor"] {
        assert!(input["properties"][field].is_object(), "{field}: {input}");
    }
    let unpaged = &document["paths"]["/queries/waiting_list"]["get"]["summary"];
    assert!(
        unpaged.as_str().unwrap().contains("Not paginated"),
        "{unpaged}"
    );
}
