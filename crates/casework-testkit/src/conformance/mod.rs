//! The store conformance suite: one behaviour, whatever the backend.
//!
//! Every check is a `pub async fn` that takes a fresh, empty store by value and panics, naming
//! the rule it protects, when the store behaves differently from the contract in
//! [`casework_core::store`]. Checks use only the [`Store`] traits and the [`Casework`]
//! service, never a backend's own helpers, so memory, SQLite and Postgres are held to the
//! same bar.
//!
//! An adapter runs the whole suite with one line in a test file:
//!
//! ```text
//! async fn fresh_store() -> MyStore { MyStore::open_in_memory().await.unwrap() }
//!
//! casework_testkit::conformance_tests!(fresh_store());
//! ```
//!
//! A store that sometimes cannot run (Postgres without `DATABASE_URL`) gives a condition,
//! evaluated before anything else, under which every generated test prints
//! `skipped: <check>: <reason>` and returns, and optionally the reason to print:
//!
//! ```text
//! casework_testkit::conformance_tests!(
//!     fresh_store(),
//!     skip_if: std::env::var_os("DATABASE_URL").is_none(),
//!     reason: "DATABASE_URL is not set"
//! );
//! ```
//!
//! Each generated test is a plain `#[test]` that runs its check on a multi-threaded tokio
//! runtime with two worker threads (see [`run`]), so the calling crate needs no tokio macros;
//! the store's future (`$make`) is awaited inside that runtime. Each check can also be called
//! directly from an adapter's own `#[tokio::test]`.
//!
//! The checks, by rule:
//! - [`append_and_load_round_trip`]: every field of a stored event comes back as written (R-18).
//! - [`stale_expected_version_is_refused`]: optimistic concurrency, nothing written on conflict.
//! - [`concurrent_writers_to_one_stream`]: one winner per version, nothing lost or doubled.
//! - [`concurrent_commands_on_one_case`]: the same through the service (R-18, R-25).
//! - [`concurrent_referrals_open_one_case`]: of 8 racing referrals for one young person,
//!   exactly one opens a case; the rest are refused with `OpenCaseExists` (R-17).
//! - [`second_open_case_is_refused`]: the store refuses a second open case row for one young
//!   person, writing nothing of it (R-17).
//! - [`data_keys_are_kept_destroyed_and_rewrapped`]: wrapped data keys, made once, destroyed
//!   for good, re-wrapped by rotation (R-23).
//! - [`empty_append_is_a_no_op`].
//! - [`load_after_and_snapshots`].
//! - [`case_as_of_reconstructs_the_past`] (R-18).
//! - [`waiting_list_in_r7_order`] (R-7).
//! - [`outstanding_actions_soonest_first`] (R-5).
//! - [`cases_of_oldest_first_with_links`] (R-17).
//! - [`overdue_reviews_after_due_time`] (R-12).
//! - [`case_summary_follows_every_command`] (read model atomic with events).
//! - [`stored_history_folds_to_executed_state`] (R-18).
//! - [`unknown_event_type_is_a_typed_error`] and [`newer_schema_is_a_typed_error`].
//! - [`old_schema_is_upcast_on_read`].
//! - [`unreadable_snapshot_falls_back_to_replay`].
//! - [`listings_round_trip_exactly`]: listings of every stream kind, rows or none.
//! - [`listings_are_replaced_as_a_whole`]: `Some` replaces, `Some(vec![])` removes, `None` keeps.
//! - [`listing_queries_filter_and_order`]: kind, key and time window; `listing_order`.
//! - [`listing_pages_walk_the_order_once`]: pages (`after`, `limit`) are keyset ranges of
//!   `listing_order`; a walk sees every listing once, whatever is written between pages.
//! - [`conflicting_append_writes_no_listings`] (R-18).
//! - [`rewrite_replaces_payloads_rows_and_listings`]: anonymisation in place (R-23).
//! - [`years_at_the_edges_round_trip`]: a referral received at the first microsecond of 1900
//!   and a session planned for the last of 9999 come back exactly; outside, the domain refuses.
//! - [`duplicate_check_reads_one_identity_block`]: possible duplicates at intake, one key of
//!   the identity block (R-26).
//! - [`appends_are_chained`]: every append links its events to the stored ones before them;
//!   the links read back by stream and in pages (R-18).
//! - [`rewrite_rechains_the_stream`]: a rewrite links the stream again from its first
//!   rewritten version; the old head no longer holds (R-18, R-23).
//!
//! The checks live by group: `streams` (append and load), `concurrency` (conflicts and racing
//! writers), `snapshots`, `queries` (the service's queries), `commands` (the row and the stored
//! history after each command), `schemas` (histories of other versions), `listings`,
//! `rewrite` and `chain` (the hash chain); `support` holds what they share. The list of
//! checks every store runs is [`conformance_tests!`]'s, below.
//!
//! [`Store`]: casework_core::store::Store
//! [`Casework`]: casework_service::Casework
//! [`conformance_tests!`]: crate::conformance_tests!

pub use tokio;

mod chain;
mod commands;
mod concurrency;
mod duplicates;
mod keys;
mod listings;
mod pages;
mod queries;
mod rewrite;
mod schemas;
mod snapshots;
mod streams;
mod support;
mod years;

pub use chain::{appends_are_chained, rewrite_rechains_the_stream};
pub use commands::{case_summary_follows_every_command, stored_history_folds_to_executed_state};
pub use concurrency::{
    concurrent_commands_on_one_case, concurrent_referrals_open_one_case,
    concurrent_writers_to_one_stream, conflicting_append_writes_no_listings,
    second_open_case_is_refused, stale_expected_version_is_refused,
};
pub use duplicates::duplicate_check_reads_one_identity_block;
pub use keys::data_keys_are_kept_destroyed_and_rewrapped;
pub use listings::{
    listing_queries_filter_and_order, listings_are_replaced_as_a_whole, listings_round_trip_exactly,
};
pub use pages::listing_pages_walk_the_order_once;
pub use queries::{
    case_as_of_reconstructs_the_past, cases_of_oldest_first_with_links,
    outstanding_actions_soonest_first, overdue_reviews_after_due_time, waiting_list_in_r7_order,
};
pub use rewrite::rewrite_replaces_payloads_rows_and_listings;
pub use schemas::{
    newer_schema_is_a_typed_error, old_schema_is_upcast_on_read,
    unknown_event_type_is_a_typed_error,
};
pub use snapshots::{load_after_and_snapshots, unreadable_snapshot_falls_back_to_replay};
pub use streams::{append_and_load_round_trip, empty_append_is_a_no_op};
pub use years::years_at_the_edges_round_trip;

use std::future::Future;

/// Runs `check` to completion on a multi-threaded tokio runtime with two worker threads, the
/// runtime every generated conformance test uses.
pub fn run<F: Future<Output = ()>>(check: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the conformance suite")
        .block_on(check)
}

/// Generates one `#[test]` per conformance check, each on a fresh store from `$make`.
///
/// `$make` is an expression evaluating to a future that yields a fresh, empty store, such as
/// `fresh_store()` or `async { MemoryStore::new() }`. With `skip_if: <bool expression>`, the
/// condition is evaluated first, outside any runtime; when it is true every test prints
/// `skipped: <check>: <reason>` to stderr and returns. `reason:` names the reason; without it
/// the condition's source text is printed.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr $(,)?) => {
        $crate::__conformance_all!([$make] []);
    };
    ($make:expr, skip_if: $skip:expr $(,)?) => {
        $crate::__conformance_all!(
            [$make]
            [$skip, ::core::concat!("skip condition `", ::core::stringify!($skip), "` holds")]
        );
    };
    ($make:expr, skip_if: $skip:expr, reason: $reason:expr $(,)?) => {
        $crate::__conformance_all!([$make] [$skip, $reason]);
    };
}

/// Internal to [`conformance_tests!`]: the list of checks.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_all {
    ($make:tt $skip:tt) => {
        $crate::__conformance_one!(append_and_load_round_trip, $make, $skip);
        $crate::__conformance_one!(stale_expected_version_is_refused, $make, $skip);
        $crate::__conformance_one!(concurrent_writers_to_one_stream, $make, $skip);
        $crate::__conformance_one!(concurrent_commands_on_one_case, $make, $skip);
        $crate::__conformance_one!(concurrent_referrals_open_one_case, $make, $skip);
        $crate::__conformance_one!(second_open_case_is_refused, $make, $skip);
        $crate::__conformance_one!(data_keys_are_kept_destroyed_and_rewrapped, $make, $skip);
        $crate::__conformance_one!(empty_append_is_a_no_op, $make, $skip);
        $crate::__conformance_one!(load_after_and_snapshots, $make, $skip);
        $crate::__conformance_one!(case_as_of_reconstructs_the_past, $make, $skip);
        $crate::__conformance_one!(waiting_list_in_r7_order, $make, $skip);
        $crate::__conformance_one!(outstanding_actions_soonest_first, $make, $skip);
        $crate::__conformance_one!(cases_of_oldest_first_with_links, $make, $skip);
        $crate::__conformance_one!(overdue_reviews_after_due_time, $make, $skip);
        $crate::__conformance_one!(case_summary_follows_every_command, $make, $skip);
        $crate::__conformance_one!(stored_history_folds_to_executed_state, $make, $skip);
        $crate::__conformance_one!(unknown_event_type_is_a_typed_error, $make, $skip);
        $crate::__conformance_one!(newer_schema_is_a_typed_error, $make, $skip);
        $crate::__conformance_one!(old_schema_is_upcast_on_read, $make, $skip);
        $crate::__conformance_one!(unreadable_snapshot_falls_back_to_replay, $make, $skip);
        $crate::__conformance_one!(listings_round_trip_exactly, $make, $skip);
        $crate::__conformance_one!(listings_are_replaced_as_a_whole, $make, $skip);
        $crate::__conformance_one!(listing_queries_filter_and_order, $make, $skip);
        $crate::__conformance_one!(listing_pages_walk_the_order_once, $make, $skip);
        $crate::__conformance_one!(conflicting_append_writes_no_listings, $make, $skip);
        $crate::__conformance_one!(rewrite_replaces_payloads_rows_and_listings, $make, $skip);
        $crate::__conformance_one!(duplicate_check_reads_one_identity_block, $make, $skip);
        $crate::__conformance_one!(appends_are_chained, $make, $skip);
        $crate::__conformance_one!(rewrite_rechains_the_stream, $make, $skip);
        $crate::__conformance_one!(years_at_the_edges_round_trip, $make, $skip);
    };
}

/// Internal to [`conformance_tests!`]: one generated test.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_one {
    ($name:ident, [$make:expr], []) => {
        #[test]
        fn $name() {
            $crate::conformance::run(async {
                let store = $make.await;
                $crate::conformance::$name(store).await;
            });
        }
    };
    ($name:ident, [$make:expr], [$skip:expr, $reason:expr]) => {
        #[test]
        fn $name() {
            if $skip {
                $crate::say_skipped(&::std::format!(
                    "{}: {}",
                    ::core::stringify!($name),
                    $reason
                ));
                return;
            }
            $crate::conformance::run(async {
                let store = $make.await;
                $crate::conformance::$name(store).await;
            });
        }
    };
}
