//! Encryption at rest on SQLite (R-8): the same commands and reads with and without sealing,
//! in the same run.
//!
//! ```text
//! cargo bench --bench sealing                 # criterion groups, then the summary
//! cargo bench --bench sealing -- --summary    # only the summary (under a minute)
//! ```
//!
//! What is measured, each side on its own SQLite file in WAL mode, one young person's case at
//! work on each:
//! - a command carrying confidential content (`AddGoal`, its description a 360-character
//!   note): `Casework::execute` with a keyring (the note sealed with the young person's data
//!   key, the key unwrapped once and kept) against the same service without one, two ways:
//!   on one case that grows from 20 goals to 500 over the run, and in turn on 24 cases that
//!   grow from 20 goals to 40. Every command reads its case's snapshot whole, and a sealed
//!   value is larger than its text (base64, nonce, tag and owner: about 240 bytes more for a
//!   360-character note), so what sealing costs a command grows with how much sealed content
//!   its case holds;
//! - a command carrying none (`RecordContact`), the same two ways: what sealing costs a
//!   command that has nothing to seal (the key is still looked up);
//! - a confidential read: `Acting::open_record` (load, check, record the read, and with a
//!   keyring open the sealed content) on a case with 20 goals, with and without sealing.

#[path = "support/mod.rs"]
mod support;

use casework::case::{CaseCommand, ContactKind, ContactWith, Direction, Party};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::ids::CaseId;
use casework::privacy::keys::LocalKek;
use casework::service::keyring::Keyring;
use casework::sqlite::SqliteStore;
use casework_testkit::desk::Desk;
use casework_testkit::fixtures;
use criterion::Criterion;
use std::sync::Arc;
use support::{interleaved, runtime, Scratch};
use tokio::runtime::Runtime;

const NOTE_CHARS: usize = 360;

/// A desk on a fresh file, sealing or not, with a case at work.
fn desk(rt: &Runtime, scratch: &Scratch, name: &str, sealing: bool) -> (Desk<SqliteStore>, CaseId) {
    let (desk, cases) = desk_with_cases(rt, scratch, name, sealing, 1);
    (desk, cases[0])
}

/// A desk on a fresh file, sealing or not, with `n` cases at work, one per young person.
fn desk_with_cases(
    rt: &Runtime,
    scratch: &Scratch,
    name: &str,
    sealing: bool,
    n: usize,
) -> (Desk<SqliteStore>, Vec<CaseId>) {
    let store = SqliteStore::open(scratch.file(name)).unwrap();
    rt.block_on(store.migrate()).unwrap();
    let mut desk = Desk::new(store);
    if sealing {
        let kek = LocalKek::generate().unwrap();
        desk.cw = desk.cw.with_keyring(Arc::new(Keyring::new(Arc::new(kek))));
    }
    let cases = rt.block_on(async {
        let mut cases = Vec::new();
        for _ in 0..n {
            let (_, case) = desk
                .person_at_work(fixtures::girl_in_leeds_area(), &["missing_from_home"])
                .await;
            cases.push(case);
        }
        cases
    });
    (desk, cases)
}

/// Desks with `CASES` cases each of 20 goals, and which case is next on each side.
struct Rotation {
    plain: (Desk<SqliteStore>, Vec<CaseId>),
    sealed: (Desk<SqliteStore>, Vec<CaseId>),
    next: [std::cell::Cell<usize>; 2],
}

const CASES: usize = 24;

fn rotation(rt: &Runtime, scratch: &Scratch) -> Rotation {
    let plain = desk_with_cases(rt, scratch, "rotation-plain.db", false, CASES);
    let sealed = desk_with_cases(rt, scratch, "rotation-sealed.db", true, CASES);
    for i in 0..CASES {
        for _ in 0..20 {
            add_goal(rt, &plain.0, plain.1[i]);
            add_goal(rt, &sealed.0, sealed.1[i]);
        }
    }
    Rotation {
        plain,
        sealed,
        next: Default::default(),
    }
}

impl Rotation {
    /// A goal added to the next case on one side (0 plain, 1 sealed).
    fn add_goal(&self, rt: &Runtime, side: usize) {
        let (desk, cases) = if side == 0 { &self.plain } else { &self.sealed };
        let i = self.next[side].replace((self.next[side].get() + 1) % CASES);
        add_goal(rt, desk, cases[i]);
    }
}

fn add_goal(rt: &Runtime, desk: &Desk<SqliteStore>, case: CaseId) {
    let description = NewConfidential::new(fixtures::text(&"n".repeat(NOTE_CHARS)));
    let command = CaseCommand::AddGoal {
        description,
        agreed_with: vec![Party::YoungPerson],
    };
    rt.block_on(desk.cw.execute(&desk.worker, case, command))
        .unwrap();
}

fn record_contact(rt: &Runtime, desk: &Desk<SqliteStore>, case: CaseId) {
    let command = CaseCommand::RecordContact {
        kind: ContactKind::Call,
        direction: Direction::Outbound,
        with: ContactWith::YoungPerson,
        at: desk.now(),
    };
    rt.block_on(desk.cw.execute(&desk.worker, case, command))
        .unwrap();
}

fn open_record(rt: &Runtime, desk: &Desk<SqliteStore>, case: CaseId) {
    let open = rt
        .block_on(
            desk.acting_as(&desk.worker)
                .open_record(case, "supervision"),
        )
        .unwrap();
    assert!(!open.concerns().is_empty());
}

/// Two desks with a case each; the read's cases hold 20 goals.
struct Sides {
    plain: (Desk<SqliteStore>, CaseId),
    sealed: (Desk<SqliteStore>, CaseId),
}

fn sides(rt: &Runtime, scratch: &Scratch, name: &str) -> Sides {
    let plain = desk(rt, scratch, &format!("{name}-plain.db"), false);
    let sealed = desk(rt, scratch, &format!("{name}-sealed.db"), true);
    for _ in 0..20 {
        add_goal(rt, &plain.0, plain.1);
        add_goal(rt, &sealed.0, sealed.1);
    }
    Sides { plain, sealed }
}

fn criterion_groups(c: &mut Criterion) {
    let scratch = Scratch::new("sealing-criterion");
    let rt = runtime();
    let s = sides(&rt, &scratch, "c");
    let mut group = c.benchmark_group("command_with_content");
    group.bench_function("plain", |b| b.iter(|| add_goal(&rt, &s.plain.0, s.plain.1)));
    group.bench_function("sealed", |b| {
        b.iter(|| add_goal(&rt, &s.sealed.0, s.sealed.1))
    });
    group.finish();
    let mut group = c.benchmark_group("command_without_content");
    group.bench_function("plain", |b| {
        b.iter(|| record_contact(&rt, &s.plain.0, s.plain.1))
    });
    group.bench_function("sealed", |b| {
        b.iter(|| record_contact(&rt, &s.sealed.0, s.sealed.1))
    });
    group.finish();
    let reads = sides(&rt, &scratch, "r");
    let mut group = c.benchmark_group("confidential_read");
    group.bench_function("plain", |b| {
        b.iter(|| open_record(&rt, &reads.plain.0, reads.plain.1))
    });
    group.bench_function("sealed", |b| {
        b.iter(|| open_record(&rt, &reads.sealed.0, reads.sealed.1))
    });
    group.finish();
}

fn summary() {
    let scratch = Scratch::new("sealing-summary");
    let rt = runtime();
    println!("\n== sealing at rest (R-8) on SQLite: same run, interleaved; medians of blocks ==");
    let report = |what: &str, [plain, sealed]: [std::time::Duration; 2]| {
        println!(
            "{what}: plain {:.1} µs, sealed {:.1} µs: {:.3}x the cost ({:+.1} µs)",
            plain.as_secs_f64() * 1e6,
            sealed.as_secs_f64() * 1e6,
            sealed.as_secs_f64() / plain.as_secs_f64(),
            (sealed.as_secs_f64() - plain.as_secs_f64()) * 1e6
        );
    };
    // Fresh cases for each pair, so both sides' streams grow alike.
    let s = sides(&rt, &scratch, "goal");
    report(
        "command with a 360-character confidential note, one case of 20 to 500 goals (AddGoal)",
        interleaved(
            12,
            40,
            [&mut || add_goal(&rt, &s.plain.0, s.plain.1), &mut || {
                add_goal(&rt, &s.sealed.0, s.sealed.1)
            }],
        ),
    );
    let r = rotation(&rt, &scratch);
    report(
        "the same on 24 cases in turn, 20 to 40 goals each (AddGoal)",
        // Shorter blocks, more of them: the same 480 goals a side, a steadier median.
        interleaved(
            40,
            12,
            [&mut || r.add_goal(&rt, 0), &mut || r.add_goal(&rt, 1)],
        ),
    );
    let s = sides(&rt, &scratch, "contact");
    report(
        "command with no confidential content (RecordContact)",
        interleaved(
            40,
            12,
            [
                &mut || record_contact(&rt, &s.plain.0, s.plain.1),
                &mut || record_contact(&rt, &s.sealed.0, s.sealed.1),
            ],
        ),
    );
    let s = sides(&rt, &scratch, "read");
    report(
        "confidential read of a case with 20 goals (Acting::open_record)",
        interleaved(
            12,
            20,
            [&mut || open_record(&rt, &s.plain.0, s.plain.1), &mut || {
                open_record(&rt, &s.sealed.0, s.sealed.1)
            }],
        ),
    );
}

fn main() {
    support::main(criterion_groups, summary, None);
}
