//! A NAT instance (fck-nat style): PAT on EC2 instances the user sizes and runs.
//!
//! Limits (aws-facts.md §3): baseline and burst bandwidth per direction with network I/O credits
//! (separate buckets for in and out; bucket size unpublished, so assumed), internet traffic capped
//! at 5 Gbps below 32 vCPUs (else the larger of 50 % and 5 Gbps), a packets-per-second allowance
//! and a connection-tracking table (both unpublished, so assumed). A full table refuses new
//! connections (`fail_conntrack`).

/// Validated NAT instance settings (catalog defaults already applied).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub(crate) instance_type: String,
    /// Instances sharing the traffic; connections are spread over them round-robin.
    pub(crate) count: u32,
    pub(crate) vcpus: u32,
    pub(crate) baseline_bps: f64,
    /// Burst ("up to") bandwidth; equals the baseline for instances that do not burst.
    pub(crate) burst_bps: f64,
    /// Minutes a full credit bucket sustains the burst rate from empty demand (assumed).
    pub(crate) burst_minutes: f64,
    /// Ceiling on traffic through the internet gateway, per direction.
    pub(crate) internet_cap_bps: f64,
    /// Packets per second, both directions together.
    pub(crate) pps_limit: f64,
    pub(crate) conntrack_max: u32,
    pub(crate) idle_timeout_tcp_ns: u64,
    pub(crate) idle_timeout_udp_ns: u64,
    /// Time a tracked connection stays in the table after close (TCP TIME_WAIT in netfilter).
    pub(crate) release_delay_tcp_ns: u64,
    pub(crate) release_delay_udp_ns: u64,
    /// Price of one instance in the scenario's region (spot-discounted when `spot`).
    pub(crate) usd_per_hour: f64,
    pub(crate) failures: Failures,
    /// GB of EBS (gp3) each instance's volume holds, standbys' too: billed per GB-month.
    pub(crate) volume_gb: f64,
    /// Each instance's public address is an Elastic IP that moves to whatever replaces it.
    pub(crate) elastic_ip: bool,
}

/// How instances fail and come back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failures {
    pub(crate) failover: Failover,
    /// Time without egress after a failure; `None` means not within the run (`failover = "none"`).
    pub(crate) recovery_ns: Option<u64>,
    /// Mean time between random failures of one instance (hardware, or spot interruptions);
    /// `None` turns random failures off.
    pub(crate) mtbf_ns: Option<u64>,
    /// Scheduled failures: (time, instance index).
    pub(crate) scheduled: Vec<(u64, u32)>,
    pub(crate) spot: bool,
    /// For `failover = "nat_gateway_fallback"`: the standby NAT gateway and how long until the
    /// health check swaps the route to it.
    pub(crate) fallback: Option<Fallback>,
}

/// alterNAT's design: a NAT gateway on standby, billed all the time, takes the traffic while the
/// instance is replaced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fallback {
    pub(crate) gateway: super::nat_gateway::Config,
    /// From the failure to the route pointing at the gateway (health check plus route swap).
    pub(crate) detection_ns: u64,
}

/// What happens when an instance fails (aws-facts.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failover {
    /// Nothing replaces it within the run.
    None,
    /// An auto-scaling group launches a replacement (fck-nat HA mode, about 5 minutes).
    AsgReplace,
    /// A pre-launched standby takes over its ENI or EIP in seconds; the standby runs (and bills)
    /// all the time.
    StandbyInstance,
    /// A health check swaps the route to a standby NAT gateway until a replacement is up, then
    /// back (alterNAT).
    NatGatewayFallback,
}

impl Failover {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Failover::None => "none",
            Failover::AsgReplace => "asg_replace",
            Failover::StandbyInstance => "standby_instance",
            Failover::NatGatewayFallback => "nat_gateway_fallback",
        }
    }

    /// Instances billed per active instance: a standby doubles them.
    pub(crate) fn billed_per_instance(self) -> f64 {
        if self == Failover::StandbyInstance {
            2.0
        } else {
            1.0
        }
    }
}

impl Config {
    /// Whether the instances keep their public addresses through a failure: an Elastic IP moves
    /// to the replacement or the standby; without one, a replacement comes up with a new
    /// auto-assigned address. Nothing replaces an instance under `failover = "none"`.
    pub(crate) fn keeps_addresses(&self) -> bool {
        self.elastic_ip || self.failures.failover == Failover::None
    }

    /// Bits a full credit bucket holds: enough to run at burst for `burst_minutes` while earning
    /// at baseline.
    pub(crate) fn bucket_bits(&self) -> f64 {
        (self.burst_bps - self.baseline_bps).max(0.0) * self.burst_minutes * 60.0
    }
}

use super::Protocol;
use super::credits::Reserve;
use super::hosts::{HostSpec, Hosts};
use super::{
    Billing, Device, Diagnostics, Direction, Finished, Hourly, Outage, Outcome, Path, PathCapacity,
    Refusal,
};
use crate::engine::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress};
use crate::engine::rng::StreamRng;
use crate::engine::{NEVER, Nanos};
use crate::util::units::{NS_PER_S, seconds_to_ns};
use rand_distr::{Distribution, Exp};

/// `count` running NAT instances, one path each. Connections are spread round-robin, standing in
/// for clients whose subnets route to different instances; a down instance's share of clients has
/// no egress.
#[derive(Debug, Clone)]
pub(crate) struct Instances {
    config: Config,
    hosts: Hosts,
    conntrack_in_use: Vec<u32>,
    next_instance: u32,
    /// Next random failure per instance (while up).
    next_failure: Vec<Option<Nanos>>,
    /// When a down instance is back, if it will be within the run.
    back_at: Vec<Option<Nanos>>,
    /// Scheduled failures not yet applied, earliest last.
    scheduled: Vec<(Nanos, u32)>,
    failure_gap: Option<Exp<f64>>,
    rng: StreamRng,
    /// (instance, down from, back at) for every failure so far.
    outages: Vec<Outage>,
    /// Instances the AZ outage holds down: failed by it, or with a recovery it postponed.
    held_by_az: Vec<bool>,
}

impl Instances {
    /// `rng` is the candidate's own failure stream, independent of the workload's.
    pub(crate) fn new(config: &Config, classes: &[ClassSpec], rng: StreamRng) -> Self {
        let count = config.count.max(1) as usize;
        let spec = HostSpec {
            baseline_bps: config.baseline_bps,
            burst_bps: config.burst_bps,
            bucket_bits: config.bucket_bits(),
            internet_cap_bps: config.internet_cap_bps,
            pps_limit: config.pps_limit,
        };
        let failure_gap = config
            .failures
            .mtbf_ns
            .and_then(|mtbf| Exp::new(NS_PER_S / mtbf as f64).ok());
        let mut scheduled = config.failures.scheduled.clone();
        scheduled.sort_by(|a, b| b.cmp(a));
        let mut instances = Instances {
            hosts: Hosts::new(vec![spec; count], classes),
            conntrack_in_use: vec![0; count],
            next_instance: 0,
            next_failure: vec![None; count],
            back_at: vec![None; count],
            scheduled,
            failure_gap,
            rng,
            outages: Vec::new(),
            held_by_az: vec![false; count],
            config: config.clone(),
        };
        for index in 0..count {
            instances.next_failure[index] = instances.draw_failure(0);
        }
        instances
    }

    /// Picks the next instance and takes `entries` connection-tracking slots on it (a proxy
    /// tracks the client side and the upstream side).
    pub(crate) fn admit_entries(&mut self, entries: u32) -> Result<u32, Refusal> {
        let instance = self.next_instance;
        self.next_instance = (self.next_instance + 1) % self.hosts.len() as u32;
        if !self.hosts.is_up(instance) {
            return Err(Refusal::Outage);
        }
        let in_use = &mut self.conntrack_in_use[instance as usize];
        if *in_use + entries > self.config.conntrack_max {
            return Err(Refusal::Conntrack);
        }
        *in_use += entries;
        Ok(instance)
    }

    pub(crate) fn release_entries(&mut self, instance: u32, entries: u32) {
        let in_use = &mut self.conntrack_in_use[instance as usize];
        *in_use = in_use.saturating_sub(entries);
    }

    pub(crate) fn is_up(&self, instance: u32) -> bool {
        self.hosts.is_up(instance)
    }

    /// The instance the next admission will pick.
    pub(crate) fn next_pick(&self) -> u32 {
        self.next_instance
    }

    /// When the instance went down, if it is down.
    pub(crate) fn down_since(&self, instance: u32) -> Option<Nanos> {
        if self.hosts.is_up(instance) {
            return None;
        }
        self.outages
            .iter()
            .rev()
            .find(|o| o.0 == instance)
            .map(|o| o.1)
    }

    /// Replaces every instance whose recovery is due.
    fn bring_back(&mut self, now: Nanos) {
        for index in 0..self.back_at.len() {
            if self.back_at[index].is_some_and(|at| at <= now) {
                self.back_at[index] = None;
                self.hosts.replace(now, index as u32);
                if let Some(outage) = self.outages.iter_mut().rev().find(|o| o.0 == index as u32) {
                    outage.2 = Some(now);
                }
                self.next_failure[index] = self.draw_failure(now);
            }
        }
    }

    fn failure_due(&self, now: Nanos, instance: u32) -> bool {
        if !self.hosts.is_up(instance) {
            return false;
        }
        let random = self.next_failure[instance as usize].is_some_and(|at| at <= now);
        let scheduled = self
            .scheduled
            .iter()
            .any(|&(at, i)| at <= now && i == instance);
        random || scheduled
    }

    /// The instance dies: its connections are gone, its table with it.
    fn fail_instance(
        &mut self,
        now: Nanos,
        instance: u32,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        reset: &mut Vec<Finished>,
    ) {
        let index = instance as usize;
        self.hosts
            .fail(now, instance, marks, |direction, flow, progress| {
                reset.push(Finished {
                    path: instance,
                    direction,
                    flow,
                    progress,
                })
            });
        self.conntrack_in_use[index] = 0;
        self.next_failure[index] = None;
        self.back_at[index] = self
            .config
            .failures
            .recovery_ns
            .map(|r| now.saturating_add(r));
        self.outages.push((instance, now, None));
    }

    fn draw_failure(&mut self, from: Nanos) -> Option<Nanos> {
        let gap = self.failure_gap?;
        // `gap` is exponential in seconds with mean MTBF (rate = 1 / MTBF).
        Some(from.saturating_add(seconds_to_ns(gap.sample(&mut self.rng)).max(1)))
    }
}

impl Device for Instances {
    /// Picks the next instance and takes a connection-tracking slot on it.
    fn admit(&mut self, _now: Nanos, _workload: usize, _destination: u32) -> Result<u32, Refusal> {
        self.admit_entries(1)
    }

    fn release(&mut self, instance: u32, _destination: u32) {
        self.release_entries(instance, 1);
    }

    fn idle_timeout_ns(&self, protocol: Protocol) -> Nanos {
        match protocol {
            Protocol::Tcp => self.config.idle_timeout_tcp_ns,
            Protocol::Udp => self.config.idle_timeout_udp_ns,
        }
    }

    fn release_delay_ns(&self, protocol: Protocol) -> Nanos {
        match protocol {
            Protocol::Tcp => self.config.release_delay_tcp_ns,
            Protocol::Udp => self.config.release_delay_udp_ns,
        }
    }

    fn start_flow(
        &mut self,
        now: Nanos,
        instance: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        self.hosts
            .start_flow(now, instance, direction, class, flow, bytes)
    }

    fn stop_flow(
        &mut self,
        now: Nanos,
        instance: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        self.hosts.stop_flow(now, instance, direction, flow, mark)
    }

    fn next_deadline(&self) -> Nanos {
        // A pending failure or comeback is `Some`; `None` (nothing pending) reads as `NEVER`.
        let mut earliest = self.hosts.next_deadline();
        for at in self.next_failure.iter().chain(&self.back_at) {
            earliest = earliest.min(at.unwrap_or(NEVER));
        }
        earliest.min(self.scheduled.last().map_or(NEVER, |(at, _)| *at))
    }

    /// Finished flows and credit switches first, then failures due now (their flows reset, the
    /// instance failed), then replacements that are ready.
    fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.hosts.on_deadline(now, marks, &mut outcome.finished);
        for instance in 0..self.hosts.len() as u32 {
            if self.failure_due(now, instance) {
                self.fail_instance(now, instance, marks, &mut outcome.reset);
                outcome.failed.push(instance);
            }
        }
        // Scheduled failures of instances already down have nothing left to break.
        while self.scheduled.last().is_some_and(|(at, _)| *at <= now) {
            self.scheduled.pop();
        }
        self.bring_back(now);
    }

    fn advance(&mut self, now: Nanos) {
        self.hosts.advance(now);
    }

    /// Their AZ goes down at `now`: every instance still up fails, and none comes back (by
    /// replacement or standby) until [`Device::restore`].
    fn fail(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        for instance in 0..self.hosts.len() as u32 {
            let index = instance as usize;
            // An instance already down with no recovery coming (failover "none") stays down.
            self.held_by_az[index] = self.hosts.is_up(instance) || self.back_at[index].is_some();
            if self.hosts.is_up(instance) {
                self.fail_instance(now, instance, marks, &mut outcome.reset);
                outcome.failed.push(instance);
            }
            self.back_at[index] = None;
        }
    }

    /// Their AZ is back at `now`: every instance it held down is replaced.
    fn restore(&mut self, now: Nanos) {
        for index in 0..self.hosts.len() {
            if std::mem::take(&mut self.held_by_az[index]) {
                self.back_at[index] = Some(now);
            }
        }
        self.bring_back(now);
    }

    fn path_count(&self) -> usize {
        self.hosts.len()
    }

    fn path(&self, instance: u32) -> &Path {
        &self.hosts.paths()[instance as usize]
    }

    fn path_capacities(&self) -> Vec<PathCapacity> {
        self.hosts.capacities().collect()
    }

    fn packet_limit_pps(&self, path: u32) -> f64 {
        self.hosts.packet_limit_pps(path)
    }

    fn reserve(&self, now: Nanos) -> Reserve {
        self.hosts.reserve(now)
    }

    fn diagnostics(&self) -> Diagnostics {
        self.hosts.diagnostics()
    }

    /// Every failure so far: (instance, down from, back at or still down).
    fn outages(&self) -> (&[Outage], usize) {
        (&self.outages, self.hosts.len())
    }

    /// No processing charge: what an instance forwards bills as instance hours.
    fn processed_bytes(&self) -> f64 {
        0.0
    }

    /// Each instance billed per second, a standby beside each one if the failover keeps one; one
    /// public IP per instance.
    fn billing(&self) -> Billing {
        let billed = self.config.count as f64 * self.config.failures.failover.billed_per_instance();
        Billing {
            hourly: Hourly::Instances {
                billed,
                usd_per_hour: self.config.usd_per_hour,
            },
            public_ips: self.config.count,
            standby_gateway_ips: None,
            storage_gb: billed * self.config.volume_gb,
        }
    }
}
