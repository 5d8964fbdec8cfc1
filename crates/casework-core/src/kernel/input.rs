//! Validated input values.
//!
//! Front ends and imports hand us strings; these types check them once, on the way in, and
//! say which field was wrong. They deserialize through the same checks, so a JSON document
//! cannot smuggle in an empty name or a malformed postcode.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// A value a caller supplied was not acceptable. Names the field and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("invalid `{field}`: {problem}")]
pub struct InputError {
    /// The field, as a path (`young_person.postcode`).
    pub field: String,
    /// What is wrong and what was expected.
    pub problem: String,
}

impl InputError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same error with its field nested under `parent` (`parent.field`).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

/// Text that must not be empty: a name, a reason, a reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

/// The most characters of a caller's input an error message repeats: enough to recognise it,
/// never a whole note (or ten megabytes of a bad postcode) copied into logs.
pub const ECHO_LIMIT: usize = 64;

/// `value` as an error message quotes it: in backticks, cut to [`ECHO_LIMIT`] characters
/// with `…` when longer.
#[must_use]
pub fn quoted(value: &str) -> String {
    if value.chars().count() <= ECHO_LIMIT {
        format!("`{value}`")
    } else {
        let cut: String = value.chars().take(ECHO_LIMIT).collect();
        format!("`{cut}…`")
    }
}

/// Characters that show nothing: white space, and the zero-width and formatting characters a
/// paste can carry (zero-width space, joiners, word joiner, byte-order mark, soft hyphen).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
        )
}

impl Text {
    /// Checks that `value` has something visible in it, and trims what shows nothing from
    /// both ends.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `field` when `value` is empty or shows nothing (white
    /// space, zero-width or formatting characters only), or contains a NUL character.
    pub fn parse(field: &str, value: impl Into<String>) -> Result<Self, InputError> {
        let value = value.into();
        let trimmed = value.trim_matches(is_invisible);
        if trimmed.is_empty() {
            return Err(InputError::new(field, "must not be empty"));
        }
        if trimmed.contains('\0') {
            // Every store must keep what it is given; PostgreSQL text cannot hold NUL.
            return Err(InputError::new(field, "must not contain a NUL character"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    /// A plain message: serde and [`decode_json`] add the field's path around it.
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Text::parse("value", value).map_err(|e| e.problem)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A UK postcode, full (`LS6 2AB`) or outward code only (`WF10`), normalised to capitals with
/// one space before the inward code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode {
    outward: String,
    inward: Option<String>,
}

impl Postcode {
    /// Parses and normalises a postcode. Accepts any case and spacing: `ls6 2ab`, `LS62AB`,
    /// `WF10`. The outward code is an area of one or two letters, a district digit, and an
    /// optional digit or letter; the inward code is a digit and two letters.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `postcode` when `value` is empty or only white space,
    /// has a character other than a letter, digit or white space, or is not shaped like a
    /// full postcode or an outward code.
    pub fn parse(value: &str) -> Result<Self, InputError> {
        let compact: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.is_empty() {
            return Err(InputError::new("postcode", "must not be empty"));
        }
        let bad = || {
            InputError::new(
                "postcode",
                format!(
                    "{} is not a UK postcode (expected e.g. `LS6 2AB` or `WF10`)",
                    quoted(value)
                ),
            )
        };
        if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        let (outward, inward) = if compact.len() >= 5 && is_inward(&compact[compact.len() - 3..]) {
            let split = compact.len() - 3;
            (
                compact[..split].to_owned(),
                Some(compact[split..].to_owned()),
            )
        } else {
            (compact.clone(), None)
        };
        if !is_outward(&outward) {
            return Err(bad());
        }
        Ok(Self { outward, inward })
    }

    /// The outward code (`LS6`, `WF10`): the postcode district.
    #[must_use]
    pub fn district(&self) -> &str {
        &self.outward
    }

    /// The postcode area: the leading letters of the outward code (`LS`, `WF`).
    #[must_use]
    pub fn area(&self) -> &str {
        let letters = self
            .outward
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(self.outward.len());
        &self.outward[..letters]
    }
}

fn is_inward(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_alphabetic()
}

fn is_outward(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) || b.len() <= letters {
        return false;
    }
    let rest = &b[letters..];
    rest[0].is_ascii_digit() && rest.len() <= 2 && rest.iter().all(|c| c.is_ascii_alphanumeric())
}

impl TryFrom<String> for Postcode {
    /// A plain message: serde and [`decode_json`] add the field's path around it.
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Postcode::parse(&value).map_err(|e| e.problem)
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> String {
        p.to_string()
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inward {
            Some(inward) => write!(f, "{} {}", self.outward, inward),
            None => f.write_str(&self.outward),
        }
    }
}

/// A string with something other than white space in it, and no NUL ([`Text::parse`]).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Text that is not empty or only white space, without NUL.",
            "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        })
    }
}

/// Read: any case and spacing ([`Postcode::parse`]); written: normalised, `LS6 2AB`, `WF10`.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Postcode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Postcode".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        if generator.contract().is_deserialize() {
            schemars::json_schema!({
                "type": "string",
                "description": "A UK postcode, full or the outward code alone, in any case and spacing.",
                "pattern": "^\\s*[A-Za-z]\\s*([A-Za-z]\\s*)?[0-9]\\s*([A-Za-z0-9]\\s*)?([0-9]\\s*[A-Za-z]\\s*[A-Za-z]\\s*)?$"
            })
        } else {
            schemars::json_schema!({
                "type": "string",
                "description": "A UK postcode, full (`LS6 2AB`) or the outward code alone (`WF10`), in capitals with one space before the inward code.",
                "pattern": "^[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9][A-Z]{2})?$"
            })
        }
    }
}

/// Decodes a JSON document into `T`, naming the field path of the first problem
/// (`young_person.date_of_birth: premature end of input`), never panicking.
///
/// # Errors
///
/// [`InputError`] (`bad_input`) when `json` is not well-formed JSON or does not deserialize
/// into `T` (a missing field, a wrong type, a value its own checks refuse); the
/// field is the path of the first problem, empty at the top level.
pub fn decode_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, InputError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(path_error)
}

/// Decodes an already parsed JSON value into `T`, naming the field path of the first problem.
///
/// # Errors
///
/// [`InputError`] (`bad_input`) when `value` does not deserialize into `T`; the field is the
/// path of the first problem, empty at the top level.
pub fn decode_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(path_error)
}

fn path_error<E: std::fmt::Display>(err: serde_path_to_error::Error<E>) -> InputError {
    let path = err.path().to_string();
    let field = if path == "." { String::new() } else { path };
    InputError::new(field, err.into_inner().to_string())
}

impl crate::kernel::code::ErrorCode for InputError {
    fn code(&self) -> &'static str {
        "bad_input"
    }
}

#[cfg(test)]
mod echo_and_invisible_tests {
    use super::*;

    #[test]
    fn text_that_shows_nothing_is_empty() {
        for blank in [
            "",
            "   ",
            "\u{200B}",
            " \u{200B}\u{FEFF} ",
            "\u{2060}\u{00AD}\t\n",
        ] {
            let refused = Text::parse("reason", blank).unwrap_err();
            assert_eq!(refused.field, "reason");
            assert!(refused.problem.contains("empty"), "{blank:?}: {refused}");
        }
        assert_eq!(
            Text::parse("reason", "\u{200B} Moved away \u{FEFF}")
                .unwrap()
                .as_str(),
            "Moved away"
        );
        // A joiner inside text is kept: it can be part of a word.
        assert_eq!(Text::parse("name", "Zoë\u{200D}").unwrap().as_str(), "Zoë");
        assert_eq!(
            Text::parse("name", "a\u{200D}b").unwrap().as_str(),
            "a\u{200D}b"
        );
    }

    #[test]
    fn an_error_repeats_at_most_a_short_prefix_of_the_input() {
        let huge = "X".repeat(10_000_000);
        let refused = Postcode::parse(&huge).unwrap_err();
        assert!(
            refused.problem.len() < 200,
            "{} bytes",
            refused.problem.len()
        );
        assert!(refused
            .problem
            .starts_with(&format!("`{}…`", "X".repeat(ECHO_LIMIT))));
        assert_eq!(quoted("LS6 2AB!"), "`LS6 2AB!`");
    }
}
