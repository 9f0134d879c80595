//! `min-idle[cap=auto]`: sharing, and a placement that keeps every processor busy. Instead of
//! total work it balances the pace (processor time per sample advanced), so that no processor
//! waits on another; and whenever the set of running tasks changes it re-spreads every stream's
//! preprocessing so that production matches consumption — streams move to processors whose
//! consumers left, rather than leaving them idle or their consumers stalled.

use crate::event::{Decision, Event};
use crate::placement::{may_place, place_pending, respread_prep, Balance, PlanCache};
use crate::policy::Policy;
use crate::view::View;
use coprep_traces::planner::Cap;

#[derive(Debug)]
pub struct MinIdle {
    pub cap: Cap,
    cache: PlanCache,
}

impl MinIdle {
    pub fn new(cap: Cap) -> Self {
        MinIdle { cap, cache: PlanCache::default() }
    }
}

impl Default for MinIdle {
    fn default() -> Self {
        MinIdle::new(Cap::Auto)
    }
}

impl Policy for MinIdle {
    fn name(&self) -> String {
        format!("min-idle[cap={}]", self.cap)
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
        decisions.extend(place_pending(view, self.cap, 0, Balance::Rate, &mut self.cache));
        decisions
    }
}
