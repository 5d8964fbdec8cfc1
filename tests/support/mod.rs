//! What several root test files share.

/// Runs `$body` (an async block using `$desk`) once per embedded store, each test in a module
/// named after the behaviour: `name::memory` and `name::sqlite`. The caller's scope provides
/// `Desk::new(store)`, `MemoryStore` and `SqliteStore`.
macro_rules! on_every_store {
    ($name:ident, |$desk:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                let $desk = Desk::new(MemoryStore::new());
                $body
            }

            #[tokio::test]
            async fn sqlite() {
                let store = SqliteStore::temporary().expect("a temporary store");
                store.migrate().await.expect("migrates");
                let $desk = Desk::new(store);
                $body
            }
        }
    };
}
