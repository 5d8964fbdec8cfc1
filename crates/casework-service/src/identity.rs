//! Young people's identifying details, sealed at rest and opened as records are read (R-8,
//! R-26; [`casework_core::kernel::sealing`], "Identifying details").
//!
//! A young person's name, date of birth and postcode are sealed with their data key before
//! they reach a store, like confidential content, but they are not behind the gate: whoever
//! may read a record reads them. So every read of stored events, snapshots or the duplicate
//! check's listings goes through [`Casework::reading`], which opens the details with the keys
//! this service's keyring holds in memory. Decoding is synchronous and a key may have to be
//! fetched from the store first, so a read that meets the details of someone whose key is not
//! yet in memory fetches it and runs once more; after that it stays in memory until it is
//! destroyed.
//!
//! Where a store must find rows by a detail it cannot hold sealed, it holds what it needs and
//! no more: the duplicate check's block is keyed by a blind index of the date of birth
//! ([`Casework::indexing`]), the young person's row by the year of birth, and the postcode
//! district is kept as it is.

use crate::casework::{Casework, LoadError};
use crate::keyring::KeyringError;
use casework_core::kernel::event::{decode_stream, DomainEvent, Recorded, RecordedEvent};
use casework_core::kernel::ids::StreamId;
use casework_core::kernel::sealing::{identifying_with, indexing_with, IdentityKeys};
use casework_core::privacy::key_store::KeyOwner;
use casework_core::privacy::keys::DataKey;
use casework_core::read::listing::decode_all;
use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::{Store, StoreError};
use casework_core::young_person::duplicates::{block_key, plain_block_key, IdentityRow};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

impl<S: Store> Casework<S> {
    /// Runs `read` (a decode of what the store gave back) with the identifying details it
    /// meets opened; see the module docs. Without a keyring it runs `read` as it is.
    ///
    /// # Errors
    ///
    /// [`KeyringError`] when a key `read` needs is stored but does not unwrap, or the store
    /// fails fetching it. A key destroyed is not an error here: `read` gives its own
    /// error for the details it could not open.
    pub(crate) async fn reading<R>(
        &self,
        read: impl Fn() -> R + Send + Sync,
    ) -> Result<R, KeyringError> {
        let Some(keyring) = self.keyring_arc() else {
            return Ok(read());
        };
        let run = || {
            let cache = keyring.clone();
            let keys: IdentityKeys = Rc::new(move |owner| cache.cached(owner));
            identifying_with(keys, &read)
        };
        let mut fetched = BTreeSet::new();
        loop {
            let (out, wanted) = run();
            // Each owner is fetched once: one whose key is gone stays wanted, and `read`'s
            // own error says so.
            let Some(owner) = wanted.filter(|owner| fetched.insert(*owner)) else {
                return Ok(out);
            };
            // Nothing of this run is held across the fetch.
            drop(out);
            if keyring
                .key_for_reading(self.store(), owner)
                .await?
                .is_none()
            {
                return Ok(run().0);
            }
        }
    }

    /// Fetches the keys of `owners` into the keyring's memory before a read that meets many
    /// of them (the duplicate check's block), so [`Casework::reading`] runs once.
    pub(crate) async fn fetch_keys(&self, owners: Vec<KeyOwner>) -> Result<(), KeyringError> {
        if let Some(keyring) = self.keyring() {
            for owner in owners {
                if keyring.cached(owner).is_none() {
                    keyring.key_for_reading(self.store(), owner).await?;
                }
            }
        }
        Ok(())
    }

    /// Stored events decoded with their identifying details opened.
    pub(crate) async fn decoded<E: DomainEvent>(
        &self,
        stored: &[RecordedEvent],
    ) -> Result<Vec<Recorded<E>>, LoadError> {
        Ok(self
            .reading(|| decode_stream::<E>(stored))
            .await
            .map_err(keyring_load_failure)??)
    }

    /// The service's blind-index key (made at `now` on first use), when it seals.
    pub(crate) async fn index_key(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<DataKey>>, KeyringError> {
        match self.keyring() {
            Some(keyring) => keyring
                .key_for_writing(self.store(), KeyOwner::IdentityIndex, now)
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// The duplicate check's block for `date_of_birth`: everyone listed under its
    /// block key, their details opened. With a keyring the key is the blind index, and the
    /// plain date is read too, for records listed before this service sealed.
    pub(crate) async fn identity_block(
        &self,
        date_of_birth: NaiveDate,
    ) -> Result<Vec<IdentityRow>, StoreError> {
        let index = self.index_key(self.now()).await.map_err(key_store_error)?;
        let mut keys = vec![plain_block_key(date_of_birth)];
        if let Some(index) = &index {
            keys.push(Self::indexing(Some(index), || block_key(date_of_birth)));
        }
        let mut listed = Vec::new();
        for key in keys {
            let query = ListingQuery::all(ListingKind::IdentityBlock).key(key);
            listed.extend(self.store().listings(query).await?);
        }
        let owners: Vec<KeyOwner> = listed
            .iter()
            .filter_map(|l| match l.stream {
                StreamId::YoungPerson(id) => Some(KeyOwner::YoungPerson(id)),
                _ => None,
            })
            .collect();
        self.fetch_keys(owners).await.map_err(key_store_error)?;
        self.reading(|| decode_all::<IdentityRow>(&listed))
            .await
            .map_err(key_store_error)?
    }

    /// Runs `f` with the blind-index key in scope, when there is one: what it computes as a
    /// duplicate-check block key is the blind index
    /// ([`casework_core::young_person::duplicates::block_key`]).
    pub(crate) fn indexing<R>(index: Option<&Arc<DataKey>>, f: impl FnOnce() -> R) -> R {
        match index {
            Some(key) => indexing_with(key.clone(), f),
            None => f(),
        }
    }
}

/// A keyring failure as the store's: its own failure, or the key's, named.
pub(crate) fn key_store_error(e: KeyringError) -> StoreError {
    match e {
        KeyringError::Store(s) => s,
        e => StoreError::Backend(e.to_string()),
    }
}

/// A keyring failure met while reading, as a read's.
pub(crate) fn keyring_load_failure(e: KeyringError) -> LoadError {
    LoadError::Store(key_store_error(e))
}
