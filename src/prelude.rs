//! The names an embedder needs: `use casework::prelude::*;`.
//!
//! The service and its checked handle, the commands and inputs a front end sends, the ids, the
//! errors it matches on, and the default stores. Anything more specialised (listing rows,
//! policy parsing, the store traits for an adapter) is imported from its layer.

pub use crate::aggregate::Aggregate;
pub use crate::case::{
    Case, CaseCommand, ClosureReason, NewReferral, Party, ReferralSource, StageName,
};
pub use crate::kernel::actor::{Actor, Role};
pub use crate::kernel::clock::{Clock, ManualClock, SystemClock};
pub use crate::kernel::code::ErrorCode;
pub use crate::kernel::confidential::{Confidential, NewConfidential};
pub use crate::kernel::error::DomainError;
pub use crate::kernel::ids::{CaseId, StaffId, WorkshopId, YoungPersonId};
pub use crate::kernel::input::{Postcode, Text};
pub use crate::kernel::rule::Rule;
pub use crate::policy::profile::ServiceProfile;
pub use crate::privacy::access::{Permission, StaffDirectory};
pub use crate::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
pub use crate::{
    AccessError, Acting, ActingError, Casework, CommandError, Executed, LoadError, Query,
    ShareError,
};

#[cfg(feature = "memory")]
pub use crate::memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use crate::sqlite::SqliteStore;
