//! `min-makespan[cap=auto,improve=1000,colocate=stream]`: sharing, and a placement that
//! minimises the estimated makespan. Pending tasks are grouped by the planner (at most `cap`
//! consumers per stream), placed largest first where they finish earliest (LPT), then improved
//! by moves and swaps off the most loaded processor (`improve` rounds at most) — so never worse
//! than LPT on the same estimates. Where the tasks cost the same everywhere, MULTIFIT,
//! largest differencing and (for small rounds) a bounded search compete with it. Each group's
//! preprocessing is spread over the least loaded processors. A processor serves one stream, or
//! any number of tasks that depend on no other processor (`colocate=any`: anything that fits;
//! see `room`).

use crate::event::{Decision, Event};
use crate::placement::{
    arrival_beyond_window, finish_frees_no_room, may_place, place_pending, Balance, Placing, PlanCache,
};
use crate::policy::Policy;
use crate::room::Colocate;
use crate::view::View;
use coprep_traces::planner::Cap;

#[derive(Debug)]
pub struct MinMakespan {
    pub cap: Cap,
    pub improve: usize,
    pub colocate: Colocate,
    cache: PlanCache,
}

impl MinMakespan {
    pub fn new(cap: Cap, improve: usize) -> Self {
        MinMakespan { cap, improve, colocate: Colocate::default(), cache: PlanCache::default() }
    }
}

impl Default for MinMakespan {
    fn default() -> Self {
        MinMakespan::new(Cap::Auto, 1000)
    }
}

impl Policy for MinMakespan {
    fn name(&self) -> String {
        format!("min-makespan[cap={},improve={},colocate={}]", self.cap, self.improve, self.colocate)
    }

    fn colocate(&self) -> Colocate {
        self.colocate
    }

    fn on_event(&mut self, event: &Event, view: &View) -> Vec<Decision> {
        if !may_place(event, view)
            || arrival_beyond_window(event, view, self.colocate)
            || finish_frees_no_room(event, view, self.colocate)
        {
            return Vec::new();
        }
        let how = Placing { cap: self.cap, improve: self.improve, balance: Balance::Work, colocate: self.colocate };
        place_pending(view, how, &mut self.cache)
    }
}
