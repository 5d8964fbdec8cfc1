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
//! * **The hash chain costs no round trip** (R-18, [`casework_core::kernel::chain`]). The
//!   adapter computes each event's content digest before it sends the append, as the last
//!   parameter (`bytea[]`); the statement reads the stream's head (its last version and hash)
//!   off the unique key in place of the old `MAX(version)`, and a recursive CTE links each
//!   new event to it (`sha256(tag ‖ previous hash ‖ digest)`, 80 bytes), so every event is
//!   stored with the hash of the stored event before it, never one a caller supplied.
//!   Measured against builds before the chain, alternating: the append against the raw
//!   insert moved from a median 0.91× to 0.85× with one client (within the rounds' spread) and
//!   from 0.50× to 0.47× with 8 (ADR 0014).
//! * **One statement to rewrite.** [`EventAppend::rewrite`] (anonymisation, R-23) is one CTE
//!   too ([`sql::REWRITE_CASE`], [`sql::REWRITE_YOUNG_PERSON`], [`sql::REWRITE_STREAM`]): it
//!   checks that every version named exists and only then rewrites those events' payload and
//!   reason, deletes the snapshot, replaces the listings and the row (tagged with the
//!   stream's current version, so the next append's row replaces it). A version that does
//!   not exist writes nothing and is named in the [`StoreError::Backend`] (one follow-up
//!   query reads the stream's version for the message). It runs in a transaction that first
//!   takes `LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE` (appends wait for its few
//!   milliseconds; reads do not) and, after the statement, reads the stream back and records
//!   its links again from the first rewritten version ([`sql::SET_LINKS`]), so no append
//!   links to a hash the rewrite is replacing: an append racing a rewrite of its stream runs
//!   before it or after it. It is meant for streams no longer written to (a closed case past
//!   its retention date).
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
//!
//! [`AppendError::Conflict`]: casework_core::store::AppendError::Conflict
//! [`CaseQueries::listings`]: casework_core::store::CaseQueries::listings
//! [`EventAppend::append`]: casework_core::store::EventAppend::append
//! [`EventAppend::rewrite`]: casework_core::store::EventAppend::rewrite
//! [`EventLoad::load_latest`]: casework_core::store::EventLoad::load_latest
//! [`ReadModelUpdate::None`]: casework_core::read::rows::ReadModelUpdate::None
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chain;
mod codec;
mod error;
mod keys;
mod migrate;
mod reader;
pub mod sql;
mod writer;

pub use migrate::{Migration, MIGRATIONS, SCHEMA_VERSION};

/// The pool crate, for [`PostgresStore::from_pool`] (TLS, hooks, your own manager).
pub use deadpool_postgres;
/// The driver, re-exported so a pool or a raw client is built against the same version.
pub use tokio_postgres;

use crate::error::{fail, pool_error};
use casework_core::store::StoreError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

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

    /// Runs `statement` (prepared once per connection, then cached) and returns its rows.
    pub(crate) async fn query(
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
}
