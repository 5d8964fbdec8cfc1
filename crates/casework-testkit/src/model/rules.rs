//! The model's profile: the example city girls' service's rules restated as plain data
//! ([`ModelRules`]: remit, risk tool, due times, review cadence, approvals), and [`age_on`].

use casework_core::policy::eligibility::IneligibilityKind;
use casework_core::policy::profile::{Approvals, ServiceProfile};
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, When, Window};
use casework_core::young_person::{Gender, YoungPersonDetails};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::BTreeSet;

/// The rules of the example city girls' service, restated as plain data for the model, with
/// which steps need a manager's approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRules {
    /// Youngest age served (completed years on the referral date), inclusive.
    pub min_age: u32,
    /// Oldest age served, inclusive.
    pub max_age: u32,
    /// Oldest age served where a learning difficulty is recorded, inclusive.
    pub max_age_with_learning_difficulty: u32,
    /// Genders served.
    pub genders: Vec<Gender>,
    /// Postcode areas covered (every district of each).
    pub areas: Vec<&'static str>,
    /// Single postcode districts covered.
    pub districts: Vec<&'static str>,
    /// Hours to notify the safeguarding unit, from the referral.
    pub safeguarding_unit_hours: i64,
    /// Hours to refer to duty social work, from the assessment.
    pub duty_social_work_hours: i64,
    /// Hours to tell the referrer the outcome.
    pub outcome_hours: i64,
    /// Days to the next review at Low, Medium and High risk.
    pub review_days: [i64; 3],
    /// Steps that need a manager's approval.
    pub approvals: Approvals,
}

impl ModelRules {
    /// The example city girls' service
    /// ([`casework_core::policy::profile::examples::city_girls_service`]) with `approvals`.
    pub fn city(approvals: Approvals) -> Self {
        ModelRules {
            min_age: 0,
            max_age: 18,
            max_age_with_learning_difficulty: 24,
            genders: vec![Gender::Female],
            areas: vec!["LS"],
            districts: vec!["WF10", "WF3"],
            safeguarding_unit_hours: 24,
            duty_social_work_hours: 24,
            outcome_hours: 72,
            review_days: [84, 42, 28],
            approvals,
        }
    }

    /// The profile the service under test runs with: the shipped example with the same
    /// approvals.
    pub fn service_profile(&self) -> ServiceProfile {
        let mut profile = casework_core::policy::profile::examples::city_girls_service();
        profile.approvals = self.approvals;
        profile
    }

    /// The calendar date of `at` where the service works: the example profile keeps UK time
    /// (`Europe/London`), so a referral at 00:30 BST is on the later day.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        casework_core::policy::time_zone::ServiceTimeZone::default().date_of(at)
    }

    /// Why a young person with `details` is outside the service on `date`; empty when
    /// eligible.
    pub fn ineligibility(
        &self,
        details: &YoungPersonDetails,
        date: NaiveDate,
    ) -> Vec<IneligibilityKind> {
        let age = age_on(details.date_of_birth, date);
        let max = if details.learning_difficulty {
            self.max_age_with_learning_difficulty
        } else {
            self.max_age
        };
        let outward = details
            .postcode
            .to_string()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let area: String = outward
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let covered =
            self.areas.iter().any(|a| *a == area) || self.districts.iter().any(|d| *d == outward);
        let mut kinds = Vec::new();
        if age < self.min_age {
            kinds.push(IneligibilityKind::TooYoung);
        }
        if age > max {
            kinds.push(IneligibilityKind::TooOld);
        }
        if !self.genders.contains(&details.gender) {
            kinds.push(IneligibilityKind::GenderNotServed);
        }
        if !covered {
            kinds.push(IneligibilityKind::OutsideArea);
        }
        kinds
    }

    /// The level the minimal risk tool computes, or the position of the first answer it
    /// refuses (an unknown or repeated indicator).
    pub fn risk_level(
        &self,
        answers: &[IndicatorAnswer],
        age: u32,
        learning_difficulty: bool,
    ) -> Result<RiskLevel, usize> {
        const VULNERABILITIES: [&str; 5] = [
            "missing_from_home",
            "school_absence",
            "older_boyfriend",
            "unexplained_gifts",
            "substance_misuse",
        ];
        const SIGNIFICANT: [&str; 3] = ["sexual_health", "taken_to_parties", "disclosure"];
        let mut seen = BTreeSet::new();
        let mut score = 0;
        let mut floor = RiskLevel::Low;
        for (i, answer) in answers.iter().enumerate() {
            let key = answer.key.as_str();
            let significant = SIGNIFICANT.contains(&key);
            if !significant && !VULNERABILITIES.contains(&key) {
                return Err(i);
            }
            if !seen.insert(key) {
                return Err(i);
            }
            let window = match answer.when {
                When::In(w) => w,
                When::LastSeen(_) => unimplemented!("the model's steps answer with windows"),
            };
            score += match (significant, window) {
                (false, Window::SixTo12Months) => 0,
                (false, _) => 1,
                (true, Window::SixTo12Months) => 1,
                (true, _) => 5,
            };
            if key == "disclosure" {
                floor = RiskLevel::High;
            }
        }
        if age < 13 || learning_difficulty {
            floor = floor.max(RiskLevel::Medium);
        }
        let banded = match score {
            0..=2 => RiskLevel::Low,
            3..=5 => RiskLevel::Medium,
            _ => RiskLevel::High,
        };
        Ok(banded.max(floor))
    }

    pub(super) fn review_days(&self, level: RiskLevel) -> i64 {
        match level {
            RiskLevel::Low => self.review_days[0],
            RiskLevel::Medium => self.review_days[1],
            RiskLevel::High => self.review_days[2],
        }
    }
}

/// Age in completed years on `date`; a 29 February birthday counts from 1 March.
pub fn age_on(date_of_birth: NaiveDate, date: NaiveDate) -> u32 {
    let mut years = date.year() - date_of_birth.year();
    if (date.month(), date.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}
