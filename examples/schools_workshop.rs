//! A workshop in a school (all names fictional), on the shipped young people's team profile:
//! planned for a Year 9 group on the schools workshop programme; attended by 24 pupils, two of
//! them already known to the service; one identified as vulnerable and offered an individual
//! tutorial; evaluation forms summarised as what was learnt; and the next day her
//! self-referral, which opens a case linked back to the workshop, on the in-memory store.
//!
//! ```sh
//! cargo run --example schools_workshop
//! ```

use casework::actor::Actor;
use casework::case::{NewReferral, ReferralSource};
use casework::clock::{Clock, ManualClock};
use casework::confidential::Confidential;
use casework::context::CommandContext;
use casework::ids::WorkshopId;
use casework::input::{Postcode, Text};
use casework::memory::MemoryStore;
use casework::topic::SessionTopic;
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, Workshop,
    WorkshopCommand,
};
use casework::young_person::{Gender, YoungPersonDetails};
use casework::Casework;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::sync::Arc;

fn text(s: &str) -> Text {
    Text::parse("text", s).expect("example text is not empty")
}

/// Decides a command and folds its events, as a store-backed service would.
fn apply(workshop: Workshop, command: WorkshopCommand, ctx: &CommandContext<'_>) -> Workshop {
    let events = workshop
        .decide(command, ctx)
        .unwrap_or_else(|e| panic!("the example's step was refused: {e}"));
    events.iter().fold(workshop, |w, e| {
        Workshop::evolve(Some(w), e).expect("decided events follow")
    })
}

fn pupil(name: &str, born: NaiveDate) -> YoungPersonDetails {
    YoungPersonDetails {
        name: text(name),
        date_of_birth: born,
        gender: Gender::Female,
        postcode: Postcode::parse("LE3 9QP").expect("a fictional postcode"),
        learning_difficulty: false,
        contact_preferences: vec![],
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = Arc::new(ManualClock::starting_at(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    let profile = casework::config::shipped::profile("young-peoples-team")?;
    let cw = Casework::new(MemoryStore::new(), profile.clone()).with_clock(clock.clone());
    let worker = Actor::worker("Sam Worker");

    println!("== Planning a workshop at a school ==");
    let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let ctx = CommandContext::new(&worker, clock.now(), &profile);
    let planned = Workshop::plan(
        WorkshopId::new(),
        NewWorkshop {
            venue: Venue {
                kind: VenueKind::School,
                name: text("Fictional Academy"),
            },
            date: day,
            age_group: AgeGroup { min: 13, max: 14 },
            topics: vec![
                SessionTopic::GroomingProcess,
                SessionTopic::InternetSafety,
                SessionTopic::Sexting,
            ],
            programme: Some("schools_workshops".into()),
        },
        &ctx,
    )?;
    let mut workshop = Workshop::evolve(None, &planned).expect("a plan opens the workshop");
    println!(
        "  {} on {}, ages {}: {}",
        workshop.venue.name,
        workshop.date.format("%A %d %B"),
        workshop.age_group,
        workshop
            .topics
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Two pupils are already known to the service (registered young people); the other 22
    // attend anonymously.
    let dee = cw
        .register_young_person(
            &worker,
            pupil("Dee Example", NaiveDate::from_ymd_opt(2012, 4, 20).unwrap()),
        )
        .await?;
    let eve = cw
        .register_young_person(
            &worker,
            pupil("Eve Example", NaiveDate::from_ymd_opt(2012, 1, 9).unwrap()),
        )
        .await?;

    println!("\n== The day: attendance and a vulnerable attendee ==");
    clock.set(Utc.with_ymd_and_hms(2026, 3, 10, 15, 0, 0).unwrap());
    let ctx = CommandContext::new(&worker, clock.now(), &profile);
    workshop = apply(
        workshop,
        WorkshopCommand::RecordAttendance {
            young_people: vec![dee, eve],
            anonymous: 22,
        },
        &ctx,
    );
    println!("  reach: {} young people", workshop.reach());
    workshop = apply(
        workshop,
        WorkshopCommand::IdentifyVulnerable {
            young_person: dee,
            concerns: Confidential::new(text("Talked about an older friend who buys her vodka")),
        },
        &ctx,
    );
    let refused = workshop.decide(
        WorkshopCommand::RecordEvaluation {
            respondent: Respondent::YoungPerson {
                id: casework::ids::YoungPersonId::new(),
            },
            answers: vec![],
            learnt: None,
        },
        &ctx,
    );
    println!(
        "  a form for someone who was not there: {}",
        refused.unwrap_err()
    );

    println!("\n== Evaluation forms ==");
    let answers = |before: u8, after: u8| {
        vec![
            EvaluationAnswer {
                question: text("I know how grooming can start"),
                before,
                after,
            },
            EvaluationAnswer {
                question: text("I know who to tell if I am worried"),
                before: 3,
                after: 4,
            },
        ]
    };
    for (respondent, before, after) in [
        (Respondent::YoungPerson { id: dee }, 2, 4),
        (Respondent::YoungPerson { id: eve }, 3, 5),
        (Respondent::Anonymous, 1, 4),
        (Respondent::Anonymous, 2, 3),
        (Respondent::Anonymous, 4, 4),
    ] {
        workshop = apply(
            workshop,
            WorkshopCommand::RecordEvaluation {
                respondent,
                answers: answers(before, after),
                learnt: Some(Confidential::new(text("Gifts can come with strings"))),
            },
            &ctx,
        );
    }
    let summary = workshop.evaluation_summary();
    println!(
        "  {} forms from {} attendees ({} with comments)",
        summary.forms, summary.attendees, summary.with_comments
    );
    for q in &summary.questions {
        println!(
            "  \"{}\": mean {:.1} before, {:.1} after; {} higher, {} the same, {} lower",
            q.question,
            q.mean_before(),
            q.mean_after(),
            q.improved,
            q.unchanged,
            q.lower
        );
    }

    println!("\n== The next day: Dee refers herself, and the case links to the workshop ==");
    clock.set(Utc.with_ymd_and_hms(2026, 3, 11, 12, 30, 0).unwrap());
    let ctx = CommandContext::new(&worker, clock.now(), &profile);
    workshop = apply(
        workshop,
        WorkshopCommand::HoldTutorial {
            young_person: dee,
            held_at: clock.now() - Duration::minutes(30),
            duration_minutes: 30,
            note: Confidential::new(text("Wants to talk to someone about the older friend")),
        },
        &ctx,
    );
    println!(
        "  an individual tutorial with Dee ({} held)",
        workshop.tutorials.len()
    );
    let case = cw
        .receive_referral_from_workshop(
            &worker,
            dee,
            &workshop,
            NewReferral {
                source: ReferralSource::SelfReferral,
                concerns: Confidential::new(text("An older friend buys her drink")),
                received_at: clock.now(),
            },
        )
        .await?;
    let opened = cw.case(case).await?;
    println!(
        "  case {} is {}, from workshop {}",
        case,
        opened.stage(),
        opened
            .file()
            .from_workshop
            .map_or("-".into(), |w| w.to_string())
    );
    for recorded in cw.history(case).await? {
        println!("  {}", recorded.event.describe());
    }

    println!(
        "\n(The workshop is a record of its own: its attendance, {} forms and {} tutorial stay there; the case holds only the workshop's id.)",
        workshop.evaluations.len(),
        workshop.tutorials.len()
    );
    Ok(())
}
