//! Checks of reading part of a stream and of snapshots: `load_after` and how an append stores,
//! replaces or keeps a snapshot, and a snapshot that cannot be read falling back to replay (R-18,
//! R-28).

use super::support::{full_fold, last_version, meta, ok, probe, raw_case_row, Desk};
use crate::fixtures;
use crate::stored::stored;
use casework_core::case::fold;
use casework_core::case::{Case, CaseCommand, CaseEvent, Professional, ProfessionalKind};
use casework_core::kernel::confidential::for_storage;
use casework_core::kernel::event::{DomainEvent, RecordedEvent};
use casework_core::kernel::ids::{CaseId, ProfessionalId, StreamId};
use casework_core::read::rows::ReadModelUpdate;
use casework_core::store::{AppendRequest, Snapshot, Store};
use casework_service::casework::{CASE_SNAPSHOT_SCHEMA, SNAPSHOT_EVERY};
use chrono::Duration;

/// R-18 and R-28 (a state rebuilt from a point in the history; followers resume from a checkpoint):
/// `load_after(stream, v)` returns exactly the events after `v`, in order, for every `v`; an append
/// carrying a snapshot stores it as written, a later one replaces it, an append without one keeps
/// it, and each stream's snapshot is its own.
pub async fn load_after_and_snapshots<S: Store + 'static>(store: S) {
    let a = CaseId::new();
    let b = CaseId::new();
    let actor = fixtures::worker();
    let at = fixtures::start();
    let snapshot = |case: CaseId, version: u64, state: &str| Snapshot {
        stream: StreamId::Case(case),
        version,
        schema_version: CASE_SNAPSHOT_SCHEMA,
        state: state.to_owned(),
    };
    let append = |case: CaseId, from: u64, n: u64, snap: Option<Snapshot>| AppendRequest {
        stream: StreamId::Case(case),
        expected_version: from,
        events: (from..from + n)
            .map(|i| probe(&format!("{case}-{i}"), i, 1, meta(&actor, at, None)))
            .collect(),
        read_model: ReadModelUpdate::Case(raw_case_row(case, from + n)),
        snapshot: snap,
        listings: None,
        idempotency: None,
    };

    ok(
        store
            .append(append(a, 0, 3, Some(snapshot(a, 3, r#"{"first":"é"}"#))))
            .await,
        "append with a snapshot",
    );
    ok(
        store
            .append(append(b, 0, 2, Some(snapshot(b, 2, r#"{"other":true}"#))))
            .await,
        "append to another stream",
    );
    ok(store.append(append(a, 3, 2, None)).await, "append");
    assert_eq!(
        ok(
            store.load_snapshot(StreamId::Case(a)).await,
            "load_snapshot"
        ),
        Some(snapshot(a, 3, r#"{"first":"é"}"#)),
        "a snapshot comes back as written, and an append without one keeps it"
    );
    ok(
        store
            .append(append(a, 5, 1, Some(snapshot(a, 6, r#"{"second":1}"#))))
            .await,
        "append with a newer snapshot",
    );
    assert_eq!(
        ok(
            store.load_snapshot(StreamId::Case(a)).await,
            "load_snapshot"
        ),
        Some(snapshot(a, 6, r#"{"second":1}"#)),
        "a later snapshot replaces the earlier one"
    );
    assert_eq!(
        ok(
            store.load_snapshot(StreamId::Case(b)).await,
            "load_snapshot"
        ),
        Some(snapshot(b, 2, r#"{"other":true}"#)),
        "another stream's snapshot is unaffected"
    );

    let all = ok(store.load(StreamId::Case(a)).await, "load");
    assert_eq!(all.len(), 6);
    for v in 0..=8u64 {
        let after = ok(store.load_after(StreamId::Case(a), v).await, "load_after");
        let want: Vec<RecordedEvent> = all.iter().filter(|e| e.version > v).cloned().collect();
        assert_eq!(
            after, want,
            "load_after(stream, {v}) is exactly the events after version {v}"
        );
    }
    assert_eq!(
        ok(
            store.load_after(StreamId::Case(CaseId::new()), 0).await,
            "load_after"
        ),
        vec![],
        "load_after of an unknown stream is empty"
    );
    let b_all = ok(store.load(StreamId::Case(b)).await, "load");
    assert_eq!(
        ok(store.load_after(StreamId::Case(b), 1).await, "load_after"),
        b_all[1..].to_vec(),
        "load_after reads only its own stream"
    );
}

/// R-18 (the state is the history's): a case's snapshot speeds up loading but is never trusted over
/// the history: with more than [`SNAPSHOT_EVERY`] events a snapshot exists and decodes to the fold
/// of the events it covers, and the case equals the fold of the whole history; when the snapshot is
/// replaced by one that is not JSON, or by one in another snapshot format, the case still equals
/// the fold of the whole history (replay).
pub async fn unreadable_snapshot_falls_back_to_replay<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let person = desk.person("Flo Example").await;
    let case = desk.refer(person, desk.now()).await;
    let stream = StreamId::Case(case);
    let opened = last_version(&desk.load(case).await);
    let commands = SNAPSHOT_EVERY + 6 - opened;
    for i in 0..commands {
        desk.clock.advance(Duration::minutes(1));
        desk.run(
            case,
            CaseCommand::RecordProfessional {
                professional: Professional {
                    id: ProfessionalId::new(),
                    name: fixtures::text(&format!("Practitioner {i} (fictional)")),
                    kind: ProfessionalKind::Health,
                    agency: fixtures::text("Fictional Sexual Health Clinic"),
                },
            },
        )
        .await;
    }
    let snapshot = ok(desk.store().load_snapshot(stream).await, "load_snapshot")
        .expect("a case with more than SNAPSHOT_EVERY events has a snapshot");
    assert_eq!(snapshot.version, SNAPSHOT_EVERY);
    assert_eq!(snapshot.schema_version, CASE_SNAPSHOT_SCHEMA);
    let history = ok(desk.cw.history(case).await, "history");
    let decoded: Case = ok(
        serde_json::from_str(&snapshot.state),
        "the stored snapshot decodes",
    );
    assert_eq!(
        stored(&Some(decoded)),
        stored(&ok(fold(&history[..snapshot.version as usize]), "fold")),
        "the snapshot is the fold of the events it covers"
    );
    let expected = full_fold(&desk.cw, case).await;
    assert_eq!(
        expected.file().professionals.len() as u64,
        commands,
        "fixture: every professional recorded"
    );
    assert_eq!(
        stored(&ok(desk.cw.case(case).await, "case")),
        stored(&expected),
        "snapshot + later events = the fold of the whole history"
    );

    // Garbage: not JSON. Attached to a real, harmless event (empty appends write nothing).
    let harmless = |n: u32| {
        CaseEvent::ProfessionalInvolved {
            professional: Professional {
                id: ProfessionalId::new(),
                name: fixtures::text(&format!("Late practitioner {n}")),
                kind: ProfessionalKind::Police,
                agency: fixtures::text("Fictional Constabulary"),
            },
        }
        .encode(meta(&desk.worker, desk.now(), None))
    };
    let version = last_version(&desk.load(case).await);
    desk.raw_append(
        case,
        vec![harmless(1)],
        Some(Snapshot {
            stream,
            version: version + 1,
            schema_version: CASE_SNAPSHOT_SCHEMA,
            state: "not json".into(),
        }),
    )
    .await;
    assert_eq!(
        ok(desk.store().load_snapshot(stream).await, "load_snapshot").map(|s| s.state),
        Some("not json".to_owned()),
        "fixture: the garbage snapshot replaced the good one"
    );
    let expected = full_fold(&desk.cw, case).await;
    assert_eq!(expected.file().professionals.len() as u64, commands + 1);
    assert_eq!(
        stored(&ok(
            desk.cw.case(case).await,
            "a case with an unreadable snapshot loads by replay"
        )),
        stored(&expected)
    );

    // Another snapshot format, holding a stale but well-formed state: ignored.
    let stale = ok(fold(&history[..10]), "fold").expect("ten events fold");
    let version = last_version(&desk.load(case).await);
    desk.raw_append(
        case,
        vec![harmless(2)],
        Some(Snapshot {
            stream,
            version: version + 1,
            schema_version: CASE_SNAPSHOT_SCHEMA + 1,
            // A snapshot is storage: the one place a case's confidential content serializes.
            state: ok(
                for_storage(|| serde_json::to_string(&stale)),
                "serialize a case for storage",
            ),
        }),
    )
    .await;
    let expected = full_fold(&desk.cw, case).await;
    assert_eq!(expected.file().professionals.len() as u64, commands + 2);
    assert_eq!(
        stored(&ok(desk.cw.case(case).await, "case")),
        stored(&expected),
        "a snapshot in another format is ignored and the history replayed"
    );

    // Commands still work on top of the replayed state.
    let done = desk
        .run(
            case,
            CaseCommand::RecordProfessional {
                professional: fixtures::social_worker(),
            },
        )
        .await;
    assert_eq!(
        stored(&done.state),
        stored(&full_fold(&desk.cw, case).await)
    );
}
