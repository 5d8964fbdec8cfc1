//! R-25: a case with a worker (allocated, engaged, active, paused or closing) moves to another
//! worker with a reason. The history keeps both allocations, attributed (R-18); the caseloads
//! move in the same append; from that moment the previous worker has no relationship to the
//! case and the new one is its allocated worker (R-27). A closed case never moves (R-17), and
//! where the profile asks for it a worker's reallocation waits for a manager (R-24). Each test
//! runs on the memory store, SQLite and, with the `postgres` feature, Postgres.

#[macro_use]
mod support;

use casework::case::{Case, CaseCommand, CaseEvent, ClosureReason, GatedStep, Party, StageName};
use casework::config::shipped;
use casework::kernel::actor::Actor;
use casework::kernel::code::ErrorCode;
use casework::kernel::error::DomainError;
use casework::kernel::ids::{CaseId, StaffId};
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::policy::profile::examples::city_girls_service;
use casework::policy::profile::ServiceProfile;
use casework::privacy::access::{Permission, Relationship, StaffDirectory};
use casework::read::listing::{decode_all, FirstAllocationRow, ListingRow, ReferralRow};
use casework::read::rows::{ListingKind, ListingQuery};
use casework::sqlite::SqliteStore;
use casework::store::Store;
use casework::{AccessError, Acting};
use casework_testkit::desk::Desk;
use casework_testkit::fixtures::{self, girl_in_leeds_area, text};
use casework_testkit::stored::stored;
use chrono::Duration;

const REASON: &str = "Sam is going on long-term leave (fictional)";

/// Kim, a second worker, and a directory with Sam (the desk's worker) and Kim both in the
/// manager's team.
fn kim_in_the_team<S>(desk: &Desk<S>) -> (Actor, StaffDirectory) {
    let kim = Actor::worker("Kim Example");
    let directory = StaffDirectory::new().team(desk.manager.id, [desk.worker.id, kim.id]);
    (kim, directory)
}

fn reallocate_to(worker: &Actor, reason: &str) -> CaseCommand {
    CaseCommand::Reallocate {
        worker: worker.id,
        worker_name: text(&worker.name),
        reason: text(reason),
    }
}

/// A girl's case at work with the desk's worker (Sam), allocated a day before now.
async fn at_work<S: Store>(desk: &Desk<S>) -> CaseId {
    let (_, case) = desk
        .person_at_work(girl_in_leeds_area(), &["older_boyfriend"])
        .await;
    desk.advance(Duration::days(1));
    case
}

async fn caseload<S: Store>(desk: &Desk<S>, worker: StaffId) -> Vec<CaseId> {
    desk.cw
        .open_cases(Some(worker))
        .await
        .expect("reads the caseload")
        .into_iter()
        .map(|row| row.case_id)
        .collect()
}

/// Every listing of `kind`, decoded.
async fn listed<S: Store, T: ListingRow>(desk: &Desk<S>, kind: ListingKind) -> Vec<T> {
    let rows = desk
        .store()
        .listings(ListingQuery::all(kind))
        .await
        .unwrap();
    decode_all(&rows).expect("listings decode")
}

fn denied(result: Result<impl std::fmt::Debug, AccessError>) -> (Permission, Relationship) {
    let err = result.expect_err("refused under R-27");
    let denied = err
        .denied()
        .unwrap_or_else(|| panic!("an R-27 refusal: {err}"));
    assert_eq!(denied.rule(), Rule::R27);
    (denied.permission, denied.relationship)
}

/// Runs `command` through `acting`, panicking with the refusal.
async fn ok<S: Store>(acting: &Acting<'_, S>, case: CaseId, command: CaseCommand) -> Case {
    let name = command.name();
    acting
        .execute(case, command)
        .await
        .unwrap_or_else(|e| panic!("`{name}` was refused: {e}"))
        .state
}

/// The manager moves `case` to Kim: Kim, the team's directory and the case after the move.
async fn manager_moves_to_kim<S: Store>(
    desk: &Desk<S>,
    case: CaseId,
) -> (Actor, StaffDirectory, Case) {
    let (kim, directory) = kim_in_the_team(desk);
    let manager = desk.cw.acting_as(&desk.manager, &directory);
    let moved = ok(&manager, case, reallocate_to(&kim, REASON)).await;
    (kim, directory, moved)
}

/// The city girls' service with reallocation gated by a manager (R-24).
fn reallocation_gated() -> ServiceProfile {
    let mut profile = city_girls_service();
    profile.approvals.reallocation = true;
    profile
}

on_every_store!(
    r25_a_reallocated_case_leaves_the_old_caseload_and_joins_the_new_one,
    |desk| {
        // Given Sam's case at work, in Sam's caseload
        let case = at_work(&desk).await;
        let (kim, directory) = kim_in_the_team(&desk);
        assert_eq!(caseload(&desk, desk.worker.id).await, vec![case]);
        assert!(caseload(&desk, kim.id).await.is_empty());
        // When the manager moves it to Kim, with the reason
        let manager = desk.cw.acting_as(&desk.manager, &directory);
        let done = manager
            .execute(case, reallocate_to(&kim, REASON))
            .await
            .expect("a manager reallocates a case of her team");
        // Then one event records it, and the work stays where it was
        let types: Vec<_> = done.events.iter().map(CaseEvent::event_type).collect();
        assert_eq!(types, ["case_reallocated"]);
        assert_eq!(done.state.stage(), StageName::Active);
        assert_eq!(done.state.allocation().map(|a| a.worker), Some(kim.id));
        // and the caseloads moved with it: Kim's lists it from now, Sam's does not
        assert!(caseload(&desk, desk.worker.id).await.is_empty());
        let kims = desk.cw.open_cases(Some(kim.id)).await.unwrap();
        assert_eq!(kims.len(), 1);
        assert_eq!(kims[0].case_id, case);
        assert_eq!(kims[0].worker_name.as_str(), "Kim Example");
        assert_eq!(kims[0].stage, StageName::Active);
        assert_eq!(
            kims[0].allocated_at,
            desk.now(),
            "allocated to Kim when it moved"
        );
        // and the service-wide list holds it once, under Kim
        let everyone = desk.cw.open_cases(None).await.unwrap();
        assert_eq!(everyone.len(), 1);
        assert_eq!(everyone[0].worker, kim.id);
    }
);

on_every_store!(
    r27_after_a_reallocation_the_previous_worker_is_refused_and_the_new_one_allowed,
    |desk| {
        let case = at_work(&desk).await;
        let (kim, directory) = kim_in_the_team(&desk);
        let sam = desk.cw.acting_as(&desk.worker, &directory);
        let kims = desk.cw.acting_as(&kim, &directory);
        // Before the move Kim has no relationship to Sam's case
        assert_eq!(kims.relationship(case).await.unwrap(), Relationship::None);
        assert_eq!(
            denied(kims.open_record(case, "curious").await),
            (Permission::ReadConfidential, Relationship::None)
        );
        // When Sam hands the case to Kim (the allocated worker may, R-27)
        sam.execute(case, reallocate_to(&kim, REASON))
            .await
            .expect("the allocated worker hands the case over");
        // Then Sam may neither change it nor open its confidential record
        assert_eq!(sam.relationship(case).await.unwrap(), Relationship::None);
        let change = CaseCommand::RecordProfessional {
            professional: fixtures::social_worker(),
        };
        assert_eq!(
            denied(sam.execute(case, change.clone()).await),
            (Permission::ChangeCase, Relationship::None)
        );
        assert_eq!(
            denied(sam.open_record(case, "checking my old case").await),
            (Permission::ReadConfidential, Relationship::None)
        );
        // and Kim is its allocated worker: she reads and changes it
        assert_eq!(
            kims.relationship(case).await.unwrap(),
            Relationship::AllocatedWorker
        );
        let record = kims
            .open_record(case, "taking over the case")
            .await
            .expect("the new worker reads the record");
        assert_eq!(record.plan(), Some(casework_testkit::desk::PLAN));
        kims.execute(case, change)
            .await
            .expect("the new worker changes the case");
        // and the team's manager still manages it
        let manager = desk.cw.acting_as(&desk.manager, &directory);
        assert_eq!(
            manager.relationship(case).await.unwrap(),
            Relationship::TeamManager
        );
    }
);

on_every_store!(
    r18_r25_the_history_keeps_both_allocations_attributed,
    |desk| {
        let case = at_work(&desk).await;
        let first = desk
            .cw
            .case(case)
            .await
            .unwrap()
            .allocation()
            .cloned()
            .unwrap();
        let before = desk.now();
        let (kim, directory) = kim_in_the_team(&desk);
        desk.advance(Duration::hours(2));
        desk.cw
            .acting_as(&desk.manager, &directory)
            .execute(case, reallocate_to(&kim, REASON))
            .await
            .unwrap();
        // The history keeps the allocation to Sam, recorded by Sam ...
        let history = desk.cw.history(case).await.unwrap();
        let allocated = history
            .iter()
            .find(|e| matches!(e.event, CaseEvent::CaseAllocated { .. }))
            .expect("the first allocation stays in the history");
        assert_eq!(allocated.meta.actor.id, desk.worker.id);
        // ... and the move to Kim, recorded by the manager with the reason (R-18)
        let moved = history
            .iter()
            .find(|e| matches!(e.event, CaseEvent::CaseReallocated { .. }))
            .expect("the reallocation is in the history");
        assert_eq!(moved.meta.actor.id, desk.manager.id);
        assert_eq!(moved.meta.reason.as_deref(), Some(REASON));
        assert_eq!(moved.meta.recorded_at, desk.now());
        let CaseEvent::CaseReallocated { from, to, reason } = &moved.event else {
            unreachable!()
        };
        assert_eq!(from, &first, "the allocation that ended, as it was");
        assert_eq!(to.worker, kim.id);
        assert_eq!(to.at, desk.now());
        assert_eq!(reason.as_str(), REASON);
        assert_eq!(
            moved.event.describe(),
            format!("reallocated from Sam Worker to Kim Example: {REASON}")
        );
        // The case file keeps the move; its first allocation is still Sam's
        let now = desk.cw.case(case).await.unwrap();
        assert_eq!(now.file().reallocations.len(), 1);
        assert_eq!(now.first_allocation(), Some(&first));
        // As of before the move, the case was Sam's (R-18: what was known on date X)
        let then = desk.cw.case_as_of(case, before).await.unwrap().unwrap();
        assert_eq!(then.allocation().map(|a| a.worker), Some(desk.worker.id));
        // The wait from referral to allocation is still the wait for the first worker (R-29)
        let firsts: Vec<FirstAllocationRow> = listed(&desk, ListingKind::FirstAllocation).await;
        assert_eq!(firsts.len(), 1);
        assert_eq!(firsts[0].allocated_at, first.at);
        let referrals: Vec<ReferralRow> = listed(&desk, ListingKind::Referral).await;
        assert_eq!(referrals[0].allocated_at, Some(first.at));
    }
);

on_every_store!(
    r25_a_reallocation_to_the_worker_who_holds_the_case_is_refused,
    |desk| {
        let case = at_work(&desk).await;
        let version = desk.cw.history(case).await.unwrap().len();
        let err = desk
            .try_run_as(&desk.manager, case, reallocate_to(&desk.worker, REASON))
            .await
            .unwrap_err();
        let refusal = err.rejection().expect("the rules refused").clone();
        assert_eq!(
            refusal,
            DomainError::SameWorker {
                worker: desk.worker.id
            }
        );
        assert_eq!(refusal.rule(), Some(Rule::R25));
        assert_eq!(refusal.code(), "same_worker");
        let message = refusal.to_string();
        assert!(message.starts_with("R-25: `worker`:"), "{message}");
        // Nothing was written
        assert_eq!(desk.cw.history(case).await.unwrap().len(), version);
        assert_eq!(caseload(&desk, desk.worker.id).await, vec![case]);
    }
);

#[test]
fn r25_a_reallocation_names_its_worker_and_its_reason_in_json() {
    let kim = StaffId::new();
    let id = serde_json::to_string(&kim).unwrap();
    let json = format!(
        r#"{{"command": "reallocate", "worker": {id}, "worker_name": "Kim Example", "reason": "{REASON}"}}"#
    );
    let command = CaseCommand::from_json(&json).expect("decodes the flat form");
    assert_eq!(
        command,
        CaseCommand::Reallocate {
            worker: kim,
            worker_name: text("Kim Example"),
            reason: text(REASON),
        }
    );
    assert_eq!(command.name(), "reallocate");
    assert_eq!(command.stated_reason().as_deref(), Some(REASON));
    assert_eq!(CaseCommand::from_json(&command.to_json()).unwrap(), command);
    // Without a reason, or with an empty one, it is refused naming the field
    let field = |json: String| match CaseCommand::from_json(&json) {
        Err(DomainError::Input(e)) => e.field,
        other => panic!("expected bad input, got {other:?}"),
    };
    assert_eq!(
        field(format!(
            r#"{{"command": "reallocate", "worker": {id}, "worker_name": "Kim Example"}}"#
        )),
        "reason"
    );
    assert_eq!(
        field(format!(
            r#"{{"command": "reallocate", "worker": {id}, "worker_name": "Kim Example", "reason": "  "}}"#
        )),
        "reason"
    );
    assert_eq!(
        field(format!(
            r#"{{"command": "reallocate", "worker_name": "Kim Example", "reason": "{REASON}"}}"#
        )),
        "worker"
    );
}

on_every_store!(r17_a_closed_case_cannot_be_reallocated, |desk| {
    let case = at_work(&desk).await;
    desk.run(
        case,
        CaseCommand::Close {
            reason: ClosureReason::MovedOutOfArea,
        },
    )
    .await;
    let (kim, _) = kim_in_the_team(&desk);
    let err = desk
        .try_run_as(&desk.manager, case, reallocate_to(&kim, REASON))
        .await
        .unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(&DomainError::CaseClosed { case }),
        "{err}"
    );
    assert_eq!(err.rejection().and_then(DomainError::rule), Some(Rule::R17));
    // The closed case keeps the worker who held it, and nobody's caseload lists it
    let closed = desk.cw.case(case).await.unwrap();
    assert_eq!(closed.allocation().map(|a| a.worker), Some(desk.worker.id));
    assert!(desk.cw.open_cases(None).await.unwrap().is_empty());
});

on_every_store!(
    r25_a_case_without_a_worker_is_allocated_not_reallocated,
    |desk| {
        let person = desk.register(girl_in_leeds_area()).await;
        let case = desk.assessed(person, &["older_boyfriend"]).await;
        desk.run(case, CaseCommand::AcceptForSupport).await;
        let (kim, _) = kim_in_the_team(&desk);
        let err = desk
            .try_run_as(&desk.manager, case, reallocate_to(&kim, REASON))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err.rejection(),
                Some(DomainError::NotAtThisStage {
                    stage: StageName::AwaitingAllocation,
                    command: "reallocate",
                    ..
                })
            ),
            "{err}"
        );
    }
);

on_every_store!(r25_a_paused_case_moves_and_stays_paused, |desk| {
    let case = at_work(&desk).await;
    desk.run(
        case,
        CaseCommand::Pause {
            reason: casework::case::PauseReason::NoContact,
        },
    )
    .await;
    let (kim, directory, moved) = manager_moves_to_kim(&desk, case).await;
    assert_eq!(moved.stage(), StageName::Paused);
    assert_eq!(caseload(&desk, kim.id).await, vec![case]);
    let resumed = desk
        .cw
        .acting_as(&kim, &directory)
        .execute(case, CaseCommand::Resume)
        .await
        .expect("the new worker resumes the work");
    assert_eq!(resumed.state.stage(), StageName::Active);
});

on_every_store!(
    r16_r25_a_closing_case_moves_with_the_agreements_recorded_so_far,
    |desk| {
        let case = at_work(&desk).await;
        desk.run(case, CaseCommand::ProposeClosure).await;
        desk.run(
            case,
            CaseCommand::RecordAgreement {
                party: Party::YoungPerson,
            },
        )
        .await;
        let (kim, directory, moved) = manager_moves_to_kim(&desk, case).await;
        let Case::Closing(stage) = &moved else {
            panic!("still closing: {:?}", moved.stage());
        };
        assert_eq!(stage.agreed(), [Party::YoungPerson]);
        let closed = desk
            .cw
            .acting_as(&kim, &directory)
            .execute(case, CaseCommand::CompleteClosure)
            .await
            .expect("the new worker completes the closure");
        assert_eq!(closed.state.stage(), StageName::Closed);
        assert_eq!(closed.state.allocation().map(|a| a.worker), Some(kim.id));
        assert!(desk.cw.open_cases(None).await.unwrap().is_empty());
    }
);

/// Sam's case at work, and Sam asking (where reallocation is gated) to move it to Kim: the
/// case, Kim, the team's directory and the case after the request.
async fn sam_asks_to_move_to_kim<S: Store>(
    desk: &Desk<S>,
) -> (CaseId, Actor, StaffDirectory, Case) {
    let case = at_work(desk).await;
    let (kim, directory) = kim_in_the_team(desk);
    let sam = desk.cw.acting_as(&desk.worker, &directory);
    let asked = ok(&sam, case, reallocate_to(&kim, REASON)).await;
    (case, kim, directory, asked)
}

on_every_store!(
    r24_r25_a_workers_reallocation_waits_for_a_manager_where_the_profile_asks,
    reallocation_gated(),
    |desk| {
        // When Sam asks to move the case to Kim
        let (case, kim, directory, asked) = sam_asks_to_move_to_kim(&desk).await;
        let sam = desk.cw.acting_as(&desk.worker, &directory);
        // Then it is pending, not done: the case is still Sam's, in Sam's caseload
        assert_eq!(asked.allocation().map(|a| a.worker), Some(desk.worker.id));
        assert_eq!(asked.file().pending.len(), 1);
        let pending = asked.file().pending[0].clone();
        assert_eq!(
            stored(&pending.step),
            stored(&GatedStep::Reallocate {
                worker: kim.id,
                worker_name: text("Kim Example"),
                reason: text(REASON),
            })
        );
        assert_eq!(pending.step.name(), "reallocate");
        assert_eq!(pending.requested_by, desk.worker.id);
        assert_eq!(caseload(&desk, desk.worker.id).await, vec![case]);
        assert!(caseload(&desk, kim.id).await.is_empty());
        // A worker cannot approve: R-27 gives no worker `approve`, and the rule itself is R-24
        let approve = CaseCommand::Approve {
            approval: pending.id,
            reason: text("Agreed in supervision (fictional)").into(),
        };
        assert_eq!(
            denied(sam.execute(case, approve.clone()).await),
            (Permission::Approve, Relationship::AllocatedWorker)
        );
        let err = desk
            .try_run_as(&desk.worker, case, approve.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err.rejection(), Some(DomainError::ManagerRequired { .. })),
            "{err}"
        );
        assert_eq!(err.rejection().and_then(DomainError::rule), Some(Rule::R24));
        // When the manager approves, the approval and the move are one append
        let manager = desk.cw.acting_as(&desk.manager, &directory);
        let done = manager.execute(case, approve).await.unwrap();
        let types: Vec<_> = done.events.iter().map(CaseEvent::event_type).collect();
        assert_eq!(types, ["approval_given", "case_reallocated"]);
        assert!(done.state.file().pending.is_empty());
        assert_eq!(done.state.allocation().map(|a| a.worker), Some(kim.id));
        assert!(caseload(&desk, desk.worker.id).await.is_empty());
        assert_eq!(caseload(&desk, kim.id).await, vec![case]);
        // attributed to the manager
        let history = desk.cw.history(case).await.unwrap();
        let moved = history.last().unwrap();
        assert_eq!(moved.event.event_type(), "case_reallocated");
        assert_eq!(moved.meta.actor.id, desk.manager.id);
    }
);

on_every_store!(
    r24_r25_a_refused_reallocation_leaves_the_case_with_its_worker,
    reallocation_gated(),
    |desk| {
        let (case, kim, directory, asked) = sam_asks_to_move_to_kim(&desk).await;
        let approval = asked.file().pending[0].id;
        let manager = desk.cw.acting_as(&desk.manager, &directory);
        let refused = ok(
            &manager,
            case,
            CaseCommand::RefuseApproval {
                approval,
                reason: text("Kim's caseload is full this month (fictional)").into(),
            },
        )
        .await;
        assert!(refused.file().pending.is_empty());
        assert_eq!(refused.allocation().map(|a| a.worker), Some(desk.worker.id));
        assert_eq!(caseload(&desk, desk.worker.id).await, vec![case]);
        // A manager's own reallocation needs no separate approval: taking it approves it
        let moved = ok(&manager, case, reallocate_to(&kim, REASON)).await;
        assert_eq!(moved.allocation().map(|a| a.worker), Some(kim.id));
        assert!(moved.file().pending.is_empty());
    }
);

#[test]
fn r24_r25_reallocation_is_gated_only_where_a_profile_says_so() {
    // Off when a profile does not mention it, as every profile written before it existed
    assert!(
        !shipped::profile("city-girls")
            .unwrap()
            .approvals
            .reallocation
    );
    assert!(
        !shipped::profile("young-peoples-team")
            .unwrap()
            .approvals
            .reallocation
    );
    // The county service gates every step, reallocation too
    assert!(
        shipped::profile("county-all-genders")
            .unwrap()
            .approvals
            .reallocation
    );
    let parsed: casework::policy::profile::Approvals =
        serde_json::from_str(r#"{"closure": true}"#).expect("parses without the flag");
    assert!(!parsed.reallocation);
    let parsed: casework::policy::profile::Approvals =
        serde_json::from_str(r#"{"reallocation": true}"#).expect("parses the flag");
    assert!(parsed.reallocation);
}

#[tokio::test]
async fn r25_without_the_setting_a_worker_hands_a_case_over_directly() {
    let desk = Desk::new(MemoryStore::new());
    let case = at_work(&desk).await;
    let (kim, _) = kim_in_the_team(&desk);
    let done = desk.run(case, reallocate_to(&kim, REASON)).await;
    let types: Vec<_> = done.events.iter().map(CaseEvent::event_type).collect();
    assert_eq!(types, ["case_reallocated"]);
}

#[tokio::test]
async fn r24_r25_the_typed_transition_moves_the_worker_as_the_fold_does() {
    use casework::case::{Active, HasWorker, Stage};
    use casework::kernel::context::CommandContext;
    let desk = Desk::new(MemoryStore::new());
    let case = at_work(&desk).await;
    let Case::Active(active) = desk.cw.case(case).await.unwrap() else {
        panic!("at work");
    };
    let (kim, _) = kim_in_the_team(&desk);
    let move_to = |stage: Active, actor: &Actor, profile: &ServiceProfile| {
        let ctx = CommandContext::new(actor, desk.now(), profile);
        stage.reallocate(kim.id, text(&kim.name), text(REASON), &ctx)
    };
    // The stage it returns is the stage the event folds to: typed code and a replay agree
    let (moved, events) = move_to(active.clone(), &desk.manager, &city_girls_service()).unwrap();
    assert_eq!(moved.allocation().worker, kim.id);
    assert_eq!(
        stored(&Case::evolve(
            Some(Case::Active(active.clone())),
            &events[0]
        )),
        stored(&Some(moved.into_case()))
    );
    // Where the profile gates it, the transition itself refuses a worker (R-24): no code path
    // skips the approval
    let err = move_to(active.clone(), &desk.worker, &reallocation_gated()).unwrap_err();
    assert_eq!(err, DomainError::ApprovalRequired { step: "reallocate" });
    assert_eq!(err.rule(), Some(Rule::R24));
    // and a manager taking the step approves it by taking it
    assert!(move_to(active, &desk.manager, &reallocation_gated()).is_ok());
}
