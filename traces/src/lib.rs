//! coprep's workload model: datasets, pipelines, tasks and clusters; their file formats; the
//! commonality planner; and seeded synthetic workloads. Pure data and pure functions: nothing
//! here knows about policies or engines.
//!
//! ```
//! use coprep_traces::planner::{form_groups, prep_work, Cap};
//!
//! // The embedded 8-task sweep: every task reads CIFAR-10 through a shared augmentation prefix.
//! let (_workload, problem) = coprep_traces::synth::default_problem();
//! let all: Vec<usize> = (0..problem.tasks.len()).collect();
//! let groups = form_groups(&problem, &all, Cap::Unlimited, problem.processors.len());
//! assert_eq!(groups.len(), 1);
//! let (shared, unshared) = prep_work(&problem, &groups);
//! assert!(shared < unshared / 5.0); // sharing saves over 80% of the preprocessing
//! ```

pub mod actuals;
pub mod error;
pub mod import;
pub mod io;
pub mod json_lines;
pub mod merge;
pub mod model;
pub mod pcmax;
pub mod planner;
pub mod problem;
pub mod records;
pub mod synth;

pub use error::{Error, InputError};
pub use model::Workload;
pub use problem::{ns_to_secs, secs_to_ns, Nanos, Problem, NS_PER_S};
