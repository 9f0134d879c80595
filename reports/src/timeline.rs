//! What happened when, read from a run's events, for the Gantt and utilisation plots: task bars
//! per processor, stream lifetimes, moves, and every processor's busy fraction on a time grid
//! (from the analytic engine's `rates` or the per-batch engine's phases).

use crate::load::Run;
use coprep_traces::records::EventRecord;
use std::collections::BTreeMap;

/// A task holding a processor from `start` to `end` (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskBar {
    pub task: String,
    pub group: u64,
    pub processor: usize,
    pub start: f64,
    pub end: f64,
}

/// A stream (sharing group) from its first consumer's start to its last consumer's end.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamBar {
    pub group: u64,
    pub dataset: String,
    pub start: f64,
    pub end: f64,
    /// Where it preprocessed last, with shares.
    pub prep: Vec<(String, f64)>,
    pub consumers: usize,
}

#[derive(Debug, Clone)]
pub struct Timeline {
    pub end: f64,
    pub processors: Vec<String>,
    pub kinds: Vec<String>,
    pub tasks: Vec<TaskBar>,
    pub streams: Vec<StreamBar>,
    /// (time, task, destination processor)
    pub moves: Vec<(f64, String, usize)>,
    /// Bin width in seconds, and per processor the busy fraction of each bin.
    pub bin: f64,
    pub busy: Vec<Vec<f64>>,
    /// Per processor and bin: the fraction of the bin it held at least one task.
    pub holding: Vec<Vec<f64>>,
}

pub const BINS: usize = 400;

impl Timeline {
    pub fn of(run: &Run) -> Timeline {
        let end = run.summary.makespan_s.max(1e-9);
        let processors: Vec<String> = run.summary.processors_detail.iter().map(|p| p.id.clone()).collect();
        let kinds = run.summary.processors_detail.iter().map(|p| p.kind.clone()).collect();
        let index: BTreeMap<&str, usize> = processors.iter().enumerate().map(|(i, p)| (p.as_str(), i)).collect();
        let at =
            |names: &[String]| -> Vec<usize> { names.iter().filter_map(|n| index.get(n.as_str()).copied()).collect() };

        let bin = end / BINS as f64;
        let mut busy = vec![vec![0.0; BINS]; processors.len()];
        let mut open: BTreeMap<String, (f64, Vec<usize>, u64)> = BTreeMap::new();
        let mut tasks = Vec::new();
        let mut streams: BTreeMap<u64, StreamBar> = BTreeMap::new();
        let mut moves = Vec::new();
        let mut rates: Option<(f64, Vec<f64>)> = None;
        let mut phases: BTreeMap<(String, u64, Option<String>), f64> = BTreeMap::new();

        let close = |tasks: &mut Vec<TaskBar>, task: &str, (start, procs, group): (f64, Vec<usize>, u64), end: f64| {
            for p in procs {
                tasks.push(TaskBar { task: task.to_string(), group, processor: p, start, end });
            }
        };
        for e in &run.events {
            match e {
                EventRecord::TaskStarted { time, task, processors, group } => {
                    open.insert(task.clone(), (*time, at(processors), *group));
                }
                EventRecord::MoveStarted { time, task, to } => {
                    if let Some(held) = open.remove(task) {
                        let group = held.2;
                        close(&mut tasks, task, held, *time);
                        let dest = at(to);
                        if let Some(&d) = dest.first() {
                            moves.push((*time, task.clone(), d));
                        }
                        open.insert(task.clone(), (*time, dest, group));
                    }
                }
                EventRecord::TaskFinished { time, task } => {
                    if let Some(held) = open.remove(task) {
                        close(&mut tasks, task, held, *time);
                    }
                }
                EventRecord::GroupStarted { time, group, dataset } => {
                    streams.insert(
                        *group,
                        StreamBar {
                            group: *group,
                            dataset: dataset.clone(),
                            start: *time,
                            end,
                            prep: Vec::new(),
                            consumers: 0,
                        },
                    );
                }
                EventRecord::GroupEnded { time, group } => {
                    if let Some(s) = streams.get_mut(group) {
                        s.end = *time;
                    }
                }
                EventRecord::PrepPlaced { group, shares, .. } => {
                    if let Some(s) = streams.get_mut(group) {
                        s.prep = shares.clone();
                    }
                }
                EventRecord::Rates { time, utilisation, .. } => {
                    if let Some((from, u)) = rates.take() {
                        spread(&mut busy, bin, from, *time, |p| u.get(p).copied().unwrap_or(0.0));
                    }
                    rates = Some((*time, utilisation.clone()));
                }
                EventRecord::PhaseStarted { time, processors, phase, task, batch, .. } => {
                    for p in processors {
                        phases.insert((p.clone(), *batch, task.clone().or(Some(phase.clone()))), *time);
                    }
                }
                EventRecord::PhaseFinished { time, processors, phase, task, batch, .. } => {
                    for p in processors {
                        if let (Some(start), Some(&i)) = (
                            phases.remove(&(p.clone(), *batch, task.clone().or(Some(phase.clone())))),
                            index.get(p.as_str()),
                        ) {
                            spread_one(&mut busy[i], bin, start, *time, 1.0);
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some((from, u)) = rates {
            spread(&mut busy, bin, from, end, |p| u.get(p).copied().unwrap_or(0.0));
        }
        for (task, held) in std::mem::take(&mut open) {
            close(&mut tasks, &task, held, end);
        }
        for t in &tasks {
            if let Some(s) = streams.get_mut(&t.group) {
                s.consumers += 1;
            }
        }
        let mut holding = vec![vec![0.0; BINS]; processors.len()];
        // Holding is a union of intervals per processor: merge them first.
        let mut per_proc: Vec<Vec<(f64, f64)>> = vec![Vec::new(); processors.len()];
        for t in &tasks {
            per_proc[t.processor].push((t.start, t.end));
        }
        for (p, mut spans) in per_proc.into_iter().enumerate() {
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut merged: Vec<(f64, f64)> = Vec::new();
            for (s, e) in spans {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            for (s, e) in merged {
                spread_one(&mut holding[p], bin, s, e, 1.0);
            }
        }
        for row in busy.iter_mut().chain(holding.iter_mut()) {
            for v in row.iter_mut() {
                *v = (*v / bin).clamp(0.0, 1.0);
            }
        }
        Timeline { end, processors, kinds, tasks, streams: streams.into_values().collect(), moves, bin, busy, holding }
    }

    /// Per processor and bin, the fraction of the bin it held a task but was not busy: waiting
    /// for data (or for a gang partner).
    pub fn stall(&self, p: usize, b: usize) -> f64 {
        (self.holding[p][b] - self.busy[p][b]).max(0.0)
    }
}

/// Adds `value` × (overlap of [from, to) with each bin) to every processor's row.
fn spread(rows: &mut [Vec<f64>], bin: f64, from: f64, to: f64, value: impl Fn(usize) -> f64) {
    for (p, row) in rows.iter_mut().enumerate() {
        spread_one(row, bin, from, to, value(p));
    }
}

fn spread_one(row: &mut [f64], bin: f64, from: f64, to: f64, value: f64) {
    if to <= from || value == 0.0 {
        return;
    }
    let first = ((from / bin).floor() as usize).min(row.len() - 1);
    let last = ((to / bin).ceil() as usize).min(row.len());
    for (b, cell) in row.iter_mut().enumerate().take(last).skip(first) {
        let lo = from.max(b as f64 * bin);
        let hi = to.min((b + 1) as f64 * bin);
        if hi > lo {
            *cell += value * (hi - lo);
        }
    }
}
