//! `lpt`: no sharing; every pending task is placed at once, longest first, on the processors
//! where it would finish earliest (processors time-share the tasks they hold). The classic
//! list-scheduling reference that `min-makespan` must never do worse than.

use crate::event::{Decision, Event};
use crate::placement::{may_place, place_pending, Balance, PlanCache};
use crate::policy::Policy;
use crate::view::View;
use coprep_traces::planner::Cap;

#[derive(Debug, Default)]
pub struct Lpt {
    cache: PlanCache,
}

impl Policy for Lpt {
    fn name(&self) -> String {
        "lpt".into()
    }

    fn on_event(&mut self, event: &Event, view: &View) -> Vec<Decision> {
        if !may_place(event, view) {
            return Vec::new();
        }
        place_pending(view, Cap::Max(1), 0, Balance::Work, &mut self.cache)
    }
}
