//! `coprep run`: train a workload's tasks on the machine's GPUs under a policy, then replay the
//! recorded trace in the simulator to see how well it predicts the measured makespan.

use super::secs;
use crate::args::ExecArgs;
use crate::table;
use anyhow::{Context, Result};
use coprep_exec::run::{run as execute, RunReport, RunSetup};
use coprep_exec::workload::{self, Loaded};
use coprep_sim::{simulate, Engine, RunOptions};
use coprep_traces::io::{write_atomic, write_workload};
use coprep_traces::Problem;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The recorded trace replayed under the same policy.
#[derive(Debug, Serialize)]
struct Replay {
    measured_makespan_s: f64,
    analytic_makespan_s: f64,
    per_batch_makespan_s: f64,
    /// (analytic - measured) / measured.
    analytic_error: f64,
    per_batch_error: f64,
}

pub fn run(args: ExecArgs) -> Result<()> {
    // Check the policy before opening any device.
    coprep_policies::parse_policy(&args.policy)?;
    let loaded = match &args.workload {
        Some(path) => workload::read(path)?,
        None => workload::load(workload::embedded_default(), Path::new("."), None)?,
    };
    if args.slots_per_device == 0 {
        anyhow::bail!(coprep_traces::InputError::field("--slots-per-device", "must be at least 1"));
    }
    // The first Ctrl-C asks for a clean stop (running phases finish, records are written); a
    // second one ends the process at once.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())?;
        signal_hook::flag::register(signal, stop.clone())?;
    }
    let setup =
        RunSetup { slots_per_device: args.slots_per_device, devices: args.devices.clone(), record_events: true };
    eprintln!("{}: {} tasks, policy {}", loaded.spec.name, loaded.tasks.len(), args.policy);
    let bars = progress_bars(&loaded);
    let hook_bars = bars.clone();
    let hook = Box::new(move |task: usize, done: u64, loss: f32| {
        let bar = &hook_bars[task];
        bar.set_message(format!("loss {loss:.3}"));
        bar.set_position(done);
        if Some(done) == bar.length() {
            bar.finish();
        }
    });
    let mut policy = coprep_policies::parse_policy(&args.policy)?;
    let report = execute(&loaded, policy.as_mut(), &setup, stop, Some(hook)).context("running the workload")?;
    for bar in &bars {
        bar.finish_and_clear();
    }
    let failed = report.tasks.iter().filter(|t| t.final_state == "COMPLETED_FAILED").count();
    // A replay predicts the whole run: only meaningful when every task ran to its end.
    let replay = if report.stats.stopped || failed > 0 { None } else { Some(replay(&report, &args.policy)?) };
    if let Some(dir) = &args.out {
        write(dir, &report, replay.as_ref())?;
    }
    print_report(&loaded, &report, replay.as_ref(), args.out.as_deref());
    if report.stats.stopped {
        eprintln!("stopped: the records hold every task finished before the stop (the rest are COMPLETED_KILLED)");
        std::process::exit(130);
    }
    if failed > 0 {
        // The run itself went through; the exit status still tells scripts that tasks failed.
        eprintln!("coprep: {failed} task(s) failed (see above; the records have the whole error)");
        std::process::exit(1);
    }
    Ok(())
}

fn progress_bars(loaded: &Loaded) -> Vec<ProgressBar> {
    let multi = MultiProgress::new();
    let width = loaded.tasks.iter().map(|t| t.id.len()).max().unwrap_or(4);
    let style =
        ProgressStyle::with_template(&format!("{{prefix:<{width}}} [{{bar:30}}] {{pos}}/{{len}} steps {{msg}}"))
            .expect("a valid template")
            .progress_chars("=> ");
    loaded
        .tasks
        .iter()
        .map(|t| {
            let bar = multi.add(ProgressBar::new(t.steps));
            bar.set_style(style.clone());
            bar.set_prefix(t.id.clone());
            bar
        })
        .collect()
}

/// Simulates the recorded trace under the same policy on both engines.
fn replay(report: &RunReport, policy: &str) -> Result<Replay> {
    let problem = Problem::from_workload(&report.trace, None)?;
    let makespan = |engine| -> Result<f64> {
        let mut p = coprep_policies::parse_policy(policy)?;
        let opts = RunOptions { engine, record_events: false, ..RunOptions::default() };
        Ok(simulate(&problem, p.as_mut(), &opts)?.summary.makespan_s)
    };
    let analytic = makespan(Engine::Analytic)?;
    let per_batch = makespan(Engine::PerBatch)?;
    let measured = report.records.summary.makespan_s;
    Ok(Replay {
        measured_makespan_s: measured,
        analytic_makespan_s: analytic,
        per_batch_makespan_s: per_batch,
        analytic_error: analytic / measured - 1.0,
        per_batch_error: per_batch / measured - 1.0,
    })
}

fn write(dir: &Path, report: &RunReport, replay: Option<&Replay>) -> Result<()> {
    report.records.write(dir)?;
    let mut tasks = csv::Writer::from_writer(Vec::new());
    for t in &report.tasks {
        tasks.serialize(t)?;
    }
    write_atomic(&dir.join("tasks.csv"), &tasks.into_inner()?)?;
    write_workload(&dir.join("trace.json"), &report.trace)?;
    write_workload(&dir.join("estimates.json"), &report.estimates)?;
    let executor = serde_json::json!({ "stats": report.stats, "replay": replay });
    write_atomic(&dir.join("executor.json"), format!("{}\n", serde_json::to_string_pretty(&executor)?).as_bytes())?;
    Ok(())
}

fn print_report(loaded: &Loaded, report: &RunReport, replay: Option<&Replay>, out: Option<&Path>) {
    let s = &report.stats;
    println!(
        "{} on {} ({} processor{}; calibration {} s, run {} s)\n",
        report.records.summary.policy,
        s.devices.join(", "),
        s.processors,
        if s.processors == 1 { "" } else { "s" },
        secs(s.calibration_s),
        secs(s.run_s)
    );
    let opt = |x: Option<f32>, f: fn(f32) -> String| x.map_or("-".to_string(), f);
    let rows: Vec<Vec<String>> = report
        .tasks
        .iter()
        .zip(&report.records.jobs)
        .map(|(t, job)| {
            vec![
                t.task.clone(),
                match t.final_state.as_str() {
                    "COMPLETED_SUCCESSFULLY" => "done".to_string(),
                    other => other.trim_start_matches("COMPLETED_").to_lowercase(),
                },
                format!("{}/{}", t.steps_done, t.steps),
                format!("{} -> {}", opt(t.first_loss, |l| format!("{l:.3}")), opt(t.final_loss, |l| format!("{l:.3}"))),
                opt(t.held_out_accuracy, |a| format!("{:.1}%", a * 100.0)),
                t.mean_step_s.map_or("-".into(), |x| format!("{:.1}", x * 1e3)),
                format!("{} -> {}", secs(job.starting_time), secs(job.finish_time)),
                job.allocated_resources.clone(),
            ]
        })
        .collect();
    let header = ["task", "state", "steps", "loss first -> last", "held-out acc", "ms/step", "start -> end s", "on"];
    print!("{}", table::render(&header, &rows));
    for t in report.tasks.iter().filter(|t| !t.error.is_empty()) {
        // wgpu's messages run over several lines (tasks.csv keeps them whole): the first and
        // the one that says what is wrong.
        let mut lines = t.error.lines().map(str::trim);
        let first = lines.next().unwrap_or_default();
        match lines.find(|l| l.contains("error:")) {
            Some(cause) => println!("  {} failed: {first} {cause}", t.task),
            None => println!("  {} failed: {first}", t.task),
        }
    }
    let streams = report.records.summary.groups;
    let saved = if s.samples_read > 0 { 1.0 - s.prep_samples as f64 / s.samples_read as f64 } else { 0.0 };
    println!(
        "\nmakespan {} s; {} stream(s) for {} tasks: {} samples preprocessed for {} read ({:.0}% saved), {} prep phases, {} prep kernel dispatches",
        secs(report.records.summary.makespan_s),
        streams,
        loaded.tasks.len(),
        s.prep_samples,
        s.samples_read,
        saved * 100.0,
        s.prep_phases,
        s.prep_dispatches
    );
    if replay.is_none() && !s.stopped {
        println!("(the recorded trace was not replayed: tasks failed, so the run is not the whole workload)");
    }
    if let Some(r) = replay {
        println!(
            "replaying the recorded trace predicts {} s (analytic engine, {:+.1}%) and {} s (per-batch, {:+.1}%)",
            secs(r.analytic_makespan_s),
            r.analytic_error * 100.0,
            secs(r.per_batch_makespan_s),
            r.per_batch_error * 100.0
        );
    }
    if let Some(dir) = out {
        println!("records, tasks.csv and the recorded trace (trace.json) written to {}", dir.display());
    }
}
