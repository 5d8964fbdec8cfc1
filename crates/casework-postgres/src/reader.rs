//! The reads: [`EventLoad`] (a stream's events and snapshot) and [`CaseQueries`] (the
//! read-model queries), each one bound statement from [`crate::sql`] on a pooled connection.
//!
//! Apart from the writer because a read never writes: none of the append's atomicity or
//! conflict rules apply here. Values are encoded and rows decoded by [`crate::codec`].

use crate::codec::{
    decode_body, decode_summary, event_from_row, get, listed_from_row, micros, micros_ceil, no_nul,
    to_u32, to_u64,
};
use crate::error::corrupt;
use crate::{sql, PostgresStore};
use async_trait::async_trait;
use casework_core::kernel::chain::{Linked, StreamHead};
use casework_core::kernel::event::RecordedEvent;
use casework_core::kernel::idempotency::IdempotentAppend;
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, Listed, ListingQuery, OwedActionSummary};
use casework_core::store::{CaseQueries, EventLoad, Snapshot, StoreError};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use tokio_postgres::types::ToSql;

impl PostgresStore {
    /// A page of listings ([`ListingQuery::after`], [`ListingQuery::limit`]): the statement
    /// of [`sql::listing_page`] for the query's shape, a range of the same index as the whole
    /// list. After a timed listing, the timed ones after it are read first and the untimed
    /// ones (which come last) only when the page has room and no time bound leaves them out:
    /// an `OR at IS NULL` in one statement would read the index from the kind's start.
    async fn listing_page(
        &self,
        query: &ListingQuery,
        key: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Listed>, StoreError> {
        let after = match &query.after {
            Some(p) => Some((
                p.at,
                p.stream.kind(),
                p.stream.uuid(),
                no_nul("listing key", &p.key)?,
                p.detail
                    .as_deref()
                    .map(|d| no_nul("listing detail", d))
                    .transpose()?,
            )),
            None => None,
        };
        let window = from.is_some() || to.is_some();
        let limit = query.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let read = |shape: sql::PageShape, limit: Option<i64>| async move {
            let statement = sql::listing_page(shape);
            let kind = query.kind.as_str();
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&kind];
            if let Some(key) = &key {
                params.push(key);
            }
            if shape.window {
                params.extend([&from as &(dyn ToSql + Sync), &to]);
            }
            let at;
            if let Some((position_at, stream_kind, stream_id, key, detail)) = &after {
                if shape.after == sql::After::Timed {
                    at = position_at.map(micros);
                    params.push(&at);
                }
                if shape.after != sql::After::None {
                    params.extend([stream_kind as &(dyn ToSql + Sync), stream_id, key]);
                    if let Some(detail) = detail {
                        params.push(detail);
                    }
                }
            }
            if let Some(limit) = &limit {
                params.push(limit);
            }
            let rows = self.query(&statement, &params).await?;
            rows.iter()
                .map(|row| listed_from_row(query.kind, row))
                .collect::<Result<Vec<_>, StoreError>>()
        };
        let position = match &after {
            None => sql::After::None,
            Some((Some(_), ..)) => sql::After::Timed,
            Some((None, ..)) => sql::After::Untimed,
        };
        let shape = sql::PageShape {
            key: key.is_some(),
            window,
            after: position,
            after_detail: after.as_ref().is_some_and(|a| a.4.is_some()),
            untimed_only: false,
            limit: limit.is_some(),
        };
        let mut listed = read(shape, limit).await?;
        let room = limit.map(|n| n.saturating_sub(i64::try_from(listed.len()).unwrap_or(i64::MAX)));
        if position == sql::After::Timed && !window && room != Some(0) {
            let tail = sql::PageShape {
                after: sql::After::None,
                untimed_only: true,
                limit: room.is_some(),
                ..shape
            };
            listed.extend(read(tail, room).await?);
        }
        Ok(listed)
    }

    async fn query_summaries(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = self.query(statement, params).await?;
        rows.iter().map(decode_summary).collect()
    }

    async fn query_bodies<T: DeserializeOwned>(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.query(statement, params).await?;
        rows.iter().map(decode_body).collect()
    }
}

#[async_trait]
impl EventLoad for PostgresStore {
    async fn load(&self, stream: StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.load_after(stream, 0).await
    }

    async fn load_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let after = i64::try_from(version).unwrap_or(i64::MAX);
        let rows = self
            .query(sql::LOAD_AFTER, &[&stream.kind(), &stream.uuid(), &after])
            .await?;
        rows.iter().map(|r| event_from_row(stream, r)).collect()
    }

    /// The snapshot and the events from its version on (all events without one) in ONE round
    /// trip ([`sql::LOAD_LATEST`]): what a command reads to rebuild a case.
    async fn load_latest(
        &self,
        stream: StreamId,
    ) -> Result<(Option<Snapshot>, Vec<RecordedEvent>), StoreError> {
        let rows = self
            .query(sql::LOAD_LATEST, &[&stream.kind(), &stream.uuid()])
            .await?;
        let mut snapshot = None;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let position: Option<i64> = get(row, 0)?;
            if position.is_none() {
                snapshot = Some(Snapshot {
                    stream,
                    version: to_u64(get(row, 1)?)?,
                    schema_version: to_u32(get(row, 3)?)?,
                    state: get(row, 4)?,
                });
            } else {
                events.push(event_from_row(stream, row)?);
            }
        }
        events.sort_by_key(|e| e.version);
        Ok((snapshot, events))
    }

    async fn load_linked_after(
        &self,
        stream: StreamId,
        version: u64,
    ) -> Result<Vec<Linked>, StoreError> {
        self.linked_after(stream, version).await
    }

    async fn linked_page(
        &self,
        after: Option<(StreamId, u64)>,
        limit: usize,
    ) -> Result<Vec<Linked>, StoreError> {
        self.linked_page_of(after, limit).await
    }

    async fn chain_head(&self, stream: StreamId) -> Result<Option<StreamHead>, StoreError> {
        self.head_of(stream).await
    }

    async fn idempotent_append(&self, key: &str) -> Result<Option<IdempotentAppend>, StoreError> {
        let key = no_nul("idempotency key", key)?;
        let rows = self.query(sql::IDEMPOTENT_APPEND, &[&key]).await?;
        rows.first()
            .map(|row| {
                let kind: String = get(row, 0)?;
                let id: uuid::Uuid = get(row, 1)?;
                Ok(IdempotentAppend {
                    key: key.to_owned(),
                    stream: StreamId::from_parts(&kind, id).ok_or_else(|| {
                        corrupt(format!(
                            "idempotency key `{key}`: unknown stream kind `{kind}`"
                        ))
                    })?,
                    first_version: to_u64(get(row, 2)?)?,
                    last_version: to_u64(get(row, 3)?)?,
                    fingerprint: get(row, 4)?,
                    recorded_at: get(row, 5)?,
                })
            })
            .transpose()
    }

    async fn load_snapshot(&self, stream: StreamId) -> Result<Option<Snapshot>, StoreError> {
        let rows = self
            .query(sql::LOAD_SNAPSHOT, &[&stream.kind(), &stream.uuid()])
            .await?;
        rows.first()
            .map(|row| {
                Ok(Snapshot {
                    stream,
                    version: to_u64(get(row, 0)?)?,
                    schema_version: to_u32(get(row, 1)?)?,
                    state: get(row, 2)?,
                })
            })
            .transpose()
    }
}

#[async_trait]
impl CaseQueries for PostgresStore {
    async fn waiting_list(&self) -> Result<Vec<CaseSummary>, StoreError> {
        self.query_summaries(sql::WAITING_LIST, &[]).await
    }

    async fn outstanding_actions(&self) -> Result<Vec<OwedActionSummary>, StoreError> {
        self.query_bodies(sql::OUTSTANDING_ACTIONS, &[]).await
    }

    async fn cases_of(&self, young_person: YoungPersonId) -> Result<Vec<CaseSummary>, StoreError> {
        self.query_summaries(sql::CASES_OF, &[&young_person.as_uuid()])
            .await
    }

    async fn overdue_reviews(&self, as_of: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        self.query_summaries(sql::OVERDUE_REVIEWS, &[&micros(as_of)])
            .await
    }

    /// One query, of four shapes (with or without a key, with or without a time window), so
    /// each reads the index made for it ([`sql::LISTINGS`], [`sql::LISTINGS_IN_WINDOW`],
    /// [`sql::LISTINGS_BY_KEY`], [`sql::LISTINGS_BY_KEY_IN_WINDOW`]).
    async fn listings(&self, query: ListingQuery) -> Result<Vec<Listed>, StoreError> {
        let kind = query.kind.as_str();
        let key = query
            .key
            .as_deref()
            .map(|k| no_nul("listing key", k))
            .transpose()?;
        let window = query.from.is_some() || query.to.is_some();
        let from = query.from.map(micros_ceil);
        let to = query.to.map(micros_ceil);
        if query.after.is_some() || query.limit.is_some() {
            return self.listing_page(&query, key, from, to).await;
        }
        let rows = match (key, window) {
            (None, false) => self.query(sql::LISTINGS, &[&kind]).await?,
            (None, true) => {
                self.query(sql::LISTINGS_IN_WINDOW, &[&kind, &from, &to])
                    .await?
            }
            (Some(key), false) => self.query(sql::LISTINGS_BY_KEY, &[&kind, &key]).await?,
            (Some(key), true) => {
                self.query(sql::LISTINGS_BY_KEY_IN_WINDOW, &[&kind, &key, &from, &to])
                    .await?
            }
        };
        rows.iter()
            .map(|row| listed_from_row(query.kind, row))
            .collect()
    }

    async fn case_summary(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        Ok(self
            .query_summaries(sql::CASE_SUMMARY, &[&case.as_uuid()])
            .await?
            .pop())
    }
}
