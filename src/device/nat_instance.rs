//! A NAT instance (fck-nat style): PAT on EC2 instances the user sizes and runs.
//!
//! Limits (aws-facts.md §3): baseline and burst bandwidth per direction with network I/O credits
//! (separate buckets for in and out; bucket size unpublished, so assumed), internet traffic capped
//! at 5 Gbps below 32 vCPUs (else the larger of 50 % and 5 Gbps), a packets-per-second allowance
//! and a connection-tracking table (both unpublished, so assumed). A full table refuses new
//! connections (`fail_conntrack`).

/// Validated NAT instance settings (catalog defaults already applied).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub instance_type: String,
    /// Instances sharing the traffic; connections are spread over them round-robin.
    pub count: u32,
    pub vcpus: u32,
    pub baseline_bps: f64,
    /// Burst ("up to") bandwidth; equals the baseline for instances that do not burst.
    pub burst_bps: f64,
    /// Minutes a full credit bucket sustains the burst rate from empty demand (assumed).
    pub burst_minutes: f64,
    /// Ceiling on traffic through the internet gateway, per direction.
    pub internet_cap_bps: f64,
    /// Packets per second, both directions together.
    pub pps_limit: f64,
    pub conntrack_max: u32,
    pub idle_timeout_tcp_ns: u64,
    pub idle_timeout_udp_ns: u64,
    /// Time a tracked connection stays in the table after close (TCP TIME_WAIT in netfilter).
    pub release_delay_tcp_ns: u64,
    pub release_delay_udp_ns: u64,
    /// On-demand price of one instance in the scenario's region.
    pub usd_per_hour: f64,
}

impl Config {
    /// Bits a full credit bucket holds: enough to run at burst for `burst_minutes` while earning
    /// at baseline.
    pub fn bucket_bits(&self) -> f64 {
        (self.burst_bps - self.baseline_bps).max(0.0) * self.burst_minutes * 60.0
    }
}

use super::credits::CreditBucket;
use super::{Direction, Finished, Path, Refusal};
use crate::engine::Nanos;
use crate::fluid::{ClassSpec, FlowId, FlowMark, Link};

/// `count` running NAT instances. Connections are spread round-robin, standing in for clients
/// whose subnets route to different instances.
#[derive(Debug, Clone)]
pub struct Instances {
    config: Config,
    paths: Vec<Path>,
    /// Credit buckets per instance: [out, in].
    buckets: Vec<[CreditBucket; 2]>,
    conntrack_in_use: Vec<u32>,
    next_instance: u32,
}

impl Instances {
    pub fn new(config: &Config, classes: &[ClassSpec]) -> Self {
        let count = config.count.max(1) as usize;
        let bucket = CreditBucket::new(config.baseline_bps, config.burst_bps, config.bucket_bits());
        let bandwidth = bucket.bandwidth_bps().min(config.internet_cap_bps);
        let pps = config.pps_limit / 2.0;
        Instances {
            paths: (0..count)
                .map(|_| Path {
                    out: Link::new(classes, bandwidth, pps),
                    inbound: Link::new(classes, bandwidth, pps),
                })
                .collect(),
            buckets: (0..count)
                .map(|_| [bucket.clone(), bucket.clone()])
                .collect(),
            conntrack_in_use: vec![0; count],
            next_instance: 0,
            config: config.clone(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// Picks the next instance and takes a connection-tracking slot on it.
    pub fn admit(&mut self) -> Result<u32, Refusal> {
        let instance = self.next_instance;
        self.next_instance = (self.next_instance + 1) % self.paths.len() as u32;
        let in_use = &mut self.conntrack_in_use[instance as usize];
        if *in_use >= self.config.conntrack_max {
            return Err(Refusal::Conntrack);
        }
        *in_use += 1;
        Ok(instance)
    }

    pub fn release(&mut self, instance: u32) {
        let in_use = &mut self.conntrack_in_use[instance as usize];
        *in_use = in_use.saturating_sub(1);
    }

    pub fn start_flow(
        &mut self,
        now: Nanos,
        instance: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        let index = instance as usize;
        let link = self.paths[index].link_mut(direction);
        self.buckets[index][direction_index(direction)].settle(now, link.delivered_bps());
        link.add(now, class, flow, bytes)
    }

    pub fn next_deadline(&self) -> Option<Nanos> {
        let mut earliest = None;
        for (path, buckets) in self.paths.iter().zip(&self.buckets) {
            earliest = super::earliest(earliest, path.next_completion());
            for direction in [Direction::Out, Direction::In] {
                let usage = path.link(direction).delivered_bps();
                earliest = super::earliest(
                    earliest,
                    buckets[direction_index(direction)].next_change(usage),
                );
            }
        }
        earliest
    }

    /// Settles credits, collects finished flows and applies any burst/baseline switch due now.
    pub fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
    ) {
        for (index, (path, buckets)) in self.paths.iter_mut().zip(&mut self.buckets).enumerate() {
            for direction in [Direction::Out, Direction::In] {
                let link = path.link_mut(direction);
                let bucket = &mut buckets[direction_index(direction)];
                bucket.settle(now, link.delivered_bps());
                let path = index as u32;
                link.take_finished(now, marks, |flow, progress| {
                    done.push(Finished {
                        path,
                        direction,
                        flow,
                        progress,
                    })
                });
                if bucket.on_change(now) {
                    let bandwidth = bucket.bandwidth_bps().min(self.config.internet_cap_bps);
                    link.set_capacity(now, bandwidth, self.config.pps_limit / 2.0);
                }
            }
        }
    }

    pub fn advance(&mut self, now: Nanos) {
        for (path, buckets) in self.paths.iter_mut().zip(&mut self.buckets) {
            for direction in [Direction::Out, Direction::In] {
                let link = path.link_mut(direction);
                buckets[direction_index(direction)].settle(now, link.delivered_bps());
                link.advance(now);
            }
        }
    }

    /// When any instance first ran out of network credits in either direction.
    pub fn first_credit_exhaustion(&self) -> Option<Nanos> {
        self.buckets
            .iter()
            .flatten()
            .filter_map(|b| b.first_exhausted_at)
            .min()
    }

    pub fn peak_capacity_bps(&self) -> f64 {
        self.config
            .burst_bps
            .max(self.config.baseline_bps)
            .min(self.config.internet_cap_bps)
    }
}

fn direction_index(direction: Direction) -> usize {
    match direction {
        Direction::Out => 0,
        Direction::In => 1,
    }
}
