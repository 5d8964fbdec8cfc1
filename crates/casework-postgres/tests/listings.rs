//! Listings, streams without a row of their own, and rewriting history for anonymisation
//! (R-23) on PostgreSQL: what the adapter promises beyond the shared suite. Each test runs on
//! its own fresh database; the reference for every answer is the in-memory store.

mod common;

use casework_core::case::owed::OwedActionKind;
use casework_core::case::StageName;
use casework_core::kernel::actor::Actor;
use casework_core::kernel::event::{EventMeta, NewEvent, RecordedEvent};
use casework_core::kernel::ids::{
    AccessId, CaseId, EventId, IntelligenceId, OwedActionId, StreamId, WorkshopId, YoungPersonId,
};
use casework_core::policy::risk::RiskLevel;
use casework_core::read::rows::{
    CaseSummary, Listed, Listing, ListingKind, ListingQuery, OwedActionSummary, ReadModelUpdate,
    YoungPersonSummary,
};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest,
    RewrittenEvent, Snapshot, StoreError,
};
use casework_memory::MemoryStore;
use casework_testkit::fixtures;
use chrono::{DateTime, Duration, Utc};
use common::TestStore;
use std::sync::Arc;

fn event(actor: &Actor, payload: &str) -> NewEvent {
    NewEvent {
        event_type: "probe".into(),
        schema_version: 1,
        payload: payload.into(),
        meta: EventMeta {
            event_id: EventId::new(),
            recorded_at: fixtures::start(),
            actor: actor.clone(),
            reason: Some("because".into()),
        },
    }
}

fn listing(kind: ListingKind, key: &str, at: Option<DateTime<Utc>>, detail: &str) -> Listing {
    Listing {
        kind,
        key: key.into(),
        at,
        detail: detail.into(),
    }
}

fn case_row(case: CaseId, version: u64, owed: Vec<OwedActionSummary>) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: YoungPersonId::from_uuid(case.as_uuid()),
        stage: StageName::Active,
        risk_level: Some(RiskLevel::Medium),
        received_at: fixtures::start(),
        source: "self".into(),
        worker: None,
        previous_case: None,
        next_review_due: Some(fixtures::start() + Duration::days(28)),
        closure_reason: None,
        version,
        owed,
    }
}

fn person_row(person: YoungPersonId, version: u64, district: &str) -> YoungPersonSummary {
    YoungPersonSummary {
        young_person_id: person,
        birth_year: 2011,
        postcode_district: district.into(),
        registered_at: fixtures::start(),
        version,
    }
}

fn owed(case: CaseId, status: &str) -> OwedActionSummary {
    OwedActionSummary {
        action_id: OwedActionId::new(),
        case_id: case,
        kind: OwedActionKind::NotifySafeguardingUnit,
        owed_to: "Fictional Safeguarding Unit".into(),
        due_at: fixtures::start() + Duration::hours(24),
        status: status.into(),
    }
}

/// The row an append to `stream` writes at `version`: a case's or a young person's, and none
/// for every other kind of stream.
fn row_for(stream: StreamId, version: u64) -> ReadModelUpdate {
    match stream {
        StreamId::Case(case) => ReadModelUpdate::Case(case_row(case, version, vec![])),
        StreamId::YoungPerson(p) => ReadModelUpdate::YoungPerson(person_row(p, version, "LS6")),
        _ => ReadModelUpdate::None,
    }
}

fn append(
    stream: StreamId,
    expected: u64,
    n: usize,
    listings: Option<Vec<Listing>>,
) -> AppendRequest {
    let actor = fixtures::worker();
    AppendRequest {
        stream,
        expected_version: expected,
        events: (0..n)
            .map(|i| event(&actor, &format!("{{\"v\":{}}}", expected + i as u64 + 1)))
            .collect(),
        read_model: row_for(stream, expected + n as u64),
        snapshot: None,
        listings,
        idempotency: None,
    }
}

/// One stream of every kind.
fn every_kind_of_stream() -> Vec<StreamId> {
    vec![
        StreamId::Case(CaseId::new()),
        StreamId::YoungPerson(YoungPersonId::new()),
        StreamId::Workshop(WorkshopId::new()),
        StreamId::Intelligence(IntelligenceId::new()),
        StreamId::Disclosures(CaseId::new()),
        StreamId::Access(AccessId::new()),
        StreamId::Retention(YoungPersonId::new()),
    ]
}

/// The listings `stream` wrote, among those of `kind`.
async fn listings_of(store: &TestStore, kind: ListingKind, stream: StreamId) -> Vec<Listing> {
    store
        .listings(ListingQuery::all(kind))
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.stream == stream)
        .map(|l| l.listing)
        .collect()
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_are_replaced_by_the_appends_that_carry_them_and_kept_by_the_others() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let t0 = fixtures::start();
    let kind = ListingKind::ReviewDue;
    let streams = every_kind_of_stream();
    let a = listing(kind, "a", Some(t0), "{\"first\":1}");
    let b = listing(kind, "b", None, "{\"second\":2}");
    let c = listing(kind, "c", Some(t0 + Duration::days(1)), "{\"third\":3}");
    for stream in &streams {
        let stream = *stream;
        store
            .append(append(stream, 0, 2, Some(vec![a.clone(), b.clone()])))
            .await
            .unwrap();
        assert_eq!(
            listings_of(&store, kind, stream).await,
            vec![a.clone(), b.clone()]
        );
        // Most commands carry none: the listings stay as they were.
        store.append(append(stream, 2, 1, None)).await.unwrap();
        assert_eq!(
            listings_of(&store, kind, stream).await,
            vec![a.clone(), b.clone()]
        );
        // A command that carries them replaces them all, whatever their kinds.
        let other = listing(ListingKind::Alumni, "x", Some(t0), "{}");
        store
            .append(append(stream, 3, 1, Some(vec![c.clone(), other.clone()])))
            .await
            .unwrap();
        assert_eq!(listings_of(&store, kind, stream).await, vec![c.clone()]);
        assert_eq!(
            listings_of(&store, ListingKind::Alumni, stream).await,
            vec![other]
        );
        assert_eq!(
            store.load(stream).await.unwrap().len(),
            4,
            "{stream}: the events"
        );
    }
    // Each stream replaced only its own: every stream still lists `c`.
    let all = store.listings(ListingQuery::all(kind)).await.unwrap();
    assert_eq!(all.len(), streams.len());
    assert!(all.iter().all(|l| l.listing == c));

    // An empty set removes them; the other streams keep theirs.
    let first = streams[0];
    store
        .append(append(first, 4, 1, Some(vec![])))
        .await
        .unwrap();
    assert!(listings_of(&store, kind, first).await.is_empty());
    assert!(listings_of(&store, ListingKind::Alumni, first)
        .await
        .is_empty());
    assert_eq!(
        store.listings(ListingQuery::all(kind)).await.unwrap().len(),
        streams.len() - 1
    );

    // Streams without a row wrote none: one case row, one young person row.
    let client = store.db.client().await;
    assert_eq!(
        count(&client, "SELECT count(*) FROM case_summaries").await,
        1
    );
    assert_eq!(count(&client, "SELECT count(*) FROM young_people").await, 1);
    assert_eq!(
        store
            .case_summary(CaseId::from_uuid(first.uuid()))
            .await
            .unwrap()
            .unwrap()
            .version,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_a_row_keeps_its_snapshot_and_its_events_intact() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let stream = StreamId::Workshop(WorkshopId::new());
    let mut request = append(stream, 0, 3, None);
    request.snapshot = Some(Snapshot {
        stream,
        version: 3,
        schema_version: 1,
        state: "{\"workshop\": \"folded\"}".into(),
    });
    assert_eq!(store.append(request.clone()).await.unwrap(), 3);
    let (snapshot, events) = store.load_latest(stream).await.unwrap();
    assert_eq!(snapshot, request.snapshot);
    assert_eq!(events.len(), 1, "the event at the snapshot's version");
    let loaded = store.load(stream).await.unwrap();
    let sent: Vec<(&str, &EventMeta)> = request
        .events
        .iter()
        .map(|e| (e.payload.as_str(), &e.meta))
        .collect();
    let got: Vec<(&str, &EventMeta)> = loaded
        .iter()
        .map(|e| (e.payload.as_str(), &e.meta))
        .collect();
    assert_eq!(got, sent);
    // A stale version conflicts as for any stream.
    match store.append(append(stream, 1, 1, None)).await {
        Err(AppendError::Conflict(c)) => assert_eq!((c.expected, c.actual), (1, 3)),
        other => panic!("a stale append must conflict: {other:?}"),
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

/// Keys and details whose byte order differs from a natural-language collation's, and text
/// that would break SQL pasted together.
const TEXTS: &[&str] = &[
    "",
    "a",
    "B",
    "Z",
    "b",
    "é",
    "e",
    "ä",
    "a b",
    "ab",
    "a-b",
    "🛡",
    "Robert'); DROP TABLE listings; --",
    "$1 $$ dollar $$",
    "{\"b\":1,\"a\":[1.0,1e2,\"\\u00e9\"]}",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_queries_equal_the_reference_store() {
    if common::skip() {
        return;
    }
    let pg = TestStore::new().await;
    let memory = MemoryStore::new();
    let mut rng = Rng(0x11e7_1265_0dd5_eed5);
    let t0 = fixtures::start();
    // Few distinct instants (some with microseconds), so ties on time are common.
    let instants: Vec<DateTime<Utc>> = (0..5)
        .map(|i| t0 + Duration::hours(i) + Duration::microseconds(i * 7))
        .collect();
    let ats: Vec<Option<DateTime<Utc>>> = std::iter::once(None)
        .chain(instants.iter().copied().map(Some))
        .collect();
    let kinds = [
        ListingKind::ReviewDue,
        ListingKind::Disclosure,
        ListingKind::Access,
    ];
    let keys = &TEXTS[..6];
    // Streams of every kind, several of each, so ties on time are broken by kind then id.
    let mut streams: Vec<(StreamId, u64)> = Vec::new();
    for _ in 0..6 {
        streams.extend(every_kind_of_stream().into_iter().map(|s| (s, 0)));
    }
    // Three rounds: each stream appends with new listings (or none) each round.
    for round in 0..3 {
        for (stream, version) in streams.iter_mut() {
            let listings = if round > 0 && rng.next() % 3 == 0 {
                None
            } else {
                Some(
                    (0..rng.next() % 5)
                        .map(|_| Listing {
                            kind: rng.pick(&kinds),
                            key: rng.pick(keys).to_owned(),
                            at: rng.pick(&ats),
                            detail: rng.pick(TEXTS).to_owned(),
                        })
                        .collect::<Vec<_>>(),
                )
            };
            let request = append(*stream, *version, 1, listings);
            memory.append(request.clone()).await.unwrap();
            pg.append(request).await.unwrap();
            *version += 1;
        }
    }

    // Bounds on, between and beside the stored instants, one with nanoseconds.
    let mut bounds: Vec<Option<DateTime<Utc>>> = vec![None];
    for t in &instants {
        bounds.push(Some(*t));
        bounds.push(Some(*t + Duration::nanoseconds(500)));
        bounds.push(Some(*t - Duration::nanoseconds(1)));
    }
    let mut compared = 0;
    let mut nonempty = 0;
    for kind in kinds {
        let mut queries = vec![ListingQuery::all(kind)];
        for key in keys.iter().chain(["absent"].iter()) {
            queries.push(ListingQuery::all(kind).key(*key));
        }
        let mut windows = Vec::new();
        for q in &queries {
            for from in &bounds {
                for to in bounds.iter().step_by(2) {
                    windows.push(ListingQuery {
                        from: *from,
                        to: *to,
                        ..q.clone()
                    });
                }
            }
        }
        queries.extend(windows);
        for query in queries {
            let expected = memory.listings(query.clone()).await.unwrap();
            let got = pg.listings(query.clone()).await.unwrap();
            assert_eq!(got, expected, "{query:?}");
            compared += 1;
            nonempty += usize::from(!got.is_empty());
        }
    }
    assert!(compared > 1000 && nonempty > 300, "{compared} / {nonempty}");
    let everything: Vec<Listed> = pg
        .listings(ListingQuery::all(ListingKind::ReviewDue))
        .await
        .unwrap();
    assert!(everything.len() > 20, "enough rows to compare");
    assert!(
        everything.iter().any(|l| l.listing.at.is_none()),
        "listings without a time, which sort last"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_that_conflicts_writes_no_listings() {
    if common::skip() {
        return;
    }
    let store = Arc::new(TestStore::new().await);
    let kind = ListingKind::Disclosure;
    let t0 = fixtures::start();
    for stream in [
        StreamId::Case(CaseId::new()),
        StreamId::Disclosures(CaseId::new()),
    ] {
        let kept = vec![listing(kind, "kept", Some(t0), "{}")];
        store
            .append(append(stream, 0, 2, Some(kept.clone())))
            .await
            .unwrap();
        // A stale or ahead expected version: refused with the actual version, nothing written.
        for expected in [0, 1, 3, 9] {
            let refused = vec![listing(kind, "refused", Some(t0), "{}")];
            match store
                .append(append(stream, expected, 1, Some(refused)))
                .await
            {
                Err(AppendError::Conflict(c)) => assert_eq!(c.actual, 2),
                other => panic!("{stream} at {expected}: {other:?}"),
            }
            assert_eq!(listings_of(&store, kind, stream).await, kept);
        }
        // Racing appends at the right version, each with its own listings: one wins, and
        // the stream lists exactly the winner's; the losers conflict, not fail.
        let mut tasks = Vec::new();
        for task in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mine: Vec<Listing> = (0..3)
                    .map(|i| listing(kind, &format!("task {task}"), Some(t0), &i.to_string()))
                    .collect();
                let result = store.append(append(stream, 2, 1, Some(mine.clone()))).await;
                (result, mine)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                (Ok(v), mine) => {
                    assert_eq!(v, 3);
                    winners.push(mine);
                }
                (Err(AppendError::Conflict(c)), _) => assert_eq!((c.expected, c.actual), (2, 3)),
                (Err(e), _) => panic!("a racing append failed: {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1);
        assert_eq!(listings_of(&store, kind, stream).await, winners[0]);
    }
    let client = store.db.client().await;
    assert_eq!(count(&client, "SELECT count(*) FROM listings").await, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_a_listing_cannot_store_is_refused_by_name_and_nothing_is_written() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let stream = StreamId::Access(AccessId::new());
    for (field, bad) in [
        (
            "listing key",
            listing(ListingKind::Access, "nul \0", None, "{}"),
        ),
        (
            "listing detail",
            listing(ListingKind::Access, "k", None, "\0"),
        ),
    ] {
        match store.append(append(stream, 0, 1, Some(vec![bad]))).await {
            Err(AppendError::Store(StoreError::Backend(m))) => assert!(m.contains(field), "{m}"),
            other => panic!("a NUL in a {field} must be refused: {other:?}"),
        }
    }
    assert!(store.load(stream).await.unwrap().is_empty());
    assert!(store
        .listings(ListingQuery::all(ListingKind::Access))
        .await
        .unwrap()
        .is_empty());
}

/// What rewriting must leave alone: everything but payload and reason.
fn untouched(e: &RecordedEvent) -> (u64, u64, String, u32, EventId, DateTime<Utc>, Actor) {
    (
        e.position,
        e.version,
        e.event_type.clone(),
        e.schema_version,
        e.meta.event_id,
        e.meta.recorded_at,
        e.meta.actor.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewrite_replaces_payloads_reasons_row_and_listings_and_drops_the_snapshot() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let t0 = fixtures::start();
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    let (x, y) = (owed(case, "owed"), owed(case, "owed"));
    let mut first = append(
        stream,
        0,
        4,
        Some(vec![
            listing(
                ListingKind::OpenCase,
                "worker",
                Some(t0),
                "{\"name\":\"Amy Example\"}",
            ),
            listing(ListingKind::ReviewDue, &case.to_string(), Some(t0), "{}"),
        ]),
    );
    first.read_model = ReadModelUpdate::Case(case_row(case, 4, vec![x.clone(), y.clone()]));
    first.snapshot = Some(Snapshot {
        stream,
        version: 3,
        schema_version: 1,
        state: "{\"name\":\"Amy Example\"}".into(),
    });
    store.append(first).await.unwrap();
    // Another stream's rows, listings and snapshot must not move.
    let bystander = StreamId::Case(CaseId::new());
    let mut other = append(
        bystander,
        0,
        2,
        Some(vec![listing(
            ListingKind::OpenCase,
            "worker",
            Some(t0),
            "{\"name\":\"Beth\"}",
        )]),
    );
    other.snapshot = Some(Snapshot {
        stream: bystander,
        version: 2,
        schema_version: 1,
        state: "{}".into(),
    });
    store.append(other).await.unwrap();
    let bystander_events = store.load(bystander).await.unwrap();
    let before = store.load(stream).await.unwrap();

    // Anonymise: events 1 and 3, the row (one owed action changed, one gone, one new), the
    // listings.
    let mut x2 = x.clone();
    x2.status = "sent".into();
    x2.owed_to = "Anonymised".into();
    let z = owed(case, "owed");
    let mut row = case_row(case, 4, vec![x2, z.clone()]);
    row.stage = StageName::Closed;
    row.next_review_due = None;
    let anonymised = vec![listing(
        ListingKind::ClosedCase,
        "anonymised",
        Some(t0),
        "{}",
    )];
    store
        .rewrite(RewriteRequest {
            stream,
            events: vec![
                RewrittenEvent {
                    version: 1,
                    payload: "{\"name\":\"[erased]\"}".into(),
                    reason: None,
                },
                RewrittenEvent {
                    version: 3,
                    payload: "{\"erased\": true,  \"k\": \"\\u00e9\"}".into(),
                    reason: Some("anonymised under the retention schedule (R-23)".into()),
                },
            ],
            read_model: ReadModelUpdate::Case(row.clone()),
            listings: anonymised.clone(),
        })
        .await
        .unwrap();

    let after = store.load(stream).await.unwrap();
    assert_eq!(
        after.iter().map(untouched).collect::<Vec<_>>(),
        before.iter().map(untouched).collect::<Vec<_>>(),
        "versions, types, times, actors and positions are untouched"
    );
    assert_eq!(after[0].payload, "{\"name\":\"[erased]\"}");
    assert_eq!(after[0].meta.reason, None);
    assert_eq!(after[2].payload, "{\"erased\": true,  \"k\": \"\\u00e9\"}");
    assert_eq!(
        after[2].meta.reason.as_deref(),
        Some("anonymised under the retention schedule (R-23)")
    );
    assert_eq!(
        (&after[1].payload, &after[3].payload),
        (&before[1].payload, &before[3].payload)
    );
    assert_eq!(after[1].meta.reason, before[1].meta.reason);

    assert_eq!(store.load_snapshot(stream).await.unwrap(), None);
    assert_eq!(
        store.load_latest(stream).await.unwrap(),
        (None, after.clone())
    );
    assert_eq!(store.case_summary(case).await.unwrap(), Some(row.clone()));
    let outstanding: Vec<OwedActionSummary> = store
        .outstanding_actions()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.case_id == case)
        .collect();
    assert_eq!(outstanding, vec![z]);
    assert!(listings_of(&store, ListingKind::OpenCase, stream)
        .await
        .is_empty());
    assert!(listings_of(&store, ListingKind::ReviewDue, stream)
        .await
        .is_empty());
    assert_eq!(
        listings_of(&store, ListingKind::ClosedCase, stream).await,
        anonymised
    );

    // The bystander is as it was.
    assert_eq!(store.load(bystander).await.unwrap(), bystander_events);
    assert!(store.load_snapshot(bystander).await.unwrap().is_some());
    assert_eq!(
        listings_of(&store, ListingKind::OpenCase, bystander)
            .await
            .len(),
        1
    );

    // The stream goes on: the next append lands at version 5 and replaces the row.
    let mut next = append(stream, 4, 1, None);
    next.read_model = ReadModelUpdate::Case(case_row(case, 5, vec![]));
    assert_eq!(store.append(next).await.unwrap(), 5);
    assert_eq!(store.case_summary(case).await.unwrap().unwrap().version, 5);
    assert_eq!(
        listings_of(&store, ListingKind::ClosedCase, stream).await,
        anonymised
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewrite_of_a_young_person_and_of_a_stream_without_a_row() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let t0 = fixtures::start();
    let person = YoungPersonId::new();
    let stream = StreamId::YoungPerson(person);
    store.append(append(stream, 0, 2, None)).await.unwrap();
    store
        .rewrite(RewriteRequest {
            stream,
            events: vec![RewrittenEvent {
                version: 2,
                payload: "{}".into(),
                reason: None,
            }],
            read_model: ReadModelUpdate::YoungPerson(person_row(person, 2, "XX")),
            listings: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.load(stream).await.unwrap()[1].payload, "{}");
    let client = store.db.client().await;
    let district: String = client
        .query_one(
            "SELECT postcode_district FROM young_people WHERE young_person_id = $1",
            &[&person.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(district, "XX");

    let retention = StreamId::Retention(person);
    let hold = listing(ListingKind::LegalHold, &person.to_string(), Some(t0), "{}");
    store
        .append(append(retention, 0, 1, Some(vec![hold])))
        .await
        .unwrap();
    let erased = listing(
        ListingKind::ClosedCase,
        &person.to_string(),
        None,
        "{\"erased\":true}",
    );
    store
        .rewrite(RewriteRequest {
            stream: retention,
            events: vec![],
            read_model: ReadModelUpdate::None,
            listings: vec![erased.clone()],
        })
        .await
        .unwrap();
    assert!(listings_of(&store, ListingKind::LegalHold, retention)
        .await
        .is_empty());
    assert_eq!(
        listings_of(&store, ListingKind::ClosedCase, retention).await,
        vec![erased]
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM case_summaries").await,
        0
    );
    assert_eq!(count(&client, "SELECT count(*) FROM young_people").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewrite_naming_a_missing_version_writes_nothing() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let t0 = fixtures::start();
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    let listed = vec![listing(ListingKind::ReviewDue, "k", Some(t0), "{}")];
    let mut first = append(stream, 0, 3, Some(listed.clone()));
    first.snapshot = Some(Snapshot {
        stream,
        version: 3,
        schema_version: 1,
        state: "{}".into(),
    });
    store.append(first).await.unwrap();
    let events = store.load(stream).await.unwrap();
    let row = store.case_summary(case).await.unwrap();
    let snapshot = store.load_snapshot(stream).await.unwrap();

    let rewrite = |versions: &[u64], payload: &str| RewriteRequest {
        stream,
        events: versions
            .iter()
            .map(|v| RewrittenEvent {
                version: *v,
                payload: payload.into(),
                reason: None,
            })
            .collect(),
        read_model: ReadModelUpdate::Case(case_row(case, 3, vec![owed(case, "owed")])),
        listings: vec![],
    };
    for versions in [&[1, 4][..], &[0], &[3, 2, 1, 9], &[u64::MAX]] {
        match store.rewrite(rewrite(versions, "{\"erased\":1}")).await {
            Err(StoreError::Backend(m)) => assert!(m.contains("version"), "{m}"),
            other => panic!("rewriting versions {versions:?} of 3 must fail: {other:?}"),
        }
    }
    match store.rewrite(rewrite(&[1], "nul \0")).await {
        Err(StoreError::Backend(m)) => assert!(m.contains("payload"), "{m}"),
        other => panic!("a NUL in a payload must be refused: {other:?}"),
    }
    // An unknown stream has no version 1 either.
    let mut unknown = rewrite(&[1], "{}");
    unknown.stream = StreamId::Case(CaseId::new());
    assert!(matches!(
        store.rewrite(unknown).await,
        Err(StoreError::Backend(_))
    ));

    assert_eq!(
        store.load(stream).await.unwrap(),
        events,
        "no event rewritten"
    );
    assert_eq!(
        store.case_summary(case).await.unwrap(),
        row,
        "the row as it was"
    );
    assert_eq!(store.load_snapshot(stream).await.unwrap(), snapshot);
    assert_eq!(
        listings_of(&store, ListingKind::ReviewDue, stream).await,
        listed
    );
    assert!(store.outstanding_actions().await.unwrap().is_empty());

    // The store goes on, and a rewrite naming a version twice keeps the last.
    let mut twice = rewrite(&[2, 2], "{\"first\":1}");
    twice.events[1].payload = "{\"second\":2}".into();
    store.rewrite(twice).await.unwrap();
    assert_eq!(
        store.load(stream).await.unwrap()[1].payload,
        "{\"second\":2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_did_not_change_is_not_rewritten() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let client = store.db.client().await;
    let t0 = fixtures::start();
    let stream = StreamId::Case(CaseId::new());
    // Each row's writing transaction, by position.
    let writers = || async {
        client
            .query(
                "SELECT n, xmin::text FROM listings WHERE stream_id = $1 ORDER BY n",
                &[&stream.uuid()],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)))
            .collect::<Vec<_>>()
    };
    let set = |details: &[&str]| -> Vec<Listing> {
        details
            .iter()
            .map(|d| listing(ListingKind::ReviewDue, "k", Some(t0), d))
            .collect()
    };
    store
        .append(append(stream, 0, 1, Some(set(&["a", "b", "c"]))))
        .await
        .unwrap();
    let first = writers().await;
    assert_eq!(first.len(), 3);

    // The same set again: no row is written.
    store
        .append(append(stream, 1, 1, Some(set(&["a", "b", "c"]))))
        .await
        .unwrap();
    assert_eq!(writers().await, first);

    // One detail changes: only that row is written; a shorter set drops the rows past it.
    store
        .append(append(stream, 2, 1, Some(set(&["a", "B", "c"]))))
        .await
        .unwrap();
    let changed = writers().await;
    assert_eq!(
        (changed[0].clone(), changed[2].clone()),
        (first[0].clone(), first[2].clone())
    );
    assert_ne!(changed[1], first[1]);
    store
        .append(append(stream, 3, 1, Some(set(&["a"]))))
        .await
        .unwrap();
    assert_eq!(writers().await, vec![first[0].clone()]);
    assert_eq!(
        listings_of(&store, ListingKind::ReviewDue, stream).await,
        set(&["a"])
    );
    // And a longer one adds them again.
    store
        .append(append(stream, 4, 1, Some(set(&["a", "x", "y", "z"]))))
        .await
        .unwrap();
    assert_eq!(
        listings_of(&store, ListingKind::ReviewDue, stream).await,
        set(&["a", "x", "y", "z"])
    );
}

/// R-8 at rest (issue 17): migration 7 turns the young person's row's date of birth into the
/// year alone, in the column and in the row's body; a database at version 6 with a row keeps
/// its row, coarsened.
#[tokio::test]
async fn migration_7_keeps_the_year_of_birth_only() {
    if common::skip() {
        return;
    }
    let db = common::database().await;
    let client = db.client().await;
    // Version 6 as a library of that version left it: its migrations, recorded.
    let old = [
        include_str!("../migrations/0001_initial.sql"),
        include_str!("../migrations/0002_listings.sql"),
        include_str!("../migrations/0003_idempotency_keys.sql"),
        include_str!("../migrations/0004_one_open_case.sql"),
        include_str!("../migrations/0005_event_chain.sql"),
        include_str!("../migrations/0006_data_keys.sql"),
    ];
    client
        .batch_execute(
            "CREATE TABLE casework_schema_migrations (version bigint PRIMARY KEY, \
             name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .unwrap();
    for (i, sql) in old.iter().enumerate() {
        client.batch_execute(sql).await.unwrap();
        client
            .execute(
                "INSERT INTO casework_schema_migrations (version, name) VALUES ($1, 'old')",
                &[&(i as i64 + 1)],
            )
            .await
            .unwrap();
    }
    let person = YoungPersonId::new();
    client
        .execute(
            "INSERT INTO young_people (young_person_id, date_of_birth, postcode_district, \
             registered_at, version, body) VALUES ($1, '2011-05-14', 'LS6', now(), 1, $2)",
            &[
                &person.as_uuid(),
                &r#"{"date_of_birth":"2011-05-14","postcode_district":"LS6"}"#,
            ],
        )
        .await
        .unwrap();
    let store = casework_postgres::PostgresStore::connect(db.url())
        .await
        .unwrap();
    assert_eq!(store.migrate().await.unwrap(), 1, "only migration 7 is new");
    let row = client
        .query_one(
            "SELECT birth_year, postcode_district, body FROM young_people",
            &[],
        )
        .await
        .unwrap();
    let (year, district, body): (i32, String, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((year, district.as_str()), (2011, "LS6"));
    assert!(
        !body.contains("05-14") && !body.contains("date_of_birth"),
        "{body}"
    );
    assert!(body.contains(r#""birth_year": 2011"#), "{body}");
    let dated: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_name = 'young_people' AND column_name = 'date_of_birth' \
             AND table_schema = current_schema()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(dated, 0, "the date's column is gone");
    store.pool().close();
}
