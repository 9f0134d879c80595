//! Means and confidence intervals over seeds.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A sample's mean with a two-sided 95% confidence interval from Student's t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    /// Half the interval's width: the interval is mean ± half_width.
    pub half_width: f64,
    pub n: usize,
}

impl MeanCi {
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

/// Mean and 95% interval `mean ± t(0.975, n-1) · s / sqrt(n)`; a single value has no spread.
pub fn mean_ci(values: &[f64]) -> MeanCi {
    let n = values.len();
    if n == 0 {
        return MeanCi { mean: f64::NAN, half_width: f64::NAN, n };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return MeanCi { mean, half_width: 0.0, n };
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("n >= 2 gives a valid distribution").inverse_cdf(0.975);
    MeanCi { mean, half_width: t * variance.sqrt() / (n as f64).sqrt(), n }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_by_hand() {
        // 2, 4, 6, 8, 10: mean 6, sample sd sqrt(10) = 3.1623, t(0.975, 4) = 2.7764;
        // half width 2.7764 * 3.1623 / sqrt(5) = 3.9265.
        let ci = mean_ci(&[2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ci.mean, 6.0);
        assert!((ci.half_width - 3.9265).abs() < 1e-3, "{}", ci.half_width);
        // Two values 1 and 3: mean 2, sd sqrt(2), t(0.975, 1) = 12.7062: 12.7062 * 1 = 12.706.
        let ci = mean_ci(&[1.0, 3.0]);
        assert!((ci.half_width - 12.7062).abs() < 1e-3, "{}", ci.half_width);
        assert_eq!(mean_ci(&[5.0]).half_width, 0.0);
    }
}
