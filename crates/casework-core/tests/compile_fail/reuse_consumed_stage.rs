//! Transitions consume the stage they start from: a case cannot fork into two histories, e.g.
//! be both signposted and accepted from one assessment.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::Assessed;
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::confidential::NewConfidential;

fn fork(assessed: Assessed, reason: NewConfidential, ctx: &CommandContext<'_>) {
    let _declined = assessed.decline(reason, ctx);
    let _accepted = assessed.accept_for_support(ctx);
}

fn main() {}
