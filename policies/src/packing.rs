//! What the placements that model a round as P||Cmax share (MULTIFIT, largest differencing,
//! the bounded search): items that cost the same everywhere and run on one processor each,
//! over processors that may already hold work.

use crate::assign::Item;
use crate::room::Room;

/// Processors per item (`None`: not placed), and the loads and room after.
pub type Packing = (Vec<Option<Vec<usize>>>, Vec<f64>, Room);

/// Item indices, largest first (equal sizes in index order).
pub fn largest_first(sizes: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_unstable_by(|&a, &b| sizes[b].total_cmp(&sizes[a]).then(a.cmp(&b)));
    order
}

/// No placement of items of `sizes` over `loads` finishes sooner: the average load, and the
/// largest item on the least loaded processor.
pub fn makespan_floor(sizes: &[f64], loads: &[f64]) -> f64 {
    let total: f64 = sizes.iter().sum::<f64>() + loads.iter().sum::<f64>();
    let least = loads.iter().copied().fold(f64::INFINITY, f64::min);
    let biggest = sizes.iter().copied().fold(0.0, f64::max);
    (total / loads.len() as f64).max(least + biggest)
}

/// Puts item `i` on processor `p` for each `(i, p)` of `assignment`, in order, from `loads` and
/// `room`; `None` if one does not fit where it is put (memory, or another stream there).
pub fn pack(
    items: &[Item],
    sizes: &[f64],
    loads: &[f64],
    room: &Room,
    assignment: impl IntoIterator<Item = (usize, usize)>,
) -> Option<Packing> {
    let mut placement = vec![None; items.len()];
    let mut after = loads.to_vec();
    let mut room = room.clone();
    for (i, p) in assignment {
        if !room.fits(&items[i], p) {
            return None;
        }
        room.take(&items[i], p);
        after[p] += sizes[i];
        placement[i] = Some(vec![p]);
    }
    Some((placement, after, room))
}
