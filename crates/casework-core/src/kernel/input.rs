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
    format!("`{}`", cut(value, ECHO_LIMIT))
}

/// The years a caller's date or time may fall in: 1900 to 9999, the same for every store.
///
/// PostgreSQL holds times from 4713 BC, but SQLite keeps them as RFC 3339 text, which sorts
/// in time order only while a year has four digits and no sign; and nothing a charity records
/// is from before 1900 (a date of birth is at most 120 years back), so a year like `0026` or
/// `20026` is a typo to refuse, not a date to keep. Every time and date a caller gives is
/// checked on the way in ([`crate::policy::limits::InputLimits::check`]), so what one store
/// accepts every store keeps alike.
pub const YEARS: std::ops::RangeInclusive<i64> = 1900..=9999;

/// Refuses `date` on `field` when its year is outside [`YEARS`].
///
/// # Errors
///
/// [`InputError`] (`bad_input`) on `field` when the year of `date` is before 1900 or after
/// 9999.
pub fn within_years(field: &str, date: chrono::NaiveDate) -> Result<(), InputError> {
    year_in_range(field, i64::from(chrono::Datelike::year(&date)))
}

/// Refuses `text` on `field` when it is a date or a time (`2026-03-02`,
/// `2026-03-02T09:00:00Z`, as chrono writes them) whose year is outside [`YEARS`]: how a value
/// of any type is checked by its JSON form. Any other text passes.
///
/// # Errors
///
/// [`InputError`] (`bad_input`) on `field` when `text` is shaped as a date or a time and its
/// year is before 1900 or after 9999.
pub fn within_years_text(field: &str, text: &str) -> Result<(), InputError> {
    match year_of_date_text(text) {
        Some(year) => year_in_range(field, year),
        None => Ok(()),
    }
}

fn year_in_range(field: &str, year: i64) -> Result<(), InputError> {
    if YEARS.contains(&year) {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "the year {year} is outside the years kept ({} to {})",
            YEARS.start(),
            YEARS.end()
        ),
    ))
}

/// The year of a text shaped `[+-]YYYY…-MM-DD`, alone or followed by `T` and a time; chrono
/// writes a year outside 0–9999 with a sign and as many digits as it needs.
fn year_of_date_text(text: &str) -> Option<i64> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest.as_bytes()[digits..];
    let shaped = digits >= 4
        && tail.len() >= 6
        && tail[0] == b'-'
        && tail[1..3].iter().all(u8::is_ascii_digit)
        && tail[3] == b'-'
        && tail[4..6].iter().all(u8::is_ascii_digit)
        && (tail.len() == 6 || tail[6] == b'T');
    if !shaped {
        return None;
    }
    // A year too long for i64 is outside the range all the same.
    let year = rest[..digits].parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -year } else { year })
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

    /// The district alone, as a postcode (`LS6 2AB` → `LS6`): what is kept where a record
    /// needs the place but not the address.
    #[must_use]
    pub fn district_only(&self) -> Postcode {
        Postcode {
            outward: self.outward.clone(),
            inward: None,
        }
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
    // serde repeats what it was given (``unknown field `…` ``, `invalid type: string "…"`),
    // and a path names a caller's map keys: neither may carry a 10 MB input back.
    InputError::new(
        cut(&field, ECHO_LIMIT * 4),
        shortened_echoes(&err.into_inner().to_string()),
    )
}

/// `message` with every part it quotes (between backticks or double quotes) cut to
/// [`ECHO_LIMIT`] characters, and the whole to 16 times that (room for serde's lists of the
/// names it expected).
fn shortened_echoes(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..=open];
        out.push_str(&rest[..open]);
        let inner = &rest[open + 1..];
        let Some(close) = inner.find(quote) else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        out.push_str(quote);
        out.push_str(&cut(&inner[..close], ECHO_LIMIT));
        out.push_str(quote);
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    cut(&out, ECHO_LIMIT * 16)
}

/// `text` cut to `most` characters, with `…` when longer.
fn cut(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        text.to_owned()
    } else {
        let head: String = text.chars().take(most).collect();
        format!("{head}…")
    }
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

    #[test]
    fn serde_errors_repeat_at_most_a_short_prefix_of_the_input() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Form {
            count: u32,
        }
        let huge = "k".repeat(1_000_000);
        let refused = decode_json::<Form>(&format!("{{\"{huge}\": 1}}")).unwrap_err();
        assert!(
            refused.problem.len() < 200,
            "{} bytes",
            refused.problem.len()
        );
        assert!(
            refused.problem.contains("unknown field"),
            "{}",
            refused.problem
        );
        let refused = decode_json::<Form>(&format!("{{\"count\": \"{huge}\"}}")).unwrap_err();
        assert_eq!(refused.field, "count");
        assert!(
            refused.problem.len() < 200,
            "{} bytes",
            refused.problem.len()
        );
    }

    #[test]
    fn years_are_kept_to_1900_to_9999() {
        let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(within_years("date_of_birth", date(1900, 1, 1)), Ok(()));
        assert_eq!(within_years("date_of_birth", date(9999, 12, 31)), Ok(()));
        let before = within_years("date_of_birth", date(1899, 12, 31)).unwrap_err();
        assert_eq!(before.field, "date_of_birth");
        assert!(before.problem.contains("1899"), "{}", before.problem);
        assert!(within_years("at", date(10_000, 1, 1)).is_err());
        // As chrono writes times and dates, in and out of the range.
        for kept in [
            "1900-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "2026-03-02",
        ] {
            assert_eq!(within_years_text("at", kept), Ok(()), "{kept}");
        }
        for refused in [
            "1899-12-31T23:59:59.999999Z",
            "+10000-01-01T00:00:00Z",
            "-5000-01-01T00:00:00Z",
            "0026-03-02",
            "99999999999999999999999-01-01",
        ] {
            assert_eq!(
                within_years_text("at", refused).unwrap_err().field,
                "at",
                "{refused}"
            );
        }
        // Text that is not a date passes, whatever digits it holds.
        for text in ["Moved 1800 miles", "-5000", "1850-1900", "ref 0026-03-02"] {
            assert_eq!(within_years_text("reason", text), Ok(()), "{text}");
        }
    }
}
