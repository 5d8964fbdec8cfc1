//! Raw store access that **bypasses the gate and the audit**, for trusted code only:
//! migrations, imports and exports run by the charity's own operators, test suites, and
//! tools that inspect or repair the database.
//!
//! [`Casework`] and [`Acting`](crate::Acting) never hand the store out: everything they read
//! or write goes through the permission table, the access log, and the sealing of
//! confidential content (R-8, ADR 0008). The store itself does none of that. `load` and
//! `load_snapshot` return stored payloads with every note, plan and reason in them; `append`
//! and `rewrite` change history with no record of who did. So reaching the store is a
//! step outside the library's guarantees, and it is spelt so at every call site
//! (`bypass::raw_store(&casework)`), where a reviewer can find it. A front end never needs it:
//! what a person may see and do is on [`Casework::acting_as`].

use crate::casework::Casework;

/// The store under `casework`, raw: no permission check, no access-log entry, confidential
/// content in the payloads it returns (see the module docs). For migrations, tests and tools.
#[must_use]
pub fn raw_store<S>(casework: &Casework<S>) -> &S {
    casework.raw()
}
