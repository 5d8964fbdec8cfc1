//! The shared conformance suite (casework-testkit) on SQLite: each check on a fresh, migrated
//! database in its own temporary directory, removed when the check's store is dropped.

use casework_sqlite::SqliteStore;

async fn fresh_store() -> SqliteStore {
    SqliteStore::temporary().expect("a fresh SQLite database in a temporary directory")
}

casework_testkit::conformance_tests!(fresh_store());
