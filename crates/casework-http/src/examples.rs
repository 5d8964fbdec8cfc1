//! Request examples for the OpenAPI document: what a front end sends, one named example per
//! common request of an operation.
//!
//! Each is built from the typed value the route decodes and written the way the core writes
//! it (`to_json` of a command, serde of the details), so an example is valid by construction
//! and follows the wire format wherever it changes. Every name, date and id is fictional; the
//! ids are fixed, so the document is the same on every build. `tests/stories.rs` sends every
//! example to its route and checks that none is refused as bad input.

use casework_core::case::{
    CaseCommand, ClosureReason, ContactKind, ContactWith, Direction, Party, PauseReason,
    Professional, ProfessionalKind, ReferralSource, ReviewDecision, SessionPlace,
};
use casework_core::intelligence::{IntelligenceLink, Urgency};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{CaseId, OwedActionId, ProfessionalId, SessionId, StaffId};
use casework_core::kernel::input::{Postcode, Text};
use casework_core::policy::topic::SessionTopic;
use casework_core::workshop::{AgeGroup, NewWorkshop, Venue, VenueKind};
use casework_core::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// One example: its key in the document, a one-line summary, and the body.
pub(crate) struct Example {
    /// The key under `examples`.
    pub name: &'static str,
    /// What it shows.
    pub summary: &'static str,
    /// The request body.
    pub value: Value,
}

/// The request examples of the operation named `operation` (none for most reads).
pub(crate) fn request_examples(operation: &str) -> Vec<Example> {
    match operation {
        "register_young_person" => vec![example(
            "girl_in_the_city",
            "A 14-year-old girl in the service's area",
            serde_json::to_value(details()).expect("details serialize"),
        )],
        "refer_young_person" => referrals(),
        "case_command" => case_commands(),
        "young_person_command" => young_person_commands(),
        "plan_workshop" => vec![example(
            "school_workshop",
            "A workshop at a school for 13 to 15-year-olds",
            serde_json::to_value(workshop()).expect("a workshop serializes"),
        )],
        "record_intelligence" => vec![example(
            "immediate_risk",
            "Intelligence about a possible perpetrator, linked to a case, at immediate risk",
            json!({
                "report": "A car seen collecting girls outside the fictional youth club",
                "urgency": Urgency::ImmediateRisk,
                "links": [IntelligenceLink::Case(case())],
                "learnt_at": at(10),
            }),
        )],
        _ => Vec::new(),
    }
}

/// `{"name": {"summary": …, "value": …}}`, as an OpenAPI media type's `examples`.
pub(crate) fn examples_object(examples: Vec<Example>) -> Value {
    Value::Object(
        examples
            .into_iter()
            .map(|e| {
                (
                    e.name.to_owned(),
                    json!({ "summary": e.summary, "value": e.value }),
                )
            })
            .collect::<Map<String, Value>>(),
    )
}

fn example(name: &'static str, summary: &'static str, value: Value) -> Example {
    Example {
        name,
        summary,
        value,
    }
}

fn text(s: &str) -> Text {
    Text::parse("example", s).expect("example text is not empty")
}

/// A fixed time on the fictional day the examples happen.
fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
        .single()
        .expect("a valid time")
}

fn fixed(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

fn case() -> CaseId {
    CaseId::from_uuid(fixed(1))
}

fn worker() -> StaffId {
    StaffId::from_uuid(fixed(2))
}

fn details() -> YoungPersonDetails {
    YoungPersonDetails {
        name: text("Amy Example"),
        date_of_birth: NaiveDate::from_ymd_opt(2011, 5, 14).expect("a valid date"),
        gender: Gender::Female,
        postcode: Postcode::parse("LS6 2AB").expect("a valid postcode"),
        learning_difficulty: false,
        contact_preferences: Vec::new(),
    }
}

fn teacher() -> Professional {
    Professional {
        id: ProfessionalId::from_uuid(fixed(3)),
        name: text("Jo Teacher"),
        kind: ProfessionalKind::Teacher,
        agency: text("Fictional High School"),
    }
}

fn workshop() -> NewWorkshop {
    NewWorkshop {
        venue: Venue {
            kind: VenueKind::School,
            name: text("Fictional High School"),
        },
        date: NaiveDate::from_ymd_opt(2026, 3, 12).expect("a valid date"),
        age_group: AgeGroup { min: 13, max: 15 },
        topics: vec![SessionTopic::GroomingProcess],
        programme: None,
    }
}

fn referrals() -> Vec<Example> {
    let referral = |source: ReferralSource, concerns: &str| json!({ "source": source, "concerns": concerns, "received_at": at(9) });
    vec![
        example(
            "self_referral",
            "She referred herself: that is her consent (R-1)",
            referral(
                ReferralSource::SelfReferral,
                "Older man giving lifts and gifts",
            ),
        ),
        example(
            "professional",
            "A teacher's referral; the teacher becomes involved in the case",
            referral(
                ReferralSource::Professional {
                    professional: teacher(),
                },
                "Missing overnight twice this month",
            ),
        ),
    ]
}

fn command(name: &'static str, summary: &'static str, command: &CaseCommand) -> Example {
    example(
        name,
        summary,
        serde_json::from_str(&command.to_json()).expect("a command's JSON"),
    )
}

fn case_commands() -> Vec<Example> {
    vec![
        command(
            "screen",
            "Screen the referral for eligibility (R-2)",
            &CaseCommand::Screen,
        ),
        command(
            "assess_risk",
            "Assess risk with the service's tool, by its indicators (R-21)",
            &CaseCommand::AssessRisk {
                indicators: vec!["older_boyfriend".into()],
                worker_override: None,
            },
        ),
        command(
            "accept_for_support",
            "Accept the referral: needs the young person's consent (R-1)",
            &CaseCommand::AcceptForSupport,
        ),
        command(
            "allocate",
            "Allocate the case to a worker",
            &CaseCommand::Allocate {
                worker: worker(),
                worker_name: text("Sam Worker"),
                out_of_order_reason: None,
            },
        ),
        command(
            "reallocate",
            "Move the case to another worker, with the reason (R-25)",
            &CaseCommand::Reallocate {
                worker: StaffId::from_uuid(fixed(4)),
                worker_name: text("Kim Worker"),
                reason: text("Sam Worker is on long-term leave"),
            },
        ),
        command(
            "agree_plan",
            "Record the plan agreed with the young person (confidential, R-8)",
            &CaseCommand::AgreePlan {
                plan: NewConfidential::new(text("Weekly sessions on healthy relationships")),
            },
        ),
        command("begin_work", "Begin the work", &CaseCommand::BeginWork),
        command(
            "plan_session",
            "Plan a session at a place she chose; the answer's `created` names it",
            &CaseCommand::PlanSession {
                planned_for: at(16),
                place: SessionPlace::YouthClub,
                place_chosen_by_young_person: true,
                topics: vec![SessionTopic::GroomingProcess],
            },
        ),
        command(
            "hold_session",
            "Record a held session with its note (confidential, R-8)",
            &CaseCommand::HoldSession {
                session: SessionId::from_uuid(fixed(5)),
                held_at: at(16),
                duration_minutes: 60,
                place: None,
                topics: Vec::new(),
                resources: Vec::new(),
                note: NewConfidential::new(text("Talked about the lifts; she wants to stop them")),
            },
        ),
        command(
            "record_contact",
            "A phone call from the young person",
            &CaseCommand::RecordContact {
                kind: ContactKind::Call,
                direction: Direction::Inbound,
                with: ContactWith::YoungPerson,
                at: at(11),
            },
        ),
        command(
            "mark_action_sent",
            "Discharge something the service owes, with its reference (R-4, R-5)",
            &CaseCommand::MarkActionSent {
                action: OwedActionId::from_uuid(fixed(6)),
                reference: text("REF-0001"),
                sent_at: at(12),
            },
        ),
        command(
            "pause",
            "Pause the work: no contact for a while",
            &CaseCommand::Pause {
                reason: PauseReason::NoContact,
            },
        ),
        command("resume", "Resume the work", &CaseCommand::Resume),
        command(
            "record_review",
            "A review that proposes closure (R-12)",
            &CaseCommand::RecordReview {
                indicators: Vec::new(),
                worker_override: None,
                decision: ReviewDecision::ProposeClosure,
            },
        ),
        command(
            "record_agreement",
            "The young person agrees to the proposed closure (R-16)",
            &CaseCommand::RecordAgreement {
                party: Party::YoungPerson,
            },
        ),
        command(
            "close",
            "Close the case with its reason (R-15)",
            &CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        ),
    ]
}

fn young_person_commands() -> Vec<Example> {
    let person = |name, summary, command: &YoungPersonCommand| {
        example(
            name,
            summary,
            serde_json::from_str(&command.to_json()).expect("a command's JSON"),
        )
    };
    vec![
        person(
            "start_missing_episode",
            "She has gone missing: the return interview will be due 72 hours after her return (R-22)",
            &YoungPersonCommand::StartMissingEpisode { started_at: at(22) },
        ),
        person(
            "join_alumni",
            "Join the alumni group (R-20)",
            &YoungPersonCommand::JoinAlumni,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_decodes_as_its_route_decodes_it() {
        for e in request_examples("case_command") {
            CaseCommand::from_json(&e.value.to_string())
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
        }
        for e in request_examples("young_person_command") {
            YoungPersonCommand::from_json(&e.value.to_string())
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
        }
        for e in request_examples("refer_young_person") {
            casework_core::case::NewReferral::from_json(&e.value.to_string())
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
        }
        for e in request_examples("register_young_person") {
            serde_json::from_value::<YoungPersonDetails>(e.value).unwrap();
        }
        for e in request_examples("plan_workshop") {
            serde_json::from_value::<NewWorkshop>(e.value).unwrap();
        }
        for e in request_examples("record_intelligence") {
            serde_json::from_value::<casework_core::intelligence::NewIntelligence>(e.value)
                .unwrap();
        }
    }

    #[test]
    fn the_examples_are_the_same_on_every_build() {
        // Fixed ids: the document is the same on every build.
        assert_eq!(
            examples_object(request_examples("case_command")),
            examples_object(request_examples("case_command"))
        );
    }
}
