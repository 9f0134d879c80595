//! The command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "coprep", version, about = "Shared preprocessing for co-scheduled training jobs: plan it, and compare the policies that schedule it", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Simulate one policy on a workload and print its metrics
    Simulate(SimulateArgs),
    /// Simulate several policies on one workload and print a comparison table
    Compare(CompareArgs),
    /// Show which tasks share which preprocessing streams, and the work sharing saves
    Plan(PlanArgs),
    /// Redraw the plots and report.html of a `compare --out` directory from its records
    Plot(PlotArgs),
    /// Run a grid of policies, caps, cluster sizes, noise levels and seeds (optionally one shard
    /// of it); `coprep sweep merge` combines shards
    Sweep(SweepCommand),
    /// Check and generate workload files
    Trace {
        #[command(subcommand)]
        command: TraceCommand,
    },
    /// List the policies and their parameters
    Policies,
    /// List the GPU adapters the executor can use (name, backend, type, limits)
    Devices,
    /// Train a workload's tasks on this machine's GPUs under a policy, sharing preprocessing,
    /// and record a trace the simulator replays
    Run(ExecArgs),
    /// Measure policy quality against the optimum, or simulator speed at scale
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Args)]
pub struct ExecArgs {
    /// Run workload (JSON: data sets, pipelines, models, tasks; see docs/executor.md); the
    /// embedded default (a learning-rate sweep on a synthetic data set) if absent
    pub workload: Option<PathBuf>,
    /// Policy deciding which processor runs which preprocessing and training (see `coprep policies`)
    #[arg(long, short, default_value = "min-makespan")]
    pub policy: String,
    /// Write records, per-task results and the recorded trace here
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Processors each device is split into (their phases run concurrently on it)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub slots_per_device: usize,
    /// Adapters to use, as indices into `coprep devices` (repeat one to open it twice as two
    /// devices); all of them if absent
    #[arg(long, value_delimiter = ',', value_name = "I,J,..")]
    pub devices: Option<Vec<usize>>,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Makespan gap to the optimum on the standard P||Cmax classes (França et al. uniform,
    /// Frangioni et al. non-uniform, the sets E1-E4), solved exactly by branch and bound where
    /// it can be
    Quality(QualityArgs),
    /// Simulator speed and peak memory on synthetic workloads of growing size, per policy
    Speed(SpeedArgs),
    /// Throughput of the executor's kernels on the first GPU adapter (GFLOP/s, GB/s)
    Kernels(KernelsArgs),
    /// Preprocessing time of N tasks sharing one stream against N unshared, on the GPUs
    Sharing(SharingArgs),
}

#[derive(Args)]
pub struct SharingArgs {
    /// Task counts N
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 8])]
    pub tasks: Vec<usize>,
    /// Training steps per task
    #[arg(long, default_value_t = 20)]
    pub steps: u64,
    /// Images per batch
    #[arg(long, default_value_t = 64)]
    pub batch: u32,
}

#[derive(Args)]
pub struct KernelsArgs {
    /// Square matmul sizes
    #[arg(long, value_delimiter = ',', default_values_t = [256, 512, 1024])]
    pub matmul: Vec<usize>,
    /// Timed repetitions after one warm-up
    #[arg(long, default_value_t = 5)]
    pub reps: u32,
    /// Images (32 x 32 x 3) per batch for the preprocessing ops
    #[arg(long, default_value_t = 256)]
    pub images: usize,
}

#[derive(Args)]
pub struct SpeedArgs {
    /// Task counts to measure
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000])]
    pub tasks: Vec<usize>,
    /// Policies [default: fifo lpt min-makespan min-idle reestimate]
    #[arg(long = "policies", short, num_args = 1.., value_name = "POLICY")]
    pub policies: Vec<String>,
    /// GPUs in the cluster
    #[arg(long, default_value_t = 256)]
    pub processors: u32,
    /// Compute offered, as a fraction of what the cluster can do: arrivals are spread to match
    /// (preprocessing comes on top, so at 0.9 the queue grows through the run)
    #[arg(long, default_value_t = 0.9, value_parser = positive_load)]
    pub load: f64,
    /// Seed of the generated workload
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Internal: run one measurement, TASKS:POLICY, and print it as JSON
    #[arg(long, hide = true, value_name = "TASKS:POLICY")]
    pub one: Option<String>,
}

#[derive(Args)]
pub struct QualityArgs {
    /// Policies to measure [default: lpt min-makespan]
    #[arg(long = "policies", short, num_args = 1.., value_name = "POLICY")]
    pub policies: Vec<String>,
    /// Instance families: the França/Frangioni grid and the sets E1-E4
    #[arg(long, value_delimiter = ',', default_values_t = FamilyArg::ALL, value_name = "F,..")]
    pub families: Vec<FamilyArg>,
    /// Instances per class and size
    #[arg(long, default_value_t = 10)]
    pub seeds: u64,
    /// Only instances with at most this many jobs
    #[arg(long, value_name = "N")]
    pub max_jobs: Option<usize>,
    /// Branch-and-bound nodes per instance before settling for the lower bound
    #[arg(long, default_value_t = 2_000_000)]
    pub node_limit: u64,
    /// Write one row per instance and policy here (CSV)
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct WorkloadArgs {
    /// Workload file (JSON, see docs/workload-format.md); the embedded 8-task sweep if absent
    pub workload: Option<PathBuf>,
    /// Seed for the noise model (and recorded in the summary)
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Actual durations differ from the estimates by a log-normal factor with this sigma (median 1)
    #[arg(long, default_value_t = 0.0, value_name = "SIGMA")]
    pub noise: f64,
    /// Recorded actual compute factors: CSV with columns task,compute_factor[,step]
    #[arg(long, value_name = "CSV")]
    pub actuals: Option<PathBuf>,
    /// Let policies see the actual compute durations (the reference for re-estimation)
    #[arg(long)]
    pub clairvoyant: bool,
}

/// A published P||Cmax instance family (see `coprep_traces::pcmax`).
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum FamilyArg {
    /// Uniform and non-uniform classes, 5-25 machines, 10-1,000 jobs
    Grid,
    /// 3-5 machines, 2, 3 or 5 jobs per machine, U{1..20} and U{20..50}
    E1,
    /// 2-10 machines, 10-100 jobs, U{100..800}
    E2,
    /// 3-10 machines, 3m+1 to 5m+2 jobs, U{1..100} and U{100..200}
    E3,
    /// 2 machines and 10 jobs, 3 machines and 9 jobs, six ranges
    E4,
}

impl FamilyArg {
    pub const ALL: [FamilyArg; 5] = [FamilyArg::Grid, FamilyArg::E1, FamilyArg::E2, FamilyArg::E3, FamilyArg::E4];

    pub fn family(self) -> coprep_traces::pcmax::Family {
        use coprep_traces::pcmax::Family;
        match self {
            FamilyArg::Grid => Family::Grid,
            FamilyArg::E1 => Family::E1,
            FamilyArg::E2 => Family::E2,
            FamilyArg::E3 => Family::E3,
            FamilyArg::E4 => Family::E4,
        }
    }
}

impl std::fmt::Display for FamilyArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.to_possible_value().expect("no skipped variants").get_name())
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum EngineArg {
    /// Advance steady segments in closed form (fast)
    Analytic,
    /// Simulate every preprocessing and compute phase (slow; the reference)
    PerBatch,
}

/// How a simulation runs and how its results are printed.
#[derive(Args)]
pub struct RunArgs {
    /// Simulation engine
    #[arg(long, value_enum, default_value_t = EngineArg::Analytic)]
    pub engine: EngineArg,
    /// How to print the results (the records in --out are always JSON and CSV)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Policy, e.g. min-makespan[cap=4] (see `coprep policies`)
    #[arg(long, short, default_value = "min-makespan")]
    pub policy: String,
    #[command(flatten)]
    pub run: RunArgs,
    /// Write summary.json, jobs.csv and events.jsonl here
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Policies to compare (repeat or separate by spaces); default: fifo lpt min-makespan min-idle reestimate[base=min-makespan]
    #[arg(long = "policies", short, num_args = 1.., value_name = "POLICY")]
    pub policies: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Run every policy with this many seeds (--seed, --seed+1, ...), in parallel; the tables
    /// give means and 95% confidence intervals (seeds matter with --noise)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seeds: u64,
    /// Write the records of every run, comparison.csv, plots/ (SVG) and report.html here
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also draw every plot as PNG
    #[arg(long, requires = "out")]
    pub png: bool,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepCommand {
    #[command(subcommand)]
    pub merge: Option<SweepSubcommand>,
    #[command(flatten)]
    pub args: SweepArgs,
}

#[derive(Subcommand)]
pub enum SweepSubcommand {
    /// Combine the shards of a sweep into one result set
    Merge(SweepMergeArgs),
}

#[derive(Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Policies [default: fifo min-makespan min-idle]
    #[arg(long = "policies", short, num_args = 1.., value_name = "POLICY")]
    pub policies: Vec<String>,
    /// Caps for the policies that take one (min-makespan, min-idle), e.g. 1,2,4,auto
    #[arg(long, value_delimiter = ',')]
    pub caps: Vec<String>,
    /// Cluster sizes (processor counts; the workload's types in proportion), e.g. 4,8,16
    #[arg(long, value_delimiter = ',')]
    pub processors: Vec<usize>,
    /// Noise levels (log-normal sigma), e.g. 0,0.3,0.5 [default: --noise]
    #[arg(long, value_delimiter = ',', value_name = "SIGMAS")]
    pub noises: Vec<f64>,
    /// Seeds per point: --seed, --seed+1, ...
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Run only the grid points whose index is I modulo N (0 <= I < N)
    #[arg(long, default_value = "0/1", value_name = "I/N")]
    pub shard: String,
    /// Where sweep-I-of-N.csv (and, unsharded, summary.csv) go
    #[arg(long, value_name = "DIR", required = true)]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct SweepMergeArgs {
    /// Directories holding sweep-I-of-N.csv files
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged sweep-0-of-1.csv and summary.csv go
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct PlotArgs {
    /// A directory written by `coprep compare --out`
    pub dir: PathBuf,
    /// Also draw every plot as PNG
    #[arg(long)]
    pub png: bool,
}

#[derive(Args)]
pub struct PlanArgs {
    /// Workload file; the embedded default if absent
    pub workload: Option<PathBuf>,
    /// At most this many tasks per stream: a number, auto, or none
    #[arg(long, default_value = "auto")]
    pub cap: String,
    /// How to print the results (the records in --out are always JSON and CSV)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Check workload files; report the first problem of each with file, line and field
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a seeded synthetic workload
    Gen(GenArgs),
    /// Convert a public cluster trace into a workload (see docs/importers.md for the mappings)
    Import(ImportArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ImportFormat {
    /// Gavel's Philly-derived *.trace, with simulation_throughputs.json
    Gavel,
    /// Muri's multi-resource trace CSV, with its cluster CSV
    Muri,
    /// The Standard Workload Format of the Parallel Workloads Archive
    Swf,
}

#[derive(Args)]
pub struct ImportArgs {
    #[arg(long, value_enum)]
    pub format: ImportFormat,
    /// The trace file
    pub input: PathBuf,
    /// Output workload file; standard output if absent
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Buffer capacity in batches
    #[arg(long, default_value_t = 4)]
    pub buffer_batches: u32,
    /// Seconds a move of a running task costs
    #[arg(long, default_value_t = 30.0)]
    pub migration: f64,
    /// gavel: measured throughputs [default: simulation_throughputs.json beside the trace]
    #[arg(long, value_name = "JSON")]
    pub throughputs: Option<PathBuf>,
    /// gavel: the cluster, type:count,...
    #[arg(long, default_value = coprep_traces::import::gavel::DEFAULT_CLUSTER)]
    pub cluster: String,
    /// gavel: pipelines per dataset (a JSON object: dataset -> array of stages) replacing the defaults
    #[arg(long, value_name = "JSON")]
    pub pipelines: Option<PathBuf>,
    /// muri: the cluster file [default: cluster_n8g8.csv beside the trace]
    #[arg(long, value_name = "CSV")]
    pub cluster_file: Option<PathBuf>,
    /// muri: the unit of the trace's times
    #[arg(long, value_enum, default_value_t = TimeUnit::Us)]
    pub time_unit: TimeUnit,
    /// muri: the dataset a model reads, overriding the defaults (repeat: --dataset resnet18=cifar10)
    #[arg(long = "dataset", value_name = "MODEL=DATASET")]
    pub datasets: Vec<String>,
    /// swf: the share of each job's time that is input preparation jobs of one executable could share
    #[arg(long, default_value_t = 0.25)]
    pub prep_fraction: f64,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TimeUnit {
    Us,
    Ms,
    S,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GenKind {
    /// A preprocessing-bound hyper-parameter sweep on one dataset
    Sweep,
    /// Several datasets, arrivals over time, gangs of 1-8 processors, two processor types
    Mixed,
}

#[derive(Args)]
pub struct GenArgs {
    #[arg(value_enum)]
    pub kind: GenKind,
    #[arg(long, default_value_t = 16)]
    pub tasks: usize,
    #[arg(long, default_value_t = 4)]
    pub processors: u32,
    /// Datasets (mixed only)
    #[arg(long, default_value_t = 3)]
    pub datasets: usize,
    /// Mean seconds between arrivals (mixed only)
    #[arg(long, default_value_t = 60.0)]
    pub interarrival: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output file; standard output if absent
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// A load: a number above 0 (1 offers exactly what the cluster can compute).
fn positive_load(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("{text:?} is not a load; expected a number above 0, such as 0.9")),
    }
}

#[cfg(test)]
mod tests {
    /// clap checks a command's definition (unique names, valid defaults) only when it is built
    /// in a debug binary; this checks every subcommand at once.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
