//! The live streams of each dataset, gathered once per round: who a newcomer may join, how
//! much room each stream has, and a fingerprint of its consumers for the cap cache.
//!
//! A round used to walk the cluster's groups twice (once for the consumers, once for the
//! streams with room) and copy each dataset's consumers again to fingerprint them; on the
//! benchmark workload, with some 250 live groups, those walks and copies were a fifth of a
//! round. One walk fills all three, into buffers kept between rounds.

use crate::event::GroupId;
use crate::view::View;

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
        // SplitMix64's finaliser: nearby indices land far apart.
        let mut z = (t as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.plus(Fingerprint { len: 1, sum: z ^ (z >> 31) })
    }
}

/// One dataset's live streams.
#[derive(Debug, Default, Clone)]
pub struct LiveStreams {
    /// Consumers of every live stream, stream by stream in id order.
    pub consumers: Vec<usize>,
    pub print: Fingerprint,
    /// Each live stream and how many consumers it has, in id order.
    pub streams: Vec<(GroupId, usize)>,
}

/// [`LiveStreams`] per dataset, indexed by dataset.
#[derive(Debug, Default)]
pub struct LiveByDataset {
    per_dataset: Vec<LiveStreams>,
}

impl LiveByDataset {
    /// Gathers the cluster in `view` (reusing the buffers of the last round).
    pub fn gather(&mut self, view: &View) {
        let datasets = view.problem.datasets.len();
        self.per_dataset.resize_with(datasets, LiveStreams::default);
        for live in &mut self.per_dataset {
            live.consumers.clear();
            live.streams.clear();
            live.print = Fingerprint::default();
        }
        for g in view.state.groups.values() {
            let live = &mut self.per_dataset[g.dataset];
            live.consumers.extend(&g.members);
            live.print = live.print.plus(Fingerprint::of(&g.members));
            live.streams.push((g.id, g.members.len()));
        }
    }

    pub fn of(&self, dataset: usize) -> &LiveStreams {
        &self.per_dataset[dataset]
    }
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
}
