//! How values cross the wire: domain rows and events encoded as the parameters the
//! statements bind (parallel arrays for `unnest`, NUL refused up front, times truncated to the
//! microsecond), and stored rows decoded back.
//!
//! Kept apart from the reader and writer so both share one encoding, and one place says
//! what a column holds.

use crate::error::corrupt;
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::event::{EventMeta, RecordedEvent};
use casework_core::kernel::ids::{EventId, StaffId, StreamId};
use casework_core::read::rows::{
    CaseSummary, Listed, Listing, ListingKind, OwedActionSummary, YoungPersonSummary,
};
use casework_core::store::{AppendRequest, RewrittenEvent, Snapshot, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use serde::de::DeserializeOwned;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|e| corrupt(format!("column {index}: {e}")))
}

pub(crate) fn to_u64(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| corrupt(format!("negative version or position {v}")))
}

pub(crate) fn to_u32(v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| corrupt(format!("negative schema version {v}")))
}

pub(crate) fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("version {v} is beyond i64")))
}

/// Rows written from [`sql::LOAD_AFTER`](crate::sql::LOAD_AFTER) or
/// [`sql::LOAD_LATEST`](crate::sql::LOAD_LATEST).
pub(crate) fn event_from_row(stream: StreamId, row: &Row) -> Result<RecordedEvent, StoreError> {
    let role: &str = get(row, 9)?;
    Ok(RecordedEvent {
        stream,
        position: to_u64(get(row, 0)?)?,
        version: to_u64(get(row, 1)?)?,
        event_type: get(row, 2)?,
        schema_version: to_u32(get(row, 3)?)?,
        payload: get(row, 4)?,
        meta: EventMeta {
            event_id: EventId::from_uuid(get(row, 5)?),
            recorded_at: get(row, 6)?,
            actor: Actor {
                id: StaffId::from_uuid(get(row, 7)?),
                name: get(row, 8)?,
                role: Role::parse(role).ok_or_else(|| corrupt(format!("unknown role `{role}`")))?,
            },
            reason: get(row, 10)?,
        },
    })
}

/// A row of the listing queries.
pub(crate) fn listed_from_row(kind: ListingKind, row: &Row) -> Result<Listed, StoreError> {
    let stream_kind: &str = get(row, 0)?;
    let stream = StreamId::from_parts(stream_kind, get(row, 1)?).ok_or_else(|| {
        corrupt(format!(
            "a listing of an unknown stream kind `{stream_kind}`"
        ))
    })?;
    Ok(Listed {
        stream,
        listing: Listing {
            kind,
            key: get(row, 2)?,
            at: get(row, 3)?,
            detail: get(row, 4)?,
        },
    })
}

pub(crate) fn decode_body<T: DeserializeOwned>(row: &Row) -> Result<T, StoreError> {
    let body: &str = get(row, 0)?;
    serde_json::from_str(body).map_err(|e| corrupt(format!("read-model row does not decode: {e}")))
}

/// A case summary row from `body` (the summary without its owed actions) and `owed`.
pub(crate) fn decode_summary(row: &Row) -> Result<CaseSummary, StoreError> {
    let mut summary: CaseSummary = decode_body(row)?;
    let owed: &str = get(row, 1)?;
    summary.owed = serde_json::from_str(owed)
        .map_err(|e| corrupt(format!("owed actions of a case do not decode: {e}")))?;
    Ok(summary)
}

/// A case summary as its `body` (without the owed actions) and `owed` columns.
fn encode_summary(summary: &CaseSummary) -> Result<(String, String), StoreError> {
    let owed = encode_body(&summary.owed)?;
    let without_owed = CaseSummary {
        owed: Vec::new(),
        ..summary.clone()
    };
    Ok((encode_body(&without_owed)?, owed))
}

fn encode_body<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

/// PostgreSQL `text` cannot hold U+0000; refuse it up front with the field's name rather
/// than let the server fail with an encoding error.
pub(crate) fn no_nul<'a>(field: &str, value: &'a str) -> Result<&'a str, StoreError> {
    if value.contains('\0') {
        Err(StoreError::Backend(format!(
            "{field} contains a NUL character (U+0000), which PostgreSQL text cannot store"
        )))
    } else {
        Ok(value)
    }
}

/// The precision every column keeps: microseconds, truncated (PostgreSQL itself would round).
pub(crate) fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The first microsecond at or after `t`: a bound on stored (microsecond) times that keeps
/// `at >= t` and `at < t` exact when `t` has nanoseconds.
pub(crate) fn micros_ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let truncated = micros(t);
    if truncated < t {
        // Past chrono's last instant (far beyond PostgreSQL's), keep it: the driver refuses it.
        truncated
            .checked_add_signed(chrono::Duration::microseconds(1))
            .unwrap_or(truncated)
    } else {
        truncated
    }
}

/// The events of one append as parallel arrays, bound to `$4`–`$12`.
pub(crate) struct EventColumns<'a> {
    pub(crate) types: Vec<&'a str>,
    pub(crate) schema_versions: Vec<i32>,
    pub(crate) payloads: Vec<&'a str>,
    pub(crate) event_ids: Vec<Uuid>,
    pub(crate) recorded_at: Vec<DateTime<Utc>>,
    pub(crate) actor_ids: Vec<Uuid>,
    pub(crate) actor_names: Vec<&'a str>,
    pub(crate) actor_roles: Vec<&'static str>,
    pub(crate) reasons: Vec<Option<&'a str>>,
}

impl<'a> EventColumns<'a> {
    pub(crate) fn of(request: &'a AppendRequest) -> Result<Self, StoreError> {
        let n = request.events.len();
        let mut c = EventColumns {
            types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            event_ids: Vec::with_capacity(n),
            recorded_at: Vec::with_capacity(n),
            actor_ids: Vec::with_capacity(n),
            actor_names: Vec::with_capacity(n),
            actor_roles: Vec::with_capacity(n),
            reasons: Vec::with_capacity(n),
        };
        for e in &request.events {
            c.types.push(no_nul("event_type", &e.event_type)?);
            c.schema_versions
                .push(i32::try_from(e.schema_version).map_err(|_| {
                    StoreError::Backend(format!("schema version {} too large", e.schema_version))
                })?);
            c.payloads.push(no_nul("payload", &e.payload)?);
            c.event_ids.push(e.meta.event_id.as_uuid());
            c.recorded_at.push(micros(e.meta.recorded_at));
            c.actor_ids.push(e.meta.actor.id.as_uuid());
            c.actor_names
                .push(no_nul("actor name", &e.meta.actor.name)?);
            c.actor_roles.push(e.meta.actor.role.as_str());
            c.reasons.push(
                e.meta
                    .reason
                    .as_deref()
                    .map(|r| no_nul("reason", r))
                    .transpose()?,
            );
        }
        Ok(c)
    }
}

/// The snapshot's parameters, `$13`–`$17` (all NULL for none).
pub(crate) struct SnapshotColumns<'a> {
    pub(crate) kind: Option<&'static str>,
    pub(crate) id: Option<Uuid>,
    pub(crate) version: Option<i64>,
    pub(crate) schema_version: Option<i32>,
    pub(crate) state: Option<&'a str>,
}

impl<'a> SnapshotColumns<'a> {
    pub(crate) fn of(snapshot: Option<&'a Snapshot>) -> Result<Self, StoreError> {
        Ok(match snapshot {
            None => SnapshotColumns {
                kind: None,
                id: None,
                version: None,
                schema_version: None,
                state: None,
            },
            Some(s) => SnapshotColumns {
                kind: Some(s.stream.kind()),
                id: Some(s.stream.uuid()),
                version: Some(to_i64(s.version)?),
                schema_version: Some(i32::try_from(s.schema_version).map_err(|_| {
                    StoreError::Backend(format!("snapshot schema {} too large", s.schema_version))
                })?),
                state: Some(no_nul("snapshot state", &s.state)?),
            },
        })
    }
}

/// The owed actions of a case summary as parallel arrays, `$25`–`$28`.
pub(crate) struct OwedColumns {
    pub(crate) ids: Vec<Uuid>,
    pub(crate) statuses: Vec<String>,
    pub(crate) due_at: Vec<DateTime<Utc>>,
    pub(crate) bodies: Vec<String>,
}

impl OwedColumns {
    pub(crate) fn of(owed: &[OwedActionSummary]) -> Result<Self, StoreError> {
        let mut c = OwedColumns {
            ids: Vec::with_capacity(owed.len()),
            statuses: Vec::with_capacity(owed.len()),
            due_at: Vec::with_capacity(owed.len()),
            bodies: Vec::with_capacity(owed.len()),
        };
        for a in owed {
            c.ids.push(a.action_id.as_uuid());
            c.statuses
                .push(no_nul("owed action status", &a.status)?.to_owned());
            c.due_at.push(micros(a.due_at));
            c.bodies
                .push(no_nul("owed action", &encode_body(a)?)?.to_owned());
        }
        Ok(c)
    }
}

/// A stream's listings as parallel arrays (kind, key, at, detail).
pub(crate) struct ListingColumns<'a> {
    pub(crate) kinds: Vec<&'static str>,
    pub(crate) keys: Vec<&'a str>,
    pub(crate) ats: Vec<Option<DateTime<Utc>>>,
    pub(crate) details: Vec<&'a str>,
}

impl<'a> ListingColumns<'a> {
    pub(crate) fn of(listings: &'a [Listing]) -> Result<Self, StoreError> {
        let n = listings.len();
        let mut c = ListingColumns {
            kinds: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
            ats: Vec::with_capacity(n),
            details: Vec::with_capacity(n),
        };
        for l in listings {
            c.kinds.push(l.kind.as_str());
            c.keys.push(no_nul("listing key", &l.key)?);
            c.ats.push(l.at.map(micros));
            c.details.push(no_nul("listing detail", &l.detail)?);
        }
        Ok(c)
    }

    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 4] {
        [&self.kinds, &self.keys, &self.ats, &self.details]
    }
}

/// A case's row as the columns the statements bind.
pub(crate) struct CaseRow {
    pub(crate) body: String,
    pub(crate) owed_json: String,
    pub(crate) stage: &'static str,
    pub(crate) risk_rank: i64,
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) next_review_due: Option<DateTime<Utc>>,
    pub(crate) young_person: Uuid,
    pub(crate) owed: OwedColumns,
}

impl CaseRow {
    pub(crate) fn of(summary: &CaseSummary) -> Result<Self, StoreError> {
        let (body, owed_json) = encode_summary(summary)?;
        no_nul("case summary", &body)?;
        no_nul("owed actions", &owed_json)?;
        Ok(CaseRow {
            body,
            owed_json,
            stage: summary.stage.as_str(),
            risk_rank: summary.risk_rank(),
            received_at: micros(summary.received_at),
            next_review_due: summary.next_review_due.map(micros),
            young_person: summary.young_person_id.as_uuid(),
            owed: OwedColumns::of(&summary.owed)?,
        })
    }
}

/// A young person's row as the columns the statements bind.
pub(crate) struct PersonRow<'a> {
    pub(crate) body: String,
    pub(crate) district: &'a str,
    pub(crate) registered_at: DateTime<Utc>,
}

impl<'a> PersonRow<'a> {
    pub(crate) fn of(person: &'a YoungPersonSummary) -> Result<Self, StoreError> {
        let body = encode_body(person)?;
        no_nul("young person summary", &body)?;
        Ok(PersonRow {
            body,
            district: no_nul("postcode district", &person.postcode_district)?,
            registered_at: micros(person.registered_at),
        })
    }
}

/// A rewrite's events as parallel arrays (version, payload, reason); a version named twice
/// keeps its last entry, as applying them in order would.
pub(crate) struct RewriteColumns<'a> {
    pub(crate) versions: Vec<i64>,
    pub(crate) payloads: Vec<&'a str>,
    pub(crate) reasons: Vec<Option<&'a str>>,
}

impl<'a> RewriteColumns<'a> {
    pub(crate) fn of(events: &'a [RewrittenEvent]) -> Result<Self, StoreError> {
        let mut last: std::collections::BTreeMap<u64, &RewrittenEvent> = Default::default();
        for e in events {
            last.insert(e.version, e);
        }
        let mut c = RewriteColumns {
            versions: Vec::with_capacity(last.len()),
            payloads: Vec::with_capacity(last.len()),
            reasons: Vec::with_capacity(last.len()),
        };
        for (version, e) in last {
            c.versions.push(to_i64(version)?);
            c.payloads.push(no_nul("payload", &e.payload)?);
            c.reasons.push(
                e.reason
                    .as_deref()
                    .map(|r| no_nul("reason", r))
                    .transpose()?,
            );
        }
        Ok(c)
    }
}
