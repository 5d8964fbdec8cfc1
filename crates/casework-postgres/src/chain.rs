//! The hash chain as stored (R-18, `migrations/0005_event_chain.sql`): the digests an
//! append sends (the statement links them to the stored head), reading links back, linking
//! a stream again inside a rewrite's transaction, and hashing the events a database held
//! before the chain existed.

use crate::codec::{event_from_row, get, micros, to_u64};
use crate::error::{corrupt, store_error};
use crate::{sql, PostgresStore};
use casework_core::kernel::chain::{self, EventHash, Link, Linked, Stored, StreamHead};
use casework_core::kernel::ids::StreamId;
use casework_core::store::{AppendRequest, StoreError};
use tokio_postgres::{GenericClient, Row};

/// The content digest of each event of `request` as its row will hold it (times at the
/// microsecond, as the column keeps them), for the append statement's last parameter.
pub(crate) fn digests(request: &AppendRequest) -> Vec<Vec<u8>> {
    request
        .events
        .iter()
        .zip(request.expected_version + 1..)
        .map(|(e, version)| {
            Stored {
                recorded_at: micros(e.meta.recorded_at),
                ..Stored::new(request.stream, version, e)
            }
            .digest()
            .to_vec()
        })
        .collect()
}

fn hash(bytes: Option<&[u8]>) -> Option<EventHash> {
    bytes.and_then(EventHash::from_slice)
}

/// A row of [`sql::LOAD_LINKED`], [`sql::LINKED_FIRST_PAGE`] or [`sql::LINKED_PAGE`].
pub(crate) fn linked_from_row(row: &Row) -> Result<Linked, StoreError> {
    let kind: String = get(row, 13)?;
    let stream = StreamId::from_parts(&kind, get(row, 14)?)
        .ok_or_else(|| corrupt(format!("an event of an unknown stream kind `{kind}`")))?;
    let prev: Option<&[u8]> = get(row, 11)?;
    let own: Option<&[u8]> = get(row, 12)?;
    Ok(Linked {
        event: event_from_row(stream, row)?,
        link: Link {
            prev: hash(prev),
            hash: hash(own),
        },
    })
}

impl PostgresStore {
    pub(crate) async fn linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<Linked>, StoreError> {
        let after = i64::try_from(version).unwrap_or(i64::MAX);
        let rows = self
            .query(sql::LOAD_LINKED, &[&stream.kind(), &stream.uuid(), &after])
            .await?;
        rows.iter().map(linked_from_row).collect()
    }

    pub(crate) async fn linked_page_of(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<Linked>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match after {
            None => self.query(sql::LINKED_FIRST_PAGE, &[&limit]).await?,
            Some((stream, version)) => {
                let version = i64::try_from(version).unwrap_or(i64::MAX);
                self.query(
                    sql::LINKED_PAGE,
                    &[&stream.kind(), &stream.uuid(), &version, &limit],
                )
                .await?
            }
        };
        rows.iter().map(linked_from_row).collect()
    }

    pub(crate) async fn head_of(&self, stream: StreamId) -> Result<Option<StreamHead>, StoreError> {
        let rows = self
            .query(sql::CHAIN_HEAD, &[&stream.kind(), &stream.uuid()])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let own: Option<&[u8]> = get(row, 1)?;
        let version = to_u64(get(row, 0)?)?;
        Ok(hash(own).map(|hash| StreamHead {
            stream,
            version,
            hash,
        }))
    }
}

/// Links `stream` again from version `from` to its end, on `client` inside the rewrite's
/// transaction (which holds appends off the table, so the stream cannot grow meanwhile).
pub(crate) async fn rechain<C: GenericClient>(
    client: &C,
    stream: StreamId,
    from: u64,
) -> Result<(), StoreError> {
    let after = i64::try_from(from.saturating_sub(2)).unwrap_or(0);
    let rows = client
        .query(sql::LOAD_LINKED, &[&stream.kind(), &stream.uuid(), &after])
        .await
        .map_err(|e| store_error(&e))?;
    let events: Vec<Linked> = rows.iter().map(linked_from_row).collect::<Result<_, _>>()?;
    let (before, rest): (Vec<&Linked>, Vec<&Linked>) =
        events.iter().partition(|l| l.event.version < from);
    let prev = before.last().and_then(|l| l.link.hash);
    let links = chain::chain(
        prev,
        rest.iter().map(|l| Stored::recorded(&l.event).digest()),
    );
    set_links(
        client,
        stream,
        rest.iter().map(|l| l.event.version).zip(links),
    )
    .await
}

async fn set_links<C: GenericClient>(
    client: &C,
    stream: StreamId,
    links: impl Iterator<Item = (u64, Link)>,
) -> Result<(), StoreError> {
    let mut versions = Vec::new();
    let mut prevs: Vec<Option<Vec<u8>>> = Vec::new();
    let mut hashes: Vec<Option<Vec<u8>>> = Vec::new();
    for (version, link) in links {
        versions.push(i64::try_from(version).unwrap_or(i64::MAX));
        prevs.push(link.prev.map(|h| h.as_bytes().to_vec()));
        hashes.push(link.hash.map(|h| h.as_bytes().to_vec()));
    }
    if versions.is_empty() {
        return Ok(());
    }
    client
        .execute(
            sql::SET_LINKS,
            &[&stream.kind(), &stream.uuid(), &versions, &prevs, &hashes],
        )
        .await
        .map_err(|e| store_error(&e))?;
    Ok(())
}

/// Hashes every event of the database, stream by stream in version order, on the migrating
/// transaction (schema version 5: the events written before the chain).
pub(crate) async fn link_all<C: GenericClient>(client: &C) -> Result<(), StoreError> {
    let mut after: Option<(StreamId, i64)> = None;
    let mut prev: Option<(StreamId, EventHash)> = None;
    loop {
        let limit = 5_000_i64;
        let rows = match after {
            None => client.query(sql::LINKED_FIRST_PAGE, &[&limit]).await,
            Some((stream, version)) => {
                client
                    .query(
                        sql::LINKED_PAGE,
                        &[&stream.kind(), &stream.uuid(), &version, &limit],
                    )
                    .await
            }
        }
        .map_err(|e| store_error(&e))?;
        let page: Vec<Linked> = rows.iter().map(linked_from_row).collect::<Result<_, _>>()?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some((
            last.event.stream,
            i64::try_from(last.event.version).unwrap_or(i64::MAX),
        ));
        let mut i = 0;
        while i < page.len() {
            let stream = page[i].event.stream;
            let mut links = Vec::new();
            while i < page.len() && page[i].event.stream == stream {
                let e = &page[i].event;
                let before = prev
                    .filter(|(s, _)| *s == stream && e.version > 1)
                    .map(|(_, h)| h);
                let own = chain::link(before.as_ref(), &Stored::recorded(e).digest());
                links.push((
                    e.version,
                    Link {
                        prev: before,
                        hash: Some(own),
                    },
                ));
                prev = Some((stream, own));
                i += 1;
            }
            set_links(client, stream, links.into_iter()).await?;
        }
    }
}
