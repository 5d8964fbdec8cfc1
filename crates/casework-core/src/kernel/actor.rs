//! Who is acting, and the context every command is decided in.
//!
//! every change is attributed (who, when, why). The facade builds a [`crate::kernel::context::CommandContext`]
//! for each command from the [`Actor`], the clock reading and the stated reason; the decision
//! functions read nothing else from the outside world.

use crate::kernel::ids::StaffId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The role a person acts in. What each role may do, with the person's relationship to
/// the record, is the table in [`crate::privacy::access`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A project worker who holds cases.
    Worker,
    /// A manager who approves some steps.
    Manager,
    /// An administrator of the system (configuration, imports).
    Administrator,
    /// The system itself, for automatic steps.
    System,
    /// A professional outside the charity with an account to follow the cases they referred.
    ExternalReferrer,
    /// A read-only auditor (safeguarding partnership, trustee, inspector).
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Worker,
        Role::Manager,
        Role::Administrator,
        Role::System,
        Role::ExternalReferrer,
        Role::Auditor,
    ];

    /// The stable name used in storage and JSON.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Manager => "manager",
            Role::Administrator => "administrator",
            Role::System => "system",
            Role::ExternalReferrer => "external_referrer",
            Role::Auditor => "auditor",
        }
    }

    /// Parses the stable name back; `None` for an unknown role.
    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "worker" => Some(Role::Worker),
            "manager" => Some(Role::Manager),
            "administrator" => Some(Role::Administrator),
            "system" => Some(Role::System),
            "external_referrer" => Some(Role::ExternalReferrer),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of staff acting through the library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Who.
    pub id: StaffId,
    /// Their name as shown in timelines.
    pub name: String,
    /// The role they act in.
    pub role: Role,
}

impl Actor {
    /// A worker.
    pub fn worker(name: impl Into<String>) -> Self {
        Self {
            id: StaffId::new(),
            name: name.into(),
            role: Role::Worker,
        }
    }

    /// A manager.
    pub fn manager(name: impl Into<String>) -> Self {
        Self::new(name, Role::Manager)
    }

    /// A fresh person acting in `role`.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            id: StaffId::new(),
            name: name.into(),
            role,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.role)
    }
}
