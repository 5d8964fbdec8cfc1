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
//! - the same one-event append carrying three listings (open case, review due, expected end),
//!   which replace the stream's listings, against it with `listings: None`, all against the raw
//!   single-row insert: once with all three listings changed on every append (the store
//!   rewrites the three rows) and once with the same three every time (the store reads them
//!   back, finds them unchanged and writes nothing);
//! - the checked handle (R-27) against the unchecked service, on the allocated worker's own
//!   cases so every check passes: `Acting::execute` against `Casework::execute` of a
//!   `RecordContact` (load, check, decide, append; a fresh active case every
//!   `CONTACTS_PER_CASE` contacts, made outside the timing, so the cases stay small), and
//!   `Acting::open_record` (load, check, append one access-log event on its own stream)
//!   against `Casework::case` (load);
//! - loading a 20-event and a 2,000-event case with `Casework::case`, against raw rusqlite
//!   selecting the same stream's rows;
//! - the waiting list and overdue reviews over 100,000 cases (p50/p95), against the same SQL
//!   run directly through rusqlite with the same JSON decoding.
//!
//! The summary at the end times the pairs in interleaved blocks, so both sides of a ratio
//! see the same machine state (the listings and checked-handle comparisons also rotate which
//! side runs first in each round, as their ratios sit near 1); the crate docs of
//! `casework-sqlite` record its figures.

#[path = "support/mod.rs"]
mod support;

use casework::case::owed::OwedActionKind;
use casework::case::{CaseCommand, ContactKind, ContactWith, Direction, PauseReason, StageName};
use casework::kernel::actor::Actor;
use casework::kernel::event::{EventMeta, NewEvent};
use casework::kernel::ids::{CaseId, EventId, OwedActionId, StreamId, YoungPersonId};
use casework::policy::profile::examples::city_girls_service;
use casework::policy::programme::Span;
use casework::policy::risk::RiskLevel;
use casework::privacy::access::StaffDirectory;
use casework::read::listing::{ExpectedEndRow, ListingRow, OpenCaseRow, ReviewDueRow};
use casework::read::rows::{CaseSummary, Listing, OwedActionSummary, ReadModelUpdate};
use casework::sqlite::bench_support::append_inline;
use casework::sqlite::rusqlite::{self, params, Connection};
use casework::sqlite::SqliteStore;
use casework::store::{AppendRequest, CaseQueries, EventAppend};
use casework::Casework;
use casework_testkit::fixtures;
use chrono::{DateTime, Duration as Days, Utc};
use criterion::Criterion;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{interleaved, payload, Raw, Scratch};
use tokio::runtime::Runtime;

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

/// Appends one event at a time to one case stream, with the case's summary row and, when
/// `listings` holds any sets, the stream's listings replaced by them in turn.
struct Appender {
    store: SqliteStore,
    case: CaseId,
    version: u64,
    actor: Actor,
    row: CaseSummary,
    listings: Vec<Vec<Listing>>,
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

/// The three listings of an active case on a programme, as the service computes them: open
/// case (by worker), review due and expected end; `later` moves all their times, so two sets
/// differ in every row.
fn case_listings(row: &CaseSummary, worker: &Actor, later: Days) -> Vec<Listing> {
    let allocated_at = row.received_at + Days::days(2) + later;
    let work_begun_at = row.received_at + Days::days(9) + later;
    vec![
        OpenCaseRow {
            case_id: row.case_id,
            young_person_id: row.young_person_id,
            stage: row.stage,
            worker: worker.id,
            worker_name: fixtures::text(&worker.name),
            allocated_at,
            risk_level: row.risk_level,
            programme: Some("short_term".into()),
            work_begun_at: Some(work_begun_at),
        }
        .to_listing(),
        ReviewDueRow {
            case_id: row.case_id,
            young_person_id: row.young_person_id,
            stage: row.stage,
            worker: Some(worker.id),
            risk_level: row.risk_level,
            due_at: row.next_review_due.expect("an active row has a review due") + later,
        }
        .to_listing(),
        ExpectedEndRow {
            case_id: row.case_id,
            young_person_id: row.young_person_id,
            worker: Some(worker.id),
            programme: "short_term".into(),
            expected_weeks: Span { min: 8, max: 10 },
            work_begun_at,
            expected_end: work_begun_at + Days::weeks(10),
        }
        .to_listing(),
    ]
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
            listings: Vec::new(),
        }
    }

    /// Every append also carries the stream's three listings: two sets in turn, differing in
    /// every row, when `changing`, otherwise the same set every time.
    fn with_listings(store: SqliteStore, changing: bool) -> Self {
        let mut appender = Appender::new(store);
        let (row, actor) = (&appender.row, &appender.actor);
        appender.listings = vec![case_listings(row, actor, Days::zero())];
        if changing {
            appender
                .listings
                .push(case_listings(row, actor, Days::days(1)));
        }
        appender
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
            listings: (!self.listings.is_empty())
                .then(|| self.listings[self.version as usize % self.listings.len()].clone()),
            idempotency: None,
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
            idempotency: None,
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
    active_case_of(casework, &fixtures::worker()).await
}

/// A self-referral taken to active work by `worker`, its allocated worker: 14 events.
async fn active_case_of(casework: &Casework<SqliteStore>, worker: &Actor) -> CaseId {
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
            plan: casework::kernel::confidential::NewConfidential::new(fixtures::text(
                "Weekly sessions",
            )),
        },
        CaseCommand::BeginWork,
    ] {
        casework.execute(worker, case, command).await.unwrap();
    }
    case
}

/// Contacts recorded on one case before the next command moves to a fresh one, so the cases
/// (and their snapshots) stay the size of a real case's.
const CONTACTS_PER_CASE: usize = 100;

/// The allocated worker recording contacts on their own active cases, through the checked
/// handle (`directory` set) or the unchecked service; a fresh case every
/// `CONTACTS_PER_CASE` contacts, taken from cases made beforehand by `prepare`.
struct Contacts<'a> {
    casework: &'a Casework<SqliteStore>,
    worker: &'a Actor,
    directory: Option<&'a StaffDirectory>,
    ready: Vec<CaseId>,
    case: Option<CaseId>,
    recorded: usize,
}

impl<'a> Contacts<'a> {
    fn new(
        casework: &'a Casework<SqliteStore>,
        worker: &'a Actor,
        directory: Option<&'a StaffDirectory>,
    ) -> Self {
        Contacts {
            casework,
            worker,
            directory,
            ready: Vec::new(),
            case: None,
            recorded: 0,
        }
    }

    /// Makes enough fresh cases for the next `contacts` contacts (not timed).
    async fn prepare(&mut self, contacts: usize) {
        let left_on_this_case = match self.recorded % CONTACTS_PER_CASE {
            done if done > 0 && self.case.is_some() => CONTACTS_PER_CASE - done,
            _ => 0,
        };
        let needed = contacts
            .saturating_sub(left_on_this_case)
            .div_ceil(CONTACTS_PER_CASE);
        while self.ready.len() < needed {
            let case = active_case_of(self.casework, self.worker).await;
            self.ready.push(case);
        }
    }

    async fn record(&mut self) {
        if self.case.is_none() || self.recorded % CONTACTS_PER_CASE == 0 {
            self.case = Some(self.ready.pop().expect("prepare made the cases"));
        }
        let case = self.case.unwrap();
        let command = CaseCommand::RecordContact {
            kind: ContactKind::Call,
            direction: Direction::Outbound,
            with: ContactWith::YoungPerson,
            at: fixtures::start(),
        };
        match self.directory {
            Some(directory) => {
                self.casework
                    .acting_as(self.worker, directory)
                    .execute(case, command)
                    .await
                    .unwrap();
            }
            None => {
                self.casework
                    .execute(self.worker, case, command)
                    .await
                    .unwrap();
            }
        }
        self.recorded += 1;
    }
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
                        idempotency: None,
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
    for (name, changing) in [
        ("store_append_3_listings_changed", true),
        ("store_append_3_listings_unchanged", false),
    ] {
        let mut listed = Appender::with_listings(store.clone(), changing);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                ct.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        listed.append().await;
                    }
                    start.elapsed()
                })
            })
        });
    }
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

    let mut group = c.benchmark_group("checked_vs_unchecked");
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let directory = StaffDirectory::new().team(manager.id, [worker.id]);
    for (name, checked) in [
        ("casework_execute_record_contact", None),
        ("acting_execute_record_contact", Some(&directory)),
    ] {
        let mut contacts = Contacts::new(&casework, &worker, checked);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                ct.block_on(async {
                    contacts.prepare(iters as usize).await;
                    let start = Instant::now();
                    for _ in 0..iters {
                        contacts.record().await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    let case = ct.block_on(active_case_of(&casework, &worker));
    let acting = casework.acting_as(&worker, &directory);
    group.bench_function("casework_case_14_events", |b| {
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
    group.bench_function("acting_open_record", |b| {
        b.iter_custom(|iters| {
            ct.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    acting.open_record(case, "purpose").await.unwrap();
                }
                start.elapsed()
            })
        })
    });
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

fn micros_of(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
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

    // Listings: the same one-event append with and without the stream's listings replaced.
    let mut bare = Appender::new(store.clone());
    let mut changed = Appender::with_listings(store.clone(), true);
    let mut unchanged = Appender::with_listings(store.clone(), false);
    let [raw_commit4, bare_t, changed_t, unchanged_t] = interleaved(
        16,
        400,
        [
            &mut || raw.insert(),
            &mut || ct.block_on(bare.append()),
            &mut || ct.block_on(changed.append()),
            &mut || ct.block_on(unchanged.append()),
        ],
    );
    println!(
        "one-event append, raw insert {:.1} µs: with `listings: None` {:.1} µs ({:.0}/s, {:.2}x raw); with 3 listings all changed {:.1} µs ({:.0}/s, {:.2}x raw), {:.2}x the time of no listings ({:+.1} µs); with the same 3 listings {:.1} µs ({:.0}/s, {:.2}x raw), {:.2}x the time of no listings ({:+.1} µs)",
        micros_of(raw_commit4),
        micros_of(bare_t),
        per_second(bare_t),
        raw_commit4.as_secs_f64() / bare_t.as_secs_f64(),
        micros_of(changed_t),
        per_second(changed_t),
        raw_commit4.as_secs_f64() / changed_t.as_secs_f64(),
        changed_t.as_secs_f64() / bare_t.as_secs_f64(),
        micros_of(changed_t) - micros_of(bare_t),
        micros_of(unchanged_t),
        per_second(unchanged_t),
        raw_commit4.as_secs_f64() / unchanged_t.as_secs_f64(),
        unchanged_t.as_secs_f64() / bare_t.as_secs_f64(),
        micros_of(unchanged_t) - micros_of(bare_t),
    );

    // The checked handle (R-27) against the unchecked service, as the allocated worker.
    let casework = Casework::new(store.clone(), city_girls_service());
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let directory = StaffDirectory::new().team(manager.id, [worker.id]);
    let (rounds, block) = (32, CONTACTS_PER_CASE);
    let mut unchecked = Contacts::new(&casework, &worker, None);
    let mut checked = Contacts::new(&casework, &worker, Some(&directory));
    ct.block_on(async {
        unchecked.prepare(rounds * block).await;
        checked.prepare(rounds * block).await;
    });
    let mut unchecked_side = || ct.block_on(unchecked.record());
    let mut checked_side = || ct.block_on(checked.record());
    let [unchecked_t, checked_t] =
        interleaved(rounds, block, [&mut unchecked_side, &mut checked_side]);
    println!(
        "RecordContact on an active case: acting_as(worker).execute {:.1} µs ({:.0}/s), Casework::execute {:.1} µs ({:.0}/s): checked/unchecked {:.3}x the time ({:+.1} µs)",
        micros_of(checked_t),
        per_second(checked_t),
        micros_of(unchecked_t),
        per_second(unchecked_t),
        checked_t.as_secs_f64() / unchecked_t.as_secs_f64(),
        micros_of(checked_t) - micros_of(unchecked_t),
    );
    let case = ct.block_on(active_case_of(&casework, &worker));
    let acting = casework.acting_as(&worker, &directory);
    let [load_t, open_t] = interleaved(
        32,
        100,
        [
            &mut || {
                ct.block_on(casework.case(case)).unwrap();
            },
            &mut || {
                ct.block_on(acting.open_record(case, "purpose")).unwrap();
            },
        ],
    );
    println!(
        "a 14-event case: acting_as(worker).open_record (load, check, append an access-log event) {:.1} µs ({:.0}/s), Casework::case (load) {:.1} µs ({:.0}/s): open_record/case {:.2}x the time ({:+.1} µs)",
        micros_of(open_t),
        per_second(open_t),
        micros_of(load_t),
        per_second(load_t),
        open_t.as_secs_f64() / load_t.as_secs_f64(),
        micros_of(open_t) - micros_of(load_t),
    );
    drop(casework);

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
        casework::service::casework::SNAPSHOT_EVERY
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
    support::main(criterion_groups, summary_table, Some(30));
}
