//! Seeded synthetic workloads: a preprocessing-bound hyper-parameter sweep on one dataset, and a
//! mixed multi-dataset cluster with arrivals over time and multi-processor (gang) jobs.

use crate::model::{Actuals, Cluster, Dataset, PerType, Pipeline, ProcessorSpec, Stage, Task, Workload};
use crate::problem::Problem;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp};
use std::collections::BTreeMap;

/// The embedded default: 8 learning-rate runs on CIFAR-10 sharing an augmentation prefix, on 4 GPUs.
pub const DEFAULT_WORKLOAD: &str = include_str!("../workloads/sweep8.json");

/// The default workload, parsed and validated (it is part of the build, so it is always valid).
pub fn default_problem() -> (Workload, Problem) {
    crate::io::problem_from_str(DEFAULT_WORKLOAD).expect("the embedded default workload is valid")
}

fn per_type(pairs: &[(&str, f64)]) -> PerType {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn stage(op: &str, params: &[(&str, serde_json::Value)], cost: &[(&str, f64)], out_bytes: u64) -> Stage {
    Stage {
        op: op.into(),
        params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>(),
        cost_s: per_type(cost),
        out_bytes,
    }
}

/// Augmentation variants that share a decode prefix: `variant` picks the crop seed and whether
/// colour jitter follows, so a sweep has a tree with real branches. Costs grow with the image
/// `size`, which every stage names (equal stages must cost the same).
fn augment_pipeline(dataset: &str, variant: usize, size: u32, types: &[&str]) -> Pipeline {
    let scale = (size as f64 / 32.0).powi(2);
    let bytes = 3 * size as u64 * size as u64;
    let cost = |s: f64| -> Vec<(&str, f64)> { types.iter().map(|&t| (t, s * scale)).collect() };
    let size_param = || ("size", serde_json::Value::from(size));
    let crop_seed = (variant / 2) as u64 + 7;
    let mut stages = vec![
        stage("decode", &[("format", "jpeg".into()), size_param()], &cost(3e-4), bytes),
        stage("random_crop", &[("pad", 4.into()), ("seed", crop_seed.into()), size_param()], &cost(1e-4), bytes),
    ];
    if variant % 2 == 1 {
        let params = [("brightness", 0.2.into()), ("seed", 11.into()), size_param()];
        stages.push(stage("jitter", &params, &cost(1e-4), bytes));
    }
    stages.push(stage("normalize", &[size_param()], &cost(1e-4), 4 * bytes));
    Pipeline { id: format!("{dataset}-aug{variant}"), stages }
}

/// A hyper-parameter sweep of `tasks` runs on one dataset and `processors` GPUs, where
/// preprocessing a batch costs about three training steps (so sharing matters).
pub fn sweep(tasks: usize, processors: u32, seed: u64) -> Workload {
    let mut rng = StdRng::seed_from_u64(seed);
    let pipelines: Vec<Pipeline> = (0..2).map(|v| augment_pipeline("cifar10", v, 32, &["gpu"])).collect();
    let tasks: Vec<Task> = (0..tasks)
        .map(|i| Task {
            id: format!("sweep-{i}"),
            arrival_s: 0.0,
            dataset: "cifar10".into(),
            pipeline: pipelines[rng.random_range(0..2)].id.clone(),
            batch_size: 256,
            steps: rng.random_range(1500..=3000),
            compute_s: per_type(&[("gpu", rng.random_range(0.04..0.06))]),
            memory_gb: 6.0,
            processors: 1,
        })
        .collect();
    Workload {
        name: format!("sweep: {} runs on cifar10, seed {seed}", tasks.len()),
        datasets: vec![Dataset { id: "cifar10".into(), samples: 50_000, sample_bytes: 3072 }],
        pipelines,
        tasks,
        cluster: Cluster {
            processors: vec![ProcessorSpec::uniform("gpu", processors, Some(16.0))],
            buffer_batches: 4,
            migration_s: 2.0,
        },
        actuals: Actuals::default(),
    }
}

/// A mixed cluster: `tasks` jobs over `datasets` datasets (each with its own augmentation
/// variants), Poisson arrivals `mean_interarrival_s` apart, gangs of 1-8 processors, and two
/// processor types of different speed.
pub fn mixed(tasks: usize, processors: u32, datasets: usize, mean_interarrival_s: f64, seed: u64) -> Workload {
    let mut rng = StdRng::seed_from_u64(seed);
    let names = ["cifar10", "imagenet", "multi30k", "ml-20m", "wikitext2", "monet2photo"];
    let datasets: Vec<Dataset> = (0..datasets.max(1))
        .map(|i| {
            let base = names[i % names.len()];
            let id = if i < names.len() { base.to_string() } else { format!("{base}-{}", i / names.len()) };
            Dataset { id, samples: 50_000, sample_bytes: 3072 }
        })
        .collect();
    let types = ["fast", "slow"];
    let mut pipelines = Vec::new();
    for (i, d) in datasets.iter().enumerate() {
        let size = [32, 24, 48][i % 3];
        for v in 0..3 {
            pipelines.push(augment_pipeline(&d.id, v, size, &types));
        }
    }
    let fast = processors.div_ceil(2);
    let slow = processors - fast;
    let interarrival = Exp::new(1.0 / mean_interarrival_s.max(1e-9)).expect("positive rate");
    let mut clock = 0.0;
    let tasks: Vec<Task> = (0..tasks)
        .map(|i| {
            let d = rng.random_range(0..datasets.len());
            let gang = match rng.random_range(0..100) {
                0..80 => 1,
                80..90 => 2,
                90..97 => 4,
                _ => 8,
            }
            .min(processors.max(1));
            let step = rng.random_range(0.02..0.2);
            let task = Task {
                id: format!("job-{i}"),
                arrival_s: (clock * 1e3_f64).round() / 1e3,
                dataset: datasets[d].id.clone(),
                pipeline: pipelines[d * 3 + rng.random_range(0..3)].id.clone(),
                batch_size: [64, 128, 256][rng.random_range(0..3)],
                steps: (10f64.powf(rng.random_range(2.5..4.0))) as u64,
                compute_s: per_type(&[("fast", step), ("slow", step * 2.5)]),
                memory_gb: rng.random_range(2.0..12.0_f64).round(),
                processors: gang,
            };
            clock += interarrival.sample(&mut rng);
            task
        })
        .collect();
    let mut specs = vec![ProcessorSpec::uniform("fast", fast, Some(32.0))];
    if slow > 0 {
        specs.push(ProcessorSpec::uniform("slow", slow, Some(16.0)));
    }
    Workload {
        name: format!("mixed: {} jobs over {} datasets, seed {seed}", tasks.len(), datasets.len()),
        datasets,
        pipelines,
        tasks,
        cluster: Cluster { processors: specs, buffer_batches: 4, migration_s: 5.0 },
        actuals: Actuals::default(),
    }
}
