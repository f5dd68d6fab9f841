//! Flow logs from a known scenario, for testing `fit` (and replay) against the truth: each
//! workload's connections drawn by natsim's own arrival generator (`model::workload`: Poisson
//! arrivals thinned by the hourly profile, the size distributions, Zipf destinations, the
//! S3/DynamoDB share), seeded by the scenario's seed, written as the records an instance's
//! interface would log.
//!
//! A connection lasts its transfer at [`TRANSFER_BPS`] plus its hold; it is cut into records at
//! 1-minute aggregation boundaries, one record each way per interval, with its bytes spread
//! over the intervals in proportion to the time in each. Every connection has its own 5-tuple
//! (client `10.<class>.x.y`, a fresh port; server `54.0.0.0` + destination index, port 443), so
//! the join sees exactly the connections drawn. The workloads' connections are written in the
//! order they start, as AWS's files are in time order, each with all its records (so a long
//! connection's later intervals come early, by at most its length: well within the reader's
//! tolerance for the holds tests use). Owns nothing the reader uses.

use crate::engine::Streams;
use crate::model::scenario::{Protocol, Scenario};
use crate::model::workload::{Arrival, Generator};
use crate::util::units::NS_PER_S;
use std::io::{self, Write};
use std::net::Ipv4Addr;

/// The generated trace starts at this Unix time (2023-11-14 22:00:00 UTC, on the hour, so the
/// scenario's hourly profile falls on clock hours).
pub const TRACE_START_S: u64 = 1_699_999_200;
/// Rate a connection's bytes move at, for its duration (assumed; only the records' times
/// depend on it).
pub const TRANSFER_BPS: f64 = 50e6;
/// AWS's short aggregation interval.
const INTERVAL_S: u64 = 60;
const PORTS_PER_CLIENT: u64 = 60_000;
const SEGMENT_BYTES: u64 = 1_448;

/// Which record format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The default version-2 record, no header.
    DefaultV2,
    /// A custom format with a header line: the default fields plus `az-id`, `flow-direction`,
    /// `pkt-srcaddr`, `pkt-dstaddr`, `pkt-src-aws-service` and `pkt-dst-aws-service`.
    Custom,
}

const CUSTOM_HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
     protocol packets bytes start end action log-status az-id flow-direction pkt-srcaddr \
     pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service";

/// What was written: the truth a fit is checked against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generated {
    pub connections: u64,
    pub records: u64,
    pub request_bytes: u64,
    pub response_bytes: u64,
    /// The same, one per workload of the scenario, in its order (a workload's AZ is its
    /// records' `az-id`, [`az_id`]).
    pub per_workload: Vec<Written>,
}

/// One workload's share of what was written.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Written {
    pub connections: u64,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

/// Writes the flow logs of `scenario`'s workloads over its duration to `out`.
pub fn write_flow_logs(
    scenario: &Scenario,
    format: LogFormat,
    out: &mut dyn Write,
) -> io::Result<Generated> {
    write_with(scenario, &Streams::new(scenario.seed), format, out)
}

/// Writes the flow logs of the traffic replication `replication` of `scenario` draws in a run
/// (the simulation's streams for that replication's seed), so a replay of them can be compared
/// with that replication run by run.
pub fn write_replication_flow_logs(
    scenario: &Scenario,
    replication: u32,
    format: LogFormat,
    out: &mut dyn Write,
) -> io::Result<Generated> {
    let seed = Streams::replication_seed(scenario.seed, replication);
    write_with(scenario, &Streams::new(seed), format, out)
}

fn write_with(
    scenario: &Scenario,
    streams: &Streams,
    format: LogFormat,
    out: &mut dyn Write,
) -> io::Result<Generated> {
    let mut generator = Generator::new(&scenario.workloads, streams);
    let mut generated = Generated {
        per_workload: vec![Written::default(); scenario.workloads.len()],
        ..Generated::default()
    };
    if format == LogFormat::Custom {
        writeln!(out, "{CUSTOM_HEADER}")?;
    }
    let writers: Vec<ClassWriter> = scenario
        .workloads
        .iter()
        .enumerate()
        .map(|(class, workload)| ClassWriter {
            format,
            class: class as u32,
            protocol: match workload.protocol {
                Protocol::Tcp => 6,
                Protocol::Udp => 17,
            },
            az_id: az_id(&workload.az),
        })
        .collect();
    // The workloads' arrivals merged in time order (each class draws from its own streams, so
    // the order of the calls changes no draw), so the file is in time order as AWS writes it,
    // but for a connection's later intervals, written with its first.
    let horizon = scenario.duration_ns;
    let mut next: Vec<Option<u64>> = (0..writers.len() as u32)
        .map(|class| generator.next_arrival(class, 0, horizon))
        .collect();
    let mut serials = vec![0u64; writers.len()];
    while let Some((class, at)) = next
        .iter()
        .enumerate()
        .filter_map(|(class, at)| at.map(|at| (class, at)))
        .min_by_key(|&(class, at)| (at, class))
    {
        next[class] = generator.next_arrival(class as u32, at, horizon);
        let arrival = generator.draw(class as u32);
        writers[class].connection(out, serials[class], at, &arrival, &mut generated)?;
        serials[class] += 1;
    }
    Ok(generated)
}

/// The AZ ID a zone letter stands for in the generated logs: `a` is `use1-az1`, `b` `use1-az2`.
pub fn az_id(zone: &str) -> String {
    let letter = zone.chars().last().unwrap_or('a');
    let index = (letter as u32).saturating_sub('a' as u32) + 1;
    format!("use1-az{index}")
}

struct ClassWriter {
    format: LogFormat,
    class: u32,
    protocol: u8,
    az_id: String,
}

/// One record's direction, addresses and share of the connection.
struct Side<'a> {
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    bytes: u64,
    egress: bool,
    service: &'a str,
}

impl ClassWriter {
    fn connection(
        &self,
        out: &mut dyn Write,
        serial: u64,
        at_ns: u64,
        arrival: &Arrival,
        generated: &mut Generated,
    ) -> io::Result<()> {
        let request = arrival.request_bytes.round() as u64;
        let response = arrival.response_bytes.round() as u64;
        let client_index = serial / PORTS_PER_CLIENT;
        let client = Ipv4Addr::new(
            10,
            (self.class + 1).min(255) as u8,
            (client_index >> 8) as u8,
            client_index as u8,
        );
        let client_port = 1024 + (serial % PORTS_PER_CLIENT) as u16;
        let server = Ipv4Addr::from(u32::from(Ipv4Addr::new(54, 0, 0, 0)) + arrival.destination);
        let service = if arrival.aws_service { "S3" } else { "-" };
        let start = TRACE_START_S as f64 + at_ns as f64 / NS_PER_S;
        let transfer_s = (request + response) as f64 * 8.0 / TRANSFER_BPS;
        let end = start + transfer_s + arrival.hold_ns as f64 / NS_PER_S;
        let pieces = intervals(start, end);
        let mut sent = (0u64, 0u64);
        for (index, &(from, to, done)) in pieces.iter().enumerate() {
            let last = index + 1 == pieces.len();
            let upto = |total: u64| {
                if last {
                    total
                } else {
                    (total as f64 * done) as u64
                }
            };
            let (req, resp) = (upto(request) - sent.0, upto(response) - sent.1);
            sent = (sent.0 + req, sent.1 + resp);
            let times = (from.floor() as u64, to.ceil() as u64);
            let outbound = Side {
                src: (client, client_port),
                dst: (server, 443),
                bytes: req,
                egress: true,
                service,
            };
            let inbound = Side {
                src: (server, 443),
                dst: (client, client_port),
                bytes: resp,
                egress: false,
                service,
            };
            self.record(out, &outbound, times)?;
            self.record(out, &inbound, times)?;
            generated.records += 2;
        }
        generated.connections += 1;
        generated.request_bytes += request;
        generated.response_bytes += response;
        let own = &mut generated.per_workload[self.class as usize];
        own.connections += 1;
        own.request_bytes += request;
        own.response_bytes += response;
        Ok(())
    }

    fn record(
        &self,
        out: &mut dyn Write,
        side: &Side<'_>,
        (start, end): (u64, u64),
    ) -> io::Result<()> {
        let packets = side.bytes.div_ceil(SEGMENT_BYTES).max(1);
        write!(
            out,
            "2 123456789012 eni-0fit{:04} {} {} {} {} {} {packets} {} {start} {end} ACCEPT OK",
            self.class, side.src.0, side.dst.0, side.src.1, side.dst.1, self.protocol, side.bytes
        )?;
        if self.format == LogFormat::Custom {
            let (src_service, dst_service) = if side.egress {
                ("-", side.service)
            } else {
                (side.service, "-")
            };
            write!(
                out,
                " {} {} {} {} {src_service} {dst_service}",
                self.az_id,
                if side.egress { "egress" } else { "ingress" },
                side.src.0,
                side.dst.0
            )?;
        }
        writeln!(out)
    }
}

/// The 1-minute intervals `[start, end]` spans: each piece's start, end and the fraction of the
/// connection done by its end.
fn intervals(start: f64, end: f64) -> Vec<(f64, f64, f64)> {
    let length = (end - start).max(0.0);
    let mut pieces = Vec::new();
    let mut from = start;
    loop {
        let boundary = ((from as u64) / INTERVAL_S + 1) as f64 * INTERVAL_S as f64;
        let to = boundary.min(end);
        let done = if length > 0.0 {
            (to - start) / length
        } else {
            1.0
        };
        pieces.push((from, to, done));
        if to >= end {
            return pieces;
        }
        from = to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_connection_is_cut_at_minute_boundaries() {
        let pieces = intervals(50.0, 190.0);
        let bounds: Vec<(f64, f64)> = pieces.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            bounds,
            vec![(50.0, 60.0), (60.0, 120.0), (120.0, 180.0), (180.0, 190.0)]
        );
        assert_eq!(pieces.last().unwrap().2, 1.0);
        assert_eq!(intervals(5.0, 5.0), vec![(5.0, 5.0, 1.0)]);
    }
}
