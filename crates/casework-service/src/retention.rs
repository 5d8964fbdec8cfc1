//! Retention operations: legal holds, the retention review and the erasure log, over the store.

use crate::acting::Acting;
use crate::casework::{Casework, CommandError, Executed, LoadError};
use crate::streams::Loaded;
use casework_core::kernel::actor::Actor;
use casework_core::kernel::event::decode_stream;
use casework_core::kernel::idempotency::{Idempotency, IdempotentAppend, IdempotentRequest};
use casework_core::kernel::ids::{StreamId, YoungPersonId};
use casework_core::kernel::input::Text;
use casework_core::privacy::access::{check, Permission, Relationship};
use casework_core::privacy::retention::*;
use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use uuid::Uuid;

use crate::error::RetentionError;
use crate::queries::{ErasureLog, LegalHolds};

/// Reads of the schedule and the retention record, unchecked: for trusted code (scheduled
/// jobs, reports) and for [`Acting`]'s checked operations. None of them reveals content.
impl<S: Store> Casework<S> {
    /// A young person's retention record: holds in place and lifted, erasures.
    ///
    /// # Errors
    ///
    /// `LoadError::History` (`history_unreadable`, R-18) when the stored retention events do not
    /// decode or one cannot follow the ones before it (lifting a hold not in place, finishing an
    /// anonymisation not started); `LoadError::Store` (`store_*`) when the store fails. A young
    /// person with no retention events (or none registered) has an empty record, not `not_found`.
    pub async fn retention_record(
        &self,
        young_person: YoungPersonId,
    ) -> Result<RetentionRecord, LoadError> {
        let stored = self.store().load(StreamId::Retention(young_person)).await?;
        let events = decode_stream::<RetentionEvent>(&stored)?;
        Ok(RetentionRecord::fold(young_person, &events)?)
    }

    /// When a young person's records fall due under the profile's schedule.
    ///
    /// # Errors
    ///
    /// `LoadError::NotFound` (`not_found`) when there is no such young person (or a case listed as
    /// theirs has no stream); `LoadError::History` (`history_unreadable`, R-18) when their history
    /// or a case's cannot be read or an event cannot follow the ones before it; `LoadError::Store`
    /// (`store_*`) when the store fails.
    pub async fn retention_due(
        &self,
        young_person: YoungPersonId,
    ) -> Result<RetentionDue, LoadError> {
        let (person, _, _) = self.load_young_person(young_person).await?;
        let schedule = &self.profile().retention;
        let mut facts = Vec::new();
        for summary in self.cases_of(young_person).await? {
            let history = self.history(summary.case_id).await?;
            if let Some(f) = CaseRetentionFacts::of(&history, schedule)? {
                facts.push(f);
            }
        }
        Ok(retention_due(
            schedule,
            person.details.date_of_birth,
            person.registered_at.date_naive(),
            &facts,
        ))
    }

    /// Records one retention event decided by the operation, at the version `record` was
    /// read at (a change since is a conflict), recorded no earlier than `at`, with the stated
    /// reason; `record` becomes the record after it.
    pub(crate) async fn append_retention(
        &self,
        actor: &Actor,
        record: &mut RetentionRecord,
        event: RetentionEvent,
        at: DateTime<Utc>,
        reason: &Text,
    ) -> Result<(), CommandError> {
        let executed = self
            .append_retention_keyed(actor, record.clone(), event, at, reason, None)
            .await?;
        *record = executed.state;
        Ok(())
    }

    /// [`Casework::append_retention`] recording `idempotency` with the append (the caller
    /// answers a retry: a retention record is folded from its young person's id, not by the
    /// generic replay).
    async fn append_retention_keyed(
        &self,
        actor: &Actor,
        record: RetentionRecord,
        event: RetentionEvent,
        at: DateTime<Utc>,
        reason: &Text,
        idempotency: Option<Idempotency>,
    ) -> Result<Executed<RetentionRecord>, CommandError> {
        let young_person = record.young_person;
        let loaded = Loaded {
            version: record.version,
            state: record,
            last_recorded: at,
        };
        let command = RetentionCommand {
            event,
            reason: reason.clone(),
        };
        self.decide_and_append(actor, young_person, loaded, command, idempotency)
            .await
    }

    /// The hold a keyed request placed, for its retry; the key used for another request (or
    /// on another young person's record) is [`CommandError::IdempotencyKeyReused`].
    async fn replayed_hold(
        &self,
        young_person: YoungPersonId,
        key: &Idempotency,
        first: &IdempotentAppend,
    ) -> Result<LegalHold, CommandError> {
        let stream = StreamId::Retention(young_person);
        if !first.is_retry_of(&key.fingerprint, Some(stream)) {
            return Err(key.reused().into());
        }
        let stored = self.store().load(stream).await?;
        let events = decode_stream::<RetentionEvent>(&stored).map_err(LoadError::from)?;
        events
            .into_iter()
            .filter(|e| first.versions().contains(&e.version))
            .find_map(|e| match e.event {
                RetentionEvent::LegalHoldPlaced { hold } => Some(hold),
                _ => None,
            })
            .ok_or_else(|| key.reused().into())
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Places a legal hold on a young person's records (`manage_retention`, R-23): nothing
    /// about them can be anonymised until it is lifted. The reason is required.
    ///
    /// # Errors
    ///
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role and relationship
    ///   to the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `manage_retention`.
    /// - `RetentionError::Refused` with `RetentionRefusal::Invalid` (`bad_input`) on `reason` when
    ///   it is empty or only white space (or contains a NUL), or names the young person (a word of
    ///   their name: the reason outlives any erasure, `retention::check_reason`), before anything
    ///   is written.
    /// - `RetentionError::Failed` with `CommandError::Load` (`not_found`) when there is no such
    ///   young person, or `history_unreadable` / `store_*` loading them.
    /// - `RetentionError::Failed` with `CommandError::Load` (`history_unreadable`, R-18, or
    ///   `store_*`) when the retention record cannot be read.
    /// - `RetentionError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when the
    ///   retention record changed since it was read, or with `CommandError::Store` (`store_*`) when
    ///   the append fails.
    pub async fn place_legal_hold(
        &self,
        young_person: YoungPersonId,
        reason: &str,
    ) -> Result<LegalHold, RetentionError> {
        self.place_legal_hold_with(young_person, reason, None).await
    }

    /// [`Acting::place_legal_hold`] under an idempotency key, scoped to this account and looked
    /// up after the permission check: a retry of the same request answers the hold the first
    /// call placed and places no second one.
    ///
    /// # Errors
    ///
    /// As [`Acting::place_legal_hold`], and `RetentionError::Failed` with
    /// `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`) when the key was used
    /// for another request.
    pub async fn place_legal_hold_with(
        &self,
        young_person: YoungPersonId,
        reason: &str,
        idempotency: Option<IdempotentRequest>,
    ) -> Result<LegalHold, RetentionError> {
        self.check_young_person(young_person, Permission::ManageRetention)
            .await?;
        let reason = Text::parse("reason", reason).map_err(RetentionRefusal::from)?;
        // The young person must exist, and the reason, which outlives any erasure, must not
        // name them.
        let history = self.casework.young_person_history(young_person).await?;
        check_reason(&reason, names_recorded(&history)).map_err(RetentionRefusal::from)?;
        let key = idempotency.map(|k| k.scoped_to(self.actor.id));
        if let Some(first) = self.casework.recorded_key(key.as_ref()).await? {
            let key = key.as_ref().expect("a key was looked up");
            return Ok(self
                .casework
                .replayed_hold(young_person, key, &first)
                .await?);
        }
        let record = self.casework.retention_record(young_person).await?;
        let at = self.casework.now();
        let hold = LegalHold {
            id: LegalHoldId::new(),
            young_person,
            reason: reason.clone(),
            placed_by: RecordedBy::from(self.actor),
            placed_at: at,
        };
        let placed = self
            .casework
            .append_retention_keyed(
                self.actor,
                record,
                RetentionEvent::LegalHoldPlaced { hold: hold.clone() },
                at,
                &reason,
                key.clone(),
            )
            .await;
        // Two retries at once: the one that lost the race answers the winner's hold.
        if let (Some(key), Some(first)) = (&key, self.casework.raced_key(&placed, &key).await?) {
            return Ok(self
                .casework
                .replayed_hold(young_person, key, &first)
                .await?);
        }
        placed?;
        Ok(hold)
    }

    /// Lifts a legal hold (`manage_retention`, R-23), with the reason, which is required.
    ///
    /// # Errors
    ///
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role and relationship
    ///   to the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `manage_retention`.
    /// - `RetentionError::Refused` with `RetentionRefusal::Invalid` (`bad_input`) on `reason` when
    ///   it is empty or only white space (or contains a NUL), or names the young person (a word of
    ///   their name: the reason outlives any erasure, `retention::check_reason`), before anything
    ///   is written.
    /// - `RetentionError::Failed` with `CommandError::Load` (`history_unreadable`, R-18, or
    ///   `store_*`) when the retention record cannot be read.
    /// - `RetentionError::Refused` with `RetentionRefusal::UnknownHold` (`unknown_hold`, R-23) when
    ///   no hold with that id is in place on the young person's records; nothing is written.
    /// - `RetentionError::Failed` with `CommandError::Conflict` (`conflict`, R-18) when the
    ///   retention record changed since it was read, or with `CommandError::Store` (`store_*`) when
    ///   the append fails.
    pub async fn lift_legal_hold(
        &self,
        young_person: YoungPersonId,
        hold: LegalHoldId,
        reason: &str,
    ) -> Result<LiftedHold, RetentionError> {
        self.check_young_person(young_person, Permission::ManageRetention)
            .await?;
        let reason = Text::parse("reason", reason).map_err(RetentionRefusal::from)?;
        let history = self.casework.young_person_history(young_person).await?;
        check_reason(&reason, names_recorded(&history)).map_err(RetentionRefusal::from)?;
        let mut record = self.casework.retention_record(young_person).await?;
        let Some(placed) = record.hold(hold).cloned() else {
            return Err(RetentionRefusal::UnknownHold { young_person, hold }.into());
        };
        let at = self.casework.now();
        let by = RecordedBy::from(self.actor);
        self.casework
            .append_retention(
                self.actor,
                &mut record,
                RetentionEvent::LegalHoldLifted {
                    hold,
                    reason: reason.clone(),
                    by: by.clone(),
                    at,
                },
                at,
                &reason,
            )
            .await?;
        Ok(LiftedHold {
            hold: placed,
            reason,
            lifted_by: by,
            lifted_at: at,
        })
    }

    /// Every legal hold in place across the service, oldest first (`manage_retention`).
    ///
    /// # Errors
    ///
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `manage_retention`; nothing is read.
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when the store fails, or
    ///   `store_corrupt` when a listing's detail does not decode.
    pub async fn legal_holds(&self) -> Result<Vec<LegalHold>, RetentionError> {
        check(
            self.actor,
            Relationship::None,
            Permission::ManageRetention,
            None,
        )?;
        Ok(self.casework.whole(&LegalHolds).await?)
    }

    /// Every anonymisation finished in `[from, to)`, across the service, oldest first
    /// (`read_audit_logs`, R-23: erasure is itself recorded).
    ///
    /// # Errors
    ///
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_audit_logs`; nothing is read.
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when the store fails, or
    ///   `store_corrupt` when a listing's detail does not decode.
    pub async fn erasure_log(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Erasure>, RetentionError> {
        check(
            self.actor,
            Relationship::None,
            Permission::ReadAuditLogs,
            None,
        )?;
        Ok(self.casework.whole(&ErasureLog { from, to }).await?)
    }

    /// A young person's retention record: holds in place and lifted, erasures
    /// (`manage_retention`).
    ///
    /// # Errors
    ///
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role and relationship
    ///   to the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `manage_retention`.
    /// - `RetentionError::Failed` with `CommandError::Load` (`history_unreadable`, R-18, or
    ///   `store_*`) when the retention record cannot be read.
    pub async fn retention_record(
        &self,
        young_person: YoungPersonId,
    ) -> Result<RetentionRecord, RetentionError> {
        self.check_young_person(young_person, Permission::ManageRetention)
            .await?;
        Ok(self.casework.retention_record(young_person).await?)
    }

    /// A young person's standing under the schedule on `as_of` (`manage_retention`, R-23).
    ///
    /// # Errors
    ///
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role and relationship
    ///   to the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `manage_retention`.
    /// - `RetentionError::Failed` with `CommandError::Load` when the schedule cannot be worked out:
    ///   `not_found` when there is no such young person, `history_unreadable` for a history
    ///   of theirs or of a case that cannot be read, `store_*`.
    /// - `RetentionError::Failed` with `CommandError::Load` (`history_unreadable`, R-18, or
    ///   `store_*`) when the retention record cannot be read.
    pub async fn retention_status(
        &self,
        young_person: YoungPersonId,
        as_of: DateTime<Utc>,
    ) -> Result<RetentionStatus, RetentionError> {
        self.check_young_person(young_person, Permission::ManageRetention)
            .await?;
        let due = self.casework.retention_due(young_person).await?;
        let record = self.casework.retention_record(young_person).await?;
        Ok(RetentionStatus {
            young_person,
            as_of,
            is_due: due.is_due(as_of.date_naive()),
            due,
            record,
        })
    }

    /// The review list (`manage_retention`, R-23): every young person with a finished case
    /// whose records fell due on or before `as_of`'s date, earliest due first, each with the
    /// rule that set the date and any legal hold that blocks erasure. Young people with an
    /// open case are never listed; those already anonymised are listed only when an
    /// anonymisation was interrupted.
    ///
    /// # Errors
    ///
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `manage_retention`; nothing is read.
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when the store fails, or
    ///   `store_corrupt` when a listing's key is not a young person's id.
    /// - `RetentionError::Failed` with `CommandError::Load` when the schedule cannot be worked out:
    ///   `not_found` when a young person listed has no record (a damaged store),
    ///   `history_unreadable` for a history of theirs or of a case that cannot be read,
    ///   `store_*`.
    /// - `RetentionError::Failed` with `CommandError::Load` (`history_unreadable`, R-18, or
    ///   `store_*`) when the retention record cannot be read.
    pub async fn retention_review(
        &self,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<RetentionReviewEntry>, RetentionError> {
        check(
            self.actor,
            Relationship::None,
            Permission::ManageRetention,
            None,
        )?;
        // Everyone with a finished case, and everyone registered (a young person met only at
        // a workshop has records too); each is then checked against the schedule.
        let mut young_people = BTreeSet::new();
        for kind in [ListingKind::ClosedCase, ListingKind::YoungPersonRecord] {
            for listed in self
                .casework
                .store()
                .listings(ListingQuery::all(kind))
                .await?
            {
                young_people.insert(young_person_key(&listed.listing.key)?);
            }
        }
        let date = as_of.date_naive();
        let mut entries = Vec::new();
        for young_person in young_people {
            let due = self.casework.retention_due(young_person).await?;
            let RetentionDue::On {
                on,
                because,
                applicable,
            } = due
            else {
                continue;
            };
            if date < on {
                continue;
            }
            let record = self.casework.retention_record(young_person).await?;
            if record.is_anonymised() {
                continue;
            }
            entries.push(RetentionReviewEntry {
                young_person,
                due_on: on,
                because,
                applicable,
                anonymisation_incomplete: record.pending.is_some(),
                holds: record.holds,
            });
        }
        entries.sort_by(|a, b| {
            a.due_on
                .cmp(&b.due_on)
                .then(a.young_person.cmp(&b.young_person))
        });
        Ok(entries)
    }
}

/// A young person's id from a listing key (`yp-…`).
fn young_person_key(key: &str) -> Result<YoungPersonId, RetentionError> {
    key.strip_prefix("yp-")
        .and_then(|id| Uuid::parse_str(id).ok())
        .map(YoungPersonId::from_uuid)
        .ok_or_else(|| {
            RetentionError::Failed(CommandError::Store(StoreError::Corrupt(format!(
                "a closed_case listing's key `{key}` is not a young person's id"
            ))))
        })
}
