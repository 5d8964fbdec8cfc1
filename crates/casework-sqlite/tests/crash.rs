//! The crash test: a child process appends commands in a loop and is killed with SIGKILL at
//! random moments, over and over. After each kill the database is reopened and must pass
//! `PRAGMA integrity_check`, every command must be wholly present or wholly absent, and
//! every command the child was told had committed must still be there.
//!
//! The child is this test binary itself, re-run with `CASEWORK_CRASH_CHILD` set so that
//! [`crash_child`] acts as the writer.

mod common;

use casework_core::kernel::ids::{CaseId, StreamId};
use casework_core::store::{AppendError, CaseQueries, EventAppend, EventLoad};
use casework_sqlite::SqliteStore;
use common::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "CASEWORK_CRASH_CHILD";
/// Events per command: the check is that every stream holds a multiple of this many.
const PER_COMMAND: u64 = 3;
/// Streams the child writes to (deterministic ids, so the parent knows them).
const STREAMS: u128 = 12;
const KILLS: usize = 24;

fn stream_case(n: u128) -> CaseId {
    CaseId::from_uuid(uuid::Uuid::from_u128(
        0xC0FF_EE00_0000_0000_0000_0000_0000_0000 + n,
    ))
}

/// The writer: several tasks appending 3-event commands, so the writer thread commits some
/// of them in shared transactions. Prints `ACK <stream> <version>` after each commit.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return; // Only a child run does anything.
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = SqliteStore::open(&path).expect("the child opens the database");
        let mut tasks = Vec::new();
        for task in 0..4u128 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((task as u64 + 1) * 0x1234_5678));
                loop {
                    let case = stream_case(rng.below(STREAMS as u64) as u128);
                    let version = store
                        .case_summary(case)
                        .await
                        .expect("reads")
                        .map_or(0, |s| s.version);
                    match store
                        .append(case_append(case, version, PER_COMMAND as usize))
                        .await
                    {
                        Ok(v) => {
                            let mut out = std::io::stdout().lock();
                            writeln!(out, "ACK {} {v}", case.as_uuid()).unwrap();
                            out.flush().unwrap();
                        }
                        Err(AppendError::Conflict(_)) => {}
                        Err(e) => panic!("the child failed to append: {e}"),
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn spawn_child(path: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_writers_leave_whole_commands_and_lose_no_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    SqliteStore::open(&path).unwrap().migrate().await.unwrap();
    let started = Instant::now();
    let mut rng = Rng(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1);
    let mut acknowledged: HashMap<uuid::Uuid, u64> = HashMap::new();
    let mut total_acks = 0;
    for kill in 0..KILLS {
        let mut child = spawn_child(&path);
        // Wait until the child has committed something, then a random while longer.
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let line = line.expect("the child's output");
            let ack = line.starts_with("ACK");
            seen.push(line);
            if ack {
                break;
            }
        }
        assert!(
            seen.last().is_some_and(|l| l.starts_with("ACK")),
            "the child did not start writing: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(rng.below(150)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        for line in seen.into_iter().chain(lines.map_while(Result::ok)) {
            let mut parts = line.split_whitespace();
            if parts.next() != Some("ACK") {
                continue;
            }
            let id: uuid::Uuid = parts.next().unwrap().parse().unwrap();
            let version: u64 = parts.next().unwrap().parse().unwrap();
            let known = acknowledged.entry(id).or_default();
            *known = (*known).max(version);
            total_acks += 1;
        }

        let store = SqliteStore::open(&path).expect("reopens after a kill");
        store
            .check_integrity()
            .await
            .unwrap_or_else(|e| panic!("after kill {kill}: {e}"));
        for n in 0..STREAMS {
            let case = stream_case(n);
            let events = store.load(StreamId::Case(case)).await.unwrap();
            let length = events.len() as u64;
            assert_eq!(
                length % PER_COMMAND,
                0,
                "after kill {kill}: half a command in {case}"
            );
            assert!(
                events
                    .iter()
                    .enumerate()
                    .all(|(i, e)| e.version == i as u64 + 1),
                "versions run without gaps"
            );
            assert!(events.windows(2).all(|w| w[0].position < w[1].position));
            let summary = store.case_summary(case).await.unwrap();
            assert_eq!(
                summary.map_or(0, |s| s.version),
                length,
                "after kill {kill}: {case}'s summary matches its events"
            );
            let acked = acknowledged.get(&case.as_uuid()).copied().unwrap_or(0);
            assert!(
                length >= acked,
                "after kill {kill}: {case} lost acknowledged commits ({length} < {acked})"
            );
        }
    }
    assert!(
        total_acks >= KILLS,
        "the children committed too little to test anything"
    );
    eprintln!(
        "{KILLS} kills, {total_acks} acknowledged commands, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
