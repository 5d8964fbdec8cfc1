//! The keyring: where the service gets each owner's data key, and where the key-encryption key
//! comes from (R-8, R-23; the concepts are in [`casework_core::privacy::keys`]).
//!
//! A [`Keyring`] joins a [`KeyProvider`] (the key-encryption key) to a store's
//! [`KeyStore`] (the wrapped data keys): it makes an owner's data key on first use, unwraps
//! it for reading, destroys it for erasure, and rotates every key to a new key-encryption
//! key. Unwrapped keys are kept in memory for the life of the keyring, so a command pays for
//! no unwrapping and no extra read after the first; [`Keyring::destroy`] removes a key from
//! memory as well as from the store. (Another process with its own keyring keeps its copy
//! until it is restarted: run erasure where the service runs, or restart after it.)
//!
//! Where the key-encryption key comes from:
//! - the embedded default: a key file, created on first use with permissions 0600
//!   ([`key_file`]); back it up apart from the database, since a database without its key
//!   opens to nothing;
//! - a server: an environment secret holding 64 hexadecimal digits ([`key_from_env`]);
//! - a KMS or HSM: an implementation of [`KeyProvider`] that calls it.
//!
//! ```
//! use casework_core::privacy::key_store::KeyOwner;
//! use casework_core::kernel::ids::YoungPersonId;
//! use casework_memory::MemoryStore;
//! use casework_service::keyring::{key_file, Keyring};
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("casework-doc-{}", uuid::Uuid::new_v4()));
//! let kek = key_file(dir.join("casework.key"))?; // made now, read on every later start
//! let store = MemoryStore::new();
//! let keyring = Keyring::new(Arc::new(kek));
//! let owner = KeyOwner::YoungPerson(YoungPersonId::new());
//! let now = chrono::Utc::now();
//!
//! let key = keyring.key_for_writing(&store, owner, now).await?;
//! let sealed = key.seal(b"fictional note", owner.to_string().as_bytes())?;
//! assert!(keyring.destroy(&store, owner, now).await?);
//! assert!(keyring.key_for_reading(&store, owner).await?.is_none(), "gone for good");
//! # let _ = sealed;
//! # std::fs::remove_dir_all(dir)?;
//! # Ok(())
//! # }
//! ```

use casework_core::privacy::key_store::{KeyOwner, KeyState, KeyStore, StoredKey};
use casework_core::privacy::keys::{rewrap, DataKey, KeyError, KeyProvider, LocalKek};
use casework_core::store::StoreError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;

/// Why the keyring could not give, destroy or rotate a key.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum KeyringError {
    /// The owner's key was destroyed (R-23): nothing new is sealed for an erased owner.
    #[error(
        "the data key of {owner} was destroyed at {at} (R-23): nothing more is recorded about them"
    )]
    Destroyed {
        /// Whose.
        owner: KeyOwner,
        /// When it was destroyed.
        at: DateTime<Utc>,
    },
    /// The key could not be unwrapped or made.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Each owner's data key, made, unwrapped, destroyed and rotated; see the module docs.
pub struct Keyring {
    provider: Arc<dyn KeyProvider>,
    open: Mutex<HashMap<KeyOwner, Arc<DataKey>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("kek_id", &self.provider.kek_id())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A keyring whose data keys `provider` wraps.
    #[must_use]
    pub fn new(provider: Arc<dyn KeyProvider>) -> Self {
        Self {
            provider,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The key-encryption key's name.
    #[must_use]
    pub fn kek_id(&self) -> &str {
        self.provider.kek_id()
    }

    fn open(&self) -> MutexGuard<'_, HashMap<KeyOwner, Arc<DataKey>>> {
        // Every change is one insert or remove: a panic elsewhere leaves the map whole.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn unwrapped(&self, key: &StoredKey) -> Result<Arc<DataKey>, KeyringError> {
        let data = Arc::new(self.provider.unwrap(&key.wrapped, &key.owner.to_string())?);
        self.open().insert(key.owner, data.clone());
        Ok(data)
    }

    /// `owner`'s key if it is already in memory: what a synchronous read opens identifying
    /// details with ([`crate::identity`]).
    pub(crate) fn cached(&self, owner: KeyOwner) -> Option<Arc<DataKey>> {
        self.open().get(&owner).cloned()
    }

    /// `owner`'s key to seal with, made (and stored wrapped) at `now` if they have none yet.
    ///
    /// # Errors
    ///
    /// [`KeyringError::Destroyed`] for an erased owner; [`KeyringError::Key`] when the stored
    /// key does not unwrap (another or a wrong key-encryption key) or no key can be made;
    /// [`KeyringError::Store`].
    pub async fn key_for_writing<S: KeyStore + ?Sized>(
        &self,
        store: &S,
        owner: KeyOwner,
        now: DateTime<Utc>,
    ) -> Result<Arc<DataKey>, KeyringError> {
        if let Some(key) = self.open().get(&owner) {
            return Ok(key.clone());
        }
        let state = match store.data_key(owner).await? {
            KeyState::Absent => {
                let fresh = DataKey::generate()?;
                let wrapped = self.provider.wrap(&fresh, &owner.to_string())?;
                // A racing writer may have made one first: the store keeps one and both use it.
                store
                    .create_data_key(StoredKey {
                        owner,
                        wrapped,
                        created_at: now,
                    })
                    .await?
            }
            state => state,
        };
        match state {
            KeyState::Live(key) => self.unwrapped(&key),
            KeyState::Destroyed { at } => Err(KeyringError::Destroyed { owner, at }),
            KeyState::Absent => Err(StoreError::Backend(format!(
                "the store kept no data key for {owner} after making one"
            ))
            .into()),
        }
    }

    /// `owner`'s key to open with; `None` when they never had one or it was destroyed (what
    /// it sealed is gone, R-23).
    ///
    /// # Errors
    ///
    /// [`KeyringError::Key`] when the stored key does not unwrap (another or a wrong
    /// key-encryption key: a clear error, never garbage); [`KeyringError::Store`].
    pub async fn key_for_reading<S: KeyStore + ?Sized>(
        &self,
        store: &S,
        owner: KeyOwner,
    ) -> Result<Option<Arc<DataKey>>, KeyringError> {
        if let Some(key) = self.open().get(&owner) {
            return Ok(Some(key.clone()));
        }
        match store.data_key(owner).await? {
            KeyState::Live(key) => self.unwrapped(&key).map(Some),
            KeyState::Absent | KeyState::Destroyed { .. } => Ok(None),
        }
    }

    /// Destroys `owner`'s key at `at` (R-23: erasure by key destruction), in the store and in
    /// this keyring's memory. Answers whether a live key was destroyed. Copies of the wrapped
    /// key left in backups stay sealed by the key-encryption key of the time: rotate
    /// ([`Keyring::rotate_from`]) to retire it.
    ///
    /// Erase a young person through anonymisation (`Acting::anonymise`), which calls this after
    /// it has rewritten their identifying details coarsened and unsealed: destroyed directly,
    /// the key leaves their records unreadable, since their name, date of birth and postcode
    /// are sealed with it too, and every read of them says whose key is not at hand.
    ///
    /// # Errors
    ///
    /// [`KeyringError::Store`].
    pub async fn destroy<S: KeyStore + ?Sized>(
        &self,
        store: &S,
        owner: KeyOwner,
        at: DateTime<Utc>,
    ) -> Result<bool, KeyringError> {
        self.open().remove(&owner);
        let destroyed = store.destroy_data_key(owner, at).await?;
        // A reader may have put it back between the two lines above.
        self.open().remove(&owner);
        Ok(destroyed)
    }

    /// Re-wraps every live data key under `old` to this keyring's key-encryption key, in
    /// pages; answers how many were re-wrapped. No event is rewritten: the data keys stay as
    /// they are. Afterwards `old` can be destroyed. Safe to run again after an interruption,
    /// and beside commands: a key destroyed meanwhile stays destroyed.
    ///
    /// # Errors
    ///
    /// [`KeyringError::Key`] when a key wrapped by neither `old` nor this keyring's key is
    /// found (it names the key-encryption key it needs), or a key does not unwrap;
    /// [`KeyringError::Store`].
    pub async fn rotate_from<S: KeyStore + ?Sized>(
        &self,
        store: &S,
        old: &dyn KeyProvider,
    ) -> Result<usize, KeyringError> {
        const PAGE: usize = 500;
        let mut rewrapped = 0;
        loop {
            let page = store.keys_to_rewrap(self.kek_id(), PAGE).await?;
            if page.is_empty() {
                return Ok(rewrapped);
            }
            for key in page {
                let owner = key.owner.to_string();
                let new = rewrap(&key.wrapped, &owner, old, self.provider.as_ref())?;
                // Lost to a destruction (or another rotation): the key is no longer listed.
                if store.rewrap_data_key(key.owner, &key.wrapped, new).await? {
                    rewrapped += 1;
                }
            }
        }
    }
}

/// The key-encryption key in the key file at `path`: read when the file exists, otherwise
/// made and written there first (the directory created if needed), readable and writable by
/// the owner only (0600 on Unix).
///
/// # Errors
///
/// [`KeyError::Unavailable`] when the file cannot be read or written, or (on Unix) is
/// readable by others than its owner; [`KeyError::Malformed`] when it does not hold 64
/// hexadecimal digits.
pub fn key_file(path: impl AsRef<Path>) -> Result<LocalKek, KeyError> {
    let path = path.as_ref();
    let unavailable = |what: &str, e: std::io::Error| {
        KeyError::Unavailable(format!("{what} the key file {}: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(hex) => {
            refuse_if_shared(path)?;
            LocalKek::from_hex(&hex).map_err(|e| match e {
                KeyError::Malformed(m) => {
                    KeyError::Malformed(format!("the key file {}: {m}", path.display()))
                }
                e => e,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| unavailable("making the folder of", e))?;
            }
            let kek = LocalKek::generate()?;
            match write_new(path, kek.to_hex().as_bytes()) {
                Ok(()) => Ok(kek),
                // Another process made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => key_file(path),
                Err(e) => Err(unavailable("writing", e)),
            }
        }
        Err(e) => Err(unavailable("reading", e)),
    }
}

/// Creates `path` (never over an existing file) with `bytes`, owner-only on Unix.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Refuses a key file others may read: it would be a copy of every person's key.
fn refuse_if_shared(path: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| KeyError::Unavailable(format!("{}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(KeyError::Unavailable(format!(
                "the key file {} may be read by others (mode {:o}): make it 0600",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let _ = path;
    Ok(())
}

/// The key-encryption key in the environment variable `var` (64 hexadecimal digits): for a
/// server, whose secret store sets it.
///
/// # Errors
///
/// [`KeyError::Unavailable`] when `var` is not set; [`KeyError::Malformed`] when it does not
/// hold 64 hexadecimal digits (the message names the variable, never its value).
pub fn key_from_env(var: &str) -> Result<LocalKek, KeyError> {
    let value = std::env::var(var).map_err(|_| {
        KeyError::Unavailable(format!(
            "the environment variable {var} (the key-encryption key) is not set"
        ))
    })?;
    LocalKek::from_hex(&value).map_err(|e| match e {
        KeyError::Malformed(m) => KeyError::Malformed(format!("{var}: {m}")),
        e => e,
    })
}

/// Where the embedded default keeps its key file: beside the database, named
/// `<database>.key`.
#[must_use]
pub fn key_file_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}
