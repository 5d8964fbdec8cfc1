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
//!   waiting list in R-7 order, the outstanding actions (R-5) and every worker's caseload as
//!   reallocations move cases between them (R-25);
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
//!
//! # Layout
//!
//! - `steps`: the actors, references and steps a sequence is made of, and how they read;
//! - `rules`: the model's profile ([`ModelRules`]);
//! - `state`: the model's state and predictions ([`ModelState`], [`ModelCase`], [`Refusal`]);
//! - `transitions`: how a step changes the state (intake, lifecycle, assessments and
//!   approvals);
//! - `generate`: the reference state machine that generates steps ([`CaseworkModel`]);
//! - [`invariants`]: the rules' invariants over stored histories;
//! - `sut` and `compare`: the system under test ([`Sut`], [`ModelTest`], [`StoreFactory`]) and
//!   how its answers are held against the model's;
//! - `runner`: [`run`], [`RunConfig`] and [`RunReport`].
//!
//! [`Casework`]: casework_service::Casework

mod compare;
mod generate;
pub mod invariants;
mod rules;
mod runner;
mod state;
mod steps;
mod sut;
#[cfg(test)]
mod tests;
mod transitions;

/// `proptest-state-machine`, re-exported so a test needs no dependency of its own on it.
pub use proptest_state_machine;
pub use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

pub use generate::CaseworkModel;
pub use rules::{age_on, ModelRules};
pub use runner::{run, RunConfig, RunReport};
pub use state::{
    Expected, ModelApproval, ModelAssessment, ModelCase, ModelGated, ModelOutcome, ModelOwed,
    ModelState, OwedState, Prediction, Refusal, Resolved,
};
pub use steps::{Action, ActionRef, ApprovalRef, By, Cmd, Step, Target};
pub use sut::{ModelTest, StoreFactory, Sut};
