//! Who may do what.
//!
//! Permission is decided by two things: the **role** a person acts in ([`Role`]) and their
//! **relationship** to the record ([`Relationship`]): the case's allocated worker, the
//! manager of that worker's team, the professional who referred, anyone at all while a case
//! waits for allocation (intake is every worker's work), or no relationship. The table is one
//! function, [`permits`], so it can be read, reviewed and property-tested in one place:
//!
//! | role | relationship | may |
//! |---|---|---|
//! | worker | allocated worker, or an unallocated case | read, read confidential, change, share with consent, share under override |
//! | worker | none | read the case's summary (stage, risk, dates) and service-wide lists |
//! | worker | any | run workshops; record intelligence and pass it to police (R-19) |
//! | manager | team manager, allocated worker, or an unallocated case | everything a worker may, and approve, read the disclosure and access logs |
//! | manager | none | read, read the disclosure and access logs, run workshops, record and read intelligence, read reports (R-29) |
//! | administrator | any | read, retention (legal holds, review list), erasure, subject access export, the logs, read reports; no changes, and no confidential content except the young person's own inside a subject access export (below) |
//! | external referrer | referrer of this case | the referrer's disclosure view only |
//! | auditor | any | read, the disclosure and access logs, read reports (R-29) |
//! | system | any | read and change (automation); never confidential content |
//!
//! **Subject access and confidential content.** An administrator never holds
//! `read_confidential`: they cannot open a case's record. But a subject access export is the
//! young person's right to everything held about them (R-23; UK GDPR article 15), and their
//! concerns, plan, goals and session notes are theirs, so the export holds them
//! ([`crate::privacy::subject_access`]). That is the one path by which an administrator sees
//! confidential content: for the young person, about the young person only (third parties
//! withheld), and recorded in the access log with its purpose before anything is read.
//!
//! Two operations span records. Registering a young person and receiving a referral are
//! intake: `change_case` as on an unallocated case. Recording that two young people's records
//! are, or are not, the same person (R-26, [`crate::young_person::duplicates`]) changes what
//! both say, so it needs `change_case` on each record (their relationship decided by each
//! one's latest case): any worker at intake, a record's allocated worker, or their manager.
//!
//! Relationships are worked out by a [`StaffDirectory`]: the charity's teams (which manager
//! manages which workers) and which external accounts are which referring professionals. A
//! refusal is an [`AccessDenied`] naming the permission, the role and the relationship.
//!
//! Checks happen in `Acting` (in `casework-service`), the handle a front end holds for one signed-in
//! person; confidential content is read only through the [`crate::privacy::gate::OpenRecord`] a
//! permitted, recorded read hands out.

use crate::case::Case;
use crate::case::ReferralSource;
use crate::kernel::actor::{Actor, Role};
use crate::kernel::ids::{CaseId, ProfessionalId, StaffId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use thiserror::Error;

/// Something a person may be permitted to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read a case's structure: stage, risk, dates, owed actions (not confidential content).
    ReadCase,
    /// Read confidential content: concerns, plans, session notes (recorded, R-27).
    ReadConfidential,
    /// Decide commands on a case or a young person's record.
    ChangeCase,
    /// Approve or refuse a pending step.
    Approve,
    /// Share what consent allows with an audience.
    ShareWithConsent,
    /// Share without consent on an immediate safeguarding concern.
    ShareUnderOverride,
    /// See the referrer's view of a case they referred.
    ReadReferrerView,
    /// List shares, overrides and reads of confidential records.
    ReadAuditLogs,
    /// Place and lift legal holds; list records due for review.
    ManageRetention,
    /// Anonymise a young person's records.
    Erase,
    /// Export everything held about a young person for them, their own confidential
    /// content included, the read recorded first.
    SubjectAccessExport,
    /// Plan and run group workshops, and read them.
    RunWorkshops,
    /// Record intelligence about possible perpetrators and pass it to police.
    RecordIntelligence,
    /// Read intelligence reports and the list awaiting police.
    ReadIntelligence,
    /// Read the service's figures: counts across every case, never a record.
    ReadReports,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 15] = [
        Permission::ReadCase,
        Permission::ReadConfidential,
        Permission::ChangeCase,
        Permission::Approve,
        Permission::ShareWithConsent,
        Permission::ShareUnderOverride,
        Permission::ReadReferrerView,
        Permission::ReadAuditLogs,
        Permission::ManageRetention,
        Permission::Erase,
        Permission::SubjectAccessExport,
        Permission::RunWorkshops,
        Permission::RecordIntelligence,
        Permission::ReadIntelligence,
        Permission::ReadReports,
    ];

    /// The stable name used in errors and logs.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::ReadCase => "read_case",
            Permission::ReadConfidential => "read_confidential",
            Permission::ChangeCase => "change_case",
            Permission::Approve => "approve",
            Permission::ShareWithConsent => "share_with_consent",
            Permission::ShareUnderOverride => "share_under_override",
            Permission::ReadReferrerView => "read_referrer_view",
            Permission::ReadAuditLogs => "read_audit_logs",
            Permission::ManageRetention => "manage_retention",
            Permission::Erase => "erase",
            Permission::SubjectAccessExport => "subject_access_export",
            Permission::RunWorkshops => "run_workshops",
            Permission::RecordIntelligence => "record_intelligence",
            Permission::ReadIntelligence => "read_intelligence",
            Permission::ReadReports => "read_reports",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the acting person stands to the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The case's allocated worker.
    AllocatedWorker,
    /// The manager of the allocated worker's team.
    TeamManager,
    /// The case has no allocated worker yet: intake work, open to every worker and manager.
    Unallocated,
    /// The professional who made the referral, through their external account.
    Referrer,
    /// None of these.
    None,
}

impl Relationship {
    /// Every relationship.
    pub const ALL: [Relationship; 5] = [
        Relationship::AllocatedWorker,
        Relationship::TeamManager,
        Relationship::Unallocated,
        Relationship::Referrer,
        Relationship::None,
    ];

    /// The stable name used in errors and logs.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Relationship::AllocatedWorker => "allocated_worker",
            Relationship::TeamManager => "team_manager",
            Relationship::Unallocated => "unallocated",
            Relationship::Referrer => "referrer",
            Relationship::None => "none",
        }
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The permission table; see the module docs for the same table in words.
#[must_use]
pub fn permits(role: Role, relationship: Relationship, permission: Permission) -> bool {
    use Permission as P;
    use Relationship as R;
    let close_to_case = matches!(
        relationship,
        R::AllocatedWorker | R::TeamManager | R::Unallocated
    );
    match role {
        Role::Worker => match permission {
            P::ReadCase => relationship != R::Referrer,
            P::RunWorkshops | P::RecordIntelligence => true,
            P::ReadConfidential | P::ChangeCase | P::ShareWithConsent | P::ShareUnderOverride => {
                matches!(relationship, R::AllocatedWorker | R::Unallocated)
            }
            _ => false,
        },
        Role::Manager => match permission {
            P::ReadCase
            | P::ReadAuditLogs
            | P::RunWorkshops
            | P::RecordIntelligence
            | P::ReadIntelligence
            | P::ReadReports => true,
            P::ReadConfidential
            | P::ChangeCase
            | P::ShareWithConsent
            | P::ShareUnderOverride
            | P::Approve => close_to_case,
            _ => false,
        },
        Role::Administrator => matches!(
            permission,
            P::ReadCase
                | P::ReadAuditLogs
                | P::ManageRetention
                | P::Erase
                | P::SubjectAccessExport
                | P::ReadReports
        ),
        Role::ExternalReferrer => permission == P::ReadReferrerView && relationship == R::Referrer,
        Role::Auditor => matches!(permission, P::ReadCase | P::ReadAuditLogs | P::ReadReports),
        Role::System => matches!(permission, P::ReadCase | P::ChangeCase),
    }
}

/// A refusal under R-27.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error(
    "R-27: {name} ({role}, relationship: {relationship}) does not have permission `{permission}`{on}",
    on = self.record.as_deref().map(|r| format!(" on {r}")).unwrap_or_default()
)]
pub struct AccessDenied {
    /// Who asked.
    pub staff: StaffId,
    /// Their name.
    pub name: String,
    /// The role they acted in.
    pub role: Role,
    /// Their relationship to the record.
    pub relationship: Relationship,
    /// What they lacked.
    pub permission: Permission,
    /// The record, when there is one (a case id, a young person id).
    pub record: Option<String>,
}

impl AccessDenied {
    /// The rule that refused: always R-27.
    #[must_use]
    pub fn rule(&self) -> crate::kernel::rule::Rule {
        crate::kernel::rule::Rule::R27
    }
}

/// The charity's staff structure: which manager manages which workers, and which external
/// accounts belong to which referring professionals. Workers in no team have no team manager.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StaffDirectory {
    teams: BTreeMap<StaffId, BTreeSet<StaffId>>,
    referrers: BTreeMap<StaffId, ProfessionalId>,
}

impl StaffDirectory {
    /// An empty directory: no teams, no external accounts.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `manager` manages `workers`.
    #[must_use]
    pub fn team(mut self, manager: StaffId, workers: impl IntoIterator<Item = StaffId>) -> Self {
        self.teams.entry(manager).or_default().extend(workers);
        self
    }

    /// Records that the external account `account` is the professional `professional`.
    #[must_use]
    pub fn external_referrer(mut self, account: StaffId, professional: ProfessionalId) -> Self {
        self.referrers.insert(account, professional);
        self
    }

    /// Whether `manager` manages `worker`.
    #[must_use]
    pub fn manages(&self, manager: StaffId, worker: StaffId) -> bool {
        self.teams
            .get(&manager)
            .is_some_and(|t| t.contains(&worker))
    }

    /// How `actor` stands to `case`. Only an external referrer can be the referrer, and only
    /// staff can be the allocated worker or the team manager.
    #[must_use]
    pub fn relationship(&self, actor: &Actor, case: &Case) -> Relationship {
        if actor.role == Role::ExternalReferrer {
            let referred = match (&case.file().source, self.referrers.get(&actor.id)) {
                (ReferralSource::Professional { professional }, Some(account)) => {
                    professional.id == *account
                }
                _ => false,
            };
            return if referred {
                Relationship::Referrer
            } else {
                Relationship::None
            };
        }
        match case.allocation().map(|a| a.worker) {
            Some(worker) if worker == actor.id => Relationship::AllocatedWorker,
            Some(worker) if self.manages(actor.id, worker) => Relationship::TeamManager,
            Some(_) => Relationship::None,
            None if case.stage().is_finished() => Relationship::None,
            None => Relationship::Unallocated,
        }
    }
}

/// Checks `permission` for `actor` standing in `relationship` to `record`.
///
/// # Errors
///
/// [`AccessDenied`] (`access_denied`, R-27), naming the actor, role, relationship, permission and
/// `record`, when the permission table ([`permits`]) does not give `permission` to the actor's role
/// in `relationship`.
pub fn check(
    actor: &Actor,
    relationship: Relationship,
    permission: Permission,
    record: Option<CaseId>,
) -> Result<(), AccessDenied> {
    if permits(actor.role, relationship, permission) {
        Ok(())
    } else {
        Err(AccessDenied {
            staff: actor.id,
            name: actor.name.clone(),
            role: actor.role,
            relationship,
            permission,
            record: record.map(|c| c.to_string()),
        })
    }
}

impl crate::kernel::code::ErrorCode for AccessDenied {
    fn code(&self) -> &'static str {
        "access_denied"
    }
}
