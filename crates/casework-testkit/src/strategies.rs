//! Proptest strategies: young people, referrals, risk indicator answers and case commands.
//!
//! For model-based property tests of stores and for charities' own property tests of their
//! service profiles. Every value is fictional: names from a short invented list, postcode
//! districts only (plus the fixtures' two full postcodes), invented agencies and references.
//!
//! Identifiers are drawn from the strategy's random bits, not from a fresh random uuid, so a
//! failing case shrinks and replays exactly.
//!
//! ```
//! use casework_testkit::strategies;
//! use casework_core::policy::risk::RiskLevel;
//! use proptest::prelude::*;
//!
//! proptest!(|(details in strategies::young_person_details(),
//!             answers in strategies::indicators_for(RiskLevel::High))| {
//!     prop_assert!(!details.name.as_str().is_empty());
//!     prop_assert!(!answers.is_empty());
//! });
//! ```
//!
//! Why one module of this size: the proptest strategies build on each other (a referral needs a
//! young person, a case history needs referrals), so they live in one file.

use casework_core::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework_core::case::owed::OwedStatus;
use casework_core::case::Case;
use casework_core::case::{
    CaseCommand, ClosureReason, NewReferral, Party, PauseReason, Professional, ProfessionalKind,
    ReferralSource, ReviewDecision,
};
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{OwedActionId, ProfessionalId, StaffId};
use casework_core::kernel::input::{Postcode, Text};
use casework_core::policy::profile::{Approvals, PartnerService, ServiceProfile};
use casework_core::policy::risk::{IndicatorAnswer, RiskLevel, RiskOverride, Window};
use casework_core::young_person::{ContactMethod, Gender, YoungPersonDetails};
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::strategy::{BoxedStrategy, Union};

/// Fictional first and last names young people are drawn from.
pub const NAMES: &[&str] = &[
    "Amy Example",
    "Bea Sample",
    "Cara Test",
    "Dani Fiction",
    "Eve Placeholder",
    "Fay Madeup",
    "Gia Invented",
    "Hana Notreal",
    "Ivy Pretend",
    "Jo Imaginary",
    "Kit Storybook",
    "Lou Makebelieve",
];

/// Postcodes young people live at: districts covered by the city girls' service (`LS…`,
/// `WF10`, `WF3`), districts it does not cover (`WF1`, `BD7`, `YO1`, `HG2`), and the fixtures'
/// two full postcodes. `WF1` is deliberately close to `WF10` and `WF3` (R-2 coverage).
pub const POSTCODES: &[&str] = &[
    "LS1", "LS6 2AB", "LS11 5XY", "LS28", "WF10", "WF3", "WF1", "BD7", "YO1", "HG2",
];

/// The postcodes in [`POSTCODES`] that the example city girls' service covers (every `LS`
/// district, `WF10` and `WF3`).
pub const COVERED_POSTCODES: &[&str] = &["LS1", "LS6 2AB", "LS11 5XY", "LS28", "WF10", "WF3"];

/// Fictional agencies: referrers and professionals' employers.
pub const AGENCIES: &[&str] = &[
    "Fictional Children's Services",
    "Fictional High School",
    "Fictional Constabulary",
    "Fictional Sexual Health Clinic",
    "Fictional Youth Service",
    "Fictional Housing Association",
];

/// The minimal tool's vulnerabilities (1 point each, current or within 6 months).
pub const VULNERABILITIES: &[&str] = &[
    "missing_from_home",
    "school_absence",
    "older_boyfriend",
    "unexplained_gifts",
    "substance_misuse",
];

/// The minimal tool's significant indicators without a floor (5 points each, current or within
/// 6 months).
pub const SIGNIFICANT: &[&str] = &["sexual_health", "taken_to_parties"];

/// The minimal tool's indicator with a High floor (R-21: a disclosure is High).
pub const DISCLOSURE: &str = "disclosure";

const PERSON_TEXTS: &[&str] = &[
    "Pat Parent",
    "Sam Carer",
    "Jo Teacher",
    "Chris Youthworker",
    "Robin Nurse",
];

const CONCERNS: &[&str] = &[
    "Worried about an older boyfriend",
    "Missing overnight twice this month",
    "New phone and clothes she cannot explain",
    "Seen getting into cars after school",
    "Talks about parties at unknown addresses",
];

const REASONS: &[&str] = &[
    "The young person asked to stop",
    "Referred in error (fictional)",
    "Already supported by another fictional service",
    "Family moved within the area",
    "Manager agreed after a disclosure",
];

const REFERENCES: &[&str] = &[
    "FICT-ISU-0001",
    "FICT-DUTY-0042",
    "FICT-REF-7",
    "CALL-LOG-3",
];

const PLANS: &[&str] = &[
    "Weekly one-to-one sessions at school",
    "Sessions on healthy relationships and online safety",
    "Meet at the youth club on Thursdays",
];

const WORKER_NAMES: &[&str] = &["Sam Worker", "Alex Manager", "Nico Worker"];

const PARTNERS: &[&str] = &[
    "Harbour Boys' Project (fictional partner)",
    "Moorland County Young People's Service (fictional)",
];

/// Non-empty text drawn from `options`, which must all be non-empty.
pub fn text_from(options: &'static [&'static str]) -> impl Strategy<Value = Text> {
    select(options).prop_map(|s| Text::parse("text", s).expect("strategy texts are not empty"))
}

/// A uuid's text from 128 bits, which every Casework id type deserializes from.
fn uuid_text(bits: u128) -> serde_json::Value {
    serde_json::Value::String(format!("{bits:032x}"))
}

/// A professional's id.
pub fn professional_id() -> impl Strategy<Value = ProfessionalId> {
    any::<u128>().prop_map(|bits| {
        serde_json::from_value(uuid_text(bits)).expect("ids deserialize from a uuid")
    })
}

/// A member of staff's id.
pub fn staff_id() -> impl Strategy<Value = StaffId> {
    any::<u128>().prop_map(|bits| {
        serde_json::from_value(uuid_text(bits)).expect("ids deserialize from a uuid")
    })
}

/// An owed action's id (almost surely one no case has: commands using it are refused, R-5).
pub fn owed_action_id() -> impl Strategy<Value = OwedActionId> {
    any::<u128>().prop_map(|bits| {
        serde_json::from_value(uuid_text(bits)).expect("ids deserialize from a uuid")
    })
}

/// One of `known` most of the time, otherwise `fresh`; always `fresh` when `known` is empty.
fn known_or_fresh<T: Clone + std::fmt::Debug + 'static>(
    known: Vec<T>,
    fresh: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    if known.is_empty() {
        fresh.boxed()
    } else {
        prop_oneof![4 => select(known), 1 => fresh].boxed()
    }
}

/// Every gender (R-2: profiles list the genders they serve).
pub fn gender() -> impl Strategy<Value = Gender> {
    const ALL: &[Gender] = &[
        Gender::Female,
        Gender::Male,
        Gender::NonBinary,
        Gender::NotStated,
    ];
    select(ALL)
}

/// A postcode from [`POSTCODES`]: some covered by the example profiles, some not.
pub fn postcode() -> impl Strategy<Value = Postcode> {
    select(POSTCODES).prop_map(|p| Postcode::parse(p).expect("strategy postcodes parse"))
}

/// A date of birth from 1 January 1998 to 31 December 2020.
pub fn date_of_birth() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1998, 1, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(2020, 12, 31).expect("valid date");
    (0..=(last - first).num_days()).prop_map(move |d| first + Duration::days(d))
}

/// Valid details of a fictional young person: a name from [`NAMES`], a date of birth from
/// 1998 to 2020, any gender, a postcode from [`POSTCODES`] (covered or not), a learning
/// difficulty recorded or not, and contact preferences in any order. They pass
/// [`YoungPersonDetails::validate`] on any date from 2021; whether they are eligible depends
/// on the profile and the referral date (R-2).
pub fn young_person_details() -> impl Strategy<Value = YoungPersonDetails> {
    const CONTACT_METHODS: &[ContactMethod] = &[
        ContactMethod::Call,
        ContactMethod::Text,
        ContactMethod::ViaProfessional,
        ContactMethod::InPerson,
    ];
    (
        text_from(NAMES),
        date_of_birth(),
        gender(),
        postcode(),
        any::<bool>(),
        subsequence(CONTACT_METHODS, 0..=4).prop_shuffle(),
    )
        .prop_map(
            |(name, date_of_birth, gender, postcode, learning_difficulty, contact_preferences)| {
                YoungPersonDetails {
                    name,
                    date_of_birth,
                    gender,
                    postcode,
                    learning_difficulty,
                    contact_preferences,
                }
            },
        )
}

/// Details of a girl eligible for the example city girls' service
/// ([`casework_core::policy::profile::examples::city_girls_service`]) on `on`: female, aged 10 to 17 on
/// that date (so eligible whether or not a learning difficulty is recorded), living in a
/// covered postcode (R-2). Useful when a property is about what happens after screening.
pub fn eligible_for_city_service(on: NaiveDate) -> impl Strategy<Value = YoungPersonDetails> {
    let oldest = on
        .checked_sub_months(Months::new(18 * 12))
        .expect("a date 18 years back")
        + Duration::days(1);
    let youngest = on
        .checked_sub_months(Months::new(10 * 12))
        .expect("a date 10 years back");
    (
        young_person_details(),
        0..=(youngest - oldest).num_days(),
        select(COVERED_POSTCODES),
    )
        .prop_map(move |(details, days, postcode)| YoungPersonDetails {
            gender: Gender::Female,
            date_of_birth: oldest + Duration::days(days),
            postcode: Postcode::parse(postcode).expect("strategy postcodes parse"),
            ..details
        })
}

/// Every kind of professional.
pub fn professional_kind() -> impl Strategy<Value = ProfessionalKind> {
    const ALL: &[ProfessionalKind] = &[
        ProfessionalKind::SocialWorker,
        ProfessionalKind::Teacher,
        ProfessionalKind::Police,
        ProfessionalKind::Health,
        ProfessionalKind::YouthWorker,
        ProfessionalKind::Other,
    ];
    select(ALL)
}

/// A fictional professional outside the charity (R-13).
pub fn professional() -> impl Strategy<Value = Professional> {
    (
        professional_id(),
        text_from(PERSON_TEXTS),
        professional_kind(),
        text_from(AGENCIES),
    )
        .prop_map(|(id, name, kind, agency)| Professional {
            id,
            name,
            kind,
            agency,
        })
}

/// Who referred: the young person, a parent or carer, a professional or an agency. Anyone can
/// refer; only a self-referral is consent (R-1).
pub fn referral_source() -> impl Strategy<Value = ReferralSource> {
    prop_oneof![
        Just(ReferralSource::SelfReferral),
        text_from(PERSON_TEXTS).prop_map(|name| ReferralSource::ParentOrCarer { name }),
        professional().prop_map(|professional| ReferralSource::Professional { professional }),
        text_from(AGENCIES).prop_map(|agency| ReferralSource::Agency { agency }),
    ]
}

/// A referral received at exactly `at`, from any source, with fictional concerns.
pub fn new_referral(at: DateTime<Utc>) -> impl Strategy<Value = NewReferral> {
    (referral_source(), text_from(CONCERNS)).prop_map(move |(source, concerns)| NewReferral {
        source,
        concerns: NewConfidential::new(concerns),
        received_at: at,
    })
}

/// Low, Medium or High.
pub fn risk_level() -> impl Strategy<Value = RiskLevel> {
    const ALL: &[RiskLevel] = &[RiskLevel::Low, RiskLevel::Medium, RiskLevel::High];
    select(ALL)
}

/// Answers for `keys`, each current or within the last 6 months (the minimal tool scores both
/// alike), in random order.
fn answered(keys: Vec<&'static str>) -> impl Strategy<Value = Vec<IndicatorAnswer>> {
    let n = keys.len();
    proptest::collection::vec(any::<bool>(), n)
        .prop_map(move |recent| {
            keys.iter()
                .zip(recent)
                .map(|(key, recent)| {
                    if recent {
                        IndicatorAnswer::within(*key, Window::Within6Months)
                    } else {
                        IndicatorAnswer::current(*key)
                    }
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

/// Indicator answers for which the example profiles' minimal risk tool
/// ([`casework_core::policy::profile::examples::minimal_risk_tool`]) computes exactly `level` for a
/// young person aged 13 or over with no learning difficulty recorded (for a younger child or
/// one with a learning difficulty, the tool's floors lift Low to Medium, R-21):
/// - Low: at most two vulnerabilities (score 0–2);
/// - Medium: three to five vulnerabilities (score 3–5);
/// - High: a significant indicator with at least one more indicator (score 6 or more), or a
///   disclosure with anything else (the disclosure floor).
///
/// Each key appears once, answered as current or within 6 months, in random order.
pub fn indicators_for(level: RiskLevel) -> BoxedStrategy<Vec<IndicatorAnswer>> {
    let keys: BoxedStrategy<Vec<&'static str>> = match level {
        RiskLevel::Low => subsequence(VULNERABILITIES, 0..=2).boxed(),
        RiskLevel::Medium => subsequence(VULNERABILITIES, 3..=5).boxed(),
        RiskLevel::High => {
            let others: Vec<&'static str> =
                VULNERABILITIES.iter().chain(SIGNIFICANT).copied().collect();
            prop_oneof![
                (
                    subsequence(SIGNIFICANT, 1..=1),
                    subsequence(VULNERABILITIES, 1..=5)
                )
                    .prop_map(|(a, b)| [a, b].concat()),
                (
                    Just(SIGNIFICANT.to_vec()),
                    subsequence(VULNERABILITIES, 0..=5)
                )
                    .prop_map(|(a, b)| [a, b].concat()),
                subsequence(others, 0..=7).prop_map(|mut keys| {
                    keys.push(DISCLOSURE);
                    keys
                }),
            ]
            .boxed()
        }
    };
    keys.prop_flat_map(answered).boxed()
}

/// Indicator answers for any level of the minimal tool (see [`indicators_for`]).
pub fn indicators() -> impl Strategy<Value = Vec<IndicatorAnswer>> {
    risk_level().prop_flat_map(indicators_for)
}

/// A time up to three days before `at`, to the second (never after `at`: times in the
/// future are refused).
pub fn time_up_to(at: DateTime<Utc>) -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..=72 * 3600).prop_map(move |s| at - Duration::seconds(s))
}

/// Every consent scope, naming a fictional agency for agency sharing.
pub fn consent_scope() -> impl Strategy<Value = ConsentScope> {
    prop_oneof![
        Just(ConsentScope::Referral),
        Just(ConsentScope::Engagement),
        Just(ConsentScope::SharingWithParents),
        Just(ConsentScope::SharingWithReferrer),
        text_from(AGENCIES).prop_map(|agency| ConsentScope::SharingWithAgency { agency }),
    ]
}

/// A consent entry given, refused or withdrawn (mostly given, mostly by the young person) up
/// to three days before `at`. An entry by the young person refusing or withdrawing consent to
/// the referral or engagement ends the referral or case (R-6).
pub fn consent_entry(at: DateTime<Utc>) -> impl Strategy<Value = ConsentEntry> {
    const METHODS: &[ConsentMethod] = &[
        ConsentMethod::SelfReferral,
        ConsentMethod::InPerson,
        ConsentMethod::Phone,
        ConsentMethod::Written,
        ConsentMethod::ViaReferrer,
    ];
    (
        consent_scope(),
        prop_oneof![
            6 => Just(ConsentDecision::Given),
            1 => Just(ConsentDecision::Refused),
            1 => Just(ConsentDecision::Withdrawn),
        ],
        prop_oneof![
            4 => Just(ConsentGiver::YoungPerson),
            1 => Just(ConsentGiver::ParentOrCarer),
        ],
        select(METHODS),
        text_from(&[
            "Referral to the service",
            "Working together",
            "Telling her mum",
        ]),
        time_up_to(at),
    )
        .prop_map(
            |(scope, decision, by, method, purpose, given_at)| ConsentEntry {
                scope,
                decision,
                by,
                method,
                purpose,
                given_at,
            },
        )
}

/// Every closure reason (R-15), including 'risk significantly reduced', which a plain close
/// refuses (R-16).
pub fn closure_reason() -> impl Strategy<Value = ClosureReason<NewConfidential>> {
    prop_oneof![
        Just(ClosureReason::RiskSignificantlyReduced),
        Just(ClosureReason::YoungPersonDeclined),
        Just(ClosureReason::YoungPersonWithdrew),
        Just(ClosureReason::MovedOutOfArea),
        Just(ClosureReason::AgedOut),
        text_from(PARTNERS).prop_map(|to| ClosureReason::Transferred { to }),
        Just(ClosureReason::NoEngagement),
        text_from(REASONS).prop_map(|text| ClosureReason::Other { text: text.into() }),
    ]
}

/// Every reason to pause work.
pub fn pause_reason() -> impl Strategy<Value = PauseReason<NewConfidential>> {
    prop_oneof![
        Just(PauseReason::NoContact),
        Just(PauseReason::Missing),
        text_from(REASONS).prop_map(|text| PauseReason::Other { text: text.into() }),
    ]
}

/// A worker's override of the computed level, with its reason (R-21).
pub fn risk_override() -> impl Strategy<Value = RiskOverride<NewConfidential>> {
    (risk_level(), text_from(REASONS)).prop_map(|(level, reason)| RiskOverride {
        level,
        reason: reason.into(),
    })
}

/// Any case command, with times up to three days before `at`: see [`case_command_with`].
pub fn case_command(at: DateTime<Utc>) -> BoxedStrategy<CaseCommand> {
    case_command_with(at, Vec::new(), Vec::new())
}

/// A broad mix of case commands, many of them invalid for whatever stage a case is at (so a
/// model-based test exercises refusals as much as transitions): every [`CaseCommand`] variant,
/// weighted towards the lifecycle's main path.
///
/// Owed actions and professionals are drawn mostly from `actions` and `professionals` (a
/// case's own, so discharges and agreements can succeed) and otherwise fresh (refused: R-5,
/// R-16). Risk answers come from [`indicators`], with an occasional unknown indicator (refused,
/// naming the field) and an occasional override with its reason. Times are never after `at`.
pub fn case_command_with(
    at: DateTime<Utc>,
    professionals: Vec<ProfessionalId>,
    actions: Vec<OwedActionId>,
) -> BoxedStrategy<CaseCommand> {
    const DECISIONS: &[ReviewDecision] = &[
        ReviewDecision::Continue,
        ReviewDecision::ChangePlan,
        ReviewDecision::ProposeClosure,
    ];
    let action = known_or_fresh(actions, owed_action_id());
    let professional_party = known_or_fresh(professionals, professional_id());
    let answers = prop_oneof![
        9 => indicators(),
        1 => indicators().prop_map(|mut a| {
            a.push(IndicatorAnswer::current("not_an_indicator"));
            a
        }),
    ]
    .boxed();
    let worker_override = proptest::option::weighted(0.2, risk_override()).boxed();
    let arms: Vec<(u32, BoxedStrategy<CaseCommand>)> = vec![
        (
            3,
            consent_entry(at)
                .prop_map(|entry| CaseCommand::RecordConsent { entry })
                .boxed(),
        ),
        (
            2,
            professional()
                .prop_map(|professional| CaseCommand::RecordProfessional { professional })
                .boxed(),
        ),
        (3, Just(CaseCommand::Screen).boxed()),
        (
            3,
            (answers.clone(), worker_override.clone())
                .prop_map(|(indicators, worker_override)| CaseCommand::AssessRisk {
                    indicators,
                    worker_override,
                })
                .boxed(),
        ),
        (3, Just(CaseCommand::AcceptForSupport).boxed()),
        (3, Just(CaseCommand::AddToWaitingList).boxed()),
        (
            1,
            (
                proptest::option::of(text_from(REASONS)),
                proptest::option::of(
                    select(PARTNERS).prop_map(|name| PartnerService { name: name.into() }),
                ),
            )
                .prop_map(|(reason, to)| CaseCommand::Signpost {
                    reason: reason.map(Into::into),
                    to,
                })
                .boxed(),
        ),
        (
            1,
            text_from(REASONS)
                .prop_map(|reason| CaseCommand::Decline {
                    reason: reason.into(),
                })
                .boxed(),
        ),
        (
            1,
            text_from(REASONS)
                .prop_map(|reason| CaseCommand::Withdraw {
                    reason: reason.into(),
                })
                .boxed(),
        ),
        (
            2,
            (action.clone(), text_from(REFERENCES), time_up_to(at))
                .prop_map(|(action, reference, sent_at)| CaseCommand::MarkActionSent {
                    action,
                    reference,
                    sent_at,
                })
                .boxed(),
        ),
        (
            1,
            (action.clone(), time_up_to(at))
                .prop_map(|(action, acknowledged_at)| CaseCommand::AcknowledgeAction {
                    action,
                    acknowledged_at,
                })
                .boxed(),
        ),
        (
            1,
            (action, text_from(REASONS))
                .prop_map(|(action, explanation)| CaseCommand::ExplainAction {
                    action,
                    explanation,
                })
                .boxed(),
        ),
        (
            3,
            (
                staff_id(),
                text_from(WORKER_NAMES),
                proptest::option::weighted(0.2, text_from(REASONS)),
            )
                .prop_map(
                    |(worker, worker_name, out_of_order_reason)| CaseCommand::Allocate {
                        worker,
                        worker_name,
                        out_of_order_reason,
                    },
                )
                .boxed(),
        ),
        (
            1,
            (staff_id(), text_from(WORKER_NAMES), text_from(REASONS))
                .prop_map(|(worker, worker_name, reason)| CaseCommand::Reallocate {
                    worker,
                    worker_name,
                    reason,
                })
                .boxed(),
        ),
        (
            3,
            text_from(PLANS)
                .prop_map(|plan| CaseCommand::AgreePlan {
                    plan: NewConfidential::new(plan),
                })
                .boxed(),
        ),
        (3, Just(CaseCommand::BeginWork).boxed()),
        (
            2,
            pause_reason()
                .prop_map(|reason| CaseCommand::Pause { reason })
                .boxed(),
        ),
        (2, Just(CaseCommand::Resume).boxed()),
        (
            2,
            (answers, worker_override, select(DECISIONS))
                .prop_map(
                    |(indicators, worker_override, decision)| CaseCommand::RecordReview {
                        indicators,
                        worker_override,
                        decision,
                    },
                )
                .boxed(),
        ),
        (2, Just(CaseCommand::ProposeClosure).boxed()),
        (
            2,
            prop_oneof![
                Just(Party::YoungPerson),
                professional_party.prop_map(Party::Professional),
            ]
            .prop_map(|party| CaseCommand::RecordAgreement { party })
            .boxed(),
        ),
        (
            1,
            text_from(REASONS)
                .prop_map(|reason| CaseCommand::WithdrawClosureProposal {
                    reason: reason.into(),
                })
                .boxed(),
        ),
        (2, Just(CaseCommand::CompleteClosure).boxed()),
        (
            1,
            closure_reason()
                .prop_map(|reason| CaseCommand::Close { reason })
                .boxed(),
        ),
    ];
    Union::new_weighted(arms).boxed()
}

/// Consent given by the young person herself or himself for `scope`, up to three days before
/// `at` (R-1 for the referral scope).
pub fn consent_given(scope: ConsentScope, at: DateTime<Utc>) -> impl Strategy<Value = CaseCommand> {
    const METHODS: &[ConsentMethod] = &[
        ConsentMethod::InPerson,
        ConsentMethod::Phone,
        ConsentMethod::Written,
        ConsentMethod::ViaReferrer,
    ];
    (
        select(METHODS),
        text_from(&["Referral to the service", "Working together"]),
        time_up_to(at),
    )
        .prop_map(
            move |(method, purpose, given_at)| CaseCommand::RecordConsent {
                entry: ConsentEntry {
                    scope: scope.clone(),
                    decision: ConsentDecision::Given,
                    by: ConsentGiver::YoungPerson,
                    method,
                    purpose,
                    given_at,
                },
            },
        )
}

/// A command for `case` as it stands: three times in four a likely next step for its stage
/// (screen a received referral, assess a screened one, accept or place an assessed one,
/// allocate, agree a plan, begin work, review, pause and resume, propose closure and record
/// each missing agreement, discharge owed actions, or close), otherwise the broad mix of
/// [`case_command_with`] over the case's own actions and professionals, many of which the
/// stage refuses. For model-based tests that should reach every stage rather than stall at
/// the first refusal. Likely steps can still be refused (an ineligible young person, no
/// permission yet, R-1, R-2): that is the rule under test, not a flaw of the strategy.
pub fn case_command_for(case: &Case, at: DateTime<Utc>) -> BoxedStrategy<CaseCommand> {
    use casework_core::case::StageName as N;
    let file = case.file();
    let professionals: Vec<ProfessionalId> = file.professionals.iter().map(|p| p.id).collect();
    let with_status = |status: &str| -> Vec<OwedActionId> {
        file.owed
            .iter()
            .filter(|a| a.status.as_str() == status)
            .map(|a| a.id)
            .collect()
    };
    let owed = with_status(OwedStatus::Owed.as_str());
    let sent = with_status("sent");
    let broad = case_command_with(
        at,
        professionals.clone(),
        file.owed.iter().map(|a| a.id).collect(),
    );
    let close = || {
        closure_reason()
            .prop_map(|reason| CaseCommand::Close { reason })
            .boxed()
    };
    let permitted = file.consent.permits(&ConsentScope::Referral);
    let mut next: Vec<(u32, BoxedStrategy<CaseCommand>)> = Vec::new();
    if !owed.is_empty() {
        next.push((
            1,
            (select(owed), text_from(REFERENCES), time_up_to(at))
                .prop_map(|(action, reference, sent_at)| CaseCommand::MarkActionSent {
                    action,
                    reference,
                    sent_at,
                })
                .boxed(),
        ));
    }
    if !sent.is_empty() {
        next.push((
            1,
            select(sent)
                .prop_map(move |action| CaseCommand::AcknowledgeAction {
                    action,
                    acknowledged_at: at,
                })
                .boxed(),
        ));
    }
    match case.stage() {
        N::Received => {
            next.push((4, Just(CaseCommand::Screen).boxed()));
            next.push((
                1,
                professional()
                    .prop_map(|professional| CaseCommand::RecordProfessional { professional })
                    .boxed(),
            ));
        }
        N::Screened => next.push((
            4,
            (
                indicators(),
                proptest::option::weighted(0.1, risk_override()),
            )
                .prop_map(|(indicators, worker_override)| CaseCommand::AssessRisk {
                    indicators,
                    worker_override,
                })
                .boxed(),
        )),
        N::Assessed => {
            next.push((3, Just(CaseCommand::AcceptForSupport).boxed()));
            next.push((3, Just(CaseCommand::AddToWaitingList).boxed()));
            next.push((
                1,
                proptest::option::of(text_from(REASONS))
                    .prop_map(|reason| CaseCommand::Signpost {
                        reason: reason.map(Into::into),
                        to: None,
                    })
                    .boxed(),
            ));
            next.push((
                1,
                text_from(REASONS)
                    .prop_map(|reason| CaseCommand::Decline {
                        reason: reason.into(),
                    })
                    .boxed(),
            ));
        }
        N::AwaitingAllocation | N::WaitingList => next.push((
            4,
            (
                staff_id(),
                text_from(WORKER_NAMES),
                proptest::option::weighted(0.3, text_from(REASONS)),
            )
                .prop_map(
                    |(worker, worker_name, out_of_order_reason)| CaseCommand::Allocate {
                        worker,
                        worker_name,
                        out_of_order_reason,
                    },
                )
                .boxed(),
        )),
        N::Allocated => {
            next.push((
                4,
                text_from(PLANS)
                    .prop_map(|plan| CaseCommand::AgreePlan {
                        plan: NewConfidential::new(plan),
                    })
                    .boxed(),
            ));
            next.push((1, consent_given(ConsentScope::Engagement, at).boxed()));
            next.push((1, close()));
        }
        N::Engaged => {
            next.push((4, Just(CaseCommand::BeginWork).boxed()));
            next.push((1, close()));
        }
        N::Active => {
            next.push((
                2,
                (
                    indicators(),
                    Just(None),
                    select(&[ReviewDecision::Continue, ReviewDecision::ProposeClosure][..]),
                )
                    .prop_map(
                        |(indicators, worker_override, decision)| CaseCommand::RecordReview {
                            indicators,
                            worker_override,
                            decision,
                        },
                    )
                    .boxed(),
            ));
            next.push((
                1,
                pause_reason()
                    .prop_map(|reason| CaseCommand::Pause { reason })
                    .boxed(),
            ));
            next.push((2, Just(CaseCommand::ProposeClosure).boxed()));
            next.push((
                1,
                professional()
                    .prop_map(|professional| CaseCommand::RecordProfessional { professional })
                    .boxed(),
            ));
            next.push((1, close()));
        }
        N::Paused => {
            next.push((3, Just(CaseCommand::Resume).boxed()));
            next.push((1, close()));
        }
        N::Closing => {
            let missing = match case {
                Case::Closing(closing) => closing.missing_agreements(),
                _ => Vec::new(),
            };
            if missing.is_empty() {
                next.push((4, Just(CaseCommand::CompleteClosure).boxed()));
            } else {
                next.push((
                    4,
                    select(missing)
                        .prop_map(|party| CaseCommand::RecordAgreement { party })
                        .boxed(),
                ));
                next.push((1, Just(CaseCommand::CompleteClosure).boxed()));
            }
            next.push((
                1,
                text_from(REASONS)
                    .prop_map(|reason| CaseCommand::WithdrawClosureProposal {
                        reason: reason.into(),
                    })
                    .boxed(),
            ));
        }
        N::Signposted | N::Declined | N::Withdrawn | N::Closed => {}
    }
    if matches!(case.stage(), N::Received | N::Screened | N::Assessed) && !permitted {
        next.push((2, consent_given(ConsentScope::Referral, at).boxed()));
    }
    if next.is_empty() {
        return broad;
    }
    prop_oneof![3 => Union::new_weighted(next), 1 => broad].boxed()
}

/// A fictional reason, as a worker or manager would state it (withdrawals, declines, refusals,
/// out-of-order allocations, explanations).
pub fn reason() -> impl Strategy<Value = Text> {
    text_from(REASONS)
}

/// A fictional plan agreed with a young person.
pub fn plan() -> impl Strategy<Value = Text> {
    text_from(PLANS)
}

/// A fictional reference for a sent notification or referral (R-5).
pub fn reference() -> impl Strategy<Value = Text> {
    text_from(REFERENCES)
}

/// Answers for any level of the minimal tool, like [`indicators`], but each answer may also be
/// placed 6–12 months ago, where the minimal tool scores a vulnerability 0 and a significant
/// indicator 1 (a disclosure still lifts the level to High): the level is then often lower than
/// the one targeted, which is what a model must compute for itself.
pub fn indicators_any_window() -> impl Strategy<Value = Vec<IndicatorAnswer>> {
    indicators().prop_flat_map(|answers| {
        let n = answers.len();
        proptest::collection::vec(prop_oneof![3 => Just(false), 1 => Just(true)], n).prop_map(
            move |older| {
                answers
                    .iter()
                    .zip(older)
                    .map(|(answer, older)| {
                        if older {
                            IndicatorAnswer::within(answer.key.clone(), Window::SixTo12Months)
                        } else {
                            answer.clone()
                        }
                    })
                    .collect::<Vec<_>>()
            },
        )
    })
}

/// Which steps need a manager's approval (R-24): any combination of closure, risk override,
/// out-of-order allocation and reallocation (R-25).
pub fn approvals() -> impl Strategy<Value = Approvals> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(closure, risk_override, out_of_order_allocation, reallocation)| Approvals {
            closure,
            risk_override,
            out_of_order_allocation,
            reallocation,
        },
    )
}

/// A valid service profile in the shape of the example city girls' service
/// ([`casework_core::policy::profile::examples::city_girls_service`]), varied where services differ:
/// the upper age (16 to 18), the extension for a learning difficulty (none, or up to 20 to 24),
/// the genders served (always girls and young women, sometimes others), which steps need a
/// manager's approval (R-24), and the minimal risk tool's subject floors (R-21): the
/// young-child floor may be missing, start below another age (11 to 13), or lift to High; the
/// learning-difficulty floor may be missing.
///
/// For a charity's property tests across configurations: a rule that only some profiles keep is
/// found, with the profile that breaks it (see `examples/custom_rule_property.rs`).
pub fn service_profile() -> impl Strategy<Value = ServiceProfile> {
    use casework_core::policy::profile::examples::city_girls_service;
    use casework_core::policy::risk::AgeFloor;
    let young_child = proptest::option::weighted(
        0.8,
        (
            11u32..=13,
            select(&[RiskLevel::Medium, RiskLevel::High][..]),
        )
            .prop_map(|(under_age, level)| AgeFloor { under_age, level }),
    );
    let learning_difficulty = proptest::option::weighted(0.8, Just(RiskLevel::Medium));
    let genders = subsequence(
        &[Gender::Male, Gender::NonBinary, Gender::NotStated][..],
        0..=3,
    );
    (
        16u32..=18,
        proptest::option::weighted(0.7, 20u32..=24),
        genders,
        approvals(),
        young_child,
        learning_difficulty,
    )
        .prop_map(
            |(max_age, extended, others, approvals, young_child, learning_difficulty)| {
                let mut profile = city_girls_service();
                profile.eligibility.max_age = max_age;
                profile.eligibility.max_age_with_learning_difficulty = extended;
                profile.eligibility.genders.extend(others);
                profile.approvals = approvals;
                profile.risk_tool.floors.young_child = young_child;
                profile.risk_tool.floors.learning_difficulty = learning_difficulty;
                profile
            },
        )
}

/// A sequence of commands for one case, each from the broad mix of [`case_command`] (so most
/// are refused at whatever stage the case is: the rules under test).
pub fn case_commands(
    at: DateTime<Utc>,
    size: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<CaseCommand>> {
    proptest::collection::vec(case_command(at), size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::stored::stored;
    use casework_core::case::{Case, CaseEvent, Received, Stage};
    use casework_core::kernel::actor::Actor;
    use casework_core::kernel::context::CommandContext;
    use casework_core::kernel::event::{DomainEvent, EventMeta, RecordedEvent};
    use casework_core::kernel::ids::{CaseId, EventId, StreamId, YoungPersonId};
    use casework_core::policy::profile::examples::{city_girls_service, minimal_risk_tool};
    use casework_core::policy::risk::AssessmentSubject;
    use casework_core::young_person::YoungPerson;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The targeted level is the level the minimal tool computes (R-21), and its floors
        /// lift Low for a child under 13.
        #[test]
        fn indicators_hit_their_level(
            (level, answers) in risk_level().prop_flat_map(|l| (Just(l), indicators_for(l)))
        ) {
            let tool = minimal_risk_tool();
            let at = fixtures::start();
            let teen = AssessmentSubject { age: 15, learning_difficulty: false };
            let got = tool.assess(&answers, teen, None, at).expect("known, distinct indicators");
            prop_assert_eq!(got.computed, level, "answers {:?}", answers);
            let child = AssessmentSubject { age: 12, learning_difficulty: false };
            let got = tool.assess(&answers, child, None, at).expect("known, distinct indicators");
            prop_assert_eq!(got.computed, level.max(RiskLevel::Medium));
        }

        /// Generated profiles are valid, and always serve girls and young women.
        #[test]
        fn service_profiles_are_valid(profile in service_profile()) {
            prop_assert!(profile.validate().is_ok(), "{:?}", profile.validate());
            prop_assert!(profile.eligibility.genders.contains(&Gender::Female));
        }

        /// Generated details are valid and fictional, from the documented lists.
        #[test]
        fn details_are_valid(details in young_person_details()) {
            prop_assert!(details.validate(fixtures::start().date_naive()).is_ok());
            prop_assert!(NAMES.contains(&details.name.as_str()));
            prop_assert!(POSTCODES.contains(&details.postcode.to_string().as_str()));
            let years = details.date_of_birth.format("%Y").to_string();
            prop_assert!(("1998"..="2020").contains(&years.as_str()));
        }

        /// Commands and referrals survive the JSON a front end sends.
        #[test]
        fn commands_round_trip_through_json(command in case_command(fixtures::start())) {
            let json = casework_core::kernel::confidential::for_storage(|| serde_json::to_string(&command)).expect("commands serialize");
            prop_assert_eq!(CaseCommand::from_json(&json).expect("and decode"), command);
        }

        /// Referrals survive the JSON a front end sends, and are received at the given time.
        #[test]
        fn referrals_round_trip_through_json(referral in new_referral(fixtures::start())) {
            prop_assert_eq!(referral.received_at, fixtures::start());
            let json = casework_core::kernel::confidential::for_storage(|| serde_json::to_string(&referral)).expect("referrals serialize");
            prop_assert_eq!(NewReferral::from_json(&json).expect("and decode"), referral);
        }

        /// Known ids are used: with a case's own actions and professionals, some generated
        /// commands name them.
        #[test]
        fn known_ids_are_drawn(
            commands in proptest::collection::vec(
                case_command_with(
                    fixtures::start(),
                    vec![serde_json::from_value(uuid_text(7)).expect("an id")],
                    vec![serde_json::from_value(uuid_text(9)).expect("an id")],
                ),
                200,
            )
        ) {
            let known_action: OwedActionId = serde_json::from_value(uuid_text(9)).expect("an id");
            let named = commands.iter().filter(|c| matches!(c,
                CaseCommand::MarkActionSent { action, .. }
                | CaseCommand::AcknowledgeAction { action, .. }
                | CaseCommand::ExplainAction { action, .. } if *action == known_action
            )).count();
            prop_assert!(named > 0, "no command named the known action in 200 draws");
        }

        /// Random command sequences through the pure domain: whatever is accepted, the state
        /// equals the fold of every event so far, survives its snapshot form, and every event
        /// survives encoding and decoding (R-18).
        #[test]
        fn command_sequences_fold_and_snapshot(
            details in young_person_details(),
            referral in new_referral(fixtures::start()),
            picks in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4), 40),
            commands in proptest::collection::vec(case_command(fixtures::start() + Duration::days(1)), 40),
        ) {
            let profile = city_girls_service();
            let actor = Actor::worker("Sam Worker");
            let person = YoungPerson {
                id: YoungPersonId::new(),
                details,
                registered_at: fixtures::start(),
            };
            let at = fixtures::start() + Duration::days(1);
            let ctx = CommandContext::new(&actor, at, &profile);
            let (stage, mut events) = Received::open(CaseId::new(), &person, referral, None, &ctx)
                .expect("a referral received before now opens a case");
            let mut case = stage.into_case();
            for (command, (pick, retarget)) in commands.into_iter().zip(picks) {
                // Point some commands at the case's own actions and professionals.
                let command = retarget_command(command, &case, pick, retarget);
                if let Ok(new) = case.decide(command, &ctx) {
                    for event in &new {
                        case = Case::evolve(Some(case), event).expect("decided events follow");
                    }
                    events.extend(new);
                }
                let folded = Case::fold(events.iter()).expect("a decided history folds");
                prop_assert_eq!(stored(&folded), stored(&Some(&case)));
                let snapshot = casework_core::kernel::confidential::for_storage(|| serde_json::to_string(&case)).expect("a case serializes");
                let restored: Case = serde_json::from_str(&snapshot).expect("and deserializes");
                prop_assert_eq!(stored(&restored), stored(&case));
            }
            for (i, event) in events.iter().enumerate() {
                let new = casework_core::kernel::confidential::for_storage(|| {
                    event.encode(EventMeta {
                        event_id: EventId::new(),
                        recorded_at: at,
                        actor: actor.clone(),
                        reason: None,
                    })
                });
                let stored = RecordedEvent {
                    stream: StreamId::Case(case.file().id),
                    version: i as u64 + 1,
                    position: i as u64 + 1,
                    event_type: new.event_type,
                    schema_version: new.schema_version,
                    payload: new.payload,
                    meta: new.meta,
                };
                prop_assert_eq!(
                    crate::stored::stored(&CaseEvent::decode(&stored).expect("decodes")),
                    crate::stored::stored(event)
                );
            }
        }
    }

    /// Stage-aware commands drive cases through the whole lifecycle: over a fixed seed,
    /// sequences reach every stage, including an agreed closure (R-16), while the fold of the
    /// history stays equal to the state after every accepted command.
    #[test]
    fn stage_aware_commands_reach_every_stage() {
        use casework_core::case::StageName;
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        use std::collections::HashSet;

        let mut runner = TestRunner::deterministic();
        let profile = city_girls_service();
        let actor = Actor::manager("Alex Manager");
        let at = fixtures::start() + Duration::days(1);
        let ctx = CommandContext::new(&actor, at, &profile);
        fn draw<T: std::fmt::Debug>(
            runner: &mut TestRunner,
            strategy: impl Strategy<Value = T>,
        ) -> T {
            strategy.new_tree(runner).expect("a value").current()
        }
        let mut visited = HashSet::new();
        let mut agreed_closures = 0;
        for _ in 0..200 {
            let details = draw(&mut runner, eligible_for_city_service(at.date_naive()));
            let referral = draw(&mut runner, new_referral(fixtures::start()));
            let person = YoungPerson {
                id: YoungPersonId::new(),
                details,
                registered_at: fixtures::start(),
            };
            let (stage, mut events) = Received::open(CaseId::new(), &person, referral, None, &ctx)
                .expect("a referral received before now opens a case");
            let mut case = stage.into_case();
            visited.insert(case.stage());
            for _ in 0..60 {
                let command = draw(&mut runner, case_command_for(&case, at));
                if let Ok(new) = case.decide(command, &ctx) {
                    for event in &new {
                        case = Case::evolve(Some(case), event).expect("decided events follow");
                    }
                    events.extend(new);
                    visited.insert(case.stage());
                    let folded = Case::fold(events.iter()).expect("a decided history folds");
                    assert_eq!(stored(&folded), stored(&Some(&case)));
                }
            }
            if let Case::Closed(closed) = &case {
                if closed.reason().is_risk_significantly_reduced() {
                    agreed_closures += 1;
                }
            }
        }
        let all: HashSet<StageName> = StageName::ALL.into_iter().collect();
        assert_eq!(visited, all, "every stage is reached");
        assert!(agreed_closures > 0, "an agreed closure is reached");
    }

    /// Replaces the action or party of a command with one of the case's own, when `retarget`
    /// says so and the case has one.
    fn retarget_command(
        command: CaseCommand,
        case: &Case,
        pick: prop::sample::Index,
        retarget: u8,
    ) -> CaseCommand {
        if retarget == 0 {
            return command;
        }
        let file = case.file();
        let action = (!file.owed.is_empty()).then(|| pick.get(&file.owed).id);
        let professional =
            (!file.professionals.is_empty()).then(|| pick.get(&file.professionals).id);
        match (command, action, professional) {
            (
                CaseCommand::MarkActionSent {
                    reference, sent_at, ..
                },
                Some(action),
                _,
            ) => CaseCommand::MarkActionSent {
                action,
                reference,
                sent_at,
            },
            (
                CaseCommand::AcknowledgeAction {
                    acknowledged_at, ..
                },
                Some(action),
                _,
            ) => CaseCommand::AcknowledgeAction {
                action,
                acknowledged_at,
            },
            (CaseCommand::ExplainAction { explanation, .. }, Some(action), _) => {
                CaseCommand::ExplainAction {
                    action,
                    explanation,
                }
            }
            (CaseCommand::RecordAgreement { .. }, _, Some(id)) => CaseCommand::RecordAgreement {
                party: Party::Professional(id),
            },
            (command, _, _) => command,
        }
    }
}
