//! The keyring: each owner's data key made once, found again by any keyring with
//! the same key-encryption key, refused clearly with another, destroyed for good, rotated
//! without touching what it sealed; key files and environment secrets.

use casework_core::kernel::ids::YoungPersonId;
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore};
use casework_core::privacy::keys::{KeyError, KeyProvider, LocalKek};
use casework_memory::MemoryStore;
use casework_service::keyring::{key_file, key_from_env, Keyring, KeyringError};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

fn person() -> KeyOwner {
    KeyOwner::YoungPerson(YoungPersonId::new())
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()
}

fn hex_of(kek: &LocalKek) -> String {
    kek.to_hex().as_str().to_owned()
}

#[tokio::test]
async fn r8_a_key_is_made_once_and_opens_for_any_keyring_with_the_same_kek() {
    let store = MemoryStore::new();
    let kek = LocalKek::generate().unwrap();
    let hex = hex_of(&kek);
    let keyring = Keyring::new(Arc::new(kek));
    let owner = person();
    assert!(keyring
        .key_for_reading(&store, owner)
        .await
        .unwrap()
        .is_none());
    let key = keyring.key_for_writing(&store, owner, now()).await.unwrap();
    let sealed = key.seal(b"fictional disclosure", b"ctx").unwrap();
    // The same keyring gives the same key; so does a new process with the same key file.
    let again = keyring.key_for_writing(&store, owner, now()).await.unwrap();
    assert_eq!(
        again.open(&sealed, b"ctx").unwrap(),
        b"fictional disclosure"
    );
    let restarted = Keyring::new(Arc::new(LocalKek::from_hex(&hex).unwrap()));
    let read = restarted
        .key_for_reading(&store, owner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.open(&sealed, b"ctx").unwrap(), b"fictional disclosure");
    match store.data_key(owner).await.unwrap() {
        KeyState::Live(stored) => {
            assert_eq!(stored.created_at, now());
            assert_eq!(stored.wrapped.kek_id, restarted.kek_id());
        }
        other => panic!("a live key is stored, got {other:?}"),
    }
}

#[tokio::test]
async fn r8_another_kek_is_a_clear_error_never_garbage() {
    let store = MemoryStore::new();
    let owner = person();
    let keyring = Keyring::new(Arc::new(LocalKek::generate().unwrap()));
    keyring.key_for_writing(&store, owner, now()).await.unwrap();
    let wrong = Keyring::new(Arc::new(LocalKek::generate().unwrap()));
    for outcome in [
        wrong.key_for_reading(&store, owner).await.map(|_| ()),
        wrong
            .key_for_writing(&store, owner, now())
            .await
            .map(|_| ()),
    ] {
        match outcome {
            Err(KeyringError::Key(KeyError::OtherKek {
                owner: named,
                wrapped_by,
                provider,
            })) => {
                assert_eq!(named, owner.to_string());
                assert_eq!(wrapped_by, keyring.kek_id());
                assert_eq!(provider, wrong.kek_id());
            }
            other => panic!("another key-encryption key must be refused by name, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn r23_a_destroyed_key_is_gone_from_the_store_and_from_memory() {
    let store = MemoryStore::new();
    let keyring = Keyring::new(Arc::new(LocalKek::generate().unwrap()));
    let owner = person();
    keyring.key_for_writing(&store, owner, now()).await.unwrap();
    assert!(keyring.destroy(&store, owner, now()).await.unwrap());
    assert!(
        keyring
            .key_for_reading(&store, owner)
            .await
            .unwrap()
            .is_none(),
        "R-23: not even the keyring that held it opens anything after"
    );
    assert_eq!(
        keyring
            .key_for_writing(&store, owner, now())
            .await
            .unwrap_err(),
        KeyringError::Destroyed { owner, at: now() },
        "R-23: nothing new is sealed for an erased person"
    );
    assert!(!keyring.destroy(&store, owner, now()).await.unwrap());
}

#[tokio::test]
async fn r23_rotation_rewraps_every_live_key_and_retires_the_old_kek() {
    let store = MemoryStore::new();
    let old_kek = LocalKek::generate().unwrap();
    let old_hex = hex_of(&old_kek);
    let old = Keyring::new(Arc::new(old_kek));
    let owners: Vec<KeyOwner> = (0..7).map(|_| person()).collect();
    let mut sealed = Vec::new();
    for owner in &owners {
        let key = old.key_for_writing(&store, *owner, now()).await.unwrap();
        sealed.push(key.seal(owner.to_string().as_bytes(), b"ctx").unwrap());
    }
    old.destroy(&store, owners[6], now()).await.unwrap();

    let new = Keyring::new(Arc::new(LocalKek::generate().unwrap()));
    let old_provider = LocalKek::from_hex(&old_hex).unwrap();
    assert_eq!(new.rotate_from(&store, &old_provider).await.unwrap(), 6);
    assert_eq!(
        new.rotate_from(&store, &old_provider).await.unwrap(),
        0,
        "a second run finds nothing left"
    );
    for (owner, sealed) in owners.iter().zip(&sealed).take(6) {
        let key = new.key_for_reading(&store, *owner).await.unwrap().unwrap();
        assert_eq!(
            key.open(sealed, b"ctx").unwrap(),
            owner.to_string().as_bytes(),
            "what was sealed before the rotation opens after it"
        );
        let fresh_old = Keyring::new(Arc::new(LocalKek::from_hex(&old_hex).unwrap()));
        assert!(
            matches!(
                fresh_old.key_for_reading(&store, *owner).await,
                Err(KeyringError::Key(KeyError::OtherKek { .. }))
            ),
            "the old key-encryption key opens nothing stored now"
        );
    }
    assert!(
        new.key_for_reading(&store, owners[6])
            .await
            .unwrap()
            .is_none(),
        "R-23: a destroyed key stays destroyed through a rotation"
    );
    assert_eq!(old_provider.kek_id(), old.kek_id());
}

#[test]
fn a_key_file_is_made_owner_only_on_first_use_and_read_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys").join("casework.key");
    let made = key_file(&path).unwrap();
    let read = key_file(&path).unwrap();
    assert_eq!(made.kek_id(), read.kek_id(), "the same key on every start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "readable and writable by the owner only"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match key_file(&path) {
            Err(KeyError::Unavailable(m)) => assert!(m.contains("0600"), "{m}"),
            other => panic!("a key file others can read must be refused, got {other:?}"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::write(&path, "not a key at all").unwrap();
    match key_file(&path) {
        Err(KeyError::Malformed(m)) => {
            assert!(m.contains("casework.key"), "names the file: {m}");
            assert!(
                !m.contains("not a key at all"),
                "never repeats the content: {m}"
            );
        }
        other => panic!("a malformed key file must be refused, got {other:?}"),
    }
}

#[test]
fn an_environment_secret_is_read_and_never_echoed() {
    let var = "CASEWORK_TEST_KEK_7F3A";
    assert!(matches!(key_from_env(var), Err(KeyError::Unavailable(m)) if m.contains(var)));
    let kek = LocalKek::generate().unwrap();
    // Tests of this file run in one process; this variable is this test's alone.
    std::env::set_var(var, hex_of(&kek));
    assert_eq!(key_from_env(var).unwrap().kek_id(), kek.kek_id());
    std::env::set_var(var, "secret-but-malformed");
    match key_from_env(var) {
        Err(KeyError::Malformed(m)) => {
            assert!(m.contains(var));
            assert!(!m.contains("secret-but-malformed"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    std::env::remove_var(var);
}
