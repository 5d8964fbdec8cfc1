//! R-26: possible duplicates of a young person already known are found at registration and at
//! referral, returned with the result and flagged, for a worker to decide; "same person"
//! links the records (either id finds both records' cases), "not the same" keeps the pair from
//! being flagged again; nothing is merged. Names as people write them differently (Amy and
//! Aimee, Mc and Mac, hyphens and double-barrelled surnames, accents), a date read the other
//! way round, twins; and with 10,000 people registered the check is still one indexed read
//! (the plans on SQLite and Postgres are checked in `crates/casework-sqlite/tests/duplicate_plans.rs`
//! and `crates/casework-postgres/tests/duplicate_plans.rs`). All names are fictional.

#[macro_use]
mod support;

use casework::aggregate::Aggregate;
use casework::case::CaseCommand;
use casework::kernel::actor::Actor;
use casework::kernel::code::ErrorCode;
use casework::kernel::error::DomainError;
use casework::kernel::event::{DomainEvent, RecordedEvent};
use casework::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::read::listing::ListingRow;
use casework::read::rows::{Listed, ListingKind, ListingQuery};
use casework::sqlite::SqliteStore;
use casework::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
    Store, StoreError,
};
use casework::young_person::duplicates::{
    DuplicateReason, IdentityRow, PossibleDuplicates, Verdict, SIMILAR_NAME,
};
use casework::young_person::{YoungPersonDetails, YoungPersonEvent, YoungPersonRecord};
use casework::{ActingError, CommandError};
use casework_testkit::desk::allocate_to;
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, text};
use chrono::{Duration, NaiveDate};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A girl born on `y-m-d` in `postcode`, named `name`.
fn girl(name: &str, (y, m, d): (i32, u32, u32), postcode: &str) -> YoungPersonDetails {
    YoungPersonDetails {
        name: text(name),
        date_of_birth: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        postcode: Postcode::parse(postcode).unwrap(),
        ..girl_in_leeds_area()
    }
}

const BORN: (i32, u32, u32) = (2011, 5, 14);

/// The intake desk: the shared desk, with an empty directory.
struct Desk<S>(casework_testkit::desk::Desk<S>);

impl<S> std::ops::Deref for Desk<S> {
    type Target = casework_testkit::desk::Desk<S>;
    fn deref(&self) -> &casework_testkit::desk::Desk<S> {
        &self.0
    }
}

impl<S: Store> Desk<S> {
    fn new(store: S) -> Self {
        let mut desk = casework_testkit::desk::Desk::new(store);
        desk.directory = Default::default();
        Desk(desk)
    }

    /// A young person's stream, decoded (R-18).
    async fn history(
        &self,
        person: YoungPersonId,
    ) -> Vec<casework::kernel::event::Recorded<YoungPersonEvent>> {
        let stored = self
            .store()
            .load(StreamId::YoungPerson(person))
            .await
            .unwrap();
        casework::kernel::event::decode_stream(&stored).unwrap()
    }

    /// Registers `details` and returns the possible duplicates found.
    async fn found(&self, details: YoungPersonDetails) -> PossibleDuplicates {
        self.cw
            .register(&self.worker, details)
            .await
            .unwrap()
            .possible_duplicates
    }

    /// Refers `person`, screens, assesses and accepts her, and allocates her case to the
    /// worker.
    async fn allocated(&self, person: YoungPersonId) -> CaseId {
        let case = self.assessed(person, &[]).await;
        self.run(case, CaseCommand::AcceptForSupport).await;
        self.run(case, allocate_to(&self.worker)).await;
        case
    }
}

fn ids(found: &PossibleDuplicates) -> Vec<YoungPersonId> {
    found.candidates.iter().map(|c| c.young_person).collect()
}

fn reasons(found: &PossibleDuplicates) -> Vec<DuplicateReason> {
    found.candidates[0].reasons.clone()
}

fn district(d: &str) -> DuplicateReason {
    DuplicateReason::SamePostcodeDistrict { district: d.into() }
}

// ---------------------------------------------------------------------------------------------
// Names as people write them.

on_every_store!(
    r26_amy_and_aimee_are_flagged_with_their_reasons_and_never_silently,
    |desk| {
        let amy = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
        let aimee = desk
            .cw
            .register(&desk.worker, girl("Aimee Smith", BORN, "LS9 7ZZ"))
            .await
            .unwrap();
        assert_eq!(ids(&aimee.possible_duplicates), vec![amy]);
        let candidate = &aimee.possible_duplicates.candidates[0];
        assert_eq!(
            candidate.reasons,
            vec![
                DuplicateReason::SimilarName { similarity: 84 },
                DuplicateReason::SameDateOfBirth,
                district("LS9"),
            ]
        );
        assert_eq!(candidate.name_similarity, 84);
        // Half the name, three tenths the date of birth, a fifth the district.
        assert_eq!(candidate.score, 92);

        // Never silent: flagged on her record in the same append as the registration, and listed
        // until a worker decides.
        let history = desk.history(aimee.young_person).await;
        assert_eq!(history.len(), 1 + 1);
        assert_eq!(history[1].event.event_type(), "possible_duplicates_flagged");
        assert_eq!(history[0].version + 1, history[1].version);
        let waiting = desk
            .cw
            .possible_duplicates_awaiting_decision()
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(
            (
                waiting[0].young_person_id,
                waiting[0].candidate.young_person
            ),
            (aimee.young_person, amy)
        );
        // The same person registered again through the id-only call is flagged all the same, best
        // first: Amy's name is the same, Aimee's only alike.
        let third = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
        let history = desk.history(third).await;
        match &history[1].event {
            YoungPersonEvent::PossibleDuplicatesFlagged { candidates, .. } => assert_eq!(
                candidates
                    .iter()
                    .map(|c| c.young_person)
                    .collect::<Vec<_>>(),
                vec![amy, aimee.young_person]
            ),
            other => panic!("{other:?}"),
        }
        let waiting = desk
            .cw
            .possible_duplicates_awaiting_decision()
            .await
            .unwrap();
        assert_eq!(
            waiting
                .iter()
                .filter(|w| w.young_person_id == third)
                .count(),
            2
        );
    }
);

on_every_store!(r26_mc_and_mac_are_one_name, |desk| {
    let mc = desk.register(girl("Ellie McDonald", BORN, "LS6 2AB")).await;
    for written in ["Ellie MacDonald", "ELLIE mac donald"] {
        let found = desk.found(girl(written, BORN, "WF10 1AA")).await;
        let with_mc = found
            .candidates
            .iter()
            .find(|c| c.young_person == mc)
            .unwrap_or_else(|| panic!("{written}: {found:?}"));
        assert_eq!(
            with_mc.reasons,
            vec![DuplicateReason::SameName, DuplicateReason::SameDateOfBirth],
            "{written}: the same name, far away"
        );
    }
});

on_every_store!(r26_hyphenated_and_double_barrelled_surnames_meet, |desk| {
    let ruby = desk
        .register(girl("Ruby Ahmed-Clarke", BORN, "LS6 2AB"))
        .await;
    let double = desk.found(girl("Ruby Ahmed Clarke", BORN, "WF3 1AA")).await;
    assert_eq!(ids(&double), vec![ruby]);
    assert_eq!(reasons(&double)[0], DuplicateReason::SameName);
    // One half of the surname is enough to be alike.
    let half = desk.found(girl("Ruby Clarke", BORN, "WF3 2BB")).await;
    assert_eq!(ids(&half).len(), 2);
    for candidate in &half.candidates {
        assert_eq!(
            candidate.reasons[0],
            DuplicateReason::SimilarName { similarity: 99 },
            "Ruby Clarke against Ruby Ahmed-Clarke"
        );
    }
});

on_every_store!(r26_accents_fold_away, |desk| {
    let zoe = desk.register(girl("Zoë Brontë", BORN, "LS6 2AB")).await;
    let sian = desk.register(girl("Siân O'Neill", BORN, "LS16 5AB")).await;
    for (written, postcode, known) in [
        ("Zoe Bronte", "WF10 1AA", zoe),
        ("Sian Oneill", "WF3 1AA", sian),
    ] {
        let found = desk.found(girl(written, BORN, postcode)).await;
        assert_eq!(ids(&found), vec![known], "{written}");
        assert_eq!(reasons(&found)[0], DuplicateReason::SameName, "{written}");
    }
});

on_every_store!(
    r26_a_date_of_birth_read_the_other_way_round_is_found,
    |desk| {
        // 4 May and 5 April; a neighbouring district.
        let amy = desk
            .register(girl("Amy Smith", (2011, 5, 4), "LS9 1AA"))
            .await;
        let found = desk
            .found(girl("Amy Smith", (2011, 4, 5), "LS10 1AA"))
            .await;
        assert_eq!(ids(&found), vec![amy]);
        assert_eq!(
            reasons(&found),
            vec![
                DuplicateReason::SameName,
                DuplicateReason::DayAndMonthSwapped,
                DuplicateReason::NeighbouringPostcodeDistrict {
                    district: "LS9".into()
                },
            ]
        );
        // Born on the 13th, or on 5 May, a girl is listed once: there is no other date to read.
        for born in [(2011, 5, 13), (2011, 5, 5)] {
            let person = desk.register(girl("Jo Example", born, "LS9 1AA")).await;
            let all = desk
                .store()
                .listings(ListingQuery::all(ListingKind::IdentityBlock))
                .await
                .unwrap();
            assert_eq!(
                all.iter()
                    .filter(|l| l.stream == StreamId::YoungPerson(person))
                    .count(),
                1,
                "{born:?}"
            );
        }
    }
);

on_every_store!(r26_different_names_far_apart_are_not_candidates, |desk| {
    desk.register(girl("Chloe Brown", BORN, "LS6 2AB")).await;
    desk.register(girl("Amy Smith", (2011, 5, 15), "LS6 2AB"))
        .await;
    let found = desk.found(girl("Jade Wilson", BORN, "WF10 1AA")).await;
    assert!(found.is_empty(), "{found:?}");
    assert!(desk
        .cw
        .possible_duplicates_awaiting_decision()
        .await
        .unwrap()
        .is_empty());
});

// ---------------------------------------------------------------------------------------------
// Deciding.

on_every_store!(r26_twins_are_flagged_and_stay_two_people, |desk| {
    let amy = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
    let beth = desk
        .cw
        .register(&desk.worker, girl("Beth Smith", BORN, "LS9 1AA"))
        .await
        .unwrap();
    // Same birthday, same address, another given name: flagged, for a worker to decide.
    assert_eq!(ids(&beth.possible_duplicates), vec![amy]);
    assert_eq!(
        reasons(&beth.possible_duplicates),
        vec![
            DuplicateReason::SameFamilyName,
            DuplicateReason::SameDateOfBirth,
            district("LS9"),
        ]
    );
    assert!(beth.possible_duplicates.candidates[0].name_similarity < SIMILAR_NAME);
    // Each twin has her own case; nothing was merged.
    let amys = desk.refer(amy, self_referral(desk.now())).await;
    let beths = desk
        .refer(beth.young_person, self_referral(desk.now()))
        .await;
    desk.cw
        .record_duplicate_decision(
            &desk.worker,
            beth.young_person,
            amy,
            Verdict::NotTheSame,
            text("Twin sisters; both known to the school (fictional)"),
        )
        .await
        .unwrap();
    assert_eq!(case_ids(&desk, amy).await, vec![amys]);
    assert_eq!(case_ids(&desk, beth.young_person).await, vec![beths]);
    assert_eq!(
        desk.cw.young_person(amy).await.unwrap().details.name,
        text("Amy Smith")
    );
    assert!(desk
        .cw
        .possible_duplicates_awaiting_decision()
        .await
        .unwrap()
        .is_empty());
});

on_every_store!(
    r26_not_the_same_is_recorded_and_never_flagged_again,
    |desk| {
        let amy = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
        let other = desk
            .cw
            .register(&desk.worker, girl("Amy Smyth", BORN, "LS9 1AA"))
            .await
            .unwrap();
        assert_eq!(ids(&other.possible_duplicates), vec![amy]);
        desk.advance(Duration::hours(2));
        let decided = desk
            .cw
            .record_duplicate_decision(
                &desk.worker,
                amy,
                other.young_person,
                Verdict::NotTheSame,
                text("Different mothers' names (fictional)"),
            )
            .await
            .unwrap();
        // Recorded on the record that held the flag, attributed, with the reason (R-18).
        assert_eq!(decided.state.person.id, other.young_person);
        let history = desk.history(other.young_person).await;
        let last = history.last().unwrap();
        assert_eq!(last.event.event_type(), "not_same_person_recorded");
        assert_eq!(last.meta.actor.id, desk.worker.id);
        assert_eq!(last.meta.recorded_at, desk.now());
        assert_eq!(
            last.meta.reason.as_deref(),
            Some("Different mothers' names (fictional)")
        );
        // Neither record finds the other again: not on a check, not on a referral.
        for person in [amy, other.young_person] {
            let again = desk
                .cw
                .check_duplicates(&desk.worker, person)
                .await
                .unwrap();
            assert!(again.is_empty(), "{again:?}");
            let referred = desk
                .cw
                .refer(&desk.worker, person, self_referral(desk.now()))
                .await
                .unwrap();
            assert!(referred.possible_duplicates.is_empty());
        }
        // A pair is decided once, either way and whichever record is named first.
        for (a, b) in [(amy, other.young_person), (other.young_person, amy)] {
            let twice = desk
                .cw
                .record_duplicate_decision(
                    &desk.worker,
                    a,
                    b,
                    Verdict::SamePerson,
                    text("Changed my mind"),
                )
                .await;
            match twice {
                Err(CommandError::Rejected(DomainError::Input(e))) => {
                    assert_eq!(e.field, "other");
                    assert!(
                        e.problem
                            .contains("already recorded as not the same person"),
                        "{e}"
                    );
                    assert!(e.problem.contains("R-26"), "{e}");
                }
                other => panic!("a second decision must be refused: {other:?}"),
            }
        }
        // And a record is never its own duplicate.
        let itself = desk
            .cw
            .record_duplicate_decision(&desk.worker, amy, amy, Verdict::SamePerson, text("Oops"))
            .await
            .unwrap_err();
        assert_eq!(itself.code(), "bad_input");
    }
);

on_every_store!(
    r26_same_person_links_so_either_id_finds_both_records_cases,
    |desk| {
        // Known a year ago as Amy McDonald; her case closed (withdrawn).
        let first = desk.register(girl("Amy McDonald", BORN, "LS9 1AA")).await;
        let old_case = desk.refer(first, self_referral(desk.now())).await;
        desk.run(
            old_case,
            CaseCommand::Withdraw {
                reason: text("Moved away for a while (fictional)").into(),
            },
        )
        .await;
        desk.advance(Duration::days(365));
        // Referred again as Aimee MacDonald, registered anew by another worker.
        let second = desk
            .cw
            .register(&desk.worker, girl("Aimee MacDonald", BORN, "LS8 3CD"))
            .await
            .unwrap();
        assert_eq!(ids(&second.possible_duplicates), vec![first]);
        let linked = desk
            .cw
            .record_duplicate_decision(
                &desk.worker,
                second.young_person,
                first,
                Verdict::SamePerson,
                text("Same mother and school; she told us her old name (fictional)"),
            )
            .await
            .unwrap();
        assert_eq!(linked.events.len(), 1);
        assert_eq!(
            desk.cw.linked_records(first).await.unwrap(),
            vec![second.young_person]
        );
        assert_eq!(
            desk.cw.linked_records(second.young_person).await.unwrap(),
            vec![first]
        );

        // A referral on the new record is a re-referral of the person: linked to her last case.
        let referred = desk
            .cw
            .refer(&desk.worker, second.young_person, self_referral(desk.now()))
            .await
            .unwrap();
        assert!(
            referred.possible_duplicates.is_empty(),
            "decided pairs are not candidates"
        );
        let new_case = referred.case;
        assert_eq!(
            desk.cw.case(new_case).await.unwrap().file().previous_case,
            Some(old_case),
            "R-17: the new case links to the person's earlier case, on the other record"
        );
        // Either id leads to both cases, oldest first; each record keeps its own.
        for id in [first, second.young_person] {
            assert_eq!(case_ids(&desk, id).await, vec![old_case, new_case], "{id}");
        }
        assert_eq!(
            desk.cw.cases_of(first).await.unwrap().len(),
            1,
            "one record's own cases stay its own"
        );
        // Through the checked handle, too.
        let acting = desk.acting_as(&desk.worker);
        assert_eq!(acting.cases_of(first).await.unwrap().len(), 2);
        // While one record has an open case, the other cannot open a second (R-17).
        match desk
            .cw
            .refer(&desk.worker, first, self_referral(desk.now()))
            .await
        {
            Err(CommandError::Rejected(DomainError::OpenCaseExists { case })) => {
                assert_eq!(case, new_case)
            }
            other => panic!("an open case on a linked record must refuse: {other:?}"),
        }
        // Nothing merged: both records, both histories, as registered.
        assert_eq!(
            desk.cw.young_person(first).await.unwrap().details.name,
            text("Amy McDonald")
        );
        assert_eq!(
            desk.cw
                .young_person(second.young_person)
                .await
                .unwrap()
                .details
                .name,
            text("Aimee MacDonald")
        );
        assert!(desk
            .cw
            .possible_duplicates_awaiting_decision()
            .await
            .unwrap()
            .is_empty());
    }
);

on_every_store!(r26_r27_deciding_needs_change_case_on_both_records, |desk| {
    let amy = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
    let aimee = desk.register(girl("Aimee Smith", BORN, "LS9 1AA")).await;
    // Amy's case is allocated to the desk's worker: another worker has no relationship to it.
    let case = desk.allocated(amy).await;
    let other_worker = Actor::worker("Kit Otherworker");
    let refused = desk
        .acting_as(&other_worker)
        .record_duplicate_decision(aimee, amy, Verdict::SamePerson, text("Looks like her"))
        .await;
    match refused {
        Err(ActingError::Denied(d)) => {
            assert_eq!(d.permission.as_str(), "change_case");
            assert_eq!(d.record, Some(amy.to_string()));
        }
        other => panic!("R-27: {other:?}"),
    }
    assert_eq!(
        desk.cw
            .possible_duplicates_awaiting_decision()
            .await
            .unwrap()
            .len(),
        1,
        "nothing was recorded"
    );
    // Her own worker may.
    desk.acting_as(&desk.worker)
        .record_duplicate_decision(
            aimee,
            amy,
            Verdict::SamePerson,
            text("She confirmed both names (fictional)"),
        )
        .await
        .unwrap();
    assert_eq!(case_ids(&desk, aimee).await, vec![case]);
    // An external referrer may not even register.
    let referrer = Actor::new(
        "Pat Referrer",
        casework::kernel::actor::Role::ExternalReferrer,
    );
    let denied = desk
        .acting_as(&referrer)
        .register(girl("Ann Smith", BORN, "LS9 1AA"))
        .await;
    assert!(matches!(denied, Err(ActingError::Denied(_))), "{denied:?}");
    // A worker at intake registers and is told of the candidates.
    let registered = desk
        .acting_as(&other_worker)
        .register(girl("Amy Smith", BORN, "LS9 1AA"))
        .await
        .unwrap();
    assert_eq!(registered.possible_duplicates.candidates.len(), 2);
});

async fn case_ids<S: Store>(desk: &Desk<S>, person: YoungPersonId) -> Vec<CaseId> {
    desk.cw
        .cases_of_person(person)
        .await
        .unwrap()
        .iter()
        .map(|c| c.case_id)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One indexed read, however many are registered.

/// A memory store that counts every read it is asked for, and which listing queries.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    reads: AtomicUsize,
    queries: Mutex<Vec<ListingQuery>>,
}

impl Counting {
    fn read(&self) {
        self.reads.fetch_add(1, Ordering::SeqCst);
    }
    fn reset(&self) -> (usize, Vec<ListingQuery>) {
        let reads = self.reads.swap(0, Ordering::SeqCst);
        (reads, std::mem::take(&mut *self.queries.lock().unwrap()))
    }
}

type Boxed<'a, T> = support::Boxed<'a, T>;

impl EventLoad for Counting {
    fn load<'a, 'b>(&'a self, stream: StreamId) -> Boxed<'b, Result<Vec<RecordedEvent>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.read();
        self.inner.load(stream)
    }
    fn load_after<'a, 'b>(
        &'a self,
        stream: StreamId,
        version: u64,
    ) -> Boxed<'b, Result<Vec<RecordedEvent>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.read();
        self.inner.load_after(stream, version)
    }
    fn load_snapshot<'a, 'b>(
        &'a self,
        stream: StreamId,
    ) -> Boxed<'b, Result<Option<Snapshot>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.read();
        self.inner.load_snapshot(stream)
    }
}

/// Keeps no data keys: nothing here seals.
impl casework_core::privacy::key_store::KeyStore for Counting {}

impl EventAppend for Counting {
    fn append<'a, 'b>(&'a self, request: AppendRequest) -> Boxed<'b, Result<u64, AppendError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.append(request)
    }
    fn rewrite<'a, 'b>(&'a self, request: RewriteRequest) -> Boxed<'b, Result<(), StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.rewrite(request)
    }
}

/// Counts a read, then forwards it.
macro_rules! counted {
    ($self:ident, $call:expr) => {{
        $self.read();
        $call
    }};
}

impl CaseQueries for Counting {
    fn waiting_list<'a, 'b>(
        &'a self,
    ) -> Boxed<'b, Result<Vec<casework::read::rows::CaseSummary>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        counted!(self, self.inner.waiting_list())
    }
    fn outstanding_actions<'a, 'b>(
        &'a self,
    ) -> Boxed<'b, Result<Vec<casework::read::rows::OwedActionSummary>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        counted!(self, self.inner.outstanding_actions())
    }
    fn cases_of<'a, 'b>(
        &'a self,
        young_person: YoungPersonId,
    ) -> Boxed<'b, Result<Vec<casework::read::rows::CaseSummary>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        counted!(self, self.inner.cases_of(young_person))
    }
    fn overdue_reviews<'a, 'b>(
        &'a self,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Boxed<'b, Result<Vec<casework::read::rows::CaseSummary>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        counted!(self, self.inner.overdue_reviews(as_of))
    }
    fn case_summary<'a, 'b>(
        &'a self,
        case: CaseId,
    ) -> Boxed<'b, Result<Option<casework::read::rows::CaseSummary>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        counted!(self, self.inner.case_summary(case))
    }
    fn listings<'a, 'b>(&'a self, query: ListingQuery) -> Boxed<'b, Result<Vec<Listed>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.queries.lock().unwrap().push(query.clone());
        counted!(self, self.inner.listings(query))
    }
}

#[tokio::test]
async fn r26_with_ten_thousand_registered_the_check_is_one_indexed_read() {
    let desk = Desk::new(Arc::new(Counting::default()));
    for registration in fixtures::registrations(10_000) {
        desk.store().append(registration).await.unwrap();
    }
    let amy = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
    desk.store().reset();

    let registered = desk
        .cw
        .register(&desk.worker, girl("Aimee Smith", BORN, "LS9 2BB"))
        .await
        .unwrap();
    assert!(ids(&registered.possible_duplicates).contains(&amy));
    let (reads, queries) = desk.store().reset();
    assert_eq!(reads, 1, "registering reads one block, nothing else");
    assert_eq!(
        queries,
        vec![ListingQuery::all(ListingKind::IdentityBlock).key("2011-05-14")]
    );
    // The block is the few born that day or on the swapped day, not the 10,000.
    let block = desk
        .store()
        .inner
        .listings(queries[0].clone())
        .await
        .unwrap();
    assert!(block.len() < 10, "{} in the block", block.len());
    assert!(block.iter().all(|l| l.listing.kind == IdentityRow::KIND));

    // A check of someone registered: her record, then the one block.
    desk.cw
        .check_duplicates(&desk.worker, registered.young_person)
        .await
        .unwrap();
    let (reads, queries) = desk.store().reset();
    assert_eq!(queries.len(), 1, "{queries:?}");
    assert!(reads <= 2, "the record and the block: {reads} reads");
}

#[tokio::test]
async fn r26_r23_an_anonymised_record_is_never_a_candidate() {
    let desk = Desk::new(MemoryStore::new());
    let person = desk.register(girl("Amy Smith", BORN, "LS9 1AA")).await;
    let listed = desk
        .store()
        .listings(ListingQuery::all(ListingKind::IdentityBlock).key("2011-05-14"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    // The listings an anonymised record writes: none in the identity block.
    let anonymised = YoungPersonRecord::evolve(
        None,
        &YoungPersonEvent::Registered {
            id: person,
            details: YoungPersonDetails {
                name: text(casework::privacy::anonymise::ANONYMISED),
                ..girl("Amy Smith", (2011, 5, 1), "LS9")
            },
            at: desk.now(),
        },
    )
    .unwrap();
    let listings =
        casework::aggregate::Aggregate::listings(&anonymised, desk.cw.profile()).encode();
    assert!(
        listings
            .iter()
            .all(|l| l.kind != ListingKind::IdentityBlock),
        "{listings:?}"
    );
}

#[test]
fn r26_the_event_payloads_are_stable() {
    let json = r#"{"type":"possible_duplicates_flagged","candidates":[{"young_person":"881be9a7-5fea-48e3-b840-e7f9c948c374","score":92,"name_similarity":84,"reasons":[{"reason":"similar_name","similarity":84},{"reason":"same_date_of_birth"},{"reason":"same_postcode_district","district":"LS9"}]}],"at":"2026-03-02T09:00:00Z"}"#;
    let event: YoungPersonEvent = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&event).unwrap(), json);
}

/// R-26 with identifying details sealed at rest (issue 17): the block is keyed by a blind
/// index of the date of birth and the listing holds the name and date sealed, yet the check
/// finds the same candidates, a swapped date included; and a record listed before the service
/// sealed (its block key the plain date) is still found.
#[tokio::test]
async fn r26_sealed_details_are_found_by_a_blind_index_and_records_listed_before_sealing_too() {
    use casework::service::keyring::{key_file, Keyring};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casework.db");
    let open = || {
        let store = SqliteStore::open(&db).unwrap();
        Desk::new(store)
    };
    // Before sealing: one record listed under the plain date.
    let plain = open();
    plain.store().migrate().await.unwrap();
    let before = plain
        .register(girl("Cara Legacy", (2010, 1, 2), "LS7 1AA"))
        .await;
    drop(plain);

    let mut sealing = open();
    sealing.0.cw = sealing.0.cw.with_keyring(Arc::new(Keyring::new(Arc::new(
        key_file(dir.path().join("casework.key")).unwrap(),
    ))));
    let amy = sealing
        .register(girl("Amy Example", (2011, 5, 4), "LS6 2AB"))
        .await;
    let aimee = sealing
        .found(girl("Aimee Example", (2011, 5, 4), "LS6 3CD"))
        .await;
    assert!(
        ids(&aimee).contains(&amy),
        "the same date of birth, a similar name: {aimee:?}"
    );
    let swapped = sealing
        .found(girl("Amy Example", (2011, 4, 5), "LS6 2AB"))
        .await;
    assert!(
        swapped
            .candidates
            .iter()
            .any(|c| c.young_person == amy
                && c.reasons.contains(&DuplicateReason::DayAndMonthSwapped)),
        "the day and month swapped: {swapped:?}"
    );
    let legacy = sealing
        .found(girl("Cara Legacy", (2010, 1, 2), "LS7 1AA"))
        .await;
    assert!(
        ids(&legacy).contains(&before),
        "a record listed before sealing is still in its block: {legacy:?}"
    );

    // What the store holds: keys that are blind indexes, details that are sealed.
    let store = casework::bypass::raw_store(&sealing.cw);
    let listed = store
        .listings(ListingQuery::all(ListingKind::IdentityBlock))
        .await
        .unwrap();
    let sealed: Vec<&Listed> = listed
        .iter()
        .filter(|l| l.stream != StreamId::YoungPerson(before))
        .collect();
    assert!(sealed.len() >= 5, "{} identity listings", sealed.len());
    for l in sealed {
        let key = &l.listing.key;
        assert!(
            key.starts_with("dob-") && key.len() == 36 && !key.contains("2011"),
            "a blind index, not a date: {key}"
        );
        for plain in ["Example", "example", "2011-05-04", "2011-04-05"] {
            assert!(
                !l.listing.detail.contains(plain),
                "`{plain}` is sealed in the listing: {}",
                l.listing.detail
            );
        }
    }
}
