//! How much one request may hold: the service's input limits, and the check every command,
//! referral and registration passes before it is decided.
//!
//! A store keeps whatever it is given for as long as the records are kept (R-18, R-23), so a
//! 10 MB "name", a million indicators or a NUL that PostgreSQL cannot hold must be refused at
//! the door, naming the field, not found later as a slow screen or an unnamed store error. The
//! limits are the profile's (`[limits]`, every key optional), so a charity can change them:
//!
//! ```toml
//! [limits]
//! name_chars = 200     # a name, a reference or a label
//! text_bytes = 102400  # any other text: a note, the concerns, a plan, a reason (100 KiB)
//! indicators = 200     # indicator answers in one assessment or review
//! list_items = 200     # any other list in one request: topics, attendees, answers, …
//! ```
//!
//! [`InputLimits::check_command`] walks a value by its JSON form, so a field is named exactly
//! as a front end sends it (`young_people[3]`, `actions[0].by_whom`), and every command of
//! every aggregate is covered without a list to keep up to date. On the way it refuses what
//! no store may be given whatever the limits: a NUL character in any text, and a date or time
//! outside the years every store holds ([`crate::kernel::input::YEARS`]).
//!
//! **Which text is a name** is decided by its field: `name`, any `…_name`, and `agency`,
//! `reference`, `by_whom`, `question`, `programme`, `key` and the items of `resources` and
//! `topics` (the short labels a caller gives) are held to `name_chars` characters; every other
//! text to `text_bytes` bytes. A new field of free text is therefore long text unless it is
//! named as a name: a limit that is too generous, never one that cuts a note short.
//!
//! The check reads confidential content only to measure it: nothing of it is kept, and an
//! error names the field and the sizes, never the content.

use crate::kernel::input::{within_years_text, InputError};
use crate::policy::risk::RiskTool;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How much one request may hold (see the module docs). Every key is optional in a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InputLimits {
    /// The most characters in a name, a reference or a label. Default 200; at least 32, so
    /// the library's own keys written in such fields (a session topic's, up to 31) fit.
    #[serde(default = "default_name_chars")]
    pub name_chars: u32,
    /// The most bytes (UTF-8) in any other text: a note, the concerns, a plan, a reason.
    /// Default 102,400 (100 KiB: some forty pages of typed notes).
    #[serde(default = "default_text_bytes")]
    pub text_bytes: u32,
    /// The most indicator answers in one assessment or review. Default 200; at least the risk
    /// tool's number of indicators, so a full assessment always fits.
    #[serde(default = "default_indicators")]
    pub indicators: u32,
    /// The most items in any other list of one request (topics, professionals who agreed,
    /// registered attendees, evaluation answers, meeting actions, resources). Default 200.
    #[serde(default = "default_list_items")]
    pub list_items: u32,
}

fn default_name_chars() -> u32 {
    200
}

fn default_text_bytes() -> u32 {
    100 * 1024
}

fn default_indicators() -> u32 {
    200
}

fn default_list_items() -> u32 {
    200
}

impl Default for InputLimits {
    /// Names 200 characters, other text 100 KiB, 200 indicators, 200 items in other lists.
    fn default() -> Self {
        InputLimits {
            name_chars: default_name_chars(),
            text_bytes: default_text_bytes(),
            indicators: default_indicators(),
            list_items: default_list_items(),
        }
    }
}

/// The most a profile may allow of one text: 10 MiB (PostgreSQL holds up to 1 GB in a value,
/// but every read of the record carries it).
pub const MOST_TEXT_BYTES: u32 = 10 * 1024 * 1024;

/// The most a profile may allow in one list.
pub const MOST_LIST_ITEMS: u32 = 100_000;

/// Field names whose text is a name or a short label (see the module docs); so is any
/// field ending in `_name`.
const NAME_FIELDS: &[&str] = &[
    "name",
    "agency",
    "reference",
    "by_whom",
    "question",
    "programme",
    "key",
    "resources",
    "topics",
];

fn is_name_field(key: &str) -> bool {
    NAME_FIELDS.contains(&key) || key.ends_with("_name")
}

impl InputLimits {
    /// Checks what serde cannot: every limit at least 1 and at most what a store should carry,
    /// and room for a full assessment with `tool`.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first problem: `name_chars` under 32 or over
    /// 10,000; `text_bytes`, `indicators` or `list_items` 0; `text_bytes` over
    /// [`MOST_TEXT_BYTES`]; `indicators` or `list_items` over [`MOST_LIST_ITEMS`];
    /// `indicators` fewer than `tool` has.
    pub fn validate(&self, tool: &RiskTool) -> Result<(), InputError> {
        if self.name_chars < 32 {
            return Err(InputError::new(
                "name_chars",
                format!(
                    "{} is fewer than 32: a session topic's key (up to 31 characters) would not fit",
                    self.name_chars
                ),
            ));
        }
        for (field, value, most) in [
            ("name_chars", self.name_chars, 10_000),
            ("text_bytes", self.text_bytes, MOST_TEXT_BYTES),
            ("indicators", self.indicators, MOST_LIST_ITEMS),
            ("list_items", self.list_items, MOST_LIST_ITEMS),
        ] {
            if value == 0 {
                return Err(InputError::new(field, "must be at least 1"));
            }
            if value > most {
                return Err(InputError::new(
                    field,
                    format!("{value} is more than {most}"),
                ));
            }
        }
        let known = tool.indicators.len();
        if (self.indicators as usize) < known {
            return Err(InputError::new(
                "indicators",
                format!(
                    "{} is fewer than the {known} indicators of the risk tool `{}`: a full \
                     assessment would not fit",
                    self.indicators, tool.name
                ),
            ));
        }
        Ok(())
    }

    /// Checks a command of any aggregate, its fields named as in its flat JSON form
    /// (`note`, `indicators[3].key`, without the command's name).
    ///
    /// # Errors
    ///
    /// As [`InputLimits::check`].
    pub fn check_command<T: Serialize + ?Sized>(&self, command: &T) -> Result<(), InputError> {
        match measured(command) {
            // The serde form of a command with fields: `{"hold_session": {…}}`.
            Value::Object(tagged) if tagged.len() == 1 => {
                let fields = tagged.into_iter().next().map(|(_, v)| v);
                self.walk(fields.as_ref().unwrap_or(&Value::Null), "", "")
            }
            other => self.walk(&other, "", ""),
        }
    }

    /// Checks `value` (a referral, a young person's details, a workshop), its fields named
    /// from its top (`concerns`, `source.agency`).
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the field path of the first problem: a text in a
    /// name field (see the module docs) of more than [`InputLimits::name_chars`] characters,
    /// or any other text of more than [`InputLimits::text_bytes`] bytes; a list `indicators`
    /// of more than [`InputLimits::indicators`] answers, or any other list of more than
    /// [`InputLimits::list_items`] items; a text with a NUL character; a date or time whose
    /// year is outside [`crate::kernel::input::YEARS`].
    pub fn check<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), InputError> {
        self.walk(&measured(value), "", "")
    }

    /// Checks `value` as the field `field` (a reason given on its own).
    ///
    /// # Errors
    ///
    /// As [`InputLimits::check`], the path starting at `field`.
    pub fn check_field<T: Serialize + ?Sized>(
        &self,
        field: &str,
        value: &T,
    ) -> Result<(), InputError> {
        self.walk(&measured(value), field, field)
    }

    fn walk(&self, value: &Value, path: &str, key: &str) -> Result<(), InputError> {
        match value {
            Value::String(text) => self.check_text(path, key, text),
            Value::Array(items) => {
                let (most, setting) = if key == "indicators" {
                    (self.indicators, "indicators")
                } else {
                    (self.list_items, "list_items")
                };
                if items.len() > most as usize {
                    return Err(InputError::new(
                        path,
                        format!(
                            "has {} items; the most this service accepts is {most} (the \
                             profile's `limits.{setting}`)",
                            items.len()
                        ),
                    ));
                }
                items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, item)| self.walk(item, &format!("{path}[{i}]"), key))
            }
            Value::Object(fields) => fields.iter().try_for_each(|(name, v)| {
                let here = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                self.walk(v, &here, name)
            }),
            _ => Ok(()),
        }
    }

    fn check_text(&self, path: &str, key: &str, text: &str) -> Result<(), InputError> {
        if text.contains('\0') {
            // PostgreSQL text cannot hold NUL: every store must keep what it is given.
            return Err(InputError::new(path, "must not contain a NUL character"));
        }
        within_years_text(path, text)?;
        if is_name_field(key) {
            let chars = text.chars().count();
            if chars > self.name_chars as usize {
                return Err(InputError::new(
                    path,
                    format!(
                        "is {chars} characters; the most this service accepts is {} (the \
                         profile's `limits.name_chars`)",
                        self.name_chars
                    ),
                ));
            }
        } else if text.len() > self.text_bytes as usize {
            return Err(InputError::new(
                path,
                format!(
                    "is {} bytes; the most this service accepts is {} (the profile's \
                     `limits.text_bytes`)",
                    text.len(),
                    self.text_bytes
                ),
            ));
        }
        Ok(())
    }
}

/// `value` as JSON, confidential content included: only to be measured, never kept.
fn measured<T: Serialize + ?Sized>(value: &T) -> Value {
    crate::kernel::confidential::for_storage(|| serde_json::to_value(value))
        .expect("inputs serialize to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::profile::examples::minimal_risk_tool;

    fn limits() -> InputLimits {
        InputLimits {
            name_chars: 5,
            text_bytes: 10,
            indicators: 8,
            list_items: 2,
        }
    }

    #[test]
    fn a_name_is_held_to_name_chars_characters_at_the_boundary() {
        let at = serde_json::json!({"name": "Zoë A"});
        assert_eq!(limits().check(&at), Ok(()));
        let over = limits()
            .check(&serde_json::json!({"details": {"name": "Zoë Ab"}}))
            .unwrap_err();
        assert_eq!(over.field, "details.name");
        assert!(over.problem.contains("6 characters"), "{}", over.problem);
        assert!(
            over.problem.contains("limits.name_chars"),
            "{}",
            over.problem
        );
        let worker = limits()
            .check(&serde_json::json!({"worker_name": "Robin"}))
            .and(limits().check(&serde_json::json!({"worker_name": "Robins"})));
        assert_eq!(worker.unwrap_err().field, "worker_name");
    }

    #[test]
    fn other_text_is_held_to_text_bytes_bytes_at_the_boundary() {
        // Ten bytes exactly: "ë" is two.
        assert_eq!(
            limits().check(&serde_json::json!({"note": "Zoë sa ok"})),
            Ok(())
        );
        let over = limits()
            .check(&serde_json::json!({"note": "Zoë says ok"}))
            .unwrap_err();
        assert_eq!(over.field, "note");
        assert!(over.problem.contains("12 bytes"), "{}", over.problem);
        assert!(
            over.problem.contains("limits.text_bytes"),
            "{}",
            over.problem
        );
        assert!(
            !over.problem.contains("says"),
            "the content is never echoed"
        );
    }

    #[test]
    fn lists_are_held_to_their_limits_at_the_boundary() {
        let eight: Vec<_> = (0..8)
            .map(|i| serde_json::json!({"key": format!("k{i}")}))
            .collect();
        assert_eq!(
            limits().check(&serde_json::json!({"indicators": eight})),
            Ok(())
        );
        let nine: Vec<_> = (0..9)
            .map(|i| serde_json::json!({"key": format!("k{i}")}))
            .collect();
        let over = limits()
            .check(&serde_json::json!({"indicators": nine}))
            .unwrap_err();
        assert_eq!(over.field, "indicators");
        assert!(
            over.problem.contains("limits.indicators"),
            "{}",
            over.problem
        );

        assert_eq!(
            limits().check(&serde_json::json!({"topics": ["a", "b"]})),
            Ok(())
        );
        let over = limits()
            .check(&serde_json::json!({"session": {"topics": ["a", "b", "c"]}}))
            .unwrap_err();
        assert_eq!(over.field, "session.topics");
        assert!(over.problem.contains("3 items"), "{}", over.problem);
        assert!(
            over.problem.contains("limits.list_items"),
            "{}",
            over.problem
        );
        // Items of a list of names are names.
        let over = limits()
            .check(&serde_json::json!({"resources": ["Pack", "Workbook"]}))
            .unwrap_err();
        assert_eq!(over.field, "resources[1]");
    }

    #[test]
    fn nul_and_years_outside_the_range_are_refused_in_any_field() {
        let nul = limits()
            .check(&serde_json::json!({"a": [{"b": "x\u{0}"}]}))
            .unwrap_err();
        assert_eq!(nul.field, "a[0].b");
        assert!(nul.problem.contains("NUL"));
        let old = InputLimits::default()
            .check(&serde_json::json!({"received_at": "-5000-01-01T00:00:00Z"}))
            .unwrap_err();
        assert_eq!(old.field, "received_at");
        assert!(old.problem.contains("1900"), "{}", old.problem);
    }

    #[test]
    fn a_command_is_named_as_its_flat_form_names_it() {
        let over = limits()
            .check_command(&serde_json::json!({"hold_session": {"note": "x".repeat(11)}}))
            .unwrap_err();
        assert_eq!(over.field, "note");
        assert_eq!(limits().check_command(&"screen"), Ok(()));
        let reason = limits().check_field("reason", &"x".repeat(11)).unwrap_err();
        assert_eq!(reason.field, "reason");
    }

    #[test]
    fn limits_are_validated_against_the_risk_tool() {
        let tool = minimal_risk_tool();
        assert_eq!(InputLimits::default().validate(&tool), Ok(()));
        let too_few = InputLimits {
            indicators: 7,
            ..InputLimits::default()
        };
        assert_eq!(too_few.validate(&tool).unwrap_err().field, "indicators");
        let none = InputLimits {
            list_items: 0,
            ..InputLimits::default()
        };
        assert_eq!(none.validate(&tool).unwrap_err().field, "list_items");
        let huge = InputLimits {
            text_bytes: MOST_TEXT_BYTES + 1,
            ..InputLimits::default()
        };
        assert_eq!(huge.validate(&tool).unwrap_err().field, "text_bytes");
    }
}
