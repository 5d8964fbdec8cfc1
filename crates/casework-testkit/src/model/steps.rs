//! The steps a sequence is made of, and who takes them: the actors ([`By`]), the references a
//! step uses for young people, cases, owed actions and approvals ([`Target`], [`ActionRef`],
//! [`ApprovalRef`]), the steps themselves ([`Step`], [`Action`], [`Cmd`]), how a [`Cmd`] becomes
//! the [`CaseCommand`] the service is sent, and how a step reads in a failure's history.

use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::{CaseCommand, ReferralSource};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{ApprovalId, OwedActionId, StaffId};
use casework_core::kernel::input::Text;
use casework_core::policy::risk::{IndicatorAnswer, RiskOverride, When, Window};
use casework_core::young_person::YoungPersonDetails;
use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// Who takes a step: two project workers and a manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum By {
    /// Sam, a project worker.
    Worker,
    /// Nico, another project worker.
    OtherWorker,
    /// Alex, the manager who approves some steps.
    Manager,
}

impl By {
    /// Every actor.
    pub const ALL: [By; 3] = [By::Worker, By::OtherWorker, By::Manager];

    /// Whether this actor is a manager.
    pub fn is_manager(self) -> bool {
        self == By::Manager
    }

    /// The actor's staff id: fixed, so the model and the store agree on who holds a case.
    pub fn staff_id(self) -> StaffId {
        static IDS: std::sync::OnceLock<[StaffId; 3]> = std::sync::OnceLock::new();
        let ids = IDS.get_or_init(|| {
            [
                id(0x5a11_0000_0000_4000_8000_0000_0000_0001),
                id(0x5a11_0000_0000_4000_8000_0000_0000_0002),
                id(0x5a11_0000_0000_4000_8000_0000_0000_0003),
            ]
        });
        ids[self as usize]
    }

    /// The actor's fictional name.
    pub fn name(self) -> &'static str {
        match self {
            By::Worker => "Sam Worker",
            By::OtherWorker => "Nico Worker",
            By::Manager => "Alex Manager",
        }
    }

    /// The actor as the service sees them.
    pub fn actor(self) -> Actor {
        Actor {
            id: self.staff_id(),
            name: self.name().into(),
            role: if self.is_manager() {
                Role::Manager
            } else {
                Role::Worker
            },
        }
    }

    fn label(self) -> &'static str {
        match self {
            By::Worker => "worker",
            By::OtherWorker => "other worker",
            By::Manager => "manager",
        }
    }
}

/// Any Casework id from 128 bits.
pub(super) fn id<T: serde::de::DeserializeOwned>(bits: u128) -> T {
    serde_json::from_value(serde_json::Value::String(format!("{bits:032x}")))
        .expect("every Casework id deserializes from a uuid")
}

/// An owed action, approval, case or young person no store has (refused, or not found).
pub(super) const UNKNOWN: u128 = 0x0dd0_0000_0000_4000_8000_0000_0000_0bad;

/// Which owed action of a case a step names: the n-th raised (in the order the model and the
/// store both see), or one the case does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionRef {
    /// The n-th owed action raised on the case, from 0.
    Nth(usize),
    /// An id the case does not have.
    Unknown,
}

/// Which approval request of a case a step names: the n-th requested (possibly already
/// approved or refused), or one the case never had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalRef {
    /// The n-th approval requested on the case, from 0.
    Nth(usize),
    /// An id the case never had.
    Unknown,
}

/// Which young person or case a step names: one the model knows by position, or one no store
/// has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The n-th registered young person, or the n-th case opened, from 0.
    Nth(usize),
    /// An id no store has: the service answers "not found".
    Unknown,
}

impl Target {
    pub(super) fn index(self) -> Option<usize> {
        match self {
            Target::Nth(n) => Some(n),
            Target::Unknown => None,
        }
    }
}

/// One step of a sequence: who, how long after the previous step, and what.
#[derive(Clone, Debug)]
pub struct Step {
    /// Who acts.
    pub by: By,
    /// Seconds since the previous step (at least 1, so every step has its own time).
    pub after_secs: u32,
    /// What they do.
    pub action: Action,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Register a young person.
    Register {
        /// Their details (sometimes with a date of birth in the future: refused).
        details: YoungPersonDetails,
    },
    /// Receive a referral about a young person.
    Refer {
        /// About whom.
        person: Target,
        /// Who referred.
        source: ReferralSource,
        /// How long before now it was received (negative: in the future, refused).
        secs_ago: i64,
    },
    /// A command to a case.
    Command {
        /// Which case.
        case: Target,
        /// The command.
        command: Cmd,
    },
}

/// A case command as a step names it: ids of owed actions and approvals by position, times
/// relative to the step, so a shrunk sequence still means the same thing.
#[derive(Clone, Debug)]
pub enum Cmd {
    /// Any command that names no owed action, approval or time.
    Do(CaseCommand),
    /// Record a consent entry given `secs_ago` seconds before now (negative: future, refused).
    Consent {
        /// The scope.
        scope: ConsentScope,
        /// Given, refused or withdrawn.
        decision: ConsentDecision,
        /// By whom.
        by: ConsentGiver,
        /// How.
        method: ConsentMethod,
        /// How long ago.
        secs_ago: i64,
    },
    /// An owed action was sent `secs_ago` seconds before now.
    MarkSent {
        /// Which.
        action: ActionRef,
        /// How long ago.
        secs_ago: i64,
    },
    /// A sent action was acknowledged `secs_ago` seconds before now.
    Acknowledge {
        /// Which.
        action: ActionRef,
        /// How long ago.
        secs_ago: i64,
    },
    /// An owed action will not be sent, and why.
    Explain {
        /// Which.
        action: ActionRef,
    },
    /// A manager approves a pending step.
    Approve {
        /// Which request.
        approval: ApprovalRef,
    },
    /// A manager refuses a pending step.
    RefuseApproval {
        /// Which request.
        approval: ApprovalRef,
    },
}

pub(super) fn fixed_text(s: &str) -> Text {
    Text::parse("text", s).expect("fixed texts are not empty")
}

impl Cmd {
    /// The command the service is sent at `now`, with the case's real ids.
    pub fn to_command(
        &self,
        now: DateTime<Utc>,
        action: impl Fn(usize) -> Option<OwedActionId>,
        approval: impl Fn(usize) -> Option<ApprovalId>,
    ) -> CaseCommand {
        let action_id = |r: &ActionRef| match r {
            ActionRef::Nth(n) => action(*n).unwrap_or_else(|| id(UNKNOWN)),
            ActionRef::Unknown => id(UNKNOWN),
        };
        let approval_id = |r: &ApprovalRef| match r {
            ApprovalRef::Nth(n) => approval(*n).unwrap_or_else(|| id(UNKNOWN)),
            ApprovalRef::Unknown => id(UNKNOWN),
        };
        match self {
            Cmd::Do(command) => command.clone(),
            Cmd::Consent {
                scope,
                decision,
                by,
                method,
                secs_ago,
            } => CaseCommand::RecordConsent {
                entry: ConsentEntry {
                    scope: scope.clone(),
                    decision: *decision,
                    by: *by,
                    method: *method,
                    purpose: fixed_text("Referral to the service (fictional)"),
                    given_at: now - Duration::seconds(*secs_ago),
                },
            },
            Cmd::MarkSent { action, secs_ago } => CaseCommand::MarkActionSent {
                action: action_id(action),
                reference: fixed_text("FICT-REF-0001"),
                sent_at: now - Duration::seconds(*secs_ago),
            },
            Cmd::Acknowledge { action, secs_ago } => CaseCommand::AcknowledgeAction {
                action: action_id(action),
                acknowledged_at: now - Duration::seconds(*secs_ago),
            },
            Cmd::Explain { action } => CaseCommand::ExplainAction {
                action: action_id(action),
                explanation: fixed_text("Already known to the team (fictional)"),
            },
            Cmd::Approve { approval } => CaseCommand::Approve {
                approval: approval_id(approval),
                reason: fixed_text("Agreed in supervision (fictional)").into(),
            },
            Cmd::RefuseApproval { approval } => CaseCommand::RefuseApproval {
                approval: approval_id(approval),
                reason: fixed_text("Not agreed in supervision (fictional)").into(),
            },
        }
    }

    pub(super) fn is_discharge(&self) -> bool {
        matches!(
            self,
            Cmd::MarkSent { .. } | Cmd::Acknowledge { .. } | Cmd::Explain { .. }
        )
    }
}

fn ago(secs: i64) -> String {
    if secs < 0 {
        return format!("{}s in the future", -secs);
    }
    match secs {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s => format!("{}h ago", s / 3600),
    }
}

fn describe_answers(answers: &[IndicatorAnswer]) -> String {
    let words: Vec<String> = answers
        .iter()
        .map(|a| match a.when {
            When::In(Window::Current) => a.key.clone(),
            When::In(Window::Within6Months) => format!("{} (<6m)", a.key),
            When::In(Window::SixTo12Months) => format!("{} (6-12m)", a.key),
            When::LastSeen(d) => format!("{} (seen {d})", a.key),
        })
        .collect();
    format!("[{}]", words.join(", "))
}

fn describe_override(o: &Option<RiskOverride<NewConfidential>>) -> String {
    o.as_ref()
        .map(|o| format!(", override {}", o.level))
        .unwrap_or_default()
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cmd::Do(c) => match c {
                CaseCommand::AssessRisk {
                    indicators,
                    worker_override,
                } => write!(
                    f,
                    "assess_risk {}{}",
                    describe_answers(indicators),
                    describe_override(worker_override)
                ),
                CaseCommand::RecordReview {
                    indicators,
                    worker_override,
                    decision,
                } => write!(
                    f,
                    "record_review {}{} ({decision})",
                    describe_answers(indicators),
                    describe_override(worker_override)
                ),
                CaseCommand::Allocate {
                    worker,
                    out_of_order_reason,
                    ..
                } => {
                    let who = By::ALL
                        .into_iter()
                        .find(|b| b.staff_id() == *worker)
                        .map_or("another member of staff", |b| b.name());
                    write!(f, "allocate to {who}")?;
                    if out_of_order_reason.is_some() {
                        write!(f, " (with an out-of-order reason)")?;
                    }
                    Ok(())
                }
                CaseCommand::Close { reason } => write!(f, "close ({})", reason.as_str()),
                CaseCommand::Pause { reason } => write!(f, "pause ({})", reason.as_str()),
                CaseCommand::Signpost { reason, .. } => write!(
                    f,
                    "signpost ({})",
                    if reason.is_some() {
                        "with a reason"
                    } else {
                        "no reason given"
                    }
                ),
                CaseCommand::RecordAgreement { party } => write!(f, "record_agreement ({party})"),
                CaseCommand::RecordProfessional { professional } => {
                    write!(f, "record_professional ({})", professional.id)
                }
                other => f.write_str(other.name()),
            },
            Cmd::Consent {
                scope,
                decision,
                by,
                secs_ago,
                ..
            } => write!(
                f,
                "record_consent ({scope} {decision} by {by}, {})",
                ago(*secs_ago)
            ),
            Cmd::MarkSent { action, secs_ago } => {
                write!(f, "mark_action_sent ({action:?}, {})", ago(*secs_ago))
            }
            Cmd::Acknowledge { action, secs_ago } => {
                write!(f, "acknowledge_action ({action:?}, {})", ago(*secs_ago))
            }
            Cmd::Explain { action } => write!(f, "explain_action ({action:?})"),
            Cmd::Approve { approval } => write!(f, "approve ({approval:?})"),
            Cmd::RefuseApproval { approval } => write!(f, "refuse_approval ({approval:?})"),
        }
    }
}

fn target(t: &Target, what: &str) -> String {
    match t {
        Target::Nth(n) => format!("{what}#{n}"),
        Target::Unknown => format!("an unknown {what}"),
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (+{}s): ", self.by.label(), self.after_secs)?;
        match &self.action {
            Action::Register { details } => write!(
                f,
                "register {} (born {}, {}, {}{})",
                details.name,
                details.date_of_birth,
                details.gender,
                details.postcode,
                if details.learning_difficulty {
                    ", learning difficulty"
                } else {
                    ""
                }
            ),
            Action::Refer {
                person,
                source,
                secs_ago,
            } => write!(
                f,
                "refer {} (source {}, received {})",
                target(person, "person"),
                source.as_str(),
                ago(*secs_ago)
            ),
            Action::Command { case, command } => {
                write!(f, "{command} on {}", target(case, "case"))
            }
        }
    }
}
