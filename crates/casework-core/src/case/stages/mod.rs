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
//!
//! The day-to-day work keeps the stage, and each stage takes what fits it:
//!
//! | step | stages |
//! |---|---|
//! | meetings (R-13), contact episodes | every stage in progress ([`InProgress`]) |
//! | programme, cadence (R-11), referrals out; moving to another worker (R-25) | allocated to closing ([`HasWorker`]) |
//! | goals; holding, cancelling or missing a planned session | engaged, active, paused, closing ([`UnderWay`]) |
//! | planning a session (R-11) | engaged, active, closing (not while paused) |
//!
//! A closed case takes none of them (R-17).
//!
//! The folder is split by phase, so that what can happen at each is one file: `intake.rs`, from
//! referral to allocation (screening, assessment, outcomes, the waiting list, allocation);
//! `work.rs`, with a worker (the plan, work, pauses, reviews, the proposal to close);
//! `closure.rs`, closing and the closed case. This file keeps what they share: the stage list the
//! `stage!` macro turns into structs, the sealed `Stage` trait, the group traits with the
//! day-to-day steps of the table above and their impls, the fold, and the helpers more than one
//! phase uses. The phases are child modules because children of a module may use its private
//! helpers, the stages' private fields and the sealed trait: they can build stages, and still
//! no code outside this module can.

mod closure;
mod intake;
mod work;

use super::activity::{
    Cadence, CadenceBasis, CancelledBy, Contact, ContactKind, ContactWith, Direction, GoalStatus,
    Meeting, MeetingAction, MeetingKind, PartnerKind, PartnerReferral, PartnerReferralStatus,
    PartnerReferralUpdate, Session, SessionPlace, SessionStatus,
};
use super::events::CaseEvent;
use super::file::CaseFile;
use super::model::{
    Allocation, ClosureReason, GatedStep, Outcome, Party, PauseReason, PendingApproval,
    Professional,
};
use super::{Case, StageName};
use crate::case::consent::{ConsentDecision, ConsentEntry, ConsentGiver, ConsentScope};
use crate::case::owed::{OwedAction, OwedActionKind, OwedStatus};
use crate::kernel::actor::Role;
use crate::kernel::confidential::NewConfidential;
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{
    ApprovalId, ContactId, GoalId, MeetingId, OwedActionId, PartnerReferralId, SessionId, StaffId,
};
use crate::kernel::input::{quoted, InputError, Text};
use crate::policy::profile::OwedTo;
use crate::policy::programme::{Programme, ProgrammeKind, Span};
use crate::policy::risk::{
    AssessmentSubject, IndicatorAnswer, RiskAssessment, RiskLevel, RiskOverride,
};
use crate::policy::topic::{check_topics, SessionTopic};
use chrono::{DateTime, Duration, Utc};
pub(crate) use closure::close_now;
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
    worker_override: Option<RiskOverride<NewConfidential>>,
    ctx: &CommandContext<'_>,
) -> Result<(RiskAssessment, Option<GatedStep>), InputError> {
    let (applied, gated) = match worker_override {
        Some(o) if needs_approval(ctx.profile.approvals.risk_override, ctx) => (
            None,
            Some(GatedStep::RiskOverride {
                assessment: file.assessments.len(),
                level_override: o.seal(),
            }),
        ),
        other => (other, None),
    };
    Ok((assess_with(file, indicators, applied, ctx)?, gated))
}

fn assess_with(
    file: &CaseFile,
    indicators: &[IndicatorAnswer],
    worker_override: Option<RiskOverride<NewConfidential>>,
    ctx: &CommandContext<'_>,
) -> Result<RiskAssessment, InputError> {
    let subject = AssessmentSubject {
        age: file.subject.age_on(ctx.today()),
        learning_difficulty: file.subject.learning_difficulty,
    };
    ctx.profile
        .risk_tool
        .assess_on(indicators, subject, worker_override, ctx.at, ctx.today())
}

/// The programme the case is on, as the profile defines it.
fn programme_of<'a>(file: &CaseFile, ctx: &CommandContext<'a>) -> Option<&'a Programme> {
    file.activity
        .programme
        .as_deref()
        .and_then(|key| ctx.profile.programme(key))
}

/// The programmes whose topics a session may use: the case's programme, or, with none, every
/// programme of the service.
fn offered_programmes<'a>(file: &CaseFile, ctx: &CommandContext<'a>) -> Vec<&'a Programme> {
    match programme_of(file, ctx) {
        Some(p) => vec![p],
        None => ctx.profile.programmes.iter().collect(),
    }
}

/// `at` must not be before the referral arrived: nothing happens on a case before it exists.
fn not_before_referral(field: &str, at: DateTime<Utc>, file: &CaseFile) -> Result<(), InputError> {
    if at < file.received_at {
        return Err(InputError::new(
            field,
            format!(
                "{at} is before the referral was received ({})",
                file.received_at
            ),
        ));
    }
    Ok(())
}

fn planned_session(file: &CaseFile, session: SessionId) -> Result<&Session, InputError> {
    let found = file
        .activity
        .session(session)
        .ok_or_else(|| InputError::new("session", format!("the case has no session {session}")))?;
    if !matches!(found.status, SessionStatus::Planned) {
        return Err(InputError::new(
            "session",
            format!(
                "session {session} is already {}; only a planned session can be held, cancelled or missed",
                found.status.as_str().replace('_', " ")
            ),
        ));
    }
    Ok(found)
}

fn open_goal(file: &CaseFile, goal: GoalId) -> Result<&super::activity::Goal, InputError> {
    let found = file
        .activity
        .goal(goal)
        .ok_or_else(|| InputError::new("goal", format!("the case has no goal {goal}")))?;
    match &found.status {
        GoalStatus::Open => Ok(found),
        GoalStatus::Achieved { at } => Err(InputError::new(
            "goal",
            format!(
                "goal {goal} was already achieved on {}",
                at.format("%Y-%m-%d")
            ),
        )),
        GoalStatus::Dropped { at, .. } => Err(InputError::new(
            "goal",
            format!(
                "goal {goal} was already dropped on {}",
                at.format("%Y-%m-%d")
            ),
        )),
    }
}

fn check_span(field: &str, span: Option<Span>) -> Result<(), InputError> {
    match span {
        Some(s) if s.min > s.max => Err(InputError::new(
            format!("{field}.min"),
            format!("{} is more than max {}", s.min, s.max),
        )),
        _ => Ok(()),
    }
}

/// The events of planning a session (R-11), shared by the stages that plan sessions.
fn plan_session_events(
    file: &CaseFile,
    planned_for: DateTime<Utc>,
    place: SessionPlace,
    place_chosen_by_young_person: bool,
    topics: Vec<SessionTopic>,
    ctx: &CommandContext<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    not_before_referral("planned_for", planned_for, file)?;
    check_topics("topics", &topics, offered_programmes(file, ctx))?;
    Ok(vec![CaseEvent::SessionPlanned {
        session: SessionId::new(),
        planned_for,
        place,
        place_chosen_by_young_person,
        topics,
        at: ctx.at,
    }])
}

/// What happened at a session that was held: the fields of [`UnderWay::hold_session`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSession {
    /// When it started: not before it was planned, not in the future.
    pub held_at: DateTime<Utc>,
    /// How long it lasted, in minutes (1 to 720).
    pub duration_minutes: u32,
    /// Where, if not where planned.
    pub place: Option<SessionPlace>,
    /// The topics covered; the planned topics when empty.
    pub topics: Vec<SessionTopic>,
    /// The resources used (visible: the service's own packs).
    pub resources: Vec<Text>,
    /// What was said and done (confidential, R-8).
    pub note: NewConfidential,
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

    /// The private half of the stages with a worker: only a transition may change who holds
    /// the case (R-25, R-27).
    pub trait HeldBy: Sealed {
        fn allocation_mut(&mut self) -> &mut Allocation;
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
    ///
    /// # Errors
    ///
    /// - [`DomainError::Input`] (`bad_input`) on `sent_at` when it is later than the command's time
    ///   (`ctx.at`).
    /// - [`DomainError::UnknownOwedAction`] (`unknown_owed_action`, R-5) when the case has no owed
    ///   action `action`.
    /// - [`DomainError::AlreadyDischarged`] (`already_discharged`, R-5) when it is already sent,
    ///   acknowledged or explained.
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
    ///
    /// # Errors
    ///
    /// - [`DomainError::Input`] (`bad_input`) on `acknowledged_at` when it is later than the
    ///   command's time, or earlier than the action was sent.
    /// - [`DomainError::UnknownOwedAction`] (`unknown_owed_action`, R-5) when the case has no owed
    ///   action `action`.
    /// - [`DomainError::NotSent`] (`not_sent`, R-5) when the action is still owed.
    /// - [`DomainError::AlreadyDischarged`] (`already_discharged`, R-5) when it is already
    ///   acknowledged or explained.
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
    ///
    /// # Errors
    ///
    /// - [`DomainError::UnknownOwedAction`] (`unknown_owed_action`, R-5) when the case has no owed
    ///   action `action`.
    /// - [`DomainError::AlreadyDischarged`] (`already_discharged`, R-5) when it is already sent,
    ///   acknowledged or explained.
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

/// Stages where work on the referral or case is still going on: consent, professionals,
/// multi-agency meetings and contact episodes can be recorded, and the young person can end it
/// (R-6).
pub trait InProgress: Stage {
    /// Ends the referral or case because the young person declined or withdrew (R-6).
    fn end_by_young_person(self, ctx: &CommandContext<'_>) -> (Case, Vec<CaseEvent>);

    /// Asks a manager to approve `step` (R-24): the step is pending until approved or refused.
    fn request_approval(self, step: GatedStep, ctx: &CommandContext<'_>) -> Step<Self> {
        self.record(vec![approval_requested(step, ctx)])
    }

    /// Refuses a pending step, with the manager's reason (R-24).
    ///
    /// # Errors
    ///
    /// - [`DomainError::ManagerRequired`] (`manager_required`, R-24) when the actor is not a
    ///   manager.
    /// - [`DomainError::UnknownApproval`] (`unknown_approval`, R-24) when the case has no pending
    ///   approval `approval`.
    fn refuse_approval(
        self,
        approval: ApprovalId,
        reason: NewConfidential,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        require_manager("refuse an approval", ctx)?;
        pending(self.file(), approval)?;
        Ok(self.record(vec![CaseEvent::ApprovalRefused {
            approval,
            by: ctx.actor.id,
            reason: reason.seal(),
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
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) on `entry.given_at` when it is later than the command's
    /// time.
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

    /// Records a multi-agency meeting and whether the service attended (R-13).
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) on `held_at` when it is later than the command's time.
    fn record_meeting(
        self,
        kind: MeetingKind,
        held_at: DateTime<Utc>,
        service_attended: bool,
        actions: Vec<MeetingAction<NewConfidential>>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        not_future("held_at", held_at, ctx)?;
        let meeting = Meeting {
            id: MeetingId::new(),
            kind,
            held_at,
            service_attended,
            actions: actions.into_iter().map(MeetingAction::seal).collect(),
        };
        Ok(self.record(vec![CaseEvent::MeetingRecorded { meeting }]))
    }

    /// Records a contact episode: a call, text, visit or drop-in (R-11), with the young person
    /// or anyone else; with a professional, they must be recorded as involved, as the referring
    /// professional always is (R-13).
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): on `at` when it is later than the command's time or
    /// earlier than the referral was received; on `with.id` when the contact is with a professional
    /// not recorded as involved in the case (R-13).
    fn record_contact(
        self,
        kind: ContactKind,
        direction: Direction,
        with: ContactWith,
        at: DateTime<Utc>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        not_future("at", at, ctx)?;
        not_before_referral("at", at, self.file())?;
        if let ContactWith::Professional { id } = &with {
            if !self.file().is_involved(*id) {
                return Err(InputError::new(
                    "with.id",
                    format!(
                        "professional {id} is not recorded as involved in this case; record them first (R-13)"
                    ),
                )
                .into());
            }
        }
        let contact = Contact {
            id: ContactId::new(),
            kind,
            direction,
            with,
            at,
        };
        Ok(self.record(vec![CaseEvent::ContactRecorded { contact }]))
    }
}

/// Stages before allocation, from which a referral can be withdrawn.
pub trait BeforeAllocation: InProgress {
    /// Withdraws the referral (by the referrer or the young person).
    fn withdraw(self, reason: NewConfidential, ctx: &CommandContext<'_>) -> Step<Withdrawn> {
        let events = vec![CaseEvent::ReferralWithdrawn {
            reason: reason.seal(),
            at: ctx.at,
        }];
        advance(self.into_file(), events, |file| Withdrawn { file })
    }
}

/// Stages with an allocated worker, from which a case can close and move to another worker.
pub trait HasWorker: InProgress + sealed::HeldBy {
    /// The allocation.
    fn allocation(&self) -> &Allocation;

    /// Moves the case to another worker, with the reason (R-25). The stage, the work and the
    /// history stay as they are; from now the case is `worker`'s: their caseload lists it and
    /// they are its allocated worker (R-27), and the previous worker is neither. The allocation
    /// that ended is kept in the event and in the file's
    /// [`reallocations`](CaseFile::reallocations).
    ///
    /// Refused, naming the field `worker`, when `worker` already holds the case; refused with
    /// `ApprovalRequired` when the profile gates reallocation (`approvals.reallocation`, R-24)
    /// and the actor is not a manager: the step is then requested and approved instead.
    ///
    /// # Errors
    ///
    /// - [`DomainError::SameWorker`] (`same_worker`, R-25) when `worker` already holds the case.
    /// - [`DomainError::ApprovalRequired`] (`approval_required`, R-24, step `reallocate`) when the
    ///   profile gates reallocation and the actor is not a manager.
    fn reallocate(
        mut self,
        worker: StaffId,
        worker_name: Text,
        reason: Text,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let from = self.allocation().clone();
        if from.worker == worker {
            return Err(DomainError::SameWorker { worker });
        }
        if needs_approval(ctx.profile.approvals.reallocation, ctx) {
            return Err(DomainError::ApprovalRequired { step: "reallocate" });
        }
        let to = Allocation {
            worker,
            worker_name,
            at: ctx.at,
            out_of_order_reason: None,
        };
        *self.allocation_mut() = to.clone();
        Ok(self.record(vec![CaseEvent::CaseReallocated { from, to, reason }]))
    }

    /// Closes the case with a typed reason (R-15). 'Risk significantly reduced' is refused
    /// here: it goes through [`Active::propose_closure`] and everyone's agreement (R-16).
    ///
    /// # Errors
    ///
    /// [`DomainError::ClosureNeedsProposal`] (`closure_needs_proposal`, R-16) when `reason` is
    /// [`ClosureReason::RiskSignificantlyReduced`].
    fn close(
        self,
        reason: ClosureReason<NewConfidential>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Closed>, DomainError> {
        if matches!(reason, ClosureReason::RiskSignificantlyReduced) {
            return Err(DomainError::ClosureNeedsProposal);
        }
        Ok(close_now(self, reason.seal(), ctx))
    }

    /// Puts the case on one of the service's programmes (R-11, R-14): its cadence applies from
    /// now, and, with work under way, the next review falls due on its review cadence (R-12).
    /// A programme narrower than the service (intensive work for 16-21) screens the young person
    /// on today's date (R-2); a workshop programme is not casework.
    ///
    /// # Errors
    ///
    /// - [`DomainError::Input`] (`bad_input`) on `programme` when it is not one of the profile's
    ///   programmes, is a workshop programme, or is the programme the case is already on.
    /// - [`DomainError::Ineligible`] (`ineligible`, R-2), with every reason, when the programme has
    ///   its own eligibility and the young person fails it on today's date.
    fn assign_programme(
        self,
        programme: String,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let file = self.file();
        let Some(found) = ctx.profile.programme(&programme) else {
            let keys: Vec<_> = ctx
                .profile
                .programmes
                .iter()
                .map(|p| format!("`{}`", p.key))
                .collect();
            return Err(InputError::new(
                "programme",
                format!(
                    "{} is not one of the service's programmes ({})",
                    quoted(&programme),
                    if keys.is_empty() {
                        "it has none".to_owned()
                    } else {
                        keys.join(", ")
                    }
                ),
            )
            .into());
        };
        if found.kind == ProgrammeKind::Workshops {
            return Err(InputError::new(
                "programme",
                format!("`{programme}` is a workshop programme: workshops are recorded as workshops, not as a case's programme"),
            )
            .into());
        }
        if file.activity.programme.as_deref() == Some(programme.as_str()) {
            return Err(InputError::new(
                "programme",
                format!("the case is already on `{programme}`"),
            )
            .into());
        }
        if let Some(eligibility) = &found.eligibility {
            let screening = eligibility.screen(&file.subject, ctx.today());
            if !screening.is_eligible() {
                return Err(DomainError::Ineligible {
                    reasons: screening.reasons,
                });
            }
        }
        let next_review_due = match (file.activity.work_begun_at, &found.reviews) {
            (Some(begun), Some(cadence)) if file.activity.ended_at.is_none() => {
                let from = file.reviews.last().map_or(begun, |r| r.at);
                let level = file.current_risk().unwrap_or(RiskLevel::Medium);
                Some(from + Duration::days(i64::from(cadence.days_for(level))))
            }
            _ => None,
        };
        let event = CaseEvent::ProgrammeAssigned {
            cadence: Cadence::of(found),
            programme,
            at: ctx.at,
            next_review_due,
        };
        Ok(self.record(vec![event]))
    }

    /// Changes the case's cadence for learning style, risk or another reason, which is
    /// recorded (R-11). Expected sessions and contacts follow the new cadence from now.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): on `cadence.sessions_per_week.min` or
    /// `cadence.contacts_per_day.min` when a span's `min` is more than its `max`; on `cadence` when
    /// it gives neither sessions a week nor contacts a day, or is the cadence already in place.
    fn change_cadence(
        self,
        cadence: Cadence,
        basis: CadenceBasis,
        reason: Text,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        check_span("cadence.sessions_per_week", cadence.sessions_per_week)?;
        check_span("cadence.contacts_per_day", cadence.contacts_per_day)?;
        if cadence.sessions_per_week.is_none() && cadence.contacts_per_day.is_none() {
            return Err(InputError::new(
                "cadence",
                "give the sessions a week, the contacts a day, or both (R-11)",
            )
            .into());
        }
        if cadence == self.file().activity.current_cadence() {
            return Err(InputError::new(
                "cadence",
                format!("{cadence} is the cadence already in place"),
            )
            .into());
        }
        Ok(self.record(vec![CaseEvent::CadenceChanged {
            cadence,
            basis,
            reason,
            at: ctx.at,
        }]))
    }

    /// Records a referral out to a partner agency (housing, drug and alcohol, mental health,
    /// college, parents' support, the partner boys' service, another agency).
    ///
    /// A referral shares information about the young person with the agency, so it needs her
    /// or his current consent to sharing with that agency (R-8): consent scope
    /// `sharing_with_agency` naming the agency exactly as the referral does, given by the young
    /// person and not since withdrawn. Without it the referral is refused, naming the scope.
    ///
    /// # Errors
    ///
    /// - [`DomainError::Input`] (`bad_input`) on `sent_at` when it is later than the command's time
    ///   or earlier than the referral was received.
    /// - [`DomainError::SharingConsentMissing`] (`sharing_consent_missing`, R-8), naming the scope
    ///   `sharing_with_agency` for `agency`, when the young person's consent in that scope is not
    ///   currently given.
    fn refer_to_partner(
        self,
        partner: PartnerKind,
        agency: Text,
        sent_at: DateTime<Utc>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        not_future("sent_at", sent_at, ctx)?;
        not_before_referral("sent_at", sent_at, self.file())?;
        let scope = ConsentScope::SharingWithAgency {
            agency: agency.clone(),
        };
        if !self.file().consent.permits(&scope) {
            return Err(sharing_consent_missing(&scope));
        }
        let referral = PartnerReferral {
            id: PartnerReferralId::new(),
            partner,
            agency,
            sent_at,
            status: PartnerReferralStatus::Sent,
        };
        Ok(self.record(vec![CaseEvent::PartnerReferralSent { referral }]))
    }

    /// Records a partner's answer to a referral out, or its end: sent → accepted, declined or
    /// closed; accepted → closed.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): on `referral` when the case has no such referral out;
    /// on `update` when the referral's status does not allow it (only sent → accepted, declined or
    /// closed, and accepted → closed); on `at` when it is later than the command's time or earlier
    /// than the referral was sent.
    fn update_partner_referral(
        self,
        referral: PartnerReferralId,
        update: PartnerReferralUpdate,
        at: DateTime<Utc>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let found = self
            .file()
            .activity
            .partner_referral(referral)
            .ok_or_else(|| {
                InputError::new(
                    "referral",
                    format!("the case has no referral out {referral}"),
                )
            })?;
        if !found.status.allows(&update) {
            return Err(InputError::new(
                "update",
                format!(
                    "the referral to {} is {}; it cannot become {}",
                    found.agency,
                    found.status.as_str(),
                    update.as_str()
                ),
            )
            .into());
        }
        not_future("at", at, ctx)?;
        if at < found.sent_at {
            return Err(InputError::new(
                "at",
                format!("{at} is before the referral was sent ({})", found.sent_at),
            )
            .into());
        }
        Ok(self.record(vec![CaseEvent::PartnerReferralUpdated {
            referral,
            update,
            at,
        }]))
    }
}

/// Stages where the plan is agreed and work is under way (engaged, active, paused, closing):
/// the action plan's goals change and planned sessions are held, cancelled or missed.
pub trait UnderWay: HasWorker {
    /// Adds a goal to the action plan. A goal is agreed with the young person (the work is
    /// voluntary, R-6) and any professionals named, who must be recorded as involved.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): on `agreed_with` when it does not include the young
    /// person (R-6); on `agreed_with[i]` when that party is a professional not recorded as involved
    /// in the case.
    fn add_goal(
        self,
        description: NewConfidential,
        agreed_with: Vec<Party>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        if !agreed_with.contains(&Party::YoungPerson) {
            return Err(InputError::new(
                "agreed_with",
                "a goal is agreed with the young person (R-6: the work is voluntary); include {\"party\": \"young_person\"}",
            )
            .into());
        }
        let mut parties = Vec::new();
        for (i, party) in agreed_with.into_iter().enumerate() {
            if let Party::Professional(id) = party {
                if !self.file().is_involved(id) {
                    return Err(InputError::new(
                        format!("agreed_with[{i}]"),
                        format!("professional {id} is not recorded as involved in this case"),
                    )
                    .into());
                }
            }
            if !parties.contains(&party) {
                parties.push(party);
            }
        }
        Ok(self.record(vec![CaseEvent::GoalAdded {
            goal: GoalId::new(),
            description: description.seal(),
            agreed_with: parties,
            at: ctx.at,
        }]))
    }

    /// Records an open goal achieved, on a date not before it was set nor in the future.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): on `goal` when the case has no such goal or it is
    /// already achieved or dropped; on `achieved_at` when it is later than the command's time or
    /// earlier than the goal was set.
    fn achieve_goal(
        self,
        goal: GoalId,
        achieved_at: DateTime<Utc>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let set_at = open_goal(self.file(), goal)?.set_at;
        not_future("achieved_at", achieved_at, ctx)?;
        if achieved_at < set_at {
            return Err(InputError::new(
                "achieved_at",
                format!("{achieved_at} is before the goal was set ({set_at})"),
            )
            .into());
        }
        Ok(self.record(vec![CaseEvent::GoalAchieved { goal, achieved_at }]))
    }

    /// Drops an open goal, with the reason.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) on `goal` when the case has no such goal or it is
    /// already achieved or dropped.
    fn drop_goal(
        self,
        goal: GoalId,
        reason: NewConfidential,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        open_goal(self.file(), goal)?;
        Ok(self.record(vec![CaseEvent::GoalDropped {
            goal,
            reason: reason.seal(),
            at: ctx.at,
        }]))
    }

    /// Records a planned session as held: not before it was planned, not in the future, for
    /// 1 to 720 minutes, on topics from the vocabulary or the programme (R-11).
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): on `session` when the case has no such session or it
    /// is not planned (already held, cancelled or missed); on `held_at` when it is later than the
    /// command's time or earlier than the session was planned; on `duration_minutes` when it is not
    /// 1 to 720; on `topics[i]` when a topic given is a service-defined one that the offered
    /// programmes do not list ([`check_topics`]).
    fn hold_session(
        self,
        session: SessionId,
        held: HeldSession,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let planned = planned_session(self.file(), session)?;
        not_future("held_at", held.held_at, ctx)?;
        if held.held_at < planned.planned_at {
            return Err(InputError::new(
                "held_at",
                format!(
                    "{} is before the session was planned ({})",
                    held.held_at, planned.planned_at
                ),
            )
            .into());
        }
        if !(1..=720).contains(&held.duration_minutes) {
            return Err(InputError::new(
                "duration_minutes",
                format!(
                    "{} is not a session length: give 1 to 720 minutes",
                    held.duration_minutes
                ),
            )
            .into());
        }
        let topics = if held.topics.is_empty() {
            planned.topics.clone()
        } else {
            check_topics("topics", &held.topics, offered_programmes(self.file(), ctx))?;
            held.topics
        };
        let place = held.place.unwrap_or_else(|| planned.place.clone());
        Ok(self.record(vec![CaseEvent::SessionHeld {
            session,
            held_at: held.held_at,
            duration_minutes: held.duration_minutes,
            place,
            topics,
            resources: held.resources,
            note: held.note.seal(),
        }]))
    }

    /// Records a planned session as cancelled, and by whom.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) on `session` when the case has no such session or it is
    /// not planned (already held, cancelled or missed).
    fn cancel_session(
        self,
        session: SessionId,
        by: CancelledBy,
        reason: Option<NewConfidential>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        planned_session(self.file(), session)?;
        Ok(self.record(vec![CaseEvent::SessionCancelled {
            session,
            by,
            reason: reason.map(NewConfidential::seal),
            at: ctx.at,
        }]))
    }

    /// Records that the young person did not attend a planned session, once its time has come.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) on `session` when the case has no such session, it is
    /// not planned (already held, cancelled or missed), or it is planned for later than the
    /// command's time.
    fn record_non_attendance(
        self,
        session: SessionId,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Self>, DomainError> {
        let planned_for = planned_session(self.file(), session)?.planned_for;
        if planned_for > ctx.at {
            return Err(InputError::new(
                "session",
                format!("session {session} is planned for {planned_for}, which has not come yet"),
            )
            .into());
        }
        Ok(self.record(vec![CaseEvent::SessionNotAttended {
            session,
            at: ctx.at,
        }]))
    }
}

macro_rules! stage {
    ($(#[$doc:meta])* $name:ident, $stage_name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
                let reason = NewConfidential::parse("reason", "the young person declined or withdrew consent")
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
        impl sealed::HeldBy for $name {
            fn allocation_mut(&mut self) -> &mut Allocation { &mut self.allocation }
        }
    )*};
}
in_progress_allocated!(Allocated, Engaged, Active, Paused, Closing);

impl UnderWay for Engaged {}
impl UnderWay for Active {}
impl UnderWay for Paused {}
impl UnderWay for Closing {}

macro_rules! plans_sessions {
    ($($name:ident),*) => {$(
        impl $name {
            /// Plans a one-to-one session (R-11) at a place the young person chose, on topics
            /// from the vocabulary or the case's programme. A paused case plans none until it
            /// resumes.
            ///
            /// # Errors
            ///
            /// [`DomainError::Input`] (`bad_input`): on `planned_for` when it is earlier than the
            /// referral was received; on `topics[i]` when a topic is a service-defined one that the
            /// offered programmes (the case's, or with none every programme of the service) do not
            /// list ([`check_topics`]).
            pub fn plan_session(
                self,
                planned_for: DateTime<Utc>,
                place: SessionPlace,
                place_chosen_by_young_person: bool,
                topics: Vec<SessionTopic>,
                ctx: &CommandContext<'_>,
            ) -> Result<Step<Self>, DomainError> {
                let events = plan_session_events(
                    &self.file,
                    planned_for,
                    place,
                    place_chosen_by_young_person,
                    topics,
                    ctx,
                )?;
                Ok(self.record(events))
            }
        }
    )*};
}
plans_sessions!(Engaged, Active, Closing);

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

/// The allocation of a stage with a worker still in progress, to move it (R-25).
fn allocation_mut_of(case: &mut Case) -> Option<&mut Allocation> {
    use sealed::HeldBy;
    match case {
        Case::Allocated(s) => Some(s.allocation_mut()),
        Case::Engaged(s) => Some(s.allocation_mut()),
        Case::Active(s) => Some(s.allocation_mut()),
        Case::Paused(s) => Some(s.allocation_mut()),
        Case::Closing(s) => Some(s.allocation_mut()),
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
        (
            mut case @ (Case::Allocated(_)
            | Case::Engaged(_)
            | Case::Active(_)
            | Case::Paused(_)
            | Case::Closing(_)),
            E::CaseReallocated { to, .. },
        ) => {
            *allocation_mut_of(&mut case)? = to.clone();
            case
        }
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
            if reason.is_risk_significantly_reduced() && !matches!(case, Case::Closing(_)) {
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
        // The day-to-day work keeps the stage; which stages accept it is the decision's.
        (
            case,
            E::GoalAdded { .. }
            | E::GoalAchieved { .. }
            | E::GoalDropped { .. }
            | E::SessionPlanned { .. }
            | E::SessionHeld { .. }
            | E::SessionCancelled { .. }
            | E::SessionNotAttended { .. }
            | E::ContactRecorded { .. }
            | E::ProgrammeAssigned { .. }
            | E::CadenceChanged { .. }
            | E::MeetingRecorded { .. }
            | E::PartnerReferralSent { .. }
            | E::PartnerReferralUpdated { .. },
        ) if case.is_in_progress() => case,
        _ => return None,
    };
    Some(next)
}

/// R-8: the refusal of a share without the young person's consent in `scope`, naming the scope
/// and the field that names the audience.
fn sharing_consent_missing(scope: &ConsentScope) -> DomainError {
    DomainError::SharingConsentMissing {
        scope: scope.clone(),
    }
}
