//! The readers: connections that only read, each owned by its own thread.
//!
//! In WAL mode readers never wait for the writer nor it for them; each query sees the
//! database as of its start, so it never sees half a command.

use crate::codec;
use crate::error::map;
use casework_core::actor::{Actor, Role};
use casework_core::event::{EventMeta, RecordedEvent};
use casework_core::ids::{EventId, StaffId, StreamId};
use casework_core::store::{Snapshot, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::de::DeserializeOwned;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A job for a reading connection.
pub(crate) type Job = Box<dyn FnOnce(&Connection) + Send>;

/// The reader threads, each with its own queue. A job goes to the reader with the fewest
/// jobs in hand, the first such: a caller issuing one read at a time always reaches the same
/// thread, whose connection has its pages cached, and concurrent reads spread out.
pub(crate) struct Pool {
    readers: Vec<(Sender<Job>, Arc<AtomicUsize>)>,
}

impl Pool {
    /// Starts one thread per connection.
    pub(crate) fn start(
        connections: Vec<Connection>,
        threads: &mut Vec<JoinHandle<()>>,
    ) -> std::io::Result<Self> {
        let mut readers = Vec::new();
        for (n, conn) in connections.into_iter().enumerate() {
            let (tx, rx) = mpsc::channel::<Job>();
            let in_hand = Arc::new(AtomicUsize::new(0));
            let done = in_hand.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("casework-sqlite-reader-{n}"))
                    .spawn(move || {
                        for job in rx {
                            // A panic drops the job's reply sender, so its caller hears of the
                            // failure; the connection only reads, so there is nothing to undo.
                            let _ = catch_unwind(AssertUnwindSafe(|| job(&conn)));
                            done.fetch_sub(1, Ordering::AcqRel);
                        }
                    })?,
            );
            readers.push((tx, in_hand));
        }
        Ok(Pool { readers })
    }

    /// Queues a job on the least busy reader; `false` if the readers have stopped.
    pub(crate) fn send(&self, job: Job) -> bool {
        let Some((tx, in_hand)) = self
            .readers
            .iter()
            .min_by_key(|(_, in_hand)| in_hand.load(Ordering::Acquire))
        else {
            return false;
        };
        in_hand.fetch_add(1, Ordering::AcqRel);
        if tx.send(job).is_err() {
            in_hand.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        true
    }
}

fn corrupt(what: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {why}"))
}

const EVENT_COLUMNS: &str = "SELECT version, position, event_type, schema_version, payload, \
    event_id, recorded_at, recorded_at_ns, actor_id, actor_name, actor_role, reason \
    FROM events WHERE stream_kind = ?1 AND stream_id = ?2 AND version > ?3 ORDER BY version";

/// The raw columns of one event row, decoded after the statement has finished.
type EventRow = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
);

fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
    ))
}

fn decode_event(stream: StreamId, row: EventRow) -> Result<RecordedEvent, StoreError> {
    let (
        version,
        position,
        event_type,
        schema_version,
        payload,
        event_id,
        recorded_us,
        recorded_ns,
        actor_id,
        actor_name,
        actor_role,
        reason,
    ) = row;
    let what = || format!("{stream} version {version}");
    let bad = |field: &str| corrupt(&what(), format!("stored {field} does not decode"));
    Ok(RecordedEvent {
        stream,
        version: u64::try_from(version).map_err(|_| bad("version"))?,
        position: u64::try_from(position).map_err(|_| bad("position"))?,
        event_type,
        schema_version: u32::try_from(schema_version).map_err(|_| bad("schema_version"))?,
        payload,
        meta: EventMeta {
            event_id: EventId::from_uuid(
                codec::parse_id(&event_id).ok_or_else(|| bad("event_id"))?,
            ),
            recorded_at: codec::from_instant(recorded_us, recorded_ns)
                .ok_or_else(|| bad("recorded_at"))?,
            actor: Actor {
                id: StaffId::from_uuid(codec::parse_id(&actor_id).ok_or_else(|| bad("actor_id"))?),
                name: actor_name,
                role: Role::parse(&actor_role).ok_or_else(|| bad("actor_role"))?,
            },
            reason,
        },
    })
}

/// The events of `stream` after `after`, in version order.
pub(crate) fn load(
    conn: &Connection,
    stream: StreamId,
    after: u64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if after >= i64::MAX as u64 {
        return Ok(Vec::new());
    }
    let reading = |e| map(&format!("loading {stream}"), e);
    let rows: Vec<EventRow> = conn
        .prepare_cached(EVENT_COLUMNS)
        .map_err(reading)?
        .query_map(
            params![
                stream.kind(),
                codec::id(stream.uuid()),
                codec::version(after)
            ],
            event_row,
        )
        .map_err(reading)?
        .collect::<rusqlite::Result<_>>()
        .map_err(reading)?;
    rows.into_iter().map(|r| decode_event(stream, r)).collect()
}

/// The stream's snapshot.
pub(crate) fn snapshot(
    conn: &Connection,
    stream: StreamId,
) -> Result<Option<Snapshot>, StoreError> {
    let reading = |e| map(&format!("loading the snapshot of {stream}"), e);
    let row: Option<(i64, i64, String)> = conn
        .prepare_cached(
            "SELECT version, schema_version, state FROM snapshots
             WHERE stream_kind = ?1 AND stream_id = ?2",
        )
        .map_err(reading)?
        .query_row(params![stream.kind(), codec::id(stream.uuid())], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()
        .map_err(reading)?;
    row.map(|(version, schema_version, state)| {
        let bad = |f: &str| {
            corrupt(
                &format!("snapshot of {stream}"),
                format!("stored {f} does not decode"),
            )
        };
        Ok(Snapshot {
            stream,
            version: u64::try_from(version).map_err(|_| bad("version"))?,
            schema_version: u32::try_from(schema_version).map_err(|_| bad("schema_version"))?,
            state,
        })
    })
    .transpose()
}

/// Runs a query whose single column is a JSON body, decoding each row.
pub(crate) fn bodies<T: DeserializeOwned>(
    conn: &Connection,
    what: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let reading = |e| map(&format!("querying {what}"), e);
    let mut statement = conn.prepare_cached(sql).map_err(reading)?;
    let mut rows = statement.query(params).map_err(reading)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(reading)? {
        let body = row
            .get_ref(0)
            .map_err(reading)?
            .as_str()
            .map_err(|e| reading(e.into()))?;
        out.push(serde_json::from_str(body).map_err(|e| corrupt(&format!("a row of {what}"), e))?);
    }
    Ok(out)
}

/// The waiting list.
pub(crate) const WAITING_LIST: &str = "SELECT body FROM case_summaries WHERE stage = ?1 \
    ORDER BY risk_rank DESC, received_at, received_at_ns, case_id";

/// Outstanding owed actions.
pub(crate) const OUTSTANDING: &str = "SELECT body FROM owed_actions WHERE status = ?1 \
    ORDER BY due_at, due_at_ns, action_id";

/// A young person's cases.
pub(crate) const CASES_OF: &str = "SELECT body FROM case_summaries WHERE young_person_id = ?1 \
    ORDER BY received_at, received_at_ns, case_id";

/// Reviews due strictly before an instant.
pub(crate) const OVERDUE: &str = "SELECT body FROM case_summaries \
    WHERE next_review_due <= ?1 AND (next_review_due < ?1 OR next_review_due_ns < ?2) \
    ORDER BY next_review_due, next_review_due_ns, case_id";

/// One case's row.
pub(crate) const CASE: &str = "SELECT body FROM case_summaries WHERE case_id = ?1";
