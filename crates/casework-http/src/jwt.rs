//! Staff sign-in through the charity's identity provider: OIDC bearer JWTs.
//!
//! Most charities already sign their staff in with Microsoft 365 (Microsoft Entra ID) or
//! Google Workspace. A front end signs the member of staff in there (OpenID Connect) and sends
//! the token the identity provider (IdP) issued as `Authorization: Bearer <jwt>`. A
//! [`JwtAuthenticator`] checks that token and answers with the [`Actor`] the *server* has
//! configured for that person.
//!
//! # What is verified
//!
//! A token is accepted only if every one of these holds; otherwise the request is
//! [`Unauthenticated`] (`401`), and [`JwtAuthenticator::verify`] says which check failed:
//!
//! 1. **The algorithm is one configured** ([`JwtSettings::algorithms`], by default `RS256` and
//!    `ES256`, what Microsoft and Google sign with). `alg: none` is never accepted (it is not
//!    even an algorithm the decoder knows), and the HMAC algorithms (`HS256`…) only when
//!    configured explicitly with [`JwtSettings::allow_shared_secret_algorithms`].
//! 2. **The key is one configured**, chosen by the token's `kid` among the keys of the JWKS
//!    document the embedder gave ([`JwtAuthenticator::from_jwks_json`]). A token without a
//!    `kid`, or with one not in the set, is refused. Keys or key URLs embedded in the token's
//!    header (`jwk`, `jku`, `x5u`, `x5c`) are never used.
//! 3. **The algorithm fits the key**: an RSA key verifies only RSA signatures, a P-256 key only
//!    `ES256`, and a key whose JWK names an `alg` only that one. This is what defeats
//!    *algorithm confusion*: a token saying `HS256` and "signed" with the RSA public key as
//!    the HMAC secret (the public key is public) names an RSA key, so it is refused before any
//!    HMAC is computed.
//! 4. **The signature** verifies with that key.
//! 5. **The issuer** (`iss`) is the one configured, and **the audience** (`aud`) contains one
//!    of the configured audiences. Both claims must be present.
//! 6. **The token is current**: `exp` must be present and not past, and `nbf`, when present,
//!    not in the future, each with a small leeway for clock skew ([`JwtSettings::leeway`],
//!    30 seconds by default, at most 5 minutes).
//! 7. **The person is known**: the identity claim ([`IdentityClaim`]: `sub`, Microsoft's
//!    `oid`, or `email`) names a subject the embedder mapped to an actor with
//!    [`JwtSettings::subject`]. With `email`, a token saying `email_verified: false` is
//!    refused, and addresses are compared ignoring ASCII case.
//!
//! # What is never trusted
//!
//! The role, the staff id, the name and the teams all come from the embedder's mapping (in
//! `casework-server`, the staff file), never from the token. A token carrying `roles`,
//! `role`, `groups`, `wids` or any claim naming a staff id acts exactly as its mapped actor:
//! a worker whose token says "manager" is still a worker. A valid token for a person nobody
//! mapped is `401`, not a guest. The request body is never read for identity.
//!
//! # Key rotation
//!
//! IdPs rotate their signing keys and publish the next ones in their JWKS document in
//! advance. [`JwtAuthenticator::replace_keys`] swaps the key set while the server runs (the
//! authenticator is a cheap handle: clones share the keys, so keep one for reloading and give
//! the other to [`crate::router`]). A document that does not parse, or holds no usable key,
//! is refused and the keys in use stay.
//!
//! ```
//! use casework_core::kernel::actor::Actor;
//! use casework_http::jwt::{IdentityClaim, JwtAuthenticator, JwtSettings};
//! use casework_http::{ApiTokens, Authenticator};
//!
//! // Fictional: a real deployment reads the IdP's JWKS document from a file it refreshes.
//! let jwks = r#"{"keys": [{"kty": "EC", "crv": "P-256", "kid": "fictional-1", "use": "sig",
//!     "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
//!     "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
//! let settings = JwtSettings::new("https://idp.example.invalid/tenant", ["casework-api"])
//!     .identity_claim(IdentityClaim::Subject)
//!     .subject("fictional-subject-1", Actor::worker("Robin Fictional"));
//! let jwt = JwtAuthenticator::from_jwks_json(settings, jwks).unwrap();
//! assert_eq!(jwt.key_ids(), ["fictional-1"]);
//! // Service accounts' API tokens first, then staff JWTs: `(A, B)` tries both.
//! let either = (ApiTokens::new(), jwt.clone());
//! assert!(either.authenticate(&Default::default()).is_err());
//! ```

use crate::auth::{bearer, Authenticator, Unauthenticated};
use axum::http::HeaderMap;
use casework_core::kernel::actor::Actor;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub use jsonwebtoken::Algorithm;

/// The longest leeway [`JwtSettings::leeway`] accepts: clocks a few minutes apart are a
/// problem to fix, not to paper over.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Tokens longer than this are refused unread (IdPs' are a few kilobytes).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Which claim of the token names the person: the key of the embedder's mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdentityClaim {
    /// `sub`: the subject, stable and unique per issuer (Google Workspace; any OIDC IdP).
    /// In Microsoft Entra ID `sub` is different for each application: prefer `oid` there.
    #[default]
    Subject,
    /// `oid`: the object id of the user in a Microsoft Entra tenant, the same for every
    /// application. Needs the token to carry it (access tokens do; ID tokens need the
    /// `profile` scope).
    ObjectId,
    /// `email`: the address. Readable in a staff file, but an address can be reassigned to
    /// someone else later; prefer `sub` or `oid` where the IdP allows it.
    Email,
}

impl IdentityClaim {
    /// The claim's name in the token: `sub`, `oid` or `email`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            IdentityClaim::Subject => "sub",
            IdentityClaim::ObjectId => "oid",
            IdentityClaim::Email => "email",
        }
    }

    /// The claim named `name` (`sub`, `oid` or `email`); `None` for anything else.
    #[must_use]
    pub fn parse(name: &str) -> Option<IdentityClaim> {
        match name {
            "sub" => Some(IdentityClaim::Subject),
            "oid" => Some(IdentityClaim::ObjectId),
            "email" => Some(IdentityClaim::Email),
            _ => None,
        }
    }

    fn normalise(self, subject: &str) -> String {
        match self {
            IdentityClaim::Email => subject.trim().to_ascii_lowercase(),
            IdentityClaim::Subject | IdentityClaim::ObjectId => subject.to_owned(),
        }
    }
}

impl fmt::Display for IdentityClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a [`JwtAuthenticator`] checks and whom it knows; see the [module docs](self).
#[derive(Clone)]
pub struct JwtSettings {
    issuer: String,
    audiences: BTreeSet<String>,
    algorithms: Vec<Algorithm>,
    shared_secret_algorithms: Vec<Algorithm>,
    leeway: Duration,
    claim: IdentityClaim,
    subjects: Vec<(String, Actor)>,
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Who is mapped is not a log's business: how many is.
        f.debug_struct("JwtSettings")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("claim", &self.claim)
            .field("subjects", &self.subjects.len())
            .finish()
    }
}

impl JwtSettings {
    /// Tokens from `issuer` (the `iss` claim exactly, e.g.
    /// `https://login.microsoftonline.com/<tenant id>/v2.0` or `https://accounts.google.com`)
    /// for any of `audiences` (the app registration's client id or application id URI).
    /// Defaults: `RS256` and `ES256`, 30 seconds' leeway, the `sub` claim, nobody mapped.
    pub fn new<A: Into<String>>(
        issuer: impl Into<String>,
        audiences: impl IntoIterator<Item = A>,
    ) -> Self {
        JwtSettings {
            issuer: issuer.into(),
            audiences: audiences.into_iter().map(Into::into).collect(),
            algorithms: vec![Algorithm::RS256, Algorithm::ES256],
            shared_secret_algorithms: Vec::new(),
            leeway: Duration::from_secs(30),
            claim: IdentityClaim::Subject,
            subjects: Vec::new(),
        }
    }

    /// The public-key algorithms accepted (replacing the default `RS256`, `ES256`). An HMAC
    /// algorithm here is refused by [`JwtAuthenticator::from_jwks_json`]: see
    /// [`JwtSettings::allow_shared_secret_algorithms`].
    #[must_use]
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// Also accepts these HMAC algorithms (`HS256`, `HS384`, `HS512`), verified only with
    /// the JWKS document's symmetric (`kty: oct`) keys. Off unless asked for: a shared secret
    /// lets whoever holds it mint tokens for anyone, and no public IdP signs ID tokens so.
    #[must_use]
    pub fn allow_shared_secret_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.shared_secret_algorithms = algorithms.to_vec();
        self
    }

    /// The clock skew allowed on `exp` and `nbf` (at most [`MAX_LEEWAY`]; whole seconds).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The claim that names the person (by default `sub`).
    #[must_use]
    pub fn identity_claim(mut self, claim: IdentityClaim) -> Self {
        self.claim = claim;
        self
    }

    /// Maps the person whose identity claim is `subject` to `actor`: the id, name and role
    /// every request with their token acts as.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>, actor: Actor) -> Self {
        self.subjects.push((subject.into(), actor));
        self
    }

    fn all_algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.algorithms
            .iter()
            .chain(&self.shared_secret_algorithms)
            .copied()
    }

    fn check(&self) -> Result<HashMap<String, Actor>, JwtConfigError> {
        let setting = |s: String| Err(JwtConfigError::Setting(s));
        if self.issuer.trim().is_empty() {
            return setting("the issuer is empty".to_owned());
        }
        if self.audiences.is_empty() || self.audiences.iter().any(|a| a.trim().is_empty()) {
            return setting("at least one audience is needed, and none may be empty".to_owned());
        }
        if self.algorithms.is_empty() && self.shared_secret_algorithms.is_empty() {
            return setting("no algorithm is allowed".to_owned());
        }
        if let Some(a) = self.algorithms.iter().find(|a| is_hmac(**a)) {
            return setting(format!(
                "{a:?} is a shared-secret algorithm: allow it explicitly with `allow_shared_secret_algorithms`"
            ));
        }
        if let Some(a) = self.shared_secret_algorithms.iter().find(|a| !is_hmac(**a)) {
            return setting(format!("{a:?} is not a shared-secret (HMAC) algorithm"));
        }
        if self.leeway > MAX_LEEWAY {
            return setting(format!(
                "a leeway of {} s is more than the {} s allowed",
                self.leeway.as_secs(),
                MAX_LEEWAY.as_secs()
            ));
        }
        let mut subjects = HashMap::with_capacity(self.subjects.len());
        for (subject, actor) in &self.subjects {
            let key = self.claim.normalise(subject);
            if key.is_empty() {
                return setting(format!("an empty subject is mapped to {}", actor.name));
            }
            if subjects.insert(key, actor.clone()).is_some() {
                return setting(format!(
                    "the subject mapped to {} is mapped twice",
                    actor.name
                ));
            }
        }
        Ok(subjects)
    }
}

fn is_hmac(algorithm: Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    )
}

/// A configuration that cannot be used: found when the authenticator is built or its keys
/// replaced, never per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtConfigError {
    /// A setting of [`JwtSettings`] at fault, in a sentence.
    Setting(String),
    /// The JWKS document at fault, in a sentence (no key material).
    Jwks(String),
}

impl fmt::Display for JwtConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtConfigError::Setting(s) => write!(f, "OIDC settings: {s}"),
            JwtConfigError::Jwks(s) => write!(f, "JWKS document: {s}"),
        }
    }
}

impl std::error::Error for JwtConfigError {}

/// Why a token was refused: what [`JwtAuthenticator::verify`] says, for logs and tests. A
/// request only ever learns [`Unauthenticated`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not a JWT, a header that does not parse (as `alg: none` does not), or claims that are
    /// not a JSON object.
    Malformed,
    /// An algorithm not configured, or not the key's.
    Algorithm,
    /// No `kid`, or one the key set does not hold.
    UnknownKey,
    /// The signature does not verify with the key.
    Signature,
    /// `iss` is not the configured issuer.
    Issuer,
    /// `aud` holds none of the configured audiences.
    Audience,
    /// `exp` is past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// A claim that must be there is not (`exp`, `iss`, `aud`, or the identity claim), or is
    /// not of its type.
    MissingClaim(String),
    /// The token says `email_verified: false` and the identity claim is `email`.
    EmailNotVerified,
    /// A valid token for a person nobody mapped to an actor.
    UnknownSubject,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Malformed => f.write_str("the token is not a well-formed JWT"),
            Rejection::Algorithm => {
                f.write_str("the token's algorithm is not accepted for its key")
            }
            Rejection::UnknownKey => f.write_str("the token's key id is not in the key set"),
            Rejection::Signature => f.write_str("the token's signature does not verify"),
            Rejection::Issuer => f.write_str("the token is from another issuer"),
            Rejection::Audience => f.write_str("the token is for another audience"),
            Rejection::Expired => f.write_str("the token has expired"),
            Rejection::NotYetValid => f.write_str("the token is not valid yet"),
            Rejection::MissingClaim(c) => write!(f, "the token has no usable `{c}` claim"),
            Rejection::EmailNotVerified => f.write_str("the token's email is not verified"),
            Rejection::UnknownSubject => f.write_str("the token's subject is not a known account"),
        }
    }
}

impl std::error::Error for Rejection {}

/// One usable key: what it verifies with and which algorithms it may verify.
#[derive(Clone)]
struct Key {
    decoding: DecodingKey,
    algorithms: Vec<Algorithm>,
}

#[derive(Default)]
struct KeySet {
    by_kid: HashMap<String, Key>,
}

struct Shared {
    issuer: String,
    audiences: Vec<String>,
    /// Every algorithm allowed, public-key and (if asked for) HMAC.
    algorithms: Vec<Algorithm>,
    leeway: u64,
    claim: IdentityClaim,
    subjects: HashMap<String, Actor>,
    keys: RwLock<Arc<KeySet>>,
}

/// Verifies OIDC bearer JWTs against configured keys and maps them to configured actors; see
/// the [module docs](self). Clones share the key set, so [`JwtAuthenticator::replace_keys`]
/// on one is seen by all.
#[derive(Clone)]
pub struct JwtAuthenticator {
    shared: Arc<Shared>,
}

impl fmt::Debug for JwtAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthenticator")
            .field("issuer", &self.shared.issuer)
            .field("audiences", &self.shared.audiences)
            .field("algorithms", &self.shared.algorithms)
            .field("claim", &self.shared.claim)
            .field("subjects", &self.shared.subjects.len())
            .field("key_ids", &self.key_ids())
            .finish()
    }
}

impl JwtAuthenticator {
    /// Checks `settings` and reads the keys of the JWKS document `jwks` (`{"keys": [...]}`,
    /// as served at the IdP's `jwks_uri`).
    ///
    /// Keys that cannot verify an allowed algorithm are left out rather than refused (IdPs'
    /// documents may list encryption keys or key types for others): keys without a `kid`,
    /// with `use` other than `sig`, with `key_ops` lacking `verify`, whose `alg` or curve is
    /// not allowed, and symmetric keys unless an HMAC algorithm is allowed explicitly.
    ///
    /// # Errors
    /// A setting that cannot be used (no audience, an HMAC algorithm among the public-key
    /// ones, a leeway over [`MAX_LEEWAY`], a subject mapped twice), or a document that does
    /// not parse, gives one `kid` twice, or holds no usable key.
    pub fn from_jwks_json(settings: JwtSettings, jwks: &str) -> Result<Self, JwtConfigError> {
        // With both of jsonwebtoken's crypto backends compiled in (features are additive
        // across a build), it would pick neither and panic on first use: pick one.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        let subjects = settings.check()?;
        let algorithms: Vec<Algorithm> = settings.all_algorithms().collect();
        let keys = parse_jwks(jwks, &algorithms)?;
        Ok(JwtAuthenticator {
            shared: Arc::new(Shared {
                issuer: settings.issuer,
                audiences: settings.audiences.into_iter().collect(),
                algorithms,
                leeway: settings.leeway.as_secs(),
                claim: settings.claim,
                subjects,
                keys: RwLock::new(Arc::new(keys)),
            }),
        })
    }

    /// Replaces the key set with the keys of the JWKS document `jwks` (the IdP rotated its
    /// keys) for this authenticator and all its clones, and answers how many keys are in use
    /// now. Requests in flight finish with the keys they started with.
    ///
    /// # Errors
    /// As [`JwtAuthenticator::from_jwks_json`] for the document; the keys in use stay.
    pub fn replace_keys(&self, jwks: &str) -> Result<usize, JwtConfigError> {
        let keys = parse_jwks(jwks, &self.shared.algorithms)?;
        let count = keys.by_kid.len();
        *self
            .shared
            .keys
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
        Ok(count)
    }

    /// The `kid`s of the keys in use, sorted (they are public: the IdP publishes them).
    #[must_use]
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.keys().by_kid.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// How many people are mapped to actors.
    #[must_use]
    pub fn subjects(&self) -> usize {
        self.shared.subjects.len()
    }

    /// The identity claim the mapping is keyed by.
    #[must_use]
    pub fn identity_claim(&self) -> IdentityClaim {
        self.shared.claim
    }

    fn keys(&self) -> Arc<KeySet> {
        Arc::clone(
            &self
                .shared
                .keys
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The actor `token` (the JWT itself, without `Bearer`) stands for, or why it stands for
    /// nobody. [`Authenticator::authenticate`] is this on the bearer token, every
    /// [`Rejection`] becoming [`Unauthenticated`].
    ///
    /// # Errors
    /// The first check of the [module docs](self) that fails.
    pub fn verify(&self, token: &str) -> Result<Actor, Rejection> {
        let shared = &*self.shared;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::Malformed);
        }
        // The header is read unverified only to choose the key; nothing else of it is used.
        let header = decode_header(token).map_err(|_| Rejection::Malformed)?;
        if !shared.algorithms.contains(&header.alg) {
            return Err(Rejection::Algorithm);
        }
        let keys = self.keys();
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| keys.by_kid.get(kid))
            .ok_or(Rejection::UnknownKey)?;
        if !key.algorithms.contains(&header.alg) || key.decoding.family() != header.alg.family() {
            return Err(Rejection::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = shared.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&shared.issuer]);
        validation.set_audience(&shared.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = decode::<Map<String, Value>>(token, &key.decoding, &validation)
            .map_err(|e| rejection(e.kind()))?
            .claims;
        let name = shared.claim.name();
        let subject = claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Rejection::MissingClaim(name.to_owned()))?;
        if shared.claim == IdentityClaim::Email
            && claims.get("email_verified") == Some(&Value::Bool(false))
        {
            return Err(Rejection::EmailNotVerified);
        }
        // Only the identity claim is read: roles, groups and ids in the token are ignored.
        shared
            .subjects
            .get(&shared.claim.normalise(subject))
            .cloned()
            .ok_or(Rejection::UnknownSubject)
    }
}

fn rejection(kind: &ErrorKind) -> Rejection {
    match kind {
        ErrorKind::InvalidSignature => Rejection::Signature,
        ErrorKind::InvalidIssuer => Rejection::Issuer,
        ErrorKind::InvalidAudience => Rejection::Audience,
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::MissingRequiredClaim(c) | ErrorKind::InvalidClaimFormat(c) => {
            Rejection::MissingClaim(c.clone())
        }
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => Rejection::Algorithm,
        // Keys are checked when loaded; anything else is a token that does not decode.
        _ => Rejection::Malformed,
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Unauthenticated> {
        let token = bearer(headers).ok_or(Unauthenticated)?;
        self.verify(token).map_err(|_| Unauthenticated)
    }
}

/// The algorithms `jwk` may verify among `allowed`; empty if it is not a signature
/// verification key.
fn key_algorithms(jwk: &Jwk, allowed: &[Algorithm]) -> Vec<Algorithm> {
    let common = &jwk.common;
    if matches!(common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return Vec::new();
    }
    if matches!(common.key_operations, Some(ref ops) if !ops.contains(&KeyOperations::Verify)) {
        return Vec::new();
    }
    let family: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => &[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            _ => &[],
        },
        AlgorithmParameters::OctetKey(_) => &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
        _ => &[],
    };
    let named = match common.key_algorithm {
        None => None,
        Some(alg) => match key_algorithm(alg) {
            Some(a) => Some(a),
            // An `alg` that is no signature algorithm (`RSA-OAEP`…): not for us.
            None => return Vec::new(),
        },
    };
    family
        .iter()
        .copied()
        .filter(|a| allowed.contains(a) && named.is_none_or(|n| n == *a))
        .collect()
}

fn key_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

fn parse_jwks(jwks: &str, allowed: &[Algorithm]) -> Result<KeySet, JwtConfigError> {
    let bad = |s: String| JwtConfigError::Jwks(s);
    let document: Value = serde_json::from_str(jwks).map_err(|e| bad(format!("not JSON ({e})")))?;
    let entries = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `keys` array".to_owned()))?;
    let mut set = KeySet::default();
    for (i, entry) in entries.iter().enumerate() {
        // A key this library cannot read is one nobody here can verify with: left out.
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone().filter(|k| !k.is_empty()) else {
            continue;
        };
        let algorithms = key_algorithms(&jwk, allowed);
        if algorithms.is_empty() {
            continue;
        }
        let decoding = DecodingKey::from_jwk(&jwk)
            .map_err(|e| bad(format!("keys[{i}] (kid {kid:?}) is not a usable key ({e})")))?;
        if set
            .by_kid
            .insert(
                kid.clone(),
                Key {
                    decoding,
                    algorithms,
                },
            )
            .is_some()
        {
            return Err(bad(format!("the kid {kid:?} is given twice")));
        }
    }
    if set.by_kid.is_empty() {
        return Err(bad(format!(
            "none of its {} keys can verify {allowed:?} (a `kid` and a matching key type are needed)",
            entries.len()
        )));
    }
    Ok(set)
}
