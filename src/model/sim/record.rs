//! What a run measures: counters, byte accounts, completion times, Little's-law integrals and the
//! per-minute time series.

use super::SAMPLE_INTERVAL_NS;
use super::connection::{Connection, Phase, Slab};
use crate::engine::Nanos;
use crate::engine::fluid::Limit;
use crate::engine::stats::LogHistogram;
use crate::model::cost::{Bill, Usage};
use crate::model::device::{Device, Diagnostics, Direction, PathCapacity, Refusal};
use crate::model::sim::fleet::Fleet;
use crate::model::workload::Arrival;
use crate::util::units::ns_to_seconds;

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

/// Accumulates a run's measurements as events happen.
#[derive(Debug)]
pub(crate) struct Recorder {
    warmup: Nanos,
    horizon: Nanos,
    figures: Figures,
    fct: LogHistogram,
    slowdown: LogHistogram,
    open: u64,
    open_integral_s: f64,
    open_since: Nanos,
    sojourn_sum_s: f64,
    sojourn_count: u64,
    at_warmup: (f64, f64),
    intervals: Vec<Interval>,
    interval_start: Nanos,
    interval_offered_bytes: f64,
    interval_refused: u64,
    interval_attempts: u64,
    interval_port_allocation: u64,
    interval_idle_timeouts: u64,
    interval_endpoint_bytes: f64,
    last_totals: (f64, f64),
    /// Per path: its capacities, and delivered bytes [out, in] and packets at the last sample
    /// and at the end of the warmup (for per-path utilisation).
    capacities: Vec<PathCapacity>,
    path_last: Vec<[f64; 3]>,
    path_at_warmup: Vec<[f64; 3]>,
    utilization_peak: f64,
}

impl Recorder {
    /// `capacities`: each path's bandwidth, in path order.
    pub(crate) fn new(warmup: Nanos, horizon: Nanos, capacities: Vec<PathCapacity>) -> Self {
        let paths = capacities.len();
        Recorder {
            capacities,
            path_last: vec![[0.0; 3]; paths],
            path_at_warmup: vec![[0.0; 3]; paths],
            utilization_peak: 0.0,
            warmup,
            horizon,
            figures: Figures::default(),
            fct: LogHistogram::new(),
            slowdown: LogHistogram::new(),
            open: 0,
            open_integral_s: 0.0,
            open_since: 0,
            sojourn_sum_s: 0.0,
            sojourn_count: 0,
            at_warmup: (0.0, 0.0),
            intervals: Vec::new(),
            interval_start: 0,
            interval_offered_bytes: 0.0,
            interval_refused: 0,
            interval_attempts: 0,
            interval_port_allocation: 0,
            interval_idle_timeouts: 0,
            interval_endpoint_bytes: 0.0,
            last_totals: (0.0, 0.0),
        }
    }

    pub(crate) fn in_window(&self, now: Nanos) -> bool {
        now >= self.warmup && now < self.horizon
    }

    pub(crate) fn on_attempt(&mut self, _now: Nanos, arrival: &Arrival, in_window: bool) {
        self.interval_offered_bytes += arrival.request_bytes + arrival.response_bytes;
        self.interval_attempts += 1;
        if in_window {
            self.figures.conn_attempts += 1;
        }
    }

    pub(crate) fn on_refused(&mut self, refusal: Refusal, arrival: &Arrival, in_window: bool) {
        self.interval_refused += 1;
        if refusal == Refusal::PortAllocation {
            self.interval_port_allocation += 1;
        }
        if !in_window {
            return;
        }
        self.figures.refused_bytes += arrival.request_bytes + arrival.response_bytes;
        match refusal {
            Refusal::PortAllocation => self.figures.fail_port_allocation += 1,
            Refusal::Conntrack => self.figures.fail_conntrack += 1,
            Refusal::Outage => self.figures.fail_outage += 1,
            Refusal::Unsupported => self.figures.fail_unsupported += 1,
            Refusal::Dns => self.figures.fail_dns += 1,
        }
    }

    pub(crate) fn on_admitted(&mut self, now: Nanos) {
        self.change_open(now, 1);
    }

    /// Books a finished transfer: its bytes and, for window connections, its completion time
    /// against the unloaded time at the per-connection cap.
    pub(crate) fn on_transfer_done(
        &mut self,
        now: Nanos,
        connection: &Connection,
        rate_cap_bps: f64,
    ) {
        if !connection.in_window {
            return;
        }
        self.book_bytes(connection);
        let fct_s = ns_to_seconds(now - connection.arrival);
        let unloaded_s = connection.offered_bytes() * 8.0 / rate_cap_bps;
        self.fct.record(fct_s);
        self.slowdown.record(if unloaded_s > 0.0 {
            (fct_s / unloaded_s).max(1.0)
        } else {
            1.0
        });
    }

    /// A connection a gateway endpoint carried: delivered in full at its own cap, past the
    /// device.
    pub(crate) fn on_endpoint(&mut self, arrival: &Arrival, in_window: bool, rate_cap_bps: f64) {
        let bytes = arrival.request_bytes + arrival.response_bytes;
        self.interval_endpoint_bytes += bytes;
        if !in_window {
            return;
        }
        let f = &mut self.figures;
        f.conn_admitted += 1;
        f.offered_bytes += bytes;
        f.out_bytes += arrival.request_bytes;
        f.in_bytes += arrival.response_bytes;
        f.endpoint_bytes += bytes;
        self.fct.record(bytes * 8.0 / rate_cap_bps);
        self.slowdown.record(1.0);
    }

    /// A connection cut by a device failure at `now`: what it had not moved is lost.
    pub(crate) fn on_reset(&mut self, now: Nanos, connection: &Connection) {
        self.change_open(now, -1);
        if self.in_window(now) {
            self.figures.conn_reset += 1;
        }
        if !connection.in_window {
            return;
        }
        self.sojourn_sum_s += ns_to_seconds(now - connection.arrival);
        self.sojourn_count += 1;
        if matches!(
            connection.phase,
            Phase::Queued | Phase::Request | Phase::Response
        ) {
            let mut lost = connection.clone();
            lost.dropped += lost.in_flight_bytes();
            self.book_bytes(&lost);
        }
    }

    pub(crate) fn on_idle_timeout(&mut self, connection: &Connection) {
        self.interval_idle_timeouts += 1;
        if connection.in_window {
            self.figures.idle_timeouts += 1;
        }
    }

    pub(crate) fn on_closed(&mut self, now: Nanos, connection: &Connection) {
        self.change_open(now, -1);
        if connection.in_window {
            self.sojourn_sum_s += ns_to_seconds(now - connection.arrival);
            self.sojourn_count += 1;
        }
    }

    pub(crate) fn on_warmup_end(&mut self, now: Nanos, egress: &Fleet<impl Device>) {
        self.change_open(now, 0);
        self.at_warmup = totals(egress);
        self.path_at_warmup = path_totals(egress);
    }

    /// Closes the current time-series interval at `now` (links already advanced to `now`).
    pub(crate) fn sample(
        &mut self,
        now: Nanos,
        egress: &Fleet<impl Device>,
        cost_cumulative_usd: f64,
    ) {
        let seconds = ns_to_seconds(now - self.interval_start);
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
        self.intervals.push(Interval {
            start_s: ns_to_seconds(self.interval_start),
            end_s: ns_to_seconds(now),
            offered_bps: self.interval_offered_bytes * 8.0 / seconds,
            delivered_bps: (delivered - self.last_totals.0) * 8.0 / seconds,
            capacity_out_bps: egress.capacity_bps(Direction::Out),
            capacity_in_bps: egress.capacity_bps(Direction::In),
            open_connections: self.open,
            conn_refused: self.interval_refused,
            packets_dropped: dropped_packets - self.last_totals.1,
            cost_cumulative_usd,
            out_bytes,
            in_bytes,
            conn_attempts: self.interval_attempts,
            refused_port_allocation: self.interval_port_allocation,
            idle_timeouts: self.interval_idle_timeouts,
            endpoint_bps: self.interval_endpoint_bytes * 8.0 / seconds,
            capacity,
            sustained,
            utilization: utilization_now,
        });
        self.interval_endpoint_bytes = 0.0;
        self.interval_attempts = 0;
        self.interval_port_allocation = 0;
        self.interval_idle_timeouts = 0;
        self.interval_start = now;
        self.interval_offered_bytes = 0.0;
        self.interval_refused = 0;
        self.last_totals = (delivered, dropped_packets);
    }

    /// Final figures at `horizon` (links already advanced there). `rate_caps_bps`: each
    /// workload's per-connection cap, for the unloaded times of connections still open.
    pub(crate) fn figures(
        &mut self,
        horizon: Nanos,
        connections: &Slab,
        egress: &Fleet<impl Device>,
        rate_caps_bps: &[f64],
    ) -> Figures {
        self.change_open(horizon, 0);
        // The mean covers completed transfers only (the M/G/1-PS and Little's-law oracles are
        // about them); the percentiles below also count the censored ones.
        let (completed, fct_mean_s) = (self.fct.count(), self.fct.mean());
        let mut censoring = Censoring::default();
        for connection in connections.iter() {
            let moving = matches!(
                connection.phase,
                Phase::Queued | Phase::Request | Phase::Response
            );
            if connection.in_window && moving {
                self.book_bytes(connection);
                let cap_bps = rate_caps_bps[connection.class as usize];
                self.censor(horizon, connection, cap_bps, &mut censoring);
            }
        }
        let window_s = ns_to_seconds(self.horizon.saturating_sub(self.warmup));
        let (delivered, dropped_packets) = totals(egress);
        let mean_bps = if window_s > 0.0 {
            (delivered - self.at_warmup.0) * 8.0 / window_s
        } else {
            0.0
        };
        let window_start_s = ns_to_seconds(self.warmup);
        let peak_bps = self
            .intervals
            .iter()
            .filter(|i| {
                i.start_s >= window_start_s
                    && i.end_s - i.start_s >= ns_to_seconds(SAMPLE_INTERVAL_NS) * 0.999
            })
            .map(|i| i.delivered_bps)
            .fold(mean_bps, f64::max);
        let (fct_p99_s, slowdown_p99) = (self.fct.quantile(0.99), self.slowdown.quantile(0.99));
        Figures {
            packets_dropped: dropped_packets - self.at_warmup.1,
            mean_bps,
            peak_bps,
            completed,
            fct_mean_s,
            fct_p50_s: self.fct.quantile(0.5),
            fct_p99_s,
            slowdown_p99,
            censored: censoring.count,
            fct_p99_lower_bound: censoring.shortest_age_s <= fct_p99_s,
            slowdown_p99_lower_bound: censoring.smallest_slowdown <= slowdown_p99,
            backlog_bytes: (self.figures.in_flight_bytes - censoring.unloaded_in_flight_bytes)
                .max(0.0),
            utilization_peak: self.utilization_peak,
            utilization_sustained: self.sustained_utilization(egress, window_s),
            open_mean: if window_s > 0.0 {
                self.open_integral_s / window_s
            } else {
                0.0
            },
            sojourn_mean_s: if self.sojourn_count > 0 {
                self.sojourn_sum_s / self.sojourn_count as f64
            } else {
                0.0
            },
            window_s,
            ..self.figures.clone()
        }
    }

    /// Counts a connection still transferring at `horizon` in the percentiles at its age, and
    /// what an unloaded device would still have to move of it.
    fn censor(&mut self, horizon: Nanos, connection: &Connection, cap_bps: f64, c: &mut Censoring) {
        let age_s = ns_to_seconds(horizon - connection.arrival);
        let unloaded_s = connection.offered_bytes() * 8.0 / cap_bps;
        let slowdown = if unloaded_s > 0.0 {
            (age_s / unloaded_s).max(1.0)
        } else {
            1.0
        };
        self.fct.record(age_s);
        self.slowdown.record(slowdown);
        c.count += 1;
        c.shortest_age_s = c.shortest_age_s.min(age_s);
        c.smallest_slowdown = c.smallest_slowdown.min(slowdown);
        c.unloaded_in_flight_bytes += (connection.offered_bytes() - cap_bps / 8.0 * age_s).max(0.0);
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

    pub(crate) fn into_intervals(self) -> Vec<Interval> {
        self.intervals
    }

    fn book_bytes(&mut self, connection: &Connection) {
        self.figures.conn_admitted += 1;
        self.figures.offered_bytes += connection.offered_bytes();
        self.figures.out_bytes += connection.out_delivered;
        self.figures.in_bytes += connection.in_delivered;
        self.figures.dropped_bytes += connection.dropped;
        self.figures.in_flight_bytes += connection.in_flight_bytes();
    }

    /// Adds `delta` to the open count after integrating the old count over the window part of
    /// the time since the last change.
    fn change_open(&mut self, now: Nanos, delta: i64) {
        let from = self.open_since.clamp(self.warmup, self.horizon);
        let to = now.clamp(self.warmup, self.horizon);
        if to > from {
            self.open_integral_s += self.open as f64 * ns_to_seconds(to - from);
        }
        self.open_since = now;
        self.open = self.open.saturating_add_signed(delta);
    }
}

/// What the connections still transferring at the end add to the figures.
#[derive(Debug)]
struct Censoring {
    count: u64,
    shortest_age_s: f64,
    smallest_slowdown: f64,
    unloaded_in_flight_bytes: f64,
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
