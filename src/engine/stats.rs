//! Streaming statistics: memory stays constant however long the run.
//!
//! A log-bucketed histogram gives quantiles with bounded relative error; means are kept exactly
//! from sums, never from buckets. Buckets come straight from the bits of the `f64` (exponent plus
//! the top [`SUB_BUCKET_BITS`] mantissa bits, as HdrHistogram does), so recording costs no
//! logarithm: 64 buckets per power of two, each under 1.1 % wide.

/// Mantissa bits kept in the bucket index: 2^6 = 64 buckets per octave.
pub(crate) const SUB_BUCKET_BITS: u32 = 6;
const SHIFT: u32 = 52 - SUB_BUCKET_BITS;

/// Histogram of positive values from `MIN` upwards, plus exact count, sum and maximum. (The
/// count is that of the buckets and `below_min` together, every value being in one of them:
/// summed when asked rather than kept per value.)
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogHistogram {
    counts: Vec<u64>,
    /// Values at or below `MIN` (including zeros).
    below_min: u64,
    sum: f64,
    max: f64,
}

impl Default for LogHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LogHistogram {
    /// Smallest value resolved (a nanosecond, when values are seconds).
    pub(crate) const MIN: f64 = 1e-9;

    pub(crate) fn new() -> Self {
        LogHistogram {
            counts: Vec::new(),
            below_min: 0,
            sum: 0.0,
            max: 0.0,
        }
    }

    /// Counts `value`; infinities and NaN are left out.
    #[inline]
    pub(crate) fn record(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.record_finite(value);
    }

    /// [`LogHistogram::record`] of a value the caller knows is finite (a time converted from
    /// nanoseconds), without the check.
    #[inline]
    pub(crate) fn record_finite(&mut self, value: f64) {
        debug_assert!(value.is_finite());
        self.sum += value;
        // `value` is finite and `max` never NaN, so this is `max.max(value)` without the NaN
        // handling `f64::max` compiles to (values are sizes and times: never −0).
        if value > self.max {
            self.max = value;
        }
        if value <= Self::MIN {
            self.below_min += 1;
            return;
        }
        let bucket = bucket_of(value) - bucket_of(Self::MIN);
        match self.counts.get_mut(bucket) {
            Some(count) => *count += 1,
            None => self.first_in(bucket),
        }
    }

    /// Grows the buckets to hold `bucket`, and counts one in it (rare: the range widens).
    #[cold]
    #[inline(never)]
    fn first_in(&mut self, bucket: usize) {
        self.counts.resize(bucket + 1, 0);
        self.counts[bucket] += 1;
    }

    pub(crate) fn count(&self) -> u64 {
        self.below_min + self.counts.iter().sum::<u64>()
    }

    /// Adds `other`'s values, as if each had been recorded here: counts add bucket by bucket, so
    /// every quantile of the merge is what one histogram of all the values gives.
    pub(crate) fn merge(&mut self, other: &LogHistogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, &theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.below_min += other.below_min;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    pub(crate) fn mean(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            count => self.sum / count as f64,
        }
    }

    /// The `q`-quantile (0 ≤ q ≤ 1): the middle of its bucket, capped at the maximum seen; 0
    /// when empty.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        let count = self.count();
        if count == 0 {
            return 0.0;
        }
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        if rank >= count {
            return self.max;
        }
        if rank <= self.below_min {
            return 0.0;
        }
        let mut seen = self.below_min;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let index = (bucket + bucket_of(Self::MIN)) as u64;
                let low = f64::from_bits(index << SHIFT);
                let high = f64::from_bits((index + 1) << SHIFT);
                return ((low + high) / 2.0).min(self.max);
            }
        }
        self.max
    }
}

/// Bucket index of a positive finite value: its bits without the low mantissa bits.
fn bucket_of(value: f64) -> usize {
    (value.to_bits() >> SHIFT) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_the_bucket_error() {
        let mut h = LogHistogram::new();
        for i in 1..=10_000 {
            h.record(i as f64 / 1000.0);
        }
        for (q, exact) in [(0.5, 5.0), (0.99, 9.9), (0.01, 0.1)] {
            let got = h.quantile(q);
            assert!((got / exact - 1.0).abs() < 0.011, "q{q}: {got} vs {exact}");
        }
        assert!((h.mean() - 5.0005).abs() < 1e-9);
        assert_eq!(h.quantile(1.0), 10.0);
    }

    #[test]
    fn a_merge_has_the_quantiles_of_one_histogram_of_everything() {
        let (mut all, mut odd, mut even) = (
            LogHistogram::new(),
            LogHistogram::new(),
            LogHistogram::new(),
        );
        for i in 0..5_000 {
            let value = if i % 7 == 0 {
                0.0
            } else {
                (i as f64).powf(1.7) / 1e3
            };
            all.record(value);
            if i % 2 == 0 {
                even.record(value)
            } else {
                odd.record(value)
            }
        }
        even.merge(&odd);
        for q in [0.0, 0.01, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(even.quantile(q), all.quantile(q), "q{q}");
        }
        assert_eq!(even.count(), all.count());
        assert!((even.mean() / all.mean() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn zeros_and_empties_are_zero() {
        let mut h = LogHistogram::new();
        assert_eq!(h.quantile(0.5), 0.0);
        h.record(0.0);
        assert_eq!(h.quantile(0.5), 0.0);
        assert_eq!(h.count(), 1);
    }
}
