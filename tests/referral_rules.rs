//! Referral rules R-1 … R-4: permission, eligibility, signposting and assessment before outcome.
//!
//! Each test names the rule it proves. Profiles are the shipped fictional examples; all people
//! are fictional.

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::owed::OwedActionKind;
use casework::case::{CaseCommand, CaseEvent, NewReferral, Outcome, ReferralSource, StageName};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::error::DomainError;
use casework::kernel::input::{decode_json, Postcode};
use casework::kernel::rule::Rule;
use casework::policy::eligibility::{Ineligibility, Screening};
use casework::policy::profile::examples::{city_girls_service, county_all_genders_service};
use casework::policy::profile::{PartnerService, ServiceProfile};
use casework::young_person::{Gender, YoungPersonDetails};
use casework_testkit::fixtures::{
    boy_in_leeds_area, girl_in_leeds_area, professional_referral, self_referral, social_worker,
    start, text,
};
use casework_testkit::scenario::Scenario;
use chrono::{DateTime, Duration, NaiveDate, Utc};

// ---------------------------------------------------------------------------------------------
// Helpers

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at_ten(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(10, 0, 0).unwrap().and_utc()
}

fn assess(indicators: &[&str]) -> CaseCommand {
    CaseCommand::AssessRisk {
        indicators: indicators.iter().map(|s| (*s).into()).collect(),
        worker_override: None,
    }
}

fn consent(scope: ConsentScope, decision: ConsentDecision, by: ConsentGiver) -> CaseCommand {
    CaseCommand::RecordConsent {
        entry: ConsentEntry {
            scope,
            decision,
            by,
            method: ConsentMethod::Phone,
            purpose: text("to be referred to the project"),
            given_at: start(),
        },
    }
}

fn girl(date_of_birth: NaiveDate, learning_difficulty: bool) -> YoungPersonDetails {
    YoungPersonDetails {
        date_of_birth,
        learning_difficulty,
        ..girl_in_leeds_area()
    }
}

fn living_in(postcode: &str) -> YoungPersonDetails {
    YoungPersonDetails {
        postcode: Postcode::parse(postcode).unwrap(),
        ..girl_in_leeds_area()
    }
}

/// Screens `details` against `profile` for a self-referral received at 10:00 on `referred`.
fn screening_under(
    profile: ServiceProfile,
    details: &YoungPersonDetails,
    referred: NaiveDate,
) -> Screening {
    let at = at_ten(referred);
    Scenario::new(profile)
        .at(at)
        .given_referral(details, self_referral(at))
        .when(CaseCommand::Screen)
        .then_stage(StageName::Screened)
        .then_event_types(&["eligibility_screened"])
        .case()
        .file()
        .screening
        .clone()
        .expect("a screened case has a screening")
}

/// The city girls' service screening, on the fixed referral date 2 March 2026.
fn screening(details: &YoungPersonDetails) -> Screening {
    screening_under(city_girls_service(), details, start().date_naive())
}

fn assert_eligible(screening: &Screening, age: u32) {
    assert_eq!(screening.age_on_referral, age, "age on the referral date");
    assert!(
        screening.is_eligible(),
        "expected eligible at {age}, got reasons {:?}",
        screening.reasons
    );
}

fn assert_too_old(screening: &Screening, age: u32, max_age: u32) {
    assert_eq!(screening.age_on_referral, age, "age on the referral date");
    assert_eq!(
        screening.reasons,
        vec![Ineligibility::TooOld { age, max_age }]
    );
}

/// A professional's referral about an eligible girl, screened and assessed at Low risk.
fn assessed_professional_referral() -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(
            &girl_in_leeds_area(),
            professional_referral(social_worker(), start()),
        )
        .given(vec![CaseCommand::Screen, assess(&[])])
}

/// A self-referral about `details`, screened and assessed at Low risk.
fn assessed_self_referral(details: &YoungPersonDetails) -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(details, self_referral(start()))
        .given(vec![CaseCommand::Screen, assess(&[])])
}

fn signposted(outcome: &Option<Outcome>) -> (String, Option<PartnerService>) {
    match outcome {
        // The reason is confidential: a test of the record reads what it stores.
        Some(Outcome::Signposted { reason, to }) => (
            casework_testkit::stored::stored(reason)
                .as_str()
                .expect("a reason is text")
                .to_owned(),
            to.clone(),
        ),
        other => panic!("expected a signposted outcome, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// R-1: a referral by anyone but the young person needs her or his recorded permission.

#[test]
fn r1_professional_referral_without_permission_is_refused() {
    let assessed = assessed_professional_referral();
    assessed
        .clone()
        .when(CaseCommand::AcceptForSupport)
        .then_refused_by(Rule::R1)
        .then_error(|e| assert_eq!(e, &DomainError::PermissionMissing));
    assessed
        .when(CaseCommand::AddToWaitingList)
        .then_refused_by(Rule::R1);
}

#[test]
fn r1_young_persons_recorded_permission_allows_acceptance() {
    assessed_professional_referral()
        .given(vec![consent(
            ConsentScope::Referral,
            ConsentDecision::Given,
            ConsentGiver::YoungPerson,
        )])
        .when(CaseCommand::AcceptForSupport)
        .then_stage(StageName::AwaitingAllocation);
}

#[test]
fn r1_a_parents_agreement_does_not_stand_in_for_the_young_persons() {
    assessed_professional_referral()
        .given(vec![consent(
            ConsentScope::Referral,
            ConsentDecision::Given,
            ConsentGiver::ParentOrCarer,
        )])
        .when(CaseCommand::AcceptForSupport)
        .then_refused_by(Rule::R1);
}

#[test]
fn r1_consent_to_another_scope_is_not_permission_for_the_referral() {
    assessed_professional_referral()
        .given(vec![
            consent(
                ConsentScope::SharingWithParents,
                ConsentDecision::Given,
                ConsentGiver::YoungPerson,
            ),
            consent(
                ConsentScope::Engagement,
                ConsentDecision::Given,
                ConsentGiver::YoungPerson,
            ),
        ])
        .when(CaseCommand::AddToWaitingList)
        .then_refused_by(Rule::R1);
}

#[test]
fn r1_parent_and_agency_referrals_also_need_permission() {
    let sources = [
        ReferralSource::ParentOrCarer {
            name: text("Chris Parent"),
        },
        ReferralSource::Agency {
            agency: text("Fictional Housing Association"),
        },
    ];
    for source in sources {
        let referral = NewReferral {
            source,
            concerns: NewConfidential::new(text("Staying out overnight")),
            received_at: start(),
        };
        Scenario::new(city_girls_service())
            .given_referral(&girl_in_leeds_area(), referral)
            .given(vec![CaseCommand::Screen, assess(&[])])
            .when(CaseCommand::AcceptForSupport)
            .then_refused_by(Rule::R1);
    }
}

#[test]
fn r1_a_self_referral_is_consent() {
    Scenario::new(city_girls_service())
        .when_referral(&girl_in_leeds_area(), self_referral(start()))
        .then_events(|events| {
            let entry = events
                .iter()
                .find_map(|e| match e {
                    CaseEvent::ConsentRecorded { entry } => Some(entry),
                    _ => None,
                })
                .expect("a self-referral records the referral consent");
            assert_eq!(entry.scope, ConsentScope::Referral);
            assert_eq!(entry.decision, ConsentDecision::Given);
            assert_eq!(entry.by, ConsentGiver::YoungPerson);
            assert_eq!(entry.method, ConsentMethod::SelfReferral);
        })
        .and()
        .given(vec![CaseCommand::Screen, assess(&[])])
        .when(CaseCommand::AcceptForSupport)
        .then_stage(StageName::AwaitingAllocation);
}

#[test]
fn r1_a_professional_referral_records_no_consent_by_itself() {
    Scenario::new(city_girls_service())
        .when_referral(
            &girl_in_leeds_area(),
            professional_referral(social_worker(), start()),
        )
        .then_case(|case| assert!(case.file().consent.entries().is_empty()));
}

// ---------------------------------------------------------------------------------------------
// R-2: eligibility is the profile's; age is computed on the referral date.

#[test]
fn r2_aged_17_years_364_days_is_eligible() {
    // The 18th birthday is the day after the referral.
    assert_eligible(&screening(&girl(date(2008, 3, 3), false)), 17);
}

#[test]
fn r2_on_the_18th_birthday_is_eligible() {
    // max_age 18 is inclusive in completed years.
    assert_eligible(&screening(&girl(date(2008, 3, 2), false)), 18);
}

#[test]
fn r2_the_day_before_the_19th_birthday_is_eligible() {
    assert_eligible(&screening(&girl(date(2007, 3, 3), false)), 18);
}

#[test]
fn r2_on_the_19th_birthday_is_too_old() {
    assert_too_old(&screening(&girl(date(2007, 3, 2), false)), 19, 18);
}

#[test]
fn r2_aged_24_without_a_learning_difficulty_is_too_old() {
    assert_too_old(&screening(&girl(date(2002, 3, 2), false)), 24, 18);
}

#[test]
fn r2_aged_24_with_a_learning_difficulty_is_eligible() {
    // On the 24th birthday, and on the last day before the 25th.
    assert_eligible(&screening(&girl(date(2002, 3, 2), true)), 24);
    assert_eligible(&screening(&girl(date(2001, 3, 3), true)), 24);
}

#[test]
fn r2_on_the_25th_birthday_with_a_learning_difficulty_is_too_old() {
    assert_too_old(&screening(&girl(date(2001, 3, 2), true)), 25, 24);
}

#[test]
fn r2_a_learning_difficulty_does_not_extend_a_range_that_has_no_extension() {
    let mut profile = city_girls_service();
    profile.eligibility.max_age_with_learning_difficulty = None;
    let s = screening_under(profile, &girl(date(2006, 3, 2), true), start().date_naive());
    assert_too_old(&s, 20, 18);
}

#[test]
fn r2_age_is_computed_on_the_referral_date_not_the_screening_date() {
    // Referred the day before her 19th birthday, screened a week later.
    let referred = at_ten(date(2026, 3, 1));
    Scenario::new(city_girls_service())
        .at(referred)
        .given_referral(&girl(date(2007, 3, 2), false), self_referral(referred))
        .later(Duration::days(7))
        .when(CaseCommand::Screen)
        .then_case(|case| {
            let s = case.file().screening.as_ref().unwrap();
            assert_eligible(s, 18);
        });
}

#[test]
fn r2_a_29_february_birthday_counts_from_1_march() {
    let leap = girl(date(2008, 2, 29), false);
    let p = city_girls_service;
    assert_eligible(&screening_under(p(), &leap, date(2027, 2, 28)), 18);
    assert_too_old(&screening_under(p(), &leap, date(2027, 3, 1)), 19, 18);
}

#[test]
fn r2_an_intensive_programme_serves_16_to_21() {
    let mut intensive = city_girls_service();
    intensive.eligibility.min_age = 16;
    intensive.eligibility.max_age = 21;
    intensive.eligibility.max_age_with_learning_difficulty = None;
    let on = start().date_naive();
    let s = screening_under(intensive.clone(), &girl(date(2010, 3, 3), false), on);
    assert_eq!(
        s.reasons,
        vec![Ineligibility::TooYoung {
            age: 15,
            min_age: 16
        }]
    );
    assert_eligible(
        &screening_under(intensive.clone(), &girl(date(2010, 3, 2), false), on),
        16,
    );
    assert_eligible(
        &screening_under(intensive.clone(), &girl(date(2004, 3, 3), false), on),
        21,
    );
    assert_too_old(
        &screening_under(intensive, &girl(date(2004, 3, 2), false), on),
        22,
        21,
    );
}

#[test]
fn r2_a_girls_only_service_does_not_serve_a_boy() {
    let s = screening(&boy_in_leeds_area());
    assert_eq!(
        s.reasons,
        vec![Ineligibility::GenderNotServed {
            gender: Gender::Male
        }]
    );
}

#[test]
fn r2_an_all_genders_service_serves_a_boy_in_its_area() {
    let boy = YoungPersonDetails {
        postcode: Postcode::parse("YO1 7HH").unwrap(),
        ..boy_in_leeds_area()
    };
    assert_eligible(
        &screening_under(county_all_genders_service(), &boy, start().date_naive()),
        14,
    );
}

#[test]
fn r2_postcode_ls1_is_covered_by_the_ls_area() {
    assert_eligible(&screening(&living_in("LS1")), 14);
}

#[test]
fn r2_lower_case_postcode_ls6_2ab_is_normalised_and_covered() {
    let details = living_in("ls6 2ab");
    assert_eq!(details.postcode.to_string(), "LS6 2AB");
    assert_eligible(&screening(&details), 14);
}

#[test]
fn r2_postcode_wf10_1aa_is_covered_by_its_district() {
    assert_eligible(&screening(&living_in("WF10 1AA")), 14);
    assert_eligible(&screening(&living_in("wf3 4zz")), 14);
}

#[test]
fn r2_postcode_wf1_is_not_covered() {
    // WF1 is neither the WF10 district nor in a covered area: no prefix matching. The reason
    // keeps the district only: the full postcode is an address, sealed with the details (R-8).
    let s = screening(&living_in("WF1 2AB"));
    assert_eq!(
        s.reasons,
        vec![Ineligibility::OutsideArea {
            postcode: Postcode::parse("WF1").unwrap()
        }]
    );
    assert!(!screening(&living_in("WF1")).is_eligible());
}

#[test]
fn r2_postcode_area_l_is_not_the_ls_area() {
    assert!(!screening(&living_in("L1 8JQ")).is_eligible());
}

#[test]
fn r2_empty_and_malformed_postcodes_are_refused_at_input_naming_the_field() {
    for bad in [
        "",
        "   ",
        "LS",
        "123",
        "LS6-2AB",
        "LS6 2A",
        "LS100 1AA",
        "L$6 2AB",
    ] {
        let err = Postcode::parse(bad).expect_err(bad);
        assert_eq!(err.field, "postcode", "{bad:?}");
        let json = format!(
            r#"{{"name":"Amy Example","date_of_birth":"2011-05-14","gender":"female",
                "postcode":{bad:?},"learning_difficulty":false}}"#
        );
        let err = decode_json::<YoungPersonDetails>(&json).expect_err(bad);
        assert_eq!(err.field, "postcode", "{bad:?}: {err}");
    }
}

#[test]
fn r2_every_reason_is_reported() {
    let details = YoungPersonDetails {
        date_of_birth: date(2000, 1, 1),
        postcode: Postcode::parse("M1 1AE").unwrap(),
        ..boy_in_leeds_area()
    };
    let kinds: Vec<_> = screening(&details)
        .reasons
        .iter()
        .map(|r| r.kind())
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}

#[test]
fn r2_an_ineligible_referral_cannot_be_accepted() {
    let assessed = assessed_self_referral(&boy_in_leeds_area());
    assessed
        .clone()
        .when(CaseCommand::AcceptForSupport)
        .then_refused_by(Rule::R2)
        .then_error(|e| assert!(matches!(e, DomainError::Ineligible { .. })));
    assessed
        .when(CaseCommand::AddToWaitingList)
        .then_refused_by(Rule::R2);
}

#[test]
fn r2_assessing_before_screening_is_refused() {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
        .when(assess(&[]))
        .then_refused_by(Rule::R2);
}

// ---------------------------------------------------------------------------------------------
// R-3: an ineligible referral is signposted or declined with the reason, never dropped.

#[test]
fn r3_a_boy_is_signposted_to_the_partner_boys_service() {
    assessed_self_referral(&boy_in_leeds_area())
        .when(CaseCommand::Signpost {
            reason: None,
            to: None,
        })
        .then_stage(StageName::Signposted)
        .then_case(|case| {
            let (reason, to) = signposted(&case.file().outcome);
            assert!(reason.contains("gender"), "{reason}");
            assert_eq!(
                to.map(|s| s.name),
                Some("Harbour Boys' Project (fictional partner)".to_owned())
            );
        });
}

#[test]
fn r3_outside_the_area_is_signposted_to_the_local_team() {
    assessed_self_referral(&living_in("M1 1AE"))
        .when(CaseCommand::Signpost {
            reason: None,
            to: None,
        })
        .then_case(|case| {
            let (reason, to) = signposted(&case.file().outcome);
            // The district says why; the full postcode is not repeated (R-8).
            assert!(reason.contains("postcode M1 "), "{reason}");
            assert!(!reason.contains("1AE"), "{reason}");
            assert!(to.unwrap().name.contains("CSE team"));
        });
}

#[test]
fn r3_too_old_is_signposted_with_the_reason_even_without_a_named_service() {
    assessed_self_referral(&girl(date(2007, 3, 2), false))
        .when(CaseCommand::Signpost {
            reason: None,
            to: None,
        })
        .then_case(|case| {
            let (reason, to) = signposted(&case.file().outcome);
            assert!(reason.contains("aged 19"), "{reason}");
            assert_eq!(to, None);
        });
}

#[test]
fn r3_a_service_the_worker_names_is_kept() {
    let chosen = PartnerService {
        name: "Fictional Young Adults' Service".into(),
    };
    assessed_self_referral(&girl(date(2007, 3, 2), false))
        .when(CaseCommand::Signpost {
            reason: Some(text("Over 18: young adults' service").into()),
            to: Some(chosen.clone()),
        })
        .then_case(|case| {
            let (reason, to) = signposted(&case.file().outcome);
            assert_eq!(reason, "Over 18: young adults' service");
            assert_eq!(to, Some(chosen));
        });
}

#[test]
fn r3_an_ineligible_referral_can_be_declined_with_the_reason() {
    assessed_self_referral(&boy_in_leeds_area())
        .when(CaseCommand::Decline {
            reason: text("Girls-only service; referrer advised of the boys' project").into(),
        })
        .then_stage(StageName::Declined)
        .then_case(|case| match &case.file().outcome {
            Some(Outcome::Declined { reason }) => assert!(casework_testkit::stored::stored(reason)
                .as_str()
                .is_some_and(|r| r.contains("Girls-only"))),
            other => panic!("{other:?}"),
        });
}

#[test]
fn r3_signposting_an_eligible_referral_needs_a_reason() {
    assessed_self_referral(&girl_in_leeds_area())
        .when(CaseCommand::Signpost {
            reason: None,
            to: None,
        })
        .then_refused_by(Rule::R3)
        .then_error(|e| assert_eq!(e, &DomainError::ReasonRequired));
}

#[test]
fn r3_a_decline_without_a_reason_cannot_be_expressed() {
    assert!(casework::case::CaseCommand::from_json(r#"{"command":"decline"}"#).is_err());
    assert!(
        casework::case::CaseCommand::from_json(r#"{"command":"decline","reason":"  "}"#).is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// R-4: assessed Low/Medium/High before any outcome; the outcome is owed to the referrer.

fn outcomes() -> Vec<CaseCommand> {
    vec![
        CaseCommand::AcceptForSupport,
        CaseCommand::AddToWaitingList,
        CaseCommand::Signpost {
            reason: Some(text("Better served by a specialist service").into()),
            to: None,
        },
        CaseCommand::Decline {
            reason: text("Already supported by another CSE service").into(),
        },
    ]
}

#[test]
fn r4_an_outcome_before_assessment_is_refused_naming_r4() {
    let received = Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()));
    let screened = received.clone().given(vec![CaseCommand::Screen]);
    for before_assessment in [received, screened] {
        for outcome in outcomes() {
            let name = outcome.name();
            before_assessment
                .clone()
                .when(outcome)
                .then_refused_by(Rule::R4)
                .then_error(|e| match e {
                    DomainError::NotAtThisStage { command, .. } => assert_eq!(*command, name),
                    other => panic!("{other:?}"),
                });
        }
    }
}

#[test]
fn r4_every_outcome_owes_the_referrer_the_outcome() {
    for outcome in outcomes() {
        assessed_self_referral(&girl_in_leeds_area())
            .when(outcome)
            .then_owes(OwedActionKind::CommunicateOutcome)
            .then_events(|events| {
                assert!(matches!(events[0], CaseEvent::OutcomeGiven { .. }));
            });
    }
}

#[test]
fn r4_the_profiles_tool_grades_low_medium_and_high() {
    let cases: [(&[&str], casework::policy::risk::RiskLevel); 4] = [
        (&[], casework::policy::risk::RiskLevel::Low),
        (
            &["missing_from_home", "school_absence"],
            casework::policy::risk::RiskLevel::Low,
        ),
        (
            &["missing_from_home", "school_absence", "older_boyfriend"],
            casework::policy::risk::RiskLevel::Medium,
        ),
        (
            &["sexual_health", "unexplained_gifts"],
            casework::policy::risk::RiskLevel::High,
        ),
    ];
    for (indicators, level) in cases {
        Scenario::new(city_girls_service())
            .given_referral(&girl_in_leeds_area(), self_referral(start()))
            .given(vec![CaseCommand::Screen])
            .when(assess(indicators))
            .then_stage(StageName::Assessed)
            .then_case(|case| {
                let a = case.file().assessments.last().unwrap();
                assert_eq!(a.level, level, "{indicators:?}");
                assert_eq!(a.tool, "Minimal CSE indicator tool");
            });
    }
}

#[test]
fn r4_an_ineligible_referral_is_assessed_too_before_its_outcome() {
    // R-3 and R-4 together: a boy is signposted, but not before he is assessed.
    Scenario::new(city_girls_service())
        .given_referral(&boy_in_leeds_area(), self_referral(start()))
        .given(vec![CaseCommand::Screen])
        .when(CaseCommand::Signpost {
            reason: None,
            to: None,
        })
        .then_refused_by(Rule::R4);
}
