//! Confidential content.
//!
//! Session notes, disclosures, the concerns written on a referral and the agreed plan are about
//! a child's exploitation. They live inside [`Confidential`], which has no `Display`, prints as
//! `[confidential]` in `Debug`, and is only read through [`Confidential::reveal`]. Storage
//! serializes it (the event log must keep it); read models and views never hold one, so the
//! only way from a record to a person outside the case is a deliberate call that the
//! disclosure gate (a later issue) will wrap. Encryption at rest with per-person keys will live
//! here too, which is why every confidential field is behind this type from the first commit.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value that must not leave the case record unless the disclosure rules allow it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Confidential<T>(T);

impl<T> Confidential<T> {
    /// Marks `value` as confidential.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The confidential value. Call this only to show the record to its allocated worker or
    /// through a disclosure decision; every call site is a place a reviewer should look.
    pub fn reveal(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Confidential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[confidential]")
    }
}
