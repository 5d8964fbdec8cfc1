//! Retention (R-23): the schedule (until the 25th birthday, years after the last case, much
//! longer where a case concerns exploitation; never with a case open), legal holds, the review
//! list, and anonymisation that honours all of them, keeps the statistical shape, is recorded,
//! is idempotent and finishes an interrupted run. R-27: each operation needs its permission.
//! Each test runs on the memory store and on SQLite.

#[macro_use]
mod support;

use casework::case::consent::{ConsentDecision, ConsentScope};
use casework::case::{
    CaseCommand, ClosureReason, ContactKind, ContactWith, Direction, MeetingAction, MeetingKind,
    PartnerKind, Professional, ProfessionalKind, ReferralSource, ReviewDecision, SessionPlace,
    StageName,
};
use casework::kernel::actor::{Actor, Role};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::event::RecordedEvent;
use casework::kernel::ids::{CaseId, ProfessionalId, StreamId, WorkshopId, YoungPersonId};
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::topic::SessionTopic;
use casework::privacy::access::Permission;
use casework::privacy::access_log::AccessSubject;
use casework::privacy::anonymise::ANONYMISED;
use casework::privacy::disclosure::{Audience, ItemKind, OverrideRequest};
use casework::privacy::retention::{RetentionBasis, RetentionDue, RetentionRefusal};
use casework::read::rows::{CaseSummary, Listed, ListingKind, ListingQuery};
use casework::sqlite::SqliteStore;
use casework::store::{
    AppendError, AppendRequest, EventAppend, EventLoad, RewriteRequest, Snapshot, Store, StoreError,
};
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, WorkshopCommand,
};
use casework::young_person::missing::ReturnInterviewOutcome;
use casework::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
use casework::CommandError;
use casework::RetentionError;
use casework_testkit::desk::allocate_to;
use casework_testkit::fixtures::text;
use casework_testkit::stored::stored;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------------------------
// Distinctive, fictional strings: each must be gone from every stored payload and reason after
// anonymisation.

const NAME: &str = "Zephyrine Quillfeather";
const PARENT: &str = "Marigold Thistlewood";
const PROFESSIONAL: &str = "Ottoline Bramblecourt";
const AGENCY: &str = "Fictional Brackenfield Housing Trust";
const CONCERNS: &str = "Concern: seen getting into a silver car on Quarry Lane";
const PLAN: &str = "Plan: weekly walks to talk about the Quarry Lane car";
const GOAL: &str = "Goal: feel safe walking home past the Glimmer arcade";
const NOTE: &str = "Note: talked about the man called Dexwell at the arcade";
const RESOURCE: &str = "Workbook: Glimmer pack 3";
const OTHER_CONTACT: &str = "her friend Peridot Ashgrove";
const MEETING_ACTION: &str = "Ask the Glimmer arcade manager for CCTV";
const REFERENCE: &str = "REF-QX-88231";
const PAUSE_TEXT: &str = "Pause: staying with Aunt Wilhelmina";
const CLOSURE: &str = "Closure: moved in with Aunt Wilhelmina in Harrogate";
const FLAG_RESOLVED: &str = "Resolved at the Ravensbourne strategy discussion";
const ALUMNI_LEFT: &str = "Left for college at Brackenfield";
const OVERRIDE_CONCERN: &str = "Dexwell was seen waiting outside her school";
const READ_PURPOSE: &str = "Preparing for the Ravensbourne strategy discussion";
const POSTCODE_INWARD: &str = "LS6 2AB";

const HER_WORKSHOP_CONCERN: &str =
    "Workshop concern: older lads wait for her at the Glimmer arcade";
const HER_TUTORIAL: &str = "Tutorial: she named the flat above the Glimmer arcade";
const HER_LEARNT: &str = "Learnt: gifts from the Glimmer arcade lads come with a price";
const OTHER_CONCERN: &str = "Workshop concern: a man offers lifts from Saltmarsh bus station";
const OTHER_TUTORIAL: &str = "Tutorial: another girl talked about the Saltmarsh bus station";
const OTHER_LEARNT: &str = "Learnt: free lifts from Saltmarsh are not free";
const QUESTION: &str = "I know how grooming can start";

const SECRETS: &[&str] = &[
    NAME,
    PARENT,
    PROFESSIONAL,
    AGENCY,
    CONCERNS,
    PLAN,
    GOAL,
    NOTE,
    RESOURCE,
    OTHER_CONTACT,
    MEETING_ACTION,
    REFERENCE,
    PAUSE_TEXT,
    CLOSURE,
    FLAG_RESOLVED,
    ALUMNI_LEFT,
    OVERRIDE_CONCERN,
    READ_PURPOSE,
    POSTCODE_INWARD,
    "2011-05-14",
];

fn on(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A girl in LS6, born 14 May 2011: her 25th birthday is 14 May 2036.
fn girl() -> YoungPersonDetails {
    YoungPersonDetails {
        name: text(NAME),
        date_of_birth: date(2011, 5, 14),
        gender: Gender::Female,
        postcode: Postcode::parse(POSTCODE_INWARD).unwrap(),
        learning_difficulty: false,
        contact_preferences: vec![],
    }
}

/// A young woman born 10 January 2008 (18 when referred): her 25th birthday is 10 January 2033.
fn young_woman() -> YoungPersonDetails {
    YoungPersonDetails {
        name: text("Fictional Older Example"),
        date_of_birth: date(2008, 1, 10),
        ..girl()
    }
}

fn professional() -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: text(PROFESSIONAL),
        kind: ProfessionalKind::SocialWorker,
        agency: text("Fictional Children's Services"),
    }
}

/// A service on one store, with an administrator and the staff who work the cases.
/// The shared desk, every step an hour after the last.
type Desk<S> = support::HourlyDesk<S>;

impl<S: Store> Desk<S> {
    fn consent(&self, scope: ConsentScope) -> CaseCommand {
        self.0.consent(scope, ConsentDecision::Given)
    }

    /// A case worked from referral to work begun, assessed with `indicators`.
    async fn case_at_work(
        &self,
        person: YoungPersonId,
        source: ReferralSource,
        indicators: &[&str],
    ) -> CaseId {
        let case = self
            .refer(
                person,
                casework::case::NewReferral {
                    source,
                    concerns: NewConfidential::new(text(CONCERNS)),
                    received_at: self.now(),
                },
            )
            .await;
        self.run(case, self.consent(ConsentScope::Referral)).await;
        self.assess(case, indicators).await;
        self.run(case, CaseCommand::AcceptForSupport).await;
        self.run(case, allocate_to(&self.worker)).await;
        self.run(
            case,
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(text(PLAN)),
            },
        )
        .await;
        self.run(case, CaseCommand::BeginWork).await;
        case
    }

    /// A self-referred case, assessed with `indicators`, closed (moved out of the area) at
    /// the clock's time.
    async fn closed_case(&self, person: YoungPersonId, indicators: &[&str]) -> CaseId {
        let case = self
            .case_at_work(person, ReferralSource::SelfReferral, indicators)
            .await;
        self.run(
            case,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await;
        case
    }

    /// The whole story: a parent's referral with a professional involved, sessions, goals,
    /// contacts, a meeting, a referral out, owed actions discharged, a pause, a review, a
    /// closure in words; missing episodes with a flag resolved and a return interview; alumni
    /// membership; a share with consent, one under the override, and a read of the record.
    async fn whole_story(&self) -> (YoungPersonId, CaseId) {
        let person = self.register(girl()).await;
        let case = self
            .case_at_work(
                person,
                ReferralSource::ParentOrCarer { name: text(PARENT) },
                &["older_boyfriend"],
            )
            .await;
        self.run(
            case,
            CaseCommand::RecordProfessional {
                professional: professional(),
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::AddGoal {
                description: NewConfidential::new(text(GOAL)),
                agreed_with: vec![casework::case::Party::YoungPerson],
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::PlanSession {
                planned_for: self.now(),
                place: SessionPlace::Other {
                    text: text("the Glimmer arcade café"),
                },
                place_chosen_by_young_person: true,
                topics: vec![SessionTopic::GroomingProcess],
            },
        )
        .await;
        let session = self.cw.case(case).await.unwrap().file().activity.sessions[0].id;
        self.run(
            case,
            CaseCommand::HoldSession {
                session,
                held_at: self.now() - Duration::minutes(30),
                duration_minutes: 50,
                place: None,
                topics: vec![SessionTopic::GroomingProcess, SessionTopic::InternetSafety],
                resources: vec![text(RESOURCE)],
                note: NewConfidential::new(text(NOTE)),
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::RecordContact {
                kind: ContactKind::Call,
                direction: Direction::Inbound,
                with: ContactWith::Other {
                    who: text(OTHER_CONTACT),
                },
                at: self.now(),
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::RecordMeeting {
                kind: MeetingKind::StrategyDiscussion,
                held_at: self.now(),
                service_attended: true,
                actions: vec![MeetingAction {
                    action: text(MEETING_ACTION).into(),
                    by_whom: Some(text("Project worker")),
                    due_on: Some(date(2026, 3, 20)),
                }],
            },
        )
        .await;
        self.run(
            case,
            self.consent(ConsentScope::SharingWithAgency {
                agency: text(AGENCY),
            }),
        )
        .await;
        self.run(
            case,
            CaseCommand::ReferToPartner {
                partner: PartnerKind::Housing,
                agency: text(AGENCY),
                sent_at: self.now(),
            },
        )
        .await;
        let owed = self.cw.case(case).await.unwrap().file().owed[0].id;
        self.run(
            case,
            CaseCommand::MarkActionSent {
                action: owed,
                reference: text(REFERENCE),
                sent_at: self.now(),
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::Pause {
                reason: casework::case::PauseReason::Other {
                    text: text(PAUSE_TEXT).into(),
                },
            },
        )
        .await;
        self.run(case, CaseCommand::Resume).await;
        self.run(
            case,
            CaseCommand::RecordReview {
                indicators: vec!["older_boyfriend".into()],
                worker_override: None,
                decision: ReviewDecision::Continue,
            },
        )
        .await;
        // A share with consent and one under the override, and a read of the record.
        let acting = self.acting_as(&self.worker);
        acting
            .share(
                case,
                Audience::PartnerAgency {
                    agency: text(AGENCY),
                },
            )
            .await
            .expect("shares with consent");
        acting
            .share_under_override(
                case,
                OverrideRequest {
                    audience: Audience::Police {
                        agency: text("Fictional Constabulary"),
                    },
                    items: vec![ItemKind::SessionContent],
                    legal_basis: "Children Act 1989 s47 (fictional test)".into(),
                    concern: OVERRIDE_CONCERN.into(),
                },
            )
            .await
            .expect("shares under override");
        acting
            .open_record(case, READ_PURPOSE)
            .await
            .expect("reads the record");
        self.tick();
        // Missing three times in a month: a flag, resolved; a return interview.
        for day in 0..3 {
            let started_at = self.now() - Duration::hours(1);
            self.run_for(
                person,
                YoungPersonCommand::StartMissingEpisode { started_at },
            )
            .await;
            let episode = self
                .cw
                .young_person_activity(person)
                .await
                .unwrap()
                .open_episode()
                .unwrap()
                .id;
            self.run_for(
                person,
                YoungPersonCommand::EndMissingEpisode {
                    episode,
                    returned_at: self.now(),
                },
            )
            .await;
            if day == 0 {
                self.run_for(
                    person,
                    YoungPersonCommand::RecordReturnInterview {
                        episode,
                        outcome: ReturnInterviewOutcome::Completed,
                        at: self.now(),
                    },
                )
                .await;
            }
            self.clock.advance(Duration::days(2));
        }
        let flag = self
            .cw
            .young_person_activity(person)
            .await
            .unwrap()
            .open_flag()
            .expect("three episodes in 30 days raise a flag")
            .id;
        self.run_for(
            person,
            YoungPersonCommand::ResolveMissingFlag {
                flag,
                reason: text(FLAG_RESOLVED),
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::Close {
                reason: ClosureReason::Other {
                    text: text(CLOSURE).into(),
                },
            },
        )
        .await;
        self.run_for(person, YoungPersonCommand::JoinAlumni).await;
        self.run_for(
            person,
            YoungPersonCommand::LeaveAlumni {
                reason: Some(text(ALUMNI_LEFT)),
            },
        )
        .await;
        (person, case)
    }

    /// A school workshop on the clock's day: `her` and `other` attend with ten anonymous
    /// attendees; both are identified as vulnerable and have a tutorial; both and one
    /// anonymous attendee return evaluation forms.
    async fn workshop(&self, her: YoungPersonId, other: YoungPersonId) -> WorkshopId {
        let id = self
            .cw
            .plan_workshop(
                &self.worker,
                NewWorkshop {
                    venue: Venue {
                        kind: VenueKind::School,
                        name: text("Fictional Academy"),
                    },
                    date: self.now().date_naive(),
                    age_group: AgeGroup { min: 13, max: 16 },
                    topics: vec![SessionTopic::GroomingProcess],
                    programme: None,
                },
            )
            .await
            .expect("plans the workshop");
        self.tick();
        let form =
            |respondent, before, after, learnt: Option<&str>| WorkshopCommand::RecordEvaluation {
                respondent,
                answers: vec![EvaluationAnswer {
                    question: text(QUESTION),
                    before,
                    after,
                }],
                learnt: learnt.map(|l| NewConfidential::new(text(l))),
            };
        let mut commands = vec![WorkshopCommand::RecordAttendance {
            young_people: vec![her, other],
            anonymous: 10,
        }];
        for (who, concern, note) in [
            (her, HER_WORKSHOP_CONCERN, HER_TUTORIAL),
            (other, OTHER_CONCERN, OTHER_TUTORIAL),
        ] {
            commands.push(WorkshopCommand::IdentifyVulnerable {
                young_person: who,
                concerns: NewConfidential::new(text(concern)),
            });
            commands.push(WorkshopCommand::HoldTutorial {
                young_person: who,
                held_at: self.now(),
                duration_minutes: 30,
                note: NewConfidential::new(text(note)),
            });
        }
        commands.push(form(
            Respondent::YoungPerson { id: her },
            2,
            4,
            Some(HER_LEARNT),
        ));
        commands.push(form(
            Respondent::YoungPerson { id: other },
            3,
            3,
            Some(OTHER_LEARNT),
        ));
        commands.push(form(Respondent::Anonymous, 1, 5, None));
        for command in commands {
            let name = command.name();
            self.cw
                .execute_workshop(&self.worker, id, command)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            self.tick();
        }
        id
    }

    fn as_admin(&self) -> casework::Acting<'_, S> {
        self.acting_as(&self.admin)
    }

    /// Every stream about `person`: their record, their cases and shares, reads of their
    /// records.
    async fn streams_of(&self, person: YoungPersonId) -> Vec<StreamId> {
        let mut streams = vec![StreamId::YoungPerson(person)];
        for c in self.cw.cases_of(person).await.unwrap() {
            streams.push(StreamId::Case(c.case_id));
            streams.push(StreamId::Disclosures(c.case_id));
        }
        let reads = casework::bypass::raw_store(&self.cw)
            .listings(ListingQuery::all(ListingKind::Access).key(person.to_string()))
            .await
            .unwrap();
        for r in reads {
            if !streams.contains(&r.stream) {
                streams.push(r.stream);
            }
        }
        streams
    }

    async fn stored(&self, streams: &[StreamId]) -> Vec<RecordedEvent> {
        let mut all = Vec::new();
        for s in streams {
            all.extend(
                casework::bypass::raw_store(&self.cw)
                    .load(*s)
                    .await
                    .unwrap(),
            );
        }
        all
    }

    async fn every_listing(&self) -> Vec<Listed> {
        let mut all = Vec::new();
        for kind in ListingKind::ALL {
            all.extend(
                casework::bypass::raw_store(&self.cw)
                    .listings(ListingQuery::all(kind))
                    .await
                    .unwrap(),
            );
        }
        all
    }

    async fn retention_version(&self, person: YoungPersonId) -> usize {
        casework::bypass::raw_store(&self.cw)
            .load(StreamId::Retention(person))
            .await
            .unwrap()
            .len()
    }
}

fn counts_by_type(events: &[RecordedEvent]) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for e in events {
        *counts
            .entry((e.stream.kind().to_owned(), e.event_type.clone()))
            .or_default() += 1;
    }
    counts
}

fn secrets_in(events: &[RecordedEvent]) -> Vec<String> {
    let mut found = Vec::new();
    for e in events {
        for secret in SECRETS {
            if e.payload.contains(secret) {
                found.push(format!("{} v{} payload: {secret}", e.stream, e.version));
            }
            if e.meta.reason.as_deref().is_some_and(|r| r.contains(secret)) {
                found.push(format!("{} v{} reason: {secret}", e.stream, e.version));
            }
        }
    }
    found
}

fn refusal(e: RetentionError) -> RetentionRefusal {
    match e {
        RetentionError::Refused(r) => r,
        other => panic!("expected an R-23 refusal, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The schedule.

on_every_store!(
    r23_due_on_the_25th_birthday_and_not_the_day_before,
    |desk| {
        // Given a girl born 14 May 2011 whose only case (low risk) closed in March 2026
        let person = desk.register(girl()).await;
        desk.closed_case(person, &["older_boyfriend"]).await;
        let admin = desk.as_admin();
        // When the schedule is asked the day before her 25th birthday
        let before = admin
            .retention_status(person, on(2036, 5, 13))
            .await
            .unwrap();
        // Then the records are not due, and fall due on the birthday itself
        assert!(!before.is_due);
        assert_eq!(before.due.due_on(), Some(date(2036, 5, 14)));
        match &before.due {
            RetentionDue::On { because, .. } => assert!(
                matches!(because, RetentionBasis::UntilBirthday { age: 25, .. }),
                "{because}"
            ),
            other => panic!("{other:?}"),
        }
        let on_the_day = admin
            .retention_status(person, on(2036, 5, 14))
            .await
            .unwrap();
        assert!(on_the_day.is_due);
        // and the review list agrees
        assert!(admin
            .retention_review(on(2036, 5, 13))
            .await
            .unwrap()
            .is_empty());
        let review = admin.retention_review(on(2036, 5, 14)).await.unwrap();
        assert_eq!(review.len(), 1);
        assert_eq!(review[0].young_person, person);
        assert_eq!(review[0].due_on, date(2036, 5, 14));
        assert!(review[0].because.to_string().contains("25th birthday"));
        assert!(!review[0].is_blocked());
    }
);

on_every_store!(
    r23_someone_registered_without_a_case_is_reviewed_too,
    |desk| {
        // Given a girl born 14 May 2011, registered (met at a workshop) but never referred
        let person = desk.register(girl()).await;
        let admin = desk.as_admin();
        // Then the review finds her on her 25th birthday, and not the day before
        assert!(admin
            .retention_review(on(2036, 5, 13))
            .await
            .unwrap()
            .is_empty());
        let review = admin.retention_review(on(2036, 5, 14)).await.unwrap();
        assert_eq!(review.len(), 1);
        assert_eq!(review[0].young_person, person);
        assert_eq!(review[0].due_on, date(2036, 5, 14));
    }
);

on_every_store!(r23_due_n_years_after_the_last_case_closed, |desk| {
    // Given a young woman (25 on 10 January 2033) whose case closed on 2 September 2029
    let person = desk.register(young_woman()).await;
    let case = desk
        .case_at_work(person, ReferralSource::SelfReferral, &["older_boyfriend"])
        .await;
    desk.clock.set(on(2029, 9, 2));
    desk.run(
        case,
        CaseCommand::Close {
            reason: ClosureReason::AgedOut,
        },
    )
    .await;
    let admin = desk.as_admin();
    // Then her birthday passes without her records falling due: six years after the case
    // ended is later, and the later date wins
    let status = admin
        .retention_status(person, on(2035, 9, 1))
        .await
        .unwrap();
    assert!(!status.is_due);
    match &status.due {
        RetentionDue::On {
            on,
            because,
            applicable,
        } => {
            assert_eq!(*on, date(2035, 9, 2));
            assert!(
                matches!(because, RetentionBasis::AfterLastCase { years: 6, .. }),
                "{because}"
            );
            assert_eq!(applicable.len(), 2, "{applicable:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        admin
            .retention_status(person, on(2035, 9, 2))
            .await
            .unwrap()
            .is_due
    );
    // and erasure the day before is refused, naming R-23, the date and the rule
    desk.clock.set(on(2035, 9, 1));
    let refused = refusal(admin.anonymise(person, "schedule").await.unwrap_err());
    assert!(
        matches!(refused, RetentionRefusal::NotDue { due_on, .. } if due_on == date(2035, 9, 2))
    );
    let message = refused.to_string();
    assert!(message.starts_with("R-23:"), "{message}");
    assert!(message.contains("6 years after the last case"), "{message}");
});

on_every_store!(r23_records_about_exploitation_are_kept_far_longer, |desk| {
    // Given two girls whose cases closed in March 2026: one assessed High on a disclosure of
    // sexual exploitation, one at Low risk
    let exploited = desk.register(girl()).await;
    let case = desk.closed_case(exploited, &["disclosure"]).await;
    assert_eq!(
        desk.cw.case(case).await.unwrap().file().current_risk(),
        Some(casework::policy::risk::RiskLevel::High)
    );
    let low = desk.register(girl()).await;
    desk.closed_case(low, &["older_boyfriend"]).await;
    let admin = desk.as_admin();
    // When the schedule is asked in 2040, past both 25th birthdays and six years
    let as_of = on(2040, 1, 1);
    // Then only the low-risk records are due; the others are kept 75 years after closure
    let review = admin.retention_review(as_of).await.unwrap();
    let listed: Vec<_> = review.iter().map(|e| e.young_person).collect();
    assert_eq!(listed, vec![low]);
    let status = admin.retention_status(exploited, as_of).await.unwrap();
    assert!(!status.is_due);
    match &status.due {
        RetentionDue::On { on, because, .. } => {
            assert_eq!(*on, date(2101, 3, 2));
            match because {
                RetentionBasis::Exploitation {
                    years, evidence, ..
                } => {
                    assert_eq!(*years, 75);
                    assert!(evidence.contains("High"), "{evidence}");
                }
                other => panic!("{other}"),
            }
        }
        other => panic!("{other:?}"),
    }
    desk.clock.set(as_of);
    let refused = refusal(admin.anonymise(exploited, "schedule").await.unwrap_err());
    assert!(
        refused.to_string().contains("sexual exploitation"),
        "{refused}"
    );
});

on_every_store!(r23_a_young_person_with_an_open_case_is_never_due, |desk| {
    // Given a girl whose first case closed and whose second is open
    let person = desk.register(girl()).await;
    desk.closed_case(person, &["older_boyfriend"]).await;
    let open = desk
        .case_at_work(person, ReferralSource::SelfReferral, &["older_boyfriend"])
        .await;
    let admin = desk.as_admin();
    // When the schedule is asked in 2100
    let status = admin
        .retention_status(person, on(2100, 1, 1))
        .await
        .unwrap();
    // Then she is never due while the case is open
    assert_eq!(status.due, RetentionDue::CaseOpen { case: open });
    assert!(!status.is_due);
    assert!(admin
        .retention_review(on(2100, 1, 1))
        .await
        .unwrap()
        .is_empty());
    desk.clock.set(on(2100, 1, 1));
    let refused = refusal(admin.anonymise(person, "schedule").await.unwrap_err());
    assert_eq!(
        refused,
        RetentionRefusal::CaseOpen {
            young_person: person,
            case: open
        }
    );
    assert!(refused.to_string().starts_with("R-23:"));
    assert_eq!(desk.retention_version(person).await, 0, "nothing recorded");
});

// ---------------------------------------------------------------------------------------------
// Legal holds.

on_every_store!(
    r23_erasure_under_a_legal_hold_is_refused_with_the_holds_reason_then_allowed_once_lifted,
    |desk| {
        // Given a girl whose records are due
        let person = desk.register(girl()).await;
        desk.closed_case(person, &["older_boyfriend"]).await;
        let admin = desk.as_admin();
        // A hold needs a reason, and the refusal names the field
        let refused = refusal(admin.place_legal_hold(person, "  ").await.unwrap_err());
        assert!(
            matches!(&refused, RetentionRefusal::Invalid { field, .. } if field == "reason"),
            "{refused}"
        );
        assert_eq!(desk.retention_version(person).await, 0);
        // Given a hold for a civil claim
        let hold = admin
            .place_legal_hold(
                person,
                "Civil claim 2036-CL-17 (fictional): preserve everything",
            )
            .await
            .unwrap();
        // Then it is listed
        let holds = admin.legal_holds().await.unwrap();
        assert_eq!(holds, vec![hold.clone()]);
        // and the review list shows her due, with the hold that blocks erasure
        let review = admin.retention_review(on(2036, 6, 1)).await.unwrap();
        assert_eq!(review.len(), 1);
        assert!(review[0].is_blocked());
        assert_eq!(review[0].holds[0].reason.as_str(), hold.reason.as_str());
        // When an administrator tries to erase once the records are due
        desk.clock.set(on(2036, 6, 1));
        let refused = refusal(admin.anonymise(person, "schedule").await.unwrap_err());
        // Then R-23 refuses it, giving the hold's reason, and nothing was written
        assert!(matches!(&refused, RetentionRefusal::LegalHold { hold: h, .. } if *h == hold.id));
        let message = refused.to_string();
        assert!(message.starts_with("R-23:"), "{message}");
        assert!(message.contains("Civil claim 2036-CL-17"), "{message}");
        assert_eq!(desk.retention_version(person).await, 1);
        let payload = casework::bypass::raw_store(&desk.cw)
            .load(StreamId::YoungPerson(person))
            .await
            .unwrap();
        assert!(payload[0].payload.contains(NAME));
        // A lift needs a reason too
        let refused = refusal(
            admin
                .lift_legal_hold(person, hold.id, "")
                .await
                .unwrap_err(),
        );
        assert!(matches!(&refused, RetentionRefusal::Invalid { field, .. } if field == "reason"));
        // When the hold is lifted with a reason
        let lifted = admin
            .lift_legal_hold(person, hold.id, "Claim settled (fictional)")
            .await
            .unwrap();
        assert_eq!(lifted.hold, hold);
        assert!(admin.legal_holds().await.unwrap().is_empty());
        // Then erasure goes ahead
        let done = admin
            .anonymise(person, "25th birthday passed")
            .await
            .unwrap();
        assert!(!done.already_anonymised);
        let record = admin.retention_record(person).await.unwrap();
        assert_eq!(record.lifted.len(), 1);
        assert_eq!(
            record.lifted[0].reason.as_str(),
            "Claim settled (fictional)"
        );
        assert_eq!(record.erasures.len(), 1);
        // and lifting a hold that is not in place is refused
        let refused = refusal(
            admin
                .lift_legal_hold(person, hold.id, "again")
                .await
                .unwrap_err(),
        );
        assert!(matches!(refused, RetentionRefusal::UnknownHold { .. }));
    }
);

// ---------------------------------------------------------------------------------------------
// Anonymisation.

on_every_store!(
    r18_a_change_after_an_erasure_that_recomputes_the_links_is_caught_against_its_record,
    |desk| {
        // Given her records anonymised once due: every stream rewritten and linked again, and
        // each one's new head pinned on her retention stream (records_anonymised)
        let (person, _) = desk.whole_story().await;
        desk.clock.set(on(2036, 5, 14));
        desk.as_admin()
            .anonymise(person, "Due under the retention schedule (R-23)")
            .await
            .unwrap();
        assert!(desk.cw.verify_store().await.unwrap().holds());
        let read = desk
            .streams_of(person)
            .await
            .into_iter()
            .find(|s| matches!(s, StreamId::Access(_)))
            .expect("a read of her record");
        // When trusted code holding the raw store rewrites an event of hers again, outside
        // any erasure: its rewrite links the stream again too, so the stream alone holds
        let stored = casework::bypass::raw_store(&desk.cw)
            .load(read)
            .await
            .unwrap();
        casework::bypass::raw_store(&desk.cw)
            .rewrite(RewriteRequest {
                stream: read,
                events: vec![casework::store::RewrittenEvent {
                    version: 1,
                    payload: format!("{} ", stored[0].payload),
                    reason: stored[0].meta.reason.clone(),
                }],
                read_model: casework::read::rows::ReadModelUpdate::None,
                listings: vec![],
            })
            .await
            .unwrap();
        assert!(desk.cw.verify_stream(read).await.unwrap().holds());
        // Then the store's check names it: not the head her erasure recorded
        let report = desk.cw.verify_store().await.unwrap();
        assert_eq!(report.broken.len(), 1, "{report:?}");
        let b = &report.broken[0];
        assert_eq!((b.stream, b.version), (read, stored.len() as u64));
        assert!(
            matches!(
                b.problem,
                casework::kernel::chain::Break::NotAsPinned { .. }
            ),
            "{b}"
        );
    }
);

on_every_store!(
    r23_anonymisation_keeps_the_statistical_shape_and_removes_every_name_and_text,
    |desk| {
        // Given a whole story, closed in March 2026
        let (person, case) = desk.whole_story().await;
        let streams = desk.streams_of(person).await;
        assert!(
            streams.iter().any(|s| matches!(s, StreamId::Access(_))),
            "a read of her record is in the access log"
        );
        let before = desk.stored(&streams).await;
        assert!(
            secrets_in(&before).len() >= SECRETS.len(),
            "the story holds every distinctive string: {:?}",
            secrets_in(&before)
        );
        let summary_before = desk.cw.cases_of(person).await.unwrap();
        let history_before = desk.cw.history(case).await.unwrap();
        let mid = history_before[history_before.len() / 2].meta.recorded_at;
        let as_of_before = desk.cw.case_as_of(case, mid).await.unwrap().unwrap();
        let state_before = desk.cw.case(case).await.unwrap();
        let activity_before = desk.cw.young_person_activity(person).await.unwrap();
        // When an administrator anonymises her records once they are due (her 25th birthday)
        desk.clock.set(on(2036, 5, 14));
        let done = desk
            .as_admin()
            .anonymise(person, "Due under the retention schedule (R-23)")
            .await
            .unwrap();
        // and every stream's hash chain still holds: each rewrite linked its stream again
        // (R-18), so the erasure does not read as tampering
        let report = desk.cw.verify_store().await.unwrap();
        assert!(report.holds(), "R-18: {report:?}");
        // Then no name, free text or confidential text is left in any payload or reason
        let after = desk.stored(&streams).await;
        assert_eq!(secrets_in(&after), Vec::<String>::new());
        assert!(after.iter().any(|e| e.payload.contains(ANONYMISED)));
        // nor in any listing
        for listed in desk.every_listing().await {
            for secret in SECRETS {
                assert!(
                    !listed.listing.detail.contains(secret),
                    "{} listing of {}: {secret}",
                    listed.listing.kind.as_str(),
                    listed.stream
                );
            }
        }
        // and the shape is kept: the same events of the same types, at the same times
        assert_eq!(counts_by_type(&after), counts_by_type(&before));
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(
                (b.stream, b.version, &b.event_type, b.meta.recorded_at),
                (a.stream, a.version, &a.event_type, a.meta.recorded_at)
            );
            assert_eq!(b.meta.reason.is_some(), a.meta.reason.is_some());
        }
        assert_eq!(done.erasure.counts.streams, streams.len() as u64);
        assert_eq!(done.erasure.counts.events, before.len() as u64);
        // the read model: stage, risk, source, closure reason, owed actions
        let summary_after: Vec<CaseSummary> = desk.cw.cases_of(person).await.unwrap();
        assert_eq!(summary_after, summary_before);
        assert_eq!(summary_after[0].closure_reason.as_deref(), Some("other"));
        // history and case_as_of still fold
        let history_after = desk.cw.history(case).await.unwrap();
        assert_eq!(history_after.len(), history_before.len());
        let as_of_after = desk.cw.case_as_of(case, mid).await.unwrap().unwrap();
        assert_eq!(as_of_after.stage(), as_of_before.stage());
        assert_eq!(
            as_of_after.file().current_risk(),
            as_of_before.file().current_risk()
        );
        let state = desk.cw.case(case).await.unwrap();
        assert_eq!(state.stage(), StageName::Closed);
        let (file, file_before) = (state.file(), state_before.file());
        assert_eq!(
            stored(&file.assessments),
            stored(&file_before.assessments),
            "risk kept whole"
        );
        assert_eq!(
            file.screening, file_before.screening,
            "age on referral kept"
        );
        assert_eq!(file.source.as_str(), "parent_or_carer");
        assert_eq!(file.activity.sessions.len(), 1);
        assert_eq!(
            file.activity.sessions[0].topics,
            file_before.activity.sessions[0].topics
        );
        assert_eq!(file.activity.contacts.len(), 1);
        assert_eq!(file.activity.meetings.len(), 1);
        assert_eq!(file.activity.partner_referrals.len(), 1);
        assert_eq!(
            file.consent.entries().len(),
            file_before.consent.entries().len()
        );
        // age to the month, postcode to the district
        let identity = desk.cw.young_person(person).await.unwrap();
        assert_eq!(identity.details.date_of_birth, date(2011, 5, 1));
        assert_eq!(identity.details.postcode.to_string(), "LS6");
        assert_eq!(identity.details.name.as_str(), ANONYMISED);
        assert_eq!(identity.details.gender, Gender::Female);
        // missing episodes, flags and interviews, with their times
        let activity = desk.cw.young_person_activity(person).await.unwrap();
        assert_eq!(activity.missing_episodes, activity_before.missing_episodes);
        assert_eq!(activity.missing_flags.len(), 1);
        assert_eq!(
            activity.missing_flags[0].raised_at,
            activity_before.missing_flags[0].raised_at
        );
        // the erasure is recorded: who, when, why, how much
        let record = desk.as_admin().retention_record(person).await.unwrap();
        assert_eq!(record.erasures.len(), 1);
        let erasure = &record.erasures[0];
        assert_eq!(erasure, &done.erasure);
        assert_eq!(erasure.started.by.staff, desk.admin.id);
        assert_eq!(erasure.started.at, on(2036, 5, 14));
        assert_eq!(
            erasure.started.reason.as_str(),
            "Due under the retention schedule (R-23)"
        );
        assert_eq!(erasure.started.due_on, date(2036, 5, 14));
        assert!(erasure.counts.rewritten_events > 0);
        // and it is in the service-wide erasure log for its day, and not the day after
        let log = desk
            .as_admin()
            .erasure_log(on(2036, 5, 14), on(2036, 5, 15))
            .await
            .unwrap();
        assert_eq!(log, vec![erasure.clone()]);
        assert!(desk
            .as_admin()
            .erasure_log(on(2036, 5, 15), on(2036, 5, 16))
            .await
            .unwrap()
            .is_empty());
        // and she is no longer on the review list
        assert!(desk
            .as_admin()
            .retention_review(on(2036, 5, 14))
            .await
            .unwrap()
            .is_empty());
        // the access log of her records still lists every read, by date and role
        let log = desk
            .acting_as(&desk.manager)
            .access_log(AccessSubject::YoungPerson {
                young_person: person,
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].purpose.as_str(), ANONYMISED);
    }
);

on_every_store!(r23_anonymising_twice_changes_nothing, |desk| {
    // Given records already anonymised
    let (person, _) = desk.whole_story().await;
    let streams = desk.streams_of(person).await;
    desk.clock.set(on(2036, 5, 14));
    let first = desk.as_admin().anonymise(person, "schedule").await.unwrap();
    let stored = desk.stored(&streams).await;
    let version = desk.retention_version(person).await;
    // When an administrator anonymises them again
    desk.clock.advance(Duration::days(1));
    let second = desk.as_admin().anonymise(person, "schedule").await.unwrap();
    // Then nothing is written, and the earlier erasure is returned
    assert!(second.already_anonymised);
    assert_eq!(second.erasure, first.erasure);
    assert_eq!(desk.stored(&streams).await, stored);
    assert_eq!(desk.retention_version(person).await, version);
});

on_every_store!(
    r23_anonymisation_rewrites_only_her_part_of_a_workshop,
    |desk| {
        // Given a girl and another registered girl at the same school workshop, each identified
        // as vulnerable with a tutorial and an evaluation form, and the first girl's case closed
        let person = desk.register(girl()).await;
        let other = desk.register(young_woman()).await;
        let workshop = desk.workshop(person, other).await;
        desk.closed_case(person, &["older_boyfriend"]).await;
        let stream = StreamId::Workshop(workshop);
        let before = casework::bypass::raw_store(&desk.cw)
            .load(stream)
            .await
            .unwrap();
        for secret in [
            HER_WORKSHOP_CONCERN,
            HER_TUTORIAL,
            HER_LEARNT,
            OTHER_TUTORIAL,
        ] {
            assert!(
                before.iter().any(|e| e.payload.contains(secret)),
                "{secret}"
            );
        }
        let state_before = desk.cw.workshop(workshop).await.unwrap();
        let reach_before = desk
            .cw
            .workshop_reach(date(2026, 3, 1), date(2026, 4, 1))
            .await
            .unwrap();
        let her_streams = desk.streams_of(person).await;
        let her_stored = desk.stored(&her_streams).await;
        let her_events = her_stored.len() as u64;
        let mut held: Vec<StreamId> = her_stored.iter().map(|e| e.stream).collect();
        held.dedup();
        // When her records are anonymised once due
        desk.clock.set(on(2036, 5, 14));
        let done = desk
            .as_admin()
            .anonymise(person, "Due under the retention schedule (R-23)")
            .await
            .unwrap();
        // Then her concern, tutorial note and own words are gone from the workshop's stream
        let after = casework::bypass::raw_store(&desk.cw)
            .load(stream)
            .await
            .unwrap();
        for secret in [HER_WORKSHOP_CONCERN, HER_TUTORIAL, HER_LEARNT] {
            for e in &after {
                assert!(
                    !e.payload.contains(secret),
                    "{} v{}: {secret}",
                    e.stream,
                    e.version
                );
            }
        }
        // while every event not about her is exactly as it was: the other girl's concern,
        // tutorial note and form, the plan, and the attendance (her id kept: ids are
        // pseudonymous)
        assert_eq!(after.len(), before.len());
        let mut rewritten = 0;
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(
                (b.version, &b.event_type, b.meta.recorded_at),
                (a.version, &a.event_type, a.meta.recorded_at)
            );
            let hers = b.payload.contains(HER_WORKSHOP_CONCERN)
                || b.payload.contains(HER_TUTORIAL)
                || b.payload.contains(HER_LEARNT);
            if hers {
                rewritten += 1;
                assert!(a.payload.contains(ANONYMISED), "{}", a.payload);
            } else {
                assert_eq!(a, b, "an event not about her is untouched");
            }
        }
        assert_eq!(rewritten, 3);
        for secret in [OTHER_CONCERN, OTHER_TUTORIAL, OTHER_LEARNT] {
            assert!(after.iter().any(|e| e.payload.contains(secret)), "{secret}");
        }
        // and the workshop still folds, with its reach and evaluation results unchanged
        let state = desk.cw.workshop(workshop).await.unwrap();
        assert_eq!(state.attendees, state_before.attendees);
        assert_eq!(state.reach(), state_before.reach());
        assert_eq!(state.vulnerable, state_before.vulnerable);
        assert_eq!(
            state.evaluation_summary(),
            state_before.evaluation_summary()
        );
        let her_tutorial = state
            .tutorials
            .iter()
            .find(|t| t.young_person == person)
            .unwrap();
        assert_eq!(her_tutorial.duration_minutes, 30);
        assert_eq!(
            stored(
                state
                    .tutorials
                    .iter()
                    .find(|t| t.young_person == other)
                    .unwrap()
            ),
            stored(
                state_before
                    .tutorials
                    .iter()
                    .find(|t| t.young_person == other)
                    .unwrap()
            )
        );
        let reach_after = desk
            .cw
            .workshop_reach(date(2026, 3, 1), date(2026, 4, 1))
            .await
            .unwrap();
        assert_eq!(reach_after, reach_before);
        // and both girls' workshop listings are still there
        for who in [person, other] {
            let rows = desk.cw.workshops_of(who).await.unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].workshop_id, workshop);
            assert!(rows[0].identified_vulnerable && rows[0].evaluation);
            assert_eq!(rows[0].tutorials, 1);
        }
        // and the erasure counts the workshop's stream and the events about her in it
        assert_eq!(done.erasure.counts.streams, held.len() as u64 + 1);
        assert_eq!(done.erasure.counts.events, her_events + 3);
        // and a second run changes nothing
        desk.clock.advance(Duration::days(1));
        let again = desk.as_admin().anonymise(person, "schedule").await.unwrap();
        assert!(again.already_anonymised);
        assert_eq!(
            casework::bypass::raw_store(&desk.cw)
                .load(stream)
                .await
                .unwrap(),
            after
        );
    }
);

// ---------------------------------------------------------------------------------------------
// A store that fails a rewrite.

use support::Boxed;

/// A memory store whose rewrites fail once `allowed` of them have succeeded, until reset.
struct FailingRewrites {
    inner: MemoryStore,
    allowed: AtomicUsize,
}

impl EventLoad for FailingRewrites {
    fn load<'a, 'b>(&'a self, stream: StreamId) -> Boxed<'b, Result<Vec<RecordedEvent>, StoreError>>
    where
        'a: 'b,
        Self: 'b,
    {
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
        self.inner.load_snapshot(stream)
    }
}

/// Keeps no data keys: nothing here seals.
impl casework_core::privacy::key_store::KeyStore for FailingRewrites {}

impl EventAppend for FailingRewrites {
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
        let left = self.allowed.load(Ordering::SeqCst);
        if left == 0 {
            return Box::pin(async {
                Err(StoreError::Unavailable(
                    "the connection dropped (test)".into(),
                ))
            });
        }
        self.allowed.store(left - 1, Ordering::SeqCst);
        self.inner.rewrite(request)
    }
}

forward_case_queries!(FailingRewrites, inner);

#[tokio::test]
async fn r23_an_anonymisation_that_fails_half_way_is_shown_and_a_rerun_finishes_it() {
    // Given a whole story on a store whose second rewrite will fail
    let desk = Desk::new(FailingRewrites {
        inner: MemoryStore::new(),
        allowed: AtomicUsize::new(usize::MAX),
    });
    let (person, _) = desk.whole_story().await;
    let streams = desk.streams_of(person).await;
    desk.clock.set(on(2036, 5, 14));
    casework::bypass::raw_store(&desk.cw)
        .allowed
        .store(1, Ordering::SeqCst);
    // When an anonymisation is interrupted after its first stream
    let failed = desk
        .as_admin()
        .anonymise(person, "schedule")
        .await
        .unwrap_err();
    assert!(
        matches!(
            failed,
            RetentionError::Failed(CommandError::Store(StoreError::Unavailable(_)))
        ),
        "{failed:?}"
    );
    // Then some streams are anonymised and some are not
    let part = desk.stored(&streams).await;
    assert!(!secrets_in(&part).is_empty());
    assert!(part.iter().any(|e| e.payload.contains(ANONYMISED)));
    // and the start is recorded without a finish, so the review list says so
    let record = desk.as_admin().retention_record(person).await.unwrap();
    assert!(record.pending.is_some());
    assert!(record.erasures.is_empty());
    let review = desk
        .as_admin()
        .retention_review(on(2036, 5, 14))
        .await
        .unwrap();
    assert_eq!(review.len(), 1);
    assert!(review[0].anonymisation_incomplete);
    casework::bypass::raw_store(&desk.cw)
        .allowed
        .store(usize::MAX, Ordering::SeqCst);
    // A legal hold placed while it is incomplete stops the rerun, naming the hold
    let hold = desk
        .as_admin()
        .place_legal_hold(
            person,
            "Fictional police investigation: preserve everything",
        )
        .await
        .unwrap();
    let before_rerun = desk.stored(&streams).await;
    let held = refusal(
        desk.as_admin()
            .anonymise(person, "rerun under a hold")
            .await
            .unwrap_err(),
    );
    assert!(
        held.to_string().contains("Fictional police investigation"),
        "{held}"
    );
    assert_eq!(
        desk.stored(&streams).await,
        before_rerun,
        "nothing more rewritten"
    );
    desk.as_admin()
        .lift_legal_hold(person, hold.id, "Investigation closed (fictional)")
        .await
        .unwrap();
    // When the hold is lifted and the anonymisation is run again
    let done = desk
        .as_admin()
        .anonymise(person, "rerun after the outage")
        .await
        .unwrap();
    // Then it finishes: nothing distinctive is left, and one erasure is recorded with the
    // first run's start and the rerun's finish
    assert_eq!(
        secrets_in(&desk.stored(&streams).await),
        Vec::<String>::new()
    );
    assert!(!done.already_anonymised);
    assert_eq!(done.erasure.started.reason.as_str(), "schedule");
    assert_eq!(done.erasure.counts.streams, streams.len() as u64);
    assert!(done.erasure.counts.rewritten_streams < done.erasure.counts.streams);
    let record = desk.as_admin().retention_record(person).await.unwrap();
    assert!(record.pending.is_none());
    assert_eq!(record.erasures.len(), 1);
    assert!(desk
        .as_admin()
        .retention_review(on(2036, 5, 14))
        .await
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// R-27.

on_every_store!(r27_retention_operations_need_their_permissions, |desk| {
    // Given records that are due, and a hold placed by an administrator
    let person = desk.register(girl()).await;
    desk.closed_case(person, &["older_boyfriend"]).await;
    let hold = desk
        .as_admin()
        .place_legal_hold(person, "Police investigation (fictional)")
        .await
        .unwrap();
    desk.clock.set(on(2036, 6, 1));
    let version = desk.retention_version(person).await;
    // When anyone in a role without the permission tries each operation
    let others = [
        desk.worker.clone(),
        desk.manager.clone(),
        Actor::new("Aud Itor", Role::Auditor),
        Actor::new("Ext Referrer", Role::ExternalReferrer),
        Actor::new("Automation", Role::System),
    ];
    for actor in &others {
        let acting = desk.acting_as(actor);
        let denied = |e: RetentionError, permission: Permission| {
            let d = e.denied().unwrap_or_else(|| panic!("{e:?}")).clone();
            assert_eq!(d.permission, permission, "{}", actor.role);
            assert!(d.to_string().starts_with("R-27:"), "{d}");
            assert!(d.to_string().contains(permission.as_str()), "{d}");
        };
        // Then each is refused with R-27, naming the permission
        denied(
            acting.place_legal_hold(person, "mine").await.unwrap_err(),
            Permission::ManageRetention,
        );
        denied(
            acting
                .lift_legal_hold(person, hold.id, "mine")
                .await
                .unwrap_err(),
            Permission::ManageRetention,
        );
        denied(
            acting.legal_holds().await.unwrap_err(),
            Permission::ManageRetention,
        );
        denied(
            acting.retention_record(person).await.unwrap_err(),
            Permission::ManageRetention,
        );
        denied(
            acting
                .retention_status(person, desk.now())
                .await
                .unwrap_err(),
            Permission::ManageRetention,
        );
        denied(
            acting.retention_review(desk.now()).await.unwrap_err(),
            Permission::ManageRetention,
        );
        denied(
            acting.anonymise(person, "mine").await.unwrap_err(),
            Permission::Erase,
        );
        let export = acting
            .subject_access_export(person, "mine")
            .await
            .unwrap_err();
        let d = export.denied().expect("an R-27 refusal");
        assert_eq!(d.permission, Permission::SubjectAccessExport);
    }
    // and nothing was written
    assert_eq!(desk.retention_version(person).await, version);
    assert!(desk
        .stored(&[StreamId::YoungPerson(person)])
        .await
        .iter()
        .all(|e| !e.payload.contains(ANONYMISED)));
});

#[test]
fn r23_the_shipped_profiles_carry_a_retention_schedule() {
    for stem in ["city-girls", "county-all-genders", "young-peoples-team"] {
        let profile = casework::config::shipped::profile(stem).unwrap();
        let r = &profile.retention;
        assert_eq!(r.until_age, Some(25), "{stem}");
        assert_eq!(r.years_after_last_case, Some(6), "{stem}");
        let e = r.exploitation.as_ref().expect("an exploitation rule");
        assert_eq!(e.years_after_last_case, 75, "{stem}");
        assert!(e.indicators.contains(&"disclosure".to_owned()), "{stem}");
    }
    // A profile without a retention section parses, with the defaults
    let doc = casework::policy::parse_profile(
        r#"
name = "Fictional"
risk_tool = "../risk-tools/scored.toml"
[eligibility]
min_age = 0
max_age = 18
genders = ["female"]
postcodes = { areas = ["LS"] }
[owed_actions.safeguarding_unit]
recipient = "Unit"
due_within_hours = 24
[owed_actions.duty_social_work]
recipient = "Duty"
due_within_hours = 24
[owed_actions.outcome_to_referrer]
recipient = "Referrer"
due_within_hours = 72
[reviews]
low_days = 84
medium_days = 42
high_days = 28
"#,
        "profiles/old.toml",
    )
    .unwrap();
    assert_eq!(
        doc.retention,
        casework::policy::profile::RetentionSchedule::default()
    );
    // An indicator the risk tool does not know is refused, naming the field
    let mut profile = city_girls_service();
    profile
        .retention
        .exploitation
        .as_mut()
        .unwrap()
        .indicators
        .push("not_an_indicator".into());
    let e = profile.validate().unwrap_err();
    assert_eq!(e.field, "retention.exploitation.indicators[1]");
}

#[tokio::test]
async fn r23_nothing_is_written_when_an_anonymised_event_would_not_decode() {
    // Given records due for erasure, one of whose shares is stored in a shape this library
    // cannot read
    let desk = Desk::new(MemoryStore::new());
    let (person, case) = desk.whole_story().await;
    let streams = desk.streams_of(person).await;
    let shares = casework::bypass::raw_store(&desk.cw)
        .load(StreamId::Disclosures(case))
        .await
        .unwrap();
    let mut bad = shares.last().unwrap().clone();
    bad.version += 1;
    bad.position += 1_000;
    bad.payload = r#"{"type":"information_shared","share":{"when":"yesterday"}}"#.into();
    casework::bypass::raw_store(&desk.cw).insert_raw(bad.clone());
    let before = desk.stored(&streams).await;
    // When an administrator anonymises them
    desk.clock.set(on(2036, 5, 14));
    let refused = refusal(
        desk.as_admin()
            .anonymise(person, "schedule")
            .await
            .unwrap_err(),
    );
    // Then R-23 refuses, naming the stream, version and type, and nothing was written
    assert!(
        matches!(
            &refused,
            RetentionRefusal::WouldNotDecode { stream, version, event_type, .. }
                if *stream == StreamId::Disclosures(case)
                    && *version == bad.version
                    && event_type == "information_shared"
        ),
        "{refused:?}"
    );
    assert_eq!(refused.rule(), casework::kernel::rule::Rule::R23);
    assert!(
        refused.to_string().contains("nothing was written"),
        "{refused}"
    );
    assert_eq!(desk.stored(&streams).await, before);
    assert_eq!(desk.retention_version(person).await, 0);
}

/// R-23, erasure by key destruction: on a sealing service, anonymising a young person destroys
/// their data key, after which nothing sealed of theirs opens, not even for the worker with a
/// recorded read; the erasure is recorded as before.
#[tokio::test]
async fn r23_anonymising_destroys_the_young_persons_data_key() {
    use casework::privacy::key_store::{KeyOwner, KeyState, KeyStore};
    use casework::privacy::keys::LocalKek;
    use casework::service::keyring::Keyring;
    let mut desk = Desk::new(MemoryStore::new());
    let kek = LocalKek::generate().unwrap();
    desk.0.cw = desk
        .0
        .cw
        .with_keyring(std::sync::Arc::new(Keyring::new(std::sync::Arc::new(kek))));
    let (person, case) = desk.whole_story().await;
    let owner = KeyOwner::YoungPerson(person);
    assert!(matches!(
        desk.store().data_key(owner).await.unwrap(),
        KeyState::Live(_)
    ));
    desk.clock.set(on(2036, 5, 14));
    desk.as_admin().anonymise(person, "schedule").await.unwrap();
    assert!(
        matches!(
            desk.store().data_key(owner).await.unwrap(),
            KeyState::Destroyed { .. }
        ),
        "R-23: the key that sealed their content is destroyed"
    );
    // The details were sealed too: anonymisation opened them before it coarsened them, so
    // the record and the case still read with no key, the statistical shape kept.
    let record = desk
        .cw
        .young_person(person)
        .await
        .expect("the record still loads");
    assert_eq!(
        chrono::Datelike::day(&record.details.date_of_birth),
        1,
        "the month of birth kept"
    );
    assert_eq!(
        record.details.postcode.to_string(),
        "LS6",
        "the district kept"
    );
    assert!(!record.details.name.as_str().contains("Example"));
    let case = desk
        .cw
        .case(case)
        .await
        .expect("the case still loads for the figures");
    assert_eq!(case.file().subject.postcode.to_string(), "LS6");
    // The visible text about her was sealed at rest too (an override's concern, a flag's
    // resolution): opened and replaced before the key went, so the audit and her record
    // still read, without her words.
    let report = desk
        .acting_as(&desk.manager)
        .override_report(on(2020, 1, 1), on(2040, 1, 1))
        .await
        .expect("the override report still reads (R-9)");
    assert_eq!(report.len(), 1);
    let shown = format!("{:?}", report[0].basis);
    assert!(
        shown.contains(ANONYMISED) && !shown.contains("Dexwell"),
        "{shown}"
    );
    let activity = desk
        .cw
        .young_person_activity(person)
        .await
        .expect("her record's activity still loads");
    let resolved = activity.missing_flags[0]
        .resolved
        .as_ref()
        .expect("resolved");
    assert_eq!(resolved.0.as_str(), ANONYMISED);
}
