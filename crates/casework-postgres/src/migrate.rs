//! Embedded, numbered migrations, applied by [`PostgresStore::migrate`].

use crate::error::store_error;
use crate::PostgresStore;
use casework_core::store::StoreError;

/// One embedded migration: `migrations/NNNN_name.sql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    /// Its number: the schema version it brings the database to.
    pub version: i64,
    /// Its name.
    pub name: &'static str,
    /// The SQL, applied in the migrating transaction.
    pub sql: &'static str,
}

/// Every migration this library knows, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "listings",
        sql: include_str!("../migrations/0002_listings.sql"),
    },
    Migration {
        version: 3,
        name: "idempotency_keys",
        sql: include_str!("../migrations/0003_idempotency_keys.sql"),
    },
    Migration {
        version: 4,
        name: "one_open_case",
        sql: include_str!("../migrations/0004_one_open_case.sql"),
    },
    Migration {
        version: CHAIN_VERSION,
        name: "event_chain",
        sql: include_str!("../migrations/0005_event_chain.sql"),
    },
    Migration {
        version: 6,
        name: "data_keys",
        sql: include_str!("../migrations/0006_data_keys.sql"),
    },
    Migration {
        version: 7,
        name: "birth_year",
        sql: include_str!("../migrations/0007_birth_year.sql"),
    },
];

/// The version that adds the hash chain: right after its SQL, the events already in
/// the database are hashed in Rust, in the same transaction (one digest encoding, the core's).
const CHAIN_VERSION: i64 = 5;

/// The newest schema version this library reads and writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Where applied migrations are recorded.
const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS casework_schema_migrations (\
     version bigint PRIMARY KEY, \
     name text NOT NULL, \
     applied_at timestamptz NOT NULL DEFAULT now())";

/// The first key of the advisory lock migrators take; the second is the schema's name, so
/// stores in different schemas of one database migrate independently.
const LOCK_CLASS: i32 = 0x4357_4b31; // "CWK1"

impl PostgresStore {
    /// Brings the database's schema up to [`SCHEMA_VERSION`]: applies the embedded
    /// migrations it has not had yet, in order, in ONE transaction, and records each in
    /// `casework_schema_migrations`. Returns how many were applied (0 when up to date).
    ///
    /// Safe to call from several processes at once: migrators queue on a transaction-level
    /// advisory lock, and the ones after the first find nothing left to do. A database at a
    /// newer schema than this library is refused with [`StoreError::SchemaTooNew`] and left
    /// untouched. Objects go into the first schema of the connection's `search_path`.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| store_error(&e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))",
            &[&LOCK_CLASS],
        )
        .await
        .map_err(|e| store_error(&e))?;
        tx.batch_execute(MIGRATIONS_TABLE)
            .await
            .map_err(|e| store_error(&e))?;
        let found: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM casework_schema_migrations",
                &[],
            )
            .await
            .map_err(|e| store_error(&e))?
            .get(0);
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let mut applied = 0;
        for m in MIGRATIONS.iter().filter(|m| m.version > found) {
            tx.batch_execute(m.sql).await.map_err(|e| {
                StoreError::Backend(format!(
                    "migration {:04}_{}: {}",
                    m.version,
                    m.name,
                    store_error(&e)
                ))
            })?;
            if m.version == CHAIN_VERSION {
                crate::chain::link_all(&*tx).await?;
            }
            tx.execute(
                "INSERT INTO casework_schema_migrations (version, name) VALUES ($1, $2)",
                &[&m.version, &m.name],
            )
            .await
            .map_err(|e| store_error(&e))?;
            applied += 1;
        }
        tx.commit().await.map_err(|e| store_error(&e))?;
        Ok(applied)
    }

    /// The schema version the database is at: 0 before the first [`PostgresStore::migrate`].
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let exists: bool = client
            .query_one(
                "SELECT to_regclass('casework_schema_migrations') IS NOT NULL",
                &[],
            )
            .await
            .map_err(|e| store_error(&e))?
            .get(0);
        if !exists {
            return Ok(0);
        }
        Ok(client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM casework_schema_migrations",
                &[],
            )
            .await
            .map_err(|e| store_error(&e))?
            .get(0))
    }
}
