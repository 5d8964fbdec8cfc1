//! Group workshops in schools and youth clubs (lifecycle 5; R-29 workshop reach).
//!
//! A workshop raises awareness of sexual exploitation with a group identified by a school or a
//! youth club: a date, an age group and topics. Attendees may or may not be known to the
//! service: registered young people are recorded by id, everyone else as an anonymous count.
//! Attendees identified as vulnerable can be offered individual tutorials, and at the end
//! attendees fill in evaluation forms (before/after answers), summarised as what was learnt
//! ([`Workshop::evaluation_summary`]). A self-referral a workshop leads to links back to it
//! ([`crate::case::Received::open_from_workshop`]).
//!
//! The workshop is an event-sourced aggregate of its own, apart from any case: a workshop
//! holds no case's record, and a case only the workshop's id. Its events are typed, versioned
//! and documented like every other ([`crate::kernel::event::WORKSHOP_EVENT_TYPES`]); the stores do not
//! hold them yet, which needs a `workshop` stream kind and read-model rows of its own, so for
//! now the caller keeps a workshop's events and folds them with [`Workshop::fold`].
//!
//! Why one module of this size: a workshop's commands, events, state and decisions form one small
//! aggregate whose parts are read together; splitting them would scatter one state machine.

use crate::kernel::confidential::{Confidential, NewConfidential};
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{WorkshopId, YoungPersonId};
use crate::kernel::input::{quoted, InputError, Text};
use crate::kernel::tag::kind_tagged;
use crate::policy::programme::{Programme, ProgrammeKind};
use crate::policy::topic::{check_topics, SessionTopic};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a workshop is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    /// A school.
    School,
    /// A youth club.
    YouthClub,
}

impl VenueKind {
    /// The stable name: `school`, `youth_club`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            VenueKind::School => "school",
            VenueKind::YouthClub => "youth_club",
        }
    }
}

/// The school or youth club.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Venue {
    /// School or youth club.
    pub kind: VenueKind,
    /// Its name (visible: an organisation's).
    pub name: Text,
}

/// The ages a workshop is for, in completed years, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AgeGroup {
    /// Youngest.
    pub min: u32,
    /// Oldest.
    pub max: u32,
}

impl fmt::Display for AgeGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// A workshop as planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWorkshop {
    /// Where.
    pub venue: Venue,
    /// On what date.
    pub date: NaiveDate,
    /// For what ages.
    pub age_group: AgeGroup,
    /// The topics (the vocabulary's or the programme's own).
    pub topics: Vec<SessionTopic>,
    /// The service's workshop programme it belongs to, by key.
    #[serde(default)]
    pub programme: Option<String>,
}

/// Who filled in an evaluation form.
///
/// Tagged `kind`; the tag `respondent` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Respondent {
    /// A registered young person who attended.
    YoungPerson {
        /// Who.
        id: YoungPersonId,
    },
    /// One of the anonymous attendees.
    Anonymous,
}

kind_tagged!(Respondent, "respondent");

/// One question of an evaluation form, answered before and after the workshop on a scale of
/// 1 (not at all) to 5 (very much).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EvaluationAnswer {
    /// The question (`"I know how grooming starts"`; visible: the service's own form).
    pub question: Text,
    /// The answer before the workshop, 1 to 5.
    pub before: u8,
    /// The answer after, 1 to 5.
    pub after: u8,
}

/// An evaluation form.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Who filled it in.
    pub respondent: Respondent,
    /// The answers.
    pub answers: Vec<EvaluationAnswer>,
    /// What they say they learnt, in their words (confidential: a form can disclose).
    pub learnt: Option<Confidential<Text>>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// An individual tutorial with an attendee identified as vulnerable.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tutorial {
    /// With whom.
    pub young_person: YoungPersonId,
    /// When.
    pub held_at: DateTime<Utc>,
    /// How long, in minutes.
    pub duration_minutes: u32,
    /// What was said (confidential, R-8).
    pub note: Confidential<Text>,
}

/// What happened at or after a workshop.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkshopEvent {
    /// A workshop was planned.
    #[serde(rename = "workshop_planned")]
    Planned {
        /// Its id.
        workshop: WorkshopId,
        /// The workshop.
        details: NewWorkshop,
        /// When planned.
        at: DateTime<Utc>,
    },
    /// Attendance was recorded (more can be added).
    #[serde(rename = "workshop_attendance_recorded")]
    AttendanceRecorded {
        /// Registered young people who attended.
        young_people: Vec<YoungPersonId>,
        /// Attendees not known to the service.
        anonymous: u32,
        /// When recorded.
        at: DateTime<Utc>,
    },
    /// An attendee was identified as vulnerable to exploitation.
    #[serde(rename = "workshop_attendee_identified_vulnerable")]
    AttendeeIdentifiedVulnerable {
        /// Who.
        young_person: YoungPersonId,
        /// Why (confidential).
        concerns: Confidential<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// An individual tutorial was held with a vulnerable attendee.
    #[serde(rename = "workshop_tutorial_held")]
    TutorialHeld {
        /// The tutorial.
        tutorial: Tutorial,
    },
    /// An evaluation form was recorded.
    #[serde(rename = "workshop_evaluation_recorded")]
    EvaluationRecorded {
        /// The form.
        evaluation: Evaluation,
    },
}

/// A command to a workshop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkshopCommand {
    /// Record who attended: registered young people, and a count of everyone else.
    RecordAttendance {
        /// Registered young people.
        #[serde(default)]
        young_people: Vec<YoungPersonId>,
        /// Everyone else.
        #[serde(default)]
        anonymous: u32,
    },
    /// Identify a registered attendee as vulnerable, with the concerns.
    IdentifyVulnerable {
        /// Who.
        young_person: YoungPersonId,
        /// Why (confidential).
        concerns: NewConfidential,
    },
    /// Record an individual tutorial with an attendee identified as vulnerable.
    HoldTutorial {
        /// With whom.
        young_person: YoungPersonId,
        /// When.
        held_at: DateTime<Utc>,
        /// How long, in minutes (1 to 240).
        duration_minutes: u32,
        /// What was said (confidential).
        note: NewConfidential,
    },
    /// Record an evaluation form from an attendee.
    RecordEvaluation {
        /// Who filled it in.
        respondent: Respondent,
        /// The answers.
        answers: Vec<EvaluationAnswer>,
        /// What they learnt, in their words (confidential).
        #[serde(default)]
        learnt: Option<NewConfidential>,
    },
}

impl WorkshopCommand {
    /// The command's stable name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            WorkshopCommand::RecordAttendance { .. } => "record_attendance",
            WorkshopCommand::IdentifyVulnerable { .. } => "identify_vulnerable",
            WorkshopCommand::HoldTutorial { .. } => "hold_tutorial",
            WorkshopCommand::RecordEvaluation { .. } => "record_evaluation",
        }
    }

    /// Decodes a command from JSON, as a front end or an import sends it: the flat form
    /// `{"command": "record_attendance", "young_people": […], "anonymous": 20}` or serde's
    /// own, exactly as [`crate::case::CaseCommand::from_json`] does. Refuses, naming the
    /// field: malformed JSON, unknown commands, fields or values, invalid values, and any
    /// claim that engagement is a statutory-plan requirement.
    ///
    /// # Errors
    ///
    /// - [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at any
    ///   depth, claims a statutory-plan requirement ([`crate::case::reject_statutory_claims`]).
    /// - [`DomainError::Input`] (`bad_input`) naming the field when the JSON is malformed, the
    ///   command is missing or unknown, a field is missing, unknown or of the wrong type, or a
    ///   value is invalid.
    pub fn from_json(json: &str) -> Result<WorkshopCommand, DomainError> {
        crate::case::decode_command(json)
    }

    /// The flat JSON form: `{"command": "record_attendance", …}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::case::encode_command(self)
    }
}

impl NewWorkshop {
    /// Decodes a workshop to plan from JSON (`{"venue": {…}, "date": "2026-03-10", …}`),
    /// naming the field of any problem.
    ///
    /// # Errors
    ///
    /// - [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at any
    ///   depth, claims a statutory-plan requirement ([`crate::case::reject_statutory_claims`]).
    /// - [`DomainError::Input`] (`bad_input`) naming the field when the JSON is malformed, a field
    ///   is missing or of the wrong type, or a value is invalid.
    pub fn from_json(json: &str) -> Result<NewWorkshop, DomainError> {
        let value = crate::case::parse_refusing_statutory_claims(json)?;
        Ok(crate::kernel::input::decode_value(value)?)
    }
}

/// A workshop: the fold of its events.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Workshop {
    /// Its id.
    pub id: WorkshopId,
    /// Where.
    pub venue: Venue,
    /// On what date.
    pub date: NaiveDate,
    /// For what ages.
    pub age_group: AgeGroup,
    /// The topics.
    pub topics: Vec<SessionTopic>,
    /// The workshop programme.
    pub programme: Option<String>,
    /// When planned.
    pub planned_at: DateTime<Utc>,
    /// Registered young people who attended.
    pub attendees: Vec<YoungPersonId>,
    /// Attendees not known to the service.
    pub anonymous_attendees: u32,
    /// Attendees identified as vulnerable.
    pub vulnerable: Vec<YoungPersonId>,
    /// Individual tutorials.
    pub tutorials: Vec<Tutorial>,
    /// Evaluation forms.
    pub evaluations: Vec<Evaluation>,
}

/// One question's answers across a workshop's forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuestionSummary {
    /// The question.
    pub question: Text,
    /// How many answered it.
    pub responses: u32,
    /// The sum of the answers before (for the mean).
    pub total_before: u32,
    /// The sum of the answers after.
    pub total_after: u32,
    /// How many answered higher after than before.
    pub improved: u32,
    /// How many answered the same.
    pub unchanged: u32,
    /// How many answered lower.
    pub lower: u32,
}

impl QuestionSummary {
    /// The mean answer before the workshop.
    #[must_use]
    pub fn mean_before(&self) -> f64 {
        f64::from(self.total_before) / f64::from(self.responses.max(1))
    }

    /// The mean answer after.
    #[must_use]
    pub fn mean_after(&self) -> f64 {
        f64::from(self.total_after) / f64::from(self.responses.max(1))
    }
}

/// What a workshop's evaluation forms say was learnt (R-29: workshop reach and evaluation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EvaluationSummary {
    /// Attendees, registered and anonymous.
    pub attendees: u32,
    /// Forms returned.
    pub forms: u32,
    /// Forms with the attendee's own words on what they learnt.
    pub with_comments: u32,
    /// Each question, in the order first asked.
    pub questions: Vec<QuestionSummary>,
}

impl Workshop {
    /// Decides planning a workshop: the age group the right way round, at least one topic,
    /// topics from the vocabulary or the workshop programme's, and a programme that is a
    /// workshop programme of the service.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): naming the field, when the details break the profile's input
    /// limits, or hold a NUL or a year outside the years kept
    /// ([`InputLimits::check`](crate::policy::limits::InputLimits::check)), before anything else;
    /// on `age_group.min` when it is more than
    /// `age_group.max`; on `topics` when there are none; on `programme` when it is not one of the
    /// service's programmes or not a workshop programme; on `topics[i]` when a service-defined
    /// topic is not one the workshop programme (or, with none named, any of the service's workshop
    /// programmes) lists ([`check_topics`]).
    pub fn plan(
        id: WorkshopId,
        details: NewWorkshop,
        ctx: &CommandContext<'_>,
    ) -> Result<WorkshopEvent, DomainError> {
        ctx.profile.limits.check(&details)?;
        if details.age_group.min > details.age_group.max {
            return Err(InputError::new(
                "age_group.min",
                format!(
                    "{} is more than max {}",
                    details.age_group.min, details.age_group.max
                ),
            )
            .into());
        }
        if details.topics.is_empty() {
            return Err(InputError::new("topics", "name at least one topic").into());
        }
        let offered: Vec<&Programme> = match &details.programme {
            Some(key) => {
                let programme = ctx.profile.programme(key).ok_or_else(|| {
                    InputError::new(
                        "programme",
                        format!("{} is not one of the service's programmes", quoted(key)),
                    )
                })?;
                if programme.kind != ProgrammeKind::Workshops {
                    return Err(InputError::new(
                        "programme",
                        format!("{} is not a workshop programme", quoted(key)),
                    )
                    .into());
                }
                vec![programme]
            }
            None => ctx
                .profile
                .programmes
                .iter()
                .filter(|p| p.kind == ProgrammeKind::Workshops)
                .collect(),
        };
        check_topics("topics", &details.topics, offered)?;
        Ok(WorkshopEvent::Planned {
            workshop: id,
            details,
            at: ctx.at,
        })
    }

    /// Decides a command.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`), naming the field:
    ///
    /// - any command: when the command breaks the profile's input limits, or holds a NUL or a year outside the
    ///   years kept ([`InputLimits::check`](crate::policy::limits::InputLimits::check)), before
    ///   anything else.
    /// - `record_attendance`: on `workshop` when the command's date is before the workshop's date;
    ///   on `young_people` when no attendee is given, registered or anonymous; on `young_people[i]`
    ///   when that young person is already recorded as attending, or listed twice.
    /// - `identify_vulnerable`: on `young_person` when they are not recorded as attending, or are
    ///   already identified as vulnerable.
    /// - `hold_tutorial`: on `young_person` when they are not recorded as attending or not
    ///   identified as vulnerable; on `held_at` when its date is before the workshop's or it is
    ///   later than the command's time; on `duration_minutes` when it is not 1 to 240.
    /// - `record_evaluation`: on `workshop` when the command's date is before the workshop's date;
    ///   on `respondent.id` when the young person is not recorded as attending or has already
    ///   returned a form; on `respondent` when an anonymous form would outnumber the anonymous
    ///   attendees; on `answers` when there are none; on `answers[i].before` or `answers[i].after`
    ///   when a value is not 1 to 5.
    pub fn decide(
        &self,
        command: WorkshopCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<WorkshopEvent>, DomainError> {
        ctx.profile.limits.check_command(&command)?;
        let not_before_workshop = |field: &str, at: DateTime<Utc>| -> Result<(), InputError> {
            if ctx.profile.local_date(at) < self.date {
                return Err(InputError::new(
                    field,
                    format!("{at} is before the workshop's date ({})", self.date),
                ));
            }
            Ok(())
        };
        match command {
            WorkshopCommand::RecordAttendance {
                young_people,
                anonymous,
            } => {
                not_before_workshop("workshop", ctx.at)?;
                if young_people.is_empty() && anonymous == 0 {
                    return Err(InputError::new(
                        "young_people",
                        "record at least one attendee, registered or anonymous",
                    )
                    .into());
                }
                for (i, yp) in young_people.iter().enumerate() {
                    if self.attendees.contains(yp) || young_people[..i].contains(yp) {
                        return Err(InputError::new(
                            format!("young_people[{i}]"),
                            format!("{yp} is already recorded as attending"),
                        )
                        .into());
                    }
                }
                Ok(vec![WorkshopEvent::AttendanceRecorded {
                    young_people,
                    anonymous,
                    at: ctx.at,
                }])
            }
            WorkshopCommand::IdentifyVulnerable {
                young_person,
                concerns,
            } => {
                self.attended("young_person", young_person)?;
                if self.vulnerable.contains(&young_person) {
                    return Err(InputError::new(
                        "young_person",
                        format!("{young_person} is already identified as vulnerable"),
                    )
                    .into());
                }
                Ok(vec![WorkshopEvent::AttendeeIdentifiedVulnerable {
                    young_person,
                    concerns: concerns.seal(),
                    at: ctx.at,
                }])
            }
            WorkshopCommand::HoldTutorial {
                young_person,
                held_at,
                duration_minutes,
                note,
            } => {
                self.attended("young_person", young_person)?;
                if !self.vulnerable.contains(&young_person) {
                    return Err(InputError::new(
                        "young_person",
                        format!("{young_person} has not been identified as vulnerable: individual tutorials are for those who have"),
                    )
                    .into());
                }
                not_before_workshop("held_at", held_at)?;
                if held_at > ctx.at {
                    return Err(InputError::new(
                        "held_at",
                        format!("{held_at} is in the future (now is {})", ctx.at),
                    )
                    .into());
                }
                if !(1..=240).contains(&duration_minutes) {
                    return Err(InputError::new(
                        "duration_minutes",
                        format!(
                            "{duration_minutes} is not a tutorial length: give 1 to 240 minutes"
                        ),
                    )
                    .into());
                }
                Ok(vec![WorkshopEvent::TutorialHeld {
                    tutorial: Tutorial {
                        young_person,
                        held_at,
                        duration_minutes,
                        note: note.seal(),
                    },
                }])
            }
            WorkshopCommand::RecordEvaluation {
                respondent,
                answers,
                learnt,
            } => {
                not_before_workshop("workshop", ctx.at)?;
                match &respondent {
                    Respondent::YoungPerson { id } => {
                        self.attended("respondent.id", *id)?;
                        if self.evaluations.iter().any(|e| e.respondent == respondent) {
                            return Err(InputError::new(
                                "respondent.id",
                                format!("{id} has already returned an evaluation form"),
                            )
                            .into());
                        }
                    }
                    Respondent::Anonymous => {
                        let returned = self
                            .evaluations
                            .iter()
                            .filter(|e| e.respondent == Respondent::Anonymous)
                            .count();
                        if returned >= self.anonymous_attendees as usize {
                            return Err(InputError::new(
                                "respondent",
                                format!(
                                    "{returned} anonymous forms are already recorded for {} anonymous attendees: an evaluation comes from someone at the workshop",
                                    self.anonymous_attendees
                                ),
                            )
                            .into());
                        }
                    }
                }
                if answers.is_empty() {
                    return Err(InputError::new("answers", "give at least one answer").into());
                }
                for (i, a) in answers.iter().enumerate() {
                    for (field, value) in [("before", a.before), ("after", a.after)] {
                        if !(1..=5).contains(&value) {
                            return Err(InputError::new(
                                format!("answers[{i}].{field}"),
                                format!("{value} is not on the scale of 1 to 5"),
                            )
                            .into());
                        }
                    }
                }
                Ok(vec![WorkshopEvent::EvaluationRecorded {
                    evaluation: Evaluation {
                        respondent,
                        answers,
                        learnt: learnt.map(NewConfidential::seal),
                        at: ctx.at,
                    },
                }])
            }
        }
    }

    fn attended(&self, field: &str, young_person: YoungPersonId) -> Result<(), InputError> {
        if self.attendees.contains(&young_person) {
            Ok(())
        } else {
            Err(InputError::new(
                field,
                format!("{young_person} is not recorded as attending this workshop"),
            ))
        }
    }

    /// Folds one event; `None` when it cannot follow (the first event is always the plan).
    #[must_use]
    pub fn evolve(state: Option<Workshop>, event: &WorkshopEvent) -> Option<Workshop> {
        match (state, event) {
            (
                None,
                WorkshopEvent::Planned {
                    workshop,
                    details,
                    at,
                },
            ) => Some(Workshop {
                id: *workshop,
                venue: details.venue.clone(),
                date: details.date,
                age_group: details.age_group,
                topics: details.topics.clone(),
                programme: details.programme.clone(),
                planned_at: *at,
                attendees: Vec::new(),
                anonymous_attendees: 0,
                vulnerable: Vec::new(),
                tutorials: Vec::new(),
                evaluations: Vec::new(),
            }),
            (
                Some(mut w),
                WorkshopEvent::AttendanceRecorded {
                    young_people,
                    anonymous,
                    ..
                },
            ) => {
                w.attendees.extend(young_people.iter().copied());
                w.anonymous_attendees += anonymous;
                Some(w)
            }
            (Some(mut w), WorkshopEvent::AttendeeIdentifiedVulnerable { young_person, .. }) => {
                w.vulnerable.push(*young_person);
                Some(w)
            }
            (Some(mut w), WorkshopEvent::TutorialHeld { tutorial }) => {
                w.tutorials.push(tutorial.clone());
                Some(w)
            }
            (Some(mut w), WorkshopEvent::EvaluationRecorded { evaluation }) => {
                w.evaluations.push(evaluation.clone());
                Some(w)
            }
            _ => None,
        }
    }

    /// Folds a whole history; `Err(i)` names the first event that cannot follow.
    ///
    /// # Errors
    ///
    /// `Err(i)`, the index of the first event that cannot follow the ones before it
    /// ([`Workshop::evolve`] returns `None`): a first event other than the plan, or a second plan.
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a WorkshopEvent>,
    ) -> Result<Option<Workshop>, usize> {
        let mut state = None;
        for (i, event) in events.into_iter().enumerate() {
            state = Some(Workshop::evolve(state, event).ok_or(i)?);
        }
        Ok(state)
    }

    /// How many attended: registered and anonymous (R-29: workshop reach).
    #[must_use]
    pub fn reach(&self) -> u32 {
        u32::try_from(self.attendees.len()).unwrap_or(u32::MAX) + self.anonymous_attendees
    }

    /// What the evaluation forms say was learnt: per question, how many answered, the totals
    /// before and after, and how many answered higher, the same or lower after the workshop.
    #[must_use]
    pub fn evaluation_summary(&self) -> EvaluationSummary {
        let mut questions: Vec<QuestionSummary> = Vec::new();
        for answer in self.evaluations.iter().flat_map(|e| &e.answers) {
            let index = match questions.iter().position(|q| q.question == answer.question) {
                Some(i) => i,
                None => {
                    questions.push(QuestionSummary {
                        question: answer.question.clone(),
                        responses: 0,
                        total_before: 0,
                        total_after: 0,
                        improved: 0,
                        unchanged: 0,
                        lower: 0,
                    });
                    questions.len() - 1
                }
            };
            let q = &mut questions[index];
            q.responses += 1;
            q.total_before += u32::from(answer.before);
            q.total_after += u32::from(answer.after);
            match answer.after.cmp(&answer.before) {
                std::cmp::Ordering::Greater => q.improved += 1,
                std::cmp::Ordering::Equal => q.unchanged += 1,
                std::cmp::Ordering::Less => q.lower += 1,
            }
        }
        EvaluationSummary {
            attendees: self.reach(),
            forms: u32::try_from(self.evaluations.len()).unwrap_or(u32::MAX),
            with_comments: u32::try_from(
                self.evaluations
                    .iter()
                    .filter(|e| e.learnt.is_some())
                    .count(),
            )
            .unwrap_or(u32::MAX),
            questions,
        }
    }
}

impl WorkshopEvent {
    /// The id, as displayed, of what this event brought into being: the workshop it plans;
    /// `None` for any other event.
    #[must_use]
    pub fn created(&self) -> Option<String> {
        match self {
            WorkshopEvent::Planned { workshop, .. } => Some(workshop.to_string()),
            WorkshopEvent::AttendanceRecorded { .. }
            | WorkshopEvent::AttendeeIdentifiedVulnerable { .. }
            | WorkshopEvent::TutorialHeld { .. }
            | WorkshopEvent::EvaluationRecorded { .. } => None,
        }
    }

    /// The stable type name stored with the event.
    #[must_use]
    pub fn event_type(&self) -> &'static str {
        match self {
            WorkshopEvent::Planned { .. } => "workshop_planned",
            WorkshopEvent::AttendanceRecorded { .. } => "workshop_attendance_recorded",
            WorkshopEvent::AttendeeIdentifiedVulnerable { .. } => {
                "workshop_attendee_identified_vulnerable"
            }
            WorkshopEvent::TutorialHeld { .. } => "workshop_tutorial_held",
            WorkshopEvent::EvaluationRecorded { .. } => "workshop_evaluation_recorded",
        }
    }
}

impl crate::aggregate::Aggregate for Workshop {
    type Id = WorkshopId;
    type Command = WorkshopCommand;
    type Event = WorkshopEvent;

    fn stream(id: WorkshopId) -> crate::kernel::ids::StreamId {
        crate::kernel::ids::StreamId::Workshop(id)
    }
    fn key_owner(&self) -> Option<crate::privacy::key_store::KeyOwner> {
        Some(crate::privacy::key_store::KeyOwner::Workshop(self.id))
    }
    fn evolve(state: Option<Self>, event: &WorkshopEvent) -> Option<Self> {
        Workshop::evolve(state, event)
    }
    fn decide(
        &self,
        command: WorkshopCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<WorkshopEvent>, DomainError> {
        Workshop::decide(self, command, ctx)
    }
    fn command_name(command: &WorkshopCommand) -> &'static str {
        command.name()
    }
    fn command_permission(_: &WorkshopCommand) -> crate::privacy::access::Permission {
        crate::privacy::access::Permission::RunWorkshops
    }
    fn listings(
        &self,
        _profile: &crate::policy::profile::ServiceProfile,
    ) -> crate::read::listing::Listings {
        crate::read::listing::Listings::of_workshop(self)
    }
}
