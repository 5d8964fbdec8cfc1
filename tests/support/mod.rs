//! What several root test files share.

#[cfg(feature = "postgres")]
#[allow(dead_code)] // not every test file runs on Postgres
pub mod postgres;

/// The future a hand-written store method returns (the shape `async_trait` gives the traits).
#[allow(dead_code)] // only test files that wrap a store use it
pub type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Implements `CaseQueries` for a test store wrapper by forwarding every query to its field
/// `$inner`: for wrappers that change how a store loads or appends, not how it answers.
#[allow(unused_macros)] // not every test file wraps a store
macro_rules! forward_case_queries {
    ($store:ty, $inner:ident) => {
        impl casework::store::CaseQueries for $store {
            fn waiting_list<'a, 'b>(
                &'a self,
            ) -> crate::support::Boxed<
                'b,
                Result<Vec<casework::read::rows::CaseSummary>, casework::store::StoreError>,
            >
            where
                'a: 'b,
                Self: 'b,
            {
                self.$inner.waiting_list()
            }

            fn outstanding_actions<'a, 'b>(
                &'a self,
            ) -> crate::support::Boxed<
                'b,
                Result<Vec<casework::read::rows::OwedActionSummary>, casework::store::StoreError>,
            >
            where
                'a: 'b,
                Self: 'b,
            {
                self.$inner.outstanding_actions()
            }

            fn cases_of<'a, 'b>(
                &'a self,
                young_person: casework::kernel::ids::YoungPersonId,
            ) -> crate::support::Boxed<
                'b,
                Result<Vec<casework::read::rows::CaseSummary>, casework::store::StoreError>,
            >
            where
                'a: 'b,
                Self: 'b,
            {
                self.$inner.cases_of(young_person)
            }

            fn overdue_reviews<'a, 'b>(
                &'a self,
                as_of: chrono::DateTime<chrono::Utc>,
            ) -> crate::support::Boxed<
                'b,
                Result<Vec<casework::read::rows::CaseSummary>, casework::store::StoreError>,
            >
            where
                'a: 'b,
                Self: 'b,
            {
                self.$inner.overdue_reviews(as_of)
            }

            fn case_summary<'a, 'b>(
                &'a self,
                case: casework::kernel::ids::CaseId,
            ) -> crate::support::Boxed<
                'b,
                Result<Option<casework::read::rows::CaseSummary>, casework::store::StoreError>,
            >
            where
                'a: 'b,
                Self: 'b,
            {
                self.$inner.case_summary(case)
            }

            fn listings<'a, 'b>(
                &'a self,
                query: casework::read::rows::ListingQuery,
            ) -> crate::support::Boxed<
                'b,
                Result<Vec<casework::read::rows::Listed>, casework::store::StoreError>,
            >
            where
                'a: 'b,
                Self: 'b,
            {
                self.$inner.listings(query)
            }
        }
    };
}

/// Runs `$body` (an async block using `$desk`) once per store, each test in a module named
/// after the behaviour: `name::memory`, `name::sqlite` and, with the `postgres` feature,
/// `name::postgres` on a fresh database (skipped, saying so, without `DATABASE_URL`). The
/// caller's scope provides `Desk::new(store)` (or `Desk::new(store, profile)` when a profile is
/// given before the body), `MemoryStore` and `SqliteStore`.
#[allow(unused_macros)] // not every test file runs on every store
macro_rules! on_every_store {
    ($name:ident, |$desk:ident| $body:block) => {
        on_every_store!(@each $name, [], |$desk| $body);
    };
    ($name:ident, $profile:expr, |$desk:ident| $body:block) => {
        on_every_store!(@each $name, [, $profile], |$desk| $body);
    };
    (@each $name:ident, [$($profile:tt)*], |$desk:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                let $desk = Desk::new(MemoryStore::new() $($profile)*);
                $body
            }

            #[tokio::test]
            async fn sqlite() {
                let store = SqliteStore::temporary().expect("a temporary store");
                store.migrate().await.expect("migrates");
                let $desk = Desk::new(store $($profile)*);
                $body
            }

            #[cfg(feature = "postgres")]
            #[tokio::test]
            async fn postgres() {
                let Some(database) =
                    crate::support::postgres::TestDatabase::create(stringify!($name)).await
                else {
                    return;
                };
                let $desk = Desk::new(database.store().await $($profile)*);
                $body
            }
        }
    };
}
