//! The readers: connections that only read, each owned by its own thread.
//!
//! In WAL mode readers never wait for the writer nor it for them; each query sees the
//! database as of its start, so it never sees half a command.

use crate::codec;
use crate::error::map;
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::event::{EventMeta, RecordedEvent};
use casework_core::kernel::idempotency::IdempotentAppend;
use casework_core::kernel::ids::{EventId, StaffId, StreamId};
use casework_core::read::rows::{Listed, Listing, ListingQuery};
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
pub(crate) type EventRow = (
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

pub(crate) fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
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

pub(crate) fn decode_event(stream: StreamId, row: EventRow) -> Result<RecordedEvent, StoreError> {
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

/// The append recorded under an idempotency key.
pub(crate) fn idempotent_append(
    conn: &Connection,
    key: &str,
) -> Result<Option<IdempotentAppend>, StoreError> {
    let reading = |e| map("looking up an idempotency key", e);
    type KeyRow = (String, String, i64, i64, String, i64, i64);
    let row: Option<KeyRow> = conn
        .prepare_cached(
            "SELECT stream_kind, stream_id, first_version, last_version, fingerprint,
                 recorded_at, recorded_at_ns
             FROM idempotency_keys WHERE key = ?1",
        )
        .map_err(reading)?
        .query_row([key], |r| {
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
        .optional()
        .map_err(reading)?;
    row.map(|(kind, id, first, last, fingerprint, at_us, at_ns)| {
        let bad = |f: &str| {
            corrupt(
                &format!("idempotency key `{key}`"),
                format!("stored {f} does not decode"),
            )
        };
        Ok(IdempotentAppend {
            key: key.to_owned(),
            stream: codec::parse_id(&id)
                .and_then(|id| StreamId::from_parts(&kind, id))
                .ok_or_else(|| bad("stream"))?,
            first_version: u64::try_from(first).map_err(|_| bad("first_version"))?,
            last_version: u64::try_from(last).map_err(|_| bad("last_version"))?,
            fingerprint,
            recorded_at: codec::from_instant(at_us, at_ns).ok_or_else(|| bad("recorded_at"))?,
        })
    })
    .transpose()
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

/// The listings matching `query`, in `listing_order`. The index on (kind[, key], at, at_ns,
/// stream kind, stream id[, key]) yields the rows in order; SQLite reads a `NULLS LAST`
/// column of an ascending index in two passes (timed rows, then untimed), so only exact ties
/// are sorted, by detail.
///
/// A page after a timed listing is read in the same two parts, each a range of the index:
/// the timed listings after the position, then, when the limit is not yet reached and no
/// time bound leaves them out, the untimed ones (they come last). An `OR at IS NULL` in one
/// statement would make SQLite read the index from the start of the kind instead.
pub(crate) fn listings(conn: &Connection, query: &ListingQuery) -> Result<Vec<Listed>, StoreError> {
    let mut listed = read_listings(conn, query, Part::Whole)?;
    let timed_after = query.after.as_ref().is_some_and(|p| p.at.is_some());
    let unbounded = query.from.is_none() && query.to.is_none();
    let room = query.limit.map(|n| n.saturating_sub(listed.len()));
    if timed_after && unbounded && room != Some(0) {
        let tail = ListingQuery {
            after: None,
            limit: room,
            ..query.clone()
        };
        listed.extend(read_listings(conn, &tail, Part::Untimed)?);
    }
    Ok(listed)
}

/// Which listings of a query one statement reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// All it selects (after a timed position: the timed ones only).
    Whole,
    /// Only those without a time.
    Untimed,
}

fn read_listings(
    conn: &Connection,
    query: &ListingQuery,
    part: Part,
) -> Result<Vec<Listed>, StoreError> {
    let what = format!("{} listings", query.kind.as_str());
    let reading = |e| map(&format!("querying {what}"), e);
    let sql = listings_part_sql(query, part);
    let kind = query.kind.as_str();
    let from = query.from.map(codec::instant);
    let to = query.to.map(codec::instant);
    let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":kind", &kind)];
    if let Some(key) = &query.key {
        params.push((":key", key));
    }
    if let Some((micros, nanos)) = &from {
        params.extend([(":from", micros as _), (":from_ns", nanos as _)]);
    }
    if let Some((micros, nanos)) = &to {
        params.extend([(":to", micros as _), (":to_ns", nanos as _)]);
    }
    let after = query.after.as_ref().map(|p| {
        (
            p.at.map(codec::instant),
            p.stream.kind(),
            codec::id(p.stream.uuid()),
        )
    });
    if let (Some(position), Some((at, stream_kind, stream_id))) = (&query.after, &after) {
        if let Some((micros, nanos)) = at {
            params.extend([(":after", micros as _), (":after_ns", nanos as _)]);
        }
        params.extend([
            (":after_kind", stream_kind as _),
            (":after_id", stream_id as _),
            (":after_key", &position.key as _),
        ]);
        if let Some(detail) = &position.detail {
            params.push((":after_detail", detail));
        }
    }
    // SQLite binds integers as i64: a limit past that is no limit.
    let limit = query.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    if let Some(limit) = &limit {
        params.push((":limit", limit));
    }
    let rows: Vec<ListingRow> = conn
        .prepare_cached(&sql)
        .map_err(reading)?
        .query_map(&*params, listing_row)
        .map_err(reading)?
        .collect::<rusqlite::Result<_>>()
        .map_err(reading)?;
    rows.into_iter()
        .map(|row| decode_listing(&what, query, row))
        .collect()
}

/// The statement for `query`'s shape: column names and placeholders only, every value is a
/// bound parameter. A bound leaves out the listings without a time (NULL compares false).
/// After a timed position it reads the timed listings after it only: see [`listings`].
pub(crate) fn listings_sql(query: &ListingQuery) -> String {
    listings_part_sql(query, Part::Whole)
}

/// The statement for one part of `query` (see [`listings`]).
pub(crate) fn listings_part_sql(query: &ListingQuery, part: Part) -> String {
    let mut sql = String::from(
        "SELECT stream_kind, stream_id, key, at, at_ns, detail FROM listings WHERE kind = :kind",
    );
    if query.key.is_some() {
        sql.push_str(" AND key = :key");
    }
    let timed_after = query.after.as_ref().is_some_and(|p| p.at.is_some());
    if query.from.is_some() {
        if timed_after {
            // The position seeks the index; the bound is only checked (`+at` keeps SQLite
            // from seeking to the bound instead and reading up to the position).
            sql.push_str(" AND +at >= :from AND (at > :from OR at_ns >= :from_ns)");
        } else {
            sql.push_str(" AND at >= :from AND (at > :from OR at_ns >= :from_ns)");
        }
    }
    if query.to.is_some() {
        sql.push_str(" AND at <= :to AND (at < :to OR at_ns < :to_ns)");
    }
    if part == Part::Untimed {
        sql.push_str(" AND at IS NULL");
    }
    if let Some(position) = &query.after {
        // After the position: a row comparison, over the detail too unless the position is
        // after a whole tie ([`ListingPosition::detail`] `None`).
        let (columns, values) = match position.detail {
            Some(_) => (
                "stream_kind, stream_id, key, detail",
                ":after_kind, :after_id, :after_key, :after_detail",
            ),
            None => (
                "stream_kind, stream_id, key",
                ":after_kind, :after_id, :after_key",
            ),
        };
        if position.at.is_some() {
            // After a timed listing: the timed ones after it, a range of the index (a NULL
            // `at` compares false: the untimed ones are the second part).
            sql.push_str(&format!(
                " AND (at, at_ns, {columns}) > (:after, :after_ns, {values})"
            ));
        } else {
            // After an untimed listing: only untimed ones after it.
            sql.push_str(&format!(" AND at IS NULL AND ({columns}) > ({values})"));
        }
    }
    sql.push_str(" ORDER BY at NULLS LAST, at_ns, stream_kind, stream_id, key, detail");
    if query.limit.is_some() {
        sql.push_str(" LIMIT :limit");
    }
    sql
}

/// The raw columns of one listing row.
type ListingRow = (String, String, String, Option<i64>, Option<i64>, String);

fn listing_row(row: &Row<'_>) -> rusqlite::Result<ListingRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn decode_listing(what: &str, query: &ListingQuery, row: ListingRow) -> Result<Listed, StoreError> {
    let (stream_kind, stream_id, key, at, at_ns, detail) = row;
    let bad = |field: &str| {
        corrupt(
            &format!("a row of {what}"),
            format!("stored {field} does not decode"),
        )
    };
    let stream = codec::parse_id(&stream_id)
        .and_then(|id| StreamId::from_parts(&stream_kind, id))
        .ok_or_else(|| bad("stream"))?;
    let at = match (at, at_ns) {
        (Some(micros), Some(nanos)) => {
            Some(codec::from_instant(micros, nanos).ok_or_else(|| bad("at"))?)
        }
        (None, None) => None,
        _ => return Err(bad("at")),
    };
    Ok(Listed {
        stream,
        listing: Listing {
            kind: query.kind,
            key,
            at,
            detail,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;
    use casework_core::read::rows::ListingKind;
    use chrono::{TimeZone, Utc};

    /// Every shape of listing query reads an index in listing order: no full sort, no scan.
    #[test]
    fn listing_queries_read_an_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casework.db");
        let config = crate::SqliteConfig::default();
        let conn = schema::connect(&path, &config, schema::Role::Writer).unwrap();
        schema::migrate(&conn).unwrap();
        let at = Utc.timestamp_opt(1_772_442_000, 0).unwrap();
        let stream =
            casework_core::kernel::ids::StreamId::Case(casework_core::kernel::ids::CaseId::new());
        let position = |at| casework_core::read::rows::ListingPosition {
            at,
            stream,
            key: "k".into(),
            detail: Some("{}".into()),
        };
        // A page too: after a timed or an untimed listing, with a limit.
        let after_ties = |at| casework_core::read::rows::ListingPosition {
            detail: None,
            ..position(at)
        };
        let pages = [
            (None, None),
            (Some(position(Some(at))), Some(3)),
            (Some(position(None)), Some(3)),
            (Some(after_ties(Some(at))), Some(3)),
            (Some(after_ties(None)), Some(3)),
        ];
        for key in [None, Some("k")] {
            for from in [None, Some(at)] {
                for to in [None, Some(at)] {
                    for (after, limit) in pages.clone() {
                        // A windowed list holds no untimed listing to page after.
                        let untimed = after.as_ref().is_some_and(|p| p.at.is_none());
                        if untimed && (from.is_some() || to.is_some()) {
                            continue;
                        }
                        let query = ListingQuery {
                            kind: ListingKind::Access,
                            key: key.map(str::to_owned),
                            from,
                            to,
                            after,
                            limit,
                        };
                        for part in [Part::Whole, Part::Untimed] {
                            // The untimed part is read only when no bound leaves it out.
                            if part == Part::Untimed && (from.is_some() || to.is_some()) {
                                continue;
                            }
                            let sql = listings_part_sql(&query, part);
                            let mut statement =
                                conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                            let mut rows = statement.raw_query();
                            let mut plan = Vec::new();
                            while let Some(row) = rows.next().unwrap() {
                                plan.push(row.get::<_, String>(3).unwrap());
                            }
                            let index = if key.is_some() {
                                "USING INDEX listings_by_kind_key_and_time"
                            } else {
                                "USING INDEX listings_by_kind_and_time"
                            };
                            assert!(
                                plan[0].starts_with("SEARCH") && plan[0].contains(index),
                                "{sql}: {plan:?}"
                            );
                            // Only exact ties are sorted (by detail), never the whole result.
                            assert!(
                                plan[1..]
                                    .iter()
                                    .all(|step| step.contains("LAST TERM OF ORDER BY")
                                        || step.contains("RIGHT PART OF ORDER BY")),
                                "{sql}: {plan:?}"
                            );
                            // A page after a timed listing seeks to it: a range, not a scan.
                            if part == Part::Whole
                                && query.after.as_ref().is_some_and(|p| p.at.is_some())
                            {
                                assert!(plan[0].contains("(at,at_ns,"), "{sql}: {plan:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
