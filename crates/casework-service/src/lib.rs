//! # casework-service
//!
//! The application layer of Casework: the services a front end, an import or a scheduled job
//! calls, over the store traits of [`casework_core::store`]. Each command loads an
//! aggregate's stream, reads the clock once, decides with the pure domain of
//! [`casework_core`], and appends the events with their read-model rows and listings in one
//! transaction at the version it loaded ([`Casework`]). A front end acts for one signed-in
//! person through [`Acting`], which checks every command and read against the permission
//! table. Disclosure, retention, anonymisation and subject access are carried out here;
//! their rules are core's ([`casework_core::privacy`]).
//!
//! No driver and no runtime: any store implementing the traits will do, and any executor.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// A pedantic subset that improves the API: a pure query or a builder step whose result is
// dropped is a bug at the call site, and every public fallible function says in `# Errors`
// when it fails and with which code (front ends switch on it).
#![deny(
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc
)]

pub mod acting;
pub mod acting_lists;
pub mod anonymise;
pub mod bypass;
pub mod casework;
#[cfg(feature = "charts")]
pub mod charts;
pub mod duplicates;
pub mod error;
mod identity;
pub mod keyring;
mod opening;
pub mod queries;
pub mod reports;
pub mod retention;
pub mod streams;
pub mod subject_access;
pub mod verify;

pub use acting::{Acting, TrailEntry};
pub use casework::{
    Casework, CommandError, Executed, IntelligenceExecuted, LoadError, WorkshopExecuted,
    YoungPersonExecuted,
};
pub use duplicates::{Referred, Registered};
pub use error::{AccessError, ActingError, Refusal, RetentionError, ShareError};
pub use queries::{Query, QueryInfo, QUERIES};
