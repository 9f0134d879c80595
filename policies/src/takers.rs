//! The could-start-now test of a planning round: the processors that would take a task now,
//! before anything else in the round is placed, are those open to every stream and those
//! serving its stream, with its memory free. List scheduling places a task on no others
//! (reservations and other tasks' placements only remove processors), so where no planned task
//! finds as many as its gang, the round places nothing, and its answer is known before the
//! loads, the items and the assignment are worked out. On a congested cluster that is most
//! rounds: a head of large gangs gathering processors as they free up one by one.

use crate::event::GroupId;
use crate::room::{Serving, SELF_CONTAINED};
use crate::view::View;
use crate::window::{has_room, OpenRoom};

/// Whether `task`, reading stream key `key` (see `room::stream_key`), finds as many
/// processors that would take it now as its gang.
pub fn finds_takers(view: &View, room: &OpenRoom, task: usize, key: GroupId) -> bool {
    let t = &view.problem.tasks[task];
    let (gang, memory) = (t.gang as usize, t.memory_gb);
    if key == SELF_CONTAINED {
        // A single task, which may go to any processor open to it or holding only
        // self-contained tasks: the most free memory among those decides.
        debug_assert_eq!(gang, 1);
        return room.most_free_single.is_some_and(|f| f + 1e-9 >= memory);
    }
    if has_room(room.free_open.iter().copied(), gang, memory) {
        return true;
    }
    // The processors serving its stream (never open ones, so none counts twice): a processor
    // serves a live stream only if it holds one of its members. A new stream (an id from the
    // fresh ones up) has none yet.
    if key >= view.fresh_group_id() {
        return false;
    }
    let Some(group) = view.state.groups.get(&key) else { return false };
    let state = &view.state;
    let mut own: Vec<usize> = group.members.iter().flat_map(|&m| state.tasks[m].processors.iter().copied()).collect();
    own.sort_unstable();
    own.dedup();
    let serves = |p: usize| matches!(room.serving.map(|s| s[p]), Some(Serving::Stream(s, _)) if s == key);
    let own_free = own.iter().filter(|&&p| serves(p)).map(|&p| room.free_memory[p]);
    has_room(room.free_open.iter().copied().chain(own_free), gang, memory)
}
