//! How a case opens in the model: registering a young person, and receiving a referral (R-1,
//!

use crate::model::steps::fixed_text;
use crate::model::{age_on, ModelCase, ModelState, Prediction, Refusal, Resolved, Target};
use casework_core::case::consent::{ConsentDecision, ConsentGiver, ConsentScope};
use casework_core::case::owed::OwedActionKind;
use casework_core::case::{NewReferral, ReferralSource, StageName};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::young_person::YoungPersonDetails;
use chrono::Duration;

const STATUS_GIVEN: ConsentDecision = ConsentDecision::Given;

impl ModelState {
    pub(super) fn register(&mut self, details: &YoungPersonDetails) -> Prediction {
        let today = self.rules.local_date(self.now);
        if details.date_of_birth > today || age_on(details.date_of_birth, today) > 120 {
            return Prediction::Refused(Refusal::Input("date_of_birth".into()));
        }
        self.people.push(details.clone());
        Prediction::Accepted(vec!["young_person_registered"])
    }

    pub(super) fn refer(
        &mut self,
        person: Target,
        source: &ReferralSource,
        secs_ago: i64,
    ) -> (Resolved, Prediction, Option<usize>) {
        self.referrals += 1;
        let received_at = self.now
            - Duration::seconds(secs_ago)
            - Duration::microseconds(i64::from(self.referrals));
        let referral = NewReferral {
            source: source.clone(),
            concerns: NewConfidential::new(fixed_text("Seen getting into cars after school")),
            received_at,
        };
        let input = Resolved::Refer {
            person: person.index(),
            referral,
        };
        let Some(p) = person.index() else {
            return (input, Prediction::Refused(Refusal::NotFound), None);
        };
        let earlier = self.cases_of(p);
        if let Some(&open) = earlier.iter().find(|&&c| self.cases[c].in_progress()) {
            return (
                input,
                Prediction::Refused(Refusal::OpenCaseExists(open)),
                None,
            );
        }
        if received_at > self.now {
            return (
                input,
                Prediction::Refused(Refusal::Input("received_at".into())),
                None,
            );
        }
        let self_referral = matches!(source, ReferralSource::SelfReferral);
        let mut case = ModelCase {
            person: p,
            self_referral,
            subject: self.people[p].clone(),
            received_at,
            previous: earlier.last().copied(),
            stage: StageName::Received,
            version: 0,
            consent: Vec::new(),
            owed: Vec::new(),
            professionals: match source {
                ReferralSource::Professional { professional } => vec![professional.id],
                _ => Vec::new(),
            },
            screening: None,
            assessments: Vec::new(),
            approvals: Vec::new(),
            allocation: None,
            agreed: Vec::new(),
            outcome: None,
            closure: None,
            next_review_due: None,
        };
        let mut events = vec!["referral_received"];
        if self_referral {
            // A self-referral is consent.
            case.consent.push((
                ConsentScope::Referral,
                STATUS_GIVEN,
                ConsentGiver::YoungPerson,
            ));
            events.push("consent_recorded");
        }
        // Every referral owes the safeguarding unit a notification.
        case.owe(
            OwedActionKind::NotifySafeguardingUnit,
            received_at + Duration::hours(self.rules.safeguarding_unit_hours),
        );
        events.push("owed_action_raised");
        case.version = events.len() as u64;
        self.cases.push(case);
        (
            input,
            Prediction::Accepted(events),
            Some(self.cases.len() - 1),
        )
    }
}
