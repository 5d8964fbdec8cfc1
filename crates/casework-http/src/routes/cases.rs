//! A case's routes: its summary, commands, history, as-of, audit trail, the open-record read,
//! shares and overrides, and the reads over its work.

use super::endpoint::{endpoint, if_match, Call, Endpoint, Fail, Nothing, Operation, Reply};
use super::views::{CommandOutcome, HistoryEntry, OpenRecordView, TrailView};
use super::{Period, Purpose};
use crate::problem::{HttpError, Problem};
use casework_core::case::CaseCommand;
use casework_core::kernel::ids::CaseId;
use casework_core::privacy::disclosure::{Audience, OverrideRequest};
use casework_core::read::rows::CaseSummary;
use casework_core::schema::accepted_command_schema;
use casework_core::store::Store;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// `GET /cases/{id}/as-of?at=…`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    /// The moment (RFC 3339).
    pub at: DateTime<Utc>,
}

/// `POST /cases/{id}/shares`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareWith {
    /// Who is told.
    pub audience: Audience,
}

fn problem(e: &casework_service::AccessError) -> Fail {
    Problem::acting(e, false).into()
}

/// The case routes.
pub(crate) fn endpoints<S: Store + 'static>() -> Vec<Endpoint<S>> {
    vec![
        endpoint(
            Operation::read(
                "/cases/{id}",
                "get_case",
                "The case's summary row (no confidential content), its version as the ETag.",
            ),
            |call: Call<S>, _: Nothing| async move {
                let case: CaseId = call.id("id")?;
                // The checked read (R-27, not found) first; then the row it wrote, which
                // carries the version it reflects.
                call.acting().case(case).await.map_err(|e| problem(&e))?;
                let summary = call
                    .app
                    .casework
                    .case_summary(case)
                    .await
                    .map_err(|e| Problem::load(&e.into()))?
                    .ok_or_else(|| Problem::from(HttpError::NotFound))?;
                let version = summary.version;
                Ok(Reply::ok(summary).at_version(version))
            },
        ),
        endpoint(
            Operation::write(
                "/cases/{id}/commands",
                "case_command",
                "Decides and records a case command (flat JSON); If-Match makes it conditional.",
            )
            .idempotent(),
            |call: Call<S>, command: Value| async move {
                let case: CaseId = call.id("id")?;
                let expected = if_match(&call.headers)?;
                let command = CaseCommand::from_json(&command.to_string())
                    .map_err(|e| Problem::domain(&e))?;
                let key = call.idempotency()?;
                let executed = call
                    .acting()
                    .execute_with(case, command, expected, key)
                    .await
                    .map_err(|e| Problem::acting(&e, expected.is_some()))?;
                let mut outcome =
                    CommandOutcome::of(case.to_string(), executed.version, &executed.events);
                outcome.stage = Some(executed.state.stage());
                Ok(Reply::ok(outcome).at_version(executed.version))
            },
        )
        .accepting_with(accepted_command_schema::<CaseCommand>),
        endpoint(
            Operation::read(
                "/cases/{id}/history",
                "case_history",
                "Every event of the case, oldest first; confidential ones sealed (R-8, R-18).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let history = call
                    .acting()
                    .history(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                let version = history.last().map_or(0, |e| e.version);
                Ok(Reply::ok(HistoryEntry::all(&history)).at_version(version))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/as-of",
                "case_as_of",
                "The case's summary as it stood at a moment (R-18); null before it was received.",
            ),
            |call: Call<S>, AsOf { at }: AsOf| async move {
                let case: CaseId = call.id("id")?;
                let acting = call.acting();
                let state = acting.case_as_of(case, at).await.map_err(|e| problem(&e))?;
                let history = acting.history(case).await.map_err(|e| problem(&e))?;
                let version = history
                    .iter()
                    .take_while(|e| e.meta.recorded_at <= at)
                    .last()
                    .map_or(0, |e| e.version);
                Ok(Reply::ok(
                    state.map(|state| CaseSummary::of(&state, version)),
                ))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/audit-trail",
                "case_audit_trail",
                "Every change, share and read of the case, oldest first (R-9, R-18, R-27).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let trail = call
                    .acting()
                    .audit_trail(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(
                    trail.into_iter().map(TrailView::from).collect::<Vec<_>>(),
                ))
            },
        ),
        endpoint(
            Operation::write(
                "/cases/{id}/open",
                "open_case_record",
                "Opens the case's confidential content for a stated purpose; the read is logged (R-27).",
            ),
            |call: Call<S>, Purpose { purpose }: Purpose| async move {
                let case: CaseId = call.id("id")?;
                let acting = call.acting();
                let record = acting
                    .open_record(case, &purpose)
                    .await
                    .map_err(|e| problem(&e))?;
                let version = call
                    .app
                    .casework
                    .case_summary(case)
                    .await
                    .map_err(|e| Problem::load(&e.into()))?
                    .map_or(0, |s| s.version);
                Ok(Reply::ok(OpenRecordView::of(&record, version)))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/relationship",
                "case_relationship",
                "How the caller relates to the case (R-27): allocated, manager, referrer or none.",
            ),
            |call: Call<S>, _: Nothing| async move {
                let case: CaseId = call.id("id")?;
                let relationship = call
                    .acting()
                    .relationship(case)
                    .await
                    .map_err(|e| Problem::load(&e))?;
                Ok(Reply::ok(relationship))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/length-status",
                "case_length_status",
                "How long work has gone on against the programme's expected length (R-14).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let status = call
                    .acting()
                    .length_status(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(status))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/risk-trend",
                "case_risk_trend",
                "The direction of the case's risk assessments (R-15).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let trend = call
                    .acting()
                    .risk_trend(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(trend))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/risk-trajectory",
                "case_risk_trajectory",
                "The case's risk assessments over time (R-15, R-29).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let trajectory = call
                    .acting()
                    .risk_trajectory(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(trajectory))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/cadence",
                "case_cadence",
                "Contact with the young person in a period against the programme's cadence (R-13).",
            ),
            |call: Call<S>, Period { from, to }: Period| async move {
                let report = call
                    .acting()
                    .cadence_report(call.id("id")?, from, to)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(report))
            },
        ),
        endpoint(
            Operation::write(
                "/cases/{id}/shares",
                "share_case",
                "Shares with an audience what the young person's consent allows, and records it (R-4, R-8, R-10).",
            ),
            |call: Call<S>, ShareWith { audience }: ShareWith| async move {
                let view = call
                    .acting()
                    .share(call.id("id")?, audience)
                    .await
                    .map_err(|e| Problem::acting(&e, false))?;
                Ok(Reply::ok(view))
            },
        ),
        endpoint(
            Operation::write(
                "/cases/{id}/shares/override",
                "share_case_under_override",
                "Shares without consent on an immediate safeguarding concern, with its legal basis (R-9).",
            ),
            |call: Call<S>, request: OverrideRequest| async move {
                let view = call
                    .acting()
                    .share_under_override(call.id("id")?, request)
                    .await
                    .map_err(|e| Problem::acting(&e, false))?;
                Ok(Reply::ok(view))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/referrer-view",
                "case_referrer_view",
                "What the referring professional may see of the case: its outcome (R-4).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let view = call
                    .acting()
                    .referrer_view(call.id("id")?)
                    .await
                    .map_err(|e| Problem::acting(&e, false))?;
                Ok(Reply::ok(view))
            },
        ),
        endpoint(
            Operation::read(
                "/cases/{id}/disclosures",
                "case_disclosures",
                "Every share of the case, oldest first (R-8, R-9).",
            ),
            |call: Call<S>, _: Nothing| async move {
                let shares = call
                    .acting()
                    .disclosures(call.id("id")?)
                    .await
                    .map_err(|e| problem(&e))?;
                Ok(Reply::ok(HistoryEntry::all(&shares)))
            },
        ),
    ]
}
