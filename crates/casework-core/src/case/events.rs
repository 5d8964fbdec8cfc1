//! What happens to a case: its events.
//!
//! Events are facts in the past tense. Each carries the domain times it needs (when consent was
//! given, when a notification was sent) so that folding them needs no clock and no profile.
//! The stored JSON is stable and documented in `docs/EVENTS.md`; the envelope (who, when, why,
//! version) is [`crate::kernel::event::Recorded`].

use super::activity::{
    Cadence, CadenceBasis, CancelledBy, Contact, Meeting, PartnerReferral, PartnerReferralUpdate,
    SessionPlace,
};
use super::model::{
    Allocation, ClosureReason, Outcome, Party, PauseReason, PendingApproval, Professional,
    ReferralSource, Review,
};
use crate::case::consent::ConsentEntry;
use crate::case::owed::OwedAction;
use crate::kernel::confidential::Confidential;
use crate::kernel::ids::{
    ApprovalId, CaseId, GoalId, OwedActionId, PartnerReferralId, SessionId, StaffId, WorkshopId,
    YoungPersonId,
};
use crate::kernel::input::Text;
use crate::policy::eligibility::Screening;
use crate::policy::risk::{RiskAssessment, RiskOverride};
use crate::policy::topic::SessionTopic;
use crate::young_person::YoungPersonDetails;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One fact in a case's history.
///
/// Free text is of two classes (ADR 0008): **confidential** (`Confidential`: behind the gate,
/// never in read models, timelines or views) or **visible** to anyone who may read the case's
/// structure, documented so on the field: names of people acting in a professional capacity
/// and of organisations, references, the service's own vocabulary and configuration keys, and
/// reasons for the service's own decisions about its work, which say why in those terms and
/// never what the young person said.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
        /// The young person's details as screened (kept, so the screening explains itself;
        /// sealed at rest, [`crate::kernel::sealing`]).
        #[serde(with = "crate::kernel::sealing::identifying")]
        #[cfg_attr(feature = "schema", schemars(with = "YoungPersonDetails", extend("x-sealed-at-rest" = "identifying")))]
        subject: YoungPersonDetails,
        /// What the referrer is worried about (confidential).
        concerns: Confidential<Text>,
        /// When the referral was received (orders the waiting list, R-7).
        received_at: DateTime<Utc>,
        /// The young person's previous case, for a re-referral.
        previous_case: Option<CaseId>,
        /// The service profile it was received under.
        service: String,
        /// The workshop the referral came from, when a workshop led to it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_workshop: Option<WorkshopId>,
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
        /// The recipient's reference (visible).
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
        /// Why not. Visible to anyone who may read the case's structure (owed actions are a
        /// service-wide duty, R-5): how the duty was met otherwise (`notified by the police,
        /// ref …`), never what the young person said. About her case, so sealed at rest with
        /// her key ([`crate::kernel::sealing::personal`]) and replaced at erasure.
        #[serde(with = "crate::kernel::sealing::personal")]
        #[cfg_attr(feature = "schema", schemars(with = "String", extend("x-sealed-at-rest" = "personal")))]
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
        /// Why (confidential).
        reason: Confidential<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A worker was allocated.
    CaseAllocated {
        /// The allocation.
        allocation: Allocation,
    },
    /// The case moved to another worker, with the reason. The allocation that ended is
    /// kept in the event and in the case file: the history keeps every worker.
    CaseReallocated {
        /// The allocation that ended.
        from: Allocation,
        /// The allocation that began.
        to: Allocation,
        /// Why it moved (visible: a staffing reason, R-25).
        reason: Text,
    },
    /// The plan was agreed with the young person: engaged.
    PlanAgreed {
        /// The plan (confidential).
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
        /// Why (confidential).
        reason: Confidential<Text>,
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
        /// Why (confidential: it weighs the step's own reason).
        reason: Confidential<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A manager refused a pending step.
    ApprovalRefused {
        /// Which request.
        approval: ApprovalId,
        /// The manager.
        by: StaffId,
        /// Why (confidential, as an approval's is).
        reason: Confidential<Text>,
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
    /// A goal was added to the action plan, agreed with the young person and any professionals
    /// named.
    GoalAdded {
        /// The goal's id.
        goal: GoalId,
        /// What the young person wants to achieve (confidential).
        description: Confidential<Text>,
        /// Who agreed it.
        agreed_with: Vec<Party>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A goal was achieved.
    GoalAchieved {
        /// Which.
        goal: GoalId,
        /// When.
        achieved_at: DateTime<Utc>,
    },
    /// A goal was dropped.
    GoalDropped {
        /// Which.
        goal: GoalId,
        /// Why (confidential).
        reason: Confidential<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A one-to-one session was planned.
    SessionPlanned {
        /// The session's id.
        session: SessionId,
        /// When it is planned for.
        planned_for: DateTime<Utc>,
        /// Where.
        place: SessionPlace,
        /// Whether the young person chose the place.
        place_chosen_by_young_person: bool,
        /// The topics planned.
        topics: Vec<SessionTopic>,
        /// When it was planned.
        at: DateTime<Utc>,
    },
    /// A planned session was held.
    SessionHeld {
        /// Which.
        session: SessionId,
        /// When it started.
        held_at: DateTime<Utc>,
        /// How long it lasted, in minutes.
        duration_minutes: u32,
        /// Where it was held.
        place: SessionPlace,
        /// The topics covered.
        topics: Vec<SessionTopic>,
        /// The resources used (visible: the service's own packs).
        resources: Vec<Text>,
        /// What was said and done (confidential, R-8).
        note: Confidential<Text>,
    },
    /// A planned session was cancelled.
    SessionCancelled {
        /// Which.
        session: SessionId,
        /// By whom.
        by: CancelledBy,
        /// Why, if given (confidential).
        reason: Option<Confidential<Text>>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The young person did not attend a planned session.
    SessionNotAttended {
        /// Which.
        session: SessionId,
        /// When recorded.
        at: DateTime<Utc>,
    },
    /// A contact episode: a call, text, visit or drop-in.
    ContactRecorded {
        /// The contact.
        contact: Contact,
    },
    /// The case was put on a programme, with the programme's cadence.
    ProgrammeAssigned {
        /// The programme's key.
        programme: String,
        /// Its cadence.
        cadence: Cadence,
        /// When.
        at: DateTime<Utc>,
        /// The next review's due time on the programme's review cadence, when work is under
        /// way.
        next_review_due: Option<DateTime<Utc>>,
    },
    /// A worker changed the case's cadence, with the reason.
    CadenceChanged {
        /// The new cadence.
        cadence: Cadence,
        /// On what basis.
        basis: CadenceBasis,
        /// Why (visible: the rhythm of the work, R-11).
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// A multi-agency meeting was recorded, with whether the service attended.
    MeetingRecorded {
        /// The meeting.
        meeting: Meeting,
    },
    /// A referral out to a partner agency was sent.
    PartnerReferralSent {
        /// The referral.
        referral: PartnerReferral,
    },
    /// A partner accepted or declined a referral out, or it closed.
    PartnerReferralUpdated {
        /// Which.
        referral: PartnerReferralId,
        /// What happened.
        update: PartnerReferralUpdate,
        /// When.
        at: DateTime<Utc>,
    },
}

impl CaseEvent {
    /// The stable type name stored with the event.
    #[must_use]
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
            CaseEvent::CaseReallocated { .. } => "case_reallocated",
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
            CaseEvent::GoalAdded { .. } => "goal_added",
            CaseEvent::GoalAchieved { .. } => "goal_achieved",
            CaseEvent::GoalDropped { .. } => "goal_dropped",
            CaseEvent::SessionPlanned { .. } => "session_planned",
            CaseEvent::SessionHeld { .. } => "session_held",
            CaseEvent::SessionCancelled { .. } => "session_cancelled",
            CaseEvent::SessionNotAttended { .. } => "session_not_attended",
            CaseEvent::ContactRecorded { .. } => "contact_recorded",
            CaseEvent::ProgrammeAssigned { .. } => "programme_assigned",
            CaseEvent::CadenceChanged { .. } => "cadence_changed",
            CaseEvent::MeetingRecorded { .. } => "meeting_recorded",
            CaseEvent::PartnerReferralSent { .. } => "partner_referral_sent",
            CaseEvent::PartnerReferralUpdated { .. } => "partner_referral_updated",
        }
    }
}

impl CaseEvent {
    /// The id, as displayed, of what this event brought into being: the case of a referral,
    /// an owed action, a pending approval, a goal, a session, a contact, a meeting, a referral
    /// out. `None` for an event that changes what exists (a professional's id is the
    /// command's own, so recording one creates nothing).
    #[must_use]
    pub fn created(&self) -> Option<String> {
        match self {
            CaseEvent::ReferralReceived { case, .. } => Some(case.to_string()),
            CaseEvent::OwedActionRaised { action } => Some(action.id.to_string()),
            CaseEvent::ApprovalRequested { approval } => Some(approval.id.to_string()),
            CaseEvent::GoalAdded { goal, .. } => Some(goal.to_string()),
            CaseEvent::SessionPlanned { session, .. } => Some(session.to_string()),
            CaseEvent::ContactRecorded { contact } => Some(contact.id.to_string()),
            CaseEvent::MeetingRecorded { meeting } => Some(meeting.id.to_string()),
            CaseEvent::PartnerReferralSent { referral } => Some(referral.id.to_string()),
            CaseEvent::ConsentRecorded { .. }
            | CaseEvent::ProfessionalInvolved { .. }
            | CaseEvent::EligibilityScreened { .. }
            | CaseEvent::RiskAssessed { .. }
            | CaseEvent::OwedActionSent { .. }
            | CaseEvent::OwedActionAcknowledged { .. }
            | CaseEvent::OwedActionExplained { .. }
            | CaseEvent::OutcomeGiven { .. }
            | CaseEvent::ReferralWithdrawn { .. }
            | CaseEvent::CaseAllocated { .. }
            | CaseEvent::CaseReallocated { .. }
            | CaseEvent::PlanAgreed { .. }
            | CaseEvent::WorkBegun { .. }
            | CaseEvent::CasePaused { .. }
            | CaseEvent::CaseResumed { .. }
            | CaseEvent::ReviewRecorded { .. }
            | CaseEvent::ClosureProposed { .. }
            | CaseEvent::ClosureAgreed { .. }
            | CaseEvent::ClosureProposalWithdrawn { .. }
            | CaseEvent::ApprovalGiven { .. }
            | CaseEvent::ApprovalRefused { .. }
            | CaseEvent::RiskLevelOverridden { .. }
            | CaseEvent::CaseClosed { .. }
            | CaseEvent::GoalAchieved { .. }
            | CaseEvent::GoalDropped { .. }
            | CaseEvent::SessionHeld { .. }
            | CaseEvent::SessionCancelled { .. }
            | CaseEvent::SessionNotAttended { .. }
            | CaseEvent::ProgrammeAssigned { .. }
            | CaseEvent::CadenceChanged { .. }
            | CaseEvent::PartnerReferralUpdated { .. } => None,
        }
    }

    /// One line for a timeline. Never includes confidential content (concerns, plans, notes,
    /// and the reasons that are confidential): a timeline can be shown to anyone who may see
    /// that the case exists. Visible free text (names of professionals and agencies,
    /// references, the service's own reasons about its work) is shown.
    #[must_use]
    pub fn describe(&self) -> String {
        use crate::case::Outcome;
        match self {
            CaseEvent::ReferralReceived {
                source,
                previous_case,
                from_workshop,
                ..
            } => {
                let mut line = match previous_case {
                    Some(previous) => format!(
                        "re-referral received ({}), linked to {previous}",
                        source.as_str()
                    ),
                    None => format!("referral received ({})", source.as_str()),
                };
                if let Some(workshop) = from_workshop {
                    line.push_str(&format!(", from {workshop}"));
                }
                line
            }
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
                Some(_) => format!(
                    "risk assessed {} (tool said {}; overridden, reason confidential)",
                    assessment.level, assessment.computed
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
                Outcome::Signposted { to, .. } => format!(
                    "outcome: signposted to {}",
                    to.as_ref().map_or("other support", |s| s.name.as_str())
                ),
                Outcome::Declined { .. } => "outcome: declined".into(),
            },
            CaseEvent::ReferralWithdrawn { .. } => "referral withdrawn".into(),
            CaseEvent::CaseAllocated { allocation } => match &allocation.out_of_order_reason {
                Some(why) => format!(
                    "allocated to {} out of waiting-list order: {why}",
                    allocation.worker_name
                ),
                None => format!("allocated to {}", allocation.worker_name),
            },
            CaseEvent::CaseReallocated { from, to, reason } => format!(
                "reallocated from {} to {}: {reason}",
                from.worker_name, to.worker_name
            ),
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
            CaseEvent::ClosureProposalWithdrawn { .. } => "closure proposal withdrawn".into(),
            CaseEvent::ApprovalRequested { approval } => {
                format!(
                    "manager's approval requested: {}",
                    approval.step.name().replace('_', " ")
                )
            }
            CaseEvent::ApprovalGiven { .. } => "approved by a manager".into(),
            CaseEvent::ApprovalRefused { .. } => "refused by a manager".into(),
            CaseEvent::RiskLevelOverridden { level_override, .. } => {
                format!("risk level overridden to {}", level_override.level)
            }
            CaseEvent::CaseClosed { reason, .. } => format!("closed: {reason}"),
            CaseEvent::GoalAdded { agreed_with, .. } => format!(
                "goal added to the plan, agreed with {}",
                agreed_with
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CaseEvent::GoalAchieved { achieved_at, .. } => {
                format!("goal achieved on {}", achieved_at.format("%Y-%m-%d"))
            }
            CaseEvent::GoalDropped { .. } => "goal dropped".into(),
            CaseEvent::SessionPlanned { planned_for, .. } => format!(
                "session planned for {}",
                planned_for.format("%Y-%m-%d %H:%M")
            ),
            CaseEvent::SessionHeld {
                held_at,
                duration_minutes,
                topics,
                ..
            } => format!(
                "session held {} ({duration_minutes} min){}",
                held_at.format("%Y-%m-%d %H:%M"),
                if topics.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        topics
                            .iter()
                            .map(|t| t.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
            CaseEvent::SessionCancelled { by, .. } => format!("session cancelled by {by}"),
            CaseEvent::SessionNotAttended { .. } => "session not attended".into(),
            CaseEvent::ContactRecorded { contact } => format!(
                "{} {} with {} ({})",
                match contact.direction {
                    super::activity::Direction::Inbound => "inbound",
                    super::activity::Direction::Outbound => "outbound",
                },
                contact.kind,
                contact.with,
                contact.at.format("%Y-%m-%d %H:%M")
            ),
            CaseEvent::ProgrammeAssigned {
                programme,
                cadence,
                next_review_due,
                ..
            } => match next_review_due {
                Some(due) => format!(
                    "put on programme `{programme}` ({cadence}); next review due {}",
                    due.format("%Y-%m-%d")
                ),
                None => format!("put on programme `{programme}` ({cadence})"),
            },
            CaseEvent::CadenceChanged {
                cadence, reason, ..
            } => format!("cadence changed to {cadence}: {reason}"),
            CaseEvent::MeetingRecorded { meeting } => format!(
                "{} on {}: the service {}; {} action(s) arising",
                meeting.kind,
                meeting.held_at.format("%Y-%m-%d"),
                if meeting.service_attended {
                    "attended"
                } else {
                    "did not attend"
                },
                meeting.actions.len()
            ),
            CaseEvent::PartnerReferralSent { referral } => {
                format!("referred to {} ({})", referral.agency, referral.partner)
            }
            CaseEvent::PartnerReferralUpdated { update, .. } => {
                format!("referral out {}", update.as_str())
            }
        }
    }
}
