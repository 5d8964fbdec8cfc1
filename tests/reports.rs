//! The figures funders and partnerships ask for, on a small hand-built month a reader
//! can count by hand: referrals by source, outcome, risk, gender and age band; waiting times;
//! caseloads; risk at opening against closure; closure reasons; re-referrals within 12 months
//! of a closure; missing episodes and return interviews offered within 72 hours;
//! workshop reach. The same month gives the same figures on the memory store, SQLite and, when
//! `DATABASE_URL` is set, Postgres (without it the Postgres run says it skipped, and fails
//! under `CASEWORK_REQUIRE_POSTGRES=1`). Small-number suppression is checked by a property
//! test: over random tables, no hidden count can be worked out from what is published.

mod support;

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::{
    CaseCommand, ClosureReason, NewReferral, Party, ReferralSource, ReviewDecision,
};
use casework::config::shipped;
use casework::kernel::actor::{Actor, Role};
use casework::kernel::clock::ManualClock;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::{CaseId, YoungPersonId};
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::privacy::access::{Permission, StaffDirectory};
use casework::read::figures::{
    Breakdown, Category, CrossTable, Figures, Heading, ReportRequest, Shown, Suppression,
};
use casework::read::rows::{ListingKind, ListingQuery};
use casework::sqlite::SqliteStore;
use casework::store::{CaseQueries, Store};
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, WorkshopCommand,
};
use casework::young_person::missing::ReturnInterviewOutcome;
use casework::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
use casework::{ActingError, Casework, QUERIES};
use casework_testkit::fixtures::{girl_in_leeds_area, social_worker, text};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use std::sync::Arc;

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

fn march() -> ReportRequest {
    ReportRequest::new(
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
}

/// The report runs at 09:00 on 1 April.
fn as_of() -> DateTime<Utc> {
    at(4, 1, 9)
}

/// The scored tool of the shipped city profile: 1 point is Low, 6 Medium, 11 High.
fn indicators(level: &str) -> Vec<casework::policy::risk::IndicatorAnswer> {
    let keys: &[&str] = match level {
        "low" => &["older_boyfriend"],
        "medium" => &["taken_to_parties", "older_boyfriend"],
        _ => &["taken_to_parties", "missing_overnight", "older_boyfriend"],
    };
    keys.iter().map(|k| (*k).into()).collect()
}

/// The staff of every run: the same ids on every store, so the figures compare.
struct Staff {
    sam: Actor,
    jo: Actor,
}

struct Month<S> {
    cw: Casework<S>,
    clock: Arc<ManualClock>,
    staff: Arc<Staff>,
}

impl<S: Store> Month<S> {
    async fn person(&self, name: &str, born: (i32, u32, u32), gender: Gender) -> YoungPersonId {
        let details = YoungPersonDetails {
            name: text(name),
            date_of_birth: NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
            gender,
            postcode: Postcode::parse("LS6 2AB").unwrap(),
            ..girl_in_leeds_area()
        };
        self.cw
            .register_young_person(&self.staff.sam, details)
            .await
            .unwrap()
    }

    async fn refer(
        &self,
        person: YoungPersonId,
        source: ReferralSource,
        when: DateTime<Utc>,
    ) -> CaseId {
        self.clock.set(when);
        let referral = NewReferral {
            source,
            concerns: NewConfidential::new(text("Fictional concerns")),
            received_at: when,
        };
        self.cw
            .receive_referral(&self.staff.sam, person, referral)
            .await
            .unwrap()
    }

    async fn run(&self, case: CaseId, when: DateTime<Utc>, commands: Vec<CaseCommand>) {
        self.clock.set(when);
        for command in commands {
            let name = format!("{command:?}");
            if let Err(e) = self.cw.execute(&self.staff.sam, case, command).await {
                panic!("{name}: {e}");
            }
        }
    }

    fn consent(when: DateTime<Utc>) -> CaseCommand {
        CaseCommand::RecordConsent {
            entry: ConsentEntry {
                scope: ConsentScope::Referral,
                decision: ConsentDecision::Given,
                by: ConsentGiver::YoungPerson,
                method: ConsentMethod::InPerson,
                purpose: text("to work with the project"),
                given_at: when,
            },
        }
    }

    fn assessed(level: &str) -> Vec<CaseCommand> {
        vec![
            CaseCommand::Screen,
            CaseCommand::AssessRisk {
                indicators: indicators(level),
                worker_override: None,
            },
        ]
    }

    fn allocate(worker: &Actor) -> CaseCommand {
        CaseCommand::Allocate {
            worker: worker.id,
            worker_name: text(&worker.name),
            out_of_order_reason: None,
        }
    }

    fn begin() -> Vec<CaseCommand> {
        vec![
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(text("Weekly sessions")),
            },
            CaseCommand::BeginWork,
        ]
    }

    async fn missing(
        &self,
        person: YoungPersonId,
        from: DateTime<Utc>,
        back: Option<DateTime<Utc>>,
        offered: Option<DateTime<Utc>>,
    ) {
        self.clock.set(from);
        let episode = self
            .cw
            .start_missing_episode(&self.staff.sam, person, from)
            .await
            .unwrap();
        if let Some(back) = back {
            self.clock.set(back);
            let end = YoungPersonCommand::EndMissingEpisode {
                episode,
                returned_at: back,
            };
            self.cw
                .execute_for_young_person(&self.staff.sam, person, end)
                .await
                .unwrap();
        }
        if let Some(offered) = offered {
            self.clock.set(offered);
            let offer = YoungPersonCommand::RecordReturnInterview {
                episode,
                outcome: ReturnInterviewOutcome::Offered,
                at: offered,
            };
            self.cw
                .execute_for_young_person(&self.staff.sam, person, offer)
                .await
                .unwrap();
        }
    }

    /// The month (all fictional), in time order:
    ///
    /// - Amy, 14: self-referral 5 Jan, Low, allocated to Sam, closed 10 Feb (moved out of
    ///   area); re-referred by herself 10 Mar, Medium, on the waiting list since.
    /// - Gina, 15: self-referral 20 Feb, allocated to Jo 2 Mar (10 days).
    /// - Bea, 17: a social worker's referral 2 Mar, High, allocated to Sam 9 Mar (7 days), a
    ///   review at Medium 20 Mar, closed 25 Mar, risk significantly reduced.
    /// - Cara, 14: her mother's referral 3 Mar, Low, allocated to Sam 5 Mar (2 days), on the
    ///   one-to-one programme.
    /// - Dan, 16, a boy: an agency's referral 4 Mar, Low, signposted.
    /// - Ella, 13: self-referral 5 Mar, Low, withdrawn 6 Mar.
    /// - Fern, 18: a teacher's referral 6 Mar, not yet screened.
    /// - Hana: referred 2 Apr, after the month.
    /// - Missing: Cara 10–11 Mar, offered an interview the next day; Bea 15–16 Mar,
    ///   offered 20 Mar (past the 72 hours); Cara again 28–30 Mar (the 72 hours run to 2 Apr
    ///   09:00, after the report); Ella from 29 Mar, not back.
    /// - A school workshop on 12 Mar: 20 attendees, three forms (two improved, one unchanged).
    async fn build(&self) {
        let (sam, jo) = (&self.staff.sam, &self.staff.jo);
        let amy = self
            .person("Amy Example", (2011, 5, 14), Gender::Female)
            .await;
        let first = self
            .refer(amy, ReferralSource::SelfReferral, at(1, 5, 9))
            .await;
        let mut steps = Self::assessed("low");
        steps.extend([CaseCommand::AcceptForSupport, Self::allocate(sam)]);
        steps.extend(Self::begin());
        self.run(first, at(1, 6, 9), steps).await;
        let moved = CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        };
        self.run(first, at(2, 10, 9), vec![moved]).await;

        let gina = self
            .person("Gina Sample", (2010, 7, 1), Gender::Female)
            .await;
        let g = self
            .refer(gina, ReferralSource::SelfReferral, at(2, 20, 9))
            .await;
        let mut steps = Self::assessed("low");
        steps.push(CaseCommand::AcceptForSupport);
        self.run(g, at(2, 21, 9), steps).await;
        self.run(g, at(3, 2, 9), vec![Self::allocate(jo)]).await;

        let bea = self.person("Bea Test", (2008, 6, 1), Gender::Female).await;
        let pro = social_worker();
        let b = self
            .refer(
                bea,
                ReferralSource::Professional {
                    professional: pro.clone(),
                },
                at(3, 2, 10),
            )
            .await;
        let mut steps = vec![Self::consent(at(3, 2, 11))];
        steps.extend(Self::assessed("high"));
        steps.push(CaseCommand::AcceptForSupport);
        self.run(b, at(3, 2, 11), steps).await;

        let cara = self
            .person("Cara Example", (2011, 9, 9), Gender::Female)
            .await;
        let mum = ReferralSource::ParentOrCarer {
            name: text("Her mother (fictional)"),
        };
        let c = self.refer(cara, mum, at(3, 3, 9)).await;
        let mut steps = vec![Self::consent(at(3, 3, 10))];
        steps.extend(Self::assessed("low"));
        steps.push(CaseCommand::AcceptForSupport);
        self.run(c, at(3, 3, 10), steps).await;

        let dan = self
            .person("Dan Example", (2009, 11, 30), Gender::Male)
            .await;
        let agency = ReferralSource::Agency {
            agency: text("Fictional Youth Service"),
        };
        let d = self.refer(dan, agency, at(3, 4, 9)).await;
        let mut steps = vec![Self::consent(at(3, 4, 10))];
        steps.extend(Self::assessed("low"));
        steps.push(CaseCommand::Signpost {
            reason: None,
            to: None,
        });
        self.run(d, at(3, 4, 10), steps).await;

        let mut steps = Self::begin();
        steps.push(CaseCommand::AssignProgramme {
            programme: "one_to_one".into(),
        });
        self.run(c, at(3, 5, 9), {
            let mut all = vec![Self::allocate(sam)];
            all.extend(steps);
            all
        })
        .await;

        let ella = self
            .person("Ella Sample", (2012, 2, 1), Gender::Female)
            .await;
        let e = self
            .refer(ella, ReferralSource::SelfReferral, at(3, 5, 12))
            .await;
        self.run(e, at(3, 5, 13), Self::assessed("low")).await;
        let withdraw = CaseCommand::Withdraw {
            reason: text("She changed her mind").into(),
        };
        self.run(e, at(3, 6, 9), vec![withdraw]).await;

        let fern = self
            .person("Fern Test", (2007, 12, 1), Gender::Female)
            .await;
        let teacher = ReferralSource::Professional {
            professional: social_worker(),
        };
        self.refer(fern, teacher, at(3, 6, 14)).await;

        let mut steps = vec![Self::allocate(sam)];
        steps.extend(Self::begin());
        self.run(b, at(3, 9, 10), steps).await;
        let a2 = self
            .refer(amy, ReferralSource::SelfReferral, at(3, 10, 9))
            .await;
        let mut steps = Self::assessed("medium");
        steps.push(CaseCommand::AddToWaitingList);
        self.run(a2, at(3, 10, 10), steps).await;

        self.missing(
            cara,
            at(3, 10, 10),
            Some(at(3, 11, 10)),
            Some(at(3, 12, 10)),
        )
        .await;
        self.clock.set(at(3, 12, 9));
        let workshop = self
            .cw
            .plan_workshop(
                sam,
                NewWorkshop {
                    venue: Venue {
                        kind: VenueKind::School,
                        name: text("Fictional Academy"),
                    },
                    date: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
                    age_group: AgeGroup { min: 13, max: 15 },
                    topics: vec![casework::policy::topic::SessionTopic::GroomingProcess],
                    programme: None,
                },
            )
            .await
            .unwrap();
        self.clock.set(at(3, 12, 15));
        let attendance = WorkshopCommand::RecordAttendance {
            young_people: vec![],
            anonymous: 20,
        };
        self.cw
            .execute_workshop(sam, workshop, attendance)
            .await
            .unwrap();
        for (before, after) in [(2, 4), (1, 3), (3, 3)] {
            let form = WorkshopCommand::RecordEvaluation {
                respondent: Respondent::Anonymous,
                answers: vec![EvaluationAnswer {
                    question: text("I know how grooming can start"),
                    before,
                    after,
                }],
                learnt: None,
            };
            self.cw.execute_workshop(sam, workshop, form).await.unwrap();
        }

        self.missing(bea, at(3, 15, 9), Some(at(3, 16, 9)), Some(at(3, 20, 9)))
            .await;
        let review = CaseCommand::RecordReview {
            indicators: indicators("medium"),
            worker_override: None,
            decision: ReviewDecision::Continue,
        };
        self.run(b, at(3, 20, 10), vec![review]).await;
        let closing = vec![
            CaseCommand::ProposeClosure,
            CaseCommand::RecordAgreement {
                party: Party::YoungPerson,
            },
            CaseCommand::RecordAgreement {
                party: Party::Professional(pro.id),
            },
            CaseCommand::CompleteClosure,
        ];
        self.run(b, at(3, 25, 9), closing).await;
        self.missing(cara, at(3, 28, 9), Some(at(3, 30, 9)), None)
            .await;
        self.missing(ella, at(3, 29, 9), None, None).await;

        let hana = self
            .person("Hana Example", (2011, 1, 1), Gender::Female)
            .await;
        self.refer(hana, ReferralSource::SelfReferral, at(4, 2, 9))
            .await;
        self.clock.set(as_of());
    }
}

fn staff() -> Arc<Staff> {
    Arc::new(Staff {
        sam: Actor::worker("Sam Worker"),
        jo: Actor::worker("Jo Worker"),
    })
}

async fn month_on<S: Store>(store: S, staff: Arc<Staff>) -> Month<S> {
    let clock = Arc::new(ManualClock::starting_at(at(1, 1, 9)));
    let profile = shipped::profile("city-girls").unwrap();
    let month = Month {
        cw: Casework::new(store, profile).with_clock(clock.clone()),
        clock,
        staff,
    };
    month.build().await;
    month
}

/// The month's figures for the service and for the one-to-one programme.
async fn figures<S: Store>(month: &Month<S>) -> (Figures, Figures) {
    let service = month.cw.report_as_of(&march(), as_of()).await.unwrap();
    let programme = month
        .cw
        .report_as_of(&march().programme("one_to_one"), as_of())
        .await
        .unwrap();
    (service, programme)
}

fn counts(b: &Breakdown) -> Vec<(&str, u32)> {
    b.categories
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.key.as_str(), c.count))
        .collect()
}

#[tokio::test]
async fn r29_referrals_by_source_outcome_risk_gender_and_age_band_in_a_month() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let (f, _) = figures(&month).await;
    let r = &f.referrals;
    // Amy's re-referral, Bea, Cara, Dan, Ella, Fern; not Gina (February) nor Hana (April).
    assert_eq!(r.total, 6);
    assert_eq!(
        counts(&r.by_source),
        [
            ("self", 2),
            ("parent_or_carer", 1),
            ("professional", 2),
            ("agency", 1)
        ]
    );
    assert_eq!(
        counts(&r.by_outcome),
        [
            ("immediate_support", 2),
            ("waiting_list", 1),
            ("signposted", 1),
            ("withdrawn", 1),
            ("pending", 1)
        ]
    );
    assert_eq!(
        counts(&r.by_risk()),
        [("high", 1), ("medium", 1), ("low", 3), ("not_assessed", 1)]
    );
    assert_eq!(counts(&r.by_gender), [("female", 5), ("male", 1)]);
    // Ages on the day received: Amy 14, Bea 17, Cara 14, Dan 16, Ella 14, Fern 18.
    assert_eq!(
        counts(&r.by_age_band),
        [("13_15", 3), ("16_17", 2), ("18_21", 1)]
    );
    assert_eq!(r.by_month_and_risk.rows.len(), 1);
    assert_eq!(r.by_month_and_risk.get("2026-03", "low"), Some(3));
    // Amy's case closed on 10 February, within 12 months before her referral of 10 March.
    assert_eq!(
        counts(&r.re_referrals),
        [("within_12_months", 1), ("other", 5)]
    );
}

#[tokio::test]
async fn r29_waiting_time_from_referral_to_first_allocation_and_the_longest_still_waiting() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let (f, _) = figures(&month).await;
    let w = &f.waiting;
    // Allocated in March: Cara after 2 days, Bea after 7, Gina (referred in February) after 10.
    assert_eq!(w.distribution.total, 3);
    assert_eq!(
        counts(&w.distribution),
        [("under_1_week", 1), ("1_2_weeks", 2)]
    );
    // Nearest rank: the median is the 2nd of 3, the 90th percentile the 3rd.
    assert_eq!((w.median_days, w.p90_days), (Some(7), Some(10)));
    // Amy, on the waiting list since 10 March 09:00, has waited 22 whole days at 1 April 09:00.
    assert_eq!(
        (w.still_waiting, w.longest_still_waiting_days),
        (1, Some(22))
    );
}

#[tokio::test]
async fn r29_r25_caseloads_per_worker_by_current_risk() {
    let staff = staff();
    let month = month_on(MemoryStore::new(), staff.clone()).await;
    let (f, _) = figures(&month).await;
    let c = &f.caseloads;
    // Open on 1 April: Cara with Sam, Gina with Jo (Bea's case closed), both Low; by name.
    let workers: Vec<&str> = c.rows.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(workers, ["Jo Worker", "Sam Worker"]);
    assert_eq!(c.rows[1].key, staff.sam.id.to_string());
    assert_eq!(c.row_totals, [1, 1]);
    assert_eq!(c.get(&staff.sam.id.to_string(), "low"), Some(1));
    assert_eq!(c.total, 2);
}

#[tokio::test]
async fn r29_r15_closures_by_reason_and_risk_at_opening_against_closure() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let (f, _) = figures(&month).await;
    let c = &f.closures;
    // Only Bea's case closed in March; Amy's closed in February, and Dan's signposting and
    // Ella's withdrawal are referral outcomes, not closures.
    assert_eq!(counts(&c.by_reason), [("risk_significantly_reduced", 1)]);
    let risk = &c.risk_at_opening_and_closure;
    assert_eq!(
        risk.get("high", "medium"),
        Some(1),
        "opened High, closed Medium"
    );
    assert_eq!(risk.total, 1);
}

#[tokio::test]
async fn r29_r22_missing_episodes_and_return_interviews_offered_within_72_hours() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let (f, _) = figures(&month).await;
    let m = &f.missing;
    assert_eq!(
        counts(&m.episodes),
        [
            ("offered_within_72_hours", 1),
            ("not_offered_within_72_hours", 1),
            ("within_72_hours", 1),
            ("not_returned", 1)
        ]
    );
    assert_eq!(m.young_people, 3);
    // Of the two whose 72 hours are over, one was offered in time.
    assert_eq!(m.offered_within_72_hours_percent, Some(50));
    let w = &f.workshops;
    assert_eq!((w.workshops, w.attendees.total, w.forms.total), (1, 20, 3));
    assert_eq!(
        counts(&w.questions[0].answers),
        [("improved", 2), ("unchanged", 1)]
    );
}

#[tokio::test]
async fn r29_a_programmes_report_counts_only_its_cases_and_their_young_people() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let (_, p) = figures(&month).await;
    // Cara is the only case on the one-to-one programme.
    assert_eq!(p.referrals.total, 1);
    assert_eq!(counts(&p.referrals.by_source), [("parent_or_carer", 1)]);
    assert_eq!(p.waiting.distribution.total, 1);
    assert_eq!(p.caseloads.total, 1);
    assert_eq!(p.closures.by_reason.total, 0);
    // Her two episodes; Bea's and Ella's are not the programme's.
    assert_eq!(p.missing.episodes.total, 2);
    assert_eq!(p.workshops.workshops, 0, "the workshop was on no programme");
}

#[tokio::test]
async fn r29_the_published_month_hides_every_count_under_five() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let (f, _) = figures(&month).await;
    let published = f.publish(&Suppression::default());
    assert_eq!(published.suppression, Some(5));
    // Five girls and one boy: with the total shown the boy's `<5` is 6 − 5, and with the 5
    // withheld too it is still 1 (the only value that leaves 5 or more), so the total goes, in
    // every referral table, as they share it.
    assert_eq!(
        published.referrals.by_gender.get("male"),
        Some(Shown::Under(5))
    );
    assert_eq!(published.referrals.total, Shown::Withheld);
    assert_eq!(published.referrals.by_source.total, Shown::Withheld);
    let by_source = &published.referrals.by_source;
    assert!(by_source.categories.iter().all(|c| c.count.is_hidden()));
    // Fewer than five allocated: the median and percentile are withheld.
    assert_eq!(published.waiting.median_days, Some(Shown::Withheld));
    assert_eq!(
        published.missing.offered_within_72_hours_percent,
        Some(Shown::Withheld)
    );
    let csv = published.to_csv();
    assert!(csv.contains("referrals_by_source,Self,Count,<5\n"), "{csv}");
    assert!(
        !csv.contains(",Count,2\n"),
        "no small count is published:\n{csv}"
    );
    let json = serde_json::to_value(&published).unwrap();
    assert_eq!(
        json["referrals"]["by_source"]["categories"][0]["count"],
        "<5"
    );
    assert_eq!(json["referrals"]["total"], "*");
}

#[tokio::test]
async fn r29_r27_reports_need_read_reports_which_workers_do_not_have() {
    let staff = staff();
    let month = month_on(MemoryStore::new(), staff.clone()).await;
    let directory = StaffDirectory::new();
    let query = QUERIES.iter().find(|q| q.name == "report").unwrap();
    assert_eq!(query.permission, Permission::ReadReports);
    match month
        .cw
        .acting_as(&staff.sam, &directory)
        .report(march())
        .await
    {
        Err(ActingError::Denied(denied)) => assert_eq!(denied.permission, Permission::ReadReports),
        other => panic!("a worker reads no report: {other:?}"),
    }
    for role in [Role::Manager, Role::Administrator, Role::Auditor] {
        let reader = Actor::new("Fictional Reader", role);
        let figures = month
            .cw
            .acting_as(&reader, &directory)
            .report(march())
            .await
            .unwrap();
        assert_eq!(figures.referrals.total, 6, "{role:?}");
    }
}

#[tokio::test]
async fn r29_figures_come_from_listings_each_referral_listed_once_from_receipt() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let listed = casework::bypass::raw_store(&month.cw)
        .listings(ListingQuery::all(ListingKind::Referral))
        .await
        .unwrap();
    // Eight young people, nine referrals (Amy twice), each listed once.
    assert_eq!(listed.len(), 9);
    let programme = casework::bypass::raw_store(&month.cw)
        .listings(ListingQuery::all(ListingKind::Referral).key("one_to_one"))
        .await
        .unwrap();
    assert_eq!(programme.len(), 1);
}

#[tokio::test]
async fn r29_r12_one_cases_risk_trajectory_across_its_reviews() {
    let month = month_on(MemoryStore::new(), staff()).await;
    let closed = month
        .cw
        .closed_cases(None)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.reason == "risk_significantly_reduced")
        .unwrap();
    let trajectory = month.cw.risk_trajectory(closed.case_id).await.unwrap();
    let levels: Vec<_> = trajectory
        .points
        .iter()
        .map(|p| (p.level, p.at_review))
        .collect();
    use casework::policy::risk::{RiskLevel, RiskTrend};
    assert_eq!(
        levels,
        [(RiskLevel::High, false), (RiskLevel::Medium, true)]
    );
    assert_eq!(trajectory.trend, RiskTrend::Reducing);
    let svg = casework::charts::risk_trajectory(&trajectory).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Medium"));
}

#[tokio::test]
async fn r29_the_same_month_gives_the_same_figures_on_every_store() {
    let staff = staff();
    let memory = figures(&month_on(MemoryStore::new(), staff.clone()).await).await;
    let store = SqliteStore::temporary().unwrap();
    store.migrate().await.unwrap();
    let sqlite = figures(&month_on(store, staff.clone()).await).await;
    assert_eq!(memory, sqlite, "memory and SQLite differ");
    #[cfg(feature = "postgres")]
    {
        if let Some(database) = support::postgres::TestDatabase::create(
            "r29_the_same_month_gives_the_same_figures_on_every_store",
        )
        .await
        {
            let store = support::postgres::store(&database).await;
            let postgres = figures(&month_on(store, staff.clone()).await).await;
            assert_eq!(memory, postgres, "memory and Postgres differ");
        }
    }
    #[cfg(not(feature = "postgres"))]
    {
        assert!(
            std::env::var("CASEWORK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "CASEWORK_REQUIRE_POSTGRES=1 but this build has no `postgres` feature"
        );
        casework_testkit::say_skipped("reports on Postgres: built without the `postgres` feature");
    }
}

// ---------------------------------------------------------------------------------------------
// Suppression: nothing hidden can be recovered by subtraction.

/// How a reader who knows the method reads a published count: its possible values.
fn allowed(shown: Shown, value: u32, t: u32) -> bool {
    match shown {
        Shown::Count(n) => n == value,
        Shown::Under(_) => (1..t).contains(&value),
        Shown::Withheld => value >= t,
        Shown::Unpublished => true,
    }
}

/// A published table as constraints: cells, and the totals of lines of two or more cells.
struct Published {
    cells: Vec<Vec<Shown>>,
    rows: Option<Vec<Shown>>,
    cols: Option<Vec<Shown>>,
    grand: Shown,
}

impl Published {
    fn of_table(t: &CrossTable<Shown>) -> Self {
        let lines = t.rows.len() >= 2 && t.columns.len() >= 2;
        Published {
            cells: t.cells.clone(),
            rows: lines.then(|| t.row_totals.clone()),
            cols: lines.then(|| t.column_totals.clone()),
            grand: t.total,
        }
    }

    fn of_breakdown(b: &Breakdown<Shown>) -> Self {
        Published {
            cells: b.categories.iter().map(|c| vec![c.count]).collect(),
            rows: None,
            cols: None,
            grand: b.total,
        }
    }

    /// Whether `cells` fits everything published.
    fn fits(&self, cells: &[Vec<u32>], t: u32) -> bool {
        let width = self.cells.first().map_or(0, Vec::len);
        let row_sums: Vec<u32> = cells.iter().map(|r| r.iter().sum()).collect();
        let col_sums: Vec<u32> = (0..width)
            .map(|j| cells.iter().map(|r| r[j]).sum())
            .collect();
        let ok =
            |shown: &[Shown], sums: &[u32]| shown.iter().zip(sums).all(|(s, v)| allowed(*s, *v, t));
        self.cells
            .iter()
            .zip(cells)
            .all(|(shown, values)| ok(shown, values))
            && self.rows.as_ref().is_none_or(|r| ok(r, &row_sums))
            && self.cols.as_ref().is_none_or(|c| ok(c, &col_sums))
            && allowed(self.grand, row_sums.iter().sum(), t)
    }
}

/// Every table of hidden-cell values that fits what is published, found by brute force
/// (independent of the library's flow-based audit). Each hidden cell tries its true value and
/// the values either side of it, within its marker's range: the published values are the
/// constraints of a circulation, and the difference of two circulations splits into cycles
/// that change each count by one at most, so if a count can take another value, some table
/// with every count within one of the truth shows it.
fn alternatives(published: &Published, truth: &[Vec<u32>], t: u32) -> Vec<Vec<Vec<u32>>> {
    let hidden: Vec<(usize, usize)> = published
        .cells
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.iter()
                .enumerate()
                .filter(|(_, s)| s.is_hidden())
                .map(move |(j, _)| (i, j))
        })
        .collect();
    let mut out = Vec::new();
    let mut table = truth.to_vec();
    fn walk(
        k: usize,
        hidden: &[(usize, usize)],
        truth: &[Vec<u32>],
        table: &mut Vec<Vec<u32>>,
        published: &Published,
        t: u32,
        out: &mut Vec<Vec<Vec<u32>>>,
    ) {
        if k == hidden.len() {
            if published.fits(table, t) {
                out.push(table.clone());
            }
            return;
        }
        let (i, j) = hidden[k];
        let v = truth[i][j];
        for candidate in v.saturating_sub(1)..=v + 1 {
            if allowed(published.cells[i][j], candidate, t) {
                table[i][j] = candidate;
                walk(k + 1, hidden, truth, table, published, t, out);
            }
        }
        table[i][j] = v;
    }
    walk(0, &hidden, truth, &mut table, published, t, &mut out);
    out
}

/// Every hidden cell and total takes more than one value across the tables that fit.
fn nothing_recoverable(published: &Published, truth: &[Vec<u32>], t: u32) -> Result<(), String> {
    let fits = alternatives(published, truth, t);
    if !fits.iter().any(|f| f == truth) {
        return Err("the true table does not fit what is published".into());
    }
    let width = truth.first().map_or(0, Vec::len);
    for (i, row) in published.cells.iter().enumerate() {
        for (j, s) in row.iter().enumerate() {
            if s.is_hidden() && fits.iter().all(|f| f[i][j] == truth[i][j]) {
                return Err(format!("cell ({i}, {j}) = {} is recoverable", truth[i][j]));
            }
        }
    }
    let sums = |f: &Vec<Vec<u32>>| -> (Vec<u32>, Vec<u32>, u32) {
        let rows = f.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..width).map(|j| f.iter().map(|r| r[j]).sum()).collect();
        (rows, cols, f.iter().flatten().sum())
    };
    let (rows, cols, g) = sums(&truth.to_vec());
    let all: Vec<_> = fits.iter().map(sums).collect();
    if published.grand.is_hidden() && all.iter().all(|(_, _, x)| *x == g) {
        return Err(format!("the grand total {g} is recoverable"));
    }
    for (i, s) in published.rows.iter().flatten().enumerate() {
        if s.is_hidden() && all.iter().all(|(r, _, _)| r[i] == rows[i]) {
            return Err(format!("row total {i} is recoverable"));
        }
    }
    for (j, s) in published.cols.iter().flatten().enumerate() {
        if s.is_hidden() && all.iter().all(|(_, c, _)| c[j] == cols[j]) {
            return Err(format!("column total {j} is recoverable"));
        }
    }
    Ok(())
}

fn heading(n: usize) -> Vec<Heading> {
    (0..n)
        .map(|i| Heading {
            key: format!("h{i}"),
            label: format!("H{i}"),
        })
        .collect()
}

/// Small counts are common in these tables: half the cells are under 5.
fn cell() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..5, 0u32..12]
}

proptest! {
    #[test]
    fn r29_no_hidden_count_in_a_breakdown_can_be_recovered_from_its_total(
        counts in prop::collection::vec(cell(), 1..6),
    ) {
        let raw = Breakdown::new(counts.iter().enumerate().map(|(i, n)| Category {
            key: format!("k{i}"), label: format!("K{i}"), count: *n,
        }).collect());
        let published = Suppression::default().breakdown(&raw);
        for (c, p) in raw.categories.iter().zip(&published.categories) {
            prop_assert!(!(1..5).contains(&c.count) || matches!(p.count, Shown::Under(5) | Shown::Unpublished));
        }
        let truth: Vec<Vec<u32>> = counts.iter().map(|n| vec![*n]).collect();
        let checked = nothing_recoverable(&Published::of_breakdown(&published), &truth, 5);
        prop_assert!(checked.is_ok(), "{:?}: {:?} published as {:?}", checked, counts, published);
    }

    #[test]
    fn r29_no_hidden_count_in_a_table_can_be_recovered_from_its_row_and_column_totals(
        (rows, cols) in (1usize..4, 2usize..4),
        seed in prop::collection::vec(cell(), 9),
    ) {
        let cells: Vec<Vec<u32>> = (0..rows).map(|i| (0..cols).map(|j| seed[i * 3 + j]).collect()).collect();
        let raw = CrossTable::new(heading(rows), heading(cols), cells.clone());
        let published = Suppression::default().cross_table(&raw);
        for (r, p) in cells.iter().flatten().zip(published.cells.iter().flatten()) {
            prop_assert!(!(1..5).contains(r) || matches!(p, Shown::Under(5) | Shown::Unpublished));
        }
        let checked = nothing_recoverable(&Published::of_table(&published), &cells, 5);
        prop_assert!(checked.is_ok(), "{:?}: {:?} published as {:?}", checked, cells, published);
    }
}

// ---------------------------------------------------------------------------------------------
// Listings against events: the figures read from listings equal the same figures worked out by
// folding every case's events, over generated histories.

/// One generated referral: who, from whom, how risky, what becomes of it, and when.
#[derive(Clone, Debug)]
struct Plan {
    source: usize,
    boy: bool,
    age: i32,
    level: usize,
    path: usize,
    received_day: i64,
    delay_hours: i64,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        0usize..4,
        prop::bool::weighted(0.15),
        13i32..19,
        0usize..3,
        0usize..7,
        0i64..60,
        1i64..400,
    )
        .prop_map(
            |(source, boy, age, level, path, received_day, delay_hours)| Plan {
                source,
                boy,
                age,
                level,
                path,
                received_day,
                delay_hours,
            },
        )
}

async fn live<S: Store>(month: &Month<S>, n: usize, p: &Plan) -> CaseId {
    let received =
        at(2, 1, 9) + chrono::Duration::days(p.received_day) + chrono::Duration::minutes(n as i64);
    month.clock.set(received);
    let gender = if p.boy { Gender::Male } else { Gender::Female };
    let person = month
        .person(
            &format!("Generated Person {n}"),
            (2026 - p.age, 1, 1),
            gender,
        )
        .await;
    let source = match p.source {
        0 => ReferralSource::SelfReferral,
        1 => ReferralSource::ParentOrCarer {
            name: text("A parent"),
        },
        2 => ReferralSource::Agency {
            agency: text("An agency"),
        },
        _ => ReferralSource::Professional {
            professional: social_worker(),
        },
    };
    let is_self = p.source == 0;
    let case = month.refer(person, source, received).await;
    if p.path == 0 {
        return case;
    }
    let later = |hours: i64| received + chrono::Duration::hours(hours);
    let mut triage = Vec::new();
    if !is_self {
        triage.push(Month::<S>::consent(later(1)));
    }
    triage.extend(Month::<S>::assessed(["low", "medium", "high"][p.level]));
    let eligible = !p.boy;
    match (eligible, p.path) {
        (false, _) => triage.push(CaseCommand::Signpost {
            reason: None,
            to: None,
        }),
        (true, 1) => triage.push(CaseCommand::Decline {
            reason: text("Supported elsewhere").into(),
        }),
        (true, 2) => triage.push(CaseCommand::Withdraw {
            reason: text("Changed her mind").into(),
        }),
        (true, 4) => triage.push(CaseCommand::AddToWaitingList),
        _ => triage.push(CaseCommand::AcceptForSupport),
    }
    month.run(case, later(1), triage).await;
    if !eligible || p.path < 3 || p.path == 4 {
        return case;
    }
    let allocated = later(2 + p.delay_hours);
    month
        .run(
            case,
            allocated,
            vec![Month::<S>::allocate(&month.staff.sam)],
        )
        .await;
    if p.path == 3 {
        return case;
    }
    let mut work = Month::<S>::begin();
    if p.path == 6 {
        work.push(CaseCommand::RecordReview {
            indicators: indicators("low"),
            worker_override: None,
            decision: ReviewDecision::Continue,
        });
    }
    month
        .run(case, allocated + chrono::Duration::hours(1), work)
        .await;
    let reason = [ClosureReason::NoEngagement, ClosureReason::AgedOut][p.path % 2].clone();
    let closed = allocated + chrono::Duration::hours(p.delay_hours);
    month
        .run(case, closed, vec![CaseCommand::Close { reason }])
        .await;
    case
}

/// What the events of one case say, folded by hand.
#[derive(Default)]
struct Folded {
    source: &'static str,
    gender: Option<Gender>,
    age: u32,
    received: Option<DateTime<Utc>>,
    first_risk: Option<casework::policy::risk::RiskLevel>,
    last_risk: Option<casework::policy::risk::RiskLevel>,
    outcome: &'static str,
    allocated: Option<DateTime<Utc>>,
    closed: Option<(DateTime<Utc>, &'static str)>,
}

fn fold(events: &[casework::kernel::event::Recorded<casework::case::CaseEvent>]) -> Folded {
    use casework::case::{CaseEvent as E, Outcome};
    let mut f = Folded {
        outcome: "pending",
        ..Folded::default()
    };
    for e in events {
        match &e.event {
            E::ReferralReceived {
                source,
                subject,
                received_at,
                ..
            } => {
                f.source = source.as_str();
                f.gender = Some(subject.gender);
                f.age = received_at
                    .date_naive()
                    .years_since(subject.date_of_birth)
                    .unwrap();
                f.received = Some(*received_at);
            }
            E::RiskAssessed { assessment } => {
                f.first_risk = f.first_risk.or(Some(assessment.level));
                f.last_risk = Some(assessment.level);
            }
            E::ReviewRecorded { review } => f.last_risk = Some(review.assessment.level),
            E::OutcomeGiven { outcome, .. } => {
                f.outcome = match outcome {
                    Outcome::ImmediateSupport => "immediate_support",
                    Outcome::WaitingList => "waiting_list",
                    Outcome::Signposted { .. } => "signposted",
                    Outcome::Declined { .. } => "declined",
                }
            }
            E::ReferralWithdrawn { .. } => f.outcome = "withdrawn",
            E::CaseAllocated { allocation } => f.allocated = f.allocated.or(Some(allocation.at)),
            E::CaseClosed { reason, at } => f.closed = Some((*at, reason.as_str())),
            _ => {}
        }
    }
    f
}

fn risk_key(level: Option<casework::policy::risk::RiskLevel>) -> &'static str {
    use casework::policy::risk::RiskLevel;
    match level {
        Some(RiskLevel::High) => "high",
        Some(RiskLevel::Medium) => "medium",
        Some(RiskLevel::Low) => "low",
        None => "not_assessed",
    }
}

fn tally<'a>(keys: impl IntoIterator<Item = &'a str>) -> std::collections::BTreeMap<&'a str, u32> {
    let mut out = std::collections::BTreeMap::new();
    for k in keys {
        *out.entry(k).or_insert(0) += 1;
    }
    out
}

fn nonzero(b: &Breakdown) -> std::collections::BTreeMap<&str, u32> {
    b.categories
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.key.as_str(), c.count))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.min(32), ..ProptestConfig::default() })]

    #[test]
    fn r29_figures_from_listings_equal_the_figures_folded_from_every_event(
        plans in prop::collection::vec(plan(), 1..10),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let clock = Arc::new(ManualClock::starting_at(at(1, 1, 9)));
            let month = Month {
                cw: Casework::new(MemoryStore::new(), shipped::profile("city-girls").unwrap())
                    .with_clock(clock.clone()),
                clock,
                staff: staff(),
            };
            let mut cases = Vec::new();
            for (n, p) in plans.iter().enumerate() {
                cases.push(live(&month, n, p).await);
            }
            let report = month.cw.report_as_of(&march(), as_of()).await.unwrap();
            let mut folded = Vec::new();
            for case in cases {
                folded.push(fold(&month.cw.history(case).await.unwrap()));
            }
            let (start, end) = (march().start(), march().end());
            let during = |t: DateTime<Utc>| start <= t && t < end;
            let received: Vec<&Folded> =
                folded.iter().filter(|f| f.received.is_some_and(during)).collect();
            let r = &report.referrals;
            assert_eq!(r.total as usize, received.len());
            assert_eq!(nonzero(&r.by_source), tally(received.iter().map(|f| f.source)));
            assert_eq!(nonzero(&r.by_outcome), tally(received.iter().map(|f| f.outcome)));
            assert_eq!(nonzero(&r.by_risk()), tally(received.iter().map(|f| risk_key(f.first_risk))));
            let gender = |f: &&Folded| if f.gender == Some(Gender::Male) { "male" } else { "female" };
            assert_eq!(nonzero(&r.by_gender), tally(received.iter().map(gender)));
            let bands = march().age_bands.headings();
            let band_keys: Vec<&str> = received
                .iter()
                .map(|f| bands[march().age_bands.band(f.age)].key.as_str())
                .collect();
            assert_eq!(nonzero(&r.by_age_band), tally(band_keys));

            let mut waits: Vec<i64> = folded
                .iter()
                .filter_map(|f| f.allocated.filter(|a| during(*a)).map(|a| (a - f.received.unwrap()).num_days()))
                .collect();
            waits.sort_unstable();
            let rank = |p: usize| (!waits.is_empty()).then(|| waits[(p * waits.len()).div_ceil(100) - 1] as u32);
            assert_eq!(report.waiting.distribution.total as usize, waits.len());
            assert_eq!((report.waiting.median_days, report.waiting.p90_days), (rank(50), rank(90)));

            let closed: Vec<&Folded> =
                folded.iter().filter(|f| f.closed.is_some_and(|(t, _)| during(t))).collect();
            let c = &report.closures;
            assert_eq!(nonzero(&c.by_reason), tally(closed.iter().map(|f| f.closed.unwrap().1)));
            for f in &closed {
                let cell = c.risk_at_opening_and_closure.get(risk_key(f.first_risk), risk_key(f.last_risk));
                assert!(cell.unwrap_or(0) >= 1, "a closure missing from risk at opening and closure");
            }
            assert_eq!(c.risk_at_opening_and_closure.total as usize, closed.len());
            let open = folded.iter().filter(|f| f.allocated.is_some() && f.closed.is_none()).count();
            assert_eq!(report.caseloads.total as usize, open);
        });
    }
}
