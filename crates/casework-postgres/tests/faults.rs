//! Faults: a refused connection, backends killed under the pool (what a server restart does
//! to a client), a command killed in flight, a database at a newer schema, and one never
//! migrated. Each gives a typed error, writes nothing it should not, and the store goes on.

mod common;

use casework_core::case::{CaseCommand, CaseEvent, Professional, ProfessionalKind};
use casework_core::kernel::event::{EventMeta, NewEvent};
use casework_core::kernel::ids::EventId;
use casework_core::kernel::ids::{CaseId, ProfessionalId, StreamId};
use casework_core::kernel::input::Text;
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::read::rows::ReadModelUpdate;
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, StoreError,
};
use casework_postgres::{PostgresStore, SCHEMA_VERSION};
use casework_service::{Casework, CommandError};
use casework_testkit::fixtures;
use casework_testkit::postgres_db;
use common::{TestDatabase, TestStore};
use std::time::{Duration, Instant};

fn professional() -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: Text::parse("name", "Fictional Police Officer").unwrap(),
        kind: ProfessionalKind::Police,
        agency: Text::parse("agency", "Fictional Constabulary").unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_unavailable_at_once() {
    if common::skip() {
        return;
    }
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let result = PostgresStore::connect(&format!("postgres://postgres@127.0.0.1:{port}/x")).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused quickly, not after a timeout: {:?}",
        started.elapsed()
    );

    // A server that answers, but without the database.
    let url =
        postgres_db::with_database(&common::server_url().unwrap(), "casework_no_such_database");
    let result = PostgresStore::connect(&url).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_at_a_newer_schema_is_refused_and_left_alone() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let client = store.db.client().await;
    client
        .execute(
            "INSERT INTO casework_schema_migrations (version, name) VALUES ($1, 'from the future')",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
    let too_new = StoreError::SchemaTooNew {
        found: SCHEMA_VERSION + 1,
        supported: SCHEMA_VERSION,
    };
    assert_eq!(store.migrate().await, Err(too_new.clone()));
    assert_eq!(
        PostgresStore::connect(store.db.url()).await.unwrap_err(),
        too_new
    );
    let versions: i64 = client
        .query_one("SELECT count(*) FROM casework_schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, SCHEMA_VERSION + 1, "nothing applied or removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmigrated_database_is_a_typed_error_naming_migrate() {
    if common::skip() {
        return;
    }
    let db = common::database().await;
    let store = PostgresStore::connect(db.url()).await.unwrap();
    match store.waiting_list().await {
        Err(StoreError::Corrupt(m)) => assert!(m.contains("migrate"), "{m}"),
        other => panic!("{other:?}"),
    }
    store.pool().close();
}

/// The backends of this test's pool, optionally only those waiting on a lock.
async fn backends(db: &TestDatabase, waiting_on_lock: bool) -> Vec<i32> {
    let rows = db
        .server_client()
        .await
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'casework' \
             AND ($2 = false OR wait_event_type = 'Lock')",
            &[&db.name(), &waiting_on_lock],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

async fn terminate(db: &TestDatabase, pids: &[i32]) {
    let server = db.server_client().await;
    for pid in pids {
        server
            .execute("SELECT pg_terminate_backend($1)", &[pid])
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_recovers_when_its_connections_are_killed() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let casework = Casework::new(store.store(), city_girls_service());
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
        .await
        .unwrap();
    // Warm several pooled connections, then kill every one of them, as a restart would.
    let (a, b, c, d) = tokio::join!(
        casework.waiting_list(),
        casework.waiting_list(),
        casework.waiting_list(),
        casework.waiting_list()
    );
    for warm in [a, b, c, d] {
        warm.unwrap();
    }
    let before = backends(&store.db, false).await;
    assert!(!before.is_empty());
    terminate(&store.db, &before).await;

    let mut unavailable = 0;
    let mut done = 0;
    for _ in 0..20 {
        for attempt in 0.. {
            match casework
                .execute(
                    &worker,
                    case,
                    CaseCommand::RecordProfessional {
                        professional: professional(),
                    },
                )
                .await
            {
                Ok(_) => {
                    done += 1;
                    break;
                }
                Err(e)
                    if matches!(e.store_failure(), Some(StoreError::Unavailable(_)))
                        && attempt < 3 =>
                {
                    unavailable += 1;
                }
                Err(e) => panic!("after the kill: {e:?}"),
            }
        }
    }
    eprintln!(
        "killed {} pooled connections: {unavailable} operations failed with Unavailable and were retried",
        before.len()
    );
    assert_eq!(done, 20);
    assert!(
        unavailable <= before.len(),
        "each dead connection fails at most one operation ({unavailable} for {})",
        before.len()
    );
    let after = backends(&store.db, false).await;
    assert!(
        after.iter().all(|pid| !before.contains(pid)),
        "new connections"
    );
    let history = casework.history(case).await.unwrap();
    let added = history
        .iter()
        .filter(|e| matches!(e.event, CaseEvent::ProfessionalInvolved { .. }))
        .count();
    assert_eq!(added, 20, "one event per successful command, none doubled");
}

/// Runs `operation` while another session holds `case`'s read-model row, so it blocks inside
/// its one statement; kills its backend there; returns what the operation got.
async fn killed_in_flight<T: Send + 'static>(
    db: &TestDatabase,
    case: CaseId,
    operation: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let mut locker = db.client().await;
    let tx = locker.transaction().await.unwrap();
    tx.execute(
        "SELECT 1 FROM case_summaries WHERE case_id = $1 FOR UPDATE",
        &[&case.as_uuid()],
    )
    .await
    .unwrap();
    let running = tokio::spawn(operation);
    let deadline = Instant::now() + Duration::from_secs(10);
    let blocked = loop {
        let pids = backends(db, true).await;
        if !pids.is_empty() {
            break pids;
        }
        assert!(
            Instant::now() < deadline,
            "the operation never blocked on the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    terminate(db, &blocked).await;
    let result = running.await.unwrap();
    tx.rollback().await.unwrap();
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_killed_in_flight_fails_cleanly_and_its_retry_is_not_doubled() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let casework = std::sync::Arc::new(Casework::new(store.store(), city_girls_service()));
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
        .await
        .unwrap();
    let stream = StreamId::Case(case);
    let before = store.load(stream).await.unwrap();

    // Through the service: the command fails with a typed error and writes nothing.
    let command = CaseCommand::RecordProfessional {
        professional: professional(),
    };
    let result = {
        let casework = casework.clone();
        let worker = worker.clone();
        let command = command.clone();
        killed_in_flight(&store.db, case, async move {
            casework.execute(&worker, case, command).await
        })
        .await
    };
    assert!(
        matches!(
            result.as_ref().map_err(CommandError::store_failure),
            Err(Some(StoreError::Unavailable(_)))
        ),
        "{result:?}"
    );
    assert_eq!(store.load(stream).await.unwrap(), before, "nothing written");
    // The retry lands once.
    let done = casework.execute(&worker, case, command).await.unwrap();
    assert_eq!(done.version, before.len() as u64 + 1);

    // At the store level: the request killed in flight, retried, lands once; a third try
    // at the same version conflicts, so a retry can never double it.
    let at = done.version;
    let last = store.load(stream).await.unwrap().pop().unwrap();
    let mut row = store.case_summary(case).await.unwrap().unwrap();
    row.version = at + 1;
    let request = AppendRequest {
        stream,
        expected_version: at,
        events: vec![NewEvent {
            event_type: last.event_type,
            schema_version: last.schema_version,
            payload: last.payload,
            meta: EventMeta {
                event_id: EventId::new(),
                ..last.meta
            },
        }],
        read_model: ReadModelUpdate::Case(row),
        snapshot: None,
        listings: None,
        idempotency: None,
    };
    let result = {
        let pg = store.store();
        let request = request.clone();
        killed_in_flight(&store.db, case, async move { pg.append(request).await }).await
    };
    assert!(
        matches!(result, Err(AppendError::Store(StoreError::Unavailable(_)))),
        "{result:?}"
    );
    assert_eq!(store.load(stream).await.unwrap().len() as u64, at);
    assert_eq!(store.append(request.clone()).await, Ok(at + 1));
    match store.append(request.clone()).await {
        Err(AppendError::Conflict(c)) => assert_eq!((c.expected, c.actual), (at, at + 1)),
        other => panic!("a repeated append must conflict: {other:?}"),
    }
    let stored = store.load(stream).await.unwrap();
    assert_eq!(stored.len() as u64, at + 1);
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.meta.event_id == request.events[0].meta.event_id)
            .count(),
        1,
        "the retried event is stored once"
    );
    assert_eq!(casework.history(case).await.unwrap().len() as u64, at + 1);
}
