//! Metrics of a run: per-processor time accounting, job completion times, the preprocessing
//! work done against the work without sharing, and a lower bound on the makespan.

use coprep_policies::ClusterState;
use coprep_traces::planner::PrefixTree;
use coprep_traces::records::{interval_set, DatasetSummary, JobRecord, ProcessorSummary, RunRecords, Summary};
use coprep_traces::{ns_to_secs, Problem, NS_PER_S};
use std::collections::{BTreeMap, HashMap};

/// Time a processor spent, in nanoseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcTime {
    pub compute: f64,
    pub prep: f64,
    pub idle: f64,
    /// Holding compute work that could not run for lack of data.
    pub stall: f64,
}

/// Actual nanoseconds of one step of `task` on the gang `procs` (its slowest member).
pub fn actual_step_ns(problem: &Problem, task: usize, procs: &[usize]) -> f64 {
    let t = &problem.tasks[task];
    procs.iter().filter_map(|&p| problem.step_ns(task, p)).fold(0.0, f64::max) * t.actual_compute_factor
}

/// Actual nanoseconds per sample of `stages` on `proc` for a dataset.
pub fn actual_prep_ns(problem: &Problem, dataset: usize, stages: &[usize], proc: usize) -> f64 {
    problem.stages_ns(stages, proc).unwrap_or(f64::INFINITY) * problem.datasets[dataset].actual_prep_factor
}

/// Reference (cheapest-processor) actual nanoseconds per sample of `stages` on a dataset.
pub fn reference_prep_ns(problem: &Problem, dataset: usize, stages: &[usize]) -> f64 {
    problem.stages_ns_min(stages) * problem.datasets[dataset].actual_prep_factor
}

/// A bound no schedule can beat, on actual durations: the larger of
/// - every task's own chain: its arrival plus its steps at its fastest actual step time; and
/// - all work spread perfectly: the first arrival plus (every task's compute on its fastest
///   processor, on each processor of its gang, plus each prefix-tree node's preprocessing once
///   for the most samples any consumer below it reads) over the number of processors.
pub fn lower_bound_ns(problem: &Problem) -> f64 {
    let mut chain: f64 = 0.0;
    let mut work = 0.0;
    for (i, t) in problem.tasks.iter().enumerate() {
        let step = problem.step_ns_min(i) * t.actual_compute_factor;
        chain = chain.max(t.arrival_ns as f64 + t.steps as f64 * step);
        work += t.steps as f64 * step * t.gang as f64;
    }
    // Each dataset's prefix tree, built over one task per distinct pipeline (the first, so the
    // nodes come in the order all of its tasks would create them), each standing for the most
    // samples any task of that pipeline reads.
    // Per dataset, (first task, most samples) of each pipeline in order of first task; found by
    // (dataset, pipeline rank), so that many pipelines cost no scan per task.
    let mut pipelines: Vec<Vec<(usize, f64)>> = vec![Vec::new(); problem.datasets.len()];
    let mut slot: HashMap<(usize, u32), usize> = HashMap::new();
    for (i, t) in problem.tasks.iter().enumerate() {
        let samples = t.samples();
        let seen = &mut pipelines[t.dataset];
        let at = *slot.entry((t.dataset, problem.pipeline_rank(i))).or_insert_with(|| {
            seen.push((i, samples));
            seen.len() - 1
        });
        seen[at].1 = seen[at].1.max(samples);
    }
    for (dataset, seen) in pipelines.iter().enumerate().filter(|(_, seen)| !seen.is_empty()) {
        let firsts: Vec<usize> = seen.iter().map(|p| p.0).collect();
        // The tree's consumers are those first tasks, which come in task order.
        let most = |task: usize| firsts.binary_search(&task).map_or(0.0, |k| seen[k].1);
        let tree = PrefixTree::build(problem, &firsts);
        for node in &tree.nodes {
            let samples = node.consumers.iter().map(|&c| most(c)).fold(0.0, f64::max);
            work += samples * reference_prep_ns(problem, dataset, &[node.stage]);
        }
    }
    let first = problem.tasks.iter().map(|t| t.arrival_ns).min().unwrap_or(0) as f64;
    chain.max(first + work / problem.processors.len() as f64)
}

/// Preprocessing work (reference ns) of every task alone.
pub fn unshared_prep_ns(problem: &Problem) -> f64 {
    problem.tasks.iter().map(|t| t.samples() * reference_prep_ns(problem, t.dataset, &t.stages)).sum()
}

/// Batsim's final states: failed tasks, tasks a stop killed, the rest.
fn final_state(s: &coprep_policies::TaskState, failed: bool) -> &'static str {
    if failed {
        "COMPLETED_FAILED"
    } else if s.status == coprep_policies::TaskStatus::Done {
        "COMPLETED_SUCCESSFULLY"
    } else {
        "COMPLETED_KILLED"
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// What an engine measured over a run (the driver adds what it counted itself).
pub struct Measures {
    pub proc_time: Vec<ProcTime>,
    pub task_stall_ns: Vec<f64>,
    /// Preprocessing work done (reference ns), per dataset.
    pub prep_work_ns: Vec<f64>,
    pub prep_batches: u64,
    pub buffer_peak_bytes: u64,
    pub buffer_peak_batches: f64,
    /// Tasks that failed, with why (the executor's faults).
    pub failed: BTreeMap<usize, String>,
    /// The run was stopped before every task finished (unfinished tasks are killed).
    pub stopped: bool,
}

/// What the driver counted over a run.
pub struct Counted<'a> {
    pub problem: &'a Problem,
    pub state: &'a ClusterState,
    pub moves: u64,
    pub groups: usize,
    pub engine_events: u64,
}

/// Identifies a run in its summary.
pub struct RunInfo<'a> {
    pub policy: String,
    pub engine: &'a str,
    pub seed: u64,
    pub noise_sigma: f64,
}

/// What a run's records need of the problem alone: the lower bound, the preprocessing without
/// sharing, and each job's record as submitted. It depends on nothing the run does, so the
/// engines work it out beside the run (see [`beside_run`]): at 1M tasks the records took 0.3 s
/// at the run's end, of which this is half (the ids copied, the records' memory first touched).
pub struct Submitted {
    lower_bound_ns: f64,
    unshared_ns: f64,
    /// Per dataset, its tasks and their preprocessing alone.
    per_dataset: Vec<(usize, f64)>,
    /// Per task, its record with the submission filled in.
    jobs: Vec<JobRecord>,
}

impl Submitted {
    pub fn of(problem: &Problem) -> Submitted {
        // Per dataset, its tasks and their preprocessing alone (summed in task order, from -0.0
        // as `Sum` does).
        let mut per_dataset = vec![(0usize, -0.0f64); problem.datasets.len()];
        for t in &problem.tasks {
            let entry = &mut per_dataset[t.dataset];
            entry.0 += 1;
            entry.1 += t.samples() * reference_prep_ns(problem, t.dataset, &t.stages);
        }
        let jobs = problem
            .tasks
            .iter()
            .map(|t| JobRecord {
                job_id: t.id.clone(),
                submission_time: ns_to_secs(t.arrival_ns),
                starting_time: 0.0,
                execution_time: 0.0,
                finish_time: 0.0,
                waiting_time: 0.0,
                turnaround_time: 0.0,
                stretch: 1.0,
                allocated_resources: String::new(),
                final_state: String::new(),
                group: 0,
                stall_time: 0.0,
                moves: 0,
            })
            .collect();
        Submitted { lower_bound_ns: lower_bound_ns(problem), unshared_ns: unshared_prep_ns(problem), per_dataset, jobs }
    }
}

/// Runs an engine's loop `run` with [`Submitted`] worked out on another thread meanwhile (on
/// another core where there is one); `run` collects it, once, through the function it is given.
pub fn beside_run<R>(problem: &Problem, run: impl FnOnce(&mut dyn FnMut() -> Submitted) -> R) -> R {
    std::thread::scope(|scope| {
        let mut worker = Some(scope.spawn(|| Submitted::of(problem)));
        let mut collect = || {
            let worker = worker.take().expect("the submitted records are collected once");
            worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        };
        run(&mut collect)
    })
}

pub fn assemble(
    c: Counted,
    m: Measures,
    info: RunInfo,
    events: Vec<coprep_traces::records::EventRecord>,
    submitted: Submitted,
) -> RunRecords {
    let problem = c.problem;
    let Submitted { lower_bound_ns, unshared_ns, per_dataset, mut jobs } = submitted;
    let mut jcts = Vec::with_capacity(problem.tasks.len());
    let mut makespan = 0.0f64;
    for (i, (t, job)) in problem.tasks.iter().zip(&mut jobs).enumerate() {
        let s = &c.state.tasks[i];
        let submit = job.submission_time;
        let start = ns_to_secs(s.started_at.unwrap_or(t.arrival_ns));
        let finish = ns_to_secs(s.finished_at.unwrap_or(t.arrival_ns));
        let turnaround = finish - submit;
        let execution = finish - start;
        makespan = makespan.max(finish);
        jcts.push(turnaround);
        job.starting_time = start;
        job.execution_time = execution;
        job.finish_time = finish;
        job.waiting_time = start - submit;
        job.turnaround_time = turnaround;
        job.stretch = if execution > 0.0 { turnaround / execution } else { 1.0 };
        job.allocated_resources = interval_set(&s.processors);
        job.final_state = final_state(s, m.failed.contains_key(&i)).into();
        job.group = s.group.unwrap_or(0);
        job.stall_time = m.task_stall_ns[i] / NS_PER_S;
        job.moves = s.moves;
    }
    jcts.sort_by(f64::total_cmp);
    let lower_bound = lower_bound_ns / NS_PER_S;
    let unshared = unshared_ns / NS_PER_S;
    let prep_work = m.prep_work_ns.iter().sum::<f64>() / NS_PER_S;
    let datasets_detail = problem
        .datasets
        .iter()
        .enumerate()
        .map(|(d, info)| DatasetSummary {
            id: info.id.clone(),
            tasks: per_dataset[d].0,
            prep_work_s: m.prep_work_ns[d] / NS_PER_S,
            prep_work_unshared_s: per_dataset[d].1 / NS_PER_S,
        })
        .collect();
    let detail: Vec<ProcessorSummary> = problem
        .processors
        .iter()
        .zip(&m.proc_time)
        .map(|(p, t)| ProcessorSummary {
            id: p.id.clone(),
            kind: problem.types[p.kind].clone(),
            busy_s: (t.compute + t.prep) / NS_PER_S,
            compute_s: t.compute / NS_PER_S,
            prep_s: t.prep / NS_PER_S,
            idle_s: t.idle / NS_PER_S,
            stall_s: t.stall / NS_PER_S,
        })
        .collect();
    let summary = Summary {
        workload: problem.name.clone(),
        policy: info.policy,
        engine: info.engine.into(),
        seed: info.seed,
        noise_sigma: info.noise_sigma,
        tasks: problem.tasks.len(),
        processors: problem.processors.len(),
        makespan_s: makespan,
        lower_bound_s: lower_bound,
        gap_to_lower_bound: if lower_bound > 0.0 { makespan / lower_bound - 1.0 } else { 0.0 },
        busy_s: detail.iter().map(|d| d.busy_s).sum(),
        idle_s: detail.iter().map(|d| d.idle_s).sum(),
        stall_s: detail.iter().map(|d| d.stall_s).sum(),
        mean_jct_s: jcts.iter().sum::<f64>() / jcts.len().max(1) as f64,
        p95_jct_s: percentile(&jcts, 0.95),
        max_jct_s: jcts.last().copied().unwrap_or(0.0),
        prep_work_s: prep_work,
        prep_work_unshared_s: unshared,
        prep_saved_fraction: if unshared > 0.0 { 1.0 - prep_work / unshared } else { 0.0 },
        prep_batches: m.prep_batches,
        buffer_peak_bytes: m.buffer_peak_bytes,
        buffer_peak_batches: m.buffer_peak_batches,
        reassignments: c.moves,
        groups: c.groups,
        engine_events: c.engine_events,
        processors_detail: detail,
        datasets_detail,
    };
    RunRecords { summary, jobs, events }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(super::percentile(&v, 0.95), 19.0);
        assert_eq!(super::percentile(&v, 1.0), 20.0);
        assert_eq!(super::percentile(&[3.0], 0.95), 3.0);
    }
}
