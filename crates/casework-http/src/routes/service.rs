//! Service-wide routes: every query in [`casework_service::QUERIES`] (generated, one path
//! each, by the query's name), and the logs and reviews across all records: the disclosure
//! log and override report, the access log, legal holds, the erasure log and
//! the retention review.

use super::endpoint::{decode, endpoint, Call, Endpoint, Fail, Nothing, Operation, Reply};
use super::{AsOfDate, Period};
use crate::problem::Problem;
use casework_core::privacy::access::{check, Relationship};
use casework_core::privacy::access_log::AccessSubject;
use casework_core::store::Store;
use casework_service::queries::{self as q, Query};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// `GET /access-log?subject=…`: whose reads to list.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessLogOf {
    /// The record, e.g. `{"record": "young_person", "young_person": "…"}`.
    pub subject: AccessSubject,
}

fn retention(e: &casework_service::RetentionError) -> Fail {
    Problem::acting(e, false).into()
}

/// The endpoints of query `Q`: `GET` with its parameters in the query string, `POST` with
/// them as a JSON object. The permission is checked before the parameters are read,
/// so a refusal says nothing about them.
fn query<S, Q>() -> [Endpoint<S>; 2]
where
    S: Store + 'static,
    Q: Query + serde::de::DeserializeOwned + schemars::JsonSchema + 'static,
    Q::Output: serde::Serialize + schemars::JsonSchema + 'static,
{
    let run = |call: Call<S>, params: Value| async move {
        check(&call.actor, Relationship::None, Q::PERMISSION, None)
            .map_err(|d| Problem::acting(&casework_service::AccessError::Denied(d), false))?;
        let query: Q = decode(params)?;
        let answer = call
            .acting()
            .query(query)
            .await
            .map_err(|e| Problem::acting(&e, false))?;
        Ok::<_, Fail>(Reply::ok(answer))
    };
    let path = format!("/queries/{}", Q::NAME);
    let summary = format!(
        "The `{}` query (needs `{}`).",
        Q::NAME,
        Q::PERMISSION.as_str()
    );
    let mut read = Operation::read("", "", "");
    read.path = Cow::Owned(path.clone());
    read.name = Cow::Owned(format!("query_{}", Q::NAME));
    read.summary = Cow::Owned(summary.clone());
    let mut write = Operation::write("", "", "");
    write.path = Cow::Owned(path);
    write.name = Cow::Owned(format!("query_{}_with_body", Q::NAME));
    write.summary = Cow::Owned(summary);
    [
        endpoint(read, run).accepting::<Q>(),
        endpoint(write, run).accepting::<Q>(),
    ]
}

macro_rules! routed_queries {
    ($($ty:ty),* $(,)?) => {
        /// Every query routed, by [`Query::NAME`]: the same list as
        /// [`casework_service::QUERIES`] (a test holds them equal), so a query added to the
        /// service without a route here fails the tests.
        pub const ROUTED_QUERIES: &[&str] = &[$(<$ty as Query>::NAME),*];

        fn query_endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
            let mut all = Vec::new();
            $(all.extend(query::<S, $ty>());)*
            all
        }
    };
}

routed_queries!(
    q::ReviewsDue,
    q::CasesPastExpectedLength,
    q::OpenCases,
    q::CadenceAcrossOpenCases,
    q::PartnerReferrals,
    q::ClosedCases,
    q::AllReturnInterviewsDue,
    q::OverdueReturnInterviews,
    q::FlaggedYoungPeople,
    q::AlumniMembers,
    q::WorkshopReachIn,
    q::ServiceReport,
    q::IntelligenceAwaitingPolice,
    q::WaitingList,
    q::OutstandingActions,
    q::OverdueReviews,
    q::PossibleDuplicatesAwaitingDecision,
);

/// The service-wide routes.
pub(crate) fn endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
    let mut all = query_endpoints::<S>();
    all.extend([
        endpoint(
            Operation::read(
                "/disclosure-log",
                "disclosure_log",
                "Every share recorded in a period, across all cases (R-8, R-9).",
            ),
            |call: Call<S>, Period { from, to }: Period| async move {
                let log = call
                    .acting()
                    .disclosure_log(from, to)
                    .await
                    .map_err(|e| Problem::acting(&e, false))?;
                Ok(Reply::ok(log))
            },
        ),
        endpoint(
            Operation::read(
                "/override-report",
                "override_report",
                "Every share made under an override in a period, for review (R-9).",
            ),
            |call: Call<S>, Period { from, to }: Period| async move {
                let log = call
                    .acting()
                    .override_report(from, to)
                    .await
                    .map_err(|e| Problem::acting(&e, false))?;
                Ok(Reply::ok(log))
            },
        ),
        endpoint(
            Operation::read(
                "/access-log",
                "access_log",
                "Every recorded read of one record: who, when, for what purpose (R-27).",
            ),
            |call: Call<S>, AccessLogOf { subject }: AccessLogOf| async move {
                let log = call
                    .acting()
                    .access_log(subject)
                    .await
                    .map_err(|e| Problem::acting(&e, false))?;
                Ok(Reply::ok(log))
            },
        ),
        endpoint(
            Operation::read(
                "/legal-holds",
                "legal_holds",
                "Every legal hold in place (R-23).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let holds = call
                    .acting()
                    .legal_holds()
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(holds))
            },
        ),
        endpoint(
            Operation::read(
                "/erasure-log",
                "erasure_log",
                "Every erasure started in a period: who, when, why, what (R-23).",
            ),
            |call: Call<S>, Period { from, to }: Period| async move {
                let log = call
                    .acting()
                    .erasure_log(from, to)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(log))
            },
        ),
        endpoint(
            Operation::read(
                "/retention-review",
                "retention_review",
                "Every young person whose records are due for erasure at a date, and why (R-23).",
            ),
            |call: Call<S>, AsOfDate { as_of }: AsOfDate| async move {
                let due = call
                    .acting()
                    .retention_review(as_of)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(due))
            },
        ),
    ]);
    all
}
