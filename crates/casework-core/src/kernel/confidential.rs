//! Confidential content.
//!
//! Session notes, disclosures, the concerns written on a referral and the agreed plan are about
//! a child's exploitation. They live inside [`Confidential`], which has no `Display`, prints as
//! `[confidential]` in `Debug`, and is only read through the gate ([`crate::privacy::gate`]). Storage
//! serializes it (the event log must keep it); read models and views never hold one, so the
//! only way to the content is a record opened by a permitted read recorded in the access log
//! ([`crate::privacy::gate::OpenRecord`], R-27); nothing outside the crate can read it otherwise. Views for
//! people outside the case never hold a `Confidential`: see [`crate::privacy::disclosure`]. The type
//! still serializes in full, because the event log must keep the content; code that
//! serializes a case itself steps outside the gate, and a reviewer should treat it so.
//! Encryption at rest with per-person keys would live here too.

use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// A value that must not leave the case record unless the disclosure rules allow it.
///
/// It serializes only inside [`for_storage`] (the event log and snapshots must keep it);
/// anywhere else serializing it is an error, so a front end that turns a case into JSON for a
/// screen or an API gets an error, not the content. It always deserializes.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Confidential<T>(T);

thread_local! {
    static STORAGE_ENCODING: Cell<u32> = const { Cell::new(0) };
}

/// Runs `encode` with confidential content serializable: for code that writes the event log
/// or snapshots (the library's own encoders call it; a store never needs to). Every call is
/// a place a reviewer should look, like the gate.
pub fn for_storage<R>(encode: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            STORAGE_ENCODING.with(|c| c.set(c.get() - 1));
        }
    }
    STORAGE_ENCODING.with(|c| c.set(c.get() + 1));
    let _reset = Reset;
    encode()
}

impl<T: Serialize> Serialize for Confidential<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if STORAGE_ENCODING.with(Cell::get) > 0 {
            self.0.serialize(serializer)
        } else {
            Err(S::Error::custom(
                "R-8: confidential content serializes only for storage; share it through a \
                 disclosure view (casework_core::disclosure)",
            ))
        }
    }
}

impl<T> Confidential<T> {
    /// Marks `value` as confidential.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value for the crate's own gated paths (a disclosure under override, a subject
    /// access export), each of which checks and records before calling it.
    pub(crate) fn reveal_recorded(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Confidential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[confidential]")
    }
}
