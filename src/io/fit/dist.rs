//! The estimators `fit` uses: a size distribution chosen among natsim's by goodness of fit, and
//! a Zipf exponent from a rank-frequency table.
//!
//! **Sizes.** Each candidate is fitted by maximum likelihood on the positive values (exponential:
//! the mean; lognormal: μ and σ of the logs; Pareto: the minimum as scale and
//! α = n / Σ ln(x / min), kept only when α > 1, so the mean exists), then scored by its
//! Kolmogorov–Smirnov statistic D against the sample (statrs' CDFs); the smallest D wins, and a
//! sample of one value is a constant. The written mean is the sample mean (so the bytes each way
//! add up), with the fitted shape (cv from σ, or α). The values stream through a
//! [`SizeSample`]: the mean, the extremes and the logs' mean, variance (Welford's update) and
//! minimum are exact over every value; KS is computed on at most [`KS_SAMPLE`] values, a
//! uniform reservoir sample (all of them up to that many).
//!
//! **Zipf.** Destinations ranked by their connection counts; the exponent s maximises the Zipf
//! log-likelihood −s Σ c_r ln r − n ln H(N, s) over the N destinations seen (golden-section
//! search on [0, 20]).

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
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
    /// The chosen distribution's KS statistic D (0 for a constant).
    pub(crate) fn ks(&self) -> f64 {
        self.candidates.first().map_or(0.0, |c| c.1)
    }

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
#[cfg(test)]
pub(crate) fn fit_sizes(values: &[f64]) -> SizeFit {
    let mut sample = SizeSample::default();
    for &v in values {
        sample.add(v);
    }
    sample.fit()
}

/// Sizes seen one at a time, kept as what the fit needs: exact moments and extremes, and a
/// reservoir of at most [`KS_SAMPLE`] values for the KS statistic.
#[derive(Debug, Clone)]
pub(crate) struct SizeSample {
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
    /// The positive values' logs: count, mean and sum of squared deviations (Welford), minimum.
    logs: u64,
    log_mean: f64,
    log_m2: f64,
    log_min: f64,
    reservoir: Vec<f64>,
    /// Most values the reservoir holds ([`KS_SAMPLE`] unless made smaller).
    capacity: usize,
    /// Draws which reservoir slot a value replaces; seeded, so a fit is reproducible.
    rng: Pcg64Mcg,
}

impl Default for SizeSample {
    fn default() -> Self {
        SizeSample {
            n: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            logs: 0,
            log_mean: 0.0,
            log_m2: 0.0,
            log_min: f64::INFINITY,
            reservoir: Vec::new(),
            capacity: KS_SAMPLE,
            rng: Pcg64Mcg::seed_from_u64(0x5eed),
        }
    }
}

impl SizeSample {
    /// A sample whose KS statistic is computed on at most `capacity` values.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        SizeSample {
            capacity: capacity.clamp(1, KS_SAMPLE),
            ..SizeSample::default()
        }
    }

    pub(crate) fn add(&mut self, value: f64) {
        self.n += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if value > 0.0 {
            let l = value.ln();
            self.logs += 1;
            let delta = l - self.log_mean;
            self.log_mean += delta / self.logs as f64;
            self.log_m2 += delta * (l - self.log_mean);
            self.log_min = self.log_min.min(l);
        }
        // Algorithm R: the i-th value replaces a slot with probability capacity / i.
        if self.reservoir.len() < self.capacity {
            self.reservoir.push(value);
        } else {
            let slot = self.rng.random_range(0..self.n);
            if slot < self.capacity as u64 {
                self.reservoir[slot as usize] = value;
            }
        }
    }

    /// Adds the values `other` has seen: the moments exactly (Chan's update for the logs), the
    /// reservoir as a uniform sample of both (each side shuffled, then taken in proportion to
    /// the values behind it).
    pub(crate) fn merge(&mut self, other: &SizeSample) {
        if other.n == 0 {
            return;
        }
        let n = self.n + other.n;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        let logs = self.logs + other.logs;
        if logs > 0 {
            let delta = other.log_mean - self.log_mean;
            let (a, b) = (self.logs as f64, other.logs as f64);
            self.log_mean += delta * b / logs as f64;
            self.log_m2 += other.log_m2 + delta * delta * a * b / logs as f64;
        }
        self.logs = logs;
        self.log_min = self.log_min.min(other.log_min);
        if self.reservoir.len() + other.reservoir.len() <= self.capacity {
            self.reservoir.extend_from_slice(&other.reservoir);
        } else {
            let mut theirs = other.reservoir.clone();
            shuffle(&mut self.reservoir, &mut self.rng);
            shuffle(&mut theirs, &mut self.rng);
            let mine = ((self.capacity as f64 * self.n as f64 / n as f64).round() as usize)
                .min(self.reservoir.len());
            self.reservoir.truncate(mine);
            let rest = (self.capacity - mine).min(theirs.len());
            self.reservoir.extend_from_slice(&theirs[..rest]);
        }
        self.n = n;
    }

    /// The best of natsim's distributions for the values seen.
    pub(crate) fn fit(&self) -> SizeFit {
        let n = self.n as usize;
        let mean = if n == 0 { 0.0 } else { self.sum / n as f64 };
        if n == 0 || self.min == self.max || mean <= 0.0 {
            let chosen = FittedDist::Constant(mean);
            return SizeFit {
                chosen,
                candidates: vec![(chosen, 0.0)],
                values: n,
            };
        }
        let mut sample = self.reservoir.clone();
        sample.sort_by(f64::total_cmp);
        let mut candidates: Vec<(FittedDist, f64)> = Vec::new();
        if let Ok(exp) = Exp::new(1.0 / mean) {
            candidates.push((FittedDist::Exponential { mean }, ks(&sample, &exp)));
        }
        if self.logs >= 2 {
            let mu = self.log_mean;
            let sigma2 = self.log_m2 / self.logs as f64;
            let cv = sigma2.exp_m1().sqrt().clamp(1e-3, 100.0);
            if let Ok(d) = LogNormal::new(mu, sigma2.sqrt().max(1e-9)) {
                candidates.push((FittedDist::LogNormal { mean, cv }, ks(&sample, &d)));
            }
            // α = n / Σ (ln x − ln min) = 1 / (mean of the logs − ln min).
            let shape = 1.0 / (mu - self.log_min);
            if shape > 1.0 + 1e-3
                && let Ok(d) = Pareto::new(self.log_min.exp(), shape)
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
}

/// Fisher–Yates.
fn shuffle(values: &mut [f64], rng: &mut Pcg64Mcg) {
    for i in (1..values.len()).rev() {
        let j = rng.random_range(0..=i);
        values.swap(i, j);
    }
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
    fn beyond_the_reservoir_the_moments_stay_exact_and_the_sample_uniform() {
        // 3 × KS_SAMPLE lognormal-ish values in a fixed pattern: the mean is known exactly.
        let mut sample = SizeSample::default();
        let values = [100.0, 1_000.0, 10_000.0];
        for i in 0..3 * KS_SAMPLE {
            sample.add(values[i % 3]);
        }
        let fit = sample.fit();
        assert_eq!(fit.values, 3 * KS_SAMPLE);
        assert!((fit.chosen.mean() - 3_700.0).abs() < 1e-6, "{fit:?}");
        assert_eq!(sample.reservoir.len(), KS_SAMPLE);
        let small = sample.reservoir.iter().filter(|&&v| v == 100.0).count() as f64;
        assert!(
            (small / KS_SAMPLE as f64 - 1.0 / 3.0).abs() < 0.01,
            "{small}"
        );
    }

    #[test]
    fn merged_samples_fit_as_one() {
        let values: Vec<f64> = (1..=5_000).map(|i| (i as f64).powf(1.7)).collect();
        let whole = fit_sizes(&values);
        let (mut left, mut right) = (SizeSample::default(), SizeSample::default());
        for (i, &v) in values.iter().enumerate() {
            if i % 3 == 0 {
                left.add(v);
            } else {
                right.add(v);
            }
        }
        left.merge(&right);
        let merged = left.fit();
        assert_eq!(merged.values, whole.values);
        for ((a, da), (b, db)) in merged.candidates.iter().zip(&whole.candidates) {
            assert_eq!(a.name(), b.name());
            assert!((a.mean() - b.mean()).abs() < 1e-6 * b.mean());
            assert!((da - db).abs() < 1e-9, "{da} {db}");
        }
    }

    #[test]
    fn exact_zipf_counts_give_back_the_exponent() {
        let counts: Vec<u64> = (1..=100)
            .map(|r| (1e6 / (r as f64).powf(1.2)).round() as u64)
            .collect();
        assert!((fit_zipf(&counts) - 1.2).abs() < 0.01);
    }
}
