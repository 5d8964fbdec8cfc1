//! Tampering with the database file directly (R-18): edit, delete, reorder and insert event
//! rows with rusqlite on the file, and `verify` names the first broken link of the stream
//! touched, and only of that one.

mod common;

use casework_core::kernel::chain::{verify_export, Break, ChainBreak};
use casework_core::kernel::ids::{CaseId, StreamId};
use casework_core::policy::profile::examples::city_girls_service;
use casework_service::Casework;
use casework_sqlite::SqliteStore;
use casework_testkit::tampering;
use rusqlite::{params, Connection};

struct Tampered {
    casework: Casework<SqliteStore>,
    file: Connection,
    case: CaseId,
    _dir: tempfile::TempDir,
}

/// The testkit's small history, written by the store; and a raw connection to the file.
async fn written() -> Tampered {
    let (store, dir) = common::store_in_tempdir().await;
    let casework = Casework::new(store, city_girls_service());
    let case = tampering::written(&casework).await;
    let file = Connection::open(common::db_path(&dir)).unwrap();
    Tampered {
        casework,
        file,
        case,
        _dir: dir,
    }
}

impl Tampered {
    fn sql(&self, sql: &str) {
        let id = self.case.as_uuid().hyphenated().to_string();
        let sql = sql.replace(
            "$CASE",
            &format!("stream_kind = 'case' AND stream_id = '{id}'"),
        );
        self.file.execute_batch(&sql).unwrap();
    }

    async fn broken(&self) -> ChainBreak {
        tampering::the_break(&self.casework, self.case).await
    }
}

#[tokio::test]
async fn an_edited_payload_is_named_at_its_version() {
    let t = written().await;
    t.sql(r#"UPDATE events SET payload = '{"n":3,"note":"nothing happened"}' WHERE $CASE AND version = 3"#);
    let b = t.broken().await;
    assert!(b.to_string().contains("version 3"), "{b}");
    assert_eq!((b.version, b.problem), (3, Break::Edited));
}

#[tokio::test]
async fn an_edited_reason_actor_or_time_is_named_too() {
    for (column, value) in [
        ("reason", "'added later'"),
        ("actor_name", "'Someone Else'"),
        ("recorded_at_ns", "7"),
    ] {
        let t = written().await;
        t.sql(&format!(
            "UPDATE events SET {column} = {value} WHERE $CASE AND version = 2"
        ));
        let b = t.broken().await;
        assert_eq!((b.version, b.problem), (2, Break::Edited), "{column}");
    }
}

#[tokio::test]
async fn a_deleted_event_is_missing() {
    let t = written().await;
    t.sql("DELETE FROM events WHERE $CASE AND version = 3");
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Missing { found: 4 }));

    // The gap closed by renumbering the later rows: still missing, by what they hash as.
    t.sql("UPDATE events SET version = version - 1 WHERE $CASE AND version > 3");
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Missing { found: 4 }));
}

#[tokio::test]
async fn a_deleted_last_event_is_caught_by_the_case_row() {
    let t = written().await;
    t.sql("DELETE FROM events WHERE $CASE AND version = 5");
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
    let t = written().await;
    t.sql(
        "UPDATE events SET version = 1000 WHERE $CASE AND version = 2;
         UPDATE events SET version = 2 WHERE $CASE AND version = 3;
         UPDATE events SET version = 3 WHERE $CASE AND version = 1000;",
    );
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
    let t = written().await;
    t.sql(
        "UPDATE events SET version = version + 100 WHERE $CASE AND version >= 3;
         UPDATE events SET version = version - 99 WHERE $CASE AND version >= 100;
         INSERT INTO events (position, stream_kind, stream_id, version, event_type,
             schema_version, payload, event_id, recorded_at, recorded_at_ns, actor_id,
             actor_name, actor_role, reason)
         SELECT (SELECT max(position) + 1 FROM events), stream_kind, stream_id, 3, event_type,
             schema_version, '{\"n\":0,\"note\":\"a session that never happened\"}',
             '00000000-0000-4000-8000-000000000001', recorded_at, recorded_at_ns, actor_id,
             actor_name, actor_role, reason
         FROM events WHERE $CASE AND version = 2;",
    );
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Inserted));
}

#[tokio::test]
async fn a_row_rehashed_alone_breaks_the_next_link() {
    let t = written().await;
    // Someone who edits a row and writes a fresh hash for it, but not for the rows after.
    t.sql(r#"UPDATE events SET payload = '{"n":2}' WHERE $CASE AND version = 2"#);
    let store = casework_service::bypass::raw_store(&t.casework);
    let edited =
        casework_core::store::EventLoad::load_linked_after(store, StreamId::Case(t.case), 1)
            .await
            .unwrap()
            .remove(0);
    let digest = casework_core::kernel::chain::Stored::recorded(&edited.event).digest();
    let hash = casework_core::kernel::chain::link(edited.link.prev.as_ref(), &digest);
    t.file
        .execute(
            "UPDATE events SET hash = ?1 WHERE stream_kind = 'case' AND stream_id = ?2 AND version = 2",
            params![hash.as_bytes().to_vec(), t.case.as_uuid().hyphenated().to_string()],
        )
        .unwrap();
    let b = t.broken().await;
    assert_eq!((b.version, b.problem), (3, Break::Relinked));
}

#[tokio::test]
async fn a_review_export_checks_alone_and_catches_an_edit() {
    let t = written().await;
    let export = t.casework.chain_export(t.case).await.unwrap();
    let heads = verify_export(&export).unwrap();
    assert_eq!(
        heads
            .iter()
            .map(|h| (h.stream, h.version))
            .collect::<Vec<_>>(),
        vec![
            (StreamId::Case(t.case), 5),
            (StreamId::Disclosures(t.case), 2)
        ]
    );
    // Through JSON, as a reviewer receives it, and edited on the way.
    let mut json: serde_json::Value = serde_json::to_value(&export).unwrap();
    json["streams"][0]["events"][1]["payload"] = r#"{"n":2,"note":"edited"}"#.into();
    let edited: casework_core::kernel::chain::ChainExport = serde_json::from_value(json).unwrap();
    let b = verify_export(&edited).unwrap_err();
    assert_eq!((b.version, b.problem), (2, Break::Edited));
}
