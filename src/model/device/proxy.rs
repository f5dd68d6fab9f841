//! A forward proxy (Squid style) on EC2 instances: the L7 way out.
//!
//! It carries only HTTP(S): any other traffic is refused (`fail_unsupported`). Each client
//! request becomes a new upstream TCP connection unless `upstream_keepalive` pools them, so
//! without pooling a request takes two connection-tracking entries (client side and upstream)
//! and, on a DNS cache miss, a lookup. The VPC resolver answers at most 1,024 packets per second
//! per network interface (aws-facts.md §3); a lookup beyond that is refused (`fail_dns`).
//! Request handling takes CPU: each vCPU serves an assumed number of requests per second, and
//! requests wait first-come first-served for a free vCPU, which shows in completion times.
//! Bandwidth, credits, packets per second, conntrack and failures are the NAT instance's: a
//! proxy wraps an [`Instances`] fleet (as smoltcp's `phy` middleware wraps a device), adds the
//! admission rules, the CPU queue and the DNS limit, and hands every other operation down.

use super::Protocol;
use super::credits::Reserve;
use super::nat_instance::{self, Instances};
use super::{
    Billing, Device, Diagnostics, Direction, Outage, Outcome, Path, PathCapacity, Refusal,
};
use crate::engine::Nanos;
use crate::engine::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress};
use crate::engine::rng::StreamRng;
use crate::util::units::NS_PER_S;
use rand::{RngExt, SeedableRng};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Validated proxy settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    /// The instances the proxy runs on (network, conntrack, failures, price).
    pub(crate) instance: nat_instance::Config,
    /// Requests one vCPU handles per second (assumed).
    pub(crate) requests_per_s_per_vcpu: f64,
    /// Packets per second the VPC resolver accepts per network interface.
    pub(crate) dns_packets_per_s: f64,
    /// Share of upstream connections whose name is already in the proxy's DNS cache (assumed).
    pub(crate) dns_cache_hit_ratio: f64,
    pub(crate) upstream_keepalive: bool,
    /// Whether each workload (in order) is HTTP(S), so the proxy can carry it.
    pub(crate) http: Vec<bool>,
}

/// Running proxy instances.
#[derive(Debug, Clone)]
pub(crate) struct Proxies {
    config: Config,
    instances: Instances,
    /// Per instance, the time each vCPU is next free (a min-heap).
    vcpus_free_at: Vec<BinaryHeap<Reverse<Nanos>>>,
    service_ns: Nanos,
    /// Per instance: resolver tokens and when they were last topped up.
    dns: Vec<(f64, Nanos)>,
    rng: StreamRng,
}

impl Proxies {
    pub(crate) fn new(config: &Config, classes: &[ClassSpec], mut failures: StreamRng) -> Self {
        use rand::Rng;
        // A separate stream for cache hits, so failures draw the same numbers as a NAT instance's.
        let rng = StreamRng::seed_from_u64(failures.next_u64());
        let count = config.instance.count.max(1) as usize;
        let vcpus = config.instance.vcpus.max(1) as usize;
        Proxies {
            instances: Instances::new(&config.instance, classes, failures),
            vcpus_free_at: (0..count)
                .map(|_| (0..vcpus).map(|_| Reverse(0)).collect())
                .collect(),
            service_ns: (NS_PER_S / config.requests_per_s_per_vcpu.max(1e-9)).round() as Nanos,
            dns: vec![(config.dns_packets_per_s, 0); count],
            rng,
            config: config.clone(),
        }
    }

    fn entries(&self) -> u32 {
        if self.config.upstream_keepalive { 1 } else { 2 }
    }

    fn take_dns_token(&mut self, now: Nanos, path: u32) -> bool {
        let rate = self.config.dns_packets_per_s;
        let (tokens, last) = &mut self.dns[path as usize];
        *tokens = (*tokens + rate * (now - *last) as f64 / NS_PER_S).min(rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Device for Proxies {
    /// HTTP only; connection-tracking entries for both sides; a resolver packet on a cache miss.
    fn admit(&mut self, now: Nanos, workload: usize, _destination: u32) -> Result<u32, Refusal> {
        if !self.config.http.get(workload).copied().unwrap_or(false) {
            return Err(Refusal::Unsupported);
        }
        let entries = self.entries();
        let path = self.instances.admit_entries(entries)?;
        if !self.config.upstream_keepalive
            && self.rng.random::<f64>() >= self.config.dns_cache_hit_ratio
            && !self.take_dns_token(now, path)
        {
            self.instances.release_entries(path, entries);
            return Err(Refusal::Dns);
        }
        Ok(path)
    }

    fn release(&mut self, path: u32, _destination: u32) {
        let entries = self.entries();
        self.instances.release_entries(path, entries);
    }

    /// How long the request waits for and uses a vCPU before its bytes move (FIFO, c servers).
    fn processing_delay(&mut self, now: Nanos, path: u32) -> Nanos {
        let free_at = &mut self.vcpus_free_at[path as usize];
        let Some(Reverse(earliest)) = free_at.pop() else {
            return 0;
        };
        let done = earliest.max(now) + self.service_ns;
        free_at.push(Reverse(done));
        done - now
    }

    fn idle_timeout_ns(&self, protocol: Protocol) -> Nanos {
        self.instances.idle_timeout_ns(protocol)
    }

    fn release_delay_ns(&self, protocol: Protocol) -> Nanos {
        self.instances.release_delay_ns(protocol)
    }

    fn start_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        self.instances
            .start_flow(now, path, direction, class, flow, bytes)
    }

    fn stop_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        self.instances.stop_flow(now, path, direction, flow, mark)
    }

    fn next_deadline(&self) -> Nanos {
        self.instances.next_deadline()
    }

    fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        let first_failed = outcome.failed.len();
        self.instances.on_deadline(now, marks, outcome);
        // A replaced instance starts with idle vCPUs.
        for &path in &outcome.failed[first_failed..] {
            let vcpus = self.vcpus_free_at[path as usize].len();
            self.vcpus_free_at[path as usize] = (0..vcpus).map(|_| Reverse(now)).collect();
        }
    }

    fn advance(&mut self, now: Nanos) {
        self.instances.advance(now);
    }

    fn fail(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.instances.fail(now, marks, outcome);
    }

    fn restore(&mut self, now: Nanos) {
        self.instances.restore(now);
    }

    fn path_count(&self) -> usize {
        self.instances.path_count()
    }

    fn path(&self, path: u32) -> &Path {
        self.instances.path(path)
    }

    fn path_capacities(&self) -> Vec<PathCapacity> {
        self.instances.path_capacities()
    }

    fn packet_limit_pps(&self, path: u32) -> f64 {
        self.instances.packet_limit_pps(path)
    }

    fn reserve(&self, now: Nanos) -> Reserve {
        self.instances.reserve(now)
    }

    fn diagnostics(&self) -> Diagnostics {
        self.instances.diagnostics()
    }

    fn outages(&self) -> (&[Outage], usize) {
        self.instances.outages()
    }

    fn processed_bytes(&self) -> f64 {
        self.instances.processed_bytes()
    }

    /// The instances' hours and IPs. A proxy keeps no standby gateway, whatever its failover.
    fn billing(&self) -> Billing {
        self.instances.billing()
    }
}
