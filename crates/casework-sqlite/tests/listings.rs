//! Listings and rewrites on SQLite beyond the conformance suite: answers equal to the memory
//! store's over random data (including sub-microsecond times, which SQLite keeps), a failing
//! command undone alone with its listings inside a group commit, a failing rewrite undone
//! whole, and a damaged listing row reported as corrupt.

mod common;

use casework_core::kernel::ids::{
    AccessId, CaseId, IntelligenceId, StreamId, WorkshopId, YoungPersonId,
};
use casework_core::read::rows::{Listing, ListingKind, ListingQuery, ReadModelUpdate};
use casework_core::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest,
    RewrittenEvent, Snapshot, StoreError,
};
use casework_memory::MemoryStore;
use chrono::Duration;
use common::*;

/// A trigger that refuses any listing keyed `boom`, so a command fails after its events and
/// row are written (what a full disk or an I/O error would do at that point).
const REFUSE_BOOM: &str = "CREATE TRIGGER refuse_boom BEFORE INSERT ON listings
    WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";

fn boom() -> Listing {
    Listing {
        kind: ListingKind::Workshop,
        key: "boom".into(),
        at: None,
        detail: "{}".into(),
    }
}

fn fine(n: usize) -> Listing {
    Listing {
        kind: ListingKind::Workshop,
        key: format!("fine-{n}"),
        at: Some(fixtures_start() + Duration::minutes(n as i64)),
        detail: format!(r#"{{"n":{n}}}"#),
    }
}

fn fixtures_start() -> chrono::DateTime<chrono::Utc> {
    casework_testkit::fixtures::start()
}

fn random_listing(rng: &mut Rng) -> Listing {
    let kinds = [
        ListingKind::ReviewDue,
        ListingKind::Access,
        ListingKind::Workshop,
    ];
    let keys = ["", "a", "b", "Siân"];
    let details = [r#"{"x":1}"#, r#"{ "x" : 1 }"#, "{}", r#""✓""#];
    // Few distinct instants, some a few hundred nanoseconds apart, so ties and the
    // sub-microsecond order matter.
    let at = (rng.below(5) > 0).then(|| {
        fixtures_start()
            + Duration::hours(rng.below(3) as i64)
            + Duration::nanoseconds(rng.below(3) as i64 * 400)
    });
    Listing {
        kind: kinds[rng.below(kinds.len() as u64) as usize],
        key: keys[rng.below(keys.len() as u64) as usize].into(),
        at,
        detail: details[rng.below(details.len() as u64) as usize].into(),
    }
}

#[tokio::test]
async fn listing_queries_answer_exactly_as_the_memory_store_does() {
    let (sqlite, _dir) = store_in_tempdir().await;
    let memory = MemoryStore::new();
    let mut rng = Rng(0x1157_1265_c0de);
    let case = CaseId::new();
    let person = YoungPersonId::new();
    let mut streams = vec![
        StreamId::Case(case),
        StreamId::Disclosures(case),
        StreamId::YoungPerson(person),
        StreamId::Retention(person),
    ];
    for _ in 0..6 {
        streams.push(StreamId::Workshop(WorkshopId::new()));
        streams.push(StreamId::Access(AccessId::new()));
        streams.push(StreamId::Intelligence(IntelligenceId::new()));
    }
    let mut versions = vec![0u64; streams.len()];
    for round in 0..200 {
        let i = rng.below(streams.len() as u64) as usize;
        let listings = match rng.below(5) {
            0 => None,
            1 => Some(vec![]),
            _ => Some(
                (0..rng.below(6))
                    .map(|_| random_listing(&mut rng))
                    .collect(),
            ),
        };
        let request = AppendRequest {
            stream: streams[i],
            expected_version: versions[i],
            events: vec![event("listed", fixtures_start(), 40)],
            read_model: ReadModelUpdate::None,
            snapshot: None,
            listings,
            idempotency: None,
        };
        let on_memory = memory.append(request.clone()).await;
        assert_eq!(sqlite.append(request).await, on_memory, "round {round}");
        versions[i] += 1;
    }
    let mut queries = Vec::new();
    for kind in [
        ListingKind::ReviewDue,
        ListingKind::Access,
        ListingKind::Workshop,
        ListingKind::Alumni,
    ] {
        for key in [None, Some(""), Some("a"), Some("Siân"), Some("c")] {
            for offset in [
                None,
                Some(-1),
                Some(0),
                Some(400),
                Some(401),
                Some(3_600_000_000_400),
            ] {
                for span in [None, Some(0), Some(1), Some(800), Some(7_200_000_000_000)] {
                    let from = offset.map(|n| fixtures_start() + Duration::nanoseconds(n));
                    let to =
                        span.map(|n| from.unwrap_or(fixtures_start()) + Duration::nanoseconds(n));
                    queries.push(ListingQuery {
                        kind,
                        key: key.map(str::to_owned),
                        from,
                        to,
                        after: None,
                        limit: None,
                    });
                }
            }
        }
    }
    let mut non_empty = 0;
    for query in queries {
        let want = memory.listings(query.clone()).await.unwrap();
        non_empty += usize::from(!want.is_empty());
        assert_eq!(
            sqlite.listings(query.clone()).await.unwrap(),
            want,
            "{query:?}"
        );
    }
    assert!(non_empty > 100, "the random data exercises the queries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_command_in_a_group_commit_is_undone_alone_with_its_listings() {
    let (store, dir) = store_in_tempdir().await;
    rusqlite::Connection::open(db_path(&dir))
        .unwrap()
        .execute_batch(REFUSE_BOOM)
        .unwrap();
    // A stream that already has listings, for the conflicting commands.
    let taken = CaseId::new();
    store
        .append(AppendRequest {
            listings: Some(vec![fine(999)]),
            ..case_append(taken, 0, 1)
        })
        .await
        .unwrap();

    // Many commands at once, so the writer commits them in shared transactions: every
    // fourth fails after writing its events and row, every fourth conflicts.
    let cases: Vec<CaseId> = (0..48).map(|_| CaseId::new()).collect();
    let mut tasks = Vec::new();
    for (n, case) in cases.iter().copied().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let request = match n % 4 {
                0 => AppendRequest {
                    listings: Some(vec![fine(n), boom()]),
                    ..case_append(case, 0, 2)
                },
                1 => AppendRequest {
                    listings: Some(vec![fine(n)]),
                    ..case_append(taken, 0, 2)
                },
                _ => AppendRequest {
                    listings: Some(vec![fine(n)]),
                    ..case_append(case, 0, 2)
                },
            };
            (n, store.append(request).await)
        }));
    }
    for task in tasks {
        let (n, outcome) = task.await.unwrap();
        match (n % 4, outcome) {
            (0, Err(AppendError::Store(StoreError::Backend(why)))) => {
                assert!(why.contains("refused by the test"), "{why}")
            }
            (1, Err(AppendError::Conflict(c))) => assert_eq!(c.actual, 1),
            (2 | 3, Ok(2)) => {}
            (_, other) => panic!("command {n}: {other:?}"),
        }
    }
    for (n, case) in cases.iter().copied().enumerate() {
        let events = store.load(StreamId::Case(case)).await.unwrap().len();
        let row = store.case_summary(case).await.unwrap();
        match n % 4 {
            2 | 3 => assert_eq!((events, row.map(|r| r.version)), (2, Some(2))),
            _ => assert_eq!((events, row), (0, None), "command {n} wrote nothing"),
        }
    }
    let listed = store
        .listings(ListingQuery::all(ListingKind::Workshop))
        .await
        .unwrap();
    let mut keys: Vec<String> = listed.into_iter().map(|l| l.listing.key).collect();
    keys.sort();
    let mut want: Vec<String> = (0..48)
        .filter(|n| n % 4 >= 2)
        .chain([999])
        .map(|n| format!("fine-{n}"))
        .collect();
    want.sort();
    assert_eq!(
        keys, want,
        "only committed commands' listings, the taken stream's kept"
    );
    store.check_integrity().await.unwrap();
}

#[tokio::test]
async fn a_rewrite_that_fails_part_way_is_undone_whole() {
    let (store, dir) = store_in_tempdir().await;
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    let snapshot = Snapshot {
        stream,
        version: 3,
        schema_version: 1,
        state: "{}".into(),
    };
    store
        .append(AppendRequest {
            snapshot: Some(snapshot.clone()),
            listings: Some(vec![fine(1)]),
            ..case_append(case, 0, 3)
        })
        .await
        .unwrap();
    rusqlite::Connection::open(db_path(&dir))
        .unwrap()
        .execute_batch(REFUSE_BOOM)
        .unwrap();
    let events = store.load(stream).await.unwrap();
    let row = store.case_summary(case).await.unwrap();

    // The events are rewritten and the snapshot deleted before the listings fail.
    let refused = store
        .rewrite(RewriteRequest {
            stream,
            events: vec![RewrittenEvent {
                version: 2,
                payload: "{}".into(),
                reason: None,
            }],
            read_model: ReadModelUpdate::Case(summary(case, YoungPersonId::new(), 3)),
            listings: vec![boom()],
        })
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Backend(why)) if why.contains("refused by the test")),
        "{refused:?}"
    );
    assert_eq!(store.load(stream).await.unwrap(), events);
    assert_eq!(store.load_snapshot(stream).await.unwrap(), Some(snapshot));
    assert_eq!(store.case_summary(case).await.unwrap(), row);
    let listed = store
        .listings(ListingQuery::all(ListingKind::Workshop))
        .await
        .unwrap();
    assert_eq!(
        listed.into_iter().map(|l| l.listing).collect::<Vec<_>>(),
        vec![fine(1)]
    );

    // The writer carries on: appends and rewrites after the failure work.
    assert_eq!(store.append(case_append(case, 3, 1)).await, Ok(4));
    store
        .rewrite(RewriteRequest {
            stream,
            events: vec![RewrittenEvent {
                version: 4,
                payload: r#"{"erased":true}"#.into(),
                reason: Some("R-23".into()),
            }],
            read_model: ReadModelUpdate::None,
            listings: vec![],
        })
        .await
        .unwrap();
    let after = store.load(stream).await.unwrap();
    assert_eq!(after[3].payload, r#"{"erased":true}"#);
    assert_eq!(after[3].meta.reason.as_deref(), Some("R-23"));
    assert_eq!(&after[..3], &events[..]);
    assert_eq!(
        store
            .listings(ListingQuery::all(ListingKind::Workshop))
            .await
            .unwrap(),
        vec![]
    );
}

#[tokio::test]
async fn a_damaged_listing_row_is_reported_as_corrupt() {
    let (store, dir) = store_in_tempdir().await;
    rusqlite::Connection::open(db_path(&dir))
        .unwrap()
        .execute(
            "INSERT INTO listings (stream_kind, stream_id, kind, key, at, at_ns, detail)
             VALUES ('no_such_stream', 'not-a-uuid', 'access', '', NULL, NULL, '{}')",
            [],
        )
        .unwrap();
    match store.listings(ListingQuery::all(ListingKind::Access)).await {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("access listings"), "{why}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // Other kinds still answer.
    assert_eq!(
        store
            .listings(ListingQuery::all(ListingKind::Workshop))
            .await
            .unwrap(),
        vec![]
    );
}
