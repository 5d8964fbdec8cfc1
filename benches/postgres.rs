//! PostgreSQL benchmarks (`cargo bench --bench postgres --features postgres`), against the
//! server `DATABASE_URL` points at; without it, says it skipped.
//!
//! Everything runs in one process on one fresh database (`casework_bench_<pid>_<random>`, a
//! testkit `TestDatabase`, dropped at the end), so every figure has a same-run baseline:
//! - **append**: the store's part of a one-event command (events + case row + owed rows in
//!   one statement), and the same carrying three listings (replacing the case's listings in
//!   the same statement), against raw single-row `INSERT`s of the same bytes into a table of
//!   the same shape, the three interleaved, with 1 and 8 concurrent clients, on a
//!   current-thread and a multi-thread runtime; and a whole command through
//!   `Casework::execute` (load, decide, append);
//! - **load**: a case of 20 and of 2,000 events: `load_latest` (snapshot + tail, one round
//!   trip), `Casework::case`, and the full history;
//! - **queries**: the waiting list and overdue reviews over 100,000 cases, p50/p95.
//!
//! A summary table with the ratios is printed first (fixed-duration runs), then criterion
//! measures each operation on its own. `CASEWORK_BENCH_SUMMARY_ONLY=1` skips criterion;
//! `CASEWORK_BENCH_APPENDS_ONLY=1` runs only the append summary (the quick check that an
//! append's cost has not moved); `CASEWORK_BENCH_SECONDS=n` sets how long each summary
//! measurement runs (default 3).

use casework::case::{CaseCommand, Professional, ProfessionalKind, StageName};
use casework::kernel::event::{NewEvent, RecordedEvent};
use casework::kernel::ids::{
    CaseId, EventId, OwedActionId, ProfessionalId, StreamId, YoungPersonId,
};
use casework::kernel::input::Text;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::risk::RiskLevel;
use casework::postgres::tokio_postgres;
use casework::postgres::PostgresStore;
use casework::read::rows::{CaseSummary, Listing, ListingKind, OwedActionSummary, ReadModelUpdate};
use casework::store::{AppendRequest, CaseQueries, EventAppend, EventLoad};
use casework::Casework;
use casework_testkit::fixtures;
use casework_testkit::postgres_db::{self, connect, TestDatabase};
use chrono::{DateTime, Duration as Days, SubsecRound, Utc};
use criterion::{BenchmarkId, Criterion, Throughput};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const SKIP: &str = "skipped: DATABASE_URL not set (set it to e.g. \
     postgres://postgres@127.0.0.1:5432/postgres to run the Postgres benchmarks)";

/// Cases the append benchmarks write to, round robin (commands on existing cases).
const CASES: usize = 512;
/// Cases behind the query benchmarks.
const QUERY_CASES: usize = 100_000;
const WAITING: usize = 1_000;
const OVERDUE: usize = 2_000;
/// How long each summary measurement runs (`CASEWORK_BENCH_SECONDS`, default 3 s).
fn summary_run() -> Duration {
    let seconds = std::env::var("CASEWORK_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(3.0);
    Duration::from_secs_f64(seconds)
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).as_deref() == Ok("1")
}

/// One command's worth of bytes, taken from a real `RecordProfessional` command.
struct Template {
    event: NewEvent,
    summary: CaseSummary,
}

impl Template {
    fn event(&self) -> NewEvent {
        let mut e = self.event.clone();
        e.meta.event_id = EventId::new();
        e
    }

    /// A one-event command's append on `case`, whose owed actions are `owed` (each case has
    /// its own, as in the domain).
    fn request(&self, case: CaseId, expected: u64, owed: &[OwedActionId]) -> AppendRequest {
        let mut summary = self.summary.clone();
        summary.case_id = case;
        // A young person of its own: the store holds one open case per young person.
        summary.young_person_id = YoungPersonId::from_uuid(case.as_uuid());
        summary.version = expected + 1;
        for (a, id) in summary.owed.iter_mut().zip(owed) {
            a.case_id = case;
            a.action_id = *id;
        }
        AppendRequest {
            stream: StreamId::Case(case),
            expected_version: expected,
            events: vec![self.event()],
            read_model: ReadModelUpdate::Case(summary),
            snapshot: None,
            listings: None,
            idempotency: None,
        }
    }

    /// The same append carrying three listings, as a command that allocates a case writes
    /// them: the open case, its next review, its expected end (each detail ~150 bytes).
    fn request_with_listings(
        &self,
        case: CaseId,
        expected: u64,
        owed: &[OwedActionId],
    ) -> AppendRequest {
        let mut request = self.request(case, expected, owed);
        let at = self.summary.received_at;
        let detail = format!(
            "{{\"case_id\":\"{case}\",\"young_person_id\":\"{}\",\"stage\":\"active\",\
             \"risk_level\":\"medium\",\"version\":{}}}",
            self.summary.young_person_id,
            expected + 1
        );
        request.listings = Some(vec![
            Listing {
                kind: ListingKind::OpenCase,
                key: "worker".into(),
                at: Some(at),
                detail: detail.clone(),
            },
            Listing {
                kind: ListingKind::ReviewDue,
                key: case.to_string(),
                at: Some(at + Days::days(28)),
                detail: detail.clone(),
            },
            Listing {
                kind: ListingKind::ExpectedEnd,
                key: case.to_string(),
                at: Some(at + Days::days(70)),
                detail,
            },
        ]);
        request
    }
}

struct Bench {
    store: PostgresStore,
    template: Template,
    /// The append cases, their versions and their owed actions.
    cases: Vec<(CaseId, AtomicU64, Vec<OwedActionId>)>,
    raw_version: AtomicU64,
    case_20: CaseId,
    case_2000: CaseId,
    casework: Casework<PostgresStore>,
    /// The bench's database, dropped with it (last: fields drop in order, the pools first).
    db: TestDatabase,
}

const RAW_INSERT: &str = "INSERT INTO raw_events (stream_kind, stream_id, version, event_type, \
     schema_version, payload, event_id, recorded_at, actor_id, actor_name, actor_role, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

fn professional(n: usize) -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: Text::parse("name", format!("Fictional Professional {n}")).unwrap(),
        kind: ProfessionalKind::YouthWorker,
        agency: Text::parse("agency", "Fictional Youth Service").unwrap(),
    }
}

async fn case_with(casework: &Casework<PostgresStore>, events: u64) -> CaseId {
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
        .await
        .unwrap();
    let mut version = casework.history(case).await.unwrap().len() as u64;
    let mut n = 0;
    while version < events {
        let done = casework
            .execute(
                &worker,
                case,
                CaseCommand::RecordProfessional {
                    professional: professional(n),
                },
            )
            .await
            .unwrap();
        version = done.version;
        n += 1;
    }
    case
}

impl Bench {
    async fn create(server: &str) -> Bench {
        let db = TestDatabase::create_on(server, "casework_bench_").await;
        let store = PostgresStore::connect(db.url()).await.unwrap();
        store.migrate().await.unwrap();
        db.client()
            .await
            .batch_execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
            .await
            .unwrap();
        let casework = Casework::new(store.clone(), city_girls_service());

        // The bytes of a real one-event command.
        let case_20 = case_with(&casework, 20).await;
        let last: RecordedEvent = store
            .load(StreamId::Case(case_20))
            .await
            .unwrap()
            .pop()
            .unwrap();
        let summary = store.case_summary(case_20).await.unwrap().unwrap();
        let template = Template {
            event: NewEvent {
                event_type: last.event_type,
                schema_version: last.schema_version,
                payload: last.payload,
                meta: last.meta,
            },
            summary,
        };
        let mut cases = Vec::new();
        for _ in 0..CASES {
            let case = CaseId::new();
            let owed: Vec<OwedActionId> = template
                .summary
                .owed
                .iter()
                .map(|_| OwedActionId::new())
                .collect();
            store
                .append(template.request(case, 0, &owed))
                .await
                .unwrap();
            cases.push((case, AtomicU64::new(1), owed));
        }
        let case_2000 = case_with(&casework, 2000).await;
        Bench {
            store,
            template,
            cases,
            raw_version: AtomicU64::new(0),
            case_20,
            case_2000,
            casework,
            db,
        }
    }

    /// The store's part of a one-event command on the `i`th case.
    async fn append(&self, store: &PostgresStore, i: usize) {
        self.append_with(store, i, false).await
    }

    /// The same, carrying three listings when `listings`.
    async fn append_with(&self, store: &PostgresStore, i: usize, listings: bool) {
        let (case, version, owed) = &self.cases[i % self.cases.len()];
        let expected = version.load(Ordering::SeqCst);
        let request = if listings {
            self.template.request_with_listings(*case, expected, owed)
        } else {
            self.template.request(*case, expected, owed)
        };
        store.append(request).await.unwrap();
        version.store(expected + 1, Ordering::SeqCst);
    }

    /// The same bytes as one raw row.
    async fn raw_insert(&self, client: &tokio_postgres::Client, stmt: &tokio_postgres::Statement) {
        let e = self.template.event();
        let version = self.raw_version.fetch_add(1, Ordering::SeqCst) as i64 + 1;
        let stream = self.cases[0].0.as_uuid();
        client
            .execute(
                stmt,
                &[
                    &"case",
                    &stream,
                    &version,
                    &e.event_type,
                    &(e.schema_version as i32),
                    &e.payload,
                    &e.meta.event_id.as_uuid(),
                    &e.meta.recorded_at,
                    &e.meta.actor.id.as_uuid(),
                    &e.meta.actor.name,
                    &e.meta.actor.role.as_str(),
                    &e.meta.reason,
                ],
            )
            .await
            .unwrap();
    }

    async fn populate_queries(&self) {
        let client = self.db.client().await;
        let now = Utc::now().trunc_subsecs(6);
        let template = &self.template.summary;
        let mut done = 0;
        while done < QUERY_CASES {
            let batch = 5_000.min(QUERY_CASES - done);
            let mut ids = Vec::with_capacity(batch);
            let mut people = Vec::with_capacity(batch);
            let mut stages = Vec::with_capacity(batch);
            let mut ranks = Vec::with_capacity(batch);
            let mut received = Vec::with_capacity(batch);
            let mut due: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(batch);
            let mut bodies = Vec::with_capacity(batch);
            let mut owed = Vec::with_capacity(batch);
            for j in 0..batch {
                let i = done + j;
                let mut row = template.clone();
                row.case_id = CaseId::new();
                row.young_person_id = YoungPersonId::new();
                row.received_at = now - Days::minutes(i as i64);
                row.risk_level = [
                    None,
                    Some(RiskLevel::Low),
                    Some(RiskLevel::Medium),
                    Some(RiskLevel::High),
                ][i % 4];
                // 1% waiting, 2% overdue, a third active with a review to come, the rest closed.
                row.stage = if i % 100 == 0 {
                    StageName::WaitingList
                } else if i % 3 == 0 {
                    StageName::Active
                } else {
                    StageName::Closed
                };
                row.next_review_due = if row.stage == StageName::Active {
                    Some(if i % 17 == 0 {
                        now - Days::days((i % 97) as i64 + 1)
                    } else {
                        now + Days::days((i % 300) as i64 + 1)
                    })
                } else {
                    None
                };
                row.owed = vec![OwedActionSummary {
                    action_id: OwedActionId::new(),
                    ..template.owed[0].clone()
                }];
                ids.push(row.case_id.as_uuid());
                people.push(row.young_person_id.as_uuid());
                stages.push(row.stage.as_str().to_owned());
                ranks.push(row.risk_rank());
                received.push(row.received_at);
                due.push(row.next_review_due);
                owed.push(serde_json::to_string(&row.owed).unwrap());
                row.owed.clear();
                bodies.push(serde_json::to_string(&row).unwrap());
            }
            client
                .execute(
                    "INSERT INTO case_summaries (case_id, young_person_id, stage, risk_rank, \
                     received_at, next_review_due, version, body, owed) \
                     SELECT c, p, s, r, t, d, 1, b, o FROM unnest($1::uuid[], $2::uuid[], \
                     $3::text[], $4::int8[], $5::timestamptz[], $6::timestamptz[], $7::text[], \
                     $8::text[]) AS x(c, p, s, r, t, d, b, o)",
                    &[
                        &ids, &people, &stages, &ranks, &received, &due, &bodies, &owed,
                    ],
                )
                .await
                .unwrap();
            done += batch;
        }
        client.batch_execute("ANALYZE").await.unwrap();
    }
}

/// Operations per second over `run`, with `clients` concurrent loops; `op(client, n)`.
async fn throughput<F, Fut>(clients: usize, run: Duration, op: F) -> f64
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + run;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let op = op.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 1;
            while Instant::now() < deadline {
                op(c, n).await;
                n += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One benchmarked operation: `op(client, n)`.
type Op = Arc<dyn Fn(usize, usize) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

fn op<F, Fut>(f: F) -> Op
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |c, n| Box::pin(f(c, n)))
}

/// Several operations' rates, measured in alternating short rounds so that background load
/// on a shared machine falls on all alike (each round starts with the next operation, so none
/// always follows the same one); returns the mean rate of each.
async fn interleaved(clients: usize, ops: &[Op]) -> Vec<f64> {
    // Warm up: connections open, statements prepared, plans cached.
    for o in ops {
        let o = o.clone();
        throughput(clients, Duration::from_millis(300), move |c, n| o(c, n)).await;
    }
    let rounds = 6 * ops.len() as u32;
    let round = summary_run() / 6;
    let mut rates = vec![0.0; ops.len()];
    for r in 0..rounds as usize {
        for k in 0..ops.len() {
            let i = (r + k) % ops.len();
            let o = ops[i].clone();
            rates[i] += throughput(clients, round, move |c, n| o(c, n)).await;
        }
    }
    rates.iter().map(|r| r / rounds as f64).collect()
}

/// p50 and p95 latency of `op` over `runs` sequential runs.
async fn latency<F, Fut>(runs: usize, op: F) -> (Duration, Duration)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    op().await;
    let mut samples: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        op().await;
        samples.push(t.elapsed());
    }
    samples.sort();
    (samples[runs / 2], samples[runs * 95 / 100])
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The fixed-duration runs on the current runtime, with a pool of its own: a pooled
/// connection is driven by a task of the runtime that opened it.
async fn summary(bench: Arc<Bench>, flavor: &str) {
    println!("\n== {flavor} runtime ==");
    let store = PostgresStore::connect(bench.db.url()).await.unwrap();
    let casework = Arc::new(Casework::new(store.clone(), city_girls_service()));
    for clients in [1usize, 8] {
        let raw_clients = {
            let mut v = Vec::new();
            for _ in 0..clients {
                let c = connect(bench.db.url()).await;
                let stmt = c.prepare(RAW_INSERT).await.unwrap();
                v.push(Arc::new((c, stmt)));
            }
            Arc::new(v)
        };
        let b = bench.clone();
        let rc = raw_clients.clone();
        let raw_op = op(move |c: usize, _: usize| {
            let b = b.clone();
            let rc = rc.clone();
            async move {
                let (client, stmt) = &*rc[c];
                b.raw_insert(client, stmt).await
            }
        });
        let per_client = CASES / clients;
        let appends: Vec<Op> = [false, true]
            .into_iter()
            .map(|listings| {
                let b = bench.clone();
                let s = store.clone();
                op(move |c: usize, n: usize| {
                    let b = b.clone();
                    let s = s.clone();
                    async move {
                        b.append_with(&s, c * per_client + n % per_client, listings)
                            .await
                    }
                })
            })
            .collect();
        let rates = interleaved(clients, &[raw_op, appends[0].clone(), appends[1].clone()]).await;
        let (raw, ours, listed) = (rates[0], rates[1], rates[2]);
        println!(
            "append, {clients} client(s): raw single-row INSERT {raw:>8.0}/s | store append \
             (events + case row + owed rows, one statement) {ours:>8.0}/s | ours/raw {:.2}x | \
             the same with 3 listings {listed:>8.0}/s | listings/raw {:.2}x, listings/ours {:.2}x",
            ours / raw,
            listed / raw,
            listed / ours
        );
    }
    if env_flag("CASEWORK_BENCH_APPENDS_ONLY") {
        store.pool().close();
        return;
    }
    // Commands go round robin over cases opened beforehand, so each case stays short (a
    // case's state grows with every professional recorded on it).
    let mut command_cases = Vec::new();
    for _ in 0..128 {
        command_cases.push(case_with(&casework, 5).await);
    }
    let command_cases = Arc::new(command_cases);
    let worker = Arc::new(fixtures::worker());
    let commands = throughput(1, summary_run(), move |_, n| {
        let worker = worker.clone();
        let casework = casework.clone();
        let case = command_cases[n % command_cases.len()];
        async move {
            casework
                .execute(
                    &worker,
                    case,
                    CaseCommand::RecordProfessional {
                        professional: professional(n),
                    },
                )
                .await
                .unwrap();
        }
    })
    .await;
    println!("whole command (Casework::execute: load, decide, append), 1 client: {commands:.0}/s");
    store.pool().close();
}

fn main() {
    let Some(server) = postgres_db::server_url() else {
        println!("{SKIP}");
        return;
    };
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bench = Arc::new(current.block_on(Bench::create(&server)));

    current.block_on(summary(bench.clone(), "current-thread"));
    multi.block_on(summary(bench.clone(), "multi-thread (2 workers)"));
    if env_flag("CASEWORK_BENCH_APPENDS_ONLY") {
        return;
    }

    // Loads.
    println!("\n== loads (current-thread runtime), p50 / p95 ==");
    current.block_on(async {
        for (events, case) in [(20, bench.case_20), (2000, bench.case_2000)] {
            let stream = StreamId::Case(case);
            let (p50, p95) = latency(300, || async {
                bench.store.load_latest(stream).await.unwrap();
            })
            .await;
            let (c50, c95) = latency(300, || async {
                bench.casework.case(case).await.unwrap();
            })
            .await;
            let (f50, f95) = latency(100, || async {
                bench.store.load(stream).await.unwrap();
            })
            .await;
            println!(
                "case of {events:>4} events: load_latest (1 round trip) {} / {} | \
                 Casework::case {} / {} | full history {} / {}",
                ms(p50),
                ms(p95),
                ms(c50),
                ms(c95),
                ms(f50),
                ms(f95)
            );
        }
    });

    // Queries over 100k cases.
    current.block_on(bench.populate_queries());
    println!("\n== queries over {QUERY_CASES} cases, p50 / p95 ==");
    current.block_on(async {
        let waiting = bench.store.waiting_list().await.unwrap().len();
        let overdue = bench.store.overdue_reviews(Utc::now()).await.unwrap().len();
        assert!(waiting >= WAITING && overdue >= OVERDUE / 2);
        let (w50, w95) = latency(200, || async {
            bench.store.waiting_list().await.unwrap();
        })
        .await;
        let (o50, o95) = latency(200, || async {
            bench.store.overdue_reviews(Utc::now()).await.unwrap();
        })
        .await;
        println!(
            "waiting list ({waiting} rows) {} / {} | overdue reviews ({overdue} rows) {} / {}",
            ms(w50),
            ms(w95),
            ms(o50),
            ms(o95)
        );
    });

    if !env_flag("CASEWORK_BENCH_SUMMARY_ONLY") {
        let mut c = Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        criterion_benches(&mut c, &current, &bench);
        c.final_summary();
    }
}

fn criterion_benches(c: &mut Criterion, rt: &Runtime, bench: &Arc<Bench>) {
    let mut group = c.benchmark_group("postgres/append");
    group.throughput(Throughput::Elements(1));
    let raw = rt.block_on(async {
        let client = connect(bench.db.url()).await;
        let stmt = client.prepare(RAW_INSERT).await.unwrap();
        Arc::new((client, stmt))
    });
    group.bench_function("raw_insert", |b| {
        b.to_async(rt).iter(|| {
            let raw = raw.clone();
            let bench = bench.clone();
            async move { bench.raw_insert(&raw.0, &raw.1).await }
        })
    });
    let next = Arc::new(Mutex::new(0usize));
    group.bench_function("store_append", |b| {
        b.to_async(rt).iter(|| {
            let bench = bench.clone();
            let i = {
                let mut n = next.lock().unwrap();
                *n += 1;
                *n
            };
            async move { bench.append(&bench.store, i).await }
        })
    });
    group.bench_function("store_append_3_listings", |b| {
        b.to_async(rt).iter(|| {
            let bench = bench.clone();
            let i = {
                let mut n = next.lock().unwrap();
                *n += 1;
                *n
            };
            async move { bench.append_with(&bench.store, i, true).await }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("postgres/load");
    for (events, case) in [(20u64, bench.case_20), (2000, bench.case_2000)] {
        let stream = StreamId::Case(case);
        group.bench_with_input(BenchmarkId::new("load_latest", events), &stream, |b, s| {
            b.to_async(rt)
                .iter(|| async { bench.store.load_latest(*s).await.unwrap() })
        });
        group.bench_with_input(BenchmarkId::new("casework_case", events), &case, |b, id| {
            b.to_async(rt)
                .iter(|| async { bench.casework.case(*id).await.unwrap() })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("postgres/queries_100k");
    group.bench_function("waiting_list", |b| {
        b.to_async(rt)
            .iter(|| async { bench.store.waiting_list().await.unwrap() })
    });
    group.bench_function("overdue_reviews", |b| {
        b.to_async(rt)
            .iter(|| async { bench.store.overdue_reviews(Utc::now()).await.unwrap() })
    });
    group.finish();
}
