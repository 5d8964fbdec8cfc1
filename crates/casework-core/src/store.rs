//! Storage: the traits every adapter implements.
//!
//! Small traits, joined by a blanket impl: [`EventLoad`] reads a stream, [`EventAppend`]
//! appends to one with an expected version (optimistic concurrency), [`CaseQueries`] answers
//! the read-model queries. Anything that implements all three is a [`Store`]. All are
//! object-safe and `Send + Sync`, so a front end can hold an `Arc<dyn Store>`.
//!
//! Errors are kept apart by operation: an append either conflicts ([`AppendError::Conflict`],
//! someone else wrote first, reload and decide again), finds its idempotency key taken
//! ([`AppendError::KeyTaken`]), finds its young person already with an open case
//! ([`AppendError::SecondOpenCase`], the one domain rule a store holds, because only the
//! store's transaction can settle a race on it: R-17), or fails in the backend
//! ([`StoreError`]). Other domain errors are not storage errors and never pass through here.
//!
//! An append may carry an idempotency key ([`AppendRequest::idempotency`]), which the store
//! records in the same transaction as the events and answers from
//! [`EventLoad::idempotent_append`]; see [`crate::kernel::idempotency`].
//!
//! Every stored event is a link of its stream's hash chain (R-18, [`crate::kernel::chain`]):
//! the store itself records the links, in the append's transaction, from the stored
//! predecessor it reads there under the same guard as the version check, so no event is ever
//! stored with a predecessor hash other than the one before it; [`EventLoad::load_linked_after`]
//! and [`EventLoad::linked_page`] read them back for checking.

use crate::kernel::chain::{Linked, StreamHead};
use crate::kernel::event::{NewEvent, RecordedEvent};
use crate::kernel::idempotency::{Idempotency, IdempotentAppend};
use crate::kernel::ids::{CaseId, StreamId, YoungPersonId};
use crate::privacy::key_store::KeyStore;
use crate::read::rows::{
    CaseSummary, Listed, Listing, ListingQuery, OwedActionSummary, ReadModelUpdate,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

/// Someone else appended to the stream first.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{stream} is at version {actual}, not the expected {expected}: reload it and decide again")]
pub struct Conflict {
    /// The stream.
    pub stream: StreamId,
    /// The version the writer expected.
    pub expected: u64,
    /// The stream's version found; differs from `expected` (above it after a lost race,
    /// below it when the writer expected a version the stream never reached).
    pub actual: u64,
}

/// A case's read-model row would give its young person a second case not finished: one open
/// case per young person, held by the store so that two referrals decided at the same
/// moment cannot both open one.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{young_person} already has a case not finished, so {case} cannot be open too (R-17)")]
pub struct SecondOpenCase {
    /// The young person.
    pub young_person: YoungPersonId,
    /// The case whose row was refused.
    pub case: CaseId,
    /// The young person's case already open, when the store can tell inside the refused
    /// append (SQLite and memory; Postgres reports it committed, so a read finds it).
    pub open: Option<CaseId>,
}

/// The storage backend failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The database could not be reached or refused the operation. If the connection broke
    /// after a commit was sent the outcome is unknown: retrying the same append is safe, because
    /// if the first one landed the retry conflicts on its expected version.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database is busy (locked) beyond the configured wait; nothing was written.
    #[error("storage busy: {0}")]
    Busy(String),
    /// The database file or schema is not a Casework database, or is damaged.
    #[error("storage corrupt or foreign: {0}")]
    Corrupt(String),
    /// The database was written by a newer version of the library.
    #[error("database schema version {found} is newer than this library supports ({supported}); upgrade the library")]
    SchemaTooNew {
        /// Version found.
        found: i64,
        /// Newest version supported.
        supported: i64,
    },
    /// The disk is full; nothing was written.
    #[error("storage full: {0}")]
    Full(String),
    /// Any other backend failure; nothing was written.
    #[error("storage failure: {0}")]
    Backend(String),
}

/// Why an append did not happen. Nothing was written in either case.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AppendError {
    /// Optimistic concurrency: another writer won.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The request's idempotency key is already recorded (for this request or another): a
    /// racing call with the same key appended first. Nothing of this request was written;
    /// look the key up ([`EventLoad::idempotent_append`]) and replay or refuse.
    #[error("idempotency key `{0}` is already recorded: look it up instead of appending")]
    KeyTaken(String),
    /// The request's case row ([`ReadModelUpdate::Case`]) is at a stage not finished, and
    /// its young person already has another such case. Nothing was written.
    #[error(transparent)]
    SecondOpenCase(#[from] SecondOpenCase),
    /// The backend failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A case's state folded up to a version, stored so a long case loads without replaying its
/// whole history. Written in the same transaction as the events it folds; ignored (and the
/// stream replayed) when its schema version is not the library's or it does not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The stream.
    pub stream: StreamId,
    /// The last version folded into `state`.
    pub version: u64,
    /// The snapshot format's version.
    pub schema_version: u32,
    /// The state, JSON text.
    pub state: String,
}

/// One command's events and read-model rows, appended atomically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendRequest {
    /// The stream.
    pub stream: StreamId,
    /// The stream's version the command was decided on (0 for a new stream).
    pub expected_version: u64,
    /// The events, numbered `expected_version + 1 …` by the store.
    pub events: Vec<NewEvent>,
    /// The read-model rows, written in the same transaction.
    pub read_model: ReadModelUpdate,
    /// A snapshot of the state after these events, replacing the stream's previous one.
    pub snapshot: Option<Snapshot>,
    /// The stream's listings after these events, replacing all its previous ones; `None`
    /// leaves them as they are (most commands change none).
    pub listings: Option<Vec<Listing>>,
    /// The command's idempotency key, recorded with the events in the same transaction
    /// (unique: a key already recorded fails the append with [`AppendError::KeyTaken`] and
    /// writes nothing). The record names the stream, the versions written, the fingerprint
    /// and the first event's `recorded_at`. Ignored, like the rest, by an empty append.
    pub idempotency: Option<Idempotency>,
}

/// One stored event's new payload and reason, for [`EventAppend::rewrite`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RewrittenEvent {
    /// The event's version in its stream.
    pub version: u64,
    /// The new payload, JSON text (same type and schema version).
    pub payload: String,
    /// The new stated reason.
    pub reason: Option<String>,
}

/// Rewrites stored events in place: only for anonymisation under the retention schedule
/// the one case where history is changed rather than added to. The erasure itself is
/// recorded as an event on the young person's retention stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RewriteRequest {
    /// The stream.
    pub stream: StreamId,
    /// The events to rewrite; each must exist.
    pub events: Vec<RewrittenEvent>,
    /// The stream's read-model row after rewriting.
    pub read_model: ReadModelUpdate,
    /// The stream's listings after rewriting (replacing them all).
    pub listings: Vec<Listing>,
}

/// Reads a stream.
#[async_trait]
pub trait EventLoad: Send + Sync {
    /// Every event of `stream`, in version order; empty for an unknown stream.
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events of `stream` after `version`, in version order.
    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stream's latest snapshot, if one was written.
    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError>;

    /// What deciding a command needs, in one call: the latest snapshot and the events from the
    /// snapshot's own last version on (so the caller can check the snapshot belongs to the
    /// stream), or the whole stream when there is no snapshot. Stores override it to read
    /// both in one round trip; reading the snapshot first keeps the pair consistent, because
    /// events are only ever appended.
    async fn load_latest(
        &self,
        stream: StreamId,
    ) -> Result<(Option<Snapshot>, Vec<RecordedEvent>), StoreError> {
        let snapshot = self.load_snapshot(stream).await?;
        let from = snapshot.as_ref().map_or(0, |s| s.version.saturating_sub(1));
        Ok((snapshot, self.load_after(stream, from).await?))
    }

    /// The append recorded under the idempotency key `key` (scoped, as stored), if any. Keys
    /// are kept as long as the events, through restarts and anonymisation rewrites.
    ///
    /// Every store of the library implements it; the default, for stores written before keys
    /// existed, refuses with [`StoreError::Backend`], so a keyed command on such a store fails
    /// rather than runs twice.
    async fn idempotent_append(&self, key: &str) -> Result<Option<IdempotentAppend>, StoreError> {
        Err(StoreError::Backend(format!(
            "this store does not keep idempotency keys (looking up `{key}`)"
        )))
    }

    /// The events of `stream` after `version`, in version order, each with the two hashes of
    /// its link in the stream's chain (R-18, [`crate::kernel::chain`]), as stored: what
    /// `verify` checks. Every append records them in its transaction, each new event linked
    /// to the stored one before it; a rewrite records them again from its first
    /// rewritten version on.
    ///
    /// Every store of the library implements it; the default, for stores written before the
    /// chain, refuses with [`StoreError::Backend`], so verifying such a store fails rather
    /// than passes.
    async fn load_linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<Linked>, StoreError> {
        let _ = version;
        Err(StoreError::Backend(format!(
            "this store does not keep a hash chain (reading {stream})"
        )))
    }

    /// Up to `limit` stored events of every stream with their links, in the order of stream
    /// kind (as [`StreamId::kind`] spells it), stream uuid and version, starting after
    /// `after` (a stream and a version; `None`: from the first): verifying a whole store
    /// reads it in these pages, one stream after another.
    ///
    /// The default refuses with [`StoreError::Backend`], as [`EventLoad::load_linked_after`].
    async fn linked_page(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<Linked>, StoreError> {
        let _ = (after, limit);
        Err(StoreError::Backend(
            "this store does not keep a hash chain".into(),
        ))
    }

    /// The last link of `stream` (its version and hash), or `None` for an empty stream. The
    /// default, for stores written before the chain, answers `None`: such a store has nothing
    /// to pin.
    async fn chain_head(&self, stream: StreamId) -> Result<Option<StreamHead>, StoreError> {
        let _ = stream;
        Ok(None)
    }
}

/// Appends to a stream.
#[async_trait]
pub trait EventAppend: Send + Sync {
    /// Appends `request.events` if the stream is at `request.expected_version`, writing the
    /// read-model rows and the idempotency key, if any, in the same transaction; returns the
    /// new version. Of two racing appends at the same version exactly one succeeds; the other
    /// gets [`AppendError::Conflict`]. Of two carrying the same key exactly one succeeds; the
    /// other gets [`AppendError::KeyTaken`] (or a conflict, when both race on one stream). A
    /// case row at a stage not finished whose young person already has another such case fails
    /// with [`AppendError::SecondOpenCase`] (R-17: of racing referrals for one young person,
    /// exactly one opens a case). An empty append writes nothing and returns
    /// `expected_version` unchecked.
    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError>;

    /// Rewrites the payload and reason of existing events of one stream, replaces its
    /// read-model row and listings and deletes its snapshot, all in one transaction; the
    /// stream's versions, types, times and actors, and the idempotency keys recorded for it,
    /// are untouched. The chain is recorded again from the first rewritten version to the
    /// stream's end, in the same transaction (a rewritten event hashes differently, and so
    /// does every link after it); the service records the new head on the retention stream.
    /// A version that does not exist fails the whole request ([`StoreError::Backend`]) and
    /// writes nothing.
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError>;
}

/// The queries the library offers over its read models.
#[async_trait]
pub trait CaseQueries: Send + Sync {
    /// Cases on the waiting list, in R-7 order ([`crate::read::rows::waiting_list_order`]).
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError>;
    /// Owed actions not yet discharged, soonest due first.
    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError>;
    /// A young person's cases, oldest referral first.
    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError>;
    /// Cases whose review was due before `as_of`, longest overdue first.
    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError>;
    /// One case's row.
    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError>;
    /// The listings that match `query`, in [`crate::read::rows::listing_order`]: exactly
    /// [`ListingQuery::select`] over every stored listing. With [`ListingQuery::after`] and
    /// [`ListingQuery::limit`] (a page), a store reads only the listings after the position,
    /// and at most the limit, from the same index as the whole list (keyset paging: a listing
    /// written or removed between two pages moves no other across the boundary).
    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError>;
}

/// A complete store: load, append, query and keep data keys.
pub trait Store: EventLoad + EventAppend + CaseQueries + KeyStore {}

impl<T: EventLoad + EventAppend + CaseQueries + KeyStore + ?Sized> Store for T {}

#[async_trait]
impl<T: EventLoad + ?Sized> EventLoad for std::sync::Arc<T> {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        (**self).load(stream).await
    }
    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        (**self).load_after(stream, version).await
    }
    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        (**self).load_snapshot(stream).await
    }
    async fn load_latest(
        &self,
        stream: StreamId,
    ) -> Result<(Option<Snapshot>, Vec<RecordedEvent>), StoreError> {
        (**self).load_latest(stream).await
    }
    async fn idempotent_append(&self, key: &str) -> Result<Option<IdempotentAppend>, StoreError> {
        (**self).idempotent_append(key).await
    }
    async fn load_linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<Linked>, StoreError> {
        (**self).load_linked_after(stream, version).await
    }
    async fn linked_page(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<Linked>, StoreError> {
        (**self).linked_page(after, limit).await
    }
    async fn chain_head(&self, stream: StreamId) -> Result<Option<StreamHead>, StoreError> {
        (**self).chain_head(stream).await
    }
}

#[async_trait]
impl<T: EventAppend + ?Sized> EventAppend for std::sync::Arc<T> {
    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        (**self).append(request).await
    }
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        (**self).rewrite(request).await
    }
}

#[async_trait]
impl<T: CaseQueries + ?Sized> CaseQueries for std::sync::Arc<T> {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        (**self).waiting_list().await
    }
    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        (**self).outstanding_actions().await
    }
    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        (**self).cases_of(young_person).await
    }
    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        (**self).overdue_reviews(as_of).await
    }
    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        (**self).case_summary(case).await
    }
    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        (**self).listings(query).await
    }
}

impl crate::kernel::code::ErrorCode for Conflict {
    fn code(&self) -> &'static str {
        "conflict"
    }
}

impl crate::kernel::code::ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Unavailable(_) => "store_unavailable",
            StoreError::Busy(_) => "store_busy",
            StoreError::Corrupt(_) => "store_corrupt",
            StoreError::SchemaTooNew { .. } => "schema_too_new",
            StoreError::Full(_) => "store_full",
            StoreError::Backend(_) => "store_failed",
        }
    }
}

impl crate::kernel::code::ErrorCode for AppendError {
    fn code(&self) -> &'static str {
        match self {
            AppendError::Conflict(c) => crate::kernel::code::ErrorCode::code(c),
            AppendError::KeyTaken(_) => "idempotency_key_reused",
            AppendError::SecondOpenCase(_) => "open_case_exists",
            AppendError::Store(s) => crate::kernel::code::ErrorCode::code(s),
        }
    }
}
