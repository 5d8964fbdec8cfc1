//! Helpers shared by the SQLite store's tests.
#![allow(dead_code)]

use casework_core::case::owed::OwedActionKind;
use casework_core::case::{CaseCommand, PauseReason, StageName};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::clock::ManualClock;
use casework_core::kernel::event::{EventMeta, NewEvent};
use casework_core::kernel::ids::{CaseId, EventId, OwedActionId, StreamId, YoungPersonId};
use casework_core::policy::profile::examples::city_girls_service;
use casework_core::policy::risk::RiskLevel;
use casework_core::read::rows::{CaseSummary, OwedActionSummary, ReadModelUpdate};
use casework_core::store::AppendRequest;
use casework_service::Casework;
use casework_sqlite::{SqliteConfig, SqliteStore};
use casework_testkit::fixtures;
use chrono::{DateTime, Duration, Utc};
use std::path::PathBuf;
use std::sync::Arc;

/// A fresh, migrated store in its own temporary directory (kept alive by the returned guard).
pub async fn store_in_tempdir() -> (SqliteStore, tempfile::TempDir) {
    store_with(SqliteConfig::default()).await
}

/// A fresh, migrated store with `config`.
pub async fn store_with(config: SqliteConfig) -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open_with(db_path(&dir), config).expect("opens");
    store.migrate().await.expect("migrates");
    (store, dir)
}

/// The database file in `dir`.
pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("casework.db")
}

/// A small deterministic generator (xorshift), so tests need no randomness crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An event of `event_type` recorded at `at`, with a payload of about `bytes` bytes.
pub fn event(event_type: &str, at: DateTime<Utc>, bytes: usize) -> NewEvent {
    NewEvent {
        event_type: event_type.to_owned(),
        schema_version: 1,
        payload: format!("{{\"note\":\"{}\"}}", "x".repeat(bytes.saturating_sub(11))),
        meta: EventMeta {
            event_id: EventId::new(),
            recorded_at: at,
            actor: fixtures::worker(),
            reason: Some("a stated reason".into()),
        },
    }
}

/// A case summary for `case` at `version`, with one owed action.
pub fn summary(case: CaseId, young_person: YoungPersonId, version: u64) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: young_person,
        stage: StageName::WaitingList,
        risk_level: Some(RiskLevel::Medium),
        received_at: fixtures::start(),
        source: "self".into(),
        worker: None,
        previous_case: None,
        next_review_due: None,
        closure_reason: None,
        version,
        owed: vec![OwedActionSummary {
            action_id: OwedActionId::new(),
            case_id: case,
            kind: OwedActionKind::NotifySafeguardingUnit,
            owed_to: "Fictional Safeguarding Unit".into(),
            due_at: fixtures::start() + Duration::days(1),
            status: "owed".into(),
        }],
    }
}

/// An append of `n` events to a case stream at `expected`, with the case's summary.
pub fn case_append(case: CaseId, expected: u64, n: usize) -> AppendRequest {
    let at = fixtures::start();
    AppendRequest {
        stream: StreamId::Case(case),
        expected_version: expected,
        events: (0..n).map(|_| event("test_event", at, 360)).collect(),
        read_model: ReadModelUpdate::Case(summary(case, YoungPersonId::new(), expected + n as u64)),
        snapshot: None,
        listings: None,
        idempotency: None,
    }
}

/// A service over `store` on a manual clock at the fixtures' start.
pub fn service<S: casework_core::store::Store>(store: S) -> (Casework<S>, Arc<ManualClock>) {
    let clock = Arc::new(fixtures::clock());
    let casework = Casework::new(store, city_girls_service()).with_clock(clock.clone());
    (casework, clock)
}

/// Registers a young person and takes a self-referral to active work; returns the case.
pub async fn active_case<S: casework_core::store::Store>(
    casework: &Casework<S>,
    clock: &ManualClock,
) -> CaseId {
    let worker = fixtures::worker();
    let person = casework
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .expect("registers");
    let case = casework
        .receive_referral(&worker, person, fixtures::self_referral(fixtures::start()))
        .await
        .expect("opens a case");
    for command in [
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: worker.id,
            worker_name: fixtures::text(&worker.name),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: casework_core::kernel::confidential::NewConfidential::new(fixtures::text(
                "Weekly sessions",
            )),
        },
        CaseCommand::BeginWork,
    ] {
        clock.advance(Duration::hours(1));
        casework
            .execute(&worker, case, command)
            .await
            .expect("the story is valid");
    }
    case
}

/// Pauses or resumes an active or paused case: one event either way.
pub fn toggle(paused: bool) -> CaseCommand {
    if paused {
        CaseCommand::Resume
    } else {
        CaseCommand::Pause {
            reason: PauseReason::NoContact,
        }
    }
}

/// The actor every test acts as.
pub fn worker() -> Actor {
    fixtures::worker()
}
