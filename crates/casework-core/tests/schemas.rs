//! The JSON Schemas (feature `schema`) agree with serde: every command of every aggregate, in
//! the flat form `to_json` writes and in serde's own, validates against its schema; mutated
//! commands that the decoders refuse are refused by the schemas too; and the hand-written
//! schemas (`Shown`, `Text`, `Postcode`) accept exactly what their hand-written serde reads.
#![cfg(feature = "schema")]

use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::{
    Cadence, CadenceBasis, CancelledBy, CaseCommand, ClosureReason, ContactKind, ContactWith,
    Direction, MeetingAction, MeetingKind, PartnerKind, PartnerReferralUpdate, Party, PauseReason,
    Professional, ProfessionalKind, ReviewDecision, SessionPlace,
};
use casework_core::intelligence::{IntelligenceCommand, PoliceChannel};
use casework_core::kernel::confidential::{for_storage, NewConfidential};
use casework_core::kernel::ids::{
    ApprovalId, GoalId, MissingEpisodeId, MissingFlagId, OwedActionId, PartnerReferralId,
    ProfessionalId, SessionId, StaffId, YoungPersonId,
};
use casework_core::kernel::input::{Postcode, Text};
use casework_core::policy::profile::PartnerService;
use casework_core::policy::programme::Span;
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride, Window};
use casework_core::policy::topic::SessionTopic;
use casework_core::read::figures::Shown;
use casework_core::schema::{
    accepted_command_schema, request_generator, root_flat_command_schema, root_schema, Contract,
    JsonSchema,
};
use casework_core::workshop::{EvaluationAnswer, Respondent, WorkshopCommand};
use casework_core::young_person::missing::ReturnInterviewOutcome;
use casework_core::young_person::{ContactMethod, Gender, YoungPersonCommand, YoungPersonDetails};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("not a valid schema: {e}\n{schema:#}"))
}

/// The messages of `instance`'s violations of `validator`'s schema (none: valid).
fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at `{}`", e, e.instance_path))
        .collect()
}

fn assert_valid(validator: &jsonschema::Validator, what: &str, instance: &Value) {
    let errors = violations(validator, instance);
    assert!(
        errors.is_empty(),
        "{what} does not validate: {errors:#?}\n{instance:#}"
    );
}

fn text(s: &str) -> Text {
    Text::parse("text", s).unwrap()
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 15, 0).unwrap()
}

fn social_worker() -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: text("Pat Socialworker"),
        kind: ProfessionalKind::SocialWorker,
        agency: text("Fictional Children's Services"),
    }
}

/// Every case command, most in more than one shape (optional fields given and left out).
fn case_commands() -> Vec<CaseCommand> {
    let consent = |scope, decision| CaseCommand::RecordConsent {
        entry: ConsentEntry {
            scope,
            decision,
            by: ConsentGiver::YoungPerson,
            method: ConsentMethod::InPerson,
            purpose: text("asked in person"),
            given_at: at(2, 9),
        },
    };
    vec![
        consent(ConsentScope::Engagement, ConsentDecision::Given),
        consent(
            ConsentScope::SharingWithAgency {
                agency: text("Fictional Housing Trust"),
            },
            ConsentDecision::Refused,
        ),
        consent(
            ConsentScope::SharingWithReferrer,
            ConsentDecision::Withdrawn,
        ),
        CaseCommand::RecordProfessional {
            professional: social_worker(),
        },
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec![
                IndicatorAnswer::current("older_boyfriend"),
                IndicatorAnswer::within("missing_from_home", Window::SixTo12Months),
                IndicatorAnswer::last_seen(
                    "unexplained_gifts",
                    NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
                ),
            ],
            worker_override: None,
        },
        CaseCommand::AssessRisk {
            indicators: vec![],
            worker_override: Some(RiskOverride {
                level: RiskLevel::High,
                reason: text("Seen getting into cars after school").into(),
            }),
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::AddToWaitingList,
        CaseCommand::Signpost {
            reason: None,
            to: None,
        },
        CaseCommand::Signpost {
            reason: Some(text("Lives outside the area").into()),
            to: Some(PartnerService {
                name: "Fictional Neighbouring Service".into(),
            }),
        },
        CaseCommand::Decline {
            reason: text("Already supported elsewhere").into(),
        },
        CaseCommand::Withdraw {
            reason: text("Referrer withdrew").into(),
        },
        CaseCommand::MarkActionSent {
            action: OwedActionId::new(),
            reference: text("REF-0001"),
            sent_at: at(3, 10),
        },
        CaseCommand::AcknowledgeAction {
            action: OwedActionId::new(),
            acknowledged_at: at(3, 11),
        },
        CaseCommand::ExplainAction {
            action: OwedActionId::new(),
            explanation: text("The referrer asked for no letter"),
        },
        CaseCommand::Allocate {
            worker: StaffId::new(),
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::Allocate {
            worker: StaffId::new(),
            worker_name: text("Sam Worker"),
            out_of_order_reason: Some(text("Only worker with a car this week")),
        },
        CaseCommand::Reallocate {
            worker: StaffId::new(),
            worker_name: text("Jo Worker"),
            reason: text("Sam is on leave"),
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions at school")),
        },
        CaseCommand::BeginWork,
        CaseCommand::Pause {
            reason: PauseReason::Missing,
        },
        CaseCommand::Pause {
            reason: PauseReason::Other {
                text: text("Family holiday").into(),
            },
        },
        CaseCommand::Resume,
        CaseCommand::RecordReview {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
            decision: ReviewDecision::Continue,
        },
        CaseCommand::ProposeClosure,
        CaseCommand::RecordAgreement {
            party: Party::YoungPerson,
        },
        CaseCommand::RecordAgreement {
            party: Party::Professional(ProfessionalId::new()),
        },
        CaseCommand::WithdrawClosureProposal {
            reason: text("New concerns at school").into(),
        },
        CaseCommand::CompleteClosure,
        CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        },
        CaseCommand::Close {
            reason: ClosureReason::Transferred {
                to: text("Fictional County Service"),
            },
        },
        CaseCommand::Approve {
            approval: ApprovalId::new(),
            reason: text("Agreed in supervision").into(),
        },
        CaseCommand::RefuseApproval {
            approval: ApprovalId::new(),
            reason: text("Not yet: review first").into(),
        },
        CaseCommand::AddGoal {
            description: NewConfidential::new(text("Feel safe walking home")),
            agreed_with: vec![
                Party::YoungPerson,
                Party::Professional(ProfessionalId::new()),
            ],
        },
        CaseCommand::AchieveGoal {
            goal: GoalId::new(),
            achieved_at: at(20, 16),
        },
        CaseCommand::DropGoal {
            goal: GoalId::new(),
            reason: text("No longer wanted").into(),
        },
        CaseCommand::PlanSession {
            planned_for: at(9, 15),
            place: SessionPlace::School,
            place_chosen_by_young_person: true,
            topics: vec![
                SessionTopic::GroomingProcess,
                SessionTopic::Service("housing and independent living".into()),
            ],
        },
        CaseCommand::PlanSession {
            planned_for: at(10, 15),
            place: SessionPlace::Other {
                text: text("The library"),
            },
            place_chosen_by_young_person: false,
            topics: vec![],
        },
        CaseCommand::HoldSession {
            session: SessionId::new(),
            held_at: at(9, 15),
            duration_minutes: 60,
            place: None,
            topics: vec![],
            resources: vec![],
            note: NewConfidential::new(text("Talked about her friends")),
        },
        CaseCommand::HoldSession {
            session: SessionId::new(),
            held_at: at(9, 15),
            duration_minutes: 45,
            place: Some(SessionPlace::YouthClub),
            topics: vec![SessionTopic::InternetSafety],
            resources: vec![text("Fictional workbook, chapter 2")],
            note: NewConfidential::new(text("Went through the workbook")),
        },
        CaseCommand::CancelSession {
            session: SessionId::new(),
            by: CancelledBy::YoungPerson,
            reason: None,
        },
        CaseCommand::CancelSession {
            session: SessionId::new(),
            by: CancelledBy::Worker,
            reason: Some(text("Worker unwell").into()),
        },
        CaseCommand::RecordNonAttendance {
            session: SessionId::new(),
        },
        CaseCommand::RecordContact {
            kind: ContactKind::Text,
            direction: Direction::Outbound,
            with: ContactWith::YoungPerson,
            at: at(4, 17),
        },
        CaseCommand::RecordContact {
            kind: ContactKind::Call,
            direction: Direction::Inbound,
            with: ContactWith::Professional {
                id: ProfessionalId::new(),
            },
            at: at(4, 18),
        },
        CaseCommand::RecordContact {
            kind: ContactKind::Visit,
            direction: Direction::Outbound,
            with: ContactWith::Other {
                who: text("Her aunt"),
            },
            at: at(5, 12),
        },
        CaseCommand::AssignProgramme {
            programme: "short_term".into(),
        },
        CaseCommand::ChangeCadence {
            cadence: Cadence {
                sessions_per_week: Some(Span { min: 1, max: 2 }),
                contacts_per_day: None,
            },
            basis: CadenceBasis::YoungPersonsChoice,
            reason: text("She asked for fewer sessions"),
        },
        CaseCommand::RecordMeeting {
            kind: MeetingKind::StrategyDiscussion,
            held_at: at(6, 14),
            service_attended: true,
            actions: vec![
                MeetingAction {
                    action: text("Share the chronology").into(),
                    by_whom: Some(text("Sam Worker")),
                    due_on: NaiveDate::from_ymd_opt(2026, 3, 13),
                },
                MeetingAction {
                    action: text("Check school attendance").into(),
                    by_whom: None,
                    due_on: None,
                },
            ],
        },
        CaseCommand::RecordMeeting {
            kind: MeetingKind::ChildInNeed,
            held_at: at(6, 14),
            service_attended: false,
            actions: vec![],
        },
        CaseCommand::ReferToPartner {
            partner: PartnerKind::Housing,
            agency: text("Fictional Housing Trust"),
            sent_at: at(7, 10),
        },
        CaseCommand::UpdatePartnerReferral {
            referral: PartnerReferralId::new(),
            update: PartnerReferralUpdate::Accepted,
            at: at(8, 10),
        },
        CaseCommand::UpdatePartnerReferral {
            referral: PartnerReferralId::new(),
            update: PartnerReferralUpdate::Declined {
                reason: Some(text("No capacity")),
            },
            at: at(8, 11),
        },
    ]
}

fn young_person_commands() -> Vec<YoungPersonCommand> {
    vec![
        YoungPersonCommand::StartMissingEpisode {
            started_at: at(11, 22),
        },
        YoungPersonCommand::EndMissingEpisode {
            episode: MissingEpisodeId::new(),
            returned_at: at(12, 7),
        },
        YoungPersonCommand::RecordReturnInterview {
            episode: MissingEpisodeId::new(),
            outcome: ReturnInterviewOutcome::Completed,
            at: at(13, 10),
        },
        YoungPersonCommand::ResolveMissingFlag {
            flag: MissingFlagId::new(),
            reason: text("Strategy discussion held"),
        },
        YoungPersonCommand::JoinAlumni,
        YoungPersonCommand::LeaveAlumni { reason: None },
        YoungPersonCommand::LeaveAlumni {
            reason: Some(text("Moved away")),
        },
        YoungPersonCommand::CorrectDetails {
            details: YoungPersonDetails {
                name: text("Amy Example"),
                date_of_birth: NaiveDate::from_ymd_opt(2011, 5, 14).unwrap(),
                gender: Gender::Female,
                postcode: Postcode::parse("ls6 2ab").unwrap(),
                learning_difficulty: true,
                contact_preferences: vec![ContactMethod::Text, ContactMethod::InPerson],
            },
            reason: text("Name was misspelt"),
        },
    ]
}

fn workshop_commands() -> Vec<WorkshopCommand> {
    vec![
        WorkshopCommand::RecordAttendance {
            young_people: vec![YoungPersonId::new()],
            anonymous: 23,
        },
        WorkshopCommand::RecordAttendance {
            young_people: vec![],
            anonymous: 0,
        },
        WorkshopCommand::IdentifyVulnerable {
            young_person: YoungPersonId::new(),
            concerns: NewConfidential::new(text("Spoke of an older friend")),
        },
        WorkshopCommand::HoldTutorial {
            young_person: YoungPersonId::new(),
            held_at: at(16, 13),
            duration_minutes: 30,
            note: NewConfidential::new(text("Talked through keeping safe online")),
        },
        WorkshopCommand::RecordEvaluation {
            respondent: Respondent::Anonymous,
            answers: vec![EvaluationAnswer {
                question: text("I know where to get help"),
                before: 2,
                after: 4,
            }],
            learnt: Some(NewConfidential::new(text("Who to tell"))),
        },
        WorkshopCommand::RecordEvaluation {
            respondent: Respondent::YoungPerson {
                id: YoungPersonId::new(),
            },
            answers: vec![],
            learnt: None,
        },
    ]
}

fn intelligence_commands() -> Vec<IntelligenceCommand> {
    vec![IntelligenceCommand::PassToPolice {
        channel: PoliceChannel::ImmediateCall,
        reference: text("POL-2026-0001"),
        passed_at: at(17, 20),
    }]
}

/// The command names the flat schema of `T` offers.
fn names_in_flat_schema(flat: &Value) -> BTreeSet<String> {
    flat["oneOf"]
        .as_array()
        .expect("a oneOf")
        .iter()
        .map(|v| {
            v["properties"]["command"]["const"]
                .as_str()
                .expect("each variant names its command")
                .to_owned()
        })
        .collect()
}

/// Checks `commands` of `T` against its schemas: the flat JSON `to_json` writes against the
/// flat schema (and it decodes back), serde's own JSON against the derived schema for both
/// contracts, and both against the schema of either form; every command the flat schema names
/// is among `commands`.
fn check_commands<T>(
    commands: &[T],
    to_json: impl Fn(&T) -> String,
    from_json: impl Fn(&str) -> Option<T>,
    name: impl Fn(&T) -> &'static str,
) where
    T: JsonSchema + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let flat_schema = root_flat_command_schema::<T>(Contract::Deserialize).to_value();
    let flat = validator(&flat_schema);
    let tagged_in = validator(&root_schema::<T>(Contract::Deserialize).to_value());
    let tagged_out = validator(&root_schema::<T>(Contract::Serialize).to_value());
    let either = {
        let mut generator = request_generator();
        let mut schema = accepted_command_schema::<T>(&mut generator).to_value();
        schema["$defs"] = Value::Object(generator.take_definitions(true));
        validator(&schema)
    };
    let mut seen = BTreeSet::new();
    for command in commands {
        let name = name(command);
        seen.insert(name.to_owned());
        let json: Value = serde_json::from_str(&to_json(command)).unwrap();
        assert_eq!(json["command"], name);
        assert_valid(&flat, &format!("flat `{name}`"), &json);
        assert_valid(&either, &format!("flat `{name}` (either form)"), &json);
        assert_eq!(
            from_json(&json.to_string()).as_ref(),
            Some(command),
            "flat `{name}` decodes back"
        );
        let tagged = for_storage(|| serde_json::to_value(command)).unwrap();
        assert_valid(&tagged_in, &format!("tagged `{name}` (read)"), &tagged);
        assert_valid(&tagged_out, &format!("tagged `{name}` (written)"), &tagged);
        assert_valid(&either, &format!("tagged `{name}` (either form)"), &tagged);
        assert!(
            !violations(&flat, &tagged).is_empty(),
            "the tagged form of `{name}` is not the flat form"
        );
    }
    assert_eq!(
        seen,
        names_in_flat_schema(&flat_schema),
        "a command of {} is missing from the test or from the schema",
        T::schema_name()
    );
}

#[test]
fn every_case_command_validates_in_both_forms() {
    check_commands(
        &case_commands(),
        CaseCommand::to_json,
        |j| CaseCommand::from_json(j).ok(),
        CaseCommand::name,
    );
}

#[test]
fn every_young_person_command_validates_in_both_forms() {
    check_commands(
        &young_person_commands(),
        YoungPersonCommand::to_json,
        |j| YoungPersonCommand::from_json(j).ok(),
        YoungPersonCommand::name,
    );
}

#[test]
fn every_workshop_command_validates_in_both_forms() {
    check_commands(
        &workshop_commands(),
        WorkshopCommand::to_json,
        |j| WorkshopCommand::from_json(j).ok(),
        WorkshopCommand::name,
    );
}

#[test]
fn every_intelligence_command_validates_in_both_forms() {
    check_commands(
        &intelligence_commands(),
        IntelligenceCommand::to_json,
        |j| IntelligenceCommand::from_json(j).ok(),
        IntelligenceCommand::name,
    );
}

/// Documents the decoder refuses are refused by the flat schema, and documents it reads are
/// accepted: the two agree on each.
#[test]
fn the_flat_schema_refuses_what_the_decoder_refuses() {
    let flat =
        validator(&root_flat_command_schema::<CaseCommand>(Contract::Deserialize).to_value());
    let staff = StaffId::new().as_uuid();
    let cases = [
        (json!({"command": "screen"}), true),
        (
            json!({"command": "decline", "reason": "Already supported"}),
            true,
        ),
        (
            json!({"command": "allocate", "worker": staff, "worker_name": "Sam Worker"}),
            true,
        ),
        (json!({"command": "signpost"}), true),
        // A unit command given a field.
        (json!({"command": "screen", "reason": "why"}), false),
        // A required field left out.
        (json!({"command": "decline"}), false),
        // An unknown field.
        (
            json!({"command": "decline", "reason": "x", "urgent": true}),
            false,
        ),
        // An unknown command.
        (json!({"command": "teleport"}), false),
        // No command at all.
        (json!({"reason": "Already supported"}), false),
        // Empty text.
        (json!({"command": "decline", "reason": "   "}), false),
        // Not a uuid.
        (
            json!({"command": "allocate", "worker": "sam", "worker_name": "Sam Worker"}),
            false,
        ),
        // Not a date-time.
        (
            json!({"command": "acknowledge_action", "action": staff, "acknowledged_at": "yesterday"}),
            false,
        ),
        // A value outside the enum.
        (json!({"command": "pause", "reason": "bored"}), false),
        // A number where a count is expected to be non-negative.
        (
            json!({"command": "hold_session", "session": staff, "held_at": "2026-03-09T15:00:00Z",
                   "duration_minutes": -5, "note": "n"}),
            false,
        ),
    ];
    for (document, accepted) in cases {
        let decoded = CaseCommand::from_json(&document.to_string());
        assert_eq!(
            decoded.is_ok(),
            accepted,
            "the decoder on {document}: {decoded:?}"
        );
        assert_eq!(
            violations(&flat, &document).is_empty(),
            accepted,
            "the flat schema on {document}: {:?}",
            violations(&flat, &document)
        );
    }
}

/// The hand-written schemas of the hand-written serde agree with it on every candidate: a
/// document validates exactly when it deserializes, and what serializes validates.
fn agree<T: JsonSchema + DeserializeOwned + Serialize + std::fmt::Debug>(candidates: &[Value]) {
    let read = validator(&root_schema::<T>(Contract::Deserialize).to_value());
    let written = validator(&root_schema::<T>(Contract::Serialize).to_value());
    for candidate in candidates {
        let decoded = serde_json::from_value::<T>(candidate.clone());
        assert_eq!(
            violations(&read, candidate).is_empty(),
            decoded.is_ok(),
            "{}: schema and serde disagree on {candidate}: {decoded:?}",
            T::schema_name()
        );
        if let Ok(value) = decoded {
            let out = serde_json::to_value(&value).unwrap();
            assert_valid(&written, &format!("{} written", T::schema_name()), &out);
        }
    }
}

#[test]
fn shown_counts_are_numbers_or_markers() {
    agree::<Shown>(&[
        json!(0),
        json!(7),
        json!(4_294_967_295_u64),
        json!(4_294_967_296_u64),
        json!(-1),
        json!(2.5),
        json!("<5"),
        json!("<10"),
        json!("*"),
        json!("[c]"),
        json!("[C]"),
        json!("<"),
        json!("5"),
        json!("**"),
        json!("<5 "),
        json!(null),
        json!(true),
    ]);
    for shown in [
        Shown::Count(12),
        Shown::Under(5),
        Shown::Withheld,
        Shown::Unpublished,
    ] {
        let written = validator(&root_schema::<Shown>(Contract::Serialize).to_value());
        assert_valid(
            &written,
            "a shown count",
            &serde_json::to_value(shown).unwrap(),
        );
    }
}

#[test]
fn text_is_not_blank() {
    agree::<Text>(&[
        json!("Amy"),
        json!("  padded  "),
        json!("two\nlines"),
        json!(""),
        json!("   "),
        json!("\t\n"),
        json!("nul\u{0}inside"),
        json!(3),
        json!(null),
    ]);
}

#[test]
fn postcodes_are_read_in_any_case_and_spacing_and_written_normalised() {
    agree::<Postcode>(&[
        json!("LS6 2AB"),
        json!("ls62ab"),
        json!(" l s 6 2 a b "),
        json!("WF10"),
        json!("wf10"),
        json!("M1 1AE"),
        json!("EC1A 1BB"),
        json!("SW1A1AA"),
        json!("LS6 2A"),
        json!("LS"),
        json!("6LS"),
        json!("LS6 2AB X"),
        json!("LS123 4AB"),
        json!("AB12C"),
        json!(""),
        json!("L$6 2AB"),
        json!(6),
    ]);
}
