//! Possible duplicates at intake: the check's one read, a listing key that two listings
//! of one stream share with others', answered alike by every store.

use super::support::{ok, Desk};
use crate::fixtures;
use casework_core::kernel::ids::{StreamId, YoungPersonId};
use casework_core::kernel::input::Postcode;
use casework_core::read::listing::decode_all;
use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::Store;
use casework_core::young_person::duplicates::{DuplicateReason, IdentityRow, Verdict};
use casework_core::young_person::YoungPersonDetails;
use chrono::NaiveDate;

fn born(name: &str, year: i32, month: u32, day: u32, postcode: &str) -> YoungPersonDetails {
    YoungPersonDetails {
        name: fixtures::text(name),
        date_of_birth: NaiveDate::from_ymd_opt(year, month, day).expect("a real date"),
        postcode: Postcode::parse(postcode).expect("a postcode"),
        ..fixtures::girl_in_leeds_area()
    }
}

async fn register<S: Store>(desk: &Desk<S>, details: YoungPersonDetails) -> YoungPersonId {
    ok(desk.cw.register(&desk.worker, details).await, "register").young_person
}

/// a young person is listed in the identity block under her date of birth and under the
/// day and month swapped, so one key query finds both; the check returns the candidates with
/// their reasons, flags them, and a "not the same" decision keeps the pair from being flagged
/// again, on every store.
pub async fn duplicate_check_reads_one_identity_block<S: Store>(store: S) {
    let desk = Desk::new(store);
    // Born 4 May 2011 and, read the other way, 5 April 2011; others born elsewhere in time.
    let amy = register(&desk, born("Amy Example", 2011, 5, 4, "LS9 1AA")).await;
    let swapped = register(&desk, born("Aimee Example", 2011, 4, 5, "LS8 2BB")).await;
    let stranger = register(&desk, born("Jade Otherperson", 2011, 5, 4, "WF10 3CC")).await;
    let later = register(&desk, born("Amy Example", 2011, 5, 14, "LS9 1AA")).await;

    let block = |key: &'static str| {
        let store = desk.store();
        async move {
            let listed = ok(
                store
                    .listings(ListingQuery::all(ListingKind::IdentityBlock).key(key))
                    .await,
                "listings of the identity block by key",
            );
            let mut people: Vec<YoungPersonId> = listed
                .iter()
                .map(|l| match l.stream {
                    StreamId::YoungPerson(p) => p,
                    other => panic!("R-26: an identity block listed by {other}"),
                })
                .collect();
            people.sort();
            (
                people,
                ok(decode_all::<IdentityRow>(&listed), "identity rows decode"),
            )
        }
    };
    let (people, rows) = block("2011-05-04").await;
    let mut expected = vec![amy, swapped, stranger];
    expected.sort();
    assert_eq!(
        people, expected,
        "R-26: born on the day, or on the day and month swapped, and nobody else"
    );
    assert!(
        rows.iter().all(|r| r.name != "Amy Example"),
        "names are folded: {rows:?}"
    );
    assert_eq!(block("2011-05-14").await.0, vec![later]);
    assert_eq!(block("2011-14-05").await.0, Vec::<YoungPersonId>::new());

    // A fifth registration of Amy, misspelt, finds her and the swapped Aimee; not the
    // stranger born the same day far away with another name.
    let again = ok(
        desk.cw
            .register(&desk.worker, born("Amie Example", 2011, 5, 4, "LS9 4DD"))
            .await,
        "register",
    );
    let found: Vec<YoungPersonId> = again
        .possible_duplicates
        .candidates
        .iter()
        .map(|c| c.young_person)
        .collect();
    assert_eq!(found, vec![amy, swapped], "R-26: best first");
    assert!(again.possible_duplicates.candidates[0]
        .reasons
        .contains(&DuplicateReason::SameDateOfBirth));
    assert!(again.possible_duplicates.candidates[1]
        .reasons
        .contains(&DuplicateReason::DayAndMonthSwapped));
    let flags = ok(
        desk.cw.possible_duplicates_awaiting_decision().await,
        "possible duplicates awaiting a decision",
    );
    let flagged = |flags: &[casework_core::young_person::duplicates::PossibleDuplicateRow],
                   person: YoungPersonId| {
        flags
            .iter()
            .filter(|f| f.young_person_id == person)
            .map(|f| f.candidate.young_person)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let set = |people: &[YoungPersonId]| people.iter().copied().collect();
    assert_eq!(
        flagged(&flags, again.young_person),
        set(&[amy, swapped]),
        "R-26: both flagged, never silent"
    );
    assert_eq!(
        flagged(&flags, swapped),
        set(&[amy]),
        "R-26: her own registration flagged Amy"
    );

    // Not the same as the swapped Aimee: her flag closes and the pair is not flagged again.
    ok(
        desk.cw
            .record_duplicate_decision(
                &desk.worker,
                again.young_person,
                swapped,
                Verdict::NotTheSame,
                fixtures::text("Different parents; checked with the school (fictional)"),
            )
            .await,
        "record not the same person",
    );
    let flags = ok(
        desk.cw.possible_duplicates_awaiting_decision().await,
        "possible duplicates awaiting a decision",
    );
    assert_eq!(flagged(&flags, again.young_person), set(&[amy]));
    assert_eq!(flagged(&flags, swapped), set(&[amy]));
    let rechecked = ok(
        desk.cw.check_duplicates(&desk.worker, swapped).await,
        "check the swapped Aimee",
    );
    assert_eq!(
        rechecked
            .candidates
            .iter()
            .map(|c| c.young_person)
            .collect::<Vec<_>>(),
        vec![amy],
        "R-26: a pair decided on either record is not a candidate again"
    );

    // The same person as Amy: linked both ways, one read each.
    ok(
        desk.cw
            .record_duplicate_decision(
                &desk.worker,
                amy,
                again.young_person,
                Verdict::SamePerson,
                fixtures::text("Same school and mother's name; she confirmed (fictional)"),
            )
            .await,
        "record the same person",
    );
    assert_eq!(
        ok(desk.cw.linked_records(amy).await, "linked records"),
        vec![again.young_person]
    );
    assert_eq!(
        ok(
            desk.cw.linked_records(again.young_person).await,
            "linked records"
        ),
        vec![amy]
    );
}
