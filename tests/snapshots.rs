//! Snapshots are an optimisation, never a source of truth: a snapshot that claims more
//! history than the stream has is ignored, and the case keeps working.

use casework::case::{CaseCommand, StageName};
use casework::kernel::clock::Clock;
use casework::kernel::ids::StreamId;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::service::casework::CASE_SNAPSHOT_SCHEMA;
use casework::store::Snapshot;
use casework::Casework;
use casework_testkit::fixtures;
use std::sync::Arc;

#[tokio::test]
async fn a_snapshot_past_the_end_of_its_stream_is_ignored() {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(fixtures::clock());
    let cw = Casework::new(store.clone(), city_girls_service()).with_clock(clock.clone());
    let worker = fixtures::worker();
    let yp = cw
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = cw
        .receive_referral(&worker, yp, fixtures::self_referral(clock.now()))
        .await
        .unwrap();
    let state = cw.case(case).await.unwrap();
    let stored_version = cw.history(case).await.unwrap().len() as u64;
    // A forged snapshot of the same state, claiming 40 more events than the stream holds.
    store.insert_raw_snapshot(Snapshot {
        stream: StreamId::Case(case),
        version: stored_version + 40,
        schema_version: CASE_SNAPSHOT_SCHEMA,
        state: casework::kernel::confidential::for_storage(|| serde_json::to_string(&state))
            .unwrap(),
    });
    let screened = cw
        .execute(&worker, case, CaseCommand::Screen)
        .await
        .expect("not a conflict");
    assert_eq!(screened.version, stored_version + 1);
    assert_eq!(screened.state.stage(), StageName::Screened);
}
