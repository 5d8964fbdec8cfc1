//! # casework-http
//!
//! Casework over HTTP/JSON for front ends written in any language: an [`axum::Router`] an
//! embedder mounts in its own server, over the checked handle
//! ([`casework_service::Acting`]), so every call is checked against the permission table
//! (R-27) exactly as a Rust front end's would be.
//!
//! - **Identity is never taken from the client.** An [`Authenticator`] turns the request's
//!   headers into an [`Actor`]; the body is never read for it, and staff relationships come
//!   from the [`StaffDirectory`] the embedder configures. [`ApiTokens`] is one
//!   authenticator: opaque bearer tokens for service accounts, kept only as SHA-256 hashes.
//!   [`JwtAuthenticator`] is the other: bearer JWTs from the charity's identity provider
//!   (OIDC: Microsoft 365, Google Workspace), verified against configured keys, each person
//!   mapped to a configured actor; `(ApiTokens, JwtAuthenticator)` accepts both ([`jwt`]).
//! - **Reads generated from the queries.** Every service-wide query in
//!   [`casework_service::QUERIES`] is `GET /queries/{name}` (parameters in the query string)
//!   and `POST /queries/{name}` (parameters as a JSON object); see [`routes`].
//! - **Lists in pages** (ADR 0013). The queries that read listings directly (reviews due,
//!   cases past their expected length, open cases, partner referrals, closed cases, return
//!   interviews, flagged young people, alumni, intelligence awaiting the police, possible
//!   duplicates) and the logs (`/disclosure-log`, `/override-report`, `/access-log`,
//!   `/legal-holds`, `/erasure-log`) take `limit` (1 to [`routes::MAX_PAGE`], default
//!   [`routes::DEFAULT_PAGE`]) and `cursor`, and answer a [`routes::Paginated`]:
//!   `{"items": [...], "next_cursor": "…" | null}`. Send `next_cursor` back as `cursor`, with
//!   the same parameters, for the next page; only `null` means the last (a page may hold
//!   fewer than `limit` items when it ends before a tie of listings it would split). Pages
//!   are keyset ranges of the list's own order read by the store from its index, never
//!   offsets: an item recorded, changed or removed between two pages makes no other item
//!   skip or repeat. The cursor is opaque (and bound to the list and its parameters): a
//!   `limit` out of range, or a cursor altered, cut short or from another list, is a `400`
//!   naming the field. Lists computed from many
//!   reads or from the case rows (cadence across open cases, workshop reach, the report, the
//!   waiting list, outstanding actions, overdue reviews, the retention review) answer whole;
//!   their summaries in the OpenAPI document say so.
//!
//!   ```js
//!   // A front end's walk of the open cases, 50 at a time.
//!   let cursor = null;
//!   do {
//!     const url = "/queries/open_cases?limit=50" + (cursor ? "&cursor=" + cursor : "");
//!     const page = await (await fetch(url, { headers })).json();
//!     show(page.items);
//!     cursor = page.next_cursor;
//!   } while (cursor);
//!   ```
//! - **Optimistic concurrency.** `GET /cases/{id}` answers with the case's stream version as
//!   its `ETag`; `POST /cases/{id}/commands` takes `If-Match` and answers `412` with the
//!   current version when the case has moved on, before anything is decided.
//! - **Errors a program can switch on**, as `application/problem+json` (RFC 9457): see
//!   [`problem`].
//!
//! ```no_run
//! use casework_core::kernel::actor::Actor;
//! use casework_core::policy::profile::examples::city_girls_service;
//! use casework_core::privacy::access::StaffDirectory;
//! use casework_http::ApiTokens;
//! use casework_service::Casework;
//! use casework_sqlite::SqliteStore;
//! use std::sync::Arc;
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let store = SqliteStore::open("casework.db")?;
//! store.migrate().await?;
//! let casework = Arc::new(Casework::new(store, city_girls_service()));
//! // The token itself is shown to the service account's owner once; only its hash is kept.
//! let tokens = ApiTokens::new().with_hash(
//!     &ApiTokens::hash("fictional-intake-token"),
//!     Actor::worker("Intake Robot"),
//! );
//! let app = casework_http::router(casework, tokens, StaffDirectory::new());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
mod examples;
pub mod jwt;
pub mod openapi;
pub mod problem;
pub mod routes;

pub use auth::{ApiTokens, Authenticator, Unauthenticated};
pub use jwt::{IdentityClaim, JwtAuthenticator, JwtSettings};
pub use problem::{HttpError, Problem};
pub use routes::{
    openapi_document, operations, router, router_with, Operation, Options, ROUTED_QUERIES,
};

pub use casework_core::kernel::actor::Actor;
pub use casework_core::privacy::access::StaffDirectory;
