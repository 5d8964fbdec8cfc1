//! Sealing confidential content with its owner's data key on the way to a store (R-8, R-23).
//!
//! The library's encoders serialize [`crate::kernel::confidential::Confidential`] content only
//! inside [`crate::kernel::confidential::for_storage`]. When the service also names the owner
//! and hands over their data key ([`sealing_with`]), each confidential value is written as a
//! [`Sealed`] envelope instead of its text: `{"sealed": "<base64>", "owner": "yp-…"}`, the
//! base64 of XChaCha20-Poly1305 over the value's JSON, bound to the owner
//! ([`crate::privacy::keys`]). Reading it back needs no key: the value stays sealed through
//! folding, deciding and snapshots (re-written as the same bytes), and is opened only where
//! the gate lets a person read it, inside [`opening_with`]. Once the owner's key is destroyed
//! nothing opens it again, and the events, their order and their hash chain stay as stored.
//!
//! ## Identifying details
//!
//! A young person's name, date of birth and postcode are sealed the same way, with their data
//! key, wherever a record keeps them: the registration and corrections on their record, the
//! details a referral was screened on, the snapshots of both, and the duplicate check's
//! listing ([`identifying`]). Unlike confidential content they are not behind the gate: whoever
//! may read the record sees them, so they are opened as they are read back, with the keys the
//! service hands over ([`identifying_with`]). Two things stand in for them where a store must
//! sort or find by them, stated per field:
//!
//! - **date of birth**: the duplicate check's block is keyed by a blind index
//!   ([`indexing_with`], [`crate::privacy::keys::DataKey::blind_index`]), not the date; the
//!   young person's row keeps the year of birth only;
//! - **postcode**: the district (`LS6`, the outward code, thousands of homes) is kept as it
//!   is, in the young person's row, the duplicate check's reasons and an out-of-area
//!   screening; the full postcode only sealed.
//!
//! ## Personal text
//!
//! Three visible free-text fields are about the young person: an override's concern (R-9),
//! how a missing flag was resolved (R-22), why an owed action was not sent (R-5). Whoever may
//! read their stream reads them, so they are sealed at rest and opened as they are read, like
//! the identifying details, under a context of their own ([`personal`]). Every field sealed
//! at rest is marked `x-sealed-at-rest` in its JSON Schema.

use crate::privacy::key_store::KeyOwner;
use crate::privacy::keys::{DataKey, KeyError};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// A confidential value as stored once sealed: whose key sealed it and the sealed bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// The owner's name ([`KeyOwner`]'s `Display`): the key that opens it, and the
    /// associated data it is bound to.
    owner: String,
    /// `nonce || ciphertext || tag`, in base64: kept as read and decoded only to open, since
    /// most reads fold and write sealed values back without opening them.
    sealed: String,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealed({}, {} base64 characters)",
            self.owner,
            self.sealed.len()
        )
    }
}

impl Sealed {
    /// Whose key sealed it.
    #[must_use]
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn new(owner: String, bytes: &[u8]) -> Self {
        use base64::Engine as _;
        Self {
            owner,
            sealed: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// Opens it with `key` under `kind`'s context: a value that is not base64 is refused like
    /// one edited.
    fn open_with(&self, key: &DataKey, kind: Kind) -> Result<Vec<u8>, KeyError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.sealed.as_bytes())
            .map_err(|_| KeyError::WrongKey {
                what: "a sealed value that is not base64".into(),
            })?;
        key.open(&bytes, &context(kind, &self.owner))
    }
}

/// The key in scope on this thread, and whose.
struct InScope {
    owner: String,
    key: Arc<DataKey>,
}

/// The keys identifying details are opened with as they are read: by owner, `None` for an
/// owner whose key is not at hand.
pub type IdentityKeys = Rc<dyn Fn(KeyOwner) -> Option<Arc<DataKey>>>;

thread_local! {
    static SEALING: RefCell<Option<InScope>> = const { RefCell::new(None) };
    static OPENING: RefCell<Option<InScope>> = const { RefCell::new(None) };
    static IDENTIFYING: RefCell<Option<IdentityKeys>> = const { RefCell::new(None) };
    static WANTED: RefCell<Option<KeyOwner>> = const { RefCell::new(None) };
    static INDEXING: RefCell<Option<Arc<DataKey>>> = const { RefCell::new(None) };
}

/// Puts `value` in `slot` for the life of the guard, and what was there back afterwards
/// (even on a panic).
struct Swapped<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
    previous: Option<T>,
}

impl<T: 'static> Swapped<T> {
    fn put(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>, value: Option<T>) -> Self {
        let previous = slot.with(|s| std::mem::replace(&mut *s.borrow_mut(), value));
        Self { slot, previous }
    }
}

impl<T: 'static> Drop for Swapped<T> {
    fn drop(&mut self) {
        let previous = self.previous.take();
        self.slot.with(|s| *s.borrow_mut() = previous);
    }
}

/// Runs `f` with `key` in `slot`, restoring what was there afterwards (even on a panic).
fn scoped<R>(
    slot: &'static std::thread::LocalKey<RefCell<Option<InScope>>>,
    owner: KeyOwner,
    key: Arc<DataKey>,
    f: impl FnOnce() -> R,
) -> R {
    let owner = owner.to_string();
    let _restore = Swapped::put(slot, Some(InScope { owner, key }));
    f()
}

/// Runs `encode` so that confidential content it serializes for storage is sealed with
/// `owner`'s `key`. For the service's encoders; `encode` still needs
/// [`crate::kernel::confidential::for_storage`].
pub fn sealing_with<R>(owner: KeyOwner, key: Arc<DataKey>, encode: impl FnOnce() -> R) -> R {
    scoped(&SEALING, owner, key, encode)
}

/// An owner and their data key, sealing what is encoded in its scope.
pub type Sealer = (KeyOwner, Arc<DataKey>);

/// Runs `encode` sealing with `sealer`'s key ([`sealing_with`]), when there is one.
pub fn sealed<R>(sealer: &Option<Sealer>, encode: impl FnOnce() -> R) -> R {
    match sealer {
        Some((owner, key)) => sealing_with(*owner, key.clone(), encode),
        None => encode(),
    }
}

/// Runs `read` so that sealed content of `owner` it deserializes is opened with `key`: for
/// the gate's reads, after the read is permitted and recorded (R-27).
pub fn opening_with<R>(owner: KeyOwner, key: Arc<DataKey>, read: impl FnOnce() -> R) -> R {
    scoped(&OPENING, owner, key, read)
}

/// Runs `read` so that the identifying details it deserializes ([`identifying`]) are opened
/// with `keys`. Answers what `read` gave and, when it met details sealed for an owner `keys`
/// has no key for (and failed on them), that owner: the caller fetches their key and reads
/// again, or reports the failure (a key destroyed, R-23).
pub fn identifying_with<R>(keys: IdentityKeys, read: impl FnOnce() -> R) -> (R, Option<KeyOwner>) {
    let _keys = Swapped::put(&IDENTIFYING, Some(keys));
    let _wanted = Swapped::put(&WANTED, None);
    let out = read();
    (out, WANTED.with(|w| w.borrow_mut().take()))
}

/// Runs `f` so that the blind indexes it computes ([`blind_index_in_scope`]) are keyed with
/// `key` (the service's [`KeyOwner::IdentityIndex`] key).
pub fn indexing_with<R>(key: Arc<DataKey>, f: impl FnOnce() -> R) -> R {
    let _restore = Swapped::put(&INDEXING, Some(key));
    f()
}

/// The blind index of `value` for `purpose` with the key in scope ([`indexing_with`]); `None`
/// outside one (a service that seals nothing keys by the value itself).
pub(crate) fn blind_index_in_scope(purpose: &str, value: &str) -> Option<String> {
    INDEXING.with(|k| {
        k.borrow()
            .as_ref()
            .map(|key| key.blind_index(purpose, value))
    })
}

/// What a sealed value is bound to: its kind and its owner, so a value cannot be moved to
/// another owner's record, nor a confidential note passed off as a name.
fn context(kind: Kind, owner: &str) -> Vec<u8> {
    let kind = match kind {
        Kind::Confidential => "confidential",
        Kind::Identifying => "identifying",
        Kind::Personal => "personal",
    };
    format!("casework {kind}\0{owner}").into_bytes()
}

/// What a sealed value holds.
#[derive(Clone, Copy)]
enum Kind {
    /// Confidential content ([`crate::kernel::confidential`]).
    Confidential,
    /// A young person's identifying details ([`identifying`]).
    Identifying,
    /// Free text about the young person that the record's readers see ([`personal`]).
    Personal,
}

impl Kind {
    /// What a value of this kind is, for errors.
    fn what(self) -> &'static str {
        match self {
            Kind::Confidential => "confidential content",
            Kind::Identifying => "identifying details",
            Kind::Personal => "personal text",
        }
    }
}

/// Whether a key to seal with is in scope on this thread.
pub(crate) fn sealing_in_scope() -> bool {
    SEALING.with(|s| s.borrow().is_some())
}

/// Seals `plaintext` (a value's JSON) with the key in scope; `None` when no key is in scope
/// (a service that seals nothing).
pub(crate) fn seal_in_scope(plaintext: &[u8]) -> Option<Result<Sealed, KeyError>> {
    seal_as(Kind::Confidential, plaintext)
}

fn seal_as(kind: Kind, plaintext: &[u8]) -> Option<Result<Sealed, KeyError>> {
    SEALING.with(|s| {
        s.borrow().as_ref().map(|scope| {
            Ok(Sealed::new(
                scope.owner.clone(),
                &scope.key.seal(plaintext, &context(kind, &scope.owner))?,
            ))
        })
    })
}

/// Opens `sealed` with the key in scope, if it is its owner's; `None` when no key of that
/// owner is in scope (outside the gate, or the key was destroyed).
pub(crate) fn open_in_scope(sealed: &Sealed) -> Option<Result<Vec<u8>, KeyError>> {
    OPENING.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|scope| scope.owner == sealed.owner)
            .map(|scope| sealed.open_with(&scope.key, Kind::Confidential))
    })
}

/// Opens a value sealed as `kind` (identifying details, personal text): with the gate's key
/// when it is their owner's, otherwise with the keys handed over ([`identifying_with`]). An
/// owner with no key at hand is noted as wanted and refused.
fn open_at_rest(sealed: &Sealed, kind: Kind) -> Result<Vec<u8>, String> {
    sealed
        .open_with(&*identifying_key(sealed)?, kind)
        .map_err(|e| format!("{} of {}: {e}", kind.what(), sealed.owner))
}

/// The key to open `sealed`'s owner's identifying details with: the gate's when it is their
/// owner's, otherwise one of the keys handed over; an owner with none is noted as wanted.
fn identifying_key(sealed: &Sealed) -> Result<Arc<DataKey>, String> {
    let gate = OPENING.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|scope| scope.owner == sealed.owner)
            .map(|scope| scope.key.clone())
    });
    let owner = KeyOwner::parse(&sealed.owner);
    let key = gate.or_else(|| {
        let keys = IDENTIFYING.with(|k| k.borrow().clone())?;
        keys(owner?)
    });
    key.ok_or_else(|| {
        if let Some(owner) = owner {
            WANTED.with(|w| {
                w.borrow_mut().get_or_insert(owner);
            });
        }
        format!(
            "the identifying details and personal text of {} are sealed and their data key is \
             not at hand (destroyed, or not handed to the reader)",
            sealed.owner
        )
    })
}

/// Replaces each envelope of identifying details or personal text in `value` with what it
/// seals, opened with the keys in scope ([`identifying_with`]), and leaves confidential
/// content sealed: for the anonymisation walk, which coarsens the details, replaces the text
/// and writes both as they are before the key is destroyed (R-23), so the record still reads
/// afterwards.
///
/// # Errors
///
/// An envelope whose owner's key is not at hand (noted as wanted, as for a read), or one that
/// opens to something other than JSON.
pub fn open_identifying_in(value: &mut serde_json::Value) -> Result<(), String> {
    if is_envelope(value) {
        let Ok(sealed) = Sealed::deserialize(&*value) else {
            return Ok(());
        };
        let key = identifying_key(&sealed)?;
        // A confidential value opens under neither context: it stays sealed.
        let opened = [Kind::Identifying, Kind::Personal]
            .into_iter()
            .find_map(|kind| sealed.open_with(&key, kind).ok().map(|json| (kind, json)));
        if let Some((kind, json)) = opened {
            *value = serde_json::from_slice(&json)
                .map_err(|e| format!("{} of {}: {e}", kind.what(), sealed.owner))?;
        }
        return Ok(());
    }
    match value {
        serde_json::Value::Object(map) => map.values_mut().try_for_each(open_identifying_in),
        serde_json::Value::Array(items) => items.iter_mut().try_for_each(open_identifying_in),
        _ => Ok(()),
    }
}

/// Whether `value` is a stored [`Sealed`] envelope rather than a value written as it is.
pub(crate) fn is_envelope(value: &serde_json::Value) -> bool {
    value
        .get("sealed")
        .is_some_and(serde_json::Value::is_string)
}

/// Serde for a young person's identifying details (`#[serde(with = …)]` on the fields that
/// hold them), see the module docs. Written for storage with a key in scope they are a
/// [`Sealed`] envelope; anywhere else (a screen's JSON, a service that seals nothing) as they
/// are. Read back, an envelope is opened ([`identifying_with`]) and one written as it is is
/// read as it is, so records written before sealing still read.
pub mod identifying {
    use super::Kind;
    use serde::de::DeserializeOwned;
    use serde::{Deserializer, Serialize, Serializer};

    /// Writes `value`: sealed when stored with a key in scope.
    ///
    /// # Errors
    ///
    /// The serializer's, or a key failure (no random nonce).
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::serialize_at_rest(Kind::Identifying, value, serializer)
    }

    /// Reads a value written by [`serialize`], opening it when sealed.
    ///
    /// # Errors
    ///
    /// The value's own; for an envelope, no key at hand for its owner, or one that does not
    /// open it (a wrong key, edited bytes): never garbage.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        super::deserialize_at_rest(Kind::Identifying, deserializer)
    }
}

/// Serde for free text that whoever may read a record sees, but that is about the young
/// person and so is sealed at rest with their data key, like the identifying details: an
/// override's concern (R-9, read in the override report), how a missing flag was resolved
/// (R-22), why an owed action was not sent (R-5). Opened as the record is read
/// ([`identifying_with`]); at erasure the anonymisation walk opens it and replaces it with its
/// marker before the key is destroyed (R-23), so the record still reads. Sealed under a context
/// of its own: it cannot pass for a name, nor a note for it.
pub mod personal {
    use super::Kind;
    use serde::de::DeserializeOwned;
    use serde::{Deserializer, Serialize, Serializer};

    /// Writes `value`: sealed when stored with a key in scope.
    ///
    /// # Errors
    ///
    /// The serializer's, or a key failure (no random nonce).
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::serialize_at_rest(Kind::Personal, value, serializer)
    }

    /// Reads a value written by [`serialize`], opening it when sealed.
    ///
    /// # Errors
    ///
    /// The value's own; for an envelope, no key at hand for its owner, or one that does not
    /// open it (a wrong key, edited bytes): never garbage.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        super::deserialize_at_rest(Kind::Personal, deserializer)
    }
}

/// Writes a value read by whoever may read its record: sealed as `kind` when stored with a key
/// in scope, as it is anywhere else. Nothing (`null`: a flag not yet resolved) is written as it
/// is: there is nothing to seal, and every load would open it.
fn serialize_at_rest<T: Serialize, S: serde::Serializer>(
    kind: Kind,
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    if !(crate::kernel::confidential::in_storage() && sealing_in_scope()) {
        return value.serialize(serializer);
    }
    let json = serde_json::to_vec(value).map_err(S::Error::custom)?;
    if json == b"null" {
        return serializer.serialize_unit();
    }
    match seal_as(kind, &json) {
        Some(sealed) => sealed.map_err(S::Error::custom)?.serialize(serializer),
        None => value.serialize(serializer),
    }
}

/// Reads a value written by [`serialize_at_rest`], opening it as `kind` when sealed.
fn deserialize_at_rest<'de, T: serde::de::DeserializeOwned, D: serde::Deserializer<'de>>(
    kind: Kind,
    deserializer: D,
) -> Result<T, D::Error> {
    use serde::de::Error as _;
    let value = serde_json::Value::deserialize(deserializer)?;
    if !is_envelope(&value) {
        return T::deserialize(value).map_err(D::Error::custom);
    }
    let sealed = Sealed::deserialize(value).map_err(D::Error::custom)?;
    let json = open_at_rest(&sealed, kind).map_err(D::Error::custom)?;
    serde_json::from_slice(&json).map_err(|e| {
        D::Error::custom(format!(
            "sealed {} opened to something else: {e}",
            kind.what()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::YoungPersonId;

    #[test]
    fn a_value_seals_in_scope_and_opens_only_for_its_owner() {
        let owner = KeyOwner::YoungPerson(YoungPersonId::new());
        let other = KeyOwner::YoungPerson(YoungPersonId::new());
        let key = Arc::new(DataKey::generate().unwrap());
        assert!(
            seal_in_scope(b"x").is_none(),
            "nothing is sealed outside a scope"
        );
        let sealed = sealing_with(owner, key.clone(), || seal_in_scope(b"\"note\""))
            .unwrap()
            .unwrap();
        assert_eq!(sealed.owner(), owner.to_string());
        assert!(
            seal_in_scope(b"x").is_none(),
            "the scope ends with the call"
        );
        assert!(open_in_scope(&sealed).is_none(), "no key, nothing opened");
        assert_eq!(
            opening_with(owner, key.clone(), || open_in_scope(&sealed))
                .unwrap()
                .unwrap(),
            b"\"note\""
        );
        assert!(
            opening_with(other, key.clone(), || open_in_scope(&sealed)).is_none(),
            "another owner's key in scope opens nothing of this owner's"
        );
        // Relabelled to another owner, the bound context no longer matches.
        let moved = Sealed {
            owner: other.to_string(),
            ..sealed.clone()
        };
        assert!(matches!(
            opening_with(other, key, || open_in_scope(&moved)),
            Some(Err(KeyError::WrongKey { .. }))
        ));
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(json.starts_with("{\"owner\":\"yp-"), "{json}");
        assert_eq!(serde_json::from_str::<Sealed>(&json).unwrap(), sealed);
    }

    /// A field sealed as identifying details, as the events and listings carry them.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Held {
        #[serde(with = "identifying")]
        name: String,
    }

    #[test]
    fn identifying_details_seal_for_storage_and_open_with_the_keys_handed_over() {
        use crate::kernel::confidential::for_storage;
        let owner = KeyOwner::YoungPerson(YoungPersonId::new());
        let key = Arc::new(DataKey::generate().unwrap());
        let held = Held {
            name: "Fictional Name".into(),
        };
        assert_eq!(
            serde_json::to_string(&held).unwrap(),
            r#"{"name":"Fictional Name"}"#,
            "outside storage (a screen's JSON) the details are as they are"
        );
        let stored = sealing_with(owner, key.clone(), || {
            for_storage(|| serde_json::to_string(&held).unwrap())
        });
        assert!(!stored.contains("Fictional"), "{stored}");
        assert!(stored.contains(&owner.to_string()), "{stored}");

        // No key at hand: refused, naming whose, and the owner is wanted.
        let keys: IdentityKeys = Rc::new(|_| None);
        let (read, wanted) = identifying_with(keys, || serde_json::from_str::<Held>(&stored));
        let message = read.unwrap_err().to_string();
        assert!(message.contains("not at hand") && message.contains(&owner.to_string()));
        assert_eq!(wanted, Some(owner));

        // The owner's key handed over: opened, nothing wanted.
        let given = key.clone();
        let keys: IdentityKeys = Rc::new(move |o| (o == owner).then(|| given.clone()));
        let (read, wanted) = identifying_with(keys, || serde_json::from_str::<Held>(&stored));
        assert_eq!(read.unwrap(), held);
        assert_eq!(wanted, None);

        // The gate's opening scope opens them too; a plain value still reads.
        let read = opening_with(owner, key.clone(), || serde_json::from_str::<Held>(&stored));
        assert_eq!(read.unwrap(), held);
        assert_eq!(
            serde_json::from_str::<Held>(r#"{"name":"Fictional Name"}"#).unwrap(),
            held
        );

        // Bound to their kind: a confidential value sealed with the same key does not open
        // as details, and the anonymisation walk leaves it sealed while it opens the details.
        let note = sealing_with(owner, key.clone(), || {
            seal_in_scope(b"\"note\"").unwrap().unwrap()
        });
        let mut value = serde_json::json!({ "name": serde_json::to_value(&note).unwrap() });
        let keys: IdentityKeys = {
            let key = key.clone();
            Rc::new(move |_| Some(key.clone()))
        };
        let (read, _) = identifying_with(keys.clone(), || {
            serde_json::from_value::<Held>(value.clone())
        });
        assert!(read.is_err(), "a note does not open as a name");
        let (walked, _) = identifying_with(keys.clone(), || open_identifying_in(&mut value));
        walked.unwrap();
        assert!(
            is_envelope(&value["name"]),
            "the note stays sealed: {value}"
        );
        let mut value: serde_json::Value = serde_json::from_str(&stored).unwrap();
        let (walked, _) = identifying_with(keys, || open_identifying_in(&mut value));
        walked.unwrap();
        assert_eq!(value, serde_json::json!({ "name": "Fictional Name" }));
    }

    #[test]
    fn a_blind_index_is_computed_only_with_the_index_key_in_scope() {
        let key = Arc::new(DataKey::generate().unwrap());
        assert_eq!(blind_index_in_scope("date_of_birth", "2011-05-04"), None);
        let index = indexing_with(key.clone(), || {
            blind_index_in_scope("date_of_birth", "2011-05-04")
        });
        assert_eq!(index, Some(key.blind_index("date_of_birth", "2011-05-04")));
        assert_eq!(
            blind_index_in_scope("date_of_birth", "2011-05-04"),
            None,
            "the scope ends"
        );
    }

    #[test]
    fn scopes_nest_and_restore() {
        let a = KeyOwner::YoungPerson(YoungPersonId::new());
        let b = KeyOwner::YoungPerson(YoungPersonId::new());
        let key = Arc::new(DataKey::generate().unwrap());
        sealing_with(a, key.clone(), || {
            let inner = sealing_with(b, key.clone(), || seal_in_scope(b"1").unwrap().unwrap());
            assert_eq!(inner.owner(), b.to_string());
            let outer = seal_in_scope(b"1").unwrap().unwrap();
            assert_eq!(outer.owner(), a.to_string(), "the outer scope is back");
        });
    }
}
