//! The hash chain's cost (R-18, ADR 0014) on SQLite, against raw rusqlite in the same run.
//!
//! ```text
//! cargo bench --bench chain                  # criterion groups, then the summary
//! cargo bench --bench chain -- --summary     # only the summary (about a minute)
//! CASEWORK_BENCH_EVENTS=20000 cargo bench --bench chain -- --summary
//! ```
//!
//! What is measured (WAL, `synchronous = NORMAL`):
//! - `verify` over 100,000 stored events (2,000 cases of 50 events, 360-byte payloads):
//!   `Casework::verify_store` (pages of linked events through the store, each event's digest
//!   and link recomputed, each case also held to its row's and snapshot's version) against a
//!   raw rusqlite read of the same rows, every column including both hashes, in the same
//!   order; and the store's paged read of the links alone, so the hashing's share shows;
//! - appending one event with its case row: `SqliteStore::append` on a chained file against
//!   the same append on a file at the schema before the chain (which the store writes as it
//!   did before the chain), both against the raw single-row insert the `sqlite` bench uses.
//!
//! Timings are medians of interleaved blocks, the first side rotating each round, so both
//! sides of a ratio see the same machine state.

#[path = "support/mod.rs"]
mod support;

use casework::case::StageName;
use casework::kernel::actor::Actor;
use casework::kernel::event::{EventMeta, NewEvent};
use casework::kernel::ids::{CaseId, EventId, StreamId, YoungPersonId};
use casework::policy::profile::examples::city_girls_service;
use casework::read::rows::{CaseSummary, ReadModelUpdate};
use casework::sqlite::bench_support::create_before_chain;
use casework::sqlite::rusqlite::{self, Connection, OpenFlags};
use casework::sqlite::SqliteStore;
use casework::store::{AppendRequest, EventAppend, EventLoad};
use casework::Casework;
use casework_testkit::fixtures;
use chrono::{DateTime, Duration as Days, Utc};
use criterion::Criterion;
use std::path::Path;
use std::time::Instant;
use support::{interleaved, payload, runtime, Raw, Scratch};
use tokio::runtime::Runtime;

const EVENTS_PER_CASE: u64 = 50;

fn events_wanted() -> u64 {
    std::env::var("CASEWORK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn event(at: DateTime<Utc>, actor: &Actor) -> NewEvent {
    NewEvent {
        event_type: "contact_recorded".into(),
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

fn row(case: CaseId, version: u64) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: YoungPersonId::from_uuid(case.as_uuid()),
        stage: StageName::Active,
        risk_level: None,
        received_at: fixtures::start(),
        source: "professional".into(),
        worker: None,
        previous_case: None,
        next_review_due: None,
        closure_reason: None,
        version,
        owed: vec![],
    }
}

/// A store holding `events` events in cases of [`EVENTS_PER_CASE`], appended ten at a time.
fn filled(rt: &Runtime, path: &Path, events: u64) -> SqliteStore {
    let store = SqliteStore::open(path).unwrap();
    rt.block_on(store.migrate()).unwrap();
    let actor = fixtures::worker();
    for _ in 0..events / EVENTS_PER_CASE {
        let case = CaseId::new();
        for from in (0..EVENTS_PER_CASE).step_by(10) {
            let at = fixtures::start() + Days::minutes(from as i64);
            let request = AppendRequest {
                stream: StreamId::Case(case),
                expected_version: from,
                events: (0..10).map(|_| event(at, &actor)).collect(),
                read_model: ReadModelUpdate::Case(row(case, from + 10)),
                snapshot: None,
                listings: None,
                idempotency: None,
            };
            rt.block_on(store.append(request)).unwrap();
        }
    }
    store
}

/// Every stored event, every column, in the order verify reads them, with rusqlite.
fn raw_read(conn: &Connection) -> u64 {
    type Row = (
        i64,
        i64,
        String,
        i64,
        String,
        String,
        i64,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        String,
        String,
    );
    let mut statement = conn
        .prepare_cached(
            "SELECT version, position, event_type, schema_version, payload, event_id,
                 recorded_at, recorded_at_ns, actor_id, actor_name, actor_role, reason,
                 prev_hash, hash, stream_kind, stream_id
             FROM events ORDER BY stream_kind, stream_id, version",
        )
        .unwrap();
    let rows = statement
        .query_map([], |r| -> rusqlite::Result<Row> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
                r.get(11)?,
                r.get(12)?,
                r.get(13)?,
                r.get(14)?,
                r.get(15)?,
            ))
        })
        .unwrap();
    let mut n = 0;
    for row in rows {
        let row = row.unwrap();
        n += u64::from(row.13.is_some());
    }
    n
}

/// The store's paged read of the links, without checking them.
fn linked_read(rt: &Runtime, store: &SqliteStore) -> u64 {
    let mut after = None;
    let mut n = 0;
    loop {
        let page = rt.block_on(store.linked_page(after, 2_000)).unwrap();
        let Some(last) = page.last() else {
            return n;
        };
        after = Some((last.event.stream, last.event.version));
        n += page.len() as u64;
    }
}

/// One-event appends with the case's row to one case of `store`.
struct Appender {
    store: SqliteStore,
    case: CaseId,
    version: u64,
    actor: Actor,
}

impl Appender {
    fn new(store: SqliteStore) -> Self {
        Appender {
            store,
            case: CaseId::new(),
            version: 0,
            actor: fixtures::worker(),
        }
    }

    async fn append(&mut self) {
        let request = AppendRequest {
            stream: StreamId::Case(self.case),
            expected_version: self.version,
            events: vec![event(fixtures::start(), &self.actor)],
            read_model: ReadModelUpdate::Case(row(self.case, self.version + 1)),
            snapshot: None,
            listings: None,
            idempotency: None,
        };
        self.version = self.store.append(request).await.unwrap();
    }
}

fn reader(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn criterion_groups(c: &mut Criterion) {
    let scratch = Scratch::new("chain-criterion");
    let rt = runtime();
    let events = events_wanted();
    let path = scratch.file("chain.db");
    let casework = Casework::new(filled(&rt, &path, events), city_girls_service());
    let raw = reader(&path);
    let mut group = c.benchmark_group(format!("verify_{events}_events"));
    group.sample_size(10);
    group.bench_function("raw_rusqlite_read", |b| b.iter(|| raw_read(&raw)));
    group.bench_function("verify_store", |b| {
        b.iter(|| rt.block_on(casework.verify_store()).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("one_event_append");
    let mut raw = Raw::open(&scratch.file("raw.db"));
    group.bench_function("raw_rusqlite_insert", |b| b.iter(|| raw.insert()));
    let before = scratch.file("before.db");
    create_before_chain(&before).unwrap();
    let mut unchained = Appender::new(SqliteStore::open(&before).unwrap());
    group.bench_function("append_before_the_chain", |b| {
        b.iter(|| rt.block_on(unchained.append()))
    });
    let chained_store = SqliteStore::open(scratch.file("chained.db")).unwrap();
    rt.block_on(chained_store.migrate()).unwrap();
    let mut chained = Appender::new(chained_store);
    group.bench_function("append_with_the_chain", |b| {
        b.iter(|| rt.block_on(chained.append()))
    });
    group.finish();
}

fn summary() {
    let scratch = Scratch::new("chain-summary");
    let rt = runtime();
    let events = events_wanted();
    println!("\n== hash chain (R-18) on SQLite: same run, interleaved; medians of blocks ==");
    let path = scratch.file("chain.db");
    let started = Instant::now();
    let store = filled(&rt, &path, events);
    println!(
        "{events} events in {} cases written in {:.1} s",
        events / EVENTS_PER_CASE,
        started.elapsed().as_secs_f64()
    );
    let casework = Casework::new(store.clone(), city_girls_service());
    let report = rt.block_on(casework.verify_store()).unwrap();
    assert!(report.holds() && report.events == events, "{report:?}");
    let raw = reader(&path);
    assert_eq!(raw_read(&raw), events);
    let [raw_t, links_t, verify_t] = interleaved(
        5,
        1,
        [
            &mut || {
                raw_read(&raw);
            },
            &mut || {
                linked_read(&rt, &store);
            },
            &mut || {
                rt.block_on(casework.verify_store()).unwrap();
            },
        ],
    );
    println!(
        "verify over {events} events: raw rusqlite read {:.0} ms; the store's paged read of the \
         links {:.0} ms ({:.2}x the raw read's time); Casework::verify_store {:.0} ms ({:.2}x \
         the raw read's time, {:.2}x the links' read; {:.1} µs per event)",
        raw_t.as_secs_f64() * 1e3,
        links_t.as_secs_f64() * 1e3,
        links_t.as_secs_f64() / raw_t.as_secs_f64(),
        verify_t.as_secs_f64() * 1e3,
        verify_t.as_secs_f64() / raw_t.as_secs_f64(),
        verify_t.as_secs_f64() / links_t.as_secs_f64(),
        verify_t.as_secs_f64() * 1e6 / events as f64,
    );

    let mut raw = Raw::open(&scratch.file("raw.db"));
    let before = scratch.file("before.db");
    create_before_chain(&before).unwrap();
    let mut unchained = Appender::new(SqliteStore::open(&before).unwrap());
    let chained_store = SqliteStore::open(scratch.file("chained.db")).unwrap();
    rt.block_on(chained_store.migrate()).unwrap();
    let mut chained = Appender::new(chained_store);
    let [raw_t, before_t, chain_t] = interleaved(
        15,
        300,
        [
            &mut || raw.insert(),
            &mut || rt.block_on(unchained.append()),
            &mut || rt.block_on(chained.append()),
        ],
    );
    println!(
        "one-event append with its case row: raw insert {:.1} µs; before the chain {:.1} µs \
         ({:.2}x raw's rate); with the chain {:.1} µs ({:.2}x raw's rate), {:.3}x the time \
         without it ({:+.1} µs)",
        raw_t.as_secs_f64() * 1e6,
        before_t.as_secs_f64() * 1e6,
        raw_t.as_secs_f64() / before_t.as_secs_f64(),
        chain_t.as_secs_f64() * 1e6,
        raw_t.as_secs_f64() / chain_t.as_secs_f64(),
        chain_t.as_secs_f64() / before_t.as_secs_f64(),
        (chain_t.as_secs_f64() - before_t.as_secs_f64()) * 1e6,
    );
}

fn main() {
    support::main(criterion_groups, summary, None);
}
