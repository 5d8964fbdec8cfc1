//! Service-wide routes: every query in [`casework_service::QUERIES`] (generated, one path
//! each, by the query's name), and the logs and reviews across all records: the disclosure
//! log and override report, the access log, legal holds, the erasure log and
//! the retention review.

use super::endpoint::{bad, decode, endpoint, Call, Endpoint, Fail, Nothing, Operation, Reply};
use super::{AsOfDate, Period};
use crate::problem::Problem;
use casework_core::privacy::access::{check, Relationship};
use casework_core::privacy::access_log::AccessSubject;
use casework_core::store::Store;
use casework_service::queries::{self as q, PagePosition, Paged, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// `GET /access-log?subject=…`: whose reads to list.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessLogOf {
    /// The record, e.g. `{"record": "young_person", "young_person": "…"}`.
    pub subject: AccessSubject,
}

fn retention(e: &casework_service::RetentionError) -> Fail {
    Problem::acting(e, false).into()
}

/// The endpoints of query `Q`, answered whole (`why` says why it is not paged, in the
/// summary): `GET` with its parameters in the query string, `POST` with them as a JSON
/// object. The permission is checked before the parameters are read, so a refusal
/// says nothing about them.
fn query<S, Q>(why: &str) -> [Endpoint<S>; 2]
where
    S: Store + 'static,
    Q: Query + serde::de::DeserializeOwned + schemars::JsonSchema + 'static,
    Q::Output: serde::Serialize + schemars::JsonSchema + 'static,
{
    let run = |call: Call<S>, params: Value| async move {
        check(&call.actor, Relationship::None, Q::PERMISSION, None)
            .map_err(|d| Problem::acting(&casework_service::AccessError::Denied(d), false))?;
        let query: Q = decode(params)?;
        let answer = call
            .acting()
            .query(query)
            .await
            .map_err(|e| Problem::acting(&e, false))?;
        Ok::<_, Fail>(Reply::ok(answer))
    };
    let summary = format!(
        "The `{}` query (needs `{}`). Not paginated: {why}",
        Q::NAME,
        Q::PERMISSION.as_str()
    );
    let (read, write) = query_operations(Q::NAME, summary);
    [
        endpoint(read, run).accepting::<Q>(),
        endpoint(write, run).accepting::<Q>(),
    ]
}

/// A query's two operations at `/queries/{name}`: `GET` with its parameters in the query
/// string, `POST` with them as a JSON body.
fn query_operations(name: &str, summary: String) -> (Operation, Operation) {
    let path = format!("/queries/{name}");
    let mut read = Operation::read("", "", "");
    read.path = Cow::Owned(path.clone());
    read.name = Cow::Owned(format!("query_{name}"));
    read.summary = Cow::Owned(summary.clone());
    let mut write = Operation::write("", "", "");
    write.path = Cow::Owned(path);
    write.name = Cow::Owned(format!("query_{name}_with_body"));
    write.summary = Cow::Owned(summary);
    (read, write)
}

/// The endpoints of query `Q`, paged (see [`paged`]): `GET` with its parameters, `limit` and
/// `cursor` in the query string, `POST` with them as a JSON object.
fn paged_query<S, Q>() -> [Endpoint<S>; 2]
where
    S: Store + 'static,
    Q: Query + Paged + serde::de::DeserializeOwned + schemars::JsonSchema + 'static,
    Q::Item: Serialize + schemars::JsonSchema + 'static,
{
    let summary = format!(
        "The `{}` query (needs `{}`), in pages of `limit` (1 to {MAX_PAGE}, default \
         {DEFAULT_PAGE}): send `next_cursor` back as `cursor`, with the same parameters, for \
         the next page.",
        Q::NAME,
        <Q as Query>::PERMISSION.as_str()
    );
    let (read, write) = query_operations(Q::NAME, summary);
    [paged(read, |q: Q| q), paged(write, |q: Q| q)]
}

macro_rules! routed_queries {
    (paged: $($paged:ty),* $(,)?; whole: $($whole:ty => $why:literal),* $(,)?) => {
        /// Every query routed, by [`Query::NAME`]: the same list as
        /// [`casework_service::QUERIES`] (a test holds them equal), so a query added to the
        /// service without a route here fails the tests.
        pub const ROUTED_QUERIES: &[&str] =
            &[$(<$paged as Query>::NAME,)* $(<$whole as Query>::NAME),*];

        /// The queries answered in pages, by [`Query::NAME`].
        pub const PAGED_QUERIES: &[&str] = &[$(<$paged as Query>::NAME),*];

        fn query_endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
            let mut all = Vec::new();
            $(all.extend(paged_query::<S, $paged>());)*
            $(all.extend(query::<S, $whole>($why));)*
            all
        }
    };
}

routed_queries!(
    paged:
        q::ReviewsDue,
        q::CasesPastExpectedLength,
        q::OpenCases,
        q::PartnerReferrals,
        q::ClosedCases,
        q::AllReturnInterviewsDue,
        q::OverdueReturnInterviews,
        q::FlaggedYoungPeople,
        q::AlumniMembers,
        q::IntelligenceAwaitingPolice,
        q::PossibleDuplicatesAwaitingDecision;
    whole:
        q::CadenceAcrossOpenCases => "computed from every open case's history, one report per case.",
        q::WorkshopReachIn => "one object (the totals and each workshop).",
        q::ServiceReport => "one object (the figures).",
        q::WaitingList => "read from the case rows in R-7 order, which have no page read.",
        q::OutstandingActions => "read from the owed-action rows, which have no page read.",
        q::OverdueReviews => "read from the case rows, which have no page read.",
);

// ---------------------------------------------------------------------------------------------
// Pages.

/// The most items one page holds.
pub const MAX_PAGE: usize = 500;

/// How many items a page holds when `limit` is not given.
pub const DEFAULT_PAGE: usize = 100;

/// One page of a paged list: `{"items": [...], "next_cursor": "…" | null}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Paginated<T> {
    /// The items, in the list's own order.
    pub items: Vec<T>,
    /// The next page's cursor: send it back as `cursor`, with the same parameters. `null`
    /// on the last page.
    pub next_cursor: Option<String>,
}

/// A paged list's input: its own parameters, with `limit` and `cursor`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{P}Paged", extend("additionalProperties" = false))]
pub struct PageParams<P> {
    /// The list's own parameters.
    #[serde(flatten)]
    pub params: P,
    /// The most items the page holds: 1 to 500; 100 when not given.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: u32,
    /// The `next_cursor` of the page before, as it was given; none (or empty) for the first
    /// page.
    #[serde(default)]
    pub cursor: String,
}

fn default_limit() -> u32 {
    // A constant of a few digits: it fits.
    DEFAULT_PAGE as u32
}

/// The endpoint serving `op` as a paged list: the list is made from the input (`P`, without
/// `limit` and `cursor`) by `make`. The permission is checked first; then `limit`
/// (a `400` naming it unless 1 to [`MAX_PAGE`]), the list's parameters and `cursor` (a `400`
/// naming it unless it is a `next_cursor` this list gave with these parameters) are read.
fn paged<S, P, L>(op: Operation, make: fn(P) -> L) -> Endpoint<S>
where
    S: Store + 'static,
    P: serde::de::DeserializeOwned + schemars::JsonSchema + Send + 'static,
    L: Paged + 'static,
    L::Item: Serialize + schemars::JsonSchema + 'static,
{
    let path: std::sync::Arc<str> = std::sync::Arc::from(&*op.path);
    let run = move |call: Call<S>, params: Value| {
        let path = std::sync::Arc::clone(&path);
        async move {
            check(&call.actor, Relationship::None, L::PERMISSION, None)
                .map_err(|d| Problem::acting(&casework_service::AccessError::Denied(d), false))?;
            let (params, limit, cursor) = page_params(params)?;
            let binding = cursor_binding(&path, &params);
            let list = make(decode(params)?);
            let after = cursor
                .map(|c| open_cursor(&c, &binding, list.parts().len()))
                .transpose()?;
            let page = call
                .acting()
                .page(&list, after, limit)
                .await
                .map_err(|e| Problem::acting(&e, false))?;
            Ok::<_, Fail>(Reply::ok(Paginated {
                items: page.items,
                next_cursor: page.next.map(|p| seal_cursor(&p, &binding)),
            }))
        }
    };
    endpoint(op, run).accepting::<PageParams<P>>()
}

/// Splits `limit` and `cursor` off a paged list's input: the rest, the limit (checked) and
/// the cursor text, if any.
fn page_params(params: Value) -> Result<(Value, usize, Option<String>), Fail> {
    let Value::Object(mut params) = params else {
        return Err(bad("body", "the body is not a JSON object"));
    };
    let limit = match params.remove("limit") {
        None | Some(Value::Null) => DEFAULT_PAGE,
        Some(value) => value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| bad("limit", format!("a whole number from 1 to {MAX_PAGE}")))?,
    };
    let cursor = match params.remove("cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.is_empty() => None,
        Some(Value::String(text)) => Some(text),
        Some(_) => return Err(bad("cursor", CURSOR_PROBLEM)),
    };
    Ok((Value::Object(params), limit, cursor))
}

const CURSOR_PROBLEM: &str = "not a cursor of this list with these parameters: send a \
     `next_cursor` as it was given, with the parameters of the page it came with, or none for \
     the first page";

/// What a cursor is bound to: the list (its path) and its parameters, as canonical JSON, so
/// a cursor of one list, or of other parameters, is refused rather than misread.
fn cursor_binding(path: &str, params: &Value) -> String {
    format!("{path}\u{0}{}", canonical(params))
}

/// JSON text with every object's keys sorted.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&fields[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// The cursor's version: its first characters.
const CURSOR_VERSION: &str = "c1";

/// The integrity tag of a cursor's position under `binding`: the first 16 bytes of SHA-256.
fn cursor_tag(binding: &str, position: &[u8]) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"casework page cursor\0");
    hash.update(binding.as_bytes());
    hash.update([0]);
    hash.update(position);
    let digest = hash.finalize();
    let mut tag = [0; 16];
    tag.copy_from_slice(&digest[..16]);
    tag
}

/// The cursor of `position` under `binding`: `c1` and, in unpadded base64url, the tag and
/// the position's JSON.
fn seal_cursor(position: &PagePosition, binding: &str) -> String {
    let json = serde_json::to_vec(position).expect("a page position is JSON");
    let mut bytes = cursor_tag(binding, &json).to_vec();
    bytes.extend(json);
    format!("{CURSOR_VERSION}{}", base64url::encode(&bytes))
}

/// The position of a cursor given back; a `400` naming `cursor` when it is not one this list
/// gave with these parameters (malformed, cut, altered, or another list's).
fn open_cursor(text: &str, binding: &str, parts: usize) -> Result<PagePosition, Fail> {
    let refused = || bad("cursor", CURSOR_PROBLEM);
    let bytes = text
        .strip_prefix(CURSOR_VERSION)
        .and_then(base64url::decode)
        .filter(|b| b.len() > 16)
        .ok_or_else(refused)?;
    let (tag, json) = bytes.split_at(16);
    if tag != cursor_tag(binding, json) {
        return Err(refused());
    }
    serde_json::from_slice::<PagePosition>(json)
        .ok()
        .filter(|p| p.part < parts)
        .ok_or_else(refused)
}

/// Unpadded base64url (RFC 4648 §5), for cursors.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            }
        }
        out
    }

    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
        let text = text.as_bytes();
        if text.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
        for chunk in text.chunks(4) {
            let mut n = 0;
            for (i, &c) in chunk.iter().enumerate() {
                n |= value(c)? << (18 - 6 * i);
            }
            let bytes = n.to_be_bytes();
            out.extend_from_slice(&bytes[1..chunk.len()]);
            // Bits past the last byte must be zero: one text per byte string.
            let spare = match chunk.len() {
                2 => n & 0xFFFF,
                3 => n & 0xFF,
                _ => 0,
            };
            if spare != 0 {
                return None;
            }
        }
        Some(out)
    }
}

/// The service-wide routes.
pub(crate) fn endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
    let mut all = query_endpoints::<S>();
    all.extend([
        paged(
            Operation::read(
                "/disclosure-log",
                "disclosure_log",
                "Every share recorded in a period, across all cases (R-8, R-9), in pages.",
            ),
            |Period { from, to }| q::DisclosureLog { from, to },
        ),
        paged(
            Operation::read(
                "/override-report",
                "override_report",
                "Every share made under an override in a period, for review (R-9), in pages.",
            ),
            |Period { from, to }| q::OverrideReport { from, to },
        ),
        paged(
            Operation::read(
                "/access-log",
                "access_log",
                "Every recorded read of one record: who, when, for what purpose (R-27), in pages.",
            ),
            |AccessLogOf { subject }| q::AccessLog { subject },
        ),
        paged(
            Operation::read(
                "/legal-holds",
                "legal_holds",
                "Every legal hold in place (R-23), in pages.",
            ),
            |_: Nothing| q::LegalHolds,
        ),
        paged(
            Operation::read(
                "/erasure-log",
                "erasure_log",
                "Every erasure started in a period: who, when, why, what (R-23), in pages.",
            ),
            |Period { from, to }| q::ErasureLog { from, to },
        ),
        endpoint(
            Operation::read(
                "/retention-review",
                "retention_review",
                "Every young person whose records are due for erasure at a date, and why (R-23). \
                 Not paginated: each young person is checked against the schedule.",
            ),
            |call: Call<S>, AsOfDate { as_of }: AsOfDate| async move {
                let due = call
                    .acting()
                    .retention_review(as_of)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(due))
            },
        ),
    ]);
    all
}
