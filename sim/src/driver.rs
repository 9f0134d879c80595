//! What both engines share: the queue of external events (arrivals, timers, ends of moves),
//! calling the policy, and carrying out its decisions on the cluster state with a record of each.

use crate::metrics::{assemble, Counted, Measures, RunInfo, Submitted};
use crate::{RunOptions, SimError};
use coprep_policies::{ClusterState, Decision, Event, Policy, View};
use coprep_traces::records::{EventRecord, RunRecords};
use coprep_traces::{ns_to_secs, Nanos, Problem};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum External {
    Arrival(usize),
    Timer(u64),
    MoveDone(usize),
}

/// What applying a batch of decisions changed, for the engine to react to.
#[derive(Debug, Default)]
pub struct Applied {
    pub started: Vec<usize>,
    /// Tasks that began to move, each with the processors it left.
    pub moved: Vec<(usize, Vec<usize>)>,
    /// Groups whose preprocessing was placed anew.
    pub prep_placed: Vec<u64>,
}

pub struct Driver<'a> {
    pub problem: &'a Problem,
    pub state: ClusterState,
    pub events: Vec<EventRecord>,
    pub record_events: bool,
    /// Tasks by arrival (ties by index); arrivals are not put on the heap.
    arrivals: Vec<usize>,
    /// Arrivals made pending so far, and of those, the ones whose event was handed out.
    arrived: usize,
    next_arrival: usize,
    heap: BinaryHeap<Reverse<(Nanos, u64, External)>>,
    seq: u64,
    pub engine_events: u64,
    pub moves: u64,
    pub groups_opened: usize,
}

impl<'a> Driver<'a> {
    pub fn new(problem: &'a Problem, record_events: bool) -> Self {
        let mut arrivals: Vec<usize> = (0..problem.tasks.len()).collect();
        arrivals.sort_by_key(|&t| (problem.tasks[t].arrival_ns, t));
        Driver {
            problem,
            state: ClusterState::new(problem),
            events: Vec::new(),
            record_events,
            arrivals,
            arrived: 0,
            next_arrival: 0,
            heap: BinaryHeap::new(),
            seq: 0,
            engine_events: 0,
            moves: 0,
            groups_opened: 0,
        }
    }

    pub fn record(&mut self, make: impl FnOnce() -> EventRecord) {
        if self.record_events {
            self.events.push(make());
        }
    }

    fn push(&mut self, at: Nanos, what: External) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, what)));
    }

    pub fn next_external_time(&self) -> Option<Nanos> {
        let arrival = self.arrivals.get(self.next_arrival).map(|&t| self.problem.tasks[t].arrival_ns);
        let queued = self.heap.peek().map(|Reverse((t, _, _))| *t);
        match (arrival, queued) {
            (Some(a), Some(q)) => Some(a.min(q)),
            (a, q) => a.or(q),
        }
    }

    /// The next external event due at `now` (arrivals first, then in the order they were queued).
    /// Every task arriving at `now` is made pending before the first of their events is handed
    /// out, so a policy deciding on the first arrival sees them all (a sweep submitted at once
    /// can be planned as one).
    pub fn pop_external(&mut self, now: Nanos) -> Option<External> {
        while let Some(&t) = self.arrivals.get(self.arrived) {
            if self.problem.tasks[t].arrival_ns > now {
                break;
            }
            self.state.arrive(self.problem, t);
            self.arrived += 1;
        }
        if self.next_arrival < self.arrived {
            self.next_arrival += 1;
            return Some(External::Arrival(self.arrivals[self.next_arrival - 1]));
        }
        match self.heap.peek() {
            Some(Reverse((t, _, _))) if *t <= now => self.heap.pop().map(|Reverse((_, _, e))| e),
            _ => None,
        }
    }

    /// Handles an external event up to the policy call (the engine handles `MoveDone` itself
    /// first, then calls this).
    pub fn external(&mut self, policy: &mut dyn Policy, what: External, now: Nanos) -> Result<Applied, SimError> {
        let time = ns_to_secs(now);
        let event = match what {
            External::Arrival(task) => {
                self.record(|| EventRecord::TaskArrived { time, task: task_id(self.problem, task) });
                Event::TaskArrived { task }
            }
            External::Timer(tag) => Event::Timer { tag },
            External::MoveDone(task) => {
                self.state.finish_move(task);
                self.record(|| EventRecord::MoveFinished { time, task: task_id(self.problem, task) });
                Event::MoveFinished { task }
            }
        };
        self.call(policy, &event, now)
    }

    /// Calls the policy and carries out what it decides.
    pub fn call(&mut self, policy: &mut dyn Policy, event: &Event, now: Nanos) -> Result<Applied, SimError> {
        self.engine_events += 1;
        let decisions = policy.on_event(event, &View::new(self.problem, &self.state, now));
        self.apply(decisions, now)
    }

    fn apply(&mut self, decisions: Vec<Decision>, now: Nanos) -> Result<Applied, SimError> {
        let problem = self.problem;
        let time = ns_to_secs(now);
        let proc_ids = |procs: &[usize]| procs.iter().map(|&p| problem.processors[p].id.clone()).collect::<Vec<_>>();
        let mut applied = Applied::default();
        for decision in decisions {
            match decision {
                Decision::Start { task, processors, group } => {
                    let new_group = !self.state.groups.contains_key(&group);
                    self.state.start(problem, task, &processors, group, now)?;
                    if new_group {
                        self.groups_opened += 1;
                        let dataset = || problem.datasets[problem.tasks[task].dataset].id.clone();
                        self.record(|| EventRecord::GroupStarted { time, group, dataset: dataset() });
                        self.record_prep(group, now);
                    }
                    self.record(|| EventRecord::TaskStarted {
                        time,
                        task: task_id(problem, task),
                        processors: proc_ids(&processors),
                        group,
                    });
                    applied.started.push(task);
                }
                Decision::PlacePrep { group, shares } => {
                    self.state.place_prep(problem, group, &shares, now)?;
                    self.record_prep(group, now);
                    applied.prep_placed.push(group);
                }
                Decision::Move { task, to } => {
                    let left = self.state.tasks[task].processors.clone();
                    self.state.begin_move(problem, task, &to, now)?;
                    self.moves += 1;
                    self.record(|| EventRecord::MoveStarted { time, task: task_id(problem, task), to: proc_ids(&to) });
                    self.push(now + problem.migration_ns, External::MoveDone(task));
                    applied.moved.push((task, left));
                }
                Decision::SetTimer { at, tag } => self.push(at.max(now), External::Timer(tag)),
            }
        }
        Ok(applied)
    }

    fn record_prep(&mut self, group: u64, now: Nanos) {
        if !self.record_events {
            return;
        }
        let problem = self.problem;
        let g = &self.state.groups[&group];
        let record = EventRecord::PrepPlaced {
            time: ns_to_secs(now),
            group,
            stages: g.stages.iter().map(|&s| problem.stages[s].key.clone()).collect(),
            shares: g.prep.iter().map(|&(p, s)| (problem.processors[p].id.clone(), s)).collect(),
        };
        self.events.push(record);
    }

    /// Marks a task finished, records it (and its group's end) and tells the policy.
    pub fn finish(&mut self, policy: &mut dyn Policy, task: usize, now: Nanos) -> Result<Applied, SimError> {
        let time = ns_to_secs(now);
        let ended = self.state.finish(self.problem, task, now);
        self.record(|| EventRecord::TaskFinished { time, task: task_id(self.problem, task) });
        if let Some(group) = ended {
            self.record(|| EventRecord::GroupEnded { time, group });
        }
        self.call(policy, &Event::TaskFinished { task }, now)
    }

    /// Ends a run: an error if tasks were left waiting, else the records.
    pub fn conclude(
        mut self,
        policy: &dyn Policy,
        engine: &str,
        opts: &RunOptions,
        now: Nanos,
        measures: Measures,
        submitted: &mut dyn FnMut() -> Submitted,
    ) -> Result<RunRecords, SimError> {
        if measures.stopped {
            // Stopped early: what never finished is recorded as killed at the stop.
            for s in self.state.tasks.iter_mut().filter(|s| s.finished_at.is_none()) {
                s.finished_at = Some(now);
            }
        } else if !self.all_done() {
            let waiting = self.state.pending.len() + self.state.groups.values().map(|g| g.members.len()).sum::<usize>();
            return Err(SimError::Stuck { time_s: ns_to_secs(now), waiting });
        }
        let events = std::mem::take(&mut self.events);
        let counted = Counted {
            problem: self.problem,
            state: &self.state,
            moves: self.moves,
            groups: self.groups_opened,
            engine_events: self.engine_events,
        };
        let info = RunInfo { policy: policy.name(), engine, seed: opts.seed, noise_sigma: opts.noise_sigma };
        Ok(assemble(counted, measures, info, events, submitted()))
    }

    /// True when every task has finished.
    pub fn all_done(&self) -> bool {
        self.next_arrival == self.arrivals.len() && self.state.pending.is_empty() && self.state.groups.is_empty()
    }
}

pub fn task_id(problem: &Problem, task: usize) -> String {
    problem.tasks[task].id.clone()
}

/// Steps after which a running task reports its progress: a few early reports (for
/// re-estimation) and one at half way.
pub fn progress_marks(steps: u64) -> Vec<u64> {
    let mut marks: Vec<u64> = [0.01, 0.05, 0.2, 0.5]
        .iter()
        .map(|f| ((steps as f64 * f).ceil() as u64).max(1))
        .filter(|&m| m < steps)
        .collect();
    marks.dedup();
    marks
}
