//! A charity's own safeguarding rule, property-tested with Casework's testkit.
//!
//! The rule: **no case of a child under 13 is ever rated Low.** It is not one of the
//! library's rules: a service adopts it, and then wants to know that its configuration keeps
//! it, whoever is referred and whatever the workers record, at the first assessment and at
//! every review.
//!
//! How to write such a test:
//! 1. State the rule as a check over what the service records (here: every assessment on the
//!    case), returning the violation in words ([`under_13_never_low`]).
//! 2. Drive the real service, as a front end would, on the in-memory store: register, refer,
//!    screen, assess, and where the referral is accepted, work and review ([`assessed_case`]).
//! 3. Let proptest draw the inputs from `casework_testkit::strategies` (young people, indicator
//!    answers, service profiles) and look for a counter-example ([`check_rule`]). When the rule
//!    breaks, proptest shrinks the counter-example to a small one and shows it.
//!
//! Run it:
//!
//! ```sh
//! cargo run --example custom_rule_property
//! ```
//!
//! It checks the shipped city profile (its tool never rates a child under 13 Low: the rule
//! holds), then the same profile with the tool's under-13 floor removed (proptest finds a child
//! rated Low, and prints her), then any configuration the profile strategy can make (proptest
//! finds which ones break the rule). `tests/custom_rule.rs` runs the same checks as tests.
//!
//! All data is fictional.

use casework::case::{Case, CaseCommand, NewReferral, ReferralSource, ReviewDecision, StageName};
use casework::kernel::actor::Actor;
use casework::kernel::clock::ManualClock;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::input::Text;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::ServiceProfile;
use casework::policy::risk::{IndicatorAnswer, RiskLevel};
use casework::young_person::YoungPersonDetails;
use casework::Casework;
use casework_testkit::{fixtures, strategies};
use chrono::Duration;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::sync::Arc;

/// The charity's rule, over one case: no assessment of a child under 13 (on the day of the
/// assessment) is Low. Returns the violation in words.
pub fn under_13_never_low(details: &YoungPersonDetails, case: &Case) -> Result<(), String> {
    for (n, assessment) in case.file().assessments.iter().enumerate() {
        let age = details.age_on(assessment.at.date_naive());
        if age < 13 && assessment.level == RiskLevel::Low {
            return Err(format!(
                "assessment {n} rated a child aged {age} Low (score {}, tool `{}`)",
                assessment.score, assessment.tool
            ));
        }
    }
    Ok(())
}

/// One young person through the service on `profile`: registered, self-referred, screened and
/// assessed with `first`; when the referral is accepted, allocated, engaged and reviewed once
/// for each of `reviews`, a week apart. Returns the case as the service holds it.
pub async fn assessed_case(
    profile: &ServiceProfile,
    details: &YoungPersonDetails,
    first: &[IndicatorAnswer],
    reviews: &[Vec<IndicatorAnswer>],
) -> Case {
    let clock = Arc::new(ManualClock::starting_at(fixtures::start()));
    let service = Casework::new(MemoryStore::new(), profile.clone()).with_clock(clock.clone());
    let worker = Actor::worker("Sam Worker");
    let text = |s: &str| Text::parse("text", s).expect("not empty");
    let person = service
        .register_young_person(&worker, details.clone())
        .await
        .expect("generated details are valid");
    let case = service
        .receive_referral(
            &worker,
            person,
            NewReferral {
                source: ReferralSource::SelfReferral,
                concerns: NewConfidential::new(text("Fictional worry about an older boyfriend")),
                received_at: fixtures::start(),
            },
        )
        .await
        .expect("a referral opens a case");
    let run = |command: CaseCommand| service.execute(&worker, case, command);
    run(CaseCommand::Screen)
        .await
        .expect("a referral is screened");
    let assessed = run(CaseCommand::AssessRisk {
        indicators: first.to_vec(),
        worker_override: None,
    })
    .await
    .expect("known indicators are assessed");
    if run(CaseCommand::AcceptForSupport).await.is_err() {
        // Not eligible for this service: the first assessment is all there is.
        return assessed.state;
    }
    run(CaseCommand::Allocate {
        worker: worker.id,
        worker_name: text("Sam Worker"),
        out_of_order_reason: None,
    })
    .await
    .expect("allocated");
    run(CaseCommand::AgreePlan {
        plan: NewConfidential::new(text("Weekly sessions at school")),
    })
    .await
    .expect("engaged");
    let mut last = run(CaseCommand::BeginWork).await.expect("active");
    for indicators in reviews {
        clock.advance(Duration::days(7));
        last = run(CaseCommand::RecordReview {
            indicators: indicators.clone(),
            worker_override: None,
            decision: ReviewDecision::Continue,
        })
        .await
        .expect("an active case is reviewed");
    }
    assert_eq!(last.state.stage(), StageName::Active);
    last.state
}

/// A young person, the first assessment's answers and up to three reviews' answers.
pub type Input = (
    YoungPersonDetails,
    Vec<IndicatorAnswer>,
    Vec<Vec<IndicatorAnswer>>,
);

/// Young people of any age the strategies make (5 to 28), half of them eligible girls aged
/// 10 to 17; answers for any risk level.
pub fn inputs() -> impl Strategy<Value = Input> {
    (
        prop_oneof![
            strategies::young_person_details(),
            strategies::eligible_for_city_service(fixtures::start().date_naive()),
        ],
        strategies::indicators(),
        proptest::collection::vec(strategies::indicators(), 0..=3),
    )
}

/// Looks for a counter-example to the rule on `profile` in `cases` random inputs: `Ok` when
/// none is found, otherwise proptest's failure with the shrunk input.
pub fn check_rule(profile: &ServiceProfile, cases: u32) -> Result<(), Box<TestError<Input>>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&inputs(), |(details, first, reviews)| {
            let case = rt.block_on(assessed_case(profile, &details, &first, &reviews));
            under_13_never_low(&details, &case).map_err(TestCaseError::fail)
        })
        .map_err(Box::new)
}

/// The same rule across configurations: any profile `strategies::service_profile` makes
/// (different age ranges, approvals and risk-tool floors).
pub fn check_rule_across_profiles(
    cases: u32,
) -> Result<(), Box<TestError<(ServiceProfile, Input)>>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(strategies::service_profile(), inputs()),
            |(profile, (details, first, reviews))| {
                let case = rt.block_on(assessed_case(&profile, &details, &first, &reviews));
                under_13_never_low(&details, &case).map_err(TestCaseError::fail)
            },
        )
        .map_err(Box::new)
}

/// The shipped city profile with its risk tool's under-13 floor removed: a configuration
/// that breaks the rule.
pub fn profile_without_the_floor() -> ServiceProfile {
    let mut profile = city_girls_service();
    profile.risk_tool.floors.young_child = None;
    profile
}

fn main() {
    println!("Rule: no case of a child under 13 is ever rated Low.\n");

    match check_rule(&city_girls_service(), 256) {
        Ok(()) => println!("The shipped city profile keeps the rule (256 random cases)."),
        Err(e) => println!("The shipped city profile breaks the rule: {e}"),
    }

    match check_rule(&profile_without_the_floor(), 256).map_err(|e| *e) {
        Ok(()) => println!("Without the floor, no counter-example was found."),
        Err(TestError::Fail(why, (details, first, reviews))) => println!(
            "\nWithout the tool's under-13 floor the rule breaks: {why}\n\
             Shrunk counter-example: born {} ({}, {}), first assessment {first:?}, \
             reviews {reviews:?}",
            details.date_of_birth, details.gender, details.postcode
        ),
        Err(e) => println!("{e}"),
    }

    match check_rule_across_profiles(256).map_err(|e| *e) {
        Ok(()) => println!("\nEvery generated configuration keeps the rule."),
        Err(TestError::Fail(why, (profile, (details, _, _)))) => println!(
            "\nAcross configurations, this one breaks the rule: {why}\n\
             Its tool's young-child floor: {:?}; the child was born {}.",
            profile.risk_tool.floors.young_child, details.date_of_birth
        ),
        Err(e) => println!("{e}"),
    }
}
