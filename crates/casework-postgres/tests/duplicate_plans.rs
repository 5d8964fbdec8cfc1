//! with 10,000 young people registered, the duplicate check is still one indexed read.
//! The check asks the store for one key of the identity block (everyone born on a date, or on
//! it with the day and month swapped): the statement is `sql::LISTINGS_BY_KEY`, and on an
//! `ANALYZE`d table it reads `listings_by_key`, never the whole table. The database comes from
//! the tests' shared helper (`common`), as in `plans.rs`.

mod common;

use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::{CaseQueries, EventAppend};
use casework_core::young_person::duplicates::block_key;
use casework_postgres::sql;
use casework_service::Casework;
use casework_testkit::fixtures;
use common::TestStore;
use serde_json::Value;
use std::time::Instant;

/// Every node of a plan, depth first.
fn nodes<'a>(plan: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(plan);
    for child in plan
        .get("Plans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        nodes(child, out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_the_duplicate_check_reads_the_index_among_ten_thousand() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let loading = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    let registrations: Vec<_> = fixtures::registrations(10_000).collect();
    for chunk in registrations.chunks(2_500) {
        let (store, chunk) = (store.store(), chunk.to_vec());
        writers.spawn(async move {
            for registration in chunk {
                store.append(registration).await.unwrap();
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let loaded = loading.elapsed();

    let cw = Casework::new(
        store.store(),
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
    assert!(again
        .possible_duplicates
        .candidates
        .iter()
        .any(|c| c.young_person == amy.young_person));

    let client = store.db.client().await;
    client.batch_execute("ANALYZE").await.unwrap();
    let kind = ListingKind::IdentityBlock.as_str();
    let key = block_key(fixtures::girl_in_leeds_area().date_of_birth);
    let explained: Value = client
        .query_one(
            &format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", sql::LISTINGS_BY_KEY),
            &[&kind, &key],
        )
        .await
        .unwrap()
        .get(0);
    let root = &explained[0]["Plan"];
    let mut all = Vec::new();
    nodes(root, &mut all);
    let text = serde_json::to_string_pretty(root).unwrap();
    for node in &all {
        assert!(
            !(node["Node Type"] == "Seq Scan" && node["Relation Name"] == "listings"),
            "a sequential scan of the listings:\n{text}"
        );
    }
    let scan = all
        .iter()
        .find(|n| n["Index Name"] == "listings_by_key")
        .unwrap_or_else(|| panic!("does not read listings_by_key:\n{text}"));
    let conditions = scan["Index Cond"].as_str().unwrap_or_default();
    assert!(
        conditions.contains("kind") && conditions.contains("key"),
        "the index is not read by kind and key: {conditions}"
    );

    let listings: i64 = client
        .query_one("SELECT count(*) FROM listings", &[])
        .await
        .unwrap()
        .get(0);
    let query = ListingQuery::all(ListingKind::IdentityBlock).key(key);
    let block = store.listings(query.clone()).await.unwrap();
    let timing = Instant::now();
    for _ in 0..100 {
        store.listings(query.clone()).await.unwrap();
    }
    eprintln!(
        "R-26 Postgres: 10,000 registered ({listings} listings) in {loaded:?}; {} {} on {}, \
         {} rows, {} ms executing; the block read returns {} listings in {:?} a read",
        scan["Node Type"].as_str().unwrap_or_default(),
        scan["Index Name"].as_str().unwrap_or_default(),
        conditions,
        scan["Actual Rows"],
        explained[0]["Execution Time"],
        block.len(),
        timing.elapsed() / 100
    );
    assert!(block.len() < 10, "{} listings in the block", block.len());
}
