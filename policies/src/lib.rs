//! coprep's scheduling policies. A policy sees events and a read-only [`View`] and answers with
//! [`Decision`]s; it never touches an engine, so the same policy value drives the simulator and
//! the executor. The cluster bookkeeping both engines keep ([`ClusterState`]) lives here too,
//! so decisions are validated the same way everywhere.

pub mod assign;
pub mod event;
pub mod fifo;
pub mod lpt;
pub mod min_idle;
pub mod min_makespan;
pub mod placement;
pub mod policy;
pub mod reestimate;
pub mod spec;
pub mod state;
pub mod view;

pub use event::{Decision, Event, GroupId};
pub use policy::Policy;
pub use spec::parse_policy;
pub use state::{ClusterState, DecisionError, TaskStatus};
pub use view::View;
