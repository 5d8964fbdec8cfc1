//! The lifecycle is typed: a transition the lifecycle does not have is a method that does not
//! exist, so a program that attempts it does not compile. Each file under `compile_fail/` is one
//! illegal transition, or one way confidential content could leave its record (copied into a
//! command, a guess compared with it); its `.stderr` is the compiler's refusal, checked on every
//! run.
//!
//! Regenerate the expected output after a compiler upgrade with
//! `TRYBUILD=overwrite cargo test -p casework-core --test compile_fail`, and read the diff: each
//! must still say the method is not found (or the field is private, or the type or conversion
//! does not exist), not something incidental.

#[test]
fn illegal_transitions_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
