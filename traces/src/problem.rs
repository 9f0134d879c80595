//! The validated, index-based form of a workload that planners, policies and engines use:
//! ids resolved to indices, per-type maps to vectors, times to integer nanoseconds.

use crate::error::InputError;
use crate::json_lines::JsonLines;
use crate::model::{PerType, Workload};
use std::collections::{BTreeMap, BTreeSet};

/// Simulated time: integer nanoseconds.
pub type Nanos = u64;
pub const NS_PER_S: f64 = 1e9;

pub fn secs_to_ns(s: f64) -> Nanos {
    (s * NS_PER_S).round() as Nanos
}

pub fn ns_to_secs(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S
}

#[derive(Debug, Clone)]
pub struct DatasetInfo {
    pub id: String,
    pub samples: u64,
    pub sample_bytes: u64,
    /// Actual preprocessing time = estimate × this factor, for every stage run on this dataset.
    pub actual_prep_factor: f64,
    /// Whether the factor was recorded (the noise model leaves recorded factors alone).
    pub prep_recorded: bool,
}

#[derive(Debug, Clone)]
pub struct StageInfo {
    /// `op[k=v,...]`: equal keys mean equal stages.
    pub key: String,
    /// Estimated seconds per sample, by processor type index; `None` where the type cannot run it.
    pub cost_s: Vec<Option<f64>>,
    pub out_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct TaskInfo {
    pub id: String,
    pub arrival_ns: Nanos,
    pub dataset: usize,
    pub pipeline: String,
    /// Indices into `Problem::stages`, in pipeline order.
    pub stages: Vec<usize>,
    pub batch_size: u32,
    pub steps: u64,
    /// Estimated seconds per step, by processor type index.
    pub compute_s: Vec<Option<f64>>,
    pub memory_gb: f64,
    /// Processors needed at once.
    pub gang: u32,
    /// Actual step time = estimate × this factor.
    pub actual_compute_factor: f64,
    /// Whether the factor was recorded (the noise model leaves recorded factors alone).
    pub compute_recorded: bool,
}

impl TaskInfo {
    /// Samples the task reads over its whole run.
    pub fn samples(&self) -> f64 {
        self.steps as f64 * self.batch_size as f64
    }

    /// The memory it claims across its gang (GB): what a planning window counts against the
    /// free memory.
    pub fn memory_claim_gb(&self) -> f64 {
        self.memory_gb * self.gang as f64
    }
}

#[derive(Debug, Clone)]
pub struct ProcInfo {
    pub id: String,
    pub kind: usize,
    pub compute_speed: f64,
    pub prep_speed: f64,
    /// GiB; infinite when the workload sets no limit.
    pub memory_gb: f64,
}

/// What the planner's estimates read of a task (at the cheapest processor for each part), kept
/// side by side because the automatic cap reads hundreds of tasks per placement round.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskPlanning {
    /// Samples read over the whole run.
    pub samples: f64,
    /// Nanoseconds of compute per sample read.
    pub pace_ns: f64,
    /// Nanoseconds of compute over the whole run, summed over the gang.
    pub compute_ns: f64,
    /// Nanoseconds to preprocess one sample through the whole pipeline, unshared.
    pub prep_ns: f64,
}

/// A validated workload.
#[derive(Debug, Clone)]
pub struct Problem {
    pub name: String,
    /// Processor type names; `ProcInfo::kind` and the per-type vectors index this.
    pub types: Vec<String>,
    pub datasets: Vec<DatasetInfo>,
    pub stages: Vec<StageInfo>,
    pub tasks: Vec<TaskInfo>,
    pub processors: Vec<ProcInfo>,
    pub buffer_batches: u32,
    pub migration_ns: Nanos,
    /// Per stage: its cheapest estimated nanoseconds per sample over all processors.
    stage_min_ns: Vec<f64>,
    /// Per task: its fastest estimated step over all processors.
    step_min_ns: Vec<f64>,
    /// Per task: what the planner's estimates read of it, side by side.
    planning: Vec<TaskPlanning>,
    /// Per task: the rank of its stage list among the distinct ones, in lexicographic order
    /// (equal pipelines, equal rank), so that sorting by pipeline compares integers.
    pipeline_rank: Vec<u32>,
    /// Per distinct pipeline (by rank): [`Problem::stages_s_by_kind`] of its stages, which a
    /// placing round asks of every task it plans.
    pipeline_prep_s: Vec<Vec<Option<f64>>>,
}

impl Problem {
    /// Estimated nanoseconds of one step of `task` on `proc`, or `None` if it cannot run there.
    pub fn step_ns(&self, task: usize, proc: usize) -> Option<f64> {
        let p = &self.processors[proc];
        self.tasks[task].compute_s[p.kind].map(|s| s * NS_PER_S / p.compute_speed)
    }

    /// Estimated nanoseconds to preprocess one sample through `stage` on `proc`.
    pub fn stage_ns(&self, stage: usize, proc: usize) -> Option<f64> {
        let p = &self.processors[proc];
        self.stages[stage].cost_s[p.kind].map(|s| s * NS_PER_S / p.prep_speed)
    }

    /// Estimated nanoseconds to preprocess one sample through all of `stages` on `proc`.
    pub fn stages_ns(&self, stages: &[usize], proc: usize) -> Option<f64> {
        let p = &self.processors[proc];
        self.stages_s_of_kind(stages, p.kind).map(|s| s * NS_PER_S / p.prep_speed)
    }

    /// [`Problem::stages_ns`] on every processor, summing the stages once per processor type
    /// (a policy asks this of every processor for every group it places).
    pub fn stages_ns_all(&self, stages: &[usize]) -> Vec<Option<f64>> {
        let on = self.stages_ns_on(stages);
        (0..self.processors.len()).map(on).collect()
    }

    /// [`Problem::stages_ns`] of one set of stages as a function of the processor, the stages
    /// summed once per processor type: for asking it of many processors.
    pub fn stages_ns_on(&self, stages: &[usize]) -> impl Fn(usize) -> Option<f64> + '_ {
        let by_kind = self.stages_s_by_kind(stages);
        move |proc| self.prep_ns_on(&by_kind, proc)
    }

    /// Nanoseconds per sample on `proc` of preprocessing that costs `s_by_kind` seconds per
    /// sample at unit speed on each processor type (see [`Problem::stages_s_by_kind`]).
    pub fn prep_ns_on(&self, s_by_kind: &[Option<f64>], proc: usize) -> Option<f64> {
        let p = &self.processors[proc];
        s_by_kind[p.kind].map(|s| s * NS_PER_S / p.prep_speed)
    }

    /// Estimated seconds per sample of `stages` at unit speed, by processor type.
    pub fn stages_s_by_kind(&self, stages: &[usize]) -> Vec<Option<f64>> {
        (0..self.types.len()).map(|k| self.stages_s_of_kind(stages, k)).collect()
    }

    /// Estimated seconds per sample of `stages` on processors of `kind` at unit speed.
    fn stages_s_of_kind(&self, stages: &[usize], kind: usize) -> Option<f64> {
        // A plain loop: summing `Option`s through an iterator costs several times as much, and
        // every planning round asks this for every live group. Starts from -0.0 as `Sum` does.
        let mut sum = -0.0;
        for &s in stages {
            sum += self.stages[s].cost_s[kind]?;
        }
        Some(sum)
    }

    /// Reference cost per sample of a set of stages: each stage on the processor where it is
    /// cheapest (for reporting preprocessing work independently of placement).
    pub fn stages_ns_min(&self, stages: &[usize]) -> f64 {
        stages.iter().map(|&s| self.stage_min_ns[s]).sum()
    }

    /// Fastest estimated step of `task` over all processors.
    pub fn step_ns_min(&self, task: usize) -> f64 {
        self.step_min_ns[task]
    }

    /// Orders tasks as their stage lists compare: equal pipelines have equal ranks.
    pub fn pipeline_rank(&self, task: usize) -> u32 {
        self.pipeline_rank[task]
    }

    /// [`Problem::stages_s_by_kind`] of `task`'s whole pipeline.
    pub fn pipeline_prep_s_by_kind(&self, task: usize) -> &[Option<f64>] {
        &self.pipeline_prep_s[self.pipeline_rank[task] as usize]
    }

    fn rank_pipelines(&mut self) {
        let mut distinct: Vec<&[usize]> = self.tasks.iter().map(|t| t.stages.as_slice()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        self.pipeline_rank = self
            .tasks
            .iter()
            .map(|t| distinct.binary_search(&t.stages.as_slice()).expect("listed above") as u32)
            .collect();
        self.pipeline_prep_s = distinct.iter().map(|stages| self.stages_s_by_kind(stages)).collect();
    }

    /// Recomputes the cached cheapest costs after estimates changed.
    pub fn refresh_minima(&mut self) {
        // Clusters are many processors of a few kinds: the cheapest over the distinct (type,
        // speed) pairs is the cheapest over the processors, at a fraction of the cost per task.
        let distinct = |speed: fn(&ProcInfo) -> f64| {
            let mut pairs: Vec<(usize, f64)> = Vec::new();
            for p in &self.processors {
                if !pairs.contains(&(p.kind, speed(p))) {
                    pairs.push((p.kind, speed(p)));
                }
            }
            pairs
        };
        let (prep_kinds, compute_kinds) = (distinct(|p| p.prep_speed), distinct(|p| p.compute_speed));
        let cheapest = |per_type: &[Option<f64>], kinds: &[(usize, f64)]| -> f64 {
            kinds
                .iter()
                .filter_map(|&(kind, speed)| per_type[kind].map(|s| s * NS_PER_S / speed))
                .fold(f64::INFINITY, f64::min)
        };
        self.stage_min_ns = self.stages.iter().map(|s| cheapest(&s.cost_s, &prep_kinds)).collect();
        self.step_min_ns = self.tasks.iter().map(|t| cheapest(&t.compute_s, &compute_kinds)).collect();
        self.planning = (0..self.tasks.len())
            .map(|i| {
                let t = &self.tasks[i];
                TaskPlanning {
                    samples: t.samples(),
                    pace_ns: self.step_min_ns[i] / t.batch_size as f64,
                    compute_ns: t.steps as f64 * self.step_min_ns[i] * t.gang as f64,
                    prep_ns: self.stages_ns_min(&t.stages),
                }
            })
            .collect();
    }

    /// What the planner's estimates read of `task`.
    pub fn planning(&self, task: usize) -> &TaskPlanning {
        &self.planning[task]
    }

    pub fn task_index(&self, id: &str) -> Option<usize> {
        self.tasks.iter().position(|t| t.id == id)
    }

    /// Validates `w`. `lines` (from the file's text) lets errors name their line.
    pub fn from_workload(w: &Workload, lines: Option<&JsonLines>) -> Result<Problem, InputError> {
        let at = |field: String, message: String| {
            let line = lines.and_then(|l| l.line_of(&field));
            InputError::field(field, message).at_line(line)
        };

        // Cluster first: processor types define what the per-type maps may name.
        if w.cluster.processors.is_empty() {
            return Err(at(
                "cluster.processors".into(),
                "the cluster is empty; expected at least one processor".into(),
            ));
        }
        if w.cluster.buffer_batches == 0 {
            return Err(at("cluster.buffer_batches".into(), "buffer capacity is 0; expected at least 1 batch".into()));
        }
        non_negative(w.cluster.migration_s).map_err(|m| at("cluster.migration_s".into(), m))?;
        let types: Vec<String> =
            w.cluster.processors.iter().map(|p| p.kind.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let type_index = |name: &str| types.iter().position(|t| t == name);
        let mut processors = Vec::new();
        let mut proc_ids = BTreeSet::new();
        for (i, spec) in w.cluster.processors.iter().enumerate() {
            let field = |f: &str| format!("cluster.processors[{i}].{f}");
            if spec.count == 0 {
                return Err(at(field("count"), "count is 0; expected at least 1".into()));
            }
            positive(spec.compute_speed).map_err(|m| at(field("compute_speed"), m))?;
            positive(spec.prep_speed).map_err(|m| at(field("prep_speed"), m))?;
            if let Some(mem) = spec.memory_gb {
                non_negative(mem).map_err(|m| at(field("memory_gb"), m))?;
            }
            for k in 0..spec.count {
                let id = if spec.count == 1 { spec.name.clone() } else { format!("{}{k}", spec.name) };
                if !proc_ids.insert(id.clone()) {
                    return Err(at(field("name"), format!("duplicate processor id \"{id}\"")));
                }
                processors.push(ProcInfo {
                    id,
                    kind: type_index(&spec.kind).expect("type collected above"),
                    compute_speed: spec.compute_speed,
                    prep_speed: spec.prep_speed,
                    memory_gb: spec.memory_gb.unwrap_or(f64::INFINITY),
                });
            }
        }
        // The field is named only on an error: a million tasks should not format a million names.
        let per_type = |map: &PerType, field: &dyn Fn() -> String| -> Result<Vec<Option<f64>>, InputError> {
            let mut v = vec![None; types.len()];
            for (name, &secs) in map {
                let f = || format!("{}.{name}", field());
                let Some(t) = type_index(name) else {
                    return Err(at(
                        f(),
                        format!("unknown processor type \"{name}\"; expected one of: {}", types.join(", ")),
                    ));
                };
                positive(secs).map_err(|m| at(f(), m))?;
                v[t] = Some(secs);
            }
            if v.iter().all(Option::is_none) {
                return Err(at(field(), "no cost for any processor type of the cluster; expected at least one".into()));
            }
            Ok(v)
        };

        let mut datasets = Vec::new();
        // Each dataset's position by id: duplicates, recorded actuals and tasks all look it up.
        let mut dataset_index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, d) in w.datasets.iter().enumerate() {
            if dataset_index.insert(d.id.as_str(), i).is_some() {
                return Err(at(format!("datasets[{i}].id"), format!("duplicate dataset id \"{}\"", d.id)));
            }
            let recorded = w.actuals.prep.get(&d.id).copied();
            if let Some(f) = recorded {
                positive(f).map_err(|m| at(format!("actuals.prep.{}", d.id), m))?;
            }
            datasets.push(DatasetInfo {
                id: d.id.clone(),
                samples: d.samples,
                sample_bytes: d.sample_bytes,
                actual_prep_factor: recorded.unwrap_or(1.0),
                prep_recorded: recorded.is_some(),
            });
        }
        for id in w.actuals.prep.keys() {
            if !dataset_index.contains_key(id.as_str()) {
                return Err(at(format!("actuals.prep.{id}"), format!("unknown dataset \"{id}\"")));
            }
        }

        let mut stages: Vec<StageInfo> = Vec::new();
        let mut stage_origin: BTreeMap<String, String> = BTreeMap::new();
        let mut pipelines: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in w.pipelines.iter().enumerate() {
            if pipelines.contains_key(p.id.as_str()) {
                return Err(at(format!("pipelines[{i}].id"), format!("duplicate pipeline id \"{}\"", p.id)));
            }
            let mut indices = Vec::new();
            for (j, s) in p.stages.iter().enumerate() {
                let field = format!("pipelines[{i}].stages[{j}]");
                let info = StageInfo {
                    key: s.key(),
                    cost_s: per_type(&s.cost_s, &|| format!("{field}.cost_s"))?,
                    out_bytes: s.out_bytes,
                };
                match stages.iter().position(|x| x.key == info.key) {
                    Some(k) if stages[k].cost_s != info.cost_s || stages[k].out_bytes != info.out_bytes => {
                        return Err(at(
                            field,
                            format!(
                                "stage {} is also defined at {} with other costs; equal stages must have equal costs",
                                info.key, stage_origin[&info.key]
                            ),
                        ));
                    }
                    Some(k) => indices.push(k),
                    None => {
                        stage_origin.insert(info.key.clone(), field);
                        indices.push(stages.len());
                        stages.push(info);
                    }
                }
            }
            pipelines.insert(&p.id, indices);
        }

        if w.tasks.is_empty() {
            return Err(at("tasks".into(), "no tasks; expected at least one".into()));
        }
        // Per processor type, its processors' memory, ascending: how many could hold a task.
        let mut memory_by_type: Vec<Vec<f64>> = vec![Vec::new(); types.len()];
        for p in &processors {
            memory_by_type[p.kind].push(p.memory_gb);
        }
        memory_by_type.iter_mut().for_each(|m| m.sort_by(f64::total_cmp));
        let mut tasks: Vec<TaskInfo> = Vec::new();
        let mut task_ids = BTreeSet::new();
        for (i, t) in w.tasks.iter().enumerate() {
            let field = |f: &str| format!("tasks[{i}].{f}");
            if !task_ids.insert(t.id.as_str()) {
                return Err(at(field("id"), format!("duplicate task id \"{}\"", t.id)));
            }
            non_negative(t.arrival_s).map_err(|m| at(field("arrival_s"), m))?;
            let Some(&dataset) = dataset_index.get(t.dataset.as_str()) else {
                let known: Vec<&str> = datasets.iter().map(|d| d.id.as_str()).collect();
                return Err(at(
                    field("dataset"),
                    format!("unknown dataset \"{}\"; expected one of: {}", t.dataset, known.join(", ")),
                ));
            };
            let Some(stage_list) = pipelines.get(t.pipeline.as_str()) else {
                let known: Vec<&str> = pipelines.keys().copied().collect();
                return Err(at(
                    field("pipeline"),
                    format!("unknown pipeline \"{}\"; expected one of: {}", t.pipeline, known.join(", ")),
                ));
            };
            if t.batch_size == 0 {
                return Err(at(field("batch_size"), "batch size is 0; expected at least 1".into()));
            }
            if t.steps == 0 {
                return Err(at(field("steps"), "steps is 0; expected at least 1".into()));
            }
            if t.processors == 0 {
                return Err(at(field("processors"), "needs 0 processors; expected at least 1".into()));
            }
            non_negative(t.memory_gb).map_err(|m| at(field("memory_gb"), m))?;
            let compute_s = per_type(&t.compute_s, &|| field("compute_s"))?;
            let eligible: usize = memory_by_type
                .iter()
                .enumerate()
                .filter(|&(kind, _)| compute_s[kind].is_some())
                .map(|(_, memory)| memory.len() - memory.partition_point(|&m| m < t.memory_gb))
                .sum();
            if eligible < t.processors as usize {
                return Err(at(
                    field("processors"),
                    format!(
                        "needs {} processors at once but only {eligible} can run it (type and memory); expected at most {eligible}",
                        t.processors
                    ),
                ));
            }
            for &s in stage_list {
                if !processors.iter().any(|p| stages[s].cost_s[p.kind].is_some()) {
                    return Err(at(
                        field("pipeline"),
                        format!("stage {} cannot run on any processor of the cluster", stages[s].key),
                    ));
                }
            }
            let recorded = w.actuals.compute.get(&t.id).copied();
            if let Some(f) = recorded {
                positive(f).map_err(|m| at(format!("actuals.compute.{}", t.id), m))?;
            }
            tasks.push(TaskInfo {
                id: t.id.clone(),
                arrival_ns: secs_to_ns(t.arrival_s),
                dataset,
                pipeline: t.pipeline.clone(),
                stages: stage_list.clone(),
                batch_size: t.batch_size,
                steps: t.steps,
                compute_s,
                memory_gb: t.memory_gb,
                gang: t.processors,
                actual_compute_factor: recorded.unwrap_or(1.0),
                compute_recorded: recorded.is_some(),
            });
        }
        for id in w.actuals.compute.keys() {
            if !task_ids.contains(id.as_str()) {
                return Err(at(format!("actuals.compute.{id}"), format!("unknown task \"{id}\"")));
            }
        }

        let mut problem = Problem {
            name: w.name.clone(),
            types,
            datasets,
            stages,
            tasks,
            processors,
            buffer_batches: w.cluster.buffer_batches,
            migration_ns: secs_to_ns(w.cluster.migration_s),
            stage_min_ns: Vec::new(),
            step_min_ns: Vec::new(),
            planning: Vec::new(),
            pipeline_rank: Vec::new(),
            pipeline_prep_s: Vec::new(),
        };
        problem.refresh_minima();
        problem.rank_pipelines();
        Ok(problem)
    }
}

fn non_negative(x: f64) -> Result<f64, String> {
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(format!("{x} is not a valid value; expected a finite number >= 0"))
    }
}

fn positive(x: f64) -> Result<f64, String> {
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(format!("{x} is not a valid value; expected a finite number > 0"))
    }
}
