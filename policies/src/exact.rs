//! An exact solver for small P||Cmax instances (identical machines, minimum makespan), the
//! yardstick the placement heuristics are measured against.
//!
//! Branch and bound on the decision problem "do all jobs fit on `m` machines of capacity `C`?",
//! with `C` lowered to one below each schedule found until it drops under the lower bound
//! (then the last schedule is optimal). Jobs go longest first; machines with equal loads are
//! interchangeable, so only one of them is tried; a node is cut when the room left on machines
//! that can still take the shortest job is less than the work left.
//!
//! The lower bound is the better of the trivial one and Martello and Toth's bin-packing bound
//! L2 (1990): a capacity `C` is impossible when L2 says the jobs need more than `m` bins of
//! size `C`, so the optimum is at least the smallest `C` it does not rule out.

use coprep_traces::pcmax::lower_bound;
use std::cmp::Ordering;

/// What the search established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Optimum {
    /// The best makespan found.
    pub makespan: u64,
    /// The machine of each job (in the input's order) in a schedule with that makespan.
    pub assignment: Vec<usize>,
    /// Whether `makespan` is proven optimal (false: the node limit stopped the search).
    pub proven: bool,
    /// The best lower bound known: `makespan` when proven.
    pub lower_bound: u64,
    pub nodes: u64,
}

/// Solves `p` on `m` machines, exploring at most `node_limit` nodes.
pub fn branch_and_bound(p: &[u64], m: usize, node_limit: u64) -> Optimum {
    assert!(m > 0, "at least one machine");
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].cmp(&p[a]).then(a.cmp(&b)));
    let sorted: Vec<u64> = order.iter().map(|&j| p[j]).collect();
    let lb = bin_packing_bound(&sorted, m, lower_bound(p, m));

    // Start from LPT's schedule.
    let mut loads = vec![0u64; m];
    let mut machine_of = vec![0usize; sorted.len()];
    for (k, &pj) in sorted.iter().enumerate() {
        let i = (0..m).min_by_key(|&i| (loads[i], i)).expect("m > 0");
        loads[i] += pj;
        machine_of[k] = i;
    }
    let mut best = loads.iter().copied().max().unwrap_or(0);
    let mut best_assignment = machine_of.clone();

    let mut search =
        Search { sizes: &sorted, loads: vec![0; m], on: vec![0; sorted.len()], nodes: 0, limit: node_limit };
    let mut proven = true;
    while best > lb {
        let capacity = best - 1;
        search.loads.iter_mut().for_each(|l| *l = 0);
        let remaining: u64 = sorted.iter().sum();
        match search.fits(0, capacity, remaining) {
            Some(true) => {
                best = search.loads.iter().copied().max().unwrap_or(0);
                best_assignment.clone_from(&search.on);
            }
            Some(false) => break,
            None => {
                proven = false;
                break;
            }
        }
    }
    let mut assignment = vec![0; p.len()];
    for (k, &j) in order.iter().enumerate() {
        assignment[j] = best_assignment[k];
    }
    Optimum { makespan: best, assignment, proven, lower_bound: if proven { best } else { lb }, nodes: search.nodes }
}

/// Raises `trivial` to the smallest capacity at which Martello and Toth's L2 does not ask for
/// more than `m` bins (`sorted`: longest first). Any `C` with `L2(C − 1) > m` is a valid bound
/// (a schedule of makespan `C − 1` would be a packing into `m` bins), monotone or not.
pub fn bin_packing_bound(sorted: &[u64], m: usize, trivial: u64) -> u64 {
    let total: u64 = sorted.iter().sum();
    let (mut low, mut high) = (trivial, total.max(trivial)); // L2(high) ≤ m holds: one bin takes all
    let impossible = |c: u64| bins_needed(sorted, c) > m || too_many_per_machine(sorted, m, c);
    if !impossible(low) {
        return low;
    }
    // Invariant: L2(low) > m, L2(high) ≤ m.
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if impossible(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    high
}

/// A counting argument: under capacity `c` a machine holds at most `k = ⌊c / p_q⌋` of the `q`
/// longest jobs. If `q > k·m` they cannot all be placed; else at least `m − (k·m − q)` machines
/// hold exactly `k` of them, so one of those machines carries at least the average of the
/// shortest jobs those machines must take between them. (Catches instances of nearly equal
/// long jobs, where the average load is far below the optimum.)
fn too_many_per_machine(sorted: &[u64], m: usize, c: u64) -> bool {
    let mut prefix = 0u64;
    let prefix_sums: Vec<u64> = std::iter::once(0)
        .chain(sorted.iter().map(|&p| {
            prefix += p;
            prefix
        }))
        .collect();
    for q in m + 1..=sorted.len() {
        let k = (c / sorted[q - 1].max(1)) as usize;
        if q > k * m {
            return true;
        }
        let full = m.saturating_sub(k * m - q);
        if full == 0 {
            continue;
        }
        // The full machines hold k·full of the q longest: at least the k·full shortest of them.
        let least = prefix_sums[q] - prefix_sums[q - k * full];
        if least.div_ceil(full as u64) > c {
            return true;
        }
    }
    false
}

/// Martello and Toth's L2: a lower bound on the bins of capacity `c` that `sorted` (longest
/// first) needs. For each threshold `a ≤ c/2`: jobs over `c − a` and jobs over `c/2` each need
/// their own bin; jobs in `[a, c/2]` fill what those leave, then whole bins.
fn bins_needed(sorted: &[u64], c: u64) -> usize {
    if sorted.first().is_some_and(|&p| p > c) {
        return usize::MAX;
    }
    let n = sorted.len();
    let mut prefix = vec![0u64; n + 1];
    for (k, &p) in sorted.iter().enumerate() {
        prefix[k + 1] = prefix[k] + p;
    }
    // Jobs longer than x: the first `count_over(x)` (sorted longest first).
    let count_over = |x: u64| sorted.partition_point(|&p| p > x);
    let count_at_least = |x: u64| sorted.partition_point(|&p| p >= x);
    let big = count_over(c / 2); // over c/2 (for odd c, c/2 rounds down: p > c/2 ⟺ 2p > c)
    let mut best = big;
    let thresholds = sorted[big..].iter().copied().chain([0]);
    let mut last = None;
    for a in thresholds {
        if last == Some(a) {
            continue;
        }
        last = Some(a);
        let j1 = count_over(c - a);
        let j2 = big - j1;
        let j3_end = count_at_least(a.max(1));
        let j3_sum = prefix[j3_end] - prefix[big];
        let room = j2 as u64 * c - (prefix[big] - prefix[j1]);
        let extra = j3_sum.saturating_sub(room).div_ceil(c);
        best = best.max(j1 + j2 + extra as usize);
    }
    best
}

/// What a load or a processing time may be: whole units (the exact solver) or real numbers
/// (the policies' bounded search).
pub(crate) trait Load:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::iter::Sum
{
}

impl Load for u64 {}
impl Load for f64 {}

/// The depth-first search both use: does every job fit under a capacity?
pub(crate) struct Search<'a, T> {
    /// Processing times, longest first.
    pub sizes: &'a [T],
    /// The loads the search starts from and builds on.
    pub loads: Vec<T>,
    /// The machine of each job (in `sizes`' order) in the schedule found.
    pub on: Vec<usize>,
    pub nodes: u64,
    pub limit: u64,
}

impl<T: Load> Search<'_, T> {
    /// Whether jobs `k..` fit under `capacity` given the current loads (`None`: out of nodes).
    /// On success the loads and `on` hold the schedule.
    pub fn fits(&mut self, k: usize, capacity: T, remaining: T) -> Option<bool> {
        if k == self.sizes.len() {
            return Some(true);
        }
        self.nodes += 1;
        if self.nodes > self.limit {
            return None;
        }
        // The shortest job left is the last one; room too small for it is wasted.
        let shortest = self.sizes[self.sizes.len() - 1];
        let room: T = self.loads.iter().filter(|&&l| l + shortest <= capacity).map(|&l| capacity - l).sum();
        if room < remaining {
            return Some(false);
        }
        let size = self.sizes[k];
        // Fullest machine first (best fit finds schedules soon); one machine per distinct load.
        let mut candidates: Vec<usize> = (0..self.loads.len()).filter(|&i| self.loads[i] + size <= capacity).collect();
        let fuller = |a: &usize, b: &usize| self.loads[*b].partial_cmp(&self.loads[*a]).unwrap_or(Ordering::Equal);
        candidates.sort_unstable_by(|a, b| fuller(a, b).then(a.cmp(b)));
        candidates.dedup_by(|a, b| self.loads[*a] == self.loads[*b]);
        for i in candidates {
            self.loads[i] += size;
            self.on[k] = i;
            match self.fits(k + 1, capacity, remaining - size) {
                Some(false) => self.loads[i] -= size,
                found_or_out => return found_or_out,
            }
        }
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn makespan(p: &[u64], m: usize, assignment: &[usize]) -> u64 {
        let mut loads = vec![0; m];
        for (j, &i) in assignment.iter().enumerate() {
            loads[i] += p[j];
        }
        loads.into_iter().max().unwrap_or(0)
    }

    #[test]
    fn by_hand() {
        // LPT gives 7 (3+2+2 | 3+2); the optimum is 6 (3+3 | 2+2+2).
        let p = [3, 3, 2, 2, 2];
        let opt = branch_and_bound(&p, 2, 1_000_000);
        assert_eq!((opt.makespan, opt.proven), (6, true));
        assert_eq!(makespan(&p, 2, &opt.assignment), 6);
        // Graham's LPT worst case for m = 3: 5,5,4,4,3,3,3 → LPT 11, optimum 9.
        let p = [5, 5, 4, 4, 3, 3, 3];
        let opt = branch_and_bound(&p, 3, 1_000_000);
        assert_eq!((opt.makespan, opt.proven), (9, true));
        assert_eq!(makespan(&p, 3, &opt.assignment), 9);
    }

    #[test]
    fn agrees_with_enumeration_on_small_random_instances() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..400 {
            let m: usize = rng.random_range(1..=3);
            let n: usize = rng.random_range(1..=9);
            // Half spread out, half nearly equal (where the counting bound bites).
            let range = if rng.random_bool(0.5) { 1..=20 } else { 17..=20 };
            let p: Vec<u64> = (0..n).map(|_| rng.random_range(range.clone())).collect();
            // Every assignment of n jobs to m machines.
            let mut brute = u64::MAX;
            for code in 0..m.pow(n as u32) {
                let assignment: Vec<usize> = (0..n).map(|j| code / m.pow(j as u32) % m).collect();
                brute = brute.min(makespan(&p, m, &assignment));
            }
            let opt = branch_and_bound(&p, m, 10_000_000);
            assert!(opt.proven);
            assert_eq!(opt.makespan, brute, "{p:?} on {m}");
            assert_eq!(makespan(&p, m, &opt.assignment), brute);
        }
    }

    #[test]
    fn the_bin_packing_bound_by_hand() {
        // n = 2m with LPT optimal: 6,5,4,3 on 2 machines → 6+3 | 5+4 = 9 = Σ/m, nothing to add.
        assert_eq!(bin_packing_bound(&[6, 5, 4, 3], 2, 9), 9);
        // 3 × 6 on 2 machines: capacities below 12 leave three jobs over c/2 → three bins.
        assert_eq!(bin_packing_bound(&[6, 6, 6], 2, 9), 12);
        assert_eq!(bins_needed(&[6, 6, 6], 11), 3);
        assert_eq!(bins_needed(&[6, 6, 6], 12), 2);
        // Nine jobs of 10 and one of 1 on 2 machines: the average is 45.5, but one machine
        // holds five 10s → 50.
        let p = [10, 10, 10, 10, 10, 10, 10, 10, 10, 1];
        assert!(too_many_per_machine(&p, 2, 49));
        assert!(!too_many_per_machine(&p, 2, 50));
        assert_eq!(bin_packing_bound(&p, 2, 46), 50);
    }

    #[test]
    fn a_node_limit_leaves_a_valid_schedule_and_bound() {
        let p = coprep_traces::pcmax::generate(coprep_traces::pcmax::Class::NonUniform { a: 1, b: 10_000 }, 60, 1);
        let opt = branch_and_bound(&p, 25, 50);
        assert!(opt.lower_bound <= opt.makespan);
        assert_eq!(makespan(&p, 25, &opt.assignment), opt.makespan);
    }
}
