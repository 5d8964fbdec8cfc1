//! The hash chain through the service: a history written by real commands verifies,
//! who may verify it and export a case for a serious case review, and the export
//! checks on its own. Each test runs on every store. Tampering is in the SQLite and Postgres
//! crates' `chain` tests; anonymisation's re-chaining in `retention.rs`.

#[macro_use]
mod support;

use casework::kernel::actor::{Actor, Role};
use casework::kernel::chain::verify_export;
use casework::kernel::ids::StreamId;
use casework::memory::MemoryStore;
use casework::privacy::access::Permission;
use casework::read::rows::{ListingKind, ListingQuery};
use casework::sqlite::SqliteStore;
use casework::store::{CaseQueries, Store};
use casework::ActingError;
use casework_testkit::fixtures;

type Desk<S> = casework_testkit::desk::Desk<S>;

/// A case at work (referral, consent, screening, assessment, allocation, plan, work begun):
/// events on the young person's stream, the case's and the access log's.
async fn story<S: Store>(desk: &Desk<S>) -> casework::kernel::ids::CaseId {
    let (_, case) = desk
        .person_at_work(fixtures::girl_in_leeds_area(), &["missing_from_home"])
        .await;
    desk.acting_as(&desk.worker)
        .open_record(case, "Preparing the first session")
        .await
        .unwrap();
    case
}

on_every_store!(
    r18_a_history_written_by_commands_verifies_for_those_who_may_check_it,
    |desk| {
        let case = story(&desk).await;
        let report = desk.cw.verify_store().await.unwrap();
        assert!(report.holds(), "{report:?}");
        assert!(report.streams >= 3 && report.events >= 8, "{report:?}");
        let one = desk.cw.verify_stream(StreamId::Case(case)).await.unwrap();
        assert!(one.holds());
        assert_eq!(one.streams, 1);

        // auditors, administrators and managers (read_audit_logs); never a worker.
        for actor in [
            Actor::new("Ida Auditor", Role::Auditor),
            desk.admin.clone(),
            desk.manager.clone(),
        ] {
            let report = desk
                .acting_as(&actor)
                .verify_history(None)
                .await
                .unwrap_or_else(|e| panic!("{actor:?} may verify: {e}"));
            assert!(report.holds());
        }
        match desk.acting_as(&desk.worker).verify_history(None).await {
            Err(ActingError::Denied(d)) => assert_eq!(d.permission, Permission::ReadAuditLogs),
            other => panic!("R-27: a worker may not verify the store: {other:?}"),
        }
    }
);

on_every_store!(
    r18_a_review_export_is_a_recorded_read_and_checks_without_the_store,
    |desk| {
        let case = story(&desk).await;
        let query = ListingQuery::all(ListingKind::Access).key(case.to_string());
        let reads = || async { desk.store().listings(query.clone()).await.unwrap().len() };
        let before = reads().await;

        // the stored bytes hold her confidential record: read_confidential, so not an
        // auditor or an administrator, and nothing is recorded for them.
        for actor in [Actor::new("Ida Auditor", Role::Auditor), desk.admin.clone()] {
            match desk
                .acting_as(&actor)
                .review_export(case, "Serious case review (fictional)")
                .await
            {
                Err(ActingError::Denied(d)) => {
                    assert_eq!(d.permission, Permission::ReadConfidential)
                }
                other => panic!("R-27: {actor:?} may not export the case: {other:?}"),
            }
        }
        assert_eq!(reads().await, before, "a refused export records nothing");

        // Her worker may, and the read is recorded with its purpose.
        let export = desk
            .acting_as(&desk.worker)
            .review_export(case, "Serious case review (fictional)")
            .await
            .unwrap();
        assert_eq!(
            reads().await,
            before + 1,
            "R-27: the export is a recorded read"
        );
        let heads = verify_export(&export).unwrap();
        let version = desk
            .store()
            .case_summary(case)
            .await
            .unwrap()
            .unwrap()
            .version;
        assert_eq!(heads[0].stream, StreamId::Case(case));
        assert_eq!(heads[0].version, version);
        assert_eq!(export.streams[0].events.len() as u64, version);

        // As JSON, as a reviewer receives it; a changed event no longer checks.
        let json = serde_json::to_string(&export).unwrap();
        let received: casework::kernel::chain::ChainExport = serde_json::from_str(&json).unwrap();
        assert_eq!(verify_export(&received).unwrap(), heads);
        let mut changed = received;
        changed.streams[0].events[2].actor_name = "Someone Else".into();
        let b = verify_export(&changed).unwrap_err();
        assert_eq!((b.stream, b.version), (StreamId::Case(case), 3));
    }
);
