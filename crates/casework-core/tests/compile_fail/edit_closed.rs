//! a closed case is never edited. With every lifecycle trait in scope, `Closed` still
//! has no pause, no consent, no professional, no closing again and no withdrawal.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{
    BeforeAllocation, Closed, ClosureReason, HasWorker, InProgress, PauseReason, Professional,
    Stage,
};
use casework_core::case::consent::ConsentEntry;
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::input::Text;

fn edit_closed(
    closed: Closed,
    entry: ConsentEntry,
    professional: Professional,
    reason: Text,
    ctx: &CommandContext<'_>,
) {
    let _ = closed.clone().pause(PauseReason::NoContact, ctx);
    let _ = closed.clone().record_consent(entry, ctx);
    let _ = closed.clone().record_professional(professional);
    let _ = closed.clone().close(ClosureReason::AgedOut, ctx);
    let _ = closed.withdraw(reason, ctx);
}

fn main() {}
