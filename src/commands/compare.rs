//! `coprep compare`: several policies on one workload, side by side.

use super::{percent, run_options, secs, slug};
use crate::args::{CompareArgs, Format};
use crate::{inputs, table};
use anyhow::Result;
use coprep_policies::spec::DEFAULT_COMPARE;
use coprep_sim::records::SummaryRow;
use coprep_sim::{simulate, RunRecords};
use coprep_traces::io::write_atomic;

pub fn run(args: CompareArgs) -> Result<()> {
    let specs: Vec<String> = if args.policies.is_empty() {
        DEFAULT_COMPARE.iter().map(|s| s.to_string()).collect()
    } else {
        args.policies.iter().flat_map(|p| p.split_whitespace().map(str::to_string).collect::<Vec<_>>()).collect()
    };
    // Every spec is checked before anything runs, so a typo costs nothing; each needs a
    // directory of its own.
    let mut seen = std::collections::BTreeSet::new();
    for spec in &specs {
        if !seen.insert(slug(spec)) {
            return Err(coprep_traces::InputError::field(
                "--policies",
                format!("\"{spec}\" is given twice (or names the same directory as another)"),
            )
            .into());
        }
    }
    let mut policies = specs.iter().map(|s| coprep_policies::parse_policy(s)).collect::<Result<Vec<_>, _>>()?;
    let problem = inputs::load(&args.workload)?;
    let opts = run_options(args.run.engine, args.workload.seed, args.workload.noise, args.out.is_some());
    let runs: Vec<RunRecords> =
        policies.iter_mut().map(|p| simulate(&problem, p.as_mut(), &opts)).collect::<Result<_, _>>()?;
    let rows: Vec<SummaryRow> = runs.iter().map(|r| SummaryRow::from(&r.summary)).collect();
    let comparison_csv = {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in &rows {
            w.serialize(row)?;
        }
        w.into_inner()?
    };

    if let Some(dir) = &args.out {
        for (spec, run) in specs.iter().zip(&runs) {
            run.write(&dir.join(slug(spec)))?;
        }
        write_atomic(&dir.join("comparison.csv"), &comparison_csv)?;
    }
    match args.run.format {
        Format::Csv => print!("{}", String::from_utf8(comparison_csv)?),
        Format::Json => {
            let summaries: Vec<_> = runs.iter().map(|r| &r.summary).collect();
            println!("{}", serde_json::to_string_pretty(&summaries)?);
        }
        Format::Table => {
            let first = &runs[0].summary;
            let baseline = runs.iter().map(|r| &r.summary).find(|s| s.policy == "fifo").unwrap_or(first);
            let baseline_name = if baseline.policy == "fifo" { "fifo".to_string() } else { specs[0].clone() };
            println!(
                "\"{}\": {} tasks on {} processors, {} engine, seed {}, noise {}\n",
                first.workload, first.tasks, first.processors, first.engine, first.seed, first.noise_sigma
            );
            let table_rows: Vec<Vec<String>> = runs
                .iter()
                .zip(&specs)
                .map(|(r, spec)| {
                    let s = &r.summary;
                    vec![
                        spec.clone(),
                        secs(s.makespan_s),
                        format!("{:.2}x", s.makespan_s / baseline.makespan_s),
                        percent(s.gap_to_lower_bound),
                        secs(s.idle_s),
                        secs(s.stall_s),
                        secs(s.mean_jct_s),
                        secs(s.p95_jct_s),
                        secs(s.prep_work_s),
                        percent(s.prep_saved_fraction),
                        s.reassignments.to_string(),
                    ]
                })
                .collect();
            let vs = format!("vs {baseline_name}");
            print!(
                "{}",
                table::render(
                    &[
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
                        "moves"
                    ],
                    &table_rows
                )
            );
            println!(
                "\nlower bound on the makespan: {} s (no schedule finishes sooner); prep work without sharing: {} s",
                secs(first.lower_bound_s),
                secs(first.prep_work_unshared_s)
            );
            if let Some(dir) = &args.out {
                println!("records written to {}/<policy>/ and {}/comparison.csv", dir.display(), dir.display());
            }
        }
    }
    Ok(())
}
