//! Comparing records in tests by what a store keeps.
//!
//! A case, a workshop, an intelligence report and their events hold confidential content,
//! which is never compared (ADR 0008: `==` on it would confirm a guess), so they have no
//! `PartialEq`. A test that must know two of them are the same (the fold of a history and
//! the state a command returned, a snapshot and a replay) compares their storage encodings,
//! confidential content included: the one form in which the library writes it.
//! Serializing for storage steps outside the gate ([`for_storage`]); that is what a test of
//! the store does.

use casework_core::kernel::confidential::for_storage;
use casework_core::kernel::event::Recorded;
use serde::Serialize;
use serde_json::Value;

/// `value` as a store would keep it, confidential content included.
///
/// # Panics
///
/// When `value` does not serialize (never, for the library's records and events).
pub fn stored<T: Serialize + ?Sized>(value: &T) -> Value {
    for_storage(|| serde_json::to_value(value)).expect("records serialize for storage")
}

/// A decoded history as a store would keep it: each event's stream, version, position,
/// envelope and event, confidential content included.
pub fn stored_history<E: Serialize>(history: &[Recorded<E>]) -> Value {
    Value::Array(
        history
            .iter()
            .map(|r| {
                serde_json::json!({
                    "stream": stored(&r.stream),
                    "version": r.version,
                    "position": r.position,
                    "meta": stored(&r.meta),
                    "event": stored(&r.event),
                })
            })
            .collect(),
    )
}
