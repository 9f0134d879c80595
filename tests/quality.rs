//! Policy quality on P||Cmax: min-makespan against the branch-and-bound optimum on the
//! published instance classes (small slices of `coprep bench quality`'s instances).

use coprep_sim::quality::{evaluate, grid, instances, Instance};
use coprep_traces::pcmax::Family;

/// Gaps of LPT and of min-makespan over `instances`, checking on the way that neither beats
/// the reference and that min-makespan never loses to LPT.
struct Gaps {
    lpt_mean: f64,
    mean: f64,
    /// The largest gaps to proven optima.
    lpt_proven_max: f64,
    proven_max: f64,
}

fn gaps(instances: &[Instance]) -> Gaps {
    let policies = vec!["lpt".to_string(), "min-makespan".to_string()];
    let (mut lpt_sum, mut sum, mut lpt_proven_max, mut proven_max) = (0.0, 0.0, 0.0f64, 0.0f64);
    for inst in instances {
        let r = evaluate(inst, &policies, 100_000).unwrap();
        let (lpt, mm) = (&r.policies[0], &r.policies[1]);
        // No schedule beats a lower bound; min-makespan never loses to plain LPT.
        assert!(mm.makespan >= r.reference && lpt.makespan >= r.reference, "{inst:?}");
        assert!(mm.makespan <= lpt.makespan, "{inst:?}: {} > LPT {}", mm.makespan, lpt.makespan);
        if r.proven {
            proven_max = proven_max.max(mm.gap);
            lpt_proven_max = lpt_proven_max.max(lpt.gap);
        }
        lpt_sum += lpt.gap;
        sum += mm.gap;
    }
    let n = instances.len() as f64;
    Gaps { lpt_mean: lpt_sum / n, mean: sum / n, lpt_proven_max, proven_max }
}

#[test]
fn min_makespan_is_near_the_optimum_on_the_standard_classes() {
    let instances: Vec<_> = grid(2).into_iter().filter(|i| i.jobs <= 100).collect();
    assert_eq!(instances.len(), 6 * 7 * 2, "6 classes × 7 sizes with n ≤ 100 × 2 seeds");
    let g = gaps(&instances);
    assert!(g.mean <= 0.005, "mean gap {:.4}", g.mean);
    assert!(g.proven_max <= 0.03, "max gap to a proven optimum {:.4}", g.proven_max);
    // The improvement is real: LPT alone is measurably worse on the same instances.
    assert!(g.lpt_mean > 2.0 * g.mean, "LPT {:.4} vs {:.4}", g.lpt_mean, g.mean);
}

#[test]
fn min_makespan_is_near_the_optimum_on_the_e_families_where_lpt_is_not() {
    let instances = instances(&[Family::E1, Family::E2, Family::E3, Family::E4], 1);
    assert_eq!(instances.len(), 18 + 20 + 48 + 12, "every cell of E1-E4 once");
    let g = gaps(&instances);
    assert!(g.mean <= 0.005, "mean gap {:.4}", g.mean);
    assert!(g.proven_max <= 0.03, "max gap to a proven optimum {:.4}", g.proven_max);
    // These are the classes where LPT is several percent off, and more than 10% at worst.
    assert!(g.lpt_mean > 0.02 && g.lpt_proven_max > 0.1, "LPT {:.4}, max {:.4}", g.lpt_mean, g.lpt_proven_max);
}
