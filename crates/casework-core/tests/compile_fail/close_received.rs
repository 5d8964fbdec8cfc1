//! a case that was never allocated cannot be closed. Only stages with a worker
//! (`HasWorker`) close; a `Received` referral is withdrawn, signposted or declined instead.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{
    BeforeAllocation, ClosureReason, HasWorker, InProgress, Received, Stage,
};
use casework_core::kernel::context::CommandContext;

fn close_unallocated(received: Received, ctx: &CommandContext<'_>) {
    let _ = received.close(ClosureReason::NoEngagement, ctx);
}

fn main() {}
