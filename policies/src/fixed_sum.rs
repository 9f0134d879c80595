//! A sum of many amounts kept exactly under additions and removals, for policies that would
//! otherwise walk a long queue to sum it.

/// Fixed-point units per unit of amount: amounts are rounded to 2^-40 (about 1e-12).
const UNITS: f64 = (1u64 << 40) as f64;

/// A sum of amounts, each rounded once to a fixed-point unit and then added as an integer, so
/// that millions of additions and removals leave no drift. [`FixedSum::value`] says how far
/// the sum may lie from the same amounts summed in floating point in any order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedSum {
    units: i128,
    terms: usize,
}

impl FixedSum {
    pub fn add(&mut self, amount: f64) {
        self.units += to_units(amount);
        self.terms += 1;
    }

    /// Takes out an amount added before (the same value).
    pub fn remove(&mut self, amount: f64) {
        self.units -= to_units(amount);
        self.terms -= 1;
    }

    /// The sum, and a bound on how far any floating-point sum of the same (non-negative)
    /// amounts, in any order, lies from it.
    pub fn value(&self) -> (f64, f64) {
        let total = self.units as f64 / UNITS;
        let n = self.terms as f64;
        // Each amount was rounded by half a unit at most; a floating-point sum of n terms lies
        // within n - 1 roundings (of the running total, at most the total) of the exact sum;
        // converting the total rounds once more. Doubled for margin.
        let bound = 2.0 * (n * 0.5 / UNITS + (n + 1.0) * f64::EPSILON * total.abs());
        (total, bound)
    }
}

fn to_units(amount: f64) -> i128 {
    (amount * UNITS).round() as i128
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn a_float_sum_in_queue_order_lies_within_the_bound() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut widest: f64 = 0.0;
        for _ in 0..200 {
            // Amounts like a queue's memory claims: awkward decimals, spread over magnitudes.
            let mut queue: Vec<f64> = Vec::new();
            let mut sum = FixedSum::default();
            for _ in 0..rng.random_range(1..3000) {
                if !queue.is_empty() && rng.random_bool(0.4) {
                    let gone = queue.remove(rng.random_range(0..queue.len()));
                    sum.remove(gone);
                } else {
                    let amount = rng.random_range(0.0..80.0f64) * rng.random_range(1..9) as f64 / 3.0;
                    queue.push(amount);
                    sum.add(amount);
                }
            }
            let float_sum = queue.iter().fold(0.0, |acc, &a| acc + a);
            let (value, bound) = sum.value();
            assert!((value - float_sum).abs() <= bound, "{value} vs {float_sum}, bound {bound}");
            assert!(bound < 1e-9 * float_sum.max(1.0), "a bound this wide decides nothing: {bound}");
            widest = widest.max((value - float_sum).abs() / bound);
        }
        // The bound is not vacuous either way: sums do stray from the exact one.
        assert!(widest > 0.0);
    }

    #[test]
    fn removing_everything_returns_to_zero_exactly() {
        let mut sum = FixedSum::default();
        let amounts = [0.1, 0.2, 0.3, 12.5, 1e-13, 7.0 / 3.0];
        amounts.iter().for_each(|&a| sum.add(a));
        amounts.iter().rev().for_each(|&a| sum.remove(a));
        assert_eq!(sum, FixedSum::default());
        assert_eq!(sum.value(), (0.0, 0.0));
    }
}
