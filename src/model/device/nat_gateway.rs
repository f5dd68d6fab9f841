//! The managed NAT gateway (zonal, public): PAT over 1–8 public IPs.
//!
//! Limits (aws-facts.md §1): 55,000 simultaneous connections per public IP per unique destination
//! (IP, port, protocol), refused as `ErrorPortAllocation` beyond that; 5 Gbps and 1 Mpps scaling
//! automatically up to 100 Gbps and 10 Mpps (45 Gbps before June 2022), packets beyond the pps
//! capacity dropped; connections idle for 350 s are cut. How fast it scales is not published:
//! natsim's ramp is an assumption, set by the `ramp_*` keys. The packet capacity counts both
//! directions together, each forwarded packet once, with the same packet accounting as a NAT
//! instance (data segments, ACKs, handshakes; see `fluid`), and the same token bucket letting
//! short bursts through (`hosts::packet_bucket`); after every change it is shared between the two
//! links by their packet demand.

/// Validated NAT gateway settings (catalog defaults already applied).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub(crate) ips: u32,
    pub(crate) ports_per_ip: u32,
    /// Capacity per direction at start and after scaling down.
    pub(crate) start_bps: f64,
    pub(crate) max_bps: f64,
    /// Packets per second forwarded, both directions together.
    pub(crate) start_pps: f64,
    pub(crate) max_pps: f64,
    pub(crate) idle_timeout_ns: u64,
    /// Time a port stays unusable after its connection closed.
    pub(crate) release_delay_ns: u64,
    pub(crate) ramp: Ramp,
    /// `mode = "regional"`: one gateway per VPC that expands into each AZ with clients after this
    /// delay (`None` for a zonal gateway).
    pub(crate) regional_expansion_ns: Option<u64>,
}

/// The assumed scaling behaviour: every `interval_ns` the gateway looks at the utilisation of its
/// current capacity over the interval just ended and steps capacity up or down.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ramp {
    pub(crate) interval_ns: u64,
    /// Capacity added or removed per interval, bits per second.
    pub(crate) step_bps: f64,
    /// Utilisation (busiest direction or pps) at or above which the gateway scales up.
    pub(crate) up_utilization: f64,
    /// Utilisation below which, sustained for `down_after_ns`, it scales down.
    pub(crate) down_utilization: f64,
    pub(crate) down_after_ns: u64,
}

use super::Protocol;
use super::credits::{CreditBucket, Reserve};
use super::hosts::{packet_bucket, packet_rate};
use super::{
    Billing, Device, Diagnostics, Direction, Finished, Hourly, Outage, Outcome, Path, PathCapacity,
    Refusal,
};
use crate::engine::Nanos;
use crate::engine::fluid::{
    ClassSpec, FlowId, FlowMark, FlowProgress, Link, NEVER, split_packet_allowance,
};

/// A running NAT gateway: one path (path 0).
#[derive(Debug, Clone)]
pub(crate) struct Gateway {
    config: Config,
    path: Path,
    /// Ports in use (including those waiting out the release delay), per destination.
    ports_in_use: Vec<u32>,
    ports_per_destination: u32,
    capacity_bps: f64,
    /// Tokens of the packet capacity (both directions), refilled at `pps_capacity`.
    packets: CreditBucket,
    /// `share_packets` has nothing to do: the gateway is down, or its packet tokens are unspent
    /// (no limit) and both links already know it. Refreshed wherever one of those changes
    /// (`refresh_shared`: the bucket's state, a link's allowance, `down`), all of it here, so
    /// that every flow start and finish tests one flag.
    shared: bool,
    /// Link totals at the last scaling decision, to measure the interval's utilisation.
    at_last_tick: [f64; 3],
    low_since: Option<Nanos>,
    peak_capacity_bps: f64,
    /// Down with its AZ (an `az_outage`): every connection refused until it is back.
    down: bool,
    /// (path 0, down from, back at) for every AZ outage so far.
    outages: Vec<Outage>,
}

impl Gateway {
    pub(crate) fn new(config: &Config, classes: &[ClassSpec], destinations: usize) -> Self {
        // No flows yet: each link may use the whole packet capacity.
        let pps = config.start_pps;
        let mut gateway = Gateway {
            path: Path {
                out: Link::new(classes, config.start_bps, pps),
                inbound: Link::new(classes, config.start_bps, pps),
            },
            ports_in_use: vec![0; destinations],
            ports_per_destination: config.ips * config.ports_per_ip,
            capacity_bps: config.start_bps,
            packets: packet_bucket(0, config.start_pps),
            shared: false,
            at_last_tick: [0.0; 3],
            low_since: None,
            peak_capacity_bps: config.start_bps,
            down: false,
            outages: Vec::new(),
            config: config.clone(),
        };
        gateway.refresh_shared();
        gateway
    }

    /// Current packets-per-second capacity, both directions: interpolated between start and
    /// maximum as bandwidth scales (assumed: AWS publishes only the two ends).
    pub(crate) fn pps_capacity(&self) -> f64 {
        let span = self.config.max_bps - self.config.start_bps;
        if span <= 0.0 {
            return self.config.start_pps;
        }
        let progress = (self.capacity_bps - self.config.start_bps) / span;
        self.config.start_pps + progress * (self.config.max_pps - self.config.start_pps)
    }

    /// Spends or earns packet tokens for the time since the last change, at the packet rate that
    /// held. Called before anything changes rates.
    #[inline]
    fn settle_packets(&mut self, now: Nanos) {
        self.packets.settle(now, packet_rate(&self.path));
    }

    /// Hands each link its part of the packet capacity (both directions together) from the two
    /// links' demands now. While the gateway is down its links stay at zero.
    #[inline]
    fn share_packets(&mut self, now: Nanos) {
        // Tokens left: no limit on either link, as long as both already know it (the common
        // case on every flow start and finish, so it comes first, inlined at every call).
        if self.shared {
            return;
        }
        self.split_packets(now);
    }

    /// The rest of [`Gateway::share_packets`]: the links' demands decide their parts.
    #[inline(never)]
    fn split_packets(&mut self, now: Nanos) {
        let allowance = self.packets.bandwidth_bps();
        let demands = [
            self.path.out.packet_demand(),
            self.path.inbound.packet_demand(),
        ];
        let [out, inbound] = split_packet_allowance(allowance, demands);
        self.path.out.set_packet_allowance(now, out);
        self.path.inbound.set_packet_allowance(now, inbound);
        self.refresh_shared();
    }

    /// Recomputes `shared` after a change to what it depends on.
    fn refresh_shared(&mut self) {
        self.shared = self.down
            || (self.packets.bandwidth_bps() == f64::INFINITY
                && self.path.out.packet_allowance() == f64::INFINITY
                && self.path.inbound.packet_allowance() == f64::INFINITY);
    }
}

impl Device for Gateway {
    /// Takes a source port for a connection to `destination`, or refuses it as AWS's
    /// ErrorPortAllocation does when every IP's ports to that destination are taken.
    #[inline]
    fn admit(&mut self, _now: Nanos, _workload: usize, destination: u32) -> Result<u32, Refusal> {
        if self.down {
            return Err(Refusal::Outage);
        }
        let in_use = &mut self.ports_in_use[destination as usize];
        if *in_use >= self.ports_per_destination {
            return Err(Refusal::PortAllocation);
        }
        *in_use += 1;
        Ok(0)
    }

    #[inline]
    fn release(&mut self, _path: u32, destination: u32) {
        let in_use = &mut self.ports_in_use[destination as usize];
        *in_use = in_use.saturating_sub(1);
    }

    /// One timeout for every protocol (AWS: 350 s).
    #[inline]
    fn idle_timeout_ns(&self, _protocol: Protocol) -> Nanos {
        self.config.idle_timeout_ns
    }

    #[inline]
    fn release_delay_ns(&self, _protocol: Protocol) -> Nanos {
        self.config.release_delay_ns
    }

    #[inline(always)]
    fn start_flow(
        &mut self,
        now: Nanos,
        _path: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        self.settle_packets(now);
        let mark = self.path.link_mut(direction).add(now, class, flow, bytes);
        self.share_packets(now);
        mark
    }

    fn stop_flow(
        &mut self,
        now: Nanos,
        _path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        self.settle_packets(now);
        let progress = self.path.link_mut(direction).remove(now, flow, mark);
        self.share_packets(now);
        progress
    }

    #[inline(always)]
    fn next_deadline(&self) -> Nanos {
        let completion = self.path.next_completion_at();
        let rate = packet_rate(&self.path);
        // The packet bucket matters only if it changes before the next flow finishes; that
        // event recomputes it. The cheap test first: this runs after every event.
        if completion != NEVER && !self.packets.changes_before(completion, rate) {
            completion
        } else {
            completion.min(self.packets.next_change(rate).unwrap_or(NEVER))
        }
    }

    /// Finished flows, and the packet bucket drained or refilled. A gateway fails only with its
    /// AZ, so nothing is ever reset here.
    #[inline(always)]
    fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.settle_packets(now);
        self.path
            .take_finished(now, 0, marks, &mut outcome.finished);
        // Drained or refilled now: the allowance changes; `share_packets` reads it.
        if self.packets.on_change(now) {
            self.refresh_shared();
        }
        self.share_packets(now);
    }

    fn advance(&mut self, now: Nanos) {
        self.path.advance(now);
    }

    fn tick_interval(&self) -> Option<Nanos> {
        Some(self.config.ramp.interval_ns)
    }

    /// One scaling decision at the end of a ramp interval.
    fn tick(&mut self, now: Nanos) {
        self.settle_packets(now);
        self.path.advance(now);
        let interval_s = self.config.ramp.interval_ns as f64 / 1e9;
        let out = self.path.out.totals();
        let inbound = self.path.inbound.totals();
        let current = [
            out.delivered_bytes,
            inbound.delivered_bytes,
            out.delivered_packets + inbound.delivered_packets,
        ];
        let bytes_capacity = self.capacity_bps / 8.0 * interval_s;
        let utilization = ((current[0] - self.at_last_tick[0]) / bytes_capacity)
            .max((current[1] - self.at_last_tick[1]) / bytes_capacity)
            .max((current[2] - self.at_last_tick[2]) / (self.pps_capacity() * interval_s));
        self.at_last_tick = current;
        let ramp = &self.config.ramp;
        let target = if utilization >= ramp.up_utilization {
            self.low_since = None;
            (self.capacity_bps + ramp.step_bps).min(self.config.max_bps)
        } else if utilization < ramp.down_utilization {
            let since = *self.low_since.get_or_insert(now);
            if now - since >= ramp.down_after_ns {
                (self.capacity_bps - ramp.step_bps).max(self.config.start_bps)
            } else {
                self.capacity_bps
            }
        } else {
            self.low_since = None;
            self.capacity_bps
        };
        if target != self.capacity_bps {
            self.capacity_bps = target;
            self.peak_capacity_bps = self.peak_capacity_bps.max(target);
            self.path.out.set_bandwidth(now, target);
            self.path.inbound.set_bandwidth(now, target);
            // A new capacity, a new bucket (full: a step grants one burst, a millisecond's worth).
            self.packets = packet_bucket(now, self.pps_capacity());
            self.refresh_shared();
            self.share_packets(now);
        }
    }

    /// Its AZ goes down at `now`: every flow is cleared, every port freed, and nothing passes
    /// until [`Device::restore`].
    fn fail(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.settle_packets(now);
        self.down = true;
        for direction in [Direction::Out, Direction::In] {
            let link = self.path.link_mut(direction);
            link.clear(now, marks, |flow, progress| {
                outcome.reset.push(Finished {
                    path: 0,
                    direction,
                    flow,
                    progress,
                })
            });
            link.set_capacity(now, 0.0, 0.0);
        }
        self.refresh_shared();
        self.ports_in_use.fill(0);
        self.outages.push((0, now, None));
        outcome.failed.push(0);
    }

    /// Its AZ is back at `now`, at the capacity it had scaled to.
    fn restore(&mut self, now: Nanos) {
        self.settle_packets(now);
        self.down = false;
        let pps = self.pps_capacity();
        for direction in [Direction::Out, Direction::In] {
            self.path
                .link_mut(direction)
                .set_capacity(now, self.capacity_bps, pps);
        }
        self.refresh_shared();
        self.share_packets(now);
        if let Some(outage) = self.outages.last_mut() {
            outage.2 = Some(now);
        }
    }

    fn path_count(&self) -> usize {
        1
    }

    fn path(&self, _path: u32) -> &Path {
        &self.path
    }

    /// Its bandwidth per direction: the gateway scales up to `max_bps`, and holds it.
    fn path_capacities(&self) -> Vec<PathCapacity> {
        vec![PathCapacity {
            peak_bps: self.config.max_bps,
            sustained_bps: self.config.max_bps,
            sustained_pps: self.config.max_pps,
        }]
    }

    /// What it has scaled to, packets being scaled with bandwidth.
    fn packet_limit_pps(&self, _path: u32) -> f64 {
        if self.down { 0.0 } else { self.pps_capacity() }
    }

    /// A NAT gateway has no credits to run out of.
    fn reserve(&self, _now: Nanos) -> Reserve {
        Reserve::default()
    }

    fn diagnostics(&self) -> Diagnostics {
        Diagnostics {
            credits_exhausted_at: None,
            peak_capacity_bps: self.peak_capacity_bps,
        }
    }

    fn outages(&self) -> (&[Outage], usize) {
        (&self.outages, 1)
    }

    /// Everything it carried, both directions.
    fn processed_bytes(&self) -> f64 {
        self.path.out.totals().delivered_bytes + self.path.inbound.totals().delivered_bytes
    }

    fn billing(&self) -> Billing {
        Billing {
            hourly: Hourly::NatGateway,
            public_ips: self.config.ips,
            standby_gateway_ips: None,
            storage_gb: 0.0,
        }
    }

    fn expansion_ns(&self) -> Option<Nanos> {
        self.config.regional_expansion_ns
    }
}
