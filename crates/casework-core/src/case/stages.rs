//! The case lifecycle as typed states (lifecycles 1 and 4).
//!
//! Each stage is its own type, and a transition is a method that consumes the stage it starts
//! from and returns the next one with the events that record it. A transition that the
//! lifecycle does not have is a method that does not exist, so it does not compile:
//! `Received` has no `close`, `Declined` has no `allocate`, `Closed` has nothing that edits it.
//!
//! ```text
//! Received ─screen→ Screened ─assess→ Assessed ─┬ accept_for_support → AwaitingAllocation ─allocate→ Allocated
//!                                               ├ add_to_waiting_list → OnWaitingList ─allocate (R-7)→ Allocated
//!                                               ├ signpost → Signposted        (R-3)
//!                                               └ decline  → Declined          (R-3)
//!    any stage before allocation ─withdraw→ Withdrawn
//! Allocated ─agree_plan→ Engaged ─begin_work→ Active ⇄ Paused
//! Active ─propose_closure→ Closing ─complete (R-16)→ Closed
//! Allocated | Engaged | Active | Paused | Closing ─close(reason)→ Closed   (R-6, R-15)
//! ```

use super::events::CaseEvent;
use super::file::CaseFile;
use super::model::{
    Allocation, ClosureReason, GatedStep, Outcome, Party, PauseReason, PendingApproval,
    Professional, Review, ReviewDecision,
};
use super::{Case, NewReferral, StageName};
use crate::actor::Role;
use crate::confidential::Confidential;
use crate::consent::{ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope};
use crate::context::CommandContext;
use crate::error::DomainError;
use crate::ids::{ApprovalId, CaseId, OwedActionId, StaffId};
use crate::input::{InputError, Text};
use crate::owed::{OwedAction, OwedActionKind, OwedStatus};
use crate::profile::{OwedTo, PartnerService};
use crate::risk::{AssessmentSubject, IndicatorAnswer, RiskAssessment, RiskLevel, RiskOverride};
use crate::young_person::YoungPerson;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A transition's result: the next stage and the events that record the change.
pub type Step<S> = (S, Vec<CaseEvent>);

/// Applies `events` to `file` and builds the next stage from it: the one place a transition
/// and a replay share, so a decided state and a folded state cannot differ.
fn advance<S>(
    mut file: CaseFile,
    events: Vec<CaseEvent>,
    next: impl FnOnce(CaseFile) -> S,
) -> Step<S> {
    for event in &events {
        file.apply(event);
    }
    (next(file), events)
}

fn not_future(field: &str, at: DateTime<Utc>, ctx: &CommandContext<'_>) -> Result<(), InputError> {
    if at > ctx.at {
        return Err(InputError::new(
            field,
            format!("{at} is in the future (now is {})", ctx.at),
        ));
    }
    Ok(())
}

fn owe(kind: OwedActionKind, rule: &OwedTo, from: DateTime<Utc>) -> CaseEvent {
    CaseEvent::OwedActionRaised {
        action: OwedAction {
            id: OwedActionId::new(),
            kind,
            owed_to: rule.recipient.clone(),
            raised_at: from,
            due_at: from + Duration::hours(i64::from(rule.due_within_hours)),
            status: OwedStatus::Owed,
        },
    }
}

/// R-5: a Medium or High assessment owes a referral to the duty social work team, once a case.
fn assessment_events(
    file: &CaseFile,
    assessment: &RiskAssessment,
    ctx: &CommandContext<'_>,
) -> Vec<CaseEvent> {
    // A worker's downward override never removes a statutory obligation: the higher of the
    // computed and the applied level decides (R-5).
    if assessment.level.max(assessment.computed) >= RiskLevel::Medium
        && !file.has_owed(OwedActionKind::ReferToDutySocialWork)
    {
        vec![owe(
            OwedActionKind::ReferToDutySocialWork,
            &ctx.profile.owed_actions.duty_social_work,
            ctx.at,
        )]
    } else {
        Vec::new()
    }
}

/// Assesses with the profile's tool. An override that needs a manager's approval (R-24) is
/// left out of the assessment and returned as the step to request.
fn assess(
    file: &CaseFile,
    indicators: &[IndicatorAnswer],
    worker_override: Option<RiskOverride>,
    ctx: &CommandContext<'_>,
) -> Result<(RiskAssessment, Option<GatedStep>), InputError> {
    let (applied, gated) = match worker_override {
        Some(o) if needs_approval(ctx.profile.approvals.risk_override, ctx) => (
            None,
            Some(GatedStep::RiskOverride {
                assessment: file.assessments.len(),
                level_override: o,
            }),
        ),
        other => (other, None),
    };
    Ok((assess_with(file, indicators, applied, ctx)?, gated))
}

fn assess_with(
    file: &CaseFile,
    indicators: &[IndicatorAnswer],
    worker_override: Option<RiskOverride>,
    ctx: &CommandContext<'_>,
) -> Result<RiskAssessment, InputError> {
    let subject = AssessmentSubject {
        age: file.subject.age_on(ctx.at.date_naive()),
        learning_difficulty: file.subject.learning_difficulty,
    };
    ctx.profile
        .risk_tool
        .assess(indicators, subject, worker_override, ctx.at)
}

fn review_due(level: RiskLevel, from: DateTime<Utc>, ctx: &CommandContext<'_>) -> DateTime<Utc> {
    from + Duration::days(i64::from(ctx.profile.reviews.days_for(level)))
}

/// Whether `flag` (a profile's approval setting) makes this actor's step wait for a manager
/// (R-24). A manager taking the step approves it by taking it.
pub(crate) fn needs_approval(flag: bool, ctx: &CommandContext<'_>) -> bool {
    flag && ctx.actor.role != Role::Manager
}

/// The private half of every stage: the ways to reach its file that only transitions may use.
/// The trait is not nameable outside the crate, so its methods cannot be called there: a closed
/// case cannot be edited through them (R-17).
mod sealed {
    use super::*;

    pub trait Sealed: Sized {
        fn file_ref(&self) -> &CaseFile;
        fn into_file(self) -> CaseFile;
        fn file_mut(&mut self) -> &mut CaseFile;

        /// Records events that keep the stage: applies them to the file.
        fn record(mut self, events: Vec<CaseEvent>) -> Step<Self> {
            for event in &events {
                self.file_mut().apply(event);
            }
            (self, events)
        }
    }
}
pub(crate) use sealed::Sealed;

/// What every stage offers: its name, its file, and its place in the [`Case`] enum.
pub trait Stage: sealed::Sealed + Sized {
    /// The stage's name.
    const NAME: StageName;
    /// The case file.
    fn file(&self) -> &CaseFile;
    /// The stage as the stored enum.
    fn into_case(self) -> Case;

    /// Records that an owed action was sent, with its reference (R-5). Allowed at every stage,
    /// closed included: meeting an obligation to a partner is a new entry, not an edit (R-17).
    fn mark_action_sent(
        self,
        action: OwedActionId,
        reference: Text,
        sent_at: DateTime<Utc>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        not_future("sent_at", sent_at, ctx)?;
        let current = owed_status(self.file(), action)?;
        if current.is_discharged() {
            return Err(DomainError::AlreadyDischarged {
                action,
                status: current.as_str(),
            });
        }
        let event = CaseEvent::OwedActionSent {
            action,
            reference,
            sent_at,
        };
        Ok(self.record(vec![event]))
    }

    /// Records that the recipient acknowledged a sent action (R-5).
    fn acknowledge_action(
        self,
        action: OwedActionId,
        acknowledged_at: DateTime<Utc>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        not_future("acknowledged_at", acknowledged_at, ctx)?;
        match owed_status(self.file(), action)? {
            OwedStatus::Sent { sent_at, .. } => {
                if acknowledged_at < *sent_at {
                    return Err(InputError::new(
                        "acknowledged_at",
                        format!("{acknowledged_at} is before the action was sent ({sent_at})"),
                    )
                    .into());
                }
            }
            OwedStatus::Owed => return Err(DomainError::NotSent { action }),
            other => {
                return Err(DomainError::AlreadyDischarged {
                    action,
                    status: other.as_str(),
                })
            }
        }
        let event = CaseEvent::OwedActionAcknowledged {
            action,
            acknowledged_at,
        };
        Ok(self.record(vec![event]))
    }

    /// Records why an owed action will not be sent (R-5: explained, never deleted).
    fn explain_action(
        self,
        action: OwedActionId,
        explanation: Text,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let current = owed_status(self.file(), action)?;
        if current.is_discharged() {
            return Err(DomainError::AlreadyDischarged {
                action,
                status: current.as_str(),
            });
        }
        let event = CaseEvent::OwedActionExplained {
            action,
            explanation,
            at: ctx.at,
        };
        Ok(self.record(vec![event]))
    }
}

fn approval_requested(step: GatedStep, ctx: &CommandContext<'_>) -> CaseEvent {
    CaseEvent::ApprovalRequested {
        approval: PendingApproval {
            id: ApprovalId::new(),
            step,
            requested_by: ctx.actor.id,
            requested_at: ctx.at,
        },
    }
}

/// The events of an approved override of assessment `index` (R-21, R-24), refusing a stale one:
/// the override applies to the assessment it was asked for, and only while it is the latest.
pub(crate) fn approved_override(
    file: &CaseFile,
    approval: ApprovalId,
    index: usize,
    level_override: RiskOverride,
    ctx: &CommandContext<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let Some(latest) = file
        .assessments
        .get(index)
        .filter(|_| index + 1 == file.assessments.len())
    else {
        return Err(DomainError::StaleApproval {
            approval,
            why: "a newer assessment has been recorded since it was asked for",
        });
    };
    let mut overridden = latest.clone();
    overridden.level = level_override.level;
    let mut events = vec![CaseEvent::RiskLevelOverridden {
        assessment: index,
        level_override,
        at: ctx.at,
    }];
    events.extend(assessment_events(file, &overridden, ctx));
    Ok(events)
}

pub(crate) fn require_manager(
    action: &'static str,
    ctx: &CommandContext<'_>,
) -> Result<(), DomainError> {
    if ctx.actor.role != Role::Manager {
        return Err(DomainError::ManagerRequired { action });
    }
    Ok(())
}

pub(crate) fn pending(
    file: &CaseFile,
    approval: ApprovalId,
) -> Result<&PendingApproval, DomainError> {
    file.pending
        .iter()
        .find(|p| p.id == approval)
        .ok_or(DomainError::UnknownApproval { approval })
}

fn owed_status(file: &CaseFile, action: OwedActionId) -> Result<&OwedStatus, DomainError> {
    file.owed
        .iter()
        .find(|a| a.id == action)
        .map(|a| &a.status)
        .ok_or(DomainError::UnknownOwedAction { action })
}

/// Stages where work on the referral or case is still going on: consent and professionals can
/// be recorded, and the young person can end it (R-6).
pub trait InProgress: Stage {
    /// Ends the referral or case because the young person declined or withdrew (R-6).
    fn end_by_young_person(self, ctx: &CommandContext<'_>) -> (Case, Vec<CaseEvent>);

    /// Asks a manager to approve `step` (R-24): the step is pending until approved or refused.
    fn request_approval(self, step: GatedStep, ctx: &CommandContext<'_>) -> Step<Self> {
        self.record(vec![approval_requested(step, ctx)])
    }

    /// Refuses a pending step, with the manager's reason (R-24).
    fn refuse_approval(
        self,
        approval: ApprovalId,
        reason: Text,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        require_manager("refuse an approval", ctx)?;
        pending(self.file(), approval)?;
        Ok(self.record(vec![CaseEvent::ApprovalRefused {
            approval,
            by: ctx.actor.id,
            reason,
            at: ctx.at,
        }]))
    }

    /// Records a professional as involved (R-13); they then must agree to a 'risk reduced'
    /// closure (R-16).
    fn record_professional(self, professional: Professional) -> Step<Self> {
        self.record(vec![CaseEvent::ProfessionalInvolved { professional }])
    }

    /// Records consent given, refused or withdrawn. When the young person refuses or withdraws
    /// consent to the referral or to engagement, the referral or case ends with that reason
    /// (R-6: the service is voluntary).
    fn record_consent(
        self,
        entry: ConsentEntry,
        ctx: &CommandContext<'_>,
    ) -> Result<(Case, Vec<CaseEvent>), DomainError> {
        not_future("entry.given_at", entry.given_at, ctx)?;
        let ends = entry.by == ConsentGiver::YoungPerson
            && entry.decision != ConsentDecision::Given
            && matches!(
                entry.scope,
                ConsentScope::Referral | ConsentScope::Engagement
            );
        let (stage, mut events) = self.record(vec![CaseEvent::ConsentRecorded { entry }]);
        if ends {
            let (case, more) = stage.end_by_young_person(ctx);
            events.extend(more);
            Ok((case, events))
        } else {
            Ok((stage.into_case(), events))
        }
    }
}

/// Stages before allocation, from which a referral can be withdrawn.
pub trait BeforeAllocation: InProgress {
    /// Withdraws the referral (by the referrer or the young person).
    fn withdraw(self, reason: Text, ctx: &CommandContext<'_>) -> Step<Withdrawn> {
        let events = vec![CaseEvent::ReferralWithdrawn { reason, at: ctx.at }];
        advance(self.into_file(), events, |file| Withdrawn { file })
    }
}

/// Stages with an allocated worker, from which a case can close.
pub trait HasWorker: InProgress {
    /// The allocation.
    fn allocation(&self) -> &Allocation;

    /// Closes the case with a typed reason (R-15). 'Risk significantly reduced' is refused
    /// here: it goes through [`Active::propose_closure`] and everyone's agreement (R-16).
    fn close(
        self,
        reason: ClosureReason,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Closed>, DomainError> {
        if reason == ClosureReason::RiskSignificantlyReduced {
            return Err(DomainError::ClosureNeedsProposal);
        }
        Ok(close_now(self, reason, ctx))
    }
}

fn close_now<S: HasWorker>(
    stage: S,
    reason: ClosureReason,
    ctx: &CommandContext<'_>,
) -> Step<Closed> {
    let allocation = stage.allocation().clone();
    let events = vec![CaseEvent::CaseClosed {
        reason: reason.clone(),
        at: ctx.at,
    }];
    advance(stage.into_file(), events, |file| Closed {
        file,
        allocation,
        reason,
        closed_at: ctx.at,
    })
}

macro_rules! stage {
    ($(#[$doc:meta])* $name:ident, $stage_name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            file: CaseFile,
            $($(#[$fdoc])* $field: $ty,)*
        }
        impl sealed::Sealed for $name {
            fn file_ref(&self) -> &CaseFile { &self.file }
            fn into_file(self) -> CaseFile { self.file }
            fn file_mut(&mut self) -> &mut CaseFile { &mut self.file }
        }
        impl Stage for $name {
            const NAME: StageName = StageName::$stage_name;
            fn file(&self) -> &CaseFile { self.file_ref() }
            fn into_case(self) -> Case { Case::$stage_name(self) }
        }
    };
}

stage!(
    /// A referral has arrived and awaits screening.
    Received, Received {}
);
stage!(
    /// Eligibility is screened; the risk assessment is next (R-4).
    Screened, Screened {}
);
stage!(
    /// Risk is assessed; an outcome can be given.
    Assessed, Assessed {}
);
stage!(
    /// Accepted for immediate support; waiting for a worker.
    AwaitingAllocation, AwaitingAllocation {}
);
stage!(
    /// Accepted onto the waiting list (R-7).
    OnWaitingList, WaitingList {}
);
stage!(
    /// Signposted to other support (terminal).
    Signposted, Signposted {}
);
stage!(
    /// Declined (terminal).
    Declined, Declined {}
);
stage!(
    /// Withdrawn before allocation (terminal).
    Withdrawn, Withdrawn {}
);
stage!(
    /// A worker holds the case; the plan is not yet agreed.
    Allocated, Allocated { allocation: Allocation }
);
stage!(
    /// The plan is agreed with the young person.
    Engaged, Engaged { allocation: Allocation }
);
stage!(
    /// Work is under way.
    Active, Active { allocation: Allocation }
);
stage!(
    /// Work is paused (no contact, missing).
    Paused, Paused { allocation: Allocation, reason: PauseReason, paused_at: DateTime<Utc> }
);
stage!(
    /// Closure for 'risk significantly reduced' is proposed and awaits agreement (R-16).
    Closing, Closing { allocation: Allocation, agreed: Vec<Party>, proposed_at: DateTime<Utc> }
);
stage!(
    /// Closed (R-15). Never edited (R-17): the only entries it still takes are the discharge of
    /// actions owed to partners.
    Closed, Closed { allocation: Allocation, reason: ClosureReason, closed_at: DateTime<Utc> }
);

macro_rules! in_progress_before_allocation {
    ($($name:ident),*) => {$(
        impl InProgress for $name {
            fn end_by_young_person(self, ctx: &CommandContext<'_>) -> (Case, Vec<CaseEvent>) {
                let reason = Text::parse("reason", "the young person declined or withdrew consent")
                    .expect("literal is not empty");
                let (stage, events) = self.withdraw(reason, ctx);
                (stage.into_case(), events)
            }
        }
        impl BeforeAllocation for $name {}
    )*};
}
in_progress_before_allocation!(
    Received,
    Screened,
    Assessed,
    AwaitingAllocation,
    OnWaitingList
);

macro_rules! in_progress_allocated {
    ($($name:ident),*) => {$(
        impl InProgress for $name {
            fn end_by_young_person(self, ctx: &CommandContext<'_>) -> (Case, Vec<CaseEvent>) {
                let (stage, events) = close_now(self, ClosureReason::YoungPersonWithdrew, ctx);
                (stage.into_case(), events)
            }
        }
        impl HasWorker for $name {
            fn allocation(&self) -> &Allocation { &self.allocation }
        }
    )*};
}
in_progress_allocated!(Allocated, Engaged, Active, Paused, Closing);

impl Received {
    /// Receives a referral about `young_person`: the case begins. A self-referral is consent
    /// (R-1); every referral owes a notification to the integrated safeguarding unit (R-5).
    pub fn open(
        case: CaseId,
        young_person: &YoungPerson,
        referral: NewReferral,
        previous_case: Option<CaseId>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Received>, DomainError> {
        not_future("received_at", referral.received_at, ctx)?;
        let received_at = referral.received_at;
        let is_self = referral.source.is_self();
        let opened = CaseEvent::ReferralReceived {
            case,
            young_person: young_person.id,
            source: referral.source,
            subject: young_person.details.clone(),
            concerns: referral.concerns,
            received_at,
            previous_case,
            service: ctx.profile.name.clone(),
        };
        let file = CaseFile::open(&opened).expect("opening event opens a file");
        let mut events = vec![opened];
        if is_self {
            events.push(CaseEvent::ConsentRecorded {
                entry: ConsentEntry {
                    scope: ConsentScope::Referral,
                    decision: ConsentDecision::Given,
                    by: ConsentGiver::YoungPerson,
                    method: ConsentMethod::SelfReferral,
                    purpose: Text::parse("purpose", "self-referral to the service")
                        .expect("literal is not empty"),
                    given_at: received_at,
                },
            });
        }
        events.push(owe(
            OwedActionKind::NotifySafeguardingUnit,
            &ctx.profile.owed_actions.safeguarding_unit,
            received_at,
        ));
        // The opening event built the file; apply only what follows it.
        let (stage, rest) = advance(file, events.split_off(1), |file| Received { file });
        events.extend(rest);
        Ok((stage, events))
    }

    /// Screens eligibility against the profile on the referral date (R-2).
    pub fn screen(self, ctx: &CommandContext<'_>) -> Step<Screened> {
        let screening = ctx
            .profile
            .eligibility
            .screen(&self.file.subject, self.file.received_at.date_naive());
        advance(
            self.file,
            vec![CaseEvent::EligibilityScreened { screening }],
            |file| Screened { file },
        )
    }
}

impl Screened {
    /// Assesses risk with the profile's tool (R-4, R-21). A Medium or High level owes a referral
    /// to the duty social work team (R-5).
    pub fn assess(
        self,
        indicators: &[IndicatorAnswer],
        worker_override: Option<RiskOverride>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Assessed>, DomainError> {
        let (assessment, gated) = assess(&self.file, indicators, worker_override, ctx)?;
        let mut events = assessment_events(&self.file, &assessment, ctx);
        events.insert(0, CaseEvent::RiskAssessed { assessment });
        events.extend(gated.map(|step| approval_requested(step, ctx)));
        Ok(advance(self.file, events, |file| Assessed { file }))
    }
}

impl Assessed {
    fn outcome_events(&self, outcome: Outcome, ctx: &CommandContext<'_>) -> Vec<CaseEvent> {
        vec![
            CaseEvent::OutcomeGiven {
                outcome,
                at: ctx.at,
            },
            owe(
                OwedActionKind::CommunicateOutcome,
                &ctx.profile.owed_actions.outcome_to_referrer,
                ctx.at,
            ),
        ]
    }

    /// R-1 and R-2 guard every acceptance.
    fn check_acceptable(&self) -> Result<(), DomainError> {
        if let Some(screening) = &self.file.screening {
            if !screening.is_eligible() {
                return Err(DomainError::Ineligible {
                    reasons: screening.reasons.clone(),
                });
            }
        }
        if !self.file.consent.permits(&ConsentScope::Referral) {
            return Err(DomainError::PermissionMissing);
        }
        Ok(())
    }

    /// Accepts for immediate support (R-1, R-2); the referrer is owed the outcome (R-4).
    pub fn accept_for_support(
        self,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<AwaitingAllocation>, DomainError> {
        self.check_acceptable()?;
        let events = self.outcome_events(Outcome::ImmediateSupport, ctx);
        Ok(advance(self.file, events, |file| AwaitingAllocation {
            file,
        }))
    }

    /// Accepts onto the waiting list (R-1, R-2, R-7); the referrer is owed the outcome (R-4).
    pub fn add_to_waiting_list(
        self,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<OnWaitingList>, DomainError> {
        self.check_acceptable()?;
        let events = self.outcome_events(Outcome::WaitingList, ctx);
        Ok(advance(self.file, events, |file| OnWaitingList { file }))
    }

    /// Signposts to other support (R-3). Without a stated reason, an ineligible referral is
    /// signposted with its screening reasons; without a stated service, the profile's
    /// signposting rule for those reasons names one. An eligible referral needs a reason.
    pub fn signpost(
        self,
        reason: Option<Text>,
        to: Option<PartnerService>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Signposted>, DomainError> {
        let reasons = self
            .file
            .screening
            .as_ref()
            .map(|s| s.reasons.clone())
            .unwrap_or_default();
        let reason = match reason {
            Some(reason) => reason,
            None if !reasons.is_empty() => {
                let words = reasons
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("; ");
                Text::parse("reason", words)?
            }
            None => return Err(DomainError::ReasonRequired),
        };
        let kinds: Vec<_> = reasons.iter().map(|r| r.kind()).collect();
        let to = to.or_else(|| ctx.profile.signpost_for(&kinds).cloned());
        let events = self.outcome_events(Outcome::Signposted { reason, to }, ctx);
        Ok(advance(self.file, events, |file| Signposted { file }))
    }

    /// Declines with a reason (R-3); the referrer is owed the outcome (R-4).
    pub fn decline(self, reason: Text, ctx: &CommandContext<'_>) -> Step<Declined> {
        let events = self.outcome_events(Outcome::Declined { reason }, ctx);
        advance(self.file, events, |file| Declined { file })
    }
}

fn allocation(
    worker: StaffId,
    worker_name: Text,
    out_of_order_reason: Option<Text>,
    ctx: &CommandContext<'_>,
) -> Allocation {
    Allocation {
        worker,
        worker_name,
        at: ctx.at,
        out_of_order_reason,
    }
}

impl AwaitingAllocation {
    /// Allocates a worker.
    pub fn allocate(
        self,
        worker: StaffId,
        worker_name: Text,
        ctx: &CommandContext<'_>,
    ) -> Step<Allocated> {
        let allocation = allocation(worker, worker_name, None, ctx);
        let events = vec![CaseEvent::CaseAllocated {
            allocation: allocation.clone(),
        }];
        advance(self.file, events, |file| Allocated { file, allocation })
    }
}

impl OnWaitingList {
    /// Whether the case is at the head of the waiting list in `ctx` (R-7).
    pub fn is_at_head(&self, ctx: &CommandContext<'_>) -> bool {
        ctx.waiting_list_head
            .is_none_or(|head| head == self.file.id)
    }

    /// Allocates a worker from the waiting list. Allocation takes from the head (R-7); taking a
    /// case that is not at the head needs a manager and a recorded reason.
    pub fn allocate(
        self,
        worker: StaffId,
        worker_name: Text,
        out_of_order_reason: Option<Text>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Allocated>, DomainError> {
        let at_head = self.is_at_head(ctx);
        let out_of_order_reason = if at_head {
            None
        } else {
            match out_of_order_reason {
                Some(reason) if ctx.actor.role == Role::Manager => Some(reason),
                _ => {
                    return Err(DomainError::OutOfWaitingListOrder {
                        case: self.file.id,
                        head: ctx.waiting_list_head.unwrap_or(self.file.id),
                    })
                }
            }
        };
        let allocation = allocation(worker, worker_name, out_of_order_reason, ctx);
        let events = vec![CaseEvent::CaseAllocated {
            allocation: allocation.clone(),
        }];
        Ok(advance(self.file, events, |file| Allocated {
            file,
            allocation,
        }))
    }
}

impl Allocated {
    /// Records the plan agreed with the young person: engaged. Engagement is voluntary (R-6):
    /// the plan has no field that could make it a statutory requirement.
    pub fn agree_plan(self, plan: Confidential<Text>, ctx: &CommandContext<'_>) -> Step<Engaged> {
        let allocation = self.allocation;
        let events = vec![CaseEvent::PlanAgreed { plan, at: ctx.at }];
        advance(self.file, events, |file| Engaged { file, allocation })
    }
}

impl Engaged {
    /// Work begins; the first review falls due on the profile's cadence (R-12). There is no
    /// time limit (R-14).
    pub fn begin_work(self, ctx: &CommandContext<'_>) -> Step<Active> {
        let level = self.file.current_risk().unwrap_or(RiskLevel::Medium);
        let events = vec![CaseEvent::WorkBegun {
            at: ctx.at,
            first_review_due: review_due(level, ctx.at, ctx),
        }];
        let allocation = self.allocation;
        advance(self.file, events, |file| Active { file, allocation })
    }
}

impl Active {
    /// Pauses work (no contact, missing).
    pub fn pause(self, reason: PauseReason, ctx: &CommandContext<'_>) -> Step<Paused> {
        let events = vec![CaseEvent::CasePaused {
            reason: reason.clone(),
            at: ctx.at,
        }];
        let allocation = self.allocation;
        advance(self.file, events, |file| Paused {
            file,
            allocation,
            reason,
            paused_at: ctx.at,
        })
    }

    /// Records a review with a fresh risk assessment (R-12); the next review falls due on the
    /// cadence for the new level.
    pub fn record_review(
        self,
        indicators: &[IndicatorAnswer],
        worker_override: Option<RiskOverride>,
        decision: ReviewDecision,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Active>, DomainError> {
        let (assessment, gated) = assess(&self.file, indicators, worker_override, ctx)?;
        let mut events = vec![CaseEvent::ReviewRecorded {
            review: Review {
                next_due: review_due(assessment.level, ctx.at, ctx),
                assessment: assessment.clone(),
                decision,
                at: ctx.at,
            },
        }];
        events.extend(assessment_events(&self.file, &assessment, ctx));
        events.extend(gated.map(|step| approval_requested(step, ctx)));
        Ok(self.record(events))
    }

    /// Proposes closure because risk is significantly reduced; the case is closing until the
    /// young person and every involved professional agree (R-16).
    pub fn propose_closure(self, ctx: &CommandContext<'_>) -> Step<Closing> {
        let allocation = self.allocation;
        let events = vec![CaseEvent::ClosureProposed { at: ctx.at }];
        advance(self.file, events, |file| Closing {
            file,
            allocation,
            agreed: Vec::new(),
            proposed_at: ctx.at,
        })
    }
}

impl Paused {
    /// Resumes work.
    pub fn resume(self, ctx: &CommandContext<'_>) -> Step<Active> {
        let allocation = self.allocation;
        advance(
            self.file,
            vec![CaseEvent::CaseResumed { at: ctx.at }],
            |file| Active { file, allocation },
        )
    }
}

impl Closing {
    /// Who must still agree (R-16): the young person and every professional recorded as
    /// involved, including any recorded after the proposal.
    pub fn missing_agreements(&self) -> Vec<Party> {
        self.file
            .closure_parties()
            .into_iter()
            .filter(|p| !self.agreed.contains(p))
            .collect()
    }

    /// Records a party's agreement (R-16).
    pub fn record_agreement(
        mut self,
        party: Party,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Closing>, DomainError> {
        if !self.file.closure_parties().contains(&party) {
            return Err(DomainError::NotAParty { party });
        }
        if !self.agreed.contains(&party) {
            self.agreed.push(party);
        }
        Ok(self.record(vec![CaseEvent::ClosureAgreed { party, at: ctx.at }]))
    }

    /// Closes for 'risk significantly reduced' once everyone has agreed (R-16).
    pub fn complete(self, ctx: &CommandContext<'_>) -> Result<Step<Closed>, DomainError> {
        let missing = self.missing_agreements();
        if !missing.is_empty() {
            return Err(DomainError::AgreementsMissing { missing });
        }
        if needs_approval(ctx.profile.approvals.closure, ctx) {
            return Err(DomainError::ApprovalRequired {
                step: "complete_closure",
            });
        }
        Ok(close_now(
            self,
            ClosureReason::RiskSignificantlyReduced,
            ctx,
        ))
    }

    /// Withdraws the proposal (someone disagrees); work continues.
    pub fn withdraw_proposal(self, reason: Text, ctx: &CommandContext<'_>) -> Step<Active> {
        let allocation = self.allocation;
        let events = vec![CaseEvent::ClosureProposalWithdrawn { reason, at: ctx.at }];
        advance(self.file, events, |file| Active { file, allocation })
    }

    /// Who has agreed so far.
    pub fn agreed(&self) -> &[Party] {
        &self.agreed
    }
}

impl Closed {
    /// Why the case closed.
    pub fn reason(&self) -> &ClosureReason {
        &self.reason
    }

    /// When it closed.
    pub fn closed_at(&self) -> DateTime<Utc> {
        self.closed_at
    }
}

impl Paused {
    /// Why work paused.
    pub fn reason(&self) -> &PauseReason {
        &self.reason
    }
}

pub(crate) fn received_from_file(file: CaseFile) -> Received {
    Received { file }
}

/// The allocation of any stage that has one.
pub(crate) fn allocation_of(case: &Case) -> Option<&Allocation> {
    match case {
        Case::Allocated(s) => Some(&s.allocation),
        Case::Engaged(s) => Some(&s.allocation),
        Case::Active(s) => Some(&s.allocation),
        Case::Paused(s) => Some(&s.allocation),
        Case::Closing(s) => Some(&s.allocation),
        Case::Closed(s) => Some(&s.allocation),
        _ => None,
    }
}

/// Rebuilds the next stage from a stored event: the fold's half of each transition.
/// `None` when the event cannot follow the stage (a corrupt or foreign history).
pub(crate) fn evolve(case: Case, event: &CaseEvent) -> Option<Case> {
    use CaseEvent as E;
    let next = match (case, event) {
        (Case::Received(s), E::EligibilityScreened { .. }) => {
            Case::Screened(Screened { file: s.file })
        }
        (Case::Screened(s), E::RiskAssessed { .. }) => Case::Assessed(Assessed { file: s.file }),
        (Case::Assessed(s), E::OutcomeGiven { outcome, .. }) => match outcome {
            Outcome::ImmediateSupport => {
                Case::AwaitingAllocation(AwaitingAllocation { file: s.file })
            }
            Outcome::WaitingList => Case::WaitingList(OnWaitingList { file: s.file }),
            Outcome::Signposted { .. } => Case::Signposted(Signposted { file: s.file }),
            Outcome::Declined { .. } => Case::Declined(Declined { file: s.file }),
        },
        (
            case @ (Case::Received(_)
            | Case::Screened(_)
            | Case::Assessed(_)
            | Case::AwaitingAllocation(_)
            | Case::WaitingList(_)),
            E::ReferralWithdrawn { .. },
        ) => Case::Withdrawn(Withdrawn {
            file: case.into_file(),
        }),
        (
            case @ (Case::AwaitingAllocation(_) | Case::WaitingList(_)),
            E::CaseAllocated { allocation },
        ) => Case::Allocated(Allocated {
            file: case.into_file(),
            allocation: allocation.clone(),
        }),
        (Case::Allocated(s), E::PlanAgreed { .. }) => Case::Engaged(Engaged {
            file: s.file,
            allocation: s.allocation,
        }),
        (Case::Engaged(s), E::WorkBegun { .. }) => Case::Active(Active {
            file: s.file,
            allocation: s.allocation,
        }),
        (Case::Active(s), E::CasePaused { reason, at }) => Case::Paused(Paused {
            file: s.file,
            allocation: s.allocation,
            reason: reason.clone(),
            paused_at: *at,
        }),
        (Case::Paused(s), E::CaseResumed { .. }) => Case::Active(Active {
            file: s.file,
            allocation: s.allocation,
        }),
        (Case::Active(s), E::ClosureProposed { at }) => Case::Closing(Closing {
            file: s.file,
            allocation: s.allocation,
            agreed: Vec::new(),
            proposed_at: *at,
        }),
        (Case::Closing(mut s), E::ClosureAgreed { party, .. }) => {
            if !s.agreed.contains(party) {
                s.agreed.push(*party);
            }
            Case::Closing(s)
        }
        (Case::Closing(s), E::ClosureProposalWithdrawn { .. }) => Case::Active(Active {
            file: s.file,
            allocation: s.allocation,
        }),
        (
            case @ (Case::Allocated(_)
            | Case::Engaged(_)
            | Case::Active(_)
            | Case::Paused(_)
            | Case::Closing(_)),
            E::CaseClosed { reason, at },
        ) => {
            let allocation = allocation_of(&case).cloned()?;
            if *reason == ClosureReason::RiskSignificantlyReduced
                && !matches!(case, Case::Closing(_))
            {
                return None;
            }
            Case::Closed(Closed {
                file: case.into_file(),
                allocation,
                reason: reason.clone(),
                closed_at: *at,
            })
        }
        // Entries that keep the stage: owed actions at any stage; the rest while in progress.
        (
            case,
            E::OwedActionRaised { .. }
            | E::OwedActionSent { .. }
            | E::OwedActionAcknowledged { .. }
            | E::OwedActionExplained { .. },
        ) => case,
        (
            case,
            E::ConsentRecorded { .. }
            | E::ProfessionalInvolved { .. }
            | E::ApprovalRequested { .. }
            | E::ApprovalGiven { .. }
            | E::ApprovalRefused { .. }
            | E::RiskLevelOverridden { .. },
        ) if case.is_in_progress() => case,
        (case @ Case::Active(_), E::ReviewRecorded { .. }) => case,
        _ => return None,
    };
    Some(next)
}
