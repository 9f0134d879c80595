//! What each processor has room for while a round places tasks: free memory and, where
//! placement keeps streams apart, which stream it serves.
//!
//! Processors time-share the tasks they hold, and a task advances at the pace of the slowest
//! processor it depends on (every member of its gang, every processor that preprocesses its
//! stream). Two unrelated tasks on one processor couple their paces: when one is held back
//! elsewhere, the processor time it leaves is wasted unless the other can take it, and with
//! gangs it often cannot. On the benchmark workload that coupling left 13% of the processor
//! time in data stall, and min-makespan finished after fifo. Tasks that read one stream advance
//! together anyway, and a task on one processor whose stream feeds it alone holds nothing back,
//! so under [`Colocate::Stream`] a processor holds either tasks of one stream or any number of
//! such self-contained tasks (see [`stream_key`]).

use crate::assign::Item;
use crate::event::GroupId;
use crate::view::View;

/// Which tasks may share a processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colocate {
    /// Only tasks that read one stream (a processor serves one stream at a time).
    #[default]
    Stream,
    /// Any tasks that fit its memory (processors time-share whatever they hold).
    Any,
}

impl std::fmt::Display for Colocate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Colocate::Stream => "stream",
            Colocate::Any => "any",
        })
    }
}

/// The stream key of tasks that depend on no processor but their own (see [`stream_key`]).
pub const SELF_CONTAINED: GroupId = GroupId::MAX;

/// The key a task of `gang` processors reading stream `stream`, which feeds `consumers` tasks,
/// is kept apart by. A task on one processor whose stream feeds it alone depends on nothing
/// else: it never holds others back nor waits on them, so such tasks time-share processors
/// freely with each other (one key for all of them). Any other task, a gang or a reader of a
/// shared stream, shares processors only with its stream.
pub fn stream_key(gang: usize, stream: GroupId, consumers: usize) -> GroupId {
    if gang == 1 && consumers <= 1 {
        SELF_CONTAINED
    } else {
        stream
    }
}

/// What one processor serves (kept by the cluster state as tasks come and go; see
/// `ClusterState::serving`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Serving {
    Nothing,
    /// A stream, and how many tasks on it read it.
    Stream(GroupId, u32),
    /// Tasks of several streams (placed before the rule applied, or moved there): no more join.
    Mixed,
}

impl Serving {
    /// What a processor serves once a task of stream key `key` joins it (`None`: a task that
    /// reads no live stream, which nobody may join).
    pub fn with(self, key: Option<GroupId>) -> Serving {
        match (self, key) {
            (Serving::Nothing, Some(s)) => Serving::Stream(s, 1),
            (Serving::Stream(t, n), Some(s)) if t == s => Serving::Stream(t, n + 1),
            _ => Serving::Mixed,
        }
    }
}

/// Free memory per processor and, unless anything may share, the stream each one serves.
#[derive(Debug, Clone, Default)]
pub struct Room {
    pub free_memory: Vec<f64>,
    serving: Option<Vec<Serving>>,
}

impl Room {
    /// Memory is the only limit (items without a stream, or `Colocate::Any`).
    pub fn memory_only(free_memory: Vec<f64>) -> Room {
        Room { free_memory, serving: None }
    }

    /// Memory, and one stream per processor: what each serves now.
    pub fn one_stream_each(free_memory: Vec<f64>, serving: Vec<Serving>) -> Room {
        Room { free_memory, serving: Some(serving) }
    }

    /// Lays the room out again as `free_memory` and, where streams are kept apart, `serving`
    /// give it, in the buffers it has (a placing policy keeps one room for all its rounds).
    pub fn reset(&mut self, free_memory: &[f64], serving: Option<&[Serving]>) {
        self.free_memory.clear();
        self.free_memory.extend_from_slice(free_memory);
        match (serving, &mut self.serving) {
            (None, kept) => *kept = None,
            (Some(serving), Some(kept)) => {
                kept.clear();
                kept.extend_from_slice(serving);
            }
            (Some(serving), kept) => *kept = Some(serving.to_vec()),
        }
    }

    /// Memory, and one stream per processor: `held[p]` lists the streams of the tasks that
    /// processor `p` holds now (the tests' way in; policies read a view).
    #[cfg(test)]
    pub fn one_stream_held<'a>(free_memory: Vec<f64>, held: impl Iterator<Item = &'a [Option<GroupId>]>) -> Room {
        let serving = held
            .map(|streams| match streams {
                [] => Serving::Nothing,
                [Some(s), rest @ ..] if rest.iter().all(|r| *r == Some(*s)) => {
                    Serving::Stream(*s, streams.len() as u32)
                }
                _ => Serving::Mixed,
            })
            .collect();
        Room { free_memory, serving: Some(serving) }
    }

    /// What each processor serves (`None`: anything may share a processor).
    pub fn serving(&self) -> Option<&[Serving]> {
        self.serving.as_deref()
    }

    /// Whether a task of `stream` may join processor `p` (memory aside). Items without a
    /// stream are not held to the rule.
    pub fn admits(&self, stream: Option<GroupId>, p: usize) -> bool {
        match (&self.serving, stream) {
            (Some(serving), Some(s)) => match serving[p] {
                Serving::Nothing => true,
                Serving::Stream(t, _) => t == s,
                Serving::Mixed => false,
            },
            _ => true,
        }
    }

    /// Whether processor `p` is open to every stream: it serves none (or streams are not kept
    /// apart).
    pub fn is_open(&self, p: usize) -> bool {
        self.serving.as_ref().is_none_or(|s| s[p] == Serving::Nothing)
    }

    /// The one stream processor `p` serves, if it serves exactly one.
    pub fn stream_of(&self, p: usize) -> Option<GroupId> {
        match self.serving.as_ref()?[p] {
            Serving::Stream(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether `item` fits processor `p` now: memory, and the stream it serves.
    pub fn fits(&self, item: &Item, p: usize) -> bool {
        self.free_memory[p] + 1e-9 >= item.memory && self.admits(item.stream, p)
    }

    /// Records `item` on processor `p`.
    pub fn take(&mut self, item: &Item, p: usize) {
        self.free_memory[p] -= item.memory;
        if let Some(s) = item.stream {
            self.hold(p, s);
        }
    }

    /// Records a task of stream key `s` on processor `p` (memory aside).
    fn hold(&mut self, p: usize, s: GroupId) {
        if let Some(serving) = &mut self.serving {
            serving[p] = serving[p].with(Some(s));
        }
    }

    /// Takes `item` off processor `p` again.
    pub fn release(&mut self, item: &Item, p: usize) {
        self.free_memory[p] += item.memory;
        if let (Some(serving), Some(_)) = (&mut self.serving, item.stream) {
            if let Serving::Stream(t, n) = serving[p] {
                serving[p] = if n > 1 { Serving::Stream(t, n - 1) } else { Serving::Nothing };
            }
        }
    }

    /// Whether moving `out` from processor `a` to `b` and `back` from `b` to `a` fits both:
    /// memory, and afterwards each still serves at most one stream.
    pub fn exchange_fits(&self, items: &[Item], out: &[usize], back: &[usize], a: usize, b: usize) -> bool {
        let memory = |ids: &[usize]| ids.iter().map(|&i| items[i].memory).sum::<f64>();
        let (m_out, m_back) = (memory(out), memory(back));
        if self.free_memory[b] + m_back + 1e-9 < m_out || self.free_memory[a] + m_out + 1e-9 < m_back {
            return false;
        }
        let Some(serving) = &self.serving else { return true };
        let after_ok = |p: usize, leaving: &[usize], arriving: &[usize]| {
            let mut streams = arriving.iter().filter_map(|&i| items[i].stream);
            let Some(first) = streams.next() else { return true };
            if streams.any(|s| s != first) {
                return false;
            }
            match serving[p] {
                Serving::Nothing => true,
                Serving::Stream(t, n) => {
                    let leaving = leaving.iter().filter(|&&i| items[i].stream.is_some()).count() as u32;
                    t == first || leaving >= n
                }
                Serving::Mixed => false,
            }
        };
        after_ok(b, back, out) && after_ok(a, out, back)
    }
}

/// What each processor serves, worked out from the live groups' members (what debug builds
/// check the kept state against).
pub fn serving_from_groups(view: &View) -> Vec<Serving> {
    let mut serving = vec![Serving::Nothing; view.problem.processors.len()];
    let mut counted = vec![0usize; serving.len()];
    for g in view.state.groups.values() {
        for &t in &g.members {
            let key = stream_key(view.problem.tasks[t].gang as usize, g.id, g.members.len());
            for &p in &view.state.tasks[t].processors {
                serving[p] = serving[p].with(Some(key));
                counted[p] += 1;
            }
        }
    }
    // A task outside every group is nobody's stream: its processor takes no one.
    for (p, state) in view.state.processors.iter().enumerate() {
        if state.tasks.len() > counted[p] {
            serving[p] = Serving::Mixed;
        }
    }
    serving
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costs::Costs;

    fn item(stream: Option<GroupId>, memory: f64) -> Item<'static> {
        Item { task: 0, gang: 1, cost: Costs::from(vec![Some(1.0); 3]), memory, group: None, stream, duration: None }
    }

    #[test]
    fn a_processor_serves_one_stream_until_it_empties() {
        let held: Vec<Vec<Option<GroupId>>> = vec![vec![], vec![Some(7), Some(7)], vec![Some(1), Some(2)]];
        let mut room = Room::one_stream_held(vec![10.0; 3], held.iter().map(|h| h.as_slice()));
        let (a, b) = (item(Some(7), 4.0), item(Some(8), 4.0));
        assert_eq!([room.fits(&a, 0), room.fits(&a, 1), room.fits(&a, 2)], [true, true, false]);
        assert_eq!([room.fits(&b, 0), room.fits(&b, 1), room.fits(&b, 2)], [true, false, false]);
        room.take(&b, 0);
        assert!(!room.fits(&a, 0) && room.fits(&b, 0));
        room.release(&b, 0);
        assert!(room.fits(&a, 0));
        // Memory still counts, and items without a stream go anywhere it allows.
        assert!(!room.fits(&item(Some(7), 10.5), 1) && room.fits(&item(None, 9.0), 2));
    }

    #[test]
    fn exchanges_keep_one_stream_per_processor() {
        let items = vec![item(Some(1), 1.0), item(Some(1), 1.0), item(Some(2), 1.0)];
        // Processor 0 holds items 0 and 1 (stream 1), processor 1 item 2 (stream 2), 2 nothing.
        let mut room = Room::one_stream_held(vec![10.0; 3], [[].as_slice(), &[], &[]].into_iter());
        for (i, p) in [(0, 0), (1, 0), (2, 1)] {
            room.take(&items[i], p);
        }
        assert!(room.exchange_fits(&items, &[0], &[], 0, 2), "onto an empty processor");
        assert!(!room.exchange_fits(&items, &[0], &[], 0, 1), "onto another stream's");
        assert!(room.exchange_fits(&items, &[0, 1], &[2], 0, 1), "a full swap of streams");
        assert!(!room.exchange_fits(&items, &[0], &[2], 0, 1), "would leave both mixed");
        assert!(Room::memory_only(vec![10.0; 3]).exchange_fits(&items, &[0], &[2], 0, 1));
    }
}
