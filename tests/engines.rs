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
    #![proptest_config(ProptestConfig { cases: crate::util::cases(32), ..ProptestConfig::default() })]

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
