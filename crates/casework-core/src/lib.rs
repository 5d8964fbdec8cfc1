//! # casework-core
//!
//! The domain of a child sexual exploitation (CSE) service as typed, event-sourced state
//! machines: referrals, eligibility, consent, risk, owed actions and cases, from referral to
//! closure, with the day-to-day work on them (sessions, contacts, plans, meetings, referrals
//! out); young people's missing episodes and alumni membership; group workshops; and
//! intelligence about possible perpetrators; and confidentiality: who may do what
//! ([`access`], [`acting`]), what may be shared with whom ([`disclosure`]) and the logs that
//! keep both visible ([`access_log`]). No I/O, no async runtime, no database driver: storage
//! is the [`store`] traits, implemented by the adapter crates.
//!
//! Rules are cited by their DOMAIN.md ids (R-1 … R-29) in docs, errors and tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod access_log;
pub mod acting;
pub mod acting_lists;
pub mod actor;
pub mod alumni;
pub mod anonymise;
pub mod case;
pub mod clock;
pub mod confidential;
pub mod consent;
pub mod context;
pub mod disclosure;
pub mod eligibility;
pub mod error;
pub mod event;
pub mod ids;
pub mod input;
pub mod intelligence;
pub mod listing;
pub mod missing;
pub mod owed;
pub mod policy;
pub mod profile;
pub mod programme;
pub mod read_model;
pub mod retention;
pub mod risk;
pub mod rule;
pub mod service;
pub mod store;
pub mod subject_access;
pub mod topic;
pub mod workshop;
pub mod young_person;

pub use service::{
    Casework, CommandError, Executed, IntelligenceExecuted, LoadError, WorkshopExecuted,
    YoungPersonExecuted,
};
