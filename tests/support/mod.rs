//! What several root test files share.

#[cfg(feature = "postgres")]
#[allow(dead_code)] // not every test file runs on Postgres
pub mod postgres;

/// The testkit's desk with one girl registered ([`girl_in_leeds_area`]) as `yp`, for test files
/// about one young person; each adds its own steps in an `impl` of its own.
///
/// [`girl_in_leeds_area`]: casework_testkit::fixtures::girl_in_leeds_area
#[allow(dead_code)] // only test files about one young person use it
pub struct OneGirl<S> {
    pub desk: casework_testkit::desk::Desk<S>,
    pub yp: casework::kernel::ids::YoungPersonId,
}

impl<S> std::ops::Deref for OneGirl<S> {
    type Target = casework_testkit::desk::Desk<S>;
    fn deref(&self) -> &casework_testkit::desk::Desk<S> {
        &self.desk
    }
}

#[allow(dead_code)]
impl<S: casework::store::Store> OneGirl<S> {
    /// Registers the girl on `desk`, at its clock's time.
    pub async fn on(desk: casework_testkit::desk::Desk<S>) -> Self {
        let yp = desk
            .register(casework_testkit::fixtures::girl_in_leeds_area())
            .await;
        OneGirl { desk, yp }
    }
}

/// The testkit's desk (city girls' service) with every step an hour after the last, for test
/// files that tell a long story; each adds its own steps in an `impl` of its own.
#[allow(dead_code)] // only the story-telling test files use it
pub struct HourlyDesk<S>(pub casework_testkit::desk::Desk<S>);

impl<S> std::ops::Deref for HourlyDesk<S> {
    type Target = casework_testkit::desk::Desk<S>;
    fn deref(&self) -> &casework_testkit::desk::Desk<S> {
        &self.0
    }
}

#[allow(dead_code)]
impl<S: casework::store::Store> HourlyDesk<S> {
    /// On `store`, at [`casework_testkit::fixtures::start`].
    pub fn new(store: S) -> Self {
        HourlyDesk(casework_testkit::desk::Desk::new(store).ticking(chrono::Duration::hours(1)))
    }
}

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
/// caller's scope provides `Desk::new(store)` (or `Desk::with_profile(store, profile)` when a
/// profile is given before the body), `MemoryStore` and `SqliteStore`.
#[allow(unused_macros)] // not every test file runs on every store
macro_rules! on_every_store {
    ($name:ident, |$desk:ident| $body:block) => {
        on_every_store!(@each $name, new, [], |$desk| $body);
    };
    ($name:ident, $profile:expr, |$desk:ident| $body:block) => {
        on_every_store!(@each $name, with_profile, [, $profile], |$desk| $body);
    };
    (@each $name:ident, $new:ident, [$($profile:tt)*], |$desk:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                let $desk = Desk::$new(MemoryStore::new() $($profile)*);
                $body
            }

            #[tokio::test]
            async fn sqlite() {
                let store = SqliteStore::temporary().expect("a temporary store");
                store.migrate().await.expect("migrates");
                let $desk = Desk::$new(store $($profile)*);
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
                let store = crate::support::postgres::store(&database).await;
                let $desk = Desk::$new(store $($profile)*);
                $body
            }
        }
    };
}
