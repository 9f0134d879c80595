//! The analytic engine checked against the per-batch engine.

use crate::util::shapes;
use coprep_policies::parse_policy;
use coprep_sim::{simulate, Engine, RunOptions};
use coprep_traces::{synth, Problem};
use proptest::prelude::*;

fn makespan(problem: &Problem, policy: &str, engine: Engine) -> f64 {
    let mut p = parse_policy(policy).expect("spec");
    simulate(problem, p.as_mut(), &RunOptions { engine, record_events: false, ..RunOptions::default() })
        .expect("runs")
        .summary
        .makespan_s
}

proptest! {
    #![proptest_config(crate::util::config(32))]

    /// Without sharing, one task per processor: a step is its batch's preprocessing then its
    /// compute on the same processor, in both engines, so they agree to the rounding of phases.
    #[test]
    fn fifo_agrees(mut shape in shapes(60)) {
        for t in &mut shape.tasks {
            t.6 = 1;
        }
        let problem = shape.problem();
        let a = makespan(&problem, "fifo", Engine::Analytic);
        let b = makespan(&problem, "fifo", Engine::PerBatch);
        prop_assert!((a - b).abs() <= 1e-6 * a.max(1.0), "analytic {a} vs per-batch {b}");
    }
}

/// The default sweep, shared, time-shared and spread over all processors: the engines agree
/// within 1% (the per-batch engine pays for pipeline fill and batch granularity).
#[test]
fn shared_sweep_agrees_within_one_percent() {
    let (_, problem) = synth::default_problem();
    for policy in ["fifo", "min-makespan", "min-idle"] {
        let a = makespan(&problem, policy, Engine::Analytic);
        let b = makespan(&problem, policy, Engine::PerBatch);
        assert!((a - b).abs() <= 0.01 * a, "{policy}: analytic {a} vs per-batch {b}");
    }
}

/// A small buffer costs the per-batch engine pipeline bubbles the analytic engine does not see:
/// it is never faster than the analytic engine's bound-free pace by more than rounding.
#[test]
fn per_batch_is_never_much_faster_than_analytic() {
    let (_, mut problem) = synth::default_problem();
    problem.buffer_batches = 2;
    for policy in ["min-makespan", "min-idle"] {
        let a = makespan(&problem, policy, Engine::Analytic);
        let b = makespan(&problem, policy, Engine::PerBatch);
        assert!(b >= a * 0.995, "{policy}: per-batch {b} much below analytic {a}");
    }
}

/// Five tasks on two processors whose steps take far longer than estimated, moves free: the
/// executor's default run on an H100 with two slots per device, where `reestimate` moves a
/// task while one of its steps is running. The per-batch engine (the executor's loop) used to
/// start the moved task's next step beside the running one, and the first to end freed the
/// wrong processor: the run stalled with every task unfinished (19 of 40 seeds).
#[test]
fn a_task_moved_mid_step_finishes_that_step_first() {
    let task = |i: usize| {
        format!(
            r#"{{"id": "t{i}", "arrival_s": 0, "dataset": "bars", "pipeline": "aug", "batch_size": 50, "steps": 40,
                "compute_s": {{"gpu": 6e-4}}, "memory_gb": 0, "processors": 1}}"#
        )
    };
    let workload = format!(
        r#"{{"name": "moves mid-step", "datasets": [{{"id": "bars", "samples": 50, "sample_bytes": 1728}}],
            "pipelines": [{{"id": "aug", "stages": [
                {{"op": "decode", "params": {{}}, "cost_s": {{"gpu": 1e-6}}, "out_bytes": 1728}},
                {{"op": "noise", "params": {{}}, "cost_s": {{"gpu": 1e-6}}, "out_bytes": 1728}}]}}],
            "tasks": [{}],
            "cluster": {{"processors": [{{"name": "p", "type": "gpu", "count": 2}}], "buffer_batches": 4, "migration_s": 0}}}}"#,
        (0..5).map(task).collect::<Vec<_>>().join(",")
    );
    let (_, base) = coprep_traces::io::problem_from_str(&workload).expect("valid");
    let mut moved = 0;
    for seed in 1..=40 {
        let mut problem = base.clone();
        coprep_traces::actuals::apply_noise(&mut problem, 0.5, seed).expect("valid sigma");
        let mut policy = parse_policy("reestimate").expect("spec");
        let opts = RunOptions { engine: Engine::PerBatch, seed, noise_sigma: 0.5, record_events: false };
        let records = simulate(&problem, policy.as_mut(), &opts).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // (A stalled run is an error, `Stuck`: every task finished here.)
        moved += records.jobs.iter().filter(|j| j.moves > 0).count();
    }
    assert!(moved > 0, "no task moved: the test no longer covers a move during a step");
}
