//! The model's decision on the commands that move a case through its stages and name no owed
//! action, approval or time: professionals, screening, assessment and outcome (intake),
//! allocation, reallocation, plan, work, pauses and reviews (work), and the proposal, agreements and closure
//! (closure). It is one `match` over the command, as the rules read stage by stage, so it stays
//! in one file.

use crate::model::{By, ModelCase, ModelGated, ModelOutcome, ModelState, Refusal};
use casework_core::case::consent::ConsentScope;
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{CaseCommand, ClosureReason, Party, StageName};
use casework_core::policy::risk::RiskLevel;
use chrono::Duration;

impl ModelState {
    /// Commands that name no owed action, approval or time.
    pub(super) fn decide_plain(
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
        // does this actor's step wait for a manager?
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
                        .ineligibility(&c.subject, self.rules.local_date(c.received_at)),
                );
                c.stage = S::Screened;
                Ok(vec!["eligibility_screened"])
            }
            C::AssessRisk {
                indicators,
                worker_override,
            } => match stage {
                // screening comes first.
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
                    // every referral is assessed before an outcome.
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
                        // signposted with a reason, the screening's when none is given.
                        if reason.is_none() && reasons.is_empty() {
                            return Err(Refusal::ReasonRequired);
                        }
                        (ModelOutcome::Signposted, S::Signposted)
                    }
                    _ => (ModelOutcome::Declined, S::Declined),
                };
                c.outcome = Some(outcome);
                // the referrer is owed the outcome.
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
                        // from the head, unless a manager records a reason.
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
            C::Reallocate { worker, .. } => {
                // a case with a worker moves to another, with a reason; the stage and
                // the work stay as they are.
                let Some((holder, _)) = c.allocation.filter(|_| c.has_worker()) else {
                    return Err(not_here(None));
                };
                if holder == *worker {
                    return Err(Refusal::SameWorker(*worker));
                }
                if gated(approvals.reallocation) {
                    return Ok(Self::request(c, ModelGated::Reallocate(*worker)));
                }
                c.allocation = Some((*worker, false));
                Ok(vec!["case_reallocated"])
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
                // the first review on the cadence for the current level (Medium if none).
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
                // a review always records a new assessment; the next falls due on the
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
                // the young person and every professional involved, including any
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
                // 'risk significantly reduced' goes through a proposal and agreements.
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
