//! What the tampering tests of every SQL store share (R-18): a small history written by the
//! store itself, and the one broken link `verify` must then name. Each store's own test edits
//! its rows with its own driver (rusqlite on the file, tokio-postgres on the database) in
//! between.

use crate::fixtures;
use casework_core::case::StageName;
use casework_core::kernel::chain::ChainBreak;
use casework_core::kernel::event::{EventMeta, NewEvent};
use casework_core::kernel::ids::{CaseId, EventId, StreamId, WorkshopId, YoungPersonId};
use casework_core::read::rows::{CaseSummary, ReadModelUpdate};
use casework_core::store::{AppendRequest, Store};
use casework_service::Casework;

/// Events in the case [`written`] makes: its row records this version.
pub const CASE_EVENTS: u64 = 5;

/// The `n`th fictional event: a session note, a reason on the second, and nanoseconds a
/// microsecond store cannot keep (the links cover what is stored).
#[must_use]
pub fn event(n: u64) -> NewEvent {
    NewEvent {
        event_type: "session_held".into(),
        schema_version: 1,
        payload: format!(r#"{{"n":{n},"note":"Fictional note about Amy Example"}}"#),
        meta: EventMeta {
            event_id: EventId::new(),
            recorded_at: fixtures::start()
                + chrono::Duration::minutes(n as i64)
                + chrono::Duration::nanoseconds(321),
            actor: fixtures::worker(),
            reason: (n == 2).then(|| "a stated reason".into()),
        },
    }
}

/// A hand-made row for `case` at `version`, at a stage not finished, with a young person of
/// its own (made from the case's id), so hand-made rows of several cases never give one young
/// person a second open case, which a store refuses (R-17).
#[must_use]
pub fn row(case: CaseId, version: u64) -> CaseSummary {
    CaseSummary {
        case_id: case,
        young_person_id: YoungPersonId::from_uuid(case.as_uuid()),
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

/// Appends, through `casework`'s store, a case of [`CASE_EVENTS`] events one by one (its row
/// at each version), its disclosures and a workshop (two events each), and checks that the
/// history holds as written; returns the case.
///
/// # Panics
///
/// When an append fails or the history as written does not verify.
pub async fn written<S: Store>(casework: &Casework<S>) -> CaseId {
    let store = casework_service::bypass::raw_store(casework);
    let case = CaseId::new();
    for v in 0..CASE_EVENTS {
        let request = AppendRequest {
            stream: StreamId::Case(case),
            expected_version: v,
            events: vec![event(v + 1)],
            read_model: ReadModelUpdate::Case(row(case, v + 1)),
            snapshot: None,
            listings: None,
            idempotency: None,
        };
        store.append(request).await.expect("appends");
    }
    for stream in [
        StreamId::Disclosures(case),
        StreamId::Workshop(WorkshopId::new()),
    ] {
        let request = AppendRequest {
            stream,
            expected_version: 0,
            events: vec![event(1), event(2)],
            read_model: ReadModelUpdate::None,
            snapshot: None,
            listings: None,
            idempotency: None,
        };
        store.append(request).await.expect("appends");
    }
    let report = casework.verify_store().await.expect("verifies");
    assert!(report.holds(), "as written, the history holds: {report:?}");
    assert_eq!((report.streams, report.events), (3, CASE_EVENTS + 4));
    case
}

/// The one broken link `verify` reports after the case's rows were tampered with: the same
/// over the whole store and over the case's stream, and in no other stream.
///
/// # Panics
///
/// When verifying fails, or finds another number of broken streams, or another stream.
pub async fn the_break<S: Store>(casework: &Casework<S>, case: CaseId) -> ChainBreak {
    let report = casework.verify_store().await.expect("verifies");
    assert_eq!(
        report.broken.len(),
        1,
        "only the case is broken: {report:?}"
    );
    let one = casework
        .verify_stream(StreamId::Case(case))
        .await
        .expect("verifies");
    assert_eq!(one.first_break(), report.first_break());
    let b = report.broken[0].clone();
    assert_eq!(b.stream, StreamId::Case(case));
    b
}
