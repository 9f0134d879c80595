//! How much room the live streams of each dataset leave: the free memory of every processor a
//! running task of the dataset holds, a processor counted once per such task on it (a
//! multiset of values per dataset). A planning round asks it of most tasks in its window
//! (could this task join a live stream of its dataset somewhere?); walking the dataset's
//! running tasks and their processors for each was a twentieth of a congested run.
//!
//! The cluster state keeps it as tasks take and leave processors (`ClusterState::hold` and
//! `release`): the entries of every task on a processor whose free memory changes move.

/// One dataset's entries: free memory values in ascending order (ties in any order).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JoinRoom(Vec<f64>);

impl JoinRoom {
    fn position(&self, free: f64) -> usize {
        self.0.partition_point(|v| v.total_cmp(&free).is_lt())
    }

    pub fn add(&mut self, free: f64) {
        let at = self.position(free);
        self.0.insert(at, free);
    }

    /// Takes out one entry of value `free` (there must be one).
    pub fn remove(&mut self, free: f64) {
        let at = self.position(free);
        debug_assert!(self.0.get(at).is_some_and(|v| v.total_cmp(&free).is_eq()), "no entry {free} to remove");
        self.0.remove(at);
    }

    /// Moves one entry from `from` to `to`.
    pub fn change(&mut self, from: f64, to: f64) {
        if from.total_cmp(&to).is_ne() {
            self.remove(from);
            self.add(to);
        }
    }

    /// Whether at least `n` entries have `memory` free (with the rounding slack every room
    /// test allows).
    pub fn has_room(&self, n: usize, memory: f64) -> bool {
        n == 0 || self.0.len() >= n && self.0[self.0.len() - n] + 1e-9 >= memory
    }

    /// The entries in ascending order.
    pub fn entries(&self) -> &[f64] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::has_room;
    use rand::{Rng, SeedableRng};

    #[test]
    fn answers_as_a_walk_over_the_entries_does() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let mut kept = JoinRoom::default();
        let mut plain: Vec<f64> = Vec::new();
        for _ in 0..3_000 {
            let value = |rng: &mut rand::rngs::StdRng| rng.random_range(0..8) as f64 * 2.0;
            match rng.random_range(0..3) {
                0 => {
                    let v = value(&mut rng);
                    kept.add(v);
                    plain.push(v);
                }
                1 if !plain.is_empty() => {
                    let v = plain.swap_remove(rng.random_range(0..plain.len()));
                    kept.remove(v);
                }
                _ if !plain.is_empty() => {
                    let i = rng.random_range(0..plain.len());
                    let to = value(&mut rng);
                    kept.change(plain[i], to);
                    plain[i] = to;
                }
                _ => {}
            }
            for n in 0..6 {
                let memory = rng.random_range(0..16) as f64;
                assert_eq!(kept.has_room(n, memory), has_room(plain.iter().copied(), n, memory));
            }
        }
    }
}
