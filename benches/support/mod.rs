//! What the benches share: a scratch directory, a current-thread runtime, and timing two or
//! more sides in interleaved blocks so each ratio compares the same machine state.
#![allow(dead_code)] // each bench uses what it needs

use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

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
