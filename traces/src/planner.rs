//! The commonality planner: merges the pipelines of the tasks on one dataset into a prefix tree
//! whose nodes are *streams* (computed once per batch and fanned out to the tasks below), splits
//! tasks into groups of at most `cap` consumers per stream, and prices what sharing saves.
//!
//! Everything here is a pure function of a [`Problem`].

use crate::merge::merge_into;
use crate::problem::Problem;
use std::collections::BTreeMap;
use std::fmt;

/// How many tasks may share one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// At most this many consumers per stream (1 means no sharing).
    Max(usize),
    /// No limit.
    Unlimited,
    /// Chosen per dataset from the estimated total time ([`auto_cap`]).
    Auto,
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cap::Max(k) => write!(f, "{k}"),
            Cap::Unlimited => write!(f, "unlimited"),
            Cap::Auto => write!(f, "auto"),
        }
    }
}

/// One node of a prefix tree: the output of a pipeline prefix on one dataset.
#[derive(Debug, Clone)]
pub struct StreamNode {
    pub dataset: usize,
    pub parent: Option<usize>,
    /// The stage this node adds to its parent's output.
    pub stage: usize,
    pub children: Vec<usize>,
    /// Every task at or below this node: the consumers the stream fans out to.
    pub consumers: Vec<usize>,
}

/// The prefix trees of a set of tasks that share preprocessing.
#[derive(Debug, Clone, Default)]
pub struct PrefixTree {
    pub nodes: Vec<StreamNode>,
    pub roots: Vec<usize>,
}

impl PrefixTree {
    /// Merges the pipelines of `tasks`, which must all read one dataset.
    pub fn build(problem: &Problem, tasks: &[usize]) -> PrefixTree {
        let mut tree = PrefixTree::default();
        let mut index: BTreeMap<(Option<usize>, usize), usize> = BTreeMap::new();
        for &t in tasks {
            let task = &problem.tasks[t];
            let mut parent = None;
            for &stage in &task.stages {
                let node = *index.entry((parent, stage)).or_insert_with(|| {
                    tree.nodes.push(StreamNode {
                        dataset: task.dataset,
                        parent,
                        stage,
                        children: Vec::new(),
                        consumers: Vec::new(),
                    });
                    let id = tree.nodes.len() - 1;
                    match parent {
                        Some(p) => tree.nodes[p].children.push(id),
                        None => tree.roots.push(id),
                    }
                    id
                });
                tree.nodes[node].consumers.push(t);
                parent = Some(node);
            }
        }
        tree
    }

    /// The stage of every node: what one sample costs to push through the whole tree.
    pub fn node_stages(&self) -> Vec<usize> {
        self.nodes.iter().map(|n| n.stage).collect()
    }
}

/// The stages of the distinct prefix-tree nodes of a group of tasks on one dataset: the
/// preprocessing one shared sample costs (a stage under two different parents counts twice).
///
/// In the order [`PrefixTree::build`] creates the nodes, without building it: each distinct
/// pipeline adds the stages beyond the longest prefix it shares with one seen before it.
pub fn group_stages(problem: &Problem, tasks: &[usize]) -> Vec<usize> {
    // Most groups a busy round plans hold one task: its pipeline is the answer.
    if let [task] = tasks {
        return problem.tasks[*task].stages.clone();
    }
    let pipelines = distinct_pipelines(problem, tasks);
    let mut stages = Vec::new();
    for (i, pipeline) in pipelines.iter().enumerate() {
        let common = pipelines[..i].iter().map(|s| common_prefix(s, pipeline)).max().unwrap_or(0);
        stages.extend(&pipeline[common..]);
    }
    stages
}

/// Bytes a group's buffer holds per sample: one output per leaf of its prefix tree (a distinct
/// pipeline that no other extends). The same as summing the leaves of [`PrefixTree::build`].
pub fn group_leaf_bytes(problem: &Problem, tasks: &[usize]) -> u64 {
    let pipelines = distinct_pipelines(problem, tasks);
    let extended = |p: &[usize]| pipelines.iter().any(|q| q.len() > p.len() && q.starts_with(p));
    pipelines.iter().filter(|p| !extended(p)).filter_map(|p| p.last()).map(|&s| problem.stages[s].out_bytes).sum()
}

/// The distinct stage lists of `tasks`, in order of first appearance.
fn distinct_pipelines<'a>(problem: &'a Problem, tasks: &[usize]) -> Vec<&'a [usize]> {
    let mut ranks: Vec<u32> = Vec::new();
    let mut pipelines = Vec::new();
    for &t in tasks {
        let rank = problem.pipeline_rank(t);
        if !ranks.contains(&rank) {
            ranks.push(rank);
            pipelines.push(problem.tasks[t].stages.as_slice());
        }
    }
    pipelines
}

fn common_prefix(a: &[usize], b: &[usize]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Samples the stream of a group must produce if its tasks start together: the most any member reads.
pub fn group_samples(problem: &Problem, tasks: &[usize]) -> f64 {
    tasks.iter().map(|&t| problem.tasks[t].samples()).fold(0.0, f64::max)
}

/// Sorts tasks by pipeline, so that those with the longest common prefixes sit together.
pub fn sort_by_pipeline(problem: &Problem, tasks: &mut [usize]) {
    tasks.sort_unstable_by_key(|&t| (problem.pipeline_rank(t), t));
}

/// Splits `tasks` into sharing groups: per dataset, tasks sorted by pipeline, then cut into
/// chunks of at most `cap`. `processors` sizes the automatic cap. Groups come out in order of
/// their first task, deterministically.
pub fn form_groups(problem: &Problem, tasks: &[usize], cap: Cap, processors: usize) -> Vec<Vec<usize>> {
    form_groups_by(problem, tasks, |_, members| resolve_cap(problem, members, cap, processors))
}

/// Like [`form_groups`], with the largest group size per dataset given by `size(dataset,
/// members sorted by pipeline)`.
pub fn form_groups_by(
    problem: &Problem,
    tasks: &[usize],
    mut size: impl FnMut(usize, &[usize]) -> usize,
) -> Vec<Vec<usize>> {
    let mut by_dataset: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &t in tasks {
        by_dataset.entry(problem.tasks[t].dataset).or_default().push(t);
    }
    let mut groups = Vec::new();
    for (dataset, mut members) in by_dataset {
        sort_by_pipeline(problem, &mut members);
        let k = size(dataset, &members).max(1);
        groups.extend(members.chunks(k).map(|c| {
            let mut g = c.to_vec();
            g.sort_unstable();
            g
        }));
    }
    groups.sort_unstable_by_key(|g| g[0]);
    groups
}

/// The largest group size `cap` allows for `tasks` (one dataset, sorted by pipeline).
pub fn resolve_cap(problem: &Problem, tasks: &[usize], cap: Cap, processors: usize) -> usize {
    match cap {
        Cap::Max(k) => k.max(1),
        Cap::Unlimited => tasks.len().max(1),
        Cap::Auto => auto_cap(problem, tasks, processors),
    }
}

/// Picks the cap for `tasks` (one dataset, sorted by pipeline) that minimises
/// [`estimate_total_time`] over candidates 1, 2, 4, ... and the whole set; ties go to the larger
/// cap, which saves more work.
pub fn auto_cap(problem: &Problem, tasks: &[usize], processors: usize) -> usize {
    CapSearch::default().auto_cap(problem, tasks, processors)
}

/// [`auto_cap`] with its buffers kept between calls: a placing policy resolves a cap or two
/// per planning round, over some fifty tasks each.
#[derive(Debug, Default)]
pub struct CapSearch {
    after_previous: Vec<f64>,
    alone: Vec<f64>,
    compute: Vec<f64>,
    samples: Vec<f64>,
    by_samples: Vec<Member>,
    merged: Vec<Member>,
}

impl CapSearch {
    /// [`auto_cap`].
    pub fn auto_cap(&mut self, problem: &Problem, tasks: &[usize], processors: usize) -> usize {
        let n = tasks.len();
        if n <= 1 {
            return 1;
        }
        // Groups of one and two first, in one pass: under a long queue pairs usually lose
        // outright, and the search stops there.
        let (singles, longest_pair) = singles_and_pairs(problem, tasks, processors);
        if longest_pair > singles * (1.0 + 1e-6) {
            return 1;
        }
        let CapSearch { after_previous, alone, compute, samples, by_samples, merged } = self;
        // What each task adds to its group, computed once: its preprocessing beyond the prefix
        // it shares with the task before it (or all of it, first in a group), its compute work
        // and the samples it reads; and, for its group's coupled duration, (samples, pace).
        after_previous.clear();
        after_previous.extend(prep_beyond_previous(problem, tasks));
        for v in [&mut *alone, &mut *compute, &mut *samples] {
            v.clear();
        }
        by_samples.clear();
        for &t in tasks {
            let plan = problem.planning(t);
            alone.push(plan.prep_ns);
            compute.push(plan.compute_ns);
            samples.push(plan.samples);
            by_samples.push((plan.samples, plan.pace_ns, 0.0));
        }
        // The groups of size 2k are pairs of adjacent groups of size k, so each group's members
        // in order of samples read (what its coupled duration needs) are a merge of two sorted
        // halves: one merge sort over all candidate sizes, not a sort per group per size.
        // Groups of one were weighed above (their time is `singles`), and the longest pair.
        merge_pairs(by_samples, 1, merged);
        let mut best = (singles, 1);
        let mut longest_known = Some(longest_pair);
        let mut k = 2;
        loop {
            let size = k.min(n);
            // Groups are the consecutive chunks of `size`, walked as slices: with groups of one
            // or two, index ranges cost more than the sums they index.
            let longest = match longest_known.take() {
                Some(longest) => longest,
                None => {
                    let mut longest: f64 = 0.0;
                    for group in by_samples.chunks_mut(size) {
                        longest = longest.max(coupled_sorted(group));
                    }
                    longest
                }
            };
            // A longest group beyond the margin below makes this size lose whatever its work,
            // and every larger size too (see below).
            if longest > best.0 * (1.0 + 1e-6) {
                return best.1;
            }
            let mut work = 0.0;
            let groups = samples.chunks(size).zip(compute.chunks(size));
            for (i, (samples, compute)) in groups.enumerate() {
                let start = i * size;
                let beyond = &after_previous[start + 1..start + samples.len()];
                let prep = beyond.iter().fold(0.0 + alone[start], |acc, &p| acc + p);
                work += prep * samples.iter().copied().fold(0.0, f64::max);
                work += compute.iter().sum::<f64>();
            }
            let time = (work / processors.max(1) as f64).max(longest);
            if time <= best.0 * (1.0 + 1e-9) {
                best = (time, size);
            }
            // A group's coupled duration is at least that of any subset (its slowest survivor
            // is never faster), so the longest group only grows with the size: once it alone
            // exceeds the best time, no larger size can win. (The margin dwarfs rounding and
            // the creep of ties within 1e-9.)
            if k >= n || longest > best.0 * (1.0 + 1e-6) {
                return best.1;
            }
            merge_pairs(by_samples, k, merged);
            k *= 2;
        }
    }
}

/// Merges each pair of adjacent groups of `k` members of `by_samples` (each in order of samples
/// read) into one group of `2k` in that order; `merged` is scratch.
fn merge_pairs(by_samples: &mut Vec<Member>, k: usize, merged: &mut Vec<Member>) {
    merged.clear();
    for pair in by_samples.chunks(2 * k) {
        let (left, right) = pair.split_at(k.min(pair.len()));
        // Ties keep the left half first, as a stable sort of the pair would.
        merge_into(left, right, merged, |a, b| a.0.total_cmp(&b.0).is_lt());
    }
    std::mem::swap(by_samples, merged);
}

/// Reference preprocessing cost of one shared sample for tasks sorted by pipeline: the
/// distinct prefix-tree nodes are, task by task, the stages beyond the prefix it has in common
/// with the task before it. No tree is built.
pub fn sorted_group_prep_ns(problem: &Problem, sorted: &[usize]) -> f64 {
    prep_beyond_previous(problem, sorted).fold(0.0, |cost, c| cost + c)
}

/// Per task of `sorted`, the reference cost of the stages beyond the prefix it shares with the
/// task before it (all of them for the first).
fn prep_beyond_previous<'a>(problem: &'a Problem, sorted: &'a [usize]) -> impl Iterator<Item = f64> + 'a {
    let mut previous: &[usize] = &[];
    sorted.iter().map(move |&t| {
        let stages = &problem.tasks[t].stages;
        let cost = problem.stages_ns_min(&stages[common_prefix(stages, previous)..]);
        previous = stages;
        cost
    })
}

/// A quick estimate of the makespan of running `groups` (each sorted by pipeline) on
/// `processors` identical processors, at reference costs: the larger of the total work spread
/// over all processors and the longest group, where a group's consumers advance at the pace of
/// its slowest active member.
pub fn estimate_total_time<'a>(
    problem: &Problem,
    groups: impl IntoIterator<Item = &'a [usize]>,
    processors: usize,
) -> f64 {
    let mut work = 0.0;
    let mut longest: f64 = 0.0;
    for g in groups {
        work += sorted_group_prep_ns(problem, g) * group_samples(problem, g);
        work += g.iter().map(|&t| problem.planning(t).compute_ns).sum::<f64>();
        longest = longest.max(coupled_duration(problem, g));
    }
    (work / processors.max(1) as f64).max(longest)
}

/// How long a group takes at full speed when every consumer reads at the pace of the slowest
/// consumer still running: sort by samples read; between two finishes the pace is set by the
/// slowest survivor.
pub fn coupled_duration(problem: &Problem, group: &[usize]) -> f64 {
    let mut members: Vec<Member> = group
        .iter()
        .map(|&t| {
            let plan = problem.planning(t);
            (plan.samples, plan.pace_ns, 0.0)
        })
        .collect();
    members.sort_by(|a, b| a.0.total_cmp(&b.0));
    coupled_sorted(&mut members)
}

/// A consumer in [`coupled_duration`]: samples it reads, its pace (nanoseconds per sample), and
/// the slowest pace among it and those reading more.
type Member = (f64, f64, f64);

/// What [`auto_cap`]'s search works out for groups of one and of two, in one pass without its
/// buffers and with its arithmetic (so the same values to the bit): the time of groups of one
/// (the larger of the work over the processors and the longest task), and the longest pair.
/// Where that pair exceeds the time of singles by the search's margin, pairs and every larger
/// size lose: under a long queue that is most calls.
fn singles_and_pairs(problem: &Problem, tasks: &[usize], processors: usize) -> (f64, f64) {
    let (mut work, mut longest_single, mut longest_pair) = (0.0, 0.0f64, 0.0f64);
    for pair in tasks.chunks(2) {
        let mut merged: [(f64, f64); 2] = [(0.0, 0.0); 2];
        for (slot, &t) in merged.iter_mut().zip(pair) {
            let plan = problem.planning(t);
            *slot = (plan.samples, plan.pace_ns);
            longest_single = longest_single.max(coupled_one(*slot));
            // `0.0 +` and `max(0.0, ..)` are the search's folds over a group of one, kept so
            // that the sums come out bit for bit the same.
            work += (0.0 + plan.prep_ns) * 0.0f64.max(plan.samples);
            work += plan.compute_ns;
        }
        let pair_duration = match pair.len() {
            // In order of samples, ties keeping the first first, as the search's merge does.
            2 if merged[1].0.total_cmp(&merged[0].0).is_lt() => coupled_two(merged[1], merged[0]),
            2 => coupled_two(merged[0], merged[1]),
            _ => coupled_one(merged[0]),
        };
        longest_pair = longest_pair.max(pair_duration);
    }
    ((work / processors.max(1) as f64).max(longest_single), longest_pair)
}

/// [`coupled_sorted`] of one member, (samples, pace), with the same operations.
fn coupled_one((samples, pace): (f64, f64)) -> f64 {
    0.0 + (samples - 0.0) * 0.0f64.max(pace)
}

/// [`coupled_sorted`] of two members in order of samples, (samples, pace) each, with the same
/// operations.
fn coupled_two(first: (f64, f64), second: (f64, f64)) -> f64 {
    let slowest_second = 0.0f64.max(second.1);
    let slowest_first = slowest_second.max(first.1);
    let duration = 0.0 + (first.0 - 0.0) * slowest_first;
    duration + (second.0 - first.0) * slowest_second
}

/// [`coupled_duration`] of members already in order of samples read.
fn coupled_sorted(members: &mut [Member]) -> f64 {
    // The pace after each finish: the slowest of those still running (a suffix maximum).
    let mut slowest = 0.0f64;
    for m in members.iter_mut().rev() {
        slowest = slowest.max(m.1);
        m.2 = slowest;
    }
    let mut duration = 0.0;
    let mut done = 0.0;
    for m in members.iter() {
        duration += (m.0 - done) * m.2;
        done = m.0;
    }
    duration
}

/// Preprocessing work (reference nanoseconds) of `groups`, and of the same tasks unshared.
pub fn prep_work(problem: &Problem, groups: &[Vec<usize>]) -> (f64, f64) {
    let shared =
        groups.iter().map(|g| problem.stages_ns_min(&group_stages(problem, g)) * group_samples(problem, g)).sum();
    let unshared = groups
        .iter()
        .flatten()
        .map(|&t| problem.stages_ns_min(&problem.tasks[t].stages) * problem.tasks[t].samples())
        .sum();
    (shared, unshared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth;

    #[test]
    fn equal_pipelines_share_every_node() {
        let (_, p) = synth::default_problem();
        let all: Vec<usize> = (0..p.tasks.len()).collect();
        let tree = PrefixTree::build(&p, &all);
        // decode -> crop -> flip, then normalize | jitter -> normalize
        assert_eq!(tree.roots.len(), 1);
        assert_eq!(tree.nodes.len(), 6);
        assert_eq!(tree.nodes[tree.roots[0]].consumers.len(), 8);
    }

    #[test]
    fn caps_split_groups() {
        let (_, p) = synth::default_problem();
        let all: Vec<usize> = (0..p.tasks.len()).collect();
        assert_eq!(form_groups(&p, &all, Cap::Max(1), 4).len(), 8);
        assert_eq!(form_groups(&p, &all, Cap::Max(3), 4).len(), 3);
        assert_eq!(form_groups(&p, &all, Cap::Unlimited, 4).len(), 1);
        let (shared, unshared) = prep_work(&p, &form_groups(&p, &all, Cap::Unlimited, 4));
        assert!(shared < unshared / 4.0, "{shared} vs {unshared}");
    }

    #[test]
    fn coupled_duration_by_hand() {
        // Two tasks, 1 sample per step: A 10 steps at 1 s, B 20 steps at 3 s.
        let (mut w, _) = synth::default_problem();
        w.tasks.truncate(2);
        for (t, (steps, secs)) in w.tasks.iter_mut().zip([(10, 1.0), (20, 3.0)]) {
            t.steps = steps;
            t.batch_size = 1;
            t.compute_s.insert("gpu".into(), secs);
        }
        let p = Problem::from_workload(&w, None).unwrap();
        // First 10 samples at B's pace (3 s), then 10 more at 3 s: 60 s.
        assert!((coupled_duration(&p, &[0, 1]) - 60e9).abs() < 1.0);
    }

    /// The automatic cap as its documentation states it, group by group, without the merge.
    fn auto_cap_reference(problem: &Problem, tasks: &[usize], processors: usize) -> usize {
        let n = tasks.len().max(1);
        let mut candidates: Vec<usize> =
            std::iter::successors(Some(1usize), |k| Some(k * 2)).take_while(|&k| k < n).collect();
        candidates.push(n);
        let mut best = (f64::INFINITY, 1);
        for k in candidates {
            let time = estimate_total_time(problem, tasks.chunks(k), processors);
            if time <= best.0 * (1.0 + 1e-9) {
                best = (time, k);
            }
        }
        best.1
    }

    #[test]
    fn auto_cap_matches_its_definition() {
        // Seeded mixed workloads, every dataset's tasks and odd-sized prefixes of them (so that
        // the last group is short), on clusters small and large (so that either term binds).
        let (mut outright, mut searched) = (0, 0);
        for seed in 0..20 {
            let w = synth::mixed(150, 8, 3, 1.0, seed);
            let p = Problem::from_workload(&w, None).unwrap();
            for d in 0..p.datasets.len() {
                let mut tasks: Vec<usize> = (0..p.tasks.len()).filter(|&t| p.tasks[t].dataset == d).collect();
                sort_by_pipeline(&p, &mut tasks);
                for len in [0, 1, 2, 3, 7, 13, tasks.len()] {
                    let some = &tasks[..len.min(tasks.len())];
                    for procs in [1, 4, 64, 4096] {
                        assert_eq!(auto_cap(&p, some, procs), auto_cap_reference(&p, some, procs), "{seed} {d} {len}");
                        let (singles, pairs) = singles_and_pairs(&p, some, procs);
                        if some.len() > 1 && pairs > singles * (1.0 + 1e-6) {
                            outright += 1;
                        } else {
                            searched += 1;
                        }
                    }
                }
            }
        }
        // Both ways to the answer were taken, many times.
        assert!(outright > 100 && searched > 100, "{outright} outright, {searched} searched");
    }

    #[test]
    fn small_coupled_durations_are_the_general_ones_to_the_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..10_000 {
            let mut member = || (rng.random_range(0..4) as f64 * 1e5, rng.random_range(0.0..3.0) * 1e3);
            let (a, b) = (member(), member());
            let general = |members: &[(f64, f64)]| {
                let mut m: Vec<Member> = members.iter().map(|&(s, p)| (s, p, 0.0)).collect();
                coupled_sorted(&mut m)
            };
            assert_eq!(coupled_one(a).to_bits(), general(&[a]).to_bits());
            let (first, second) = if b.0.total_cmp(&a.0).is_lt() { (b, a) } else { (a, b) };
            assert_eq!(coupled_two(first, second).to_bits(), general(&[first, second]).to_bits());
        }
    }

    #[test]
    fn group_stages_and_leaves_match_the_tree() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for seed in 0..10 {
            let w = synth::mixed(120, 8, 2, 1.0, seed);
            let p = Problem::from_workload(&w, None).unwrap();
            for d in 0..p.datasets.len() {
                let on: Vec<usize> = (0..p.tasks.len()).filter(|&t| p.tasks[t].dataset == d).collect();
                for _ in 0..30 {
                    let len = rng.random_range(0..8);
                    let tasks: Vec<usize> = (0..len).map(|_| on[rng.random_range(0..on.len())]).collect();
                    let tree = PrefixTree::build(&p, &tasks);
                    assert_eq!(group_stages(&p, &tasks), tree.node_stages(), "{tasks:?}");
                    let leaves: u64 =
                        tree.nodes.iter().filter(|n| n.children.is_empty()).map(|n| p.stages[n.stage].out_bytes).sum();
                    assert_eq!(group_leaf_bytes(&p, &tasks), leaves, "{tasks:?}");
                }
            }
        }
    }

    #[test]
    fn pipeline_ranks_order_as_stage_lists() {
        let w = synth::mixed(200, 8, 6, 1.0, 3);
        let p = Problem::from_workload(&w, None).unwrap();
        for a in 0..p.tasks.len() {
            for b in 0..p.tasks.len() {
                let by_stages = p.tasks[a].stages.cmp(&p.tasks[b].stages);
                assert_eq!(p.pipeline_rank(a).cmp(&p.pipeline_rank(b)), by_stages);
            }
        }
    }

    #[test]
    fn sorted_prep_matches_the_tree() {
        let (_, p) = synth::default_problem();
        let mut all: Vec<usize> = (0..p.tasks.len()).collect();
        sort_by_pipeline(&p, &mut all);
        for k in 1..=all.len() {
            for chunk in all.chunks(k) {
                let tree = p.stages_ns_min(&group_stages(&p, chunk));
                assert!((sorted_group_prep_ns(&p, chunk) - tree).abs() < 1e-6, "{chunk:?}");
            }
        }
    }
}
