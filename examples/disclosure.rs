//! Confidentiality end to end (R-8, R-9, R-10, R-27), all names fictional, on the in-memory
//! store: a referral from a social worker becomes Sam's case; a worker in another team is
//! refused the record; Sam reads it, saying why, and the read is logged; the referrer sees
//! outcome and attendance once the young person agrees, never what was said; parents are told
//! nothing without her agreement (R-10); and when she says she is being collected tonight,
//! Sam's manager shares the session note with the police under the safeguarding override,
//! which shows in the override report and the case's audit trail.
//!
//! ```sh
//! cargo run --example disclosure
//! ```

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::{
    CaseCommand, NewReferral, Professional, ProfessionalKind, ReferralSource, SessionPlace,
};
use casework::kernel::actor::{Actor, Role};
use casework::kernel::clock::{Clock, ManualClock};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::ProfessionalId;
use casework::kernel::input::{Postcode, Text};
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::privacy::access::StaffDirectory;
use casework::privacy::access_log::AccessSubject;
use casework::privacy::disclosure::{Audience, ItemKind, OverrideRequest};
use casework::young_person::{Gender, YoungPersonDetails};
use casework::Casework;
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
    let casework =
        Casework::new(MemoryStore::new(), city_girls_service()).with_clock(clock.clone());

    // The charity's staff: Sam in Alex's team, Kim in another; Pat, a social worker, has an
    // account to follow the cases she refers.
    let sam = Actor::worker("Sam Worker");
    let alex = Actor::manager("Alex Manager");
    let kim = Actor::worker("Kim Otherworker");
    let pat = Professional {
        id: ProfessionalId::new(),
        name: text("Pat Socialworker"),
        kind: ProfessionalKind::SocialWorker,
        agency: text("Fictional Children's Services"),
    };
    let pat_account = Actor::new("Pat Socialworker", Role::ExternalReferrer);
    let directory = StaffDirectory::new()
        .team(alex.id, [sam.id])
        .external_referrer(pat_account.id, pat.id);

    // Pat's referral, with the young person's agreement (R-1), becomes Sam's case.
    let as_sam = casework.acting_as(&sam, &directory);
    let person = casework
        .register_young_person(
            &sam,
            YoungPersonDetails {
                name: text("Amy Example"),
                date_of_birth: NaiveDate::from_ymd_opt(2011, 5, 14).unwrap(),
                gender: Gender::Female,
                postcode: Postcode::parse("LS6 2AB")?,
                learning_difficulty: false,
                contact_preferences: vec![],
            },
        )
        .await?;
    let case = as_sam
        .receive_referral(
            person,
            NewReferral {
                source: ReferralSource::Professional {
                    professional: pat.clone(),
                },
                concerns: NewConfidential::new(text("Gifts and lifts from a man in his twenties")),
                received_at: clock.now(),
            },
        )
        .await?;
    let consent = |scope, decision| CaseCommand::RecordConsent {
        entry: ConsentEntry {
            scope,
            decision,
            by: ConsentGiver::YoungPerson,
            method: ConsentMethod::InPerson,
            purpose: text("asked at the first meeting"),
            given_at: clock.now(),
        },
    };
    let planned_for = clock.now() + Duration::days(2);
    for command in [
        consent(ConsentScope::Referral, ConsentDecision::Given),
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: sam.id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions on keeping safe")),
        },
        CaseCommand::BeginWork,
        CaseCommand::PlanSession {
            planned_for,
            place: SessionPlace::YouthClub,
            place_chosen_by_young_person: true,
            topics: vec![],
        },
    ] {
        as_sam.execute(case, command).await?;
    }
    clock.advance(Duration::days(2));
    let session = as_sam.case(case).await?.file().activity.sessions[0].id;
    as_sam
        .execute(
            case,
            CaseCommand::HoldSession {
                session,
                held_at: planned_for,
                duration_minutes: 60,
                place: None,
                topics: vec![],
                resources: vec![],
                note: NewConfidential::new(text("Said the man will collect her tonight")),
            },
        )
        .await?;
    println!("case {case} is Sam's, with one session held\n");

    // R-27: Kim, in another team, may see the case's stage but not its record.
    let as_kim = casework.acting_as(&kim, &directory);
    println!("Kim sees the stage: {}", as_kim.case(case).await?.stage());
    match as_kim.open_record(case, "curious").await {
        Err(e) => println!("Kim opens the record: refused: {e}"),
        Ok(_) => unreachable!("Kim has no relationship to the case"),
    }

    // Sam reads the note, saying why; the read is logged before the content is handed over.
    let record = as_sam
        .open_record(case, "preparing for a strategy call")
        .await?;
    for (_, note) in record.session_notes() {
        println!("Sam reads the note: {note}");
    }

    clock.advance(Duration::minutes(20));

    // R-8: Pat sees nothing until the young person agrees; then outcome and attendance only.
    let as_pat = casework.acting_as(&pat_account, &directory);
    println!(
        "\nPat's view before consent: {} items",
        as_pat.referrer_view(case).await?.items.len()
    );
    as_sam
        .execute(
            case,
            consent(ConsentScope::SharingWithReferrer, ConsentDecision::Given),
        )
        .await?;
    let view = as_pat.referrer_view(case).await?;
    println!(
        "Pat's view after consent: {}",
        serde_json::to_string(&view)?
    );

    clock.advance(Duration::minutes(20));

    // R-10: parents or carers are told nothing without her agreement.
    match as_sam.share(case, Audience::ParentOrCarer).await {
        Err(e) => println!("\nSharing with her parents: refused: {e}"),
        Ok(_) => unreachable!("no consent to tell her parents"),
    }

    // R-9: an immediate concern. Alex shares the note with the police without consent,
    // stating the concern and the legal basis; an override without them is refused.
    let as_alex = casework.acting_as(&alex, &directory);
    let police = Audience::Police {
        agency: text("Fictional Constabulary CSE team"),
    };
    let mut request = OverrideRequest {
        audience: police,
        items: vec![ItemKind::SessionContent, ItemKind::RiskLevel],
        legal_basis: "Children Act 1989 s47; UK GDPR Art 6(1)(d) vital interests".into(),
        concern: String::new(),
    };
    if let Err(e) = as_alex.share_under_override(case, request.clone()).await {
        println!("\nOverride without a reason: refused: {e}");
    }
    clock.advance(Duration::minutes(20));
    request.concern = "She said she will be collected tonight by the man".into();
    let shared = as_alex.share_under_override(case, request).await?;
    println!(
        "Shared with the police: {}",
        serde_json::to_string(&shared)?
    );

    // What a manager or auditor sees afterwards.
    let day = (
        clock.now() - Duration::days(7),
        clock.now() + Duration::days(1),
    );
    for share in as_alex.override_report(day.0, day.1).await? {
        println!(
            "\noverride report: {} shared {:?} with {} at {}",
            share.shared_by_name, share.items, share.audience, share.shared_at
        );
    }
    let subject = AccessSubject::Case {
        case,
        young_person: person,
    };
    for read in as_alex.access_log(subject).await? {
        println!(
            "access log: {} ({}, {}) read it: {}",
            read.name, read.role, read.relationship, read.purpose
        );
    }
    println!("\naudit trail:");
    for entry in as_alex.audit_trail(case).await? {
        println!(
            "  {} {:<8} {} — {}",
            entry.at, entry.kind, entry.by, entry.what
        );
    }
    Ok(())
}
