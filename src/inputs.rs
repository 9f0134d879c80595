//! Loading a workload as the user asked: a file or the embedded default, with recorded actuals
//! and the noise model applied.

use crate::args::WorkloadArgs;
use anyhow::Result;
use coprep_traces::actuals::{apply_actuals_csv, apply_noise, make_clairvoyant};
use coprep_traces::{io, synth, Problem};

pub fn load_problem(path: Option<&std::path::Path>) -> Result<Problem> {
    Ok(match path {
        Some(path) => io::read_workload(path)?.1,
        None => synth::default_problem().1,
    })
}

/// The workload with its recorded actuals, before any noise.
pub fn load_base(args: &WorkloadArgs) -> Result<Problem> {
    let mut problem = load_problem(args.workload.as_deref())?;
    if let Some(csv) = &args.actuals {
        apply_actuals_csv(&mut problem, csv)?;
    }
    Ok(problem)
}

/// `base` with noise drawn for `seed` where nothing was recorded.
pub fn with_noise(base: &Problem, noise: f64, seed: u64) -> Result<Problem> {
    let mut problem = base.clone();
    apply_noise(&mut problem, noise, seed)?;
    Ok(problem)
}

/// What a run uses: noise for `seed`, and with `--clairvoyant` estimates equal to actuals.
pub fn for_run(base: &Problem, args: &WorkloadArgs, noise: f64, seed: u64) -> Result<Problem> {
    let mut problem = with_noise(base, noise, seed)?;
    if args.clairvoyant {
        make_clairvoyant(&mut problem);
    }
    Ok(problem)
}

pub fn load(args: &WorkloadArgs) -> Result<Problem> {
    for_run(&load_base(args)?, args, args.noise, args.seed)
}
