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
    /// Scratch: the tasks by (dataset, pipeline rank, task), one dataset's run of them, and
    /// live streams with room.
    keyed: Vec<(usize, u32, usize)>,
    run: Vec<usize>,
    room: Vec<(usize, GroupId, usize)>,
}

impl RoundGroups {
    /// Splits `tasks` into groups: per dataset (in dataset order), the tasks sorted by pipeline
    /// and cut into chunks of at most `size(dataset, tasks of the dataset in pipeline order)`,
    /// each chunk in task order, the chunks in order of their first task. The same groups as
    /// `coprep_traces::planner::form_groups_by`, which the planner's reports use.
    pub fn form(&mut self, problem: &Problem, tasks: &[usize], mut size: impl FnMut(usize, &[usize]) -> usize) {
        self.keyed.clear();
        self.keyed.extend(tasks.iter().map(|&t| (problem.tasks[t].dataset, problem.pipeline_rank(t), t)));
        self.keyed.sort_unstable();
        self.members.clear();
        self.sizes.clear();
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let mut from = 0;
        while from < self.keyed.len() {
            let dataset = self.keyed[from].0;
            let to = from + self.keyed[from..].iter().take_while(|k| k.0 == dataset).count();
            self.run.clear();
            self.run.extend(self.keyed[from..to].iter().map(|k| k.2));
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
        // Live streams with room, per dataset with a group size above one (a stream with a
        // consumer has no room under a size of one): (dataset, stream, room left), in
        // dataset order and, within one, in id order.
        self.room.clear();
        for &(dataset, k) in &self.sizes {
            if k > 1 {
                let streams = &view.state.live_streams(dataset).streams;
                self.room.extend(streams.iter().filter(|&&(_, n)| n < k).map(|&(id, n)| (dataset, id, k - n)));
            }
        }
        let mut fresh = view.fresh_group_id();
        self.ids.clear();
        for g in 0..self.spans.len() {
            let (start, len) = self.spans[g];
            let dataset = problem.tasks[self.members[start]].dataset;
            let from = self.room.partition_point(|r| r.0 < dataset);
            let join = self.room[from..].iter_mut().take_while(|r| r.0 == dataset).find(|r| r.2 >= len);
            match join {
                Some((_, id, left)) => {
                    *left -= len;
                    self.ids.push(*id);
                }
                None => {
                    self.ids.push(fresh);
                    fresh += 1;
                }
            }
        }
        // A fresh stream feeds only the group it was made for; several may join one live
        // stream, which feeds its live consumers too.
        let first_fresh = view.fresh_group_id();
        self.consumers.clear();
        for g in 0..self.spans.len() {
            let id = self.ids[g];
            let feeds = if id >= first_fresh {
                self.spans[g].1
            } else {
                let live = view.state.groups.get(&id).map_or(0, |l| l.members.len());
                let joining: usize =
                    (0..self.spans.len()).filter(|&o| self.ids[o] == id).map(|o| self.spans[o].1).sum();
                live + joining
            };
            self.consumers.push(feeds);
        }
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
