//! `coprep bench sharing`: what sharing one stream saves on real devices. For each N, N tasks
//! read the same pipeline over the same data: once each on its own stream (`fifo`), once all on
//! one stream (`min-makespan`). Reported: preprocessing busy time, samples preprocessed, kernel
//! dispatches and makespan, measured by the executor itself.

use crate::args::SharingArgs;
use crate::table;
use anyhow::Result;
use coprep_exec::run::{run, RunSetup};
use coprep_exec::workload::{self, RunWorkload};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// N tasks on one CIFAR-sized synthetic set (32 x 32 x 3) with a five-stage pipeline and a small
/// model, so that preprocessing is a real share of the work.
fn sweep(n: usize, steps: u64, batch: u32) -> RunWorkload {
    let mut spec = workload::embedded_default();
    spec.name = format!("sharing-{n}");
    spec.datasets[0].source = workload::Source::Synthetic { images: 1200, side: 32, classes: 4, seed: 7 };
    spec.pipelines.truncate(1);
    spec.pipelines[0].stages.push(workload::StageSpec {
        op: "crop".into(),
        params: [("pad".to_string(), 2.into()), ("seed".to_string(), 3.into())].into_iter().collect(),
    });
    spec.models[0].hidden = vec![16];
    let template = spec.tasks[0].clone();
    spec.tasks = (0..n)
        .map(|i| workload::TaskSpec {
            id: format!("task-{i}"),
            lr: 0.01 * (i + 1) as f32,
            epochs: None,
            steps: Some(steps),
            batch_size: batch,
            ..template.clone()
        })
        .collect();
    spec
}

pub fn run_bench(args: SharingArgs) -> Result<()> {
    let mut rows = Vec::new();
    let mut device = String::new();
    for &n in &args.tasks {
        let mut measured = Vec::new();
        for policy in ["fifo", "min-makespan"] {
            let loaded = workload::load(sweep(n, args.steps, args.batch), Path::new("."), None)?;
            let mut p = coprep_policies::parse_policy(policy)?;
            let setup = RunSetup { record_events: false, ..RunSetup::default() };
            let report = run(&loaded, p.as_mut(), &setup, Arc::new(AtomicBool::new(false)), None)?;
            device = report.stats.devices.join(", ");
            let prep_s: f64 = report.records.summary.processors_detail.iter().map(|p| p.prep_s).sum();
            measured.push((
                prep_s,
                report.stats.prep_samples,
                report.stats.prep_dispatches,
                report.records.summary.makespan_s,
            ));
        }
        let (alone, shared) = (measured[0], measured[1]);
        rows.push(vec![
            n.to_string(),
            format!("{:.3}", alone.0),
            format!("{:.3}", shared.0),
            format!("{:.1}x", alone.0 / shared.0),
            format!("{} / {}", alone.1, shared.1),
            format!("{} / {}", alone.2, shared.2),
            format!("{:.2} / {:.2}", alone.3, shared.3),
        ]);
        eprintln!("N = {n} done");
    }
    println!("device: {device}; {} steps of {} images (32 x 32 x 3) per task, pipeline decode, normalize, flip, noise, crop\n", args.steps, args.batch);
    let header = [
        "N",
        "prep s unshared",
        "prep s shared",
        "ratio",
        "samples unshared / shared",
        "dispatches",
        "makespan s unshared / shared",
    ];
    print!("{}", table::render(&header, &rows));
    Ok(())
}
