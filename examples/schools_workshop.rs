//! A workshop in a school (all names fictional), on the shipped young people's team profile:
//! planned for a Year 9 group on the schools workshop programme; attended by 24 pupils, two of
//! them already known to the service; one identified as vulnerable and offered an individual
//! tutorial; evaluation forms summarised as what was learnt; the next day her self-referral,
//! which opens a case linked back to the workshop; and the term's workshop reach and
//! evaluation results for the funder (R-29), on the in-memory store. The workshop is stored on
//! its own stream, apart from every case.
//!
//! ```sh
//! cargo run --example schools_workshop
//! ```

use casework::case::{NewReferral, ReferralSource};
use casework::kernel::actor::Actor;
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::WorkshopId;
use casework::kernel::input::{Postcode, Text};
use casework::memory::MemoryStore;
use casework::policy::topic::SessionTopic;
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

type Service = Casework<MemoryStore>;

/// Decides and records a command on the workshop's own stream.
async fn apply(
    cw: &Service,
    who: &Actor,
    workshop: WorkshopId,
    command: WorkshopCommand,
) -> Workshop {
    match cw.execute_workshop(who, workshop, command).await {
        Ok(done) => done.state,
        Err(e) => panic!("the example's step was refused: {e}"),
    }
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
    let cw = Casework::new(MemoryStore::new(), profile).with_clock(clock.clone());
    let worker = Actor::worker("Sam Worker");

    println!("== Planning a workshop at a school ==");
    let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let id = cw
        .plan_workshop(
            &worker,
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
        )
        .await?;
    let mut workshop = cw.workshop(id).await?;
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
    workshop = apply(
        &cw,
        &worker,
        id,
        WorkshopCommand::RecordAttendance {
            young_people: vec![dee, eve],
            anonymous: 22,
        },
    )
    .await;
    println!("  reach: {} young people", workshop.reach());
    apply(
        &cw,
        &worker,
        id,
        WorkshopCommand::IdentifyVulnerable {
            young_person: dee,
            concerns: NewConfidential::new(text("Talked about an older friend who buys her vodka")),
        },
    )
    .await;
    // A front end sends the same commands as flat JSON; bad input names the field.
    let refused = cw
        .execute_workshop(
            &worker,
            id,
            WorkshopCommand::from_json(&format!(
                r#"{{"command": "record_evaluation", "respondent": {{"respondent": "young_person", "id": "{}"}}, "answers": []}}"#,
                casework::kernel::ids::YoungPersonId::new().as_uuid()
            ))?,
        )
        .await;
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
            &cw,
            &worker,
            id,
            WorkshopCommand::RecordEvaluation {
                respondent,
                answers: answers(before, after),
                learnt: Some(NewConfidential::new(text("Gifts can come with strings"))),
            },
        )
        .await;
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
    workshop = apply(
        &cw,
        &worker,
        id,
        WorkshopCommand::HoldTutorial {
            young_person: dee,
            held_at: clock.now() - Duration::minutes(30),
            duration_minutes: 30,
            note: NewConfidential::new(text("Wants to talk to someone about the older friend")),
        },
    )
    .await;
    println!(
        "  an individual tutorial with Dee ({} held)",
        workshop.tutorials.len()
    );
    let case = cw
        .receive_referral_from_workshop(
            &worker,
            dee,
            id,
            NewReferral {
                source: ReferralSource::SelfReferral,
                concerns: NewConfidential::new(text("An older friend buys her drink")),
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

    println!("\n== Later in the term: a youth club, and the term's figures (R-29) ==");
    clock.set(Utc.with_ymd_and_hms(2026, 3, 24, 19, 0, 0).unwrap());
    let club = cw
        .plan_workshop(
            &worker,
            NewWorkshop {
                venue: Venue {
                    kind: VenueKind::YouthClub,
                    name: text("Fictional Youth Club"),
                },
                date: NaiveDate::from_ymd_opt(2026, 3, 24).unwrap(),
                age_group: AgeGroup { min: 13, max: 16 },
                topics: vec![SessionTopic::HealthyRelationships],
                programme: Some("schools_workshops".into()),
            },
        )
        .await?;
    apply(
        &cw,
        &worker,
        club,
        WorkshopCommand::RecordAttendance {
            young_people: vec![],
            anonymous: 12,
        },
    )
    .await;
    apply(
        &cw,
        &worker,
        club,
        WorkshopCommand::RecordEvaluation {
            respondent: Respondent::Anonymous,
            answers: answers(2, 4),
            learnt: None,
        },
    )
    .await;
    // One indexed query for the whole term (the first date after it is not in it).
    let term = cw
        .workshop_reach(
            NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        )
        .await?;
    println!(
        "  spring term: {} workshops reached {} young people ({} known to the service); {} identified as vulnerable; tutorials held: {}; forms: {}",
        term.workshops.len(),
        term.reach,
        term.registered_attendees,
        term.identified_vulnerable,
        term.tutorials,
        term.forms
    );
    for w in &term.workshops {
        println!(
            "    {} {} ({}): reach {}",
            w.date.format("%d %b"),
            w.venue.name,
            w.venue.kind.as_str(),
            w.reach()
        );
    }
    for q in &term.questions {
        println!(
            "    \"{}\": {} of {} answered higher after the workshop",
            q.question, q.improved, q.responses
        );
    }

    println!(
        "\n(The workshop is a record of its own stream: its attendance, {} forms and {} tutorial stay there; the case holds only the workshop's id.)",
        workshop.evaluations.len(),
        workshop.tutorials.len()
    );
    Ok(())
}
