//! Bad input and faults: each gives its typed error and loses nothing already committed.

mod common;

use casework_core::kernel::ids::{CaseId, StreamId};
use casework_core::store::{AppendError, CaseQueries, EventAppend, EventLoad, StoreError};
use casework_sqlite::{SqliteConfig, SqliteStore};
use common::*;
use std::time::{Duration, Instant};

/// A database with `n` committed one-event commands on one case; returns the case.
async fn committed(store: &SqliteStore, n: u64) -> CaseId {
    let case = CaseId::new();
    for v in 0..n {
        store.append(case_append(case, v, 1)).await.unwrap();
    }
    case
}

async fn assert_intact(store: &SqliteStore, case: CaseId, n: u64) {
    let events = store.load(StreamId::Case(case)).await.unwrap();
    assert_eq!(
        events.len() as u64,
        n,
        "every committed event is still there"
    );
    assert_eq!(store.case_summary(case).await.unwrap().unwrap().version, n);
    store.check_integrity().await.unwrap();
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let bytes = b"Minutes of the fictional trustees' meeting, not a database.\n".repeat(100);
    std::fs::write(&path, &bytes).unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("not an SQLite database"), "{why}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is not changed"
    );
}

#[tokio::test]
async fn another_programs_sqlite_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::Corrupt(why)) => {
            assert!(
                why.contains("not a Casework database") && why.contains("recipes"),
                "{why}"
            )
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is not changed"
    );

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", 0x1234).unwrap();
    conn.execute_batch("DROP TABLE recipes").unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("application id"), "{why}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_damaged_database_is_reported_as_corrupt() {
    let (store, dir) = store_in_tempdir().await;
    committed(&store, 200).await;
    drop(store);
    let path = db_path(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096);
    // Scribble over every page after the first: the header still says SQLite, the b-trees
    // are garbage.
    for b in bytes[4096..].iter_mut() {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let outcome = match SqliteStore::open(&path) {
        Err(e) => Err(e),
        Ok(store) => store.check_integrity().await,
    };
    match outcome {
        Err(StoreError::Corrupt(why)) => assert!(!why.is_empty()),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_its_data_kept() {
    let (store, dir) = store_in_tempdir().await;
    let case = committed(&store, 3).await;
    drop(store);
    let path = db_path(&dir);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO casework_migrations (version, name) VALUES (?1, ?2)",
        rusqlite::params![99, "0099_from_the_future"],
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(
                (found, supported),
                (99, SqliteStore::latest_schema_version())
            )
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is not changed"
    );

    // The newer library's data is all there for it.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM casework_migrations WHERE version = 99", [])
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert_intact(&store, case, 3).await;
}

#[tokio::test]
async fn a_database_locked_beyond_the_busy_timeout_is_busy_and_recovers() {
    let config = SqliteConfig {
        busy_timeout: Duration::from_millis(200),
        ..SqliteConfig::default()
    };
    let (store, dir) = store_with(config).await;
    let case = committed(&store, 2).await;

    let other = rusqlite::Connection::open(db_path(&dir)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    match store.append(case_append(case, 2, 1)).await {
        Err(AppendError::Store(StoreError::Busy(why))) => assert!(why.contains("busy"), "{why}"),
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "it waited first"
    );
    // Readers are not blocked by a writer in WAL mode.
    assert_intact(&store, case, 2).await;
    other.execute_batch("ROLLBACK").unwrap();

    assert_eq!(store.append(case_append(case, 2, 1)).await, Ok(3));
    assert_intact(&store, case, 3).await;
}

#[tokio::test]
async fn a_full_disk_is_full_and_loses_nothing_committed() {
    let (store, dir) = store_in_tempdir().await;
    let case = committed(&store, 5).await;
    drop(store);
    let path = db_path(&dir);
    let size = std::fs::metadata(&path).unwrap().len();
    let config = SqliteConfig {
        max_size_bytes: Some(size + 64 * 1024),
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open_with(&path, config).unwrap();
    let mut version = 5;
    let full = loop {
        match store.append(case_append(case, version, 4)).await {
            Ok(v) => version = v,
            Err(AppendError::Store(StoreError::Full(why))) => break why,
            Err(e) => panic!("expected Full, got {e}"),
        }
        assert!(version < 10_000, "the limit was never reached");
    };
    assert!(full.contains("full"), "{full}");
    assert_intact(&store, case, version).await;

    // Several commands in one transaction: each fails alone or all do, none half-written.
    let others: Vec<CaseId> = (0..8).map(|_| CaseId::new()).collect();
    let results = futures_join(&store, &others).await;
    for (other, result) in others.iter().zip(results) {
        let events = store.load(StreamId::Case(*other)).await.unwrap().len() as u64;
        match result {
            Ok(v) => assert_eq!(events, v),
            Err(AppendError::Store(StoreError::Full(_))) => assert_eq!(events, 0),
            Err(e) => panic!("{e}"),
        }
    }
    drop(store);

    // With room again, writing carries on from where it stopped.
    let store = SqliteStore::open(&path).unwrap();
    assert_intact(&store, case, version).await;
    assert_eq!(
        store.append(case_append(case, version, 1)).await,
        Ok(version + 1)
    );
}

async fn futures_join(store: &SqliteStore, cases: &[CaseId]) -> Vec<Result<u64, AppendError>> {
    let mut handles = Vec::new();
    for case in cases {
        let store = store.clone();
        let case = *case;
        handles.push(tokio::spawn(async move {
            store.append(case_append(case, 0, 4)).await
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn an_unreachable_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-directory").join("casework.db");
    match SqliteStore::open(&path) {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("no-such-directory"), "{why}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn queries_still_answer_while_another_process_holds_the_write_lock() {
    let (store, dir) = store_in_tempdir().await;
    let case = committed(&store, 1).await;
    let other = rusqlite::Connection::open(db_path(&dir)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert_eq!(store.waiting_list().await.unwrap().len(), 1);
    assert_eq!(store.load(StreamId::Case(case)).await.unwrap().len(), 1);
    other.execute_batch("COMMIT").unwrap();
}
