//! The day-to-day work on a case (lifecycle 5; ): the action plan's goals,
//! one-to-one sessions, contact episodes, the programme and its cadence, multi-agency meetings
//! and referrals out to partner agencies.
//!
//! These are the vocabulary of the activity events and the [`CaseActivity`] the case file
//! folds them into. Which stage accepts what is the stages' ([`super::stages`]).
//!
//! Why one module of this size: it is the vocabulary of a case's day-to-day work (sessions,
//! contacts, goals, meetings, referrals out) and the one fold over it, each type beside the events
//! that change it.

use super::events::CaseEvent;
use super::model::Party;
use crate::kernel::confidential::{Confidential, NewConfidential};
use crate::kernel::ids::{ContactId, GoalId, MeetingId, PartnerReferralId, SessionId};
use crate::kernel::input::Text;
use crate::kernel::tag::kind_tagged;
use crate::policy::programme::{Programme, Span};
use crate::policy::topic::SessionTopic;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a goal stands.
///
/// Tagged `kind`; the tag `status` it had before issue 14 is still read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum GoalStatus {
    /// Being worked on.
    Open,
    /// Achieved.
    Achieved {
        /// When.
        at: DateTime<Utc>,
    },
    /// Dropped, and why.
    Dropped {
        /// Why (confidential: it says what the young person now wants).
        reason: Confidential<Text>,
        /// When.
        at: DateTime<Utc>,
    },
}

kind_tagged!(GoalStatus, "status");

/// A goal of the action plan, agreed with the young person and named professionals.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// Its id.
    pub id: GoalId,
    /// What the young person wants to achieve (confidential, R-8).
    pub description: Confidential<Text>,
    /// Who agreed it: always the young person, and any professionals named.
    pub agreed_with: Vec<Party>,
    /// When it was set.
    pub set_at: DateTime<Utc>,
    /// Where it stands.
    pub status: GoalStatus,
}

/// Where a session takes place: the place the young person feels most comfortable, or where
/// the worker can reach them. No address is held.
///
/// Tagged `kind`; the tag `place` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum SessionPlace {
    /// At home (or the placement).
    Home,
    /// At school.
    School,
    /// At college.
    College,
    /// At a youth club.
    YouthClub,
    /// At the project's own base.
    ProjectBase,
    /// Somewhere in the community (a café, a park).
    Community,
    /// Anywhere else, in words.
    Other {
        /// Where. Visible to anyone who may read the case's structure: the kind of place (`a
        /// library`), never an address.
        text: Text,
    },
}

kind_tagged!(SessionPlace, "place");

/// Who cancelled a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The young person.
    YoungPerson,
    /// The worker (or the service).
    Worker,
    /// A professional (a social worker, the placement).
    Professional,
    /// A parent or carer.
    ParentOrCarer,
    /// Anyone else.
    Other,
}

/// Where a session stands: planned → held / cancelled / not attended.
///
/// Tagged `kind`; the tag `status` it had before issue 14 is still read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum SessionStatus {
    /// Planned, not yet held.
    Planned,
    /// Held.
    Held {
        /// When it started.
        held_at: DateTime<Utc>,
        /// How long it lasted, in minutes.
        duration_minutes: u32,
        /// The resources used (the service's own packs and workbooks: visible).
        resources: Vec<Text>,
        /// What was said and done: confidential.
        note: Confidential<Text>,
    },
    /// Cancelled.
    Cancelled {
        /// By whom.
        by: CancelledBy,
        /// Why, if given (confidential: it is about the young person's week).
        reason: Option<Confidential<Text>>,
        /// When it was cancelled.
        at: DateTime<Utc>,
    },
    /// The young person did not come.
    NotAttended {
        /// When that was recorded.
        at: DateTime<Utc>,
    },
}

kind_tagged!(SessionStatus, "status");

impl SessionStatus {
    /// The stable name: `planned`, `held`, `cancelled`, `not_attended`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionStatus::Planned => "planned",
            SessionStatus::Held { .. } => "held",
            SessionStatus::Cancelled { .. } => "cancelled",
            SessionStatus::NotAttended { .. } => "not_attended",
        }
    }
}

/// A one-to-one session.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// When it is planned for.
    pub planned_for: DateTime<Utc>,
    /// When it was planned (recorded).
    pub planned_at: DateTime<Utc>,
    /// Where.
    pub place: SessionPlace,
    /// Whether the young person chose the place.
    pub place_chosen_by_young_person: bool,
    /// The topics planned, or covered once held.
    pub topics: Vec<SessionTopic>,
    /// Where it stands.
    pub status: SessionStatus,
}

/// How a contact episode happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A phone call.
    Call,
    /// A text message.
    Text,
    /// A visit.
    Visit,
    /// A drop-in at the project's base.
    DropIn,
}

/// Who started a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// They contacted the service.
    Inbound,
    /// The service contacted them.
    Outbound,
}

/// Whom a contact was with.
///
/// Tagged `kind`; the tag `with` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ContactWith {
    /// The young person.
    YoungPerson,
    /// A professional recorded as involved: the referring professional among them.
    Professional {
        /// Who.
        id: crate::kernel::ids::ProfessionalId,
    },
    /// A parent or carer (R-10: only as the young person agrees).
    ParentOrCarer,
    /// Anyone else, in words.
    Other {
        /// Who. Visible to anyone who may read the case's structure, as a referrer's name is:
        /// a role or a name (third-party data: left out of subject access exports).
        who: Text,
    },
}

kind_tagged!(ContactWith, "with");

/// A contact episode: a call, text, visit or drop-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// How.
    pub kind: ContactKind,
    /// Who started it.
    pub direction: Direction,
    /// With whom.
    pub with: ContactWith,
    /// When.
    pub at: DateTime<Utc>,
}

/// The expected rhythm of work: sessions a week and, for intensive work, contacts a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Cadence {
    /// Expected one-to-one sessions a week.
    pub sessions_per_week: Option<Span>,
    /// Expected contact episodes with the young person a day.
    pub contacts_per_day: Option<Span>,
}

impl Cadence {
    /// Sessions are normally weekly: the cadence of a case with no programme.
    #[must_use]
    pub fn weekly() -> Cadence {
        Cadence {
            sessions_per_week: Some(Span { min: 1, max: 1 }),
            contacts_per_day: None,
        }
    }

    /// The cadence a programme states.
    #[must_use]
    pub fn of(programme: &Programme) -> Cadence {
        Cadence {
            sessions_per_week: programme.sessions_per_week,
            contacts_per_day: programme.contacts_per_day,
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let span = |s: Span| {
            if s.min == s.max {
                s.min.to_string()
            } else {
                format!("{}-{}", s.min, s.max)
            }
        };
        match self.sessions_per_week {
            Some(s) => write!(f, "{} sessions a week", span(s))?,
            None => f.write_str("no set sessions")?,
        }
        if let Some(c) = self.contacts_per_day {
            write!(f, ", {} contacts a day", span(c))?;
        }
        Ok(())
    }
}

/// Why a worker changed a case's cadence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CadenceBasis {
    /// To suit the young person's learning style.
    LearningStyle,
    /// Because of the risk.
    Risk,
    /// At the young person's request.
    YoungPersonsChoice,
    /// Anything else (the reason says what).
    Other,
}

/// Where a cadence came from.
///
/// Tagged `kind`; the tag `source` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum CadenceSource {
    /// The programme the case was assigned to.
    Programme {
        /// The programme's key.
        programme: String,
    },
    /// A worker changed it.
    Changed {
        /// On what basis.
        basis: CadenceBasis,
        /// Why. Visible to anyone who may read the case's structure: the rhythm of the work
        /// (the basis says whether for risk or learning style), never what the young person
        /// said.
        reason: Text,
    },
}

kind_tagged!(CadenceSource, "source");

/// One period of a case's cadence, from `from` until the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CadencePeriod {
    /// When it began to apply.
    pub from: DateTime<Utc>,
    /// The cadence.
    pub cadence: Cadence,
    /// Where it came from.
    pub source: CadenceSource,
}

/// A kind of multi-agency meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// A child in need meeting.
    ChildInNeed,
    /// A child protection conference.
    ChildProtectionConference,
    /// A strategy discussion.
    StrategyDiscussion,
    /// A professionals' meeting.
    ProfessionalsMeeting,
}

impl fmt::Display for MeetingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MeetingKind::ChildInNeed => "child in need meeting",
            MeetingKind::ChildProtectionConference => "child protection conference",
            MeetingKind::StrategyDiscussion => "strategy discussion",
            MeetingKind::ProfessionalsMeeting => "professionals' meeting",
        })
    }
}

/// An action arising from a meeting. What is to be done is confidential (R-8: a meeting's
/// actions say what is happening to the young person): `A` is [`Confidential`] as a case holds
/// it, [`NewConfidential`] in a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "MeetingAction_of_{A}"))]
#[serde(deny_unknown_fields)]
pub struct MeetingAction<A = Confidential<Text>> {
    /// What is to be done (confidential).
    pub action: A,
    /// By whom (an agency or a role), if said. Visible to anyone who may read the case's
    /// structure.
    #[serde(default)]
    pub by_whom: Option<Text>,
    /// By when, if said.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
}

impl MeetingAction {
    /// The action with its words revealed, for the crate's gated paths.
    pub(crate) fn revealed(&self) -> MeetingAction<Text> {
        MeetingAction {
            action: self.action.revealed(),
            by_whom: self.by_whom.clone(),
            due_on: self.due_on,
        }
    }
}

impl MeetingAction<NewConfidential> {
    /// The action as the case records it, its words sealed.
    pub(crate) fn seal(self) -> MeetingAction {
        MeetingAction {
            action: self.action.seal(),
            by_whom: self.by_whom,
            due_on: self.due_on,
        }
    }
}

/// A multi-agency meeting about the young person.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    /// Its id.
    pub id: MeetingId,
    /// What kind.
    pub kind: MeetingKind,
    /// When it was held.
    pub held_at: DateTime<Utc>,
    /// Whether the service attended.
    pub service_attended: bool,
    /// Actions arising.
    pub actions: Vec<MeetingAction>,
}

/// A kind of partner agency a case is referred out to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    /// Housing.
    Housing,
    /// Drug and alcohol services.
    DrugAndAlcohol,
    /// Mental health services.
    MentalHealth,
    /// A college.
    College,
    /// Support for parents and carers (R-10: the service refers parents on).
    ParentsSupport,
    /// The partner boys' service.
    BoysService,
    /// Any other agency.
    Other,
}

impl fmt::Display for PartnerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartnerKind::Housing => "housing",
            PartnerKind::DrugAndAlcohol => "drug and alcohol service",
            PartnerKind::MentalHealth => "mental health service",
            PartnerKind::College => "college",
            PartnerKind::ParentsSupport => "parents' support",
            PartnerKind::BoysService => "the partner boys' service",
            PartnerKind::Other => "another agency",
        })
    }
}

/// An answer to, or the end of, a referral out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum PartnerReferralUpdate {
    /// The partner accepted it.
    Accepted,
    /// The partner declined it.
    Declined {
        /// Why, if they said. Visible to anyone who may read the case's structure: the
        /// partner's own reason (`outside our area`), never what the young person said.
        #[serde(default)]
        reason: Option<Text>,
    },
    /// It ended (support finished, withdrawn, no answer).
    Closed {
        /// Why, if said. Visible, as a partner's reason for declining is.
        #[serde(default)]
        reason: Option<Text>,
    },
}

impl PartnerReferralUpdate {
    /// The stable name: `accepted`, `declined`, `closed`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            PartnerReferralUpdate::Accepted => "accepted",
            PartnerReferralUpdate::Declined { .. } => "declined",
            PartnerReferralUpdate::Closed { .. } => "closed",
        }
    }
}

/// Where a referral out stands: sent → accepted / declined / closed; accepted → closed.
///
/// Tagged `kind`; the tag `status` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum PartnerReferralStatus {
    /// Sent, not yet answered.
    Sent,
    /// Accepted by the partner.
    Accepted {
        /// When.
        at: DateTime<Utc>,
    },
    /// Declined by the partner.
    Declined {
        /// Why, if they said.
        reason: Option<Text>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Closed.
    Closed {
        /// Why, if said.
        reason: Option<Text>,
        /// When.
        at: DateTime<Utc>,
    },
}

kind_tagged!(PartnerReferralStatus, "status");

impl PartnerReferralStatus {
    /// The stable name: `sent`, `accepted`, `declined`, `closed`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            PartnerReferralStatus::Sent => "sent",
            PartnerReferralStatus::Accepted { .. } => "accepted",
            PartnerReferralStatus::Declined { .. } => "declined",
            PartnerReferralStatus::Closed { .. } => "closed",
        }
    }

    /// Whether `update` can follow: sent → accepted, declined or closed; accepted → closed.
    #[must_use]
    pub fn allows(&self, update: &PartnerReferralUpdate) -> bool {
        matches!(
            (self, update),
            (PartnerReferralStatus::Sent, _)
                | (
                    PartnerReferralStatus::Accepted { .. },
                    PartnerReferralUpdate::Closed { .. }
                )
        )
    }
}

/// A referral out to a partner agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerReferral {
    /// Its id.
    pub id: PartnerReferralId,
    /// What kind of partner.
    pub partner: PartnerKind,
    /// The agency's name.
    pub agency: Text,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// Where it stands.
    pub status: PartnerReferralStatus,
}

/// A stretch of time; `to` is `None` while it lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// From.
    pub from: DateTime<Utc>,
    /// Until, once over.
    pub to: Option<DateTime<Utc>>,
}

/// The work recorded on a case, folded from its activity events (and the times work began,
/// paused, resumed and ended, which the cadence queries need).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseActivity {
    /// The action plan's goals, oldest first.
    #[serde(default)]
    pub goals: Vec<Goal>,
    /// Sessions, in the order planned.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// Contact episodes, in the order recorded.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Multi-agency meetings.
    #[serde(default)]
    pub meetings: Vec<Meeting>,
    /// Referrals out to partner agencies.
    #[serde(default)]
    pub partner_referrals: Vec<PartnerReferral>,
    /// The programme the case is on, by key.
    #[serde(default)]
    pub programme: Option<String>,
    /// The cadence over time: empty means weekly sessions throughout.
    #[serde(default)]
    pub cadence: Vec<CadencePeriod>,
    /// When work began.
    #[serde(default)]
    pub work_begun_at: Option<DateTime<Utc>>,
    /// Times work was paused.
    #[serde(default)]
    pub pauses: Vec<Period>,
    /// When the case ended: closed, or the referral declined, signposted or withdrawn.
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
}

impl CaseActivity {
    /// The cadence that applies now ([`Cadence::weekly`] until a programme or a worker sets
    /// one).
    pub fn current_cadence(&self) -> Cadence {
        self.cadence
            .last()
            .map_or_else(Cadence::weekly, |p| p.cadence)
    }

    /// The goal with `id`.
    #[must_use]
    pub fn goal(&self, id: GoalId) -> Option<&Goal> {
        self.goals.iter().find(|g| g.id == id)
    }

    /// The session with `id`.
    #[must_use]
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// The referral out with `id`.
    #[must_use]
    pub fn partner_referral(&self, id: PartnerReferralId) -> Option<&PartnerReferral> {
        self.partner_referrals.iter().find(|r| r.id == id)
    }

    /// Applies the activity part of an event.
    pub(crate) fn apply(&mut self, event: &CaseEvent) {
        match event {
            CaseEvent::GoalAdded {
                goal,
                description,
                agreed_with,
                at,
            } => self.goals.push(Goal {
                id: *goal,
                description: description.clone(),
                agreed_with: agreed_with.clone(),
                set_at: *at,
                status: GoalStatus::Open,
            }),
            CaseEvent::GoalAchieved { goal, achieved_at } => {
                if let Some(g) = self.goals.iter_mut().find(|g| g.id == *goal) {
                    g.status = GoalStatus::Achieved { at: *achieved_at };
                }
            }
            CaseEvent::GoalDropped { goal, reason, at } => {
                if let Some(g) = self.goals.iter_mut().find(|g| g.id == *goal) {
                    g.status = GoalStatus::Dropped {
                        reason: reason.clone(),
                        at: *at,
                    };
                }
            }
            CaseEvent::SessionPlanned {
                session,
                planned_for,
                place,
                place_chosen_by_young_person,
                topics,
                at,
            } => self.sessions.push(Session {
                id: *session,
                planned_for: *planned_for,
                planned_at: *at,
                place: place.clone(),
                place_chosen_by_young_person: *place_chosen_by_young_person,
                topics: topics.clone(),
                status: SessionStatus::Planned,
            }),
            CaseEvent::SessionHeld {
                session,
                held_at,
                duration_minutes,
                place,
                topics,
                resources,
                note,
            } => {
                if let Some(s) = self.sessions.iter_mut().find(|s| s.id == *session) {
                    s.place = place.clone();
                    s.topics = topics.clone();
                    s.status = SessionStatus::Held {
                        held_at: *held_at,
                        duration_minutes: *duration_minutes,
                        resources: resources.clone(),
                        note: note.clone(),
                    };
                }
            }
            CaseEvent::SessionCancelled {
                session,
                by,
                reason,
                at,
            } => self.set_session(
                *session,
                SessionStatus::Cancelled {
                    by: *by,
                    reason: reason.clone(),
                    at: *at,
                },
            ),
            CaseEvent::SessionNotAttended { session, at } => {
                self.set_session(*session, SessionStatus::NotAttended { at: *at })
            }
            CaseEvent::ContactRecorded { contact } => self.contacts.push(contact.clone()),
            CaseEvent::ProgrammeAssigned {
                programme,
                cadence,
                at,
                ..
            } => {
                self.programme = Some(programme.clone());
                self.cadence.push(CadencePeriod {
                    from: *at,
                    cadence: *cadence,
                    source: CadenceSource::Programme {
                        programme: programme.clone(),
                    },
                });
            }
            CaseEvent::CadenceChanged {
                cadence,
                basis,
                reason,
                at,
            } => self.cadence.push(CadencePeriod {
                from: *at,
                cadence: *cadence,
                source: CadenceSource::Changed {
                    basis: *basis,
                    reason: reason.clone(),
                },
            }),
            CaseEvent::MeetingRecorded { meeting } => self.meetings.push(meeting.clone()),
            CaseEvent::PartnerReferralSent { referral } => {
                self.partner_referrals.push(referral.clone())
            }
            CaseEvent::PartnerReferralUpdated {
                referral,
                update,
                at,
            } => {
                if let Some(r) = self
                    .partner_referrals
                    .iter_mut()
                    .find(|r| r.id == *referral)
                {
                    r.status = match update {
                        PartnerReferralUpdate::Accepted => {
                            PartnerReferralStatus::Accepted { at: *at }
                        }
                        PartnerReferralUpdate::Declined { reason } => {
                            PartnerReferralStatus::Declined {
                                reason: reason.clone(),
                                at: *at,
                            }
                        }
                        PartnerReferralUpdate::Closed { reason } => PartnerReferralStatus::Closed {
                            reason: reason.clone(),
                            at: *at,
                        },
                    };
                }
            }
            CaseEvent::WorkBegun { at, .. } => self.work_begun_at = Some(*at),
            CaseEvent::CasePaused { at, .. } => self.pauses.push(Period {
                from: *at,
                to: None,
            }),
            CaseEvent::CaseResumed { at } => {
                if let Some(p) = self.pauses.last_mut().filter(|p| p.to.is_none()) {
                    p.to = Some(*at);
                }
            }
            CaseEvent::CaseClosed { at, .. } | CaseEvent::ReferralWithdrawn { at, .. } => {
                self.ended_at = Some(*at)
            }
            CaseEvent::OutcomeGiven { outcome, at } => {
                if matches!(
                    outcome,
                    super::model::Outcome::Signposted { .. }
                        | super::model::Outcome::Declined { .. }
                ) {
                    self.ended_at = Some(*at);
                }
            }
            _ => {}
        }
    }

    fn set_session(&mut self, id: SessionId, status: SessionStatus) {
        if let Some(s) = self.sessions.iter_mut().find(|s| s.id == id) {
            s.status = status;
        }
    }
}

impl fmt::Display for ContactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContactKind::Call => "call",
            ContactKind::Text => "text",
            ContactKind::Visit => "visit",
            ContactKind::DropIn => "drop-in",
        })
    }
}

impl fmt::Display for ContactWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactWith::YoungPerson => f.write_str("the young person"),
            ContactWith::Professional { id } => write!(f, "professional {id}"),
            ContactWith::ParentOrCarer => f.write_str("a parent or carer"),
            ContactWith::Other { who } => f.write_str(who.as_str()),
        }
    }
}

impl fmt::Display for CancelledBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CancelledBy::YoungPerson => "the young person",
            CancelledBy::Worker => "the worker",
            CancelledBy::Professional => "a professional",
            CancelledBy::ParentOrCarer => "a parent or carer",
            CancelledBy::Other => "someone else",
        })
    }
}
