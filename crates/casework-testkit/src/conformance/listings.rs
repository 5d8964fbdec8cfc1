//! Checks of listings, the one generic read model: they round-trip exactly, are replaced as a
//! whole by each append that carries them, and are selected and ordered by queries; with the
//! helpers that write listings and compute what a store should hold (also used by the concurrency
//! and rewrite checks).

use super::support::{hours, last_version, meta, ok, probe, raw_case_row, raw_person_row};
use crate::fixtures;
use casework_core::kernel::ids::{
    AccessId, CaseId, IntelligenceId, StreamId, WorkshopId, YoungPersonId,
};
use casework_core::read::rows::{
    listing_order, Listed, Listing, ListingKind, ListingQuery, ReadModelUpdate,
};
use casework_core::store::{AppendRequest, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::BTreeMap;

pub(super) fn listing(
    kind: ListingKind,
    key: &str,
    at: Option<DateTime<Utc>>,
    detail: &str,
) -> Listing {
    assert!(
        serde_json::from_str::<serde_json::Value>(detail).is_ok(),
        "conformance fixture bug: listing detail is not JSON: {detail}"
    );
    Listing {
        kind,
        key: key.to_owned(),
        at,
        detail: detail.to_owned(),
    }
}

/// The row a stream writes beside its listings: its own for cases and young people, none for
/// the streams that have no row.
pub(super) fn own_row(stream: StreamId, version: u64) -> ReadModelUpdate {
    match stream {
        StreamId::Case(case) => ReadModelUpdate::Case(raw_case_row(case, version)),
        StreamId::YoungPerson(p) => ReadModelUpdate::YoungPerson(raw_person_row(p, version)),
        StreamId::Workshop(_)
        | StreamId::Intelligence(_)
        | StreamId::Disclosures(_)
        | StreamId::Access(_)
        | StreamId::Retention(_) => ReadModelUpdate::None,
    }
}

/// Appends one probe event to `stream` at its current version, with its own row and
/// `listings`; returns the new version.
pub(super) async fn append_listings<S: Store>(
    store: &S,
    stream: StreamId,
    listings: Option<Vec<Listing>>,
) -> u64 {
    let version = last_version(&ok(store.load(stream).await, "load"));
    ok(
        store
            .append(AppendRequest {
                stream,
                expected_version: version,
                events: vec![probe(
                    "listings",
                    version + 1,
                    1,
                    meta(&fixtures::worker(), fixtures::start(), None),
                )],
                read_model: own_row(stream, version + 1),
                snapshot: None,
                listings,
                idempotency: None,
            })
            .await,
        &format!("append to {stream} with listings"),
    )
}

/// The listings a store holds after `written` (each stream's latest `Some`), as the reference
/// semantics select and order them for `query`.
pub(super) fn expected_listings(
    written: &BTreeMap<StreamId, Vec<Listing>>,
    query: &ListingQuery,
) -> Vec<Listed> {
    let mut rows: Vec<Listed> = written
        .iter()
        .flat_map(|(stream, listings)| {
            listings
                .iter()
                .filter(|l| query.matches(l))
                .map(|l| Listed {
                    stream: *stream,
                    listing: l.clone(),
                })
        })
        .collect();
    rows.sort_by(listing_order);
    rows
}

/// Appends to `stream` with `listings` and records in `written` what its listings now are.
pub(super) async fn replace_listings<S: Store>(
    store: &S,
    written: &mut BTreeMap<StreamId, Vec<Listing>>,
    stream: StreamId,
    listings: Option<Vec<Listing>>,
) {
    match &listings {
        Some(v) if v.is_empty() => {
            written.remove(&stream);
        }
        Some(v) => {
            written.insert(stream, v.clone());
        }
        None => {}
    }
    append_listings(store, stream, listings).await;
}

pub(super) async fn listed<S: Store>(store: &S, query: &ListingQuery) -> Vec<Listed> {
    ok(store.listings(query.clone()).await, &format!("{query:?}"))
}

/// Asserts that every kind's listings are exactly what `written` says, in listing order.
pub(super) async fn assert_listings<S: Store>(
    store: &S,
    written: &BTreeMap<StreamId, Vec<Listing>>,
    when: &str,
) {
    for kind in ListingKind::ALL {
        let query = ListingQuery::all(kind);
        assert_eq!(
            listed(store, &query).await,
            expected_listings(written, &query),
            "{when}: the {} listings must be exactly those last written by each stream, \
             field for field, in listing_order",
            kind.as_str()
        );
    }
}

/// Listings, the one generic read model (service-wide lists for R-5, R-12, R-19, R-22, R-23,
/// R-27): every field comes back exactly as written — the kind, the key (empty, non-ASCII,
/// with spaces), the time to the microsecond (before 1970, far ahead, or none), the detail's
/// JSON text byte for byte (unsorted keys, spacing, escapes, non-ASCII) — with the stream
/// that wrote it, for case and young-person streams and for the streams that have no row
/// of their own ([`ReadModelUpdate::None`]: workshops, intelligence, disclosures, access,
/// retention). A stream without a row writes none: the case sharing a disclosures stream's id
/// keeps its own row.
pub async fn listings_round_trip_exactly<S: Store + 'static>(store: S) {
    let t = fixtures::start();
    let case = CaseId::new();
    let person = YoungPersonId::new();
    let streams = [
        (
            StreamId::Case(case),
            [ListingKind::OpenCase, ListingKind::ReviewDue],
        ),
        (
            StreamId::YoungPerson(person),
            [ListingKind::Alumni, ListingKind::Alumni],
        ),
        (
            StreamId::Disclosures(case),
            [ListingKind::Disclosure, ListingKind::Override],
        ),
        (
            StreamId::Workshop(WorkshopId::new()),
            [ListingKind::Workshop, ListingKind::ReviewDue],
        ),
        (
            StreamId::Intelligence(IntelligenceId::new()),
            [
                ListingKind::IntelligenceAwaitingPolice,
                ListingKind::ReviewDue,
            ],
        ),
        (
            StreamId::Access(AccessId::new()),
            [ListingKind::Access, ListingKind::Access],
        ),
        (
            StreamId::Retention(person),
            [ListingKind::ClosedCase, ListingKind::LegalHold],
        ),
    ];
    let keys = ["", "LS6", "Siân ✓ “quoted”", " spaced key ", "case-0001"];
    let instants = [
        Some(t + Duration::microseconds(123_456)),
        Some(Utc.with_ymd_and_hms(1966, 7, 30, 15, 0, 0).unwrap() + Duration::microseconds(1)),
        None,
        Some(
            Utc.with_ymd_and_hms(2099, 12, 31, 23, 59, 59).unwrap()
                + Duration::microseconds(999_999),
        ),
        Some(t),
        Some(t - Duration::microseconds(1)),
    ];
    let details = [
        r#"{"zeta":1,"alpha":"Siân’s café — “fictional” ✓","n":[1,2.50,null,true]}"#,
        r#"{ "spaced" :  true ,"esc":"\u00e9\n\t\"q\" \\ /"}"#,
        r#""a bare string""#,
        "{}",
        r#"{"emoji":"🙂","cjk":"個案","rtl":"مرحبا","big":12345678901234567890}"#,
        "[ ]",
        r#"{"b":{"a":[{"z":0,"y":-0.0}]},"a":"b"}"#,
    ];

    // The case's and the young person's rows come first; the streams without a row follow.
    let mut written: BTreeMap<StreamId, Vec<Listing>> = BTreeMap::new();
    let mut n = 0;
    for (stream, kinds) in streams {
        let listings: Vec<Listing> = kinds
            .iter()
            .chain(&kinds[..1])
            .map(|kind| {
                n += 1;
                listing(
                    *kind,
                    keys[n % keys.len()],
                    instants[n % instants.len()],
                    details[n % details.len()],
                )
            })
            .collect();
        let version = append_listings(&store, stream, Some(listings.clone())).await;
        assert_eq!(version, 1);
        written.insert(stream, listings);
    }
    assert_listings(&store, &written, "after one append per stream").await;

    for (stream, _) in streams {
        let events = ok(store.load(stream).await, "load");
        assert_eq!(
            events.len(),
            1,
            "{stream}: the append's event is stored, with or without a row"
        );
        assert_eq!(events[0].stream, stream);
    }
    assert_eq!(
        ok(store.case_summary(case).await, "case_summary"),
        Some(raw_case_row(case, 1)),
        "an append to the case's disclosures stream (no row of its own) leaves the case's row \
         as the case stream wrote it"
    );
    assert_eq!(
        ok(store.waiting_list().await, "waiting_list"),
        vec![],
        "no stream wrote a waiting-list row"
    );
    assert_eq!(
        ok(store.outstanding_actions().await, "outstanding_actions"),
        vec![]
    );

    // Another stream's append, even one that removes its own listings, touches none of these.
    let other = StreamId::Workshop(WorkshopId::new());
    append_listings(&store, other, Some(vec![])).await;
    assert_listings(
        &store,
        &written,
        "after an append with no listings elsewhere",
    )
    .await;
}

/// A stream's listings are replaced as a whole by each append that carries them: `Some(v)`
/// leaves exactly `v` (listings of kinds not in `v` go; changed and unchanged ones are as in
/// `v`), `Some(vec![])` leaves none, `None` keeps them as they are; other streams' listings
/// are never touched, even those sharing a kind or a key.
pub async fn listings_are_replaced_as_a_whole<S: Store + 'static>(store: S) {
    let t = fixtures::start();
    let person = YoungPersonId::new();
    let a = StreamId::Workshop(WorkshopId::new());
    let b = StreamId::Case(CaseId::new());
    let c = StreamId::Retention(person);
    let (x, y) = (ListingKind::Workshop, ListingKind::Alumni);
    let a1 = listing(x, "school", Some(t), r#"{"reach":30}"#);
    let a2 = listing(x, "youth_club", Some(t + hours(1)), r#"{"reach":12}"#);
    let a3 = listing(y, "school", Some(t + hours(2)), r#"{"joined":true}"#);
    let b1 = listing(x, "school", Some(t), r#"{"reach":30}"#);
    let b2 = listing(y, "", None, r#"{"other":"stream"}"#);
    let c1 = listing(y, "school", Some(t + hours(2)), r#"{"joined":true}"#);

    let mut written: BTreeMap<StreamId, Vec<Listing>> = BTreeMap::new();
    replace_listings(
        &store,
        &mut written,
        a,
        Some(vec![a1.clone(), a2.clone(), a3.clone()]),
    )
    .await;
    replace_listings(&store, &mut written, b, Some(vec![b1.clone(), b2.clone()])).await;
    replace_listings(&store, &mut written, c, Some(vec![c1.clone()])).await;
    assert_listings(&store, &written, "three streams' first listings").await;

    replace_listings(&store, &mut written, a, None).await;
    assert_listings(&store, &written, "`None` keeps a stream's listings").await;
    replace_listings(&store, &mut written, b, None).await;
    assert_listings(&store, &written, "`None` keeps a stream's listings").await;

    let a2_changed = listing(x, "youth_club", Some(t + hours(1)), r#"{"reach":13}"#);
    let a4 = listing(x, "library", None, r#"{"reach":0}"#);
    replace_listings(
        &store,
        &mut written,
        a,
        Some(vec![a2_changed.clone(), a4.clone()]),
    )
    .await;
    assert_listings(
        &store,
        &written,
        "`Some(v)` replaces all of a stream's listings: changed detail, a new one, one dropped, \
         a kind no longer listed gone",
    )
    .await;
    replace_listings(
        &store,
        &mut written,
        a,
        Some(vec![a4.clone(), a2_changed.clone()]),
    )
    .await;
    assert_listings(&store, &written, "`Some(v)` with the same listings again").await;

    let a2_moved = listing(x, "youth_club", Some(t + hours(5)), r#"{"reach":13}"#);
    let a2_rekeyed = listing(x, "school", Some(t + hours(5)), r#"{"reach":13}"#);
    replace_listings(&store, &mut written, a, Some(vec![a2_moved, a4.clone()])).await;
    assert_listings(&store, &written, "`Some(v)` with only a time changed").await;
    replace_listings(&store, &mut written, a, Some(vec![a2_rekeyed, a4.clone()])).await;
    assert_listings(&store, &written, "`Some(v)` with only a key changed").await;
    let b_kind = listing(y, "school", Some(t), r#"{"reach":30}"#);
    replace_listings(&store, &mut written, b, Some(vec![b_kind, b2.clone()])).await;
    assert_listings(&store, &written, "`Some(v)` with only a kind changed").await;

    replace_listings(&store, &mut written, a, Some(vec![])).await;
    assert_listings(
        &store,
        &written,
        "`Some(vec![])` removes all of a stream's listings",
    )
    .await;
    assert!(
        listed(&store, &ListingQuery::all(x))
            .await
            .iter()
            .all(|l| l.stream != a),
        "a stream whose listings were removed lists nothing"
    );
    replace_listings(&store, &mut written, a, None).await;
    assert_listings(&store, &written, "`None` after removal keeps none").await;
    replace_listings(&store, &mut written, a, Some(vec![a1.clone(), a3.clone()])).await;
    assert_listings(&store, &written, "listings written again after removal").await;
    replace_listings(&store, &mut written, c, Some(vec![])).await;
    assert_listings(
        &store,
        &written,
        "removing one stream's listings leaves the others'",
    )
    .await;
    assert_eq!(
        listed(
            &store,
            &ListingQuery::all(y).key("school").from(t + hours(2))
        )
        .await,
        vec![Listed {
            stream: a,
            listing: a3
        }],
        "of two equal listings in two streams, removing one stream's leaves the other's"
    );
}

/// Listing queries select by kind, by key (an exact match, the empty key included) and by a
/// time window — `from` inclusive, `to` exclusive, to the microsecond; with either bound,
/// listings without a time are left out, without bounds they come last — and return
/// exactly [`listing_order`]: ties on the time are broken by the stream's kind, then its
/// uuid (a case and its disclosures stream share one), then the key, then the detail.
pub async fn listing_queries_filter_and_order<S: Store + 'static>(store: S) {
    let t0 = fixtures::start();
    let micro = Duration::microseconds(1);
    let t1 = t0 + micro;
    let t2 = t0 + hours(1);
    let t3 = t0 + Duration::days(1);
    let (case1, case2) = (CaseId::new(), CaseId::new());
    // An access stream whose uuid sorts after the workshop's, so the stream kind, not the
    // uuid, must put it first.
    let (access, workshop) = loop {
        let (a, w) = (AccessId::new(), WorkshopId::new());
        if a.as_uuid() > w.as_uuid() {
            break (StreamId::Access(a), StreamId::Workshop(w));
        }
    };
    let intelligence = StreamId::Intelligence(IntelligenceId::new());
    let disclosures = StreamId::Disclosures(case1);
    let (c1, c2) = (StreamId::Case(case1), StreamId::Case(case2));
    let k = ListingKind::ReviewDue;
    let o = ListingKind::ExpectedEnd;
    let d = |n: u32| format!(r#"{{"n":{n}}}"#);

    let mut plan: Vec<(StreamId, Vec<Listing>)> = Vec::new();
    for (i, stream) in [c1, c2, disclosures, access, workshop, intelligence]
        .into_iter()
        .enumerate()
    {
        // Every stream lists `k1` at t1: six ties on the time across five stream kinds.
        let mut listings = vec![
            listing(k, "k1", Some(t1), &d(i as u32)),
            // The other kind, at the same times and keys: never in a query for `k`.
            listing(o, "k1", Some(t1), &d(100 + i as u32)),
            listing(o, "", None, &d(200 + i as u32)),
        ];
        match stream {
            StreamId::Case(id) if id == case1 => listings.extend([
                // One stream, one time, two keys; one key, one time, two details.
                listing(k, "k2", Some(t2), &d(10)),
                listing(k, "k1", Some(t2), &d(11)),
                listing(k, "k1", Some(t3), r#"{"n":13}"#),
                listing(k, "k1", Some(t3), r#"{"n":12}"#),
            ]),
            StreamId::Case(_) => listings.push(listing(k, "", None, &d(20))),
            StreamId::Disclosures(_) => listings.push(listing(k, "k1", Some(t0 - micro), &d(30))),
            StreamId::Access(_) => listings.extend([
                listing(k, "k1", None, &d(40)),
                listing(k, "k1", Some(t3), &d(41)),
            ]),
            StreamId::Workshop(_) => listings.extend([
                listing(k, "", Some(t0), &d(50)),
                listing(k, "k2", None, &d(51)),
            ]),
            _ => listings.push(listing(k, "k2", Some(t3 + micro), &d(60))),
        }
        plan.push((stream, listings));
    }
    let mut written = BTreeMap::new();
    for (stream, listings) in plan {
        append_listings(&store, stream, Some(listings.clone())).await;
        written.insert(stream, listings);
    }

    let far = Duration::days(365 * 100);
    let queries = [
        ListingQuery::all(k),
        ListingQuery::all(o),
        ListingQuery::all(ListingKind::MissingFlag),
        ListingQuery::all(k).key("k1"),
        ListingQuery::all(k).key("k2"),
        ListingQuery::all(k).key(""),
        ListingQuery::all(o).key(""),
        ListingQuery::all(k).key("K1"),
        ListingQuery::all(k).key("k"),
        ListingQuery::all(k).from(t1),
        ListingQuery::all(k).from(t0),
        ListingQuery::all(k).from(t3 + micro),
        ListingQuery::all(k).before(t1),
        ListingQuery::all(k).before(t0),
        ListingQuery::all(k).from(t1).before(t2),
        ListingQuery::all(k).from(t1).before(t1),
        ListingQuery::all(k).from(t2).before(t3 + micro),
        ListingQuery::all(k).from(t2).before(t1),
        ListingQuery::all(k).key("k1").from(t1).before(t3),
        ListingQuery::all(k).key("").before(t3),
        ListingQuery::all(k).from(t0 - far),
        ListingQuery::all(k).before(t0 - far),
        ListingQuery::all(k).from(t0 + far),
        ListingQuery::all(o).from(t0 - far).before(t0 + far),
    ];
    for query in &queries {
        assert_eq!(
            listed(&store, query).await,
            expected_listings(&written, query),
            "{query:?}: the listings ListingQuery::matches selects, in listing_order"
        );
    }

    // The same facts, spelled out, so a store cannot agree with a broken reference.
    let all = listed(&store, &ListingQuery::all(k)).await;
    assert_eq!(all.len(), 17);
    let untimed: Vec<StreamId> = all
        .iter()
        .skip_while(|l| l.listing.at.is_some())
        .map(|l| l.stream)
        .collect();
    assert_eq!(
        untimed,
        vec![access, c2, workshop],
        "listings without a time come last, by stream kind"
    );
    let at_t1 = listed(&store, &ListingQuery::all(k).from(t1).before(t2)).await;
    let mut case_ids = [case1, case2];
    case_ids.sort();
    assert_eq!(
        at_t1.iter().map(|l| l.stream).collect::<Vec<_>>(),
        vec![
            access,
            StreamId::Case(case_ids[0]),
            StreamId::Case(case_ids[1]),
            disclosures,
            intelligence,
            workshop
        ],
        "`from` is inclusive, `to` exclusive; ties on the time by stream kind, then uuid"
    );
    let before_t1 = listed(&store, &ListingQuery::all(k).before(t1)).await;
    assert_eq!(
        before_t1
            .iter()
            .map(|l| (l.stream, l.listing.at))
            .collect::<Vec<_>>(),
        vec![(disclosures, Some(t0 - micro)), (workshop, Some(t0))],
        "`to` excludes a listing one microsecond later and listings without a time"
    );
    let case1_ties: Vec<(String, String)> = listed(&store, &ListingQuery::all(k).from(t2))
        .await
        .into_iter()
        .filter(|l| l.stream == c1)
        .map(|l| (l.listing.key, l.listing.detail))
        .collect();
    assert_eq!(
        case1_ties,
        vec![
            ("k1".to_owned(), d(11)),
            ("k2".to_owned(), d(10)),
            ("k1".to_owned(), d(12)),
            ("k1".to_owned(), d(13)),
        ],
        "within one stream and time: by key, then by detail"
    );
    assert_eq!(
        listed(&store, &ListingQuery::all(k).key(""))
            .await
            .iter()
            .map(|l| (l.stream, l.listing.at))
            .collect::<Vec<_>>(),
        vec![(workshop, Some(t0)), (c2, None)],
        "the empty key is a key like any other"
    );
}
