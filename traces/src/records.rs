//! The records of a run, the same for every engine (simulated or real): `summary.json`, `jobs.csv` (Batsim's
//! columns plus coprep's) and `events.jsonl` (one tagged event per line, enough for a Gantt chart).

use crate::io::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessorSummary {
    pub id: String,
    /// The processor's type (what utilisation plots aggregate by on large clusters).
    #[serde(rename = "type")]
    pub kind: String,
    pub busy_s: f64,
    pub compute_s: f64,
    pub prep_s: f64,
    pub idle_s: f64,
    pub stall_s: f64,
}

/// One policy run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub workload: String,
    pub policy: String,
    pub engine: String,
    pub seed: u64,
    pub noise_sigma: f64,
    pub tasks: usize,
    pub processors: usize,
    pub makespan_s: f64,
    /// No schedule of this workload can finish sooner (see `lower_bound`).
    pub lower_bound_s: f64,
    /// makespan / lower bound - 1.
    pub gap_to_lower_bound: f64,
    pub busy_s: f64,
    pub idle_s: f64,
    pub stall_s: f64,
    pub mean_jct_s: f64,
    pub p95_jct_s: f64,
    pub max_jct_s: f64,
    /// Preprocessing work done, at the cheapest processor's cost (so placements compare).
    pub prep_work_s: f64,
    /// The same tasks' preprocessing without sharing.
    pub prep_work_unshared_s: f64,
    /// 1 - prep_work / prep_work_unshared.
    pub prep_saved_fraction: f64,
    /// Preprocessing batches computed (per-batch engine; the analytic engine counts sample-batches).
    pub prep_batches: u64,
    pub buffer_peak_bytes: u64,
    /// The fullest any stream's buffer got, in batches of that stream (per-batch engine; the
    /// analytic engine assumes full buffers and reports the capacity).
    pub buffer_peak_batches: f64,
    pub reassignments: u64,
    pub groups: usize,
    /// Engine events processed (a measure of simulation cost).
    pub engine_events: u64,
    pub processors_detail: Vec<ProcessorSummary>,
    /// Preprocessing work per dataset, with and without sharing.
    pub datasets_detail: Vec<DatasetSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub id: String,
    pub tasks: usize,
    pub prep_work_s: f64,
    pub prep_work_unshared_s: f64,
}

/// One row of `jobs.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job_id: String,
    pub submission_time: f64,
    pub starting_time: f64,
    pub execution_time: f64,
    pub finish_time: f64,
    pub waiting_time: f64,
    pub turnaround_time: f64,
    pub stretch: f64,
    /// Processor indices as a Batsim interval set (`0-3 5`).
    pub allocated_resources: String,
    pub final_state: String,
    pub group: u64,
    pub stall_time: f64,
    pub moves: u32,
}

/// One line of `events.jsonl`. Times are seconds since the start of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventRecord {
    TaskArrived {
        time: f64,
        task: String,
    },
    TaskStarted {
        time: f64,
        task: String,
        processors: Vec<String>,
        group: u64,
    },
    TaskFinished {
        time: f64,
        task: String,
    },
    GroupStarted {
        time: f64,
        group: u64,
        dataset: String,
    },
    GroupEnded {
        time: f64,
        group: u64,
    },
    PrepPlaced {
        time: f64,
        group: u64,
        stages: Vec<String>,
        shares: Vec<(String, f64)>,
    },
    MoveStarted {
        time: f64,
        task: String,
        to: Vec<String>,
    },
    MoveFinished {
        time: f64,
        task: String,
    },
    Progress {
        time: f64,
        task: String,
        steps_done: u64,
    },
    /// Analytic engine: the pace of every running group from now on (samples per second), and
    /// the busy fraction of every processor.
    Rates {
        time: f64,
        groups: Vec<(u64, f64)>,
        utilisation: Vec<f64>,
    },
    /// Per-batch engine: one phase on its processors (a gang's step holds all of them).
    PhaseStarted {
        time: f64,
        processors: Vec<String>,
        phase: String,
        task: Option<String>,
        group: u64,
        batch: u64,
    },
    PhaseFinished {
        time: f64,
        processors: Vec<String>,
        phase: String,
        task: Option<String>,
        group: u64,
        batch: u64,
    },
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunRecords {
    pub summary: Summary,
    pub jobs: Vec<JobRecord>,
    pub events: Vec<EventRecord>,
}

/// Batsim's interval-set notation for sorted indices: `0-3 5 7-8`. (Written into one string:
/// a run's records hold one per job, a million at 1M tasks.)
pub fn interval_set(indices: &[usize]) -> String {
    use std::fmt::Write;
    let sorted: std::borrow::Cow<[usize]> = if indices.is_sorted() {
        indices.into()
    } else {
        let mut sorted = indices.to_vec();
        sorted.sort_unstable();
        sorted.into()
    };
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let written = if sorted[i] == start { write!(out, "{start}") } else { write!(out, "{start}-{}", sorted[i]) };
        written.expect("writing to a string");
        i += 1;
    }
    out
}

impl RunRecords {
    pub fn summary_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.summary).expect("summary serialises");
        s.push('\n');
        s
    }

    pub fn jobs_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for job in &self.jobs {
            w.serialize(job).expect("in-memory csv");
        }
        w.into_inner().expect("in-memory csv")
    }

    pub fn events_jsonl(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.events {
            serde_json::to_writer(&mut out, e).expect("event serialises");
            out.push(b'\n');
        }
        out
    }

    /// Writes `summary.json`, `jobs.csv` and `events.jsonl` into `dir` (created if missing),
    /// each through a temporary file and a rename; the summary goes last, so a directory with a
    /// summary holds complete records.
    pub fn write(&self, dir: &Path) -> Result<(), crate::Error> {
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
        write_atomic(&dir.join("jobs.csv"), &self.jobs_csv())?;
        write_atomic(&dir.join("events.jsonl"), &self.events_jsonl())?;
        write_atomic(&dir.join("summary.json"), self.summary_json().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn interval_sets() {
        assert_eq!(super::interval_set(&[5, 0, 1, 2, 3, 7, 8]), "0-3 5 7-8");
        assert_eq!(super::interval_set(&[4]), "4");
        assert_eq!(super::interval_set(&[]), "");
    }
}

/// A summary flattened to one CSV row (`comparison.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub policy: String,
    pub engine: String,
    pub seed: u64,
    pub noise_sigma: f64,
    pub tasks: usize,
    pub processors: usize,
    pub makespan_s: f64,
    pub lower_bound_s: f64,
    pub gap_to_lower_bound: f64,
    pub busy_s: f64,
    pub idle_s: f64,
    pub stall_s: f64,
    pub mean_jct_s: f64,
    pub p95_jct_s: f64,
    pub max_jct_s: f64,
    pub prep_work_s: f64,
    pub prep_work_unshared_s: f64,
    pub prep_saved_fraction: f64,
    pub prep_batches: u64,
    pub buffer_peak_bytes: u64,
    pub buffer_peak_batches: f64,
    pub reassignments: u64,
    pub groups: usize,
    pub engine_events: u64,
}

impl From<&Summary> for SummaryRow {
    fn from(s: &Summary) -> Self {
        SummaryRow {
            policy: s.policy.clone(),
            engine: s.engine.clone(),
            seed: s.seed,
            noise_sigma: s.noise_sigma,
            tasks: s.tasks,
            processors: s.processors,
            makespan_s: s.makespan_s,
            lower_bound_s: s.lower_bound_s,
            gap_to_lower_bound: s.gap_to_lower_bound,
            busy_s: s.busy_s,
            idle_s: s.idle_s,
            stall_s: s.stall_s,
            mean_jct_s: s.mean_jct_s,
            p95_jct_s: s.p95_jct_s,
            max_jct_s: s.max_jct_s,
            prep_work_s: s.prep_work_s,
            prep_work_unshared_s: s.prep_work_unshared_s,
            prep_saved_fraction: s.prep_saved_fraction,
            prep_batches: s.prep_batches,
            buffer_peak_bytes: s.buffer_peak_bytes,
            buffer_peak_batches: s.buffer_peak_batches,
            reassignments: s.reassignments,
            groups: s.groups,
            engine_events: s.engine_events,
        }
    }
}
