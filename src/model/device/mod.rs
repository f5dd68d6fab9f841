//! Egress device models: what limits a connection's way to the internet.
//!
//! Every kind answers the [`Device`] trait: `nat_gateway::Gateway`, `nat_instance::Instances`,
//! `internet_gateway::Clients`, and two that wrap an instance fleet the way smoltcp's `phy`
//! middleware wraps a device: `proxy::Proxies` (instances plus a CPU queue and a DNS limit) and
//! `fallback::Fallback` (instances plus a standby NAT gateway). `fleet::Fleet<D>` deploys one kind
//! per AZ and numbers paths across deployments. The kind is chosen once per run, so the event loop
//! calls a concrete type, never a `match` or a vtable.
//!
//! Each device is split smoltcp-style into an immutable `Config` (validated scenario values and
//! catalog defaults) and a running state that the simulation drives. Devices are handed `now` and
//! report their next deadline; they never read a clock, a file or the environment.
//!
//! Invariant: device modules know limits (ports, bandwidth, packets per second, connection
//! tracking, credits) and billable quantities ([`Billing`]: hours, addresses, processed bytes),
//! but no prices beyond the instance price their config carries; prices live in `cost`.

pub(crate) mod credits;
pub(crate) mod fallback;
pub(crate) mod hosts;
pub(crate) mod internet_gateway;
pub(crate) mod nat_gateway;
pub(crate) mod nat_instance;
pub(crate) mod proxy;

use crate::engine::Nanos;
use crate::engine::fluid::{FlowId, FlowMark, FlowProgress, Link};

/// Which way bytes move: `Out` carries request bytes to the internet, `In` response bytes back.
/// AWS specifies bandwidth for each direction separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Out,
    In,
}

/// Why a device turned a connection away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
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
pub(crate) struct Outcome {
    pub(crate) finished: Vec<Finished>,
    /// Flows cleared by a failure, with what they had moved.
    pub(crate) reset: Vec<Finished>,
    /// Paths that failed now; every connection on them is gone.
    pub(crate) failed: Vec<u32>,
}

impl Outcome {
    pub(crate) fn is_empty(&self) -> bool {
        self.finished.is_empty() && self.reset.is_empty() && self.failed.is_empty()
    }
}

/// How much one path can carry per direction, bits per second: at its best (burst credits, a
/// gateway scaled up) and what it holds indefinitely. Utilisation is measured against these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PathCapacity {
    pub(crate) peak_bps: f64,
    pub(crate) sustained_bps: f64,
    /// Packets per second it holds indefinitely, both directions together.
    pub(crate) sustained_pps: f64,
}

/// The two links a connection crosses on one device (one instance, or the gateway).
#[derive(Debug, Clone)]
pub(crate) struct Path {
    pub(crate) out: Link,
    pub(crate) inbound: Link,
}

impl Path {
    pub(crate) fn link(&self, direction: Direction) -> &Link {
        match direction {
            Direction::Out => &self.out,
            Direction::In => &self.inbound,
        }
    }

    pub(crate) fn link_mut(&mut self, direction: Direction) -> &mut Link {
        match direction {
            Direction::Out => &mut self.out,
            Direction::In => &mut self.inbound,
        }
    }

    /// When the next flow on either link finishes at current rates ([`NEVER`](crate::engine::NEVER)
    /// for none).
    #[inline]
    pub(crate) fn next_completion_at(&self) -> Nanos {
        self.out
            .next_completion_at()
            .min(self.inbound.next_completion_at())
    }

    pub(crate) fn advance(&mut self, now: Nanos) {
        self.out.advance(now);
        self.inbound.advance(now);
    }

    /// Collects the flows finished by `now` on both links into `done`, tagged with `path`.
    #[inline(always)]
    pub(crate) fn take_finished(
        &mut self,
        now: Nanos,
        path: u32,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
    ) {
        // A link with nothing due has nothing to hand over; its clocks advance lazily. Written
        // out per link rather than as a loop over the directions: this runs at every deadline.
        if self.out.next_completion_at() <= now {
            self.out.take_finished(now, marks, |flow, progress| {
                done.push(Finished {
                    path,
                    direction: Direction::Out,
                    flow,
                    progress,
                })
            });
        }
        if self.inbound.next_completion_at() <= now {
            self.inbound.take_finished(now, marks, |flow, progress| {
                done.push(Finished {
                    path,
                    direction: Direction::In,
                    flow,
                    progress,
                })
            });
        }
    }
}

/// A device failure: (path, down from, back at — `None` while still down).
pub(crate) type Outage = (u32, Nanos, Option<Nanos>);

/// A flow that finished: on which path, in which direction, and what got through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Finished {
    pub(crate) path: u32,
    pub(crate) direction: Direction,
    pub(crate) flow: FlowId,
    pub(crate) progress: FlowProgress,
}

/// What every kind of egress device answers. The simulation drives a [`fleet::Fleet`] of one
/// concrete kind, chosen once per run (`sim::run_candidate`), so every call here is static
/// (and can be inlined): the event loop calls these several times per connection.
///
/// Paths are the device's own, numbered from 0; the fleet numbers them across deployments.
/// A method has a default only where "none" is the true answer for nearly every kind (a
/// processing delay, a periodic tick, a regional expansion); everything else each kind states.
pub(crate) trait Device {
    // Connections.

    /// Admits a new connection of `workload` to `destination` at `now`; returns its path.
    fn admit(&mut self, now: Nanos, workload: usize, destination: u32) -> Result<u32, Refusal>;

    /// Time an admitted request waits and is worked on before its bytes move (a proxy's CPU).
    fn processing_delay(&mut self, _now: Nanos, _path: u32) -> Nanos {
        0
    }

    /// Frees the port or table slot a closed connection held. Never touches a flow, a credit
    /// or a timer, so it never moves the device's next deadline.
    fn release(&mut self, path: u32, destination: u32);

    /// How long an idle connection keeps its entry before the device cuts it (`u64::MAX`: never).
    fn idle_timeout_ns(&self, protocol: Protocol) -> Nanos;

    /// How long a closed connection's entry stays taken before its slot is free again.
    fn release_delay_ns(&self, protocol: Protocol) -> Nanos;

    // Flows.

    /// Starts moving `bytes` of connection `flow` in `direction` on `path`.
    fn start_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark;

    /// Removes a flow before it finishes (its client went away) and returns what it moved.
    fn stop_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress;

    // Time.

    /// The next instant something changes on its own: a flow finishes, credits run dry, an
    /// instance fails or comes back. [`NEVER`](crate::engine::NEVER) when nothing will: a plain instant, so merging
    /// deadlines (across kinds, deployments, the simulation's arrivals) is a `min`.
    fn next_deadline(&self) -> Nanos;

    /// Handles whatever is due at `now`, appending to `outcome` the flows that finished, the
    /// flows a failure cut and the paths that failed.
    fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    );

    /// Brings every link's clocks, totals and credits to `now` (before reading them).
    fn advance(&mut self, now: Nanos);

    /// Period of the device's own periodic decisions (a NAT gateway's scaling), if it has any.
    fn tick_interval(&self) -> Option<Nanos> {
        None
    }

    /// One periodic decision at `now`.
    fn tick(&mut self, _now: Nanos) {}

    // AZ outages.

    /// The device's AZ goes down at `now`: what was running on it goes to `outcome` as reset
    /// flows and failed paths, and nothing passes until [`Device::restore`].
    fn fail(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    );

    /// The device's AZ is back at `now`.
    fn restore(&mut self, now: Nanos);

    // What it is, what it reached, what it bills (not on the hot path).

    fn path_count(&self) -> usize;

    fn path(&self, path: u32) -> &Path;

    /// Each path's capacity, in path order (read once, at the start of a run).
    fn path_capacities(&self) -> Vec<PathCapacity>;

    /// The packets per second `path` may carry now, both directions together, over any burst
    /// (0 while it is down): with its links' bandwidth, what the time series draws as capacity.
    fn packet_limit_pps(&self, path: u32) -> f64;

    /// The worst network-credit reserve of its hosts at `now` (links advanced there).
    fn reserve(&self, now: Nanos) -> credits::Reserve;

    /// Notable moments for the recommendation: when credits first ran out, how far capacity
    /// reached.
    fn diagnostics(&self) -> Diagnostics;

    /// Every failure so far, and the number of paths clients live behind (so outage time can be
    /// averaged over them).
    fn outages(&self) -> (&[Outage], usize);

    /// Bytes a NAT gateway processed (both directions): what the processing charge bills.
    fn processed_bytes(&self) -> f64;

    /// How its hours and addresses bill, per deployment.
    fn billing(&self) -> Billing;

    /// For a regional NAT gateway: after how long it reaches the AZs other than its home one.
    fn expansion_ns(&self) -> Option<Nanos> {
        None
    }

    /// Whether each path sits in its own clients' AZ (an internet gateway's paths are the
    /// clients themselves), so no byte crosses an AZ to reach the device whatever its `az`.
    fn in_clients_az(&self) -> bool {
        false
    }
}

/// What one deployment of a device bills: how its hours are metered, the public IPv4 addresses
/// it holds, its instances' EBS volumes, and a standby NAT gateway beside it. Quantities for
/// `cost` to price, plus an EC2 instance's hourly price (the scenario resolved it from the
/// catalog for its region).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Billing {
    pub(crate) hourly: Hourly,
    pub(crate) public_ips: u32,
    /// alterNAT's standby NAT gateway, billed by the hour whether it carries anything: its
    /// public IPs.
    pub(crate) standby_gateway_ips: Option<u32>,
    /// EBS GB provisioned: every billed instance's volume (standbys too); 0 without instances.
    pub(crate) storage_gb: f64,
}

/// How a device's hours bill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Hourly {
    /// A NAT gateway: each partial hour billed as a full hour, at the region's gateway rate.
    NatGateway,
    /// EC2 instances, billed per second: how many run at once (standbys included), and each
    /// one's price.
    Instances { billed: f64, usd_per_hour: f64 },
    /// Nothing by the hour (an internet gateway: the clients are the user's own instances).
    Nothing,
}

/// Facts about a run that explain its figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Diagnostics {
    pub(crate) credits_exhausted_at: Option<Nanos>,
    /// Highest per-direction capacity the device reached, bits per second.
    pub(crate) peak_capacity_bps: f64,
}

/// A connection's transport, which sets its idle timeout and how its packets are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Tcp,
    Udp,
}
