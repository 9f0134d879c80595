//! Small cases worked out by hand.

use coprep_policies::parse_policy;
use coprep_sim::{simulate, Engine, RunOptions, RunRecords};
use coprep_traces::io::problem_from_str;
use coprep_traces::planner::{form_groups, prep_work, Cap};
use coprep_traces::{synth, Problem};

/// `tasks` copies of: 10 steps of 2 samples, 1 s per step, through one stage of 0.5 s per
/// sample, on `processors` processors.
fn tiny(tasks: usize, processors: u32) -> Problem {
    let list: Vec<String> = (0..tasks)
        .map(|i| {
            format!(
                r#"{{"id":"t{i}","dataset":"d","pipeline":"p","batch_size":2,"steps":10,"compute_s":{{"cpu":1.0}}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"name":"tiny","datasets":[{{"id":"d"}}],
        "pipelines":[{{"id":"p","stages":[{{"op":"decode","cost_s":{{"cpu":0.5}}}}]}}],
        "tasks":[{}],
        "cluster":{{"processors":[{{"name":"c","type":"cpu","count":{processors}}}],"buffer_batches":2}}}}"#,
        list.join(",")
    );
    problem_from_str(&text).expect("valid").1
}

fn run(problem: &Problem, policy: &str, engine: Engine) -> RunRecords {
    let mut p = parse_policy(policy).expect("spec");
    simulate(problem, p.as_mut(), &RunOptions { engine, ..RunOptions::default() }).expect("runs")
}

#[test]
fn one_task_alone() {
    // Each step: 2 samples x 0.5 s of preprocessing, then 1 s of compute: 2 s; 10 steps: 20 s.
    // The bound is the same: 10 s of compute plus 10 s of preprocessing on one processor.
    let p = tiny(1, 1);
    for engine in [Engine::Analytic, Engine::PerBatch] {
        let s = run(&p, "fifo", engine).summary;
        assert!((s.makespan_s - 20.0).abs() < 1e-6, "{}: {}", engine.name(), s.makespan_s);
        assert!((s.lower_bound_s - 20.0).abs() < 1e-9);
        assert!((s.prep_work_s - 10.0).abs() < 1e-6);
    }
}

#[test]
fn two_tasks_sharing_one_processor() {
    // fifo: one after the other, 20 s each: 40 s, 20 s of preprocessing.
    // Shared: per batch 1 s of preprocessing once, then 1 s of compute for each task: 3 s per
    // step, 30 s, 10 s of preprocessing (half saved). Bound: 20 s compute + 10 s prep = 30 s.
    let p = tiny(2, 1);
    for engine in [Engine::Analytic, Engine::PerBatch] {
        let fifo = run(&p, "fifo", engine).summary;
        assert!((fifo.makespan_s - 40.0).abs() < 1e-6, "{}: {}", engine.name(), fifo.makespan_s);
        assert!((fifo.prep_work_s - 20.0).abs() < 1e-6);
        let shared = run(&p, "min-makespan", engine).summary;
        assert!((shared.makespan_s - 30.0).abs() < 1e-6, "{}: {}", engine.name(), shared.makespan_s);
        assert!((shared.lower_bound_s - 30.0).abs() < 1e-9);
        assert!((shared.prep_saved_fraction - 0.5).abs() < 1e-9);
        // Mean JCT without sharing: 20 s and 40 s. With sharing the analytic engine finishes
        // both at 30 s; the per-batch engine runs the last batch's steps one after the other
        // (29 s and 30 s).
        assert!((fifo.mean_jct_s - 30.0).abs() < 1e-6);
        let expected = if engine == Engine::Analytic { 30.0 } else { 29.5 };
        assert!((shared.mean_jct_s - expected).abs() < 1e-6, "{}: {}", engine.name(), shared.mean_jct_s);
    }
}

#[test]
fn two_tasks_sharing_two_processors() {
    // Shared over two processors, a consumer on each, preprocessing split evenly: each
    // processor per batch does 0.5 s of preprocessing and 1 s of compute: 15 s.
    // The bound: (20 s compute + 10 s prep) / 2 = 15 s.
    let p = tiny(2, 2);
    let s = run(&p, "min-makespan", Engine::Analytic).summary;
    assert!((s.makespan_s - 15.0).abs() < 1e-6, "{}", s.makespan_s);
    assert!((s.lower_bound_s - 15.0).abs() < 1e-9);
    // Without sharing each task has a processor: 20 s.
    assert!((run(&p, "fifo", Engine::Analytic).summary.makespan_s - 20.0).abs() < 1e-6);
}

#[test]
fn default_workload_savings_by_hand() {
    // Shared tree per sample: decode 3e-4 + crop 1e-4 + flip 5e-5 + normalize 1e-4
    // + jitter 1e-4 + normalize 1e-4 = 7.5e-4 s, for the longest task's 2400 x 256 samples:
    // 460.8 s. Unshared: 8800 x 256 samples at 5.5e-4 s and 8400 x 256 at 6.5e-4 s: 2636.8 s.
    let (_, p) = synth::default_problem();
    let all: Vec<usize> = (0..p.tasks.len()).collect();
    let (shared, unshared) = prep_work(&p, &form_groups(&p, &all, Cap::Unlimited, 4));
    assert!((shared / 1e9 - 460.8).abs() < 1e-6, "{}", shared / 1e9);
    assert!((unshared / 1e9 - 2636.8).abs() < 1e-6, "{}", unshared / 1e9);
}
