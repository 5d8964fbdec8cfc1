//! A fresh Postgres database per test ([`TestDatabase`], from the testkit: on the server
//! `DATABASE_URL` names, dropped by force when the test ends; without `DATABASE_URL` a test
//! says it skipped, and with `CASEWORK_REQUIRE_POSTGRES=1` that is a failure), and a migrated
//! store on it.

use casework::postgres::PostgresStore;
pub use casework_testkit::postgres_db::TestDatabase;

/// A migrated store on `database`.
pub async fn store(database: &TestDatabase) -> PostgresStore {
    let store = PostgresStore::connect(database.url())
        .await
        .unwrap_or_else(|e| panic!("connect to {}: {e}", database.name()));
    store.migrate().await.expect("migrates a fresh database");
    store
}
