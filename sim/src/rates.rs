//! The pace of every running group when processors time-share their work.
//!
//! Group `g` needs `a[g][p]` nanoseconds of processor `p` per sample it advances (its consumers'
//! compute there plus its preprocessing share there). Alone, it would run at
//! `solo_g = 1 / max_p a[g][p]`. Together, every processor gives at most one nanosecond per
//! nanosecond. Rates are found by progressive filling on the slowdown: all groups run at the
//! same fraction `x` of their solo pace, raised until some processor is full; the groups using
//! that processor keep that `x`, and the others are raised further. The result is max-min fair
//! in slowdown, deterministic, and no processor is ever over-committed.

/// Per group, its sparse demand: (processor, nanoseconds per sample), processors ascending.
pub type Demand = Vec<(usize, f64)>;

/// Rates in samples per nanosecond, one per group, and the busy fraction of every processor.
pub fn solve(demands: &[Demand], processors: usize) -> (Vec<f64>, Vec<f64>) {
    let solo: Vec<f64> = demands
        .iter()
        .map(|d| {
            let worst = d.iter().map(|&(_, a)| a).fold(0.0, f64::max);
            if worst > 0.0 {
                1.0 / worst
            } else {
                0.0
            }
        })
        .collect();
    let mut x: Vec<Option<f64>> =
        demands.iter().zip(&solo).map(|(_, &s)| if s > 0.0 { None } else { Some(0.0) }).collect();
    let mut used = vec![0.0; processors];
    let mut denom = vec![0.0; processors];
    while x.iter().any(Option::is_none) {
        denom.iter_mut().for_each(|d| *d = 0.0);
        for (g, d) in demands.iter().enumerate() {
            if x[g].is_none() {
                for &(p, a) in d {
                    denom[p] += solo[g] * a;
                }
            }
        }
        let mut level = 1.0f64;
        for p in 0..processors {
            if denom[p] > 0.0 {
                level = level.min(((1.0 - used[p]) / denom[p]).max(0.0));
            }
        }
        let full: Vec<bool> =
            (0..processors).map(|p| denom[p] > 0.0 && (1.0 - used[p]) / denom[p] <= level * (1.0 + 1e-12)).collect();
        for (g, d) in demands.iter().enumerate() {
            if x[g].is_none() && (level >= 1.0 || d.iter().any(|&(p, _)| full[p])) {
                x[g] = Some(level);
                for &(p, a) in d {
                    used[p] += level * solo[g] * a;
                }
            }
        }
    }
    let rates: Vec<f64> = x.iter().zip(&solo).map(|(x, s)| x.unwrap_or(0.0) * s).collect();
    (rates, used)
}

#[cfg(test)]
mod tests {
    use super::solve;

    #[test]
    fn by_hand() {
        // One group alone on one processor: 4 ns/sample -> 0.25 samples/ns, processor full.
        let (r, u) = solve(&[vec![(0, 4.0)]], 1);
        assert_eq!(r, vec![0.25]);
        assert_eq!(u, vec![1.0]);
        // Two equal groups time-share processor 0: each at half pace.
        let (r, u) = solve(&[vec![(0, 2.0)], vec![(0, 2.0)]], 1);
        assert_eq!(r, vec![0.25, 0.25]);
        assert_eq!(u, vec![1.0]);
        // Group 0 needs p0 (1 ns) and p1 (4 ns): solo 1/4. Group 1 needs p0 (1 ns): solo 1.
        // Together on p0: 1/4 + 1 = 1.25 ns per ns at x=1, so x = 0.8 for both (p0 is full);
        // rates 0.2 and 0.8; p1 is busy 0.2 * 4 = 0.8 of the time.
        let (r, u) = solve(&[vec![(0, 1.0), (1, 4.0)], vec![(0, 1.0)]], 2);
        assert!((r[0] - 0.2).abs() < 1e-12 && (r[1] - 0.8).abs() < 1e-12, "{r:?}");
        assert!((u[0] - 1.0).abs() < 1e-12 && (u[1] - 0.8).abs() < 1e-12, "{u:?}");
        // Add group 2 on p1 (1 ns). p1 fills first: at x, 4x/4 + x = 2x = 1, so x = 0.5 for
        // groups 0 and 2 (p0 then holds 0.125). Group 1 rises alone until p0 is full: 0.875.
        let (r, u) = solve(&[vec![(0, 1.0), (1, 4.0)], vec![(0, 1.0)], vec![(1, 1.0)]], 2);
        for (got, want) in r.iter().zip([0.125, 0.875, 0.5]) {
            assert!((got - want).abs() < 1e-12, "{r:?}");
        }
        assert!(u.iter().all(|u| (u - 1.0).abs() < 1e-12), "{u:?}");
    }
}
