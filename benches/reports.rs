//! The figures funders ask for (R-29) over 100,000 cases: `Casework::report` against the raw
//! SQL the store runs for the same listings, in the same run.
//!
//! ```text
//! cargo bench --bench reports                                   # criterion, then the summary
//! cargo bench --bench reports -- --summary                      # only the summary
//! CASEWORK_BENCH_REPORT_CASES=10000 cargo bench --bench reports # a quick run
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench reports --features postgres           # SQLite, then Postgres
//! ```
//!
//! **The data.** A report reads listings only, so the store is filled with listings, fast: one
//! append per stream (no ~500,000 commands), whose `AppendRequest` carries the listings a
//! stream in that state lists, each encoded by the core's own row types (`ReferralRow`,
//! `FirstAllocationRow`, `AwaitingAllocationRow`, `OpenCaseRow`, `ReviewDueRow`,
//! `ExpectedEndRow`, `ClosedCaseRow`, `MissingEpisodeRow`, `ReturnInterviewRow`,
//! `YoungPersonRecordRow`, `WorkshopRow`, `WorkshopParticipantRow`, each through
//! `ListingRow::to_listing`), in the order `Listings::of_case` writes them, with the case's
//! summary row. `CASEWORK_BENCH_REPORT_CASES` cases (default 100,000) are received evenly over
//! five years, from July 2021 to June 2026, about 20,000 a year, drawn by a seeded generator:
//! - triage within 3 days: 5% declined, 12% signposted, 43% immediate support (allocated within
//!   6 days), 40% the waiting list (allocated within 7–120 days; 8% withdraw first); risk Low
//!   40%, Medium 40%, High 20%;
//! - work for 30–240 days after allocation, then closed with a reason, risk at closure usually
//!   a level lower; the cases still at work hold an open case (120 workers), a review due and,
//!   on a programme, an expected end; those not yet triaged or allocated are pending or waiting;
//! - 8% are re-referrals of a young person whose earlier case had closed; 6% of young people
//!   have one to three missing episodes, with return interviews offered within 4–100 hours of
//!   the return (a young person's stream is written only for them: the reports read nothing
//!   else of a young person's); a workshop every 50 referrals, with evaluation forms.
//!
//! **What is timed**, for a quarter (April–June 2026) and a year (July 2025–June 2026) of the
//! whole service, as of 2 July 2026, interleaved round by round (each round rotates which side
//! goes first), p50/p95 of:
//! - `Casework::report`: seven indexed reads through the store, each decoded into its row
//!   type, and `Figures::compute`;
//! - the raw SQL: the same seven statements the store runs (SQLite: the store's own
//!   `bench_support::listings_sql`; Postgres: `casework::postgres::sql::LISTINGS*`) through
//!   rusqlite or tokio-postgres directly, each row's JSON detail decoded into the same row
//!   type, and nothing else;
//! - `Figures::compute` alone, on those rows;
//!
//! and the ratio report/raw. Before anything is timed, the figures computed from the raw rows
//! are checked equal to the report's, so both sides read the same listings.
//!
//! Postgres runs when built with `--features postgres` and `DATABASE_URL` is set (a fresh
//! database, `casework_bench_reports_<pid>_<random>`, dropped at the end); otherwise it says it
//! skipped. Without `--bench` (`cargo test --benches`) only the check runs, on 2,000 cases.

use casework::case::StageName;
use casework::kernel::clock::ManualClock;
use casework::kernel::event::{EventMeta, NewEvent};
use casework::kernel::ids::{
    CaseId, EventId, MissingEpisodeId, StaffId, StreamId, WorkshopId, YoungPersonId,
};
use casework::kernel::input::Text;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::programme::Span;
use casework::policy::risk::RiskLevel;
use casework::policy::topic::SessionTopic;
use casework::read::figures::{Figures, ReportInputs, ReportRequest};
use casework::read::listing::{
    AwaitingAllocationRow, ClosedCaseRow, ExpectedEndRow, FirstAllocationRow, ListingRow,
    MissingEpisodeRow, OpenCaseRow, ReferralOutcome, ReferralRow, ReturnInterviewRow, ReviewDueRow,
    WorkshopParticipantRow, WorkshopRow, YoungPersonRecordRow,
};
use casework::read::rows::{
    CaseSummary, Listing, ListingKind, ListingQuery, ReadModelUpdate, YoungPersonSummary,
};
use casework::sqlite::bench_support::listings_sql;
use casework::sqlite::rusqlite::{Connection, ToSql};
use casework::sqlite::SqliteStore;
use casework::store::{AppendRequest, EventAppend, Store};
use casework::workshop::{AgeGroup, EvaluationSummary, QuestionSummary, Venue, VenueKind};
use casework::young_person::missing::return_interview_due;
use casework::young_person::Gender;
use casework::Casework;
use casework_testkit::fixtures;
use chrono::{DateTime, Duration as Days, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, SamplingMode};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

// ---------------------------------------------------------------------------------------------
// The fictional service.

/// A small seeded generator (xorshift64), so every run draws the same service.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A number from 0 to `below − 1`.
    fn below(&mut self, below: u64) -> u64 {
        self.next() % below.max(1)
    }
    /// A number from `from` to `to`, both included.
    fn between(&mut self, from: i64, to: i64) -> i64 {
        from + self.below((to - from + 1) as u64) as i64
    }
    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn text(s: &str) -> Text {
    Text::parse("text", s).expect("bench text is not empty")
}

/// The first referral's day.
fn first_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 1, 0, 0, 0).unwrap()
}

/// The day after the last referral's.
fn last_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap()
}

/// When the reports run: the service's clock.
fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 2, 9, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

/// The reports timed: a quarter and a year of the whole service.
fn requests() -> [(&'static str, ReportRequest); 2] {
    [
        (
            "quarter",
            ReportRequest::new(day(2026, 4, 1), day(2026, 7, 1)),
        ),
        ("year", ReportRequest::new(day(2025, 7, 1), day(2026, 7, 1))),
    ]
}

const WORKERS: usize = 120;
const PROGRAMMES: [(&str, Span); 2] = [
    ("short_term", Span { min: 8, max: 10 }),
    ("intensive", Span { min: 20, max: 26 }),
];
const SOURCES: [&str; 4] = ["self", "parent_or_carer", "professional", "agency"];

/// One case as its listings see it, after its commands.
struct CasePlan {
    case: CaseId,
    person: YoungPersonId,
    previous: Option<CaseId>,
    received: DateTime<Utc>,
    source: &'static str,
    gender: Gender,
    age: u32,
    programme: Option<usize>,
    stage: StageName,
    outcome: ReferralOutcome,
    opening_risk: Option<RiskLevel>,
    current_risk: Option<RiskLevel>,
    /// First allocation: when, to which worker.
    allocated: Option<(DateTime<Utc>, usize)>,
    work_begun: Option<DateTime<Utc>>,
    next_review_due: Option<DateTime<Utc>>,
    /// When it closed or ended, and the closed-case listing's reason.
    ended: Option<(DateTime<Utc>, &'static str)>,
}

/// A young person with missing episodes.
struct PersonPlan {
    person: YoungPersonId,
    registered: DateTime<Utc>,
    date_of_birth: NaiveDate,
    episodes: Vec<MissingEpisodeRow>,
}

/// What the store is filled with.
struct Plan {
    cases: Vec<CasePlan>,
    people: Vec<PersonPlan>,
    workshops: Vec<(WorkshopRow, Vec<WorkshopParticipantRow>)>,
    workers: Vec<(StaffId, Text)>,
}

fn level_index(level: RiskLevel) -> i64 {
    match level {
        RiskLevel::Low => 0,
        RiskLevel::Medium => 1,
        RiskLevel::High => 2,
    }
}

fn level_of(index: i64) -> RiskLevel {
    [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High][index.clamp(0, 2) as usize]
}

/// Risk after work: usually a level lower, sometimes the same, now and then higher.
fn later_risk(dice: &mut Dice, opening: RiskLevel) -> RiskLevel {
    let step = match dice.below(10) {
        0..=5 => -1,
        6..=8 => 0,
        _ => 1,
    };
    level_of(level_index(opening) + step)
}

const CLOSURE_REASONS: [(&str, u64); 7] = [
    ("risk_significantly_reduced", 45),
    ("no_engagement", 15),
    ("moved_out_of_area", 10),
    ("young_person_withdrew", 10),
    ("aged_out", 10),
    ("transferred", 5),
    ("young_person_declined", 5),
];

fn closure_reason(dice: &mut Dice) -> &'static str {
    let mut roll = dice.below(100);
    for (reason, share) in CLOSURE_REASONS {
        if roll < share {
            return reason;
        }
        roll -= share;
    }
    "other"
}

impl Plan {
    fn new(n: usize) -> Plan {
        let mut dice = Dice(0x5eed_2026_0000_0029);
        let now = as_of();
        let span = (last_day() - first_day()).num_seconds();
        let step = span / n.max(1) as i64;
        let per_day = (n as i64 / (span / 86_400)).max(1);
        let workers = (0..WORKERS)
            .map(|k| (StaffId::new(), text(&format!("Fictional Worker {k}"))))
            .collect();
        let mut cases: Vec<CasePlan> = Vec::with_capacity(n);
        let mut people = Vec::new();
        for i in 0..n {
            let received = first_day()
                + Days::seconds(i as i64 * step + dice.below(step.max(1) as u64) as i64);
            // A re-referral: the young person of an earlier case that closed before this one.
            let earlier = (i > 0 && dice.chance(8))
                .then(|| i - dice.between(1, (i as i64).min(per_day * 500)) as usize)
                .filter(|&j| {
                    let e = &cases[j];
                    e.stage == StageName::Closed && e.ended.is_some_and(|(at, _)| at < received)
                });
            let (person, previous, age) = match earlier {
                Some(j) => {
                    let e = &cases[j];
                    let years = ((received - e.received).num_days() / 365) as u32;
                    (e.person, Some(e.case), e.age + years)
                }
                None => {
                    let age = if dice.chance(5) {
                        dice.between(18, 24)
                    } else {
                        dice.between(11, 17)
                    } as u32;
                    (YoungPersonId::new(), None, age)
                }
            };
            let gender = match dice.below(100) {
                0..=93 => Gender::Female,
                94..=96 => Gender::Male,
                97..=98 => Gender::NonBinary,
                _ => Gender::NotStated,
            };
            let source = SOURCES[match dice.below(100) {
                0..=19 => 0,
                20..=29 => 1,
                30..=84 => 2,
                _ => 3,
            }];
            let programme = match dice.below(10) {
                0..=3 => None,
                4..=7 => Some(0),
                _ => Some(1),
            };
            let mut case = CasePlan {
                case: CaseId::new(),
                person,
                previous,
                received,
                source,
                gender,
                age,
                programme,
                stage: StageName::Received,
                outcome: ReferralOutcome::Pending,
                opening_risk: None,
                current_risk: None,
                allocated: None,
                work_begun: None,
                next_review_due: None,
                ended: None,
            };
            case.unfold(&mut dice, now, WORKERS);
            if earlier.is_none() && dice.chance(6) {
                people.push(PersonPlan::new(&mut dice, &case, now));
            }
            cases.push(case);
        }
        let workshops = (0..n / 50)
            .map(|w| workshop(&mut dice, w, n / 50))
            .collect();
        Plan {
            cases,
            people,
            workshops,
            workers,
        }
    }

    fn streams(&self) -> usize {
        self.cases.len() + self.people.len() + self.workshops.len()
    }

    /// The append of the `i`th stream: cases, then young people, then workshops.
    fn request(&self, i: usize) -> AppendRequest {
        let (stream, at, read_model, listings) = if let Some(c) = self.cases.get(i) {
            (
                StreamId::Case(c.case),
                c.last_at(),
                ReadModelUpdate::Case(c.summary(&self.workers)),
                c.listings(&self.workers),
            )
        } else if let Some(p) = self.people.get(i - self.cases.len()) {
            (
                StreamId::YoungPerson(p.person),
                p.registered,
                ReadModelUpdate::YoungPerson(YoungPersonSummary {
                    young_person_id: p.person,
                    birth_year: chrono::Datelike::year(&p.date_of_birth),
                    postcode_district: "LS6".into(),
                    registered_at: p.registered,
                    version: 1,
                }),
                p.listings(),
            )
        } else {
            let (row, participants) = &self.workshops[i - self.cases.len() - self.people.len()];
            let mut listings = vec![row.to_listing()];
            listings.extend(participants.iter().map(ListingRow::to_listing));
            (
                StreamId::Workshop(row.workshop_id),
                row.date.and_hms_opt(9, 0, 0).unwrap().and_utc(),
                ReadModelUpdate::None,
                listings,
            )
        };
        AppendRequest {
            stream,
            expected_version: 0,
            events: vec![NewEvent {
                event_type: "bench_listings_seeded".into(),
                schema_version: 1,
                payload: "{}".into(),
                meta: EventMeta {
                    event_id: EventId::new(),
                    recorded_at: at,
                    actor: fixtures::worker(),
                    reason: None,
                },
            }],
            read_model,
            snapshot: None,
            listings: Some(listings),
            idempotency: None,
        }
    }
}

impl CasePlan {
    /// Draws what happened to the case by `now`: triage, allocation, work, closure.
    fn unfold(&mut self, dice: &mut Dice, now: DateTime<Utc>, workers: usize) {
        let triaged = self.received + Days::hours(dice.between(2, 72));
        if triaged > now {
            self.stage = if dice.chance(50) {
                StageName::Received
            } else {
                StageName::Screened
            };
            return;
        }
        let risk = level_of(match dice.below(10) {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        });
        (self.opening_risk, self.current_risk) = (Some(risk), Some(risk));
        let roll = dice.below(100);
        let (allocate_at, immediate) = match roll {
            0..=16 => {
                let (stage, outcome) = if roll <= 4 {
                    (StageName::Declined, ReferralOutcome::Declined)
                } else {
                    (StageName::Signposted, ReferralOutcome::Signposted)
                };
                (self.stage, self.outcome) = (stage, outcome);
                self.ended = Some((triaged, stage.as_str()));
                return;
            }
            17..=59 => (triaged + Days::hours(dice.between(4, 24 * 6)), true),
            _ => (triaged + Days::days(dice.between(7, 120)), false),
        };
        if immediate {
            (self.stage, self.outcome) = (
                StageName::AwaitingAllocation,
                ReferralOutcome::ImmediateSupport,
            );
        } else {
            (self.stage, self.outcome) = (StageName::WaitingList, ReferralOutcome::WaitingList);
            let withdraw_at = triaged + Days::days(dice.between(5, 60));
            if dice.chance(8) && withdraw_at < allocate_at {
                if withdraw_at <= now {
                    (self.stage, self.outcome) = (StageName::Withdrawn, ReferralOutcome::Withdrawn);
                    self.ended = Some((withdraw_at, "withdrawn"));
                }
                return;
            }
        }
        if allocate_at > now {
            return;
        }
        self.allocated = Some((allocate_at, dice.below(workers as u64) as usize));
        let begun = allocate_at + Days::days(dice.between(2, 7));
        let closes = begun + Days::days(dice.between(30, 240));
        if begun > now {
            self.stage = StageName::Allocated;
            return;
        }
        self.work_begun = Some(begun);
        if closes > now {
            self.stage = if dice.chance(5) {
                StageName::Paused
            } else {
                StageName::Active
            };
            if dice.chance(50) {
                self.current_risk = Some(later_risk(dice, risk));
            }
            self.next_review_due =
                Some(now - Days::days(10) + Days::minutes(dice.below(100 * 1440) as i64));
            return;
        }
        self.stage = StageName::Closed;
        self.current_risk = Some(later_risk(dice, risk));
        self.ended = Some((closes, closure_reason(dice)));
    }

    fn programme(&self) -> Option<String> {
        self.programme.map(|p| PROGRAMMES[p].0.to_owned())
    }

    /// The time of the case's last change, for its one event.
    fn last_at(&self) -> DateTime<Utc> {
        [
            Some(self.received),
            self.allocated.map(|(at, _)| at),
            self.work_begun,
            self.ended.map(|(at, _)| at),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap()
        .min(as_of())
    }

    fn summary(&self, workers: &[(StaffId, Text)]) -> CaseSummary {
        CaseSummary {
            case_id: self.case,
            young_person_id: self.person,
            stage: self.stage,
            risk_level: self.current_risk,
            received_at: self.received,
            source: self.source.into(),
            worker: self.allocated.map(|(_, w)| workers[w].0),
            previous_case: self.previous,
            next_review_due: self.next_review_due,
            closure_reason: (self.stage == StageName::Closed)
                .then(|| self.ended.map(|(_, reason)| reason.to_owned()))
                .flatten(),
            version: 1,
            owed: vec![],
        }
    }

    /// The case's listings, in the order `Listings::of_case` writes them.
    fn listings(&self, workers: &[(StaffId, Text)]) -> Vec<Listing> {
        let mut out = Vec::new();
        let worker = self.allocated.map(|(_, w)| &workers[w]);
        let open = !self.stage.is_finished();
        if let (Some((allocated_at, _)), Some((id, name)), true) = (self.allocated, worker, open) {
            out.push(
                OpenCaseRow {
                    case_id: self.case,
                    young_person_id: self.person,
                    stage: self.stage,
                    worker: *id,
                    worker_name: name.clone(),
                    allocated_at,
                    risk_level: self.current_risk,
                    programme: self.programme(),
                    work_begun_at: self.work_begun,
                }
                .to_listing(),
            );
        }
        let at_work = matches!(self.stage, StageName::Active | StageName::Paused);
        if let (Some(due_at), true) = (self.next_review_due, at_work) {
            out.push(
                ReviewDueRow {
                    case_id: self.case,
                    young_person_id: self.person,
                    stage: self.stage,
                    worker: worker.map(|(id, _)| *id),
                    risk_level: self.current_risk,
                    due_at,
                }
                .to_listing(),
            );
        }
        if let (Some(p), Some(work_begun_at), true) = (self.programme, self.work_begun, at_work) {
            let (programme, expected_weeks) = PROGRAMMES[p];
            out.push(
                ExpectedEndRow {
                    case_id: self.case,
                    young_person_id: self.person,
                    worker: worker.map(|(id, _)| *id),
                    programme: programme.into(),
                    expected_weeks,
                    work_begun_at,
                    expected_end: work_begun_at + Days::weeks(i64::from(expected_weeks.max)),
                }
                .to_listing(),
            );
        }
        if let Some((closed_at, reason)) = self.ended {
            out.push(
                ClosedCaseRow {
                    case_id: self.case,
                    young_person_id: self.person,
                    stage: self.stage,
                    closed_at,
                    reason: reason.into(),
                    risk_level: self.current_risk,
                    received_at: self.received,
                    opening_risk: self.opening_risk,
                    programme: self.programme(),
                }
                .to_listing(),
            );
        }
        out.push(
            ReferralRow {
                case_id: self.case,
                young_person_id: self.person,
                received_at: self.received,
                source: self.source.into(),
                gender: self.gender,
                age: self.age,
                programme: self.programme(),
                stage: self.stage,
                outcome: self.outcome,
                assessed_risk: self.opening_risk,
                allocated_at: self.allocated.map(|(at, _)| at),
                previous_case: self.previous,
            }
            .to_listing(),
        );
        if let Some((allocated_at, _)) = self.allocated {
            out.push(
                FirstAllocationRow {
                    case_id: self.case,
                    young_person_id: self.person,
                    received_at: self.received,
                    allocated_at,
                    programme: self.programme(),
                }
                .to_listing(),
            );
        }
        if matches!(
            self.stage,
            StageName::AwaitingAllocation | StageName::WaitingList
        ) {
            out.push(
                AwaitingAllocationRow {
                    case_id: self.case,
                    young_person_id: self.person,
                    received_at: self.received,
                    stage: self.stage,
                    risk_level: self.current_risk,
                    programme: self.programme(),
                }
                .to_listing(),
            );
        }
        out
    }
}

impl PersonPlan {
    /// One to three missing episodes after the young person's first referral.
    fn new(dice: &mut Dice, case: &CasePlan, now: DateTime<Utc>) -> PersonPlan {
        let mut episodes = Vec::new();
        for _ in 0..dice.between(1, 3) {
            let started_at =
                case.received + Days::days(dice.between(5, 200)) + Days::hours(dice.between(0, 23));
            if started_at > now {
                continue;
            }
            let returned_at =
                Some(started_at + Days::hours(dice.between(6, 72))).filter(|at| *at <= now);
            let offered_at = returned_at
                .filter(|_| dice.chance(85))
                .map(|back| back + Days::hours(dice.between(2, 100)))
                .filter(|at| *at <= now);
            let completed_at = offered_at
                .filter(|_| dice.chance(65))
                .map(|at| at + Days::hours(dice.between(1, 48)))
                .filter(|at| *at <= now);
            let declined_at = offered_at
                .filter(|_| completed_at.is_none() && dice.chance(10))
                .map(|at| at + Days::hours(dice.between(1, 24)))
                .filter(|at| *at <= now);
            episodes.push(MissingEpisodeRow {
                young_person_id: case.person,
                episode: MissingEpisodeId::new(),
                started_at,
                returned_at,
                offered_at,
                completed_at,
                declined_at,
            });
        }
        let registered = case.received - Days::days(dice.between(0, 3));
        PersonPlan {
            person: case.person,
            registered,
            date_of_birth: registered.date_naive() - Days::days(365 * i64::from(case.age) + 100),
            episodes,
        }
    }

    /// The young person's listings, in the order `Listings::of_young_person` writes them
    /// (without the duplicate check's, which no report reads).
    fn listings(&self) -> Vec<Listing> {
        let mut out = vec![YoungPersonRecordRow {
            young_person_id: self.person,
            registered_at: self.registered,
        }
        .to_listing()];
        for e in &self.episodes {
            if let (Some(returned_at), None, None) = (e.returned_at, e.completed_at, e.declined_at)
            {
                out.push(
                    ReturnInterviewRow {
                        young_person_id: self.person,
                        episode: e.episode,
                        started_at: e.started_at,
                        returned_at,
                        due_at: return_interview_due(returned_at),
                        offered_at: e.offered_at,
                        overdue: false,
                    }
                    .to_listing(),
                );
            }
        }
        out.extend(self.episodes.iter().map(ListingRow::to_listing));
        out
    }
}

/// The `w`th of `all` workshops, evenly over the five years: anonymous attendees mostly, a
/// few registered (each with a participant listing), evaluation forms on two questions.
fn workshop(dice: &mut Dice, w: usize, all: usize) -> (WorkshopRow, Vec<WorkshopParticipantRow>) {
    let days = (last_day() - first_day()).num_days();
    let date = (first_day() + Days::days(w as i64 * days / all.max(1) as i64)).date_naive();
    let kind = if dice.chance(70) {
        VenueKind::School
    } else {
        VenueKind::YouthClub
    };
    let registered = dice.between(0, 2) as u32;
    let vulnerable = dice.between(0, i64::from(registered)) as u32;
    let tutorials = dice.between(0, i64::from(vulnerable)) as u32;
    let anonymous = dice.between(15, 35) as u32;
    let forms = dice.between(8, 15) as u32;
    let question = |dice: &mut Dice, q: &str| {
        let improved = dice.between(0, i64::from(forms)) as u32;
        let lower = dice.between(0, i64::from((forms - improved).min(2))) as u32;
        QuestionSummary {
            question: text(q),
            responses: forms,
            total_before: 2 * forms,
            total_after: 2 * forms + improved - lower,
            improved,
            unchanged: forms - improved - lower,
            lower,
        }
    };
    let row = WorkshopRow {
        workshop_id: WorkshopId::new(),
        venue: Venue {
            kind,
            name: text(&format!("Fictional Venue {}", w % 40)),
        },
        date,
        age_group: AgeGroup { min: 13, max: 15 },
        topics: vec![SessionTopic::GroomingProcess],
        programme: None,
        registered_attendees: registered,
        anonymous_attendees: anonymous,
        identified_vulnerable: vulnerable,
        tutorials,
        evaluation: EvaluationSummary {
            attendees: registered + anonymous,
            forms,
            with_comments: dice.between(0, i64::from(forms)) as u32,
            questions: vec![
                question(dice, "I know how grooming can start"),
                question(dice, "I know who I can tell"),
            ],
        },
    };
    let participants = (0..registered)
        .map(|k| WorkshopParticipantRow {
            workshop_id: row.workshop_id,
            young_person_id: YoungPersonId::new(),
            date,
            attended: true,
            identified_vulnerable: k < vulnerable,
            tutorials: u32::from(k < tutorials),
            evaluation: false,
        })
        .collect();
    (row, participants)
}

/// Fills `store` with `plan`'s streams, `tasks` appends in flight at once, on `rt`.
fn seed<S>(rt: &Runtime, store: &S, plan: &Arc<Plan>, tasks: usize, what: &str)
where
    S: EventAppend + Clone + Send + Sync + 'static,
{
    let started = Instant::now();
    let listings = rt.block_on(async {
        let mut handles = Vec::new();
        for t in 0..tasks {
            let (store, plan) = (store.clone(), plan.clone());
            handles.push(tokio::spawn(async move {
                let mut listings = 0;
                for i in (t..plan.streams()).step_by(tasks) {
                    let request = plan.request(i);
                    listings += request.listings.as_ref().map_or(0, Vec::len);
                    store.append(request).await.unwrap();
                }
                listings
            }));
        }
        let mut listings = 0;
        for h in handles {
            listings += h.await.unwrap();
        }
        listings
    });
    println!(
        "{what}: seeded {} cases ({} streams, {listings} listings, one append each) in {:.1} s",
        plan.cases.len(),
        plan.streams(),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// The two sides.

/// The reads `Casework::report` makes for a report of the whole service (its module docs).
struct Reads {
    referrals: ListingQuery,
    allocations: ListingQuery,
    awaiting: ListingQuery,
    open_cases: ListingQuery,
    closed: ListingQuery,
    missing: ListingQuery,
    workshops: ListingQuery,
}

impl Reads {
    fn of(request: &ReportRequest) -> Reads {
        let (start, end) = (request.start(), request.end());
        let window = |kind| ListingQuery::all(kind).from(start).before(end);
        Reads {
            referrals: window(ListingKind::Referral),
            allocations: window(ListingKind::FirstAllocation),
            awaiting: ListingQuery::all(ListingKind::AwaitingAllocation),
            open_cases: ListingQuery::all(ListingKind::OpenCase),
            closed: ListingQuery::all(ListingKind::ClosedCase)
                .from(request.lookback_start())
                .before(end),
            missing: window(ListingKind::MissingEpisode),
            workshops: window(ListingKind::Workshop),
        }
    }
}

fn rows_in(inputs: &ReportInputs) -> usize {
    inputs.referrals.len()
        + inputs.allocations.len()
        + inputs.awaiting.len()
        + inputs.open_cases.len()
        + inputs.closed.len()
        + inputs.missing.len()
        + inputs.workshops.len()
}

/// Raw rusqlite on the store's file, with the store's reader PRAGMAs, running the store's own
/// listing statement.
struct RawSqlite {
    conn: Connection,
}

/// Microseconds since the epoch and the nanoseconds beyond them, as the SQLite store keeps an
/// instant.
fn instant(at: DateTime<Utc>) -> (i64, i64) {
    let nanos = i64::from(at.timestamp_subsec_nanos());
    (at.timestamp() * 1_000_000 + nanos / 1_000, nanos % 1_000)
}

impl RawSqlite {
    fn open(store: &SqliteStore) -> RawSqlite {
        let conn = Connection::open(store.path()).unwrap();
        conn.pragma_update(None, "temp_store", "MEMORY").unwrap();
        conn.pragma_update(None, "cache_size", -8_192).unwrap();
        conn.pragma_update(None, "query_only", "ON").unwrap();
        RawSqlite { conn }
    }

    fn read<T: ListingRow>(&self, query: &ListingQuery) -> Vec<T> {
        let sql = listings_sql(query);
        let kind = query.kind.as_str();
        let from = query.from.map(instant);
        let to = query.to.map(instant);
        let mut params: Vec<(&str, &dyn ToSql)> = vec![(":kind", &kind)];
        if let Some(key) = &query.key {
            params.push((":key", key));
        }
        if let Some((micros, nanos)) = &from {
            params.extend([(":from", micros as _), (":from_ns", nanos as _)]);
        }
        if let Some((micros, nanos)) = &to {
            params.extend([(":to", micros as _), (":to_ns", nanos as _)]);
        }
        let mut statement = self.conn.prepare_cached(&sql).unwrap();
        let mut rows = statement.query(&*params).unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            let detail = row.get_ref(5).unwrap().as_str().unwrap();
            out.push(serde_json::from_str(detail).unwrap());
        }
        out
    }

    fn inputs(&self, request: &ReportRequest) -> ReportInputs {
        let r = Reads::of(request);
        ReportInputs {
            referrals: self.read(&r.referrals),
            allocations: self.read(&r.allocations),
            awaiting: self.read(&r.awaiting),
            open_cases: self.read(&r.open_cases),
            closed: self.read(&r.closed),
            missing: self.read(&r.missing),
            programme_people: None,
            workshops: self.read(&r.workshops),
        }
    }
}

fn casework_on<S: Store>(store: S) -> Casework<S> {
    Casework::new(store, city_girls_service())
        .with_clock(Arc::new(ManualClock::starting_at(as_of())))
}

/// The check before timing: the figures of the raw rows are the report's.
fn check(report: &Figures, raw: ReportInputs, request: &ReportRequest, what: &str) {
    let rows = rows_in(&raw);
    let computed = Figures::compute(request, raw, as_of());
    assert_eq!(
        &computed, report,
        "{what}: the raw rows' figures differ from the report's"
    );
    assert!(
        report.referrals.total > 0,
        "{what}: the period has referrals"
    );
    println!(
        "{what} {}..{}: {rows} listings read; {} referrals ({} re-referrals), {} first allocated (median wait {} days), {} still waiting, {} open cases, {} closed, {} missing episodes, {} workshops; figures from the raw rows = the report's",
        request.from,
        request.to,
        report.referrals.total,
        report.referrals.re_referrals.get("within_12_months").unwrap_or(0),
        report.waiting.distribution.total,
        report.waiting.median_days.unwrap_or(0),
        report.waiting.still_waiting,
        report.caseloads.total,
        report.closures.by_reason.total,
        report.missing.episodes.total,
        report.workshops.workshops,
    );
}

// ---------------------------------------------------------------------------------------------
// Timing.

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The time `f` takes.
fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// `rounds` rounds of one call of each side (each returns the time it counts), the first side
/// rotating round by round; each side's times, sorted.
fn interleaved<const N: usize>(
    rounds: usize,
    sides: [&mut dyn FnMut() -> Duration; N],
) -> [Vec<Duration>; N] {
    let mut times: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::with_capacity(rounds));
    for round in 0..rounds {
        for i in (0..N).map(|k| (round + k) % N) {
            times[i].push(sides[i]());
        }
    }
    times.map(|mut t| {
        t.sort();
        t
    })
}

fn samples() -> usize {
    std::env::var("CASEWORK_BENCH_REPORT_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 1)
        .unwrap_or(40)
}

/// Prints one report's line: p50/p95 of the report, the raw SQL and the compute alone, and
/// the ratios report/raw.
fn print_line(store: &str, what: &str, times: &[Vec<Duration>; 3]) {
    let [report, raw, compute] = times;
    let (r50, r95) = (percentile(report, 0.5), percentile(report, 0.95));
    let (w50, w95) = (percentile(raw, 0.5), percentile(raw, 0.95));
    println!(
        "{store} {what}: Casework::report p50 {:.2} ms, p95 {:.2} ms | raw SQL + same JSON decoding p50 {:.2} ms, p95 {:.2} ms | report/raw p50 {:.2}x, p95 {:.2}x | Figures::compute alone p50 {:.2} ms, p95 {:.2} ms",
        ms(r50),
        ms(r95),
        ms(w50),
        ms(w95),
        r50.as_secs_f64() / w50.as_secs_f64(),
        r95.as_secs_f64() / w95.as_secs_f64(),
        ms(percentile(compute, 0.5)),
        ms(percentile(compute, 0.95)),
    );
}

fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The SQLite half: seed, check, criterion (when benching), then the summary lines.
fn sqlite(plan: &Arc<Plan>, timing: Timing<'_>) {
    let dir = std::env::temp_dir().join(format!(
        "casework-bench-reports-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let ct = current_thread();
    let mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = SqliteStore::open(dir.join("reports.db")).unwrap();
    ct.block_on(store.migrate()).unwrap();
    seed(&mt, &store, plan, 32, "SQLite");
    let casework = casework_on(store.clone());
    let raw = RawSqlite::open(&store);
    let requests = requests();
    for (what, request) in &requests {
        let report = ct.block_on(casework.report(request)).unwrap();
        check(
            &report,
            raw.inputs(request),
            request,
            &format!("SQLite {what}"),
        );
    }
    if let Some(c) = timing.criterion {
        let mut group = c.benchmark_group("reports_sqlite");
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
        for (what, request) in &requests {
            group.bench_function(format!("casework_report_{what}"), |b| {
                b.iter(|| ct.block_on(casework.report(request)).unwrap())
            });
            group.bench_function(format!("raw_sql_{what}"), |b| {
                b.iter(|| raw.inputs(request))
            });
        }
        group.finish();
    }
    if timing.summary {
        reports_against_raw_sql(
            "SQLite",
            &requests,
            |request| {
                ct.block_on(casework.report(request)).unwrap();
            },
            |request| raw.inputs(request),
        );
    }
    drop((casework, raw, store));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The summary: for each report, interleaved rounds of `Casework::report`, the raw SQL and
/// `Figures::compute` on the raw rows; p50/p95 and the ratios report/raw.
fn reports_against_raw_sql(
    store: &str,
    requests: &[(&str, ReportRequest)],
    mut report: impl FnMut(&ReportRequest),
    mut raw: impl FnMut(&ReportRequest) -> ReportInputs,
) {
    let rounds = samples();
    println!(
        "\n== {store}: reports over the seeded cases, {rounds} interleaved rounds, p50 / p95 =="
    );
    for (what, request) in requests {
        let rows = raw(request);
        // Warm: the statements prepared, the pages cached.
        report(request);
        let times = interleaved(
            rounds,
            [
                &mut || timed(|| report(request)),
                &mut || {
                    timed(|| {
                        raw(request);
                    })
                },
                // The computation alone: the rows are cloned outside the time.
                &mut || {
                    let inputs = rows.clone();
                    timed(|| {
                        std::hint::black_box(Figures::compute(request, inputs, as_of()));
                    })
                },
            ],
        );
        print_line(store, what, &times);
    }
}

/// What to time after the check.
struct Timing<'a> {
    criterion: Option<&'a mut Criterion>,
    summary: bool,
}

fn cases() -> usize {
    std::env::var("CASEWORK_BENCH_REPORT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(100_000)
}

fn main() {
    let summary_only = std::env::args().any(|a| a == "--summary");
    // `cargo test --benches` runs bench targets with `--bench` absent: only the check, small.
    let benching = std::env::args().any(|a| a == "--bench");
    let n = if benching || summary_only {
        cases()
    } else {
        cases().min(2_000)
    };
    let started = Instant::now();
    let plan = Arc::new(Plan::new(n));
    println!(
        "drew {n} cases ({} young people with missing episodes, {} workshops) in {:.1} s",
        plan.people.len(),
        plan.workshops.len(),
        started.elapsed().as_secs_f64()
    );
    let mut criterion = (benching && !summary_only)
        .then(|| Criterion::default().configure_from_args().sample_size(10));
    sqlite(
        &plan,
        Timing {
            criterion: criterion.as_mut(),
            summary: benching || summary_only,
        },
    );
    postgres(
        &plan,
        Timing {
            criterion: criterion.as_mut(),
            summary: benching || summary_only,
        },
    );
    if let Some(c) = criterion {
        c.final_summary();
    }
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &Arc<Plan>, _: Timing<'_>) {
    println!("\nPostgres: skipped: built without the `postgres` feature (add `--features postgres` and set DATABASE_URL)");
}

#[cfg(feature = "postgres")]
fn postgres(plan: &Arc<Plan>, timing: Timing<'_>) {
    pg::run(plan, timing)
}

#[cfg(feature = "postgres")]
mod pg {
    use super::*;
    use casework::postgres::sql;
    use casework::postgres::tokio_postgres::{Client, Statement};
    use casework::postgres::PostgresStore;
    use casework_testkit::postgres_db::{self, connect, TestDatabase};

    const SKIP: &str = "skipped: DATABASE_URL not set (set it to e.g. \
         postgres://postgres@127.0.0.1:5432/postgres to run the Postgres reports bench)";

    /// Raw tokio-postgres on one connection, running the store's own listing statements
    /// (prepared once, as the store's pool caches them).
    struct RawPostgres {
        client: Client,
        all: Statement,
        window: Statement,
    }

    impl RawPostgres {
        async fn connect(url: &str) -> RawPostgres {
            let client = connect(url).await;
            let all = client.prepare(sql::LISTINGS).await.unwrap();
            let window = client.prepare(sql::LISTINGS_IN_WINDOW).await.unwrap();
            RawPostgres {
                client,
                all,
                window,
            }
        }

        async fn read<T: ListingRow>(&self, query: &ListingQuery) -> Vec<T> {
            assert!(query.key.is_none(), "a whole-service report reads by kind");
            let kind = query.kind.as_str();
            let rows = if query.from.is_some() || query.to.is_some() {
                self.client
                    .query(&self.window, &[&kind, &query.from, &query.to])
                    .await
            } else {
                self.client.query(&self.all, &[&kind]).await
            }
            .unwrap();
            rows.iter()
                .map(|row| serde_json::from_str(row.get::<_, &str>(4)).unwrap())
                .collect()
        }

        async fn inputs(&self, request: &ReportRequest) -> ReportInputs {
            let r = Reads::of(request);
            ReportInputs {
                referrals: self.read(&r.referrals).await,
                allocations: self.read(&r.allocations).await,
                awaiting: self.read(&r.awaiting).await,
                open_cases: self.read(&r.open_cases).await,
                closed: self.read(&r.closed).await,
                missing: self.read(&r.missing).await,
                programme_people: None,
                workshops: self.read(&r.workshops).await,
            }
        }
    }

    /// The Postgres half, on one current-thread runtime (a pooled connection is driven by the
    /// runtime that opened it): seed, check, criterion (when benching), the summary lines.
    pub(super) fn run(plan: &Arc<Plan>, timing: Timing<'_>) {
        let Some(server) = postgres_db::server_url() else {
            println!("\nPostgres: {SKIP}");
            return;
        };
        let rt = current_thread();
        let db = rt.block_on(TestDatabase::create_on(&server, "casework_bench_reports_"));
        let store = rt.block_on(PostgresStore::connect(db.url())).unwrap();
        rt.block_on(store.migrate()).unwrap();
        println!();
        seed(&rt, &store, plan, 16, "Postgres");
        rt.block_on(async { db.client().await.batch_execute("ANALYZE").await.unwrap() });
        let casework = casework_on(store.clone());
        let raw = rt.block_on(RawPostgres::connect(db.url()));
        let requests = requests();
        for (what, request) in &requests {
            let report = rt.block_on(casework.report(request)).unwrap();
            let rows = rt.block_on(raw.inputs(request));
            check(&report, rows, request, &format!("Postgres {what}"));
        }
        if let Some(c) = timing.criterion {
            let mut group = c.benchmark_group("reports_postgres");
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
            for (what, request) in &requests {
                group.bench_function(format!("casework_report_{what}"), |b| {
                    b.iter(|| rt.block_on(casework.report(request)).unwrap())
                });
                group.bench_function(format!("raw_sql_{what}"), |b| {
                    b.iter(|| rt.block_on(raw.inputs(request)))
                });
            }
            group.finish();
        }
        if timing.summary {
            reports_against_raw_sql(
                "Postgres",
                &requests,
                |request| {
                    rt.block_on(casework.report(request)).unwrap();
                },
                |request| rt.block_on(raw.inputs(request)),
            );
        }
        store.pool().close();
        drop((casework, raw, store));
        drop(db);
    }
}
