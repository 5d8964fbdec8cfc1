//! Mapping driver and pool errors to the core's typed storage errors.

use casework_core::store::StoreError;
use deadpool_postgres::{PoolError, TimeoutType};
use std::error::Error as _;

/// The unique key that guards stream versions (see the migration): its violation means another
/// append won the race.
pub(crate) const VERSION_KEY: &str = "events_stream_version_key";

/// The primary key of the idempotency keys (see migration 0003): its violation means the key
/// is already recorded.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency_keys_pkey";

/// The partial unique index of one open case per young person (see migration 0004, R-17): its
/// violation means the young person already has a case not finished.
pub(crate) const ONE_OPEN_CASE: &str = "case_summaries_one_open_case";

/// Whether `e` is a unique violation of `constraint`.
pub(crate) fn violates(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some(constraint)
    })
}

/// Maps a driver error to the core's [`StoreError`].
pub(crate) fn store_error(e: &tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let message = format!("{} ({code})", db.message());
        return match code {
            // Connection exceptions, the server shutting down or starting, too many
            // connections, a database that does not exist, authentication.
            c if c.starts_with("08") => StoreError::Unavailable(message),
            "57P01" | "57P02" | "57P03" | "53300" | "3D000" | "28000" | "28P01" => {
                StoreError::Unavailable(message)
            }
            "53100" => StoreError::Full(message),
            // Serialization failure, deadlock, lock not available, statement timeout.
            "40001" | "40P01" | "55P03" | "57014" => StoreError::Busy(message),
            // Undefined table, column or function: not a Casework database, or not migrated.
            "42P01" | "42703" | "42883" => StoreError::Corrupt(format!(
                "{message}: not a Casework database, or not migrated (call migrate())"
            )),
            _ => StoreError::Backend(message),
        };
    }
    let io = e
        .source()
        .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
    if e.is_closed() || io {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Backend(e.to_string())
    }
}

/// Maps a driver error met on `client`, and takes a connection that broke out of the pool
/// (rather than return it for the next operation to fail on too).
pub(crate) fn fail(client: deadpool_postgres::Object, e: &tokio_postgres::Error) -> StoreError {
    let error = store_error(e);
    if e.is_closed() || matches!(error, StoreError::Unavailable(_)) {
        drop(deadpool_postgres::Object::take(client));
    }
    error
}

/// Maps a pool error to the core's [`StoreError`].
pub(crate) fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => store_error(&e),
        PoolError::Timeout(TimeoutType::Wait) => {
            StoreError::Busy("no pooled connection became free in time".into())
        }
        PoolError::Timeout(TimeoutType::Create) => {
            StoreError::Unavailable("connecting to the server timed out".into())
        }
        PoolError::Timeout(TimeoutType::Recycle) => {
            StoreError::Unavailable("checking a pooled connection timed out".into())
        }
        PoolError::Closed => StoreError::Unavailable("the connection pool is closed".into()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// A stored row that does not decode.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}
