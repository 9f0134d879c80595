//! `coprep sweep`: every combination of policies, caps, cluster sizes, noise levels and seeds,
//! run in parallel, optionally one shard of it (`--shard I/N`, for a Slurm job array or a
//! Kubernetes indexed job); `coprep sweep merge` combines the shards' results.

use super::run_options;
use crate::args::{EngineArg, SweepArgs, SweepMergeArgs};
use crate::inputs;
use anyhow::Result;
use coprep_reports::stats::mean_ci;
use coprep_sim::simulate;
use coprep_traces::io::write_atomic;
use coprep_traces::{InputError, Problem};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One point of the grid.
struct Point {
    policy: String,
    processors: usize,
    noise: f64,
    seed: u64,
}

/// One point of the grid and what its run measured: a row of a shard's `sweep.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The point's index in the whole grid (shards split by index).
    pub point: usize,
    pub policy: String,
    pub processors: usize,
    pub noise: f64,
    pub seed: u64,
    pub makespan_s: f64,
    pub lower_bound_s: f64,
    pub gap_to_lower_bound: f64,
    pub idle_s: f64,
    pub stall_s: f64,
    pub mean_jct_s: f64,
    pub p95_jct_s: f64,
    pub prep_work_s: f64,
    pub prep_saved_fraction: f64,
    pub reassignments: u64,
    pub engine_events: u64,
}

/// `I/N` with 0 <= I < N.
fn parse_shard(spec: &str) -> Result<(usize, usize), InputError> {
    let bad =
        || InputError::field("--shard", format!("\"{spec}\" is not valid; expected I/N with 0 <= I < N, e.g. 0/4"));
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The policy specs of the grid: each policy, and with each cap where it takes one.
fn policy_specs(policies: &[String], caps: &[String]) -> Vec<String> {
    let mut specs = Vec::new();
    for p in policies {
        let takes_cap = (p.starts_with("min-makespan") || p.starts_with("min-idle")) && !p.contains("cap=");
        if caps.is_empty() || !takes_cap {
            specs.push(p.clone());
            continue;
        }
        for cap in caps {
            specs.push(match p.strip_suffix(']') {
                Some(open) => format!("{open},cap={cap}]"),
                None => format!("{p}[cap={cap}]"),
            });
        }
    }
    specs
}

/// The workload with `total` processors, each processor spec scaled in proportion.
fn with_processors(base: &Problem, total: usize) -> Problem {
    let mut p = base.clone();
    let n = base.processors.len();
    if total == n {
        return p;
    }
    p.processors = (0..total).map(|i| base.processors[i * n / total].clone()).collect();
    for (i, proc) in p.processors.iter_mut().enumerate() {
        proc.id = format!("{}-{i}", base.types[proc.kind]);
    }
    p
}

pub fn run(args: SweepArgs) -> Result<()> {
    let (shard, shards) = parse_shard(&args.shard)?;
    let policies = if args.policies.is_empty() {
        vec!["fifo".into(), "min-makespan".into(), "min-idle".into()]
    } else {
        args.policies.clone()
    };
    let specs = policy_specs(&policies, &args.caps);
    for spec in &specs {
        coprep_policies::parse_policy(spec)?;
    }
    if args.seeds == 0 {
        return Err(InputError::field("--seeds", "0 is not valid; expected at least 1").into());
    }
    let w = &args.workload;
    let base = inputs::load_base(w)?;
    let sizes: Vec<usize> =
        if args.processors.is_empty() { vec![base.processors.len()] } else { args.processors.clone() };
    for &s in &sizes {
        if s == 0 {
            return Err(InputError::field("--processors", "0 is not valid; expected at least 1").into());
        }
        let largest_gang = base.tasks.iter().map(|t| t.gang as usize).max().unwrap_or(1);
        if s < largest_gang {
            return Err(InputError::field(
                "--processors",
                format!("{s} is fewer than the largest gang ({largest_gang}); expected at least {largest_gang}"),
            )
            .into());
        }
    }
    let noises = if args.noises.is_empty() { vec![w.noise] } else { args.noises.clone() };
    for &sigma in &noises {
        inputs::with_noise(&base, sigma, 0)?;
    }

    let mut grid = Vec::new();
    for spec in &specs {
        for &processors in &sizes {
            for &noise in &noises {
                for k in 0..args.seeds {
                    grid.push(Point { policy: spec.clone(), processors, noise, seed: w.seed + k });
                }
            }
        }
    }
    let mine: Vec<(usize, &Point)> = grid.iter().enumerate().filter(|(i, _)| i % shards == shard).collect();
    let bar = ProgressBar::new(mine.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs {elapsed} (eta {eta})").expect("valid template"),
    );
    let rows: Vec<Result<SweepRow>> = mine
        .par_iter()
        .map(|&(point, p)| {
            let problem = inputs::for_run(&with_processors(&base, p.processors), w, p.noise, p.seed)?;
            let mut policy = coprep_policies::parse_policy(&p.policy)?;
            let s =
                simulate(&problem, policy.as_mut(), &run_options(EngineArg::Analytic, p.seed, p.noise, false))?.summary;
            bar.inc(1);
            Ok(SweepRow {
                point,
                policy: p.policy.clone(),
                processors: p.processors,
                noise: p.noise,
                seed: p.seed,
                makespan_s: s.makespan_s,
                lower_bound_s: s.lower_bound_s,
                gap_to_lower_bound: s.gap_to_lower_bound,
                idle_s: s.idle_s,
                stall_s: s.stall_s,
                mean_jct_s: s.mean_jct_s,
                p95_jct_s: s.p95_jct_s,
                prep_work_s: s.prep_work_s,
                prep_saved_fraction: s.prep_saved_fraction,
                reassignments: s.reassignments,
                engine_events: s.engine_events,
            })
        })
        .collect();
    bar.finish_and_clear();
    let rows: Vec<SweepRow> = rows.into_iter().collect::<Result<_>>()?;
    let out = args.out.as_deref().ok_or_else(|| InputError::field("--out", "missing; expected a directory"))?;
    std::fs::create_dir_all(out).map_err(|e| coprep_traces::Error::io(out, e))?;
    let file = out.join(format!("sweep-{shard}-of-{shards}.csv"));
    write_atomic(&file, &rows_csv(&rows))?;
    eprintln!("{} of {} grid points in {}", rows.len(), grid.len(), file.display());
    if shards == 1 {
        write_atomic(&out.join("summary.csv"), &summary_csv(&rows))?;
        print!("{}", String::from_utf8_lossy(&summary_csv(&rows)));
    }
    Ok(())
}

fn rows_csv(rows: &[SweepRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).expect("in-memory csv");
    }
    w.into_inner().expect("in-memory csv")
}

/// Per (policy, processors, noise): mean makespan and its 95% interval over seeds, and means.
fn summary_csv(rows: &[SweepRow]) -> Vec<u8> {
    // Groups in the grid's order: keyed by the first point each was seen at.
    let mut first: BTreeMap<(String, usize, String), usize> = BTreeMap::new();
    let mut groups: BTreeMap<(usize, String, usize, String), Vec<&SweepRow>> = BTreeMap::new();
    for r in rows {
        let key = (r.policy.clone(), r.processors, r.noise.to_string());
        let at = *first.entry(key).or_insert(r.point);
        groups.entry((at, r.policy.clone(), r.processors, r.noise.to_string())).or_default().push(r);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "policy",
        "processors",
        "noise",
        "runs",
        "makespan_s_mean",
        "makespan_s_ci95_low",
        "makespan_s_ci95_high",
        "gap_to_lower_bound_mean",
        "stall_s_mean",
        "mean_jct_s_mean",
        "prep_saved_fraction_mean",
    ])
    .expect("in-memory csv");
    for ((_, policy, processors, noise), rs) in groups {
        let ci = mean_ci(&rs.iter().map(|r| r.makespan_s).collect::<Vec<_>>());
        let mean = |f: fn(&SweepRow) -> f64| rs.iter().map(|r| f(r)).sum::<f64>() / rs.len() as f64;
        w.write_record([
            policy,
            processors.to_string(),
            noise,
            rs.len().to_string(),
            ci.mean.to_string(),
            ci.low().to_string(),
            ci.high().to_string(),
            mean(|r| r.gap_to_lower_bound).to_string(),
            mean(|r| r.stall_s).to_string(),
            mean(|r| r.mean_jct_s).to_string(),
            mean(|r| r.prep_saved_fraction).to_string(),
        ])
        .expect("in-memory csv");
    }
    w.into_inner().expect("in-memory csv")
}

/// Combines `sweep-I-of-N.csv` shards: all N must be there, once each, and agree on N.
pub fn merge(args: SweepMergeArgs) -> Result<()> {
    let mut shards: BTreeMap<usize, Vec<SweepRow>> = BTreeMap::new();
    let mut total: Option<usize> = None;
    for dir in &args.dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| coprep_traces::Error::io(dir, e))?;
        let mut names: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for path in names {
            let Some((i, n)) = shard_of(&path) else { continue };
            if *total.get_or_insert(n) != n {
                return Err(InputError::new(format!(
                    "{} is a shard of {n}, others of {}",
                    path.display(),
                    total.unwrap_or(n)
                ))
                .into());
            }
            if shards.contains_key(&i) {
                return Err(InputError::new(format!("shard {i} of {n} appears twice ({})", path.display())).into());
            }
            shards.insert(i, read_rows(&path)?);
        }
    }
    let Some(n) = total else {
        return Err(InputError::new("no sweep-I-of-N.csv files found in the given directories").into());
    };
    let missing: Vec<String> = (0..n).filter(|i| !shards.contains_key(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(InputError::new(format!("shards {} of {n} are missing", missing.join(", "))).into());
    }
    let mut rows: Vec<SweepRow> = shards.into_values().flatten().collect();
    rows.sort_by_key(|r| r.point);
    std::fs::create_dir_all(&args.out).map_err(|e| coprep_traces::Error::io(&args.out, e))?;
    write_atomic(&args.out.join("sweep-0-of-1.csv"), &rows_csv(&rows))?;
    write_atomic(&args.out.join("summary.csv"), &summary_csv(&rows))?;
    eprintln!("merged {n} shards, {} runs, into {}", rows.len(), args.out.display());
    print!("{}", String::from_utf8_lossy(&summary_csv(&rows)));
    Ok(())
}

fn shard_of(path: &Path) -> Option<(usize, usize)> {
    let name = path.file_name()?.to_str()?;
    let (i, n) = name.strip_prefix("sweep-")?.strip_suffix(".csv")?.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

fn read_rows(path: &Path) -> Result<Vec<SweepRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| coprep_traces::Error::io(path, e))?;
    let mut rows = Vec::new();
    for (i, row) in csv::Reader::from_reader(text.as_bytes()).deserialize().enumerate() {
        rows.push(row.map_err(|e: csv::Error| {
            InputError::new(format!("malformed row: {e}")).at_line(Some(i + 2)).in_file(path)
        })?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_specs() {
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err() && parse_shard("0/0").is_err());
        let specs = policy_specs(
            &["fifo".into(), "min-idle".into(), "min-makespan[improve=0]".into()],
            &["2".into(), "auto".into()],
        );
        assert_eq!(
            specs,
            [
                "fifo",
                "min-idle[cap=2]",
                "min-idle[cap=auto]",
                "min-makespan[improve=0,cap=2]",
                "min-makespan[improve=0,cap=auto]"
            ]
        );
    }
}
