//! The conformance check of pages of listings fails against stores that page wrongly: one
//! that ignores the position, one that ignores the limit, and one that starts a page at the
//! position's time (skipping ties after it). The memory store, which pages by the reference
//! [`ListingQuery::select`], passes.

use async_trait::async_trait;
use casework_core::kernel::event::RecordedEvent;
use casework_core::kernel::idempotency::IdempotentAppend;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, Listed, ListingQuery, OwedActionSummary};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
    StoreError,
};
use casework_memory::MemoryStore;
use casework_testkit::conformance::{listing_pages_walk_the_order_once, run};
use chrono::{DateTime, Utc};

/// How a wrong store pages.
#[derive(Clone, Copy, Debug)]
enum Wrong {
    /// Answers from the start of the list whatever the position.
    IgnoresAfter,
    /// Answers every listing after the position, however many.
    IgnoresLimit,
    /// Starts after the position's time, not after the position: listings tied on the time
    /// with the last one of a page are never seen.
    AfterTheTimeOnly,
}

struct WrongPages(MemoryStore, Wrong);

#[async_trait]
impl EventLoad for WrongPages {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.load(stream).await
    }
    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.load_after(stream, version).await
    }
    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.0.load_snapshot(stream).await
    }
    async fn idempotent_append(&self, key: &str) -> Result<Option<IdempotentAppend>, StoreError> {
        self.0.idempotent_append(key).await
    }
}

/// Keeps no data keys: nothing here seals.
impl casework_core::privacy::key_store::KeyStore for WrongPages {}

#[async_trait]
impl EventAppend for WrongPages {
    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        self.0.append(request).await
    }
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        self.0.rewrite(request).await
    }
}

#[async_trait]
impl CaseQueries for WrongPages {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.0.waiting_list().await
    }
    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.0.outstanding_actions().await
    }
    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        self.0.cases_of(young_person).await
    }
    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        self.0.overdue_reviews(as_of).await
    }
    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        self.0.case_summary(case).await
    }
    async fn listings(&self, mut query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        match self.1 {
            Wrong::IgnoresAfter => query.after = None,
            Wrong::IgnoresLimit => query.limit = None,
            Wrong::AfterTheTimeOnly => {
                if let Some(after) = query.after.take() {
                    let limit = query.limit.take();
                    let mut rows = self.0.listings(query).await?;
                    rows.retain(|l| match (l.listing.at, after.at) {
                        (Some(at), Some(position)) => at > position,
                        (None, Some(_)) => true,
                        (Some(_), None) => false,
                        (None, None) => after.order_of(l).is_gt(),
                    });
                    rows.truncate(limit.unwrap_or(usize::MAX));
                    return Ok(rows);
                }
            }
        }
        self.0.listings(query).await
    }
}

fn fails_against(wrong: Wrong) -> bool {
    std::thread::spawn(move || {
        run(listing_pages_walk_the_order_once(WrongPages(
            MemoryStore::new(),
            wrong,
        )))
    })
    .join()
    .is_err()
}

#[test]
fn the_page_check_fails_against_a_store_that_ignores_the_position() {
    assert!(fails_against(Wrong::IgnoresAfter));
}

#[test]
fn the_page_check_fails_against_a_store_that_ignores_the_limit() {
    assert!(fails_against(Wrong::IgnoresLimit));
}

#[test]
fn the_page_check_fails_against_a_store_that_pages_by_time_alone() {
    assert!(fails_against(Wrong::AfterTheTimeOnly));
}

#[test]
fn the_page_check_passes_on_the_memory_store() {
    run(listing_pages_walk_the_order_once(MemoryStore::new()));
}
