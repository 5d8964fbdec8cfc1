//! The checks of the hash chain (R-18): every append links its events to the stored ones
//! before them, a rewrite (R-23) links the stream again, and the links read back by stream
//! and in pages across the store.

use super::listings::listing;
use super::support::{hours, meta, ok, probe, raw_case_row};
use crate::fixtures;
use casework_core::kernel::chain::{self, Break, Linked, Stored, StreamHead};
use casework_core::kernel::ids::{CaseId, StreamId, WorkshopId};
use casework_core::read::rows::{ListingKind, ReadModelUpdate};
use casework_core::store::{
    AppendError, AppendRequest, RewriteRequest, RewrittenEvent, Snapshot, Store,
};
use casework_service::casework::CASE_SNAPSHOT_SCHEMA;

fn request(stream: StreamId, from: u64, n: u64, tag: &str) -> AppendRequest {
    let worker = fixtures::worker();
    AppendRequest {
        stream,
        expected_version: from,
        events: (from + 1..=from + n)
            .map(|v| {
                // Nanoseconds a microsecond store cannot keep: the link covers what is stored.
                let at = fixtures::start() + hours(v as i64) + chrono::Duration::nanoseconds(789);
                probe(
                    tag,
                    v,
                    1,
                    meta(&worker, at, (v % 2 == 0).then_some("a reason")),
                )
            })
            .collect(),
        read_model: ReadModelUpdate::None,
        snapshot: None,
        listings: None,
        idempotency: None,
    }
}

async fn linked<S: Store>(store: &S, stream: StreamId) -> Vec<Linked> {
    ok(
        store.load_linked_after(stream, 0).await,
        "load_linked_after",
    )
}

/// Asserts that `stream`'s links are the chain of its stored events, from nothing, and that
/// the store names its head; returns the head.
async fn assert_chained<S: Store>(store: &S, stream: StreamId, versions: u64) -> StreamHead {
    let events = linked(store, stream).await;
    let loaded = ok(store.load(stream).await, "load");
    assert_eq!(
        events.iter().map(|l| &l.event).collect::<Vec<_>>(),
        loaded.iter().collect::<Vec<_>>(),
        "R-18: load_linked_after reads the events load reads"
    );
    assert_eq!(
        events.len() as u64,
        versions,
        "R-18: {stream} has {versions} events"
    );
    let digests = loaded.iter().map(|e| Stored::recorded(e).digest());
    let links: Vec<_> = events.iter().map(|l| l.link).collect();
    assert_eq!(
        links,
        chain::chain(None, digests),
        "R-18: each event of {stream} is linked to the stored one before it"
    );
    let head = chain::verify_stream(stream, &events, versions)
        .unwrap_or_else(|b| panic!("R-18: a stream the store wrote verifies: {b}"))
        .expect("not empty");
    assert_eq!(
        ok(store.chain_head(stream).await, "chain_head"),
        Some(head),
        "R-18: chain_head is the last link"
    );
    head
}

/// R-18: every append records each new event's link in its stream's hash chain, chained to
/// the stored event before it: one event or several, with a read-model row, a snapshot,
/// listings or an idempotency key, whatever the event's time precision. The links read back
/// by stream (all, or after a version) and in pages across the store (stream kind, stream
/// uuid, version), every event once; a conflicting append records no link; an empty stream
/// has no head.
pub async fn appends_are_chained<S: Store + 'static>(store: S) {
    let case_id = CaseId::new();
    let case = StreamId::Case(case_id);
    let workshop = StreamId::Workshop(WorkshopId::new());
    let disclosures = StreamId::Disclosures(case_id);
    let mut first = request(case, 0, 3, "c");
    first.read_model = ReadModelUpdate::Case(raw_case_row(case_id, 3));
    first.snapshot = Some(Snapshot {
        stream: case,
        version: 3,
        schema_version: CASE_SNAPSHOT_SCHEMA,
        state: r#"{"folded":3}"#.into(),
    });
    ok(
        store.append(first).await,
        "append with a row and a snapshot",
    );
    let mut second = request(case, 3, 1, "c");
    second.read_model = ReadModelUpdate::Case(raw_case_row(case_id, 4));
    second.listings = Some(vec![listing(
        ListingKind::OpenCase,
        "worker-1",
        Some(fixtures::start()),
        r#"{"n":4}"#,
    )]);
    ok(store.append(second).await, "append with listings");
    let mut third = request(case, 4, 2, "c");
    third.read_model = ReadModelUpdate::Case(raw_case_row(case_id, 6));
    third.idempotency = Some(casework_core::kernel::idempotency::Idempotency {
        key: format!("chain:{case_id}"),
        fingerprint: "f".into(),
    });
    ok(store.append(third).await, "append with a key");
    ok(store.append(request(workshop, 0, 1, "w")).await, "append");
    ok(store.append(request(workshop, 1, 1, "w")).await, "append");
    ok(
        store.append(request(disclosures, 0, 2, "d")).await,
        "append",
    );

    // A lost race records nothing.
    let before = linked(&store, case).await;
    match store.append(request(case, 2, 1, "late")).await {
        Err(AppendError::Conflict(_)) => {}
        other => panic!("R-18: a stale append conflicts: {other:?}"),
    }
    assert_eq!(
        linked(&store, case).await,
        before,
        "R-18: a conflict links nothing"
    );

    let head = assert_chained(&store, case, 6).await;
    assert_chained(&store, workshop, 2).await;
    assert_chained(&store, disclosures, 2).await;
    assert_eq!(head.version, 6);
    let tail = ok(
        store.load_linked_after(case, 4).await,
        "load_linked_after 4",
    );
    assert_eq!(
        tail,
        before[4..].to_vec(),
        "R-18: the links after a version"
    );
    assert_eq!(
        ok(
            store.chain_head(StreamId::Case(CaseId::new())).await,
            "head"
        ),
        None,
        "an empty stream has no head"
    );

    // Pages: every event once, by stream kind, stream uuid and version.
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = ok(store.linked_page(after, 3).await, "linked_page");
        assert!(page.len() <= 3, "a page holds at most its limit");
        let Some(last) = page.last() else { break };
        after = Some((last.event.stream, last.event.version));
        all.extend(page);
    }
    let key = |l: &Linked| {
        (
            l.event.stream.kind(),
            l.event.stream.uuid(),
            l.event.version,
        )
    };
    let mut expected: Vec<Linked> = Vec::new();
    for s in [case, workshop, disclosures] {
        expected.extend(linked(&store, s).await);
    }
    expected.sort_by_key(key);
    assert_eq!(
        all, expected,
        "R-18: pages walk every stored event once, in order"
    );
}

/// R-18 and R-23: a rewrite records the chain again from its first rewritten version to the
/// stream's end, in its transaction: the links before it stay as they were, the stream
/// verifies, its head is new (so the old head, written down before, no longer holds), and an
/// append after the rewrite links to the new head. A rewrite that fails links nothing.
pub async fn rewrite_rechains_the_stream<S: Store + 'static>(store: S) {
    let case_id = CaseId::new();
    let case = StreamId::Case(case_id);
    let mut first = request(case, 0, 4, "r");
    first.read_model = ReadModelUpdate::Case(raw_case_row(case_id, 4));
    ok(store.append(first).await, "append");
    let before = linked(&store, case).await;
    let old_head = assert_chained(&store, case, 4).await;
    let rewrite = |events: Vec<RewrittenEvent>| RewriteRequest {
        stream: case,
        events,
        read_model: ReadModelUpdate::Case(raw_case_row(case_id, 4)),
        listings: vec![],
    };
    let anonymised = RewrittenEvent {
        version: 2,
        payload: r#"{"zeta":"[anonymised]"}"#.into(),
        reason: None,
    };
    let missing = RewrittenEvent {
        version: 9,
        ..anonymised.clone()
    };
    assert!(
        store
            .rewrite(rewrite(vec![anonymised.clone(), missing]))
            .await
            .is_err(),
        "R-23: a rewrite naming a missing version fails"
    );
    assert_eq!(
        linked(&store, case).await,
        before,
        "R-18: a failed rewrite links nothing"
    );

    ok(store.rewrite(rewrite(vec![anonymised])).await, "rewrite");
    let after = linked(&store, case).await;
    assert_eq!(
        after[0], before[0],
        "R-18: links before the rewritten version are kept"
    );
    for (a, b) in after[1..].iter().zip(&before[1..]) {
        assert_ne!(
            a.link.hash, b.link.hash,
            "R-18: every link from the rewrite on is new"
        );
    }
    let new_head = assert_chained(&store, case, 4).await;
    assert_ne!(new_head, old_head);
    let b = chain::check_pin(&after, &old_head).expect_err("the old head no longer holds");
    assert_eq!(
        b.problem,
        Break::NotAsPinned {
            pinned: old_head.hash
        }
    );

    let mut next = request(case, 4, 1, "r");
    next.read_model = ReadModelUpdate::Case(raw_case_row(case_id, 5));
    ok(store.append(next).await, "append after the rewrite");
    let head = assert_chained(&store, case, 5).await;
    let last = linked(&store, case).await.pop().expect("five events");
    assert_eq!(
        last.link.prev,
        Some(new_head.hash),
        "R-18: it links to the new head"
    );
    assert_eq!(head.version, 5);
}
