//! Group workshops in schools and youth clubs: date, age group and topics; attendance by young
//! people who may or may not be known to the service; individual tutorials for attendees
//! identified as vulnerable; evaluation forms (before/after answers) summarised as what was
//! learnt; a self-referral a workshop leads to links back to it.

use casework::config::shipped;
use casework::kernel::actor::Actor;
use casework::kernel::clock::ManualClock;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::context::CommandContext;
use casework::kernel::error::DomainError;
use casework::kernel::event::{DomainEvent, EventMeta, RecordedEvent};
use casework::kernel::ids::{EventId, StreamId, WorkshopId, YoungPersonId};
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::policy::profile::ServiceProfile;
use casework::policy::topic::SessionTopic;
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, Workshop,
    WorkshopCommand, WorkshopEvent,
};
use casework::young_person::YoungPersonDetails;
use casework::{Casework, CommandError, LoadError};
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, text};
use casework_testkit::stored::stored;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::sync::Arc;

fn team() -> ServiceProfile {
    shipped::profile("young-peoples-team").unwrap()
}

fn workshop_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn new_workshop() -> NewWorkshop {
    NewWorkshop {
        venue: Venue {
            kind: VenueKind::School,
            name: text("Fictional Academy"),
        },
        date: workshop_day(),
        age_group: AgeGroup { min: 13, max: 15 },
        topics: vec![SessionTopic::GroomingProcess, SessionTopic::InternetSafety],
        programme: Some("schools_workshops".into()),
    }
}

/// A given/when/then harness for workshops over the pure domain, like the case scenarios.
#[derive(Clone)]
struct Given {
    profile: ServiceProfile,
    actor: Actor,
    at: DateTime<Utc>,
    workshop: Workshop,
    history: Vec<WorkshopEvent>,
}

impl Given {
    fn planned() -> Self {
        let profile = team();
        let actor = fixtures::worker();
        let at = at(2, 9);
        let ctx = CommandContext::new(&actor, at, &profile);
        let event = Workshop::plan(WorkshopId::new(), new_workshop(), &ctx).unwrap();
        let workshop = Workshop::evolve(None, &event).unwrap();
        Given {
            profile: profile.clone(),
            actor: actor.clone(),
            at,
            workshop,
            history: vec![event],
        }
    }

    fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }

    fn when(
        &self,
        command: WorkshopCommand,
    ) -> Result<(Vec<WorkshopEvent>, Workshop), DomainError> {
        let ctx = CommandContext::new(&self.actor, self.at, &self.profile);
        let events = self.workshop.decide(command, &ctx)?;
        let mut state = self.workshop.clone();
        for e in &events {
            state = Workshop::evolve(Some(state), e).expect("decided events fold");
        }
        Ok((events, state))
    }

    fn given(mut self, command: WorkshopCommand) -> Self {
        let (events, state) = self.when(command).expect("a given is accepted");
        self.history.extend(events);
        self.workshop = state;
        self
    }

    fn refused_naming(&self, command: WorkshopCommand, field: &str) {
        match self.when(command) {
            Err(DomainError::Input(e)) => assert_eq!(e.field, field, "{e}"),
            other => panic!("expected bad input about `{field}`, got {other:?}"),
        }
    }
}

fn attendance(young_people: Vec<YoungPersonId>, anonymous: u32) -> WorkshopCommand {
    WorkshopCommand::RecordAttendance {
        young_people,
        anonymous,
    }
}

fn form(respondent: Respondent, before: u8, after: u8) -> WorkshopCommand {
    WorkshopCommand::RecordEvaluation {
        respondent,
        answers: vec![
            EvaluationAnswer {
                question: text("I know how grooming can start"),
                before,
                after,
            },
            EvaluationAnswer {
                question: text("I know who to tell if I am worried"),
                before: 3,
                after: 3,
            },
        ],
        learnt: Some(NewConfidential::new(text("Gifts can come with strings"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Planning.

#[test]
fn a_workshop_is_planned_at_a_school_or_youth_club_with_date_age_group_and_topics() {
    let given = Given::planned();
    assert_eq!(given.workshop.date, workshop_day());
    assert_eq!(given.workshop.venue.kind, VenueKind::School);
    assert_eq!(given.workshop.age_group, AgeGroup { min: 13, max: 15 });
    assert_eq!(given.workshop.reach(), 0);
}

#[test]
fn a_badly_planned_workshop_is_refused_naming_the_field() {
    let profile = team();
    let actor = fixtures::worker();
    let ctx = CommandContext::new(&actor, at(2, 9), &profile);
    let field = |details: NewWorkshop| match Workshop::plan(WorkshopId::new(), details, &ctx) {
        Err(DomainError::Input(e)) => e.field,
        other => panic!("expected bad input, got {other:?}"),
    };
    assert_eq!(
        field(NewWorkshop {
            age_group: AgeGroup { min: 16, max: 13 },
            ..new_workshop()
        }),
        "age_group.min"
    );
    assert_eq!(
        field(NewWorkshop {
            topics: vec![],
            ..new_workshop()
        }),
        "topics"
    );
    // Service topics come from the workshop programme.
    assert_eq!(
        field(NewWorkshop {
            topics: vec![
                SessionTopic::Sexting,
                SessionTopic::Service("Housing and independent living".into())
            ],
            ..new_workshop()
        }),
        "topics[1]"
    );
    assert_eq!(
        field(NewWorkshop {
            programme: Some("short_term".into()),
            ..new_workshop()
        }),
        "programme"
    );
}

// ---------------------------------------------------------------------------------------------
// Attendance, vulnerable attendees and tutorials.

#[test]
fn attendance_counts_registered_and_anonymous_young_people() {
    let amy = YoungPersonId::new();
    let bea = YoungPersonId::new();
    let given = Given::planned().at(at(10, 15));
    let held = given
        .clone()
        .given(attendance(vec![amy], 20))
        .given(attendance(vec![bea], 3));
    assert_eq!(held.workshop.reach(), 25);
    assert_eq!(held.workshop.attendees, vec![amy, bea]);
    // Not before the workshop's date; not twice; not nobody.
    Given::planned()
        .at(at(9, 15))
        .refused_naming(attendance(vec![amy], 20), "workshop");
    held.refused_naming(
        attendance(vec![YoungPersonId::new(), amy], 0),
        "young_people[1]",
    );
    given.refused_naming(attendance(vec![], 0), "young_people");
}

#[test]
fn individual_tutorials_are_for_attendees_identified_as_vulnerable() {
    let amy = YoungPersonId::new();
    let bea = YoungPersonId::new();
    let given = Given::planned()
        .at(at(10, 15))
        .given(attendance(vec![amy, bea], 18));
    let tutorial = |young_person, held_at| WorkshopCommand::HoldTutorial {
        young_person,
        held_at,
        duration_minutes: 30,
        note: NewConfidential::new(text("Agreed she can come to the project for a chat")),
    };
    // Not yet identified.
    given.refused_naming(tutorial(amy, at(10, 15)), "young_person");
    // Not at the workshop.
    given.refused_naming(
        WorkshopCommand::IdentifyVulnerable {
            young_person: YoungPersonId::new(),
            concerns: NewConfidential::new(text("Older friend buys her drink")),
        },
        "young_person",
    );
    let identified = given
        .given(WorkshopCommand::IdentifyVulnerable {
            young_person: amy,
            concerns: NewConfidential::new(text("Older friend buys her drink")),
        })
        .at(at(11, 13));
    let (events, state) = identified.when(tutorial(amy, at(11, 12))).unwrap();
    assert_eq!(events[0].event_type(), "workshop_tutorial_held");
    assert_eq!(state.tutorials.len(), 1);
    assert_eq!(format!("{:?}", state.tutorials[0].note), "[confidential]");
    identified.refused_naming(tutorial(bea, at(11, 12)), "young_person");
    identified.refused_naming(tutorial(amy, at(11, 14)), "held_at");
    identified.refused_naming(tutorial(amy, at(9, 12)), "held_at");
}

// ---------------------------------------------------------------------------------------------
// Evaluation forms.

#[test]
fn an_evaluation_for_a_young_person_not_at_the_workshop_is_refused_naming_the_field() {
    let amy = YoungPersonId::new();
    let given = Given::planned()
        .at(at(10, 15))
        .given(attendance(vec![amy], 2));
    given.refused_naming(
        form(
            Respondent::YoungPerson {
                id: YoungPersonId::new(),
            },
            2,
            4,
        ),
        "respondent.id",
    );
    // Anonymous forms cannot outnumber the anonymous attendees.
    let two = given
        .clone()
        .given(form(Respondent::Anonymous, 1, 4))
        .given(form(Respondent::Anonymous, 2, 2));
    two.refused_naming(form(Respondent::Anonymous, 3, 4), "respondent");
    // One form each; answers on the scale.
    let amy_done = given
        .clone()
        .given(form(Respondent::YoungPerson { id: amy }, 2, 5));
    amy_done.refused_naming(
        form(Respondent::YoungPerson { id: amy }, 2, 5),
        "respondent.id",
    );
    given.refused_naming(form(Respondent::Anonymous, 2, 6), "answers[0].after");
    given.refused_naming(form(Respondent::Anonymous, 0, 3), "answers[0].before");
}

#[test]
fn the_evaluation_summary_says_what_was_learnt() {
    let amy = YoungPersonId::new();
    let done = Given::planned()
        .at(at(10, 15))
        .given(attendance(vec![amy], 2))
        .given(form(Respondent::YoungPerson { id: amy }, 2, 5))
        .given(form(Respondent::Anonymous, 1, 4))
        .given(form(Respondent::Anonymous, 4, 3));
    let summary = done.workshop.evaluation_summary();
    assert_eq!(summary.attendees, 3);
    assert_eq!(summary.forms, 3);
    assert_eq!(summary.with_comments, 3);
    let grooming = &summary.questions[0];
    assert_eq!(grooming.responses, 3);
    assert_eq!((grooming.total_before, grooming.total_after), (7, 12));
    assert_eq!(
        (grooming.improved, grooming.unchanged, grooming.lower),
        (2, 0, 1)
    );
    assert!((grooming.mean_after() - 4.0).abs() < 1e-9);
    let telling = &summary.questions[1];
    assert_eq!(telling.unchanged, 3);
}

#[test]
fn a_workshops_events_fold_and_survive_storage() {
    let amy = YoungPersonId::new();
    let done = Given::planned()
        .at(at(10, 15))
        .given(attendance(vec![amy], 5))
        .given(WorkshopCommand::IdentifyVulnerable {
            young_person: amy,
            concerns: NewConfidential::new(text("Worried about an older boyfriend")),
        })
        .given(form(Respondent::Anonymous, 2, 4));
    assert_eq!(
        stored(&Workshop::fold(&done.history).unwrap()),
        stored(&Some(&done.workshop))
    );
    for (i, event) in done.history.iter().enumerate() {
        let new = casework::kernel::confidential::for_storage(|| {
            event.encode(EventMeta {
                event_id: EventId::new(),
                recorded_at: at(10, 15),
                actor: done.actor.clone(),
                reason: None,
            })
        });
        let stored = RecordedEvent {
            stream: StreamId::Case(casework::kernel::ids::CaseId::new()),
            version: i as u64 + 1,
            position: i as u64 + 1,
            event_type: new.event_type,
            schema_version: new.schema_version,
            payload: new.payload,
            meta: new.meta,
        };
        assert_eq!(
            casework_testkit::stored::stored(&WorkshopEvent::decode(&stored).unwrap()),
            casework_testkit::stored::stored(event)
        );
    }
    // An event that cannot follow is named.
    assert_eq!(Workshop::fold(&done.history[1..]).err(), Some(0));
}

// ---------------------------------------------------------------------------------------------
// A self-referral from a workshop links back to it.

#[tokio::test]
async fn a_self_referral_from_a_workshop_links_back_to_it() {
    let clock = Arc::new(ManualClock::starting_at(at(2, 9)));
    let cw = Casework::new(MemoryStore::new(), team()).with_clock(clock.clone());
    let worker = fixtures::worker();
    // The workshop is stored on its own stream; the referral names it by id.
    let id = cw.plan_workshop(&worker, new_workshop()).await.unwrap();
    let workshop = cw.workshop(id).await.unwrap();
    assert_eq!(workshop.date, workshop_day());
    clock.set(at(11, 9));
    let details = YoungPersonDetails {
        postcode: Postcode::parse("LE2 1XY").unwrap(),
        ..girl_in_leeds_area()
    };
    let yp = cw.register_young_person(&worker, details).await.unwrap();
    // Received before the workshop's date: refused, naming the field.
    match cw
        .receive_referral_from_workshop(&worker, yp, id, self_referral(at(9, 9)))
        .await
    {
        Err(CommandError::Rejected(DomainError::Input(e))) => assert_eq!(e.field, "received_at"),
        other => panic!("expected the early referral refused, got {other:?}"),
    }
    // A workshop that was never stored is not found.
    let unknown = WorkshopId::new();
    match cw
        .receive_referral_from_workshop(&worker, yp, unknown, self_referral(at(11, 9)))
        .await
    {
        Err(CommandError::Load(LoadError::NotFound(stream))) => {
            assert_eq!(stream, StreamId::Workshop(unknown))
        }
        other => panic!("expected an unknown workshop not found, got {other:?}"),
    }
    let case = cw
        .receive_referral_from_workshop(&worker, yp, id, self_referral(at(11, 9)))
        .await
        .unwrap();
    let opened = cw.case(case).await.unwrap();
    assert_eq!(opened.file().from_workshop, Some(workshop.id));
    let history = cw.history(case).await.unwrap();
    let line = history[0].event.describe();
    assert!(line.contains(&workshop.id.to_string()), "{line}");
    // A referral not from a workshop stores no link, so its JSON is as before.
    let mut plain = history[0].event.clone();
    if let casework::case::CaseEvent::ReferralReceived { from_workshop, .. } = &mut plain {
        *from_workshop = None;
    }
    assert!(
        !casework::kernel::confidential::for_storage(|| serde_json::to_string(&plain))
            .unwrap()
            .contains("from_workshop")
    );
}

// ---------------------------------------------------------------------------------------------
// Stored on its own stream.

#[tokio::test]
async fn a_workshop_is_stored_on_its_own_stream_and_its_commands_are_attributed() {
    let clock = Arc::new(ManualClock::starting_at(at(2, 9)));
    let cw = Casework::new(MemoryStore::new(), team()).with_clock(clock.clone());
    let worker = fixtures::worker();
    let id = cw.plan_workshop(&worker, new_workshop()).await.unwrap();
    let amy = YoungPersonId::new();
    // Bad input is refused naming the field, and nothing is written.
    clock.set(at(9, 15));
    match cw
        .execute_workshop(&worker, id, attendance(vec![amy], 20))
        .await
    {
        Err(CommandError::Rejected(DomainError::Input(e))) => assert_eq!(e.field, "workshop"),
        other => panic!("expected attendance before the day refused, got {other:?}"),
    }
    clock.set(at(10, 15));
    let done = cw
        .execute_workshop(&worker, id, attendance(vec![amy], 20))
        .await
        .unwrap();
    assert_eq!((done.version, done.state.reach()), (2, 21));
    let done = cw
        .execute_workshop(&worker, id, form(Respondent::YoungPerson { id: amy }, 2, 5))
        .await
        .unwrap();
    assert_eq!(done.version, 3);
    assert_eq!(stored(&cw.workshop(id).await.unwrap()), stored(&done.state));
    let history = cw.workshop_history(id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| r.event.event_type())
            .collect::<Vec<_>>(),
        vec![
            "workshop_planned",
            "workshop_attendance_recorded",
            "workshop_evaluation_recorded"
        ]
    );
    assert!(history.iter().all(|r| r.meta.actor == worker), "R-18");
    assert!(history.iter().all(|r| r.stream == StreamId::Workshop(id)));
    // A workshop no one planned is not found.
    match cw.workshop(WorkshopId::new()).await {
        Err(casework::LoadError::NotFound(StreamId::Workshop(_))) => {}
        other => panic!("expected not found, got {other:?}"),
    }
}

#[tokio::test]
async fn r27_tutorial_notes_are_read_through_a_recorded_read_by_workshop_staff_only() {
    use casework::kernel::actor::{Actor, Role};
    use casework::privacy::access::{Permission, StaffDirectory};
    use casework::privacy::access_log::AccessSubject;
    let clock = Arc::new(ManualClock::starting_at(at(2, 9)));
    let cw = Casework::new(MemoryStore::new(), team()).with_clock(clock.clone());
    let worker = fixtures::worker();
    let directory = StaffDirectory::new();
    let acting = cw.acting_as(&worker, &directory);
    // Given a workshop where Amy was identified as vulnerable and had a tutorial
    let id = acting.plan_workshop(new_workshop()).await.unwrap();
    let amy = YoungPersonId::new();
    clock.set(at(10, 15));
    acting
        .execute_workshop(id, attendance(vec![amy], 20))
        .await
        .unwrap();
    acting
        .execute_workshop(
            id,
            WorkshopCommand::IdentifyVulnerable {
                young_person: amy,
                concerns: NewConfidential::new(text("Older friend buys her drink")),
            },
        )
        .await
        .unwrap();
    acting
        .execute_workshop(
            id,
            WorkshopCommand::HoldTutorial {
                young_person: amy,
                held_at: at(10, 14),
                duration_minutes: 30,
                note: NewConfidential::new(text("Agreed she can come to the project for a chat")),
            },
        )
        .await
        .unwrap();
    // An auditor may not open it
    let auditor = Actor::new("Ida Auditor", Role::Auditor);
    let denied = cw
        .acting_as(&auditor, &directory)
        .open_workshop(id, "audit")
        .await
        .unwrap_err();
    assert_eq!(
        denied.denied().unwrap().permission,
        Permission::RunWorkshops
    );
    // The worker opens it, saying why, and reads the note
    let open = acting
        .open_workshop(id, "planning the follow-up")
        .await
        .unwrap();
    assert_eq!(
        open.tutorial_notes(),
        vec![(amy, "Agreed she can come to the project for a chat")]
    );
    // and the read is in the access log under the workshop
    let manager = Actor::manager("Alex Manager");
    let log = cw
        .acting_as(&manager, &directory)
        .access_log(AccessSubject::Workshop { workshop: id })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].purpose.as_str(), "planning the follow-up");
}
