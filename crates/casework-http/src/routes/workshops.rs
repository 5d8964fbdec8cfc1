//! Workshop and intelligence routes: planning a workshop and its commands (attendance,
//! tutorials, evaluations), recording intelligence and its police handovers, and the
//! logged reads that open their confidential parts.

use super::endpoint::{endpoint, if_match, Call, Endpoint, Fail, Nothing, Operation, Reply};
use super::views::{
    CommandOutcome, IntelligenceView, OpenIntelligenceView, OpenWorkshopView, WorkshopView,
};
use super::Purpose;
use crate::problem::Problem;
use casework_core::intelligence::{IntelligenceCommand, NewIntelligence};
use casework_core::kernel::ids::{IntelligenceId, WorkshopId};
use casework_core::schema::accepted_command_schema;
use casework_core::store::Store;
use casework_core::workshop::{NewWorkshop, WorkshopCommand};
use serde::Serialize;
use serde_json::Value;

/// What a creation answers: the new record's id.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Created<T> {
    /// The id of what was created.
    pub id: T,
}

fn problem(e: &casework_service::AccessError) -> Fail {
    Problem::acting(e, false).into()
}

/// The workshop and intelligence routes.
pub(crate) fn endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
    vec![
        endpoint(
            Operation::create(
                "/workshops",
                "plan_workshop",
                "Plans a workshop (venue, date, age group, topics).",
            )
            .idempotent(),
            |call: Call<S>, details: Value| async move {
                let details = NewWorkshop::from_json(&details.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let id = call
                    .acting()
                    .plan_workshop_with(details, key)
                    .await
                    .map_err(|e| problem(&e))?
                    .state
                    .id;
                let location = format!("/workshops/{}", id.as_uuid());
                Ok(Reply::created(Created { id }, location))
            },
        )
        .accepting::<NewWorkshop>(),
        endpoint(
            Operation::read(
                "/workshops/{id}",
                "get_workshop",
                "The workshop as planned and attended, without tutorial notes or evaluation words.",
            ),
            |call: Call<S>, _: Nothing| async move {
                let workshop = call
                    .acting()
                    .workshop(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(WorkshopView::of(&workshop)))
            },
        ),
        endpoint(
            Operation::write(
                "/workshops/{id}/commands",
                "workshop_command",
                "Decides and records a workshop command (flat JSON); If-Match makes it conditional.",
            )
            .idempotent(),
            |call: Call<S>, command: Value| async move {
                let id: WorkshopId = call.id("id")?;
                let expected = if_match(&call.headers)?;
                let command = WorkshopCommand::from_json(&command.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let executed = call
                    .acting()
                    .execute_workshop_with(id, command, expected, key)
                    .await
                    .map_err(|e| Problem::acting(&e, expected.is_some()))?;
                let outcome = CommandOutcome::of(id.to_string(), executed.version, &executed.events);
                Ok(Reply::ok(outcome).at_version(executed.version))
            },
        )
        .accepting_with(accepted_command_schema::<WorkshopCommand>),
        endpoint(
            Operation::write(
                "/workshops/{id}/open",
                "open_workshop_record",
                "Opens the workshop's tutorial notes and evaluation words for a stated purpose; logged (R-27).",
            ),
            |call: Call<S>, Purpose { purpose }: Purpose| async move {
                let open = call
                    .acting()
                    .open_workshop(call.id("id")?, &purpose)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(OpenWorkshopView::of(&open)))
            },
        ),
        endpoint(
            Operation::create(
                "/intelligence",
                "record_intelligence",
                "Records intelligence about exploitation (R-19).",
            )
            .idempotent(),
            |call: Call<S>, details: Value| async move {
                let details = NewIntelligence::from_json(&details.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let id = call
                    .acting()
                    .record_intelligence_with(details, key)
                    .await
                    .map_err(|e| problem(&e))?
                    .state
                    .id;
                let location = format!("/intelligence/{}", id.as_uuid());
                Ok(Reply::created(Created { id }, location))
            },
        )
        .accepting::<NewIntelligence>(),
        endpoint(
            Operation::read(
                "/intelligence/{id}",
                "get_intelligence",
                "The intelligence report without its content (R-19).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let report = call
                    .acting()
                    .intelligence(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(IntelligenceView::of(&report)))
            },
        ),
        endpoint(
            Operation::write(
                "/intelligence/{id}/commands",
                "intelligence_command",
                "Decides and records an intelligence command, such as a police handover (R-19); If-Match makes it conditional.",
            )
            .idempotent(),
            |call: Call<S>, command: Value| async move {
                let id: IntelligenceId = call.id("id")?;
                let expected = if_match(&call.headers)?;
                let command = IntelligenceCommand::from_json(&command.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let executed = call
                    .acting()
                    .execute_intelligence_with(id, command, expected, key)
                    .await
                    .map_err(|e| Problem::acting(&e, expected.is_some()))?;
                let outcome = CommandOutcome::of(id.to_string(), executed.version, &executed.events);
                Ok(Reply::ok(outcome).at_version(executed.version))
            },
        )
        .accepting_with(accepted_command_schema::<IntelligenceCommand>),
        endpoint(
            Operation::write(
                "/intelligence/{id}/open",
                "open_intelligence_record",
                "Opens the intelligence report's content for a stated purpose; logged (R-19, R-27).",
            ),
            |call: Call<S>, Purpose { purpose }: Purpose| async move {
                let open = call
                    .acting()
                    .open_intelligence(call.id("id")?, &purpose)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(OpenIntelligenceView::of(&open)))
            },
        ),
    ]
}
