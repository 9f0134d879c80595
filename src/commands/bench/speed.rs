//! `coprep bench speed`: simulator speed at scale. Each (size, policy) runs in a child process
//! of this binary, so that the peak memory reported (the kernel's high-water mark of resident
//! memory, which includes building the workload) is that run's alone.

use crate::args::SpeedArgs;
use crate::table;
use anyhow::{bail, Context, Result};
use coprep_sim::{simulate, RunOptions};
use coprep_traces::{synth, Problem};
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::time::Instant;

/// What one run measured.
#[derive(Debug, Serialize, Deserialize)]
struct Measured {
    tasks: usize,
    processors: usize,
    policy: String,
    events: u64,
    simulate_s: f64,
    build_s: f64,
    peak_rss_mb: f64,
    makespan_s: f64,
    /// When the last task arrives: a makespan far beyond it means the queue grew.
    last_arrival_s: f64,
}

/// The benchmark workload: `mixed` (6 datasets with shared augmentation prefixes, gangs of 1–8,
/// two GPU types, memory limits) on `processors` GPUs, its arrivals spread so that the compute
/// offered is `load` of what the cluster can do (computed from the generated tasks, at the fast
/// type's speed, the slow type counting 1/2.5), whatever the task count. Preprocessing comes on
/// top: at 0.9 the queue grows through the run.
pub fn workload(tasks: usize, processors: u32, load: f64, seed: u64) -> coprep_traces::Workload {
    let mut w = synth::mixed(tasks, processors, 6, 1.0, seed);
    let work: f64 = w.tasks.iter().map(|t| t.processors as f64 * t.steps as f64 * t.compute_s["fast"]).sum();
    let capacity: f64 =
        w.cluster.processors.iter().map(|p| p.count as f64 * if p.kind == "fast" { 1.0 } else { 1.0 / 2.5 }).sum();
    let span = work / (load * capacity);
    let last = w.tasks.last().map_or(1.0, |t| t.arrival_s).max(1e-9);
    for t in &mut w.tasks {
        t.arrival_s = (t.arrival_s * span / last * 1e3).round() / 1e3;
    }
    w
}

pub fn run(args: SpeedArgs) -> Result<()> {
    if let Some(one) = &args.one {
        return run_one(one, args.processors, args.load, args.seed);
    }
    let policies = if args.policies.is_empty() {
        vec!["fifo".into(), "lpt".into(), "min-makespan".into(), "min-idle".into(), "reestimate".into()]
    } else {
        args.policies.clone()
    };
    for spec in &policies {
        coprep_policies::parse_policy(spec)?;
    }
    let exe = std::env::current_exe().context("finding this program to run each measurement in")?;
    let mut rows = Vec::new();
    for &tasks in &args.tasks {
        for policy in &policies {
            eprintln!("running {policy} on {tasks} tasks ...");
            let out = Command::new(&exe)
                .args(["bench", "speed", "--processors", &args.processors.to_string()])
                .args(["--load", &args.load.to_string()])
                .args(["--seed", &args.seed.to_string(), "--one", &format!("{tasks}:{policy}")])
                .output()
                .context("running a measurement")?;
            if !out.status.success() {
                bail!("{policy} on {tasks} tasks failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
            let m: Measured = serde_json::from_slice(&out.stdout).context("reading a measurement")?;
            rows.push(vec![
                m.tasks.to_string(),
                m.processors.to_string(),
                m.policy.clone(),
                m.events.to_string(),
                format!("{:.2}s", m.simulate_s),
                format!("{:.0}", m.events as f64 / m.simulate_s),
                format!("{:.0}", m.tasks as f64 / m.simulate_s),
                format!("{:.2}s", m.build_s),
                format!("{:.0}", m.peak_rss_mb),
                format!("{:.2}", m.makespan_s / m.last_arrival_s.max(1e-9)),
            ]);
        }
    }
    let header = [
        "tasks",
        "GPUs",
        "policy",
        "events",
        "simulate",
        "events/s",
        "tasks/s",
        "build",
        "peak MB",
        "makespan/arrivals",
    ];
    print!("{}", table::render(&header, &rows));
    println!(
        "\nworkload: `mixed` (6 datasets, gangs 1-8, two GPU types), arrivals spread to offer {:.0}% of the \
         cluster's compute (preprocessing comes on top); build = generating and validating it; \
         peak MB = the run's peak resident memory, build included; makespan/arrivals = the makespan \
         over the last arrival (well above 1: the queue grew through the run).",
        args.load * 100.0
    );
    Ok(())
}

/// One measurement, printed as JSON for the parent.
fn run_one(spec: &str, processors: u32, load: f64, seed: u64) -> Result<()> {
    let (tasks, policy) = spec.split_once(':').context("--one takes TASKS:POLICY")?;
    let tasks: usize = tasks.parse().context("--one takes TASKS:POLICY")?;
    let start = Instant::now();
    // The workload is dropped once built into a problem: the run's peak memory is the
    // simulator's, not the generator's (400 MB more at 1M tasks).
    let (problem, last_arrival_s) = {
        let workload = workload(tasks, processors, load, seed);
        let last_arrival_s = workload.tasks.iter().map(|t| t.arrival_s).fold(0.0, f64::max);
        (Problem::from_workload(&workload, None)?, last_arrival_s)
    };
    let build_s = start.elapsed().as_secs_f64();
    let mut p = coprep_policies::parse_policy(policy)?;
    let opts = RunOptions { record_events: false, ..RunOptions::default() };
    let start = Instant::now();
    let records = simulate(&problem, p.as_mut(), &opts)?;
    let simulate_s = start.elapsed().as_secs_f64();
    let m = Measured {
        tasks,
        processors: problem.processors.len(),
        policy: policy.to_string(),
        events: records.summary.engine_events,
        simulate_s,
        build_s,
        peak_rss_mb: peak_rss_mb(),
        makespan_s: records.summary.makespan_s,
        last_arrival_s,
    };
    println!("{}", serde_json::to_string(&m)?);
    Ok(())
}

/// The process's peak resident memory (Linux: VmHWM in /proc/self/status); 0 where unknown.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
