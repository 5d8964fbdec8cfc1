//! Lifecycle 1: a referral can be withdrawn only before allocation. Once a worker holds the
//! case it closes with a typed reason instead.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{Allocated, BeforeAllocation, HasWorker, InProgress, Stage};
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::input::Text;

fn withdraw_after_allocation(allocated: Allocated, reason: Text, ctx: &CommandContext<'_>) {
    let _ = allocated.withdraw(reason, ctx);
}

fn main() {}
