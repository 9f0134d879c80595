//! Actual durations: recorded factors read from CSV, and a seeded log-normal noise model that
//! stands in where nothing was recorded.

use crate::error::{Error, InputError};
use crate::problem::Problem;
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};
use std::collections::BTreeMap;
use std::path::Path;

/// Draws an actual/estimate factor from LogNormal(0, sigma) (median 1) for every task's compute
/// and every dataset's preprocessing that has no recorded factor. Same seed, same factors.
pub fn apply_noise(problem: &mut Problem, sigma: f64, seed: u64) -> Result<(), InputError> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(InputError::field(
            "--noise",
            format!("{sigma} is not a valid sigma; expected a finite number >= 0"),
        ));
    }
    if sigma == 0.0 {
        return Ok(());
    }
    let dist = LogNormal::new(0.0, sigma).expect("sigma checked above");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x006e_6f69_7365);
    for task in &mut problem.tasks {
        let factor = dist.sample(&mut rng);
        if !task.compute_recorded {
            task.actual_compute_factor = factor;
        }
    }
    for dataset in &mut problem.datasets {
        let factor = dist.sample(&mut rng);
        if !dataset.prep_recorded {
            dataset.actual_prep_factor = factor;
        }
    }
    Ok(())
}

/// Gives policies the actual compute durations: every task's compute estimates become its
/// actual durations (factor 1). The reference a re-estimating policy is measured against.
/// Preprocessing factors stay unknown (they are per dataset, while stages are shared across
/// datasets).
pub fn make_clairvoyant(problem: &mut Problem) {
    for task in &mut problem.tasks {
        let f = task.actual_compute_factor;
        for s in task.compute_s.iter_mut().flatten() {
            *s *= f;
        }
        task.actual_compute_factor = 1.0;
    }
    problem.refresh_minima();
}

/// Reads recorded compute factors from a CSV file with columns `task,compute_factor` and an
/// optional `step` (per-step recordings: a task's factor is the mean of its rows), and applies
/// them to `problem`.
pub fn apply_actuals_csv(problem: &mut Problem, path: &Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let factors = parse_actuals_csv(&text, problem).map_err(|e| Error::Input(e.in_file(path)))?;
    for (task, (sum, n)) in factors {
        let t = &mut problem.tasks[task];
        t.actual_compute_factor = sum / n as f64;
        t.compute_recorded = true;
    }
    Ok(())
}

fn parse_actuals_csv(text: &str, problem: &Problem) -> Result<BTreeMap<usize, (f64, u64)>, InputError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| InputError::new(format!("cannot read the header: {e}")).at_line(Some(1)))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(task_col), Some(factor_col)) = (column("task"), column("compute_factor")) else {
        return Err(InputError::new(format!(
            "header is \"{}\"; expected the columns task,compute_factor (and optionally step)",
            headers.iter().collect::<Vec<_>>().join(",")
        ))
        .at_line(Some(1)));
    };
    let step_col = column("step");
    let mut factors = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            InputError::new(format!("malformed row: {e}")).at_line(line)
        })?;
        let line = record.position().map(|p| p.line() as usize);
        let field = |col: usize| record.get(col).unwrap_or("");
        let id = field(task_col);
        let Some(task) = problem.task_index(id) else {
            return Err(InputError::field("task", format!("unknown task \"{id}\"")).at_line(line));
        };
        if let Some(col) = step_col {
            let step = field(col);
            if !step.is_empty() && step.parse::<u64>().is_err() {
                return Err(InputError::field(
                    "step",
                    format!("\"{step}\" is not a step number; expected an integer >= 0"),
                )
                .at_line(line));
            }
        }
        let raw = field(factor_col);
        let factor: f64 = raw.parse().ok().filter(|f: &f64| f.is_finite() && *f > 0.0).ok_or_else(|| {
            InputError::field("compute_factor", format!("\"{raw}\" is not valid; expected a finite number > 0"))
                .at_line(line)
        })?;
        let entry = factors.entry(task).or_insert((0.0, 0));
        entry.0 += factor;
        entry.1 += 1;
    }
    Ok(factors)
}
