//! Work: a worker holds the case. The plan is agreed, work begins, pauses and resumes, reviews
//! are recorded, and closure for 'risk significantly reduced' is proposed. The
//! day-to-day steps (goals, sessions, programme, cadence, referrals out) are the group traits'
//! ([`HasWorker`](super::HasWorker), [`UnderWay`](super::UnderWay)).

use super::sealed::Sealed;
use super::{
    advance, approval_requested, assess, assessment_events, programme_of, Active, Allocated,
    Closing, Engaged, Paused, Step,
};
use crate::case::{CaseEvent, CaseFile, PauseReason, Review, ReviewDecision};
use crate::kernel::confidential::NewConfidential;
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::policy::profile::ReviewCadence;
use crate::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride};
use chrono::{DateTime, Duration, Utc};

/// The review cadence that applies: the case's programme's, where it sets one, or the
/// service's.
fn review_cadence<'a>(file: &CaseFile, ctx: &CommandContext<'a>) -> &'a ReviewCadence {
    programme_of(file, ctx)
        .and_then(|p| p.reviews.as_ref())
        .unwrap_or(&ctx.profile.reviews)
}

fn review_due(
    file: &CaseFile,
    level: RiskLevel,
    from: DateTime<Utc>,
    ctx: &CommandContext<'_>,
) -> DateTime<Utc> {
    from + Duration::days(i64::from(review_cadence(file, ctx).days_for(level)))
}

impl Allocated {
    /// Records the plan agreed with the young person: engaged. Engagement is voluntary:
    /// the plan has no field that could make it a statutory requirement.
    #[must_use]
    pub fn agree_plan(self, plan: NewConfidential, ctx: &CommandContext<'_>) -> Step<Engaged> {
        let allocation = self.allocation;
        let events = vec![CaseEvent::PlanAgreed {
            plan: plan.seal(),
            at: ctx.at,
        }];
        advance(self.file, events, |file| Engaged { file, allocation })
    }
}

impl Engaged {
    /// Work begins; the first review falls due on the profile's cadence. There is no
    /// time limit.
    #[must_use]
    pub fn begin_work(self, ctx: &CommandContext<'_>) -> Step<Active> {
        let level = self.file.current_risk().unwrap_or(RiskLevel::Medium);
        let events = vec![CaseEvent::WorkBegun {
            at: ctx.at,
            first_review_due: review_due(&self.file, level, ctx.at, ctx),
        }];
        let allocation = self.allocation;
        advance(self.file, events, |file| Active { file, allocation })
    }
}

impl Active {
    /// Pauses work (no contact, missing).
    #[must_use]
    pub fn pause(
        self,
        reason: PauseReason<NewConfidential>,
        ctx: &CommandContext<'_>,
    ) -> Step<Paused> {
        let reason = reason.seal();
        let events = vec![CaseEvent::CasePaused {
            reason: reason.clone(),
            at: ctx.at,
        }];
        let allocation = self.allocation;
        advance(self.file, events, |file| Paused {
            file,
            allocation,
            reason,
            paused_at: ctx.at,
        })
    }

    /// Records a review with a fresh risk assessment; the next review falls due on the
    /// cadence for the new level.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) when the profile's tool refuses an answer
    /// ([`RiskTool::assess`](crate::policy::risk::RiskTool::assess)): on `indicators[i]` when the
    /// tool has no such indicator or it is answered twice; on `indicators[i].last_seen` when the
    /// date is after the date of the command.
    pub fn record_review(
        self,
        indicators: &[IndicatorAnswer],
        worker_override: Option<RiskOverride<NewConfidential>>,
        decision: ReviewDecision,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Active>, DomainError> {
        let (assessment, gated) = assess(&self.file, indicators, worker_override, ctx)?;
        let mut events = vec![CaseEvent::ReviewRecorded {
            review: Review {
                next_due: review_due(&self.file, assessment.level, ctx.at, ctx),
                assessment: assessment.clone(),
                decision,
                at: ctx.at,
            },
        }];
        events.extend(assessment_events(&self.file, &assessment, ctx));
        events.extend(gated.map(|step| approval_requested(step, ctx)));
        Ok(self.record(events))
    }

    /// Proposes closure because risk is significantly reduced; the case is closing until the
    /// young person and every involved professional agree.
    #[must_use]
    pub fn propose_closure(self, ctx: &CommandContext<'_>) -> Step<Closing> {
        let allocation = self.allocation;
        let events = vec![CaseEvent::ClosureProposed { at: ctx.at }];
        advance(self.file, events, |file| Closing {
            file,
            allocation,
            agreed: Vec::new(),
            proposed_at: ctx.at,
        })
    }
}

impl Paused {
    /// Resumes work.
    #[must_use]
    pub fn resume(self, ctx: &CommandContext<'_>) -> Step<Active> {
        let allocation = self.allocation;
        advance(
            self.file,
            vec![CaseEvent::CaseResumed { at: ctx.at }],
            |file| Active { file, allocation },
        )
    }

    /// Why work paused.
    #[must_use]
    pub fn reason(&self) -> &PauseReason {
        &self.reason
    }
}
