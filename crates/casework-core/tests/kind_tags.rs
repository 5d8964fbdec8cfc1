//! Issue 14: every enum that was tagged with the name of the field holding it is now tagged
//! `kind`. An event stored in the old form (a literal payload, as the SQLite, Postgres and
//! memory stores keep it) still loads, and is written back in the new form; for the enums held
//! only in state (snapshots), the holder is read in the old form the same way.

use casework_core::case::{CadenceSource, CaseEvent, Goal, ReferralSource, Session};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::confidential::for_storage;
use casework_core::kernel::event::{DomainEvent, EventMeta, RecordedEvent};
use casework_core::kernel::ids::{CaseId, StreamId};
use casework_core::privacy::access_log::AccessEvent;
use casework_core::privacy::disclosure::DisclosureEvent;
use casework_core::privacy::retention::RetentionDue;
use casework_core::workshop::WorkshopEvent;
use casework_core::young_person::YoungPersonEvent;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The payload as a store hands it back, at the current schema version of its type.
fn stored<E: DomainEvent>(payload: &str) -> RecordedEvent {
    let value: Value = serde_json::from_str(payload).expect("fixture is JSON");
    let event_type = value["type"]
        .as_str()
        .expect("fixture has a type")
        .to_owned();
    RecordedEvent {
        stream: StreamId::Case(CaseId::new()),
        version: 1,
        position: 1,
        schema_version: E::current_schema(&event_type).expect("a known type"),
        event_type,
        payload: payload.to_owned(),
        meta: EventMeta::new(
            &Actor::worker("Sam Worker"),
            "2026-03-02T09:00:00Z".parse().unwrap(),
            None,
        ),
    }
}

/// What `value` writes, confidential content included (as a store would get it).
fn written<T: Serialize>(value: &T) -> Value {
    for_storage(|| serde_json::to_value(value)).expect("serializes for storage")
}

/// Decodes the old-form payload as a stored event, checks it is the event the new form
/// decodes to (compared as stored: events holding confidential content have no `==`), and
/// that it is written back in the new form.
fn old_event_reads_as_new<E: DomainEvent + std::fmt::Debug>(old: &str, new: &str) {
    let from_old = E::decode(&stored::<E>(old)).unwrap_or_else(|e| panic!("{e}: {old}"));
    let from_new = E::decode(&stored::<E>(new)).unwrap_or_else(|e| panic!("{e}: {new}"));
    assert_eq!(written(&from_old), written(&from_new));
    let new: Value = serde_json::from_str(new).unwrap();
    assert_eq!(written(&from_old), new, "written back in the new form");
    // And the new form is what encoding stores.
    let encoded = for_storage(|| {
        from_old.encode(EventMeta::new(
            &Actor::worker("Sam Worker"),
            "2026-03-02T09:00:00Z".parse().unwrap(),
            None,
        ))
    });
    assert_eq!(
        serde_json::from_str::<Value>(&encoded.payload).unwrap(),
        new
    );
}

/// The same for a value held in state (a snapshot's part).
fn old_value_reads_as_new<T: DeserializeOwned + Serialize + std::fmt::Debug>(old: &str, new: &str) {
    let from_old: T = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}: {old}"));
    let from_new: T = serde_json::from_str(new).unwrap_or_else(|e| panic!("{e}: {new}"));
    assert_eq!(written(&from_old), written(&from_new));
    assert_eq!(
        written(&from_old),
        serde_json::from_str::<Value>(new).unwrap()
    );
}

#[test]
fn referral_source_old_tag_source_loads_and_is_written_as_kind() {
    let subject = r#""subject":{"name":"Amy Example","date_of_birth":"2011-05-14","gender":"female","postcode":"LS6 2AB","learning_difficulty":false,"contact_preferences":[]}"#;
    let rest = format!(
        r#""case":"26cb03f3-178b-4951-8568-4994424cd21c","young_person":"881be9a7-5fea-48e3-b840-e7f9c948c374",{subject},"concerns":"Older man giving lifts and gifts","received_at":"2026-03-02T09:00:00Z","previous_case":null,"service":"Riverside Girls' Project (fictional)""#
    );
    for (old, new) in [
        (
            r#"{"source":"self_referral"}"#,
            r#"{"kind":"self_referral"}"#,
        ),
        (
            r#"{"source":"agency","agency":"Fictional Youth Offending Team"}"#,
            r#"{"kind":"agency","agency":"Fictional Youth Offending Team"}"#,
        ),
        (
            r#"{"source":"parent_or_carer","name":"Jo Example"}"#,
            r#"{"kind":"parent_or_carer","name":"Jo Example"}"#,
        ),
    ] {
        old_event_reads_as_new::<CaseEvent>(
            &format!(r#"{{"type":"referral_received","source":{old},{rest}}}"#),
            &format!(r#"{{"type":"referral_received","source":{new},{rest}}}"#),
        );
    }
    // The tag may come after the variant's fields, in either form.
    let late: ReferralSource =
        serde_json::from_str(r#"{"agency":"Fictional YOT","source":"agency"}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&late).unwrap(),
        r#"{"kind":"agency","agency":"Fictional YOT"}"#
    );
}

#[test]
fn consent_scope_old_tag_scope_loads_and_is_written_as_kind() {
    let entry = |scope: &str| {
        format!(
            r#"{{"type":"consent_recorded","entry":{{"scope":{scope},"decision":"given","by":"young_person","method":"in_person","purpose":"to share with the housing team","given_at":"2026-03-02T09:00:00Z"}}}}"#
        )
    };
    old_event_reads_as_new::<CaseEvent>(
        &entry(r#"{"scope":"sharing_with_agency","agency":"Fictional Housing"}"#),
        &entry(r#"{"kind":"sharing_with_agency","agency":"Fictional Housing"}"#),
    );
    old_event_reads_as_new::<CaseEvent>(
        &entry(r#"{"scope":"referral"}"#),
        &entry(r#"{"kind":"referral"}"#),
    );
}

#[test]
fn outcome_old_tag_outcome_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"outcome_given","outcome":{"outcome":"declined","reason":"Already supported by another service"},"at":"2026-03-04T09:00:00Z"}"#,
        r#"{"type":"outcome_given","outcome":{"kind":"declined","reason":"Already supported by another service"},"at":"2026-03-04T09:00:00Z"}"#,
    );
}

#[test]
fn pause_reason_old_tag_reason_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"case_paused","reason":{"reason":"other","text":"In hospital"},"at":"2026-03-20T09:00:00Z"}"#,
        r#"{"type":"case_paused","reason":{"kind":"other","text":"In hospital"},"at":"2026-03-20T09:00:00Z"}"#,
    );
}

#[test]
fn closure_reason_old_tag_reason_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"case_closed","reason":{"reason":"transferred","to":"The Harbour project"},"at":"2026-04-20T09:00:00Z"}"#,
        r#"{"type":"case_closed","reason":{"kind":"transferred","to":"The Harbour project"},"at":"2026-04-20T09:00:00Z"}"#,
    );
}

#[test]
fn party_old_tag_party_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"closure_agreed","party":{"party":"professional","id":"3498226d-f627-4713-a02f-9fad2923a45e"},"at":"2026-04-20T09:00:00Z"}"#,
        r#"{"type":"closure_agreed","party":{"kind":"professional","id":"3498226d-f627-4713-a02f-9fad2923a45e"},"at":"2026-04-20T09:00:00Z"}"#,
    );
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"goal_added","goal":"6f1c2b7e-5d1a-4c3e-9f0a-2b8d7e6c5a41","description":"Know who to call","agreed_with":[{"party":"young_person"},{"party":"professional","id":"3498226d-f627-4713-a02f-9fad2923a45e"}],"at":"2026-03-09T10:00:00Z"}"#,
        r#"{"type":"goal_added","goal":"6f1c2b7e-5d1a-4c3e-9f0a-2b8d7e6c5a41","description":"Know who to call","agreed_with":[{"kind":"young_person"},{"kind":"professional","id":"3498226d-f627-4713-a02f-9fad2923a45e"}],"at":"2026-03-09T10:00:00Z"}"#,
    );
}

#[test]
fn gated_step_old_tag_step_loads_and_is_written_as_kind() {
    let approval = |step: &str| {
        format!(
            r#"{{"type":"approval_requested","approval":{{"id":"5b0f7f3e-3c52-4b8e-9d0e-0c6f2d1d7a11","step":{step},"requested_by":"0d411e6a-9e66-4f33-81b1-2fc59306446e","requested_at":"2026-05-04T10:00:00Z"}}}}"#
        )
    };
    old_event_reads_as_new::<CaseEvent>(
        &approval(r#"{"step":"close","reason":{"reason":"other","text":"Family request"}}"#),
        &approval(r#"{"kind":"close","reason":{"kind":"other","text":"Family request"}}"#),
    );
    old_event_reads_as_new::<CaseEvent>(
        &approval(
            r#"{"step":"reallocate","worker":"0d411e6a-9e66-4f33-81b1-2fc59306446e","worker_name":"Kim Worker","reason":"Leave"}"#,
        ),
        &approval(
            r#"{"kind":"reallocate","worker":"0d411e6a-9e66-4f33-81b1-2fc59306446e","worker_name":"Kim Worker","reason":"Leave"}"#,
        ),
    );
}

#[test]
fn owed_status_old_tag_status_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"owed_action_raised","action":{"id":"ec1e3f02-7bc0-4695-8c2d-f160dca9a960","kind":"notify_safeguarding_unit","owed_to":"Integrated safeguarding unit (fictional city council)","raised_at":"2026-03-02T09:00:00Z","due_at":"2026-03-03T09:00:00Z","status":{"status":"owed"}}}"#,
        r#"{"type":"owed_action_raised","action":{"id":"ec1e3f02-7bc0-4695-8c2d-f160dca9a960","kind":"notify_safeguarding_unit","owed_to":"Integrated safeguarding unit (fictional city council)","raised_at":"2026-03-02T09:00:00Z","due_at":"2026-03-03T09:00:00Z","status":{"kind":"owed"}}}"#,
    );
}

#[test]
fn session_place_old_tag_place_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"session_planned","session":"0b7f3c1e-8a2d-4e5f-9c6b-1d2e3f4a5b6c","planned_for":"2026-03-12T16:00:00Z","place":{"place":"other","text":"The park cafe"},"place_chosen_by_young_person":true,"topics":["healthy_relationships"],"at":"2026-03-09T10:00:00Z"}"#,
        r#"{"type":"session_planned","session":"0b7f3c1e-8a2d-4e5f-9c6b-1d2e3f4a5b6c","planned_for":"2026-03-12T16:00:00Z","place":{"kind":"other","text":"The park cafe"},"place_chosen_by_young_person":true,"topics":["healthy_relationships"],"at":"2026-03-09T10:00:00Z"}"#,
    );
}

#[test]
fn contact_with_old_tag_with_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"contact_recorded","contact":{"id":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","kind":"call","direction":"outbound","with":{"with":"other","who":"Her aunt"},"at":"2026-03-13T11:00:00Z"}}"#,
        r#"{"type":"contact_recorded","contact":{"id":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","kind":"call","direction":"outbound","with":{"kind":"other","who":"Her aunt"},"at":"2026-03-13T11:00:00Z"}}"#,
    );
}

#[test]
fn partner_referral_status_old_tag_status_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<CaseEvent>(
        r#"{"type":"partner_referral_sent","referral":{"id":"7e6d5c4b-3a29-4817-8f6e-5d4c3b2a1908","partner":"housing","agency":"Fictional Housing Options Team","sent_at":"2026-03-18T10:00:00Z","status":{"status":"sent"}}}"#,
        r#"{"type":"partner_referral_sent","referral":{"id":"7e6d5c4b-3a29-4817-8f6e-5d4c3b2a1908","partner":"housing","agency":"Fictional Housing Options Team","sent_at":"2026-03-18T10:00:00Z","status":{"kind":"sent"}}}"#,
    );
}

#[test]
fn alumni_basis_old_tag_basis_loads_and_is_written_as_kind() {
    old_event_reads_as_new::<YoungPersonEvent>(
        r#"{"type":"alumni_joined","basis":{"basis":"low_risk","case":"26cb03f3-178b-4951-8568-4994424cd21c"},"at":"2026-06-01T17:00:00Z"}"#,
        r#"{"type":"alumni_joined","basis":{"kind":"low_risk","case":"26cb03f3-178b-4951-8568-4994424cd21c"},"at":"2026-06-01T17:00:00Z"}"#,
    );
}

#[test]
fn respondent_old_tag_respondent_loads_and_is_written_as_kind() {
    let evaluation = |respondent: &str| {
        format!(
            r#"{{"type":"workshop_evaluation_recorded","evaluation":{{"respondent":{respondent},"answers":[{{"question":"I know how grooming can start","before":2,"after":4}}],"learnt":"To tell someone","at":"2026-03-10T15:45:00Z"}}}}"#
        )
    };
    old_event_reads_as_new::<WorkshopEvent>(
        &evaluation(r#"{"respondent":"young_person","id":"881be9a7-5fea-48e3-b840-e7f9c948c374"}"#),
        &evaluation(r#"{"kind":"young_person","id":"881be9a7-5fea-48e3-b840-e7f9c948c374"}"#),
    );
}

#[test]
fn audience_and_share_basis_old_tags_load_and_are_written_as_kind() {
    let share = |audience: &str, basis: &str| {
        format!(
            r#"{{"type":"information_shared","share":{{"case":"57e20bdb-e631-48c0-b79f-3452abfaab15","young_person":"541f236a-fb6b-4adb-a268-0114f155b1ed","audience":{audience},"basis":{basis},"items":["risk_level"],"shared_by":"e78876ec-328b-4cb0-b8f2-f2a5f30f9a82","shared_by_name":"Alex Manager","shared_at":"2026-03-02T09:00:00Z"}}}}"#
        )
    };
    old_event_reads_as_new::<DisclosureEvent>(
        &share(
            r#"{"audience":"police","agency":"Fictional Constabulary"}"#,
            r#"{"basis":"safeguarding_override","legal_basis":"Children Act 1989 s47","concern":"Collected tonight"}"#,
        ),
        &share(
            r#"{"kind":"police","agency":"Fictional Constabulary"}"#,
            r#"{"kind":"safeguarding_override","legal_basis":"Children Act 1989 s47","concern":"Collected tonight"}"#,
        ),
    );
    old_event_reads_as_new::<DisclosureEvent>(
        &share(
            r#"{"audience":"partner_agency","agency":"Fictional Housing"}"#,
            r#"{"basis":"consent","scope":{"scope":"sharing_with_agency","agency":"Fictional Housing"}}"#,
        ),
        &share(
            r#"{"kind":"partner_agency","agency":"Fictional Housing"}"#,
            r#"{"kind":"consent","scope":{"kind":"sharing_with_agency","agency":"Fictional Housing"}}"#,
        ),
    );
}

#[test]
fn access_subject_old_tag_subject_loads_and_is_written_as_kind() {
    let read = |subject: &str| {
        format!(
            r#"{{"type":"confidential_record_read","record":{{"staff":"f9c8ed21-3b49-42c7-bd33-ae7da5655179","name":"Sam Worker","role":"worker","relationship":"allocated_worker","subject":{subject},"purpose":"preparing for Thursday's session","read_at":"2026-03-02T09:00:00Z"}}}}"#
        )
    };
    old_event_reads_as_new::<AccessEvent>(
        &read(
            r#"{"subject":"case","case":"57e20bdb-e631-48c0-b79f-3452abfaab15","young_person":"541f236a-fb6b-4adb-a268-0114f155b1ed"}"#,
        ),
        &read(
            r#"{"kind":"case","case":"57e20bdb-e631-48c0-b79f-3452abfaab15","young_person":"541f236a-fb6b-4adb-a268-0114f155b1ed"}"#,
        ),
    );
}

#[test]
fn goal_status_old_tag_status_loads_from_a_snapshot_and_is_written_as_kind() {
    old_value_reads_as_new::<Goal>(
        r#"{"id":"6f1c2b7e-5d1a-4c3e-9f0a-2b8d7e6c5a41","description":"Know who to call","agreed_with":[{"party":"young_person"}],"set_at":"2026-03-09T10:00:00Z","status":{"status":"dropped","reason":"College instead","at":"2026-04-01T10:00:00Z"}}"#,
        r#"{"id":"6f1c2b7e-5d1a-4c3e-9f0a-2b8d7e6c5a41","description":"Know who to call","agreed_with":[{"kind":"young_person"}],"set_at":"2026-03-09T10:00:00Z","status":{"kind":"dropped","reason":"College instead","at":"2026-04-01T10:00:00Z"}}"#,
    );
}

#[test]
fn session_status_old_tag_status_loads_from_a_snapshot_and_is_written_as_kind() {
    old_value_reads_as_new::<Session>(
        r#"{"id":"0b7f3c1e-8a2d-4e5f-9c6b-1d2e3f4a5b6c","planned_for":"2026-03-12T16:00:00Z","planned_at":"2026-03-09T10:00:00Z","place":{"place":"school"},"place_chosen_by_young_person":false,"topics":[],"status":{"status":"cancelled","by":"young_person","reason":null,"at":"2026-03-11T10:00:00Z"}}"#,
        r#"{"id":"0b7f3c1e-8a2d-4e5f-9c6b-1d2e3f4a5b6c","planned_for":"2026-03-12T16:00:00Z","planned_at":"2026-03-09T10:00:00Z","place":{"kind":"school"},"place_chosen_by_young_person":false,"topics":[],"status":{"kind":"cancelled","by":"young_person","reason":null,"at":"2026-03-11T10:00:00Z"}}"#,
    );
}

#[test]
fn cadence_source_old_tag_source_loads_and_is_written_as_kind() {
    old_value_reads_as_new::<CadenceSource>(
        r#"{"source":"changed","basis":"risk","reason":"Missing twice this month"}"#,
        r#"{"kind":"changed","basis":"risk","reason":"Missing twice this month"}"#,
    );
    old_value_reads_as_new::<CadenceSource>(
        r#"{"source":"programme","programme":"one_to_one"}"#,
        r#"{"kind":"programme","programme":"one_to_one"}"#,
    );
}

#[test]
fn retention_due_old_tag_due_loads_and_is_written_as_kind() {
    old_value_reads_as_new::<RetentionDue>(
        r#"{"due":"case_open","case":"26cb03f3-178b-4951-8568-4994424cd21c"}"#,
        r#"{"kind":"case_open","case":"26cb03f3-178b-4951-8568-4994424cd21c"}"#,
    );
}

#[test]
fn old_and_new_tag_together_are_a_duplicate_kind() {
    let err = serde_json::from_str::<ReferralSource>(
        r#"{"kind":"agency","source":"agency","agency":"Fictional YOT"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("duplicate field `kind`"), "{err}");
}

#[test]
fn errors_still_name_the_tag_and_the_allowed_values() {
    let err = serde_json::from_str::<ReferralSource>(r#"{"source":"neighbour"}"#).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "unknown variant `neighbour`, expected one of `self_referral`, `parent_or_carer`, `professional`, `agency`"
        ),
        "{err}"
    );
    let err = serde_json::from_str::<ReferralSource>(r#"{"agency":"Fictional YOT"}"#).unwrap_err();
    assert!(err.to_string().starts_with("missing field `kind`"), "{err}");
    let err = serde_json::from_str::<ReferralSource>(
        r#"{"kind":"agency","agency":"Fictional YOT","phone":"0113"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `phone`"), "{err}");
}

#[test]
fn errors_inside_a_referral_source_name_the_field_in_either_form() {
    use casework_core::case::NewReferral;
    use casework_core::kernel::error::DomainError;
    let json = |tag: &str, agency: &str| {
        format!(
            r#"{{"source":{{{tag:?}:"agency","agency":{agency:?}}},"concerns":"x","received_at":"2026-03-01T10:00:00Z"}}"#
        )
    };
    for tag in ["kind", "source"] {
        assert!(NewReferral::from_json(&json(tag, "Fictional YOT")).is_ok());
        match NewReferral::from_json(&json(tag, "")) {
            Err(DomainError::Input(e)) => assert_eq!(e.field, "source.agency", "{tag}: {e}"),
            other => panic!("{tag}: expected bad input, got {other:?}"),
        }
    }
}

#[test]
fn a_reports_scope_is_kind_tagged_and_its_old_form_still_reads() {
    use casework_core::read::figures::Scope;
    let programme = Scope::Programme("intensive".into());
    assert_eq!(
        serde_json::to_value(&programme).unwrap(),
        serde_json::json!({"kind": "programme", "programme": "intensive"})
    );
    assert_eq!(
        serde_json::to_value(Scope::Service).unwrap(),
        serde_json::json!({"kind": "service"})
    );
    let old: Scope =
        serde_json::from_str(r#"{"scope": "programme", "programme": "intensive"}"#).unwrap();
    assert_eq!(old, programme);
    let old: Scope = serde_json::from_str(r#"{"scope": "service"}"#).unwrap();
    assert_eq!(old, Scope::Service);
    assert!(serde_json::from_str::<Scope>(r#"{"kind": "everyone"}"#).is_err());
}
