//! The estimators `fit` uses: a size distribution chosen among natsim's by goodness of fit, and
//! a Zipf exponent from a rank-frequency table.
//!
//! **Sizes.** Each candidate is fitted by maximum likelihood on the positive values (exponential:
//! the mean; lognormal: μ and σ of the logs; Pareto: the minimum as scale and
//! α = n / Σ ln(x / min), kept only when α > 1, so the mean exists), then scored by its
//! Kolmogorov–Smirnov statistic D against the sample (statrs' CDFs); the smallest D wins, and a
//! sample of one value is a constant. The written mean is the sample mean (so the bytes each way
//! add up), with the fitted shape (cv from σ, or α). KS is computed on at most
//! [`KS_SAMPLE`] values, taken at an even stride.
//!
//! **Zipf.** Destinations ranked by their connection counts; the exponent s maximises the Zipf
//! log-likelihood −s Σ c_r ln r − n ln H(N, s) over the N destinations seen (golden-section
//! search on [0, 20]).

use statrs::distribution::{ContinuousCDF, Exp, LogNormal, Pareto};

/// Most values the KS statistic is computed on.
const KS_SAMPLE: usize = 1_000_000;
const ZIPF_MAX: f64 = 20.0;

/// A size distribution in natsim's terms (`request_bytes = { dist = ... }`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FittedDist {
    Constant(f64),
    Exponential { mean: f64 },
    LogNormal { mean: f64, cv: f64 },
    Pareto { mean: f64, shape: f64 },
}

impl FittedDist {
    pub fn mean(&self) -> f64 {
        match *self {
            FittedDist::Constant(value) => value,
            FittedDist::Exponential { mean }
            | FittedDist::LogNormal { mean, .. }
            | FittedDist::Pareto { mean, .. } => mean,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            FittedDist::Constant(_) => "constant",
            FittedDist::Exponential { .. } => "exponential",
            FittedDist::LogNormal { .. } => "lognormal",
            FittedDist::Pareto { .. } => "pareto",
        }
    }

    /// The value of a scenario key, e.g. `{ dist = "lognormal", mean = 2000, cv = 1.5 }`.
    pub(crate) fn toml(&self) -> String {
        match *self {
            FittedDist::Constant(value) => format!("{value:.0}"),
            FittedDist::Exponential { mean } => {
                format!("{{ dist = \"exponential\", mean = {mean:.0} }}")
            }
            FittedDist::LogNormal { mean, cv } => {
                format!("{{ dist = \"lognormal\", mean = {mean:.0}, cv = {cv:.3} }}")
            }
            FittedDist::Pareto { mean, shape } => {
                format!("{{ dist = \"pareto\", mean = {mean:.0}, shape = {shape:.3} }}")
            }
        }
    }
}

/// The chosen distribution and every candidate's KS statistic, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeFit {
    pub chosen: FittedDist,
    pub candidates: Vec<(FittedDist, f64)>,
    pub values: usize,
}

impl SizeFit {
    /// One line for the scenario's comments: the choice and each candidate's D.
    pub(crate) fn describe(&self) -> String {
        let scores: Vec<String> = self
            .candidates
            .iter()
            .map(|(d, ks)| format!("{} {ks:.4}", d.name()))
            .collect();
        format!(
            "{} chosen (KS D, lower is better: {}; n = {})",
            self.chosen.name(),
            scores.join(", "),
            self.values
        )
    }
}

/// Fits sizes in bytes (any order; zeros allowed).
pub(crate) fn fit_sizes(values: &[f64]) -> SizeFit {
    let n = values.len();
    let mean = if n == 0 {
        0.0
    } else {
        values.iter().sum::<f64>() / n as f64
    };
    let first = values.first().copied().unwrap_or(0.0);
    if values.iter().all(|&v| v == first) || mean <= 0.0 {
        let chosen = FittedDist::Constant(mean);
        return SizeFit {
            chosen,
            candidates: vec![(chosen, 0.0)],
            values: n,
        };
    }
    let sample = ks_sample(values);
    let mut candidates: Vec<(FittedDist, f64)> = Vec::new();
    if let Ok(exp) = Exp::new(1.0 / mean) {
        candidates.push((FittedDist::Exponential { mean }, ks(&sample, &exp)));
    }
    let logs: Vec<f64> = values
        .iter()
        .filter(|&&v| v > 0.0)
        .map(|v| v.ln())
        .collect();
    if logs.len() >= 2 {
        let mu = logs.iter().sum::<f64>() / logs.len() as f64;
        let sigma2 = logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / logs.len() as f64;
        let cv = sigma2.exp_m1().sqrt().clamp(1e-3, 100.0);
        if let Ok(d) = LogNormal::new(mu, sigma2.sqrt().max(1e-9)) {
            candidates.push((FittedDist::LogNormal { mean, cv }, ks(&sample, &d)));
        }
        let min = logs.iter().cloned().fold(f64::INFINITY, f64::min);
        let shape = logs.len() as f64 / logs.iter().map(|l| l - min).sum::<f64>();
        if shape > 1.0 + 1e-3
            && let Ok(d) = Pareto::new(min.exp(), shape)
        {
            candidates.push((FittedDist::Pareto { mean, shape }, ks(&sample, &d)));
        }
    }
    candidates.sort_by(|a, b| a.1.total_cmp(&b.1));
    SizeFit {
        chosen: candidates
            .first()
            .map_or(FittedDist::Constant(mean), |c| c.0),
        candidates,
        values: n,
    }
}

/// Up to [`KS_SAMPLE`] values at an even stride, sorted.
fn ks_sample(values: &[f64]) -> Vec<f64> {
    let stride = values.len().div_ceil(KS_SAMPLE).max(1);
    let mut sample: Vec<f64> = values.iter().step_by(stride).copied().collect();
    sample.sort_by(f64::total_cmp);
    sample
}

/// The Kolmogorov–Smirnov statistic of sorted `sample` against `dist`.
fn ks(sample: &[f64], dist: &impl ContinuousCDF<f64, f64>) -> f64 {
    let n = sample.len() as f64;
    sample
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = dist.cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max)
}

/// The Zipf exponent of destination counts (any order).
pub(crate) fn fit_zipf(counts: &[u64]) -> f64 {
    let mut sorted: Vec<u64> = counts.iter().copied().filter(|&c| c > 0).collect();
    if sorted.len() < 2 {
        return 1.0;
    }
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let n: f64 = sorted.iter().map(|&c| c as f64).sum();
    let weighted_log_rank: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &c)| c as f64 * ((i + 1) as f64).ln())
        .sum();
    let log_ranks: Vec<f64> = (1..=sorted.len()).map(|r| (r as f64).ln()).collect();
    let log_likelihood = |s: f64| {
        let harmonic: f64 = log_ranks.iter().map(|l| (-s * l).exp()).sum();
        -s * weighted_log_rank - n * harmonic.ln()
    };
    golden_max(log_likelihood, 0.0, ZIPF_MAX)
}

/// The maximum of a unimodal `f` on `[low, high]`.
fn golden_max(f: impl Fn(f64) -> f64, mut low: f64, mut high: f64) -> f64 {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    while high - low > 1e-6 {
        let a = high - ratio * (high - low);
        let b = low + ratio * (high - low);
        if f(a) < f(b) {
            low = a;
        } else {
            high = b;
        }
    }
    (low + high) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_value_is_a_constant() {
        let fit = fit_sizes(&[500.0; 10]);
        assert_eq!(fit.chosen, FittedDist::Constant(500.0));
    }

    #[test]
    fn exact_zipf_counts_give_back_the_exponent() {
        let counts: Vec<u64> = (1..=100)
            .map(|r| (1e6 / (r as f64).powf(1.2)).round() as u64)
            .collect();
        assert!((fit_zipf(&counts) - 1.2).abs() < 0.01);
    }
}
