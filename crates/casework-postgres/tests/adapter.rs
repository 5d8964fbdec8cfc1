//! What the Postgres adapter promises beyond the shared suite: migrations, the one-round-trip
//! load, conflicts with the actual version, bound parameters only, and query orderings equal
//! to the reference store's. Each test runs on its own fresh database.

mod common;

use casework_core::case::owed::OwedActionKind;
use casework_core::case::{
    CaseCommand, NewReferral, Professional, ProfessionalKind, ReferralSource, StageName,
};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::event::{EventMeta, NewEvent};
use casework_core::kernel::ids::{
    CaseId, EventId, OwedActionId, ProfessionalId, StaffId, StreamId,
};
use casework_core::kernel::input::{Postcode, Text};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::policy::risk::RiskLevel;
use casework_core::read::rows::{
    CaseSummary, Listing, ListingKind, ListingQuery, OwedActionSummary, ReadModelUpdate,
};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, Snapshot, StoreError,
};
use casework_core::young_person::{Gender, YoungPersonDetails};
use casework_memory::MemoryStore;
use casework_postgres::{PostgresStore, MIGRATIONS, SCHEMA_VERSION};
use casework_service::Casework;
use casework_testkit::fixtures;
use casework_testkit::postgres_db::with_param;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::TestStore;
use std::sync::Arc;

fn event(actor: &Actor, at: DateTime<Utc>, event_type: &str, payload: &str) -> NewEvent {
    NewEvent {
        event_type: event_type.into(),
        schema_version: 1,
        payload: payload.into(),
        meta: EventMeta {
            event_id: EventId::new(),
            recorded_at: at,
            actor: actor.clone(),
            reason: Some("because".into()),
        },
    }
}

fn summary(case: CaseId, version: u64) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: casework_core::kernel::ids::YoungPersonId::new(),
        stage: StageName::Received,
        risk_level: None,
        received_at: fixtures::start(),
        source: "self".into(),
        worker: None,
        previous_case: None,
        next_review_due: None,
        closure_reason: None,
        version,
        owed: vec![],
    }
}

fn case_append(case: CaseId, expected: u64, n: usize) -> AppendRequest {
    let actor = fixtures::worker();
    AppendRequest {
        stream: StreamId::Case(case),
        expected_version: expected,
        events: (0..n)
            .map(|i| {
                event(
                    &actor,
                    fixtures::start(),
                    "probe",
                    &format!("{{\"i\":{i}}}"),
                )
            })
            .collect(),
        read_model: ReadModelUpdate::Case(summary(case, expected + n as u64)),
        snapshot: None,
        listings: None,
        idempotency: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_each_migration_once_and_records_it() {
    if common::skip() {
        return;
    }
    let db = common::database().await;
    let store = PostgresStore::connect(db.url()).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 0);
    assert_eq!(store.migrate().await.unwrap(), MIGRATIONS.len());
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "a second migrate is a no-op"
    );
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT version, name FROM casework_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    let recorded: Vec<(i64, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let expected: Vec<(i64, String)> = MIGRATIONS
        .iter()
        .map(|m| (m.version, m.name.to_owned()))
        .collect();
    assert_eq!(recorded, expected);
    store.pool().close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrators_queue_on_the_advisory_lock() {
    if common::skip() {
        return;
    }
    let db = common::database().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = db.url().to_owned();
        tasks.push(tokio::spawn(async move {
            let store = PostgresStore::connect(&url).await.unwrap();
            let applied = store.migrate().await;
            store.pool().close();
            applied
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().expect("no migrator fails");
    }
    assert_eq!(
        total,
        MIGRATIONS.len(),
        "exactly one migrator applied each migration"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_upgrades_and_keeps_its_data() {
    if common::skip() {
        return;
    }
    // A database as the previous release left it: migration 1 only, recorded as it recorded it.
    let db = common::database().await;
    let mut client = db.client().await;
    let tx = client.transaction().await.unwrap();
    tx.batch_execute(
        "CREATE TABLE casework_schema_migrations (version bigint PRIMARY KEY, \
         name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .unwrap();
    tx.batch_execute(MIGRATIONS[0].sql).await.unwrap();
    tx.execute(
        "INSERT INTO casework_schema_migrations (version, name) VALUES (1, 'initial')",
        &[],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let store = PostgresStore::connect(db.url()).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 1);
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    // An append before the migration says to migrate and writes nothing: every append links
    // its events into the hash chain (R-18, schema 5).
    match store.append(case_append(case, 0, 3)).await {
        Err(AppendError::Store(StoreError::Corrupt(m))) => assert!(m.contains("migrate"), "{m}"),
        other => panic!("an append on a version 1 schema: {other:?}"),
    }
    // What the previous release wrote: its columns only.
    client
        .batch_execute(&format!(
            "INSERT INTO events (stream_kind, stream_id, version, event_type, schema_version,
                 payload, event_id, recorded_at, actor_id, actor_name, actor_role, reason)
             SELECT 'case', '{case}', v, 'conformance_probe', 1, '{{\"n\":' || v || '}}',
                 gen_random_uuid(), now(), gen_random_uuid(), 'Fictional Worker', 'worker', NULL
             FROM generate_series(1, 3) AS v;
             INSERT INTO snapshots (stream_kind, stream_id, version, schema_version, state)
             VALUES ('case', '{case}', 3, 1, '{{}}');",
            case = case.as_uuid()
        ))
        .await
        .unwrap();
    let listed = Listing {
        kind: ListingKind::ReviewDue,
        key: case.to_string(),
        at: Some(fixtures::start()),
        detail: "{}".into(),
    };
    let mut with_listings = case_append(case, 3, 1);
    with_listings.listings = Some(vec![listed.clone()]);
    match store.append(with_listings.clone()).await {
        Err(AppendError::Store(StoreError::Corrupt(m))) => assert!(m.contains("migrate"), "{m}"),
        other => panic!("listings on a version 1 schema: {other:?}"),
    }
    assert_eq!(store.load(stream).await.unwrap().len(), 3);
    let events = store.load(stream).await.unwrap();
    let row = store.case_summary(case).await.unwrap();

    assert_eq!(store.migrate().await.unwrap(), MIGRATIONS.len() - 1);
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(store.load(stream).await.unwrap(), events);
    // The migration to the chain hashed the events already there.
    let linked = store.load_linked_after(stream, 0).await.unwrap();
    casework_core::kernel::chain::verify_stream(stream, &linked, 3)
        .unwrap_or_else(|b| panic!("the migrated history is chained: {b}"));
    assert_eq!(store.case_summary(case).await.unwrap(), row);
    assert!(store.load_snapshot(stream).await.unwrap().is_some());
    assert_eq!(store.append(with_listings).await.unwrap(), 4);
    let found = store
        .listings(ListingQuery::all(ListingKind::ReviewDue))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].stream, &found[0].listing), (stream, &listed));

    // Listing order compares text byte for byte whatever the database's collation.
    let rows = client
        .query(
            "SELECT a.attname::text, c.collname::text FROM pg_attribute a \
             JOIN pg_collation c ON c.oid = a.attcollation \
             WHERE a.attrelid = 'listings'::regclass AND a.attnum > 0 ORDER BY a.attnum",
            &[],
        )
        .await
        .unwrap();
    let collations: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        collations,
        ["stream_kind", "kind", "key", "detail"]
            .iter()
            .map(|c| (c.to_string(), "C".to_string()))
            .collect::<Vec<_>>()
    );
    store.pool().close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_can_live_in_a_schema_of_its_own() {
    if common::skip() {
        return;
    }
    let db = common::database().await;
    db.client()
        .await
        .batch_execute("CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b")
        .await
        .unwrap();
    let tenant = |schema: &str| with_param(db.url(), &format!("options=-csearch_path%3D{schema}"));
    let a = PostgresStore::connect(&tenant("tenant_a")).await.unwrap();
    let b = PostgresStore::connect(&tenant("tenant_b")).await.unwrap();
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
    let case = CaseId::new();
    a.append(case_append(case, 0, 2)).await.unwrap();
    assert_eq!(a.load(StreamId::Case(case)).await.unwrap().len(), 2);
    assert!(b.load(StreamId::Case(case)).await.unwrap().is_empty());
    let tables: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_a' AND tablename = 'events'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
    a.pool().close();
    b.pool().close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_latest_is_the_snapshot_and_the_events_from_its_version_on() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    assert_eq!(store.load_latest(stream).await.unwrap(), (None, vec![]));

    store.append(case_append(case, 0, 3)).await.unwrap();
    let (snapshot, events) = store.load_latest(stream).await.unwrap();
    assert_eq!(snapshot, None);
    assert_eq!(
        events,
        store.load(stream).await.unwrap(),
        "no snapshot: every event"
    );

    let snap = Snapshot {
        stream,
        version: 5,
        schema_version: 7,
        state: "{\"folded\": \"to v5\"}".into(),
    };
    let mut request = case_append(case, 3, 2);
    request.snapshot = Some(snap.clone());
    store.append(request).await.unwrap();
    store.append(case_append(case, 5, 4)).await.unwrap();
    let (snapshot, events) = store.load_latest(stream).await.unwrap();
    assert_eq!(snapshot, Some(snap.clone()));
    // From the snapshot's own version on, so the caller can check it belongs to the stream.
    assert_eq!(events, store.load_after(stream, 4).await.unwrap());
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![5, 6, 7, 8, 9]
    );
    assert_eq!(store.load_snapshot(stream).await.unwrap(), Some(snap));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_reports_the_actual_version_and_writes_nothing() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    assert_eq!(store.append(case_append(case, 0, 2)).await.unwrap(), 2);

    for expected in [0, 1, 3, 7] {
        match store.append(case_append(case, expected, 1)).await {
            Err(AppendError::Conflict(c)) => {
                assert_eq!((c.stream, c.expected, c.actual), (stream, expected, 2));
            }
            other => panic!("expected {expected} at version 2 must conflict: {other:?}"),
        }
    }
    assert_eq!(
        store.load(stream).await.unwrap().len(),
        2,
        "nothing written"
    );
    assert_eq!(store.case_summary(case).await.unwrap().unwrap().version, 2);

    // A race at the right version: exactly one winner; the losers learn the winner's version.
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.append(case_append(case, 2, 3)).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(v) => {
                assert_eq!(v, 5);
                won += 1;
            }
            Err(AppendError::Conflict(c)) => assert_eq!((c.expected, c.actual), (2, 5)),
            Err(e) => panic!("a racing append failed: {e:?}"),
        }
    }
    assert_eq!(won, 1);
    let versions: Vec<u64> = store
        .load(stream)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_cannot_be_stored_is_refused_by_name_and_nothing_is_written() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let case = CaseId::new();
    let mut request = case_append(case, 0, 1);
    request.events[0].meta.reason = Some("nul \0 here".into());
    match store.append(request).await {
        Err(AppendError::Store(StoreError::Backend(m))) => assert!(m.contains("reason"), "{m}"),
        other => panic!("a NUL in a reason must be refused: {other:?}"),
    }
    assert!(store.load(StreamId::Case(case)).await.unwrap().is_empty());
    assert_eq!(store.case_summary(case).await.unwrap(), None);
    assert_eq!(store.append(case_append(case, 0, 1)).await.unwrap(), 1);
}

/// Strings that would break a query built by pasting text into SQL.
const HOSTILE: &[&str] = &[
    "Robert'); DROP TABLE events; --",
    "x' OR '1'='1",
    "'; DELETE FROM case_summaries WHERE ''='",
    "$1 $2 $$ $tag$ dollar-quoted $tag$",
    "\\'; TRUNCATE owed_actions; --",
    "\"; DROP SCHEMA public CASCADE; --",
    "O'Brien-Ní Ḿháille 🛡 \u{202e}rtl",
    "%s %n {0} ${PATH} `id`",
    "line one\nline two\ttabbed\r\n",
    "*/ SELECT pg_sleep(10); /*",
];

fn text(s: &str) -> Text {
    Text::parse("test", s).unwrap()
}

fn json_escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_in_every_field_is_stored_and_read_back_intact() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let clock = Arc::new(fixtures::clock());
    let casework = Casework::new(store.store(), city_girls_service()).with_clock(clock.clone());
    for (i, hostile) in HOSTILE.iter().enumerate() {
        let other = HOSTILE[(i + 1) % HOSTILE.len()];
        let actor = Actor {
            id: StaffId::new(),
            name: (*hostile).to_owned(),
            role: Role::Worker,
        };
        let person = casework
            .register_young_person(
                &actor,
                YoungPersonDetails {
                    name: text(hostile),
                    date_of_birth: NaiveDate::from_ymd_opt(2011, 5, 14).unwrap(),
                    gender: Gender::Female,
                    postcode: Postcode::parse("LS6 2AB").unwrap(),
                    learning_difficulty: false,
                    contact_preferences: vec![],
                },
            )
            .await
            .unwrap();
        let case = casework
            .receive_referral(
                &actor,
                person,
                NewReferral {
                    source: ReferralSource::SelfReferral,
                    concerns: NewConfidential::new(text(other)),
                    received_at: fixtures::start(),
                },
            )
            .await
            .unwrap();
        let professional = Professional {
            id: ProfessionalId::new(),
            name: text(hostile),
            kind: ProfessionalKind::Teacher,
            agency: text(other),
        };
        casework
            .execute(
                &actor,
                case,
                CaseCommand::RecordProfessional { professional },
            )
            .await
            .unwrap();
        let action = casework
            .outstanding_actions()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.case_id == case)
            .expect("a referral owes a notification (R-5)")
            .action_id;
        casework
            .execute(
                &actor,
                case,
                CaseCommand::MarkActionSent {
                    action,
                    reference: text(other),
                    sent_at: fixtures::start(),
                },
            )
            .await
            .unwrap();
        casework
            .execute(
                &actor,
                case,
                CaseCommand::Withdraw {
                    reason: text(hostile).into(),
                },
            )
            .await
            .unwrap();

        // Read back through the service and raw from the store.
        assert_eq!(
            casework.young_person(person).await.unwrap().details.name,
            text(hostile)
        );
        let events = store.load(StreamId::Case(case)).await.unwrap();
        let all_payloads: String = events.iter().map(|e| e.payload.as_str()).collect();
        for s in [hostile, &other] {
            assert!(
                all_payloads.contains(&json_escaped(s.trim())),
                "{s:?} not found intact in the payloads"
            );
        }
        assert!(events.iter().all(|e| e.meta.actor.name == *hostile));
        // A withdrawal's reason is confidential: kept in the payload (above), never copied
        // into the envelope; the reason column is held to hostile text at the raw level below.
        assert_eq!(events.last().unwrap().meta.reason, None);
        let state = casework.case(case).await.unwrap();
        let version = events.len() as u64;
        assert_eq!(
            store.case_summary(case).await.unwrap(),
            Some(CaseSummary::of(&state, version))
        );
        assert_eq!(
            casework.history(case).await.unwrap().len(),
            events.len(),
            "the history decodes"
        );

        // The raw store level: type, payload, reason and snapshot state as given.
        let stream = StreamId::Case(CaseId::new());
        let mut request = case_append(CaseId::from_uuid(stream.uuid()), 0, 1);
        request.events[0].event_type = (*hostile).to_owned();
        request.events[0].payload = (*other).to_owned();
        request.events[0].meta.reason = Some((*hostile).to_owned());
        request.snapshot = Some(Snapshot {
            stream,
            version: 1,
            schema_version: 1,
            state: (*hostile).to_owned(),
        });
        store.append(request.clone()).await.unwrap();
        let (snapshot, events) = store.load_latest(stream).await.unwrap();
        assert_eq!(snapshot.unwrap().state, *hostile);
        assert_eq!(events.len(), 1, "the event at the snapshot's version");
        let stored = &store.load(stream).await.unwrap()[0];
        assert_eq!(stored.event_type, *hostile);
        assert_eq!(stored.payload, *other);
        assert_eq!(stored.meta, request.events[0].meta);
    }
    // Every table is still there and holds what was written.
    let client = store.db.client().await;
    for (table, at_least) in [
        ("events", 5 * HOSTILE.len() as i64),
        ("case_summaries", 2 * HOSTILE.len() as i64),
        ("owed_actions", HOSTILE.len() as i64),
        ("young_people", HOSTILE.len() as i64),
        ("snapshots", HOSTILE.len() as i64),
    ] {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert!(n >= at_least, "{table} has {n} rows");
    }
}

/// A tiny deterministic generator (no extra dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_orderings_equal_the_reference_store() {
    if common::skip() {
        return;
    }
    let pg = TestStore::new().await;
    let memory = MemoryStore::new();
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let t0 = fixtures::start();
    // Few distinct instants, so ties on time are common and the id breaks them.
    let instants: Vec<DateTime<Utc>> = (0..4).map(|i| t0 + Duration::hours(i)).collect();
    let due: Vec<Option<DateTime<Utc>>> = std::iter::once(None)
        .chain(instants.iter().map(|t| Some(*t + Duration::days(30))))
        .collect();
    let risks = [
        None,
        Some(RiskLevel::Low),
        Some(RiskLevel::Medium),
        Some(RiskLevel::High),
    ];
    let stages = [
        StageName::WaitingList,
        StageName::WaitingList,
        StageName::Active,
        StageName::Closed,
    ];
    let statuses = ["owed", "owed", "sent", "explained"];
    let kinds = [
        OwedActionKind::NotifySafeguardingUnit,
        OwedActionKind::ReferToDutySocialWork,
        OwedActionKind::CommunicateOutcome,
    ];
    let mut people: Vec<_> = (0..5)
        .map(|_| casework_core::kernel::ids::YoungPersonId::new())
        .collect();
    let actor = fixtures::worker();
    let mut cases = Vec::new();
    for _ in 0..150 {
        let case = CaseId::new();
        let owed: Vec<OwedActionSummary> = (0..rng.next() % 4)
            .map(|_| OwedActionSummary {
                action_id: OwedActionId::new(),
                case_id: case,
                kind: rng.pick(&kinds),
                owed_to: "Fictional Safeguarding Unit".into(),
                due_at: rng.pick(&instants),
                status: rng.pick(&statuses).to_owned(),
            })
            .collect();
        let row = CaseSummary {
            case_id: case,
            young_person_id: rng.pick(&people),
            stage: rng.pick(&stages),
            risk_level: rng.pick(&risks),
            received_at: rng.pick(&instants),
            source: "professional".into(),
            worker: None,
            previous_case: None,
            next_review_due: rng.pick(&due),
            closure_reason: None,
            version: 1,
            owed,
        };
        cases.push(row);
    }
    let mut open = std::collections::HashMap::new();
    for row in &mut cases {
        fixtures::keep_one_open_case(row, &mut open, &mut people);
    }
    for row in &cases {
        let request = AppendRequest {
            stream: StreamId::Case(row.case_id),
            expected_version: 0,
            events: vec![event(&actor, t0, "probe", "{}")],
            read_model: ReadModelUpdate::Case(row.clone()),
            snapshot: None,
            listings: None,
            idempotency: None,
        };
        memory.append(request.clone()).await.unwrap();
        pg.append(request).await.unwrap();
    }
    // A second command on a third of the cases replaces their rows: stage and risk change,
    // owed actions change status, and one disappears from the row.
    for row in cases.iter_mut().step_by(3) {
        row.version = 2;
        row.stage = rng.pick(&stages);
        row.risk_level = rng.pick(&risks);
        row.next_review_due = rng.pick(&due);
        for a in row.owed.iter_mut() {
            a.status = rng.pick(&statuses).to_owned();
        }
        row.owed.pop();
        fixtures::keep_one_open_case(row, &mut open, &mut people);
        let request = AppendRequest {
            stream: StreamId::Case(row.case_id),
            expected_version: 1,
            events: vec![event(&actor, t0, "probe", "{}")],
            read_model: ReadModelUpdate::Case(row.clone()),
            snapshot: None,
            listings: None,
            idempotency: None,
        };
        memory.append(request.clone()).await.unwrap();
        pg.append(request).await.unwrap();
    }

    let waiting = pg.waiting_list().await.unwrap();
    assert!(waiting.len() > 20, "enough rows to compare");
    assert_eq!(waiting, memory.waiting_list().await.unwrap());
    assert_eq!(
        pg.outstanding_actions().await.unwrap(),
        memory.outstanding_actions().await.unwrap()
    );
    for person in &people {
        assert_eq!(
            pg.cases_of(*person).await.unwrap(),
            memory.cases_of(*person).await.unwrap()
        );
    }
    let mut as_of: Vec<DateTime<Utc>> = due.iter().flatten().copied().collect();
    as_of.push(t0 + Duration::days(365));
    for at in as_of {
        assert_eq!(
            pg.overdue_reviews(at).await.unwrap(),
            memory.overdue_reviews(at).await.unwrap(),
            "overdue at {at}"
        );
    }
    for row in &cases {
        assert_eq!(
            pg.case_summary(row.case_id).await.unwrap().as_ref(),
            Some(row)
        );
    }
}
