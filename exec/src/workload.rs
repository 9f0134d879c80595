//! What `coprep run` runs: data sets, preprocessing pipelines, models and training tasks (a
//! learning-rate sweep, say). Stages are written as in the simulator's workloads (`op` and
//! `params`), so equal stages are shared the same way; their costs are measured, not written.
//! With no file, [`embedded_default`]: four tasks on one pipeline over the synthetic set.

use crate::data::{cifar, digits, idx, synthetic, ImageSet};
use crate::prep::{Op, Pipeline};
use coprep_traces::json_lines::JsonLines;
use coprep_traces::model::Stage;
use coprep_traces::InputError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunWorkload {
    pub name: String,
    pub datasets: Vec<DataSpec>,
    pub pipelines: Vec<PipelineSpec>,
    pub models: Vec<ModelSpec>,
    pub tasks: Vec<TaskSpec>,
    /// Capacity of each stream's ring of preprocessed samples, in batches.
    #[serde(default = "default_buffer")]
    pub buffer_batches: u32,
}

fn default_buffer() -> u32 {
    4
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    pub id: String,
    pub source: Source,
    /// Every `held_out`-th image is kept for measuring accuracy, never trained on.
    #[serde(default = "default_held_out")]
    pub held_out: usize,
    /// Seed of the order samples are read in (a fresh shuffle every epoch).
    #[serde(default)]
    pub shuffle_seed: u64,
}

fn default_held_out() -> usize {
    6
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "lowercase", deny_unknown_fields)]
pub enum Source {
    /// Generated in code: `images` of `side` x `side` x 3 over `classes` classes.
    Synthetic { images: usize, side: usize, classes: usize, seed: u64 },
    /// The digits CSV (e.g. `../shared/data/digits/digits.csv`).
    Digits { path: PathBuf },
    /// IDX image and label files (MNIST, Fashion-MNIST), gzipped or not.
    Idx { images: PathBuf, labels: PathBuf },
    /// CIFAR-10 binary batch files.
    Cifar { batches: Vec<PathBuf> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub id: String,
    pub stages: Vec<StageSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    pub op: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
}

impl StageSpec {
    /// The stage as the simulator's model writes it (costs filled in later, from measurements).
    pub fn stage(&self) -> Stage {
        Stage { op: self.op.clone(), params: self.params.clone(), cost_s: BTreeMap::new(), out_bytes: 0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub id: String,
    /// Widths of the hidden layers; input and output widths come from the data set.
    pub hidden: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub id: String,
    pub dataset: String,
    pub pipeline: String,
    pub model: String,
    #[serde(default)]
    pub arrival_s: f64,
    pub batch_size: u32,
    /// Rows computed at once; gradients are summed over `batch_size / micro_batch` of them
    /// before each update. Defaults to the whole batch.
    #[serde(default)]
    pub micro_batch: Option<u32>,
    /// Training length: `epochs` over the training split, or exactly `steps` batches.
    #[serde(default)]
    pub epochs: Option<f64>,
    #[serde(default)]
    pub steps: Option<u64>,
    pub lr: f32,
    #[serde(default = "default_momentum")]
    pub momentum: f32,
    /// Seed of the initial weights.
    #[serde(default)]
    pub seed: u64,
}

fn default_momentum() -> f32 {
    0.9
}

/// A task checked against its data set, pipeline and model: everything the executor needs.
#[derive(Debug, Clone)]
pub struct TaskPlan {
    pub id: String,
    pub dataset: usize,
    pub pipeline: usize,
    pub widths: Vec<usize>,
    pub arrival_s: f64,
    pub batch_size: usize,
    pub micro_batch: usize,
    pub steps: u64,
    pub lr: f32,
    pub momentum: f32,
    pub seed: u64,
}

/// A data set loaded and split.
#[derive(Debug, Clone)]
pub struct LoadedData {
    pub id: String,
    pub train: ImageSet,
    pub held_out: ImageSet,
    pub shuffle_seed: u64,
}

/// A workload read, checked and with its data loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: RunWorkload,
    pub data: Vec<LoadedData>,
    pub pipelines: Vec<Pipeline>,
    pub tasks: Vec<TaskPlan>,
}

/// The embedded default: a sweep of four learning rates (plus a fifth task with a longer
/// pipeline that shares the first three stages) on a seeded synthetic set, so `coprep run` needs
/// no files. Small enough for a CPU Vulkan device.
pub fn embedded_default() -> RunWorkload {
    let text = include_str!("default_run.json");
    serde_json::from_str(text).expect("the embedded default parses")
}

/// Reads a workload file; relative data paths are resolved against its folder.
pub fn read(path: &Path) -> Result<Loaded, InputError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| InputError::new(format!("cannot read it: {e}")).in_file(path))?;
    let (spec, lines): (RunWorkload, JsonLines) = coprep_traces::io::parse_json(&text).map_err(|e| e.in_file(path))?;
    let base = path.parent().unwrap_or(Path::new("."));
    load(spec, base, Some(&lines)).map_err(|e| e.in_file(path))
}

/// Checks a workload and loads its data (paths relative to `base`).
pub fn load(spec: RunWorkload, base: &Path, lines: Option<&JsonLines>) -> Result<Loaded, InputError> {
    let at = |field: String, message: String| {
        let line = lines.and_then(|l| l.line_of(&field));
        InputError::field(field, message).at_line(line)
    };
    if spec.tasks.is_empty() {
        return Err(at("tasks".into(), "no tasks; expected at least one".into()));
    }
    if spec.buffer_batches == 0 {
        return Err(at("buffer_batches".into(), "must be at least 1".into()));
    }
    let mut data = Vec::new();
    for (i, d) in spec.datasets.iter().enumerate() {
        let set = load_source(&d.source, base).map_err(|e| {
            let field = format!("datasets[{i}].source");
            let line = lines.and_then(|l| l.line_of(&field));
            InputError { field: e.field.or(Some(field)), line: e.line.or(line), ..e }
        })?;
        if d.held_out < 2 {
            return Err(at(format!("datasets[{i}].held_out"), "must be at least 2 (every k-th image held out)".into()));
        }
        let (train, held_out) = set.split_every(d.held_out);
        if train.is_empty() || held_out.is_empty() {
            return Err(at(format!("datasets[{i}]"), format!("{} images: too few to split", set.len())));
        }
        data.push(LoadedData { id: d.id.clone(), train, held_out, shuffle_seed: d.shuffle_seed });
    }
    let mut pipelines = Vec::new();
    for (i, p) in spec.pipelines.iter().enumerate() {
        let mut ops = Vec::new();
        for (s, stage) in p.stages.iter().enumerate() {
            let field = format!("pipelines[{i}].stages[{s}]");
            let op = Op::parse(stage, base).map_err(|m| at(field.clone(), m))?;
            if (s == 0) != (op == Op::Decode) {
                return Err(at(field, "a pipeline starts with `decode` (and has it only first)".into()));
            }
            ops.push((stage.stage().key(), op));
        }
        if ops.is_empty() {
            return Err(at(format!("pipelines[{i}].stages"), "empty; expected `decode` first".into()));
        }
        pipelines.push(Pipeline { id: p.id.clone(), stages: ops });
    }
    let find = |what: &str, ids: Vec<&String>, id: &str, field: String| {
        ids.iter().position(|x| *x == id).ok_or_else(|| at(field, format!("no {what} named `{id}`")))
    };
    let mut tasks = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, t) in spec.tasks.iter().enumerate() {
        let f = |name: &str| format!("tasks[{i}].{name}");
        if seen.insert(t.id.clone(), i).is_some() {
            return Err(at(f("id"), format!("`{}` is used twice; task ids are unique", t.id)));
        }
        let dataset = find("dataset", spec.datasets.iter().map(|d| &d.id).collect(), &t.dataset, f("dataset"))?;
        let pipeline = find("pipeline", spec.pipelines.iter().map(|p| &p.id).collect(), &t.pipeline, f("pipeline"))?;
        let model = find("model", spec.models.iter().map(|m| &m.id).collect(), &t.model, f("model"))?;
        let d = &data[dataset];
        let mut widths = vec![d.train.image_bytes()];
        widths.extend(&spec.models[model].hidden);
        widths.push(d.train.classes);
        if widths.contains(&0) {
            return Err(at(format!("models[{model}].hidden"), "a layer of width 0".into()));
        }
        let batch_size = t.batch_size as usize;
        if batch_size == 0 {
            return Err(at(f("batch_size"), "must be at least 1".into()));
        }
        let micro_batch = t.micro_batch.map_or(batch_size, |m| m as usize);
        if micro_batch == 0 || !batch_size.is_multiple_of(micro_batch) {
            return Err(at(f("micro_batch"), format!("{micro_batch} does not divide the batch size {batch_size}")));
        }
        let steps = match (t.epochs, t.steps) {
            (Some(e), None) if e > 0.0 && e.is_finite() => {
                ((e * d.train.len() as f64 / batch_size as f64).ceil() as u64).max(1)
            }
            (None, Some(s)) if s > 0 => s,
            _ => return Err(at(f("epochs"), "give exactly one of `epochs` (> 0) and `steps` (> 0)".into())),
        };
        if !(t.lr > 0.0 && t.lr.is_finite()) {
            return Err(at(f("lr"), format!("{}: expected a positive learning rate", t.lr)));
        }
        if !(0.0..1.0).contains(&t.momentum) {
            return Err(at(f("momentum"), format!("{}: expected a value in [0, 1)", t.momentum)));
        }
        if !(t.arrival_s >= 0.0 && t.arrival_s.is_finite()) {
            return Err(at(f("arrival_s"), "expected seconds >= 0".into()));
        }
        tasks.push(TaskPlan {
            id: t.id.clone(),
            dataset,
            pipeline,
            widths,
            arrival_s: t.arrival_s,
            batch_size,
            micro_batch,
            steps,
            lr: t.lr,
            momentum: t.momentum,
            seed: t.seed,
        });
    }
    Ok(Loaded { spec, data, pipelines, tasks })
}

fn load_source(source: &Source, base: &Path) -> Result<ImageSet, InputError> {
    let set = match source {
        Source::Synthetic { images, side, classes, seed } => {
            if *images == 0 || *side == 0 || *classes < 2 {
                return Err(InputError::new("expected images > 0, side > 0 and at least 2 classes"));
            }
            synthetic::generate(*images, *side, *classes, *seed)
        }
        Source::Digits { path } => digits::read(&base.join(path))?,
        Source::Idx { images, labels } => idx::read(&base.join(images), &base.join(labels))?,
        Source::Cifar { batches } => {
            let paths: Vec<PathBuf> = batches.iter().map(|b| base.join(b)).collect();
            cifar::read(&paths.iter().map(PathBuf::as_path).collect::<Vec<_>>())?
        }
    };
    if set.channels > 4 {
        return Err(InputError::new(format!("{} channels; at most 4 are supported", set.channels)));
    }
    Ok(set)
}
