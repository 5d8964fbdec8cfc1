//! What the benches share: a scratch directory, a current-thread runtime, and timing two or
//! more sides in interleaved blocks so each ratio compares the same machine state.
#![allow(dead_code)] // each bench uses what it needs

use casework::sqlite::rusqlite::{params, Connection};
use criterion::Criterion;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The payload size the SQLite benches write: a session note's worth.
pub const PAYLOAD_BYTES: usize = 360;

/// A JSON payload of exactly [`PAYLOAD_BYTES`] bytes.
pub fn payload() -> String {
    let body = "x".repeat(PAYLOAD_BYTES - 12);
    let p = format!("{{\"note\":\"{body}\"}}");
    assert_eq!(p.len(), PAYLOAD_BYTES - 1);
    p + " "
}

/// Raw rusqlite with the store's PRAGMAs and a one-row-per-event table: the baseline the
/// SQLite benches' ratios are against.
pub struct Raw {
    conn: Connection,
    version: i64,
    payload: String,
}

impl Raw {
    /// The baseline's table in the file at `path`.
    pub fn open(path: &Path) -> Self {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS raw_events (
                 position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL,
                 version INTEGER NOT NULL, payload TEXT NOT NULL,
                 UNIQUE (stream_id, version))",
        )
        .unwrap();
        Raw {
            conn,
            version: 0,
            payload: payload(),
        }
    }

    /// One single-row insert of the payload in its own `BEGIN IMMEDIATE` transaction.
    pub fn insert(&mut self) {
        self.version += 1;
        self.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        self.conn
            .prepare_cached(
                "INSERT INTO raw_events (stream_id, version, payload) VALUES (?1, ?2, ?3)",
            )
            .unwrap()
            .execute(params![
                "0b8d2c59-0000-4000-8000-000000000001",
                self.version,
                self.payload
            ])
            .unwrap();
        self.conn.execute_batch("COMMIT").unwrap();
    }
}

/// A bench's `main`: with `--bench`, the criterion `groups` (at `sample_size` samples when
/// given) and then the `summary`; with `--summary`, the summary only. `cargo test --benches`
/// runs a bench target without `--bench`: then nothing runs, which keeps that quick.
pub fn main(groups: fn(&mut Criterion), summary: fn(), sample_size: Option<usize>) {
    let summary_only = std::env::args().any(|a| a == "--summary");
    let benching = std::env::args().any(|a| a == "--bench");
    if !summary_only && benching {
        let mut c = Criterion::default().configure_from_args();
        if let Some(n) = sample_size {
            c = c.sample_size(n);
        }
        groups(&mut c);
        c.final_summary();
    }
    if summary_only || benching {
        summary();
    }
}

/// A current-thread tokio runtime: one command at a time, as a front end's request is.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A directory of its own under the system's temporary directory, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "casework-bench-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Interleaved blocks of `block` operations each for any number of sides, the round's first
/// side rotating so that none always follows the same one (for ratios near 1, where running
/// second after a block of writes would show); returns the median per-operation time of each
/// side.
pub fn interleaved<const N: usize>(
    rounds: usize,
    block: usize,
    sides: [&mut dyn FnMut(); N],
) -> [Duration; N] {
    let mut times: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    for round in 0..rounds {
        for i in (0..N).map(|k| (round + k) % N) {
            let start = Instant::now();
            for _ in 0..block {
                sides[i]();
            }
            times[i].push(start.elapsed() / block as u32);
        }
    }
    times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    })
}
