//! The groups a planning round places: its tasks split per dataset under the round's group
//! size, each group reading a live stream of its dataset that has room for it, or a fresh one.
//!
//! Kept flat (one array of members, a span per group) in buffers that a policy keeps between
//! rounds: a congested round plans some twenty tasks, and the vectors of vectors, maps and
//! per-dataset arrays it used to build cost more than grouping them.

use crate::event::GroupId;
use crate::room::stream_key;
use crate::view::View;
use coprep_traces::Problem;

/// A live stream that groups of a round join: its id, its live consumers, and the members of
/// the round's groups that joined it.
#[derive(Debug, Clone, Copy)]
struct Joined {
    id: GroupId,
    live: usize,
    joining: usize,
}

/// The groups of one round, in order of their first (lowest-numbered) task.
#[derive(Debug, Default)]
pub struct RoundGroups {
    /// Every group's members, group after group, each group's in task order.
    members: Vec<usize>,
    /// Per group: where its members start in `members`, and how many there are.
    spans: Vec<(usize, usize)>,
    /// Per group: the stream it reads, a live group's id or a fresh one (see [`Self::number`]).
    pub ids: Vec<GroupId>,
    /// Per group: how many tasks its stream will feed: its own, those of the other groups of
    /// the round that join the same live stream, and the stream's live consumers.
    pub consumers: Vec<usize>,
    /// Per dataset that has groups this round, in dataset order: its group size.
    sizes: Vec<(usize, usize)>,
    /// Scratch: the tasks by (dataset, pipeline rank, task), one dataset's run of them, the
    /// live streams the round's groups join, and per group the entry of `joins` it joined
    /// (`usize::MAX`: a fresh stream).
    keyed: Vec<u128>,
    run: Vec<usize>,
    joins: Vec<Joined>,
    joined: Vec<usize>,
}

impl RoundGroups {
    /// Splits `tasks` into groups: per dataset (in dataset order), the tasks sorted by pipeline
    /// and cut into chunks of at most `size(dataset, tasks of the dataset in pipeline order)`,
    /// each chunk in task order, the chunks in order of their first task. The same groups as
    /// `coprep_traces::planner::form_groups_by`, which the planner's reports use.
    pub fn form(&mut self, problem: &Problem, tasks: &[usize], mut size: impl FnMut(usize, &[usize]) -> usize) {
        // Sorted by (dataset, pipeline rank, task) packed into one integer each: a few dozen
        // tasks, for which comparing triples cost more than the sort's moves.
        debug_assert!(problem.datasets.len() <= u32::MAX as usize, "dataset numbers must fit 32 bits");
        let key =
            |t: usize| (problem.tasks[t].dataset as u128) << 96 | (problem.pipeline_rank(t) as u128) << 64 | t as u128;
        let dataset_of = |key: u128| (key >> 96) as usize;
        self.keyed.clear();
        self.keyed.extend(tasks.iter().map(|&t| key(t)));
        self.keyed.sort_unstable();
        self.members.clear();
        self.sizes.clear();
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let mut from = 0;
        while from < self.keyed.len() {
            let dataset = dataset_of(self.keyed[from]);
            let to = from + self.keyed[from..].iter().take_while(|&&k| dataset_of(k) == dataset).count();
            self.run.clear();
            self.run.extend(self.keyed[from..to].iter().map(|&k| k as u64 as usize));
            let k = size(dataset, &self.run).max(1);
            self.sizes.push((dataset, k));
            for chunk in self.run.chunks(k) {
                let start = self.members.len();
                self.members.extend_from_slice(chunk);
                self.members[start..].sort_unstable();
                spans.push((start, chunk.len()));
            }
            from = to;
        }
        if self.all_sizes_one() {
            // Every task alone (most congested rounds): the groups in task order are the tasks
            // sorted, without sorting spans by a key looked up through them.
            self.members.sort_unstable();
            spans.iter_mut().enumerate().for_each(|(i, span)| *span = (i, 1));
        } else {
            // In order of their first task (distinct tasks: no ties).
            spans.sort_unstable_by_key(|&(start, _)| self.members[start]);
        }
        self.spans = spans;
        self.ids.clear();
        self.consumers.clear();
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The members of group `g`, in task order.
    pub fn get(&self, g: usize) -> &[usize] {
        let (start, len) = self.spans[g];
        &self.members[start..start + len]
    }

    /// Every group's members, in group order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[usize]> + '_ {
        (0..self.len()).map(|g| self.get(g))
    }

    /// The group size this round uses for `dataset` (`None`: it has no group this round).
    pub fn size_of(&self, dataset: usize) -> Option<usize> {
        self.sizes.binary_search_by_key(&dataset, |s| s.0).ok().map(|i| self.sizes[i].1)
    }

    /// Whether every dataset's group size this round is one: then every group is a task alone
    /// on a fresh stream (a live stream has no room under a size of one).
    pub fn all_sizes_one(&self) -> bool {
        self.sizes.iter().all(|&(_, k)| k == 1)
    }

    /// The stream key (see [`stream_key`]) group `g`'s member `task` is kept apart by.
    pub fn stream_key(&self, problem: &Problem, g: usize, task: usize) -> GroupId {
        stream_key(problem.tasks[task].gang as usize, self.ids[g], self.consumers[g])
    }

    /// Gives each group the stream it reads: the first live stream of its dataset (in id
    /// order) with room for the whole group under the round's group size, else a fresh id
    /// (groups taken in order, fresh ids counting up from the view's); and counts the tasks
    /// each stream will feed.
    pub fn number(&mut self, view: &View) {
        let problem = view.problem;
        if self.all_sizes_one() {
            // Nobody joins a live stream: every group is fresh, numbered in order, and feeds one.
            let fresh = view.fresh_group_id();
            self.ids.clear();
            self.ids.extend((0..self.spans.len() as GroupId).map(|g| fresh + g));
            self.consumers.clear();
            self.consumers.resize(self.spans.len(), 1);
            return;
        }
        // Each group joins the first live stream of its dataset (in id order) that has room
        // for it under the dataset's group size, counting the groups that joined it before:
        // found by walking the dataset's streams up to it (most are full), the few streams
        // joined so far kept apart. A stream with a consumer has no room under a size of one.
        let mut fresh = view.fresh_group_id();
        self.ids.clear();
        self.joins.clear();
        self.joined.clear();
        for g in 0..self.spans.len() {
            let (start, len) = self.spans[g];
            let dataset = problem.tasks[self.members[start]].dataset;
            let size = self.size_of(dataset).unwrap_or(1);
            let joins = &self.joins;
            let joining = |id: GroupId| joins.iter().position(|j| j.id == id);
            let streams = if size > 1 { view.state.live_streams(dataset).streams.as_slice() } else { &[] };
            let with_room = streams.iter().find(|&&(id, live)| {
                let so_far = joining(id).map_or(0, |j| joins[j].joining);
                live + so_far + len <= size
            });
            match with_room {
                Some(&(id, live)) => {
                    let at = joining(id).unwrap_or_else(|| {
                        self.joins.push(Joined { id, live, joining: 0 });
                        self.joins.len() - 1
                    });
                    self.joins[at].joining += len;
                    self.ids.push(id);
                    self.joined.push(at);
                }
                None => {
                    self.ids.push(fresh);
                    fresh += 1;
                    self.joined.push(usize::MAX);
                }
            }
        }
        // A fresh stream feeds only the group it was made for; a live stream feeds its live
        // consumers and every group that joined it.
        self.consumers.clear();
        for g in 0..self.spans.len() {
            let feeds = match self.joins.get(self.joined[g]) {
                None => self.spans[g].1,
                Some(stream) => stream.live + stream.joining,
            };
            debug_assert_eq!(feeds, self.feeds_by_count(view, g), "consumers of group {g} counted wrong");
            self.consumers.push(feeds);
        }
    }

    /// How many tasks group `g`'s stream feeds, counted from the live group and every group of
    /// the round that reads it (what debug builds check [`Self::number`]'s count against).
    fn feeds_by_count(&self, view: &View, g: usize) -> usize {
        let id = self.ids[g];
        if id >= view.fresh_group_id() {
            return self.spans[g].1;
        }
        let live = view.state.groups.get(&id).map_or(0, |l| l.members.len());
        live + (0..self.spans.len()).filter(|&o| self.ids[o] == id).map(|o| self.spans[o].1).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coprep_traces::planner::form_groups_by;
    use coprep_traces::synth;

    #[test]
    fn forms_the_planners_groups() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut groups = RoundGroups::default();
        for seed in 0..20 {
            let w = synth::mixed(200, 8, 4, 1.0, seed);
            let p = Problem::from_workload(&w, None).unwrap();
            for _ in 0..20 {
                let len = rng.random_range(0..40);
                let mut tasks: Vec<usize> = (0..len).map(|_| rng.random_range(0..p.tasks.len())).collect();
                tasks.sort_unstable();
                tasks.dedup();
                let sizes: Vec<usize> = (0..p.datasets.len()).map(|_| rng.random_range(1..6)).collect();
                let expected = form_groups_by(&p, &tasks, |d, _| sizes[d]);
                let mut seen = Vec::new();
                groups.form(&p, &tasks, |d, members| {
                    seen.push((d, members.to_vec()));
                    sizes[d]
                });
                let formed: Vec<Vec<usize>> = groups.iter().map(<[usize]>::to_vec).collect();
                assert_eq!(formed, expected, "seed {seed}");
                // Each dataset asked once, in dataset order, with its tasks in pipeline order.
                assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
                for (d, members) in seen {
                    assert!(members.iter().all(|&t| p.tasks[t].dataset == d));
                    assert!(members.is_sorted_by_key(|&t| (p.pipeline_rank(t), t)));
                    assert_eq!(groups.size_of(d), Some(sizes[d]));
                }
            }
        }
    }
}
