//! A year of a city girls' service, and the figures its funder asks for (R-29).
//!
//! Generates a fictional year (2026) for the shipped city girls' profile on the embedded SQLite
//! store: a few hundred referrals from young people themselves, parents, professionals and
//! agencies; screening (boys and young people outside the area are signposted, R-2, R-3); a
//! risk assessment for every referral (R-4); immediate support, or the waiting list taken from
//! its head (R-7); reviews on the risk's cadence with risk coming down (R-12); closures with
//! their reasons (R-15, R-16); re-referrals after a closure (R-17); missing episodes and return
//! interviews (R-22); and workshops in schools with evaluation forms. Every name, date and
//! number is made up, by a seeded generator, so each run is the same.
//!
//! Then it asks for the last quarter's figures (one indexed read per listing kind), prints
//! them as a table with the published column (small numbers suppressed, R-29), and writes into
//! `target/funder_report/`: `figures.csv` (for the service), `published.csv` and
//! `published.json` (to send), and three SVG charts.
//!
//! ```sh
//! cargo run --example funder_report
//! ```

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::{
    CaseCommand, ClosureReason, NewReferral, Party, Professional, ProfessionalKind, ReferralSource,
    ReviewDecision, StageName,
};
use casework::charts;
use casework::kernel::actor::Actor;
use casework::kernel::clock::ManualClock;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::{CaseId, MissingEpisodeId, ProfessionalId, YoungPersonId};
use casework::kernel::input::{Postcode, Text};
use casework::read::figures::{Breakdown, CrossTable, Figures, ReportRequest, Shown, Suppression};
use casework::sqlite::SqliteStore;
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, WorkshopCommand,
};
use casework::young_person::missing::ReturnInterviewOutcome;
use casework::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
use casework::Casework;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

type Error = Box<dyn std::error::Error>;

/// A small seeded generator (xorshift64), so the fictional year is the same on every run.
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
        self.next() % below
    }
    /// A number from `from` to `to`, both included.
    fn between(&mut self, from: i64, to: i64) -> i64 {
        from + self.below((to - from + 1) as u64) as i64
    }
    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

fn text(s: &str) -> Text {
    Text::parse("text", s).expect("example text is not empty")
}

const FIRST_NAMES: [&str; 12] = [
    "Amy", "Bea", "Cara", "Dani", "Ella", "Fern", "Gina", "Hana", "Isla", "Jade", "Kira", "Maya",
];
const SURNAMES: [&str; 12] = [
    "Ashdown",
    "Birchley",
    "Cobbold",
    "Dunmore",
    "Fenwick",
    "Garside",
    "Holroyd",
    "Ingleby",
    "Kettlewell",
    "Lockwood",
    "Moorcroft",
    "Norcliffe",
];
const POSTCODES: [&str; 6] = [
    "LS1 1AA", "LS6 2AB", "LS9 7XY", "LS11 5QQ", "WF10 1ZZ", "WF3 4AA",
];

/// The scored tool's indicators for a level: 2 points is Low, 6 Medium, 11 High.
fn indicators(level: usize) -> Vec<&'static str> {
    match level {
        0 => vec!["isolated", "older_boyfriend"],
        1 => vec!["taken_to_parties", "older_boyfriend"],
        _ => vec!["taken_to_parties", "missing_overnight", "older_boyfriend"],
    }
}

/// What happens next, and when.
enum Step {
    Refer(usize),
    /// Screen, assess and decide the outcome.
    Triage(CaseId),
    /// A worker takes a case accepted for immediate support.
    Allocate(CaseId),
    /// Each Monday, a worker takes the head of the waiting list (R-7).
    TakeFromWaitingList,
    /// The young person withdraws, if still waiting.
    WithdrawIfWaiting(CaseId),
    /// Plan agreed, work begins.
    Begin(CaseId),
    /// The `n`-th review.
    Review(CaseId, usize),
    Close(CaseId),
    Missing(YoungPersonId),
    /// Back from a missing episode; a return interview is then due within 72 hours (R-22).
    Returned(YoungPersonId, MissingEpisodeId),
    /// The return interview is offered, within the 72 hours or not.
    Offered(YoungPersonId, MissingEpisodeId),
    Workshop(usize),
}

struct Year {
    cw: Casework<SqliteStore>,
    clock: Arc<ManualClock>,
    dice: Dice,
    workers: Vec<Actor>,
    plan: BTreeMap<(DateTime<Utc>, u64), Step>,
    seq: u64,
    /// Each case's starting risk level (0 Low, 1 Medium, 2 High) and its reviews to come.
    risk: HashMap<CaseId, (usize, usize)>,
    /// Young people whose last case closed, who may be referred again.
    closed: Vec<YoungPersonId>,
    /// A case with several reviews, for the trajectory chart.
    watched: Option<CaseId>,
}

impl Year {
    fn at(&mut self, when: DateTime<Utc>, step: Step) {
        self.seq += 1;
        self.plan.insert((when, self.seq), step);
    }

    fn worker(&mut self) -> Actor {
        let workers = self.workers.clone();
        self.dice.pick(&workers)
    }

    async fn run(&self, case: CaseId, command: CaseCommand) -> Result<(), Error> {
        let worker = &self.workers[0];
        self.cw
            .execute(worker, case, command)
            .await
            .map(|_| ())
            .map_err(|e| format!("{case}: {e}").into())
    }

    async fn step(&mut self, now: DateTime<Utc>, step: Step) -> Result<(), Error> {
        match step {
            Step::Refer(n) => self.refer(n, now).await?,
            Step::Triage(case) => self.triage(case, now).await?,
            Step::Allocate(case) => {
                let worker = self.worker();
                self.allocate(case, &worker).await?;
                let begin = now + Duration::days(self.dice.between(2, 7));
                self.at(begin, Step::Begin(case));
            }
            Step::TakeFromWaitingList => {
                for _ in 0..2 {
                    let Some(head) = self.cw.waiting_list().await?.first().map(|c| c.case_id)
                    else {
                        break;
                    };
                    let worker = self.worker();
                    self.allocate(head, &worker).await?;
                    let begin = now + Duration::days(self.dice.between(2, 7));
                    self.at(begin, Step::Begin(head));
                }
                self.at(now + Duration::weeks(1), Step::TakeFromWaitingList);
            }
            Step::WithdrawIfWaiting(case) => {
                if self.cw.case(case).await?.stage() == StageName::WaitingList {
                    let reason = text("She no longer wants support (fictional)");
                    self.run(
                        case,
                        CaseCommand::Withdraw {
                            reason: reason.into(),
                        },
                    )
                    .await?;
                }
            }
            Step::Begin(case) => {
                let plan = NewConfidential::new(text("Weekly sessions (fictional)"));
                self.run(case, CaseCommand::AgreePlan { plan }).await?;
                self.run(case, CaseCommand::BeginWork).await?;
                self.next_review(case, 1).await?;
                if self.dice.chance(20) {
                    let person = self.cw.case(case).await?.file().young_person;
                    let when = now + Duration::days(self.dice.between(5, 60));
                    self.at(when, Step::Missing(person));
                }
            }
            Step::Review(case, n) => {
                let (start, reviews) = self.risk[&case];
                let level = start.saturating_sub(n / 2);
                let command = CaseCommand::RecordReview {
                    indicators: indicators(level).into_iter().map(Into::into).collect(),
                    worker_override: None,
                    decision: ReviewDecision::Continue,
                };
                self.run(case, command).await?;
                if n >= 3 && self.watched.is_none() {
                    self.watched = Some(case);
                }
                if n >= reviews {
                    let when = now + Duration::days(self.dice.between(3, 20));
                    self.at(when, Step::Close(case));
                } else {
                    self.next_review(case, n + 1).await?;
                }
            }
            Step::Close(case) => self.close(case).await?,
            Step::Missing(person) => {
                let worker = self.workers[0].clone();
                let episode = self.cw.start_missing_episode(&worker, person, now).await?;
                let back = now + Duration::hours(self.dice.between(6, 60));
                self.at(back, Step::Returned(person, episode));
            }
            Step::Returned(person, episode) => {
                let end = YoungPersonCommand::EndMissingEpisode {
                    episode,
                    returned_at: now,
                };
                self.cw
                    .execute_for_young_person(&self.workers[0], person, end)
                    .await?;
                // Most are offered a return interview within the 72 hours; some are not.
                let offered = now + Duration::hours(self.dice.between(4, 100));
                self.at(offered, Step::Offered(person, episode));
            }
            Step::Offered(person, episode) => {
                let offer = YoungPersonCommand::RecordReturnInterview {
                    episode,
                    outcome: ReturnInterviewOutcome::Offered,
                    at: now,
                };
                self.cw
                    .execute_for_young_person(&self.workers[0], person, offer)
                    .await?;
            }
            Step::Workshop(n) => self.workshop(n, now).await?,
        }
        Ok(())
    }

    async fn refer(&mut self, n: usize, received: DateTime<Utc>) -> Result<(), Error> {
        let worker = self.worker();
        let again = !self.closed.is_empty() && self.dice.chance(10);
        let young_person = if again {
            let i = self.dice.below(self.closed.len() as u64) as usize;
            self.closed.swap_remove(i)
        } else {
            let age = self.dice.between(12, 18) as i32;
            let gender = match self.dice.below(100) {
                0..=5 => Gender::Male,
                6..=8 => Gender::NonBinary,
                _ => Gender::Female,
            };
            let postcode = if self.dice.chance(5) {
                "BD1 1AA" // outside the area: signposted (R-3)
            } else {
                self.dice.pick(&POSTCODES)
            };
            let name = format!(
                "{} {}-{n}",
                self.dice.pick(&FIRST_NAMES),
                self.dice.pick(&SURNAMES)
            );
            let details = YoungPersonDetails {
                name: text(&name),
                date_of_birth: NaiveDate::from_ymd_opt(
                    received.year() - age,
                    1 + self.dice.below(12) as u32,
                    1 + self.dice.below(28) as u32,
                )
                .expect("a real date"),
                gender,
                postcode: Postcode::parse(postcode)?,
                learning_difficulty: self.dice.chance(8),
                contact_preferences: vec![],
            };
            self.cw.register_young_person(&worker, details).await?
        };
        let source = match self.dice.below(10) {
            0 | 1 => ReferralSource::SelfReferral,
            2 => ReferralSource::ParentOrCarer {
                name: text("A parent (fictional)"),
            },
            3 => ReferralSource::Agency {
                agency: text("Fictional Youth Offending Service"),
            },
            _ => ReferralSource::Professional {
                professional: Professional {
                    id: ProfessionalId::new(),
                    name: text(&format!("Pat Referrer-{n}")),
                    kind: self.dice.pick(&[
                        ProfessionalKind::SocialWorker,
                        ProfessionalKind::Teacher,
                        ProfessionalKind::Police,
                        ProfessionalKind::Health,
                    ]),
                    agency: text("Fictional City Council"),
                },
            },
        };
        let referral = NewReferral {
            source,
            concerns: NewConfidential::new(text("Concerns given at referral (fictional)")),
            received_at: received,
        };
        let case = self
            .cw
            .receive_referral(&worker, young_person, referral)
            .await?;
        let level = match self.dice.below(10) {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        let reviews = self.dice.between(1, 5) as usize;
        self.risk.insert(case, (level, reviews));
        let triage = received + Duration::hours(self.dice.between(2, 48));
        self.at(triage, Step::Triage(case));
        Ok(())
    }

    async fn triage(&mut self, case: CaseId, now: DateTime<Utc>) -> Result<(), Error> {
        let state = self.cw.case(case).await?;
        if !state.file().source.is_self() {
            // R-1: the young person's own permission for someone else's referral.
            let entry = ConsentEntry {
                scope: ConsentScope::Referral,
                decision: ConsentDecision::Given,
                by: ConsentGiver::YoungPerson,
                method: ConsentMethod::InPerson,
                purpose: text("to work with the project"),
                given_at: now,
            };
            self.run(case, CaseCommand::RecordConsent { entry }).await?;
        }
        self.run(case, CaseCommand::Screen).await?;
        let (level, _) = self.risk[&case];
        let assess = CaseCommand::AssessRisk {
            indicators: indicators(level).into_iter().map(Into::into).collect(),
            worker_override: None,
        };
        self.run(case, assess).await?;
        let eligible = self
            .cw
            .case(case)
            .await?
            .file()
            .screening
            .as_ref()
            .is_some_and(|s| s.is_eligible());
        if !eligible {
            let signpost = CaseCommand::Signpost {
                reason: None,
                to: None,
            };
            return self.run(case, signpost).await;
        }
        match self.dice.below(100) {
            0..=4 => {
                let reason = text("Already well supported by another service (fictional)");
                self.run(
                    case,
                    CaseCommand::Decline {
                        reason: reason.into(),
                    },
                )
                .await?;
            }
            5..=59 => {
                self.run(case, CaseCommand::AcceptForSupport).await?;
                let when = now + Duration::hours(self.dice.between(4, 24 * 6));
                self.at(when, Step::Allocate(case));
            }
            _ => {
                self.run(case, CaseCommand::AddToWaitingList).await?;
                if self.dice.chance(12) {
                    let when = now + Duration::days(self.dice.between(7, 40));
                    self.at(when, Step::WithdrawIfWaiting(case));
                }
            }
        }
        Ok(())
    }

    async fn allocate(&mut self, case: CaseId, worker: &Actor) -> Result<(), Error> {
        let command = CaseCommand::Allocate {
            worker: worker.id,
            worker_name: text(&worker.name),
            out_of_order_reason: None,
        };
        self.run(case, command).await
    }

    async fn next_review(&mut self, case: CaseId, n: usize) -> Result<(), Error> {
        let due = self.cw.case(case).await?.file().next_review_due;
        if let Some(due) = due {
            let when = due - Duration::days(self.dice.between(0, 5));
            self.at(when.max(self.clock_now()), Step::Review(case, n));
        }
        Ok(())
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use casework::kernel::clock::Clock;
        self.clock.now()
    }

    async fn close(&mut self, case: CaseId) -> Result<(), Error> {
        let state = self.cw.case(case).await?;
        let professionals: Vec<_> = state.file().professionals.iter().map(|p| p.id).collect();
        match self.dice.below(10) {
            0..=4 => {
                // R-16: everyone involved agrees that risk has significantly reduced.
                self.run(case, CaseCommand::ProposeClosure).await?;
                for party in std::iter::once(Party::YoungPerson)
                    .chain(professionals.into_iter().map(Party::Professional))
                {
                    self.run(case, CaseCommand::RecordAgreement { party })
                        .await?;
                }
                self.run(case, CaseCommand::CompleteClosure).await?;
            }
            n => {
                let reason = match n {
                    5 => ClosureReason::NoEngagement,
                    6 => ClosureReason::MovedOutOfArea,
                    7 => ClosureReason::YoungPersonWithdrew,
                    8 => ClosureReason::AgedOut,
                    _ => ClosureReason::Transferred {
                        to: text("The city's leaving care team (fictional)"),
                    },
                };
                self.run(case, CaseCommand::Close { reason }).await?;
            }
        }
        self.closed.push(state.file().young_person);
        Ok(())
    }

    async fn workshop(&mut self, n: usize, date: DateTime<Utc>) -> Result<(), Error> {
        let worker = self.workers[0].clone();
        let school = self
            .dice
            .pick(&["Fictional Academy", "Riverside High (fictional)"]);
        let id = self
            .cw
            .plan_workshop(
                &worker,
                NewWorkshop {
                    venue: Venue {
                        kind: VenueKind::School,
                        name: text(school),
                    },
                    date: date.date_naive(),
                    age_group: AgeGroup { min: 13, max: 15 },
                    topics: vec![casework::policy::topic::SessionTopic::GroomingProcess],
                    programme: None,
                },
            )
            .await?;
        let attendance = WorkshopCommand::RecordAttendance {
            young_people: vec![],
            anonymous: 18 + self.dice.below(14) as u32 + (n % 3) as u32,
        };
        self.cw.execute_workshop(&worker, id, attendance).await?;
        for _ in 0..(8 + self.dice.below(10)) {
            let before = 1 + self.dice.below(3) as u8;
            let after = (before + self.dice.below(3) as u8).min(5);
            let form = WorkshopCommand::RecordEvaluation {
                respondent: Respondent::Anonymous,
                answers: vec![EvaluationAnswer {
                    question: text("I know how grooming can start"),
                    before,
                    after,
                }],
                learnt: None,
            };
            self.cw.execute_workshop(&worker, id, form).await?;
        }
        Ok(())
    }
}

fn print_breakdown(title: &str, raw: &Breakdown, published: &Breakdown<Shown>) {
    println!("  {title}");
    for (r, p) in raw.categories.iter().zip(&published.categories) {
        println!(
            "    {:<40} {:>6} {:>10}",
            r.label,
            r.count,
            p.count.to_string()
        );
    }
    println!(
        "    {:<40} {:>6} {:>10}",
        "Total",
        raw.total,
        published.total.to_string()
    );
}

fn print_table(title: &str, raw: &CrossTable, published: &CrossTable<Shown>) {
    println!("  {title} (count / published)");
    let head: Vec<String> = raw
        .columns
        .iter()
        .map(|c| format!("{:>13}", c.label))
        .collect();
    println!("    {:<22}{}{:>13}", "", head.join(""), "Total");
    for (i, row) in raw.rows.iter().enumerate() {
        let cells: Vec<String> = (0..raw.columns.len())
            .map(|j| {
                format!(
                    "{:>13}",
                    format!("{} / {}", raw.cells[i][j], published.cells[i][j])
                )
            })
            .collect();
        println!(
            "    {:<22}{}{:>13}",
            row.label,
            cells.join(""),
            format!("{} / {}", raw.row_totals[i], published.row_totals[i])
        );
    }
}

fn main() -> Result<(), Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Error> {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/funder_report");
    std::fs::create_dir_all(&out)?;
    let database = out.join("casework.sqlite");
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", database.display()));
    }
    let store = SqliteStore::open(&database)?;
    store.migrate().await?;
    let new_year = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::starting_at(new_year));
    let profile = casework::config::shipped::profile("city-girls")?;
    println!("== {}: a fictional 2026 ==", profile.name);
    let cw = Casework::new(store, profile).with_clock(clock.clone());
    let workers = ["Sam Worker", "Jo Worker", "Alex Worker", "Robin Worker"]
        .map(Actor::worker)
        .to_vec();
    let mut year = Year {
        cw,
        clock,
        dice: Dice(0x5eed_2026_cafe_f00d),
        workers,
        plan: BTreeMap::new(),
        seq: 0,
        risk: HashMap::new(),
        closed: Vec::new(),
        watched: None,
    };
    let referrals = 320;
    for n in 0..referrals {
        let day = year.dice.between(0, 364);
        let minute = year.dice.between(0, 8 * 60);
        let when = new_year + Duration::days(day) + Duration::minutes(minute);
        year.at(when, Step::Refer(n));
    }
    for n in 0..12 {
        let when = new_year + Duration::days(15 + 30 * n as i64) + Duration::hours(4);
        year.at(when, Step::Workshop(n));
    }
    let first_monday = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap();
    year.at(first_monday, Step::TakeFromWaitingList);

    let year_end = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    // On stderr, drawn only when it is a terminal (indicatif hides it otherwise). Steps plan
    // further steps, so the length grows as the year runs.
    let bar = ProgressBar::new(year.plan.len() as u64).with_style(
        ProgressStyle::with_template(
            "  generating the year [{bar:40}] {pos}/{len} steps ({elapsed})",
        )?
        .progress_chars("#> "),
    );
    while let Some(((when, _), step)) = year.plan.pop_first() {
        if when >= year_end {
            break;
        }
        year.clock.set(when.max(year.clock_now()));
        let now = year.clock_now();
        year.step(now, step).await?;
        bar.inc(1);
        bar.set_length(bar.position() + year.plan.len() as u64);
    }
    bar.set_length(bar.position());
    bar.finish();

    // The report runs on the first working day of the new year, for the last quarter.
    let as_of = Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).unwrap();
    year.clock.set(as_of);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a real date");
    let quarter = ReportRequest::new(day(2026, 10, 1), day(2027, 1, 1));
    let figures: Figures = year.cw.report(&quarter).await?;
    let published = figures.publish(&Suppression::default());

    println!(
        "\n== October to December 2026: the funder's figures (count / published, \"<5\" and \"*\" suppressed) =="
    );
    let (r, p) = (&figures.referrals, &published.referrals);
    println!("  Referrals received: {} / {}", r.total, p.total);
    print_breakdown("By source", &r.by_source, &p.by_source);
    print_breakdown("By outcome", &r.by_outcome, &p.by_outcome);
    print_breakdown("By assessed risk", &r.by_risk(), &p.by_risk());
    print_breakdown("By gender", &r.by_gender, &p.by_gender);
    print_breakdown("By age on referral", &r.by_age_band, &p.by_age_band);
    print_breakdown("Re-referrals", &r.re_referrals, &p.re_referrals);
    let (w, wp) = (&figures.waiting, &published.waiting);
    let days = |v: Option<u32>| v.map_or("-".into(), |d| format!("{d} days"));
    let shown = |v: &Option<Shown>| v.map_or("-".into(), |d| d.to_string());
    println!(
        "  Waiting from referral to allocation ({} allocated): median {} ({}), 90th percentile {} ({}); still waiting {}, the longest {}",
        w.distribution.total,
        days(w.median_days),
        shown(&wp.median_days),
        days(w.p90_days),
        shown(&wp.p90_days),
        w.still_waiting,
        days(w.longest_still_waiting_days),
    );
    print_breakdown("Waiting times", &w.distribution, &wp.distribution);
    print_table(
        "Caseloads by current risk",
        &figures.caseloads,
        &published.caseloads,
    );
    let (c, cp) = (&figures.closures, &published.closures);
    print_breakdown("Closures by reason", &c.by_reason, &cp.by_reason);
    print_table(
        "Risk at opening (rows) and closure (columns)",
        &c.risk_at_opening_and_closure,
        &cp.risk_at_opening_and_closure,
    );
    let (m, mp) = (&figures.missing, &published.missing);
    print_breakdown("Missing episodes", &m.episodes, &mp.episodes);
    println!(
        "  Offered a return interview within 72 hours: {}% ({})",
        m.offered_within_72_hours_percent
            .map_or("-".into(), |p| p.to_string()),
        shown(&mp.offered_within_72_hours_percent)
    );
    let ws = &figures.workshops;
    println!(
        "  Workshops: {}, reaching {} young people; {} evaluation forms",
        ws.workshops, ws.attendees.total, ws.forms.total
    );
    for (q, qp) in ws.questions.iter().zip(&published.workshops.questions) {
        print_breakdown(q.question.as_str(), &q.answers, &qp.answers);
    }

    std::fs::write(out.join("figures.csv"), figures.to_csv())?;
    std::fs::write(out.join("published.csv"), published.to_csv())?;
    std::fs::write(
        out.join("published.json"),
        serde_json::to_string_pretty(&published)?,
    )?;
    let whole_year = year
        .cw
        .report(&ReportRequest::new(day(2026, 1, 1), day(2027, 1, 1)))
        .await?;
    std::fs::write(
        out.join("referrals_by_month.svg"),
        charts::referrals_by_month(&whole_year.referrals.by_month_and_risk)?,
    )?;
    std::fs::write(
        out.join("waiting_times.svg"),
        charts::waiting_times(&whole_year.waiting.distribution)?,
    )?;
    if let Some(case) = year.watched {
        let trajectory = year.cw.risk_trajectory(case).await?;
        std::fs::write(
            out.join("risk_trajectory.svg"),
            charts::risk_trajectory(&trajectory)?,
        )?;
    }
    println!(
        "\nThe quarter's figures come from listings, one indexed read per kind. Written to {}:",
        out.display()
    );
    println!("  figures.csv (for the service), published.csv and published.json (to send),");
    println!("  referrals_by_month.svg and waiting_times.svg (the year), risk_trajectory.svg (one case).");
    Ok(())
}
