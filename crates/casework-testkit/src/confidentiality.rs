//! The confidentiality property, runnable on any store.
//!
//! [`check_every_combination`] runs every role × relationship × consent state × audience
//! against one store and checks, for each, every way out of a case record: the checked read,
//! the confidential read, the share with consent, the referrer's view and the safeguarding
//! override (with and without a reason). The property: **no confidential text leaves the
//! record** (in a view, a read's JSON or its `Debug` form) **unless a permitted read was
//! recorded in the access log, or an override was recorded**; and every refusal writes
//! nothing. The cases hold distinctive confidential text (concerns, plan, session note) so a
//! leak is found by searching for it.
//!
//! [`Desk`] builds those cases; the given/when/then tests use it too.

use crate::desk::{self, allocate_to};
use crate::fixtures::{girl_in_leeds_area, social_worker, text};
use casework_core::case::consent::{ConsentDecision, ConsentScope};
use casework_core::case::{CaseCommand, NewReferral, Professional, ReferralSource, SessionPlace};
use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::clock::Clock;
use casework_core::kernel::confidential::NewConfidential;
use casework_core::kernel::ids::{CaseId, YoungPersonId};
use casework_core::privacy::access::{permits, Permission, Relationship, StaffDirectory};
use casework_core::privacy::disclosure::{Audience, ItemKind, OverrideRequest, ShareBasis};
use casework_core::read::rows::{ListingKind, ListingQuery};
use casework_core::store::Store;
use casework_service::{AccessError, ShareError};
use chrono::Duration;
use std::ops::Deref;

/// The concerns written on every referral here.
pub const SECRET_CONCERNS: &str = "Concern-7731: gifts from a man at the bus station";
/// The plan agreed on allocated cases.
pub const SECRET_PLAN: &str = "Plan-5218: weekly sessions, safe route home";
/// The note of the held session on allocated cases.
pub const SECRET_NOTE: &str = "Note-9904: talked about the flat above the takeaway";

/// Whether `text` holds any of the confidential strings.
pub fn leaks(text: &str) -> bool {
    [SECRET_CONCERNS, SECRET_PLAN, SECRET_NOTE]
        .iter()
        .any(|secret| text.contains(secret))
}

/// A consent state for one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentState {
    /// Never asked.
    NotAsked,
    /// Given.
    Given,
    /// Refused when asked.
    Refused,
    /// Given, then withdrawn.
    Withdrawn,
}

impl ConsentState {
    /// Every state.
    pub const ALL: [ConsentState; 4] = [
        ConsentState::NotAsked,
        ConsentState::Given,
        ConsentState::Refused,
        ConsentState::Withdrawn,
    ];
}

/// The audiences the property covers.
pub fn audiences() -> Vec<Audience> {
    vec![
        Audience::Referrer,
        Audience::ParentOrCarer,
        Audience::PartnerAgency {
            agency: text("Fictional Housing Trust"),
        },
        Audience::SocialCare {
            agency: text("Fictional Children's Services"),
        },
        Audience::Police {
            agency: text("Fictional Constabulary"),
        },
    ]
}

/// A service with staff and cases, on one store: a [`desk::Desk`] (which it dereferences to:
/// cases are allocated to its worker) with an external referrer.
pub struct Desk<S> {
    desk: desk::Desk<S>,
    /// The professional who refers every case here.
    pub referrer: Professional,
    /// The referrer's external account, in the desk's directory.
    pub referrer_account: Actor,
}

impl<S> Deref for Desk<S> {
    type Target = desk::Desk<S>;
    fn deref(&self) -> &desk::Desk<S> {
        &self.desk
    }
}

impl<S: Store> Desk<S> {
    /// A city girls' service on `store`, with a worker, their manager and an external
    /// referrer account.
    pub fn new(store: S) -> Self {
        let mut desk = desk::Desk::new(store);
        let referrer = social_worker();
        let referrer_account = Actor::new("Pat Socialworker", Role::ExternalReferrer);
        desk.directory =
            std::mem::take(&mut desk.directory).external_referrer(referrer_account.id, referrer.id);
        Desk {
            desk,
            referrer,
            referrer_account,
        }
    }

    /// Runs `command` on `case` as the system (setting up, unchecked).
    pub async fn given(&self, case: CaseId, command: CaseCommand) {
        let system = Actor::new("Setup", Role::System);
        self.cw
            .execute(&system, case, command)
            .await
            .unwrap_or_else(|e| panic!("setting up {case}: {e}"));
        self.clock.advance(Duration::minutes(5));
    }

    /// A referral by [`Desk::referrer`], consented, screened and assessed; allocated to the
    /// desk's worker with a plan and a held session when `allocated`.
    pub async fn case(&self, allocated: bool) -> (YoungPersonId, CaseId) {
        let system = Actor::new("Setup", Role::System);
        let person = self
            .cw
            .register_young_person(&system, girl_in_leeds_area())
            .await
            .expect("registers");
        let case = self
            .cw
            .receive_referral(
                &system,
                person,
                NewReferral {
                    source: ReferralSource::Professional {
                        professional: self.referrer.clone(),
                    },
                    concerns: NewConfidential::new(text(SECRET_CONCERNS)),
                    received_at: self.clock.now(),
                },
            )
            .await
            .expect("receives");
        self.given(
            case,
            self.consent(ConsentScope::Referral, ConsentDecision::Given),
        )
        .await;
        self.given(case, CaseCommand::Screen).await;
        self.given(
            case,
            CaseCommand::AssessRisk {
                indicators: vec!["older_boyfriend".into()],
                worker_override: None,
            },
        )
        .await;
        self.given(case, CaseCommand::AcceptForSupport).await;
        if allocated {
            self.given(case, allocate_to(&self.worker)).await;
            self.given(
                case,
                CaseCommand::AgreePlan {
                    plan: NewConfidential::new(text(SECRET_PLAN)),
                },
            )
            .await;
            self.given(case, CaseCommand::BeginWork).await;
            let planned_for = self.clock.now() + Duration::days(1);
            self.given(
                case,
                CaseCommand::PlanSession {
                    planned_for,
                    place: SessionPlace::YouthClub,
                    place_chosen_by_young_person: true,
                    topics: vec![],
                },
            )
            .await;
            let session = self
                .cw
                .case(case)
                .await
                .expect("loads")
                .file()
                .activity
                .sessions[0]
                .id;
            self.clock.advance(Duration::days(1));
            self.given(
                case,
                CaseCommand::HoldSession {
                    session,
                    held_at: planned_for,
                    duration_minutes: 50,
                    place: None,
                    topics: vec![],
                    resources: vec![],
                    note: NewConfidential::new(text(SECRET_NOTE)),
                },
            )
            .await;
        }
        (person, case)
    }

    /// Puts `scope` in `state` on `case`.
    pub async fn set_consent(&self, case: CaseId, scope: ConsentScope, state: ConsentState) {
        let decisions: &[ConsentDecision] = match state {
            ConsentState::NotAsked => &[],
            ConsentState::Given => &[ConsentDecision::Given],
            ConsentState::Refused => &[ConsentDecision::Refused],
            ConsentState::Withdrawn => &[ConsentDecision::Given, ConsentDecision::Withdrawn],
        };
        for decision in decisions {
            self.given(case, self.consent(scope.clone(), *decision))
                .await;
        }
    }

    /// An actor in `role` arranged to stand in `relationship` to cases allocated to the
    /// worker (or to unallocated cases, for [`Relationship::Unallocated`]), with the
    /// directory that makes it so.
    pub fn arrange(&self, role: Role, relationship: Relationship) -> (Actor, StaffDirectory) {
        let mut actor = Actor::new(format!("Someone ({role})"), role);
        let mut directory = StaffDirectory::new();
        match relationship {
            Relationship::AllocatedWorker => actor.id = self.worker.id,
            Relationship::TeamManager => directory = directory.team(actor.id, [self.worker.id]),
            Relationship::Referrer => {
                directory = directory.external_referrer(actor.id, self.referrer.id)
            }
            Relationship::Unallocated | Relationship::None => {}
        }
        (actor, directory)
    }
}

/// What [`check_every_combination`] ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Role × arranged relationship × consent state × audience combinations.
    pub combinations: usize,
    /// Distinct (role, relationship the directory worked out) pairs reached.
    pub effective_pairs: usize,
    /// Checked operations run.
    pub operations: usize,
    /// Operations that released confidential content (each after a recorded read or override).
    pub releases: usize,
    /// Operations refused.
    pub refusals: usize,
}

async fn count<S: Store>(desk: &Desk<S>, kind: ListingKind, case: CaseId) -> usize {
    desk.store()
        .listings(ListingQuery::all(kind).key(case.to_string()))
        .await
        .expect("lists")
        .len()
}

/// Runs the property over every combination on `store`; panics, naming the combination, on
/// the first violation.
pub async fn check_every_combination<S: Store>(store: S) -> Coverage {
    let desk = Desk::new(store);
    let mut coverage = Coverage::default();
    let mut pairs = std::collections::BTreeSet::new();
    for audience in audiences() {
        for state in ConsentState::ALL {
            for allocated in [true, false] {
                let (person, case) = desk.case(allocated).await;
                desk.set_consent(case, audience.consent_scope(), state)
                    .await;
                let relationships: Vec<Relationship> = if allocated {
                    Relationship::ALL
                        .into_iter()
                        .filter(|r| *r != Relationship::Unallocated)
                        .collect()
                } else {
                    vec![Relationship::Unallocated]
                };
                for role in Role::ALL {
                    for arranged in relationships.iter().copied() {
                        coverage.combinations += 1;
                        let (actor, directory) = desk.arrange(role, arranged);
                        let acting = desk.cw.acting_as(&actor, &directory);
                        let effective = acting.relationship(case).await.expect("loads");
                        pairs.insert((role, effective));
                        let at = format!(
                            "{role} arranged as {arranged} (effective {effective}), consent {state:?} for {audience}, allocated {allocated}"
                        );
                        check_one(
                            &desk,
                            &acting,
                            case,
                            person,
                            &audience,
                            state,
                            &at,
                            &mut coverage,
                        )
                        .await;
                    }
                }
            }
        }
    }
    coverage.effective_pairs = pairs.len();
    coverage
}

#[allow(clippy::too_many_arguments)]
async fn check_one<S: Store>(
    desk: &Desk<S>,
    acting: &casework_service::acting::Acting<'_, S>,
    case: CaseId,
    person: YoungPersonId,
    audience: &Audience,
    state: ConsentState,
    at: &str,
    coverage: &mut Coverage,
) {
    let actor = acting.actor().clone();
    let relationship = acting.relationship(case).await.expect("loads");
    let may = |p: Permission| permits(actor.role, relationship, p);

    // The checked read: the case's structure only; its confidential parts never print or
    // serialize.
    coverage.operations += 1;
    match acting.case(case).await {
        Ok(read) => {
            assert!(may(Permission::ReadCase), "{at}: read without permission");
            assert!(!leaks(&format!("{read:?}")), "{at}: Debug of a read leaks");
            assert!(
                serde_json::to_string(&read).is_err(),
                "{at}: a case serialized outside storage"
            );
        }
        Err(e) => {
            assert!(!may(Permission::ReadCase), "{at}: read refused: {e}");
            coverage.refusals += 1;
        }
    }

    // The checked history: events whose content is sealed; serializing one outside storage
    // is an error, never the content.
    coverage.operations += 1;
    match acting.history(case).await {
        Ok(history) => {
            assert!(
                may(Permission::ReadCase),
                "{at}: history without permission"
            );
            for e in &history {
                assert!(
                    !leaks(&format!("{:?}", e.event)),
                    "{at}: Debug of history leaks"
                );
                if let Ok(json) = serde_json::to_string(&e.event) {
                    assert!(
                        !leaks(&json),
                        "{at}: history serialized with content: {json}"
                    );
                }
            }
        }
        Err(_) => {
            assert!(!may(Permission::ReadCase), "{at}: history refused");
            coverage.refusals += 1;
        }
    }

    // The confidential read: only permitted, and only after it is in the access log.
    coverage.operations += 1;
    let reads_before = count(desk, ListingKind::Access, case).await;
    match acting.open_record(case, "property check").await {
        Ok(record) => {
            assert!(
                may(Permission::ReadConfidential),
                "{at}: opened without permission"
            );
            assert_eq!(
                count(desk, ListingKind::Access, case).await,
                reads_before + 1,
                "{at}: a confidential read was not recorded"
            );
            assert_eq!(record.concerns(), SECRET_CONCERNS);
            coverage.releases += 1;
        }
        Err(AccessError::Denied(d)) => {
            assert!(!may(Permission::ReadConfidential), "{at}: refused {d}");
            assert_eq!(d.permission, Permission::ReadConfidential);
            assert_eq!(
                count(desk, ListingKind::Access, case).await,
                reads_before,
                "{at}: a refused read was recorded as a read"
            );
            coverage.refusals += 1;
        }
        Err(e @ (AccessError::Refused(_) | AccessError::Failed(_))) => {
            panic!("{at}: open_record failed: {e}")
        }
    }

    // The share with consent: never content; only with consent; recorded when it shares.
    coverage.operations += 1;
    let shares_before = count(desk, ListingKind::Disclosure, case).await;
    match acting.share(case, audience.clone()).await {
        Ok(view) => {
            assert!(
                may(Permission::ShareWithConsent),
                "{at}: shared without permission"
            );
            if state != ConsentState::Given {
                // without consent, only the referrer, and only the outcome.
                assert_eq!(
                    *audience,
                    Audience::Referrer,
                    "{at}: shared without consent"
                );
                assert_eq!(view.basis, ShareBasis::ReferrerOutcome, "{at}");
                assert!(
                    view.items.iter().all(|i| i.kind() == ItemKind::Outcome),
                    "{at}: more than the outcome without consent"
                );
            }
            let json = serde_json::to_string(&view).expect("views serialize");
            assert!(!leaks(&json), "{at}: a consented view leaks: {json}");
            assert!(view.items.iter().all(|i| !i.kind().is_confidential()));
            assert_eq!(
                count(desk, ListingKind::Disclosure, case).await,
                shares_before + 1
            );
        }
        Err(ShareError::Denied(_)) => {
            assert!(!may(Permission::ShareWithConsent), "{at}: share refused");
            assert_eq!(
                count(desk, ListingKind::Disclosure, case).await,
                shares_before
            );
            coverage.refusals += 1;
        }
        Err(ShareError::Refused(_)) => {
            assert_ne!(state, ConsentState::Given, "{at}: refused despite consent");
            assert_ne!(
                *audience,
                Audience::Referrer,
                "{at}: the referrer was refused the outcome (R-4)"
            );
            assert_eq!(
                count(desk, ListingKind::Disclosure, case).await,
                shares_before
            );
            coverage.refusals += 1;
        }
        Err(ShareError::Failed(e)) => panic!("{at}: share failed: {e}"),
    }

    // The referrer's own view: never content.
    coverage.operations += 1;
    match acting.referrer_view(case).await {
        Ok(view) => {
            assert!(
                may(Permission::ReadReferrerView),
                "{at}: referrer view without permission"
            );
            let json = serde_json::to_string(&view).expect("views serialize");
            assert!(!leaks(&json), "{at}: the referrer's view leaks: {json}");
            let consented = *audience == Audience::Referrer && state == ConsentState::Given;
            if consented {
                assert!(matches!(view.basis, ShareBasis::Consent { .. }), "{at}");
            } else {
                // the outcome, and nothing more, without consent.
                assert_eq!(view.basis, ShareBasis::ReferrerOutcome, "{at}");
                let kinds: Vec<_> = view.items.iter().map(|i| i.kind()).collect();
                assert_eq!(kinds, vec![ItemKind::Outcome], "{at}: referrer saw more");
            }
        }
        Err(_) => {
            assert!(
                !may(Permission::ReadReferrerView),
                "{at}: referrer view refused"
            );
            coverage.refusals += 1;
        }
    }

    // The override without a reason: refused for everyone, nothing recorded.
    coverage.operations += 1;
    let overrides_before = count(desk, ListingKind::Override, case).await;
    let request = |concern: &str| OverrideRequest {
        audience: audience.clone(),
        items: ItemKind::ALL.to_vec(),
        legal_basis: "Children Act 1989 s47 (fictional test)".into(),
        concern: concern.into(),
    };
    assert!(
        acting
            .share_under_override(case, request("  "))
            .await
            .is_err(),
        "{at}: an override without a reason went through"
    );
    assert_eq!(
        count(desk, ListingKind::Override, case).await,
        overrides_before
    );
    coverage.refusals += 1;

    // The override with a reason: content only when permitted, and recorded first.
    coverage.operations += 1;
    match acting
        .share_under_override(case, request("She said she is being taken tonight"))
        .await
    {
        Ok(view) => {
            assert!(
                may(Permission::ShareUnderOverride),
                "{at}: override without permission"
            );
            assert_eq!(
                count(desk, ListingKind::Override, case).await,
                overrides_before + 1,
                "{at}: an override was not recorded"
            );
            let json = serde_json::to_string(&view).expect("views serialize");
            assert!(
                json.contains(SECRET_CONCERNS),
                "{at}: override view lacks concerns"
            );
            coverage.releases += 1;
        }
        Err(ShareError::Denied(d)) => {
            assert!(
                !may(Permission::ShareUnderOverride),
                "{at}: override refused {d}"
            );
            assert_eq!(
                count(desk, ListingKind::Override, case).await,
                overrides_before
            );
            coverage.refusals += 1;
        }
        Err(e) => panic!("{at}: override failed: {e}"),
    }
    let _ = person;
}
