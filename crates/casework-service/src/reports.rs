//! The figures funders and safeguarding partnerships ask for (R-29), read from listings.
//!
//! [`Casework::report`] reads the listings a report needs, each one indexed read by kind (and,
//! for one programme, by key) over the period's window, and computes
//! [`casework_core::read::figures::Figures`] from them; it never loads a case or replays an
//! event, so every store answers alike. [`Casework::risk_trajectory`] is one case's risk over
//! its reviews, for a chart.
//!
//! The reads, for a period `[from, to)`:
//!
//! | listing | window | for |
//! |---|---|---|
//! | `referral` | received in the period | referrals by source, outcome, risk, gender, age band and month; re-referrals |
//! | `closed_case` | ended from 12 months before the period to its end | closures, risk at opening and closure; the closures re-referrals follow |
//! | `first_allocation` | first allocated in the period | waiting times |
//! | `awaiting_allocation` | all | the longest still waiting |
//! | `open_case` | all | caseloads |
//! | `missing_episode` | started in the period | missing episodes, return interviews within 72 hours |
//! | `workshop` | dated in the period | workshop reach and evaluation |
//! | `referral` by the programme's key, received before the period's end | (a programme's report only) | whose missing episodes count |
//!
//! With the `charts` feature, [`crate::charts`] draws three of them as SVG.

use crate::acting::Acting;
use crate::casework::{Casework, LoadError};
use crate::error::AccessError;
use casework_core::kernel::ids::CaseId;
use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
use casework_core::read::listing::{decode_all, ListingRow, ReferralRow};
use casework_core::read::report::{risk_trajectory, RiskTrajectory};
use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::{Store, StoreError};
use chrono::{DateTime, Utc};

impl<S: Store> Casework<S> {
    async fn read<T: ListingRow>(&self, query: ListingQuery) -> Result<Vec<T>, StoreError> {
        decode_all(&self.store().listings(query).await?)
    }

    /// The figures of `request` (R-29), as the service's clock reads now: one indexed read per
    /// listing kind (see the module docs), never a replay. Publish them with
    /// [`Figures::publish`] before they leave the service.
    ///
    /// ```
    /// use casework_core::policy::profile::examples::city_girls_service;
    /// use casework_core::read::figures::{ReportRequest, Suppression};
    /// use casework_memory::MemoryStore;
    /// use casework_service::Casework;
    /// use chrono::NaiveDate;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let casework = Casework::new(MemoryStore::new(), city_girls_service());
    /// let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let figures = casework.report(&ReportRequest::new(day(4, 1), day(7, 1))).await.unwrap();
    /// assert_eq!(figures.referrals.total, 0);
    /// let published = figures.publish(&Suppression::default());
    /// assert_eq!(published.suppression, Some(5));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn report(&self, request: &ReportRequest) -> Result<Figures, StoreError> {
        let as_of = self.now();
        self.report_as_of(request, as_of).await
    }

    /// The same figures as [`Casework::report`], with `as_of` as "now".
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn report_as_of(
        &self,
        request: &ReportRequest,
        as_of: DateTime<Utc>,
    ) -> Result<Figures, StoreError> {
        let (start, end) = (request.start(), request.end());
        let key = request.scope.listing_key();
        let window = |kind: ListingKind, from: DateTime<Utc>| {
            let query = ListingQuery::all(kind).from(from).before(end);
            match key {
                Some(key) => query.key(key),
                None => query,
            }
        };
        let everything = |kind: ListingKind| match key {
            Some(key) => ListingQuery::all(kind).key(key),
            None => ListingQuery::all(kind),
        };
        let programme_people = match key {
            Some(key) => {
                let on_it: Vec<ReferralRow> = self
                    .read(
                        ListingQuery::all(ListingKind::Referral)
                            .key(key)
                            .before(end),
                    )
                    .await?;
                Some(on_it.into_iter().map(|r| r.young_person_id).collect())
            }
            None => None,
        };
        let inputs = ReportInputs {
            referrals: self.read(window(ListingKind::Referral, start)).await?,
            allocations: self
                .read(window(ListingKind::FirstAllocation, start))
                .await?,
            awaiting: self
                .read(everything(ListingKind::AwaitingAllocation))
                .await?,
            open_cases: self.read(ListingQuery::all(ListingKind::OpenCase)).await?,
            closed: self
                .read(
                    ListingQuery::all(ListingKind::ClosedCase)
                        .from(request.lookback_start())
                        .before(end),
                )
                .await?,
            missing: self
                .read(
                    ListingQuery::all(ListingKind::MissingEpisode)
                        .from(start)
                        .before(end),
                )
                .await?,
            programme_people,
            workshops: self
                .read(
                    ListingQuery::all(ListingKind::Workshop)
                        .from(start)
                        .before(end),
                )
                .await?,
        };
        Ok(Figures::compute(request, inputs, as_of))
    }

    /// One case's risk at the referral and at each review since, with its trend (R-12, R-21):
    /// what [`crate::charts::risk_trajectory`] draws.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn risk_trajectory(&self, case: CaseId) -> Result<RiskTrajectory, LoadError> {
        Ok(risk_trajectory(&self.case(case).await?))
    }
}

impl<S: Store> Acting<'_, S> {
    /// One case's risk over its reviews (`read_case` on the case, R-27).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable` (R-18), `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    pub async fn risk_trajectory(&self, case: CaseId) -> Result<RiskTrajectory, AccessError> {
        Ok(risk_trajectory(&self.case(case).await?))
    }
}
