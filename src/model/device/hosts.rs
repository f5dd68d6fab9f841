//! EC2 hosts on the traffic's way out: NAT instances, or the clients themselves behind an
//! internet gateway. Each host is one [`Path`] whose bandwidth is metered per direction by a
//! network-credit bucket and capped at the instance's internet allowance.
//!
//! Owns the credit bookkeeping around the links: a bucket is settled at the usage that held
//! before every change of a link's rates, so credits are exact between events. Owns each host's
//! one packets-per-second allowance (AWS counts both directions together): a token bucket
//! ([`packet_bucket`]) lets [`PACKET_BURST_S`] of it through at any rate, so a lone short
//! connection, whose fluid rate is a few packets in microseconds, is not held by a limit it
//! cannot exceed on average; once sustained load drains it, the allowance binds. After every
//! change on a host, [`split_packet_allowance`] hands each link its part from the two links'
//! packet demands. Hosts can be taken down (their flows are cleared) and replaced (a fresh
//! instance with full credits).

use super::credits::{CreditBucket, Reserve};
use super::{Diagnostics, Direction, Finished, Path, PathCapacity};
use crate::engine::fluid::{
    ClassSpec, FlowId, FlowMark, FlowProgress, Link, split_packet_allowance,
};
use crate::engine::{NEVER, Nanos};

/// Seconds of packet allowance a full packet bucket holds (assumed: AWS says only that traffic
/// over an allowance is "queued or dropped", and that microbursts count). A millisecond absorbs
/// any single short connection (hundreds of packets at the smallest allowance) and drains within
/// milliseconds under sustained overload, so long-run rates are the allowance's.
pub(crate) const PACKET_BURST_S: f64 = 1e-3;

/// A full token bucket of packets for an allowance of `pps` (units: packets and packets per
/// second in [`CreditBucket`]'s bits and bits per second). While it holds tokens the allowance is
/// unbounded; drained, it is `pps`; it bursts again once full.
pub(crate) fn packet_bucket(now: Nanos, pps: f64) -> CreditBucket {
    CreditBucket::launched_at(now, pps, f64::INFINITY, pps * PACKET_BURST_S)
}

/// The network of one host.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostSpec {
    pub(crate) baseline_bps: f64,
    pub(crate) burst_bps: f64,
    pub(crate) bucket_bits: f64,
    pub(crate) internet_cap_bps: f64,
    /// Packets per second the host forwards, both directions together (each forwarded packet
    /// counted once).
    pub(crate) pps_limit: f64,
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
pub(crate) struct Hosts {
    specs: Vec<HostSpec>,
    paths: Vec<Path>,
    /// Credit buckets per host: [out, in].
    buckets: Vec<[CreditBucket; 2]>,
    /// Packet buckets per host, both directions together (see [`packet_bucket`]).
    packet_buckets: Vec<CreditBucket>,
    up: Vec<bool>,
    first_credit_exhaustion: Option<Nanos>,
}

impl Hosts {
    pub(crate) fn new(specs: Vec<HostSpec>, classes: &[ClassSpec]) -> Self {
        let buckets: Vec<[CreditBucket; 2]> = specs
            .iter()
            .map(|s| [s.full_bucket(0), s.full_bucket(0)])
            .collect();
        let paths = specs
            .iter()
            .zip(&buckets)
            .map(|(spec, bucket)| {
                // No flows yet: each link may use the whole allowance.
                let bandwidth = spec.bandwidth_bps(&bucket[0]);
                Path {
                    out: Link::new(classes, bandwidth, spec.pps_limit),
                    inbound: Link::new(classes, bandwidth, spec.pps_limit),
                }
            })
            .collect();
        Hosts {
            up: vec![true; specs.len()],
            packet_buckets: specs
                .iter()
                .map(|s| packet_bucket(0, s.pps_limit))
                .collect(),
            specs,
            paths,
            buckets,
            first_credit_exhaustion: None,
        }
    }

    pub(crate) fn paths(&self) -> &[Path] {
        &self.paths
    }

    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }

    pub(crate) fn is_up(&self, host: u32) -> bool {
        self.up[host as usize]
    }

    pub(crate) fn start_flow(
        &mut self,
        now: Nanos,
        host: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        let index = host as usize;
        self.settle_packets(now, index);
        let link = self.paths[index].link_mut(direction);
        self.buckets[index][direction_index(direction)].settle(now, link.delivered_bps());
        let mark = link.add(now, class, flow, bytes);
        self.share_packets(now, index);
        mark
    }

    /// Removes a running flow (its client went away); credits are settled first, at the rate
    /// that held until now.
    pub(crate) fn stop_flow(
        &mut self,
        now: Nanos,
        host: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        let index = host as usize;
        self.settle_packets(now, index);
        let link = self.paths[index].link_mut(direction);
        self.buckets[index][direction_index(direction)].settle(now, link.delivered_bps());
        let progress = link.remove(now, flow, mark);
        self.share_packets(now, index);
        progress
    }

    /// The first flow to finish or bucket to switch on any host, [`NEVER`] for none.
    pub(crate) fn next_deadline(&self) -> Nanos {
        let mut earliest = NEVER;
        for (index, (path, buckets)) in self.paths.iter().zip(&self.buckets).enumerate() {
            earliest = earliest.min(path.next_completion_at());
            let packets = packet_rate(path);
            earliest = earliest.min(
                self.packet_buckets[index]
                    .next_change(packets)
                    .unwrap_or(NEVER),
            );
            for direction in [Direction::Out, Direction::In] {
                let usage = path.link(direction).delivered_bps();
                earliest = earliest.min(
                    buckets[direction_index(direction)]
                        .next_change(usage)
                        .unwrap_or(NEVER),
                );
            }
        }
        earliest
    }

    /// Settles credits, collects finished flows and applies any burst/baseline switch due now.
    pub(crate) fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
    ) {
        for index in 0..self.paths.len() {
            self.settle_packets(now, index);
            for direction in [Direction::Out, Direction::In] {
                self.settle_link(now, index, direction, marks, done);
            }
            // Drained or refilled now: the allowance changes; `share_packets` reads it.
            self.packet_buckets[index].on_change(now);
            self.share_packets(now, index);
        }
    }

    /// One link of one host at a deadline: credits settled, finished flows handed over, and the
    /// bandwidth switched if the bucket just ran dry or earned its burst back.
    fn settle_link(
        &mut self,
        now: Nanos,
        index: usize,
        direction: Direction,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        done: &mut Vec<Finished>,
    ) {
        let spec = &self.specs[index];
        let link = self.paths[index].link_mut(direction);
        let bucket = &mut self.buckets[index][direction_index(direction)];
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
                link.set_bandwidth(now, spec.bandwidth_bps(bucket));
            }
        }
    }

    /// Spends or earns host `index`'s packet tokens for the time since the last change, at the
    /// packet rate that held. Called before anything on the host changes rates.
    fn settle_packets(&mut self, now: Nanos, index: usize) {
        let packets = packet_rate(&self.paths[index]);
        self.packet_buckets[index].settle(now, packets);
    }

    /// Hands each link of host `index` its part of the host's packet allowance, from the two
    /// links' demands now. Settles a credit bucket only when its link's rates change. A host
    /// that is down keeps its links at zero.
    fn share_packets(&mut self, now: Nanos, index: usize) {
        if !self.up[index] {
            return;
        }
        let path = &mut self.paths[index];
        let demands = [path.out.packet_demand(), path.inbound.packet_demand()];
        let allowance = self.packet_buckets[index].bandwidth_bps();
        let shares = split_packet_allowance(allowance, demands);
        for (direction, share) in [Direction::Out, Direction::In].into_iter().zip(shares) {
            let link = path.link_mut(direction);
            let usage_before_bps = link.delivered_bps();
            if link.set_packet_allowance(now, share) {
                self.buckets[index][direction_index(direction)].settle(now, usage_before_bps);
            }
        }
    }

    pub(crate) fn advance(&mut self, now: Nanos) {
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
    pub(crate) fn fail(
        &mut self,
        now: Nanos,
        host: u32,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        mut on_cleared: impl FnMut(Direction, FlowId, FlowProgress),
    ) {
        let index = host as usize;
        self.settle_packets(now, index);
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
    pub(crate) fn replace(&mut self, now: Nanos, host: u32) {
        let index = host as usize;
        let spec = &self.specs[index];
        self.up[index] = true;
        for direction in [Direction::Out, Direction::In] {
            let bucket = spec.full_bucket(now);
            let link = self.paths[index].link_mut(direction);
            link.set_capacity(now, spec.bandwidth_bps(&bucket), spec.pps_limit);
            self.buckets[index][direction_index(direction)] = bucket;
        }
        self.packet_buckets[index] = packet_bucket(now, spec.pps_limit);
        self.share_packets(now, index);
    }

    /// When credits first ran out and the highest bandwidth any host reaches: what a NAT
    /// instance and internet-gateway clients both report.
    pub(crate) fn diagnostics(&self) -> Diagnostics {
        Diagnostics {
            credits_exhausted_at: self.first_credit_exhaustion(),
            peak_capacity_bps: self.peak_capacity_bps(),
        }
    }

    /// When any host first ran out of network credits in either direction.
    pub(crate) fn first_credit_exhaustion(&self) -> Option<Nanos> {
        self.first_credit_exhaustion
    }

    /// Each host's bandwidth per direction: at burst, and what it holds without credits.
    pub(crate) fn capacities(&self) -> impl Iterator<Item = PathCapacity> + '_ {
        self.specs.iter().map(|s| PathCapacity {
            peak_bps: s.burst_bps.max(s.baseline_bps).min(s.internet_cap_bps),
            sustained_bps: s.baseline_bps.min(s.internet_cap_bps),
            sustained_pps: s.pps_limit,
        })
    }

    /// Host `host`'s packets-per-second allowance, both directions together; 0 while it is down.
    pub(crate) fn packet_limit_pps(&self, host: u32) -> f64 {
        let index = host as usize;
        if self.up[index] {
            self.specs[index].pps_limit
        } else {
            0.0
        }
    }

    /// The worst credit reserve over every host and direction, settled at `now`.
    pub(crate) fn reserve(&self, now: Nanos) -> Reserve {
        self.buckets
            .iter()
            .flatten()
            .map(|bucket| bucket.reserve(now))
            .fold(Reserve::default(), Reserve::worst)
    }

    /// Highest per-direction bandwidth any host can reach, bits per second.
    pub(crate) fn peak_capacity_bps(&self) -> f64 {
        self.specs
            .iter()
            .map(|s| s.burst_bps.max(s.baseline_bps).min(s.internet_cap_bps))
            .fold(0.0, f64::max)
    }
}

/// Packets per second a path carries now, both directions together.
#[inline]
pub(super) fn packet_rate(path: &Path) -> f64 {
    path.out.packet_rate() + path.inbound.packet_rate()
}

fn direction_index(direction: Direction) -> usize {
    match direction {
        Direction::Out => 0,
        Direction::In => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fluid::PacketModel;

    const S: Nanos = 1_000_000_000;

    /// One host of 5 Gbps each way (no credits) and 1 Mpps, carrying `class`.
    fn host(class: ClassSpec) -> Hosts {
        let spec = HostSpec {
            baseline_bps: 5e9,
            burst_bps: 5e9,
            bucket_bits: 0.0,
            internet_cap_bps: 5e9,
            pps_limit: 1e6,
        };
        Hosts::new(vec![spec], &[class])
    }

    fn mark_of(marks: &[FlowMark]) -> impl Fn(FlowId) -> FlowMark + Copy + '_ {
        move |flow| marks[flow as usize]
    }

    #[test]
    fn a_lone_short_connection_is_not_held_by_the_packet_allowance() {
        // 100 bytes each way, 11 packets: at its 5 Gbps cap the fluid rate would be 34 Mpps, but
        // the connection is 11 packets and a millisecond of allowance holds 1,000.
        let tiny = ClassSpec {
            cap_bytes_per_s: 5e9 / 8.0,
            elastic: true,
            packets_per_byte: PacketModel::Tcp { mss_bytes: 1448.0 }.packets_per_byte(100.0, 100.0),
        };
        let mut hosts = host(tiny);
        let marks = [hosts.start_flow(0, 0, Direction::Out, 0, 0, 100.0)];
        assert_eq!(hosts.paths()[0].out.delivered_bps(), 5e9);
        let mut done = Vec::new();
        let at = hosts.next_deadline();
        hosts.on_deadline(at, mark_of(&marks), &mut done);
        assert_eq!(done.len(), 1);
        // It took 100 bytes at 5 Gbps, and its 5.5 packets left the bucket nearly full.
        assert_eq!(at, 160);
        assert!(hosts.packet_buckets[0].bits() > 1e3 - 6.0);
    }

    #[test]
    fn sustained_small_packets_drain_the_bucket_then_the_allowance_binds() {
        // 100-byte datagrams at 2 Gbps: 2.5 Mpps against 1 Mpps. The 1,000-packet bucket lasts
        // 1,000 / 1.5 Mpps = 0.67 ms; from then on 1 Mpps (100 MB/s) gets through.
        let udp = ClassSpec {
            cap_bytes_per_s: 2e9 / 8.0,
            elastic: false,
            packets_per_byte: 0.01,
        };
        let mut hosts = host(udp);
        let marks = [hosts.start_flow(0, 0, Direction::Out, 0, 0, 1e12)];
        assert_eq!(hosts.paths()[0].out.delivered_bps(), 2e9);
        let drained = hosts.next_deadline();
        assert!((drained as f64 / S as f64 - 1e3 / 1.5e6).abs() < 1e-8);
        let mut done = Vec::new();
        hosts.on_deadline(drained, mark_of(&marks), &mut done);
        assert!((hosts.paths()[0].out.delivered_bps() - 8e8).abs() < 1e-3);
        assert!((packet_rate(&hosts.paths()[0]) - 1e6).abs() < 1e-6);
        // Held at the allowance, the bucket neither drains nor refills: no deadline but the
        // flow's own end.
        let next = hosts.next_deadline();
        assert!(next > 1_000 * S, "{next}");
    }
}
