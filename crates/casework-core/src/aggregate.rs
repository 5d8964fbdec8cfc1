//! The aggregate contract: what every stream's state machine offers the service.
//!
//! An aggregate is the state of one stream (a case, a young person's record, a workshop, an
//! intelligence report) folded from its events. Every aggregate decides commands purely
//! (`decide` reads only its state, the command and the [`CommandContext`]) and folds events
//! (`evolve`); it says what it writes beside its events: a read-model row ([`Aggregate::row`])
//! and its listings ([`Aggregate::listings`]), both pure functions of the state, so the one
//! generic load → decide → append path in `casework-service` serves every aggregate alike.
//!
//! A decision that needs something outside its own stream (allocation reads the head of the
//! waiting list, R-7; joining the alumni group reads the young person's cases, R-20) names it
//! in [`Aggregate::lookups`]; the service reads it and hands it over in the context, so the
//! decision itself stays pure.
//!
//! ```
//! use casework_core::aggregate::Aggregate;
//! use casework_core::case::Case;
//! use casework_core::kernel::ids::CaseId;
//!
//! // Every case lives on a stream of its own, and is snapshotted.
//! assert_eq!(Case::stream(CaseId::new()).kind(), "case");
//! assert!(Case::SNAPSHOT_SCHEMA.is_some());
//! ```

use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::event::DomainEvent;
use crate::kernel::ids::{StreamId, YoungPersonId};
use crate::policy::profile::ServiceProfile;
use crate::privacy::access::Permission;
use crate::read::listing::Listings;
use crate::read::rows::ReadModelUpdate;

/// What a decision needs read from outside its own stream before it is decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lookups {
    /// The case at the head of the waiting list (R-7).
    pub waiting_list_head: bool,
    /// This young person's cases (R-20).
    pub cases_of: Option<YoungPersonId>,
}

/// The contract every stream's state machine implements; see the module docs.
pub trait Aggregate: Sized + Clone + Send + Sync + 'static {
    /// The id of one instance.
    type Id: Copy + Send + Sync + 'static;
    /// What it is asked to do.
    type Command: Send;
    /// What it records.
    type Event: DomainEvent + Clone + Send + Sync;

    /// The format version of its snapshots, for an aggregate that is snapshotted; bump it
    /// when the serialized state changes, and older snapshots are then replayed instead.
    const SNAPSHOT_SCHEMA: Option<u32> = None;

    /// The stream an instance lives on.
    fn stream(id: Self::Id) -> StreamId;

    /// The state after `event`; `None` when the event cannot follow (a corrupt history).
    fn evolve(state: Option<Self>, event: &Self::Event) -> Option<Self>;

    /// The events `command` records, or the rule that refuses it.
    ///
    /// # Errors
    ///
    /// The [`DomainError`] of the rule that refuses `command` on this state; which ones an
    /// aggregate returns is documented on its own `decide` (a case's, [`crate::case::Case`]).
    fn decide(
        &self,
        command: Self::Command,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<Self::Event>, DomainError>;

    /// Whose data key seals its confidential content at rest (R-8, R-23,
    /// [`crate::kernel::sealing`]); `None` for an aggregate that holds none.
    fn key_owner(&self) -> Option<crate::privacy::key_store::KeyOwner> {
        None
    }

    /// The read-model row written with its events, at `version`.
    fn row(&self, _version: u64) -> ReadModelUpdate {
        ReadModelUpdate::None
    }

    /// Its listings under `profile` (see [`crate::read::listing`]).
    fn listings(&self, profile: &ServiceProfile) -> Listings;

    /// A command's stable name (`snake_case`, as in its JSON form).
    fn command_name(command: &Self::Command) -> &'static str;

    /// The permission a person needs to give `command` (R-27), checked against their
    /// relationship to this aggregate.
    fn command_permission(_command: &Self::Command) -> Permission {
        Permission::ChangeCase
    }

    /// The reason a command states, recorded in each event's envelope (R-18).
    fn stated_reason(_command: &Self::Command) -> Option<String> {
        None
    }

    /// What `command`'s decision on this state needs read first.
    fn lookups(&self, _command: &Self::Command) -> Lookups {
        Lookups::default()
    }

    /// The state as a snapshot, for an aggregate with a [`Aggregate::SNAPSHOT_SCHEMA`].
    fn to_snapshot(&self) -> Option<String> {
        None
    }

    /// The state from a snapshot of the current schema; `None` when it cannot be read (the
    /// stream is then replayed).
    #[must_use]
    fn from_snapshot(_state: &str) -> Option<Self> {
        None
    }
}
