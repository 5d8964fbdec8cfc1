//! A given/when/then harness over the pure domain: no store, no runtime, no clock but the one
//! you set.
//!
//! A scenario reads like the rule it proves. *Given* a referral and the commands already
//! applied to it (each must succeed: they are history), *when* one more command is decided,
//! *then* it was refused by a named rule, or produced these events, or left the case at this
//! stage:
//!
//! ```
//! use casework_core::case::{CaseCommand, StageName};
//! use casework_core::case::consent::{
//!     ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
//! };
//! use casework_core::policy::profile::examples::city_girls_service;
//! use casework_core::kernel::rule::Rule;
//! use casework_testkit::fixtures::{
//!     girl_in_leeds_area, manager, professional_referral, social_worker, start, text,
//! };
//! use casework_testkit::scenario::Scenario;
//!
//! // R-1: a professional's referral needs the young person's own permission.
//! let assessed = Scenario::new(city_girls_service())
//!     .at(start())
//!     .given_referral(&girl_in_leeds_area(), professional_referral(social_worker(), start()))
//!     .given(vec![
//!         CaseCommand::Screen,
//!         CaseCommand::AssessRisk { indicators: vec![], worker_override: None },
//!     ]);
//! let permission = ConsentEntry {
//!     scope: ConsentScope::Referral,
//!     decision: ConsentDecision::Given,
//!     by: ConsentGiver::YoungPerson,
//!     method: ConsentMethod::Phone,
//!     purpose: text("to be referred to the project"),
//!     given_at: start(),
//! };
//!
//! assessed
//!     .clone()
//!     .by(&manager())
//!     .when(CaseCommand::AcceptForSupport)
//!     .then_refused_by(Rule::R1);
//!
//! assessed
//!     .given(vec![CaseCommand::RecordConsent { entry: permission }])
//!     .when(CaseCommand::AcceptForSupport)
//!     .then_stage(StageName::AwaitingAllocation);
//! ```
//!
//! Decisions go through [`Case::decide`] with a [`CommandContext`] built from the scenario's
//! profile, clock reading ([`Scenario::at`]), acting person ([`Scenario::by`]) and waiting-list
//! head ([`Scenario::waiting_list_head`], for R-7); the state moves on through [`Case::evolve`],
//! exactly as the facade does after loading a stream. Every `then_*` panics with a message that
//! names what was expected and what happened, at the caller's line.

use crate::fixtures;
use crate::stored::stored;
use casework_core::case::owed::{OwedAction, OwedActionKind};
use casework_core::case::{Case, CaseCommand, CaseEvent, NewReferral, Received, Stage, StageName};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::ids::{CaseId, OwedActionId, YoungPersonId};
use casework_core::kernel::rule::Rule;
use casework_core::policy::profile::ServiceProfile;
use casework_core::young_person::{YoungPerson, YoungPersonDetails};
use chrono::{DateTime, Duration, Utc};

/// The *given* half of a scenario: a profile, a clock reading, an acting person and the case's
/// history so far.
///
/// ```
/// use casework_core::case::{CaseCommand, StageName};
/// use casework_core::case::owed::OwedActionKind;
/// use casework_core::policy::profile::examples::city_girls_service;
/// use casework_core::kernel::rule::Rule;
/// use casework_testkit::fixtures::{girl_in_leeds_area, self_referral, start};
/// use casework_testkit::scenario::Scenario;
///
/// // R-4: no outcome before an assessment; then every outcome owes the referrer a message.
/// Scenario::new(city_girls_service())
///     .given_referral(&girl_in_leeds_area(), self_referral(start()))
///     .given(vec![CaseCommand::Screen])
///     .when(CaseCommand::AcceptForSupport)
///     .then_refused_by(Rule::R4)
///     .and()
///     .given(vec![CaseCommand::AssessRisk { indicators: vec![], worker_override: None }])
///     .when(CaseCommand::AcceptForSupport)
///     .then_stage(StageName::AwaitingAllocation)
///     .then_owes(OwedActionKind::CommunicateOutcome);
/// ```
#[derive(Clone, Debug)]
pub struct Scenario {
    profile: ServiceProfile,
    at: DateTime<Utc>,
    actor: Actor,
    waiting_list_head: Option<CaseId>,
    young_person: Option<YoungPerson>,
    case: Option<Case>,
    history: Vec<CaseEvent>,
}

impl Scenario {
    /// A scenario under `profile`, at [`fixtures::start`], acted by [`fixtures::worker`],
    /// with no case yet.
    pub fn new(profile: ServiceProfile) -> Self {
        Self {
            profile,
            at: fixtures::start(),
            actor: fixtures::worker(),
            waiting_list_head: None,
            young_person: None,
            case: None,
            history: Vec::new(),
        }
    }

    /// Sets the clock reading for the steps that follow.
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }

    /// Moves the clock reading forward by `by` for the steps that follow.
    pub fn later(mut self, by: Duration) -> Self {
        self.at += by;
        self
    }

    /// Sets who acts in the steps that follow (a worker by default; a manager for R-7).
    pub fn by(mut self, actor: &Actor) -> Self {
        self.actor = actor.clone();
        self
    }

    /// Sets the case at the head of the waiting list, as the facade reads it for an allocation
    /// (R-7). `None` means "not known", and allocation does not check the order.
    pub fn waiting_list_head(mut self, head: Option<CaseId>) -> Self {
        self.waiting_list_head = head;
        self
    }

    /// Given a referral about a young person with `details`: registers them at the current
    /// clock reading and opens the case with [`Received::open`]. Panics if either is refused
    /// (a *given* is history, so it must have happened).
    #[track_caller]
    pub fn given_referral(self, details: &YoungPersonDetails, referral: NewReferral) -> Self {
        self.when_referral(details, referral).and_accepted()
    }

    /// Given a re-referral (R-17): as [`Scenario::given_referral`], linked to `previous`.
    #[track_caller]
    pub fn given_re_referral(
        self,
        previous: CaseId,
        details: &YoungPersonDetails,
        referral: NewReferral,
    ) -> Self {
        let then = self.open(details, referral, Some(previous));
        then.and_accepted()
    }

    /// Given `commands`, applied in order at the current clock reading by the current actor.
    /// Panics, naming the command, if any is refused.
    #[track_caller]
    pub fn given(self, commands: impl IntoIterator<Item = CaseCommand>) -> Self {
        commands.into_iter().fold(self, |scenario, command| {
            scenario.when(command).and_accepted()
        })
    }

    /// When a referral about a young person with `details` arrives: the opening itself is the
    /// step under test (R-5's notification, a date of birth or `received_at` in the future).
    pub fn when_referral(self, details: &YoungPersonDetails, referral: NewReferral) -> Then {
        self.open(details, referral, None)
    }

    fn open(
        self,
        details: &YoungPersonDetails,
        referral: NewReferral,
        previous: Option<CaseId>,
    ) -> Then {
        let description = "referral".to_owned();
        let ctx = CommandContext::new(&self.actor, self.at, &self.profile);
        let result = YoungPerson::register(YoungPersonId::new(), details.clone(), &ctx)
            .map_err(DomainError::from)
            .map(|registered| {
                YoungPerson::evolve(None, &registered).expect("registration opens the record")
            })
            .and_then(|person| {
                Received::open(CaseId::new(), &person, referral, previous, &ctx)
                    .map(|(stage, events)| (person, stage.into_case(), events))
            });
        match result {
            Ok((person, case, events)) => {
                // The facade folds stored events; check the fold agrees with the transition.
                let folded = fold_onto(None, &events, &description);
                assert_eq!(
                    stored(&folded),
                    stored(&case),
                    "Received::open and Case::evolve disagree about the opened case"
                );
                Then {
                    before: self,
                    description,
                    outcome: Ok((events, Some(person), case)),
                }
            }
            Err(error) => Then {
                before: self,
                description,
                outcome: Err(error),
            },
        }
    }

    /// When `command` is decided against the case as it stands.
    #[track_caller]
    pub fn when(self, command: CaseCommand) -> Then {
        let case = self.case();
        let description = format!("`{}`", command.name());
        let mut ctx = CommandContext::new(&self.actor, self.at, &self.profile);
        ctx.waiting_list_head = self.waiting_list_head;
        let outcome = case.decide(command, &ctx).map(|events| {
            let after = fold_onto(Some(case.clone()), &events, &description);
            (events, self.young_person.clone(), after)
        });
        Then {
            before: self,
            description,
            outcome,
        }
    }

    /// The case as it stands. Panics if no referral was given.
    #[track_caller]
    pub fn case(&self) -> &Case {
        self.case
            .as_ref()
            .expect("no case yet: start the scenario with `given_referral`")
    }

    /// The case's id.
    #[track_caller]
    pub fn case_id(&self) -> CaseId {
        self.case().file().id
    }

    /// The young person's id.
    #[track_caller]
    pub fn young_person_id(&self) -> YoungPersonId {
        self.case().file().young_person
    }

    /// Every event so far, oldest first.
    pub fn history(&self) -> &[CaseEvent] {
        &self.history
    }

    /// The clock reading the next step is decided at.
    pub fn now(&self) -> DateTime<Utc> {
        self.at
    }

    /// The service profile.
    pub fn profile(&self) -> &ServiceProfile {
        &self.profile
    }

    /// Every owed action of `kind` on the case, oldest first.
    #[track_caller]
    pub fn owed_actions(&self, kind: OwedActionKind) -> Vec<&OwedAction> {
        self.case()
            .file()
            .owed
            .iter()
            .filter(|a| a.kind == kind)
            .collect()
    }

    /// The id of the (first) owed action of `kind`. Panics if there is none.
    #[track_caller]
    pub fn owed_action(&self, kind: OwedActionKind) -> OwedActionId {
        match self.owed_actions(kind).first() {
            Some(action) => action.id,
            None => panic!("the case owes no `{}` action", kind.as_str()),
        }
    }
}

/// Folds `events` onto `state`, panicking if the transition produced an event the fold refuses
/// (the decided and the replayed state would then differ: a core bug).
fn fold_onto(state: Option<Case>, events: &[CaseEvent], description: &str) -> Case {
    let stage = state.as_ref().map(Case::stage);
    let mut state = state;
    for event in events {
        state = Some(Case::evolve(state, event).unwrap_or_else(|| {
            panic!(
                "{description} decided `{}`, which Case::evolve cannot fold onto stage {stage:?}",
                event.event_type()
            )
        }));
    }
    state.expect("an accepted step leaves a case")
}

type Accepted = (Vec<CaseEvent>, Option<YoungPerson>, Case);

/// The *then* half of a scenario: what the step under test did. Every assertion returns the
/// same `Then`, so assertions chain; [`Then::and`] carries on with more steps.
#[derive(Debug)]
pub struct Then {
    before: Scenario,
    description: String,
    outcome: Result<Accepted, DomainError>,
}

impl Then {
    #[track_caller]
    fn accepted(&self) -> &Accepted {
        match &self.outcome {
            Ok(accepted) => accepted,
            Err(error) => panic!(
                "expected {} to be accepted, but it was refused: {error}\n  ({error:?})",
                self.description
            ),
        }
    }

    /// The refusal. Panics if the step was accepted.
    #[track_caller]
    pub fn error(&self) -> &DomainError {
        match &self.outcome {
            Err(error) => error,
            Ok((events, _, case)) => panic!(
                "expected {} to be refused, but it was accepted: the case is {} after {:?}",
                self.description,
                case.stage(),
                events.iter().map(CaseEvent::event_type).collect::<Vec<_>>()
            ),
        }
    }

    /// The events the step produced. Panics if it was refused.
    #[track_caller]
    pub fn events(&self) -> &[CaseEvent] {
        &self.accepted().0
    }

    /// The case after the step. Panics if it was refused.
    #[track_caller]
    pub fn case(&self) -> &Case {
        &self.accepted().2
    }

    /// The scenario as it stood before the step.
    pub fn before(&self) -> &Scenario {
        &self.before
    }

    /// Then the step was accepted.
    #[track_caller]
    pub fn then_accepted(self) -> Self {
        self.accepted();
        self
    }

    /// Then the step was refused by `rule`: the error names it ([`DomainError::rule`]) and its
    /// message cites it.
    #[track_caller]
    pub fn then_refused_by(self, rule: Rule) -> Self {
        let error = self.error();
        assert_eq!(
            error.rule(),
            Some(rule),
            "expected {} to be refused by {rule}, but the refusal names {:?}: {error}",
            self.description,
            error.rule().map(|r| r.to_string()),
        );
        assert!(
            error.to_string().contains(&rule.to_string()),
            "the refusal's message should cite {rule}: {error}"
        );
        self
    }

    /// Then the step was refused, and `check` holds of the error.
    #[track_caller]
    pub fn then_error(self, check: impl FnOnce(&DomainError)) -> Self {
        check(self.error());
        self
    }

    /// Then the step was refused as bad input about `field` ([`casework_core::kernel::input::InputError`]).
    #[track_caller]
    pub fn then_input_error(self, field: &str) -> Self {
        match self.error() {
            DomainError::Input(input) => assert_eq!(
                input.field, field,
                "expected {} to be refused naming field `{field}`: {input}",
                self.description
            ),
            other => panic!(
                "expected {} to be refused as bad input about `{field}`, but: {other}",
                self.description
            ),
        }
        self
    }

    /// Then the step was accepted, and `check` holds of its events.
    #[track_caller]
    pub fn then_events(self, check: impl FnOnce(&[CaseEvent])) -> Self {
        check(self.events());
        self
    }

    /// Then the step was accepted and produced exactly these event types, in order.
    #[track_caller]
    pub fn then_event_types(self, expected: &[&str]) -> Self {
        let actual: Vec<_> = self.events().iter().map(CaseEvent::event_type).collect();
        assert_eq!(actual, expected, "events of {}", self.description);
        self
    }

    /// Then the step was accepted and left the case at `stage`.
    #[track_caller]
    pub fn then_stage(self, stage: StageName) -> Self {
        let actual = self.case().stage();
        assert_eq!(
            actual, stage,
            "expected {} to leave the case {stage}, but it is {actual}",
            self.description
        );
        self
    }

    /// Then the step was accepted, and `check` holds of the case after it.
    #[track_caller]
    pub fn then_case(self, check: impl FnOnce(&Case)) -> Self {
        check(self.case());
        self
    }

    /// Then the step was accepted and raised an owed action of `kind` (R-4, R-5).
    #[track_caller]
    pub fn then_owes(self, kind: OwedActionKind) -> Self {
        let raised = raised(self.events(), kind);
        assert_eq!(
            raised,
            1,
            "expected {} to raise one `{}` action, it raised {raised}",
            self.description,
            kind.as_str()
        );
        self
    }

    /// Then the step was accepted and raised no owed action of `kind` (R-5).
    #[track_caller]
    pub fn then_does_not_owe(self, kind: OwedActionKind) -> Self {
        let raised = raised(self.events(), kind);
        assert_eq!(
            raised,
            0,
            "expected {} to raise no `{}` action, it raised {raised}",
            self.description,
            kind.as_str()
        );
        self
    }

    /// Carries on from here: from the case after the step if it was accepted, or from the
    /// unchanged case if it was refused (a refusal changes nothing).
    pub fn and(self) -> Scenario {
        let mut scenario = self.before;
        if let Ok((events, person, case)) = self.outcome {
            scenario.history.extend(events);
            scenario.young_person = person;
            scenario.case = Some(case);
        }
        scenario
    }

    #[track_caller]
    fn and_accepted(self) -> Scenario {
        self.accepted();
        self.and()
    }
}

fn raised(events: &[CaseEvent], kind: OwedActionKind) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, CaseEvent::OwedActionRaised { action } if action.kind == kind))
        .count()
}

#[cfg(test)]
mod tests {
    //! The harness's own assertions must fire, or the rule tests built on it prove nothing.
    use super::*;
    use crate::fixtures::{
        girl_in_leeds_area, professional_referral, self_referral, social_worker,
    };
    use casework_core::policy::profile::examples::city_girls_service;

    fn assessed_professional_referral() -> Scenario {
        Scenario::new(city_girls_service())
            .given_referral(
                &girl_in_leeds_area(),
                professional_referral(social_worker(), fixtures::start()),
            )
            .given(vec![
                CaseCommand::Screen,
                CaseCommand::AssessRisk {
                    indicators: vec![],
                    worker_override: None,
                },
            ])
    }

    #[test]
    fn a_refusal_by_the_named_rule_passes() {
        assessed_professional_referral()
            .when(CaseCommand::AcceptForSupport)
            .then_refused_by(Rule::R1);
    }

    #[test]
    #[should_panic(expected = "refused by R-2")]
    fn a_refusal_by_another_rule_fails() {
        assessed_professional_referral()
            .when(CaseCommand::AcceptForSupport)
            .then_refused_by(Rule::R2);
    }

    #[test]
    #[should_panic(expected = "to be accepted, but it was refused")]
    fn a_stage_check_on_a_refusal_fails() {
        assessed_professional_referral()
            .when(CaseCommand::AcceptForSupport)
            .then_stage(StageName::AwaitingAllocation);
    }

    #[test]
    #[should_panic(expected = "to be refused, but it was accepted")]
    fn a_refusal_check_on_an_accepted_step_fails() {
        Scenario::new(city_girls_service())
            .given_referral(&girl_in_leeds_area(), self_referral(fixtures::start()))
            .when(CaseCommand::Screen)
            .then_refused_by(Rule::R4);
    }

    #[test]
    #[should_panic(expected = "`accept_for_support` to be accepted")]
    fn a_refused_given_fails_naming_the_command() {
        let _ = assessed_professional_referral().given(vec![CaseCommand::AcceptForSupport]);
    }

    #[test]
    #[should_panic(expected = "expected `screen` to leave the case assessed")]
    fn a_wrong_stage_fails() {
        Scenario::new(city_girls_service())
            .given_referral(&girl_in_leeds_area(), self_referral(fixtures::start()))
            .when(CaseCommand::Screen)
            .then_stage(StageName::Assessed);
    }

    #[test]
    #[should_panic(expected = "raise no `refer_to_duty_social_work` action, it raised 1")]
    fn an_unexpected_owed_action_fails() {
        Scenario::new(city_girls_service())
            .given_referral(&girl_in_leeds_area(), self_referral(fixtures::start()))
            .given(vec![CaseCommand::Screen])
            .when(CaseCommand::AssessRisk {
                indicators: vec!["disclosure".into()],
                worker_override: None,
            })
            .then_does_not_owe(OwedActionKind::ReferToDutySocialWork);
    }

    #[test]
    fn a_refused_step_changes_nothing_when_the_scenario_carries_on() {
        let before = assessed_professional_referral();
        let after = before
            .clone()
            .when(CaseCommand::AcceptForSupport)
            .then_refused_by(Rule::R1)
            .and();
        assert_eq!(stored(after.case()), stored(before.case()));
        assert_eq!(stored(after.history()), stored(before.history()));
    }

    #[test]
    fn an_accepted_step_extends_the_history_and_folds_to_the_case() {
        let s = assessed_professional_referral();
        let n = s.history().len();
        let s = s
            .when(CaseCommand::Withdraw {
                reason: fixtures::text("Moved away").into(),
            })
            .and();
        assert_eq!(s.history().len(), n + 1);
        assert_eq!(
            stored(&Case::fold(s.history()).unwrap()),
            stored(&Some(s.case()))
        );
    }
}
