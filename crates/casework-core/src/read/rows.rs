//! Read models: the rows stores keep for queries.
//!
//! The domain computes these rows from the state after each command, and the store writes
//! them in the same transaction as the command's events, so a query never sees half a
//! command. Stores index the columns the queries filter and sort on; the orderings are
//! defined here once, so every store answers in the same order.

use crate::case::owed::OwedActionKind;
use crate::case::{Case, StageName};
use crate::kernel::ids::{CaseId, OwedActionId, StaffId, StreamId, YoungPersonId};
use crate::policy::risk::RiskLevel;
use crate::young_person::YoungPerson;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One row per case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct YoungPersonSummary {
    /// Their id.
    pub young_person_id: YoungPersonId,
    /// The year of birth only: the date is sealed with the young person's details
    /// ([`crate::kernel::sealing`], "Identifying details"); nothing finds a row by it.
    pub birth_year: i32,
    /// Postcode district (kept as it is: a coarsened value, [`crate::kernel::sealing`]).
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
    /// No row of its own: the stream's [`Listing`]s say everything its queries need
    /// (workshops, intelligence, disclosures, access records, retention records).
    None,
}

/// What a [`Listing`] lists. Each kind documents what its `key`, `at` and `detail` hold; the
/// stores treat all three as opaque, so a new kind needs no schema change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListingKind {
    /// A case allocated and not closed (allocated, engaged, active, paused, closing). key: the
    /// worker's id; at: allocated at; detail: [`crate::read::listing::OpenCaseRow`].
    OpenCase,
    /// A case's next review, while work is under way. key: case id; at: when due;
    /// detail: [`crate::read::listing::ReviewDueRow`].
    ReviewDue,
    /// A case's expected end under its programme, while work is under way. key: case id; at:
    /// work begun plus the most expected weeks; detail:
    /// [`crate::read::listing::ExpectedEndRow`].
    ExpectedEnd,
    /// A referral out to a partner. key: its status (`sent`, `accepted`, `declined`,
    /// `closed`); at: when sent; detail: [`crate::read::listing::PartnerReferralRow`].
    PartnerReferral,
    /// A return interview not yet completed or declined. key: young person id; at: when due,
    /// 72 hours after the return; detail: [`crate::read::listing::ReturnInterviewRow`].
    ReturnInterview,
    /// An unresolved flag for three missing episodes within 30 days. key: young person id; at:
    /// raised; detail: [`crate::read::listing::MissingFlagRow`].
    MissingFlag,
    /// A member of the alumni group. key: young person id; at: joined; detail:
    /// [`crate::read::listing::AlumniRow`].
    Alumni,
    /// A workshop. key: venue kind (`school`, `youth_club`); at: its date, 00:00 UTC; detail:
    /// reach and evaluation summary, [`crate::read::listing::WorkshopRow`].
    Workshop,
    /// A registered young person's part in a workshop: attended, identified as vulnerable,
    /// had a tutorial or answered an evaluation. key: young person id (its display form,
    /// `yp-…`); at: the workshop's date, 00:00 UTC; detail:
    /// [`crate::read::listing::WorkshopParticipantRow`] (R-23: subject access and erasure find a
    /// young person's workshops by it).
    WorkshopParticipant,
    /// Intelligence not yet with the police. key: urgency (`non_urgent`, `immediate_risk`);
    /// at: recorded; detail: [`crate::read::listing::AwaitingPoliceRow`].
    IntelligenceAwaitingPolice,
    /// A share of a case's information. key: case id; at: when shared.
    Disclosure,
    /// A share without consent under the safeguarding override. key: case id; at: when.
    Override,
    /// A read of a confidential record. key: case or young person id; at: when.
    Access,
    /// A finished case, for the retention schedule: closed, or a referral declined,
    /// signposted or withdrawn. key: young person id (its display form, `yp-…`); at: when it
    /// closed or ended; detail: [`crate::read::listing::ClosedCaseRow`] (`case_id`,
    /// `young_person_id`, `stage`, `closed_at`, `reason`, `risk_level`, `received_at`,
    /// `opening_risk`, `programme`).
    ClosedCase,
    /// A legal hold on a young person's records. key: young person id; at: placed.
    LegalHold,
    /// A young person known to the service, case or no case. key: young person id; at:
    /// registered (R-23: the retention review finds everyone, not only those with a case).
    YoungPersonRecord,
    /// A finished anonymisation of a young person's records. key: young person id; at:
    /// finished (R-23: erasure is itself recorded).
    Erasure,
    /// A referral, one per case from the moment it is received. key: the case's programme
    /// (empty when on none); at: received (R-29: referrals by source, outcome, risk, gender
    /// and age band; re-referrals); detail: [`crate::read::listing::ReferralRow`].
    Referral,
    /// A case's first allocation to a worker, kept after it closes. key: the case's programme
    /// (empty when on none); at: first allocated (R-29: waiting times); detail:
    /// [`crate::read::listing::FirstAllocationRow`].
    FirstAllocation,
    /// A referral accepted (immediate support or waiting list) and not yet allocated. key: the
    /// case's programme (empty when on none); at: received (R-7, R-29: the longest still
    /// waiting); detail: [`crate::read::listing::AwaitingAllocationRow`].
    AwaitingAllocation,
    /// A missing episode, settled or not. key: young person id; at: when it started (R-22,
    /// missing episodes and return interviews offered within 72 hours); detail:
    /// [`crate::read::listing::MissingEpisodeRow`].
    MissingEpisode,
    /// A young person as the duplicate check reads them, listed twice: key: the date of birth
    /// (`YYYY-MM-DD`) and, when it is another real date, the day and month swapped; at:
    /// registered; detail: [`crate::young_person::duplicates::IdentityRow`] (R-26: one indexed
    /// read finds everyone born that day, or on the swapped day). Not written for an
    /// anonymised record.
    IdentityBlock,
    /// A possible duplicate awaiting a worker's decision. key: the flagged young person's id;
    /// at: flagged; detail: [`crate::young_person::duplicates::PossibleDuplicateRow`].
    PossibleDuplicate,
    /// Two records recorded as the same person, listed twice: key: each young person's id;
    /// at: recorded; detail: [`crate::young_person::duplicates::LinkedRecordRow`].
    LinkedRecord,
}

impl ListingKind {
    /// Every kind.
    pub const ALL: [ListingKind; 24] = [
        ListingKind::OpenCase,
        ListingKind::ReviewDue,
        ListingKind::ExpectedEnd,
        ListingKind::PartnerReferral,
        ListingKind::ReturnInterview,
        ListingKind::MissingFlag,
        ListingKind::Alumni,
        ListingKind::Workshop,
        ListingKind::WorkshopParticipant,
        ListingKind::IntelligenceAwaitingPolice,
        ListingKind::Disclosure,
        ListingKind::Override,
        ListingKind::Access,
        ListingKind::ClosedCase,
        ListingKind::LegalHold,
        ListingKind::Erasure,
        ListingKind::YoungPersonRecord,
        ListingKind::Referral,
        ListingKind::FirstAllocation,
        ListingKind::AwaitingAllocation,
        ListingKind::MissingEpisode,
        ListingKind::IdentityBlock,
        ListingKind::PossibleDuplicate,
        ListingKind::LinkedRecord,
    ];

    /// The stable name stores keep.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ListingKind::OpenCase => "open_case",
            ListingKind::ReviewDue => "review_due",
            ListingKind::ExpectedEnd => "expected_end",
            ListingKind::PartnerReferral => "partner_referral",
            ListingKind::ReturnInterview => "return_interview",
            ListingKind::MissingFlag => "missing_flag",
            ListingKind::Alumni => "alumni",
            ListingKind::Workshop => "workshop",
            ListingKind::WorkshopParticipant => "workshop_participant",
            ListingKind::IntelligenceAwaitingPolice => "intelligence_awaiting_police",
            ListingKind::Disclosure => "disclosure",
            ListingKind::Override => "override",
            ListingKind::Access => "access",
            ListingKind::ClosedCase => "closed_case",
            ListingKind::LegalHold => "legal_hold",
            ListingKind::Erasure => "erasure",
            ListingKind::YoungPersonRecord => "young_person_record",
            ListingKind::Referral => "referral",
            ListingKind::FirstAllocation => "first_allocation",
            ListingKind::AwaitingAllocation => "awaiting_allocation",
            ListingKind::MissingEpisode => "missing_episode",
            ListingKind::IdentityBlock => "identity_block",
            ListingKind::PossibleDuplicate => "possible_duplicate",
            ListingKind::LinkedRecord => "linked_record",
        }
    }

    /// Parses a stored name; `None` for a kind this library does not know.
    #[must_use]
    pub fn parse(s: &str) -> Option<ListingKind> {
        ListingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of a service-wide list ("what is due when"), written by a stream's append.
///
/// A stream's listings are replaced as a whole by each append that carries them
/// ([`crate::store::AppendRequest::listings`]), so they always describe the stream's state
/// after its last command. Queries select by kind, optionally by key and a time window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Listing {
    /// What it lists.
    pub kind: ListingKind,
    /// The kind's filter key (see [`ListingKind`]); may be empty.
    pub key: String,
    /// The kind's time (see [`ListingKind`]), microsecond precision.
    pub at: Option<DateTime<Utc>>,
    /// The kind's detail, JSON text, opaque to stores.
    pub detail: String,
}

/// A listing as a query returns it: with the stream that wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Listed {
    /// The stream that wrote it.
    pub stream: StreamId,
    /// The listing.
    pub listing: Listing,
}

/// Which listings to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingQuery {
    /// Only this kind.
    pub kind: ListingKind,
    /// Only this key, when given.
    pub key: Option<String>,
    /// Only listings with `at >= from`, when given (listings without a time are then left out).
    pub from: Option<DateTime<Utc>>,
    /// Only listings with `at < to`, when given (listings without a time are then left out).
    pub to: Option<DateTime<Utc>>,
    /// Only listings strictly after this position in [`listing_order`], when given: the
    /// keyset of a page (the position of the last listing of the page before).
    pub after: Option<ListingPosition>,
    /// At most this many listings (the first in [`listing_order`]), when given. A store reads
    /// only these from its index: a page asks for one more than it shows, to know whether
    /// another follows.
    pub limit: Option<usize>,
}

/// Where a listing stands in [`listing_order`]: every field the order compares, so a page
/// can start strictly after it whatever was written or removed in between (keyset, not
/// offset). The position of a listing no longer stored is still a position: the next page
/// starts after where it stood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingPosition {
    /// The listing's time.
    pub at: Option<DateTime<Utc>>,
    /// The stream that wrote it.
    pub stream: StreamId,
    /// Its key.
    pub key: String,
    /// Its detail: the last tie-break (one stream may write two listings of a kind with the
    /// same key and time). `None`: the position after every listing of this time, stream
    /// and key, whatever its detail, so that a listing whose detail changes in place (a
    /// case's stage or risk level) is never moved across a page boundary; a page that ends
    /// there ends after the whole tie.
    pub detail: Option<String>,
}

impl Listed {
    /// Where it stands in [`listing_order`].
    #[must_use]
    pub fn position(&self) -> ListingPosition {
        ListingPosition {
            at: self.listing.at,
            stream: self.stream,
            key: self.listing.key.clone(),
            detail: Some(self.listing.detail.clone()),
        }
    }

    /// The position after it and every listing tied with it on time, stream and key: where
    /// a page that ends with it and its ties ends (see [`ListingPosition::detail`]).
    #[must_use]
    pub fn position_after_ties(&self) -> ListingPosition {
        ListingPosition {
            detail: None,
            ..self.position()
        }
    }

    /// Whether it ties with `other` on time, stream and key (only the detail orders them).
    #[must_use]
    pub fn ties_with(&self, other: &Listed) -> bool {
        self.listing.at == other.listing.at
            && self.stream == other.stream
            && self.listing.key == other.listing.key
    }
}

impl ListingPosition {
    /// How `listed` compares with this position in [`listing_order`]: `Greater` when it
    /// comes after it.
    #[must_use]
    pub fn order_of(&self, listed: &Listed) -> Ordering {
        head(
            (
                listed.listing.at,
                &listed.stream,
                listed.listing.key.as_str(),
            ),
            (self.at, &self.stream, self.key.as_str()),
        )
        .then_with(|| match &self.detail {
            // After every detail of the tie: the listing comes before.
            None => Ordering::Less,
            Some(detail) => listed.listing.detail.as_str().cmp(detail),
        })
    }
}

impl ListingQuery {
    /// Every listing of `kind`.
    #[must_use]
    pub fn all(kind: ListingKind) -> Self {
        ListingQuery {
            kind,
            key: None,
            from: None,
            to: None,
            after: None,
            limit: None,
        }
    }

    /// Only those with this key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Only those at or after `from`.
    #[must_use]
    pub fn from(mut self, from: DateTime<Utc>) -> Self {
        self.from = Some(from);
        self
    }

    /// Only those before `to`.
    #[must_use]
    pub fn before(mut self, to: DateTime<Utc>) -> Self {
        self.to = Some(to);
        self
    }

    /// Only those strictly after `position` in [`listing_order`].
    #[must_use]
    pub fn after(mut self, position: ListingPosition) -> Self {
        self.after = Some(position);
        self
    }

    /// At most `limit` of them, the first in [`listing_order`].
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Whether `listed` is selected: it [`matches`](Self::matches) and comes after
    /// [`after`](Self::after). The limit is not a property of one listing: see
    /// [`ListingQuery::select`].
    #[must_use]
    pub fn admits(&self, listed: &Listed) -> bool {
        self.matches(&listed.listing)
            && self
                .after
                .as_ref()
                .is_none_or(|after| after.order_of(listed) == Ordering::Greater)
    }

    /// The answer to this query over `rows`, whatever their order: those
    /// [`admitted`](Self::admits), in [`listing_order`], at most [`limit`](Self::limit) of
    /// them. The reference every store's query must agree with.
    #[must_use]
    pub fn select(&self, rows: impl IntoIterator<Item = Listed>) -> Vec<Listed> {
        let mut selected: Vec<Listed> = rows.into_iter().filter(|l| self.admits(l)).collect();
        selected.sort_by(listing_order);
        if let Some(limit) = self.limit {
            selected.truncate(limit);
        }
        selected
    }

    /// Whether `listing` matches; the reference every store's query must agree with.
    #[must_use]
    pub fn matches(&self, listing: &Listing) -> bool {
        if listing.kind != self.kind {
            return false;
        }
        if let Some(key) = &self.key {
            if &listing.key != key {
                return false;
            }
        }
        if self.from.is_some() || self.to.is_some() {
            let Some(at) = listing.at else {
                return false;
            };
            if self.from.is_some_and(|from| at < from) || self.to.is_some_and(|to| at >= to) {
                return false;
            }
        }
        true
    }
}

/// Listings: by time (those without one last), then by stream kind, stream uuid and key, so
/// every store returns the same order.
#[must_use]
pub fn listing_order(a: &Listed, b: &Listed) -> Ordering {
    head(
        (a.listing.at, &a.stream, a.listing.key.as_str()),
        (b.listing.at, &b.stream, b.listing.key.as_str()),
    )
    .then_with(|| a.listing.detail.cmp(&b.listing.detail))
}

/// The fields [`listing_order`] compares before the detail: time, stream, key.
type Head<'a> = (Option<DateTime<Utc>>, &'a StreamId, &'a str);

fn head(a: Head<'_>, b: Head<'_>) -> Ordering {
    let time = |at: Option<DateTime<Utc>>| (at.is_none(), at);
    time(a.0)
        .cmp(&time(b.0))
        .then(a.1.kind().cmp(b.1.kind()))
        .then(a.1.uuid().cmp(&b.1.uuid()))
        .then(a.2.cmp(b.2))
}

impl CaseSummary {
    /// The row for `case` at stream `version`.
    #[must_use]
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
    #[must_use]
    pub fn risk_rank(&self) -> i64 {
        self.risk_level.map_or(0, |l| l.rank())
    }
}

impl YoungPersonSummary {
    /// The row for `person` at stream `version`.
    #[must_use]
    pub fn of(person: &YoungPerson, version: u64) -> Self {
        YoungPersonSummary {
            young_person_id: person.id,
            birth_year: person.details.date_of_birth.year(),
            postcode_district: person.details.postcode.district().to_owned(),
            registered_at: person.registered_at,
            version,
        }
    }
}

/// High risk first, then Medium, then Low; within a level, the earliest referral first;
/// the case id breaks exact ties so every store gives the same order.
#[must_use]
pub fn waiting_list_order(a: &CaseSummary, b: &CaseSummary) -> Ordering {
    b.risk_rank()
        .cmp(&a.risk_rank())
        .then(a.received_at.cmp(&b.received_at))
        .then(a.case_id.cmp(&b.case_id))
}

/// Owed actions: soonest due first, then by id.
#[must_use]
pub fn owed_order(a: &OwedActionSummary, b: &OwedActionSummary) -> Ordering {
    a.due_at.cmp(&b.due_at).then(a.action_id.cmp(&b.action_id))
}

/// A young person's cases: oldest referral first, then by id.
#[must_use]
pub fn cases_of_order(a: &CaseSummary, b: &CaseSummary) -> Ordering {
    a.received_at
        .cmp(&b.received_at)
        .then(a.case_id.cmp(&b.case_id))
}

/// Overdue reviews: longest overdue first, then by id.
#[must_use]
pub fn overdue_order(a: &CaseSummary, b: &CaseSummary) -> Ordering {
    a.next_review_due
        .cmp(&b.next_review_due)
        .then(a.case_id.cmp(&b.case_id))
}

/// Whether a case's next review falls due in `[from, to)`.
#[must_use]
pub fn is_review_due_within(summary: &CaseSummary, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    summary
        .next_review_due
        .is_some_and(|due| from <= due && due < to)
}

/// Whether a case's review is overdue at `as_of`: its due time has passed. A review
/// due at exactly `as_of` is due, not yet overdue.
#[must_use]
pub fn is_review_overdue(summary: &CaseSummary, as_of: DateTime<Utc>) -> bool {
    summary.next_review_due.is_some_and(|due| due < as_of)
}
