//! Errors as `application/problem+json` (RFC 9457).
//!
//! Every error response is a [`Problem`]:
//!
//! ```json
//! {"type": "urn:casework:error:out_of_waiting_list_order", "code": "out_of_waiting_list_order",
//!  "title": "Refused by a rule", "status": 409, "rule": "R-7", "detail": "R-7: case …"}
//! ```
//!
//! `type` and `code` carry the error's stable machine code (`docs/ERRORS.md`), which a front
//! end switches on; `rule` is the rule that refused (`R-n`) when there is one, `field` the
//! input field at fault, `permission` the permission lacked, `current_version` the case's
//! version after a stale `If-Match`. `detail` is the error's sentence for people, cut to a
//! short length; a request's input is never echoed beyond what that sentence names.
//!
//! | status | when | code |
//! |---|---|---|
//! | 400 | malformed JSON, id, parameter or `If-Match`; a field the rules refuse as input | `bad_input` |
//! | 401 | no credential, or one not known | `unauthenticated` |
//! | 403 | R-27: the role and relationship do not permit it; names the permission | `access_denied` |
//! | 404 | no such case, young person or query | `not_found` |
//! | 405 | a route that exists, with another method | `method_not_allowed` |
//! | 409 | a domain rule refused (the rule's code), or another writer won the race | e.g. `case_closed`, `conflict` |
//! | 412 | `If-Match` names a version the case is no longer at | `conflict` |
//! | 422 | an `Idempotency-Key` reused with a different request | `idempotency_key_reused` |
//! | 500 | an unreadable history, or a response that could not be written | `history_unreadable`, `response_failed` |
//! | 503 | the store is unavailable, busy or full (with `Retry-After`) | `store_*` |

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use casework_core::kernel::code::ErrorCode;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::rule::Rule;
use casework_core::privacy::disclosure::DisclosureError;
use casework_core::privacy::retention::RetentionRefusal;
use casework_core::store::StoreError;
use casework_service::{ActingError, CommandError, LoadError};
use serde::Serialize;

/// The most of an error's sentence a problem carries.
pub const DETAIL_LIMIT: usize = 300;

/// What the HTTP layer itself refuses, before the service is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// No credential, or an unknown one.
    Unauthenticated,
    /// The request is malformed at `field` (`body`, `id`, `If-Match`, a parameter).
    BadInput {
        /// Where.
        field: String,
        /// What is wrong, in a sentence that does not quote the input.
        problem: String,
    },
    /// No such route or query.
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// A response could not be serialized.
    ResponseFailed,
}

impl ErrorCode for HttpError {
    fn code(&self) -> &'static str {
        match self {
            HttpError::Unauthenticated => "unauthenticated",
            HttpError::BadInput { .. } => "bad_input",
            HttpError::NotFound => "not_found",
            HttpError::MethodNotAllowed => "method_not_allowed",
            HttpError::ResponseFailed => "response_failed",
        }
    }
}

/// An RFC 9457 problem document; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// `urn:casework:error:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The stable machine code.
    pub code: &'static str,
    /// A short summary of the kind.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The error's sentence, at most [`DETAIL_LIMIT`] characters.
    pub detail: String,
    /// The rule that refused, `R-n`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The input field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The permission lacked (403).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<&'static str>,
    /// The case's version now (412, and 409 after a lost race).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

fn short(text: &str) -> String {
    if text.chars().count() <= DETAIL_LIMIT {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(DETAIL_LIMIT).collect();
        format!("{cut}…")
    }
}

impl Problem {
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: &str) -> Self {
        Problem {
            kind: format!("urn:casework:error:{code}"),
            code,
            title,
            status: status.as_u16(),
            detail: short(detail),
            rule: None,
            field: None,
            permission: None,
            current_version: None,
        }
    }

    /// The problem for an HTTP-layer refusal.
    #[must_use]
    pub fn http(e: &HttpError) -> Self {
        match e {
            HttpError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                e.code(),
                "Not authenticated",
                "send `Authorization: Bearer <token>` with a token the server knows",
            ),
            HttpError::BadInput { field, problem } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, e.code(), "Bad input", problem);
                p.field = Some(short(field));
                p
            }
            HttpError::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                e.code(),
                "Not found",
                "no such resource",
            ),
            HttpError::MethodNotAllowed => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                e.code(),
                "Method not allowed",
                "the route exists, not with this method; see /openapi.json",
            ),
            HttpError::ResponseFailed => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.code(),
                "Response failed",
                "the response could not be written",
            ),
        }
    }

    /// The problem for a domain refusal: `400` for input the rules refuse as malformed,
    /// `409` for every other rule.
    #[must_use]
    pub fn domain(e: &DomainError) -> Self {
        let mut p = match e {
            DomainError::Input(input) => {
                let mut p = Problem::new(
                    StatusCode::BAD_REQUEST,
                    e.code(),
                    "Bad input",
                    &e.to_string(),
                );
                p.field = Some(short(&input.field));
                p
            }
            DomainError::StatutoryRequirement { field } => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    e.code(),
                    "Refused by a rule",
                    &e.to_string(),
                );
                p.field = Some(short(field));
                p
            }
            _ => Problem::new(
                StatusCode::CONFLICT,
                e.code(),
                "Refused by a rule",
                &e.to_string(),
            ),
        };
        p.rule = e.rule().map(|r| r.to_string());
        p
    }

    fn store(e: &StoreError) -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            e.code(),
            "Store unavailable",
            "the store could not carry out the request; nothing was written, and a retry is safe",
        )
    }

    /// The problem for a failed load.
    #[must_use]
    pub fn load(e: &LoadError) -> Self {
        match e {
            LoadError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, e.code(), "Not found", &e.to_string())
            }
            LoadError::History(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.code(),
                "History unreadable",
                "a stored history this version cannot read",
            ),
            LoadError::Store(s) => Problem::store(s),
        }
    }

    /// The problem for a command's failure; `if_match` says whether the caller named the
    /// version it expected (a conflict is then `412`, otherwise `409`).
    #[must_use]
    pub fn command(e: &CommandError, if_match: bool) -> Self {
        match e {
            CommandError::Rejected(d) => Problem::domain(d),
            CommandError::Conflict(c) => {
                let mut p = if if_match {
                    Problem::new(
                        StatusCode::PRECONDITION_FAILED,
                        e.code(),
                        "Precondition failed",
                        "the case has changed since the version in If-Match; reload it and decide again",
                    )
                } else {
                    Problem::new(
                        StatusCode::CONFLICT,
                        e.code(),
                        "Conflict",
                        "someone else changed the case first; reload it and decide again",
                    )
                };
                p.current_version = Some(c.actual);
                p
            }
            CommandError::Load(l) => Problem::load(l),
            CommandError::Store(s) => Problem::store(s),
            CommandError::IdempotencyKeyReused(_) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    e.code(),
                    "Idempotency key reused",
                    "this Idempotency-Key was used for a different request; nothing was written",
                );
                p.field = Some("Idempotency-Key".to_owned());
                p
            }
        }
    }

    /// The problem for a checked operation's failure.
    #[must_use]
    pub fn acting<R: Refusal>(e: &ActingError<R>, if_match: bool) -> Self {
        match e {
            ActingError::Denied(d) => {
                let mut p = Problem::new(
                    StatusCode::FORBIDDEN,
                    d.code(),
                    "Forbidden",
                    &format!(
                        "the {} role, as {}, does not have the `{}` permission here (R-27)",
                        d.role.as_str(),
                        d.relationship.as_str(),
                        d.permission.as_str()
                    ),
                );
                p.permission = Some(d.permission.as_str());
                p.rule = Some("R-27".to_owned());
                p
            }
            ActingError::Refused(r) => r.problem(),
            ActingError::Failed(f) => Problem::command(f, if_match),
        }
    }

    /// `409`: a rule refused; the rule named.
    fn refused(code: &'static str, rule: Rule, detail: &str) -> Self {
        let mut p = Problem::new(StatusCode::CONFLICT, code, "Refused by a rule", detail);
        p.rule = Some(rule.to_string());
        p
    }
}

/// An operation's own refusal (the `R` of [`ActingError`]), as a problem.
pub trait Refusal {
    /// Its problem document.
    fn problem(&self) -> Problem;
}

impl Refusal for DomainError {
    fn problem(&self) -> Problem {
        Problem::domain(self)
    }
}

impl Refusal for DisclosureError {
    /// An incomplete override is bad input naming its field (`400`); a share the consent
    /// does not cover is a refusal (`409`).
    fn problem(&self) -> Problem {
        let mut p = Problem::refused(self.code(), self.rule(), &self.to_string());
        if let DisclosureError::OverrideIncomplete { field, .. } = self {
            p.status = StatusCode::BAD_REQUEST.as_u16();
            p.title = "Bad input";
            p.field = Some(short(field));
        }
        p
    }
}

impl Refusal for RetentionRefusal {
    fn problem(&self) -> Problem {
        Problem::refused(self.code(), self.rule(), &self.to_string())
    }
}

impl From<HttpError> for Problem {
    fn from(e: HttpError) -> Self {
        Problem::http(&e)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(v) = self.current_version {
            if let Ok(v) = HeaderValue::from_str(&format!("\"{v}\"")) {
                headers.insert(header::ETAG, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework_core::kernel::input::InputError;

    #[test]
    fn a_long_sentence_is_cut_and_the_field_is_named() {
        let long = "x".repeat(5 * DETAIL_LIMIT);
        let p = Problem::domain(&DomainError::Input(InputError::new("reason", long.clone())));
        assert_eq!(p.status, 400);
        assert_eq!(p.code, "bad_input");
        assert_eq!(p.field.as_deref(), Some("reason"));
        assert!(p.detail.chars().count() <= DETAIL_LIMIT + 1, "{}", p.detail);
        assert!(!p.detail.contains(&long));
    }

    #[test]
    fn a_conflict_is_412_only_when_the_caller_named_a_version() {
        use casework_core::kernel::ids::{CaseId, StreamId};
        use casework_core::store::Conflict;
        let conflict = CommandError::Conflict(Conflict {
            stream: StreamId::Case(CaseId::new()),
            expected: 2,
            actual: 3,
        });
        assert_eq!(Problem::command(&conflict, true).status, 412);
        assert_eq!(Problem::command(&conflict, false).status, 409);
        assert_eq!(Problem::command(&conflict, true).current_version, Some(3));
    }
}
