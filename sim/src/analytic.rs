//! The analytic engine. Between two decision points nothing changes, so instead of simulating
//! batches it solves the pace of every running group (see `rates`) and jumps to the next event:
//! a completion, a progress report, an arrival, a timer or the end of a move. A job of millions
//! of steps costs a handful of events.
//!
//! It is incremental, so that an event costs about the same however many tasks the trace holds
//! and however many run at once:
//! - progress is kept as (value at a time, rate): a task's samples read, a group's samples
//!   produced, a processor's busy and spare time are brought up to date only when their rate
//!   changes or they are read, never swept at every event;
//! - the time each task next has something to report sits in a heap with one entry per task,
//!   moved in place when its pace changes (see `indexed_heap`);
//! - after an instant, only the groups it touched have their demand rebuilt, and only the
//!   processors connected to them (through groups sharing processors) have their pace solved.
//!
//! Because a quantity is only re-based when its rate changes, events that change nothing (a
//! progress report the policy ignores) leave every number bit-for-bit as it would have been.
//!
//! Buffers: within a steady segment every consumer of a group reads at the group's pace, so a
//! buffer's level only moves during the few batches after a change; the engine does not follow
//! those transients and reports as buffer peak the bound where every live group's buffer is full.
//! The per-batch engine follows every batch and is the reference this engine is tested against.

use crate::driver::{progress_marks, Applied, Driver, External};
use crate::indexed_heap::IndexedHeap;
use crate::metrics::{actual_step_ns, beside_run, reference_prep_ns, Measures, ProcTime, Submitted};
use crate::rates::{alone, Demand, Solver};
use crate::{Engine, RunOptions, SimError};
use coprep_policies::id_table::IdTable;
use coprep_policies::{Event, GroupId, Policy, TaskStatus};
use coprep_traces::planner::group_leaf_bytes;
use coprep_traces::records::{EventRecord, RunRecords};
use coprep_traces::{ns_to_secs, Nanos, Problem};

pub fn run(problem: &Problem, policy: &mut dyn Policy, opts: &RunOptions) -> Result<RunRecords, SimError> {
    beside_run(problem, |submitted| run_beside(problem, policy, opts, submitted))
}

/// [`run`], collecting what the records need of the problem alone from `submitted`.
fn run_beside(
    problem: &Problem,
    policy: &mut dyn Policy,
    opts: &RunOptions,
    submitted: &mut dyn FnMut() -> Submitted,
) -> Result<RunRecords, SimError> {
    let mut d = Driver::new(problem, opts.record_events);
    let mut a = Analytic::new(problem, policy.wants_progress());
    let mut now: Nanos = 0;
    loop {
        let next = match (a.next_due(&d), d.next_external_time()) {
            (Some(x), Some(y)) => x.min(y),
            (x, y) => match x.or(y) {
                Some(t) => t,
                None => break,
            },
        };
        now = next;

        // Internal events due now (completions and progress reports), by task index.
        while let Some(t) = a.pop_due(&d, now) {
            let group = d.state.tasks[t].group.expect("running");
            if a.next_mark[t] < a.marks[t].len() {
                let steps_done = a.marks[t][a.next_mark[t]];
                a.next_mark[t] += 1;
                let time = ns_to_secs(now);
                d.record(|| EventRecord::Progress { time, task: problem.tasks[t].id.clone(), steps_done });
                let measured_step_ns = actual_step_ns(problem, t, &d.state.tasks[t].processors);
                a.schedule(&d, t);
                let applied = d.call(policy, &Event::Progress { task: t, steps_done, measured_step_ns }, now)?;
                a.note(&d, &applied, now);
            } else {
                a.close_stall(t, &d.state.tasks[t].processors, now);
                a.settle_group(group, now);
                a.dirty.push(group);
                a.membership_changed = true;
                let applied = d.finish(policy, t, now)?;
                if !d.state.groups.contains_key(&group) {
                    let pace = a.groups.get(&group).expect("tracked");
                    a.prep_batches += (pace.produced / pace.batch as f64).ceil() as u64;
                }
                a.note(&d, &applied, now);
            }
        }
        while let Some(e) = d.pop_external(now) {
            let applied = d.external(policy, e, now)?;
            if let External::MoveDone(task) = e {
                a.dirty.push(d.state.tasks[task].group.expect("moved tasks run"));
            }
            a.note(&d, &applied, now);
        }
        if !a.dirty.is_empty() {
            a.repace(&mut d, now);
        }
        if d.all_done() {
            break;
        }
    }
    for p in 0..problem.processors.len() {
        a.settle_processor(p, now);
    }
    let buffer_peak_batches = if d.groups_opened > 0 { problem.buffer_batches as f64 } else { 0.0 };
    let measures = Measures {
        proc_time: a.procs.iter().map(|p| p.time).collect(),
        task_stall_ns: a.task_stall,
        prep_work_ns: a.prep_work,
        prep_batches: a.prep_batches,
        buffer_peak_bytes: a.buffer_peak,
        buffer_peak_batches,
        failed: Default::default(),
        stopped: false,
    };
    d.conclude(policy, Engine::Analytic.name(), opts, now, measures, submitted)
}

/// A live group's pace and what it asks of each processor.
struct GroupPace {
    /// Samples per nanosecond (0 while a member migrates: the group waits).
    rate: f64,
    waiting: bool,
    /// Nanoseconds per sample on each processor: consumers' compute plus preprocessing shares.
    demand: Demand,
    /// The compute part of `demand`.
    compute: Demand,
    dataset: usize,
    /// Reference preprocessing nanoseconds per sample (for the work done).
    reference_prep: f64,
    /// Bytes its buffer holds when full.
    buffer_bytes: u64,
    /// Samples produced up to `since`, and the largest member batch (batches count in it).
    produced: f64,
    batch: u32,
    since: Nanos,
    /// The component search's stamp when it last reached this group.
    seen: u64,
}

/// A processor's time, up to `since`, and what it does from there.
#[derive(Clone, Copy, Default)]
struct ProcClock {
    time: ProcTime,
    /// Spare (not busy) nanoseconds up to `since`: a task's stall is the spare time of its
    /// processors while it holds them.
    spare: f64,
    since: Nanos,
    compute_util: f64,
    prep_util: f64,
    /// Whether it held a task over the current interval (spare time is then a stall, not idle).
    held: bool,
}

impl ProcClock {
    fn busy(&self) -> f64 {
        (self.compute_util + self.prep_util).min(1.0)
    }

    fn spare_at(&self, now: Nanos) -> f64 {
        self.spare + (1.0 - self.busy()) * now.saturating_sub(self.since) as f64
    }
}

struct Analytic<'a> {
    problem: &'a Problem,
    wants_progress: bool,
    marks: Vec<Vec<u64>>,
    next_mark: Vec<usize>,
    /// When each running task next reports.
    due: IndexedHeap<Nanos>,
    task_stall: Vec<f64>,
    /// Per task: the spare time of its processors when its stall began to be measured (on
    /// the processors it holds; a move measures afresh).
    stall_from: Vec<f64>,
    procs: Vec<ProcClock>,
    /// Live groups by id (looked up several times per group per instant: indexed).
    groups: IdTable<GroupPace>,
    /// Per processor, the running (not waiting) groups whose demand uses it.
    groups_on: Vec<Vec<GroupId>>,
    prep_work: Vec<f64>,
    buffer_total: u64,
    buffer_peak: u64,
    prep_batches: u64,
    /// Groups an instant touched: their demand is rebuilt and their component re-solved.
    /// (A few per instant, with repeats: a vector sorted once at the end of the instant costs
    /// less than a tree's node per insert.)
    dirty: Vec<GroupId>,
    membership_changed: bool,
    /// Scratch for the component search: the stamp a processor was last visited with.
    visited: Vec<u64>,
    stamp: u64,
    /// The running groups and their paces (samples per second) as last recorded.
    recorded: Vec<(GroupId, f64)>,
    /// Scratch for `repace`: processors to visit, those visited, the groups on them.
    frontier: Vec<usize>,
    procs_seen: Vec<usize>,
    ids_seen: Vec<GroupId>,
    /// Scratch for solving paces: the groups' demands on the visited processors, the solver's
    /// buffers, and the rates it found.
    local: Vec<Demand>,
    solver: Solver,
    rates: Vec<f64>,
}

impl<'a> Analytic<'a> {
    fn new(problem: &'a Problem, wants_progress: bool) -> Self {
        let (n, np) = (problem.tasks.len(), problem.processors.len());
        Analytic {
            problem,
            wants_progress,
            marks: vec![Vec::new(); n],
            next_mark: vec![0; n],
            due: IndexedHeap::new(n),
            task_stall: vec![0.0; n],
            stall_from: vec![0.0; n],
            procs: vec![ProcClock::default(); np],
            groups: IdTable::default(),
            groups_on: vec![Vec::new(); np],
            prep_work: vec![0.0; problem.datasets.len()],
            buffer_total: 0,
            buffer_peak: 0,
            prep_batches: 0,
            dirty: Vec::new(),
            membership_changed: false,
            visited: vec![0; np],
            stamp: 0,
            recorded: Vec::new(),
            frontier: Vec::new(),
            procs_seen: Vec::new(),
            ids_seen: Vec::new(),
            local: Vec::new(),
            solver: Solver::default(),
            rates: Vec::new(),
        }
    }

    /// Samples read when `task` next has something to report: a progress mark or its end.
    fn target(&self, task: usize) -> f64 {
        let t = &self.problem.tasks[task];
        match self.marks[task].get(self.next_mark[task]) {
            Some(&m) => (m * t.batch_size as u64) as f64,
            None => t.samples(),
        }
    }

    /// The earliest internal event (dropping any entry of a task no longer running).
    fn next_due(&mut self, d: &Driver) -> Option<Nanos> {
        while let Some((at, task)) = self.due.peek() {
            if matches!(d.state.tasks[task].status, TaskStatus::Running | TaskStatus::Migrating) {
                return Some(at);
            }
            self.due.remove(task);
        }
        None
    }

    /// The next task due at `now`, lowest index first.
    fn pop_due(&mut self, d: &Driver, now: Nanos) -> Option<usize> {
        if self.next_due(d)? > now {
            return None;
        }
        self.due.pop().map(|(_, task)| task)
    }

    /// Puts `task`'s next report on the heap: when its reading, growing from where its steps
    /// were last re-based, reaches the target (nothing while its group waits).
    fn schedule(&mut self, d: &Driver, task: usize) {
        let state = &d.state.tasks[task];
        if state.steps_per_ns > 0.0 {
            let batch = self.problem.tasks[task].batch_size as f64;
            let need = (self.target(task) / batch - state.steps_done).max(0.0);
            let at = state.steps_since + (need / state.steps_per_ns).ceil() as Nanos;
            self.due.set(task, at);
        } else {
            self.due.remove(task);
        }
    }

    /// Brings a group's production (and the preprocessing work it cost) up to `now`.
    fn settle_group(&mut self, g: GroupId, now: Nanos) {
        if let Some(pace) = self.groups.get_mut(&g) {
            let samples = pace.rate * now.saturating_sub(pace.since) as f64;
            pace.produced += samples;
            pace.since = now;
            self.prep_work[pace.dataset] += samples * pace.reference_prep;
        }
    }

    /// Brings a processor's time accounts up to `now`.
    fn settle_processor(&mut self, p: usize, now: Nanos) {
        let clock = &mut self.procs[p];
        let dt = now.saturating_sub(clock.since) as f64;
        if dt > 0.0 {
            let spare = (1.0 - clock.busy()) * dt;
            clock.time.compute += clock.compute_util * dt;
            clock.time.prep += clock.prep_util * dt;
            if clock.held {
                clock.time.stall += spare;
            } else {
                clock.time.idle += spare;
            }
            clock.spare += spare;
        }
        clock.since = now;
    }

    /// Starts measuring `task`'s stall on its current processors.
    fn open_stall(&mut self, d: &Driver, task: usize, now: Nanos) {
        self.stall_from[task] = self.spare_on(&d.state.tasks[task].processors, now);
    }

    /// Adds the stall `task` has had on `procs` since it was last opened there.
    fn close_stall(&mut self, task: usize, procs: &[usize], now: Nanos) {
        if !procs.is_empty() {
            let spare = self.spare_on(procs, now);
            self.task_stall[task] += (spare - self.stall_from[task]) / procs.len() as f64;
        }
    }

    /// The spare time of `procs` summed, as of `now`.
    fn spare_on(&self, procs: &[usize], now: Nanos) -> f64 {
        procs.iter().map(|&p| self.procs[p].spare_at(now)).sum()
    }

    /// Takes note of what a policy's decisions changed.
    fn note(&mut self, d: &Driver, applied: &Applied, now: Nanos) {
        for &t in &applied.started {
            let group = d.state.tasks[t].group.expect("started tasks have a group");
            if self.wants_progress {
                self.marks[t] = progress_marks(self.problem.tasks[t].steps);
            }
            self.open_stall(d, t, now);
            self.dirty.push(group);
            self.membership_changed = true;
        }
        for (t, left) in &applied.moved {
            let t = *t;
            self.close_stall(t, left, now);
            self.open_stall(d, t, now);
            self.dirty.push(d.state.tasks[t].group.expect("moved tasks run"));
        }
        self.dirty.extend(applied.prep_placed.iter().copied());
    }

    /// Rebuilds the demand of the groups the instant touched and solves the pace again over
    /// every processor connected to them.
    fn repace(&mut self, d: &mut Driver, now: Nanos) {
        let problem = self.problem;
        self.stamp += 1;
        let stamp = self.stamp;
        let mut frontier = std::mem::take(&mut self.frontier);
        frontier.clear();
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        for &g in &dirty {
            self.settle_group(g, now);
            let old = self.groups.remove(&g);
            if let Some(old) = &old {
                for &(p, _) in &old.demand {
                    self.groups_on[p].retain(|&x| x != g);
                    frontier.push(p);
                }
                self.buffer_total -= old.buffer_bytes;
            }
            let Some(group) = d.state.groups.get(&g) else {
                // Ended: its last member's processors were in its demand.
                continue;
            };
            let carried = old.as_ref().map(|o| (o.produced, o.batch));
            let mut pace = group_pace(problem, d, g, now, old);
            if let Some((produced, batch)) = carried {
                pace.produced = produced;
                pace.batch = pace.batch.max(batch);
            }
            for &(p, _) in &pace.demand {
                if !pace.waiting {
                    self.groups_on[p].push(g);
                }
                frontier.push(p);
            }
            frontier.extend(group.members.iter().flat_map(|&t| d.state.tasks[t].processors.iter().copied()));
            self.buffer_total += pace.buffer_bytes;
            self.groups.insert(g, pace);
        }
        if std::mem::take(&mut self.membership_changed) {
            self.buffer_peak = self.buffer_peak.max(self.buffer_total);
        }

        // The connected processors, and the running groups on them.
        let (mut procs, mut ids) = (std::mem::take(&mut self.procs_seen), std::mem::take(&mut self.ids_seen));
        procs.clear();
        ids.clear();
        while let Some(p) = frontier.pop() {
            if self.visited[p] == stamp {
                continue;
            }
            self.visited[p] = stamp;
            procs.push(p);
            for &g in &self.groups_on[p] {
                let pace = self.groups.get_mut(&g).expect("running groups are tracked");
                if pace.seen != stamp {
                    pace.seen = stamp;
                    ids.push(g);
                    frontier.extend(pace.demand.iter().map(|&(q, _)| q));
                }
            }
        }
        procs.sort_unstable();
        ids.sort_unstable();
        let mut rates = std::mem::take(&mut self.rates);
        rates.clear();
        match ids[..] {
            // A group alone on its processors (the usual case where streams are kept apart).
            [g] => rates.push(alone(&self.groups[&g].demand)),
            _ => {
                // The groups' demands renumbered onto the visited processors, in buffers kept.
                if self.local.len() < ids.len() {
                    self.local.resize_with(ids.len(), Vec::new);
                }
                for (local, g) in self.local.iter_mut().zip(&ids) {
                    local.clear();
                    let demand = &self.groups[g].demand;
                    local.extend(demand.iter().map(|&(p, a)| (procs.binary_search(&p).expect("visited"), a)));
                }
                rates.extend_from_slice(self.solver.solve(&self.local[..ids.len()], procs.len()).0);
            }
        }

        for &p in &procs {
            self.settle_processor(p, now);
            let clock = &mut self.procs[p];
            clock.compute_util = 0.0;
            clock.prep_util = 0.0;
            clock.held = !d.state.processors[p].tasks.is_empty();
        }
        let mut changed = false;
        for (k, g) in ids.iter().enumerate() {
            let rate = rates[k];
            let was = self.groups[g].rate;
            if was != rate || dirty.binary_search(g).is_ok() {
                changed |= was != rate;
                self.settle_group(*g, now);
                self.groups.get_mut(g).expect("live").rate = rate;
                // Re-base the members' steps at the new pace and reschedule them.
                d.state.set_group_pace(problem, *g, now, rate);
                for &t in &d.state.groups[g].members {
                    self.schedule(d, t);
                }
            }
            let pace = &self.groups[g];
            for &(p, a) in &pace.demand {
                self.procs[p].prep_util += rate * a;
            }
            for &(p, a) in &pace.compute {
                self.procs[p].compute_util += rate * a;
                self.procs[p].prep_util -= rate * a;
            }
        }
        // Groups that wait make no progress until they run again.
        for g in &dirty {
            if self.groups.get(g).is_some_and(|p| p.waiting) {
                d.state.set_group_pace(problem, *g, now, 0.0);
                for &t in &d.state.groups[g].members {
                    self.due.remove(t);
                }
            }
        }
        for &p in &procs {
            let clock = &mut self.procs[p];
            clock.prep_util = clock.prep_util.max(0.0);
        }
        if d.record_events && (changed || !dirty.is_empty()) {
            // Recorded when the set of running groups or a pace differs from the last record.
            let mut groups: Vec<(GroupId, f64)> =
                self.groups.iter().filter(|(_, p)| !p.waiting).map(|(&g, p)| (g, p.rate * 1e9)).collect();
            groups.sort_unstable_by_key(|g| g.0);
            if groups != self.recorded {
                let time = ns_to_secs(now);
                let utilisation: Vec<f64> = self.procs.iter().map(|c| c.compute_util + c.prep_util).collect();
                self.recorded.clone_from(&groups);
                d.record(|| EventRecord::Rates { time, groups, utilisation });
            }
        }
        dirty.clear();
        (self.frontier, self.procs_seen, self.ids_seen, self.dirty, self.rates) = (frontier, procs, ids, dirty, rates);
    }
}

/// A group's demand as it stands: a group with a member on the move waits. `old` is the pace
/// it replaces, whose buffers it takes over.
fn group_pace(problem: &Problem, d: &Driver, g: GroupId, now: Nanos, old: Option<GroupPace>) -> GroupPace {
    let group = &d.state.groups[&g];
    let waiting = group.members.iter().any(|&t| d.state.tasks[t].status == TaskStatus::Migrating);
    let (mut compute, mut demand) = old.map_or_else(Default::default, |o| (o.compute, o.demand));
    compute.clear();
    for &t in &group.members {
        let procs = &d.state.tasks[t].processors;
        let per_sample = actual_step_ns(problem, t, procs) / problem.tasks[t].batch_size as f64;
        compute.extend(procs.iter().map(|&p| (p, per_sample)));
    }
    merge(&mut compute);
    demand.clone_from(&compute);
    let factor = problem.datasets[group.dataset].actual_prep_factor;
    let cost = |p: usize| group.prep_ns(problem, p).unwrap_or(f64::INFINITY);
    demand.extend(group.prep.iter().map(|&(p, share)| (p, share * cost(p) * factor)));
    merge(&mut demand);
    let batch = group.members.iter().map(|&t| problem.tasks[t].batch_size).max().unwrap_or(0);
    let leaf_bytes = match group.members[..] {
        // A group of one buffers its member's last stage.
        [t] => problem.tasks[t].stages.last().map_or(0, |&s| problem.stages[s].out_bytes),
        _ => group_leaf_bytes(problem, &group.members),
    };
    GroupPace {
        rate: 0.0,
        waiting,
        demand,
        compute,
        reference_prep: reference_prep_ns(problem, group.dataset, &group.stages),
        buffer_bytes: problem.buffer_batches as u64 * batch as u64 * leaf_bytes,
        produced: 0.0,
        batch: batch.max(1),
        since: now,
        dataset: group.dataset,
        seen: 0,
    }
}

/// Sorts by processor and adds up the entries of each, in place.
fn merge(entries: &mut Demand) {
    entries.sort_by_key(|e| e.0);
    let mut kept = 0;
    for i in 0..entries.len() {
        let (p, a) = entries[i];
        if kept > 0 && entries[kept - 1].0 == p {
            entries[kept - 1].1 += a;
        } else {
            entries[kept] = (p, a);
            kept += 1;
        }
    }
    entries.truncate(kept);
}
