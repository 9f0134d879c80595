//! `min-idle[cap=auto,colocate=any]`: sharing, and a placement that keeps every processor
//! busy. Instead of total work it balances the pace (processor time per sample advanced), so
//! that no processor waits on another; and whenever the set of running tasks changes it
//! re-spreads every stream's preprocessing so that production matches consumption — streams
//! move to processors whose consumers left, rather than leaving them idle or their consumers
//! stalled.

use crate::event::{Decision, Event};
use crate::placement::{may_place, place_pending, respread_prep, Balance, Placing, PlanCache};
use crate::policy::Policy;
use crate::room::Colocate;
use crate::view::View;
use coprep_traces::planner::Cap;

#[derive(Debug)]
pub struct MinIdle {
    pub cap: Cap,
    pub colocate: Colocate,
    cache: PlanCache,
}

impl MinIdle {
    pub fn new(cap: Cap) -> Self {
        // Its point is to spread each stream's preprocessing over whatever processors idle, so
        // processors are shared across streams by design: keeping streams apart cost it 4-6%
        // of makespan on the benchmark and on Muri's traces.
        MinIdle { cap, colocate: Colocate::Any, cache: PlanCache::default() }
    }
}

impl Default for MinIdle {
    fn default() -> Self {
        MinIdle::new(Cap::Auto)
    }
}

impl Policy for MinIdle {
    fn name(&self) -> String {
        format!("min-idle[cap={},colocate={}]", self.cap, self.colocate)
    }

    fn colocate(&self) -> Colocate {
        self.colocate
    }

    fn on_event(&mut self, event: &Event, view: &View) -> Vec<Decision> {
        let mut decisions = match event {
            Event::TaskFinished { .. } | Event::MoveFinished { .. } => respread_prep(view),
            _ => Vec::new(),
        };
        if !may_place(event, view) {
            return decisions;
        }
        // Placement reads the view, so prep moves above only take effect on the next event;
        // pending tasks are placed against the loads as they stand.
        let how = Placing { cap: self.cap, improve: 0, balance: Balance::Rate, colocate: self.colocate };
        decisions.extend(place_pending(view, how, &mut self.cache));
        decisions
    }
}
