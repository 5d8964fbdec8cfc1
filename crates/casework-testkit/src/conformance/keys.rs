//! Checks of the wrapped data keys a store keeps ([`KeyStore`]): encryption at rest and erasure
//! by key destruction rest on them.

use super::support::ok;
use crate::fixtures;
use casework_core::kernel::ids::{IntelligenceId, WorkshopId, YoungPersonId};
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::WrappedKey;
use chrono::Duration;
use std::sync::Arc;

fn wrapped(kek: &str, byte: u8) -> WrappedKey {
    WrappedKey {
        kek_id: kek.into(),
        bytes: vec![byte; 72],
    }
}

/// a store keeps each owner's wrapped data key exactly as written (bytes, key-encryption
/// key, time to the microsecond); makes an owner's first key once, even when 8 callers race
/// (all get the same key back); destroys a key for good (a tombstone: no new key is ever made
/// for that owner, and a destroyed key is never re-wrapped); lists the live keys a rotation
/// has left, in the order of the owners' names and at most the limit asked; and re-wraps a key only if it is
/// still the one the rotation read.
pub async fn data_keys_are_kept_destroyed_and_rewrapped<S: KeyStore + 'static>(store: S) {
    let at = fixtures::start() + Duration::nanoseconds(123_456_000);
    let person = KeyOwner::YoungPerson(YoungPersonId::new());
    assert_eq!(
        ok(store.data_key(person).await, "data_key"),
        KeyState::Absent,
        "no key before one is made"
    );
    let first = StoredKey {
        owner: person,
        wrapped: wrapped("kek-1", 7),
        created_at: at,
    };
    assert_eq!(
        ok(store.create_data_key(first.clone()).await, "create"),
        KeyState::Live(first.clone())
    );
    let second = StoredKey {
        wrapped: wrapped("kek-1", 8),
        ..first.clone()
    };
    assert_eq!(
        ok(store.create_data_key(second).await, "create again"),
        KeyState::Live(first.clone()),
        "R-23: an owner's first key is kept; a second is not made"
    );
    assert_eq!(
        ok(store.data_key(person).await, "data_key"),
        KeyState::Live(first.clone())
    );

    // Racing first keys for one owner: one is kept and every caller gets it.
    let store = Arc::new(store);
    let racer = KeyOwner::Intelligence(IntelligenceId::new());
    let mut tasks = Vec::new();
    for n in 0..8u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_data_key(StoredKey {
                    owner: racer,
                    wrapped: wrapped("kek-1", n),
                    created_at: at,
                })
                .await
        }));
    }
    let mut kept = Vec::new();
    for task in tasks {
        kept.push(ok(ok(task.await, "task"), "racing create"));
    }
    assert!(
        matches!(&kept[0], KeyState::Live(k) if k.owner == racer),
        "{kept:?}"
    );
    assert!(
        kept.iter().all(|k| *k == kept[0]),
        "R-23: racing creators all get the one key kept: {kept:?}"
    );
    assert_eq!(ok(store.data_key(racer).await, "data_key"), kept[0]);

    // Rotation: the live keys under another key-encryption key, in owner order, limited.
    let workshop = KeyOwner::Workshop(WorkshopId::new());
    let under_new = StoredKey {
        owner: workshop,
        wrapped: wrapped("kek-2", 9),
        created_at: at,
    };
    ok(store.create_data_key(under_new).await, "create");
    let mut expected = vec![person, racer];
    expected.sort_by_key(ToString::to_string);
    let left = ok(store.keys_to_rewrap("kek-2", 10).await, "keys_to_rewrap");
    assert_eq!(
        left.iter().map(|k| k.owner).collect::<Vec<_>>(),
        expected,
        "the keys not under kek-2, in the order of their owners' names"
    );
    assert_eq!(
        ok(store.keys_to_rewrap("kek-2", 1).await, "keys_to_rewrap").len(),
        1,
        "at most the limit"
    );
    assert!(
        !ok(
            store
                .rewrap_data_key(person, &wrapped("kek-1", 99), wrapped("kek-2", 1))
                .await,
            "rewrap"
        ),
        "a re-wrap of a key that is no longer the one read changes nothing"
    );
    assert!(ok(
        store
            .rewrap_data_key(person, &first.wrapped, wrapped("kek-2", 1))
            .await,
        "rewrap"
    ));
    assert_eq!(
        ok(store.data_key(person).await, "data_key"),
        KeyState::Live(StoredKey {
            wrapped: wrapped("kek-2", 1),
            ..first.clone()
        }),
        "re-wrapped: the new wrapping, the same owner and time"
    );

    // Destruction, for good.
    let later = at + Duration::days(1);
    assert!(ok(store.destroy_data_key(person, later).await, "destroy"));
    assert_eq!(
        ok(store.data_key(person).await, "data_key"),
        KeyState::Destroyed { at: later }
    );
    assert!(
        !ok(store.destroy_data_key(person, later).await, "destroy again"),
        "destroying twice destroys nothing more"
    );
    assert_eq!(
        ok(store.create_data_key(first.clone()).await, "create after"),
        KeyState::Destroyed { at: later },
        "R-23: no new key for an erased owner"
    );
    assert!(
        !ok(
            store
                .rewrap_data_key(person, &wrapped("kek-2", 1), wrapped("kek-3", 1))
                .await,
            "rewrap destroyed"
        ),
        "R-23: a destroyed key is never re-wrapped back to life"
    );
    assert_eq!(
        ok(store.data_key(person).await, "data_key"),
        KeyState::Destroyed { at: later }
    );
    assert!(
        ok(store.keys_to_rewrap("kek-9", 10).await, "keys_to_rewrap")
            .iter()
            .all(|k| k.owner != person),
        "a destroyed key is not left to re-wrap"
    );
    // An owner with no key yet: destroying writes the tombstone all the same.
    let never = KeyOwner::YoungPerson(YoungPersonId::new());
    assert!(!ok(store.destroy_data_key(never, later).await, "destroy"));
    assert_eq!(
        ok(
            store
                .create_data_key(StoredKey {
                    owner: never,
                    ..first
                })
                .await,
            "create"
        ),
        KeyState::Destroyed { at: later },
        "R-23: erased before any key was made, and none is made after"
    );
}
