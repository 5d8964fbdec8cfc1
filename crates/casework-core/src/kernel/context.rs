//! The context a command is decided in.

use crate::kernel::actor::Actor;
use crate::kernel::ids::CaseId;
use crate::policy::profile::ServiceProfile;
use crate::read::rows::CaseSummary;
use chrono::{DateTime, Utc};

/// Everything a decision may read besides the case itself: who acts, the clock reading, the
/// service profile and what the decision asked to be read first
/// ([`crate::aggregate::Lookups`]): the head of the waiting list, a young person's cases
/// . The facade builds
/// it; tests build it by hand.
#[derive(Clone, Copy, Debug)]
pub struct CommandContext<'a> {
    /// Who is acting.
    pub actor: &'a Actor,
    /// The clock reading for this command.
    pub at: DateTime<Utc>,
    /// The service's configuration.
    pub profile: &'a ServiceProfile,
    /// The case at the head of the waiting list, when the command is an allocation.
    pub waiting_list_head: Option<CaseId>,
    /// The young person's cases, when the command needs them (joining the alumni group).
    pub cases_of_young_person: &'a [CaseSummary],
}

impl<'a> CommandContext<'a> {
    /// Today where the service works: the local date of [`CommandContext::at`] in the
    /// profile's time zone, the "today" of every "not after today" check.
    #[must_use]
    pub fn today(&self) -> chrono::NaiveDate {
        self.profile.local_date(self.at)
    }

    /// A context without a waiting-list reading.
    #[must_use]
    pub fn new(actor: &'a Actor, at: DateTime<Utc>, profile: &'a ServiceProfile) -> Self {
        Self {
            actor,
            at,
            profile,
            waiting_list_head: None,
            cases_of_young_person: &[],
        }
    }
}
