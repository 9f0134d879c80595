//! The state of a cluster as engines keep it and policies see it: where every task is, which
//! groups are live, what each processor holds. Both engines (simulator and executor) mutate it
//! only through these methods, so decisions are validated once, the same way.

use crate::backlog::Backlog;
use crate::event::GroupId;
use crate::fixed_sum::FixedSum;
use crate::id_table::IdTable;
use crate::join_room::JoinRoom;
use crate::live::LiveStreams;
use crate::max_tree::MaxTree;
use crate::pending_queue::PendingQueue;
use crate::room::{stream_key, Serving, SELF_CONTAINED};
use crate::sorted_vec::SortedVec;
use coprep_traces::planner::group_stages;
use coprep_traces::{Nanos, Problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Not arrived yet.
    Future,
    /// Arrived, waiting to be started.
    Pending,
    Running,
    /// Being moved: holds its new processors, makes no progress.
    Migrating,
    Done,
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub status: TaskStatus,
    pub processors: Vec<usize>,
    pub group: Option<GroupId>,
    /// Steps done as of `steps_since` (fractional in the analytic engine, which lets them grow
    /// at `steps_per_ns` from there instead of updating every task at every event).
    pub steps_done: f64,
    pub steps_since: Nanos,
    pub steps_per_ns: f64,
    pub started_at: Option<Nanos>,
    pub finished_at: Option<Nanos>,
    pub moves: u32,
}

impl TaskState {
    /// Steps done at `now`.
    pub fn steps_at(&self, now: Nanos) -> f64 {
        self.steps_done + self.steps_per_ns * now.saturating_sub(self.steps_since) as f64
    }
}

#[derive(Debug, Clone)]
pub struct GroupState {
    pub id: GroupId,
    pub dataset: usize,
    /// Consumers still running (or migrating), in the order they joined.
    pub members: Vec<usize>,
    /// Stages of the distinct prefix-tree nodes of the current members: one sample's preprocessing.
    pub stages: Vec<usize>,
    /// Seconds to preprocess one sample of `stages` per processor type at unit speed, kept
    /// beside them (see [`GroupState::set_stages`]): every planning round reads it for every
    /// live group.
    pub prep_s_by_kind: Vec<Option<f64>>,
    /// Where preprocessing runs: (processor, share of the batches), shares summing to 1.
    pub prep: Vec<(usize, f64)>,
    pub started_at: Nanos,
}

impl GroupState {
    /// Recomputes the stages (and their cost) of the current members.
    fn set_stages(&mut self, problem: &Problem) {
        match self.members[..] {
            // A group of one preprocesses its member's pipeline, whose cost the workload keeps.
            [task] => {
                self.stages.clone_from(&problem.tasks[task].stages);
                self.prep_s_by_kind.clear();
                self.prep_s_by_kind.extend_from_slice(problem.pipeline_prep_s_by_kind(task));
            }
            _ => {
                self.stages = group_stages(problem, &self.members);
                self.prep_s_by_kind = problem.stages_s_by_kind(&self.stages);
            }
        }
    }

    /// Estimated nanoseconds to preprocess one of its samples on `proc`
    /// ([`Problem::stages_ns`] of its stages).
    pub fn prep_ns(&self, problem: &Problem, proc: usize) -> Option<f64> {
        problem.prep_ns_on(&self.prep_s_by_kind, proc)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProcState {
    /// Tasks whose compute runs here (time-shared), in start order.
    pub tasks: Vec<usize>,
    pub memory_used: f64,
    /// Live groups preprocessing here.
    pub prep_groups: SortedVec<GroupId>,
}

/// A policy asked for something impossible: a bug in the policy, reported as a runtime error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("policy decision rejected: {0}")]
pub struct DecisionError(pub String);

#[derive(Debug, Clone)]
pub struct ClusterState {
    pub tasks: Vec<TaskState>,
    pub groups: IdTable<GroupState>,
    pub processors: Vec<ProcState>,
    /// Arrived and not started, in arrival order (ties by task index).
    pub pending: PendingQueue,
    /// The memory the pending tasks claim (GB; each its memory times its gang).
    pending_claim: FixedSum,
    /// Which group ids have ended (never reused), a bit per id below `next_group`.
    ended_groups: Vec<u64>,
    /// Scratch for the processors whose service changes.
    scratch: Vec<usize>,
    next_group: GroupId,
    /// The processors that hold no task, kept as tasks come and go: policies ask for them on
    /// most events, and a scan of every processor per event was a fifth of `fifo`'s run.
    idle: SortedVec<usize>,
    /// What each processor serves, kept as tasks come and go: every planning round that keeps
    /// streams apart starts from it, and working it out from the live groups was a round's
    /// walk over every running task.
    serving: Vec<Serving>,
    /// Each dataset's live streams, kept as tasks start and finish: every planning round reads
    /// them for the datasets in its window.
    live: Vec<LiveStreams>,
    /// Each processor's free memory (its capacity less `memory_used`), kept as tasks come and
    /// go: every planning round reads it for every processor.
    free_memory: Vec<f64>,
    /// Each processor's backlog (estimated remaining work), kept as tasks start, finish, move
    /// and change pace: every planning round reads it for every processor.
    backlog: Vec<Backlog>,
    /// The most free memory on any processor, and on any that a self-contained task may join
    /// (holding nothing, or only self-contained tasks): every planning round reads both.
    most_free: MaxTree,
    most_free_single: MaxTree,
    /// Per dataset, the free memory of every processor its running tasks hold (see
    /// [`JoinRoom`]).
    join_room: Vec<JoinRoom>,
    /// The free memory of every processor summed exactly (`None` where some processor has no
    /// limit): an arrival compares it with the queue's claims.
    free_total: Option<FixedSum>,
}

impl ClusterState {
    pub fn new(problem: &Problem) -> Self {
        let mut state = ClusterState {
            tasks: vec![
                TaskState {
                    status: TaskStatus::Future,
                    processors: Vec::new(),
                    group: None,
                    steps_done: 0.0,
                    steps_since: 0,
                    steps_per_ns: 0.0,
                    started_at: None,
                    finished_at: None,
                    moves: 0,
                };
                problem.tasks.len()
            ],
            groups: IdTable::default(),
            processors: vec![ProcState::default(); problem.processors.len()],
            pending: PendingQueue::default(),
            pending_claim: FixedSum::default(),
            ended_groups: Vec::new(),
            scratch: Vec::new(),
            next_group: 0,
            idle: (0..problem.processors.len()).collect(),
            serving: vec![Serving::Nothing; problem.processors.len()],
            live: vec![LiveStreams::default(); problem.datasets.len()],
            free_memory: problem.processors.iter().map(|p| p.memory_gb).collect(),
            backlog: vec![Backlog::default(); problem.processors.len()],
            most_free: MaxTree::new(problem.processors.len()),
            most_free_single: MaxTree::new(problem.processors.len()),
            join_room: vec![JoinRoom::default(); problem.datasets.len()],
            free_total: problem.processors.iter().all(|p| p.memory_gb.is_finite()).then(|| {
                let mut total = FixedSum::default();
                problem.processors.iter().for_each(|p| total.add(p.memory_gb));
                total
            }),
        };
        for p in 0..problem.processors.len() {
            state.refresh_most_free(p);
        }
        state
    }

    /// The most free memory on any processor (minus infinity with none).
    pub fn most_free(&self) -> f64 {
        self.most_free.max()
    }

    /// The most free memory on a processor that a self-contained task may join (one that
    /// holds nothing or only self-contained tasks; see `room::stream_key`), if any.
    pub fn most_free_for_self_contained(&self) -> Option<f64> {
        Some(self.most_free_single.max()).filter(|&m| m > f64::NEG_INFINITY)
    }

    /// Brings processor `p`'s entries of the most-free-memory trees up to date.
    fn refresh_most_free(&mut self, p: usize) {
        let free = self.free_memory[p];
        self.most_free.set(p, free);
        let single = matches!(self.serving[p], Serving::Nothing | Serving::Stream(SELF_CONTAINED, _));
        self.most_free_single.set(p, if single { free } else { f64::NEG_INFINITY });
    }

    /// Processor `p`'s estimated remaining work at `now` (nanoseconds of its time): its tasks'
    /// remaining steps at their estimated step times, and its shares of its groups'
    /// remaining preprocessing (see `View::loads_ns`).
    pub fn backlog_ns(&self, p: usize, now: Nanos) -> f64 {
        self.backlog[p].at(now)
    }

    /// Adds (`sign` 1) or takes out (`sign` -1) `task`'s remaining compute on its processors,
    /// as it stands at `now`.
    fn count_task(&mut self, problem: &Problem, task: usize, now: Nanos, sign: f64) {
        let state = &self.tasks[task];
        let remaining = problem.tasks[task].steps as f64 - state.steps_at(now);
        for &p in &state.processors {
            if let Some(step) = problem.step_ns(task, p) {
                self.backlog[p].add(now, sign * step * remaining, sign * step * state.steps_per_ns);
            }
        }
    }

    /// Adds (`sign` 1) or takes out (`sign` -1) `group`'s remaining preprocessing on the
    /// processors that run it, as it stands at `now`: the most samples any member still reads,
    /// which falls at the pace they all read at. (Unclamped, so that what is taken out falls
    /// exactly as fast as what was added: its last member's count may end a hair below zero.)
    fn count_prep(&mut self, problem: &Problem, group: GroupId, now: Nanos, sign: f64) {
        let Some(g) = self.groups.get(&group) else { return };
        let Some((lead, batch)) = self.most_behind(problem, &g.members, now) else { return };
        let state = &self.tasks[lead];
        let samples = (problem.tasks[lead].steps as f64 - state.steps_at(now)) * batch;
        let pace = state.steps_per_ns * batch;
        for &(p, share) in &g.prep {
            let per_sample = share * g.prep_ns(problem, p).unwrap_or(0.0);
            self.backlog[p].add(now, sign * samples * per_sample, sign * pace * per_sample);
        }
    }

    /// The member with the most samples left to read at `now` (the first of equals), and its
    /// batch size: a group's stream must produce that many more.
    fn most_behind(&self, problem: &Problem, members: &[usize], now: Nanos) -> Option<(usize, f64)> {
        let mut most: Option<(usize, f64, f64)> = None;
        for &m in members {
            let batch = problem.tasks[m].batch_size as f64;
            let left = (problem.tasks[m].steps as f64 - self.tasks[m].steps_at(now)) * batch;
            if most.is_none_or(|(_, _, l)| left > l) {
                most = Some((m, batch, left));
            }
        }
        most.map(|(m, batch, _)| (m, batch))
    }

    /// Drops what rounding left in the backlog of those of `procs` that now hold nothing.
    fn settle_emptied(&mut self, procs: impl IntoIterator<Item = usize>, now: Nanos) {
        for p in procs {
            if self.processors[p].tasks.is_empty() && self.processors[p].prep_groups.is_empty() {
                self.backlog[p].clear(now);
            }
        }
    }

    /// Sets the pace of `group`'s members from `now` on: each reads `samples_per_ns` samples
    /// per nanosecond (0: they wait), its steps so far brought up to `now`. What the analytic
    /// engine does whenever a group's pace changes.
    pub fn set_group_pace(&mut self, problem: &Problem, group: GroupId, now: Nanos, samples_per_ns: f64) {
        // A change of pace changes how fast the group's backlog falls, not what it holds now:
        // each part's rate moves by the difference. The preprocessing falls at its most
        // behind member's pace (see `count_prep`), which stays the most behind.
        let g = &self.groups[&group];
        let lead = self.most_behind(problem, &g.members, now);
        let prep_before = lead.map_or(0.0, |(m, batch)| self.tasks[m].steps_per_ns * batch);
        for &t in &g.members {
            let state = &mut self.tasks[t];
            let before = state.steps_per_ns;
            state.steps_done = state.steps_at(now);
            state.steps_since = now;
            state.steps_per_ns = samples_per_ns / problem.tasks[t].batch_size as f64;
            let change = state.steps_per_ns - before;
            for &p in &state.processors {
                if let Some(step) = problem.step_ns(t, p) {
                    self.backlog[p].add(now, 0.0, step * change);
                }
            }
        }
        let prep_after = lead.map_or(0.0, |(m, batch)| self.tasks[m].steps_per_ns * batch);
        for &(p, share) in &g.prep {
            let per_sample = share * g.prep_ns(problem, p).unwrap_or(0.0);
            self.backlog[p].add(now, 0.0, (prep_after - prep_before) * per_sample);
        }
    }

    /// Sets the steps `task` has done at `now`, between which it makes no progress: what the
    /// per-batch engine does as each step ends.
    pub fn set_steps_done(&mut self, problem: &Problem, task: usize, now: Nanos, steps: f64) {
        let group = self.tasks[task].group;
        self.count_task(problem, task, now, -1.0);
        if let Some(g) = group {
            self.count_prep(problem, g, now, -1.0);
        }
        let state = &mut self.tasks[task];
        state.steps_done = steps;
        state.steps_since = now;
        state.steps_per_ns = 0.0;
        self.count_task(problem, task, now, 1.0);
        if let Some(g) = group {
            self.count_prep(problem, g, now, 1.0);
        }
    }

    /// Each processor's free memory (GB; infinite where the workload sets no limit).
    pub fn free_memory(&self) -> &[f64] {
        &self.free_memory
    }

    /// The processors that hold no task, in order.
    pub fn idle_processors(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.idle.iter().copied()
    }

    /// What each processor serves: the stream key (see [`stream_key`]) its tasks read, or
    /// `Mixed` where they read several.
    pub fn serving(&self) -> &[Serving] {
        &self.serving
    }

    /// The live streams of `dataset`.
    pub fn live_streams(&self, dataset: usize) -> &LiveStreams {
        &self.live[dataset]
    }

    /// Every dataset's live streams, indexed by dataset.
    pub fn all_live_streams(&self) -> &[LiveStreams] {
        &self.live
    }

    /// The stream key (see [`stream_key`]) `task` is kept apart by: `None` unless it reads a
    /// live group.
    pub fn stream_key_of(&self, problem: &Problem, task: usize) -> Option<GroupId> {
        let group = self.groups.get(&self.tasks[task].group?)?;
        Some(stream_key(problem.tasks[task].gang as usize, group.id, group.members.len()))
    }

    /// Works out again what processor `p` serves, from the tasks it holds.
    fn refresh_serving(&mut self, problem: &Problem, p: usize) {
        let key = |t: usize| self.stream_key_of(problem, t);
        self.serving[p] = self.processors[p].tasks.iter().fold(Serving::Nothing, |s, &t| s.with(key(t)));
        self.refresh_most_free(p);
    }

    /// Works out again what `procs` serve, and the processors of `group`'s members where its
    /// member count crossed between one and more (`before` to now): a single task's stream key
    /// depends on whether its stream feeds it alone (see [`stream_key`]).
    fn refresh_serving_around(&mut self, problem: &Problem, group: GroupId, procs: &[usize], before: usize) {
        let mut touched = std::mem::take(&mut self.scratch);
        touched.clear();
        touched.extend_from_slice(procs);
        if let Some(g) = self.groups.get(&group) {
            if (before <= 1) != (g.members.len() <= 1) {
                touched.extend(g.members.iter().flat_map(|&t| self.tasks[t].processors.iter()));
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for &p in &touched {
            self.refresh_serving(problem, p);
        }
        self.scratch = touched;
    }

    /// Puts `task` on processor `p`.
    fn hold(&mut self, problem: &Problem, task: usize, p: usize) {
        self.set_memory_used(problem, p, self.processors[p].memory_used + problem.tasks[task].memory_gb);
        self.processors[p].tasks.push(task);
        self.join_room[problem.tasks[task].dataset].add(self.free_memory[p]);
        self.idle.remove(&p);
        // (The most-free-memory trees follow when what `p` serves is worked out again, which
        // every caller does next.)
    }

    /// The free memory of every processor summed, and how far that may lie from the same
    /// amounts summed in floating point in any order (`None` where some processor has no
    /// limit).
    pub fn total_free_gb(&self) -> Option<(f64, f64)> {
        self.free_total.as_ref().map(FixedSum::value)
    }

    /// Sets the memory processor `p`'s tasks use, and with it its free memory, moving the
    /// join-room entries of the tasks on it (and its share of the total).
    fn set_memory_used(&mut self, problem: &Problem, p: usize, used: f64) {
        let before = self.free_memory[p];
        self.processors[p].memory_used = used;
        self.free_memory[p] = problem.processors[p].memory_gb - used;
        let now = self.free_memory[p];
        if let Some(total) = &mut self.free_total {
            total.remove(before);
            total.add(now);
        }
        for &u in &self.processors[p].tasks {
            self.join_room[problem.tasks[u].dataset].change(before, now);
        }
    }

    /// Whether at least `n` of the processors `dataset`'s running tasks hold (a processor
    /// counted once per such task on it) have `memory` free.
    pub fn join_room(&self, dataset: usize, n: usize, memory: f64) -> bool {
        self.join_room[dataset].has_room(n, memory)
    }

    /// The free memory of the processors `dataset`'s running tasks hold, ascending (what
    /// debug builds check against the tasks).
    pub fn join_room_entries(&self, dataset: usize) -> &[f64] {
        self.join_room[dataset].entries()
    }

    /// Whether group `group` has ended.
    pub fn has_ended(&self, group: GroupId) -> bool {
        let (word, bit) = ((group / 64) as usize, group % 64);
        self.ended_groups.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn mark_ended(&mut self, group: GroupId) {
        let (word, bit) = ((group / 64) as usize, group % 64);
        if self.ended_groups.len() <= word {
            self.ended_groups.resize(word + 1, 0);
        }
        self.ended_groups[word] |= 1 << bit;
    }

    /// An id no group has had: the first of a run of fresh ids for a policy to use.
    pub fn fresh_group_id(&self) -> GroupId {
        self.next_group
    }

    pub fn arrive(&mut self, problem: &Problem, task: usize) {
        self.tasks[task].status = TaskStatus::Pending;
        if self.pending.insert((problem.tasks[task].arrival_ns, task)) {
            self.pending_claim.add(problem.tasks[task].memory_claim_gb());
        }
    }

    /// The memory all pending tasks claim (GB; each its memory times its gang), and how far
    /// that may lie from the same claims summed in floating point in any order: a policy that
    /// would walk the whole queue to sum them decides from this where it is clear.
    pub fn pending_claim_gb(&self) -> (f64, f64) {
        self.pending_claim.value()
    }

    fn check_processors(
        &self,
        problem: &Problem,
        task: usize,
        procs: &[usize],
        freeing: &[usize],
    ) -> Result<(), DecisionError> {
        let t = &problem.tasks[task];
        if procs.len() != t.gang as usize {
            return Err(DecisionError(format!("task {} needs {} processors, got {}", t.id, t.gang, procs.len())));
        }
        if procs.iter().enumerate().any(|(i, p)| procs[..i].contains(p)) {
            return Err(DecisionError(format!("task {}: a processor is named twice in {procs:?}", t.id)));
        }
        for &p in procs {
            let Some(info) = problem.processors.get(p) else {
                return Err(DecisionError(format!("task {}: no processor {p}", t.id)));
            };
            if problem.step_ns(task, p).is_none() {
                return Err(DecisionError(format!(
                    "task {} cannot run on {} (type {})",
                    t.id, info.id, problem.types[info.kind]
                )));
            }
            let held = if freeing.contains(&p) { t.memory_gb } else { 0.0 };
            if self.processors[p].memory_used - held + t.memory_gb > info.memory_gb + 1e-9 {
                return Err(DecisionError(format!("task {} does not fit in the memory of {}", t.id, info.id)));
            }
        }
        Ok(())
    }

    /// Starts a pending task in `group` (created if the id is fresh).
    pub fn start(
        &mut self,
        problem: &Problem,
        task: usize,
        procs: &[usize],
        group: GroupId,
        now: Nanos,
    ) -> Result<(), DecisionError> {
        let t = &problem.tasks[task];
        if self.tasks[task].status != TaskStatus::Pending {
            return Err(DecisionError(format!("task {} is not pending", t.id)));
        }
        self.check_processors(problem, task, procs, &[])?;
        if self.has_ended(group) {
            return Err(DecisionError(format!("group {group} has ended")));
        }
        // Fresh ids count up from `fresh_group_id` as groups open: an id far beyond any that
        // could be fresh is a policy's error (and would cost a bit of `ended_groups` each).
        let limit = self.next_group.saturating_add(problem.tasks.len() as GroupId);
        if group >= limit && !self.groups.contains_key(&group) {
            return Err(DecisionError(format!(
                "group {group} is neither live nor fresh (fresh ids start at {})",
                self.next_group
            )));
        }
        match self.groups.get(&group) {
            Some(g) if g.dataset != t.dataset => {
                return Err(DecisionError(format!("task {} reads another dataset than group {group}", t.id)));
            }
            // Its preprocessing changes with its members: taken out, then counted again below.
            Some(_) => self.count_prep(problem, group, now, -1.0),
            None => {
                let prep = self.default_prep(problem, &t.stages, procs);
                if prep.is_empty() {
                    return Err(DecisionError(format!("no processor of task {} can preprocess its pipeline", t.id)));
                }
                self.groups.insert(
                    group,
                    GroupState {
                        id: group,
                        dataset: t.dataset,
                        members: Vec::new(),
                        stages: Vec::new(),
                        prep_s_by_kind: Vec::new(),
                        prep: Vec::new(),
                        started_at: now,
                    },
                );
                self.set_prep(group, prep);
                self.next_group = self.next_group.max(group + 1);
            }
        }
        if self.pending.remove((t.arrival_ns, task)) {
            self.pending_claim.remove(t.memory_claim_gb());
        }
        let state = &mut self.tasks[task];
        state.status = TaskStatus::Running;
        state.processors = procs.to_vec();
        state.group = Some(group);
        state.started_at = Some(now);
        for &p in procs {
            self.hold(problem, task, p);
        }
        let g = self.groups.get_mut(&group).expect("inserted above");
        g.members.push(task);
        self.live[t.dataset].join(task, problem.pipeline_rank(task), group);
        g.set_stages(problem);
        let before = g.members.len() - 1;
        self.refresh_serving_around(problem, group, procs, before);
        self.count_task(problem, task, now, 1.0);
        self.count_prep(problem, group, now, 1.0);
        Ok(())
    }

    /// Prep on the consumer's own processors that can run the stages, else on any that can.
    fn default_prep(&self, problem: &Problem, stages: &[usize], procs: &[usize]) -> Vec<(usize, f64)> {
        let cost = problem.stages_ns_on(stages);
        let able = |p: &usize| cost(*p).is_some();
        let mut on: Vec<usize> = procs.iter().copied().filter(able).collect();
        if on.is_empty() {
            on = (0..problem.processors.len()).filter(able).take(1).collect();
        }
        let share = 1.0 / on.len().max(1) as f64;
        on.into_iter().map(|p| (p, share)).collect()
    }

    fn set_prep(&mut self, group: GroupId, prep: Vec<(usize, f64)>) {
        let g = self.groups.get_mut(&group).expect("live group");
        for (p, _) in &g.prep {
            self.processors[*p].prep_groups.remove(&group);
        }
        for (p, _) in &prep {
            self.processors[*p].prep_groups.insert(group);
        }
        g.prep = prep;
    }

    /// Sets where a live group preprocesses.
    pub fn place_prep(
        &mut self,
        problem: &Problem,
        group: GroupId,
        shares: &[(usize, f64)],
        now: Nanos,
    ) -> Result<(), DecisionError> {
        let Some(g) = self.groups.get(&group) else {
            return Err(DecisionError(format!("group {group} is not live")));
        };
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(shares.len());
        for &(p, share) in shares {
            if p >= problem.processors.len() {
                return Err(DecisionError(format!("group {group}: no processor {p}")));
            }
            if !(share.is_finite() && share >= 0.0) {
                return Err(DecisionError(format!("group {group}: share {share} is not a finite number >= 0")));
            }
            if share > 0.0 && g.prep_ns(problem, p).is_none() {
                return Err(DecisionError(format!(
                    "group {group}: {} cannot run its stages",
                    problem.processors[p].id
                )));
            }
            // `0.0 +` as the map this replaced added each processor's first share to zero
            // (a -0.0 share sums to 0.0), so the shares come out the same to the bit.
            merged.push((p, 0.0 + share));
        }
        // Each processor's shares summed in the order given (the sort is stable).
        merged.sort_by_key(|&(p, _)| p);
        merged.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        let total: f64 = merged.iter().map(|&(_, s)| s).sum();
        if total <= 0.0 {
            return Err(DecisionError(format!("group {group}: prep shares sum to 0")));
        }
        let prep = merged.into_iter().filter(|(_, s)| *s > 0.0).map(|(p, s)| (p, s / total)).collect();
        self.count_prep(problem, group, now, -1.0);
        let before: Vec<usize> = self.groups[&group].prep.iter().map(|&(p, _)| p).collect();
        self.set_prep(group, prep);
        self.count_prep(problem, group, now, 1.0);
        self.settle_emptied(before, now);
        Ok(())
    }

    /// Marks a running task done and releases what it held; ends its group if it was the last.
    /// Returns the group id if the group ended.
    pub fn finish(&mut self, problem: &Problem, task: usize, now: Nanos) -> Option<GroupId> {
        let t = &problem.tasks[task];
        let group = self.tasks[task].group.expect("a running task has a group");
        self.count_task(problem, task, now, -1.0);
        self.count_prep(problem, group, now, -1.0);
        let state = &mut self.tasks[task];
        state.status = TaskStatus::Done;
        state.finished_at = Some(now);
        state.steps_done = t.steps as f64;
        state.steps_per_ns = 0.0;
        // Borrowed out of the task's record while the processors are released (a clone per
        // finish was a million allocations at 1M tasks), and put back for the records.
        let procs = std::mem::take(&mut state.processors);
        self.release(problem, task, &procs);
        let g = self.groups.get_mut(&group).expect("live group");
        let members_before = g.members.len();
        g.members.retain(|&m| m != task);
        self.live[t.dataset].leave(task, problem.pipeline_rank(task), group);
        let ended = if g.members.is_empty() {
            let g = self.groups.remove(&group).expect("live group");
            for &(p, _) in &g.prep {
                self.processors[p].prep_groups.remove(&group);
            }
            self.settle_emptied(g.prep.iter().map(|&(p, _)| p), now);
            self.mark_ended(group);
            Some(group)
        } else {
            g.set_stages(problem);
            self.count_prep(problem, group, now, 1.0);
            None
        };
        self.settle_emptied(procs.iter().copied(), now);
        self.refresh_serving_around(problem, group, &procs, members_before);
        self.tasks[task].processors = procs;
        ended
    }

    fn release(&mut self, problem: &Problem, task: usize, procs: &[usize]) {
        for &p in procs {
            self.join_room[problem.tasks[task].dataset].remove(self.free_memory[p]);
            self.processors[p].tasks.retain(|&x| x != task);
            let used = (self.processors[p].memory_used - problem.tasks[task].memory_gb).max(0.0);
            self.set_memory_used(problem, p, used);
            if self.processors[p].tasks.is_empty() {
                self.idle.insert(p);
            }
        }
    }

    /// Starts moving a running task: it holds `to` from now on and makes no progress until
    /// `finish_move`.
    pub fn begin_move(
        &mut self,
        problem: &Problem,
        task: usize,
        to: &[usize],
        now: Nanos,
    ) -> Result<(), DecisionError> {
        if self.tasks[task].status != TaskStatus::Running {
            return Err(DecisionError(format!("task {} is not running, so it cannot move", problem.tasks[task].id)));
        }
        let from = self.tasks[task].processors.clone();
        self.check_processors(problem, task, to, &from)?;
        self.count_task(problem, task, now, -1.0);
        self.release(problem, task, &from);
        for &p in to {
            self.hold(problem, task, p);
        }
        for &p in from.iter().chain(to) {
            self.refresh_serving(problem, p);
        }
        let state = &mut self.tasks[task];
        state.processors = to.to_vec();
        state.status = TaskStatus::Migrating;
        state.moves += 1;
        self.count_task(problem, task, now, 1.0);
        self.settle_emptied(from, now);
        Ok(())
    }

    pub fn finish_move(&mut self, task: usize) {
        if self.tasks[task].status == TaskStatus::Migrating {
            self.tasks[task].status = TaskStatus::Running;
        }
    }
}
