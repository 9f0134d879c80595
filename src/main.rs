//! `coprep`: find the preprocessing that training jobs on one dataset share, and compare the
//! policies that schedule them, on a simulator (and, later, on real GPUs).

mod args;
mod commands;
mod exit;
mod inputs;
mod table;

use clap::Parser;

/// A planning round builds and drops many small vectors and maps; mimalloc serves them several
/// times faster than the system allocator (see the README's Speed section). Built without
/// transparent huge pages (`no_thp`): the kernel zeroing 2 MiB pages on first touch took 2.5 s
/// of the 3.8 s that building a 1M-task workload took.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    quiet_headless_vulkan();
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Simulate(a) => commands::simulate::run(a),
        args::Command::Compare(a) => commands::compare::run(a),
        args::Command::Plan(a) => commands::plan::run(a),
        args::Command::Plot(a) => commands::plot::run(a),
        args::Command::Sweep(a) => match a.merge {
            Some(args::SweepSubcommand::Merge(m)) => commands::sweep::merge(m),
            None => commands::sweep::run(a.args),
        },
        args::Command::Trace { command } => commands::trace::run(command),
        args::Command::Policies => commands::policies::run(),
        args::Command::Devices => commands::devices::run(),
        args::Command::Run(a) => commands::run::run(a),
        args::Command::Bench { command } => match command {
            args::BenchCommand::Quality(a) => commands::bench::quality::run(a),
            args::BenchCommand::Speed(a) => commands::bench::speed::run(a),
            args::BenchCommand::Kernels(a) => commands::bench::kernels::run(a),
            args::BenchCommand::Sharing(a) => commands::bench::sharing::run_bench(a),
        },
    };
    if let Err(err) = result {
        eprintln!("coprep: {err:#}");
        std::process::exit(exit::code_for(&err));
    }
}

/// On a headless machine (no `XDG_RUNTIME_DIR`), Mesa's Vulkan drivers print "error:
/// XDG_RUNTIME_DIR is invalid or not set" when wgpu enables the Wayland surface extension, though
/// nothing is wrong: point it at a private directory first. Done here, before any thread
/// exists, because changing the environment is only safe then.
fn quiet_headless_vulkan() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    let dir = std::env::temp_dir().join(format!("coprep-runtime-{user}"));
    #[cfg(unix)]
    let made = {
        use std::os::unix::fs::DirBuilderExt;
        let created = std::fs::DirBuilder::new().mode(0o700).create(&dir);
        created.is_ok() || dir.is_dir()
    };
    #[cfg(not(unix))]
    let made = false;
    if made {
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}
