//! R-8, R-27 (issue 17): a command cannot carry a record's confidential content back out.
//! Anyone who may read a case's structure holds its `Confidential` fields, sealed; a command's
//! content is a `NewConfidential`, made from a person's words and from nothing else, so copying
//! a stored note into a command (whose `to_json` would print it, unlogged) does not compile.
use casework_core::case::{Case, CaseCommand, Party};
use casework_core::kernel::confidential::NewConfidential;

fn copy_out(case: &Case) -> Vec<CaseCommand> {
    let concerns = case.file().concerns.clone();
    vec![
        CaseCommand::AddGoal {
            description: concerns.clone(),
            agreed_with: vec![Party::YoungPerson],
        },
        CaseCommand::AgreePlan {
            plan: concerns.clone().into(),
        },
        CaseCommand::Decline {
            reason: NewConfidential::from(concerns),
        },
    ]
}

fn main() {}
