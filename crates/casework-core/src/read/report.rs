//! What one case's recorded work says, as pure functions of the case (R-11 … R-14).
//!
//! - [`cadence_report`]: expected against delivered sessions and contacts in a window, on the
//!   cadence that applied at each moment, and contact with the referring professional
//!
//! - [`length_status`]: how long work has gone on against the programme's expected length,
//!   shown and never enforced;
//! - [`review_due_within`] and [`risk_trend`]: when the next review falls due and the
//!   direction of risk across the case's assessments;
//! - [`risk_trajectory`]: every assessment's level in order, the referral's and each review's
//!   for a chart of one case's risk over time.
//!
//! Windows are half-open: `from` is in, `to` is not, so consecutive windows never count a
//! session twice.

use crate::case::Case;
use crate::case::{Cadence, CaseActivity, ContactWith, SessionStatus};
use crate::kernel::ids::CaseId;
use crate::policy::profile::ServiceProfile;
use crate::policy::programme::Span;
use crate::policy::risk::{trend, RiskLevel, RiskTrend};
use crate::read::rows::CaseSummary;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

const WEEK_SECONDS: i128 = 7 * 24 * 3600;
const DAY_SECONDS: i128 = 24 * 3600;

/// Delivery against expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CadenceStatus {
    /// Fewer than the least expected.
    Behind,
    /// Within the expected range.
    OnTrack,
    /// More than the most expected.
    Ahead,
}

/// Expected against delivered, for sessions or for contacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Expectation {
    /// The range expected over the working time in the window (least rounded down, most
    /// rounded up), or `None` where the cadence sets no expectation.
    pub expected: Option<Span>,
    /// How many were delivered in the window.
    pub delivered: u32,
    /// Delivery against the range, where there is one.
    pub status: Option<CadenceStatus>,
}

impl Expectation {
    fn of(expected: Option<Span>, delivered: u32) -> Self {
        let status = expected.map(|span| {
            if delivered < span.min {
                CadenceStatus::Behind
            } else if delivered > span.max {
                CadenceStatus::Ahead
            } else {
                CadenceStatus::OnTrack
            }
        });
        Expectation {
            expected,
            delivered,
            status,
        }
    }
}

/// One case's expected against delivered work in a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CadenceReport {
    /// The case.
    pub case: CaseId,
    /// The window's start (in it).
    pub from: DateTime<Utc>,
    /// The window's end (not in it).
    pub to: DateTime<Utc>,
    /// Time in the window while work was under way: from work beginning to closure, less the
    /// time the case was paused. Expectations accrue only over this time.
    pub working_seconds: i64,
    /// One-to-one sessions held, against the sessions a week expected.
    pub sessions: Expectation,
    /// Contact episodes with the young person, against the contacts a day expected.
    pub contacts: Expectation,
    /// Contact episodes with the referring professional in the window.
    pub contacts_with_referrer: u32,
    /// The latest contact with the referring professional before the window's end.
    pub last_contact_with_referrer: Option<DateTime<Utc>>,
}

/// Expected against delivered sessions and contacts for `case` in `[from, to)`. Expectations
/// follow the cadence that applied at each moment (the programme's, or a worker's change,
/// R-11; weekly sessions until either is recorded) over the working time only: nothing is
/// expected before work began, while paused, or after closure.
#[must_use]
pub fn cadence_report(case: &Case, from: DateTime<Utc>, to: DateTime<Utc>) -> CadenceReport {
    let file = case.file();
    let activity = &file.activity;
    let working = working_intervals(activity, from, to);
    let mut sessions_min = 0i128;
    let mut sessions_max = 0i128;
    let mut contacts_min = 0i128;
    let mut contacts_max = 0i128;
    let mut any_sessions = false;
    let mut any_contacts = false;
    for (start, end, cadence) in cadence_intervals(activity) {
        for &(w_start, w_end) in &working {
            let s = start.map_or(w_start, |s| s.max(w_start));
            let e = end.map_or(w_end, |e| e.min(w_end));
            if s >= e {
                continue;
            }
            let secs = i128::from((e - s).num_seconds());
            if let Some(span) = cadence.sessions_per_week {
                any_sessions = true;
                sessions_min += i128::from(span.min) * secs;
                sessions_max += i128::from(span.max) * secs;
            }
            if let Some(span) = cadence.contacts_per_day {
                any_contacts = true;
                contacts_min += i128::from(span.min) * secs;
                contacts_max += i128::from(span.max) * secs;
            }
        }
    }
    let range = |min: i128, max: i128, unit: i128| Span {
        min: u32::try_from(min / unit).unwrap_or(u32::MAX),
        max: u32::try_from((max + unit - 1) / unit).unwrap_or(u32::MAX),
    };
    // With no working time in the window, a cadence still expects nothing rather than "none".
    let current = activity.current_cadence();
    let sessions_expected = (any_sessions || current.sessions_per_week.is_some())
        .then(|| range(sessions_min, sessions_max, WEEK_SECONDS));
    let contacts_expected = (any_contacts || current.contacts_per_day.is_some())
        .then(|| range(contacts_min, contacts_max, DAY_SECONDS));
    let in_window = |at: DateTime<Utc>| from <= at && at < to;
    let held = activity
        .sessions
        .iter()
        .filter(|s| matches!(s.status, SessionStatus::Held { held_at, .. } if in_window(held_at)))
        .count();
    let with_young_person = activity
        .contacts
        .iter()
        .filter(|c| c.with == ContactWith::YoungPerson && in_window(c.at))
        .count();
    let referrer = file.referring_professional();
    let referrer_contacts: Vec<_> = activity
        .contacts
        .iter()
        .filter(|c| {
            referrer.is_some_and(|r| c.with == ContactWith::Professional { id: r }) && c.at < to
        })
        .collect();
    CadenceReport {
        case: file.id,
        from,
        to,
        working_seconds: working.iter().map(|(s, e)| (*e - *s).num_seconds()).sum(),
        sessions: Expectation::of(sessions_expected, count(held)),
        contacts: Expectation::of(contacts_expected, count(with_young_person)),
        contacts_with_referrer: count(referrer_contacts.iter().filter(|c| in_window(c.at)).count()),
        last_contact_with_referrer: referrer_contacts.iter().map(|c| c.at).max(),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The parts of `[from, to)` while work was under way.
fn working_intervals(
    activity: &CaseActivity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let Some(begun) = activity.work_begun_at else {
        return Vec::new();
    };
    let start = from.max(begun);
    let end = activity.ended_at.map_or(to, |e| e.min(to));
    let mut out = Vec::new();
    let mut cursor = start;
    let mut pauses = activity.pauses.clone();
    pauses.sort_by_key(|p| p.from);
    for pause in pauses {
        let p_end = pause.to.unwrap_or(end).min(end);
        if pause.from > cursor {
            out.push((cursor, pause.from.min(end)));
        }
        cursor = cursor.max(p_end);
        if cursor >= end {
            break;
        }
    }
    if cursor < end {
        out.push((cursor, end));
    }
    out.retain(|(s, e)| s < e);
    out
}

/// The cadence over time: `(from, until, cadence)`, `None` meaning unbounded.
type CadenceInterval = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Cadence);

fn cadence_intervals(activity: &CaseActivity) -> Vec<CadenceInterval> {
    let mut out = Vec::new();
    let mut start = None;
    let mut cadence = Cadence::weekly();
    for period in &activity.cadence {
        out.push((start, Some(period.from), cadence));
        start = Some(period.from);
        cadence = period.cadence;
    }
    out.push((start, None, cadence));
    out
}

/// How long work has gone on against the programme's expected length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LengthStatus {
    /// The case.
    pub case: CaseId,
    /// The programme.
    pub programme: String,
    /// The expected length in weeks.
    pub expected_weeks: Span,
    /// When work began.
    pub since: DateTime<Utc>,
    /// Completed weeks of work, up to the closure or `as_of`.
    pub weeks: u32,
    /// Whether work has gone on longer than the most expected (strictly more than
    /// `expected_weeks.max` weeks). Shown, never enforced.
    pub past_expected: bool,
}

/// `case`'s length against its programme's expected length, as of `as_of`; `None` when the case
/// is on no programme with an expected length, or work has not begun (R-14: shown, never
/// enforced; a service with no time limit states none).
#[must_use]
pub fn length_status(
    case: &Case,
    profile: &ServiceProfile,
    as_of: DateTime<Utc>,
) -> Option<LengthStatus> {
    let activity = &case.file().activity;
    let key = activity.programme.as_deref()?;
    let expected_weeks = profile.programme(key)?.expected_weeks?;
    let since = activity.work_begun_at?;
    let until = activity.ended_at.map_or(as_of, |e| e.min(as_of));
    let elapsed = (until - since).max(Duration::zero());
    Some(LengthStatus {
        case: case.file().id,
        programme: key.to_owned(),
        expected_weeks,
        since,
        weeks: u32::try_from(elapsed.num_weeks()).unwrap_or(u32::MAX),
        past_expected: elapsed > Duration::weeks(i64::from(expected_weeks.max)),
    })
}

/// When `case`'s next review is due, if that is in `[from, to)`. A review due today
/// is found by the window of today: midnight to the next midnight.
#[must_use]
pub fn review_due_within(
    case: &Case,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    CaseSummary::of(case, 0)
        .next_review_due
        .filter(|due| from <= *due && *due < to)
}

/// The direction of `case`'s risk across its assessments: reducing, stable or rising
/// (lifecycle 3, R-12).
#[must_use]
pub fn risk_trend(case: &Case) -> RiskTrend {
    trend(&case.file().assessments)
}

/// One assessment on a case's risk trajectory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RiskPoint {
    /// When assessed.
    pub at: DateTime<Utc>,
    /// The level that applied (the override's, when a worker overrode the tool, R-21).
    pub level: RiskLevel,
    /// The level the tool computed.
    pub computed: RiskLevel,
    /// Whether it was recorded at a review; otherwise it is the referral's.
    pub at_review: bool,
}

/// One case's risk across its assessments, oldest first, and its trend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RiskTrajectory {
    /// The case.
    pub case: CaseId,
    /// Every assessment, oldest first.
    pub points: Vec<RiskPoint>,
    /// Reducing, stable or rising, between the last two.
    pub trend: RiskTrend,
}

/// `case`'s risk at the referral and at each review since.
#[must_use]
pub fn risk_trajectory(case: &Case) -> RiskTrajectory {
    let file = case.file();
    RiskTrajectory {
        case: file.id,
        points: file
            .assessments
            .iter()
            .map(|a| RiskPoint {
                at: a.at,
                level: a.level,
                computed: a.computed,
                at_review: file.reviews.iter().any(|r| r.assessment.at == a.at),
            })
            .collect(),
        trend: trend(&file.assessments),
    }
}
