//! MULTIFIT (Coffman, Garey and Johnson, 1978): placement as bin packing. Binary search on a
//! capacity; first-fit decreasing packs the items under it; the lowest capacity that packs
//! wins. Where LPT goes wrong is where few items share a processor (its pairings are greedy)
//! and packing does best, so the policies try both and keep the better.
//!
//! Only for items that cost the same on every processor and run on one processor; processors
//! may already hold work (their `loads`) and have memory limits.

use crate::assign::{peak, Item};
use crate::packing::{largest_first, makespan_floor, Packing};
use crate::room::Room;

/// Halvings of the capacity interval (its width ends below 2⁻²⁰ of the start).
const STEPS: usize = 20;

/// A placement of every item with a makespan below `upper`, if first-fit decreasing finds one;
/// `None` when the items do not qualify or packing does no better. Returns the placement and
/// the loads and room after it.
pub fn multifit(items: &[Item], loads: &[f64], room: &Room, upper: f64) -> Option<Packing> {
    let sizes = Item::uniform_sizes(items)?;
    let order = largest_first(&sizes);
    let mut low = makespan_floor(&sizes, loads);
    let mut high = upper;
    let mut best = None;
    for _ in 0..STEPS {
        if low >= high {
            break;
        }
        let capacity = (low + high) / 2.0;
        match first_fit_decreasing(&order, &sizes, items, loads, room, capacity) {
            Some(packed) => {
                high = peak(&packed.1);
                best = Some(packed);
            }
            None => low = capacity,
        }
    }
    let (placement, loads, room) = best.filter(|(_, l, _)| peak(l) < upper)?;
    Some((placement.into_iter().map(|p| p.map(|p| vec![p])).collect(), loads, room))
}

/// One processor per placed item (the search tries many packings and keeps one).
type Packed = (Vec<Option<usize>>, Vec<f64>, Room);

fn first_fit_decreasing(
    order: &[usize],
    sizes: &[f64],
    items: &[Item],
    loads: &[f64],
    room: &Room,
    capacity: f64,
) -> Option<Packed> {
    let mut loads = loads.to_vec();
    let mut room = room.clone();
    let mut placement = vec![None; items.len()];
    for &i in order {
        let p = (0..loads.len()).find(|&p| loads[p] + sizes[i] <= capacity && room.fits(&items[i], p))?;
        loads[p] += sizes[i];
        room.take(&items[i], p);
        placement[i] = Some(p);
    }
    Some((placement, loads, room))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::tests::items;

    #[test]
    fn packs_where_lpt_pairs_badly() {
        // LPT on 2 machines: 3+2+2 | 3+2 = 7. Packing under 6: 3+3 | 2+2+2.
        let its = items(&[3.0, 3.0, 2.0, 2.0, 2.0], 2);
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        let (placement, loads, _) = multifit(&its, &[0.0, 0.0], &free, 7.0).expect("packs under 7");
        assert_eq!(loads, vec![6.0, 6.0]);
        assert!(placement.iter().all(Option::is_some));
        // Nothing better than the bound it is given: no answer.
        assert!(multifit(&its, &[0.0, 0.0], &free, 6.0).is_none());
    }

    #[test]
    fn declines_items_it_cannot_model() {
        let mut its = items(&[3.0, 2.0], 2);
        its[0].cost = vec![Some(3.0), Some(6.0)].into();
        assert!(multifit(&its, &[0.0, 0.0], &Room::memory_only(vec![f64::INFINITY; 2]), 10.0).is_none());
    }
}
