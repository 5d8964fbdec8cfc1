//! Domain errors: why the rules refused a command.
//!
//! One enum for decisions. Each variant names the rule (R-n) that refused, so the message a
//! worker sees and the test that proves the rule point at the same line of DOMAIN.md. Storage
//! failures are a different type ([`crate::store::StoreError`]); the two never merge.

use crate::case::{Party, StageName};
use crate::kernel::ids::{ApprovalId, CaseId, IntelligenceId, OwedActionId, StaffId};
use crate::kernel::input::InputError;
use crate::kernel::rule::Rule;
use crate::policy::eligibility::Ineligibility;
use thiserror::Error;

/// A command was refused by the domain rules.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DomainError {
    /// someone other than the young person referred, and she or he has not given permission.
    #[error("R-1: a referral by anyone other than the young person needs the young person's recorded permission (consent scope `referral`, given by the young person) before it is accepted")]
    PermissionMissing,
    /// the referral is outside the service's remit.
    #[error("R-2: the referral is outside the service's remit ({}); signpost or decline it with the reason (R-3)", join(.reasons))]
    Ineligible {
        /// Every reason.
        reasons: Vec<Ineligibility>,
    },
    /// an ineligible referral's outcome must carry a reason.
    #[error("R-3: an ineligible referral is signposted or declined with the reason")]
    ReasonRequired,
    /// engagement can never be recorded as a requirement of a statutory plan.
    #[error("R-6: the service is voluntary; engagement cannot be recorded as a requirement of a statutory plan (Children Act 1989 s17/s47), but the input says so at `{field}`")]
    StatutoryRequirement {
        /// Where the input said so.
        field: String,
    },
    /// allocation out of waiting-list order.
    #[error("R-7: case {case} is not at the head of the waiting list (the head is {head}); allocating out of order needs a manager and a recorded reason")]
    OutOfWaitingListOrder {
        /// The case asked for.
        case: CaseId,
        /// The case at the head.
        head: CaseId,
    },
    /// 'risk significantly reduced' goes through a closure proposal.
    #[error("R-16: closing for 'risk significantly reduced' needs the agreement of the young person and every involved professional; propose closure and record their agreement first")]
    ClosureNeedsProposal,
    /// someone has not agreed.
    #[error("R-16: closing for 'risk significantly reduced' waits for the agreement of: {}", join(.missing))]
    AgreementsMissing {
        /// Who has not agreed yet.
        missing: Vec<Party>,
    },
    /// an agreement from someone who is not a party to the case.
    #[error(
        "R-16: {party} is not the young person or a professional recorded as involved in this case"
    )]
    NotAParty {
        /// Who.
        party: Party,
    },
    /// a closed case accepts no change.
    #[error("R-17: case {case} is closed and is never edited; a young person who comes back is re-referred into a new, linked case")]
    CaseClosed {
        /// The case.
        case: CaseId,
    },
    /// the young person already has an open case.
    #[error("R-17: the young person already has an open case ({case}); record the new information there, or close it before a re-referral")]
    OpenCaseExists {
        /// The open case.
        case: CaseId,
    },
    /// the owed action does not exist on this case.
    #[error("R-5: case has no owed action {action}")]
    UnknownOwedAction {
        /// The id asked for.
        action: OwedActionId,
    },
    /// the owed action is already discharged.
    #[error("R-5: owed action {action} is already {status}; it cannot be discharged again")]
    AlreadyDischarged {
        /// The action.
        action: OwedActionId,
        /// Its status.
        status: &'static str,
    },
    /// only a sent action can be acknowledged.
    #[error("R-5: owed action {action} has not been sent, so it cannot be acknowledged")]
    NotSent {
        /// The action.
        action: OwedActionId,
    },
    /// this step needs a manager's approval; request it instead.
    #[error("R-24: `{step}` needs a manager's approval in this service; it has to be requested and approved")]
    ApprovalRequired {
        /// The step.
        step: &'static str,
    },
    /// only a manager may do this.
    #[error("R-24: only a manager may {action}")]
    ManagerRequired {
        /// What was attempted.
        action: &'static str,
    },
    /// no such pending approval on this case.
    #[error("R-24: case has no pending approval {approval}")]
    UnknownApproval {
        /// The id asked for.
        approval: ApprovalId,
    },
    /// the pending step no longer fits the case (a newer assessment, say); refuse it.
    #[error("R-24: approval {approval} is out of date: {why}; refuse it and ask again")]
    StaleApproval {
        /// The approval.
        approval: ApprovalId,
        /// What changed.
        why: &'static str,
    },
    /// a case moves to another worker; `worker` already holds it.
    #[error("R-25: `worker`: {worker} already holds the case; a reallocation moves it to another worker")]
    SameWorker {
        /// The worker asked for, who holds the case.
        worker: StaffId,
    },
    /// intelligence reporting an immediate risk goes to the police by an immediate call.
    #[error("R-19: intelligence {intelligence} reports an immediate risk: pass it to the police by an immediate call first, not through the non-urgent channel")]
    ImmediateRiskNeedsCall {
        /// The report.
        intelligence: IntelligenceId,
    },
    /// only former service users, or young people at low risk, may join the alumni group.
    #[error("R-20: only former service users (a closed case) or young people at low risk may join the alumni group, and {reason}")]
    NotEligibleForAlumni {
        /// Why this young person may not.
        reason: String,
    },
    /// sharing information with an agency needs the young person's current consent.
    #[error("R-8: a referral out shares information about the young person, which needs her or his current consent in scope `{scope}` (naming the agency exactly); record it first, or share under a safeguarding override (R-9)")]
    SharingConsentMissing {
        /// The scope that would permit it.
        scope: crate::case::consent::ConsentScope,
    },
    /// The command does not apply at the case's stage.
    #[error("{}`{command}` is not possible while the case is {stage}", .rule.map(|r| format!("{r}: ")).unwrap_or_default())]
    NotAtThisStage {
        /// The case's stage.
        stage: StageName,
        /// The command.
        command: &'static str,
        /// The rule that orders the lifecycle here, when one does.
        rule: Option<Rule>,
    },
    /// A value was not acceptable.
    #[error(transparent)]
    Input(#[from] InputError),
}

impl DomainError {
    /// The rule that refused, if the refusal is a rule's.
    #[must_use]
    pub fn rule(&self) -> Option<Rule> {
        match self {
            DomainError::PermissionMissing => Some(Rule::R1),
            DomainError::Ineligible { .. } => Some(Rule::R2),
            DomainError::ReasonRequired => Some(Rule::R3),
            DomainError::StatutoryRequirement { .. } => Some(Rule::R6),
            DomainError::OutOfWaitingListOrder { .. } => Some(Rule::R7),
            DomainError::ClosureNeedsProposal
            | DomainError::AgreementsMissing { .. }
            | DomainError::NotAParty { .. } => Some(Rule::R16),
            DomainError::CaseClosed { .. } | DomainError::OpenCaseExists { .. } => Some(Rule::R17),
            DomainError::UnknownOwedAction { .. }
            | DomainError::AlreadyDischarged { .. }
            | DomainError::NotSent { .. } => Some(Rule::R5),
            DomainError::ApprovalRequired { .. }
            | DomainError::ManagerRequired { .. }
            | DomainError::UnknownApproval { .. }
            | DomainError::StaleApproval { .. } => Some(Rule::R24),
            DomainError::SameWorker { .. } => Some(Rule::R25),
            DomainError::ImmediateRiskNeedsCall { .. } => Some(Rule::R19),
            DomainError::NotEligibleForAlumni { .. } => Some(Rule::R20),
            DomainError::SharingConsentMissing { .. } => Some(Rule::R8),
            DomainError::NotAtThisStage { rule, .. } => *rule,
            DomainError::Input(_) => None,
        }
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl crate::kernel::code::ErrorCode for DomainError {
    fn code(&self) -> &'static str {
        match self {
            DomainError::PermissionMissing => "permission_missing",
            DomainError::Ineligible { .. } => "ineligible",
            DomainError::ReasonRequired => "reason_required",
            DomainError::StatutoryRequirement { .. } => "statutory_requirement",
            DomainError::OutOfWaitingListOrder { .. } => "out_of_waiting_list_order",
            DomainError::ClosureNeedsProposal => "closure_needs_proposal",
            DomainError::AgreementsMissing { .. } => "agreements_missing",
            DomainError::NotAParty { .. } => "not_a_party",
            DomainError::CaseClosed { .. } => "case_closed",
            DomainError::OpenCaseExists { .. } => "open_case_exists",
            DomainError::UnknownOwedAction { .. } => "unknown_owed_action",
            DomainError::AlreadyDischarged { .. } => "already_discharged",
            DomainError::NotSent { .. } => "not_sent",
            DomainError::ApprovalRequired { .. } => "approval_required",
            DomainError::ManagerRequired { .. } => "manager_required",
            DomainError::UnknownApproval { .. } => "unknown_approval",
            DomainError::StaleApproval { .. } => "stale_approval",
            DomainError::SameWorker { .. } => "same_worker",
            DomainError::ImmediateRiskNeedsCall { .. } => "immediate_risk_needs_call",
            DomainError::NotEligibleForAlumni { .. } => "not_eligible_for_alumni",
            DomainError::SharingConsentMissing { .. } => "sharing_consent_missing",
            DomainError::NotAtThisStage { .. } => "not_at_this_stage",
            DomainError::Input(e) => crate::kernel::code::ErrorCode::code(e),
        }
    }
}
