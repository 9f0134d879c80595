//! The interface every policy implements. It knows nothing of the engine that drives it: the
//! simulator and the executor hand it the same events and carry out the same decisions.

use crate::event::{Decision, Event};
use crate::room::Colocate;
use crate::view::View;

pub trait Policy: Send {
    /// The policy with its parameters, as it would be written on the command line.
    fn name(&self) -> String;

    /// Called at every decision point; the engine applies the returned decisions in order.
    fn on_event(&mut self, event: &Event, view: &View) -> Vec<Decision>;

    /// Whether the policy reads `Event::Progress` reports. A simulator skips generating them
    /// for policies that do not (they are most of its events); an executor measuring anyway
    /// may still send them.
    fn wants_progress(&self) -> bool {
        false
    }

    /// Which tasks it lets share a processor, for wrappers that move its tasks
    /// (`reestimate`) to follow the same rule.
    fn colocate(&self) -> Colocate {
        Colocate::Any
    }
}
