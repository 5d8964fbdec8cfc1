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
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_initial",
    sql: include_str!("../migrations/0001_initial.sql"),
}];

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
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| map("starting the migration", e))?;
    match migrate_in_transaction(conn) {
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

fn migrate_in_transaction(conn: &Connection) -> Result<Vec<i64>, StoreError> {
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
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        conn.execute_batch(m.sql)
            .map_err(|e| map(&format!("applying migration {}", m.name), e))?;
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
