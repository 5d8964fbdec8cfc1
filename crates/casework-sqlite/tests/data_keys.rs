//! Destroying a data key in the SQLite file: the wrapped key's bytes are gone from the
//! database file and its write-ahead log, not left in free space.

mod common;

use casework_core::kernel::ids::YoungPersonId;
use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::WrappedKey;
use casework_testkit::fixtures;
use common::*;
use std::path::Path;

/// Whether `marker` is anywhere in the database file or beside it (`-wal`, `-shm`).
fn on_disk(db: &Path, marker: &[u8]) -> bool {
    ["", "-wal", "-shm"].iter().any(|suffix| {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        std::fs::read(&path).is_ok_and(|bytes| bytes.windows(marker.len()).any(|w| w == marker))
    })
}

#[tokio::test]
async fn r23_a_destroyed_key_leaves_no_bytes_in_the_file_or_the_wal() {
    let (store, _dir) = store_in_tempdir().await;
    let path = store.path().to_path_buf();
    let marker = b"FICTIONAL-WRAPPED-KEY-BYTES-7f3a";
    let mut bytes = marker.to_vec();
    bytes.extend_from_slice(&[0x5a; 40]);
    // Other keys on the same page, so the destroyed one's bytes would be left as free space
    // inside it rather than the page rewritten.
    for n in 0..6u8 {
        let other = StoredKey {
            owner: KeyOwner::YoungPerson(YoungPersonId::new()),
            wrapped: WrappedKey {
                kek_id: "kek-test".into(),
                bytes: vec![n; 72],
            },
            created_at: fixtures::start(),
        };
        store.create_data_key(other).await.expect("another key");
    }
    let owner = KeyOwner::YoungPerson(YoungPersonId::new());
    let key = StoredKey {
        owner,
        wrapped: WrappedKey {
            kek_id: "kek-test".into(),
            bytes,
        },
        created_at: fixtures::start(),
    };
    assert!(matches!(
        store.create_data_key(key).await,
        Ok(KeyState::Live(_))
    ));
    assert!(
        on_disk(&path, marker),
        "the search finds a live key's bytes (so its absence below means something)"
    );

    assert_eq!(
        store.destroy_data_key(owner, fixtures::start()).await,
        Ok(true)
    );
    assert!(
        !on_disk(&path, marker),
        "R-23: no byte of the destroyed key is left in the file, its free space or the WAL"
    );
    assert!(matches!(
        store.data_key(owner).await,
        Ok(KeyState::Destroyed { .. })
    ));
}
