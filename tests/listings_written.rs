//! What each command writes to the listings: the listings of the state after it, and only
//! when they changed (most commands change none, and carry `None`); a command that loses a
//! race writes no listings. Given/when/then over the pure domain for what a case's listings
//! are, and through a store that records every append for what the service sends.

#[macro_use]
mod support;

use casework::case::{
    CaseCommand, ClosureReason, ContactKind, ContactWith, Direction, ReviewDecision, SessionPlace,
};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::event::RecordedEvent;
use casework::kernel::ids::{CaseId, StreamId};
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::read::listing::{decode, ClosedCaseRow, Listings, OpenCaseRow, ReviewDueRow};
use casework::read::rows::{Listed, Listing, ListingKind, ListingQuery};
use casework::store::{
    AppendError, AppendRequest, CaseQueries, EventAppend, EventLoad, RewriteRequest, Snapshot,
    StoreError,
};
use casework::young_person::{YoungPersonCommand, YoungPersonEvent};
use casework::CommandError;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

fn at_work_steps() -> Vec<CaseCommand> {
    vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ]
}

fn contact(at: DateTime<Utc>) -> CaseCommand {
    CaseCommand::RecordContact {
        kind: ContactKind::Text,
        direction: Direction::Outbound,
        with: ContactWith::YoungPerson,
        at,
    }
}

fn review() -> CaseCommand {
    CaseCommand::RecordReview {
        indicators: vec!["older_boyfriend".into()],
        worker_override: None,
        decision: ReviewDecision::Continue,
    }
}

fn kinds(listings: &[Listing]) -> Vec<ListingKind> {
    listings.iter().map(|l| l.kind).collect()
}

fn listed(stream: StreamId, listing: &Listing) -> Listed {
    Listed {
        stream,
        listing: listing.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Given/when/then: a case's listings follow its state.

#[test]
fn given_a_case_at_work_when_contact_is_recorded_then_no_listing_changes() {
    let profile = city_girls_service();
    let s = Scenario::new(profile.clone())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(at_work_steps());
    let before = Listings::of_case(s.case(), &profile);
    // An open case, listed by its worker, and its review due in 84 days (Low risk, R-12); its
    // referral and first allocation, for the figures (R-29).
    let encoded = before.encode();
    assert_eq!(
        kinds(&encoded),
        vec![
            ListingKind::OpenCase,
            ListingKind::ReviewDue,
            ListingKind::Referral,
            ListingKind::FirstAllocation
        ]
    );
    let stream = StreamId::Case(s.case_id());
    let open: OpenCaseRow = decode(&listed(stream, &encoded[0])).unwrap();
    assert_eq!(open.case_id, s.case_id());
    assert_eq!(encoded[0].key, open.worker.to_string());
    assert_eq!(Some(open.worker), s.case().allocation().map(|a| a.worker));
    assert_eq!(encoded[1].key, s.case_id().to_string());
    assert_eq!(encoded[1].at, Some(start() + Duration::days(84)));
    s.later(Duration::hours(1))
        .when(contact(start() + Duration::minutes(30)))
        .then_case(|after| {
            assert_eq!(Listings::of_case(after, &profile).replacing(&before), None);
        });
}

#[test]
fn given_a_case_at_work_when_a_review_is_held_then_its_review_due_listing_moves() {
    let profile = city_girls_service();
    let s = Scenario::new(profile.clone())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(at_work_steps());
    let before = Listings::of_case(s.case(), &profile);
    s.later(Duration::days(80))
        .when(review())
        .then_case(|after| {
            let written = Listings::of_case(after, &profile)
                .replacing(&before)
                .expect("a review moves the review due");
            let due = written
                .iter()
                .find(|l| l.kind == ListingKind::ReviewDue)
                .unwrap();
            assert_eq!(due.at, Some(start() + Duration::days(80 + 84)));
            let row: ReviewDueRow = decode(&listed(StreamId::Case(after.file().id), due)).unwrap();
            assert_eq!(row.due_at, start() + Duration::days(164));
        });
}

#[test]
fn given_a_case_at_work_when_it_closes_then_it_is_listed_as_closed_and_nothing_else() {
    let profile = city_girls_service();
    let s = Scenario::new(profile.clone())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .given(at_work_steps());
    let before = Listings::of_case(s.case(), &profile);
    let young_person = s.young_person_id();
    s.later(Duration::days(3))
        .when(CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        })
        .then_case(|after| {
            let written = Listings::of_case(after, &profile)
                .replacing(&before)
                .unwrap();
            // Closed, and still counted among referrals and allocations (R-29).
            assert_eq!(
                kinds(&written),
                vec![
                    ListingKind::ClosedCase,
                    ListingKind::Referral,
                    ListingKind::FirstAllocation
                ]
            );
            assert_eq!(written[0].key, young_person.to_string());
            assert_eq!(written[0].at, Some(start() + Duration::days(3)));
            let row: ClosedCaseRow =
                decode(&listed(StreamId::Case(after.file().id), &written[0])).unwrap();
            assert_eq!(row.reason, "moved_out_of_area");
        });
}

#[test]
fn given_a_referral_when_it_is_screened_then_it_is_listed_only_as_a_referral() {
    let profile = city_girls_service();
    Scenario::new(profile.clone())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .when(CaseCommand::Screen)
        .then_case(|after| {
            let listed = Listings::of_case(after, &profile).encode();
            assert_eq!(kinds(&listed), vec![ListingKind::Referral]);
        });
}

#[test]
fn a_listing_of_another_kind_or_a_damaged_detail_is_refused_naming_the_stream() {
    let stream = StreamId::Case(CaseId::new());
    let listing = Listing {
        kind: ListingKind::ReviewDue,
        key: "x".into(),
        at: None,
        detail: "{}".into(),
    };
    match decode::<OpenCaseRow>(&listed(stream, &listing)) {
        Err(StoreError::Corrupt(message)) => assert!(message.contains(&stream.to_string())),
        other => panic!("expected a corrupt listing, got {other:?}"),
    }
    match decode::<ReviewDueRow>(&listed(stream, &listing)) {
        Err(StoreError::Corrupt(message)) => assert!(message.contains("review_due"), "{message}"),
        other => panic!("expected a corrupt listing, got {other:?}"),
    }
}

#[test]
fn the_documented_closed_case_detail_decodes() {
    // docs/EVENTS.md shows a `closed_case` detail: it must stay what the code writes.
    let doc = include_str!("../docs/EVENTS.md");
    let from = doc
        .find("A `closed_case` detail")
        .expect("the example is documented");
    let json: String = doc[from..]
        .lines()
        .skip_while(|l| !l.starts_with("```text"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n");
    let listing = Listing {
        kind: ListingKind::ClosedCase,
        key: String::new(),
        at: None,
        detail: json,
    };
    let row: ClosedCaseRow = decode(&listed(StreamId::Case(CaseId::new()), &listing)).unwrap();
    assert_eq!(row.reason, "moved_out_of_area");
    assert_eq!(row.stage, casework::case::StageName::Closed);
}

// ---------------------------------------------------------------------------------------------
// Through the service: a store that records every append, and can serve a stale read.

use support::Boxed;

/// A memory store that keeps a copy of every append request, and, while `stale` names a stream
/// and a version, reads that stream as it was at that version (as a writer that loaded it
/// before someone else appended would have).
#[derive(Default)]
struct Probe {
    inner: MemoryStore,
    requests: Mutex<Vec<AppendRequest>>,
    stale: Mutex<Option<(StreamId, u64)>>,
}

impl Probe {
    fn last(&self) -> AppendRequest {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("an append")
    }

    fn stale_at(&self, stream: StreamId) -> Option<u64> {
        self.stale
            .lock()
            .unwrap()
            .filter(|(s, _)| *s == stream)
            .map(|(_, v)| v)
    }
}

impl EventLoad for Probe {
    fn load<'a, 'b>(&'a self, stream: StreamId) -> Boxed<'b, Result<Vec<RecordedEvent>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.load_after(stream, 0)
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
        Box::pin(async move {
            let mut events = self.inner.load_after(stream, version).await?;
            if let Some(at) = self.stale_at(stream) {
                events.retain(|e| e.version <= at);
            }
            Ok(events)
        })
    }

    fn load_snapshot<'a, 'b>(
        &'a self,
        stream: StreamId,
    ) -> Boxed<'b, Result<Option<Snapshot>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async move {
            if self.stale_at(stream).is_some() {
                return Ok(None);
            }
            self.inner.load_snapshot(stream).await
        })
    }
}

/// Keeps no data keys: nothing here seals.
impl casework_core::privacy::key_store::KeyStore for Probe {}

impl EventAppend for Probe {
    fn append<'a, 'b>(&'a self, request: AppendRequest) -> Boxed<'b, Result<u64, AppendError>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.requests.lock().unwrap().push(request.clone());
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

forward_case_queries!(Probe, inner);

/// The listings the store holds for `stream`, of every kind.
async fn stored(desk: &Desk<Arc<Probe>>, stream: StreamId) -> Vec<Listing> {
    let mut out = Vec::new();
    for kind in ListingKind::ALL {
        for l in desk
            .store()
            .listings(ListingQuery::all(kind))
            .await
            .unwrap()
        {
            if l.stream == stream {
                out.push(l.listing);
            }
        }
    }
    out
}

#[tokio::test]
async fn a_command_that_changes_no_listing_sends_none_and_one_that_does_sends_them_all() {
    let desk = Desk::new(Arc::new(Probe::default()));
    let (yp, case) = desk
        .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
        .await;
    // Registration and the referral's first steps list nothing; allocation lists the open case.
    desk.advance(Duration::hours(1));
    let steps = [
        contact(desk.now()),
        CaseCommand::PlanSession {
            planned_for: desk.now() + Duration::days(1),
            place: SessionPlace::ProjectBase,
            place_chosen_by_young_person: true,
            topics: vec![],
        },
    ];
    for command in steps {
        let name = command.name();
        desk.cw.execute(&desk.worker, case, command).await.unwrap();
        assert_eq!(
            desk.store().last().listings,
            None,
            "`{name}` changes no listing"
        );
    }
    // A review moves the review due: every listing of the case is sent, replacing the old.
    desk.advance(Duration::days(10));
    let reviewed = desk.cw.execute(&desk.worker, case, review()).await.unwrap();
    let sent = desk
        .store()
        .last()
        .listings
        .expect("a review changes the listings");
    assert_eq!(
        sent,
        Listings::of_case(&reviewed.state, desk.cw.profile()).encode()
    );
    assert_eq!(stored(&desk, StreamId::Case(case)).await, sent);
    // A young person's episode: starting it lists the episode (R-29); the return lists the
    // interview due.
    let started = desk
        .cw
        .execute_for_young_person(
            &desk.worker,
            yp,
            YoungPersonCommand::StartMissingEpisode {
                started_at: desk.now() - Duration::hours(5),
            },
        )
        .await
        .unwrap();
    let listed = desk.store().last().listings.expect("the episode is listed");
    assert!(kinds(&listed).contains(&ListingKind::MissingEpisode));
    assert!(!kinds(&listed).contains(&ListingKind::ReturnInterview));
    let episode = match &started.events[0] {
        YoungPersonEvent::MissingEpisodeStarted { episode, .. } => *episode,
        other => panic!("{other:?}"),
    };
    desk.cw
        .execute_for_young_person(
            &desk.worker,
            yp,
            YoungPersonCommand::EndMissingEpisode {
                episode,
                returned_at: desk.now(),
            },
        )
        .await
        .unwrap();
    let interview = desk
        .store()
        .last()
        .listings
        .expect("a return interview is due");
    // All of the stream's listings: the record of her (R-23), the interview due, the episode
    // and her identity for the duplicate check (R-26).
    assert_eq!(
        kinds(&interview),
        vec![
            ListingKind::YoungPersonRecord,
            ListingKind::ReturnInterview,
            ListingKind::MissingEpisode,
            ListingKind::IdentityBlock
        ]
    );
    assert_eq!(interview[1].at, Some(desk.now() + Duration::hours(72)));
    // Completing it leaves only the record of her: the whole list is sent, not `None`.
    desk.cw
        .execute_for_young_person(
            &desk.worker,
            yp,
            YoungPersonCommand::RecordReturnInterview {
                episode,
                outcome: casework::young_person::missing::ReturnInterviewOutcome::Completed,
                at: desk.now(),
            },
        )
        .await
        .unwrap();
    let left = desk.store().last().listings.expect("the listings changed");
    assert_eq!(
        kinds(&left),
        vec![
            ListingKind::YoungPersonRecord,
            ListingKind::MissingEpisode,
            ListingKind::IdentityBlock
        ]
    );
    assert_eq!(stored(&desk, StreamId::YoungPerson(yp)).await.len(), 3);
}

#[tokio::test]
async fn a_command_that_loses_a_race_writes_no_listings() {
    let desk = Desk::new(Arc::new(Probe::default()));
    let (_, case) = desk
        .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
        .await;
    let stream = StreamId::Case(case);
    let version = desk.cw.history(case).await.unwrap().len() as u64;
    // Someone closes the case ...
    desk.advance(Duration::days(1));
    let closed = desk
        .cw
        .execute(
            &fixtures::manager(),
            case,
            CaseCommand::Close {
                reason: ClosureReason::NoEngagement,
            },
        )
        .await
        .unwrap();
    let after_close = stored(&desk, stream).await;
    assert_eq!(
        after_close,
        Listings::of_case(&closed.state, desk.cw.profile()).encode()
    );
    // ... while a worker who loaded it before that records a review.
    *desk.store().stale.lock().unwrap() = Some((stream, version));
    let lost = desk.cw.execute(&desk.worker, case, review()).await;
    *desk.store().stale.lock().unwrap() = None;
    match lost {
        Err(CommandError::Conflict(c)) => {
            assert_eq!((c.expected, c.actual), (version, version + 1))
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The losing append carried listings (the review moved its due date) ...
    let attempted = desk.store().last();
    assert!(attempted
        .listings
        .as_ref()
        .is_some_and(|l| l.iter().any(|l| l.kind == ListingKind::ReviewDue)));
    // ... and none of them was written: the case is listed as closed, and due for no review.
    assert_eq!(stored(&desk, stream).await, after_close);
    assert!(desk
        .cw
        .reviews_due(start(), start() + Duration::days(400))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(desk.cw.closed_cases(None).await.unwrap().len(), 1);
}
