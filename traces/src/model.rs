//! The workload model as it is written in files: datasets, pipelines of stages, tasks, the
//! cluster, and the *actual* durations kept apart from the estimates a policy sees.
//!
//! All durations in files are seconds (`f64`, fields end in `_s`); engines convert them to
//! integer nanoseconds. The schema is documented in `docs/workload-format.md`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per processor type values (a cost in seconds), keyed by the processor's `type` string.
pub type PerType = BTreeMap<String, f64>;

/// A whole workload file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub datasets: Vec<Dataset>,
    pub pipelines: Vec<Pipeline>,
    pub tasks: Vec<Task>,
    pub cluster: Cluster,
    /// Recorded actual durations, as factors on the estimates (Batsim's profiles, kept apart
    /// from the jobs). Missing entries fall back to the noise model, or to the estimate.
    #[serde(default, skip_serializing_if = "Actuals::is_empty")]
    pub actuals: Actuals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    pub id: String,
    /// Number of samples in one epoch (informational; tasks count steps).
    #[serde(default)]
    pub samples: u64,
    /// Bytes of one raw sample.
    #[serde(default)]
    pub sample_bytes: u64,
}

/// One preprocessing step. Two stages are equal when `op` and `params` are equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub op: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
    /// Estimated seconds per sample, per processor type able to run it.
    pub cost_s: PerType,
    /// Bytes per sample this stage outputs (what a buffer holds).
    #[serde(default)]
    pub out_bytes: u64,
}

impl Stage {
    /// The identity of a stage: `op[k=v,...]` with keys sorted, so equal stages have equal keys.
    pub fn key(&self) -> String {
        if self.params.is_empty() {
            return self.op.clone();
        }
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        format!("{}[{}]", self.op, params.join(","))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub id: String,
    pub stages: Vec<Stage>,
}

/// One training job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub id: String,
    #[serde(default)]
    pub arrival_s: f64,
    pub dataset: String,
    pub pipeline: String,
    pub batch_size: u32,
    pub steps: u64,
    /// Estimated seconds per training step, per processor type able to run it.
    pub compute_s: PerType,
    /// Memory the task needs on each of its processors, in GiB.
    #[serde(default)]
    pub memory_gb: f64,
    /// How many processors it needs at once (a gang: all start and stop together).
    #[serde(default = "one")]
    pub processors: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub processors: Vec<ProcessorSpec>,
    /// Capacity of the buffer between a stream and its consumers, in batches.
    pub buffer_batches: u32,
    /// What moving a running task to other processors costs: the task's group pauses this long.
    #[serde(default)]
    pub migration_s: f64,
}

/// One processor, or `count` identical ones named `<name>0..<name>{count-1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Speed factor for training steps (1 = the estimates as written).
    #[serde(default = "unit")]
    pub compute_speed: f64,
    /// Speed factor for preprocessing.
    #[serde(default = "unit")]
    pub prep_speed: f64,
    /// Memory in GiB; absent means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<f64>,
}

fn unit() -> f64 {
    1.0
}

impl ProcessorSpec {
    /// `count` identical processors of one type, named after it, at the estimates' speed.
    pub fn uniform(kind: &str, count: u32, memory_gb: Option<f64>) -> Self {
        ProcessorSpec { name: kind.into(), kind: kind.into(), count, compute_speed: 1.0, prep_speed: 1.0, memory_gb }
    }
}

/// Actual durations as factors on the estimates: actual = estimate × factor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actuals {
    /// Per task id: factor on its compute (step) estimates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub compute: BTreeMap<String, f64>,
    /// Per dataset id: factor on the preprocessing estimates of every stage run on it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prep: BTreeMap<String, f64>,
}

impl Actuals {
    pub fn is_empty(&self) -> bool {
        self.compute.is_empty() && self.prep.is_empty()
    }
}
