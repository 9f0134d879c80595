//! Policy quality on P||Cmax: how far a policy's makespan is from the optimum on the standard
//! instance classes (see `coprep_traces::pcmax`), and how long it takes to decide.
//!
//! Each instance is posed as a workload (no preprocessing, identical processors, everything
//! arriving at once) and simulated end to end, so the figure is the policy's real makespan, not
//! that of a separate copy of its algorithm. The reference is the branch-and-bound optimum
//! where the search proves it (or a policy's schedule meets the lower bound), else the lower
//! bound — then the gap printed is an upper bound on the true gap.

use crate::{simulate, RunOptions, SimError};
use coprep_policies::exact::branch_and_bound;
use coprep_policies::{parse_policy, ClusterState, Event, View};
use coprep_traces::pcmax::{self, Class, Family};
use coprep_traces::Problem;
use std::time::Instant;

/// One instance of a published family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    pub family: Family,
    pub class: Class,
    pub machines: usize,
    pub jobs: usize,
    pub seed: u64,
}

impl Instance {
    pub fn times(&self) -> Vec<u64> {
        // Seeds differ per family, class and size too, so that no two cells share their draws.
        let salt = (self.machines as u64) << 32 ^ (self.jobs as u64) << 16 ^ class_salt(self.class);
        pcmax::generate(self.class, self.jobs, self.seed ^ salt ^ family_salt(self.family))
    }

    /// The row it is summarised under: the class for the grid, the family for E1–E4.
    pub fn label(&self) -> String {
        match self.family {
            Family::Grid => self.class.to_string(),
            family => family.to_string(),
        }
    }
}

fn class_salt(class: Class) -> u64 {
    match class {
        // `a` only for the E families: the grid's draws stay those published before them.
        Class::Uniform { a, b } if a > 1 => b ^ a << 20,
        Class::Uniform { b, .. } => b,
        Class::NonUniform { b, .. } => b + 1,
    }
}

fn family_salt(family: Family) -> u64 {
    match family {
        Family::Grid => 0,
        other => (other as u64) << 48,
    }
}

/// `seeds` instances of every cell of each of `families`.
pub fn instances(families: &[Family], seeds: u64) -> Vec<Instance> {
    let mut all = Vec::new();
    for &family in families {
        for cell in pcmax::cells(family) {
            for seed in 0..seeds {
                all.push(Instance { family, class: cell.class, machines: cell.machines, jobs: cell.jobs, seed });
            }
        }
    }
    all
}

/// The published grid (França et al.'s and Frangioni et al.'s classes), `seeds` instances per
/// class and size.
pub fn grid(seeds: u64) -> Vec<Instance> {
    instances(&[Family::Grid], seeds)
}

/// One policy on one instance.
#[derive(Debug, Clone)]
pub struct PolicyResult {
    pub policy: String,
    pub makespan: u64,
    /// (makespan − reference) / reference.
    pub gap: f64,
    /// Seconds the policy took to place every task at time 0 (one call, outside the simulator).
    pub decide_s: f64,
}

#[derive(Debug, Clone)]
pub struct InstanceResult {
    pub instance: Instance,
    /// The optimum if `proven`, else the lower bound.
    pub reference: u64,
    pub proven: bool,
    pub lower_bound: u64,
    pub policies: Vec<PolicyResult>,
}

/// Solves `instance` exactly (at most `node_limit` nodes) and runs every policy on it.
pub fn evaluate(instance: &Instance, policies: &[String], node_limit: u64) -> Result<InstanceResult, SimError> {
    let p = instance.times();
    let m = instance.machines;
    let optimum = branch_and_bound(&p, m, node_limit);
    let reference = optimum.lower_bound;
    let workload = pcmax::workload(&format!("{} m={m} n={}", instance.class, p.len()), &p, m);
    let problem = Problem::from_workload(&workload, None).expect("generated instances are valid");
    let opts = RunOptions { record_events: false, ..RunOptions::default() };
    let mut results = Vec::with_capacity(policies.len());
    for spec in policies {
        let decide_s = time_first_decision(&problem, spec);
        let mut policy = parse_policy(spec).expect("policy specs are checked by the caller");
        let records = simulate(&problem, policy.as_mut(), &opts)?;
        // Whole seconds: every job is a whole number of one-second steps.
        let makespan = records.summary.makespan_s.round() as u64;
        let gap = (makespan as f64 - reference as f64) / reference as f64;
        results.push(PolicyResult { policy: spec.clone(), makespan, gap, decide_s });
    }
    // A schedule that meets the lower bound is optimal too, whether or not the search got there.
    let meets_bound = results.iter().any(|r| r.makespan == reference);
    Ok(InstanceResult {
        instance: *instance,
        reference,
        proven: optimum.proven || meets_bound,
        lower_bound: pcmax::lower_bound(&p, m),
        policies: results,
    })
}

/// Seconds `spec` takes to decide on the first arrival with every task pending: the fastest of
/// three tries, so that a busy machine does not count against the policy.
fn time_first_decision(problem: &Problem, spec: &str) -> f64 {
    let mut state = ClusterState::new(problem);
    for t in 0..problem.tasks.len() {
        state.arrive(problem, t);
    }
    let view = View::new(problem, &state, 0);
    (0..3)
        .map(|_| {
            let mut policy = parse_policy(spec).expect("policy specs are checked by the caller");
            let start = Instant::now();
            let decisions = policy.on_event(&Event::TaskArrived { task: 0 }, &view);
            let elapsed = start.elapsed().as_secs_f64();
            std::hint::black_box(decisions);
            elapsed
        })
        .fold(f64::INFINITY, f64::min)
}
