//! A depth-first search for a better placement of a small round, stopped after a fixed number
//! of nodes: where a few items share each processor and their times are small integers, one
//! unit above the optimum is several percent, and the heuristics (LPT, MULTIFIT, differencing,
//! exchanges) each miss it now and then. Within its budget the search finds the optimum of
//! such a round, or proves the placement it was given optimal.
//!
//! It asks "does everything fit under `C`?" for `C` just below the best makespan known, with
//! the search of the branch and bound in [`crate::exact`], over the processors' current loads
//! and in real numbers. Only for rounds it can model exactly: items that cost the same on every
//! processor and run on one, all of one stream that every processor admits, and memory for all
//! of them on every processor, so that where an item goes constrains nothing else.

use crate::assign::{peak, Item};
use crate::exact::Search;
use crate::packing::{largest_first, makespan_floor, pack, Packing};
use crate::room::Room;

/// The largest round searched: the search is exponential, and beyond this the exchanges are
/// close enough.
pub const MAX_ITEMS: usize = 48;
pub const MAX_PROCESSORS: usize = 32;

/// Nodes per round: a fraction of a millisecond at the sizes above.
pub const NODE_LIMIT: u64 = 20_000;

/// A placement of every item with a makespan below `upper`, if the search finds one within
/// its budget; `None` when the round does not qualify or nothing better is found.
pub fn bounded_search(items: &[Item], loads: &[f64], room: &Room, upper: f64) -> Option<Packing> {
    let m = loads.len();
    if items.is_empty() || items.len() > MAX_ITEMS || m == 0 || m > MAX_PROCESSORS {
        return None;
    }
    let stream = items[0].stream;
    let memory: f64 = items.iter().map(|it| it.memory).sum();
    let unconstrained =
        (0..m).all(|p| room.free_memory[p] + 1e-9 >= memory && (stream.is_none() || room.admits(stream, p)));
    if !unconstrained || items.iter().any(|it| it.stream != stream) {
        return None;
    }
    let sizes = Item::uniform_sizes(items)?;
    let order = largest_first(&sizes);
    let sorted: Vec<f64> = order.iter().map(|&i| sizes[i]).collect();
    let total: f64 = sorted.iter().sum();
    // Work already running where nothing can move it bounds the makespan too: a round whose
    // peak is such work has nothing to search.
    let bound = makespan_floor(&sizes, loads).max(peak(loads));
    // Differences below this are rounding, not a better schedule.
    let tol = 1e-9 * upper.abs().max(1.0);

    let mut search =
        Search { sizes: &sorted, loads: loads.to_vec(), on: vec![0; sorted.len()], nodes: 0, limit: NODE_LIMIT };
    let mut best: Option<(Vec<usize>, f64)> = None;
    let mut target = upper - tol;
    while target + tol > bound && search.nodes < search.limit {
        search.loads.copy_from_slice(loads);
        if search.fits(0, target, total) != Some(true) {
            break;
        }
        let makespan = peak(&search.loads);
        best = Some((search.on.clone(), makespan));
        target = makespan - tol;
    }
    let (on, _) = best?;
    // Where an item goes constrains nothing (see the qualifying test above), so every one fits.
    pack(items, &sizes, loads, room, order.iter().zip(on).map(|(&i, p)| (i, p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::tests::items;

    #[test]
    fn finds_the_optimum_the_heuristics_miss() {
        // Karmarkar and Karp's example: differencing gives 16 | 14, LPT 17; the optimum is
        // 8+7 | 6+5+4 = 15 | 15.
        let its = items(&[8.0, 7.0, 6.0, 5.0, 4.0], 2);
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        let (placement, loads, _) = bounded_search(&its, &[0.0, 0.0], &free, 16.0).expect("15 exists");
        assert_eq!(loads, vec![15.0, 15.0]);
        assert_eq!(placement[0], placement[1], "8 and 7 together");
        // Nothing below the optimum: no answer.
        assert!(bounded_search(&its, &[0.0, 0.0], &free, 15.0).is_none());
    }

    #[test]
    fn works_over_current_loads() {
        // Loads 4 and 0, items 5,3,2: 4+3 | 5+2 = 7 | 7 (LPT: 5 on the empty one, 3 and 2
        // beside the 4 → 9 | 5).
        let its = items(&[5.0, 3.0, 2.0], 2);
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        let (_, loads, _) = bounded_search(&its, &[4.0, 0.0], &free, 9.0).unwrap();
        assert_eq!(peak(&loads), 7.0);
    }

    #[test]
    fn declines_rounds_it_cannot_model() {
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        let mut its = items(&[3.0, 2.0], 2);
        its[0].cost = vec![Some(3.0), Some(6.0)].into();
        assert!(bounded_search(&its, &[0.0, 0.0], &free, 100.0).is_none(), "costs differ");
        let mut its = items(&[3.0, 2.0], 2);
        its.iter_mut().for_each(|it| it.memory = 1.0);
        assert!(bounded_search(&its, &[0.0, 0.0], &Room::memory_only(vec![1.0, 1.0]), 100.0).is_none(), "memory");
        let its = items(&[1.0; MAX_ITEMS + 1], 2);
        assert!(bounded_search(&its, &[0.0, 0.0], &free, 100.0).is_none(), "too many items");
    }

    #[test]
    fn agrees_with_the_exact_solver_on_small_instances() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..200 {
            let m: usize = rng.random_range(2..=4);
            let n: usize = rng.random_range(m + 1..=10);
            let p: Vec<u64> = (0..n).map(|_| rng.random_range(1..=20)).collect();
            let optimum = crate::exact::branch_and_bound(&p, m, 1_000_000);
            assert!(optimum.proven);
            let sizes: Vec<f64> = p.iter().map(|&x| x as f64).collect();
            let its = items(&sizes, m);
            let free = Room::memory_only(vec![f64::INFINITY; m]);
            // From a bound above any schedule, the search must come down to the optimum.
            let (_, loads, _) = bounded_search(&its, &vec![0.0; m], &free, sizes.iter().sum::<f64>() + 1.0).unwrap();
            assert_eq!(peak(&loads), optimum.makespan as f64, "{p:?} on {m}");
        }
    }
}
