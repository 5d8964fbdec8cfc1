//! An index for every query: each statement the store runs ([`casework_postgres::sql`]) is
//! `EXPLAIN`ed on tables big enough (tens of thousands of rows, `ANALYZE`d) that the planner
//! would rather scan than use a bad index, and must read the big tables through the index
//! it was written for, never with a sequential scan.

mod common;

use casework_postgres::sql;
use chrono::{DateTime, Utc};
use common::TestStore;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

const BIG_TABLES: &[&str] = &[
    "events",
    "snapshots",
    "case_summaries",
    "owed_actions",
    "listings",
];

const POPULATE: &str = "
INSERT INTO case_summaries (case_id, young_person_id, stage, risk_rank, received_at,
                            next_review_due, version, body, owed)
SELECT gen_random_uuid(), gen_random_uuid(),
       CASE WHEN i % 10 = 0 THEN 'waiting_list' WHEN i % 10 < 7 THEN 'active' ELSE 'closed' END,
       i % 4, now() - make_interval(mins => i),
       CASE WHEN i % 10 BETWEEN 1 AND 6 THEN now() + make_interval(days => (i % 1000) - 50) END,
       1, repeat('x', 600), '[]'
FROM generate_series(1, 30000) AS i;

INSERT INTO events (stream_kind, stream_id, version, event_type, schema_version, payload,
                    event_id, recorded_at, actor_id, actor_name, actor_role, reason)
SELECT 'case', s.id, v, 'probe', 1, repeat('p', 300), gen_random_uuid(), now(),
       gen_random_uuid(), 'Sam Worker', 'worker', NULL
FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 2000)) AS s,
     generate_series(1, 30) AS v;

INSERT INTO snapshots (stream_kind, stream_id, version, schema_version, state)
SELECT DISTINCT 'case', stream_id, 20, 1, repeat('s', 2000) FROM events;

INSERT INTO owed_actions (action_id, case_id, status, due_at, body)
SELECT gen_random_uuid(), gen_random_uuid(),
       CASE WHEN i % 20 = 0 THEN 'owed' ELSE 'sent' END,
       now() + make_interval(hours => i % 500), repeat('o', 300)
FROM generate_series(1, 30000) AS i;

-- Listings of 14 kinds from 20,000 streams of five kinds, each kind's keys and times spread.
INSERT INTO listings (stream_kind, stream_id, n, kind, key, at, detail)
SELECT (ARRAY['case', 'workshop', 'disclosures', 'access', 'retention'])[1 + s.i % 5], s.id,
       l.n,
       (ARRAY['open_case', 'review_due', 'expected_end', 'partner_referral',
              'return_interview', 'missing_flag', 'alumni', 'workshop',
              'intelligence_awaiting_police', 'disclosure', 'override', 'access',
              'closed_case', 'legal_hold'])[1 + (s.i + l.n) % 14],
       'key ' || ((s.i * 7 + l.n) % 1000),
       CASE WHEN (s.i + l.n) % 11 = 0 THEN NULL
            ELSE now() + make_interval(mins => (s.i * 13 + l.n) % 100000) END,
       repeat('d', 200)
FROM (SELECT i, gen_random_uuid() AS id FROM generate_series(1, 20000) AS i) AS s,
     generate_series(1, 3) AS l(n);

ANALYZE;
";

/// Every node of a plan, depth first.
fn nodes<'a>(plan: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(plan);
    if let Some(children) = plan.get("Plans").and_then(Value::as_array) {
        for child in children {
            nodes(child, out);
        }
    }
}

async fn check(
    client: &tokio_postgres::Client,
    name: &str,
    statement: &str,
    params: &[&(dyn ToSql + Sync)],
    expected_indexes: &[&str],
) -> Vec<String> {
    let explained: Value = client
        .query_one(&format!("EXPLAIN (FORMAT JSON) {statement}"), params)
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN {name}: {e}"))
        .get(0);
    let root = &explained[0]["Plan"];
    let mut all = Vec::new();
    nodes(root, &mut all);
    let text = serde_json::to_string_pretty(root).unwrap();
    for node in &all {
        let kind = node["Node Type"].as_str().unwrap_or_default();
        let relation = node["Relation Name"].as_str().unwrap_or_default();
        assert!(
            !(kind == "Seq Scan" && BIG_TABLES.contains(&relation)),
            "{name}: sequential scan of {relation}:\n{text}"
        );
    }
    let used: Vec<&str> = all
        .iter()
        .filter_map(|n| n["Index Name"].as_str())
        .collect();
    // `a|b`: either index will do.
    for index in expected_indexes {
        assert!(
            index.split('|').any(|i| used.contains(&i)),
            "{name}: does not use {index} (uses {used:?}):\n{text}"
        );
    }
    // The index conditions, for callers that check what the index is read by.
    all.iter()
        .filter_map(|n| n["Index Cond"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_reads_through_its_index() {
    if common::skip() {
        return;
    }
    let store = TestStore::new().await;
    let client = store.db.client().await;
    client.batch_execute(POPULATE).await.unwrap();

    let stream: Uuid = client
        .query_one("SELECT stream_id FROM events LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let person: Uuid = client
        .query_one("SELECT young_person_id FROM case_summaries LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let case: Uuid = client
        .query_one("SELECT case_id FROM case_summaries LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let now: DateTime<Utc> = Utc::now();
    let kind = "case";
    let zero = 0i64;

    check(
        &client,
        "load_after",
        sql::LOAD_AFTER,
        &[&kind, &stream, &zero],
        &["events_stream_version_key"],
    )
    .await;
    check(
        &client,
        "load_snapshot",
        sql::LOAD_SNAPSHOT,
        &[&kind, &stream],
        &["snapshots_pkey"],
    )
    .await;
    check(
        &client,
        "load_latest",
        sql::LOAD_LATEST,
        &[&kind, &stream],
        &["snapshots_pkey", "events_stream_version_key"],
    )
    .await;
    check(
        &client,
        "stream_version",
        sql::STREAM_VERSION,
        &[&kind, &stream],
        &["events_stream_version_key"],
    )
    .await;
    check(
        &client,
        "waiting_list",
        sql::WAITING_LIST,
        &[],
        &["case_summaries_waiting_list"],
    )
    .await;
    check(
        &client,
        "outstanding_actions",
        sql::OUTSTANDING_ACTIONS,
        &[],
        &["owed_actions_outstanding"],
    )
    .await;
    check(
        &client,
        "cases_of",
        sql::CASES_OF,
        &[&person],
        &["case_summaries_young_person"],
    )
    .await;
    check(
        &client,
        "overdue_reviews",
        sql::OVERDUE_REVIEWS,
        &[&now],
        &["case_summaries_review_due"],
    )
    .await;
    check(
        &client,
        "case_summary",
        sql::CASE_SUMMARY,
        &[&case],
        &["case_summaries_pkey"],
    )
    .await;

    // Listings: each shape reads the index made for it, a time window as a range of it.
    let listing_kind = "review_due";
    let listing_key = "key 7";
    let from: Option<DateTime<Utc>> = Some(now + chrono::Duration::days(10));
    let to: Option<DateTime<Utc>> = Some(now + chrono::Duration::days(12));
    let open: Option<DateTime<Utc>> = None;
    // One whole kind (a fourteenth of the table here): read off either index, both of which
    // lead with the kind; a bitmap scan and a sort of one kind's rows costs the planner less
    // than fetching them in index order from all over the heap.
    check(
        &client,
        "listings",
        sql::LISTINGS,
        &[&listing_kind],
        &["listings_by_kind|listings_by_key"],
    )
    .await;
    for (name, from, to) in [
        ("from and to", &from, &to),
        ("from only", &from, &open),
        ("to only", &open, &to),
    ] {
        let conds = check(
            &client,
            &format!("listings in a window ({name})"),
            sql::LISTINGS_IN_WINDOW,
            &[&listing_kind, from, to],
            &["listings_by_kind"],
        )
        .await;
        assert!(
            conds
                .iter()
                .any(|c| c.contains("at >=") && c.contains("at <")),
            "listings in a window ({name}): the window is not a range of the index: {conds:?}"
        );
        let conds = check(
            &client,
            &format!("listings by key in a window ({name})"),
            sql::LISTINGS_BY_KEY_IN_WINDOW,
            &[&listing_kind, &listing_key, from, to],
            &["listings_by_key"],
        )
        .await;
        assert!(
            conds
                .iter()
                .any(|c| c.contains("key =") && c.contains("at >=")),
            "listings by key in a window ({name}): not a range of the index: {conds:?}"
        );
    }
    check(
        &client,
        "listings by key",
        sql::LISTINGS_BY_KEY,
        &[&listing_kind, &listing_key],
        &["listings_by_key"],
    )
    .await;

    // A page after a timed listing: a range of the index from the position, read in order,
    // stopped at the limit (no sort of the kind's rows, and not read from the kind's start).
    let position_at = now + chrono::Duration::days(11);
    let (stream_kind, position_stream, position_key, detail) =
        ("case", stream, "key 7", "{}".to_owned());
    let limit = 101i64;
    for (key, window) in [(false, false), (true, false), (false, true), (true, true)] {
        let shape = sql::PageShape {
            key,
            window,
            after: sql::After::Timed,
            after_detail: true,
            untimed_only: false,
            limit: true,
        };
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&listing_kind];
        if key {
            params.push(&listing_key);
        }
        if window {
            params.extend([&from as &(dyn ToSql + Sync), &open]);
        }
        params.extend([
            &position_at as &(dyn ToSql + Sync),
            &stream_kind,
            &position_stream,
            &position_key,
            &detail,
            &limit,
        ]);
        let name = format!("a page of listings (key {key}, window {window})");
        let index = if key {
            "listings_by_key"
        } else {
            "listings_by_kind"
        };
        let conds = check(&client, &name, &sql::listing_page(shape), &params, &[index]).await;
        assert!(
            conds.iter().any(|c| c.contains("ROW(")),
            "{name}: the position is not a range of the index: {conds:?}"
        );
    }

    // The appends: the version check reads the stream's last version off the unique key, and
    // replacing a case's owed actions finds them by case.
    let texts: Vec<&str> = vec!["probe"];
    let ints: Vec<i32> = vec![1];
    let uuids: Vec<Uuid> = vec![Uuid::new_v4()];
    let times: Vec<DateTime<Utc>> = vec![now];
    let reasons: Vec<Option<&str>> = vec![None];
    let none_text: Option<&str> = None;
    let none_uuid: Option<Uuid> = None;
    let none_i64: Option<i64> = None;
    let none_i32: Option<i32> = None;
    let one = 1i64;
    let stage = "active";
    let due: Option<DateTime<Utc>> = Some(now);
    let head: [&(dyn ToSql + Sync); 17] = [
        &kind, &stream, &zero, &texts, &ints, &texts, &uuids, &times, &uuids, &texts, &texts,
        &reasons, &none_text, &none_uuid, &none_i64, &none_i32, &none_text,
    ];
    let case_tail: [&(dyn ToSql + Sync); 12] = [
        &person, &stage, &one, &now, &due, &one, &stage, &uuids, &texts, &times, &texts, &stage,
    ];
    // The last parameter of every append: the events' digests.
    let digests: Vec<Vec<u8>> = vec![vec![0u8; 32]];
    let digests: [&(dyn ToSql + Sync); 1] = [&digests];
    let params: Vec<&(dyn ToSql + Sync)> = head
        .iter()
        .chain(case_tail.iter())
        .chain(digests.iter())
        .copied()
        .collect();
    check(
        &client,
        "append_case",
        sql::APPEND_CASE,
        &params,
        &["events_stream_version_key", "owed_actions_case"],
    )
    .await;
    let dob: i32 = 2011;
    let person_tail: [&(dyn ToSql + Sync); 5] = [&dob, &stage, &now, &one, &stage];
    let params: Vec<&(dyn ToSql + Sync)> = head
        .iter()
        .chain(person_tail.iter())
        .chain(digests.iter())
        .copied()
        .collect();
    check(
        &client,
        "append_young_person",
        sql::APPEND_YOUNG_PERSON,
        &params,
        &["events_stream_version_key"],
    )
    .await;
    let listings_tail: [&(dyn ToSql + Sync); 4] = [&texts, &texts, &times, &texts];
    let params: Vec<&(dyn ToSql + Sync)> = head
        .iter()
        .chain(person_tail.iter())
        .chain(listings_tail.iter())
        .chain(digests.iter())
        .copied()
        .collect();
    check(
        &client,
        "append_young_person_listings",
        sql::APPEND_YOUNG_PERSON_LISTINGS,
        &params,
        &["events_stream_version_key", "listings_pkey"],
    )
    .await;
    let params: Vec<&(dyn ToSql + Sync)> = head
        .iter()
        .chain(case_tail.iter())
        .chain(listings_tail.iter())
        .chain(digests.iter())
        .copied()
        .collect();
    check(
        &client,
        "append_case_listings",
        sql::APPEND_CASE_LISTINGS,
        &params,
        &[
            "events_stream_version_key",
            "owed_actions_case",
            "listings_pkey",
        ],
    )
    .await;
    let params: Vec<&(dyn ToSql + Sync)> = head.iter().chain(digests.iter()).copied().collect();
    check(
        &client,
        "append_stream",
        sql::APPEND_STREAM,
        &params,
        &["events_stream_version_key"],
    )
    .await;
    let params: Vec<&(dyn ToSql + Sync)> = head
        .iter()
        .chain(listings_tail.iter())
        .chain(digests.iter())
        .copied()
        .collect();
    check(
        &client,
        "append_stream_listings",
        sql::APPEND_STREAM_LISTINGS,
        &params,
        &["events_stream_version_key", "listings_pkey"],
    )
    .await;

    // The chain: a stream's links, a page of the store's and a stream's head, all off
    // the unique key.
    let after = 0i64;
    let page = 100i64;
    check(
        &client,
        "load_linked",
        sql::LOAD_LINKED,
        &[&kind, &stream, &after],
        &["events_stream_version_key"],
    )
    .await;
    check(
        &client,
        "linked_page",
        sql::LINKED_PAGE,
        &[&kind, &stream, &after, &page],
        &["events_stream_version_key"],
    )
    .await;
    check(
        &client,
        "chain_head",
        sql::CHAIN_HEAD,
        &[&kind, &stream],
        &["events_stream_version_key"],
    )
    .await;

    // Rewriting: the check and the events by the unique key, the snapshot and the
    // listings by the stream, a case's owed actions by case.
    let versions: Vec<i64> = vec![1, 2];
    let payloads: Vec<&str> = vec!["{}", "{}"];
    let no_reasons: Vec<Option<&str>> = vec![None, None];
    let rewrite_head: [&(dyn ToSql + Sync); 9] = [
        &kind,
        &stream,
        &versions,
        &payloads,
        &no_reasons,
        &texts,
        &texts,
        &times,
        &texts,
    ];
    let rewrite_indexes = [
        "events_stream_version_key",
        "snapshots_pkey",
        "listings_pkey",
    ];
    check(
        &client,
        "rewrite_stream",
        sql::REWRITE_STREAM,
        &rewrite_head,
        &rewrite_indexes,
    )
    .await;
    let case_tail: [&(dyn ToSql + Sync); 11] = [
        &person, &stage, &one, &now, &due, &stage, &stage, &uuids, &texts, &times, &texts,
    ];
    let params: Vec<&(dyn ToSql + Sync)> = rewrite_head
        .iter()
        .chain(case_tail.iter())
        .copied()
        .collect();
    let mut case_indexes = rewrite_indexes.to_vec();
    case_indexes.push("owed_actions_case");
    check(
        &client,
        "rewrite_case",
        sql::REWRITE_CASE,
        &params,
        &case_indexes,
    )
    .await;
    let person_tail: [&(dyn ToSql + Sync); 4] = [&dob, &stage, &now, &stage];
    let params: Vec<&(dyn ToSql + Sync)> = rewrite_head
        .iter()
        .chain(person_tail.iter())
        .copied()
        .collect();
    check(
        &client,
        "rewrite_young_person",
        sql::REWRITE_YOUNG_PERSON,
        &params,
        &rewrite_indexes,
    )
    .await;
}
