//! The day a time falls on is the service's local day: a profile names its time
//! zone (`Europe/London` by default), and ages, "not after today" and "not before the
//! workshop" are decided on the local date, never the UTC one.
//!
//! All people are fictional.

use casework::case::{CaseCommand, StageName};
use casework::kernel::error::DomainError;
use casework::memory::MemoryStore;
use casework::policy::eligibility::{Ineligibility, Screening};
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::ServiceProfile;
use casework::policy::risk::{IndicatorAnswer, When};
use casework::policy::time_zone::ServiceTimeZone;
use casework::young_person::YoungPersonDetails;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{girl_in_leeds_area, self_referral, text};
use casework_testkit::scenario::Scenario;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn born(date_of_birth: NaiveDate) -> YoungPersonDetails {
    YoungPersonDetails {
        date_of_birth,
        ..girl_in_leeds_area()
    }
}

/// A self-referral received at `at`, screened then.
fn screened(profile: ServiceProfile, details: &YoungPersonDetails, at: DateTime<Utc>) -> Scenario {
    Scenario::new(profile)
        .at(at)
        .given_referral(details, self_referral(at))
        .when(CaseCommand::Screen)
        .then_stage(StageName::Screened)
        .and()
}

fn screening(scenario: &Scenario) -> Screening {
    scenario.case().file().screening.clone().expect("screened")
}

/// After screening, an assessment and the outcome the age allows: a service up to 18 must not
/// accept a 19-year-old, and declines them with the reason.
fn assert_too_old_then_declined(scenario: Scenario) {
    assert_eq!(
        screening(&scenario).reasons,
        vec![Ineligibility::TooOld {
            age: 19,
            max_age: 18
        }]
    );
    scenario
        .given([CaseCommand::AssessRisk {
            indicators: vec![],
            worker_override: None,
        }])
        .when(CaseCommand::AcceptForSupport)
        .then_error(|e| {
            assert!(
                matches!(e, DomainError::Ineligible { reasons } if reasons
                    == &[Ineligibility::TooOld { age: 19, max_age: 18 }]),
                "{e:?}"
            )
        })
        .before()
        .clone()
        .when(CaseCommand::Decline {
            reason: text("Aged 19 on the day of referral: outside the service's ages").into(),
        })
        .then_stage(StageName::Declined);
}

#[test]
fn r2_a_referral_at_0030_bst_on_a_19th_birthday_is_screened_at_19() {
    // 00:30 BST on 10 June 2026 is 23:30 UTC on 9 June: the UTC date would make her 18.
    let details = born(date(2007, 6, 10));
    let at = utc(2026, 6, 9, 23, 30);
    assert_eq!(at.date_naive(), date(2026, 6, 9));
    let scenario = screened(city_girls_service(), &details, at);
    assert_eq!(screening(&scenario).age_on_referral, 19);
    assert_too_old_then_declined(scenario);

    // One minute before local midnight she is still 18, and eligible.
    let before = screened(city_girls_service(), &details, utc(2026, 6, 9, 22, 59));
    assert_eq!(screening(&before).age_on_referral, 18);
    assert!(screening(&before).is_eligible());
}

#[test]
fn r2_in_winter_london_is_on_utc_and_the_birthday_starts_at_midnight_gmt() {
    let details = born(date(2007, 12, 10));
    let at = utc(2026, 12, 10, 0, 30);
    let scenario = screened(city_girls_service(), &details, at);
    assert_eq!(screening(&scenario).age_on_referral, 19);
    assert_too_old_then_declined(scenario);

    let before = screened(city_girls_service(), &details, utc(2026, 12, 9, 23, 30));
    assert_eq!(screening(&before).age_on_referral, 18);
    assert!(screening(&before).is_eligible());
}

#[test]
fn r2_a_service_in_utc_screens_on_the_utc_date() {
    let mut profile = city_girls_service();
    profile.time_zone = ServiceTimeZone::parse("UTC").unwrap();
    let scenario = screened(profile, &born(date(2007, 6, 10)), utc(2026, 6, 9, 23, 30));
    assert_eq!(screening(&scenario).age_on_referral, 18);
}

#[test]
fn r21_the_under_13_floor_uses_the_local_date_of_the_assessment() {
    // 13 on 10 June 2026 (local); assessed at 23:30 UTC on 9 June, 00:30 BST on her birthday:
    // she is 13, so the minimal tool's under-13 floor (never Low) does not apply.
    let details = born(date(2013, 6, 10));
    let at = utc(2026, 6, 9, 23, 30);
    let assessed = screened(city_girls_service(), &details, at)
        .when(CaseCommand::AssessRisk {
            indicators: vec![],
            worker_override: None,
        })
        .then_stage(StageName::Assessed)
        .case()
        .clone();
    let assessment = assessed.file().assessments.last().unwrap().clone();
    assert_eq!(
        assessment.level,
        casework::policy::risk::RiskLevel::Low,
        "{:?}",
        assessment.floors_applied
    );
}

#[test]
fn r21_an_indicator_last_seen_today_is_today_in_local_time() {
    // At 23:30 UTC on 9 June it is already 10 June in London: last seen on 10 June is today.
    let at = utc(2026, 6, 9, 23, 30);
    screened(city_girls_service(), &girl_in_leeds_area(), at)
        .when(CaseCommand::AssessRisk {
            indicators: vec![IndicatorAnswer {
                key: "missing_from_home".into(),
                when: When::LastSeen(date(2026, 6, 10)),
            }],
            worker_override: None,
        })
        .then_stage(StageName::Assessed);
}

#[tokio::test]
async fn r2_a_date_of_birth_of_today_is_accepted_on_the_local_day() {
    // Born on 10 June 2026, registered at 00:30 BST that day (23:30 UTC on 9 June): not in
    // the future where the service is.
    let desk = Desk::new(MemoryStore::new());
    desk.set(utc(2026, 6, 9, 23, 30));
    let person = desk.register(born(date(2026, 6, 10))).await;
    let details = desk.cw.young_person(person).await.unwrap().details;
    assert_eq!(details.date_of_birth, date(2026, 6, 10));
}
