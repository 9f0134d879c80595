//! Improving a placement by exchanges between the most loaded processor and one other: one or
//! two of its single-processor items move away and up to two come back. An exchange is taken
//! only when it lowers the larger of the two loads, so the maximum load never rises and the
//! result is never worse than the input (LPT's placement, in the policies).
//!
//! Between processors on which the items cost the same (identical processors: the common case,
//! and P||Cmax), an exchange shifts a difference `d` of work, best near half the loads' gap;
//! subset sums sorted once let every candidate be matched by binary search, so exchanges of
//! two against two stay cheap. Between different processors only single moves and swaps are
//! tried, each judged with both processors' costs.

use crate::assign::{order_key, Item};
use crate::room::Room;

/// Items on a processor up to which pairs of them are tried (beyond, singles leave fine enough
/// steps and pairs would cost the square).
const PAIRS_UP_TO: usize = 16;

/// Neighbours of the best-balancing match examined per candidate (when memory rules one out).
const NEAR: usize = 3;

/// Relative slack for rounding when bounding an exchange's result from below.
const ROUNDING: f64 = 1e-12;

/// Whether the most loaded processor holds a single-processor item of `placement`: only
/// then can [`improve`] move anything. (Only items of the placement move: a peak that holds
/// none, work already running there in most online rounds, cannot come down, however the rest
/// is exchanged.)
pub fn holds_peak(items: &[Item], placement: &[Option<Vec<usize>>], loads: &[f64]) -> bool {
    let mut singles =
        placement.iter().zip(items).filter(|(_, it)| it.gang == 1).filter_map(|(at, _)| Some(at.as_ref()?[0]));
    if singles.clone().next().is_none() {
        return false;
    }
    // The most loaded processor, ties to the lowest index, in the order `total_cmp` gives
    // (compared as integer keys: a pass over every processor in every placing round).
    let Some(top_key) = loads.iter().map(|&l| order_key(l)).max() else { return false };
    let top = loads.iter().position(|&l| order_key(l) == top_key);
    top.is_some_and(|top| singles.any(|p| p == top))
}

/// Improves `placement` for at most `max_rounds` exchanges; updates `loads` and `room`.
/// Nothing moves onto `reserved` processors.
pub fn improve(
    items: &[Item],
    placement: &mut [Option<Vec<usize>>],
    loads: &mut [f64],
    room: &mut Room,
    reserved: &[bool],
    max_rounds: usize,
) {
    if max_rounds == 0 || !holds_peak(items, placement, loads) {
        return;
    }
    let mut on: Vec<Vec<usize>> = vec![Vec::new(); loads.len()];
    for (i, procs) in placement.iter().enumerate() {
        if let (1, Some(procs)) = (items[i].gang, procs) {
            on[procs[0]].push(i);
        }
    }
    // Sorted subsets of each processor's items (with the empty set), kept until an exchange
    // changes the processor: a round changes two processors, so most survive.
    let mut subsets: Vec<Option<Vec<Subset>>> = vec![None; loads.len()];
    // Items that cost the same on every processor (P||Cmax, and every cluster of one type)
    // cost the same on any two: no pair needs checking.
    let uniform = items.iter().all(Item::costs_the_same_everywhere);
    for _ in 0..max_rounds {
        let Some(top) = (0..loads.len()).max_by(|&a, &b| loads[a].total_cmp(&loads[b]).then(b.cmp(&a))) else {
            return;
        };
        // Only items of this placement move: a peak that holds none (work already running
        // there, in the online rounds) cannot come down, however the rest is exchanged.
        if on[top].is_empty() {
            return;
        }
        let peak = loads[top];
        let pair = Pair { items, loads, room, top, tol: 1e-9 * peak.max(1.0) };
        let mut best: Option<Exchange> = None;
        for q in (0..loads.len()).filter(|&q| q != top && !reserved[q]) {
            // What an exchange must beat to be taken: below the peak, and the best so far.
            let bound = best.as_ref().map_or(peak - pair.tol, |b| b.new_max);
            let found = if uniform || pair.same_costs(&on[top], &on[q], q) {
                // Shifting work between identical processors leaves at least half their sum:
                // where that cannot beat the bound, no subset of theirs needs looking at.
                if (peak + loads[q]) / 2.0 - ROUNDING * peak.max(1.0) >= bound {
                    continue;
                }
                for p in [top, q] {
                    if subsets[p].is_none() {
                        subsets[p] = Some(pair.subsets(&on[p], p));
                    }
                }
                pair.identical_exchange(
                    subsets[top].as_deref().expect("built"),
                    subsets[q].as_deref().expect("built"),
                    q,
                    bound,
                )
            } else {
                pair.general_exchange(&on[top], &on[q], q)
            };
            if let Some(x) = found.filter(|x| x.new_max < bound) {
                best = Some(x);
            }
        }
        let Some(x) = best else { return };
        for &i in x.out.ids() {
            shift(items, i, top, x.to, placement, loads, room, &mut on);
        }
        for &j in x.back.ids() {
            shift(items, j, x.to, top, placement, loads, room, &mut on);
        }
        subsets[top] = None;
        subsets[x.to] = None;
    }
}

/// Items `out` leave the top processor for `to`, items `back` come the other way; `new_max` is
/// the larger of the two loads after.
#[derive(Debug)]
struct Exchange {
    to: usize,
    out: Subset,
    back: Subset,
    new_max: f64,
}

/// The top processor and what exchanges with it are judged by.
struct Pair<'a> {
    items: &'a [Item<'a>],
    loads: &'a [f64],
    room: &'a Room,
    top: usize,
    tol: f64,
}

/// A set of at most two items of one processor: their summed cost.
#[derive(Debug, Clone, Copy)]
struct Subset {
    cost: f64,
    ids: [usize; 2],
    len: usize,
}

impl Subset {
    const EMPTY: Subset = Subset { cost: 0.0, ids: [0, 0], len: 0 };

    fn one(i: usize, cost: f64) -> Subset {
        Subset { cost, ids: [i, 0], len: 1 }
    }

    fn ids(&self) -> &[usize] {
        &self.ids[..self.len]
    }
}

impl Pair<'_> {
    fn same_costs(&self, on_top: &[usize], on_q: &[usize], q: usize) -> bool {
        on_top.iter().chain(on_q).all(|&i| self.items[i].cost[self.top] == self.items[i].cost[q])
    }

    /// The empty set, each item, and (on processors with few items) each pair, by cost.
    fn subsets(&self, on: &[usize], proc: usize) -> Vec<Subset> {
        let cost = |i: usize| self.items[i].cost[proc].expect("placed where it runs");
        let mut subsets = vec![Subset::EMPTY];
        for (a, &i) in on.iter().enumerate() {
            subsets.push(Subset::one(i, cost(i)));
            if on.len() <= PAIRS_UP_TO {
                for &j in &on[a + 1..] {
                    subsets.push(Subset { cost: cost(i) + cost(j), ids: [i, j], len: 2 });
                }
            }
        }
        subsets.sort_by(|a, b| a.cost.total_cmp(&b.cost));
        subsets
    }

    /// The best exchange with `q` when every item costs the same on both: shifting `d` of work
    /// leaves `max(top − d, q + d)`, lowest for `d` near half the gap.
    /// Exchanges that do not beat `bound` are not looked at further (the caller takes none).
    fn identical_exchange(&self, outs: &[Subset], backs: &[Subset], q: usize, bound: f64) -> Option<Exchange> {
        let (lt, lq) = (self.loads[self.top], self.loads[q]);
        let gap = lt - lq;
        if gap <= self.tol {
            return None;
        }
        let mut best: Option<(f64, Subset, Subset)> = None;
        for out in outs.iter().filter(|o| o.len > 0) {
            // d = out − back; the ideal back costs out − gap/2.
            let ideal = out.cost - gap / 2.0;
            let at = backs.partition_point(|b| b.cost < ideal);
            let near = at.saturating_sub(NEAR)..(at + NEAR).min(backs.len());
            for back in &backs[near] {
                let d = out.cost - back.cost;
                if d <= self.tol || d >= gap - self.tol {
                    continue;
                }
                let new_max = (lt - d).max(lq + d);
                if new_max >= bound
                    || best.as_ref().is_some_and(|b| new_max >= b.0)
                    || !self.fits(out.ids(), back.ids(), q)
                {
                    continue;
                }
                best = Some((new_max, *out, *back));
            }
        }
        best.map(|(new_max, out, back)| Exchange { to: q, out, back, new_max })
    }

    /// The best single move or swap with `q` when costs differ between the two processors.
    fn general_exchange(&self, on_top: &[usize], on_q: &[usize], q: usize) -> Option<Exchange> {
        let (lt, lq) = (self.loads[self.top], self.loads[q]);
        let items = self.items;
        let mut best: Option<Exchange> = None;
        let mut consider = |new_max: f64, out: Subset, back: Subset| {
            if best.as_ref().is_none_or(|b| new_max < b.new_max) {
                best = Some(Exchange { to: q, out, back, new_max });
            }
        };
        for &i in on_top {
            let ci = items[i].cost[self.top].expect("placed where it runs");
            let Some(ciq) = items[i].cost[q] else { continue };
            if self.fits(&[i], &[], q) {
                consider((lt - ci).max(lq + ciq), Subset::one(i, ci), Subset::EMPTY);
            }
            for &j in on_q {
                let (Some(cj), Some(cjt)) = (items[j].cost[q], items[j].cost[self.top]) else { continue };
                if self.fits(&[i], &[j], q) {
                    consider((lt - ci + cjt).max(lq - cj + ciq), Subset::one(i, ci), Subset::one(j, cj));
                }
            }
        }
        best
    }

    /// Whether `out` can go to `q` while `back` comes to the top processor (memory, streams).
    fn fits(&self, out: &[usize], back: &[usize], q: usize) -> bool {
        self.room.exchange_fits(self.items, out, back, self.top, q)
    }
}

#[allow(clippy::too_many_arguments)]
fn shift(
    items: &[Item],
    i: usize,
    from: usize,
    to: usize,
    placement: &mut [Option<Vec<usize>>],
    loads: &mut [f64],
    room: &mut Room,
    on: &mut [Vec<usize>],
) {
    loads[from] -= items[i].cost[from].expect("placed where it runs");
    loads[to] += items[i].cost[to].expect("checked before the exchange");
    room.release(&items[i], from);
    room.take(&items[i], to);
    placement[i] = Some(vec![to]);
    on[from].retain(|&k| k != i);
    on[to].push(i);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::tests::items;
    use crate::list_schedule::lpt;

    fn max_after(sizes: &[f64], procs: usize) -> f64 {
        let its = items(sizes, procs);
        let (mut loads, mut mem) = (vec![0.0; procs], Room::memory_only(vec![f64::INFINITY; procs]));
        let (mut placement, reserved) = lpt(&its, &mut loads, &mut mem, None);
        improve(&its, &mut placement, &mut loads, &mut mem, &reserved, 1000);
        // The loads it reports are the loads of the placement it leaves.
        let mut check = vec![0.0; procs];
        for (i, p) in placement.iter().enumerate() {
            check[p.as_ref().unwrap()[0]] += sizes[i];
        }
        assert_eq!(check, loads);
        loads.iter().copied().fold(0.0, f64::max)
    }

    #[test]
    fn by_hand() {
        // LPT: 3+2+2 | 3+2 = 7; a swap of a 3 for a 2 gives the optimum 6.
        assert_eq!(max_after(&[3.0, 3.0, 2.0, 2.0, 2.0], 2), 6.0);
        // Graham's worst case for 3 machines: LPT 11 (5+3+3 | 5 | ... ), optimum 9 = 5+4 | 5+4 | 3+3+3,
        // which needs two items to leave the top machine at once.
        assert_eq!(max_after(&[5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0], 3), 9.0);
    }

    #[test]
    fn different_processors_use_their_own_costs() {
        // One item twice as slow on the second processor: 4 on the first costs 8 there.
        let its = vec![
            Item {
                task: 0,
                gang: 1,
                cost: vec![Some(4.0), Some(8.0)].into(),
                memory: 0.0,
                group: None,
                stream: None,
                duration: None,
            },
            Item {
                task: 1,
                gang: 1,
                cost: vec![Some(3.0), Some(6.0)].into(),
                memory: 0.0,
                group: None,
                stream: None,
                duration: None,
            },
        ];
        let mut placement = vec![Some(vec![0]), Some(vec![0])];
        let (mut loads, mut mem) = (vec![7.0, 0.0], Room::memory_only(vec![f64::INFINITY; 2]));
        improve(&its, &mut placement, &mut loads, &mut mem, &[false, false], 10);
        // Moving the 3 (6 there) gives max(4, 6) = 6 < 7; moving the 4 would give 8.
        assert_eq!(placement, vec![Some(vec![0]), Some(vec![1])]);
        assert_eq!(loads, vec![4.0, 6.0]);
    }
}
