//! How the store's answers are held against the model's: a refusal against the typed error the
//! service returned ([`refusal_matches`]), and a case's facts against the model's
//! ([`compare_case`]).

use crate::model::{ModelCase, ModelGated, ModelOutcome, Refusal};
use casework_core::case::consent::ConsentScope;
use casework_core::case::{Case, GatedStep, Outcome};
use casework_core::kernel::error::DomainError;
use casework_core::kernel::ids::CaseId;
use casework_service::{CommandError, LoadError};

pub(super) fn describe_error(e: &CommandError) -> String {
    match e {
        CommandError::Rejected(d) => {
            let rule = d.rule().map(|r| format!("{r} ")).unwrap_or_default();
            format!("{rule}{d:?}")
        }
        other => format!("{other:?}"),
    }
}

pub(super) fn refusal_matches(r: &Refusal, e: &CommandError, cases: &[CaseId]) -> bool {
    use DomainError as D;
    let case = |i: &usize| cases.get(*i).copied();
    let d = match (r, e) {
        (Refusal::NotFound, CommandError::Load(LoadError::NotFound(_))) => return true,
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
        (Refusal::SameWorker(worker), D::SameWorker { worker: got }) => worker == got,
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
        // The stored reason read back as the words the model gave (the model holds commands'
        // input; a test of the store reads what the store keeps).
        GatedStep::Close { reason } => ModelGated::Close(
            serde_json::from_value(crate::stored::stored(reason)).expect("a stored reason reads"),
        ),
        GatedStep::CompleteClosure => ModelGated::CompleteClosure,
        GatedStep::Allocate { worker, .. } => ModelGated::Allocate(*worker),
        GatedStep::Reallocate { worker, .. } => ModelGated::Reallocate(*worker),
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
pub(super) fn compare_case(m: &ModelCase, actual: &Case, cases: &[CaseId]) -> Result<(), String> {
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
