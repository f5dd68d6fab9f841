//! 95 % confidence intervals over independent replications (Student's t).
//!
//! Owns the arithmetic only: sample mean, sample standard deviation and the t quantile. It knows
//! nothing of metrics, files or scenarios, and it never reads a clock or random stream, so the same
//! values always give the same half-width.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Two-sided 95 %: the t quantile at 1 − 0.05/2.
const UPPER_QUANTILE: f64 = 0.975;

/// The t quantile for a two-sided 95 % interval with `n` replications (n − 1 degrees of freedom),
/// or `None` below two replications, where the spread is unknown.
pub fn t_975(n: usize) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let freedom = (n - 1) as f64;
    // location 0, scale 1, freedom ≥ 1: always valid parameters, so `ok()` never discards.
    StudentsT::new(0.0, 1.0, freedom)
        .ok()
        .map(|t| t.inverse_cdf(UPPER_QUANTILE))
}

/// Half-width of the 95 % confidence interval of the mean of `values`: t · s / √n, with `s` the
/// sample standard deviation and `t` the quantile [`t_975`] gives for `values.len()` (a caller
/// with many series of one length computes it once: its inverse CDF costs more than the rest).
/// Sums run in slice order, so the caller's ordering (by replication) makes the result
/// reproducible to the last bit.
pub(crate) fn half_width_with(t: f64, values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let squares = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    let std_dev = (squares / (n - 1.0)).sqrt();
    t * std_dev / n.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Published two-sided 95 % critical values.
        for (n, expected) in [(2, 12.706), (5, 2.776), (10, 2.262), (31, 2.042)] {
            let t = t_975(n).unwrap();
            assert!((t - expected).abs() < 1e-3, "n = {n}: {t} vs {expected}");
        }
        assert_eq!(t_975(1), None);
        assert_eq!(t_975(0), None);
    }

    #[test]
    fn half_width_of_a_known_sample() {
        // 2, 4, 6, 8: mean 5, s = √(20/3) = 2.582; t with 3 degrees of freedom is 3.182.
        let hw = half_width_with(t_975(4).unwrap(), &[2.0, 4.0, 6.0, 8.0]);
        assert!((hw - 3.182 * 2.5820 / 2.0).abs() < 1e-3, "{hw}");
        assert_eq!(half_width_with(t_975(3).unwrap(), &[1.0, 1.0, 1.0]), 0.0);
    }
}
