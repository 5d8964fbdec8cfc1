//! # Casework
//!
//! Case management for services that protect young people from child sexual exploitation:
//! referrals, eligibility, consent, risk, owed actions and cases as typed, event-sourced state
//! machines over pluggable storage. This facade re-exports the domain
//! ([`casework_core`]) and, behind features, the stores: `memory` (default) and, as they land,
//! `sqlite` and `postgres`.
//!
//! See the README for a walkthrough and `examples/quickstart.rs` for a runnable story.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use casework_core::*;
/// The application services: load, decide, append; the checked handle; privacy operations.
pub use casework_service as service;
pub use casework_service::{
    AccessError, Acting, Casework, CommandError, Executed, IntelligenceExecuted, LoadError,
    RetentionError, ShareError, TrailEntry, WorkshopExecuted, YoungPersonExecuted,
};

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

/// The README's code is compiled and run as a doc test, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
