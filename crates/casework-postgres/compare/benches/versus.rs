//! Casework's Postgres store beside cqrs-es + postgres-es, and tokio-postgres beside sqlx, on
//! the server `DATABASE_URL` points at, in one run, so every ratio has a same-run baseline.
//!
//! 1. Round trips: `SELECT 1` and single-row `BEGIN; INSERT; COMMIT` per second, one client,
//!    through sqlx 0.8's default pool (it pings the connection on every acquire) on the
//!    multi-thread runtime, through a raw tokio-postgres client, and through the deadpool pool
//!    this store uses, on current-thread and multi-thread runtimes.
//! 2. The same command workload on both libraries: "record a professional" commands, each of
//!    which loads the aggregate (a case), decides, and appends one event, round robin over 128
//!    cases opened beforehand per client; 1 client, then 8 clients on their own cases, the
//!    contenders measured in alternating rounds. cqrs-es runs its default event-sourced store
//!    (replays the aggregate on every command) and its snapshot store (every 32 events, like
//!    Casework); Casework runs `Casework::execute`, which also writes the case's read-model
//!    row and owed actions in the same transaction.

use casework_core::case::{CaseCommand, Professional, ProfessionalKind};
use casework_core::kernel::ids::{CaseId, ProfessionalId};
use casework_core::kernel::input::Text;
use casework_core::policy::profile::examples::city_girls_service;
use casework_postgres::PostgresStore;
use casework_service::Casework;
use casework_testkit::fixtures;
use casework_testkit::postgres_db::{self, connect, with_param, TestDatabase};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent};
use postgres_es::PostgresEventRepository;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SKIP: &str = "skipped: DATABASE_URL not set (set it to e.g. \
     postgres://postgres@127.0.0.1:5432/postgres to run the comparison)";
const RUN: Duration = Duration::from_secs(3);

// ---- the cqrs-es side ---------------------------------------------------------------------

/// The cqrs-es model of a case, holding what the command needs.
#[derive(Default, Serialize, Deserialize)]
struct CqrsCase {
    opened: bool,
    professionals: Vec<Professional>,
}

#[derive(Debug)]
enum CqrsCommand {
    Open,
    RecordProfessional(Professional),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CqrsEvent {
    ReferralReceived,
    ProfessionalInvolved { professional: Professional },
}

impl DomainEvent for CqrsEvent {
    fn event_type(&self) -> String {
        match self {
            CqrsEvent::ReferralReceived => "referral_received".into(),
            CqrsEvent::ProfessionalInvolved { .. } => "professional_involved".into(),
        }
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

#[derive(Debug)]
struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Refused {}

impl Aggregate for CqrsCase {
    const TYPE: &'static str = "case";
    type Command = CqrsCommand;
    type Event = CqrsEvent;
    type Error = Refused;
    type Services = ();

    async fn handle(
        &mut self,
        command: CqrsCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Refused> {
        match command {
            CqrsCommand::Open if self.opened => Err(Refused("already open")),
            CqrsCommand::Open => {
                sink.write(CqrsEvent::ReferralReceived, self).await;
                Ok(())
            }
            CqrsCommand::RecordProfessional(_) if !self.opened => Err(Refused("not open")),
            CqrsCommand::RecordProfessional(professional) => {
                sink.write(CqrsEvent::ProfessionalInvolved { professional }, self)
                    .await;
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: CqrsEvent) {
        match event {
            CqrsEvent::ReferralReceived => self.opened = true,
            CqrsEvent::ProfessionalInvolved { professional } => {
                self.professionals.push(professional)
            }
        }
    }
}

type Cqrs = CqrsFramework<CqrsCase, PersistedEventStore<PostgresEventRepository, CqrsCase>>;

/// postgres-es's schema (its `db/init.sql`).
const CQRS_SCHEMA: &str = "
CREATE TABLE events (
    aggregate_type text NOT NULL, aggregate_id text NOT NULL,
    sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL,
    event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence));
CREATE TABLE snapshots (
    aggregate_type text NOT NULL, aggregate_id text NOT NULL,
    last_sequence bigint CHECK (last_sequence >= 0) NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload json NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence));";

// ---- helpers ---------------------------------------------------------------------------------

fn professional(n: usize) -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: Text::parse("name", format!("Fictional Professional {n}")).unwrap(),
        kind: ProfessionalKind::YouthWorker,
        agency: Text::parse("agency", "Fictional Youth Service").unwrap(),
    }
}

/// Operations per second over `run`, `clients` concurrent loops; `op(client, n)`.
async fn throughput<F, Fut>(clients: usize, run: Duration, op: F) -> f64
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    for c in 0..clients {
        op(c, 0).await;
    }
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

fn current() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

const INSERT: &str = "INSERT INTO probe (n, body) VALUES ($1, $2)";

// ---- 1. round trips ---------------------------------------------------------------------------

async fn sqlx_round_trips(url: String) -> (f64, f64) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await
        .unwrap();
    let p = pool.clone();
    let select = throughput(1, RUN, move |_, _| {
        let p = p.clone();
        async move {
            sqlx::query("SELECT 1").execute(&p).await.unwrap();
        }
    })
    .await;
    let p = pool.clone();
    let insert = throughput(1, RUN, move |_, n| {
        let p = p.clone();
        async move {
            let mut tx = p.begin().await.unwrap();
            sqlx::query(INSERT)
                .bind(n as i64)
                .bind("payload")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    })
    .await;
    pool.close().await;
    (select, insert)
}

async fn raw_round_trips(url: String) -> (f64, f64) {
    let client = connect(&url).await;
    let select_stmt = client.prepare("SELECT 1").await.unwrap();
    let insert_stmt = client.prepare(INSERT).await.unwrap();
    let client = Arc::new((client, select_stmt, insert_stmt));
    let c = client.clone();
    let select = throughput(1, RUN, move |_, _| {
        let c = c.clone();
        async move {
            c.0.query_one(&c.1, &[]).await.unwrap();
        }
    })
    .await;
    let c = client.clone();
    let insert = throughput(1, RUN, move |_, n| {
        let c = c.clone();
        async move {
            c.0.batch_execute("BEGIN").await.unwrap();
            c.0.execute(&c.2, &[&(n as i64), &"payload"]).await.unwrap();
            c.0.batch_execute("COMMIT").await.unwrap();
        }
    })
    .await;
    (select, insert)
}

async fn pooled_round_trips(url: String) -> (f64, f64) {
    let store = PostgresStore::connect(&url).await.unwrap();
    let pool = store.pool().clone();
    let p = pool.clone();
    let select = throughput(1, RUN, move |_, _| {
        let p = p.clone();
        async move {
            let c = p.get().await.unwrap();
            let s = c.prepare_cached("SELECT 1").await.unwrap();
            c.query_one(&s, &[]).await.unwrap();
        }
    })
    .await;
    let p = pool.clone();
    let insert = throughput(1, RUN, move |_, n| {
        let p = p.clone();
        async move {
            let mut c = p.get().await.unwrap();
            let tx = c.transaction().await.unwrap();
            let s = tx.prepare_cached(INSERT).await.unwrap();
            tx.execute(&s, &[&(n as i64), &"payload"]).await.unwrap();
            tx.commit().await.unwrap();
        }
    })
    .await;
    pool.close();
    (select, insert)
}

// ---- 2. the command workload -------------------------------------------------------------------

/// Aggregates opened per client before timing; commands go round robin over them, so each
/// stays short (tens of events) and both libraries replay alike.
const AGGREGATES_PER_CLIENT: usize = 128;

/// Opens the aggregates of one cqrs-es framework and returns the command operation.
async fn cqrs_op(
    url: &str,
    clients: usize,
    snapshots: bool,
) -> impl Fn(usize, usize) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Clone + Send + 'static
{
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect(url)
        .await
        .unwrap();
    let repo = PostgresEventRepository::new(pool);
    let store = if snapshots {
        PersistedEventStore::new_snapshot_store(repo, 32)
    } else {
        PersistedEventStore::new_event_store(repo)
    };
    let cqrs: Arc<Cqrs> = Arc::new(CqrsFramework::new(store, vec![], ()));
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let prefix = format!("{}-{run}-{clients}-{snapshots}", std::process::id());
    let ids: Arc<Vec<String>> = Arc::new(
        (0..clients * AGGREGATES_PER_CLIENT)
            .map(|i| format!("{prefix}-{i}"))
            .collect(),
    );
    for id in ids.iter() {
        cqrs.execute(id, CqrsCommand::Open).await.unwrap();
    }
    let counters: Arc<Vec<AtomicU64>> = Arc::new((0..clients).map(|_| AtomicU64::new(0)).collect());
    move |c: usize, _n: usize| {
        let cqrs = cqrs.clone();
        let k = counters[c].fetch_add(1, Ordering::Relaxed) as usize;
        let id = ids[c * AGGREGATES_PER_CLIENT + k % AGGREGATES_PER_CLIENT].clone();
        Box::pin(async move {
            cqrs.execute(&id, CqrsCommand::RecordProfessional(professional(k)))
                .await
                .unwrap();
        }) as std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
    }
}

/// Opens Casework cases and returns the command operation.
async fn casework_op(
    url: &str,
    clients: usize,
) -> impl Fn(usize, usize) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Clone + Send + 'static
{
    let store = PostgresStore::connect(url).await.unwrap();
    let casework = Arc::new(Casework::new(store, city_girls_service()));
    let worker = Arc::new(fixtures::worker());
    let mut cases = Vec::new();
    for _ in 0..clients * AGGREGATES_PER_CLIENT {
        let person = casework
            .register_young_person(&worker, fixtures::girl_in_leeds_area())
            .await
            .unwrap();
        let case = casework
            .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
            .await
            .unwrap();
        cases.push(case);
    }
    let cases: Arc<Vec<CaseId>> = Arc::new(cases);
    let counters: Arc<Vec<AtomicU64>> = Arc::new((0..clients).map(|_| AtomicU64::new(0)).collect());
    move |c: usize, _n: usize| {
        let casework = casework.clone();
        let worker = worker.clone();
        let k = counters[c].fetch_add(1, Ordering::Relaxed) as usize;
        let case = cases[c * AGGREGATES_PER_CLIENT + k % AGGREGATES_PER_CLIENT];
        Box::pin(async move {
            casework
                .execute(
                    &worker,
                    case,
                    CaseCommand::RecordProfessional {
                        professional: professional(k),
                    },
                )
                .await
                .unwrap();
        }) as std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
    }
}

/// The contenders' command rates, measured in alternating rounds so that background load on
/// a shared machine falls on all alike: cqrs-es, its snapshot store, and Casework.
async fn commands(our_url: String, their_url: String, clients: usize) -> [f64; 3] {
    let theirs = cqrs_op(&their_url, clients, false).await;
    let theirs_snap = cqrs_op(&their_url, clients, true).await;
    let ours = casework_op(&our_url, clients).await;
    let warm = Duration::from_millis(300);
    throughput(clients, warm, theirs.clone()).await;
    throughput(clients, warm, theirs_snap.clone()).await;
    throughput(clients, warm, ours.clone()).await;
    let rounds = 4;
    let round = RUN / rounds;
    let mut sums = [0.0; 3];
    for _ in 0..rounds {
        sums[0] += throughput(clients, round, theirs.clone()).await;
        sums[1] += throughput(clients, round, theirs_snap.clone()).await;
        sums[2] += throughput(clients, round, ours.clone()).await;
    }
    sums.map(|s| s / rounds as f64)
}

fn main() {
    let Some(server) = postgres_db::server_url() else {
        println!("{SKIP}");
        return;
    };
    let setup = current();
    // Dropped (by force) at the end of the run, passed or failed.
    let (our_db, their_db) = setup.block_on(async {
        let ours = TestDatabase::create_on(&server, "casework_versus_ours_").await;
        let theirs = TestDatabase::create_on(&server, "casework_versus_theirs_").await;
        PostgresStore::connect(ours.url())
            .await
            .unwrap()
            .migrate()
            .await
            .unwrap();
        ours.client()
            .await
            .batch_execute("CREATE TABLE probe (n bigint, body text)")
            .await
            .unwrap();
        theirs
            .client()
            .await
            .batch_execute(CQRS_SCHEMA)
            .await
            .unwrap();
        (ours, theirs)
    });
    let our_url = our_db.url().to_owned();
    let their_url = their_db.url().to_owned();

    println!("== 1. round trips, one client, per second (ratio to sqlx's default pool) ==");
    let (sqlx_select, sqlx_insert) = multi().block_on(sqlx_round_trips(our_url.clone()));
    let rows = [
        (
            "sqlx 0.8 PgPool (default: ping on acquire), multi-thread",
            (sqlx_select, sqlx_insert),
        ),
        (
            "tokio-postgres client, current-thread",
            current().block_on(raw_round_trips(our_url.clone())),
        ),
        (
            "tokio-postgres client, multi-thread",
            multi().block_on(raw_round_trips(our_url.clone())),
        ),
        (
            "deadpool (this store's pool), current-thread",
            current().block_on(pooled_round_trips(our_url.clone())),
        ),
        (
            "deadpool (this store's pool), multi-thread",
            multi().block_on(pooled_round_trips(our_url.clone())),
        ),
    ];
    for (name, (select, insert)) in rows {
        println!(
            "{name:<58} SELECT 1 {select:>7.0}/s ({:.2}x) | BEGIN/INSERT/COMMIT {insert:>7.0}/s ({:.2}x)",
            select / sqlx_select,
            insert / sqlx_insert
        );
    }

    // Durable commits, as deployed; then with commits not waiting for the WAL flush, which
    // stands in for a disk whose fsync is as fast as the machines (~0.1 ms), where
    // round trips, not the flush, are the cost. Both libraries get the same setting.
    let no_wait = |url: &str| with_param(url, "options=-c%20synchronous_commit%3Doff");
    for (regime, our_url, their_url) in [
        ("durable commits", our_url.clone(), their_url.clone()),
        (
            "synchronous_commit=off (stands in for a fast fsync)",
            no_wait(&our_url),
            no_wait(&their_url),
        ),
    ] {
        println!("\n== 2. one-event commands (load, decide, append) per second, {regime} ==");
        for clients in [1usize, 8] {
            let [theirs, theirs_snap, ours] =
                current().block_on(commands(our_url.clone(), their_url.clone(), clients));
            println!(
                "{clients} client(s): cqrs-es/postgres-es {theirs:>6.0}/s (its snapshot store \
                 {theirs_snap:>6.0}/s) | Casework/PostgresStore {ours:>6.0}/s | ours/theirs \
                 {:.2}x ({:.2}x against its snapshot store)",
                ours / theirs,
                ours / theirs_snap
            );
        }
    }
}
