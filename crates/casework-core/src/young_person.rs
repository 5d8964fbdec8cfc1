//! The young person: identity known across episodes.
//!
//! A young person has their own event stream (registered, details corrected). Cases refer to
//! them by id and keep a snapshot of the details the referral was screened on, so an old
//! screening still explains itself after the details change. Links to their cases are
//! a query ([`crate::store::CaseQueries::cases_of`]); re-referral links a new case to the
//! latest earlier one.

use crate::ids::YoungPersonId;
use crate::input::{InputError, Postcode, Text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Gender as the young person describes it. Service profiles list the genders they serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// A girl or young woman.
    Female,
    /// A boy or young man.
    Male,
    /// Non-binary.
    NonBinary,
    /// Not stated.
    NotStated,
}

/// How the young person prefers to be contacted. Contact details themselves are not held here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    /// Phone call.
    Call,
    /// Text message.
    Text,
    /// Through the referring professional.
    ViaProfessional,
    /// In person at school, college or a youth club.
    InPerson,
}

/// Who a young person is, as given at registration or corrected later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YoungPersonDetails {
    /// The name the young person uses.
    pub name: Text,
    /// Date of birth; age is computed from it on each referral date.
    pub date_of_birth: NaiveDate,
    /// Gender.
    pub gender: Gender,
    /// Home postcode (full or district).
    pub postcode: Postcode,
    /// Whether a learning difficulty is recorded (extends some age ranges, R-2; a risk floor, R-21).
    pub learning_difficulty: bool,
    /// Contact preferences, most preferred first.
    #[serde(default)]
    pub contact_preferences: Vec<ContactMethod>,
}

impl YoungPersonDetails {
    /// Checks what types cannot: a date of birth in the past, and not absurdly far back.
    pub fn validate(&self, today: NaiveDate) -> Result<(), InputError> {
        if self.date_of_birth > today {
            return Err(InputError::new(
                "date_of_birth",
                format!("{} is in the future (today is {today})", self.date_of_birth),
            ));
        }
        if today.years_since(self.date_of_birth).unwrap_or(0) > 120 {
            return Err(InputError::new(
                "date_of_birth",
                format!("{} is more than 120 years ago", self.date_of_birth),
            ));
        }
        Ok(())
    }

    /// Age in completed years on `date` (a 29 February birthday counts from 1 March).
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        date.years_since(self.date_of_birth).unwrap_or(0)
    }
}

/// What happened to a young person's identity record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum YoungPersonEvent {
    /// First known to the service.
    #[serde(rename = "young_person_registered")]
    Registered {
        /// The id given.
        id: YoungPersonId,
        /// Details at registration.
        details: YoungPersonDetails,
        /// When registered.
        at: DateTime<Utc>,
    },
    /// Details were corrected (a new, attributed entry; the old details stay in history).
    #[serde(rename = "young_person_details_corrected")]
    DetailsCorrected {
        /// The corrected details.
        details: YoungPersonDetails,
        /// When corrected.
        at: DateTime<Utc>,
    },
}

/// A young person's identity record: the fold of their events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YoungPerson {
    /// Their id.
    pub id: YoungPersonId,
    /// Current details.
    pub details: YoungPersonDetails,
    /// When first registered.
    pub registered_at: DateTime<Utc>,
}

impl YoungPerson {
    /// Decides a registration.
    pub fn register(
        id: YoungPersonId,
        details: YoungPersonDetails,
        at: DateTime<Utc>,
    ) -> Result<YoungPersonEvent, InputError> {
        details.validate(at.date_naive())?;
        Ok(YoungPersonEvent::Registered { id, details, at })
    }

    /// Decides a correction of details.
    pub fn correct(
        &self,
        details: YoungPersonDetails,
        at: DateTime<Utc>,
    ) -> Result<YoungPersonEvent, InputError> {
        details.validate(at.date_naive())?;
        Ok(YoungPersonEvent::DetailsCorrected { details, at })
    }

    /// Folds one event; `None` when the event cannot follow the state (a corrupt history).
    pub fn evolve(state: Option<Self>, event: &YoungPersonEvent) -> Option<Self> {
        match (state, event) {
            (None, YoungPersonEvent::Registered { id, details, at }) => Some(YoungPerson {
                id: *id,
                details: details.clone(),
                registered_at: *at,
            }),
            (Some(mut yp), YoungPersonEvent::DetailsCorrected { details, .. }) => {
                yp.details = details.clone();
                Some(yp)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Gender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::NonBinary => "non-binary",
            Gender::NotStated => "not stated",
        })
    }
}
