//! Connections, PRAGMAs and migrations.

use crate::error::map;
use crate::{Durability, SqliteConfig};
use casework_core::store::StoreError;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// `PRAGMA application_id` of a Casework database: "Case" in ASCII.
pub(crate) const APPLICATION_ID: i32 = 0x4361_7365;

/// A migration embedded in the library.
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

/// Every migration, oldest first. Append only: an applied migration is never edited.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_listings",
        sql: include_str!("../migrations/0002_listings.sql"),
    },
    Migration {
        version: 3,
        name: "0003_idempotency_keys",
        sql: include_str!("../migrations/0003_idempotency_keys.sql"),
    },
    Migration {
        version: 4,
        name: "0004_one_open_case",
        sql: include_str!("../migrations/0004_one_open_case.sql"),
    },
    Migration {
        version: CHAIN_VERSION,
        name: "0005_event_chain",
        sql: include_str!("../migrations/0005_event_chain.sql"),
    },
    Migration {
        version: 6,
        name: "0006_data_keys",
        sql: include_str!("../migrations/0006_data_keys.sql"),
    },
    Migration {
        version: 7,
        name: "0007_birth_year",
        sql: include_str!("../migrations/0007_birth_year.sql"),
    },
];

/// The version that adds the hash chain: right after its SQL, the events already in the file
/// are hashed in Rust, in the same transaction (SQLite has no SHA-256).
pub(crate) const CHAIN_VERSION: i64 = 5;

/// The newest schema version this library knows.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Which connection is being opened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Writer,
    Reader,
}

/// Opens and configures one connection. The writer's is checked first: a foreign, damaged or
/// newer file is refused before anything (even the journal mode) is written to it.
pub(crate) fn connect(
    path: &Path,
    config: &SqliteConfig,
    role: Role,
) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| map(&format!("opening {}", path.display()), e))?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(|e| map("setting the busy timeout", e))?;
    conn.set_prepared_statement_cache_capacity(64);
    let configuring = |e| map(&format!("configuring {}", path.display()), e);
    // Statement journals and sorts in memory, not in temporary files: an upsert inside a
    // transaction otherwise writes a statement journal to disk.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(configuring)?;
    let cache_kib = if role == Role::Writer { 16_384 } else { 8_192 };
    conn.pragma_update(None, "cache_size", -cache_kib)
        .map_err(configuring)?;
    if role == Role::Writer {
        applied_version(&conn)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(configuring)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "{} cannot use write-ahead logging (journal mode is `{mode}`)",
                path.display()
            )));
        }
        let synchronous = match config.durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(configuring)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(configuring)?;
        if let Some(bytes) = config.max_size_bytes {
            let page_size: i64 = conn
                .pragma_query_value(None, "page_size", |row| row.get(0))
                .map_err(configuring)?;
            let pages = (bytes / page_size.max(512) as u64).max(1);
            conn.pragma_update(None, "max_page_count", pages as i64)
                .map_err(configuring)?;
        }
    } else {
        conn.pragma_update(None, "query_only", "ON")
            .map_err(configuring)?;
    }
    Ok(conn)
}

/// What an opened file holds.
pub(crate) fn applied_version(conn: &Connection) -> Result<i64, StoreError> {
    let reading = |e| map("reading the schema version", e);
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(reading)?;
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(StoreError::Corrupt(format!(
            "not a Casework database: its application id is {application_id:#x}, another program's (Casework's is {APPLICATION_ID:#x})"
        )));
    }
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            ["casework_migrations"],
            |row| row.get(0),
        )
        .map_err(reading)?;
    if !has_table {
        let other: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(reading)?;
        return match other {
            Some(table) => Err(StoreError::Corrupt(format!(
                "not a Casework database: it holds tables (such as `{table}`) but no casework_migrations table"
            ))),
            None => Ok(0),
        };
    }
    let version: Option<i64> = conn
        .query_row("SELECT max(version) FROM casework_migrations", [], |row| {
            row.get(0)
        })
        .map_err(reading)?;
    let version = version.unwrap_or(0);
    if version > latest() {
        return Err(StoreError::SchemaTooNew {
            found: version,
            supported: latest(),
        });
    }
    Ok(version)
}

/// Applies every pending migration in one `BEGIN IMMEDIATE` transaction; returns the versions
/// applied (empty when the schema was current).
pub(crate) fn migrate(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    migrate_to(conn, latest())
}

/// Applies the pending migrations up to `target` (the tests build older files with it).
pub(crate) fn migrate_to(conn: &Connection, target: i64) -> Result<Vec<i64>, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| map("starting the migration", e))?;
    match migrate_in_transaction(conn, target) {
        Ok(applied) => {
            conn.execute_batch("COMMIT")
                .map_err(|e| map("committing the migration", e))
                .inspect_err(|_| rollback(conn))?;
            Ok(applied)
        }
        Err(e) => {
            rollback(conn);
            Err(e)
        }
    }
}

fn migrate_in_transaction(conn: &Connection, target: i64) -> Result<Vec<i64>, StoreError> {
    let current = applied_version(conn)?;
    let migrating = |e| map("migrating", e);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS casework_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         )",
    )
    .map_err(migrating)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(migrating)?;
    let mut applied = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        conn.execute_batch(m.sql)
            .map_err(|e| map(&format!("applying migration {}", m.name), e))?;
        if m.version == CHAIN_VERSION {
            crate::chain::link_all(conn)?;
        }
        conn.execute(
            "INSERT INTO casework_migrations (version, name) VALUES (?1, ?2)",
            rusqlite::params![m.version, m.name],
        )
        .map_err(migrating)?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// Rolls back whatever transaction is open; a failure here leaves nothing to undo.
pub(crate) fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use casework_core::case::owed::OwedActionKind;
    use casework_core::kernel::event::{EventMeta, NewEvent};
    use casework_core::kernel::ids::{CaseId, EventId, OwedActionId, StreamId, YoungPersonId};
    use casework_core::read::rows::{
        CaseSummary, Listing, ListingKind, ListingQuery, OwedActionSummary, ReadModelUpdate,
    };
    use casework_core::store::{AppendRequest, CaseQueries, EventAppend, EventLoad, Snapshot};
    use casework_testkit::fixtures;
    use rusqlite::types::Value;

    fn event(n: u64) -> NewEvent {
        NewEvent {
            event_type: "test_event".into(),
            schema_version: 1,
            payload: format!(r#"{{"n":{n},"note":"Siân ✓"}}"#),
            meta: EventMeta {
                event_id: EventId::new(),
                recorded_at: fixtures::start() + chrono::Duration::nanoseconds(n as i64 * 1_001),
                actor: fixtures::worker(),
                reason: (n % 2 == 0).then(|| "a stated reason".into()),
            },
        }
    }

    /// Every row of the version-1 tables, and the file's application id.
    fn dump(path: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
        let conn = Connection::open(path).unwrap();
        let tables = [
            "events",
            "snapshots",
            "case_summaries",
            "owed_actions",
            "young_people",
        ];
        let mut out: Vec<(String, Vec<Vec<Value>>)> = tables
            .iter()
            .map(|table| {
                // The version-1 columns: later versions add some (the chain's hashes).
                let columns = if *table == "events" {
                    "position, stream_kind, stream_id, version, event_type, schema_version, \
                     payload, event_id, recorded_at, recorded_at_ns, actor_id, actor_name, \
                     actor_role, reason"
                } else {
                    "*"
                };
                let mut statement = conn
                    .prepare(&format!("SELECT {columns} FROM {table} ORDER BY 1, 2"))
                    .unwrap();
                let columns = statement.column_count();
                let rows = statement
                    .query_map([], |row| {
                        (0..columns)
                            .map(|i| row.get::<_, Value>(i))
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .unwrap()
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .unwrap();
                (table.to_string(), rows)
            })
            .collect();
        let id: i64 = conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .unwrap();
        out.push(("application_id".into(), vec![vec![Value::Integer(id)]]));
        out
    }

    /// R-8 at rest (issue 17): migration 7 turns the young person's row's date of birth into
    /// the year alone, in the column and in the row's body, and drops the date's index.
    #[test]
    fn version_7_keeps_the_year_of_birth_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casework.db");
        let conn = connect(&path, &SqliteConfig::default(), Role::Writer).unwrap();
        assert_eq!(migrate_to(&conn, 6).unwrap(), (1..=6).collect::<Vec<_>>());
        conn.execute(
            "INSERT INTO young_people (young_person_id, date_of_birth, postcode_district,
                 registered_at, registered_at_ns, version, body)
             VALUES ('p1', '2011-05-14', 'LS6', 0, 0, 1,
                 '{\"young_person_id\":\"p1\",\"date_of_birth\":\"2011-05-14\",\"postcode_district\":\"LS6\"}')",
            [],
        )
        .unwrap();
        assert_eq!(migrate_to(&conn, 7).unwrap(), vec![7]);
        let (year, district, body): (i64, String, String) = conn
            .query_row(
                "SELECT birth_year, postcode_district, body FROM young_people",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!((year, district.as_str()), (2011, "LS6"));
        assert!(
            !body.contains("05-14") && !body.contains("date_of_birth"),
            "{body}"
        );
        assert!(body.contains(r#""birth_year":2011"#), "{body}");
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('young_people')")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(!columns.iter().any(|c| c == "date_of_birth"), "{columns:?}");
    }

    #[tokio::test]
    async fn a_version_1_file_with_data_migrates_to_version_2_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casework.db");
        let conn = connect(&path, &SqliteConfig::default(), Role::Writer).unwrap();
        assert_eq!(migrate_to(&conn, 1).unwrap(), vec![1]);
        drop(conn);

        // Written by this library on the version-1 schema: appends without listings touch no
        // listings table, so they work there (and cost no listings statement anywhere).
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 1);
        let case = CaseId::new();
        let person = YoungPersonId::new();
        let summary = CaseSummary {
            case_id: case,
            young_person_id: person,
            stage: casework_core::case::StageName::WaitingList,
            risk_level: Some(casework_core::policy::risk::RiskLevel::High),
            received_at: fixtures::start(),
            source: "self".into(),
            worker: None,
            previous_case: None,
            next_review_due: Some(fixtures::start() + chrono::Duration::days(7)),
            closure_reason: None,
            version: 3,
            owed: vec![OwedActionSummary {
                action_id: OwedActionId::new(),
                case_id: case,
                kind: OwedActionKind::NotifySafeguardingUnit,
                owed_to: "Fictional Safeguarding Unit".into(),
                due_at: fixtures::start() + chrono::Duration::days(1),
                status: "owed".into(),
            }],
        };
        let snapshot = Snapshot {
            stream: StreamId::Case(case),
            version: 3,
            schema_version: 1,
            state: r#"{"folded":3}"#.into(),
        };
        let appends = [
            AppendRequest {
                stream: StreamId::Case(case),
                expected_version: 0,
                events: (1..=3).map(event).collect(),
                read_model: ReadModelUpdate::Case(summary.clone()),
                snapshot: Some(snapshot.clone()),
                listings: None,
                idempotency: None,
            },
            AppendRequest {
                stream: StreamId::YoungPerson(person),
                expected_version: 0,
                events: vec![event(4)],
                // The young person's row is written by raw SQL on old files
                // (`version_7_keeps_the_year_of_birth_only`): this library writes the
                // latest row shape.
                read_model: ReadModelUpdate::None,
                snapshot: None,
                listings: None,
                idempotency: None,
            },
            AppendRequest {
                stream: StreamId::Disclosures(case),
                expected_version: 0,
                events: vec![event(5)],
                read_model: ReadModelUpdate::None,
                snapshot: None,
                listings: None,
                idempotency: None,
            },
        ];
        for request in appends {
            store.append(request).await.unwrap();
        }
        let events = store.load(StreamId::Case(case)).await.unwrap();
        let before = dump(&path);
        assert_eq!(before[0].1.len(), 5, "five events on the version-1 file");
        match store
            .listings(ListingQuery::all(ListingKind::Disclosure))
            .await
        {
            Err(StoreError::Unavailable(why)) => assert!(why.contains("migrate"), "{why}"),
            other => panic!("a version-1 file has no listings yet: {other:?}"),
        }

        assert_eq!(
            store.migrate().await.unwrap(),
            (2..=latest()).collect::<Vec<_>>()
        );
        assert_eq!(store.schema_version().await.unwrap(), latest());
        assert_eq!(dump(&path), before, "every version-1 row is as it was");
        assert_eq!(store.load(StreamId::Case(case)).await.unwrap(), events);
        assert_eq!(
            store.load_snapshot(StreamId::Case(case)).await.unwrap(),
            Some(snapshot)
        );
        assert_eq!(
            store.case_summary(case).await.unwrap(),
            Some(summary.clone())
        );
        assert_eq!(store.waiting_list().await.unwrap(), vec![summary]);
        assert_eq!(
            store
                .listings(ListingQuery::all(ListingKind::Disclosure))
                .await
                .unwrap(),
            vec![]
        );

        // The migrated file takes listings, on old streams and new.
        let shared = Listing {
            kind: ListingKind::Disclosure,
            key: case.as_uuid().to_string(),
            at: Some(fixtures::start()),
            detail: r#"{"to":"Fictional Constabulary"}"#.into(),
        };
        store
            .append(AppendRequest {
                stream: StreamId::Disclosures(case),
                expected_version: 1,
                events: vec![event(6)],
                read_model: ReadModelUpdate::None,
                snapshot: None,
                listings: Some(vec![shared.clone()]),
                idempotency: None,
            })
            .await
            .unwrap();
        let listed = store
            .listings(ListingQuery::all(ListingKind::Disclosure))
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].stream, StreamId::Disclosures(case));
        assert_eq!(listed[0].listing, shared);
        assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new());
        store.check_integrity().await.unwrap();
        let names: Vec<(i64, String)> = Connection::open(&path)
            .unwrap()
            .prepare("SELECT version, name FROM casework_migrations ORDER BY version")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            names,
            vec![
                (1, "0001_initial".into()),
                (2, "0002_listings".into()),
                (3, "0003_idempotency_keys".into())
            ]
            .into_iter()
            .chain(
                MIGRATIONS[3..]
                    .iter()
                    .map(|m| (m.version, m.name.to_owned()))
            )
            .collect::<Vec<_>>()
        );
    }

    /// R-18: the migration to the chain (schema 5) hashes the events a file already holds,
    /// stream by stream, in the migration's transaction; a file not yet migrated is written
    /// as before, and after the migration every stream verifies and appends link to it.
    #[tokio::test]
    async fn the_chain_migration_hashes_the_events_written_before_it() {
        use casework_core::kernel::chain::{verify_stream, Link};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casework.db");
        let conn = connect(&path, &SqliteConfig::default(), Role::Writer).unwrap();
        migrate_to(&conn, CHAIN_VERSION - 1).unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        let streams = [
            StreamId::Case(CaseId::new()),
            StreamId::Disclosures(CaseId::new()),
            StreamId::YoungPerson(YoungPersonId::new()),
        ];
        for (i, stream) in streams.iter().enumerate() {
            for v in 0..3 {
                let request = AppendRequest {
                    stream: *stream,
                    expected_version: v,
                    events: vec![event(i as u64 * 10 + v)],
                    read_model: ReadModelUpdate::None,
                    snapshot: None,
                    listings: None,
                    idempotency: None,
                };
                store.append(request).await.unwrap();
            }
        }
        let written: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(written, 9, "written without hashes before the migration");

        store.migrate().await.unwrap();
        for stream in streams {
            let linked = store.load_linked_after(stream, 0).await.unwrap();
            assert_eq!(linked.len(), 3);
            assert!(linked.iter().all(|l| l.link != Link::default()));
            let head = verify_stream(stream, &linked, 3).unwrap().unwrap();
            let next = AppendRequest {
                stream,
                expected_version: 3,
                events: vec![event(99)],
                read_model: ReadModelUpdate::None,
                snapshot: None,
                listings: None,
                idempotency: None,
            };
            store.append(next).await.unwrap();
            let linked = store.load_linked_after(stream, 0).await.unwrap();
            assert_eq!(
                linked[3].link.prev,
                Some(head.hash),
                "appends link to the old events"
            );
            verify_stream(stream, &linked, 4).unwrap();
        }
    }
}
