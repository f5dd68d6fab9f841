//! EC2 hosts on the traffic's way out: NAT instances, or the clients themselves behind an
//! internet gateway. Each host is one [`Path`] whose bandwidth is metered per direction by a
//! network-credit bucket and capped at the instance's internet allowance.
//!
//! Owns the credit bookkeeping around the links: a bucket is settled at the usage that held
//! before every change of a link's rates, so credits are exact between events. Hosts can be
//! taken down (their flows are cleared) and replaced (a fresh instance with full credits).

use super::credits::{CreditBucket, Reserve};
use super::{Direction, Finished, Path, PathCapacity};
use crate::engine::Nanos;
use crate::fluid::{ClassSpec, FlowId, FlowMark, FlowProgress, Link};

/// The network of one host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSpec {
    pub baseline_bps: f64,
    pub burst_bps: f64,
    pub bucket_bits: f64,
    pub internet_cap_bps: f64,
    /// Packets per second, both directions together.
    pub pps_limit: f64,
}

impl HostSpec {
    fn full_bucket(&self, now: Nanos) -> CreditBucket {
        CreditBucket::launched_at(now, self.baseline_bps, self.burst_bps, self.bucket_bits)
    }

    fn bandwidth_bps(&self, bucket: &CreditBucket) -> f64 {
        bucket.bandwidth_bps().min(self.internet_cap_bps)
    }
}

#[derive(Debug, Clone)]
pub struct Hosts {
    specs: Vec<HostSpec>,
    paths: Vec<Path>,
    /// Credit buckets per host: [out, in].
    buckets: Vec<[CreditBucket; 2]>,
    up: Vec<bool>,
    first_credit_exhaustion: Option<Nanos>,
}

impl Hosts {
    pub fn new(specs: Vec<HostSpec>, classes: &[ClassSpec]) -> Self {
        let buckets: Vec<[CreditBucket; 2]> = specs
            .iter()
            .map(|s| [s.full_bucket(0), s.full_bucket(0)])
            .collect();
        let paths = specs
            .iter()
            .zip(&buckets)
            .map(|(spec, bucket)| {
                let bandwidth = spec.bandwidth_bps(&bucket[0]);
                let pps = spec.pps_limit / 2.0;
                Path {
                    out: Link::new(classes, bandwidth, pps),
                    inbound: Link::new(classes, bandwidth, pps),
                }
            })
            .collect();
        Hosts {
            up: vec![true; specs.len()],
            specs,
            paths,
            buckets,
            first_credit_exhaustion: None,
        }
    }

    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn is_up(&self, host: u32) -> bool {
        self.up[host as usize]
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
        let index = host as usize;
        let link = self.paths[index].link_mut(direction);
        self.buckets[index][direction_index(direction)].settle(now, link.delivered_bps());
        link.add(now, class, flow, bytes)
    }

    /// Removes a running flow (its client went away); credits are settled first, at the rate
    /// that held until now.
    pub fn stop_flow(
        &mut self,
        now: Nanos,
        host: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        let index = host as usize;
        let link = self.paths[index].link_mut(direction);
        self.buckets[index][direction_index(direction)].settle(now, link.delivered_bps());
        link.remove(now, flow, mark)
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
            let spec = &self.specs[index];
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
                    if let Some(at) = bucket.first_exhausted_at {
                        self.first_credit_exhaustion.get_or_insert(at);
                    }
                    if self.up[index] {
                        link.set_capacity(now, spec.bandwidth_bps(bucket), spec.pps_limit / 2.0);
                    }
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

    /// The host fails at `now`: every flow on it is cleared (its progress handed to
    /// `on_cleared`) and it carries nothing until [`Hosts::replace`].
    pub fn fail(
        &mut self,
        now: Nanos,
        host: u32,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        mut on_cleared: impl FnMut(Direction, FlowId, FlowProgress),
    ) {
        let index = host as usize;
        self.up[index] = false;
        for direction in [Direction::Out, Direction::In] {
            let link = self.paths[index].link_mut(direction);
            self.buckets[index][direction_index(direction)].settle(now, link.delivered_bps());
            link.clear(now, marks, |flow, progress| {
                on_cleared(direction, flow, progress)
            });
            link.set_capacity(now, 0.0, 0.0);
        }
    }

    /// A fresh instance takes the failed one's place at `now`, with full credits.
    pub fn replace(&mut self, now: Nanos, host: u32) {
        let index = host as usize;
        let spec = &self.specs[index];
        self.up[index] = true;
        for direction in [Direction::Out, Direction::In] {
            let bucket = spec.full_bucket(now);
            let link = self.paths[index].link_mut(direction);
            link.set_capacity(now, spec.bandwidth_bps(&bucket), spec.pps_limit / 2.0);
            self.buckets[index][direction_index(direction)] = bucket;
        }
    }

    /// When any host first ran out of network credits in either direction.
    pub fn first_credit_exhaustion(&self) -> Option<Nanos> {
        self.first_credit_exhaustion
    }

    /// Each host's bandwidth per direction: at burst, and what it holds without credits.
    pub fn capacities(&self) -> impl Iterator<Item = PathCapacity> + '_ {
        self.specs.iter().map(|s| PathCapacity {
            peak_bps: s.burst_bps.max(s.baseline_bps).min(s.internet_cap_bps),
            sustained_bps: s.baseline_bps.min(s.internet_cap_bps),
        })
    }

    /// The worst credit reserve over every host and direction, settled at `now`.
    pub fn reserve(&self, now: Nanos) -> Reserve {
        self.buckets
            .iter()
            .flatten()
            .map(|bucket| bucket.reserve(now))
            .fold(Reserve::default(), Reserve::worst)
    }

    /// Highest per-direction bandwidth any host can reach, bits per second.
    pub fn peak_capacity_bps(&self) -> f64 {
        self.specs
            .iter()
            .map(|s| s.burst_bps.max(s.baseline_bps).min(s.internet_cap_bps))
            .fold(0.0, f64::max)
    }
}

fn direction_index(direction: Direction) -> usize {
    match direction {
        Direction::Out => 0,
        Direction::In => 1,
    }
}
