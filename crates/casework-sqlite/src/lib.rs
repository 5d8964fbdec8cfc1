//! # casework-sqlite
//!
//! The embedded default store: Casework's events, snapshots and read models in one SQLite
//! file, for a charity that runs without a database server.
//!
//! ```
//! use casework_core::policy::profile::examples::city_girls_service;
//! use casework_service::Casework;
//! use casework_sqlite::SqliteStore;
//! use casework_testkit::fixtures;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(dir.path().join("casework.db"))?;
//! store.migrate().await?; // explicit: applies the embedded migrations, all or none
//!
//! let casework = Casework::new(store, city_girls_service());
//! let worker = fixtures::worker();
//! let amy = casework
//!     .register_young_person(&worker, fixtures::girl_in_leeds_area())
//!     .await?;
//! let case = casework
//!     .receive_referral(&worker, amy, fixtures::self_referral(fixtures::start()))
//!     .await?;
//! let history = casework.history(case).await?;
//! // Raw store access steps past the gate and the audit, so it is named so.
//! let file = casework_service::bypass::raw_store(&casework).path();
//! println!("{} events in {}", history.len(), file.display());
//! # Ok(())
//! # }
//! ```
//!
//! ## Design
//!
//! **Threads.** One *writer thread* owns the only connection that writes. Appends reach it
//! over a channel and are answered over a `tokio::sync::oneshot`, so the store works on any
//! executor (tokio multi-thread or current-thread, or none) and never blocks an async worker
//! on the disk or on a lock. Appends that queue up while it is busy are committed together
//! (*group commit*): one `BEGIN IMMEDIATE` transaction, one savepoint per command, so a
//! conflicting or failing command is undone alone, and nobody hears "committed" before the
//! `COMMIT` has returned. Reads go to a few *reader threads* (default 2), each owning a
//! read-only connection; in WAL mode readers and the writer never wait for each other, and a
//! query sees the database as of its start, never half a command. A read goes to the reader
//! with the fewest jobs in hand, so one caller reading at a time keeps to one warm
//! connection. Dropping the last clone of a [`SqliteStore`] finishes every write already
//! asked for, then stops the threads. (Dropping an append's future does not cancel the
//! write.)
//!
//! **Why threads, by measurement.** The thread hop was measured against the same SQL run on
//! the caller's thread, in the same run (figures below): about 12 µs per round trip, which
//! leaves the adapter at 0.8–1.0× of the inline SQL. A per-statement hop like sqlx's
//! (70–110 µs each on this machine kind, several statements per command) would cost far
//! more; a lock around one connection on the caller's thread would block the async runtime
//! during every commit and busy wait, and would give up group commit and parallel readers.
//!
//! **PRAGMAs.** `journal_mode = WAL` (readers beside one writer; commits append to the log);
//! `synchronous = NORMAL` by default: in WAL mode a commit is written to the log before it
//! returns and the log is flushed at checkpoints, so a commit survives the application
//! crashing or being killed (the crash test kills a writer with SIGKILL two dozen times and
//! finds every acknowledged commit), while a power cut or operating-system crash may lose the
//! last commits before it — never half a command, never a corrupt file. `FULL`
//! ([`Durability::Full`]) flushes at every commit, for deployments that must survive power
//! loss too. `busy_timeout` (default 5 s, [`SqliteConfig::busy_timeout`]) for another
//! process holding the lock; `foreign_keys = ON`; `temp_store = MEMORY` (statement journals
//! of upserts stay off the disk); a 16 MiB page cache for the writer and 8 MiB per reader.
//! Writes run in `BEGIN IMMEDIATE` transactions, so a writer takes the lock before it reads
//! the version it checks.
//!
//! **Schema and migrations.** Numbered SQL files in the crate's `migrations/`, embedded with
//! `include_str!`, are applied by an explicit [`SqliteStore::migrate`] in one transaction,
//! each recorded in `casework_migrations`; the file's `application_id` marks it as Casework's.
//! Tables: `events` (one row per event: stream kind and id, version, global `position` (the
//! rowid, so positions increase in commit order, R-28), type, schema version, JSON payload,
//! event id, recorded-at, actor id/name/role, reason; `UNIQUE (stream_kind, stream_id,
//! version)`), `snapshots` (one per stream, replaced), `case_summaries` (the queried columns
//! plus the whole [`CaseSummary`] as JSON), `owed_actions`, `young_people`, `listings` (since
//! schema 2: stream kind and id, listing kind, key, optional instant, JSON detail kept as
//! text), with an index for every query; a listing query reads its index in `listing_order`
//! (`at NULLS LAST`), sorting only exact ties. Ids are hyphenated lowercase text, so text
//! order is uuid order; instants are integer microseconds since the epoch plus the
//! nanoseconds beyond them, so every value round-trips exactly and sorts in time order. The orderings are exactly those of
//! `casework_core::read::rows`, checked against the memory store. All values are bound
//! parameters.
//!
//! **Appends.** Under the write transaction the store reads the stream's current version and
//! refuses a stale one with [`casework_core::store::Conflict`] naming the actual version; the
//! unique key backs that up (a unique violation maps to the same conflict). The events, the
//! read-model rows and the snapshot are written in the same transaction. A case's row is
//! written setting only the indexed columns that changed, since SQLite rewrites an index
//! entry whenever its columns are assigned; unchanged owed-action rows are not rewritten.
//! Listings are written only when the append carries them (most carry `None`, which costs
//! no statement), replacing the stream's as a whole, again writing only the rows that
//! differ; a stream with [`ReadModelUpdate::None`](casework_core::read::rows::ReadModelUpdate)
//! writes no row. All of it happens inside the command's savepoint, so a command undone in a
//! group commit takes its listings with it. The version check reads the stream's head (its
//! last version and hash) off the unique key, and each event is stored with its link in the
//! stream's hash chain (R-18, `prev_hash` and `hash`, schema 5): the content digests are
//! computed on the caller's thread, the writer thread only chains them to the stored head.
//!
//! **Rewrites** (anonymisation, R-23) run on the writer thread in their own `BEGIN IMMEDIATE`
//! transaction: the named events' payloads and reasons, the stream's links from the first
//! rewritten version on, the stream's row and listings, and the deletion of its snapshot; a
//! version the stream lacks rolls all of it back.
//!
//! **Errors.** Refused before anything is written to the file: not an SQLite file, a damaged
//! file, or another program's database → [`StoreError::Corrupt`] with the reason; a schema
//! newer than this library's → [`StoreError::SchemaTooNew`]. Locked beyond the busy timeout
//! → [`StoreError::Busy`]; disk full, or past [`SqliteConfig::max_size_bytes`] →
//! [`StoreError::Full`]; a path that cannot be opened → [`StoreError::Unavailable`], as is
//! an unmigrated file (the message says to call `migrate`). Every error leaves what was
//! committed intact (the fault tests check each one).
//!
//! ## Figures
//!
//! Run with `cargo bench --bench sqlite -- --summary` (about two minutes; without
//! `--summary` the criterion groups run first, a few minutes more; `CASEWORK_BENCH_CASES`
//! sets the number of cases behind the query figures, default 100,000). WAL,
//! `synchronous = NORMAL`, 360-byte payloads. Each ratio compares two sides timed in
//! interleaved blocks in the same run. The machine is a 2-vCPU VM that was shared with other
//! builds while these ran (load average 2–5), so absolute rates move by 2× between runs;
//! the ratios move less, and a burst of load during one side of a pair still skews it (a
//! later run at load average 8 measured 0.24× and 0.44× for the first two rows). Run 2 is
//! the final code; run 1 lacks only the skipping of unchanged owed-action rows; the quiet
//! run is one step earlier still (before the least-busy reader dispatch too).
//!
//! | measure | run 1 | run 2 | quiet run |
//! |---|---|---|---|
//! | raw rusqlite single-row commits (own transaction each) | 15,300/s | 16,300/s | 36,700/s |
//! | `store.append` of one event + its case row, current-thread runtime | 7,900/s (**0.51×** raw) | 8,000/s (**0.49×**) | 15,600/s (0.42×) |
//! | the same, multi-thread runtime | 6,600/s (0.42×) | 5,200/s (0.48×) | 9,400/s (0.28×) |
//! | the store's append SQL run inline on the caller's thread | 8,500/s (0.55× raw) | 6,900/s (0.42×) | 17,900/s (0.49×) |
//! | writer thread against that inline SQL | **0.92×** (10 µs a hop) | 0.86× (24 µs) | 0.83× (12 µs) |
//! | 16 writers in flight (group commit) | 15,600/s (1.02× raw) | 18,800/s (1.15×) | 18,800/s (0.51×) |
//! | `Casework::execute`, one-event command (load, decide, append) | 2,000/s (0.10×) | 1,700/s (0.12×) | 2,300/s (0.09×) |
//! | `Casework::case`, 20-event case | 145 µs | 618 µs | 96 µs |
//! | `Casework::case`, 2,000-event case / 20-event case | **0.93×** | 0.87× | 1.07× |
//! | waiting list, 1,000 of 100,000 cases, p50 / p95 | 6.8 / 13.4 ms (1.21× raw SQL + same decoding) | 13.0 / 26.3 ms (1.51×) | 6.2 / 8.8 ms (1.05×) |
//! | overdue reviews, 1,005 of 100,000 cases, p50 / p95 | 9.0 / 23.3 ms (1.11×) | 14.3 / 26.1 ms (1.33×) | 6.3 / 7.8 ms (1.03×) |
//!
//! What the figures say:
//! - **The writer thread costs 8–17%** against the very same SQL on the caller's thread, about
//!   10–25 µs a round trip, more when the CPUs are contended. That is the price of never
//!   blocking the async runtime and of group commit, which lifts throughput with many writers
//!   to 1.0–1.15× a raw single-row commit. This is the measurement behind the threading model.
//! - **One-event appends run at 0.4–0.5× raw single-row inserts, short of the 0.8× target.**
//!   The gap is the work, not the driver: the same SQL inline is 0.42–0.55× raw. A command's
//!   transaction checks the stream's version, writes the event row and its unique-key entry,
//!   the case's row (and any index entry whose column changed), and compares the owed
//!   actions: three to five log pages against the raw insert's two, each a write system call
//!   pair on this VM. Writing the read model in the command's transaction is a requirement,
//!   so this is the floor; it is still 8,000–16,000 commands a second, far beyond a charity's
//!   rate.
//! - **`Casework::execute` is dominated by the domain**: loading a case decodes and folds up
//!   to 63 events after its snapshot (JSON with dates, a few µs each), then appends.
//! - **Snapshots make load time flat**: a 2,000-event case loads in 0.87–1.07× the time of a
//!   20-event case, against ~10× for raw selects of all its rows.
//! - **Queries cost what SQLite and JSON decoding cost**: the waiting list and overdue reviews
//!   over 100,000 cases come within 1.05–1.5× of the same SQL and decoding run directly.
//! - **The hash chain costs an append nothing measurable** (`benches/chain.rs`): a one-event
//!   append with its row took 0.95× the time of the same append on a file before the chain.
//!   `Casework::verify_store` over 100,000 events took 3.2× the time of a raw read of the
//!   same rows (7.6 µs an event: the store's typed read is 2.5×, the hashing the rest).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chain;
mod codec;
mod error;
mod keys;
mod reader;
mod schema;
mod writer;

/// Not part of the API: the store's append transaction run on a connection the caller owns,
/// so the benchmark can time the same SQL without the writer thread; the listing statements,
/// for the plan checks.
#[doc(hidden)]
pub mod bench_support {
    use casework_core::store::{AppendError, AppendRequest};

    /// Creates (or brings up to) the schema just before the hash chain (version 4) at
    /// `path`, so the benchmark can time appends without the chain in the same run: the
    /// store writes such a file as it wrote before the chain.
    pub fn create_before_chain(
        path: &std::path::Path,
    ) -> Result<(), casework_core::store::StoreError> {
        let config = crate::SqliteConfig::default();
        let conn = crate::schema::connect(path, &config, crate::schema::Role::Writer)?;
        crate::schema::migrate_to(&conn, crate::schema::CHAIN_VERSION - 1).map(drop)
    }

    /// Runs one append in its own `BEGIN IMMEDIATE` transaction on `conn`.
    pub fn append_inline(
        conn: &rusqlite::Connection,
        request: AppendRequest,
    ) -> Result<u64, AppendError> {
        crate::writer::append_inline(conn, request)
    }

    /// The statement the store runs for `query` (values bound as named parameters), for
    /// `EXPLAIN QUERY PLAN` checks.
    pub fn listings_sql(query: &casework_core::read::rows::ListingQuery) -> String {
        crate::reader::listings_sql(query)
    }
}

/// The rusqlite this store is built on (SQLite bundled), for raw access to a Casework file:
/// backups, ad-hoc reports, the benchmarks. Writes made this way bypass the store's checks.
pub use rusqlite;

use async_trait::async_trait;
use casework_core::kernel::chain::{Linked, StreamHead};
use casework_core::kernel::event::RecordedEvent;
use casework_core::kernel::idempotency::IdempotentAppend;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, Listed, ListingQuery, OwedActionSummary};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
    StoreError,
};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// How hard a commit works to survive a power cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// `PRAGMA synchronous = NORMAL` (the default). In WAL mode a commit is written to the
    /// log before it returns, and the log is flushed to the disk at checkpoints. A commit
    /// survives the application crashing or being killed (the crash test proves it); a power
    /// cut or operating-system crash may lose the last commits before it, but never corrupts
    /// the database and never keeps half a command.
    #[default]
    Normal,
    /// `PRAGMA synchronous = FULL`: the log is flushed to the disk at every commit, so a
    /// commit also survives a power cut, at the price of one flush per transaction.
    Full,
}

/// How a [`SqliteStore`] is opened.
#[derive(Clone, Debug)]
pub struct SqliteConfig {
    /// Commit durability (default [`Durability::Normal`]).
    pub durability: Durability,
    /// How long a write waits for a lock held by another process before it gives up with
    /// [`StoreError::Busy`] (default 5 s).
    pub busy_timeout: Duration,
    /// Reader connections, each on its own thread (default 2; at least 1).
    pub readers: usize,
    /// A ceiling on the database file's size; a write that would pass it fails with
    /// [`StoreError::Full`] and writes nothing (default: none, the disk is the limit).
    pub max_size_bytes: Option<u64>,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            durability: Durability::Normal,
            busy_timeout: Duration::from_secs(5),
            readers: 2,
            max_size_bytes: None,
        }
    }
}

/// A Casework store in one SQLite file. Cheap to clone: clones share the writer thread and
/// the readers, which stop when the last clone is dropped (after finishing every write
/// already asked for).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Option<mpsc::Sender<writer::Msg>>,
    readers: Option<reader::Pool>,
    threads: Vec<JoinHandle<()>>,
    temporary_dir: Option<PathBuf>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queues lets each thread finish what it was asked and stop.
        self.writer.take();
        self.readers.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if let Some(dir) = &self.temporary_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with the default configuration.
    /// Call [`SqliteStore::migrate`] before the first use of a new file.
    ///
    /// Refuses a file that is not a Casework database ([`StoreError::Corrupt`]) or that a
    /// newer version of the library wrote ([`StoreError::SchemaTooNew`]) before writing
    /// anything to it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteConfig::default())
    }

    /// Opens the database at `path` with `config`.
    pub fn open_with(path: impl AsRef<Path>, config: SqliteConfig) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = schema::connect(&path, &config, schema::Role::Writer)?;
        Self::start(path, &config, conn, None)
    }

    /// A migrated store in a new file in the system's temporary directory, removed when the
    /// store is dropped: for tests, examples and prototypes.
    pub fn temporary() -> Result<Self, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "casework-sqlite-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::Unavailable(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join("casework.db");
        let config = SqliteConfig::default();
        let started = schema::connect(&path, &config, schema::Role::Writer).and_then(|conn| {
            schema::migrate(&conn)?;
            Self::start(path, &config, conn, Some(dir.clone()))
        });
        if started.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        started
    }

    fn start(
        path: PathBuf,
        config: &SqliteConfig,
        conn: Connection,
        temporary_dir: Option<PathBuf>,
    ) -> Result<Self, StoreError> {
        let readers = (0..config.readers.max(1))
            .map(|_| schema::connect(&path, config, schema::Role::Reader))
            .collect::<Result<Vec<_>, _>>()?;
        let spawn_failed =
            |e: std::io::Error| StoreError::Unavailable(format!("starting a thread: {e}"));
        let mut inner = Inner {
            path,
            writer: None,
            readers: None,
            threads: Vec::new(),
            temporary_dir,
        };
        let (writer_tx, writer_rx) = mpsc::channel();
        inner.threads.push(
            std::thread::Builder::new()
                .name("casework-sqlite-writer".into())
                .spawn(move || writer::run(conn, writer_rx))
                .map_err(spawn_failed)?,
        );
        inner.writer = Some(writer_tx);
        inner.readers =
            Some(reader::Pool::start(readers, &mut inner.threads).map_err(spawn_failed)?);
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The newest schema version this library knows (the highest numbered file in the
    /// crate's `migrations/`).
    pub fn latest_schema_version() -> i64 {
        schema::latest()
    }

    /// Applies the migrations the database lacks, in one transaction: all of them or none.
    /// Returns the versions applied (empty when the schema was already current). Safe to
    /// call on every start.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        self.on_writer(|conn| schema::migrate(conn)).await
    }

    /// The schema version the database is at (0 for a new file).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.on_reader(schema::applied_version).await
    }

    /// Runs SQLite's `PRAGMA integrity_check`: `Ok` when the file is sound, otherwise
    /// [`StoreError::Corrupt`] with what SQLite found.
    pub async fn check_integrity(&self) -> Result<(), StoreError> {
        self.on_reader(|conn| {
            let mut statement = conn
                .prepare("PRAGMA integrity_check")
                .map_err(|e| error::map("checking integrity", e))?;
            let problems: Vec<String> = statement
                .query_map([], |row| row.get(0))
                .and_then(|rows| rows.collect())
                .map_err(|e| error::map("checking integrity", e))?;
            if problems.len() == 1 && problems[0] == "ok" {
                Ok(())
            } else {
                Err(StoreError::Corrupt(format!(
                    "integrity check failed: {}",
                    problems.join("; ")
                )))
            }
        })
        .await
    }

    async fn on_writer<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: writer::Job = Box::new(move |conn| {
            let _ = tx.send(f(conn));
        });
        self.writer()?
            .send(writer::Msg::Run(job))
            .map_err(|_| error::stopped("writer"))?;
        rx.await.map_err(|_| error::stopped("writer"))?
    }

    async fn on_reader<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: reader::Job = Box::new(move |conn| {
            let _ = tx.send(f(conn));
        });
        let sent = self.inner.readers.as_ref().is_some_and(|r| r.send(job));
        if !sent {
            return Err(error::stopped("reader"));
        }
        rx.await.map_err(|_| error::stopped("reader"))?
    }

    fn writer(&self) -> Result<&mpsc::Sender<writer::Msg>, StoreError> {
        self.inner
            .writer
            .as_ref()
            .ok_or_else(|| error::stopped("writer"))
    }
}

#[async_trait]
impl EventLoad for SqliteStore {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.on_reader(move |conn| reader::load(conn, stream, 0))
            .await
    }

    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.on_reader(move |conn| reader::load(conn, stream, version))
            .await
    }

    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.on_reader(move |conn| reader::snapshot(conn, stream))
            .await
    }

    async fn idempotent_append(&self, key: &str) -> Result<Option<IdempotentAppend>, StoreError> {
        let key = key.to_owned();
        self.on_reader(move |conn| reader::idempotent_append(conn, &key))
            .await
    }

    async fn load_linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<Linked>, StoreError> {
        self.on_reader(move |conn| chain::load_linked(conn, stream, version))
            .await
    }

    async fn linked_page(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<Linked>, StoreError> {
        self.on_reader(move |conn| chain::page(conn, after, limit))
            .await
    }

    async fn chain_head(&self, stream: StreamId) -> Result<Option<StreamHead>, StoreError> {
        self.on_reader(move |conn| chain::stream_head(conn, stream))
            .await
    }

    /// Both reads on one reader connection: one thread hop per command instead of two.
    async fn load_latest(
        &self,
        stream: StreamId,
    ) -> Result<(Option<Snapshot>, Vec<RecordedEvent>), StoreError> {
        self.on_reader(move |conn| {
            let snapshot = reader::snapshot(conn, stream)?;
            let from = snapshot.as_ref().map_or(0, |s| s.version.saturating_sub(1));
            Ok((snapshot, reader::load(conn, stream, from)?))
        })
        .await
    }
}

#[async_trait]
impl EventAppend for SqliteStore {
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        let encoded = writer::EncodedRewrite::new(request)?;
        self.on_writer(move |conn| writer::rewrite(conn, &encoded))
            .await
    }

    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        if request.events.is_empty() {
            return Ok(request.expected_version);
        }
        let encoded = writer::Encoded::new(request)?;
        let (tx, rx) = oneshot::channel();
        self.writer()?
            .send(writer::Msg::Append(Box::new(encoded), tx))
            .map_err(|_| error::stopped("writer"))?;
        rx.await.map_err(|_| error::stopped("writer"))?
    }
}

#[async_trait]
impl CaseQueries for SqliteStore {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.on_reader(|conn| {
            reader::bodies::<CaseSummary>(
                conn,
                "the waiting list",
                reader::WAITING_LIST,
                ["waiting_list"],
            )
        })
        .await
    }

    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.on_reader(|conn| {
            reader::bodies::<OwedActionSummary>(
                conn,
                "outstanding actions",
                reader::OUTSTANDING,
                ["owed"],
            )
        })
        .await
    }

    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        let id = codec::id(young_person.as_uuid());
        self.on_reader(move |conn| {
            reader::bodies::<CaseSummary>(conn, "a young person's cases", reader::CASES_OF, [id])
        })
        .await
    }

    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        let (micros, nanos) = codec::instant(as_of);
        self.on_reader(move |conn| {
            reader::bodies::<CaseSummary>(conn, "overdue reviews", reader::OVERDUE, [micros, nanos])
        })
        .await
    }

    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        self.on_reader(move |conn| reader::listings(conn, &query))
            .await
    }

    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        let id = codec::id(case.as_uuid());
        self.on_reader(move |conn| {
            Ok(
                reader::bodies::<CaseSummary>(conn, "a case", reader::CASE, [id])?
                    .into_iter()
                    .next(),
            )
        })
        .await
    }
}
