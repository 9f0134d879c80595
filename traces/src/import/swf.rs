//! The Standard Workload Format of the Parallel Workloads Archive.
//!
//! Lines starting with `;` are header comments (`; MaxProcs: N` sizes the cluster); every other
//! line has 18 whitespace-separated fields. Used: 1 job number, 2 submit time (s), 4 run time
//! (s), 5 allocated processors (8, requested processors, where 5 is -1), 14 executable number.
//! SWF jobs are not training jobs, so (documented, overridable):
//! - a job becomes `ceil(run time)` steps of batch 1, each a second long or less;
//! - **dataset**: jobs of one executable read one data set (`app-<n>`; a job without one gets
//!   its own), so they are the candidates for sharing;
//! - **preprocessing**: a fraction `--prep-fraction` (default 0.25) of each second is input
//!   preparation that jobs of one executable could share, the rest compute;
//! - jobs with a run time of 0 or less (failed, cancelled) are skipped and counted;
//! - **cluster**: `MaxProcs` processors of type `cpu` (else the largest job's processors).

use super::bad_line;
use crate::error::{Error, InputError};
use crate::model::{Actuals, Cluster, Dataset, Pipeline, ProcessorSpec, Stage, Task, Workload};
use std::collections::BTreeSet;
use std::path::Path;

pub struct SwfOptions {
    pub prep_fraction: f64,
    pub buffer_batches: u32,
    pub migration_s: f64,
}

impl Default for SwfOptions {
    fn default() -> Self {
        SwfOptions { prep_fraction: 0.25, buffer_batches: 4, migration_s: 30.0 }
    }
}

/// The workload and how many jobs were skipped for a run time of 0 or less.
pub fn import(path: &Path, opts: &SwfOptions) -> Result<(Workload, usize), Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text, opts).map_err(|e| Error::Input(e.in_file(path)))
}

pub fn parse(text: &str, opts: &SwfOptions) -> Result<(Workload, usize), InputError> {
    let f = opts.prep_fraction;
    if !(f.is_finite() && (0.0..1.0).contains(&f)) {
        return Err(InputError::field("--prep-fraction", format!("{f} is not valid; expected a number in [0, 1)")));
    }
    let mut max_procs: Option<u32> = None;
    let mut tasks = Vec::new();
    let mut datasets = BTreeSet::new();
    let mut skipped = 0;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix(';') {
            if let Some(v) = comment.trim().strip_prefix("MaxProcs:") {
                max_procs = v.trim().parse().ok().filter(|&p| p > 0);
            }
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 18 {
            return Err(bad_line(
                n,
                "line",
                format!("{} fields; expected the 18 of the Standard Workload Format", fields.len()),
            ));
        }
        let int = |k: usize, name: &str| -> Result<i64, InputError> {
            fields[k]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.fract() == 0.0)
                .map(|v| v as i64)
                .ok_or_else(|| bad_line(n, name, format!("\"{}\" is not a whole number", fields[k])))
        };
        let id = int(0, "job_number")?;
        let submit = int(1, "submit_time")?;
        let run = fields[3]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad_line(n, "run_time", format!("\"{}\" is not a number", fields[3])))?;
        if run <= 0.0 {
            skipped += 1;
            continue;
        }
        if submit < 0 {
            return Err(bad_line(n, "submit_time", format!("{submit} is negative; expected seconds >= 0")));
        }
        let procs = match int(4, "allocated_processors")? {
            p if p > 0 => p,
            _ => int(7, "requested_processors")?,
        };
        if procs <= 0 {
            return Err(bad_line(
                n,
                "allocated_processors",
                "neither allocated nor requested processors are given; expected a count >= 1",
            ));
        }
        let exe = int(13, "executable_number")?;
        let dataset = if exe > 0 { format!("app-{exe}") } else { format!("job-{id}-data") };
        datasets.insert(dataset.clone());
        let steps = run.ceil().max(1.0) as u64;
        tasks.push(Task {
            id: format!("job-{id}"),
            arrival_s: submit as f64,
            dataset: dataset.clone(),
            pipeline: "input".into(),
            batch_size: 1,
            steps,
            compute_s: [("cpu".to_string(), (run / steps as f64) * (1.0 - f))].into_iter().collect(),
            memory_gb: 1.0,
            processors: procs as u32,
        });
    }
    if tasks.is_empty() {
        return Err(InputError::new("no jobs with a run time > 0"));
    }
    let largest = tasks.iter().map(|t| t.processors).max().unwrap_or(1);
    let count = max_procs.unwrap_or(largest).max(largest);
    // One pipeline for all: the stage is per dataset in effect, since sharing needs one dataset.
    let pipeline = Pipeline {
        id: "input".into(),
        stages: vec![Stage {
            op: "prepare_input".into(),
            params: Default::default(),
            cost_s: [("cpu".to_string(), f.max(1e-9))].into_iter().collect(),
            out_bytes: 0,
        }],
    };
    let workload = Workload {
        name: format!("swf: {} jobs", tasks.len()),
        datasets: datasets.iter().map(|d| Dataset { id: d.clone(), samples: 0, sample_bytes: 0 }).collect(),
        pipelines: vec![pipeline],
        tasks,
        cluster: Cluster {
            processors: vec![ProcessorSpec::uniform("cpu", count, Some(1.0))],
            buffer_batches: opts.buffer_batches,
            migration_s: opts.migration_s,
        },
        actuals: Actuals::default(),
    };
    Ok((workload, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "; Version: 2.2\n; MaxProcs: 8\n\
1 0 5 100 2 -1 -1 2 120 -1 1 1 1 7 1 -1 -1 -1\n\
2 10 0 50.5 -1 -1 -1 4 60 -1 1 1 1 7 1 -1 -1 -1\n\
3 20 0 0 1 -1 -1 1 60 -1 5 1 1 -1 1 -1 -1 -1\n\
4 30 0 10 1 -1 -1 1 60 -1 1 1 1 -1 1 -1 -1 -1\n";

    #[test]
    fn by_hand() {
        let (w, skipped) = parse(SAMPLE, &SwfOptions::default()).unwrap();
        assert_eq!(skipped, 1);
        assert_eq!(w.tasks.len(), 3);
        assert_eq!(w.cluster.processors[0].count, 8);
        // Job 2: 50.5 s in 51 steps, 4 requested processors, same executable as job 1.
        let t = &w.tasks[1];
        assert_eq!((t.steps, t.processors, t.dataset.as_str()), (51, 4, "app-7"));
        assert!((t.compute_s["cpu"] - 50.5 / 51.0 * 0.75).abs() < 1e-12);
        assert_eq!(w.tasks[2].dataset, "job-4-data");
    }

    #[test]
    fn bad_lines_name_their_number() {
        let e = parse("; x\n1 0 5 100 2\n", &SwfOptions::default()).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("1 0 5 abc 2 -1 -1 2 120 -1 1 1 1 7 1 -1 -1 -1\n", &SwfOptions::default()).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(1), Some("run_time")));
    }
}
