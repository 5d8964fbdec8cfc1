//! Contention: 16 tasks issue commands through the public `Casework` API for a few seconds,
//! half of them to one shared case and half each to a case of its own, retrying on
//! `CommandError::Conflict`. Afterwards: the number of events equals the setup events plus
//! the successful commands, every stream's versions run 1, 2, 3… without gaps, and the case
//! folded from its history equals what `Casework::case` answers (through the snapshot).

mod common;

use casework_core::case::fold;
use casework_core::case::{CaseCommand, CaseEvent, Professional, ProfessionalKind};
use casework_core::kernel::ids::{CaseId, ProfessionalId, StreamId};
use casework_core::kernel::input::Text;
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::read::rows::CaseSummary;
use casework_core::store::{CaseQueries, EventLoad};
use casework_service::{Casework, CommandError};
use casework_testkit::fixtures;
use common::TestStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TASKS: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(4);

fn professional(n: usize) -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: Text::parse("name", format!("Fictional Professional {n}")).unwrap(),
        kind: ProfessionalKind::YouthWorker,
        agency: Text::parse("agency", "Fictional Youth Service").unwrap(),
    }
}

#[derive(Default, Debug)]
struct Tally {
    succeeded: u64,
    conflicts: u64,
}

async fn count_events(store: &TestStore) -> i64 {
    store
        .db
        .client()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0)
}

#[test]
fn sixteen_writers_lose_nothing_and_double_nothing() {
    if common::skip() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let store = TestStore::new().await;
    let casework = Arc::new(Casework::new(store.store(), city_girls_service()));
    let worker = fixtures::worker();

    // One shared case, and one case for each of the other half of the tasks.
    let mut cases = Vec::new();
    for _ in 0..=TASKS / 2 {
        let person = casework
            .register_young_person(&worker, fixtures::girl_in_leeds_area())
            .await
            .unwrap();
        let case = casework
            .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
            .await
            .unwrap();
        cases.push(case);
    }
    let setup_events = count_events(&store).await;
    let shared = cases[0];

    let deadline = Instant::now() + RUN_FOR;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let casework = casework.clone();
        let worker = worker.clone();
        let case = if t < TASKS / 2 {
            shared
        } else {
            cases[1 + t - TASKS / 2]
        };
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = 0;
            while Instant::now() < deadline {
                let command = CaseCommand::RecordProfessional {
                    professional: professional(t * 1_000_000 + n),
                };
                match casework.execute(&worker, case, command).await {
                    Ok(done) => {
                        assert_eq!(done.events.len(), 1);
                        tally.succeeded += 1;
                        n += 1;
                    }
                    Err(CommandError::Conflict(c)) => {
                        assert!(c.actual > c.expected, "a lost race reports a newer version");
                        tally.conflicts += 1;
                    }
                    Err(e) => panic!("task {t}: unexpected error {e:?}"),
                }
            }
            (case, tally)
        }));
    }
    let mut per_case: std::collections::HashMap<CaseId, u64> = Default::default();
    let mut succeeded = 0;
    let mut conflicts = 0;
    for t in tasks {
        let (case, tally) = t.await.unwrap();
        *per_case.entry(case).or_default() += tally.succeeded;
        succeeded += tally.succeeded;
        conflicts += tally.conflicts;
    }
    eprintln!(
        "contention: {succeeded} commands in {RUN_FOR:?} ({conflicts} conflicts retried), \
         {} on the shared case",
        per_case[&shared]
    );
    assert!(
        per_case[&shared] > 10,
        "the shared case made progress under contention"
    );
    assert!(
        conflicts > 0,
        "8 writers on one case must have raced at least once"
    );

    // Nothing lost, nothing doubled.
    assert_eq!(
        count_events(&store).await,
        setup_events + succeeded as i64,
        "events = setup events + successful commands"
    );
    for case in &cases {
        let stream = StreamId::Case(*case);
        let raw = store.load(stream).await.unwrap();
        let versions: Vec<u64> = raw.iter().map(|e| e.version).collect();
        let expected: Vec<u64> = (1..=raw.len() as u64).collect();
        assert_eq!(versions, expected, "{case}: versions without gaps");
        let history = casework.history(*case).await.unwrap();
        let professionals = history
            .iter()
            .filter(|e| matches!(e.event, CaseEvent::ProfessionalInvolved { .. }))
            .count() as u64;
        assert_eq!(
            professionals,
            per_case.get(case).copied().unwrap_or(0),
            "{case}: one event per successful command"
        );
        let folded = fold(&history).unwrap().unwrap();
        let current = casework.case(*case).await.unwrap();
        assert_eq!(
            casework_testkit::stored::stored(&folded),
            casework_testkit::stored::stored(&current),
            "{case}: the fold of the history is the current state"
        );
        assert_eq!(
            store.case_summary(*case).await.unwrap(),
            Some(CaseSummary::of(&current, raw.len() as u64)),
            "{case}: the read model is at the last version"
        );
    }
    // The shared case passed a snapshot boundary: its snapshot was written with its events.
    let shared_len = store.load(StreamId::Case(shared)).await.unwrap().len() as u64;
    let snapshot = store.load_snapshot(StreamId::Case(shared)).await.unwrap();
    if shared_len >= casework_service::casework::SNAPSHOT_EVERY {
        let s = snapshot.expect("a snapshot after 64 events");
        assert!(s.version <= shared_len && s.version >= casework_service::casework::SNAPSHOT_EVERY);
    }
}
