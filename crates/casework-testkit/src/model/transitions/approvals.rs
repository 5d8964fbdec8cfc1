//! Risk assessments and manager approvals in the model: an assessment with the tool and the duty
//! referral it may owe, and the steps that wait for a manager.

use crate::model::steps::fixed_text;
use crate::model::{
    age_on, ApprovalRef, By, ModelApproval, ModelAssessment, ModelCase, ModelGated, ModelState,
    Refusal,
};
use casework_core::case::owed::OwedActionKind;
use casework_core::case::CaseCommand;
use casework_core::kernel::confidential::NewConfidential;
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride};
use chrono::Duration;

impl ModelState {
    /// a manager approves a pending step, which is then decided as if the manager took it
    /// (ADR 0006).
    pub(super) fn approve(
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
            ModelGated::Reallocate(worker) => self.decide_plain(
                index,
                c,
                By::Manager,
                &CaseCommand::Reallocate {
                    worker,
                    worker_name: fixed_text("Reallocated worker"),
                    reason: fixed_text("approved"),
                },
            )?,
            ModelGated::RiskOverride(assessment, level) => {
                // The override applies to the assessment it was asked for, and only while that
                // is the latest.
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

    /// a Medium or High level (computed or applied) owes the duty social work team a
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

    /// an assessment with the tool; an override a manager must approve is
    /// requested rather than applied.
    pub(super) fn assess(
        &self,
        c: &mut ModelCase,
        by: By,
        answers: &[IndicatorAnswer],
        worker_override: &Option<RiskOverride<NewConfidential>>,
        first: &'static str,
    ) -> Result<Vec<&'static str>, Refusal> {
        let age = age_on(c.subject.date_of_birth, self.rules.local_date(self.now));
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

    pub(super) fn request(c: &mut ModelCase, step: ModelGated) -> Vec<&'static str> {
        c.approvals.push(ModelApproval { step, open: true });
        vec!["approval_requested"]
    }
}

pub(super) fn open_approval(c: &ModelCase, approval: &ApprovalRef) -> Result<usize, Refusal> {
    match approval {
        ApprovalRef::Nth(n) if c.approvals.get(*n).is_some_and(|a| a.open) => Ok(*n),
        _ => Err(Refusal::UnknownApproval),
    }
}
