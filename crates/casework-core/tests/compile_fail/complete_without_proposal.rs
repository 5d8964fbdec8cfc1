//! closing for 'risk significantly reduced' goes through a proposal and everyone's
//! agreement. An `Active` case cannot complete a closure or record agreements directly.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{Active, HasWorker, InProgress, Party, Stage};
use casework_core::kernel::context::CommandContext;

fn skip_agreement(active: Active, ctx: &CommandContext<'_>) {
    let _ = active.clone().record_agreement(Party::YoungPerson, ctx);
    let _ = active.complete(ctx);
}

fn main() {}
