//! A case: one episode of work with a young person, from referral to closure.
//!
//! The case is an event-sourced aggregate. Its stages are typed states ([`stages`]) whose
//! transitions consume the stage they start from; the stored form is the [`Case`] enum, and
//! loading is one `match`. [`Case::decide`] routes a runtime [`CaseCommand`] to the
//! transition of the current stage; [`Case::fold`] rebuilds the state from its events, so the
//! state at any past moment can be reconstructed.
//!
//! Why one module of this size: the stored `Case` enum, its one runtime router (`Case::decide`) and
//! the fold are the single place where the typed stages meet; see ADR 0002.

mod activity;
mod commands;
pub mod consent;
mod events;
mod file;
mod model;
pub mod owed;
pub mod stages;

pub use activity::{
    Cadence, CadenceBasis, CadencePeriod, CadenceSource, CancelledBy, CaseActivity, Contact,
    ContactKind, ContactWith, Direction, Goal, GoalStatus, Meeting, MeetingAction, MeetingKind,
    PartnerKind, PartnerReferral, PartnerReferralStatus, PartnerReferralUpdate, Period, Session,
    SessionPlace, SessionStatus,
};

pub(crate) use commands::{decode_command, encode_command, parse_refusing_statutory_claims};
pub use commands::{reject_statutory_claims, CaseCommand};
pub use events::CaseEvent;
pub use file::CaseFile;
pub use model::{
    Allocation, ClosureReason, GatedStep, Outcome, Party, PauseReason, PendingApproval,
    Professional, ProfessionalKind, Reallocation, ReferralSource, Review, ReviewDecision,
};
pub use stages::{
    Active, Allocated, Assessed, AwaitingAllocation, BeforeAllocation, Closed, Closing, Declined,
    Engaged, HasWorker, HeldSession, InProgress, OnWaitingList, Paused, Received, Screened,
    Signposted, Stage, Step, UnderWay, Withdrawn,
};

use crate::kernel::confidential::NewConfidential;
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::input::Text;
use crate::kernel::rule::Rule;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stages::Sealed;
use std::fmt;

/// A new referral, as a front end or an import gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    /// Who referred.
    pub source: ReferralSource,
    /// What the referrer is worried about (confidential).
    pub concerns: NewConfidential,
    /// When the referral reached the service.
    pub received_at: DateTime<Utc>,
}

impl NewReferral {
    /// Decodes a referral from JSON, refusing statutory-plan claims and naming the field
    /// of any other problem.
    ///
    /// # Errors
    ///
    /// - [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at any
    ///   depth, claims a statutory-plan requirement ([`reject_statutory_claims`]).
    /// - [`DomainError::Input`] (`bad_input`) naming the field when the JSON is malformed, a field
    ///   is missing, unknown or of the wrong type, or a value is invalid; a problem inside the
    ///   referral's source names the field within it (`source.professional.name`).
    pub fn from_json(json: &str) -> Result<NewReferral, DomainError> {
        let value = commands::parse_refusing_statutory_claims(json)?;
        crate::kernel::input::decode_value(value.clone()).map_err(|e| {
            // `source` is tagged inside itself, which hides the path of a problem within it:
            // decode the tagged variant's own fields again to name the field.
            if e.field == "source" {
                if let Some(inner) = source_field_error(&value["source"]) {
                    return inner.within("source").into();
                }
            }
            e.into()
        })
    }
}

/// The first problem inside the fields of a referral source's variant, with its path.
fn source_field_error(source: &serde_json::Value) -> Option<crate::kernel::input::InputError> {
    use crate::kernel::input::decode_value;
    let field = |name: &str| source.get(name).cloned().unwrap_or(serde_json::Value::Null);
    let named = |name: &str, e: crate::kernel::input::InputError| {
        crate::kernel::input::InputError::new(
            if e.field.is_empty() {
                name.to_owned()
            } else {
                format!("{name}.{}", e.field)
            },
            e.problem,
        )
    };
    // Tagged `kind`, or `source` as before issue 14 (both are read).
    let tag = source
        .get(crate::kernel::tag::TAG)
        .or_else(|| source.get("source"));
    match tag?.as_str()? {
        "professional" => decode_value::<Professional>(field("professional"))
            .err()
            .map(|e| named("professional", e)),
        "parent_or_carer" => decode_value::<Text>(field("name"))
            .err()
            .map(|e| named("name", e)),
        "agency" => decode_value::<Text>(field("agency"))
            .err()
            .map(|e| named("agency", e)),
        _ => None,
    }
}

/// The name of a stage, for read models, queries and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageName {
    /// Received.
    Received,
    /// Screened.
    Screened,
    /// Assessed.
    Assessed,
    /// Accepted for immediate support, awaiting a worker.
    AwaitingAllocation,
    /// On the waiting list.
    WaitingList,
    /// Signposted.
    Signposted,
    /// Declined.
    Declined,
    /// Withdrawn.
    Withdrawn,
    /// Allocated.
    Allocated,
    /// Engaged.
    Engaged,
    /// Active.
    Active,
    /// Paused.
    Paused,
    /// Closing.
    Closing,
    /// Closed.
    Closed,
}

impl StageName {
    /// Every stage, in lifecycle order.
    pub const ALL: [StageName; 14] = [
        StageName::Received,
        StageName::Screened,
        StageName::Assessed,
        StageName::AwaitingAllocation,
        StageName::WaitingList,
        StageName::Signposted,
        StageName::Declined,
        StageName::Withdrawn,
        StageName::Allocated,
        StageName::Engaged,
        StageName::Active,
        StageName::Paused,
        StageName::Closing,
        StageName::Closed,
    ];

    /// The stable name stored in query tables.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            StageName::Received => "received",
            StageName::Screened => "screened",
            StageName::Assessed => "assessed",
            StageName::AwaitingAllocation => "awaiting_allocation",
            StageName::WaitingList => "waiting_list",
            StageName::Signposted => "signposted",
            StageName::Declined => "declined",
            StageName::Withdrawn => "withdrawn",
            StageName::Allocated => "allocated",
            StageName::Engaged => "engaged",
            StageName::Active => "active",
            StageName::Paused => "paused",
            StageName::Closing => "closing",
            StageName::Closed => "closed",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<StageName> {
        StageName::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Whether the referral or case has ended (closed, or an outcome that ends it).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            StageName::Signposted | StageName::Declined | StageName::Withdrawn | StageName::Closed
        )
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// A case at its current stage: the stored, serde-tagged form of the typed stages.
///
/// Not `PartialEq`: it holds confidential content, which is never compared (a guess could be
/// confirmed). Compare what a test needs, or the storage encoding.
///
/// Read in one pass: its snapshot is most of what loading a case costs
/// ([`crate::kernel::tag_first`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(remote = "Self", tag = "stage", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant is documented on its stage type
pub enum Case {
    Received(Received),
    Screened(Screened),
    Assessed(Assessed),
    AwaitingAllocation(AwaitingAllocation),
    WaitingList(OnWaitingList),
    Signposted(Signposted),
    Declined(Declined),
    Withdrawn(Withdrawn),
    Allocated(Allocated),
    Engaged(Engaged),
    Active(Active),
    Paused(Paused),
    Closing(Closing),
    Closed(Closed),
}

crate::kernel::tag_first::tag_first!(Case, "stage", {
    "received" => Received(Received),
    "screened" => Screened(Screened),
    "assessed" => Assessed(Assessed),
    "awaiting_allocation" => AwaitingAllocation(AwaitingAllocation),
    "waiting_list" => WaitingList(OnWaitingList),
    "signposted" => Signposted(Signposted),
    "declined" => Declined(Declined),
    "withdrawn" => Withdrawn(Withdrawn),
    "allocated" => Allocated(Allocated),
    "engaged" => Engaged(Engaged),
    "active" => Active(Active),
    "paused" => Paused(Paused),
    "closing" => Closing(Closing),
    "closed" => Closed(Closed),
});

/// Calls `$body` with the stage inside any variant of `Case`.
macro_rules! each_stage {
    ($case:expr, $s:ident => $body:expr) => {
        match $case {
            Case::Received($s) => $body,
            Case::Screened($s) => $body,
            Case::Assessed($s) => $body,
            Case::AwaitingAllocation($s) => $body,
            Case::WaitingList($s) => $body,
            Case::Signposted($s) => $body,
            Case::Declined($s) => $body,
            Case::Withdrawn($s) => $body,
            Case::Allocated($s) => $body,
            Case::Engaged($s) => $body,
            Case::Active($s) => $body,
            Case::Paused($s) => $body,
            Case::Closing($s) => $body,
            Case::Closed($s) => $body,
        }
    };
}

/// Calls `$body` with the stage of any in-progress variant, or evaluates `$otherwise`.
macro_rules! in_progress {
    ($case:expr, $s:ident => $body:expr, $other:ident => $otherwise:expr) => {
        match $case {
            Case::Received($s) => $body,
            Case::Screened($s) => $body,
            Case::Assessed($s) => $body,
            Case::AwaitingAllocation($s) => $body,
            Case::WaitingList($s) => $body,
            Case::Allocated($s) => $body,
            Case::Engaged($s) => $body,
            Case::Active($s) => $body,
            Case::Paused($s) => $body,
            Case::Closing($s) => $body,
            $other => $otherwise,
        }
    };
}

/// Calls `$body` with the stage of any variant with an allocated worker that is still in
/// progress (allocated, engaged, active, paused, closing), or evaluates `$otherwise`.
macro_rules! has_worker {
    ($case:expr, $s:ident => $body:expr, $other:ident => $otherwise:expr) => {
        match $case {
            Case::Allocated($s) => $body,
            Case::Engaged($s) => $body,
            Case::Active($s) => $body,
            Case::Paused($s) => $body,
            Case::Closing($s) => $body,
            $other => $otherwise,
        }
    };
}

/// Calls `$body` with the stage of any variant where work is under way (engaged, active,
/// paused, closing), or evaluates `$otherwise`.
macro_rules! under_way {
    ($case:expr, $s:ident => $body:expr, $other:ident => $otherwise:expr) => {
        match $case {
            Case::Engaged($s) => $body,
            Case::Active($s) => $body,
            Case::Paused($s) => $body,
            Case::Closing($s) => $body,
            $other => $otherwise,
        }
    };
}

fn events_of<S>(step: Step<S>) -> Vec<CaseEvent> {
    step.1
}

impl Case {
    /// The case file.
    #[must_use]
    pub fn file(&self) -> &CaseFile {
        each_stage!(self, s => s.file())
    }

    pub(crate) fn into_file(self) -> CaseFile {
        each_stage!(self, s => s.into_file())
    }

    /// The stage's name.
    #[must_use]
    pub fn stage(&self) -> StageName {
        fn name<S: Stage>(_: &S) -> StageName {
            S::NAME
        }
        each_stage!(self, s => name(s))
    }

    /// Whether consent, professionals and the young person's decision to stop still apply.
    #[must_use]
    pub fn is_in_progress(&self) -> bool {
        !self.stage().is_finished()
    }

    /// The allocated worker, once there is one.
    #[must_use]
    pub fn allocation(&self) -> Option<&Allocation> {
        stages::allocation_of(self)
    }

    /// The first worker allocated, once there is one: kept when the case moves to another
    /// worker, for the wait from referral to allocation.
    #[must_use]
    pub fn first_allocation(&self) -> Option<&Allocation> {
        self.file()
            .reallocations
            .first()
            .map(|r| &r.from)
            .or_else(|| self.allocation())
    }

    /// Folds one stored event into the state. `None` when the event cannot follow (the first
    /// event of every case is `referral_received`); callers report that as a corrupt history.
    #[must_use]
    pub fn evolve(state: Option<Case>, event: &CaseEvent) -> Option<Case> {
        match state {
            None => CaseFile::open(event).map(|file| Case::Received(Received::from_file(file))),
            Some(case) => {
                let mut next = stages::evolve(case, event)?;
                next.file_mut().apply(event);
                Some(next)
            }
        }
    }

    /// Folds a whole history; `Err(i)` names the first event that cannot follow.
    ///
    /// # Errors
    ///
    /// `Err(i)`, the index of the first event that cannot follow the ones before it
    /// ([`Case::evolve`] returns `None`): a first event other than `referral_received`, or an event
    /// the stage reached has no transition for.
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a CaseEvent>,
    ) -> Result<Option<Case>, usize> {
        let mut state = None;
        for (i, event) in events.into_iter().enumerate() {
            state = Some(Case::evolve(state, event).ok_or(i)?);
        }
        Ok(state)
    }

    fn file_mut(&mut self) -> &mut CaseFile {
        each_stage!(self, s => s.file_mut())
    }

    /// Decides a runtime command against the current stage: the same transition methods the
    /// typed API offers, with a typed error naming the rule when the stage has no such step.
    ///
    /// # Errors
    ///
    /// Refusals of the router itself:
    ///
    /// - [`DomainError::Input`] (`bad_input`), naming the field, when the command breaks the profile's input limits, or holds a NUL or a year outside the
    ///   years kept ([`InputLimits::check`](crate::policy::limits::InputLimits::check)), before
    ///   anything else.
    /// - [`DomainError::CaseClosed`] (`case_closed`, R-17) when the case is closed and the command
    ///   is anything but discharging an owed action (`mark_action_sent`, `acknowledge_action`,
    ///   `explain_action`).
    /// - [`DomainError::NotAtThisStage`] (`not_at_this_stage`) when the current stage has no such
    ///   step: with R-4 for an outcome (`accept_for_support`, `add_to_waiting_list`, `signpost`,
    ///   `decline`) before risk is assessed; with R-2 for `assess_risk` before screening; with R-16
    ///   for `record_agreement` or `complete_closure` while closure is not proposed; with no rule
    ///   otherwise.
    /// - For `approve`: [`DomainError::ManagerRequired`] (`manager_required`) when the actor
    ///   is not a manager; [`DomainError::UnknownApproval`] (`unknown_approval`) when the case has
    ///   no such pending approval; [`DomainError::StaleApproval`] (`stale_approval`) for a risk
    ///   override when a newer assessment has been recorded since it was asked for;
    ///   [`DomainError::NotAtThisStage`] with R-24 when the approval cannot be applied to the
    ///   stage; and then any refusal of the approved step itself.
    ///
    /// Otherwise, whatever the transition the command routes to refuses; each documents its own
    /// errors (the steps of [`Stage`], [`InProgress`], [`HasWorker`] and [`UnderWay`], and each
    /// stage's own transitions). A step the profile gates behind a manager's approval is not
    /// refused when a non-manager takes it: it is recorded as a request instead.
    pub fn decide(
        &self,
        command: CaseCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        ctx.profile.limits.check_command(&command)?;
        use CaseCommand as C;
        let stage = self.stage();
        let name = command.name();
        let refuse = |rule: Option<Rule>| DomainError::NotAtThisStage {
            stage,
            command: name,
            rule,
        };
        let case = self.clone();
        if let Case::Closed(_) = &case {
            if !matches!(
                command,
                C::MarkActionSent { .. } | C::AcknowledgeAction { .. } | C::ExplainAction { .. }
            ) {
                return Err(DomainError::CaseClosed {
                    case: self.file().id,
                });
            }
        }
        let approvals = ctx.profile.approvals;
        match (case, command) {
            (_, C::Approve { approval, reason }) => approve(self, approval, reason, ctx),
            (case, C::RefuseApproval { approval, reason }) => {
                in_progress!(case, s => s.refuse_approval(approval, reason, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (case, C::Close { reason })
                if !matches!(reason, ClosureReason::RiskSignificantlyReduced)
                    && case.allocation().is_some()
                    && stages::needs_approval(approvals.closure, ctx) =>
            {
                let step = GatedStep::Close {
                    reason: reason.seal(),
                };
                in_progress!(case, s => Ok(events_of(s.request_approval(step, ctx))), _c => Err(refuse(None)))
            }
            (Case::Closing(s), C::CompleteClosure)
                if s.missing_agreements().is_empty()
                    && stages::needs_approval(approvals.closure, ctx) =>
            {
                Ok(events_of(
                    s.request_approval(GatedStep::CompleteClosure, ctx),
                ))
            }
            (
                Case::WaitingList(s),
                C::Allocate {
                    worker,
                    worker_name,
                    out_of_order_reason: Some(reason),
                },
            ) if !s.is_at_head(ctx)
                && stages::needs_approval(approvals.out_of_order_allocation, ctx) =>
            {
                Ok(events_of(s.request_approval(
                    GatedStep::Allocate {
                        worker,
                        worker_name,
                        reason,
                    },
                    ctx,
                )))
            }
            (
                case,
                C::Reallocate {
                    worker,
                    worker_name,
                    reason,
                },
            ) if case.allocation().is_some_and(|a| a.worker != worker)
                && stages::needs_approval(approvals.reallocation, ctx) =>
            {
                has_worker!(case, s => Ok(events_of(s.request_approval(GatedStep::Reallocate { worker, worker_name, reason }, ctx))), _c => Err(refuse(None)))
            }
            (
                case,
                C::MarkActionSent {
                    action,
                    reference,
                    sent_at,
                },
            ) => {
                each_stage!(case, s => s.mark_action_sent(action, reference, sent_at, ctx).map(events_of))
            }
            (
                case,
                C::AcknowledgeAction {
                    action,
                    acknowledged_at,
                },
            ) => {
                each_stage!(case, s => s.acknowledge_action(action, acknowledged_at, ctx).map(events_of))
            }
            (
                case,
                C::ExplainAction {
                    action,
                    explanation,
                },
            ) => {
                each_stage!(case, s => s.explain_action(action, explanation, ctx).map(events_of))
            }
            (case, C::RecordConsent { entry }) => {
                in_progress!(case, s => s.record_consent(entry, ctx).map(|(_, e)| e), _c => Err(refuse(None)))
            }
            (case, C::RecordProfessional { professional }) => {
                in_progress!(case, s => Ok(events_of(s.record_professional(professional))), _c => Err(refuse(None)))
            }
            (Case::Received(s), C::Screen) => Ok(events_of(s.screen(ctx))),
            (
                Case::Screened(s),
                C::AssessRisk {
                    indicators,
                    worker_override,
                },
            ) => s.assess(&indicators, worker_override, ctx).map(events_of),
            (Case::Assessed(s), C::AcceptForSupport) => s.accept_for_support(ctx).map(events_of),
            (Case::Assessed(s), C::AddToWaitingList) => s.add_to_waiting_list(ctx).map(events_of),
            (Case::Assessed(s), C::Signpost { reason, to }) => {
                s.signpost(reason, to, ctx).map(events_of)
            }
            (Case::Assessed(s), C::Decline { reason }) => Ok(events_of(s.decline(reason, ctx))),
            (
                Case::Received(_) | Case::Screened(_),
                C::AcceptForSupport | C::AddToWaitingList | C::Signpost { .. } | C::Decline { .. },
            ) => Err(refuse(Some(Rule::R4))),
            (Case::Received(_), C::AssessRisk { .. }) => Err(refuse(Some(Rule::R2))),
            (Case::Received(s), C::Withdraw { reason }) => Ok(events_of(s.withdraw(reason, ctx))),
            (Case::Screened(s), C::Withdraw { reason }) => Ok(events_of(s.withdraw(reason, ctx))),
            (Case::Assessed(s), C::Withdraw { reason }) => Ok(events_of(s.withdraw(reason, ctx))),
            (Case::AwaitingAllocation(s), C::Withdraw { reason }) => {
                Ok(events_of(s.withdraw(reason, ctx)))
            }
            (Case::WaitingList(s), C::Withdraw { reason }) => {
                Ok(events_of(s.withdraw(reason, ctx)))
            }
            (
                Case::AwaitingAllocation(s),
                C::Allocate {
                    worker,
                    worker_name,
                    ..
                },
            ) => Ok(events_of(s.allocate(worker, worker_name, ctx))),
            (
                Case::WaitingList(s),
                C::Allocate {
                    worker,
                    worker_name,
                    out_of_order_reason,
                },
            ) => s
                .allocate(worker, worker_name, out_of_order_reason, ctx)
                .map(events_of),
            (Case::Allocated(s), C::AgreePlan { plan }) => Ok(events_of(s.agree_plan(plan, ctx))),
            (Case::Engaged(s), C::BeginWork) => Ok(events_of(s.begin_work(ctx))),
            (Case::Active(s), C::Pause { reason }) => Ok(events_of(s.pause(reason, ctx))),
            (Case::Paused(s), C::Resume) => Ok(events_of(s.resume(ctx))),
            (
                Case::Active(s),
                C::RecordReview {
                    indicators,
                    worker_override,
                    decision,
                },
            ) => s
                .record_review(&indicators, worker_override, decision, ctx)
                .map(events_of),
            (Case::Active(s), C::ProposeClosure) => Ok(events_of(s.propose_closure(ctx))),
            (Case::Closing(s), C::RecordAgreement { party }) => {
                s.record_agreement(party, ctx).map(events_of)
            }
            (Case::Closing(s), C::WithdrawClosureProposal { reason }) => {
                Ok(events_of(s.withdraw_proposal(reason, ctx)))
            }
            (Case::Closing(s), C::CompleteClosure) => s.complete(ctx).map(events_of),
            (Case::Allocated(s), C::Close { reason }) => s.close(reason, ctx).map(events_of),
            (Case::Engaged(s), C::Close { reason }) => s.close(reason, ctx).map(events_of),
            (Case::Active(s), C::Close { reason }) => s.close(reason, ctx).map(events_of),
            (Case::Paused(s), C::Close { reason }) => s.close(reason, ctx).map(events_of),
            (Case::Closing(s), C::Close { reason }) => s.close(reason, ctx).map(events_of),
            (_, C::RecordAgreement { .. } | C::CompleteClosure) => Err(refuse(Some(Rule::R16))),
            (
                case,
                C::RecordMeeting {
                    kind,
                    held_at,
                    service_attended,
                    actions,
                },
            ) => {
                in_progress!(case, s => s.record_meeting(kind, held_at, service_attended, actions, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::RecordContact {
                    kind,
                    direction,
                    with,
                    at,
                },
            ) => {
                in_progress!(case, s => s.record_contact(kind, direction, with, at, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::Reallocate {
                    worker,
                    worker_name,
                    reason,
                },
            ) => {
                has_worker!(case, s => s.reallocate(worker, worker_name, reason, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (case, C::AssignProgramme { programme }) => {
                has_worker!(case, s => s.assign_programme(programme, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::ChangeCadence {
                    cadence,
                    basis,
                    reason,
                },
            ) => {
                has_worker!(case, s => s.change_cadence(cadence, basis, reason, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::ReferToPartner {
                    partner,
                    agency,
                    sent_at,
                },
            ) => {
                has_worker!(case, s => s.refer_to_partner(partner, agency, sent_at, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::UpdatePartnerReferral {
                    referral,
                    update,
                    at,
                },
            ) => {
                has_worker!(case, s => s.update_partner_referral(referral, update, at, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::AddGoal {
                    description,
                    agreed_with,
                },
            ) => {
                under_way!(case, s => s.add_goal(description, agreed_with, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (case, C::AchieveGoal { goal, achieved_at }) => {
                under_way!(case, s => s.achieve_goal(goal, achieved_at, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (case, C::DropGoal { goal, reason }) => {
                under_way!(case, s => s.drop_goal(goal, reason, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::PlanSession {
                    planned_for,
                    place,
                    place_chosen_by_young_person,
                    topics,
                },
            ) => match case {
                Case::Engaged(s) => s
                    .plan_session(
                        planned_for,
                        place,
                        place_chosen_by_young_person,
                        topics,
                        ctx,
                    )
                    .map(events_of),
                Case::Active(s) => s
                    .plan_session(
                        planned_for,
                        place,
                        place_chosen_by_young_person,
                        topics,
                        ctx,
                    )
                    .map(events_of),
                Case::Closing(s) => s
                    .plan_session(
                        planned_for,
                        place,
                        place_chosen_by_young_person,
                        topics,
                        ctx,
                    )
                    .map(events_of),
                _ => Err(refuse(None)),
            },
            (
                case,
                C::HoldSession {
                    session,
                    held_at,
                    duration_minutes,
                    place,
                    topics,
                    resources,
                    note,
                },
            ) => {
                let held = HeldSession {
                    held_at,
                    duration_minutes,
                    place,
                    topics,
                    resources,
                    note,
                };
                under_way!(case, s => s.hold_session(session, held, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (
                case,
                C::CancelSession {
                    session,
                    by,
                    reason,
                },
            ) => {
                under_way!(case, s => s.cancel_session(session, by, reason, ctx).map(events_of), _c => Err(refuse(None)))
            }
            (case, C::RecordNonAttendance { session }) => {
                under_way!(case, s => s.record_non_attendance(session, ctx).map(events_of), _c => Err(refuse(None)))
            }
            _ => Err(refuse(None)),
        }
    }
}

/// A manager approves a pending step: the approval and the step's own events are one
/// command, decided by the same transitions as if the manager had taken the step.
fn approve(
    case: &Case,
    approval: crate::kernel::ids::ApprovalId,
    reason: NewConfidential,
    ctx: &CommandContext<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    stages::require_manager("approve a pending step", ctx)?;
    let request = stages::pending(case.file(), approval)?.clone();
    let given = CaseEvent::ApprovalGiven {
        approval,
        by: ctx.actor.id,
        reason: reason.seal(),
        at: ctx.at,
    };
    let approved = Case::evolve(Some(case.clone()), &given).ok_or(DomainError::NotAtThisStage {
        stage: case.stage(),
        command: "approve",
        rule: Some(Rule::R24),
    })?;
    let step = match request.step {
        // The step is the manager's own now, closed with the reason as the request recorded it:
        // its words stay as stored (sealed, if they were), never turned back into a command.
        GatedStep::Close { reason } => {
            if reason.is_risk_significantly_reduced() {
                return Err(DomainError::ClosureNeedsProposal);
            }
            has_worker!(approved, s => events_of(stages::close_now(s, reason, ctx)), c => {
                return Err(DomainError::NotAtThisStage {
                    stage: c.stage(),
                    command: "close",
                    rule: Some(Rule::R24),
                })
            })
        }
        GatedStep::CompleteClosure => approved.decide(CaseCommand::CompleteClosure, ctx)?,
        GatedStep::Allocate {
            worker,
            worker_name,
            reason,
        } => approved.decide(
            CaseCommand::Allocate {
                worker,
                worker_name,
                out_of_order_reason: Some(reason),
            },
            ctx,
        )?,
        GatedStep::Reallocate {
            worker,
            worker_name,
            reason,
        } => approved.decide(
            CaseCommand::Reallocate {
                worker,
                worker_name,
                reason,
            },
            ctx,
        )?,
        GatedStep::RiskOverride {
            assessment,
            level_override,
        } => stages::approved_override(approved.file(), approval, assessment, level_override, ctx)?,
    };
    let mut events = vec![given];
    events.extend(step);
    Ok(events)
}

impl Received {
    fn from_file(file: CaseFile) -> Self {
        stages::received_from_file(file)
    }
}

/// Folds a decoded history, naming the event that cannot follow.
///
/// # Errors
///
/// [`HistoryError`](crate::kernel::event::HistoryError) (`history_unreadable`) with
/// [`HistoryProblem::CannotFollow`](crate::kernel::event::HistoryProblem::CannotFollow), at the
/// stream and version of the first event that cannot follow the ones before it ([`Case::fold`]).
pub fn fold(
    history: &[crate::kernel::event::Recorded<CaseEvent>],
) -> Result<Option<Case>, crate::kernel::event::HistoryError> {
    Case::fold(history.iter().map(|r| &r.event)).map_err(|i| {
        let bad = &history[i];
        crate::kernel::event::HistoryError {
            stream: bad.stream,
            version: bad.version,
            problem: crate::kernel::event::HistoryProblem::CannotFollow {
                event_type: crate::kernel::event::DomainEvent::event_type(&bad.event).to_owned(),
            },
        }
    })
}

impl crate::aggregate::Aggregate for Case {
    type Id = crate::kernel::ids::CaseId;
    type Command = CaseCommand;
    type Event = CaseEvent;
    /// Version 2 adds the case file's `activity` (and `from_workshop`): a version 1 snapshot
    /// would lack the times work began and paused. Version 3: the activity's `ended_at` is also
    /// set when a referral is declined, signposted or withdrawn.
    const SNAPSHOT_SCHEMA: Option<u32> = Some(3);

    fn stream(id: Self::Id) -> crate::kernel::ids::StreamId {
        crate::kernel::ids::StreamId::Case(id)
    }
    fn key_owner(&self) -> Option<crate::privacy::key_store::KeyOwner> {
        Some(crate::privacy::key_store::KeyOwner::YoungPerson(
            self.file().young_person,
        ))
    }
    fn evolve(state: Option<Self>, event: &CaseEvent) -> Option<Self> {
        Case::evolve(state, event)
    }
    fn decide(
        &self,
        command: CaseCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        Case::decide(self, command, ctx)
    }
    fn row(&self, version: u64) -> crate::read::rows::ReadModelUpdate {
        crate::read::rows::ReadModelUpdate::Case(crate::read::rows::CaseSummary::of(self, version))
    }
    fn listings(
        &self,
        profile: &crate::policy::profile::ServiceProfile,
    ) -> crate::read::listing::Listings {
        crate::read::listing::Listings::of_case(self, profile)
    }
    fn command_name(command: &CaseCommand) -> &'static str {
        command.name()
    }
    /// Approvals and their refusals need `approve`; everything else `change_case`.
    fn command_permission(command: &CaseCommand) -> crate::privacy::access::Permission {
        match command {
            CaseCommand::Approve { .. } | CaseCommand::RefuseApproval { .. } => {
                crate::privacy::access::Permission::Approve
            }
            _ => crate::privacy::access::Permission::ChangeCase,
        }
    }
    fn stated_reason(command: &CaseCommand) -> Option<String> {
        command.stated_reason()
    }
    fn lookups(&self, command: &CaseCommand) -> crate::aggregate::Lookups {
        crate::aggregate::Lookups {
            waiting_list_head: matches!(
                command,
                CaseCommand::Allocate { .. } | CaseCommand::Approve { .. }
            ),
            cases_of: None,
        }
    }
    /// The case as stored: `None` outside
    /// [`for_storage`](crate::kernel::confidential::for_storage), where its confidential
    /// content refuses to serialize, so a snapshot is never a way round the gate.
    fn to_snapshot(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }
    fn from_snapshot(state: &str) -> Option<Self> {
        serde_json::from_str(state).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Case;

    /// The one-pass reader knows every stage the derived code does: for a stage neither
    /// knows, both give serde's error listing the stages, and the lists are the same.
    #[test]
    fn a_case_is_read_in_one_pass_for_every_stage() {
        let unknown = serde_json::json!({ "stage": "no_such_stage" });
        let derived = Case::deserialize(unknown.clone()).unwrap_err().to_string();
        let one_pass = <Case as serde::Deserialize>::deserialize(unknown)
            .unwrap_err()
            .to_string();
        assert!(derived.contains("expected one of"), "{derived}");
        assert_eq!(one_pass, derived);
    }
}
