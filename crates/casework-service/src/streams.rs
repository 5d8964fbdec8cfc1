//! The one load → decide → append path every aggregate goes through.
//!
//! A command loads its aggregate's stream (from the latest readable snapshot plus the events
//! after it, or by replaying the stream), reads what the decision asked for
//! ([`Aggregate::lookups`]), reads the clock once, decides purely, folds the new events, and
//! appends them with the aggregate's row, any snapshot and the listings that changed, in one
//! transaction at the version it loaded. A concurrent writer makes the append conflict;
//! nothing is retried silently.
//!
//! ## Idempotency keys
//!
//! A command may carry an [`Idempotency`] key (see [`casework_core::kernel::idempotency`]).
//! The order is fixed, and each step can only narrow what the caller learns:
//!
//! 1. load the aggregate and check the caller's permission on it: someone refused
//!    learns nothing, not even whether the key exists;
//! 2. look the key up: a retry of the same request (same fingerprint, same stream) gets the
//!    first call's [`Executed`] back, rebuilt from the stored stream up to the version that
//!    call reached, with [`Executed::replayed`] set, and nothing is decided or appended; a
//!    key used for another request is [`CommandError::IdempotencyKeyReused`];
//! 3. only then the expected version (`If-Match`, which a retry would fail, since the first
//!    call moved the stream on), the decision and the append, which records the key in the
//!    same transaction as the events;
//! 4. an append that loses a race on the key ([`AppendError::KeyTaken`], nothing written)
//!    looks it up again and answers as in step 2.
//!
//! Every aggregate's commands take this one path ([`Casework::execute_keyed`], and the
//! checked handle's `execute_*_with`, which check the permission first). A command that
//! opens a new stream (a workshop planned, intelligence recorded) has nothing to load: it
//! looks the key up first, and a retry answers the stream the first call opened, folded up
//! to the version that call reached.
//!
//! [`AppendError::KeyTaken`]: casework_core::store::AppendError::KeyTaken

use crate::casework::{Casework, CommandError, Executed, LoadError, SNAPSHOT_EVERY};
use crate::error::AccessError;
use crate::identity::{key_store_error, keyring_load_failure};
use crate::keyring::KeyringError;
use casework_core::aggregate::Aggregate;
use casework_core::kernel::actor::Actor;
use casework_core::kernel::confidential::for_storage;
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::event::{
    decode_stream, decode_stream_from, DomainEvent, EventMeta, HistoryError, HistoryProblem,
    NewEvent, Recorded, RecordedEvent,
};
use casework_core::kernel::idempotency::{Idempotency, IdempotentAppend};
use casework_core::kernel::ids::StreamId;
use casework_core::kernel::sealing::{sealed, Sealer};
use casework_core::privacy::access::AccessDenied;
use casework_core::privacy::key_store::KeyOwner;
use casework_core::read::listing::Listings;
use casework_core::store::{AppendRequest, Conflict, Snapshot, Store, StoreError};
use chrono::{DateTime, Utc};

/// An aggregate as loaded: its state, its stream's version and when its last event was
/// recorded.
pub(crate) struct Loaded<A> {
    pub(crate) state: A,
    pub(crate) version: u64,
    pub(crate) last_recorded: DateTime<Utc>,
}

impl<S: Store> Casework<S> {
    /// Loads an aggregate: see the module docs.
    pub(crate) async fn load<A: Aggregate>(&self, id: A::Id) -> Result<Loaded<A>, LoadError> {
        let stream = A::stream(id);
        if let Some(schema) = A::SNAPSHOT_SCHEMA {
            let (snapshot, events) = self.store().load_latest(stream).await?;
            let latest = self
                .reading(|| from_latest::<A>(schema, snapshot.as_ref(), &events, stream))
                .await
                .map_err(keyring_load_failure)?;
            if let Some(loaded) = latest {
                return loaded;
            }
        }
        fold_loaded(&self.load_stream::<A::Event>(stream).await?, stream)
    }

    /// Load, check, decide, append: `check` runs on the very state the command is decided on,
    /// so a permission check and the decision read the same version, and a change
    /// between the two is a conflict at append. With `expected`, a stream found at another
    /// version is a [`Conflict`] after the check and before anything is decided (a front
    /// end's `If-Match`; someone refused learns nothing of the version). With `idempotency`,
    /// a retry is answered after the check and before the version is compared (see the
    /// module docs).
    pub(crate) async fn execute_checked<A: Aggregate>(
        &self,
        actor: &Actor,
        id: A::Id,
        command: A::Command,
        expected: Option<u64>,
        idempotency: Option<Idempotency>,
        check: impl FnOnce(&A) -> Result<(), AccessDenied> + Send,
    ) -> Result<Executed<A>, AccessError> {
        let loaded = self.load::<A>(id).await?;
        check(&loaded.state)?;
        Ok(self
            .execute_loaded(actor, id, loaded, command, expected, idempotency)
            .await?)
    }

    /// Decides and records `command` on the aggregate `id`, unchecked (trusted code), with
    /// an expected version (a stream found at another one is a [`Conflict`], before
    /// anything is decided) and an idempotency key (see the module docs): a retry of the same request (same key, fingerprint and stream) returns the
    /// first call's result ([`Executed::replayed`]) and appends nothing; the key used for
    /// another request is [`CommandError::IdempotencyKeyReused`]. The key is scoped by the
    /// caller ([`IdempotentRequest::scoped_to`](casework_core::kernel::idempotency::IdempotentRequest::scoped_to)).
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the aggregate cannot be loaded: `not_found` when there is no
    ///   such aggregate, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`) when `idempotency`'s key
    ///   was already used for a different request (another fingerprint or another stream); a retry
    ///   of the same request is not an error. `CommandError::Store` (`store_corrupt`) when the
    ///   versions a key recorded are not in the stream.
    /// - `CommandError::Conflict` (`conflict`, R-18) when `expected` is given and the aggregate's
    ///   stream is at another version, before anything is decided.
    /// - `CommandError::Rejected` with the `DomainError` the rules refuse with (its own code,
    ///   naming the rule) when the aggregate's decision refuses ([`Aggregate::decide`]; for a case,
    ///   `Case::decide`).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the
    ///   aggregate's stream after it was loaded.
    /// - `CommandError::Store` (`store_*`) when looking the key up, a lookup the decision needs
    ///   (the waiting list's head or the young person's cases, for the commands that read them), or
    ///   the append fails.
    pub async fn execute_keyed<A: Aggregate>(
        &self,
        actor: &Actor,
        id: A::Id,
        command: A::Command,
        expected: Option<u64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Executed<A>, CommandError> {
        let loaded = self.load::<A>(id).await?;
        self.execute_loaded(actor, id, loaded, command, expected, idempotency)
            .await
    }

    /// Steps 2 to 4 of the module docs, on the aggregate as loaded (and checked).
    async fn execute_loaded<A: Aggregate>(
        &self,
        actor: &Actor,
        id: A::Id,
        loaded: Loaded<A>,
        command: A::Command,
        expected: Option<u64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Executed<A>, CommandError> {
        let stream = A::stream(id);
        if let Some(key) = &idempotency {
            if let Some(first) = self.store().idempotent_append(&key.key).await? {
                return self.replay::<A>(id, key, &first).await;
            }
        }
        if let Some(expected) = expected.filter(|e| *e != loaded.version) {
            return Err(CommandError::Conflict(Conflict {
                stream,
                expected,
                actual: loaded.version,
            }));
        }
        let outcome = self
            .decide_and_append(actor, id, loaded, command, idempotency.clone())
            .await;
        if let (Some(key), Some(first)) =
            (&idempotency, self.raced_key(&outcome, &idempotency).await?)
        {
            return self.replay::<A>(id, key, &first).await;
        }
        outcome
    }

    /// Opens a new stream with the one event `open` decides (given the command's context),
    /// recording `idempotency` with it: a workshop planned, intelligence recorded. The key is
    /// looked up first (there is nothing to load): a retry of the same request answers the
    /// stream the first call opened, as that call left it ([`Casework::replay`]), and opens
    /// nothing; a key recorded for another request, or on a stream `id_of` does not name as
    /// this aggregate's, is [`CommandError::IdempotencyKeyReused`].
    pub(crate) async fn open_keyed<A: Aggregate>(
        &self,
        actor: &Actor,
        idempotency: Option<Idempotency>,
        id_of: fn(StreamId) -> Option<A::Id>,
        open: impl FnOnce(&CommandContext<'_>) -> Result<(A::Id, A::Event), DomainError>,
    ) -> Result<Executed<A>, CommandError> {
        let replay_of = |first: IdempotentAppend| {
            let key = idempotency.as_ref().expect("a key was looked up");
            async move {
                match id_of(first.stream) {
                    Some(id) => self.replay::<A>(id, key, &first).await,
                    None => Err(key.reused().into()),
                }
            }
        };
        if let Some(first) = self.recorded_key(idempotency.as_ref()).await? {
            return replay_of(first).await;
        }
        actor.check().map_err(DomainError::from)?;
        let at = self.now();
        let ctx = CommandContext::new(actor, at, self.profile());
        let (id, event) = open(&ctx)?;
        let state = A::evolve(None, &event).expect("the first event opens the stream");
        let events = vec![event];
        let opened = self
            .open_stream(actor, id, &state, &events, at, idempotency.clone())
            .await
            .map(|version| Executed {
                state,
                version,
                events,
                replayed: false,
            });
        if let Some(first) = self.raced_key(&opened, &idempotency).await? {
            return replay_of(first).await;
        }
        opened
    }

    /// The key an append lost a race on: an append refused because its idempotency key was
    /// already recorded wrote nothing, so the key is looked up again and the caller answers
    /// as for a retry (or refuses a key reused). `None` for any other outcome.
    pub(crate) async fn raced_key<T: Send + Sync>(
        &self,
        outcome: &Result<T, CommandError>,
        idempotency: &Option<Idempotency>,
    ) -> Result<Option<IdempotentAppend>, CommandError> {
        match (outcome, idempotency) {
            (Err(CommandError::IdempotencyKeyReused(_)), Some(key)) => {
                Ok(self.store().idempotent_append(&key.key).await?)
            }
            _ => Ok(None),
        }
    }

    /// The first result of the call that recorded `first`, if this request is a retry of it
    /// (same fingerprint, same stream): the aggregate folded up to the version that call
    /// reached and the events it appended, from the store (so it works after a restart, and
    /// after an anonymisation rewrite gives the rewritten events). Otherwise the key was
    /// reused for another request.
    pub(crate) async fn replay<A: Aggregate>(
        &self,
        id: A::Id,
        key: &Idempotency,
        first: &IdempotentAppend,
    ) -> Result<Executed<A>, CommandError> {
        let stream = A::stream(id);
        if !first.is_retry_of(&key.fingerprint, Some(stream)) {
            return Err(key.reused().into());
        }
        let history = self.load_stream::<A::Event>(stream).await?;
        let reached = history.partition_point(|e| e.version <= first.last_version);
        if history.get(reached - 1).map(|e| e.version) != Some(first.last_version) {
            return Err(StoreError::Corrupt(format!(
                "idempotency key `{}` names {stream} versions {}..={}, which it does not have",
                key.client_key(),
                first.first_version,
                first.last_version
            ))
            .into());
        }
        let Loaded { state, version, .. } = fold_loaded::<A>(&history[..reached], stream)?;
        let events = history[..reached]
            .iter()
            .filter(|e| first.versions().contains(&e.version))
            .map(|e| e.event.clone())
            .collect();
        Ok(Executed {
            state,
            version,
            events,
            replayed: true,
        })
    }

    /// Decides and records `command` on the aggregate `id`, unchecked (trusted code).
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the aggregate cannot be loaded: `not_found` when there is no
    ///   such aggregate, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Rejected` with the `DomainError` the rules refuse with (its own code,
    ///   naming the rule) when the aggregate's decision refuses ([`Aggregate::decide`]; for a case,
    ///   `Case::decide`).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the
    ///   aggregate's stream after it was loaded.
    /// - `CommandError::Store` (`store_*`) when a lookup the decision needs (the waiting list's
    ///   head or the young person's cases, for the commands that read them) or the append fails.
    pub async fn execute_on<A: Aggregate>(
        &self,
        actor: &Actor,
        id: A::Id,
        command: A::Command,
    ) -> Result<Executed<A>, CommandError> {
        let loaded = self.load::<A>(id).await?;
        self.decide_and_append(actor, id, loaded, command, None)
            .await
    }

    pub(crate) async fn decide_and_append<A: Aggregate>(
        &self,
        actor: &Actor,
        id: A::Id,
        loaded: Loaded<A>,
        command: A::Command,
        idempotency: Option<Idempotency>,
    ) -> Result<Executed<A>, CommandError> {
        let Loaded {
            state,
            version,
            last_recorded,
        } = loaded;
        let lookups = state.lookups(&command);
        let waiting_list_head = if lookups.waiting_list_head {
            self.store()
                .waiting_list()
                .await?
                .first()
                .map(|c| c.case_id)
        } else {
            None
        };
        let cases = match lookups.cases_of {
            Some(young_person) => self.store().cases_of(young_person).await?,
            None => Vec::new(),
        };
        // Recorded times never go backwards within a stream, even when the wall clock steps
        // back (NTP): `case_as_of` depends on it.
        let at = self.now().max(last_recorded);
        actor.check().map_err(DomainError::from)?;
        let mut ctx = CommandContext::new(actor, at, self.profile());
        ctx.waiting_list_head = waiting_list_head;
        ctx.cases_of_young_person = &cases;
        let reason = A::stated_reason(&command);
        let events = state.decide(command, &ctx)?;
        let before = state.listings(self.profile());
        let mut next = state;
        for event in &events {
            next = A::evolve(Some(next), event).expect("decided events follow their state");
        }
        let version = self
            .append_to(
                id,
                version,
                &next,
                &events,
                Some(&before),
                actor,
                at,
                reason,
                idempotency,
            )
            .await?;
        Ok(Executed {
            state: next,
            version,
            events,
            replayed: false,
        })
    }

    /// Opens the aggregate `id`'s stream with the events that made `state`, recording
    /// `idempotency` with them.
    pub(crate) async fn open_stream<A: Aggregate>(
        &self,
        actor: &Actor,
        id: A::Id,
        state: &A,
        events: &[A::Event],
        at: DateTime<Utc>,
        idempotency: Option<Idempotency>,
    ) -> Result<u64, CommandError> {
        self.append_to(id, 0, state, events, None, actor, at, None, idempotency)
            .await
    }

    /// The append recorded under `idempotency`'s key, when a command carries one: for a
    /// command that opens a stream, which has nothing to load before it looks.
    pub(crate) async fn recorded_key(
        &self,
        idempotency: Option<&Idempotency>,
    ) -> Result<Option<IdempotentAppend>, CommandError> {
        match idempotency {
            Some(key) => Ok(self.store().idempotent_append(&key.key).await?),
            None => Ok(None),
        }
    }

    /// Appends `events` with the state's row, a snapshot when the append crosses a multiple
    /// of [`SNAPSHOT_EVERY`], the listings when they changed from `before` (most commands
    /// change none) and the idempotency key, if any.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append_to<A: Aggregate>(
        &self,
        id: A::Id,
        expected_version: u64,
        state: &A,
        events: &[A::Event],
        before: Option<&Listings>,
        actor: &Actor,
        at: DateTime<Utc>,
        reason: Option<String>,
        idempotency: Option<Idempotency>,
    ) -> Result<u64, CommandError> {
        // Every write is attributed to an authenticated name: checked here, the
        // one path every append takes.
        actor.check().map_err(DomainError::from)?;
        let stream = A::stream(id);
        let new_version = expected_version + events.len() as u64;
        let crosses = new_version / SNAPSHOT_EVERY > expected_version / SNAPSHOT_EVERY;
        let sealer = self.sealer(state.key_owner(), at).await?;
        let snapshot = A::SNAPSHOT_SCHEMA.filter(|_| crosses).and_then(|schema| {
            Some(Snapshot {
                stream,
                version: new_version,
                schema_version: schema,
                state: sealed(&sealer, || for_storage(|| state.to_snapshot()))?,
            })
        });
        let encoded = sealed(&sealer, || Self::encode(events, actor, at, reason));
        // The listings are compared as rows and, when changed, encoded as stored: identifying
        // details sealed, the duplicate check's block keyed by the blind index.
        let index = match sealer {
            Some(_) => self.index_key(at).await.map_err(keyring_failure)?,
            None => None,
        };
        let listings = Self::indexing(index.as_ref(), || {
            sealed(&sealer, || {
                for_storage(|| {
                    state
                        .listings(self.profile())
                        .replacing(before.unwrap_or(&Listings::default()))
                })
            })
        });
        Ok(self
            .store()
            .append(AppendRequest {
                stream,
                expected_version,
                events: encoded,
                read_model: state.row(new_version),
                snapshot,
                listings,
                idempotency,
            })
            .await?)
    }

    /// The owner's data key to seal with, when this service seals and the aggregate has an
    /// owner (made on first use, at `at`).
    pub(crate) async fn sealer(
        &self,
        owner: Option<KeyOwner>,
        at: DateTime<Utc>,
    ) -> Result<Option<Sealer>, CommandError> {
        match (self.keyring(), owner) {
            (Some(keyring), Some(owner)) => {
                let key = keyring
                    .key_for_writing(self.store(), owner, at)
                    .await
                    .map_err(keyring_failure)?;
                Ok(Some((owner, key)))
            }
            _ => Ok(None),
        }
    }

    /// Events encoded for storage, each with its envelope.
    pub(crate) fn encode<E: DomainEvent>(
        events: &[E],
        actor: &Actor,
        at: DateTime<Utc>,
        reason: Option<String>,
    ) -> Vec<NewEvent> {
        events
            .iter()
            .map(|e| for_storage(|| e.encode(EventMeta::new(actor, at, reason.clone()))))
            .collect()
    }

    /// A whole stream, decoded; [`LoadError::NotFound`] when it has no events.
    pub(crate) async fn load_stream<E: DomainEvent>(
        &self,
        stream: casework_core::kernel::ids::StreamId,
    ) -> Result<Vec<Recorded<E>>, LoadError> {
        let history = self.decoded::<E>(&self.store().load(stream).await?).await?;
        if history.is_empty() {
            return Err(LoadError::NotFound(stream));
        }
        Ok(history)
    }
}

/// An aggregate from its latest snapshot and the events from the snapshot's version on, or
/// from events that are its whole stream (no snapshot); `None` when the stream must be
/// replayed instead: no events, or a snapshot that does not belong or cannot be read (a
/// snapshot past the end of its stream, a restored backup, a bug is never trusted).
fn from_latest<A: Aggregate>(
    schema: u32,
    snapshot: Option<&Snapshot>,
    events: &[RecordedEvent],
    stream: StreamId,
) -> Option<Result<Loaded<A>, LoadError>> {
    let last = events.last()?;
    let Some(snapshot) = snapshot else {
        return Some(
            decode_stream::<A::Event>(events)
                .map_err(LoadError::from)
                .and_then(|history| fold_loaded(&history, stream)),
        );
    };
    let belongs = snapshot.version > 0 && events[0].version == snapshot.version;
    let mut state = (belongs && snapshot.schema_version == schema)
        .then(|| A::from_snapshot(&snapshot.state))
        .flatten()?;
    let tail = match decode_stream_from::<A::Event>(&events[1..], snapshot.version + 1) {
        Ok(tail) => tail,
        Err(e) => return Some(Err(e.into())),
    };
    let version = tail.last().map_or(snapshot.version, |e| e.version);
    for e in &tail {
        match A::evolve(Some(state), &e.event) {
            Some(next) => state = next,
            None => return Some(Err(cannot_follow(e).into())),
        }
    }
    Some(Ok(Loaded {
        state,
        version,
        last_recorded: last.meta.recorded_at,
    }))
}

fn fold_loaded<A: Aggregate>(
    history: &[Recorded<A::Event>],
    stream: casework_core::kernel::ids::StreamId,
) -> Result<Loaded<A>, LoadError> {
    let mut state = None;
    for recorded in history {
        state = Some(A::evolve(state, &recorded.event).ok_or_else(|| cannot_follow(recorded))?);
    }
    let state = state.ok_or(LoadError::NotFound(stream))?;
    let last = history.last().expect("a found stream has events");
    Ok(Loaded {
        state,
        version: last.version,
        last_recorded: last.meta.recorded_at,
    })
}

fn cannot_follow<E: DomainEvent>(bad: &Recorded<E>) -> HistoryError {
    HistoryError {
        stream: bad.stream,
        version: bad.version,
        problem: HistoryProblem::CannotFollow {
            event_type: bad.event.event_type().to_owned(),
        },
    }
}

/// A keyring failure as a command's: the store's own failure, or the key's, named.
pub(crate) fn keyring_failure(e: KeyringError) -> CommandError {
    CommandError::Store(key_store_error(e))
}
