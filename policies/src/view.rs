//! The read-only view a policy decides from: the problem, the cluster state, the time, and the
//! estimates (optionally corrected by a wrapping policy such as `reestimate`).

use crate::event::GroupId;
use crate::state::{ClusterState, GroupState, TaskStatus};
use coprep_traces::{Nanos, Problem};

#[derive(Clone, Copy)]
pub struct View<'a> {
    pub problem: &'a Problem,
    pub state: &'a ClusterState,
    pub now: Nanos,
    /// Per task: factor on its compute estimates (`None`: the estimates as written).
    compute_factors: Option<&'a [f64]>,
}

impl<'a> View<'a> {
    pub fn new(problem: &'a Problem, state: &'a ClusterState, now: Nanos) -> Self {
        View { problem, state, now, compute_factors: None }
    }

    /// The same view with corrected compute estimates (`factors[task]` multiplies them).
    pub fn with_compute_factors(&self, factors: &'a [f64]) -> Self {
        View { compute_factors: Some(factors), ..*self }
    }

    /// Estimated nanoseconds of one step of `task` on `proc`.
    pub fn step_ns(&self, task: usize, proc: usize) -> Option<f64> {
        let factor = self.compute_factors.map_or(1.0, |f| f[task]);
        self.problem.step_ns(task, proc).map(|ns| ns * factor)
    }

    /// Estimated step of a gang: as slow as its slowest processor.
    pub fn gang_step_ns(&self, task: usize, procs: &[usize]) -> Option<f64> {
        procs.iter().map(|&p| self.step_ns(task, p)).try_fold(0.0, |acc: f64, s| s.map(|s| acc.max(s)))
    }

    pub fn remaining_steps(&self, task: usize) -> f64 {
        (self.problem.tasks[task].steps as f64 - self.state.tasks[task].steps_at(self.now)).max(0.0)
    }

    /// Estimated remaining compute of a task on `proc` (nanoseconds of that processor's time).
    pub fn remaining_work_ns(&self, task: usize, proc: usize) -> Option<f64> {
        self.step_ns(task, proc).map(|s| s * self.remaining_steps(task))
    }

    /// [`View::prep_ns`] on every processor at once.
    pub fn prep_ns_all(&self, stages: &[usize]) -> Vec<Option<f64>> {
        self.problem.stages_ns_all(stages)
    }

    /// Estimated nanoseconds to preprocess one sample of a group's stages on `proc`.
    pub fn prep_ns(&self, stages: &[usize], proc: usize) -> Option<f64> {
        self.problem.stages_ns(stages, proc)
    }

    /// Samples a live group still has to produce: the most any member still reads.
    pub fn group_remaining_samples(&self, group: GroupId) -> f64 {
        self.remaining_samples_of(&self.state.groups[&group])
    }

    /// [`View::group_remaining_samples`] of a group at hand.
    pub fn remaining_samples_of(&self, group: &GroupState) -> f64 {
        group
            .members
            .iter()
            .map(|&t| self.remaining_steps(t) * self.problem.tasks[t].batch_size as f64)
            .fold(0.0, f64::max)
    }

    /// Estimated remaining work on every processor: its tasks' compute plus its share of the
    /// preprocessing of live groups. The cluster state keeps it for the estimates as written
    /// (debug builds check it against the sum over tasks and groups); corrected estimates are
    /// summed afresh.
    pub fn loads_ns(&self) -> Vec<f64> {
        let mut loads = Vec::new();
        self.loads_ns_into(&mut loads);
        loads
    }

    /// [`View::loads_ns`] into `loads` (cleared first): a placing round keeps the buffer.
    pub fn loads_ns_into(&self, loads: &mut Vec<f64>) {
        loads.clear();
        if self.compute_factors.is_some() {
            loads.extend(self.loads_by_walk());
            return;
        }
        loads.extend((0..self.problem.processors.len()).map(|p| self.state.backlog_ns(p, self.now)));
        #[cfg(debug_assertions)]
        for (p, (&kept, summed)) in loads.iter().zip(self.loads_by_walk()).enumerate() {
            assert!(
                (kept - summed).abs() <= 1.0 + 1e-9 * summed.abs(),
                "backlog of processor {p} kept wrong at {}: {kept} against {summed}",
                self.now
            );
        }
    }

    /// [`View::loads_ns`] summed over every running task and live group.
    fn loads_by_walk(&self) -> Vec<f64> {
        let mut loads = vec![0.0; self.problem.processors.len()];
        for (p, load) in loads.iter_mut().enumerate() {
            for &t in &self.state.processors[p].tasks {
                *load += self.remaining_work_ns(t, p).unwrap_or(0.0);
            }
        }
        for g in self.state.groups.values() {
            let samples = self.remaining_samples_of(g);
            for &(p, share) in &g.prep {
                loads[p] += samples * share * g.prep_ns(self.problem, p).unwrap_or(0.0);
            }
        }
        loads
    }

    pub fn free_memory(&self, proc: usize) -> f64 {
        self.state.free_memory()[proc]
    }

    /// Tasks that have arrived and wait to start, in arrival order.
    pub fn pending(&self) -> impl Iterator<Item = usize> + 'a {
        self.state.pending.iter().map(|&(_, t)| t)
    }

    pub fn status(&self, task: usize) -> TaskStatus {
        self.state.tasks[task].status
    }

    pub fn fresh_group_id(&self) -> GroupId {
        self.state.fresh_group_id()
    }
}
