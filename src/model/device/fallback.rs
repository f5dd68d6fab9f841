//! NAT instances with a standby NAT gateway (alterNAT's design, `failover =
//! "nat_gateway_fallback"`).
//!
//! While the instances are healthy the gateway carries nothing but still bills its hours. When an
//! instance fails, its clients have no egress until the health check swaps their route to the
//! gateway (`detection_ns`); then the gateway carries them, processing charge and all, until the
//! instance's replacement is up. Swapping the route back breaks the connections on the gateway
//! (their translation lives there), so they are reset (aws-facts.md §4, alterNAT README).
//!
//! It wraps an [`Instances`] fleet and a [`Gateway`], both driven through the [`Device`] trait,
//! and adds the route: which of the two a new connection takes, and when it swaps. The gateway's
//! configuration is the scenario's (the catalog's `[nat_gateway]` defaults); nothing here sets one.
//!
//! Paths: the instances' paths first, then the gateway's, numbered after them.

use super::Protocol;
use super::credits::Reserve;
use super::nat_gateway::Gateway;
use super::nat_instance::{self, Instances};
use super::{
    Billing, Device, Diagnostics, Direction, Outage, Outcome, Path, PathCapacity, Refusal,
};
use crate::engine::Nanos;
use crate::engine::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress};
use crate::engine::rng::StreamRng;

/// An instance fleet with a standby NAT gateway beside it.
#[derive(Debug, Clone)]
pub(crate) struct Fallback {
    instances: Instances,
    gateway: Gateway,
    detection_ns: Nanos,
    /// Per instance: up at the last deadline (to notice a replacement and fail back).
    was_up: Vec<bool>,
    /// Time clients actually had no egress: (instance, failed at, route swapped or back).
    outages: Vec<Outage>,
}

impl Fallback {
    /// The instances of `config` and the standby gateway of `fallback` (built by the scenario
    /// from the catalog's NAT gateway defaults, like any other gateway).
    pub(crate) fn new(
        config: &nat_instance::Config,
        fallback: &nat_instance::Fallback,
        classes: &[ClassSpec],
        destinations: usize,
        failures: StreamRng,
    ) -> Self {
        let instances = Instances::new(config, classes, failures);
        let gateway = Gateway::new(&fallback.gateway, classes, destinations);
        Fallback {
            was_up: vec![true; instances.path_count()],
            detection_ns: fallback.detection_ns,
            outages: Vec::new(),
            instances,
            gateway,
        }
    }

    fn gateway_path(&self) -> u32 {
        self.instances.path_count() as u32
    }

    /// Runs `call` on the gateway and numbers what it appended to `outcome` (its one path is 0)
    /// as the gateway's path here.
    fn on_gateway(&mut self, outcome: &mut Outcome, call: impl FnOnce(&mut Gateway, &mut Outcome)) {
        let path = self.gateway_path();
        let (finished, reset, failed) = (
            outcome.finished.len(),
            outcome.reset.len(),
            outcome.failed.len(),
        );
        call(&mut self.gateway, outcome);
        outcome.finished[finished..]
            .iter_mut()
            .for_each(|f| f.path = path);
        outcome.reset[reset..]
            .iter_mut()
            .for_each(|f| f.path = path);
        outcome.failed[failed..].iter_mut().for_each(|p| *p = path);
    }
}

impl Device for Fallback {
    /// Through the next instance if it is up; through the gateway once the route has swapped.
    fn admit(&mut self, now: Nanos, workload: usize, destination: u32) -> Result<u32, Refusal> {
        let instance = self.instances.next_pick();
        match self.instances.admit(now, workload, destination) {
            Err(Refusal::Outage) => {
                let swapped = self
                    .instances
                    .down_since(instance)
                    .is_some_and(|at| now >= at + self.detection_ns);
                if !swapped {
                    return Err(Refusal::Outage);
                }
                let path = self.gateway_path();
                self.gateway.admit(now, workload, destination).map(|_| path)
            }
            other => other,
        }
    }

    fn release(&mut self, path: u32, destination: u32) {
        if path == self.gateway_path() {
            self.gateway.release(0, destination);
        } else {
            self.instances.release(path, destination);
        }
    }

    /// The instances' timeouts. They are asked per connection, not per path, so connections on
    /// the standby gateway keep them too.
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
        if path == self.gateway_path() {
            self.gateway
                .start_flow(now, 0, direction, class, flow, bytes)
        } else {
            self.instances
                .start_flow(now, path, direction, class, flow, bytes)
        }
    }

    fn stop_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        if path == self.gateway_path() {
            self.gateway.stop_flow(now, 0, direction, flow, mark)
        } else {
            self.instances.stop_flow(now, path, direction, flow, mark)
        }
    }

    fn next_deadline(&self) -> Nanos {
        self.instances
            .next_deadline()
            .min(self.gateway.next_deadline())
    }

    /// The instances' deadline, the gateway's, then the route: swapped to the gateway when an
    /// instance fails, back (cutting what the gateway carried) when its replacement is up.
    fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.instances.on_deadline(now, marks, outcome);
        self.on_gateway(outcome, |gateway, outcome| {
            gateway.on_deadline(now, marks, outcome)
        });
        for instance in 0..self.was_up.len() {
            let up = self.instances.is_up(instance as u32);
            match (self.was_up[instance], up) {
                (true, false) => {
                    let until = now + self.detection_ns;
                    self.outages.push((instance as u32, now, Some(until)));
                }
                (false, true) => {
                    // Route back to the instance: what the gateway carried is cut.
                    self.on_gateway(outcome, |gateway, outcome| {
                        gateway.fail(now, marks, outcome);
                        gateway.restore(now);
                    });
                }
                _ => {}
            }
            self.was_up[instance] = up;
        }
    }

    fn advance(&mut self, now: Nanos) {
        self.instances.advance(now);
        self.gateway.advance(now);
    }

    /// Their AZ goes down: the instances and the standby gateway (it sits in the same AZ) fail.
    fn fail(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        self.instances.fail(now, marks, outcome);
        self.on_gateway(outcome, |gateway, outcome| {
            gateway.fail(now, marks, outcome)
        });
        for instance in 0..self.was_up.len() {
            if self.was_up[instance] {
                // No route swap helps while the gateway is down with them: no egress until back.
                self.outages.push((instance as u32, now, None));
                self.was_up[instance] = false;
            }
        }
    }

    /// Their AZ is back: the gateway first, then the instances' replacements.
    fn restore(&mut self, now: Nanos) {
        self.gateway.restore(now);
        self.instances.restore(now);
        for (instance, up) in self.was_up.iter_mut().enumerate() {
            if !*up && self.instances.is_up(instance as u32) {
                *up = true;
                if let Some(outage) = self
                    .outages
                    .iter_mut()
                    .rev()
                    .find(|o| o.0 == instance as u32 && o.2.is_none())
                {
                    outage.2 = Some(now);
                }
            }
        }
    }

    /// The instances' paths, then the gateway's.
    fn path_count(&self) -> usize {
        self.instances.path_count() + 1
    }

    fn path(&self, path: u32) -> &Path {
        if path == self.gateway_path() {
            self.gateway.path(0)
        } else {
            self.instances.path(path)
        }
    }

    /// The instances' capacities, then the gateway's (path order).
    fn path_capacities(&self) -> Vec<PathCapacity> {
        let mut all = self.instances.path_capacities();
        all.extend(self.gateway.path_capacities());
        all
    }

    fn packet_limit_pps(&self, path: u32) -> f64 {
        if path == self.gateway_path() {
            self.gateway.packet_limit_pps(0)
        } else {
            self.instances.packet_limit_pps(path)
        }
    }

    /// The instances' credits (the gateway has none).
    fn reserve(&self, now: Nanos) -> Reserve {
        self.instances.reserve(now)
    }

    fn diagnostics(&self) -> Diagnostics {
        self.instances.diagnostics()
    }

    /// When clients had no egress. Only the instances count as paths: the gateway is the
    /// fallback, not where clients live.
    fn outages(&self) -> (&[Outage], usize) {
        (&self.outages, self.instances.path_count())
    }

    /// What the standby gateway carried, both directions (it bills as processing).
    fn processed_bytes(&self) -> f64 {
        self.gateway.processed_bytes()
    }

    /// The instances', and the standby gateway's hours and IPs beside them.
    fn billing(&self) -> Billing {
        Billing {
            standby_gateway_ips: Some(self.gateway.billing().public_ips),
            ..self.instances.billing()
        }
    }
}
