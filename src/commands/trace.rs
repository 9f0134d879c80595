//! `coprep trace validate` and `coprep trace gen`.

use crate::args::{GenArgs, GenKind, ImportArgs, ImportFormat, TimeUnit, TraceCommand};
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
        TraceCommand::Import(args) => import(args),
    }
}

fn import(args: ImportArgs) -> Result<()> {
    use coprep_traces::import::{gavel, muri, swf};
    if args.buffer_batches == 0 {
        return Err(InputError::field("--buffer-batches", "0 is not valid; expected at least 1").into());
    }
    if !(args.migration.is_finite() && args.migration >= 0.0) {
        return Err(InputError::field(
            "--migration",
            format!("{} is not valid; expected seconds >= 0", args.migration),
        )
        .into());
    }
    let (workload, skipped) = match args.format {
        ImportFormat::Gavel => {
            let opts = gavel::GavelOptions {
                throughputs: args.throughputs.clone(),
                cluster: args.cluster.clone(),
                pipelines: args.pipelines.clone(),
                buffer_batches: args.buffer_batches,
                migration_s: args.migration,
            };
            let (workload, extrapolated) = gavel::import(&args.input, &opts)?;
            if extrapolated > 0 {
                eprintln!("note: {extrapolated} (job, GPU type) throughputs were not measured for the job's gang size and are scaled linearly from a measured size");
            }
            (workload, 0)
        }
        ImportFormat::Muri => {
            let mut datasets = std::collections::BTreeMap::new();
            for pair in &args.datasets {
                let (model, dataset) = pair
                    .split_once('=')
                    .filter(|(m, d)| !m.is_empty() && !d.is_empty())
                    .ok_or_else(|| InputError::field("--dataset", format!("\"{pair}\" is not MODEL=DATASET")))?;
                datasets.insert(model.to_string(), dataset.to_string());
            }
            let time_unit_s = match args.time_unit {
                TimeUnit::Us => 1e-6,
                TimeUnit::Ms => 1e-3,
                TimeUnit::S => 1.0,
            };
            let opts = muri::MuriOptions {
                cluster: args.cluster_file.clone(),
                time_unit_s,
                datasets,
                buffer_batches: args.buffer_batches,
                migration_s: args.migration,
            };
            (muri::import(&args.input, &opts)?, 0)
        }
        ImportFormat::Swf => {
            let opts = swf::SwfOptions {
                prep_fraction: args.prep_fraction,
                buffer_batches: args.buffer_batches,
                migration_s: args.migration,
            };
            swf::import(&args.input, &opts)?
        }
    };
    // The result must be a valid workload (e.g. no gang larger than the cluster).
    coprep_traces::Problem::from_workload(&workload, None).map_err(|e| e.in_file(&args.input))?;
    let skipped_text = if skipped > 0 { format!(", {skipped} jobs skipped (run time <= 0)") } else { String::new() };
    let summary = format!(
        "{} jobs over {} datasets on {} processor groups{skipped_text}",
        workload.tasks.len(),
        workload.datasets.len(),
        workload.cluster.processors.len()
    );
    match &args.out {
        Some(path) => {
            io::write_workload(path, &workload)?;
            eprintln!("imported {summary} into {}", path.display());
        }
        None => {
            println!("{}", serde_json::to_string_pretty(&workload)?);
            eprintln!("imported {summary}");
        }
    }
    Ok(())
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
