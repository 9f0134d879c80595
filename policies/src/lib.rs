//! coprep's scheduling policies. A policy sees events and a read-only [`View`] and answers with
//! [`Decision`]s; it never touches an engine, so the same policy value drives the simulator and
//! the executor. The cluster bookkeeping both engines keep ([`ClusterState`]) lives here too,
//! so decisions are validated the same way everywhere.
//!
//! ```
//! use coprep_policies::{parse_policy, ClusterState, Decision, Event, View};
//!
//! let (_, problem) = coprep_traces::synth::default_problem();
//! let mut state = ClusterState::new(&problem);
//! for task in 0..problem.tasks.len() {
//!     state.arrive(&problem, task);
//! }
//! let mut policy = parse_policy("min-makespan[cap=4]").unwrap();
//! let decisions = policy.on_event(&Event::TaskArrived { task: 0 }, &View::new(&problem, &state, 0));
//! // Every task starts at once, in two groups of four sharing a stream.
//! let starts = decisions.iter().filter(|d| matches!(d, Decision::Start { .. })).count();
//! assert_eq!(starts, 8);
//! ```

pub mod assign;
pub mod backlog;
pub mod bounded_search;
pub mod costs;
pub mod differencing;
pub mod event;
pub mod exact;
pub mod fifo;
pub mod fixed_sum;
pub mod grouping;
pub mod id_table;
pub mod improve;
pub mod join_room;
pub mod list_schedule;
pub mod live;
pub mod lpt;
pub mod max_tree;
pub mod min_idle;
pub mod min_makespan;
pub mod multifit;
pub mod packing;
pub mod pending_queue;
pub mod placement;
pub mod policy;
pub mod reestimate;
pub mod room;
pub mod sorted_vec;
pub mod spec;
pub mod state;
pub mod takers;
pub mod view;
pub mod window;

pub use event::{Decision, Event, GroupId};
pub use policy::Policy;
pub use room::Colocate;
pub use spec::parse_policy;
pub use state::{ClusterState, DecisionError, TaskState, TaskStatus};
pub use view::View;
