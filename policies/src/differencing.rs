//! The largest differencing method (Karmarkar and Karp, 1982), for `m` processors: every item
//! starts as a partial schedule of its own (itself on one processor, nothing on the others);
//! the two partial schedules whose loads differ most are merged, the heaviest processor of one
//! with the lightest of the other, until one is left. Where few items share a processor (two to
//! five each), both LPT and MULTIFIT can pair badly; differencing decides the small pairings
//! last, once the big differences are settled.
//!
//! The processors' current loads enter as one more partial schedule, whose slots keep their
//! processors. Only for items that cost the same on every processor and run on one processor;
//! a result that breaks a memory limit or a stream rule is dropped.

use crate::assign::{peak, Item};
use crate::packing::{pack, Packing};
use crate::room::Room;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One processor's share in a partial schedule.
#[derive(Debug, Clone, Default)]
struct Slot {
    load: f64,
    items: Vec<usize>,
    /// The processor it is, for the slots of the current loads.
    processor: Option<usize>,
}

/// A partial schedule: `m` slots, heaviest first.
#[derive(Debug)]
struct Partial {
    slots: Vec<Slot>,
    /// Creation order, so that equal differences merge in a fixed order.
    seq: usize,
}

impl Partial {
    fn difference(&self) -> f64 {
        self.slots[0].load - self.slots[self.slots.len() - 1].load
    }

    /// Heaviest with lightest, second heaviest with second lightest, and so on.
    fn merge(mut self, other: Partial, seq: usize) -> Partial {
        for (mine, theirs) in self.slots.iter_mut().zip(other.slots.into_iter().rev()) {
            mine.load += theirs.load;
            mine.items.extend(theirs.items);
            mine.processor = mine.processor.or(theirs.processor);
        }
        self.slots.sort_by(|a, b| b.load.total_cmp(&a.load));
        Partial { slots: self.slots, seq }
    }
}

impl PartialEq for Partial {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Partial {}

impl PartialOrd for Partial {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Partial {
    /// The largest difference first; among equals, the oldest.
    fn cmp(&self, other: &Self) -> Ordering {
        self.difference().total_cmp(&other.difference()).then(other.seq.cmp(&self.seq))
    }
}

/// A placement of every item with a makespan below `upper`, if differencing finds one; `None`
/// when the items do not qualify, the result breaks a memory or stream limit, or it does no
/// better. Returns the placement and the loads and room after it.
pub fn differencing(items: &[Item], loads: &[f64], room: &Room, upper: f64) -> Option<Packing> {
    let m = loads.len();
    if items.is_empty() || m == 0 {
        return None;
    }
    let sizes = Item::uniform_sizes(items)?;
    let mut current: Vec<Slot> =
        loads.iter().enumerate().map(|(p, &load)| Slot { load, items: Vec::new(), processor: Some(p) }).collect();
    current.sort_by(|a, b| b.load.total_cmp(&a.load));
    let mut heap = BinaryHeap::with_capacity(items.len() + 1);
    heap.push(Partial { slots: current, seq: 0 });
    for (i, &size) in sizes.iter().enumerate() {
        let mut slots = vec![Slot::default(); m];
        slots[0] = Slot { load: size, items: vec![i], processor: None };
        heap.push(Partial { slots, seq: i + 1 });
    }
    let mut seq = items.len() + 1;
    while heap.len() > 1 {
        let (a, b) = (heap.pop().expect("two left"), heap.pop().expect("two left"));
        heap.push(a.merge(b, seq));
        seq += 1;
    }
    let schedule = heap.pop().expect("one left");

    let assignment = schedule.slots.iter().flat_map(|slot| {
        // The current loads' slots carry every processor, one each, into the last merge.
        let p = slot.processor.expect("every slot descends from one processor's");
        slot.items.iter().map(move |&i| (i, p))
    });
    pack(items, &sizes, loads, room, assignment).filter(|(_, after, _)| peak(after) < upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::tests::items;

    #[test]
    fn differences_by_hand() {
        // Karmarkar and Karp's example on two processors: 8,7,6,5,4 → 8−7 = 1, 6−5 = 1, then
        // 4−1 = 3, 3−1 = 2: 16 | 14. LPT gives 8+5+4 | 7+6 = 17. (The optimum, 15 | 15, is
        // what differencing misses here.)
        let its = items(&[8.0, 7.0, 6.0, 5.0, 4.0], 2);
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        let (placement, loads, _) = differencing(&its, &[0.0, 0.0], &free, 17.0).expect("better than LPT");
        assert_eq!(peak(&loads), 16.0);
        assert_eq!(loads.iter().sum::<f64>(), 30.0);
        assert!(placement.iter().all(Option::is_some));
        // No better than the bound it is given: no answer.
        assert!(differencing(&its, &[0.0, 0.0], &free, 16.0).is_none());
    }

    #[test]
    fn three_processors_by_hand() {
        // Graham's LPT worst case for m = 3, 5,5,4,4,3,3,3: LPT 11, optimum 9. Merging: 5+5 →
        // (5,5,0); with 4 → (5,5,4); 4 and 3 → (4,3,0); with 3 → (4,3,3); 3 with (5,5,4) →
        // (7,5,5); with (4,3,3) → (10,9,8).
        let its = items(&[5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0], 3);
        let free = Room::memory_only(vec![f64::INFINITY; 3]);
        let (placement, loads, _) = differencing(&its, &[0.0; 3], &free, 11.0).expect("beats LPT's 11");
        let mut sorted = loads.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(sorted, vec![10.0, 9.0, 8.0]);
        assert!(placement.iter().all(|p| p.as_ref().is_some_and(|p| p.len() == 1)));
    }

    #[test]
    fn current_loads_keep_their_processors() {
        // Processor 1 already carries 10: the 6 and the 4 go to processor 0 (10 | 10), not the
        // other way about.
        let its = items(&[6.0, 4.0], 2);
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        let (placement, loads, _) = differencing(&its, &[0.0, 10.0], &free, 16.0).unwrap();
        assert_eq!(loads, vec![10.0, 10.0]);
        assert_eq!(placement, vec![Some(vec![0]), Some(vec![0])]);
    }

    #[test]
    fn declines_what_it_cannot_model_or_fit() {
        let mut its = items(&[3.0, 2.0], 2);
        its[0].cost = vec![Some(3.0), Some(6.0)].into();
        let free = Room::memory_only(vec![f64::INFINITY; 2]);
        assert!(differencing(&its, &[0.0, 0.0], &free, 100.0).is_none());
        // Memory for one item per processor and three items: some processor gets two.
        let mut its = items(&[3.0, 2.0, 1.0], 2);
        its.iter_mut().for_each(|it| it.memory = 1.0);
        let tight = Room::memory_only(vec![1.0, 1.0]);
        assert!(differencing(&its, &[0.0, 0.0], &tight, 100.0).is_none());
        assert!(differencing(&its, &[0.0, 0.0], &Room::memory_only(vec![2.0, 2.0]), 100.0).is_some());
    }
}
