//! The kernel: what every other layer is written in.
//!
//! Typed ids, the injected clock, checked input, rule ids, the acting person and the context a
//! decision reads, confidential content and its sealing, domain errors, the event envelope, its hash chain
//! and idempotency keys. Nothing here knows about cases, policies or storage.

pub mod actor;
pub mod chain;
pub mod clock;
pub mod code;
pub mod confidential;
pub mod context;
pub mod error;
pub mod event;
pub mod idempotency;
pub mod ids;
pub mod input;
pub mod rule;
pub mod sealing;
pub(crate) mod tag;
pub(crate) mod tag_first;
