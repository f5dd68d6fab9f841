//! The internet gateway: 1:1 NAT of each client's public IPv4, no gateway in the way.
//!
//! AWS (aws-facts.md §2): the internet gateway is "horizontally scaled, redundant, and highly
//! available" and adds no bandwidth constraint. What limits traffic is each client instance's own
//! network: its baseline/burst bandwidth with credits, the 5 Gbps internet cap below 32 vCPUs and
//! the 5 Gbps single-flow cap. So every client is its own bottleneck: one [`Hosts`] path each.
//! No port or connection-tracking limit is modelled (security groups with 0.0.0.0/0 rules both
//! ways do not track), and no idle timeout.

use super::Protocol;
use super::credits::Reserve;
use super::hosts::{HostSpec, Hosts};
use super::{
    Billing, Device, Diagnostics, Direction, Hourly, Outage, Outcome, Path, PathCapacity, Refusal,
};
use crate::engine::Nanos;
use crate::engine::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress};

/// Validated internet-gateway settings: the clients of each workload, in workload order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub(crate) groups: Vec<ClientGroup>,
}

/// The client instances of one workload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClientGroup {
    pub(crate) clients: u32,
    pub(crate) network: HostSpec,
}

impl Config {
    /// Public IPv4 addresses held: one per client.
    pub(crate) fn public_ips(&self) -> u32 {
        self.groups.iter().map(|g| g.clients).sum()
    }
}

/// Running clients, each sending straight through the internet gateway: one path per client.
#[derive(Debug, Clone)]
pub(crate) struct Clients {
    hosts: Hosts,
    /// First host of each workload's clients.
    first_host: Vec<u32>,
    clients: Vec<u32>,
    next_client: Vec<u32>,
    public_ips: u32,
}

impl Clients {
    pub(crate) fn new(config: &Config, classes: &[ClassSpec]) -> Self {
        let mut specs = Vec::new();
        let mut first_host = Vec::new();
        for group in &config.groups {
            first_host.push(specs.len() as u32);
            specs.extend(std::iter::repeat_n(
                group.network.clone(),
                group.clients.max(1) as usize,
            ));
        }
        Clients {
            hosts: Hosts::new(specs, classes),
            clients: config.groups.iter().map(|g| g.clients.max(1)).collect(),
            next_client: vec![0; config.groups.len()],
            first_host,
            public_ips: config.public_ips(),
        }
    }
}

impl Device for Clients {
    /// The connection leaves from the next client of its workload, round-robin; nothing refuses
    /// it.
    fn admit(&mut self, _now: Nanos, workload: usize, _destination: u32) -> Result<u32, Refusal> {
        let next = &mut self.next_client[workload];
        let host = self.first_host[workload] + *next;
        *next = (*next + 1) % self.clients[workload];
        Ok(host)
    }

    /// No port or table slot to free.
    fn release(&mut self, _path: u32, _destination: u32) {}

    /// No translation table, so nothing to time out.
    fn idle_timeout_ns(&self, _protocol: Protocol) -> Nanos {
        u64::MAX
    }

    fn release_delay_ns(&self, _protocol: Protocol) -> Nanos {
        0
    }

    fn start_flow(
        &mut self,
        now: Nanos,
        host: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        self.hosts
            .start_flow(now, host, direction, class, flow, bytes)
    }

    fn stop_flow(
        &mut self,
        now: Nanos,
        host: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        self.hosts.stop_flow(now, host, direction, flow, mark)
    }

    fn next_deadline(&self) -> Nanos {
        self.hosts.next_deadline()
    }

    /// Finished flows and credit switches; clients do not fail here (their AZ's outage is the
    /// simulation's `ClientsDown`).
    fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.hosts.on_deadline(now, marks, &mut outcome.finished);
    }

    fn advance(&mut self, now: Nanos) {
        self.hosts.advance(now);
    }

    /// The internet gateway is regional and redundant: an AZ outage takes down the clients
    /// there, not a device in their way.
    fn fail(
        &mut self,
        _now: Nanos,
        _marks: impl Fn(FlowId) -> FlowMark + Copy,
        _outcome: &mut Outcome,
    ) {
    }

    fn restore(&mut self, _now: Nanos) {}

    fn path_count(&self) -> usize {
        self.hosts.len()
    }

    fn path(&self, host: u32) -> &Path {
        &self.hosts.paths()[host as usize]
    }

    /// Each client's bandwidth per direction, in path order.
    fn path_capacities(&self) -> Vec<PathCapacity> {
        self.hosts.capacities().collect()
    }

    fn packet_limit_pps(&self, path: u32) -> f64 {
        self.hosts.packet_limit_pps(path)
    }

    /// The worst network-credit reserve over the clients, at `now`.
    fn reserve(&self, now: Nanos) -> Reserve {
        self.hosts.reserve(now)
    }

    fn diagnostics(&self) -> Diagnostics {
        self.hosts.diagnostics()
    }

    /// Never down.
    fn outages(&self) -> (&[Outage], usize) {
        (&[], self.hosts.len().max(1))
    }

    /// No processing charge.
    fn processed_bytes(&self) -> f64 {
        0.0
    }

    /// The clients' own public IPs are all an internet gateway bills.
    fn in_clients_az(&self) -> bool {
        true
    }

    fn billing(&self) -> Billing {
        Billing {
            hourly: Hourly::Nothing,
            public_ips: self.public_ips,
            standby_gateway_ips: None,
            // The clients are the user's own instances, billed whatever the egress option.
            storage_gb: 0.0,
        }
    }
}
