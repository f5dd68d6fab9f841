//! What a run measures: counters, byte accounts, completion times, Little's-law integrals and the
//! per-minute time series.

use super::connection::{Connection, Phase, Slab};
use super::tally::{IntervalCounts, Tally};
use super::{Bypass, SAMPLE_INTERVAL_NS};
use crate::engine::Nanos;
use crate::engine::fluid::Limit;
use crate::model::cost::{Bill, Usage};
use crate::model::device::{Device, Diagnostics, Direction, PathCapacity, Refusal};
use crate::model::sim::fleet::Fleet;
use crate::model::workload::Arrival;
use crate::util::units::{ns_to_seconds, span_to_seconds};

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub(crate) candidate: usize,
    pub(crate) replication: u32,
    pub(crate) seed: u64,
    pub figures: Figures,
    /// Usage over the whole simulated time, and its bill.
    pub(crate) usage: Usage,
    pub(crate) bill: Bill,
    /// The same traffic over a 730-hour month.
    pub monthly_bill: Bill,
    pub(crate) diagnostics: Diagnostics,
    pub timeseries: Vec<Interval>,
    /// [`Figures`] per workload, in scenario order; the device-wide ones (utilisation,
    /// credits) are 0, as they belong to the device, not to a workload.
    pub(crate) by_workload: Vec<Figures>,
    /// Per interval of `timeseries`, one row per workload.
    pub(crate) timeseries_by_workload: Vec<Vec<WorkloadInterval>>,
    /// Events and deadlines the engine handled (for benchmarks).
    pub events: u64,
}

/// Figures over connections that arrived in the statistics window [warmup, duration).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub conn_attempts: u64,
    pub(crate) conn_admitted: u64,
    pub(crate) fail_port_allocation: u64,
    pub(crate) fail_conntrack: u64,
    /// Connections refused because the device they route through was down.
    pub(crate) fail_outage: u64,
    /// Connections a proxy refused for not being HTTP(S).
    pub(crate) fail_unsupported: u64,
    /// Connections a proxy refused because its DNS lookup was over the resolver's limit.
    pub(crate) fail_dns: u64,
    /// Connections cut by a device failure (counted when the failure falls in the window).
    pub(crate) conn_reset: u64,
    pub(crate) idle_timeouts: u64,
    /// Bytes a gateway endpoint carried past the device (S3/DynamoDB).
    pub(crate) endpoint_bytes: f64,
    /// Bytes interface endpoints carried past the device (other AWS services).
    pub(crate) interface_endpoint_bytes: f64,
    /// Bytes an egress-only internet gateway carried past the device (IPv6).
    pub(crate) ipv6_bytes: f64,
    /// Public addresses the allowlisted workloads' connections leave from
    /// (`model::egress_ips`), and whether they survive an instance failure.
    pub(crate) egress_ips: f64,
    pub(crate) egress_ips_fixed: bool,
    /// Seconds in the window clients had no egress (set by the simulation from the device's
    /// failures; see `Fleet::client_outage_s`).
    pub(crate) outage_s: f64,
    /// 1 − outage_s / window.
    pub(crate) availability: f64,
    /// Bytes admitted connections brought (request + response).
    pub(crate) offered_bytes: f64,
    /// Bytes of refused connections (never offered to the device's data path).
    pub(crate) refused_bytes: f64,
    pub(crate) out_bytes: f64,
    pub(crate) in_bytes: f64,
    pub(crate) dropped_bytes: f64,
    pub(crate) in_flight_bytes: f64,
    /// Packets dropped in the window (time-based).
    pub(crate) packets_dropped: f64,
    /// Delivered throughput, both directions, averaged over the window.
    pub(crate) mean_bps: f64,
    /// Highest one-minute delivered throughput in the window.
    pub(crate) peak_bps: f64,
    pub(crate) completed: u64,
    pub(crate) fct_mean_s: f64,
    pub(crate) fct_p50_s: f64,
    pub(crate) fct_p99_s: f64,
    pub(crate) slowdown_p99: f64,
    /// Window connections still transferring at the end, counted in the completion-time and
    /// slowdown percentiles at their age (right-censored: their true times are longer).
    pub(crate) censored: u64,
    /// The p99 completion time / slowdown is a lower bound: a censored connection's age is at
    /// or below it, so its true time could raise the percentile.
    pub(crate) fct_p99_lower_bound: bool,
    pub(crate) slowdown_p99_lower_bound: bool,
    /// Bytes still in flight at the end beyond what the same connections would still have to
    /// move on an unloaded device (at their own caps): the backlog the device built up.
    pub(crate) backlog_bytes: f64,
    /// Highest one-minute load of any path and direction over that path's peak bandwidth.
    pub(crate) utilization_peak: f64,
    /// Highest window-mean load of any path and direction over its sustained bandwidth.
    pub(crate) utilization_sustained: f64,
    /// Deepest draw of any network-credit bucket, as a fraction of a full one.
    pub(crate) credit_depth: f64,
    /// Net drain of the worst credit bucket, as a fraction of a full one per hour (the
    /// reciprocal of the hours a full bucket lasts at the load seen; 0 if none drains).
    pub(crate) credit_drain_per_hour: f64,
    /// Time-average of open connections over the window.
    pub(crate) open_mean: f64,
    /// Mean time from arrival to close of window connections that closed.
    pub(crate) sojourn_mean_s: f64,
    pub(crate) window_s: f64,
}

impl Figures {
    pub(crate) fn conn_failed(&self) -> u64 {
        self.fail_port_allocation
            + self.fail_conntrack
            + self.fail_outage
            + self.fail_unsupported
            + self.fail_dns
    }
}

/// One row of the time series: the interval [start_s, end_s).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Interval {
    pub(crate) start_s: f64,
    pub(crate) end_s: f64,
    /// Bytes of connections arriving in the interval, per second (including refused ones).
    pub(crate) offered_bps: f64,
    pub delivered_bps: f64,
    pub(crate) capacity_out_bps: f64,
    pub(crate) capacity_in_bps: f64,
    pub(crate) open_connections: u64,
    pub(crate) conn_refused: u64,
    pub(crate) packets_dropped: f64,
    pub(crate) cost_cumulative_usd: f64,
    /// Bytes delivered in the interval toward the internet (`Out`) and back (`In`), summed
    /// over the paths (CloudWatch's BytesOutToDestination and BytesInFromDestination).
    pub(crate) out_bytes: f64,
    pub(crate) in_bytes: f64,
    /// Connections arriving in the interval (CloudWatch's ConnectionAttemptCount).
    pub(crate) conn_attempts: u64,
    /// Refusals for want of a source port (ErrorPortAllocation).
    pub(crate) refused_port_allocation: u64,
    /// Connections cut by the idle timeout (IdleTimeoutCount).
    pub(crate) idle_timeouts: u64,
    /// Bytes of connections a gateway endpoint carried past the device (S3/DynamoDB), arriving
    /// in the interval, per second: part of `offered_bps`, never of `delivered_bps`.
    pub(crate) endpoint_bps: f64,
    /// Bytes of connections carried past the device (the gateway endpoint's, interface
    /// endpoints' and an egress-only internet gateway's), arriving in the interval, per second.
    pub(crate) bypassed_bps: f64,
    /// What the device can carry now, both directions together, of traffic shaped like what it
    /// has carried so far, and the limit that sets it ([`capacity_for_shape`]); `None` before it
    /// has carried anything.
    pub(crate) capacity: Option<Bound>,
    /// The same from what the device holds indefinitely: baseline bandwidth without credits, a
    /// NAT gateway scaled to its maximum.
    pub(crate) sustained: Option<Bound>,
    /// The busiest path's load in the interval over what it holds indefinitely: the larger of
    /// either direction's bytes over its sustained bandwidth and its packets (both directions)
    /// over its sustained packet allowance, and which of the two it is.
    pub(crate) utilization: Bound,
}

/// A figure and the limit behind it: bandwidth, or packets per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub(crate) value: f64,
    pub(crate) limit: Limit,
}

impl Bound {
    /// The limit's name in outputs: `bandwidth` or `packets`.
    pub(crate) fn limit_name(&self) -> &'static str {
        match self.limit {
            Limit::Bandwidth => "bandwidth",
            Limit::PacketsPerSecond => "packets",
        }
    }
}

impl Default for Bound {
    fn default() -> Self {
        Bound {
            value: 0.0,
            limit: Limit::Bandwidth,
        }
    }
}

/// The most a device carries, both directions together, of traffic that moves `shape`
/// (delivered bytes out, bytes in, packets): its bandwidth each way divided by that direction's
/// share of the bytes, or its packets per second times the traffic's bytes per packet, whichever
/// is lower. `None` when the traffic has moved nothing yet, so it has no shape.
pub(crate) fn capacity_for_shape(
    out_bps: f64,
    in_bps: f64,
    pps: f64,
    shape: [f64; 3],
) -> Option<Bound> {
    let [out, inbound, packets] = shape;
    let bytes = out + inbound;
    if bytes <= 0.0 || packets <= 0.0 {
        return None;
    }
    let each_way = |capacity_bps: f64, share: f64| {
        if share > 0.0 {
            capacity_bps * bytes / share
        } else {
            f64::INFINITY
        }
    };
    let bandwidth = each_way(out_bps, out).min(each_way(in_bps, inbound));
    let by_packets = pps * bytes / packets * 8.0;
    Some(if by_packets < bandwidth {
        Bound {
            value: by_packets,
            limit: Limit::PacketsPerSecond,
        }
    } else {
        Bound {
            value: bandwidth,
            limit: Limit::Bandwidth,
        }
    })
}

/// One workload's part of a time-series interval (the interval's times are the candidate's row).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct WorkloadInterval {
    /// Bytes of its connections arriving in the interval, per second (including refused ones).
    pub(crate) offered_bps: f64,
    /// Its bytes through the device in the interval, both directions, per second.
    pub(crate) delivered_bps: f64,
    /// Bytes of its connections arriving in the interval that skipped the device (a gateway
    /// endpoint, interface endpoints, an egress-only internet gateway), per second.
    pub(crate) bypassed_bps: f64,
    pub(crate) out_bytes: f64,
    pub(crate) in_bytes: f64,
    pub(crate) open_connections: u64,
    pub(crate) conn_attempts: u64,
    pub(crate) conn_refused: u64,
    pub(crate) idle_timeouts: u64,
    pub(crate) packets_dropped: f64,
}

/// Accumulates a run's measurements as events happen: one [`Tally`] per workload (indexed by the
/// workload's number), the links' totals at the end of the warmup and at each sample, and the
/// time series.
#[derive(Debug)]
pub(crate) struct Recorder {
    warmup: Nanos,
    horizon: Nanos,
    tallies: Vec<Tally>,
    /// Each workload's link classes: internet-bound, then AWS-bound (the same class twice when
    /// it sends nothing to AWS services).
    flow_classes: Vec<[u32; 2]>,
    at_warmup: (f64, f64),
    workload_at_warmup: Vec<ClassTotals>,
    workload_last: Vec<ClassTotals>,
    intervals: Vec<Interval>,
    /// Per interval, one entry per workload.
    workload_intervals: Vec<Vec<WorkloadInterval>>,
    interval_start: Nanos,
    last_totals: (f64, f64),
    /// Per path: its capacities, and delivered bytes [out, in] and packets at the last sample
    /// and at the end of the warmup (for per-path utilisation).
    capacities: Vec<PathCapacity>,
    path_last: Vec<[f64; 3]>,
    path_at_warmup: Vec<[f64; 3]>,
    utilization_peak: f64,
}

impl Recorder {
    /// `capacities`: each path's bandwidth, in path order; `flow_classes`: each workload's link
    /// classes, in workload order.
    pub(crate) fn new(
        warmup: Nanos,
        horizon: Nanos,
        capacities: Vec<PathCapacity>,
        flow_classes: Vec<[u32; 2]>,
    ) -> Self {
        let paths = capacities.len();
        let workloads = flow_classes.len();
        Recorder {
            capacities,
            path_last: vec![[0.0; 3]; paths],
            path_at_warmup: vec![[0.0; 3]; paths],
            utilization_peak: 0.0,
            warmup,
            horizon,
            tallies: vec![Tally::default(); workloads],
            flow_classes,
            at_warmup: (0.0, 0.0),
            workload_at_warmup: vec![ClassTotals::default(); workloads],
            workload_last: vec![ClassTotals::default(); workloads],
            intervals: Vec::new(),
            workload_intervals: Vec::new(),
            interval_start: 0,
            last_totals: (0.0, 0.0),
        }
    }

    #[inline]
    pub(crate) fn in_window(&self, now: Nanos) -> bool {
        now >= self.warmup && now < self.horizon
    }

    #[inline]
    pub(crate) fn on_attempt(&mut self, _now: Nanos, arrival: &Arrival, in_window: bool) {
        let tally = &mut self.tallies[arrival.class as usize];
        tally.interval.offered_bytes += arrival.request_bytes + arrival.response_bytes;
        tally.interval.attempts += 1;
        if in_window {
            tally.counts.conn_attempts += 1;
        }
    }

    #[inline]
    pub(crate) fn on_refused(&mut self, refusal: Refusal, arrival: &Arrival, in_window: bool) {
        let tally = &mut self.tallies[arrival.class as usize];
        tally.interval.refused += 1;
        if refusal == Refusal::PortAllocation {
            tally.interval.port_allocation += 1;
        }
        if !in_window {
            return;
        }
        let counts = &mut tally.counts;
        counts.refused_bytes += arrival.request_bytes + arrival.response_bytes;
        match refusal {
            Refusal::PortAllocation => counts.fail_port_allocation += 1,
            Refusal::Conntrack => counts.fail_conntrack += 1,
            Refusal::Outage => counts.fail_outage += 1,
            Refusal::Unsupported => counts.fail_unsupported += 1,
            Refusal::Dns => counts.fail_dns += 1,
        }
    }

    /// A connection of workload `class` admitted at `now`.
    #[inline]
    pub(crate) fn on_admitted(&mut self, now: Nanos, class: u32) {
        let (warmup, horizon) = (self.warmup, self.horizon);
        self.tallies[class as usize].change_open(now, 1, warmup, horizon);
    }

    /// Books a finished transfer: its bytes and, for window connections, its completion time
    /// against the unloaded time at the per-connection cap.
    #[inline(always)]
    pub(crate) fn on_transfer_done(
        &mut self,
        now: Nanos,
        connection: &Connection,
        rate_cap_bps: f64,
    ) {
        if !connection.in_window {
            return;
        }
        let tally = &mut self.tallies[connection.class as usize];
        tally.counts.book_bytes(connection);
        let fct_s = span_to_seconds(now - connection.arrival);
        let unloaded_s = connection.offered_bytes() * 8.0 / rate_cap_bps;
        tally.fct.record_finite(fct_s);
        tally.slowdown.record(if unloaded_s > 0.0 {
            (fct_s / unloaded_s).max(1.0)
        } else {
            1.0
        });
    }

    /// A connection carried past the device (`bypass`): delivered in full at its own cap.
    /// (The arrival by value: taken by reference, it had to be written to memory on every
    /// arrival, this call being out of line, rather than only on the way here.)
    #[inline]
    pub(crate) fn on_bypass(
        &mut self,
        bypass: Bypass,
        arrival: Arrival,
        in_window: bool,
        rate_cap_bps: f64,
    ) {
        let bytes = arrival.request_bytes + arrival.response_bytes;
        let tally = &mut self.tallies[arrival.class as usize];
        tally.interval.bypassed_bytes += bytes;
        if bypass == Bypass::GatewayEndpoint {
            tally.interval.endpoint_bytes += bytes;
        }
        if !in_window {
            return;
        }
        let c = &mut tally.counts;
        c.conn_admitted += 1;
        c.offered_bytes += bytes;
        c.out_bytes += arrival.request_bytes;
        c.in_bytes += arrival.response_bytes;
        *match bypass {
            Bypass::GatewayEndpoint => &mut c.endpoint_bytes,
            Bypass::InterfaceEndpoint => &mut c.interface_endpoint_bytes,
            Bypass::EgressOnlyIgw => &mut c.ipv6_bytes,
        } += bytes;
        tally.fct.record(bytes * 8.0 / rate_cap_bps);
        tally.slowdown.record(1.0);
    }

    /// A connection cut by a device failure at `now`: what it had not moved is lost.
    pub(crate) fn on_reset(&mut self, now: Nanos, connection: &Connection) {
        let in_window_now = self.in_window(now);
        let (warmup, horizon) = (self.warmup, self.horizon);
        let tally = &mut self.tallies[connection.class as usize];
        tally.change_open(now, -1, warmup, horizon);
        if in_window_now {
            tally.counts.conn_reset += 1;
        }
        if !connection.in_window {
            return;
        }
        tally.on_left(span_to_seconds(now - connection.arrival));
        if matches!(
            connection.phase,
            Phase::Queued | Phase::Request | Phase::Response
        ) {
            let mut lost = connection.clone();
            lost.dropped += lost.in_flight_bytes();
            tally.counts.book_bytes(&lost);
        }
    }

    #[inline]
    pub(crate) fn on_idle_timeout(&mut self, connection: &Connection) {
        let tally = &mut self.tallies[connection.class as usize];
        tally.interval.idle_timeouts += 1;
        if connection.in_window {
            tally.counts.idle_timeouts += 1;
        }
    }

    #[inline]
    pub(crate) fn on_closed(&mut self, now: Nanos, connection: &Connection) {
        let (warmup, horizon) = (self.warmup, self.horizon);
        let tally = &mut self.tallies[connection.class as usize];
        tally.change_open(now, -1, warmup, horizon);
        if connection.in_window {
            tally.on_left(span_to_seconds(now - connection.arrival));
        }
    }

    pub(crate) fn on_warmup_end(&mut self, now: Nanos, egress: &Fleet<impl Device>) {
        let (warmup, horizon) = (self.warmup, self.horizon);
        for tally in &mut self.tallies {
            tally.change_open(now, 0, warmup, horizon);
        }
        self.at_warmup = totals(egress);
        self.path_at_warmup = path_totals(egress);
        self.workload_at_warmup = workload_totals(egress, &self.flow_classes);
    }

    /// Closes the current time-series interval at `now` (links already advanced to `now`).
    pub(crate) fn sample(
        &mut self,
        now: Nanos,
        egress: &Fleet<impl Device>,
        cost_cumulative_usd: f64,
    ) {
        let seconds = span_to_seconds(now - self.interval_start);
        if seconds <= 0.0 {
            return;
        }
        let (delivered, dropped_packets) = totals(egress);
        let full_minute = seconds >= ns_to_seconds(SAMPLE_INTERVAL_NS) * 0.999;
        let per_path = path_totals(egress);
        let mut utilization_now = Bound::default();
        for ((now_bytes, last), capacity) in
            per_path.iter().zip(&self.path_last).zip(&self.capacities)
        {
            let rate = |i: usize| (now_bytes[i] - last[i]) / seconds;
            for direction in 0..2 {
                let bps = rate(direction) * 8.0;
                if full_minute && self.interval_start >= self.warmup {
                    self.utilization_peak = self
                        .utilization_peak
                        .max(utilization(bps, capacity.peak_bps));
                }
                utilization_now = higher(
                    utilization_now,
                    utilization(bps, capacity.sustained_bps),
                    Limit::Bandwidth,
                );
            }
            utilization_now = higher(
                utilization_now,
                utilization(rate(2), capacity.sustained_pps),
                Limit::PacketsPerSecond,
            );
        }
        let (out_bytes, in_bytes) = per_path
            .iter()
            .zip(&self.path_last)
            .fold((0.0, 0.0), |(o, i), (now_bytes, last)| {
                (o + now_bytes[0] - last[0], i + now_bytes[1] - last[1])
            });
        let shape = per_path.iter().fold([0.0; 3], |sum, path| {
            [sum[0] + path[0], sum[1] + path[1], sum[2] + path[2]]
        });
        let sum_of = |f: fn(&PathCapacity) -> f64| self.capacities.iter().map(f).sum::<f64>();
        let sustained_bps = sum_of(|c| c.sustained_bps);
        let capacity = capacity_for_shape(
            egress.capacity_bps(Direction::Out),
            egress.capacity_bps(Direction::In),
            egress.packet_limit_pps(),
            shape,
        );
        let sustained = capacity_for_shape(
            sustained_bps,
            sustained_bps,
            sum_of(|c| c.sustained_pps),
            shape,
        );
        self.path_last = per_path;
        let (counts, open) = self.sample_workloads(egress, seconds);
        self.intervals.push(Interval {
            start_s: ns_to_seconds(self.interval_start),
            end_s: ns_to_seconds(now),
            offered_bps: counts.offered_bytes * 8.0 / seconds,
            delivered_bps: (delivered - self.last_totals.0) * 8.0 / seconds,
            capacity_out_bps: egress.capacity_bps(Direction::Out),
            capacity_in_bps: egress.capacity_bps(Direction::In),
            open_connections: open,
            conn_refused: counts.refused,
            packets_dropped: dropped_packets - self.last_totals.1,
            cost_cumulative_usd,
            out_bytes,
            in_bytes,
            conn_attempts: counts.attempts,
            refused_port_allocation: counts.port_allocation,
            idle_timeouts: counts.idle_timeouts,
            endpoint_bps: counts.endpoint_bytes * 8.0 / seconds,
            bypassed_bps: counts.bypassed_bytes * 8.0 / seconds,
            capacity,
            sustained,
            utilization: utilization_now,
        });
        self.interval_start = now;
        self.last_totals = (delivered, dropped_packets);
    }

    /// Each workload's row of the interval that closes now (`seconds` long); returns the
    /// interval's counts and open connections over all workloads.
    fn sample_workloads(
        &mut self,
        egress: &Fleet<impl Device>,
        seconds: f64,
    ) -> (IntervalCounts, u64) {
        let now_totals = workload_totals(egress, &self.flow_classes);
        let mut all = IntervalCounts::default();
        let mut open = 0;
        let rows = self
            .tallies
            .iter_mut()
            .zip(&now_totals)
            .zip(&self.workload_last)
            .map(|((tally, end), start)| {
                let counts = tally.take_interval();
                all.add(&counts);
                open += tally.open;
                let (out_bytes, in_bytes) = (end.out - start.out, end.inbound - start.inbound);
                WorkloadInterval {
                    offered_bps: counts.offered_bytes * 8.0 / seconds,
                    delivered_bps: (out_bytes + in_bytes) * 8.0 / seconds,
                    bypassed_bps: counts.bypassed_bytes * 8.0 / seconds,
                    out_bytes,
                    in_bytes,
                    open_connections: tally.open,
                    conn_attempts: counts.attempts,
                    conn_refused: counts.refused,
                    idle_timeouts: counts.idle_timeouts,
                    packets_dropped: end.dropped_packets - start.dropped_packets,
                }
            })
            .collect();
        self.workload_intervals.push(rows);
        self.workload_last = now_totals;
        (all, open)
    }

    /// Final figures at `horizon` (links already advanced there): the candidate's, then each
    /// workload's. `rate_caps_bps`: each workload's per-connection cap, for the unloaded times
    /// of connections still open.
    pub(crate) fn figures(
        &mut self,
        horizon: Nanos,
        connections: &Slab,
        egress: &Fleet<impl Device>,
        rate_caps_bps: &[f64],
    ) -> (Figures, Vec<Figures>) {
        let warmup = self.warmup;
        for tally in &mut self.tallies {
            tally.change_open(horizon, 0, warmup, self.horizon);
        }
        for connection in connections.iter() {
            let moving = matches!(
                connection.phase,
                Phase::Queued | Phase::Request | Phase::Response
            );
            if connection.in_window && moving {
                let class = connection.class as usize;
                let tally = &mut self.tallies[class];
                tally.counts.book_bytes(connection);
                tally.censor(horizon, connection, rate_caps_bps[class]);
            }
        }
        let window_s = ns_to_seconds(self.horizon.saturating_sub(self.warmup));
        let by_workload = self.workload_figures(egress, window_s);
        let mut all = Tally::default();
        for tally in &self.tallies {
            all.merge(tally);
        }
        let (delivered, dropped_packets) = totals(egress);
        let mean_bps = if window_s > 0.0 {
            (delivered - self.at_warmup.0) * 8.0 / window_s
        } else {
            0.0
        };
        let figures = Figures {
            packets_dropped: dropped_packets - self.at_warmup.1,
            mean_bps,
            peak_bps: self.peak_bps(mean_bps, |i, _| i.delivered_bps),
            utilization_peak: self.utilization_peak,
            utilization_sustained: self.sustained_utilization(egress, window_s),
            ..all.figures(window_s)
        };
        (figures, by_workload)
    }

    /// Each workload's figures at the end: its tally's, with the packets and throughput of its
    /// link classes.
    fn workload_figures(&self, egress: &Fleet<impl Device>, window_s: f64) -> Vec<Figures> {
        let ends = workload_totals(egress, &self.flow_classes);
        (0..self.tallies.len())
            .map(|w| {
                let (end, start) = (&ends[w], &self.workload_at_warmup[w]);
                let delivered = end.out + end.inbound - start.out - start.inbound;
                let mean_bps = if window_s > 0.0 {
                    delivered * 8.0 / window_s
                } else {
                    0.0
                };
                Figures {
                    packets_dropped: end.dropped_packets - start.dropped_packets,
                    mean_bps,
                    peak_bps: self.peak_bps(mean_bps, |_, rows| rows[w].delivered_bps),
                    ..self.tallies[w].figures(window_s)
                }
            })
            .collect()
    }

    /// The highest delivered rate of a full one-minute interval in the window, by `rate` (of the
    /// candidate's row and the workloads' rows), and at least `mean_bps`.
    fn peak_bps(&self, mean_bps: f64, rate: impl Fn(&Interval, &[WorkloadInterval]) -> f64) -> f64 {
        let window_start_s = ns_to_seconds(self.warmup);
        self.intervals
            .iter()
            .zip(&self.workload_intervals)
            .filter(|(i, _)| {
                i.start_s >= window_start_s
                    && i.end_s - i.start_s >= ns_to_seconds(SAMPLE_INTERVAL_NS) * 0.999
            })
            .map(|(i, rows)| rate(i, rows))
            .fold(mean_bps, f64::max)
    }

    /// The highest mean load over the window of any path and direction, over that path's
    /// sustained bandwidth.
    fn sustained_utilization(&self, egress: &Fleet<impl Device>, window_s: f64) -> f64 {
        if window_s <= 0.0 {
            return 0.0;
        }
        let end = path_totals(egress);
        let mut highest: f64 = 0.0;
        for ((end, start), capacity) in end.iter().zip(&self.path_at_warmup).zip(&self.capacities) {
            for direction in 0..2 {
                let bps = (end[direction] - start[direction]) * 8.0 / window_s;
                highest = highest.max(utilization(bps, capacity.sustained_bps));
            }
        }
        highest
    }

    /// The time series: the candidate's rows, and each interval's rows per workload.
    pub(crate) fn into_intervals(self) -> (Vec<Interval>, Vec<Vec<WorkloadInterval>>) {
        (self.intervals, self.workload_intervals)
    }
}

/// A workload's bytes through the device so far, each way, and its dropped packets (time-based).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ClassTotals {
    out: f64,
    inbound: f64,
    dropped_packets: f64,
}

/// Each workload's [`ClassTotals`], over every path and its link classes.
fn workload_totals(egress: &Fleet<impl Device>, flow_classes: &[[u32; 2]]) -> Vec<ClassTotals> {
    flow_classes
        .iter()
        .map(|&[internet, aws]| {
            let classes: &[u32] = if aws == internet {
                &[internet]
            } else {
                &[internet, aws]
            };
            let mut t = ClassTotals::default();
            for (_, path) in egress.paths() {
                for &class in classes {
                    t.out += path.out.class_delivered_bytes(class);
                    t.inbound += path.inbound.class_delivered_bytes(class);
                    t.dropped_packets += path.out.class_dropped_packets(class)
                        + path.inbound.class_dropped_packets(class);
                }
            }
            t
        })
        .collect()
}

/// Load over capacity; a path with no capacity is fully used if it carried anything.
fn utilization(bps: f64, capacity_bps: f64) -> f64 {
    if capacity_bps > 0.0 {
        bps / capacity_bps
    } else if bps > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Delivered bytes [out, in] and packets (both directions) per path, in path order.
fn path_totals(egress: &Fleet<impl Device>) -> Vec<[f64; 3]> {
    egress
        .paths()
        .map(|(_, path)| {
            let (out, inbound) = (path.out.totals(), path.inbound.totals());
            [
                out.delivered_bytes,
                inbound.delivered_bytes,
                out.delivered_packets + inbound.delivered_packets,
            ]
        })
        .collect()
}

/// `current`, or `value` with its limit when that is higher.
fn higher(current: Bound, value: f64, limit: Limit) -> Bound {
    if value > current.value {
        Bound { value, limit }
    } else {
        current
    }
}

/// Delivered bytes (both directions) and dropped packets over all of a device's links.
fn totals(egress: &Fleet<impl Device>) -> (f64, f64) {
    egress
        .paths()
        .map(|(_, path)| path)
        .fold((0.0, 0.0), |(bytes, packets), path| {
            let (out, inbound) = (path.out.totals(), path.inbound.totals());
            (
                bytes + out.delivered_bytes + inbound.delivered_bytes,
                packets + out.dropped_packets + inbound.dropped_packets,
            )
        })
}
