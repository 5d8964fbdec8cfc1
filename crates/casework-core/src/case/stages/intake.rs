//! Intake: from referral to allocation. A referral is received and screened, risk is
//! assessed, an outcome is given and a worker is allocated, from the waiting
//! list in its order. Withdrawal before allocation and the steps of every stage in
//! progress are the group traits' ([`BeforeAllocation`](super::BeforeAllocation),
//! [`InProgress`](super::InProgress)).

use super::{
    advance, approval_requested, assess, assessment_events, not_future, owe, Allocated, Assessed,
    AwaitingAllocation, Declined, OnWaitingList, Received, Screened, Signposted, Step,
};
use crate::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use crate::case::owed::OwedActionKind;
use crate::case::{Allocation, CaseEvent, CaseFile, NewReferral, Outcome};
use crate::kernel::actor::Role;
use crate::kernel::confidential::{Confidential, NewConfidential};
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{CaseId, StaffId};
use crate::kernel::input::{InputError, Text};
use crate::policy::profile::PartnerService;
use crate::policy::risk::{IndicatorAnswer, RiskOverride};
use crate::workshop::Workshop;
use crate::young_person::YoungPerson;
use chrono::SubsecRound;

impl Received {
    /// Receives a referral about `young_person`: the case begins. A self-referral is consent
    /// every referral owes a notification to the integrated safeguarding unit.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): naming the field, when the referral breaks the
    /// profile's input limits, or holds a NUL or a year outside the years kept
    /// ([`InputLimits::check`](crate::policy::limits::InputLimits::check)); on `received_at`
    /// when the referral's `received_at` is later than the command's time.
    pub fn open(
        case: CaseId,
        young_person: &YoungPerson,
        referral: NewReferral,
        previous_case: Option<CaseId>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Received>, DomainError> {
        ctx.profile.limits.check(&referral)?;
        Self::open_with(case, young_person, referral, previous_case, None, ctx)
    }

    /// Receives a referral that a workshop led to (often a self-referral by an attendee): as
    /// [`Received::open`], with the case linked back to the workshop. The referral cannot
    /// arrive before the workshop's date.
    ///
    /// # Errors
    ///
    /// As [`Received::open`]; and [`DomainError::Input`] (`bad_input`) on `received_at` when the
    /// referral's local date is before the workshop's date.
    pub fn open_from_workshop(
        case: CaseId,
        young_person: &YoungPerson,
        referral: NewReferral,
        previous_case: Option<CaseId>,
        workshop: &Workshop,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Received>, DomainError> {
        ctx.profile.limits.check(&referral)?;
        if ctx.profile.local_date(referral.received_at) < workshop.date {
            return Err(InputError::new(
                "received_at",
                format!(
                    "{} is before the workshop it came from ({})",
                    referral.received_at, workshop.date
                ),
            )
            .into());
        }
        Self::open_with(
            case,
            young_person,
            referral,
            previous_case,
            Some(workshop.id),
            ctx,
        )
    }

    fn open_with(
        case: CaseId,
        young_person: &YoungPerson,
        referral: NewReferral,
        previous_case: Option<CaseId>,
        from_workshop: Option<crate::kernel::ids::WorkshopId>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Received>, DomainError> {
        not_future("received_at", referral.received_at, ctx)?;
        // Microseconds, as every store keeps them, so the waiting list orders alike everywhere.
        let received_at = referral.received_at.trunc_subsecs(6);
        let is_self = referral.source.is_self();
        let opened = CaseEvent::ReferralReceived {
            case,
            young_person: young_person.id,
            source: referral.source,
            subject: young_person.details.clone(),
            concerns: referral.concerns.seal(),
            received_at,
            previous_case,
            service: ctx.profile.name.clone(),
            from_workshop,
        };
        let file = CaseFile::open(&opened).expect("opening event opens a file");
        let mut events = vec![opened];
        if is_self {
            events.push(CaseEvent::ConsentRecorded {
                entry: ConsentEntry {
                    scope: ConsentScope::Referral,
                    decision: ConsentDecision::Given,
                    by: ConsentGiver::YoungPerson,
                    method: ConsentMethod::SelfReferral,
                    purpose: Text::parse("purpose", "self-referral to the service")
                        .expect("literal is not empty"),
                    given_at: received_at,
                },
            });
        }
        events.push(owe(
            OwedActionKind::NotifySafeguardingUnit,
            &ctx.profile.owed_actions.safeguarding_unit,
            received_at,
        ));
        // The opening event built the file; apply only what follows it.
        let (stage, rest) = advance(file, events.split_off(1), |file| Received { file });
        events.extend(rest);
        Ok((stage, events))
    }

    /// Screens eligibility against the profile on the referral date: the local date,
    /// in the profile's time zone, of the time the referral was received.
    #[must_use]
    pub fn screen(self, ctx: &CommandContext<'_>) -> Step<Screened> {
        let referral_date = ctx.profile.local_date(self.file.received_at);
        let screening = ctx
            .profile
            .eligibility
            .screen(&self.file.subject, referral_date);
        advance(
            self.file,
            vec![CaseEvent::EligibilityScreened { screening }],
            |file| Screened { file },
        )
    }
}

impl Screened {
    /// Assesses risk with the profile's tool. A Medium or High level owes a referral
    /// to the duty social work team.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`) when the profile's tool refuses an answer
    /// ([`RiskTool::assess`](crate::policy::risk::RiskTool::assess)): on `indicators[i]` when the
    /// tool has no such indicator or it is answered twice; on `indicators[i].last_seen` when the
    /// date is after today.
    pub fn assess(
        self,
        indicators: &[IndicatorAnswer],
        worker_override: Option<RiskOverride<NewConfidential>>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Assessed>, DomainError> {
        let (assessment, gated) = assess(&self.file, indicators, worker_override, ctx)?;
        let mut events = assessment_events(&self.file, &assessment, ctx);
        events.insert(0, CaseEvent::RiskAssessed { assessment });
        events.extend(gated.map(|step| approval_requested(step, ctx)));
        Ok(advance(self.file, events, |file| Assessed { file }))
    }
}

impl Assessed {
    fn outcome_events(&self, outcome: Outcome, ctx: &CommandContext<'_>) -> Vec<CaseEvent> {
        vec![
            CaseEvent::OutcomeGiven {
                outcome,
                at: ctx.at,
            },
            owe(
                OwedActionKind::CommunicateOutcome,
                &ctx.profile.owed_actions.outcome_to_referrer,
                ctx.at,
            ),
        ]
    }

    /// guard every acceptance.
    fn check_acceptable(&self) -> Result<(), DomainError> {
        if let Some(screening) = &self.file.screening {
            if !screening.is_eligible() {
                return Err(DomainError::Ineligible {
                    reasons: screening.reasons.clone(),
                });
            }
        }
        if !self.file.consent.permits(&ConsentScope::Referral) {
            return Err(DomainError::PermissionMissing);
        }
        Ok(())
    }

    /// Accepts for immediate support; the referrer is owed the outcome.
    ///
    /// # Errors
    ///
    /// - [`DomainError::Ineligible`] (`ineligible`, R-2), with the screening's reasons, when the
    ///   screening found the referral outside the remit.
    /// - [`DomainError::PermissionMissing`] (`permission_missing`, R-1) when the young person's
    ///   consent in scope `referral` is not currently given.
    pub fn accept_for_support(
        self,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<AwaitingAllocation>, DomainError> {
        self.check_acceptable()?;
        let events = self.outcome_events(Outcome::ImmediateSupport, ctx);
        Ok(advance(self.file, events, |file| AwaitingAllocation {
            file,
        }))
    }

    /// Accepts onto the waiting list; the referrer is owed the outcome.
    ///
    /// # Errors
    ///
    /// As [`Assessed::accept_for_support`]: [`DomainError::Ineligible`] (`ineligible`, R-2) when
    /// the screening found the referral outside the remit; [`DomainError::PermissionMissing`]
    /// (`permission_missing`, R-1) when the young person's consent in scope `referral` is not
    /// currently given.
    pub fn add_to_waiting_list(
        self,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<OnWaitingList>, DomainError> {
        self.check_acceptable()?;
        let events = self.outcome_events(Outcome::WaitingList, ctx);
        Ok(advance(self.file, events, |file| OnWaitingList { file }))
    }

    /// Signposts to other support. Without a stated reason, an ineligible referral is
    /// signposted with its screening reasons; without a stated service, the profile's
    /// signposting rule for those reasons names one. An eligible referral needs a reason.
    ///
    /// # Errors
    ///
    /// [`DomainError::ReasonRequired`] (`reason_required`, R-3) when no `reason` is given and the
    /// screening gave no reasons (the referral was eligible).
    pub fn signpost(
        self,
        reason: Option<NewConfidential>,
        to: Option<PartnerService>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Signposted>, DomainError> {
        let reasons = self
            .file
            .screening
            .as_ref()
            .map(|s| s.reasons.clone())
            .unwrap_or_default();
        let reason = match reason {
            Some(reason) => reason.seal(),
            None if !reasons.is_empty() => {
                let words = reasons
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("; ");
                // Kept with the worker's own reasons, sealed, so every outcome's reason is read
                // the same way (the screening itself stays visible).
                Confidential::seal(Text::parse("reason", words)?)
            }
            None => return Err(DomainError::ReasonRequired),
        };
        let kinds: Vec<_> = reasons.iter().map(|r| r.kind()).collect();
        let to = to.or_else(|| ctx.profile.signpost_for(&kinds).cloned());
        let events = self.outcome_events(Outcome::Signposted { reason, to }, ctx);
        Ok(advance(self.file, events, |file| Signposted { file }))
    }

    /// Declines with a reason; the referrer is owed the outcome.
    #[must_use]
    pub fn decline(self, reason: NewConfidential, ctx: &CommandContext<'_>) -> Step<Declined> {
        let events = self.outcome_events(
            Outcome::Declined {
                reason: reason.seal(),
            },
            ctx,
        );
        advance(self.file, events, |file| Declined { file })
    }
}

fn allocation(
    worker: StaffId,
    worker_name: Text,
    out_of_order_reason: Option<Text>,
    ctx: &CommandContext<'_>,
) -> Allocation {
    Allocation {
        worker,
        worker_name,
        at: ctx.at,
        out_of_order_reason,
    }
}

impl AwaitingAllocation {
    /// Allocates a worker.
    #[must_use]
    pub fn allocate(
        self,
        worker: StaffId,
        worker_name: Text,
        ctx: &CommandContext<'_>,
    ) -> Step<Allocated> {
        let allocation = allocation(worker, worker_name, None, ctx);
        let events = vec![CaseEvent::CaseAllocated {
            allocation: allocation.clone(),
        }];
        advance(self.file, events, |file| Allocated { file, allocation })
    }
}

impl OnWaitingList {
    /// Whether the case is at the head of the waiting list in `ctx`.
    #[must_use]
    pub fn is_at_head(&self, ctx: &CommandContext<'_>) -> bool {
        ctx.waiting_list_head
            .is_none_or(|head| head == self.file.id)
    }

    /// Allocates a worker from the waiting list. Allocation takes from the head; taking a
    /// case that is not at the head needs a manager and a recorded reason.
    ///
    /// # Errors
    ///
    /// [`DomainError::OutOfWaitingListOrder`] (`out_of_waiting_list_order`, R-7), naming the
    /// head, when the case is not at the head of the waiting list and either no
    /// `out_of_order_reason` is given or the actor is not a manager.
    pub fn allocate(
        self,
        worker: StaffId,
        worker_name: Text,
        out_of_order_reason: Option<Text>,
        ctx: &CommandContext<'_>,
    ) -> Result<Step<Allocated>, DomainError> {
        let at_head = self.is_at_head(ctx);
        let out_of_order_reason = if at_head {
            None
        } else {
            match out_of_order_reason {
                Some(reason) if ctx.actor.role == Role::Manager => Some(reason),
                _ => {
                    return Err(DomainError::OutOfWaitingListOrder {
                        case: self.file.id,
                        head: ctx.waiting_list_head.unwrap_or(self.file.id),
                    })
                }
            }
        };
        let allocation = allocation(worker, worker_name, out_of_order_reason, ctx);
        let events = vec![CaseEvent::CaseAllocated {
            allocation: allocation.clone(),
        }];
        Ok(advance(self.file, events, |file| Allocated {
            file,
            allocation,
        }))
    }
}
