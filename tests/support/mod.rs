//! What several root test files share.

#[cfg(feature = "postgres")]
pub mod postgres;

/// Runs `$body` (an async block using `$desk`) once per store, each test in a module named
/// after the behaviour: `name::memory`, `name::sqlite` and, with the `postgres` feature,
/// `name::postgres` on a fresh database (skipped, saying so, without `DATABASE_URL`). The
/// caller's scope provides `Desk::new(store)` (or `Desk::new(store, profile)` when a profile is
/// given before the body), `MemoryStore` and `SqliteStore`.
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
