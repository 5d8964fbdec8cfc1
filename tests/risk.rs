//! Risk assessment with the profile's tool: a worker's override keeps both
//! levels and needs a reason; hard floors lift the computed level; every assessment is kept.

use casework::case::{CaseCommand, CaseEvent, ReviewDecision};
use casework::kernel::confidential::NewConfidential;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::risk::{trend, RiskLevel, RiskOverride, RiskTrend};
use casework::young_person::YoungPersonDetails;
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use chrono::{Duration, NaiveDate};

fn answers(indicators: &[&str]) -> Vec<casework::policy::risk::IndicatorAnswer> {
    indicators.iter().map(|s| (*s).into()).collect()
}

fn screened(details: &YoungPersonDetails) -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(details, self_referral(start()))
        .given(vec![CaseCommand::Screen])
}

fn assessed_level(details: &YoungPersonDetails, indicators: &[&str]) -> (RiskLevel, RiskLevel) {
    let then = screened(details).when(CaseCommand::AssessRisk {
        indicators: answers(indicators),
        worker_override: None,
    });
    let a = then.case().file().assessments.last().unwrap().clone();
    (a.computed, a.level)
}

#[test]
fn r21_an_override_keeps_both_levels_and_its_reason() {
    let reason = text("Seen getting into cars with unknown adults after school");
    screened(&girl_in_leeds_area())
        .when(CaseCommand::AssessRisk {
            indicators: answers(&["missing_from_home"]),
            worker_override: Some(RiskOverride {
                level: RiskLevel::High,
                reason: reason.clone().into(),
            }),
        })
        .then_events(|events| {
            let CaseEvent::RiskAssessed { assessment } = &events[0] else {
                panic!("{events:?}")
            };
            assert_eq!(assessment.computed, RiskLevel::Low);
            assert_eq!(assessment.level, RiskLevel::High);
            // The reason is kept, confidential: read as the record stores it.
            assert_eq!(
                casework_testkit::stored::stored(&assessment.overridden.as_ref().unwrap().reason),
                casework_testkit::stored::stored(&reason)
            );
        })
        .then_case(|case| assert_eq!(case.file().current_risk(), Some(RiskLevel::High)));
}

#[test]
fn r21_without_an_override_the_computed_level_applies() {
    screened(&girl_in_leeds_area())
        .when(CaseCommand::AssessRisk {
            indicators: answers(&["missing_from_home"]),
            worker_override: None,
        })
        .then_case(|case| {
            let a = case.file().assessments.last().unwrap();
            assert_eq!((a.computed, a.level), (RiskLevel::Low, RiskLevel::Low));
            assert!(a.overridden.is_none());
        });
}

#[test]
fn r21_a_child_under_13_is_never_rated_low() {
    let twelve = YoungPersonDetails {
        date_of_birth: NaiveDate::from_ymd_opt(2013, 3, 3).unwrap(),
        ..girl_in_leeds_area()
    };
    assert_eq!(
        assessed_level(&twelve, &[]),
        (RiskLevel::Medium, RiskLevel::Medium)
    );
    let thirteen = YoungPersonDetails {
        date_of_birth: NaiveDate::from_ymd_opt(2013, 3, 2).unwrap(),
        ..girl_in_leeds_area()
    };
    assert_eq!(assessed_level(&thirteen, &[]).0, RiskLevel::Low);
}

#[test]
fn r21_a_learning_difficulty_is_never_rated_low() {
    let details = YoungPersonDetails {
        learning_difficulty: true,
        ..girl_in_leeds_area()
    };
    assert_eq!(assessed_level(&details, &[]).0, RiskLevel::Medium);
}

#[test]
fn r21_a_disclosure_is_high() {
    assert_eq!(
        assessed_level(&girl_in_leeds_area(), &["disclosure"]).0,
        RiskLevel::High
    );
}

#[test]
fn r12_every_assessment_is_kept_so_the_trend_is_known() {
    let review = |indicators: &[&str]| CaseCommand::RecordReview {
        indicators: answers(indicators),
        worker_override: None,
        decision: ReviewDecision::Continue,
    };
    let s = screened(&girl_in_leeds_area()).given(vec![
        CaseCommand::AssessRisk {
            indicators: answers(&["sexual_health", "unexplained_gifts"]),
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ]);
    let s = s.later(Duration::weeks(4)).given(vec![review(&[
        "missing_from_home",
        "school_absence",
        "older_boyfriend",
    ])]);
    let levels: Vec<_> = s
        .case()
        .file()
        .assessments
        .iter()
        .map(|a| a.level)
        .collect();
    assert_eq!(levels, [RiskLevel::High, RiskLevel::Medium]);
    assert_eq!(trend(&s.case().file().assessments), RiskTrend::Reducing);
    let s = s
        .later(Duration::weeks(6))
        .given(vec![review(&["disclosure"])]);
    assert_eq!(s.case().file().assessments.len(), 3);
    assert_eq!(trend(&s.case().file().assessments), RiskTrend::Rising);
}
