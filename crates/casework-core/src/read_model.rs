//! Read models: the rows stores keep for queries.
//!
//! The domain computes these rows from the state after each command, and the store writes
//! them in the same transaction as the command's events, so a query never sees half a
//! command. Stores index the columns the queries filter and sort on; the orderings are
//! defined here once, so every store answers in the same order.

use crate::case::{Case, StageName};
use crate::ids::{CaseId, OwedActionId, StaffId, YoungPersonId};
use crate::owed::OwedActionKind;
use crate::risk::RiskLevel;
use crate::young_person::YoungPerson;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One row per case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// The case.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// The stage.
    pub stage: StageName,
    /// The latest risk level.
    pub risk_level: Option<RiskLevel>,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// Who referred (`self`, `parent_or_carer`, `professional`, `agency`).
    pub source: String,
    /// The allocated worker.
    pub worker: Option<StaffId>,
    /// The previous case of a re-referral.
    pub previous_case: Option<CaseId>,
    /// When the next review is due.
    pub next_review_due: Option<DateTime<Utc>>,
    /// Why it closed.
    pub closure_reason: Option<String>,
    /// The stream version this row reflects.
    pub version: u64,
    /// The case's owed actions.
    pub owed: Vec<OwedActionSummary>,
}

/// One row per owed action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwedActionSummary {
    /// The action.
    pub action_id: OwedActionId,
    /// Its case.
    pub case_id: CaseId,
    /// What is owed.
    pub kind: OwedActionKind,
    /// To whom.
    pub owed_to: String,
    /// When due.
    pub due_at: DateTime<Utc>,
    /// `owed`, `sent`, `acknowledged` or `explained`.
    pub status: String,
}

/// One row per young person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YoungPersonSummary {
    /// Their id.
    pub young_person_id: YoungPersonId,
    /// Date of birth (duplicate checks, R-26).
    pub date_of_birth: NaiveDate,
    /// Postcode district (duplicate checks, R-26).
    pub postcode_district: String,
    /// When registered.
    pub registered_at: DateTime<Utc>,
    /// The stream version this row reflects.
    pub version: u64,
}

/// The read-model rows a command writes with its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadModelUpdate {
    /// A case's row and its owed actions (replacing the previous ones).
    Case(CaseSummary),
    /// A young person's row.
    YoungPerson(YoungPersonSummary),
}

impl CaseSummary {
    /// The row for `case` at stream `version`.
    pub fn of(case: &Case, version: u64) -> Self {
        let file = case.file();
        let closure_reason = match case {
            Case::Closed(closed) => Some(closed.reason().as_str().to_owned()),
            _ => None,
        };
        let open_for_review = matches!(
            case.stage(),
            StageName::Active | StageName::Paused | StageName::Closing
        );
        CaseSummary {
            case_id: file.id,
            young_person_id: file.young_person,
            stage: case.stage(),
            risk_level: file.current_risk(),
            received_at: file.received_at,
            source: file.source.as_str().to_owned(),
            worker: case.allocation().map(|a| a.worker),
            previous_case: file.previous_case,
            next_review_due: if open_for_review {
                file.next_review_due
            } else {
                None
            },
            closure_reason,
            version,
            owed: file
                .owed
                .iter()
                .map(|a| OwedActionSummary {
                    action_id: a.id,
                    case_id: file.id,
                    kind: a.kind,
                    owed_to: a.owed_to.clone(),
                    due_at: a.due_at,
                    status: a.status.as_str().to_owned(),
                })
                .collect(),
        }
    }

    /// The risk rank stored for ordering (0 when not yet assessed).
    pub fn risk_rank(&self) -> i64 {
        self.risk_level.map_or(0, |l| l.rank())
    }
}

impl YoungPersonSummary {
    /// The row for `person` at stream `version`.
    pub fn of(person: &YoungPerson, version: u64) -> Self {
        YoungPersonSummary {
            young_person_id: person.id,
            date_of_birth: person.details.date_of_birth,
            postcode_district: person.details.postcode.district().to_owned(),
            registered_at: person.registered_at,
            version,
        }
    }
}

/// High risk first, then Medium, then Low; within a level, the earliest referral first;
/// the case id breaks exact ties so every store gives the same order.
pub fn waiting_list_order(a: &CaseSummary, b: &CaseSummary) -> Ordering {
    b.risk_rank()
        .cmp(&a.risk_rank())
        .then(a.received_at.cmp(&b.received_at))
        .then(a.case_id.cmp(&b.case_id))
}

/// Owed actions: soonest due first, then by id.
pub fn owed_order(a: &OwedActionSummary, b: &OwedActionSummary) -> Ordering {
    a.due_at.cmp(&b.due_at).then(a.action_id.cmp(&b.action_id))
}

/// A young person's cases: oldest referral first, then by id.
pub fn cases_of_order(a: &CaseSummary, b: &CaseSummary) -> Ordering {
    a.received_at
        .cmp(&b.received_at)
        .then(a.case_id.cmp(&b.case_id))
}

/// Overdue reviews: longest overdue first, then by id.
pub fn overdue_order(a: &CaseSummary, b: &CaseSummary) -> Ordering {
    a.next_review_due
        .cmp(&b.next_review_due)
        .then(a.case_id.cmp(&b.case_id))
}

/// Whether a case's next review falls due in `[from, to)`.
pub fn is_review_due_within(summary: &CaseSummary, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    summary
        .next_review_due
        .is_some_and(|due| from <= due && due < to)
}

/// Whether a case's review is overdue at `as_of`: its due time has passed. A review
/// due at exactly `as_of` is due, not yet overdue.
pub fn is_review_overdue(summary: &CaseSummary, as_of: DateTime<Utc>) -> bool {
    summary.next_review_due.is_some_and(|due| due < as_of)
}
