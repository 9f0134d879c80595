//! The layout of a comparison directory, written by `coprep compare --out DIR` and read back by
//! `coprep plot DIR`:
//!
//! ```text
//! DIR/runs.csv              one row per run, in order: label, directory, seed, makespan
//! DIR/comparison.csv        per policy: each metric's mean and 95% interval over seeds
//! DIR/<policy>/label.txt    the policy as the user wrote it
//! DIR/<policy>/             summary.json, jobs.csv, events.jsonl (one seed), or
//! DIR/<policy>/seed-<n>/    the same per seed
//! DIR/plots/, DIR/report.html
//! ```

use crate::comparison::{aggregate, aggregate_csv};
use crate::load::{load_run, Run, RunSet};
use crate::render::slug;
use crate::ReportError;
use coprep_traces::io::write_atomic;
use coprep_traces::records::RunRecords;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A row of `runs.csv` (each run's figures are in its `summary.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunIndex {
    pub label: String,
    /// Relative to the comparison directory.
    pub dir: String,
    pub seed: u64,
    pub makespan_s: f64,
}

/// Where a run's records go: per policy, and per seed when there are several.
pub fn run_dir(label: &str, seed: u64, per_seed: bool) -> String {
    if per_seed {
        format!("{}/seed-{seed}", slug(label))
    } else {
        slug(label)
    }
}

/// Writes every run's records, the index and the aggregate.
pub fn write_comparison(dir: &Path, runs: &RunSet) -> Result<(), ReportError> {
    let per_seed = runs.seeds() > 1;
    let mut index = csv::Writer::from_writer(Vec::new());
    for run in &runs.runs {
        let rel = run_dir(&run.label, run.summary.seed, per_seed);
        let records = RunRecords { summary: run.summary.clone(), jobs: run.jobs.clone(), events: run.events.clone() };
        records.write(&dir.join(&rel))?;
        let policy_dir = dir.join(slug(&run.label));
        write_atomic(&policy_dir.join("label.txt"), format!("{}\n", run.label).as_bytes())?;
        let row =
            RunIndex { label: run.label.clone(), dir: rel, seed: run.summary.seed, makespan_s: run.summary.makespan_s };
        index.serialize(row).expect("in-memory csv");
    }
    write_atomic(&dir.join("comparison.csv"), &aggregate_csv(&aggregate(runs)))?;
    // The index last: a directory with runs.csv is complete.
    write_atomic(&dir.join("runs.csv"), &index.into_inner().expect("in-memory csv"))?;
    Ok(())
}

/// Reads the runs listed in `DIR/runs.csv`, in its order.
pub fn read_index(dir: &Path) -> Result<Option<RunSet>, ReportError> {
    let path = dir.join("runs.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| coprep_traces::Error::io(&path, e))?;
    let mut runs: Vec<Run> = Vec::new();
    for row in csv::Reader::from_reader(text.as_bytes()).deserialize() {
        let row: RunIndex = row.map_err(|e: csv::Error| {
            let line = e.position().map_or(String::new(), |p| format!(":{}", p.line()));
            ReportError::BadRecords { path: PathBuf::from(format!("{}{line}", path.display())), message: e.to_string() }
        })?;
        runs.push(load_run(&dir.join(&row.dir), row.label)?);
    }
    Ok(Some(RunSet { runs }))
}
