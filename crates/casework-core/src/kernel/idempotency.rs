//! Idempotency keys: a command retried after a timeout returns its first result and appends
//! nothing.
//!
//! A front end that sends a command and hears nothing back (a timeout, a dropped connection)
//! cannot know whether it was carried out. Retrying blindly could record a session twice or
//! open a second case for one referral; not retrying could lose it. So the client names each
//! request it may retry with a key of its own choosing (over HTTP the `Idempotency-Key`
//! header) and sends the same key with every retry of that request:
//!
//! - The **first** call with a key is decided and appended as usual, and the store records
//!   the key with the events, **in the same transaction** ([`Idempotency`] on
//!   [`AppendRequest`](crate::store::AppendRequest)): the key is recorded if and only if the
//!   events are. A key is kept with the events it produced, so it survives a restart.
//! - A **retry** (same key, same request) finds the key
//!   ([`EventLoad::idempotent_append`](crate::store::EventLoad::idempotent_append)) and gets
//!   the first call's result back, rebuilt from the stored stream up to the version the first
//!   call reached ([`IdempotentAppend`]): nothing is decided and nothing appended, whatever
//!   happened to the stream since.
//! - A key **reused for a different request** (another body, another case) is refused with
//!   [`KeyReused`] and writes nothing: replaying the first result would answer a question
//!   that was not asked.
//! - Two calls with the same key **at the same moment** both miss the key; the store's unique
//!   key on it lets exactly one append, the other fails with
//!   [`AppendError::KeyTaken`](crate::store::AppendError::KeyTaken) having written nothing,
//!   and the service looks the key up and answers as for a retry.
//!
//! **Whose key.** A client's key means something only to that client, so the service scopes
//! it to the account acting ([`IdempotentRequest::scoped_to`]: `"{staff id}:{key}"`): two
//! people who happen to pick the same key never see each other's results. The service checks
//! the person's permission before it looks the key up, so someone refused learns
//! nothing, not even that the key exists; the check runs on the record as it is now.
//!
//! **What a fingerprint is.** The caller derives an opaque string from the request (over
//! HTTP, a digest of the method, the path and the body) and the store keeps it with the key;
//! a retry must bring the same fingerprint. It should be a digest, never the request itself:
//! keys and fingerprints are kept as long as the events, and an anonymised record must
//! not keep a copy of what was said in a side table. Anonymisation rewrites events in place
//! and leaves keys alone, so a replay after it returns the anonymised events.
//!
//! **What a key is.** One to [`MAX_KEY_LEN`] printable ASCII characters (a UUID is typical),
//! not starting or ending with a space; anything else is an
//! [`InputError`] naming the field [`KEY_FIELD`].
//!
//! An append with no events writes nothing, its key included: a command that decided nothing
//! is decided again on a retry.

use crate::kernel::code::ErrorCode;
use crate::kernel::ids::{StaffId, StreamId};
use crate::kernel::input::InputError;
use chrono::{DateTime, Utc};
use std::fmt;
use std::ops::RangeInclusive;
use thiserror::Error;

/// The field a bad key is reported against: the HTTP header's name.
pub const KEY_FIELD: &str = "Idempotency-Key";

/// The longest key accepted, in characters.
pub const MAX_KEY_LEN: usize = 255;

/// The longest fingerprint accepted, in bytes (a hex SHA-256 digest is 64).
pub const MAX_FINGERPRINT_LEN: usize = 1024;

/// A client's idempotency key, checked: 1 to [`MAX_KEY_LEN`] printable ASCII characters,
/// without a leading or trailing space.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks `value`; a bad key is an [`InputError`] naming [`KEY_FIELD`].
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on [`KEY_FIELD`] when `value` is empty, longer than
    /// [`MAX_KEY_LEN`] bytes, has a byte outside printable ASCII (`0x20..=0x7e`), or starts or
    /// ends with a space.
    pub fn parse(value: &str) -> Result<Self, InputError> {
        let bad = |problem: &str| InputError::new(KEY_FIELD, problem);
        if value.is_empty() {
            return Err(bad("must not be empty"));
        }
        if value.len() > MAX_KEY_LEN {
            return Err(bad(&format!("must be at most {MAX_KEY_LEN} characters")));
        }
        if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(bad("must be printable ASCII characters only"));
        }
        if value.starts_with(' ') || value.ends_with(' ') {
            return Err(bad("must not start or end with a space"));
        }
        Ok(Self(value.to_owned()))
    }

    /// The key as the client sent it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a caller brings to make a command idempotent: the client's key and the request's
/// fingerprint (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotentRequest {
    key: IdempotencyKey,
    fingerprint: String,
}

impl IdempotentRequest {
    /// Checks the key ([`IdempotencyKey::parse`]) and the fingerprint (not empty, at most
    /// [`MAX_FINGERPRINT_LEN`] bytes, no NUL, which PostgreSQL text cannot hold).
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`): on [`KEY_FIELD`] when the key is refused
    /// ([`IdempotencyKey::parse`]); on `fingerprint` when the fingerprint is empty, longer
    /// than [`MAX_FINGERPRINT_LEN`] bytes or contains a NUL.
    pub fn new(key: &str, fingerprint: impl Into<String>) -> Result<Self, InputError> {
        let key = IdempotencyKey::parse(key)?;
        let fingerprint = fingerprint.into();
        if fingerprint.is_empty()
            || fingerprint.len() > MAX_FINGERPRINT_LEN
            || fingerprint.contains('\0')
        {
            return Err(InputError::new(
                "fingerprint",
                format!("must be 1 to {MAX_FINGERPRINT_LEN} bytes without NUL"),
            ));
        }
        Ok(Self { key, fingerprint })
    }

    /// The client's key.
    #[must_use]
    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }

    /// The request's fingerprint.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key as stored for `actor`: `"{staff id}:{key}"`, so one account never replays
    /// another's result.
    #[must_use]
    pub fn scoped_to(&self, actor: StaffId) -> Idempotency {
        Idempotency {
            key: format!("{actor}:{}", self.key),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// A key as an append carries it to the store: scoped to the account acting, with the
/// request's fingerprint. The store records it in the same transaction as the events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    /// The scoped key ([`IdempotentRequest::scoped_to`]); unique in the store.
    pub key: String,
    /// The request's fingerprint.
    pub fingerprint: String,
}

impl Idempotency {
    /// The client's key, without the account's scope.
    #[must_use]
    pub fn client_key(&self) -> &str {
        self.key.split_once(':').map_or(&self.key, |(_, key)| key)
    }

    /// The refusal of this key reused for another request.
    #[must_use]
    pub fn reused(&self) -> KeyReused {
        KeyReused {
            key: self.client_key().to_owned(),
        }
    }
}

/// A recorded key: what the append that carried it wrote, enough to rebuild its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotentAppend {
    /// The scoped key.
    pub key: String,
    /// The stream appended to.
    pub stream: StreamId,
    /// The first version the append wrote.
    pub first_version: u64,
    /// The last version the append wrote: the stream's version after it.
    pub last_version: u64,
    /// The fingerprint of the request that made it.
    pub fingerprint: String,
    /// When: the `recorded_at` of the append's first event.
    pub recorded_at: DateTime<Utc>,
}

impl IdempotentAppend {
    /// The versions the append wrote.
    #[must_use]
    pub fn versions(&self) -> RangeInclusive<u64> {
        self.first_version..=self.last_version
    }

    /// Whether a request with `fingerprint`, appending to `stream` (when the caller knows
    /// it), is a retry of this one; otherwise the key was reused for another request.
    #[must_use]
    pub fn is_retry_of(&self, fingerprint: &str, stream: Option<StreamId>) -> bool {
        self.fingerprint == fingerprint && stream.is_none_or(|s| s == self.stream)
    }
}

/// A key already used for a different request: refused, nothing written. Use a new key for
/// a new request.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("the {KEY_FIELD} `{key}` was already used for a different request; use a new key for a new request")]
pub struct KeyReused {
    /// The client's key (unscoped).
    pub key: String,
}

impl ErrorCode for KeyReused {
    fn code(&self) -> &'static str {
        "idempotency_key_reused"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_name_the_header() {
        for good in [
            "a",
            "9f1c2e4a-0b6d-4c1e-8a57-3f0e2d9b7c11",
            "retry #1 (fictional)",
        ] {
            assert_eq!(IdempotencyKey::parse(good).unwrap().as_str(), good);
        }
        let longest = "k".repeat(MAX_KEY_LEN);
        assert!(IdempotencyKey::parse(&longest).is_ok());
        for bad in [
            String::new(),
            "k".repeat(MAX_KEY_LEN + 1),
            "tab\there".into(),
            "newline\n".into(),
            "café".into(),
            " leading".into(),
            "trailing ".into(),
            "nul\0".into(),
        ] {
            let e = IdempotencyKey::parse(&bad).expect_err(&bad);
            assert_eq!(e.field, KEY_FIELD, "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_are_checked() {
        assert!(IdempotentRequest::new("k", "sha256:ab").is_ok());
        for bad in [
            String::new(),
            "a\0b".into(),
            "f".repeat(MAX_FINGERPRINT_LEN + 1),
        ] {
            let e = IdempotentRequest::new("k", bad).unwrap_err();
            assert_eq!(e.field, "fingerprint");
        }
        assert_eq!(
            IdempotentRequest::new("", "f").unwrap_err().field,
            KEY_FIELD
        );
    }

    #[test]
    fn a_key_is_scoped_to_the_account() {
        let request = IdempotentRequest::new("same-key", "f1").unwrap();
        let (a, b) = (StaffId::new(), StaffId::new());
        let (ka, kb) = (request.scoped_to(a), request.scoped_to(b));
        assert_ne!(ka.key, kb.key);
        assert_eq!(ka.key, format!("{a}:same-key"));
        assert_eq!(ka.fingerprint, "f1");
        assert_eq!(ka.client_key(), "same-key");
        assert_eq!(ka.reused().key, "same-key");
    }

    #[test]
    fn a_retry_has_the_same_fingerprint_and_stream() {
        let stream = StreamId::Case(crate::kernel::ids::CaseId::new());
        let recorded = IdempotentAppend {
            key: "k".into(),
            stream,
            first_version: 3,
            last_version: 4,
            fingerprint: "f1".into(),
            recorded_at: Utc::now(),
        };
        assert!(recorded.is_retry_of("f1", Some(stream)));
        assert!(recorded.is_retry_of("f1", None));
        assert!(!recorded.is_retry_of("f2", Some(stream)));
        let other = StreamId::Case(crate::kernel::ids::CaseId::new());
        assert!(!recorded.is_retry_of("f1", Some(other)));
        assert_eq!(recorded.versions(), 3..=4);
    }
}
