//! Read models: what queries answer from without replaying events.
//!
//! [`rows`] are the per-stream summaries a command writes with its events (a case's stage and
//! risk, a young person's identity); [`listing`] is the one generic index every service-wide
//! list is answered from; [`report`] computes one case's cadence and length figures from its
//! state; [`figures`] computes the service's figures from listings alone.

pub mod figures;
pub mod listing;
pub mod report;
pub mod rows;
