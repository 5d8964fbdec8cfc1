//! sessions are planned while work is under way. A paused case has no
//! `plan_session` until it resumes; a closed case plans, holds and sets no goal, even with every
//! lifecycle trait in scope.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{
    Closed, HasWorker, HeldSession, InProgress, Paused, SessionPlace, Stage, UnderWay,
};
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::ids::SessionId;

fn work_on(paused: Paused, closed: Closed, held: HeldSession, ctx: &CommandContext<'_>) {
    let _ = paused.plan_session(ctx.at, SessionPlace::Home, true, vec![], ctx);
    let _ = closed.clone().plan_session(ctx.at, SessionPlace::Home, true, vec![], ctx);
    let _ = closed.hold_session(SessionId::new(), held, ctx);
}

fn main() {}
