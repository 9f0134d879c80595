//! The planning window: which pending tasks a round plans. The oldest ones — a few per
//! processor open to a new stream, and beyond that as many as the free memory of those
//! processors could hold — so that a round costs the same however long a queue of tasks that
//! cannot start grows, while a batch that can all start now is planned as one (no task waits
//! behind it for ever: the window always holds the oldest). Of those, only the tasks that could
//! start now are planned, and the oldest that could not, which keeps a reservation.

use crate::room::{Colocate, Serving, SELF_CONTAINED};
use crate::view::View;

/// How many of the oldest pending tasks a round plans at least, given how many processors are
/// open to a new stream: a few per such processor, and at least [`WINDOW_FLOOR`]. (Beyond
/// that, as many as the free memory of those processors could hold.)
pub fn window_len(open_processors: usize) -> usize {
    (4 * open_processors).max(WINDOW_FLOOR)
}

/// The smallest planning window (see [`window_len`]). A longer one schedules worse online, not
/// better: on ten seeded benchmark workloads (3,000 tasks on 64 and on 256 GPUs) min-makespan
/// finished 5.9% sooner on average with 16 than with 64, and a round costs a quarter as much.
const WINDOW_FLOOR: usize = 16;

/// Where a round's tasks may start, as the cluster stands: what the window and the
/// could-start-now tests read.
pub struct OpenRoom<'a> {
    /// Every processor's free memory.
    pub free_memory: &'a [f64],
    /// Which stream each processor serves (`None`: anything may share a processor).
    pub serving: Option<&'a [Serving]>,
    /// Free memory of the processors open to a new stream (any processor, unless streams are
    /// kept apart: then those that hold no task), in processor order.
    pub free_open: &'a [f64],
    /// The most free memory on any processor.
    pub most_free: f64,
    /// The most free memory where a single self-contained task may go (an open processor, or
    /// one that holds only self-contained tasks), if anywhere.
    pub most_free_single: Option<f64>,
}

impl<'a> OpenRoom<'a> {
    /// The room in `view`'s cluster; `free_open` is a buffer the round keeps.
    pub fn of(view: &View<'a>, colocate: Colocate, free_open: &'a mut Vec<f64>) -> OpenRoom<'a> {
        let state = view.state;
        let free_memory = state.free_memory();
        // Which stream each processor serves, where streams are kept apart. (Debug builds check
        // what the state keeps against the live groups.)
        let serving = match colocate {
            Colocate::Any => None,
            Colocate::Stream => Some(state.serving()),
        };
        debug_assert!(serving.is_none_or(|s| s == crate::room::serving_from_groups(view)), "serving kept wrong");
        free_open.clear();
        match colocate {
            Colocate::Any => free_open.extend_from_slice(free_memory),
            Colocate::Stream => free_open.extend(state.idle_processors().map(|p| free_memory[p])),
        }
        debug_assert!(
            serving.is_none_or(|s| free_open.len() == s.iter().filter(|&&s| s == Serving::Nothing).count()),
            "the processors open to a new stream are those that hold no task"
        );
        // The state keeps both maxima (debug builds check them against a scan).
        let most_free = state.most_free();
        let most_free_single = match serving {
            None => free_open.iter().copied().reduce(f64::max),
            Some(_) => state.most_free_for_self_contained(),
        };
        debug_assert_eq!(most_free, free_memory.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        debug_assert_eq!(
            most_free_single,
            match serving {
                None => free_open.iter().copied().reduce(f64::max),
                Some(serving) => (0..free_memory.len())
                    .filter(|&p| matches!(serving[p], Serving::Nothing | Serving::Stream(SELF_CONTAINED, _)))
                    .map(|p| free_memory[p])
                    .reduce(f64::max),
            }
        );
        OpenRoom { free_memory, serving, free_open, most_free, most_free_single }
    }
}

/// The window's tasks, oldest first, given how many processors are open to a new stream and
/// their free memory summed in processor order: the first [`window_len`], and after them as
/// long as the tasks so far claim no more memory than those processors have free.
pub fn window<'v>(view: &View<'v>, open: usize, open_free: f64) -> impl Iterator<Item = usize> + 'v {
    let problem = view.problem;
    let len = window_len(open);
    let mut claimed = 0.0;
    view.pending()
        .enumerate()
        .take_while(move |&(k, t)| {
            claimed += problem.tasks[t].memory_claim_gb();
            k < len || claimed <= open_free + 1e-9
        })
        .map(|(_, t)| t)
}

/// Whether at least `n` of the processors whose free memory `free` lists have `memory` free.
pub fn has_room(free: impl Iterator<Item = f64>, n: usize, memory: f64) -> bool {
    free.filter(|&f| f + 1e-9 >= memory).take(n).count() >= n
}

/// Whether a task of `gang` processors, needing `memory` on each, could start on a new stream
/// now: alone, where a single task may go (`most_free_single`: see [`OpenRoom`]); a gang, on
/// enough of the processors open to a new stream, whose free memory `open_free` lists.
pub fn fits_new_stream(
    gang: usize,
    memory: f64,
    most_free_single: Option<f64>,
    open_free: impl Iterator<Item = f64>,
) -> bool {
    match gang {
        1 => most_free_single.is_some_and(|f| f + 1e-9 >= memory),
        _ => has_room(open_free, gang, memory),
    }
}

/// Where a round's planned tasks could start, as [`plan_window`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFit {
    /// None could: the round would only renew the head's reservation, which binds nothing
    /// when nothing else is placed.
    Nowhere,
    /// Some could, but only by joining a live stream of their dataset (no task has room on
    /// new streams): where every dataset's group size is one, nobody joins, so nobody starts.
    JoiningOnly,
    /// Some task has room on a new stream (processors open to any, or, a single task, those
    /// holding only self-contained tasks).
    NewStream,
}

/// The tasks a round plans, into `planned` (in queue order): those of the window that could
/// start now (each alone fits the free memory of enough processors) and the oldest that could
/// not, which keeps a reservation (in a congested cluster the rest cannot start whatever the
/// plan, and planning them would cost a scan of every processor each). Returns where they
/// could start.
pub fn plan_window(view: &View, room: &OpenRoom, colocate: Colocate, planned: &mut Vec<usize>) -> WindowFit {
    let problem = view.problem;
    let OpenRoom { free_memory, free_open, most_free, most_free_single, .. } = *room;
    // New streams start only on the processors open to them (all of them, unless streams are
    // kept apart), so the window scales with those: where streams are kept apart, a round that
    // frees one processor plans a few tasks, not a few per processor of the cluster. Memory is
    // summed in processor order, as it always has been.
    let pending = window(view, free_open.len(), free_open.iter().sum())
        .filter(|&t| problem.tasks[t].memory_gb <= most_free + 1e-9);
    // Where streams are kept apart, a task may also join the processors of a live stream of its
    // dataset (a processor counted once per member it holds): the state keeps their free
    // memory per dataset. (Debug builds check it against the consumers' processors.)
    let may_join = |dataset: usize, gang: usize, memory: f64| {
        debug_assert_eq!(join_room_by_walk(view, free_memory, dataset), view.state.join_room_entries(dataset));
        colocate == Colocate::Stream && view.state.join_room(dataset, gang, memory)
    };
    let mut head_kept = false;
    let (mut any_fits, mut any_fits_new) = (false, false);
    planned.clear();
    for t in pending {
        let task = &problem.tasks[t];
        let (gang, memory) = (task.gang as usize, task.memory_gb);
        let fits_new = fits_new_stream(gang, memory, most_free_single, free_open.iter().copied());
        let fits = fits_new || may_join(task.dataset, gang, memory);
        any_fits |= fits;
        any_fits_new |= fits_new;
        if fits || !head_kept {
            head_kept |= !fits;
            planned.push(t);
        }
    }
    match (any_fits, any_fits_new) {
        (_, true) => WindowFit::NewStream,
        (true, false) => WindowFit::JoiningOnly,
        (false, false) => WindowFit::Nowhere,
    }
}

/// The free memory of the processors of `dataset`'s live consumers, a processor once per
/// member it holds, ascending: what the state keeps (debug builds compare).
fn join_room_by_walk(view: &View, free_memory: &[f64], dataset: usize) -> Vec<f64> {
    let consumers = &view.state.live_streams(dataset).consumers;
    let mut free: Vec<f64> =
        consumers.iter().flat_map(|&(_, t)| view.state.tasks[t].processors.iter()).map(|&p| free_memory[p]).collect();
    free.sort_by(f64::total_cmp);
    free
}
