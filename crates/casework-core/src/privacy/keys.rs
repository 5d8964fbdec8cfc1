//! Data keys: what encryption at rest and erasure by key destruction are built on (R-8, R-23).
//!
//! Each young person's confidential content and identifying details are sealed, before they
//! reach a store, with that person's **data key**: 32 random bytes, used with
//! XChaCha20-Poly1305 (RustCrypto's audited `chacha20poly1305`; a 24-byte random nonce per
//! value, so nonces never need counting). A data key is never stored as it is: a
//! [`KeyProvider`] holding the service's **key-encryption key** wraps it, and the store keeps
//! only the [`WrappedKey`]. Erasing a person (R-23) destroys their wrapped key; rotating the
//! key-encryption key afterwards re-wraps every other person's key under a new one and retires
//! the old, so a copy of the destroyed wrapped key left in a backup, a WAL or a replica opens
//! nothing either. Rotation re-wraps data keys only; no event is rewritten.
//!
//! Every sealed value is bound to what it belongs to (its `context`: the owner's name and the
//! use, e.g. `yp-…/note`): opening it under another context fails, so a value cannot be moved
//! from one person's record to another's. A wrong key, a wrong key-encryption key or an edited
//! value is always [`KeyError`], never garbage.
//!
//! ```
//! use casework_core::privacy::keys::{DataKey, KeyProvider, LocalKek};
//!
//! let kek = LocalKek::generate().unwrap();
//! let key = DataKey::generate().unwrap();
//! let sealed = key.seal(b"fictional note", b"yp-1/note").unwrap();
//! assert_eq!(key.open(&sealed, b"yp-1/note").unwrap(), b"fictional note");
//! assert!(key.open(&sealed, b"yp-2/note").is_err(), "bound to its owner");
//!
//! let wrapped = kek.wrap(&key, "yp-1").unwrap();
//! let unwrapped = kek.unwrap(&wrapped, "yp-1").unwrap();
//! assert_eq!(unwrapped.open(&sealed, b"yp-1/note").unwrap(), b"fictional note");
//! ```

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::fmt;
use thiserror::Error;
use zeroize::Zeroizing;

/// The length of a key, data or key-encryption, in bytes.
pub const KEY_LEN: usize = 32;
/// The length of a nonce (XChaCha20) in bytes; it leads every sealed value.
pub const NONCE_LEN: usize = 24;
/// The length of the authentication tag (Poly1305) that ends every sealed value.
pub const TAG_LEN: usize = 16;

/// Why a key could not be made, wrapped, unwrapped, or a value sealed or opened.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The operating system gave no random bytes.
    #[error("no random bytes from the operating system: {0}")]
    NoRandomness(String),
    /// A sealed value or wrapped key does not open with this key in this context: the wrong
    /// key (or key-encryption key), another owner's value, or bytes edited since sealing.
    #[error(
        "{what} does not open with this key: the wrong key, another owner's value, or edited bytes"
    )]
    WrongKey {
        /// What was being opened (`a sealed value`, `the data key of yp-…`).
        what: String,
    },
    /// A wrapped key names a key-encryption key this provider does not hold.
    #[error("the data key of {owner} is wrapped by key-encryption key `{wrapped_by}`, not by `{provider}`: configure that key (or rotate with both)")]
    OtherKek {
        /// Whose data key.
        owner: String,
        /// The key-encryption key that wrapped it.
        wrapped_by: String,
        /// The key-encryption key this provider holds.
        provider: String,
    },
    /// Key material is malformed (the wrong length, not hex, …).
    #[error("malformed key material: {0}")]
    Malformed(String),
    /// The key-encryption key could not be read or created (a key file, an environment
    /// secret, a KMS).
    #[error("key-encryption key unavailable: {0}")]
    Unavailable(String),
}

/// Fills `buf` from the operating system's random source.
fn random(buf: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(buf).map_err(|e| KeyError::NoRandomness(e.to_string()))
}

/// 32 secret bytes with an AEAD on them: the one place that seals and opens.
struct Secret(Zeroizing<[u8; KEY_LEN]>);

impl Secret {
    fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        random(bytes.as_mut_slice())?;
        Ok(Self(bytes))
    }

    fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            KeyError::Malformed(format!("a key is {KEY_LEN} bytes, not {}", bytes.len()))
        })?;
        Ok(Self(Zeroizing::new(array)))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_slice().into())
    }

    /// `nonce || ciphertext || tag`.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        random(&mut nonce)?;
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            // Encryption fails only on inputs beyond 256 GiB.
            .map_err(|_| KeyError::Malformed("a value too long to seal".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(&self, sealed: &[u8], context: &[u8], what: &str) -> Result<Vec<u8>, KeyError> {
        let wrong = || KeyError::WrongKey { what: what.into() };
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(wrong());
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .map_err(|_| wrong())
    }
}

/// One owner's data key, unwrapped, in memory only. It has no `Debug` content, no
/// serialization and no `Clone`: it leaves memory only wrapped ([`KeyProvider::wrap`]), and
/// its bytes are wiped when it is dropped.
pub struct DataKey(Secret);

impl DataKey {
    /// A fresh random key.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoRandomness`] when the operating system gives no random bytes.
    pub fn generate() -> Result<Self, KeyError> {
        Secret::generate().map(Self)
    }

    /// Seals `plaintext`, bound to `context` (its owner and use): `nonce || ciphertext ||
    /// tag`, [`NONCE_LEN`] + `plaintext.len()` + [`TAG_LEN`] bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoRandomness`] when no nonce can be drawn.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.0.seal(plaintext, context)
    }

    /// Opens a value [`DataKey::seal`] made under the same `context`.
    ///
    /// # Errors
    ///
    /// [`KeyError::WrongKey`] when it was sealed with another key or context, or edited.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.0.open(sealed, context, "a sealed value")
    }

    /// A blind index of `value` for `purpose`: HMAC-SHA-256 under this key over `purpose`,
    /// a NUL and `value`, its first 16 bytes in lowercase hex. The same value gives the same
    /// index, so a store can find rows by it; without the key nobody can compute one, so a
    /// copy of the store does not tell whose date of birth a row is keyed by, even though
    /// there are few dates (R-26: the duplicate check's block,
    /// [`crate::young_person::duplicates::block_key`]).
    #[must_use]
    pub fn blind_index(&self, purpose: &str, value: &str) -> String {
        use hmac::{Hmac, Mac as _};
        let mut mac =
            <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(self.0 .0.as_slice())
                .expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let tag = mac.finalize().into_bytes();
        tag[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([secret])")
    }
}

/// A data key as a store keeps it: sealed by a key-encryption key, naming which.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The key-encryption key that wrapped it ([`KeyProvider::kek_id`]).
    pub kek_id: String,
    /// The sealed key: `nonce || ciphertext || tag`, bound to its owner.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey({}, {} bytes)", self.kek_id, self.bytes.len())
    }
}

/// Holds the key-encryption key: wraps and unwraps data keys, and never gives the key out.
///
/// The library ships [`LocalKek`] (a key held in the process: from a key file for the
/// embedded default, or an environment secret on a server). A KMS or HSM implements this
/// trait by calling out to it; `owner` should be passed on as the encryption context, so the
/// KMS's own audit log names whose key was opened.
pub trait KeyProvider: Send + Sync {
    /// The key-encryption key's stable name, stored beside every key it wraps, so a rotation
    /// knows which keys still need re-wrapping and a misconfigured server says which key it
    /// lacks.
    fn kek_id(&self) -> &str;

    /// Wraps `key` for `owner` (the owner's stable name, e.g. `yp-…`).
    ///
    /// # Errors
    ///
    /// [`KeyError::NoRandomness`] or [`KeyError::Unavailable`] (a KMS not reached).
    fn wrap(&self, key: &DataKey, owner: &str) -> Result<WrappedKey, KeyError>;

    /// Unwraps `owner`'s key.
    ///
    /// # Errors
    ///
    /// [`KeyError::OtherKek`] when another key-encryption key wrapped it;
    /// [`KeyError::WrongKey`] when it does not open (the wrong key under the right name, or
    /// another owner's wrapped key); [`KeyError::Unavailable`] (a KMS not reached).
    fn unwrap(&self, wrapped: &WrappedKey, owner: &str) -> Result<DataKey, KeyError>;
}

/// Re-wraps `owner`'s data key from the key-encryption key `from` to `to` (a rotation step):
/// the data key, and so every event sealed with it, stays as it is.
///
/// # Errors
///
/// Whatever [`KeyProvider::unwrap`] on `from` or [`KeyProvider::wrap`] on `to` returns.
pub fn rewrap(
    wrapped: &WrappedKey,
    owner: &str,
    from: &dyn KeyProvider,
    to: &dyn KeyProvider,
) -> Result<WrappedKey, KeyError> {
    to.wrap(&from.unwrap(wrapped, owner)?, owner)
}

/// A key-encryption key held in the process (see the module docs for where it comes from).
///
/// Its name ([`KeyProvider::kek_id`]) is `kek-` and the first 16 hexadecimal digits of the
/// key's SHA-256: stable, the same wherever the key is configured, and no help in guessing it.
pub struct LocalKek {
    id: String,
    key: Secret,
}

impl LocalKek {
    fn of(key: Secret) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.0.as_slice());
        let id = digest[..8].iter().fold(String::from("kek-"), |mut id, b| {
            id.push_str(&format!("{b:02x}"));
            id
        });
        Self { id, key }
    }

    /// A fresh random key.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoRandomness`].
    pub fn generate() -> Result<Self, KeyError> {
        Secret::generate().map(Self::of)
    }

    /// The key from its 64 hexadecimal digits (as a key file or an environment secret holds
    /// it; surrounding white space ignored).
    ///
    /// # Errors
    ///
    /// [`KeyError::Malformed`] when `hex` is not 64 hexadecimal digits (the message never
    /// repeats the digits).
    pub fn from_hex(hex: &str) -> Result<Self, KeyError> {
        let hex = hex.trim();
        let malformed = || {
            KeyError::Malformed(format!(
                "a key-encryption key is {} hexadecimal digits",
                KEY_LEN * 2
            ))
        };
        if hex.len() != KEY_LEN * 2 || !hex.is_ascii() {
            return Err(malformed());
        }
        let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(
            (0..KEY_LEN)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| malformed()))
                .collect::<Result<_, _>>()?,
        );
        Secret::from_slice(&bytes).map(Self::of)
    }

    /// The key as 64 hexadecimal digits, for writing a new key file. Wiped when dropped.
    #[must_use]
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut hex = Zeroizing::new(String::with_capacity(KEY_LEN * 2));
        for byte in self.key.0.iter() {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }
}

impl fmt::Debug for LocalKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalKek({}, [secret])", self.id)
    }
}

/// What a wrapped key is bound to: whose it is and which key-encryption key wrapped it.
fn wrap_context(owner: &str, kek_id: &str) -> Vec<u8> {
    format!("casework data key\0{owner}\0{kek_id}").into_bytes()
}

impl KeyProvider for LocalKek {
    fn kek_id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, key: &DataKey, owner: &str) -> Result<WrappedKey, KeyError> {
        Ok(WrappedKey {
            kek_id: self.id.clone(),
            bytes: self
                .key
                .seal(key.0 .0.as_slice(), &wrap_context(owner, &self.id))?,
        })
    }

    fn unwrap(&self, wrapped: &WrappedKey, owner: &str) -> Result<DataKey, KeyError> {
        if wrapped.kek_id != self.id {
            return Err(KeyError::OtherKek {
                owner: owner.into(),
                wrapped_by: wrapped.kek_id.clone(),
                provider: self.id.clone(),
            });
        }
        let bytes = Zeroizing::new(self.key.open(
            &wrapped.bytes,
            &wrap_context(owner, &self.id),
            &format!("the data key of {owner}"),
        )?);
        Secret::from_slice(&bytes).map(DataKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let key = DataKey::generate().unwrap();
        let other = DataKey::generate().unwrap();
        let sealed = key
            .seal(b"Fictional note: met at the bus station", b"yp-a/note")
            .unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + 38 + TAG_LEN);
        assert!(
            !sealed.windows(11).any(|w| w == b"bus station"),
            "the plaintext is not in the sealed bytes"
        );
        assert_eq!(
            key.open(&sealed, b"yp-a/note").unwrap(),
            b"Fictional note: met at the bus station"
        );
        for (k, ctx) in [
            (&other, &b"yp-a/note"[..]),
            (&key, b"yp-b/note"),
            (&key, b"yp-a/plan"),
        ] {
            assert_eq!(
                k.open(&sealed, ctx),
                Err(KeyError::WrongKey {
                    what: "a sealed value".into()
                })
            );
        }
        // Any edited byte (nonce, body or tag) is refused, never opened to garbage.
        for i in [0, NONCE_LEN, sealed.len() - 1] {
            let mut edited = sealed.clone();
            edited[i] ^= 1;
            assert!(key.open(&edited, b"yp-a/note").is_err(), "byte {i} edited");
        }
        assert!(key
            .open(&sealed[..NONCE_LEN + TAG_LEN - 1], b"yp-a/note")
            .is_err());
    }

    #[test]
    fn a_blind_index_is_keyed_stable_and_bound_to_its_purpose() {
        let key = DataKey::generate().unwrap();
        let other = DataKey::generate().unwrap();
        let index = key.blind_index("date_of_birth", "2011-05-04");
        assert_eq!(index.len(), 32, "{index}");
        assert!(index
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(
            index,
            key.blind_index("date_of_birth", "2011-05-04"),
            "stable"
        );
        assert_ne!(index, key.blind_index("date_of_birth", "2011-04-05"));
        assert_ne!(
            index,
            key.blind_index("postcode", "2011-05-04"),
            "bound to its purpose"
        );
        assert_ne!(
            index,
            other.blind_index("date_of_birth", "2011-05-04"),
            "keyed"
        );
        assert!(!index.contains("2011"));
    }

    #[test]
    fn the_blind_index_is_hmac_sha256() {
        // RFC 4231 test case 2 ("Jefe"), through the same MAC, keyed by a 32-byte key: the
        // construction is the standard one, not our own.
        use hmac::{Hmac, Mac as _};
        let mut mac =
            <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let key = DataKey(Secret(Zeroizing::new([0x0b; KEY_LEN])));
        let mut mac =
            <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(&[0x0b; KEY_LEN])
                .unwrap();
        mac.update(b"p\0v");
        let expected: String = mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(key.blind_index("p", "v"), expected);
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let key = DataKey::generate().unwrap();
        assert_ne!(
            key.seal(b"same", b"c").unwrap(),
            key.seal(b"same", b"c").unwrap()
        );
    }

    #[test]
    fn a_wrapped_key_unwraps_only_with_its_kek_for_its_owner() {
        let kek = LocalKek::generate().unwrap();
        let impostor = LocalKek::generate().unwrap();
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(b"x", b"ctx").unwrap();
        let wrapped = kek.wrap(&key, "yp-a").unwrap();
        assert_eq!(wrapped.kek_id, kek.kek_id());
        assert!(kek.kek_id().starts_with("kek-") && kek.kek_id().len() == 20);
        assert_eq!(wrapped.bytes.len(), NONCE_LEN + KEY_LEN + TAG_LEN);
        let back = kek.unwrap(&wrapped, "yp-a").unwrap();
        assert_eq!(back.open(&sealed, b"ctx").unwrap(), b"x");
        // Another key, even under the same name: a clear error, never a wrong key.
        let renamed = WrappedKey {
            kek_id: impostor.kek_id().into(),
            ..wrapped.clone()
        };
        assert_eq!(
            impostor.unwrap(&renamed, "yp-a").unwrap_err(),
            KeyError::WrongKey {
                what: "the data key of yp-a".into()
            }
        );
        assert!(matches!(
            kek.unwrap(&wrapped, "yp-b"),
            Err(KeyError::WrongKey { .. })
        ));
        assert_eq!(
            impostor.unwrap(&wrapped, "yp-a").unwrap_err(),
            KeyError::OtherKek {
                owner: "yp-a".into(),
                wrapped_by: kek.kek_id().into(),
                provider: impostor.kek_id().into()
            }
        );
    }

    #[test]
    fn rotation_rewraps_the_same_data_key() {
        let old = LocalKek::generate().unwrap();
        let new = LocalKek::generate().unwrap();
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(b"kept", b"ctx").unwrap();
        let wrapped = old.wrap(&key, "yp-a").unwrap();
        let rotated = rewrap(&wrapped, "yp-a", &old, &new).unwrap();
        assert_eq!(rotated.kek_id, new.kek_id());
        assert_eq!(
            new.unwrap(&rotated, "yp-a")
                .unwrap()
                .open(&sealed, b"ctx")
                .unwrap(),
            b"kept",
            "what was sealed before the rotation opens after it"
        );
        assert!(old.unwrap(&rotated, "yp-a").is_err());
    }

    #[test]
    fn kek_hex_round_trips_and_refuses_malformed_digits() {
        let kek = LocalKek::generate().unwrap();
        let again = LocalKek::from_hex(&format!("  {}\n", kek.to_hex().as_str())).unwrap();
        assert_eq!(again.kek_id(), kek.kek_id(), "the name follows the key");
        let key = DataKey::generate().unwrap();
        let wrapped = kek.wrap(&key, "o").unwrap();
        assert!(again.unwrap(&wrapped, "o").is_ok());
        for bad in ["", "00", &"g".repeat(64), &"0".repeat(63), &"é".repeat(32)] {
            assert!(
                matches!(LocalKek::from_hex(bad), Err(KeyError::Malformed(m)) if !m.contains(bad) || bad.is_empty()),
                "{bad:?}"
            );
        }
        assert!(!format!("{kek:?}").contains(kek.to_hex().as_str()));
    }
}
