//! The SQLite store's wrapped data keys ([`KeyStore`]), in the `data_keys` table (migration
//! 0006). Reads go to a reader; every change runs on the writer thread, between group
//! commits, so changes to one owner's key are serialized with each other.

use crate::{codec, error, SqliteStore};
use async_trait::async_trait;
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::WrappedKey;
use casework_core::store::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

const COLUMNS: &str =
    "owner, kek_id, wrapped, created_at, created_at_ns, destroyed_at, destroyed_at_ns";

/// One row as [`KeyState`]: live, or a tombstone.
fn state(row: &Row<'_>) -> rusqlite::Result<Result<KeyState, StoreError>> {
    let owner: String = row.get(0)?;
    let kek_id: Option<String> = row.get(1)?;
    let wrapped: Option<Vec<u8>> = row.get(2)?;
    let created: (Option<i64>, Option<i64>) = (row.get(3)?, row.get(4)?);
    let destroyed: (Option<i64>, Option<i64>) = (row.get(5)?, row.get(6)?);
    let corrupt = |what: &str| {
        Err(StoreError::Corrupt(format!(
            "data key of `{owner}`: {what}"
        )))
    };
    let instant = |(us, ns): (Option<i64>, Option<i64>)| codec::from_instant(us?, ns?);
    Ok(match (kek_id, wrapped, instant(destroyed)) {
        (None, None, Some(at)) => Ok(KeyState::Destroyed { at }),
        (Some(kek_id), Some(bytes), None) => match (KeyOwner::parse(&owner), instant(created)) {
            (Some(owner), Some(created_at)) => Ok(KeyState::Live(StoredKey {
                owner,
                wrapped: WrappedKey { kek_id, bytes },
                created_at,
            })),
            (None, _) => corrupt("not an owner's name"),
            (_, None) => corrupt("no time it was made"),
        },
        _ => corrupt("neither live nor destroyed"),
    })
}

fn read(conn: &Connection, owner: &str) -> Result<KeyState, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM data_keys WHERE owner = ?1"))
        .and_then(|mut st| st.query_row([owner], state).optional())
        .map_err(|e| error::map("reading a data key", e))?
        .unwrap_or(Ok(KeyState::Absent))
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn data_key(&self, owner: KeyOwner) -> Result<KeyState, StoreError> {
        self.on_reader(move |conn| read(conn, &owner.to_string()))
            .await
    }

    async fn create_data_key(&self, key: StoredKey) -> Result<KeyState, StoreError> {
        self.on_writer(move |conn| {
            let owner = key.owner.to_string();
            let (us, ns) = codec::instant(key.created_at);
            conn.prepare_cached(
                "INSERT INTO data_keys (owner, kek_id, wrapped, created_at, created_at_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (owner) DO NOTHING",
            )
            .and_then(|mut st| {
                st.execute(params![
                    owner,
                    key.wrapped.kek_id,
                    key.wrapped.bytes,
                    us,
                    ns
                ])
            })
            .map_err(|e| error::map("making a data key", e))?;
            read(conn, &owner)
        })
        .await
    }

    async fn destroy_data_key(
        &self,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.on_writer(move |conn| {
            let owner = owner.to_string();
            let (us, ns) = codec::instant(at);
            let fail = |e| error::map("destroying a data key", e);
            // Zero the bytes the update frees, in the file's pages, rather than leave them in
            // free space.
            conn.pragma_update(None, "secure_delete", "ON")
                .map_err(fail)?;
            let destroyed = conn
                .prepare_cached(
                    "UPDATE data_keys SET kek_id = NULL, wrapped = NULL,
                         destroyed_at = ?2, destroyed_at_ns = ?3
                     WHERE owner = ?1 AND destroyed_at IS NULL",
                )
                .and_then(|mut st| st.execute(params![owner, us, ns]))
                .and_then(|changed| {
                    conn.prepare_cached(
                        "INSERT INTO data_keys (owner, destroyed_at, destroyed_at_ns)
                         VALUES (?1, ?2, ?3) ON CONFLICT (owner) DO NOTHING",
                    )?
                    .execute(params![owner, us, ns])?;
                    Ok(changed == 1)
                });
            let reset = conn.pragma_update(None, "secure_delete", "OFF");
            let destroyed = destroyed.map_err(fail)?;
            reset.map_err(fail)?;
            // Move the change into the file and empty the write-ahead log, which still holds
            // the page as it was; readers in the middle of a read may keep a checkpoint from
            // finishing, which leaves the old frames to be overwritten later.
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            Ok(destroyed)
        })
        .await
    }

    async fn keys_to_rewrap(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let kek_id = kek_id.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.on_reader(move |conn| {
            let rows: Vec<Result<KeyState, StoreError>> = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM data_keys
                     WHERE wrapped IS NOT NULL AND kek_id <> ?1 ORDER BY owner LIMIT ?2"
                ))
                .and_then(|mut st| st.query_map(params![kek_id, limit], state)?.collect())
                .map_err(|e| error::map("listing data keys to re-wrap", e))?;
            rows.into_iter()
                .filter_map(|row| match row {
                    Ok(KeyState::Live(key)) => Some(Ok(key)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect()
        })
        .await
    }

    async fn rewrap_data_key(
        &self,
        owner: KeyOwner,
        expected: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        let expected = expected.clone();
        self.on_writer(move |conn| {
            conn.prepare_cached(
                "UPDATE data_keys SET kek_id = ?4, wrapped = ?5
                 WHERE owner = ?1 AND kek_id = ?2 AND wrapped = ?3",
            )
            .and_then(|mut st| {
                st.execute(params![
                    owner.to_string(),
                    expected.kek_id,
                    expected.bytes,
                    new.kek_id,
                    new.bytes
                ])
            })
            .map(|changed| changed == 1)
            .map_err(|e| error::map("re-wrapping a data key", e))
        })
        .await
    }
}
