//! Egress device models: what limits a connection's way to the internet.
//!
//! Each device is split smoltcp-style into an immutable `Config` (validated scenario values and
//! catalog defaults) and a running state that the simulation drives. Devices are handed `now` and
//! report their next deadline; they never read a clock, a file or the environment.
//!
//! Invariant: device modules know limits (ports, bandwidth, packets per second, connection
//! tracking, credits) but not money; prices live in `cost`.

pub mod credits;
pub mod fallback;
pub mod fleet;
pub mod hosts;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod nat_instance;
pub mod proxy;

use crate::engine::Nanos;
use crate::engine::rng::StreamRng;
use crate::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress, Link};
use crate::scenario::{DeviceConfig, Protocol};

/// Which way bytes move: `Out` carries request bytes to the internet, `In` response bytes back.
/// AWS specifies bandwidth for each direction separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Out,
    In,
}

/// Why a device turned a connection away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No free source port to the destination (NAT gateway `ErrorPortAllocation`).
    PortAllocation,
    /// Connection-tracking table full (ENA `conntrack_allowance_exceeded`, netfilter table).
    Conntrack,
    /// The device the client routes through is down (failed, not yet replaced).
    Outage,
    /// A proxy carries only HTTP(S).
    Unsupported,
    /// A proxy's lookup found the VPC resolver's 1,024 packets per second per interface spent.
    Dns,
}

/// What a device reports at a deadline: finished flows, and any failure with the flows it cut.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub finished: Vec<Finished>,
    /// Flows cleared by a failure, with what they had moved.
    pub reset: Vec<Finished>,
    /// Paths that failed now; every connection on them is gone.
    pub failed: Vec<u32>,
}

impl Outcome {
    pub fn is_empty(&self) -> bool {
        self.finished.is_empty() && self.reset.is_empty() && self.failed.is_empty()
    }
}

/// How much one path can carry per direction, bits per second: at its best (burst credits, a
/// gateway scaled up) and what it holds indefinitely. Utilisation is measured against these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathCapacity {
    pub peak_bps: f64,
    pub sustained_bps: f64,
}

/// The two links a connection crosses on one device (one instance, or the gateway).
#[derive(Debug, Clone)]
pub struct Path {
    pub out: Link,
    pub inbound: Link,
}

impl Path {
    pub fn link(&self, direction: Direction) -> &Link {
        match direction {
            Direction::Out => &self.out,
            Direction::In => &self.inbound,
        }
    }

    pub fn link_mut(&mut self, direction: Direction) -> &mut Link {
        match direction {
            Direction::Out => &mut self.out,
            Direction::In => &mut self.inbound,
        }
    }

    pub fn next_completion(&self) -> Option<Nanos> {
        earliest(self.out.next_completion(), self.inbound.next_completion())
    }

    pub fn advance(&mut self, now: Nanos) {
        self.out.advance(now);
        self.inbound.advance(now);
    }

    /// Collects the flows finished by `now` on both links into `done`, tagged with `path`.
    pub fn take_finished(
        &mut self,
        now: Nanos,
        path: u32,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
    ) {
        for direction in [Direction::Out, Direction::In] {
            // A link with nothing due has nothing to hand over; its clocks advance lazily.
            if self
                .link(direction)
                .next_completion()
                .is_none_or(|due| due > now)
            {
                continue;
            }
            self.link_mut(direction)
                .take_finished(now, marks, |flow, progress| {
                    done.push(Finished {
                        path,
                        direction,
                        flow,
                        progress,
                    })
                });
        }
    }
}

/// A device failure: (path, down from, back at — `None` while still down).
pub type Outage = (u32, Nanos, Option<Nanos>);

/// A flow that finished: on which path, in which direction, and what got through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finished {
    pub path: u32,
    pub direction: Direction,
    pub flow: FlowId,
    pub progress: FlowProgress,
}

/// The earlier of two optional instants.
pub fn earliest(a: Option<Nanos>, b: Option<Nanos>) -> Option<Nanos> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A running egress device of any kind. An enum, not a trait object: the event loop calls it
/// several times per connection and the match is cheaper than dynamic dispatch.
// One `Egress` exists per run, so the size difference costs nothing; boxing would add a pointer
// chase on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Egress {
    NatGateway(nat_gateway::Gateway),
    NatInstance(nat_instance::Instances),
    InternetGateway(internet_gateway::Clients),
    Proxy(proxy::Proxies),
    Fallback(fallback::Fallback),
}

impl Egress {
    /// A device in its initial state; `failures` is the candidate's own random stream.
    pub fn new(
        config: &DeviceConfig,
        classes: &[ClassSpec],
        destinations: usize,
        failures: StreamRng,
    ) -> Self {
        match config {
            DeviceConfig::NatGateway(c) => {
                Egress::NatGateway(nat_gateway::Gateway::new(c, classes, destinations))
            }
            DeviceConfig::NatInstance(c) if c.failures.fallback.is_some() => {
                Egress::Fallback(fallback::Fallback::new(c, classes, destinations, failures))
            }
            DeviceConfig::NatInstance(c) => {
                Egress::NatInstance(nat_instance::Instances::new(c, classes, failures))
            }
            DeviceConfig::InternetGateway(c) => {
                Egress::InternetGateway(internet_gateway::Clients::new(c, classes))
            }
            DeviceConfig::Proxy(c) => Egress::Proxy(proxy::Proxies::new(c, classes, failures)),
        }
    }

    /// The NAT instances behind an instance-based device (a proxy runs on them too).
    fn instances(&self) -> Option<&nat_instance::Instances> {
        match self {
            Egress::NatInstance(i) => Some(i),
            Egress::Proxy(p) => Some(p.instances()),
            Egress::Fallback(f) => Some(f.instances()),
            _ => None,
        }
    }

    fn instances_mut(&mut self) -> Option<&mut nat_instance::Instances> {
        match self {
            Egress::NatInstance(i) => Some(i),
            Egress::Proxy(p) => Some(p.instances_mut()),
            Egress::Fallback(f) => Some(f.instances_mut()),
            _ => None,
        }
    }

    /// Admits a new connection of `workload` to `destination` at `now`; returns its path.
    pub fn admit(&mut self, now: Nanos, workload: usize, destination: u32) -> Result<u32, Refusal> {
        match self {
            Egress::NatGateway(g) => g.admit(destination),
            Egress::NatInstance(i) => i.admit(),
            Egress::InternetGateway(c) => Ok(c.admit(workload)),
            Egress::Proxy(p) => p.admit(now, workload),
            Egress::Fallback(f) => f.admit(now, destination),
        }
    }

    /// Time an admitted request waits and is worked on before its bytes move (a proxy's CPU).
    pub fn processing_delay(&mut self, now: Nanos, path: u32) -> Nanos {
        match self {
            Egress::Proxy(p) => p.processing_delay(now, path),
            _ => 0,
        }
    }

    /// Frees the port or table slot a closed connection held.
    pub fn release(&mut self, path: u32, destination: u32) {
        match self {
            Egress::NatGateway(g) => g.release(destination),
            Egress::NatInstance(i) => i.release(path),
            Egress::InternetGateway(_) => {}
            Egress::Proxy(p) => p.release(path),
            Egress::Fallback(f) => f.release(path, destination),
        }
    }

    pub fn start_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        match self {
            Egress::NatGateway(g) => g.start_flow(now, direction, class, flow, bytes),
            Egress::NatInstance(i) => i.start_flow(now, path, direction, class, flow, bytes),
            Egress::InternetGateway(c) => c.start_flow(now, path, direction, class, flow, bytes),
            Egress::Proxy(p) => p.start_flow(now, path, direction, class, flow, bytes),
            Egress::Fallback(f) => f.start_flow(now, path, direction, class, flow, bytes),
        }
    }

    /// Removes a flow before it finishes (its client went away) and returns what it moved.
    pub fn stop_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        match self {
            Egress::NatGateway(g) => g.stop_flow(now, direction, flow, mark),
            Egress::NatInstance(i) => i.stop_flow(now, path, direction, flow, mark),
            Egress::InternetGateway(c) => c.stop_flow(now, path, direction, flow, mark),
            Egress::Proxy(p) => p.stop_flow(now, path, direction, flow, mark),
            Egress::Fallback(f) => f.stop_flow(now, path, direction, flow, mark),
        }
    }

    pub fn next_deadline(&self) -> Option<Nanos> {
        match self {
            Egress::NatGateway(g) => g.next_deadline(),
            Egress::NatInstance(i) => i.next_deadline(),
            Egress::InternetGateway(c) => c.next_deadline(),
            Egress::Proxy(p) => p.next_deadline(),
            Egress::Fallback(f) => f.next_deadline(),
        }
    }

    /// Handles whatever is due at `now`: finished flows, capacity changes, failures.
    pub fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        let Outcome {
            finished,
            reset,
            failed,
        } = outcome;
        match self {
            Egress::NatGateway(g) => g.take_finished(now, marks, finished),
            Egress::NatInstance(i) => i.on_deadline(now, marks, finished, reset, failed),
            Egress::InternetGateway(c) => c.on_deadline(now, marks, finished),
            Egress::Proxy(p) => p.on_deadline(now, marks, finished, reset, failed),
            Egress::Fallback(f) => f.on_deadline(now, marks, finished, reset, failed),
        }
    }

    /// Every path, in path-number order (not on the hot path: samples and the final account).
    pub fn paths(&self) -> Vec<&Path> {
        match self {
            Egress::NatGateway(g) => vec![g.path()],
            Egress::NatInstance(i) => i.paths().iter().collect(),
            Egress::InternetGateway(c) => c.paths().iter().collect(),
            Egress::Proxy(p) => p.paths().iter().collect(),
            Egress::Fallback(f) => f.paths().collect(),
        }
    }

    pub fn path_count(&self) -> usize {
        match self {
            Egress::NatGateway(_) => 1,
            Egress::Fallback(f) => f.instances().paths().len() + 1,
            Egress::InternetGateway(c) => c.paths().len(),
            _ => self.instances().map_or(0, |i| i.paths().len()),
        }
    }

    /// Bytes a NAT gateway processed (both directions): all a NAT gateway carried, what a
    /// fallback's standby gateway carried, nothing for the other kinds.
    pub fn processed_bytes(&self) -> f64 {
        match self {
            Egress::NatGateway(g) => {
                let path = g.path();
                path.out.totals().delivered_bytes + path.inbound.totals().delivered_bytes
            }
            Egress::Fallback(f) => f.gateway_bytes(),
            _ => 0.0,
        }
    }

    /// Brings every link's clocks and totals to `now` (before reading totals).
    pub fn advance(&mut self, now: Nanos) {
        match self {
            Egress::NatGateway(g) => g.advance(now),
            Egress::InternetGateway(c) => c.advance(now),
            Egress::Fallback(f) => f.advance(now),
            _ => {
                if let Some(i) = self.instances_mut() {
                    i.advance(now)
                }
            }
        }
    }

    /// Capacity per direction now, summed over paths, bits per second.
    pub fn capacity_bps(&self, direction: Direction) -> f64 {
        self.paths()
            .into_iter()
            .map(|p| p.link(direction).bandwidth_bps())
            .sum()
    }

    /// Period of the device's own periodic decisions (NAT gateway scaling), if it has any.
    pub fn tick_interval(&self) -> Option<Nanos> {
        match self {
            Egress::NatGateway(g) => Some(g.ramp_interval_ns()),
            _ => None,
        }
    }

    pub fn on_tick(&mut self, now: Nanos) {
        if let Egress::NatGateway(g) = self {
            g.on_scale_tick(now);
        }
    }

    pub fn idle_timeout_ns(&self, protocol: Protocol) -> u64 {
        match (self, self.instances()) {
            (Egress::NatGateway(g), _) => g.config().idle_timeout_ns,
            (_, Some(i)) => match protocol {
                Protocol::Tcp => i.config().idle_timeout_tcp_ns,
                Protocol::Udp => i.config().idle_timeout_udp_ns,
            },
            // No translation table, so nothing to time out.
            _ => u64::MAX,
        }
    }

    pub fn release_delay_ns(&self, protocol: Protocol) -> u64 {
        match (self, self.instances()) {
            (Egress::NatGateway(g), _) => g.config().release_delay_ns,
            (_, Some(i)) => match protocol {
                Protocol::Tcp => i.config().release_delay_tcp_ns,
                Protocol::Udp => i.config().release_delay_udp_ns,
            },
            _ => 0,
        }
    }

    /// Notable moments for the recommendation: when credits first ran out, how far the gateway
    /// scaled.
    pub fn diagnostics(&self) -> Diagnostics {
        match (self, self.instances()) {
            (Egress::NatGateway(g), _) => Diagnostics {
                credits_exhausted_at: None,
                peak_capacity_bps: g.peak_capacity_bps,
            },
            (Egress::InternetGateway(c), _) => Diagnostics {
                credits_exhausted_at: c.first_credit_exhaustion(),
                peak_capacity_bps: c.peak_capacity_bps(),
            },
            (_, Some(i)) => Diagnostics {
                credits_exhausted_at: i.first_credit_exhaustion(),
                peak_capacity_bps: i.peak_capacity_bps(),
            },
            _ => Diagnostics::default(),
        }
    }

    /// Each path's capacity, in path-number order (read once, at the start of a run).
    pub fn path_capacities(&self) -> Vec<PathCapacity> {
        match self {
            Egress::NatGateway(g) => vec![g.path_capacity()],
            Egress::NatInstance(i) => i.capacities().collect(),
            Egress::InternetGateway(c) => c.capacities().collect(),
            Egress::Proxy(p) => p.instances().capacities().collect(),
            Egress::Fallback(f) => f.capacities().collect(),
        }
    }

    /// The worst network-credit reserve of the device's hosts at `now` (links advanced there);
    /// a NAT gateway has none to run out of.
    pub fn reserve(&self, now: Nanos) -> credits::Reserve {
        match self {
            Egress::NatGateway(_) => credits::Reserve::default(),
            Egress::NatInstance(i) => i.reserve(now),
            Egress::InternetGateway(c) => c.reserve(now),
            Egress::Proxy(p) => p.instances().reserve(now),
            Egress::Fallback(f) => f.instances().reserve(now),
        }
    }

    /// Every failure so far, and the number of paths the device has (so outage time can be
    /// averaged over them).
    pub fn outages(&self) -> (&[Outage], usize) {
        match (self, self.instances()) {
            (Egress::NatGateway(g), _) => (g.outages(), 1),
            // Only the instances count: the gateway is the fallback, not where clients live.
            (Egress::Fallback(f), _) => (f.outages(), f.instances().paths().len()),
            (_, Some(i)) => (i.outages(), i.paths().len()),
            _ => (&[], self.path_count().max(1)),
        }
    }

    /// The device's AZ goes down at `now`: what was running on it goes to `outcome` as reset
    /// flows and failed paths. Clients behind an internet gateway have no device to lose.
    pub fn fail_all(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        if let Egress::NatGateway(g) = self {
            g.fail(now, marks, &mut outcome.reset);
            outcome.failed.push(0);
        } else if let Egress::Fallback(f) = self {
            f.fail_all(now, marks, &mut outcome.reset, &mut outcome.failed);
        } else if let Some(i) = self.instances_mut() {
            i.fail_all(now, marks, &mut outcome.reset, &mut outcome.failed);
        }
    }

    /// The device's AZ is back at `now`.
    pub fn restore_all(&mut self, now: Nanos) {
        if let Egress::NatGateway(g) = self {
            g.restore(now);
        } else if let Egress::Fallback(f) = self {
            f.restore_all(now);
        } else if let Some(i) = self.instances_mut() {
            i.restore_all(now);
        }
    }
}

/// Facts about a run that explain its figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Diagnostics {
    pub credits_exhausted_at: Option<Nanos>,
    /// Highest per-direction capacity the device reached, bits per second.
    pub peak_capacity_bps: f64,
}
