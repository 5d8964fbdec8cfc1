//! A fresh Postgres database per test, on the server `DATABASE_URL` names; dropped (by force,
//! so pooled connections do not hold it open) when the test ends, passed or failed. Without
//! `DATABASE_URL` a test says it skipped; with `CASEWORK_REQUIRE_POSTGRES=1` that is a failure.

use casework::kernel::ids::CaseId;
use casework::postgres::tokio_postgres::{self, NoTls};
use casework::postgres::PostgresStore;

/// One test's database.
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    if query.is_empty() {
        format!("{base}/{database}")
    } else {
        format!("{base}/{database}?{query}")
    }
}

async fn execute(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the Postgres test server: {e}"));
    let running = tokio::spawn(connection);
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    drop(client);
    let _ = running.await;
}

impl TestDatabase {
    /// A new database for `test`, or `None` (having said so) when no server is configured.
    pub async fn create(test: &str) -> Option<TestDatabase> {
        let server = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty());
        let Some(server) = server else {
            if std::env::var("CASEWORK_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("CASEWORK_REQUIRE_POSTGRES=1 but DATABASE_URL is not set");
            }
            casework_testkit::say_skipped(&format!("{test} on Postgres: DATABASE_URL is not set"));
            return None;
        };
        let name = format!(
            "casework_test_{}_{}",
            std::process::id(),
            &CaseId::new().to_string().replace('-', "")[5..17]
        );
        execute(&server, &format!("CREATE DATABASE \"{name}\"")).await;
        let url = with_database(&server, &name);
        Some(TestDatabase { server, name, url })
    }

    /// A migrated store on it.
    pub async fn store(&self) -> PostgresStore {
        let store = PostgresStore::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name));
        store.migrate().await.expect("migrates a fresh database");
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // On a thread of its own: this runs inside the test's runtime.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(execute(
                    &server,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                ))
        })
        .join();
    }
}
