//! The routes: every command and read of the checked handle ([`casework_service::Acting`]).
//!
//! Each route is an [`Operation`] and its handler, made together (see [`endpoint`]), so the
//! router and the OpenAPI document ([`crate::openapi`]) are built from the same list,
//! [`operations`]. Queries are generated from [`casework_service::QUERIES`]: each is
//! `GET /queries/{name}` (parameters in the query string) and `POST /queries/{name}`
//! (parameters as a JSON object). Commands of every aggregate go to its stream's
//! `…/commands`, one route per aggregate, the command named in the body (flat JSON:
//! `{"command": "decline", "reason": "…"}`).
//!
//! | area | routes |
//! |---|---|
//! | cases | `GET /cases/{id}` (summary, `ETag`), `POST /cases/{id}/commands` (`If-Match`), `GET …/history`, `…/as-of?at=`, `…/audit-trail`, `POST …/open` (purpose; logged), `GET …/relationship`, `…/length-status`, `…/risk-trend`, `…/risk-trajectory`, `…/cadence?from=&to=`, `POST …/shares`, `POST …/shares/override`, `GET …/referrer-view`, `…/disclosures` |
//! | young people | `POST /young-people`, `GET /young-people/{id}`, `…/history`, `…/as-of`, `POST …/commands`, `POST …/referrals`, `GET …/cases`, `…/activity`, `…/return-interviews-due`, `…/duplicates`, `POST …/duplicates/{other}`, `GET …/linked-records`, `POST …/subject-access-export`, `GET …/retention`, `…/retention-status?as_of=`, `POST …/legal-holds`, `POST …/legal-holds/{hold}/lift`, `POST …/anonymise` |
//! | workshops, intelligence | `POST /workshops`, `GET /workshops/{id}`, `POST …/commands`, `POST …/open`; the same four under `/intelligence` |
//! | service-wide | `GET`/`POST /queries/{name}`, `GET /disclosure-log`, `/override-report`, `/access-log?subject=`, `/legal-holds`, `/erasure-log`, `/retention-review`; lists read from listings answer in pages ([`Paginated`]: `limit`, `cursor`; see the crate docs) |
//!
//! Every route authenticates first (`401` before anything else is looked at); the checked
//! handle checks the permission (R-27) before reading anything. Ids in paths are accepted as
//! displayed (`case-<uuid>`) or as bare uuids. Query-string values are read as JSON where
//! they parse as JSON (`null`, numbers, objects such as a report request) and as strings
//! otherwise. No answer holds confidential content (R-8) except the `…/open` reads and the
//! subject access export, which are logged: histories show such events `sealed` (see
//! [`views`]).

mod cases;
pub mod endpoint;
mod service;
pub mod views;
mod workshops;
mod young_people;

pub use cases::{AsOf, ShareWith};
pub use endpoint::{Input, Operation, Verb};
pub use service::{
    AccessLogOf, PageParams, Paginated, DEFAULT_PAGE, MAX_PAGE, PAGED_QUERIES, ROUTED_QUERIES,
};
pub use workshops::Created;
pub use young_people::{DuplicateDecision, LinkedRecords};

use crate::auth::Authenticator;
use crate::problem::{HttpError, Problem};
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use axum::Router;
use casework_core::privacy::access::StaffDirectory;
use casework_core::store::Store;
use casework_service::Casework;
use chrono::{DateTime, Utc};
use endpoint::{App, Endpoint};
use serde::Deserialize;
use std::sync::Arc;

/// A read that is recorded, or an export: why it is made (R-27).
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// The purpose, recorded in the access log with the read.
    pub purpose: String,
}

/// A change that needs its reason stated.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The reason, recorded with the change.
    pub reason: String,
}

/// A period `[from, to)`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// The start (RFC 3339), included.
    pub from: DateTime<Utc>,
    /// The end (RFC 3339), excluded.
    pub to: DateTime<Utc>,
}

/// The moment a retention question is asked at.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsOfDate {
    /// The moment (RFC 3339).
    pub as_of: DateTime<Utc>,
}

fn endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
    let mut all = cases::endpoints::<S>();
    all.extend(young_people::endpoints::<S>());
    all.extend(workshops::endpoints::<S>());
    all.extend(service::endpoints::<S>());
    all
}

/// Every operation the router serves, in the order the OpenAPI document lists them.
#[must_use]
pub fn operations<S: Store + 'static>() -> Vec<Operation> {
    endpoints::<S>().into_iter().map(|e| e.op).collect()
}

/// The OpenAPI 3.1 document of the router over a store of type `S` (see [`crate::openapi`]);
/// the router serves it at `GET /openapi.json`.
#[must_use]
pub fn openapi_document<S: Store + 'static>() -> serde_json::Value {
    crate::openapi::document(&endpoints::<S>())
}

/// How the router limits and exposes itself; [`Options::default`] is what [`router`] uses.
///
/// ```
/// let options = casework_http::Options::default()
///     .allow_origin("https://casework.example.invalid")
///     .text_limit(10_000);
/// assert_eq!(options.cors_origins.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The most characters one text value of a request may hold (a note, a reason), checked
    /// before the request is decoded: longer is a `400` naming the field. `None` (the
    /// default): the profile's `limits.text_bytes`, so the router never refuses what the
    /// service would keep; every value is then checked against the profile's own limits
    /// anyway (`casework_core::policy::limits`). The body as a whole is limited by the server
    /// (`casework-server --body-limit`).
    pub text_limit: Option<usize>,
    /// The origins a browser front end may call from (CORS), e.g.
    /// `https://casework.example.invalid`. Empty (the default): no cross-origin calls.
    pub cors_origins: Vec<String>,
}

impl Options {
    /// Allows a browser front end on `origin` to call the API.
    #[must_use]
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.cors_origins.push(origin.into());
        self
    }

    /// Sets [`Options::text_limit`].
    #[must_use]
    pub fn text_limit(mut self, chars: usize) -> Self {
        self.text_limit = Some(chars);
        self
    }
}

/// The router over `casework` with the default [`Options`]: see the [module docs](self).
/// Mount it in any axum server (`Router::nest`), or serve it on its own.
pub fn router<S, A>(
    casework: Arc<Casework<S>>,
    authenticator: A,
    directory: StaffDirectory,
) -> Router
where
    S: Store + 'static,
    A: Authenticator,
{
    router_with(casework, authenticator, directory, &Options::default())
}

/// The router over `casework` with `options`.
pub fn router_with<S, A>(
    casework: Arc<Casework<S>>,
    authenticator: A,
    directory: StaffDirectory,
    options: &Options,
) -> Router
where
    S: Store + 'static,
    A: Authenticator,
{
    // Characters never outnumber bytes: a text within the profile's bytes passes.
    let text_limit = options
        .text_limit
        .unwrap_or(casework.profile().limits.text_bytes as usize);
    let app = App {
        casework,
        authenticator: Arc::new(authenticator),
        directory: Arc::new(directory),
        text_limit,
    };
    let endpoints = endpoints::<S>();
    let document = crate::openapi::document(&endpoints);
    let document: Bytes = serde_json::to_vec(&document)
        .expect("the document is JSON")
        .into();
    let mut router = Router::new().route(
        "/openapi.json",
        get(move || {
            let document = document.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], document) }
        }),
    );
    for Endpoint { op, route, .. } in endpoints {
        router = router.route(&op.path, route);
    }
    router
        .fallback(|| async { Problem::from(HttpError::NotFound) })
        .method_not_allowed_fallback(|| async { Problem::from(HttpError::MethodNotAllowed) })
        .with_state(app)
        .layer(axum::middleware::map_response(security_headers))
        .layer(cors(&options.cors_origins))
}

/// Headers on every answer: nothing about a child is cached by a browser or a proxy, sniffed
/// as another type, framed, or sent on as a referrer.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// CORS for the configured origins only; bearer tokens travel in a header, so no cookies
/// and no credentials mode.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework_service::QUERIES;

    #[test]
    fn every_query_is_routed_and_every_route_is_a_query() {
        let mut routed = ROUTED_QUERIES.to_vec();
        let mut listed: Vec<_> = QUERIES.iter().map(|i| i.name).collect();
        routed.sort_unstable();
        listed.sort_unstable();
        assert_eq!(routed, listed);
    }
}
