//! SQLite store benchmarks: the adapter against raw rusqlite in the same run.
//!
//! ```text
//! cargo bench --bench sqlite                  # criterion groups, then the summary table
//! cargo bench --bench sqlite -- --summary     # only the summary table (about a minute)
//! CASEWORK_BENCH_CASES=20000 cargo bench --bench sqlite   # fewer cases for the queries
//! ```
//!
//! What is measured (every database in WAL mode with `synchronous = NORMAL`):
//! - one-event commits: raw rusqlite single-row inserts of a 360-byte payload, each in its
//!   own `BEGIN IMMEDIATE` transaction, against `SqliteStore::append` of one event with the
//!   same payload plus its case-summary row, and against `Casework::execute` of a command that
//!   appends one event (pause or resume an active case: load, decide, append);
//! - loading a 20-event and a 2,000-event case with `Casework::case`, against raw rusqlite
//!   selecting the same stream's rows;
//! - the waiting list and overdue reviews over 100,000 cases (p50/p95), against the same SQL
//!   run directly through rusqlite with the same JSON decoding.
//!
//! The summary at the end times the pairs in interleaved blocks, so both sides of a ratio
//! see the same machine state; the crate docs of `casework-sqlite` record its figures.

use casework::actor::Actor;
use casework::case::{CaseCommand, PauseReason, StageName};
use casework::event::{EventMeta, NewEvent};
use casework::ids::{CaseId, EventId, OwedActionId, StreamId, YoungPersonId};
use casework::owed::OwedActionKind;
use casework::profile::examples::city_girls_service;
use casework::read_model::{CaseSummary, OwedActionSummary, ReadModelUpdate};
use casework::risk::RiskLevel;
use casework::sqlite::bench_support::append_inline;
use casework::sqlite::rusqlite::{self, params, Connection};
use casework::sqlite::SqliteStore;
use casework::store::{AppendRequest, CaseQueries, EventAppend};
use casework::Casework;
use casework_testkit::fixtures;
use chrono::{DateTime, Duration as Days, Utc};
use criterion::Criterion;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const PAYLOAD_BYTES: usize = 360;

fn payload() -> String {
    let body = "x".repeat(PAYLOAD_BYTES - 12);
    let p = format!("{{\"note\":\"{body}\"}}");
    assert_eq!(p.len(), PAYLOAD_BYTES - 1);
    p + " "
}

fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "casework-bench-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Raw rusqlite with the store's PRAGMAs and a one-row-per-event table.
struct Raw {
    conn: Connection,
    version: i64,
    payload: String,
}

impl Raw {
    fn open(path: &Path) -> Self {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS raw_events (
                 position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL,
                 version INTEGER NOT NULL, payload TEXT NOT NULL,
                 UNIQUE (stream_id, version))",
        )
        .unwrap();
        Raw {
            conn,
            version: 0,
            payload: payload(),
        }
    }

    fn insert(&mut self) {
        self.version += 1;
        self.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        self.conn
            .prepare_cached(
                "INSERT INTO raw_events (stream_id, version, payload) VALUES (?1, ?2, ?3)",
            )
            .unwrap()
            .execute(params![
                "0b8d2c59-0000-4000-8000-000000000001",
                self.version,
                self.payload
            ])
            .unwrap();
        self.conn.execute_batch("COMMIT").unwrap();
    }
}

fn event(at: DateTime<Utc>, actor: &Actor) -> NewEvent {
    NewEvent {
        event_type: "case_note_recorded".into(),
        schema_version: 1,
        payload: payload(),
        meta: EventMeta {
            event_id: EventId::new(),
            recorded_at: at,
            actor: actor.clone(),
            reason: None,
        },
    }
}

fn summary(
    case: CaseId,
    stage: StageName,
    risk: Option<RiskLevel>,
    received_at: DateTime<Utc>,
    next_review_due: Option<DateTime<Utc>>,
    version: u64,
) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: YoungPersonId::new(),
        stage,
        risk_level: risk,
        received_at,
        source: "professional".into(),
        worker: None,
        previous_case: None,
        next_review_due,
        closure_reason: None,
        version,
        owed: vec![OwedActionSummary {
            action_id: OwedActionId::new(),
            case_id: case,
            kind: OwedActionKind::NotifySafeguardingUnit,
            owed_to: "Fictional Safeguarding Unit".into(),
            due_at: received_at + Days::days(1),
            status: if stage == StageName::Closed {
                "sent"
            } else {
                "owed"
            }
            .into(),
        }],
    }
}

/// Appends one event at a time to one case stream, with the case's summary row.
struct Appender {
    store: SqliteStore,
    case: CaseId,
    version: u64,
    actor: Actor,
    row: CaseSummary,
}

/// The summary row of an active case: the same young person and owed action on every
/// write, as for a real case, with the version moving on.
fn active_row(case: CaseId) -> CaseSummary {
    let at = fixtures::start();
    summary(
        case,
        StageName::Active,
        Some(RiskLevel::Medium),
        at,
        Some(at + Days::days(28)),
        0,
    )
}

impl Appender {
    fn new(store: SqliteStore) -> Self {
        let case = CaseId::new();
        Appender {
            store,
            case,
            version: 0,
            actor: fixtures::worker(),
            row: active_row(case),
        }
    }

    async fn append(&mut self) {
        let request = AppendRequest {
            stream: StreamId::Case(self.case),
            expected_version: self.version,
            events: vec![event(fixtures::start(), &self.actor)],
            read_model: ReadModelUpdate::Case(CaseSummary {
                version: self.version + 1,
                ..self.row.clone()
            }),
            snapshot: None,
            listings: None,
        };
        self.version = self.store.append(request).await.unwrap();
    }
}

/// The store's own append SQL on a connection owned by the calling thread: the same work as
/// `Appender` without the writer thread, so the pair shows what the thread hop costs.
struct Inline {
    conn: Connection,
    case: CaseId,
    version: u64,
    actor: Actor,
    row: CaseSummary,
}

impl Inline {
    fn open(path: &Path) -> Self {
        let rt = current_thread();
        let store = SqliteStore::open(path).unwrap();
        rt.block_on(store.migrate()).unwrap();
        drop(store);
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.pragma_update(None, "temp_store", "MEMORY").unwrap();
        conn.pragma_update(None, "cache_size", -16_384).unwrap();
        let case = CaseId::new();
        Inline {
            conn,
            case,
            version: 0,
            actor: fixtures::worker(),
            row: active_row(case),
        }
    }

    fn append(&mut self) {
        let request = AppendRequest {
            stream: StreamId::Case(self.case),
            expected_version: self.version,
            events: vec![event(fixtures::start(), &self.actor)],
            read_model: ReadModelUpdate::Case(CaseSummary {
                version: self.version + 1,
                ..self.row.clone()
            }),
            snapshot: None,
            listings: None,
        };
        self.version = append_inline(&self.conn, request).unwrap();
    }
}

/// An active case driven through the library, paused and resumed one event at a time.
struct Commands {
    casework: Casework<SqliteStore>,
    case: CaseId,
    paused: bool,
    actor: Actor,
}

impl Commands {
    async fn new(store: SqliteStore) -> Self {
        let casework = Casework::new(store, city_girls_service());
        let case = active_case(&casework).await;
        Commands {
            casework,
            case,
            paused: false,
            actor: fixtures::worker(),
        }
    }

    async fn execute(&mut self) {
        let command = if self.paused {
            CaseCommand::Resume
        } else {
            CaseCommand::Pause {
                reason: PauseReason::NoContact,
            }
        };
        self.casework
            .execute(&self.actor, self.case, command)
            .await
            .unwrap();
        self.paused = !self.paused;
    }
}

/// A self-referral taken to active work: 14 events.
async fn active_case(casework: &Casework<SqliteStore>) -> CaseId {
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
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
            plan: casework::confidential::Confidential::new(fixtures::text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ] {
        casework.execute(&worker, case, command).await.unwrap();
    }
    case
}

/// A case of exactly `events` events (or one more, to land on a whole pause/resume pair).
async fn case_of_length(casework: &Casework<SqliteStore>, events: u64) -> CaseId {
    let case = active_case(casework).await;
    let worker = fixtures::worker();
    let mut length = casework.history(case).await.unwrap().len() as u64;
    let mut paused = false;
    while length < events {
        let command = if paused {
            CaseCommand::Resume
        } else {
            CaseCommand::Pause {
                reason: PauseReason::NoContact,
            }
        };
        length = casework
            .execute(&worker, case, command)
            .await
            .unwrap()
            .version;
        paused = !paused;
    }
    case
}

/// Raw rusqlite reading one stream's rows, as the store's reader does.
fn raw_load(conn: &Connection, case: CaseId) -> usize {
    let mut st = conn
        .prepare_cached(
            "SELECT version, position, event_type, schema_version, payload, event_id,
                 recorded_at, recorded_at_ns, actor_id, actor_name, actor_role, reason
             FROM events WHERE stream_kind = ?1 AND stream_id = ?2 AND version > ?3
             ORDER BY version",
        )
        .unwrap();
    let rows = st
        .query_map(params!["case", case.as_uuid().to_string(), 0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, Option<String>>(11)?,
            ))
        })
        .unwrap();
    rows.collect::<rusqlite::Result<Vec<_>>>().unwrap().len()
}

/// Raw rusqlite running a summary query and decoding its JSON bodies.
fn raw_bodies(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Vec<CaseSummary> {
    let mut st = conn.prepare_cached(sql).unwrap();
    let rows = st.query_map(params, |r| r.get::<_, String>(0)).unwrap();
    rows.map(|b| serde_json::from_str(&b.unwrap()).unwrap())
        .collect()
}

const WAITING_LIST: &str = "SELECT body FROM case_summaries WHERE stage = ?1 \
    ORDER BY risk_rank DESC, received_at, received_at_ns, case_id";
const OVERDUE: &str = "SELECT body FROM case_summaries \
    WHERE next_review_due <= ?1 AND (next_review_due < ?1 OR next_review_due_ns < ?2) \
    ORDER BY next_review_due, next_review_due_ns, case_id";

fn micros(at: DateTime<Utc>) -> (i64, i64) {
    (at.timestamp_micros(), 0)
}

/// Seeds `n` cases by direct appends (one event and one summary each), many in flight at
/// once so the writer commits them in shared transactions: 1% on the waiting list, 10%
/// active with a review due between 10 days ago and 90 days ahead (so about 1% overdue),
/// the rest closed.
fn seed(rt: &Runtime, store: &SqliteStore, n: usize) -> DateTime<Utc> {
    let now = fixtures::start() + Days::days(365);
    let started = Instant::now();
    rt.block_on(async {
        let tasks = 32;
        let mut handles = Vec::new();
        for t in 0..tasks {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                let actor = fixtures::worker();
                for i in (t..n).step_by(tasks) {
                    let case = CaseId::new();
                    let received = fixtures::start() + Days::minutes((i as i64 * 7919) % 500_000);
                    let (stage, risk, due) = match i % 100 {
                        0 => (
                            StageName::WaitingList,
                            [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High][i / 100 % 3],
                            None,
                        ),
                        1..=10 => (
                            StageName::Active,
                            RiskLevel::Medium,
                            Some(
                                now - Days::days(10)
                                    + Days::minutes((i as i64 * 104_729) % (100 * 1440)),
                            ),
                        ),
                        _ => (StageName::Closed, RiskLevel::Low, None),
                    };
                    let request = AppendRequest {
                        stream: StreamId::Case(case),
                        expected_version: 0,
                        events: vec![event(received, &actor)],
                        read_model: ReadModelUpdate::Case(summary(
                            case,
                            stage,
                            Some(risk),
                            received,
                            due,
                            1,
                        )),
                        snapshot: None,
                        listings: None,
                    };
                    store.append(request).await.unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    eprintln!(
        "seeded {n} cases in {:.1} s ({:.0} appends/s with 32 writers in flight)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
    now
}

fn cases_to_seed() -> usize {
    std::env::var("CASEWORK_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn criterion_groups(c: &mut Criterion) {
    let scratch = Scratch::new("criterion");
    let ct = current_thread();

    let mut group = c.benchmark_group("commit_one_event");
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    let mut raw = Raw::open(&scratch.file("raw.db"));
    group.bench_function("raw_rusqlite_insert", |b| b.iter(|| raw.insert()));
    let store = SqliteStore::open(scratch.file("store.db")).unwrap();
    ct.block_on(store.migrate()).unwrap();
    let mut appender = Appender::new(store.clone());
    group.bench_function("store_append", |b| {
        b.iter_custom(|iters| {
            ct.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    appender.append().await;
                }
                start.elapsed()
            })
        })
    });
    let mut inline = Inline::open(&scratch.file("inline.db"));
    group.bench_function("same_sql_inline", |b| b.iter(|| inline.append()));
    let mut commands = ct.block_on(Commands::new(store.clone()));
    group.bench_function("casework_execute", |b| {
        b.iter_custom(|iters| {
            ct.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    commands.execute().await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("load_case");
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    let casework = Casework::new(store.clone(), city_girls_service());
    let reader = Connection::open(store.path()).unwrap();
    for length in [20, 2_000] {
        let case = ct.block_on(case_of_length(&casework, length));
        group.bench_function(format!("casework_case_{length}_events"), |b| {
            b.iter_custom(|iters| {
                ct.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        casework.case(case).await.unwrap();
                    }
                    start.elapsed()
                })
            })
        });
        group.bench_function(format!("raw_select_{length}_events"), |b| {
            b.iter(|| raw_load(&reader, case))
        });
    }
    group.finish();
}

/// Times `f` over `n` calls, returning each call's duration.
fn sample<F: FnMut()>(n: usize, mut f: F) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Line {
    what: String,
    p50: Duration,
    p95: Duration,
}

fn line(what: &str, mut times: Vec<Duration>) -> Line {
    times.sort();
    Line {
        what: what.into(),
        p50: percentile(&times, 0.5),
        p95: percentile(&times, 0.95),
    }
}

/// Interleaved blocks of `block` operations each for two sides; returns the median
/// per-operation time of each side.
fn paired<A: FnMut(), B: FnMut()>(
    rounds: usize,
    block: usize,
    mut a: A,
    mut b: B,
) -> (Duration, Duration) {
    let mut ta = Vec::new();
    let mut tb = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..block {
            a();
        }
        ta.push(start.elapsed() / block as u32);
        let start = Instant::now();
        for _ in 0..block {
            b();
        }
        tb.push(start.elapsed() / block as u32);
    }
    ta.sort();
    tb.sort();
    (ta[ta.len() / 2], tb[tb.len() / 2])
}

fn per_second(d: Duration) -> f64 {
    1.0 / d.as_secs_f64()
}

fn summary_table() {
    let scratch = Scratch::new("summary");
    let ct = current_thread();
    let mt = multi_thread();
    println!("\n== casework-sqlite summary (same run, interleaved; medians of blocks) ==");

    // Commits.
    let mut raw = Raw::open(&scratch.file("raw.db"));
    let store = SqliteStore::open(scratch.file("store.db")).unwrap();
    ct.block_on(store.migrate()).unwrap();
    let mut appender = Appender::new(store.clone());
    let (raw_commit, append_ct) =
        paired(15, 400, || raw.insert(), || ct.block_on(appender.append()));
    let mut inline = Inline::open(&scratch.file("inline.db"));
    let mut appender_2 = Appender::new(store.clone());
    let (inline_t, append_ct2) = paired(
        15,
        400,
        || inline.append(),
        || ct.block_on(appender_2.append()),
    );
    let mut appender_mt = Appender::new(store.clone());
    let (raw_commit2, append_mt) = paired(
        15,
        400,
        || raw.insert(),
        || mt.block_on(appender_mt.append()),
    );
    let mut commands = ct.block_on(Commands::new(store.clone()));
    let (raw_commit3, execute_ct) =
        paired(15, 200, || raw.insert(), || ct.block_on(commands.execute()));
    println!(
        "one-event commits/s: raw rusqlite single-row insert {:.0}; store.append {:.0} ({:.2}x raw) on a current-thread runtime, {:.0} ({:.2}x raw) on a multi-thread one",
        per_second(raw_commit),
        per_second(append_ct),
        raw_commit.as_secs_f64() / append_ct.as_secs_f64(),
        per_second(append_mt),
        raw_commit2.as_secs_f64() / append_mt.as_secs_f64(),
    );
    println!(
        "the store's append SQL inline on the caller's thread {:.0}/s: store.append through the writer thread is {:.2}x of it ({:.1} µs per hop); the inline SQL is {:.2}x of raw",
        per_second(inline_t),
        inline_t.as_secs_f64() / append_ct2.as_secs_f64(),
        (append_ct2.as_secs_f64() - inline_t.as_secs_f64()) * 1e6,
        raw_commit.as_secs_f64() / inline_t.as_secs_f64(),
    );
    println!(
        "Casework::execute (load, decide, append one event) {:.0}/s ({:.2}x raw)",
        per_second(execute_ct),
        raw_commit3.as_secs_f64() / execute_ct.as_secs_f64(),
    );

    // Group commit: many writers in flight.
    let writers = 16;
    let per_writer = 300;
    let started = Instant::now();
    mt.block_on(async {
        let mut handles = Vec::new();
        for _ in 0..writers {
            let mut a = Appender::new(store.clone());
            handles.push(tokio::spawn(async move {
                for _ in 0..per_writer {
                    a.append().await;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    let concurrent = (writers * per_writer) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{writers} concurrent writers (group commit): {concurrent:.0} appends/s ({:.2}x raw single-row commits)",
        concurrent / per_second(raw_commit)
    );

    // Loads.
    let casework = Casework::new(store.clone(), city_girls_service());
    let reader = Connection::open(store.path()).unwrap();
    let mut loads = Vec::new();
    for length in [20u64, 2_000] {
        let case = ct.block_on(case_of_length(&casework, length));
        let (raw_load_t, case_t) = paired(
            15,
            200,
            || {
                raw_load(&reader, case);
            },
            || {
                ct.block_on(casework.case(case)).unwrap();
            },
        );
        loads.push((length, raw_load_t, case_t));
    }
    for (length, raw_t, case_t) in &loads {
        println!(
            "load a {length}-event case: Casework::case {:.1} µs ({:.0}/s), raw rusqlite select of its rows {:.1} µs ({:.2}x)",
            case_t.as_secs_f64() * 1e6,
            per_second(*case_t),
            raw_t.as_secs_f64() * 1e6,
            raw_t.as_secs_f64() / case_t.as_secs_f64()
        );
    }
    println!(
        "2,000-event case / 20-event case load time: {:.2}x (snapshots every {} events)",
        loads[1].2.as_secs_f64() / loads[0].2.as_secs_f64(),
        casework::service::SNAPSHOT_EVERY
    );
    drop(casework);

    // Queries over many cases.
    let n = cases_to_seed();
    let big = SqliteStore::open(scratch.file("big.db")).unwrap();
    mt.block_on(big.migrate()).unwrap();
    let now = seed(&mt, &big, n);
    let reader = Connection::open(big.path()).unwrap();
    let waiting = ct.block_on(big.waiting_list()).unwrap().len();
    let overdue = ct.block_on(big.overdue_reviews(now)).unwrap().len();
    let (us, ns) = micros(now);
    let lines = [
        line(
            &format!("waiting list ({waiting} of {n} cases), store"),
            sample(200, || {
                ct.block_on(big.waiting_list()).unwrap();
            }),
        ),
        line(
            "waiting list, raw rusqlite + same JSON decoding",
            sample(200, || {
                raw_bodies(&reader, WAITING_LIST, ["waiting_list"]);
            }),
        ),
        line(
            &format!("overdue reviews ({overdue} of {n} cases), store"),
            sample(200, || {
                ct.block_on(big.overdue_reviews(now)).unwrap();
            }),
        ),
        line(
            "overdue reviews, raw rusqlite + same JSON decoding",
            sample(200, || {
                raw_bodies(&reader, OVERDUE, [us, ns]);
            }),
        ),
    ];
    for l in &lines {
        println!(
            "{}: p50 {:.2} ms, p95 {:.2} ms",
            l.what,
            l.p50.as_secs_f64() * 1e3,
            l.p95.as_secs_f64() * 1e3
        );
    }
    println!(
        "store / raw p50: waiting list {:.2}x, overdue reviews {:.2}x",
        lines[0].p50.as_secs_f64() / lines[1].p50.as_secs_f64(),
        lines[2].p50.as_secs_f64() / lines[3].p50.as_secs_f64()
    );
}

fn main() {
    let summary_only = std::env::args().any(|a| a == "--summary");
    // `cargo test --benches` runs bench targets with `--bench` absent: keep that quick.
    let benching = std::env::args().any(|a| a == "--bench");
    if !summary_only && benching {
        let mut c = Criterion::default().configure_from_args().sample_size(30);
        criterion_groups(&mut c);
        c.final_summary();
    }
    if summary_only || benching {
        summary_table();
    }
}
