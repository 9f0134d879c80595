//! The tasks that arrived and have not started, in arrival order (ties by task index).
//!
//! Tasks arrive in that order (the engines deliver arrivals by time), so one joins at the back;
//! tasks start from near the front (a planning round reads the oldest), so one that starts is
//! marked gone where it stands, and the front is swept as gone ones pile up there. A round
//! walks the front. A B-tree of the whole queue (hundreds of thousands of tasks in a long run)
//! cost a search for every arrival and start and a node walk every round.

use coprep_traces::Nanos;

/// An entry: (arrival time, task).
pub type Pending = (Nanos, usize);

/// How many gone entries may lie among the live ones before the front is swept.
const SWEEP_AFTER: usize = 64;

/// A sorted set of (arrival, task), for a queue that grows at the back and shrinks near the
/// front.
#[derive(Debug, Clone, Default)]
pub struct PendingQueue {
    /// Every entry from `head` on, sorted; gone ones keep their place (and their key, for the
    /// binary searches) until swept. The last entry is never gone.
    entries: Vec<Pending>,
    gone: Vec<bool>,
    /// Entries before it are all gone.
    head: usize,
    /// How many entries are live, and how many gone ones lie from `head` on (the last of them
    /// at `last_gone`).
    live: usize,
    gone_after_head: usize,
    last_gone: usize,
}

impl PendingQueue {
    /// Adds `entry`; false if it was there already.
    pub fn insert(&mut self, entry: Pending) -> bool {
        if self.entries.last().is_none_or(|&last| last < entry) {
            self.entries.push(entry);
            self.gone.push(false);
            self.live += 1;
            return true;
        }
        // Out of order (an engine that delivers arrivals otherwise): into its place.
        match self.find(entry) {
            Ok(i) if self.gone[i] => {
                self.gone[i] = false;
                self.live += 1;
                self.gone_after_head -= 1;
                true
            }
            Ok(_) => false,
            Err(i) => {
                self.entries.insert(i, entry);
                self.gone.insert(i, false);
                if self.last_gone >= i && self.gone_after_head > 0 {
                    self.last_gone += 1;
                }
                self.live += 1;
                true
            }
        }
    }

    /// Takes `entry` out; false if it was not there.
    pub fn remove(&mut self, entry: Pending) -> bool {
        let Ok(i) = self.find(entry) else { return false };
        if self.gone[i] {
            return false;
        }
        self.gone[i] = true;
        self.live -= 1;
        self.gone_after_head += 1;
        self.last_gone = if self.gone_after_head == 1 { i } else { self.last_gone.max(i) };
        if self.live == 0 {
            // Empty again: start afresh, keeping the buffers.
            self.entries.clear();
            self.gone.clear();
            (self.head, self.gone_after_head, self.last_gone) = (0, 0, 0);
            return true;
        }
        // The last entry stays live, and the front starts at a live one (both exist: some
        // entry is live).
        while self.gone.last() == Some(&true) {
            self.entries.pop();
            self.gone.pop();
            self.gone_after_head -= 1;
        }
        self.last_gone = self.last_gone.min(self.entries.len() - 1);
        while self.gone[self.head] {
            self.head += 1;
            self.gone_after_head -= 1;
        }
        if self.gone_after_head > SWEEP_AFTER {
            self.sweep();
        }
        if self.head > 1024 && self.head > self.entries.len() / 2 {
            // Let go of the swept front, once it is most of the vector.
            self.entries.drain(..self.head);
            self.gone.drain(..self.head);
            self.last_gone = self.last_gone.saturating_sub(self.head);
            self.head = 0;
        }
        true
    }

    /// The live entries in order.
    pub fn iter(&self) -> impl Iterator<Item = &Pending> + '_ {
        self.entries[self.head..].iter().zip(&self.gone[self.head..]).filter(|(_, &gone)| !gone).map(|(e, _)| e)
    }

    /// The newest live entry.
    pub fn last(&self) -> Option<&Pending> {
        self.entries.last().filter(|_| self.live > 0)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Where `entry` is (or would go) from `head` on: galloping from the front, where starts
    /// happen, then halving the last stride (a search over the whole queue touched memory far
    /// from the front on every start).
    fn find(&self, entry: Pending) -> Result<usize, usize> {
        let live = &self.entries[self.head..];
        let (mut from, mut stride) = (0, 1);
        while from + stride < live.len() && live[from + stride] < entry {
            from += stride;
            stride *= 2;
        }
        let to = (from + stride + 1).min(live.len());
        let at = live[from..to].binary_search(&entry).map(|i| i + from).map_err(|i| i + from);
        at.map(|i| i + self.head).map_err(|i| i + self.head)
    }

    /// Moves the live entries up to the last gone one back over the gone ones, so that the
    /// front holds no gone entry: its cost is that stretch, which lies near the front.
    fn sweep(&mut self) {
        let mut to = self.last_gone + 1;
        for i in (self.head..=self.last_gone).rev() {
            if !self.gone[i] {
                to -= 1;
                self.entries[to] = self.entries[i];
                self.gone[to] = false;
            }
        }
        self.head = to;
        self.gone_after_head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    /// Seeded runs of arrivals (mostly at the back, now and then anywhere), starts (near the
    /// front as rounds start them, for stretches behind an oldest task that waits, now and
    /// then anywhere) and repeats agree with a sorted set at every step, through sweeps of the
    /// front and the swept front let go (both seen).
    #[test]
    fn agrees_with_a_sorted_set() {
        let (mut sweeps, mut drains) = (0, 0);
        for seed in 0..40 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let (mut queue, mut model) = (PendingQueue::default(), BTreeSet::new());
            let mut clock: Nanos = 0;
            let mut next_task = 0;
            let mut oldest_waits = false;
            for _ in 0..8000 {
                let before = (queue.gone_after_head, queue.head);
                match rng.random_range(0..10) {
                    0..=3 => {
                        clock += rng.random_range(0..3);
                        let entry = if rng.random_bool(0.9) {
                            (clock, next_task)
                        } else {
                            (rng.random_range(0..clock + 1), next_task)
                        };
                        next_task += 1;
                        assert_eq!(queue.insert(entry), model.insert(entry), "seed {seed}");
                    }
                    4..=7 => {
                        if rng.random_bool(0.01) {
                            oldest_waits = !oldest_waits;
                        }
                        let live: Vec<Pending> = model.iter().copied().collect();
                        let from = usize::from(oldest_waits);
                        if live.len() > from {
                            let at = if rng.random_bool(0.9) {
                                rng.random_range(from..live.len().min(from + 20))
                            } else {
                                rng.random_range(from..live.len())
                            };
                            assert!(queue.remove(live[at]) && model.remove(&live[at]), "seed {seed}");
                        }
                    }
                    8 => {
                        // Repeats: an entry already there, one not there.
                        if let Some(&first) = model.first() {
                            assert!(!queue.insert(first), "seed {seed}");
                        }
                        assert!(!queue.remove((clock + 10, usize::MAX)), "seed {seed}");
                    }
                    _ => {
                        let entry = (rng.random_range(0..clock + 1), rng.random_range(0..next_task + 1));
                        assert_eq!(queue.remove(entry), model.remove(&entry), "seed {seed}");
                    }
                }
                sweeps += usize::from(before.0 == SWEEP_AFTER && queue.gone_after_head == 0 && queue.head > before.1);
                drains += usize::from(queue.head < before.1);
                assert_eq!(queue.len(), model.len(), "seed {seed}");
                assert_eq!(queue.is_empty(), model.is_empty());
                assert_eq!(queue.last(), model.last(), "seed {seed}");
                assert!(queue.iter().eq(model.iter()), "seed {seed}");
            }
        }
        assert!(sweeps > 10 && drains > 10, "{sweeps} sweeps, {drains} drains");
    }
}
