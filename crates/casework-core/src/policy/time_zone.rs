//! The service's time zone: which calendar day an instant falls on (R-2).
//!
//! Every recorded time is an instant in UTC, but a young person's age, a workshop's date and
//! "today" are days on the wall calendar where the service works. A referral received at
//! 00:30 on someone's 19th birthday in a British summer is 23:30 the day before in UTC: read
//! as a UTC date it would screen them at 18. So the profile names its zone (an IANA name,
//! `Europe/London`), and the domain takes the local date in that zone wherever a day stands
//! for a person's calendar: age on the referral date and on an assessment (R-2, R-21 floors),
//! a date of birth or a date last seen "not after today", a referral or tutorial not before
//! its workshop's date, a programme's eligibility on the day it is assigned.
//!
//! The default is `Europe/London`: the library reads only UK postcodes, so every service it
//! can serve keeps UK time, and a default of UTC would be a day out for an hour every summer
//! night.
//!
//! ```
//! use casework_core::policy::time_zone::ServiceTimeZone;
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! let london = ServiceTimeZone::default();
//! assert_eq!(london.name(), "Europe/London");
//! // 23:30 UTC on 9 June is 00:30 BST on 10 June.
//! let at = Utc.with_ymd_and_hms(2026, 6, 9, 23, 30, 0).unwrap();
//! assert_eq!(london.date_of(at), NaiveDate::from_ymd_opt(2026, 6, 10).unwrap());
//! assert_eq!(ServiceTimeZone::parse("UTC").unwrap().date_of(at), at.date_naive());
//! assert!(ServiceTimeZone::parse("Europe/Londn").is_err());
//! ```

use crate::kernel::input::{quoted, InputError};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A service's time zone, by its IANA name (`Europe/London`); see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceTimeZone(Tz);

impl ServiceTimeZone {
    /// The zone named `name`, an IANA time zone name (`Europe/London`, `UTC`).
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `time_zone` when `name` is not an IANA time zone name.
    pub fn parse(name: &str) -> Result<Self, InputError> {
        name.trim().parse::<Tz>().map(Self).map_err(|_| {
            InputError::new(
                "time_zone",
                format!(
                    "{} is not an IANA time zone name (e.g. `Europe/London`, `UTC`)",
                    quoted(name)
                ),
            )
        })
    }

    /// The zone's IANA name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The calendar date of `at` on the service's wall clock.
    #[must_use]
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }
}

impl Default for ServiceTimeZone {
    /// `Europe/London` (see the module docs).
    fn default() -> Self {
        Self(Tz::Europe__London)
    }
}

impl TryFrom<String> for ServiceTimeZone {
    /// A plain message: serde and the policy decoders add the field's path around it.
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|e| e.problem)
    }
}

impl From<ServiceTimeZone> for String {
    fn from(zone: ServiceTimeZone) -> String {
        zone.name().to_owned()
    }
}

impl fmt::Display for ServiceTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An IANA time zone name.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for ServiceTimeZone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ServiceTimeZone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An IANA time zone name, e.g. `Europe/London`; the local date in it is the date used for ages.",
            "examples": ["Europe/London"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn london_is_an_hour_ahead_of_utc_in_summer_and_level_in_winter() {
        let london = ServiceTimeZone::default();
        let summer_night = Utc.with_ymd_and_hms(2026, 6, 9, 23, 30, 0).unwrap();
        assert_eq!(london.date_of(summer_night), date(2026, 6, 10));
        let winter_night = Utc.with_ymd_and_hms(2026, 12, 9, 23, 30, 0).unwrap();
        assert_eq!(london.date_of(winter_night), date(2026, 12, 9));
        let winter_after_midnight = Utc.with_ymd_and_hms(2026, 12, 10, 0, 30, 0).unwrap();
        assert_eq!(london.date_of(winter_after_midnight), date(2026, 12, 10));
    }

    #[test]
    fn a_zone_is_read_and_written_by_its_iana_name() {
        let zone: ServiceTimeZone = serde_json::from_str("\"Europe/Belfast\"").unwrap();
        assert_eq!(serde_json::to_string(&zone).unwrap(), "\"Europe/Belfast\"");
        let refused = ServiceTimeZone::parse(&"X".repeat(10_000)).unwrap_err();
        assert_eq!(refused.field, "time_zone");
        assert!(refused.problem.len() < 200, "{}", refused.problem);
    }
}
