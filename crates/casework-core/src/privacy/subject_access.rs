//! Subject access: everything held about a young person, for them, minus third
//! parties' details.
//!
//! `Acting::subject_access_export` (in `casework-service`) (`subject_access_export`, R-27) gathers the young
//! person's identity record; every case of theirs (its stages and dates, the concerns referred,
//! screening, the consent ledger, every risk assessment and review, the outcome, the plan and
//! its goals, sessions with their notes, contacts, multi-agency meetings, referrals out, owed
//! actions, pauses and closure, and every other word recorded in confidence in its history:
//! why work paused, why a closure proposal was withdrawn, approvals' and refusals' reasons);
//! their missing episodes, return interviews and missing flags;
//! alumni membership; every workshop they took part in (found by their
//! [`ListingKind::WorkshopParticipant`](crate::read::rows::ListingKind::WorkshopParticipant) listings: its date, venue and topics, and only their
//! own part in it: that they attended, whether they were identified as vulnerable and why,
//! their individual tutorials with their notes, and their own evaluation form); every share of
//! their information and every recorded read of their records; and legal holds and erasures
//! on their records. It is a serializable
//! [`SubjectAccessExport`] (JSON) with a readable text form ([`SubjectAccessExport::to_text`]).
//!
//! **Left out as third-party data**, and said so in the export's `withheld` list: the name of
//! a parent or carer who referred, other professionals' names (they appear by kind and
//! agency), anyone else's name in a contact, everything about other young people at a workshop
//! (who else attended, was identified as vulnerable, had a tutorial or returned a form: a
//! workshop appears with the number who attended and nothing more about the others), and
//! intelligence about possible perpetrators (R-19: kept apart from the young person's
//! record, and about other people). Staff appear by role, never by name.
//!
//! Free text written by staff (notes, reasons, meeting actions) is included as written: a
//! person releasing an export should still read it for other people's details, as any
//! subject access response is reviewed before release.
//!
//! Confidential content (concerns, plan, goals, session notes; a workshop's concerns about
//! them, their tutorial notes and their own words on their evaluation form) is included: it
//! is the young person's own, and R-23 gives them everything held about them. This is why the
//! administrator who produces an export (`subject_access_export` permission) sees content they
//! could never open as a record (`read_confidential`): the access table
//! ([`crate::privacy::access`]) names this as the one exception. The read is recorded in the
//! access log first ([`crate::privacy::access_log::AccessSubject::YoungPerson`], with the
//! stated purpose), and only then is confidential content read, through the crate's recorded
//! path.
//!
//! Why one module of this size: the export's record types, their assembly and its plain-text
//! rendering must agree field for field, and what is withheld as third-party data is decided in one
//! place.

use crate::case::consent::ConsentEntry;
use crate::case::owed::OwedAction;
use crate::case::{
    Case, CaseEvent, ClosureReason, ContactWith, Meeting, MeetingAction, Outcome, PartnerReferral,
    Party, Period, ReferralSource, Review, SessionPlace, SessionStatus, StageName,
};
use crate::kernel::actor::Role;
use crate::kernel::confidential::{sealed_texts, SEALED};
use crate::kernel::event::Recorded;
use crate::kernel::ids::{CaseId, WorkshopId, YoungPersonId};
use crate::kernel::input::Text;
use crate::policy::risk::RiskAssessment;
use crate::privacy::access_log::{AccessRecord, AccessSubject};
use crate::privacy::disclosure::DisclosureEvent;
use crate::privacy::disclosure::{ItemKind, ShareBasis};
use crate::privacy::gate::RecordedRead;
use crate::privacy::retention::RetentionRecord;
use crate::privacy::retention::{Erasure, LegalHold, LiftedHold};
use crate::workshop::{Respondent, VenueKind, Workshop, WorkshopEvent};
use crate::young_person::alumni::AlumniBasis;
use crate::young_person::missing::MissingEpisode;
use crate::young_person::{ContactMethod, Gender, YoungPersonEvent};
use crate::young_person::{YoungPerson, YoungPersonActivity};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Everything held about a young person, for them; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubjectAccessExport {
    /// Whose.
    pub young_person: YoungPersonId,
    /// When it was produced.
    pub produced_at: DateTime<Utc>,
    /// The role of whoever produced it.
    pub produced_by: Role,
    /// Why it was produced, as recorded in the access log.
    pub purpose: String,
    /// The identity record.
    pub identity: Identity,
    /// Every case, oldest referral first.
    pub cases: Vec<CaseRecord>,
    /// Missing episodes and their return interviews.
    pub missing_episodes: Vec<MissingEpisode>,
    /// Flags raised by repeated missing episodes.
    pub missing_flags: Vec<MissingFlagRecord>,
    /// Alumni membership over time.
    pub alumni: Vec<AlumniPeriod>,
    /// Workshops they took part in, by date, with only their own part in each.
    pub workshops: Vec<WorkshopRecord>,
    /// Every share of their information, oldest first.
    pub shares: Vec<ShareEntry>,
    /// Every recorded read of their confidential records, oldest first, this one too.
    pub record_reads: Vec<ReadEntry>,
    /// Legal holds on their records, in place or lifted.
    pub legal_holds: Vec<HoldEntry>,
    /// Anonymisations of their records.
    pub erasures: Vec<ErasureEntry>,
    /// What was left out as third-party data, in words.
    pub withheld: Vec<String>,
}

/// The identity record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Identity {
    /// The name they use.
    pub name: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Gender.
    pub gender: Gender,
    /// Postcode.
    pub postcode: String,
    /// Whether a learning difficulty is recorded.
    pub learning_difficulty: bool,
    /// Contact preferences, most preferred first.
    pub contact_preferences: Vec<ContactMethod>,
    /// When first registered.
    pub registered_at: DateTime<Utc>,
    /// When the details were corrected.
    pub corrected_at: Vec<DateTime<Utc>>,
}

/// One case (an episode of work).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseRecord {
    /// The case.
    pub case_id: CaseId,
    /// Where it stands.
    pub stage: StageName,
    /// When the referral was received.
    pub received_at: DateTime<Utc>,
    /// Who referred, without third parties' names.
    pub referred_by: String,
    /// The earlier case this one follows.
    pub previous_case: Option<CaseId>,
    /// The workshop the referral came from.
    pub from_workshop: Option<WorkshopId>,
    /// The concerns written on the referral.
    pub concerns: String,
    /// The eligibility screening.
    pub screening: Option<ScreeningRecord>,
    /// Every consent entry, oldest first.
    pub consent: Vec<ConsentEntry>,
    /// Every risk assessment, oldest first (reviews' included).
    pub risk_assessments: Vec<RiskAssessment<Text>>,
    /// The referral's outcome.
    pub outcome: Option<Outcome<Text>>,
    /// When a worker was allocated, each time (staff appear by role).
    pub allocations: Vec<DateTime<Utc>>,
    /// The agreed plan.
    pub plan: Option<String>,
    /// The action plan's goals.
    pub goals: Vec<GoalRecord>,
    /// The programme, by key.
    pub programme: Option<String>,
    /// Sessions, in the order planned, with their notes.
    pub sessions: Vec<SessionRecord>,
    /// Contact episodes.
    pub contacts: Vec<ContactRecord>,
    /// Reviews.
    pub reviews: Vec<Review<Text>>,
    /// Multi-agency meetings.
    pub meetings: Vec<MeetingRecord>,
    /// Referrals out to partner agencies.
    pub partner_referrals: Vec<PartnerReferral>,
    /// Actions owed to others.
    pub owed_actions: Vec<OwedAction>,
    /// Professionals involved, by kind and agency (names withheld).
    pub professionals_involved: Vec<String>,
    /// Times work paused.
    pub pauses: Vec<Period>,
    /// How the case closed.
    pub closure: Option<ClosureRecord>,
    /// Everything else recorded in confidence in the case's history, in the order recorded:
    /// words kept in the history but not in the case as it stands (why work paused, why a
    /// closure proposal was withdrawn, an approval's or a refusal's reason), so the export
    /// holds all that was written about her.
    #[serde(default)]
    pub also_recorded: Vec<HistoryText>,
}

/// Words recorded in confidence in a case's history, with where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryText {
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// What was recorded (`case_paused`, `approval_refused`).
    pub event_type: String,
    /// Where in the record (`reason.text`).
    pub field: String,
    /// The words.
    pub text: String,
}

/// An eligibility screening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScreeningRecord {
    /// Age on the referral date.
    pub age_on_referral: u32,
    /// Whether eligible.
    pub eligible: bool,
    /// Why not, in words.
    pub reasons: Vec<String>,
}

/// A goal of the action plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GoalRecord {
    /// What the young person wants to achieve.
    pub description: String,
    /// Who agreed it, by role.
    pub agreed_with: Vec<String>,
    /// When it was set.
    pub set_at: DateTime<Utc>,
    /// `open`, `achieved` or `dropped`.
    pub status: String,
    /// When achieved or dropped.
    pub status_at: Option<DateTime<Utc>>,
    /// Why dropped.
    pub dropped_because: Option<String>,
}

/// A session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionRecord {
    /// When planned for.
    pub planned_for: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Topics planned or covered.
    pub topics: Vec<String>,
    /// `planned`, `held`, `cancelled` or `not_attended`.
    pub status: String,
    /// When held.
    pub held_at: Option<DateTime<Utc>>,
    /// How long, in minutes.
    pub duration_minutes: Option<u32>,
    /// Resources used.
    pub resources: Vec<String>,
    /// The session's note.
    pub note: Option<String>,
    /// Who cancelled it, by role, and why.
    pub cancelled: Option<String>,
}

/// A contact episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// How (`call`, `text`, `visit`, `drop_in`).
    pub kind: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// With whom, by role.
    pub with: String,
}

/// A multi-agency meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MeetingRecord {
    /// What kind.
    pub kind: String,
    /// When.
    pub held_at: DateTime<Utc>,
    /// Whether the service attended.
    pub service_attended: bool,
    /// Actions arising.
    pub actions: Vec<MeetingAction<Text>>,
}

/// How a case closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClosureRecord {
    /// Why.
    pub reason: ClosureReason<Text>,
    /// When.
    pub closed_at: DateTime<Utc>,
}

/// A missing flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MissingFlagRecord {
    /// When raised.
    pub raised_at: DateTime<Utc>,
    /// Episodes within the 30 days.
    pub episodes: usize,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved.
    pub resolution: Option<String>,
}

/// A period of alumni membership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlumniPeriod {
    /// On what basis they joined.
    pub basis: AlumniBasis,
    /// When joined.
    pub joined_at: DateTime<Utc>,
    /// When they left.
    pub left_at: Option<DateTime<Utc>>,
    /// Why, if said.
    pub left_because: Option<String>,
}

/// A workshop they took part in: the service's own activity, and only their own part in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WorkshopRecord {
    /// The workshop.
    pub workshop_id: WorkshopId,
    /// Its date.
    pub date: NaiveDate,
    /// School or youth club.
    pub venue_kind: VenueKind,
    /// The school's or youth club's name.
    pub venue: String,
    /// Its topics.
    pub topics: Vec<String>,
    /// How many attended in all, registered and anonymous (no one else is named).
    pub attendees: u32,
    /// Whether they are recorded as attending.
    pub attended: bool,
    /// When they were identified as vulnerable, and why.
    pub identified_vulnerable: Option<VulnerableRecord>,
    /// Their individual tutorials, with their notes.
    pub tutorials: Vec<TutorialRecord>,
    /// Their own evaluation form.
    pub evaluation: Option<EvaluationRecord>,
}

/// Being identified as vulnerable at a workshop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VulnerableRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// The concerns recorded.
    pub concerns: String,
}

/// An individual tutorial after a workshop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TutorialRecord {
    /// When held.
    pub held_at: DateTime<Utc>,
    /// How long, in minutes.
    pub duration_minutes: u32,
    /// Its note.
    pub note: String,
}

/// Their own evaluation form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EvaluationRecord {
    /// When recorded.
    pub at: DateTime<Utc>,
    /// Each question with their answers before and after, 1 to 5.
    pub answers: Vec<EvaluationAnswerRecord>,
    /// What they said they learnt, in their words.
    pub learnt: Option<String>,
}

/// One answer on their evaluation form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EvaluationAnswerRecord {
    /// The question.
    pub question: String,
    /// Before the workshop, 1 to 5.
    pub before: u8,
    /// After, 1 to 5.
    pub after: u8,
}

/// A share of their information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ShareEntry {
    /// The case.
    pub case_id: CaseId,
    /// With whom.
    pub audience: String,
    /// `consent` or `safeguarding_override`.
    pub basis: String,
    /// The consent scope relied on, or the legal basis of an override.
    pub grounds: String,
    /// The immediate concern, for an override.
    pub concern: Option<String>,
    /// What was shared, by kind.
    pub items: Vec<ItemKind>,
    /// When.
    pub shared_at: DateTime<Utc>,
    /// By whom, by role.
    pub shared_by: Role,
}

/// A recorded read of their records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReadEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// By whom, by role.
    pub by: Role,
    /// What: one case, or everything (a subject access export).
    pub case_id: Option<CaseId>,
    /// Why, as stated.
    pub purpose: String,
}

/// A legal hold on their records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HoldEntry {
    /// Why.
    pub reason: String,
    /// When placed.
    pub placed_at: DateTime<Utc>,
    /// When lifted.
    pub lifted_at: Option<DateTime<Utc>>,
    /// Why lifted.
    pub lifted_because: Option<String>,
}

/// An anonymisation of their records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErasureEntry {
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

impl SubjectAccessExport {
    /// The export as JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an export serializes to JSON")
    }

    /// The export as readable text, in the same order as the JSON.
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        let day = |at: &DateTime<Utc>| at.format("%Y-%m-%d").to_string();
        let time = |at: &DateTime<Utc>| at.format("%Y-%m-%d %H:%M").to_string();
        let _ = writeln!(t, "EVERYTHING WE HOLD ABOUT YOU");
        let _ = writeln!(
            t,
            "Produced {} by {}, for: {}",
            time(&self.produced_at),
            role_words(self.produced_by),
            self.purpose
        );
        let _ = writeln!(t, "Your reference: {}", self.young_person);
        let i = &self.identity;
        let _ = writeln!(t, "\nABOUT YOU");
        let _ = writeln!(t, "Name: {}", i.name);
        let _ = writeln!(t, "Date of birth: {}", i.date_of_birth);
        let _ = writeln!(t, "Gender: {}", i.gender);
        let _ = writeln!(t, "Postcode: {}", i.postcode);
        let _ = writeln!(
            t,
            "Learning difficulty recorded: {}",
            if i.learning_difficulty { "yes" } else { "no" }
        );
        if !i.contact_preferences.is_empty() {
            let prefs: Vec<_> = i.contact_preferences.iter().map(word).collect();
            let _ = writeln!(t, "How you like to be contacted: {}", prefs.join(", "));
        }
        let _ = writeln!(t, "First registered: {}", day(&i.registered_at));
        for at in &i.corrected_at {
            let _ = writeln!(t, "Details corrected: {}", day(at));
        }
        for c in &self.cases {
            let _ = writeln!(t, "\nCASE {} ({})", c.case_id, word(&c.stage));
            let _ = writeln!(t, "Referral received: {}", time(&c.received_at));
            let _ = writeln!(t, "Referred by: {}", c.referred_by);
            if let Some(p) = c.previous_case {
                let _ = writeln!(t, "Follows your earlier case {p}");
            }
            if let Some(w) = c.from_workshop {
                let _ = writeln!(t, "Came from workshop {w}");
            }
            let _ = writeln!(t, "What the referral said: {}", c.concerns);
            if let Some(s) = &c.screening {
                let _ = writeln!(
                    t,
                    "Screening: aged {} on the referral date; {}",
                    s.age_on_referral,
                    if s.eligible {
                        "eligible".to_owned()
                    } else {
                        format!("not eligible ({})", s.reasons.join("; "))
                    }
                );
            }
            for e in &c.consent {
                let _ = writeln!(
                    t,
                    "Consent to {}: {} by {} ({}) on {}, for: {}",
                    e.scope,
                    e.decision,
                    e.by,
                    word(&e.method),
                    day(&e.given_at),
                    e.purpose
                );
            }
            for a in &c.risk_assessments {
                let keys: Vec<_> = a.answers.iter().map(|x| x.key.as_str()).collect();
                let _ = write!(
                    t,
                    "Risk assessed {} on {} (score {}, {}",
                    a.level,
                    day(&a.at),
                    a.score,
                    a.tool
                );
                if !keys.is_empty() {
                    let _ = write!(t, "; indicators: {}", keys.join(", "));
                }
                let _ = writeln!(t, ")");
                if let Some(o) = &a.overridden {
                    let _ = writeln!(
                        t,
                        "  The tool said {}; a worker judged {}: {}",
                        a.computed, o.level, o.reason
                    );
                }
            }
            if let Some(o) = &c.outcome {
                let _ = writeln!(t, "Outcome: {}", outcome_words(o));
            }
            for at in &c.allocations {
                let _ = writeln!(t, "A project worker was allocated on {}", day(at));
            }
            if let Some(plan) = &c.plan {
                let _ = writeln!(t, "Plan agreed with you: {plan}");
            }
            if let Some(p) = &c.programme {
                let _ = writeln!(t, "Programme: {p}");
            }
            for g in &c.goals {
                let _ = writeln!(
                    t,
                    "Goal set {}: {} (agreed with {}; {})",
                    day(&g.set_at),
                    g.description,
                    g.agreed_with.join(", "),
                    g.status
                );
            }
            for s in &c.sessions {
                let _ = write!(
                    t,
                    "Session planned for {} at {}: {}",
                    time(&s.planned_for),
                    s.place,
                    s.status.replace('_', " ")
                );
                if let (Some(at), Some(minutes)) = (s.held_at, s.duration_minutes) {
                    let _ = write!(t, " {} for {minutes} minutes", time(&at));
                }
                if let Some(why) = &s.cancelled {
                    let _ = write!(t, " ({why})");
                }
                let _ = writeln!(t);
                if !s.topics.is_empty() {
                    let _ = writeln!(t, "  Topics: {}", s.topics.join(", "));
                }
                if !s.resources.is_empty() {
                    let _ = writeln!(t, "  Resources: {}", s.resources.join(", "));
                }
                if let Some(note) = &s.note {
                    let _ = writeln!(t, "  Note: {note}");
                }
            }
            for x in &c.contacts {
                let _ = writeln!(
                    t,
                    "Contact {}: {} {} with {}",
                    time(&x.at),
                    x.direction,
                    x.kind.replace('_', " "),
                    x.with
                );
            }
            for r in &c.reviews {
                let _ = writeln!(
                    t,
                    "Review {}: risk {}, decision: {}; next due {}",
                    day(&r.at),
                    r.assessment.level,
                    r.decision,
                    day(&r.next_due)
                );
            }
            for m in &c.meetings {
                let _ = writeln!(
                    t,
                    "{} on {}: the service {}",
                    m.kind,
                    day(&m.held_at),
                    if m.service_attended {
                        "attended"
                    } else {
                        "did not attend"
                    }
                );
                for a in &m.actions {
                    let _ = writeln!(
                        t,
                        "  Action: {}{}{}",
                        a.action,
                        a.by_whom
                            .as_ref()
                            .map(|b| format!(", by {b}"))
                            .unwrap_or_default(),
                        a.due_on.map(|d| format!(", by {d}")).unwrap_or_default()
                    );
                }
            }
            for r in &c.partner_referrals {
                let _ = writeln!(
                    t,
                    "Referred to {} ({}) on {}: {}",
                    r.agency,
                    r.partner,
                    day(&r.sent_at),
                    r.status.as_str()
                );
            }
            for a in &c.owed_actions {
                let _ = writeln!(
                    t,
                    "Owed by the service: {} ({}), due {}: {}",
                    a.kind,
                    a.owed_to,
                    day(&a.due_at),
                    a.status.as_str()
                );
            }
            for p in &c.professionals_involved {
                let _ = writeln!(t, "Professional involved: {p}");
            }
            for p in &c.pauses {
                let _ = writeln!(
                    t,
                    "Work paused {}{}",
                    day(&p.from),
                    p.to.map(|to| format!(" to {}", day(&to)))
                        .unwrap_or_default()
                );
            }
            if let Some(closure) = &c.closure {
                let _ = writeln!(t, "Closed {}: {}", day(&closure.closed_at), closure.reason);
            }
            for h in &c.also_recorded {
                let _ = writeln!(
                    t,
                    "Also recorded {} ({}): {}",
                    day(&h.recorded_at),
                    h.event_type.replace('_', " "),
                    h.text
                );
            }
        }
        if !self.missing_episodes.is_empty() || !self.missing_flags.is_empty() {
            let _ = writeln!(t, "\nTIMES YOU WERE MISSING");
            for e in &self.missing_episodes {
                let _ = write!(t, "Missing from {}", time(&e.started_at));
                if let Some(r) = e.returned_at {
                    let _ = write!(t, ", back {}", time(&r));
                }
                let i = &e.interview;
                for (what, at) in [
                    ("offered", i.offered_at),
                    ("held", i.completed_at),
                    ("declined", i.declined_at),
                ] {
                    if let Some(at) = at {
                        let _ = write!(t, "; return interview {what} {}", day(&at));
                    }
                }
                let _ = writeln!(t);
            }
            for f in &self.missing_flags {
                let _ = writeln!(
                    t,
                    "Flagged {} for a strategy discussion ({} episodes in 30 days){}",
                    day(&f.raised_at),
                    f.episodes,
                    match (&f.resolved_at, &f.resolution) {
                        (Some(at), Some(how)) => format!("; resolved {}: {how}", day(at)),
                        _ => String::new(),
                    }
                );
            }
        }
        if !self.alumni.is_empty() {
            let _ = writeln!(t, "\nALUMNI GROUP");
            for a in &self.alumni {
                let _ = writeln!(
                    t,
                    "Joined {} as {}{}",
                    day(&a.joined_at),
                    a.basis,
                    a.left_at
                        .map(|at| format!("; left {}", day(&at)))
                        .unwrap_or_default()
                );
            }
        }
        if !self.workshops.is_empty() {
            let _ = writeln!(t, "\nWORKSHOPS");
        }
        for w in &self.workshops {
            let _ = writeln!(
                t,
                "Workshop {} on {} at {} ({}), {} attending in all",
                w.workshop_id,
                w.date,
                w.venue,
                w.venue_kind.as_str().replace('_', " "),
                w.attendees
            );
            if !w.topics.is_empty() {
                let _ = writeln!(t, "  Topics: {}", w.topics.join(", "));
            }
            if w.attended {
                let _ = writeln!(t, "  You attended");
            }
            if let Some(v) = &w.identified_vulnerable {
                let _ = writeln!(
                    t,
                    "  Identified as vulnerable on {}: {}",
                    day(&v.at),
                    v.concerns
                );
            }
            for tutorial in &w.tutorials {
                let _ = writeln!(
                    t,
                    "  Individual tutorial {} for {} minutes",
                    time(&tutorial.held_at),
                    tutorial.duration_minutes
                );
                let _ = writeln!(t, "    Note: {}", tutorial.note);
            }
            if let Some(e) = &w.evaluation {
                let _ = writeln!(t, "  Your evaluation form, {}", day(&e.at));
                for a in &e.answers {
                    let _ = writeln!(
                        t,
                        "    {}: {} before, {} after",
                        a.question, a.before, a.after
                    );
                }
                if let Some(learnt) = &e.learnt {
                    let _ = writeln!(t, "    What you learnt: {learnt}");
                }
            }
        }
        let _ = writeln!(t, "\nWHO WE SHARED YOUR INFORMATION WITH");
        if self.shares.is_empty() {
            let _ = writeln!(t, "No one.");
        }
        for s in &self.shares {
            let items: Vec<_> = s.items.iter().map(word).collect();
            let _ = writeln!(
                t,
                "{}: {} shared with {} by {} ({}: {}){}",
                day(&s.shared_at),
                items.join(", "),
                s.audience,
                role_words(s.shared_by),
                s.basis.replace('_', " "),
                s.grounds,
                s.concern
                    .as_ref()
                    .map(|c| format!("; concern: {c}"))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(t, "\nWHO READ YOUR RECORDS");
        for r in &self.record_reads {
            let _ = writeln!(
                t,
                "{}: {} read {}, for: {}",
                time(&r.at),
                role_words(r.by),
                r.case_id
                    .map(|c| format!("case {c}"))
                    .unwrap_or_else(|| "everything held about you".to_owned()),
                r.purpose
            );
        }
        if !self.legal_holds.is_empty() || !self.erasures.is_empty() {
            let _ = writeln!(t, "\nKEEPING YOUR RECORDS");
            for h in &self.legal_holds {
                let _ = writeln!(
                    t,
                    "Legal hold from {}: {}{}",
                    day(&h.placed_at),
                    h.reason,
                    match (&h.lifted_at, &h.lifted_because) {
                        (Some(at), Some(why)) => format!("; lifted {}: {why}", day(at)),
                        _ => String::new(),
                    }
                );
            }
            for e in &self.erasures {
                let _ = writeln!(
                    t,
                    "Records anonymised {}: {}",
                    day(&e.finished_at),
                    e.reason
                );
            }
        }
        let _ = writeln!(t, "\nWHAT WE LEFT OUT");
        for w in &self.withheld {
            let _ = writeln!(t, "- {w}");
        }
        t
    }
}

/// A role in words, for the readable text (staff appear by role, never by name).
fn role_words(role: Role) -> &'static str {
    match role {
        Role::Worker => "a project worker",
        Role::Manager => "a manager",
        Role::Administrator => "an administrator",
        Role::System => "the system",
        Role::ExternalReferrer => "the professional who referred you",
        Role::Auditor => "an auditor",
    }
}

/// The stable snake_case name of a serde enum value, in words.
fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s.replace('_', " "),
        _ => String::new(),
    }
}

fn outcome_words(outcome: &Outcome<Text>) -> String {
    match outcome {
        Outcome::ImmediateSupport => "accepted for support straight away".into(),
        Outcome::WaitingList => "accepted onto the waiting list".into(),
        Outcome::Signposted { reason, to } => match to {
            Some(to) => format!("signposted to {}: {reason}", to.name),
            None => format!("signposted to other support: {reason}"),
        },
        Outcome::Declined { reason } => format!("declined: {reason}"),
    }
}

fn referred_by(source: &ReferralSource) -> String {
    match source {
        ReferralSource::SelfReferral => "you (a self-referral)".into(),
        ReferralSource::ParentOrCarer { .. } => "a parent or carer (name withheld)".into(),
        ReferralSource::Professional { professional } => format!(
            "a professional: {} at {} (name withheld)",
            word(&professional.kind),
            professional.agency
        ),
        ReferralSource::Agency { agency } => format!("an agency: {agency}"),
    }
}

fn party(p: &Party) -> String {
    match p {
        Party::YoungPerson => "you".into(),
        Party::Professional(_) => "a professional".into(),
    }
}

fn place(p: &SessionPlace) -> String {
    match p {
        SessionPlace::Other { text } => text.to_string(),
        other => other_tag(other).replace('_', " "),
    }
}

/// The tag of an internally tagged value (`{"place": "school"}` → `school`).
fn other_tag<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| {
            v.as_object().and_then(|o| {
                o.values()
                    .next()
                    .and_then(|t| t.as_str().map(str::to_owned))
            })
        })
        .unwrap_or_default()
}

/// The case's record for its young person; confidential content revealed. Only called after
/// the export's read was recorded.
fn case_record(
    case: &Case,
    history: &[Recorded<CaseEvent>],
    withheld: &mut Withheld,
) -> CaseRecord {
    let file = case.file();
    let activity = &file.activity;
    match &file.source {
        ReferralSource::ParentOrCarer { .. } => withheld.parent = true,
        ReferralSource::Professional { .. } => withheld.professionals = true,
        _ => {}
    }
    if !file.professionals.is_empty() {
        withheld.professionals = true;
    }
    if file.from_workshop.is_some() {
        withheld.workshop = true;
    }
    let contacts = activity
        .contacts
        .iter()
        .map(|c| ContactRecord {
            at: c.at,
            kind: word(&c.kind),
            direction: word(&c.direction),
            with: match &c.with {
                ContactWith::YoungPerson => "you".into(),
                ContactWith::Professional { .. } => {
                    withheld.professionals = true;
                    "a professional involved in your case".into()
                }
                ContactWith::ParentOrCarer => "a parent or carer".into(),
                ContactWith::Other { .. } => {
                    withheld.others = true;
                    "someone else (name withheld)".into()
                }
            },
        })
        .collect();
    let mut record = CaseRecord {
        case_id: file.id,
        stage: case.stage(),
        received_at: file.received_at,
        referred_by: referred_by(&file.source),
        previous_case: file.previous_case,
        from_workshop: file.from_workshop,
        concerns: file.concerns.reveal_text().to_string(),
        screening: file.screening.as_ref().map(|s| ScreeningRecord {
            age_on_referral: s.age_on_referral,
            eligible: s.is_eligible(),
            reasons: s.reasons.iter().map(|r| r.to_string()).collect(),
        }),
        consent: file.consent.entries().to_vec(),
        risk_assessments: file
            .assessments
            .iter()
            .map(RiskAssessment::revealed)
            .collect(),
        outcome: file.outcome.as_ref().map(Outcome::revealed),
        allocations: history
            .iter()
            .filter_map(|e| match &e.event {
                CaseEvent::CaseAllocated { allocation } => Some(allocation.at),
                CaseEvent::CaseReallocated { to, .. } => Some(to.at),
                _ => None,
            })
            .collect(),
        plan: file.plan.as_ref().map(|p| p.reveal_text().to_string()),
        goals: activity
            .goals
            .iter()
            .map(|g| {
                let (status, status_at, dropped_because) = match &g.status {
                    crate::case::GoalStatus::Open => ("open", None, None),
                    crate::case::GoalStatus::Achieved { at } => ("achieved", Some(*at), None),
                    crate::case::GoalStatus::Dropped { reason, at } => {
                        ("dropped", Some(*at), Some(reason.reveal_text().to_owned()))
                    }
                };
                GoalRecord {
                    description: g.description.reveal_text().to_string(),
                    agreed_with: g.agreed_with.iter().map(party).collect(),
                    set_at: g.set_at,
                    status: status.into(),
                    status_at,
                    dropped_because,
                }
            })
            .collect(),
        programme: activity.programme.clone(),
        sessions: activity
            .sessions
            .iter()
            .map(|s| {
                let mut record = SessionRecord {
                    planned_for: s.planned_for,
                    place: place(&s.place),
                    topics: s.topics.iter().map(|t| t.to_string()).collect(),
                    status: s.status.as_str().into(),
                    held_at: None,
                    duration_minutes: None,
                    resources: Vec::new(),
                    note: None,
                    cancelled: None,
                };
                match &s.status {
                    SessionStatus::Held {
                        held_at,
                        duration_minutes,
                        resources,
                        note,
                    } => {
                        record.held_at = Some(*held_at);
                        record.duration_minutes = Some(*duration_minutes);
                        record.resources = resources.iter().map(|r| r.to_string()).collect();
                        record.note = Some(note.reveal_text().to_string());
                    }
                    SessionStatus::Cancelled { by, reason, .. } => {
                        record.cancelled = Some(match reason {
                            Some(why) => format!("cancelled by {by}: {}", why.reveal_text()),
                            None => format!("cancelled by {by}"),
                        });
                    }
                    SessionStatus::Planned | SessionStatus::NotAttended { .. } => {}
                }
                record
            })
            .collect(),
        contacts,
        reviews: file.reviews.iter().map(Review::revealed).collect(),
        meetings: activity.meetings.iter().map(meeting).collect(),
        partner_referrals: activity.partner_referrals.clone(),
        owed_actions: file.owed.clone(),
        professionals_involved: file
            .professionals
            .iter()
            .map(|p| format!("{} at {}", word(&p.kind), p.agency))
            .collect(),
        pauses: activity.pauses.clone(),
        closure: match case {
            Case::Closed(closed) => Some(ClosureRecord {
                reason: closed.reason().revealed(),
                closed_at: closed.closed_at(),
            }),
            _ => None,
        },
        also_recorded: Vec::new(),
    };
    record.also_recorded = also_recorded(&record, history);
    record
}

/// The confidential words in `history` that `record` does not already show, each once.
fn also_recorded(record: &CaseRecord, history: &[Recorded<CaseEvent>]) -> Vec<HistoryText> {
    fn strings(value: &serde_json::Value, into: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::String(s) => {
                into.insert(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, into)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, into)),
            _ => {}
        }
    }
    let mut shown = BTreeSet::new();
    strings(
        &serde_json::to_value(record).expect("a case record serializes"),
        &mut shown,
    );
    // A cancelled session shows its reason after who cancelled it.
    for session in &record.sessions {
        if let Some((_, why)) = session
            .cancelled
            .as_deref()
            .and_then(|c| c.split_once(": "))
        {
            shown.insert(why.to_owned());
        }
    }
    let mut also = Vec::new();
    for recorded in history {
        for (field, text) in sealed_texts(&recorded.event) {
            if text != SEALED && shown.insert(text.clone()) {
                also.push(HistoryText {
                    recorded_at: recorded.meta.recorded_at,
                    event_type: recorded.event.event_type().to_owned(),
                    field,
                    text,
                });
            }
        }
    }
    also
}

/// Their own part in a workshop, nothing about anyone else; confidential content revealed.
/// Only called after the export's read was recorded.
fn workshop_record(
    young_person: YoungPersonId,
    workshop: &Workshop,
    history: &[Recorded<WorkshopEvent>],
) -> WorkshopRecord {
    let mut record = WorkshopRecord {
        workshop_id: workshop.id,
        date: workshop.date,
        venue_kind: workshop.venue.kind,
        venue: workshop.venue.name.to_string(),
        topics: workshop.topics.iter().map(|t| t.to_string()).collect(),
        attendees: workshop.reach(),
        attended: workshop.attendees.contains(&young_person),
        identified_vulnerable: None,
        tutorials: Vec::new(),
        evaluation: None,
    };
    for e in history {
        match &e.event {
            WorkshopEvent::AttendeeIdentifiedVulnerable {
                young_person: who,
                concerns,
                at,
            } if *who == young_person => {
                record.identified_vulnerable = Some(VulnerableRecord {
                    at: *at,
                    concerns: concerns.reveal_text().to_string(),
                });
            }
            WorkshopEvent::TutorialHeld { tutorial } if tutorial.young_person == young_person => {
                record.tutorials.push(TutorialRecord {
                    held_at: tutorial.held_at,
                    duration_minutes: tutorial.duration_minutes,
                    note: tutorial.note.reveal_text().to_string(),
                });
            }
            WorkshopEvent::EvaluationRecorded { evaluation }
                if evaluation.respondent == (Respondent::YoungPerson { id: young_person }) =>
            {
                record.evaluation = Some(EvaluationRecord {
                    at: evaluation.at,
                    answers: evaluation
                        .answers
                        .iter()
                        .map(|a| EvaluationAnswerRecord {
                            question: a.question.to_string(),
                            before: a.before,
                            after: a.after,
                        })
                        .collect(),
                    learnt: evaluation
                        .learnt
                        .as_ref()
                        .map(|l| l.reveal_text().to_string()),
                });
            }
            _ => {}
        }
    }
    record
}

fn meeting(m: &Meeting) -> MeetingRecord {
    MeetingRecord {
        kind: m.kind.to_string(),
        held_at: m.held_at,
        service_attended: m.service_attended,
        actions: m.actions.iter().map(MeetingAction::revealed).collect(),
    }
}

/// Which kinds of third-party data were left out.
#[derive(Default)]
struct Withheld {
    parent: bool,
    professionals: bool,
    others: bool,
    workshop: bool,
}

impl Withheld {
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.parent {
            notes.push(
                "The name of the parent or carer who referred you is withheld: it is third-party data."
                    .to_owned(),
            );
        }
        if self.professionals {
            notes.push(
                "The names and contact details of other professionals are withheld as third-party data; they appear by their kind and agency."
                    .to_owned(),
            );
        }
        if self.others {
            notes.push(
                "The names of other people you were in contact with are withheld as third-party data."
                    .to_owned(),
            );
        }
        if self.workshop {
            notes.push(
                "Other young people at your workshops are withheld: who else attended, and anything recorded about them (concerns, tutorials, evaluation forms). Each workshop shows only how many attended, and your own part in it."
                    .to_owned(),
            );
        }
        notes.push(
            "Intelligence about possible perpetrators is withheld as third-party data: it is kept apart from your record and is about other people (R-19)."
                .to_owned(),
        );
        notes.push("Staff appear by their role, not by name.".to_owned());
        notes
    }
}

/// What the export is assembled from: everything the service loaded about one young person.
pub struct SubjectAccessInputs {
    /// Their identity record.
    pub person: YoungPerson,
    /// Their missing episodes, flags and alumni membership.
    pub activity: YoungPersonActivity,
    /// Their own stream, for corrections and alumni periods.
    pub young_person_events: Vec<Recorded<YoungPersonEvent>>,
    /// Each of their cases with its history.
    pub cases: Vec<(Case, Vec<Recorded<CaseEvent>>)>,
    /// Each workshop they were at with its history, by date.
    pub workshops: Vec<(Workshop, Vec<Recorded<WorkshopEvent>>)>,
    /// Every share of their cases.
    pub shares: Vec<Recorded<DisclosureEvent>>,
    /// Their retention record.
    pub retention: RetentionRecord,
    /// Every recorded read of their records.
    pub reads: Vec<AccessRecord>,
    /// Why the export was made.
    pub purpose: Text,
    /// When.
    pub produced_at: DateTime<Utc>,
    /// By whom, as a role.
    pub produced_by: Role,
}

/// The export, confidential content revealed: only on the receipt of the recorded read of
/// the young person's records (see [`crate::privacy::gate`]).
///
/// # Panics
/// When the receipt is for someone else's records: a bug in the caller, never input.
#[must_use]
pub fn assemble(receipt: &RecordedRead, inputs: SubjectAccessInputs) -> SubjectAccessExport {
    let young_person = inputs.person.id;
    assert!(
        matches!(receipt.subject(), AccessSubject::YoungPerson { young_person: id } if *id == young_person),
        "a subject access export opens only on the receipt of its own recorded read"
    );
    let SubjectAccessInputs {
        person,
        activity,
        young_person_events: yp_events,
        cases,
        workshops,
        shares,
        retention: record,
        reads,
        purpose,
        ..
    } = inputs;
    let mut withheld = Withheld::default();
    let details = &person.details;
    let identity = Identity {
        name: details.name.to_string(),
        date_of_birth: details.date_of_birth,
        gender: details.gender,
        postcode: details.postcode.to_string(),
        learning_difficulty: details.learning_difficulty,
        contact_preferences: details.contact_preferences.clone(),
        registered_at: person.registered_at,
        corrected_at: yp_events
            .iter()
            .filter_map(|e| match &e.event {
                YoungPersonEvent::DetailsCorrected { at, .. } => Some(*at),
                _ => None,
            })
            .collect(),
    };
    let mut alumni: Vec<AlumniPeriod> = Vec::new();
    for e in &yp_events {
        match &e.event {
            YoungPersonEvent::AlumniJoined { basis, at } => alumni.push(AlumniPeriod {
                basis: basis.clone(),
                joined_at: *at,
                left_at: None,
                left_because: None,
            }),
            YoungPersonEvent::AlumniLeft { reason, at } => {
                if let Some(last) = alumni.last_mut().filter(|a| a.left_at.is_none()) {
                    last.left_at = Some(*at);
                    last.left_because = reason.as_ref().map(|r| r.to_string());
                }
            }
            _ => {}
        }
    }
    let cases: Vec<CaseRecord> = cases
        .iter()
        .map(|(case, history)| case_record(case, history, &mut withheld))
        .collect();
    if !workshops.is_empty() {
        withheld.workshop = true;
    }
    let workshops: Vec<WorkshopRecord> = workshops
        .iter()
        .map(|(workshop, history)| workshop_record(young_person, workshop, history))
        .collect();
    let shares = shares
        .iter()
        .map(|s| {
            let share = s.event.share();
            let (basis, grounds, concern) = match &share.basis {
                ShareBasis::Consent { scope } => (
                    "consent".to_owned(),
                    format!("your consent to {scope}"),
                    None,
                ),
                ShareBasis::ReferrerOutcome => (
                    "referrer_outcome".to_owned(),
                    "the referrer is always told the referral's outcome".to_owned(),
                    None,
                ),
                ShareBasis::SafeguardingOverride {
                    legal_basis,
                    concern,
                } => (
                    "safeguarding_override".to_owned(),
                    legal_basis.to_string(),
                    Some(concern.to_string()),
                ),
            };
            ShareEntry {
                case_id: share.case,
                audience: share.audience.to_string(),
                basis,
                grounds,
                concern,
                items: share.items.clone(),
                shared_at: share.shared_at,
                shared_by: s.meta.actor.role,
            }
        })
        .collect();
    let record_reads = reads
        .iter()
        .map(|r| ReadEntry {
            at: r.read_at,
            by: r.role,
            case_id: match r.subject {
                AccessSubject::Case { case, .. } => Some(case),
                AccessSubject::YoungPerson { .. }
                | AccessSubject::Intelligence { .. }
                | AccessSubject::Workshop { .. } => None,
            },
            purpose: r.purpose.to_string(),
        })
        .collect();
    let hold = |h: &LegalHold, lifted: Option<&LiftedHold>| HoldEntry {
        reason: h.reason.to_string(),
        placed_at: h.placed_at,
        lifted_at: lifted.map(|l| l.lifted_at),
        lifted_because: lifted.map(|l| l.reason.to_string()),
    };
    let mut legal_holds: Vec<HoldEntry> = record
        .lifted
        .iter()
        .map(|l| hold(&l.hold, Some(l)))
        .chain(record.holds.iter().map(|h| hold(h, None)))
        .collect();
    legal_holds.sort_by_key(|h| h.placed_at);
    let erasures = record
        .erasures
        .iter()
        .map(|e: &Erasure| ErasureEntry {
            started_at: e.started.at,
            finished_at: e.finished_at,
            reason: e.started.reason.to_string(),
        })
        .collect();
    SubjectAccessExport {
        young_person,
        produced_at: inputs.produced_at,
        produced_by: inputs.produced_by,
        purpose: purpose.to_string(),
        identity,
        cases,
        missing_episodes: activity.missing_episodes.clone(),
        missing_flags: activity
            .missing_flags
            .iter()
            .map(|f| MissingFlagRecord {
                raised_at: f.raised_at,
                episodes: f.episodes.len(),
                resolved_at: f.resolved.as_ref().map(|(_, at)| *at),
                resolution: f.resolved.as_ref().map(|(why, _)| why.to_string()),
            })
            .collect(),
        alumni,
        workshops,
        shares,
        record_reads,
        legal_holds,
        erasures,
        withheld: withheld.notes(),
    }
}
