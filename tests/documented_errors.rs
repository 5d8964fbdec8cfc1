//! docs/ERRORS.md lists every machine code the library's errors can return, and the codes
//! named there are the ones the code returns (a front end switches on them).

use casework::kernel::code::ErrorCode;
use casework::kernel::error::DomainError;
use casework::kernel::ids::{CaseId, StreamId};
use casework::kernel::input::InputError;
use casework::store::{Conflict, StoreError};
use casework::{ActingError, CommandError, LoadError};
use std::collections::BTreeSet;

fn documented() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ERRORS.md"))
        .expect("docs/ERRORS.md");
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// Every code in the code base: the `"…"` right of a `=>` in an `ErrorCode` impl.
fn in_the_code() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                while let Some(at) = rest.find("impl ") {
                    rest = &rest[at + 5..];
                    let header_end = rest.find('{').unwrap_or(rest.len());
                    if !rest[..header_end].contains("ErrorCode for") {
                        continue;
                    }
                    let body = &rest[header_end..];
                    let end = body.find("\n}\n").unwrap_or(body.len());
                    for piece in body[..end].split('"').skip(1).step_by(2) {
                        codes.insert(piece.to_owned());
                    }
                }
            }
        }
    }
    codes
}

#[test]
fn every_code_in_the_code_is_documented_and_every_documented_code_exists() {
    let documented = documented();
    let code = in_the_code();
    assert!(
        code.len() >= 30,
        "found only {} codes: {code:?}",
        code.len()
    );
    let undocumented: Vec<_> = code.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/ERRORS.md: {undocumented:?}"
    );
    let stale: Vec<_> = documented.difference(&code).collect();
    assert!(
        stale.is_empty(),
        "in docs/ERRORS.md but never returned: {stale:?}"
    );
}

#[test]
fn codes_are_snake_case_and_layered_errors_keep_the_innermost_code() {
    for c in documented() {
        assert!(
            c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
            "{c} is not snake_case"
        );
    }
    let input = DomainError::Input(InputError::new("postcode", "malformed"));
    assert_eq!(input.code(), "bad_input");
    assert_eq!(CommandError::Rejected(input.clone()).code(), "bad_input");
    let conflict = Conflict {
        stream: StreamId::Case(CaseId::new()),
        expected: 1,
        actual: 2,
    };
    assert_eq!(CommandError::Conflict(conflict).code(), "conflict");
    let busy = StoreError::Busy("locked".into());
    assert_eq!(LoadError::Store(busy.clone()).code(), "store_busy");
    let failed: ActingError = ActingError::Failed(CommandError::Store(busy));
    assert_eq!(failed.code(), "store_busy");
    let refused: ActingError = ActingError::Refused(DomainError::PermissionMissing);
    assert_eq!(refused.code(), "permission_missing");
}
