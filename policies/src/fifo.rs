//! `fifo`: what a plain cluster does today, the baseline. No sharing: every task preprocesses
//! its own data on its own processors. Tasks start in arrival order on the first free
//! processors (a processor runs one task at a time); the head of the queue blocks the rest.

use crate::event::{Decision, Event};
use crate::policy::Policy;
use crate::view::View;

#[derive(Debug, Default)]
pub struct Fifo;

impl Policy for Fifo {
    fn name(&self) -> String {
        "fifo".into()
    }

    fn on_event(&mut self, _event: &Event, view: &View) -> Vec<Decision> {
        let problem = view.problem;
        let mut busy: Vec<bool> = view.state.processors.iter().map(|p| !p.tasks.is_empty()).collect();
        let mut decisions = Vec::new();
        for (group, task) in (view.fresh_group_id()..).zip(view.pending()) {
            let t = &problem.tasks[task];
            let procs: Vec<usize> = (0..busy.len())
                .filter(|&p| !busy[p] && view.step_ns(task, p).is_some() && view.free_memory(p) + 1e-9 >= t.memory_gb)
                .take(t.gang as usize)
                .collect();
            if procs.len() < t.gang as usize {
                break;
            }
            for &p in &procs {
                busy[p] = true;
            }
            decisions.push(Decision::Start { task, processors: procs, group });
        }
        decisions
    }
}
