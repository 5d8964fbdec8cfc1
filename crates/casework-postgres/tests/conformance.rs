//! The shared store conformance suite (casework-testkit), run against a real PostgreSQL
//! server: every check on its own fresh database. Skips, saying so, without `DATABASE_URL`.

mod common;

casework_testkit::conformance_tests!(
    common::fresh_store(),
    skip_if: common::no_database(),
    reason: casework_testkit::postgres_db::SKIP_REASON
);
