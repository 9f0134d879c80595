//! Placing pending tasks: shared by the policies that plan whole groups at once (`lpt`,
//! `min-makespan`, `min-idle`). Tasks are grouped by the planner under a cap, joined to a live
//! group of their dataset where the cap allows, assigned to processors by LPT (optionally
//! improved), and each group's preprocessing is water-filled over its consumers' processors.

use crate::assign::{peak, water_fill, FreeOrder, Item, Reservation};
use crate::bounded_search::bounded_search;
use crate::costs::Costs;
use crate::differencing::differencing;
use crate::event::{Decision, Event, GroupId};
use crate::grouping::RoundGroups;
use crate::improve::{holds_peak, improve};
use crate::list_schedule::{lpt_finish, lpt_start, LptBuffers};
use crate::live::{live_streams_from_groups, Fingerprint};
use crate::multifit::multifit;
use crate::room::{Colocate, Room, Serving, SELF_CONTAINED};
use crate::takers::finds_takers;
use crate::view::View;
use crate::window::{fits_new_stream, plan_window, window, window_len, OpenRoom, WindowFit};
use coprep_traces::planner::{group_stages, resolve_cap, Cap, CapSearch};
use coprep_traces::Problem;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the placement balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// Remaining work (nanoseconds): the finish time of every processor, for makespan.
    Work,
    /// Work per sample advanced (nanoseconds per sample): the instantaneous pace, so that no
    /// processor idles or stalls while another is the bottleneck.
    Rate,
}

/// Whether an event can let a pending task start: a new task that fits somewhere, or capacity
/// freed. Progress reports and timers cannot, so planning is skipped for them.
pub fn may_place(event: &Event, view: &View) -> bool {
    matches!(event, Event::TaskArrived { .. } | Event::TaskFinished { .. } | Event::MoveFinished { .. })
        && !arrival_cannot_start(event, view)
}

/// Estimated per-sample pace of every processor: its consumers' compute per sample and its
/// shares of preprocessing per sample.
pub fn rate_loads(view: &View) -> Vec<f64> {
    let problem = view.problem;
    let mut loads = vec![0.0; problem.processors.len()];
    for (p, load) in loads.iter_mut().enumerate() {
        for &t in &view.state.processors[p].tasks {
            *load += view.step_ns(t, p).unwrap_or(0.0) / problem.tasks[t].batch_size as f64;
        }
    }
    for g in view.state.groups.values() {
        for &(p, share) in &g.prep {
            loads[p] += share * g.prep_ns(problem, p).unwrap_or(0.0);
        }
    }
    loads
}

/// Where a group's preprocessing may go, in processor order: the processors of its consumers,
/// live (`consumers`) and newly placed (`placed`), because co-location keeps unrelated groups
/// from slowing each other down, and the processors in `idle_too` (see [`idle_processors`]).
pub fn prep_candidates(
    view: &View,
    consumers: &[usize],
    placed: &[(usize, &[usize])],
    idle_too: &[usize],
) -> Vec<usize> {
    let consumer_procs = consumers.iter().flat_map(|&t| view.state.tasks[t].processors.iter());
    let placed_procs = placed.iter().flat_map(|(_, procs)| procs.iter());
    let mut allowed: Vec<usize> = consumer_procs.chain(placed_procs).chain(idle_too).copied().collect();
    allowed.sort_unstable();
    allowed.dedup();
    allowed
}

/// The processors that hold no task, in order.
pub fn idle_processors(view: &View) -> Vec<usize> {
    view.state.idle_processors().collect()
}

/// Removes a live group's preprocessing from `loads` and water-fills it again over the
/// `allowed` processors (any able processor if none of those is); returns the new shares.
pub fn replace_prep(
    view: &View,
    loads: &mut [f64],
    group: GroupId,
    stages: &[usize],
    units: f64,
    balance: Balance,
    allowed: &[usize],
) -> Vec<(usize, f64)> {
    if let Some(g) = view.state.groups.get(&group) {
        let old_units = match balance {
            Balance::Work => view.group_remaining_samples(group),
            Balance::Rate => 1.0,
        };
        for &(p, share) in &g.prep {
            loads[p] -= old_units * share * g.prep_ns(view.problem, p).unwrap_or(0.0);
        }
    }
    let cost = view.problem.stages_ns_on(stages);
    let able_among = |procs: &mut dyn Iterator<Item = usize>| -> Vec<(usize, f64)> {
        procs.filter_map(|p| Some((p, cost(p)?))).collect()
    };
    let mut per_unit = able_among(&mut allowed.iter().copied());
    if per_unit.is_empty() {
        per_unit = able_among(&mut (0..loads.len()));
    }
    water_fill(loads, units, &per_unit)
}

/// Whether planning on `event` would be wasted: an arrival frees nothing, so when the task that
/// arrived cannot start anywhere now (too little memory free for its gang), the tasks planned
/// before it are where the last round left them and a new round would change nothing. In a
/// long queue on a full cluster this skips almost every arrival.
pub fn arrival_cannot_start(event: &Event, view: &View) -> bool {
    let Event::TaskArrived { task } = *event else { return false };
    let problem = view.problem;
    let t = &problem.tasks[task];
    // Nowhere has its memory free: the state keeps the most free memory anywhere.
    if view.state.most_free() + 1e-9 < t.memory_gb {
        return true;
    }
    let free = view.state.free_memory();
    let runs_on = |p: usize| t.compute_s[problem.processors[p].kind].is_some();
    let room = (0..free.len()).filter(|&p| free[p] + 1e-9 >= t.memory_gb && runs_on(p)).take(t.gang as usize).count();
    room < t.gang as usize
}

/// Whether `event` is an arrival that falls outside the planning window: the queue before it
/// fills the window, so a round would plan the tasks the last one planned, where it left them.
/// Time has passed since, so the estimates differ a little: skipping such rounds halves the
/// rounds of `lpt` and `min-makespan` and moved min-makespan's makespan by +0.7% on average over
/// ten seeded benchmark workloads (each moved by up to 9% either way). `min-idle` balances pace,
/// which every start shifts; skipping cost it 2% at 64 GPUs, so it plans on every arrival.
pub fn arrival_beyond_window(event: &Event, view: &View, colocate: Colocate) -> bool {
    matches!(*event, Event::TaskArrived { task } if beyond_window(task, view, colocate))
}

/// Whether `event` is a finish whose freed room no task of the window could take, where
/// streams are kept apart. Where it opened a processor (left it holding nothing), no task of
/// the window could start on a new stream now: on open processors enough for its gang, or, a
/// task alone, also beside self-contained tasks. And none of the processors it freed that still
/// hold tasks, nor the processors of its stream's last reader where one is left alone (whose
/// key becomes self-contained), has the memory for a task of the window that may join it: a
/// task alone where it holds only self-contained tasks, a reader of the same dataset where it
/// serves a stream. Such a finish changes the plan only at second hand (its dataset's group
/// size, which may let a reader join another of its streams; estimates that time has moved),
/// which the next round sees. At 1M tasks under `min-makespan` it is 71% of the finishes, and
/// planned anyway, 0.06% of those rounds started anything; the schedules it moves, by a few
/// percent either way and by nothing on average, are in the README.
pub fn finish_frees_no_room(event: &Event, view: &View, colocate: Colocate) -> bool {
    let Event::TaskFinished { task } = *event else { return false };
    if colocate != Colocate::Stream {
        return false;
    }
    let (problem, state) = (view.problem, view.state);
    let freed = &state.tasks[task].processors;
    let opened = freed.iter().any(|&p| state.processors[p].tasks.is_empty());
    let alone = state.tasks[task]
        .group
        .and_then(|g| state.groups.get(&g))
        .filter(|g| g.members.len() == 1)
        .map_or(&[][..], |g| &state.tasks[g.members[0]].processors[..]);
    // The most free memory among those processors for a task alone, and per dataset for a
    // reader of a stream of it (the processors of one stream or two).
    let free = state.free_memory();
    let mut room_alone = f64::NEG_INFINITY;
    let mut room_readers: Vec<(usize, f64)> = Vec::new();
    for &p in freed.iter().chain(alone) {
        match state.serving()[p] {
            Serving::Stream(SELF_CONTAINED, _) => room_alone = room_alone.max(free[p]),
            Serving::Stream(s, _) => {
                let Some(dataset) = state.groups.get(&s).map(|g| g.dataset) else { continue };
                match room_readers.iter_mut().find(|r| r.0 == dataset) {
                    Some(r) => r.1 = r.1.max(free[p]),
                    None => room_readers.push((dataset, free[p])),
                }
            }
            Serving::Nothing | Serving::Mixed => {}
        }
    }
    // The free memory of the processors open to a new stream, in processor order.
    let open_free = || state.idle_processors().map(|p| free[p]);
    let single = state.most_free_for_self_contained();
    !window(view, state.idle_processors().len(), open_free().sum()).any(|t| {
        let t = &problem.tasks[t];
        let fits = |room: f64| room + 1e-9 >= t.memory_gb;
        let new_stream = opened && fits_new_stream(t.gang as usize, t.memory_gb, single, open_free());
        new_stream
            || (t.gang == 1 && fits(room_alone))
            || room_readers.iter().any(|&(d, room)| d == t.dataset && fits(room))
    })
}

/// Whether pending `task` lies beyond any window [`place_pending`] could plan now. Both of the
/// window's bounds are taken at their largest: every processor that holds no task may be open
/// to a new stream, and all free memory may be theirs. (Memory is summed in processor order, as
/// the round sums it, so the round's sum over fewer processors is never larger, rounding
/// included.)
fn beyond_window(task: usize, view: &View, colocate: Colocate) -> bool {
    let problem = view.problem;
    let open = match colocate {
        Colocate::Any => problem.processors.len(),
        Colocate::Stream => view.state.idle_processors().len(),
    };
    if view.state.pending.len() <= window_len(open) {
        return false;
    }
    // The round's window ends at the first task past the floor by which the tasks so far claim
    // more memory than is free; claims only grow, so a task is beyond it exactly when that
    // holds at the task itself. The task that arrived is normally the newest, whose claims so
    // far are the whole queue's: the state keeps that sum (walking a long queue to add it up
    // was most of the cost of an arrival), and the free memory summed too, so that only where
    // the two are too close to call are the processors summed and the queue walked. (Debug
    // builds walk it anyway and check the answer.)
    let newest = view.state.pending.last().is_some_and(|&(_, last)| last == task);
    let kept_free = view.state.total_free_gb().filter(|_| newest);
    if let Some(beyond) = kept_free.and_then(|(free, off)| claims_beyond(view, free, off)) {
        debug_assert_eq!(beyond, beyond_by_walk(task, view, open, view.state.free_memory().iter().sum()));
        return beyond;
    }
    let total_free: f64 = view.state.free_memory().iter().sum();
    if let Some(beyond) = newest.then(|| claims_beyond(view, total_free, 0.0)).flatten() {
        debug_assert_eq!(beyond, beyond_by_walk(task, view, open, total_free), "queue claims kept wrong");
        return beyond;
    }
    beyond_by_walk(task, view, open, total_free)
}

/// Whether the whole queue's claims, which the state keeps to within a known error, clearly
/// exceed free memory `free` known to within `free_off` (`Some(true)`), clearly fit it
/// (`Some(false)`), or are too close to call (`None`).
fn claims_beyond(view: &View, free: f64, free_off: f64) -> Option<bool> {
    let (claimed, off_by) = view.state.pending_claim_gb();
    if claimed - off_by > free + free_off + 1e-9 {
        Some(true)
    } else if claimed + off_by <= free - free_off + 1e-9 {
        Some(false)
    } else {
        None
    }
}

/// [`beyond_window`] by walking the window (`open` processors open to a new stream, all free
/// memory theirs) to pending `task`.
fn beyond_by_walk(task: usize, view: &View, open: usize, total_free: f64) -> bool {
    window(view, open, total_free).all(|t| t != task)
}

/// Spreads every live stream's preprocessing again, balancing pace on the view's estimates, so
/// that production matches consumption on every processor (onto processors without tasks too);
/// a decision for each stream whose split changed. What `min-idle` does when tasks finish and
/// `reestimate` when its estimates change.
pub fn respread_prep(view: &View) -> Vec<Decision> {
    let mut loads = rate_loads(view);
    let idle = idle_processors(view);
    let mut decisions = Vec::new();
    for g in view.state.groups.values() {
        let allowed = prep_candidates(view, &g.members, &[], &idle);
        let shares = replace_prep(view, &mut loads, g.id, &g.stages, 1.0, Balance::Rate, &allowed);
        let moved = shares.len() != g.prep.len()
            || shares.iter().zip(&g.prep).any(|(a, b)| a.0 != b.0 || (a.1 - b.1).abs() > 1e-6);
        if moved {
            decisions.push(Decision::PlacePrep { group: g.id, shares });
        }
    }
    decisions
}

/// What a policy keeps between rounds to plan faster: the automatic caps last resolved for each
/// dataset, with a fingerprint of the tasks each was resolved over (the same tasks give the same
/// cap, and most rounds change one dataset at most).
#[derive(Debug, Default)]
pub struct PlanCache {
    /// Per dataset, the last few (fingerprint of the tasks, cap) resolved, the newest first: a
    /// dataset's set of tasks often comes back to one of its last few (a task leaves the window
    /// and returns, a fit test flips and flips back), which turns about one cap in seven that
    /// would be resolved again into a lookup.
    caps: Vec<Vec<(Fingerprint, usize)>>,
    /// What resolving a cap works in, and the tasks it is resolved over: kept for their buffers.
    cap_search: CapSearch,
    all: Vec<usize>,
    /// The processors' classes and memory (they never change over a run).
    classes: Option<(Arc<[usize]>, Vec<usize>)>,
    capacity: Option<Vec<f64>>,
    /// Every processor by when it frees up, as the last round ordered them.
    by_frees: FreeOrder,
    /// The round's groups, and the free memory of the processors open to a new stream: kept
    /// for their buffers.
    groups: RoundGroups,
    free_open: Vec<f64>,
    /// What list scheduling works in: kept for its buffers.
    lpt: LptBuffers,
    /// The tasks a round plans, each with its group (in group order), and whether each finds
    /// takers.
    planned: Vec<usize>,
    members: Vec<(usize, usize)>,
    taken: Vec<bool>,
    /// When each processor frees up, the loads list scheduling balances, and the room it
    /// places in: laid out again each round in the same buffers.
    frees_in: Vec<f64>,
    loads: Vec<f64>,
    room: Room,
    /// Per planned group and processor class, each member's share of its preprocessing.
    prep_share: Vec<f64>,
}

/// How many resolved caps [`PlanCache`] keeps per dataset.
const RECENT_CAPS: usize = 4;

/// How a round places tasks.
#[derive(Debug, Clone, Copy)]
pub struct Placing {
    /// At most this many tasks per stream.
    pub cap: Cap,
    /// Rounds of exchanges that improve LPT's placement (0: LPT alone).
    pub improve: usize,
    pub balance: Balance,
    pub colocate: Colocate,
}

/// Decisions that start every pending task that fits now.
pub fn place_pending(view: &View, how: Placing, cache: &mut PlanCache) -> Vec<Decision> {
    let Placing { cap, improve: improve_rounds, balance, colocate } = how;
    if view.state.pending.is_empty() {
        return Vec::new();
    }
    let problem = view.problem;
    let nprocs = problem.processors.len();
    let PlanCache {
        caps,
        cap_search,
        all,
        classes,
        capacity,
        by_frees,
        groups,
        free_open,
        lpt,
        prep_share,
        planned,
        members,
        taken,
        frees_in,
        loads,
        room,
    } = cache;
    let open = OpenRoom::of(view, colocate, free_open);
    let fit = plan_window(view, &open, colocate, planned);
    if fit == WindowFit::Nowhere {
        return Vec::new();
    }
    let pending: &[usize] = planned;
    // One group size per dataset for this round, resolved over the live consumers and the
    // pending tasks together, so that newcomers may join a live stream the way the planner
    // would have grouped them had they come together. (Debug builds check the live streams the
    // state keeps against the live groups.)
    debug_assert!(
        view.state.all_live_streams() == live_streams_from_groups(view.state, problem),
        "live streams kept wrong"
    );
    let live = |dataset: usize| view.state.live_streams(dataset);
    caps.resize_with(problem.datasets.len(), Vec::new);
    groups.form(problem, pending, |dataset, tasks| match cap {
        Cap::Auto => {
            let print = live(dataset).print.plus(Fingerprint::of(tasks));
            let recent = &mut caps[dataset];
            match recent.iter().position(|&(seen, _)| seen == print) {
                Some(i) => {
                    recent[..=i].rotate_right(1);
                    recent[0].1
                }
                None => {
                    // The live consumers and the window's tasks of the dataset, in pipeline
                    // order: both come sorted, so a merge.
                    live(dataset).merge_into(tasks.iter().map(|&t| (problem.pipeline_rank(t), t)), all);
                    let k = cap_search.auto_cap(problem, all, nprocs);
                    recent.truncate(RECENT_CAPS - 1);
                    recent.insert(0, (print, k));
                    k
                }
            }
        }
        // Every live consumer and every task of the window together.
        Cap::Unlimited => (live(dataset).consumers.len() + tasks.len()).max(1),
        Cap::Max(_) => resolve_cap(problem, tasks, cap, nprocs),
    });
    // Where the window's tasks could start only by joining live streams and no dataset's group
    // size lets anyone join, every task is alone on a fresh stream, whose takers are exactly
    // the room on new streams that none has: the round places nothing. In a congested cluster
    // that is half the rounds; they end here, before the groups are numbered and each task's
    // takers looked for (debug builds go on, and check that none is found).
    let joins_barred = fit == WindowFit::JoiningOnly && groups.all_sizes_one();
    if joins_barred && !cfg!(debug_assertions) {
        return Vec::new();
    }
    groups.number(view);
    let groups: &RoundGroups = groups;
    // Per planned task, in group order: whether it finds takers (see `takers`). Where none
    // does, the round places nothing (debug builds work it out anyway and check that); and
    // LPT skips looking for room now for a task that finds none (most of a congested round's
    // tasks, which only wait).
    taken.clear();
    for (gi, g) in groups.iter().enumerate() {
        taken.extend(g.iter().map(|&t| finds_takers(view, &open, t, groups.stream_key(problem, gi, t))));
    }
    let none_taken = !taken.contains(&true);
    debug_assert!(
        none_taken || !joins_barred,
        "a task found takers though nobody could join and none had room on a new stream"
    );
    if none_taken && !cfg!(debug_assertions) {
        return Vec::new();
    }
    let OpenRoom { free_memory, serving, .. } = open;
    room.reset(free_memory, serving);
    let ids = &groups.ids;

    // Remaining work per processor: what Work balances, and when each processor frees up.
    view.loads_ns_into(frees_in);
    let frees_in: &[f64] = frees_in;
    loads.clear();
    match balance {
        Balance::Work => loads.extend_from_slice(frees_in),
        Balance::Rate => loads.extend(rate_loads(view)),
    }
    members.clear();
    members.extend(groups.iter().enumerate().flat_map(|(gi, g)| g.iter().map(move |&t| (gi, t))));
    let members: &[(usize, usize)] = members;
    // Each task carries an equal share of its group's preprocessing (for a task alone, exactly
    // what will run beside it), so that the assignment balances all the work; the shares are
    // taken out again below, before the preprocessing itself is spread. Per group and class,
    // in one array.
    let (class_of, reps) = &*classes.get_or_insert_with(|| processor_classes(problem));
    let classes_n = reps.len();
    prep_share.clear();
    for g in groups.iter() {
        let stages_s;
        let by_kind: &[Option<f64>] = match g {
            [task] => problem.pipeline_prep_s_by_kind(*task),
            _ => {
                stages_s = problem.stages_s_by_kind(&group_stages(problem, g));
                &stages_s
            }
        };
        let units = match balance {
            Balance::Work => g.iter().map(|&t| problem.tasks[t].samples()).fold(0.0, f64::max),
            Balance::Rate => 1.0,
        };
        let per_group =
            reps.iter().map(|&p| problem.prep_ns_on(by_kind, p).map_or(0.0, |ns| ns * units / g.len() as f64));
        prep_share.extend(per_group);
    }
    let prep_share: &[f64] = prep_share;
    let items: Vec<Item> = members
        .iter()
        .map(|&(gi, t)| {
            let task = &problem.tasks[t];
            let units = match balance {
                Balance::Work => task.steps as f64,
                Balance::Rate => 1.0 / task.batch_size as f64,
            };
            let share = &prep_share[gi * classes_n..(gi + 1) * classes_n];
            let cost = reps.iter().enumerate().map(|(c, &p)| view.step_ns(t, p).map(|s| s * units + share[c]));
            // In time, whatever is balanced: its steps and its share of preprocessing.
            let prep_time = |c: usize| share[c] * if balance == Balance::Rate { task.samples() } else { 1.0 };
            let duration =
                reps.iter().enumerate().map(|(c, &p)| view.step_ns(t, p).map(|s| s * task.steps as f64 + prep_time(c)));
            Item {
                task: t,
                gang: task.gang as usize,
                cost: Costs::per_class_from(cost, class_of),
                memory: task.memory_gb,
                stream: Some(groups.stream_key(problem, gi, t)),
                group: Some(gi),
                duration: Some(Costs::per_class_from(duration, class_of)),
            }
        })
        .collect();
    // A gang that does not fit keeps a claim on the processors that free up soonest.
    let capacity: &[f64] = capacity.get_or_insert_with(|| problem.processors.iter().map(|p| p.memory_gb).collect());
    by_frees.sort(frees_in, class_of, classes_n);
    let by_frees: &FreeOrder = by_frees;
    let loads_are_frees = balance == Balance::Work;
    let reservation = Reservation { frees_in, capacity, by_frees, may_start: taken, loads_are_frees };
    let placement = assign_items(lpt, &items, loads, room, &reservation, improve_rounds);
    for (i, procs) in placement.iter().enumerate() {
        for &p in procs.iter().flatten() {
            loads[p] -= prep_share[members[i].0 * classes_n + class_of[p]];
        }
    }

    // New groups are numbered in the order they open; planned groups none of whose tasks fit
    // take no number.
    let mut ids = ids.clone();
    let mut next = view.fresh_group_id();
    // A round opens a few groups: a short list, searched in order.
    let mut renumbered: Vec<(GroupId, GroupId)> = Vec::new();
    for (i, procs) in placement.iter().enumerate() {
        let planned = ids[members[i].0];
        if procs.is_some() && !view.state.groups.contains_key(&planned) && !renumbered.iter().any(|r| r.0 == planned) {
            renumbered.push((planned, next));
            next += 1;
        }
    }
    for id in &mut ids {
        if let Some(&(_, n)) = renumbered.iter().find(|r| r.0 == *id) {
            *id = n;
        }
    }
    let mut decisions = Vec::new();
    // Balancing pace, preprocessing may also go to processors left without tasks.
    let idle = if balance == Balance::Rate { idle_processors(view) } else { Vec::new() };
    // The placed tasks by group (in group order, each group's in placement order).
    let mut placed: Vec<(usize, usize, &[usize])> = Vec::new();
    for (i, procs) in placement.iter().enumerate() {
        if let Some(procs) = procs {
            let (gi, t) = members[i];
            decisions.push(Decision::Start { task: t, processors: procs.clone(), group: ids[gi] });
            placed.push((gi, t, procs));
        }
    }
    placed.sort_by_key(|m| m.0);
    for group in placed.chunk_by(|a, b| a.0 == b.0) {
        let new_members: Vec<(usize, &[usize])> = group.iter().map(|&(_, t, procs)| (t, procs)).collect();
        let gi = group[0].0;
        let id = ids[gi];
        let live: &[usize] = view.state.groups.get(&id).map_or(&[], |g| &g.members);
        let mut tasks: Vec<usize> = new_members.iter().map(|m| m.0).collect();
        let mut samples = tasks.iter().map(|&t| problem.tasks[t].samples()).fold(0.0, f64::max);
        if !live.is_empty() {
            samples = samples.max(view.group_remaining_samples(id));
            tasks.extend(live);
        }
        let units = match balance {
            Balance::Work => samples,
            Balance::Rate => 1.0,
        };
        let stages = group_stages(problem, &tasks);
        let allowed = prep_candidates(view, live, &new_members, &idle);
        let shares = replace_prep(view, loads, id, &stages, units, balance, &allowed);
        decisions.push(Decision::PlacePrep { group: id, shares });
    }
    debug_assert!(!none_taken || decisions.is_empty(), "a round without takers started {decisions:?}");
    decisions
}

/// Groups processors that cost the same for everything (same type, speeds and memory): each
/// processor's class, and one processor of each class.
fn processor_classes(problem: &Problem) -> (Arc<[usize]>, Vec<usize>) {
    let key = |p: usize| {
        let info = &problem.processors[p];
        (info.kind, info.compute_speed.to_bits(), info.prep_speed.to_bits(), info.memory_gb.to_bits())
    };
    let mut reps: Vec<usize> = Vec::new();
    let mut seen = BTreeMap::new();
    let class_of: Vec<usize> = (0..problem.processors.len())
        .map(|p| {
            *seen.entry(key(p)).or_insert_with(|| {
                reps.push(p);
                reps.len() - 1
            })
        })
        .collect();
    (class_of.into(), reps)
}

/// LPT, improved by exchanges; where every item fits now and costs the same everywhere, also
/// MULTIFIT and largest differencing, each improved the same way, and, for a small round, a
/// bounded search below the best of them. Keeps the best (the earlier on a tie). Updates
/// `loads` and `room`.
fn assign_items(
    buffers: &mut LptBuffers,
    items: &[Item],
    loads: &mut [f64],
    room: &mut Room,
    reservation: &Reservation,
    improve_rounds: usize,
) -> Vec<Option<Vec<usize>>> {
    // The packing heuristics compete only where every item is placed, so only where every item
    // may start (most online rounds have some that cannot): only then is the start kept.
    let start =
        (improve_rounds > 0 && reservation.may_start.iter().all(|&m| m)).then(|| (loads.to_vec(), room.clone()));
    let mut placement = lpt_start(buffers, items, loads, room, Some(reservation));
    // The reservations of the items that cannot start, which LPT leaves to the end, bind only
    // an improvement; and nothing improves a peak that holds no placed item (nor do the
    // packing heuristics, which place single items on the same processors from the same start).
    if improve_rounds == 0 || !holds_peak(items, &placement, loads) {
        return placement;
    }
    let reserved = lpt_finish(buffers, items, loads, room, Some(reservation), &mut placement);
    improve(items, &mut placement, loads, room, &reserved, improve_rounds);
    if let Some((start_loads, start_room)) =
        start.filter(|_| placement.iter().all(Option::is_some) && !reserved.contains(&true))
    {
        for other in [multifit, differencing, bounded_search] {
            if let Some((mut packed, mut packed_loads, mut packed_room)) =
                other(items, &start_loads, &start_room, peak(loads))
            {
                improve(items, &mut packed, &mut packed_loads, &mut packed_room, &reserved, improve_rounds);
                if peak(&packed_loads) < peak(loads) {
                    loads.copy_from_slice(&packed_loads);
                    *room = packed_room;
                    placement = packed;
                }
            }
        }
    }
    placement
}
