//! The Postgres store's wrapped data keys ([`KeyStore`]), in the `data_keys` table (migration
//! 0006): each operation one statement in autocommit, so one round trip.

use crate::codec::get;
use crate::error::corrupt;
use crate::PostgresStore;
use async_trait::async_trait;
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::WrappedKey;
use casework_core::store::StoreError;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;

const COLUMNS: &str = "owner, kek_id, wrapped, created_at, destroyed_at";

/// One row as [`KeyState`]: live, or a tombstone.
fn state(row: &Row) -> Result<KeyState, StoreError> {
    let owner: String = get(row, 0)?;
    let bad = |what: &str| corrupt(format!("data key of `{owner}`: {what}"));
    match (
        get::<Option<String>>(row, 1)?,
        get::<Option<Vec<u8>>>(row, 2)?,
        get::<Option<DateTime<Utc>>>(row, 3)?,
        get::<Option<DateTime<Utc>>>(row, 4)?,
    ) {
        (None, None, _, Some(at)) => Ok(KeyState::Destroyed { at }),
        (Some(kek_id), Some(bytes), Some(created_at), None) => Ok(KeyState::Live(StoredKey {
            owner: KeyOwner::parse(&owner).ok_or_else(|| bad("not an owner's name"))?,
            wrapped: WrappedKey { kek_id, bytes },
            created_at,
        })),
        _ => Err(bad("neither live nor destroyed")),
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn data_key(&self, owner: KeyOwner) -> Result<KeyState, StoreError> {
        let rows = self
            .query(
                &format!("SELECT {COLUMNS} FROM data_keys WHERE owner = $1"),
                &[&owner.to_string()],
            )
            .await?;
        rows.first().map_or(Ok(KeyState::Absent), state)
    }

    async fn create_data_key(&self, key: StoredKey) -> Result<KeyState, StoreError> {
        // DO UPDATE (changing nothing) rather than DO NOTHING: it waits for a racing insert
        // to commit and returns the row that won, which a later SELECT in the same statement
        // would not see. A tombstone is returned as it is.
        let rows = self
            .query(
                &format!(
                    "INSERT INTO data_keys (owner, kek_id, wrapped, created_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (owner) DO UPDATE SET owner = data_keys.owner
                     RETURNING {COLUMNS}"
                ),
                &[
                    &key.owner.to_string(),
                    &key.wrapped.kek_id,
                    &key.wrapped.bytes,
                    &key.created_at,
                ],
            )
            .await?;
        rows.first()
            .map_or_else(|| Err(corrupt("making a data key returned no row")), state)
    }

    async fn destroy_data_key(
        &self,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // A row comes back when a tombstone was written: inserted (`xmax = 0`: there was no
        // key) or over a live key; none when the key was already destroyed.
        let rows = self
            .query(
                "INSERT INTO data_keys (owner, destroyed_at) VALUES ($1, $2)
                 ON CONFLICT (owner) DO UPDATE
                     SET kek_id = NULL, wrapped = NULL, destroyed_at = EXCLUDED.destroyed_at
                     WHERE data_keys.destroyed_at IS NULL
                 RETURNING (xmax = 0) AS inserted",
                &[&owner.to_string(), &at],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(!get::<bool>(row, 0)?),
            None => Ok(false),
        }
    }

    async fn keys_to_rewrap(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM data_keys
                     WHERE wrapped IS NOT NULL AND kek_id <> $1 ORDER BY owner LIMIT $2"
                ),
                &[&kek_id, &limit],
            )
            .await?;
        rows.iter()
            .map(|row| match state(row)? {
                KeyState::Live(key) => Ok(key),
                _ => Err(corrupt("a key to re-wrap that is not live")),
            })
            .collect()
    }

    async fn rewrap_data_key(
        &self,
        owner: KeyOwner,
        expected: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        let rows = self
            .query(
                "UPDATE data_keys SET kek_id = $4, wrapped = $5
                 WHERE owner = $1 AND kek_id = $2 AND wrapped = $3
                 RETURNING owner",
                &[
                    &owner.to_string(),
                    &expected.kek_id,
                    &expected.bytes,
                    &new.kek_id,
                    &new.bytes,
                ],
            )
            .await?;
        Ok(!rows.is_empty())
    }
}
