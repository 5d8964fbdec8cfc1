//! Mapping SQLite's errors onto the store's typed errors.

use casework_core::store::StoreError;
use rusqlite::ErrorCode;

/// Maps a rusqlite error to the store's error, saying what was being done.
pub(crate) fn map(doing: &str, e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let detail = message.clone().unwrap_or_else(|| failure.to_string());
            let text = format!("{doing}: {detail}");
            match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy(format!(
                    "{text} (the database stayed locked by another connection or process beyond the busy timeout; nothing was written)"
                )),
                ErrorCode::DiskFull => StoreError::Full(format!(
                    "{text} (the disk or the configured size limit is full; nothing was written)"
                )),
                ErrorCode::NotADatabase => StoreError::Corrupt(format!(
                    "{text} (the file is not an SQLite database, or it is encrypted or damaged)"
                )),
                ErrorCode::DatabaseCorrupt => {
                    StoreError::Corrupt(format!("{text} (the database file is damaged)"))
                }
                ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::ReadOnly
                | ErrorCode::NoLargeFileSupport => StoreError::Unavailable(text),
                _ if detail.starts_with("no such table") => StoreError::Unavailable(format!(
                    "{text} (the database schema is not migrated: call SqliteStore::migrate() first)"
                )),
                _ => StoreError::Backend(text),
            }
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..)
        | rusqlite::Error::InvalidColumnType(..) => {
            StoreError::Corrupt(format!("{doing}: a stored value does not decode: {e}"))
        }
        _ => StoreError::Backend(format!("{doing}: {e}")),
    }
}

/// Whether the error is a unique-key violation (a lost race at a stream version).
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

/// A store thread did not answer: the request panicked inside it (a bug; a write's
/// transaction was rolled back), or the thread has stopped.
pub(crate) fn stopped(which: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "the SQLite {which} thread failed on this request or has stopped; nothing was written by it"
    ))
}
