//! Who is acting, and the context every command is decided in.
//!
//! R-18: every change is attributed (who, when, why). The facade builds a [`crate::kernel::context::CommandContext`]
//! for each command from the [`Actor`], the clock reading and the stated reason; the decision
//! functions read nothing else from the outside world.
//!
//! **Identity comes from authentication, never from a request.** The library takes the
//! [`Actor`] it is given as the person acting, and every permission (R-27) follows from its id
//! and role. So whoever hands the library an `Actor` must have authenticated that person
//! first: in the HTTP layer the `Authenticator` does (an API token's or a verified JWT's
//! subject, mapped to the actor the *server* configured for it), and the body of a request is
//! never read for it. An `Actor` therefore does not deserialize from JSON a client sends: it
//! reads back only as storage reads it (inside
//! [`for_storage`](crate::kernel::confidential::for_storage)), as events record who acted.
//!
//! An actor's name is shown in timelines and stored with every event, so it is held to what
//! every store keeps: something visible, no NUL, at most [`Actor::MAX_NAME_CHARS`]
//! characters ([`Actor::check`]). [`Actor::authenticated`] builds a checked actor; the
//! service refuses a command by an actor whose name is not, naming `actor.name`.

use crate::kernel::ids::StaffId;
use crate::kernel::input::{quoted, InputError, Text};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// The role a person acts in (R-27). What each role may do, with the person's relationship to
/// the record, is the table in [`crate::privacy::access`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A project worker who holds cases.
    Worker,
    /// A manager who approves some steps (R-24).
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

/// A member of staff acting through the library: **an authenticated identity**.
///
/// The library trusts the id and role it is given (R-27 decides from them), so the caller must
/// have authenticated the person before building one: the HTTP layer's `Authenticator` does,
/// from a credential, never from a request's body. It serializes (events, histories and
/// responses show who acted) but deserializes only as storage reads it (inside
/// [`for_storage`](crate::kernel::confidential::for_storage)): JSON a client sends cannot make
/// an actor with a role of its choosing. See the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Who.
    pub id: StaffId,
    /// Their name as shown in timelines (visible to anyone who may read a record's history):
    /// something visible, no NUL, at most [`Actor::MAX_NAME_CHARS`] characters.
    pub name: String,
    /// The role they act in.
    pub role: Role,
}

/// The stored form an [`Actor`] reads back from.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredActor {
    id: StaffId,
    name: String,
    role: Role,
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !crate::kernel::confidential::in_storage() {
            return Err(D::Error::custom(
                "R-27: an actor comes from authentication, never from a request's content",
            ));
        }
        let StoredActor { id, name, role } = StoredActor::deserialize(deserializer)?;
        Ok(Actor { id, name, role })
    }
}

impl Actor {
    /// The most characters an actor's name may have.
    pub const MAX_NAME_CHARS: usize = 200;

    /// The person an authenticator (or a server's configuration of its staff) has identified:
    /// `id` acting in `role`, named `name` (checked as [`Actor::check`] does, white space
    /// trimmed).
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `actor.name` when `name` is empty or shows nothing,
    /// contains a NUL character, or is longer than [`Actor::MAX_NAME_CHARS`] characters.
    pub fn authenticated(id: StaffId, name: &str, role: Role) -> Result<Actor, InputError> {
        let name = checked_name(name)?;
        Ok(Actor { id, name, role })
    }

    /// Checks the actor's name as every store can keep it and every timeline show it.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `actor.name` when the name is empty or shows nothing,
    /// contains a NUL character, or is longer than [`Actor::MAX_NAME_CHARS`] characters.
    pub fn check(&self) -> Result<(), InputError> {
        checked_name(&self.name).map(|_| ())
    }

    /// A worker with a fresh id, for tests, fixtures and tools: the name is not checked here
    /// (the service checks it before anything is decided); an authenticator uses
    /// [`Actor::authenticated`].
    pub fn worker(name: impl Into<String>) -> Self {
        Self::new(name, Role::Worker)
    }

    /// A manager with a fresh id, as [`Actor::worker`].
    pub fn manager(name: impl Into<String>) -> Self {
        Self::new(name, Role::Manager)
    }

    /// A fresh person acting in `role`, as [`Actor::worker`].
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            id: StaffId::new(),
            name: name.into(),
            role,
        }
    }
}

/// `name` as an actor's name: [`Text`]'s rules (something visible, no NUL, trimmed) and at
/// most [`Actor::MAX_NAME_CHARS`] characters, refused on `actor.name`.
fn checked_name(name: &str) -> Result<String, InputError> {
    let chars = name.chars().count();
    if chars > Actor::MAX_NAME_CHARS {
        return Err(InputError::new(
            "actor.name",
            format!(
                "{} is {chars} characters; a name has at most {}",
                quoted(name),
                Actor::MAX_NAME_CHARS
            ),
        ));
    }
    Ok(Text::parse("actor.name", name)?.into())
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::confidential::for_storage;

    #[test]
    fn an_actor_does_not_read_from_a_request_with_the_role_it_claims() {
        let claimed = format!(
            r#"{{"id":"{}","name":"Eve Example","role":"manager"}}"#,
            uuid::Uuid::new_v4()
        );
        let refused = serde_json::from_str::<Actor>(&claimed).unwrap_err();
        assert!(refused.to_string().contains("R-27"), "{refused}");
        // Storage reads back who acted.
        let recorded: Actor = for_storage(|| serde_json::from_str(&claimed)).unwrap();
        assert_eq!(recorded.role, Role::Manager);
        assert_eq!(
            for_storage(|| serde_json::to_string(&recorded)).unwrap(),
            claimed
        );
    }

    #[test]
    fn a_name_is_visible_without_nul_and_at_most_200_characters() {
        let id = StaffId::new();
        let ok = Actor::authenticated(id, " Sam Worker ", Role::Worker).unwrap();
        assert_eq!(ok.name, "Sam Worker");
        assert!(ok.check().is_ok());
        let longest = "a".repeat(Actor::MAX_NAME_CHARS);
        assert!(Actor::authenticated(id, &longest, Role::Worker).is_ok());
        for bad in [
            String::new(),
            "\u{200B} ".to_owned(),
            "Sam\0Worker".to_owned(),
            "a".repeat(Actor::MAX_NAME_CHARS + 1),
            "é".repeat(5_000_000),
        ] {
            let refused = Actor::authenticated(id, &bad, Role::Worker).unwrap_err();
            assert_eq!(refused.field, "actor.name", "{bad:?}");
            assert!(refused.problem.len() < 200, "{}", refused.problem.len());
            assert!(Actor::new(bad, Role::Worker).check().is_err());
        }
    }
}
