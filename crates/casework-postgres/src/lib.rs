//! # casework-postgres
//!
//! The PostgreSQL [`Store`](casework_core::store::Store) for Casework: what a larger charity,
//! or a partnership of services sharing one system, runs; and the path past one machine.
//!
//! ```no_run
//! use casework_core::policy::profile::examples::city_girls_service;
//! use casework_service::Casework;
//! use casework_postgres::PostgresStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = PostgresStore::connect("postgres://casework@127.0.0.1:5432/casework").await?;
//! store.migrate().await?; // explicit: applies the embedded migrations it has not had yet
//! let casework = Casework::new(store, city_girls_service());
//! let waiting = casework.waiting_list().await?; // R-7 order, read off an index
//! # let _ = waiting;
//! # Ok(()) }
//! ```
//!
//! The store runs on tokio (the driver is `tokio-postgres`, the pool `deadpool-postgres`). A
//! pooled connection is driven by a task of the runtime that opened it: use a store on the
//! runtime it was created on (clones share one pool).
//!
//! ## Design
//!
//! **Round trips and flushes are the cost.** On loopback TCP a round trip is 0.03–0.18 ms
//! (it depends on how busy the machine is), a WAL flush 0.1–3 ms, and executing one of these
//! statements 0.05–0.15 ms; so the store sends as few statements as it can, commits once per
//! command, and never holds a transaction open across round trips.
//!
//! * **One statement per append.** [`EventAppend::append`] sends a single data-modifying
//!   CTE in autocommit, so one round trip is one transaction: it reads the stream's version
//!   off the unique key, and only if it equals the expected version inserts every event
//!   (`unnest` of parallel arrays, so one statement whatever the number of events), replaces
//!   the snapshot when the command brings one, writes the stream's read-model row, and
//!   replaces the stream's listings when the command carries them. A query never sees half a
//!   command. One statement per shape, six in all: the row is a case's
//!   ([`sql::APPEND_CASE`]: upserts the row and, only when the case's owed actions differ
//!   from the ones its row holds, inserts new ones, updates changed ones and removes any no
//!   longer listed), a young person's ([`sql::APPEND_YOUNG_PERSON`]) or none
//!   ([`ReadModelUpdate::None`]: workshops, intelligence, disclosures, access and retention
//!   records, [`sql::APPEND_STREAM`]); each with a `_LISTINGS` twin
//!   ([`sql::APPEND_CASE_LISTINGS`], ...) that also takes the listings as four more arrays.
//!   A command that carries no listings (most) sends exactly the statement it sent before
//!   listings existed. One that carries them replaces the stream's set in place by position
//!   (upserting positions 1..n, skipping a row whose values did not change, deleting the
//!   positions past n), gated on the same version check, so a conflict writes none.
//! * **One statement to rewrite.** [`EventAppend::rewrite`] (anonymisation, R-23) is one CTE
//!   too ([`sql::REWRITE_CASE`], [`sql::REWRITE_YOUNG_PERSON`], [`sql::REWRITE_STREAM`]): it
//!   checks that every version named exists and only then rewrites those events' payload and
//!   reason, deletes the snapshot, replaces the listings and the row (tagged with the
//!   stream's current version, so the next append's row replaces it). A version that does
//!   not exist writes nothing and is named in the [`StoreError::Backend`] (one follow-up
//!   query reads the stream's version for the message). It is meant for streams no longer
//!   written to (a closed case past its retention date): an append racing it on the same
//!   stream cannot break either's atomicity, but nothing orders the two.
//! * **Conflicts come from the database.** Two appends at the same version both pass the
//!   version check; the unique key `events_stream_version_key (stream_kind, stream_id,
//!   version)` lets exactly one insert, and the loser's `unique_violation` (23505) on that
//!   constraint becomes [`AppendError::Conflict`] with the winner's version (read by one
//!   follow-up query on that rare path). An expected version that is stale or ahead of the
//!   stream conflicts without writing, with the actual version, in the same single round
//!   trip. Retrying the *same* request after an ambiguous failure (the connection dropped
//!   before the answer) can never store it twice: the version it names is taken.
//! * **One round trip to load.** [`EventLoad::load_latest`] returns the snapshot and the
//!   events from its version on (all events without one) with one query
//!   ([`sql::LOAD_LATEST`], a `UNION ALL` over a materialised CTE), so a command is one round
//!   trip to load and one to append.
//! * **Prepared once per connection.** Every statement is prepared on first use on each
//!   pooled connection and cached there (`prepare_cached`); after five executions the server
//!   keeps a generic plan for the append, so it is not planned again.
//! * **Bound parameters only.** No value is ever pasted into SQL; the only literals are the
//!   constant stage and status names the partial indexes are defined on, and `±infinity` for
//!   an open end of a listing window (tests store injection strings in every text field,
//!   listings' keys and details too, and read them back intact).
//!
//! **Tables** (`migrations/0001_initial.sql`): `events` (a global `position` identity, the
//! stream, `version`, type, schema version, payload, event id, `recorded_at`, the actor's id,
//! name and role, the reason, and the writing transaction's id for a future global feed),
//! `snapshots`, `case_summaries`, `owed_actions` and `young_people`, each read-model row with
//! the columns its queries filter and sort on and the whole row as JSON in `body`; and
//! (`migrations/0002_listings.sql`) `listings`: one row per listing, keyed by stream and
//! position, with its kind, key, time and detail (JSON text, byte for byte). Its text columns
//! are `COLLATE "C"`, so `ORDER BY` compares bytes, as Rust's `str` does, whatever the
//! database's collation, and the order equals `read_model::listing_order`.
//!
//! * Payloads, snapshots and bodies are **`text`, not `jsonb`**: the store must hand back the
//!   exact bytes it was given (the conformance suite checks key order and escapes), and
//!   `jsonb` reorders keys, drops duplicate keys, normalises numbers and refuses `\u0000`; it
//!   also costs a parse on every insert. Reports that want JSON operators cast (`body::jsonb`).
//! * **uuid columns**, so `ORDER BY case_id` is byte order, the order of Rust's `Uuid`, and
//!   every ordering equals `casework_core::read::rows`'s (a test compares each query with the
//!   in-memory store over randomised rows with many ties).
//! * **Timestamps are `timestamptz`**, microseconds. The core records at microseconds; a
//!   caller-supplied time with nanoseconds (a referral's `received_at`) is truncated in the
//!   indexed column (PostgreSQL itself would round) and kept exactly in `body`, so two times in
//!   the same microsecond sort by id rather than by their nanoseconds.
//! * PostgreSQL `text` cannot hold U+0000: a value containing it is refused before anything
//!   is sent, with a [`StoreError::Backend`] naming the field, and nothing is written.
//! * `case_summaries`, `owed_actions` and `listings` have `fillfactor = 70`, so the row every
//!   command rewrites stays on its page (a HOT update) and its indexes are not touched (for a
//!   listing: when only its detail changed).
//! * A listing's key is indexed, so it must fit a btree entry (about 2.7 KB; keys are ids and
//!   statuses); a longer one fails the append with [`StoreError::Backend`] and writes nothing.
//!
//! **An index for every query**, each checked with `EXPLAIN` on tens of thousands of
//! `ANALYZE`d rows (`tests/plans.rs`: no sequential scan of a big table, and the named index
//! used): the waiting list reads a partial index on `(risk_rank DESC, received_at, case_id)
//! WHERE stage = 'waiting_list'`, outstanding actions a partial index `WHERE status = 'owed'`,
//! overdue reviews `(next_review_due, case_id) WHERE next_review_due IS NOT NULL`, a young
//! person's cases `(young_person_id, received_at, case_id)`, loads the unique key.
//! [`CaseQueries::listings`] is one query of four shapes (with or without a key, with or
//! without a time window: [`sql::LISTINGS`], [`sql::LISTINGS_IN_WINDOW`],
//! [`sql::LISTINGS_BY_KEY`], [`sql::LISTINGS_BY_KEY_IN_WINDOW`]), so that a generic plan never
//! has to serve a shape it was not made for: a kind's listings read `listings_by_kind (kind,
//! at, stream_kind, stream_id, key)`, one key's `listings_by_key (kind, key, at, stream_kind,
//! stream_id)`, a window as a range of either (`at >= from AND at < to`, an open bound as
//! `∓infinity`, so a listing without a time never matches a window). Both indexes are in
//! listing order up to the detail, which is not indexed (it may be long); the planner sorts on
//! it after the index, or sorts a bitmap scan's rows when that is cheaper. A bound with
//! nanoseconds is rounded up to the microsecond, which keeps `>=` and `<` exact on the
//! microsecond times stored. Appends and rewrites find a stream's listings by the primary key.
//!
//! **Migrations** are numbered SQL files embedded in the crate ([`MIGRATIONS`]), applied by
//! [`PostgresStore::migrate`] in one transaction under a transaction-level advisory lock keyed
//! by the schema (concurrent migrators queue; the later ones find nothing to do), and
//! recorded in `casework_schema_migrations`. A database at a newer schema than
//! [`SCHEMA_VERSION`] is refused with [`StoreError::SchemaTooNew`] by both
//! [`PostgresStore::connect`] and `migrate`, and left untouched. Objects go into the first
//! schema on the `search_path`, so several services can share a database, one schema each
//! (`?options=-csearch_path%3Dservice_a` in the URL).
//!
//! **The pool** is deadpool's, with `Fast` recycling (no ping on checkout: a ping is a round
//! trip). A connection that breaks (the server restarted, a backend was terminated) fails
//! the operation that met it with [`StoreError::Unavailable`] and is taken out of the pool,
//! so it fails no other; the pool opens a new one on demand. A refused connection fails
//! [`PostgresStore::connect`] at once with [`StoreError::Unavailable`].
//!
//! | SQLSTATE / failure | [`StoreError`] |
//! | --- | --- |
//! | refused, reset or closed connection, `08…`, `57P01–03` (shutdown), `53300`, `3D000`, `28…` | `Unavailable` |
//! | `40001`, `40P01`, `55P03`, `57014` (serialization, deadlock, lock, timeout); no free pooled connection in time | `Busy` |
//! | `53100` (disk full) | `Full` |
//! | `42P01`, `42703`, `42883` (no such table, column, function: not migrated; e.g. listings on a version 1 schema) | `Corrupt` |
//! | a stored row that does not decode | `Corrupt` |
//! | a newer schema | `SchemaTooNew` |
//! | anything else | `Backend` |
//!
//! ## Measured
//!
//! All on this machine (2 cores, PostgreSQL 15 on loopback TCP, shared with other builds), by
//! `benches/postgres.rs` (`cargo bench --bench postgres --features postgres`) and
//! `compare/benches/versus.rs` (`cargo bench --manifest-path
//! crates/casework-postgres/compare/Cargo.toml`, a workspace of its own because postgres-es's
//! sqlx 0.8 cannot share a lock file with rusqlite). Every figure is a ratio to a baseline
//! measured **in the same run**, contenders alternating in short rounds; absolute rates moved
//! 3× between runs with the neighbours' disk traffic (an fsync took 0.3–3.4 ms), so ranges
//! are over several runs.
//!
//! * **Driver and pool** (one client, `SELECT 1`, ratio to sqlx 0.8's default `PgPool`, which
//!   pings the connection on every acquire, on the multi-thread runtime): a tokio-postgres
//!   client 2.5–9×, this store's deadpool pool (`Fast` recycling: no ping) on a current-thread
//!   runtime 2.8–7.6×, the same on a multi-thread runtime 2.6–6×. Single-row
//!   `BEGIN/INSERT/COMMIT` is bound by the flush: 0.8–3× sqlx, moving with the disk. Hence
//!   tokio-postgres + deadpool with `Fast` recycling, and one statement per append.
//! * **Runtime**: current-thread and a 2-worker multi-thread runtime were within the noise of
//!   each other for appends (1 and 8 clients); for one client's round trips the
//!   current-thread runtime was 1.1–2.7× faster through the pool. The store works on either.
//! * **Append vs raw single-row `INSERT` of the same event bytes** into a table of the same
//!   shape (same indexes), same run: **0.63–0.86× with one client** (criterion: 381 µs vs
//!   287 µs, 0.75×), **0.50–0.58× with 8 clients**. The append writes the event, the case's row
//!   and (when they changed) its owed actions in one statement; the raw insert writes one
//!   row. With one client the round trip and the flush dominate both; with 8 clients the two
//!   cores are saturated and the extra rows cost CPU on the server. The 0.8× target is met
//!   when the flush is slow, not otherwise.
//! * **Listings** (the same append carrying three listings, each ~150 bytes of detail that
//!   changes with every command, so each listing row is updated in place; interleaved with
//!   the two above, each round starting with the next contender): in a quiet set of three
//!   runs **0.89–0.91× the append without listings with one client, 0.81–0.85× with 8**
//!   (0.56–0.60× and 0.42–0.43× the raw insert); over noisier runs 0.80–0.96× and 0.80–0.87×.
//!   A command that carries none sends the statement it sent before listings existed:
//!   alternating builds before and after listings (the earlier one ignoring listings, so its
//!   third contender, doing the same work as the second, measured the noise: 0.95–1.02×), the
//!   append without listings was 0.63–0.66× the raw insert with one client (before:
//!   0.64–0.73×) and 0.49–0.51× with 8 (before: 0.50–0.53×). `CASEWORK_BENCH_APPENDS_ONLY=1`
//!   runs just these.
//! * **Whole command** (`Casework::execute`: one round trip to load, decide, one to append),
//!   one client: 1,000–1,500 commands/s in quiet runs.
//! * **Loads**, p50 / p95: a case of 20 events, `load_latest` 0.06 / 0.10–0.23 ms and
//!   `Casework::case` 0.10 / 0.15–0.27 ms; of 2,000 events, `load_latest` 0.9–1.2 / 1.0–2.4 ms
//!   and `Casework::case` 2.0–2.2 / 2.5–3.4 ms (the snapshot of a case with 2,000 recorded
//!   professionals is itself ~400 KB of JSON), against 3.1 / 4.4–5.5 ms for the full history.
//! * **Queries over 100,000 cases**, p50 / p95: the waiting list (1,000 rows) 3.8–5.9 /
//!   5.0–7.5 ms, overdue reviews (1,941 rows) 9.4–12.3 / 11–17.5 ms: every row is ~1.5 KB of
//!   JSON to ship and decode (the plans are index scans, `tests/plans.rs`).
//! * **Against cqrs-es 0.5 + postgres-es 0.5** (sqlx 0.8), the same workload (record a
//!   professional on one of 128 open cases per client: load, decide, append one event),
//!   same server, same run, two runs: **one client 1.29–1.97×** with durable commits and
//!   1.76–2.35× with `synchronous_commit=off` (standing in for a disk with a fast flush, where
//!   round trips are the cost); against its snapshot store 1.52–2.25× and 1.97–2.96×.
//!   **Eight clients 0.93–1.24×** durable and 1.37–1.42× without the flush wait (1.23–1.85×
//!   against its snapshot store). A command here is two round trips and one flush; cqrs-es
//!   makes six (a ping and a select to load; a ping, `BEGIN`, the insert and `COMMIT` to
//!   append). With eight clients on two cores the work per command decides instead, and ours
//!   does more: a typed fold, a decision, and the case's read-model row in the same
//!   transaction, which cqrs-es leaves to an eventually consistent query. The 1.5× target is
//!   met with one client, not with eight on this machine.
//!
//! ## Scale-out
//!
//! One PostgreSQL server holds a large charity's whole history comfortably (a case is tens
//! to hundreds of events of about 1 KB). Past that, or for a partnership sharing one system:
//!
//! * **Partitioning.** `events` is the only table that grows without bound. Partition it by
//!   `HASH (stream_id)` (every query names a stream, so each touches one partition, and the
//!   unique key, which contains `stream_id`, stays enforceable per partition; the primary key
//!   becomes `(stream_id, position)`), or by range of
//!   `recorded_at` to age old partitions onto cheaper storage or detach them under the
//!   retention schedule (R-23), at the cost of the unique key needing `recorded_at` too.
//!   `case_summaries` and `owed_actions` are bounded by the number of cases; `snapshots` by
//!   the number of streams. `listings` holds a few rows per stream, and one per read of a
//!   confidential record (each access record is a stream, R-27), so it grows with the access
//!   log: partition it by `LIST (kind)` (every query names one kind; the primary key then
//!   needs `kind` too) or by hash of `stream_id`.
//! * **Distribution** (Citus and other sharded engines): distribute `events`, `snapshots`
//!   and `listings` by `stream_id`, and `case_summaries` and `owed_actions` by `case_id`,
//!   co-located, so an append (which names one case throughout) runs on one shard as one
//!   local transaction; a listing query is then a fan-out merged in listing order.
//!   Distributing by young person instead would co-locate a person's cases for `cases_of`,
//!   but the append names the case, not the person, so the case is the better key; `cases_of`
//!   and the queue queries (waiting list, overdue, outstanding) are small fan-outs over
//!   indexed partial sets.
//! * **Replicas.** The queries, loads for display, and exports can read from streaming
//!   replicas (open a second `PostgresStore` on the replica's URL for `CaseQueries`);
//!   commands must load from the primary, or a stale read only costs a conflict and a retry,
//!   because the append's version check runs on the primary.
//! * **What the schema avoids, for Postgres-compatible distributed engines** (CockroachDB,
//!   YugabyteDB, Citus): no foreign keys (no cross-shard checks); no triggers, stored
//!   procedures or `LISTEN`; every key a uuid chosen by the application, so no sequence is
//!   read to write a case's rows. Two things are PostgreSQL-specific and the only changes such
//!   a port needs: the `events.position` identity (a single sequence, a hot spot on a
//!   distributed engine: replace it by the engine's change feed, or an unordered unique id
//!   with the feed ordered by commit timestamp) and the `transaction_id xid8` column with
//!   `pg_current_xact_id()` (the engine's commit timestamp plays that part).
//! * **The global feed (R-28).** Positions come from a sequence, handed out in insert order,
//!   not commit order, so a follower reading `position > checkpoint` could skip an event that
//!   commits late with a lower position. Each event therefore records its transaction id; a
//!   follower reads only events whose transaction is older than every transaction still in
//!   progress (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`), in `(transaction_id,
//!   position)` order, which is at-least-once and resumable without serialising writers.
//!
//! ## Testing against your own server
//!
//! The tests read `DATABASE_URL` (a server URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`; the role needs `CREATEDB`): each test
//! creates its own database, `casework_test_<pid>_<random>`, and drops it at the end (one a
//! crashed run left behind is dropped by the next run). Without `DATABASE_URL` they print that
//! they skipped and pass; with `CASEWORK_REQUIRE_POSTGRES=1` (CI) they fail instead.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod migrate;
pub mod sql;

pub use migrate::{Migration, MIGRATIONS, SCHEMA_VERSION};

/// The pool crate, for [`PostgresStore::from_pool`] (TLS, hooks, your own manager).
pub use deadpool_postgres;
/// The driver, re-exported so a pool or a raw client is built against the same version.
pub use tokio_postgres;

use crate::error::{corrupt, fail, is_version_conflict, pool_error};
use async_trait::async_trait;
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::event::{EventMeta, RecordedEvent};
use casework_core::kernel::ids::{CaseId, EventId, StaffId, StreamId, YoungPersonId};
use casework_core::read::rows::{
    CaseSummary, Listed, Listing, ListingKind, ListingQuery, OwedActionSummary, ReadModelUpdate,
    YoungPersonSummary,
};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, Conflict, EventAppend, EventLoad, RewriteRequest,
    RewrittenEvent, Snapshot, StoreError,
};
use chrono::{DateTime, SubsecRound, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

/// How [`PostgresStore::connect_with`] sets up its pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Most connections the pool opens (default 16). Each holds a server backend.
    pub max_connections: usize,
    /// How long to wait for the server to accept a new connection (default 5 s), unless the
    /// URL sets `connect_timeout`.
    pub connect_timeout: Duration,
    /// How long an operation waits for a free pooled connection before failing with
    /// [`StoreError::Busy`] (default 30 s).
    pub wait_timeout: Duration,
    /// The `application_name` the connections report in `pg_stat_activity` (default
    /// `casework`), unless the URL sets one.
    pub application_name: String,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(30),
            application_name: "casework".into(),
        }
    }
}

/// A Casework [`Store`](casework_core::store::Store) on PostgreSQL: a pool of connections,
/// one statement per append, one per load.
///
/// Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
    /// the `key=value` form) with the default [`PostgresOptions`].
    ///
    /// Opens one connection to check that the server answers and that the database's schema
    /// is not newer than this library ([`StoreError::SchemaTooNew`]); it does not migrate:
    /// call [`PostgresStore::migrate`]. A server that cannot be reached gives
    /// [`StoreError::Unavailable`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects with explicit pool options; see [`PostgresStore::connect`].
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("invalid connection URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name(&options.application_name);
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.wait_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| StoreError::Backend(format!("building the connection pool: {e}")))?;
        Self::from_pool(pool).await
    }

    /// Wraps a pool you built yourself (for TLS, a custom [`Manager`], or pool hooks), after
    /// the same checks as [`PostgresStore::connect`]. The pool needs a runtime set for its
    /// timeouts to apply.
    pub async fn from_pool(pool: Pool) -> Result<Self, StoreError> {
        let store = Self { pool };
        let found = store.schema_version().await?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(store)
    }

    /// The pool, for its status and metrics.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|e| corrupt(format!("column {index}: {e}")))
}

fn to_u64(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| corrupt(format!("negative version or position {v}")))
}

fn to_u32(v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| corrupt(format!("negative schema version {v}")))
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("version {v} is beyond i64")))
}

/// Rows written from [`sql::LOAD_AFTER`] or [`sql::LOAD_LATEST`].
fn event_from_row(stream: StreamId, row: &Row) -> Result<RecordedEvent, StoreError> {
    let role: &str = get(row, 9)?;
    Ok(RecordedEvent {
        stream,
        position: to_u64(get(row, 0)?)?,
        version: to_u64(get(row, 1)?)?,
        event_type: get(row, 2)?,
        schema_version: to_u32(get(row, 3)?)?,
        payload: get(row, 4)?,
        meta: EventMeta {
            event_id: EventId::from_uuid(get(row, 5)?),
            recorded_at: get(row, 6)?,
            actor: Actor {
                id: StaffId::from_uuid(get(row, 7)?),
                name: get(row, 8)?,
                role: Role::parse(role).ok_or_else(|| corrupt(format!("unknown role `{role}`")))?,
            },
            reason: get(row, 10)?,
        },
    })
}

/// A row of the listing queries.
fn listed_from_row(kind: ListingKind, row: &Row) -> Result<Listed, StoreError> {
    let stream_kind: &str = get(row, 0)?;
    let stream = StreamId::from_parts(stream_kind, get(row, 1)?).ok_or_else(|| {
        corrupt(format!(
            "a listing of an unknown stream kind `{stream_kind}`"
        ))
    })?;
    Ok(Listed {
        stream,
        listing: Listing {
            kind,
            key: get(row, 2)?,
            at: get(row, 3)?,
            detail: get(row, 4)?,
        },
    })
}

fn decode_body<T: DeserializeOwned>(row: &Row) -> Result<T, StoreError> {
    let body: &str = get(row, 0)?;
    serde_json::from_str(body).map_err(|e| corrupt(format!("read-model row does not decode: {e}")))
}

/// A case summary row from `body` (the summary without its owed actions) and `owed`.
fn decode_summary(row: &Row) -> Result<CaseSummary, StoreError> {
    let mut summary: CaseSummary = decode_body(row)?;
    let owed: &str = get(row, 1)?;
    summary.owed = serde_json::from_str(owed)
        .map_err(|e| corrupt(format!("owed actions of a case do not decode: {e}")))?;
    Ok(summary)
}

/// A case summary as its `body` (without the owed actions) and `owed` columns.
fn encode_summary(summary: &CaseSummary) -> Result<(String, String), StoreError> {
    let owed = encode_body(&summary.owed)?;
    let without_owed = CaseSummary {
        owed: Vec::new(),
        ..summary.clone()
    };
    Ok((encode_body(&without_owed)?, owed))
}

fn encode_body<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

/// PostgreSQL `text` cannot hold U+0000; refuse it up front with the field's name rather
/// than let the server fail with an encoding error.
fn no_nul<'a>(field: &str, value: &'a str) -> Result<&'a str, StoreError> {
    if value.contains('\0') {
        Err(StoreError::Backend(format!(
            "{field} contains a NUL character (U+0000), which PostgreSQL text cannot store"
        )))
    } else {
        Ok(value)
    }
}

/// The precision every column keeps: microseconds, truncated (PostgreSQL itself would round).
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The first microsecond at or after `t`: a bound on stored (microsecond) times that keeps
/// `at >= t` and `at < t` exact when `t` has nanoseconds.
fn micros_ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let truncated = micros(t);
    if truncated < t {
        // Past chrono's last instant (far beyond PostgreSQL's), keep it: the driver refuses it.
        truncated
            .checked_add_signed(chrono::Duration::microseconds(1))
            .unwrap_or(truncated)
    } else {
        truncated
    }
}

impl PostgresStore {
    /// Runs `statement` (prepared once per connection, then cached) and returns its rows.
    async fn query(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.client().await?;
        let result = async {
            let stmt = client.prepare_cached(statement).await?;
            client.query(&stmt, params).await
        }
        .await;
        result.map_err(|e| fail(client, &e))
    }

    async fn query_summaries(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = self.query(statement, params).await?;
        rows.iter().map(decode_summary).collect()
    }

    async fn query_bodies<T: DeserializeOwned>(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.query(statement, params).await?;
        rows.iter().map(decode_body).collect()
    }
}

#[async_trait]
impl EventLoad for PostgresStore {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.load_after(stream, 0).await
    }

    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let after = i64::try_from(version).unwrap_or(i64::MAX);
        let rows = self
            .query(sql::LOAD_AFTER, &[&stream.kind(), &stream.uuid(), &after])
            .await?;
        rows.iter().map(|r| event_from_row(stream, r)).collect()
    }

    /// The snapshot and the events from its version on (all events without one) in ONE round
    /// trip ([`sql::LOAD_LATEST`]): what a command reads to rebuild a case.
    async fn load_latest(
        &self,
        stream: StreamId,
    ) -> Result<(Option<Snapshot>, Vec<RecordedEvent>), StoreError> {
        let rows = self
            .query(sql::LOAD_LATEST, &[&stream.kind(), &stream.uuid()])
            .await?;
        let mut snapshot = None;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let position: Option<i64> = get(row, 0)?;
            if position.is_none() {
                snapshot = Some(Snapshot {
                    stream,
                    version: to_u64(get(row, 1)?)?,
                    schema_version: to_u32(get(row, 3)?)?,
                    state: get(row, 4)?,
                });
            } else {
                events.push(event_from_row(stream, row)?);
            }
        }
        events.sort_by_key(|e| e.version);
        Ok((snapshot, events))
    }

    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        let rows = self
            .query(sql::LOAD_SNAPSHOT, &[&stream.kind(), &stream.uuid()])
            .await?;
        rows.first()
            .map(|row| {
                Ok(Snapshot {
                    stream,
                    version: to_u64(get(row, 0)?)?,
                    schema_version: to_u32(get(row, 1)?)?,
                    state: get(row, 2)?,
                })
            })
            .transpose()
    }
}

/// The events of one append as parallel arrays, bound to `$4`–`$12`.
struct EventColumns<'a> {
    types: Vec<&'a str>,
    schema_versions: Vec<i32>,
    payloads: Vec<&'a str>,
    event_ids: Vec<Uuid>,
    recorded_at: Vec<DateTime<Utc>>,
    actor_ids: Vec<Uuid>,
    actor_names: Vec<&'a str>,
    actor_roles: Vec<&'static str>,
    reasons: Vec<Option<&'a str>>,
}

impl<'a> EventColumns<'a> {
    fn of(request: &'a AppendRequest) -> Result<Self, StoreError> {
        let n = request.events.len();
        let mut c = EventColumns {
            types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            event_ids: Vec::with_capacity(n),
            recorded_at: Vec::with_capacity(n),
            actor_ids: Vec::with_capacity(n),
            actor_names: Vec::with_capacity(n),
            actor_roles: Vec::with_capacity(n),
            reasons: Vec::with_capacity(n),
        };
        for e in &request.events {
            c.types.push(no_nul("event_type", &e.event_type)?);
            c.schema_versions
                .push(i32::try_from(e.schema_version).map_err(|_| {
                    StoreError::Backend(format!("schema version {} too large", e.schema_version))
                })?);
            c.payloads.push(no_nul("payload", &e.payload)?);
            c.event_ids.push(e.meta.event_id.as_uuid());
            c.recorded_at.push(micros(e.meta.recorded_at));
            c.actor_ids.push(e.meta.actor.id.as_uuid());
            c.actor_names
                .push(no_nul("actor name", &e.meta.actor.name)?);
            c.actor_roles.push(e.meta.actor.role.as_str());
            c.reasons.push(
                e.meta
                    .reason
                    .as_deref()
                    .map(|r| no_nul("reason", r))
                    .transpose()?,
            );
        }
        Ok(c)
    }
}

/// The snapshot's parameters, `$13`–`$17` (all NULL for none).
struct SnapshotColumns<'a> {
    kind: Option<&'static str>,
    id: Option<Uuid>,
    version: Option<i64>,
    schema_version: Option<i32>,
    state: Option<&'a str>,
}

impl<'a> SnapshotColumns<'a> {
    fn of(snapshot: Option<&'a Snapshot>) -> Result<Self, StoreError> {
        Ok(match snapshot {
            None => SnapshotColumns {
                kind: None,
                id: None,
                version: None,
                schema_version: None,
                state: None,
            },
            Some(s) => SnapshotColumns {
                kind: Some(s.stream.kind()),
                id: Some(s.stream.uuid()),
                version: Some(to_i64(s.version)?),
                schema_version: Some(i32::try_from(s.schema_version).map_err(|_| {
                    StoreError::Backend(format!("snapshot schema {} too large", s.schema_version))
                })?),
                state: Some(no_nul("snapshot state", &s.state)?),
            },
        })
    }
}

/// The owed actions of a case summary as parallel arrays, `$25`–`$28`.
struct OwedColumns {
    ids: Vec<Uuid>,
    statuses: Vec<String>,
    due_at: Vec<DateTime<Utc>>,
    bodies: Vec<String>,
}

impl OwedColumns {
    fn of(owed: &[OwedActionSummary]) -> Result<Self, StoreError> {
        let mut c = OwedColumns {
            ids: Vec::with_capacity(owed.len()),
            statuses: Vec::with_capacity(owed.len()),
            due_at: Vec::with_capacity(owed.len()),
            bodies: Vec::with_capacity(owed.len()),
        };
        for a in owed {
            c.ids.push(a.action_id.as_uuid());
            c.statuses
                .push(no_nul("owed action status", &a.status)?.to_owned());
            c.due_at.push(micros(a.due_at));
            c.bodies
                .push(no_nul("owed action", &encode_body(a)?)?.to_owned());
        }
        Ok(c)
    }
}

/// A stream's listings as parallel arrays (kind, key, at, detail).
struct ListingColumns<'a> {
    kinds: Vec<&'static str>,
    keys: Vec<&'a str>,
    ats: Vec<Option<DateTime<Utc>>>,
    details: Vec<&'a str>,
}

impl<'a> ListingColumns<'a> {
    fn of(listings: &'a [Listing]) -> Result<Self, StoreError> {
        let n = listings.len();
        let mut c = ListingColumns {
            kinds: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
            ats: Vec::with_capacity(n),
            details: Vec::with_capacity(n),
        };
        for l in listings {
            c.kinds.push(l.kind.as_str());
            c.keys.push(no_nul("listing key", &l.key)?);
            c.ats.push(l.at.map(micros));
            c.details.push(no_nul("listing detail", &l.detail)?);
        }
        Ok(c)
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 4] {
        [&self.kinds, &self.keys, &self.ats, &self.details]
    }
}

/// A case's row as the columns the statements bind.
struct CaseRow {
    body: String,
    owed_json: String,
    stage: &'static str,
    risk_rank: i64,
    received_at: DateTime<Utc>,
    next_review_due: Option<DateTime<Utc>>,
    young_person: Uuid,
    owed: OwedColumns,
}

impl CaseRow {
    fn of(summary: &CaseSummary) -> Result<Self, StoreError> {
        let (body, owed_json) = encode_summary(summary)?;
        no_nul("case summary", &body)?;
        no_nul("owed actions", &owed_json)?;
        Ok(CaseRow {
            body,
            owed_json,
            stage: summary.stage.as_str(),
            risk_rank: summary.risk_rank(),
            received_at: micros(summary.received_at),
            next_review_due: summary.next_review_due.map(micros),
            young_person: summary.young_person_id.as_uuid(),
            owed: OwedColumns::of(&summary.owed)?,
        })
    }
}

/// A young person's row as the columns the statements bind.
struct PersonRow<'a> {
    body: String,
    district: &'a str,
    registered_at: DateTime<Utc>,
}

impl<'a> PersonRow<'a> {
    fn of(person: &'a YoungPersonSummary) -> Result<Self, StoreError> {
        let body = encode_body(person)?;
        no_nul("young person summary", &body)?;
        Ok(PersonRow {
            body,
            district: no_nul("postcode district", &person.postcode_district)?,
            registered_at: micros(person.registered_at),
        })
    }
}

/// A rewrite's events as parallel arrays (version, payload, reason); a version named twice
/// keeps its last entry, as applying them in order would.
struct RewriteColumns<'a> {
    versions: Vec<i64>,
    payloads: Vec<&'a str>,
    reasons: Vec<Option<&'a str>>,
}

impl<'a> RewriteColumns<'a> {
    fn of(events: &'a [RewrittenEvent]) -> Result<Self, StoreError> {
        let mut last: std::collections::BTreeMap<u64, &RewrittenEvent> = Default::default();
        for e in events {
            last.insert(e.version, e);
        }
        let mut c = RewriteColumns {
            versions: Vec::with_capacity(last.len()),
            payloads: Vec::with_capacity(last.len()),
            reasons: Vec::with_capacity(last.len()),
        };
        for (version, e) in last {
            c.versions.push(to_i64(version)?);
            c.payloads.push(no_nul("payload", &e.payload)?);
            c.reasons.push(
                e.reason
                    .as_deref()
                    .map(|r| no_nul("reason", r))
                    .transpose()?,
            );
        }
        Ok(c)
    }
}

#[async_trait]
impl EventAppend for PostgresStore {
    /// ONE statement ([`sql::REWRITE_CASE`], [`sql::REWRITE_YOUNG_PERSON`] or
    /// [`sql::REWRITE_STREAM`]) in autocommit, so one round trip and one transaction: it checks
    /// that every version named exists and only then rewrites those events, deletes the
    /// snapshot, replaces the listings and the row.
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        let kind = request.stream.kind();
        let id = request.stream.uuid();
        // Everything is encoded and checked before anything is sent.
        let events = RewriteColumns::of(&request.events)?;
        let listings = ListingColumns::of(&request.listings)?;
        let [kinds, keys, ats, details] = listings.params();
        let head: [&(dyn ToSql + Sync); 9] = [
            &kind,
            &id,
            &events.versions,
            &events.payloads,
            &events.reasons,
            kinds,
            keys,
            ats,
            details,
        ];
        let client = self.client().await?;
        let result = match &request.read_model {
            ReadModelUpdate::Case(summary) => {
                let row = CaseRow::of(summary)?;
                let tail: [&(dyn ToSql + Sync); 11] = [
                    &row.young_person,
                    &row.stage,
                    &row.risk_rank,
                    &row.received_at,
                    &row.next_review_due,
                    &row.body,
                    &row.owed_json,
                    &row.owed.ids,
                    &row.owed.statuses,
                    &row.owed.due_at,
                    &row.owed.bodies,
                ];
                let params: Vec<&(dyn ToSql + Sync)> =
                    head.iter().chain(tail.iter()).copied().collect();
                run_rewrite(&client, sql::REWRITE_CASE, &params).await
            }
            ReadModelUpdate::YoungPerson(person) => {
                let row = PersonRow::of(person)?;
                let tail: [&(dyn ToSql + Sync); 4] = [
                    &person.date_of_birth,
                    &row.district,
                    &row.registered_at,
                    &row.body,
                ];
                let params: Vec<&(dyn ToSql + Sync)> =
                    head.iter().chain(tail.iter()).copied().collect();
                run_rewrite(&client, sql::REWRITE_YOUNG_PERSON, &params).await
            }
            ReadModelUpdate::None => run_rewrite(&client, sql::REWRITE_STREAM, &head).await,
        };
        match result {
            Ok(true) => Ok(()),
            Ok(false) => {
                // Nothing was written; name a missing version.
                drop(client);
                let rows = self.query(sql::STREAM_VERSION, &[&kind, &id]).await?;
                let current = match rows.first() {
                    Some(row) => get::<i64>(row, 0)?,
                    None => 0,
                };
                let missing = events
                    .versions
                    .iter()
                    .find(|v| **v < 1 || **v > current)
                    .copied()
                    .unwrap_or_default();
                Err(StoreError::Backend(format!(
                    "{} has no version {missing} (it is at version {current}): nothing rewritten",
                    request.stream
                )))
            }
            Err(e) => Err(fail(client, &e)),
        }
    }

    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        if request.events.is_empty() {
            return Ok(request.expected_version);
        }
        let expected = to_i64(request.expected_version)?;
        let new_version = request.expected_version + request.events.len() as u64;
        let kind = request.stream.kind();
        let id = request.stream.uuid();
        let ev = EventColumns::of(&request)?;
        let snap = SnapshotColumns::of(request.snapshot.as_ref())?;
        let head: [&(dyn ToSql + Sync); 17] = [
            &kind,
            &id,
            &expected,
            &ev.types,
            &ev.schema_versions,
            &ev.payloads,
            &ev.event_ids,
            &ev.recorded_at,
            &ev.actor_ids,
            &ev.actor_names,
            &ev.actor_roles,
            &ev.reasons,
            &snap.kind,
            &snap.id,
            &snap.version,
            &snap.schema_version,
            &snap.state,
        ];
        let new_version_i64 = to_i64(new_version)?;
        // The listings, when the command replaces them: four more arrays on the same statement.
        let listings = request
            .listings
            .as_deref()
            .map(ListingColumns::of)
            .transpose()?;
        let listing_params = listings.as_ref().map(ListingColumns::params);
        let listing_params = listing_params.iter().flatten();
        let client = self.client().await?;
        let result = match &request.read_model {
            ReadModelUpdate::Case(summary) => {
                let row = CaseRow::of(summary)?;
                let tail: [&(dyn ToSql + Sync); 12] = [
                    &row.young_person,
                    &row.stage,
                    &row.risk_rank,
                    &row.received_at,
                    &row.next_review_due,
                    &new_version_i64,
                    &row.body,
                    &row.owed.ids,
                    &row.owed.statuses,
                    &row.owed.due_at,
                    &row.owed.bodies,
                    &row.owed_json,
                ];
                let params: Vec<&(dyn ToSql + Sync)> = head
                    .iter()
                    .chain(tail.iter())
                    .chain(listing_params)
                    .copied()
                    .collect();
                let statement = match listings {
                    None => sql::APPEND_CASE,
                    Some(_) => sql::APPEND_CASE_LISTINGS,
                };
                run_append(&client, statement, &params).await
            }
            ReadModelUpdate::YoungPerson(person) => {
                let row = PersonRow::of(person)?;
                let tail: [&(dyn ToSql + Sync); 5] = [
                    &person.date_of_birth,
                    &row.district,
                    &row.registered_at,
                    &new_version_i64,
                    &row.body,
                ];
                let params: Vec<&(dyn ToSql + Sync)> = head
                    .iter()
                    .chain(tail.iter())
                    .chain(listing_params)
                    .copied()
                    .collect();
                let statement = match listings {
                    None => sql::APPEND_YOUNG_PERSON,
                    Some(_) => sql::APPEND_YOUNG_PERSON_LISTINGS,
                };
                run_append(&client, statement, &params).await
            }
            ReadModelUpdate::None => {
                let params: Vec<&(dyn ToSql + Sync)> =
                    head.iter().chain(listing_params).copied().collect();
                let statement = match listings {
                    None => sql::APPEND_STREAM,
                    Some(_) => sql::APPEND_STREAM_LISTINGS,
                };
                run_append(&client, statement, &params).await
            }
        };
        let conflict = |actual: u64| Conflict {
            stream: request.stream,
            expected: request.expected_version,
            actual,
        };
        match result {
            Ok(found) if found == expected => Ok(new_version),
            Ok(found) => Err(conflict(to_u64(found)?).into()),
            Err(e) if is_version_conflict(&e) => {
                // Lost the race at the right version: read what the winner made it.
                drop(client);
                let rows = self.query(sql::STREAM_VERSION, &[&kind, &id]).await?;
                let actual = match rows.first() {
                    Some(row) => to_u64(get(row, 0)?)?,
                    None => 0,
                };
                Err(conflict(actual.max(request.expected_version + 1)).into())
            }
            Err(e) => Err(fail(client, &e).into()),
        }
    }
}

async fn run_append(
    client: &deadpool_postgres::Object,
    statement: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<i64, tokio_postgres::Error> {
    let stmt = client.prepare_cached(statement).await?;
    let row = client.query_one(&stmt, params).await?;
    row.try_get(0)
}

async fn run_rewrite(
    client: &deadpool_postgres::Object,
    statement: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<bool, tokio_postgres::Error> {
    let stmt = client.prepare_cached(statement).await?;
    let row = client.query_one(&stmt, params).await?;
    row.try_get(0)
}

#[async_trait]
impl CaseQueries for PostgresStore {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.query_summaries(sql::WAITING_LIST, &[]).await
    }

    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.query_bodies(sql::OUTSTANDING_ACTIONS, &[]).await
    }

    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        self.query_summaries(sql::CASES_OF, &[&young_person.as_uuid()])
            .await
    }

    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        self.query_summaries(sql::OVERDUE_REVIEWS, &[&micros(as_of)])
            .await
    }

    /// One query, of four shapes (with or without a key, with or without a time window), so
    /// each reads the index made for it ([`sql::LISTINGS`], [`sql::LISTINGS_IN_WINDOW`],
    /// [`sql::LISTINGS_BY_KEY`], [`sql::LISTINGS_BY_KEY_IN_WINDOW`]).
    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        let kind = query.kind.as_str();
        let key = query
            .key
            .as_deref()
            .map(|k| no_nul("listing key", k))
            .transpose()?;
        let window = query.from.is_some() || query.to.is_some();
        let from = query.from.map(micros_ceil);
        let to = query.to.map(micros_ceil);
        let rows = match (key, window) {
            (None, false) => self.query(sql::LISTINGS, &[&kind]).await?,
            (None, true) => {
                self.query(sql::LISTINGS_IN_WINDOW, &[&kind, &from, &to])
                    .await?
            }
            (Some(key), false) => self.query(sql::LISTINGS_BY_KEY, &[&kind, &key]).await?,
            (Some(key), true) => {
                self.query(sql::LISTINGS_BY_KEY_IN_WINDOW, &[&kind, &key, &from, &to])
                    .await?
            }
        };
        rows.iter()
            .map(|row| listed_from_row(query.kind, row))
            .collect()
    }

    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        Ok(self
            .query_summaries(sql::CASE_SUMMARY, &[&case.as_uuid()])
            .await?
            .pop())
    }
}
