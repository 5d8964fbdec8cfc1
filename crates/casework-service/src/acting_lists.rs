//! The checked handle's service-wide lists, workshops and intelligence.
//!
//! Service-wide lists (reviews due, caseloads, cadence, return interviews, flags, alumni,
//! referrals out, finished cases, workshop reach) are staff work: they need `read_case` as
//! someone with no particular relationship to the cases listed, which every worker, manager,
//! administrator, auditor and the system has, and an external referrer does not. Workshops
//! need `run_workshops`. Intelligence about possible perpetrators is recorded and
//! passed to police with `record_intelligence` (workers and managers) and read only with
//! `read_intelligence` (managers).

use crate::acting::Acting;
use crate::casework::{IntelligenceExecuted, WorkshopExecuted};
use crate::error::AccessError;
use casework_core::aggregate::Aggregate;
use casework_core::intelligence::{Intelligence, IntelligenceCommand, NewIntelligence};
use casework_core::kernel::idempotency::{Idempotency, IdempotentRequest};
use casework_core::kernel::ids::{CaseId, IntelligenceId, WorkshopId, YoungPersonId};
use casework_core::policy::risk::RiskTrend;
use casework_core::privacy::access::{check, Permission, Relationship};
use casework_core::read::report::{self, CadenceReport, LengthStatus};
use casework_core::store::Store;
use casework_core::workshop::{NewWorkshop, Workshop, WorkshopCommand};
use casework_core::young_person::missing::ReturnInterviewDue;
use casework_core::young_person::YoungPersonActivity;
use chrono::{DateTime, Utc};

/// A checked result.
type Checked<T> = Result<T, AccessError>;

impl<'a, S: Store> Acting<'a, S> {
    /// A client's idempotency key as this person's own.
    fn scoped(&self, idempotency: Option<IdempotentRequest>) -> Option<Idempotency> {
        idempotency.map(|k| k.scoped_to(self.actor.id))
    }

    /// Checks a permission that does not depend on a record.
    fn staff(&self, permission: Permission) -> Result<(), AccessError> {
        Ok(check(self.actor, Relationship::None, permission, None)?)
    }

    /// A case's expected against delivered sessions and contacts in `[from, to)` (`read_case`,
    /// R-11), from the state the check read.
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    pub async fn cadence_report(
        &self,
        case: CaseId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Checked<CadenceReport> {
        let (state, _) = self.checked_case(case, Permission::ReadCase).await?;
        Ok(report::cadence_report(&state, from, to))
    }

    /// A case's length against its programme's expected length, now (`read_case`, R-14).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    pub async fn length_status(&self, case: CaseId) -> Checked<Option<LengthStatus>> {
        let (state, _) = self.checked_case(case, Permission::ReadCase).await?;
        Ok(report::length_status(
            &state,
            self.casework.profile(),
            self.casework.now(),
        ))
    }

    /// The direction of a case's risk across its assessments (`read_case`, R-12).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    pub async fn risk_trend(&self, case: CaseId) -> Checked<RiskTrend> {
        let (state, _) = self.checked_case(case, Permission::ReadCase).await?;
        Ok(report::risk_trend(&state))
    }

    /// A young person's missing episodes, flags and alumni membership (`read_case` on their
    /// records, R-20, R-22).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `read_case`.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such young person, `history_unreadable`, `store_*`.
    pub async fn young_person_activity(
        &self,
        young_person: YoungPersonId,
    ) -> Checked<YoungPersonActivity> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.young_person_activity(young_person).await?)
    }

    /// A young person's return interviews not yet settled, as of now (`read_case` on their
    /// records, R-22).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `read_case`.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such young person, `history_unreadable`, `store_*`.
    pub async fn return_interviews_due(
        &self,
        young_person: YoungPersonId,
    ) -> Checked<Vec<ReturnInterviewDue>> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.return_interviews_due(young_person).await?)
    }

    /// Plans a workshop (`run_workshops`).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `run_workshops`; nothing is written.
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) naming the field when
    ///   `Workshop::plan` refuses the details.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when the append fails.
    pub async fn plan_workshop(&self, details: NewWorkshop) -> Checked<WorkshopId> {
        Ok(self.plan_workshop_with(details, None).await?.state.id)
    }

    /// [`Acting::plan_workshop`] with an idempotency key, answering the workshop as planned:
    /// a retry after a timeout returns the workshop the first call planned (`replayed`) and
    /// plans no second one; the key is this person's own, checked after the permission
    /// ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `run_workshops`; nothing is written.
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) naming the field when
    ///   `Workshop::plan` refuses the details.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request, or
    ///   for a stream that is not a workshop's; a retry of the same request is not an error.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when looking the key up or
    ///   the append fails.
    pub async fn plan_workshop_with(
        &self,
        details: NewWorkshop,
        idempotency: Option<IdempotentRequest>,
    ) -> Checked<WorkshopExecuted> {
        self.staff(Permission::RunWorkshops)?;
        Ok(self
            .casework
            .plan_workshop_keyed(self.actor, details, self.scoped(idempotency))
            .await?)
    }

    /// Decides and records a workshop command (`run_workshops`).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit the
    ///   command's permission (`run_workshops`); nothing is read or written.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such workshop, `history_unreadable`, `store_*`.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (`bad_input` naming
    ///   the field, as `Workshop::decide` documents).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the workshop's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when the append fails.
    pub async fn execute_workshop(
        &self,
        workshop: WorkshopId,
        command: WorkshopCommand,
    ) -> Checked<WorkshopExecuted> {
        self.execute_workshop_with(workshop, command, None, None)
            .await
    }

    /// As [`Acting::execute_workshop`], with an expected version and an idempotency key as
    /// [`Acting::execute_with`] takes them (permission first, then the key).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit the
    ///   command's permission (`run_workshops`); nothing is read or written.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such workshop, `history_unreadable`, `store_*`.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request; a
    ///   retry of the same request is not an error.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when
    ///   `expected_version` is given and the stream is at another version, before anything is
    ///   decided.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (`bad_input` naming
    ///   the field, as `Workshop::decide` documents).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the workshop's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when the append fails.
    pub async fn execute_workshop_with(
        &self,
        workshop: WorkshopId,
        command: WorkshopCommand,
        expected_version: Option<u64>,
        idempotency: Option<IdempotentRequest>,
    ) -> Checked<WorkshopExecuted> {
        self.staff(Workshop::command_permission(&command))?;
        let key = self.scoped(idempotency);
        Ok(self
            .casework
            .execute_keyed(self.actor, workshop, command, expected_version, key)
            .await?)
    }

    /// A workshop (`run_workshops`).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `run_workshops`; nothing is read.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such workshop, `history_unreadable`, `store_*`.
    pub async fn workshop(&self, workshop: WorkshopId) -> Checked<Workshop> {
        self.staff(Permission::RunWorkshops)?;
        Ok(self.casework.workshop(workshop).await?)
    }

    /// Records intelligence about a possible perpetrator (`record_intelligence`, R-19).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `record_intelligence`; nothing is written.
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `learnt_at` when it is
    ///   later than now (`Intelligence::record`).
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when the append fails.
    pub async fn record_intelligence(&self, details: NewIntelligence) -> Checked<IntelligenceId> {
        Ok(self.record_intelligence_with(details, None).await?.state.id)
    }

    /// [`Acting::record_intelligence`] with an idempotency key, answering the report as
    /// recorded: a retry after a timeout returns the report the first call recorded
    /// (`replayed`) and records no second one; the key is this person's own, checked after
    /// the permission ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `record_intelligence`; nothing is written.
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `learnt_at` when it is
    ///   later than now (`Intelligence::record`).
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request, or
    ///   for a stream that is not an intelligence report's; a retry of the same request is not an
    ///   error.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when looking the key up or
    ///   the append fails.
    pub async fn record_intelligence_with(
        &self,
        details: NewIntelligence,
        idempotency: Option<IdempotentRequest>,
    ) -> Checked<IntelligenceExecuted> {
        self.staff(Permission::RecordIntelligence)?;
        Ok(self
            .casework
            .record_intelligence_keyed(self.actor, details, self.scoped(idempotency))
            .await?)
    }

    /// Decides and records an intelligence command, such as passing it to police
    /// (`record_intelligence`, R-19).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit the
    ///   command's permission (`record_intelligence`, R-19); nothing is read or written.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such intelligence report, `history_unreadable`, `store_*`.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with, as
    ///   `Intelligence::decide` documents: `immediate_risk_needs_call`, `bad_input` on
    ///   `passed_at`.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the intelligence report's stream after it was loaded, or with
    ///   `CommandError::Store` (`store_*`) when the append fails.
    pub async fn execute_intelligence(
        &self,
        intelligence: IntelligenceId,
        command: IntelligenceCommand,
    ) -> Checked<IntelligenceExecuted> {
        self.execute_intelligence_with(intelligence, command, None, None)
            .await
    }

    /// As [`Acting::execute_intelligence`], with an expected version and an idempotency key
    /// as [`Acting::execute_with`] takes them (permission first, then the key).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit the
    ///   command's permission (`record_intelligence`, R-19); nothing is read or written.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such intelligence report, `history_unreadable`, `store_*`.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request; a
    ///   retry of the same request is not an error.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when
    ///   `expected_version` is given and the stream is at another version, before anything is
    ///   decided.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with, as
    ///   `Intelligence::decide` documents: `immediate_risk_needs_call`, `bad_input` on
    ///   `passed_at`.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the intelligence report's stream after it was loaded, or with
    ///   `CommandError::Store` (`store_*`) when the append fails.
    pub async fn execute_intelligence_with(
        &self,
        intelligence: IntelligenceId,
        command: IntelligenceCommand,
        expected_version: Option<u64>,
        idempotency: Option<IdempotentRequest>,
    ) -> Checked<IntelligenceExecuted> {
        self.staff(Intelligence::command_permission(&command))?;
        let key = self.scoped(idempotency);
        Ok(self
            .casework
            .execute_keyed(self.actor, intelligence, command, expected_version, key)
            .await?)
    }

    /// An intelligence report (`read_intelligence`, R-19).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_intelligence`; nothing is read.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such intelligence report, `history_unreadable`, `store_*`.
    pub async fn intelligence(&self, intelligence: IntelligenceId) -> Checked<Intelligence> {
        self.staff(Permission::ReadIntelligence)?;
        Ok(self.casework.intelligence(intelligence).await?)
    }
}
