//! Subject access: everything held about a young person, as JSON and as readable text,
//! minus third parties' details, with the read recorded in the access log. Each test
//! runs on the memory store and on SQLite.

#[macro_use]
mod support;

use casework::case::consent::{ConsentDecision, ConsentScope};
use casework::case::{
    CaseCommand, ContactKind, ContactWith, Direction, NewReferral, Professional, ProfessionalKind,
    ReferralSource, SessionPlace,
};
use casework::intelligence::{IntelligenceLink, NewIntelligence, Urgency};
use casework::kernel::actor::Role;
use casework::kernel::clock::Clock;
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::{CaseId, ProfessionalId, WorkshopId, YoungPersonId};
use casework::kernel::input::Postcode;
use casework::memory::MemoryStore;
use casework::policy::topic::SessionTopic;
use casework::privacy::access::{Permission, Relationship};
use casework::privacy::access_log::AccessSubject;
use casework::privacy::disclosure::Audience;
use casework::sqlite::SqliteStore;
use casework::store::Store;
use casework::workshop::{
    AgeGroup, EvaluationAnswer, NewWorkshop, Respondent, Venue, VenueKind, WorkshopCommand,
};
use casework::young_person::{Gender, YoungPersonCommand, YoungPersonDetails};
use casework::AccessError;
use casework_testkit::desk::allocate_to;
use casework_testkit::fixtures::text;
use chrono::{Duration, NaiveDate};

const NAME: &str = "Zephyrine Quillfeather";
const PARENT: &str = "Marigold Thistlewood";
const PROFESSIONAL: &str = "Ottoline Bramblecourt";
const PROFESSIONAL_AGENCY: &str = "Fictional Children's Services";
const CONCERNS: &str = "Concern: seen getting into a silver car on Quarry Lane";
const PLAN: &str = "Plan: weekly walks to talk about the Quarry Lane car";
const NOTE: &str = "Note: talked about the man called Dexwell at the arcade";
const INTELLIGENCE: &str = "Intel: Dexwell drives a silver hatchback, plate ends 7QX";
const WORKER: &str = "Sam Worker";
const HER_WORKSHOP_CONCERN: &str = "Workshop concern: older lads wait for her at the arcade";
const HER_TUTORIAL: &str = "Tutorial: she named the flat above the arcade";
const HER_LEARNT: &str = "Learnt: gifts from the arcade lads come with a price";
const OTHER_NAME: &str = "Perpetua Fernwhistle";
const OTHER_CONCERN: &str = "Workshop concern: a man offers lifts from Saltmarsh bus station";
const OTHER_TUTORIAL: &str = "Tutorial: another girl talked about the Saltmarsh bus station";
const OTHER_LEARNT: &str = "Learnt: free lifts from Saltmarsh are not free";
const QUESTION: &str = "I know how grooming can start";
const SCHOOL: &str = "Fictional Academy";
const PURPOSE: &str = "Subject access request received by letter (fictional)";

/// The shared desk, every step an hour after the last.
type Desk<S> = support::HourlyDesk<S>;

impl<S: Store> Desk<S> {
    /// A girl referred by her parent, with a social worker involved: a plan, a session with
    /// its note, a call with the social worker, a share with consent, a missing episode, and
    /// intelligence about a possible perpetrator linked to her.
    async fn story(&self) -> (YoungPersonId, CaseId) {
        let person = self
            .cw
            .register_young_person(
                &self.worker,
                YoungPersonDetails {
                    name: text(NAME),
                    date_of_birth: NaiveDate::from_ymd_opt(2011, 5, 14).unwrap(),
                    gender: Gender::Female,
                    postcode: Postcode::parse("LS6 2AB").unwrap(),
                    learning_difficulty: false,
                    contact_preferences: vec![],
                },
            )
            .await
            .unwrap();
        let case = self
            .refer(
                person,
                NewReferral {
                    source: ReferralSource::ParentOrCarer { name: text(PARENT) },
                    concerns: NewConfidential::new(text(CONCERNS)),
                    received_at: self.clock.now(),
                },
            )
            .await;
        let consent = |scope| self.consent(scope, ConsentDecision::Given);
        let professional = Professional {
            id: ProfessionalId::new(),
            name: text(PROFESSIONAL),
            kind: ProfessionalKind::SocialWorker,
            agency: text(PROFESSIONAL_AGENCY),
        };
        let professional_id = professional.id;
        for command in [
            consent(ConsentScope::Referral),
            CaseCommand::RecordProfessional { professional },
            CaseCommand::Screen,
            CaseCommand::AssessRisk {
                indicators: vec!["older_boyfriend".into()],
                worker_override: None,
            },
            CaseCommand::AcceptForSupport,
            allocate_to(&self.worker),
            CaseCommand::AgreePlan {
                plan: NewConfidential::new(text(PLAN)),
            },
            CaseCommand::BeginWork,
            consent(ConsentScope::SharingWithReferrer),
        ] {
            self.run(case, command).await;
        }
        self.run(
            case,
            CaseCommand::PlanSession {
                planned_for: self.clock.now(),
                place: SessionPlace::YouthClub,
                place_chosen_by_young_person: true,
                topics: vec![SessionTopic::HealthyRelationships],
            },
        )
        .await;
        let session = self.cw.case(case).await.unwrap().file().activity.sessions[0].id;
        self.run(
            case,
            CaseCommand::HoldSession {
                session,
                held_at: self.clock.now() - Duration::minutes(30),
                duration_minutes: 45,
                place: None,
                topics: vec![SessionTopic::HealthyRelationships],
                resources: vec![],
                note: NewConfidential::new(text(NOTE)),
            },
        )
        .await;
        self.run(
            case,
            CaseCommand::RecordContact {
                kind: ContactKind::Call,
                direction: Direction::Outbound,
                with: ContactWith::Professional {
                    id: professional_id,
                },
                at: self.clock.now(),
            },
        )
        .await;
        self.cw
            .acting_as(&self.worker, &self.directory)
            .share(case, Audience::Referrer)
            .await
            .expect("shares with consent");
        let started_at = self.clock.now() - Duration::hours(3);
        self.cw
            .start_missing_episode(&self.worker, person, started_at)
            .await
            .unwrap();
        let episode = self
            .cw
            .young_person_activity(person)
            .await
            .unwrap()
            .open_episode()
            .unwrap()
            .id;
        self.cw
            .execute_for_young_person(
                &self.worker,
                person,
                YoungPersonCommand::EndMissingEpisode {
                    episode,
                    returned_at: self.clock.now(),
                },
            )
            .await
            .unwrap();
        self.cw
            .record_intelligence(
                &self.worker,
                NewIntelligence {
                    report: NewConfidential::new(text(INTELLIGENCE)),
                    urgency: Urgency::NonUrgent,
                    links: vec![
                        IntelligenceLink::YoungPerson(person),
                        IntelligenceLink::Case(case),
                    ],
                    learnt_at: self.clock.now(),
                },
            )
            .await
            .unwrap();
        self.clock.advance(Duration::days(1));
        (person, case)
    }
}

impl<S: Store> Desk<S> {
    /// Another registered girl.
    async fn other_girl(&self) -> YoungPersonId {
        self.cw
            .register_young_person(
                &self.worker,
                YoungPersonDetails {
                    name: text(OTHER_NAME),
                    date_of_birth: NaiveDate::from_ymd_opt(2011, 9, 3).unwrap(),
                    gender: Gender::Female,
                    postcode: Postcode::parse("LS7 1AA").unwrap(),
                    learning_difficulty: false,
                    contact_preferences: vec![],
                },
            )
            .await
            .unwrap()
    }

    /// A school workshop on the clock's day that `her` and `other` attend with ten anonymous
    /// attendees; both are identified as vulnerable and have a tutorial; both and one
    /// anonymous attendee return evaluation forms.
    async fn workshop(&self, her: YoungPersonId, other: YoungPersonId) -> WorkshopId {
        let id = self
            .cw
            .plan_workshop(
                &self.worker,
                NewWorkshop {
                    venue: Venue {
                        kind: VenueKind::School,
                        name: text(SCHOOL),
                    },
                    date: self.clock.now().date_naive(),
                    age_group: AgeGroup { min: 13, max: 16 },
                    topics: vec![SessionTopic::GroomingProcess],
                    programme: None,
                },
            )
            .await
            .unwrap();
        let form = |respondent, before, after, learnt: &str| WorkshopCommand::RecordEvaluation {
            respondent,
            answers: vec![EvaluationAnswer {
                question: text(QUESTION),
                before,
                after,
            }],
            learnt: Some(NewConfidential::new(text(learnt))),
        };
        let mut commands = vec![WorkshopCommand::RecordAttendance {
            young_people: vec![other, her],
            anonymous: 10,
        }];
        for (who, concern, note) in [
            (other, OTHER_CONCERN, OTHER_TUTORIAL),
            (her, HER_WORKSHOP_CONCERN, HER_TUTORIAL),
        ] {
            commands.push(WorkshopCommand::IdentifyVulnerable {
                young_person: who,
                concerns: NewConfidential::new(text(concern)),
            });
            commands.push(WorkshopCommand::HoldTutorial {
                young_person: who,
                held_at: self.clock.now(),
                duration_minutes: 40,
                note: NewConfidential::new(text(note)),
            });
        }
        commands.push(form(
            Respondent::YoungPerson { id: other },
            3,
            3,
            OTHER_LEARNT,
        ));
        commands.push(form(Respondent::YoungPerson { id: her }, 2, 5, HER_LEARNT));
        for command in commands {
            let name = command.name();
            self.cw
                .execute_workshop(&self.worker, id, command)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        id
    }
}

on_every_store!(
    r23_the_export_holds_her_own_part_in_a_workshop_and_nothing_about_the_others,
    |desk| {
        // Given her story, and a school workshop she and another registered girl attended,
        // each identified as vulnerable, with a tutorial and an evaluation form
        let (person, _) = desk.story().await;
        let other = desk.other_girl().await;
        let workshop = desk.workshop(person, other).await;
        // When an administrator exports everything held about her
        let export = desk
            .acting_as(&desk.admin)
            .subject_access_export(person, PURPOSE)
            .await
            .unwrap();
        let json = export.to_json();
        let readable = export.to_text();
        // Then the workshop is there with its date, venue, topics and size
        assert_eq!(export.workshops.len(), 1);
        let w = &export.workshops[0];
        assert_eq!(w.workshop_id, workshop);
        assert_eq!(w.venue_kind, VenueKind::School);
        assert_eq!(w.venue, SCHOOL);
        assert_eq!(w.topics, vec![SessionTopic::GroomingProcess.to_string()]);
        assert_eq!(w.attendees, 12);
        assert!(w.attended);
        // with her own part: why she was identified, her tutorial note, her own form
        assert_eq!(
            w.identified_vulnerable
                .as_ref()
                .map(|v| v.concerns.as_str()),
            Some(HER_WORKSHOP_CONCERN)
        );
        assert_eq!(w.tutorials.len(), 1);
        assert_eq!(w.tutorials[0].note, HER_TUTORIAL);
        assert_eq!(w.tutorials[0].duration_minutes, 40);
        let form = w.evaluation.as_ref().expect("her form");
        assert_eq!(form.learnt.as_deref(), Some(HER_LEARNT));
        assert_eq!(form.answers.len(), 1);
        assert_eq!(form.answers[0].question, QUESTION);
        assert_eq!((form.answers[0].before, form.answers[0].after), (2, 5));
        for own in [
            HER_WORKSHOP_CONCERN,
            HER_TUTORIAL,
            HER_LEARNT,
            SCHOOL,
            QUESTION,
        ] {
            assert!(json.contains(own), "JSON lacks {own}");
            assert!(readable.contains(own), "text lacks {own}:\n{readable}");
        }
        assert!(readable.contains("WORKSHOPS"), "{readable}");
        // and nothing about the other girl: not her id, name, concern, tutorial note or form
        let other_id = other.to_string();
        let other_uuid = other.as_uuid().to_string();
        for third_party in [
            other_id.as_str(),
            other_uuid.as_str(),
            OTHER_NAME,
            OTHER_CONCERN,
            OTHER_TUTORIAL,
            OTHER_LEARNT,
        ] {
            assert!(!json.contains(third_party), "JSON holds {third_party}");
            assert!(
                !readable.contains(third_party),
                "text holds {third_party}:\n{readable}"
            );
        }
        // and it says so
        let withheld = export.withheld.join("\n");
        assert!(
            withheld.contains("Other young people at your workshops are withheld"),
            "{withheld}"
        );
        // The other girl's export holds her own tutorial, and not this girl's
        let theirs = desk
            .acting_as(&desk.admin)
            .subject_access_export(other, PURPOSE)
            .await
            .unwrap()
            .to_json();
        assert!(theirs.contains(OTHER_TUTORIAL));
        assert!(!theirs.contains(HER_TUTORIAL));
        assert!(!theirs.contains(&person.as_uuid().to_string()));
    }
);

on_every_store!(
    r23_the_export_holds_her_own_records_and_leaves_out_third_parties,
    |desk| {
        // Given a girl referred by her parent, with a social worker involved and a session note
        let (person, case) = desk.story().await;
        // When an administrator exports everything held about her
        let export = desk
            .acting_as(&desk.admin)
            .subject_access_export(person, PURPOSE)
            .await
            .unwrap();
        let json = export.to_json();
        let readable = export.to_text();
        // Then it holds her own records, confidential content included
        for own in [NAME, CONCERNS, PLAN, NOTE, "2011-05-14", "LS6 2AB"] {
            assert!(json.contains(own), "JSON lacks {own}");
            assert!(readable.contains(own), "text lacks {own}:\n{readable}");
        }
        assert_eq!(export.cases.len(), 1);
        let record = &export.cases[0];
        assert_eq!(record.case_id, case);
        assert_eq!(record.sessions[0].note.as_deref(), Some(NOTE));
        assert_eq!(record.consent.len(), 2);
        assert_eq!(record.risk_assessments.len(), 1);
        assert_eq!(record.owed_actions.len(), 2);
        assert_eq!(record.allocations.len(), 1);
        assert_eq!(export.missing_episodes.len(), 1);
        assert_eq!(export.shares.len(), 1);
        assert_eq!(export.shares[0].shared_by, Role::Worker);
        // and the social worker by her kind and agency, not her name
        assert_eq!(
            record.professionals_involved,
            vec![format!("social worker at {PROFESSIONAL_AGENCY}")]
        );
        assert_eq!(
            record.contacts[0].with,
            "a professional involved in your case"
        );
        // but not her parent's name, the social worker's name, the worker's name, or the
        // intelligence about a possible perpetrator
        for third_party in [PARENT, PROFESSIONAL, WORKER, INTELLIGENCE, "Dexwell drives"] {
            assert!(!json.contains(third_party), "JSON holds {third_party}");
            assert!(
                !readable.contains(third_party),
                "text holds {third_party}:\n{readable}"
            );
        }
        // and it says what it left out, and why
        let withheld = export.withheld.join("\n");
        assert!(withheld.contains("parent or carer"), "{withheld}");
        assert!(withheld.contains("other professionals"), "{withheld}");
        assert!(
            withheld.contains(
                "Intelligence about possible perpetrators is withheld as third-party data"
            ),
            "{withheld}"
        );
        assert!(readable.contains("WHAT WE LEFT OUT"));
        assert!(readable.contains("R-19"));
    }
);

on_every_store!(r27_the_exports_read_is_in_the_access_log, |desk| {
    // Given her records
    let (person, _) = desk.story().await;
    // When an administrator exports them
    let admin = desk.acting_as(&desk.admin);
    let export = admin.subject_access_export(person, PURPOSE).await.unwrap();
    // Then the read is recorded in the access log, with who, in what role, and why
    let log = desk
        .acting_as(&desk.manager)
        .access_log(AccessSubject::YoungPerson {
            young_person: person,
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    let read = &log[0];
    assert_eq!(
        read.subject,
        AccessSubject::YoungPerson {
            young_person: person
        }
    );
    assert_eq!(read.staff, desk.admin.id);
    assert_eq!(read.role, Role::Administrator);
    assert_eq!(read.purpose.as_str(), PURPOSE);
    // and it was recorded before the content was read: the export lists its own read
    assert_eq!(export.record_reads.len(), 1);
    assert_eq!(export.record_reads[0].by, Role::Administrator);
    assert_eq!(export.record_reads[0].case_id, None);
    assert_eq!(export.record_reads[0].purpose, PURPOSE);
});

on_every_store!(
    r23_r27_an_administrator_reads_confidential_content_only_in_her_recorded_export,
    |desk| {
        // Given her records, with confidential content in them
        let (person, case) = desk.story().await;
        let admin = desk.acting_as(&desk.admin);
        let case_reads = || async {
            desk.acting_as(&desk.manager)
                .access_log(AccessSubject::Case {
                    case,
                    young_person: person,
                })
                .await
                .unwrap()
                .len()
        };
        let before = case_reads().await;
        // An administrator may not open her case's confidential record, and the
        // attempt reads and records nothing
        let denied = admin.open_record(case, PURPOSE).await.unwrap_err();
        assert_eq!(
            denied.denied().expect("an R-27 refusal").permission,
            Permission::ReadConfidential
        );
        assert_eq!(case_reads().await, before);
        // but the export made for her holds her own confidential content (R-23: everything
        // held about her), and its read is the one recorded, with its purpose
        let export = admin.subject_access_export(person, PURPOSE).await.unwrap();
        let record = &export.cases[0];
        assert_eq!(record.concerns, CONCERNS);
        assert_eq!(record.plan.as_deref(), Some(PLAN));
        assert_eq!(record.sessions[0].note.as_deref(), Some(NOTE));
        let reads = desk
            .acting_as(&desk.manager)
            .access_log(AccessSubject::YoungPerson {
                young_person: person,
            })
            .await
            .unwrap();
        assert_eq!(
            reads.len(),
            1,
            "the export's read, recorded; the refusal is not a read"
        );
        assert_eq!(reads[0].role, Role::Administrator);
        assert_eq!(reads[0].purpose.as_str(), PURPOSE);
    }
);

on_every_store!(
    r27_only_a_permitted_role_exports_and_a_purpose_is_required,
    |desk| {
        let (person, _) = desk.story().await;
        // Her allocated worker may not export, and nothing is logged
        let denied = desk
            .acting_as(&desk.worker)
            .subject_access_export(person, PURPOSE)
            .await
            .unwrap_err();
        let d = denied.denied().expect("an R-27 refusal");
        assert_eq!(d.permission, Permission::SubjectAccessExport);
        assert_eq!(d.relationship, Relationship::AllocatedWorker);
        assert!(d.to_string().contains("subject_access_export"), "{d}");
        // An administrator must say why
        match desk
            .acting_as(&desk.admin)
            .subject_access_export(person, " ")
            .await
        {
            Err(AccessError::Refused(e)) => {
                assert!(e.to_string().contains("purpose"), "{e}")
            }
            other => panic!("expected a refusal naming `purpose`, got {other:?}"),
        }
        let log = desk
            .acting_as(&desk.manager)
            .access_log(AccessSubject::YoungPerson {
                young_person: person,
            })
            .await
            .unwrap();
        assert!(log.is_empty(), "{log:?}");
    }
);

on_every_store!(r23_legal_holds_appear_in_the_export, |desk| {
    let (person, _) = desk.story().await;
    let admin = desk.acting_as(&desk.admin);
    admin
        .place_legal_hold(person, "Criminal proceedings (fictional)")
        .await
        .unwrap();
    let export = admin.subject_access_export(person, PURPOSE).await.unwrap();
    assert_eq!(export.legal_holds.len(), 1);
    assert_eq!(
        export.legal_holds[0].reason,
        "Criminal proceedings (fictional)"
    );
    let line = format!(
        "Legal hold from {}: Criminal proceedings (fictional)",
        export.legal_holds[0].placed_at.format("%Y-%m-%d")
    );
    let readable = export.to_text();
    assert!(readable.contains(&line), "{readable}");
});
