//! `reestimate[base=min-makespan,alpha=0.3,threshold=0.1]`: wraps another policy and corrects
//! its estimates from what running tasks report. Each progress report gives a measured step
//! time; the task's correction factor starts at the first measurement and then follows an
//! exponentially weighted average (`alpha`). The base policy decides from corrected estimates, so
//! queued work is placed on what has been learnt; and when a correction moves a task's
//! prediction by more than `threshold`, a running task may move off the most loaded processor
//! if that gains more than the migration costs — only while nothing is queued, since the base
//! would otherwise refill the processor a move frees (measured: moving under a queueing `fifo`
//! made it 1.6x slower). Each such correction also re-spreads every stream's preprocessing on
//! the corrected estimates, as `min-idle` does when tasks finish.
//!
//! With exact estimates every factor stays 1 and nothing is moved: the schedule is the base's.

use crate::event::{Decision, Event};
use crate::placement::respread_prep;
use crate::policy::Policy;
use crate::room::Colocate;
use crate::state::TaskStatus;
use crate::view::View;

pub struct Reestimate {
    pub base: Box<dyn Policy>,
    pub alpha: f64,
    pub threshold: f64,
    /// A task moves at most this many times (no ping-pong on noisy reports).
    pub max_moves: u32,
    factors: Vec<f64>,
    observed: Vec<bool>,
    /// How many factors differ from 1.
    corrected: usize,
}

impl Reestimate {
    pub fn new(base: Box<dyn Policy>, alpha: f64, threshold: f64) -> Self {
        Reestimate { base, alpha, threshold, max_moves: 1, factors: Vec::new(), observed: Vec::new(), corrected: 0 }
    }

    /// Learns from a report; true when the task's prediction moved by more than the threshold.
    fn learn(&mut self, view: &View, task: usize, measured_step_ns: f64) -> bool {
        let procs = &view.state.tasks[task].processors;
        let Some(estimate) = View::new(view.problem, view.state, view.now).gang_step_ns(task, procs) else {
            return false;
        };
        if !(measured_step_ns.is_finite() && measured_step_ns > 0.0 && estimate > 0.0) {
            return false;
        }
        let ratio = measured_step_ns / estimate;
        let f = &mut self.factors[task];
        let was_one = *f == 1.0;
        *f = if self.observed[task] { (1.0 - self.alpha) * *f + self.alpha * ratio } else { ratio };
        self.observed[task] = true;
        match (was_one, *f == 1.0) {
            (true, false) => self.corrected += 1,
            (false, true) => self.corrected -= 1,
            _ => {}
        }
        (*f - 1.0).abs() > self.threshold
    }

    /// One move of a running single-processor task off the most loaded processor, if the
    /// predicted gain exceeds the migration cost.
    fn rebalance(&self, view: &View) -> Option<Decision> {
        let problem = view.problem;
        let loads = view.loads_ns();
        let top = (0..loads.len()).max_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(b.cmp(&a)))?;
        let migration = problem.migration_ns as f64;
        let mut best: Option<(f64, usize, usize)> = None;
        for &t in &view.state.processors[top].tasks {
            let state = &view.state.tasks[t];
            if problem.tasks[t].gang != 1 || state.status != TaskStatus::Running || state.moves >= self.max_moves {
                continue;
            }
            let here = view.remaining_work_ns(t, top)?;
            for q in (0..loads.len()).filter(|&q| q != top) {
                let Some(there) = view.remaining_work_ns(t, q) else {
                    continue;
                };
                if view.free_memory(q) + 1e-9 < problem.tasks[t].memory_gb
                    || !may_join(view, q, t, self.base.colocate())
                {
                    continue;
                }
                let new_max = (loads[top] - here).max(loads[q] + there + migration);
                if new_max + migration < loads[top] && best.is_none_or(|b| new_max < b.0) {
                    best = Some((new_max, t, q));
                }
            }
        }
        best.map(|(_, task, q)| Decision::Move { task, to: vec![q] })
    }
}

impl Policy for Reestimate {
    fn wants_progress(&self) -> bool {
        true
    }

    fn colocate(&self) -> Colocate {
        self.base.colocate()
    }

    fn name(&self) -> String {
        format!("reestimate[base={},alpha={},threshold={}]", self.base.name(), self.alpha, self.threshold)
    }

    fn on_event(&mut self, event: &Event, view: &View) -> Vec<Decision> {
        let n = view.problem.tasks.len();
        if self.factors.len() != n {
            self.factors = vec![1.0; n];
            self.observed = vec![false; n];
            self.corrected = 0;
        }
        let changed = match *event {
            Event::Progress { task, measured_step_ns, .. } => self.learn(view, task, measured_step_ns),
            _ => false,
        };
        // Factors of exactly 1 correct nothing: the view as it stands then (whose loads the
        // cluster state keeps, rather than summed afresh from every task).
        let corrected = if self.corrected == 0 { *view } else { view.with_compute_factors(&self.factors) };
        let mut decisions = self.base.on_event(event, &corrected);
        // Moves are judged on the running work alone, which is only the whole future when
        // nothing is queued: with a queue, the base would refill the processor a move frees.
        if changed && decisions.is_empty() && view.state.pending.is_empty() {
            decisions.extend(self.rebalance(&corrected));
        }
        if changed && decisions.is_empty() {
            decisions.extend(respread_prep(&corrected));
        }
        decisions
    }
}

/// Whether `task` may move to processor `p` without coupling it to unrelated work: `p` holds
/// only tasks of its stream key (see `room`).
fn may_join(view: &View, p: usize, task: usize, colocate: Colocate) -> bool {
    if colocate == Colocate::Any {
        return true;
    }
    let key = view.state.stream_key_of(view.problem, task);
    view.state.processors[p].tasks.iter().all(|&t| view.state.stream_key_of(view.problem, t) == key)
}
