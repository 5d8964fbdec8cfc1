//! R-17, R-18: a young person's details are corrected by a new, attributed entry with its
//! reason, through `Casework` and `Acting` (R-27: `change_case` on their records); the
//! history keeps the details as they were, and `young_person_as_of` answers "what was known
//! on date X".

use casework::kernel::actor::Actor;
use casework::kernel::code::ErrorCode;
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::young_person::{YoungPersonCommand, YoungPersonDetails, YoungPersonEvent};
use casework::ActingError;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{girl_in_leeds_area, text};
use chrono::Duration;

/// The girl's details with her name spelt as it should be and her new postcode.
fn corrected() -> YoungPersonDetails {
    YoungPersonDetails {
        name: text("Aimee Example"),
        postcode: Postcode::parse("LS7 3CD").unwrap(),
        ..girl_in_leeds_area()
    }
}

fn correct(reason: &str) -> YoungPersonCommand {
    YoungPersonCommand::CorrectDetails {
        details: corrected(),
        reason: text(reason),
    }
}

#[tokio::test]
async fn a_correction_is_a_new_attributed_entry_and_the_old_details_stay_in_history() {
    let desk = Desk::new(MemoryStore::new());
    let person = desk.register(girl_in_leeds_area()).await;
    let before = desk.now();
    desk.advance(Duration::days(3));

    desk.run_for(person, correct("Name misspelt at registration; she moved"))
        .await;

    assert_eq!(
        desk.cw.young_person(person).await.unwrap().details,
        corrected()
    );
    let history = desk.cw.young_person_history(person).await.unwrap();
    assert_eq!(history.len(), 2, "registration and the correction");
    match (&history[0].event, &history[1].event) {
        (
            YoungPersonEvent::Registered { details: first, .. },
            YoungPersonEvent::DetailsCorrected { details: then, .. },
        ) => {
            assert_eq!(first, &girl_in_leeds_area());
            assert_eq!(then, &corrected());
        }
        other => panic!("unexpected history {other:?}"),
    }
    // R-18: who, when, why.
    let meta = &history[1].meta;
    assert_eq!(meta.actor.id, desk.worker.id);
    assert_eq!(meta.recorded_at, desk.now());
    assert_eq!(
        meta.reason.as_deref(),
        Some("Name misspelt at registration; she moved")
    );
    // What was known before the correction, and after it.
    let then = desk.cw.young_person_as_of(person, before).await.unwrap();
    assert_eq!(then.unwrap().details, girl_in_leeds_area());
    let now = desk
        .cw
        .young_person_as_of(person, desk.now())
        .await
        .unwrap();
    assert_eq!(now.unwrap().details, corrected());
    let earlier = desk
        .cw
        .young_person_as_of(person, before - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(earlier, None, "not registered yet");
}

#[tokio::test]
async fn a_correction_needs_a_reason_and_a_change() {
    let desk = Desk::new(MemoryStore::new());
    let person = desk.register(girl_in_leeds_area()).await;

    // The reason is a `Text`, so a blank one cannot be built; from a front end's JSON it is
    // refused, naming the field.
    let details = serde_json::to_string(&corrected()).unwrap();
    let blank =
        format!(r#"{{"command": "correct_details", "details": {details}, "reason": "  "}}"#);
    let e = YoungPersonCommand::from_json(&blank).unwrap_err();
    assert_eq!(e.code(), "bad_input");
    assert!(e.to_string().contains("reason"), "{e}");

    let same = desk
        .try_run_for(
            person,
            YoungPersonCommand::CorrectDetails {
                details: girl_in_leeds_area(),
                reason: text("Checked with her"),
            },
        )
        .await
        .unwrap_err();
    assert!(same.to_string().contains("details"), "{same}");

    let mut bad = corrected();
    bad.date_of_birth = desk.now().date_naive() + Duration::days(1);
    let future = desk
        .try_run_for(
            person,
            YoungPersonCommand::CorrectDetails {
                details: bad,
                reason: text("Typo in the year"),
            },
        )
        .await
        .unwrap_err();
    assert!(future.to_string().contains("date_of_birth"), "{future}");

    assert_eq!(
        desk.cw.young_person_history(person).await.unwrap().len(),
        1,
        "nothing written by a refused correction"
    );
}

#[tokio::test]
async fn only_someone_with_a_relationship_to_her_records_may_correct_them() {
    let desk = Desk::new(MemoryStore::new());
    let person = desk.register(girl_in_leeds_area()).await;
    desk.at_work(person, &[]).await;
    let stranger = Actor::worker("Jo Otherteam");

    let denied = desk
        .acting_as(&stranger)
        .execute_for_young_person(person, correct("Trying"))
        .await
        .unwrap_err();
    assert!(matches!(denied, ActingError::Denied(_)), "{denied:?}");
    // Reading her identity record is `read_case`, which any worker has; changing it is not.
    let history = desk.acting_as(&stranger).young_person_history(person).await;
    assert_eq!(
        history.unwrap().len(),
        1,
        "the refused correction wrote nothing"
    );

    desk.acting_as(&desk.worker)
        .execute_for_young_person(person, correct("Her own spelling"))
        .await
        .unwrap();
    let seen = desk
        .acting_as(&desk.manager)
        .young_person_as_of(person, desk.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.details, corrected());
}

#[test]
fn the_correction_round_trips_as_json() {
    let command = correct("Name misspelt");
    let json = command.to_json();
    assert!(json.contains(r#""command":"correct_details""#), "{json}");
    assert_eq!(YoungPersonCommand::from_json(&json).unwrap(), command);
}
