//! Where wrapped data keys are kept ([`KeyStore`]), and what a store must promise about them.
//!
//! A data key ([`crate::privacy::keys`]) belongs to one owner: a young person (their record,
//! retention record and cases are sealed with it), or a record that belongs to no one young
//! person (an intelligence report, a workshop). A store keeps each owner's key wrapped by the
//! service's key-encryption key, in the same database as the events, and answers three
//! things: the key (or that it was destroyed, or never made), a first key made once even
//! when two commands race to make it, and destruction, which leaves a tombstone so no new
//! key is ever made for an erased person: content written about them afterwards could not be
//! sealed under a key that was promised gone.
//!
//! Destroying a key deletes its wrapped bytes from the live table. Copies can outlive that in
//! free pages, the write-ahead log, replicas and backups; they are wrapped under the
//! key-encryption key of the time, which a rotation afterwards retires
//! ([`KeyStore::keys_to_rewrap`], [`KeyStore::rewrap_data_key`]), so no copy opens.

use crate::kernel::ids::{IntelligenceId, WorkshopId, YoungPersonId};
use crate::privacy::keys::WrappedKey;
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;

/// Whose data key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyOwner {
    /// A young person: their identity record, retention record and every case about them.
    YoungPerson(YoungPersonId),
    /// An intelligence report, which may name no registered young person.
    Intelligence(IntelligenceId),
    /// A group workshop and its tutorial notes.
    Workshop(WorkshopId),
    /// The service's one key for blind indexes ([`crate::privacy::keys::DataKey::blind_index`]):
    /// the duplicate check's block of dates of birth. Never destroyed; rotated with
    /// the others.
    IdentityIndex,
}

/// [`KeyOwner::IdentityIndex`]'s stable name.
const IDENTITY_INDEX: &str = "index-identity";

impl fmt::Display for KeyOwner {
    /// The owner's stable name as stores key it and sealed values are bound to: the typed
    /// id's display form (`yp-…`, `intel-…`, `ws-…`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOwner::YoungPerson(id) => id.fmt(f),
            KeyOwner::Intelligence(id) => id.fmt(f),
            KeyOwner::Workshop(id) => id.fmt(f),
            KeyOwner::IdentityIndex => f.write_str(IDENTITY_INDEX),
        }
    }
}

impl KeyOwner {
    /// Parses the stable name [`KeyOwner`]'s `Display` gives (a store's `owner` column);
    /// `None` for anything else, a bare uuid included.
    #[must_use]
    pub fn parse(name: &str) -> Option<KeyOwner> {
        if name == IDENTITY_INDEX {
            return Some(KeyOwner::IdentityIndex);
        }
        let (prefix, _) = name.split_once('-')?;
        match prefix {
            p if p == YoungPersonId::PREFIX => name.parse().ok().map(KeyOwner::YoungPerson),
            p if p == IntelligenceId::PREFIX => name.parse().ok().map(KeyOwner::Intelligence),
            p if p == WorkshopId::PREFIX => name.parse().ok().map(KeyOwner::Workshop),
            _ => None,
        }
    }
}

/// An owner's wrapped key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// Whose.
    pub owner: KeyOwner,
    /// The key, wrapped.
    pub wrapped: WrappedKey,
    /// When it was made, microsecond precision.
    pub created_at: DateTime<Utc>,
}

/// What a store holds for an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// No key was ever made: nothing of theirs has been sealed.
    Absent,
    /// The key, wrapped.
    Live(StoredKey),
    /// The key was destroyed: what it sealed cannot be opened, and no new key is made.
    Destroyed {
        /// When, microsecond precision.
        at: DateTime<Utc>,
    },
}

/// Keeps wrapped data keys; see the module docs.
///
/// Every store of the library implements it. The defaults, for stores written before keys
/// existed (and test doubles that wrap a store), refuse with [`StoreError::Backend`], so a
/// service configured to seal fails on such a store rather than writes in plain text.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// What the store holds for `owner`.
    async fn data_key(&self, owner: KeyOwner) -> Result<KeyState, StoreError> {
        Err(no_keys(owner))
    }

    /// Records `key` as its owner's first key, unless the owner already has one or had one
    /// destroyed; answers what the store then holds. Of two racing calls for one owner,
    /// both get the same `Live` key back (the first one written).
    async fn create_data_key(&self, key: StoredKey) -> Result<KeyState, StoreError> {
        Err(no_keys(key.owner))
    }

    /// Destroys `owner`'s key at `at`: its wrapped bytes deleted and a tombstone kept.
    /// Answers whether a live key was destroyed (`false` for an owner already destroyed, or
    /// with no key: a tombstone is then written, so none is ever made).
    async fn destroy_data_key(
        &self,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _ = at;
        Err(no_keys(owner))
    }

    /// Up to `limit` live keys wrapped by any key-encryption key other than `kek_id`, in
    /// the order of the owners' names (their `Display`): what a rotation to `kek_id` has
    /// left to re-wrap.
    async fn keys_to_rewrap(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let _ = (kek_id, limit);
        Err(StoreError::Backend("this store keeps no data keys".into()))
    }

    /// Replaces `owner`'s wrapping with `new` if it is still `expected` (a rotation step that
    /// loses no race with a destruction: a key destroyed meanwhile stays destroyed). Answers
    /// whether it was replaced.
    async fn rewrap_data_key(
        &self,
        owner: KeyOwner,
        expected: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        let _ = (expected, new);
        Err(no_keys(owner))
    }
}

fn no_keys(owner: KeyOwner) -> StoreError {
    StoreError::Backend(format!(
        "this store keeps no data keys (asked for the key of {owner})"
    ))
}

#[async_trait]
impl<T: KeyStore + ?Sized> KeyStore for std::sync::Arc<T> {
    async fn data_key(&self, owner: KeyOwner) -> Result<KeyState, StoreError> {
        (**self).data_key(owner).await
    }
    async fn create_data_key(&self, key: StoredKey) -> Result<KeyState, StoreError> {
        (**self).create_data_key(key).await
    }
    async fn destroy_data_key(
        &self,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        (**self).destroy_data_key(owner, at).await
    }
    async fn keys_to_rewrap(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        (**self).keys_to_rewrap(kek_id, limit).await
    }
    async fn rewrap_data_key(
        &self,
        owner: KeyOwner,
        expected: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError> {
        (**self).rewrap_data_key(owner, expected, new).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_name_parses_back_and_nothing_else_does() {
        for owner in [
            KeyOwner::YoungPerson(YoungPersonId::new()),
            KeyOwner::Intelligence(IntelligenceId::new()),
            KeyOwner::Workshop(WorkshopId::new()),
            KeyOwner::IdentityIndex,
        ] {
            assert_eq!(KeyOwner::parse(&owner.to_string()), Some(owner));
        }
        let bare = YoungPersonId::new().as_uuid().to_string();
        for other in [bare.as_str(), "", "yp-", "yp-not-a-uuid", "case-0"] {
            assert_eq!(KeyOwner::parse(other), None, "{other:?}");
        }
    }
}
