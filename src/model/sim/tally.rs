//! One workload's share of a run's measurements: its connection counts and byte accounts, its
//! completion-time and slowdown histograms, its open-connection integral and the counts of the
//! time-series interval under way.
//!
//! The recorder keeps one [`Tally`] per workload in a `Vec` indexed by the workload's number, so
//! booking an event costs an index into a small array, never a lookup. A candidate's figures are
//! the merge of its workloads' tallies ([`Tally::merge`]), so the per-workload figures add up to
//! the candidate's by construction, and a single-workload run computes exactly what it did
//! before tallies existed.

use super::connection::Connection;
use super::record::Figures;
use crate::engine::Nanos;
use crate::engine::stats::LogHistogram;
use crate::util::units::{count_to_f64, span_to_seconds};

/// Counts and bytes of connections that arrived in the statistics window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Counts {
    pub(crate) conn_attempts: u64,
    pub(crate) conn_admitted: u64,
    pub(crate) fail_port_allocation: u64,
    pub(crate) fail_conntrack: u64,
    pub(crate) fail_outage: u64,
    pub(crate) fail_unsupported: u64,
    pub(crate) fail_dns: u64,
    /// Cut by a device failure or a client outage (counted when the cut falls in the window).
    pub(crate) conn_reset: u64,
    pub(crate) idle_timeouts: u64,
    /// Bytes past the device: a gateway endpoint (S3/DynamoDB), interface endpoints (other AWS
    /// services), an egress-only internet gateway (IPv6).
    pub(crate) endpoint_bytes: f64,
    pub(crate) interface_endpoint_bytes: f64,
    pub(crate) ipv6_bytes: f64,
    pub(crate) offered_bytes: f64,
    pub(crate) refused_bytes: f64,
    pub(crate) out_bytes: f64,
    pub(crate) in_bytes: f64,
    pub(crate) dropped_bytes: f64,
    pub(crate) in_flight_bytes: f64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.conn_attempts += other.conn_attempts;
        self.conn_admitted += other.conn_admitted;
        self.fail_port_allocation += other.fail_port_allocation;
        self.fail_conntrack += other.fail_conntrack;
        self.fail_outage += other.fail_outage;
        self.fail_unsupported += other.fail_unsupported;
        self.fail_dns += other.fail_dns;
        self.conn_reset += other.conn_reset;
        self.idle_timeouts += other.idle_timeouts;
        self.endpoint_bytes += other.endpoint_bytes;
        self.interface_endpoint_bytes += other.interface_endpoint_bytes;
        self.ipv6_bytes += other.ipv6_bytes;
        self.offered_bytes += other.offered_bytes;
        self.refused_bytes += other.refused_bytes;
        self.out_bytes += other.out_bytes;
        self.in_bytes += other.in_bytes;
        self.dropped_bytes += other.dropped_bytes;
        self.in_flight_bytes += other.in_flight_bytes;
    }

    /// Adds an admitted connection's bytes as they stand.
    pub(super) fn book_bytes(&mut self, connection: &Connection) {
        self.conn_admitted += 1;
        self.offered_bytes += connection.offered_bytes();
        self.out_bytes += connection.out_delivered;
        self.in_bytes += connection.in_delivered;
        self.dropped_bytes += connection.dropped;
        self.in_flight_bytes += connection.in_flight_bytes();
    }
}

/// What the connections still transferring at the end add to the figures.
#[derive(Debug, Clone, Copy)]
pub(super) struct Censoring {
    pub(super) count: u64,
    pub(super) shortest_age_s: f64,
    pub(super) smallest_slowdown: f64,
    pub(super) unloaded_in_flight_bytes: f64,
}

impl Default for Censoring {
    fn default() -> Self {
        Censoring {
            count: 0,
            shortest_age_s: f64::INFINITY,
            smallest_slowdown: f64::INFINITY,
            unloaded_in_flight_bytes: 0.0,
        }
    }
}

impl Censoring {
    fn add(&mut self, other: &Censoring) {
        self.count += other.count;
        self.shortest_age_s = self.shortest_age_s.min(other.shortest_age_s);
        self.smallest_slowdown = self.smallest_slowdown.min(other.smallest_slowdown);
        self.unloaded_in_flight_bytes += other.unloaded_in_flight_bytes;
    }
}

/// The counts of the time-series interval under way (every arrival, window or not).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct IntervalCounts {
    pub(super) offered_bytes: f64,
    /// Bytes of arrivals carried past the device (a gateway endpoint, interface endpoints, an
    /// egress-only internet gateway; part of `offered_bytes`).
    pub(super) bypassed_bytes: f64,
    pub(super) attempts: u64,
    pub(super) refused: u64,
    pub(super) port_allocation: u64,
    pub(super) idle_timeouts: u64,
    /// The gateway endpoint's part of `bypassed_bytes` (S3/DynamoDB).
    pub(super) endpoint_bytes: f64,
}

impl IntervalCounts {
    pub(super) fn add(&mut self, other: &IntervalCounts) {
        self.offered_bytes += other.offered_bytes;
        self.bypassed_bytes += other.bypassed_bytes;
        self.endpoint_bytes += other.endpoint_bytes;
        self.attempts += other.attempts;
        self.refused += other.refused;
        self.port_allocation += other.port_allocation;
        self.idle_timeouts += other.idle_timeouts;
    }
}

/// One workload's measurements (or, merged, a candidate's).
#[derive(Debug, Clone, Default)]
pub(super) struct Tally {
    pub(super) counts: Counts,
    /// Completion times and slowdowns of finished transfers.
    pub(super) fct: LogHistogram,
    pub(super) slowdown: LogHistogram,
    /// The same of transfers still open at the end, at their age (right-censored): kept apart
    /// so the mean covers finished transfers only, while the percentiles count both.
    censored_fct: LogHistogram,
    censored_slowdown: LogHistogram,
    /// Connections open now (admitted, not yet closed or reset), window or not.
    pub(super) open: u64,
    open_integral_s: f64,
    /// The instant of the last change to `open`, clamped into the window [warmup, horizon)
    /// (where the integral counts): the next change integrates from there. (0 before the first
    /// change, when `open` is 0 and the integral has nothing to add.)
    open_since: Nanos,
    sojourn_sum_s: f64,
    sojourn_count: u64,
    pub(super) censoring: Censoring,
    pub(super) interval: IntervalCounts,
}

impl Tally {
    /// Adds `other`'s measurements to these.
    pub(super) fn merge(&mut self, other: &Tally) {
        self.counts.add(&other.counts);
        self.fct.merge(&other.fct);
        self.slowdown.merge(&other.slowdown);
        self.censored_fct.merge(&other.censored_fct);
        self.censored_slowdown.merge(&other.censored_slowdown);
        self.open += other.open;
        self.open_integral_s += other.open_integral_s;
        self.sojourn_sum_s += other.sojourn_sum_s;
        self.sojourn_count += other.sojourn_count;
        self.censoring.add(&other.censoring);
        self.interval.add(&other.interval);
    }

    /// Adds `delta` to the open count after integrating the old count over the part of the
    /// window [`warmup`, `horizon`) since the last change.
    #[inline]
    pub(super) fn change_open(&mut self, now: Nanos, delta: i64, warmup: Nanos, horizon: Nanos) {
        // `clamp` without its check that warmup ≤ horizon (validation ensures it): this runs
        // twice per connection. The last change's instant was stored clamped, so it is not
        // clamped again.
        let to = now.max(warmup).min(horizon);
        let from = self.open_since;
        if to > from {
            self.open_integral_s += count_to_f64(self.open) * span_to_seconds(to - from);
        }
        self.open_since = to;
        self.open = self.open.saturating_add_signed(delta);
    }

    /// A window connection that left (closed or reset) `seconds` after it arrived.
    #[inline]
    pub(super) fn on_left(&mut self, seconds: f64) {
        self.sojourn_sum_s += seconds;
        self.sojourn_count += 1;
    }

    /// Time-average of open connections over a window of `window_s`.
    fn open_mean(&self, window_s: f64) -> f64 {
        if window_s > 0.0 {
            self.open_integral_s / window_s
        } else {
            0.0
        }
    }

    fn sojourn_mean_s(&self) -> f64 {
        if self.sojourn_count > 0 {
            self.sojourn_sum_s / self.sojourn_count as f64
        } else {
            0.0
        }
    }

    /// Counts a window connection still transferring at `horizon` in the percentiles at its age
    /// (its slowdown against its unloaded time at `cap_bps`), and what an unloaded device would
    /// still have to move of it.
    pub(super) fn censor(&mut self, horizon: Nanos, connection: &Connection, cap_bps: f64) {
        let age_s = span_to_seconds(horizon - connection.arrival);
        let unloaded_s = connection.offered_bytes() * 8.0 / cap_bps;
        let slowdown = if unloaded_s > 0.0 {
            (age_s / unloaded_s).max(1.0)
        } else {
            1.0
        };
        self.censored_fct.record(age_s);
        self.censored_slowdown.record(slowdown);
        let c = &mut self.censoring;
        c.count += 1;
        c.shortest_age_s = c.shortest_age_s.min(age_s);
        c.smallest_slowdown = c.smallest_slowdown.min(slowdown);
        c.unloaded_in_flight_bytes += (connection.offered_bytes() - cap_bps / 8.0 * age_s).max(0.0);
    }

    /// The figures these measurements give over a window of `window_s` seconds. The ones the
    /// links and the device give (packets dropped, throughput, utilisation, credits, outages)
    /// are the caller's to fill in.
    pub(super) fn figures(&self, window_s: f64) -> Figures {
        let with_censored = |done: &LogHistogram, open: &LogHistogram| {
            let mut all = done.clone();
            all.merge(open);
            all
        };
        let fct = with_censored(&self.fct, &self.censored_fct);
        let slowdown = with_censored(&self.slowdown, &self.censored_slowdown);
        let (fct_p99_s, slowdown_p99) = (fct.quantile(0.99), slowdown.quantile(0.99));
        let c = &self.counts;
        Figures {
            conn_attempts: c.conn_attempts,
            conn_admitted: c.conn_admitted,
            fail_port_allocation: c.fail_port_allocation,
            fail_conntrack: c.fail_conntrack,
            fail_outage: c.fail_outage,
            fail_unsupported: c.fail_unsupported,
            fail_dns: c.fail_dns,
            conn_reset: c.conn_reset,
            idle_timeouts: c.idle_timeouts,
            endpoint_bytes: c.endpoint_bytes,
            interface_endpoint_bytes: c.interface_endpoint_bytes,
            ipv6_bytes: c.ipv6_bytes,
            offered_bytes: c.offered_bytes,
            refused_bytes: c.refused_bytes,
            out_bytes: c.out_bytes,
            in_bytes: c.in_bytes,
            dropped_bytes: c.dropped_bytes,
            in_flight_bytes: c.in_flight_bytes,
            // The mean covers completed transfers only (the M/G/1-PS and Little's-law oracles
            // are about them); the percentiles also count the censored ones.
            completed: self.fct.count(),
            fct_mean_s: self.fct.mean(),
            fct_p50_s: fct.quantile(0.5),
            fct_p99_s,
            slowdown_p99,
            censored: self.censoring.count,
            fct_p99_lower_bound: self.censoring.shortest_age_s <= fct_p99_s,
            slowdown_p99_lower_bound: self.censoring.smallest_slowdown <= slowdown_p99,
            backlog_bytes: (c.in_flight_bytes - self.censoring.unloaded_in_flight_bytes).max(0.0),
            open_mean: self.open_mean(window_s),
            sojourn_mean_s: self.sojourn_mean_s(),
            window_s,
            availability: 1.0,
            ..Figures::default()
        }
    }

    /// Takes the interval's counts and starts the next interval at zero.
    pub(super) fn take_interval(&mut self) -> IntervalCounts {
        std::mem::take(&mut self.interval)
    }
}
