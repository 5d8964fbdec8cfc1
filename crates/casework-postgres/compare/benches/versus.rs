//! Casework's Postgres store beside cqrs-es + postgres-es, and tokio-postgres beside sqlx, on
//! the server `DATABASE_URL` points at, in one run, so every ratio has a same-run baseline.
//!
//! 1. Round trips: `SELECT 1` and single-row `BEGIN; INSERT; COMMIT` per second, one client,
//!    through sqlx 0.8's default pool (it pings the connection on every acquire) on the
//!    multi-thread runtime, through a raw tokio-postgres client, and through the deadpool pool
//!    this store uses, on current-thread and multi-thread runtimes.
//! 2. The same command workload on both libraries: every aggregate (a case) gets 20
//!    "record a professional" commands, each of which loads the aggregate, decides, and
//!    appends one event; 1 client, then 8 clients on different aggregates. cqrs-es runs its
//!    default event-sourced store (replays the aggregate on every command) and its snapshot
//!    store; Casework runs `Casework::execute`, which also writes the case's read-model row.

use casework_core::case::{CaseCommand, Professional, ProfessionalKind};
use casework_core::ids::{CaseId, ProfessionalId};
use casework_core::input::Text;
use casework_core::profile::examples::city_girls_service;
use casework_core::Casework;
use casework_postgres::tokio_postgres::{self, NoTls};
use casework_postgres::PostgresStore;
use casework_testkit::fixtures;
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
const COMMANDS_PER_CASE: usize = 20;

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

fn with_database(url: &str, database: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (base, query) = match url.find('?') {
            Some(q) => (&url[..q], &url[q..]),
            None => (url, ""),
        };
        let start = scheme_end + 3;
        let base = match base[start..].find('/') {
            Some(slash) => &base[..start + slash],
            None => base,
        };
        format!("{base}/{database}{query}")
    } else {
        format!("{url} dbname={database}")
    }
}

async fn raw_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

fn professional(n: usize) -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: Text::parse("name", format!("Fictional Professional {n}")).unwrap(),
        kind: ProfessionalKind::YouthWorker,
        agency: Text::parse("agency", "Fictional Youth Service").unwrap(),
    }
}

/// Operations per second over `RUN`, `clients` concurrent loops; `op(client, n)`.
async fn throughput<F, Fut>(clients: usize, op: F) -> f64
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    for c in 0..clients {
        op(c, 0).await;
    }
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + RUN;
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
    let select = throughput(1, move |_, _| {
        let p = p.clone();
        async move {
            sqlx::query("SELECT 1").execute(&p).await.unwrap();
        }
    })
    .await;
    let p = pool.clone();
    let insert = throughput(1, move |_, n| {
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
    let client = raw_client(&url).await;
    let select_stmt = client.prepare("SELECT 1").await.unwrap();
    let insert_stmt = client.prepare(INSERT).await.unwrap();
    let client = Arc::new((client, select_stmt, insert_stmt));
    let c = client.clone();
    let select = throughput(1, move |_, _| {
        let c = c.clone();
        async move {
            c.0.query_one(&c.1, &[]).await.unwrap();
        }
    })
    .await;
    let c = client.clone();
    let insert = throughput(1, move |_, n| {
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
    let select = throughput(1, move |_, _| {
        let p = p.clone();
        async move {
            let c = p.get().await.unwrap();
            let s = c.prepare_cached("SELECT 1").await.unwrap();
            c.query_one(&s, &[]).await.unwrap();
        }
    })
    .await;
    let p = pool.clone();
    let insert = throughput(1, move |_, n| {
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

async fn cqrs_commands(url: String, clients: usize, snapshots: bool) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await
        .unwrap();
    let repo = PostgresEventRepository::new(pool.clone());
    let store = if snapshots {
        PersistedEventStore::new_snapshot_store(repo, 64)
    } else {
        PersistedEventStore::new_event_store(repo)
    };
    let cqrs: Arc<Cqrs> = Arc::new(CqrsFramework::new(store, vec![], ()));
    // Each client works through its own aggregates, COMMANDS_PER_CASE commands each.
    let prefix = format!("{}-{clients}-{snapshots}", std::process::id());
    let ops = throughput(clients, move |c, n| {
        let cqrs = cqrs.clone();
        let id = format!("{prefix}-{c}-{}", n / COMMANDS_PER_CASE);
        async move {
            if n % COMMANDS_PER_CASE == 0 {
                cqrs.execute(&id, CqrsCommand::Open).await.unwrap();
            }
            cqrs.execute(&id, CqrsCommand::RecordProfessional(professional(n)))
                .await
                .unwrap();
        }
    })
    .await;
    pool.close().await;
    ops
}

async fn casework_commands(url: String, clients: usize) -> f64 {
    let store = PostgresStore::connect(&url).await.unwrap();
    let casework = Arc::new(Casework::new(store.clone(), city_girls_service()));
    let worker = Arc::new(fixtures::worker());
    // Cases are opened outside the timed part where possible: a pool of open cases per client.
    let per_client = 64;
    let mut cases = Vec::new();
    for _ in 0..clients * per_client {
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
    let ops = throughput(clients, move |c, n| {
        let casework = casework.clone();
        let worker = worker.clone();
        let case = cases[c * per_client + (n / COMMANDS_PER_CASE) % per_client];
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
    store.pool().close();
    ops
}

fn main() {
    let Some(server) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        println!("{SKIP}");
        return;
    };
    let ours = format!("casework_versus_ours_{}", std::process::id());
    let theirs = format!("casework_versus_theirs_{}", std::process::id());
    let setup = current();
    setup.block_on(async {
        let admin = raw_client(&server).await;
        for db in [&ours, &theirs] {
            admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {db} WITH (FORCE); CREATE DATABASE {db}"
                ))
                .await
                .unwrap();
        }
        let our_url = with_database(&server, &ours);
        PostgresStore::connect(&our_url)
            .await
            .unwrap()
            .migrate()
            .await
            .unwrap();
        raw_client(&our_url)
            .await
            .batch_execute("CREATE TABLE probe (n bigint, body text)")
            .await
            .unwrap();
        raw_client(&with_database(&server, &theirs))
            .await
            .batch_execute(CQRS_SCHEMA)
            .await
            .unwrap();
    });
    let our_url = with_database(&server, &ours);
    let their_url = with_database(&server, &theirs);

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

    println!("\n== 2. one-event commands (load, decide, append), per second ==");
    for clients in [1usize, 8] {
        for (flavor, rt) in [("current-thread", current()), ("multi-thread", multi())] {
            let theirs = rt.block_on(cqrs_commands(their_url.clone(), clients, false));
            let theirs_snap = rt.block_on(cqrs_commands(their_url.clone(), clients, true));
            let ours = rt.block_on(casework_commands(our_url.clone(), clients));
            println!(
                "{clients} client(s), {flavor:<14}: cqrs-es/postgres-es {theirs:>6.0}/s \
                 (snapshot store {theirs_snap:>6.0}/s) | Casework/PostgresStore {ours:>6.0}/s \
                 | ours/theirs {:.2}x ({:.2}x vs snapshots)",
                ours / theirs,
                ours / theirs_snap
            );
        }
    }

    setup.block_on(async {
        let admin = raw_client(&server).await;
        for db in [&ours, &theirs] {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .await;
        }
    });
}
