//! # casework-core
//!
//! The domain of a child sexual exploitation (CSE) service as typed, event-sourced state
//! machines, from referral to closure, in folders that show its layers:
//!
//! - [`kernel`]: what everything else is written in: ids, the injected clock, checked input,
//!   rule ids, the acting person, the decision context, confidential content, domain errors
//!   and their machine codes, the event envelope;
//! - [`policy`]: policies as data: service profiles, programmes, risk tools, eligibility;
//! - [`case`], [`young_person`], [`workshop`], [`intelligence`]: the aggregates, each
//!   implementing the one [`aggregate::Aggregate`] contract (pure `decide` and `evolve`, the
//!   rows and listings it writes);
//! - [`read`]: read-model rows, listings and the case report, computed from the state;
//! - [`privacy`]: the rules of confidentiality: the permission
//!   table, the access log, disclosure, the gate that unseals content only on a recorded read,
//!   the retention schedule, the anonymisation plan and the subject access export;
//! - [`store`]: the traits every storage adapter implements.
//!
//! No I/O of its own, no async runtime, no database driver: the application layer that loads,
//! decides and appends is `casework-service`; storage is the adapter crates. The one async
//! code here is [`privacy::gate`], which records a read through the store traits before it
//! hands content out, because the crate is Rust's privacy boundary (ADR 0011).
//!
//! Rules are cited by their DOMAIN.md ids (R-1 … R-29) in docs, errors and tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// A pedantic subset that improves the API: a pure query or a builder step whose result is
// dropped is a bug at the call site, and a front end switches on errors, so every public
// fallible function says in `# Errors` when it fails and with which code.
#![deny(
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc
)]

pub mod aggregate;
pub mod case;
pub mod intelligence;
pub mod kernel;
pub mod policy;
pub mod privacy;
pub mod read;
#[cfg(feature = "schema")]
pub mod schema;
pub mod store;
pub mod workshop;
pub mod young_person;
