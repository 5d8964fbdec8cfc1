//! The subject access export gathered from the store, its read recorded first.

use crate::acting::Acting;
use crate::error::AccessError;
use casework_core::kernel::ids::{StreamId, YoungPersonId};
use casework_core::privacy::access::Permission;
use casework_core::privacy::access_log::{AccessRecord, AccessSubject};
use casework_core::privacy::key_store::KeyOwner;
use casework_core::privacy::subject_access::*;
use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::{Store, StoreError};
use casework_core::young_person::YoungPersonEvent;

impl<'a, S: Store> Acting<'a, S> {
    /// Everything held about a young person, for them (`subject_access_export`, R-23): see the
    /// module docs for what it holds and what it leaves out as third-party data. The purpose
    /// must be stated; the read is recorded in the access log before any confidential content
    /// is read. The export holds the young person's own confidential content (theirs under
    /// the one way an administrator, who cannot open a record, sees it
    /// (`casework_core::privacy::access`).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `subject_access_export`.
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `purpose` when it is
    ///   empty or only white space, contains a NUL or is over the profile's input limits.
    /// - `ActingError::Failed` with `CommandError::Load` (`not_found` when there is no such young
    ///   person, or a listed case or workshop has no stream; `history_unreadable`, R-18; `store_*`)
    ///   or `CommandError::Store` (`store_*`, `store_corrupt` for a listing that does not decode)
    ///   when anything held cannot be read; up to here nothing is recorded.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when recording the read in
    ///   the access log fails, or when the access log's listings cannot be read or decoded
    ///   (`store_corrupt`) after it.
    pub async fn subject_access_export(
        &self,
        young_person: YoungPersonId,
        purpose: &str,
    ) -> Result<SubjectAccessExport, AccessError> {
        let relationship = self
            .check_young_person(young_person, Permission::SubjectAccessExport)
            .await?;
        let purpose = self.purpose(purpose)?;
        // Load everything first: a missing record fails before anything is recorded.
        let (person, activity, _) = self.casework.load_young_person(young_person).await?;
        let mut cases = Vec::new();
        let mut shares = Vec::new();
        // Sealed content is opened with the young person's key: the export is for them.
        let owner = KeyOwner::YoungPerson(young_person);
        let yp_events = self
            .casework
            .opened_history::<YoungPersonEvent>(StreamId::YoungPerson(young_person), owner)
            .await?;
        for summary in self.casework.cases_of(young_person).await? {
            let history = self
                .casework
                .opened_history(StreamId::Case(summary.case_id), owner)
                .await?;
            let case = self
                .casework
                .opened(self.casework.case(summary.case_id).await?)
                .await?;
            shares.extend(self.casework.disclosures_unchecked(summary.case_id).await?);
            cases.push((case, history));
        }
        let mut workshops = Vec::new();
        for row in self.casework.workshops_of(young_person).await? {
            let history = self
                .casework
                .opened_history(
                    StreamId::Workshop(row.workshop_id),
                    KeyOwner::Workshop(row.workshop_id),
                )
                .await?;
            let workshop = self
                .casework
                .opened(self.casework.workshop(row.workshop_id).await?)
                .await?;
            workshops.push((workshop, history));
        }
        workshops.sort_by_key(|(w, _)| (w.date, w.planned_at));
        let record = self.casework.retention_record(young_person).await?;

        let receipt = self
            .record_read(
                relationship,
                AccessSubject::YoungPerson { young_person },
                purpose.clone(),
            )
            .await?;

        let reads: Vec<AccessRecord> = self
            .casework
            .store()
            .listings(ListingQuery::all(ListingKind::Access).key(young_person.to_string()))
            .await?
            .iter()
            .map(|l| {
                serde_json::from_str(&l.listing.detail).map_err(|e| {
                    StoreError::Corrupt(format!("access listing of {}: {e}", l.stream))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(assemble(
            &receipt,
            SubjectAccessInputs {
                person,
                activity,
                young_person_events: yp_events,
                cases,
                workshops,
                shares,
                retention: record,
                reads,
                purpose,
                produced_at: self.casework.now(),
                produced_by: self.actor.role,
            },
        ))
    }
}
