//! Reads and commands as values (R-27): every service-wide query states its name and the
//! permission it needs, and the checked handle checks any query the same way, once. Commands
//! on every aggregate state their name and permission too, so a surface over every command
//! and read (an HTTP API) is generated from these lists.

use casework::aggregate::Aggregate;
use casework::case::{Case, CaseCommand};
use casework::intelligence::{Intelligence, IntelligenceCommand, PoliceChannel};
use casework::kernel::actor::{Actor, Role};
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::prelude::*;
use casework::privacy::access::{permits, Relationship};
use casework::service::queries::{IntelligenceAwaitingPolice, OpenCases, ReviewsDue};
use casework::workshop::{Workshop, WorkshopCommand};
use casework::QUERIES;
use casework_testkit::fixtures::{girl_in_leeds_area, self_referral, start, text};
use chrono::Duration;
use std::collections::BTreeSet;

#[test]
fn r27_every_query_has_a_unique_snake_case_name_and_a_permission() {
    let names: BTreeSet<_> = QUERIES.iter().map(|q| q.name).collect();
    assert_eq!(names.len(), QUERIES.len(), "query names are unique");
    assert!(QUERIES.len() >= 15, "{} queries", QUERIES.len());
    for q in QUERIES {
        assert!(
            q.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{}",
            q.name
        );
    }
    // Intelligence about possible perpetrators is for those who may read it (R-19).
    let intelligence = QUERIES
        .iter()
        .find(|q| q.name == "intelligence_awaiting_police")
        .unwrap();
    assert_eq!(intelligence.permission, Permission::ReadIntelligence);
}

#[test]
fn r27_commands_name_themselves_and_the_permission_they_need() {
    assert_eq!(Case::command_name(&CaseCommand::Screen), "screen");
    assert_eq!(
        Case::command_permission(&CaseCommand::Screen),
        Permission::ChangeCase
    );
    let approve = CaseCommand::Approve {
        approval: casework::kernel::ids::ApprovalId::new(),
        reason: text("Fictional reason").into(),
    };
    assert_eq!(Case::command_name(&approve), "approve");
    assert_eq!(Case::command_permission(&approve), Permission::Approve);
    let pass = IntelligenceCommand::PassToPolice {
        channel: PoliceChannel::NonUrgent,
        reference: text("FICT-1"),
        passed_at: start(),
    };
    assert_eq!(
        Intelligence::command_permission(&pass),
        Permission::RecordIntelligence
    );
    let attendance = WorkshopCommand::from_json(
        r#"{"command":"record_attendance","young_people":[],"anonymous":20}"#,
    )
    .unwrap();
    assert_eq!(Workshop::command_name(&attendance), "record_attendance");
    assert_eq!(
        Workshop::command_permission(&attendance),
        Permission::RunWorkshops
    );
}

/// The generic check gives each role exactly what the permission table gives it, for every
/// query: asked as staff with no relationship to the records listed.
#[tokio::test]
async fn r27_a_query_is_answered_exactly_when_the_table_permits_it() {
    let casework = Casework::new(MemoryStore::new(), city_girls_service());
    let worker = Actor::worker("Sam Worker");
    let amy = casework
        .register_young_person(&worker, girl_in_leeds_area())
        .await
        .unwrap();
    casework
        .receive_referral(&worker, amy, self_referral(start()))
        .await
        .unwrap();
    let directory = StaffDirectory::new();
    let window = (start(), start() + Duration::days(90));
    let roles = [
        Role::Worker,
        Role::Manager,
        Role::Administrator,
        Role::ExternalReferrer,
        Role::Auditor,
        Role::System,
    ];
    for role in roles {
        let actor = Actor::new("Fictional Person", role);
        let acting = casework.acting_as(&actor, &directory);
        let may = |p| permits(role, Relationship::None, p);
        let reviews = acting
            .query(ReviewsDue {
                from: window.0,
                to: window.1,
            })
            .await;
        assert_eq!(reviews.is_ok(), may(ReviewsDue::PERMISSION), "{role:?}");
        if let Err(e) = reviews {
            assert_eq!(e.denied().unwrap().permission, ReviewsDue::PERMISSION);
            assert_eq!(e.code(), "access_denied");
        }
        let caseload = acting.query(OpenCases { worker: None }).await;
        assert_eq!(caseload.is_ok(), may(OpenCases::PERMISSION), "{role:?}");
        let police = acting.query(IntelligenceAwaitingPolice {}).await;
        assert_eq!(
            police.is_ok(),
            may(IntelligenceAwaitingPolice::PERMISSION),
            "{role:?}"
        );
        // The named method asks the same query.
        assert_eq!(
            acting.open_cases(None).await.is_ok(),
            caseload.is_ok(),
            "{role:?}"
        );
    }
    // Trusted code asks unchecked, and gets the same answer a permitted person gets.
    let unchecked = casework
        .query(ReviewsDue {
            from: window.0,
            to: window.1,
        })
        .await
        .unwrap();
    let manager = Actor::new("Fictional Manager", Role::Manager);
    let checked = casework
        .acting_as(&manager, &directory)
        .reviews_due(window.0, window.1)
        .await
        .unwrap();
    assert_eq!(unchecked, checked);
}
