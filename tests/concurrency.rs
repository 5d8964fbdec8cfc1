//! Two writers, one case (R-18: every change kept, none lost). The memory store checks the
//! expected version under the same lock as the append, so of two racing appends exactly one
//! wins; the facade surfaces the loser as `CommandError::Conflict` and retries nothing.

#[macro_use]
mod support;

use casework::case::{CaseCommand, CaseEvent, StageName};
use casework::kernel::clock::Clock;
use casework::kernel::event::{DomainEvent, EventMeta, RecordedEvent};
use casework::kernel::ids::{CaseId, EventId, StreamId};
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::read::rows::{CaseSummary, ReadModelUpdate};
use casework::store::{
    AppendError, AppendRequest, EventAppend, EventLoad, RewriteRequest, Snapshot, StoreError,
};
use casework::{Casework, CommandError};
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, social_worker};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Barrier;

async fn one_case(store: Arc<MemoryStore>) -> (Casework<Arc<MemoryStore>>, CaseId) {
    let casework = Casework::new(store, city_girls_service())
        .with_clock(Arc::new(fixtures::clock()) as Arc<dyn Clock>);
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, person, self_referral(fixtures::start()))
        .await
        .unwrap();
    (casework, case)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_two_concurrent_appends_on_the_memory_store_exactly_one_wins() {
    let store = Arc::new(MemoryStore::new());
    let (casework, case) = one_case(store.clone()).await;
    let stream = StreamId::Case(case);
    let state = casework.case(case).await.unwrap();
    for round in 0..50u64 {
        let version = store.load(stream).await.unwrap().len() as u64;
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let store = store.clone();
                let barrier = barrier.clone();
                let request = AppendRequest {
                    stream,
                    expected_version: version,
                    events: vec![CaseEvent::ProfessionalInvolved {
                        professional: social_worker(),
                    }
                    .encode(EventMeta {
                        event_id: EventId::new(),
                        recorded_at: fixtures::start(),
                        actor: fixtures::worker(),
                        reason: None,
                    })],
                    read_model: ReadModelUpdate::Case(CaseSummary::of(&state, version + 1)),
                    snapshot: None,
                    listings: None,
                    idempotency: None,
                };
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.append(request).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for racer in racers {
            results.push(racer.await.unwrap());
        }
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {results:?}");
        for result in results {
            match result {
                Ok(v) => assert_eq!(v, version + 1),
                Err(AppendError::Conflict(c)) => {
                    assert_eq!(
                        (c.stream, c.expected, c.actual),
                        (stream, version, version + 1)
                    )
                }
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        let stored = store.load(stream).await.unwrap();
        assert_eq!(
            stored.len() as u64,
            version + 1,
            "round {round}: one event added"
        );
    }
}

/// A store that holds every case-stream read at a barrier while armed, so two commands are
/// guaranteed to decide on the same version before either appends.
struct RacingStore {
    inner: MemoryStore,
    armed: AtomicBool,
    barrier: Barrier,
}

use support::Boxed;

impl EventLoad for RacingStore {
    fn load<'a, 'b>(&'a self, stream: StreamId) -> Boxed<'b, Result<Vec<RecordedEvent>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.load(stream)
    }

    fn load_after<'a, 'b>(
        &'a self,
        stream: StreamId,
        version: u64,
    ) -> Boxed<'b, Result<Vec<RecordedEvent>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        // Deciding a command reads the stream through `load_after` (via `load_latest`).
        Box::pin(async move {
            let events = self.inner.load_after(stream, version).await?;
            if matches!(stream, StreamId::Case(_)) && self.armed.load(Ordering::SeqCst) {
                self.barrier.wait().await;
            }
            Ok(events)
        })
    }

    fn load_snapshot<'a, 'b>(
        &'a self,
        stream: StreamId,
    ) -> Boxed<'b, Result<Option<Snapshot>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.load_snapshot(stream)
    }
}

/// Keeps no data keys: nothing here seals.
impl casework_core::privacy::key_store::KeyStore for RacingStore {}

impl EventAppend for RacingStore {
    fn append<'a, 'b>(&'a self, request: AppendRequest) -> Boxed<'b, Result<u64, AppendError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.append(request)
    }

    fn rewrite<'a, 'b>(&'a self, request: RewriteRequest) -> Boxed<'b, Result<(), StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.rewrite(request)
    }
}

forward_case_queries!(RacingStore, inner);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_two_concurrent_commands_on_one_case_one_wins_the_other_gets_conflict() {
    let store = Arc::new(RacingStore {
        inner: MemoryStore::new(),
        armed: AtomicBool::new(false),
        barrier: Barrier::new(2),
    });
    let casework = Arc::new(
        Casework::new(store.clone(), city_girls_service())
            .with_clock(Arc::new(fixtures::clock()) as Arc<dyn Clock>),
    );
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    let case = casework
        .receive_referral(&worker, person, self_referral(fixtures::start()))
        .await
        .unwrap();
    let version = casework.history(case).await.unwrap().len() as u64;

    store.armed.store(true, Ordering::SeqCst);
    // Two workers screen the same referral at the same moment.
    let racers: Vec<_> = [fixtures::worker(), fixtures::manager()]
        .into_iter()
        .map(|actor| {
            let casework = casework.clone();
            tokio::spawn(async move { casework.execute(&actor, case, CaseCommand::Screen).await })
        })
        .collect();
    let mut results = Vec::new();
    for racer in racers {
        results.push(racer.await.unwrap());
    }
    store.armed.store(false, Ordering::SeqCst);

    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(winners[0].version, version + 1);
    let conflict = results
        .iter()
        .find_map(|r| match r {
            Err(CommandError::Conflict(c)) => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the loser must see a conflict: {results:?}"));
    assert_eq!(conflict.stream, StreamId::Case(case));
    assert_eq!((conflict.expected, conflict.actual), (version, version + 1));

    // Only the winner's event was kept, and nothing was retried behind the caller's back:
    // deciding again on the reloaded case is the caller's choice, and here it is refused.
    let history = casework.history(case).await.unwrap();
    assert_eq!(history.len() as u64, version + 1);
    assert_eq!(
        casework.case(case).await.unwrap().stage(),
        StageName::Screened
    );
    let again = casework
        .execute(&fixtures::worker(), case, CaseCommand::Screen)
        .await;
    assert!(matches!(again, Err(CommandError::Rejected(_))), "{again:?}");
}
