//! SQLite benchmarks (in progress).
fn main() {}
