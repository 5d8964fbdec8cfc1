//! The memory store's wrapped data keys ([`KeyStore`]): a map from owner to key or tombstone.

use crate::MemoryStore;
use async_trait::async_trait;
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::WrappedKey;
use casework_core::store::StoreError;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::MutexGuard;

/// Each owner's key, live or destroyed; owners with no key are absent.
#[derive(Default)]
pub(crate) struct DataKeys(BTreeMap<KeyOwner, KeyState>);

impl MemoryStore {
    fn data_keys(&self) -> MutexGuard<'_, DataKeys> {
        // A panic elsewhere cannot leave the map half-written: every change is one insert.
        self.data_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn data_key(&self, owner: KeyOwner) -> Result<KeyState, StoreError> {
        Ok(self
            .data_keys()
            .0
            .get(&owner)
            .cloned()
            .unwrap_or(KeyState::Absent))
    }

    async fn create_data_key(&self, key: StoredKey) -> Result<KeyState, StoreError> {
        Ok(self
            .data_keys()
            .0
            .entry(key.owner)
            .or_insert(KeyState::Live(key))
            .clone())
    }

    async fn destroy_data_key(
        &self,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut keys = self.data_keys();
        let was_live = matches!(keys.0.get(&owner), Some(KeyState::Live(_)));
        if !matches!(keys.0.get(&owner), Some(KeyState::Destroyed { .. })) {
            keys.0.insert(owner, KeyState::Destroyed { at });
        }
        Ok(was_live)
    }

    async fn keys_to_rewrap(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let mut left: Vec<StoredKey> = self
            .data_keys()
            .0
            .values()
            .filter_map(|state| match state {
                KeyState::Live(key) if key.wrapped.kek_id != kek_id => Some(key.clone()),
                _ => None,
            })
            .collect();
        // In the order of the owners' names, as the SQL stores index them.
        left.sort_by_cached_key(|key| key.owner.to_string());
        left.truncate(limit);
        Ok(left)
    }

    async fn rewrap_data_key(
        &self,
        owner: KeyOwner,
        expected: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        let mut keys = self.data_keys();
        match keys.0.get_mut(&owner) {
            Some(KeyState::Live(key)) if key.wrapped == *expected => {
                key.wrapped = new;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
