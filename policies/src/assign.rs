//! Assignment algorithms over estimated loads, as pure functions: list scheduling by longest
//! processing time (LPT) and water-filling of divisible preprocessing work. (The search that
//! improves LPT's placement is in `improve`.)

use crate::costs::Costs;
use crate::event::GroupId;
use crate::room::Room;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Something to place: a task with its gang size, its cost on each processor (`None` where it
/// cannot run) and the memory it needs on each processor it uses. Items with the same `group`
/// (tasks reading one stream) are kept together where that costs little.
#[derive(Debug, Clone)]
pub struct Item {
    pub task: usize,
    pub gang: usize,
    pub cost: Costs,
    pub memory: f64,
    pub group: Option<usize>,
    /// The stream it reads, for keeping streams apart on processors (see [`Room`]); `None`:
    /// it may share a processor with anything.
    pub stream: Option<GroupId>,
    /// How long it runs on each processor (nanoseconds), for deciding whether to wait for a
    /// busy processor; `None`: the same as `cost`. Classed like `cost`.
    pub duration: Option<Costs>,
}

/// How much sooner a task must finish by waiting for busy processors, rather than starting on
/// free ones now, for it to wait.
const WAIT_GAIN: f64 = 0.05;

/// How much later a single-processor item may finish on a processor that already holds its
/// group, rather than on the best processor, to keep the group together.
const AFFINITY_SLACK: f64 = 0.10;

impl Item {
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
    fn cost_on(&self, procs: &[usize]) -> f64 {
        procs.iter().map(|&p| self.cost[p].unwrap_or(f64::INFINITY)).fold(0.0, f64::max)
    }
}

/// What lets an item that does not fit now keep its claim (EASY backfilling's reservation):
/// when each processor is expected to free up, and how much memory it has in all.
pub struct Reservation<'a> {
    pub frees_in: &'a [f64],
    pub capacity: &'a [f64],
    /// Every processor, by when it frees up (ties by index): see [`sort_by_frees`].
    pub by_frees: &'a [usize],
    /// Per item, whether enough processors could take it now (false: too few have
    /// room for it, before anything is placed). Placing and reserving only take processors,
    /// so an item that cannot start now never can in the round, and LPT looks no further than
    /// whether it should wait.
    pub may_start: &'a [bool],
}

/// Orders `procs`, every processor, by when each frees up (`frees_in`), ties by index. Handed
/// the last round's order, which time and a few starts and finishes barely disturb, an
/// insertion sort costs about one pass plus the shifts of the processors that moved; past a
/// budget of shifts (a first round, a reshuffle) it sorts outright. Every round needs the order.
pub fn sort_by_frees(procs: &mut Vec<usize>, frees_in: &[f64]) {
    if procs.len() != frees_in.len() {
        *procs = (0..frees_in.len()).collect();
    }
    let mut keyed: Vec<(i64, usize)> = procs.iter().map(|&p| (order_key(frees_in[p]), p)).collect();
    let mut budget = 8 * keyed.len();
    'insert: for i in 1..keyed.len() {
        let mut j = i;
        while j > 0 && keyed[j - 1] > keyed[j] {
            keyed.swap(j - 1, j);
            j -= 1;
            if budget == 0 {
                keyed.sort_unstable();
                break 'insert;
            }
            budget -= 1;
        }
    }
    procs.clear();
    procs.extend(keyed.into_iter().map(|(_, p)| p));
}

/// Places items largest first, each on the processors where it would finish earliest (least
/// loaded after adding it). `loads` and `room` are updated. An item that fits nowhere (memory,
/// or every processor serving another stream) gets `None`. With a `reservation`, the first
/// item that does not fit reserves the processors that will free up soonest for it, and no
/// later item may use them, so that large gangs are not starved by a stream of small tasks;
/// and an item that would finish more than 5% sooner by waiting for busy processors waits and
/// reserves them. Returns the placement and the reserved processors.
///
/// Items must share one class map (see [`Costs`]): within a class every processor costs the
/// same, so an item only looks at the first eligible processors of each class in order of load
/// (or of when they free up), not at every processor.
pub fn lpt(
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: Option<&Reservation>,
) -> (Vec<Option<Vec<usize>>>, Vec<bool>) {
    let m = loads.len();
    // Largest first, ties by task: sorted on integer keys, each size computed once.
    let mut keyed: Vec<(Reverse<i64>, usize, usize)> =
        items.iter().enumerate().map(|(i, item)| (Reverse(order_key(item.size())), item.task, i)).collect();
    keyed.sort_unstable();
    let order: Vec<usize> = keyed.into_iter().map(|(_, _, i)| i).collect();
    let mut placement: Vec<Option<Vec<usize>>> = vec![None; items.len()];
    let mut reserved = vec![false; m];
    let Some(first) = items.first() else { return (placement, reserved) };
    let class_of: Vec<usize> = (0..m).map(|p| first.cost.class(p)).collect();
    debug_assert!(items.iter().all(|it| it.cost.classes().len() == first.cost.classes().len()));
    let mut lists = Lists::new(items, loads, room, reservation, class_of);
    let mut reserving = reservation;
    let mut group_procs: BTreeMap<usize, Vec<usize>> = Default::default();
    let mut candidates: Vec<(f64, usize)> = Vec::new();
    let (mut waiting, mut now) = (Vec::new(), Vec::new());
    for i in order {
        let item = &items[i];
        let gang = item.gang;
        if let Some(r) = reservation {
            // Where it would finish if it waited for busy processors to free up: on
            // heterogeneous clusters a long task can finish far sooner on a fast processor
            // later than on a slow one now.
            // Finish times in nanoseconds: when the processor's current work is done (it is
            // time-shared, so a task started now finishes about then too) plus the item's run.
            let duration = item.duration.as_ref().unwrap_or(&item.cost);
            let mut finishes = |now_only: bool, f: &mut Vec<(f64, usize)>| {
                f.clear();
                let by_frees = if now_only { &mut lists.open_by_frees } else { &mut lists.by_frees };
                for (c, list) in by_frees.iter_mut().enumerate() {
                    let Some(d) = duration.classes()[c] else { continue };
                    let eligible = |p: usize| r.capacity[p] + 1e-9 >= item.memory && (!now_only || room.fits(item, p));
                    list.first_live(gang, eligible, |p| f.push((r.frees_in[p] + d, p)));
                }
                if now_only {
                    let own = lists.own_stream(item);
                    let own = own.filter(|&p| !reserved[p] && room.fits(item, p));
                    f.extend(own.filter_map(|p| Some((r.frees_in[p] + duration[p]?, p))));
                }
                smallest_k(f, gang);
            };
            finishes(false, &mut waiting);
            if r.may_start[i] || cfg!(debug_assertions) {
                finishes(true, &mut now);
                debug_assert!(r.may_start[i] || now.len() < gang, "an item without takers could start now");
            } else {
                now.clear();
            }
            let finish = |c: &[(f64, usize)]| c.get(gang - 1).map_or(f64::INFINITY, |c| c.0);
            if waiting.len() >= gang && finish(&waiting) < finish(&now) * (1.0 - WAIT_GAIN) {
                // Wait, and keep the busy processors it waits for.
                for &(_, p) in &waiting[..gang] {
                    if !room.fits(item, p) {
                        lists.reserve(p, &mut reserved, loads);
                    }
                }
                continue;
            }
        }
        let fits = |p: usize| !reserved[p] && room.fits(item, p);
        candidates.clear();
        for (c, procs) in lists.by_load.iter().enumerate() {
            let Some(cost) = item.cost.classes()[c] else { continue };
            let eligible = procs.iter().map(|&(_, p)| p).filter(|&p| fits(p));
            candidates.extend(eligible.take(gang).map(|p| (loads[p] + cost, p)));
        }
        let own = lists.own_stream(item).filter(|&p| fits(p));
        candidates.extend(own.filter_map(|p| Some((loads[p] + item.cost[p]?, p))));
        smallest_k(&mut candidates, gang);
        if candidates.len() < gang {
            if let Some(r) = reserving.take() {
                // The first it could ever run on, by when they free up.
                let able = r.by_frees.iter().copied();
                let able: Vec<usize> = able
                    .filter(|&p| item.cost[p].is_some() && r.capacity[p] + 1e-9 >= item.memory)
                    .take(gang)
                    .collect();
                for p in able {
                    lists.reserve(p, &mut reserved, loads);
                }
            }
            continue;
        }
        let mut procs: Vec<usize> = candidates[..gang].iter().map(|c| c.1).collect();
        if let (1, Some(g)) = (gang, item.group) {
            let best = candidates[0].0;
            // The best processor already holding the group, if within the slack.
            let home = group_procs.get(&g).and_then(|hs| {
                hs.iter()
                    .filter(|&&p| fits(p))
                    .filter_map(|&p| Some((loads[p] + item.cost[p]?, p)))
                    .filter(|c| c.0 <= best * (1.0 + AFFINITY_SLACK))
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            });
            if let Some((_, p)) = home {
                procs = vec![p];
            }
        }
        procs.sort_unstable();
        if let Some(g) = item.group {
            group_procs.entry(g).or_default().extend(&procs);
        }
        let cost = item.cost_on(&procs);
        for &p in &procs {
            let old = loads[p];
            loads[p] += cost;
            room.take(item, p);
            lists.took(p, old, loads[p], room);
        }
        placement[i] = Some(procs);
    }
    (placement, reserved)
}

/// LPT's view of the processors during a round, kept up to date as items land and reserve.
///
/// Processors without room for the smallest item never take one (free memory only shrinks
/// here), so the lists that look for room now leave them out: on a full cluster that is most
/// of them. Where streams are kept apart, `by_load` and `open_by_frees` hold only the processors
/// open to any stream, and each stream's own processors are listed apart: an item looks at its
/// own stream's few, never at every processor another stream holds.
struct Lists {
    class_of: Vec<usize>,
    /// Per class, the processors with room open to any stream, by load.
    by_load: Vec<SortedVec>,
    /// The processors with room that serve a stream some item reads, as (stream, processor)
    /// pairs, sorted: read by binary search, built without a map entry per processor.
    stream_procs: Vec<(GroupId, usize)>,
    /// Processors that came to serve a stream during the round, per stream.
    joined: BTreeMap<GroupId, Vec<usize>>,
    /// Per class, every processor by when it frees up (for waiting), and those open to any
    /// stream; empty without a reservation. Reserved processors drop out of both for the rest
    /// of the round, and processors a stream took drop out of the open ones, so the scans skip
    /// them in constant time.
    by_frees: Vec<Thinning>,
    open_by_frees: Vec<Thinning>,
}

impl Lists {
    fn new(
        items: &[Item],
        loads: &[f64],
        room: &Room,
        reservation: Option<&Reservation>,
        class_of: Vec<usize>,
    ) -> Lists {
        let m = loads.len();
        let classes = items[0].cost.classes().len();
        let smallest = items.iter().map(|it| it.memory).fold(f64::INFINITY, f64::min);
        let roomy = |p: usize| room.free_memory[p] + 1e-9 >= smallest;
        let open = |p: usize| roomy(p) && room.is_open(p);
        let mut by_load = vec![Vec::new(); classes];
        // Only the streams the items read are ever looked up.
        let mut wanted: Vec<GroupId> = items.iter().filter_map(|it| it.stream).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut stream_procs: Vec<(GroupId, usize)> = Vec::new();
        for p in (0..m).filter(|&p| roomy(p)) {
            if open(p) {
                by_load[class_of[p]].push((order_key(loads[p]), p));
            }
            if let Some(s) = room.stream_of(p).filter(|s| wanted.binary_search(s).is_ok()) {
                stream_procs.push((s, p));
            }
        }
        let (mut by_frees, mut open_by_frees) = (Vec::new(), Vec::new());
        if let Some(r) = reservation {
            debug_assert!(r.by_frees.len() == m && r.by_frees.is_sorted_by_key(|&p| (order_key(r.frees_in[p]), p)));
            let mut by: Vec<Vec<usize>> = vec![Vec::with_capacity(m); classes];
            for &p in r.by_frees {
                by[class_of[p]].push(p);
            }
            let open_only = |procs: &Vec<usize>| procs.iter().copied().filter(|&p| open(p)).collect();
            open_by_frees = by.iter().map(|procs| Thinning::new(open_only(procs), m)).collect();
            by_frees = by.into_iter().map(|procs| Thinning::new(procs, m)).collect();
        }
        stream_procs.sort_unstable();
        let by_load = by_load.into_iter().map(SortedVec::new).collect();
        Lists { class_of, by_load, stream_procs, joined: BTreeMap::new(), by_frees, open_by_frees }
    }

    /// The processors that serve `item`'s stream (not open to every stream).
    fn own_stream(&self, item: &Item) -> impl Iterator<Item = usize> + '_ {
        let (listed, joined): (&[(GroupId, usize)], &[usize]) = match item.stream {
            Some(s) => {
                let from = self.stream_procs.partition_point(|&(t, _)| t < s);
                let to = self.stream_procs.partition_point(|&(t, _)| t <= s);
                (&self.stream_procs[from..to], self.joined.get(&s).map_or(&[], Vec::as_slice))
            }
            None => (&[], &[]),
        };
        listed.iter().map(|&(_, p)| p).chain(joined.iter().copied())
    }

    /// Keeps `p` for a waiting item: no later item may take it this round.
    fn reserve(&mut self, p: usize, reserved: &mut [bool], loads: &[f64]) {
        reserved[p] = true;
        let c = self.class_of[p];
        self.by_load[c].remove(&(order_key(loads[p]), p));
        for thinning in [&mut self.by_frees, &mut self.open_by_frees] {
            if let Some(list) = thinning.get_mut(c) {
                list.drop_proc(p);
            }
        }
    }

    /// An item landed on `p`, whose load went from `old` to `new`: `p` moves in the lists by
    /// load, and leaves those it no longer belongs to.
    fn took(&mut self, p: usize, old: f64, new: f64, room: &Room) {
        let c = self.class_of[p];
        let listed = self.by_load[c].remove(&(order_key(old), p));
        if room.is_open(p) {
            if listed {
                self.by_load[c].insert((order_key(new), p));
            }
        } else {
            if let Some(list) = self.open_by_frees.get_mut(c) {
                list.drop_proc(p);
            }
            if let (true, Some(s)) = (listed, room.stream_of(p)) {
                // No longer open to every stream: from now on only its own stream's items look.
                self.joined.entry(s).or_default().push(p);
            }
        }
    }
}

/// A set of (load key, processor) kept as a sorted vector: a round builds it from every open
/// processor and changes a few entries, so one sort and a few shifts cost less than a tree's
/// node per processor (at light load most processors are open, and the tree took 7% of a run).
struct SortedVec(Vec<(i64, usize)>);

impl SortedVec {
    fn new(mut entries: Vec<(i64, usize)>) -> SortedVec {
        entries.sort_unstable();
        SortedVec(entries)
    }

    fn iter(&self) -> std::slice::Iter<'_, (i64, usize)> {
        self.0.iter()
    }

    fn insert(&mut self, entry: (i64, usize)) {
        if let Err(at) = self.0.binary_search(&entry) {
            self.0.insert(at, entry);
        }
    }

    /// Whether `entry` was in.
    fn remove(&mut self, entry: &(i64, usize)) -> bool {
        match self.0.binary_search(entry) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }
}

/// Processors in a fixed order from which some drop out for the rest of a round: a scan for
/// the first few still in skips those that dropped out in amortised constant time (the next
/// entry still in is found by pointer jumping, as in a disjoint-set forest).
struct Thinning {
    procs: Vec<usize>,
    /// For each position, a position at or before the next one still in (the end: `procs.len()`).
    next: Vec<usize>,
    /// Each processor's position (`usize::MAX`: not listed).
    position: Vec<usize>,
}

impl Thinning {
    fn new(procs: Vec<usize>, processors: usize) -> Thinning {
        let mut position = vec![usize::MAX; processors];
        for (k, &p) in procs.iter().enumerate() {
            position[p] = k;
        }
        Thinning { next: (0..=procs.len()).collect(), procs, position }
    }

    fn drop_proc(&mut self, p: usize) {
        if let Some(&k) = self.position.get(p).filter(|&&k| k != usize::MAX) {
            self.next[k] = k + 1;
        }
    }

    /// The position of the first processor still in at or after `k`.
    fn live_from(&mut self, mut k: usize) -> usize {
        while self.next[k] != k {
            self.next[k] = self.next[self.next[k]];
            k = self.next[k];
        }
        k
    }

    /// Hands the first `count` processors still in that are `eligible`, in order, to `found`.
    fn first_live(&mut self, count: usize, eligible: impl Fn(usize) -> bool, mut found: impl FnMut(usize)) {
        let (mut k, mut taken) = (self.live_from(0), 0);
        while k < self.procs.len() && taken < count {
            let p = self.procs[k];
            if eligible(p) {
                found(p);
                taken += 1;
            }
            k = self.live_from(k + 1);
        }
    }
}

/// The highest of `loads`: a placement's makespan (0 with none).
pub(crate) fn peak(loads: &[f64]) -> f64 {
    loads.iter().copied().fold(0.0, f64::max)
}

/// A key that orders floats as `total_cmp` does.
fn order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// Moves the `k` smallest (by value, then processor) to the front, in no particular order
/// except that the `k`-th smallest ends at `k - 1` (and so, for `k = 1`, the smallest first);
/// the rest follow in no particular order. LPT reads no more than that: the `k`-th finish time,
/// and which processors are the `k` soonest (a set). For `k = 1` one scan; for the short lists
/// LPT hands it, an insertion into a sorted front of `k`; else a linear selection.
fn smallest_k(entries: &mut [(f64, usize)], k: usize) {
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

    /// Single-processor items costing `sizes[t]` on each of `procs` processors, no memory, no
    /// group: P||Cmax in item form, for the assignment algorithms' tests.
    pub(crate) fn items(sizes: &[f64], procs: usize) -> Vec<Item> {
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
    fn sort_by_frees_orders_by_free_up_then_index_from_any_start() {
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
                let mut procs = start;
                sort_by_frees(&mut procs, &frees);
                assert_eq!(procs, expected);
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
