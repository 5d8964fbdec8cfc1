//! Listings: the service-wide lists ("what is due when") each stream keeps with its events.
//!
//! A [`Listing`] is one entry of a list the whole service asks for: reviews due, return
//! interviews overdue, intelligence not yet with the police. Each stream's listings are pure
//! functions of its state, computed here; the service writes them in the same transaction as
//! the command that changed them ([`crate::store::AppendRequest::listings`]), and only when
//! they changed, so a query never sees half a command and most commands write none. A query
//! is one indexed read ([`crate::store::CaseQueries::listings`]), never a scan of every case.
//!
//! Every kind's `detail` is the JSON of one row type here (a [`ListingRow`]), and decodes back
//! into it with [`decode`]. A key that is an id is in the id's display form (`case-…`, `yp-…`,
//! `staff-…`); ids inside a detail are plain UUIDs, as in every stored payload. Times are
//! RFC 3339 UTC, and `at` is kept to the microsecond.
//! No detail ever holds confidential content (concerns, plans, notes, reports, comments):
//! only ids, names of staff and agencies, stages, levels, counts and times; the one personal
//! detail is the duplicate check's: a young person's name folded for comparison, date
//! of birth and postcode district, in `identity_block`, which an anonymised record does not
//! write.
//!
//! | kind | written by | one per | key | at | detail |
//! |---|---|---|---|---|---|
//! | `open_case` | case | case allocated and not closed (allocated, engaged, active, paused, closing) | the current worker's id (R-25: caseloads; a reallocation moves it) | when allocated to that worker | [`OpenCaseRow`] |
//! | `review_due` | case | case at work (active, paused, closing) with a review due | the case's id | when the next review is due (R-12) | [`ReviewDueRow`] |
//! | `expected_end` | case | case at work on a programme with an expected length | the case's id | work begun + the most expected weeks (R-14) | [`ExpectedEndRow`] |
//! | `partner_referral` | case | referral out | its status (`sent`, `accepted`, `declined`, `closed`) | when sent | [`PartnerReferralRow`] |
//! | `closed_case` | case | finished case: closed, or a referral declined, signposted or withdrawn | the young person's id | when it closed or ended (R-23) | [`ClosedCaseRow`] |
//! | `return_interview` | young person | return interview not yet completed or declined | the young person's id | when due: return + 72 hours (R-22) | [`ReturnInterviewRow`] |
//! | `missing_flag` | young person | missing flag not yet resolved | the young person's id | when raised (R-22) | [`MissingFlagRow`] |
//! | `alumni` | young person | member of the alumni group | the young person's id | when joined (R-20) | [`AlumniRow`] |
//! | `young_person_record` | young person | young person, case or no case | the young person's id | when registered (R-23: the retention review finds everyone) | [`YoungPersonRecordRow`] |
//! | `workshop` | workshop | workshop | its venue kind (`school`, `youth_club`) | its date, 00:00 UTC | [`WorkshopRow`]: reach and evaluation (R-29) |
//! | `workshop_participant` | workshop | registered young person who attended, was identified as vulnerable, had a tutorial or returned an evaluation form | the young person's id | the workshop's date, 00:00 UTC | [`WorkshopParticipantRow`]: what part they had, as flags and counts (R-23: finds a young person's workshops) |
//! | `identity_block` | young person | young person not anonymised, twice: under the date of birth and, when it is another real date, the day and month swapped | the date (`YYYY-MM-DD`) | when registered | [`IdentityRow`](crate::young_person::duplicates::IdentityRow): folded name, date of birth, district, pairs decided and flagged (R-26: the duplicate check's one read) |
//! | `possible_duplicate` | young person | flag about a possible duplicate awaiting a worker's decision | the flagged young person's id | when flagged (R-26) | [`PossibleDuplicateRow`](crate::young_person::duplicates::PossibleDuplicateRow) |
//! | `linked_record` | young person | pair recorded as the same person, twice: under each id | a young person's id | when recorded (R-26) | [`LinkedRecordRow`](crate::young_person::duplicates::LinkedRecordRow) |
//! | `intelligence_awaiting_police` | intelligence | report not yet with the police | its urgency (`non_urgent`, `immediate_risk`) | when recorded (R-19) | [`AwaitingPoliceRow`] |
//! | `referral` | case | case, from the moment it is received | its programme's key (empty when on none) | when received (R-29) | [`ReferralRow`]: source, outcome, assessed risk, gender and age at referral |
//! | `first_allocation` | case | case once allocated, kept after it closes | its programme's key (empty when on none) | when first allocated (R-29: waiting times) | [`FirstAllocationRow`] |
//! | `awaiting_allocation` | case | referral accepted (immediate support or waiting list), not yet allocated | its programme's key (empty when on none) | when received (R-7, R-29) | [`AwaitingAllocationRow`] |
//! | `missing_episode` | young person | missing episode, settled or not | the young person's id | when it started (R-22, R-29) | [`MissingEpisodeRow`] |
//!
//! Expected ends are computed with the service profile's programmes: a programme's changed
//! expected length reaches a case's listing with the next command that changes its listings.
//!
//! Why one module of this size: every listing's row type and the pure functions computing it from
//! each aggregate sit together so a new list is one edit, and their order is defined once (ADR
//! 0009).

use crate::case::StageName;
use crate::case::{Case, PartnerKind, PartnerReferral, PartnerReferralStatus};
use crate::intelligence::{Intelligence, IntelligenceLink, Urgency};
use crate::kernel::ids::{
    CaseId, IntelligenceId, MissingEpisodeId, MissingFlagId, PartnerReferralId, StaffId,
    WorkshopId, YoungPersonId,
};
use crate::kernel::input::Text;
use crate::policy::profile::ServiceProfile;
use crate::policy::programme::Span;
use crate::policy::risk::RiskLevel;
use crate::policy::topic::SessionTopic;
use crate::read::report::LengthStatus;
use crate::read::rows::{Listed, Listing, ListingKind};
use crate::store::StoreError;
use crate::workshop::{AgeGroup, EvaluationSummary, QuestionSummary, Respondent, Venue, Workshop};
use crate::young_person::alumni::AlumniBasis;
use crate::young_person::{Gender, YoungPerson, YoungPersonActivity};
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The typed detail of one kind of listing: its JSON is the listing's `detail`, and it says
/// what the listing's `key` and `at` are.
pub trait ListingRow: Serialize + DeserializeOwned {
    /// The kind it is the detail of.
    const KIND: ListingKind;

    /// The listing's filter key.
    fn key(&self) -> String;

    /// The listing's time.
    fn at(&self) -> Option<DateTime<Utc>>;

    /// The listing: kind, key, time (to the microsecond, as every store keeps it) and detail.
    fn to_listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            key: self.key(),
            at: self.at().map(|at| at.trunc_subsecs(6)),
            detail: serde_json::to_string(self).expect("listing rows serialize to JSON"),
        }
    }
}

/// Decodes one listing's detail into its row.
///
/// # Errors
///
/// [`StoreError::Corrupt`] (`store_corrupt`), naming the stream, for a listing of another kind
/// than `T`'s or a detail that does not decode as `T` (a damaged store).
pub fn decode<T: ListingRow>(listed: &Listed) -> Result<T, StoreError> {
    if listed.listing.kind != T::KIND {
        return Err(StoreError::Corrupt(format!(
            "{}: a `{}` listing was returned for a query of `{}`",
            listed.stream,
            listed.listing.kind.as_str(),
            T::KIND.as_str()
        )));
    }
    decode_detail(listed)
}

/// Decodes one listing's detail as `T`, whatever its kind: for records listed under more than
/// one kind (a share is both a disclosure and, by override, an override).
///
/// # Errors
///
/// [`StoreError::Corrupt`] (`store_corrupt`), naming the stream and the kind, for a detail that
/// does not decode as `T`.
pub fn decode_detail<T: DeserializeOwned>(listed: &Listed) -> Result<T, StoreError> {
    serde_json::from_str(&listed.listing.detail).map_err(|e| {
        StoreError::Corrupt(format!(
            "{}: the detail of its `{}` listing does not decode: {e}",
            listed.stream,
            listed.listing.kind.as_str()
        ))
    })
}

/// Decodes every listing's detail, in the order given (see [`decode`]).
///
/// # Errors
///
/// The first listing's [`decode`] error: [`StoreError::Corrupt`] (`store_corrupt`).
pub fn decode_all<T: ListingRow>(listed: &[Listed]) -> Result<Vec<T>, StoreError> {
    listed.iter().map(decode).collect()
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------------
// Rows of a case.

/// A case at work: allocated to a worker and not closed (allocated, engaged, active, paused or
/// closing). Listed by worker, so each worker's caseload is one query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OpenCaseRow {
    /// The case.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// Its stage.
    pub stage: StageName,
    /// The allocated worker: the key.
    pub worker: StaffId,
    /// Their name.
    pub worker_name: Text,
    /// When allocated to this worker (at the reallocation, for a case that moved, R-25): `at`.
    pub allocated_at: DateTime<Utc>,
    /// The latest risk level.
    pub risk_level: Option<RiskLevel>,
    /// The programme the case is on, by key.
    pub programme: Option<String>,
    /// When work began, once it has.
    pub work_begun_at: Option<DateTime<Utc>>,
}

impl ListingRow for OpenCaseRow {
    const KIND: ListingKind = ListingKind::OpenCase;
    fn key(&self) -> String {
        self.worker.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.allocated_at)
    }
}

/// A case's next review, while work is under way (active, paused or closing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReviewDueRow {
    /// The case: the key.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// Its stage.
    pub stage: StageName,
    /// The allocated worker.
    pub worker: Option<StaffId>,
    /// The latest risk level (it sets the review cadence).
    pub risk_level: Option<RiskLevel>,
    /// When the review is due: `at`. Due at exactly this time, overdue strictly after.
    pub due_at: DateTime<Utc>,
}

impl ListingRow for ReviewDueRow {
    const KIND: ListingKind = ListingKind::ReviewDue;
    fn key(&self) -> String {
        self.case_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.due_at)
    }
}

impl ReviewDueRow {
    /// Whether the review is overdue at `as_of`: strictly after its due time.
    #[must_use]
    pub fn is_overdue(&self, as_of: DateTime<Utc>) -> bool {
        self.due_at < as_of
    }
}

/// When a case at work reaches its programme's expected length (R-14: shown, never enforced).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExpectedEndRow {
    /// The case: the key.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// The allocated worker.
    pub worker: Option<StaffId>,
    /// The programme, by key.
    pub programme: String,
    /// Its expected length in weeks.
    pub expected_weeks: Span,
    /// When work began.
    pub work_begun_at: DateTime<Utc>,
    /// `work_begun_at` plus the most expected weeks: `at`. A case exactly at its expected
    /// length is not past it; a moment later it is.
    pub expected_end: DateTime<Utc>,
}

impl ListingRow for ExpectedEndRow {
    const KIND: ListingKind = ListingKind::ExpectedEnd;
    fn key(&self) -> String {
        self.case_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.expected_end)
    }
}

impl ExpectedEndRow {
    /// The case's length against its expected length as of `as_of`, as
    /// [`crate::read::report::length_status`] gives it for a case still at work.
    #[must_use]
    pub fn length_status(&self, as_of: DateTime<Utc>) -> LengthStatus {
        let elapsed = (as_of - self.work_begun_at).max(Duration::zero());
        LengthStatus {
            case: self.case_id,
            programme: self.programme.clone(),
            expected_weeks: self.expected_weeks,
            since: self.work_begun_at,
            weeks: u32::try_from(elapsed.num_weeks()).unwrap_or(u32::MAX),
            past_expected: as_of > self.expected_end,
        }
    }
}

/// Where a referral out stands, without its details: the key of its listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartnerReferralState {
    /// Sent, not yet answered.
    Sent,
    /// Accepted by the partner.
    Accepted,
    /// Declined by the partner.
    Declined,
    /// Closed.
    Closed,
}

impl PartnerReferralState {
    /// Every state.
    pub const ALL: [PartnerReferralState; 4] = [
        PartnerReferralState::Sent,
        PartnerReferralState::Accepted,
        PartnerReferralState::Declined,
        PartnerReferralState::Closed,
    ];

    /// The stable name: `sent`, `accepted`, `declined`, `closed`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            PartnerReferralState::Sent => "sent",
            PartnerReferralState::Accepted => "accepted",
            PartnerReferralState::Declined => "declined",
            PartnerReferralState::Closed => "closed",
        }
    }

    /// The state of `status`.
    #[must_use]
    pub fn of(status: &PartnerReferralStatus) -> Self {
        match status {
            PartnerReferralStatus::Sent => PartnerReferralState::Sent,
            PartnerReferralStatus::Accepted { .. } => PartnerReferralState::Accepted,
            PartnerReferralStatus::Declined { .. } => PartnerReferralState::Declined,
            PartnerReferralStatus::Closed { .. } => PartnerReferralState::Closed,
        }
    }
}

/// A referral out to a partner agency (reasons given by partners are left on the case).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PartnerReferralRow {
    /// The case.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// The referral.
    pub referral_id: PartnerReferralId,
    /// What kind of partner.
    pub partner: PartnerKind,
    /// The agency's name.
    pub agency: Text,
    /// When it was sent: `at`.
    pub sent_at: DateTime<Utc>,
    /// Where it stands: the key.
    pub status: PartnerReferralState,
    /// When it was accepted, declined or closed.
    pub status_at: Option<DateTime<Utc>>,
}

impl ListingRow for PartnerReferralRow {
    const KIND: ListingKind = ListingKind::PartnerReferral;
    fn key(&self) -> String {
        self.status.as_str().to_owned()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.sent_at)
    }
}

impl PartnerReferralRow {
    fn of(case: &Case, referral: &PartnerReferral) -> Self {
        let status_at = match &referral.status {
            PartnerReferralStatus::Sent => None,
            PartnerReferralStatus::Accepted { at }
            | PartnerReferralStatus::Declined { at, .. }
            | PartnerReferralStatus::Closed { at, .. } => Some(*at),
        };
        PartnerReferralRow {
            case_id: case.file().id,
            young_person_id: case.file().young_person,
            referral_id: referral.id,
            partner: referral.partner,
            agency: referral.agency.clone(),
            sent_at: referral.sent_at,
            status: PartnerReferralState::of(&referral.status),
            status_at,
        }
    }
}

/// A finished case, for the retention schedule and closure figures: closed, or a
/// referral declined, signposted or withdrawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClosedCaseRow {
    /// The case.
    pub case_id: CaseId,
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// `closed`, `declined`, `signposted` or `withdrawn`.
    pub stage: StageName,
    /// When it closed, or the referral ended: `at`.
    pub closed_at: DateTime<Utc>,
    /// Why: a closed case's reason (R-15, [`crate::case::ClosureReason::as_str`]: `moved_out_of_area` …);
    /// otherwise the stage's name (`declined`, `signposted`, `withdrawn`).
    pub reason: String,
    /// The latest risk level, at closure.
    pub risk_level: Option<RiskLevel>,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// The level of the case's first assessment, the referral's, as it applies after
    /// any override: risk at opening. `None` when never assessed, and in a
    /// listing written before this field existed.
    #[serde(default)]
    pub opening_risk: Option<RiskLevel>,
    /// The programme the case was on, by key.
    #[serde(default)]
    pub programme: Option<String>,
}

impl ListingRow for ClosedCaseRow {
    const KIND: ListingKind = ListingKind::ClosedCase;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.closed_at)
    }
}

/// Where a referral ended up, for referrals by outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReferralOutcome {
    /// No outcome yet: received, screened or assessed.
    Pending,
    /// Accepted for immediate support.
    ImmediateSupport,
    /// Accepted onto the waiting list.
    WaitingList,
    /// Signposted to other support.
    Signposted,
    /// Declined.
    Declined,
    /// Withdrawn before allocation, whatever its outcome was.
    Withdrawn,
}

impl ReferralOutcome {
    /// Every outcome, in the order reports show them.
    pub const ALL: [ReferralOutcome; 6] = [
        ReferralOutcome::ImmediateSupport,
        ReferralOutcome::WaitingList,
        ReferralOutcome::Signposted,
        ReferralOutcome::Declined,
        ReferralOutcome::Withdrawn,
        ReferralOutcome::Pending,
    ];

    /// The stable name: `immediate_support`, `waiting_list`, `signposted`, `declined`,
    /// `withdrawn`, `pending`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ReferralOutcome::Pending => "pending",
            ReferralOutcome::ImmediateSupport => "immediate_support",
            ReferralOutcome::WaitingList => "waiting_list",
            ReferralOutcome::Signposted => "signposted",
            ReferralOutcome::Declined => "declined",
            ReferralOutcome::Withdrawn => "withdrawn",
        }
    }

    /// Where `case` stands: withdrawn if it was, else its outcome, else pending.
    #[must_use]
    pub fn of(case: &Case) -> Self {
        use crate::case::Outcome;
        if case.stage() == StageName::Withdrawn {
            return ReferralOutcome::Withdrawn;
        }
        match &case.file().outcome {
            None => ReferralOutcome::Pending,
            Some(Outcome::ImmediateSupport) => ReferralOutcome::ImmediateSupport,
            Some(Outcome::WaitingList) => ReferralOutcome::WaitingList,
            Some(Outcome::Signposted { .. }) => ReferralOutcome::Signposted,
            Some(Outcome::Declined { .. }) => ReferralOutcome::Declined,
        }
    }
}

/// One referral, from the moment it is received, with what the referral figures count it by
/// . No names, no concerns: the source's kind, the young person's gender and whole age in
/// years on the referral date, never the date of birth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReferralRow {
    /// The case.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// When received: `at`.
    pub received_at: DateTime<Utc>,
    /// Who referred ([`crate::case::ReferralSource::as_str`]: `self`, `parent_or_carer`,
    /// `professional`, `agency`).
    pub source: String,
    /// The young person's gender as screened.
    pub gender: Gender,
    /// Their age in whole years on the day the referral was received.
    pub age: u32,
    /// The programme, by key: the key (empty when none).
    pub programme: Option<String>,
    /// Its stage now.
    pub stage: StageName,
    /// Where it ended up.
    pub outcome: ReferralOutcome,
    /// The level of the referral's assessment, as it applies after any override.
    pub assessed_risk: Option<RiskLevel>,
    /// When first allocated to a worker.
    pub allocated_at: Option<DateTime<Utc>>,
    /// The earlier case this is a re-referral from, when linked.
    pub previous_case: Option<CaseId>,
}

impl ListingRow for ReferralRow {
    const KIND: ListingKind = ListingKind::Referral;
    fn key(&self) -> String {
        programme_key(self.programme.as_deref())
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.received_at)
    }
}

/// A case's first allocation to a worker, kept after it closes (R-29: waiting time from
/// referral to allocation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FirstAllocationRow {
    /// The case.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// When first allocated: `at`.
    pub allocated_at: DateTime<Utc>,
    /// The programme, by key: the key (empty when none).
    pub programme: Option<String>,
}

impl ListingRow for FirstAllocationRow {
    const KIND: ListingKind = ListingKind::FirstAllocation;
    fn key(&self) -> String {
        programme_key(self.programme.as_deref())
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.allocated_at)
    }
}

/// A referral accepted for immediate support or onto the waiting list, not yet allocated
/// the longest still waiting).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AwaitingAllocationRow {
    /// The case.
    pub case_id: CaseId,
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// When received: `at`.
    pub received_at: DateTime<Utc>,
    /// `awaiting_allocation` or `waiting_list`.
    pub stage: StageName,
    /// The latest risk level.
    pub risk_level: Option<RiskLevel>,
    /// The programme, by key: the key (empty when none).
    pub programme: Option<String>,
}

impl ListingRow for AwaitingAllocationRow {
    const KIND: ListingKind = ListingKind::AwaitingAllocation;
    fn key(&self) -> String {
        programme_key(self.programme.as_deref())
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.received_at)
    }
}

/// The key of a listing filtered by programme: the programme's key, empty when on none.
#[must_use]
pub fn programme_key(programme: Option<&str>) -> String {
    programme.unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------------------------------------
// Rows of a young person.

/// A missing episode, settled or not (R-22, R-29: missing episodes and return interviews
/// offered within 72 hours).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MissingEpisodeRow {
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// The episode.
    pub episode: MissingEpisodeId,
    /// When the young person went missing: `at`.
    pub started_at: DateTime<Utc>,
    /// When they came back, once they have.
    pub returned_at: Option<DateTime<Utc>>,
    /// When the return interview was first offered.
    pub offered_at: Option<DateTime<Utc>>,
    /// When it was held.
    pub completed_at: Option<DateTime<Utc>>,
    /// When the young person declined it.
    pub declined_at: Option<DateTime<Utc>>,
}

impl ListingRow for MissingEpisodeRow {
    const KIND: ListingKind = ListingKind::MissingEpisode;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.started_at)
    }
}

/// A return interview not yet completed or declined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReturnInterviewRow {
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// The missing episode.
    pub episode: MissingEpisodeId,
    /// When the young person went missing.
    pub started_at: DateTime<Utc>,
    /// When they came back.
    pub returned_at: DateTime<Utc>,
    /// When the interview is due, 72 hours after the return: `at`.
    pub due_at: DateTime<Utc>,
    /// When it was offered, if it was (offering does not meet the duty).
    pub offered_at: Option<DateTime<Utc>>,
    /// Whether it is overdue, strictly after `due_at`, as of the query that returned it: not
    /// stored (always `false` in a listing's detail).
    #[serde(skip)]
    pub overdue: bool,
}

impl ListingRow for ReturnInterviewRow {
    const KIND: ListingKind = ListingKind::ReturnInterview;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.due_at)
    }
}

impl ReturnInterviewRow {
    /// The same row marked overdue or not as of `as_of`: overdue strictly after the due time,
    /// so an interview due at exactly `as_of` is due, not overdue.
    #[must_use]
    pub fn as_of(mut self, as_of: DateTime<Utc>) -> Self {
        self.overdue = as_of > self.due_at;
        self
    }
}

/// A young person flagged for a strategy discussion by three missing episodes within 30 days,
/// while the flag is not resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MissingFlagRow {
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// The flag.
    pub flag: MissingFlagId,
    /// The episodes whose starts fell within the 30 days.
    pub episodes: Vec<MissingEpisodeId>,
    /// When it was raised: `at`.
    pub raised_at: DateTime<Utc>,
}

impl ListingRow for MissingFlagRow {
    const KIND: ListingKind = ListingKind::MissingFlag;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.raised_at)
    }
}

/// A member of the alumni group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlumniRow {
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// Why they could join.
    pub basis: AlumniBasis,
    /// When they joined: `at`.
    pub joined_at: DateTime<Utc>,
}

impl ListingRow for AlumniRow {
    const KIND: ListingKind = ListingKind::Alumni;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.joined_at)
    }
}

/// A young person known to the service, with or without a case (R-23: every record falls
/// under the retention schedule, so the review must find everyone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct YoungPersonRecordRow {
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// When registered: `at`.
    pub registered_at: DateTime<Utc>,
}

impl ListingRow for YoungPersonRecordRow {
    const KIND: ListingKind = ListingKind::YoungPersonRecord;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.registered_at)
    }
}

// ---------------------------------------------------------------------------------------------
// Workshops and intelligence.

/// A workshop's reach and evaluation results. Attendees are counted, never named; the
/// forms' own words are left on the workshop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WorkshopRow {
    /// The workshop.
    pub workshop_id: WorkshopId,
    /// The school or youth club (its kind is the key).
    pub venue: Venue,
    /// Its date: `at` is 00:00 UTC on it.
    pub date: NaiveDate,
    /// The ages it was for.
    pub age_group: AgeGroup,
    /// The topics.
    pub topics: Vec<SessionTopic>,
    /// The workshop programme, by key.
    pub programme: Option<String>,
    /// Attendees registered with the service.
    pub registered_attendees: u32,
    /// Attendees not known to the service.
    pub anonymous_attendees: u32,
    /// Attendees identified as vulnerable.
    pub identified_vulnerable: u32,
    /// Individual tutorials held.
    pub tutorials: u32,
    /// What the evaluation forms say (its `attendees` is the reach).
    pub evaluation: EvaluationSummary,
}

impl ListingRow for WorkshopRow {
    const KIND: ListingKind = ListingKind::Workshop;
    fn key(&self) -> String {
        self.venue.kind.as_str().to_owned()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(midnight(self.date))
    }
}

impl WorkshopRow {
    /// The row of `workshop`.
    #[must_use]
    pub fn of(workshop: &Workshop) -> Self {
        WorkshopRow {
            workshop_id: workshop.id,
            venue: workshop.venue.clone(),
            date: workshop.date,
            age_group: workshop.age_group,
            topics: workshop.topics.clone(),
            programme: workshop.programme.clone(),
            registered_attendees: count(workshop.attendees.len()),
            anonymous_attendees: workshop.anonymous_attendees,
            identified_vulnerable: count(workshop.vulnerable.len()),
            tutorials: count(workshop.tutorials.len()),
            evaluation: workshop.evaluation_summary(),
        }
    }

    /// Everyone who attended, registered and anonymous.
    #[must_use]
    pub fn reach(&self) -> u32 {
        self.registered_attendees
            .saturating_add(self.anonymous_attendees)
    }
}

/// A registered young person's part in a workshop, so that subject access and erasure find
/// their workshops. Flags and counts only: the concerns, tutorial notes and forms stay
/// on the workshop's stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WorkshopParticipantRow {
    /// The workshop.
    pub workshop_id: WorkshopId,
    /// The young person: the key.
    pub young_person_id: YoungPersonId,
    /// The workshop's date: `at` is 00:00 UTC on it.
    pub date: NaiveDate,
    /// Whether they are recorded as attending.
    pub attended: bool,
    /// Whether they were identified as vulnerable.
    pub identified_vulnerable: bool,
    /// Individual tutorials held with them.
    pub tutorials: u32,
    /// Whether they returned an evaluation form.
    pub evaluation: bool,
}

impl ListingRow for WorkshopParticipantRow {
    const KIND: ListingKind = ListingKind::WorkshopParticipant;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(midnight(self.date))
    }
}

impl WorkshopParticipantRow {
    /// One row per registered young person with a part in `workshop`, in the order each first
    /// appears: attendees, then anyone identified as vulnerable, given a tutorial or answering
    /// an evaluation form.
    #[must_use]
    pub fn of(workshop: &Workshop) -> Vec<Self> {
        let mut people: Vec<YoungPersonId> = Vec::new();
        let respondents = workshop
            .evaluations
            .iter()
            .filter_map(|e| match &e.respondent {
                Respondent::YoungPerson { id } => Some(*id),
                Respondent::Anonymous => None,
            });
        for yp in workshop
            .attendees
            .iter()
            .chain(&workshop.vulnerable)
            .copied()
            .chain(workshop.tutorials.iter().map(|t| t.young_person))
            .chain(respondents)
        {
            if !people.contains(&yp) {
                people.push(yp);
            }
        }
        people
            .into_iter()
            .map(|yp| WorkshopParticipantRow {
                workshop_id: workshop.id,
                young_person_id: yp,
                date: workshop.date,
                attended: workshop.attendees.contains(&yp),
                identified_vulnerable: workshop.vulnerable.contains(&yp),
                tutorials: count(
                    workshop
                        .tutorials
                        .iter()
                        .filter(|t| t.young_person == yp)
                        .count(),
                ),
                evaluation: workshop
                    .evaluations
                    .iter()
                    .any(|e| e.respondent == Respondent::YoungPerson { id: yp }),
            })
            .collect()
    }
}

/// Workshop reach and evaluation results over a period: every workshop dated in it, and
/// the totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WorkshopReach {
    /// The first date in the period.
    pub from: NaiveDate,
    /// The first date after it (not in it).
    pub to: NaiveDate,
    /// The workshops, by date.
    pub workshops: Vec<WorkshopRow>,
    /// Everyone who attended, registered and anonymous.
    pub reach: u32,
    /// Attendees registered with the service.
    pub registered_attendees: u32,
    /// Attendees not known to the service.
    pub anonymous_attendees: u32,
    /// Attendees identified as vulnerable.
    pub identified_vulnerable: u32,
    /// Individual tutorials held.
    pub tutorials: u32,
    /// Evaluation forms returned.
    pub forms: u32,
    /// Forms with the attendee's own words on what they learnt.
    pub with_comments: u32,
    /// Each question across every workshop's forms, in the order first asked.
    pub questions: Vec<QuestionSummary>,
}

impl WorkshopReach {
    /// The totals of `workshops`, dated in `[from, to)`.
    pub fn of(from: NaiveDate, to: NaiveDate, workshops: Vec<WorkshopRow>) -> Self {
        let sum = |f: fn(&WorkshopRow) -> u32| {
            workshops
                .iter()
                .fold(0u32, |total, w| total.saturating_add(f(w)))
        };
        let mut questions: Vec<QuestionSummary> = Vec::new();
        for q in workshops.iter().flat_map(|w| &w.evaluation.questions) {
            match questions.iter_mut().find(|t| t.question == q.question) {
                Some(t) => {
                    t.responses += q.responses;
                    t.total_before += q.total_before;
                    t.total_after += q.total_after;
                    t.improved += q.improved;
                    t.unchanged += q.unchanged;
                    t.lower += q.lower;
                }
                None => questions.push(q.clone()),
            }
        }
        WorkshopReach {
            from,
            to,
            reach: sum(WorkshopRow::reach),
            registered_attendees: sum(|w| w.registered_attendees),
            anonymous_attendees: sum(|w| w.anonymous_attendees),
            identified_vulnerable: sum(|w| w.identified_vulnerable),
            tutorials: sum(|w| w.tutorials),
            forms: sum(|w| w.evaluation.forms),
            with_comments: sum(|w| w.evaluation.with_comments),
            questions,
            workshops,
        }
    }
}

/// A report of intelligence not yet with the police: never passed, or, at immediate
/// risk, not yet by an immediate call. Ids and times only: the report's content stays on its
/// own stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AwaitingPoliceRow {
    /// The report.
    pub intelligence_id: IntelligenceId,
    /// How urgent: the key.
    pub urgency: Urgency,
    /// When the service learnt it.
    pub learnt_at: DateTime<Utc>,
    /// When it was recorded: `at`.
    pub recorded_at: DateTime<Utc>,
    /// The cases and young people it concerns, by id.
    pub links: Vec<IntelligenceLink>,
    /// Handovers so far (a non-urgent one, for a report of immediate risk).
    pub handovers: u32,
}

impl ListingRow for AwaitingPoliceRow {
    const KIND: ListingKind = ListingKind::IntelligenceAwaitingPolice;
    fn key(&self) -> String {
        self.urgency.as_str().to_owned()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.recorded_at)
    }
}

// ---------------------------------------------------------------------------------------------
// A stream's listings.

/// One listing before it is encoded, so the listings before and after a command compare
/// without writing JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Row {
    OpenCase(OpenCaseRow),
    ReviewDue(ReviewDueRow),
    ExpectedEnd(ExpectedEndRow),
    PartnerReferral(PartnerReferralRow),
    ClosedCase(ClosedCaseRow),
    ReturnInterview(ReturnInterviewRow),
    MissingFlag(MissingFlagRow),
    Alumni(AlumniRow),
    YoungPersonRecord(YoungPersonRecordRow),
    Workshop(Box<WorkshopRow>),
    WorkshopParticipant(WorkshopParticipantRow),
    AwaitingPolice(AwaitingPoliceRow),
    Referral(ReferralRow),
    FirstAllocation(FirstAllocationRow),
    AwaitingAllocation(AwaitingAllocationRow),
    MissingEpisode(MissingEpisodeRow),
    /// A record stream's listing, encoded by the record itself (its detail is the record).
    Encoded(Listing),
}

impl Row {
    fn listing(&self) -> Listing {
        match self {
            Row::OpenCase(r) => r.to_listing(),
            Row::ReviewDue(r) => r.to_listing(),
            Row::ExpectedEnd(r) => r.to_listing(),
            Row::PartnerReferral(r) => r.to_listing(),
            Row::ClosedCase(r) => r.to_listing(),
            Row::ReturnInterview(r) => r.to_listing(),
            Row::MissingFlag(r) => r.to_listing(),
            Row::Alumni(r) => r.to_listing(),
            Row::YoungPersonRecord(r) => r.to_listing(),
            Row::Workshop(r) => r.to_listing(),
            Row::WorkshopParticipant(r) => r.to_listing(),
            Row::AwaitingPolice(r) => r.to_listing(),
            Row::Referral(r) => r.to_listing(),
            Row::FirstAllocation(r) => r.to_listing(),
            Row::AwaitingAllocation(r) => r.to_listing(),
            Row::MissingEpisode(r) => r.to_listing(),
            Row::Encoded(l) => l.clone(),
        }
    }
}

/// A stream's listings as typed rows, before they are encoded: what the service computes from
/// the state before and after a command, to write them only when they changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listings(Vec<Row>);

impl Listings {
    /// A case's listings: its referral, open case, review due, expected end, referrals out,
    /// first allocation, awaiting allocation and, once finished, closed case (see the module
    /// docs for each).
    #[must_use]
    pub fn of_case(case: &Case, profile: &ServiceProfile) -> Self {
        Listings(case_rows(case, profile))
    }

    /// A young person's listings: their record, return interviews not yet settled, an
    /// unresolved missing flag, alumni membership and every missing episode.
    #[must_use]
    pub fn of_young_person(person: &YoungPerson, activity: &YoungPersonActivity) -> Self {
        let mut rows = vec![Row::YoungPersonRecord(YoungPersonRecordRow {
            young_person_id: person.id,
            registered_at: person.registered_at,
        })];
        rows.extend(young_person_rows(person.id, activity));
        rows.extend(
            activity
                .duplicates
                .listings(person)
                .into_iter()
                .map(Row::Encoded),
        );
        Listings(rows)
    }

    /// A workshop's listings: its reach and evaluation results, and one per registered young
    /// person with a part in it (attended, identified as vulnerable, had a tutorial or
    /// answered an evaluation form).
    pub fn of_workshop(workshop: &Workshop) -> Self {
        let mut rows = vec![Row::Workshop(Box::new(WorkshopRow::of(workshop)))];
        rows.extend(
            WorkshopParticipantRow::of(workshop)
                .into_iter()
                .map(Row::WorkshopParticipant),
        );
        Listings(rows)
    }

    /// A report's listing while it awaits the police; none once it has reached them.
    #[must_use]
    pub fn of_intelligence(report: &Intelligence) -> Self {
        Listings(intelligence_rows(report))
    }

    /// Listings a record stream encodes itself (legal holds and erasures, R-23): each
    /// listing's detail is the record it lists.
    #[must_use]
    pub fn encoded(listings: Vec<Listing>) -> Self {
        Listings(listings.into_iter().map(Row::Encoded).collect())
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The listings, encoded for the store, in a fixed order.
    pub fn encode(&self) -> Vec<Listing> {
        self.0.iter().map(Row::listing).collect()
    }

    /// What an append after a command carries ([`crate::store::AppendRequest::listings`]):
    /// these listings, encoded, when they differ from `before` (those of the state the command
    /// was decided on; [`Listings::default`] for a new stream), and `None` when they do not,
    /// which leaves the stored ones as they are. Most commands change none.
    #[must_use]
    pub fn replacing(&self, before: &Listings) -> Option<Vec<Listing>> {
        (self != before).then(|| self.encode())
    }
}

fn case_rows(case: &Case, profile: &ServiceProfile) -> Vec<Row> {
    let file = case.file();
    let stage = case.stage();
    let activity = &file.activity;
    let mut rows = Vec::new();
    if let Some(allocation) = case.allocation().filter(|_| !stage.is_finished()) {
        rows.push(Row::OpenCase(OpenCaseRow {
            case_id: file.id,
            young_person_id: file.young_person,
            stage,
            worker: allocation.worker,
            worker_name: allocation.worker_name.clone(),
            allocated_at: allocation.at,
            risk_level: file.current_risk(),
            programme: activity.programme.clone(),
            work_begun_at: activity.work_begun_at,
        }));
    }
    let at_work = matches!(
        stage,
        StageName::Active | StageName::Paused | StageName::Closing
    );
    if let Some(due_at) = file.next_review_due.filter(|_| at_work) {
        rows.push(Row::ReviewDue(ReviewDueRow {
            case_id: file.id,
            young_person_id: file.young_person,
            stage,
            worker: case.allocation().map(|a| a.worker),
            risk_level: file.current_risk(),
            due_at,
        }));
    }
    let expected = activity.programme.as_deref().and_then(|key| {
        let weeks = profile.programme(key)?.expected_weeks?;
        Some((key, weeks, activity.work_begun_at?))
    });
    if let Some((programme, expected_weeks, work_begun_at)) = expected.filter(|_| at_work) {
        rows.push(Row::ExpectedEnd(ExpectedEndRow {
            case_id: file.id,
            young_person_id: file.young_person,
            worker: case.allocation().map(|a| a.worker),
            programme: programme.to_owned(),
            expected_weeks,
            work_begun_at,
            expected_end: work_begun_at + Duration::weeks(i64::from(expected_weeks.max)),
        }));
    }
    rows.extend(
        activity
            .partner_referrals
            .iter()
            .map(|r| Row::PartnerReferral(PartnerReferralRow::of(case, r))),
    );
    let ended = match case {
        Case::Closed(closed) => Some((closed.closed_at(), closed.reason().as_str())),
        Case::Declined(_) | Case::Signposted(_) | Case::Withdrawn(_) => {
            activity.ended_at.map(|at| (at, stage.as_str()))
        }
        _ => None,
    };
    if let Some((closed_at, reason)) = ended {
        rows.push(Row::ClosedCase(ClosedCaseRow {
            case_id: file.id,
            young_person_id: file.young_person,
            stage,
            closed_at,
            reason: reason.to_owned(),
            risk_level: file.current_risk(),
            received_at: file.received_at,
            opening_risk: file.assessments.first().map(|a| a.level),
            programme: activity.programme.clone(),
        }));
    }
    rows.extend(referral_rows(case, profile));
    rows
}

/// A case's rows for the figures funders ask for: its referral, its first allocation,
/// and, while accepted and not yet allocated, its wait.
fn referral_rows(case: &Case, profile: &ServiceProfile) -> Vec<Row> {
    let file = case.file();
    let stage = case.stage();
    let programme = file.activity.programme.clone();
    // The first allocation's time, kept when the case moves to another worker: the wait
    // from referral to allocation is the wait for the first worker.
    let allocated_at = case.first_allocation().map(|a| a.at);
    // Age on the referral date where the service works, as screening counts it.
    let age = file.subject.age_on(profile.local_date(file.received_at));
    let mut rows = vec![Row::Referral(ReferralRow {
        case_id: file.id,
        young_person_id: file.young_person,
        received_at: file.received_at,
        source: file.source.as_str().to_owned(),
        gender: file.subject.gender,
        age,
        programme: programme.clone(),
        stage,
        outcome: ReferralOutcome::of(case),
        assessed_risk: file.assessments.first().map(|a| a.level),
        allocated_at,
        previous_case: file.previous_case,
    })];
    if let Some(allocated_at) = allocated_at {
        rows.push(Row::FirstAllocation(FirstAllocationRow {
            case_id: file.id,
            young_person_id: file.young_person,
            received_at: file.received_at,
            allocated_at,
            programme: programme.clone(),
        }));
    }
    if matches!(
        stage,
        StageName::AwaitingAllocation | StageName::WaitingList
    ) {
        rows.push(Row::AwaitingAllocation(AwaitingAllocationRow {
            case_id: file.id,
            young_person_id: file.young_person,
            received_at: file.received_at,
            stage,
            risk_level: file.current_risk(),
            programme,
        }));
    }
    rows
}

fn young_person_rows(young_person: YoungPersonId, activity: &YoungPersonActivity) -> Vec<Row> {
    let mut rows: Vec<Row> = activity
        .missing_episodes
        .iter()
        .filter(|e| !e.interview.is_settled())
        .filter_map(|e| {
            let returned_at = e.returned_at?;
            Some(Row::ReturnInterview(ReturnInterviewRow {
                young_person_id: young_person,
                episode: e.id,
                started_at: e.started_at,
                returned_at,
                due_at: crate::young_person::missing::return_interview_due(returned_at),
                offered_at: e.interview.offered_at,
                overdue: false,
            }))
        })
        .collect();
    rows.extend(
        activity
            .missing_flags
            .iter()
            .filter(|f| f.resolved.is_none())
            .map(|f| {
                Row::MissingFlag(MissingFlagRow {
                    young_person_id: young_person,
                    flag: f.id,
                    episodes: f.episodes.clone(),
                    raised_at: f.raised_at,
                })
            }),
    );
    if let Some(member) = &activity.alumni {
        rows.push(Row::Alumni(AlumniRow {
            young_person_id: young_person,
            basis: member.basis.clone(),
            joined_at: member.joined_at,
        }));
    }
    rows.extend(activity.missing_episodes.iter().map(|e| {
        Row::MissingEpisode(MissingEpisodeRow {
            young_person_id: young_person,
            episode: e.id,
            started_at: e.started_at,
            returned_at: e.returned_at,
            offered_at: e.interview.offered_at,
            completed_at: e.interview.completed_at,
            declined_at: e.interview.declined_at,
        })
    }));
    rows
}

fn intelligence_rows(report: &Intelligence) -> Vec<Row> {
    if !report.awaiting_police() {
        return Vec::new();
    }
    vec![Row::AwaitingPolice(AwaitingPoliceRow {
        intelligence_id: report.id,
        urgency: report.urgency,
        learnt_at: report.learnt_at,
        recorded_at: report.recorded_at,
        links: report.links.clone(),
        handovers: count(report.handovers.len()),
    })]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::CaseId;
    use crate::workshop::VenueKind;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_return_interview_is_overdue_strictly_after_72_hours() {
        let row = ReturnInterviewRow {
            young_person_id: YoungPersonId::new(),
            episode: MissingEpisodeId::new(),
            started_at: at(3, 22),
            returned_at: at(4, 10),
            due_at: at(7, 10),
            offered_at: None,
            overdue: false,
        };
        assert!(!row.clone().as_of(at(7, 10)).overdue);
        assert!(
            row.clone()
                .as_of(at(7, 10) + Duration::microseconds(1))
                .overdue
        );
        // The flag is the query's, never stored.
        let listing = row.as_of(at(8, 0)).to_listing();
        assert!(!listing.detail.contains("overdue"), "{}", listing.detail);
        assert_eq!(listing.at, Some(at(7, 10)));
    }

    #[test]
    fn a_case_exactly_at_its_expected_length_is_not_past_it() {
        let begun = at(2, 9);
        let row = ExpectedEndRow {
            case_id: CaseId::new(),
            young_person_id: YoungPersonId::new(),
            worker: None,
            programme: "short_term".into(),
            expected_weeks: Span { min: 8, max: 10 },
            work_begun_at: begun,
            expected_end: begun + Duration::weeks(10),
        };
        let exactly = row.length_status(row.expected_end);
        assert_eq!((exactly.weeks, exactly.past_expected), (10, false));
        let later = row.length_status(row.expected_end + Duration::microseconds(1));
        assert!(later.past_expected);
    }

    #[test]
    fn listing_times_are_kept_to_the_microsecond() {
        let row = AlumniRow {
            young_person_id: YoungPersonId::new(),
            basis: AlumniBasis::CaseClosed {
                case: CaseId::new(),
            },
            joined_at: at(2, 9) + Duration::nanoseconds(1_500),
        };
        let listing = row.to_listing();
        assert_eq!(listing.at, Some(at(2, 9) + Duration::microseconds(1)));
        assert_eq!(listing.key, row.young_person_id.to_string());
    }

    #[test]
    fn workshop_reach_adds_up_each_question_across_workshops() {
        let question = |text: &str, responses, improved| QuestionSummary {
            question: Text::parse("question", text).unwrap(),
            responses,
            total_before: 2 * responses,
            total_after: 4 * responses,
            improved,
            unchanged: responses - improved,
            lower: 0,
        };
        let workshop = |anonymous, questions: Vec<QuestionSummary>| WorkshopRow {
            workshop_id: WorkshopId::new(),
            venue: Venue {
                kind: VenueKind::School,
                name: Text::parse("name", "Fictional Academy").unwrap(),
            },
            date: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            age_group: AgeGroup { min: 13, max: 15 },
            topics: vec![],
            programme: None,
            registered_attendees: 1,
            anonymous_attendees: anonymous,
            identified_vulnerable: 1,
            tutorials: 0,
            evaluation: EvaluationSummary {
                attendees: anonymous + 1,
                forms: questions.first().map_or(0, |q| q.responses),
                with_comments: 1,
                questions,
            },
        };
        let reach = WorkshopReach::of(
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            vec![
                workshop(
                    10,
                    vec![question("grooming", 3, 2), question("telling", 3, 1)],
                ),
                workshop(20, vec![question("telling", 4, 4)]),
            ],
        );
        assert_eq!((reach.reach, reach.registered_attendees), (32, 2));
        assert_eq!((reach.forms, reach.with_comments), (7, 2));
        assert_eq!(reach.questions.len(), 2);
        let telling = &reach.questions[1];
        assert_eq!(
            (telling.responses, telling.improved, telling.unchanged),
            (7, 5, 2)
        );
        assert_eq!(telling.total_after, 28);
    }

    #[test]
    fn every_partner_referral_state_is_its_listing_key() {
        for state in PartnerReferralState::ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }
}
