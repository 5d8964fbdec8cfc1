//! # casework-server
//!
//! A server for Casework's HTTP/JSON API: the [`casework_http`] router over the embedded
//! SQLite file (the default) or Postgres, configured from files, never from requests.
//!
//! ```text
//! cargo run -p casework-server -- --profile examples/config/profiles/city-girls.toml \
//!     --staff examples/config/staff.toml
//! cargo run -p casework-server -- --database postgres://casework@localhost/casework \
//!     --profile examples/config/profiles/city-girls.toml --staff examples/config/staff.toml
//! cargo run -p casework-server -- hash-token --generate
//! ```
//!
//! - **Store**: `--database FILE` (default `casework.db`, created and migrated on first
//!   start) or `--database postgres://…` (connected and migrated; the URL is never printed).
//! - **Encryption at rest**: confidential content is sealed with each young person's data key
//!   ([`casework_service::keyring`]), wrapped by a key-encryption key from `CASEWORK_KEK`
//!   (64 hexadecimal digits, for a server's secret store) or a key file created 0600 on first
//!   start: `--key-file FILE`, by default beside the SQLite file (`casework.db.key`) or
//!   `casework.key` for Postgres. Back the key up apart from the database.
//! - **Profile**: `--profile FILE` loads a service profile with the risk tool and programmes
//!   it names ([`casework::config::load_profile`]); without it the shipped `city-girls`
//!   profile (compiled in) is used.
//! - **Identity**: `--staff FILE` ([`staff`]) names each account's actor, its token *hashes*
//!   and the teams; `hash-token` makes a hash. Without `--staff` there are no accounts and
//!   every API call is `401`. With an `[oidc]` section the server also accepts bearer JWTs
//!   from the charity's identity provider (Microsoft 365, Google Workspace), each account's
//!   `subject` naming its person; the role is still the staff file's. The JWKS file is
//!   re-read on **SIGHUP** (never fetched by the server).
//! - **Endpoints** added to the router: `GET /healthz` (the process is up: `200`) and
//!   `GET /readyz` (the store answers a cheap read: `200`, otherwise the store's `503`
//!   problem with `Retry-After`). Both need no credential and say nothing about the data.
//! - **Limits**: a request body over `--body-limit` bytes (default 1 MiB) is `413`
//!   `payload_too_large`; a request not answered within `--request-timeout` seconds
//!   (default 30) is `503` `request_timeout` with `Retry-After`. Both are
//!   `application/problem+json`. A command cut off by the timeout may still have been
//!   appended (the store finishes what it started): retry it with the same
//!   `Idempotency-Key` (honoured by every `…/commands` route, registration, referral,
//!   planning a workshop and recording intelligence; the OpenAPI document lists it on each)
//!   to get the first result rather than a second append, or reload before retrying. One
//!   text value (a note, a reason) over `--text-limit` characters (default: the profile's
//!   `limits.text_bytes`) is `400` naming the field, and every request is held to the
//!   profile's `[limits]` as well (names, text, lists: `400` naming the field and the limit).
//! - **Browsers**: `--cors-origin https://casework.example.org` (repeatable) lets a front end
//!   served from that origin call the API: preflights from it are answered, with
//!   `Authorization`, `Content-Type`, `If-Match` and `Idempotency-Key` allowed and `ETag`,
//!   `Location` and `Retry-After` exposed; no other origin is (no credentials mode: tokens
//!   travel in a header). Without it, no cross-origin calls. An origin is
//!   `scheme://host[:port]` exactly as a browser sends it (no path, not even a trailing `/`);
//!   anything else is refused at start-up naming `--cors-origin`.
//! - **Shutdown**: on SIGINT or SIGTERM the server stops accepting connections, finishes the
//!   requests in flight (each bounded by the timeout), closes the store and exits `0`.
//!
//! The command line is parsed by hand ([`cli`]): a handful of flags and one subcommand do
//! not justify a parser crate and its proc-macro build on every CI run.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod staff;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use casework_core::kernel::ids::CaseId;
use casework_core::store::Store;
use casework_http::Problem;
use casework_service::{Casework, LoadError};
use std::sync::Arc;
use std::time::Duration;

pub use cli::{Command, Database, Options};
pub use staff::{Oidc, Staff, StaffFile};

/// The limits the server puts around the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted, in bytes.
    pub body_bytes: usize,
    /// How long a request may take before it is answered `503`.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

fn problem(status: StatusCode, code: &'static str, title: &'static str, detail: &str) -> Problem {
    Problem {
        kind: format!("urn:casework:error:{code}"),
        code,
        title,
        status: status.as_u16(),
        detail: detail.to_owned(),
        rule: None,
        field: None,
        permission: None,
        current_version: None,
    }
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == HeaderValue::from_static("application/problem+json"))
}

async fn limits(timeout: Duration, request: Request, next: Next) -> Response {
    let Ok(response) = tokio::time::timeout(timeout, next.run(request)).await else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            "Request timed out",
            "the request was not answered in time; a command may still have been carried out, so reload before retrying",
        )
        .into_response();
    };
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem(&response) {
        let mut p = problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body too large",
            "the request body is larger than this server accepts",
        );
        p.field = Some("body".to_owned());
        return p.into_response();
    }
    response
}

async fn readyz<S: Store>(casework: Arc<Casework<S>>) -> Response {
    // A cheap read that reaches the store: the summary of a case that does not exist.
    match casework.case_summary(CaseId::new()).await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ready"}"#,
        )
            .into_response(),
        Err(e) => Problem::load(&LoadError::Store(e)).into_response(),
    }
}

/// The whole application: [`casework_http::router_with`] and its `http` options (text
/// limit, CORS origins) with `/healthz`, `/readyz` and the [`Limits`].
pub fn app<S: Store + 'static>(
    casework: Arc<Casework<S>>,
    staff: Staff,
    limits: Limits,
    http: &casework_http::Options,
) -> Router {
    let ready = Arc::clone(&casework);
    let timeout = limits.request_timeout;
    Router::new()
        .route(
            "/healthz",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"status":"up"}"#,
                )
            }),
        )
        .route("/readyz", get(move || readyz(Arc::clone(&ready))))
        .merge(casework_http::router_with(
            casework,
            // Service accounts' API tokens first, then staff JWTs when `[oidc]` is configured.
            (staff.tokens, staff.oidc.map(|oidc| oidc.authenticator)),
            staff.directory,
            http,
        ))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            self::limits(timeout, request, next)
        }))
}

/// Re-reads the `[oidc]` JWKS file on every SIGHUP, for as long as the runtime runs. The
/// handler is installed before this returns, so a SIGHUP after it never ends the process. A
/// file that does not load is reported and the keys in use stay.
///
/// # Errors
/// The signal handler cannot be installed.
#[cfg(unix)]
pub fn reload_keys_on_sighup(oidc: Oidc) -> Result<(), Box<dyn std::error::Error>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup())
        .map_err(|e| format!("cannot install the SIGHUP handler: {e}"))?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match oidc.reload() {
                Ok(kids) => eprintln!("SIGHUP: OIDC keys reloaded: {}", kids.join(", ")),
                Err(e) => eprintln!("SIGHUP: OIDC keys not reloaded, the old ones stay: {e}"),
            }
        }
    });
    Ok(())
}

/// Without SIGHUP, the keys read at start-up stay (restart to reload).
///
/// # Errors
/// Never.
#[cfg(not(unix))]
pub fn reload_keys_on_sighup(_oidc: Oidc) -> Result<(), Box<dyn std::error::Error>> {
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// Serves `casework` on `options.listen` until [`shutdown_signal`], then finishes the
/// requests in flight. Prints `listening on http://<address>` (the bound address, so port `0`
/// can be used) on standard output once it accepts connections.
///
/// # Errors
/// The address cannot be bound, or serving fails.
pub async fn serve<S: Store + 'static>(
    casework: Arc<Casework<S>>,
    staff: Staff,
    options: &Options,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    if let Some(oidc) = staff.oidc.clone() {
        reload_keys_on_sighup(oidc)?;
    }
    let app = app(casework, staff, options.limits, &options.http);
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            eprintln!("shutting down: finishing the requests in flight");
        })
        .await?;
    Ok(())
}

/// Opens the store `options` name, applies its migrations, loads the profile and staff file,
/// and [`serve`]s.
///
/// # Errors
/// A configuration file that does not load, a store that cannot be opened or migrated, or a
/// failure to serve; the message names the file or setting at fault (never a database URL).
pub async fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let profile = match &options.profile {
        Some(path) => casework::config::load_profile(path)?,
        None => casework::config::shipped::profile("city-girls")?,
    };
    let staff = match &options.staff {
        Some(path) => StaffFile::load(path)?.build()?,
        None => {
            eprintln!("no --staff file: no accounts are configured, so every API call is 401");
            StaffFile::default().build()?
        }
    };
    eprintln!(
        "profile: {}; accounts with tokens: {}",
        options.profile.as_ref().map_or_else(
            || "shipped city-girls".to_owned(),
            |p| p.display().to_string()
        ),
        staff.accounts_with_tokens
    );
    eprintln!(
        "text limit: {}; CORS origins: {}",
        options.http.text_limit.map_or_else(
            || "the profile's limits.text_bytes".to_owned(),
            |chars| format!("{chars} characters")
        ),
        if options.http.cors_origins.is_empty() {
            "none (no cross-origin calls)".to_owned()
        } else {
            options.http.cors_origins.join(", ")
        }
    );
    if let Some(oidc) = &staff.oidc {
        let jwt = &oidc.authenticator;
        eprintln!(
            "OIDC: accounts with a subject ({}): {}; keys from {} (reloaded on SIGHUP): {}",
            jwt.identity_claim(),
            jwt.subjects(),
            oidc.jwks.display(),
            jwt.key_ids().join(", ")
        );
    }
    let keyring = Arc::new(keyring(options)?);
    eprintln!(
        "confidential content sealed at rest under key-encryption key {}",
        keyring.kek_id()
    );
    match &options.database {
        Database::Sqlite(path) => {
            let store = casework_sqlite::SqliteStore::open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let applied = store.migrate().await?;
            eprintln!(
                "database: SQLite {} (migrations applied now: {applied:?})",
                path.display()
            );
            let casework = Casework::new(store, profile).with_keyring(keyring);
            serve(Arc::new(casework), staff, options).await
        }
        Database::Postgres(url) => {
            let store = casework_postgres::PostgresStore::connect(url)
                .await
                .map_err(|e| format!("Postgres: {e}"))?;
            let applied = store.migrate().await?;
            eprintln!("database: Postgres (migrations applied now: {applied})");
            let casework = Casework::new(store, profile).with_keyring(keyring);
            serve(Arc::new(casework), staff, options).await
        }
    }
}

/// The keyring sealing content at rest: the key-encryption key from `CASEWORK_KEK` when set,
/// otherwise from the key file (`--key-file`, or beside the SQLite file, or `casework.key`),
/// created on first start.
fn keyring(options: &Options) -> Result<casework_service::keyring::Keyring, String> {
    use casework_service::keyring::{key_file, key_file_beside, key_from_env, Keyring};
    const ENV: &str = "CASEWORK_KEK";
    let kek = if std::env::var_os(ENV).is_some() {
        key_from_env(ENV)
    } else {
        let path = options
            .key_file
            .clone()
            .unwrap_or_else(|| match &options.database {
                Database::Sqlite(db) => key_file_beside(db),
                Database::Postgres(_) => std::path::PathBuf::from("casework.key"),
            });
        key_file(&path)
    }
    .map_err(|e| format!("key-encryption key: {e}"))?;
    Ok(Keyring::new(Arc::new(kek)))
}
