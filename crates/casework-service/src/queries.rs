//! Service-wide reads as values (R-27).
//!
//! Each list a service asks of all its records is a query type: it knows its stable name, the
//! permission it needs (asked as staff with no particular relationship to the records
//! listed), and how the service answers it. [`Acting::query`] checks any query the same way,
//! once; [`Casework::query`] answers it unchecked for trusted code. [`QUERIES`] enumerates
//! them all, so a surface over every read (an HTTP API, a report runner) is generated from it
//! rather than written list by list.
//!
//! Why one module of this size: the query values, the paged lists and the one check they
//! share are one surface, declared once by two macros so a list cannot be added unchecked.
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
use crate::identity::key_store_error;
use casework_core::intelligence::Urgency;
use casework_core::kernel::ids::{StaffId, YoungPersonId};
use casework_core::privacy::access::{check, Permission, Relationship};
use casework_core::privacy::access_log::{AccessRecord, AccessSubject};
use casework_core::privacy::disclosure::ShareRecord;
use casework_core::privacy::retention::{Erasure, LegalHold};
use casework_core::read::figures::{Figures, ReportRequest};
use casework_core::read::listing::{
    decode, decode_detail, AlumniRow, AwaitingPoliceRow, ClosedCaseRow, ExpectedEndRow,
    MissingFlagRow, OpenCaseRow, PartnerReferralRow, PartnerReferralState, ReturnInterviewRow,
    ReviewDueRow, WorkshopReach,
};
use casework_core::read::report::{CadenceReport, LengthStatus};
use casework_core::read::rows::{
    CaseSummary, Listed, ListingKind, ListingPosition, ListingQuery, OwedActionSummary,
};
use casework_core::store::{Store, StoreError};
use casework_core::young_person::duplicates::PossibleDuplicateRow;
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
    ///
    /// # Errors
    ///
    /// The query's own reads failing: `LoadError::Store` (`store_*`) when the store fails, or
    /// `store_corrupt` for a listing that does not decode; for the queries that load records
    /// (the cadence across open cases), `LoadError::NotFound` (`not_found`) or
    /// `LoadError::History` (`history_unreadable`, R-18).
    pub async fn query<Q: Query>(&self, query: Q) -> Result<Q::Output, LoadError> {
        query.run(self).await
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Answers `query` if the person's role permits its [`Query::PERMISSION`] (R-27);
    /// otherwise refuses, naming the permission, before anything is read.
    ///
    /// # Errors
    ///
    /// `ActingError::Denied` (`access_denied`, R-27) when the role does not permit the query's
    /// permission; otherwise `ActingError::Failed` with the errors of [`Casework::query`].
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
                #[doc = "\n\n# Errors\n\nAs [`Acting::query`]: `access_denied` (R-27) without the query's permission, or the read failing."]
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

/// The service-wide lists read whole: each is its [`Paged`] definition read part by part
/// with no limit, so a list is defined once for its whole answer and its pages. Windows are
/// half-open: `from` is in, `to` is not.
impl<S: Store> Casework<S> {
    /// Every item of `list`: each part one indexed read of the listings, in order.
    pub(crate) async fn whole<L: Paged>(&self, list: &L) -> Result<Vec<L::Item>, StoreError> {
        let mut items = Vec::new();
        for (part, query) in list.parts().into_iter().enumerate() {
            for listed in self.store().listings(query).await? {
                items.push(self.listed_item(list, part, &listed).await?);
            }
        }
        Ok(items)
    }

    /// One item of `list`, decoded with the identifying details and personal text it holds
    /// opened ([`Casework::reading`]: an override's concern, sealed at rest).
    async fn listed_item<L: Paged>(
        &self,
        list: &L,
        part: usize,
        listed: &Listed,
    ) -> Result<L::Item, StoreError> {
        self.reading(|| list.item(part, listed))
            .await
            .map_err(key_store_error)?
    }

    /// Cases whose next review falls due in `[from, to)`, soonest first (R-12). For today's
    /// reviews, pass today's midnight and the next: a review due today is in it, and is due,
    /// not overdue, until its time has passed ([`ReviewDueRow::is_overdue`]).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn reviews_due(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ReviewDueRow>, StoreError> {
        self.whole(&ReviewsDue { from, to }).await
    }

    /// Cases at work past their programme's expected length as of `as_of`, longest past first
    /// (R-14: shown, never enforced). A case exactly at its expected length is not past it.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn cases_past_expected_length(
        &self,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<casework_core::read::report::LengthStatus>, StoreError> {
        self.whole(&CasesPastExpectedLength { as_of }).await
    }

    /// Cases allocated and not closed, by when allocated; only `worker`'s when given (R-25:
    /// each worker's caseload).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn open_cases(
        &self,
        worker: Option<StaffId>,
    ) -> Result<Vec<OpenCaseRow>, StoreError> {
        self.whole(&OpenCases { worker }).await
    }

    /// Referrals out to partner agencies, by when sent; only those in `status` when given.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn partner_referrals(
        &self,
        status: Option<PartnerReferralState>,
    ) -> Result<Vec<PartnerReferralRow>, StoreError> {
        self.whole(&PartnerReferrals { status }).await
    }

    /// Finished cases (closed, or referrals declined, signposted or withdrawn), by when they
    /// ended; only `young_person`'s when given (R-23: the retention schedule counts from here).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn closed_cases(
        &self,
        young_person: Option<YoungPersonId>,
    ) -> Result<Vec<ClosedCaseRow>, StoreError> {
        self.whole(&ClosedCases { young_person }).await
    }

    /// Every return interview not yet completed or declined, across all young people, soonest
    /// due first, each marked overdue as of `as_of`: overdue strictly after 72 hours from the
    /// return, so one due at exactly `as_of` is due, not overdue (R-22).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn all_return_interviews_due(
        &self,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<ReturnInterviewRow>, StoreError> {
        self.whole(&AllReturnInterviewsDue { as_of }).await
    }

    /// Return interviews overdue as of `as_of`, across all young people, longest overdue first
    /// (R-22): those due strictly before `as_of`.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn overdue_return_interviews(
        &self,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<ReturnInterviewRow>, StoreError> {
        self.whole(&OverdueReturnInterviews { as_of }).await
    }

    /// Young people flagged by three missing episodes within 30 days, whose flag is not yet
    /// resolved, by when raised (R-22: each is owed a strategy discussion).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn flagged_young_people(&self) -> Result<Vec<MissingFlagRow>, StoreError> {
        self.whole(&FlaggedYoungPeople {}).await
    }

    /// Members of the alumni group, by when they joined (R-20).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn alumni_members(&self) -> Result<Vec<AlumniRow>, StoreError> {
        self.whole(&AlumniMembers {}).await
    }

    /// Intelligence not yet with the police: reports of immediate risk not yet called in
    /// first, then the rest, each oldest first (R-19).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn intelligence_awaiting_police(&self) -> Result<Vec<AwaitingPoliceRow>, StoreError> {
        self.whole(&IntelligenceAwaitingPolice {}).await
    }
}

/// The audit logs, read whole and checked.
impl<'a, S: Store> Acting<'a, S> {
    /// Every item of `list` if the person's role permits its [`Paged::PERMISSION`] (R-27),
    /// checked before anything is read.
    async fn whole<L: Paged>(&self, list: &L) -> Result<Vec<L::Item>, AccessError> {
        check(self.actor, Relationship::None, L::PERMISSION, None)?;
        Ok(self.casework.whole(list).await?)
    }

    /// Every share in `[from, to)`, across cases (`read_audit_logs`): the disclosure log.
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_audit_logs`; nothing is read.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when the store fails, or
    ///   `StoreError::Corrupt` (`store_corrupt`) when a listing's detail does not decode.
    pub async fn disclosure_log(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ShareRecord>, AccessError> {
        self.whole(&DisclosureLog { from, to }).await
    }

    /// Every share under the safeguarding override in `[from, to)` (`read_audit_logs`, R-9).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_audit_logs`; nothing is read.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when the store fails, or
    ///   `StoreError::Corrupt` (`store_corrupt`) when a listing's detail does not decode.
    pub async fn override_report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ShareRecord>, AccessError> {
        self.whole(&OverrideReport { from, to }).await
    }

    /// Every recorded read of a case's confidential record, or of a young person's records
    /// (`read_audit_logs`, R-27), oldest first.
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_audit_logs`; nothing is read.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when the store fails, or
    ///   `StoreError::Corrupt` (`store_corrupt`) when a listing's detail does not decode.
    pub async fn access_log(
        &self,
        record: AccessSubject,
    ) -> Result<Vec<AccessRecord>, AccessError> {
        self.whole(&AccessLog { subject: record }).await
    }
}

// ---------------------------------------------------------------------------------------------
// Pages.

/// Where a paged list stands: after which listing of which of its parts ([`Paged::parts`]).
/// Opaque to callers; a surface hands it out as a cursor (keyset, never an offset: items
/// written or removed between two pages move no other across the boundary).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PagePosition {
    /// The part the listing was read from (0 for lists of one part).
    pub part: usize,
    /// The listing's position in [`casework_core::read::rows::listing_order`].
    pub listing: ListingPosition,
}

/// One page of a paged list: its items in the list's order, and where the next page starts,
/// `None` when this is the last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The position after the last item, when more follow.
    pub next: Option<PagePosition>,
}

/// A list read in pages straight from the store's listings: each page is one indexed read of
/// at most `limit + 1` listings after the position (two when a page crosses from one part
/// to the next), never the whole list. Its items are in the same order as the whole list's
/// ([`Query::run`] for the queries among them), one item per listing.
///
/// The paged lists are the service-wide queries that are direct reads of listings (reviews
/// due, cases past their expected length, open cases, partner referrals, closed cases,
/// return interviews, flagged young people, alumni, intelligence awaiting the police,
/// possible duplicates) and the logs ([`DisclosureLog`], [`OverrideReport`], [`AccessLog`],
/// [`LegalHolds`], [`ErasureLog`]). Not paged: lists computed from several reads or from
/// other read models (the cadence across open cases loads each case; workshop reach and the
/// report are one object; the waiting list, outstanding actions and overdue reviews are read
/// from the case rows, which have no page read; the retention review checks each young
/// person against the schedule).
pub trait Paged: Send + Sync {
    /// One item of a page.
    type Item: Send;
    /// The permission it needs, as staff with no relationship to the records listed.
    const PERMISSION: Permission;
    /// The listing reads whose answers, one after another, are the list.
    fn parts(&self) -> Vec<ListingQuery>;
    /// The item of one listing read from part `part`.
    ///
    /// # Errors
    ///
    /// `StoreError::Corrupt` (`store_corrupt`) when the listing's detail does not decode.
    fn item(&self, part: usize, listed: &Listed) -> Result<Self::Item, StoreError>;
}

/// A page of `list`: at most `limit` items after `after` (from the start when `None`), read
/// unchecked (trusted code; [`Acting::page`] checks the permission); a `limit` of 0 is
/// taken as 1. A position past the list's last part is an empty last page.
///
/// A page ends after a whole tie (listings of one stream with the same time and key, ordered
/// only by their detail): its next position has no detail
/// ([`ListingPosition::detail`]), so a listing whose detail changes between pages (a case's
/// risk level, say) is neither seen again nor skipped. A page that would split a tie ends
/// before it instead, and only a tie longer than the whole page is split, at an exact
/// position.
///
/// # Errors
///
/// `StoreError` (`store_*`) when a listing read fails, and `store_corrupt` when a listing's
/// detail does not decode.
pub async fn page<S: Store, L: Paged>(
    store: &S,
    list: &L,
    after: Option<PagePosition>,
    limit: usize,
) -> Result<Page<L::Item>, StoreError> {
    let (read, next) = page_listed(store, list, after, limit).await?;
    let items = read
        .iter()
        .map(|(part, listed)| list.item(*part, listed))
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next })
}

/// The listings of a page of `list` ([`page`]), each with its part, and the next position:
/// read, not yet decoded.
async fn page_listed<S: Store, L: Paged>(
    store: &S,
    list: &L,
    after: Option<PagePosition>,
    limit: usize,
) -> Result<(Vec<(usize, Listed)>, Option<PagePosition>), StoreError> {
    // A page holds at least one item.
    let limit = limit.max(1);
    let (start, mut after) = match after {
        Some(p) => (p.part, Some(p.listing)),
        None => (0, None),
    };
    // Up to one more listing than the page holds: whether another follows, and whether the
    // page's last listing ties with it.
    let mut read: Vec<(usize, Listed)> = Vec::new();
    for (part, mut query) in list.parts().into_iter().enumerate().skip(start) {
        query.limit = Some(limit + 1 - read.len());
        query.after = after.take();
        read.extend(store.listings(query).await?.into_iter().map(|l| (part, l)));
        if read.len() > limit {
            break;
        }
    }
    let next = if read.len() > limit {
        let (part, last) = &read[limit - 1];
        let (next_part, following) = &read[limit];
        let split = part == next_part && last.ties_with(following);
        let tie_start = if split {
            read[..limit]
                .iter()
                .rposition(|(p, l)| p != part || !l.ties_with(last))
                .map_or(0, |i| i + 1)
        } else {
            limit
        };
        let (keep, next) = if tie_start == 0 {
            // A tie longer than the page: split it at the exact position.
            let exact = PagePosition {
                part: *part,
                listing: last.position(),
            };
            (limit, exact)
        } else {
            // End after the last whole tie.
            let (part, last) = &read[tie_start - 1];
            let after_ties = PagePosition {
                part: *part,
                listing: last.position_after_ties(),
            };
            (tie_start, after_ties)
        };
        read.truncate(keep);
        Some(next)
    } else {
        None
    };
    Ok((read, next))
}

impl<'a, S: Store> Acting<'a, S> {
    /// A page of `list` if the person's role permits its [`Paged::PERMISSION`] (R-27);
    /// otherwise refuses, naming the permission, before anything is read.
    ///
    /// # Errors
    ///
    /// `ActingError::Denied` (`access_denied`, R-27) without the list's permission; otherwise
    /// `ActingError::Failed` with the errors of [`page`].
    pub async fn page<L: Paged>(
        &self,
        list: &L,
        after: Option<PagePosition>,
        limit: usize,
    ) -> Result<Page<L::Item>, AccessError> {
        check(self.actor, Relationship::None, L::PERMISSION, None)?;
        let (read, next) = page_listed(self.casework.store(), list, after, limit).await?;
        let mut items = Vec::with_capacity(read.len());
        for (part, listed) in &read {
            items.push(self.casework.listed_item(list, *part, listed).await?);
        }
        Ok(Page { items, next })
    }
}

/// Declares lists paged by their listings: each list's permission, parts and item.
macro_rules! paged {
    ($(
        $ty:ty, $permission:ident => $item:ty;
            parts |$q:ident| $parts:expr;
            item |$iq:ident, $part:pat_param, $listed:ident| $body:expr;
    )*) => {$(
        impl Paged for $ty {
            type Item = $item;
            const PERMISSION: Permission = Permission::$permission;
            #[allow(unused_variables)]
            fn parts(&self) -> Vec<ListingQuery> {
                let $q = self;
                $parts
            }
            #[allow(unused_variables)]
            fn item(&self, $part: usize, $listed: &Listed) -> Result<$item, StoreError> {
                let $iq = self;
                $body
            }
        }
    )*};
}

fn keyed(query: ListingQuery, key: Option<String>) -> ListingQuery {
    match key {
        Some(key) => query.key(key),
        None => query,
    }
}

/// The disclosure log: every share in `[from, to)`, across cases (`read_audit_logs`, R-8,
/// R-9), as [`Acting::disclosure_log`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureLog {
    /// From (included).
    pub from: DateTime<Utc>,
    /// To (excluded).
    pub to: DateTime<Utc>,
}

/// Every share under the safeguarding override in `[from, to)` (`read_audit_logs`, R-9), as
/// [`Acting::override_report`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideReport {
    /// From (included).
    pub from: DateTime<Utc>,
    /// To (excluded).
    pub to: DateTime<Utc>,
}

/// Every recorded read of one record (`read_audit_logs`, R-27), as [`Acting::access_log`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLog {
    /// The record.
    pub subject: AccessSubject,
}

/// Every legal hold in place (`manage_retention`, R-23), as [`Acting::legal_holds`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegalHolds;

/// Every erasure finished in `[from, to)` (`read_audit_logs`, R-23), as
/// [`Acting::erasure_log`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureLog {
    /// From (included).
    pub from: DateTime<Utc>,
    /// To (excluded).
    pub to: DateTime<Utc>,
}

paged! {
    ReviewsDue, ReadCase => ReviewDueRow;
        parts |q| vec![ListingQuery::all(ListingKind::ReviewDue).from(q.from).before(q.to)];
        item |q, _, l| decode(l);
    CasesPastExpectedLength, ReadCase => LengthStatus;
        parts |q| vec![ListingQuery::all(ListingKind::ExpectedEnd).before(q.as_of)];
        item |q, _, l| Ok(decode::<ExpectedEndRow>(l)?.length_status(q.as_of));
    OpenCases, ReadCase => OpenCaseRow;
        parts |q| vec![keyed(ListingQuery::all(ListingKind::OpenCase), q.worker.map(|w| w.to_string()))];
        item |q, _, l| decode(l);
    PartnerReferrals, ReadCase => PartnerReferralRow;
        parts |q| vec![keyed(
            ListingQuery::all(ListingKind::PartnerReferral),
            q.status.map(|s| s.as_str().to_owned()),
        )];
        item |q, _, l| decode(l);
    ClosedCases, ReadCase => ClosedCaseRow;
        parts |q| vec![keyed(
            ListingQuery::all(ListingKind::ClosedCase),
            q.young_person.map(|p| p.to_string()),
        )];
        item |q, _, l| decode(l);
    AllReturnInterviewsDue, ReadCase => ReturnInterviewRow;
        parts |q| vec![ListingQuery::all(ListingKind::ReturnInterview)];
        item |q, _, l| Ok(decode::<ReturnInterviewRow>(l)?.as_of(q.as_of));
    OverdueReturnInterviews, ReadCase => ReturnInterviewRow;
        parts |q| vec![ListingQuery::all(ListingKind::ReturnInterview).before(q.as_of)];
        item |q, _, l| Ok(decode::<ReturnInterviewRow>(l)?.as_of(q.as_of));
    FlaggedYoungPeople, ReadCase => MissingFlagRow;
        parts |q| vec![ListingQuery::all(ListingKind::MissingFlag)];
        item |q, _, l| decode(l);
    AlumniMembers, ReadCase => AlumniRow;
        parts |q| vec![ListingQuery::all(ListingKind::Alumni)];
        item |q, _, l| decode(l);
    // Immediate risk first, then the rest, each oldest first: two parts, by key.
    IntelligenceAwaitingPolice, ReadIntelligence => AwaitingPoliceRow;
        parts |q| [Urgency::ImmediateRisk, Urgency::NonUrgent]
            .into_iter()
            .map(|u| ListingQuery::all(ListingKind::IntelligenceAwaitingPolice).key(u.as_str()))
            .collect();
        item |q, _, l| decode(l);
    PossibleDuplicatesAwaitingDecision, ReadCase => PossibleDuplicateRow;
        parts |q| vec![ListingQuery::all(ListingKind::PossibleDuplicate)];
        item |q, _, l| decode(l);
    DisclosureLog, ReadAuditLogs => ShareRecord;
        parts |q| vec![ListingQuery::all(ListingKind::Disclosure).from(q.from).before(q.to)];
        item |q, _, l| decode_detail(l);
    OverrideReport, ReadAuditLogs => ShareRecord;
        parts |q| vec![ListingQuery::all(ListingKind::Override).from(q.from).before(q.to)];
        item |q, _, l| decode_detail(l);
    AccessLog, ReadAuditLogs => AccessRecord;
        parts |q| {
            let key = match q.subject {
                AccessSubject::Case { case, .. } => case.to_string(),
                AccessSubject::YoungPerson { young_person } => young_person.to_string(),
                AccessSubject::Intelligence { intelligence } => intelligence.to_string(),
                AccessSubject::Workshop { workshop } => workshop.to_string(),
            };
            vec![ListingQuery::all(ListingKind::Access).key(key)]
        };
        item |q, _, l| decode_detail(l);
    LegalHolds, ManageRetention => LegalHold;
        parts |q| vec![ListingQuery::all(ListingKind::LegalHold)];
        item |q, _, l| decode_detail(l);
    ErasureLog, ReadAuditLogs => Erasure;
        parts |q| vec![ListingQuery::all(ListingKind::Erasure).from(q.from).before(q.to)];
        item |q, _, l| decode_detail(l);
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework_core::intelligence::NewIntelligence;
    use casework_core::kernel::confidential::NewConfidential;
    use casework_core::kernel::input::Text;
    use casework_core::policy::profile::examples::city_girls_service;
    use casework_memory::MemoryStore;
    use casework_testkit::fixtures;
    use std::sync::Arc;

    /// Walks `list` in pages of `limit`: every item and the number of pages.
    async fn walk<L: Paged>(
        casework: &Casework<MemoryStore>,
        list: &L,
        limit: usize,
    ) -> (Vec<L::Item>, usize) {
        let (mut items, mut after, mut pages) = (Vec::new(), None, 0);
        loop {
            pages += 1;
            let page = page(casework.store(), list, after, limit).await.unwrap();
            assert!(page.items.len() <= limit);
            items.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return (items, pages),
            }
            assert!(pages < 100, "the pages never end");
        }
    }

    /// A list of two parts (intelligence: immediate risk first, then the rest) pages across
    /// the boundary in the whole list's order, whatever the page size, and a page that ends
    /// exactly at the first part's end still says another follows.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_list_of_two_parts_pages_in_the_whole_lists_order() {
        let clock = Arc::new(fixtures::clock());
        let casework =
            Casework::new(MemoryStore::new(), city_girls_service()).with_clock(clock.clone());
        let manager = fixtures::manager();
        for (n, urgency) in [
            Urgency::NonUrgent,
            Urgency::ImmediateRisk,
            Urgency::NonUrgent,
            Urgency::ImmediateRisk,
            Urgency::NonUrgent,
        ]
        .into_iter()
        .enumerate()
        {
            clock.advance(chrono::Duration::minutes(5));
            casework
                .record_intelligence(
                    &manager,
                    NewIntelligence {
                        report: NewConfidential::new(
                            Text::parse("report", format!("Fictional report {n}")).unwrap(),
                        ),
                        urgency,
                        links: Vec::new(),
                        learnt_at: fixtures::start(),
                    },
                )
                .await
                .unwrap();
        }
        let whole = casework.intelligence_awaiting_police().await.unwrap();
        assert_eq!(whole.len(), 5);
        assert_eq!(whole[1].urgency, Urgency::ImmediateRisk);
        for limit in 1..=6 {
            let (items, pages) = walk(&casework, &IntelligenceAwaitingPolice {}, limit).await;
            assert_eq!(items, whole, "pages of {limit}");
            assert_eq!(
                pages,
                whole.len().div_ceil(limit).max(1),
                "pages of {limit}"
            );
        }
        let first = page(casework.store(), &IntelligenceAwaitingPolice {}, None, 2)
            .await
            .unwrap();
        assert_eq!(
            first.next.as_ref().map(|p| p.part),
            Some(0),
            "the first part fills the page, the second follows"
        );
        // A position past the last part is an empty last page.
        let past = PagePosition {
            part: 2,
            ..first.next.unwrap()
        };
        let beyond = page(
            casework.store(),
            &IntelligenceAwaitingPolice {},
            Some(past),
            2,
        )
        .await
        .unwrap();
        assert_eq!((beyond.items.len(), beyond.next), (0, None));
    }

    /// A list of raw disclosure listings: the item is the listing's detail.
    struct Raw;

    impl Paged for Raw {
        type Item = String;
        const PERMISSION: Permission = Permission::ReadAuditLogs;
        fn parts(&self) -> Vec<ListingQuery> {
            vec![ListingQuery::all(ListingKind::Disclosure)]
        }
        fn item(&self, _: usize, listed: &Listed) -> Result<String, StoreError> {
            Ok(listed.listing.detail.clone())
        }
    }

    async fn write(
        store: &MemoryStore,
        stream: casework_core::kernel::ids::StreamId,
        details: &[(&str, i64)],
    ) {
        use casework_core::kernel::event::{EventMeta, NewEvent};
        use casework_core::read::rows::{Listing, ReadModelUpdate};
        use casework_core::store::{AppendRequest, EventAppend, EventLoad};
        let version = store.load(stream).await.unwrap().len() as u64;
        let listings = details
            .iter()
            .map(|(detail, minutes)| Listing {
                kind: ListingKind::Disclosure,
                key: "k".into(),
                at: Some(fixtures::start() + chrono::Duration::minutes(*minutes)),
                detail: format!(r#"{{"d":"{detail}"}}"#),
            })
            .collect();
        store
            .append(AppendRequest {
                stream,
                expected_version: version,
                events: vec![NewEvent {
                    event_type: "page_probe".into(),
                    schema_version: 1,
                    payload: "{}".into(),
                    meta: EventMeta::new(&fixtures::worker(), fixtures::start(), None),
                }],
                read_model: ReadModelUpdate::None,
                snapshot: None,
                listings: Some(listings),
                idempotency: None,
            })
            .await
            .unwrap();
    }

    /// Pages end after whole ties (one stream's listings at one time and key), so a listing
    /// whose detail changes between pages is neither seen twice nor skipped; only a tie longer
    /// than the page is split.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_end_after_whole_ties() {
        use casework_core::kernel::ids::{CaseId, StreamId};
        let casework = Casework::new(MemoryStore::new(), city_girls_service());
        let store = casework.store();
        let (a, b, c) = (
            StreamId::Disclosures(CaseId::new()),
            StreamId::Disclosures(CaseId::new()),
            StreamId::Disclosures(CaseId::new()),
        );
        write(store, a, &[("a1", 0), ("a2", 0), ("a3", 0), ("a4", 9)]).await;
        write(store, b, &[("b1", 0), ("b2", 5)]).await;
        write(store, c, &[("c1", 5), ("c2", 5)]).await;
        let whole: Vec<String> = page(store, &Raw, None, 500).await.unwrap().items;
        assert_eq!(whole.len(), 8);
        for limit in 1..=9 {
            let (mut seen, mut after, mut pages) = (Vec::new(), None, Vec::new());
            loop {
                let got = page(store, &Raw, after, limit).await.unwrap();
                assert!(!got.items.is_empty() && got.items.len() <= limit);
                pages.push(got.items.clone());
                seen.extend(got.items);
                match got.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(seen, whole, "pages of {limit}");
            if limit >= 3 {
                // No tie split: a's three at minute 0 are on one page, c's two too.
                for tie in [["a1", "a2", "a3"].as_slice(), ["c1", "c2"].as_slice()] {
                    let on = |d: &str| {
                        pages
                            .iter()
                            .position(|p| p.iter().any(|i| i.contains(d)))
                            .unwrap()
                    };
                    assert!(
                        tie.iter().all(|d| on(d) == on(tie[0])),
                        "pages of {limit}: {pages:?}"
                    );
                }
            }
        }
        // A detail changed between pages (sorting after the others of its tie now): not seen
        // again, and nothing skipped.
        let first = page(store, &Raw, None, 4).await.unwrap();
        let next = first.next.clone().unwrap();
        assert_eq!(next.listing.detail, None, "a page ends after a whole tie");
        let last = first.items.last().unwrap().clone();
        let (stream, details): (StreamId, Vec<(&str, i64)>) = if last.contains("a3") {
            (a, vec![("a1", 0), ("a2", 0), ("a3~changed", 0), ("a4", 9)])
        } else {
            (b, vec![("b1~changed", 0), ("b2", 5)])
        };
        write(store, stream, &details).await;
        let rest = page(store, &Raw, Some(next), 500).await.unwrap().items;
        let mut all = first.items.clone();
        all.extend(rest.clone());
        assert!(!rest.iter().any(|i| i.contains("changed")), "{all:?}");
        assert_eq!(all.len(), 8, "{all:?}");
    }
}
