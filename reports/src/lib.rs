//! coprep's reports: plots and a self-contained HTML page, drawn from the records any engine
//! writes (`summary.json`, `jobs.csv`, `events.jsonl`). Text is rendered with an embedded font,
//! so plots come out the same on a headless machine with no font configuration.
//!
//! ```
//! // Means over seeds come with a 95% confidence interval from Student's t.
//! let ci = coprep_reports::stats::mean_ci(&[330.0, 352.0, 341.0, 347.0, 338.0]);
//! assert!((ci.mean - 341.6).abs() < 1e-9);
//! assert!(ci.low() < 341.6 && 341.6 < ci.high());
//! ```

pub mod cdf;
pub mod comparison;
pub mod gantt;
pub mod html;
pub mod layout;
pub mod load;
pub mod render;
pub mod savings;
pub mod stats;
pub mod theme;
pub mod timeline;
pub mod utilisation;

pub use load::{load_runs, Run, RunSet};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Records(#[from] coprep_traces::Error),
    #[error("{path}: {message}")]
    BadRecords { path: PathBuf, message: String },
    #[error("drawing {plot}: {message}")]
    Draw { plot: String, message: String },
}

/// Draws every plot of `runs` into `dir/plots/` (SVG, and PNG with `png`) and writes
/// `dir/report.html`. Returns the files written.
pub fn draw_report(runs: &RunSet, dir: &Path, png: bool) -> Result<Vec<PathBuf>, ReportError> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(|e| coprep_traces::Error::io(&plots, e))?;
    let mut drawn = Vec::new();
    drawn.push(comparison::draw(runs, &plots, png)?);
    drawn.push(cdf::draw(runs, &plots, png)?);
    drawn.push(savings::draw(runs, &plots, png)?);
    for policy in runs.policies() {
        let run = runs.first_of(&policy).expect("a listed policy has a run");
        drawn.push(gantt::draw(run, &plots, png)?);
        drawn.push(utilisation::draw(run, &plots, png)?);
    }
    let page = html::write(runs, dir, &drawn)?;
    let mut files: Vec<PathBuf> = drawn.iter().flat_map(|d| d.files()).collect();
    files.push(page);
    Ok(files)
}

/// One drawn plot: its title and where its files are.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub title: String,
    pub svg: PathBuf,
    pub png: Option<PathBuf>,
}

impl Drawn {
    pub fn files(&self) -> Vec<PathBuf> {
        std::iter::once(self.svg.clone()).chain(self.png.clone()).collect()
    }
}
