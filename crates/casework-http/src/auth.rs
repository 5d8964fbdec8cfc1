//! Who is calling: an [`Authenticator`] turns a request's headers into an [`Actor`].
//!
//! Identity is never taken from the client's say-so: an authenticator reads a credential
//! (a bearer token) and answers with the actor the *server* has configured for it, role and
//! id included. Nothing in a request body is ever consulted, and a header naming a role or
//! an id is ignored. Relationships (teams, allocated workers) come from the store and the
//! [`StaffDirectory`](casework_core::privacy::access::StaffDirectory) the embedder passes to
//! [`crate::router`].
//!
//! [`ApiTokens`] serves service accounts (an import, a scheduled job, a front end's own
//! backend): opaque tokens, kept only as their SHA-256 hashes, each mapped to one configured
//! actor. [`crate::jwt::JwtAuthenticator`] serves staff: bearer JWTs from the charity's
//! identity provider (OIDC), each person mapped to a configured actor.
//!
//! Authenticators compose: `(A, B)` tries `A`, then `B` (API tokens first, then JWTs, say),
//! and a credential neither knows is [`Unauthenticated`]; `Option<A>` is `A` when configured
//! and refuses everything when `None`.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use casework_core::kernel::actor::Actor;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

/// A request that did not prove who sent it: no credential, or one that is not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unauthenticated;

impl fmt::Display for Unauthenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request carries no valid credential")
    }
}

impl std::error::Error for Unauthenticated {}

/// Turns a request into the [`Actor`] it acts as; see the module docs.
pub trait Authenticator: Send + Sync + 'static {
    /// The actor the request's credential stands for, from the headers only.
    fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Unauthenticated>;
}

/// Opaque bearer tokens for service accounts, kept only as SHA-256 hashes (hex), each mapped
/// to the actor configured for it. A request sends `Authorization: Bearer <token>`.
///
/// ```
/// use casework_http::{ApiTokens, Authenticator};
/// use casework_core::kernel::actor::Actor;
/// use axum::http::HeaderMap;
///
/// let tokens = ApiTokens::new()
///     .with_hash(&ApiTokens::hash("fictional-token"), Actor::worker("Import Job"));
/// let mut headers = HeaderMap::new();
/// headers.insert("authorization", "Bearer fictional-token".parse().unwrap());
/// assert_eq!(tokens.authenticate(&headers).unwrap().name, "Import Job");
/// headers.insert("authorization", "Bearer forged".parse().unwrap());
/// assert!(tokens.authenticate(&headers).is_err());
/// ```
#[derive(Clone, Default)]
pub struct ApiTokens {
    by_hash: HashMap<[u8; 32], Actor>,
}

impl fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither hashes nor actors: how many accounts there are is all a log needs.
        f.debug_struct("ApiTokens")
            .field("accounts", &self.by_hash.len())
            .finish()
    }
}

impl ApiTokens {
    /// No tokens: every request is unauthenticated.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The hash to configure for `token`: SHA-256, lowercase hex. Store this, never the
    /// token.
    #[must_use]
    pub fn hash(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Adds a service account: the token whose [`ApiTokens::hash`] is `hash` (64 hex
    /// characters) acts as `actor`.
    ///
    /// # Panics
    /// If `hash` is not 64 hex characters: a configuration mistake, found at start-up.
    #[must_use]
    pub fn with_hash(mut self, hash: &str, actor: Actor) -> Self {
        let bytes = decode_hex(hash).unwrap_or_else(|| {
            panic!(
                "an API token hash is 64 hex characters (SHA-256), got {} characters",
                hash.len()
            )
        });
        self.by_hash.insert(bytes, actor);
        self
    }
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

/// The token of an `Authorization: Bearer <token>` header, trimmed; `None` without one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl Authenticator for ApiTokens {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Unauthenticated> {
        let token = bearer(headers).ok_or(Unauthenticated)?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_hash.get(&digest).cloned().ok_or(Unauthenticated)
    }
}

/// Either credential: the first authenticator's actor if it knows the request, else the
/// second's; a request neither knows is [`Unauthenticated`]. Neither sees a role or an id
/// the other did not configure.
///
/// ```
/// use casework_http::{ApiTokens, Authenticator};
/// use casework_core::kernel::actor::Actor;
/// use axum::http::HeaderMap;
///
/// let jobs = ApiTokens::new().with_hash(&ApiTokens::hash("fictional-a"), Actor::worker("Job A"));
/// let more = ApiTokens::new().with_hash(&ApiTokens::hash("fictional-b"), Actor::worker("Job B"));
/// let both = (jobs, more);
/// let mut headers = HeaderMap::new();
/// headers.insert("authorization", "Bearer fictional-b".parse().unwrap());
/// assert_eq!(both.authenticate(&headers).unwrap().name, "Job B");
/// headers.insert("authorization", "Bearer fictional-c".parse().unwrap());
/// assert!(both.authenticate(&headers).is_err());
/// ```
impl<A: Authenticator, B: Authenticator> Authenticator for (A, B) {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Unauthenticated> {
        self.0
            .authenticate(headers)
            .or_else(|Unauthenticated| self.1.authenticate(headers))
    }
}

/// An authenticator that may not be configured: `None` knows no one.
impl<A: Authenticator> Authenticator for Option<A> {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Unauthenticated> {
        self.as_ref()
            .ok_or(Unauthenticated)
            .and_then(|a| a.authenticate(headers))
    }
}
