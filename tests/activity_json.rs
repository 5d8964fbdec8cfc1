use casework::young_person::YoungPersonCommand;
use casework::workshop::{WorkshopCommand, NewWorkshop};
use casework::intelligence::{IntelligenceCommand, NewIntelligence};

#[test]
fn probe() {
    let cases = [
        r#"{"command":"end_missing_episode","episode":"nope","returned_at":"2026-03-15T10:00:00Z"}"#,
        r#"{"command":"start_missing_episode"}"#,
        r#"{"command":"leave_alumni","why":"x"}"#,
        r#"{"command":"join_alumni","reason":"x"}"#,
        r#"{"command":"fly"}"#,
        r#"{"command":"join_alumni"}"#,
        r#"{"command":"leave_alumni"}"#,
        r#"{"command":"record_return_interview","episode":"4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d","outcome":"maybe","at":"2026-03-15T10:00:00Z"}"#,
        r#"{"command":"resolve_missing_flag","flag":"4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d","reason":"  "}"#,
        r#"{"command":"start_missing_episode","started_at":"2026-03-15T10:00:00Z","section_47":true}"#,
    ];
    for c in cases { println!("YP {c}\n  => {:?}", YoungPersonCommand::from_json(c)); }
    let cases = [
        r#"{"command":"record_evaluation","respondent":{"respondent":"anonymous"},"answers":[{"question":"","before":1,"after":2}]}"#,
        r#"{"command":"record_attendance","anonymous":-1}"#,
        r#"{"command":"record_evaluation","respondent":{"respondent":"young_person","id":"bad"},"answers":[]}"#,
        r#"{"command":"hold_tutorial","young_person":"4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d","held_at":"2026-03-15T10:00:00Z","duration_minutes":30,"note":""}"#,
    ];
    for c in cases { println!("WS {c}\n  => {:?}", WorkshopCommand::from_json(c)); }
    let cases = [
        r#"{"command":"pass_to_police","channel":"carrier_pigeon","reference":"x","passed_at":"2026-03-15T10:00:00Z"}"#,
        r#"{"command":"pass_to_police","channel":"immediate_call","reference":"  ","passed_at":"2026-03-15T10:00:00Z"}"#,
        r#"{"command":"pass_to_police","channel":"immediate_call","reference":"R","passed_at":"yesterday"}"#,
    ];
    for c in cases { println!("IN {c}\n  => {:?}", IntelligenceCommand::from_json(c)); }
    println!("{:?}", NewWorkshop::from_json(r#"{"venue":{"kind":"school","name":"A"},"date":"10/03/2026","age_group":{"min":1,"max":2},"topics":["sexting"]}"#));
    println!("{:?}", NewIntelligence::from_json(r#"{"report":"x","urgency":"soon","learnt_at":"2026-03-15T10:00:00Z"}"#));
}
