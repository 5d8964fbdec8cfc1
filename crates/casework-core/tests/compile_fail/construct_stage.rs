//! Stages are only reached through their transitions: outside the crate a stage cannot be built
//! by hand, so no one can skip screening, assessment or agreement.
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{Active, Allocation, CaseFile, Closed, ClosureReason};
use chrono::{DateTime, Utc};

fn forge_closed(file: CaseFile, allocation: Allocation, at: DateTime<Utc>) -> Closed {
    Closed {
        file,
        allocation,
        reason: ClosureReason::RiskSignificantlyReduced,
        closed_at: at,
    }
}

fn forge_active(file: CaseFile, allocation: Allocation) -> Active {
    Active { file, allocation }
}

fn main() {}
