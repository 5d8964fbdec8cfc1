//! Model-based property tests of the safeguarding rules on every store.
//!
//! Random sequences of steps by two workers and a manager, over several young people and
//! cases, run on the real `Casework` facade and are compared, step by step, with the testkit's
//! reference model (`casework_testkit::model`): every step's events or typed error, every
//! case's key facts. After every step the rules' invariants are checked (R-1, R-2, R-5, R-7,
//! R-16, R-17; R-18: gap-free versions, fold = the service's state, `case_as_of`). Memory and
//! SQLite always run; Postgres runs when `DATABASE_URL` is set, and fails without it when
//! `CASEWORK_REQUIRE_POSTGRES=1` (as in CI).
//!
//! The tests can fail: three more run the same test against a service that departs from the
//! model (its risk tool lacks the under-13 floor) and against stores with a deliberate fault
//! (a misordered waiting list, a lost event), and check that each is caught, with the shrunk
//! sequence's numbered history. One ignored test shows a core bug (R-18, clock stepping back).
//!
//! Counts: memory and SQLite run `4 × PROPTEST_CASES` sequences each (CI sets 256: 1,024 per
//! store), Postgres `PROPTEST_CASES`; each sequence has 1 to `CASEWORK_MODEL_STEPS` steps
//! (default 48). A long run before a release (40,000 sequences on each embedded store):
//!
//! ```sh
//! PROPTEST_CASES=10000 cargo test --release --all-features --test model_based -- --nocapture
//! ```
//!
//! Each test prints what it ran to stderr (sequences, steps, cases, refusals by rule, stages
//! reached, time); `--nocapture` shows it. `CASEWORK_MODEL_VERBOSE=1` prints every panic of
//! a failing run's shrinking too.

use casework::memory::MemoryStore;
use casework::sqlite::SqliteStore;
use casework_testkit::model::{run, RunConfig, RunReport, StoreFactory};

struct Memory;

impl StoreFactory for Memory {
    type Store = MemoryStore;
    fn name() -> &'static str {
        "memory"
    }
    async fn fresh() -> MemoryStore {
        MemoryStore::new()
    }
}

struct Sqlite;

impl StoreFactory for Sqlite {
    type Store = SqliteStore;
    fn name() -> &'static str {
        "SQLite"
    }
    async fn fresh() -> SqliteStore {
        SqliteStore::temporary().expect("a temporary SQLite store")
    }
}

/// Prints what ran and, for a run big enough to be sure of it, checks that the sequences
/// reached every stage and were refused under every rule the model knows (so a generator that
/// stopped reaching them cannot pass quietly), and that some cases passed the snapshot interval.
fn report(report: RunReport) {
    eprintln!("{report}");
    if report.sequences >= 200 {
        assert_eq!(
            report.stages.len(),
            casework::case::StageName::ALL.len(),
            "every stage is reached: {report}"
        );
        for rule in ["R-1", "R-2", "R-4", "R-5", "R-16", "R-17", "R-24"] {
            assert!(
                report.refusals.contains_key(rule),
                "some step is refused under {rule}: {report}"
            );
        }
    }
    if report.sequences >= 1_000 {
        assert!(
            report.refusals.contains_key("R-7"),
            "some allocation is refused out of waiting-list order (R-7): {report}"
        );
        assert!(
            report.snapshotted > 0,
            "some case passes the snapshot interval: {report}"
        );
    }
}

#[test]
fn memory_store_follows_the_model() {
    match run::<Memory>(&RunConfig::from_env().times(4).threads(2)) {
        Ok(r) => report(r),
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn sqlite_store_follows_the_model() {
    match run::<Sqlite>(&RunConfig::from_env().times(4).threads(4)) {
        Ok(r) => report(r),
        Err(failure) => panic!("{failure}"),
    }
}

/// Postgres: one test database for the whole run ([`TestDatabase`], prefix `casework_model_`),
/// created on the server `DATABASE_URL` names and dropped at the end, passed or failed; each
/// sequence gets its own schema in it (the store creates its tables in the first schema of the
/// connection's `search_path`), dropped once it passed.
///
/// [`TestDatabase`]: casework_testkit::postgres_db::TestDatabase
#[cfg(feature = "postgres")]
mod pg {
    use casework::postgres::PostgresStore;
    use casework_testkit::model::StoreFactory;
    use casework_testkit::postgres_db::{connect, with_param, TestDatabase};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    /// The test database's URL while a run is under way.
    static DATABASE: Mutex<Option<String>> = Mutex::new(None);
    static SCHEMAS: AtomicU64 = AtomicU64::new(0);

    /// The run's database; the store factory finds it while this lives.
    pub struct RunDatabase {
        _database: TestDatabase,
    }

    impl RunDatabase {
        pub fn create(server: &str) -> RunDatabase {
            let database = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(TestDatabase::create_on(server, "casework_model_"));
            *DATABASE.lock().unwrap_or_else(|e| e.into_inner()) = Some(database.url().to_owned());
            RunDatabase {
                _database: database,
            }
        }
    }

    impl Drop for RunDatabase {
        fn drop(&mut self) {
            *DATABASE.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    pub struct Postgres;

    impl StoreFactory for Postgres {
        type Store = PostgresStore;
        fn name() -> &'static str {
            "Postgres"
        }
        async fn fresh() -> PostgresStore {
            let database = DATABASE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .expect("the test database is created before the run");
            let schema = format!("sequence_{}", SCHEMAS.fetch_add(1, Ordering::Relaxed));
            connect(&database)
                .await
                .batch_execute(&format!("CREATE SCHEMA {schema}"))
                .await
                .unwrap_or_else(|e| panic!("CREATE SCHEMA {schema}: {e}"));
            let url = with_param(&database, &format!("options=-c%20search_path%3D{schema}"));
            let store = PostgresStore::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("connect to schema {schema}: {e}"));
            store.migrate().await.expect("migrate a fresh schema");
            store
        }
        async fn dispose(store: &PostgresStore) {
            let schema: String = store
                .pool()
                .get()
                .await
                .expect("a connection")
                .query_one("SELECT current_schema()", &[])
                .await
                .expect("the current schema")
                .get(0);
            store.pool().close();
            let database = DATABASE.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(database) = database {
                let _ = connect(&database)
                    .await
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await;
            }
        }
    }
}

/// Postgres, when `DATABASE_URL` names a server (CI sets it, and sets
/// `CASEWORK_REQUIRE_POSTGRES=1` so that a missing server fails instead of skipping).
#[test]
fn postgres_store_follows_the_model() {
    #[cfg(feature = "postgres")]
    {
        let Some(server) =
            casework_testkit::postgres_db::server_or_skip("model-based Postgres run")
        else {
            return;
        };
        let _database = pg::RunDatabase::create(&server);
        match run::<pg::Postgres>(&RunConfig::from_env().threads(4)) {
            Ok(r) => report(r),
            Err(failure) => panic!("{failure}"),
        }
    }
    #[cfg(not(feature = "postgres"))]
    {
        assert!(
            !casework_testkit::postgres_db::required(),
            "CASEWORK_REQUIRE_POSTGRES=1 but this build has no `postgres` feature"
        );
        casework_testkit::say_skipped(
            "model-based Postgres run: built without the `postgres` feature",
        );
    }
}

/// A store with one deliberate fault, to show that the model-based test catches it.
mod faulty {
    use casework::kernel::event::RecordedEvent;
    use casework::kernel::ids::{CaseId, StreamId, YoungPersonId};
    use casework::memory::MemoryStore;
    use casework::read::rows::{CaseSummary, Listed, ListingQuery, OwedActionSummary};
    use casework::store::{
        AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
        StoreError,
    };
    use casework_testkit::model::StoreFactory;
    use chrono::{DateTime, Utc};
    use std::future::Future;
    use std::pin::Pin;

    /// What the store gets wrong.
    pub trait Fault: Send + Sync + 'static {
        /// Its name.
        const NAME: &'static str;
        /// The waiting list as the faulty store answers it.
        fn waiting_list(list: Vec<CaseSummary>) -> Vec<CaseSummary> {
            list
        }
        /// An append as the faulty store writes it.
        fn append(request: AppendRequest) -> AppendRequest {
            request
        }
    }

    /// Answers the waiting list with the two cases at its head swapped (R-7).
    pub struct SwapsWaitingListHead;
    impl Fault for SwapsWaitingListHead {
        const NAME: &'static str = "memory, waiting list head swapped";
        fn waiting_list(mut list: Vec<CaseSummary>) -> Vec<CaseSummary> {
            if list.len() >= 2 {
                list.swap(0, 1);
            }
            list
        }
    }

    /// Loses the read-model row of an owed action once it is discharged and another is raised
    /// (the outstanding-actions query then misses nothing, but a case's row is wrong) (R-5).
    pub struct DropsLastEventOfLongAppends;
    impl Fault for DropsLastEventOfLongAppends {
        const NAME: &'static str = "memory, last event of a 3-event append lost";
        fn append(mut request: AppendRequest) -> AppendRequest {
            if request.events.len() >= 3 {
                request.events.pop();
            }
            request
        }
    }

    pub struct Faulty<F> {
        inner: MemoryStore,
        fault: std::marker::PhantomData<F>,
    }

    type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    impl<F: Fault> EventLoad for Faulty<F> {
        fn load<'life0, 'async_trait>(
            &'life0 self,
            stream: StreamId,
        ) -> Boxed<'async_trait, Result<Vec<RecordedEvent>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.load(stream)
        }
        fn load_after<'life0, 'async_trait>(
            &'life0 self,
            stream: StreamId,
            version: u64,
        ) -> Boxed<'async_trait, Result<Vec<RecordedEvent>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.load_after(stream, version)
        }
        fn load_snapshot<'life0, 'async_trait>(
            &'life0 self,
            stream: StreamId,
        ) -> Boxed<'async_trait, Result<Option<Snapshot>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.load_snapshot(stream)
        }
    }

    impl<F: Fault> EventAppend for Faulty<F> {
        fn append<'life0, 'async_trait>(
            &'life0 self,
            request: AppendRequest,
        ) -> Boxed<'async_trait, Result<u64, AppendError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.append(F::append(request))
        }
        fn rewrite<'life0, 'async_trait>(
            &'life0 self,
            request: RewriteRequest,
        ) -> Boxed<'async_trait, Result<(), StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.rewrite(request)
        }
    }

    /// Keeps no data keys: the model's service seals nothing.
    impl<F: Fault> casework_core::privacy::key_store::KeyStore for Faulty<F> {}

    impl<F: Fault> CaseQueries for Faulty<F> {
        fn listings<'life0, 'async_trait>(
            &'life0 self,
            query: ListingQuery,
        ) -> Boxed<'async_trait, Result<Vec<Listed>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.listings(query)
        }
        fn waiting_list<'life0, 'async_trait>(
            &'life0 self,
        ) -> Boxed<'async_trait, Result<Vec<CaseSummary>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(async move { self.inner.waiting_list().await.map(F::waiting_list) })
        }
        fn outstanding_actions<'life0, 'async_trait>(
            &'life0 self,
        ) -> Boxed<'async_trait, Result<Vec<OwedActionSummary>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.outstanding_actions()
        }
        fn cases_of<'life0, 'async_trait>(
            &'life0 self,
            young_person: YoungPersonId,
        ) -> Boxed<'async_trait, Result<Vec<CaseSummary>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.cases_of(young_person)
        }
        fn overdue_reviews<'life0, 'async_trait>(
            &'life0 self,
            as_of: DateTime<Utc>,
        ) -> Boxed<'async_trait, Result<Vec<CaseSummary>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.overdue_reviews(as_of)
        }
        fn case_summary<'life0, 'async_trait>(
            &'life0 self,
            case: CaseId,
        ) -> Boxed<'async_trait, Result<Option<CaseSummary>, StoreError>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.case_summary(case)
        }
    }

    impl<F: Fault> StoreFactory for Faulty<F> {
        type Store = Faulty<F>;
        fn name() -> &'static str {
            F::NAME
        }
        async fn fresh() -> Faulty<F> {
            Faulty {
                inner: MemoryStore::new(),
                fault: std::marker::PhantomData,
            }
        }
    }
}

/// The test can fail: a service whose risk tool lacks the under-13 floor (R-21) departs from
/// the model, and the run says where, with the shrunk sequence's history.
#[test]
fn a_service_departing_from_the_model_is_caught() {
    let config = RunConfig {
        sequences: 300,
        seed: Some(5),
        max_shrink_iters: 500,
        adjust_profile: |profile| profile.risk_tool.floors.young_child = None,
        ..RunConfig::from_env()
    };
    let failure = run::<Memory>(&config).expect_err("a tool without the under-13 floor is caught");
    eprintln!("{failure}");
    assert!(
        failure.contains("differs from the model's prediction"),
        "{failure}"
    );
    assert!(
        failure.contains("assess_risk") || failure.contains("record_review"),
        "{failure}"
    );
    assert!(
        failure.contains("   1. "),
        "the history is numbered: {failure}"
    );
}

/// The test can fail: a store that answers the waiting list out of R-7 order is caught.
#[test]
fn a_store_that_misorders_the_waiting_list_is_caught() {
    let config = RunConfig {
        sequences: 1_000,
        seed: Some(7),
        max_shrink_iters: 500,
        ..RunConfig::from_env()
    };
    let failure = run::<faulty::Faulty<faulty::SwapsWaitingListHead>>(&config)
        .expect_err("a misordered waiting list is caught");
    eprintln!("{failure}");
    assert!(failure.contains("R-7"), "{failure}");
}

/// The test can fail: a store that loses an event of a command is caught.
#[test]
fn a_store_that_loses_an_event_is_caught() {
    let config = RunConfig {
        sequences: 300,
        seed: Some(11),
        max_shrink_iters: 500,
        ..RunConfig::from_env()
    };
    let failure = run::<faulty::Faulty<faulty::DropsLastEventOfLongAppends>>(&config)
        .expect_err("a lost event is caught");
    eprintln!("{failure}");
}

/// R-18 when the wall clock steps back (as NTP does): a stream's recorded times go backwards,
/// and `case_as_of` the time an event was recorded leaves that event out.
///
/// The service records a case's events at no earlier than its latest event
/// (`max(now, last recorded_at)`), so a clock that steps back two seconds cannot put the
/// assessment before the screening that precedes it.
#[test]
fn recorded_times_never_go_backwards_in_a_stream() {
    use casework::case::{CaseCommand, StageName};
    use casework::Casework;
    use casework_testkit::fixtures;
    use chrono::Duration;
    use std::sync::Arc;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let clock = Arc::new(fixtures::clock());
        let service = Casework::new(
            MemoryStore::new(),
            casework::policy::profile::examples::city_girls_service(),
        )
        .with_clock(clock.clone());
        let worker = fixtures::worker();
        let person = service
            .register_young_person(&worker, fixtures::girl_in_leeds_area())
            .await
            .expect("registered");
        let case = service
            .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
            .await
            .expect("referred");
        clock.advance(Duration::seconds(5));
        service
            .execute(&worker, case, CaseCommand::Screen)
            .await
            .expect("screened");
        clock.advance(Duration::seconds(-2)); // the wall clock steps back
        service
            .execute(
                &worker,
                case,
                CaseCommand::AssessRisk {
                    indicators: vec![],
                    worker_override: None,
                },
            )
            .await
            .expect("assessed");
        let history = service.history(case).await.expect("a history");
        for pair in history.windows(2) {
            assert!(
                pair[1].meta.recorded_at >= pair[0].meta.recorded_at,
                "version {} is recorded at {}, before version {} at {}",
                pair[1].version,
                pair[1].meta.recorded_at,
                pair[0].version,
                pair[0].meta.recorded_at
            );
        }
        let assessed_at = history.last().expect("events").meta.recorded_at;
        let known = service
            .case_as_of(case, assessed_at)
            .await
            .expect("loads")
            .expect("the case existed");
        assert_eq!(known.stage(), StageName::Assessed);
    });
}
