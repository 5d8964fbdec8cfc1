//! The hash chain as stored (R-18, `migrations/0005_event_chain.sql`): reading the links
//! back, the stream's head an append chains to, linking a stream again after a rewrite, and
//! hashing the events a file held before the chain existed.
//!
//! Every statement here reads the unique key `(stream_kind, stream_id, version)`, so the head
//! an append reads costs what the version check it replaces cost.

use crate::codec;
use crate::error::map;
use crate::reader::{decode_event, event_row, EventRow};
use casework_core::kernel::chain::{self, EventHash, Link, Linked, Stored, StreamHead};
use casework_core::kernel::ids::StreamId;
use casework_core::store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The event columns `reader::event_row` decodes, then the two hashes.
macro_rules! linked_columns {
    () => {
        "SELECT version, position, event_type, schema_version, payload, event_id, recorded_at, \
         recorded_at_ns, actor_id, actor_name, actor_role, reason, prev_hash, hash, \
         stream_kind, stream_id FROM events"
    };
}

const LOAD_LINKED: &str = concat!(
    linked_columns!(),
    " WHERE stream_kind = ?1 AND stream_id = ?2 AND version > ?3 ORDER BY version"
);

const PAGE_FIRST: &str = concat!(
    linked_columns!(),
    " ORDER BY stream_kind, stream_id, version LIMIT ?1"
);

const PAGE_AFTER: &str = concat!(
    linked_columns!(),
    " WHERE (stream_kind, stream_id, version) > (?1, ?2, ?3) \
     ORDER BY stream_kind, stream_id, version LIMIT ?4"
);

/// The stream's last version and its hash: what an append checks and chains to.
const HEAD: &str = "SELECT version, hash FROM events WHERE stream_kind = ?1 AND stream_id = ?2 \
     ORDER BY version DESC LIMIT 1";

const HASH_AT: &str =
    "SELECT hash FROM events WHERE stream_kind = ?1 AND stream_id = ?2 AND version = ?3";

const SET_LINK: &str = "UPDATE events SET prev_hash = ?1, hash = ?2 \
     WHERE stream_kind = ?3 AND stream_id = ?4 AND version = ?5";

type LinkedRow = (EventRow, Option<Vec<u8>>, Option<Vec<u8>>, String, String);

fn linked_row(row: &Row<'_>) -> rusqlite::Result<LinkedRow> {
    Ok((
        event_row(row)?,
        row.get(12)?,
        row.get(13)?,
        row.get(14)?,
        row.get(15)?,
    ))
}

/// A stored hash; one that is not 32 bytes is no hash (`verify` reports it unhashed).
fn hash(bytes: Option<&[u8]>) -> Option<EventHash> {
    bytes.and_then(EventHash::from_slice)
}

fn decode_linked(row: LinkedRow) -> Result<Linked, StoreError> {
    let (event, prev, own, kind, id) = row;
    let stream = codec::parse_id(&id)
        .and_then(|id| StreamId::from_parts(&kind, id))
        .ok_or_else(|| {
            StoreError::Corrupt(format!("an event of unknown stream `{kind}` `{id}`"))
        })?;
    Ok(Linked {
        event: decode_event(stream, event)?,
        link: Link {
            prev: hash(prev.as_deref()),
            hash: hash(own.as_deref()),
        },
    })
}

fn read(
    conn: &Connection,
    what: &str,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Linked>, StoreError> {
    let reading = |e| map(what, e);
    let rows: Vec<LinkedRow> = conn
        .prepare_cached(sql)
        .map_err(reading)?
        .query_map(params, linked_row)
        .map_err(reading)?
        .collect::<rusqlite::Result<_>>()
        .map_err(reading)?;
    rows.into_iter().map(decode_linked).collect()
}

/// The events of `stream` after `after`, with their links, in version order.
pub(crate) fn load_linked(
    conn: &Connection,
    stream: StreamId,
    after: u64,
) -> Result<Vec<Linked>, StoreError> {
    read(
        conn,
        &format!("loading the chain of {stream}"),
        LOAD_LINKED,
        &[
            &stream.kind(),
            &codec::id(stream.uuid()),
            &codec::version(after),
        ],
    )
}

/// Up to `limit` events with their links, by stream kind, stream id and version, after
/// `after`.
pub(crate) fn page(
    conn: &Connection,
    after: Option<(StreamId, u64)>,
    limit: usize,
) -> Result<Vec<Linked>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    match after {
        None => read(conn, "reading the chain", PAGE_FIRST, &[&limit]),
        Some((stream, version)) => read(
            conn,
            "reading the chain",
            PAGE_AFTER,
            &[
                &stream.kind(),
                &codec::id(stream.uuid()),
                &codec::version(version),
                &limit,
            ],
        ),
    }
}

/// The stream's last version (0 for none) and that event's hash.
pub(crate) fn head(
    conn: &Connection,
    kind: &str,
    id: &str,
) -> rusqlite::Result<(u64, Option<EventHash>)> {
    let row: Option<(i64, Option<Vec<u8>>)> = conn
        .prepare_cached(HEAD)?
        .query_row(params![kind, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map_or((0, None), |(v, h)| {
        (u64::try_from(v).unwrap_or(0), hash(h.as_deref()))
    }))
}

/// The stream's head as [`StreamHead`] (`None` for an empty stream or an unhashed last row).
pub(crate) fn stream_head(
    conn: &Connection,
    stream: StreamId,
) -> Result<Option<StreamHead>, StoreError> {
    let (version, hash) = head(conn, stream.kind(), &codec::id(stream.uuid()))
        .map_err(|e| map(&format!("reading the head of {stream}"), e))?;
    Ok(hash.filter(|_| version > 0).map(|hash| StreamHead {
        stream,
        version,
        hash,
    }))
}

/// Links `stream` again from version `from` to its end, inside the caller's transaction:
/// after a rewrite changed what the events from `from` on hash to.
pub(crate) fn rechain(conn: &Connection, stream: StreamId, from: u64) -> Result<(), StoreError> {
    let fail = |e| map(&format!("linking {stream} again"), e);
    let (kind, id) = (stream.kind(), codec::id(stream.uuid()));
    let prev = if from <= 1 {
        None
    } else {
        conn.prepare_cached(HASH_AT)
            .and_then(|mut st| {
                st.query_row(params![kind, id, codec::version(from - 1)], |r| {
                    r.get::<_, Option<Vec<u8>>>(0)
                })
            })
            .map_err(fail)?
            .as_deref()
            .and_then(EventHash::from_slice)
    };
    let events = crate::reader::load(conn, stream, from.saturating_sub(1))?;
    let links = chain::chain(prev, events.iter().map(|e| Stored::recorded(e).digest()));
    let mut set = conn.prepare_cached(SET_LINK).map_err(fail)?;
    for (e, l) in events.iter().zip(links) {
        set.execute(params![
            l.prev.map(|h| h.as_bytes().to_vec()),
            l.hash.map(|h| h.as_bytes().to_vec()),
            kind,
            id,
            codec::version(e.version),
        ])
        .map_err(fail)?;
    }
    Ok(())
}

/// Hashes every event of the file, stream by stream in version order, inside the migration's
/// transaction (schema version 5: the events written before the chain). Returns how many.
pub(crate) fn link_all(conn: &Connection) -> Result<u64, StoreError> {
    let mut after = None;
    let mut count = 0;
    let mut prev: Option<(StreamId, EventHash)> = None;
    loop {
        let page = page(conn, after, 10_000)?;
        let Some(last) = page.last() else {
            return Ok(count);
        };
        after = Some((last.event.stream, last.event.version));
        for linked in &page {
            let e = &linked.event;
            let before = prev
                .filter(|(s, _)| *s == e.stream && e.version > 1)
                .map(|(_, h)| h);
            let own = chain::link(before.as_ref(), &Stored::recorded(e).digest());
            conn.prepare_cached(SET_LINK)
                .and_then(|mut st| {
                    st.execute(params![
                        before.map(|h| h.as_bytes().to_vec()),
                        own.as_bytes().to_vec(),
                        e.stream.kind(),
                        codec::id(e.stream.uuid()),
                        codec::version(e.version),
                    ])
                })
                .map_err(|err| map("hashing the events written before the chain", err))?;
            prev = Some((e.stream, own));
            count += 1;
        }
    }
}

/// Whether the file's `events` table has the chain's columns (schema version 5 and later).
pub(crate) fn is_chained(conn: &Connection) -> bool {
    conn.prepare_cached("SELECT count(*) FROM pragma_table_info('events') WHERE name = 'hash'")
        .and_then(|mut st| st.query_row([], |r| r.get::<_, i64>(0)))
        .is_ok_and(|n| n > 0)
}
