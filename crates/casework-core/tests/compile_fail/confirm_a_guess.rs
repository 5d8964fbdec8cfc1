//! R-8, R-27 (issue 17): a guess at confidential content cannot be confirmed. Outside the crate
//! a `Confidential` cannot be made, and two cannot be compared, so a caller who may read a
//! case's structure learns nothing of its concerns by trying words against them.
use casework_core::case::Case;
use casework_core::kernel::confidential::Confidential;
use casework_core::kernel::input::Text;

fn confirm(case: &Case, other: &Case, guess: Text) -> bool {
    let forged = Confidential::new(guess);
    case.file().concerns == forged || case.file().concerns == other.file().concerns
}

fn main() {}
