//! What the assignment algorithms place (items) and share: water-filling of divisible
//! preprocessing work, the order of processors by when they free up, selection of the few
//! soonest. (List scheduling is in `list_schedule`, the search that improves its placement in
//! `improve`.)

use crate::costs::Costs;
use crate::event::GroupId;

/// Something to place: a task with its gang size, its cost on each processor (`None` where it
/// cannot run) and the memory it needs on each processor it uses. Items with the same `group`
/// (tasks reading one stream) are kept together where that costs little.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub task: usize,
    pub gang: usize,
    pub cost: Costs<'a>,
    pub memory: f64,
    pub group: Option<usize>,
    /// The stream it reads, for keeping streams apart on processors (see [`crate::room::Room`]); `None`:
    /// it may share a processor with anything.
    pub stream: Option<GroupId>,
    /// How long it runs on each processor (nanoseconds), for deciding whether to wait for a
    /// busy processor; `None`: the same as `cost`. Classed like `cost`.
    pub duration: Option<Costs<'a>>,
}

impl Item<'_> {
    pub(crate) fn size(&self) -> f64 {
        self.cost.classes().iter().flatten().copied().fold(f64::INFINITY, f64::min) * self.gang as f64
    }

    /// Whether it costs the same on every processor (runs nowhere counting as the same).
    pub(crate) fn costs_the_same_everywhere(&self) -> bool {
        let classes = self.cost.classes();
        classes.iter().all(|c| *c == classes[0])
    }

    /// Each item's size, where every item runs on one processor and costs the same on every
    /// processor (the P||Cmax case the packing heuristics model); else `None`.
    pub(crate) fn uniform_sizes(items: &[Item]) -> Option<Vec<f64>> {
        items
            .iter()
            .map(|item| match item.cost.classes().first() {
                Some(&Some(size)) if item.gang == 1 && item.costs_the_same_everywhere() => Some(size),
                _ => None,
            })
            .collect()
    }

    /// What the item costs on each processor of `procs`: a gang runs at its slowest member's pace.
    pub(crate) fn cost_on(&self, procs: &[usize]) -> f64 {
        procs.iter().map(|&p| self.cost[p].unwrap_or(f64::INFINITY)).fold(0.0, f64::max)
    }
}

/// What lets an item that does not fit now keep its claim (EASY backfilling's reservation):
/// when each processor is expected to free up, and how much memory it has in all.
pub struct Reservation<'a> {
    pub frees_in: &'a [f64],
    pub capacity: &'a [f64],
    /// Every processor, by when it frees up (ties by index), one list per class: see
    /// [`FreeOrder`].
    pub by_frees: &'a FreeOrder,
    /// Per item, whether enough processors could take it now (false: too few have
    /// room for it, before anything is placed). Placing and reserving only take processors,
    /// so an item that cannot start now never can in the round, and LPT looks no further than
    /// whether it should wait.
    pub may_start: &'a [bool],
    /// Whether the loads list scheduling starts from are `frees_in` (it balances work): then
    /// an order by load is the order by free-up, and lists by load are not sorted apart. Said
    /// by the caller (comparing every processor's two values each round cost more than using
    /// the answer); where the loads merely equal `frees_in` (pace on an idle cluster) it may
    /// say no, and the lists come out the same, sorted.
    pub loads_are_frees: bool,
}

/// Every processor by when it frees up, ties by index, one list per class of identical
/// processors (what list scheduling reads), kept between rounds: handed the last round's
/// order, which time and a few starts and finishes barely disturb, an insertion sort costs
/// about one pass plus the shifts of the processors that moved; past a budget of shifts (a
/// first round, a reshuffle) it sorts outright. Every round needs the order.
#[derive(Debug, Default)]
pub struct FreeOrder {
    /// Per class: (when it frees up as an ordered key, processor), in order.
    classes: Vec<Vec<(i64, usize)>>,
    /// The class of each processor the lists were laid out by, and where the map lay (a
    /// policy hands the same map every round: recognised by its address, not compared).
    class_of: Vec<usize>,
    class_map: (usize, usize),
}

impl FreeOrder {
    /// An order to sort from, of one class (the tests' way to start from any order).
    #[cfg(test)]
    fn starting_from(procs: Vec<usize>) -> FreeOrder {
        let class_of = vec![0; procs.len()];
        FreeOrder { classes: vec![procs.iter().map(|&p| (0, p)).collect()], class_of, class_map: (0, 0) }
    }

    /// Sorts each class's processors (`class_of[p]` naming processor `p`'s, of `classes`) by
    /// `frees_in` (one value per processor).
    pub fn sort(&mut self, frees_in: &[f64], class_of: &[usize], classes: usize) {
        let map = (class_of.as_ptr() as usize, class_of.len());
        if self.classes.len() != classes || (map != self.class_map && self.class_of != class_of) {
            self.class_of = class_of.to_vec();
            self.classes = vec![Vec::new(); classes];
            for (p, &c) in class_of.iter().enumerate() {
                self.classes[c].push((0, p));
            }
        }
        self.class_map = map;
        debug_assert_eq!(self.class_of, class_of, "a class map changed where it lies");
        for keyed in &mut self.classes {
            for entry in keyed.iter_mut() {
                entry.0 = order_key(frees_in[entry.1]);
            }
            let mut budget = 8 * keyed.len();
            for i in 1..keyed.len() {
                let x = keyed[i];
                if keyed[i - 1] <= x {
                    continue;
                }
                let mut j = i;
                while j > 0 && keyed[j - 1] > x {
                    keyed[j] = keyed[j - 1];
                    j -= 1;
                }
                keyed[j] = x;
                budget = budget.saturating_sub(i - j);
                if budget == 0 {
                    keyed.sort_unstable();
                    break;
                }
            }
        }
    }

    /// Class `c`'s processors in order, each with its ordered key.
    pub fn class(&self, c: usize) -> &[(i64, usize)] {
        self.classes.get(c).map_or(&[], Vec::as_slice)
    }

    /// How many classes it orders.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// Every processor in order (ties by index): the classes' lists merged.
    pub fn merged(&self) -> impl Iterator<Item = usize> + '_ {
        let mut at = vec![0; self.classes.len()];
        std::iter::from_fn(move || {
            let c = (0..self.classes.len())
                .filter(|&c| at[c] < self.classes[c].len())
                .min_by_key(|&c| self.classes[c][at[c]])?;
            at[c] += 1;
            Some(self.classes[c][at[c] - 1].1)
        })
    }
}

/// The highest of `loads`: a placement's makespan (0 with none).
pub(crate) fn peak(loads: &[f64]) -> f64 {
    loads.iter().copied().fold(0.0, f64::max)
}

/// A key that orders floats as `total_cmp` does.
pub(crate) fn order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// Moves the `k` smallest (by value, then processor) to the front, in no particular order
/// except that the `k`-th smallest ends at `k - 1` (and so, for `k = 1`, the smallest first);
/// the rest follow in no particular order. LPT reads no more than that: the `k`-th finish time,
/// and which processors are the `k` soonest (a set). For `k = 1` one scan; for the short lists
/// LPT hands it, an insertion into a sorted front of `k`; else a linear selection.
pub(crate) fn smallest_k(entries: &mut [(f64, usize)], k: usize) {
    let by = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if k == 1 {
        let least = (0..entries.len()).reduce(|a, b| if by(&entries[b], &entries[a]).is_lt() { b } else { a });
        if let Some(least) = least {
            entries.swap(0, least);
        }
    } else if k > 1 && entries.len() >= k && entries.len() <= SMALL_SELECTION {
        // A few dozen entries at most (a gang's worth per processor class): keep the front k
        // sorted and let each later entry displace the largest of them if smaller. Compared on
        // integer keys, this costs a fraction of a general selection.
        let key = |e: &(f64, usize)| (order_key(e.0), e.1);
        for i in 1..entries.len() {
            if i >= k {
                if key(&entries[i]) >= key(&entries[k - 1]) {
                    continue;
                }
                entries.swap(i, k - 1);
            }
            let mut j = i.min(k - 1);
            while j > 0 && key(&entries[j]) < key(&entries[j - 1]) {
                entries.swap(j, j - 1);
                j -= 1;
            }
        }
    } else if entries.len() >= k && k > 0 {
        entries.select_nth_unstable_by(k - 1, by);
    }
}

/// Up to how many entries [`smallest_k`] selects by insertion.
const SMALL_SELECTION: usize = 48;

/// Spreads divisible work over processors so that the highest resulting load is as low as it can
/// be. `per_unit` lists the processors that can take it, each with the time one unit of work
/// takes there. Returns the shares (summing to 1, in processor order) and adds the work to
/// `loads`. With no work, the whole (empty) share goes to the least loaded processor able to
/// run it.
pub fn water_fill(loads: &mut [f64], units: f64, per_unit: &[(usize, f64)]) -> Vec<(usize, f64)> {
    let mut able: Vec<(f64, usize, f64)> = per_unit.iter().map(|&(p, c)| (loads[p], p, c)).collect();
    able.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if able.is_empty() {
        return Vec::new();
    }
    // Free work (or none) goes whole to the least loaded processor that can take it for free.
    if units <= 0.0 || able.iter().any(|a| a.2 <= 0.0) {
        let free = able.iter().find(|a| a.2 <= 0.0).unwrap_or(&able[0]);
        return vec![(free.1, 1.0)];
    }
    // Raise a water level over the sorted loads until the work fits below it.
    let mut level = able[0].0;
    let mut rate = 0.0; // units absorbed per unit rise of the level, over the processors under water
    let mut absorbed = 0.0;
    let mut k = 0;
    while k < able.len() {
        rate += 1.0 / able[k].2;
        let next = able.get(k + 1).map_or(f64::INFINITY, |a| a.0);
        let need = (units - absorbed) / rate;
        if level + need <= next {
            level += need;
            break;
        }
        absorbed += (next - level) * rate;
        level = next;
        k += 1;
    }
    let mut shares = Vec::new();
    for &(load, p, c) in &able {
        if load < level {
            let share = (level - load) / c / units;
            loads[p] = level;
            shares.push((p, share));
        }
    }
    shares.sort_unstable_by_key(|s| s.0);
    shares
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::list_schedule::lpt;
    use crate::room::Room;

    /// Single-processor items costing `sizes[t]` on each of `procs` processors, no memory, no
    /// group: P||Cmax in item form, for the assignment algorithms' tests.
    pub(crate) fn items(sizes: &[f64], procs: usize) -> Vec<Item<'static>> {
        sizes
            .iter()
            .enumerate()
            .map(|(t, &s)| Item {
                task: t,
                gang: 1,
                cost: vec![Some(s); procs].into(),
                memory: 0.0,
                group: None,
                stream: None,
                duration: None,
            })
            .collect()
    }

    #[test]
    fn lpt_by_hand() {
        // LPT on 2 machines with 3,3,2,2,2: 3|3, then 2,2 on each... loads 5 and 7 → makespan 7;
        // the optimum is 6 (3+3 | 2+2+2), which the improvement search finds.
        let its = items(&[3.0, 3.0, 2.0, 2.0, 2.0], 2);
        let (mut loads, mut room) = (vec![0.0; 2], Room::memory_only(vec![f64::INFINITY; 2]));
        let (mut placement, reserved) = lpt(&its, &mut loads, &mut room, None);
        assert_eq!(peak(&loads), 7.0);
        crate::improve::improve(&its, &mut placement, &mut loads, &mut room, &reserved, 100);
        assert_eq!(peak(&loads), 6.0);
    }

    #[test]
    fn free_order_sorts_by_free_up_then_index_from_any_start() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..300 {
            let m = rng.random_range(1..80);
            // Few distinct values, so that ties (broken by index) are common.
            let frees: Vec<f64> = (0..m).map(|_| rng.random_range(0..6) as f64 * 0.5).collect();
            let mut expected: Vec<usize> = (0..m).collect();
            expected.sort_by(|&a, &b| frees[a].total_cmp(&frees[b]).then(a.cmp(&b)));
            // From scratch, from the answer, from a few swaps off it, and from reversed
            // (past the budget of shifts).
            let mut near = expected.clone();
            for _ in 0..3 {
                near.swap(rng.random_range(0..m), rng.random_range(0..m));
            }
            let reversed: Vec<usize> = expected.iter().rev().copied().collect();
            for start in [Vec::new(), expected.clone(), near, reversed] {
                let mut order = if start.is_empty() { FreeOrder::default() } else { FreeOrder::starting_from(start) };
                let one_class = vec![0; m];
                order.sort(&frees, &one_class, 1);
                assert_eq!(order.merged().collect::<Vec<_>>(), expected);
                // And again from its own answer, after the values move.
                let moved: Vec<f64> = frees.iter().map(|f| f + rng.random_range(0..3) as f64).collect();
                let mut again: Vec<usize> = (0..m).collect();
                again.sort_by(|&a, &b| moved[a].total_cmp(&moved[b]).then(a.cmp(&b)));
                order.sort(&moved, &one_class, 1);
                assert_eq!(order.merged().collect::<Vec<_>>(), again);
                // In classes, each in order, merging to the whole order.
                let class_of: Vec<usize> = (0..m).map(|p| p % 3).collect();
                let mut classed = FreeOrder::default();
                classed.sort(&moved, &class_of, 3);
                for c in 0..3 {
                    let in_class: Vec<usize> = again.iter().copied().filter(|&p| class_of[p] == c).collect();
                    assert_eq!(classed.class(c).iter().map(|e| e.1).collect::<Vec<_>>(), in_class);
                }
                assert_eq!(classed.merged().collect::<Vec<_>>(), again);
            }
        }
    }

    #[test]
    fn smallest_k_fronts_the_k_smallest_with_the_kth_last() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..2000 {
            // Short lists (selected by insertion) and long ones (by a general selection).
            let n = rng.random_range(0..120);
            // Few distinct values, negative ones too, so that ties (broken by processor) are
            // common and the integer keys must order signs as floats do.
            let value = |rng: &mut rand::rngs::StdRng| rng.random_range(-2..4) as f64 * 0.5;
            let mut entries: Vec<(f64, usize)> = (0..n).map(|p| (value(&mut rng), p)).collect();
            let mut sorted = entries.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let k = rng.random_range(1..=8).min(n.max(1));
            smallest_k(&mut entries, k);
            if n >= k {
                let mut front = entries[..k].to_vec();
                front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                assert_eq!(front, sorted[..k]);
                // The k-th at k - 1: for k = 1, the smallest first (LPT's best processor).
                assert_eq!(entries[k - 1], sorted[k - 1]);
            }
            entries.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            assert_eq!(entries, sorted, "nothing lost or added");
        }
    }

    #[test]
    fn water_fill_by_hand() {
        // Loads 0, 2, 10; 4 units at cost 1 on the first two: level 3, shares 3/4 and 1/4.
        let mut loads = vec![0.0, 2.0, 10.0];
        let shares = water_fill(&mut loads, 4.0, &[(0, 1.0), (1, 1.0), (2, 1.0)]);
        assert_eq!(shares, vec![(0, 0.75), (1, 0.25)]);
        assert_eq!(loads, vec![3.0, 3.0, 10.0]);
        // A processor twice as slow absorbs half as much per level.
        let mut loads = vec![0.0, 0.0];
        let shares = water_fill(&mut loads, 3.0, &[(0, 1.0), (1, 2.0)]);
        assert_eq!(shares, vec![(0, 2.0 / 3.0), (1, 1.0 / 3.0)]);
        assert_eq!(loads, vec![2.0, 2.0]);
        // Free work (an empty pipeline) goes whole to the least loaded processor.
        let mut loads = vec![5.0, 1.0];
        assert_eq!(water_fill(&mut loads, 10.0, &[(0, 0.0), (1, 0.0)]), vec![(1, 1.0)]);
        assert_eq!(loads, vec![5.0, 1.0]);
    }
}
