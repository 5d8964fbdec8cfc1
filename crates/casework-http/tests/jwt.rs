//! OIDC bearer JWTs with real signatures: the test-only keys of `tests/fixtures` (see its
//! README: published, so never to be trusted anywhere) sign tokens that a
//! [`JwtAuthenticator`] accepts or refuses, each refusal for its own reason, and the router
//! over SQLite gives a token that claims to be a manager only its mapped worker's rights.
//! Fictional people and an `example.invalid` issuer only.

use casework_core::kernel::actor::{Actor, Role};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::privacy::access::StaffDirectory;
use casework_http::jwt::{Algorithm, JwtConfigError, Rejection};
use casework_http::{ApiTokens, Authenticator, IdentityClaim, JwtAuthenticator, JwtSettings};
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ISSUER: &str = "https://login.example.invalid/fictional-tenant/v2.0";
const AUDIENCE: &str = "api://casework-fictional";
const JWKS: &str = include_str!("fixtures/test-only-jwks.json");
const JWKS_ROTATED: &str = include_str!("fixtures/test-only-jwks-rotated.json");
const RSA_1: &[u8] = include_bytes!("fixtures/test-only-rsa-1.key.pem");
const RSA_1_PUBLIC: &[u8] = include_bytes!("fixtures/test-only-rsa-1.pub.pem");
const RSA_2: &[u8] = include_bytes!("fixtures/test-only-rsa-2.key.pem");
const EC_1: &[u8] = include_bytes!("fixtures/test-only-ec-1.key.pem");

/// The IdP's subjects of the fictional staff.
const WORKER_SUB: &str = "fictional-subject-worker";
const MANAGER_SUB: &str = "fictional-subject-manager";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims an IdP would issue for `sub`, valid for an hour.
fn claims(sub: &str) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "iat": now(),
        "nbf": now() - 5,
        "exp": now() + 3600,
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn header(alg: Algorithm, kid: Option<&str>) -> Header {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    header
}

fn rs256(kid: &str, key: &[u8], claims: &Value) -> String {
    encode(
        &header(Algorithm::RS256, Some(kid)),
        claims,
        &EncodingKey::from_rsa_pem(key).unwrap(),
    )
    .unwrap()
}

/// A token signed by the IdP's (test-only) RSA key `test-rsa-1`.
fn signed(claims: &Value) -> String {
    rs256("test-rsa-1", RSA_1, claims)
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

struct Staff {
    worker: Actor,
    manager: Actor,
}

fn staff() -> Staff {
    Staff {
        worker: fixtures::worker(),
        manager: fixtures::manager(),
    }
}

fn settings(staff: &Staff) -> JwtSettings {
    JwtSettings::new(ISSUER, [AUDIENCE])
        .subject(WORKER_SUB, staff.worker.clone())
        .subject(MANAGER_SUB, staff.manager.clone())
}

fn authenticator(staff: &Staff) -> JwtAuthenticator {
    JwtAuthenticator::from_jwks_json(settings(staff), JWKS).unwrap()
}

fn bearer(token: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    headers
}

#[test]
fn a_valid_token_is_its_mapped_actor_with_rsa_and_with_ec_keys() {
    let s = staff();
    let jwt = authenticator(&s);
    assert_eq!(jwt.key_ids(), ["test-ec-1", "test-rsa-1"]);
    assert_eq!(
        jwt.verify(&signed(&claims(WORKER_SUB))),
        Ok(s.worker.clone())
    );
    assert_eq!(
        jwt.authenticate(&bearer(&signed(&claims(MANAGER_SUB)))),
        Ok(s.manager.clone())
    );
    let es256 = encode(
        &header(Algorithm::ES256, Some("test-ec-1")),
        &claims(WORKER_SUB),
        &EncodingKey::from_ec_pem(EC_1).unwrap(),
    )
    .unwrap();
    assert_eq!(jwt.verify(&es256), Ok(s.worker.clone()));
    // An audience list holding ours, and an expiry just past but within the leeway.
    let listed = with(claims(WORKER_SUB), "aud", json!(["other-app", AUDIENCE]));
    assert_eq!(jwt.verify(&signed(&listed)), Ok(s.worker.clone()));
    let just_expired = with(claims(WORKER_SUB), "exp", json!(now() - 10));
    assert_eq!(jwt.verify(&signed(&just_expired)), Ok(s.worker));
}

#[test]
fn wrong_issuer_audience_or_times_are_refused_each_for_its_reason() {
    let s = staff();
    let jwt = authenticator(&s);
    let refused = |claims: Value| jwt.verify(&signed(&claims)).unwrap_err();
    let base = || claims(WORKER_SUB);
    assert_eq!(
        refused(with(
            base(),
            "iss",
            json!("https://other-idp.example.invalid")
        )),
        Rejection::Issuer
    );
    assert_eq!(
        refused(with(base(), "aud", json!("api://someone-else"))),
        Rejection::Audience
    );
    assert_eq!(
        refused(with(base(), "exp", json!(now() - 120))),
        Rejection::Expired
    );
    assert_eq!(
        refused(with(base(), "nbf", json!(now() + 120))),
        Rejection::NotYetValid
    );
    assert_eq!(
        refused(without(base(), "exp")),
        Rejection::MissingClaim("exp".into())
    );
    assert_eq!(
        refused(without(base(), "iss")),
        Rejection::MissingClaim("iss".into())
    );
    assert_eq!(
        refused(without(base(), "aud")),
        Rejection::MissingClaim("aud".into())
    );
    assert_eq!(
        refused(without(base(), "sub")),
        Rejection::MissingClaim("sub".into())
    );
    // And through the trait, each is simply unauthenticated.
    let expired = signed(&with(base(), "exp", json!(now() - 120)));
    assert!(jwt.authenticate(&bearer(&expired)).is_err());
}

#[test]
fn a_bad_signature_or_an_unknown_key_is_refused() {
    let s = staff();
    let jwt = authenticator(&s);
    // Signed by another key under the IdP's kid.
    let forged = rs256("test-rsa-1", RSA_2, &claims(MANAGER_SUB));
    assert_eq!(jwt.verify(&forged), Err(Rejection::Signature));
    // A genuine token whose claims were edited afterwards.
    let genuine = signed(&claims(WORKER_SUB));
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let edited = base64url(claims(MANAGER_SUB).to_string().as_bytes());
    parts[1] = &edited;
    assert_eq!(jwt.verify(&parts.join(".")), Err(Rejection::Signature));
    // A kid the key set does not hold, and none at all.
    let unknown = rs256("test-rsa-9", RSA_1, &claims(WORKER_SUB));
    assert_eq!(jwt.verify(&unknown), Err(Rejection::UnknownKey));
    let no_kid = encode(
        &header(Algorithm::RS256, None),
        &claims(WORKER_SUB),
        &EncodingKey::from_rsa_pem(RSA_1).unwrap(),
    )
    .unwrap();
    assert_eq!(jwt.verify(&no_kid), Err(Rejection::UnknownKey));
    assert_eq!(jwt.verify("not-a-jwt"), Err(Rejection::Malformed));
    assert!(jwt.authenticate(&bearer(&forged)).is_err());
}

#[test]
fn alg_none_and_hs256_with_the_public_key_as_secret_are_refused() {
    let s = staff();
    let jwt = authenticator(&s);
    // `alg: none`, no signature.
    let none = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none","typ":"JWT","kid":"test-rsa-1"}"#),
        base64url(claims(MANAGER_SUB).to_string().as_bytes())
    );
    assert!(matches!(
        jwt.verify(&none),
        Err(Rejection::Malformed | Rejection::Algorithm)
    ));
    assert!(jwt.authenticate(&bearer(&none)).is_err());
    // Algorithm confusion: HS256 keyed with the RSA public key, which anyone can read.
    let confused = encode(
        &header(Algorithm::HS256, Some("test-rsa-1")),
        &claims(MANAGER_SUB),
        &EncodingKey::from_secret(RSA_1_PUBLIC).unwrap(),
    )
    .unwrap();
    assert_eq!(jwt.verify(&confused), Err(Rejection::Algorithm));
    assert!(jwt.authenticate(&bearer(&confused)).is_err());
    // Still refused when HMAC is allowed explicitly: the kid names an RSA key.
    let with_hmac = JwtAuthenticator::from_jwks_json(
        settings(&s).allow_shared_secret_algorithms(&[Algorithm::HS256]),
        JWKS,
    )
    .unwrap();
    assert_eq!(with_hmac.verify(&confused), Err(Rejection::Algorithm));
    assert_eq!(
        with_hmac.verify(&signed(&claims(WORKER_SUB))),
        Ok(s.worker.clone())
    );
    // An RS256 token is refused where only ES256 is configured.
    let es_only =
        JwtAuthenticator::from_jwks_json(settings(&s).algorithms(&[Algorithm::ES256]), JWKS)
            .unwrap();
    assert_eq!(es_only.key_ids(), ["test-ec-1"]);
    assert_eq!(
        es_only.verify(&signed(&claims(WORKER_SUB))),
        Err(Rejection::Algorithm)
    );
}

#[test]
fn hmac_is_refused_unless_configured_explicitly_and_bad_settings_are_named() {
    let s = staff();
    let e = JwtAuthenticator::from_jwks_json(settings(&s).algorithms(&[Algorithm::HS256]), JWKS)
        .unwrap_err();
    assert!(
        matches!(&e, JwtConfigError::Setting(m) if m.contains("allow_shared_secret")),
        "{e}"
    );
    let e = JwtAuthenticator::from_jwks_json(JwtSettings::new(ISSUER, Vec::<String>::new()), JWKS)
        .unwrap_err();
    assert!(e.to_string().contains("audience"), "{e}");
    let e = JwtAuthenticator::from_jwks_json(settings(&s).leeway(Duration::from_secs(3600)), JWKS)
        .unwrap_err();
    assert!(e.to_string().contains("leeway"), "{e}");
    let e = JwtAuthenticator::from_jwks_json(
        settings(&s).subject(WORKER_SUB, Actor::manager("Someone Else")),
        JWKS,
    )
    .unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
    // A symmetric key in the document is left out unless HMAC is allowed.
    let oct = r#"{"keys": [{"kty": "oct", "kid": "shared", "k": "ZmljdGlvbmFsLXNlY3JldA"}]}"#;
    assert!(matches!(
        JwtAuthenticator::from_jwks_json(settings(&s), oct),
        Err(JwtConfigError::Jwks(_))
    ));
    let hmac = JwtAuthenticator::from_jwks_json(
        settings(&s).allow_shared_secret_algorithms(&[Algorithm::HS256]),
        oct,
    )
    .unwrap();
    let token = encode(
        &header(Algorithm::HS256, Some("shared")),
        &claims(WORKER_SUB),
        &EncodingKey::from_secret(b"fictional-secret").unwrap(),
    )
    .unwrap();
    assert_eq!(hmac.verify(&token), Ok(s.worker));
}

#[test]
fn an_unknown_subject_is_refused_and_claims_of_role_or_id_change_nothing() {
    let s = staff();
    let jwt = authenticator(&s);
    assert_eq!(
        jwt.verify(&signed(&claims("fictional-subject-nobody"))),
        Err(Rejection::UnknownSubject)
    );
    let pretending = signed(&pretending_manager(&s));
    let actor = jwt.verify(&pretending).unwrap();
    assert_eq!(actor, s.worker);
    assert_eq!(actor.role, Role::Worker);
}

/// The worker's genuine token, its claims saying it is the manager in every way a claim can.
fn pretending_manager(s: &Staff) -> Value {
    let mut c = claims(WORKER_SUB);
    let fake = json!({
        "roles": ["manager", "administrator"],
        "role": "manager",
        "groups": ["casework-managers"],
        "wids": ["62e90394-69f5-4237-9190-012177145e10"],
        "staff_id": s.manager.id,
        "casework_staff_id": s.manager.id,
        "actor": {"id": s.manager.id, "role": "manager", "name": s.manager.name},
        "name": s.manager.name,
        "oid": MANAGER_SUB,
        "email": "manager@example.invalid",
    });
    for (k, v) in fake.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[test]
fn the_email_claim_compares_without_case_and_needs_a_verified_address() {
    let s = staff();
    let jwt = JwtAuthenticator::from_jwks_json(
        JwtSettings::new(ISSUER, [AUDIENCE])
            .identity_claim(IdentityClaim::Email)
            .subject("Robin.Fictional@Example.invalid", s.worker.clone()),
        JWKS,
    )
    .unwrap();
    let base = with(
        claims("ignored-sub"),
        "email",
        json!("robin.fictional@example.invalid"),
    );
    assert_eq!(jwt.verify(&signed(&base)), Ok(s.worker.clone()));
    let verified = with(base.clone(), "email_verified", json!(true));
    assert_eq!(jwt.verify(&signed(&verified)), Ok(s.worker));
    let unverified = with(base.clone(), "email_verified", json!(false));
    assert_eq!(
        jwt.verify(&signed(&unverified)),
        Err(Rejection::EmailNotVerified)
    );
    assert_eq!(
        jwt.verify(&signed(&without(base, "email"))),
        Err(Rejection::MissingClaim("email".into()))
    );
}

#[test]
fn replacing_the_keys_rotates_them_for_every_clone_and_a_bad_document_keeps_the_old() {
    let s = staff();
    let jwt = authenticator(&s);
    let in_router = jwt.clone();
    let old = signed(&claims(WORKER_SUB));
    let new = rs256("test-rsa-2", RSA_2, &claims(WORKER_SUB));
    assert_eq!(in_router.verify(&new), Err(Rejection::UnknownKey));
    assert_eq!(jwt.replace_keys(JWKS_ROTATED), Ok(1));
    assert_eq!(in_router.key_ids(), ["test-rsa-2"]);
    assert_eq!(in_router.verify(&new), Ok(s.worker.clone()));
    assert_eq!(in_router.verify(&old), Err(Rejection::UnknownKey));
    // Documents that would leave no key are refused, and the rotated key stays.
    for bad in [
        "not json",
        "{}",
        r#"{"keys": []}"#,
        r#"{"keys": [{"kty": "RSA"}]}"#,
    ] {
        assert!(
            matches!(jwt.replace_keys(bad), Err(JwtConfigError::Jwks(_))),
            "{bad}"
        );
    }
    let encryption_only = JWKS_ROTATED.replace(r#""use": "sig""#, r#""use": "enc""#);
    assert!(jwt.replace_keys(&encryption_only).is_err());
    assert_eq!(in_router.verify(&new), Ok(s.worker));
}

#[test]
fn api_tokens_and_jwts_together_accept_either_and_refuse_what_neither_knows() {
    let s = staff();
    let robot = Actor::new("Intake Robot", Role::System);
    let both = (
        ApiTokens::new().with_hash(&ApiTokens::hash("fictional-robot-token"), robot.clone()),
        authenticator(&s),
    );
    assert_eq!(
        both.authenticate(&bearer("fictional-robot-token")),
        Ok(robot)
    );
    assert_eq!(
        both.authenticate(&bearer(&signed(&claims(WORKER_SUB)))),
        Ok(s.worker)
    );
    assert!(both.authenticate(&bearer("forged-token")).is_err());
    let expired = signed(&with(claims(WORKER_SUB), "exp", json!(now() - 3600)));
    assert!(both.authenticate(&bearer(&expired)).is_err());
    assert!(both.authenticate(&axum::http::HeaderMap::new()).is_err());
    let unconfigured: Option<JwtAuthenticator> = None;
    assert!(unconfigured
        .authenticate(&bearer(&signed(&claims(MANAGER_SUB))))
        .is_err());
}

/// Status and body of one request over real HTTP.
async fn send(addr: std::net::SocketAddr, path: &str, token: &str) -> (u16, Value) {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_router_a_worker_token_claiming_to_be_a_manager_gets_a_workers_403() {
    let s = staff();
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    let casework = Arc::new(Casework::new(store, city_girls_service()));
    let directory = StaffDirectory::new().team(s.manager.id, [s.worker.id]);
    let authenticator = (ApiTokens::new(), authenticator(&s));
    let app = casework_http::router(casework, authenticator, directory);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let manager_only = "/queries/intelligence_awaiting_police";
    // The genuine manager may.
    let (status, body) = send(addr, manager_only, &signed(&claims(MANAGER_SUB))).await;
    assert_eq!(status, 200, "{body}");
    // The worker, whose token claims the manager's role, id and name, may not.
    let pretending = signed(&pretending_manager(&s));
    let (status, body) = send(addr, manager_only, &pretending).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "access_denied");
    assert_eq!(body["permission"], "read_intelligence");
    // Yet the same token is the worker's, and works for what a worker may do.
    let (status, body) = send(addr, "/queries/waiting_list", &pretending).await;
    assert_eq!(status, 200, "{body}");
    // Unknown people, forgeries and the algorithm-confused are 401.
    let confused = encode(
        &header(Algorithm::HS256, Some("test-rsa-1")),
        &claims(MANAGER_SUB),
        &EncodingKey::from_secret(RSA_1_PUBLIC).unwrap(),
    )
    .unwrap();
    for token in [
        signed(&claims("fictional-subject-nobody")),
        rs256("test-rsa-1", RSA_2, &claims(MANAGER_SUB)),
        confused,
        signed(&with(
            claims(MANAGER_SUB),
            "iss",
            json!("https://evil.example.invalid"),
        )),
    ] {
        let (status, body) = send(addr, manager_only, &token).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["code"], "unauthenticated");
    }
}
