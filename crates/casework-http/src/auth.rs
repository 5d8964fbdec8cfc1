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
//! actor. OIDC / JWT sign-in for staff is a second authenticator still to come (issue 14).

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

impl Authenticator for ApiTokens {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Unauthenticated> {
        let value = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Unauthenticated)?;
        let (scheme, token) = value.split_once(' ').ok_or(Unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(Unauthenticated);
        }
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        self.by_hash.get(&digest).cloned().ok_or(Unauthenticated)
    }
}
