//! The case file: the facts every stage carries.

use super::activity::CaseActivity;
use super::events::CaseEvent;
use super::model::{
    Outcome, Party, PendingApproval, Professional, Reallocation, ReferralSource, Review,
};
use crate::case::consent::ConsentLedger;
use crate::case::owed::{OwedAction, OwedActionKind, OwedStatus};
use crate::kernel::confidential::Confidential;
use crate::kernel::ids::{CaseId, ProfessionalId, WorkshopId, YoungPersonId};
use crate::kernel::input::Text;
use crate::policy::eligibility::Screening;
use crate::policy::risk::RiskAssessment;
use crate::young_person::YoungPersonDetails;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What is known about a case whatever its stage: the referral, consent, owed actions, the
/// professionals involved, every assessment and review. Only events change it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseFile {
    /// The case.
    pub id: CaseId,
    /// The young person.
    pub young_person: YoungPersonId,
    /// Who referred.
    pub source: ReferralSource,
    /// The young person's details as screened (sealed at rest, [`crate::kernel::sealing`]).
    #[serde(with = "crate::kernel::sealing::identifying")]
    #[cfg_attr(feature = "schema", schemars(with = "YoungPersonDetails", extend("x-sealed-at-rest" = "identifying")))]
    pub subject: YoungPersonDetails,
    /// The referrer's concerns (confidential).
    pub concerns: Confidential<Text>,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// The previous case of a re-referral.
    pub previous_case: Option<CaseId>,
    /// The service profile's name.
    pub service: String,
    /// Consent entries.
    pub consent: ConsentLedger,
    /// Owed actions.
    pub owed: Vec<OwedAction>,
    /// Professionals recorded as involved.
    pub professionals: Vec<Professional>,
    /// The eligibility screening.
    pub screening: Option<Screening>,
    /// Every risk assessment, oldest first.
    pub assessments: Vec<RiskAssessment>,
    /// The referral's outcome.
    pub outcome: Option<Outcome>,
    /// The agreed plan (confidential).
    pub plan: Option<Confidential<Text>>,
    /// Reviews held.
    pub reviews: Vec<Review>,
    /// When the next review is due, while work is under way.
    pub next_review_due: Option<DateTime<Utc>>,
    /// Steps waiting for a manager's approval.
    #[serde(default)]
    pub pending: Vec<PendingApproval>,
    /// The workshop the referral came from, when one led to it.
    #[serde(default)]
    pub from_workshop: Option<WorkshopId>,
    /// The work recorded: goals, sessions, contacts, programme and cadence, meetings,
    /// referrals out.
    #[serde(default)]
    pub activity: CaseActivity,
    /// Every move to another worker, oldest first; the first allocation is the first
    /// move's `from`, or the case's allocation when it never moved. Empty in a snapshot written
    /// before reallocation existed, as it was then.
    #[serde(default)]
    pub reallocations: Vec<Reallocation>,
}

impl CaseFile {
    /// Starts a file from the event that opens every case; `None` for any other event.
    pub(crate) fn open(event: &CaseEvent) -> Option<Self> {
        let CaseEvent::ReferralReceived {
            case,
            young_person,
            source,
            subject,
            concerns,
            received_at,
            previous_case,
            service,
            from_workshop,
        } = event
        else {
            return None;
        };
        let professionals = match source {
            ReferralSource::Professional { professional } => vec![professional.clone()],
            _ => Vec::new(),
        };
        Some(CaseFile {
            id: *case,
            young_person: *young_person,
            source: source.clone(),
            subject: subject.clone(),
            concerns: concerns.clone(),
            received_at: *received_at,
            previous_case: *previous_case,
            service: service.clone(),
            consent: ConsentLedger::default(),
            owed: Vec::new(),
            professionals,
            screening: None,
            assessments: Vec::new(),
            outcome: None,
            plan: None,
            reviews: Vec::new(),
            next_review_due: None,
            pending: Vec::new(),
            from_workshop: *from_workshop,
            activity: CaseActivity::default(),
            reallocations: Vec::new(),
        })
    }

    /// Applies the file-level effect of an event. Stage changes are the stage machine's.
    pub(crate) fn apply(&mut self, event: &CaseEvent) {
        match event {
            CaseEvent::ReferralReceived { .. } => {}
            CaseEvent::ConsentRecorded { entry } => self.consent.record(entry.clone()),
            CaseEvent::ProfessionalInvolved { professional } => {
                if !self.professionals.iter().any(|p| p.id == professional.id) {
                    self.professionals.push(professional.clone());
                }
            }
            CaseEvent::EligibilityScreened { screening } => {
                self.screening = Some(screening.clone())
            }
            CaseEvent::RiskAssessed { assessment } => self.assessments.push(assessment.clone()),
            CaseEvent::OwedActionRaised { action } => self.owed.push(action.clone()),
            CaseEvent::OwedActionSent {
                action,
                reference,
                sent_at,
            } => self.set_owed(*action, |_| OwedStatus::Sent {
                reference: reference.clone(),
                sent_at: *sent_at,
            }),
            CaseEvent::OwedActionAcknowledged {
                action,
                acknowledged_at,
            } => self.set_owed(*action, |old| match old {
                OwedStatus::Sent { reference, sent_at } => OwedStatus::Acknowledged {
                    reference: reference.clone(),
                    sent_at: *sent_at,
                    acknowledged_at: *acknowledged_at,
                },
                other => other.clone(),
            }),
            CaseEvent::OwedActionExplained {
                action,
                explanation,
                at,
            } => self.set_owed(*action, |_| OwedStatus::Explained {
                explanation: explanation.clone(),
                at: *at,
            }),
            CaseEvent::OutcomeGiven { outcome, .. } => self.outcome = Some(outcome.clone()),
            CaseEvent::PlanAgreed { plan, .. } => self.plan = Some(plan.clone()),
            CaseEvent::WorkBegun {
                first_review_due, ..
            } => self.next_review_due = Some(*first_review_due),
            CaseEvent::ReviewRecorded { review } => {
                self.assessments.push(review.assessment.clone());
                self.next_review_due = Some(review.next_due);
                self.reviews.push(review.clone());
            }
            CaseEvent::CaseClosed { .. } => self.next_review_due = None,
            CaseEvent::CaseReallocated { from, to, reason } => {
                self.reallocations.push(Reallocation {
                    from: from.clone(),
                    to: to.clone(),
                    reason: reason.clone(),
                })
            }
            CaseEvent::ApprovalRequested { approval } => self.pending.push(approval.clone()),
            CaseEvent::ApprovalGiven { approval, .. }
            | CaseEvent::ApprovalRefused { approval, .. } => {
                self.pending.retain(|p| p.id != *approval)
            }
            CaseEvent::RiskLevelOverridden {
                assessment,
                level_override,
                ..
            } => {
                if let Some(a) = self.assessments.get_mut(*assessment) {
                    a.level = level_override.level;
                    a.overridden = Some(level_override.clone());
                }
            }
            CaseEvent::ProgrammeAssigned {
                next_review_due, ..
            } => {
                if let Some(due) = next_review_due {
                    self.next_review_due = Some(*due);
                }
            }
            CaseEvent::ReferralWithdrawn { .. }
            | CaseEvent::CaseAllocated { .. }
            | CaseEvent::CasePaused { .. }
            | CaseEvent::CaseResumed { .. }
            | CaseEvent::ClosureProposed { .. }
            | CaseEvent::ClosureAgreed { .. }
            | CaseEvent::ClosureProposalWithdrawn { .. }
            | CaseEvent::GoalAdded { .. }
            | CaseEvent::GoalAchieved { .. }
            | CaseEvent::GoalDropped { .. }
            | CaseEvent::SessionPlanned { .. }
            | CaseEvent::SessionHeld { .. }
            | CaseEvent::SessionCancelled { .. }
            | CaseEvent::SessionNotAttended { .. }
            | CaseEvent::ContactRecorded { .. }
            | CaseEvent::CadenceChanged { .. }
            | CaseEvent::MeetingRecorded { .. }
            | CaseEvent::PartnerReferralSent { .. }
            | CaseEvent::PartnerReferralUpdated { .. } => {}
        }
        self.activity.apply(event);
    }

    fn set_owed(
        &mut self,
        id: crate::kernel::ids::OwedActionId,
        next: impl FnOnce(&OwedStatus) -> OwedStatus,
    ) {
        if let Some(action) = self.owed.iter_mut().find(|a| a.id == id) {
            action.status = next(&action.status);
        }
    }

    /// The level of the latest assessment.
    #[must_use]
    pub fn current_risk(&self) -> Option<crate::policy::risk::RiskLevel> {
        self.assessments.last().map(|a| a.level)
    }

    /// Whether an owed action of `kind` was ever raised.
    #[must_use]
    pub fn has_owed(&self, kind: OwedActionKind) -> bool {
        self.owed.iter().any(|a| a.kind == kind)
    }

    /// The professional who made the referral, when a professional did (R-13: the service
    /// keeps in regular contact with them).
    #[must_use]
    pub fn referring_professional(&self) -> Option<ProfessionalId> {
        match &self.source {
            ReferralSource::Professional { professional } => Some(professional.id),
            _ => None,
        }
    }

    /// Whether `id` is a professional recorded as involved.
    #[must_use]
    pub fn is_involved(&self, id: ProfessionalId) -> bool {
        self.professionals.iter().any(|p| p.id == id)
    }

    /// Everyone whose agreement a 'risk significantly reduced' closure needs.
    #[must_use]
    pub fn closure_parties(&self) -> Vec<Party> {
        std::iter::once(Party::YoungPerson)
            .chain(self.professionals.iter().map(|p| Party::Professional(p.id)))
            .collect()
    }
}
