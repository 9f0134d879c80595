//! coprep's workload model: datasets, pipelines, tasks and clusters; their file formats; the
//! commonality planner; and seeded synthetic workloads. Pure data and pure functions: nothing
//! here knows about policies or engines.

pub mod actuals;
pub mod error;
pub mod io;
pub mod json_lines;
pub mod model;
pub mod planner;
pub mod problem;
pub mod synth;

pub use error::{Error, InputError};
pub use model::Workload;
pub use problem::{ns_to_secs, secs_to_ns, Nanos, Problem, NS_PER_S};
