//! What a front end can ask of a case: its commands.
//!
//! Commands are the runtime face of the typed transitions: [`super::Case::decide`] routes each
//! to the transition method of the case's current stage, and answers a command the stage does
//! not have with [`DomainError::NotAtThisStage`]. Their JSON is stable and documented; unknown
//! fields are refused, and a document that tries to record engagement as a statutory-plan
//! requirement is refused under R-6 ([`CaseCommand::from_json`]).
//!
//! Confidential content a command carries (a plan, a note, a confidential reason) is
//! [`NewConfidential`]: a person's words, which can never be made from what a record holds, so
//! a command cannot carry a record's content back out (`to_json` shows only its caller's own
//! words).

use super::activity::{
    Cadence, CadenceBasis, CancelledBy, ContactKind, ContactWith, Direction, MeetingAction,
    MeetingKind, PartnerKind, PartnerReferralUpdate, SessionPlace,
};
use super::model::{ClosureReason, Party, PauseReason, Professional, ReviewDecision};
use crate::case::consent::ConsentEntry;
use crate::kernel::confidential::NewConfidential;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{ApprovalId, GoalId, OwedActionId, PartnerReferralId, SessionId, StaffId};
use crate::kernel::input::{decode_json, decode_value, InputError, Text};
use crate::policy::profile::PartnerService;
use crate::policy::risk::{IndicatorAnswer, RiskOverride};
use crate::policy::topic::SessionTopic;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A command to an existing case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseCommand {
    /// Record consent given, refused or withdrawn.
    RecordConsent {
        /// The entry.
        entry: ConsentEntry,
    },
    /// Record a professional as involved.
    RecordProfessional {
        /// Who.
        professional: Professional,
    },
    /// Screen eligibility against the service profile.
    Screen,
    /// Assess risk with the profile's tool.
    AssessRisk {
        /// The indicators present, each with when it was present.
        indicators: Vec<IndicatorAnswer>,
        /// The worker's override, with its reason (confidential).
        #[serde(default)]
        worker_override: Option<RiskOverride<NewConfidential>>,
    },
    /// Accept for immediate support.
    AcceptForSupport,
    /// Accept onto the waiting list.
    AddToWaitingList,
    /// Signpost to other support.
    Signpost {
        /// Why (confidential); defaults to the screening reasons of an ineligible referral.
        #[serde(default)]
        reason: Option<NewConfidential>,
        /// Where to; defaults to the profile's signposting rule.
        #[serde(default)]
        to: Option<PartnerService>,
    },
    /// Decline, with the reason.
    Decline {
        /// Why (confidential).
        reason: NewConfidential,
    },
    /// Withdraw the referral before allocation.
    Withdraw {
        /// Why (confidential).
        reason: NewConfidential,
    },
    /// An owed action was sent.
    MarkActionSent {
        /// Which.
        action: OwedActionId,
        /// The recipient's reference (visible).
        reference: Text,
        /// When sent.
        sent_at: DateTime<Utc>,
    },
    /// An owed action was acknowledged.
    AcknowledgeAction {
        /// Which.
        action: OwedActionId,
        /// When.
        acknowledged_at: DateTime<Utc>,
    },
    /// An owed action will not be sent, and why.
    ExplainAction {
        /// Which.
        action: OwedActionId,
        /// Why not (visible: how the duty was met otherwise, never what the young person
        /// said).
        explanation: Text,
    },
    /// Allocate a worker (R-7 for the waiting list).
    Allocate {
        /// The worker.
        worker: StaffId,
        /// Their name.
        worker_name: Text,
        /// A manager's reason for taking a case that is not at the head of the list
        /// (visible: risk level and capacity, never what the young person said).
        #[serde(default)]
        out_of_order_reason: Option<Text>,
    },
    /// Move an allocated case to another worker, with the reason; pending a manager's
    /// approval where the profile asks for one.
    Reallocate {
        /// The worker it moves to.
        worker: StaffId,
        /// Their name.
        worker_name: Text,
        /// Why it moves (visible: a staffing reason).
        reason: Text,
    },
    /// Record the plan agreed with the young person.
    AgreePlan {
        /// The plan (confidential).
        plan: NewConfidential,
    },
    /// Begin the work.
    BeginWork,
    /// Pause the work.
    Pause {
        /// Why (the words of `other` are confidential).
        reason: PauseReason<NewConfidential>,
    },
    /// Resume the work.
    Resume,
    /// Record a review with a fresh assessment.
    RecordReview {
        /// The indicators present, each with when it was present.
        indicators: Vec<IndicatorAnswer>,
        /// The worker's override, with its reason (confidential).
        #[serde(default)]
        worker_override: Option<RiskOverride<NewConfidential>>,
        /// The decision.
        decision: ReviewDecision,
    },
    /// Propose closure for 'risk significantly reduced'.
    ProposeClosure,
    /// Record a party's agreement to the proposed closure.
    RecordAgreement {
        /// Who agreed.
        party: Party,
    },
    /// Withdraw the closure proposal.
    WithdrawClosureProposal {
        /// Why (confidential).
        reason: NewConfidential,
    },
    /// Close for 'risk significantly reduced' once everyone has agreed.
    CompleteClosure,
    /// Close with any other reason.
    Close {
        /// Why (the words of `other` are confidential).
        reason: ClosureReason<NewConfidential>,
    },
    /// A manager approves a pending step, which is then done.
    Approve {
        /// Which request.
        approval: ApprovalId,
        /// Why (confidential).
        reason: NewConfidential,
    },
    /// A manager refuses a pending step.
    RefuseApproval {
        /// Which request.
        approval: ApprovalId,
        /// Why (confidential).
        reason: NewConfidential,
    },
    /// Add a goal to the action plan, agreed with the young person and any professionals
    /// named (who must be recorded as involved).
    AddGoal {
        /// What the young person wants to achieve (confidential).
        description: NewConfidential,
        /// Who agreed it: the young person, and any professionals named.
        agreed_with: Vec<Party>,
    },
    /// Record a goal achieved.
    AchieveGoal {
        /// Which.
        goal: GoalId,
        /// When.
        achieved_at: DateTime<Utc>,
    },
    /// Drop a goal, with the reason.
    DropGoal {
        /// Which.
        goal: GoalId,
        /// Why (confidential).
        reason: NewConfidential,
    },
    /// Plan a one-to-one session.
    PlanSession {
        /// When.
        planned_for: DateTime<Utc>,
        /// Where.
        place: SessionPlace,
        /// Whether the young person chose the place.
        place_chosen_by_young_person: bool,
        /// The topics planned: the vocabulary's or the programme's own.
        #[serde(default)]
        topics: Vec<SessionTopic>,
    },
    /// Record that a planned session was held.
    HoldSession {
        /// Which.
        session: SessionId,
        /// When it started.
        held_at: DateTime<Utc>,
        /// How long it lasted, in minutes (1 to 720).
        duration_minutes: u32,
        /// Where, if not where planned.
        #[serde(default)]
        place: Option<SessionPlace>,
        /// The topics covered; the planned topics when empty.
        #[serde(default)]
        topics: Vec<SessionTopic>,
        /// The resources used (the service's own packs and workbooks: visible).
        #[serde(default)]
        resources: Vec<Text>,
        /// What was said and done (confidential, R-8).
        note: NewConfidential,
    },
    /// Record that a planned session was cancelled, and by whom.
    CancelSession {
        /// Which.
        session: SessionId,
        /// By whom.
        by: CancelledBy,
        /// Why, if given (confidential).
        #[serde(default)]
        reason: Option<NewConfidential>,
    },
    /// Record that the young person did not attend a planned session.
    RecordNonAttendance {
        /// Which.
        session: SessionId,
    },
    /// Record a contact episode (R-11; with the referring professional, R-13).
    RecordContact {
        /// How.
        kind: ContactKind,
        /// Who started it.
        direction: Direction,
        /// With whom.
        with: ContactWith,
        /// When.
        at: DateTime<Utc>,
    },
    /// Put the case on one of the service's programmes, with its cadence.
    AssignProgramme {
        /// The programme's key.
        programme: String,
    },
    /// Change the case's cadence, with the reason.
    ChangeCadence {
        /// The new cadence (an absent part means no expectation).
        cadence: Cadence,
        /// On what basis.
        basis: CadenceBasis,
        /// Why (visible: the rhythm of the work, never what the young person said).
        reason: Text,
    },
    /// Record a multi-agency meeting and whether the service attended.
    RecordMeeting {
        /// What kind.
        kind: MeetingKind,
        /// When it was held.
        held_at: DateTime<Utc>,
        /// Whether the service attended.
        service_attended: bool,
        /// Actions arising (what is to be done is confidential).
        #[serde(default)]
        actions: Vec<MeetingAction<NewConfidential>>,
    },
    /// Record a referral out to a partner agency.
    ReferToPartner {
        /// What kind of partner.
        partner: PartnerKind,
        /// The agency's name (visible).
        agency: Text,
        /// When it was sent.
        sent_at: DateTime<Utc>,
    },
    /// Record a partner's answer to a referral out, or its end.
    UpdatePartnerReferral {
        /// Which.
        referral: PartnerReferralId,
        /// What happened.
        update: PartnerReferralUpdate,
        /// When.
        at: DateTime<Utc>,
    },
}

/// A closure reason as the envelope states it: its kind, and the service transferred to; the
/// words of `other` are confidential.
fn closure_kind(reason: &ClosureReason<NewConfidential>) -> String {
    match reason {
        ClosureReason::Transferred { to } => format!("transferred to {to}"),
        other => other.as_str().replace('_', " "),
    }
}

/// Keys that would claim engagement is required by a statutory plan.
const STATUTORY_KEYS: &[&str] = &[
    "statutory_plan",
    "statutory_requirement",
    "required_by_plan",
    "section_17",
    "section_47",
    "s17",
    "s47",
];

impl CaseCommand {
    /// The command's stable name, as used in errors and JSON.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            CaseCommand::RecordConsent { .. } => "record_consent",
            CaseCommand::RecordProfessional { .. } => "record_professional",
            CaseCommand::Screen => "screen",
            CaseCommand::AssessRisk { .. } => "assess_risk",
            CaseCommand::AcceptForSupport => "accept_for_support",
            CaseCommand::AddToWaitingList => "add_to_waiting_list",
            CaseCommand::Signpost { .. } => "signpost",
            CaseCommand::Decline { .. } => "decline",
            CaseCommand::Withdraw { .. } => "withdraw",
            CaseCommand::MarkActionSent { .. } => "mark_action_sent",
            CaseCommand::AcknowledgeAction { .. } => "acknowledge_action",
            CaseCommand::ExplainAction { .. } => "explain_action",
            CaseCommand::Allocate { .. } => "allocate",
            CaseCommand::Reallocate { .. } => "reallocate",
            CaseCommand::AgreePlan { .. } => "agree_plan",
            CaseCommand::BeginWork => "begin_work",
            CaseCommand::Pause { .. } => "pause",
            CaseCommand::Resume => "resume",
            CaseCommand::RecordReview { .. } => "record_review",
            CaseCommand::ProposeClosure => "propose_closure",
            CaseCommand::RecordAgreement { .. } => "record_agreement",
            CaseCommand::WithdrawClosureProposal { .. } => "withdraw_closure_proposal",
            CaseCommand::CompleteClosure => "complete_closure",
            CaseCommand::Close { .. } => "close",
            CaseCommand::Approve { .. } => "approve",
            CaseCommand::RefuseApproval { .. } => "refuse_approval",
            CaseCommand::AddGoal { .. } => "add_goal",
            CaseCommand::AchieveGoal { .. } => "achieve_goal",
            CaseCommand::DropGoal { .. } => "drop_goal",
            CaseCommand::PlanSession { .. } => "plan_session",
            CaseCommand::HoldSession { .. } => "hold_session",
            CaseCommand::CancelSession { .. } => "cancel_session",
            CaseCommand::RecordNonAttendance { .. } => "record_non_attendance",
            CaseCommand::RecordContact { .. } => "record_contact",
            CaseCommand::AssignProgramme { .. } => "assign_programme",
            CaseCommand::ChangeCadence { .. } => "change_cadence",
            CaseCommand::RecordMeeting { .. } => "record_meeting",
            CaseCommand::ReferToPartner { .. } => "refer_to_partner",
            CaseCommand::UpdatePartnerReferral { .. } => "update_partner_referral",
        }
    }

    /// The reason the command states, recorded as the "why" of its events' envelope (R-18,
    /// `meta.reason`): only a visible one. The envelope is shown in every history, so a
    /// confidential reason (a decline, a withdrawal, a dropped goal, an approval, a closure's
    /// words) is never copied there; it is kept, sealed, in the event itself. Nor is a
    /// visible one sealed at rest in its event (an owed action's explanation,
    /// [`crate::kernel::sealing::personal`]): the envelope is not sealed, and would keep it
    /// after erasure.
    #[must_use]
    pub fn stated_reason(&self) -> Option<String> {
        match self {
            CaseCommand::Reallocate { reason, .. } | CaseCommand::ChangeCadence { reason, .. } => {
                Some(reason.to_string())
            }
            CaseCommand::Allocate {
                out_of_order_reason,
                ..
            } => out_of_order_reason.as_ref().map(|r| r.to_string()),
            CaseCommand::Close { reason } => Some(closure_kind(reason)),
            _ => None,
        }
    }

    /// Decodes a command from JSON, as a front end or an import sends it: the flat form
    /// `{"command": "decline", "reason": "…"}` or serde's own (`"screen"`,
    /// `{"decline": {"reason": "…"}}`). Refuses, naming the field: malformed JSON, unknown
    /// fields or values, invalid values (empty text, a bad postcode) and, under R-6, any claim
    /// that engagement is a statutory-plan requirement.
    ///
    /// # Errors
    ///
    /// [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at
    /// any depth, claims a statutory-plan requirement ([`reject_statutory_claims`]);
    /// otherwise [`DomainError::Input`] (`bad_input`) naming the field when the JSON is
    /// malformed, the command is missing or unknown, a field is missing, unknown or of the
    /// wrong type, or a value is invalid.
    pub fn from_json(json: &str) -> Result<CaseCommand, DomainError> {
        decode_command(json)
    }

    /// The flat JSON form front ends send: `{"command": "decline", "reason": "…"}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        encode_command(self)
    }
}

/// Decodes a command of any aggregate (a serde enum named in `snake_case`, one variant per
/// command) from JSON, as [`CaseCommand::from_json`] does: the flat form
/// `{"command": "name", …fields}` or serde's own, refusing statutory-plan claims and
/// naming the field of any other problem (a field inside the command is named as it is in the
/// flat form, without the command's name before it).
pub(crate) fn decode_command<T: DeserializeOwned>(json: &str) -> Result<T, DomainError> {
    let value = parse_refusing_statutory_claims(json)?;
    let Value::Object(mut fields) = value else {
        // The serde form: `"screen"` or `{"decline": {…}}`.
        return Ok(decode_value(value)?);
    };
    let Some(name) = fields.remove("command") else {
        // Only the serde form `{"decline": {…}}` has no `command` key: one key, the name.
        if fields.len() != 1 {
            return Err(InputError::new(
                "command",
                "missing: name the command, e.g. {\"command\": \"screen\"}",
            )
            .into());
        }
        return decode_value(Value::Object(fields)).map_err(|mut e| {
            if e.field.is_empty() {
                e.field = "command".into();
            }
            e.into()
        });
    };
    let Value::String(name) = name else {
        return Err(
            InputError::new("command", "must be the command's name, e.g. \"screen\"").into(),
        );
    };
    // Decode the flat form `{"command": "decline", "reason": …}` as the serde form
    // `{"decline": {"reason": …}}`, so errors name the field inside the command.
    let unit = || decode_value::<T>(Value::String(name.clone()));
    if fields.is_empty() {
        if let Ok(command) = unit() {
            return Ok(command);
        }
    }
    let first_field = fields.keys().next().cloned();
    let tagged = Value::Object(Map::from_iter([(name.clone(), Value::Object(fields))]));
    decode_value::<T>(tagged).map_err(|mut e| {
        if e.field.is_empty() || e.field == name {
            match (unit(), first_field) {
                // A command without fields was given some.
                (Ok(_), Some(extra)) => {
                    e = InputError::new(extra, format!("unknown field: `{name}` takes no fields"));
                }
                // A field the command needs is absent: name it.
                _ => {
                    e.field = e
                        .problem
                        .strip_prefix("missing field `")
                        .and_then(|rest| rest.split('`').next())
                        .unwrap_or("command")
                        .to_owned()
                }
            }
        } else if let Some(inner) = e.field.strip_prefix(&format!("{name}.")) {
            e.field = inner.to_owned();
        }
        e.into()
    })
}

/// The flat JSON form of a command of any aggregate: `{"command": "name", …fields}`.
///
/// Not storage: a command's confidential content is [`NewConfidential`], its caller's own
/// words, which write as given; a command cannot hold a record's sealed content, which would
/// refuse here.
pub(crate) fn encode_command<T: Serialize>(command: &T) -> String {
    let value = serde_json::to_value(command).expect("commands serialize to JSON");
    let flat = match value {
        Value::String(name) => Map::from_iter([("command".to_owned(), Value::String(name))]),
        Value::Object(tagged) => {
            let (name, fields) = tagged.into_iter().next().expect("a tagged command");
            let mut flat = match fields {
                Value::Object(fields) => fields,
                _ => Map::new(),
            };
            flat.insert("command".into(), Value::String(name));
            flat
        }
        _ => unreachable!("commands serialize to a string or an object"),
    };
    Value::Object(flat).to_string()
}

/// Refuses a JSON document with any key that claims a statutory-plan requirement,
/// wherever it is nested.
///
/// # Errors
///
/// [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6), naming the path of
/// the first such key (`young_person.s17`, `items[0].statutory_plan`), when an object key at
/// any depth is, ignoring ASCII case, `statutory_plan`, `statutory_requirement`,
/// `required_by_plan`, `section_17`, `section_47`, `s17` or `s47`.
pub fn reject_statutory_claims(value: &Value) -> Result<(), DomainError> {
    fn walk(value: &serde_json::Value, path: &str) -> Option<String> {
        match value {
            serde_json::Value::Object(map) => map.iter().find_map(|(key, v)| {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let lower = key.to_ascii_lowercase();
                if STATUTORY_KEYS.iter().any(|k| lower == *k) {
                    Some(here)
                } else {
                    walk(v, &here)
                }
            }),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &format!("{path}[{i}]"))),
            _ => None,
        }
    }
    match walk(value, "") {
        Some(field) => Err(DomainError::StatutoryRequirement { field }),
        None => Ok(()),
    }
}

/// Parses a JSON document once, naming the position of a syntax error, and refuses it if any
/// key claims a statutory-plan requirement: the first step of every JSON import.
pub(crate) fn parse_refusing_statutory_claims(json: &str) -> Result<Value, DomainError> {
    let value: Value = decode_json(json)?;
    reject_statutory_claims(&value)?;
    Ok(value)
}
