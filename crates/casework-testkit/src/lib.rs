//! # casework-testkit
//!
//! What every Casework store and every charity's own rule tests share:
//! - [`confidentiality`]: the disclosure property over every role,
//!   relationship, consent state and audience, on any store;
//! - [`fixtures`]: fictional, valid test data (young people, referrals, staff, a fixed clock);
//! - [`conformance`]: the suite every store runs, so memory, SQLite and Postgres behave alike;
//! - [`desk`]: a front desk over any store for service-level tests: the service on a manual
//!   clock, a worker, a manager and the steps tests repeat (register, refer, assess, allocate,
//!   begin work, run a command);
//! - [`scenario`]: a given/when/then harness over the pure domain, for tests that read like
//!   the rules they prove;
//! - [`strategies`]: proptest strategies for young people, referrals, profiles and command
//!   sequences;
//! - [`stored`]: comparing records (which have no `==`: they hold confidential content) by
//!   what a store keeps;
//! - [`model`]: a reference model of the safeguarding rules and a model-based test that holds
//!   any store to it, with the rules' invariants;
//! - [`tampering`]: the history the SQL stores' tampering tests write, and the one broken link
//!   `verify` must then name.
//!
//! ## Feature `testing` (off by default)
//!
//! - `postgres_db`: a fresh Postgres database per test (or per run) on the server
//!   `DATABASE_URL` names, dropped by force when the test ends, with the skip rule: without a
//!   server a test says it skipped, unless `CASEWORK_REQUIRE_POSTGRES=1` makes that a
//!   failure. It uses `tokio-postgres` directly and knows no store, so `casework-postgres`
//!   (which dev-depends on this crate) can use it without a second copy of itself; a test
//!   connects its store to the database's URL.
//!
//! All data here is fictional: no real person, phone number or address.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod confidentiality;
pub mod conformance;
pub mod desk;
pub mod fixtures;
pub mod model;
#[cfg(feature = "testing")]
pub mod postgres_db;
pub mod scenario;
pub mod stored;
pub mod strategies;
pub mod tampering;

/// Says on the terminal that a test skipped, and why. It writes to the process's standard
/// error directly, past the test harness's output capture, so a skip is never silent in a
/// passing `cargo test` run.
pub fn say_skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "skipped: {message}");
}
