//! The vocabulary of a case: who is involved, what was decided, why it closed.

use crate::kernel::confidential::{Confidential, NewConfidential};
use crate::kernel::ids::{ApprovalId, ProfessionalId, StaffId};
use crate::kernel::input::Text;
use crate::kernel::tag::kind_tagged;
use crate::policy::profile::PartnerService;
use crate::policy::risk::RiskAssessment;
use crate::policy::risk::RiskOverride;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of professional who referred or is involved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProfessionalKind {
    /// Social worker.
    SocialWorker,
    /// Teacher or school staff.
    Teacher,
    /// Police.
    Police,
    /// Health (school nurse, sexual health, GP).
    Health,
    /// Youth worker.
    YouthWorker,
    /// Any other professional.
    Other,
}

/// A professional outside the charity, recorded as involved in a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Professional {
    /// Their id.
    pub id: ProfessionalId,
    /// Their name.
    pub name: Text,
    /// Their kind.
    pub kind: ProfessionalKind,
    /// Their agency.
    pub agency: Text,
}

/// Who made the referral. Anyone can refer. Written `{"kind": "agency", "agency": "…"}`;
/// the tag `source` of before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ReferralSource {
    /// The young person referred themselves: that is consent.
    SelfReferral,
    /// A parent or carer.
    ParentOrCarer {
        /// Their name (third-party data: left out of subject access exports).
        name: Text,
    },
    /// A professional; they become involved in the case.
    Professional {
        /// Who.
        professional: Professional,
    },
    /// Another agency.
    Agency {
        /// The agency.
        agency: Text,
    },
}

kind_tagged!(ReferralSource, "source");

impl ReferralSource {
    /// Whether the young person referred themselves.
    #[must_use]
    pub fn is_self(&self) -> bool {
        matches!(self, ReferralSource::SelfReferral)
    }

    /// Stable name, for query tables and reports (R-29: referrals by source).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ReferralSource::SelfReferral => "self",
            ReferralSource::ParentOrCarer { .. } => "parent_or_carer",
            ReferralSource::Professional { .. } => "professional",
            ReferralSource::Agency { .. } => "agency",
        }
    }
}

/// The outcome of a referral. Its reasons are confidential: why a young
/// person is not taken on is about her; the kind of outcome is the case's structure.
///
/// Tagged `kind`; the tag `outcome` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[cfg_attr(feature = "schema", schemars(rename = "Outcome_of_{C}"))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Outcome<C = Confidential<Text>> {
    /// Accepted for immediate support.
    ImmediateSupport,
    /// Accepted onto the waiting list.
    WaitingList,
    /// Signposted to other support.
    Signposted {
        /// Why (confidential).
        reason: C,
        /// Where to, when the profile (or the worker) names a service (visible: a service's
        /// name).
        to: Option<PartnerService>,
    },
    /// Declined.
    Declined {
        /// Why (confidential).
        reason: C,
    },
}

kind_tagged!(Outcome<C>, "outcome");

impl Outcome {
    /// The outcome with its reason revealed, for the crate's gated paths.
    pub(crate) fn revealed(&self) -> Outcome<Text> {
        match self {
            Outcome::ImmediateSupport => Outcome::ImmediateSupport,
            Outcome::WaitingList => Outcome::WaitingList,
            Outcome::Signposted { reason, to } => Outcome::Signposted {
                reason: reason.revealed(),
                to: to.clone(),
            },
            Outcome::Declined { reason } => Outcome::Declined {
                reason: reason.revealed(),
            },
        }
    }
}

/// The worker holding a case (R-25 keeps every allocation in the history).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The worker.
    pub worker: StaffId,
    /// Their name as shown in timelines.
    pub worker_name: Text,
    /// When allocated.
    pub at: DateTime<Utc>,
    /// Set when a manager allocated out of waiting-list order. Visible to anyone who
    /// may read the case's structure: it explains the service's own order of work, so it says
    /// why in terms of risk level and capacity, never what the young person said.
    pub out_of_order_reason: Option<Text>,
}

/// A move of a case from one worker to another: the allocation that ended, the one that
/// began, and why. The case file keeps every one, oldest first, so the first allocation and
/// each handover stay known after the case has moved on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Reallocation {
    /// The worker who held the case until the move, and since when.
    pub from: Allocation,
    /// The worker who holds it from the move (`to.at` is when it moved).
    pub to: Allocation,
    /// Why it moved. Visible to anyone who may read the case's structure (caseloads are
    /// service-wide, R-25): a staffing reason, never what the young person said.
    pub reason: Text,
}

/// Why work paused. The kind is the case's structure; the words of `other` are confidential
/// `C` is [`Confidential`] as a case holds them, [`NewConfidential`] in a command.
///
/// Tagged `kind`; the tag `reason` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[cfg_attr(feature = "schema", schemars(rename = "PauseReason_of_{C}"))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum PauseReason<C = Confidential<Text>> {
    /// No contact from the young person.
    NoContact,
    /// The young person is missing.
    Missing,
    /// Anything else.
    Other {
        /// What (confidential).
        text: C,
    },
}

kind_tagged!(PauseReason<C>, "reason");

impl PauseReason<NewConfidential> {
    /// The reason as the case records it, its words sealed.
    pub(crate) fn seal(self) -> PauseReason {
        match self {
            PauseReason::NoContact => PauseReason::NoContact,
            PauseReason::Missing => PauseReason::Missing,
            PauseReason::Other { text } => PauseReason::Other { text: text.seal() },
        }
    }
}

impl<C> PauseReason<C> {
    /// The stable name: `no_contact`, `missing`, `other`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            PauseReason::NoContact => "no_contact",
            PauseReason::Missing => "missing",
            PauseReason::Other { .. } => "other",
        }
    }
}

/// Why a case closed. The kind is the case's structure (closure figures, R-29), and
/// so is the service a case was transferred to; the words of `other` are confidential:
/// `C` is [`Confidential`] as a case holds them, [`NewConfidential`] in a command.
///
/// Tagged `kind`; the tag `reason` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[cfg_attr(feature = "schema", schemars(rename = "ClosureReason_of_{C}"))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ClosureReason<C = Confidential<Text>> {
    /// Risk significantly reduced: needs everyone's agreement.
    RiskSignificantlyReduced,
    /// The young person declined the service.
    YoungPersonDeclined,
    /// The young person withdrew, or withdrew engagement consent.
    YoungPersonWithdrew,
    /// Moved out of the area.
    MovedOutOfArea,
    /// Aged out of the service.
    AgedOut,
    /// Transferred to another service.
    Transferred {
        /// To whom (visible: a service's name).
        to: Text,
    },
    /// No engagement.
    NoEngagement,
    /// Another reason, in words.
    Other {
        /// The reason (confidential).
        text: C,
    },
}

kind_tagged!(ClosureReason<C>, "reason");

impl ClosureReason<NewConfidential> {
    /// The reason as the case records it, its words sealed.
    pub(crate) fn seal(self) -> ClosureReason {
        self.map(NewConfidential::seal)
    }
}

impl ClosureReason {
    /// The reason with its words revealed, for the crate's gated paths.
    pub(crate) fn revealed(&self) -> ClosureReason<Text> {
        self.as_ref_map(Confidential::revealed)
    }

    /// Whether this is 'risk significantly reduced', the closure that needs everyone's
    /// agreement.
    #[must_use]
    pub fn is_risk_significantly_reduced(&self) -> bool {
        matches!(self, ClosureReason::RiskSignificantlyReduced)
    }
}

impl<C> ClosureReason<C> {
    fn map<D>(self, f: impl FnOnce(C) -> D) -> ClosureReason<D> {
        match self {
            ClosureReason::RiskSignificantlyReduced => ClosureReason::RiskSignificantlyReduced,
            ClosureReason::YoungPersonDeclined => ClosureReason::YoungPersonDeclined,
            ClosureReason::YoungPersonWithdrew => ClosureReason::YoungPersonWithdrew,
            ClosureReason::MovedOutOfArea => ClosureReason::MovedOutOfArea,
            ClosureReason::AgedOut => ClosureReason::AgedOut,
            ClosureReason::Transferred { to } => ClosureReason::Transferred { to },
            ClosureReason::NoEngagement => ClosureReason::NoEngagement,
            ClosureReason::Other { text } => ClosureReason::Other { text: f(text) },
        }
    }

    fn as_ref_map<D>(&self, f: impl FnOnce(&C) -> D) -> ClosureReason<D> {
        match self {
            ClosureReason::Other { text } => ClosureReason::Other { text: f(text) },
            ClosureReason::RiskSignificantlyReduced => ClosureReason::RiskSignificantlyReduced,
            ClosureReason::YoungPersonDeclined => ClosureReason::YoungPersonDeclined,
            ClosureReason::YoungPersonWithdrew => ClosureReason::YoungPersonWithdrew,
            ClosureReason::MovedOutOfArea => ClosureReason::MovedOutOfArea,
            ClosureReason::AgedOut => ClosureReason::AgedOut,
            ClosureReason::Transferred { to } => ClosureReason::Transferred { to: to.clone() },
            ClosureReason::NoEngagement => ClosureReason::NoEngagement,
        }
    }
}

impl<C> ClosureReason<C> {
    /// Stable name, for query tables and reports (R-29: closure reasons).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ClosureReason::RiskSignificantlyReduced => "risk_significantly_reduced",
            ClosureReason::YoungPersonDeclined => "young_person_declined",
            ClosureReason::YoungPersonWithdrew => "young_person_withdrew",
            ClosureReason::MovedOutOfArea => "moved_out_of_area",
            ClosureReason::AgedOut => "aged_out",
            ClosureReason::Transferred { .. } => "transferred",
            ClosureReason::NoEngagement => "no_engagement",
            ClosureReason::Other { .. } => "other",
        }
    }
}

/// As a timeline shows it: `other` without its words, which are confidential.
impl fmt::Display for ClosureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosureReason::Transferred { to } => write!(f, "transferred to {to}"),
            ClosureReason::Other { .. } => f.write_str("other (reason recorded, confidential)"),
            other => f.write_str(&other.as_str().replace('_', " ")),
        }
    }
}

/// As the young person's own export shows it, with the words of `other`.
impl fmt::Display for ClosureReason<Text> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosureReason::Transferred { to } => write!(f, "transferred to {to}"),
            ClosureReason::Other { text } => write!(f, "other: {text}"),
            other => f.write_str(&other.as_str().replace('_', " ")),
        }
    }
}

/// Someone whose agreement a 'risk significantly reduced' closure needs.
///
/// Tagged `kind`; the tag `party` it had before issue 14 is still read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "id",
    rename_all = "snake_case"
)]
pub enum Party {
    /// The young person.
    YoungPerson,
    /// A professional recorded as involved.
    Professional(ProfessionalId),
}

kind_tagged!(Party, "party");

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::YoungPerson => f.write_str("the young person"),
            Party::Professional(id) => write!(f, "professional {id}"),
        }
    }
}

/// What a review decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Carry on.
    Continue,
    /// Change the plan.
    ChangePlan,
    /// Propose closure.
    ProposeClosure,
}

/// A review: always with a fresh risk assessment. `R` is as in [`RiskAssessment`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Review_of_{R}"))]
#[serde(deny_unknown_fields)]
pub struct Review<R = Confidential<Text>> {
    /// The new assessment.
    pub assessment: RiskAssessment<R>,
    /// The decision.
    pub decision: ReviewDecision,
    /// When reviewed.
    pub at: DateTime<Utc>,
    /// When the next review is due, from the profile's cadence at the new level.
    pub next_due: DateTime<Utc>,
}

impl Review {
    /// The review with an override's reason revealed, for the crate's gated paths.
    pub(crate) fn revealed(&self) -> Review<Text> {
        Review {
            assessment: self.assessment.revealed(),
            decision: self.decision,
            at: self.at,
            next_due: self.next_due,
        }
    }
}

/// As a timeline shows it: `other` without its words, which are confidential.
impl fmt::Display for PauseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseReason::NoContact => f.write_str("no contact"),
            PauseReason::Missing => f.write_str("missing"),
            PauseReason::Other { .. } => f.write_str("other (reason recorded, confidential)"),
        }
    }
}

impl fmt::Display for ReviewDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReviewDecision::Continue => "continue",
            ReviewDecision::ChangePlan => "change the plan",
            ReviewDecision::ProposeClosure => "propose closure",
        })
    }
}

/// A step that waits for a manager's approval.
///
/// Tagged `kind`; the tag `step` it had before issue 14 is still read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum GatedStep {
    /// Closing the case with a reason other than 'risk significantly reduced'.
    Close {
        /// Why.
        reason: ClosureReason,
    },
    /// Closing for 'risk significantly reduced' once everyone has agreed.
    CompleteClosure,
    /// Overriding the computed level of the assessment at `assessment` (its position in the
    /// case's assessments).
    RiskOverride {
        /// Which assessment.
        assessment: usize,
        /// The override asked for.
        level_override: RiskOverride,
    },
    /// Allocating a case that is not at the head of the waiting list.
    Allocate {
        /// The worker.
        worker: StaffId,
        /// Their name.
        worker_name: Text,
        /// Why out of order.
        reason: Text,
    },
    /// Moving the case to another worker.
    Reallocate {
        /// The worker it moves to.
        worker: StaffId,
        /// Their name.
        worker_name: Text,
        /// Why it moves.
        reason: Text,
    },
}

kind_tagged!(GatedStep, "step");

impl GatedStep {
    /// The step's stable name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            GatedStep::Close { .. } => "close",
            GatedStep::CompleteClosure => "complete_closure",
            GatedStep::RiskOverride { .. } => "risk_override",
            GatedStep::Allocate { .. } => "allocate_out_of_order",
            GatedStep::Reallocate { .. } => "reallocate",
        }
    }
}

/// A request for a manager's approval, pending until approved or refused.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PendingApproval {
    /// Its id.
    pub id: ApprovalId,
    /// The step.
    pub step: GatedStep,
    /// Who asked.
    pub requested_by: StaffId,
    /// When.
    pub requested_at: DateTime<Utc>,
}
