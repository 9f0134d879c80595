//! The per-batch engine: every preprocessing batch and every training step is a phase that
//! occupies its processor(s). It is slow (an event per phase) and exists to check the analytic
//! engine against, on small workloads.
//!
//! A group's stream produces batches into a bounded buffer (`buffer_batches` of its first
//! member's batch size). Each consumer reads the stream from where it was when it joined; a
//! batch is freed once every consumer has read it, so the slowest consumer throttles the
//! stream, and a full buffer blocks it. A processor, when free, runs the ready phase it has
//! served least recently (time-sharing by round robin). A gang's step needs all its processors.

use crate::driver::{progress_marks, Driver};
use crate::metrics::{actual_prep_ns, actual_step_ns, reference_prep_ns, Measures, ProcTime};
use crate::{Engine, RunOptions, SimError};
use coprep_policies::{ClusterState, Event, GroupId, Policy, TaskStatus};
use coprep_traces::planner::{group_stages, PrefixTree};
use coprep_traces::records::{EventRecord, RunRecords};
use coprep_traces::{ns_to_secs, Nanos, Problem};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Work {
    Prep(GroupId),
    Compute(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Phase {
    work: Work,
    /// Samples a prep phase produces (a step's index for compute).
    amount: u64,
    /// The batch's index in its stream, or the step's index.
    index: u64,
    /// The processor that started it (a gang's step lists its first processor).
    proc: usize,
}

#[derive(Debug, Default)]
pub struct Stream {
    /// Batch size of the stream: its first consumer's.
    chunk: u64,
    /// The largest batch any consumer of the stream has had: the buffer holds
    /// `buffer_batches` of these (it never shrinks under what it already holds).
    largest: u64,
    produced: u64,
    in_flight: u64,
    /// Position in the stream where each consumer started reading.
    offsets: BTreeMap<usize, u64>,
    /// Batches each prep processor has taken under the current shares, for keeping to them.
    taken: BTreeMap<usize, u64>,
    /// The shares `taken` counts against; a new placement starts the count afresh.
    shares: Vec<(usize, f64)>,
}

/// Counters for one run.
struct Tally {
    proc_time: Vec<ProcTime>,
    prep_work: Vec<f64>,
    prep_batches: u64,
    buffer_peak: u64,
    buffer_peak_batches: f64,
}

pub fn run(problem: &Problem, policy: &mut dyn Policy, opts: &RunOptions) -> Result<RunRecords, SimError> {
    let n = problem.tasks.len();
    let np = problem.processors.len();
    let mut d = Driver::new(problem, opts.record_events);
    let mut streams: BTreeMap<GroupId, Stream> = BTreeMap::new();
    let mut steps_done = vec![0u64; n];
    let mut marks: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut next_mark = vec![0usize; n];
    let mut busy: Vec<Option<Phase>> = vec![None; np];
    let mut last_served: BTreeMap<(usize, Work), Nanos> = BTreeMap::new();
    let mut phases: BinaryHeap<Reverse<(Nanos, u64, Phase)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut task_stall = vec![0.0f64; n];
    let mut tally = Tally {
        proc_time: vec![ProcTime::default(); np],
        prep_work: vec![0.0; problem.datasets.len()],
        prep_batches: 0,
        buffer_peak: 0,
        buffer_peak_batches: 0.0,
    };
    let mut now: Nanos = 0;

    loop {
        // Start what can start, processor by processor.
        for p in 0..np {
            if busy[p].is_some() {
                continue;
            }
            for (g, stream) in streams.iter_mut() {
                if let Some(group) = d.state.groups.get(g) {
                    if stream.shares != group.prep {
                        stream.shares = group.prep.clone();
                        stream.taken.clear();
                    }
                }
            }
            let Some(phase) = pick(problem, &d.state, &streams, &steps_done, &busy, &last_served, p) else {
                continue;
            };
            let (procs, duration) = match phase.work {
                Work::Prep(g) => {
                    let dataset = d.state.groups[&g].dataset;
                    let stream = streams.get_mut(&g).expect("stream of a live group");
                    let stages = group_stages(problem, &readers(problem, stream, stream.produced + stream.in_flight));
                    stream.in_flight += phase.amount;
                    *stream.taken.entry(p).or_default() += 1;
                    let ns = phase.amount as f64 * actual_prep_ns(problem, dataset, &stages, p);
                    tally.proc_time[p].prep += ns;
                    tally.prep_work[dataset] += phase.amount as f64 * reference_prep_ns(problem, dataset, &stages);
                    tally.prep_batches += 1;
                    (vec![p], ns)
                }
                Work::Compute(t) => {
                    let procs = d.state.tasks[t].processors.clone();
                    let ns = actual_step_ns(problem, t, &procs);
                    for &q in &procs {
                        tally.proc_time[q].compute += ns;
                    }
                    (procs, ns)
                }
            };
            let end = now + (duration.round() as Nanos).max(1);
            for &q in &procs {
                busy[q] = Some(phase);
                last_served.insert((q, phase.work), now);
            }
            seq += 1;
            phases.push(Reverse((end, seq, phase)));
            record_phase(&mut d, phase, now, true, problem);
        }

        let next_phase = phases.peek().map(|Reverse((t, _, _))| *t);
        let next = match (next_phase, d.next_external_time()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => break,
            },
        };
        let dt = (next - now) as f64;
        for (p, time) in tally.proc_time.iter_mut().enumerate() {
            if busy[p].is_none() {
                if d.state.processors[p].tasks.is_empty() {
                    time.idle += dt;
                } else {
                    time.stall += dt;
                }
            }
        }
        // A task waits for data while it is not computing and some processor of its is idle.
        for g in d.state.groups.values() {
            for &t in &g.members {
                let procs = &d.state.tasks[t].processors;
                if busy[procs[0]].is_some_and(|ph| ph.work == Work::Compute(t)) {
                    continue;
                }
                let waiting = procs.iter().filter(|&&p| busy[p].is_none()).count() as f64;
                task_stall[t] += dt * waiting / procs.len() as f64;
            }
        }
        now = next;

        while let Some(Reverse((t, _, _))) = phases.peek() {
            if *t != now {
                break;
            }
            let Reverse((_, _, phase)) = phases.pop().expect("peeked");
            record_phase(&mut d, phase, now, false, problem);
            match phase.work {
                Work::Prep(g) => {
                    busy[phase.proc] = None;
                    if let Some(stream) = streams.get_mut(&g) {
                        stream.in_flight -= phase.amount;
                        stream.produced += phase.amount;
                        tally.buffer_peak =
                            tally.buffer_peak.max(buffered_bytes(problem, &d.state, stream, g, &steps_done));
                        let batches = buffered(problem, stream, &steps_done) as f64 / stream.largest as f64;
                        tally.buffer_peak_batches = tally.buffer_peak_batches.max(batches);
                    }
                }
                Work::Compute(t) => {
                    for &q in &d.state.tasks[t].processors {
                        busy[q] = None;
                    }
                    steps_done[t] += 1;
                    d.state.tasks[t].steps_done = steps_done[t] as f64;
                    let task = &problem.tasks[t];
                    if steps_done[t] == task.steps {
                        let group = d.state.tasks[t].group.expect("running");
                        let applied = d.finish(policy, t, now)?;
                        if let Some(s) = streams.get_mut(&group) {
                            s.offsets.remove(&t);
                        }
                        if !d.state.groups.contains_key(&group) {
                            streams.remove(&group);
                        }
                        on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
                    } else if marks[t].get(next_mark[t]) == Some(&steps_done[t]) {
                        next_mark[t] += 1;
                        let time = ns_to_secs(now);
                        let done = steps_done[t];
                        d.record(|| EventRecord::Progress { time, task: task.id.clone(), steps_done: done });
                        let measured_step_ns = actual_step_ns(problem, t, &d.state.tasks[t].processors);
                        let applied =
                            d.call(policy, &Event::Progress { task: t, steps_done: done, measured_step_ns }, now)?;
                        on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
                    }
                }
            }
        }
        while let Some(e) = d.pop_external(now) {
            let applied = d.external(policy, e, now)?;
            on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
        }
        if d.all_done() {
            break;
        }
    }
    let measures = Measures {
        proc_time: tally.proc_time,
        task_stall_ns: task_stall,
        prep_work_ns: tally.prep_work,
        prep_batches: tally.prep_batches,
        buffer_peak_bytes: tally.buffer_peak,
        buffer_peak_batches: tally.buffer_peak_batches,
    };
    d.conclude(policy, Engine::PerBatch, opts, now, measures)
}

/// New consumers start reading their group's stream where its production stands.
fn on_start(
    problem: &Problem,
    state: &ClusterState,
    started: &[usize],
    streams: &mut BTreeMap<GroupId, Stream>,
    marks: &mut [Vec<u64>],
) {
    for &t in started {
        marks[t] = progress_marks(problem.tasks[t].steps);
        let g = state.tasks[t].group.expect("started");
        let stream = streams
            .entry(g)
            .or_insert_with(|| Stream { chunk: problem.tasks[t].batch_size as u64, ..Stream::default() });
        // A new consumer reads from the first batch not yet started: batches in flight were
        // begun with the stages of the consumers before it.
        let at = stream.produced + stream.in_flight;
        stream.offsets.insert(t, at);
        stream.largest = stream.largest.max(problem.tasks[t].batch_size as u64);
    }
}

/// The consumers that will read the sample at `position` of the stream.
fn readers(problem: &Problem, stream: &Stream, position: u64) -> Vec<usize> {
    stream
        .offsets
        .iter()
        .filter(|(&t, &o)| o <= position && position < o + problem.tasks[t].samples() as u64)
        .map(|(&t, _)| t)
        .collect()
}

/// Samples a consumer has read from its stream's start.
fn read_upto(problem: &Problem, stream: &Stream, t: usize, steps_done: &[u64]) -> u64 {
    stream.offsets[&t] + steps_done[t] * problem.tasks[t].batch_size as u64
}

/// Samples in the buffer: produced, not yet read by every consumer.
fn buffered(problem: &Problem, stream: &Stream, steps_done: &[u64]) -> u64 {
    let oldest =
        stream.offsets.keys().map(|&t| read_upto(problem, stream, t, steps_done)).min().unwrap_or(stream.produced);
    stream.produced - oldest.min(stream.produced)
}

fn buffered_bytes(problem: &Problem, state: &ClusterState, stream: &Stream, g: GroupId, steps_done: &[u64]) -> u64 {
    let members = &state.groups[&g].members;
    let tree = PrefixTree::build(problem, members);
    let leaf_bytes: u64 =
        tree.nodes.iter().filter(|n| n.children.is_empty()).map(|n| problem.stages[n.stage].out_bytes).sum();
    buffered(problem, stream, steps_done) * leaf_bytes
}

/// The buffer capacity of a stream in samples: `buffer_batches` of its largest consumer batch
/// (a smaller capacity could never hold that consumer's next batch whole).
pub fn capacity(problem: &Problem, stream: &Stream) -> u64 {
    problem.buffer_batches as u64 * stream.largest
}

/// The ready phase processor `p` has served least recently, if any.
fn pick(
    problem: &Problem,
    state: &ClusterState,
    streams: &BTreeMap<GroupId, Stream>,
    steps_done: &[u64],
    busy: &[Option<Phase>],
    last_served: &BTreeMap<(usize, Work), Nanos>,
    p: usize,
) -> Option<Phase> {
    let mut ready: Vec<Phase> = Vec::new();
    for &g in &state.processors[p].prep_groups {
        let (Some(group), Some(stream)) = (state.groups.get(&g), streams.get(&g)) else {
            continue;
        };
        let need =
            stream.offsets.keys().map(|&t| stream.offsets[&t] + problem.tasks[t].samples() as u64).max().unwrap_or(0);
        let ahead = stream.produced + stream.in_flight;
        if ahead >= need {
            continue;
        }
        // A batch never straddles the start or end of a consumer's reading window, so that
        // every sample in it goes through exactly the stages of the consumers that read it.
        let boundary = stream
            .offsets
            .iter()
            .flat_map(|(&t, &o)| [o, o + problem.tasks[t].samples() as u64])
            .filter(|&b| b > ahead)
            .min()
            .unwrap_or(need);
        // A batch is cut short to fill the buffer exactly: capacity holds the largest consumer
        // batch, so the consumer furthest behind can always have its next batch completed.
        let room = capacity(problem, stream).saturating_sub(buffered(problem, stream, steps_done) + stream.in_flight);
        let amount = stream.chunk.min(boundary - ahead).min(room);
        if amount == 0 {
            continue;
        }
        // Keep to the shares, give or take one batch: a processor takes a batch unless it is
        // already a whole batch ahead of its share (a strict rotation would leave batches
        // waiting for a busy owner while another processor idles).
        let share = group.prep.iter().find(|s| s.0 == p).map_or(0.0, |s| s.1);
        let total: u64 = stream.taken.values().sum::<u64>() + 1;
        if stream.taken.get(&p).copied().unwrap_or(0) as f64 > share * total as f64 + 1.0 {
            continue;
        }
        ready.push(Phase { work: Work::Prep(g), amount, index: ahead / stream.chunk, proc: p });
    }
    for &t in &state.processors[p].tasks {
        let ts = &state.tasks[t];
        if ts.status != TaskStatus::Running || ts.processors.iter().any(|&q| busy[q].is_some()) {
            continue;
        }
        let g = ts.group.expect("running");
        let Some(stream) = streams.get(&g) else {
            continue;
        };
        let next_end = read_upto(problem, stream, t, steps_done) + problem.tasks[t].batch_size as u64;
        if stream.produced >= next_end {
            ready.push(Phase {
                work: Work::Compute(t),
                amount: problem.tasks[t].batch_size as u64,
                index: steps_done[t],
                proc: ts.processors[0],
            });
        }
    }
    ready.into_iter().min_by_key(|ph| (last_served.get(&(p, ph.work)).copied().map_or(0, |t| t + 1), ph.work))
}

fn record_phase(d: &mut Driver, phase: Phase, now: Nanos, start: bool, problem: &Problem) {
    if !d.record_events {
        return;
    }
    let time = ns_to_secs(now);
    let batch = phase.index;
    let (name, task, group, procs) = match phase.work {
        Work::Prep(g) => ("prep", None, g, vec![phase.proc]),
        Work::Compute(t) => {
            let state = &d.state.tasks[t];
            ("compute", Some(problem.tasks[t].id.clone()), state.group.unwrap_or(0), state.processors.clone())
        }
    };
    let processors = procs.iter().map(|&p| problem.processors[p].id.clone()).collect();
    let phase = name.to_string();
    d.events.push(if start {
        EventRecord::PhaseStarted { time, processors, phase, task, group, batch }
    } else {
        EventRecord::PhaseFinished { time, processors, phase, task, group, batch }
    });
}
