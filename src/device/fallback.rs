//! NAT instances with a standby NAT gateway (alterNAT's design, `failover =
//! "nat_gateway_fallback"`).
//!
//! While the instances are healthy the gateway carries nothing but still bills its hours. When an
//! instance fails, its clients have no egress until the health check swaps their route to the
//! gateway (`detection_ns`); then the gateway carries them, processing charge and all, until the
//! instance's replacement is up. Swapping the route back breaks the connections on the gateway
//! (their translation lives there), so they are reset (aws-facts.md §4, alterNAT README).
//!
//! Paths: the instances' paths first, then the gateway's, numbered after them.

use super::nat_gateway::Gateway;
use super::nat_instance::{Config, Instances};
use super::{Direction, Finished, Outage, Path, Refusal};
use crate::engine::Nanos;
use crate::engine::rng::StreamRng;
use crate::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress};

#[derive(Debug, Clone)]
pub struct Fallback {
    instances: Instances,
    gateway: Gateway,
    detection_ns: Nanos,
    /// Per instance: up at the last deadline (to notice a replacement and fail back).
    was_up: Vec<bool>,
    /// Time clients actually had no egress: (instance, failed at, route swapped or back).
    outages: Vec<Outage>,
}

impl Fallback {
    pub fn new(
        config: &Config,
        classes: &[ClassSpec],
        destinations: usize,
        failures: StreamRng,
    ) -> Self {
        let fallback = config.failures.fallback.as_ref();
        let gateway_config = fallback
            .map(|f| f.gateway.clone())
            .unwrap_or_else(|| unreachable_gateway(config));
        let instances = Instances::new(config, classes, failures);
        let gateway = Gateway::new(&gateway_config, classes, destinations);
        let count = instances.paths().len();
        Fallback {
            was_up: vec![true; count],
            detection_ns: fallback.map_or(0, |f| f.detection_ns),
            outages: Vec::new(),
            instances,
            gateway,
        }
    }

    fn gateway_path(&self) -> u32 {
        self.instances.paths().len() as u32
    }

    pub fn config(&self) -> &Config {
        self.instances.config()
    }

    pub fn instances(&self) -> &Instances {
        &self.instances
    }

    pub fn instances_mut(&mut self) -> &mut Instances {
        &mut self.instances
    }

    /// Through the next instance if it is up; through the gateway once the route has swapped.
    pub fn admit(&mut self, now: Nanos, destination: u32) -> Result<u32, Refusal> {
        let instance = self.instances.next_pick();
        match self.instances.admit() {
            Err(Refusal::Outage) => {
                let swapped = self
                    .instances
                    .down_since(instance)
                    .is_some_and(|at| now >= at + self.detection_ns);
                if !swapped {
                    return Err(Refusal::Outage);
                }
                self.gateway.admit(destination).map(|_| self.gateway_path())
            }
            other => other,
        }
    }

    pub fn release(&mut self, path: u32, destination: u32) {
        if path == self.gateway_path() {
            self.gateway.release(destination);
        } else {
            self.instances.release(path);
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
        if path == self.gateway_path() {
            self.gateway.start_flow(now, direction, class, flow, bytes)
        } else {
            self.instances
                .start_flow(now, path, direction, class, flow, bytes)
        }
    }

    /// Removes a running flow (its client went away).
    pub fn stop_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        if path == self.gateway_path() {
            self.gateway.stop_flow(now, direction, flow, mark)
        } else {
            self.instances.stop_flow(now, path, direction, flow, mark)
        }
    }

    pub fn next_deadline(&self) -> Option<Nanos> {
        super::earliest(self.instances.next_deadline(), self.gateway.next_deadline())
    }

    pub fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
        reset: &mut Vec<Finished>,
        failed: &mut Vec<u32>,
    ) {
        let gateway_path = self.gateway_path();
        self.instances.on_deadline(now, marks, done, reset, failed);
        // The gateway numbers its one path 0; renumber what it appended, without a buffer (this
        // runs at every deadline).
        let first_from_gateway = done.len();
        self.gateway.take_finished(now, marks, done);
        done[first_from_gateway..]
            .iter_mut()
            .for_each(|f| f.path = gateway_path);
        for instance in 0..self.was_up.len() {
            let up = self.instances.is_up(instance as u32);
            match (self.was_up[instance], up) {
                (true, false) => {
                    let until = now + self.detection_ns;
                    self.outages.push((instance as u32, now, Some(until)));
                }
                (false, true) => {
                    // Route back to the instance: what the gateway carried is cut.
                    let mut cut = Vec::new();
                    self.gateway.fail(now, marks, &mut cut);
                    self.gateway.restore(now);
                    reset.extend(cut.into_iter().map(|f| Finished {
                        path: gateway_path,
                        ..f
                    }));
                    failed.push(gateway_path);
                }
                _ => {}
            }
            self.was_up[instance] = up;
        }
    }

    /// Their AZ goes down: the instances and the standby gateway (it sits in the same AZ) fail.
    pub fn fail_all(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        reset: &mut Vec<Finished>,
        failed: &mut Vec<u32>,
    ) {
        let gateway_path = self.gateway_path();
        self.instances.fail_all(now, marks, reset, failed);
        let mut cut = Vec::new();
        self.gateway.fail(now, marks, &mut cut);
        reset.extend(cut.into_iter().map(|f| Finished {
            path: gateway_path,
            ..f
        }));
        failed.push(gateway_path);
        for instance in 0..self.was_up.len() {
            if self.was_up[instance] {
                // No route swap helps while the gateway is down with them: no egress until back.
                self.outages.push((instance as u32, now, None));
                self.was_up[instance] = false;
            }
        }
    }

    /// Their AZ is back: the gateway first, then the instances' replacements.
    pub fn restore_all(&mut self, now: Nanos) {
        self.gateway.restore(now);
        self.instances.restore_all(now);
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

    pub fn advance(&mut self, now: Nanos) {
        self.instances.advance(now);
        self.gateway.advance(now);
    }

    /// The instances' paths, then the gateway's.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.instances
            .paths()
            .iter()
            .chain(std::iter::once(self.gateway.path()))
    }

    /// The instances' capacities, then the gateway's (path order).
    pub fn capacities(&self) -> impl Iterator<Item = super::PathCapacity> + '_ {
        self.instances
            .capacities()
            .chain(std::iter::once(self.gateway.path_capacity()))
    }

    pub fn outages(&self) -> &[Outage] {
        &self.outages
    }

    /// Bytes the standby gateway carried, both directions (what it bills as processing).
    pub fn gateway_bytes(&self) -> f64 {
        let path = self.gateway.path();
        path.out.totals().delivered_bytes + path.inbound.totals().delivered_bytes
    }
}

/// A fallback device always has its gateway configured by the parser; this default keeps the
/// constructor total without a panic.
fn unreachable_gateway(config: &Config) -> super::nat_gateway::Config {
    super::nat_gateway::Config {
        ips: 1,
        ports_per_ip: 55_000,
        start_bps: 5e9,
        max_bps: 100e9,
        start_pps: 1e6,
        max_pps: 1e7,
        idle_timeout_ns: config.idle_timeout_tcp_ns,
        release_delay_ns: 0,
        ramp: super::nat_gateway::Ramp {
            interval_ns: 60_000_000_000,
            step_bps: 5e9,
            up_utilization: 0.8,
            down_utilization: 0.3,
            down_after_ns: 900_000_000_000,
        },
        regional_expansion_ns: None,
    }
}
