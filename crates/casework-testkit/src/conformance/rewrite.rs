//! The check of the one change made in place: a rewrite for anonymisation replaces exactly the
//! named events' payloads, the stream's row and listings, and deletes its snapshot (R-23).

use super::listings::{assert_listings, listed, listing};
use super::support::{hours, meta, ok, probe, raw_case_row};
use crate::fixtures;
use casework_core::case::StageName;
use casework_core::kernel::event::{NewEvent, RecordedEvent};
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::read::rows::{
    CaseSummary, Listed, Listing, ListingKind, ListingQuery, ReadModelUpdate,
};
use casework_core::store::{
    AppendRequest, RewriteRequest, RewrittenEvent, Snapshot, Store, StoreError,
};
use casework_service::casework::CASE_SNAPSHOT_SCHEMA;
use std::collections::BTreeMap;

/// R-23 (anonymisation under the retention schedule, the one change made in place): a rewrite
/// replaces the payload and the reason of exactly the named events — every other event and
/// every other field (version, position, type, schema version, event id, time, actor) as it
/// was — replaces the stream's read-model row and all its listings, and deletes its snapshot
/// (it folds the old payloads), touching no other stream. A rewrite naming a version the
/// stream does not have fails with [`StoreError::Backend`] and changes nothing, not even the
/// events it names that exist. Appending carries on at the same version afterwards.
pub async fn rewrite_replaces_payloads_rows_and_listings<S: Store + 'static>(store: S) {
    let person = YoungPersonId::new();
    let case = CaseId::new();
    let other = CaseId::new();
    let target = StreamId::Case(case);
    let disclosures = StreamId::Disclosures(case);
    let control = StreamId::Case(other);
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let t = fixtures::start();
    let row = |case: CaseId, version: u64| raw_case_row(case, version);
    let snapshot = |stream: StreamId, version: u64| Snapshot {
        stream,
        version,
        schema_version: CASE_SNAPSHOT_SCHEMA,
        state: format!(r#"{{"folded":{version}}}"#),
    };
    let listings_of = |stream: StreamId, n: u32| {
        vec![
            listing(
                ListingKind::OpenCase,
                "worker-1",
                Some(t + hours(i64::from(n))),
                &format!(r#"{{"name":"Amy Example","n":{n}}}"#),
            ),
            listing(
                ListingKind::ClosedCase,
                &stream.uuid().to_string(),
                None,
                r#"{"why":"moved"}"#,
            ),
        ]
    };
    let append = |stream: StreamId,
                  from: u64,
                  events: Vec<NewEvent>,
                  read_model: ReadModelUpdate,
                  snapshot: Option<Snapshot>,
                  listings: Option<Vec<Listing>>| {
        let request = AppendRequest {
            stream,
            expected_version: from,
            events,
            read_model,
            snapshot,
            listings,
            idempotency: None,
        };
        let store = &store;
        async move { ok(store.append(request).await, "append") }
    };

    let target_events = [
        probe("t1", 1, 1, meta(&worker, t, Some("Referred by her school"))),
        probe(
            "t2",
            2,
            2,
            meta(&manager, t + hours(1), Some("Amy told us about X")),
        ),
        probe("t3", 3, 1, meta(&worker, t + hours(2), None)),
        probe("t4", 4, 3, meta(&worker, t + hours(3), None)),
        probe("t5", 5, 1, meta(&manager, t + hours(4), Some("Closed"))),
    ];
    append(
        target,
        0,
        target_events[..3].to_vec(),
        ReadModelUpdate::Case(row(case, 3)),
        None,
        Some(listings_of(target, 1)),
    )
    .await;
    append(
        control,
        0,
        vec![probe("o1", 1, 1, meta(&worker, t, Some("Other case")))],
        ReadModelUpdate::Case(row(other, 1)),
        Some(snapshot(control, 1)),
        Some(listings_of(control, 2)),
    )
    .await;
    append(
        disclosures,
        0,
        vec![probe(
            "d1",
            1,
            1,
            meta(&worker, t, Some("Shared with police")),
        )],
        ReadModelUpdate::None,
        None,
        Some(vec![listing(
            ListingKind::Disclosure,
            &case.as_uuid().to_string(),
            Some(t),
            r#"{"to":"Fictional Constabulary"}"#,
        )]),
    )
    .await;
    append(
        target,
        3,
        target_events[3..].to_vec(),
        ReadModelUpdate::Case(row(case, 5)),
        Some(snapshot(target, 5)),
        None,
    )
    .await;

    /// What the check watches: the three streams, both cases' rows, every kind's listings.
    struct Seen {
        events: BTreeMap<StreamId, Vec<RecordedEvent>>,
        snapshots: BTreeMap<StreamId, Option<Snapshot>>,
        rows: BTreeMap<CaseId, Option<CaseSummary>>,
        listings: Vec<Vec<Listed>>,
    }
    async fn look<S: Store>(store: &S, streams: [StreamId; 3], cases: [CaseId; 2]) -> Seen {
        let mut seen = Seen {
            events: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            rows: BTreeMap::new(),
            listings: Vec::new(),
        };
        for stream in streams {
            seen.events
                .insert(stream, ok(store.load(stream).await, "load"));
            let snapshot = ok(store.load_snapshot(stream).await, "load_snapshot");
            seen.snapshots.insert(stream, snapshot);
        }
        for case in cases {
            let row = ok(store.case_summary(case).await, "case_summary");
            seen.rows.insert(case, row);
        }
        for kind in ListingKind::ALL {
            seen.listings
                .push(listed(store, &ListingQuery::all(kind)).await);
        }
        seen
    }
    let look = || look(&store, [target, disclosures, control], [case, other]);
    let before = look().await;
    assert_eq!(before.snapshots[&target], Some(snapshot(target, 5)));

    // A version the stream does not have: nothing changes, not even the versions that exist.
    let anonymised = r#"{"zeta":"anonymised","note":"— removed under R-23 ✓","n":null}"#;
    let bad_requests = [vec![1, 6], vec![0], vec![2, 99, 3], vec![u64::MAX]];
    for versions in bad_requests {
        let request = RewriteRequest {
            stream: target,
            events: versions
                .iter()
                .map(|&version| RewrittenEvent {
                    version,
                    payload: anonymised.into(),
                    reason: None,
                })
                .collect(),
            read_model: ReadModelUpdate::Case(CaseSummary {
                stage: StageName::Closed,
                ..row(case, 5)
            }),
            listings: vec![],
        };
        match store.rewrite(request).await {
            Err(StoreError::Backend(_)) => {}
            other => panic!(
                "a rewrite of versions {versions:?} of a stream at 5 must fail with \
                 StoreError::Backend, got {other:?}"
            ),
        }
        let after = look().await;
        assert_eq!(
            after.events, before.events,
            "a failed rewrite ({versions:?}) changes no event"
        );
        assert_eq!(
            after.snapshots, before.snapshots,
            "a failed rewrite ({versions:?}) keeps the snapshot"
        );
        assert_eq!(
            after.rows, before.rows,
            "a failed rewrite ({versions:?}) keeps the row"
        );
        assert_eq!(
            after.listings, before.listings,
            "a failed rewrite ({versions:?}) keeps the listings"
        );
    }
    let nowhere = StreamId::Case(CaseId::new());
    assert!(
        matches!(
            store
                .rewrite(RewriteRequest {
                    stream: nowhere,
                    events: vec![RewrittenEvent {
                        version: 1,
                        payload: anonymised.into(),
                        reason: None
                    }],
                    read_model: ReadModelUpdate::None,
                    listings: vec![],
                })
                .await,
            Err(StoreError::Backend(_))
        ),
        "a rewrite of an unknown stream's version 1 fails"
    );

    // The rewrite: versions 2 and 4, a reason dropped and one given.
    let new_row = CaseSummary {
        stage: StageName::Closed,
        closure_reason: Some("moved_out_of_area".into()),
        source: "anonymised".into(),
        ..row(case, 5)
    };
    let new_listings = vec![listing(
        ListingKind::ClosedCase,
        &person.as_uuid().to_string(),
        Some(t + hours(4)),
        r#"{"anonymised":true}"#,
    )];
    let erased_reason = "Anonymised under the retention schedule (R-23)";
    ok(
        store
            .rewrite(RewriteRequest {
                stream: target,
                events: vec![
                    RewrittenEvent {
                        version: 4,
                        payload: anonymised.into(),
                        reason: Some(erased_reason.into()),
                    },
                    RewrittenEvent {
                        version: 2,
                        payload: "{}".into(),
                        reason: None,
                    },
                ],
                read_model: ReadModelUpdate::Case(new_row.clone()),
                listings: new_listings.clone(),
            })
            .await,
        "rewrite versions 2 and 4",
    );
    let after = look().await;
    let mut want = before.events[&target].clone();
    want[1].payload = "{}".into();
    want[1].meta.reason = None;
    want[3].payload = anonymised.into();
    want[3].meta.reason = Some(erased_reason.into());
    assert_eq!(
        after.events[&target], want,
        "R-23: exactly the named events' payloads and reasons are replaced; versions, \
         positions, types, schema versions, ids, times and actors are as they were"
    );
    assert_eq!(
        after.snapshots[&target], None,
        "R-23: a rewrite deletes the stream's snapshot (it folds the old payloads)"
    );
    assert_eq!(
        after.rows[&case],
        Some(new_row.clone()),
        "the row is replaced"
    );
    let mut written = BTreeMap::new();
    written.insert(target, new_listings.clone());
    written.insert(control, listings_of(control, 2));
    written.insert(
        disclosures,
        vec![listing(
            ListingKind::Disclosure,
            &case.as_uuid().to_string(),
            Some(t),
            r#"{"to":"Fictional Constabulary"}"#,
        )],
    );
    assert_listings(
        &store,
        &written,
        "after a rewrite, the stream's listings are replaced",
    )
    .await;
    for stream in [disclosures, control] {
        assert_eq!(
            after.events[&stream], before.events[&stream],
            "a rewrite touches no other stream's events ({stream})"
        );
        assert_eq!(
            after.snapshots[&stream], before.snapshots[&stream],
            "a rewrite touches no other stream's snapshot ({stream})"
        );
    }
    assert_eq!(after.rows[&other], before.rows[&other]);

    // A stream without a row: its rewrite leaves the case's row alone; an empty listing list
    // removes its listings.
    ok(
        store
            .rewrite(RewriteRequest {
                stream: disclosures,
                events: vec![RewrittenEvent {
                    version: 1,
                    payload: anonymised.into(),
                    reason: None,
                }],
                read_model: ReadModelUpdate::None,
                listings: vec![],
            })
            .await,
        "rewrite a stream without a row",
    );
    written.remove(&disclosures);
    assert_listings(&store, &written, "a rewrite with no listings removes them").await;
    assert_eq!(
        ok(store.case_summary(case).await, "case_summary"),
        Some(new_row.clone()),
        "a rewrite with ReadModelUpdate::None writes no row"
    );
    assert_eq!(
        ok(store.load(disclosures).await, "load")[0].payload,
        anonymised
    );

    // The stream carries on at its version; new events come after every old one.
    let version = append(
        target,
        5,
        vec![probe("t6", 6, 1, meta(&worker, t + hours(5), None))],
        ReadModelUpdate::Case(CaseSummary {
            version: 6,
            ..new_row
        }),
        None,
        None,
    )
    .await;
    assert_eq!(version, 6, "a rewrite changes no version");
    let events = ok(store.load(target).await, "load");
    let max_before = after
        .events
        .values()
        .flatten()
        .map(|e| e.position)
        .max()
        .unwrap_or(0);
    assert!(
        events[5].position > max_before,
        "positions carry on increasing"
    );
    assert_eq!(&events[..5], &want[..]);
}
