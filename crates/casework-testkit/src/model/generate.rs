//! The reference state machine ([`CaseworkModel`], the `proptest-state-machine` glue on the
//! model's side): the initial state, the steps it generates (mostly likely next steps for a
//! case's stage, and many invalid ones) and their preconditions. It is one generator with its
//! small strategies, so it stays in one file.

use crate::model::steps::{fixed_text, id};
use crate::model::{
    Action, ActionRef, ApprovalRef, By, Cmd, ModelCase, ModelRules, ModelState, OwedState,
    ReferenceStateMachine, Step, Target,
};
use crate::strategies;
use casework_core::case::consent::{ConsentDecision, ConsentGiver, ConsentMethod, ConsentScope};
use casework_core::case::{CaseCommand, Party, ReferralSource, StageName};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{OwedActionId, ProfessionalId};
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel};
use casework_core::young_person::YoungPersonDetails;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use std::sync::Arc;

/// The reference state machine: the model, and the steps it generates.
#[derive(Clone, Copy, Debug, Default)]
pub struct CaseworkModel;

impl ReferenceStateMachine for CaseworkModel {
    type State = ModelState;
    type Transition = Step;

    /// A service with nobody registered, at the fixtures' start, with any combination of
    /// manager approvals.
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
            actions.push((register_weight, register(state.rules.local_date(state.now))));
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

/// A move to any of the actors, the case's own worker included (refused, R-25).
fn reallocate() -> BoxedStrategy<Cmd> {
    (select(&By::ALL[..]), strategies::reason())
        .prop_map(|(worker, reason)| {
            Cmd::Do(CaseCommand::Reallocate {
                worker: worker.staff_id(),
                worker_name: fixed_text(worker.name()),
                reason,
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
    // Cases behind the head of the waiting list: allocating one is out of order.
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
    if c.has_worker() {
        // Caseloads are rebalanced now and then, at any stage with a worker.
        next.push((2, reallocate()));
    } else if c.in_progress() {
        next.push((1, reallocate()));
    }
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
                    .prop_map(|reason| {
                        Cmd::Do(CaseCommand::Signpost {
                            reason: reason.map(Into::into),
                            to: None,
                        })
                    })
                    .boxed(),
            ));
            next.push((
                1,
                strategies::reason()
                    .prop_map(|reason| {
                        Cmd::Do(CaseCommand::Decline {
                            reason: reason.into(),
                        })
                    })
                    .boxed(),
            ));
        }
        S::AwaitingAllocation => next.push((18, allocate())),
        // Cases wait a while on the list, so it often holds several.
        S::WaitingList => next.push((4, allocate())),
        S::Allocated => {
            next.push((
                15,
                strategies::plan()
                    .prop_map(|plan| {
                        Cmd::Do(CaseCommand::AgreePlan {
                            plan: NewConfidential::new(plan),
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
                    .prop_map(|reason| {
                        Cmd::Do(CaseCommand::WithdrawClosureProposal {
                            reason: reason.into(),
                        })
                    })
                    .boxed(),
            ));
            next.push((1, close()));
        }
        S::Signposted | S::Declined | S::Withdrawn | S::Closed => {}
    }
    if c.in_progress() {
        // The young person's own word, which can end the referral or case.
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
                .prop_map(|reason| {
                    Cmd::Do(CaseCommand::Withdraw {
                        reason: reason.into(),
                    })
                })
                .boxed(),
        ));
    }
    if next.is_empty() {
        return broad;
    }
    prop_oneof![5 => Union::new_weighted(next), 1 => broad].boxed()
}
