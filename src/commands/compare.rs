//! `coprep compare`: several policies on one workload, side by side, over one or more seeds.

use super::{percent, run_options, secs};
use crate::args::{CompareArgs, Format};
use crate::{inputs, table};
use anyhow::Result;
use coprep_policies::spec::DEFAULT_COMPARE;
use coprep_reports::comparison::aggregate;
use coprep_reports::layout::write_comparison;
use coprep_reports::render::slug;
use coprep_reports::{draw_report, Run, RunSet};
use coprep_sim::records::SummaryRow;
use coprep_sim::simulate;
use coprep_traces::InputError;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

pub fn run(args: CompareArgs) -> Result<()> {
    let specs: Vec<String> = if args.policies.is_empty() {
        DEFAULT_COMPARE.iter().map(|s| s.to_string()).collect()
    } else {
        args.policies.iter().flat_map(|p| p.split_whitespace().map(str::to_string).collect::<Vec<_>>()).collect()
    };
    // Everything is checked before anything runs, so a typo costs nothing; each policy needs
    // a directory of its own.
    let mut seen = std::collections::BTreeSet::new();
    for spec in &specs {
        coprep_policies::parse_policy(spec)?;
        if !seen.insert(slug(spec)) {
            return Err(InputError::field(
                "--policies",
                format!("\"{spec}\" is given twice (or names the same directory as another)"),
            )
            .into());
        }
    }
    if args.seeds == 0 {
        return Err(InputError::field("--seeds", "0 is not valid; expected at least 1").into());
    }
    let w = &args.workload;
    let base = inputs::load_base(w)?;
    inputs::with_noise(&base, w.noise, w.seed)?;
    if args.seeds > 1 && w.noise == 0.0 && base.tasks.iter().all(|t| !t.compute_recorded) {
        eprintln!("note: --noise is 0, so every seed gives the same run (the intervals will be empty)");
    }

    let jobs: Vec<(usize, u64)> =
        (0..specs.len()).flat_map(|i| (0..args.seeds).map(move |k| (i, w.seed + k))).collect();
    let bar = ProgressBar::new(jobs.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} runs {elapsed}").expect("valid template"));
    let record_events = args.out.is_some();
    let results: Vec<Result<Run>> = jobs
        .par_iter()
        .map(|&(i, seed)| {
            let problem = inputs::for_run(&base, w, w.noise, seed)?;
            let mut policy = coprep_policies::parse_policy(&specs[i])?;
            let records =
                simulate(&problem, policy.as_mut(), &run_options(args.run.engine, seed, w.noise, record_events))?;
            bar.inc(1);
            Ok(Run { label: specs[i].clone(), summary: records.summary, jobs: records.jobs, events: records.events })
        })
        .collect();
    bar.finish_and_clear();
    let runs = RunSet { runs: results.into_iter().collect::<Result<_>>()? };

    if let Some(dir) = &args.out {
        write_comparison(dir, &runs)?;
        draw_report(&runs, dir, args.png)?;
    }
    match args.run.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            for run in &runs.runs {
                w.serialize(SummaryRow::from(&run.summary))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let summaries: Vec<_> = runs.runs.iter().map(|r| &r.summary).collect();
            println!("{}", serde_json::to_string_pretty(&summaries)?);
        }
        Format::Table => print_table(&runs, args.seeds, args.out.as_deref()),
    }
    Ok(())
}

fn print_table(runs: &RunSet, seeds: u64, out: Option<&std::path::Path>) {
    let first = &runs.runs[0].summary;
    let rows = aggregate(runs);
    let seed_text = if seeds > 1 {
        format!("seeds {}..{}", first.seed, first.seed + seeds - 1)
    } else {
        format!("seed {}", first.seed)
    };
    println!(
        "\"{}\": {} tasks on {} processors, {} engine, {seed_text}, noise {}\n",
        first.workload, first.tasks, first.processors, first.engine, first.noise_sigma
    );
    let baseline = rows.iter().position(|r| r.policy == "fifo").unwrap_or(0);
    let makespan = |r: &coprep_reports::comparison::Aggregate| r.stats[0];
    let moves: Vec<f64> = rows
        .iter()
        .map(|r| runs.of(&r.policy).map(|run| run.summary.reassignments as f64).sum::<f64>() / r.runs as f64)
        .collect();
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .zip(&moves)
        .map(|(r, moves)| {
            let m = makespan(r);
            let makespan_text =
                if r.runs > 1 { format!("{} ± {}", secs(m.mean), secs(m.half_width)) } else { secs(m.mean) };
            vec![
                r.policy.clone(),
                makespan_text,
                format!("{:.2}x", m.mean / makespan(&rows[baseline]).mean),
                percent(m.mean / r.lower_bound_s - 1.0),
                secs(r.stats[1].mean),
                secs(r.stats[2].mean),
                secs(r.stats[3].mean),
                secs(r.stats[4].mean),
                secs(r.stats[5].mean),
                percent(r.prep_saved_fraction),
                if moves.fract() == 0.0 { format!("{moves:.0}") } else { format!("{moves:.1}") },
            ]
        })
        .collect();
    let vs = format!("vs {}", rows[baseline].policy);
    let header = [
        "policy",
        "makespan s",
        &vs,
        "gap to LB",
        "idle s",
        "stall s",
        "mean JCT s",
        "p95 JCT s",
        "prep work s",
        "prep saved",
        "moves",
    ];
    print!("{}", table::render(&header, &table_rows));
    if seeds > 1 {
        println!("\nmeans over {seeds} seeds; makespan ± half-width of its 95% confidence interval (Student's t)");
    }
    let mean = |f: fn(&coprep_sim::Summary) -> f64| {
        runs.runs.iter().map(|r| f(&r.summary)).sum::<f64>() / runs.runs.len() as f64
    };
    let over = if seeds > 1 { " (means over seeds)" } else { "" };
    println!(
        "\nlower bound on the makespan: {} s (no schedule finishes sooner); prep work without sharing: {} s{over}",
        secs(mean(|s| s.lower_bound_s)),
        secs(mean(|s| s.prep_work_unshared_s))
    );
    if let Some(dir) = out {
        println!("records, comparison.csv, plots/ and report.html written to {}", dir.display());
    }
}
