//! A fresh Postgres database per test or run, on the server `DATABASE_URL` names (feature
//! `testing`).
//!
//! - [`server_url`] reads `DATABASE_URL`; [`server_or_skip`] and [`no_server`] apply the skip
//!   rule: without a server a test says it skipped ([`crate::say_skipped`]) and passes, unless
//!   `CASEWORK_REQUIRE_POSTGRES=1` (CI), which makes a missing server a panic, never a silent
//!   pass.
//! - [`TestDatabase`] creates a uniquely named database on that server
//!   (`<prefix><pid>_<random>`), hands out its URL, and drops it `WITH (FORCE)` (so pooled
//!   connections do not hold it open) when it is dropped, passed or failed, inside a tokio
//!   runtime or not. Databases with the same prefix that a crashed process left behind are
//!   dropped the first time the prefix is used in a process.
//!
//! It knows nothing of any store: a test connects its store to [`TestDatabase::url`] itself.
//! A database rather than a schema: a test sees exactly what a deployment sees (the tables in
//! `public`, its own statistics, its own backends to terminate by `datname`).
//!
//! ```no_run
//! use casework_testkit::postgres_db::TestDatabase;
//!
//! # async fn example() {
//! // Skips (saying so) without DATABASE_URL; panics instead with CASEWORK_REQUIRE_POSTGRES=1.
//! let Some(db) = TestDatabase::create("my test").await else { return };
//! let client = db.client().await;
//! client.batch_execute("CREATE TABLE t (n int)").await.unwrap();
//! // `PostgresStore::connect(db.url())` for a store on it; the database goes with `db`.
//! # }
//! ```

use std::sync::Mutex;
use tokio_postgres::{Client, NoTls};

pub use tokio_postgres;

/// Why a Postgres test skips.
pub const SKIP_REASON: &str = "DATABASE_URL not set (set it to e.g. \
     postgres://postgres@127.0.0.1:5432/postgres to run the Postgres tests)";

/// The prefix of the databases [`TestDatabase::create`] makes.
pub const TEST_PREFIX: &str = "casework_test_";

/// The server's URL, from `DATABASE_URL`, if it is set and not blank.
pub fn server_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// Whether `CASEWORK_REQUIRE_POSTGRES=1`: a missing server is then a failure.
pub fn required() -> bool {
    std::env::var("CASEWORK_REQUIRE_POSTGRES").as_deref() == Ok("1")
}

/// True when Postgres tests cannot run (no `DATABASE_URL`); panics instead when
/// [`required`]. Says nothing: for callers that report the skip themselves.
pub fn no_server() -> bool {
    if server_url().is_some() {
        return false;
    }
    assert!(
        !required(),
        "CASEWORK_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: point it at a server"
    );
    true
}

/// The server's URL, or `None` after saying that `what` skipped ([`SKIP_REASON`]); panics
/// instead when [`required`].
pub fn server_or_skip(what: &str) -> Option<String> {
    if no_server() {
        crate::say_skipped(&format!("{what}: {SKIP_REASON}"));
        return None;
    }
    server_url()
}

/// `url` with its database name replaced by `database` (URL or `key=value` form).
pub fn with_database(url: &str, database: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (base, query) = match url.find('?') {
            Some(q) => (&url[..q], &url[q..]),
            None => (url, ""),
        };
        let authority_start = scheme_end + 3;
        let base = match base[authority_start..].find('/') {
            Some(slash) => &base[..authority_start + slash],
            None => base,
        };
        format!("{base}/{database}{query}")
    } else {
        format!("{url} dbname={database}")
    }
}

/// `url` (URL form) with the query parameter `param` (`key=value`, already escaped) added.
pub fn with_param(url: &str, param: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}")
}

/// A connection to `url`, driven on the current runtime; panics when it cannot connect.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the Postgres test server: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// The `server prefix` pairs swept in this process.
static SWEPT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Drops the databases on `server` named `<prefix><pid>…` whose process is gone (Linux: no
/// `/proc/<pid>`), left behind by a run that crashed; once per process for each prefix, and
/// only on Linux. Best effort: a failure is passed over.
pub async fn sweep_abandoned(server: &str, prefix: &str) {
    if !cfg!(target_os = "linux") {
        return;
    }
    {
        let key = format!("{server} {prefix}");
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if swept.contains(&key) {
            return;
        }
        swept.push(key);
    }
    let admin = connect(server).await;
    let pattern = format!("{}%", prefix.replace('_', "\\_"));
    let Ok(rows) = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            &[&pattern],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name[prefix.len()..]
            .split('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = admin.batch_execute(&drop_sql(&name)).await;
            }
        }
    }
}

fn drop_sql(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
}

/// A fresh, empty database on the test server; dropped (by force) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// A fresh database (prefix [`TEST_PREFIX`]) on the `DATABASE_URL` server, or `None` after
    /// saying that `what` skipped ([`server_or_skip`]).
    pub async fn create(what: &str) -> Option<TestDatabase> {
        let server = server_or_skip(what)?;
        Some(TestDatabase::create_on(&server, TEST_PREFIX).await)
    }

    /// A fresh database on `server`, named `<prefix><pid>_<random>`, after sweeping the
    /// prefix's abandoned databases ([`sweep_abandoned`]). Panics when it cannot.
    pub async fn create_on(server: &str, prefix: &str) -> TestDatabase {
        sweep_abandoned(server, prefix).await;
        let random = casework_core::kernel::ids::CaseId::new()
            .to_string()
            .replace('-', "");
        let name = format!("{prefix}{}_{}", std::process::id(), &random[..12]);
        connect(server)
            .await
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        TestDatabase {
            url: with_database(server, &name),
            server: server.to_owned(),
            name,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL for the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's URL (its own database, not this one).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// A connection to this database, for raw SQL.
    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// A connection to the server's own database (to terminate backends, say).
    pub async fn server_client(&self) -> Client {
        connect(&self.server).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort, on a thread and runtime of its own: this may run inside a runtime
        // (`block_on` there would panic) or outside any (where there is none to spawn on).
        let (server, sql) = (self.server.clone(), drop_sql(&self.name));
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok((client, connection)) = tokio_postgres::connect(&server, NoTls).await {
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    let _ = client.batch_execute(&sql).await;
                }
            });
        });
        let _ = dropper.join();
    }
}
