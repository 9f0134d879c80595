//! Gavel's Philly-derived traces (`*.trace`) with its measured throughputs
//! (`simulation_throughputs.json`).
//!
//! A trace line has 7 tab-separated fields: `job_type`, `command`, `num_steps_arg`,
//! `needs_data_dir`, `total_steps`, `arrival_time` (s), `scale_factor` (GPUs). Mapping:
//! - **dataset**: the path after `%s/data/` in the command (`cifar10`, `imagenet/pytorch`, ...);
//!   jobs on one dataset are the candidates for sharing. A job that reads no data (A3C plays
//!   an environment) gets an environment of its own with an empty pipeline: nothing to share.
//! - **pipeline**: Gavel has none; each dataset gets the pipeline of [`default_pipeline`]
//!   (decode and augmentation for images, tokenised batching for text), one per dataset so that
//!   its jobs share it. `--pipelines FILE` replaces them.
//! - **batch size**: from the job type, `(batch size N)`; types without one (A3C, CycleGAN)
//!   get 1, CycleGAN's default.
//! - **steps**: `total_steps`; **gang**: `scale_factor` GPUs.
//! - **seconds per step** per GPU type: 1 / the job's measured throughput running alone (the
//!   `"null"` entry for `('<job_type>', <scale_factor>)`, steps per second of the whole gang).
//!   Gavel measured only some gang sizes (A3C, CycleGAN and Recommendation on one GPU only,
//!   nothing above 8), while its traces hold gangs up to 64: a missing size is scaled linearly
//!   from the largest measured size below it — optimistic for large gangs; the importer reports
//!   how many jobs needed it. A type with no measurement at all cannot run the job.
//! - **memory**: every job takes a whole GPU (Gavel measures co-location separately), so GPUs
//!   are not time-shared; sharing happens across GPUs.
//! - **cluster**: not in the trace; by default Gavel's simulated `36:36:36` (V100, P100, K80).

use super::{bad_line, parse_cluster, read_pipelines};
use crate::error::{Error, InputError};
use crate::model::{Actuals, Cluster, Dataset, PerType, Pipeline, Stage, Task, Workload};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The pipeline of jobs that read no data set.
const NO_PIPELINE: &str = "none";

pub const DEFAULT_CLUSTER: &str = "v100:36,p100:36,k80:36";
const GPU_MEMORY_GB: f64 = 16.0;

pub struct GavelOptions {
    /// `simulation_throughputs.json`; by default the one beside the trace.
    pub throughputs: Option<PathBuf>,
    pub cluster: String,
    pub pipelines: Option<PathBuf>,
    pub buffer_batches: u32,
    pub migration_s: f64,
}

impl Default for GavelOptions {
    fn default() -> Self {
        GavelOptions {
            throughputs: None,
            cluster: DEFAULT_CLUSTER.into(),
            pipelines: None,
            buffer_batches: 4,
            migration_s: 30.0,
        }
    }
}

/// Measured throughputs: GPU type → `('<job_type>', <scale>)` → steps per second alone.
type Throughputs = BTreeMap<String, BTreeMap<String, f64>>;

fn read_throughputs(path: &Path) -> Result<Throughputs, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let raw: BTreeMap<String, BTreeMap<String, serde_json::Value>> = serde_json::from_str(&text)
        .map_err(|e| Error::Input(InputError::new(e.to_string()).at_line(Some(e.line())).in_file(path)))?;
    Ok(raw
        .into_iter()
        .map(|(gpu, jobs)| {
            let alone = jobs.into_iter().filter_map(|(key, v)| Some((key, v.get("null")?.as_f64()?))).collect();
            (gpu, alone)
        })
        .collect())
}

/// The pipeline coprep assumes for a Gavel dataset (seconds per sample on a V100; P100 1.5×,
/// K80 3× slower), by what the dataset holds.
pub fn default_pipeline(dataset: &str) -> Vec<Stage> {
    let image = |size: u32, decode: f64| {
        vec![
            stage("decode", &[("size", size.into())], decode, 3 * size as u64 * size as u64),
            stage(
                "random_crop",
                &[("size", size.into()), ("pad", 4.into()), ("seed", 1.into())],
                decode / 4.0,
                3 * size as u64 * size as u64,
            ),
            stage("flip", &[("size", size.into()), ("seed", 1.into())], decode / 10.0, 3 * size as u64 * size as u64),
            stage("normalize", &[("size", size.into())], decode / 10.0, 12 * size as u64 * size as u64),
        ]
    };
    let text =
        |per_sample: f64, bytes: u64| vec![stage("load_batch", &[("dataset", dataset.into())], per_sample, bytes)];
    let d = dataset.to_ascii_lowercase();
    if d.contains("imagenet") {
        image(224, 2.0e-4)
    } else if d.contains("cifar") {
        image(32, 2.0e-5)
    } else if d.contains("monet") || d.contains("photo") {
        image(256, 2.5e-4)
    } else if d.contains("ml-20m") {
        text(2.0e-7, 2_000)
    } else {
        text(1.0e-6, 1_000)
    }
}

fn stage(op: &str, params: &[(&str, serde_json::Value)], v100_s: f64, out_bytes: u64) -> Stage {
    let cost: PerType =
        [("v100", 1.0), ("p100", 1.5), ("k80", 3.0)].iter().map(|(t, f)| (t.to_string(), v100_s * f)).collect();
    Stage {
        op: op.into(),
        params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        cost_s: cost,
        out_bytes,
    }
}

/// The data set a command reads: the path after `%s/data/`, without a trailing slash.
pub fn dataset_of(command: &str) -> Option<String> {
    let start = command.find("%s/data/")? + "%s/data/".len();
    let rest = &command[start..];
    let path = rest.split_whitespace().next()?.trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_string())
}

/// Steps per second of `job_type` on a gang of `scale` GPUs of one type, and whether that size
/// was measured (else scaled linearly from the largest measured size below it, or the smallest).
fn gang_throughput(measured: &BTreeMap<String, f64>, job_type: &str, scale: u32) -> Option<(f64, bool)> {
    let key = |k: u32| format!("('{job_type}', {k})");
    if let Some(&tp) = measured.get(&key(scale)).filter(|&&tp| tp > 0.0) {
        return Some((tp, true));
    }
    let sizes: Vec<(u32, f64)> = [1u32, 2, 4, 8, 16, 32, 64]
        .iter()
        .filter_map(|&k| measured.get(&key(k)).filter(|&&tp| tp > 0.0).map(|&tp| (k, tp)))
        .collect();
    let (k, tp) = sizes.iter().rev().find(|(k, _)| *k <= scale).or(sizes.first()).copied()?;
    Some((tp * scale as f64 / k as f64, false))
}

fn batch_size_of(job_type: &str) -> Option<u32> {
    let start = job_type.find("(batch size ")? + "(batch size ".len();
    job_type[start..].split(')').next()?.trim().parse().ok()
}

/// The workload, and how many (job, GPU type) throughputs were extrapolated from other gang sizes.
pub fn import(trace: &Path, opts: &GavelOptions) -> Result<(Workload, usize), Error> {
    let text = std::fs::read_to_string(trace).map_err(|e| Error::io(trace, e))?;
    let throughputs_path =
        opts.throughputs.clone().unwrap_or_else(|| trace.with_file_name("simulation_throughputs.json"));
    let throughputs = read_throughputs(&throughputs_path)?;
    let processors = parse_cluster(&opts.cluster, GPU_MEMORY_GB)?;
    let custom = opts.pipelines.as_deref().map(read_pipelines).transpose()?;
    parse(&text, &throughputs, processors, custom, opts).map_err(|e| Error::Input(e.in_file(trace)))
}

fn parse(
    text: &str,
    throughputs: &Throughputs,
    processors: Vec<crate::model::ProcessorSpec>,
    custom: Option<BTreeMap<String, Vec<Stage>>>,
    opts: &GavelOptions,
) -> Result<(Workload, usize), InputError> {
    let types: Vec<String> = processors.iter().map(|p| p.kind.clone()).collect();
    let mut datasets: BTreeMap<String, ()> = BTreeMap::new();
    let mut tasks = Vec::new();
    // (job, GPU type) throughputs scaled from another gang size.
    let extrapolated = &mut 0usize;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 7 {
            return Err(bad_line(
                n,
                "line",
                format!("{} tab-separated fields; expected 7 (job_type, command, num_steps_arg, needs_data_dir, total_steps, arrival_time, scale_factor)", f.len()),
            ));
        }
        let job_type = f[0];
        let batch_size = batch_size_of(job_type).unwrap_or(1);
        let dataset = dataset_of(f[1]);
        let steps: u64 = f[4].trim().parse().ok().filter(|&s| s > 0).ok_or_else(|| {
            bad_line(n, "total_steps", format!("\"{}\" is not a step count; expected a whole number >= 1", f[4]))
        })?;
        let arrival: f64 =
            f[5].trim().parse().ok().filter(|a: &f64| a.is_finite() && *a >= 0.0).ok_or_else(|| {
                bad_line(n, "arrival_time", format!("\"{}\" is not valid; expected seconds >= 0", f[5]))
            })?;
        let scale: u32 = f[6].trim().parse().ok().filter(|&s| s > 0).ok_or_else(|| {
            bad_line(n, "scale_factor", format!("\"{}\" is not valid; expected a GPU count >= 1", f[6]))
        })?;
        let mut compute_s = PerType::new();
        for t in &types {
            if let Some((throughput, exact)) = throughputs.get(t).and_then(|m| gang_throughput(m, job_type, scale)) {
                compute_s.insert(t.clone(), 1.0 / throughput);
                if !exact {
                    *extrapolated += 1;
                }
            }
        }
        if compute_s.is_empty() {
            return Err(bad_line(
                n,
                "job_type",
                format!("no measured throughput for '{job_type}' on any of {}", types.join(", ")),
            ));
        }
        let id = format!("job-{}", tasks.len());
        let (dataset, pipeline) = match dataset {
            Some(d) => (d.clone(), d),
            None => (format!("{id}-env"), NO_PIPELINE.to_string()),
        };
        datasets.insert(dataset.clone(), ());
        tasks.push(Task {
            id,
            arrival_s: arrival,
            dataset,
            pipeline,
            batch_size,
            steps,
            compute_s,
            memory_gb: GPU_MEMORY_GB,
            processors: scale,
        });
    }
    let mut pipelines: Vec<Pipeline> = datasets
        .keys()
        .filter(|d| !d.ends_with("-env"))
        .map(|d| {
            let stages = match custom.as_ref().and_then(|c| c.get(d)) {
                Some(stages) => stages.clone(),
                None => default_pipeline(d),
            };
            Pipeline { id: d.clone(), stages }
        })
        .collect();
    if tasks.iter().any(|t| t.pipeline == NO_PIPELINE) {
        pipelines.push(Pipeline { id: NO_PIPELINE.into(), stages: Vec::new() });
    }
    let extrapolated = *extrapolated;
    Ok((
        Workload {
            name: format!("gavel: {} jobs over {} datasets", tasks.len(), datasets.len()),
            datasets: datasets.keys().map(|d| Dataset { id: d.clone(), samples: 0, sample_bytes: 0 }).collect(),
            pipelines,
            tasks,
            cluster: Cluster { processors, buffer_batches: opts.buffer_batches, migration_s: opts.migration_s },
            actuals: Actuals::default(),
        },
        extrapolated,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_by_hand() {
        let cmd = "cd %s/gpusched/workloads/pytorch/recommendation/scripts/ml-20m && python3 train.py --data_dir %s/data/ml-20m/pro_sg/ --batch_size 8192";
        assert_eq!(dataset_of(cmd).as_deref(), Some("ml-20m/pro_sg"));
        assert_eq!(
            dataset_of("python3 main.py -j 4 -a resnet50 -b 128 %s/data/imagenet/pytorch").as_deref(),
            Some("imagenet/pytorch")
        );
        assert_eq!(batch_size_of("Recommendation (batch size 8192)"), Some(8192));
        assert_eq!(batch_size_of("A3C"), None);
    }
}
