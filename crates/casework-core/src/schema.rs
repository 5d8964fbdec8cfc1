//! JSON Schemas of what the HTTP API sends and receives (feature `schema`).
//!
//! With the feature on, every type that crosses the API derives [`JsonSchema`]: commands,
//! referrals, young people's details, events, aggregate states, read rows, listings, report
//! requests and figures, disclosure views, the access log, retention and subject access
//! exports. The schemas follow each type's serde attributes, so they describe the JSON the
//! types really read and write; types with hand-written serde have hand-written schemas beside
//! them ([`crate::read::figures::Shown`], [`crate::kernel::input::Text`],
//! [`crate::kernel::input::Postcode`]).
//!
//! Schemas are JSON Schema 2020-12, the dialect of OpenAPI 3.1. A type can read more than it
//! writes (a field with a default may be left out of a request, but is always in a
//! response), so schemas come in two contracts: [`request_generator`] describes what a type
//! accepts (serde's `Deserialize`), [`response_generator`] what it produces (`Serialize`).
//! For an OpenAPI document, put the definitions under `/components/schemas` with
//! [`settings`] and [`SchemaSettings::with`].
//!
//! Commands are accepted flat, `{"command": "decline", "reason": "…"}`, as well as in serde's
//! externally tagged form (`{"decline": {"reason": "…"}}`, `"screen"`): the derived schema
//! of a command enum is the tagged one; [`flat_command_schema`] gives the flat one, as
//! [`crate::case::CaseCommand::to_json`] writes it, and [`accepted_command_schema`] either.
//!
//! ```
//! use casework_core::case::CaseCommand;
//! use casework_core::schema::{flat_command_schema, request_generator};
//!
//! let mut generator = request_generator();
//! let flat = flat_command_schema::<CaseCommand>(&mut generator);
//! let variants = flat.get("oneOf").and_then(|v| v.as_array()).unwrap();
//! assert!(variants.iter().any(|v| v["properties"]["command"]["const"] == "decline"));
//! ```

pub use schemars;
pub use schemars::generate::{Contract, SchemaSettings};
pub use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

/// JSON Schema 2020-12 settings for `contract`, definitions under `/$defs`.
#[must_use]
pub fn settings(contract: Contract) -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|s| s.contract = contract)
}

/// A generator of the schemas of what the API accepts: request bodies, query parameters,
/// commands (serde's `Deserialize` contract).
#[must_use]
pub fn request_generator() -> SchemaGenerator {
    settings(Contract::Deserialize).into_generator()
}

/// A generator of the schemas of what the API answers: rows, states, events, reports (serde's
/// `Serialize` contract).
#[must_use]
pub fn response_generator() -> SchemaGenerator {
    settings(Contract::Serialize).into_generator()
}

/// A self-contained schema of `T` (its definitions under `$defs`) for `contract`.
#[must_use]
pub fn root_schema<T: JsonSchema>(contract: Contract) -> Schema {
    settings(contract)
        .into_generator()
        .into_root_schema_for::<T>()
}

/// The schema of a command enum `T` (a serde enum, externally tagged, with unit and struct
/// variants: [`crate::case::CaseCommand`], [`crate::young_person::YoungPersonCommand`],
/// [`crate::workshop::WorkshopCommand`], [`crate::intelligence::IntelligenceCommand`]) in the
/// flat form the API accepts and `to_json` writes: a `oneOf` of objects, one a variant, each
/// with a required `command` whose value is the variant's name and that variant's fields
/// (a unit variant: `command` alone, and nothing else). The schemas the fields refer to are
/// added to `generator`'s definitions.
///
/// # Panics
///
/// When `T`'s schema is not that of such an enum: a tuple variant, or a newtype variant over
/// anything but a struct, has no flat form (`to_json` would drop its content).
pub fn flat_command_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let tagged = T::json_schema(generator).to_value();
    let prefix = format!(
        "#/{}/",
        generator
            .settings()
            .definitions_path
            .trim_start_matches('#')
            .trim_matches('/')
    );
    let definitions = generator.definitions();
    let resolve = |schema: &Value| -> Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .strip_prefix(&prefix)
                .and_then(|name| definitions.get(name))
                .cloned()
                .unwrap_or_else(|| panic!("`{reference}` is not among the generator's schemas")),
            None => schema.clone(),
        }
    };
    let variants = match tagged.get("oneOf").or_else(|| tagged.get("anyOf")) {
        Some(Value::Array(variants)) => variants.clone(),
        _ => vec![tagged.clone()],
    };
    let mut flat = Vec::new();
    for variant in &variants {
        let variant = resolve(variant);
        let description = variant.get("description").cloned();
        if let Some(Value::String(name)) = variant.get("const") {
            flat.push(unit_variant(name, description));
        } else if let Some(Value::Array(names)) = variant.get("enum") {
            for name in names {
                let name = name
                    .as_str()
                    .unwrap_or_else(|| panic!("a unit variant's name is a string: {name}"));
                flat.push(unit_variant(name, description.clone()));
            }
        } else {
            let properties = variant
                .get("properties")
                .and_then(Value::as_object)
                .filter(|p| p.len() == 1)
                .unwrap_or_else(|| panic!("not an externally tagged variant: {variant}"));
            let (name, content) = properties.iter().next().expect("one property");
            flat.push(struct_variant(name, &resolve(content), description));
        }
    }
    let mut schema = Map::new();
    if let Some(description) = tagged.get("description") {
        schema.insert("description".into(), description.clone());
    }
    schema.insert("oneOf".into(), Value::Array(flat));
    Schema::from(schema)
}

/// The schema of a command enum `T` in either form the API accepts: the flat one
/// ([`flat_command_schema`]) or serde's externally tagged one (a `$ref` to `T`'s derived
/// schema, added to `generator`'s definitions).
pub fn accepted_command_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let flat = flat_command_schema::<T>(generator).to_value();
    let tagged = generator.subschema_for::<T>().to_value();
    let mut schema = Map::new();
    schema.insert("anyOf".into(), Value::Array(vec![flat, tagged]));
    Schema::from(schema)
}

/// A self-contained flat schema of the command enum `T` ([`flat_command_schema`]), its
/// definitions under `$defs`: for a document of its own, or a test.
#[must_use]
pub fn root_flat_command_schema<T: JsonSchema>(contract: Contract) -> Schema {
    let mut generator = settings(contract).into_generator();
    let mut schema = flat_command_schema::<T>(&mut generator);
    let object = schema.ensure_object();
    object.insert(
        "$schema".into(),
        Value::String(schemars::consts::meta_schemas::DRAFT2020_12.into()),
    );
    object.insert(
        "title".into(),
        Value::String(format!("{} (flat)", T::schema_name())),
    );
    let definitions = generator.take_definitions(true);
    if !definitions.is_empty() {
        object.insert("$defs".into(), Value::Object(definitions));
    }
    schema
}

fn command_property(name: &str) -> Value {
    serde_json::json!({ "type": "string", "const": name })
}

fn unit_variant(name: &str, description: Option<Value>) -> Value {
    let mut object = Map::new();
    if let Some(description) = description {
        object.insert("description".into(), description);
    }
    object.insert("type".into(), "object".into());
    object.insert(
        "properties".into(),
        Value::Object(Map::from_iter([("command".into(), command_property(name))])),
    );
    object.insert("required".into(), serde_json::json!(["command"]));
    object.insert("additionalProperties".into(), Value::Bool(false));
    Value::Object(object)
}

fn struct_variant(name: &str, content: &Value, description: Option<Value>) -> Value {
    let fields = content
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("variant `{name}` has no flat form: its content is {content}"));
    let mut properties = Map::from_iter([("command".to_owned(), command_property(name))]);
    properties.extend(fields.clone());
    let mut required = vec![Value::String("command".into())];
    if let Some(Value::Array(names)) = content.get("required") {
        required.extend(names.iter().cloned());
    }
    let mut object = Map::new();
    if let Some(description) = description.or_else(|| content.get("description").cloned()) {
        object.insert("description".into(), description);
    }
    object.insert("type".into(), "object".into());
    object.insert("properties".into(), Value::Object(properties));
    object.insert("required".into(), Value::Array(required));
    if let Some(additional) = content.get("additionalProperties") {
        object.insert("additionalProperties".into(), additional.clone());
    }
    Value::Object(object)
}
