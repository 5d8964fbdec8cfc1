//! Opening sealed content for a permitted, recorded read.
//!
//! What a store gives back stays sealed ([`casework_core::kernel::sealing`]): commands decide
//! on it and snapshots re-write it without a key. Only the gate's reads open it, after the
//! read is permitted and recorded: [`crate::Acting::open_record`], the intelligence and
//! workshop openings and the subject access export call these, with the owner's data key in
//! scope while the content is decoded. An owner whose key was destroyed has nothing to
//! open: the content reads as [`casework_core::kernel::confidential::SEALED`].

use crate::casework::{Casework, CommandError, LoadError};
use crate::streams::keyring_failure;
use casework_core::aggregate::Aggregate;
use casework_core::kernel::confidential::for_storage;
use casework_core::kernel::event::{decode_stream, DomainEvent, Recorded};
use casework_core::kernel::ids::StreamId;
use casework_core::kernel::sealing::opening_with;
use casework_core::privacy::key_store::KeyOwner;
use casework_core::privacy::keys::DataKey;
use casework_core::store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

impl<S: Store> Casework<S> {
    /// `owner`'s key to open with: `None` when this service seals nothing, or the owner has
    /// no key (never had one, or it was destroyed: R-23).
    pub(crate) async fn opening_key(
        &self,
        owner: KeyOwner,
    ) -> Result<Option<Arc<DataKey>>, CommandError> {
        match self.keyring() {
            Some(keyring) => keyring
                .key_for_reading(self.store(), owner)
                .await
                .map_err(keyring_failure),
            None => Ok(None),
        }
    }

    /// `state` with its sealed content opened, for a read the gate permitted and recorded.
    pub(crate) async fn opened<A: Aggregate + Serialize + DeserializeOwned>(
        &self,
        state: A,
    ) -> Result<A, CommandError> {
        let Some(owner) = state.key_owner() else {
            return Ok(state);
        };
        let Some(key) = self.opening_key(owner).await? else {
            return Ok(state);
        };
        // Out as stored (sealed values as their envelopes) and back in with the key in scope.
        let stored = for_storage(|| serde_json::to_value(&state))
            .map_err(|e| StoreError::Backend(format!("opening {owner}'s content: {e}")))?;
        opening_with(owner, key, || serde_json::from_value(stored))
            .map_err(|e| StoreError::Corrupt(format!("opening {owner}'s content: {e}")).into())
    }

    /// `stream`'s events decoded with `owner`'s sealed content opened, for a permitted,
    /// recorded read; [`LoadError::NotFound`] when it has no events.
    pub(crate) async fn opened_history<E: DomainEvent>(
        &self,
        stream: StreamId,
        owner: KeyOwner,
    ) -> Result<Vec<Recorded<E>>, CommandError> {
        let stored = self.store().load(stream).await.map_err(LoadError::from)?;
        let history = match self.opening_key(owner).await? {
            Some(key) => opening_with(owner, key, || decode_stream::<E>(&stored)),
            None => decode_stream::<E>(&stored),
        }
        .map_err(LoadError::from)?;
        if history.is_empty() {
            return Err(LoadError::NotFound(stream).into());
        }
        Ok(history)
    }
}
