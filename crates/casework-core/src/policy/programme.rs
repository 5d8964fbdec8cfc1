//! Programmes: the kinds of work a service offers.
//!
//! A programme states its expected cadence (weekly one-to-one; intensive work 5–6 sessions a
//! week and 2–3 contacts a day), an optional expected length (short-term work: 8–10 weeks;
//! none means no time limit, R-14), its own review cadence, the topics it offers, and any
//! narrower eligibility than the service's (an intensive programme for young women of 16–21).
//! An expected length is shown, never enforced.

use crate::kernel::input::InputError;
use crate::policy::eligibility::Eligibility;
use crate::policy::profile::ReviewCadence;
use serde::{Deserialize, Serialize};

/// An inclusive range of whole numbers (`5..=6` sessions a week).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Least.
    pub min: u32,
    /// Most.
    pub max: u32,
}

impl Span {
    fn validate(&self, field: &str) -> Result<(), InputError> {
        if self.min > self.max {
            return Err(InputError::new(
                format!("{field}.min"),
                format!("{} is more than max {}", self.min, self.max),
            ));
        }
        Ok(())
    }
}

/// The shape of a programme's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeKind {
    /// One-to-one casework.
    OneToOne,
    /// Intensive one-to-one support with daily contact.
    Intensive,
    /// Group workshops (schools, youth clubs) with individual tutorials.
    Workshops,
}

/// A programme a service offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Programme {
    /// Stable key (`short_term`).
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ProgrammeKind,
    /// Who it is for, where narrower than the service.
    #[serde(default)]
    pub eligibility: Option<Eligibility>,
    /// Expected one-to-one sessions a week.
    #[serde(default)]
    pub sessions_per_week: Option<Span>,
    /// Expected contact episodes a day (calls, texts, drop-ins).
    #[serde(default)]
    pub contacts_per_day: Option<Span>,
    /// Expected length in weeks; absent means no time limit. Shown, never enforced.
    #[serde(default)]
    pub expected_weeks: Option<Span>,
    /// Review cadence, where it differs from the service's.
    #[serde(default)]
    pub reviews: Option<ReviewCadence>,
    /// Topics offered (the service's own packs and workbooks among them).
    #[serde(default)]
    pub topics: Vec<String>,
    /// Whether participants complete evaluation forms (workshops).
    #[serde(default)]
    pub evaluation_forms: bool,
}

impl Programme {
    /// Checks what serde cannot: non-empty names, ranges the right way round, positive cadences.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first problem: `key` or `name` empty; under
    /// `eligibility` what [`Eligibility::validate`] refuses; `sessions_per_week.min`,
    /// `contacts_per_day.min` or `expected_weeks.min` more than its `max`; under `reviews` what
    /// [`ReviewCadence::validate`] refuses; `sessions_per_week` absent from a programme that is not
    /// a workshop programme.
    pub fn validate(&self) -> Result<(), InputError> {
        if self.key.trim().is_empty() {
            return Err(InputError::new("key", "must not be empty"));
        }
        if self.name.trim().is_empty() {
            return Err(InputError::new("name", "must not be empty"));
        }
        if let Some(e) = &self.eligibility {
            e.validate().map_err(|err| err.within("eligibility"))?;
        }
        for (field, span) in [
            ("sessions_per_week", self.sessions_per_week),
            ("contacts_per_day", self.contacts_per_day),
            ("expected_weeks", self.expected_weeks),
        ] {
            if let Some(span) = span {
                span.validate(field)?;
            }
        }
        if let Some(r) = &self.reviews {
            r.validate().map_err(|err| err.within("reviews"))?;
        }
        if self.kind != ProgrammeKind::Workshops && self.sessions_per_week.is_none() {
            return Err(InputError::new(
                "sessions_per_week",
                "one-to-one and intensive programmes state their expected sessions a week (R-11)",
            ));
        }
        Ok(())
    }
}
