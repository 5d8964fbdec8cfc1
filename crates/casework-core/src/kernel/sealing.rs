//! Sealing confidential content with its owner's data key on the way to a store.
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

use crate::privacy::key_store::KeyOwner;
use crate::privacy::keys::{DataKey, KeyError};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// A confidential value as stored once sealed: whose key sealed it and the sealed bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// The owner's name ([`KeyOwner`]'s `Display`): the key that opens it, and the
    /// associated data it is bound to.
    owner: String,
    /// `nonce || ciphertext || tag`, in base64.
    #[serde(with = "base64_bytes")]
    sealed: Vec<u8>,
}

impl Sealed {
    /// Whose key sealed it.
    #[must_use]
    pub fn owner(&self) -> &str {
        &self.owner
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({}, {} bytes)", self.owner, self.sealed.len())
    }
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("a sealed value that is not base64"))
    }
}

/// The key in scope on this thread, and whose.
struct InScope {
    owner: String,
    key: Arc<DataKey>,
}

thread_local! {
    static SEALING: RefCell<Option<InScope>> = const { RefCell::new(None) };
    static OPENING: RefCell<Option<InScope>> = const { RefCell::new(None) };
}

/// Runs `f` with `key` in `slot`, restoring what was there afterwards (even on a panic).
fn scoped<R>(
    slot: &'static std::thread::LocalKey<RefCell<Option<InScope>>>,
    owner: KeyOwner,
    key: Arc<DataKey>,
    f: impl FnOnce() -> R,
) -> R {
    struct Restore(
        &'static std::thread::LocalKey<RefCell<Option<InScope>>>,
        Option<InScope>,
    );
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.1.take();
            self.0.with(|s| *s.borrow_mut() = previous);
        }
    }
    let previous = slot.with(|s| {
        s.borrow_mut().replace(InScope {
            owner: owner.to_string(),
            key,
        })
    });
    let _restore = Restore(slot, previous);
    f()
}

/// Runs `encode` so that confidential content it serializes for storage is sealed with
/// `owner`'s `key`. For the service's encoders; `encode` still needs
/// [`crate::kernel::confidential::for_storage`].
pub fn sealing_with<R>(owner: KeyOwner, key: Arc<DataKey>, encode: impl FnOnce() -> R) -> R {
    scoped(&SEALING, owner, key, encode)
}

/// Runs `read` so that sealed content of `owner` it deserializes is opened with `key`: for
/// the gate's reads, after the read is permitted and recorded.
pub fn opening_with<R>(owner: KeyOwner, key: Arc<DataKey>, read: impl FnOnce() -> R) -> R {
    scoped(&OPENING, owner, key, read)
}

/// What a sealed value is bound to.
fn context(owner: &str) -> Vec<u8> {
    format!("casework confidential\0{owner}").into_bytes()
}

/// Whether a key to seal with is in scope on this thread.
pub(crate) fn sealing_in_scope() -> bool {
    SEALING.with(|s| s.borrow().is_some())
}

/// Seals `plaintext` (a value's JSON) with the key in scope; `None` when no key is in scope
/// (a service that seals nothing).
pub(crate) fn seal_in_scope(plaintext: &[u8]) -> Option<Result<Sealed, KeyError>> {
    SEALING.with(|s| {
        s.borrow().as_ref().map(|scope| {
            Ok(Sealed {
                owner: scope.owner.clone(),
                sealed: scope.key.seal(plaintext, &context(&scope.owner))?,
            })
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
            .map(|scope| scope.key.open(&sealed.sealed, &context(&sealed.owner)))
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
