//! Privacy rules: who may do what ([`access`]), what may be
//! shared with whom ([`disclosure`]), the access log ([`access_log`]), the retention schedule
//! and its records ([`retention`]), anonymisation ([`anonymise`]) and subject access
//! ([`subject_access`]), and the data keys encryption at rest and erasure by key destruction
//! are built on ([`keys`]) and where stores keep them ([`key_store`]).

pub mod access;
pub mod access_log;
pub mod anonymise;
pub mod disclosure;
pub mod gate;
pub mod key_store;
pub mod keys;
pub mod retention;
pub mod subject_access;
