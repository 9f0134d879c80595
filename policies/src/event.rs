//! What engines tell policies (events) and what policies ask of engines (decisions).

use coprep_traces::Nanos;

/// Identifies a sharing group: the tasks fed by one preprocessing stream. Policies choose ids
/// for new groups (see `View::fresh_group_id`); an id is never reused.
pub type GroupId = u64;

/// A decision point.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The task has arrived and waits to be started.
    TaskArrived { task: usize },
    /// The task ran all its steps; its processors hold less work now.
    TaskFinished { task: usize },
    /// A progress report from a running task: how many steps it has done and what one step of
    /// compute measured (busy time, excluding data stalls and time-sharing).
    Progress { task: usize, steps_done: u64, measured_step_ns: f64 },
    /// A move of the task has completed; it runs on its new processors.
    MoveFinished { task: usize },
    /// A timer the policy set.
    Timer { tag: u64 },
}

/// An action for the engine to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Start a pending task's compute on `processors` (exactly its gang size), reading from
    /// `group`: an existing group on the same dataset, or a fresh id to open a new group.
    Start { task: usize, processors: Vec<usize>, group: GroupId },
    /// Run a group's preprocessing on these processors, each doing the given share of the
    /// batches (shares are normalised). Without it, a new group preprocesses on its first
    /// consumer's processors.
    PlacePrep { group: GroupId, shares: Vec<(usize, f64)> },
    /// Move a running task to other processors; its group pauses for the migration cost.
    Move { task: usize, to: Vec<usize> },
    /// Call the policy back with `Event::Timer { tag }` at time `at`.
    SetTimer { at: Nanos, tag: u64 },
}
