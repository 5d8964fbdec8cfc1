//! Postgres benchmarks (in progress).
fn main() {}
