//! Disclosure: what may be shared with whom.
//!
//! A **view** is what one audience outside the case may see of it. [`permitted_view`] builds
//! it from the case's consent ledger: with the matching consent, that the service is working
//! with the young person (for parents or carers, R-10, only with her or his agreement), the
//! outcome and attendance; without it, the referrer still learns the referral's outcome (R-4,
//! [`ShareBasis::ReferrerOutcome`]) and anyone else nothing; never session content, concerns
//! or the plan. Nothing to share is a refusal ([`DisclosureError::NoConsent`]), never an
//! empty view, in every share call. The only way to put confidential content into a view is
//! a **safeguarding override** (R-9): sharing without consent on an immediate concern, which
//! needs the `share_under_override` permission, a legal basis and the concern in words, and
//! is recorded before the view is returned (`Acting::share_under_override` in
//! `casework-service`). Content in a view is [`Released`], which has no public constructor:
//! code outside this crate cannot turn a [`crate::kernel::confidential::Confidential`] into
//! part of a view.
//!
//! Every share, with consent or by override, is a [`ShareRecord`] on the case's disclosures
//! stream ([`crate::kernel::ids::StreamId::Disclosures`]), listed for the disclosure log
//! ([`ListingKind::Disclosure`]) and, for overrides, the override report
//! ([`ListingKind::Override`]). Consent withdrawn later does not unmake a share; it stops the
//! next one.

use crate::case::consent::ConsentScope;
use crate::case::{Case, Outcome, SessionStatus, StageName};
use crate::kernel::event::DomainEvent;
use crate::kernel::ids::{CaseId, StaffId, YoungPersonId};
use crate::kernel::input::{InputError, Text};
use crate::kernel::rule::Rule;
use crate::kernel::tag::kind_tagged;
use crate::policy::limits::InputLimits;
use crate::policy::risk::RiskLevel;
use crate::read::rows::{Listing, ListingKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Every disclosure event type this library reads.
pub const DISCLOSURE_EVENT_TYPES: &[&str] = &["information_shared"];

/// Who information is shared with.
///
/// Tagged `kind`; the tag `audience` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Audience {
    /// The person or agency who referred.
    Referrer,
    /// The young person's parents or carers.
    ParentOrCarer,
    /// A named partner agency (housing, college, a drug and alcohol service ...).
    PartnerAgency {
        /// The agency, as named in the consent it needs.
        agency: Text,
    },
    /// Children's social care.
    SocialCare {
        /// The team or authority, as named in the consent it needs.
        agency: Text,
    },
    /// The police.
    Police {
        /// The force or unit, as named in the consent it needs.
        agency: Text,
    },
}

kind_tagged!(Audience, "audience");

impl Audience {
    /// The consent scope that permits sharing with this audience.
    #[must_use]
    pub fn consent_scope(&self) -> ConsentScope {
        match self {
            Audience::Referrer => ConsentScope::SharingWithReferrer,
            Audience::ParentOrCarer => ConsentScope::SharingWithParents,
            Audience::PartnerAgency { agency }
            | Audience::SocialCare { agency }
            | Audience::Police { agency } => ConsentScope::SharingWithAgency {
                agency: agency.clone(),
            },
        }
    }

    /// The stable name of the audience's kind.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Audience::Referrer => "referrer",
            Audience::ParentOrCarer => "parent_or_carer",
            Audience::PartnerAgency { .. } => "partner_agency",
            Audience::SocialCare { .. } => "social_care",
            Audience::Police { .. } => "police",
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::Referrer => f.write_str("the referrer"),
            Audience::ParentOrCarer => f.write_str("parents or carers"),
            Audience::PartnerAgency { agency }
            | Audience::SocialCare { agency }
            | Audience::Police { agency } => write!(f, "{agency}"),
        }
    }
}

/// A kind of information that can be shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// That the service is working with the young person.
    ServiceInvolvement,
    /// The referral's outcome.
    Outcome,
    /// Attendance: sessions held, missed and cancelled.
    Attendance,
    /// The current risk level.
    RiskLevel,
    /// The concerns written on the referral (confidential).
    Concerns,
    /// The agreed plan (confidential).
    Plan,
    /// What was said in sessions (confidential).
    SessionContent,
}

impl ItemKind {
    /// Every kind.
    pub const ALL: [ItemKind; 7] = [
        ItemKind::ServiceInvolvement,
        ItemKind::Outcome,
        ItemKind::Attendance,
        ItemKind::RiskLevel,
        ItemKind::Concerns,
        ItemKind::Plan,
        ItemKind::SessionContent,
    ];

    /// Whether this kind is confidential content: shared only by override.
    #[must_use]
    pub fn is_confidential(&self) -> bool {
        matches!(
            self,
            ItemKind::Concerns | ItemKind::Plan | ItemKind::SessionContent
        )
    }
}

/// Confidential text released by a recorded safeguarding override. No public constructor:
/// only this crate's override path makes one, after recording the share.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Released(String);

impl Released {
    /// The released text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Released {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Released to one audience, not to every log line.
        f.write_str("[released under override]")
    }
}

/// One item of a view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum SharedItem {
    /// The service is working with the young person.
    ServiceInvolvement {
        /// The case's stage.
        stage: StageName,
    },
    /// The referral's outcome.
    Outcome {
        /// `immediate_support`, `waiting_list`, `signposted`, `declined`, or `pending`.
        outcome: String,
    },
    /// Attendance.
    Attendance {
        /// Sessions held.
        held: u32,
        /// Sessions the young person did not come to.
        not_attended: u32,
        /// Sessions cancelled.
        cancelled: u32,
        /// When the last one was held.
        last_held: Option<DateTime<Utc>>,
    },
    /// The current risk level.
    RiskLevel {
        /// The level, if assessed.
        level: Option<RiskLevel>,
    },
    /// The referral's concerns.
    Concerns {
        /// The text.
        text: Released,
    },
    /// The agreed plan.
    Plan {
        /// The text, if a plan was agreed.
        text: Option<Released>,
    },
    /// Session notes, oldest first.
    SessionContent {
        /// The notes.
        notes: Vec<Released>,
    },
}

impl SharedItem {
    /// Its kind.
    #[must_use]
    pub fn kind(&self) -> ItemKind {
        match self {
            SharedItem::ServiceInvolvement { .. } => ItemKind::ServiceInvolvement,
            SharedItem::Outcome { .. } => ItemKind::Outcome,
            SharedItem::Attendance { .. } => ItemKind::Attendance,
            SharedItem::RiskLevel { .. } => ItemKind::RiskLevel,
            SharedItem::Concerns { .. } => ItemKind::Concerns,
            SharedItem::Plan { .. } => ItemKind::Plan,
            SharedItem::SessionContent { .. } => ItemKind::SessionContent,
        }
    }
}

/// Why something was shared.
///
/// Tagged `kind`; the tag `basis` it had before issue 14 is still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(!remote))]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ShareBasis {
    /// The young person's consent in this scope.
    Consent {
        /// The scope.
        scope: ConsentScope,
    },
    /// the referrer of a referral is always told its outcome, consent or not; only the
    /// outcome, nothing more.
    ReferrerOutcome,
    /// An immediate safeguarding concern, without consent.
    SafeguardingOverride {
        /// The legal basis relied on.
        legal_basis: Text,
        /// The immediate concern, in words: read in the override report by whoever may read
        /// the audit logs, and sealed at rest with the young person's key
        /// ([`crate::kernel::sealing::personal`]), so it is erased with her records.
        #[serde(with = "crate::kernel::sealing::personal")]
        #[cfg_attr(feature = "schema", schemars(with = "String", extend("x-sealed-at-rest" = "personal")))]
        concern: Text,
    },
}

kind_tagged!(ShareBasis, "basis");

/// What one audience may see of a case, now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DisclosureView {
    /// The case.
    pub case: CaseId,
    /// Who it is for.
    pub audience: Audience,
    /// Why it may be shared.
    pub basis: ShareBasis,
    /// What it holds; empty when nothing may be shared.
    pub items: Vec<SharedItem>,
}

impl DisclosureView {
    /// Whether it holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What `audience` may see of `case` without an override, by kind, and why: with consent in
/// the audience's scope, that the service is involved, the outcome and attendance (R-8,
/// R-10); without it, the referrer still the outcome, anyone else nothing. Never
/// confidential content.
#[must_use]
pub fn permitted_kinds(case: &Case, audience: &Audience) -> (ShareBasis, Vec<ItemKind>) {
    let scope = audience.consent_scope();
    if case.file().consent.permits(&scope) {
        let kinds = vec![
            ItemKind::ServiceInvolvement,
            ItemKind::Outcome,
            ItemKind::Attendance,
        ];
        return (ShareBasis::Consent { scope }, kinds);
    }
    if *audience == Audience::Referrer {
        return (ShareBasis::ReferrerOutcome, vec![ItemKind::Outcome]);
    }
    (ShareBasis::Consent { scope }, Vec::new())
}

/// The view `audience` may have of `case` without an override ([`permitted_kinds`]); empty
/// when nothing may be shared, which every share call answers with
/// [`DisclosureError::NoConsent`] rather than an empty view.
#[must_use]
pub fn permitted_view(case: &Case, audience: &Audience) -> DisclosureView {
    let (basis, kinds) = permitted_kinds(case, audience);
    let items = kinds
        .into_iter()
        .filter_map(|kind| open_item(case, kind))
        .collect();
    DisclosureView {
        case: case.file().id,
        audience: audience.clone(),
        basis,
        items,
    }
}

/// The refusal of a share that nothing permits: R-10 for parents or carers, R-8 otherwise.
#[must_use]
pub fn no_consent(audience: &Audience) -> DisclosureError {
    DisclosureError::NoConsent {
        rule: if *audience == Audience::ParentOrCarer {
            Rule::R10
        } else {
            Rule::R8
        },
        audience: audience.to_string(),
        scope: audience.consent_scope().to_string(),
    }
}

/// A non-confidential item; `None` for confidential kinds.
fn open_item(case: &Case, kind: ItemKind) -> Option<SharedItem> {
    let file = case.file();
    Some(match kind {
        ItemKind::ServiceInvolvement => SharedItem::ServiceInvolvement {
            stage: case.stage(),
        },
        ItemKind::Outcome => SharedItem::Outcome {
            outcome: outcome_name(file.outcome.as_ref()).to_owned(),
        },
        ItemKind::Attendance => {
            let sessions = &file.activity.sessions;
            let count = |f: fn(&SessionStatus) -> bool| {
                sessions.iter().filter(|s| f(&s.status)).count() as u32
            };
            SharedItem::Attendance {
                held: count(|s| matches!(s, SessionStatus::Held { .. })),
                not_attended: count(|s| matches!(s, SessionStatus::NotAttended { .. })),
                cancelled: count(|s| matches!(s, SessionStatus::Cancelled { .. })),
                last_held: sessions
                    .iter()
                    .filter_map(|s| match &s.status {
                        SessionStatus::Held { held_at, .. } => Some(*held_at),
                        _ => None,
                    })
                    .max(),
            }
        }
        ItemKind::RiskLevel => SharedItem::RiskLevel {
            level: file.current_risk(),
        },
        ItemKind::Concerns | ItemKind::Plan | ItemKind::SessionContent => return None,
    })
}

fn outcome_name(outcome: Option<&Outcome>) -> &'static str {
    match outcome {
        None => "pending",
        Some(Outcome::ImmediateSupport) => "immediate_support",
        Some(Outcome::WaitingList) => "waiting_list",
        Some(Outcome::Signposted { .. }) => "signposted",
        Some(Outcome::Declined { .. }) => "declined",
    }
}

/// Any item, confidential ones released: only for a recorded override.
pub(crate) fn released_item(case: &Case, kind: ItemKind) -> SharedItem {
    let file = case.file();
    match kind {
        ItemKind::Concerns => SharedItem::Concerns {
            text: Released(file.concerns.reveal_text().to_owned()),
        },
        ItemKind::Plan => SharedItem::Plan {
            text: file
                .plan
                .as_ref()
                .map(|p| Released(p.reveal_text().to_owned())),
        },
        ItemKind::SessionContent => SharedItem::SessionContent {
            notes: file
                .activity
                .sessions
                .iter()
                .filter_map(|s| match &s.status {
                    SessionStatus::Held { note, .. } => {
                        Some(Released(note.reveal_text().to_owned()))
                    }
                    _ => None,
                })
                .collect(),
        },
        open => open_item(case, open).expect("open kinds always make an item"),
    }
}

/// A request to share without consent on an immediate safeguarding concern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// With whom.
    pub audience: Audience,
    /// What, by kind; at least one.
    pub items: Vec<ItemKind>,
    /// The legal basis relied on (e.g. "Children Act 1989 s47 enquiry; UK GDPR Art 6(1)(d)").
    pub legal_basis: String,
    /// The immediate concern, in words: why this cannot wait for consent. Managers and
    /// auditors read it in the override report, so it is not behind the gate; it is
    /// sealed at rest with the young person's key and erased with her records
    /// ([`crate::kernel::sealing::personal`]). State the risk ("she expects to be collected
    /// by an adult tonight"), not what she said in sessions, which the shared items carry.
    pub concern: String,
}

impl OverrideRequest {
    /// Checks the request against the profile's input `limits` and R-9, naming the field at
    /// fault.
    ///
    /// # Errors
    ///
    /// [`DisclosureError::OverrideIncomplete`] (`override_incomplete`, R-9), naming the field:
    /// any field when it breaks `limits` ([`InputLimits::check`]); `legal_basis` or `concern`
    /// when empty or only white space (or containing a NUL); `items` when no kind of
    /// information is named.
    pub fn validate(&self, limits: &InputLimits) -> Result<ShareBasis, DisclosureError> {
        let missing = |e: InputError| DisclosureError::OverrideIncomplete {
            field: e.field,
            problem: e.problem,
        };
        limits.check(self).map_err(missing)?;
        let legal_basis = Text::parse("legal_basis", &self.legal_basis).map_err(missing)?;
        let concern = Text::parse("concern", &self.concern).map_err(missing)?;
        if self.items.is_empty() {
            return Err(DisclosureError::OverrideIncomplete {
                field: "items".into(),
                problem: "name at least one kind of information to share".into(),
            });
        }
        Ok(ShareBasis::SafeguardingOverride {
            legal_basis,
            concern,
        })
    }
}

/// Why a share was refused. Nothing was shared or recorded.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DisclosureError {
    /// the young person has not consented to sharing with this audience.
    #[error("{rule}: nothing may be shared with {audience} without the young person's consent in scope `{scope}`; only an immediate safeguarding concern can override that (R-9)")]
    NoConsent {
        /// R-10 for parents or carers, R-8 otherwise.
        rule: Rule,
        /// Who.
        audience: String,
        /// The scope that would permit it.
        scope: String,
    },
    /// an override must say why, on what legal basis, and what it shares.
    #[error("R-9: a safeguarding override needs `{field}`: {problem}")]
    OverrideIncomplete {
        /// The field.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

impl DisclosureError {
    /// The rule that refused.
    #[must_use]
    pub fn rule(&self) -> Rule {
        match self {
            DisclosureError::NoConsent { rule, .. } => *rule,
            DisclosureError::OverrideIncomplete { .. } => Rule::R9,
        }
    }
}

/// One share, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareRecord {
    /// The case.
    pub case: CaseId,
    /// Whose case.
    pub young_person: YoungPersonId,
    /// With whom.
    pub audience: Audience,
    /// Why it could be shared.
    pub basis: ShareBasis,
    /// What was shared, by kind.
    pub items: Vec<ItemKind>,
    /// Who decided and shared.
    pub shared_by: StaffId,
    /// Their name.
    pub shared_by_name: String,
    /// When.
    pub shared_at: DateTime<Utc>,
}

impl ShareRecord {
    /// Whether it was shared under the safeguarding override.
    #[must_use]
    pub fn is_override(&self) -> bool {
        matches!(self.basis, ShareBasis::SafeguardingOverride { .. })
    }

    fn listings(&self) -> Vec<Listing> {
        let detail = serde_json::to_string(self).expect("share records serialize");
        let listing = |kind| Listing {
            kind,
            key: self.case.to_string(),
            at: Some(self.shared_at),
            detail: detail.clone(),
        };
        let mut listings = vec![listing(ListingKind::Disclosure)];
        if self.is_override() {
            listings.push(listing(ListingKind::Override));
        }
        listings
    }
}

/// The disclosures stream's events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DisclosureEvent {
    /// Information was shared.
    InformationShared {
        /// The share.
        share: ShareRecord,
    },
}

impl DisclosureEvent {
    /// The share it records.
    #[must_use]
    pub fn share(&self) -> &ShareRecord {
        match self {
            DisclosureEvent::InformationShared { share } => share,
        }
    }
}

/// The listings of a disclosures stream holding `shares`.
pub fn listings<'a>(shares: impl IntoIterator<Item = &'a ShareRecord>) -> Vec<Listing> {
    shares.into_iter().flat_map(ShareRecord::listings).collect()
}

impl DomainEvent for DisclosureEvent {
    fn event_type(&self) -> &'static str {
        match self {
            DisclosureEvent::InformationShared { .. } => "information_shared",
        }
    }

    /// Every disclosure event is at schema 1.
    fn current_schema(event_type: &str) -> Option<u32> {
        DISCLOSURE_EVENT_TYPES.contains(&event_type).then_some(1)
    }
}

impl crate::kernel::code::ErrorCode for DisclosureError {
    fn code(&self) -> &'static str {
        match self {
            DisclosureError::NoConsent { .. } => "no_consent",
            DisclosureError::OverrideIncomplete { .. } => "override_incomplete",
        }
    }
}
