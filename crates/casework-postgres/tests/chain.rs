//! Tampering with the database directly (R-18): edit, delete, reorder and insert event rows
//! with tokio-postgres on the test database, and `verify` names the first broken link of the
//! stream touched, and only of that one.

mod common;

use casework_core::kernel::chain::{Break, ChainBreak};
use casework_core::kernel::ids::CaseId;
use casework_core::policy::profile::examples::city_girls_service;
use casework_postgres::tokio_postgres::{self, NoTls};
use casework_service::Casework;
use casework_testkit::tampering;
use common::TestStore;

struct Tampered {
    casework: Casework<TestStore>,
    client: tokio_postgres::Client,
    case: CaseId,
}

/// The testkit's small history, written by the store; and a raw client on the same database.
async fn written() -> Tampered {
    let store = TestStore::new().await;
    let (client, connection) = tokio_postgres::connect(store.db.url(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let casework = Casework::new(store, city_girls_service());
    let case = tampering::written(&casework).await;
    Tampered {
        casework,
        client,
        case,
    }
}

impl Tampered {
    async fn sql(&self, sql: &str) {
        let sql = sql.replace(
            "$CASE",
            &format!(
                "stream_kind = 'case' AND stream_id = '{}'",
                self.case.as_uuid()
            ),
        );
        self.client.batch_execute(&sql).await.unwrap();
    }

    async fn broken(&self) -> ChainBreak {
        tampering::the_break(&self.casework, self.case).await
    }
}

#[tokio::test]
async fn an_edited_row_is_named_at_its_version() {
    if common::skip() {
        return;
    }
    for (column, value) in [
        ("payload", r#"'{"n":3,"note":"nothing happened"}'"#),
        ("reason", "'added later'"),
        ("actor_name", "'Someone Else'"),
        ("recorded_at", "recorded_at + interval '1 microsecond'"),
    ] {
        let t = written().await;
        t.sql(&format!(
            "UPDATE events SET {column} = {value} WHERE $CASE AND version = 3"
        ))
        .await;
        let b = t.broken().await;
        assert_eq!((b.version, b.problem), (3, Break::Edited), "{column}");
    }
}

#[tokio::test]
async fn a_deleted_event_is_missing() {
    if common::skip() {
        return;
    }
    let t = written().await;
    t.sql("DELETE FROM events WHERE $CASE AND version = 3")
        .await;
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Missing { found: 4 }));
    t.sql("UPDATE events SET version = version - 1 WHERE $CASE AND version > 3")
        .await;
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Missing { found: 4 }));
}

#[tokio::test]
async fn a_deleted_last_event_is_caught_by_the_case_row() {
    if common::skip() {
        return;
    }
    let t = written().await;
    t.sql("DELETE FROM events WHERE $CASE AND version = 5")
        .await;
    let b = t.broken().await;
    assert_eq!(
        (b.version, b.problem),
        (
            5,
            Break::Truncated {
                last: 4,
                recorded: 5
            }
        )
    );
}

#[tokio::test]
async fn swapped_rows_are_reordered() {
    if common::skip() {
        return;
    }
    let t = written().await;
    t.sql(
        "UPDATE events SET version = 1000 WHERE $CASE AND version = 2;
         UPDATE events SET version = 2 WHERE $CASE AND version = 3;
         UPDATE events SET version = 3 WHERE $CASE AND version = 1000;",
    )
    .await;
    let b = t.broken().await;
    assert_eq!(
        (b.version, b.problem),
        (
            2,
            Break::Reordered {
                predecessor_now_at: 3
            }
        )
    );
}

#[tokio::test]
async fn an_inserted_row_is_named() {
    if common::skip() {
        return;
    }
    let t = written().await;
    t.sql(
        "UPDATE events SET version = version + 100 WHERE $CASE AND version >= 3;
         UPDATE events SET version = version - 99 WHERE $CASE AND version >= 100;
         INSERT INTO events (stream_kind, stream_id, version, event_type, schema_version,
             payload, event_id, recorded_at, actor_id, actor_name, actor_role, reason)
         SELECT stream_kind, stream_id, 3, event_type, schema_version,
             '{\"n\":0,\"note\":\"a session that never happened\"}', gen_random_uuid(),
             recorded_at, actor_id, actor_name, actor_role, reason
         FROM events WHERE $CASE AND version = 2;",
    )
    .await;
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Inserted));
}
