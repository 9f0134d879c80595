//! Helpers: random workloads for property tests, running the binary, scratch directories.

use coprep_traces::model::{Actuals, Cluster, Dataset, Pipeline, ProcessorSpec, Stage, Task, Workload};
use coprep_traces::Problem;
use proptest::prelude::*;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `coprep` binary.
pub fn coprep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coprep")).args(args).output().expect("coprep runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh, empty directory under the target directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn stage(op: &str, seed: u64, cost: f64) -> Stage {
    Stage {
        op: op.into(),
        params: [("seed".to_string(), seed.into())].into_iter().collect(),
        cost_s: [("gpu".to_string(), cost)].into_iter().collect(),
        out_bytes: 100,
    }
}

/// Shape of a random workload; `workload()` turns it into a valid one.
#[derive(Debug, Clone)]
pub struct Shape {
    pub processors: u32,
    pub datasets: usize,
    pub buffer: u32,
    /// (dataset, pipeline variant, batch size, steps, step seconds, arrival seconds, gang)
    pub tasks: Vec<(usize, usize, u32, u64, f64, f64, u32)>,
    pub prep_costs: [f64; 4],
    pub memory: Option<f64>,
}

impl Shape {
    pub fn workload(&self) -> Workload {
        let datasets: Vec<Dataset> =
            (0..self.datasets).map(|d| Dataset { id: format!("d{d}"), samples: 1000, sample_bytes: 10 }).collect();
        // Variants share prefixes: [a], [a, b1], [a, b1, c], [a, b2].
        let [a, b, c, d] = self.prep_costs;
        let pipelines = vec![
            Pipeline { id: "p0".into(), stages: vec![stage("a", 1, a)] },
            Pipeline { id: "p1".into(), stages: vec![stage("a", 1, a), stage("b", 1, b)] },
            Pipeline { id: "p2".into(), stages: vec![stage("a", 1, a), stage("b", 1, b), stage("c", 1, c)] },
            Pipeline { id: "p3".into(), stages: vec![stage("a", 1, a), stage("b", 2, d)] },
        ];
        let tasks = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, &(dataset, variant, batch, steps, step, arrival, gang))| Task {
                id: format!("t{i}"),
                arrival_s: arrival,
                dataset: format!("d{}", dataset % self.datasets),
                pipeline: format!("p{}", variant % 4),
                batch_size: batch,
                steps,
                compute_s: [("gpu".to_string(), step)].into_iter().collect(),
                memory_gb: if self.memory.is_some() { 4.0 } else { 0.0 },
                processors: gang.min(self.processors),
            })
            .collect();
        Workload {
            name: "random".into(),
            datasets,
            pipelines,
            tasks,
            cluster: Cluster {
                processors: vec![ProcessorSpec::uniform("gpu", self.processors, self.memory)],
                buffer_batches: self.buffer,
                migration_s: 0.5,
            },
            actuals: Actuals::default(),
        }
    }

    pub fn problem(&self) -> Problem {
        Problem::from_workload(&self.workload(), None).expect("random workloads are valid")
    }
}

/// Random small workloads: up to 10 tasks, 1-4 processors, 1-2 datasets, gangs of 1-2.
pub fn shapes(max_steps: u64) -> impl Strategy<Value = Shape> {
    let task = (
        0usize..2,
        0usize..4,
        prop::sample::select(vec![1u32, 2, 4, 8]),
        1..=max_steps,
        0.001f64..0.05,
        0.0f64..2.0,
        prop::sample::select(vec![1u32, 1, 1, 2]),
    );
    (
        1u32..=4,
        1usize..=2,
        1u32..=6,
        prop::collection::vec(task, 1..=10),
        [0.0005f64..0.01, 0.0005..0.01, 0.0005..0.01, 0.0005..0.01],
        prop::option::of(Just(16.0)),
    )
        .prop_map(|(processors, datasets, buffer, tasks, prep_costs, memory)| Shape {
            processors,
            datasets,
            buffer,
            tasks,
            prep_costs,
            memory,
        })
}

/// The seed properties draw their cases from unless `PROPTEST_RNG_SEED` names another: the
/// same cases every run, so that a test run (CI's included) passes or fails on the code, not on
/// the draw. Other seeds explore further (`PROPTEST_RNG_SEED=$RANDOM`); a failure one finds is
/// saved to the regressions file beside the test, which every run then replays.
const SEED: u64 = 20261206;

/// A property's config: `default_cases` cases from [`SEED`], unless `PROPTEST_CASES` or
/// `PROPTEST_RNG_SEED` says otherwise (proptest reads both into its default config; a count or
/// seed written here would otherwise override them).
pub fn config(default_cases: u32) -> ProptestConfig {
    let config = ProptestConfig::default();
    let set = |var: &str| std::env::var_os(var).is_some();
    let cases = if set("PROPTEST_CASES") { config.cases } else { default_cases };
    let rng_seed = if set("PROPTEST_RNG_SEED") { config.rng_seed } else { proptest::test_runner::RngSeed::Fixed(SEED) };
    ProptestConfig { cases, rng_seed, ..config }
}
