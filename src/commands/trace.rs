//! `coprep trace validate` and `coprep trace gen`.

use crate::args::{GenArgs, GenKind, TraceCommand};
use anyhow::Result;
use coprep_traces::{io, synth, InputError};

pub fn run(command: TraceCommand) -> Result<()> {
    match command {
        TraceCommand::Validate { files } => {
            let mut bad = 0;
            for file in &files {
                match io::read_workload(file) {
                    Ok((_, p)) => println!(
                        "ok: {} ({} tasks, {} datasets, {} processors)",
                        file.display(),
                        p.tasks.len(),
                        p.datasets.len(),
                        p.processors.len()
                    ),
                    Err(e) => {
                        eprintln!("invalid: {e}");
                        bad += 1;
                    }
                }
            }
            if bad > 0 {
                return Err(InputError::new(format!("{bad} of {} workload files are invalid", files.len())).into());
            }
            Ok(())
        }
        TraceCommand::Gen(args) => gen(args),
    }
}

fn gen(args: GenArgs) -> Result<()> {
    if args.tasks == 0 || args.processors == 0 {
        return Err(InputError::field("--tasks/--processors", "expected at least 1 of each").into());
    }
    if !(args.interarrival.is_finite() && args.interarrival >= 0.0) {
        return Err(InputError::field(
            "--interarrival",
            format!("{} is not valid; expected seconds >= 0", args.interarrival),
        )
        .into());
    }
    let workload = match args.kind {
        GenKind::Sweep => synth::sweep(args.tasks, args.processors, args.seed),
        GenKind::Mixed => synth::mixed(args.tasks, args.processors, args.datasets, args.interarrival, args.seed),
    };
    match &args.out {
        Some(path) => {
            io::write_workload(path, &workload)?;
            eprintln!("wrote {} ({} tasks)", path.display(), workload.tasks.len());
        }
        None => println!("{}", serde_json::to_string_pretty(&workload)?),
    }
    Ok(())
}
