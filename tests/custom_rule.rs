//! The users' example `examples/custom_rule_property.rs`, run as tests: a charity's own rule
//! ("no case of a child under 13 is ever rated Low") holds on the shipped profile, and
//! proptest catches, and shrinks, the violation on a profile whose risk tool lacks the
//! under-13 floor.

#[allow(dead_code)]
#[path = "../examples/custom_rule_property.rs"]
mod example;

use casework::policy::profile::examples::city_girls_service;
use casework::policy::risk::RiskLevel;
use proptest::test_runner::TestError;

#[test]
fn the_shipped_profile_keeps_the_rule() {
    if let Err(e) = example::check_rule(&city_girls_service(), 128) {
        panic!("the shipped tool rates a child under 13 Low: {e}");
    }
}

#[test]
fn a_profile_without_the_under_13_floor_is_caught() {
    let Err(TestError::Fail(why, (details, first, reviews))) =
        example::check_rule(&example::profile_without_the_floor(), 256).map_err(|e| *e)
    else {
        panic!("proptest found no child under 13 rated Low without the floor");
    };
    eprintln!("caught: {why}; born {}", details.date_of_birth);
    assert!(why.message().contains("Low"), "{why}");
    // Shrunk to the heart of it: a child under 13 with nothing at all recorded is Low.
    let age = details.age_on(casework_testkit::fixtures::start().date_naive());
    assert!(
        age < 13,
        "the counter-example is a child under 13, aged {age}"
    );
    assert!(first.is_empty(), "shrunk to no indicators: {first:?}");
    assert!(reviews.is_empty(), "shrunk to no reviews: {reviews:?}");
    // And the rule's own check says so on the service's record of that child.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let case = rt.block_on(example::assessed_case(
        &example::profile_without_the_floor(),
        &details,
        &first,
        &reviews,
    ));
    assert_eq!(case.file().assessments[0].level, RiskLevel::Low);
    assert!(example::under_13_never_low(&details, &case).is_err());
}

#[test]
fn some_generated_configurations_break_the_rule() {
    let Err(TestError::Fail(_, (profile, (details, _, _)))) =
        example::check_rule_across_profiles(256).map_err(|e| *e)
    else {
        panic!("no generated profile broke the rule; the strategy makes some without the floor");
    };
    let floor = profile.risk_tool.floors.young_child;
    let age = details.age_on(casework_testkit::fixtures::start().date_naive());
    assert!(
        floor.is_none_or(|f| age >= f.under_age),
        "the breaking profile's floor {floor:?} misses a child aged {age}"
    );
}
