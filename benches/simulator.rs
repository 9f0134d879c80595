//! Simulator speed: how long one policy run takes on synthetic workloads, per engine.
//!
//! `cargo bench --bench simulator`; throughput is reported in tasks per second.

use coprep_policies::parse_policy;
use coprep_sim::{simulate, Engine, RunOptions};
use coprep_traces::{synth, Problem};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// The allocator the `coprep` binary runs with, so that these figures are its figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn problem(w: coprep_traces::Workload) -> Problem {
    Problem::from_workload(&w, None).expect("generated workloads are valid")
}

fn run(problem: &Problem, policy: &str, engine: Engine) -> f64 {
    let mut p = parse_policy(policy).expect("spec");
    let opts = RunOptions { engine, record_events: false, ..RunOptions::default() };
    simulate(problem, p.as_mut(), &opts).expect("runs").summary.makespan_s
}

fn analytic(c: &mut Criterion) {
    let mut group = c.benchmark_group("analytic");
    group.sample_size(10);
    for (name, p) in
        [("sweep-64", problem(synth::sweep(64, 8, 1))), ("mixed-1000", problem(synth::mixed(1000, 32, 6, 20.0, 1)))]
    {
        group.throughput(Throughput::Elements(p.tasks.len() as u64));
        for policy in ["fifo", "lpt", "min-makespan", "min-idle", "reestimate[base=min-makespan]"] {
            group.bench_with_input(BenchmarkId::new(policy, name), &p, |b, p| {
                b.iter(|| black_box(run(p, policy, Engine::Analytic)))
            });
        }
    }
    group.finish();
}

fn per_batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("per-batch");
    group.sample_size(10);
    let (_, p) = synth::default_problem();
    group.throughput(Throughput::Elements(p.tasks.len() as u64));
    for policy in ["fifo", "min-makespan"] {
        group.bench_with_input(BenchmarkId::new(policy, "sweep8"), &p, |b, p| {
            b.iter(|| black_box(run(p, policy, Engine::PerBatch)))
        });
    }
    group.finish();
}

criterion_group!(benches, analytic, per_batch);
criterion_main!(benches);
