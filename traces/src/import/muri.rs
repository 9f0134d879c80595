//! Muri's multi-resource traces (`trace1.csv`, `trace2.csv`, with `cluster_n8g8.csv`).
//!
//! Columns: `job_id, num_gpu, submit_time, iterations, model_name, batch_size, duration,
//! interval, iteration_time, resource_time_0, resource_time_1, resource_time_2, priority`, with
//! `duration = iterations × iteration_time`. Mapping (each choice can be overridden):
//! - **which stage is what**: the files do not say. `resource_time_2` is zero for every
//!   single-GPU job, so it is gradient synchronisation over the network. Of the other two,
//!   `resource_time_0` is large where data preparation dominates (DQN/A2C, whose environments run
//!   on CPUs: 446 against 8) and tiny for BERT (0.5 against 166), whose compute is all on the GPU;
//!   so `resource_time_0` is **preprocessing** and `resource_time_1` **GPU compute**, as in the
//!   Muri paper's data-loading / GPU / network stages. A step's compute is `resource_time_1 +
//!   resource_time_2`.
//! - **time unit**: microseconds by default (`--time-unit`): a DQN iteration of 490 µs, jobs of
//!   minutes to hours, arrivals tens of seconds apart.
//! - **dataset**: from the model ([`default_dataset`]): vision models read `imagenet`, language
//!   models `text`, reinforcement learners (`dqn`, `a2c`) their own environment (no sharing);
//!   `--dataset MODEL=DATASET` overrides.
//! - **pipeline**: one stage per dataset, `load`, whose cost per sample is the mean of
//!   `resource_time_0 / batch_size` over that dataset's jobs (equal stages must cost the same).
//! - **cluster**: from the cluster file (switches × nodes × GPUs per node), `gpu` processors;
//!   a GPU holds at most 4 jobs at once (Muri interleaves groups of up to 4), expressed as
//!   memory: 4 units per GPU, 1 per job.

use super::bad_line;
use crate::error::{Error, InputError};
use crate::model::{Actuals, Cluster, Dataset, Pipeline, ProcessorSpec, Stage, Task, Workload};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct MuriOptions {
    /// `cluster_n8g8.csv`-style file; by default `cluster_n8g8.csv` beside the trace.
    pub cluster: Option<PathBuf>,
    /// Seconds per unit of the trace's times.
    pub time_unit_s: f64,
    /// Model → dataset, overriding [`default_dataset`].
    pub datasets: BTreeMap<String, String>,
    pub buffer_batches: u32,
    pub migration_s: f64,
}

impl Default for MuriOptions {
    fn default() -> Self {
        MuriOptions {
            cluster: None,
            time_unit_s: 1e-6,
            datasets: BTreeMap::new(),
            buffer_batches: 4,
            migration_s: 30.0,
        }
    }
}

/// The dataset a model reads, unless overridden; `None` means a dataset of its own per job.
pub fn default_dataset(model: &str) -> Option<&'static str> {
    let m = model.to_ascii_lowercase();
    if ["resnet", "vgg", "inception", "mobilenet", "alexnet", "densenet", "shufflenet", "efficientnet"]
        .iter()
        .any(|p| m.contains(p))
    {
        Some("imagenet")
    } else if ["bert", "gpt", "transformer", "lstm", "xlnet", "t5"].iter().any(|p| m.contains(p)) {
        Some("text")
    } else if ["dqn", "a2c", "a3c", "ppo"].iter().any(|p| m.contains(p)) {
        None
    } else {
        Some("other")
    }
}

fn read_cluster(path: &Path) -> Result<u32, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Input(InputError::new(e.to_string()).at_line(Some(1)).in_file(path)))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let record = reader
        .records()
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| Error::Input(InputError::new("no cluster row").at_line(Some(2)).in_file(path)))?;
    let get = |name: &str| -> Result<u32, Error> {
        col(name).and_then(|c| record.get(c)).and_then(|v| v.parse().ok()).filter(|&v| v > 0).ok_or_else(|| {
            Error::Input(InputError::field(name, "missing or not a whole number >= 1").at_line(Some(2)).in_file(path))
        })
    };
    Ok(get("num_switch")? * get("num_node_p_switch")? * get("num_gpu_p_node")?)
}

struct Row {
    id: String,
    gpus: u32,
    submit: f64,
    iterations: u64,
    model: String,
    batch: u32,
    prep: f64,
    compute: f64,
}

pub fn import(trace: &Path, opts: &MuriOptions) -> Result<Workload, Error> {
    let text = std::fs::read_to_string(trace).map_err(|e| Error::io(trace, e))?;
    let cluster_path = opts.cluster.clone().unwrap_or_else(|| trace.with_file_name("cluster_n8g8.csv"));
    let gpus = read_cluster(&cluster_path)?;
    let rows = parse_rows(&text, opts.time_unit_s).map_err(|e| Error::Input(e.in_file(trace)))?;
    Ok(build(rows, gpus, opts))
}

fn parse_rows(text: &str, unit: f64) -> Result<Vec<Row>, InputError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| InputError::new(e.to_string()).at_line(Some(1)))?.clone();
    let required = [
        "job_id",
        "num_gpu",
        "submit_time",
        "iterations",
        "model_name",
        "batch_size",
        "resource_time_0",
        "resource_time_1",
        "resource_time_2",
    ];
    let mut cols = BTreeMap::new();
    for name in required {
        let c = headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| InputError::field(name, "missing column").at_line(Some(1)))?;
        cols.insert(name, c);
    }
    let mut rows = Vec::new();
    // Rows are numbers and names, one per line: row i is on line i + 2 (after the header).
    for (i, record) in reader.records().enumerate() {
        let n = i + 2;
        let record = record.map_err(|e| InputError::new(format!("malformed row: {e}")).at_line(Some(n)))?;
        let raw = |name: &str| record.get(cols[name]).unwrap_or("");
        let number = |name: &str| -> Result<f64, InputError> {
            raw(name)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad_line(n, name, format!("\"{}\" is not valid; expected a number >= 0", raw(name))))
        };
        let whole = |name: &str| -> Result<u64, InputError> {
            raw(name).parse::<u64>().ok().filter(|&v| v > 0).ok_or_else(|| {
                bad_line(n, name, format!("\"{}\" is not valid; expected a whole number >= 1", raw(name)))
            })
        };
        let (prep, gpu, net) = (number("resource_time_0")?, number("resource_time_1")?, number("resource_time_2")?);
        if gpu + net <= 0.0 {
            return Err(bad_line(
                n,
                "resource_time_1",
                "compute and network times are both 0; expected a step that takes time",
            ));
        }
        rows.push(Row {
            id: format!("job-{}", raw("job_id")),
            gpus: whole("num_gpu")? as u32,
            submit: number("submit_time")? * unit,
            iterations: whole("iterations")?,
            model: raw("model_name").to_string(),
            batch: whole("batch_size")? as u32,
            prep: prep * unit,
            compute: (gpu + net) * unit,
        });
    }
    Ok(rows)
}

fn build(rows: Vec<Row>, gpus: u32, opts: &MuriOptions) -> Workload {
    let dataset_of = |r: &Row| -> String {
        match opts.datasets.get(&r.model) {
            Some(d) => d.clone(),
            None => default_dataset(&r.model).map_or_else(|| format!("{}-env-{}", r.model, r.id), str::to_string),
        }
    };
    // The load stage's cost per sample: the mean over the dataset's jobs.
    let mut per_sample: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for r in &rows {
        let e = per_sample.entry(dataset_of(r)).or_insert((0.0, 0));
        e.0 += r.prep / r.batch as f64;
        e.1 += 1;
    }
    let pipelines = per_sample
        .iter()
        .map(|(d, (sum, count))| {
            let cost = (sum / *count as f64).max(1e-12);
            let stage = Stage {
                op: "load".into(),
                params: [("dataset".to_string(), serde_json::Value::from(d.as_str()))].into_iter().collect(),
                cost_s: [("gpu".to_string(), cost)].into_iter().collect(),
                out_bytes: 0,
            };
            Pipeline { id: d.clone(), stages: vec![stage] }
        })
        .collect();
    let tasks = rows
        .iter()
        .map(|r| {
            let d = dataset_of(r);
            Task {
                id: r.id.clone(),
                arrival_s: r.submit,
                dataset: d.clone(),
                pipeline: d,
                batch_size: r.batch,
                steps: r.iterations,
                compute_s: [("gpu".to_string(), r.compute)].into_iter().collect(),
                memory_gb: 1.0,
                processors: r.gpus.min(gpus),
            }
        })
        .collect::<Vec<_>>();
    Workload {
        name: format!("muri: {} jobs over {} datasets", tasks.len(), per_sample.len()),
        datasets: per_sample.keys().map(|d| Dataset { id: d.clone(), samples: 0, sample_bytes: 0 }).collect(),
        pipelines,
        tasks,
        cluster: Cluster {
            processors: vec![ProcessorSpec::uniform("gpu", gpus, Some(4.0))],
            buffer_batches: opts.buffer_batches,
            migration_s: opts.migration_s,
        },
        actuals: Actuals::default(),
    }
}
