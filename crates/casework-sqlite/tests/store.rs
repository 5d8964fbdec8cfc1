//! The SQLite store's own behaviour: round trips, concurrency, queries against the memory
//! store, snapshots, migrations, and the library's lifecycle on SQLite.

mod common;

use casework_core::case::owed::OwedActionKind;
use casework_core::case::{Case, StageName};
use casework_core::kernel::event::{EventMeta, NewEvent, RecordedEvent};
use casework_core::kernel::ids::{CaseId, EventId, OwedActionId, StreamId, YoungPersonId};
use casework_core::policy::risk::RiskLevel;
use casework_core::read::rows::{
    CaseSummary, OwedActionSummary, ReadModelUpdate, YoungPersonSummary,
};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, Conflict, EventAppend, EventLoad, Snapshot, StoreError,
};
use casework_memory::MemoryStore;
use casework_service::{CommandError, LoadError};
use casework_sqlite::{SqliteConfig, SqliteStore};
use casework_testkit::fixtures;
use chrono::{Duration, TimeZone, Utc};
use common::*;
use std::collections::HashSet;
use std::sync::Arc;

#[tokio::test]
async fn events_round_trip_exactly_in_version_and_position_order() {
    let (store, _dir) = store_in_tempdir().await;
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    // Sub-microsecond precision and no reason must round-trip too.
    let odd_time = Utc.timestamp_opt(1_772_442_000, 123_456_789).unwrap();
    let mut first = event("referral_received", odd_time, 360);
    first.meta.reason = None;
    first.meta.actor = fixtures::manager();
    let second = event("eligibility_screened", fixtures::start(), 40);
    let request = AppendRequest {
        events: vec![first.clone(), second.clone()],
        ..case_append(case, 0, 0)
    };
    assert_eq!(store.append(request).await, Ok(2));
    let third = event("risk_assessed", fixtures::start(), 10);
    let request = AppendRequest {
        events: vec![third.clone()],
        ..case_append(case, 2, 0)
    };
    assert_eq!(store.append(request).await, Ok(3));

    let loaded = store.load(stream).await.unwrap();
    let expected: Vec<(u64, &NewEvent)> = vec![(1, &first), (2, &second), (3, &third)];
    assert_eq!(loaded.len(), 3);
    for (got, (version, sent)) in loaded.iter().zip(expected) {
        assert_eq!(got.stream, stream);
        assert_eq!(got.version, version);
        assert_eq!(got.event_type, sent.event_type);
        assert_eq!(got.schema_version, sent.schema_version);
        assert_eq!(got.payload, sent.payload);
        assert_eq!(got.meta, sent.meta);
    }
    assert!(loaded.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(
        store.load_after(stream, 1).await.unwrap(),
        loaded[1..].to_vec()
    );
    assert_eq!(
        store.load_after(stream, 3).await.unwrap(),
        Vec::<RecordedEvent>::new()
    );
    assert_eq!(store.load_after(stream, u64::MAX).await.unwrap(), vec![]);
    assert_eq!(
        store.load(StreamId::Case(CaseId::new())).await.unwrap(),
        vec![]
    );
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_naming_the_actual_version() {
    let (store, _dir) = store_in_tempdir().await;
    let case = CaseId::new();
    store.append(case_append(case, 0, 3)).await.unwrap();
    let refused = store.append(case_append(case, 1, 1)).await;
    assert_eq!(
        refused,
        Err(AppendError::Conflict(Conflict {
            stream: StreamId::Case(case),
            expected: 1,
            actual: 3
        }))
    );
    let ahead = store.append(case_append(case, 7, 1)).await;
    assert!(matches!(
        ahead,
        Err(AppendError::Conflict(Conflict { actual: 3, .. }))
    ));
    assert_eq!(store.load(StreamId::Case(case)).await.unwrap().len(), 3);
    assert_eq!(store.case_summary(case).await.unwrap().unwrap().version, 3);
}

#[tokio::test]
async fn an_empty_append_writes_nothing() {
    let (store, _dir) = store_in_tempdir().await;
    let case = CaseId::new();
    assert_eq!(store.append(case_append(case, 5, 0)).await, Ok(5));
    assert_eq!(store.load(StreamId::Case(case)).await.unwrap(), vec![]);
    assert_eq!(store.case_summary(case).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_get_exactly_one_winner_per_version_and_lose_nothing() {
    let (store, _dir) = store_in_tempdir().await;
    let store = Arc::new(store);
    let cases: Vec<CaseId> = (0..3).map(|_| CaseId::new()).collect();
    let mut tasks = Vec::new();
    for writer in 0..12 {
        let store = store.clone();
        let case = cases[writer % cases.len()];
        tasks.push(tokio::spawn(async move {
            let mut wins = Vec::new();
            let mut conflicts = 0;
            while wins.len() < 20 {
                let version = store
                    .case_summary(case)
                    .await
                    .unwrap()
                    .map_or(0, |s| s.version);
                match store.append(case_append(case, version, 2)).await {
                    Ok(v) => {
                        assert_eq!(v, version + 2);
                        wins.push(v);
                    }
                    Err(AppendError::Conflict(c)) => {
                        assert!(c.actual > version, "{c}");
                        conflicts += 1;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            (case, wins, conflicts)
        }));
    }
    let mut won: Vec<(CaseId, u64)> = Vec::new();
    for task in tasks {
        let (case, wins, _) = task.await.unwrap();
        won.extend(wins.into_iter().map(|v| (case, v)));
    }
    let unique: HashSet<_> = won.iter().copied().collect();
    assert_eq!(unique.len(), won.len(), "a version was won twice");
    for case in cases {
        let events = store.load(StreamId::Case(case)).await.unwrap();
        assert_eq!(events.len(), 4 * 20 * 2, "every winning append is kept");
        assert!(events
            .iter()
            .enumerate()
            .all(|(i, e)| e.version == i as u64 + 1));
        assert_eq!(
            store.case_summary(case).await.unwrap().unwrap().version,
            events.len() as u64
        );
    }
    let mut positions: Vec<u64> = Vec::new();
    for (case, _) in &won {
        positions.extend(
            store
                .load(StreamId::Case(*case))
                .await
                .unwrap()
                .iter()
                .map(|e| e.position),
        );
    }
    positions.sort_unstable();
    positions.dedup();
    assert_eq!(positions.len(), 3 * 160, "positions are unique");
}

#[tokio::test]
async fn snapshots_round_trip_and_are_replaced() {
    let (store, _dir) = store_in_tempdir().await;
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    assert_eq!(store.load_snapshot(stream).await.unwrap(), None);
    for (expected, state) in [(0, "{\"first\":1}"), (2, "{\"second\":2}")] {
        let snapshot = Snapshot {
            stream,
            version: expected + 2,
            schema_version: 7,
            state: state.into(),
        };
        let request = AppendRequest {
            snapshot: Some(snapshot.clone()),
            ..case_append(case, expected, 2)
        };
        store.append(request).await.unwrap();
        assert_eq!(store.load_snapshot(stream).await.unwrap(), Some(snapshot));
    }
}

fn random_summary(rng: &mut Rng, people: &[YoungPersonId], version: u64) -> CaseSummary {
    let case = CaseId::new();
    let stages = [
        StageName::WaitingList,
        StageName::WaitingList,
        StageName::Active,
        StageName::Paused,
        StageName::Closed,
        StageName::Received,
    ];
    let risks = [
        None,
        Some(RiskLevel::Low),
        Some(RiskLevel::Medium),
        Some(RiskLevel::High),
    ];
    // Few distinct instants, some with nanoseconds, so ties and sub-microsecond order matter.
    let instant = |rng: &mut Rng| {
        fixtures::start()
            + Duration::days(rng.below(3) as i64 - 1)
            + Duration::nanoseconds(rng.below(3) as i64 * 700)
    };
    let received_at = instant(rng);
    let next_review_due = (rng.below(3) > 0).then(|| instant(rng));
    let owed = (0..rng.below(3))
        .map(|_| OwedActionSummary {
            action_id: OwedActionId::new(),
            case_id: case,
            kind: OwedActionKind::CommunicateOutcome,
            owed_to: "Fictional Referrer".into(),
            due_at: instant(rng),
            status: ["owed", "sent", "owed"][rng.below(3) as usize].into(),
        })
        .collect();
    CaseSummary {
        case_id: case,
        young_person_id: people[rng.below(people.len() as u64) as usize],
        stage: stages[rng.below(stages.len() as u64) as usize],
        risk_level: risks[rng.below(4) as usize],
        received_at,
        source: "professional".into(),
        worker: None,
        previous_case: None,
        next_review_due,
        closure_reason: None,
        version,
        owed,
    }
}

#[tokio::test]
async fn every_query_answers_exactly_as_the_memory_store_does() {
    let (sqlite, _dir) = store_in_tempdir().await;
    let memory = MemoryStore::new();
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut people: Vec<YoungPersonId> = (0..5).map(|_| YoungPersonId::new()).collect();
    let mut summaries = Vec::new();
    for _ in 0..150 {
        let summary = random_summary(&mut rng, &people, 1);
        summaries.push(summary);
    }
    // Rewrite some rows, so replaced rows (and dropped owed actions) are covered too.
    for i in 0..40 {
        let mut again = random_summary(&mut rng, &people, 2);
        again.case_id = summaries[i].case_id;
        for a in &mut again.owed {
            a.case_id = again.case_id;
        }
        summaries.push(again);
    }
    let mut open = std::collections::HashMap::new();
    for summary in &mut summaries {
        fixtures::keep_one_open_case(summary, &mut open, &mut people);
    }
    for summary in summaries {
        let case = summary.case_id;
        let expected = summary.version - 1;
        for store in [&sqlite as &dyn StoreDyn, &memory as &dyn StoreDyn] {
            let request = AppendRequest {
                read_model: ReadModelUpdate::Case(summary.clone()),
                ..case_append(case, expected, 1)
            };
            store.append_dyn(request).await;
        }
    }
    assert_eq!(
        sqlite.waiting_list().await.unwrap(),
        memory.waiting_list().await.unwrap()
    );
    assert!(!memory.waiting_list().await.unwrap().is_empty());
    assert_eq!(
        sqlite.outstanding_actions().await.unwrap(),
        memory.outstanding_actions().await.unwrap()
    );
    for person in &people {
        assert_eq!(
            sqlite.cases_of(*person).await.unwrap(),
            memory.cases_of(*person).await.unwrap()
        );
    }
    for offset_nanos in [
        -1_000_000_000_000i64,
        0,
        700,
        1_400,
        1_401,
        86_400_000_000_000,
        10i64.pow(15),
    ] {
        let as_of = fixtures::start() + Duration::nanoseconds(offset_nanos);
        assert_eq!(
            sqlite.overdue_reviews(as_of).await.unwrap(),
            memory.overdue_reviews(as_of).await.unwrap(),
            "as of {as_of}"
        );
    }
    for summary in memory.waiting_list().await.unwrap().iter().take(5) {
        assert_eq!(
            sqlite.case_summary(summary.case_id).await.unwrap().as_ref(),
            Some(summary)
        );
    }
    assert_eq!(sqlite.case_summary(CaseId::new()).await.unwrap(), None);
}

/// Object-safe append over both stores, for the differential test.
#[async_trait::async_trait]
trait StoreDyn: Sync {
    async fn append_dyn(&self, request: AppendRequest);
}

#[async_trait::async_trait]
impl<T: EventAppend> StoreDyn for T {
    async fn append_dyn(&self, request: AppendRequest) {
        self.append(request).await.expect("appends");
    }
}

#[tokio::test]
async fn young_person_rows_are_written_with_their_events() {
    let (store, _dir) = store_in_tempdir().await;
    let person = YoungPersonId::new();
    let request = AppendRequest {
        stream: StreamId::YoungPerson(person),
        expected_version: 0,
        events: vec![event("young_person_registered", fixtures::start(), 200)],
        read_model: ReadModelUpdate::YoungPerson(YoungPersonSummary {
            young_person_id: person,
            birth_year: 2011,
            postcode_district: "LS6".into(),
            registered_at: fixtures::start(),
            version: 1,
        }),
        snapshot: None,
        listings: None,
        idempotency: None,
    };
    assert_eq!(store.append(request).await, Ok(1));
    assert_eq!(
        store
            .load(StreamId::YoungPerson(person))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_library_runs_a_case_on_sqlite_and_reconstructs_the_past() {
    let (store, _dir) = store_in_tempdir().await;
    let (casework, clock) = service(store);
    let case = active_case(&casework, &clock).await;
    let before_pause = clock_now(&clock);
    clock.advance(Duration::days(1));
    casework
        .execute(&worker(), case, toggle(false))
        .await
        .unwrap();
    assert_eq!(
        casework.case(case).await.unwrap().stage(),
        StageName::Paused
    );
    let then = casework
        .case_as_of(case, before_pause)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(then.stage(), StageName::Active);
    let history = casework.history(case).await.unwrap();
    assert!(history
        .iter()
        .all(|e| e.meta.actor == worker() || e.meta.actor.name == worker().name));
    assert_eq!(
        casework_service::bypass::raw_store(&casework)
            .case_summary(case)
            .await
            .unwrap()
            .unwrap()
            .version,
        history.len() as u64
    );
}

fn clock_now(clock: &casework_core::kernel::clock::ManualClock) -> chrono::DateTime<Utc> {
    use casework_core::kernel::clock::Clock;
    clock.now()
}

#[tokio::test]
async fn a_long_case_loads_from_its_snapshot_and_falls_back_to_replay() {
    let (store, _dir) = store_in_tempdir().await;
    let (casework, clock) = service(store);
    let case = active_case(&casework, &clock).await;
    let mut paused = false;
    for _ in 0..151 {
        clock.advance(Duration::minutes(5));
        casework
            .execute(&worker(), case, toggle(paused))
            .await
            .unwrap();
        paused = !paused;
    }
    let stream = StreamId::Case(case);
    let snapshot = casework_service::bypass::raw_store(&casework)
        .load_snapshot(stream)
        .await
        .unwrap()
        .unwrap();
    let length = casework_service::bypass::raw_store(&casework)
        .load(stream)
        .await
        .unwrap()
        .len() as u64;
    assert!(snapshot.version > length - 64, "a recent snapshot exists");
    let from_snapshot = casework.case(case).await.unwrap();
    let replayed = casework_core::case::fold(&casework.history(case).await.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        casework_testkit::stored::stored(&from_snapshot),
        casework_testkit::stored::stored(&replayed)
    );

    // An unreadable snapshot is ignored and the stream replayed.
    let garbage = Snapshot {
        stream,
        version: length + 1,
        schema_version: casework_service::casework::CASE_SNAPSHOT_SCHEMA,
        state: "{not json".into(),
    };
    let mut one_more = event("case_resumed", clock_now(&clock), 10);
    one_more.payload = casework_core::kernel::event::DomainEvent::encode(
        &casework_core::case::CaseEvent::CaseResumed {
            at: clock_now(&clock),
        },
        one_more.meta.clone(),
    )
    .payload;
    assert!(paused, "the case is paused, so resuming follows");
    let summary = casework_service::bypass::raw_store(&casework)
        .case_summary(case)
        .await
        .unwrap()
        .unwrap();
    casework_service::bypass::raw_store(&casework)
        .append(AppendRequest {
            stream,
            expected_version: length,
            events: vec![one_more],
            read_model: ReadModelUpdate::Case(CaseSummary {
                version: length + 1,
                ..summary
            }),
            snapshot: Some(garbage),
            listings: None,
            idempotency: None,
        })
        .await
        .unwrap();
    let replayed = casework.case(case).await.unwrap();
    assert!(matches!(replayed, Case::Active(_)));
}

#[tokio::test]
async fn an_unknown_event_type_is_a_typed_history_error() {
    let (store, _dir) = store_in_tempdir().await;
    let (casework, clock) = service(store);
    let case = active_case(&casework, &clock).await;
    let version = casework_service::bypass::raw_store(&casework)
        .case_summary(case)
        .await
        .unwrap()
        .unwrap()
        .version;
    let request = AppendRequest {
        events: vec![event("a_type_from_the_future", fixtures::start(), 30)],
        ..case_append(case, version, 0)
    };
    casework_service::bypass::raw_store(&casework)
        .append(request)
        .await
        .unwrap();
    match casework.case(case).await {
        Err(LoadError::History(h)) => {
            assert!(h.to_string().contains("a_type_from_the_future"), "{h}")
        }
        other => panic!("expected a history error, got {other:?}"),
    }
    match casework.execute(&worker(), case, toggle(false)).await {
        Err(CommandError::Load(LoadError::History(_))) => {}
        other => panic!("expected a history error, got {other:?}"),
    }
}

#[tokio::test]
async fn migrate_is_idempotent_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(db_path(&dir)).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 0);
    assert_eq!(
        store.migrate().await.unwrap(),
        (1..=SqliteStore::latest_schema_version()).collect::<Vec<_>>()
    );
    assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new());
    assert_eq!(
        store.schema_version().await.unwrap(),
        SqliteStore::latest_schema_version()
    );
    store.check_integrity().await.unwrap();
    drop(store);
    let again = SqliteStore::open(db_path(&dir)).unwrap();
    assert_eq!(again.migrate().await.unwrap(), Vec::<i64>::new());
}

#[tokio::test]
async fn an_unmigrated_database_says_to_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(db_path(&dir)).unwrap();
    let case = CaseId::new();
    match store.append(case_append(case, 0, 1)).await {
        Err(AppendError::Store(StoreError::Unavailable(why))) => {
            assert!(why.contains("migrate"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    match store.waiting_list().await {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("migrate"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn works_on_a_current_thread_runtime_and_outlives_it() {
    let store = SqliteStore::temporary().unwrap();
    let path = store.path().to_path_buf();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let case = CaseId::new();
    runtime.block_on(async {
        store.append(case_append(case, 0, 2)).await.unwrap();
        assert_eq!(store.load(StreamId::Case(case)).await.unwrap().len(), 2);
    });
    drop(runtime);
    let other = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    other.block_on(async {
        assert_eq!(store.case_summary(case).await.unwrap().unwrap().version, 2);
    });
    drop(store);
    assert!(!path.exists(), "a temporary store removes its file");
}

#[tokio::test]
async fn clones_share_one_database_and_full_durability_works() {
    let config = SqliteConfig {
        durability: casework_sqlite::Durability::Full,
        readers: 1,
        ..SqliteConfig::default()
    };
    let (store, _dir) = store_with(config).await;
    let clone = store.clone();
    let case = CaseId::new();
    clone.append(case_append(case, 0, 1)).await.unwrap();
    drop(clone);
    assert_eq!(store.load(StreamId::Case(case)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn events_meta_keeps_every_field() {
    let (store, _dir) = store_in_tempdir().await;
    let case = CaseId::new();
    let meta = EventMeta {
        event_id: EventId::new(),
        recorded_at: fixtures::start(),
        actor: casework_core::kernel::actor::Actor {
            role: casework_core::kernel::actor::Role::System,
            ..fixtures::manager()
        },
        reason: Some("Ünïcödé reason; with 'quotes' and \"doubles\"".into()),
    };
    let request = AppendRequest {
        events: vec![NewEvent {
            event_type: "referral_received".into(),
            schema_version: 3,
            payload: "{\"a\":[1,2,3]}".into(),
            meta: meta.clone(),
        }],
        ..case_append(case, 0, 0)
    };
    store.append(request).await.unwrap();
    let loaded = store.load(StreamId::Case(case)).await.unwrap();
    assert_eq!(loaded[0].meta, meta);
    assert_eq!(loaded[0].schema_version, 3);
}
