//! # Casework
//!
//! Case management for services that protect young people from child sexual exploitation:
//! referrals, eligibility, consent, risk, owed actions and cases as typed, event-sourced state
//! machines over pluggable storage. This facade re-exports the domain ([`casework_core`], in
//! its layers: `kernel`, `policy`, `case`, `young_person`, `workshop`, `intelligence`, `read`,
//! `privacy`, `store`), the application services ([`service`]: [`Casework`], the checked
//! [`Acting`] handle) and, behind features, the stores: `memory` and `sqlite` (default), and
//! `postgres`. Most embedders need only [`prelude`].
//!
//! See the README for a walkthrough and `examples/quickstart.rs` for a runnable story.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use casework_core::*;
/// The application services: load, decide, append; the checked handle; privacy operations.
pub use casework_service as service;
pub use casework_service::{
    AccessError, Acting, ActingError, Casework, CommandError, Executed, IntelligenceExecuted,
    LoadError, Query, QueryInfo, RetentionError, ShareError, TrailEntry, WorkshopExecuted,
    YoungPersonExecuted, QUERIES,
};

/// Raw store access past the gate and the audit, for migrations, tests and tools
/// (`bypass::raw_store(&casework)`).
pub use casework_service::bypass;

pub mod prelude;

pub mod config;

/// The in-memory store.
#[cfg(feature = "memory")]
pub use casework_memory as memory;

/// The SQLite store (the embedded default).
#[cfg(feature = "sqlite")]
pub use casework_sqlite as sqlite;

/// The PostgreSQL store.
#[cfg(feature = "postgres")]
pub use casework_postgres as postgres;

/// SVG charts of the figures funders ask for.
#[cfg(feature = "charts")]
pub use casework_service::charts;

/// The README's code is compiled and run as a doc test, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
