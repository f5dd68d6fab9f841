//! The internet gateway: 1:1 NAT of each client's public IPv4, no gateway in the way.
//!
//! AWS (aws-facts.md §2): the internet gateway is "horizontally scaled, redundant, and highly
//! available" and adds no bandwidth constraint. What limits traffic is each client instance's own
//! network: its baseline/burst bandwidth with credits, the 5 Gbps internet cap below 32 vCPUs and
//! the 5 Gbps single-flow cap. So every client is its own bottleneck: one [`Hosts`] path each.
//! No port or connection-tracking limit is modelled (security groups with 0.0.0.0/0 rules both
//! ways do not track), and no idle timeout.

use super::hosts::{HostSpec, Hosts};
use super::{Direction, Finished, Path};
use crate::engine::Nanos;
use crate::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress};

/// Validated internet-gateway settings: the clients of each workload, in workload order.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub groups: Vec<ClientGroup>,
}

/// The client instances of one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientGroup {
    pub clients: u32,
    pub network: HostSpec,
}

impl Config {
    /// Public IPv4 addresses held: one per client.
    pub fn public_ips(&self) -> u32 {
        self.groups.iter().map(|g| g.clients).sum()
    }
}

/// Running clients, each sending straight through the internet gateway.
#[derive(Debug, Clone)]
pub struct Clients {
    hosts: Hosts,
    /// First host of each workload's clients.
    first_host: Vec<u32>,
    clients: Vec<u32>,
    next_client: Vec<u32>,
}

impl Clients {
    pub fn new(config: &Config, classes: &[ClassSpec]) -> Self {
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
        }
    }

    /// The connection leaves from the next client of its workload, round-robin.
    pub fn admit(&mut self, workload: usize) -> u32 {
        let next = &mut self.next_client[workload];
        let host = self.first_host[workload] + *next;
        *next = (*next + 1) % self.clients[workload];
        host
    }

    pub fn paths(&self) -> &[Path] {
        self.hosts.paths()
    }

    pub fn start_flow(
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

    /// Removes a running flow (its client went away).
    pub fn stop_flow(
        &mut self,
        now: Nanos,
        host: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        self.hosts.stop_flow(now, host, direction, flow, mark)
    }

    pub fn next_deadline(&self) -> Option<Nanos> {
        self.hosts.next_deadline()
    }

    pub fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
    ) {
        self.hosts.on_deadline(now, marks, done);
    }

    pub fn advance(&mut self, now: Nanos) {
        self.hosts.advance(now);
    }

    pub fn first_credit_exhaustion(&self) -> Option<Nanos> {
        self.hosts.first_credit_exhaustion()
    }

    pub fn peak_capacity_bps(&self) -> f64 {
        self.hosts.peak_capacity_bps()
    }

    /// Each client's bandwidth per direction, in path order.
    pub fn capacities(&self) -> impl Iterator<Item = super::PathCapacity> + '_ {
        self.hosts.capacities()
    }

    /// The worst network-credit reserve over the clients, at `now`.
    pub fn reserve(&self, now: Nanos) -> super::credits::Reserve {
        self.hosts.reserve(now)
    }
}
