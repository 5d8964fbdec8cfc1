//! What happens to a case: its events.
//!
//! Events are facts in the past tense. Each carries the domain times it needs (when consent was
//! given, when a notification was sent) so that folding them needs no clock and no profile.
//! The stored JSON is stable and documented in `docs/EVENTS.md`; the envelope (who, when, why,
//! version) is [`crate::event::Recorded`].

use super::model::{
    Allocation, ClosureReason, Outcome, Party, PauseReason, PendingApproval, Professional,
    ReferralSource, Review,
};
use crate::confidential::Confidential;
use crate::consent::ConsentEntry;
use crate::eligibility::Screening;
use crate::ids::{ApprovalId, CaseId, OwedActionId, StaffId, YoungPersonId};
use crate::input::Text;
use crate::owed::OwedAction;
use crate::risk::{RiskAssessment, RiskOverride};
use crate::young_person::YoungPersonDetails;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One fact in a case's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseEvent {
    /// A referral arrived: the case begins.
    ReferralReceived {
        /// The new case.
        case: CaseId,
        /// Who it is about.
        young_person: YoungPersonId,
        /// Who referred.
        source: ReferralSource,
        /// The young person's details as screened (kept, so the screening explains itself).
        subject: YoungPersonDetails,
        /// What the referrer is worried about.
        concerns: Confidential<Text>,
        /// When the referral was received (orders the waiting list, R-7).
        received_at: DateTime<Utc>,
        /// The young person's previous case, for a re-referral.
        previous_case: Option<CaseId>,
        /// The service profile it was received under.
        service: String,
    },
    /// Consent given, refused or withdrawn (never deleted).
    ConsentRecorded {
        /// The entry.
        entry: ConsentEntry,
    },
    /// A professional is recorded as involved.
    ProfessionalInvolved {
        /// Who.
        professional: Professional,
    },
    /// Eligibility screened against the profile.
    EligibilityScreened {
        /// The result.
        screening: Screening,
    },
    /// Risk assessed with the profile's tool.
    RiskAssessed {
        /// The assessment.
        assessment: RiskAssessment,
    },
    /// An action became owed.
    OwedActionRaised {
        /// The action.
        action: OwedAction,
    },
    /// An owed action was sent.
    OwedActionSent {
        /// Which.
        action: OwedActionId,
        /// Reference.
        reference: Text,
        /// When sent.
        sent_at: DateTime<Utc>,
    },
    /// An owed action was acknowledged by its recipient.
    OwedActionAcknowledged {
        /// Which.
        action: OwedActionId,
        /// When.
        acknowledged_at: DateTime<Utc>,
    },
    /// An owed action will not be sent, and why.
    OwedActionExplained {
        /// Which.
        action: OwedActionId,
        /// Why not.
        explanation: Text,
        /// When explained.
        at: DateTime<Utc>,
    },
    /// The referral's outcome was given.
    OutcomeGiven {
        /// The outcome.
        outcome: Outcome,
        /// When.
        at: DateTime<Utc>,
    },
    /// The referral was withdrawn before allocation.
    ReferralWithdrawn {
        /// Why.
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// A worker was allocated.
    CaseAllocated {
        /// The allocation.
        allocation: Allocation,
    },
    /// The plan was agreed with the young person: engaged.
    PlanAgreed {
        /// The plan.
        plan: Confidential<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Work began: active.
    WorkBegun {
        /// When.
        at: DateTime<Utc>,
        /// When the first review is due.
        first_review_due: DateTime<Utc>,
    },
    /// Work paused.
    CasePaused {
        /// Why.
        reason: PauseReason,
        /// When.
        at: DateTime<Utc>,
    },
    /// Work resumed.
    CaseResumed {
        /// When.
        at: DateTime<Utc>,
    },
    /// A review was held.
    ReviewRecorded {
        /// The review.
        review: Review,
    },
    /// Closure for 'risk significantly reduced' was proposed.
    ClosureProposed {
        /// When.
        at: DateTime<Utc>,
    },
    /// A party agreed to the proposed closure.
    ClosureAgreed {
        /// Who.
        party: Party,
        /// When.
        at: DateTime<Utc>,
    },
    /// The closure proposal was withdrawn; work continues.
    ClosureProposalWithdrawn {
        /// Why.
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// A step was asked for that needs a manager's approval.
    ApprovalRequested {
        /// The request.
        approval: PendingApproval,
    },
    /// A manager approved a pending step; the step's own events follow in the same command.
    ApprovalGiven {
        /// Which request.
        approval: ApprovalId,
        /// The manager.
        by: StaffId,
        /// Why.
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// A manager refused a pending step.
    ApprovalRefused {
        /// Which request.
        approval: ApprovalId,
        /// The manager.
        by: StaffId,
        /// Why.
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// An approved override of an assessment's computed level; both levels are kept.
    RiskLevelOverridden {
        /// Which assessment (its position in the case's assessments).
        assessment: usize,
        /// The override.
        level_override: RiskOverride,
        /// When.
        at: DateTime<Utc>,
    },
    /// The case closed.
    CaseClosed {
        /// Why.
        reason: ClosureReason,
        /// When.
        at: DateTime<Utc>,
    },
}

impl CaseEvent {
    /// The stable type name stored with the event.
    pub fn event_type(&self) -> &'static str {
        match self {
            CaseEvent::ReferralReceived { .. } => "referral_received",
            CaseEvent::ConsentRecorded { .. } => "consent_recorded",
            CaseEvent::ProfessionalInvolved { .. } => "professional_involved",
            CaseEvent::EligibilityScreened { .. } => "eligibility_screened",
            CaseEvent::RiskAssessed { .. } => "risk_assessed",
            CaseEvent::OwedActionRaised { .. } => "owed_action_raised",
            CaseEvent::OwedActionSent { .. } => "owed_action_sent",
            CaseEvent::OwedActionAcknowledged { .. } => "owed_action_acknowledged",
            CaseEvent::OwedActionExplained { .. } => "owed_action_explained",
            CaseEvent::OutcomeGiven { .. } => "outcome_given",
            CaseEvent::ReferralWithdrawn { .. } => "referral_withdrawn",
            CaseEvent::CaseAllocated { .. } => "case_allocated",
            CaseEvent::PlanAgreed { .. } => "plan_agreed",
            CaseEvent::WorkBegun { .. } => "work_begun",
            CaseEvent::CasePaused { .. } => "case_paused",
            CaseEvent::CaseResumed { .. } => "case_resumed",
            CaseEvent::ReviewRecorded { .. } => "review_recorded",
            CaseEvent::ClosureProposed { .. } => "closure_proposed",
            CaseEvent::ClosureAgreed { .. } => "closure_agreed",
            CaseEvent::ClosureProposalWithdrawn { .. } => "closure_proposal_withdrawn",
            CaseEvent::ApprovalRequested { .. } => "approval_requested",
            CaseEvent::ApprovalGiven { .. } => "approval_given",
            CaseEvent::ApprovalRefused { .. } => "approval_refused",
            CaseEvent::RiskLevelOverridden { .. } => "risk_level_overridden",
            CaseEvent::CaseClosed { .. } => "case_closed",
        }
    }
}

impl CaseEvent {
    /// One line for a timeline. Never includes confidential content (concerns, plans): a
    /// timeline can be shown to anyone who may see that the case exists.
    pub fn describe(&self) -> String {
        use crate::case::Outcome;
        match self {
            CaseEvent::ReferralReceived {
                source,
                previous_case,
                ..
            } => match previous_case {
                Some(previous) => format!(
                    "re-referral received ({}), linked to {previous}",
                    source.as_str()
                ),
                None => format!("referral received ({})", source.as_str()),
            },
            CaseEvent::ConsentRecorded { entry } => {
                format!(
                    "consent to {} {} by {}",
                    entry.scope, entry.decision, entry.by
                )
            }
            CaseEvent::ProfessionalInvolved { professional } => format!(
                "{} ({}) recorded as involved",
                professional.name, professional.agency
            ),
            CaseEvent::EligibilityScreened { screening } if screening.is_eligible() => {
                format!("screened: eligible (aged {})", screening.age_on_referral)
            }
            CaseEvent::EligibilityScreened { screening } => format!(
                "screened: not eligible ({})",
                screening
                    .reasons
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            CaseEvent::RiskAssessed { assessment } => match &assessment.overridden {
                Some(o) => format!(
                    "risk assessed {} (tool said {}; overridden: {})",
                    assessment.level, assessment.computed, o.reason
                ),
                None => format!(
                    "risk assessed {} (score {})",
                    assessment.level, assessment.score
                ),
            },
            CaseEvent::OwedActionRaised { action } => format!(
                "owed: {} to {}, due {}",
                action.kind,
                action.owed_to,
                action.due_at.format("%Y-%m-%d %H:%M")
            ),
            CaseEvent::OwedActionSent { reference, .. } => {
                format!("owed action sent (ref {reference})")
            }
            CaseEvent::OwedActionAcknowledged { .. } => "owed action acknowledged".into(),
            CaseEvent::OwedActionExplained { explanation, .. } => {
                format!("owed action explained: {explanation}")
            }
            CaseEvent::OutcomeGiven { outcome, .. } => match outcome {
                Outcome::ImmediateSupport => "outcome: accepted for immediate support".into(),
                Outcome::WaitingList => "outcome: accepted onto the waiting list".into(),
                Outcome::Signposted { reason, to } => format!(
                    "outcome: signposted to {} ({reason})",
                    to.as_ref().map_or("other support", |s| s.name.as_str())
                ),
                Outcome::Declined { reason } => format!("outcome: declined ({reason})"),
            },
            CaseEvent::ReferralWithdrawn { reason, .. } => format!("referral withdrawn: {reason}"),
            CaseEvent::CaseAllocated { allocation } => match &allocation.out_of_order_reason {
                Some(why) => format!(
                    "allocated to {} out of waiting-list order: {why}",
                    allocation.worker_name
                ),
                None => format!("allocated to {}", allocation.worker_name),
            },
            CaseEvent::PlanAgreed { .. } => "plan agreed with the young person".into(),
            CaseEvent::WorkBegun {
                first_review_due, ..
            } => format!(
                "work begun; first review due {}",
                first_review_due.format("%Y-%m-%d")
            ),
            CaseEvent::CasePaused { reason, .. } => format!("paused: {reason}"),
            CaseEvent::CaseResumed { .. } => "resumed".into(),
            CaseEvent::ReviewRecorded { review } => format!(
                "review: risk {}, decision: {}; next due {}",
                review.assessment.level,
                review.decision,
                review.next_due.format("%Y-%m-%d")
            ),
            CaseEvent::ClosureProposed { .. } => {
                "closure proposed: risk significantly reduced".into()
            }
            CaseEvent::ClosureAgreed { party, .. } => format!("closure agreed by {party}"),
            CaseEvent::ClosureProposalWithdrawn { reason, .. } => {
                format!("closure proposal withdrawn: {reason}")
            }
            CaseEvent::ApprovalRequested { approval } => {
                format!(
                    "manager's approval requested: {}",
                    approval.step.name().replace('_', " ")
                )
            }
            CaseEvent::ApprovalGiven { reason, .. } => format!("approved by a manager: {reason}"),
            CaseEvent::ApprovalRefused { reason, .. } => format!("refused by a manager: {reason}"),
            CaseEvent::RiskLevelOverridden { level_override, .. } => format!(
                "risk level overridden to {}: {}",
                level_override.level, level_override.reason
            ),
            CaseEvent::CaseClosed { reason, .. } => format!("closed: {reason}"),
        }
    }
}
