//! with 10,000 young people registered, the duplicate check is still one indexed read.
//! The check asks the store for one key of the identity block (everyone born on a date, or on
//! it with the day and month swapped); SQLite answers it by searching the listings' `(kind,
//! key)` index, before and after `ANALYZE`, never by scanning the table.

use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::{CaseQueries, EventAppend};
use casework_core::young_person::duplicates::block_key;
use casework_service::Casework;
use casework_sqlite::bench_support::listings_sql;
use casework_sqlite::rusqlite::Connection;
use casework_sqlite::SqliteStore;
use casework_testkit::fixtures;
use std::time::Instant;

fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let mut rows = statement.raw_query();
    let mut plan = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        plan.push(row.get::<_, String>(3).unwrap());
    }
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_the_duplicate_check_searches_the_index_among_ten_thousand() {
    let store = SqliteStore::temporary().unwrap();
    let loading = Instant::now();
    for registration in fixtures::registrations(10_000) {
        store.append(registration).await.unwrap();
    }
    let loaded = loading.elapsed();

    let cw = Casework::new(
        store.clone(),
        casework_core::policy::profile::examples::city_girls_service(),
    );
    let amy = cw
        .register(&fixtures::worker(), fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let again = cw
        .register(&fixtures::worker(), fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    assert!(amy.possible_duplicates.candidates.len() <= 3);
    assert!(again
        .possible_duplicates
        .candidates
        .iter()
        .any(|c| c.young_person == amy.young_person));

    let query = ListingQuery::all(ListingKind::IdentityBlock)
        .key(block_key(fixtures::girl_in_leeds_area().date_of_birth));
    let sql = listings_sql(&query);
    let conn = Connection::open(store.path()).unwrap();
    for moment in ["before ANALYZE", "after ANALYZE"] {
        let steps = plan(&conn, &sql);
        assert!(
            steps[0].starts_with(
                "SEARCH listings USING INDEX listings_by_kind_key_and_time (kind=? AND key=?)"
            ),
            "{moment}: {sql}: {steps:?}"
        );
        assert!(
            steps.iter().all(|s| !s.starts_with("SCAN")),
            "{moment}: {steps:?}"
        );
        eprintln!("R-26 SQLite plan {moment}: {steps:?}");
        conn.execute_batch("ANALYZE").unwrap();
    }
    let listings: i64 = conn
        .query_row("SELECT count(*) FROM listings", [], |r| r.get(0))
        .unwrap();
    let block = store.listings(query.clone()).await.unwrap();
    let timing = Instant::now();
    for _ in 0..100 {
        store.listings(query.clone()).await.unwrap();
    }
    eprintln!(
        "R-26 SQLite: 10,000 registered ({listings} listings) in {loaded:?}; the block read \
         returns {} listings in {:?} a read",
        block.len(),
        timing.elapsed() / 100
    );
    assert!(block.len() < 10, "{} listings in the block", block.len());
}
