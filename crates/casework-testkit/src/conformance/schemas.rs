//! Checks of reading stored histories written by other versions: an unknown event type and a
//! newer schema version are typed errors, and an old schema version is upcast on read (R-18).

use super::support::{meta, ok, Desk, LOW};
use crate::fixtures;
use casework_core::case::{Case, CaseCommand, CaseEvent, ClosureReason};
use casework_core::kernel::event::{DomainEvent, HistoryError, HistoryProblem, NewEvent};
use casework_core::kernel::ids::StreamId;
use casework_core::kernel::input::Text;
use casework_core::store::Store;
use casework_service::{CommandError, LoadError};
use chrono::Duration;

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
        desk.cw.case(case).await.err(),
        Some(LoadError::History(want.clone())),
        "an unknown event type is a typed history error"
    );
    assert_eq!(
        desk.cw.history(case).await.map(|h| h.len()),
        Err(LoadError::History(want.clone()))
    );
    assert_eq!(
        desk.cw
            .execute(&desk.worker, case, CaseCommand::Screen)
            .await
            .err(),
        Some(CommandError::Load(LoadError::History(want))),
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
        desk.cw.case(case).await.err(),
        Some(LoadError::History(HistoryError {
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
        desk.cw.case(case).await.err(),
        Some(LoadError::History(HistoryError {
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
            ClosureReason::<Text>::MovedOutOfArea,
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
                    crate::stored::stored(closed.reason()),
                    crate::stored::stored(&want),
                    "R-15: the v1 reason reads as the typed reason"
                );
                assert_eq!(closed.closed_at(), closed_at);
            }
            other => panic!("a case_closed v1 closes the case, got {}", other.stage()),
        }
        let history = ok(desk.cw.history(case).await, "history");
        assert_eq!(history.len() as u64, version);
        assert_eq!(
            history.last().map(|r| crate::stored::stored(&r.event)),
            Some(serde_json::json!({
                "type": "case_closed",
                "reason": crate::stored::stored(&want),
                "at": closed_at,
            }))
        );
    }
}
