//! Pages of listings (keyset paging, issue 14): [`ListingQuery::after`] and
//! [`ListingQuery::limit`] select exactly what [`ListingQuery::select`] does, and a walk of
//! pages sees every listing once, in listing order, even when listings are written, changed
//! and removed between pages.

use super::listings::{append_listings, expected_listings, listed, listing, replace_listings};
use super::support::hours;
use crate::fixtures;
use casework_core::kernel::ids::{AccessId, CaseId, IntelligenceId, StreamId, WorkshopId};
use casework_core::read::rows::{Listed, Listing, ListingKind, ListingPosition, ListingQuery};
use casework_core::store::Store;
use chrono::Duration;
use std::collections::BTreeMap;

/// The reference answer to a page: [`ListingQuery::select`] over what each stream last wrote.
fn expected_page(written: &BTreeMap<StreamId, Vec<Listing>>, query: &ListingQuery) -> Vec<Listed> {
    let whole = ListingQuery {
        after: None,
        limit: None,
        ..query.clone()
    };
    query.select(expected_listings(written, &whole))
}

/// Walks `query` in pages of `limit`, checking each page against the reference; answers the
/// listings seen, in the order seen.
async fn walk<S: Store>(
    store: &S,
    written: &BTreeMap<StreamId, Vec<Listing>>,
    query: &ListingQuery,
    limit: usize,
) -> Vec<Listed> {
    let mut seen = Vec::new();
    let mut after: Option<ListingPosition> = None;
    // No walk here is longer than its listings: a store that ignores the position would
    // otherwise answer the first page for ever.
    for _ in 0..=expected_listings(written, query).len() + 1 {
        let mut page = query.clone().limit(limit + 1);
        page.after = after.clone();
        let got = listed(store, &page).await;
        assert_eq!(
            got,
            expected_page(written, &page),
            "{page:?}: a page is exactly the listings after the position, in listing_order, \
             at most the limit"
        );
        let more = got.len() > limit;
        seen.extend(got.into_iter().take(limit));
        if !more {
            return seen;
        }
        after = seen.last().map(Listed::position);
    }
    panic!("{query:?}: a walk in pages of {limit} never ended (is `after` ignored?)");
}

/// A page holds the listings [`ListingQuery::select`] does: those after the position (by
/// every field of [`casework_core::read::rows::listing_order`]: time, those without one
/// last, stream kind, stream uuid, key, detail), at most the limit; a walk of pages of any
/// size sees the whole list once, in order, with or without a key or a time window; a
/// position need not be a stored listing's, and one without a detail is after every listing
/// tied on time, stream and key. Between pages, a listing written or changed
/// before the position is not seen, one after it is seen once, and no listing present
/// throughout is skipped or repeated.
pub async fn listing_pages_walk_the_order_once<S: Store + 'static>(store: S) {
    let t0 = fixtures::start();
    let micro = Duration::microseconds(1);
    let (case1, case2) = (CaseId::new(), CaseId::new());
    let streams = [
        StreamId::Case(case1),
        StreamId::Case(case2),
        StreamId::Disclosures(case1),
        StreamId::Access(AccessId::new()),
        StreamId::Workshop(WorkshopId::new()),
        StreamId::Intelligence(IntelligenceId::new()),
    ];
    let k = ListingKind::Disclosure;
    let other = ListingKind::Override;
    let d = |n: usize| format!(r#"{{"n":{n}}}"#);
    let mut written = BTreeMap::new();
    for (i, stream) in streams.into_iter().enumerate() {
        let listings = vec![
            // Ties on the time across every stream; within one stream, two keys at one time
            // and two details at one key and time.
            listing(k, "a", Some(t0), &d(i)),
            listing(k, "b", Some(t0), &d(10 + i)),
            listing(k, "a", Some(t0 + hours(1)), &d(20 + i)),
            listing(k, "a", Some(t0 + hours(1)), &d(30 + i)),
            listing(k, "b", Some(t0 + micro * (i as i32 + 1)), &d(40 + i)),
            // Without a time: they come last.
            listing(k, "a", None, &d(50 + i)),
            listing(k, "b", None, &d(60 + i)),
            // Another kind: in no page of `k`.
            listing(other, "a", Some(t0), &d(70 + i)),
        ];
        append_listings(&store, stream, Some(listings.clone())).await;
        written.insert(stream, listings);
    }
    let queries = [
        ListingQuery::all(k),
        ListingQuery::all(k).key("a"),
        ListingQuery::all(k).key("b"),
        ListingQuery::all(k).from(t0 + micro),
        ListingQuery::all(k).before(t0 + hours(1)),
        ListingQuery::all(k).key("a").from(t0).before(t0 + hours(2)),
        ListingQuery::all(other),
        ListingQuery::all(ListingKind::MissingFlag),
    ];
    for query in &queries {
        let whole = expected_listings(&written, query);
        assert_eq!(
            listed(&store, query).await,
            whole,
            "{query:?}: no page, no limit"
        );
        // Pages that end after their last listing's ties (as the service's pages do when a
        // tie would be split) are the reference's too.
        let mut after: Option<ListingPosition> = None;
        for _ in 0..=whole.len() {
            let mut page = query.clone().limit(3);
            page.after = after.clone();
            let got = listed(&store, &page).await;
            assert_eq!(got, expected_page(&written, &page), "{page:?}: after a tie");
            match got.last() {
                Some(last) => after = Some(last.position_after_ties()),
                None => break,
            }
        }
        for limit in [1, 2, 3, 5, whole.len().max(1), whole.len() + 7] {
            assert_eq!(
                walk(&store, &written, query, limit).await,
                whole,
                "{query:?}: pages of {limit} see the whole list once, in listing_order"
            );
        }
        assert!(
            listed(&store, &query.clone().limit(0)).await.is_empty(),
            "{query:?}: a limit of 0 is no listing"
        );
        if let Some(last) = whole.last() {
            assert!(
                listed(&store, &query.clone().after(last.position()))
                    .await
                    .is_empty(),
                "{query:?}: nothing follows the last listing"
            );
        }
    }

    // Positions that are no stored listing's: between two listings, and on each side of
    // the untimed ones.
    let all = ListingQuery::all(k);
    let whole = expected_listings(&written, &all);
    let first = &whole[0];
    let mut probes = vec![
        ListingPosition {
            detail: Some(format!("{} ", first.listing.detail)),
            ..first.position()
        },
        // After a whole tie (time, stream and key), whatever its details.
        first.position_after_ties(),
        ListingPosition {
            at: None,
            ..first.position_after_ties()
        },
        ListingPosition {
            key: String::new(),
            ..first.position()
        },
        ListingPosition {
            at: Some(t0 - Duration::days(1)),
            ..first.position()
        },
        ListingPosition {
            at: Some(t0 + Duration::days(1)),
            ..first.position()
        },
        ListingPosition {
            at: None,
            key: String::new(),
            ..first.position()
        },
    ];
    probes.extend(whole.iter().step_by(5).map(Listed::position));
    probes.extend(whole.iter().step_by(3).map(Listed::position_after_ties));
    for position in probes {
        for limit in [None, Some(1), Some(4)] {
            let mut query = all.clone().after(position.clone());
            query.limit = limit;
            assert_eq!(
                listed(&store, &query).await,
                expected_page(&written, &query),
                "{query:?}: the listings strictly after a position that is no listing's"
            );
        }
    }

    // Changes between pages: the walk sees each listing present throughout exactly once.
    let limit = 3;
    let mut seen: Vec<Listed> = Vec::new();
    let mut after: Option<ListingPosition> = None;
    let late = StreamId::Case(CaseId::new());
    let before_all = whole.clone();
    for round in 0.. {
        assert!(
            round <= before_all.len(),
            "the walk with changes never ended"
        );
        let mut page = all.clone().limit(limit + 1);
        page.after = after.clone();
        let got = listed(&store, &page).await;
        assert_eq!(
            got,
            expected_page(&written, &page),
            "{page:?} after changes"
        );
        let more = got.len() > limit;
        seen.extend(got.into_iter().take(limit));
        if !more {
            break;
        }
        after = seen.last().map(Listed::position);
        // Between pages: one stream rewrites its listings, keeping most, moving one before
        // the position and one after it; a new stream lists one before and one after.
        let stream = streams[round % streams.len()];
        let mut mine = written[&stream].clone();
        mine.retain(|l| l.kind != k || l.detail != d(20 + round % streams.len()));
        mine.push(listing(k, "a", Some(t0 - hours(1)), &d(100 + round)));
        mine.push(listing(k, "b", Some(t0 + hours(3)), &d(200 + round)));
        replace_listings(&store, &mut written, stream, Some(mine)).await;
        let mut fresh = written.get(&late).cloned().unwrap_or_default();
        fresh.push(listing(k, "c", Some(t0 - micro), &d(300 + round)));
        fresh.push(listing(k, "c", None, &d(400 + round)));
        replace_listings(&store, &mut written, late, Some(fresh)).await;
    }
    let now = expected_listings(&written, &all);
    for (n, l) in seen.iter().enumerate() {
        assert!(
            !seen[..n].contains(l),
            "a listing was seen twice across pages: {l:?}"
        );
    }
    for l in before_all.iter().filter(|l| now.contains(l)) {
        assert_eq!(
            seen.iter().filter(|s| *s == l).count(),
            1,
            "a listing present throughout was skipped: {l:?}"
        );
    }
    let mut ordered = seen.clone();
    ordered.sort_by(casework_core::read::rows::listing_order);
    assert_eq!(ordered, seen, "pages follow one another in listing_order");
    assert!(
        seen.iter().any(|l| l.listing.detail == d(401)),
        "a listing written after the position, before the next page, is seen"
    );
    assert!(
        !seen.iter().any(|l| l.listing.detail == d(101)),
        "a listing written before the position is not (it is on no later page)"
    );
}
