//! The largest of a fixed set of values as they change one at a time: a tournament tree, each
//! node the larger of its two children, so a change costs a walk to the root and the largest
//! is read at the root.
//!
//! The cluster state keeps the most free memory on any processor (and on those that take a
//! self-contained task) this way: every planning round reads both, and a scan of every
//! processor for them was a twentieth of a congested round.

#[derive(Debug, Clone)]
pub struct MaxTree {
    /// Leaves at `width..2 * width` (past the values: minus infinity), inner nodes below.
    nodes: Vec<f64>,
    width: usize,
}

impl MaxTree {
    /// A tree over `len` values, all minus infinity (none counts).
    pub fn new(len: usize) -> MaxTree {
        let width = len.next_power_of_two().max(1);
        MaxTree { nodes: vec![f64::NEG_INFINITY; 2 * width], width }
    }

    /// Sets value `i`.
    pub fn set(&mut self, i: usize, value: f64) {
        let mut k = self.width + i;
        if self.nodes[k] == value {
            return;
        }
        self.nodes[k] = value;
        while k > 1 {
            k /= 2;
            let larger = self.nodes[2 * k].max(self.nodes[2 * k + 1]);
            if self.nodes[k] == larger {
                break;
            }
            self.nodes[k] = larger;
        }
    }

    /// The largest value (minus infinity when every value is).
    pub fn max(&self) -> f64 {
        self.nodes[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn keeps_the_largest_through_any_changes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for len in [1, 2, 3, 7, 8, 9, 100, 256] {
            let mut tree = MaxTree::new(len);
            let mut values = vec![f64::NEG_INFINITY; len];
            assert_eq!(tree.max(), f64::NEG_INFINITY);
            for _ in 0..2_000 {
                let i = rng.random_range(0..len);
                // Few distinct values, so that ties and repeated settings are common.
                let v = match rng.random_range(0..5) {
                    0 => f64::NEG_INFINITY,
                    k => k as f64 * 4.0,
                };
                tree.set(i, v);
                values[i] = v;
                assert_eq!(tree.max(), values.iter().copied().fold(f64::NEG_INFINITY, f64::max), "len {len}");
            }
        }
    }
}
