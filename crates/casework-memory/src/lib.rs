//! # casework-memory
//!
//! An in-memory [`Store`](casework_core::store::Store): every stream, read-model row and
//! query in one process, behind one lock. For tests, prototypes, and embedding where
//! durability is someone else's job. The expected-version check happens under the same lock
//! as the append, so of two racing appends at one version exactly one wins, and a command's
//! events and read-model rows appear together or not at all. Idempotency keys
//! ([`casework_core::kernel::idempotency`]) are kept in a map under the same lock, checked and
//! written with the events: a key already there fails the append before anything changes.
//! So is each young person's open case: a case row that would be a second fails the append
//! the same way (R-17).
//!
//! Each event's link in its stream's hash chain (R-18, [`casework_core::kernel::chain`]) is
//! kept beside it, computed under the lock from the link before it; a rewrite computes them
//! again from its first rewritten version on.
//!
//! ```
//! use casework_memory::MemoryStore;
//! use casework_core::policy::profile::examples::city_girls_service;
//! use casework_service::Casework;
//!
//! let casework = Casework::new(MemoryStore::new(), city_girls_service());
//! # let _ = casework;
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use async_trait::async_trait;
use casework_core::case::StageName;
use casework_core::kernel::chain::{self, Link, Linked, Stored, StreamHead};
use casework_core::kernel::event::RecordedEvent;
use casework_core::kernel::idempotency::IdempotentAppend;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{
    cases_of_order, is_review_overdue, overdue_order, owed_order, waiting_list_order, CaseSummary,
    Listed, Listing, ListingQuery, OwedActionSummary, ReadModelUpdate, YoungPersonSummary,
};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, Conflict, EventAppend, EventLoad, RewriteRequest,
    SecondOpenCase, Snapshot, StoreError,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct Inner {
    streams: HashMap<StreamId, Vec<RecordedEvent>>,
    /// Each stream's chain links, one per event of `streams`, in the same order.
    links: HashMap<StreamId, Vec<Link>>,
    position: u64,
    cases: HashMap<CaseId, CaseSummary>,
    snapshots: HashMap<StreamId, Snapshot>,
    young_people: HashMap<YoungPersonId, YoungPersonSummary>,
    listings: HashMap<StreamId, Vec<Listing>>,
    keys: HashMap<String, IdempotentAppend>,
    /// Each young person's case not finished, if any: the store holds R-17 (one open case per
    /// young person) so that racing referrals cannot both open one.
    open_case_of: HashMap<YoungPersonId, CaseId>,
}

impl Inner {
    /// Links the events of `stream` from index `from` on to the ones before them: after an
    /// append (its new events) and a rewrite (from the first rewritten one).
    fn rechain(&mut self, stream: StreamId, from: usize) {
        let events = self.streams.get(&stream).map_or(&[][..], Vec::as_slice);
        let links = self.links.entry(stream).or_default();
        links.truncate(from);
        let prev = links.last().and_then(|l| l.hash);
        let digests: Vec<_> = events[from.min(events.len())..]
            .iter()
            .map(|e| Stored::recorded(e).digest())
            .collect();
        links.extend(chain::chain(prev, digests));
    }

    /// The refusal `update` earns if it would give its young person a second open case.
    fn second_open_case(&self, update: &ReadModelUpdate) -> Option<SecondOpenCase> {
        let ReadModelUpdate::Case(summary) = update else {
            return None;
        };
        let open = self.open_case_of.get(&summary.young_person_id)?;
        (!summary.stage.is_finished() && *open != summary.case_id).then_some(SecondOpenCase {
            young_person: summary.young_person_id,
            case: summary.case_id,
            open: Some(*open),
        })
    }

    fn write_read_model(&mut self, update: ReadModelUpdate) {
        match update {
            ReadModelUpdate::Case(summary) => {
                if !summary.stage.is_finished() {
                    self.open_case_of
                        .insert(summary.young_person_id, summary.case_id);
                } else if self.open_case_of.get(&summary.young_person_id) == Some(&summary.case_id)
                {
                    self.open_case_of.remove(&summary.young_person_id);
                }
                self.cases.insert(summary.case_id, summary);
            }
            ReadModelUpdate::YoungPerson(summary) => {
                self.young_people.insert(summary.young_person_id, summary);
            }
            ReadModelUpdate::None => {}
        }
    }

    fn write_listings(&mut self, stream: StreamId, listings: Vec<Listing>) {
        if listings.is_empty() {
            self.listings.remove(&stream);
        } else {
            self.listings.insert(stream, listings);
        }
    }
}

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    /// Wrapped data keys ([`casework_core::privacy::key_store`]), behind their own lock: no
    /// key operation is part of an append.
    data_keys: Mutex<keys::DataKeys>,
}

mod keys;

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave half a command: every mutation below
        // happens after the last fallible step.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces a stream's snapshot, bypassing the domain: for tests of the fallback to replay.
    pub fn insert_raw_snapshot(&self, snapshot: Snapshot) {
        self.lock().snapshots.insert(snapshot.stream, snapshot);
    }

    /// Puts a raw stored event at the end of its stream, bypassing the domain: for tests of
    /// upcasting and of histories this version of the library cannot read.
    /// Its link is chained to the event before it, as an append's would be.
    pub fn insert_raw(&self, event: RecordedEvent) {
        let mut inner = self.lock();
        inner.position = inner.position.max(event.position);
        let stream = event.stream;
        let events = inner.streams.entry(stream).or_default();
        events.push(event);
        let from = events.len() - 1;
        inner.rechain(stream, from);
    }
}

#[async_trait]
impl EventLoad for MemoryStore {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .lock()
            .streams
            .get(&stream)
            .cloned()
            .unwrap_or_default())
    }

    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.lock();
        let events = inner.streams.get(&stream).map_or(&[][..], |s| s.as_slice());
        Ok(events
            .iter()
            .filter(|e| e.version > version)
            .cloned()
            .collect())
    }

    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.lock().snapshots.get(&stream).cloned())
    }

    async fn idempotent_append(&self, key: &str) -> Result<Option<IdempotentAppend>, StoreError> {
        Ok(self.lock().keys.get(key).cloned())
    }

    async fn load_linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<Linked>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .linked(stream)
            .filter(|l| l.event.version > version)
            .collect())
    }

    async fn linked_page(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<Linked>, StoreError> {
        let inner = self.lock();
        let key = |s: &StreamId| (s.kind(), s.uuid());
        let mut streams: Vec<StreamId> = inner
            .streams
            .keys()
            .filter(|s| after.is_none_or(|(a, _)| key(s) >= key(&a)))
            .copied()
            .collect();
        streams.sort_by_key(key);
        Ok(streams
            .into_iter()
            .flat_map(|s| inner.linked(s))
            .filter(|l| {
                after.is_none_or(|(a, v)| key(&l.event.stream) > key(&a) || l.event.version > v)
            })
            .take(limit)
            .collect())
    }

    async fn chain_head(&self, stream: StreamId) -> Result<Option<StreamHead>, StoreError> {
        let inner = self.lock();
        let last = inner.linked(stream).last();
        Ok(last.and_then(|l| {
            Some(StreamHead {
                stream,
                version: l.event.version,
                hash: l.link.hash?,
            })
        }))
    }
}

impl Inner {
    /// A stream's events with their links.
    fn linked(&self, stream: StreamId) -> impl Iterator<Item = Linked> + '_ {
        let events = self.streams.get(&stream).map_or(&[][..], Vec::as_slice);
        let links = self.links.get(&stream).map_or(&[][..], Vec::as_slice);
        events.iter().enumerate().map(move |(i, e)| Linked {
            event: e.clone(),
            link: links.get(i).copied().unwrap_or_default(),
        })
    }
}

#[async_trait]
impl EventAppend for MemoryStore {
    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        if request.events.is_empty() {
            return Ok(request.expected_version);
        }
        let mut inner = self.lock();
        let actual = inner
            .streams
            .get(&request.stream)
            .map_or(0, |s| s.len() as u64);
        if actual != request.expected_version {
            return Err(Conflict {
                stream: request.stream,
                expected: request.expected_version,
                actual,
            }
            .into());
        }
        if let Some(idempotency) = &request.idempotency {
            if inner.keys.contains_key(&idempotency.key) {
                return Err(AppendError::KeyTaken(idempotency.key.clone()));
            }
        }
        if let Some(second) = inner.second_open_case(&request.read_model) {
            return Err(second.into());
        }
        let recorded_at = request.events[0].meta.recorded_at;
        let mut version = actual;
        let mut position = inner.position;
        let recorded: Vec<_> = request
            .events
            .into_iter()
            .map(|e| {
                version += 1;
                position += 1;
                RecordedEvent {
                    stream: request.stream,
                    version,
                    position,
                    event_type: e.event_type,
                    schema_version: e.schema_version,
                    payload: e.payload,
                    meta: e.meta,
                }
            })
            .collect();
        inner.position = position;
        inner
            .streams
            .entry(request.stream)
            .or_default()
            .extend(recorded);
        inner.rechain(request.stream, actual as usize);
        if let Some(snapshot) = request.snapshot {
            inner.snapshots.insert(snapshot.stream, snapshot);
        }
        inner.write_read_model(request.read_model);
        if let Some(listings) = request.listings {
            inner.write_listings(request.stream, listings);
        }
        if let Some(idempotency) = request.idempotency {
            inner.keys.insert(
                idempotency.key.clone(),
                IdempotentAppend {
                    key: idempotency.key,
                    stream: request.stream,
                    first_version: actual + 1,
                    last_version: version,
                    fingerprint: idempotency.fingerprint,
                    recorded_at,
                },
            );
        }
        Ok(version)
    }

    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let events = inner.streams.get(&request.stream).map_or(0, |s| s.len());
        // Check every version before changing anything, so a bad request writes nothing.
        if let Some(missing) = request
            .events
            .iter()
            .find(|e| e.version == 0 || e.version as usize > events)
        {
            return Err(StoreError::Backend(format!(
                "{} has no version {}",
                request.stream, missing.version
            )));
        }
        if let Some(second) = inner.second_open_case(&request.read_model) {
            return Err(StoreError::Backend(second.to_string()));
        }
        let first = request.events.iter().map(|e| e.version).min();
        if let Some(stream) = inner.streams.get_mut(&request.stream) {
            for rewritten in request.events {
                let event = &mut stream[rewritten.version as usize - 1];
                event.payload = rewritten.payload;
                event.meta.reason = rewritten.reason;
            }
        }
        if let Some(first) = first {
            inner.rechain(request.stream, first as usize - 1);
        }
        inner.snapshots.remove(&request.stream);
        inner.write_read_model(request.read_model);
        inner.write_listings(request.stream, request.listings);
        Ok(())
    }
}

fn sorted<T: Clone>(
    rows: impl Iterator<Item = T>,
    order: fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let mut rows: Vec<T> = rows.collect();
    rows.sort_by(order);
    rows
}

#[async_trait]
impl CaseQueries for MemoryStore {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        let inner = self.lock();
        let rows = inner
            .cases
            .values()
            .filter(|c| c.stage == StageName::WaitingList)
            .cloned();
        Ok(sorted(rows, waiting_list_order))
    }

    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        let inner = self.lock();
        let rows = inner
            .cases
            .values()
            .flat_map(|c| c.owed.iter())
            .filter(|a| a.status == "owed")
            .cloned();
        Ok(sorted(rows, owed_order))
    }

    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        let inner = self.lock();
        let rows = inner
            .cases
            .values()
            .filter(|c| c.young_person_id == young_person)
            .cloned();
        Ok(sorted(rows, cases_of_order))
    }

    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        let inner = self.lock();
        let rows = inner
            .cases
            .values()
            .filter(|c| is_review_overdue(c, as_of))
            .cloned();
        Ok(sorted(rows, overdue_order))
    }

    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        Ok(self.lock().cases.get(&case).cloned())
    }

    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        // The reference answer: every listing that matches, in listing order, after the
        // page's position and no more than its limit.
        let inner = self.lock();
        let rows = inner.listings.iter().flat_map(|(stream, listings)| {
            listings
                .iter()
                .filter(|l| query.matches(l))
                .map(|l| Listed {
                    stream: *stream,
                    listing: l.clone(),
                })
        });
        Ok(query.select(rows))
    }
}
