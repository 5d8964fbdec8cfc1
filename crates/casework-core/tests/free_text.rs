//! R-8, R-27 (issue 17, ADR 0008): every free-text field of every stored event has a class.
//!
//! **Confidential** text is sealed (`Confidential`): read only through a recorded read, never
//! in read models, timelines, histories or views. **Visible** text is seen by whoever may read
//! the stream it is on (a case's structure, a young person's record, the audit logs, the
//! retention record, intelligence), and is documented so on its field: names of staff,
//! professionals and organisations, references, the service's own configuration and
//! vocabulary, and reasons for the service's own decisions, which say why in those terms and
//! never what the young person said.
//!
//! The test walks the JSON Schema of each stored event type (and the envelope) and finds every
//! string that is not an id, a time, a date or a vocabulary word; [`CLASSES`] must list each one
//! with its class. A new free-text field fails the test until it is classified here, and a field
//! listed confidential that is not sealed (or the other way round) fails it too.
#![cfg(feature = "schema")]

use casework_core::schema::{root_schema, Contract, JsonSchema};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A field's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Sealed: behind the gate.
    Confidential,
    /// Seen by whoever may read the stream it is on: to whom, and why it is not confidential.
    Visible(&'static str),
    /// Visible as above, but about the young person, so sealed at rest with her data key and
    /// opened as the record is read (`kernel::sealing::identifying`, `::personal`): erased with
    /// her key. Marked `x-sealed-at-rest` in the schema.
    AtRest(&'static str),
}
use Class::{AtRest, Confidential, Visible};

/// Every free-text field of every stored event, by path: the aggregate, the event type, the
/// field (`{tag}` marks a variant of a tagged enum, `[]` an element of a list).
const CLASSES: &[(&str, Class)] = &[
    ("access.confidential_record_read.record.name", Visible("audit log: the reader, a member of staff")),
    ("access.confidential_record_read.record.purpose", Visible("audit log: why a record was read (R-27), as the reader stated it")),
    ("case.approval_given.reason", Confidential),
    ("case.approval_refused.reason", Confidential),
    ("case.approval_requested.approval.step{allocate}.reason", Visible("why the waiting list's order was left (R-7): risk and capacity, never what she said")),
    ("case.approval_requested.approval.step{allocate}.worker_name", Visible("a member of staff's name")),
    ("case.approval_requested.approval.step{close}.reason{other}.text", Confidential),
    ("case.approval_requested.approval.step{close}.reason{transferred}.to", Visible("an organisation's name")),
    ("case.approval_requested.approval.step{reallocate}.reason", Visible("a staffing reason (R-25)")),
    ("case.approval_requested.approval.step{reallocate}.worker_name", Visible("a member of staff's name")),
    ("case.approval_requested.approval.step{risk_override}.level_override.reason", Confidential),
    ("case.cadence_changed.reason", Visible("the rhythm of the work (R-11), never what she said")),
    ("case.case_allocated.allocation.out_of_order_reason", Visible("why the waiting list's order was left (R-7): risk and capacity, never what she said")),
    ("case.case_allocated.allocation.worker_name", Visible("a member of staff's name")),
    ("case.case_closed.reason{other}.text", Confidential),
    ("case.case_closed.reason{transferred}.to", Visible("an organisation's name")),
    ("case.case_paused.reason{other}.text", Confidential),
    ("case.case_reallocated.from.out_of_order_reason", Visible("why the waiting list's order was left (R-7): risk and capacity, never what she said")),
    ("case.case_reallocated.from.worker_name", Visible("a member of staff's name")),
    ("case.case_reallocated.reason", Visible("a staffing reason (R-25)")),
    ("case.case_reallocated.to.out_of_order_reason", Visible("why the waiting list's order was left (R-7): risk and capacity, never what she said")),
    ("case.case_reallocated.to.worker_name", Visible("a member of staff's name")),
    ("case.closure_proposal_withdrawn.reason", Confidential),
    ("case.consent_recorded.entry.purpose", Visible("what consent was given for (R-1, R-10)")),
    ("case.consent_recorded.entry.scope{sharing_with_agency}.agency", Visible("an organisation's name")),
    ("case.contact_recorded.contact.with{other}.who", Visible("a contact's role or name (third party: left out of exports)")),
    ("case.eligibility_screened.screening.reasons[]{outside_area}.postcode", Visible("the district only (the outward code): where the service may work (R-2)")),
    ("case.goal_added.description", Confidential),
    ("case.goal_dropped.reason", Confidential),
    ("case.meeting_recorded.meeting.actions[].action", Confidential),
    ("case.meeting_recorded.meeting.actions[].by_whom", Visible("an agency or a role")),
    ("case.outcome_given.outcome{declined}.reason", Confidential),
    ("case.outcome_given.outcome{signposted}.reason", Confidential),
    ("case.outcome_given.outcome{signposted}.to.name", Visible("an organisation's name")),
    ("case.owed_action_explained.explanation", AtRest("how a statutory duty was met otherwise (R-5), never what she said; about her case")),
    ("case.owed_action_raised.action.owed_to", Visible("the service's configuration")),
    ("case.owed_action_raised.action.status{acknowledged}.reference", Visible("another agency's reference")),
    ("case.owed_action_raised.action.status{explained}.explanation", AtRest("how a statutory duty was met otherwise (R-5), never what she said; about her case")),
    ("case.owed_action_raised.action.status{sent}.reference", Visible("another agency's reference")),
    ("case.owed_action_sent.reference", Visible("another agency's reference")),
    ("case.partner_referral_sent.referral.agency", Visible("an organisation's name")),
    ("case.partner_referral_sent.referral.status{closed}.reason", Visible("a partner agency's own reason")),
    ("case.partner_referral_sent.referral.status{declined}.reason", Visible("a partner agency's own reason")),
    ("case.partner_referral_updated.update{closed}.reason", Visible("a partner agency's own reason")),
    ("case.partner_referral_updated.update{declined}.reason", Visible("a partner agency's own reason")),
    ("case.plan_agreed.plan", Confidential),
    ("case.professional_involved.professional.agency", Visible("an organisation's name")),
    ("case.professional_involved.professional.name", Visible("a professional's name (third party: left out of exports)")),
    ("case.programme_assigned.programme", Visible("the service's configuration")),
    ("case.referral_received.concerns", Confidential),
    ("case.referral_received.service", Visible("the service's configuration")),
    ("case.referral_received.source{agency}.agency", Visible("an organisation's name")),
    ("case.referral_received.source{parent_or_carer}.name", Visible("the referrer's name (third party: left out of exports)")),
    ("case.referral_received.source{professional}.professional.agency", Visible("an organisation's name")),
    ("case.referral_received.source{professional}.professional.name", Visible("a professional's name (third party: left out of exports)")),
    ("case.referral_received.subject.name", AtRest("the young person's name: who the record is about")),
    ("case.referral_received.subject.postcode", AtRest("the young person's postcode")),
    ("case.referral_withdrawn.reason", Confidential),
    ("case.review_recorded.review.assessment.answers[].group", Visible("the service's configuration")),
    ("case.review_recorded.review.assessment.answers[].key", Visible("the service's configuration")),
    ("case.review_recorded.review.assessment.floors_applied[]", Visible("the service's configuration")),
    ("case.review_recorded.review.assessment.overridden.reason", Confidential),
    ("case.review_recorded.review.assessment.tool", Visible("the service's configuration")),
    ("case.review_recorded.review.assessment.tool_version", Visible("the service's configuration")),
    ("case.risk_assessed.assessment.answers[].group", Visible("the service's configuration")),
    ("case.risk_assessed.assessment.answers[].key", Visible("the service's configuration")),
    ("case.risk_assessed.assessment.floors_applied[]", Visible("the service's configuration")),
    ("case.risk_assessed.assessment.overridden.reason", Confidential),
    ("case.risk_assessed.assessment.tool", Visible("the service's configuration")),
    ("case.risk_assessed.assessment.tool_version", Visible("the service's configuration")),
    ("case.risk_level_overridden.level_override.reason", Confidential),
    ("case.session_cancelled.reason", Confidential),
    ("case.session_held.note", Confidential),
    ("case.session_held.place{other}.text", Visible("a kind of place, never an address")),
    ("case.session_held.resources[]", Visible("the service's own packs")),
    ("case.session_held.topics[]", Visible("the service's configuration")),
    ("case.session_planned.place{other}.text", Visible("a kind of place, never an address")),
    ("case.session_planned.topics[]", Visible("the service's configuration")),
    ("disclosures.information_shared.share.audience{partner_agency}.agency", Visible("audit log: the organisation shared with (R-9)")),
    ("disclosures.information_shared.share.audience{police}.agency", Visible("audit log: the organisation shared with (R-9)")),
    ("disclosures.information_shared.share.audience{social_care}.agency", Visible("audit log: the organisation shared with (R-9)")),
    ("disclosures.information_shared.share.basis{consent}.scope{sharing_with_agency}.agency", Visible("audit log: the organisation shared with (R-9)")),
    ("disclosures.information_shared.share.basis{safeguarding_override}.concern", AtRest("audit log: an override's why, recorded as the audit of it (R-9); about her")),
    ("disclosures.information_shared.share.basis{safeguarding_override}.legal_basis", Visible("audit log: an override's why and legal basis, recorded as the audit of it (R-9)")),
    ("disclosures.information_shared.share.shared_by_name", Visible("audit log: who shared, a member of staff")),
    ("intelligence.intelligence_passed_to_police.handover.reference", Visible("intelligence readers: the police's reference (R-19)")),
    ("intelligence.intelligence_recorded.details.report", Confidential),
    ("meta.actor.name", Visible("every history: a member of staff's name")),
    ("meta.reason", Visible("every history: only a command's visible reason is copied here")),
    ("retention.anonymisation_started.started.because", Visible("retention: the schedule's rule, in words")),
    ("retention.anonymisation_started.started.by.name", Visible("retention: a member of staff's name")),
    ("retention.anonymisation_started.started.reason", Visible("retention: kept after erasure, so it never names the young person (R-23, check_reason)")),
    ("retention.legal_hold_lifted.by.name", Visible("retention: a member of staff's name")),
    ("retention.legal_hold_lifted.reason", Visible("retention: kept after erasure, so it never names the young person (R-23, check_reason)")),
    ("retention.legal_hold_placed.hold.placed_by.name", Visible("retention: a member of staff's name")),
    ("retention.legal_hold_placed.hold.reason", Visible("retention: kept after erasure, so it never names the young person (R-23, check_reason)")),
    ("retention.records_anonymised.rechained[].hash", Visible("retention: a rewritten stream's chain head, a hash (R-18)")),
    ("retention.records_anonymised.by.name", Visible("retention: a member of staff's name")),
    ("workshop.workshop_attendee_identified_vulnerable.concerns", Confidential),
    ("workshop.workshop_evaluation_recorded.evaluation.answers[].question", Visible("the service's evaluation form")),
    ("workshop.workshop_evaluation_recorded.evaluation.learnt", Confidential),
    ("workshop.workshop_planned.details.programme", Visible("the service's configuration")),
    ("workshop.workshop_planned.details.topics[]", Visible("the service's configuration")),
    ("workshop.workshop_planned.details.venue.name", Visible("a school's or youth club's name")),
    ("workshop.workshop_tutorial_held.tutorial.note", Confidential),
    ("young_person.alumni_left.reason", Visible("the young person's record: the service's process in its own words, never what she said")),
    ("young_person.missing_flag_resolved.reason", AtRest("the young person's record: the strategy discussion about her (R-22)")),
    ("young_person.not_same_person_recorded.reason", Visible("the young person's record: the service's process in its own words, never what she said")),
    ("young_person.possible_duplicates_flagged.candidates[].reasons[]{neighbouring_postcode_district}.district", Visible("the young person's postcode or district: where the service may work (R-2)")),
    ("young_person.possible_duplicates_flagged.candidates[].reasons[]{same_postcode_district}.district", Visible("the young person's postcode or district: where the service may work (R-2)")),
    ("young_person.same_person_recorded.reason", Visible("the young person's record: the service's process in its own words, never what she said")),
    ("young_person.young_person_details_corrected.details.name", AtRest("the young person's name: who the record is about")),
    ("young_person.young_person_details_corrected.details.postcode", AtRest("the young person's postcode")),
    ("young_person.young_person_registered.details.name", AtRest("the young person's name: who the record is about")),
    ("young_person.young_person_registered.details.postcode", AtRest("the young person's postcode")),
];

/// What a string field of a stored event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// `Confidential`: sealed, read only through the gate.
    Sealed,
    /// Under a field marked `x-sealed-at-rest`: sealed at rest, opened as it is read.
    AtRest,
    /// Any other string a person writes or a configuration names.
    Open,
}

/// Every string leaf of `T`'s stored form, by path (`case_closed.reason{other}.text`), with
/// whether it is sealed. Ids, times, dates and vocabulary words (enums, tags) are not free
/// text and are left out.
fn string_fields<T: JsonSchema>(root: &str) -> BTreeMap<String, Found> {
    let schema = root_schema::<T>(Contract::Serialize).to_value();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut found = BTreeMap::new();
    walk(
        &schema,
        &defs,
        root.to_owned(),
        &mut Vec::new(),
        &mut found,
        false,
    );
    found
}

fn walk(
    schema: &Value,
    defs: &Map<String, Value>,
    path: String,
    stack: &mut Vec<String>,
    found: &mut BTreeMap<String, Found>,
    at_rest: bool,
) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    // Everything under a field sealed at rest is.
    let at_rest = at_rest || obj.contains_key("x-sealed-at-rest");
    if let Some(Value::String(r)) = obj.get("$ref") {
        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
        match name.as_str() {
            "Confidential" => {
                found.insert(path, Found::Sealed);
            }
            _ if stack.contains(&name) => {}
            _ => {
                if let Some(def) = defs.get(&name) {
                    stack.push(name);
                    walk(def, defs, path, stack, found, at_rest);
                    stack.pop();
                }
            }
        }
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(variants)) = obj.get(key) {
            for v in variants {
                let tag = v
                    .get("properties")
                    .and_then(Value::as_object)
                    .and_then(|p| p.values().find_map(|p| p.get("const")?.as_str()));
                // An event's type names it (`case.goal_dropped`); a nested variant's tag is
                // shown in braces (`reason{other}`).
                let here = match tag {
                    Some(t) if stack.is_empty() && !path.contains('.') => format!("{path}.{t}"),
                    Some(t) => format!("{path}{{{t}}}"),
                    None => path.clone(),
                };
                walk(v, defs, here, stack, found, at_rest);
            }
        }
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (key, p) in props {
            if p.get("const").is_some() {
                continue;
            }
            let here = format!("{path}.{key}");
            walk(p, defs, here, stack, found, at_rest);
        }
    }
    if let Some(items) = obj.get("items") {
        walk(items, defs, format!("{path}[]"), stack, found, at_rest);
    }
    if let Some(extra @ Value::Object(_)) = obj.get("additionalProperties") {
        walk(extra, defs, format!("{path}.*"), stack, found, at_rest);
    }
    let is_string = match obj.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    if is_string
        && !obj.contains_key("format")
        && !obj.contains_key("enum")
        && !obj.contains_key("const")
    {
        found
            .entry(path)
            .or_insert(if at_rest { Found::AtRest } else { Found::Open });
    }
}

/// Every string field of every stored event type and of the envelope.
fn every_string_field() -> BTreeMap<String, Found> {
    use casework_core::*;
    let mut all = BTreeMap::new();
    all.extend(string_fields::<case::CaseEvent>("case"));
    all.extend(string_fields::<young_person::YoungPersonEvent>(
        "young_person",
    ));
    all.extend(string_fields::<workshop::WorkshopEvent>("workshop"));
    all.extend(string_fields::<intelligence::IntelligenceEvent>(
        "intelligence",
    ));
    all.extend(string_fields::<privacy::retention::RetentionEvent>(
        "retention",
    ));
    all.extend(string_fields::<privacy::access_log::AccessEvent>("access"));
    all.extend(string_fields::<privacy::disclosure::DisclosureEvent>(
        "disclosures",
    ));
    all.extend(string_fields::<kernel::event::EventMeta>("meta"));
    all
}

#[test]
fn every_free_text_field_of_every_event_is_classified() {
    let found = every_string_field();
    let listed: BTreeMap<&str, Class> = CLASSES.iter().copied().collect();
    assert_eq!(listed.len(), CLASSES.len(), "a field is listed twice");
    let unclassified: Vec<String> = found
        .iter()
        .filter(|(path, _)| !listed.contains_key(path.as_str()))
        .map(|(path, how)| format!("    (\"{path}\", {how:?}),"))
        .collect();
    assert!(
        unclassified.is_empty(),
        "free text not yet classified: seal it (Confidential) or document it as visible, and \
         list it in CLASSES:\n{}",
        unclassified.join("\n")
    );
    let gone: Vec<&&str> = listed
        .keys()
        .filter(|path| !found.contains_key(**path))
        .collect();
    assert!(
        gone.is_empty(),
        "CLASSES lists fields no event has: {gone:?}"
    );
    for (path, how) in &found {
        match (listed[path.as_str()], how) {
            (Confidential, Found::Sealed)
            | (Visible(_), Found::Open)
            | (AtRest(_), Found::AtRest) => {}
            (Confidential, _) => {
                panic!("`{path}` is listed confidential but is not sealed (use Confidential)")
            }
            (_, Found::Sealed) => {
                panic!("`{path}` is sealed but listed visible: list it as Confidential")
            }
            (Visible(_), Found::AtRest) => {
                panic!("`{path}` is sealed at rest but listed visible: list it as AtRest")
            }
            (AtRest(_), Found::Open) => panic!(
                "`{path}` is listed as sealed at rest but is stored as it is (use \
                 kernel::sealing::personal, marked x-sealed-at-rest)"
            ),
        }
    }
}

/// The findings the review of issue 17 named are sealed: a dropped goal's, a decline's, a
/// withdrawal's reasons, a closure's own words, a risk override's reason, a meeting's actions.
#[test]
fn the_reasons_the_review_found_are_confidential() {
    let found = every_string_field();
    for path in [
        "case.goal_dropped.reason",
        "case.outcome_given.outcome{declined}.reason",
        "case.referral_withdrawn.reason",
        "case.case_closed.reason{other}.text",
        "case.risk_assessed.assessment.overridden.reason",
        "case.risk_level_overridden.level_override.reason",
        "case.meeting_recorded.meeting.actions[].action",
    ] {
        assert_eq!(found.get(path), Some(&Found::Sealed), "{path}");
    }
}
