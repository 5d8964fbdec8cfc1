//! Shared by the Postgres test files: the skip rule, and a fresh database per test.
//!
//! Each test gets its own database, `casework_test_<pid>_<random>`, created on the server that
//! `DATABASE_URL` points at and dropped (`WITH (FORCE)`) when the test's store is dropped.
//! A database rather than a schema: a test sees exactly what a deployment sees (the tables in
//! `public`, its own statistics for the `EXPLAIN` checks, its own backends for the fault
//! tests to terminate by `datname`), and creating one takes ~0.1 s on this server. Databases
//! left behind by a test process that died are dropped by the next run.
#![allow(dead_code)]

use async_trait::async_trait;
use casework_core::kernel::event::RecordedEvent;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, Listed, ListingQuery, OwedActionSummary};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
    StoreError,
};
use casework_postgres::PostgresStore;
use chrono::{DateTime, Utc};
use std::ops::Deref;
use tokio_postgres::NoTls;

/// Why the Postgres tests skip.
pub const SKIP_REASON: &str = "DATABASE_URL not set (set it to e.g. \
     postgres://postgres@127.0.0.1:5432/postgres to run the Postgres tests)";

/// The server URL from `DATABASE_URL`, if set.
pub fn server_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// True when the tests cannot run: no `DATABASE_URL`. Panics instead when
/// `CASEWORK_REQUIRE_POSTGRES=1` (CI), so a missing server is never a silent pass.
pub fn no_database() -> bool {
    if server_url().is_some() {
        return false;
    }
    if std::env::var("CASEWORK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("CASEWORK_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: point it at a server");
    }
    true
}

/// True (after saying so) when a test must skip: call as `if common::skip() { return; }`.
pub fn skip() -> bool {
    if no_database() {
        casework_testkit::say_skipped(SKIP_REASON);
        true
    } else {
        false
    }
}

/// `url` with its database name replaced by `database` (URL or `key=value` form).
pub fn with_database(url: &str, database: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (base, query) = match url.find('?') {
            Some(q) => (&url[..q], &url[q..]),
            None => (url, ""),
        };
        let authority_start = scheme_end + 3;
        let base = match base[authority_start..].find('/') {
            Some(slash) => &base[..authority_start + slash],
            None => base,
        };
        format!("{base}/{database}{query}")
    } else {
        format!("{url} dbname={database}")
    }
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// Drops test databases whose creating process is gone (Linux: no `/proc/<pid>`).
async fn sweep_abandoned(admin: &tokio_postgres::Client) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'casework\\_test\\_%'",
            &[],
        )
        .await
        .unwrap_or_default();
    for row in rows {
        let name: String = row.get(0);
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        }
    }
}

/// A fresh, empty database on the test server; dropped when this is dropped.
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// A URL for it.
    pub url: String,
    server: String,
}

impl TestDatabase {
    /// Creates one.
    pub async fn create() -> TestDatabase {
        let server = server_url().expect("DATABASE_URL is set");
        let admin = admin_client(&server).await;
        SWEPT.get_or_init(|| sweep_abandoned(&admin)).await;
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("casework_test_{}_{}", std::process::id(), &random[..12]);
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        TestDatabase {
            url: with_database(&server, &name),
            name,
            server,
        }
    }

    /// An admin connection to this database (raw SQL in tests).
    pub async fn client(&self) -> tokio_postgres::Client {
        admin_client(&self.url).await
    }

    /// An admin connection to the server's own database (to terminate backends).
    pub async fn server_client(&self) -> tokio_postgres::Client {
        admin_client(&self.server).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort, on a thread of its own: Drop may run inside a runtime.
        let server = self.server.clone();
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok((client, connection)) = tokio_postgres::connect(&server, NoTls).await {
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A migrated store on its own fresh database; the database goes when this does.
pub struct TestStore {
    store: PostgresStore,
    // Dropped after `store` (fields drop in declaration order), so the pool closes first.
    pub db: TestDatabase,
}

impl Deref for TestStore {
    type Target = PostgresStore;
    fn deref(&self) -> &PostgresStore {
        &self.store
    }
}

impl TestStore {
    /// A fresh, migrated store.
    pub async fn new() -> TestStore {
        let db = TestDatabase::create().await;
        let store = PostgresStore::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", db.name));
        store.migrate().await.expect("migrate a fresh database");
        TestStore { store, db }
    }

    /// The store itself (a clone shares the pool).
    pub fn store(&self) -> PostgresStore {
        self.store.clone()
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        self.store.pool().close();
    }
}

/// What the conformance macro calls.
pub async fn fresh_store() -> TestStore {
    TestStore::new().await
}

#[async_trait]
impl EventLoad for TestStore {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.load(stream).await
    }
    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.load_after(stream, version).await
    }
    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.store.load_snapshot(stream).await
    }
    async fn load_latest(
        &self,
        stream: StreamId,
    ) -> Result<(Option<Snapshot>, Vec<RecordedEvent>), StoreError> {
        self.store.load_latest(stream).await
    }
}

#[async_trait]
impl EventAppend for TestStore {
    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        self.store.append(request).await
    }
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        self.store.rewrite(request).await
    }
}

#[async_trait]
impl CaseQueries for TestStore {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.waiting_list().await
    }
    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.store.outstanding_actions().await
    }
    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.cases_of(young_person).await
    }
    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        self.store.overdue_reviews(as_of).await
    }
    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        self.store.case_summary(case).await
    }
    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        self.store.listings(query).await
    }
}
