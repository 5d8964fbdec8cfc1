//! The model's state: a service at one moment ([`ModelState`]), its cases ([`ModelCase`]) with
//! their owed actions, assessments and approvals, and what the model predicts for a step
//! ([`Expected`], [`Prediction`], [`Refusal`], [`Resolved`]). How a step changes the state is in
//! `transitions`.

use crate::model::{ActionRef, Cmd, ModelRules};
use casework_core::case::consent::{ConsentDecision, ConsentGiver, ConsentScope};
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{ClosureReason, NewReferral, Party, StageName};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{ProfessionalId, StaffId};
use casework_core::policy::eligibility::IneligibilityKind;
use casework_core::policy::risk::RiskLevel;
use casework_core::young_person::YoungPersonDetails;
use chrono::{DateTime, Utc};
use std::fmt;

/// Where an owed action stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwedState {
    /// Still owed.
    Owed,
    /// Sent at this time.
    Sent(DateTime<Utc>),
    /// Sent and acknowledged.
    Acknowledged,
    /// Explained instead of sent.
    Explained,
}

impl OwedState {
    /// The status's stable name.
    pub fn name(&self) -> &'static str {
        match self {
            OwedState::Owed => "owed",
            OwedState::Sent(_) => "sent",
            OwedState::Acknowledged => "acknowledged",
            OwedState::Explained => "explained",
        }
    }
}

/// An owed action in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelOwed {
    /// What is owed.
    pub kind: OwedActionKind,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Where it stands.
    pub state: OwedState,
}

/// A step waiting for a manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelGated {
    /// Close with this reason.
    Close(ClosureReason<NewConfidential>),
    /// Close for 'risk significantly reduced'.
    CompleteClosure,
    /// Allocate out of waiting-list order to this worker.
    Allocate(StaffId),
    /// Override assessment `n`'s level.
    RiskOverride(usize, RiskLevel),
    /// Move the case to this worker.
    Reallocate(StaffId),
}

/// An approval request and whether it is still open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelApproval {
    /// The step asked for.
    pub step: ModelGated,
    /// Still pending (neither approved nor refused).
    pub open: bool,
}

/// One assessment: the level the tool computed and the level that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelAssessment {
    /// Computed by the tool.
    pub computed: RiskLevel,
    /// Applies (an override's, or the computed one).
    pub level: RiskLevel,
    /// Whether a worker's override applies.
    pub overridden: bool,
}

/// The outcome of a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelOutcome {
    /// Accepted for immediate support.
    ImmediateSupport,
    /// On the waiting list.
    WaitingList,
    /// Signposted.
    Signposted,
    /// Declined.
    Declined,
}

/// One case in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelCase {
    /// The young person (position in [`ModelState::people`]).
    pub person: usize,
    /// Whether the young person referred themselves.
    pub self_referral: bool,
    /// The young person's details as referred.
    pub subject: YoungPersonDetails,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// The previous case of a re-referral.
    pub previous: Option<usize>,
    /// The stage.
    pub stage: StageName,
    /// Events in the stream.
    pub version: u64,
    /// Consent entries: scope, decision, by whom.
    pub consent: Vec<(ConsentScope, ConsentDecision, ConsentGiver)>,
    /// Owed actions in the order raised.
    pub owed: Vec<ModelOwed>,
    /// Professionals involved, in the order recorded.
    pub professionals: Vec<ProfessionalId>,
    /// Reasons for ineligibility, once screened.
    pub screening: Option<Vec<IneligibilityKind>>,
    /// Every assessment, oldest first.
    pub assessments: Vec<ModelAssessment>,
    /// Every approval requested, in order.
    pub approvals: Vec<ModelApproval>,
    /// The allocated worker, and whether out of waiting-list order (a reallocation's never
    /// is, R-25).
    pub allocation: Option<(StaffId, bool)>,
    /// Parties who agreed to the current closure proposal.
    pub agreed: Vec<Party>,
    /// The referral's outcome.
    pub outcome: Option<ModelOutcome>,
    /// Why it closed.
    pub closure: Option<ClosureReason<NewConfidential>>,
    /// When the next review is due.
    pub next_review_due: Option<DateTime<Utc>>,
}

impl ModelCase {
    /// Whether the referral or case is still going on.
    pub fn in_progress(&self) -> bool {
        !matches!(
            self.stage,
            StageName::Signposted | StageName::Declined | StageName::Withdrawn | StageName::Closed
        )
    }

    pub(super) fn before_allocation(&self) -> bool {
        matches!(
            self.stage,
            StageName::Received
                | StageName::Screened
                | StageName::Assessed
                | StageName::AwaitingAllocation
                | StageName::WaitingList
        )
    }

    pub(super) fn has_worker(&self) -> bool {
        matches!(
            self.stage,
            StageName::Allocated
                | StageName::Engaged
                | StageName::Active
                | StageName::Paused
                | StageName::Closing
        )
    }

    /// Whether the young person's own latest word on `scope` is "given".
    pub fn permits(&self, scope: &ConsentScope) -> bool {
        self.consent
            .iter()
            .rev()
            .find(|(s, _, by)| s == scope && *by == ConsentGiver::YoungPerson)
            .is_some_and(|(_, decision, _)| *decision == ConsentDecision::Given)
    }

    /// The level of the latest assessment.
    pub fn risk(&self) -> Option<RiskLevel> {
        self.assessments.last().map(|a| a.level)
    }

    /// Everyone whose agreement a 'risk significantly reduced' closure needs.
    pub fn parties(&self) -> Vec<Party> {
        std::iter::once(Party::YoungPerson)
            .chain(self.professionals.iter().map(|p| Party::Professional(*p)))
            .collect()
    }

    pub(super) fn owed_mut(&mut self, action: &ActionRef) -> Result<&mut ModelOwed, Refusal> {
        match action {
            ActionRef::Nth(n) => self.owed.get_mut(*n).ok_or(Refusal::UnknownOwedAction),
            ActionRef::Unknown => Err(Refusal::UnknownOwedAction),
        }
    }

    pub(super) fn owe(&mut self, kind: OwedActionKind, due_at: DateTime<Utc>) {
        self.owed.push(ModelOwed {
            kind,
            due_at,
            state: OwedState::Owed,
        });
    }

    pub(super) fn close(&mut self, reason: ClosureReason<NewConfidential>) {
        self.stage = StageName::Closed;
        self.closure = Some(reason);
        self.next_review_due = None;
    }
}

/// Why the model expects a step to be refused: the `DomainError` variant (or "not found"),
/// with the facts a test can compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No such young person or case.
    NotFound,
    ///
    PermissionMissing,
    /// R-2, with every kind of reason.
    Ineligible(Vec<IneligibilityKind>),
    ///
    ReasonRequired,
    /// the case is not at the head; the head is the other.
    OutOfWaitingListOrder {
        /// The case asked for.
        case: usize,
        /// The case at the head.
        head: usize,
    },
    ///
    ClosureNeedsProposal,
    /// R-16, with who has not agreed.
    AgreementsMissing(Vec<Party>),
    ///
    NotAParty(Party),
    ///
    CaseClosed(usize),
    /// R-17, naming the open case.
    OpenCaseExists(usize),
    ///
    UnknownOwedAction,
    /// R-5, with the action's status.
    AlreadyDischarged(&'static str),
    ///
    NotSent,
    /// R-24, with what was attempted.
    ManagerRequired(&'static str),
    ///
    UnknownApproval,
    ///
    StaleApproval,
    /// this worker already holds the case.
    SameWorker(StaffId),
    /// The stage has no such step; the rule that orders the lifecycle there, if one does.
    NotAtThisStage {
        /// The stage.
        stage: StageName,
        /// The command's name.
        command: &'static str,
        /// The rule's number.
        rule: Option<u8>,
    },
    /// A value was refused; the field named.
    Input(String),
}

impl Refusal {
    /// The rule (its number in DOMAIN.md) that refuses, as the model reads DOMAIN.md.
    pub fn rule(&self) -> Option<u8> {
        match self {
            Refusal::NotFound | Refusal::Input(_) => None,
            Refusal::PermissionMissing => Some(1),
            Refusal::Ineligible(_) => Some(2),
            Refusal::ReasonRequired => Some(3),
            Refusal::UnknownOwedAction | Refusal::AlreadyDischarged(_) | Refusal::NotSent => {
                Some(5)
            }
            Refusal::OutOfWaitingListOrder { .. } => Some(7),
            Refusal::ClosureNeedsProposal
            | Refusal::AgreementsMissing(_)
            | Refusal::NotAParty(_) => Some(16),
            Refusal::CaseClosed(_) | Refusal::OpenCaseExists(_) => Some(17),
            Refusal::ManagerRequired(_) | Refusal::UnknownApproval | Refusal::StaleApproval => {
                Some(24)
            }
            Refusal::SameWorker(_) => Some(25),
            Refusal::NotAtThisStage { rule, .. } => *rule,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rule) = self.rule() {
            write!(f, "R-{rule} ")?;
        }
        match self {
            Refusal::NotAtThisStage { stage, command, .. } => {
                write!(f, "NotAtThisStage ({command} while {stage})")
            }
            Refusal::Input(field) => write!(f, "Input (field `{field}`)"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The input a step resolves to, as the service under test is sent it (owed actions and
/// approvals still by position: the store's ids are not the model's business).
#[derive(Clone, Debug)]
pub enum Resolved {
    /// Register these details.
    Register(YoungPersonDetails),
    /// Receive this referral about this young person.
    Refer {
        /// About whom (`None`: a young person no store has).
        person: Option<usize>,
        /// The referral, with its time resolved.
        referral: NewReferral,
    },
    /// Execute a command on a case.
    Execute {
        /// Which case (`None`: a case no store has).
        case: Option<usize>,
        /// The command.
        command: Cmd,
    },
}

/// What the model predicts for a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prediction {
    /// Accepted, appending events of these types in this order.
    Accepted(Vec<&'static str>),
    /// Refused.
    Refused(Refusal),
}

impl fmt::Display for Prediction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prediction::Accepted(events) => write!(f, "accepted [{}]", events.join(", ")),
            Prediction::Refused(r) => write!(f, "refused: {r}"),
        }
    }
}

/// The model's account of the step just applied.
#[derive(Clone, Debug)]
pub struct Expected {
    /// The step's number, from 1.
    pub number: usize,
    /// What the service is sent.
    pub input: Resolved,
    /// What the model predicts.
    pub prediction: Prediction,
    /// The case the step touched, if any (a new case for an accepted referral).
    pub case: Option<usize>,
}

/// The whole model: a service at one moment.
#[derive(Clone, Debug)]
pub struct ModelState {
    /// The service's rules.
    pub rules: ModelRules,
    /// The clock.
    pub now: DateTime<Utc>,
    /// Registered young people, in order.
    pub people: Vec<YoungPersonDetails>,
    /// Cases, in the order opened.
    pub cases: Vec<ModelCase>,
    /// Referrals attempted so far (each gets its own microsecond, so no two referrals share a
    /// time and R-7's order is fully determined).
    pub referrals: u32,
    /// Steps applied so far.
    pub steps: usize,
    /// A sequence about one long piece of work: one young person, and steps that keep her case
    /// active (reviews, pauses, professionals, sharing consent) rather than close it, so its
    /// stream passes the interval at which the service snapshots a case.
    pub long_case: bool,
    /// The latest step's prediction.
    pub last: Option<Expected>,
}

impl ModelState {
    /// A service with no one registered yet, at `now`.
    pub fn new(rules: ModelRules, now: DateTime<Utc>) -> Self {
        ModelState {
            rules,
            now,
            people: Vec::new(),
            cases: Vec::new(),
            referrals: 0,
            steps: 0,
            long_case: false,
            last: None,
        }
    }

    /// The waiting list in R-7 order: High risk first, then Medium, then Low; within a level,
    /// the earliest referral first.
    pub fn waiting_list(&self) -> Vec<usize> {
        let mut list: Vec<usize> = (0..self.cases.len())
            .filter(|&i| self.cases[i].stage == StageName::WaitingList)
            .collect();
        list.sort_by(|&a, &b| {
            let (a, b) = (&self.cases[a], &self.cases[b]);
            b.risk()
                .cmp(&a.risk())
                .then(a.received_at.cmp(&b.received_at))
        });
        list
    }

    /// A young person's cases, oldest referral first.
    pub fn cases_of(&self, person: usize) -> Vec<usize> {
        let mut cases: Vec<usize> = (0..self.cases.len())
            .filter(|&i| self.cases[i].person == person)
            .collect();
        cases.sort_by_key(|&i| self.cases[i].received_at);
        cases
    }

    /// Owed actions not yet discharged, as (case, kind, due).
    pub fn outstanding(&self) -> Vec<(usize, OwedActionKind, DateTime<Utc>)> {
        let mut out = Vec::new();
        for (i, case) in self.cases.iter().enumerate() {
            for a in &case.owed {
                if a.state == OwedState::Owed {
                    out.push((i, a.kind, a.due_at));
                }
            }
        }
        out
    }
}
