//! the sealed trait that reaches a stage's file cannot be imported from outside the crate,
//! so its methods cannot be brought into scope to edit a closed case.
use casework_core::case::stages::sealed::Sealed;

fn main() {}
