//! A binary min-heap with at most one entry per index (a task, a processor), whose key is moved
//! in place: for the engine's and the rate solver's queues, where a key changes many times
//! before it surfaces. A plain heap would fill with stale entries that each cost a pop; where
//! every group is connected to every other (preprocessing spread over shared processors, as
//! `min-idle` does), popping them was a fifth of the run.

/// Not in the heap.
const ABSENT: usize = usize::MAX;

#[derive(Debug, Clone)]
pub struct IndexedHeap<K> {
    /// (key, index), the least first: ties go to the lower index.
    heap: Vec<(K, usize)>,
    /// Per index, its place in `heap` (`ABSENT` if it has no entry).
    position: Vec<usize>,
}

impl<K: Ord + Copy> IndexedHeap<K> {
    /// An empty heap for indices `0..len`.
    pub fn new(len: usize) -> Self {
        IndexedHeap { heap: Vec::new(), position: vec![ABSENT; len] }
    }

    /// Empties it and makes it a heap for indices `0..len`, keeping its buffers.
    pub fn reset(&mut self, len: usize) {
        for &(_, index) in &self.heap {
            self.position[index] = ABSENT;
        }
        self.heap.clear();
        self.position.resize(len, ABSENT);
    }

    /// Gives `index` the key `key`, replacing its entry if it has one.
    pub fn set(&mut self, index: usize, key: K) {
        match self.position[index] {
            ABSENT => {
                self.heap.push((key, index));
                self.position[index] = self.heap.len() - 1;
                self.sift_up(self.heap.len() - 1);
            }
            i => {
                self.heap[i].0 = key;
                self.sift_up(i);
                self.sift_down(self.position[index]);
            }
        }
    }

    /// Takes `index`'s entry out, if it has one.
    pub fn remove(&mut self, index: usize) {
        let i = self.position[index];
        if i == ABSENT {
            return;
        }
        let last = self.heap.len() - 1;
        self.swap(i, last);
        self.heap.pop();
        self.position[index] = ABSENT;
        if i < self.heap.len() {
            // The entry moved into the gap may belong higher or lower.
            let moved = self.heap[i].1;
            self.sift_up(i);
            self.sift_down(self.position[moved]);
        }
    }

    /// The least entry.
    pub fn peek(&self) -> Option<(K, usize)> {
        self.heap.first().copied()
    }

    /// Takes the least entry out.
    pub fn pop(&mut self) -> Option<(K, usize)> {
        let top = self.peek()?;
        self.remove(top.1);
        Some(top)
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.position[self.heap[i].1] = i;
        self.position[self.heap[j].1] = j;
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[i] >= self.heap[parent] {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (left, right) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if left < self.heap.len() && self.heap[left] < self.heap[least] {
                least = left;
            }
            if right < self.heap.len() && self.heap[right] < self.heap[least] {
                least = right;
            }
            if least == i {
                return;
            }
            self.swap(i, least);
            i = least;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    /// Seeded runs of sets, removals and pops agree with a sorted set of (key, index) holding
    /// at most one entry per index.
    #[test]
    fn agrees_with_a_sorted_set() {
        for seed in 0..200 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut heap = IndexedHeap::new(12);
            let mut model: BTreeSet<(u64, usize)> = BTreeSet::new();
            for _ in 0..300 {
                let (index, key) = (rng.random_range(0..12), rng.random_range(0..20u64));
                match rng.random_range(0..4) {
                    0 | 1 => {
                        model.retain(|e| e.1 != index);
                        model.insert((key, index));
                        heap.set(index, key);
                    }
                    2 => {
                        model.retain(|e| e.1 != index);
                        heap.remove(index);
                    }
                    _ => assert_eq!(heap.pop(), model.pop_first(), "seed {seed}"),
                }
                assert_eq!(heap.peek(), model.first().copied(), "seed {seed}");
            }
        }
    }

    /// A heap reset to another length, with entries left in it, is an empty heap of that length.
    #[test]
    fn a_reset_heap_is_empty() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let mut heap = IndexedHeap::new(12);
        for len in [12, 5, 20, 1, 12] {
            heap.reset(len);
            assert_eq!(heap.peek(), None);
            let mut model: BTreeSet<(u64, usize)> = BTreeSet::new();
            for _ in 0..50 {
                let (index, key) = (rng.random_range(0..len), rng.random_range(0..20u64));
                model.retain(|e| e.1 != index);
                model.insert((key, index));
                heap.set(index, key);
            }
            assert_eq!(heap.pop(), model.pop_first());
            assert_eq!(heap.peek(), model.first().copied());
        }
    }
}
