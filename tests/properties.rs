//! Invariants over many seeded random workloads, for every policy on both engines.

use crate::util::{config, shapes, Shape};
use coprep_policies::assign::Item;
use coprep_policies::improve::improve;
use coprep_policies::list_schedule::lpt;
use coprep_policies::parse_policy;
use coprep_policies::room::Room;
use coprep_sim::{simulate, Engine, EventRecord, RunOptions, RunRecords};
use proptest::prelude::*;
use std::collections::BTreeMap;

const POLICIES: &[&str] =
    &["fifo", "lpt", "min-makespan", "min-makespan[cap=2]", "min-idle", "min-idle[cap=1]", "reestimate[base=min-idle]"];

fn run(shape: &Shape, policy: &str, engine: Engine) -> RunRecords {
    let problem = shape.problem();
    let mut p = parse_policy(policy).expect("valid spec");
    simulate(&problem, p.as_mut(), &RunOptions { engine, ..RunOptions::default() })
        .unwrap_or_else(|e| panic!("{policy}: {e}"))
}

/// Checks every invariant of one run.
fn check(shape: &Shape, policy: &str, engine: Engine) -> Result<(), TestCaseError> {
    let problem = shape.problem();
    let r = run(shape, policy, engine);
    let s = &r.summary;
    let what = format!("{policy} on {}", engine.name());

    // Every task completes, and no faster than its own steps allow.
    prop_assert_eq!(r.jobs.len(), problem.tasks.len());
    for (job, task) in r.jobs.iter().zip(&problem.tasks) {
        prop_assert_eq!(&job.final_state, "COMPLETED_SUCCESSFULLY");
        let fastest = task.steps as f64 * task.compute_s[0].expect("gpu") * task.actual_compute_factor;
        prop_assert!(
            job.execution_time >= fastest * (1.0 - 1e-9) - 1e-6,
            "{what}: {} ran {} s, its steps need {fastest} s",
            job.job_id,
            job.execution_time
        );
    }
    // The makespan is never below the lower bound.
    prop_assert!(
        s.makespan_s >= s.lower_bound_s * (1.0 - 1e-9) - 1e-6,
        "{what}: makespan {} < bound {}",
        s.makespan_s,
        s.lower_bound_s
    );
    // Sharing never increases preprocessing work. The engines keep time in whole nanoseconds,
    // rounding each event up to the next one (a task is never reported done before its work
    // is): a stream may run up to a nanosecond past what its readers need at every event, on
    // every processor, and that work is counted (it cannot exceed a nanosecond per processor
    // per event, since work is counted at the cheapest processor's cost).
    let rounding = r.events.len() as f64 * s.processors as f64 * 1e-9;
    prop_assert!(
        s.prep_work_s <= s.prep_work_unshared_s * (1.0 + 1e-9) + rounding + 1e-9,
        "{what}: prep {} > unshared {}",
        s.prep_work_s,
        s.prep_work_unshared_s
    );
    // Time accounting: busy + idle + stall = processors x makespan.
    let accounted = s.busy_s + s.idle_s + s.stall_s;
    prop_assert!(
        (accounted - s.processors as f64 * s.makespan_s).abs() <= 1e-6 * accounted.max(1.0),
        "{what}: {accounted} accounted"
    );

    match engine {
        Engine::Analytic => {
            // No processor is ever more than fully busy.
            for e in &r.events {
                if let EventRecord::Rates { utilisation, time, .. } = e {
                    for (p, u) in utilisation.iter().enumerate() {
                        prop_assert!(*u <= 1.0 + 1e-9, "{what}: processor {p} at {u} at {time}");
                    }
                }
            }
        }
        Engine::PerBatch => {
            // No processor runs two phases at once, and every task runs exactly its steps.
            let mut running: BTreeMap<String, f64> = BTreeMap::new();
            let mut steps: BTreeMap<String, u64> = BTreeMap::new();
            for e in &r.events {
                match e {
                    EventRecord::PhaseStarted { processors, time, .. } => {
                        for p in processors {
                            prop_assert!(
                                running.insert(p.clone(), *time).is_none(),
                                "{what}: {p} starts a second phase at {time}"
                            );
                        }
                    }
                    EventRecord::PhaseFinished { processors, task, .. } => {
                        for p in processors {
                            running.remove(p);
                        }
                        if let Some(t) = task {
                            *steps.entry(t.clone()).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
            for task in &problem.tasks {
                prop_assert_eq!(steps.get(&task.id).copied().unwrap_or(0), task.steps, "{}: {}", what, task.id);
            }
            // Buffers never exceed their capacity.
            prop_assert!(
                s.buffer_peak_batches <= problem.buffer_batches as f64 + 1e-9,
                "{what}: buffer {} > {}",
                s.buffer_peak_batches,
                problem.buffer_batches
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn invariants_hold_on_the_analytic_engine(shape in shapes(2000)) {
        for policy in POLICIES {
            check(&shape, policy, Engine::Analytic)?;
        }
    }

    #[test]
    fn invariants_hold_on_the_per_batch_engine(shape in shapes(40)) {
        for policy in POLICIES {
            check(&shape, policy, Engine::PerBatch)?;
        }
    }

    /// With exact estimates, re-estimation learns nothing and must not change the schedule.
    #[test]
    fn reestimate_with_exact_estimates_is_its_base(shape in shapes(200)) {
        for base in ["fifo", "lpt", "min-makespan", "min-idle[cap=2]"] {
            for engine in [Engine::Analytic, Engine::PerBatch] {
                let plain = run(&shape, base, engine);
                let wrapped = run(&shape, &format!("reestimate[base={base}]"), engine);
                prop_assert_eq!(plain.jobs_csv(), wrapped.jobs_csv());
                // The wrapper asks for progress reports (engines skip them for policies that do
                // not read them); everything else happens exactly as under its base.
                let without_progress = |r: &RunRecords| -> String {
                    let text = String::from_utf8(r.events_jsonl()).expect("utf-8");
                    text.lines().filter(|l| !l.contains("\"type\":\"progress\"")).collect::<Vec<_>>().join("\n")
                };
                prop_assert_eq!(without_progress(&plain), without_progress(&wrapped));
            }
        }
    }

    /// The same inputs give byte-identical records.
    #[test]
    fn runs_are_deterministic(shape in shapes(100)) {
        for policy in ["min-makespan", "reestimate[base=min-idle]"] {
            for engine in [Engine::Analytic, Engine::PerBatch] {
                let a = run(&shape, policy, engine);
                let b = run(&shape, policy, engine);
                prop_assert_eq!(a.summary_json(), b.summary_json());
                prop_assert_eq!(a.jobs_csv(), b.jobs_csv());
                prop_assert_eq!(a.events_jsonl(), b.events_jsonl());
            }
        }
    }

    /// The improvement search never makes LPT's assignment worse.
    #[test]
    fn improvement_never_worse_than_lpt(sizes in prop::collection::vec(1u32..1000, 1..60), procs in 1usize..8) {
        let items: Vec<Item> = sizes.iter().enumerate().map(|(t, &s)| Item { task: t, gang: 1, cost: vec![Some(s as f64); procs].into(), memory: 0.0, group: None, stream: None, duration: None }).collect();
        let (mut loads, mut mem) = (vec![0.0; procs], Room::memory_only(vec![f64::INFINITY; procs]));
        let (mut placement, reserved) = lpt(&items, &mut loads, &mut mem, None);
        let before = loads.iter().cloned().fold(0.0, f64::max);
        improve(&items, &mut placement, &mut loads, &mut mem, &reserved, 10_000);
        let after = loads.iter().cloned().fold(0.0, f64::max);
        prop_assert!(after <= before);
        // The loads it reports are the loads of the placement it returns.
        let mut check = vec![0.0; procs];
        for (i, p) in placement.iter().enumerate() {
            check[p.as_ref().expect("fits")[0]] += items[i].cost[0].expect("runs");
        }
        for (a, b) in check.iter().zip(&loads) {
            prop_assert!((a - b).abs() < 1e-6);
        }
    }

    /// In the simulator too: no sharing, all tasks at once, identical processors and no memory
    /// limit make the simulated makespan the assignment's maximum load, and min-makespan's is
    /// never above lpt's.
    #[test]
    fn min_makespan_never_worse_than_lpt_in_simulation(mut shape in shapes(2000)) {
        shape.memory = None;
        for t in &mut shape.tasks {
            t.5 = 0.0;
            t.6 = 1;
        }
        let lpt = run(&shape, "lpt", Engine::Analytic).summary.makespan_s;
        let mm = run(&shape, "min-makespan[cap=1]", Engine::Analytic).summary.makespan_s;
        prop_assert!(mm <= lpt * (1.0 + 1e-9) + 1e-6, "min-makespan {mm} > lpt {lpt}");
    }
}
