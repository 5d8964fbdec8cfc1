//! Intelligence about possible perpetrators.
//!
//! A worker may learn something that could help the police prevent or disrupt exploitation: a
//! car, a house, a name. It is recorded as an [`Intelligence`] report, an aggregate of its own,
//! stored apart from the young person's confidential record: a case never holds the report,
//! and the report refers to cases and young people only by id. Its content is confidential.
//!
//! A report is passed to the police through the non-urgent channel, or by an immediate call
//! where there is immediate risk; each handover is recorded with the police's reference. A
//! report of immediate risk must first go by an immediate call; follow-ups may use any
//! channel.
//!
//! Like workshops, reports are decided and folded here with typed, versioned events
//! ([`crate::kernel::event::INTELLIGENCE_EVENT_TYPES`]); the stores hold them once an `intelligence`
//! stream kind and its read-model rows are added.

use crate::kernel::confidential::{Confidential, NewConfidential};
use crate::kernel::context::CommandContext;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{CaseId, IntelligenceId, YoungPersonId};
use crate::kernel::input::{InputError, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How urgent a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// No immediate risk: the non-urgent channel.
    NonUrgent,
    /// Immediate risk: an immediate call.
    ImmediateRisk,
}

impl Urgency {
    /// The stable name: `non_urgent`, `immediate_risk`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Urgency::NonUrgent => "non_urgent",
            Urgency::ImmediateRisk => "immediate_risk",
        }
    }
}

/// How a report reached the police.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PoliceChannel {
    /// The police's non-urgent channel (a secure email address, a form).
    NonUrgent,
    /// An immediate phone call.
    ImmediateCall,
}

/// What a report is linked to: ids only, never content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "link", content = "id", rename_all = "snake_case")]
pub enum IntelligenceLink {
    /// A case.
    Case(CaseId),
    /// A young person.
    YoungPerson(YoungPersonId),
}

/// A report as a worker gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIntelligence {
    /// What is known about the possible perpetrators (confidential).
    pub report: NewConfidential,
    /// How urgent.
    pub urgency: Urgency,
    /// The cases and young people it concerns, by id.
    #[serde(default)]
    pub links: Vec<IntelligenceLink>,
    /// When the service learnt it.
    pub learnt_at: DateTime<Utc>,
}

/// A report as its `intelligence_recorded` event keeps it: [`NewIntelligence`] with the
/// report sealed (the same JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IntelligenceDetails {
    /// What is known about the possible perpetrators (confidential).
    pub report: Confidential<Text>,
    /// How urgent.
    pub urgency: Urgency,
    /// The cases and young people it concerns, by id.
    #[serde(default)]
    pub links: Vec<IntelligenceLink>,
    /// When the service learnt it.
    pub learnt_at: DateTime<Utc>,
}

/// A handover to the police.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PoliceHandover {
    /// How.
    pub channel: PoliceChannel,
    /// The police's reference (visible to whoever may read intelligence).
    pub reference: Text,
    /// When.
    pub passed_at: DateTime<Utc>,
}

/// What happened to a report.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum IntelligenceEvent {
    /// A report was recorded.
    #[serde(rename = "intelligence_recorded")]
    Recorded {
        /// Its id.
        intelligence: IntelligenceId,
        /// The report.
        details: IntelligenceDetails,
        /// When recorded.
        at: DateTime<Utc>,
    },
    /// It was passed to the police.
    #[serde(rename = "intelligence_passed_to_police")]
    PassedToPolice {
        /// The handover.
        handover: PoliceHandover,
    },
}

impl IntelligenceEvent {
    /// The id, as displayed, of the report a `Recorded` event brings into being.
    #[must_use]
    pub fn created(&self) -> Option<String> {
        match self {
            IntelligenceEvent::Recorded { intelligence, .. } => Some(intelligence.to_string()),
            IntelligenceEvent::PassedToPolice { .. } => None,
        }
    }

    /// The stable type name stored with the event.
    #[must_use]
    pub fn event_type(&self) -> &'static str {
        match self {
            IntelligenceEvent::Recorded { .. } => "intelligence_recorded",
            IntelligenceEvent::PassedToPolice { .. } => "intelligence_passed_to_police",
        }
    }
}

/// A command to a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum IntelligenceCommand {
    /// Record that the report was passed to the police.
    PassToPolice {
        /// How.
        channel: PoliceChannel,
        /// The police's reference.
        reference: Text,
        /// When.
        passed_at: DateTime<Utc>,
    },
}

impl IntelligenceCommand {
    /// The command's stable name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            IntelligenceCommand::PassToPolice { .. } => "pass_to_police",
        }
    }

    /// Decodes a command from JSON, as a front end or an import sends it: the flat form
    /// `{"command": "pass_to_police", "channel": "immediate_call", "reference": "…",
    /// "passed_at": "…"}` or serde's own, exactly as [`crate::case::CaseCommand::from_json`]
    /// does. Refuses, naming the field: malformed JSON, unknown commands, fields or values,
    /// and invalid values (an empty reference).
    ///
    /// # Errors
    ///
    /// - [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at any
    ///   depth, claims a statutory-plan requirement ([`crate::case::reject_statutory_claims`]).
    /// - [`DomainError::Input`] (`bad_input`) naming the field when the JSON is malformed, the
    ///   command is missing or unknown, a field is missing, unknown or of the wrong type, or a
    ///   value is invalid.
    pub fn from_json(json: &str) -> Result<IntelligenceCommand, DomainError> {
        crate::case::decode_command(json)
    }

    /// The flat JSON form: `{"command": "pass_to_police", …}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::case::encode_command(self)
    }
}

impl NewIntelligence {
    /// Decodes a report to record from JSON (`{"report": "…", "urgency": "non_urgent",
    /// "links": […], "learnt_at": "…"}`), naming the field of any problem.
    ///
    /// # Errors
    ///
    /// - [`DomainError::StatutoryRequirement`] (`statutory_requirement`, R-6) when any key, at any
    ///   depth, claims a statutory-plan requirement ([`crate::case::reject_statutory_claims`]).
    /// - [`DomainError::Input`] (`bad_input`) naming the field when the JSON is malformed, a field
    ///   is missing or of the wrong type, or a value is invalid.
    pub fn from_json(json: &str) -> Result<NewIntelligence, DomainError> {
        let value = crate::case::parse_refusing_statutory_claims(json)?;
        Ok(crate::kernel::input::decode_value(value)?)
    }
}

/// A report of intelligence: the fold of its events.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Intelligence {
    /// Its id.
    pub id: IntelligenceId,
    /// The report (confidential).
    pub report: Confidential<Text>,
    /// How urgent.
    pub urgency: Urgency,
    /// What it concerns, by id.
    pub links: Vec<IntelligenceLink>,
    /// When the service learnt it.
    pub learnt_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Handovers to the police, oldest first.
    pub handovers: Vec<PoliceHandover>,
}

impl Intelligence {
    /// Decides recording a report: learnt not in the future.
    ///
    /// # Errors
    ///
    /// [`DomainError::Input`] (`bad_input`): naming the field, when the details break the profile's input
    /// limits, or hold a NUL or a year outside the years kept
    /// ([`InputLimits::check`](crate::policy::limits::InputLimits::check)), before anything else;
    /// on `learnt_at` when it is later than the command's time.
    pub fn record(
        id: IntelligenceId,
        details: NewIntelligence,
        ctx: &CommandContext<'_>,
    ) -> Result<IntelligenceEvent, DomainError> {
        ctx.profile.limits.check(&details)?;
        if details.learnt_at > ctx.at {
            return Err(InputError::new(
                "learnt_at",
                format!("{} is in the future (now is {})", details.learnt_at, ctx.at),
            )
            .into());
        }
        Ok(IntelligenceEvent::Recorded {
            intelligence: id,
            details: IntelligenceDetails {
                report: details.report.seal(),
                urgency: details.urgency,
                links: details.links,
                learnt_at: details.learnt_at,
            },
            at: ctx.at,
        })
    }

    /// Decides a command. A report of immediate risk goes first by an immediate call.
    ///
    /// # Errors
    ///
    /// - [`DomainError::Input`] (`bad_input`), naming the field, when the command breaks the profile's input limits, or holds a NUL or a year outside the
    ///   years kept ([`InputLimits::check`](crate::policy::limits::InputLimits::check)), before
    ///   anything else.
    /// - [`DomainError::ImmediateRiskNeedsCall`] (`immediate_risk_needs_call`, R-19) when the
    ///   report is of immediate risk, the channel is [`PoliceChannel::NonUrgent`] and it has
    ///   not yet been passed by an immediate call.
    /// - [`DomainError::Input`] (`bad_input`) on `passed_at` when it is later than the command's
    ///   time or earlier than the service learnt it.
    pub fn decide(
        &self,
        command: IntelligenceCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<IntelligenceEvent>, DomainError> {
        ctx.profile.limits.check_command(&command)?;
        let IntelligenceCommand::PassToPolice {
            channel,
            reference,
            passed_at,
        } = command;
        if self.urgency == Urgency::ImmediateRisk
            && channel == PoliceChannel::NonUrgent
            && !self
                .handovers
                .iter()
                .any(|h| h.channel == PoliceChannel::ImmediateCall)
        {
            return Err(DomainError::ImmediateRiskNeedsCall {
                intelligence: self.id,
            });
        }
        if passed_at > ctx.at {
            return Err(InputError::new(
                "passed_at",
                format!("{passed_at} is in the future (now is {})", ctx.at),
            )
            .into());
        }
        if passed_at < self.learnt_at {
            return Err(InputError::new(
                "passed_at",
                format!(
                    "{passed_at} is before the service learnt it ({})",
                    self.learnt_at
                ),
            )
            .into());
        }
        Ok(vec![IntelligenceEvent::PassedToPolice {
            handover: PoliceHandover {
                channel,
                reference,
                passed_at,
            },
        }])
    }

    /// Folds one event; `None` when it cannot follow (the first event is always the record).
    #[must_use]
    pub fn evolve(state: Option<Intelligence>, event: &IntelligenceEvent) -> Option<Intelligence> {
        match (state, event) {
            (
                None,
                IntelligenceEvent::Recorded {
                    intelligence,
                    details,
                    at,
                },
            ) => Some(Intelligence {
                id: *intelligence,
                report: details.report.clone(),
                urgency: details.urgency,
                links: details.links.clone(),
                learnt_at: details.learnt_at,
                recorded_at: *at,
                handovers: Vec::new(),
            }),
            (Some(mut i), IntelligenceEvent::PassedToPolice { handover }) => {
                i.handovers.push(handover.clone());
                Some(i)
            }
            _ => None,
        }
    }

    /// Folds a whole history; `Err(i)` names the first event that cannot follow.
    ///
    /// # Errors
    ///
    /// `Err(i)`, the index of the first event that cannot follow the ones before it
    /// ([`Intelligence::evolve`] returns `None`): a first event other than the record, or a second
    /// record.
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a IntelligenceEvent>,
    ) -> Result<Option<Intelligence>, usize> {
        let mut state = None;
        for (i, event) in events.into_iter().enumerate() {
            state = Some(Intelligence::evolve(state, event).ok_or(i)?);
        }
        Ok(state)
    }

    /// Whether the report still waits to reach the police: never passed, or, at immediate
    /// risk, not yet by an immediate call.
    #[must_use]
    pub fn awaiting_police(&self) -> bool {
        match self.urgency {
            Urgency::NonUrgent => self.handovers.is_empty(),
            Urgency::ImmediateRisk => !self
                .handovers
                .iter()
                .any(|h| h.channel == PoliceChannel::ImmediateCall),
        }
    }
}

impl crate::aggregate::Aggregate for Intelligence {
    type Id = IntelligenceId;
    type Command = IntelligenceCommand;
    type Event = IntelligenceEvent;

    fn stream(id: IntelligenceId) -> crate::kernel::ids::StreamId {
        crate::kernel::ids::StreamId::Intelligence(id)
    }
    fn key_owner(&self) -> Option<crate::privacy::key_store::KeyOwner> {
        Some(crate::privacy::key_store::KeyOwner::Intelligence(self.id))
    }
    fn evolve(state: Option<Self>, event: &IntelligenceEvent) -> Option<Self> {
        Intelligence::evolve(state, event)
    }
    fn decide(
        &self,
        command: IntelligenceCommand,
        ctx: &CommandContext<'_>,
    ) -> Result<Vec<IntelligenceEvent>, DomainError> {
        Intelligence::decide(self, command, ctx)
    }
    fn command_name(command: &IntelligenceCommand) -> &'static str {
        command.name()
    }
    fn command_permission(_: &IntelligenceCommand) -> crate::privacy::access::Permission {
        crate::privacy::access::Permission::RecordIntelligence
    }
    fn listings(
        &self,
        _profile: &crate::policy::profile::ServiceProfile,
    ) -> crate::read::listing::Listings {
        crate::read::listing::Listings::of_intelligence(self)
    }
}
