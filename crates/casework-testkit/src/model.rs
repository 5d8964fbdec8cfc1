//! A reference model of the safeguarding rules, and a model-based test that holds every store
//! to it.
//!
//! # The model
//!
//! [`ModelState`] is a small, plain-data account of a service: the young people registered, and
//! for each case its stage, consent entries, owed actions, professionals, assessments, pending
//! approvals, allocation and closure agreements. Its rules are written out here, once more, in
//! the words of DOMAIN.md, without calling the core's decisions (no `Case::decide`, `evolve`,
//! `fold`, eligibility screening, risk tool or consent ledger): it borrows only the core's
//! vocabulary (stage names, commands, consent scopes, closure reasons). Its profile,
//! [`ModelRules::city`], restates the example city girls' service: ages up to 18 (24 with a
//! learning difficulty) on the referral date, girls and young women, every `LS` postcode plus
//! `WF10` and `WF3`, the minimal risk tool (vulnerabilities 1, significant indicators 5, or 1
//! when 6–12 months ago; 0–2 Low, 3–5 Medium, 6+ High; under 13 or a learning difficulty never
//! Low; a disclosure High), owed actions due in 24, 24 and 72 hours, and reviews every 84, 42
//! and 28 days; which steps need a manager (R-24) varies by sequence.
//!
//! For every step the model predicts: accepted, with the event types the step appends, and the
//! case's new facts; or refused, with the [`Refusal`] (which `DomainError` variant, which rule).
//!
//! # The test
//!
//! [`CaseworkModel`] is a `proptest-state-machine` [`ReferenceStateMachine`]: it generates
//! random sequences of [`Step`]s by several actors (two workers and a manager) over several
//! young people and cases, mostly likely next steps for a case's stage, and many invalid ones
//! (steps a stage lacks, unknown owed actions and approvals, times in the future, ineligible or
//! unconsented referrals, workers doing a manager's part). [`ModelTest`] is the matching
//! [`StateMachineTest`]: it runs each step on the real [`Casework`] facade over a fresh store
//! from a [`StoreFactory`] and, after every step:
//! - compares the result with the model's prediction: the event types appended, or the typed
//!   error (variant, its facts, and `DomainError::rule()` against the model's reading of
//!   DOMAIN.md);
//! - after an accepted step, checks the [`invariants`], each named after its rule, on the case
//!   the step touched (R-1, R-2, R-5, R-16, R-17; R-18: gap-free versions, the stored events
//!   fold to the state the service returns and `execute` returned, the read-model row is the
//!   state's, `case_as_of` the previous step's time shows the state as it was then), compares
//!   the case's facts with the model's (stage, owed actions with status and due time, consent,
//!   professionals, screening, assessments, pending approvals, allocation, agreements, closure
//!   reason, next review, re-referral link), and checks the queries against the model: the
//!   waiting list in R-7 order and the outstanding actions (R-5);
//! - after a refused step, checks that the case it named is unchanged: nothing was written.
//!
//! At the end of each sequence every case is checked again in full (a store that damaged a
//! stream the step did not touch is caught too), and each young person's cases are compared
//! with the model's, oldest first with their re-referral links (R-17).
//!
//! A failure panics with a numbered history of the (shrunk) sequence, one line per step, and
//! the model's prediction beside what the store did where they differ:
//!
//! ```text
//!    0. a memory store; the manager approves: nothing (R-24 off)
//!    1. worker (+1s): register Amy Example (born 2013-03-04, female, LS1) → accepted [young_person_registered]
//!    2. worker (+1s): refer person#0 (source self, received 0s ago) → accepted [referral_received, consent_recorded, owed_action_raised]
//!    3. worker (+1s): screen on case#0 → accepted [eligibility_screened] (stage screened)
//!    4. worker (+1s): assess_risk [] on case#0
//!         model: accepted [risk_assessed, owed_action_raised]
//!         store: accepted [risk_assessed] (stage assessed)   <-- differs
//! ```
//!
//! Run it on a store with [`run`]: describe how to make a fresh store, and call it from a
//! test (`tests/model_based.rs` does this for memory, SQLite and Postgres):
//!
//! ```text
//! use casework_testkit::model::{run, RunConfig, StoreFactory};
//!
//! struct Mine;
//!
//! impl StoreFactory for Mine {
//!     type Store = MyStore;
//!     fn name() -> &'static str {
//!         "my store"
//!     }
//!     async fn fresh() -> MyStore {
//!         MyStore::open_temporary().await.unwrap()
//!     }
//! }
//!
//! #[test]
//! fn my_store_follows_the_model() {
//!     match run::<Mine>(&RunConfig::from_env()) {
//!         Ok(report) => eprintln!("{report}"),
//!         Err(failure) => panic!("{failure}"),
//!     }
//! }
//! ```
//!
//! [`ModelTest`] also works with `proptest-state-machine`'s own macro:
//! `prop_state_machine! { #[test] fn mine(sequential 1..48 => ModelTest<Mine>); }`.
//!
//! # Counts
//!
//! [`RunConfig::from_env`] reads `PROPTEST_CASES` (proptest's own variable; CI sets 256) for
//! the number of sequences ([`RunConfig::times`] multiplies it), each of 1 to
//! `CASEWORK_MODEL_STEPS` steps (default 48); [`RunConfig::threads`] shares them among threads.
//! A long run, e.g. before a release:
//!
//! ```sh
//! PROPTEST_CASES=10000 cargo test --release --all-features --test model_based -- --nocapture
//! ```

use crate::strategies;
use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{
    Case, CaseCommand, CaseEvent, ClosureReason, GatedStep, NewReferral, Outcome, Party,
    ReferralSource, StageName,
};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::clock::ManualClock;
use casework_core::kernel::confidential::Confidential;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::event::{decode_stream, Recorded};
use casework_core::kernel::ids::{
    ApprovalId, CaseId, OwedActionId, ProfessionalId, StaffId, YoungPersonId,
};
use casework_core::kernel::input::Text;
use casework_core::policy::eligibility::IneligibilityKind;
use casework_core::policy::profile::{Approvals, ServiceProfile};
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride, When, Window};
use casework_core::read::rows::CaseSummary;
use casework_core::store::Store;
use casework_core::young_person::{Gender, YoungPersonDetails};
use casework_service::{Casework, CommandError};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// `proptest-state-machine`, re-exported so a test needs no dependency of its own on it.
pub use proptest_state_machine;
pub use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

// =============================================================================================
// Actors and references
// =============================================================================================

/// Who takes a step: two project workers and a manager (R-24, R-27).
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
fn id<T: serde::de::DeserializeOwned>(bits: u128) -> T {
    serde_json::from_value(serde_json::Value::String(format!("{bits:032x}")))
        .expect("every Casework id deserializes from a uuid")
}

/// An owed action, approval, case or young person no store has (refused, or not found).
const UNKNOWN: u128 = 0x0dd0_0000_0000_4000_8000_0000_0000_0bad;

/// Which owed action of a case a step names: the n-th raised (in the order the model and the
/// store both see), or one the case does not have (R-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionRef {
    /// The n-th owed action raised on the case, from 0.
    Nth(usize),
    /// An id the case does not have.
    Unknown,
}

/// Which approval request of a case a step names: the n-th requested (possibly already
/// approved or refused), or one the case never had (R-24).
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
    fn index(self) -> Option<usize> {
        match self {
            Target::Nth(n) => Some(n),
            Target::Unknown => None,
        }
    }
}

// =============================================================================================
// Steps
// =============================================================================================

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
    /// An owed action was sent `secs_ago` seconds before now (R-5).
    MarkSent {
        /// Which.
        action: ActionRef,
        /// How long ago.
        secs_ago: i64,
    },
    /// A sent action was acknowledged `secs_ago` seconds before now (R-5).
    Acknowledge {
        /// Which.
        action: ActionRef,
        /// How long ago.
        secs_ago: i64,
    },
    /// An owed action will not be sent, and why (R-5).
    Explain {
        /// Which.
        action: ActionRef,
    },
    /// A manager approves a pending step (R-24).
    Approve {
        /// Which request.
        approval: ApprovalRef,
    },
    /// A manager refuses a pending step (R-24).
    RefuseApproval {
        /// Which request.
        approval: ApprovalRef,
    },
}

fn fixed_text(s: &str) -> Text {
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
                reason: fixed_text("Agreed in supervision (fictional)"),
            },
            Cmd::RefuseApproval { approval } => CaseCommand::RefuseApproval {
                approval: approval_id(approval),
                reason: fixed_text("Not agreed in supervision (fictional)"),
            },
        }
    }

    fn is_discharge(&self) -> bool {
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

fn describe_override(o: &Option<RiskOverride>) -> String {
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
                CaseCommand::Close { reason } => write!(f, "close ({reason})"),
                CaseCommand::Pause { reason } => write!(f, "pause ({reason})"),
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

// =============================================================================================
// The model's profile
// =============================================================================================

/// The rules of the example city girls' service, restated as plain data for the model, with
/// which steps need a manager's approval (R-24).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRules {
    /// Youngest age served (completed years on the referral date), inclusive.
    pub min_age: u32,
    /// Oldest age served, inclusive.
    pub max_age: u32,
    /// Oldest age served where a learning difficulty is recorded, inclusive.
    pub max_age_with_learning_difficulty: u32,
    /// Genders served.
    pub genders: Vec<Gender>,
    /// Postcode areas covered (every district of each).
    pub areas: Vec<&'static str>,
    /// Single postcode districts covered.
    pub districts: Vec<&'static str>,
    /// Hours to notify the safeguarding unit, from the referral (R-5).
    pub safeguarding_unit_hours: i64,
    /// Hours to refer to duty social work, from the assessment (R-5).
    pub duty_social_work_hours: i64,
    /// Hours to tell the referrer the outcome (R-4).
    pub outcome_hours: i64,
    /// Days to the next review at Low, Medium and High risk (R-12).
    pub review_days: [i64; 3],
    /// Steps that need a manager's approval (R-24).
    pub approvals: Approvals,
}

impl ModelRules {
    /// The example city girls' service
    /// ([`casework_core::policy::profile::examples::city_girls_service`]) with `approvals`.
    pub fn city(approvals: Approvals) -> Self {
        ModelRules {
            min_age: 0,
            max_age: 18,
            max_age_with_learning_difficulty: 24,
            genders: vec![Gender::Female],
            areas: vec!["LS"],
            districts: vec!["WF10", "WF3"],
            safeguarding_unit_hours: 24,
            duty_social_work_hours: 24,
            outcome_hours: 72,
            review_days: [84, 42, 28],
            approvals,
        }
    }

    /// The profile the service under test runs with: the shipped example with the same
    /// approvals.
    pub fn service_profile(&self) -> ServiceProfile {
        let mut profile = casework_core::policy::profile::examples::city_girls_service();
        profile.approvals = self.approvals;
        profile
    }

    /// Why a young person with `details` is outside the service on `date` (R-2); empty when
    /// eligible.
    pub fn ineligibility(
        &self,
        details: &YoungPersonDetails,
        date: NaiveDate,
    ) -> Vec<IneligibilityKind> {
        let age = age_on(details.date_of_birth, date);
        let max = if details.learning_difficulty {
            self.max_age_with_learning_difficulty
        } else {
            self.max_age
        };
        let outward = details
            .postcode
            .to_string()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let area: String = outward
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let covered =
            self.areas.iter().any(|a| *a == area) || self.districts.iter().any(|d| *d == outward);
        let mut kinds = Vec::new();
        if age < self.min_age {
            kinds.push(IneligibilityKind::TooYoung);
        }
        if age > max {
            kinds.push(IneligibilityKind::TooOld);
        }
        if !self.genders.contains(&details.gender) {
            kinds.push(IneligibilityKind::GenderNotServed);
        }
        if !covered {
            kinds.push(IneligibilityKind::OutsideArea);
        }
        kinds
    }

    /// The level the minimal risk tool computes (R-21), or the position of the first answer it
    /// refuses (an unknown or repeated indicator).
    pub fn risk_level(
        &self,
        answers: &[IndicatorAnswer],
        age: u32,
        learning_difficulty: bool,
    ) -> Result<RiskLevel, usize> {
        const VULNERABILITIES: [&str; 5] = [
            "missing_from_home",
            "school_absence",
            "older_boyfriend",
            "unexplained_gifts",
            "substance_misuse",
        ];
        const SIGNIFICANT: [&str; 3] = ["sexual_health", "taken_to_parties", "disclosure"];
        let mut seen = BTreeSet::new();
        let mut score = 0;
        let mut floor = RiskLevel::Low;
        for (i, answer) in answers.iter().enumerate() {
            let key = answer.key.as_str();
            let significant = SIGNIFICANT.contains(&key);
            if !significant && !VULNERABILITIES.contains(&key) {
                return Err(i);
            }
            if !seen.insert(key) {
                return Err(i);
            }
            let window = match answer.when {
                When::In(w) => w,
                When::LastSeen(_) => unimplemented!("the model's steps answer with windows"),
            };
            score += match (significant, window) {
                (false, Window::SixTo12Months) => 0,
                (false, _) => 1,
                (true, Window::SixTo12Months) => 1,
                (true, _) => 5,
            };
            if key == "disclosure" {
                floor = RiskLevel::High;
            }
        }
        if age < 13 || learning_difficulty {
            floor = floor.max(RiskLevel::Medium);
        }
        let banded = match score {
            0..=2 => RiskLevel::Low,
            3..=5 => RiskLevel::Medium,
            _ => RiskLevel::High,
        };
        Ok(banded.max(floor))
    }

    fn review_days(&self, level: RiskLevel) -> i64 {
        match level {
            RiskLevel::Low => self.review_days[0],
            RiskLevel::Medium => self.review_days[1],
            RiskLevel::High => self.review_days[2],
        }
    }
}

/// Age in completed years on `date`; a 29 February birthday counts from 1 March.
pub fn age_on(date_of_birth: NaiveDate, date: NaiveDate) -> u32 {
    let mut years = date.year() - date_of_birth.year();
    if (date.month(), date.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

// =============================================================================================
// The model's state
// =============================================================================================

/// Where an owed action stands (R-5).
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

/// A step waiting for a manager (R-24).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelGated {
    /// Close with this reason.
    Close(ClosureReason),
    /// Close for 'risk significantly reduced'.
    CompleteClosure,
    /// Allocate out of waiting-list order to this worker.
    Allocate(StaffId),
    /// Override assessment `n`'s level.
    RiskOverride(usize, RiskLevel),
}

/// An approval request and whether it is still open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelApproval {
    /// The step asked for.
    pub step: ModelGated,
    /// Still pending (neither approved nor refused).
    pub open: bool,
}

/// One assessment: the level the tool computed and the level that applies (R-21).
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
    /// Whether the young person referred themselves (R-1).
    pub self_referral: bool,
    /// The young person's details as referred.
    pub subject: YoungPersonDetails,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// The previous case of a re-referral (R-17).
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
    /// The allocated worker, and whether out of waiting-list order.
    pub allocation: Option<(StaffId, bool)>,
    /// Parties who agreed to the current closure proposal (R-16).
    pub agreed: Vec<Party>,
    /// The referral's outcome.
    pub outcome: Option<ModelOutcome>,
    /// Why it closed.
    pub closure: Option<ClosureReason>,
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

    fn before_allocation(&self) -> bool {
        matches!(
            self.stage,
            StageName::Received
                | StageName::Screened
                | StageName::Assessed
                | StageName::AwaitingAllocation
                | StageName::WaitingList
        )
    }

    fn has_worker(&self) -> bool {
        matches!(
            self.stage,
            StageName::Allocated
                | StageName::Engaged
                | StageName::Active
                | StageName::Paused
                | StageName::Closing
        )
    }

    /// Whether the young person's own latest word on `scope` is "given" (R-1, R-10).
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

    /// Everyone whose agreement a 'risk significantly reduced' closure needs (R-16).
    pub fn parties(&self) -> Vec<Party> {
        std::iter::once(Party::YoungPerson)
            .chain(self.professionals.iter().map(|p| Party::Professional(*p)))
            .collect()
    }

    fn owed_mut(&mut self, action: &ActionRef) -> Result<&mut ModelOwed, Refusal> {
        match action {
            ActionRef::Nth(n) => self.owed.get_mut(*n).ok_or(Refusal::UnknownOwedAction),
            ActionRef::Unknown => Err(Refusal::UnknownOwedAction),
        }
    }

    fn owe(&mut self, kind: OwedActionKind, due_at: DateTime<Utc>) {
        self.owed.push(ModelOwed {
            kind,
            due_at,
            state: OwedState::Owed,
        });
    }

    fn close(&mut self, reason: ClosureReason) {
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
    /// R-1.
    PermissionMissing,
    /// R-2, with every kind of reason.
    Ineligible(Vec<IneligibilityKind>),
    /// R-3.
    ReasonRequired,
    /// R-7: the case is not at the head; the head is the other.
    OutOfWaitingListOrder {
        /// The case asked for.
        case: usize,
        /// The case at the head.
        head: usize,
    },
    /// R-16.
    ClosureNeedsProposal,
    /// R-16, with who has not agreed.
    AgreementsMissing(Vec<Party>),
    /// R-16.
    NotAParty(Party),
    /// R-17.
    CaseClosed(usize),
    /// R-17, naming the open case.
    OpenCaseExists(usize),
    /// R-5.
    UnknownOwedAction,
    /// R-5, with the action's status.
    AlreadyDischarged(&'static str),
    /// R-5.
    NotSent,
    /// R-24, with what was attempted.
    ManagerRequired(&'static str),
    /// R-24.
    UnknownApproval,
    /// R-24.
    StaleApproval,
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

const STATUS_GIVEN: ConsentDecision = ConsentDecision::Given;

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

    /// A young person's cases, oldest referral first (R-17).
    pub fn cases_of(&self, person: usize) -> Vec<usize> {
        let mut cases: Vec<usize> = (0..self.cases.len())
            .filter(|&i| self.cases[i].person == person)
            .collect();
        cases.sort_by_key(|&i| self.cases[i].received_at);
        cases
    }

    /// Owed actions not yet discharged, as (case, kind, due) (R-5).
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

    /// Applies one step: moves the clock on, and records what the model predicts.
    pub fn apply(mut self, step: &Step) -> Self {
        self.now += Duration::seconds(i64::from(step.after_secs.max(1)));
        self.steps += 1;
        let number = self.steps;
        let (input, prediction, case) = match &step.action {
            Action::Register { details } => {
                let p = self.register(details);
                (Resolved::Register(details.clone()), p, None)
            }
            Action::Refer {
                person,
                source,
                secs_ago,
            } => self.refer(*person, source, *secs_ago),
            Action::Command { case, command } => {
                let prediction = match case.index() {
                    None => Prediction::Refused(Refusal::NotFound),
                    Some(i) => self.execute(step.by, i, command),
                };
                (
                    Resolved::Execute {
                        case: case.index(),
                        command: command.clone(),
                    },
                    prediction,
                    case.index(),
                )
            }
        };
        self.last = Some(Expected {
            number,
            input,
            prediction,
            case,
        });
        self
    }

    fn register(&mut self, details: &YoungPersonDetails) -> Prediction {
        let today = self.now.date_naive();
        if details.date_of_birth > today || age_on(details.date_of_birth, today) > 120 {
            return Prediction::Refused(Refusal::Input("date_of_birth".into()));
        }
        self.people.push(details.clone());
        Prediction::Accepted(vec!["young_person_registered"])
    }

    fn refer(
        &mut self,
        person: Target,
        source: &ReferralSource,
        secs_ago: i64,
    ) -> (Resolved, Prediction, Option<usize>) {
        self.referrals += 1;
        let received_at = self.now
            - Duration::seconds(secs_ago)
            - Duration::microseconds(i64::from(self.referrals));
        let referral = NewReferral {
            source: source.clone(),
            concerns: Confidential::new(fixed_text("Seen getting into cars after school")),
            received_at,
        };
        let input = Resolved::Refer {
            person: person.index(),
            referral,
        };
        let Some(p) = person.index() else {
            return (input, Prediction::Refused(Refusal::NotFound), None);
        };
        let earlier = self.cases_of(p);
        if let Some(&open) = earlier.iter().find(|&&c| self.cases[c].in_progress()) {
            return (
                input,
                Prediction::Refused(Refusal::OpenCaseExists(open)),
                None,
            );
        }
        if received_at > self.now {
            return (
                input,
                Prediction::Refused(Refusal::Input("received_at".into())),
                None,
            );
        }
        let self_referral = matches!(source, ReferralSource::SelfReferral);
        let mut case = ModelCase {
            person: p,
            self_referral,
            subject: self.people[p].clone(),
            received_at,
            previous: earlier.last().copied(),
            stage: StageName::Received,
            version: 0,
            consent: Vec::new(),
            owed: Vec::new(),
            professionals: match source {
                ReferralSource::Professional { professional } => vec![professional.id],
                _ => Vec::new(),
            },
            screening: None,
            assessments: Vec::new(),
            approvals: Vec::new(),
            allocation: None,
            agreed: Vec::new(),
            outcome: None,
            closure: None,
            next_review_due: None,
        };
        let mut events = vec!["referral_received"];
        if self_referral {
            // A self-referral is consent (R-1).
            case.consent.push((
                ConsentScope::Referral,
                STATUS_GIVEN,
                ConsentGiver::YoungPerson,
            ));
            events.push("consent_recorded");
        }
        // Every referral owes the safeguarding unit a notification (R-5).
        case.owe(
            OwedActionKind::NotifySafeguardingUnit,
            received_at + Duration::hours(self.rules.safeguarding_unit_hours),
        );
        events.push("owed_action_raised");
        case.version = events.len() as u64;
        self.cases.push(case);
        (
            input,
            Prediction::Accepted(events),
            Some(self.cases.len() - 1),
        )
    }

    fn execute(&mut self, by: By, index: usize, command: &Cmd) -> Prediction {
        let mut case = self.cases[index].clone();
        match self.decide(index, &mut case, by, command) {
            Ok(events) => {
                case.version += events.len() as u64;
                self.cases[index] = case;
                Prediction::Accepted(events)
            }
            Err(refusal) => Prediction::Refused(refusal),
        }
    }

    /// The model's decision on one command: the rules, in the order DOMAIN.md and the decision
    /// records give them. Changes `c` only where it accepts.
    fn decide(
        &self,
        index: usize,
        c: &mut ModelCase,
        by: By,
        command: &Cmd,
    ) -> Result<Vec<&'static str>, Refusal> {
        let stage = c.stage;
        // R-17: a closed case takes nothing but the discharge of owed actions (ADR 0003).
        if stage == StageName::Closed && !command.is_discharge() {
            return Err(Refusal::CaseClosed(index));
        }
        let now = self.now;
        let not_here = |command: &'static str, rule: Option<u8>| Refusal::NotAtThisStage {
            stage,
            command,
            rule,
        };
        match command {
            Cmd::MarkSent { action, secs_ago } => {
                if *secs_ago < 0 {
                    return Err(Refusal::Input("sent_at".into()));
                }
                let a = c.owed_mut(action)?;
                if a.state != OwedState::Owed {
                    return Err(Refusal::AlreadyDischarged(a.state.name()));
                }
                a.state = OwedState::Sent(now - Duration::seconds(*secs_ago));
                Ok(vec!["owed_action_sent"])
            }
            Cmd::Acknowledge { action, secs_ago } => {
                if *secs_ago < 0 {
                    return Err(Refusal::Input("acknowledged_at".into()));
                }
                let at = now - Duration::seconds(*secs_ago);
                let a = c.owed_mut(action)?;
                match a.state {
                    OwedState::Owed => Err(Refusal::NotSent),
                    OwedState::Sent(sent) if at < sent => {
                        Err(Refusal::Input("acknowledged_at".into()))
                    }
                    OwedState::Sent(_) => {
                        a.state = OwedState::Acknowledged;
                        Ok(vec!["owed_action_acknowledged"])
                    }
                    ref other => Err(Refusal::AlreadyDischarged(other.name())),
                }
            }
            Cmd::Explain { action } => {
                let a = c.owed_mut(action)?;
                if a.state != OwedState::Owed {
                    return Err(Refusal::AlreadyDischarged(a.state.name()));
                }
                a.state = OwedState::Explained;
                Ok(vec!["owed_action_explained"])
            }
            Cmd::Approve { approval } => self.approve(index, c, by, approval),
            Cmd::RefuseApproval { approval } => {
                if !c.in_progress() {
                    return Err(not_here("refuse_approval", None));
                }
                if !by.is_manager() {
                    return Err(Refusal::ManagerRequired("refuse an approval"));
                }
                let n = open_approval(c, approval)?;
                c.approvals[n].open = false;
                Ok(vec!["approval_refused"])
            }
            Cmd::Consent {
                scope,
                decision,
                by: giver,
                secs_ago,
                ..
            } => {
                if !c.in_progress() {
                    return Err(not_here("record_consent", None));
                }
                if *secs_ago < 0 {
                    return Err(Refusal::Input("entry.given_at".into()));
                }
                c.consent.push((scope.clone(), *decision, *giver));
                let mut events = vec!["consent_recorded"];
                // R-6: the service is voluntary. The young person refusing or withdrawing the
                // referral or engagement ends it.
                if *giver == ConsentGiver::YoungPerson
                    && *decision != ConsentDecision::Given
                    && matches!(scope, ConsentScope::Referral | ConsentScope::Engagement)
                {
                    if c.before_allocation() {
                        c.stage = StageName::Withdrawn;
                        events.push("referral_withdrawn");
                    } else {
                        c.close(ClosureReason::YoungPersonWithdrew);
                        events.push("case_closed");
                    }
                }
                Ok(events)
            }
            Cmd::Do(command) => self.decide_plain(index, c, by, command),
        }
    }

    /// R-24: a manager approves a pending step, which is then decided as if the manager took it
    /// (ADR 0006).
    fn approve(
        &self,
        index: usize,
        c: &mut ModelCase,
        by: By,
        approval: &ApprovalRef,
    ) -> Result<Vec<&'static str>, Refusal> {
        if !by.is_manager() {
            return Err(Refusal::ManagerRequired("approve a pending step"));
        }
        let n = open_approval(c, approval)?;
        if !c.in_progress() {
            return Err(Refusal::NotAtThisStage {
                stage: c.stage,
                command: "approve",
                rule: Some(24),
            });
        }
        c.approvals[n].open = false;
        let mut events = vec!["approval_given"];
        let step = match c.approvals[n].step.clone() {
            ModelGated::Close(reason) => {
                self.decide_plain(index, c, By::Manager, &CaseCommand::Close { reason })?
            }
            ModelGated::CompleteClosure => {
                self.decide_plain(index, c, By::Manager, &CaseCommand::CompleteClosure)?
            }
            ModelGated::Allocate(worker) => self.decide_plain(
                index,
                c,
                By::Manager,
                &CaseCommand::Allocate {
                    worker,
                    worker_name: fixed_text("Allocated worker"),
                    out_of_order_reason: Some(fixed_text("approved")),
                },
            )?,
            ModelGated::RiskOverride(assessment, level) => {
                // The override applies to the assessment it was asked for, and only while that
                // is the latest (R-21, R-24).
                if assessment + 1 != c.assessments.len() {
                    return Err(Refusal::StaleApproval);
                }
                let a = &mut c.assessments[assessment];
                a.level = level;
                a.overridden = true;
                let highest = a.level.max(a.computed);
                let mut step = vec!["risk_level_overridden"];
                step.extend(self.duty_referral(c, highest));
                step
            }
        };
        events.extend(step);
        Ok(events)
    }

    /// R-5: a Medium or High level (computed or applied) owes the duty social work team a
    /// referral, once a case.
    fn duty_referral(&self, c: &mut ModelCase, highest: RiskLevel) -> Option<&'static str> {
        let raised = c
            .owed
            .iter()
            .any(|a| a.kind == OwedActionKind::ReferToDutySocialWork);
        if highest >= RiskLevel::Medium && !raised {
            c.owe(
                OwedActionKind::ReferToDutySocialWork,
                self.now + Duration::hours(self.rules.duty_social_work_hours),
            );
            Some("owed_action_raised")
        } else {
            None
        }
    }

    /// R-4, R-12, R-21, R-24: an assessment with the tool; an override a manager must approve is
    /// requested rather than applied.
    fn assess(
        &self,
        c: &mut ModelCase,
        by: By,
        answers: &[IndicatorAnswer],
        worker_override: &Option<RiskOverride>,
        first: &'static str,
    ) -> Result<Vec<&'static str>, Refusal> {
        let age = age_on(c.subject.date_of_birth, self.now.date_naive());
        let computed = self
            .rules
            .risk_level(answers, age, c.subject.learning_difficulty)
            .map_err(|i| Refusal::Input(format!("indicators[{i}]")))?;
        let gated =
            worker_override.is_some() && self.rules.approvals.risk_override && !by.is_manager();
        let applied = worker_override.as_ref().filter(|_| !gated);
        let assessment = ModelAssessment {
            computed,
            level: applied.map_or(computed, |o| o.level),
            overridden: applied.is_some(),
        };
        c.assessments.push(assessment);
        let mut events = vec![first];
        events.extend(self.duty_referral(c, assessment.level.max(computed)));
        if let (true, Some(o)) = (gated, worker_override) {
            c.approvals.push(ModelApproval {
                step: ModelGated::RiskOverride(c.assessments.len() - 1, o.level),
                open: true,
            });
            events.push("approval_requested");
        }
        Ok(events)
    }

    fn request(c: &mut ModelCase, step: ModelGated) -> Vec<&'static str> {
        c.approvals.push(ModelApproval { step, open: true });
        vec!["approval_requested"]
    }

    /// Commands that name no owed action, approval or time.
    fn decide_plain(
        &self,
        index: usize,
        c: &mut ModelCase,
        by: By,
        command: &CaseCommand,
    ) -> Result<Vec<&'static str>, Refusal> {
        use CaseCommand as C;
        use StageName as S;
        let stage = c.stage;
        let name = command.name();
        let not_here = |rule: Option<u8>| Refusal::NotAtThisStage {
            stage,
            command: name,
            rule,
        };
        // R-24: does this actor's step wait for a manager?
        let gated = |flag: bool| flag && !by.is_manager();
        let approvals = self.rules.approvals;
        let now = self.now;
        match command {
            C::RecordProfessional { professional } => {
                if !c.in_progress() {
                    return Err(not_here(None));
                }
                if !c.professionals.contains(&professional.id) {
                    c.professionals.push(professional.id);
                }
                Ok(vec!["professional_involved"])
            }
            C::Screen => {
                if stage != S::Received {
                    return Err(not_here(None));
                }
                c.screening = Some(
                    self.rules
                        .ineligibility(&c.subject, c.received_at.date_naive()),
                );
                c.stage = S::Screened;
                Ok(vec!["eligibility_screened"])
            }
            C::AssessRisk {
                indicators,
                worker_override,
            } => match stage {
                // R-2: screening comes first.
                S::Received => Err(not_here(Some(2))),
                S::Screened => {
                    let events =
                        self.assess(c, by, indicators, worker_override, "risk_assessed")?;
                    c.stage = S::Assessed;
                    Ok(events)
                }
                _ => Err(not_here(None)),
            },
            C::AcceptForSupport | C::AddToWaitingList | C::Signpost { .. } | C::Decline { .. } => {
                match stage {
                    // R-4: every referral is assessed before an outcome.
                    S::Received | S::Screened => return Err(not_here(Some(4))),
                    S::Assessed => {}
                    _ => return Err(not_here(None)),
                }
                let reasons = c.screening.clone().unwrap_or_default();
                let (outcome, next) = match command {
                    C::AcceptForSupport | C::AddToWaitingList => {
                        // R-2 then R-1 guard every acceptance.
                        if !reasons.is_empty() {
                            return Err(Refusal::Ineligible(reasons));
                        }
                        if !c.permits(&ConsentScope::Referral) {
                            return Err(Refusal::PermissionMissing);
                        }
                        if matches!(command, C::AcceptForSupport) {
                            (ModelOutcome::ImmediateSupport, S::AwaitingAllocation)
                        } else {
                            (ModelOutcome::WaitingList, S::WaitingList)
                        }
                    }
                    C::Signpost { reason, .. } => {
                        // R-3: signposted with a reason, the screening's when none is given.
                        if reason.is_none() && reasons.is_empty() {
                            return Err(Refusal::ReasonRequired);
                        }
                        (ModelOutcome::Signposted, S::Signposted)
                    }
                    _ => (ModelOutcome::Declined, S::Declined),
                };
                c.outcome = Some(outcome);
                // R-4: the referrer is owed the outcome.
                c.owe(
                    OwedActionKind::CommunicateOutcome,
                    now + Duration::hours(self.rules.outcome_hours),
                );
                c.stage = next;
                Ok(vec!["outcome_given", "owed_action_raised"])
            }
            C::Withdraw { .. } => {
                if !c.before_allocation() {
                    return Err(not_here(None));
                }
                c.stage = S::Withdrawn;
                Ok(vec!["referral_withdrawn"])
            }
            C::Allocate {
                worker,
                out_of_order_reason,
                ..
            } => {
                let allocate = |c: &mut ModelCase, out_of_order: bool| {
                    c.allocation = Some((*worker, out_of_order));
                    c.stage = S::Allocated;
                    vec!["case_allocated"]
                };
                match stage {
                    S::AwaitingAllocation => Ok(allocate(c, false)),
                    S::WaitingList => {
                        // R-7: from the head, unless a manager records a reason.
                        let head = self.waiting_list().first().copied();
                        let at_head = head.is_none_or(|h| h == index);
                        match out_of_order_reason {
                            _ if at_head => Ok(allocate(c, false)),
                            Some(_) if gated(approvals.out_of_order_allocation) => {
                                Ok(Self::request(c, ModelGated::Allocate(*worker)))
                            }
                            Some(_) if by.is_manager() => Ok(allocate(c, true)),
                            _ => Err(Refusal::OutOfWaitingListOrder {
                                case: index,
                                head: head.unwrap_or(index),
                            }),
                        }
                    }
                    _ => Err(not_here(None)),
                }
            }
            C::AgreePlan { .. } => {
                if stage != S::Allocated {
                    return Err(not_here(None));
                }
                c.stage = S::Engaged;
                Ok(vec!["plan_agreed"])
            }
            C::BeginWork => {
                if stage != S::Engaged {
                    return Err(not_here(None));
                }
                // R-12: the first review on the cadence for the current level (Medium if none).
                let level = c.risk().unwrap_or(RiskLevel::Medium);
                c.next_review_due = Some(now + Duration::days(self.rules.review_days(level)));
                c.stage = S::Active;
                Ok(vec!["work_begun"])
            }
            C::Pause { .. } => {
                if stage != S::Active {
                    return Err(not_here(None));
                }
                c.stage = S::Paused;
                Ok(vec!["case_paused"])
            }
            C::Resume => {
                if stage != S::Paused {
                    return Err(not_here(None));
                }
                c.stage = S::Active;
                Ok(vec!["case_resumed"])
            }
            C::RecordReview {
                indicators,
                worker_override,
                ..
            } => {
                if stage != S::Active {
                    return Err(not_here(None));
                }
                // R-12: a review always records a new assessment; the next falls due on the
                // cadence for the new level.
                let events = self.assess(c, by, indicators, worker_override, "review_recorded")?;
                let level = c.risk().expect("just assessed");
                c.next_review_due = Some(now + Duration::days(self.rules.review_days(level)));
                Ok(events)
            }
            C::ProposeClosure => {
                if stage != S::Active {
                    return Err(not_here(None));
                }
                c.agreed.clear();
                c.stage = S::Closing;
                Ok(vec!["closure_proposed"])
            }
            C::RecordAgreement { party } => {
                if stage != S::Closing {
                    return Err(not_here(Some(16)));
                }
                if !c.parties().contains(party) {
                    return Err(Refusal::NotAParty(*party));
                }
                if !c.agreed.contains(party) {
                    c.agreed.push(*party);
                }
                Ok(vec!["closure_agreed"])
            }
            C::WithdrawClosureProposal { .. } => {
                if stage != S::Closing {
                    return Err(not_here(None));
                }
                c.agreed.clear();
                c.stage = S::Active;
                Ok(vec!["closure_proposal_withdrawn"])
            }
            C::CompleteClosure => {
                if stage != S::Closing {
                    return Err(not_here(Some(16)));
                }
                // R-16: the young person and every professional involved, including any
                // recorded after the proposal.
                let missing: Vec<Party> = c
                    .parties()
                    .into_iter()
                    .filter(|p| !c.agreed.contains(p))
                    .collect();
                if !missing.is_empty() {
                    return Err(Refusal::AgreementsMissing(missing));
                }
                if gated(approvals.closure) {
                    return Ok(Self::request(c, ModelGated::CompleteClosure));
                }
                c.close(ClosureReason::RiskSignificantlyReduced);
                Ok(vec!["case_closed"])
            }
            C::Close { reason } => {
                if !c.has_worker() {
                    return Err(not_here(None));
                }
                if *reason != ClosureReason::RiskSignificantlyReduced && gated(approvals.closure) {
                    return Ok(Self::request(c, ModelGated::Close(reason.clone())));
                }
                // R-16: 'risk significantly reduced' goes through a proposal and agreements.
                if *reason == ClosureReason::RiskSignificantlyReduced {
                    return Err(Refusal::ClosureNeedsProposal);
                }
                c.close(reason.clone());
                Ok(vec!["case_closed"])
            }
            other => unimplemented!(
                "the model sends `{}` as a `Cmd` variant, not as `Cmd::Do`",
                other.name()
            ),
        }
    }
}

fn open_approval(c: &ModelCase, approval: &ApprovalRef) -> Result<usize, Refusal> {
    match approval {
        ApprovalRef::Nth(n) if c.approvals.get(*n).is_some_and(|a| a.open) => Ok(*n),
        _ => Err(Refusal::UnknownApproval),
    }
}

// =============================================================================================
// Generating steps
// =============================================================================================

/// The reference state machine: the model, and the steps it generates.
#[derive(Clone, Copy, Debug, Default)]
pub struct CaseworkModel;

impl ReferenceStateMachine for CaseworkModel {
    type State = ModelState;
    type Transition = Step;

    /// A service with nobody registered, at the fixtures' start, with any combination of
    /// manager approvals (R-24).
    fn init_state() -> BoxedStrategy<ModelState> {
        (strategies::approvals(), proptest::bool::weighted(0.2))
            .prop_map(|(approvals, long_case)| ModelState {
                long_case,
                ..ModelState::new(ModelRules::city(approvals), crate::fixtures::start())
            })
            .boxed()
    }

    fn transitions(state: &ModelState) -> BoxedStrategy<Step> {
        let by =
            prop_oneof![6 => Just(By::Worker), 2 => Just(By::OtherWorker), 3 => Just(By::Manager)];
        let after = prop_oneof![
            10 => 1u32..=900,
            3 => 901u32..=86_400,
            1 => 86_401u32..=3 * 86_400,
        ];
        let mut actions: Vec<(u32, BoxedStrategy<Action>)> = Vec::new();
        let register_weight = match (state.long_case, state.people.len()) {
            (_, 0) => 10,
            (true, _) => 0,
            (false, 1..=2) => 4,
            (false, 3..=5) => 2,
            (false, _) => 0,
        };
        if register_weight > 0 {
            actions.push((register_weight, register(state.now.date_naive())));
        }
        let open = state.cases.iter().any(ModelCase::in_progress);
        let one_case_at_a_time = state.long_case && open;
        if !state.people.is_empty() && !one_case_at_a_time {
            actions.push((8, refer(state)));
        }
        if !state.cases.is_empty() {
            actions.push((30, case_step(state)));
            // Now and then, a young person or case no store has.
            actions.push((
                1,
                prop_oneof![
                    refer_someone_unknown(),
                    broad_command(state.now, &[], 0, 0).prop_map(|command| Action::Command {
                        case: Target::Unknown,
                        command,
                    }),
                ]
                .boxed(),
            ));
        }
        (by, after, Union::new_weighted(actions))
            .prop_map(|(by, after_secs, action)| Step {
                by,
                after_secs,
                action,
            })
            .boxed()
    }

    fn apply(state: ModelState, step: &Step) -> ModelState {
        state.apply(step)
    }

    /// A step names only young people, cases, owed actions and approvals that exist (a shrunk
    /// sequence drops the steps whose targets it removed).
    fn preconditions(state: &ModelState, step: &Step) -> bool {
        match &step.action {
            Action::Register { .. } => true,
            Action::Refer { person, .. } => person.index().is_none_or(|p| p < state.people.len()),
            Action::Command { case, command } => match case.index() {
                None => true,
                Some(i) if i >= state.cases.len() => false,
                Some(i) => {
                    let c = &state.cases[i];
                    let action_ok = |a: &ActionRef| match a {
                        ActionRef::Nth(n) => *n < c.owed.len(),
                        ActionRef::Unknown => true,
                    };
                    let approval_ok = |a: &ApprovalRef| match a {
                        ApprovalRef::Nth(n) => *n < c.approvals.len(),
                        ApprovalRef::Unknown => true,
                    };
                    match command {
                        Cmd::MarkSent { action, .. }
                        | Cmd::Acknowledge { action, .. }
                        | Cmd::Explain { action } => action_ok(action),
                        Cmd::Approve { approval } | Cmd::RefuseApproval { approval } => {
                            approval_ok(approval)
                        }
                        _ => true,
                    }
                }
            },
        }
    }
}

fn register(today: NaiveDate) -> BoxedStrategy<Action> {
    prop_oneof![
        8 => strategies::eligible_for_city_service(today),
        3 => strategies::young_person_details(),
        1 => (strategies::young_person_details(), 1i64..=60).prop_map(move |(details, days)| {
            // A date of birth in the future: refused, naming the field.
            YoungPersonDetails { date_of_birth: today + Duration::days(days), ..details }
        }),
    ]
    .prop_map(|details| Action::Register { details })
    .boxed()
}

fn secs_ago() -> BoxedStrategy<i64> {
    prop_oneof![
        12 => 0i64..=3 * 86_400,
        1 => -3_600i64..=-1,
    ]
    .boxed()
}

fn source() -> BoxedStrategy<ReferralSource> {
    prop_oneof![
        4 => Just(ReferralSource::SelfReferral),
        6 => strategies::referral_source(),
    ]
    .boxed()
}

fn refer(state: &ModelState) -> BoxedStrategy<Action> {
    let (free, busy): (Vec<usize>, Vec<usize>) = (0..state.people.len()).partition(|&p| {
        state
            .cases_of(p)
            .iter()
            .all(|&c| !state.cases[c].in_progress())
    });
    let person = match (free.is_empty(), busy.is_empty()) {
        (false, false) => prop_oneof![5 => select(free), 1 => select(busy)].boxed(),
        (false, true) => select(free).boxed(),
        _ => select(busy).boxed(),
    };
    (person, source(), secs_ago())
        .prop_map(|(p, source, secs_ago)| Action::Refer {
            person: Target::Nth(p),
            source,
            secs_ago,
        })
        .boxed()
}

fn refer_someone_unknown() -> BoxedStrategy<Action> {
    source()
        .prop_map(|source| Action::Refer {
            person: Target::Unknown,
            source,
            secs_ago: 60,
        })
        .boxed()
}

fn consent(scope: ConsentScope, decision: ConsentDecision) -> BoxedStrategy<Cmd> {
    (
        select(
            &[
                ConsentMethod::InPerson,
                ConsentMethod::Phone,
                ConsentMethod::Written,
            ][..],
        ),
        secs_ago(),
    )
        .prop_map(move |(method, secs_ago)| Cmd::Consent {
            scope: scope.clone(),
            decision,
            by: ConsentGiver::YoungPerson,
            method,
            secs_ago,
        })
        .boxed()
}

fn allocate() -> BoxedStrategy<Cmd> {
    (
        select(&By::ALL[..]),
        proptest::option::weighted(0.4, strategies::reason()),
    )
        .prop_map(|(worker, out_of_order_reason)| {
            Cmd::Do(CaseCommand::Allocate {
                worker: worker.staff_id(),
                worker_name: fixed_text(worker.name()),
                out_of_order_reason,
            })
        })
        .boxed()
}

fn assessment_answers() -> BoxedStrategy<Vec<IndicatorAnswer>> {
    prop_oneof![
        12 => strategies::indicators_any_window(),
        1 => strategies::indicators().prop_map(|mut answers| {
            answers.push(IndicatorAnswer::current("not_an_indicator"));
            answers
        }),
        1 => strategies::indicators_for(RiskLevel::Medium).prop_map(|mut answers| {
            // The same indicator twice: refused, naming the second.
            let again = answers[0].clone();
            answers.push(again);
            answers
        }),
    ]
    .boxed()
}

fn assess() -> BoxedStrategy<Cmd> {
    (
        assessment_answers(),
        proptest::option::weighted(0.2, strategies::risk_override()),
    )
        .prop_map(|(indicators, worker_override)| {
            Cmd::Do(CaseCommand::AssessRisk {
                indicators,
                worker_override,
            })
        })
        .boxed()
}

fn review() -> BoxedStrategy<Cmd> {
    (
        assessment_answers(),
        proptest::option::weighted(0.15, strategies::risk_override()),
        select(
            &[
                casework_core::case::ReviewDecision::Continue,
                casework_core::case::ReviewDecision::ChangePlan,
                casework_core::case::ReviewDecision::ProposeClosure,
            ][..],
        ),
    )
        .prop_map(|(indicators, worker_override, decision)| {
            Cmd::Do(CaseCommand::RecordReview {
                indicators,
                worker_override,
                decision,
            })
        })
        .boxed()
}

fn close() -> BoxedStrategy<Cmd> {
    strategies::closure_reason()
        .prop_map(|reason| Cmd::Do(CaseCommand::Close { reason }))
        .boxed()
}

fn professional() -> BoxedStrategy<Cmd> {
    strategies::professional()
        .prop_map(|professional| Cmd::Do(CaseCommand::RecordProfessional { professional }))
        .boxed()
}

/// The broad mix of [`strategies::case_command_with`] (every command, most invalid for the
/// case's stage), with its owed actions and times turned into the model's references.
fn broad_command(
    now: DateTime<Utc>,
    professionals: &[ProfessionalId],
    owed: usize,
    approvals: usize,
) -> BoxedStrategy<Cmd> {
    // Ids whose bits are their position, so a drawn id maps back to "the n-th owed action".
    let synthetic: Vec<OwedActionId> = (0..owed as u128).map(|n| id(n + 1)).collect();
    let known = synthetic.clone();
    let position = move |action: &OwedActionId| {
        known
            .iter()
            .position(|a| a == action)
            .map_or(ActionRef::Unknown, ActionRef::Nth)
    };
    let secs = move |at: DateTime<Utc>| (now - at).num_seconds();
    let commands = strategies::case_command_with(now, professionals.to_vec(), synthetic).prop_map(
        move |command| match command {
            CaseCommand::RecordConsent { entry } => Cmd::Consent {
                scope: entry.scope,
                decision: entry.decision,
                by: entry.by,
                method: entry.method,
                secs_ago: secs(entry.given_at),
            },
            CaseCommand::MarkActionSent {
                action, sent_at, ..
            } => Cmd::MarkSent {
                action: position(&action),
                secs_ago: secs(sent_at),
            },
            CaseCommand::AcknowledgeAction {
                action,
                acknowledged_at,
            } => Cmd::Acknowledge {
                action: position(&action),
                secs_ago: secs(acknowledged_at),
            },
            CaseCommand::ExplainAction { action, .. } => Cmd::Explain {
                action: position(&action),
            },
            other => Cmd::Do(other),
        },
    );
    let approval = if approvals == 0 {
        Just(ApprovalRef::Unknown).boxed()
    } else {
        prop_oneof![4 => (0..approvals).prop_map(ApprovalRef::Nth), 1 => Just(ApprovalRef::Unknown)]
            .boxed()
    };
    prop_oneof![
        12 => commands,
        1 => approval.clone().prop_map(|approval| Cmd::Approve { approval }),
        1 => approval.prop_map(|approval| Cmd::RefuseApproval { approval }),
    ]
    .boxed()
}

/// A command for one of the cases: three times in four a likely next step for its stage,
/// otherwise the broad mix.
fn case_step(state: &ModelState) -> BoxedStrategy<Action> {
    let open: Vec<usize> = (0..state.cases.len())
        .filter(|&i| state.cases[i].in_progress())
        .collect();
    let all: Vec<usize> = (0..state.cases.len()).collect();
    let pick = if open.is_empty() {
        select(all).boxed()
    } else {
        prop_oneof![9 => select(open), 1 => select(all)].boxed()
    };
    // Cases behind the head of the waiting list: allocating one is out of order (R-7).
    let behind: Vec<usize> = state.waiting_list().into_iter().skip(1).collect();
    let state = Arc::new(state.clone());
    // Independent: the case is never shrunk (shrinking drops steps instead), and no second
    // random generator is made for every step.
    let step = pick
        .prop_ind_flat_map(move |i| {
            command_for(&state, i).prop_map(move |command| Action::Command {
                case: Target::Nth(i),
                command,
            })
        })
        .boxed();
    if behind.is_empty() {
        return step;
    }
    let out_of_order = (select(behind), allocate())
        .prop_map(|(i, command)| Action::Command {
            case: Target::Nth(i),
            command,
        })
        .boxed();
    prop_oneof![8 => step, 1 => out_of_order].boxed()
}

fn command_for(state: &ModelState, i: usize) -> BoxedStrategy<Cmd> {
    use StageName as S;
    let c = &state.cases[i];
    let now = state.now;
    let broad = broad_command(now, &c.professionals, c.owed.len(), c.approvals.len());
    let mut next: Vec<(u32, BoxedStrategy<Cmd>)> = Vec::new();
    let owed: Vec<usize> = (0..c.owed.len())
        .filter(|&n| c.owed[n].state == OwedState::Owed)
        .collect();
    let sent: Vec<usize> = (0..c.owed.len())
        .filter(|&n| matches!(c.owed[n].state, OwedState::Sent(_)))
        .collect();
    if !owed.is_empty() {
        next.push((
            2,
            (select(owed.clone()), secs_ago())
                .prop_map(|(n, secs_ago)| Cmd::MarkSent {
                    action: ActionRef::Nth(n),
                    secs_ago,
                })
                .boxed(),
        ));
        next.push((
            1,
            select(owed)
                .prop_map(|n| Cmd::Explain {
                    action: ActionRef::Nth(n),
                })
                .boxed(),
        ));
    }
    if !sent.is_empty() {
        next.push((
            2,
            (select(sent), secs_ago())
                .prop_map(|(n, secs_ago)| Cmd::Acknowledge {
                    action: ActionRef::Nth(n),
                    secs_ago,
                })
                .boxed(),
        ));
    }
    let pending: Vec<usize> = (0..c.approvals.len())
        .filter(|&n| c.approvals[n].open)
        .collect();
    if !pending.is_empty() {
        next.push((
            5,
            select(pending.clone())
                .prop_map(|n| Cmd::Approve {
                    approval: ApprovalRef::Nth(n),
                })
                .boxed(),
        ));
        next.push((
            1,
            select(pending)
                .prop_map(|n| Cmd::RefuseApproval {
                    approval: ApprovalRef::Nth(n),
                })
                .boxed(),
        ));
    }
    let plain = |command: CaseCommand| Just(Cmd::Do(command)).boxed();
    match c.stage {
        S::Received => {
            next.push((18, plain(CaseCommand::Screen)));
            next.push((1, professional()));
        }
        S::Screened => next.push((18, assess())),
        S::Assessed => {
            next.push((6, plain(CaseCommand::AcceptForSupport)));
            next.push((15, plain(CaseCommand::AddToWaitingList)));
            next.push((
                1,
                proptest::option::of(strategies::reason())
                    .prop_map(|reason| Cmd::Do(CaseCommand::Signpost { reason, to: None }))
                    .boxed(),
            ));
            next.push((
                1,
                strategies::reason()
                    .prop_map(|reason| Cmd::Do(CaseCommand::Decline { reason }))
                    .boxed(),
            ));
        }
        S::AwaitingAllocation => next.push((18, allocate())),
        // Cases wait a while on the list, so it often holds several (R-7).
        S::WaitingList => next.push((4, allocate())),
        S::Allocated => {
            next.push((
                15,
                strategies::plan()
                    .prop_map(|plan| {
                        Cmd::Do(CaseCommand::AgreePlan {
                            plan: Confidential::new(plan),
                        })
                    })
                    .boxed(),
            ));
            next.push((1, consent(ConsentScope::Engagement, ConsentDecision::Given)));
            next.push((1, close()));
        }
        S::Engaged => {
            next.push((15, plain(CaseCommand::BeginWork)));
            next.push((1, close()));
        }
        S::Active if state.long_case => {
            next.push((9, review()));
            next.push((
                3,
                strategies::pause_reason()
                    .prop_map(|reason| Cmd::Do(CaseCommand::Pause { reason }))
                    .boxed(),
            ));
            next.push((3, professional()));
            next.push((
                3,
                prop_oneof![
                    Just(ConsentScope::SharingWithParents),
                    Just(ConsentScope::SharingWithReferrer),
                    strategies::text_from(strategies::AGENCIES)
                        .prop_map(|agency| ConsentScope::SharingWithAgency { agency }),
                ]
                .prop_flat_map(|scope| consent(scope, ConsentDecision::Given))
                .boxed(),
            ));
            next.push((1, plain(CaseCommand::ProposeClosure)));
        }
        S::Active => {
            next.push((9, review()));
            next.push((
                1,
                strategies::pause_reason()
                    .prop_map(|reason| Cmd::Do(CaseCommand::Pause { reason }))
                    .boxed(),
            ));
            next.push((12, plain(CaseCommand::ProposeClosure)));
            next.push((1, professional()));
            next.push((1, close()));
        }
        S::Paused => {
            next.push((12, plain(CaseCommand::Resume)));
            next.push((1, close()));
        }
        S::Closing => {
            let missing: Vec<Party> = c
                .parties()
                .into_iter()
                .filter(|p| !c.agreed.contains(p))
                .collect();
            if missing.is_empty() {
                next.push((18, plain(CaseCommand::CompleteClosure)));
            } else {
                next.push((
                    18,
                    select(missing)
                        .prop_map(|party| Cmd::Do(CaseCommand::RecordAgreement { party }))
                        .boxed(),
                ));
                next.push((2, plain(CaseCommand::CompleteClosure)));
            }
            next.push((1, professional()));
            next.push((
                if state.long_case { 12 } else { 1 },
                strategies::reason()
                    .prop_map(|reason| Cmd::Do(CaseCommand::WithdrawClosureProposal { reason }))
                    .boxed(),
            ));
            next.push((1, close()));
        }
        S::Signposted | S::Declined | S::Withdrawn | S::Closed => {}
    }
    if c.in_progress() {
        // The young person's own word, which can end the referral or case (R-1, R-6).
        if c.before_allocation() && !c.permits(&ConsentScope::Referral) {
            next.push((9, consent(ConsentScope::Referral, ConsentDecision::Given)));
        }
    }
    if c.in_progress() && !(state.long_case && c.has_worker()) {
        next.push((
            1,
            (
                select(&[ConsentScope::Referral, ConsentScope::Engagement][..]),
                select(&[ConsentDecision::Refused, ConsentDecision::Withdrawn][..]),
            )
                .prop_flat_map(|(scope, decision)| consent(scope, decision))
                .boxed(),
        ));
        next.push((
            1,
            strategies::reason()
                .prop_map(|reason| Cmd::Do(CaseCommand::Withdraw { reason }))
                .boxed(),
        ));
    }
    if next.is_empty() {
        return broad;
    }
    prop_oneof![5 => Union::new_weighted(next), 1 => broad].boxed()
}

// =============================================================================================
// Invariants
// =============================================================================================

/// The safeguarding invariants, each named after its rule, checked on a case's stored history
/// (and state) after every step of the model-based test. Each returns a message naming the rule
/// and the offending event when it does not hold. They use only the stored events, never the
/// core's decisions, so a charity can run them over its own data too.
pub mod invariants {
    use super::*;
    use casework_core::kernel::event::RecordedEvent;

    fn accepted(outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::ImmediateSupport | Outcome::WaitingList)
    }

    /// R-1: no referral by anyone other than the young person is accepted (for immediate
    /// support or onto the waiting list) without the young person's own recorded permission,
    /// standing at the moment of acceptance. A self-referral is consent.
    pub fn r1_no_acceptance_without_permission(
        history: &[Recorded<CaseEvent>],
    ) -> Result<(), String> {
        let mut permitted = false;
        for e in history {
            match &e.event {
                CaseEvent::ReferralReceived { source, .. } => permitted = source.is_self(),
                CaseEvent::ConsentRecorded { entry }
                    if entry.scope == ConsentScope::Referral
                        && entry.by == ConsentGiver::YoungPerson =>
                {
                    permitted = entry.decision == ConsentDecision::Given;
                }
                CaseEvent::OutcomeGiven { outcome, .. } if accepted(outcome) && !permitted => {
                    return Err(format!(
                        "R-1: version {} accepted the referral ({outcome:?}) without the young \
                         person's permission",
                        e.version
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// R-2: no referral is accepted unless it was screened eligible, and unless the young
    /// person, as referred, is within the service's remit on the referral date by the model's
    /// own reading of the profile (`rules`).
    pub fn r2_no_ineligible_acceptance(
        history: &[Recorded<CaseEvent>],
        rules: &ModelRules,
    ) -> Result<(), String> {
        let mut subject = None;
        let mut screened_eligible = None;
        for e in history {
            match &e.event {
                CaseEvent::ReferralReceived {
                    subject: details,
                    received_at,
                    ..
                } => subject = Some((details.clone(), *received_at)),
                CaseEvent::EligibilityScreened { screening } => {
                    screened_eligible = Some(screening.reasons.is_empty())
                }
                CaseEvent::OutcomeGiven { outcome, .. } if accepted(outcome) => {
                    if screened_eligible != Some(true) {
                        return Err(format!(
                            "R-2: version {} accepted a referral that was {}",
                            e.version,
                            if screened_eligible.is_none() {
                                "never screened"
                            } else {
                                "screened ineligible"
                            }
                        ));
                    }
                    let (details, at) = subject.as_ref().ok_or("R-2: no referral_received")?;
                    let reasons = rules.ineligibility(details, at.date_naive());
                    if !reasons.is_empty() {
                        return Err(format!(
                            "R-2: version {} accepted a referral outside the service's remit \
                             ({reasons:?})",
                            e.version
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// R-5 (and R-4): exactly one safeguarding-unit notification per referral; a duty social
    /// work referral once any assessment (computed, applied or overridden later) is Medium or
    /// High, and none otherwise; the outcome owed to the referrer once an outcome is given; and
    /// every action ever raised is still on the case, owed or discharged, never missing.
    pub fn r5_owed_actions_never_missing(
        history: &[Recorded<CaseEvent>],
        state: &Case,
    ) -> Result<(), String> {
        let mut raised = Vec::new();
        let mut medium_or_high = false;
        let mut outcome = false;
        for e in history {
            match &e.event {
                CaseEvent::OwedActionRaised { action } => raised.push((action.id, action.kind)),
                CaseEvent::RiskAssessed { assessment } => {
                    medium_or_high |= assessment.level.max(assessment.computed) >= RiskLevel::Medium
                }
                CaseEvent::ReviewRecorded { review } => {
                    medium_or_high |=
                        review.assessment.level.max(review.assessment.computed) >= RiskLevel::Medium
                }
                CaseEvent::RiskLevelOverridden { level_override, .. } => {
                    medium_or_high |= level_override.level >= RiskLevel::Medium
                }
                CaseEvent::OutcomeGiven { .. } => outcome = true,
                _ => {}
            }
        }
        let count = |kind| raised.iter().filter(|(_, k)| *k == kind).count();
        let expect = [
            (OwedActionKind::NotifySafeguardingUnit, 1),
            (
                OwedActionKind::ReferToDutySocialWork,
                usize::from(medium_or_high),
            ),
            (OwedActionKind::CommunicateOutcome, usize::from(outcome)),
        ];
        for (kind, n) in expect {
            if count(kind) != n {
                return Err(format!(
                    "R-5: the history raises {} `{}` action(s), expected {n}",
                    count(kind),
                    kind.as_str()
                ));
            }
        }
        let held: Vec<_> = state.file().owed.iter().map(|a| (a.id, a.kind)).collect();
        if held != raised {
            return Err(format!(
                "R-5: the case holds owed actions {held:?}, but the history raised {raised:?}"
            ));
        }
        Ok(())
    }

    /// R-7: the waiting list is ordered High, Medium, Low, then by referral time, and holds
    /// only cases on the waiting list.
    pub fn r7_waiting_list_in_order(list: &[CaseSummary]) -> Result<(), String> {
        let rank = |s: &CaseSummary| match s.risk_level {
            None => 0,
            Some(RiskLevel::Low) => 1,
            Some(RiskLevel::Medium) => 2,
            Some(RiskLevel::High) => 3,
        };
        if let Some(s) = list.iter().find(|s| s.stage != StageName::WaitingList) {
            return Err(format!(
                "R-7: case {} is on the waiting list at stage {}",
                s.case_id, s.stage
            ));
        }
        for (i, pair) in list.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            let in_order =
                rank(a) > rank(b) || (rank(a) == rank(b) && a.received_at <= b.received_at);
            if !in_order {
                return Err(format!(
                    "R-7: waiting list positions {i} and {}: {:?} received {} before {:?} \
                     received {}",
                    i + 1,
                    a.risk_level,
                    a.received_at,
                    b.risk_level,
                    b.received_at
                ));
            }
        }
        Ok(())
    }

    /// R-16: a case closed for 'risk significantly reduced' has the agreement of the young
    /// person and of every professional recorded as involved, given since the latest proposal.
    pub fn r16_risk_reduced_closure_has_every_agreement(
        history: &[Recorded<CaseEvent>],
    ) -> Result<(), String> {
        let mut parties = BTreeSet::from([Party::YoungPerson]);
        let mut agreed = BTreeSet::new();
        for e in history {
            match &e.event {
                CaseEvent::ReferralReceived {
                    source: ReferralSource::Professional { professional },
                    ..
                }
                | CaseEvent::ProfessionalInvolved { professional } => {
                    parties.insert(Party::Professional(professional.id));
                }
                CaseEvent::ClosureProposed { .. } => agreed.clear(),
                CaseEvent::ClosureAgreed { party, .. } => {
                    agreed.insert(*party);
                }
                CaseEvent::CaseClosed {
                    reason: ClosureReason::RiskSignificantlyReduced,
                    ..
                } => {
                    let missing: Vec<_> = parties.difference(&agreed).collect();
                    if !missing.is_empty() {
                        return Err(format!(
                            "R-16: version {} closed for 'risk significantly reduced' without the \
                             agreement of {missing:?}",
                            e.version
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// R-17 (with ADR 0003): nothing but the discharge of owed actions (sent, acknowledged,
    /// explained) is ever appended to a closed case, nor to a declined, signposted or withdrawn
    /// referral.
    pub fn r17_finished_case_takes_only_discharges(
        history: &[Recorded<CaseEvent>],
    ) -> Result<(), String> {
        let mut finished: Option<(u64, &'static str)> = None;
        for e in history {
            // The outcome's own obligation to the referrer (R-4) is raised in the same append.
            if let (
                Some((version, "signposted" | "declined")),
                CaseEvent::OwedActionRaised { action },
            ) = (finished, &e.event)
            {
                if e.version == version + 1 && action.kind == OwedActionKind::CommunicateOutcome {
                    continue;
                }
            }
            if let Some((version, how)) = finished {
                let discharge = matches!(
                    e.event,
                    CaseEvent::OwedActionSent { .. }
                        | CaseEvent::OwedActionAcknowledged { .. }
                        | CaseEvent::OwedActionExplained { .. }
                );
                if !discharge {
                    return Err(format!(
                        "R-17: `{}` (version {}) was appended to a case {how} at version {version}",
                        e.event.event_type(),
                        e.version
                    ));
                }
            }
            let ends = match &e.event {
                CaseEvent::CaseClosed { .. } => Some("closed"),
                CaseEvent::ReferralWithdrawn { .. } => Some("withdrawn"),
                CaseEvent::OutcomeGiven {
                    outcome: Outcome::Signposted { .. },
                    ..
                } => Some("signposted"),
                CaseEvent::OutcomeGiven {
                    outcome: Outcome::Declined { .. },
                    ..
                } => Some("declined"),
                _ => None,
            };
            if let (None, Some(how)) = (finished, ends) {
                finished = Some((e.version, how));
            }
        }
        Ok(())
    }

    /// R-18: a stream's stored versions are 1, 2, 3 … without a gap or a repeat, and its
    /// global positions rise.
    pub fn r18_versions_gap_free(stored: &[RecordedEvent]) -> Result<(), String> {
        for (i, e) in stored.iter().enumerate() {
            if e.version != i as u64 + 1 {
                return Err(format!(
                    "R-18: event {} of {} has version {}",
                    i + 1,
                    e.stream,
                    e.version
                ));
            }
        }
        for pair in stored.windows(2) {
            if pair[1].position <= pair[0].position {
                return Err(format!(
                    "R-18: {} versions {} and {} have positions {} and {}",
                    pair[0].stream,
                    pair[0].version,
                    pair[1].version,
                    pair[0].position,
                    pair[1].position
                ));
            }
        }
        Ok(())
    }

    /// R-18: folding the stored events gives the state the service returns.
    pub fn r18_fold_gives_service_state(
        history: &[Recorded<CaseEvent>],
        state: &Case,
    ) -> Result<(), String> {
        let folded = Case::fold(history.iter().map(|e| &e.event))
            .map_err(|i| format!("R-18: stored event {} cannot follow the ones before", i + 1))?;
        if folded.as_ref() != Some(state) {
            return Err(format!(
                "R-18: folding the stored events gives {:?} at stage {:?}, the service returns \
                 stage {}",
                folded.as_ref().map(|c| c.file().id),
                folded.as_ref().map(Case::stage),
                state.stage()
            ));
        }
        Ok(())
    }

    /// R-18: the state as of `t` is the fold of exactly the events recorded at or before `t`:
    /// it never shows a later event, and misses none before. Events are recorded in time
    /// order.
    pub fn r18_as_of_never_shows_later_events(
        history: &[Recorded<CaseEvent>],
        t: DateTime<Utc>,
        as_of: Option<&Case>,
    ) -> Result<(), String> {
        for pair in history.windows(2) {
            if pair[1].meta.recorded_at < pair[0].meta.recorded_at {
                return Err(format!(
                    "R-18: version {} is recorded before version {}",
                    pair[1].version, pair[0].version
                ));
            }
        }
        let known = history
            .iter()
            .filter(|e| e.meta.recorded_at <= t)
            .map(|e| &e.event);
        let expected = Case::fold(known).map_err(|i| format!("R-18: event {i} cannot follow"))?;
        if expected.as_ref() != as_of {
            return Err(format!(
                "R-18: the case as of {t} is at stage {:?} with version count {:?}, but the events \
                 recorded by then give stage {:?}",
                as_of.map(Case::stage),
                as_of.map(|c| c.file().owed.len()),
                expected.as_ref().map(Case::stage)
            ));
        }
        Ok(())
    }
}

// =============================================================================================
// The system under test
// =============================================================================================

/// Makes fresh, empty stores for the model-based test, one per sequence: the one thing a
/// store's author writes to hold a store to the model.
pub trait StoreFactory: 'static {
    /// The store.
    type Store: Store + 'static;

    /// The store's name, for reports.
    fn name() -> &'static str;

    /// A fresh, empty, ready (migrated) store. Runs on the sequence's own current-thread
    /// tokio runtime.
    fn fresh() -> impl Future<Output = Self::Store>;

    /// Cleans up after a sequence that passed (drops a schema, …), just before the store is
    /// dropped; by default does nothing.
    fn dispose(store: &Self::Store) -> impl Future<Output = ()> {
        let _ = store;
        async {}
    }
}

#[derive(Clone, Debug, Default)]
struct Tally {
    sequences: u64,
    steps: u64,
    accepted: u64,
    refused: u64,
    refusals: std::collections::BTreeMap<String, u64>,
    stages: BTreeSet<&'static str>,
    cases: u64,
    snapshotted: u64,
    longest: u64,
}

#[derive(Clone, Copy)]
struct Settings {
    adjust_profile: fn(&mut ServiceProfile),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            adjust_profile: |_| {},
        }
    }
}

thread_local! {
    static SETTINGS: RefCell<Settings> = RefCell::new(Settings::default());
    static TALLY: RefCell<Tally> = RefCell::new(Tally::default());
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While a run is under way on this thread, panics (each failing sequence, and each attempt
/// while shrinking) are not printed: the failure's message and history are in the run's
/// result. Other threads' panics print as before. `CASEWORK_MODEL_VERBOSE=1` prints them all.
struct QuietPanics;

impl QuietPanics {
    fn new() -> Self {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(std::cell::Cell::get) {
                    previous(info)
                }
            }));
        });
        let verbose = std::env::var("CASEWORK_MODEL_VERBOSE").as_deref() == Ok("1");
        QUIET.with(|q| q.set(!verbose));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(false));
    }
}

/// The real [`Casework`] facade over a fresh store, with the ids the store gave to what the
/// model knows by position.
pub struct Sut<S: Store> {
    rt: tokio::runtime::Runtime,
    service: Option<Casework<S>>,
    clock: Arc<ManualClock>,
    name: &'static str,
    people: Vec<YoungPersonId>,
    cases: Vec<CaseId>,
    owed: Vec<Vec<OwedActionId>>,
    approvals: Vec<Vec<ApprovalId>>,
    seen: Vec<Option<Case>>,
    log: Vec<String>,
}

/// What the service did with a step.
enum Got {
    Registered(YoungPersonId),
    Opened(Vec<&'static str>),
    Executed(Box<casework_service::Executed>),
    Failed(CommandError),
}

fn event_types(events: &[CaseEvent]) -> Vec<&'static str> {
    events.iter().map(CaseEvent::event_type).collect()
}

fn describe_error(e: &CommandError) -> String {
    match e {
        CommandError::Rejected(d) => {
            let rule = d.rule().map(|r| format!("{r} ")).unwrap_or_default();
            format!("{rule}{d:?}")
        }
        other => format!("{other:?}"),
    }
}

fn refusal_matches(r: &Refusal, e: &CommandError, cases: &[CaseId]) -> bool {
    use DomainError as D;
    let case = |i: &usize| cases.get(*i).copied();
    let d = match (r, e) {
        (Refusal::NotFound, CommandError::NotFound(_)) => return true,
        (_, CommandError::Rejected(d)) => d,
        _ => return false,
    };
    if d.rule().map(|r| r.number()) != r.rule() {
        return false;
    }
    match (r, d) {
        (Refusal::PermissionMissing, D::PermissionMissing)
        | (Refusal::ReasonRequired, D::ReasonRequired)
        | (Refusal::ClosureNeedsProposal, D::ClosureNeedsProposal)
        | (Refusal::UnknownOwedAction, D::UnknownOwedAction { .. })
        | (Refusal::NotSent, D::NotSent { .. })
        | (Refusal::UnknownApproval, D::UnknownApproval { .. })
        | (Refusal::StaleApproval, D::StaleApproval { .. }) => true,
        (Refusal::Ineligible(kinds), D::Ineligible { reasons }) => {
            let mut got: Vec<_> = reasons.iter().map(|r| format!("{:?}", r.kind())).collect();
            let mut want: Vec<_> = kinds.iter().map(|k| format!("{k:?}")).collect();
            got.sort();
            want.sort();
            got == want
        }
        (
            Refusal::OutOfWaitingListOrder { case: c, head: h },
            D::OutOfWaitingListOrder { case: dc, head: dh },
        ) => case(c) == Some(*dc) && case(h) == Some(*dh),
        (Refusal::AgreementsMissing(missing), D::AgreementsMissing { missing: got }) => {
            missing == got
        }
        (Refusal::NotAParty(p), D::NotAParty { party }) => p == party,
        (Refusal::CaseClosed(c), D::CaseClosed { case: got })
        | (Refusal::OpenCaseExists(c), D::OpenCaseExists { case: got }) => case(c) == Some(*got),
        (Refusal::AlreadyDischarged(status), D::AlreadyDischarged { status: got, .. }) => {
            status == got
        }
        (Refusal::ManagerRequired(action), D::ManagerRequired { action: got }) => action == got,
        (
            Refusal::NotAtThisStage { stage, command, .. },
            D::NotAtThisStage {
                stage: got_stage,
                command: got_command,
                ..
            },
        ) => stage == got_stage && command == got_command,
        (Refusal::Input(field), D::Input(e)) => *field == e.field,
        _ => false,
    }
}

fn gated_of(step: &GatedStep) -> ModelGated {
    match step {
        GatedStep::Close { reason } => ModelGated::Close(reason.clone()),
        GatedStep::CompleteClosure => ModelGated::CompleteClosure,
        GatedStep::Allocate { worker, .. } => ModelGated::Allocate(*worker),
        GatedStep::RiskOverride {
            assessment,
            level_override,
        } => ModelGated::RiskOverride(*assessment, level_override.level),
    }
}

fn outcome_of(outcome: &Outcome) -> ModelOutcome {
    match outcome {
        Outcome::ImmediateSupport => ModelOutcome::ImmediateSupport,
        Outcome::WaitingList => ModelOutcome::WaitingList,
        Outcome::Signposted { .. } => ModelOutcome::Signposted,
        Outcome::Declined { .. } => ModelOutcome::Declined,
    }
}

/// The case's key facts, as the model keeps them and as the store's case shows them.
fn compare_case(m: &ModelCase, actual: &Case, cases: &[CaseId]) -> Result<(), String> {
    let f = actual.file();
    let mut diffs = Vec::new();
    let mut same = |what: &str, model: String, store: String| {
        if model != store {
            diffs.push(format!("{what}: model {model}, store {store}"));
        }
    };
    same(
        "stage",
        format!("{}", m.stage),
        format!("{}", actual.stage()),
    );
    same(
        "owed actions (kind, status, due)",
        format!(
            "{:?}",
            m.owed
                .iter()
                .map(|a| (a.kind, a.state.name(), a.due_at))
                .collect::<Vec<_>>()
        ),
        format!(
            "{:?}",
            f.owed
                .iter()
                .map(|a| (a.kind, a.status.as_str(), a.due_at))
                .collect::<Vec<_>>()
        ),
    );
    let scopes = [ConsentScope::Referral, ConsentScope::Engagement];
    same(
        "consent (referral, engagement permitted; entries)",
        format!(
            "{:?}",
            (scopes.each_ref().map(|s| m.permits(s)), m.consent.len())
        ),
        format!(
            "{:?}",
            (
                scopes.each_ref().map(|s| f.consent.permits(s)),
                f.consent.entries().len()
            )
        ),
    );
    same(
        "professionals",
        format!("{:?}", m.professionals),
        format!(
            "{:?}",
            f.professionals.iter().map(|p| p.id).collect::<Vec<_>>()
        ),
    );
    let mut screened: Option<Vec<String>> = f.screening.as_ref().map(|s| {
        s.reasons
            .iter()
            .map(|r| format!("{:?}", r.kind()))
            .collect()
    });
    let mut modelled: Option<Vec<String>> = m
        .screening
        .as_ref()
        .map(|k| k.iter().map(|k| format!("{k:?}")).collect());
    screened.iter_mut().for_each(|v| v.sort());
    modelled.iter_mut().for_each(|v| v.sort());
    same(
        "screening",
        format!("{modelled:?}"),
        format!("{screened:?}"),
    );
    same(
        "assessments (computed, level, overridden)",
        format!(
            "{:?}",
            m.assessments
                .iter()
                .map(|a| (a.computed, a.level, a.overridden))
                .collect::<Vec<_>>()
        ),
        format!(
            "{:?}",
            f.assessments
                .iter()
                .map(|a| (a.computed, a.level, a.overridden.is_some()))
                .collect::<Vec<_>>()
        ),
    );
    same(
        "pending approvals",
        format!(
            "{:?}",
            m.approvals
                .iter()
                .filter(|a| a.open)
                .map(|a| &a.step)
                .collect::<Vec<_>>()
        ),
        format!(
            "{:?}",
            f.pending
                .iter()
                .map(|p| gated_of(&p.step))
                .collect::<Vec<_>>()
        ),
    );
    same(
        "allocation (worker, out of order)",
        format!("{:?}", m.allocation),
        format!(
            "{:?}",
            actual
                .allocation()
                .map(|a| (a.worker, a.out_of_order_reason.is_some()))
        ),
    );
    if let Case::Closing(closing) = actual {
        same(
            "agreements",
            format!("{:?}", m.agreed),
            format!("{:?}", closing.agreed()),
        );
    }
    let closure = match actual {
        Case::Closed(closed) => Some(closed.reason().clone()),
        _ => None,
    };
    same(
        "closure reason",
        format!("{:?}", m.closure),
        format!("{closure:?}"),
    );
    same(
        "next review due",
        format!("{:?}", m.next_review_due),
        format!("{:?}", f.next_review_due),
    );
    same(
        "outcome",
        format!("{:?}", m.outcome),
        format!("{:?}", f.outcome.as_ref().map(outcome_of)),
    );
    same(
        "previous case",
        format!("{:?}", m.previous.and_then(|i| cases.get(i))),
        format!("{:?}", f.previous_case.as_ref()),
    );
    same(
        "received at",
        m.received_at.to_rfc3339(),
        f.received_at.to_rfc3339(),
    );
    same(
        "subject",
        format!("{:?}", m.subject),
        format!("{:?}", f.subject),
    );
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("\n      "))
    }
}

impl<S: Store> Sut<S> {
    fn service(&self) -> &Casework<S> {
        self.service
            .as_ref()
            .expect("the service lives until teardown")
    }

    fn fail(&self, problem: impl fmt::Display) -> ! {
        panic!(
            "model-based test on {}: {problem}\n\nThe sequence (the model's prediction, then what \
             the store did; a shrunk sequence once proptest is done):\n{}\n",
            self.name,
            self.log.join("\n")
        )
    }

    fn ok<T>(&self, what: &str, result: Result<T, String>) -> T {
        result.unwrap_or_else(|problem| self.fail(format!("invariant broken ({what}): {problem}")))
    }

    fn block<T>(&self, what: &str, f: impl Future<Output = Result<T, impl fmt::Debug>>) -> T {
        match self.rt.block_on(f) {
            Ok(v) => v,
            Err(e) => self.fail(format!("{what} failed: {e:?}")),
        }
    }

    fn step(&mut self, state: &ModelState, step: &Step) {
        let expected = state
            .last
            .clone()
            .expect("the model records a prediction for every step");
        self.clock.set(state.now);
        let actor = step.by.actor();
        let unknown_case: CaseId = id(UNKNOWN);
        let got = match &expected.input {
            Resolved::Register(details) => {
                match self.rt.block_on(
                    self.service()
                        .register_young_person(&actor, details.clone()),
                ) {
                    Ok(id) => Got::Registered(id),
                    Err(e) => Got::Failed(e),
                }
            }
            Resolved::Refer { person, referral } => {
                let person = person.map_or_else(|| id(UNKNOWN), |p| self.people[p]);
                match self.rt.block_on(self.service().receive_referral(
                    &actor,
                    person,
                    referral.clone(),
                )) {
                    Ok(case) => {
                        let history = self.block("history", self.service().history(case));
                        let events: Vec<CaseEvent> = history.into_iter().map(|r| r.event).collect();
                        self.owed.push(owed_ids(&events));
                        self.approvals.push(Vec::new());
                        self.cases.push(case);
                        self.seen.push(None);
                        Got::Opened(event_types(&events))
                    }
                    Err(e) => Got::Failed(e),
                }
            }
            Resolved::Execute { case, command } => {
                let target = case.map_or(unknown_case, |i| self.cases[i]);
                let command = match case {
                    Some(i) => command.to_command(
                        state.now,
                        |n| self.owed[*i].get(n).copied(),
                        |n| self.approvals[*i].get(n).copied(),
                    ),
                    None => command.to_command(state.now, |_| None, |_| None),
                };
                match self
                    .rt
                    .block_on(self.service().execute(&actor, target, command))
                {
                    Ok(done) => {
                        let i = case.expect("an unknown case is never executed");
                        self.owed[i].extend(owed_ids(&done.events));
                        self.approvals[i].extend(done.events.iter().filter_map(|e| match e {
                            CaseEvent::ApprovalRequested { approval } => Some(approval.id),
                            _ => None,
                        }));
                        Got::Executed(Box::new(done))
                    }
                    Err(e) => Got::Failed(e),
                }
            }
        };
        let did = match &got {
            Got::Registered(_) => "accepted [young_person_registered]".to_owned(),
            Got::Opened(events) => format!("accepted [{}]", events.join(", ")),
            Got::Executed(done) => format!(
                "accepted [{}] (stage {})",
                event_types(&done.events).join(", "),
                done.state.stage()
            ),
            Got::Failed(e) => format!("refused: {}", describe_error(e)),
        };
        let agrees = match (&expected.prediction, &got) {
            (Prediction::Accepted(events), Got::Registered(_)) => {
                events == &["young_person_registered"]
            }
            (Prediction::Accepted(events), Got::Opened(got)) => events == got,
            (Prediction::Accepted(events), Got::Executed(done)) => {
                *events == event_types(&done.events)
            }
            (Prediction::Refused(r), Got::Failed(e)) => refusal_matches(r, e, &self.cases),
            _ => false,
        };
        let line = if agrees {
            format!("{:>4}. {step} → {did}", expected.number)
        } else {
            format!(
                "{:>4}. {step}\n        model: {}\n        store: {did}   <-- differs",
                expected.number, expected.prediction
            )
        };
        self.log.push(line);
        if !agrees {
            // Where both accepted, say which facts of the case differ too.
            let facts = match (&got, expected.case) {
                (Got::Executed(done), Some(i)) => {
                    compare_case(&state.cases[i], &done.state, &self.cases)
                        .err()
                        .map(|diffs| format!("; the case's facts differ:\n      {diffs}"))
                        .unwrap_or_default()
                }
                _ => String::new(),
            };
            self.fail(format!(
                "step {} differs from the model's prediction{facts}",
                expected.number
            ));
        }
        TALLY.with(|t| {
            let mut t = t.borrow_mut();
            t.steps += 1;
            match &expected.prediction {
                Prediction::Accepted(_) => t.accepted += 1,
                Prediction::Refused(r) => {
                    t.refused += 1;
                    let key = r.rule().map_or_else(
                        || {
                            format!("{r:?}")
                                .split(['(', ' '])
                                .next()
                                .unwrap_or("")
                                .to_owned()
                        },
                        |n| format!("R-{n}"),
                    );
                    *t.refusals.entry(key).or_default() += 1;
                }
            }
        });
        if let Got::Registered(id) = got {
            self.people.push(id);
        }
        if let Some(i) = expected.case {
            if i < self.cases.len() {
                let executed = match &got {
                    Got::Executed(done) => Some(done.state.clone()),
                    _ => None,
                };
                if matches!(got, Got::Failed(_)) {
                    self.check_unchanged(i, state.cases[i].version);
                } else {
                    let before = state.now - Duration::seconds(i64::from(step.after_secs.max(1)));
                    self.check_case(state, i, Some(before), executed.as_ref());
                }
            }
        }
    }

    /// A refused step wrote nothing: the case's row and state are as the last step left them.
    fn check_unchanged(&self, i: usize, version: u64) {
        let case = self.cases[i];
        let summary = self.block("case_summary", self.service().store().case_summary(case));
        let current = self.block("case", self.service().case(case));
        if summary.as_ref().map(|s| s.version) != Some(version)
            || Some(&current) != self.seen[i].as_ref()
        {
            self.fail(format!(
                "case#{i} changed on a refused step: row version {:?} (expected {version}), stage \
                 {} (was {:?})",
                summary.map(|s| s.version),
                current.stage(),
                self.seen[i].as_ref().map(Case::stage)
            ));
        }
    }

    /// Every per-case invariant, and the case's facts against the model's.
    fn check_case(
        &mut self,
        state: &ModelState,
        i: usize,
        before: Option<DateTime<Utc>>,
        executed: Option<&Case>,
    ) {
        use casework_core::kernel::ids::StreamId;
        let case = self.cases[i];
        let service = self.service();
        let stored = self.block("load", service.store().load(StreamId::Case(case)));
        let history = self.ok(
            "R-18 stored history",
            decode_stream::<CaseEvent>(&stored).map_err(|e| e.to_string()),
        );
        let current = self.block("case", service.case(case));
        let summary = self.block("case_summary", service.store().case_summary(case));
        let model = &state.cases[i];
        self.ok("R-18 versions", invariants::r18_versions_gap_free(&stored));
        if history.len() as u64 != model.version {
            self.fail(format!(
                "case#{i} has {} events, the model expects {}",
                history.len(),
                model.version
            ));
        }
        self.ok(
            "R-18 fold",
            invariants::r18_fold_gives_service_state(&history, &current),
        );
        if let Some(executed) = executed {
            if executed != &current {
                self.fail(format!(
                    "R-18: case#{i}: the state `execute` returned (stage {}) is not the stored \
                     state (stage {})",
                    executed.stage(),
                    current.stage()
                ));
            }
        }
        if summary.as_ref() != Some(&CaseSummary::of(&current, model.version)) {
            self.fail(format!(
                "case#{i}: the read-model row {summary:?} is not the row of the stored state"
            ));
        }
        self.ok(
            "R-1",
            invariants::r1_no_acceptance_without_permission(&history),
        );
        self.ok(
            "R-2",
            invariants::r2_no_ineligible_acceptance(&history, &state.rules),
        );
        self.ok(
            "R-5",
            invariants::r5_owed_actions_never_missing(&history, &current),
        );
        self.ok(
            "R-16",
            invariants::r16_risk_reduced_closure_has_every_agreement(&history),
        );
        self.ok(
            "R-17",
            invariants::r17_finished_case_takes_only_discharges(&history),
        );
        if before.is_none() {
            let now_state = self.block("case_as_of(now)", service.case_as_of(case, state.now));
            self.ok(
                "R-18 as of now",
                invariants::r18_as_of_never_shows_later_events(
                    &history,
                    state.now,
                    now_state.as_ref(),
                ),
            );
        }
        if let Some(before) = before {
            let then = self.block("case_as_of(before)", service.case_as_of(case, before));
            self.ok(
                "R-18 as of the previous step",
                invariants::r18_as_of_never_shows_later_events(&history, before, then.as_ref()),
            );
            if then.as_ref() != self.seen[i].as_ref() {
                self.fail(format!(
                    "R-18: case#{i} as of the previous step ({before}) is at stage {:?}, but it \
                     was at stage {:?} then",
                    then.as_ref().map(Case::stage),
                    self.seen[i].as_ref().map(Case::stage)
                ));
            }
        }
        if let Err(diffs) = compare_case(model, &current, &self.cases) {
            self.fail(format!("case#{i} differs from the model:\n      {diffs}"));
        }
        TALLY.with(|t| {
            t.borrow_mut().stages.insert(current.stage().as_str());
        });
        self.seen[i] = Some(current);
    }

    /// The queries against the model: the waiting list (R-7) and the outstanding actions (R-5).
    fn check_queries(&self, state: &ModelState) {
        // Only a step that wrote can change a query's answer; the case a refused step named is
        // checked to be unchanged.
        let wrote = state
            .last
            .as_ref()
            .is_some_and(|e| matches!(e.prediction, Prediction::Accepted(_)));
        if !wrote || self.cases.len() != state.cases.len() {
            return;
        }
        let list = self.block("waiting_list", self.service().waiting_list());
        self.ok("R-7", invariants::r7_waiting_list_in_order(&list));
        let got: Vec<CaseId> = list.iter().map(|s| s.case_id).collect();
        let want: Vec<CaseId> = state
            .waiting_list()
            .iter()
            .map(|&i| self.cases[i])
            .collect();
        if got != want {
            self.fail(format!(
                "R-7: the waiting list is {got:?}, the model's is {want:?} (cases {:?})",
                state.waiting_list()
            ));
        }
        let outstanding = self.block("outstanding_actions", self.service().outstanding_actions());
        for pair in outstanding.windows(2) {
            if pair[1].due_at < pair[0].due_at {
                self.fail("R-5: outstanding actions are not soonest-due first");
            }
        }
        let mut got: Vec<String> = outstanding
            .iter()
            .map(|a| format!("{} {} {}", a.case_id, a.kind.as_str(), a.due_at))
            .collect();
        let mut want: Vec<String> = state
            .outstanding()
            .into_iter()
            .map(|(i, kind, due)| format!("{} {} {due}", self.cases[i], kind.as_str()))
            .collect();
        got.sort();
        want.sort();
        if got != want {
            self.fail(format!(
                "R-5: outstanding actions {got:#?}\n differ from the model's {want:#?}"
            ));
        }
    }

    /// At the end of a sequence: every case again (a step may have damaged a stream it did not
    /// touch), and every young person's cases in order with their links (R-17).
    fn finish(&mut self, state: &ModelState) {
        for i in 0..self.cases.len() {
            self.check_case(state, i, None, None);
        }
        TALLY.with(|t| {
            let mut t = t.borrow_mut();
            for case in &state.cases {
                t.cases += 1;
                t.longest = t.longest.max(case.version);
                if case.version > casework_service::casework::SNAPSHOT_EVERY {
                    t.snapshotted += 1;
                }
            }
        });
        for (p, person) in self.people.clone().into_iter().enumerate() {
            let rows = self.block("cases_of", self.service().cases_of(person));
            let got: Vec<(CaseId, StageName, Option<CaseId>)> = rows
                .iter()
                .map(|r| (r.case_id, r.stage, r.previous_case))
                .collect();
            let want: Vec<(CaseId, StageName, Option<CaseId>)> = state
                .cases_of(p)
                .into_iter()
                .map(|i| {
                    let c = &state.cases[i];
                    (self.cases[i], c.stage, c.previous.map(|j| self.cases[j]))
                })
                .collect();
            if got != want {
                self.fail(format!(
                    "R-17: person#{p}'s cases are {got:?}, the model's are {want:?}"
                ));
            }
        }
    }
}

fn describe_approvals(approvals: &Approvals) -> String {
    let steps: Vec<&str> = [
        (approvals.closure, "closures"),
        (approvals.risk_override, "risk overrides"),
        (
            approvals.out_of_order_allocation,
            "out-of-order allocations",
        ),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if steps.is_empty() {
        "nothing (R-24 off)".into()
    } else {
        steps.join(", ")
    }
}

fn owed_ids(events: &[CaseEvent]) -> Vec<OwedActionId> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::OwedActionRaised { action } => Some(action.id),
            _ => None,
        })
        .collect()
}

/// The model-based test of the stores `F` makes: a [`StateMachineTest`] whose reference is
/// [`CaseworkModel`].
pub struct ModelTest<F>(std::marker::PhantomData<F>);

impl<F: StoreFactory> StateMachineTest for ModelTest<F> {
    type SystemUnderTest = Sut<F::Store>;
    type Reference = CaseworkModel;

    fn init_test(state: &ModelState) -> Sut<F::Store> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the model-based test");
        let store = rt.block_on(F::fresh());
        let mut profile = state.rules.service_profile();
        (SETTINGS.with(|s| s.borrow().adjust_profile))(&mut profile);
        let clock = Arc::new(ManualClock::starting_at(state.now));
        let service = Casework::new(store, profile).with_clock(clock.clone());
        TALLY.with(|t| t.borrow_mut().sequences += 1);
        Sut {
            rt,
            service: Some(service),
            clock,
            name: F::name(),
            people: Vec::new(),
            cases: Vec::new(),
            owed: Vec::new(),
            approvals: Vec::new(),
            seen: Vec::new(),
            log: vec![format!(
                "   0. a {} store; the manager approves: {}",
                F::name(),
                describe_approvals(&state.rules.approvals)
            )],
        }
    }

    fn apply(mut sut: Sut<F::Store>, state: &ModelState, step: Step) -> Sut<F::Store> {
        sut.step(state, &step);
        sut
    }

    fn check_invariants(sut: &Sut<F::Store>, state: &ModelState) {
        sut.check_queries(state);
    }

    fn teardown(mut sut: Sut<F::Store>, state: ModelState) {
        sut.finish(&state);
        let service = sut
            .service
            .take()
            .expect("the service lives until teardown");
        sut.rt.block_on(F::dispose(service.store()));
        drop(service);
    }
}

// =============================================================================================
// Running it
// =============================================================================================

/// How many sequences the model-based test runs, how long they are, and what the service
/// under test is configured with.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    /// Sequences to run.
    pub sequences: u32,
    /// The longest sequence, in steps (each sequence has 1 to this many).
    pub max_steps: usize,
    /// Shrinking iterations at most, once a sequence fails.
    pub max_shrink_iters: u32,
    /// A change to the profile the service under test runs with (the model keeps its own):
    /// for showing that the test catches a service that departs from the model.
    pub adjust_profile: fn(&mut ServiceProfile),
    /// Threads that share the sequences, each with its own random seed and its own stores
    /// (default 1). Stores that wait on I/O or on their own threads (SQLite, Postgres) finish
    /// sooner with several.
    pub threads: u32,
    /// A fixed random seed, to replay a run exactly (thread `t` uses `seed + t`); by default
    /// proptest's (`PROPTEST_RNG_SEED`, or random).
    pub seed: Option<u64>,
}

impl RunConfig {
    /// `PROPTEST_CASES` sequences (proptest's default, 256, when unset) of 1 to
    /// `CASEWORK_MODEL_STEPS` steps (default 48).
    pub fn from_env() -> Self {
        let max_steps = std::env::var("CASEWORK_MODEL_STEPS")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(48);
        RunConfig {
            sequences: Config::default().cases,
            max_steps,
            max_shrink_iters: 2_000,
            adjust_profile: |_| {},
            threads: 1,
            seed: None,
        }
    }

    /// The same, shared among `n` threads.
    pub fn threads(mut self, n: u32) -> Self {
        self.threads = n.max(1);
        self
    }

    /// The same, with `n` times as many sequences.
    pub fn times(mut self, n: u32) -> Self {
        self.sequences = self.sequences.saturating_mul(n);
        self
    }
}

/// What a run of the model-based test did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The store's name.
    pub store: &'static str,
    /// Sequences run.
    pub sequences: u64,
    /// Steps run, in all.
    pub steps: u64,
    /// Steps the service accepted (as the model predicted).
    pub accepted: u64,
    /// Steps the service refused (as the model predicted).
    pub refused: u64,
    /// Refusals by rule (`R-1` …), or by kind where no rule refused (`Input`, `NotFound`).
    pub refusals: std::collections::BTreeMap<String, u64>,
    /// The stages cases reached.
    pub stages: BTreeSet<&'static str>,
    /// Cases opened, in all.
    pub cases: u64,
    /// Cases whose stream passed the snapshot interval, so later loads read a snapshot.
    pub snapshotted: u64,
    /// The longest case stream, in events.
    pub longest: u64,
    /// How long it took.
    pub elapsed: std::time::Duration,
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "model-based test on {}: {} sequences, {} steps ({} accepted, {} refused) in {:.1} s; \
             {} cases ({} past a snapshot, the longest {} events); refusals: {}; stages \
             reached: {} of {}",
            self.store,
            self.sequences,
            self.steps,
            self.accepted,
            self.refused,
            self.elapsed.as_secs_f64(),
            self.cases,
            self.snapshotted,
            self.longest,
            self.refusals
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.stages.len(),
            StageName::ALL.len()
        )
    }
}

/// Runs the model-based test on the stores `F` makes: `config.sequences` random sequences,
/// each on a fresh store, every step compared with the model and followed by the invariants.
/// Returns what ran, or the failure with the shrunk sequence's numbered history.
pub fn run<F: StoreFactory>(config: &RunConfig) -> Result<RunReport, String> {
    let threads = config.threads.max(1).min(config.sequences.max(1));
    if threads == 1 {
        return run_here::<F>(config);
    }
    let started = std::time::Instant::now();
    let results: Vec<Result<RunReport, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = RunConfig {
                    sequences: config.sequences / threads
                        + u32::from(t < config.sequences % threads),
                    threads: 1,
                    seed: config.seed.map(|s| s.wrapping_add(u64::from(t))),
                    ..*config
                };
                scope.spawn(move || run_here::<F>(&share))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(format!("a {} runner thread panicked", F::name())))
            })
            .collect()
    });
    let mut total = RunReport {
        store: F::name(),
        sequences: 0,
        steps: 0,
        accepted: 0,
        refused: 0,
        refusals: Default::default(),
        stages: BTreeSet::new(),
        cases: 0,
        snapshotted: 0,
        longest: 0,
        elapsed: started.elapsed(),
    };
    for result in results {
        let report = result?;
        total.sequences += report.sequences;
        total.steps += report.steps;
        total.accepted += report.accepted;
        total.refused += report.refused;
        for (rule, n) in report.refusals {
            *total.refusals.entry(rule).or_default() += n;
        }
        total.stages.extend(report.stages);
        total.cases += report.cases;
        total.snapshotted += report.snapshotted;
        total.longest = total.longest.max(report.longest);
    }
    Ok(total)
}

fn run_here<F: StoreFactory>(config: &RunConfig) -> Result<RunReport, String> {
    let _quiet = QuietPanics::new();
    SETTINGS.with(|s| {
        *s.borrow_mut() = Settings {
            adjust_profile: config.adjust_profile,
        }
    });
    TALLY.with(|t| *t.borrow_mut() = Tally::default());
    let mut proptest_config = Config {
        cases: config.sequences,
        max_shrink_iters: config.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    if let Some(seed) = config.seed {
        proptest_config.rng_seed = proptest::test_runner::RngSeed::Fixed(seed);
    }
    let mut runner = TestRunner::new(proptest_config.clone());
    let strategy = CaseworkModel::sequential_strategy(1..=config.max_steps.max(1));
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |(initial, steps, seen)| {
        ModelTest::<F>::test_sequential(proptest_config.clone(), initial, steps, seen);
        Ok::<(), TestCaseError>(())
    });
    let elapsed = started.elapsed();
    let tally = TALLY.with(|t| std::mem::take(&mut *t.borrow_mut()));
    match result {
        Ok(()) => Ok(RunReport {
            store: F::name(),
            sequences: tally.sequences,
            steps: tally.steps,
            accepted: tally.accepted,
            refused: tally.refused,
            refusals: tally.refusals,
            stages: tally.stages,
            cases: tally.cases,
            snapshotted: tally.snapshotted,
            longest: tally.longest,
            elapsed,
        }),
        Err(TestError::Fail(reason, (_, steps, _))) => Err(format!(
            "{reason}(shrunk to {} step(s); replay with `RunConfig::seed`, or `PROPTEST_RNG_SEED`)",
            steps.len()
        )),
        Err(TestError::Abort(reason)) => Err(format!(
            "model-based test on {} aborted: {reason}",
            F::name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::invariants::*;
    use super::*;
    use crate::fixtures;
    use casework_core::case::{Received, Stage};
    use casework_core::kernel::context::CommandContext;
    use casework_core::kernel::event::{DomainEvent, EventMeta, RecordedEvent};
    use casework_core::kernel::ids::{EventId, StreamId};
    use casework_core::young_person::YoungPerson;
    use proptest::strategy::ValueTree;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn ages_count_completed_years_and_leap_birthdays_from_1_march() {
        assert_eq!(age_on(date(2011, 5, 14), date(2026, 5, 13)), 14);
        assert_eq!(age_on(date(2011, 5, 14), date(2026, 5, 14)), 15);
        assert_eq!(age_on(date(2008, 2, 29), date(2026, 2, 28)), 17);
        assert_eq!(age_on(date(2008, 2, 29), date(2026, 3, 1)), 18);
    }

    #[test]
    fn the_model_reads_the_city_profile() {
        let rules = ModelRules::city(Approvals::default());
        let on = date(2026, 3, 2);
        let girl = fixtures::girl_in_leeds_area();
        assert!(rules.ineligibility(&girl, on).is_empty());
        let kinds = rules.ineligibility(&fixtures::boy_in_leeds_area(), on);
        assert_eq!(kinds, vec![IneligibilityKind::GenderNotServed]);
        let wf1 = YoungPersonDetails {
            postcode: casework_core::kernel::input::Postcode::parse("WF1").expect("a district"),
            ..girl.clone()
        };
        assert_eq!(
            rules.ineligibility(&wf1, on),
            vec![IneligibilityKind::OutsideArea]
        );
        let nineteen = YoungPersonDetails {
            date_of_birth: date(2007, 3, 2),
            ..girl.clone()
        };
        assert_eq!(
            rules.ineligibility(&nineteen, on),
            vec![IneligibilityKind::TooOld]
        );
        let with_ld = YoungPersonDetails {
            learning_difficulty: true,
            ..nineteen
        };
        assert!(rules.ineligibility(&with_ld, on).is_empty());
        let answers = |keys: &[&str]| -> Vec<IndicatorAnswer> {
            keys.iter().map(|k| IndicatorAnswer::current(*k)).collect()
        };
        assert_eq!(rules.risk_level(&[], 15, false), Ok(RiskLevel::Low));
        assert_eq!(rules.risk_level(&[], 12, false), Ok(RiskLevel::Medium));
        assert_eq!(rules.risk_level(&[], 15, true), Ok(RiskLevel::Medium));
        assert_eq!(
            rules.risk_level(
                &answers(&["missing_from_home", "school_absence", "older_boyfriend"]),
                15,
                false
            ),
            Ok(RiskLevel::Medium)
        );
        assert_eq!(
            rules.risk_level(&answers(&["taken_to_parties", "school_absence"]), 15, false),
            Ok(RiskLevel::High)
        );
        assert_eq!(
            rules.risk_level(
                &[IndicatorAnswer::within("disclosure", Window::SixTo12Months)],
                15,
                false
            ),
            Ok(RiskLevel::High)
        );
        assert_eq!(
            rules.risk_level(&answers(&["school_absence", "nope"]), 15, false),
            Err(1)
        );
        assert_eq!(
            rules.risk_level(&answers(&["school_absence", "school_absence"]), 15, false),
            Err(1)
        );
    }

    /// A real history, decided by the core, as a store would return it.
    fn history(
        source: ReferralSource,
        commands: Vec<(By, CaseCommand)>,
    ) -> (Vec<Recorded<CaseEvent>>, Case) {
        let profile = ModelRules::city(Approvals::default()).service_profile();
        let at = fixtures::start();
        let person = YoungPerson {
            id: YoungPersonId::new(),
            details: fixtures::girl_in_leeds_area(),
            registered_at: at,
        };
        let worker = By::Worker.actor();
        let ctx = CommandContext::new(&worker, at, &profile);
        let referral = NewReferral {
            source,
            concerns: Confidential::new(fixed_text("Fictional concern")),
            received_at: at,
        };
        let (stage, mut events) =
            Received::open(CaseId::new(), &person, referral, None, &ctx).expect("opens");
        let mut case = stage.into_case();
        for (by, command) in commands {
            let actor = by.actor();
            let ctx = CommandContext::new(&actor, at, &profile);
            let new = case.decide(command, &ctx).expect("the command is accepted");
            for e in &new {
                case = Case::evolve(Some(case), e).expect("follows");
            }
            events.extend(new);
        }
        (recorded(&events, case.file().id), case)
    }

    fn recorded(events: &[CaseEvent], case: CaseId) -> Vec<Recorded<CaseEvent>> {
        events
            .iter()
            .enumerate()
            .map(|(i, e)| Recorded {
                stream: StreamId::Case(case),
                version: i as u64 + 1,
                position: i as u64 + 1,
                meta: EventMeta {
                    event_id: EventId::new(),
                    recorded_at: fixtures::start() + Duration::seconds(i as i64),
                    actor: By::Worker.actor(),
                    reason: None,
                },
                event: e.clone(),
            })
            .collect()
    }

    fn renumber(history: Vec<Recorded<CaseEvent>>) -> Vec<Recorded<CaseEvent>> {
        let case = history[0].stream;
        let events: Vec<CaseEvent> = history.into_iter().map(|r| r.event).collect();
        let StreamId::Case(id) = case else {
            unreachable!("a case stream")
        };
        recorded(&events, id)
    }

    fn on_waiting_list() -> Vec<(By, CaseCommand)> {
        vec![
            (By::Worker, CaseCommand::Screen),
            (
                By::Worker,
                CaseCommand::AssessRisk {
                    indicators: vec![],
                    worker_override: None,
                },
            ),
            (By::Worker, CaseCommand::AddToWaitingList),
        ]
    }

    fn closed_risk_reduced() -> (Vec<Recorded<CaseEvent>>, Case) {
        let professional = fixtures::social_worker();
        let mut commands = vec![
            (By::Worker, CaseCommand::Screen),
            (
                By::Worker,
                CaseCommand::AssessRisk {
                    indicators: vec![],
                    worker_override: None,
                },
            ),
            (By::Worker, CaseCommand::AcceptForSupport),
            (
                By::Worker,
                CaseCommand::Allocate {
                    worker: By::Worker.staff_id(),
                    worker_name: fixed_text("Sam Worker"),
                    out_of_order_reason: None,
                },
            ),
            (
                By::Worker,
                CaseCommand::AgreePlan {
                    plan: Confidential::new(fixed_text("Weekly sessions")),
                },
            ),
            (By::Worker, CaseCommand::BeginWork),
            (By::Worker, CaseCommand::ProposeClosure),
        ];
        for party in [Party::YoungPerson, Party::Professional(professional.id)] {
            commands.push((By::Worker, CaseCommand::RecordAgreement { party }));
        }
        commands.push((By::Worker, CaseCommand::CompleteClosure));
        history(
            ReferralSource::Professional {
                professional: professional.clone(),
            },
            std::iter::once((
                By::Worker,
                Cmd::Consent {
                    scope: ConsentScope::Referral,
                    decision: ConsentDecision::Given,
                    by: ConsentGiver::YoungPerson,
                    method: ConsentMethod::Phone,
                    secs_ago: 0,
                }
                .to_command(fixtures::start(), |_| None, |_| None),
            ))
            .chain(commands)
            .collect(),
        )
    }

    /// Every invariant holds on a real history, and fails on the same history with the one
    /// fact its rule is about taken out or changed: the checks can fail.
    #[test]
    fn every_invariant_catches_its_violation() {
        let rules = ModelRules::city(Approvals::default());
        let (history, state) = closed_risk_reduced();
        assert_eq!(state.stage(), StageName::Closed);
        assert_eq!(r1_no_acceptance_without_permission(&history), Ok(()));
        assert_eq!(r2_no_ineligible_acceptance(&history, &rules), Ok(()));
        assert_eq!(r5_owed_actions_never_missing(&history, &state), Ok(()));
        assert_eq!(
            r16_risk_reduced_closure_has_every_agreement(&history),
            Ok(())
        );
        assert_eq!(r17_finished_case_takes_only_discharges(&history), Ok(()));
        assert_eq!(r18_fold_gives_service_state(&history, &state), Ok(()));

        // R-1: the young person's permission taken out.
        let without_consent = renumber(
            history
                .iter()
                .filter(|e| !matches!(e.event, CaseEvent::ConsentRecorded { .. }))
                .cloned()
                .collect(),
        );
        let e = r1_no_acceptance_without_permission(&without_consent).unwrap_err();
        assert!(e.starts_with("R-1"), "{e}");

        // R-2: the screening said ineligible.
        let mut ineligible = history.clone();
        for e in &mut ineligible {
            if let CaseEvent::EligibilityScreened { screening } = &mut e.event {
                screening.reasons.push(
                    casework_core::policy::eligibility::Ineligibility::GenderNotServed {
                        gender: Gender::Male,
                    },
                );
            }
        }
        assert!(r2_no_ineligible_acceptance(&ineligible, &rules)
            .unwrap_err()
            .starts_with("R-2"));
        // R-2: the young person, as referred, is a boy the profile does not serve.
        let mut boy = history.clone();
        if let CaseEvent::ReferralReceived { subject, .. } = &mut boy[0].event {
            subject.gender = Gender::Male;
        }
        assert!(r2_no_ineligible_acceptance(&boy, &rules)
            .unwrap_err()
            .starts_with("R-2"));

        // R-5: the safeguarding-unit notification missing from the history, or from the case.
        let without_notification = renumber(
            history
                .iter()
                .filter(|e| {
                    !matches!(&e.event, CaseEvent::OwedActionRaised { action }
                        if action.kind == OwedActionKind::NotifySafeguardingUnit)
                })
                .cloned()
                .collect(),
        );
        assert!(r5_owed_actions_never_missing(&without_notification, &state)
            .unwrap_err()
            .starts_with("R-5"));
        let mut medium = history.clone();
        for e in &mut medium {
            if let CaseEvent::RiskAssessed { assessment } = &mut e.event {
                assessment.level = RiskLevel::Medium;
            }
        }
        assert!(r5_owed_actions_never_missing(&medium, &state)
            .unwrap_err()
            .contains("refer_to_duty_social_work"));

        // R-16: the professional's agreement taken out.
        let one_agreement = renumber(
            history
                .iter()
                .filter(|e| {
                    !matches!(
                        e.event,
                        CaseEvent::ClosureAgreed {
                            party: Party::Professional(_),
                            ..
                        }
                    )
                })
                .cloned()
                .collect(),
        );
        assert!(r16_risk_reduced_closure_has_every_agreement(&one_agreement)
            .unwrap_err()
            .starts_with("R-16"));

        // R-17: anything but a discharge after closing.
        let mut after_close = history.clone();
        let consent = history
            .iter()
            .find(|e| matches!(e.event, CaseEvent::ConsentRecorded { .. }))
            .cloned()
            .expect("a consent entry");
        after_close.push(consent);
        let after_close = renumber(after_close);
        assert!(r17_finished_case_takes_only_discharges(&after_close)
            .unwrap_err()
            .starts_with("R-17"));

        // R-18: a version gap; a fold that is not the state; a state as of t that shows a
        // later event.
        let stored: Vec<RecordedEvent> = history
            .iter()
            .map(|r| {
                let new = casework_core::kernel::confidential::for_storage(|| {
                    r.event.encode(r.meta.clone())
                });
                RecordedEvent {
                    stream: r.stream,
                    version: r.version,
                    position: r.position,
                    event_type: new.event_type,
                    schema_version: new.schema_version,
                    payload: new.payload,
                    meta: new.meta,
                }
            })
            .collect();
        assert_eq!(r18_versions_gap_free(&stored), Ok(()));
        let mut gap = stored.clone();
        gap.remove(3);
        assert!(r18_versions_gap_free(&gap).unwrap_err().starts_with("R-18"));
        let earlier = Case::fold(history[..5].iter().map(|e| &e.event))
            .expect("folds")
            .expect("a case");
        assert!(r18_fold_gives_service_state(&history, &earlier)
            .unwrap_err()
            .starts_with("R-18"));
        let t = history[4].meta.recorded_at;
        assert_eq!(
            r18_as_of_never_shows_later_events(&history, t, Some(&earlier)),
            Ok(())
        );
        assert!(
            r18_as_of_never_shows_later_events(&history, t, Some(&state))
                .unwrap_err()
                .starts_with("R-18")
        );
    }

    #[test]
    fn the_waiting_list_check_catches_a_misordered_list() {
        let (_, first) = history(ReferralSource::SelfReferral, on_waiting_list());
        let (_, second) = history(ReferralSource::SelfReferral, on_waiting_list());
        let mut a = CaseSummary::of(&first, 7);
        let mut b = CaseSummary::of(&second, 7);
        b.received_at = a.received_at + Duration::hours(1);
        assert_eq!(r7_waiting_list_in_order(&[a.clone(), b.clone()]), Ok(()));
        assert!(r7_waiting_list_in_order(&[b.clone(), a.clone()])
            .unwrap_err()
            .starts_with("R-7"));
        b.risk_level = Some(RiskLevel::High);
        assert!(r7_waiting_list_in_order(&[a.clone(), b.clone()]).is_err());
        assert_eq!(r7_waiting_list_in_order(&[b.clone(), a.clone()]), Ok(()));
        a.stage = StageName::Allocated;
        assert!(r7_waiting_list_in_order(&[b, a]).is_err());
    }

    /// The model alone, over generated sequences: every stage is reached and steps are
    /// refused under each rule the model knows, so the store tests exercise them all.
    #[test]
    fn generated_sequences_reach_every_stage_and_rule() {
        let mut runner = TestRunner::deterministic();
        let strategy = CaseworkModel::sequential_strategy(1..=48usize);
        let mut stages = BTreeSet::new();
        let mut rules = BTreeSet::new();
        for _ in 0..400 {
            let (mut state, steps, _) = strategy
                .new_tree(&mut runner)
                .expect("a sequence")
                .current();
            for step in &steps {
                state = state.apply(step);
                if let Some(Prediction::Refused(r)) = state.last.as_ref().map(|e| &e.prediction) {
                    rules.insert(r.rule());
                }
                stages.extend(state.cases.iter().map(|c| c.stage.as_str()));
            }
        }
        assert_eq!(stages.len(), StageName::ALL.len(), "{stages:?}");
        for rule in [1, 2, 3, 4, 5, 7, 16, 17, 24] {
            assert!(
                rules.contains(&Some(rule)),
                "R-{rule} never refused: {rules:?}"
            );
        }
    }
}
