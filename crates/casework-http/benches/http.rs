//! A case command over HTTP against the same command in-process, in the same run (issue 14).
//!
//! Both sides pause and resume an active case on the same store (a SQLite file, then the
//! memory store, where the command itself costs least and HTTP's share shows most): in-process through
//! `Acting::execute`, over HTTP as `POST /cases/{id}/commands` on one keep-alive connection to
//! the router served on `127.0.0.1:0` (authentication, JSON in and out, problem mapping,
//! security headers, tracing span). The ratio of the two, and the microseconds HTTP adds, are
//! printed at the end. Target: HTTP at ≥ 0.7× the in-process rate.
//!
//! `cargo bench -p casework-http --bench http` (set `CARGO_TARGET_DIR` outside a shared tree).

use casework_core::case::{CaseCommand, PauseReason};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::CaseId;
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_core::store::Store;
use casework_http::ApiTokens;
use casework_memory::MemoryStore;
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use criterion::{criterion_group, Criterion};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "fictional-bench-token";

/// Cases each side works on in turn.
const CASES: usize = 200;

/// A self-referral taken to active work by `worker`.
async fn active_case<S: Store>(casework: &Casework<S>, worker: &Actor) -> CaseId {
    let person = casework
        .register_young_person(worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(worker, person, fixtures::self_referral(fixtures::start()))
        .await
        .unwrap();
    for command in [
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: worker.id,
            worker_name: fixtures::text(&worker.name),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(fixtures::text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ] {
        casework.execute(worker, case, command).await.unwrap();
    }
    case
}

fn pause_or_resume(paused: bool) -> CaseCommand {
    if paused {
        CaseCommand::Resume
    } else {
        CaseCommand::Pause {
            reason: PauseReason::NoContact,
        }
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    async fn post(&mut self, path: &str, body: &str) -> u16 {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await.unwrap();
        status
    }
}

fn sqlite(c: &mut Criterion) {
    let dir = tempfile_dir();
    let store = SqliteStore::open(dir.join("bench.db")).unwrap();
    command(c, "sqlite", move || async move {
        store.migrate().await.unwrap();
        store
    });
}

fn memory(c: &mut Criterion) {
    command(c, "memory", || async { MemoryStore::new() });
}

fn command<S, F, Fut>(c: &mut Criterion, store_name: &str, open: F)
where
    S: Store + 'static,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let worker = fixtures::worker();
    let (casework, in_process, over_http, mut connection) = runtime.block_on(async {
        let store = open().await;
        let casework = Arc::new(Casework::new(store, city_girls_service()));
        let mut in_process = Vec::new();
        let mut over_http = Vec::new();
        for _ in 0..CASES {
            in_process.push(active_case(&casework, &worker).await);
            over_http.push(active_case(&casework, &worker).await);
        }
        let tokens = ApiTokens::new().with_hash(&ApiTokens::hash(TOKEN), worker.clone());
        let app = casework_http::router(Arc::clone(&casework), tokens, StaffDirectory::new());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let connection = Connection {
            reader: BufReader::new(stream),
            host: addr.to_string(),
        };
        (casework, in_process, over_http, connection)
    });
    let directory = StaffDirectory::new();
    let mut group = c.benchmark_group(format!("command_{store_name}"));
    // Round robin over the cases, so each stays the length of a real case's however many
    // iterations criterion runs; a case is paused on odd rounds and resumed on even ones.
    let mut n = 0usize;
    group.bench_function("in_process", |b| {
        b.iter(|| {
            let case = in_process[n % CASES];
            let paused = (n / CASES) % 2 == 1;
            runtime.block_on(async {
                casework
                    .acting_as(&worker, &directory)
                    .execute(case, pause_or_resume(paused))
                    .await
                    .unwrap();
            });
            n += 1;
        });
    });
    let paths: Vec<String> = over_http
        .iter()
        .map(|case| format!("/cases/{}/commands", case.as_uuid()))
        .collect();
    let bodies = [
        pause_or_resume(false).to_json(),
        pause_or_resume(true).to_json(),
    ];
    let mut n = 0usize;
    group.bench_function("http_keep_alive", |b| {
        b.iter(|| {
            let paused = (n / CASES) % 2 == 1;
            let status =
                runtime.block_on(connection.post(&paths[n % CASES], &bodies[usize::from(paused)]));
            assert_eq!(status, 200);
            n += 1;
        });
    });
    group.finish();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "casework-http-bench-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One benchmark's time per iteration from criterion's estimates (the slope, as criterion
/// prints it, else the mean), in nanoseconds.
fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target"));
    let candidates = [
        target.join("criterion").join(group).join(name),
        std::path::PathBuf::from("../../target/criterion")
            .join(group)
            .join(name),
    ];
    let path = candidates
        .iter()
        .map(|c| c.join("new/estimates.json"))
        .find(|p| p.exists())?;
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    estimates["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| estimates["mean"]["point_estimate"].as_f64())
}

criterion_group!(benches, sqlite, memory);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    for store in ["sqlite", "memory"] {
        let group = format!("command_{store}");
        if let (Some(local), Some(http)) = (
            mean_ns(&group, "in_process"),
            mean_ns(&group, "http_keep_alive"),
        ) {
            println!(
                "{store}: HTTP keep-alive at {:.2}x the in-process rate (in-process {:.1} µs, HTTP {:.1} µs, {:+.1} µs a command)",
                local / http,
                local / 1000.0,
                http / 1000.0,
                (http - local) / 1000.0
            );
        }
    }
}
