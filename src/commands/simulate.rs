//! `coprep simulate`: one policy, one workload.

use super::{percent, run_options, secs};
use crate::args::{Format, SimulateArgs};
use crate::{inputs, table};
use anyhow::Result;
use coprep_sim::records::SummaryRow;
use coprep_sim::simulate;

pub fn run(args: SimulateArgs) -> Result<()> {
    let mut policy = coprep_policies::parse_policy(&args.policy)?;
    let problem = inputs::load(&args.workload)?;
    let opts = run_options(args.run.engine, args.workload.seed, args.workload.noise, args.out.is_some());
    let records = simulate(&problem, policy.as_mut(), &opts)?;
    if let Some(dir) = &args.out {
        records.write(dir)?;
    }
    let s = &records.summary;
    match args.run.format {
        Format::Json => print!("{}", records.summary_json()),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.serialize(SummaryRow::from(s))?;
            w.flush()?;
        }
        Format::Table => {
            println!(
                "{} on \"{}\" ({} tasks, {} processors, {} engine)\n",
                s.policy, s.workload, s.tasks, s.processors, s.engine
            );
            let rows = vec![
                vec!["makespan".into(), format!("{} s", secs(s.makespan_s))],
                vec![
                    "lower bound".into(),
                    format!("{} s (gap {})", secs(s.lower_bound_s), percent(s.gap_to_lower_bound)),
                ],
                vec!["mean / p95 JCT".into(), format!("{} s / {} s", secs(s.mean_jct_s), secs(s.p95_jct_s))],
                vec![
                    "busy / idle / stall".into(),
                    format!("{} s / {} s / {} s", secs(s.busy_s), secs(s.idle_s), secs(s.stall_s)),
                ],
                vec![
                    "prep work".into(),
                    format!(
                        "{} s, unshared {} s (saves {})",
                        secs(s.prep_work_s),
                        secs(s.prep_work_unshared_s),
                        percent(s.prep_saved_fraction)
                    ),
                ],
                vec!["groups / moves".into(), format!("{} / {}", s.groups, s.reassignments)],
                vec!["buffer peak".into(), {
                    let mib = format!("{:.1} MiB", s.buffer_peak_bytes as f64 / (1024.0 * 1024.0));
                    if s.engine == "analytic" {
                        format!("{mib} (bound: every live buffer full)")
                    } else {
                        format!("{mib} ({:.1} batches at most)", s.buffer_peak_batches)
                    }
                }],
            ];
            print!("{}", table::render(&["metric", "value"], &rows));
            println!();
            let rows: Vec<Vec<String>> = s
                .processors_detail
                .iter()
                .map(|p| vec![p.id.clone(), secs(p.compute_s), secs(p.prep_s), secs(p.idle_s), secs(p.stall_s)])
                .collect();
            print!("{}", table::render(&["processor", "compute s", "prep s", "idle s", "stall s"], &rows));
            if let Some(dir) = &args.out {
                println!("\nrecords written to {}", dir.display());
            }
        }
    }
    Ok(())
}
