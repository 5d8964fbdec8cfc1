//! Fictional, valid test data.

use casework_core::case::{NewReferral, Professional, ProfessionalKind, ReferralSource};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::clock::ManualClock;
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::ProfessionalId;
use casework_core::kernel::input::{Postcode, Text};
use casework_core::young_person::{Gender, YoungPersonDetails};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// A fixed instant every test starts from: 09:00 UTC on Monday 2 March 2026.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// A manual clock stopped at [`start`].
pub fn clock() -> ManualClock {
    ManualClock::starting_at(start())
}

/// Non-empty text; panics on empty input (test data only).
pub fn text(s: &str) -> Text {
    Text::parse("text", s).expect("fixture text is not empty")
}

/// A fictional worker.
pub fn worker() -> Actor {
    Actor::worker("Sam Worker")
}

/// A fictional manager.
pub fn manager() -> Actor {
    Actor::manager("Alex Manager")
}

/// A 14-year-old girl living in LS6: eligible for the city girls' service.
pub fn girl_in_leeds_area() -> YoungPersonDetails {
    YoungPersonDetails {
        name: text("Amy Example"),
        date_of_birth: NaiveDate::from_ymd_opt(2011, 5, 14).unwrap(),
        gender: Gender::Female,
        postcode: Postcode::parse("LS6 2AB").unwrap(),
        learning_difficulty: false,
        contact_preferences: vec![],
    }
}

/// A 14-year-old boy in LS11: outside a girls-only service's remit.
pub fn boy_in_leeds_area() -> YoungPersonDetails {
    YoungPersonDetails {
        name: text("Ben Example"),
        gender: Gender::Male,
        postcode: Postcode::parse("LS11 5XY").unwrap(),
        ..girl_in_leeds_area()
    }
}

/// A fictional social worker.
pub fn social_worker() -> Professional {
    Professional {
        id: ProfessionalId::new(),
        name: text("Pat Socialworker"),
        kind: ProfessionalKind::SocialWorker,
        agency: text("Fictional Children's Services"),
    }
}

/// A self-referral received at `at`.
pub fn self_referral(at: DateTime<Utc>) -> NewReferral {
    NewReferral {
        source: ReferralSource::SelfReferral,
        concerns: NewConfidential::new(text("Worried about an older boyfriend")),
        received_at: at,
    }
}

/// A referral by `professional`, received at `at`.
pub fn professional_referral(professional: Professional, at: DateTime<Utc>) -> NewReferral {
    NewReferral {
        source: ReferralSource::Professional { professional },
        concerns: NewConfidential::new(text("Missing overnight twice this month")),
        received_at: at,
    }
}

/// `n` fictional young people as an import would write them: each registration's append with
/// its row and listings, registered at [`start`] by an import clerk, born over eighteen years
/// (2008 to 2025) in the 28 `LS` districts and named `Person<i> Example<i mod 97>`, with no
/// duplicate check run. For tests that need a full register: the duplicate check's one read
/// among 10,000.
pub fn registrations(n: u32) -> impl Iterator<Item = casework_core::store::AppendRequest> {
    use casework_core::aggregate::Aggregate;
    use casework_core::kernel::event::{DomainEvent, EventMeta};
    use casework_core::kernel::ids::{StreamId, YoungPersonId};
    use casework_core::young_person::{YoungPerson, YoungPersonRecord};
    let clerk = Actor::worker("Import Clerk");
    let profile = casework_core::policy::profile::examples::city_girls_service();
    let first = NaiveDate::from_ymd_opt(2008, 1, 1).expect("a real date");
    (0..n).map(move |i| {
        let id = YoungPersonId::new();
        let details = YoungPersonDetails {
            name: text(&format!("Person{i} Example{}", i % 97)),
            date_of_birth: first + chrono::Duration::days(i64::from(i.wrapping_mul(7919) % 6570)),
            postcode: Postcode::parse(&format!("LS{} 1AA", 1 + i % 28)).expect("a postcode"),
            ..girl_in_leeds_area()
        };
        let ctx = casework_core::kernel::context::CommandContext::new(&clerk, start(), &profile);
        let event = YoungPerson::register(id, details, &ctx).expect("a valid registration");
        let record = YoungPersonRecord::evolve(None, &event).expect("registration opens it");
        casework_core::store::AppendRequest {
            stream: StreamId::YoungPerson(id),
            expected_version: 0,
            events: vec![event.encode(EventMeta::new(&clerk, start(), None))],
            read_model: record.row(1),
            snapshot: None,
            listings: Some(record.listings(&profile).encode()),
            idempotency: None,
        }
    })
}

/// For tests that write hand-made case rows: gives `row` a young person of its own (added to
/// `people`) when, written after the rows `open` has seen, it would be a second case not
/// finished for its young person, which every store refuses; then notes it in `open`.
/// Rows must be passed in the order they are written.
pub fn keep_one_open_case(
    row: &mut casework_core::read::rows::CaseSummary,
    open: &mut std::collections::HashMap<
        casework_core::kernel::ids::YoungPersonId,
        casework_core::kernel::ids::CaseId,
    >,
    people: &mut Vec<casework_core::kernel::ids::YoungPersonId>,
) {
    if row.stage.is_finished() {
        if open.get(&row.young_person_id) == Some(&row.case_id) {
            open.remove(&row.young_person_id);
        }
        return;
    }
    if open
        .get(&row.young_person_id)
        .is_some_and(|case| *case != row.case_id)
    {
        row.young_person_id = casework_core::kernel::ids::YoungPersonId::new();
        people.push(row.young_person_id);
    }
    open.insert(row.young_person_id, row.case_id);
}
