//! Confidentiality: who may read and change what, what may be shared with whom (R-8,
//! R-10), the safeguarding override, and the logs that keep all of it visible. Each
//! test runs on the memory store and on SQLite.

#[macro_use]
mod support;

use casework::case::consent::{ConsentDecision, ConsentScope};
use casework::case::{CaseCommand, StageName};
use casework::kernel::actor::{Actor, Role};
use casework::kernel::event::DomainEvent;
use casework::memory::MemoryStore;
use casework::privacy::access::{Permission, Relationship};
use casework::privacy::access_log::AccessSubject;
use casework::privacy::disclosure::{
    Audience, DisclosureError, ItemKind, OverrideRequest, ShareBasis, SharedItem,
};
use casework::sqlite::SqliteStore;
use casework::store::Store;
use casework::{AccessError, ShareError};
use casework_testkit::confidentiality::{
    check_every_combination, leaks, Desk, SECRET_CONCERNS, SECRET_NOTE, SECRET_PLAN,
};
use casework_testkit::fixtures::{start, text};
use chrono::Duration;

fn partner() -> Audience {
    Audience::PartnerAgency {
        agency: text("Fictional Housing Trust"),
    }
}

fn police() -> Audience {
    Audience::Police {
        agency: text("Fictional Constabulary"),
    }
}

fn override_to(audience: Audience, concern: &str) -> OverrideRequest {
    OverrideRequest {
        audience,
        items: vec![ItemKind::SessionContent, ItemKind::RiskLevel],
        legal_basis: "Children Act 1989 s47; UK GDPR Art 6(1)(d) (fictional test)".into(),
        concern: concern.into(),
    }
}

async fn shares<S: Store>(desk: &Desk<S>, case: casework::kernel::ids::CaseId) -> usize {
    desk.cw
        .disclosures_unchecked(case)
        .await
        .expect("loads")
        .len()
}

on_every_store!(
    r27_a_worker_with_no_relationship_cannot_open_the_record,
    |desk| {
        // Given a case allocated to Sam
        let (_, case) = desk.case(true).await;
        // When another worker, in no team with Sam, opens its confidential record
        let other = Actor::worker("Kim Otherworker");
        let acting = desk.acting_as(&other);
        let denied = acting.open_record(case, "curious").await.unwrap_err();
        // Then R-27 refuses it, naming the permission and the relationship
        let denied = denied.denied().expect("an R-27 refusal").clone();
        assert_eq!(denied.permission, Permission::ReadConfidential);
        assert_eq!(denied.relationship, Relationship::None);
        assert!(denied.to_string().starts_with("R-27:"), "{denied}");
        assert_eq!(denied.rule(), casework::kernel::rule::Rule::R27);
        // and may still see the case's structure, never its content
        let read = acting.case(case).await.expect("read_case");
        assert!(!leaks(&format!("{read:?}")));
        // and nothing went into the access log
        let log = desk
            .acting_as(&desk.manager)
            .access_log(AccessSubject::Case {
                case,
                young_person: read.file().young_person,
            })
            .await
            .unwrap();
        assert!(log.is_empty());
    }
);

on_every_store!(
    r27_the_allocated_worker_reads_and_the_read_is_logged,
    |desk| {
        // Given Sam's case
        let (person, case) = desk.case(true).await;
        // When Sam opens the record, saying why
        let acting = desk.acting_as(&desk.worker);
        let record = acting
            .open_record(case, "preparing for Thursday's session")
            .await
            .unwrap();
        // Then the content can be read, for this case only
        assert_eq!(record.concerns(), SECRET_CONCERNS);
        assert_eq!(record.plan(), Some(SECRET_PLAN));
        assert_eq!(record.session_notes()[0].1, SECRET_NOTE);
        // and the read is in the access log, by case and by young person, with its purpose
        let manager = desk.acting_as(&desk.manager);
        for subject in [
            AccessSubject::Case {
                case,
                young_person: person,
            },
            AccessSubject::YoungPerson {
                young_person: person,
            },
        ] {
            let log = manager.access_log(subject).await.unwrap();
            assert_eq!(log.len(), 1);
            assert_eq!(log[0].staff, desk.worker.id);
            assert_eq!(log[0].relationship, Relationship::AllocatedWorker);
            assert_eq!(log[0].purpose.as_str(), "preparing for Thursday's session");
        }
    }
);

on_every_store!(r27_a_history_read_never_hands_over_content, |desk| {
    // Given Sam's case, with a session note
    let (_, case) = desk.case(true).await;
    // When Kim, with no relationship to it, reads its history (she may: read_case)
    let kim = Actor::worker("Kim Otherworker");
    let history = desk.acting_as(&kim).history(case).await.unwrap();
    let held = history
        .iter()
        .find(|e| e.event.event_type() == "session_held")
        .expect("the session was held");
    // Then neither serializing nor encoding an event hands her the note
    assert!(serde_json::to_string(&held.event).is_err());
    let meta = held.meta.clone();
    let encoded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| held.event.encode(meta)));
    assert!(encoded.is_err(), "encode outside storage must refuse");
    assert!(!leaks(&format!("{history:?}")));
});

on_every_store!(r27_a_read_must_say_why, |desk| {
    let (_, case) = desk.case(true).await;
    let acting = desk.acting_as(&desk.worker);
    match acting.open_record(case, "   ").await {
        Err(AccessError::Refused(e)) => {
            assert!(e.to_string().contains("purpose"), "{e}")
        }
        other => panic!("expected a refusal naming `purpose`, got {other:?}"),
    }
});

on_every_store!(
    r27_the_team_manager_reads_another_teams_manager_does_not,
    |desk| {
        let (_, case) = desk.case(true).await;
        let own = desk.acting_as(&desk.manager);
        assert_eq!(
            own.relationship(case).await.unwrap(),
            Relationship::TeamManager
        );
        assert!(own.open_record(case, "supervision").await.is_ok());

        let elsewhere = Actor::manager("Lee Othermanager");
        let acting = desk.acting_as(&elsewhere);
        let denied = acting.open_record(case, "supervision").await.unwrap_err();
        assert_eq!(
            denied.denied().unwrap().permission,
            Permission::ReadConfidential
        );
    }
);

on_every_store!(
    r27_commands_need_change_case_and_approvals_need_a_manager,
    |desk| {
        let (_, case) = desk.case(true).await;
        // An administrator may not change a case
        let admin = Actor::new("Ash Admin", Role::Administrator);
        let denied = desk
            .acting_as(&admin)
            .execute(
                case,
                CaseCommand::Pause {
                    reason: casework::case::PauseReason::NoContact,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(denied.denied().unwrap().permission, Permission::ChangeCase);
        // nor may an auditor or an external referrer
        for role in [Role::Auditor, Role::ExternalReferrer] {
            let actor = Actor::new("Someone", role);
            let acting = desk.acting_as(&actor);
            assert!(acting.execute(case, CaseCommand::Resume).await.is_err());
        }
        // The allocated worker may, and it is recorded as theirs
        let acting = desk.acting_as(&desk.worker);
        let done = acting
            .execute(
                case,
                CaseCommand::Pause {
                    reason: casework::case::PauseReason::NoContact,
                },
            )
            .await
            .unwrap();
        assert_eq!(done.state.stage(), StageName::Paused);
        // A worker cannot approve a pending step, whatever the case says
        let approve = acting
            .execute(
                case,
                CaseCommand::Approve {
                    approval: casework::kernel::ids::ApprovalId::new(),
                    reason: text("looks fine").into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(approve.denied().unwrap().permission, Permission::Approve);
        // and nothing was written by the refusals
        let history = desk.cw.history(case).await.unwrap();
        assert_eq!(history.last().unwrap().meta.actor.id, desk.worker.id);
    }
);

on_every_store!(r27_intake_is_every_workers_work_until_allocation, |desk| {
    let (_, case) = desk.case(false).await;
    let duty = Actor::worker("Dee Dutyworker");
    let acting = desk.acting_as(&duty);
    assert_eq!(
        acting.relationship(case).await.unwrap(),
        Relationship::Unallocated
    );
    assert!(acting.open_record(case, "intake assessment").await.is_ok());
});

on_every_store!(
    r8_the_referrer_sees_outcome_and_attendance_only_with_consent,
    |desk| {
        let (_, case) = desk.case(true).await;
        let referrer = desk.acting_as(&desk.referrer_account);
        assert_eq!(
            referrer.relationship(case).await.unwrap(),
            Relationship::Referrer
        );
        // Given no consent to share with the referrer: the outcome only
        let outcome_only = referrer.referrer_view(case).await.unwrap();
        assert_eq!(outcome_only.basis, ShareBasis::ReferrerOutcome);
        assert_eq!(
            outcome_only.items,
            vec![SharedItem::Outcome {
                outcome: "immediate_support".into()
            }]
        );
        assert_eq!(shares(&desk, case).await, 1);
        // When the young person agrees
        desk.given(
            case,
            desk.consent(ConsentScope::SharingWithReferrer, ConsentDecision::Given),
        )
        .await;
        // Then the referrer sees the outcome and attendance, and never the note
        let view = referrer.referrer_view(case).await.unwrap();
        let kinds: Vec<_> = view.items.iter().map(SharedItem::kind).collect();
        assert_eq!(
            kinds,
            vec![
                ItemKind::ServiceInvolvement,
                ItemKind::Outcome,
                ItemKind::Attendance
            ]
        );
        assert!(view.items.contains(&SharedItem::Outcome {
            outcome: "immediate_support".into()
        }));
        match &view.items[2] {
            SharedItem::Attendance { held, .. } => assert_eq!(*held, 1),
            other => panic!("{other:?}"),
        }
        let json = serde_json::to_string(&view).unwrap();
        assert!(!leaks(&json), "{json}");
        // and the share is recorded
        assert_eq!(shares(&desk, case).await, 2);
        // Another professional's account sees nothing of this case
        let stranger = Actor::new("Other Professional", Role::ExternalReferrer);
        let denied = desk
            .acting_as(&stranger)
            .referrer_view(case)
            .await
            .unwrap_err();
        assert!(
            matches!(denied, ShareError::Denied(d) if d.permission == Permission::ReadReferrerView)
        );
    }
);

on_every_store!(
    r4_the_referrer_always_learns_the_outcome_and_only_that_without_consent,
    |desk| {
        let (_, case) = desk.case(true).await;
        let worker = desk.acting_as(&desk.worker);
        // Given no consent to share with anyone: the worker telling the referrer the outcome
        // is a share of the outcome alone, on R-4, recorded
        let told = worker.share(case, Audience::Referrer).await.unwrap();
        assert_eq!(told.basis, ShareBasis::ReferrerOutcome);
        let kinds: Vec<_> = told.items.iter().map(SharedItem::kind).collect();
        assert_eq!(kinds, vec![ItemKind::Outcome]);
        assert_eq!(shares(&desk, case).await, 1);
        // while the parents without consent get a refusal naming R-10, not an empty view,
        // and nothing is recorded
        let refused = worker
            .share(case, Audience::ParentOrCarer)
            .await
            .unwrap_err();
        match refused {
            ShareError::Refused(e @ DisclosureError::NoConsent { .. }) => {
                assert_eq!(e.rule(), casework::kernel::rule::Rule::R10)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(shares(&desk, case).await, 1);
        // and the referrer's own view is the outcome too, never the concerns
        let own = desk
            .acting_as(&desk.referrer_account)
            .referrer_view(case)
            .await
            .unwrap();
        assert_eq!(own.items, told.items);
        let json = serde_json::to_string(&own).unwrap();
        assert!(!leaks(&json), "{json}");
    }
);

on_every_store!(
    r8_sharing_with_a_partner_needs_consent_in_its_name,
    |desk| {
        let (_, case) = desk.case(true).await;
        let acting = desk.acting_as(&desk.worker);
        // Without consent: refused, naming the rule and the scope; nothing recorded
        match acting.share(case, partner()).await {
            Err(ShareError::Refused(DisclosureError::NoConsent { rule, scope, .. })) => {
                assert_eq!(rule, "R-8");
                assert!(scope.contains("Fictional Housing Trust"), "{scope}");
            }
            other => panic!("expected R-8, got {other:?}"),
        }
        assert_eq!(shares(&desk, case).await, 0);
        // Consent for a different agency does not count
        desk.given(
            case,
            desk.consent(
                ConsentScope::SharingWithAgency {
                    agency: text("Fictional College"),
                },
                ConsentDecision::Given,
            ),
        )
        .await;
        assert!(acting.share(case, partner()).await.is_err());
        // With consent in its name: outcome and attendance, no content
        desk.given(
            case,
            desk.consent(
                ConsentScope::SharingWithAgency {
                    agency: text("Fictional Housing Trust"),
                },
                ConsentDecision::Given,
            ),
        )
        .await;
        let view = acting.share(case, partner()).await.unwrap();
        assert!(view.items.iter().all(|i| !i.kind().is_confidential()));
        assert!(!leaks(&serde_json::to_string(&view).unwrap()));
    }
);

on_every_store!(r10_parents_are_told_only_if_she_agrees, |desk| {
    let (_, case) = desk.case(true).await;
    let acting = desk.acting_as(&desk.worker);
    match acting.share(case, Audience::ParentOrCarer).await {
        Err(ShareError::Refused(e @ DisclosureError::NoConsent { .. })) => {
            assert_eq!(e.rule(), casework::kernel::rule::Rule::R10)
        }
        other => panic!("expected R-10, got {other:?}"),
    }
    desk.given(
        case,
        desk.consent(ConsentScope::SharingWithParents, ConsentDecision::Given),
    )
    .await;
    let view = acting.share(case, Audience::ParentOrCarer).await.unwrap();
    assert!(view.items.contains(&SharedItem::ServiceInvolvement {
        stage: StageName::Active
    }));
});

on_every_store!(
    r8_consent_withdrawn_after_a_share_stops_the_next_one,
    |desk| {
        let (_, case) = desk.case(true).await;
        let acting = desk.acting_as(&desk.worker);
        desk.given(
            case,
            desk.consent(ConsentScope::SharingWithReferrer, ConsentDecision::Given),
        )
        .await;
        acting.share(case, Audience::Referrer).await.unwrap();
        // When she withdraws it
        desk.given(
            case,
            desk.consent(
                ConsentScope::SharingWithReferrer,
                ConsentDecision::Withdrawn,
            ),
        )
        .await;
        // Then the next share is the outcome alone (R-4: the referrer is always told it),
        // and the earlier one stays on the record as it was
        let next = acting.share(case, Audience::Referrer).await.unwrap();
        assert_eq!(next.basis, ShareBasis::ReferrerOutcome);
        let recorded = desk.cw.disclosures_unchecked(case).await.unwrap();
        assert_eq!(recorded.len(), 2);
        assert!(matches!(
            recorded[0].event.share().basis,
            ShareBasis::Consent { .. }
        ));
        assert_eq!(recorded[0].event.share().items.len(), 3);
        assert_eq!(recorded[1].event.share().items, vec![ItemKind::Outcome]);
    }
);

on_every_store!(r9_an_override_without_a_reason_is_refused, |desk| {
    let (_, case) = desk.case(true).await;
    let acting = desk.acting_as(&desk.manager);
    for (request, field) in [
        (override_to(police(), ""), "concern"),
        (
            OverrideRequest {
                legal_basis: " ".into(),
                ..override_to(police(), "immediate risk tonight")
            },
            "legal_basis",
        ),
        (
            OverrideRequest {
                items: vec![],
                ..override_to(police(), "immediate risk tonight")
            },
            "items",
        ),
    ] {
        match acting.share_under_override(case, request).await {
            Err(ShareError::Refused(e @ DisclosureError::OverrideIncomplete { .. })) => {
                assert_eq!(e.rule(), casework::kernel::rule::Rule::R9);
                assert!(
                    matches!(&e, DisclosureError::OverrideIncomplete { field: f, .. } if f == field)
                );
            }
            other => panic!("expected a refusal naming {field}, got {other:?}"),
        }
    }
    assert_eq!(shares(&desk, case).await, 0);
});

on_every_store!(r9_an_override_is_recorded_and_reported, |desk| {
    // Given Sam's case, with no consent to share with the police
    let (_, case) = desk.case(true).await;
    desk.clock.advance(Duration::hours(2));
    // When Sam's manager shares the session content with the police on an immediate concern
    let acting = desk.acting_as(&desk.manager);
    let view = acting
        .share_under_override(
            case,
            override_to(police(), "She said she is being collected tonight"),
        )
        .await
        .unwrap();
    // Then the police get the content, released by the override
    let json = serde_json::to_string(&view).unwrap();
    assert!(json.contains(SECRET_NOTE), "{json}");
    assert!(
        !json.contains(SECRET_PLAN),
        "only what was named is shared: {json}"
    );
    // and it is recorded: who decided, the legal basis, why, what, with whom and when
    let recorded = desk.cw.disclosures_unchecked(case).await.unwrap();
    let share = recorded[0].event.share();
    assert_eq!(share.shared_by, desk.manager.id);
    assert_eq!(share.audience, police());
    assert_eq!(
        share.items,
        vec![ItemKind::RiskLevel, ItemKind::SessionContent]
    );
    match &share.basis {
        ShareBasis::SafeguardingOverride {
            legal_basis,
            concern,
        } => {
            assert!(legal_basis.as_str().contains("s47"));
            assert_eq!(concern.as_str(), "She said she is being collected tonight");
        }
        other => panic!("{other:?}"),
    }
    // The envelope, which is never sealed, states the legal basis, not the concern: the
    // concern is about her, sealed at rest in the event (kernel::sealing::personal).
    let reason = recorded[0].meta.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("safeguarding override: ") && reason.contains("s47"),
        "{reason}"
    );
    assert!(!reason.contains("collected"), "{reason}");
    // and it shows in the override report, the disclosure log and the case's audit trail
    let day = (start() - Duration::days(1), start() + Duration::days(30));
    let report = acting.override_report(day.0, day.1).await.unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].case, case);
    assert_eq!(report[0].basis, share.basis, "the report shows why (R-9)");
    assert_eq!(acting.disclosure_log(day.0, day.1).await.unwrap().len(), 1);
    let auditor = Actor::new("Ida Auditor", Role::Auditor);
    let trail = desk.acting_as(&auditor).audit_trail(case).await.unwrap();
    let overrides: Vec<_> = trail.iter().filter(|t| t.kind == "override").collect();
    assert_eq!(overrides.len(), 1);
    assert!(overrides[0].what.contains("Fictional Constabulary"));
    assert!(overrides[0].by.contains("Alex Manager"));
    assert!(trail
        .iter()
        .any(|t| t.kind == "change" && t.what == "session_held"));
    // A period that excludes it reports nothing
    let later = start() + Duration::days(40);
    assert!(acting
        .override_report(later, later + Duration::days(1))
        .await
        .unwrap()
        .is_empty());
});

on_every_store!(r9_only_those_close_to_the_case_may_override, |desk| {
    let (_, case) = desk.case(true).await;
    for actor in [
        Actor::worker("Kim Otherworker"),
        Actor::new("Ash Admin", Role::Administrator),
        Actor::new("Ida Auditor", Role::Auditor),
        desk.referrer_account.clone(),
    ] {
        let acting = desk.acting_as(&actor);
        match acting
            .share_under_override(case, override_to(police(), "immediate risk"))
            .await
        {
            Err(ShareError::Denied(d)) => {
                assert_eq!(d.permission, Permission::ShareUnderOverride)
            }
            other => panic!("{actor}: expected R-27, got {other:?}"),
        }
    }
    assert_eq!(shares(&desk, case).await, 0);
});

on_every_store!(r27_logs_are_for_managers_and_auditors, |desk| {
    let (_, case) = desk.case(true).await;
    let window = (start(), start() + Duration::days(30));
    let worker = desk.acting_as(&desk.worker);
    let denied = worker
        .override_report(window.0, window.1)
        .await
        .unwrap_err();
    assert_eq!(
        denied.denied().unwrap().permission,
        Permission::ReadAuditLogs
    );
    // The allocated worker still sees the shares of their own case
    assert!(worker.disclosures(case).await.is_ok());
    let auditor = Actor::new("Ida Auditor", Role::Auditor);
    let acting = desk.acting_as(&auditor);
    assert!(acting.override_report(window.0, window.1).await.is_ok());
    assert!(acting.open_record(case, "audit").await.is_err());
});

on_every_store!(
    r27_service_wide_lists_workshops_and_intelligence_by_role,
    |desk| {
        let (_, _case) = desk.case(true).await;
        let window = (start(), start() + Duration::days(90));
        let referrer = desk.acting_as(&desk.referrer_account);
        // An external referrer sees no service-wide list
        let denied = referrer.reviews_due(window.0, window.1).await.unwrap_err();
        assert_eq!(denied.denied().unwrap().permission, Permission::ReadCase);
        assert!(referrer.open_cases(None).await.is_err());
        // Staff do, whatever their relationship to the cases listed
        let kim = Actor::worker("Kim Otherworker");
        let acting = desk.acting_as(&kim);
        let caseload = acting.open_cases(Some(desk.worker.id)).await.unwrap();
        assert_eq!(caseload.len(), 1);
        // Intelligence: a worker may not read the list awaiting police; a manager may
        let denied = acting.intelligence_awaiting_police().await.unwrap_err();
        assert_eq!(
            denied.denied().unwrap().permission,
            Permission::ReadIntelligence
        );
        let manager = desk.acting_as(&desk.manager);
        assert!(manager.intelligence_awaiting_police().await.is_ok());
        // An auditor may not run workshops
        let auditor = Actor::new("Ida Auditor", Role::Auditor);
        let denied = desk
            .acting_as(&auditor)
            .workshop(casework::kernel::ids::WorkshopId::new())
            .await
            .unwrap_err();
        assert_eq!(
            denied.denied().unwrap().permission,
            Permission::RunWorkshops
        );
    }
);

/// The property over every role × relationship × consent state × audience (R-8, R-9, R-10,
/// no confidential text leaves a record without a recorded read or override.
#[tokio::test]
async fn no_confidential_text_leaves_a_record_without_a_recorded_read_or_override() {
    let memory = check_every_combination(MemoryStore::new()).await;
    let store = SqliteStore::temporary().expect("a temporary store");
    store.migrate().await.expect("migrates");
    let sqlite = check_every_combination(store).await;
    assert_eq!(memory, sqlite, "the stores agree on every combination");
    // 5 audiences × 4 consent states × (6 roles × 4 relationships to an allocated case
    // + 6 roles unallocated) = 600.
    assert_eq!(memory.combinations, 600);
    assert!(memory.effective_pairs >= 14, "{memory:?}");
    assert!(memory.releases > 0 && memory.refusals > 0, "{memory:?}");
    eprintln!("confidentiality property: {memory:?} (memory and SQLite)");
}

/// The same property on Postgres, when a server is configured.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn no_confidential_text_leaves_a_record_on_postgres_either() {
    let Some(database) =
        support::postgres::TestDatabase::create("the confidentiality property").await
    else {
        return;
    };
    let postgres = check_every_combination(support::postgres::store(&database).await).await;
    let memory = check_every_combination(MemoryStore::new()).await;
    assert_eq!(
        postgres, memory,
        "Postgres agrees with memory on every combination"
    );
    assert_eq!(postgres.combinations, 600);
}
