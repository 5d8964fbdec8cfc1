//! Eligibility screening.
//!
//! A service profile says who the service is for: an age range (with an extended upper age
//! where a learning difficulty is recorded), the genders served and the postcodes covered.
//! Screening is a pure function of those rules, the young person's details as given on the
//! referral, and the referral date: age is computed on the referral date, never today.

use crate::kernel::input::{InputError, Postcode};
use crate::young_person::{Gender, YoungPersonDetails};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who a service is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// Youngest age served, in completed years, inclusive.
    pub min_age: u32,
    /// Oldest age served, in completed years, inclusive: `18` serves a young person until the
    /// day before their 19th birthday. A service that means "under 18" writes `17`.
    pub max_age: u32,
    /// Oldest age served where a learning difficulty is recorded, inclusive (`24`), if the
    /// service extends its range.
    #[serde(default)]
    pub max_age_with_learning_difficulty: Option<u32>,
    /// Genders served.
    pub genders: Vec<Gender>,
    /// Postcode coverage.
    pub postcodes: PostcodeCoverage,
}

/// Postcodes a service covers: whole areas (`LS`: every LS district) and single districts
/// (`WF10`, `WF3`). `WF1` is neither `WF10` nor in a covered area.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PostcodeCoverage {
    /// Whole postcode areas, by their letters (`LS`).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Single districts, by outward code (`WF10`).
    #[serde(default)]
    pub districts: Vec<String>,
}

impl PostcodeCoverage {
    /// Whether `postcode` is covered.
    #[must_use]
    pub fn covers(&self, postcode: &Postcode) -> bool {
        self.areas
            .iter()
            .any(|a| a.eq_ignore_ascii_case(postcode.area()))
            || self
                .districts
                .iter()
                .any(|d| d.trim().eq_ignore_ascii_case(postcode.district()))
    }
}

/// Why a referral is outside a service's remit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum Ineligibility {
    /// Younger than the service's minimum age.
    TooYoung {
        /// Age on the referral date.
        age: u32,
        /// The minimum.
        min_age: u32,
    },
    /// Older than the service's maximum age (taking a learning difficulty into account).
    TooOld {
        /// Age on the referral date.
        age: u32,
        /// The maximum that applied.
        max_age: u32,
    },
    /// The service does not work with this gender.
    GenderNotServed {
        /// The young person's gender.
        gender: Gender,
    },
    /// The postcode is outside the area covered.
    OutsideArea {
        /// The district of the postcode given (the outward code: the full postcode is an
        /// address, kept sealed with the details).
        postcode: Postcode,
    },
}

impl Ineligibility {
    /// The kind of reason, for matching signposting rules.
    #[must_use]
    pub fn kind(&self) -> IneligibilityKind {
        match self {
            Ineligibility::TooYoung { .. } => IneligibilityKind::TooYoung,
            Ineligibility::TooOld { .. } => IneligibilityKind::TooOld,
            Ineligibility::GenderNotServed { .. } => IneligibilityKind::GenderNotServed,
            Ineligibility::OutsideArea { .. } => IneligibilityKind::OutsideArea,
        }
    }
}

impl fmt::Display for Ineligibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ineligibility::TooYoung { age, min_age } => {
                write!(
                    f,
                    "aged {age} on the referral date; the service starts at {min_age}"
                )
            }
            Ineligibility::TooOld { age, max_age } => {
                write!(
                    f,
                    "aged {age} on the referral date; the service works up to {max_age}"
                )
            }
            Ineligibility::GenderNotServed { gender } => {
                write!(
                    f,
                    "the service does not work with young people of gender {gender}"
                )
            }
            Ineligibility::OutsideArea { postcode } => {
                write!(f, "postcode {postcode} is outside the area covered")
            }
        }
    }
}

/// The kinds of [`Ineligibility`], as named in signposting rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum IneligibilityKind {
    /// Too young.
    TooYoung,
    /// Too old.
    TooOld,
    /// Gender not served.
    GenderNotServed,
    /// Outside the area.
    OutsideArea,
}

/// The result of screening one referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// Age in completed years on the referral date.
    pub age_on_referral: u32,
    /// Every reason the referral is outside the remit; empty when eligible.
    pub reasons: Vec<Ineligibility>,
}

impl Screening {
    /// Whether the referral is eligible.
    #[must_use]
    pub fn is_eligible(&self) -> bool {
        self.reasons.is_empty()
    }
}

impl Eligibility {
    /// Checks what serde cannot: the age range the right way round, the extension above the
    /// maximum, at least one gender, and postcode areas and districts that are well formed.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) naming the first problem: `min_age` above `max_age`;
    /// `max_age_with_learning_difficulty` below `max_age`; `genders` empty; `postcodes` with
    /// neither an area nor a district; `postcodes.areas[i]` not one or two letters;
    /// `postcodes.districts[i]` not a postcode district (an outward code such as `WF10`).
    pub fn validate(&self) -> Result<(), InputError> {
        if self.min_age > self.max_age {
            return Err(InputError::new(
                "min_age",
                format!("{} is above max_age {}", self.min_age, self.max_age),
            ));
        }
        if let Some(extended) = self.max_age_with_learning_difficulty {
            if extended < self.max_age {
                return Err(InputError::new(
                    "max_age_with_learning_difficulty",
                    format!(
                        "{extended} is below max_age {}; an extension cannot shorten the range",
                        self.max_age
                    ),
                ));
            }
        }
        if self.genders.is_empty() {
            return Err(InputError::new(
                "genders",
                "a service serves at least one gender",
            ));
        }
        if self.postcodes.areas.is_empty() && self.postcodes.districts.is_empty() {
            return Err(InputError::new(
                "postcodes",
                "name at least one area or district",
            ));
        }
        for (i, area) in self.postcodes.areas.iter().enumerate() {
            if area.is_empty() || area.len() > 2 || !area.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(InputError::new(
                    format!("postcodes.areas[{i}]"),
                    format!("`{area}` is not a postcode area (one or two letters, e.g. `LS`)"),
                ));
            }
        }
        for (i, district) in self.postcodes.districts.iter().enumerate() {
            let parsed = Postcode::parse(district)
                .ok()
                .filter(|p| p.to_string() == p.district());
            if parsed.is_none() {
                return Err(InputError::new(
                    format!("postcodes.districts[{i}]"),
                    format!("`{district}` is not a postcode district (e.g. `WF10`)"),
                ));
            }
        }
        Ok(())
    }

    /// Screens a young person's details on the referral date.
    #[must_use]
    pub fn screen(&self, subject: &YoungPersonDetails, referral_date: NaiveDate) -> Screening {
        let age = subject.age_on(referral_date);
        let mut reasons = Vec::new();
        let max_age = match self.max_age_with_learning_difficulty {
            Some(extended) if subject.learning_difficulty => extended.max(self.max_age),
            _ => self.max_age,
        };
        if age < self.min_age {
            reasons.push(Ineligibility::TooYoung {
                age,
                min_age: self.min_age,
            });
        }
        if age > max_age {
            reasons.push(Ineligibility::TooOld { age, max_age });
        }
        if !self.genders.contains(&subject.gender) {
            reasons.push(Ineligibility::GenderNotServed {
                gender: subject.gender,
            });
        }
        if !self.postcodes.covers(&subject.postcode) {
            // The district decides coverage and is all the reason keeps: the full postcode
            // is an address, sealed with the details (crate::kernel::sealing).
            reasons.push(Ineligibility::OutsideArea {
                postcode: subject.postcode.district_only(),
            });
        }
        Screening {
            age_on_referral: age,
            reasons,
        }
    }
}

impl fmt::Display for IneligibilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IneligibilityKind::TooYoung => "too young",
            IneligibilityKind::TooOld => "too old",
            IneligibilityKind::GenderNotServed => "a gender the service does not work with",
            IneligibilityKind::OutsideArea => "outside the area",
        })
    }
}
