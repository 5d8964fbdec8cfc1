//! a closed case is never edited. The ways a transition reaches a stage's file live on a
//! sealed trait, so none of these compiles outside the crate.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{CaseEvent, CaseFile, Closed, Stage};

fn rewrite_closed(closed: Closed, forged: CaseFile, event: CaseEvent) -> Closed {
    let mut closed = closed;
    closed.file_mut().outcome = None;
    let (closed, _) = closed.record(vec![event]);
    closed.with_file(forged)
}

fn main() {}
