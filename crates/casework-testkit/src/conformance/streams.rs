//! Checks of the event store itself: every field of an appended event comes back as written
//! and an empty append writes nothing.

use super::support::{hours, last_version, meta, ok, probe, raw_case_row, raw_person_row, Desk};
use crate::fixtures;
use casework_core::case::StageName;
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::event::{NewEvent, RecordedEvent};
use casework_core::kernel::ids::{CaseId, EventId, StreamId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, ReadModelUpdate};
use casework_core::store::{AppendRequest, Snapshot, Store};
use casework_service::casework::CASE_SNAPSHOT_SCHEMA;
use chrono::{Duration, TimeZone, Utc};
use std::collections::BTreeMap;

/// R-18 (every change attributed and kept): every field of a stored event comes back exactly
/// as written — type, schema version, payload text (byte for byte: keep it as text, or a JSON
/// type that preserves text, not one that normalises it), event id, `recorded_at` to the
/// microsecond, actor id, name and role, and the reason whether `Some` or `None` — in version
/// order 1..n per stream, with global positions strictly increasing in append order across
/// streams.
pub async fn append_and_load_round_trip<S: Store + 'static>(store: S) {
    let case = CaseId::new();
    let person = YoungPersonId::new();
    let case_stream = StreamId::Case(case);
    let person_stream = StreamId::YoungPerson(person);

    assert_eq!(
        ok(store.load(case_stream).await, "load an unknown stream"),
        vec![],
        "an unknown stream loads as empty"
    );
    assert_eq!(
        ok(
            store.load_snapshot(case_stream).await,
            "load_snapshot of an unknown stream"
        ),
        None,
        "an unknown stream has no snapshot"
    );

    let admin = Actor {
        role: Role::Administrator,
        name: "Siân O'Connor-Ng (fictional)".into(),
        ..fixtures::worker()
    };
    let system = Actor {
        role: Role::System,
        name: "Nightly import".into(),
        ..fixtures::worker()
    };
    let worker = fixtures::worker();
    let manager = fixtures::manager();
    let t = fixtures::start();
    let leap = Utc
        .with_ymd_and_hms(2040, 2, 29, 23, 59, 59)
        .unwrap()
        .checked_add_signed(Duration::microseconds(999_999))
        .unwrap();

    // Appends in this order: case ×2, person ×1, case ×1, person ×2.
    let batches: Vec<(StreamId, Vec<NewEvent>)> = vec![
        (
            case_stream,
            vec![
                probe(
                    "c1",
                    1,
                    1,
                    meta(&worker, t + Duration::microseconds(123_456), None),
                ),
                probe(
                    "c2",
                    2,
                    2,
                    meta(
                        &manager,
                        t + Duration::microseconds(123_457),
                        Some("Approved: out of order because of a disclosure (fictional)"),
                    ),
                ),
            ],
        ),
        (
            person_stream,
            vec![probe(
                "p1",
                3,
                1,
                meta(
                    &admin,
                    t - Duration::days(400) + Duration::microseconds(1),
                    None,
                ),
            )],
        ),
        (
            case_stream,
            vec![probe(
                "c3",
                4,
                3,
                meta(
                    &system,
                    leap,
                    Some("Imported from the old spreadsheet — “row 12”"),
                ),
            )],
        ),
        (
            person_stream,
            vec![
                probe(
                    "p2",
                    5,
                    1,
                    meta(&worker, t + hours(1), Some("Corrected DOB")),
                ),
                probe("p3", 6, 2, meta(&manager, t + hours(2), None)),
            ],
        ),
    ];

    let mut written: BTreeMap<StreamId, Vec<NewEvent>> = BTreeMap::new();
    let mut event_order: Vec<EventId> = Vec::new();
    for (stream, events) in &batches {
        let before = written.get(stream).map_or(0, |v| v.len() as u64);
        let read_model = match stream {
            StreamId::Case(_) => {
                ReadModelUpdate::Case(raw_case_row(case, before + events.len() as u64))
            }
            StreamId::YoungPerson(_) => {
                ReadModelUpdate::YoungPerson(raw_person_row(person, before + events.len() as u64))
            }
            StreamId::Workshop(_)
            | StreamId::Intelligence(_)
            | StreamId::Disclosures(_)
            | StreamId::Access(_)
            | StreamId::Retention(_) => ReadModelUpdate::None,
        };
        let version = ok(
            store
                .append(AppendRequest {
                    stream: *stream,
                    expected_version: before,
                    events: events.clone(),
                    read_model,
                    snapshot: None,
                    listings: None,
                    idempotency: None,
                })
                .await,
            "append at the stream's version",
        );
        assert_eq!(
            version,
            before + events.len() as u64,
            "append returns the stream's new version"
        );
        written.entry(*stream).or_default().extend(events.clone());
        event_order.extend(events.iter().map(|e| e.meta.event_id));
    }

    let mut position_of: BTreeMap<EventId, u64> = BTreeMap::new();
    for (stream, events) in &written {
        let loaded = ok(store.load(*stream).await, "load");
        assert_eq!(
            loaded.len(),
            events.len(),
            "{stream}: every appended event is loaded"
        );
        for (i, (got, sent)) in loaded.iter().zip(events).enumerate() {
            let want = RecordedEvent {
                stream: *stream,
                version: i as u64 + 1,
                position: got.position,
                event_type: sent.event_type.clone(),
                schema_version: sent.schema_version,
                payload: sent.payload.clone(),
                meta: sent.meta.clone(),
            };
            assert_eq!(
                got,
                &want,
                "R-18: {stream} version {}: the event must come back exactly as written",
                i + 1
            );
            position_of.insert(got.meta.event_id, got.position);
        }
        for pair in loaded.windows(2) {
            assert!(
                pair[0].position < pair[1].position,
                "{stream}: positions increase with versions"
            );
        }
    }
    let positions: Vec<u64> = event_order.iter().map(|id| position_of[id]).collect();
    assert!(
        positions.windows(2).all(|p| p[0] < p[1]),
        "R-28: positions strictly increase across streams in append order, got {positions:?}"
    );
}

/// R-18 (the record holds what was decided and nothing else): an empty append writes nothing —
/// no event, no read-model row, no snapshot — and returns the expected version unchecked, on
/// an existing stream and on an unknown one.
pub async fn empty_append_is_a_no_op<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let person = desk.person("Eve Example").await;
    let case = desk.refer(person, desk.now()).await;
    let stream = StreamId::Case(case);
    let before_events = desk.load(case).await;
    let actual = last_version(&before_events);
    let before_row = desk.summary(case).await;

    let empty = |stream: StreamId, expected: u64, case: CaseId| AppendRequest {
        stream,
        expected_version: expected,
        events: vec![],
        read_model: ReadModelUpdate::Case(CaseSummary {
            case_id: case,
            stage: StageName::Closed,
            version: 42,
            ..before_row.clone()
        }),
        snapshot: Some(Snapshot {
            stream,
            version: 42,
            schema_version: CASE_SNAPSHOT_SCHEMA,
            state: "{}".into(),
        }),
        listings: None,
        idempotency: None,
    };
    for expected in [actual, 0, actual + 7] {
        assert_eq!(
            ok(
                desk.store().append(empty(stream, expected, case)).await,
                "an empty append"
            ),
            expected,
            "an empty append returns the expected version unchecked"
        );
    }
    assert_eq!(
        desk.load(case).await,
        before_events,
        "an empty append writes no event"
    );
    assert_eq!(
        desk.summary(case).await,
        before_row,
        "an empty append writes no row"
    );
    assert_eq!(
        ok(desk.store().load_snapshot(stream).await, "load_snapshot"),
        None,
        "an empty append writes no snapshot"
    );

    let nowhere = CaseId::new();
    assert_eq!(
        ok(
            desk.store()
                .append(empty(StreamId::Case(nowhere), 0, nowhere))
                .await,
            "an empty append to a new stream"
        ),
        0
    );
    assert_eq!(
        ok(desk.store().load(StreamId::Case(nowhere)).await, "load"),
        vec![]
    );
    assert_eq!(
        ok(desk.store().case_summary(nowhere).await, "case_summary"),
        None
    );
    assert_eq!(
        ok(desk.cw.waiting_list().await, "waiting_list"),
        vec![],
        "no row of an empty append shows in queries"
    );
}
