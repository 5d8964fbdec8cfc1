//! every referral is assessed before an outcome is given. A `Screened` referral has no
//! outcome methods; only `Assessed` does.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{BeforeAllocation, InProgress, Screened, Stage};
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::input::Text;

fn outcome_before_assessment(screened: Screened, reason: Text, ctx: &CommandContext<'_>) {
    let _ = screened.clone().accept_for_support(ctx);
    let _ = screened.clone().add_to_waiting_list(ctx);
    let _ = screened.decline(reason, ctx);
}

fn main() {}
