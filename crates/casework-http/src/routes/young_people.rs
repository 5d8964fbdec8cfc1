//! A young person's routes: registration, their record, its history and commands
//! (missing episodes R-22, alumni R-20, corrections R-17), referrals, possible duplicates,
//! subject access and the retention operations on their records.

use super::endpoint::{endpoint, if_match, Call, Endpoint, Fail, Nothing, Operation, Reply};
use super::views::{CommandOutcome, HistoryEntry};
use super::{AsOfDate, Purpose, Reason};
use crate::problem::Problem;
use casework_core::case::NewReferral;
use casework_core::kernel::ids::YoungPersonId;
use casework_core::kernel::input::Text;
use casework_core::privacy::retention::LegalHoldId;
use casework_core::read::rows::YoungPersonSummary;
use casework_core::schema::accepted_command_schema;
use casework_core::store::Store;
use casework_core::young_person::duplicates::Verdict;
use casework_core::young_person::{YoungPersonCommand, YoungPersonDetails};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /young-people/{id}/duplicates/{other}`: a worker's decision on a possible duplicate.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateDecision {
    /// Whether they are the same person.
    pub verdict: Verdict,
    /// Why the worker decided so.
    pub reason: Text,
}

/// The records linked to a young person's as the same person.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LinkedRecords {
    /// The young person asked about.
    pub young_person: YoungPersonId,
    /// Every record decided to be the same person, transitively.
    pub linked: Vec<YoungPersonId>,
}

fn problem(e: &casework_service::AccessError) -> Fail {
    Problem::acting(e, false).into()
}

fn retention(e: &casework_service::RetentionError) -> Fail {
    Problem::acting(e, false).into()
}

/// The young person routes.
pub(crate) fn endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
    vec![
        endpoint(
            Operation::create(
                "/young-people",
                "register_young_person",
                "Registers a young person from their details; answers with possible duplicates (R-26).",
            )
            .idempotent(),
            |call: Call<S>, details: YoungPersonDetails| async move {
                let key = call.idempotency()?;
                let registered = call
                    .acting()
                    .register_with(details, key)
                    .await
                    .map_err(|e| problem(&e))?;
                let location = format!("/young-people/{}", registered.young_person.as_uuid());
                Ok(Reply::created(registered, location))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}",
                "get_young_person",
                "The young person's record.",
            ),
            |call: Call<S>, _: Nothing| async move {
                let id: YoungPersonId = call.id("id")?;
                let acting = call.acting();
                let person = acting.young_person(id).await.map_err(|e| problem(&e))?;
                let history = acting
                    .young_person_history(id)
                    .await
                    .map_err(|e| problem(&e))?;
                let version = history.last().map_or(0, |e| e.version);
                Ok(Reply::ok(YoungPersonSummary::of(&person, version)).at_version(version))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/history",
                "young_person_history",
                "Every event of the young person's record, oldest first (R-18).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let history = call
                    .acting()
                    .young_person_history(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                let version = history.last().map_or(0, |e| e.version);
                Ok(Reply::ok(HistoryEntry::all(&history)).at_version(version))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/as-of",
                "young_person_as_of",
                "The young person's record as it stood at a moment (R-18); null before registration.",
            ),
            |call: Call<S>, super::cases::AsOf { at }: super::cases::AsOf| async move {
                let id: YoungPersonId = call.id("id")?;
                let acting = call.acting();
                let person = acting
                    .young_person_as_of(id, at)
                    .await
                    .map_err(|e| problem(&e))?;
                let history = acting
                    .young_person_history(id)
                    .await
                    .map_err(|e| problem(&e))?;
                let version = history
                    .iter()
                    .take_while(|e| e.meta.recorded_at <= at)
                    .last()
                    .map_or(0, |e| e.version);
                Ok(Reply::ok(
                    person.map(|p| YoungPersonSummary::of(&p, version)),
                ))
            },
        ),
        endpoint(
            Operation::write(
                "/young-people/{id}/commands",
                "young_person_command",
                "Decides and records a command on the young person's record (flat JSON); If-Match makes it conditional.",
            )
            .idempotent(),
            |call: Call<S>, command: Value| async move {
                let id: YoungPersonId = call.id("id")?;
                let expected = if_match(&call.headers)?;
                let command = YoungPersonCommand::from_json(&command.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let executed = call
                    .acting()
                    .execute_for_young_person_with(id, command, expected, key)
                    .await
                    .map_err(|e| Problem::acting(&e, expected.is_some()))?;
                let outcome = CommandOutcome::of(id.to_string(), executed.version, &executed.events);
                Ok(Reply::ok(outcome).at_version(executed.version))
            },
        )
        .accepting_with(accepted_command_schema::<YoungPersonCommand>),
        endpoint(
            Operation::create(
                "/young-people/{id}/referrals",
                "refer_young_person",
                "Receives a referral for the young person, opening a case (R-1, R-2, R-3, R-6).",
            )
            .idempotent(),
            |call: Call<S>, referral: Value| async move {
                let id: YoungPersonId = call.id("id")?;
                let referral = NewReferral::from_json(&referral.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let referred = call
                    .acting()
                    .refer_with(id, referral, key)
                    .await
                    .map_err(|e| problem(&e))?;
                let location = format!("/cases/{}", referred.case.as_uuid());
                Ok(Reply::created(referred, location))
            },
        )
        .accepting::<NewReferral>(),
        endpoint(
            Operation::read(
                "/young-people/{id}/cases",
                "young_person_cases",
                "The young person's cases, oldest first (R-20).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let cases = call
                    .acting()
                    .cases_of(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(cases))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/activity",
                "young_person_activity",
                "The young person's missing episodes, flags and alumni membership (R-20, R-22).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let activity = call
                    .acting()
                    .young_person_activity(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(activity))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/return-interviews-due",
                "young_person_return_interviews_due",
                "Return interviews owed after the young person's missing episodes (R-22).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let due = call
                    .acting()
                    .return_interviews_due(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(due))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/duplicates",
                "young_person_possible_duplicates",
                "Young people already known who may be this one, not yet decided (R-26).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let found = call
                    .acting()
                    .check_duplicates(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(found))
            },
        ),
        endpoint(
            Operation::write(
                "/young-people/{id}/duplicates/{other}",
                "decide_possible_duplicate",
                "Records a worker's decision that two records are, or are not, the same person (R-26).",
            ),
            |call: Call<S>, decision: DuplicateDecision| async move {
                let id: YoungPersonId = call.id("id")?;
                let other: YoungPersonId = call.id("other")?;
                let executed = call
                    .acting()
                    .record_duplicate_decision(id, other, decision.verdict, decision.reason)
                    .await
                    .map_err(|e| problem(&e))?;
                let outcome = CommandOutcome::of(id.to_string(), executed.version, &executed.events);
                Ok(Reply::ok(outcome).at_version(executed.version))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/linked-records",
                "young_person_linked_records",
                "The records decided to be the same person as this one (R-26).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let id: YoungPersonId = call.id("id")?;
                let linked = call
                    .acting()
                    .linked_records(id)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(LinkedRecords {
                    young_person: id,
                    linked,
                }))
            },
        ),
        endpoint(
            Operation::write(
                "/young-people/{id}/subject-access-export",
                "subject_access_export",
                "Everything held about the young person, for a subject access request; logged (R-25).",
            ),
            |call: Call<S>, Purpose { purpose }: Purpose| async move {
                let export = call
                    .acting()
                    .subject_access_export(call.id("id")?, &purpose)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(export))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/retention",
                "retention_record",
                "The retention record of the young person's records: holds and erasures (R-23).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let record = call
                    .acting()
                    .retention_record(call.id("id")?)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(record))
            },
        ),
        endpoint(
            Operation::read(
                "/young-people/{id}/retention-status",
                "retention_status",
                "Whether the young person's records are due for erasure at a date, and why (R-23).",
            ),
            |call: Call<S>, AsOfDate { as_of }: AsOfDate| async move {
                let status = call
                    .acting()
                    .retention_status(call.id("id")?, as_of)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(status))
            },
        ),
        endpoint(
            Operation::create(
                "/young-people/{id}/legal-holds",
                "place_legal_hold",
                "Places a legal hold on the young person's records: nothing is erased while it stands (R-23).",
            )
            .idempotent(),
            |call: Call<S>, Reason { reason }: Reason| async move {
                let id: YoungPersonId = call.id("id")?;
                let key = call.idempotency()?;
                let hold = call
                    .acting()
                    .place_legal_hold_with(id, &reason, key)
                    .await
                    .map_err(|e| retention(&e))?;
                let location = format!("/young-people/{}/retention", id.as_uuid());
                Ok(Reply::created(hold, location))
            },
        ),
        endpoint(
            Operation::write(
                "/young-people/{id}/legal-holds/{hold}/lift",
                "lift_legal_hold",
                "Lifts a legal hold, with the reason (R-23).",
            ),
            |call: Call<S>, Reason { reason }: Reason| async move {
                let hold: LegalHoldId = call.id("hold")?;
                let lifted = call
                    .acting()
                    .lift_legal_hold(call.id("id")?, hold, &reason)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(lifted))
            },
        ),
        endpoint(
            Operation::write(
                "/young-people/{id}/anonymise",
                "anonymise_young_person",
                "Anonymises the young person's records under the retention schedule (R-23).",
            ),
            |call: Call<S>, Reason { reason }: Reason| async move {
                let done = call
                    .acting()
                    .anonymise(call.id("id")?, &reason)
                    .await
                    .map_err(|e| retention(&e))?;
                Ok(Reply::ok(super::views::AnonymisedView::from(done)))
            },
        ),
    ]
}
