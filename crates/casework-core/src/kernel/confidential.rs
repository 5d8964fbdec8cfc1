//! Confidential content.
//!
//! Session notes, disclosures, the concerns written on a referral and the agreed plan are about
//! a child's exploitation. They live inside [`Confidential`], which has no `Display`, prints as
//! `[confidential]` in `Debug`, and is only read through the gate ([`crate::privacy::gate`]). Storage
//! serializes it (the event log must keep it); read models and views never hold one, so the
//! only way to the content is a record opened by a permitted read recorded in the access log
//! ([`crate::privacy::gate::OpenRecord`], R-27); nothing outside the crate can read it otherwise. Views for
//! people outside the case never hold a `Confidential`: see [`crate::privacy::disclosure`]. The type
//! still serializes in full, because the event log must keep the content; code that
//! serializes a case itself steps outside the gate, and a reviewer should treat it so.
//!
//! At rest it is sealed with its owner's data key when the service seals
//! ([`crate::kernel::sealing`]): a value read back stays sealed, through folding, deciding and
//! snapshots, until the gate opens it for a permitted read; after erasure (the key destroyed,
//! R-23) it never opens again, and reads as [`SEALED`].

use crate::kernel::sealing::{open_in_scope, seal_in_scope, Sealed};
use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// A value that must not leave the case record unless the disclosure rules allow it.
///
/// It serializes only inside [`for_storage`] (the event log and snapshots must keep it):
/// as a [`Sealed`] envelope when the service seals ([`crate::kernel::sealing::sealing_with`]),
/// otherwise as the value. Anywhere else serializing it is an error, so a front end that turns
/// a case into JSON for a screen or an API gets an error, not the content. It always
/// deserializes: a sealed envelope stays sealed unless its owner's key is in scope
/// ([`crate::kernel::sealing::opening_with`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Confidential<T>(Content<T>);

/// What a [`Confidential`] holds: the value, or the value sealed and not opened.
#[derive(Clone, PartialEq, Eq)]
enum Content<T> {
    Plain(T),
    Sealed(Sealed),
}

/// How a sealed value that was not opened reads where the gate shows content: outside an
/// opening, or after its owner's key was destroyed, when nothing can open it.
pub const SEALED: &str = "[sealed]";

#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Confidential<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// A stored value is a sealed envelope (an object with `sealed`) or, written before sealing or
/// by a service that seals nothing, the value itself; the value's own errors (an empty text)
/// come through as they are.
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Confidential<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        if !value
            .get("sealed")
            .is_some_and(serde_json::Value::is_string)
        {
            return T::deserialize(value)
                .map(Self::new)
                .map_err(D::Error::custom);
        }
        let sealed = Sealed::deserialize(value).map_err(D::Error::custom)?;
        Ok(Self(match open_in_scope(&sealed) {
            None => Content::Sealed(sealed),
            Some(Ok(json)) => Content::Plain(serde_json::from_slice(&json).map_err(|e| {
                D::Error::custom(format!("a sealed value opened to something else: {e}"))
            })?),
            // An edited value, or another key under the owner's name: refused, never read as
            // garbage.
            Some(Err(e)) => return Err(D::Error::custom(e)),
        }))
    }
}

thread_local! {
    static STORAGE_ENCODING: Cell<u32> = const { Cell::new(0) };
}

/// Runs `encode` with confidential content serializable: for code that writes the event log
/// or snapshots (the library's own encoders call it; a store never needs to). Every call is
/// a place a reviewer should look, like the gate.
pub fn for_storage<R>(encode: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            STORAGE_ENCODING.with(|c| c.set(c.get() - 1));
        }
    }
    STORAGE_ENCODING.with(|c| c.set(c.get() + 1));
    let _reset = Reset;
    encode()
}

impl<T: Serialize> Serialize for Confidential<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if STORAGE_ENCODING.with(Cell::get) == 0 {
            return Err(S::Error::custom(
                "R-8: confidential content serializes only for storage; share it through a \
                 disclosure view (casework_core::disclosure)",
            ));
        }
        match &self.0 {
            Content::Sealed(sealed) => sealed.serialize(serializer),
            Content::Plain(value) => {
                let json = serde_json::to_vec(value).map_err(S::Error::custom)?;
                match seal_in_scope(&json) {
                    Some(sealed) => sealed.map_err(S::Error::custom)?.serialize(serializer),
                    None => value.serialize(serializer),
                }
            }
        }
    }
}

impl<T> Confidential<T> {
    /// Marks `value` as confidential.
    pub fn new(value: T) -> Self {
        Self(Content::Plain(value))
    }

    /// The value for the crate's own gated paths (a disclosure under override, a subject
    /// access export), each of which checks and records before calling it; `None` when it is
    /// sealed and was not opened (its owner's key not in scope, or destroyed: R-23).
    pub(crate) fn reveal_recorded(&self) -> Option<&T> {
        match &self.0 {
            Content::Plain(value) => Some(value),
            Content::Sealed(_) => None,
        }
    }

    /// Whether it is sealed and not opened.
    #[must_use]
    pub fn is_sealed(&self) -> bool {
        matches!(self.0, Content::Sealed(_))
    }
}

impl Confidential<crate::kernel::input::Text> {
    /// The text for the crate's gated paths, [`SEALED`] when it was not opened.
    pub(crate) fn reveal_text(&self) -> &str {
        self.reveal_recorded()
            .map_or(SEALED, crate::kernel::input::Text::as_str)
    }
}

impl<T> fmt::Debug for Confidential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[confidential]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::YoungPersonId;
    use crate::kernel::input::Text;
    use crate::kernel::sealing::{opening_with, sealing_with};
    use crate::privacy::key_store::KeyOwner;
    use crate::privacy::keys::DataKey;
    use std::sync::Arc;

    fn note() -> Confidential<Text> {
        Confidential::new(Text::parse("note", "Fictional: met near the canal").unwrap())
    }

    #[test]
    fn r8_sealed_at_rest_opened_only_with_the_owners_key_in_scope() {
        let owner = KeyOwner::YoungPerson(YoungPersonId::new());
        let key = Arc::new(DataKey::generate().unwrap());
        let json = sealing_with(owner, key.clone(), || {
            for_storage(|| serde_json::to_string(&note()))
        })
        .unwrap();
        assert!(
            json.contains("\"sealed\"") && !json.contains("canal"),
            "{json}"
        );

        let read: Confidential<Text> = serde_json::from_str(&json).unwrap();
        assert!(read.is_sealed(), "read back without a key it stays sealed");
        assert_eq!(read.reveal_text(), SEALED);
        // Written again (a snapshot), it is the same envelope: no key needed, nothing lost.
        let again = for_storage(|| serde_json::to_string(&read)).unwrap();
        assert_eq!(again, json);

        let opened: Confidential<Text> =
            opening_with(owner, key.clone(), || serde_json::from_str(&json)).unwrap();
        assert_eq!(opened.reveal_text(), "Fictional: met near the canal");

        // An edited envelope is refused, never opened to garbage.
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let sealed = value["sealed"].as_str().unwrap().to_owned();
        let flipped = if sealed.starts_with('A') { "B" } else { "A" };
        value["sealed"] = serde_json::Value::String(format!("{flipped}{}", &sealed[1..]));
        let edited = value.to_string();
        let refused: Result<Confidential<Text>, _> =
            opening_with(owner, key, || serde_json::from_str(&edited));
        assert!(refused.is_err());
    }

    #[test]
    fn a_plain_value_reads_as_before_with_its_own_errors() {
        let plain = for_storage(|| serde_json::to_string(&note())).unwrap();
        assert_eq!(plain, "\"Fictional: met near the canal\"");
        let read: Confidential<Text> = serde_json::from_str(&plain).unwrap();
        assert!(!read.is_sealed());
        let empty = serde_json::from_str::<Confidential<Text>>("\"   \"").unwrap_err();
        assert!(empty.to_string().contains("empty"), "{empty}");
        assert!(
            serde_json::to_string(&note()).is_err(),
            "outside storage: refused (R-8)"
        );
    }
}
