//! The live streams of each dataset: who a newcomer may join, how much room each stream has,
//! and a fingerprint of its consumers for the cap cache. The cluster state keeps them as tasks
//! start and finish (`ClusterState::live_streams`).
//!
//! Planning rounds read them for every dataset in their window; working them out from the live
//! groups took a walk over every group and a copy of every consumer per round, on the benchmark
//! workload (some 250 live groups) 8% of all instructions.

use crate::event::GroupId;
use crate::state::ClusterState;
use coprep_traces::Problem;

/// An order-independent fingerprint of a set of tasks: its size and a sum of mixed indices.
/// The fingerprint of a disjoint union is the sum of the parts' (see [`Fingerprint::plus`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fingerprint {
    len: usize,
    sum: u64,
}

impl Fingerprint {
    pub fn of(tasks: &[usize]) -> Fingerprint {
        tasks.iter().fold(Fingerprint::default(), |acc, &t| acc.plus_task(t))
    }

    pub fn plus(self, other: Fingerprint) -> Fingerprint {
        Fingerprint { len: self.len + other.len, sum: self.sum.wrapping_add(other.sum) }
    }

    fn plus_task(self, t: usize) -> Fingerprint {
        self.plus(Fingerprint { len: 1, sum: mix(t) })
    }

    fn minus_task(self, t: usize) -> Fingerprint {
        Fingerprint { len: self.len - 1, sum: self.sum.wrapping_sub(mix(t)) }
    }
}

/// SplitMix64's finaliser: nearby indices land far apart.
fn mix(t: usize) -> u64 {
    let mut z = (t as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One dataset's live streams.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LiveStreams {
    /// Consumers of every live stream, each with its pipeline's rank, in the order
    /// `sort_by_pipeline` puts tasks (by rank, then task): a round merges them with its window's
    /// tasks of the dataset instead of sorting the two together.
    pub consumers: Vec<(u32, usize)>,
    pub print: Fingerprint,
    /// Each live stream and how many consumers it has, in id order.
    pub streams: Vec<(GroupId, usize)>,
}

impl LiveStreams {
    /// `task`, whose pipeline has rank `rank`, starts reading `group`.
    pub fn join(&mut self, task: usize, rank: u32, group: GroupId) {
        let at = self.consumers.partition_point(|&c| c < (rank, task));
        self.consumers.insert(at, (rank, task));
        self.print = self.print.plus_task(task);
        let at = self.streams.partition_point(|&(g, _)| g < group);
        match self.streams.get_mut(at) {
            Some((g, n)) if *g == group => *n += 1,
            _ => self.streams.insert(at, (group, 1)),
        }
    }

    /// `task` (of pipeline rank `rank`), a consumer of `group`, stops reading it.
    pub fn leave(&mut self, task: usize, rank: u32, group: GroupId) {
        if let Ok(at) = self.consumers.binary_search(&(rank, task)) {
            self.consumers.remove(at);
            self.print = self.print.minus_task(task);
        }
        let at = self.streams.partition_point(|&(g, _)| g < group);
        if let Some((_, n)) = self.streams.get_mut(at).filter(|(g, _)| *g == group) {
            *n -= 1;
            if *n == 0 {
                self.streams.remove(at);
            }
        }
    }

    /// The consumers and `others` (none of them consumers; keyed and ordered like the
    /// consumers), all in pipeline order: a merge of the two.
    pub fn merged_with(&self, others: impl IntoIterator<Item = (u32, usize)>) -> Vec<usize> {
        let mut merged = Vec::with_capacity(self.consumers.len());
        self.merge_into(others, &mut merged);
        merged
    }

    /// [`LiveStreams::merged_with`] into `merged` (cleared first).
    pub fn merge_into(&self, others: impl IntoIterator<Item = (u32, usize)>, merged: &mut Vec<usize>) {
        merged.clear();
        let mut mine = self.consumers.iter().copied().peekable();
        for other in others {
            while let Some(c) = mine.next_if(|&c| c < other) {
                merged.push(c.1);
            }
            merged.push(other.1);
        }
        merged.extend(mine.map(|c| c.1));
    }
}

/// Every dataset's live streams, worked out from the live groups: what the cluster state keeps
/// (debug builds check the one against the other).
pub fn live_streams_from_groups(state: &ClusterState, problem: &Problem) -> Vec<LiveStreams> {
    let mut live = vec![LiveStreams::default(); problem.datasets.len()];
    for g in state.groups.values() {
        for &t in &g.members {
            live[g.dataset].join(t, problem.pipeline_rank(t), g.id);
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_union_prints_as_the_sum_of_its_parts_in_any_order() {
        let whole = Fingerprint::of(&[3, 1, 4, 15, 9, 2, 6]);
        let parts = Fingerprint::of(&[15, 4, 1]).plus(Fingerprint::of(&[6, 2, 9, 3]));
        assert_eq!(whole, parts);
        assert_eq!(whole.len, 7);
    }

    #[test]
    fn different_sets_of_one_size_print_differently() {
        let prints: Vec<Fingerprint> = (0..200).map(|t| Fingerprint::of(&[t, t + 1])).collect();
        for (i, a) in prints.iter().enumerate() {
            assert!(prints[i + 1..].iter().all(|b| b != a), "pair {i} collides");
        }
        assert_ne!(Fingerprint::of(&[1, 2]), Fingerprint::of(&[1, 2, 2]));
    }

    #[test]
    fn joins_and_leaves_keep_what_joining_the_survivors_gives() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut kept = LiveStreams::default();
            let mut reading: Vec<(usize, u32, GroupId)> = Vec::new();
            for task in 0..200 {
                if !reading.is_empty() && rng.random_bool(0.45) {
                    let (t, rank, g) = reading.swap_remove(rng.random_range(0..reading.len()));
                    kept.leave(t, rank, g);
                } else {
                    let (rank, g) = (rng.random_range(0..5), rng.random_range(0..8));
                    kept.join(task, rank, g);
                    reading.push((task, rank, g));
                }
            }
            let mut fresh = LiveStreams::default();
            reading.sort_unstable_by_key(|&(t, _, g)| (g, std::cmp::Reverse(t)));
            for &(t, rank, g) in &reading {
                fresh.join(t, rank, g);
            }
            assert_eq!(kept, fresh, "seed {seed}");
            assert!(kept.consumers.is_sorted(), "consumers out of pipeline order");
            assert!(kept.streams.windows(2).all(|w| w[0].0 < w[1].0), "streams out of order");
            assert!(kept.streams.iter().all(|&(_, n)| n > 0), "an empty stream kept");
        }
    }

    #[test]
    fn merging_gives_the_pipeline_order_of_the_union() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut live = LiveStreams::default();
            let mut others = Vec::new();
            for task in 0..rng.random_range(0..40) {
                let rank = rng.random_range(0..4);
                if rng.random_bool(0.6) {
                    live.join(task, rank, 0);
                } else {
                    others.push((rank, task));
                }
            }
            others.sort_unstable();
            let mut union: Vec<(u32, usize)> = live.consumers.iter().copied().chain(others.iter().copied()).collect();
            union.sort_unstable();
            let expected: Vec<usize> = union.iter().map(|&(_, t)| t).collect();
            assert_eq!(live.merged_with(others), expected, "seed {seed}");
        }
    }
}
