//! The figures funders and safeguarding partnerships ask for (R-29), as pure functions of
//! listings.
//!
//! A report covers a period, `[from, to)` in whole UTC days, for the whole service or one
//! programme ([`Scope`]). The service reads a few listings, each one indexed read
//! ([`ReportInputs`] says which), and [`Figures::compute`] turns them into typed figures; no
//! event is replayed, so every store gives the same answer. [`Figures::publish`] applies
//! small-number suppression for figures that leave the service ([`suppress`]), and
//! [`Figures::to_csv`] writes either as CSV.
//!
//! Why apart from [`crate::read::report`]: that module reads one case's state (its cadence,
//! its length, its risk across reviews); these read the listings of every case and never load
//! one. They share nothing but the vocabulary.
//!
//! Why one module of this size: every figure's type, its definition and the one function that
//! computes it from the listings sit together, so a reader checks a definition against its
//! code in one place; suppression ([`suppress`]) and CSV are apart, as they serve every figure.
//!
//! # The figures and what they count
//!
//! | figure | counts | by |
//! |---|---|---|
//! | [`ReferralFigures`] | referrals *received* in the period | source; outcome (where the referral stands now: immediate support, waiting list, signposted, declined, withdrawn, pending); assessed risk (the referral's assessment, R-4, as overridden, R-21; "not assessed" before it); gender; age band (whole years on the day received, R-2); month received × risk |
//! | re-referrals ([`ReferralFigures::re_referrals`]) | referrals received in the period by a young person with a case **closed** (after work, not a referral declined, signposted or withdrawn) in the 12 calendar months before the referral was received, whatever the earlier case's programme | within 12 months, or not |
//! | [`WaitingFigures`] | cases *first allocated* in the period: the waiting time is from the referral being received to its first allocation to a worker, in whole days (24-hour periods, rounded down) | median and 90th percentile (nearest rank: the value at rank ⌈p·n⌉ of the sorted waits), a distribution in weeks; and, at the time the report runs, the referrals accepted (immediate support or waiting list) and not yet allocated, with the longest wait among them |
//! | caseloads ([`Figures::caseloads`]) | cases allocated and not closed, at the time the report runs (R-25) | worker × current risk |
//! | [`ClosureFigures`] | cases **closed** in the period (R-15) | reason; risk at opening (the referral's assessment) × risk at closure (the latest assessment) |
//! | [`MissingFigures`] | missing episodes that *started* in the period (R-22); for a programme, those of young people with a case on it | where the return interview stands: offered within 72 hours of the return (an offer, a held interview or a refusal recorded by then), not offered within 72 hours (the 72 hours have passed), still within the 72 hours, not yet returned |
//! | [`WorkshopFigures`] | workshops dated in the period; for a programme, those on it | attendees (registered, anonymous), identified as vulnerable, tutorials, evaluation forms, and each question's answers (improved, unchanged, lower) |
//!
//! "At the time the report runs" is [`Figures::as_of`], the service's clock when it read.
//!
//! ```
//! use casework_core::read::figures::{Figures, ReportInputs, ReportRequest, Suppression};
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! let quarter = ReportRequest::new(
//!     NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
//!     NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
//! );
//! let as_of = Utc.with_ymd_and_hms(2026, 7, 2, 9, 0, 0).unwrap();
//! let figures = Figures::compute(&quarter, ReportInputs::default(), as_of);
//! assert_eq!(figures.referrals.total, 0);
//! assert_eq!(figures.referrals.by_month_and_risk.rows.len(), 3);
//! let published = figures.publish(&Suppression::default());
//! assert!(published.to_csv().starts_with("figure,row,column,value\n"));
//! ```

mod csv;
pub mod suppress;

pub use suppress::{Shown, Suppression};

use crate::case::StageName;
use crate::kernel::ids::YoungPersonId;
use crate::kernel::input::{InputError, Text};
use crate::policy::risk::RiskLevel;
use crate::read::listing::{
    AwaitingAllocationRow, ClosedCaseRow, FirstAllocationRow, MissingEpisodeRow, OpenCaseRow,
    ReferralOutcome, ReferralRow, WorkshopReach, WorkshopRow,
};
use crate::young_person::missing::return_interview_due;
use crate::young_person::Gender;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// What a report covers: the whole service, or one programme's cases (by its key):
/// `{"kind": "service"}` or `{"kind": "programme", "programme": "intensive"}`.
///
/// Tagged `kind`; the tag `scope` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "programme",
    rename_all = "snake_case"
)]
pub enum Scope {
    /// Every case.
    Service,
    /// The cases on one programme: a case counts for the programme it is on now (a case on
    /// none counts only for the service).
    Programme(String),
}

crate::kernel::tag::kind_tagged!(Scope, "scope");

impl Scope {
    /// Whether a case on `programme` is in scope.
    #[must_use]
    pub fn admits(&self, programme: Option<&str>) -> bool {
        match self {
            Scope::Service => true,
            Scope::Programme(key) => programme == Some(key.as_str()),
        }
    }

    /// The key of the listings filtered by programme, for a programme's report.
    #[must_use]
    pub fn listing_key(&self) -> Option<&str> {
        match self {
            Scope::Service => None,
            Scope::Programme(key) => Some(key),
        }
    }
}

/// Age bands for referrals by age: each band starts at one of `starts` (whole years, strictly
/// increasing); a first band holds every age below the first start.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AgeBands {
    starts: Vec<u32>,
}

impl Default for AgeBands {
    /// Under 13, 13–15, 16–17, 18–21, 22–24, 25 and over.
    fn default() -> Self {
        AgeBands {
            starts: vec![13, 16, 18, 22, 25],
        }
    }
}

impl AgeBands {
    /// Bands starting at `starts`, which must be strictly increasing and not start at 0.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `age_bands` when the first start is 0 or the starts are not
    /// strictly increasing.
    pub fn new(starts: Vec<u32>) -> Result<Self, InputError> {
        if starts.first() == Some(&0) || starts.windows(2).any(|w| w[0] >= w[1]) {
            return Err(InputError::new(
                "age_bands",
                format!(
                    "{starts:?}: give the ages bands start at, above 0 and strictly increasing"
                ),
            ));
        }
        Ok(AgeBands { starts })
    }

    /// The band `age` falls in, by index into [`AgeBands::headings`].
    #[must_use]
    pub fn band(&self, age: u32) -> usize {
        self.starts.iter().take_while(|s| **s <= age).count()
    }

    /// Each band's key (`under_13`, `13_15`, `25_and_over`) and label (`Under 13`, `13–15`,
    /// `25 and over`).
    #[must_use]
    pub fn headings(&self) -> Vec<Heading> {
        let mut out = Vec::new();
        match self.starts.first() {
            None => out.push(Heading::new("all_ages", "All ages")),
            Some(first) => out.push(Heading::new(
                &format!("under_{first}"),
                &format!("Under {first}"),
            )),
        }
        for (i, start) in self.starts.iter().enumerate() {
            out.push(match self.starts.get(i + 1) {
                Some(next) if next - 1 == *start => {
                    Heading::new(&start.to_string(), &start.to_string())
                }
                Some(next) => Heading::new(
                    &format!("{start}_{}", next - 1),
                    &format!("{start}–{}", next - 1),
                ),
                None => Heading::new(&format!("{start}_and_over"), &format!("{start} and over")),
            });
        }
        out
    }
}

/// What a report is asked for: a period `[from, to)` in whole UTC days, a scope and age bands.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReportRequest {
    /// The first day in the period.
    pub from: NaiveDate,
    /// The first day after it (not in it).
    pub to: NaiveDate,
    /// The whole service or one programme.
    pub scope: Scope,
    /// The age bands for referrals by age.
    pub age_bands: AgeBands,
}

impl ReportRequest {
    /// The whole service over `[from, to)`, in the default age bands.
    #[must_use]
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        ReportRequest {
            from,
            to,
            scope: Scope::Service,
            age_bands: AgeBands::default(),
        }
    }

    /// The same report for one programme, by its key.
    #[must_use]
    pub fn programme(mut self, key: impl Into<String>) -> Self {
        self.scope = Scope::Programme(key.into());
        self
    }

    /// The same report in other age bands.
    #[must_use]
    pub fn with_age_bands(mut self, bands: AgeBands) -> Self {
        self.age_bands = bands;
        self
    }

    /// The period's first instant: `from`, 00:00 UTC.
    #[must_use]
    pub fn start(&self) -> DateTime<Utc> {
        midnight(self.from)
    }

    /// The instant after the period: `to`, 00:00 UTC.
    #[must_use]
    pub fn end(&self) -> DateTime<Utc> {
        midnight(self.to)
    }

    /// How far back closures are read for re-referrals: 12 months before the period starts.
    #[must_use]
    pub fn lookback_start(&self) -> DateTime<Utc> {
        self.start()
            .checked_sub_months(Months::new(RE_REFERRAL_MONTHS))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// A referral within this many months of a closure is a re-referral.
pub const RE_REFERRAL_MONTHS: u32 = 12;

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// The listings a report is computed from, each one indexed read (the service's
/// `Casework::report` reads them; a programme's report may read only that programme's, and
/// [`Figures::compute`] filters by scope either way).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportInputs {
    /// `referral` listings received in the period.
    pub referrals: Vec<ReferralRow>,
    /// `first_allocation` listings allocated in the period.
    pub allocations: Vec<FirstAllocationRow>,
    /// Every `awaiting_allocation` listing.
    pub awaiting: Vec<AwaitingAllocationRow>,
    /// Every `open_case` listing.
    pub open_cases: Vec<OpenCaseRow>,
    /// `closed_case` listings that ended from [`ReportRequest::lookback_start`] to the period's
    /// end.
    pub closed: Vec<ClosedCaseRow>,
    /// `missing_episode` listings that started in the period.
    pub missing: Vec<MissingEpisodeRow>,
    /// For a programme's report: the young people with a case on it received before the
    /// period's end (its `referral` listings by key), whose missing episodes count.
    pub programme_people: Option<BTreeSet<YoungPersonId>>,
    /// `workshop` listings dated in the period.
    pub workshops: Vec<WorkshopRow>,
}

/// A row or column of a table: a stable key and a label for people.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Heading {
    /// The stable key (`professional`, `high`, `2026-04`).
    pub key: String,
    /// The label (`Professional`, `High`, `April 2026`).
    pub label: String,
}

impl Heading {
    fn new(key: &str, label: &str) -> Self {
        Heading {
            key: key.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// One category of a [`Breakdown`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Category_of_{C}"))]
pub struct Category<C = u32> {
    /// The stable key.
    pub key: String,
    /// The label.
    pub label: String,
    /// How many.
    pub count: C,
}

/// Counts by one category, every category listed (zeros too), with the total.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Breakdown_of_{C}"))]
pub struct Breakdown<C = u32> {
    /// The categories, in a fixed order.
    pub categories: Vec<Category<C>>,
    /// Their sum.
    pub total: C,
}

impl Breakdown {
    /// The categories and their total.
    #[must_use]
    pub fn new(categories: Vec<Category>) -> Self {
        let total = categories.iter().map(|c| c.count).sum();
        Breakdown { categories, total }
    }

    fn tally<T>(
        headings: Vec<Heading>,
        items: impl IntoIterator<Item = T>,
        of: impl Fn(&T) -> usize,
    ) -> Self {
        let mut counts = vec![0u32; headings.len()];
        for item in items {
            counts[of(&item)] += 1;
        }
        Breakdown::new(
            headings
                .into_iter()
                .zip(counts)
                .map(|(h, count)| Category {
                    key: h.key,
                    label: h.label,
                    count,
                })
                .collect(),
        )
    }
}

impl<C: Copy> Breakdown<C> {
    /// The count of the category `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<C> {
        self.categories
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.count)
    }
}

/// Counts by two categories, with row, column and grand totals.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "CrossTable_of_{C}"))]
pub struct CrossTable<C = u32> {
    /// The rows.
    pub rows: Vec<Heading>,
    /// The columns.
    pub columns: Vec<Heading>,
    /// One row of cells per row, one cell per column.
    pub cells: Vec<Vec<C>>,
    /// Each row's sum.
    pub row_totals: Vec<C>,
    /// Each column's sum.
    pub column_totals: Vec<C>,
    /// The sum of every cell.
    pub total: C,
}

impl CrossTable {
    /// The table of `cells` (one row per row heading, one cell per column heading).
    #[must_use]
    pub fn new(rows: Vec<Heading>, columns: Vec<Heading>, cells: Vec<Vec<u32>>) -> Self {
        assert!(
            cells.len() == rows.len() && cells.iter().all(|r| r.len() == columns.len()),
            "a table has one cell per row and column"
        );
        let row_totals: Vec<u32> = cells.iter().map(|r| r.iter().sum()).collect();
        let column_totals = (0..columns.len())
            .map(|j| cells.iter().map(|r| r[j]).sum())
            .collect();
        let total = row_totals.iter().sum();
        CrossTable {
            rows,
            columns,
            cells,
            row_totals,
            column_totals,
            total,
        }
    }
}

impl<C: Copy> CrossTable<C> {
    /// The column totals as a breakdown (referrals by risk from referrals by month and risk).
    #[must_use]
    pub fn by_column(&self) -> Breakdown<C> {
        Breakdown {
            categories: self
                .columns
                .iter()
                .zip(&self.column_totals)
                .map(|(h, n)| Category {
                    key: h.key.clone(),
                    label: h.label.clone(),
                    count: *n,
                })
                .collect(),
            total: self.total,
        }
    }

    /// The cell at row `row` and column `column`, by key.
    #[must_use]
    pub fn get(&self, row: &str, column: &str) -> Option<C> {
        let i = self.rows.iter().position(|h| h.key == row)?;
        let j = self.columns.iter().position(|h| h.key == column)?;
        Some(self.cells[i][j])
    }
}

/// Referrals received in the period (see the module docs).
///
/// A referral counts in the period it was received, `[from, to)`: one received at 00:00 UTC
/// on `to` is the next period's. A young person whose case closed in the 12 calendar months
/// before the referral (exactly 12 months before included) is re-referred.
///
/// ```
/// use casework_core::kernel::ids::YoungPersonId;
/// use casework_core::policy::risk::RiskLevel;
/// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
/// # use casework_core::case::StageName;
/// # use casework_core::kernel::ids::CaseId;
/// # use casework_core::read::listing::{ClosedCaseRow, ReferralOutcome, ReferralRow};
/// # use casework_core::young_person::Gender;
/// # use chrono::{Duration, NaiveDate, TimeZone, Utc};
/// # let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
/// # let referral = |young_person_id, received_at, assessed_risk| ReferralRow {
/// #     case_id: CaseId::new(), young_person_id, received_at, source: "self".into(),
/// #     gender: Gender::NotStated, age: 15, programme: None, stage: StageName::Assessed,
/// #     outcome: ReferralOutcome::Pending, assessed_risk, allocated_at: None, previous_case: None,
/// # };
/// # let closed = |young_person_id, closed_at| ClosedCaseRow {
/// #     case_id: CaseId::new(), young_person_id, stage: StageName::Closed, closed_at,
/// #     reason: "risk_significantly_reduced".into(), risk_level: Some(RiskLevel::Low),
/// #     received_at: closed_at - Duration::days(120), opening_risk: Some(RiskLevel::High),
/// #     programme: None,
/// # };
/// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let april = ReportRequest::new(day(4, 1), day(5, 1));
/// let (ash, bo) = (YoungPersonId::new(), YoungPersonId::new());
/// let inputs = ReportInputs {
///     referrals: vec![
///         referral(ash, at(2026, 4, 7, 9), Some(RiskLevel::High)),
///         referral(bo, at(2026, 4, 20, 9), None),
///         // 1 May, 00:00 UTC: May's referral, not April's.
///         referral(bo, at(2026, 5, 1, 0), None),
///     ],
///     // Ash's earlier case closed exactly 12 months before: April's is a re-referral.
///     closed: vec![closed(ash, at(2025, 4, 7, 9))],
///     ..ReportInputs::default()
/// };
/// let referrals = Figures::compute(&april, inputs, at(2026, 5, 2, 9)).referrals;
/// assert_eq!(referrals.total, 2);
/// assert_eq!(referrals.by_risk().get("high"), Some(1));
/// assert_eq!(referrals.by_risk().get("not_assessed"), Some(1));
/// assert_eq!(referrals.by_month_and_risk.get("2026-04", "high"), Some(1));
/// assert_eq!(referrals.re_referrals.get("within_12_months"), Some(1));
/// assert_eq!(referrals.re_referrals.get("other"), Some(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "ReferralFigures_of_{C}"))]
pub struct ReferralFigures<C = u32> {
    /// How many.
    pub total: C,
    /// By who referred: `self`, `parent_or_carer`, `professional`, `agency`.
    pub by_source: Breakdown<C>,
    /// By where each stands now ([`ReferralOutcome`]).
    pub by_outcome: Breakdown<C>,
    /// By gender: `female`, `male`, `non_binary`, `not_stated`.
    pub by_gender: Breakdown<C>,
    /// By age band on the day received.
    pub by_age_band: Breakdown<C>,
    /// By calendar month received (UTC, `2026-04`) × assessed risk (`high`, `medium`, `low`,
    /// `not_assessed`); its column totals are referrals by risk ([`ReferralFigures::by_risk`]).
    pub by_month_and_risk: CrossTable<C>,
    /// Re-referrals within 12 months of a closure: `within_12_months`, `other`.
    pub re_referrals: Breakdown<C>,
}

impl<C: Copy> ReferralFigures<C> {
    /// Referrals by assessed risk: `high`, `medium`, `low`, `not_assessed`.
    #[must_use]
    pub fn by_risk(&self) -> Breakdown<C> {
        self.by_month_and_risk.by_column()
    }
}

/// Waiting time from referral to first allocation (see the module docs).
///
/// A case counts in the period it was first allocated, whenever it was received. A wait is in
/// whole 24-hour periods, rounded down: 6 days 23 hours is 6 days, under a week. The median
/// and 90th percentile are nearest rank, so the median of two waits is the shorter one.
///
/// ```
/// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
/// # use casework_core::case::StageName;
/// # use casework_core::kernel::ids::{CaseId, YoungPersonId};
/// # use casework_core::read::listing::{AwaitingAllocationRow, FirstAllocationRow};
/// # use chrono::{NaiveDate, TimeZone, Utc};
/// # let at = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
/// # let allocated = |received_at, allocated_at| FirstAllocationRow {
/// #     case_id: CaseId::new(), young_person_id: YoungPersonId::new(), received_at,
/// #     allocated_at, programme: None,
/// # };
/// # let awaiting = |received_at| AwaitingAllocationRow {
/// #     case_id: CaseId::new(), young_person_id: YoungPersonId::new(), received_at,
/// #     stage: StageName::WaitingList, risk_level: None, programme: None,
/// # };
/// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let april = ReportRequest::new(day(4, 1), day(5, 1));
/// let inputs = ReportInputs {
///     allocations: vec![
///         // 6 days 23 hours: 6 days.
///         allocated(at(4, 1, 9), at(4, 8, 8)),
///         // Received in March, allocated in April: 14 days.
///         allocated(at(3, 20, 9), at(4, 3, 9)),
///     ],
///     // Still waiting when the report runs, 2 May 09:00: 12 days so far.
///     awaiting: vec![awaiting(at(4, 20, 9))],
///     ..ReportInputs::default()
/// };
/// let waiting = Figures::compute(&april, inputs, at(5, 2, 9)).waiting;
/// assert_eq!(waiting.distribution.get("under_1_week"), Some(1));
/// assert_eq!(waiting.distribution.get("2_4_weeks"), Some(1));
/// assert_eq!((waiting.median_days, waiting.p90_days), (Some(6), Some(14)));
/// assert_eq!(waiting.still_waiting, 1);
/// assert_eq!(waiting.longest_still_waiting_days, Some(12));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "WaitingFigures_of_{C}"))]
pub struct WaitingFigures<C = u32> {
    /// Cases first allocated in the period, by their wait in weeks: `under_1_week`, `1_2_weeks`,
    /// `2_4_weeks`, `4_8_weeks`, `8_12_weeks`, `12_weeks_or_more` (its total is how many).
    pub distribution: Breakdown<C>,
    /// The median wait in whole days; `None` when nobody was allocated.
    pub median_days: Option<C>,
    /// The 90th percentile wait in whole days; `None` when nobody was allocated.
    pub p90_days: Option<C>,
    /// Referrals accepted and not yet allocated when the report ran.
    pub still_waiting: C,
    /// The longest of their waits so far, in whole days; `None` when nobody is waiting.
    pub longest_still_waiting_days: Option<C>,
}

/// Cases closed in the period (see the module docs).
///
/// Only a case closed after work counts: a referral declined, signposted or withdrawn is not
/// a closure. A case closed at 00:00 UTC on `to` is the next period's.
///
/// ```
/// use casework_core::case::StageName;
/// use casework_core::policy::risk::RiskLevel::{High, Low, Medium};
/// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
/// # use casework_core::kernel::ids::{CaseId, YoungPersonId};
/// # use casework_core::read::listing::ClosedCaseRow;
/// # use chrono::{Duration, NaiveDate, TimeZone, Utc};
/// # let at = |m, d, h, min, s| Utc.with_ymd_and_hms(2026, m, d, h, min, s).unwrap();
/// # let closed = |closed_at, stage, reason: &str, opening_risk, risk_level| ClosedCaseRow {
/// #     case_id: CaseId::new(), young_person_id: YoungPersonId::new(), stage, closed_at,
/// #     reason: reason.into(), risk_level, received_at: closed_at - Duration::days(120),
/// #     opening_risk, programme: None,
/// # };
/// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let april = ReportRequest::new(day(4, 1), day(5, 1));
/// let inputs = ReportInputs {
///     closed: vec![
///         // The last second of April: April's.
///         closed(at(4, 30, 23, 59, 59), StageName::Closed, "transferred", Some(High), Some(Low)),
///         // 1 May, 00:00 UTC: May's.
///         closed(at(5, 1, 0, 0, 0), StageName::Closed, "aged_out", Some(Medium), Some(Medium)),
///         // A referral signposted: it ended, but no case closed.
///         closed(at(4, 10, 9, 0, 0), StageName::Signposted, "signposted", None, None),
///     ],
///     ..ReportInputs::default()
/// };
/// let closures = Figures::compute(&april, inputs, at(5, 2, 9, 0, 0)).closures;
/// assert_eq!(closures.by_reason.total, 1);
/// assert_eq!(closures.by_reason.get("transferred"), Some(1));
/// // Opened at high risk (rows), closed at low (columns).
/// assert_eq!(closures.risk_at_opening_and_closure.get("high", "low"), Some(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "ClosureFigures_of_{C}"))]
pub struct ClosureFigures<C = u32> {
    /// By reason (R-15): `risk_significantly_reduced`, `young_person_declined`,
    /// `young_person_withdrew`, `moved_out_of_area`, `aged_out`, `transferred`, `no_engagement`,
    /// `other`.
    pub by_reason: Breakdown<C>,
    /// Risk at opening (rows) × risk at closure (columns): `high`, `medium`, `low`,
    /// `not_recorded` (a case closed before opening risk was listed).
    pub risk_at_opening_and_closure: CrossTable<C>,
}

/// Missing episodes that started in the period, and their return interviews (R-22).
///
/// An offer (or a held interview, or a refusal) recorded at exactly 72 hours after the return
/// is within them; a moment later is not. An episode whose 72 hours have not yet passed when
/// the report runs, with no offer yet, is still within them.
///
/// ```
/// use casework_core::kernel::ids::YoungPersonId;
/// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
/// use chrono::Duration;
/// # use casework_core::kernel::ids::MissingEpisodeId;
/// # use casework_core::read::listing::MissingEpisodeRow;
/// # use chrono::{NaiveDate, TimeZone, Utc};
/// # let at = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
/// # let episode = |young_person_id, returned_at, offered_at| MissingEpisodeRow {
/// #     young_person_id, episode: MissingEpisodeId::new(),
/// #     started_at: returned_at - Duration::hours(18), returned_at: Some(returned_at),
/// #     offered_at, completed_at: None, declined_at: None,
/// # };
/// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let april = ReportRequest::new(day(4, 1), day(5, 1));
/// let (ash, bo) = (YoungPersonId::new(), YoungPersonId::new());
/// let (back, later) = (at(4, 2), at(4, 10));
/// let inputs = ReportInputs {
///     missing: vec![
///         // Offered at exactly 72 hours after the return: within them.
///         episode(ash, back, Some(back + Duration::hours(72))),
///         // A minute after the 72 hours: not within them.
///         episode(ash, later, Some(later + Duration::hours(72) + Duration::minutes(1))),
///         // Back 48 hours before the report runs, not offered yet: still within them.
///         episode(bo, at(4, 29), None),
///     ],
///     ..ReportInputs::default()
/// };
/// let missing = Figures::compute(&april, inputs, at(5, 1)).missing;
/// assert_eq!(missing.episodes.get("offered_within_72_hours"), Some(1));
/// assert_eq!(missing.episodes.get("not_offered_within_72_hours"), Some(1));
/// assert_eq!(missing.episodes.get("within_72_hours"), Some(1));
/// assert_eq!(missing.young_people, 2);
/// // Of the two episodes whose 72 hours are over, one was offered within them.
/// assert_eq!(missing.offered_within_72_hours_percent, Some(50));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "MissingFigures_of_{C}"))]
pub struct MissingFigures<C = u32> {
    /// By where the return interview stands: `offered_within_72_hours`,
    /// `not_offered_within_72_hours`, `within_72_hours`, `not_returned` (its total is how many
    /// episodes).
    pub episodes: Breakdown<C>,
    /// How many young people they were of.
    pub young_people: C,
    /// Of the episodes whose 72 hours are over, the share offered a return interview within
    /// them, as a whole percentage (rounded to nearest); `None` when there are none.
    pub offered_within_72_hours_percent: Option<C>,
}

/// Workshops dated in the period: reach and evaluation results.
///
/// A workshop counts in the period its date is in, `[from, to)`; the same question asked at
/// several workshops is one [`QuestionFigures`], its answers added up.
///
/// ```
/// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
/// # use casework_core::kernel::ids::WorkshopId;
/// # use casework_core::kernel::input::Text;
/// # use casework_core::read::listing::WorkshopRow;
/// # use casework_core::workshop::{AgeGroup, EvaluationSummary, QuestionSummary, Venue, VenueKind};
/// # use chrono::{NaiveDate, TimeZone, Utc};
/// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// # let workshop = |date, registered_attendees, anonymous_attendees, improved, unchanged| {
/// #     let answered = improved + unchanged;
/// #     WorkshopRow {
/// #         workshop_id: WorkshopId::new(),
/// #         venue: Venue {
/// #             kind: VenueKind::School,
/// #             name: Text::parse("name", "Fictional Academy").unwrap(),
/// #         },
/// #         date, age_group: AgeGroup { min: 13, max: 15 }, topics: vec![], programme: None,
/// #         registered_attendees, anonymous_attendees, identified_vulnerable: 1, tutorials: 1,
/// #         evaluation: EvaluationSummary {
/// #             attendees: registered_attendees + anonymous_attendees,
/// #             forms: answered,
/// #             with_comments: 1,
/// #             questions: vec![QuestionSummary {
/// #                 question: Text::parse("question", "I know who to tell").unwrap(),
/// #                 responses: answered, total_before: 2 * answered, total_after: 4 * answered,
/// #                 improved, unchanged, lower: 0,
/// #             }],
/// #         },
/// #     }
/// # };
/// let april = ReportRequest::new(day(4, 1), day(5, 1));
/// let inputs = ReportInputs {
///     workshops: vec![
///         // Date, registered and anonymous attendees, answers improved and unchanged.
///         workshop(day(4, 10), 1, 20, 8, 2),
///         workshop(day(4, 30), 2, 10, 5, 1),
///         // Dated 1 May: May's.
///         workshop(day(5, 1), 4, 25, 9, 0),
///     ],
///     ..ReportInputs::default()
/// };
/// let as_of = Utc.with_ymd_and_hms(2026, 5, 2, 9, 0, 0).unwrap();
/// let workshops = Figures::compute(&april, inputs, as_of).workshops;
/// assert_eq!(workshops.workshops, 2);
/// assert_eq!(workshops.attendees.get("registered"), Some(3));
/// assert_eq!(workshops.attendees.total, 33, "the reach");
/// assert_eq!((workshops.identified_vulnerable, workshops.tutorials), (2, 2));
/// assert_eq!(workshops.forms.get("with_comments"), Some(2));
/// assert_eq!(workshops.forms.get("without_comments"), Some(14));
/// assert_eq!(workshops.questions.len(), 1);
/// assert_eq!(workshops.questions[0].answers.get("improved"), Some(13));
/// assert_eq!(workshops.questions[0].answers.total, 16, "how many answered");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "WorkshopFigures_of_{C}"))]
pub struct WorkshopFigures<C = u32> {
    /// How many workshops (a count of events, never hidden).
    pub workshops: u32,
    /// Attendees: `registered` with the service, `anonymous`; the total is the reach.
    pub attendees: Breakdown<C>,
    /// Attendees identified as vulnerable.
    pub identified_vulnerable: C,
    /// Individual tutorials held.
    pub tutorials: C,
    /// Evaluation forms returned: `with_comments`, `without_comments`.
    pub forms: Breakdown<C>,
    /// Each question asked, in the order first asked.
    pub questions: Vec<QuestionFigures<C>>,
}

/// One evaluation question across the period's workshops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "QuestionFigures_of_{C}"))]
pub struct QuestionFigures<C = u32> {
    /// The question.
    pub question: Text,
    /// Answers by how the score moved from before to after: `improved`, `unchanged`, `lower`
    /// (the total is how many answered).
    pub answers: Breakdown<C>,
}

/// Every figure of a report (see the module docs); `Figures<Shown>` is the published form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Figures_of_{C}"))]
pub struct Figures<C = u32> {
    /// The first day in the period.
    pub from: NaiveDate,
    /// The first day after it.
    pub to: NaiveDate,
    /// The whole service or one programme.
    pub scope: Scope,
    /// When the listings were read: the "now" of caseloads, referrals still waiting and
    /// return interviews still within their 72 hours.
    pub as_of: DateTime<Utc>,
    /// The suppression threshold applied, in the published form; `None` for the service's
    /// own figures.
    pub suppression: Option<u32>,
    /// Referrals received.
    pub referrals: ReferralFigures<C>,
    /// Waiting times.
    pub waiting: WaitingFigures<C>,
    /// Open cases at `as_of`, worker (label: their name) × current risk (`high`, `medium`,
    /// `low`, `not_assessed`); row totals are each worker's caseload (R-25).
    ///
    /// Rows are keyed by the worker's id and ordered by name. Caseloads are read from the
    /// `open_case` listings at the time the report runs, whatever the period.
    ///
    /// ```
    /// use casework_core::kernel::ids::StaffId;
    /// use casework_core::policy::risk::RiskLevel;
    /// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
    /// # use casework_core::case::StageName;
    /// # use casework_core::kernel::ids::{CaseId, YoungPersonId};
    /// # use casework_core::kernel::input::Text;
    /// # use casework_core::read::listing::OpenCaseRow;
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # let as_of = Utc.with_ymd_and_hms(2026, 5, 2, 9, 0, 0).unwrap();
    /// # let open = |worker, name: &str, risk_level| OpenCaseRow {
    /// #     case_id: CaseId::new(), young_person_id: YoungPersonId::new(),
    /// #     stage: StageName::Active, worker,
    /// #     worker_name: Text::parse("worker_name", name).unwrap(),
    /// #     allocated_at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(), risk_level,
    /// #     programme: None, work_begun_at: None,
    /// # };
    /// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let april = ReportRequest::new(day(4, 1), day(5, 1));
    /// let (sam, jo) = (StaffId::new(), StaffId::new());
    /// let inputs = ReportInputs {
    ///     open_cases: vec![
    ///         open(sam, "Sam Sample", Some(RiskLevel::High)),
    ///         open(sam, "Sam Sample", None),
    ///         open(jo, "Jo Placeholder", Some(RiskLevel::Low)),
    ///     ],
    ///     ..ReportInputs::default()
    /// };
    /// let caseloads = Figures::compute(&april, inputs, as_of).caseloads;
    /// let names: Vec<&str> = caseloads.rows.iter().map(|w| w.label.as_str()).collect();
    /// assert_eq!(names, ["Jo Placeholder", "Sam Sample"]);
    /// assert_eq!(caseloads.row_totals, [1, 2]);
    /// assert_eq!(caseloads.get(&sam.to_string(), "high"), Some(1));
    /// assert_eq!(caseloads.get(&sam.to_string(), "not_assessed"), Some(1));
    /// ```
    pub caseloads: CrossTable<C>,
    /// Cases closed.
    pub closures: ClosureFigures<C>,
    /// Missing episodes and return interviews.
    pub missing: MissingFigures<C>,
    /// Workshops.
    pub workshops: WorkshopFigures<C>,
}

fn risk_headings(last: (&str, &str)) -> Vec<Heading> {
    vec![
        Heading::new("high", "High"),
        Heading::new("medium", "Medium"),
        Heading::new("low", "Low"),
        Heading::new(last.0, last.1),
    ]
}

fn risk_index(level: Option<RiskLevel>) -> usize {
    match level {
        Some(RiskLevel::High) => 0,
        Some(RiskLevel::Medium) => 1,
        Some(RiskLevel::Low) => 2,
        None => 3,
    }
}

fn heads(pairs: &[(&str, &str)]) -> Vec<Heading> {
    pairs.iter().map(|(k, l)| Heading::new(k, l)).collect()
}

const SOURCES: [(&str, &str); 4] = [
    ("self", "Self"),
    ("parent_or_carer", "Parent or carer"),
    ("professional", "Professional"),
    ("agency", "Agency"),
];

const GENDERS: [(&str, &str); 4] = [
    ("female", "Female"),
    ("male", "Male"),
    ("non_binary", "Non-binary"),
    ("not_stated", "Not stated"),
];

fn gender_index(gender: Gender) -> usize {
    match gender {
        Gender::Female => 0,
        Gender::Male => 1,
        Gender::NonBinary => 2,
        Gender::NotStated => 3,
    }
}

const WAIT_BINS: [(&str, &str, i64); 6] = [
    ("under_1_week", "Under 1 week", 7),
    ("1_2_weeks", "1–2 weeks", 14),
    ("2_4_weeks", "2–4 weeks", 28),
    ("4_8_weeks", "4–8 weeks", 56),
    ("8_12_weeks", "8–12 weeks", 84),
    ("12_weeks_or_more", "12 weeks or more", i64::MAX),
];

const CLOSURE_REASONS: [(&str, &str); 8] = [
    ("risk_significantly_reduced", "Risk significantly reduced"),
    ("young_person_declined", "Young person declined"),
    ("young_person_withdrew", "Young person withdrew"),
    ("moved_out_of_area", "Moved out of area"),
    ("aged_out", "Aged out"),
    ("transferred", "Transferred"),
    ("no_engagement", "No engagement"),
    ("other", "Other"),
];

const EPISODE_STATES: [(&str, &str); 4] = [
    (
        "offered_within_72_hours",
        "Return interview offered within 72 hours",
    ),
    ("not_offered_within_72_hours", "Not offered within 72 hours"),
    ("within_72_hours", "Still within the 72 hours"),
    ("not_returned", "Not yet returned"),
];

/// The value at rank ⌈p·n⌉ (1-based) of `sorted`, `p` in percent.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (percent * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

fn days(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn months_of(request: &ReportRequest) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut cursor = request.from.with_day(1).expect("the first exists");
    while cursor < request.to {
        out.push((cursor.year(), cursor.month()));
        cursor = cursor + Months::new(1);
    }
    out
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Figures {
    /// The figures of `request` from the listings in `inputs`, read at `as_of` (see the
    /// module docs for every definition).
    #[must_use]
    pub fn compute(request: &ReportRequest, inputs: ReportInputs, as_of: DateTime<Utc>) -> Self {
        let (start, end) = (request.start(), request.end());
        let scope = &request.scope;
        let in_period = |at: DateTime<Utc>| start <= at && at < end;
        let referrals: Vec<&ReferralRow> = inputs
            .referrals
            .iter()
            .filter(|r| in_period(r.received_at) && scope.admits(r.programme.as_deref()))
            .collect();
        let referral_figures = referral_figures(request, &referrals, &inputs.closed);

        let mut waits: Vec<i64> = inputs
            .allocations
            .iter()
            .filter(|a| in_period(a.allocated_at) && scope.admits(a.programme.as_deref()))
            .map(|a| (a.allocated_at - a.received_at).num_days())
            .collect();
        waits.sort_unstable();
        let waiting_now: Vec<i64> = inputs
            .awaiting
            .iter()
            .filter(|w| scope.admits(w.programme.as_deref()) && w.received_at <= as_of)
            .map(|w| (as_of - w.received_at).num_days())
            .collect();
        let waiting = WaitingFigures {
            distribution: Breakdown::tally(
                WAIT_BINS
                    .iter()
                    .map(|(k, l, _)| Heading::new(k, l))
                    .collect(),
                waits.iter().copied(),
                |w| {
                    WAIT_BINS
                        .iter()
                        .position(|(_, _, below)| *w < *below)
                        .unwrap_or(5)
                },
            ),
            median_days: nearest_rank(&waits, 50).map(days),
            p90_days: nearest_rank(&waits, 90).map(days),
            still_waiting: count(waiting_now.len()),
            longest_still_waiting_days: waiting_now.iter().max().copied().map(days),
        };

        let mut open: Vec<&OpenCaseRow> = inputs
            .open_cases
            .iter()
            .filter(|o| scope.admits(o.programme.as_deref()))
            .collect();
        open.sort_by(|a, b| {
            (a.worker_name.as_str(), a.worker).cmp(&(b.worker_name.as_str(), b.worker))
        });
        let mut workers: Vec<Heading> = Vec::new();
        let mut caseload_cells: Vec<Vec<u32>> = Vec::new();
        for row in &open {
            let key = row.worker.to_string();
            if workers.last().is_none_or(|w| w.key != key) {
                workers.push(Heading::new(&key, row.worker_name.as_str()));
                caseload_cells.push(vec![0; 4]);
            }
            let last = caseload_cells.last_mut().expect("pushed");
            last[risk_index(row.risk_level)] += 1;
        }
        let caseloads = CrossTable::new(
            workers,
            risk_headings(("not_assessed", "Not assessed")),
            caseload_cells,
        );

        let closed: Vec<&ClosedCaseRow> = inputs
            .closed
            .iter()
            .filter(|c| {
                c.stage == StageName::Closed
                    && in_period(c.closed_at)
                    && scope.admits(c.programme.as_deref())
            })
            .collect();
        let mut risk_cells = vec![vec![0u32; 4]; 4];
        for c in &closed {
            risk_cells[risk_index(c.opening_risk)][risk_index(c.risk_level)] += 1;
        }
        let closures = ClosureFigures {
            by_reason: Breakdown::tally(heads(&CLOSURE_REASONS), closed.iter(), |c| {
                CLOSURE_REASONS
                    .iter()
                    .position(|(k, _)| *k == c.reason)
                    .unwrap_or(CLOSURE_REASONS.len() - 1)
            }),
            risk_at_opening_and_closure: CrossTable::new(
                risk_headings(("not_recorded", "Not recorded")),
                risk_headings(("not_recorded", "Not recorded")),
                risk_cells,
            ),
        };

        let episodes: Vec<&MissingEpisodeRow> = inputs
            .missing
            .iter()
            .filter(|e| {
                let of_scope = match scope {
                    Scope::Service => true,
                    Scope::Programme(_) => inputs
                        .programme_people
                        .as_ref()
                        .is_some_and(|people| people.contains(&e.young_person_id)),
                };
                in_period(e.started_at) && of_scope
            })
            .collect();
        let episode_state = |e: &&&MissingEpisodeRow| {
            let Some(returned) = e.returned_at else {
                return 3;
            };
            let due = return_interview_due(returned);
            let first_offer = [e.offered_at, e.completed_at, e.declined_at]
                .into_iter()
                .flatten()
                .min();
            match first_offer {
                Some(at) if at <= due => 0,
                _ if due < as_of => 1,
                _ => 2,
            }
        };
        let by_state = Breakdown::tally(heads(&EPISODE_STATES), episodes.iter(), episode_state);
        let (offered, not_offered) = (by_state.categories[0].count, by_state.categories[1].count);
        let young_people: BTreeSet<YoungPersonId> =
            episodes.iter().map(|e| e.young_person_id).collect();
        let missing = MissingFigures {
            episodes: by_state,
            young_people: count(young_people.len()),
            offered_within_72_hours_percent: percent(offered, offered + not_offered),
        };

        let workshop_rows: Vec<WorkshopRow> = inputs
            .workshops
            .into_iter()
            .filter(|w| {
                request.from <= w.date
                    && w.date < request.to
                    && scope.admits(w.programme.as_deref())
            })
            .collect();
        let workshops =
            workshop_figures(&WorkshopReach::of(request.from, request.to, workshop_rows));

        Figures {
            from: request.from,
            to: request.to,
            scope: request.scope.clone(),
            as_of,
            suppression: None,
            referrals: referral_figures,
            waiting,
            caseloads,
            closures,
            missing,
            workshops,
        }
    }

    /// The figures as they may leave the service: counts under the threshold hidden, and
    /// more withheld so that none can be recovered from the totals (see [`suppress`]).
    /// Medians and percentiles of fewer people than the threshold are withheld; a percentage
    /// is withheld when either count it comes from is hidden.
    ///
    /// A count from 1 to 4 (under the default threshold of 5) is published as `<5`
    /// ([`Shown::Under`]); zero is shown. In JSON a shown count is a number and a hidden one
    /// the string it is shown as.
    ///
    /// ```
    /// use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
    /// use casework_core::read::figures::{Shown, Suppression};
    /// # use casework_core::case::StageName;
    /// # use casework_core::kernel::ids::{CaseId, YoungPersonId};
    /// # use casework_core::read::listing::{ReferralOutcome, ReferralRow};
    /// # use casework_core::young_person::Gender;
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # let at = |m, d| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
    /// # let referral = |received_at| ReferralRow {
    /// #     case_id: CaseId::new(), young_person_id: YoungPersonId::new(), received_at,
    /// #     source: "self".into(), gender: Gender::NotStated, age: 15, programme: None,
    /// #     stage: StageName::Received, outcome: ReferralOutcome::Pending, assessed_risk: None,
    /// #     allocated_at: None, previous_case: None,
    /// # };
    /// # let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let april = ReportRequest::new(day(4, 1), day(5, 1));
    /// let inputs = ReportInputs {
    ///     // Three self-referrals in April.
    ///     referrals: vec![referral(at(4, 7)), referral(at(4, 14)), referral(at(4, 30))],
    ///     ..ReportInputs::default()
    /// };
    /// let figures = Figures::compute(&april, inputs, at(5, 2));
    /// assert_eq!(figures.referrals.by_source.get("self"), Some(3));
    ///
    /// let published = figures.publish(&Suppression::default());
    /// assert_eq!(published.suppression, Some(5));
    /// let by_source = &published.referrals.by_source;
    /// assert_eq!(by_source.get("self"), Some(Shown::Under(5)));
    /// assert_eq!(by_source.get("professional"), Some(Shown::Count(0)));
    /// assert_eq!(Shown::Under(5).to_string(), "<5");
    /// let json = serde_json::to_string(&[Shown::Count(12), Shown::Under(5), Shown::Withheld]);
    /// assert_eq!(json.unwrap(), r#"[12,"<5","*"]"#);
    /// ```
    #[must_use]
    pub fn publish(&self, suppression: &Suppression) -> Figures<Shown> {
        let t = suppression.threshold();
        let r = &self.referrals;
        let (breakdowns, tables) = suppression.group(
            &[
                &r.by_source,
                &r.by_outcome,
                &r.by_gender,
                &r.by_age_band,
                &r.re_referrals,
            ],
            &[&r.by_month_and_risk],
        );
        let mut breakdowns = breakdowns.into_iter();
        let mut next = || breakdowns.next().expect("one per breakdown given");
        let referrals = ReferralFigures {
            total: tables[0].total,
            by_source: next(),
            by_outcome: next(),
            by_gender: next(),
            by_age_band: next(),
            re_referrals: next(),
            by_month_and_risk: tables[0].clone(),
        };

        let w = &self.waiting;
        let allocated = w.distribution.total;
        let statistic = |v: Option<u32>| {
            v.map(|v| {
                if allocated < t {
                    Shown::Withheld
                } else {
                    Shown::Count(v)
                }
            })
        };
        let waiting = WaitingFigures {
            distribution: suppression.breakdown(&w.distribution),
            median_days: statistic(w.median_days),
            p90_days: statistic(w.p90_days),
            still_waiting: suppression.count(w.still_waiting),
            longest_still_waiting_days: w.longest_still_waiting_days.map(Shown::Count),
        };

        let c = &self.closures;
        let (reasons, risk) = suppression.group(&[&c.by_reason], &[&c.risk_at_opening_and_closure]);
        let closures = ClosureFigures {
            by_reason: reasons[0].clone(),
            risk_at_opening_and_closure: risk[0].clone(),
        };

        let m = &self.missing;
        let episodes = suppression.breakdown(&m.episodes);
        let both_shown =
            !episodes.categories[0].count.is_hidden() && !episodes.categories[1].count.is_hidden();
        let missing = MissingFigures {
            young_people: suppression.count(m.young_people),
            offered_within_72_hours_percent: m.offered_within_72_hours_percent.map(|p| {
                if both_shown {
                    Shown::Count(p)
                } else {
                    Shown::Withheld
                }
            }),
            episodes,
        };

        let ws = &self.workshops;
        let workshops = WorkshopFigures {
            workshops: ws.workshops,
            attendees: suppression.breakdown(&ws.attendees),
            identified_vulnerable: suppression.count(ws.identified_vulnerable),
            tutorials: suppression.count(ws.tutorials),
            forms: suppression.breakdown(&ws.forms),
            questions: ws
                .questions
                .iter()
                .map(|q| QuestionFigures {
                    question: q.question.clone(),
                    answers: suppression.breakdown(&q.answers),
                })
                .collect(),
        };

        Figures {
            from: self.from,
            to: self.to,
            scope: self.scope.clone(),
            as_of: self.as_of,
            suppression: Some(t),
            referrals,
            waiting,
            caseloads: suppression.cross_table(&self.caseloads),
            closures,
            missing,
            workshops,
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0)
        .then(|| (u64::from(part) * 100 + u64::from(whole) / 2) / u64::from(whole))
        .map(|p| u32::try_from(p).unwrap_or(100))
}

fn referral_figures(
    request: &ReportRequest,
    referrals: &[&ReferralRow],
    closed: &[ClosedCaseRow],
) -> ReferralFigures {
    let months = months_of(request);
    let mut month_cells = vec![vec![0u32; 4]; months.len()];
    for r in referrals {
        let month = (r.received_at.year(), r.received_at.month());
        if let Some(i) = months.iter().position(|m| *m == month) {
            month_cells[i][risk_index(r.assessed_risk)] += 1;
        }
    }
    let month_headings = months
        .iter()
        .map(|(y, m)| {
            Heading::new(
                &format!("{y}-{m:02}"),
                &format!("{} {y}", MONTH_NAMES[(*m - 1) as usize]),
            )
        })
        .collect();
    let by_month_and_risk = CrossTable::new(
        month_headings,
        risk_headings(("not_assessed", "Not assessed")),
        month_cells,
    );
    // Closures by young person, so each referral looks only at its own young person's
    // (linear in the rows, not referrals × closures).
    let mut closures: HashMap<YoungPersonId, Vec<&ClosedCaseRow>> = HashMap::new();
    for c in closed.iter().filter(|c| c.stage == StageName::Closed) {
        closures.entry(c.young_person_id).or_default().push(c);
    }
    let re_referred = |r: &&&ReferralRow| {
        let since = r
            .received_at
            .checked_sub_months(Months::new(RE_REFERRAL_MONTHS))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        closures.get(&r.young_person_id).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.case_id != r.case_id && since <= c.closed_at && c.closed_at < r.received_at
            })
        })
    };
    let bands = request.age_bands.headings();
    ReferralFigures {
        total: count(referrals.len()),
        by_source: Breakdown::tally(heads(&SOURCES), referrals.iter(), |r| {
            SOURCES
                .iter()
                .position(|(k, _)| *k == r.source)
                .unwrap_or(SOURCES.len() - 1)
        }),
        by_outcome: Breakdown::tally(
            ReferralOutcome::ALL
                .iter()
                .map(|o| Heading::new(o.as_str(), &outcome_label(*o)))
                .collect(),
            referrals.iter(),
            |r| {
                ReferralOutcome::ALL
                    .iter()
                    .position(|o| *o == r.outcome)
                    .expect("every outcome is listed")
            },
        ),
        by_gender: Breakdown::tally(heads(&GENDERS), referrals.iter(), |r| {
            gender_index(r.gender)
        }),
        by_age_band: Breakdown::tally(bands, referrals.iter(), |r| request.age_bands.band(r.age)),
        by_month_and_risk,
        re_referrals: Breakdown::tally(
            heads(&[
                ("within_12_months", "Within 12 months of a closure"),
                ("other", "Other referrals"),
            ]),
            referrals.iter(),
            |r| usize::from(!re_referred(r)),
        ),
    }
}

fn outcome_label(outcome: ReferralOutcome) -> String {
    let name = outcome.as_str().replace('_', " ");
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn workshop_figures(reach: &WorkshopReach) -> WorkshopFigures {
    let cat = |key: &str, label: &str, count: u32| Category {
        key: key.to_owned(),
        label: label.to_owned(),
        count,
    };
    WorkshopFigures {
        workshops: count(reach.workshops.len()),
        attendees: Breakdown::new(vec![
            cat(
                "registered",
                "Registered with the service",
                reach.registered_attendees,
            ),
            cat(
                "anonymous",
                "Not known to the service",
                reach.anonymous_attendees,
            ),
        ]),
        identified_vulnerable: reach.identified_vulnerable,
        tutorials: reach.tutorials,
        forms: Breakdown::new(vec![
            cat("with_comments", "With comments", reach.with_comments),
            cat(
                "without_comments",
                "Without comments",
                reach.forms.saturating_sub(reach.with_comments),
            ),
        ]),
        questions: reach
            .questions
            .iter()
            .map(|q| QuestionFigures {
                question: q.question.clone(),
                answers: Breakdown::new(vec![
                    cat("improved", "Improved", q.improved),
                    cat("unchanged", "Unchanged", q.unchanged),
                    cat("lower", "Lower", q.lower),
                ]),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::{CaseId, MissingEpisodeId};
    use chrono::{Duration, TimeZone};

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, 9, 0, 0).unwrap()
    }

    fn april() -> ReportRequest {
        ReportRequest::new(
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        )
    }

    fn referral(young_person: YoungPersonId, received_at: DateTime<Utc>) -> ReferralRow {
        ReferralRow {
            case_id: CaseId::new(),
            young_person_id: young_person,
            received_at,
            source: "self".into(),
            gender: Gender::Female,
            age: 15,
            programme: None,
            stage: StageName::Received,
            outcome: ReferralOutcome::Pending,
            assessed_risk: None,
            allocated_at: None,
            previous_case: None,
        }
    }

    fn closed(
        young_person: YoungPersonId,
        closed_at: DateTime<Utc>,
        stage: StageName,
    ) -> ClosedCaseRow {
        ClosedCaseRow {
            case_id: CaseId::new(),
            young_person_id: young_person,
            stage,
            closed_at,
            reason: "aged_out".into(),
            risk_level: Some(RiskLevel::Low),
            received_at: closed_at - Duration::days(90),
            opening_risk: Some(RiskLevel::High),
            programme: None,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[4], 90), Some(4));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(nearest_rank(&(1..=10).collect::<Vec<_>>(), 90), Some(9));
        assert_eq!(nearest_rank(&(1..=11).collect::<Vec<_>>(), 90), Some(10));
    }

    #[test]
    fn age_bands_name_their_ages() {
        let bands = AgeBands::default();
        let keys: Vec<String> = bands.headings().into_iter().map(|h| h.key).collect();
        assert_eq!(
            keys,
            [
                "under_13",
                "13_15",
                "16_17",
                "18_21",
                "22_24",
                "25_and_over"
            ]
        );
        assert_eq!(
            (
                bands.band(12),
                bands.band(13),
                bands.band(17),
                bands.band(30)
            ),
            (0, 1, 2, 5)
        );
        assert!(AgeBands::new(vec![16, 13]).is_err());
        assert!(AgeBands::new(vec![0]).is_err());
    }

    #[test]
    fn a_re_referral_follows_a_closure_within_the_12_months_before_it() {
        let (amy, bea, cara) = (
            YoungPersonId::new(),
            YoungPersonId::new(),
            YoungPersonId::new(),
        );
        let inputs = ReportInputs {
            referrals: vec![
                referral(amy, at(4, 10)),
                referral(bea, at(4, 10)),
                referral(cara, at(4, 10)),
            ],
            closed: vec![
                // Exactly 12 months before: in. A day more: out. A signposting: not a closure.
                closed(
                    amy,
                    Utc.with_ymd_and_hms(2025, 4, 10, 9, 0, 0).unwrap(),
                    StageName::Closed,
                ),
                closed(
                    bea,
                    Utc.with_ymd_and_hms(2025, 4, 9, 9, 0, 0).unwrap(),
                    StageName::Closed,
                ),
                closed(cara, at(3, 1), StageName::Signposted),
            ],
            ..ReportInputs::default()
        };
        let f = Figures::compute(&april(), inputs, at(5, 1));
        assert_eq!(f.referrals.re_referrals.get("within_12_months"), Some(1));
        assert_eq!(f.closures.by_reason.total, 0, "closed before April");
    }

    #[test]
    fn an_interview_offered_at_exactly_72_hours_is_within_them() {
        let yp = YoungPersonId::new();
        let back = at(4, 2);
        let episode = |offered: Option<DateTime<Utc>>| MissingEpisodeRow {
            young_person_id: yp,
            episode: MissingEpisodeId::new(),
            started_at: at(4, 1),
            returned_at: Some(back),
            offered_at: offered,
            completed_at: None,
            declined_at: None,
        };
        let inputs = ReportInputs {
            missing: vec![
                episode(Some(back + Duration::hours(72))),
                episode(Some(back + Duration::hours(72) + Duration::microseconds(1))),
                episode(None),
            ],
            ..ReportInputs::default()
        };
        let f = Figures::compute(&april(), inputs, at(4, 20));
        let m = &f.missing;
        assert_eq!(m.episodes.get("offered_within_72_hours"), Some(1));
        assert_eq!(m.episodes.get("not_offered_within_72_hours"), Some(2));
        assert_eq!(
            (m.young_people, m.offered_within_72_hours_percent),
            (1, Some(33))
        );
    }

    #[test]
    fn a_programme_report_leaves_out_other_cases() {
        let mut on = referral(YoungPersonId::new(), at(4, 3));
        on.programme = Some("intensive".into());
        let inputs = ReportInputs {
            referrals: vec![on, referral(YoungPersonId::new(), at(4, 3))],
            programme_people: Some(BTreeSet::new()),
            ..ReportInputs::default()
        };
        let f = Figures::compute(&april().programme("intensive"), inputs.clone(), at(5, 1));
        assert_eq!(f.referrals.total, 1);
        assert_eq!(
            Figures::compute(&april(), inputs, at(5, 1)).referrals.total,
            2
        );
    }
}
