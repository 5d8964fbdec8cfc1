//! Service-wide reads as values (R-27).
//!
//! Each list a service asks of all its records is a query type: it knows its stable name, the
//! permission it needs (asked as staff with no particular relationship to the records
//! listed), and how the service answers it. [`Acting::query`] checks any query the same way,
//! once; [`Casework::query`] answers it unchecked for trusted code. [`QUERIES`] enumerates
//! them all, so a surface over every read (an HTTP API, a report runner) is generated from it
//! rather than written list by list.
//!
//! ```
//! use casework_service::queries::{Query, ReviewsDue, QUERIES};
//! use casework_core::privacy::access::Permission;
//!
//! assert_eq!(ReviewsDue::NAME, "reviews_due");
//! assert_eq!(ReviewsDue::PERMISSION, Permission::ReadCase);
//! assert!(QUERIES.iter().any(|q| q.name == "intelligence_awaiting_police"
//!     && q.permission == Permission::ReadIntelligence));
//! ```

use crate::acting::Acting;
use crate::casework::{Casework, LoadError};
use crate::error::AccessError;
use casework_core::kernel::ids::{StaffId, YoungPersonId};
use casework_core::privacy::access::{check, Permission, Relationship};
use casework_core::read::figures::{Figures, ReportRequest};
use casework_core::read::listing::{
    AlumniRow, AwaitingPoliceRow, ClosedCaseRow, MissingFlagRow, OpenCaseRow, PartnerReferralRow,
    PartnerReferralState, ReturnInterviewRow, ReviewDueRow, WorkshopReach,
};
use casework_core::read::report::{CadenceReport, LengthStatus};
use casework_core::read::rows::{CaseSummary, OwedActionSummary};
use casework_core::store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

/// A service-wide read; see the module docs.
pub trait Query: Send + Sync {
    /// What it answers.
    type Output: Send;
    /// Its stable name.
    const NAME: &'static str;
    /// The permission it needs, as staff with no relationship to the records listed.
    const PERMISSION: Permission;
    /// Answers it, unchecked.
    fn run<'a, S: Store>(
        &'a self,
        casework: &'a Casework<S>,
    ) -> impl Future<Output = Result<Self::Output, LoadError>> + Send + 'a;
}

/// A query's name and permission, for surfaces generated over every query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryInfo {
    /// [`Query::NAME`].
    pub name: &'static str,
    /// [`Query::PERMISSION`].
    pub permission: Permission,
}

impl<S: Store> Casework<S> {
    /// Answers `query`, unchecked (trusted code).
    pub async fn query<Q: Query>(&self, query: Q) -> Result<Q::Output, LoadError> {
        query.run(self).await
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Answers `query` if the person's role permits its [`Query::PERMISSION`] (R-27);
    /// otherwise refuses, naming the permission, before anything is read.
    pub async fn query<Q: Query>(&self, query: Q) -> Result<Q::Output, AccessError> {
        check(self.actor, Relationship::None, Q::PERMISSION, None)?;
        Ok(query.run(self.casework).await?)
    }
}

/// Declares each query once: its type, name, permission and answer, its entry in
/// [`QUERIES`], and the named method on [`Acting`] that asks it.
macro_rules! queries {
    ($(
        $(#[$doc:meta])*
        $ty:ident $name:literal, $permission:ident, fn $method:ident($($field:ident: $fty:ty),*) -> $out:ty
            = |$cw:ident, $q:ident| $body:expr;
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
            #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
            #[serde(deny_unknown_fields)]
            pub struct $ty {
                $(
                    #[allow(missing_docs)]
                    pub $field: $fty,
                )*
            }

            impl Query for $ty {
                type Output = $out;
                const NAME: &'static str = $name;
                const PERMISSION: Permission = Permission::$permission;
                fn run<'a, S: Store>(
                    &'a self,
                    $cw: &'a Casework<S>,
                ) -> impl Future<Output = Result<$out, LoadError>> + Send + 'a {
                    let $q = self;
                    async move { Ok($body) }
                }
            }
        )*

        /// Every query, by name and permission.
        pub const QUERIES: &[QueryInfo] = &[$(QueryInfo { name: $name, permission: Permission::$permission }),*];

        impl<'a, S: Store> Acting<'a, S> {
            $(
                $(#[$doc])*
                #[doc = concat!("\n\nAsks [`", stringify!($ty), "`] through [`Acting::query`].")]
                pub async fn $method(&self, $($field: $fty),*) -> Result<$out, AccessError> {
                    self.query($ty { $($field),* }).await
                }
            )*
        }
    };
}

queries! {
    /// Cases whose next review falls due in `[from, to)`, soonest first (R-12).
    ReviewsDue "reviews_due", ReadCase,
        fn reviews_due(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<ReviewDueRow>
        = |cw, q| cw.reviews_due(q.from, q.to).await?;
    /// Cases at work past their programme's expected length at `as_of` (R-14: shown, never
    /// enforced).
    CasesPastExpectedLength "cases_past_expected_length", ReadCase,
        fn cases_past_expected_length(as_of: DateTime<Utc>) -> Vec<LengthStatus>
        = |cw, q| cw.cases_past_expected_length(q.as_of).await?;
    /// Open cases, one worker's or everyone's (R-25 caseloads).
    OpenCases "open_cases", ReadCase,
        fn open_cases(worker: Option<StaffId>) -> Vec<OpenCaseRow>
        = |cw, q| cw.open_cases(q.worker).await?;
    /// Expected against delivered sessions and contacts in `[from, to)` for every open case
    /// whose work has begun (R-11).
    CadenceAcrossOpenCases "cadence_across_open_cases", ReadCase,
        fn cadence_across_open_cases(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<CadenceReport>
        = |cw, q| cw.cadence_across_open_cases(q.from, q.to).await?;
    /// Referrals out to partners, by status.
    PartnerReferrals "partner_referrals", ReadCase,
        fn partner_referrals(status: Option<PartnerReferralState>) -> Vec<PartnerReferralRow>
        = |cw, q| cw.partner_referrals(q.status).await?;
    /// Finished cases, one young person's or everyone's (R-23 retention reviews).
    ClosedCases "closed_cases", ReadCase,
        fn closed_cases(young_person: Option<YoungPersonId>) -> Vec<ClosedCaseRow>
        = |cw, q| cw.closed_cases(q.young_person).await?;
    /// Return interviews not yet settled, across all young people (R-22).
    AllReturnInterviewsDue "all_return_interviews_due", ReadCase,
        fn all_return_interviews_due(as_of: DateTime<Utc>) -> Vec<ReturnInterviewRow>
        = |cw, q| cw.all_return_interviews_due(q.as_of).await?;
    /// Return interviews overdue at `as_of` (R-22).
    OverdueReturnInterviews "overdue_return_interviews", ReadCase,
        fn overdue_return_interviews(as_of: DateTime<Utc>) -> Vec<ReturnInterviewRow>
        = |cw, q| cw.overdue_return_interviews(q.as_of).await?;
    /// Young people flagged for three missing episodes within 30 days (R-22).
    FlaggedYoungPeople "flagged_young_people", ReadCase,
        fn flagged_young_people() -> Vec<MissingFlagRow>
        = |cw, _q| cw.flagged_young_people().await?;
    /// Members of the alumni group (R-20).
    AlumniMembers "alumni_members", ReadCase,
        fn alumni_members() -> Vec<AlumniRow>
        = |cw, _q| cw.alumni_members().await?;
    /// Workshop reach and evaluation results for workshops dated in `[from, to)` (R-29).
    WorkshopReachIn "workshop_reach", ReadCase,
        fn workshop_reach(from: NaiveDate, to: NaiveDate) -> WorkshopReach
        = |cw, q| cw.workshop_reach(q.from, q.to).await?;
    /// The figures funders and partnerships ask for over a period, for the service or one
    /// programme (`read_reports`, R-29; see [`crate::reports`]).
    ServiceReport "report", ReadReports,
        fn report(request: ReportRequest) -> Figures
        = |cw, q| cw.report(&q.request).await?;
    /// Intelligence not yet with the police, immediate risk first (`read_intelligence`, R-19).
    IntelligenceAwaitingPolice "intelligence_awaiting_police", ReadIntelligence,
        fn intelligence_awaiting_police() -> Vec<AwaitingPoliceRow>
        = |cw, _q| cw.intelligence_awaiting_police().await?;
    /// The waiting list in R-7 order.
    WaitingList "waiting_list", ReadCase,
        fn waiting_list() -> Vec<CaseSummary>
        = |cw, _q| cw.waiting_list().await?;
    /// Owed actions not yet discharged (R-5).
    OutstandingActions "outstanding_actions", ReadCase,
        fn outstanding_actions() -> Vec<OwedActionSummary>
        = |cw, _q| cw.outstanding_actions().await?;
    /// Cases whose review is overdue now (R-12).
    OverdueReviews "overdue_reviews", ReadCase,
        fn overdue_reviews() -> Vec<CaseSummary>
        = |cw, _q| cw.overdue_reviews().await?;
    /// Possible duplicates awaiting a worker's decision, oldest flag first (R-26).
    PossibleDuplicatesAwaitingDecision "possible_duplicates_awaiting_decision", ReadCase,
        fn possible_duplicates_awaiting_decision() -> Vec<casework_core::young_person::duplicates::PossibleDuplicateRow>
        = |cw, _q| cw.possible_duplicates_awaiting_decision().await?;
}
