//! `coprep bench quality`: policies against the branch-and-bound optimum on the standard P||Cmax
//! classes (see `coprep_sim::quality`).

use crate::args::QualityArgs;
use crate::commands::percent;
use crate::table;
use anyhow::{Context, Result};
use coprep_sim::quality::{evaluate, instances, InstanceResult};
use coprep_traces::pcmax::Family;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fmt::Write as _;

pub fn run(args: QualityArgs) -> Result<()> {
    let policies = if args.policies.is_empty() {
        vec!["lpt".to_string(), "min-makespan".to_string()]
    } else {
        args.policies.clone()
    };
    for spec in &policies {
        coprep_policies::parse_policy(spec)?;
    }
    let mut families: Vec<Family> = args.families.iter().map(|f| f.family()).collect();
    families.sort_unstable();
    families.dedup();
    let mut instances = instances(&families, args.seeds);
    if let Some(max) = args.max_jobs {
        instances.retain(|i| i.jobs <= max);
    }
    let bar = ProgressBar::new(instances.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} instances {elapsed}").expect("valid template"));
    let results: Vec<InstanceResult> = instances
        .par_iter()
        .map(|inst| {
            let r = evaluate(inst, &policies, args.node_limit);
            bar.inc(1);
            r
        })
        .collect::<Result<_, _>>()?;
    bar.finish_and_clear();

    if let Some(path) = &args.out {
        coprep_traces::io::write_atomic(path, csv_rows(&results, &policies).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    print_summary(&results, &policies);
    Ok(())
}

/// Per grid class and E family, then per grid size, then per family and overall: mean and
/// maximum gap of every policy, how many references are proven optima, and the slowest first
/// decision.
fn print_summary(results: &[InstanceResult], policies: &[String]) {
    let mut header = vec!["instances".to_string(), "n".into(), "proven".into()];
    for p in policies {
        header.extend([format!("{p} mean"), format!("{p} max"), format!("{p} decide")]);
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let row = |label: String, rs: &[&InstanceResult]| -> Vec<String> {
        let proven = rs.iter().filter(|r| r.proven).count();
        let mut cells = vec![label, rs.len().to_string(), format!("{:.0}%", 100.0 * proven as f64 / rs.len() as f64)];
        for k in 0..policies.len() {
            let gaps: Vec<f64> = rs.iter().map(|r| r.policies[k].gap).collect();
            let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let max = gaps.iter().copied().fold(0.0, f64::max);
            let decide = rs.iter().map(|r| r.policies[k].decide_s).fold(0.0, f64::max);
            cells.extend([percent(mean), percent(max), format!("{:.2}ms", decide * 1e3)]);
        }
        cells
    };
    let mut rows = Vec::new();
    let mut labels: Vec<String> = results.iter().map(|r| r.instance.label()).collect();
    labels.dedup();
    for label in &labels {
        let rs: Vec<&InstanceResult> = results.iter().filter(|r| &r.instance.label() == label).collect();
        rows.push(row(label.clone(), &rs));
    }
    // Sizes only for the grid: the E families have dozens of small ones, summarised above.
    let grid: Vec<&InstanceResult> = results.iter().filter(|r| r.instance.family == Family::Grid).collect();
    let mut sizes: Vec<(usize, usize)> = grid.iter().map(|r| (r.instance.machines, r.instance.jobs)).collect();
    sizes.sort_unstable();
    sizes.dedup();
    for (m, n) in sizes {
        let rs: Vec<&InstanceResult> =
            grid.iter().copied().filter(|r| (r.instance.machines, r.instance.jobs) == (m, n)).collect();
        rows.push(row(format!("m={m} n={n}"), &rs));
    }
    let e: Vec<&InstanceResult> = results.iter().filter(|r| r.instance.family != Family::Grid).collect();
    if !grid.is_empty() && !e.is_empty() {
        rows.push(row("grid".into(), &grid));
        rows.push(row("E1-E4".into(), &e));
    }
    rows.push(row("all".into(), &results.iter().collect::<Vec<_>>()));
    print!("{}", table::render(&header_refs, &rows));
    println!(
        "\ngap = (makespan - reference) / reference; the reference is the optimum where branch and bound \
         proved it (\"proven\"), else the lower bound, so those gaps are upper bounds. \
         decide = the slowest first decision (all tasks pending at once)."
    );
}

fn csv_rows(results: &[InstanceResult], policies: &[String]) -> String {
    let mut out =
        String::from("family,class,machines,jobs,seed,reference,proven,lower_bound,policy,makespan,gap,decide_s\n");
    for r in results {
        let i = &r.instance;
        for (k, p) in policies.iter().enumerate() {
            let pr = &r.policies[k];
            let _ = writeln!(
                out,
                "{},\"{}\",{},{},{},{},{},{},\"{}\",{},{:.6},{:.6}",
                i.family,
                i.class,
                i.machines,
                i.jobs,
                i.seed,
                r.reference,
                r.proven,
                r.lower_bound,
                p,
                pr.makespan,
                pr.gap,
                pr.decide_s
            );
        }
    }
    out
}
