//! Every JSON example in docs/EVENTS.md decodes as the event its heading names, at the schema
//! version the heading states, so the documentation of the stored format cannot drift; every
//! old-form (`legacy-json`) example decodes as the same event as the example of its type, and
//! is written back in the new form.

use casework::case::CaseEvent;
use casework::intelligence::IntelligenceEvent;
use casework::kernel::event::DomainEvent;
use casework::privacy::access_log::AccessEvent;
use casework::privacy::disclosure::DisclosureEvent;
use casework::privacy::retention::RetentionEvent;
use casework::workshop::WorkshopEvent;
use casework::young_person::YoungPersonEvent;
use casework_testkit::stored::stored;

const DOC: &str = include_str!("../docs/EVENTS.md");

/// (event type, schema version, json) for each `### \`type\` (schema n)` section.
fn examples() -> Vec<(String, u32, String)> {
    let mut out = Vec::new();
    let mut heading: Option<(String, u32)> = None;
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("### `") {
            let (ty, tail) = rest.split_once('`').expect("heading names a type");
            let version = tail
                .trim()
                .trim_start_matches("(schema ")
                .trim_end_matches(')')
                .parse()
                .expect("heading states a schema version");
            heading = Some((ty.to_owned(), version));
        } else if line.starts_with("```json") {
            let json: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            let (ty, version) = heading.take().expect("every example follows a heading");
            out.push((ty, version, json.join("\n")));
        }
    }
    out
}

/// The `legacy-json` examples: payloads in the form written before the `kind` tags.
fn legacy_examples() -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```legacy-json") {
            let json: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push(json.join("\n"));
        }
    }
    out
}

/// When `E` knows `ty`: whether the old-form `legacy` decodes as the same event as one of the
/// documented `examples`, and is written back as that example (not in its own form).
fn legacy_reads_as<E: DomainEvent + std::fmt::Debug>(
    ty: &str,
    legacy: &str,
    examples: &[(String, u32, String)],
) -> Option<()> {
    E::current_schema(ty)?;
    let old: E = serde_json::from_str(legacy).unwrap_or_else(|e| panic!("legacy {ty}: {e}"));
    // Compared as stored: events holding confidential content have no `==`.
    let documented: Vec<serde_json::Value> = examples
        .iter()
        .filter(|(t, _, _)| t == ty)
        .map(|(_, _, json)| {
            stored(&serde_json::from_str::<E>(json).expect("documented example decodes"))
        })
        .collect();
    assert!(
        documented.contains(&stored(&old)),
        "legacy {ty} is not the same event as its documented example: {old:?}"
    );
    let written = casework::kernel::confidential::for_storage(|| serde_json::to_value(&old))
        .expect("events serialize");
    let legacy: serde_json::Value = serde_json::from_str(legacy).unwrap();
    assert_ne!(
        written, legacy,
        "legacy {ty} is written back in its old form"
    );
    assert!(
        written.to_string().contains("\"kind\""),
        "legacy {ty} is written without a `kind` tag: {written}"
    );
    Some(())
}

#[test]
fn every_legacy_example_reads_as_its_documented_event() {
    let examples = examples();
    let legacy = legacy_examples();
    assert!(
        legacy.len() >= 3,
        "found only {} legacy examples",
        legacy.len()
    );
    for json in legacy {
        let value: serde_json::Value = serde_json::from_str(&json).expect("legacy example is JSON");
        let ty = value["type"].as_str().expect("legacy example has a type");
        legacy_reads_as::<CaseEvent>(ty, &json, &examples)
            .or_else(|| legacy_reads_as::<YoungPersonEvent>(ty, &json, &examples))
            .or_else(|| legacy_reads_as::<WorkshopEvent>(ty, &json, &examples))
            .or_else(|| legacy_reads_as::<IntelligenceEvent>(ty, &json, &examples))
            .or_else(|| legacy_reads_as::<AccessEvent>(ty, &json, &examples))
            .or_else(|| legacy_reads_as::<DisclosureEvent>(ty, &json, &examples))
            .or_else(|| legacy_reads_as::<RetentionEvent>(ty, &json, &examples))
            .unwrap_or_else(|| panic!("legacy {ty} is not an event type"));
    }
}

/// Decodes `json` as `E` if `E` knows `ty`, checking the documented schema version; the
/// decoded event's type, or `None` when `ty` is not one of `E`'s.
fn decode_as<E: DomainEvent>(ty: &str, version: u32, json: &str) -> Option<&'static str> {
    let current = E::current_schema(ty)?;
    assert_eq!(
        current, version,
        "{ty}: documented schema differs from the code's"
    );
    let event: E = serde_json::from_str(json).unwrap_or_else(|e| panic!("{ty}: {e}"));
    Some(event.event_type())
}

#[test]
fn every_documented_event_decodes() {
    let examples = examples();
    assert!(
        examples.len() >= 23,
        "found only {} examples",
        examples.len()
    );
    for (ty, version, json) in examples {
        let decoded_type = decode_as::<CaseEvent>(&ty, version, &json)
            .or_else(|| decode_as::<YoungPersonEvent>(&ty, version, &json))
            .or_else(|| decode_as::<WorkshopEvent>(&ty, version, &json))
            .or_else(|| decode_as::<IntelligenceEvent>(&ty, version, &json))
            .or_else(|| decode_as::<AccessEvent>(&ty, version, &json))
            .or_else(|| decode_as::<DisclosureEvent>(&ty, version, &json))
            .or_else(|| decode_as::<RetentionEvent>(&ty, version, &json))
            .unwrap_or_else(|| panic!("{ty} is not an event type"));
        assert_eq!(decoded_type, ty);
    }
}

#[test]
fn every_case_event_type_is_documented() {
    let documented: Vec<String> = examples().into_iter().map(|(t, _, _)| t).collect();
    for ty in casework::kernel::event::CASE_EVENT_TYPES {
        assert!(
            documented.iter().any(|d| d == ty),
            "{ty} is not documented in docs/EVENTS.md"
        );
    }
}

#[test]
fn every_other_event_type_is_documented() {
    use casework::kernel::event::{
        INTELLIGENCE_EVENT_TYPES, WORKSHOP_EVENT_TYPES, YOUNG_PERSON_EVENT_TYPES,
    };
    use casework::privacy::access_log::ACCESS_EVENT_TYPES;
    use casework::privacy::disclosure::DISCLOSURE_EVENT_TYPES;
    use casework::privacy::retention::RETENTION_EVENT_TYPES;
    let documented: Vec<String> = examples().into_iter().map(|(t, _, _)| t).collect();
    for ty in YOUNG_PERSON_EVENT_TYPES
        .iter()
        .chain(WORKSHOP_EVENT_TYPES)
        .chain(INTELLIGENCE_EVENT_TYPES)
        .chain(ACCESS_EVENT_TYPES)
        .chain(DISCLOSURE_EVENT_TYPES)
        .chain(RETENTION_EVENT_TYPES)
    {
        assert!(
            documented.iter().any(|d| d == ty),
            "{ty} is not documented in docs/EVENTS.md"
        );
    }
}
