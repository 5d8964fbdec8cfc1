//! only a case with a worker moves to another worker. With every lifecycle trait in
//! scope, a case waiting for its first worker has no `reallocate` (it is allocated), and a
//! closed case has none either (it is never edited).
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{AwaitingAllocation, Closed, HasWorker, InProgress, Stage};
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::ids::StaffId;
use casework_core::kernel::input::Text;

fn reallocate(
    waiting: AwaitingAllocation,
    closed: Closed,
    worker: StaffId,
    name: Text,
    reason: Text,
    ctx: &CommandContext<'_>,
) {
    let _ = waiting.reallocate(worker, name.clone(), reason.clone(), ctx);
    let _ = closed.reallocate(worker, name, reason, ctx);
}

fn main() {}
