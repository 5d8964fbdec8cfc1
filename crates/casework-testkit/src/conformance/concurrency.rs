//! Checks of optimistic concurrency: a stale or early expected version is refused and writes
//! nothing, racing writers to one stream (directly and through the service) lose and double
//! nothing, and a conflicting append writes none of its listings (R-17, R-18, R-25, R-28).

use super::listings::{append_listings, assert_listings, listed, listing};
use super::support::{last_version, meta, ok, probe, raw_case_row, Desk};
use crate::fixtures;
use crate::stored::stored;
use casework_core::case::fold;
use casework_core::case::{CaseCommand, Professional, ProfessionalKind, StageName};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::ids::{
    AccessId, CaseId, ProfessionalId, StreamId, WorkshopId, YoungPersonId,
};
use casework_core::read::rows::{
    CaseSummary, Listed, Listing, ListingKind, ListingQuery, ReadModelUpdate,
};
use casework_core::store::{AppendError, AppendRequest, Conflict, Snapshot, Store};
use casework_service::casework::CASE_SNAPSHOT_SCHEMA;
use casework_service::CommandError;
use chrono::Duration;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// R-18 and R-17 (no change lost or overwritten; no decision recorded on a state that has since
/// changed), by optimistic concurrency: an append at a stale expected version (behind the stream),
/// at one ahead of it, or at a non-zero version on an unknown stream is refused with
/// [`AppendError::Conflict`] carrying the stream, the expected and the actual version, and writes
/// nothing: not the events, not the read-model row, not the snapshot. An append at the right
/// version then succeeds.
pub async fn stale_expected_version_is_refused<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let person = desk.person("Cara Example").await;
    let case = desk.refer(person, desk.now()).await;
    let stream = StreamId::Case(case);
    let before_events = desk.load(case).await;
    let actual = last_version(&before_events);
    assert!(actual >= 2, "a self-referral writes several events");
    let before_row = desk.summary(case).await;
    let before_case = ok(desk.cw.case(case).await, "load the case");

    let intruder = |expected: u64| AppendRequest {
        stream,
        expected_version: expected,
        events: vec![probe(
            "stale",
            expected,
            1,
            meta(&desk.worker, desk.now(), None),
        )],
        read_model: ReadModelUpdate::Case(CaseSummary {
            stage: StageName::Closed,
            closure_reason: Some("other".into()),
            version: 99,
            ..before_row.clone()
        }),
        snapshot: Some(Snapshot {
            stream,
            version: 99,
            schema_version: CASE_SNAPSHOT_SCHEMA,
            state: "{}".into(),
        }),
        listings: None,
        idempotency: None,
    };

    for expected in [0, actual - 1, actual + 1, actual + 5] {
        match desk.store().append(intruder(expected)).await {
            Err(AppendError::Conflict(conflict)) => assert_eq!(
                conflict,
                Conflict {
                    stream,
                    expected,
                    actual
                },
                "the conflict names the stream, the expected and the actual version"
            ),
            other => panic!(
                "an append expecting version {expected} of a stream at {actual} must be refused \
                 with a conflict, got {other:?}"
            ),
        }
        assert_eq!(
            desk.load(case).await,
            before_events,
            "a refused append writes no event (expected {expected})"
        );
        assert_eq!(
            desk.summary(case).await,
            before_row,
            "a refused append leaves the read model unchanged (expected {expected})"
        );
        assert_eq!(
            ok(desk.store().load_snapshot(stream).await, "load_snapshot"),
            None,
            "a refused append writes no snapshot (expected {expected})"
        );
        assert_eq!(
            stored(&ok(desk.cw.case(case).await, "load the case")),
            stored(&before_case),
            "the case is as it was"
        );
    }

    // An unknown stream is at version 0.
    let nowhere = CaseId::new();
    let mut request = intruder(2);
    request.stream = StreamId::Case(nowhere);
    match desk.store().append(request).await {
        Err(AppendError::Conflict(conflict)) => assert_eq!(
            conflict,
            Conflict {
                stream: StreamId::Case(nowhere),
                expected: 2,
                actual: 0
            }
        ),
        other => panic!("an append at version 2 of an unknown stream must conflict, got {other:?}"),
    }
    assert_eq!(
        ok(desk.store().load(StreamId::Case(nowhere)).await, "load"),
        vec![]
    );
    assert_eq!(
        ok(desk.store().case_summary(nowhere).await, "case_summary"),
        None,
        "a refused append to a new stream writes no row"
    );

    // The refusals were about the version: at the right one, the same append succeeds.
    let mut right = intruder(actual);
    right.read_model = ReadModelUpdate::Case(CaseSummary {
        version: actual + 1,
        ..before_row.clone()
    });
    right.snapshot = None;
    assert_eq!(
        ok(
            desk.store().append(right).await,
            "append at the actual version"
        ),
        actual + 1
    );
    assert_eq!(
        last_version(&desk.load(case).await),
        actual + 1,
        "the append at the right version is stored"
    );
}

/// R-18 and R-28 (every change kept, in one order) under load: 8 writers each make 20 appends (of
/// one or two events) to one stream, each at the version it last loaded, reloading and retrying on
/// conflict. Exactly one append wins each version: nothing is lost or doubled, versions run 1..n
/// without gaps, each append's events are contiguous, the total is the sum of the successful
/// appends, and the read-model row reflects the last version.
pub async fn concurrent_writers_to_one_stream<S: Store + 'static>(store: S) {
    const WRITERS: u64 = 8;
    const APPENDS: u64 = 20;
    const MAX_ATTEMPTS: u32 = 1000;
    let store = Arc::new(store);
    let case = CaseId::new();
    let stream = StreamId::Case(case);
    let start = Arc::new(tokio::sync::Barrier::new(WRITERS as usize));
    let writer = Arc::new(fixtures::worker());

    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        let start = start.clone();
        let writer = writer.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            // (version returned, append number, events in it), and conflicts seen.
            let mut wins: Vec<(u64, u64, u64)> = Vec::new();
            let mut conflicts = 0u64;
            for a in 0..APPENDS {
                let parts = if a % 3 == 0 { 2 } else { 1 };
                for attempt in 0.. {
                    assert!(
                        attempt < MAX_ATTEMPTS,
                        "writer {w}: no progress after {MAX_ATTEMPTS} conflicts in a row"
                    );
                    let loaded = ok(store.load(stream).await, "load under contention");
                    assert!(
                        loaded
                            .iter()
                            .enumerate()
                            .all(|(i, e)| e.version == i as u64 + 1),
                        "versions run 1..n without gaps or repeats at every moment, got {:?}",
                        loaded.iter().map(|e| e.version).collect::<Vec<_>>()
                    );
                    let version = last_version(&loaded);
                    tokio::task::yield_now().await;
                    let events = (0..parts)
                        .map(|p| {
                            probe(
                                &format!("w{w}-a{a}-p{p}"),
                                w * 1000 + a * 10 + p,
                                1,
                                meta(&writer, fixtures::start(), None),
                            )
                        })
                        .collect();
                    let request = AppendRequest {
                        stream,
                        expected_version: version,
                        events,
                        read_model: ReadModelUpdate::Case(raw_case_row(case, version + parts)),
                        snapshot: None,
                        listings: None,
                        idempotency: None,
                    };
                    match store.append(request).await {
                        Ok(new_version) => {
                            assert_eq!(
                                new_version,
                                version + parts,
                                "a winning append returns expected + its events"
                            );
                            wins.push((new_version, a, parts));
                            break;
                        }
                        Err(AppendError::Conflict(c)) => {
                            assert_eq!(c.stream, stream);
                            assert_eq!(c.expected, version);
                            assert!(
                                c.actual > version,
                                "a lost race reports a later version, got {c:?}"
                            );
                            conflicts += 1;
                        }
                        Err(AppendError::KeyTaken(key)) => {
                            panic!("no key was sent, yet {key} is taken")
                        }
                        Err(AppendError::SecondOpenCase(e)) => {
                            panic!("writer {w}: one stream's row refused as a second case: {e}")
                        }
                        Err(AppendError::Store(e)) => {
                            panic!("writer {w}: the store failed under contention: {e}")
                        }
                    }
                }
            }
            (w, wins, conflicts)
        }));
    }

    let mut wins_by_version: BTreeMap<u64, (u64, u64, u64)> = BTreeMap::new();
    let mut total_events = 0u64;
    for task in tasks {
        let (w, wins, _conflicts) = ok(task.await, "writer task");
        assert_eq!(
            wins.len() as u64,
            APPENDS,
            "writer {w} made all its appends"
        );
        for (version, a, parts) in wins {
            total_events += parts;
            assert!(
                wins_by_version.insert(version, (w, a, parts)).is_none(),
                "two appends both won version {version}"
            );
        }
    }

    let loaded = ok(store.load(stream).await, "load after the race");
    assert_eq!(
        loaded.len() as u64,
        total_events,
        "the stream holds exactly the events of the successful appends"
    );
    for (i, e) in loaded.iter().enumerate() {
        assert_eq!(e.version, i as u64 + 1, "versions run 1..n without gaps");
    }
    assert!(
        loaded.windows(2).all(|p| p[0].position < p[1].position),
        "positions increase with versions"
    );
    let mut seen = BTreeSet::new();
    for e in &loaded {
        assert!(
            seen.insert(e.payload.clone()),
            "an event is stored twice: {}",
            e.payload
        );
    }
    for (&end, &(w, a, parts)) in &wins_by_version {
        for p in 0..parts {
            let at = (end - parts + p + 1) as usize - 1;
            let tag = format!(r#"{{"zeta":"w{w}-a{a}-p{p}","#);
            assert!(
                loaded[at].payload.starts_with(&tag),
                "version {}: expected writer {w} append {a} part {p} (a contiguous block ending \
                 at the version its append returned), found {}",
                at + 1,
                loaded[at].payload
            );
        }
    }
    let row =
        ok(store.case_summary(case).await, "case_summary").expect("the racing appends wrote a row");
    assert_eq!(
        row.version, total_events,
        "the read-model row is the last committed append's"
    );
    let after = ok(
        store.load_after(stream, total_events / 2).await,
        "load_after",
    );
    assert_eq!(after, loaded[(total_events / 2) as usize..].to_vec());
}

/// R-18 and R-25 through the service: 8 workers each record 5 professionals on one case at
/// once, retrying on [`CommandError::Conflict`] (the service retries nothing itself). Every
/// professional is recorded exactly once and the read-model row follows the last version.
pub async fn concurrent_commands_on_one_case<S: Store + 'static>(store: S) {
    const WORKERS: usize = 8;
    const EACH: usize = 5;
    let desk = Desk::new(store);
    let person = desk.person("Dee Example").await;
    let case = desk.refer(person, desk.now()).await;
    let opened = last_version(&desk.load(case).await);
    let cw = Arc::new(desk.0.cw);
    let start = Arc::new(tokio::sync::Barrier::new(WORKERS));

    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let cw = cw.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::worker(format!("Worker {w} (fictional)"));
            start.wait().await;
            let mut recorded = Vec::new();
            for n in 0..EACH {
                let professional = Professional {
                    id: ProfessionalId::new(),
                    name: fixtures::text(&format!("Professional {w}-{n}")),
                    kind: ProfessionalKind::YouthWorker,
                    agency: fixtures::text("Fictional Youth Service"),
                };
                for attempt in 0.. {
                    assert!(
                        attempt < 1000,
                        "worker {w}: no progress after 1000 conflicts in a row"
                    );
                    let command = CaseCommand::RecordProfessional {
                        professional: professional.clone(),
                    };
                    match cw.execute(&actor, case, command).await {
                        Ok(_) => break,
                        Err(CommandError::Conflict(c)) => {
                            assert_eq!(c.stream, StreamId::Case(case));
                            tokio::task::yield_now().await;
                        }
                        Err(e) => panic!("worker {w}: recording a professional failed: {e:?}"),
                    }
                }
                recorded.push(professional.id);
            }
            recorded
        }));
    }
    let mut expected = BTreeSet::new();
    for task in tasks {
        expected.extend(ok(task.await, "worker task"));
    }

    let case_now = ok(cw.case(case).await, "load the case");
    let got: Vec<ProfessionalId> = case_now.file().professionals.iter().map(|p| p.id).collect();
    assert_eq!(
        got.len(),
        WORKERS * EACH,
        "every professional recorded exactly once"
    );
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
    let events = ok(
        casework_service::bypass::raw_store(&cw)
            .load(StreamId::Case(case))
            .await,
        "load",
    );
    assert_eq!(last_version(&events), opened + (WORKERS * EACH) as u64);
    let history = ok(cw.history(case).await, "history");
    assert_eq!(
        stored(&ok(fold(&history), "fold")),
        stored(&Some(&case_now)),
        "the fold of the stored history is the case"
    );
    let row = ok(
        casework_service::bypass::raw_store(&cw)
            .case_summary(case)
            .await,
        "case_summary",
    )
    .expect("a row");
    assert_eq!(row, CaseSummary::of(&case_now, last_version(&events)));
}

/// R-18 and R-17 for listings: an append refused with a conflict writes none of its listings
/// (neither replacing nor removing the stream's), whether behind, ahead or on a new stream;
/// under racing writers, no loser's listings are ever seen, and the stream's listings in the
/// end are those of the append that won the last version.
pub async fn conflicting_append_writes_no_listings<S: Store + 'static>(store: S) {
    const WRITERS: u64 = 6;
    const APPENDS: u64 = 8;
    let stream = StreamId::Workshop(WorkshopId::new());
    let kind = ListingKind::Workshop;
    let kept = vec![
        listing(kind, "school", Some(fixtures::start()), r#"{"kept":1}"#),
        listing(kind, "youth_club", None, r#"{"kept":2}"#),
    ];
    append_listings(&store, stream, Some(kept.clone())).await;
    append_listings(&store, stream, None).await;
    let mut written = BTreeMap::from([(stream, kept)]);

    let intruder = |stream: StreamId, expected: u64, listings: Vec<Listing>| AppendRequest {
        stream,
        expected_version: expected,
        events: vec![probe(
            "intruder",
            expected,
            1,
            meta(&fixtures::worker(), fixtures::start(), None),
        )],
        read_model: ReadModelUpdate::None,
        snapshot: None,
        listings: Some(listings),
        idempotency: None,
    };
    let replacement = vec![listing(kind, "school", None, r#"{"intruder":true}"#)];
    for (expected, listings) in [
        (0, replacement.clone()),
        (1, replacement.clone()),
        (1, vec![]),
        (3, replacement.clone()),
        (9, vec![]),
    ] {
        let removes = listings.is_empty();
        match store.append(intruder(stream, expected, listings)).await {
            Err(AppendError::Conflict(c)) => assert_eq!(c.actual, 2),
            other => panic!(
                "an append expecting version {expected} of a stream at 2 must conflict, got \
                 {other:?}"
            ),
        }
        assert_listings(
            &store,
            &written,
            &format!(
                "a conflicting append (expected {expected}) that {} the stream's listings",
                if removes {
                    "would remove"
                } else {
                    "would replace"
                }
            ),
        )
        .await;
    }
    let nowhere = StreamId::Access(AccessId::new());
    let access = vec![listing(ListingKind::Access, "", None, "{}")];
    assert!(
        matches!(
            store.append(intruder(nowhere, 3, access)).await,
            Err(AppendError::Conflict(_))
        ),
        "an append at version 3 of an unknown stream conflicts"
    );
    assert_listings(&store, &written, "a conflicting append to a new stream").await;

    // Racing writers on one stream without a row, each append carrying listings that name it.
    let store = Arc::new(store);
    let race = StreamId::Disclosures(CaseId::new());
    let tagged = |w: u64, a: u64, attempt: u32| {
        vec![
            listing(
                ListingKind::Disclosure,
                &format!("w{w}"),
                Some(fixtures::start() + Duration::microseconds((w * 1000 + a) as i64)),
                &format!(r#"{{"w":{w},"a":{a},"attempt":{attempt}}}"#),
            ),
            listing(ListingKind::Override, "", None, &format!(r#"{{"w":{w}}}"#)),
        ]
    };
    let start = Arc::new(tokio::sync::Barrier::new(WRITERS as usize));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut wins: Vec<(u64, Vec<Listing>)> = Vec::new();
            let mut seen: Vec<Listed> = Vec::new();
            for a in 0..APPENDS {
                for attempt in 0u32.. {
                    assert!(
                        attempt < 1000,
                        "writer {w}: no progress after 1000 conflicts"
                    );
                    let version = last_version(&ok(store.load(race).await, "load"));
                    let listings = tagged(w, a, attempt);
                    let request = AppendRequest {
                        listings: Some(listings.clone()),
                        ..intruder(race, version, vec![])
                    };
                    let outcome = store.append(request).await;
                    for kind in [ListingKind::Disclosure, ListingKind::Override] {
                        seen.extend(listed(&*store, &ListingQuery::all(kind)).await);
                    }
                    match outcome {
                        Ok(v) => {
                            wins.push((v, listings));
                            break;
                        }
                        Err(AppendError::Conflict(_)) => tokio::task::yield_now().await,
                        Err(AppendError::KeyTaken(key)) => {
                            panic!("writer {w}: no key sent, {key} taken")
                        }
                        Err(AppendError::SecondOpenCase(e)) => panic!("writer {w}: {e}"),
                        Err(AppendError::Store(e)) => panic!("writer {w}: {e}"),
                    }
                }
            }
            (wins, seen)
        }));
    }
    let mut wins: BTreeMap<u64, Vec<Listing>> = BTreeMap::new();
    let mut seen = Vec::new();
    for task in tasks {
        let (won, saw) = ok(task.await, "writer task");
        wins.extend(won);
        seen.extend(saw);
    }
    assert_eq!(
        wins.len() as u64,
        WRITERS * APPENDS,
        "one winner per version"
    );
    for l in seen.iter().filter(|l| l.stream == race) {
        assert!(
            wins.values().any(|won| won.contains(&l.listing)),
            "a listing of an append that lost its race was visible: {l:?}"
        );
    }
    let (_, last) = wins.last_key_value().expect("appends won");
    written.insert(race, last.clone());
    assert_listings(
        &*store,
        &written,
        "after the race: the listings of the append that won the last version",
    )
    .await;
}

/// R-17 under a race: 8 referrals for one young person, decided at the same moment through
/// the service, all pass the service's "no open case" check before any is stored; the store
/// lets exactly one open a case. Every other is refused with
/// [`casework_core::kernel::error::DomainError::OpenCaseExists`] naming that case, and nothing
/// of it is left: one case row, one set of owed actions, one waiting-list entry at most.
pub async fn concurrent_referrals_open_one_case<S: Store + 'static>(store: S) {
    use casework_core::kernel::error::DomainError;
    const REFERRALS: usize = 8;
    let desk = Desk::new(store);
    let person = desk.person("Esme Example").await;
    let received_at = desk.now();
    let cw = Arc::new(desk.0.cw);
    let start = Arc::new(tokio::sync::Barrier::new(REFERRALS));

    let mut tasks = Vec::new();
    for r in 0..REFERRALS {
        let cw = cw.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::worker(format!("Intake Worker {r} (fictional)"));
            start.wait().await;
            cw.receive_referral(&actor, person, fixtures::self_referral(received_at))
                .await
        }));
    }
    let mut opened = Vec::new();
    let mut refused = Vec::new();
    for task in tasks {
        match ok(task.await, "referral task") {
            Ok(case) => opened.push(case),
            Err(CommandError::Rejected(DomainError::OpenCaseExists { case })) => refused.push(case),
            Err(e) => panic!("R-17: a racing referral failed otherwise than OpenCaseExists: {e:?}"),
        }
    }
    assert_eq!(
        opened.len(),
        1,
        "R-17: of {REFERRALS} racing referrals for one young person exactly one opens a case, \
         got {opened:?}"
    );
    assert!(
        refused.iter().all(|case| *case == opened[0]),
        "R-17: every refused referral names the case that opened ({}), got {refused:?}",
        opened[0]
    );
    let cases = ok(cw.cases_of(person).await, "cases_of");
    assert_eq!(
        cases.iter().map(|c| c.case_id).collect::<Vec<_>>(),
        opened,
        "R-17: the young person has one case and no trace of the refused ones"
    );
    let waiting = ok(cw.waiting_list().await, "waiting_list");
    assert!(
        waiting
            .iter()
            .filter(|c| c.young_person_id == person)
            .count()
            <= 1,
        "R-7, R-17: at most one waiting-list entry for the young person"
    );
    let owed = ok(cw.outstanding_actions().await, "outstanding_actions");
    assert!(
        owed.iter().all(|a| a.case_id == opened[0]),
        "R-5, R-17: owed actions only on the case that opened"
    );
}

/// R-17 held by the store: a case row at a stage not finished is refused with
/// [`AppendError::SecondOpenCase`] (naming the young person and the case refused) while its
/// young person has another case not finished, and nothing of that append is written: not its
/// events, its row or its listings. A finished row for the same young person is accepted (a
/// past referral, declined), and once the open case finishes a new one may open. A second open
/// case for a different young person is no concern of the first's.
pub async fn second_open_case_is_refused<S: Store + 'static>(store: S) {
    let worker = fixtures::worker();
    let at = fixtures::start();
    let person = YoungPersonId::new();
    let row = |case: CaseId, stage: StageName, version: u64| CaseSummary {
        young_person_id: person,
        stage,
        ..raw_case_row(case, version)
    };
    let append = |case: CaseId, expected: u64, stage: StageName| AppendRequest {
        stream: StreamId::Case(case),
        expected_version: expected,
        events: vec![probe("open", expected + 1, 1, meta(&worker, at, None))],
        read_model: ReadModelUpdate::Case(row(case, stage, expected + 1)),
        snapshot: None,
        listings: Some(vec![listing(ListingKind::Referral, "", Some(at), "{}")]),
        idempotency: None,
    };
    let (first, second, declined, later) =
        (CaseId::new(), CaseId::new(), CaseId::new(), CaseId::new());
    ok(
        store.append(append(first, 0, StageName::Received)).await,
        "open the first case",
    );
    ok(
        store.append(append(declined, 0, StageName::Declined)).await,
        "R-17: a finished case row beside the open one",
    );
    match store.append(append(second, 0, StageName::Received)).await {
        Err(AppendError::SecondOpenCase(refused)) => assert_eq!(
            (refused.young_person, refused.case),
            (person, second),
            "R-17: the refusal names the young person and the case refused"
        ),
        other => panic!("R-17: a second open case row must be refused, got {other:?}"),
    }
    assert_eq!(
        ok(store.load(StreamId::Case(second)).await, "load").len(),
        0,
        "R-17: nothing of the refused case's events is stored"
    );
    assert_eq!(
        ok(store.case_summary(second).await, "case_summary"),
        None,
        "R-17: the refused case has no row"
    );
    let referrals = listed(&store, &ListingQuery::all(ListingKind::Referral)).await;
    assert!(
        referrals.iter().all(|l| l.stream != StreamId::Case(second)),
        "R-17: the refused case has no listings"
    );
    // Other commands on the open case still write its row.
    ok(
        store.append(append(first, 1, StageName::WaitingList)).await,
        "the open case's next command",
    );
    // Another young person's open case is no concern of this one's.
    let other = CaseId::new();
    ok(
        store
            .append(AppendRequest {
                read_model: ReadModelUpdate::Case(raw_case_row(other, 1)),
                ..append(other, 0, StageName::Received)
            })
            .await,
        "another young person's open case",
    );
    // Once the open case finishes, a new referral may open one.
    ok(
        store.append(append(first, 2, StageName::Withdrawn)).await,
        "the open case withdrawn",
    );
    ok(
        store.append(append(later, 0, StageName::Received)).await,
        "R-17: after the open case finished, a new case opens",
    );
}
