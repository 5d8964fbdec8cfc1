//! Missing episodes.
//!
//! A missing episode belongs to the young person, not to a case: it can happen between cases,
//! and a pattern across cases matters. Each episode has a start and, once the young person is
//! back, a return time. A return interview is then due within 72 hours: due at exactly
//! `returned_at + 72h`, and overdue strictly after that, until it is completed or the young
//! person declines it (being offered it is recorded, but does not meet the duty).
//!
//! **Repeated episodes.** Three or more episodes whose *start dates* (the local dates in the
//! service's time zone, [`crate::policy::time_zone`]) fall within 30
//! consecutive calendar days raise a flag for a strategy discussion: the first episode's date
//! is day 1, so with episodes on 1 and 15 March a third starting on 30 March (day 30) raises
//! the flag, and one starting on 31 March (day 31) does not. A flag stays raised until it is
//! resolved with a reason (a strategy discussion was held); a further episode in a 30-day run
//! raises a new flag once the old one is resolved.

use crate::kernel::ids::{MissingEpisodeId, MissingFlagId};
use crate::kernel::input::Text;
use crate::policy::time_zone::ServiceTimeZone;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Hours from return within which a return interview is due.
pub const RETURN_INTERVIEW_HOURS: i64 = 72;

/// Days within which three episodes' starts raise a flag.
pub const FLAG_WINDOW_DAYS: i64 = 30;

/// Episodes within [`FLAG_WINDOW_DAYS`] that raise a flag.
pub const FLAG_EPISODES: usize = 3;

/// When the return interview for a return at `returned_at` is due: 72 hours later.
#[must_use]
pub fn return_interview_due(returned_at: DateTime<Utc>) -> DateTime<Utc> {
    returned_at + Duration::hours(RETURN_INTERVIEW_HOURS)
}

/// What happened about a return interview.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReturnInterviewOutcome {
    /// It was offered.
    Offered,
    /// It was held.
    Completed,
    /// The young person declined it (the service is voluntary, R-6).
    Declined,
}

impl ReturnInterviewOutcome {
    /// The stable name.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ReturnInterviewOutcome::Offered => "offered",
            ReturnInterviewOutcome::Completed => "completed",
            ReturnInterviewOutcome::Declined => "declined",
        }
    }
}

/// The return interview of one episode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReturnInterview {
    /// When it was first offered.
    pub offered_at: Option<DateTime<Utc>>,
    /// When it was held.
    pub completed_at: Option<DateTime<Utc>>,
    /// When the young person declined it.
    pub declined_at: Option<DateTime<Utc>>,
}

impl ReturnInterview {
    /// Completed or declined: the duty of R-22 is met.
    #[must_use]
    pub fn is_settled(&self) -> bool {
        self.completed_at.is_some() || self.declined_at.is_some()
    }
}

/// One missing episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MissingEpisode {
    /// Its id.
    pub id: MissingEpisodeId,
    /// When the young person went missing.
    pub started_at: DateTime<Utc>,
    /// When they came back, once they have.
    pub returned_at: Option<DateTime<Utc>>,
    /// The return interview.
    pub interview: ReturnInterview,
}

impl MissingEpisode {
    /// When the return interview is due, once the young person is back.
    pub fn interview_due(&self) -> Option<DateTime<Utc>> {
        self.returned_at.map(return_interview_due)
    }

    /// Whether `at` falls within the episode (from its start to its return, both included;
    /// to any time while it lasts).
    #[must_use]
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.started_at <= at && self.returned_at.is_none_or(|r| at <= r)
    }
}

/// A flag raised by repeated missing episodes, for a strategy discussion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MissingFlag {
    /// Its id.
    pub id: MissingFlagId,
    /// The episodes whose starts fell within the 30 days.
    pub episodes: Vec<MissingEpisodeId>,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// How it was resolved, once it was: why, and when (sealed at rest,
    /// [`crate::kernel::sealing::personal`]).
    #[serde(with = "crate::kernel::sealing::personal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<(String, DateTime<Utc>)>", extend("x-sealed-at-rest" = "personal")))]
    pub resolved: Option<(Text, DateTime<Utc>)>,
}

/// A return interview not yet completed or declined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReturnInterviewDue {
    /// The episode.
    pub episode: MissingEpisodeId,
    /// When the young person returned.
    pub returned_at: DateTime<Utc>,
    /// When the interview is due: 72 hours after the return.
    pub due_at: DateTime<Utc>,
    /// When it was offered, if it was.
    pub offered_at: Option<DateTime<Utc>>,
    /// Whether it is overdue: strictly after the due time.
    pub overdue: bool,
}

/// Return interviews not yet completed or declined, as of `as_of`, soonest due first; a return
/// interview due at exactly `as_of` is due, not overdue.
#[must_use]
pub fn return_interviews_due(
    episodes: &[MissingEpisode],
    as_of: DateTime<Utc>,
) -> Vec<ReturnInterviewDue> {
    let mut due: Vec<_> = episodes
        .iter()
        .filter(|e| !e.interview.is_settled())
        .filter_map(|e| {
            let returned_at = e.returned_at?;
            let due_at = return_interview_due(returned_at);
            Some(ReturnInterviewDue {
                episode: e.id,
                returned_at,
                due_at,
                offered_at: e.interview.offered_at,
                overdue: as_of > due_at,
            })
        })
        .collect();
    due.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.episode.cmp(&b.episode)));
    due
}

/// The episodes (existing ones plus one starting at `new_start`, `new`) that make a run of
/// three or more starts within 30 consecutive calendar days including the new one, earliest
/// run first; `None` if there is no such run (R-22, see the module docs for the boundary).
/// Days are calendar days in `zone`.
#[must_use]
pub fn run_with(
    episodes: &[MissingEpisode],
    new: MissingEpisodeId,
    new_start: DateTime<Utc>,
    zone: &ServiceTimeZone,
) -> Option<Vec<MissingEpisodeId>> {
    let mut starts: Vec<(NaiveDate, DateTime<Utc>, MissingEpisodeId)> = episodes
        .iter()
        .map(|e| (zone.date_of(e.started_at), e.started_at, e.id))
        .chain(std::iter::once((zone.date_of(new_start), new_start, new)))
        .collect();
    starts.sort();
    let new_date = zone.date_of(new_start);
    let last_day = Duration::days(FLAG_WINDOW_DAYS - 1);
    starts
        .iter()
        .map(|(first, _, _)| *first)
        .filter(|first| *first <= new_date && new_date - *first <= last_day)
        .find_map(|first| {
            let run: Vec<_> = starts
                .iter()
                .filter(|(d, _, _)| *d >= first && *d - first <= last_day)
                .map(|(_, _, id)| *id)
                .collect();
            (run.len() >= FLAG_EPISODES).then_some(run)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn episode(day: u32) -> MissingEpisode {
        let at = Utc.with_ymd_and_hms(2026, 3, day, 22, 0, 0).unwrap();
        MissingEpisode {
            id: MissingEpisodeId::new(),
            started_at: at,
            returned_at: Some(at + Duration::hours(10)),
            interview: ReturnInterview::default(),
        }
    }

    impl MissingEpisode {
        /// The same episode, on the same day and time of `month`.
        fn started_in(mut self, month: u32) -> Self {
            use chrono::Datelike;
            self.started_at = self.started_at.with_month(month).unwrap();
            self
        }
    }

    #[test]
    fn a_third_start_on_day_30_makes_a_run_and_on_day_31_does_not() {
        let earlier = [episode(1), episode(15)];
        let day_30 = Utc.with_ymd_and_hms(2026, 3, 30, 0, 5, 0).unwrap();
        let day_31 = Utc.with_ymd_and_hms(2026, 3, 31, 0, 5, 0).unwrap();
        let london = ServiceTimeZone::default();
        let run = run_with(&earlier, MissingEpisodeId::new(), day_30, &london).unwrap();
        assert_eq!(run.len(), 3);
        assert_eq!(
            run_with(&earlier, MissingEpisodeId::new(), day_31, &london),
            None
        );
        // 23:30 UTC on 30 April is 00:30 BST on 1 May: day 31 of a run from 1 April.
        let april = [episode(1).started_in(4), episode(15).started_in(4)];
        let late = Utc.with_ymd_and_hms(2026, 4, 30, 23, 30, 0).unwrap();
        assert_eq!(
            run_with(&april, MissingEpisodeId::new(), late, &london),
            None
        );
        let utc = ServiceTimeZone::parse("UTC").unwrap();
        assert!(run_with(&april, MissingEpisodeId::new(), late, &utc).is_some());
    }

    #[test]
    fn a_late_recorded_episode_can_complete_a_run_before_later_ones() {
        let existing = [episode(10), episode(20)];
        let earlier_start = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let london = ServiceTimeZone::default();
        assert!(run_with(&existing, MissingEpisodeId::new(), earlier_start, &london).is_some());
    }
}
