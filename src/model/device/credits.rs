//! Network I/O credits of an "up to" EC2 instance: a token bucket per direction.
//!
//! AWS (aws-facts.md §3): above baseline the instance spends credits, below it earns them; with
//! credits left it may run at burst ("up to") bandwidth, without them at baseline; buckets start
//! full. Bucket size and refill rate are unpublished: natsim sizes the bucket so a full one lasts
//! `burst_minutes` at the burst rate and refills at (baseline − usage).
//!
//! Once empty, the instance bursts again only after earning one second of burst
//! ([`RESUME_SECONDS`], assumed): without that threshold a link at baseline would flip between
//! burst and baseline at every event.

use crate::engine::Nanos;
use crate::util::units::{NS_PER_S, at_least_zero, ns_to_seconds, span_to_seconds};

/// Seconds of burst a drained bucket must earn back before bursting resumes (assumed).
pub(crate) const RESUME_SECONDS: f64 = 1.0;

#[derive(Debug, Clone)]
pub(crate) struct CreditBucket {
    bits: f64,
    max_bits: f64,
    baseline_bps: f64,
    burst_bps: f64,
    bursting: bool,
    last_update: Nanos,
    /// When the bucket was launched full (time 0, or a replacement's launch).
    launched_at: Nanos,
    /// The lowest level the bucket reached. The level is linear between settlements, so the
    /// minimum over settlements is the true minimum.
    min_bits: f64,
    /// Within this many bits of empty or of the resume threshold counts as there (`on_change`).
    slack_bits: f64,
    /// When the bucket first ran dry, if it did.
    pub(crate) first_exhausted_at: Option<Nanos>,
}

/// How a bucket's reserve held up: how deep it was drawn, and how fast it drains on net.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Reserve {
    /// Deepest draw as a fraction of a full bucket (0 = never below full, 1 = ran dry).
    pub(crate) depth: f64,
    /// Net drain from full, as a fraction of a full bucket per hour: 1 / (hours a full bucket
    /// lasts at the load seen). 0 when the bucket ends the run as full as it started.
    pub(crate) drain_per_hour: f64,
}

impl Reserve {
    /// The worse of two reserves, figure by figure.
    pub(crate) fn worst(self, other: Reserve) -> Reserve {
        Reserve {
            depth: self.depth.max(other.depth),
            drain_per_hour: self.drain_per_hour.max(other.drain_per_hour),
        }
    }
}

impl CreditBucket {
    /// A full bucket.
    pub(crate) fn new(baseline_bps: f64, burst_bps: f64, max_bits: f64) -> Self {
        CreditBucket {
            bits: max_bits,
            max_bits,
            baseline_bps,
            burst_bps: burst_bps.max(baseline_bps),
            bursting: max_bits > 0.0,
            last_update: 0,
            launched_at: 0,
            min_bits: max_bits,
            slack_bits: max_bits * 1e-9 + 1.0,
            first_exhausted_at: None,
        }
    }

    /// A full bucket on an instance launched at `now` (a replacement starts with full credits).
    pub(crate) fn launched_at(
        now: Nanos,
        baseline_bps: f64,
        burst_bps: f64,
        max_bits: f64,
    ) -> Self {
        CreditBucket {
            last_update: now,
            launched_at: now,
            ..Self::new(baseline_bps, burst_bps, max_bits)
        }
    }

    /// Bandwidth allowed now.
    #[inline]
    pub(crate) fn bandwidth_bps(&self) -> f64 {
        if self.bursting {
            self.burst_bps
        } else {
            self.baseline_bps
        }
    }

    #[cfg(test)]
    pub(crate) fn bits(&self) -> f64 {
        self.bits
    }

    /// Spends or earns credits for the time since the last call at the usage that held then.
    #[inline]
    pub(crate) fn settle(&mut self, now: Nanos, usage_bps: f64) {
        if now <= self.last_update {
            return;
        }
        // No shortcut for a full bucket not drawn on (the clamp gives `max_bits` again anyway):
        // on benchmark (a) the bucket was full at about 300,000 of 1.2 million settlements but
        // drawn on at all but 5 of those, so its test cost far more than it saved.
        // Both instants handled by the engine: a span within the run.
        let dt = span_to_seconds(now - self.last_update);
        self.last_update = now;
        self.bits = (self.bits + (self.baseline_bps - usage_bps) * dt).clamp(0.0, self.max_bits);
        // `f64::min` without its NaN handling (the same value: `min_bits` is never NaN, and a NaN
        // `bits` leaves it as `min` does); compiles to one `minsd`.
        self.min_bits = if self.bits < self.min_bits {
            self.bits
        } else {
            self.min_bits
        };
    }

    /// The reserve at `now` (settled there): a bucket that ran dry lasted from its launch to
    /// then; one that did not drains, on net, what it lost since launch over that time. The
    /// monthly projection repeats the run, so a net loss per run is a loss every run.
    pub(crate) fn reserve(&self, now: Nanos) -> Reserve {
        if self.max_bits <= 0.0 {
            return Reserve::default();
        }
        let hours = |ns: Nanos| ns as f64 / NS_PER_S / 3600.0;
        let drain_per_hour = match self.first_exhausted_at {
            Some(at) => 1.0 / hours(at.saturating_sub(self.launched_at)).max(1e-9),
            None if now > self.launched_at => {
                (1.0 - self.bits / self.max_bits).max(0.0) / hours(now - self.launched_at)
            }
            None => 0.0,
        };
        Reserve {
            depth: (1.0 - self.min_bits / self.max_bits).clamp(0.0, 1.0),
            drain_per_hour,
        }
    }

    /// When the bucket will change what it allows at `usage_bps`: runs dry while bursting, or
    /// earns back the resume threshold while at baseline.
    #[inline]
    pub(crate) fn next_change(&self, usage_bps: f64) -> Option<Nanos> {
        let (missing_bits, rate) = self.gap(usage_bps)?;
        let seconds = missing_bits / rate;
        Some(
            self.last_update
                .saturating_add(crate::util::units::seconds_to_ns_ceil(seconds))
                .max(self.last_update + 1),
        )
    }

    /// Whether the bucket changes what it allows before `at` at `usage_bps`: the same
    /// question as `next_change(usage_bps) < at`, without the division, for callers that only
    /// need the change when it comes before their own next deadline.
    #[inline]
    pub(crate) fn changes_before(&self, at: Nanos, usage_bps: f64) -> bool {
        self.gap(usage_bps).is_some_and(|(missing_bits, rate)| {
            missing_bits < rate * ns_to_seconds(at.saturating_sub(self.last_update))
        })
    }

    /// What separates the bucket from its next change at `usage_bps`: the bits still to spend
    /// (bursting) or to earn back (at baseline), and the rate they go at; `None` when that rate
    /// is not positive, so the change never comes.
    #[inline]
    fn gap(&self, usage_bps: f64) -> Option<(f64, f64)> {
        let (missing_bits, rate) = if self.bursting {
            (self.bits, usage_bps - self.baseline_bps)
        } else {
            (
                self.resume_bits() - self.bits,
                self.baseline_bps - usage_bps,
            )
        };
        (self.max_bits > 0.0 && rate > 0.0).then_some((at_least_zero(missing_bits), rate))
    }

    /// Applies a change that `next_change` announced; returns true if the allowance changed.
    #[inline]
    pub(crate) fn on_change(&mut self, now: Nanos) -> bool {
        // Within a millionth of the bucket counts as empty/full: the deadline was rounded up to
        // the next nanosecond, so the bucket may sit a hair past the boundary. (`slack_bits`:
        // `max_bits * 1e-9 + 1.0`, computed once; `max_bits` never changes.)
        let slack = self.slack_bits;
        if self.bursting && self.bits <= slack {
            self.bursting = false;
            self.bits = 0.0;
            self.min_bits = 0.0;
            self.first_exhausted_at.get_or_insert(now);
            true
        } else if !self.bursting && self.bits + slack >= self.resume_bits() {
            self.bursting = true;
            true
        } else {
            false
        }
    }

    fn resume_bits(&self) -> f64 {
        ((self.burst_bps - self.baseline_bps) * RESUME_SECONDS).min(self.max_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_lasts_its_burst_minutes_then_falls_to_baseline() {
        // t4g.nano-like: 32 Mbps baseline, 5 Gbps burst, 5-minute bucket.
        let (baseline, burst) = (32e6, 5e9);
        let mut bucket = CreditBucket::new(baseline, burst, (burst - baseline) * 300.0);
        let at = bucket.next_change(burst).unwrap();
        assert!((at as f64 / NS_PER_S - 300.0).abs() < 1e-6);
        bucket.settle(at, burst);
        assert!(bucket.on_change(at));
        assert_eq!(bucket.bandwidth_bps(), baseline);
        assert_eq!(bucket.first_exhausted_at, Some(at));
        // Idle, it earns one second of burst back in (burst − baseline) / baseline seconds.
        let resume = bucket.next_change(0.0).unwrap();
        let expected = (burst - baseline) / baseline;
        assert!(((resume - at) as f64 / NS_PER_S - expected).abs() < 1e-3);
    }

    #[test]
    fn below_baseline_never_runs_dry() {
        let bucket = CreditBucket::new(1e9, 5e9, 1e12);
        assert_eq!(bucket.next_change(0.5e9), None);
    }
}
