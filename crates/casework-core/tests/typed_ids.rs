//! Issue 14: a typed id is read (deserialized or parsed) from the bare uuid it is written as,
//! or from the `prefix-<uuid>` it is displayed as; another type's displayed id is refused,
//! naming the prefix wanted. It is still written as the bare uuid.

use casework_core::case::CaseEvent;
use casework_core::kernel::ids::{
    CaseId, MissingEpisodeId, MissingFlagId, PartnerReferralId, SessionId, YoungPersonId,
};
use std::str::FromStr;

const UUID: &str = "0b7f3c1e-8a2d-4e5f-9c6b-1d2e3f4a5b6c";

#[test]
fn an_id_reads_from_the_bare_uuid_or_its_displayed_form() {
    let bare: SessionId = serde_json::from_str(&format!("\"{UUID}\"")).unwrap();
    let shown: SessionId = serde_json::from_str(&format!("\"session-{UUID}\"")).unwrap();
    assert_eq!(bare, shown);
    assert_eq!(bare.as_uuid().to_string(), UUID);
    assert_eq!(SessionId::from_str(UUID), Ok(bare));
    assert_eq!(SessionId::from_str(&format!("session-{UUID}")), Ok(bare));
    // Display and parse round-trip.
    assert_eq!(SessionId::from_str(&bare.to_string()), Ok(bare));
}

#[test]
fn an_id_is_still_written_as_the_bare_uuid() {
    let id: SessionId = serde_json::from_str(&format!("\"session-{UUID}\"")).unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{UUID}\""));
    assert_eq!(id.to_string(), format!("session-{UUID}"));
}

#[test]
fn another_types_displayed_id_is_refused_naming_the_prefix_wanted() {
    let err = serde_json::from_str::<SessionId>(&format!("\"case-{UUID}\"")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "`case-{UUID}` is a `case` id, not a `session` id: expected `session-<uuid>` or a bare uuid"
        )),
        "{message}"
    );
    let err = SessionId::from_str(&format!("case-{UUID}")).unwrap_err();
    assert!(err.to_string().contains("not a `session` id"), "{err}");
    let err = CaseId::from_str("case-not-a-uuid").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`case-not-a-uuid` is not an id: expected `case-<uuid>` or a bare uuid"
    );
    assert!(serde_json::from_str::<CaseId>("17").is_err());
}

#[test]
fn prefixes_with_hyphens_are_told_apart() {
    let flag = MissingFlagId::from_str(&format!("missing-flag-{UUID}")).unwrap();
    assert_eq!(flag.as_uuid().to_string(), UUID);
    let err = MissingEpisodeId::from_str(&format!("missing-flag-{UUID}")).unwrap_err();
    assert!(
        err.to_string()
            .contains("is a `missing-flag` id, not a `missing` id"),
        "{err}"
    );
    let err = MissingFlagId::from_str(&format!("missing-{UUID}")).unwrap_err();
    assert!(
        err.to_string()
            .contains("is a `missing` id, not a `missing-flag` id"),
        "{err}"
    );
    let referral = PartnerReferralId::from_str(&format!("partner-referral-{UUID}")).unwrap();
    assert_eq!(referral.as_uuid().to_string(), UUID);
}

#[test]
fn ids_inside_events_read_either_form_and_are_written_bare() {
    let json = format!(
        r#"{{"type":"session_not_attended","session":"session-{UUID}","at":"2026-03-12T16:00:00Z"}}"#
    );
    let event: CaseEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(
        serde_json::to_string(&event).unwrap(),
        format!(
            r#"{{"type":"session_not_attended","session":"{UUID}","at":"2026-03-12T16:00:00Z"}}"#
        )
    );
    let wrong = format!(
        r#"{{"type":"session_not_attended","session":"yp-{UUID}","at":"2026-03-12T16:00:00Z"}}"#
    );
    let err = serde_json::from_str::<CaseEvent>(&wrong).unwrap_err();
    assert!(err.to_string().contains("not a `session` id"), "{err}");
    // As a map key too (ids key listings and read models).
    let map: std::collections::BTreeMap<YoungPersonId, u32> =
        serde_json::from_str(&format!(r#"{{"yp-{UUID}": 1, "{}": 2}}"#, uuid_two())).unwrap();
    assert_eq!(map.len(), 2);
}

fn uuid_two() -> &'static str {
    "881be9a7-5fea-48e3-b840-e7f9c948c374"
}

/// What an id's JSON Schema says: requests may give either form, responses give the bare uuid.
#[cfg(feature = "schema")]
#[test]
fn an_ids_schema_accepts_either_form_in_requests_and_describes_the_bare_uuid_in_responses() {
    use casework_core::schema::{root_schema, Contract};
    let valid = |contract: Contract, value: &str| {
        let schema = root_schema::<SessionId>(contract).to_value();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
            .is_valid(&serde_json::Value::String(value.to_owned()))
    };
    assert!(valid(Contract::Deserialize, UUID));
    assert!(valid(Contract::Deserialize, &format!("session-{UUID}")));
    assert!(!valid(Contract::Deserialize, &format!("case-{UUID}")));
    assert!(!valid(Contract::Deserialize, "session-17"));
    assert!(valid(Contract::Serialize, UUID));
    assert!(!valid(Contract::Serialize, &format!("session-{UUID}")));
}
