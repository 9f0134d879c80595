//! `coprep plot DIR`: redraw plots and the report from records, without re-running anything.

use crate::args::PlotArgs;
use anyhow::Result;

pub fn run(args: PlotArgs) -> Result<()> {
    let runs = coprep_reports::load_runs(&args.dir)?;
    let files = coprep_reports::draw_report(&runs, &args.dir, args.png)?;
    eprintln!(
        "drew {} files from {} runs; open {}",
        files.len(),
        runs.runs.len(),
        args.dir.join("report.html").display()
    );
    Ok(())
}
