//! # casework-sqlite
//!
//! The embedded default store: Casework's events, snapshots and read models in one SQLite
//! file, for a charity that runs without a database server.
//!
//! FIGURES_PLACEHOLDER
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod error;
mod reader;
mod schema;
mod writer;

/// Not part of the API: the store's append transaction run on a connection the caller owns,
/// so the benchmark can time the same SQL without the writer thread.
#[doc(hidden)]
pub mod bench_support {
    use casework_core::store::{AppendError, AppendRequest};

    /// Runs one append in its own `BEGIN IMMEDIATE` transaction on `conn`.
    pub fn append_inline(
        conn: &rusqlite::Connection,
        request: AppendRequest,
    ) -> Result<u64, AppendError> {
        crate::writer::append_inline(conn, request)
    }
}

/// The rusqlite this store is built on (SQLite bundled), for raw access to a Casework file:
/// backups, ad-hoc reports, the benchmarks. Writes made this way bypass the store's checks.
pub use rusqlite;

use async_trait::async_trait;
use casework_core::event::RecordedEvent;
use casework_core::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read_model::{CaseSummary, OwedActionSummary};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, Snapshot, StoreError,
};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
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
    readers: Option<mpsc::Sender<reader::Job>>,
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
        let (reader_tx, reader_rx) = mpsc::channel();
        let reader_rx = Arc::new(Mutex::new(reader_rx));
        for (n, conn) in readers.into_iter().enumerate() {
            let jobs = reader_rx.clone();
            inner.threads.push(
                std::thread::Builder::new()
                    .name(format!("casework-sqlite-reader-{n}"))
                    .spawn(move || reader::run(conn, jobs))
                    .map_err(spawn_failed)?,
            );
        }
        inner.readers = Some(reader_tx);
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
        self.inner
            .readers
            .as_ref()
            .ok_or_else(|| error::stopped("reader"))?
            .send(job)
            .map_err(|_| error::stopped("reader"))?;
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
}

#[async_trait]
impl EventAppend for SqliteStore {
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
