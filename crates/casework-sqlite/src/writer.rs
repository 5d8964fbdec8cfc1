//! The writer thread: the one connection that writes, and group commit.
//!
//! Every write goes through one thread that owns the writing connection. Appends waiting in
//! its queue when it looks are committed together in one `BEGIN IMMEDIATE` transaction, each
//! inside its own savepoint, so a conflicting or failing command is undone alone while the
//! others commit; nobody is answered before the transaction's `COMMIT` has returned.
//! Rewrites (anonymisation, R-23) run on the same thread, each in its own transaction. Each
//! event is linked to the stored one before it (R-18, [`crate::chain`]) inside the command's
//! savepoint, so a command that follows another in the same batch links to its events.
//!
//! Why one module of this size: the writer thread, its group commit, savepoints per command and
//! fault mapping are one piece of concurrency whose invariants must be read together.

use crate::chain;
use crate::codec;
use crate::error::{is_unique_violation, map};
use crate::schema::rollback;
use casework_core::kernel::chain::{ContentDigest, EventHash, Stored};
use casework_core::kernel::event::NewEvent;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, Listing, ReadModelUpdate, YoungPersonSummary};
use casework_core::store::{
    AppendError, AppendRequest, Conflict, RewriteRequest, SecondOpenCase, Snapshot, StoreError,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::Receiver;
use tokio::sync::oneshot;

/// The most commands committed in one transaction.
const MAX_BATCH: usize = 64;

/// A job for the writing connection.
pub(crate) type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A message to the writer thread.
pub(crate) enum Msg {
    /// Append a command's events and rows.
    Append(Box<Encoded>, oneshot::Sender<Result<u64, AppendError>>),
    /// Run anything else on the writing connection (migrations, maintenance).
    Run(Job),
}

/// An append request, encoded for the database on the caller's thread so the writer thread
/// spends its time writing.
pub(crate) struct Encoded {
    stream: StreamId,
    kind: &'static str,
    id: String,
    expected: u64,
    events: Vec<EncodedEvent>,
    read_model: EncodedReadModel,
    snapshot: Option<EncodedSnapshot>,
    listings: Option<Vec<EncodedListing>>,
    idempotency: Option<EncodedKey>,
    /// What a case row refused by the one-open-case index answers.
    second_open_case: Option<SecondOpenCase>,
}

/// An idempotency key's row, but for the versions the append finds.
struct EncodedKey {
    key: String,
    fingerprint: String,
    recorded_at: (i64, i64),
}

struct EncodedEvent {
    /// The digest of what the row will hold, computed here so the writer thread only
    /// links it to the stored predecessor.
    digest: ContentDigest,
    event_type: String,
    schema_version: u32,
    payload: String,
    event_id: String,
    recorded_at: (i64, i64),
    actor_id: String,
    actor_name: String,
    actor_role: &'static str,
    reason: Option<String>,
}

enum EncodedReadModel {
    Case {
        case_id: String,
        young_person_id: String,
        stage: &'static str,
        risk_rank: i64,
        received_at: (i64, i64),
        next_review_due: Option<(i64, i64)>,
        version: i64,
        body: String,
        owed: Vec<EncodedOwed>,
    },
    YoungPerson {
        young_person_id: String,
        birth_year: i32,
        postcode_district: String,
        registered_at: (i64, i64),
        version: i64,
        body: String,
    },
    /// The stream has no row of its own.
    None,
}

struct EncodedOwed {
    action_id: String,
    status: String,
    due_at: (i64, i64),
    body: String,
}

struct EncodedSnapshot {
    kind: &'static str,
    id: String,
    version: i64,
    schema_version: u32,
    state: String,
}

/// One listing as stored; also the identity used to find unchanged rows.
#[derive(PartialEq, Eq, Hash)]
struct EncodedListing {
    kind: &'static str,
    key: String,
    at: Option<(i64, i64)>,
    detail: String,
}

fn encode_listings(listings: Vec<Listing>) -> Vec<EncodedListing> {
    listings
        .into_iter()
        .map(|l| EncodedListing {
            kind: l.kind.as_str(),
            key: l.key,
            at: l.at.map(codec::instant),
            detail: l.detail,
        })
        .collect()
}

fn encode_read_model(update: &ReadModelUpdate) -> Result<EncodedReadModel, StoreError> {
    match update {
        ReadModelUpdate::Case(summary) => encode_case(summary),
        ReadModelUpdate::YoungPerson(summary) => encode_young_person(summary),
        ReadModelUpdate::None => Ok(EncodedReadModel::None),
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("encoding a read-model row: {e}")))
}

impl Encoded {
    /// Encodes a non-empty request.
    pub(crate) fn new(request: AppendRequest) -> Result<Self, StoreError> {
        let recorded_at = request
            .events
            .first()
            .map(|e| codec::instant(e.meta.recorded_at));
        let AppendRequest {
            stream,
            expected_version,
            events,
            read_model,
            snapshot,
            listings,
            idempotency,
        } = request;
        let events = events
            .into_iter()
            .zip(expected_version + 1..)
            .map(|(e, version)| EncodedEvent {
                digest: digest(stream, version, &e),
                event_type: e.event_type,
                schema_version: e.schema_version,
                payload: e.payload,
                event_id: codec::id(e.meta.event_id.as_uuid()),
                recorded_at: codec::instant(e.meta.recorded_at),
                actor_id: codec::id(e.meta.actor.id.as_uuid()),
                actor_name: e.meta.actor.name,
                actor_role: e.meta.actor.role.as_str(),
                reason: e.meta.reason,
            })
            .collect();
        let second_open_case = match &read_model {
            ReadModelUpdate::Case(summary) => Some(SecondOpenCase {
                young_person: summary.young_person_id,
                case: summary.case_id,
                open: None,
            }),
            _ => None,
        };
        let read_model = encode_read_model(&read_model)?;
        let snapshot = snapshot.map(|s: Snapshot| EncodedSnapshot {
            kind: s.stream.kind(),
            id: codec::id(s.stream.uuid()),
            version: codec::version(s.version),
            schema_version: s.schema_version,
            state: s.state,
        });
        Ok(Encoded {
            stream,
            kind: stream.kind(),
            id: codec::id(stream.uuid()),
            expected: expected_version,
            events,
            read_model,
            snapshot,
            listings: listings.map(encode_listings),
            idempotency: idempotency.map(|i| EncodedKey {
                key: i.key,
                fingerprint: i.fingerprint,
                recorded_at: recorded_at.unwrap_or_default(),
            }),
            second_open_case,
        })
    }
}

/// A rewrite request, encoded on the caller's thread like an append.
pub(crate) struct EncodedRewrite {
    stream: StreamId,
    kind: &'static str,
    id: String,
    /// (version, payload, reason) of each event to rewrite.
    events: Vec<(u64, String, Option<String>)>,
    read_model: EncodedReadModel,
    listings: Vec<EncodedListing>,
}

impl EncodedRewrite {
    /// Encodes a rewrite request.
    pub(crate) fn new(request: RewriteRequest) -> Result<Self, StoreError> {
        let RewriteRequest {
            stream,
            events,
            read_model,
            listings,
        } = request;
        Ok(EncodedRewrite {
            stream,
            kind: stream.kind(),
            id: codec::id(stream.uuid()),
            events: events
                .into_iter()
                .map(|e| (e.version, e.payload, e.reason))
                .collect(),
            read_model: encode_read_model(&read_model)?,
            listings: encode_listings(listings),
        })
    }
}

/// The digest of `event` as the row will hold it: its time as the two integers keep it.
fn digest(stream: StreamId, version: u64, event: &NewEvent) -> ContentDigest {
    let (micros, nanos) = codec::instant(event.meta.recorded_at);
    let stored = codec::from_instant(micros, nanos).unwrap_or(event.meta.recorded_at);
    Stored {
        recorded_at: stored,
        ..Stored::new(stream, version, event)
    }
    .digest()
}

fn encode_case(summary: &CaseSummary) -> Result<EncodedReadModel, StoreError> {
    let owed = summary
        .owed
        .iter()
        .map(|a| {
            Ok(EncodedOwed {
                action_id: codec::id(a.action_id.as_uuid()),
                status: a.status.clone(),
                due_at: codec::instant(a.due_at),
                body: json(a)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(EncodedReadModel::Case {
        case_id: codec::id(summary.case_id.as_uuid()),
        young_person_id: codec::id(summary.young_person_id.as_uuid()),
        stage: summary.stage.as_str(),
        risk_rank: summary.risk_rank(),
        received_at: codec::instant(summary.received_at),
        next_review_due: summary.next_review_due.map(codec::instant),
        version: codec::version(summary.version),
        body: json(summary)?,
        owed,
    })
}

fn encode_young_person(summary: &YoungPersonSummary) -> Result<EncodedReadModel, StoreError> {
    Ok(EncodedReadModel::YoungPerson {
        young_person_id: codec::id(summary.young_person_id.as_uuid()),
        birth_year: summary.birth_year,
        postcode_district: summary.postcode_district.clone(),
        registered_at: codec::instant(summary.registered_at),
        version: codec::version(summary.version),
        body: json(summary)?,
    })
}

type Reply = oneshot::Sender<Result<u64, AppendError>>;

/// The writer thread's loop: runs until every handle to the store is dropped and the queue
/// is drained.
pub(crate) fn run(mut conn: Connection, rx: Receiver<Msg>) {
    let mut next: Option<Msg> = None;
    // Whether the file has the chain's columns (schema 5): a file not yet migrated is written
    // as before, and the migration (a job on this thread) hashes what it holds.
    let mut chained = chain::is_chained(&conn);
    loop {
        let msg = match next.take() {
            Some(msg) => msg,
            None => match rx.recv() {
                Ok(msg) => msg,
                Err(_) => break,
            },
        };
        match msg {
            Msg::Run(job) => {
                let outcome = catch_unwind(AssertUnwindSafe(|| job(&mut conn)));
                if outcome.is_err() {
                    rollback(&conn);
                }
                chained = chain::is_chained(&conn);
            }
            Msg::Append(request, reply) => {
                let mut batch = vec![(request, reply)];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(Msg::Append(request, reply)) => batch.push((request, reply)),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                // A panic drops the batch's reply senders, so its callers hear that the writer
                // failed; the open transaction is rolled back, so nothing of it was written.
                let outcome =
                    catch_unwind(AssertUnwindSafe(|| commit_batch(&conn, batch, chained)));
                if outcome.is_err() {
                    rollback(&conn);
                }
            }
        }
    }
}

/// Commits a batch of appends: one transaction, one savepoint per command when there are
/// several. Every reply is sent after the outcome of the transaction is known.
fn commit_batch(conn: &Connection, batch: Vec<(Box<Encoded>, Reply)>, chained: bool) {
    let mut queue = batch.into_iter().peekable();
    while queue.peek().is_some() {
        if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
            let e = map("starting a write transaction", e);
            for (_, reply) in queue {
                let _ = reply.send(Err(e.clone().into()));
            }
            return;
        }
        let several = queue.len() > 1;
        let mut done: Vec<(Reply, u64)> = Vec::new();
        let mut aborted: Option<StoreError> = None;
        for (request, reply) in queue.by_ref() {
            if several {
                if let Err(e) = control(conn, "SAVEPOINT command") {
                    let e = map("starting a savepoint", e);
                    let _ = reply.send(Err(e.clone().into()));
                    aborted = Some(e);
                    break;
                }
            }
            match append(conn, &request, chained) {
                Ok(version) => {
                    if several {
                        if let Err(e) = control(conn, "RELEASE command") {
                            let e = map("releasing a savepoint", e);
                            let _ = reply.send(Err(e.clone().into()));
                            aborted = Some(e);
                            break;
                        }
                    }
                    done.push((reply, version));
                }
                Err(refused) => {
                    // SQLite may have rolled the whole transaction back on its own (a full
                    // disk, an I/O error): then the commands before this one are undone too.
                    let undone = if conn.is_autocommit() {
                        Some(match &refused {
                            AppendError::Store(e) => e.clone(),
                            AppendError::Conflict(_)
                            | AppendError::KeyTaken(_)
                            | AppendError::SecondOpenCase(_) => {
                                StoreError::Backend("the transaction was rolled back".into())
                            }
                        })
                    } else if several {
                        control(conn, "ROLLBACK TO command")
                            .and_then(|()| control(conn, "RELEASE command"))
                            .err()
                            .map(|e| map("rolling back a savepoint", e))
                    } else {
                        None
                    };
                    let _ = reply.send(Err(refused));
                    if let Some(e) = undone {
                        aborted = Some(e);
                        break;
                    }
                }
            }
        }
        if let Some(e) = aborted {
            rollback(conn);
            for (reply, _) in done {
                let _ = reply.send(Err(e.clone().into()));
            }
            continue;
        }
        if done.is_empty() {
            rollback(conn);
            continue;
        }
        match control(conn, "COMMIT") {
            Ok(()) => {
                for (reply, version) in done {
                    let _ = reply.send(Ok(version));
                }
            }
            Err(e) => {
                let e = map("committing", e);
                rollback(conn);
                for (reply, _) in done {
                    let _ = reply.send(Err(e.clone().into()));
                }
            }
        }
    }
}

/// Runs a transaction-control statement, prepared once per connection.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// One append in its own transaction on the caller's connection (the benchmark's baseline).
pub(crate) fn append_inline(conn: &Connection, request: AppendRequest) -> Result<u64, AppendError> {
    if request.events.is_empty() {
        return Ok(request.expected_version);
    }
    let encoded = Encoded::new(request)?;
    control(conn, "BEGIN IMMEDIATE").map_err(|e| map("starting a write transaction", e))?;
    let outcome = append(conn, &encoded, chain::is_chained(conn)).and_then(|version| {
        control(conn, "COMMIT").map_err(|e| AppendError::from(map("committing", e)))?;
        Ok(version)
    });
    if outcome.is_err() {
        rollback(conn);
    }
    outcome
}

const CURRENT_VERSION: &str =
    "SELECT coalesce(max(version), 0) FROM events WHERE stream_kind = ?1 AND stream_id = ?2";

fn current_version(conn: &Connection, request: &Encoded) -> rusqlite::Result<u64> {
    let version: i64 = conn
        .prepare_cached(CURRENT_VERSION)?
        .query_row(params![request.kind, request.id], |row| row.get(0))?;
    Ok(u64::try_from(version).unwrap_or(0))
}

/// One command inside the open transaction: the version check, the events linked to the
/// stored head, the idempotency key, the read-model rows, the snapshot and the listings.
fn append(conn: &Connection, request: &Encoded, chained: bool) -> Result<u64, AppendError> {
    let stream = request.stream;
    let fail = |e: rusqlite::Error| AppendError::from(map(&format!("appending to {stream}"), e));
    // The head's hash comes with the version check, off the same index entry: the links are
    // made from what is stored, under the writer's transaction, never from what a caller says.
    let (actual, head) = if chained {
        chain::head(conn, request.kind, &request.id).map_err(fail)?
    } else {
        (current_version(conn, request).map_err(fail)?, None)
    };
    let conflict = |actual| {
        AppendError::from(Conflict {
            stream,
            expected: request.expected,
            actual,
        })
    };
    if actual != request.expected {
        return Err(conflict(actual));
    }
    // A file not yet migrated to the chain (schema < 5) is written as before; the migration
    // hashes its events.
    let mut insert = conn
        .prepare_cached(if chained {
            "INSERT INTO events (stream_kind, stream_id, version, event_type, schema_version,
                 payload, event_id, recorded_at, recorded_at_ns, actor_id, actor_name,
                 actor_role, reason, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        } else {
            "INSERT INTO events (stream_kind, stream_id, version, event_type, schema_version,
                 payload, event_id, recorded_at, recorded_at_ns, actor_id, actor_name,
                 actor_role, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        })
        .map_err(fail)?;
    let links = casework_core::kernel::chain::chain(head, request.events.iter().map(|e| e.digest));
    let mut version = request.expected;
    for (e, link) in request.events.iter().zip(links) {
        version += 1;
        let columns = params![
            request.kind,
            request.id,
            codec::version(version),
            e.event_type,
            e.schema_version,
            e.payload,
            e.event_id,
            e.recorded_at.0,
            e.recorded_at.1,
            e.actor_id,
            e.actor_name,
            e.actor_role,
            e.reason,
            link.prev.as_ref().map(EventHash::as_bytes),
            link.hash.as_ref().map(EventHash::as_bytes),
        ];
        let inserted = insert.execute(if chained { columns } else { &columns[..13] });
        if let Err(e) = inserted {
            // The unique (stream, version) key: another writer got there first (possible only
            // for a writer outside this store, which the check above cannot see coming).
            return Err(if is_unique_violation(&e) {
                conflict(current_version(conn, request).map_err(fail)?)
            } else {
                fail(e)
            });
        }
    }
    if let Some(k) = &request.idempotency {
        let inserted = conn
            .prepare_cached(
                "INSERT INTO idempotency_keys (key, stream_kind, stream_id, first_version,
                     last_version, fingerprint, recorded_at, recorded_at_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    k.key,
                    request.kind,
                    request.id,
                    codec::version(request.expected + 1),
                    codec::version(version),
                    k.fingerprint,
                    k.recorded_at.0,
                    k.recorded_at.1,
                ])
            });
        if let Err(e) = inserted {
            // The key's primary key: an earlier append, or one earlier in this group commit,
            // recorded it. This command's savepoint is rolled back with its events.
            return Err(if is_unique_violation(&e) {
                AppendError::KeyTaken(k.key.clone())
            } else {
                fail(e)
            });
        }
    }
    write_read_model(conn, &request.read_model).map_err(|e| {
        // The only unique index a case row can break is case_summaries_one_open_case.
        match &request.second_open_case {
            Some(second) if is_unique_violation(&e) => SecondOpenCase {
                // The open case may be another command's of this same group commit, not yet
                // visible to a reader: read it here, inside the transaction.
                open: open_case_of(conn, second.young_person),
                ..second.clone()
            }
            .into(),
            _ => fail(e),
        }
    })?;
    if let Some(s) = &request.snapshot {
        conn.prepare_cached(
            "INSERT INTO snapshots (stream_kind, stream_id, version, schema_version, state)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (stream_kind, stream_id) DO UPDATE SET
                 version = excluded.version,
                 schema_version = excluded.schema_version,
                 state = excluded.state",
        )
        .and_then(|mut st| st.execute(params![s.kind, s.id, s.version, s.schema_version, s.state]))
        .map_err(fail)?;
    }
    // Most commands carry no listings: they cost no statement at all.
    if let Some(listings) = &request.listings {
        write_listings(conn, request.kind, &request.id, listings).map_err(fail)?;
    }
    Ok(version)
}

/// A listing's columns: kind, key, at, at_ns, detail.
type Content<'a> = (&'a str, &'a str, Option<i64>, Option<i64>, &'a str);

/// Replaces a stream's listings with `listings`, writing only the rows that differ: a stream
/// usually rewrites the same listings with one changed or none, and each row written is
/// index pages in the log. Listings are compared whole, as a multiset (a listing has no
/// identity beyond its fields).
fn write_listings(
    conn: &Connection,
    kind: &str,
    id: &str,
    listings: &[EncodedListing],
) -> rusqlite::Result<()> {
    type Stored = (i64, String, String, Option<i64>, Option<i64>, String);
    let stored: Vec<Stored> = conn
        .prepare_cached(
            "SELECT rowid, kind, key, at, at_ns, detail FROM listings
             WHERE stream_kind = ?1 AND stream_id = ?2",
        )?
        .query_map(params![kind, id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // The stored rows by content: each wanted listing takes one, the rest are dropped.
    let mut unclaimed: HashMap<Content<'_>, Vec<i64>> = HashMap::new();
    for (rowid, kind, key, at, at_ns, detail) in &stored {
        unclaimed
            .entry((kind, key, *at, *at_ns, detail))
            .or_default()
            .push(*rowid);
    }
    for l in listings {
        let content = (
            l.kind,
            l.key.as_str(),
            l.at.map(|a| a.0),
            l.at.map(|a| a.1),
            l.detail.as_str(),
        );
        if unclaimed.get_mut(&content).and_then(Vec::pop).is_some() {
            continue;
        }
        conn.prepare_cached(
            "INSERT INTO listings (stream_kind, stream_id, kind, key, at, at_ns, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            kind, id, content.0, content.1, content.2, content.3, content.4
        ])?;
    }
    for rowid in unclaimed.into_values().flatten() {
        conn.prepare_cached("DELETE FROM listings WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    Ok(())
}

/// Rewrites events in place in one `BEGIN IMMEDIATE` transaction: their payloads and
/// reasons, the stream's row and listings, and drops its snapshot (it folds the old
/// payloads). A version that does not exist rolls everything back.
pub(crate) fn rewrite(conn: &Connection, request: &EncodedRewrite) -> Result<(), StoreError> {
    let stream = request.stream;
    control(conn, "BEGIN IMMEDIATE").map_err(|e| map("starting a write transaction", e))?;
    let outcome = rewrite_in_transaction(conn, request).and_then(|()| {
        control(conn, "COMMIT").map_err(|e| map(&format!("committing the rewrite of {stream}"), e))
    });
    if outcome.is_err() {
        rollback(conn);
    }
    outcome
}

fn rewrite_in_transaction(conn: &Connection, request: &EncodedRewrite) -> Result<(), StoreError> {
    let stream = request.stream;
    let fail = |e: rusqlite::Error| map(&format!("rewriting {stream}"), e);
    for (version, payload, reason) in &request.events {
        let changed = conn
            .prepare_cached(
                "UPDATE events SET payload = ?1, reason = ?2
                 WHERE stream_kind = ?3 AND stream_id = ?4 AND version = ?5",
            )
            .and_then(|mut st| {
                st.execute(params![
                    payload,
                    reason,
                    request.kind,
                    request.id,
                    codec::version(*version)
                ])
            })
            .map_err(fail)?;
        if changed != 1 {
            return Err(StoreError::Backend(format!(
                "{stream} has no version {version}: nothing was rewritten"
            )));
        }
    }
    // The rewritten events hash differently, and so does every link after the first.
    if let Some(first) = request.events.iter().map(|(v, _, _)| *v).min() {
        if chain::is_chained(conn) {
            chain::rechain(conn, stream, first)?;
        }
    }
    conn.prepare_cached("DELETE FROM snapshots WHERE stream_kind = ?1 AND stream_id = ?2")
        .and_then(|mut st| st.execute(params![request.kind, request.id]))
        .map_err(fail)?;
    write_read_model(conn, &request.read_model).map_err(fail)?;
    write_listings(conn, request.kind, &request.id, &request.listings).map_err(fail)?;
    Ok(())
}

fn write_read_model(conn: &Connection, row: &EncodedReadModel) -> rusqlite::Result<()> {
    match row {
        EncodedReadModel::Case {
            case_id,
            young_person_id,
            stage,
            risk_rank,
            received_at,
            next_review_due,
            version,
            body,
            owed,
        } => {
            write_case_row(
                conn,
                &CaseRow {
                    case_id,
                    young_person_id,
                    stage,
                    risk_rank: *risk_rank,
                    received_at: *received_at,
                    next_review_due: *next_review_due,
                    version: *version,
                    body,
                },
            )?;
            // The case's owed actions are replaced by the summary's list; only new, changed
            // and dropped rows are written.
            let stored: Vec<(String, String)> = conn
                .prepare_cached("SELECT action_id, body FROM owed_actions WHERE case_id = ?1")?
                .query_map([case_id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for a in owed {
                if stored
                    .iter()
                    .any(|(id, body)| *id == a.action_id && *body == a.body)
                {
                    continue;
                }
                conn.prepare_cached(
                    "INSERT INTO owed_actions (case_id, action_id, status, due_at, due_at_ns, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (case_id, action_id) DO UPDATE SET
                         status = excluded.status,
                         due_at = excluded.due_at,
                         due_at_ns = excluded.due_at_ns,
                         body = excluded.body",
                )?
                .execute(params![
                    case_id,
                    a.action_id,
                    a.status,
                    a.due_at.0,
                    a.due_at.1,
                    a.body
                ])?;
            }
            for (gone, _) in stored
                .iter()
                .filter(|(id, _)| !owed.iter().any(|a| a.action_id == *id))
            {
                conn.prepare_cached(
                    "DELETE FROM owed_actions WHERE case_id = ?1 AND action_id = ?2",
                )?
                .execute(params![case_id, gone])?;
            }
        }
        EncodedReadModel::YoungPerson {
            young_person_id,
            birth_year,
            postcode_district,
            registered_at,
            version,
            body,
        } => {
            conn.prepare_cached(
                "INSERT INTO young_people (young_person_id, birth_year, postcode_district,
                     registered_at, registered_at_ns, version, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (young_person_id) DO UPDATE SET
                     birth_year = excluded.birth_year,
                     postcode_district = excluded.postcode_district,
                     registered_at = excluded.registered_at,
                     registered_at_ns = excluded.registered_at_ns,
                     version = excluded.version,
                     body = excluded.body",
            )?
            .execute(params![
                young_person_id,
                birth_year,
                postcode_district,
                registered_at.0,
                registered_at.1,
                version,
                body,
            ])?;
        }
        EncodedReadModel::None => {}
    }
    Ok(())
}

/// The columns of a case's row.
struct CaseRow<'a> {
    case_id: &'a str,
    young_person_id: &'a str,
    stage: &'a str,
    risk_rank: i64,
    received_at: (i64, i64),
    next_review_due: Option<(i64, i64)>,
    version: i64,
    body: &'a str,
}

/// Writes a case's row, setting only the indexed columns that changed: SQLite rewrites an
/// index entry whenever its columns are assigned, changed or not, and each index page
/// touched is another page in the log. Most commands change no indexed column, or only the
/// stage, so most rows are written with one or two pages instead of four.
fn write_case_row(conn: &Connection, row: &CaseRow<'_>) -> rusqlite::Result<()> {
    type Stored = (String, String, i64, i64, i64, Option<i64>, Option<i64>);
    let stored: Option<Stored> = conn
        .prepare_cached(
            "SELECT young_person_id, stage, risk_rank, received_at, received_at_ns,
                 next_review_due, next_review_due_ns
             FROM case_summaries WHERE case_id = ?1",
        )?
        .query_row([row.case_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    let Some((young_person_id, stage, risk_rank, received, received_ns, due, due_ns)) = stored
    else {
        conn.prepare_cached(
            "INSERT INTO case_summaries (case_id, young_person_id, stage, risk_rank,
                 received_at, received_at_ns, next_review_due, next_review_due_ns, version, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            row.case_id,
            row.young_person_id,
            row.stage,
            row.risk_rank,
            row.received_at.0,
            row.received_at.1,
            row.next_review_due.map(|d| d.0),
            row.next_review_due.map(|d| d.1),
            row.version,
            row.body,
        ])?;
        return Ok(());
    };
    let changed = [
        young_person_id != row.young_person_id,
        stage != row.stage || risk_rank != row.risk_rank,
        (received, received_ns) != row.received_at,
        (due, due_ns)
            != (
                row.next_review_due.map(|d| d.0),
                row.next_review_due.map(|d| d.1),
            ),
    ];
    // Column names only: every value is a bound parameter, whichever columns are set.
    let groups = [
        "young_person_id = ?3",
        "stage = ?4, risk_rank = ?5",
        "received_at = ?6, received_at_ns = ?7",
        "next_review_due = ?8, next_review_due_ns = ?9",
    ];
    let mut sql = String::from("UPDATE case_summaries SET version = ?2, body = ?10");
    for (set, changed) in groups.iter().zip(changed) {
        if changed {
            sql.push_str(", ");
            sql.push_str(set);
        }
    }
    sql.push_str(" WHERE case_id = ?1");
    conn.prepare_cached(&sql)?.execute(params![
        row.case_id,
        row.version,
        row.young_person_id,
        row.stage,
        row.risk_rank,
        row.received_at.0,
        row.received_at.1,
        row.next_review_due.map(|d| d.0),
        row.next_review_due.map(|d| d.1),
        row.body,
    ])?;
    Ok(())
}

/// The young person's case not finished, as this connection sees it.
fn open_case_of(conn: &Connection, young_person: YoungPersonId) -> Option<CaseId> {
    conn.prepare_cached(
        "SELECT case_id FROM case_summaries WHERE young_person_id = ?1
         AND stage NOT IN ('signposted', 'declined', 'withdrawn', 'closed')",
    )
    .and_then(|mut st| {
        st.query_row([codec::id(young_person.as_uuid())], |row| {
            row.get::<_, String>(0)
        })
    })
    .ok()
    .and_then(|id| codec::parse_id(&id))
    .map(CaseId::from_uuid)
}
