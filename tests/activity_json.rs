//! Flat JSON imports for the commands about young people (R-20, R-22), workshops and
//! intelligence (R-19), as for case commands: `{"command": "name", …fields}` or serde's own
//! form; bad input is refused naming the field, and a claim that engagement is a statutory
//! requirement is refused under R-6. What decodes is what the service then decides.

use casework::case::CaseCommand;
use casework::intelligence::{
    IntelligenceCommand, IntelligenceLink, NewIntelligence, PoliceChannel, Urgency,
};
use casework::kernel::error::DomainError;
use casework::kernel::ids::{MissingEpisodeId, MissingFlagId, YoungPersonId};
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::workshop::{NewWorkshop, Respondent, WorkshopCommand};
use casework::young_person::missing::ReturnInterviewOutcome;
use casework::young_person::YoungPersonCommand;
use casework::Casework;
use casework_testkit::fixtures::{self, girl_in_leeds_area, start, text};
use chrono::Duration;
use std::sync::Arc;

const EPISODE: &str = "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d";

fn field<T: std::fmt::Debug>(result: Result<T, DomainError>) -> String {
    match result {
        Err(DomainError::Input(e)) => e.field,
        other => panic!("expected bad input, got {other:?}"),
    }
}

#[test]
fn young_person_commands_decode_from_the_flat_form_and_round_trip() {
    let episode = MissingEpisodeId::new();
    let commands = vec![
        YoungPersonCommand::StartMissingEpisode {
            started_at: start(),
        },
        YoungPersonCommand::EndMissingEpisode {
            episode,
            returned_at: start() + Duration::hours(10),
        },
        YoungPersonCommand::RecordReturnInterview {
            episode,
            outcome: ReturnInterviewOutcome::Completed,
            at: start() + Duration::hours(30),
        },
        YoungPersonCommand::ResolveMissingFlag {
            flag: MissingFlagId::new(),
            reason: text("Strategy discussion held"),
        },
        YoungPersonCommand::JoinAlumni,
        YoungPersonCommand::LeaveAlumni { reason: None },
    ];
    for command in commands {
        let json = command.to_json();
        assert!(
            json.contains(&format!(r#""command":"{}""#, command.name())),
            "{json}"
        );
        assert_eq!(YoungPersonCommand::from_json(&json).unwrap(), command);
    }
    let flat = format!(
        r#"{{"command": "end_missing_episode", "episode": "{EPISODE}", "returned_at": "2026-03-15T10:00:00Z"}}"#
    );
    assert!(matches!(
        YoungPersonCommand::from_json(&flat).unwrap(),
        YoungPersonCommand::EndMissingEpisode { .. }
    ));
    // The serde form is accepted too.
    assert_eq!(
        YoungPersonCommand::from_json(r#""join_alumni""#).unwrap(),
        YoungPersonCommand::JoinAlumni
    );
}

#[test]
fn bad_young_person_input_is_refused_naming_the_field() {
    let cases = [
        (
            r#"{"command": "end_missing_episode", "episode": "nope", "returned_at": "2026-03-15T10:00:00Z"}"#.to_owned(),
            "episode",
        ),
        (
            format!(r#"{{"command": "end_missing_episode", "episode": "{EPISODE}", "returned_at": "yesterday"}}"#),
            "returned_at",
        ),
        (r#"{"command": "start_missing_episode"}"#.to_owned(), "started_at"),
        (
            format!(r#"{{"command": "record_return_interview", "episode": "{EPISODE}", "outcome": "maybe", "at": "2026-03-15T10:00:00Z"}}"#),
            "outcome",
        ),
        (
            format!(r#"{{"command": "resolve_missing_flag", "flag": "{EPISODE}", "reason": "  "}}"#),
            "reason",
        ),
        (r#"{"command": "leave_alumni", "why": "busy"}"#.to_owned(), "why"),
        (r#"{"command": "join_alumni", "reason": "x"}"#.to_owned(), "reason"),
        (r#"{"command": "fly"}"#.to_owned(), "command"),
        (r#"{"command": 7}"#.to_owned(), "command"),
        (r#"{"started_at": "2026-03-15T10:00:00Z"}"#.to_owned(), "command"),
    ];
    for (json, expected) in cases {
        assert_eq!(
            field(YoungPersonCommand::from_json(&json)),
            expected,
            "{json}"
        );
    }
    // R-6: no claim that engagement is a statutory requirement, wherever it is put.
    let claim = YoungPersonCommand::from_json(
        r#"{"command": "start_missing_episode", "started_at": "2026-03-15T10:00:00Z", "section_47": true}"#,
    )
    .unwrap_err();
    assert_eq!(claim.rule(), Some(Rule::R6), "{claim}");
}

#[test]
fn workshop_commands_decode_from_the_flat_form_and_bad_input_names_the_field() {
    let amy = YoungPersonId::new();
    let command = WorkshopCommand::RecordEvaluation {
        respondent: Respondent::YoungPerson { id: amy },
        answers: vec![],
        learnt: None,
    };
    assert_eq!(
        WorkshopCommand::from_json(&command.to_json()).unwrap(),
        command
    );
    let attendance = WorkshopCommand::from_json(&format!(
        r#"{{"command": "record_attendance", "young_people": ["{}"], "anonymous": 20}}"#,
        amy.as_uuid()
    ))
    .unwrap();
    assert_eq!(
        attendance,
        WorkshopCommand::RecordAttendance {
            young_people: vec![amy],
            anonymous: 20
        }
    );
    let cases = [
        (
            r#"{"command": "record_evaluation", "respondent": {"respondent": "anonymous"}, "answers": [{"question": "", "before": 1, "after": 2}]}"#,
            "answers[0].question",
        ),
        (
            r#"{"command": "record_attendance", "anonymous": -1}"#,
            "anonymous",
        ),
        (
            r#"{"command": "record_attendance", "young_people": ["not-an-id"]}"#,
            "young_people[0]",
        ),
        (
            r#"{"command": "hold_tutorial", "young_person": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d", "held_at": "2026-03-15T10:00:00Z", "duration_minutes": 30, "note": ""}"#,
            "note",
        ),
        (r#"{"command": "identify_vulnerable"}"#, "young_person"),
        (r#"{"command": "cancel_workshop"}"#, "command"),
    ];
    for (json, expected) in cases {
        assert_eq!(field(WorkshopCommand::from_json(json)), expected, "{json}");
    }
    let planned = NewWorkshop::from_json(
        r#"{"venue": {"kind": "school", "name": "Fictional Academy"}, "date": "2026-03-10", "age_group": {"min": 13, "max": 15}, "topics": ["sexting"]}"#,
    )
    .unwrap();
    assert_eq!(planned.programme, None);
    assert_eq!(
        field(NewWorkshop::from_json(
            r#"{"venue": {"kind": "school", "name": "Fictional Academy"}, "date": "10/03/2026", "age_group": {"min": 13, "max": 15}, "topics": ["sexting"]}"#
        )),
        "date"
    );
    assert_eq!(
        field(NewWorkshop::from_json(
            r#"{"venue": {"kind": "church", "name": "Fictional Hall"}, "date": "2026-03-10", "age_group": {"min": 13, "max": 15}, "topics": ["sexting"]}"#
        )),
        "venue.kind"
    );
}

#[test]
fn intelligence_commands_decode_from_the_flat_form_and_bad_input_names_the_field() {
    let command = IntelligenceCommand::PassToPolice {
        channel: PoliceChannel::ImmediateCall,
        reference: text("CALL-0001 (fictional)"),
        passed_at: start(),
    };
    assert_eq!(command.name(), "pass_to_police");
    assert_eq!(
        IntelligenceCommand::from_json(&command.to_json()).unwrap(),
        command
    );
    let cases = [
        (
            r#"{"command": "pass_to_police", "channel": "carrier_pigeon", "reference": "x", "passed_at": "2026-03-15T10:00:00Z"}"#,
            "channel",
        ),
        (
            r#"{"command": "pass_to_police", "channel": "immediate_call", "reference": "  ", "passed_at": "2026-03-15T10:00:00Z"}"#,
            "reference",
        ),
        (
            r#"{"command": "pass_to_police", "channel": "immediate_call", "reference": "R", "passed_at": "yesterday"}"#,
            "passed_at",
        ),
        (
            r#"{"command": "pass_to_police", "channel": "immediate_call", "passed_at": "2026-03-15T10:00:00Z"}"#,
            "reference",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(
            field(IntelligenceCommand::from_json(json)),
            expected,
            "{json}"
        );
    }
    let report = NewIntelligence::from_json(&format!(
        r#"{{"report": "A silver hatchback at the park", "urgency": "non_urgent", "links": [{{"link": "case", "id": "{EPISODE}"}}], "learnt_at": "2026-03-15T10:00:00Z"}}"#
    ))
    .unwrap();
    assert!(matches!(report.links[0], IntelligenceLink::Case(_)));
    assert_eq!(report.urgency, Urgency::NonUrgent);
    assert_eq!(
        field(NewIntelligence::from_json(
            r#"{"report": "x", "urgency": "soon", "learnt_at": "2026-03-15T10:00:00Z"}"#
        )),
        "urgency"
    );
    assert_eq!(
        field(NewIntelligence::from_json(
            r#"{"report": "", "urgency": "non_urgent", "learnt_at": "2026-03-15T10:00:00Z"}"#
        )),
        "report"
    );
}

#[test]
fn case_commands_name_a_missing_field_too() {
    assert_eq!(
        field(CaseCommand::from_json(r#"{"command": "decline"}"#)),
        "reason"
    );
}

#[tokio::test]
async fn what_decodes_is_what_the_service_decides() {
    let clock = Arc::new(fixtures::clock());
    let cw = Casework::new(MemoryStore::new(), city_girls_service()).with_clock(clock.clone());
    let worker = fixtures::worker();
    let yp = cw
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    clock.advance(Duration::hours(2));
    let start_json = format!(
        r#"{{"command": "start_missing_episode", "started_at": "{}"}}"#,
        (start() + Duration::hours(1)).to_rfc3339()
    );
    let done = cw
        .execute_for_young_person(
            &worker,
            yp,
            YoungPersonCommand::from_json(&start_json).unwrap(),
        )
        .await
        .unwrap();
    let episode = done.state.activity.missing_episodes[0].id;
    assert_eq!(
        done.state.activity.open_episode().map(|e| e.id),
        Some(episode)
    );
    let end_json = format!(
        r#"{{"command": "end_missing_episode", "episode": "{}", "returned_at": "{}"}}"#,
        episode.as_uuid(),
        start().to_rfc3339()
    );
    // Decoded, then refused by the rules: a return before the start names the field (R-22).
    match cw
        .execute_for_young_person(
            &worker,
            yp,
            YoungPersonCommand::from_json(&end_json).unwrap(),
        )
        .await
    {
        Err(casework::CommandError::Rejected(DomainError::Input(e))) => {
            assert_eq!(e.field, "returned_at")
        }
        other => panic!("expected the early return refused, got {other:?}"),
    }
}
