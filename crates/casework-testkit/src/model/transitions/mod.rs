//! The model's transitions: how a step changes a [`ModelState`] and what the model predicts for
//! it, written out from DOMAIN.md without the core's decisions. This file holds the entry
//! ([`ModelState::apply`]) and the decision on one command (`ModelState::decide`: owed actions,
//! approvals refused, consent); the submodules hold how a case opens (`intake`), the stage-by-stage
//! lifecycle (`lifecycle`), and assessments and R-24 approvals (`approvals`).

mod approvals;
mod intake;
mod lifecycle;

use crate::model::{
    Action, By, Cmd, Expected, ModelCase, ModelState, OwedState, Prediction, Refusal, Resolved,
    Step,
};
use casework_core::case::consent::{ConsentDecision, ConsentGiver, ConsentScope};
use casework_core::case::{ClosureReason, StageName};
use chrono::Duration;

use approvals::open_approval;

impl ModelState {
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
        // a closed case takes nothing but the discharge of owed actions (ADR 0003).
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
                // the service is voluntary. The young person refusing or withdrawing the
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
}
