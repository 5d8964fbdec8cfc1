//! Who is acting, and the context every command is decided in.
//!
//! every change is attributed (who, when, why). The facade builds a [`CommandContext`]
//! for each command from the [`Actor`], the clock reading and the stated reason; the decision
//! functions read nothing else from the outside world.

use crate::ids::StaffId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The role a person acts in. Permissions per role arrive with the confidentiality work;
/// today the role is recorded on every event and checked where a rule names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

impl Role {
    /// The stable name used in storage and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Manager => "manager",
            Role::Administrator => "administrator",
            Role::System => "system",
        }
    }

    /// Parses the stable name back; `None` for an unknown role.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "worker" => Some(Role::Worker),
            "manager" => Some(Role::Manager),
            "administrator" => Some(Role::Administrator),
            "system" => Some(Role::System),
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
        Self {
            id: StaffId::new(),
            name: name.into(),
            role: Role::Manager,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.role)
    }
}
