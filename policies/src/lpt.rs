//! `lpt[colocate=stream]`: no sharing; every pending task is placed at once, longest first, on
//! the processors where it would finish earliest. Processors time-share the tasks they hold,
//! but a gang only shares its processors with nothing (`colocate=any`: with anything that
//! fits; see `room`). The classic list-scheduling reference that `min-makespan` must never do
//! worse than.

use crate::event::{Decision, Event};
use crate::placement::{
    arrival_beyond_window, finish_frees_no_room, may_place, place_pending, Balance, Placing, PlanCache,
};
use crate::policy::Policy;
use crate::room::Colocate;
use crate::view::View;
use coprep_traces::planner::Cap;

#[derive(Debug, Default)]
pub struct Lpt {
    pub colocate: Colocate,
    cache: PlanCache,
}

impl Policy for Lpt {
    fn name(&self) -> String {
        match self.colocate {
            Colocate::Stream => "lpt".into(),
            other => format!("lpt[colocate={other}]"),
        }
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
        let how = Placing { cap: Cap::Max(1), improve: 0, balance: Balance::Work, colocate: self.colocate };
        place_pending(view, how, &mut self.cache)
    }
}
