//! The pace of every running group when processors time-share their work.
//!
//! Group `g` needs `a[g][p]` nanoseconds of processor `p` per sample it advances (its consumers'
//! compute there plus its preprocessing share there). Alone, it would run at
//! `solo_g = 1 / max_p a[g][p]`. Together, every processor gives at most one nanosecond per
//! nanosecond. Rates are found by progressive filling on the slowdown: all groups run at the
//! same fraction `x` of their solo pace, raised until some processor is full; the groups using
//! that processor keep that `x`, and the others are raised further. The result is max-min fair
//! in slowdown, deterministic, and no processor is ever over-committed.

use crate::indexed_heap::IndexedHeap;

/// Per group, its sparse demand: (processor, nanoseconds per sample), processors ascending.
pub type Demand = Vec<(usize, f64)>;

/// Rates in samples per nanosecond, one per group, and the busy fraction of every processor.
///
/// Groups that share no processor, directly or through other groups, cannot slow each other
/// down, so each connected component is filled on its own: usually many small components
/// instead of one filling whose rounds each scan every group.
pub fn solve(demands: &[Demand], processors: usize) -> (Vec<f64>, Vec<f64>) {
    let mut solver = Solver::default();
    let (rates, used) = solver.solve(demands, processors);
    (rates.to_vec(), used.to_vec())
}

/// [`solve`] with its buffers kept between calls: the engine solves the groups an instant
/// touched, a few at a time, and the dozen vectors a solve needs cost more to allocate than
/// the filling.
#[derive(Debug, Default)]
pub struct Solver {
    /// Union-find over processors, and (component root, group) sorted: the components.
    parent: Vec<usize>,
    components: Vec<(usize, usize)>,
    /// One component's processors, and its groups' demands renumbered onto them.
    procs: Vec<usize>,
    local: Vec<Demand>,
    rates: Vec<f64>,
    used: Vec<f64>,
    filling: Filling,
}

impl Solver {
    /// [`solve`]: the rates and the processors' busy fractions, borrowed until the next call.
    pub fn solve(&mut self, demands: &[Demand], processors: usize) -> (&[f64], &[f64]) {
        if let [demand] = demands {
            // One group alone (the usual case where streams are kept apart).
            let (rate, used) = fill_one(demand, processors);
            self.rates.clear();
            self.rates.push(rate);
            self.used = used;
            return (&self.rates, &self.used);
        }
        let parent = &mut self.parent;
        parent.clear();
        parent.extend(0..processors);
        fn root(parent: &mut [usize], mut p: usize) -> usize {
            while parent[p] != p {
                parent[p] = parent[parent[p]];
                p = parent[p];
            }
            p
        }
        for d in demands {
            if let Some(&(first, _)) = d.first() {
                for &(p, _) in &d[1..] {
                    let (a, b) = (root(parent, first), root(parent, p));
                    parent[a] = b;
                }
            }
        }
        // Components in order of their root, each's groups in group order.
        self.components.clear();
        for (g, d) in demands.iter().enumerate() {
            if let Some(&(first, _)) = d.first() {
                self.components.push((root(parent, first), g));
            }
        }
        self.components.sort_unstable();
        self.rates.clear();
        self.rates.resize(demands.len(), 0.0);
        if matches!((self.components.first(), self.components.last()), (Some(a), Some(b)) if a.0 == b.0) {
            // One component (usual on a busy cluster): renumbering would change nothing but the cost.
            let (rates, used) = self.filling.fill(demands, processors);
            self.rates.copy_from_slice(rates);
            self.used.clear();
            self.used.extend_from_slice(used);
            return (&self.rates, &self.used);
        }
        self.used.clear();
        self.used.resize(processors, 0.0);
        for members in self.components.chunk_by(|a, b| a.0 == b.0) {
            // Renumber the component's processors 0.. so that one filling costs its own size.
            self.procs.clear();
            self.procs.extend(members.iter().flat_map(|&(_, g)| demands[g].iter().map(|&(p, _)| p)));
            self.procs.sort_unstable();
            self.procs.dedup();
            if self.local.len() < members.len() {
                self.local.resize_with(members.len(), Vec::new);
            }
            for (local, &(_, g)) in self.local.iter_mut().zip(members) {
                local.clear();
                let procs = &self.procs;
                local.extend(demands[g].iter().map(|&(p, a)| (procs.binary_search(&p).expect("listed"), a)));
            }
            let (r, u) = self.filling.fill(&self.local[..members.len()], self.procs.len());
            for (k, &(_, g)) in members.iter().enumerate() {
                self.rates[g] = r[k];
            }
            for (k, &p) in self.procs.iter().enumerate() {
                self.used[p] = u[k];
            }
        }
        (&self.rates, &self.used)
    }
}

/// The pace of a group alone: [`solve`] of its demand only, without the processors' use.
pub fn alone(demand: &[(usize, f64)]) -> f64 {
    let (solo, level) = solo_and_level(demand);
    // The level is capped at 1: where the group reaches its solo pace, `fill` fixes it at 1.
    level * solo
}

/// A single group's solo pace (0 where it needs nothing), and the level (fraction of it) at
/// which its most loaded processor fills, capped at 1: what [`fill`] works out first.
fn solo_and_level(demand: &[(usize, f64)]) -> (f64, f64) {
    let worst = demand.iter().map(|&(_, a)| a).fold(0.0, f64::max);
    if worst <= 0.0 {
        return (0.0, 1.0);
    }
    let solo = 1.0 / worst;
    // The level at which each processor fills, as `fill` keeps them: the lowest decides.
    let level_of = |used: f64, denom: f64| ((1.0 - used) / denom).max(0.0);
    let lowest = demand.iter().map(|&(_, a)| 0.0 + solo * a).filter(|&denom| denom > 0.0).map(|d| level_of(0.0, d));
    (solo, lowest.min_by_key(|l| l.to_bits()).map_or(1.0, |l| l.min(1.0)))
}

/// [`fill`] of a single group, with the same operations (so the same rate to the bit): it rises
/// until its most loaded processor is full, or to its solo pace.
fn fill_one(demand: &[(usize, f64)], processors: usize) -> (f64, Vec<f64>) {
    let mut used = vec![0.0; processors];
    let (solo, level) = solo_and_level(demand);
    if solo <= 0.0 {
        return (0.0 * 0.0, used);
    }
    let x = if level >= 1.0 {
        for &(p, a) in demand {
            used[p] += solo * a;
        }
        1.0
    } else {
        for &(p, a) in demand {
            used[p] += level * solo * a;
        }
        level
    };
    (x * solo, used)
}

/// Progressive filling of one set of groups over `processors` processors: [`Filling::fill`]
/// in fresh buffers.
#[cfg(test)]
fn fill(demands: &[Demand], processors: usize) -> (Vec<f64>, Vec<f64>) {
    let mut filling = Filling::default();
    let (rates, used) = filling.fill(demands, processors);
    (rates.to_vec(), used.to_vec())
}

/// What a progressive filling works in, kept between fillings.
#[derive(Debug, Default)]
struct Filling {
    solo: Vec<f64>,
    x: Vec<Option<f64>>,
    used: Vec<f64>,
    denom: Vec<f64>,
    left: Vec<usize>,
    starts: Vec<usize>,
    users: Vec<usize>,
    next: Vec<usize>,
    heap: Option<IndexedHeap<u64>>,
    full: Vec<usize>,
    touched: Vec<usize>,
    rates: Vec<f64>,
}

impl Filling {
    /// Progressive filling of one set of groups over `processors` processors. The processor
    /// that fills first at the common slowdown comes off a heap; fixing the groups on it updates
    /// only the processors those groups use, and levels only rise, so a filling costs
    /// O(entries × log P) rather than a scan of every group and processor per level. Returns
    /// the rates and the processors' busy fractions.
    fn fill(&mut self, demands: &[Demand], processors: usize) -> (&[f64], &[f64]) {
        let Filling { solo, x, used, denom, left, starts, users, next, heap, full, touched, rates } = self;
        solo.clear();
        solo.extend(demands.iter().map(|d| {
            let worst = d.iter().map(|&(_, a)| a).fold(0.0, f64::max);
            if worst > 0.0 {
                1.0 / worst
            } else {
                0.0
            }
        }));
        x.clear();
        x.extend(solo.iter().map(|&s| if s > 0.0 { None } else { Some(0.0) }));
        for v in [&mut *used, &mut *denom] {
            v.clear();
            v.resize(processors, 0.0);
        }
        left.clear();
        left.resize(processors, 0);
        for (g, d) in demands.iter().enumerate() {
            if x[g].is_none() {
                for &(p, a) in d {
                    denom[p] += solo[g] * a;
                    left[p] += 1;
                }
            }
        }
        // Each processor's groups, in group order, as one array cut at `starts` (not a vector each).
        starts.clear();
        starts.resize(processors + 1, 0);
        for p in 0..processors {
            starts[p + 1] = starts[p] + left[p];
        }
        users.clear();
        users.resize(starts[processors], 0);
        next.clone_from(starts);
        for (g, d) in demands.iter().enumerate() {
            if x[g].is_none() {
                for &(p, _) in d {
                    users[next[p]] = g;
                    next[p] += 1;
                }
            }
        }
        // Levels as ordered bits (non-negative floats order like their bit patterns).
        let level_of = |used: f64, denom: f64| ((1.0 - used) / denom).max(0.0);
        // The processors that still carry unfixed groups, by the level at which each fills.
        let heap = heap.get_or_insert_with(|| IndexedHeap::new(0));
        heap.reset(processors);
        for p in 0..processors {
            if left[p] > 0 && denom[p] > 0.0 {
                heap.set(p, level_of(used[p], denom[p]).to_bits());
            }
        }
        let mut remaining = x.iter().filter(|x| x.is_none()).count();
        let current = |heap: &IndexedHeap<u64>| heap.peek().map(|(bits, p)| (f64::from_bits(bits), p));
        while remaining > 0 {
            let level = current(heap).map_or(1.0, |(l, _)| l.min(1.0));
            if level >= 1.0 {
                for g in 0..demands.len() {
                    if x[g].is_none() {
                        x[g] = Some(1.0);
                        for &(p, a) in &demands[g] {
                            used[p] += solo[g] * a;
                        }
                    }
                }
                break;
            }
            // Every processor full at this level, then every group on them fixed at it.
            full.clear();
            while let Some((l, p)) = current(heap) {
                if l > level * (1.0 + 1e-12) {
                    break;
                }
                heap.pop();
                full.push(p);
            }
            touched.clear();
            for &p in full.iter() {
                for &g in &users[starts[p]..starts[p + 1]] {
                    if x[g].is_some() {
                        continue;
                    }
                    x[g] = Some(level);
                    remaining -= 1;
                    for &(q, a) in &demands[g] {
                        used[q] += level * solo[g] * a;
                        denom[q] -= solo[g] * a;
                        left[q] -= 1;
                        touched.push(q);
                    }
                }
            }
            for &q in touched.iter() {
                if left[q] > 0 {
                    heap.set(q, level_of(used[q], denom[q].max(f64::MIN_POSITIVE)).to_bits());
                } else {
                    heap.remove(q);
                }
            }
        }
        rates.clear();
        rates.extend(x.iter().zip(solo.iter()).map(|(x, s)| x.unwrap_or(0.0) * s));
        (rates, used)
    }
}

#[cfg(test)]
mod tests {
    use super::{solve, Demand};

    #[test]
    fn by_hand() {
        // One group alone on one processor: 4 ns/sample -> 0.25 samples/ns, processor full.
        let (r, u) = solve(&[vec![(0, 4.0)]], 1);
        assert_eq!(r, vec![0.25]);
        assert_eq!(u, vec![1.0]);
        // Two equal groups time-share processor 0: each at half pace.
        let (r, u) = solve(&[vec![(0, 2.0)], vec![(0, 2.0)]], 1);
        assert_eq!(r, vec![0.25, 0.25]);
        assert_eq!(u, vec![1.0]);
        // Group 0 needs p0 (1 ns) and p1 (4 ns): solo 1/4. Group 1 needs p0 (1 ns): solo 1.
        // Together on p0: 1/4 + 1 = 1.25 ns per ns at x=1, so x = 0.8 for both (p0 is full);
        // rates 0.2 and 0.8; p1 is busy 0.2 * 4 = 0.8 of the time.
        let (r, u) = solve(&[vec![(0, 1.0), (1, 4.0)], vec![(0, 1.0)]], 2);
        assert!((r[0] - 0.2).abs() < 1e-12 && (r[1] - 0.8).abs() < 1e-12, "{r:?}");
        assert!((u[0] - 1.0).abs() < 1e-12 && (u[1] - 0.8).abs() < 1e-12, "{u:?}");
        // Add group 2 on p1 (1 ns). p1 fills first: at x, 4x/4 + x = 2x = 1, so x = 0.5 for
        // groups 0 and 2 (p0 then holds 0.125). Group 1 rises alone until p0 is full: 0.875.
        let (r, u) = solve(&[vec![(0, 1.0), (1, 4.0)], vec![(0, 1.0)], vec![(1, 1.0)]], 2);
        for (got, want) in r.iter().zip([0.125, 0.875, 0.5]) {
            assert!((got - want).abs() < 1e-12, "{r:?}");
        }
        assert!(u.iter().all(|u| (u - 1.0).abs() < 1e-12), "{u:?}");
    }

    /// The filling as first written: every level recomputed from every group and processor.
    fn naive(demands: &[Demand], processors: usize) -> Vec<f64> {
        let solo: Vec<f64> = demands.iter().map(|d| 1.0 / d.iter().map(|&(_, a)| a).fold(0.0, f64::max)).collect();
        let mut x: Vec<Option<f64>> = vec![None; demands.len()];
        let mut used = vec![0.0; processors];
        while x.iter().any(Option::is_none) {
            let mut denom = vec![0.0; processors];
            for (g, d) in demands.iter().enumerate().filter(|(g, _)| x[*g].is_none()) {
                for &(p, a) in d {
                    denom[p] += solo[g] * a;
                }
            }
            let level = (0..processors)
                .filter(|&p| denom[p] > 0.0)
                .map(|p| ((1.0 - used[p]) / denom[p]).max(0.0))
                .fold(1.0f64, f64::min);
            let full: Vec<bool> = (0..processors)
                .map(|p| denom[p] > 0.0 && (1.0 - used[p]) / denom[p] <= level * (1.0 + 1e-12))
                .collect();
            for (g, d) in demands.iter().enumerate() {
                if x[g].is_none() && (level >= 1.0 || d.iter().any(|&(p, _)| full[p])) {
                    x[g] = Some(level);
                    for &(p, a) in d {
                        used[p] += level * solo[g] * a;
                    }
                }
            }
        }
        x.iter().zip(&solo).map(|(x, s)| x.unwrap() * s).collect()
    }

    #[test]
    fn agrees_with_the_naive_filling() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..500 {
            let processors = rng.random_range(1..=6);
            let groups = rng.random_range(1..=8);
            let demands: Vec<Demand> = (0..groups)
                .map(|_| {
                    let mut d: Demand = Vec::new();
                    for p in 0..processors {
                        if rng.random_bool(0.4) {
                            d.push((p, rng.random_range(0.1..5.0)));
                        }
                    }
                    if d.is_empty() {
                        d.push((rng.random_range(0..processors), 1.0));
                    }
                    d
                })
                .collect();
            let (fast, used) = solve(&demands, processors);
            for (a, b) in fast.iter().zip(naive(&demands, processors)) {
                assert!((a - b).abs() <= 1e-9 * b.max(1e-9), "{demands:?}: {fast:?}");
            }
            assert!(used.iter().all(|&u| u <= 1.0 + 1e-9), "{used:?}");
        }
    }

    #[test]
    fn one_group_fills_as_the_general_filling_does_to_the_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..2000 {
            let processors = rng.random_range(1..=8);
            let mut demand: Demand = Vec::new();
            for p in 0..processors {
                if rng.random_bool(0.6) {
                    let a = if rng.random_bool(0.1) { 0.0 } else { rng.random_range(0.01..50.0) };
                    demand.push((p, a));
                }
            }
            if demand.is_empty() {
                demand.push((0, rng.random_range(0.0..3.0)));
            }
            let (rate, used) = super::fill_one(&demand, processors);
            let (rates, all_used) = super::fill(&[demand.clone()], processors);
            assert_eq!(rate.to_bits(), rates[0].to_bits(), "{demand:?}");
            assert_eq!(super::alone(&demand).to_bits(), rates[0].to_bits(), "{demand:?}");
            assert_eq!(used, all_used, "{demand:?}");
        }
    }

    #[test]
    fn a_solver_kept_between_calls_solves_as_a_fresh_one() {
        // Seeded problems of every shape one after another through one solver (its buffers
        // grow, shrink and hold the last call's values): the same rates and use to the bit.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        let mut kept = super::Solver::default();
        for _ in 0..2000 {
            let processors = rng.random_range(1..=10);
            let groups = rng.random_range(0..=7);
            let demands: Vec<Demand> = (0..groups)
                .map(|_| {
                    let mut d: Demand = Vec::new();
                    for p in 0..processors {
                        if rng.random_bool(0.3) {
                            d.push((p, if rng.random_bool(0.05) { 0.0 } else { rng.random_range(0.1..5.0) }));
                        }
                    }
                    d
                })
                .collect();
            let (rates, used) = solve(&demands, processors);
            let (kept_rates, kept_used) = kept.solve(&demands, processors);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(kept_rates), bits(&rates), "{demands:?}");
            assert_eq!(bits(kept_used), bits(&used), "{demands:?}");
        }
    }

    #[test]
    fn components_are_filled_as_if_alone() {
        // The last example, and beside it on processors 2 and 3 a group alone on 3 and one
        // spanning 2 and 3: together they must give what each set gives alone.
        let left = vec![vec![(0, 1.0), (1, 4.0)], vec![(0, 1.0)], vec![(1, 1.0)]];
        let right = vec![vec![(1, 2.0)], vec![(0, 3.0), (1, 1.0)]];
        let (rl, ul) = solve(&left, 2);
        let (rr, ur) = solve(&right, 2);
        let shifted: Vec<_> = right.iter().map(|d| d.iter().map(|&(p, a)| (p + 2, a)).collect()).collect();
        let both: Vec<_> = left.iter().cloned().chain(shifted).collect();
        let (r, u) = solve(&both, 4);
        assert_eq!(r, [rl, rr].concat());
        assert_eq!(u, [ul, ur].concat());
    }
}
