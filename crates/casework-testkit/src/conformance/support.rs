//! What the checks share: unwrapping with a message, the risk tool's indicator sets, hand-made
//! probe events and read-model rows, and [`Desk`], a front desk over a store (the service on a
//! manual clock, a worker and a manager) with the steps the service-level checks take.

use crate::{desk, fixtures};
use casework_core::case::fold;
use casework_core::case::owed::{OwedActionKind, OwedStatus};
use casework_core::case::{Case, CaseCommand};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::event::{EventMeta, NewEvent, RecordedEvent};
use casework_core::kernel::ids::{CaseId, EventId, OwedActionId, StreamId, YoungPersonId};
use casework_core::policy::risk::IndicatorAnswer;
use casework_core::read::rows::{
    owed_order, CaseSummary, OwedActionSummary, ReadModelUpdate, YoungPersonSummary,
};
use casework_core::store::{AppendRequest, Snapshot, Store};
use casework_core::young_person::YoungPersonDetails;
use casework_service::{Casework, CommandError};
use chrono::{DateTime, Duration, Utc};
use std::fmt::Debug;
use std::ops::Deref;

/// Unwraps, or panics naming what failed and why.
pub(super) fn ok<T, E: Debug>(result: Result<T, E>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// The minimal tool's indicator sets used throughout (a subject aged 13+ without a learning
/// difficulty): no indicators is Low, three vulnerabilities score 3 (Medium), two indicators
/// scoring 6 are High.
pub(super) const LOW: &[&str] = &[];
pub(super) const MEDIUM: &[&str] = &["missing_from_home", "school_absence", "older_boyfriend"];
pub(super) const HIGH: &[&str] = &["taken_to_parties", "missing_from_home"];

pub(super) fn keys(indicators: &[&str]) -> Vec<IndicatorAnswer> {
    indicators
        .iter()
        .map(|key| IndicatorAnswer::current(*key))
        .collect()
}

pub(super) fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

pub(super) fn meta(actor: &Actor, at: DateTime<Utc>, reason: Option<&str>) -> EventMeta {
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
pub(super) fn probe(tag: &str, n: u64, schema_version: u32, meta: EventMeta) -> NewEvent {
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

/// A hand-made case row for store-level checks (one definition, the tampering tests').
pub(super) use crate::tampering::row as raw_case_row;

pub(super) fn raw_person_row(person: YoungPersonId, version: u64) -> YoungPersonSummary {
    YoungPersonSummary {
        young_person_id: person,
        birth_year: 2010,
        postcode_district: "LS6".into(),
        registered_at: fixtures::start(),
        version,
    }
}

pub(super) fn last_version(events: &[RecordedEvent]) -> u64 {
    events.last().map_or(0, |e| e.version)
}

/// A front desk over a store: the shared [`desk::Desk`] (the service on a manual clock, a
/// worker and a manager), which it dereferences to, with the conformance checks' own steps.
pub(super) struct Desk<S>(pub(super) desk::Desk<S>);

impl<S> Deref for Desk<S> {
    type Target = desk::Desk<S>;
    fn deref(&self) -> &desk::Desk<S> {
        &self.0
    }
}

impl<S: Store> Desk<S> {
    pub(super) fn new(store: S) -> Self {
        Desk(desk::Desk::new(store))
    }

    /// Registers an eligible girl (14, LS6) under `name`.
    pub(super) async fn person(&self, name: &str) -> YoungPersonId {
        self.register(YoungPersonDetails {
            name: fixtures::text(name),
            ..fixtures::girl_in_leeds_area()
        })
        .await
    }

    /// A self-referral about `person` received at `received_at` (not after the clock).
    pub(super) async fn refer(&self, person: YoungPersonId, received_at: DateTime<Utc>) -> CaseId {
        self.0
            .refer(person, fixtures::self_referral(received_at))
            .await
    }

    pub(super) async fn refused(
        &self,
        actor: &Actor,
        case: CaseId,
        command: CaseCommand,
    ) -> CommandError {
        let name = command.name();
        match self.try_run_as(actor, case, command).await {
            Ok(done) => panic!(
                "`{name}` on {case} should have been refused, but it moved the case to {}",
                done.state.stage()
            ),
            Err(e) => e,
        }
    }

    /// Registers `name`, refers her at `received_at`, screens and assesses with `indicators`.
    pub(super) async fn assessed(
        &self,
        name: &str,
        received_at: DateTime<Utc>,
        indicators: &[&str],
    ) -> CaseId {
        let person = self.person(name).await;
        let case = self.refer(person, received_at).await;
        self.assess(case, indicators).await;
        case
    }

    pub(super) async fn on_waiting_list(
        &self,
        name: &str,
        received_at: DateTime<Utc>,
        indicators: &[&str],
    ) -> CaseId {
        let case = self.assessed(name, received_at, indicators).await;
        self.run(case, CaseCommand::AddToWaitingList).await;
        case
    }

    pub(super) fn allocate_to_worker(&self) -> CaseCommand {
        desk::allocate_to(&self.worker)
    }

    /// A case accepted for immediate support, allocated and engaged, at the clock; work begins
    /// at `begin_at` (the clock is left there).
    pub(super) async fn active(
        &self,
        name: &str,
        indicators: &[&str],
        begin_at: DateTime<Utc>,
    ) -> CaseId {
        let person = self.person(name).await;
        let case = self.engaged_with(person, indicators, &self.worker).await;
        self.set(begin_at);
        self.run(case, CaseCommand::BeginWork).await;
        case
    }

    pub(super) async fn load(&self, case: CaseId) -> Vec<RecordedEvent> {
        ok(
            self.store().load(StreamId::Case(case)).await,
            "load a case stream",
        )
    }

    pub(super) async fn summary(&self, case: CaseId) -> CaseSummary {
        ok(self.store().case_summary(case).await, "case_summary")
            .unwrap_or_else(|| panic!("case_summary({case}) is None for a case that exists"))
    }

    /// Appends raw events at the end of a real case's stream, with its current row (version
    /// bumped) as the read model, bypassing the domain.
    pub(super) async fn raw_append(
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
                    idempotency: None,
                })
                .await,
            "raw append at the stream's current version",
        )
    }

    /// Every owed action of `cases` still owed, computed from the domain state (not the store's
    /// rows), in the library's order.
    pub(super) async fn expected_outstanding(&self, cases: &[CaseId]) -> Vec<OwedActionSummary> {
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
pub(super) async fn full_fold<S: Store>(cw: &Casework<S>, case: CaseId) -> Case {
    let history = ok(cw.history(case).await, "history");
    ok(fold(&history), "fold").expect("a history folds to a case")
}

pub(super) fn owed_of(case: &Case, kind: OwedActionKind) -> OwedActionId {
    case.file()
        .owed
        .iter()
        .find(|a| a.kind == kind)
        .unwrap_or_else(|| panic!("case has no owed action {kind:?}"))
        .id
}

pub(super) fn ids(rows: &[CaseSummary]) -> Vec<CaseId> {
    rows.iter().map(|r| r.case_id).collect()
}
