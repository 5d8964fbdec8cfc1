//! Shared by the Postgres test files: the skip rule, and a fresh database per test (the
//! testkit's [`TestDatabase`], feature `testing`), with a migrated store on it.
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
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::WrappedKey;
use casework_core::read::rows::{CaseSummary, Listed, ListingQuery, OwedActionSummary};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
    StoreError,
};
use casework_postgres::PostgresStore;
use casework_testkit::postgres_db;
pub use casework_testkit::postgres_db::{server_url, TestDatabase};
use chrono::{DateTime, Utc};
use std::ops::Deref;

/// True when the tests cannot run: no `DATABASE_URL`. Panics instead when
/// `CASEWORK_REQUIRE_POSTGRES=1` (CI), so a missing server is never a silent pass.
pub fn no_database() -> bool {
    postgres_db::no_server()
}

/// True (after saying so) when a test must skip: call as `if common::skip() { return; }`.
pub fn skip() -> bool {
    postgres_db::server_or_skip("Postgres test").is_none()
}

/// A fresh, empty database on the test server (after [`skip`]: `DATABASE_URL` is set).
pub async fn database() -> TestDatabase {
    let server = server_url().expect("DATABASE_URL is set");
    TestDatabase::create_on(&server, postgres_db::TEST_PREFIX).await
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
        let db = database().await;
        let store = PostgresStore::connect(db.url())
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", db.name()));
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
    async fn idempotent_append(
        &self,
        key: &str,
    ) -> Result<Option<casework_core::kernel::idempotency::IdempotentAppend>, StoreError> {
        self.store.idempotent_append(key).await
    }
    async fn load_linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<casework_core::kernel::chain::Linked>, StoreError> {
        self.store.load_linked_after(stream, version).await
    }
    async fn linked_page(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<casework_core::kernel::chain::Linked>, StoreError> {
        self.store.linked_page(after, limit).await
    }
    async fn chain_head(
        &self,
        stream: StreamId,
    ) -> Result<Option<casework_core::kernel::chain::StreamHead>, StoreError> {
        self.store.chain_head(stream).await
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

#[async_trait]
impl KeyStore for TestStore {
    async fn data_key(&self, owner: KeyOwner) -> Result<KeyState, StoreError> {
        self.store.data_key(owner).await
    }
    async fn create_data_key(&self, key: StoredKey) -> Result<KeyState, StoreError> {
        self.store.create_data_key(key).await
    }
    async fn destroy_data_key(
        &self,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.store.destroy_data_key(owner, at).await
    }
    async fn keys_to_rewrap(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        self.store.keys_to_rewrap(kek_id, limit).await
    }
    async fn rewrap_data_key(
        &self,
        owner: KeyOwner,
        expected: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        self.store.rewrap_data_key(owner, expected, new).await
    }
}
