//! Confidential content: what is recorded, and what a person gives.
//!
//! Session notes, disclosures, the concerns written on a referral, the agreed plan and the
//! reasons written about a young person's life are about a child's exploitation. Two types
//! carry them, one for each direction:
//!
//! - [`NewConfidential`] is content **as a person gives it**, on its way into a record: a
//!   command's note, plan or reason. It is made from a person's words (a string, a
//!   [`Text`]) and from nothing else: there is no conversion from a [`Confidential`], so a
//!   command can carry only what its caller wrote, never what a record holds. A command's JSON
//!   (`to_json`, what a front end sends) shows its words, which are the caller's own.
//! - [`Confidential`] is content **as a record holds it**. Nothing outside this crate makes
//!   one, reads it, or compares it: it has no public constructor, no accessor, no `PartialEq`
//!   (a guess could otherwise be confirmed), no `Display`, prints as `[confidential]` in
//!   `Debug`, and serializes only for storage. The only way to the content is a record opened
//!   by a permitted read recorded in the access log ([`crate::privacy::gate`], R-27); views
//!   for people outside the case never hold one ([`crate::privacy::disclosure`]).
//!
//! **Storage is one hook.** Both types serialize their content for the event log and
//! snapshots only inside [`for_storage`], through the one private function that writes
//! confidential content, where it is sealed with its owner's data key when the service seals
//! ([`crate::kernel::sealing`]). Outside it, a [`Confidential`] refuses to serialize (a front
//! end that turns a case into JSON for a screen gets an error, not the content), and a
//! [`NewConfidential`] writes the words its caller gave. Code that calls [`for_storage`] steps
//! outside the gate, and a reviewer should treat every call so.
//!
//! **At rest.** A value read back stays sealed, through folding, deciding and snapshots, until
//! the gate opens it for a permitted read; after erasure (the key destroyed, R-23) it never
//! opens again, and reads as [`SEALED`].

use crate::kernel::input::{InputError, Text};
use crate::kernel::sealing::{open_in_scope, seal_in_scope, sealing_in_scope, Sealed};
use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// Content a record holds, sealed: see the module docs.
///
/// It serializes only inside [`for_storage`] (the event log and snapshots must keep it): as a
/// [`Sealed`] envelope when the service seals ([`crate::kernel::sealing::sealing_with`]),
/// otherwise as the value; anywhere else serializing it is an error. It always deserializes,
/// as stored events and snapshots are read: a sealed envelope stays sealed unless its owner's
/// key is in scope ([`crate::kernel::sealing::opening_with`]). A value made that way can be
/// neither read nor compared outside the crate.
#[derive(Clone)]
pub struct Confidential<T>(Content<T>);

/// What a [`Confidential`] holds: the value, or the value sealed and not opened.
#[derive(Clone)]
enum Content<T> {
    Plain(T),
    Sealed(Sealed),
}

/// How a sealed value that was not opened reads where the gate shows content: outside an
/// opening, or after its owner's key was destroyed, when nothing can open it.
pub const SEALED: &str = "[sealed]";

/// A stored value is a sealed envelope (an object with `sealed`) or, written before sealing or
/// by a service that seals nothing, the value itself (its stored form is a string, as a
/// [`Text`]'s is); the value's own errors (an empty text) come through as they are. Read
/// straight from the stored JSON with no intermediate value: a case's snapshot holds one per
/// note, and every command reads it.
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Confidential<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StoredVisitor(std::marker::PhantomData))
    }
}

/// Reads a stored [`Confidential`]: a string is the value, a map the sealed envelope.
struct StoredVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: serde::de::DeserializeOwned> serde::de::Visitor<'de> for StoredVisitor<T> {
    type Value = Confidential<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("confidential text, or a sealed envelope {\"owner\", \"sealed\"}")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        use serde::de::IntoDeserializer as _;
        T::deserialize(v.into_deserializer()).map(|value| Confidential(Content::Plain(value)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error as _;
        let sealed = Sealed::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Confidential(match open_in_scope(&sealed) {
            None => Content::Sealed(sealed),
            Some(Ok(json)) => Content::Plain(serde_json::from_slice(&json).map_err(|e| {
                A::Error::custom(format!("a sealed value opened to something else: {e}"))
            })?),
            // An edited value, or another key under the owner's name: refused, never read as
            // garbage.
            Some(Err(e)) => return Err(A::Error::custom(e)),
        }))
    }
}

/// Confidential content as a person gives it, in a command: see the module docs.
///
/// Made from words ([`NewConfidential::parse`], [`NewConfidential::new`], `From<Text>`, or a
/// JSON string, checked as [`Text`] is: not empty, no NUL), never from a [`Confidential`].
/// The decision that records it seals it into a [`Confidential`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct NewConfidential(Text);

/// How confidential content is being serialized on this thread.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not for storage: sealed content refuses.
    Outside,
    /// Inside [`for_storage`].
    Storage,
    /// Inside [`sealed_texts`]: sealed content is marked so the crate's gate can list it.
    Listing,
}

thread_local! {
    static STORAGE_ENCODING: Cell<u32> = const { Cell::new(0) };
    static LISTING: Cell<bool> = const { Cell::new(false) };
}

fn mode() -> Mode {
    if LISTING.with(Cell::get) {
        Mode::Listing
    } else if STORAGE_ENCODING.with(Cell::get) > 0 {
        Mode::Storage
    } else {
        Mode::Outside
    }
}

/// Runs `encode` with confidential content serializable: for code that writes the event log
/// or snapshots (the library's own encoders call it; a store never needs to), and for code
/// that reads stored records back as storage (an [`Actor`](crate::kernel::actor::Actor), who
/// acted, deserializes only here). Every call is a place a reviewer should look, like the gate.
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

/// Whether this thread is inside [`for_storage`]: what a stored record may read back that a
/// request may not (an actor's role).
pub(crate) fn in_storage() -> bool {
    STORAGE_ENCODING.with(Cell::get) > 0
}

/// The one place confidential content is written for storage, for both [`Confidential`] and
/// [`NewConfidential`]: sealed with its owner's key when one is in scope
/// ([`crate::kernel::sealing::sealing_with`]), as it is otherwise.
fn write_for_storage<T: Serialize + ?Sized, S: Serializer>(
    content: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // Encoded to JSON only when there is a key to seal it with: most services write many
    // values and seal none.
    if !sealing_in_scope() {
        return content.serialize(serializer);
    }
    let json = serde_json::to_vec(content).map_err(S::Error::custom)?;
    match seal_in_scope(&json) {
        Some(sealed) => sealed.map_err(S::Error::custom)?.serialize(serializer),
        None => content.serialize(serializer),
    }
}

/// The key a sealed value is marked with while [`sealed_texts`] lists a record's content.
const LISTING_MARK: &str = "\u{0}confidential";

impl<T: Serialize> Serialize for Confidential<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (mode(), &self.0) {
            // Already sealed (read back without its key): written again as the same bytes.
            (Mode::Storage, Content::Sealed(sealed)) => sealed.serialize(serializer),
            (Mode::Storage, Content::Plain(value)) => write_for_storage(value, serializer),
            (Mode::Listing, content) => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                match content {
                    Content::Plain(value) => map.serialize_entry(LISTING_MARK, value)?,
                    Content::Sealed(_) => map.serialize_entry(LISTING_MARK, SEALED)?,
                }
                map.end()
            }
            (Mode::Outside, _) => Err(S::Error::custom(
                "R-8: confidential content serializes only for storage; share it through a \
                 disclosure view (casework_core::disclosure)",
            )),
        }
    }
}

impl Serialize for NewConfidential {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match mode() {
            Mode::Storage => write_for_storage(&self.0, serializer),
            // The words the caller gave, as a front end sends them (a command's `to_json`).
            Mode::Outside | Mode::Listing => self.0.serialize(serializer),
        }
    }
}

impl<T> Confidential<T> {
    /// Seals content the crate's own decisions record (from a [`NewConfidential`], or text
    /// the library writes itself, such as screening reasons).
    pub(crate) fn seal(value: T) -> Self {
        Self(Content::Plain(value))
    }

    /// The value for the crate's own gated paths (an opened record, a disclosure under
    /// override, a subject access export), each of which checks and records before calling it;
    /// `None` when it is sealed and was not opened (its owner's key not in scope, or destroyed:
    ///
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

impl Confidential<Text> {
    /// The text for the crate's gated paths, [`SEALED`] when it was not opened.
    pub(crate) fn reveal_text(&self) -> &str {
        self.reveal_recorded().map_or(SEALED, Text::as_str)
    }

    /// The text as a [`Text`] for the crate's gated paths, [`SEALED`] when it was not opened.
    pub(crate) fn revealed(&self) -> Text {
        self.reveal_recorded()
            .cloned()
            .unwrap_or_else(|| Text::parse("text", SEALED).expect("the marker is text"))
    }
}

impl NewConfidential {
    /// Confidential words, already checked as [`Text`].
    #[must_use]
    pub fn new(words: Text) -> Self {
        Self(words)
    }

    /// Checks `value` as [`Text::parse`] does (something visible in it, no NUL) and marks it
    /// confidential.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `field` when `value` is empty or shows nothing, or
    /// contains a NUL character.
    pub fn parse(field: &str, value: impl Into<String>) -> Result<Self, InputError> {
        Text::parse(field, value).map(Self)
    }

    /// Seals the words into the record's [`Confidential`]: the decision that records them
    /// calls it.
    pub(crate) fn seal(self) -> Confidential<Text> {
        Confidential(Content::Plain(self.0))
    }
}

impl From<Text> for NewConfidential {
    fn from(words: Text) -> Self {
        Self(words)
    }
}

impl<T> fmt::Debug for Confidential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[confidential]")
    }
}

impl fmt::Debug for NewConfidential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Commands are logged and printed in test failures: their content stays out of both.
        f.write_str("[confidential]")
    }
}

/// Every piece of sealed content in `value`, with where it is (`status.reason`,
/// `actions[0].action`), in the order serialized: for the crate's gate, which lists a
/// record's content only after the read is recorded.
pub(crate) fn sealed_texts<V: Serialize + ?Sized>(value: &V) -> Vec<(String, String)> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            LISTING.with(|c| c.set(false));
        }
    }
    LISTING.with(|c| c.set(true));
    let marked = {
        let _reset = Reset;
        serde_json::to_value(value)
    };
    let mut found = Vec::new();
    if let Ok(marked) = marked {
        collect_marked(&marked, String::new(), &mut found);
    }
    found
}

fn collect_marked(value: &serde_json::Value, path: String, found: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let (1, Some(content)) = (map.len(), map.get(LISTING_MARK)) {
                let text = match content {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                found.push((path, text));
                return;
            }
            for (key, v) in map {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                collect_marked(v, here, found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_marked(v, format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// Sealed content: what the record stores (a string), never shown in a response.
#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Confidential<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Confidential".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = T::json_schema(generator);
        schema.insert(
            "description".into(),
            "Confidential content (R-8): stored, read only through a recorded read (R-27).".into(),
        );
        schema
    }
}

/// Confidential words a person gives in a command: text as [`Text`] reads it.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for NewConfidential {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NewConfidential".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = <Text as schemars::JsonSchema>::json_schema(generator);
        schema.insert(
            "description".into(),
            "Confidential text as a person gives it (R-8): not empty or only white space, \
             without NUL. Recorded sealed; read back only through a recorded read (R-27)."
                .into(),
        );
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::YoungPersonId;
    use crate::kernel::sealing::{opening_with, sealing_with};
    use crate::privacy::key_store::KeyOwner;
    use crate::privacy::keys::DataKey;
    use std::sync::Arc;

    fn note() -> Confidential<Text> {
        Confidential::seal(Text::parse("note", "Fictional: met near the canal").unwrap())
    }

    fn words(s: &str) -> NewConfidential {
        NewConfidential::parse("note", s).unwrap()
    }

    #[test]
    fn sealed_content_serializes_only_for_storage() {
        let sealed = words("Talked about the flat").seal();
        assert!(serde_json::to_string(&sealed).is_err());
        assert_eq!(
            for_storage(|| serde_json::to_string(&sealed)).unwrap(),
            "\"Talked about the flat\""
        );
        assert_eq!(format!("{sealed:?}"), "[confidential]");
    }

    #[test]
    fn given_words_serialize_as_given_and_stay_out_of_debug() {
        let given = words("Talked about the flat");
        assert_eq!(
            serde_json::to_string(&given).unwrap(),
            "\"Talked about the flat\""
        );
        assert_eq!(
            for_storage(|| serde_json::to_string(&given)).unwrap(),
            "\"Talked about the flat\""
        );
        assert_eq!(format!("{given:?}"), "[confidential]");
        assert!(NewConfidential::parse("note", " \u{200B} ").is_err());
        assert!(serde_json::from_str::<NewConfidential>("\"\"").is_err());
    }

    #[test]
    fn the_listing_finds_every_sealed_value_with_its_place() {
        #[derive(Serialize)]
        struct Held {
            open: &'static str,
            note: Confidential<Text>,
            reasons: Vec<Option<Confidential<Text>>>,
        }
        let held = Held {
            open: "visible",
            note: words("first").seal(),
            reasons: vec![None, Some(words("second").seal())],
        };
        assert_eq!(
            sealed_texts(&held),
            vec![
                ("note".to_owned(), "first".to_owned()),
                ("reasons[1]".to_owned(), "second".to_owned()),
            ]
        );
        // The listing leaves the thread as it found it.
        assert!(serde_json::to_string(&held).is_err());
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
