//! `fifo`: what a plain cluster does today, the baseline. No sharing: every task preprocesses
//! its own data on its own processors. Tasks start in arrival order on the first free
//! processors (a processor runs one task at a time); the head of the queue blocks the rest.

use crate::event::{Decision, Event};
use crate::placement::idle_processors;
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
        // Only idle processors take a task; on a full cluster there are none, and the queue
        // waits without a scan per processor.
        let mut idle = idle_processors(view);
        let mut decisions = Vec::new();
        for (group, task) in (view.fresh_group_id()..).zip(view.pending()) {
            let t = &problem.tasks[task];
            let gang = t.gang as usize;
            let fits = |p: usize| view.step_ns(task, p).is_some() && view.free_memory(p) + 1e-9 >= t.memory_gb;
            let procs: Vec<usize> = idle.iter().copied().filter(|&p| fits(p)).take(gang).collect();
            if procs.len() < gang {
                break;
            }
            idle.retain(|p| !procs.contains(p));
            decisions.push(Decision::Start { task, processors: procs, group });
        }
        decisions
    }
}
