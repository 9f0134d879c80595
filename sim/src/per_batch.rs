//! The per-batch engine: every preprocessing batch and every training step is a phase that
//! occupies its processor(s). It is slow (an event per phase) and exists to check the analytic
//! engine against, on small workloads.
//!
//! A group's stream produces batches into a bounded buffer (`buffer_batches` of its first
//! member's batch size). Each consumer reads the stream from where it was when it joined; a
//! batch is freed once every consumer has read it, so the slowest consumer throttles the
//! stream, and a full buffer blocks it. A processor, when free, runs the ready phase it has
//! served least recently (time-sharing by round robin). A gang's step needs all its processors.
//!
//! The loop is generic over a [`Runner`] that carries the phases out: [`SimRunner`] ends each at
//! its modelled duration; the executor (`coprep-exec`) runs them as kernels on real devices and
//! reports what they measured. Both therefore schedule, share and account exactly alike.

use crate::driver::{progress_marks, Driver};
use crate::metrics::{actual_prep_ns, actual_step_ns, beside_run, reference_prep_ns, Measures, ProcTime, Submitted};
use crate::{Engine, RunOptions, SimError};
use coprep_policies::{ClusterState, Event, GroupId, Policy, TaskStatus};
use coprep_traces::planner::{group_leaf_bytes, group_stages};
use coprep_traces::records::{EventRecord, RunRecords};
use coprep_traces::{ns_to_secs, Nanos, Problem};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Work {
    Prep(GroupId),
    Compute(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Phase {
    pub work: Work,
    /// Samples a prep phase produces (a step's batch size for compute).
    pub amount: u64,
    /// The batch's index in its stream, or the step's index.
    pub index: u64,
    /// The processor that started it (a gang's step lists its first processor).
    pub proc: usize,
    /// Prep: the stream position of its first sample. Compute: the position of the first
    /// sample of the task's batch.
    pub position: u64,
}

/// A phase as handed to a runner.
#[derive(Debug, Clone)]
pub struct PhaseOrder {
    pub phase: Phase,
    /// Processors it occupies.
    pub procs: Vec<usize>,
    /// The stream: the group prepared, or the group the task reads.
    pub group: GroupId,
    /// Prep: the consumers that read these samples (their pipelines are what to compute).
    pub readers: Vec<usize>,
    /// Its duration in the model (what a simulated runner takes).
    pub model_ns: f64,
}

/// A phase that ended: how long its processors were busy, and the tasks it failed with why (a
/// step's own task; the consumers of a stream whose pipeline could not be computed).
#[derive(Debug, Clone)]
pub struct Ended {
    pub phase: Phase,
    pub busy_ns: f64,
    pub failures: Vec<(usize, String)>,
}

/// Carries out phases and says when they end.
pub trait Runner {
    /// Begins a phase at `now`.
    fn start(&mut self, order: PhaseOrder, now: Nanos);
    /// Waits until a phase ends or `until` comes (`None`: only for a phase); returns the time
    /// reached and every phase that ended at it.
    fn advance(&mut self, until: Option<Nanos>) -> (Nanos, Vec<Ended>);
    /// True once the run should stop: no new phase starts, the ones running finish.
    fn stop_requested(&self) -> bool {
        false
    }
    /// The group's stream has no consumers left: what holds its samples can go.
    fn stream_closed(&mut self, _group: GroupId) {}
}

/// The simulator's runner: each phase takes its modelled duration.
#[derive(Debug, Default)]
pub struct SimRunner {
    /// (end, sequence, phase, modelled ns as bits: the unrounded duration is what is accounted).
    phases: BinaryHeap<Reverse<(Nanos, u64, Phase, u64)>>,
    seq: u64,
    now: Nanos,
}

impl Runner for SimRunner {
    fn start(&mut self, order: PhaseOrder, now: Nanos) {
        let ns = (order.model_ns.round() as Nanos).max(1);
        self.seq += 1;
        self.now = now;
        self.phases.push(Reverse((now + ns, self.seq, order.phase, order.model_ns.to_bits())));
    }

    fn advance(&mut self, until: Option<Nanos>) -> (Nanos, Vec<Ended>) {
        let next = self.phases.peek().map(|Reverse((t, ..))| *t);
        let at = match (next, until) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(self.now),
        };
        self.now = at;
        let mut ended = Vec::new();
        while self.phases.peek().is_some_and(|Reverse((t, ..))| *t == at) {
            let Reverse((_, _, phase, ns)) = self.phases.pop().expect("peeked");
            ended.push(Ended { phase, busy_ns: f64::from_bits(ns), failures: Vec::new() });
        }
        (at, ended)
    }
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
    /// Batches prepared past `produced` (by position), waiting for an earlier one to end.
    completed: BTreeMap<u64, u64>,
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
    run_with(problem, policy, opts, &mut SimRunner::default(), Engine::PerBatch.name())
}

/// What the loop keeps about the phases it started.
struct Running {
    busy: Vec<Option<Phase>>,
    /// Per prep phase in flight (group, position), its dataset and the stages it computes
    /// (for the work it is credited with).
    prep_stages: BTreeMap<(GroupId, u64), (usize, Vec<usize>)>,
    /// Per task with a step in flight, the processors it runs on (the task may move meanwhile).
    stepping: BTreeMap<usize, Vec<usize>>,
    in_flight: usize,
}

/// The per-batch loop over any runner; `engine` names it in the records.
pub fn run_with(
    problem: &Problem,
    policy: &mut dyn Policy,
    opts: &RunOptions,
    runner: &mut dyn Runner,
    engine: &str,
) -> Result<RunRecords, SimError> {
    beside_run(problem, |submitted| run_beside(problem, policy, opts, runner, engine, submitted))
}

/// [`run_with`], collecting what the records need of the problem alone from `submitted`.
fn run_beside(
    problem: &Problem,
    policy: &mut dyn Policy,
    opts: &RunOptions,
    runner: &mut dyn Runner,
    engine: &str,
    submitted: &mut dyn FnMut() -> Submitted,
) -> Result<RunRecords, SimError> {
    let n = problem.tasks.len();
    let np = problem.processors.len();
    let mut d = Driver::new(problem, opts.record_events);
    let mut streams: BTreeMap<GroupId, Stream> = BTreeMap::new();
    let mut steps_done = vec![0u64; n];
    let mut marks: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut next_mark = vec![0usize; n];
    let mut running =
        Running { busy: vec![None; np], prep_stages: BTreeMap::new(), stepping: BTreeMap::new(), in_flight: 0 };
    let mut last_served: BTreeMap<(usize, Work), Nanos> = BTreeMap::new();
    let mut task_stall = vec![0.0f64; n];
    let mut failed: BTreeMap<usize, String> = BTreeMap::new();
    let mut tally = Tally {
        proc_time: vec![ProcTime::default(); np],
        prep_work: vec![0.0; problem.datasets.len()],
        prep_batches: 0,
        buffer_peak: 0,
        buffer_peak_batches: 0.0,
    };
    let mut now: Nanos = 0;
    let mut stopped = false;
    // Streams the runner has seen a phase of, to tell it when they close.
    let mut opened: BTreeSet<GroupId> = BTreeSet::new();

    loop {
        stopped = stopped || runner.stop_requested();
        // Start what can start, processor by processor.
        for p in 0..np {
            if stopped || running.busy[p].is_some() {
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
            let Some(phase) = pick(problem, &d.state, &streams, &steps_done, &running, &last_served, p) else {
                continue;
            };
            let order = match phase.work {
                Work::Prep(g) => {
                    let dataset = d.state.groups[&g].dataset;
                    let stream = streams.get_mut(&g).expect("stream of a live group");
                    let position = phase.position;
                    let readers = readers(problem, stream, position);
                    let stages = group_stages(problem, &readers);
                    stream.in_flight += phase.amount;
                    *stream.taken.entry(p).or_default() += 1;
                    let model_ns = phase.amount as f64 * actual_prep_ns(problem, dataset, &stages, p);
                    running.prep_stages.insert((g, position), (dataset, stages));
                    PhaseOrder { phase, procs: vec![p], group: g, readers, model_ns }
                }
                Work::Compute(t) => {
                    let procs = d.state.tasks[t].processors.clone();
                    let model_ns = actual_step_ns(problem, t, &procs);
                    let group = d.state.tasks[t].group.expect("running");
                    running.stepping.insert(t, procs.clone());
                    PhaseOrder { phase, procs, group, readers: vec![t], model_ns }
                }
            };
            for &q in &order.procs {
                running.busy[q] = Some(phase);
                last_served.insert((q, phase.work), now);
            }
            running.in_flight += 1;
            record_phase(&mut d, phase, now, true, problem);
            opened.insert(order.group);
            runner.start(order, now);
        }

        let until = if stopped { None } else { d.next_external_time() };
        if running.in_flight == 0 && until.is_none() {
            break;
        }
        let (next, ended) = runner.advance(until);
        let next = next.max(now);
        let dt = (next - now) as f64;
        for (p, time) in tally.proc_time.iter_mut().enumerate() {
            if running.busy[p].is_none() {
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
                if running.busy[procs[0]].is_some_and(|ph| ph.work == Work::Compute(t)) {
                    continue;
                }
                let waiting = procs.iter().filter(|&&p| running.busy[p].is_none()).count() as f64;
                task_stall[t] += dt * waiting / procs.len() as f64;
            }
        }
        now = next;

        for Ended { phase, busy_ns, failures } in ended {
            running.in_flight -= 1;
            record_phase(&mut d, phase, now, false, problem);
            match phase.work {
                Work::Prep(g) => {
                    running.busy[phase.proc] = None;
                    tally.proc_time[phase.proc].prep += busy_ns;
                    tally.prep_batches += 1;
                    if let Some((dataset, stages)) = running.prep_stages.remove(&(g, phase.position)) {
                        tally.prep_work[dataset] += phase.amount as f64 * reference_prep_ns(problem, dataset, &stages);
                    }
                    let Some(stream) = streams.get_mut(&g) else { continue };
                    // Samples are ready once every sample before them is: batches prepared on
                    // several processors may end out of order.
                    stream.completed.insert(phase.position, phase.amount);
                    while let Some(amount) = stream.completed.remove(&stream.produced) {
                        stream.in_flight -= amount;
                        stream.produced += amount;
                    }
                    tally.buffer_peak =
                        tally.buffer_peak.max(buffered_bytes(problem, &d.state, stream, g, &steps_done));
                    let batches = buffered(problem, stream, &steps_done) as f64 / stream.largest as f64;
                    tally.buffer_peak_batches = tally.buffer_peak_batches.max(batches);
                    for (t, message) in failures {
                        let applied = fail(&mut d, policy, &mut streams, &mut failed, t, &message, now)?;
                        on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
                    }
                }
                Work::Compute(t) => {
                    // The processors that ran it: the task may have been moved meanwhile.
                    for q in running.stepping.remove(&t).unwrap_or_default() {
                        running.busy[q] = None;
                        tally.proc_time[q].compute += busy_ns;
                    }
                    if !failures.is_empty() {
                        for (t, message) in failures {
                            let applied = fail(&mut d, policy, &mut streams, &mut failed, t, &message, now)?;
                            on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
                        }
                        continue;
                    }
                    steps_done[t] += 1;
                    d.state.set_steps_done(problem, t, now, steps_done[t] as f64);
                    let task = &problem.tasks[t];
                    if steps_done[t] == task.steps {
                        let applied = leave(&mut d, policy, &mut streams, t, now)?;
                        on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
                    } else if marks[t].get(next_mark[t]) == Some(&steps_done[t]) {
                        next_mark[t] += 1;
                        let time = ns_to_secs(now);
                        let done = steps_done[t];
                        d.record(|| EventRecord::Progress { time, task: task.id.clone(), steps_done: done });
                        let measured_step_ns = busy_ns;
                        let applied =
                            d.call(policy, &Event::Progress { task: t, steps_done: done, measured_step_ns }, now)?;
                        on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
                    }
                }
            }
        }
        if !stopped {
            while let Some(e) = d.pop_external(now) {
                let applied = d.external(policy, e, now)?;
                on_start(problem, &d.state, &applied.started, &mut streams, &mut marks);
            }
        }
        opened.retain(|g| {
            let live = streams.contains_key(g);
            if !live {
                runner.stream_closed(*g);
            }
            live
        });
        if d.all_done() && running.in_flight == 0 {
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
        failed,
        stopped,
    };
    d.conclude(policy, engine, opts, now, measures, submitted)
}

/// Ends a task that failed: it releases its processors like a finished one (the policy is told
/// it finished) and its record says why.
fn fail(
    d: &mut Driver,
    policy: &mut dyn Policy,
    streams: &mut BTreeMap<GroupId, Stream>,
    failed: &mut BTreeMap<usize, String>,
    t: usize,
    message: &str,
    now: Nanos,
) -> Result<crate::driver::Applied, SimError> {
    if d.state.tasks[t].status == TaskStatus::Done {
        return Ok(Default::default());
    }
    failed.insert(t, message.to_string());
    leave(d, policy, streams, t, now)
}

/// A task is done with its stream (finished, or failed): it stops reading, and the stream goes
/// with its group's last consumer.
fn leave(
    d: &mut Driver,
    policy: &mut dyn Policy,
    streams: &mut BTreeMap<GroupId, Stream>,
    t: usize,
    now: Nanos,
) -> Result<crate::driver::Applied, SimError> {
    let group = d.state.tasks[t].group.expect("running");
    let applied = d.finish(policy, t, now)?;
    if let Some(s) = streams.get_mut(&group) {
        s.offsets.remove(&t);
    }
    if !d.state.groups.contains_key(&group) {
        streams.remove(&group);
    }
    Ok(applied)
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
    let leaf_bytes = group_leaf_bytes(problem, members);
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
    running: &Running,
    last_served: &BTreeMap<(usize, Work), Nanos>,
    p: usize,
) -> Option<Phase> {
    let busy = &running.busy;
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
        ready.push(Phase { work: Work::Prep(g), amount, index: ahead / stream.chunk, proc: p, position: ahead });
    }
    for &t in &state.processors[p].tasks {
        let ts = &state.tasks[t];
        // A task moved during a step still has that step running where it was: it takes its
        // next step only once that one ends (else it would run two at once, and the first to
        // end would free the wrong processors).
        let stepping = running.stepping.contains_key(&t);
        if ts.status != TaskStatus::Running || stepping || ts.processors.iter().any(|&q| busy[q].is_some()) {
            continue;
        }
        let g = ts.group.expect("running");
        let Some(stream) = streams.get(&g) else {
            continue;
        };
        let position = read_upto(problem, stream, t, steps_done);
        let next_end = position + problem.tasks[t].batch_size as u64;
        if stream.produced >= next_end {
            ready.push(Phase {
                work: Work::Compute(t),
                amount: problem.tasks[t].batch_size as u64,
                index: steps_done[t],
                proc: ts.processors[0],
                position,
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
