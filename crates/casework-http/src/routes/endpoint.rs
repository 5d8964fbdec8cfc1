//! One endpoint: an [`Operation`] (method, path, name, where its input comes from) and the
//! handler that serves it, made together by `endpoint()` so the router and the published
//! description of the API come from the same values.
//!
//! Every endpoint runs the same steps in the same order: authenticate (`401` before anything
//! else is looked at), read the input (query string or JSON body) into the operation's input
//! type (`400` naming the field), then call the checked handle ([`Acting`]), which checks the
//! permission before it reads anything, and answer with the operation's reply.

use crate::auth::Authenticator;
use crate::problem::{HttpError, Problem};
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::idempotency::{IdempotentRequest, KEY_FIELD};
use casework_core::kernel::input::decode_value;
use casework_core::privacy::access::StaffDirectory;
use casework_core::schema::{JsonSchema, Schema, SchemaGenerator};
use casework_core::store::Store;
use casework_service::{Acting, Casework};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use tracing::Instrument;
use uuid::Uuid;

/// What every handler shares: the library, who may call, and how staff relate.
pub(crate) struct App<S> {
    pub(crate) casework: Arc<Casework<S>>,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    pub(crate) directory: Arc<StaffDirectory>,
    /// The most characters any one text value of an input may hold.
    pub(crate) text_limit: usize,
}

impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        App {
            casework: Arc::clone(&self.casework),
            authenticator: Arc::clone(&self.authenticator),
            directory: Arc::clone(&self.directory),
            text_limit: self.text_limit,
        }
    }
}

impl<S: Store> App<S> {
    pub(crate) fn actor(&self, headers: &HeaderMap) -> Result<Actor, Fail> {
        self.authenticator
            .authenticate(headers)
            .map_err(|_| HttpError::Unauthenticated.into())
    }
}

/// A handler's refusal: a [`Problem`], boxed so results stay small.
#[derive(Debug)]
pub(crate) struct Fail(pub(crate) Box<Problem>);

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

/// A `400` naming the field.
pub(crate) fn bad(field: &str, problem: impl Into<String>) -> Fail {
    HttpError::BadInput {
        field: field.to_owned(),
        problem: problem.into(),
    }
    .into()
}

/// The HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `GET`: reads nothing but what it answers (an open-record read is a `POST`: it records).
    Get,
    /// `POST`: a command, a creation, or a read that is recorded.
    Post,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The method's name, lowercase as OpenAPI writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Delete => "delete",
        }
    }
}

/// Where an operation's input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Only the path.
    Path,
    /// The query string, read as a JSON object (values that parse as JSON are JSON).
    Query,
    /// A JSON object body (empty reads as `{}`).
    Body,
}

/// One operation of the API, as listed in the OpenAPI document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The method.
    pub verb: Verb,
    /// The path, axum style (`/cases/{id}/history`).
    pub path: Cow<'static, str>,
    /// A stable name (OpenAPI `operationId`).
    pub name: Cow<'static, str>,
    /// One sentence: what it does.
    pub summary: Cow<'static, str>,
    /// Where its input comes from.
    pub input: Input,
    /// The status of a success.
    pub success: u16,
    /// Whether it honours an `Idempotency-Key` header (set where the route is declared): the
    /// handler may read the key (`Call::idempotency`) only then, and the OpenAPI document
    /// lists the header on exactly these operations.
    pub idempotent: bool,
}

impl Operation {
    /// A read: `GET`, `200`, input from the query string.
    pub(crate) fn read(path: &'static str, name: &'static str, summary: &'static str) -> Self {
        Operation {
            verb: Verb::Get,
            path: Cow::Borrowed(path),
            name: Cow::Borrowed(name),
            summary: Cow::Borrowed(summary),
            input: Input::Query,
            success: 200,
            idempotent: false,
        }
    }

    /// A change, or a read that is recorded: `POST`, `200`, input from the body.
    pub(crate) fn write(path: &'static str, name: &'static str, summary: &'static str) -> Self {
        Operation {
            verb: Verb::Post,
            path: Cow::Borrowed(path),
            name: Cow::Borrowed(name),
            summary: Cow::Borrowed(summary),
            input: Input::Body,
            success: 200,
            idempotent: false,
        }
    }

    /// A creation: `POST`, `201`, input from the body.
    pub(crate) fn create(path: &'static str, name: &'static str, summary: &'static str) -> Self {
        let mut op = Operation::write(path, name, summary);
        op.success = 201;
        op
    }

    /// Marks the operation as honouring `Idempotency-Key`: its handler reads the key with
    /// [`Call::idempotency`] and passes it to the checked handle, and the OpenAPI document
    /// lists the header (its `idempotent` field).
    #[must_use]
    pub(crate) fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// The path parameters' names, in order.
    #[must_use]
    pub fn path_parameters(&self) -> Vec<&str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect()
    }
}

/// No input beyond the path: refuses unknown parameters so a misspelt one is a `400`, not
/// silently ignored.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Nothing {}

/// One call as a handler sees it: who, the path's parameters and the headers.
pub(crate) struct Call<S> {
    pub(crate) app: App<S>,
    pub(crate) actor: Actor,
    path: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    /// SHA-256 of the operation, its path parameters and its body: what a retry under the
    /// same `Idempotency-Key` must match.
    fingerprint: String,
    /// Whether the operation honours `Idempotency-Key` (marked with [`Operation::idempotent()`]).
    idempotent: bool,
}

impl<S: Store> Call<S> {
    /// The checked handle for the caller.
    pub(crate) fn acting(&self) -> Acting<'_, S> {
        self.app
            .casework
            .acting_as(&self.actor, &self.app.directory)
    }

    /// The request's `Idempotency-Key`, if it sent one, with its fingerprint: a `400` naming
    /// the header when the key is malformed. Only for an operation marked
    /// [`Operation::idempotent()`], so the OpenAPI document says where the header is honoured;
    /// elsewhere it answers `None`.
    pub(crate) fn idempotency(&self) -> Result<Option<IdempotentRequest>, Fail> {
        debug_assert!(
            self.idempotent,
            "an operation that reads Idempotency-Key is marked `.idempotent()`"
        );
        if !self.idempotent {
            return Ok(None);
        }
        let Some(value) = self.headers.get(KEY_FIELD) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .map_err(|_| bad(KEY_FIELD, "must be printable ASCII"))?;
        IdempotentRequest::new(key, self.fingerprint.clone())
            .map(Some)
            .map_err(|e| Problem::domain(&DomainError::Input(e)).into())
    }

    /// The path parameter `name`, as an id displayed (`case-<uuid>`) or a bare uuid.
    pub(crate) fn id<T: PathId>(&self, name: &str) -> Result<T, Fail> {
        let text = self
            .path
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| bad(name, "missing from the path"))?;
        Ok(T::from_uuid(parse_id(text, T::PREFIX, name)?))
    }
}

/// An id that can be a path parameter.
pub(crate) trait PathId: Sized {
    /// The prefix it displays with.
    const PREFIX: &'static str;
    /// Wraps a uuid.
    fn from_uuid(id: Uuid) -> Self;
}

macro_rules! path_ids {
    ($($ty:ty => $prefix:literal),* $(,)?) => {$(
        impl PathId for $ty {
            const PREFIX: &'static str = $prefix;
            fn from_uuid(id: Uuid) -> Self {
                <$ty>::from_uuid(id)
            }
        }
    )*};
}

path_ids!(
    casework_core::kernel::ids::CaseId => "case",
    casework_core::kernel::ids::YoungPersonId => "yp",
    casework_core::kernel::ids::WorkshopId => "workshop",
    casework_core::kernel::ids::IntelligenceId => "intelligence",
    casework_core::privacy::retention::LegalHoldId => "hold",
);

/// An id as displayed (`<prefix>-<uuid>`) or as a bare uuid; a `400` naming `field` otherwise.
pub(crate) fn parse_id(text: &str, prefix: &str, field: &str) -> Result<Uuid, Fail> {
    let bare = text
        .strip_prefix(prefix)
        .and_then(|t| t.strip_prefix('-'))
        .unwrap_or(text);
    Uuid::parse_str(bare)
        .map_err(|_| bad(field, format!("expected `{prefix}-<uuid>` or a bare uuid")))
}

/// What a handler answers: a body, its status, and the stream version it reflects
/// (`ETag`) or the place of what it created (`Location`) when there is one.
pub(crate) struct Reply<T> {
    status: StatusCode,
    body: T,
    version: Option<u64>,
    location: Option<String>,
}

impl<T: Serialize> Reply<T> {
    /// `200` with `body`.
    pub(crate) fn ok(body: T) -> Self {
        Reply {
            status: StatusCode::OK,
            body,
            version: None,
            location: None,
        }
    }

    /// `201` with `body`, created at `location`.
    pub(crate) fn created(body: T, location: String) -> Self {
        Reply {
            status: StatusCode::CREATED,
            body,
            version: None,
            location: Some(location),
        }
    }

    /// The stream version the body reflects, sent as the `ETag`.
    pub(crate) fn at_version(mut self, version: u64) -> Self {
        self.version = Some(version);
        self
    }

    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body);
        if response.status().is_success() {
            let headers = response.headers_mut();
            if let Some(version) = self.version {
                headers.insert(header::ETAG, etag(version));
            }
            if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                headers.insert(header::LOCATION, location);
            }
        }
        response
    }
}

/// `value` as a JSON response; a value that refuses to serialize (confidential content
/// outside storage, R-8) is a `500` that carries none of it.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
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

/// A version as an entity tag.
pub(crate) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// `If-Match`: absent or `*` is no precondition; otherwise one version, `"3"`, `W/"3"` or
/// `3`.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<u64>, Fail> {
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

/// The query string as a JSON object: each value read as JSON where it parses as JSON
/// (`null`, numbers, objects such as a report request) and as a string otherwise.
pub(crate) fn query_object(query: Option<&str>) -> Result<Value, Fail> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| bad("query", "the query string is not `name=value&…`"))?;
    let mut object = Map::new();
    for (key, value) in pairs {
        let value = serde_json::from_str::<Value>(&value).unwrap_or(Value::String(value));
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

/// The body as a JSON object (`{}` when empty).
pub(crate) fn body_object(body: &Bytes) -> Result<Value, Fail> {
    let text = body_text(body)?;
    let value: Value =
        serde_json::from_str(text).map_err(|_| bad("body", "the body is not a JSON object"))?;
    if !value.is_object() {
        return Err(bad("body", "the body is not a JSON object"));
    }
    Ok(value)
}

/// The body as UTF-8 text (`{}` when empty).
pub(crate) fn body_text(body: &Bytes) -> Result<&str, Fail> {
    let text = std::str::from_utf8(body).map_err(|_| bad("body", "the body is not UTF-8"))?;
    Ok(if text.trim().is_empty() { "{}" } else { text })
}

/// The path of the first text value in `value` longer than `limit` characters, if any
/// (`body.note`, `items[2]`).
pub(crate) fn overlong_text(value: &Value, limit: usize) -> Option<String> {
    match value {
        Value::String(text) => (text.chars().count() > limit).then(String::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            overlong_text(v, limit).map(|inner| format!("[{i}]{}", dotted(&inner)))
        }),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            overlong_text(v, limit).map(|inner| format!("{k}{}", dotted(&inner)))
        }),
        _ => None,
    }
}

fn dotted(inner: &str) -> String {
    if inner.is_empty() || inner.starts_with('[') {
        inner.to_owned()
    } else {
        format!(".{inner}")
    }
}

/// What identifies one request for idempotency: the operation, its path parameters and its
/// body, hashed.
fn fingerprint(operation: &str, path: &[(String, String)], body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(operation.as_bytes());
    for (name, value) in path {
        hash.update([0]);
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(value.as_bytes());
    }
    hash.update([0]);
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON value as `T`, a `400` naming the field otherwise.
pub(crate) fn decode<T: DeserializeOwned>(value: Value) -> Result<T, Fail> {
    decode_value(value).map_err(|mut e| {
        // serde names a missing field only in its message, at the path of the object that
        // lacks it: the field is the better name for a front end to point at.
        if let Some(missing) = missing_field(&e.problem) {
            e.field = if e.field.is_empty() {
                missing
            } else {
                format!("{}.{missing}", e.field)
            };
        }
        Problem::domain(&DomainError::Input(e)).into()
    })
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.split("missing field `").nth(1)?;
    rest.split('`').next().map(str::to_owned)
}

/// Adds the schema of `T` to a generator's definitions, answering a reference to it.
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn subschema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// An operation, the handler that serves it, and the schemas of its input and its answer.
pub(crate) struct Endpoint<S> {
    pub(crate) op: Operation,
    pub(crate) route: MethodRouter<App<S>>,
    pub(crate) request: SchemaFn,
    pub(crate) response: SchemaFn,
}

impl<S> Endpoint<S> {
    /// Describes the input as `T`, for a handler that reads it as raw JSON first (commands,
    /// accepted flat; a query, whose permission is checked before its parameters are read).
    pub(crate) fn accepting<T: JsonSchema>(mut self) -> Self {
        self.request = subschema::<T>;
        self
    }

    /// Describes the input with `schema` (a command enum's flat form, say).
    pub(crate) fn accepting_with(mut self, schema: SchemaFn) -> Self {
        self.request = schema;
        self
    }
}

/// The endpoint serving `op` with `handle`, which receives the call and the input decoded
/// as `I` and answers a [`Reply`] of `O`; see the module docs for the order of steps.
pub(crate) fn endpoint<S, I, O, F, Fut>(op: Operation, handle: F) -> Endpoint<S>
where
    S: Store + 'static,
    I: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + JsonSchema + Send + 'static,
    F: Fn(Call<S>, I) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply<O>, Fail>> + Send + 'static,
{
    let (input, verb, idempotent) = (op.input, op.verb, op.idempotent);
    let name: Arc<str> = Arc::from(&*op.name);
    let handler = move |State(app): State<App<S>>,
                        path: Result<Path<Vec<(String, String)>>, PathRejection>,
                        headers: HeaderMap,
                        RawQuery(query): RawQuery,
                        body: Bytes| {
        let (handle, name) = (handle.clone(), Arc::clone(&name));
        async move {
            let actor = app.actor(&headers)?;
            // What was done by which role, and how it went: never an id, a name or content.
            let span = tracing::info_span!(
                "casework_http",
                operation = &*name,
                role = actor.role.as_str(),
            );
            let how = How { input, idempotent };
            let answer = serve(&name, app, actor, path, headers, query, body, how, handle)
                .instrument(span.clone())
                .await;
            let status = match &answer {
                Ok(response) => response.status().as_u16(),
                Err(fail) => fail.0.status,
            };
            tracing::info!(parent: &span, status, "answered");
            answer
        }
    };
    let route = match verb {
        Verb::Get => get(handler),
        Verb::Post => post(handler),
        Verb::Delete => delete(handler),
    };
    Endpoint {
        op,
        route,
        request: subschema::<I>,
        response: subschema::<O>,
    }
}

/// How an operation reads its call.
#[derive(Clone, Copy)]
struct How {
    input: Input,
    idempotent: bool,
}

/// The steps after authentication: see the module docs.
#[allow(clippy::too_many_arguments)]
async fn serve<S, I, O, F, Fut>(
    name: &str,
    app: App<S>,
    actor: Actor,
    path: Result<Path<Vec<(String, String)>>, PathRejection>,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
    how: How,
    handle: F,
) -> Result<Response, Fail>
where
    S: Store + 'static,
    I: DeserializeOwned,
    O: Serialize,
    F: Fn(Call<S>, I) -> Fut,
    Fut: Future<Output = Result<Reply<O>, Fail>>,
{
    let path = match path {
        Ok(Path(path)) => path,
        Err(PathRejection::MissingPathParams(_)) => Vec::new(),
        Err(_) => return Err(bad("path", "a path parameter is not valid")),
    };
    let value = match how.input {
        Input::Path => Value::Object(Map::new()),
        Input::Query => query_object(query.as_deref())?,
        Input::Body => body_object(&body)?,
    };
    if let Some(field) = overlong_text(&value, app.text_limit) {
        return Err(bad(
            &field,
            format!("longer than {} characters", app.text_limit),
        ));
    }
    let input: I = decode(value)?;
    let fingerprint = fingerprint(name, &path, &body);
    let call = Call {
        app,
        actor,
        path,
        headers,
        fingerprint,
        idempotent: how.idempotent,
    };
    Ok(handle(call, input).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework_core::kernel::ids::CaseId;

    #[test]
    fn ids_are_accepted_as_displayed_or_bare() {
        let id = CaseId::new();
        assert_eq!(
            parse_id(&id.to_string(), "case", "id").unwrap(),
            id.as_uuid()
        );
        assert_eq!(
            parse_id(&id.as_uuid().to_string(), "case", "id").unwrap(),
            id.as_uuid()
        );
        let refused = parse_id("case-nonsense", "case", "id").unwrap_err();
        assert_eq!(refused.0.field.as_deref(), Some("id"));
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

    #[test]
    fn query_values_are_json_where_they_parse() {
        let object = query_object(Some("limit=5&name=Robin&at=2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(object["limit"], 5);
        assert_eq!(object["name"], "Robin");
        assert_eq!(object["at"], "2026-01-01T00:00:00Z");
    }

    #[test]
    fn path_parameters_are_read_from_the_path() {
        let op = Operation::read("/young-people/{id}/duplicates/{other}", "x", "x");
        assert_eq!(op.path_parameters(), ["id", "other"]);
    }
}
