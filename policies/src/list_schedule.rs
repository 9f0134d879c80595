//! List scheduling by longest processing time (LPT): items placed largest first, each on the
//! processors where it would finish earliest, with reservations for items that wait (see
//! [`lpt`]); and the orders of processors it reads during a round.
//!
//! A congested round weighs some twenty items, most of them gangs that wait, against a few
//! hundred processors. What it reads of a processor never needs all of them: per class of
//! identical processors, the first few in order of when they free up (to wait), or of load (to
//! start now), that still have room. So a round lays the processors out once in those orders,
//! in buffers kept between rounds, and every item scans only the heads of the lists it may use.

use crate::assign::{order_key, smallest_k, Item, Reservation};
use crate::event::GroupId;
use crate::room::{Room, Serving, SELF_CONTAINED};
use crate::sorted_vec::SortedVec;
use coprep_traces::merge::merge_into;
use std::cmp::Reverse;

/// How much sooner a task must finish by waiting for busy processors, rather than starting on
/// free ones now, for it to wait.
const WAIT_GAIN: f64 = 0.05;

/// How much later a single-processor item may finish on a processor that already holds its
/// group, rather than on the best processor, to keep the group together.
const AFFINITY_SLACK: f64 = 0.10;

/// Places items largest first, each on the processors where it would finish earliest (least
/// loaded after adding it). `loads` and `room` are updated. An item that fits nowhere (memory,
/// or every processor serving another stream) gets `None`. With a `reservation`, the first
/// item that does not fit reserves the processors that will free up soonest for it, and no
/// later item may use them, so that large gangs are not starved by a stream of small tasks;
/// and an item that would finish more than 5% sooner by waiting for busy processors waits and
/// reserves them. Returns the placement and the reserved processors.
///
/// Items must share one class map (see [`crate::costs::Costs`]): within a class every processor
/// costs the same, so an item only looks at the first eligible processors of each class in
/// order of load (or of when they free up), not at every processor.
pub fn lpt(
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: Option<&Reservation>,
) -> (Vec<Option<Vec<usize>>>, Vec<bool>) {
    lpt_in(&mut LptBuffers::default(), items, loads, room, reservation)
}

/// What [`lpt_in`] works in: kept between rounds by a placing policy for its buffers.
#[derive(Debug, Default)]
pub struct LptBuffers {
    order: Vec<(Reverse<i64>, usize, usize)>,
    lists: Lists,
    waiting: Vec<(f64, usize)>,
    now: Vec<(f64, usize)>,
    candidates: Vec<(f64, usize)>,
    /// Per group of the round, the processors its items went to: (group, processor).
    group_procs: Vec<(usize, usize)>,
    /// Where each run of `waiting` ends, and scratch for merging them.
    runs: Vec<usize>,
    merged: Vec<(f64, usize)>,
    /// How many items (in LPT order) the round has placed so far, and whether the first that
    /// fits nowhere is still to reserve.
    done: usize,
    reserving: bool,
}

/// [`lpt`] in buffers kept between calls.
pub fn lpt_in(
    buffers: &mut LptBuffers,
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: Option<&Reservation>,
) -> (Vec<Option<Vec<usize>>>, Vec<bool>) {
    let mut placement = lpt_start(buffers, items, loads, room, reservation);
    let reserved = lpt_finish(buffers, items, loads, room, reservation, &mut placement);
    (placement, reserved)
}

/// [`lpt`] up to its last item that may start now (see [`Reservation::may_start`]): the
/// placement is then complete, since the items after it cannot start; all they would do is
/// reserve processors, which only [`lpt_finish`] works out (those reservations bind nothing
/// unless the placement is improved afterwards).
pub fn lpt_start(
    buffers: &mut LptBuffers,
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: Option<&Reservation>,
) -> Vec<Option<Vec<usize>>> {
    let LptBuffers { order, lists, group_procs, .. } = buffers;
    // Largest first, ties by task: sorted on integer keys, each size computed once.
    order.clear();
    order.extend(items.iter().enumerate().map(|(i, item)| (Reverse(order_key(item.size())), item.task, i)));
    order.sort_unstable();
    let mut placement: Vec<Option<Vec<usize>>> = vec![None; items.len()];
    buffers.done = 0;
    buffers.reserving = reservation.is_some();
    let Some(first) = items.first() else { return placement };
    debug_assert!(items.iter().all(|it| it.cost.classes().len() == first.cost.classes().len()));
    lists.build(items, loads, room, reservation);
    group_procs.clear();
    let to = match reservation {
        Some(r) => order.iter().rposition(|&(_, _, i)| r.may_start[i]).map_or(0, |last| last + 1),
        None => order.len(),
    };
    place_items(buffers, items, loads, room, reservation, &mut placement, to);
    placement
}

/// Places (or reserves for) the items [`lpt_start`] left, and returns the reserved processors.
pub fn lpt_finish(
    buffers: &mut LptBuffers,
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: Option<&Reservation>,
    placement: &mut [Option<Vec<usize>>],
) -> Vec<bool> {
    if items.is_empty() {
        return vec![false; loads.len()];
    }
    let to = buffers.order.len();
    place_items(buffers, items, loads, room, reservation, placement, to);
    buffers.lists.reserved.clone()
}

/// Places the items in LPT order from where the last call stopped up to `to`.
fn place_items(
    buffers: &mut LptBuffers,
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: Option<&Reservation>,
    placement: &mut [Option<Vec<usize>>],
    to: usize,
) {
    let from = buffers.done.min(to);
    buffers.done = to;
    let LptBuffers { order, lists, waiting, now, candidates, group_procs, runs, merged, reserving, .. } = buffers;
    for &(_, _, i) in &order[from..to] {
        let item = &items[i];
        let gang = item.gang;
        if let Some(r) = reservation {
            // Where it would finish if it waited for busy processors to free up: on
            // heterogeneous clusters a long task can finish far sooner on a fast processor
            // later than on a slow one now.
            // Finish times in nanoseconds: when the processor's current work is done (it is
            // time-shared, so a task started now finishes about then too) plus the item's run.
            let duration = item.duration.as_ref().unwrap_or(&item.cost);
            // Per class, its first processors by when they free up: runs in order of finish,
            // merged (the soonest first, as `smallest_k` would front them).
            waiting.clear();
            runs.clear();
            for (c, d) in duration.classes().iter().enumerate() {
                let Some(d) = *d else { continue };
                let eligible = |p: usize| r.capacity[p] + 1e-9 >= item.memory;
                lists.frees.first_live(c, gang, eligible, |p| waiting.push((r.frees_in[p] + d, p)));
                runs.push(waiting.len());
            }
            merge_runs(waiting, runs, merged);
            now.clear();
            if r.may_start[i] || cfg!(debug_assertions) {
                let fits = |p: usize| !lists.reserved[p] && room.fits(item, p);
                for (c, d) in duration.classes().iter().enumerate() {
                    let Some(d) = *d else { continue };
                    let eligible = |p: usize| r.capacity[p] + 1e-9 >= item.memory && room.fits(item, p);
                    lists.open_frees.first_live(c, gang, eligible, |p| now.push((r.frees_in[p] + d, p)));
                    // Its own stream's processors, soonest first: those that could be among the
                    // gang soonest (see [`first_with_ties`]).
                    lists.own(item.stream, c, Order::Frees).with_ties(gang, fits, |p| r.frees_in[p] + d, now);
                }
                let joined = lists.joined_to(item.stream).filter(|&p| fits(p));
                now.extend(joined.filter_map(|p| Some((r.frees_in[p] + duration[p]?, p))));
                smallest_k(now, gang);
                debug_assert!(r.may_start[i] || now.len() < gang, "an item without takers could start now");
            }
            let finish = |c: &[(f64, usize)]| c.get(gang - 1).map_or(f64::INFINITY, |c| c.0);
            if waiting.len() >= gang && finish(waiting) < finish(now) * (1.0 - WAIT_GAIN) {
                // Wait, and keep the busy processors it waits for.
                for &(_, p) in &waiting[..gang] {
                    if !room.fits(item, p) {
                        lists.reserve(p, loads);
                    }
                }
                continue;
            }
        }
        // Where it would finish now: per class, the first open processors by load that fit,
        // and its own stream's processors (those whose load this round changed apart).
        let fits = |p: usize| !lists.reserved[p] && room.fits(item, p);
        candidates.clear();
        for (c, cost) in item.cost.classes().iter().enumerate() {
            let Some(cost) = *cost else { continue };
            let eligible = lists.by_load[c].iter().map(|&(_, p)| p).filter(|&p| fits(p));
            candidates.extend(eligible.take(gang).map(|p| (loads[p] + cost, p)));
            let untouched = |p: usize| !lists.touched[p] && fits(p);
            lists.own(item.stream, c, Order::Load).with_ties(gang, untouched, |p| loads[p] + cost, candidates);
        }
        let changed = lists.changed_serving(item.stream).filter(|&p| fits(p));
        candidates.extend(changed.filter_map(|p| Some((loads[p] + item.cost[p]?, p))));
        smallest_k(candidates, gang);
        if candidates.len() < gang {
            if let (true, Some(r)) = (std::mem::take(reserving), reservation) {
                // The first it could ever run on, by when they free up.
                let able = r.by_frees.merged();
                let able = able.filter(|&p| item.cost[p].is_some() && r.capacity[p] + 1e-9 >= item.memory);
                for p in able.take(gang) {
                    lists.reserve(p, loads);
                }
            }
            continue;
        }
        let mut procs: Vec<usize> = candidates[..gang].iter().map(|c| c.1).collect();
        if let (1, Some(g)) = (gang, item.group) {
            let best = candidates[0].0;
            // The best processor already holding the group, if within the slack.
            let home = group_procs
                .iter()
                .filter(|&&(h, p)| h == g && fits(p))
                .filter_map(|&(_, p)| Some((loads[p] + item.cost[p]?, p)))
                .filter(|c| c.0 <= best * (1.0 + AFFINITY_SLACK))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            if let Some((_, p)) = home {
                procs = vec![p];
            }
        }
        procs.sort_unstable();
        if let Some(g) = item.group {
            group_procs.extend(procs.iter().map(|&p| (g, p)));
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
}

/// Sorts `entries` by (value, processor), given that they are runs ending at `ends` whose
/// values never fall (each class's soonest processors): a merge of the runs, each put in order
/// first where tied values came out of processor order (rounding can make the finishes of two
/// processors that free up at different times equal).
fn merge_runs(entries: &mut Vec<(f64, usize)>, ends: &[usize], merged: &mut Vec<(f64, usize)>) {
    let by = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    let mut from = 0;
    for &to in ends {
        let run = &mut entries[from..to];
        if !run.is_sorted_by(|a, b| by(a, b).is_le()) {
            run.sort_unstable_by(by);
        }
        from = to;
    }
    match ends {
        [] | [_] => {}
        [first, _] => {
            let (left, right) = entries.split_at(*first);
            merged.clear();
            merge_into(left, right, merged, |a, b| by(a, b).is_lt());
            std::mem::swap(entries, merged);
        }
        _ => entries.sort_unstable_by(by),
    }
}

/// Hands `out` the first `count` of `procs` (in an order in which `value` never falls) that
/// are `eligible`, and after them every eligible one whose value ties the last: all that could
/// be among the `count` smallest of these processors and any others by (value, processor).
/// (Any later one has a larger value than `count` already handed over.)
fn first_with_ties(
    procs: impl IntoIterator<Item = usize>,
    count: usize,
    eligible: impl Fn(usize) -> bool,
    value: impl Fn(usize) -> f64,
    out: &mut Vec<(f64, usize)>,
) {
    let mut last = f64::NAN;
    for (taken, p) in procs.into_iter().filter(|&p| eligible(p)).enumerate() {
        let v = value(p);
        if taken >= count && v != last {
            break;
        }
        out.push((v, p));
        last = v;
    }
}

/// LPT's view of the processors during a round, kept up to date as items land and reserve.
///
/// Processors without room for the smallest item never take one (free memory only shrinks
/// here), so the lists that look for room now leave them out: on a full cluster that is most
/// of them. Where streams are kept apart, `by_load` and `open_frees` hold only the processors
/// open to any stream, and each stream's own processors are looked at apart: an item looks at
/// its own stream's, never at every processor another stream holds. Self-contained tasks'
/// processors are many, so they are not listed but found by walking every processor in order
/// of when it frees up (they come early in it); other streams' few are listed.
#[derive(Debug, Default)]
struct Lists {
    /// Each processor's class, the map it came from, and how many processors each class has.
    class_of: Vec<usize>,
    class_map: Option<(usize, usize)>,
    class_sizes: Vec<usize>,
    /// Per class, every processor by when it frees up (for waiting), and those open to any
    /// stream with room; empty without a reservation. Reserved processors drop out of both,
    /// and processors a stream took drop out of the open ones.
    frees: Segments,
    open_frees: Segments,
    /// Per class, the processors with room open to any stream, by load.
    by_load: Vec<SortedVec<(i64, usize)>>,
    /// Where self-contained items' processors are walked (see `loads_are_frees`): per
    /// processor, whether it served self-contained tasks with room at the round's start, and
    /// per class how many did and how many of those were reserved since.
    self_contained: Vec<bool>,
    self_contained_in: Vec<usize>,
    self_contained_reserved: Vec<usize>,
    /// The other streams the items read, sorted; per (stream, class), the processors with room
    /// serving it, by when they free up and by load (at the round's start: `touched` ones moved
    /// since), as spans of `own` and `own_load`.
    wanted: Vec<GroupId>,
    own: Vec<usize>,
    own_load: Vec<usize>,
    own_spans: Vec<(usize, usize)>,
    /// Whether loads are when processors free up (a reservation's, balancing work): then an
    /// order by load is the order by free-up, so `own_load` is `own`, and a self-contained
    /// item's processors (many) are found by walking `frees` rather than listed.
    loads_are_frees: bool,
    /// Processors placed on during the round, and of those, the ones serving a stream: that
    /// came to serve it (were open), and that served it from the start.
    touched: Vec<bool>,
    joined: Vec<(GroupId, usize)>,
    touched_own: Vec<(GroupId, usize)>,
    reserved: Vec<bool>,
    /// Scratch for building: (sort key, processor) of open ones per class, and (span of
    /// `own_spans`, key, processor) of listed streams' processors.
    open_keyed: Vec<(usize, i64, usize)>,
    keyed: Vec<(usize, i64, usize)>,
}

/// In which order an item reads its own stream's processors.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    Frees,
    Load,
}

impl Lists {
    /// Lays the processors out for a round: every one in order of when it frees up, from the
    /// reservation's order, and in one pass over them in index order, the open ones and those
    /// of the streams the items read.
    fn build(&mut self, items: &[Item], loads: &[f64], room: &Room, reservation: Option<&Reservation>) {
        let m = loads.len();
        let first = &items[0];
        let classes = first.cost.classes().len();
        self.set_classes(first, m, classes);
        let smallest = items.iter().map(|it| it.memory).fold(f64::INFINITY, f64::min);
        let by_frees = reservation.map(|r| {
            debug_assert!((0..classes).all(|c| r
                .by_frees
                .class(c)
                .iter()
                .all(|&(k, p)| k == order_key(r.frees_in[p]))));
            debug_assert!((0..classes).all(|c| r.by_frees.class(c).is_sorted()));
            debug_assert_eq!(r.by_frees.classes(), classes);
            r.by_frees
        });
        // Where the balance is when processors free up, lists by load are lists by free-up.
        self.loads_are_frees = reservation.is_some_and(|r| r.loads_are_frees);
        debug_assert!(!self.loads_are_frees || reservation.is_some_and(|r| r.frees_in == loads));
        match by_frees {
            Some(order) => self.frees.fill(m, (0..classes).map(|c| order.class(c).iter().map(|e| e.1))),
            None => self.frees.fill(m, std::iter::empty::<std::iter::Empty<usize>>()),
        }
        let frees_key = |p: usize| reservation.map_or(0, |r| order_key(r.frees_in[p]));
        // Only the streams the items read are ever looked up; self-contained tasks' apart.
        self.wanted.clear();
        self.wanted.extend(items.iter().filter_map(|it| it.stream));
        self.wanted.sort_unstable();
        self.wanted.dedup();
        let self_contained_wanted = self.wanted.binary_search(&SELF_CONTAINED).is_ok();
        let walk = self.loads_are_frees;
        // A first test of whether a stream is wanted, one bit per stream (most processors
        // serve streams no item reads).
        let wanted_bits = self.wanted.iter().fold(0u64, |bits, &s| bits | stream_bit(s));
        self.open_keyed.clear();
        self.keyed.clear();
        self.self_contained.clear();
        self.self_contained.resize(m, false);
        self.self_contained_in.clear();
        self.self_contained_in.resize(classes, 0);
        self.self_contained_reserved.clear();
        self.self_contained_reserved.resize(classes, 0);
        let serving = room.serving();
        let (class_of, free) = (&self.class_of, &room.free_memory);
        let (open_keyed, keyed) = (&mut self.open_keyed, &mut self.keyed);
        let (self_contained, self_contained_in) = (&mut self.self_contained, &mut self.self_contained_in);
        let wanted = &self.wanted;
        // Processors without room for the smallest item never take one.
        let with_room = free.iter().zip(class_of).enumerate().filter(|(_, (&f, _))| f + 1e-9 >= smallest);
        let Some(serving) = serving else {
            open_keyed.extend(with_room.map(|(p, (_, &c))| (c, frees_key(p), p)));
            return self.finish_build(classes, m, by_frees.is_some(), self_contained_wanted, loads);
        };
        // One pass, one call site: the match is inlined into the loop (a closure called from
        // two loops was not, and cost a call per processor).
        for (p, (_, &c)) in with_room {
            match serving[p] {
                Serving::Nothing => open_keyed.push((c, frees_key(p), p)),
                Serving::Stream(SELF_CONTAINED, _) if walk => {
                    self_contained[p] = true;
                    self_contained_in[c] += 1;
                }
                Serving::Stream(s, _) if wanted_bits & stream_bit(s) != 0 => {
                    if let Ok(w) = wanted.binary_search(&s) {
                        keyed.push((w * classes + c, frees_key(p), p));
                    }
                }
                _ => {}
            }
        }
        self.finish_build(classes, m, by_frees.is_some(), self_contained_wanted, loads);
    }

    /// The rest of [`Self::build`], from the open processors and the listed streams' ones
    /// found: sorts them into their lists.
    fn finish_build(&mut self, classes: usize, m: usize, reserving: bool, self_contained_wanted: bool, loads: &[f64]) {
        if !self_contained_wanted {
            self.self_contained_in.iter_mut().for_each(|n| *n = 0);
        }
        // The open ones per class by when they free up (ties by index), and by load.
        self.open_keyed.sort_unstable();
        if reserving {
            self.open_frees.fill(m, (0..classes).map(|c| class_run(&self.open_keyed, c)));
        } else {
            self.open_frees.fill(m, std::iter::empty::<std::iter::Empty<usize>>());
        }
        self.by_load.resize_with(classes, SortedVec::default);
        for (c, list) in self.by_load.iter_mut().enumerate() {
            list.0.clear();
            list.0.extend(class_run(&self.open_keyed, c).map(|p| (order_key(loads[p]), p)));
            if !self.loads_are_frees {
                list.0.sort_unstable();
            }
            debug_assert!(list.0.is_sorted());
        }
        // Listed streams' processors per (stream, class), by when they free up.
        self.keyed.sort_unstable();
        self.own.clear();
        self.own.extend(self.keyed.iter().map(|k| k.2));
        self.own_spans.clear();
        self.own_spans.resize(self.wanted.len() * classes, (0, 0));
        let mut at = 0;
        while at < self.keyed.len() {
            let span = self.keyed[at].0;
            let len = self.keyed[at..].iter().take_while(|k| k.0 == span).count();
            self.own_spans[span] = (at, len);
            at += len;
        }
        self.own_load.clear();
        if !self.loads_are_frees {
            self.own_load.extend_from_slice(&self.own);
            for &(from, len) in &self.own_spans {
                self.own_load[from..from + len].sort_unstable_by_key(|&p| (order_key(loads[p]), p));
            }
        }
        self.touched.clear();
        self.touched.resize(m, false);
        self.reserved.clear();
        self.reserved.resize(m, false);
        self.joined.clear();
        self.touched_own.clear();
    }

    /// Each processor's class, and how many processors each class has: worked out again only
    /// when the items carry another map (a policy's rounds all carry the same).
    fn set_classes(&mut self, item: &Item, processors: usize, classes: usize) {
        // The map by where it lies (a policy keeps one for all its rounds).
        let map = item.cost.class_map().map(|m| (m.as_ptr() as usize, m.len()));
        let same = map.is_some() && map == self.class_map && self.class_sizes.len() == classes;
        if same && self.class_of.len() == processors {
            return;
        }
        self.class_map = map;
        self.class_of.clear();
        self.class_of.extend((0..processors).map(|p| item.cost.class(p)));
        self.class_sizes.clear();
        self.class_sizes.resize(classes, 0);
        for &c in &self.class_of {
            self.class_sizes[c] += 1;
        }
    }

    /// `stream`'s processors of class `c` (those that served it from the round's start, with
    /// room then), in `order`.
    fn own(&self, stream: Option<GroupId>, c: usize, order: Order) -> Own<'_> {
        let Some(s) = stream else { return Own::Listed(&[]) };
        if s == SELF_CONTAINED && self.loads_are_frees {
            // Walked in order of when they free up, which is the order of load here.
            let left = self.self_contained_in[c] - self.self_contained_reserved[c];
            return Own::Walked { frees: &self.frees, c, members: &self.self_contained, left };
        }
        let classes = self.by_load.len();
        let Ok(w) = self.wanted.binary_search(&s) else { return Own::Listed(&[]) };
        let (from, len) = self.own_spans[w * classes + c];
        Own::Listed(match order {
            Order::Load if !self.loads_are_frees => &self.own_load[from..from + len],
            _ => &self.own[from..from + len],
        })
    }

    /// Processors that came to serve `stream` during the round (were open).
    fn joined_to(&self, stream: Option<GroupId>) -> impl Iterator<Item = usize> + '_ {
        self.joined.iter().filter(move |j| Some(j.0) == stream).map(|j| j.1)
    }

    /// Processors serving `stream` whose load changed during the round: that came to serve it,
    /// and that served it from the start and were placed on.
    fn changed_serving(&self, stream: Option<GroupId>) -> impl Iterator<Item = usize> + '_ {
        let own = self.touched_own.iter().filter(move |j| Some(j.0) == stream).map(|j| j.1);
        self.joined_to(stream).chain(own)
    }

    /// Keeps `p` for a waiting item: no later item may take it this round.
    fn reserve(&mut self, p: usize, loads: &[f64]) {
        if self.reserved[p] {
            return;
        }
        self.reserved[p] = true;
        let c = self.class_of[p];
        self.by_load[c].remove(&(order_key(loads[p]), p));
        self.frees.drop_proc(p);
        self.open_frees.drop_proc(p);
        if self.self_contained[p] {
            self.self_contained_reserved[c] += 1;
        }
    }

    /// An item landed on `p`, whose load went from `old` to `new`: `p` moves in the lists by
    /// load, and leaves those it no longer belongs to.
    fn took(&mut self, p: usize, old: f64, new: f64, room: &Room) {
        let c = self.class_of[p];
        let listed = self.by_load[c].remove(&(order_key(old), p));
        if !self.touched[p] {
            self.touched[p] = true;
            if !listed {
                // It served a stream from the start: listed by its load then, which no longer holds.
                if let Some(s) = room.stream_of(p).filter(|s| self.wanted.binary_search(s).is_ok()) {
                    self.touched_own.push((s, p));
                }
            }
        }
        if room.is_open(p) {
            if listed {
                self.by_load[c].insert((order_key(new), p));
            }
        } else {
            self.open_frees.drop_proc(p);
            if let (true, Some(s)) = (listed, room.stream_of(p)) {
                // No longer open to every stream: from now on only its own stream's items look.
                self.joined.push((s, p));
            }
        }
    }
}

/// One stream's processors of one class, in the order an item reads them: listed, or found by
/// walking every processor of the class (`left` of them still in `members`).
enum Own<'a> {
    Listed(&'a [usize]),
    Walked { frees: &'a Segments, c: usize, members: &'a [bool], left: usize },
}

impl Own<'_> {
    /// Hands `out` those that could be among the `count` soonest by `value` that are
    /// `eligible` (see [`first_with_ties`]).
    fn with_ties(
        &self,
        count: usize,
        eligible: impl Fn(usize) -> bool,
        value: impl Fn(usize) -> f64,
        out: &mut Vec<(f64, usize)>,
    ) {
        match *self {
            Own::Listed(procs) => first_with_ties(procs.iter().copied(), count, eligible, value, out),
            // The walk stops once it has seen every member still in.
            Own::Walked { frees, c, members, left } => {
                let walked = frees.live(c).filter(|&p| members[p]).take(left);
                first_with_ties(walked, count, eligible, value, out)
            }
        }
    }
}

/// The processors of class `c` in `keyed` (sorted by class first), in order.
fn class_run(keyed: &[(usize, i64, usize)], c: usize) -> impl Iterator<Item = usize> + '_ {
    let from = keyed.partition_point(|k| k.0 < c);
    keyed[from..].iter().take_while(move |k| k.0 == c).map(|k| k.2)
}

/// The bit of a stream in a 64-bit filter of wanted streams.
fn stream_bit(stream: GroupId) -> u64 {
    1 << (stream.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
}

/// Processors in one list per class, each in a fixed order, from which some drop out for the
/// rest of a round: a scan for the first few still in skips those that dropped out in
/// amortised constant time (the next slot still in is found by pointer jumping, as in a
/// disjoint-set forest).
#[derive(Debug, Default)]
struct Segments {
    /// Class `c`'s processors in slots `starts[c]..ends[c]`; slot `ends[c]` ends the list (and
    /// never drops out).
    procs: Vec<usize>,
    starts: Vec<usize>,
    ends: Vec<usize>,
    /// For each slot, a slot at or before the next one still in.
    next: Vec<usize>,
    /// Each processor's slot (`usize::MAX`: not listed).
    slot: Vec<usize>,
}

impl Segments {
    /// Lists each class's processors in the order `classes` gives them (one list per class).
    fn fill<C: Iterator<Item = usize>>(&mut self, processors: usize, classes: impl Iterator<Item = C>) {
        self.starts.clear();
        self.ends.clear();
        self.procs.clear();
        for class in classes {
            self.starts.push(self.procs.len());
            self.procs.extend(class);
            // The slot that ends the class's list.
            self.ends.push(self.procs.len());
            self.procs.push(usize::MAX);
        }
        self.next.clear();
        self.next.extend(0..self.procs.len());
        self.slot.clear();
        self.slot.resize(processors, usize::MAX);
        for (k, &p) in self.procs.iter().enumerate() {
            if p != usize::MAX {
                self.slot[p] = k;
            }
        }
    }

    fn drop_proc(&mut self, p: usize) {
        if let Some(&k) = self.slot.get(p).filter(|&&k| k != usize::MAX) {
            self.next[k] = k + 1;
        }
    }

    /// The first slot still in at or after `k`.
    fn live_from(&mut self, mut k: usize) -> usize {
        while self.next[k] != k {
            self.next[k] = self.next[self.next[k]];
            k = self.next[k];
        }
        k
    }

    /// Hands the first `count` processors of class `c` still in that are `eligible`, in order,
    /// to `found`.
    fn first_live(&mut self, c: usize, count: usize, eligible: impl Fn(usize) -> bool, mut found: impl FnMut(usize)) {
        let Some(&end) = self.ends.get(c) else { return };
        let (mut k, mut taken) = (self.live_from(self.starts[c]), 0);
        while k < end && taken < count {
            let p = self.procs[k];
            if eligible(p) {
                found(p);
                taken += 1;
            }
            k = self.live_from(k + 1);
        }
    }

    /// Class `c`'s processors still in, in order, found without shortening the way to them
    /// (the scans for waiting items do that).
    fn live(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        let live_from = |mut k: usize| {
            while self.next[k] != k {
                k = self.next[k];
            }
            k
        };
        let (start, end) = self.starts.get(c).zip(self.ends.get(c)).map_or((0, 0), |(&s, &e)| (live_from(s), e));
        std::iter::successors(Some(start).filter(|&k| k < end), move |&k| Some(live_from(k + 1)).filter(|&k| k < end))
            .map(|k| self.procs[k])
    }
}
