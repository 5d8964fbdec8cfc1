//! Running the model-based test: [`RunConfig`] (how many sequences, how long, on how many
//! threads), [`run`], its [`RunReport`], and what a run shares with the sequences on its thread
//! (the tally, the settings, quiet panics).

use crate::model::{
    CaseworkModel, ModelTest, ReferenceStateMachine, StateMachineTest, StoreFactory,
};
use casework_core::case::StageName;
use casework_core::policy::profile::ServiceProfile;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Clone, Debug, Default)]
pub(super) struct Tally {
    pub(super) sequences: u64,
    pub(super) steps: u64,
    pub(super) accepted: u64,
    pub(super) refused: u64,
    pub(super) refusals: std::collections::BTreeMap<String, u64>,
    pub(super) stages: BTreeSet<&'static str>,
    pub(super) cases: u64,
    pub(super) snapshotted: u64,
    pub(super) longest: u64,
}

#[derive(Clone, Copy)]
pub(super) struct Settings {
    pub(super) adjust_profile: fn(&mut ServiceProfile),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            adjust_profile: |_| {},
        }
    }
}

thread_local! {
    pub(super) static SETTINGS: RefCell<Settings> = RefCell::new(Settings::default());
    pub(super) static TALLY: RefCell<Tally> = RefCell::new(Tally::default());
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While a run is under way on this thread, panics (each failing sequence, and each attempt
/// while shrinking) are not printed: the failure's message and history are in the run's
/// result. Other threads' panics print as before. `CASEWORK_MODEL_VERBOSE=1` prints them all.
struct QuietPanics;

impl QuietPanics {
    fn new() -> Self {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(std::cell::Cell::get) {
                    previous(info)
                }
            }));
        });
        let verbose = std::env::var("CASEWORK_MODEL_VERBOSE").as_deref() == Ok("1");
        QUIET.with(|q| q.set(!verbose));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(false));
    }
}

/// How many sequences the model-based test runs, how long they are, and what the service
/// under test is configured with.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    /// Sequences to run.
    pub sequences: u32,
    /// The longest sequence, in steps (each sequence has 1 to this many).
    pub max_steps: usize,
    /// Shrinking iterations at most, once a sequence fails.
    pub max_shrink_iters: u32,
    /// A change to the profile the service under test runs with (the model keeps its own):
    /// for showing that the test catches a service that departs from the model.
    pub adjust_profile: fn(&mut ServiceProfile),
    /// Threads that share the sequences, each with its own random seed and its own stores
    /// (default 1). Stores that wait on I/O or on their own threads (SQLite, Postgres) finish
    /// sooner with several.
    pub threads: u32,
    /// A fixed random seed, to replay a run exactly (thread `t` uses `seed + t`); by default
    /// proptest's (`PROPTEST_RNG_SEED`, or random).
    pub seed: Option<u64>,
}

impl RunConfig {
    /// `PROPTEST_CASES` sequences (proptest's default, 256, when unset) of 1 to
    /// `CASEWORK_MODEL_STEPS` steps (default 48).
    pub fn from_env() -> Self {
        let max_steps = std::env::var("CASEWORK_MODEL_STEPS")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(48);
        RunConfig {
            sequences: Config::default().cases,
            max_steps,
            max_shrink_iters: 2_000,
            adjust_profile: |_| {},
            threads: 1,
            seed: None,
        }
    }

    /// The same, shared among `n` threads.
    pub fn threads(mut self, n: u32) -> Self {
        self.threads = n.max(1);
        self
    }

    /// The same, with `n` times as many sequences.
    pub fn times(mut self, n: u32) -> Self {
        self.sequences = self.sequences.saturating_mul(n);
        self
    }
}

/// What a run of the model-based test did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The store's name.
    pub store: &'static str,
    /// Sequences run.
    pub sequences: u64,
    /// Steps run, in all.
    pub steps: u64,
    /// Steps the service accepted (as the model predicted).
    pub accepted: u64,
    /// Steps the service refused (as the model predicted).
    pub refused: u64,
    /// Refusals by rule (`R-1` …), or by kind where no rule refused (`Input`, `NotFound`).
    pub refusals: std::collections::BTreeMap<String, u64>,
    /// The stages cases reached.
    pub stages: BTreeSet<&'static str>,
    /// Cases opened, in all.
    pub cases: u64,
    /// Cases whose stream passed the snapshot interval, so later loads read a snapshot.
    pub snapshotted: u64,
    /// The longest case stream, in events.
    pub longest: u64,
    /// How long it took.
    pub elapsed: std::time::Duration,
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "model-based test on {}: {} sequences, {} steps ({} accepted, {} refused) in {:.1} s; \
             {} cases ({} past a snapshot, the longest {} events); refusals: {}; stages \
             reached: {} of {}",
            self.store,
            self.sequences,
            self.steps,
            self.accepted,
            self.refused,
            self.elapsed.as_secs_f64(),
            self.cases,
            self.snapshotted,
            self.longest,
            self.refusals
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.stages.len(),
            StageName::ALL.len()
        )
    }
}

/// Runs the model-based test on the stores `F` makes: `config.sequences` random sequences,
/// each on a fresh store, every step compared with the model and followed by the invariants.
/// Returns what ran, or the failure with the shrunk sequence's numbered history.
pub fn run<F: StoreFactory>(config: &RunConfig) -> Result<RunReport, String> {
    let threads = config.threads.max(1).min(config.sequences.max(1));
    if threads == 1 {
        return run_here::<F>(config);
    }
    let started = std::time::Instant::now();
    let results: Vec<Result<RunReport, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = RunConfig {
                    sequences: config.sequences / threads
                        + u32::from(t < config.sequences % threads),
                    threads: 1,
                    seed: config.seed.map(|s| s.wrapping_add(u64::from(t))),
                    ..*config
                };
                scope.spawn(move || run_here::<F>(&share))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(format!("a {} runner thread panicked", F::name())))
            })
            .collect()
    });
    let mut total = RunReport {
        store: F::name(),
        sequences: 0,
        steps: 0,
        accepted: 0,
        refused: 0,
        refusals: Default::default(),
        stages: BTreeSet::new(),
        cases: 0,
        snapshotted: 0,
        longest: 0,
        elapsed: started.elapsed(),
    };
    for result in results {
        let report = result?;
        total.sequences += report.sequences;
        total.steps += report.steps;
        total.accepted += report.accepted;
        total.refused += report.refused;
        for (rule, n) in report.refusals {
            *total.refusals.entry(rule).or_default() += n;
        }
        total.stages.extend(report.stages);
        total.cases += report.cases;
        total.snapshotted += report.snapshotted;
        total.longest = total.longest.max(report.longest);
    }
    Ok(total)
}

fn run_here<F: StoreFactory>(config: &RunConfig) -> Result<RunReport, String> {
    let _quiet = QuietPanics::new();
    SETTINGS.with(|s| {
        *s.borrow_mut() = Settings {
            adjust_profile: config.adjust_profile,
        }
    });
    TALLY.with(|t| *t.borrow_mut() = Tally::default());
    let mut proptest_config = Config {
        cases: config.sequences,
        max_shrink_iters: config.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    if let Some(seed) = config.seed {
        proptest_config.rng_seed = proptest::test_runner::RngSeed::Fixed(seed);
    }
    let mut runner = TestRunner::new(proptest_config.clone());
    let strategy = CaseworkModel::sequential_strategy(1..=config.max_steps.max(1));
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |(initial, steps, seen)| {
        ModelTest::<F>::test_sequential(proptest_config.clone(), initial, steps, seen);
        Ok::<(), TestCaseError>(())
    });
    let elapsed = started.elapsed();
    let tally = TALLY.with(|t| std::mem::take(&mut *t.borrow_mut()));
    match result {
        Ok(()) => Ok(RunReport {
            store: F::name(),
            sequences: tally.sequences,
            steps: tally.steps,
            accepted: tally.accepted,
            refused: tally.refused,
            refusals: tally.refusals,
            stages: tally.stages,
            cases: tally.cases,
            snapshotted: tally.snapshotted,
            longest: tally.longest,
            elapsed,
        }),
        Err(TestError::Fail(reason, (_, steps, _))) => Err(format!(
            "{reason}(shrunk to {} step(s); replay with `RunConfig::seed`, or `PROPTEST_RNG_SEED`)",
            steps.len()
        )),
        Err(TestError::Abort(reason)) => Err(format!(
            "model-based test on {} aborted: {reason}",
            F::name()
        )),
    }
}
