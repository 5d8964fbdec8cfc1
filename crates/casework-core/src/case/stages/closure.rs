//! Closure: a case with a worker closes with a reason, or, for 'risk significantly
//! reduced', through a proposal everyone agrees to; a closed case is never edited.

use super::sealed::Sealed;
use super::{advance, needs_approval, Active, Closed, Closing, HasWorker, Step};
use crate::case::{CaseEvent, ClosureReason, Party};
use crate::kernel::confidential::NewConfidential;
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use chrono::{DateTime, Utc};

pub(crate) fn close_now<S: HasWorker>(
    stage: S,
    reason: ClosureReason,
    ctx: &CommandContext<'_>,
) -> Step<Closed> {
    let allocation = stage.allocation().clone();
    let events = vec![CaseEvent::CaseClosed {
        reason: reason.clone(),
        at: ctx.at,
    }];
    advance(stage.into_file(), events, |file| Closed {
        file,
        allocation,
        reason,
        closed_at: ctx.at,
    })
}

impl Closing {
    /// Who must still agree: the young person and every professional recorded as
    /// involved, including any recorded after the proposal.
    #[must_use]
    pub fn missing_agreements(&self) -> Vec<Party> {
        self.file
            .closure_parties()
            .into_iter()
            .filter(|p| !self.agreed.contains(p))
            .collect()
    }

    /// Records a party's agreement.
    ///
    /// # Errors
    ///
    /// [`DomainError::NotAParty`] (`not_a_party`, R-16) when `party` is neither the young person
    /// nor a professional recorded as involved in the case.
    pub fn record_agreement(
        mut self,
        party: Party,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Closing>, DomainError> {
        if !self.file.closure_parties().contains(&party) {
            return Err(DomainError::NotAParty { party });
        }
        if !self.agreed.contains(&party) {
            self.agreed.push(party);
        }
        Ok(self.record(vec![CaseEvent::ClosureAgreed { party, at: ctx.at }]))
    }

    /// Closes for 'risk significantly reduced' once everyone has agreed.
    ///
    /// # Errors
    ///
    /// - [`DomainError::AgreementsMissing`] (`agreements_missing`, R-16), listing who, when anyone
    ///   has not agreed yet ([`Closing::missing_agreements`]).
    /// - [`DomainError::ApprovalRequired`] (`approval_required`, R-24, step `complete_closure`)
    ///   when the profile gates closure and the actor is not a manager.
    pub fn complete(self, ctx: &CommandContext<'_>) -> Result<Step<Closed>, DomainError> {
        let missing = self.missing_agreements();
        if !missing.is_empty() {
            return Err(DomainError::AgreementsMissing { missing });
        }
        if needs_approval(ctx.profile.approvals.closure, ctx) {
            return Err(DomainError::ApprovalRequired {
                step: "complete_closure",
            });
        }
        Ok(close_now(
            self,
            ClosureReason::RiskSignificantlyReduced,
            ctx,
        ))
    }

    /// Withdraws the proposal (someone disagrees); work continues.
    #[must_use]
    pub fn withdraw_proposal(
        self,
        reason: NewConfidential,
        ctx: &CommandContext<'_>,
    ) -> Step<Active> {
        let allocation = self.allocation;
        let events = vec![CaseEvent::ClosureProposalWithdrawn {
            reason: reason.seal(),
            at: ctx.at,
        }];
        advance(self.file, events, |file| Active { file, allocation })
    }

    /// Who has agreed so far.
    #[must_use]
    pub fn agreed(&self) -> &[Party] {
        &self.agreed
    }
}

impl Closed {
    /// Why the case closed.
    #[must_use]
    pub fn reason(&self) -> &ClosureReason {
        &self.reason
    }

    /// When it closed.
    #[must_use]
    pub fn closed_at(&self) -> DateTime<Utc> {
        self.closed_at
    }
}
