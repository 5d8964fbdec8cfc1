//! The checked handle: one person acting through the library.
//!
//! A front end signs a person in and works through [`Acting`], which
//! [`Casework::acting_as`] hands out for that person and the charity's [`StaffDirectory`].
//! Every command and every read is checked against [`casework_core::privacy::access::permits`] with the
//! person's role and their relationship to the record; a refusal is an
//! [`AccessDenied`](casework_core::privacy::access::AccessDenied) naming the permission, and nothing is read or written. Reading
//! confidential content is itself recorded ([`casework_core::privacy::access_log`]) before the content is
//! handed over, and sharing goes through [`casework_core::privacy::disclosure`]'s gate.
//!
//! [`Casework`]'s own methods remain for trusted code (imports, migrations, scheduled jobs,
//! tests): they do not check roles, but they cannot reveal confidential content either: only
//! an [`OpenRecord`] (or [`OpenIntelligence`]), which this handle gives after a permitted,
//! recorded read, reads it, and confidential content serializes only for storage.
//!
//! `examples/disclosure.rs` in the repository shows it end to end.
//!
//! Why one module of this size: every checked command and record read is here, each a
//! permission check beside the call it guards and its `# Errors`, so a reviewer sees what
//! is checked in one place; the service-wide lists are generated in [`crate::queries`].

use crate::casework::YoungPersonExecuted;
use crate::casework::{Casework, CommandError, Executed, LoadError};
use crate::error::{AccessError, ShareError};
use casework_core::aggregate::Aggregate;
use casework_core::case::{Case, CaseCommand, CaseEvent, NewReferral};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::error::DomainError;
use casework_core::kernel::event::Recorded;
use casework_core::kernel::idempotency::IdempotentRequest;
use casework_core::kernel::ids::{CaseId, IntelligenceId, StreamId, WorkshopId, YoungPersonId};
use casework_core::kernel::input::Text;
use casework_core::privacy::access::{check, Permission, Relationship, StaffDirectory};
use casework_core::privacy::access_log::{AccessRecord, AccessSubject};
use casework_core::privacy::disclosure::{
    no_consent, permitted_view, Audience, DisclosureEvent, DisclosureView, ItemKind,
    OverrideRequest, ShareBasis,
};
use casework_core::privacy::gate::{
    self, OpenIntelligence, OpenRecord, OpenWorkshop, RecordedRead, RecordedShare,
};
use casework_core::read::listing::decode_detail;
use casework_core::read::rows::{CaseSummary, ListingKind, ListingQuery};
use casework_core::store::{Store, StoreError};
use casework_core::young_person::{YoungPerson, YoungPersonCommand, YoungPersonEvent};
use chrono::{DateTime, Utc};

/// One entry of a case's audit trail: a change, a share or a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who, as `name (role)`.
    pub by: String,
    /// `change`, `share`, `override` or `read`.
    pub kind: &'static str,
    /// What: the event type, the audience and items shared, or the purpose of the read.
    pub what: String,
}

/// One person acting through the library; see the module docs.
pub struct Acting<'a, S> {
    pub(crate) casework: &'a Casework<S>,
    pub(crate) actor: &'a Actor,
    pub(crate) directory: &'a StaffDirectory,
}

impl<S: Store> Casework<S> {
    /// The checked handle for `actor`, whose relationships `directory` knows.
    ///
    /// **The caller must have authenticated `actor`.** Every check on the handle trusts the
    /// actor's id and role, so build the actor from a verified credential, never from what a
    /// request says: the HTTP layer's `Authenticator` does (an API token, or a JWT verified
    /// against the identity provider's keys, mapped to the actor the server configured for
    /// that subject), and an [`Actor`] cannot be deserialized from a request's JSON. A command
    /// or read by an actor whose name is not a valid name (empty, a NUL, more than 200
    /// characters) is refused with `DomainError::Input` on `actor.name` before anything is
    /// written ([`Actor::check`]).
    pub fn acting_as<'a>(
        &'a self,
        actor: &'a Actor,
        directory: &'a StaffDirectory,
    ) -> Acting<'a, S> {
        Acting {
            casework: self,
            actor,
            directory,
        }
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Who is acting.
    #[must_use]
    pub fn actor(&self) -> &Actor {
        self.actor
    }

    /// The person's relationship to `case` as it stands.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such case; `LoadError::History`
    /// (`history_unreadable`, R-18) when its stored history cannot be read; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn relationship(&self, case: CaseId) -> Result<Relationship, LoadError> {
        Ok(self
            .directory
            .relationship(self.actor, &self.casework.case(case).await?))
    }

    /// Loads `case` and checks `permission` on it.
    pub(crate) async fn checked_case(
        &self,
        case: CaseId,
        permission: Permission,
    ) -> Result<(Case, Relationship), AccessError> {
        let state = self.casework.case(case).await?;
        let relationship = self.directory.relationship(self.actor, &state);
        check(self.actor, relationship, permission, Some(case))?;
        Ok((state, relationship))
    }

    /// The person's relationship to a young person's records, decided by their latest case.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when reading the young person's cases fails. A young person with no
    /// cases (or none registered) is not an error: the relationship is then `Unallocated` (or
    /// `None` for an external referrer).
    pub async fn relationship_to_young_person(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Relationship, StoreError> {
        let cases = self.casework.cases_of(young_person).await?;
        // Their latest case decides, as a case decides for itself: its worker (open or
        // finished) and that worker's manager; intake while it waits for allocation, or when
        // the young person has no case yet; nobody else.
        let Some(latest) = cases.last() else {
            return Ok(if self.actor.role == Role::ExternalReferrer {
                Relationship::None
            } else {
                Relationship::Unallocated
            });
        };
        Ok(match latest.worker {
            Some(worker) if worker == self.actor.id => Relationship::AllocatedWorker,
            Some(worker) if self.directory.manages(self.actor.id, worker) => {
                Relationship::TeamManager
            }
            None if !latest.stage.is_finished() && self.actor.role != Role::ExternalReferrer => {
                Relationship::Unallocated
            }
            _ => Relationship::None,
        })
    }

    /// Checks `permission` on a young person's records.
    pub(crate) async fn check_young_person(
        &self,
        young_person: YoungPersonId,
        permission: Permission,
    ) -> Result<Relationship, AccessError> {
        let relationship = self.relationship_to_young_person(young_person).await?;
        check(self.actor, relationship, permission, None).map_err(|mut d| {
            d.record = Some(young_person.to_string());
            d
        })?;
        Ok(relationship)
    }

    /// A case's structure: stage, risk, dates, owed actions (`read_case`). Its confidential
    /// content stays sealed: see [`Acting::open_record`].
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    pub async fn case(&self, case: CaseId) -> Result<Case, AccessError> {
        Ok(self.checked_case(case, Permission::ReadCase).await?.0)
    }

    /// A case's history (`read_case`, R-18): every change, attributed. Confidential fields
    /// inside the events stay sealed, as in [`Acting::case`].
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    /// - `ActingError::Failed` with `CommandError::Load` (`not_found`, `history_unreadable`,
    ///   `store_*`) when reading the history after the check fails.
    pub async fn history(&self, case: CaseId) -> Result<Vec<Recorded<CaseEvent>>, AccessError> {
        self.checked_case(case, Permission::ReadCase).await?;
        Ok(self.casework.history(case).await?)
    }

    /// A case as it stood at `at` (`read_case`, R-18); the relationship is the one that holds
    /// now.
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_case`; nothing of the case is returned.
    /// - `ActingError::Failed` with `CommandError::Load` (`not_found`, `store_*`, or
    ///   `history_unreadable` when an event cannot follow the ones before it) when reading the
    ///   history after the check fails.
    pub async fn case_as_of(
        &self,
        case: CaseId,
        at: DateTime<Utc>,
    ) -> Result<Option<Case>, AccessError> {
        self.checked_case(case, Permission::ReadCase).await?;
        Ok(self.casework.case_as_of(case, at).await?)
    }

    /// A young person's cases, with those of every record recorded as the same person
    /// (`read_case` on their records; R-26, [`Casework::cases_of_person`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `read_case`.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`, `store_corrupt` for a link
    ///   listing that does not decode) when reading their cases or their linked records fails
    ///   ([`Casework::cases_of_person`]).
    pub async fn cases_of(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<CaseSummary>, AccessError> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.cases_of_person(young_person).await?)
    }

    /// A young person's identity record (`read_case` on their records).
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
    pub async fn young_person(
        &self,
        young_person: YoungPersonId,
    ) -> Result<YoungPerson, AccessError> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.young_person(young_person).await?)
    }

    /// A young person's full history, corrections included (`read_case` on their records;
    ///
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
    pub async fn young_person_history(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<Recorded<YoungPersonEvent>>, AccessError> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.young_person_history(young_person).await?)
    }

    /// A young person's details as recorded at `at` (`read_case` on their records; R-18).
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
    pub async fn young_person_as_of(
        &self,
        young_person: YoungPersonId,
        at: DateTime<Utc>,
    ) -> Result<Option<YoungPerson>, AccessError> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.young_person_as_of(young_person, at).await?)
    }

    /// A case opened to read its confidential content (`read_confidential`), after recording
    /// the read, its purpose and the person's relationship in the access log. The
    /// purpose must be stated. The content is read through the [`OpenRecord`], for this case
    /// only.
    ///
    /// # Errors
    ///
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `purpose` when it is
    ///   empty or only white space, contains a NUL or is over the profile's input limits, before anything else.
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_confidential`; nothing of the case is returned.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when recording the read in
    ///   the access log fails; nothing is handed over.
    /// - `ActingError::Failed` with `CommandError::Load` when the case's history cannot then be
    ///   read (`history_unreadable`, `store_*`); the read stays recorded, nothing is handed over.
    pub async fn open_record(
        &self,
        case: CaseId,
        purpose: &str,
    ) -> Result<OpenRecord, AccessError> {
        let purpose = self.purpose(purpose)?;
        let (state, relationship) = self
            .checked_case(case, Permission::ReadConfidential)
            .await?;
        self.actor.check().map_err(DomainError::from)?;
        // The key is fetched before the read is recorded; the content is decoded after.
        let key = match state.key_owner() {
            Some(owner) => self
                .casework
                .opening_key(owner)
                .await?
                .map(|key| (owner, key)),
            None => None,
        };
        let opened = gate::open_case(
            self.casework.store(),
            self.actor,
            relationship,
            case,
            state.file().young_person,
            purpose,
            self.casework.now(),
            key,
        )
        .await;
        Ok(opened.map_err(|e| match e {
            gate::OpenCaseError::Record(e) => CommandError::from(e),
            gate::OpenCaseError::Store(e) => LoadError::from(e).into(),
            gate::OpenCaseError::History(e) => LoadError::from(e).into(),
            gate::OpenCaseError::NotFound(case) => LoadError::NotFound(StreamId::Case(case)).into(),
            e @ gate::OpenCaseError::NotTheirs { .. } => {
                LoadError::from(StoreError::Corrupt(e.to_string())).into()
            }
        })?)
    }

    /// An intelligence report opened to read its content (`read_intelligence`, R-19), after
    /// recording the read and its purpose in the access log.
    ///
    /// # Errors
    ///
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `purpose` when it is
    ///   empty or only white space, contains a NUL or is over the profile's input limits, before anything else.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_intelligence`; nothing is read or recorded.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such report, `history_unreadable`, `store_*`.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when recording the read in
    ///   the access log fails; nothing is handed over.
    pub async fn open_intelligence(
        &self,
        intelligence: IntelligenceId,
        purpose: &str,
    ) -> Result<OpenIntelligence, AccessError> {
        let purpose = self.purpose(purpose)?;
        check(
            self.actor,
            Relationship::None,
            Permission::ReadIntelligence,
            None,
        )?;
        let report = self.casework.intelligence(intelligence).await?;
        let receipt = self
            .record_read(
                Relationship::None,
                AccessSubject::Intelligence { intelligence },
                purpose,
            )
            .await?;
        let report = self.casework.opened(report).await?;
        Ok(OpenIntelligence::new(report, &receipt).expect("the receipt is for this report"))
    }

    /// A workshop opened to read its tutorial notes and evaluation words (`run_workshops`),
    /// after recording the read and its purpose in the access log.
    ///
    /// # Errors
    ///
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `purpose` when it is
    ///   empty or only white space, contains a NUL or is over the profile's input limits, before anything else.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `run_workshops`; nothing is read or recorded.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such workshop, `history_unreadable`, `store_*`.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when recording the read in
    ///   the access log fails; nothing is handed over.
    pub async fn open_workshop(
        &self,
        workshop: WorkshopId,
        purpose: &str,
    ) -> Result<OpenWorkshop, AccessError> {
        let purpose = self.purpose(purpose)?;
        check(
            self.actor,
            Relationship::None,
            Permission::RunWorkshops,
            None,
        )?;
        let workshop_state = self.casework.workshop(workshop).await?;
        let receipt = self
            .record_read(
                Relationship::None,
                AccessSubject::Workshop { workshop },
                purpose,
            )
            .await?;
        let workshop_state = self.casework.opened(workshop_state).await?;
        Ok(OpenWorkshop::new(workshop_state, &receipt).expect("the receipt is for this workshop"))
    }

    /// The purpose stated for a read: not empty, and within the profile's input limits.
    pub(crate) fn purpose(&self, purpose: &str) -> Result<Text, DomainError> {
        let purpose = Text::parse("purpose", purpose)?;
        self.casework
            .profile()
            .limits
            .check_field("purpose", &purpose)?;
        Ok(purpose)
    }

    /// Records a read in the access log (one event on a stream of its own) and returns the
    /// receipt that opens the record ([`casework_core::privacy::gate`]).
    pub(crate) async fn record_read(
        &self,
        relationship: Relationship,
        subject: AccessSubject,
        purpose: Text,
    ) -> Result<RecordedRead, CommandError> {
        self.actor.check().map_err(DomainError::from)?;
        let at = self.casework.now();
        Ok(gate::record_read(
            self.casework.store(),
            self.actor,
            relationship,
            subject,
            purpose,
            at,
        )
        .await?)
    }

    /// Receives a referral (`change_case` on a new, unallocated case).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `change_case` on a new, unallocated case; nothing is read or written.
    /// - Then as [`Casework::receive_referral`], with its `CommandError::Rejected` as
    ///   `ActingError::Refused` (`open_case_exists`, R-17; `bad_input` on `received_at`) and the
    ///   rest as `ActingError::Failed` (`not_found` when there is no such young person, `conflict`,
    ///   `store_*`).
    pub async fn receive_referral(
        &self,
        young_person: YoungPersonId,
        referral: NewReferral,
    ) -> Result<CaseId, AccessError> {
        check(
            self.actor,
            Relationship::Unallocated,
            Permission::ChangeCase,
            None,
        )?;
        Ok(self
            .casework
            .receive_referral(self.actor, young_person, referral)
            .await?)
    }

    /// Decides and records a command on a case: `approve` for approvals and their refusals
    /// `change_case` for everything else.
    ///
    /// # Errors
    ///
    /// As [`Acting::execute_with`] with no expected version and no key:
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit the command's permission (`approve` for `approve`, `change_case`
    ///   otherwise); nothing is decided or written.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (its own code, naming
    ///   the rule) when `Case::decide` refuses (for example `case_closed`, R-17;
    ///   `not_at_this_stage`; `manager_required`, R-24).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the case's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when a lookup the decision needs or the append fails.
    pub async fn execute(
        &self,
        case: CaseId,
        command: CaseCommand,
    ) -> Result<Executed, AccessError> {
        self.execute_if(case, command, None).await
    }

    /// As [`Acting::execute`], only if the case's stream is still at `expected_version`
    /// (when given): otherwise a [`casework_core::store::Conflict`] naming the version found,
    /// after the permission check and before anything is decided or written. A front end that showed the case at
    /// that version (an HTTP `If-Match`) never overwrites a change it has not seen.
    ///
    /// # Errors
    ///
    /// As [`Acting::execute_with`] with no key:
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit the command's permission (`approve` for `approve`, `change_case`
    ///   otherwise); nothing is decided or written.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when
    ///   `expected_version` is given and the stream is at another version, after the check and
    ///   before anything is decided.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (its own code, naming
    ///   the rule) when `Case::decide` refuses (for example `case_closed`, R-17;
    ///   `not_at_this_stage`; `manager_required`, R-24).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the case's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when a lookup the decision needs or the append fails.
    pub async fn execute_if(
        &self,
        case: CaseId,
        command: CaseCommand,
        expected_version: Option<u64>,
    ) -> Result<Executed, AccessError> {
        self.execute_with(case, command, expected_version, None)
            .await
    }

    /// As [`Acting::execute_if`], with an idempotency key: a retry after a timeout, with the
    /// same key and request, returns the first call's result (`replayed`) and appends
    /// nothing; the same key with another request is
    /// [`CommandError::IdempotencyKeyReused`].
    /// The key is this person's own, checked after the permission
    /// ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit the command's permission (`approve` for `approve`, `change_case`
    ///   otherwise); nothing is decided or written.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request; a
    ///   retry of the same request is not an error.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when
    ///   `expected_version` is given and the stream is at another version, after the check and
    ///   before anything is decided.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (its own code, naming
    ///   the rule) when `Case::decide` refuses (for example `case_closed`, R-17;
    ///   `not_at_this_stage`; `manager_required`, R-24).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the case's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when a lookup the decision needs or the append fails.
    pub async fn execute_with(
        &self,
        case: CaseId,
        command: CaseCommand,
        expected_version: Option<u64>,
        idempotency: Option<IdempotentRequest>,
    ) -> Result<Executed, AccessError> {
        let key = idempotency.map(|k| k.scoped_to(self.actor.id));
        let permission = Case::command_permission(&command);
        // Checked on the very state the command is decided on: one load, and a reallocation
        // after it makes the append conflict, so nothing is written on a stale check.
        let (actor, directory) = (self.actor, self.directory);
        self.casework
            .execute_checked(actor, case, command, expected_version, key, |state| {
                check(
                    actor,
                    directory.relationship(actor, state),
                    permission,
                    Some(case),
                )
            })
            .await
    }

    /// Decides and records a command on a young person's record (`change_case` on their
    /// records, see [`Acting::relationship_to_young_person`]): missing episodes,
    /// alumni, and corrections of their details with a reason.
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `change_case`.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such young person, `history_unreadable`, `store_*`.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (its own code, naming
    ///   the rule) when `YoungPersonActivity::decide` refuses (`not_eligible_for_alumni`, R-20;
    ///   otherwise `bad_input` naming the field).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the young person's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when a lookup the decision needs or the append fails.
    pub async fn execute_for_young_person(
        &self,
        young_person: YoungPersonId,
        command: YoungPersonCommand,
    ) -> Result<YoungPersonExecuted, AccessError> {
        self.execute_for_young_person_with(young_person, command, None, None)
            .await
    }

    /// As [`Acting::execute_for_young_person`], only if the record's stream is still at
    /// `expected_version` (when given), and with an idempotency key, as
    /// [`Acting::execute_with`] takes them: the permission is checked first, then a retry
    /// with the same key and request returns the first call's result (`replayed`) and
    /// appends nothing; the same key with another request is
    /// [`CommandError::IdempotencyKeyReused`].
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `change_case`.
    /// - `ActingError::Failed` with `CommandError::Load` after the check: `not_found` when there is
    ///   no such young person, `history_unreadable`, `store_*`.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request; a
    ///   retry of the same request is not an error.
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when
    ///   `expected_version` is given and the stream is at another version, after the check and
    ///   before anything is decided.
    /// - `ActingError::Refused` with the `DomainError` the rules refuse with (its own code, naming
    ///   the rule) when `YoungPersonActivity::decide` refuses (`not_eligible_for_alumni`, R-20;
    ///   otherwise `bad_input` naming the field).
    /// - `ActingError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when another writer
    ///   appended to the young person's stream after it was loaded, or with `CommandError::Store`
    ///   (`store_*`) when a lookup the decision needs or the append fails.
    pub async fn execute_for_young_person_with(
        &self,
        young_person: YoungPersonId,
        command: YoungPersonCommand,
        expected_version: Option<u64>,
        idempotency: Option<IdempotentRequest>,
    ) -> Result<YoungPersonExecuted, AccessError> {
        self.check_young_person(young_person, Permission::ChangeCase)
            .await?;
        let key = idempotency.map(|k| k.scoped_to(self.actor.id));
        Ok(self
            .casework
            .execute_keyed(self.actor, young_person, command, expected_version, key)
            .await?)
    }

    /// Shares with `audience` what may be shared without an override, and records the share:
    /// with consent, the service's involvement, the outcome and attendance; the
    /// referrer, without consent, the outcome. Refused with
    /// [`casework_core::privacy::disclosure::DisclosureError::NoConsent`], with nothing recorded, when nothing may be shared: a
    /// share never answers with an empty view.
    ///
    /// # Errors
    ///
    /// - `ShareError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ShareError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `share_with_consent`.
    /// - `ShareError::Refused` with `DisclosureError::NoConsent` (`no_consent`, R-8, R-10) when
    ///   nothing may be shared with `audience`; nothing is recorded.
    /// - `ShareError::Failed` with `CommandError::Load` (`history_unreadable`, `store_*`) when the
    ///   case's earlier shares cannot be read, or with `CommandError::Conflict` (`conflict`) /
    ///   `CommandError::Store` (`store_*`) when appending the share to the case's disclosures
    ///   stream fails; nothing is shared.
    pub async fn share(
        &self,
        case: CaseId,
        audience: Audience,
    ) -> Result<DisclosureView, ShareError> {
        self.share_permitted(case, audience, Permission::ShareWithConsent)
            .await
    }

    /// The referrer's own view of a case they referred (`read_referrer_view`): the outcome
    /// always, attendance and the service's involvement with the young person's consent
    /// to sharing with the referrer; recorded as a share, as [`Acting::share`] is.
    ///
    /// # Errors
    ///
    /// - `ShareError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ShareError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_referrer_view`.
    /// - `ShareError::Refused` with `DisclosureError::NoConsent` (`no_consent`, R-8) when nothing
    ///   may be shown to the referrer yet; nothing is recorded.
    /// - `ShareError::Failed` with `CommandError::Load` (`history_unreadable`, `store_*`) when the
    ///   case's earlier shares cannot be read, or with `CommandError::Conflict` (`conflict`) /
    ///   `CommandError::Store` (`store_*`) when appending the share to the case's disclosures
    ///   stream fails; nothing is shared.
    pub async fn referrer_view(&self, case: CaseId) -> Result<DisclosureView, ShareError> {
        self.share_permitted(case, Audience::Referrer, Permission::ReadReferrerView)
            .await
    }

    /// The one path of both: permission, what may be shared, refusal or record, view.
    async fn share_permitted(
        &self,
        case: CaseId,
        audience: Audience,
        permission: Permission,
    ) -> Result<DisclosureView, ShareError> {
        let (state, _) = self.checked_case(case, permission).await?;
        let view = permitted_view(&state, &audience);
        if view.is_empty() {
            return Err(ShareError::Refused(no_consent(&audience)));
        }
        self.record_view(&state, &view).await?;
        Ok(view)
    }

    /// Shares without consent on an immediate safeguarding concern: needs
    /// `share_under_override`, a legal basis, the concern in words and at least one item.
    /// The share (who decided, why, on what basis, what, with whom, when) is recorded before
    /// the view, which may hold confidential content, is returned.
    ///
    /// # Errors
    ///
    /// - `ShareError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ShareError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `share_under_override`.
    /// - `ShareError::Refused` with `DisclosureError::OverrideIncomplete` (`override_incomplete`,
    ///   R-9), naming the field, when `legal_basis` or `concern` is empty or only white space, or
    ///   `items` names nothing; nothing is recorded.
    /// - `ShareError::Failed` with `CommandError::Load` (`history_unreadable`, `store_*`) when the
    ///   case's earlier shares cannot be read, or with `CommandError::Conflict` (`conflict`) /
    ///   `CommandError::Store` (`store_*`) when appending the share to the case's disclosures
    ///   stream fails; nothing is shared.
    pub async fn share_under_override(
        &self,
        case: CaseId,
        request: OverrideRequest,
    ) -> Result<DisclosureView, ShareError> {
        let (state, _) = self
            .checked_case(case, Permission::ShareUnderOverride)
            .await?;
        let basis = request
            .validate(&self.casework.profile().limits)
            .map_err(ShareError::Refused)?;
        let mut kinds = request.items.clone();
        kinds.sort();
        kinds.dedup();
        let receipt = self
            .record_share(&state, request.audience.clone(), basis, kinds)
            .await
            .map_err(ShareError::Failed)?;
        Ok(gate::released_view(&state, &receipt).expect("the receipt is for this case"))
    }

    /// Records a consented view as a share.
    async fn record_view(&self, case: &Case, view: &DisclosureView) -> Result<(), ShareError> {
        let items = view.items.iter().map(|i| i.kind()).collect();
        self.record_share(case, view.audience.clone(), view.basis.clone(), items)
            .await
            .map_err(ShareError::Failed)?;
        Ok(())
    }

    /// Appends a share to the case's disclosures stream, with the stream's listings.
    async fn record_share(
        &self,
        case: &Case,
        audience: Audience,
        basis: ShareBasis,
        items: Vec<ItemKind>,
    ) -> Result<RecordedShare, CommandError> {
        self.actor.check().map_err(DomainError::from)?;
        let prior = self.casework.disclosures_unchecked(case.file().id).await?;
        let at = self.casework.now();
        // Sealed with the young person's key: an override's concern is about her.
        let sealer = self.casework.sealer(case.key_owner(), at).await?;
        Ok(gate::record_share(
            self.casework.store(),
            case,
            &prior,
            audience,
            basis,
            items,
            self.actor,
            at,
            sealer,
        )
        .await?)
    }

    /// Every share of one case, oldest first: for its allocated worker or team manager
    /// (`read_confidential`) or anyone with `read_audit_logs`.
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27), naming `read_confidential`, when the
    ///   person's role and relationship to the case permit neither `read_audit_logs` nor
    ///   `read_confidential`.
    /// - `ActingError::Failed` with `CommandError::Load` (`history_unreadable`, `store_*`) when the
    ///   case's disclosures stream cannot be read.
    pub async fn disclosures(
        &self,
        case: CaseId,
    ) -> Result<Vec<Recorded<DisclosureEvent>>, AccessError> {
        let state = self.casework.case(case).await?;
        let relationship = self.directory.relationship(self.actor, &state);
        // Either permission will do; the refusal names the one closer to the case.
        if check(
            self.actor,
            relationship,
            Permission::ReadAuditLogs,
            Some(case),
        )
        .is_err()
        {
            check(
                self.actor,
                relationship,
                Permission::ReadConfidential,
                Some(case),
            )?;
        }
        Ok(self.casework.disclosures_unchecked(case).await?)
    }

    /// A case's audit trail, oldest first: every change, every share and override
    /// and every read of its confidential record. For its allocated worker or
    /// team manager, or anyone with `read_audit_logs`.
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27), naming `read_confidential`, when the
    ///   person's role and relationship to the case permit neither `read_audit_logs` nor
    ///   `read_confidential`.
    /// - `ActingError::Failed` with `CommandError::Load` (`history_unreadable`, `store_*`) when the
    ///   case's disclosures stream cannot be read.
    /// - `ActingError::Failed` with `CommandError::Load` (`history_unreadable`, `store_*`) when the
    ///   case's history cannot be read, or with `CommandError::Store` (`store_*`, `store_corrupt`)
    ///   when its access listings cannot be read or decoded.
    pub async fn audit_trail(&self, case: CaseId) -> Result<Vec<TrailEntry>, AccessError> {
        let shares = self.disclosures(case).await?;
        let history = self.casework.history(case).await?;
        let reads: Vec<AccessRecord> = self
            .casework
            .store()
            .listings(ListingQuery::all(ListingKind::Access).key(case.to_string()))
            .await?
            .iter()
            .map(decode_detail)
            .collect::<Result<_, StoreError>>()?;
        let mut trail: Vec<TrailEntry> = history
            .iter()
            .map(|e| TrailEntry {
                at: e.meta.recorded_at,
                by: e.meta.actor.to_string(),
                kind: "change",
                what: e.event.event_type().to_owned(),
            })
            .chain(shares.iter().map(|e| {
                let share = e.event.share();
                let items: Vec<_> = share
                    .items
                    .iter()
                    .map(|i| serde_json::to_value(i).expect("kinds serialize"))
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect();
                TrailEntry {
                    at: share.shared_at,
                    by: e.meta.actor.to_string(),
                    kind: if share.is_override() {
                        "override"
                    } else {
                        "share"
                    },
                    what: format!("{} with {}", items.join(", "), share.audience),
                }
            }))
            .chain(reads.into_iter().map(|r| TrailEntry {
                at: r.read_at,
                by: format!("{} ({})", r.name, r.role),
                kind: "read",
                what: r.purpose.as_str().to_owned(),
            }))
            .collect();
        trail.sort_by_key(|t| t.at);
        Ok(trail)
    }
}

impl<S: Store> Casework<S> {
    /// Every share of one case, oldest first, unchecked: for trusted code and for
    /// [`Acting::disclosures`].
    ///
    /// # Errors
    ///
    /// `LoadError::History` (`history_unreadable`, R-18) when the stored shares cannot be read;
    /// `LoadError::Store` (`store_*`) when the store fails. A case with no shares, or no such case,
    /// is an empty list, not `not_found`.
    pub async fn disclosures_unchecked(
        &self,
        case: CaseId,
    ) -> Result<Vec<Recorded<DisclosureEvent>>, LoadError> {
        let stored = self.store().load(StreamId::Disclosures(case)).await?;
        // An override's concern is sealed at rest and opened as it is read.
        self.decoded(&stored).await
    }
}
