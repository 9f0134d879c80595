//! The analytic engine. Between two decision points nothing changes, so instead of simulating
//! batches it solves the pace of every running group (see `rates`) and jumps to the next event:
//! a completion, a progress report, an arrival, a timer or the end of a move. A job of millions
//! of steps costs a handful of events.
//!
//! Buffers: within a steady segment every consumer of a group reads at the group's pace, so a
//! buffer's level only moves during the few batches after a change; the engine does not follow
//! those transients and reports as buffer peak the bound where every live group's buffer is full.
//! The per-batch engine follows every batch and is the reference this engine is tested against.

use crate::driver::{progress_marks, Driver};
use crate::metrics::{actual_prep_ns, actual_step_ns, reference_prep_ns, Measures, ProcTime};
use crate::rates::{solve, Demand};
use crate::{Engine, RunOptions, SimError};
use coprep_policies::{ClusterState, Event, GroupId, Policy, TaskStatus};
use coprep_traces::planner::PrefixTree;
use coprep_traces::records::{EventRecord, RunRecords};
use coprep_traces::{ns_to_secs, Nanos, Problem};
use std::collections::BTreeMap;

struct Pace {
    groups: Vec<(GroupId, f64)>,
    compute_util: Vec<f64>,
    prep_util: Vec<f64>,
}

pub fn run(problem: &Problem, policy: &mut dyn Policy, opts: &RunOptions) -> Result<RunRecords, SimError> {
    let n = problem.tasks.len();
    let np = problem.processors.len();
    let mut d = Driver::new(problem, opts.record_events);
    let mut read = vec![0.0f64; n];
    let mut marks: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut next_mark = vec![0usize; n];
    let mut task_stall = vec![0.0f64; n];
    let mut proc_time = vec![ProcTime::default(); np];
    let mut pace = Pace { groups: Vec::new(), compute_util: vec![0.0; np], prep_util: vec![0.0; np] };
    let mut prep_work = vec![0.0; problem.datasets.len()];
    let mut produced: BTreeMap<GroupId, (f64, u32)> = BTreeMap::new();
    let mut buffer_peak = 0u64;
    let mut prep_batches = 0u64;
    let mut now: Nanos = 0;

    // Samples read when `task` next has something to report: a progress mark or its end.
    let target = |task: usize, marks: &[Vec<u64>], next_mark: &[usize]| -> f64 {
        let t = &problem.tasks[task];
        match marks[task].get(next_mark[task]) {
            Some(&m) => (m * t.batch_size as u64) as f64,
            None => t.samples(),
        }
    };

    loop {
        // The earliest internal event under the current pace.
        let mut due: Vec<(Nanos, usize)> = Vec::new();
        for &(g, rate) in &pace.groups {
            if rate <= 0.0 {
                continue;
            }
            for &t in &d.state.groups[&g].members {
                let need = (target(t, &marks, &next_mark) - read[t]).max(0.0);
                due.push((now + (need / rate).ceil() as Nanos, t));
            }
        }
        let internal = due.iter().map(|e| e.0).min();
        let next = match (internal, d.next_external_time()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => break,
            },
        };

        // Advance every running group to `next`.
        let dt = (next - now) as f64;
        if dt > 0.0 {
            for &(g, rate) in &pace.groups {
                let group = &d.state.groups[&g];
                let samples = rate * dt;
                for &t in &group.members {
                    read[t] = (read[t] + samples).min(problem.tasks[t].samples());
                    d.state.tasks[t].steps_done = read[t] / problem.tasks[t].batch_size as f64;
                }
                prep_work[group.dataset] += samples * reference_prep_ns(problem, group.dataset, &group.stages);
                produced.get_mut(&g).expect("tracked").0 += samples;
            }
            for (p, time) in proc_time.iter_mut().enumerate() {
                let busy = (pace.compute_util[p] + pace.prep_util[p]).min(1.0);
                time.compute += pace.compute_util[p] * dt;
                time.prep += pace.prep_util[p] * dt;
                let spare = (1.0 - busy) * dt;
                if d.state.processors[p].tasks.is_empty() {
                    time.idle += spare;
                } else {
                    time.stall += spare;
                }
            }
            for g in d.state.groups.values() {
                for &t in &g.members {
                    let procs = &d.state.tasks[t].processors;
                    let waiting: f64 =
                        procs.iter().map(|&p| 1.0 - (pace.compute_util[p] + pace.prep_util[p]).min(1.0)).sum();
                    task_stall[t] += dt * waiting / procs.len() as f64;
                }
            }
        }
        now = next;

        // Whether group membership changed (only then can buffer sizes change).
        let mut membership_changed = false;
        // Whether anything but progress reports that changed nothing happened: only then can
        // the pace differ.
        let mut changed = false;
        // Internal events due now: completions and progress reports, by task index.
        let mut now_due: Vec<usize> = due.iter().filter(|e| e.0 == now).map(|e| e.1).collect();
        now_due.sort_unstable();
        for t in now_due {
            read[t] = read[t].max(target(t, &marks, &next_mark));
            let task = &problem.tasks[t];
            if next_mark[t] < marks[t].len() {
                let steps_done = marks[t][next_mark[t]];
                next_mark[t] += 1;
                d.state.tasks[t].steps_done = steps_done as f64;
                let time = ns_to_secs(now);
                d.record(|| EventRecord::Progress { time, task: task.id.clone(), steps_done });
                let measured_step_ns = actual_step_ns(problem, t, &d.state.tasks[t].processors);
                let applied = d.call(policy, &Event::Progress { task: t, steps_done, measured_step_ns }, now)?;
                changed |= applied.any;
                membership_changed |= !applied.started.is_empty();
                on_start(problem, &d.state, &applied.started, &mut marks, &mut produced);
            } else {
                let group = d.state.tasks[t].group.expect("running");
                let applied = d.finish(policy, t, now)?;
                membership_changed = true;
                changed = true;
                if !d.state.groups.contains_key(&group) {
                    let (samples, batch) = produced.remove(&group).expect("tracked");
                    prep_batches += (samples / batch as f64).ceil() as u64;
                }
                membership_changed |= !applied.started.is_empty();
                on_start(problem, &d.state, &applied.started, &mut marks, &mut produced);
            }
        }
        while let Some(e) = d.pop_external(now) {
            let applied = d.external(policy, e, now)?;
            // A move ending or a timer changes the pace even with no decision; an arrival
            // only through what it starts.
            changed |= applied.any || !matches!(e, crate::driver::External::Arrival(_));
            membership_changed |= !applied.started.is_empty();
            on_start(problem, &d.state, &applied.started, &mut marks, &mut produced);
        }

        if !changed {
            if d.all_done() {
                break;
            }
            continue;
        }
        let new_pace = solve_pace(problem, &d);
        if new_pace.groups != pace.groups {
            let time = ns_to_secs(now);
            let utilisation: Vec<f64> = (0..np).map(|p| new_pace.compute_util[p] + new_pace.prep_util[p]).collect();
            let groups = new_pace.groups.iter().map(|&(g, r)| (g, r * 1e9)).collect();
            d.record(|| EventRecord::Rates { time, groups, utilisation });
        }
        pace = new_pace;
        if membership_changed {
            buffer_peak = buffer_peak.max(buffer_bytes(problem, &d));
        }
        if d.all_done() {
            break;
        }
    }
    let buffer_peak_batches = if d.groups_opened > 0 { problem.buffer_batches as f64 } else { 0.0 };
    let measures = Measures {
        proc_time,
        task_stall_ns: task_stall,
        prep_work_ns: prep_work,
        prep_batches,
        buffer_peak_bytes: buffer_peak,
        buffer_peak_batches,
    };
    d.conclude(policy, Engine::Analytic, opts, now, measures)
}

/// Sets up what the engine tracks for newly started tasks: their progress marks, and the
/// production count of a group they opened (batches counted in its largest member's batch).
fn on_start(
    problem: &Problem,
    state: &ClusterState,
    started: &[usize],
    marks: &mut [Vec<u64>],
    produced: &mut BTreeMap<GroupId, (f64, u32)>,
) {
    for &t in started {
        marks[t] = progress_marks(problem.tasks[t].steps);
        let group = state.tasks[t].group.expect("started tasks have a group");
        let entry = produced.entry(group).or_insert((0.0, 1));
        entry.1 = entry.1.max(problem.tasks[t].batch_size);
    }
}

/// The demand of every group that can run now (a group with a member on the move waits), and
/// the pace the processors give them.
fn solve_pace(problem: &Problem, d: &Driver) -> Pace {
    let np = problem.processors.len();
    let mut ids = Vec::new();
    let mut demands: Vec<Demand> = Vec::new();
    let mut compute_part: Vec<Demand> = Vec::new();
    for g in d.state.groups.values() {
        if g.members.iter().any(|&t| d.state.tasks[t].status == TaskStatus::Migrating) {
            continue;
        }
        let mut compute: BTreeMap<usize, f64> = BTreeMap::new();
        for &t in &g.members {
            let procs = &d.state.tasks[t].processors;
            let per_sample = actual_step_ns(problem, t, procs) / problem.tasks[t].batch_size as f64;
            for &p in procs {
                *compute.entry(p).or_default() += per_sample;
            }
        }
        let mut all = compute.clone();
        for &(p, share) in &g.prep {
            *all.entry(p).or_default() += share * actual_prep_ns(problem, g.dataset, &g.stages, p);
        }
        ids.push(g.id);
        demands.push(all.into_iter().collect());
        compute_part.push(compute.into_iter().collect());
    }
    let (rates, _) = solve(&demands, np);
    let mut compute_util = vec![0.0; np];
    let mut prep_util = vec![0.0; np];
    for (i, demand) in demands.iter().enumerate() {
        for &(p, a) in demand {
            prep_util[p] += rates[i] * a;
        }
        for &(p, a) in &compute_part[i] {
            compute_util[p] += rates[i] * a;
            prep_util[p] -= rates[i] * a;
        }
    }
    for u in &mut prep_util {
        *u = u.max(0.0);
    }
    Pace { groups: ids.into_iter().zip(rates).collect(), compute_util, prep_util }
}

/// Bytes held if every live group's buffer were full: capacity (in batches of its largest
/// member) times the bytes per sample of each stream its consumers read (the tree's leaves).
fn buffer_bytes(problem: &Problem, d: &Driver) -> u64 {
    d.state
        .groups
        .values()
        .map(|g| {
            let batch = g.members.iter().map(|&t| problem.tasks[t].batch_size).max().unwrap_or(0) as u64;
            let tree = PrefixTree::build(problem, &g.members);
            let leaf_bytes: u64 =
                tree.nodes.iter().filter(|n| n.children.is_empty()).map(|n| problem.stages[n.stage].out_bytes).sum();
            problem.buffer_batches as u64 * batch * leaf_bytes
        })
        .sum()
}
