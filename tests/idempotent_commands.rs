//! Idempotency keys on every aggregate's commands, through the checked handle, on the memory
//! store and on SQLite: young-person commands, workshops (planning and commands) and
//! intelligence (recording and commands). A retry with the same key and request returns the
//! first result and appends nothing; the same key with another request is refused and writes
//! nothing; a key is its account's own; the permission is checked before the key is looked up.
//! Fictional people only.

use casework::intelligence::{IntelligenceCommand, NewIntelligence, PoliceChannel, Urgency};
use casework::kernel::actor::{Actor, Role};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::idempotency::IdempotentRequest;
use casework::memory::MemoryStore;
use casework::policy::topic::SessionTopic;
use casework::sqlite::SqliteStore;
use casework::store::Store;
use casework::workshop::{AgeGroup, NewWorkshop, Venue, VenueKind, WorkshopCommand};
use casework::young_person::YoungPersonCommand;
use casework::{AccessError, CommandError};
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{girl_in_leeds_area, start, text};
use casework_testkit::stored::stored;
use chrono::Duration;

fn key(key: &str, fingerprint: &str) -> Option<IdempotentRequest> {
    Some(IdempotentRequest::new(key, fingerprint).unwrap())
}

fn is_key_reused<T: std::fmt::Debug>(outcome: Result<T, AccessError>) -> bool {
    matches!(
        outcome,
        Err(AccessError::Failed(CommandError::IdempotencyKeyReused(_)))
    )
}

fn workshop(name: &str) -> NewWorkshop {
    NewWorkshop {
        venue: Venue {
            kind: VenueKind::School,
            name: text(name),
        },
        date: start().date_naive(),
        age_group: AgeGroup { min: 13, max: 15 },
        topics: vec![SessionTopic::GroomingProcess],
        programme: None,
    }
}

fn intelligence(report: &str, desk: &Desk<impl Store>) -> NewIntelligence {
    NewIntelligence {
        report: NewConfidential::new(text(report)),
        urgency: Urgency::NonUrgent,
        links: vec![],
        learnt_at: desk.now() - Duration::hours(1),
    }
}

async fn young_person_commands<S: Store>(desk: Desk<S>) {
    let yp = desk.register(girl_in_leeds_area()).await;
    let worker = desk.acting_as(&desk.worker);
    let start = YoungPersonCommand::StartMissingEpisode {
        started_at: desk.now() - Duration::hours(3),
    };
    let first = worker
        .execute_for_young_person_with(yp, start.clone(), None, key("missing-1", "start"))
        .await
        .unwrap();
    assert!(!first.replayed);
    let retry = worker
        .execute_for_young_person_with(yp, start.clone(), None, key("missing-1", "start"))
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(
        (retry.version, stored(&retry.events)),
        (first.version, stored(&first.events))
    );
    let history = desk.cw.young_person_history(yp).await.unwrap();
    assert_eq!(
        history.last().unwrap().version,
        first.version,
        "nothing appended"
    );

    // Another request under the key: refused, nothing written.
    let other = YoungPersonCommand::StartMissingEpisode {
        started_at: desk.now() - Duration::hours(2),
    };
    assert!(is_key_reused(
        worker
            .execute_for_young_person_with(yp, other, None, key("missing-1", "start-later"))
            .await
    ));
    assert_eq!(
        desk.cw.young_person_history(yp).await.unwrap().len(),
        history.len()
    );

    // A retry answers the first result even with an `If-Match` the first call made stale.
    let retry = worker
        .execute_for_young_person_with(yp, start, Some(1), key("missing-1", "start"))
        .await
        .unwrap();
    assert!(retry.replayed);

    // Another account's same key is its own: decided afresh, not the worker's replay.
    let colleague = Actor::worker("Casey Colleague");
    let colleague = desk.cw.acting_as(&colleague, &desk.directory);
    let episode = desk
        .cw
        .young_person_activity(yp)
        .await
        .unwrap()
        .missing_episodes[0]
        .id;
    let end = YoungPersonCommand::EndMissingEpisode {
        episode,
        returned_at: desk.now() - Duration::hours(1),
    };
    let theirs = colleague
        .execute_for_young_person_with(yp, end, None, key("missing-1", "start"))
        .await
        .unwrap();
    assert!(!theirs.replayed);
    assert!(theirs.version > first.version);
}

async fn workshops<S: Store>(desk: Desk<S>) {
    let worker = desk.acting_as(&desk.worker);
    let planned = worker
        .plan_workshop_with(workshop("Fictional Academy"), key("plan-1", "academy"))
        .await
        .unwrap();
    assert!(!planned.replayed);
    let id = planned.state.id;
    let retry = worker
        .plan_workshop_with(workshop("Fictional Academy"), key("plan-1", "academy"))
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.state.id, id, "the same workshop, none planned again");
    assert_eq!(retry.version, 1);
    assert!(is_key_reused(
        worker
            .plan_workshop_with(workshop("Other Academy"), key("plan-1", "other"))
            .await
    ));

    // Someone without `run_workshops` is refused before the key is looked up.
    let referrer = Actor::new("Rey Referrer", Role::ExternalReferrer);
    let refused = desk
        .cw
        .acting_as(&referrer, &desk.directory)
        .plan_workshop_with(workshop("Fictional Academy"), key("plan-1", "academy"))
        .await;
    assert!(
        matches!(refused, Err(AccessError::Denied(_))),
        "{refused:?}"
    );

    let attendance = WorkshopCommand::RecordAttendance {
        young_people: vec![],
        anonymous: 12,
    };
    let first = worker
        .execute_workshop_with(id, attendance.clone(), Some(1), key("attend-1", "12"))
        .await
        .unwrap();
    assert!(!first.replayed);
    let retry = worker
        .execute_workshop_with(id, attendance.clone(), Some(1), key("attend-1", "12"))
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(
        (retry.version, stored(&retry.events)),
        (first.version, stored(&first.events))
    );
    let history = desk.cw.workshop_history(id).await.unwrap();
    assert_eq!(history.last().unwrap().version, first.version);
    assert!(is_key_reused(
        worker
            .execute_workshop_with(id, attendance.clone(), None, key("attend-1", "13"))
            .await
    ));
    // Without a key, a stale expected version is a conflict, before anything is decided.
    let stale = worker
        .execute_workshop_with(id, attendance, Some(1), None)
        .await;
    assert!(
        matches!(stale, Err(AccessError::Failed(CommandError::Conflict(_)))),
        "{stale:?}"
    );
    assert_eq!(
        desk.cw.workshop_history(id).await.unwrap().len(),
        history.len()
    );

    // Another account's same key plans another workshop.
    let colleague = Actor::worker("Casey Colleague");
    let theirs = desk
        .cw
        .acting_as(&colleague, &desk.directory)
        .plan_workshop_with(workshop("Fictional Academy"), key("plan-1", "academy"))
        .await
        .unwrap();
    assert!(!theirs.replayed);
    assert_ne!(theirs.state.id, id);
}

async fn intelligence_reports<S: Store>(desk: Desk<S>) {
    let worker = desk.acting_as(&desk.worker);
    let report = "A silver hatchback collects girls from the park";
    let recorded = worker
        .record_intelligence_with(intelligence(report, &desk), key("intel-1", "hatchback"))
        .await
        .unwrap();
    assert!(!recorded.replayed);
    let id = recorded.state.id;
    let retry = worker
        .record_intelligence_with(intelligence(report, &desk), key("intel-1", "hatchback"))
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.state.id, id);
    assert_eq!(
        desk.cw.intelligence_awaiting_police().await.unwrap().len(),
        1
    );
    assert!(is_key_reused(
        worker
            .record_intelligence_with(intelligence("Another report", &desk), key("intel-1", "x"))
            .await
    ));

    let pass = IntelligenceCommand::PassToPolice {
        channel: PoliceChannel::NonUrgent,
        reference: text("FICT-0001"),
        passed_at: desk.now(),
    };
    let first = worker
        .execute_intelligence_with(id, pass.clone(), None, key("pass-1", "fict-0001"))
        .await
        .unwrap();
    assert!(!first.replayed);
    let retry = worker
        .execute_intelligence_with(id, pass.clone(), None, key("pass-1", "fict-0001"))
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(
        (retry.version, stored(&retry.events)),
        (first.version, stored(&first.events))
    );
    assert_eq!(
        desk.cw.intelligence_history(id).await.unwrap().len() as u64,
        first.version,
        "one handover"
    );
    assert!(is_key_reused(
        worker
            .execute_intelligence_with(id, pass, None, key("pass-1", "fict-0002"))
            .await
    ));
    // A key recorded for one kind of stream is no retry of an opening of another kind.
    assert!(is_key_reused(
        worker
            .plan_workshop_with(workshop("Fictional Academy"), key("intel-1", "hatchback"))
            .await
    ));

    let colleague = Actor::worker("Casey Colleague");
    let theirs = desk
        .cw
        .acting_as(&colleague, &desk.directory)
        .record_intelligence_with(intelligence(report, &desk), key("intel-1", "hatchback"))
        .await
        .unwrap();
    assert!(!theirs.replayed);
    assert_ne!(theirs.state.id, id);
}

async fn sqlite() -> SqliteStore {
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn young_person_commands_are_idempotent_on_memory() {
    young_person_commands(Desk::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn young_person_commands_are_idempotent_on_sqlite() {
    young_person_commands(Desk::new(sqlite().await)).await;
}

#[tokio::test]
async fn workshop_plans_and_commands_are_idempotent_on_memory() {
    workshops(Desk::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn workshop_plans_and_commands_are_idempotent_on_sqlite() {
    workshops(Desk::new(sqlite().await)).await;
}

#[tokio::test]
async fn intelligence_records_and_commands_are_idempotent_on_memory() {
    intelligence_reports(Desk::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn intelligence_records_and_commands_are_idempotent_on_sqlite() {
    intelligence_reports(Desk::new(sqlite().await)).await;
}
