//! The safeguarding invariants, each named after its rule, checked on a case's stored history
//! (and state) after every step of the model-based test. Each returns a message naming the rule
//! and the offending event when it does not hold. They use only the stored events, never the
//! core's decisions, so a charity can run them over its own data too.

use crate::model::ModelRules;
use crate::stored::stored;
use casework_core::case::consent::{ConsentDecision, ConsentGiver, ConsentScope};
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{
    Case, CaseEvent, ClosureReason, Outcome, Party, ReferralSource, StageName,
};
use casework_core::kernel::event::{Recorded, RecordedEvent};
use casework_core::policy::risk::RiskLevel;
use casework_core::read::rows::CaseSummary;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

fn accepted(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::ImmediateSupport | Outcome::WaitingList)
}

/// no referral by anyone other than the young person is accepted (for immediate
/// support or onto the waiting list) without the young person's own recorded permission,
/// standing at the moment of acceptance. A self-referral is consent.
pub fn r1_no_acceptance_without_permission(history: &[Recorded<CaseEvent>]) -> Result<(), String> {
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

/// no referral is accepted unless it was screened eligible, and unless the young
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
                let reasons = rules.ineligibility(details, rules.local_date(*at));
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

/// the waiting list is ordered High, Medium, Low, then by referral time, and holds
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
        let in_order = rank(a) > rank(b) || (rank(a) == rank(b) && a.received_at <= b.received_at);
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

/// a case closed for 'risk significantly reduced' has the agreement of the young
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
        // The outcome's own obligation to the referrer is raised in the same append.
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

/// a stream's stored versions are 1, 2, 3 … without a gap or a repeat, and its
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

/// folding the stored events gives the state the service returns.
pub fn r18_fold_gives_service_state(
    history: &[Recorded<CaseEvent>],
    state: &Case,
) -> Result<(), String> {
    let folded = Case::fold(history.iter().map(|e| &e.event))
        .map_err(|i| format!("R-18: stored event {} cannot follow the ones before", i + 1))?;
    if stored(&folded) != stored(&Some(state)) {
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

/// the state as of `t` is the fold of exactly the events recorded at or before `t`:
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
    if stored(&expected) != stored(&as_of) {
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
