//! coprep's discrete-event simulator. Two engines run the same policies over the same model and
//! produce the same records: the analytic engine (fast; steady segments advanced in closed form)
//! and the per-batch engine (every preprocessing and compute phase; the reference).
//!
//! ```
//! use coprep_sim::{simulate, RunOptions};
//!
//! let (_, problem) = coprep_traces::synth::default_problem();
//! let mut fifo = coprep_policies::parse_policy("fifo").unwrap();
//! let mut shared = coprep_policies::parse_policy("min-idle").unwrap();
//! let plain = simulate(&problem, fifo.as_mut(), &RunOptions::default()).unwrap();
//! let better = simulate(&problem, shared.as_mut(), &RunOptions::default()).unwrap();
//! assert!(better.summary.makespan_s < 0.4 * plain.summary.makespan_s);
//! assert!(better.summary.makespan_s >= better.summary.lower_bound_s);
//! ```

pub mod analytic;
pub mod driver;
pub mod indexed_heap;
pub mod metrics;
pub mod per_batch;
pub mod quality;
pub mod rates;

use coprep_policies::{DecisionError, Policy};
pub use coprep_traces::records::{self, EventRecord, JobRecord, RunRecords, Summary};
use coprep_traces::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Analytic,
    PerBatch,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Analytic => "analytic",
            Engine::PerBatch => "per-batch",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub engine: Engine,
    /// Recorded in the summary (the noise itself is drawn into the problem beforehand).
    pub seed: u64,
    pub noise_sigma: f64,
    /// Keep `events.jsonl` records (large for large workloads).
    pub record_events: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { engine: Engine::Analytic, seed: 0, noise_sigma: 0.0, record_events: true }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Decision(#[from] DecisionError),
    #[error(
        "the policy left {waiting} tasks waiting at {time_s:.3} s with nothing running or due: it never started them"
    )]
    Stuck { time_s: f64, waiting: usize },
}

/// Runs `policy` over `problem` on the chosen engine.
pub fn simulate(problem: &Problem, policy: &mut dyn Policy, opts: &RunOptions) -> Result<RunRecords, SimError> {
    match opts.engine {
        Engine::Analytic => analytic::run(problem, policy, opts),
        Engine::PerBatch => per_batch::run(problem, policy, opts),
    }
}
