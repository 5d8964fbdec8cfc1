//! The young person: identity known across episodes.
//!
//! A young person has their own event stream (registered, details corrected). Cases refer to
//! them by id and keep a snapshot of the details the referral was screened on, so an old
//! screening still explains itself after the details change. Links to their cases are
//! a query ([`crate::store::CaseQueries::cases_of`]); re-referral links a new case to the
//! latest earlier one.
//!
//! What belongs to the young person rather than to one case is on the same stream: missing
//! episodes and their return interviews (R-22, [`crate::young_person::missing`]) and membership of the
//! alumni group (R-20, [`crate::young_person::alumni`]), and possible duplicates of them and
//! the decisions about each (R-26, [`crate::young_person::duplicates`]). [`YoungPerson`] folds
//! the identity;
//! [`YoungPersonActivity`] folds the rest, and decides [`YoungPersonCommand`]s.
//!
//! Why one module of this size: the identity record, its commands and events, and the activity fold
//! share one stream, and each event type is decided and folded beside its command.

pub mod alumni;
pub mod duplicates;
pub mod missing;

use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{MissingEpisodeId, MissingFlagId, YoungPersonId};
use crate::kernel::input::{InputError, Postcode, Text};
use crate::read::rows::CaseSummary;
use crate::young_person::alumni::{alumni_eligibility, AlumniBasis, AlumniMembership};
use crate::young_person::missing::{
    return_interview_due, return_interviews_due, run_with, MissingEpisode, MissingFlag,
    ReturnInterview, ReturnInterviewDue, ReturnInterviewOutcome,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Gender as the young person describes it. Service profiles list the genders they serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// A girl or young woman.
    Female,
    /// A boy or young man.
    Male,
    /// Non-binary.
    NonBinary,
    /// Not stated.
    NotStated,
}

/// How the young person prefers to be contacted. Contact details themselves are not held here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    /// Phone call.
    Call,
    /// Text message.
    Text,
    /// Through the referring professional.
    ViaProfessional,
    /// In person at school, college or a youth club.
    InPerson,
}

/// Who a young person is, as given at registration or corrected later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct YoungPersonDetails {
    /// The name the young person uses.
    pub name: Text,
    /// Date of birth; age is computed from it on each referral date.
    pub date_of_birth: NaiveDate,
    /// Gender.
    pub gender: Gender,
    /// Home postcode (full or district).
    pub postcode: Postcode,
    /// Whether a learning difficulty is recorded (extends some age ranges, R-2; a risk floor, R-21).
    pub learning_difficulty: bool,
    /// Contact preferences, most preferred first.
    #[serde(default)]
    pub contact_preferences: Vec<ContactMethod>,
}

impl YoungPersonDetails {
    /// Checks what types cannot: a date of birth in the past, and not absurdly far back.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `date_of_birth` when it is after `today` or more than 120
    /// years before it.
    pub fn validate(&self, today: NaiveDate) -> Result<(), InputError> {
        if self.date_of_birth > today {
            return Err(InputError::new(
                "date_of_birth",
                format!("{} is in the future (today is {today})", self.date_of_birth),
            ));
        }
        if today.years_since(self.date_of_birth).unwrap_or(0) > 120 {
            return Err(InputError::new(
                "date_of_birth",
                format!("{} is more than 120 years ago", self.date_of_birth),
            ));
        }
        Ok(())
    }

    /// Age in completed years on `date` (a 29 February birthday counts from 1 March).
    #[must_use]
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        date.years_since(self.date_of_birth).unwrap_or(0)
    }
}

/// What happened to a young person's identity record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum YoungPersonEvent {
    /// First known to the service.
    #[serde(rename = "young_person_registered")]
    Registered {
        /// The id given.
        id: YoungPersonId,
        /// Details at registration (sealed at rest, [`crate::kernel::sealing`]).
        #[serde(with = "crate::kernel::sealing::identifying")]
        #[cfg_attr(feature = "schema", schemars(with = "YoungPersonDetails", extend("x-sealed-at-rest" = "identifying")))]
        details: YoungPersonDetails,
        /// When registered.
        at: DateTime<Utc>,
    },
    /// Details were corrected (a new, attributed entry; the old details stay in history).
    #[serde(rename = "young_person_details_corrected")]
    DetailsCorrected {
        /// The corrected details (sealed at rest, [`crate::kernel::sealing`]).
        #[serde(with = "crate::kernel::sealing::identifying")]
        #[cfg_attr(feature = "schema", schemars(with = "YoungPersonDetails", extend("x-sealed-at-rest" = "identifying")))]
        details: YoungPersonDetails,
        /// When corrected.
        at: DateTime<Utc>,
    },
    /// The young person went missing.
    #[serde(rename = "missing_episode_started")]
    MissingEpisodeStarted {
        /// The episode's id.
        episode: MissingEpisodeId,
        /// When they went missing.
        started_at: DateTime<Utc>,
    },
    /// The young person came back; a return interview is due 72 hours later.
    #[serde(rename = "missing_episode_ended")]
    MissingEpisodeEnded {
        /// Which episode.
        episode: MissingEpisodeId,
        /// When they came back.
        returned_at: DateTime<Utc>,
        /// When the return interview is due: `returned_at` + 72 hours.
        return_interview_due: DateTime<Utc>,
    },
    /// A return interview was offered, completed or declined.
    #[serde(rename = "return_interview_recorded")]
    ReturnInterviewRecorded {
        /// Which episode.
        episode: MissingEpisodeId,
        /// What happened.
        outcome: ReturnInterviewOutcome,
        /// When.
        at: DateTime<Utc>,
    },
    /// Three or more episodes started within 30 days: a flag for a strategy discussion.
    #[serde(rename = "missing_pattern_flagged")]
    MissingPatternFlagged {
        /// The flag's id.
        flag: MissingFlagId,
        /// The episodes in the 30 days.
        episodes: Vec<MissingEpisodeId>,
        /// When raised.
        at: DateTime<Utc>,
    },
    /// A missing flag was resolved (a strategy discussion was held), with the reason.
    #[serde(rename = "missing_flag_resolved")]
    MissingFlagResolved {
        /// Which flag.
        flag: MissingFlagId,
        /// How it was resolved: visible to whoever may read her record, and sealed at rest
        /// with her key ([`crate::kernel::sealing::personal`]); the strategy discussion is
        /// about her, so it is kept out of the envelope's stated reason too.
        #[serde(with = "crate::kernel::sealing::personal")]
        #[cfg_attr(feature = "schema", schemars(with = "String", extend("x-sealed-at-rest" = "personal")))]
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// The young person joined the alumni group.
    #[serde(rename = "alumni_joined")]
    AlumniJoined {
        /// Why they could.
        basis: AlumniBasis,
        /// When.
        at: DateTime<Utc>,
    },
    /// The young person left the alumni group.
    #[serde(rename = "alumni_left")]
    AlumniLeft {
        /// Why, if said.
        reason: Option<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Young people already known who may be this one were found at registration or referral,
    /// for a worker to decide (R-26, [`duplicates`]).
    #[serde(rename = "possible_duplicates_flagged")]
    PossibleDuplicatesFlagged {
        /// Each candidate with its score and reasons, best first.
        candidates: Vec<duplicates::DuplicateCandidate>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A worker recorded that this record and `other` are the same person: the records are
    /// linked, nothing is merged.
    #[serde(rename = "same_person_recorded")]
    SamePersonRecorded {
        /// The other record.
        other: YoungPersonId,
        /// Why, in the worker's words.
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
    /// A worker recorded that this record and `other` are not the same person: the pair is not
    /// flagged again.
    #[serde(rename = "not_same_person_recorded")]
    NotSamePersonRecorded {
        /// The other record.
        other: YoungPersonId,
        /// Why, in the worker's words.
        reason: Text,
        /// When.
        at: DateTime<Utc>,
    },
}

impl YoungPersonEvent {
    /// The id, as displayed, of what this event brought into being: the young person, a
    /// missing episode, a missing flag; `None` for any other event.
    #[must_use]
    pub fn created(&self) -> Option<String> {
        match self {
            YoungPersonEvent::Registered { id, .. } => Some(id.to_string()),
            YoungPersonEvent::MissingEpisodeStarted { episode, .. } => Some(episode.to_string()),
            YoungPersonEvent::MissingPatternFlagged { flag, .. } => Some(flag.to_string()),
            YoungPersonEvent::DetailsCorrected { .. }
            | YoungPersonEvent::MissingEpisodeEnded { .. }
            | YoungPersonEvent::ReturnInterviewRecorded { .. }
            | YoungPersonEvent::MissingFlagResolved { .. }
            | YoungPersonEvent::AlumniJoined { .. }
            | YoungPersonEvent::AlumniLeft { .. }
            | YoungPersonEvent::PossibleDuplicatesFlagged { .. }
            | YoungPersonEvent::SamePersonRecorded { .. }
            | YoungPersonEvent::NotSamePersonRecorded { .. } => None,
        }
    }

    /// Whether the event is about the young person's identity (registration, corrections)
    /// rather than their missing episodes or alumni membership.
    #[must_use]
    pub fn is_identity(&self) -> bool {
        matches!(
            self,
            YoungPersonEvent::Registered { .. } | YoungPersonEvent::DetailsCorrected { .. }
        )
    }
}

/// A young person's identity record: the fold of their events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct YoungPerson {
    /// Their id.
    pub id: YoungPersonId,
    /// Current details (sealed at rest, [`crate::kernel::sealing`]).
    #[serde(with = "crate::kernel::sealing::identifying")]
    #[cfg_attr(feature = "schema", schemars(with = "YoungPersonDetails", extend("x-sealed-at-rest" = "identifying")))]
    pub details: YoungPersonDetails,
    /// When first registered.
    pub registered_at: DateTime<Utc>,
}

impl YoungPerson {
    /// Decides a registration at `ctx.at`.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`): naming the field, when the details break the profile's
    /// input limits or hold a year outside the years kept
    /// ([`InputLimits::check`](crate::policy::limits::InputLimits::check)); on `date_of_birth`
    /// when [`YoungPersonDetails::validate`] refuses it on today's local date
    /// ([`CommandContext::today`]): after that date, or more than 120 years before it.
    pub fn register(
        id: YoungPersonId,
        details: YoungPersonDetails,
        ctx: &CommandContext<'_>,
    ) -> Result<YoungPersonEvent, InputError> {
        ctx.profile.limits.check(&details)?;
        details.validate(ctx.today())?;
        Ok(YoungPersonEvent::Registered {
            id,
            details,
            at: ctx.at,
        })
    }

    /// Decides a correction of details at `ctx.at`.
    ///
    /// # Errors
    ///
    /// As [`YoungPerson::register`].
    pub fn correct(
        &self,
        details: YoungPersonDetails,
        ctx: &CommandContext<'_>,
    ) -> Result<YoungPersonEvent, InputError> {
        ctx.profile.limits.check(&details)?;
        details.validate(ctx.today())?;
        Ok(YoungPersonEvent::DetailsCorrected {
            details,
            at: ctx.at,
        })
    }

    /// Folds one event; `None` when the event cannot follow the state (a corrupt history).
    #[must_use]
    pub fn evolve(state: Option<Self>, event: &YoungPersonEvent) -> Option<Self> {
        match (state, event) {
            (None, YoungPersonEvent::Registered { id, details, at }) => Some(YoungPerson {
                id: *id,
                details: details.clone(),
                registered_at: *at,
            }),
            (Some(mut yp), YoungPersonEvent::DetailsCorrected { details, .. }) => {
                yp.details = details.clone();
                Some(yp)
            }
            // Missing episodes and alumni membership are the activity's; the identity keeps.
            (Some(yp), event) if !event.is_identity() => Some(yp),
            _ => None,
        }
    }
}

/// A command about a young person rather than one of their cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum YoungPersonCommand {
    /// The young person went missing.
    StartMissingEpisode {
        /// When.
        started_at: DateTime<Utc>,
    },
    /// The young person came back.
    EndMissingEpisode {
        /// Which episode.
        episode: MissingEpisodeId,
        /// When.
        returned_at: DateTime<Utc>,
    },
    /// A return interview was offered, completed or declined.
    RecordReturnInterview {
        /// Which episode.
        episode: MissingEpisodeId,
        /// What happened.
        outcome: ReturnInterviewOutcome,
        /// When.
        at: DateTime<Utc>,
    },
    /// Resolve a missing flag (a strategy discussion was held), with the reason.
    ResolveMissingFlag {
        /// Which flag.
        flag: MissingFlagId,
        /// How it was resolved.
        reason: Text,
    },
    /// Join the alumni group.
    JoinAlumni,
    /// Leave the alumni group.
    LeaveAlumni {
        /// Why, if said.
        #[serde(default)]
        reason: Option<Text>,
    },
    /// Correct the young person's details (a misspelt name, a wrong date of birth, a new
    /// postcode): a new, attributed entry with its reason; the details as they were stay in
    /// the history.
    CorrectDetails {
        /// The details as they should be, whole.
        details: YoungPersonDetails,
        /// Why, in the words of the person correcting them.
        reason: Text,
    },
}

impl YoungPersonCommand {
    /// The command's stable name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            YoungPersonCommand::StartMissingEpisode { .. } => "start_missing_episode",
            YoungPersonCommand::EndMissingEpisode { .. } => "end_missing_episode",
            YoungPersonCommand::RecordReturnInterview { .. } => "record_return_interview",
            YoungPersonCommand::ResolveMissingFlag { .. } => "resolve_missing_flag",
            YoungPersonCommand::JoinAlumni => "join_alumni",
            YoungPersonCommand::LeaveAlumni { .. } => "leave_alumni",
            YoungPersonCommand::CorrectDetails { .. } => "correct_details",
        }
    }

    /// The reason the command states, recorded as the "why" of its events. How a
    /// missing flag was resolved is not: it is sealed at rest in its event
    /// ([`crate::kernel::sealing::personal`]), and the envelope is not.
    #[must_use]
    pub fn stated_reason(&self) -> Option<String> {
        match self {
            YoungPersonCommand::CorrectDetails { reason, .. } => Some(reason.to_string()),
            YoungPersonCommand::LeaveAlumni { reason } => reason.as_ref().map(|r| r.to_string()),
            _ => None,
        }
    }

    /// Decodes a command from JSON, as a front end or an import sends it: the flat form
    /// `{"command": "end_missing_episode", "episode": "…", "returned_at": "…"}` or serde's own
    /// (`"join_alumni"`, `{"end_missing_episode": {…}}`), exactly as
    /// [`crate::case::CaseCommand::from_json`] does. Refuses, naming the field: malformed JSON,
    /// unknown commands, fields or values, invalid values, and any claim that engagement is a
    /// statutory-plan requirement.
    ///
    /// # Errors
    ///
    /// - [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at any
    ///   depth, claims a statutory-plan requirement ([`crate::case::reject_statutory_claims`]).
    /// - [`DomainError::Input`] (`bad_input`) naming the field when the JSON is malformed, the
    ///   command is missing or unknown, a field is missing, unknown or of the wrong type, or a
    ///   value is invalid.
    pub fn from_json(json: &str) -> Result<YoungPersonCommand, DomainError> {
        crate::case::decode_command(json)
    }

    /// The flat JSON form: `{"command": "join_alumni"}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::case::encode_command(self)
    }
}

/// What a young person's stream says besides their identity: missing episodes, missing flags
/// and alumni membership. The fold of their events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct YoungPersonActivity {
    /// Missing episodes, in the order recorded.
    pub missing_episodes: Vec<MissingEpisode>,
    /// Flags raised by repeated episodes.
    pub missing_flags: Vec<MissingFlag>,
    /// Alumni membership, while a member.
    pub alumni: Option<AlumniMembership>,
    /// Possible duplicates awaiting a decision, and the decisions recorded.
    #[serde(default)]
    pub duplicates: duplicates::DuplicateRecord,
}

impl YoungPersonActivity {
    /// Folds a young person's events (identity events change nothing here).
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a YoungPersonEvent>) -> Self {
        let mut activity = Self::default();
        for event in events {
            activity.apply(event);
        }
        activity
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &YoungPersonEvent) {
        match event {
            YoungPersonEvent::Registered { .. } | YoungPersonEvent::DetailsCorrected { .. } => {}
            YoungPersonEvent::MissingEpisodeStarted {
                episode,
                started_at,
            } => self.missing_episodes.push(MissingEpisode {
                id: *episode,
                started_at: *started_at,
                returned_at: None,
                interview: ReturnInterview::default(),
            }),
            YoungPersonEvent::MissingEpisodeEnded {
                episode,
                returned_at,
                ..
            } => {
                if let Some(e) = self.episode_mut(*episode) {
                    e.returned_at = Some(*returned_at);
                }
            }
            YoungPersonEvent::ReturnInterviewRecorded {
                episode,
                outcome,
                at,
            } => {
                if let Some(e) = self.episode_mut(*episode) {
                    let slot = match outcome {
                        ReturnInterviewOutcome::Offered => &mut e.interview.offered_at,
                        ReturnInterviewOutcome::Completed => &mut e.interview.completed_at,
                        ReturnInterviewOutcome::Declined => &mut e.interview.declined_at,
                    };
                    slot.get_or_insert(*at);
                }
            }
            YoungPersonEvent::MissingPatternFlagged { flag, episodes, at } => {
                self.missing_flags.push(MissingFlag {
                    id: *flag,
                    episodes: episodes.clone(),
                    raised_at: *at,
                    resolved: None,
                })
            }
            YoungPersonEvent::MissingFlagResolved { flag, reason, at } => {
                if let Some(f) = self.missing_flags.iter_mut().find(|f| f.id == *flag) {
                    f.resolved = Some((reason.clone(), *at));
                }
            }
            YoungPersonEvent::AlumniJoined { basis, at } => {
                self.alumni = Some(AlumniMembership {
                    basis: basis.clone(),
                    joined_at: *at,
                })
            }
            YoungPersonEvent::AlumniLeft { .. } => self.alumni = None,
            YoungPersonEvent::PossibleDuplicatesFlagged { .. }
            | YoungPersonEvent::SamePersonRecorded { .. }
            | YoungPersonEvent::NotSamePersonRecorded { .. } => self.duplicates.apply(event),
        }
    }

    fn episode_mut(&mut self, id: MissingEpisodeId) -> Option<&mut MissingEpisode> {
        self.missing_episodes.iter_mut().find(|e| e.id == id)
    }

    /// The episode with `id`.
    #[must_use]
    pub fn episode(&self, id: MissingEpisodeId) -> Option<&MissingEpisode> {
        self.missing_episodes.iter().find(|e| e.id == id)
    }

    /// The episode still going on (not yet returned from), if any.
    #[must_use]
    pub fn open_episode(&self) -> Option<&MissingEpisode> {
        self.missing_episodes
            .iter()
            .find(|e| e.returned_at.is_none())
    }

    /// Whether a flag for a strategy discussion is raised and not yet resolved.
    #[must_use]
    pub fn is_flagged(&self) -> bool {
        self.open_flag().is_some()
    }

    /// The flag raised and not yet resolved, if any.
    #[must_use]
    pub fn open_flag(&self) -> Option<&MissingFlag> {
        self.missing_flags.iter().find(|f| f.resolved.is_none())
    }

    /// Return interviews not yet completed or declined as of `as_of`, soonest due first, each
    /// marked overdue strictly after its due time.
    #[must_use]
    pub fn return_interviews_due(&self, as_of: DateTime<Utc>) -> Vec<ReturnInterviewDue> {
        return_interviews_due(&self.missing_episodes, as_of)
    }

    /// Decides a command about `person`. Joining the alumni group reads the young person's
    /// cases (`cases`, as [`crate::store::CaseQueries::cases_of`] gives them, R-20); the other
    /// commands read only this record.
    ///
    /// # Errors
    ///
    /// [`DomainError::NotEligibleForAlumni`] (`not_eligible_for_alumni`, R-20), with the reason
    /// [`alumni_eligibility`] gives, when `join_alumni` is refused on `cases`. Otherwise
    /// [`DomainError::Input`] (`bad_input`), naming the field:
    ///
    /// - any command: when the command breaks the profile's input limits, or holds a NUL or a year outside the
    ///   years kept ([`InputLimits::check`](crate::policy::limits::InputLimits::check)), before
    ///   anything else.
    /// - `start_missing_episode`: on `started_at` when it is later than the command's time, before
    ///   the young person's date of birth, while an episode is still open, or within a recorded
    ///   episode.
    /// - `end_missing_episode`: on `episode` when there is no such episode or it has already ended;
    ///   on `returned_at` when it is before the episode started, later than the command's time, or
    ///   at or after the start of a later episode.
    /// - `record_return_interview`: on `episode` when there is no such episode, it has no return
    ///   recorded, or its interview was already completed or declined; on `at` when it is before
    ///   the return or later than the command's time.
    /// - `resolve_missing_flag`: on `flag` when there is no such flag or it is already resolved.
    /// - `join_alumni`: on `young_person` when already a member. `leave_alumni`: on `young_person`
    ///   when not a member.
    /// - `correct_details`: on `details` when they are the same as recorded; on `date_of_birth` as
    ///   [`YoungPerson::correct`] refuses it.
    pub fn decide(
        &self,
        person: &YoungPerson,
        command: YoungPersonCommand,
        cases: &[CaseSummary],
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<YoungPersonEvent>, DomainError> {
        ctx.profile.limits.check_command(&command)?;
        let not_future = |field: &str, at: DateTime<Utc>| -> Result<(), InputError> {
            if at > ctx.at {
                return Err(InputError::new(
                    field,
                    format!("{at} is in the future (now is {})", ctx.at),
                ));
            }
            Ok(())
        };
        match command {
            YoungPersonCommand::StartMissingEpisode { started_at } => {
                not_future("started_at", started_at)?;
                if ctx.profile.local_date(started_at) < person.details.date_of_birth {
                    return Err(InputError::new(
                        "started_at",
                        format!("{started_at} is before the young person was born"),
                    )
                    .into());
                }
                if let Some(open) = self.open_episode() {
                    return Err(InputError::new(
                        "started_at",
                        format!(
                            "the young person is still missing (episode {} from {}); record the return first (R-22)",
                            open.id, open.started_at
                        ),
                    )
                    .into());
                }
                if let Some(overlap) = self.missing_episodes.iter().find(|e| e.covers(started_at)) {
                    return Err(InputError::new(
                        "started_at",
                        format!(
                            "{started_at} falls within episode {} ({} to {}) (R-22)",
                            overlap.id,
                            overlap.started_at,
                            overlap
                                .returned_at
                                .map_or("now".to_owned(), |r| r.to_string())
                        ),
                    )
                    .into());
                }
                let episode = MissingEpisodeId::new();
                let mut events = vec![YoungPersonEvent::MissingEpisodeStarted {
                    episode,
                    started_at,
                }];
                if !self.is_flagged() {
                    if let Some(episodes) = run_with(
                        &self.missing_episodes,
                        episode,
                        started_at,
                        &ctx.profile.time_zone,
                    ) {
                        events.push(YoungPersonEvent::MissingPatternFlagged {
                            flag: MissingFlagId::new(),
                            episodes,
                            at: ctx.at,
                        });
                    }
                }
                Ok(events)
            }
            YoungPersonCommand::EndMissingEpisode {
                episode,
                returned_at,
            } => {
                let found = self.known_episode(episode)?;
                if let Some(returned) = found.returned_at {
                    return Err(InputError::new(
                        "episode",
                        format!("episode {episode} already ended at {returned}"),
                    )
                    .into());
                }
                if returned_at < found.started_at {
                    return Err(InputError::new(
                        "returned_at",
                        format!(
                            "{returned_at} is before the missing episode started ({}) (R-22)",
                            found.started_at
                        ),
                    )
                    .into());
                }
                not_future("returned_at", returned_at)?;
                if let Some(next) = self.missing_episodes.iter().find(|e| {
                    e.id != episode
                        && e.started_at > found.started_at
                        && e.started_at <= returned_at
                }) {
                    return Err(InputError::new(
                        "returned_at",
                        format!(
                            "{returned_at} is after episode {} started ({}); the young person came back before that (R-22)",
                            next.id, next.started_at
                        ),
                    )
                    .into());
                }
                Ok(vec![YoungPersonEvent::MissingEpisodeEnded {
                    episode,
                    returned_at,
                    return_interview_due: return_interview_due(returned_at),
                }])
            }
            YoungPersonCommand::RecordReturnInterview {
                episode,
                outcome,
                at,
            } => {
                let found = self.known_episode(episode)?;
                let Some(returned_at) = found.returned_at else {
                    return Err(InputError::new(
                        "episode",
                        format!("episode {episode} has no return recorded: a return interview follows the return (R-22)"),
                    )
                    .into());
                };
                if let Some(done) = found.interview.completed_at {
                    return Err(InputError::new(
                        "episode",
                        format!("the return interview for episode {episode} was already completed at {done}"),
                    )
                    .into());
                }
                if let Some(declined) = found.interview.declined_at {
                    return Err(InputError::new(
                        "episode",
                        format!("the return interview for episode {episode} was already declined at {declined}"),
                    )
                    .into());
                }
                if at < returned_at {
                    return Err(InputError::new(
                        "at",
                        format!("{at} is before the young person returned ({returned_at}) (R-22)"),
                    )
                    .into());
                }
                not_future("at", at)?;
                Ok(vec![YoungPersonEvent::ReturnInterviewRecorded {
                    episode,
                    outcome,
                    at,
                }])
            }
            YoungPersonCommand::ResolveMissingFlag { flag, reason } => {
                match self.missing_flags.iter().find(|f| f.id == flag) {
                    None => Err(InputError::new(
                        "flag",
                        format!("the young person has no missing flag {flag}"),
                    )
                    .into()),
                    Some(f) if f.resolved.is_some() => Err(InputError::new(
                        "flag",
                        format!("missing flag {flag} is already resolved"),
                    )
                    .into()),
                    Some(_) => Ok(vec![YoungPersonEvent::MissingFlagResolved {
                        flag,
                        reason,
                        at: ctx.at,
                    }]),
                }
            }
            YoungPersonCommand::JoinAlumni => {
                if let Some(member) = &self.alumni {
                    return Err(InputError::new(
                        "young_person",
                        format!(
                            "already a member of the alumni group since {}",
                            member.joined_at.format("%Y-%m-%d")
                        ),
                    )
                    .into());
                }
                let basis = alumni_eligibility(cases)
                    .map_err(|reason| DomainError::NotEligibleForAlumni { reason })?;
                Ok(vec![YoungPersonEvent::AlumniJoined { basis, at: ctx.at }])
            }
            YoungPersonCommand::LeaveAlumni { reason } => {
                if self.alumni.is_none() {
                    return Err(InputError::new(
                        "young_person",
                        "is not a member of the alumni group",
                    )
                    .into());
                }
                Ok(vec![YoungPersonEvent::AlumniLeft { reason, at: ctx.at }])
            }
            YoungPersonCommand::CorrectDetails { details, .. } => {
                if details == person.details {
                    return Err(InputError::new(
                        "details",
                        "are the same as recorded: nothing to correct",
                    )
                    .into());
                }
                Ok(vec![person.correct(details, ctx)?])
            }
        }
    }

    fn known_episode(&self, episode: MissingEpisodeId) -> Result<&MissingEpisode, InputError> {
        self.episode(episode).ok_or_else(|| {
            InputError::new(
                "episode",
                format!("the young person has no missing episode {episode}"),
            )
        })
    }
}

impl std::fmt::Display for Gender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::NonBinary => "non-binary",
            Gender::NotStated => "not stated",
        })
    }
}

/// A young person's stream as one aggregate: the identity record and what is recorded about
/// them apart from any case (missing episodes, flags, alumni membership; ).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YoungPersonRecord {
    /// Their identity.
    pub person: YoungPerson,
    /// Their missing episodes, flags and alumni membership.
    pub activity: YoungPersonActivity,
}

impl crate::aggregate::Aggregate for YoungPersonRecord {
    type Id = YoungPersonId;
    type Command = YoungPersonCommand;
    type Event = YoungPersonEvent;

    fn stream(id: YoungPersonId) -> crate::kernel::ids::StreamId {
        crate::kernel::ids::StreamId::YoungPerson(id)
    }
    fn key_owner(&self) -> Option<crate::privacy::key_store::KeyOwner> {
        Some(crate::privacy::key_store::KeyOwner::YoungPerson(
            self.person.id,
        ))
    }
    fn evolve(state: Option<Self>, event: &YoungPersonEvent) -> Option<Self> {
        let (person, mut activity) = match state {
            Some(s) => (Some(s.person), s.activity),
            None => (None, YoungPersonActivity::default()),
        };
        let person = YoungPerson::evolve(person, event)?;
        activity.apply(event);
        Some(Self { person, activity })
    }
    fn decide(
        &self,
        command: YoungPersonCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<YoungPersonEvent>, DomainError> {
        self.activity
            .decide(&self.person, command, ctx.cases_of_young_person, ctx)
    }
    fn row(&self, version: u64) -> crate::read::rows::ReadModelUpdate {
        crate::read::rows::ReadModelUpdate::YoungPerson(crate::read::rows::YoungPersonSummary::of(
            &self.person,
            version,
        ))
    }
    fn listings(
        &self,
        _profile: &crate::policy::profile::ServiceProfile,
    ) -> crate::read::listing::Listings {
        crate::read::listing::Listings::of_young_person(&self.person, &self.activity)
    }
    fn command_name(command: &YoungPersonCommand) -> &'static str {
        command.name()
    }
    fn stated_reason(command: &YoungPersonCommand) -> Option<String> {
        command.stated_reason()
    }
    fn lookups(&self, command: &YoungPersonCommand) -> crate::aggregate::Lookups {
        crate::aggregate::Lookups {
            waiting_list_head: false,
            cases_of: matches!(command, YoungPersonCommand::JoinAlumni).then_some(self.person.id),
        }
    }
}
