//! The standard instance classes of P||Cmax (identical parallel machines, minimum makespan),
//! and the workload that poses one to the policies: every task alone on its dataset with no
//! preprocessing, so nothing is shared and placement is the whole problem.
//!
//! Classes, as the literature generates them (integer processing times):
//! - *uniform* (França, Gendreau, Laporte and Müller, 1994): `p ~ U{a..b}`;
//! - *non-uniform* (Frangioni, Necciari and Scutellà, 2004): 98% of the jobs `U[0.9(b−a), b]`,
//!   the other 2% `U[a, 0.2(b−a)]` — long jobs of nearly equal length, where list scheduling
//!   has little room and LPT is typically several percent off;
//!
//! each with `a = 1` and `b ∈ {100, 1000, 10000}`, on `m ∈ {5, 10, 25}` machines and
//! `n ∈ {10, 50, 100, 500, 1000}` jobs with `n > m` (the grid of Dell'Amico, Iori, Martello and
//! Monaci, 2008).
//!
//! And the experiment sets E1–E4 of the P||Cmax literature (the ones our issue tracker names
//! after Berndt et al.), with the parameters a public P||Cmax benchmark generator gives them,
//! all uniform `U{a..b}`. They pair few jobs per machine with narrow ranges, where LPT is
//! furthest from the optimum:
//! - E1: `m ∈ {3, 4, 5}`, `n ∈ {2m, 3m, 5m}`, `U{1..20}` and `U{20..50}`;
//! - E2: `m ∈ {2, 3}` with `n ∈ {10, 30, 50, 100}`, and `m ∈ {4, 6, 8, 10}` with
//!   `n ∈ {30, 50, 100}`, `U{100..800}`;
//! - E3: `m ∈ {3, 5, 8, 10}`, `n ∈ {3m+1, 3m+2, 4m+1, 4m+2, 5m+1, 5m+2}`, `U{1..100}` and
//!   `U{100..200}`;
//! - E4: `(m, n) ∈ {(2, 10), (3, 9)}`, `U{1..20}`, `U{20..50}`, `U{1..100}`, `U{50..100}`,
//!   `U{100..200}` and `U{100..800}`.

use crate::model::{Actuals, Cluster, Dataset, Pipeline, ProcessorSpec, Task, Workload};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt;

/// How processing times are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// França et al. (1994): `U{a..b}`.
    Uniform { a: u64, b: u64 },
    /// Frangioni et al. (2004): 98% `U[0.9(b−a), b]`, 2% `U[a, 0.2(b−a)]`.
    NonUniform { a: u64, b: u64 },
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Uniform { a, b } => write!(f, "uniform[{a},{b}]"),
            Class::NonUniform { a, b } => write!(f, "non-uniform[{a},{b}]"),
        }
    }
}

/// The published classes: both kinds with `a = 1` and `b` = 100, 1000, 10000.
pub fn published_classes() -> Vec<Class> {
    let bs = [100, 1000, 10_000];
    let uniform = bs.iter().map(|&b| Class::Uniform { a: 1, b });
    uniform.chain(bs.iter().map(|&b| Class::NonUniform { a: 1, b })).collect()
}

/// The published (machines, jobs) grid: `m ∈ {5, 10, 25}`, `n ∈ {10, 50, 100, 500, 1000}`, `n > m`.
pub fn published_sizes() -> Vec<(usize, usize)> {
    let mut sizes = Vec::new();
    for m in [5, 10, 25] {
        for n in [10, 50, 100, 500, 1000] {
            if n > m {
                sizes.push((m, n));
            }
        }
    }
    sizes
}

/// Which published family an instance belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// França et al.'s and Frangioni et al.'s classes on Dell'Amico et al.'s grid.
    Grid,
    E1,
    E2,
    E3,
    E4,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Grid => "grid",
            Family::E1 => "E1",
            Family::E2 => "E2",
            Family::E3 => "E3",
            Family::E4 => "E4",
        })
    }
}

/// One cell of a published family: `jobs` jobs of `class` on `machines` machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub family: Family,
    pub class: Class,
    pub machines: usize,
    pub jobs: usize,
}

/// Every cell of `family`, in the order the literature lists them.
pub fn cells(family: Family) -> Vec<Cell> {
    let u = |a, b| Class::Uniform { a, b };
    let mut cells = Vec::new();
    let mut add = |machines: usize, jobs: usize, classes: &[Class]| {
        for &class in classes {
            cells.push(Cell { family, class, machines, jobs });
        }
    };
    match family {
        Family::Grid => {
            for class in published_classes() {
                for (m, n) in published_sizes() {
                    add(m, n, &[class]);
                }
            }
        }
        Family::E1 => {
            for m in [3, 4, 5] {
                for k in [2, 3, 5] {
                    add(m, k * m, &[u(1, 20), u(20, 50)]);
                }
            }
        }
        Family::E2 => {
            for (ms, ns) in [(&[2, 3][..], &[10, 30, 50, 100][..]), (&[4, 6, 8, 10][..], &[30, 50, 100][..])] {
                for &m in ms {
                    for &n in ns {
                        add(m, n, &[u(100, 800)]);
                    }
                }
            }
        }
        Family::E3 => {
            for m in [3, 5, 8, 10] {
                for k in [3, 4, 5] {
                    for extra in [1, 2] {
                        add(m, k * m + extra, &[u(1, 100), u(100, 200)]);
                    }
                }
            }
        }
        Family::E4 => {
            let classes = [u(1, 20), u(20, 50), u(1, 100), u(50, 100), u(100, 200), u(100, 800)];
            add(2, 10, &classes);
            add(3, 9, &classes);
        }
    }
    cells
}

/// `n` processing times of `class`, seeded.
pub fn generate(class: Class, n: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    match class {
        Class::Uniform { a, b } => (0..n).map(|_| rng.random_range(a..=b)).collect(),
        Class::NonUniform { a, b } => {
            let long = n * 98 / 100;
            let span = (b - a) as f64;
            let (long_lo, short_hi) = ((0.9 * span).ceil() as u64, ((0.2 * span).floor() as u64).max(a));
            let mut p: Vec<u64> = (0..long).map(|_| rng.random_range(long_lo.max(a)..=b)).collect();
            p.extend((long..n).map(|_| rng.random_range(a..=short_hi)));
            p
        }
    }
}

/// The trivial lower bound on the optimum: `max(⌈Σp/m⌉, max p, p[m-1] + p[m])` (the last: with
/// more jobs than machines, two of the `m + 1` longest share a machine).
pub fn lower_bound(p: &[u64], m: usize) -> u64 {
    let mut sorted = p.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = p.iter().sum();
    let mut bound = total.div_ceil(m as u64).max(sorted.first().copied().unwrap_or(0));
    if sorted.len() > m {
        bound = bound.max(sorted[m - 1] + sorted[m]);
    }
    bound
}

/// A workload posing the instance: `m` identical processors, task `j` runs `p[j]` one-second
/// steps, every task on its own dataset with an empty pipeline (no preprocessing, no sharing).
pub fn workload(name: &str, p: &[u64], m: usize) -> Workload {
    let datasets = (0..p.len()).map(|j| Dataset { id: format!("d{j}"), samples: 0, sample_bytes: 0 }).collect();
    let tasks = p
        .iter()
        .enumerate()
        .map(|(j, &steps)| Task {
            id: format!("j{j}"),
            arrival_s: 0.0,
            dataset: format!("d{j}"),
            pipeline: "none".into(),
            batch_size: 1,
            steps,
            compute_s: [("machine".to_string(), 1.0)].into_iter().collect(),
            memory_gb: 0.0,
            processors: 1,
        })
        .collect();
    Workload {
        name: name.to_string(),
        datasets,
        pipelines: vec![Pipeline { id: "none".into(), stages: Vec::new() }],
        tasks,
        cluster: Cluster {
            processors: vec![ProcessorSpec::uniform("machine", m as u32, None)],
            buffer_batches: 1,
            migration_s: 0.0,
        },
        actuals: Actuals::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_draw_from_their_ranges() {
        let p = generate(Class::Uniform { a: 1, b: 100 }, 1000, 3);
        assert!(p.iter().all(|&x| (1..=100).contains(&x)));
        assert!(p.iter().any(|&x| x < 10) && p.iter().any(|&x| x > 90));
        let p = generate(Class::NonUniform { a: 1, b: 1000 }, 1000, 3);
        // 980 long jobs in [900, 1000] (0.9 × 999 = 899.1, rounded up), 20 short in [1, 199].
        assert_eq!(p.iter().filter(|&&x| (900..=1000).contains(&x)).count(), 980);
        assert_eq!(p.iter().filter(|&&x| (1..=199).contains(&x)).count(), 20);
        assert_eq!(generate(Class::Uniform { a: 1, b: 100 }, 50, 9), generate(Class::Uniform { a: 1, b: 100 }, 50, 9));
    }

    #[test]
    fn lower_bound_by_hand() {
        // Σ = 15 over 2 machines → 8; max 5; p[1] + p[2] = 4 + 3 = 7.
        assert_eq!(lower_bound(&[5, 4, 3, 2, 1], 2), 8);
        // Three equal long jobs on two machines: two must share → 20.
        assert_eq!(lower_bound(&[10, 10, 10], 2), 20);
        assert_eq!(lower_bound(&[7], 3), 7);
    }

    #[test]
    fn the_e_families_by_hand() {
        // E1: 3 m × 3 n × 2 ranges; E2: 2 × 4 + 4 × 3; E3: 4 m × 6 n × 2 ranges; E4: 2 × 6.
        let counts: Vec<usize> = [Family::E1, Family::E2, Family::E3, Family::E4].map(|f| cells(f).len()).into();
        assert_eq!(counts, [18, 20, 48, 12]);
        assert_eq!(cells(Family::Grid).len(), 6 * 13);
        let e3 = cells(Family::E3);
        assert_eq!((e3[0].machines, e3[0].jobs, e3[0].class), (3, 10, Class::Uniform { a: 1, b: 100 }));
        assert_eq!((e3[47].machines, e3[47].jobs, e3[47].class), (10, 52, Class::Uniform { a: 100, b: 200 }));
        assert!(cells(Family::E1).iter().all(|c| [2, 3, 5].contains(&(c.jobs / c.machines))));
    }

    #[test]
    fn the_published_grid() {
        assert_eq!(published_classes().len(), 6);
        // 5 sizes for m = 5, 4 each for m = 10 and 25 (n must exceed m).
        assert_eq!(published_sizes().len(), 13);
    }
}
