//! The OpenAPI 3.1 document of the router, generated from the same [`Operation`]s and the
//! same types the handlers read and answer, so it cannot drift from what is served. The
//! router serves it, without authentication, at `GET /openapi.json`.
//!
//! Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect) from
//! [`casework_core::schema`]: what a request may send is described by serde's
//! `Deserialize` contract, what a response holds by its `Serialize` contract. Where one type
//! reads differently from how it writes (a field with a default), its request schema is
//! listed as `<Name>Input`. Commands are described in the flat form
//! (`{"command": "decline", …}`) or serde's tagged one, both accepted.
//!
//! Every operation lists its success and every problem status it can answer
//! (`application/problem+json`, see [`crate::problem`]).

use crate::problem::Problem;
use crate::routes::endpoint::{Endpoint, Input};
use crate::routes::Operation;
use casework_core::schema::{settings, Contract, SchemaGenerator};
use serde_json::{json, Map, Value};

/// Where the schemas live in the document.
const DEFINITIONS: &str = "#/components/schemas/";

/// The problem statuses every authenticated operation can answer, with when.
const PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "Bad input: malformed JSON, id, parameter or If-Match; the field is named.",
    ),
    ("401", "No credential, or one not known."),
    ("403", "R-27: the role and relationship do not permit it."),
    ("404", "No such record."),
    (
        "409",
        "A rule refused it (the rule is named), or another writer won.",
    ),
    (
        "412",
        "If-Match names a version the stream is no longer at.",
    ),
    ("413", "The body is larger than the server accepts."),
    ("422", "An Idempotency-Key reused with a different request."),
    ("500", "A stored history this version cannot read."),
    (
        "503",
        "The store is unavailable, busy or full; retry after Retry-After.",
    ),
];

fn generator_for(contract: Contract) -> SchemaGenerator {
    settings(contract)
        .with(|s| s.definitions_path = DEFINITIONS.into())
        .into_generator()
}

/// The OpenAPI document of `endpoints`.
pub(crate) fn document<S>(endpoints: &[Endpoint<S>]) -> Value {
    let mut requests = generator_for(Contract::Deserialize);
    let mut responses = generator_for(Contract::Serialize);
    let problem = responses.subschema_for::<Problem>().to_value();
    let mut paths = Map::new();
    for endpoint in endpoints {
        let op = &endpoint.op;
        let request = (endpoint.request)(&mut requests).to_value();
        let response = (endpoint.response)(&mut responses).to_value();
        let operation = operation(op, request, response, &problem);
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        item.as_object_mut()
            .expect("a path item is an object")
            .insert(op.verb.as_str().to_owned(), operation);
    }
    let schemas = merge(requests, responses, &mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Casework",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Case management for services protecting young people from child \
                sexual exploitation: every command and read of the checked handle. Identity \
                comes from the bearer credential only (R-27); confidential content is only \
                in logged open-record reads (R-8).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer",
                    "description": "An API token, or a JWT from the charity's identity provider." },
            },
        },
        "security": [{ "bearer": [] }],
    })
}

/// One operation object.
fn operation(op: &Operation, request: Value, response: Value, problem: &Value) -> Value {
    let mut parameters: Vec<Value> = op
        .path_parameters()
        .into_iter()
        .map(|name| {
            json!({
                "name": name, "in": "path", "required": true,
                "description": "An id as displayed (`case-<uuid>`) or a bare uuid.",
                "schema": { "type": "string" },
            })
        })
        .collect();
    let mut object = Map::new();
    object.insert("operationId".into(), json!(op.name));
    object.insert("summary".into(), json!(op.summary));
    match op.input {
        Input::Path => {}
        Input::Query => parameters.extend(query_parameters(&request)),
        Input::Body => {
            let mut media = json!({ "schema": request });
            let examples = crate::examples::request_examples(&op.name);
            if !examples.is_empty() {
                media["examples"] = crate::examples::examples_object(examples);
            }
            object.insert(
                "requestBody".into(),
                json!({ "required": false, "content": { "application/json": media } }),
            );
        }
    }
    if op.name.starts_with("case_command") || op.path.ends_with("/commands") {
        parameters.push(json!({
            "name": "If-Match", "in": "header", "required": false,
            "description": "The stream version the command was decided on, as its ETag; a stale one is 412.",
            "schema": { "type": "string" },
        }));
    }
    if op.idempotent {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Your key for this request (1 to 255 printable characters): a retry with the same key and body answers the first result and records nothing; with another body, 422.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 255 },
        }));
    }
    object.insert("parameters".into(), Value::Array(parameters));
    let mut responses = Map::new();
    responses.insert(
        op.success.to_string(),
        json!({
            "description": "Done.",
            "content": { "application/json": { "schema": response } },
        }),
    );
    for (status, when) in PROBLEMS {
        responses.insert(
            (*status).to_owned(),
            json!({
                "description": when,
                "content": { "application/problem+json": { "schema": problem } },
            }),
        );
    }
    object.insert("responses".into(), Value::Object(responses));
    Value::Object(object)
}

/// The query parameters of a query-string input: one per property of its (object) schema.
/// A value that is not a string or a number travels as JSON text.
fn query_parameters(schema: &Value) -> Vec<Value> {
    // The input's own schema is a reference; its properties are read where it points, which
    // the caller resolves (see `resolve_query_parameters`).
    let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
        return Vec::new();
    };
    vec![json!({ "x-casework-input": reference })]
}

/// Replaces each `x-casework-input` placeholder with the parameters of the schema it names.
fn resolve_query_parameters(paths: &mut Map<String, Value>, schemas: &Map<String, Value>) {
    for item in paths.values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let Some(Value::Array(parameters)) = operation.get_mut("parameters") else {
                continue;
            };
            let mut resolved = Vec::new();
            for parameter in parameters.drain(..) {
                let Some(reference) = parameter.get("x-casework-input").and_then(Value::as_str)
                else {
                    resolved.push(parameter);
                    continue;
                };
                let name = reference.trim_start_matches(DEFINITIONS);
                let Some(input) = schemas
                    .get(&format!("{name}Input"))
                    .or_else(|| schemas.get(name))
                else {
                    continue;
                };
                let required: Vec<&str> = input
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let properties = input.get("properties").and_then(Value::as_object);
                for (field, schema) in properties.into_iter().flatten() {
                    let mut parameter = json!({
                        "name": field, "in": "query", "required": required.contains(&field.as_str()),
                    });
                    if is_plain(schema, schemas) {
                        parameter["schema"] = schema.clone();
                    } else {
                        parameter["content"] = json!({ "application/json": { "schema": schema } });
                    }
                    if let Some(description) = schema.get("description") {
                        parameter["description"] = description.clone();
                    }
                    resolved.push(parameter);
                }
            }
            *parameters = resolved;
        }
    }
}

/// Whether a parameter's schema is a string, number or boolean, sent as itself.
fn is_plain(schema: &Value, schemas: &Map<String, Value>) -> bool {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => match schemas.get(r.trim_start_matches(DEFINITIONS)) {
            Some(s) => s,
            None => return false,
        },
        None => schema,
    };
    matches!(
        schema.get("type").and_then(Value::as_str),
        Some("string" | "integer" | "number" | "boolean")
    )
}

/// The two generators' definitions as one map: a request definition that differs from the
/// response definition of the same name is renamed `<Name>Input`, and references to it in
/// request schemas (in `paths` and among the request definitions) follow.
fn merge(
    requests: SchemaGenerator,
    responses: SchemaGenerator,
    paths: &mut Map<String, Value>,
) -> Map<String, Value> {
    let mut merged: Map<String, Value> = responses
        .definitions()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let request_definitions = requests.definitions().clone();
    let renamed: Vec<String> = request_definitions
        .iter()
        .filter(|(name, schema)| merged.get(*name).is_some_and(|s| s != *schema))
        .map(|(name, _)| name.clone())
        .collect();
    let rename = |value: &mut Value| {
        for name in &renamed {
            rewrite_reference(value, name);
        }
    };
    for (name, mut schema) in request_definitions {
        rename(&mut schema);
        let key = if renamed.contains(&name) {
            format!("{name}Input")
        } else {
            name
        };
        merged.entry(key).or_insert(schema);
    }
    for item in paths.values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            for key in ["requestBody", "parameters"] {
                if let Some(part) = operation.get_mut(key) {
                    rename(part);
                }
            }
        }
    }
    resolve_query_parameters(paths, &merged);
    merged
}

/// Points every reference to `name` at `<name>Input`.
fn rewrite_reference(value: &mut Value, name: &str) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("$ref") {
                if reference.strip_prefix(DEFINITIONS) == Some(name) {
                    *reference = format!("{DEFINITIONS}{name}Input");
                }
            }
            for v in object.values_mut() {
                rewrite_reference(v, name);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_reference(v, name)),
        _ => {}
    }
}
