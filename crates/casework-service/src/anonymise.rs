//! Anonymisation carried out: every stream about a young person rewritten in place by the plan in `casework_core::privacy::anonymise`, recorded before and after.

use crate::acting::Acting;
use crate::casework::{Casework, CommandError, LoadError};
use crate::error::RetentionError;
use crate::identity::key_store_error;
use crate::streams::keyring_failure;
use casework_core::case::fold;
use casework_core::case::CaseEvent;
use casework_core::kernel::event::{decode_stream, DomainEvent, HistoryError, RecordedEvent};
use casework_core::kernel::ids::{StreamId, YoungPersonId};
use casework_core::kernel::input::Text;
use casework_core::privacy::access::Permission;
use casework_core::privacy::access_log::AccessEvent;
use casework_core::privacy::anonymise::*;
use casework_core::privacy::disclosure::{self, DisclosureEvent};
use casework_core::privacy::key_store::KeyOwner;
use casework_core::privacy::retention::{
    check_reason, names_recorded, ErasureStarted, RecordedBy, RetentionDue, RetentionEvent,
    RetentionRefusal,
};
use casework_core::read::listing::Listings;
use casework_core::read::rows::{
    CaseSummary, Listing, ListingKind, ListingQuery, ReadModelUpdate, YoungPersonSummary,
};
use casework_core::store::{RewriteRequest, RewrittenEvent, Store};
use casework_core::workshop::{Respondent, Workshop, WorkshopEvent};
use casework_core::young_person::{YoungPerson, YoungPersonActivity, YoungPersonEvent};
use std::collections::BTreeSet;

impl<S: Store> Casework<S> {
    /// The anonymised copies of `stored` and the rewrites of those that changed.
    async fn anonymised_copies(
        &self,
        stored: &[RecordedEvent],
    ) -> Result<(Vec<RecordedEvent>, Vec<RewrittenEvent>), RetentionError> {
        self.anonymised_copies_of(stored, |_| true).await
    }

    /// The copies of `stored` with the events `about` says are about the young person
    /// anonymised (the rest copied as they are), and the rewrites of those that changed. The
    /// identifying details are opened first, with the keys still there, so they are coarsened
    /// and written as they are: the record still reads once the key is destroyed.
    async fn anonymised_copies_of(
        &self,
        stored: &[RecordedEvent],
        about: impl Fn(&RecordedEvent) -> bool + Sync,
    ) -> Result<(Vec<RecordedEvent>, Vec<RewrittenEvent>), RetentionError> {
        Ok(self
            .reading(|| self.walked_copies_of(stored, &about))
            .await
            .map_err(key_store_error)??)
    }

    /// [`Casework::anonymised_copies_of`]'s walk, with the identifying keys in scope.
    fn walked_copies_of(
        &self,
        stored: &[RecordedEvent],
        about: &impl Fn(&RecordedEvent) -> bool,
    ) -> Result<(Vec<RecordedEvent>, Vec<RewrittenEvent>), RetentionRefusal> {
        let walker = Anonymiser::new(self.profile());
        let mut copies = Vec::with_capacity(stored.len());
        let mut changed = Vec::new();
        for event in stored {
            if !about(event) {
                copies.push(event.clone());
                continue;
            }
            let payload = walker
                .payload(&event.event_type, event.schema_version, &event.payload)
                .map_err(|problem| RetentionRefusal::WouldNotDecode {
                    stream: event.stream,
                    version: event.version,
                    event_type: event.event_type.clone(),
                    problem,
                })?;
            let reason = walker.reason(event.meta.reason.as_deref());
            if payload != event.payload || reason != event.meta.reason {
                changed.push(RewrittenEvent {
                    version: event.version,
                    payload: payload.clone(),
                    reason: reason.clone(),
                });
            }
            let mut copy = event.clone();
            copy.payload = payload;
            copy.meta.reason = reason;
            copies.push(copy);
        }
        Ok((copies, changed))
    }

    /// Plans one stream: anonymises its events, decodes and folds the result, and computes
    /// its row and listings. `None` for an empty stream.
    async fn plan_stream(&self, stream: StreamId) -> Result<Option<StreamPlan>, RetentionError> {
        let stored = self.store().load(stream).await?;
        if stored.is_empty() {
            return Ok(None);
        }
        let (copies, changed) = self.anonymised_copies(&stored).await?;
        let bad = |e: HistoryError| RetentionError::Refused(would_not_decode(&stored, e));
        let version = stored.last().map_or(0, |e| e.version);
        let (read_model, listings): (ReadModelUpdate, Vec<Listing>) = match stream {
            StreamId::YoungPerson(_) => {
                let events = decode_stream::<YoungPersonEvent>(&copies).map_err(bad)?;
                let mut person = None;
                for e in &events {
                    person = Some(YoungPerson::evolve(person, &e.event).ok_or_else(|| {
                        bad(HistoryError {
                            stream,
                            version: e.version,
                            problem: casework_core::kernel::event::HistoryProblem::CannotFollow {
                                event_type: e.event.event_type().to_owned(),
                            },
                        })
                    })?);
                }
                let person = person.ok_or(LoadError::NotFound(stream))?;
                let activity = YoungPersonActivity::fold(events.iter().map(|e| &e.event));
                (
                    ReadModelUpdate::YoungPerson(YoungPersonSummary::of(&person, version)),
                    Listings::of_young_person(&person, &activity).encode(),
                )
            }
            StreamId::Case(_) => {
                let history = decode_stream::<CaseEvent>(&copies).map_err(bad)?;
                let case = fold(&history)
                    .map_err(bad)?
                    .ok_or(LoadError::NotFound(stream))?;
                (
                    ReadModelUpdate::Case(CaseSummary::of(&case, version)),
                    Listings::of_case(&case, self.profile()).encode(),
                )
            }
            StreamId::Disclosures(_) => {
                let shares = decode_stream::<DisclosureEvent>(&copies).map_err(bad)?;
                (
                    ReadModelUpdate::None,
                    disclosure::listings(shares.iter().map(|s| s.event.share())),
                )
            }
            StreamId::Access(_) => {
                let reads = decode_stream::<AccessEvent>(&copies).map_err(bad)?;
                (
                    ReadModelUpdate::None,
                    reads.iter().flat_map(|r| r.event.listings()).collect(),
                )
            }
            StreamId::Workshop(_) | StreamId::Intelligence(_) | StreamId::Retention(_) => {
                unreachable!("only a young person's own streams are anonymised whole")
            }
        };
        Ok(Some(StreamPlan {
            events: stored.len() as u64,
            rewrite: RewriteRequest {
                stream,
                events: changed,
                read_model,
                listings,
            },
        }))
    }

    /// Plans one workshop stream: anonymises only the events about `young_person` (their
    /// identification as vulnerable, their tutorials, their own evaluation form), decodes and
    /// folds the result, and recomputes the workshop's listings. `None` for an empty stream.
    async fn plan_workshop_stream(
        &self,
        stream: StreamId,
        young_person: YoungPersonId,
    ) -> Result<Option<StreamPlan>, RetentionError> {
        let stored = self.store().load(stream).await?;
        if stored.is_empty() {
            return Ok(None);
        }
        let bad = |e: HistoryError| RetentionError::Refused(would_not_decode(&stored, e));
        let about: BTreeSet<u64> = decode_stream::<WorkshopEvent>(&stored)
            .map_err(bad)?
            .iter()
            .filter(|e| match &e.event {
                WorkshopEvent::AttendeeIdentifiedVulnerable {
                    young_person: yp, ..
                } => *yp == young_person,
                WorkshopEvent::TutorialHeld { tutorial } => tutorial.young_person == young_person,
                WorkshopEvent::EvaluationRecorded { evaluation } => {
                    evaluation.respondent == (Respondent::YoungPerson { id: young_person })
                }
                WorkshopEvent::Planned { .. } | WorkshopEvent::AttendanceRecorded { .. } => false,
            })
            .map(|e| e.version)
            .collect();
        let (copies, changed) = self
            .anonymised_copies_of(&stored, |e| about.contains(&e.version))
            .await?;
        let history = decode_stream::<WorkshopEvent>(&copies).map_err(bad)?;
        let workshop = Workshop::fold(history.iter().map(|r| &r.event))
            .map_err(|i| {
                bad(HistoryError {
                    stream,
                    version: history[i].version,
                    problem: casework_core::kernel::event::HistoryProblem::CannotFollow {
                        event_type: history[i].event.event_type().to_owned(),
                    },
                })
            })?
            .ok_or(LoadError::NotFound(stream))?;
        Ok(Some(StreamPlan {
            events: about.len() as u64,
            rewrite: RewriteRequest {
                stream,
                events: changed,
                read_model: ReadModelUpdate::None,
                listings: Listings::of_workshop(&workshop).encode(),
            },
        }))
    }

    /// Every stream about `young_person`, anonymised and checked, nothing written.
    async fn plan_anonymisation(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Plan, RetentionError> {
        let mut streams = vec![StreamId::YoungPerson(young_person)];
        for case in self.cases_of(young_person).await? {
            streams.push(StreamId::Case(case.case_id));
            streams.push(StreamId::Disclosures(case.case_id));
        }
        let reads: BTreeSet<StreamId> = self
            .store()
            .listings(ListingQuery::all(ListingKind::Access).key(young_person.to_string()))
            .await?
            .into_iter()
            .map(|l| l.stream)
            .filter(|s| matches!(s, StreamId::Access(_)))
            .collect();
        streams.extend(reads);
        let mut plan = Plan::default();
        for stream in streams {
            if let Some(p) = self.plan_stream(stream).await? {
                plan.streams.push(p);
            }
        }
        let workshops: BTreeSet<StreamId> = self
            .workshops_of(young_person)
            .await?
            .into_iter()
            .map(|w| StreamId::Workshop(w.workshop_id))
            .collect();
        for stream in workshops {
            if let Some(p) = self.plan_workshop_stream(stream, young_person).await? {
                plan.streams.push(p);
            }
        }
        if plan.streams.is_empty() {
            return Err(
                CommandError::from(LoadError::NotFound(StreamId::YoungPerson(young_person))).into(),
            );
        }
        Ok(plan)
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Anonymises everything held about a young person under the retention schedule (`erase`,
    /// see the module docs for what is kept and what is replaced. Refused, with nothing
    /// written, while a legal hold is in place (naming its reason), before the records are due
    /// (naming the date and the rule), or while a case is open; the reason is required.
    /// Recorded on the young person's retention stream; a second run changes nothing, and a
    /// run after an interrupted one finishes it.
    ///
    /// # Errors
    ///
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `RetentionError::Denied` (`access_denied`, R-27) when the person's role and relationship
    ///   to the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `erase`.
    /// - `RetentionError::Refused` with `RetentionRefusal::Invalid` (`bad_input`) on `reason` when
    ///   it is empty or only white space (or contains a NUL), or names the young person (a word of
    ///   their name: the reason outlives any erasure, `retention::check_reason`), before anything
    ///   is written.
    /// - `RetentionError::Failed` with `CommandError::Load` (`history_unreadable`, R-18, or
    ///   `store_*`) when the retention record cannot be read.
    /// - `RetentionError::Refused` with `RetentionRefusal::LegalHold` (`legal_hold`, R-23), naming
    ///   the hold's reason, while a hold is in place; nothing is written. A hold placed while the
    ///   anonymisation runs stops it before the next rewrite, with the record showing it
    ///   incomplete.
    /// - `RetentionError::Failed` with `CommandError::Load` when the schedule cannot be worked out:
    ///   `not_found` when there is no such young person, `history_unreadable` for a history
    ///   of theirs or of a case that cannot be read, `store_*`.
    /// - `RetentionError::Refused` with `RetentionRefusal::CaseOpen` (`case_open`, R-23) while a
    ///   case of theirs is open, or `RetentionRefusal::NotDue` (`retention_not_due`, R-23), naming
    ///   the date and the rule, before their records are due; nothing is written.
    /// - `RetentionError::Refused` with `RetentionRefusal::WouldNotDecode` (`would_not_decode`,
    ///   R-23) when an anonymised event would not decode or fold; nothing is written.
    /// - `RetentionError::Failed` with `CommandError::Store` (`store_*`) when reading the streams
    ///   to plan or a rewrite fails, and as for the retention record's appends: `conflict`
    ///   when it changed since it was read, `store_*`. A run after an interrupted one finishes it.
    pub async fn anonymise(
        &self,
        young_person: YoungPersonId,
        reason: &str,
    ) -> Result<Anonymised, RetentionError> {
        self.check_young_person(young_person, Permission::Erase)
            .await?;
        let reason = Text::parse("reason", reason).map_err(RetentionRefusal::from)?;
        // The reason outlives the erasure it records, so it must not name them.
        let history = self.casework.young_person_history(young_person).await?;
        check_reason(&reason, names_recorded(&history)).map_err(RetentionRefusal::from)?;
        let mut record = self.casework.retention_record(young_person).await?;
        if let Some(hold) = record.holds.first() {
            return Err(RetentionRefusal::LegalHold {
                young_person,
                hold: hold.id,
                reason: hold.reason.to_string(),
                placed_at: hold.placed_at,
            }
            .into());
        }
        let now = self.casework.now();
        let (due_on, because) = match self.casework.retention_due(young_person).await? {
            RetentionDue::CaseOpen { case } => {
                return Err(RetentionRefusal::CaseOpen { young_person, case }.into())
            }
            RetentionDue::On { on, because, .. } if now.date_naive() < on => {
                return Err(RetentionRefusal::NotDue {
                    young_person,
                    due_on: on,
                    because: because.to_string(),
                }
                .into())
            }
            RetentionDue::On { on, because, .. } => (on, because.to_string()),
        };
        let plan = self.casework.plan_anonymisation(young_person).await?;
        let counts = plan.counts();
        if counts.rewritten_events == 0 && record.pending.is_none() {
            if let Some(last) = record.erasures.last() {
                return Ok(Anonymised {
                    young_person,
                    erasure: last.clone(),
                    already_anonymised: true,
                });
            }
        }
        let by = RecordedBy::from(self.actor);
        if record.pending.is_none() {
            let started = ErasureStarted {
                reason: reason.clone(),
                due_on,
                because,
                by: by.clone(),
                at: now,
            };
            self.casework
                .append_retention(
                    self.actor,
                    &mut record,
                    RetentionEvent::AnonymisationStarted { started },
                    now,
                    &reason,
                )
                .await?;
        }
        // Each stream's head once its rewrite has linked it again, pinned by the record.
        let mut rechained = Vec::new();
        for stream in plan.streams {
            if stream.rewrite.events.is_empty() {
                continue;
            }
            // A hold placed while this runs (the plan takes time to load) stops it before the
            // next rewrite: the hold wins, and the record shows an anonymisation incomplete.
            let now_held = self.casework.retention_record(young_person).await?;
            if let Some(hold) = now_held.holds.first() {
                return Err(RetentionRefusal::LegalHold {
                    young_person,
                    hold: hold.id,
                    reason: hold.reason.to_string(),
                    placed_at: hold.placed_at,
                }
                .into());
            }
            let id = stream.rewrite.stream;
            self.casework.store().rewrite(stream.rewrite).await?;
            rechained.extend(self.casework.store().chain_head(id).await?);
        }
        // Erasure by key destruction: whatever of theirs was sealed, in this database,
        // its free pages and log, a replica or a backup, no longer opens.
        if let Some(keyring) = self.casework.keyring() {
            keyring
                .destroy(
                    self.casework.store(),
                    KeyOwner::YoungPerson(young_person),
                    now,
                )
                .await
                .map_err(keyring_failure)?;
        }
        let finished_at = self.casework.now().max(now);
        self.casework
            .append_retention(
                self.actor,
                &mut record,
                RetentionEvent::RecordsAnonymised {
                    counts,
                    by,
                    at: finished_at,
                    rechained,
                },
                finished_at,
                &reason,
            )
            .await?;
        let erasure = record
            .erasures
            .last()
            .cloned()
            .expect("the finish just recorded is the last erasure");
        Ok(Anonymised {
            young_person,
            erasure,
            already_anonymised: false,
        })
    }
}
