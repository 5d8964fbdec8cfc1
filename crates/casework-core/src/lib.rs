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

pub mod aggregate;
pub mod case;
pub mod intelligence;
pub mod kernel;
pub mod policy;
pub mod privacy;
pub mod read;
pub mod store;
pub mod workshop;
pub mod young_person;
