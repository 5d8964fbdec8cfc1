//! The routes.
//!
//! | method | path | does | answers |
//! |---|---|---|---|
//! | `GET` | `/queries/{name}` | a service-wide query ([`casework_service::QUERIES`]), parameters in the query string | `200` the query's answer |
//! | `POST` | `/queries/{name}` | the same, parameters as a JSON object | `200` the query's answer |
//! | `POST` | `/young-people` | registers a young person from their details | `201` `{young_person, possible_duplicates}` |
//! | `POST` | `/young-people/{id}/referrals` | receives a referral ([`casework_core::case::NewReferral::from_json`]) | `201` `{case, possible_duplicates}`, `Location` |
//! | `GET` | `/cases/{id}` | the case's summary row (no confidential content) | `200`, `ETag` = its version |
//! | `POST` | `/cases/{id}/commands` | a case command, flat JSON ([`casework_core::case::CaseCommand::from_json`]); optional `If-Match` | `200` `{case, version, stage}`, `ETag` |
//!
//! Every route authenticates first (`401` before anything else is looked at), then checks the
//! permission before reading anything. Ids in paths are accepted as displayed
//! (`case-<uuid>`) or as bare uuids. Query-string parameters are read as JSON where they
//! parse as JSON (`null`, numbers, objects such as a report request) and as strings
//! otherwise; `GET /queries/report?request={...}` carries its request URL-encoded.

use crate::auth::Authenticator;
use crate::problem::{HttpError, Problem};
use axum::body::Bytes;
use axum::extract::{Path, Query as QueryString, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use casework_core::case::{CaseCommand, NewReferral};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::ids::{CaseId, YoungPersonId};
use casework_core::kernel::input::decode_value;
use casework_core::privacy::access::{check, Relationship, StaffDirectory};
use casework_core::store::Store;
use casework_service::queries::{self as q, Query};
use casework_service::{Acting, Casework, QUERIES};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use uuid::Uuid;

struct App<S> {
    casework: Arc<Casework<S>>,
    authenticator: Arc<dyn Authenticator>,
    directory: Arc<StaffDirectory>,
}

impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        App {
            casework: Arc::clone(&self.casework),
            authenticator: Arc::clone(&self.authenticator),
            directory: Arc::clone(&self.directory),
        }
    }
}

impl<S: Store> App<S> {
    fn actor(&self, headers: &HeaderMap) -> Result<Actor, Fail> {
        self.authenticator
            .authenticate(headers)
            .map_err(|_| HttpError::Unauthenticated.into())
    }

    fn acting<'a>(&'a self, actor: &'a Actor) -> Acting<'a, S> {
        self.casework.acting_as(actor, &self.directory)
    }
}

/// The router over `casework`: see the [module docs](self). Mount it in any axum server
/// (`Router::nest`), or serve it on its own.
pub fn router<S, A>(
    casework: Arc<Casework<S>>,
    authenticator: A,
    directory: StaffDirectory,
) -> Router
where
    S: Store + 'static,
    A: Authenticator,
{
    let app = App {
        casework,
        authenticator: Arc::new(authenticator),
        directory: Arc::new(directory),
    };
    Router::new()
        .route(
            "/queries/{name}",
            get(query_from_string::<S>).post(query_from_body::<S>),
        )
        .route("/young-people", post(register::<S>))
        .route("/young-people/{id}/referrals", post(refer::<S>))
        .route("/cases/{id}", get(get_case::<S>))
        .route("/cases/{id}/commands", post(case_command::<S>))
        .fallback(|| async { Problem::from(HttpError::NotFound) })
        .with_state(app)
}

/// A handler's refusal: a [`Problem`], boxed so results stay small.
#[derive(Debug)]
struct Fail(Box<Problem>);

impl From<Problem> for Fail {
    fn from(p: Problem) -> Self {
        Fail(Box::new(p))
    }
}

impl From<HttpError> for Fail {
    fn from(e: HttpError) -> Self {
        Problem::from(e).into()
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

fn bad(field: &str, problem: impl Into<String>) -> Fail {
    HttpError::BadInput {
        field: field.to_owned(),
        problem: problem.into(),
    }
    .into()
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(_) => Problem::from(HttpError::ResponseFailed).into_response(),
    }
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// An id as displayed (`case-<uuid>`) or as a bare uuid.
fn parse_id(text: &str, prefix: &str) -> Result<Uuid, Fail> {
    let bare = text
        .strip_prefix(prefix)
        .and_then(|t| t.strip_prefix('-'))
        .unwrap_or(text);
    Uuid::parse_str(bare)
        .map_err(|_| bad("id", format!("expected `{prefix}-<uuid>` or a bare uuid")))
}

/// The body as UTF-8 JSON text (`{}` when empty).
fn body_text(body: &Bytes) -> Result<&str, Fail> {
    let text = std::str::from_utf8(body).map_err(|_| bad("body", "the body is not UTF-8"))?;
    Ok(if text.trim().is_empty() { "{}" } else { text })
}

fn decode<T: DeserializeOwned>(value: Value) -> Result<T, Fail> {
    decode_value(value).map_err(|e| Problem::domain(&DomainError::Input(e)).into())
}

macro_rules! routed {
    (names) => {
        routed!(@names
            q::ReviewsDue, q::CasesPastExpectedLength, q::OpenCases, q::CadenceAcrossOpenCases,
            q::PartnerReferrals, q::ClosedCases, q::AllReturnInterviewsDue,
            q::OverdueReturnInterviews, q::FlaggedYoungPeople, q::AlumniMembers,
            q::WorkshopReachIn, q::ServiceReport, q::IntelligenceAwaitingPolice, q::WaitingList,
            q::OutstandingActions, q::OverdueReviews, q::PossibleDuplicatesAwaitingDecision)
    };
    (@names $($ty:ty),*) => { [$(<$ty as Query>::NAME),*] };
    (run $name:expr, $params:expr, $acting:expr) => {
        routed!(@run $name, $params, $acting;
            q::ReviewsDue, q::CasesPastExpectedLength, q::OpenCases, q::CadenceAcrossOpenCases,
            q::PartnerReferrals, q::ClosedCases, q::AllReturnInterviewsDue,
            q::OverdueReturnInterviews, q::FlaggedYoungPeople, q::AlumniMembers,
            q::WorkshopReachIn, q::ServiceReport, q::IntelligenceAwaitingPolice, q::WaitingList,
            q::OutstandingActions, q::OverdueReviews, q::PossibleDuplicatesAwaitingDecision)
    };
    (@run $name:expr, $params:expr, $acting:expr; $($ty:ty),*) => {{
        $(
            if $name == <$ty as Query>::NAME {
                let query: $ty = decode($params)?;
                let answer = $acting.query(query).await.map_err(|e| Problem::acting(&e, false))?;
                return Ok(json_response(StatusCode::OK, &answer));
            }
        )*
        Err(HttpError::NotFound.into())
    }};
}

/// Every query routed, by [`Query::NAME`]: the same list as [`QUERIES`] (a test holds them
/// equal), so a query added to the service without a route here fails the build's tests.
pub const ROUTED_QUERIES: &[&str] = &routed!(names);

async fn run_query<S: Store + 'static>(
    app: &App<S>,
    headers: &HeaderMap,
    name: &str,
    params: Value,
) -> Result<Response, Fail> {
    let actor = app.actor(headers)?;
    let info = QUERIES
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| Problem::from(HttpError::NotFound))?;
    // R-27 before the parameters are even read: a refusal says nothing about them.
    check(&actor, Relationship::None, info.permission, None)
        .map_err(|d| Problem::acting(&d.into(), false))?;
    let acting = app.acting(&actor);
    routed!(run name, params, acting)
}

async fn query_from_string<S: Store + 'static>(
    State(app): State<App<S>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    params: Result<QueryString<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Fail> {
    app.actor(&headers)?;
    let QueryString(pairs) =
        params.map_err(|_| bad("query", "the query string is not `name=value&…`"))?;
    let mut object = Map::new();
    for (key, value) in pairs {
        let value = serde_json::from_str::<Value>(&value).unwrap_or(Value::String(value));
        object.insert(key, value);
    }
    run_query(&app, &headers, &name, Value::Object(object)).await
}

async fn query_from_body<S: Store + 'static>(
    State(app): State<App<S>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    app.actor(&headers)?;
    let params: Value = serde_json::from_str(body_text(&body)?)
        .map_err(|_| bad("body", "the body is not a JSON object"))?;
    if !params.is_object() {
        return Err(bad("body", "the body is not a JSON object"));
    }
    run_query(&app, &headers, &name, params).await
}

async fn register<S: Store + 'static>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let actor = app.actor(&headers)?;
    let value: Value =
        serde_json::from_str(body_text(&body)?).map_err(|_| bad("body", "the body is not JSON"))?;
    let details = decode(value)?;
    let registered = app
        .acting(&actor)
        .register(details)
        .await
        .map_err(|e| Problem::acting(&e, false))?;
    Ok(json_response(StatusCode::CREATED, &registered))
}

async fn refer<S: Store + 'static>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let actor = app.actor(&headers)?;
    let young_person = YoungPersonId::from_uuid(parse_id(&id, "yp")?);
    let referral = NewReferral::from_json(body_text(&body)?).map_err(|e| Problem::domain(&e))?;
    let referred = app
        .acting(&actor)
        .refer(young_person, referral)
        .await
        .map_err(|e| Problem::acting(&e, false))?;
    let mut response = json_response(StatusCode::CREATED, &referred);
    if let Ok(location) = HeaderValue::from_str(&format!("/cases/{}", referred.case.as_uuid())) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn get_case<S: Store + 'static>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let actor = app.actor(&headers)?;
    let case = CaseId::from_uuid(parse_id(&id, "case")?);
    // The checked read (R-27, not found) first; then the row it wrote, which holds no
    // confidential content and carries the version it reflects.
    app.acting(&actor)
        .case(case)
        .await
        .map_err(|e| Problem::acting(&e, false))?;
    let summary = app
        .casework
        .store()
        .case_summary(case)
        .await
        .map_err(|e| Problem::load(&e.into()))?
        .ok_or_else(|| Problem::from(HttpError::NotFound))?;
    let mut response = json_response(StatusCode::OK, &summary);
    response
        .headers_mut()
        .insert(header::ETAG, etag(summary.version));
    Ok(response)
}

/// `If-Match`: absent or `*` is no precondition; otherwise one version, `"3"`, `W/"3"` or
/// `3`.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, Fail> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| bad("If-Match", "expected one version, such as \"3\""))?
        .trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text);
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    text.parse()
        .map(Some)
        .map_err(|_| bad("If-Match", "expected one version, such as \"3\""))
}

async fn case_command<S: Store + 'static>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let actor = app.actor(&headers)?;
    let case = CaseId::from_uuid(parse_id(&id, "case")?);
    let expected = if_match(&headers)?;
    let command = CaseCommand::from_json(body_text(&body)?).map_err(|e| Problem::domain(&e))?;
    let executed = app
        .acting(&actor)
        .execute_if(case, command, expected)
        .await
        .map_err(|e| Problem::acting(&e, expected.is_some()))?;
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "case": case.as_uuid(),
            "version": executed.version,
            "stage": executed.state.stage(),
        }),
    );
    response
        .headers_mut()
        .insert(header::ETAG, etag(executed.version));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_is_routed_and_every_route_is_a_query() {
        let queries: Vec<_> = QUERIES.iter().map(|i| i.name).collect();
        let mut routed = ROUTED_QUERIES.to_vec();
        let mut listed = queries.clone();
        routed.sort_unstable();
        listed.sort_unstable();
        assert_eq!(routed, listed);
    }

    #[test]
    fn ids_are_accepted_as_displayed_or_bare() {
        let id = CaseId::new();
        assert_eq!(parse_id(&id.to_string(), "case").unwrap(), id.as_uuid());
        assert_eq!(
            parse_id(&id.as_uuid().to_string(), "case").unwrap(),
            id.as_uuid()
        );
        assert!(parse_id("case-nonsense", "case").is_err());
    }

    #[test]
    fn if_match_reads_one_version() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers).unwrap(), None);
        for (text, version) in [
            ("\"3\"", Some(3)),
            ("W/\"4\"", Some(4)),
            ("5", Some(5)),
            ("*", None),
        ] {
            headers.insert(header::IF_MATCH, text.parse().unwrap());
            assert_eq!(if_match(&headers).unwrap(), version);
        }
        headers.insert(header::IF_MATCH, "\"three\"".parse().unwrap());
        assert_eq!(if_match(&headers).unwrap_err().0.status, 400);
    }
}
