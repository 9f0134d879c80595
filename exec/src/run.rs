//! A whole executor run: open the devices, measure estimates, build the workload the policy sees
//! (the simulator's format, so the same planner and policies apply), run it on the devices with
//! the simulator's per-batch loop, and turn what was measured into records and a recorded trace.

use crate::calibrate::{self, Estimates};
use crate::devices_set::{choose, Device};
use crate::engine::{DeviceRunner, PrepRecord, ProgressHook, TaskOutcome};
use crate::workload::Loaded;
use crate::GpuError;
use coprep_policies::Policy;
use coprep_sim::per_batch::run_with;
use coprep_sim::{RunOptions, RunRecords, SimError};
use coprep_traces::model::{Cluster, Dataset, Pipeline, ProcessorSpec, Task, Workload};
use coprep_traces::{InputError, Problem};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Sim(#[from] SimError),
}

#[derive(Debug, Clone)]
pub struct RunSetup {
    /// Processors per device (phases on slots of one device run concurrently).
    pub slots_per_device: usize,
    /// Indices into the adapter list; `None` opens every adapter.
    pub devices: Option<Vec<usize>>,
    pub record_events: bool,
}

impl Default for RunSetup {
    fn default() -> Self {
        RunSetup { slots_per_device: 1, devices: None, record_events: true }
    }
}

/// One task's result as the executor writes it (`tasks.csv`).
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub task: String,
    pub final_state: String,
    pub steps: u64,
    pub steps_done: usize,
    pub first_loss: Option<f32>,
    /// Mean loss over the last tenth of the steps done (at least one).
    pub final_loss: Option<f32>,
    pub held_out_accuracy: Option<f32>,
    pub mean_step_s: Option<f64>,
    pub error: String,
}

/// Counters of the run (`executor.json`).
#[derive(Debug, Clone, Serialize)]
pub struct ExecStats {
    pub devices: Vec<String>,
    pub processors: usize,
    pub calibration_s: f64,
    pub run_s: f64,
    /// Preprocessing phases run, the kernel dispatches they made, and the spans they ran over
    /// (a phase splits where an epoch ends or its ring wraps): dispatches = spans x the stages
    /// of the stream's prefix tree, whatever the number of consumers.
    pub prep_phases: usize,
    pub prep_dispatches: u64,
    pub prep_spans: u64,
    /// Samples preprocessed, and what the tasks read (what they would have preprocessed alone).
    pub prep_samples: u64,
    pub samples_read: u64,
    pub stopped: bool,
}

pub struct RunReport {
    pub records: RunRecords,
    pub tasks: Vec<TaskReport>,
    /// What the policy planned with (calibrated estimates).
    pub estimates: Workload,
    /// The recorded trace: the same workload with measured durations (the tasks that finished).
    pub trace: Workload,
    pub stats: ExecStats,
}

/// Runs `loaded` under `policy` on the chosen devices. `stop` ends it early and cleanly.
pub fn run(
    loaded: &Loaded,
    policy: &mut dyn Policy,
    setup: &RunSetup,
    stop: Arc<AtomicBool>,
    progress: Option<ProgressHook>,
) -> Result<RunReport, ExecError> {
    let adapters = choose(crate::devices::adapters(), setup.devices.as_deref())?;
    let devices = adapters.iter().map(|a| Device::open(a, loaded)).collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = devices.iter().map(|d| d.gpu.name.clone()).collect();
    let mut types: Vec<String> = names.clone();
    types.sort();
    types.dedup();
    let device_type: Vec<usize> = names.iter().map(|n| types.iter().position(|t| t == n).expect("listed")).collect();

    let began = Instant::now();
    let mut estimates = Vec::new();
    for t in &types {
        let first = names.iter().position(|n| n == t).expect("listed");
        estimates.push(calibrate::measure(&devices[first], loaded)?);
    }
    let calibration_s = began.elapsed().as_secs_f64();

    let slots = setup.slots_per_device.max(1);
    let mut processors = Vec::new();
    let mut proc_device = Vec::new();
    for (d, name) in names.iter().enumerate() {
        for s in 0..slots {
            let id = if slots == 1 { format!("dev{d}") } else { format!("dev{d}.{s}") };
            processors.push(ProcessorSpec::uniform(name, 1, None));
            processors.last_mut().expect("pushed").name = id;
            proc_device.push(d);
        }
    }
    let cluster = Cluster { processors, buffer_batches: loaded.spec.buffer_batches, migration_s: 0.0 };
    let planned = workload(loaded, &types, &estimates, cluster.clone());
    let problem = Problem::from_workload(&planned, None)?;

    let mut runner = DeviceRunner::new(loaded.clone(), devices, proc_device, stop);
    if let Some(hook) = progress {
        runner.on_progress(hook);
    }
    let opts = RunOptions { record_events: setup.record_events, ..RunOptions::default() };
    let started = Instant::now();
    runner.reset_clock();
    let result = run_with(&problem, policy, &opts, &mut runner, "executor");
    let run_s = started.elapsed().as_secs_f64();
    let (outcomes, prep_dispatches, prep_spans) = runner.finish();
    let records = result?;

    let measured = measured_estimates(loaded, &estimates, &device_type, &outcomes, &runner.prep_log);
    let tasks = task_reports(loaded, &records, &outcomes);
    // The trace holds what ran to the end: a failed task's steps were never measured.
    let mut trace = workload(loaded, &types, &measured, cluster);
    trace.tasks.retain(|t| tasks.iter().any(|r| r.task == t.id && r.final_state == "COMPLETED_SUCCESSFULLY"));
    let stats = ExecStats {
        devices: names,
        processors: problem.processors.len(),
        calibration_s,
        run_s,
        prep_phases: runner.prep_log.len(),
        prep_dispatches,
        prep_spans,
        prep_samples: runner.prep_log.iter().map(|r| r.samples).sum(),
        samples_read: outcomes.iter().zip(&loaded.tasks).map(|(o, t)| (o.losses.len() * t.batch_size) as u64).sum(),
        stopped: records.jobs.iter().any(|j| j.final_state == "COMPLETED_KILLED"),
    };
    Ok(RunReport { records, tasks, estimates: planned, trace, stats })
}

/// The workload in the simulator's format with the given per-type estimates.
pub fn workload(loaded: &Loaded, types: &[String], est: &[Estimates], cluster: Cluster) -> Workload {
    let mut used: Vec<(usize, usize)> = loaded.tasks.iter().map(|t| (t.pipeline, t.dataset)).collect();
    used.sort_unstable();
    used.dedup();
    // A stage's cost is per sample of its data set, so each stage names its data set, and a
    // pipeline used on several data sets becomes one pipeline per data set (`id@dataset`).
    let id_of = |(p, d): (usize, usize)| {
        let id = &loaded.pipelines[p].id;
        if used.iter().filter(|u| u.0 == p).count() <= 1 {
            id.clone()
        } else {
            format!("{id}@{}", loaded.data[d].id)
        }
    };
    let pipelines = used
        .iter()
        .map(|&(p, d)| {
            let spec = &loaded.spec.pipelines[p];
            let floats = loaded.data[d].train.image_bytes() as u64;
            Pipeline {
                id: id_of((p, d)),
                stages: spec
                    .stages
                    .iter()
                    .zip(&loaded.pipelines[p].stages)
                    .map(|(s, (key, _))| {
                        let mut stage = s.stage();
                        stage.params.insert("dataset".into(), loaded.data[d].id.clone().into());
                        stage.out_bytes = floats * 4;
                        stage.cost_s = types
                            .iter()
                            .zip(est)
                            .map(|(t, e)| (t.clone(), e.stage_s.get(&(d, key.clone())).copied().unwrap_or(0.0)))
                            .collect();
                        stage
                    })
                    .collect(),
            }
        })
        .collect();
    let tasks = loaded
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| Task {
            id: t.id.clone(),
            arrival_s: t.arrival_s,
            dataset: loaded.data[t.dataset].id.clone(),
            pipeline: id_of((t.pipeline, t.dataset)),
            batch_size: t.batch_size as u32,
            steps: t.steps,
            compute_s: types.iter().zip(est).map(|(ty, e)| (ty.clone(), e.step_s[i])).collect(),
            memory_gb: 0.0,
            processors: 1,
        })
        .collect();
    let datasets = loaded
        .data
        .iter()
        .map(|d| Dataset {
            id: d.id.clone(),
            samples: d.train.len() as u64,
            sample_bytes: d.train.image_bytes() as u64,
        })
        .collect();
    Workload { name: loaded.spec.name.clone(), datasets, pipelines, tasks, cluster, actuals: Default::default() }
}

/// The estimates replaced by measurements: a task's step time is the mean of its measured steps
/// on each type (its held-out evaluation included); a prep phase's measured time is split over the stages it computed in proportion
/// to their calibrated costs.
fn measured_estimates(
    loaded: &Loaded,
    calibrated: &[Estimates],
    device_type: &[usize],
    outcomes: &[TaskOutcome],
    prep_log: &[PrepRecord],
) -> Vec<Estimates> {
    let mut out = calibrated.to_vec();
    for (ty, est) in out.iter_mut().enumerate() {
        for (i, o) in outcomes.iter().enumerate() {
            let steps: Vec<f64> =
                o.step_ns.iter().zip(&o.step_types).filter(|(_, &d)| device_type[d] == ty).map(|(&ns, _)| ns).collect();
            if !steps.is_empty() {
                // The held-out evaluation kept the last step's processor busy too: spread over
                // the steps, as the simulator has no phase for it.
                let last_here = o.step_types.last().is_some_and(|&d| device_type[d] == ty);
                let eval = if last_here { o.eval_ns } else { 0.0 };
                est.step_s[i] = (steps.iter().sum::<f64>() + eval) / steps.len() as f64 / 1e9;
            }
        }
        let mut spent: BTreeMap<(usize, String), (f64, f64)> = BTreeMap::new();
        for r in prep_log.iter().filter(|r| device_type[r.device] == ty) {
            // The distinct prefixes of the leaves' pipelines: the tree the phase computed.
            let mut nodes: Vec<Vec<&str>> = Vec::new();
            for &leaf in &r.leaves {
                let keys: Vec<&str> = loaded.pipelines[leaf].stages.iter().map(|(k, _)| k.as_str()).collect();
                for k in 1..=keys.len() {
                    if !nodes.contains(&keys[..k].to_vec()) {
                        nodes.push(keys[..k].to_vec());
                    }
                }
            }
            let cost = |key: &str| calibrated[ty].stage_s.get(&(r.dataset, key.to_string())).copied().unwrap_or(0.0);
            let planned: f64 = nodes.iter().map(|n| cost(n[n.len() - 1])).sum::<f64>() * r.samples as f64;
            if planned <= 0.0 {
                continue;
            }
            let factor = r.busy_ns / 1e9 / planned;
            for n in &nodes {
                let key = n[n.len() - 1];
                let e = spent.entry((r.dataset, key.to_string())).or_default();
                e.0 += factor * cost(key) * r.samples as f64;
                e.1 += r.samples as f64;
            }
        }
        for (key, (seconds, samples)) in spent {
            est.stage_s.insert(key, seconds / samples);
        }
    }
    out
}

fn task_reports(loaded: &Loaded, records: &RunRecords, outcomes: &[TaskOutcome]) -> Vec<TaskReport> {
    loaded
        .tasks
        .iter()
        .zip(outcomes)
        .zip(&records.jobs)
        .map(|((t, o), job)| {
            let done = o.losses.len();
            let tail = (done / 10).max(1).min(done);
            TaskReport {
                task: t.id.clone(),
                final_state: job.final_state.clone(),
                steps: t.steps,
                steps_done: done,
                first_loss: o.losses.first().copied(),
                final_loss: (done > 0).then(|| o.losses[done - tail..].iter().sum::<f32>() / tail as f32),
                held_out_accuracy: o.accuracy,
                mean_step_s: (done > 0).then(|| o.step_ns.iter().sum::<f64>() / done as f64 / 1e9),
                error: match (&o.error, job.final_state.as_str()) {
                    (Some(e), _) => e.clone(),
                    (None, "COMPLETED_FAILED") => "its stream failed".into(),
                    _ => String::new(),
                },
            }
        })
        .collect()
}
