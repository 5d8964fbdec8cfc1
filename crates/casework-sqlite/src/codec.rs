//! How values are stored: ids as hyphenated lowercase text, instants as two integers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Microseconds since the Unix epoch and the nanoseconds beyond the microsecond (0–999).
/// Together they hold every `DateTime<Utc>` exactly and sort in time order. (A leap second's
/// extra nanoseconds, which `chrono` can represent but no clock reports, are folded into the
/// following microseconds.)
pub(crate) fn instant(at: DateTime<Utc>) -> (i64, i64) {
    let nanos = i64::from(at.timestamp_subsec_nanos());
    (at.timestamp() * 1_000_000 + nanos / 1_000, nanos % 1_000)
}

/// The inverse of [`instant`]; `None` when the integers are out of `chrono`'s range.
pub(crate) fn from_instant(micros: i64, nanos: i64) -> Option<DateTime<Utc>> {
    if !(0..1_000).contains(&nanos) {
        return None;
    }
    let secs = micros.div_euclid(1_000_000);
    let sub = micros.rem_euclid(1_000_000) * 1_000 + nanos;
    DateTime::from_timestamp(secs, u32::try_from(sub).ok()?)
}

/// A uuid as stored: hyphenated lowercase, so text order is uuid order.
pub(crate) fn id(uuid: Uuid) -> String {
    uuid.hyphenated().to_string()
}

/// Parses a stored uuid.
pub(crate) fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text).ok()
}

/// A stored version (never above `i64::MAX`).
pub(crate) fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_round_trip_and_sort() {
        let samples = [
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc.timestamp_opt(-1, 999_999_999).unwrap(),
            Utc.timestamp_opt(-62_135_596_800, 1).unwrap(),
            Utc.timestamp_opt(1_772_442_000, 123_456_789).unwrap(),
            Utc.timestamp_opt(1_772_442_000, 123_456_000).unwrap(),
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ];
        for at in samples {
            let (us, ns) = instant(at);
            assert_eq!(from_instant(us, ns), Some(at), "{at:?}");
        }
        let mut sorted = samples.to_vec();
        sorted.sort();
        let mut by_key = samples.to_vec();
        by_key.sort_by_key(|at| instant(*at));
        assert_eq!(sorted, by_key);
    }

    #[test]
    fn ids_sort_as_uuids() {
        let mut ids: Vec<Uuid> = (0..200).map(|_| Uuid::new_v4()).collect();
        let mut texts: Vec<String> = ids.iter().map(|u| id(*u)).collect();
        ids.sort();
        texts.sort();
        let parsed: Vec<Uuid> = texts.iter().map(|t| parse_id(t).unwrap()).collect();
        assert_eq!(ids, parsed);
    }
}
