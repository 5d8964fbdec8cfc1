//! The writes: [`EventAppend`], an append or a rewrite as ONE statement in autocommit, and
//! the mapping of a lost race on the version key to [`Conflict`] and on the idempotency key
//! to [`AppendError::KeyTaken`].
//!
//! Apart from the reader because this is where the store's atomicity and conflict rules
//! live: which statement a command sends, in what parameter order, and what its answer means.

use crate::codec::no_nul;
use crate::codec::{
    get, to_i64, to_u64, CaseRow, EventColumns, ListingColumns, PersonRow, RewriteColumns,
    SnapshotColumns,
};
use crate::error::{fail, violates, IDEMPOTENCY_KEY, ONE_OPEN_CASE, VERSION_KEY};
use crate::{chain, sql, PostgresStore};
use async_trait::async_trait;
use casework_core::kernel::ids::StreamId;
use casework_core::read::rows::ReadModelUpdate;
use casework_core::store::{
    AppendError, AppendRequest, Conflict, EventAppend, RewriteRequest, SecondOpenCase, StoreError,
};
use tokio_postgres::types::ToSql;

#[async_trait]
impl EventAppend for PostgresStore {
    /// One transaction: [`sql::LOCK_FOR_REWRITE`] holds appends off the table (a rewrite is
    /// rare and short), then ONE statement ([`sql::REWRITE_CASE`], [`sql::REWRITE_YOUNG_PERSON`]
    /// or [`sql::REWRITE_STREAM`]) checks that every version named exists and only then
    /// rewrites those events, deletes the snapshot, replaces the listings and the row; then the
    /// stream's links are recorded again from the first rewritten version (R-18: read back,
    /// hashed here, [`sql::SET_LINKS`]).
    async fn rewrite(&self, request: RewriteRequest) -> Result<(), StoreError> {
        let kind = request.stream.kind();
        let id = request.stream.uuid();
        // Everything is encoded and checked before anything is sent.
        let events = RewriteColumns::of(&request.events)?;
        let listings = ListingColumns::of(&request.listings)?;
        let [kinds, keys, ats, details] = listings.params();
        let head: [&(dyn ToSql + Sync); 9] = [
            &kind,
            &id,
            &events.versions,
            &events.payloads,
            &events.reasons,
            kinds,
            keys,
            ats,
            details,
        ];
        // The links are recorded again from the first version rewritten.
        let first = request.events.iter().map(|e| e.version).min();
        let stream = request.stream;
        let mut client = self.client().await?;
        let result = match &request.read_model {
            ReadModelUpdate::Case(summary) => {
                let row = CaseRow::of(summary)?;
                let tail: [&(dyn ToSql + Sync); 11] = [
                    &row.young_person,
                    &row.stage,
                    &row.risk_rank,
                    &row.received_at,
                    &row.next_review_due,
                    &row.body,
                    &row.owed_json,
                    &row.owed.ids,
                    &row.owed.statuses,
                    &row.owed.due_at,
                    &row.owed.bodies,
                ];
                let params: Vec<&(dyn ToSql + Sync)> =
                    head.iter().chain(tail.iter()).copied().collect();
                rewrite_linked(&mut client, sql::REWRITE_CASE, &params, stream, first).await
            }
            ReadModelUpdate::YoungPerson(person) => {
                let row = PersonRow::of(person)?;
                let tail: [&(dyn ToSql + Sync); 4] = [
                    &person.birth_year,
                    &row.district,
                    &row.registered_at,
                    &row.body,
                ];
                let params: Vec<&(dyn ToSql + Sync)> =
                    head.iter().chain(tail.iter()).copied().collect();
                rewrite_linked(
                    &mut client,
                    sql::REWRITE_YOUNG_PERSON,
                    &params,
                    stream,
                    first,
                )
                .await
            }
            ReadModelUpdate::None => {
                rewrite_linked(&mut client, sql::REWRITE_STREAM, &head, stream, first).await
            }
        };
        match result {
            Ok(true) => Ok(()),
            Ok(false) => {
                // Nothing was written; name a missing version.
                drop(client);
                let rows = self.query(sql::STREAM_VERSION, &[&kind, &id]).await?;
                let current = match rows.first() {
                    Some(row) => get::<i64>(row, 0)?,
                    None => 0,
                };
                let missing = events
                    .versions
                    .iter()
                    .find(|v| **v < 1 || **v > current)
                    .copied()
                    .unwrap_or_default();
                Err(StoreError::Backend(format!(
                    "{} has no version {missing} (it is at version {current}): nothing rewritten",
                    request.stream
                )))
            }
            Err(Failed::Store(e)) => Err(e),
            Err(Failed::Pg(e)) => Err(fail(client, &e)),
        }
    }

    async fn append(&self, request: AppendRequest) -> Result<u64, AppendError> {
        if request.events.is_empty() {
            return Ok(request.expected_version);
        }
        let expected = to_i64(request.expected_version)?;
        let new_version = request.expected_version + request.events.len() as u64;
        let kind = request.stream.kind();
        let id = request.stream.uuid();
        let ev = EventColumns::of(&request)?;
        let snap = SnapshotColumns::of(request.snapshot.as_ref())?;
        let head: [&(dyn ToSql + Sync); 17] = [
            &kind,
            &id,
            &expected,
            &ev.types,
            &ev.schema_versions,
            &ev.payloads,
            &ev.event_ids,
            &ev.recorded_at,
            &ev.actor_ids,
            &ev.actor_names,
            &ev.actor_roles,
            &ev.reasons,
            &snap.kind,
            &snap.id,
            &snap.version,
            &snap.schema_version,
            &snap.state,
        ];
        let new_version_i64 = to_i64(new_version)?;
        // The listings, when the command replaces them: four more arrays on the same statement.
        let listings = request
            .listings
            .as_deref()
            .map(ListingColumns::of)
            .transpose()?;
        let listing_params = listings.as_ref().map(ListingColumns::params);
        let listing_params = listing_params.iter().flatten();
        // The idempotency key, when the command carries one: two more parameters at the end.
        let key = request
            .idempotency
            .as_ref()
            .map(|k| -> Result<[&str; 2], StoreError> {
                Ok([
                    no_nul("idempotency key", &k.key)?,
                    no_nul("idempotency fingerprint", &k.fingerprint)?,
                ])
            })
            .transpose()?;
        let key_params: Vec<&(dyn ToSql + Sync)> = key
            .iter()
            .flatten()
            .map(|v| v as &(dyn ToSql + Sync))
            .collect();
        let keyed = key.is_some();
        // The events' digests, the last parameter of every append statement: the statement
        // links them to the stored head.
        let digests = chain::digests(&request);
        let client = self.client().await?;
        let result = match &request.read_model {
            ReadModelUpdate::Case(summary) => {
                let row = CaseRow::of(summary)?;
                let tail: [&(dyn ToSql + Sync); 12] = [
                    &row.young_person,
                    &row.stage,
                    &row.risk_rank,
                    &row.received_at,
                    &row.next_review_due,
                    &new_version_i64,
                    &row.body,
                    &row.owed.ids,
                    &row.owed.statuses,
                    &row.owed.due_at,
                    &row.owed.bodies,
                    &row.owed_json,
                ];
                let params: Vec<&(dyn ToSql + Sync)> = head
                    .iter()
                    .chain(tail.iter())
                    .chain(listing_params)
                    .chain(key_params.iter())
                    .copied()
                    .chain([&digests as &(dyn ToSql + Sync)])
                    .collect();
                let statement = match (&listings, keyed) {
                    (None, false) => sql::APPEND_CASE,
                    (Some(_), false) => sql::APPEND_CASE_LISTINGS,
                    (None, true) => sql::APPEND_CASE_KEYED,
                    (Some(_), true) => sql::APPEND_CASE_LISTINGS_KEYED,
                };
                run_append(&client, statement, &params).await
            }
            ReadModelUpdate::YoungPerson(person) => {
                let row = PersonRow::of(person)?;
                let tail: [&(dyn ToSql + Sync); 5] = [
                    &person.birth_year,
                    &row.district,
                    &row.registered_at,
                    &new_version_i64,
                    &row.body,
                ];
                let params: Vec<&(dyn ToSql + Sync)> = head
                    .iter()
                    .chain(tail.iter())
                    .chain(listing_params)
                    .chain(key_params.iter())
                    .copied()
                    .chain([&digests as &(dyn ToSql + Sync)])
                    .collect();
                let statement = match (&listings, keyed) {
                    (None, false) => sql::APPEND_YOUNG_PERSON,
                    (Some(_), false) => sql::APPEND_YOUNG_PERSON_LISTINGS,
                    (None, true) => sql::APPEND_YOUNG_PERSON_KEYED,
                    (Some(_), true) => sql::APPEND_YOUNG_PERSON_LISTINGS_KEYED,
                };
                run_append(&client, statement, &params).await
            }
            ReadModelUpdate::None => {
                let params: Vec<&(dyn ToSql + Sync)> = head
                    .iter()
                    .chain(listing_params)
                    .chain(key_params.iter())
                    .copied()
                    .chain([&digests as &(dyn ToSql + Sync)])
                    .collect();
                let statement = match (&listings, keyed) {
                    (None, false) => sql::APPEND_STREAM,
                    (Some(_), false) => sql::APPEND_STREAM_LISTINGS,
                    (None, true) => sql::APPEND_STREAM_KEYED,
                    (Some(_), true) => sql::APPEND_STREAM_LISTINGS_KEYED,
                };
                run_append(&client, statement, &params).await
            }
        };
        let conflict = |actual: u64| Conflict {
            stream: request.stream,
            expected: request.expected_version,
            actual,
        };
        match result {
            Ok(found) if found == expected => Ok(new_version),
            Ok(found) => Err(conflict(to_u64(found)?).into()),
            Err(e) if violates(&e, IDEMPOTENCY_KEY) => Err(AppendError::KeyTaken(
                request
                    .idempotency
                    .as_ref()
                    .map(|k| k.key.clone())
                    .unwrap_or_default(),
            )),
            Err(e) if violates(&e, ONE_OPEN_CASE) => match &request.read_model {
                ReadModelUpdate::Case(summary) => Err(SecondOpenCase {
                    young_person: summary.young_person_id,
                    case: summary.case_id,
                    // The winner has committed before Postgres reports the violation: the
                    // service reads it.
                    open: None,
                }
                .into()),
                _ => Err(fail(client, &e).into()),
            },
            Err(e) if violates(&e, VERSION_KEY) => {
                // Lost the race at the right version: read what the winner made it.
                drop(client);
                let rows = self.query(sql::STREAM_VERSION, &[&kind, &id]).await?;
                let actual = match rows.first() {
                    Some(row) => to_u64(get(row, 0)?)?,
                    None => 0,
                };
                Err(conflict(actual.max(request.expected_version + 1)).into())
            }
            Err(e) => Err(fail(client, &e).into()),
        }
    }
}

async fn run_append(
    client: &deadpool_postgres::Object,
    statement: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<i64, tokio_postgres::Error> {
    let stmt = client.prepare_cached(statement).await?;
    let row = client.query_one(&stmt, params).await?;
    row.try_get(0)
}

/// Why a rewrite's transaction failed: in the database, or in reading what it wrote back.
enum Failed {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

/// The rewrite's transaction: appends held off, the rewrite statement, the stream linked
/// again from `first` when it wrote, the commit. Answers whether every version named
/// existed; when not, nothing was written.
async fn rewrite_linked(
    client: &mut deadpool_postgres::Object,
    statement: &str,
    params: &[&(dyn ToSql + Sync)],
    stream: StreamId,
    first: Option<u64>,
) -> Result<bool, Failed> {
    let tx = client.transaction().await.map_err(Failed::Pg)?;
    tx.batch_execute(sql::LOCK_FOR_REWRITE)
        .await
        .map_err(Failed::Pg)?;
    let stmt = tx.prepare_cached(statement).await.map_err(Failed::Pg)?;
    let row = tx.query_one(&stmt, params).await.map_err(Failed::Pg)?;
    let ok: bool = row.try_get(0).map_err(Failed::Pg)?;
    if !ok {
        return Ok(false);
    }
    if let Some(first) = first {
        chain::rechain(&*tx, stream, first)
            .await
            .map_err(Failed::Store)?;
    }
    tx.commit().await.map_err(Failed::Pg)?;
    Ok(true)
}
