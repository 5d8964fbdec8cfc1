//! a declined referral is finished. There is no way to allocate a worker to it; a young
//! person who needs the service after all is re-referred.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{BeforeAllocation, Declined, InProgress, Stage};
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::ids::StaffId;
use casework_core::kernel::input::Text;

fn allocate_declined(declined: Declined, worker: StaffId, name: Text, ctx: &CommandContext<'_>) {
    let _ = declined.allocate(worker, name, ctx);
}

fn main() {}
