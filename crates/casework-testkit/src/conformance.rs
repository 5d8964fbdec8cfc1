//! The store conformance suite: one behaviour, whatever the backend.
//!
//! Every check is a `pub async fn` that takes a fresh, empty store by value and panics, naming
//! the rule it protects, when the store behaves differently from the contract in
//! [`casework_core::store`]. Checks use only the [`Store`] traits and the [`Casework`]
//! service, never a backend's own helpers, so memory, SQLite and Postgres are held to the
//! same bar.
//!
//! An adapter runs the whole suite with one line in a test file:
//!
//! ```text
//! async fn fresh_store() -> MyStore { MyStore::open_in_memory().await.unwrap() }
//!
//! casework_testkit::conformance_tests!(fresh_store());
//! ```
//!
//! A store that sometimes cannot run (Postgres without `DATABASE_URL`) gives a condition,
//! evaluated before anything else, under which every generated test prints
//! `skipped: <check>: <reason>` and returns, and optionally the reason to print:
//!
//! ```text
//! casework_testkit::conformance_tests!(
//!     fresh_store(),
//!     skip_if: std::env::var_os("DATABASE_URL").is_none(),
//!     reason: "DATABASE_URL is not set"
//! );
//! ```
//!
//! Each generated test is a plain `#[test]` that runs its check on a multi-threaded tokio
//! runtime with two worker threads (see [`run`]), so the calling crate needs no tokio macros;
//! the store's future (`$make`) is awaited inside that runtime. Each check can also be called
//! directly from an adapter's own `#[tokio::test]`.
//!
//! The checks, by rule:
//! - [`append_and_load_round_trip`]: every field of a stored event comes back as written (R-18).
//! - [`stale_expected_version_is_refused`]: optimistic concurrency, nothing written on conflict.
//! - [`concurrent_writers_to_one_stream`]: one winner per version, nothing lost or doubled.
//! - [`concurrent_commands_on_one_case`]: the same through the service (R-18, R-25).
//! - [`empty_append_is_a_no_op`].
//! - [`load_after_and_snapshots`].
//! - [`case_as_of_reconstructs_the_past`] (R-18).
//! - [`waiting_list_in_r7_order`] (R-7).
//! - [`outstanding_actions_soonest_first`] (R-5).
//! - [`cases_of_oldest_first_with_links`] (R-17).
//! - [`overdue_reviews_after_due_time`] (R-12).
//! - [`case_summary_follows_every_command`] (read model atomic with events).
//! - [`stored_history_folds_to_executed_state`] (R-18).
//! - [`unknown_event_type_is_a_typed_error`] and [`newer_schema_is_a_typed_error`].
//! - [`old_schema_is_upcast_on_read`].
//! - [`unreadable_snapshot_falls_back_to_replay`].
//! - [`listings_round_trip_exactly`]: listings of every stream kind, rows or none.
//! - [`listings_are_replaced_as_a_whole`]: `Some` replaces, `Some(vec![])` removes, `None` keeps.
//! - [`listing_queries_filter_and_order`]: kind, key and time window; `listing_order`.
//! - [`conflicting_append_writes_no_listings`] (R-18).
//! - [`rewrite_replaces_payloads_rows_and_listings`]: anonymisation in place (R-23).

pub use tokio;

use crate::fixtures;
use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::fold;
use casework_core::case::owed::{OwedActionKind, OwedStatus};
use casework_core::case::{
    Case, CaseCommand, CaseEvent, ClosureReason, Party, PauseReason, Professional,
    ProfessionalKind, ReviewDecision, StageName,
};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::clock::ManualClock;
use casework_core::kernel::confidential::{for_storage, Confidential};
use casework_core::kernel::error::DomainError;
use casework_core::kernel::event::{
    DomainEvent, EventMeta, HistoryError, HistoryProblem, NewEvent, RecordedEvent,
};
use casework_core::kernel::ids::{
    AccessId, CaseId, EventId, IntelligenceId, OwedActionId, ProfessionalId, StreamId, WorkshopId,
    YoungPersonId,
};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride};
use casework_core::read::rows::{
    listing_order, owed_order, waiting_list_order, CaseSummary, Listed, Listing, ListingKind,
    ListingQuery, OwedActionSummary, ReadModelUpdate, YoungPersonSummary,
};
use casework_core::store::{
    AppendError, AppendRequest, Conflict, RewriteRequest, RewrittenEvent, Snapshot, Store,
    StoreError,
};
use casework_core::young_person::YoungPersonDetails;
use casework_service::casework::{CASE_SNAPSHOT_SCHEMA, SNAPSHOT_EVERY};
use casework_service::{Casework, CommandError, Executed, LoadError};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

/// Runs `check` to completion on a multi-threaded tokio runtime with two worker threads, the
/// runtime every generated conformance test uses.
pub fn run<F: Future<Output = ()>>(check: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the conformance suite")
        .block_on(check)
}

/// Generates one `#[test]` per conformance check, each on a fresh store from `$make`.
///
/// `$make` is an expression evaluating to a future that yields a fresh, empty store, such as
/// `fresh_store()` or `async { MemoryStore::new() }`. With `skip_if: <bool expression>`, the
/// condition is evaluated first, outside any runtime; when it is true every test prints
/// `skipped: <check>: <reason>` to stderr and returns. `reason:` names the reason; without it
/// the condition's source text is printed.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr $(,)?) => {
        $crate::__conformance_all!([$make] []);
    };
    ($make:expr, skip_if: $skip:expr $(,)?) => {
        $crate::__conformance_all!(
            [$make]
            [$skip, ::core::concat!("skip condition `", ::core::stringify!($skip), "` holds")]
        );
    };
    ($make:expr, skip_if: $skip:expr, reason: $reason:expr $(,)?) => {
        $crate::__conformance_all!([$make] [$skip, $reason]);
    };
}

/// Internal to [`conformance_tests!`]: the list of checks.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_all {
    ($make:tt $skip:tt) => {
        $crate::__conformance_one!(append_and_load_round_trip, $make, $skip);
        $crate::__conformance_one!(stale_expected_version_is_refused, $make, $skip);
        $crate::__conformance_one!(concurrent_writers_to_one_stream, $make, $skip);
        $crate::__conformance_one!(concurrent_commands_on_one_case, $make, $skip);
        $crate::__conformance_one!(empty_append_is_a_no_op, $make, $skip);
        $crate::__conformance_one!(load_after_and_snapshots, $make, $skip);
        $crate::__conformance_one!(case_as_of_reconstructs_the_past, $make, $skip);
        $crate::__conformance_one!(waiting_list_in_r7_order, $make, $skip);
        $crate::__conformance_one!(outstanding_actions_soonest_first, $make, $skip);
        $crate::__conformance_one!(cases_of_oldest_first_with_links, $make, $skip);
        $crate::__conformance_one!(overdue_reviews_after_due_time, $make, $skip);
        $crate::__conformance_one!(case_summary_follows_every_command, $make, $skip);
        $crate::__conformance_one!(stored_history_folds_to_executed_state, $make, $skip);
        $crate::__conformance_one!(unknown_event_type_is_a_typed_error, $make, $skip);
        $crate::__conformance_one!(newer_schema_is_a_typed_error, $make, $skip);
        $crate::__conformance_one!(old_schema_is_upcast_on_read, $make, $skip);
        $crate::__conformance_one!(unreadable_snapshot_falls_back_to_replay, $make, $skip);
        $crate::__conformance_one!(listings_round_trip_exactly, $make, $skip);
        $crate::__conformance_one!(listings_are_replaced_as_a_whole, $make, $skip);
        $crate::__conformance_one!(listing_queries_filter_and_order, $make, $skip);
        $crate::__conformance_one!(conflicting_append_writes_no_listings, $make, $skip);
        $crate::__conformance_one!(rewrite_replaces_payloads_rows_and_listings, $make, $skip);
    };
}

/// Internal to [`conformance_tests!`]: one generated test.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_one {
    ($name:ident, [$make:expr], []) => {
        #[test]
        fn $name() {
            $crate::conformance::run(async {
                let store = $make.await;
                $crate::conformance::$name(store).await;
            });
        }
    };
    ($name:ident, [$make:expr], [$skip:expr, $reason:expr]) => {
        #[test]
        fn $name() {
            if $skip {
                $crate::say_skipped(&::std::format!(
                    "{}: {}",
                    ::core::stringify!($name),
                    $reason
                ));
                return;
            }
            $crate::conformance::run(async {
                let store = $make.await;
                $crate::conformance::$name(store).await;
            });
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Unwraps, or panics naming what failed and why.
fn ok<T, E: Debug>(result: Result<T, E>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// The minimal tool's indicator sets used throughout (a subject aged 13+ without a learning
/// difficulty): no indicators is Low, three vulnerabilities score 3 (Medium), two indicators
/// scoring 6 are High.
const LOW: &[&str] = &[];
const MEDIUM: &[&str] = &["missing_from_home", "school_absence", "older_boyfriend"];
const HIGH: &[&str] = &["taken_to_parties", "missing_from_home"];

fn keys(indicators: &[&str]) -> Vec<IndicatorAnswer> {
    indicators
        .iter()
        .map(|key| IndicatorAnswer::current(*key))
        .collect()
}

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

fn meta(actor: &Actor, at: DateTime<Utc>, reason: Option<&str>) -> EventMeta {
    EventMeta {
        event_id: EventId::new(),
        recorded_at: at,
        actor: actor.clone(),
        reason: reason.map(str::to_owned),
    }
}

/// A probe event for store-level checks. The payload is valid JSON, written by hand so its key
/// order is not sorted and it holds escapes and non-ASCII text: a store keeps payloads as text,
/// and must hand back exactly the text it was given (R-18).
fn probe(tag: &str, n: u64, schema_version: u32, meta: EventMeta) -> NewEvent {
    let payload = format!(
        r#"{{"zeta":"{tag}","n":{n},"note":"Siân’s café — “fictional” ✓ \"quoted\" \\ back","alpha":{{"nested":[1,2.5,null,true],"esc":"\u00e9\n\t"}}}}"#
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(&payload).is_ok(),
        "conformance fixture bug: probe payload is not JSON: {payload}"
    );
    NewEvent {
        event_type: "conformance_probe".into(),
        schema_version,
        payload,
        meta,
    }
}

/// A hand-made case row for store-level checks.
fn raw_case_row(case: CaseId, young_person: YoungPersonId, version: u64) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: young_person,
        stage: StageName::Received,
        risk_level: None,
        received_at: fixtures::start(),
        source: "self".into(),
        worker: None,
        previous_case: None,
        next_review_due: None,
        closure_reason: None,
        version,
        owed: vec![],
    }
}

fn raw_person_row(person: YoungPersonId, version: u64) -> YoungPersonSummary {
    YoungPersonSummary {
        young_person_id: person,
        date_of_birth: NaiveDate::from_ymd_opt(2010, 1, 31).expect("valid date"),
        postcode_district: "LS6".into(),
        registered_at: fixtures::start(),
        version,
    }
}

fn last_version(events: &[RecordedEvent]) -> u64 {
    events.last().map_or(0, |e| e.version)
}

/// A front desk over a store: the service on a manual clock, a worker and a manager.
struct Desk<S> {
    cw: Casework<S>,
    clock: Arc<ManualClock>,
    worker: Actor,
    manager: Actor,
}

impl<S: Store> Desk<S> {
    fn new(store: S) -> Self {
        let clock = Arc::new(fixtures::clock());
        Desk {
            cw: Casework::new(store, city_girls_service()).with_clock(clock.clone()),
            clock,
            worker: fixtures::worker(),
            manager: fixtures::manager(),
        }
    }

    fn store(&self) -> &S {
        self.cw.store()
    }

    fn now(&self) -> DateTime<Utc> {
        use casework_core::kernel::clock::Clock;
        self.clock.now()
    }

    fn set(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    /// Registers an eligible girl (14, LS6) under `name`.
    async fn person(&self, name: &str) -> YoungPersonId {
        let details = YoungPersonDetails {
            name: fixtures::text(name),
            ..fixtures::girl_in_leeds_area()
        };
        ok(
            self.cw.register_young_person(&self.worker, details).await,
            "register a young person",
        )
    }

    /// A self-referral about `person` received at `received_at` (not after the clock).
    async fn refer(&self, person: YoungPersonId, received_at: DateTime<Utc>) -> CaseId {
        ok(
            self.cw
                .receive_referral(&self.worker, person, fixtures::self_referral(received_at))
                .await,
            "receive a self-referral",
        )
    }

    async fn run_as(&self, actor: &Actor, case: CaseId, command: CaseCommand) -> Executed {
        let name = command.name();
        ok(
            self.cw.execute(actor, case, command).await,
            &format!("execute `{name}` on {case}"),
        )
    }

    async fn run(&self, case: CaseId, command: CaseCommand) -> Executed {
        self.run_as(&self.worker.clone(), case, command).await
    }

    async fn refused(&self, actor: &Actor, case: CaseId, command: CaseCommand) -> CommandError {
        let name = command.name();
        match self.cw.execute(actor, case, command).await {
            Ok(done) => panic!(
                "`{name}` on {case} should have been refused, but it moved the case to {}",
                done.state.stage()
            ),
            Err(e) => e,
        }
    }

    /// Registers `name`, refers her at `received_at`, screens and assesses with `indicators`.
    async fn assessed(
        &self,
        name: &str,
        received_at: DateTime<Utc>,
        indicators: &[&str],
    ) -> CaseId {
        let person = self.person(name).await;
        let case = self.refer(person, received_at).await;
        self.run(case, CaseCommand::Screen).await;
        self.run(
            case,
            CaseCommand::AssessRisk {
                indicators: keys(indicators),
                worker_override: None,
            },
        )
        .await;
        case
    }

    async fn on_waiting_list(
        &self,
        name: &str,
        received_at: DateTime<Utc>,
        indicators: &[&str],
    ) -> CaseId {
        let case = self.assessed(name, received_at, indicators).await;
        self.run(case, CaseCommand::AddToWaitingList).await;
        case
    }

    fn allocate_to_worker(&self) -> CaseCommand {
        CaseCommand::Allocate {
            worker: self.worker.id,
            worker_name: fixtures::text(&self.worker.name),
            out_of_order_reason: None,
        }
    }

    /// A case accepted for immediate support, allocated and engaged, at the clock; work begins
    /// at `begin_at` (the clock is left there).
    async fn active(&self, name: &str, indicators: &[&str], begin_at: DateTime<Utc>) -> CaseId {
        let case = self.assessed(name, self.now(), indicators).await;
        self.run(case, CaseCommand::AcceptForSupport).await;
        self.run(case, self.allocate_to_worker()).await;
        self.run(
            case,
            CaseCommand::AgreePlan {
                plan: Confidential::new(fixtures::text("Weekly one-to-one sessions")),
            },
        )
        .await;
        self.set(begin_at);
        self.run(case, CaseCommand::BeginWork).await;
        case
    }

    async fn load(&self, case: CaseId) -> Vec<RecordedEvent> {
        ok(
            self.store().load(StreamId::Case(case)).await,
            "load a case stream",
        )
    }

    async fn summary(&self, case: CaseId) -> CaseSummary {
        ok(self.store().case_summary(case).await, "case_summary")
            .unwrap_or_else(|| panic!("case_summary({case}) is None for a case that exists"))
    }

    /// Appends raw events at the end of a real case's stream, with its current row (version
    /// bumped) as the read model, bypassing the domain.
    async fn raw_append(
        &self,
        case: CaseId,
        events: Vec<NewEvent>,
        snapshot: Option<Snapshot>,
    ) -> u64 {
        let version = last_version(&self.load(case).await);
        let row = CaseSummary {
            version: version + events.len() as u64,
            ..self.summary(case).await
        };
        ok(
            self.store()
                .append(AppendRequest {
                    stream: StreamId::Case(case),
                    expected_version: version,
                    events,
                    read_model: ReadModelUpdate::Case(row),
                    snapshot,
                    listings: None,
                })
                .await,
            "raw append at the stream's current version",
        )
    }

    /// Every owed action of `cases` still owed, computed from the domain state (not the store's
    /// rows), in the library's order.
    async fn expected_outstanding(&self, cases: &[CaseId]) -> Vec<OwedActionSummary> {
        let mut rows = Vec::new();
        for &id in cases {
            let case = ok(self.cw.case(id).await, "load a case");
            rows.extend(
                case.file()
                    .owed
                    .iter()
                    .filter(|a| a.status == OwedStatus::Owed)
                    .map(|a| OwedActionSummary {
                        action_id: a.id,
                        case_id: id,
                        kind: a.kind,
                        owed_to: a.owed_to.clone(),
                        due_at: a.due_at,
                        status: "owed".into(),
                    }),
            );
        }
        rows.sort_by(owed_order);
        rows
    }
}

/// The fold of a case's whole stored history.
async fn full_fold<S: Store>(cw: &Casework<S>, case: CaseId) -> Case {
    let history = ok(cw.history(case).await, "history");
    ok(fold(&history), "fold").expect("a history folds to a case")
}

fn owed_of(case: &Case, kind: OwedActionKind) -> OwedActionId {
    case.file()
        .owed
        .iter()
        .find(|a| a.kind == kind)
        .unwrap_or_else(|| panic!("case has no owed action {kind:?}"))
        .id
}

fn ids(rows: &[CaseSummary]) -> Vec<CaseId> {
    rows.iter().map(|r| r.case_id).collect()
}

// ---------------------------------------------------------------------------------------------
// Event store
// ---------------------------------------------------------------------------------------------

/// R-18 (every change attributed and kept): every field of a stored event comes back exactly
/// as written — type, schema version, payload text (byte for byte: keep it as text, or a JSON
/// type that preserves text, not one that normalises it), event id, `recorded_at` to the
/// microsecond, actor id, name and role, and the reason whether `Some` or `None` — in version
/// order 1..n per stream, with global positions strictly increasing in append order across
/// streams (R-28).
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
                ReadModelUpdate::Case(raw_case_row(case, person, before + events.len() as u64))
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
            ok(desk.cw.case(case).await, "load the case"),
            before_case,
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
    let person = YoungPersonId::new();
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
                        read_model: ReadModelUpdate::Case(raw_case_row(
                            case,
                            person,
                            version + parts,
                        )),
                        snapshot: None,
                        listings: None,
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
    let cw = Arc::new(desk.cw);
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
    let events = ok(cw.store().load(StreamId::Case(case)).await, "load");
    assert_eq!(last_version(&events), opened + (WORKERS * EACH) as u64);
    let history = ok(cw.history(case).await, "history");
    assert_eq!(
        ok(fold(&history), "fold").as_ref(),
        Some(&case_now),
        "the fold of the stored history is the case"
    );
    let row = ok(cw.store().case_summary(case).await, "case_summary").expect("a row");
    assert_eq!(row, CaseSummary::of(&case_now, last_version(&events)));
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

/// R-18 and R-28 (a state rebuilt from a point in the history; followers resume from a checkpoint):
/// `load_after(stream, v)` returns exactly the events after `v`, in order, for every `v`; an append
/// carrying a snapshot stores it as written, a later one replaces it, an append without one keeps
/// it, and each stream's snapshot is its own.
pub async fn load_after_and_snapshots<S: Store + 'static>(store: S) {
    let a = CaseId::new();
    let b = CaseId::new();
    let person = YoungPersonId::new();
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
        read_model: ReadModelUpdate::Case(raw_case_row(case, person, from + n)),
        snapshot: snap,
        listings: None,
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

// ---------------------------------------------------------------------------------------------
// Through the service
// ---------------------------------------------------------------------------------------------

/// R-18 ("what was known on date X"): `case_as_of` before the referral is `None`; between two
/// changes it shows the earlier state, from the instant of a change the later one, to the
/// microsecond; after the last change it is the case as it is now.
pub async fn case_as_of_reconstructs_the_past<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t0 = fixtures::start() + Duration::microseconds(17);
    desk.set(t0);
    let person = desk.person("Fay Example").await;
    let case = desk.refer(person, t0).await;
    let t1 = t0 + hours(1) + Duration::microseconds(250);
    desk.set(t1);
    let screened = desk.run(case, CaseCommand::Screen).await;
    let t2 = t1 + Duration::days(1);
    desk.set(t2);
    let assessed = desk
        .run(
            case,
            CaseCommand::AssessRisk {
                indicators: keys(MEDIUM),
                worker_override: None,
            },
        )
        .await;
    let t3 = t2 + hours(3);
    desk.set(t3);
    let accepted = desk.run(case, CaseCommand::AcceptForSupport).await;

    let as_of = |at: DateTime<Utc>| desk.cw.case_as_of(case, at);
    let micro = Duration::microseconds(1);
    assert_eq!(
        ok(as_of(t0 - micro).await, "case_as_of"),
        None,
        "R-18: before the referral the case did not exist"
    );
    let received = ok(as_of(t0).await, "case_as_of").expect("the case existed at its referral");
    assert_eq!(received.stage(), StageName::Received);
    assert_eq!(received.file().screening, None);
    assert_eq!(
        ok(as_of(t1 - micro).await, "case_as_of").map(|c| c.stage()),
        Some(StageName::Received),
        "R-18: one microsecond before screening, the case was not yet screened"
    );
    assert_eq!(
        ok(as_of(t1).await, "case_as_of"),
        Some(screened.state.clone()),
        "R-18: at the instant of screening, the screened case"
    );
    assert_eq!(
        ok(as_of(t2 - micro).await, "case_as_of"),
        Some(screened.state),
        "R-18: before the assessment, no risk level was known"
    );
    let at_assessment = ok(as_of(t2).await, "case_as_of");
    assert_eq!(at_assessment, Some(assessed.state));
    assert_eq!(
        at_assessment.and_then(|c| c.file().current_risk()),
        Some(RiskLevel::Medium)
    );
    assert_eq!(
        ok(as_of(t3 + Duration::days(365)).await, "case_as_of"),
        Some(accepted.state.clone())
    );
    assert_eq!(
        ok(desk.cw.case(case).await, "case"),
        accepted.state,
        "after the last change, as-of is the case now"
    );
    let unknown = CaseId::new();
    assert_eq!(
        desk.cw.case_as_of(unknown, t3).await,
        Err(LoadError::NotFound(StreamId::Case(unknown))),
        "an unknown case is not found"
    );
}

/// R-7: the waiting list holds only waiting-list cases, High before Medium before Low, the
/// earlier referral first within a level and the case id breaking exact ties, whatever order
/// the cases were created in; allocation takes from its head, and a manager may take another
/// case with a reason; allocated cases leave the list.
pub async fn waiting_list_in_r7_order<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t = fixtures::start();
    desk.set(t + Duration::days(1));
    let at = |h: i64| t + hours(h);
    // Created in an order that is neither risk order nor referral order. Five Low cases
    // received at the same instant are ordered by case id: a store that forgets the tie-break
    // passes by luck at most once in 120 runs.
    let mut ties = Vec::new();
    let m2 = desk.on_waiting_list("Gia Example", at(3), MEDIUM).await;
    ties.push(desk.on_waiting_list("Rue Example", at(6), LOW).await);
    let l1 = desk.on_waiting_list("Hana Example", at(0), LOW).await;
    let h2 = desk.on_waiting_list("Ida Example", at(4), HIGH).await;
    ties.push(desk.on_waiting_list("Jo Example", at(6), LOW).await);
    let m1 = desk.on_waiting_list("Kat Example", at(1), MEDIUM).await;
    ties.push(desk.on_waiting_list("Sky Example", at(6), LOW).await);
    let h1 = desk.on_waiting_list("Lia Example", at(2), HIGH).await;
    ties.push(desk.on_waiting_list("Mia Example", at(6), LOW).await);
    let l2 = desk.on_waiting_list("Nia Example", at(5), LOW).await;
    ties.push(desk.on_waiting_list("Tam Example", at(6), LOW).await);
    // Cases not on the waiting list.
    let immediate = desk.assessed("Ola Example", at(0), HIGH).await;
    desk.run(immediate, CaseCommand::AcceptForSupport).await;
    let declined = desk.assessed("Pia Example", at(0), HIGH).await;
    desk.run(
        declined,
        CaseCommand::Decline {
            reason: fixtures::text("Already supported by another fictional service"),
        },
    )
    .await;
    desk.assessed("Quin Example", at(0), HIGH).await;

    ties.sort();
    let mut expected = vec![h1, h2, m1, m2, l1, l2];
    expected.extend(&ties);
    let rows = ok(desk.cw.waiting_list().await, "waiting_list");
    assert_eq!(
        ids(&rows),
        expected,
        "R-7: High first, then Medium, then Low; earlier referral first; case id on ties"
    );
    let levels = [
        RiskLevel::High,
        RiskLevel::High,
        RiskLevel::Medium,
        RiskLevel::Medium,
    ]
    .into_iter()
    .chain(std::iter::repeat(RiskLevel::Low));
    for (row, level) in rows.iter().zip(levels) {
        assert_eq!(row.stage, StageName::WaitingList);
        assert_eq!(
            row.risk_level,
            Some(level),
            "the assessed level is on the row"
        );
        assert_eq!(
            row,
            &desk.summary(row.case_id).await,
            "a waiting-list row is the case's row"
        );
    }
    let mut resorted = rows.clone();
    resorted.sort_by(waiting_list_order);
    assert_eq!(
        resorted, rows,
        "the order is the library's waiting_list_order"
    );

    // Allocation takes from the head (R-7).
    match desk
        .refused(&desk.worker.clone(), m1, desk.allocate_to_worker())
        .await
    {
        CommandError::Rejected(DomainError::OutOfWaitingListOrder { case, head }) => {
            assert_eq!((case, head), (m1, h1), "R-7: the head is the High case");
        }
        other => panic!("R-7: allocating past the head must be refused, got {other:?}"),
    }
    desk.run(h1, desk.allocate_to_worker()).await;
    let manager = desk.manager.clone();
    let taken = desk
        .run_as(
            &manager,
            l2,
            CaseCommand::Allocate {
                worker: desk.worker.id,
                worker_name: fixtures::text(&desk.worker.name),
                out_of_order_reason: Some(fixtures::text(
                    "Worker already knows the family (fictional)",
                )),
            },
        )
        .await;
    assert_eq!(taken.state.stage(), StageName::Allocated);
    assert_eq!(
        ids(&ok(desk.cw.waiting_list().await, "waiting_list")),
        [vec![h2, m1, m2, l1], ties].concat(),
        "R-7: allocated cases leave the list; the rest keep their order"
    );
}

/// R-5: outstanding actions are exactly the owed actions still `owed` across all cases,
/// soonest due first (the action id breaking ties); sending or explaining one removes it, and
/// the case's row keeps it with its new status (owed actions are never deleted).
pub async fn outstanding_actions_soonest_first<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t = fixtures::start();
    desk.set(t + Duration::days(1));
    // A: self-referral at t, High (owes a duty social work referral), waiting list.
    let a = desk.assessed("Rae Example", t, HIGH).await;
    // B: a professional's referral at t+2h, left at Received (owes the notification only).
    let b_person = desk.person("Sol Example").await;
    let b = ok(
        desk.cw
            .receive_referral(
                &desk.worker,
                b_person,
                fixtures::professional_referral(fixtures::social_worker(), t + hours(2)),
            )
            .await,
        "receive a professional's referral",
    );
    // C, D, E: self-referrals at t+1h, Low, accepted at the same instant as A's outcome; F
    // referred at t+1h and left at Received. Four notifications and four outcome messages
    // fall due at equal times, so the action id must break the ties (a store that forgets it
    // passes by luck at most once in 576 runs).
    let c = desk.assessed("Tia Example", t + hours(1), LOW).await;
    let d = desk.assessed("Uli Example", t + hours(1), LOW).await;
    let e = desk.assessed("Val Example", t + hours(1), LOW).await;
    let f_person = desk.person("Wyn Example").await;
    let f = desk.refer(f_person, t + hours(1)).await;
    desk.set(t + Duration::days(1) + hours(2));
    let a_done = desk.run(a, CaseCommand::AddToWaitingList).await;
    let c_done = desk.run(c, CaseCommand::AcceptForSupport).await;
    desk.run(d, CaseCommand::AcceptForSupport).await;
    desk.run(e, CaseCommand::AcceptForSupport).await;
    let cases = [a, b, c, d, e, f];

    let expected = desk.expected_outstanding(&cases).await;
    assert_eq!(
        expected.len(),
        11,
        "fixture: 6 notifications, 1 duty referral, 4 outcomes"
    );
    let got = ok(desk.cw.outstanding_actions().await, "outstanding_actions");
    assert_eq!(
        got, expected,
        "R-5: every owed action, soonest due first, id on ties"
    );

    // Send A's notification: it leaves the list, and stays on the case as sent.
    let notify_a = owed_of(&a_done.state, OwedActionKind::NotifySafeguardingUnit);
    desk.run(
        a,
        CaseCommand::MarkActionSent {
            action: notify_a,
            reference: fixtures::text("FICT-ISU-0001"),
            sent_at: desk.now(),
        },
    )
    .await;
    let got = ok(desk.cw.outstanding_actions().await, "outstanding_actions");
    assert!(
        got.iter().all(|r| r.action_id != notify_a),
        "R-5: a sent action is no longer outstanding"
    );
    assert_eq!(got, desk.expected_outstanding(&cases).await);
    assert_eq!(got.len(), 10);
    let row = desk.summary(a).await;
    assert_eq!(
        row.owed
            .iter()
            .find(|r| r.action_id == notify_a)
            .map(|r| r.status.as_str()),
        Some("sent"),
        "R-5: a discharged action stays on the case with its status"
    );

    // Explain C's outcome message; acknowledge A's notification.
    let outcome_c = owed_of(&c_done.state, OwedActionKind::CommunicateOutcome);
    desk.run(
        c,
        CaseCommand::ExplainAction {
            action: outcome_c,
            explanation: fixtures::text("The young person referred herself and was told in person"),
        },
    )
    .await;
    desk.run(
        a,
        CaseCommand::AcknowledgeAction {
            action: notify_a,
            acknowledged_at: desk.now(),
        },
    )
    .await;
    let got = ok(desk.cw.outstanding_actions().await, "outstanding_actions");
    assert_eq!(got, desk.expected_outstanding(&cases).await);
    assert_eq!(got.len(), 9);
    assert!(got.iter().all(|r| r.status == "owed"));
    assert_eq!(
        desk.summary(c)
            .await
            .owed
            .iter()
            .find(|r| r.action_id == outcome_c)
            .map(|r| r.status.as_str()),
        Some("explained")
    );
    assert_eq!(
        desk.summary(a)
            .await
            .owed
            .iter()
            .find(|r| r.action_id == notify_a)
            .map(|r| r.status.as_str()),
        Some("acknowledged")
    );
}

/// R-17: `cases_of` lists a young person's cases, oldest referral first, each re-referral
/// linked to the case before it through `previous_case`; a re-referral while a case is open is
/// refused, naming it; other young people's cases are not listed.
pub async fn cases_of_oldest_first_with_links<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let t = fixtures::start();
    desk.set(t);
    let uma = desk.person("Uma Example").await;
    let vic = desk.person("Vic Example").await;
    let vic_case = desk.refer(vic, t).await;

    let first = desk.refer(uma, t).await;
    desk.run(first, CaseCommand::Screen).await;
    desk.run(
        first,
        CaseCommand::AssessRisk {
            indicators: keys(LOW),
            worker_override: None,
        },
    )
    .await;
    desk.run(
        first,
        CaseCommand::Decline {
            reason: fixtures::text("Needs met by a fictional school programme"),
        },
    )
    .await;

    desk.set(t + Duration::days(30));
    let second = desk.refer(uma, desk.now()).await;
    match desk
        .cw
        .receive_referral(&desk.worker, uma, fixtures::self_referral(desk.now()))
        .await
    {
        Err(CommandError::Rejected(DomainError::OpenCaseExists { case })) => {
            assert_eq!(case, second, "R-17: the refusal names the open case")
        }
        other => panic!("R-17: a re-referral while a case is open must be refused, got {other:?}"),
    }
    desk.run(
        second,
        CaseCommand::Withdraw {
            reason: fixtures::text("Young person moved in with a relative (fictional)"),
        },
    )
    .await;
    desk.set(t + Duration::days(90));
    let third = desk.refer(uma, desk.now()).await;

    let rows = ok(desk.cw.cases_of(uma).await, "cases_of");
    assert_eq!(
        ids(&rows),
        vec![first, second, third],
        "R-17: oldest referral first"
    );
    assert_eq!(
        rows.iter().map(|r| r.previous_case).collect::<Vec<_>>(),
        vec![None, Some(first), Some(second)],
        "R-17: each re-referral links to the case before it"
    );
    assert_eq!(
        rows.iter().map(|r| r.stage).collect::<Vec<_>>(),
        vec![
            StageName::Declined,
            StageName::Withdrawn,
            StageName::Received
        ]
    );
    for row in &rows {
        assert_eq!(row, &desk.summary(row.case_id).await);
        assert_eq!(row.young_person_id, uma);
    }
    assert_eq!(
        ids(&ok(desk.cw.cases_of(vic).await, "cases_of")),
        vec![vic_case]
    );
    assert_eq!(
        ok(desk.cw.cases_of(YoungPersonId::new()).await, "cases_of"),
        vec![],
        "an unknown young person has no cases"
    );
    let third_case = ok(desk.cw.case(third).await, "case");
    assert_eq!(third_case.file().previous_case, Some(second));
}

/// R-12: a case whose review due time has passed is overdue; one due exactly at `as_of` is
/// not yet; paused cases count, closed and not-yet-active ones do not; the longest overdue
/// comes first; recording a review moves the due time.
pub async fn overdue_reviews_after_due_time<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let days = |level| Duration::days(i64::from(desk.cw.profile().reviews.days_for(level)));
    let t = fixtures::start() + Duration::days(2);
    desk.set(t - hours(1));
    let a = desk.active("Wren Example", HIGH, t).await;
    let b = desk.active("Xena Example", LOW, t + hours(1)).await;
    let c = desk.active("Yara Example", MEDIUM, t + hours(2)).await;
    desk.set(t + hours(3));
    desk.run(
        c,
        CaseCommand::Pause {
            reason: PauseReason::NoContact,
        },
    )
    .await;
    let d = desk.active("Zoe Example", HIGH, t + hours(3)).await;
    desk.set(t + hours(5));
    desk.run(
        d,
        CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        },
    )
    .await;
    desk.on_waiting_list("Abi Example", t, HIGH).await;

    let due_a = t + days(RiskLevel::High);
    let due_b = t + hours(1) + days(RiskLevel::Low);
    let due_c = t + hours(2) + days(RiskLevel::Medium);
    assert_eq!(desk.summary(a).await.next_review_due, Some(due_a));
    assert_eq!(desk.summary(b).await.next_review_due, Some(due_b));
    assert_eq!(desk.summary(c).await.next_review_due, Some(due_c));
    assert_eq!(
        desk.summary(d).await.next_review_due,
        None,
        "a closed case has no review due"
    );
    assert!(due_a < due_c && due_c < due_b, "fixture: cadence by level");

    let micro = Duration::microseconds(1);
    let overdue = |as_of: DateTime<Utc>| desk.store().overdue_reviews(as_of);
    assert_eq!(
        ids(&ok(overdue(due_a - micro).await, "overdue_reviews")),
        vec![],
        "R-12: nothing is overdue before the first due time"
    );
    assert_eq!(
        ids(&ok(overdue(due_a).await, "overdue_reviews")),
        vec![],
        "R-12: a review due exactly now is due, not overdue"
    );
    assert_eq!(
        ids(&ok(overdue(due_a + micro).await, "overdue_reviews")),
        vec![a],
        "R-12: one microsecond after its due time, the review is overdue"
    );
    assert_eq!(
        ids(&ok(
            overdue(due_c + Duration::seconds(1)).await,
            "overdue_reviews"
        )),
        vec![a, c],
        "R-12: paused cases count; longest overdue first"
    );
    let all = ok(
        overdue(due_b + Duration::seconds(1)).await,
        "overdue_reviews",
    );
    assert_eq!(
        ids(&all),
        vec![a, c, b],
        "R-12: longest overdue first; closed and waiting cases never"
    );
    for row in &all {
        assert_eq!(row, &desk.summary(row.case_id).await);
    }

    // A review moves A's due time on.
    let reviewed_at = due_a + Duration::days(1);
    desk.set(reviewed_at);
    desk.run(
        a,
        CaseCommand::RecordReview {
            indicators: keys(HIGH),
            worker_override: None,
            decision: ReviewDecision::Continue,
        },
    )
    .await;
    let new_due_a = reviewed_at + days(RiskLevel::High);
    assert_eq!(desk.summary(a).await.next_review_due, Some(new_due_a));
    assert_eq!(
        ids(&ok(overdue(due_a + micro).await, "overdue_reviews")),
        vec![],
        "R-12: after its review, A is no longer overdue at its old due time"
    );
    desk.set(due_b + Duration::days(30));
    assert!(due_c < new_due_a && new_due_a < due_b);
    assert_eq!(
        ids(&ok(desk.cw.overdue_reviews().await, "overdue_reviews")),
        vec![c, a, b],
        "R-12: the service asks the store at the clock's time"
    );
}

/// R-5, R-7 and R-12 (queries never see half a command): the read model is written in the
/// same append as the events. After every command the case's row is the row of the returned
/// state at the stream's last version; a refused stale append and a command the rules refuse
/// leave both the events and the row unchanged.
pub async fn case_summary_follows_every_command<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let person = desk.person("Bo Example").await;
    let case = desk.refer(person, desk.now()).await;
    let check = |done: Executed, events: Vec<RecordedEvent>, row: CaseSummary| {
        assert_eq!(
            last_version(&events),
            done.version,
            "the returned version is the stream's"
        );
        assert_eq!(
            row.version, done.version,
            "the row's version is the stream's last version"
        );
        assert_eq!(
            row,
            CaseSummary::of(&done.state, done.version),
            "the row is the state's"
        );
    };
    assert_eq!(
        desk.summary(case).await.version,
        last_version(&desk.load(case).await)
    );
    let steps = vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: keys(HIGH),
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        desk.allocate_to_worker(),
        CaseCommand::AgreePlan {
            plan: Confidential::new(fixtures::text("Sessions at the youth club")),
        },
        CaseCommand::BeginWork,
    ];
    for step in steps {
        desk.clock.advance(hours(2));
        let done = desk.run(case, step).await;
        check(done, desk.load(case).await, desk.summary(case).await);
    }
    let row = desk.summary(case).await;
    assert_eq!(row.stage, StageName::Active);
    assert_eq!(row.worker, Some(desk.worker.id));
    assert_eq!(row.risk_level, Some(RiskLevel::High));

    // A stale append (someone decided on an old version) changes nothing.
    let events = desk.load(case).await;
    let stale = AppendRequest {
        stream: StreamId::Case(case),
        expected_version: last_version(&events) - 1,
        events: vec![CaseEvent::CaseResumed { at: desk.now() }.encode(meta(
            &desk.worker,
            desk.now(),
            None,
        ))],
        read_model: ReadModelUpdate::Case(CaseSummary {
            stage: StageName::Paused,
            version: last_version(&events),
            ..row.clone()
        }),
        snapshot: None,
        listings: None,
    };
    assert!(
        matches!(
            desk.store().append(stale).await,
            Err(AppendError::Conflict(_))
        ),
        "a stale append conflicts"
    );
    assert_eq!(desk.summary(case).await, row, "the row is unchanged");
    assert_eq!(desk.load(case).await, events, "the events are unchanged");

    // A command the rules refuse writes nothing either.
    let refused = desk
        .refused(&desk.worker.clone(), case, CaseCommand::CompleteClosure)
        .await;
    assert!(
        refused.rejection().is_some(),
        "completing closure of an active case is refused by the rules, got {refused:?}"
    );
    assert_eq!(desk.summary(case).await, row);
    assert_eq!(desk.load(case).await, events);
    assert_eq!(
        ok(
            desk.store().case_summary(CaseId::new()).await,
            "case_summary"
        ),
        None,
        "an unknown case has no row"
    );
}

/// R-18: for a whole story — consent, an override with its reason, professionals, allocation,
/// owed actions discharged, a pause, a review and an agreed closure — after every command the
/// fold of the stored history equals the state the service returned, the new events carry who
/// (actor id, name, role), when (the clock, to the microsecond) and why (the stated reason),
/// and a command refused after closure writes nothing (R-17).
pub async fn stored_history_folds_to_executed_state<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    desk.set(fixtures::start() + Duration::microseconds(654_321));
    let details = YoungPersonDetails {
        name: fixtures::text("Cleo Example"),
        ..fixtures::girl_in_leeds_area()
    };
    let person = ok(
        desk.cw
            .register_young_person(&desk.worker, details.clone())
            .await,
        "register",
    );
    let record = ok(desk.cw.young_person(person).await, "young_person");
    assert_eq!(
        record.details, details,
        "the young person's record round-trips"
    );
    assert_eq!(record.registered_at, desk.now());

    let case = desk.refer(person, desk.now()).await;
    let teacher = Professional {
        id: ProfessionalId::new(),
        name: fixtures::text("Jo Teacher"),
        kind: ProfessionalKind::Teacher,
        agency: fixtures::text("Fictional High School"),
    };
    let manager = desk.manager.clone();
    let worker = desk.worker.clone();
    let steps: Vec<(Actor, CaseCommand)> = vec![
        (
            worker.clone(),
            CaseCommand::RecordConsent {
                entry: ConsentEntry {
                    scope: ConsentScope::SharingWithParents,
                    decision: ConsentDecision::Given,
                    by: ConsentGiver::YoungPerson,
                    method: ConsentMethod::InPerson,
                    purpose: fixtures::text("Tell her mum the service is working with her"),
                    given_at: desk.now(),
                },
            },
        ),
        (worker.clone(), CaseCommand::Screen),
        (
            manager.clone(),
            CaseCommand::AssessRisk {
                indicators: keys(MEDIUM),
                worker_override: Some(RiskOverride {
                    level: RiskLevel::High,
                    reason: fixtures::text("Seen getting into cars with older men (fictional)"),
                }),
            },
        ),
        (worker.clone(), CaseCommand::AcceptForSupport),
        (
            worker.clone(),
            CaseCommand::RecordProfessional {
                professional: teacher.clone(),
            },
        ),
        (worker.clone(), desk.allocate_to_worker()),
        (
            worker.clone(),
            CaseCommand::AgreePlan {
                plan: Confidential::new(fixtures::text("Weekly sessions on healthy relationships")),
            },
        ),
        (worker.clone(), CaseCommand::BeginWork),
    ];
    let mut last: Option<Executed> = None;
    let mut n = 0u64;
    let step = |actor: Actor, command: CaseCommand, n: u64| {
        let desk = &desk;
        async move {
            desk.clock
                .advance(hours(5) + Duration::microseconds(n as i64 * 7 + 1));
            let before = last_version(&desk.load(case).await);
            let reason = command.stated_reason();
            let at = desk.now();
            let done = desk.run_as(&actor, case, command).await;
            let events = desk.load(case).await;
            let history = ok(desk.cw.history(case).await, "history");
            assert_eq!(
                ok(fold(&history), "fold").as_ref(),
                Some(&done.state),
                "R-18: the fold of the stored history is the state the command returned"
            );
            assert_eq!(ok(desk.cw.case(case).await, "case"), done.state);
            assert_eq!(last_version(&events), done.version);
            assert_eq!(
                history[before as usize..]
                    .iter()
                    .map(|r| r.event.clone())
                    .collect::<Vec<_>>(),
                done.events,
                "the stored events are the command's"
            );
            for e in &events[before as usize..] {
                assert_eq!(e.meta.actor, actor, "R-18: who");
                assert_eq!(e.meta.recorded_at, at, "R-18: when");
                assert_eq!(e.meta.reason, reason, "R-18: why");
            }
            assert_eq!(
                desk.summary(case).await,
                CaseSummary::of(&done.state, done.version)
            );
            done
        }
    };
    for (actor, command) in steps {
        n += 1;
        last = Some(step(actor, command, n).await);
    }
    let active = last.clone().expect("steps ran").state;
    assert_eq!(active.stage(), StageName::Active);
    assert_eq!(
        active.file().current_risk(),
        Some(RiskLevel::High),
        "override kept"
    );

    let notify = owed_of(&active, OwedActionKind::NotifySafeguardingUnit);
    let duty = owed_of(&active, OwedActionKind::ReferToDutySocialWork);
    let outcome = owed_of(&active, OwedActionKind::CommunicateOutcome);
    let sent_at = desk.now();
    let later: Vec<(Actor, CaseCommand)> = vec![
        (
            worker.clone(),
            CaseCommand::MarkActionSent {
                action: notify,
                reference: fixtures::text("FICT-ISU-0042"),
                sent_at,
            },
        ),
        (
            worker.clone(),
            CaseCommand::AcknowledgeAction {
                action: notify,
                acknowledged_at: sent_at,
            },
        ),
        (
            worker.clone(),
            CaseCommand::MarkActionSent {
                action: duty,
                reference: fixtures::text("FICT-DUTY-0007"),
                sent_at,
            },
        ),
        (
            worker.clone(),
            CaseCommand::Pause {
                reason: PauseReason::Missing,
            },
        ),
        (worker.clone(), CaseCommand::Resume),
        (
            worker.clone(),
            CaseCommand::RecordReview {
                indicators: keys(LOW),
                worker_override: None,
                decision: ReviewDecision::ProposeClosure,
            },
        ),
        (worker.clone(), CaseCommand::ProposeClosure),
        (
            worker.clone(),
            CaseCommand::RecordAgreement {
                party: Party::YoungPerson,
            },
        ),
        (
            worker.clone(),
            CaseCommand::RecordAgreement {
                party: Party::Professional(teacher.id),
            },
        ),
        (manager.clone(), CaseCommand::CompleteClosure),
        (
            worker.clone(),
            CaseCommand::ExplainAction {
                action: outcome,
                explanation: fixtures::text("Self-referral: she was told the outcome in person"),
            },
        ),
    ];
    for (actor, command) in later {
        n += 1;
        last = Some(step(actor, command, n).await);
    }
    let closed = last.expect("steps ran").state;
    match &closed {
        Case::Closed(c) => assert_eq!(c.reason(), &ClosureReason::RiskSignificantlyReduced),
        other => panic!("the story ends closed, got {}", other.stage()),
    }

    // R-17: a closed case is never edited; the refusal writes nothing.
    let events = desk.load(case).await;
    let row = desk.summary(case).await;
    let refused = desk
        .refused(
            &worker,
            case,
            CaseCommand::RecordProfessional {
                professional: fixtures::social_worker(),
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            CommandError::Rejected(DomainError::CaseClosed { .. })
        ),
        "R-17: got {refused:?}"
    );
    assert_eq!(desk.load(case).await, events);
    assert_eq!(desk.summary(case).await, row);
}

// ---------------------------------------------------------------------------------------------
// Reading stored histories
// ---------------------------------------------------------------------------------------------

/// A stored event of a type this library does not know is a typed error naming the stream,
/// the version and the type ([`HistoryProblem::UnknownEventType`]), for reads and commands,
/// never a panic or a silently skipped event (R-18: history is never lost in silence).
pub async fn unknown_event_type_is_a_typed_error<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let person = desk.person("Dot Example").await;
    let case = desk.refer(person, desk.now()).await;
    let version = desk
        .raw_append(
            case,
            vec![NewEvent {
                event_type: "no_such_event".into(),
                schema_version: 1,
                payload: r#"{"type":"no_such_event"}"#.into(),
                meta: meta(&desk.worker, desk.now(), None),
            }],
            None,
        )
        .await;
    let want = HistoryError {
        stream: StreamId::Case(case),
        version,
        problem: HistoryProblem::UnknownEventType("no_such_event".into()),
    };
    assert_eq!(
        desk.cw.case(case).await,
        Err(LoadError::History(want.clone())),
        "an unknown event type is a typed history error"
    );
    assert_eq!(
        desk.cw.history(case).await.map(|h| h.len()),
        Err(LoadError::History(want.clone()))
    );
    assert_eq!(
        desk.cw
            .execute(&desk.worker, case, CaseCommand::Screen)
            .await,
        Err(CommandError::History(want)),
        "a command on an unreadable history is refused with the history error"
    );
}

/// R-18 (history is never misread): an event written by a newer schema version than this library
/// reads is a typed error ([`HistoryProblem::NewerSchema`]) naming the type, the version found and
/// the newest supported, so an old library never misreads a newer database's history.
pub async fn newer_schema_is_a_typed_error<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    // A `professional_involved` (current schema 1) stored at schema 2.
    let person = desk.person("Ada Example").await;
    let case = desk.refer(person, desk.now()).await;
    let event = CaseEvent::ProfessionalInvolved {
        professional: fixtures::social_worker(),
    }
    .encode(meta(&desk.worker, desk.now(), None));
    assert_eq!(event.schema_version, 1, "fixture: current schema");
    let version = desk
        .raw_append(
            case,
            vec![NewEvent {
                schema_version: 2,
                ..event
            }],
            None,
        )
        .await;
    assert_eq!(
        desk.cw.case(case).await,
        Err(LoadError::History(HistoryError {
            stream: StreamId::Case(case),
            version,
            problem: HistoryProblem::NewerSchema {
                event_type: "professional_involved".into(),
                found: 2,
                supported: 1,
            },
        }))
    );

    // A `case_closed` (current schema 2) stored at schema 3.
    let person = desk.person("Bea Example").await;
    let case = desk.refer(person, desk.now()).await;
    let version = desk
        .raw_append(
            case,
            vec![NewEvent {
                event_type: "case_closed".into(),
                schema_version: 3,
                payload: r#"{"type":"case_closed","reason":{"reason":"aged_out"},"at":"2026-03-02T09:00:00Z","why":"v3"}"#.into(),
                meta: meta(&desk.worker, desk.now(), None),
            }],
            None,
        )
        .await;
    assert_eq!(
        desk.cw.case(case).await,
        Err(LoadError::History(HistoryError {
            stream: StreamId::Case(case),
            version,
            problem: HistoryProblem::NewerSchema {
                event_type: "case_closed".into(),
                found: 3,
                supported: 2,
            },
        }))
    );
}

/// An event stored at an old schema version is upcast on read: a `case_closed` written at
/// schema 1 (the reason a bare string, any words in `reason_text`) reads back as the typed
/// reason of R-15, for `moved_out_of_area`, `other` (with its text) and `transferred` (to whom).
pub async fn old_schema_is_upcast_on_read<S: Store + 'static>(store: S) {
    let desk = Desk::new(store);
    let cases = [
        (
            "Cat Example",
            serde_json::json!("moved_out_of_area"),
            None,
            ClosureReason::MovedOutOfArea,
        ),
        (
            "Dee Sample",
            serde_json::json!("other"),
            Some("Family chose a faith-based youth project (fictional)"),
            ClosureReason::Other {
                text: fixtures::text("Family chose a faith-based youth project (fictional)"),
            },
        ),
        (
            "Em Sample",
            serde_json::json!("transferred"),
            Some("Moorland County Young People's Service (fictional)"),
            ClosureReason::Transferred {
                to: fixtures::text("Moorland County Young People's Service (fictional)"),
            },
        ),
    ];
    for (name, reason, text, want) in cases {
        let case = desk.assessed(name, desk.now(), LOW).await;
        desk.run(case, CaseCommand::AcceptForSupport).await;
        desk.run(case, desk.allocate_to_worker()).await;
        desk.clock.advance(Duration::days(3));
        let closed_at = desk.now();
        let mut v1 = serde_json::json!({
            "type": "case_closed",
            "reason": reason,
            "at": closed_at,
        });
        if let Some(text) = text {
            v1["reason_text"] = serde_json::json!(text);
        }
        let version = desk
            .raw_append(
                case,
                vec![NewEvent {
                    event_type: "case_closed".into(),
                    schema_version: 1,
                    payload: v1.to_string(),
                    meta: meta(&desk.worker, closed_at, Some("Closed in the draft format")),
                }],
                None,
            )
            .await;
        let stored = desk.load(case).await;
        assert_eq!(
            stored.last().map(|e| (e.schema_version, e.payload.clone())),
            Some((1, v1.to_string())),
            "the store keeps the old payload as written; upcasting happens on read"
        );
        match ok(desk.cw.case(case).await, "an upcast history loads") {
            Case::Closed(closed) => {
                assert_eq!(
                    closed.reason(),
                    &want,
                    "R-15: the v1 reason reads as the typed reason"
                );
                assert_eq!(closed.closed_at(), closed_at);
            }
            other => panic!("a case_closed v1 closes the case, got {}", other.stage()),
        }
        let history = ok(desk.cw.history(case).await, "history");
        assert_eq!(history.len() as u64, version);
        assert_eq!(
            history.last().map(|r| &r.event),
            Some(&CaseEvent::CaseClosed {
                reason: want.clone(),
                at: closed_at,
            })
        );
    }
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
        Some(decoded),
        ok(fold(&history[..snapshot.version as usize]), "fold"),
        "the snapshot is the fold of the events it covers"
    );
    let expected = full_fold(&desk.cw, case).await;
    assert_eq!(
        expected.file().professionals.len() as u64,
        commands,
        "fixture: every professional recorded"
    );
    assert_eq!(
        ok(desk.cw.case(case).await, "case"),
        expected,
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
        ok(
            desk.cw.case(case).await,
            "a case with an unreadable snapshot loads by replay"
        ),
        expected
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
        ok(desk.cw.case(case).await, "case"),
        expected,
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
    assert_eq!(done.state, full_fold(&desk.cw, case).await);
}

// ---------------------------------------------------------------------------------------------
// Listings and rewrites
// ---------------------------------------------------------------------------------------------

fn listing(kind: ListingKind, key: &str, at: Option<DateTime<Utc>>, detail: &str) -> Listing {
    assert!(
        serde_json::from_str::<serde_json::Value>(detail).is_ok(),
        "conformance fixture bug: listing detail is not JSON: {detail}"
    );
    Listing {
        kind,
        key: key.to_owned(),
        at,
        detail: detail.to_owned(),
    }
}

/// The row a stream writes beside its listings: its own for cases and young people, none for
/// the streams that have no row.
fn own_row(stream: StreamId, person: YoungPersonId, version: u64) -> ReadModelUpdate {
    match stream {
        StreamId::Case(case) => ReadModelUpdate::Case(raw_case_row(case, person, version)),
        StreamId::YoungPerson(p) => ReadModelUpdate::YoungPerson(raw_person_row(p, version)),
        StreamId::Workshop(_)
        | StreamId::Intelligence(_)
        | StreamId::Disclosures(_)
        | StreamId::Access(_)
        | StreamId::Retention(_) => ReadModelUpdate::None,
    }
}

/// Appends one probe event to `stream` at its current version, with its own row and
/// `listings`; returns the new version.
async fn append_listings<S: Store>(
    store: &S,
    stream: StreamId,
    person: YoungPersonId,
    listings: Option<Vec<Listing>>,
) -> u64 {
    let version = last_version(&ok(store.load(stream).await, "load"));
    ok(
        store
            .append(AppendRequest {
                stream,
                expected_version: version,
                events: vec![probe(
                    "listings",
                    version + 1,
                    1,
                    meta(&fixtures::worker(), fixtures::start(), None),
                )],
                read_model: own_row(stream, person, version + 1),
                snapshot: None,
                listings,
            })
            .await,
        &format!("append to {stream} with listings"),
    )
}

/// The listings a store holds after `written` (each stream's latest `Some`), as the reference
/// semantics select and order them for `query`.
fn expected_listings(
    written: &BTreeMap<StreamId, Vec<Listing>>,
    query: &ListingQuery,
) -> Vec<Listed> {
    let mut rows: Vec<Listed> = written
        .iter()
        .flat_map(|(stream, listings)| {
            listings
                .iter()
                .filter(|l| query.matches(l))
                .map(|l| Listed {
                    stream: *stream,
                    listing: l.clone(),
                })
        })
        .collect();
    rows.sort_by(listing_order);
    rows
}

/// Appends to `stream` with `listings` and records in `written` what its listings now are.
async fn replace_listings<S: Store>(
    store: &S,
    written: &mut BTreeMap<StreamId, Vec<Listing>>,
    person: YoungPersonId,
    stream: StreamId,
    listings: Option<Vec<Listing>>,
) {
    match &listings {
        Some(v) if v.is_empty() => {
            written.remove(&stream);
        }
        Some(v) => {
            written.insert(stream, v.clone());
        }
        None => {}
    }
    append_listings(store, stream, person, listings).await;
}

async fn listed<S: Store>(store: &S, query: &ListingQuery) -> Vec<Listed> {
    ok(store.listings(query.clone()).await, &format!("{query:?}"))
}

/// Asserts that every kind's listings are exactly what `written` says, in listing order.
async fn assert_listings<S: Store>(
    store: &S,
    written: &BTreeMap<StreamId, Vec<Listing>>,
    when: &str,
) {
    for kind in ListingKind::ALL {
        let query = ListingQuery::all(kind);
        assert_eq!(
            listed(store, &query).await,
            expected_listings(written, &query),
            "{when}: the {} listings must be exactly those last written by each stream, \
             field for field, in listing_order",
            kind.as_str()
        );
    }
}

/// Listings, the one generic read model (service-wide lists for R-5, R-12, R-19, R-22, R-23,
/// R-27): every field comes back exactly as written — the kind, the key (empty, non-ASCII,
/// with spaces), the time to the microsecond (before 1970, far ahead, or none), the detail's
/// JSON text byte for byte (unsorted keys, spacing, escapes, non-ASCII) — with the stream
/// that wrote it, for case and young-person streams and for the streams that have no row
/// of their own ([`ReadModelUpdate::None`]: workshops, intelligence, disclosures, access,
/// retention). A stream without a row writes none: the case sharing a disclosures stream's id
/// keeps its own row.
pub async fn listings_round_trip_exactly<S: Store + 'static>(store: S) {
    let t = fixtures::start();
    let case = CaseId::new();
    let person = YoungPersonId::new();
    let streams = [
        (
            StreamId::Case(case),
            [ListingKind::OpenCase, ListingKind::ReviewDue],
        ),
        (
            StreamId::YoungPerson(person),
            [ListingKind::Alumni, ListingKind::Alumni],
        ),
        (
            StreamId::Disclosures(case),
            [ListingKind::Disclosure, ListingKind::Override],
        ),
        (
            StreamId::Workshop(WorkshopId::new()),
            [ListingKind::Workshop, ListingKind::ReviewDue],
        ),
        (
            StreamId::Intelligence(IntelligenceId::new()),
            [
                ListingKind::IntelligenceAwaitingPolice,
                ListingKind::ReviewDue,
            ],
        ),
        (
            StreamId::Access(AccessId::new()),
            [ListingKind::Access, ListingKind::Access],
        ),
        (
            StreamId::Retention(person),
            [ListingKind::ClosedCase, ListingKind::LegalHold],
        ),
    ];
    let keys = ["", "LS6", "Siân ✓ “quoted”", " spaced key ", "case-0001"];
    let instants = [
        Some(t + Duration::microseconds(123_456)),
        Some(Utc.with_ymd_and_hms(1966, 7, 30, 15, 0, 0).unwrap() + Duration::microseconds(1)),
        None,
        Some(
            Utc.with_ymd_and_hms(2099, 12, 31, 23, 59, 59).unwrap()
                + Duration::microseconds(999_999),
        ),
        Some(t),
        Some(t - Duration::microseconds(1)),
    ];
    let details = [
        r#"{"zeta":1,"alpha":"Siân’s café — “fictional” ✓","n":[1,2.50,null,true]}"#,
        r#"{ "spaced" :  true ,"esc":"\u00e9\n\t\"q\" \\ /"}"#,
        r#""a bare string""#,
        "{}",
        r#"{"emoji":"🙂","cjk":"個案","rtl":"مرحبا","big":12345678901234567890}"#,
        "[ ]",
        r#"{"b":{"a":[{"z":0,"y":-0.0}]},"a":"b"}"#,
    ];

    // The case's and the young person's rows come first; the streams without a row follow.
    let mut written: BTreeMap<StreamId, Vec<Listing>> = BTreeMap::new();
    let mut n = 0;
    for (stream, kinds) in streams {
        let listings: Vec<Listing> = kinds
            .iter()
            .chain(&kinds[..1])
            .map(|kind| {
                n += 1;
                listing(
                    *kind,
                    keys[n % keys.len()],
                    instants[n % instants.len()],
                    details[n % details.len()],
                )
            })
            .collect();
        let version = append_listings(&store, stream, person, Some(listings.clone())).await;
        assert_eq!(version, 1);
        written.insert(stream, listings);
    }
    assert_listings(&store, &written, "after one append per stream").await;

    for (stream, _) in streams {
        let events = ok(store.load(stream).await, "load");
        assert_eq!(
            events.len(),
            1,
            "{stream}: the append's event is stored, with or without a row"
        );
        assert_eq!(events[0].stream, stream);
    }
    assert_eq!(
        ok(store.case_summary(case).await, "case_summary"),
        Some(raw_case_row(case, person, 1)),
        "an append to the case's disclosures stream (no row of its own) leaves the case's row \
         as the case stream wrote it"
    );
    assert_eq!(
        ok(store.waiting_list().await, "waiting_list"),
        vec![],
        "no stream wrote a waiting-list row"
    );
    assert_eq!(
        ok(store.outstanding_actions().await, "outstanding_actions"),
        vec![]
    );

    // Another stream's append, even one that removes its own listings, touches none of these.
    let other = StreamId::Workshop(WorkshopId::new());
    append_listings(&store, other, person, Some(vec![])).await;
    assert_listings(
        &store,
        &written,
        "after an append with no listings elsewhere",
    )
    .await;
}

/// A stream's listings are replaced as a whole by each append that carries them: `Some(v)`
/// leaves exactly `v` (listings of kinds not in `v` go; changed and unchanged ones are as in
/// `v`), `Some(vec![])` leaves none, `None` keeps them as they are; other streams' listings
/// are never touched, even those sharing a kind or a key.
pub async fn listings_are_replaced_as_a_whole<S: Store + 'static>(store: S) {
    let t = fixtures::start();
    let person = YoungPersonId::new();
    let a = StreamId::Workshop(WorkshopId::new());
    let b = StreamId::Case(CaseId::new());
    let c = StreamId::Retention(person);
    let (x, y) = (ListingKind::Workshop, ListingKind::Alumni);
    let a1 = listing(x, "school", Some(t), r#"{"reach":30}"#);
    let a2 = listing(x, "youth_club", Some(t + hours(1)), r#"{"reach":12}"#);
    let a3 = listing(y, "school", Some(t + hours(2)), r#"{"joined":true}"#);
    let b1 = listing(x, "school", Some(t), r#"{"reach":30}"#);
    let b2 = listing(y, "", None, r#"{"other":"stream"}"#);
    let c1 = listing(y, "school", Some(t + hours(2)), r#"{"joined":true}"#);

    let mut written: BTreeMap<StreamId, Vec<Listing>> = BTreeMap::new();
    replace_listings(
        &store,
        &mut written,
        person,
        a,
        Some(vec![a1.clone(), a2.clone(), a3.clone()]),
    )
    .await;
    replace_listings(
        &store,
        &mut written,
        person,
        b,
        Some(vec![b1.clone(), b2.clone()]),
    )
    .await;
    replace_listings(&store, &mut written, person, c, Some(vec![c1.clone()])).await;
    assert_listings(&store, &written, "three streams' first listings").await;

    replace_listings(&store, &mut written, person, a, None).await;
    assert_listings(&store, &written, "`None` keeps a stream's listings").await;
    replace_listings(&store, &mut written, person, b, None).await;
    assert_listings(&store, &written, "`None` keeps a stream's listings").await;

    let a2_changed = listing(x, "youth_club", Some(t + hours(1)), r#"{"reach":13}"#);
    let a4 = listing(x, "library", None, r#"{"reach":0}"#);
    replace_listings(
        &store,
        &mut written,
        person,
        a,
        Some(vec![a2_changed.clone(), a4.clone()]),
    )
    .await;
    assert_listings(
        &store,
        &written,
        "`Some(v)` replaces all of a stream's listings: changed detail, a new one, one dropped, \
         a kind no longer listed gone",
    )
    .await;
    replace_listings(
        &store,
        &mut written,
        person,
        a,
        Some(vec![a4.clone(), a2_changed.clone()]),
    )
    .await;
    assert_listings(&store, &written, "`Some(v)` with the same listings again").await;

    let a2_moved = listing(x, "youth_club", Some(t + hours(5)), r#"{"reach":13}"#);
    let a2_rekeyed = listing(x, "school", Some(t + hours(5)), r#"{"reach":13}"#);
    replace_listings(
        &store,
        &mut written,
        person,
        a,
        Some(vec![a2_moved, a4.clone()]),
    )
    .await;
    assert_listings(&store, &written, "`Some(v)` with only a time changed").await;
    replace_listings(
        &store,
        &mut written,
        person,
        a,
        Some(vec![a2_rekeyed, a4.clone()]),
    )
    .await;
    assert_listings(&store, &written, "`Some(v)` with only a key changed").await;
    let b_kind = listing(y, "school", Some(t), r#"{"reach":30}"#);
    replace_listings(
        &store,
        &mut written,
        person,
        b,
        Some(vec![b_kind, b2.clone()]),
    )
    .await;
    assert_listings(&store, &written, "`Some(v)` with only a kind changed").await;

    replace_listings(&store, &mut written, person, a, Some(vec![])).await;
    assert_listings(
        &store,
        &written,
        "`Some(vec![])` removes all of a stream's listings",
    )
    .await;
    assert!(
        listed(&store, &ListingQuery::all(x))
            .await
            .iter()
            .all(|l| l.stream != a),
        "a stream whose listings were removed lists nothing"
    );
    replace_listings(&store, &mut written, person, a, None).await;
    assert_listings(&store, &written, "`None` after removal keeps none").await;
    replace_listings(
        &store,
        &mut written,
        person,
        a,
        Some(vec![a1.clone(), a3.clone()]),
    )
    .await;
    assert_listings(&store, &written, "listings written again after removal").await;
    replace_listings(&store, &mut written, person, c, Some(vec![])).await;
    assert_listings(
        &store,
        &written,
        "removing one stream's listings leaves the others'",
    )
    .await;
    assert_eq!(
        listed(
            &store,
            &ListingQuery::all(y).key("school").from(t + hours(2))
        )
        .await,
        vec![Listed {
            stream: a,
            listing: a3
        }],
        "of two equal listings in two streams, removing one stream's leaves the other's"
    );
}

/// Listing queries select by kind, by key (an exact match, the empty key included) and by a
/// time window — `from` inclusive, `to` exclusive, to the microsecond; with either bound,
/// listings without a time are left out, without bounds they come last — and return
/// exactly [`listing_order`]: ties on the time are broken by the stream's kind, then its
/// uuid (a case and its disclosures stream share one), then the key, then the detail.
pub async fn listing_queries_filter_and_order<S: Store + 'static>(store: S) {
    let t0 = fixtures::start();
    let micro = Duration::microseconds(1);
    let t1 = t0 + micro;
    let t2 = t0 + hours(1);
    let t3 = t0 + Duration::days(1);
    let person = YoungPersonId::new();
    let (case1, case2) = (CaseId::new(), CaseId::new());
    // An access stream whose uuid sorts after the workshop's, so the stream kind, not the
    // uuid, must put it first.
    let (access, workshop) = loop {
        let (a, w) = (AccessId::new(), WorkshopId::new());
        if a.as_uuid() > w.as_uuid() {
            break (StreamId::Access(a), StreamId::Workshop(w));
        }
    };
    let intelligence = StreamId::Intelligence(IntelligenceId::new());
    let disclosures = StreamId::Disclosures(case1);
    let (c1, c2) = (StreamId::Case(case1), StreamId::Case(case2));
    let k = ListingKind::ReviewDue;
    let o = ListingKind::ExpectedEnd;
    let d = |n: u32| format!(r#"{{"n":{n}}}"#);

    let mut plan: Vec<(StreamId, Vec<Listing>)> = Vec::new();
    for (i, stream) in [c1, c2, disclosures, access, workshop, intelligence]
        .into_iter()
        .enumerate()
    {
        // Every stream lists `k1` at t1: six ties on the time across five stream kinds.
        let mut listings = vec![
            listing(k, "k1", Some(t1), &d(i as u32)),
            // The other kind, at the same times and keys: never in a query for `k`.
            listing(o, "k1", Some(t1), &d(100 + i as u32)),
            listing(o, "", None, &d(200 + i as u32)),
        ];
        match stream {
            StreamId::Case(id) if id == case1 => listings.extend([
                // One stream, one time, two keys; one key, one time, two details.
                listing(k, "k2", Some(t2), &d(10)),
                listing(k, "k1", Some(t2), &d(11)),
                listing(k, "k1", Some(t3), r#"{"n":13}"#),
                listing(k, "k1", Some(t3), r#"{"n":12}"#),
            ]),
            StreamId::Case(_) => listings.push(listing(k, "", None, &d(20))),
            StreamId::Disclosures(_) => listings.push(listing(k, "k1", Some(t0 - micro), &d(30))),
            StreamId::Access(_) => listings.extend([
                listing(k, "k1", None, &d(40)),
                listing(k, "k1", Some(t3), &d(41)),
            ]),
            StreamId::Workshop(_) => listings.extend([
                listing(k, "", Some(t0), &d(50)),
                listing(k, "k2", None, &d(51)),
            ]),
            _ => listings.push(listing(k, "k2", Some(t3 + micro), &d(60))),
        }
        plan.push((stream, listings));
    }
    let mut written = BTreeMap::new();
    for (stream, listings) in plan {
        append_listings(&store, stream, person, Some(listings.clone())).await;
        written.insert(stream, listings);
    }

    let far = Duration::days(365 * 100);
    let queries = [
        ListingQuery::all(k),
        ListingQuery::all(o),
        ListingQuery::all(ListingKind::MissingFlag),
        ListingQuery::all(k).key("k1"),
        ListingQuery::all(k).key("k2"),
        ListingQuery::all(k).key(""),
        ListingQuery::all(o).key(""),
        ListingQuery::all(k).key("K1"),
        ListingQuery::all(k).key("k"),
        ListingQuery::all(k).from(t1),
        ListingQuery::all(k).from(t0),
        ListingQuery::all(k).from(t3 + micro),
        ListingQuery::all(k).before(t1),
        ListingQuery::all(k).before(t0),
        ListingQuery::all(k).from(t1).before(t2),
        ListingQuery::all(k).from(t1).before(t1),
        ListingQuery::all(k).from(t2).before(t3 + micro),
        ListingQuery::all(k).from(t2).before(t1),
        ListingQuery::all(k).key("k1").from(t1).before(t3),
        ListingQuery::all(k).key("").before(t3),
        ListingQuery::all(k).from(t0 - far),
        ListingQuery::all(k).before(t0 - far),
        ListingQuery::all(k).from(t0 + far),
        ListingQuery::all(o).from(t0 - far).before(t0 + far),
    ];
    for query in &queries {
        assert_eq!(
            listed(&store, query).await,
            expected_listings(&written, query),
            "{query:?}: the listings ListingQuery::matches selects, in listing_order"
        );
    }

    // The same facts, spelled out, so a store cannot agree with a broken reference.
    let all = listed(&store, &ListingQuery::all(k)).await;
    assert_eq!(all.len(), 17);
    let untimed: Vec<StreamId> = all
        .iter()
        .skip_while(|l| l.listing.at.is_some())
        .map(|l| l.stream)
        .collect();
    assert_eq!(
        untimed,
        vec![access, c2, workshop],
        "listings without a time come last, by stream kind"
    );
    let at_t1 = listed(&store, &ListingQuery::all(k).from(t1).before(t2)).await;
    let mut case_ids = [case1, case2];
    case_ids.sort();
    assert_eq!(
        at_t1.iter().map(|l| l.stream).collect::<Vec<_>>(),
        vec![
            access,
            StreamId::Case(case_ids[0]),
            StreamId::Case(case_ids[1]),
            disclosures,
            intelligence,
            workshop
        ],
        "`from` is inclusive, `to` exclusive; ties on the time by stream kind, then uuid"
    );
    let before_t1 = listed(&store, &ListingQuery::all(k).before(t1)).await;
    assert_eq!(
        before_t1
            .iter()
            .map(|l| (l.stream, l.listing.at))
            .collect::<Vec<_>>(),
        vec![(disclosures, Some(t0 - micro)), (workshop, Some(t0))],
        "`to` excludes a listing one microsecond later and listings without a time"
    );
    let case1_ties: Vec<(String, String)> = listed(&store, &ListingQuery::all(k).from(t2))
        .await
        .into_iter()
        .filter(|l| l.stream == c1)
        .map(|l| (l.listing.key, l.listing.detail))
        .collect();
    assert_eq!(
        case1_ties,
        vec![
            ("k1".to_owned(), d(11)),
            ("k2".to_owned(), d(10)),
            ("k1".to_owned(), d(12)),
            ("k1".to_owned(), d(13)),
        ],
        "within one stream and time: by key, then by detail"
    );
    assert_eq!(
        listed(&store, &ListingQuery::all(k).key(""))
            .await
            .iter()
            .map(|l| (l.stream, l.listing.at))
            .collect::<Vec<_>>(),
        vec![(workshop, Some(t0)), (c2, None)],
        "the empty key is a key like any other"
    );
}

/// R-18 and R-17 for listings: an append refused with a conflict writes none of its listings
/// (neither replacing nor removing the stream's), whether behind, ahead or on a new stream;
/// under racing writers, no loser's listings are ever seen, and the stream's listings in the
/// end are those of the append that won the last version.
pub async fn conflicting_append_writes_no_listings<S: Store + 'static>(store: S) {
    const WRITERS: u64 = 6;
    const APPENDS: u64 = 8;
    let person = YoungPersonId::new();
    let stream = StreamId::Workshop(WorkshopId::new());
    let kind = ListingKind::Workshop;
    let kept = vec![
        listing(kind, "school", Some(fixtures::start()), r#"{"kept":1}"#),
        listing(kind, "youth_club", None, r#"{"kept":2}"#),
    ];
    append_listings(&store, stream, person, Some(kept.clone())).await;
    append_listings(&store, stream, person, None).await;
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
    let row = |case: CaseId, version: u64| raw_case_row(case, person, version);
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
