//! Reading records back from an output directory: `DIR/<policy>/` holds one run, or
//! `DIR/<policy>/seed-<n>/` one run per seed.

use crate::ReportError;
use coprep_traces::records::{EventRecord, JobRecord, Summary};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The records of one run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The policy as the user named it (the directory's name when read back).
    pub label: String,
    pub summary: Summary,
    pub jobs: Vec<JobRecord>,
    pub events: Vec<EventRecord>,
}

/// Runs of several policies, possibly over several seeds, in a stable order: policies in the
/// order given (or by directory name), seeds ascending.
#[derive(Debug, Clone, Default)]
pub struct RunSet {
    pub runs: Vec<Run>,
}

impl RunSet {
    /// Policy labels in order of first appearance.
    pub fn policies(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.runs.iter().filter(|r| seen.insert(r.label.clone())).map(|r| r.label.clone()).collect()
    }

    pub fn of<'a>(&'a self, policy: &'a str) -> impl Iterator<Item = &'a Run> + 'a {
        self.runs.iter().filter(move |r| r.label == policy)
    }

    pub fn first_of(&self, policy: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.label == policy)
    }

    pub fn seeds(&self) -> usize {
        self.policies().first().map_or(0, |p| self.of(p).count())
    }
}

/// Reads every run under `dir`: those `runs.csv` lists, in its order, or else every
/// `<policy>/[seed-<n>/]summary.json`, by directory name.
pub fn load_runs(dir: &Path) -> Result<RunSet, ReportError> {
    if let Some(runs) = crate::layout::read_index(dir)? {
        return Ok(runs);
    }
    let mut runs = Vec::new();
    for policy_dir in subdirs(dir)? {
        let label = policy_label(&policy_dir)?;
        if policy_dir.join("summary.json").is_file() {
            runs.push(load_run(&policy_dir, label)?);
            continue;
        }
        let mut seeds: Vec<PathBuf> =
            subdirs(&policy_dir)?.into_iter().filter(|d| d.join("summary.json").is_file()).collect();
        seeds.sort_by_key(|d| seed_of(d));
        for seed_dir in seeds {
            runs.push(load_run(&seed_dir, label.clone())?);
        }
    }
    if runs.is_empty() {
        return Err(ReportError::BadRecords {
            path: dir.to_path_buf(),
            message: "no records found; expected <policy>/summary.json or <policy>/seed-<n>/summary.json (as written by coprep compare --out)".into(),
        });
    }
    Ok(RunSet { runs })
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| coprep_traces::Error::io(dir, e))?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    Ok(dirs)
}

fn seed_of(dir: &Path) -> u64 {
    dir.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("seed-"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX)
}

/// The label a directory stands for: `label.txt` if the writer left one (the spec as typed),
/// else the directory's name.
fn policy_label(dir: &Path) -> Result<String, ReportError> {
    let file = dir.join("label.txt");
    if file.is_file() {
        let text = std::fs::read_to_string(&file).map_err(|e| coprep_traces::Error::io(&file, e))?;
        return Ok(text.trim().to_string());
    }
    Ok(dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
}

fn bad(path: &Path, line: Option<usize>, message: impl std::fmt::Display) -> ReportError {
    let where_ = match line {
        Some(l) => format!("{}:{l}", path.display()),
        None => path.display().to_string(),
    };
    ReportError::BadRecords { path: PathBuf::from(where_), message: message.to_string() }
}

pub fn load_run(dir: &Path, label: String) -> Result<Run, ReportError> {
    let read = |name: &str| -> Result<(PathBuf, String), ReportError> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| coprep_traces::Error::io(&path, e))?;
        Ok((path, text))
    };
    let (path, text) = read("summary.json")?;
    let summary: Summary = serde_json::from_str(&text).map_err(|e| bad(&path, Some(e.line()), e))?;
    let (path, text) = read("jobs.csv")?;
    let mut jobs = Vec::new();
    for row in csv::Reader::from_reader(text.as_bytes()).deserialize() {
        let job: JobRecord = row.map_err(|e: csv::Error| bad(&path, e.position().map(|p| p.line() as usize), e))?;
        jobs.push(job);
    }
    let (path, text) = read("events.jsonl")?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        events.push(serde_json::from_str(line).map_err(|e| bad(&path, Some(i + 1), e))?);
    }
    Ok(Run { label, summary, jobs, events })
}
