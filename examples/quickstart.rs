//! Three stories from a girls-only city service (all names fictional), on the embedded SQLite
//! store (`casework-quickstart.db`, or `CASEWORK_DB`; `--fresh` starts clean):
//! 1. a self-referral at Medium risk, from referral to a closure everyone agreed;
//! 2. a boy referred to the girls-only service, signposted to the partner boys' service;
//! 3. a professional's referral without the young person's permission, refused.

use casework::case::{Professional, ProfessionalKind, ReviewDecision};
use casework::kernel::ids::ProfessionalId;
use casework::prelude::*;
use casework::privacy::keys::KeyProvider;
use casework::service::keyring::{key_file, key_file_beside, Keyring};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::sync::Arc;

fn text(s: &str) -> Text {
    Text::parse("text", s).expect("example text is not empty")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = Arc::new(ManualClock::starting_at(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    // The service is configured by files: examples/config/profiles/city-girls.toml names its
    // risk tool and programme.
    let profile = casework::config::load_profile(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/config/profiles/city-girls.toml"
    ))?;
    // The embedded default: one SQLite file. `--fresh` starts clean; otherwise a re-run adds
    // three more stories to the same file.
    let fresh = std::env::args().any(|a| a == "--fresh");
    let path = std::env::var("CASEWORK_DB").unwrap_or_else(|_| "casework-quickstart.db".into());
    if fresh {
        for suffix in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    let existed = std::path::Path::new(&path).exists();
    let store = SqliteStore::open(&path)?;
    let applied = store.migrate().await?;
    if existed {
        println!(
            "Database {path}: continuing the existing file (migrations applied now: {applied:?}); run with --fresh to start clean.\n"
        );
    } else {
        println!(
            "Database {path}: new file, schema version {}.\n",
            store.schema_version().await?
        );
    }
    // Confidential content is sealed at rest with each young person's data key, wrapped by
    // the key in `<database>.key` (made, readable by this user only, on the first run).
    let kek = key_file(key_file_beside(std::path::Path::new(&path)))?;
    println!(
        "Confidential content is sealed with key-encryption key {}.\n",
        kek.kek_id()
    );
    let casework = Casework::new(store, profile)
        .with_clock(clock.clone())
        .with_keyring(Arc::new(Keyring::new(Arc::new(kek))));
    let worker = Actor::worker("Sam Worker");
    let manager = Actor::manager("Alex Manager");

    println!("== 1. A self-referral, from referral to an agreed closure ==");
    let amy = casework
        .register_young_person(
            &worker,
            person("Amy Example", (2011, 5, 14), Gender::Female, "ls6 2ab")?,
        )
        .await?;
    let case = casework
        .receive_referral(
            &worker,
            amy,
            NewReferral {
                source: ReferralSource::SelfReferral,
                concerns: NewConfidential::new(text("Older man giving lifts and gifts")),
                received_at: clock_now(&clock),
            },
        )
        .await?;
    let teacher = Professional {
        id: ProfessionalId::new(),
        name: text("Jo Teacher"),
        kind: ProfessionalKind::Teacher,
        agency: text("Fictional High School"),
    };
    let steps = vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["taken_to_parties".into(), "older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::RecordProfessional {
            professional: teacher.clone(),
        },
        CaseCommand::Allocate {
            worker: worker.id,
            worker_name: text(&worker.name),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions on healthy relationships")),
        },
        CaseCommand::BeginWork,
    ];
    for command in steps {
        casework.execute(&worker, case, command).await?;
        clock.advance(Duration::days(1));
    }
    // Discharge what the service owes.
    for action in casework
        .outstanding_actions()
        .await?
        .into_iter()
        .filter(|a| a.case_id == case)
    {
        casework
            .execute(
                &worker,
                case,
                CaseCommand::MarkActionSent {
                    action: action.action_id,
                    reference: text(&format!("REF-{}", action.kind.as_str())),
                    sent_at: clock_now(&clock),
                },
            )
            .await?;
    }
    clock.advance(Duration::weeks(6));
    casework
        .execute(
            &worker,
            case,
            CaseCommand::RecordReview {
                indicators: vec![],
                worker_override: None,
                decision: ReviewDecision::ProposeClosure,
            },
        )
        .await?;
    casework
        .execute(&worker, case, CaseCommand::ProposeClosure)
        .await?;
    casework
        .execute(
            &worker,
            case,
            CaseCommand::RecordAgreement {
                party: Party::YoungPerson,
            },
        )
        .await?;
    match casework
        .execute(&manager, case, CaseCommand::CompleteClosure)
        .await
    {
        Err(CommandError::Rejected(why)) => println!("  not yet: {why}"),
        other => panic!("closure without the teacher's agreement must wait (R-16): {other:?}"),
    }
    casework
        .execute(
            &worker,
            case,
            CaseCommand::RecordAgreement {
                party: Party::Professional(teacher.id),
            },
        )
        .await?;
    casework
        .execute(&manager, case, CaseCommand::CompleteClosure)
        .await?;
    for entry in casework.history(case).await? {
        println!(
            "  v{:<2} {}  {:<16} {}",
            entry.version,
            entry.meta.recorded_at.format("%Y-%m-%d"),
            entry.meta.actor.name,
            entry.event.describe()
        );
    }

    println!("\n== 2. A boy referred to a girls-only service is signposted (R-2, R-3) ==");
    let ben = casework
        .register_young_person(
            &worker,
            person("Ben Example", (2012, 1, 3), Gender::Male, "LS11 5XY")?,
        )
        .await?;
    let case = casework
        .receive_referral(
            &worker,
            ben,
            NewReferral {
                source: ReferralSource::SelfReferral,
                concerns: NewConfidential::new(text("Approached online by an adult")),
                received_at: clock_now(&clock),
            },
        )
        .await?;
    casework.execute(&worker, case, CaseCommand::Screen).await?;
    casework
        .execute(
            &worker,
            case,
            CaseCommand::AssessRisk {
                indicators: vec![],
                worker_override: None,
            },
        )
        .await?;
    match casework
        .execute(&worker, case, CaseCommand::AcceptForSupport)
        .await
    {
        Err(CommandError::Rejected(why)) => println!("  accept refused: {why}"),
        other => panic!("a boy cannot be accepted by a girls-only service: {other:?}"),
    }
    let done = casework
        .execute(
            &worker,
            case,
            CaseCommand::Signpost {
                reason: None,
                to: None,
            },
        )
        .await?;
    // The reason is confidential: a timeline says that one was given, not what.
    if let Some(casework::case::Outcome::Signposted { to, .. }) = &done.state.file().outcome {
        println!(
            "  signposted (reason recorded, confidential); to {}",
            to.as_ref().map_or("(none named)", |s| &s.name)
        );
    }

    println!("\n== 3. A professional's referral without the young person's permission (R-1) ==");
    let cara = casework
        .register_young_person(
            &worker,
            person("Cara Example", (2010, 9, 30), Gender::Female, "WF10 1AA")?,
        )
        .await?;
    let social_worker = Professional {
        id: ProfessionalId::new(),
        name: text("Pat Socialworker"),
        kind: ProfessionalKind::SocialWorker,
        agency: text("Fictional Children's Services"),
    };
    let case = casework
        .receive_referral(
            &worker,
            cara,
            NewReferral {
                source: ReferralSource::Professional {
                    professional: social_worker,
                },
                concerns: NewConfidential::new(text("Missing overnight twice this month")),
                received_at: clock_now(&clock),
            },
        )
        .await?;
    casework.execute(&worker, case, CaseCommand::Screen).await?;
    casework
        .execute(
            &worker,
            case,
            CaseCommand::AssessRisk {
                indicators: vec!["missing_overnight".into(), "school_absence".into()],
                worker_override: None,
            },
        )
        .await?;
    match casework
        .execute(&worker, case, CaseCommand::AcceptForSupport)
        .await
    {
        Err(CommandError::Rejected(why)) => println!("  refused: {why}"),
        other => panic!("acceptance without permission must be refused: {other:?}"),
    }
    println!("  still owed for this referral:");
    for action in casework
        .outstanding_actions()
        .await?
        .iter()
        .filter(|a| a.case_id == case)
    {
        println!(
            "   - {} to {} by {}",
            action.kind,
            action.owed_to,
            action.due_at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

/// A young person's details (fictional): name, date of birth, gender, postcode.
fn person(
    name: &str,
    (year, month, day): (i32, u32, u32),
    gender: Gender,
    postcode: &str,
) -> Result<YoungPersonDetails, casework::kernel::input::InputError> {
    Ok(YoungPersonDetails {
        name: text(name),
        date_of_birth: NaiveDate::from_ymd_opt(year, month, day).expect("a real date"),
        gender,
        postcode: Postcode::parse(postcode)?,
        learning_difficulty: false,
        contact_preferences: vec![],
    })
}

fn clock_now(clock: &ManualClock) -> chrono::DateTime<Utc> {
    use casework::kernel::clock::Clock;
    clock.now()
}
