//! `natsim fit`: the connections of some flow logs (`io::flowlogs`) into a runnable scenario's
//! text, and the flow-log generator it is tested with (`generate`). Knows no file or command
//! line: the CLI reads the logs and writes the file.
//!
//! **What is fitted, per workload** (one per AZ × protocol; the AZ from `az-id`, its IDs given
//! the zone letters a, b, … in sorted order, all in `a` without it):
//! - `rate_per_s`: connections / observed span, the span running from the first connection's
//!   start to the last one's (whole seconds, as the records give them);
//! - `profile`: each hour's rate over the mean rate, hours counted from the first start (folded
//!   onto 24 hours when the trace is longer), when the trace spans at least two hours;
//! - `request_bytes`, `response_bytes`: by goodness of fit (`dist`);
//! - `hold`: the mean recorded duration (end − start), exponential; it includes the transfer,
//!   so it is an upper bound;
//! - `destinations`: the distinct server addresses and ports seen (a lower bound on the true
//!   count) and the Zipf exponent of their connection counts (`dist`);
//! - `endpoint_share`: the share of connections `pkt-dst-aws-service` marks as S3 or DynamoDB;
//! - UDP's `packet_bytes`: bytes over packets.
//!
//! **Candidates:** one NAT gateway in the busiest AZ, one per AZ (with several AZs), and the
//! cheapest NAT instance type whose baseline bandwidth (capped at the catalog's internet cap)
//! carries the observed peak plus [`HEADROOM`], shared and per AZ (each sized on its own peak).
//! The peak is the busiest minute, each connection's bytes spread evenly over its duration, the
//! larger direction.

mod dist;
pub mod generate;

/// Longest time a fitted scenario simulates: a week holds a weekly pattern's days and the
/// daily profile repeats, while a trace of months (or AWS's documentation examples, years
/// apart) would make a run far longer than what it says about a month.
pub(crate) const MAX_SIMULATED_S: u64 = 7 * 86_400;
mod render;

pub use dist::{FittedDist, SizeFit};

use crate::io::catalog::Catalog;
use crate::io::flowlogs::{Connection, FlowLogs};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// Capacity above the observed peak a sized NAT instance must have.
pub(crate) const HEADROOM: f64 = 0.2;
const MINUTE_S: u64 = 60;
const HOUR_S: u64 = 3_600;

/// What `fit` is told besides the logs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The scenario's region; else from the AZ IDs' prefix, else us-east-1.
    pub region: Option<String>,
    /// The scenario's name.
    pub name: String,
    /// The inputs as the user named them, for the file's comments.
    pub sources: Vec<String>,
}

/// A fitted scenario: what was measured, the workloads and the candidates.
#[derive(Debug, Clone)]
pub struct Fit {
    pub name: String,
    pub region: String,
    /// What the scenario simulates: the observed span, at most [`MAX_SIMULATED_S`].
    pub duration_s: u64,
    /// From the first connection's start to the last one's, whole seconds.
    pub observed_s: u64,
    /// The first connection's start, Unix seconds: the fitted scenario's time zero.
    pub first_start_s: u64,
    pub measured: Measured,
    pub workloads: Vec<FittedWorkload>,
    pub candidates: Vec<FittedCandidate>,
    pub sources: Vec<String>,
    /// Connections of protocols natsim does not simulate (neither TCP nor UDP), by protocol.
    pub unsimulated: BTreeMap<u8, u64>,
}

/// Totals over every connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub records: u64,
    pub connections: u64,
    pub skipped_lines: u64,
    pub request_gb: f64,
    pub response_gb: f64,
    pub peak_gbps: f64,
    pub peak_new_per_s: u64,
    /// The server with the most connections, and their count.
    pub busiest: Option<(SocketAddr, u64)>,
}

/// One `[[workload]]`.
#[derive(Debug, Clone)]
pub struct FittedWorkload {
    pub name: String,
    /// The zone letter.
    pub az: String,
    pub az_id: Option<String>,
    /// IANA protocol number.
    pub protocol: u8,
    pub connections: u64,
    pub rate_per_s: f64,
    pub profile: Vec<f64>,
    pub request: SizeFit,
    pub response: SizeFit,
    pub hold_s: f64,
    pub destinations: u32,
    pub zipf_exponent: f64,
    pub endpoint_share: f64,
    /// Bytes per packet (written for UDP only).
    pub packet_bytes: f64,
    pub peak_gbps: f64,
}

/// One `[[candidate]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedCandidate {
    pub name: String,
    /// `nat_gateway` or `nat_instance`.
    pub kind: &'static str,
    pub per_az: bool,
    pub az: String,
    pub instance_type: Option<String>,
    pub count: u32,
    /// Why this candidate (a comment line).
    pub basis: String,
}

/// Fits a scenario to the connections in `logs`; an error says why none can be.
pub fn fit(logs: &FlowLogs, catalog: &Catalog, options: &Options) -> Result<Fit, String> {
    let connections = &logs.connections;
    if connections.is_empty() {
        return Err(format!(
            "no connections to fit ({} records read, {} internal, {} rejected, {} without data); give the logs of an interface that carries internet traffic",
            logs.counts.records,
            logs.counts.internal_records,
            logs.counts.rejected_records,
            logs.counts.nodata_records
        ));
    }
    let region = region(connections, catalog, options)?;
    let window = Window::of(connections);
    let letters = zone_letters(connections);
    let mut groups: BTreeMap<(String, u8), Vec<&Connection>> = BTreeMap::new();
    let mut unsimulated: BTreeMap<u8, u64> = BTreeMap::new();
    for c in connections {
        if matches!(c.protocol, 6 | 17) {
            groups
                .entry((letter(&letters, c), c.protocol))
                .or_default()
                .push(c);
        } else {
            *unsimulated.entry(c.protocol).or_default() += 1;
        }
    }
    if groups.is_empty() {
        return Err(format!(
            "no TCP or UDP connection to fit ({} connections of other protocols); natsim simulates TCP and UDP",
            connections.len()
        ));
    }
    let workloads: Vec<FittedWorkload> = groups
        .into_iter()
        .map(|((az, protocol), group)| fit_workload(&az, protocol, &group, &letters, &window))
        .collect();
    let measured = measure(logs, &window);
    let candidates = candidates(&workloads, &measured, catalog, &region);
    Ok(Fit {
        name: options.name.clone(),
        region,
        duration_s: window.span_s.min(MAX_SIMULATED_S),
        observed_s: window.span_s,
        first_start_s: window.first_s,
        measured,
        workloads,
        candidates,
        sources: options.sources.clone(),
        unsimulated,
    })
}

impl Fit {
    /// The scenario file's text.
    pub fn to_toml(&self) -> String {
        render::scenario(self)
    }
}

/// The observed time: from the first start to the last, whole seconds.
struct Window {
    first_s: u64,
    span_s: u64,
}

impl Window {
    fn of(connections: &[Connection]) -> Self {
        let first_s = connections.iter().map(|c| c.start_s).min().unwrap_or(0);
        let last_s = connections.iter().map(|c| c.start_s).max().unwrap_or(0);
        Window {
            first_s,
            span_s: last_s - first_s + 1,
        }
    }
}

/// AZ ID → zone letter, in sorted order.
fn zone_letters(connections: &[Connection]) -> BTreeMap<String, String> {
    let mut ids: Vec<&str> = connections
        .iter()
        .filter_map(|c| c.az_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            (
                id.to_string(),
                char::from(b'a' + (i % 26) as u8).to_string(),
            )
        })
        .collect()
}

fn letter(letters: &BTreeMap<String, String>, c: &Connection) -> String {
    c.az_id
        .as_ref()
        .and_then(|id| letters.get(id))
        .cloned()
        .unwrap_or_else(|| "a".to_string())
}

/// `--region`, else the region the AZ IDs' prefix names (for the catalog's regions), else
/// us-east-1.
fn region(
    connections: &[Connection],
    catalog: &Catalog,
    options: &Options,
) -> Result<String, String> {
    if let Some(region) = &options.region {
        if catalog.region(region).is_none() {
            return Err(format!(
                "--region: unknown region {region:?}; the catalog has {}; for another region, build a catalog with `natsim catalog import` and pass it with --catalog",
                catalog.region_names().join(", ")
            ));
        }
        return Ok(region.clone());
    }
    let prefix = connections
        .iter()
        .find_map(|c| c.az_id.as_deref()?.split_once("-az").map(|(p, _)| p));
    let guess = match prefix {
        Some("euw1") => "eu-west-1",
        Some("apne2") => "ap-northeast-2",
        _ => "us-east-1",
    };
    Ok(guess.to_string())
}

fn fit_workload(
    az: &str,
    protocol: u8,
    group: &[&Connection],
    letters: &BTreeMap<String, String>,
    window: &Window,
) -> FittedWorkload {
    let n = group.len() as f64;
    let requests: Vec<f64> = group.iter().map(|c| c.request_bytes as f64).collect();
    let responses: Vec<f64> = group.iter().map(|c| c.response_bytes as f64).collect();
    let mut per_server: HashMap<SocketAddr, u64> = HashMap::new();
    for c in group {
        *per_server.entry(c.server).or_default() += 1;
    }
    let counts: Vec<u64> = per_server.values().copied().collect();
    let bytes: u64 = group
        .iter()
        .map(|c| c.request_bytes + c.response_bytes)
        .sum();
    let packets: u64 = group
        .iter()
        .map(|c| c.request_packets + c.response_packets)
        .sum();
    let protocol_name = if protocol == 17 { "udp" } else { "tcp" };
    FittedWorkload {
        name: format!("{az}-{protocol_name}"),
        az: az.to_string(),
        az_id: letters
            .iter()
            .find(|(_, l)| *l == az)
            .map(|(id, _)| id.clone()),
        protocol,
        connections: group.len() as u64,
        rate_per_s: n / window.span_s as f64,
        profile: profile(group, window),
        request: dist::fit_sizes(&requests),
        response: dist::fit_sizes(&responses),
        hold_s: group
            .iter()
            .map(|c| (c.end_s - c.start_s.min(c.end_s)) as f64)
            .sum::<f64>()
            / n,
        destinations: per_server.len() as u32,
        zipf_exponent: dist::fit_zipf(&counts),
        endpoint_share: group.iter().filter(|c| c.service.is_some()).count() as f64 / n,
        packet_bytes: (bytes as f64 / packets.max(1) as f64).clamp(64.0, 9001.0),
        peak_gbps: peak_gbps(group.iter().copied(), window),
    }
}

/// Each hour's rate over the mean rate; empty below two hours.
fn profile(group: &[&Connection], window: &Window) -> Vec<f64> {
    let hours = window.span_s.div_ceil(HOUR_S);
    if hours < 2 {
        return Vec::new();
    }
    let bins = hours.min(24) as usize;
    let mut counts = vec![0.0; bins];
    let mut exposure_s = vec![0.0; bins];
    for hour in 0..hours {
        let covered = (window.span_s - hour * HOUR_S).min(HOUR_S);
        exposure_s[(hour % 24) as usize] += covered as f64;
    }
    for c in group {
        let hour = (c.start_s - window.first_s) / HOUR_S;
        counts[(hour % 24) as usize] += 1.0;
    }
    let mean_rate = group.len() as f64 / window.span_s as f64;
    counts
        .iter()
        .zip(&exposure_s)
        .map(|(count, exposure)| count / exposure / mean_rate)
        .collect()
}

/// The busiest minute's Gbps in the larger direction, each connection's bytes spread evenly
/// over its duration.
fn peak_gbps<'a>(connections: impl Iterator<Item = &'a Connection>, window: &Window) -> f64 {
    let mut per_minute: HashMap<u64, (f64, f64)> = HashMap::new();
    for c in connections {
        let start = c.start_s.saturating_sub(window.first_s) as f64;
        let end = (c.end_s.saturating_sub(window.first_s) as f64).max(start) + 1.0;
        let length = end - start;
        let mut from = start;
        while from < end {
            let minute = (from as u64) / MINUTE_S;
            let to = (((minute + 1) * MINUTE_S) as f64).min(end);
            let share = (to - from) / length;
            let bin = per_minute.entry(minute).or_default();
            bin.0 += c.request_bytes as f64 * share;
            bin.1 += c.response_bytes as f64 * share;
            from = to;
        }
    }
    per_minute
        .values()
        .map(|(up, down)| up.max(*down) * 8.0 / MINUTE_S as f64 / 1e9)
        .fold(0.0, f64::max)
}

fn measure(logs: &FlowLogs, window: &Window) -> Measured {
    let connections = &logs.connections;
    let mut per_second: HashMap<u64, u64> = HashMap::new();
    let mut per_server: HashMap<SocketAddr, u64> = HashMap::new();
    for c in connections {
        *per_second.entry(c.start_s).or_default() += 1;
        *per_server.entry(c.server).or_default() += 1;
    }
    let busiest = per_server
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    const GB: f64 = 1e9;
    Measured {
        records: logs.counts.records,
        connections: connections.len() as u64,
        skipped_lines: logs.counts.skipped_lines,
        request_gb: connections
            .iter()
            .map(|c| c.request_bytes as f64)
            .sum::<f64>()
            / GB,
        response_gb: connections
            .iter()
            .map(|c| c.response_bytes as f64)
            .sum::<f64>()
            / GB,
        peak_gbps: peak_gbps(connections.iter(), window),
        peak_new_per_s: per_second.values().copied().max().unwrap_or(0),
        busiest,
    }
}

fn candidates(
    workloads: &[FittedWorkload],
    measured: &Measured,
    catalog: &Catalog,
    region: &str,
) -> Vec<FittedCandidate> {
    let mut by_az: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for w in workloads {
        let entry = by_az.entry(&w.az).or_default();
        entry.0 += w.connections;
        entry.1 += w.peak_gbps;
    }
    let busiest_az = by_az
        .iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(a.0)))
        .map_or("a", |(az, _)| az)
        .to_string();
    let several = by_az.len() > 1;
    let gateway = |name: &str, per_az: bool, basis: &str| FittedCandidate {
        name: name.to_string(),
        kind: "nat_gateway",
        per_az,
        az: busiest_az.clone(),
        instance_type: None,
        count: 1,
        basis: basis.to_string(),
    };
    let mut list = vec![gateway(
        "natgw-shared",
        false,
        "one NAT gateway, in the AZ with the most connections",
    )];
    if several {
        list.push(gateway("natgw-per-az", true, "a NAT gateway in each AZ"));
    }
    let sized = |peak: f64| size_instance(catalog, region, peak * (1.0 + HEADROOM));
    if let Some((instance, count, capacity)) = sized(measured.peak_gbps) {
        list.push(FittedCandidate {
            name: format!("nat-instance-{instance}"),
            kind: "nat_instance",
            per_az: false,
            az: busiest_az.clone(),
            instance_type: Some(instance),
            count,
            basis: format!(
                "cheapest type carrying the peak {:.3} Gbps + {:.0} % at its baseline ({count} × {capacity:.3} Gbps)",
                measured.peak_gbps,
                HEADROOM * 100.0
            ),
        });
    }
    let az_peak = by_az.values().map(|v| v.1).fold(0.0, f64::max);
    if several && let Some((instance, count, capacity)) = sized(az_peak) {
        list.push(FittedCandidate {
            name: format!("nat-instance-{instance}-per-az"),
            kind: "nat_instance",
            per_az: true,
            az: busiest_az.clone(),
            instance_type: Some(instance),
            count,
            basis: format!(
                "one per AZ, sized on the busiest AZ's peak {az_peak:.3} Gbps + {:.0} % ({count} × {capacity:.3} Gbps)",
                HEADROOM * 100.0
            ),
        });
    }
    list
}

/// The cheapest instance type (and count, up to 100) whose baseline bandwidth, capped at the
/// internet cap, carries `need_gbps`: `(type, count, Gbps each)`.
fn size_instance(catalog: &Catalog, region: &str, need_gbps: f64) -> Option<(String, u32, f64)> {
    let mut best: Option<(f64, String, u32, f64)> = None;
    for (name, it) in &catalog.instances {
        let capacity = it.baseline_gbps.min(catalog.internet_cap_bps(it) / 1e9);
        let count = (need_gbps / capacity).ceil().max(1.0);
        if capacity <= 0.0 || count > 100.0 {
            continue;
        }
        let Some((price, _)) = catalog.instance_price(name, region) else {
            continue;
        };
        let cost = price * count;
        if best.as_ref().is_none_or(|b| cost < b.0) {
            best = Some((cost, name.clone(), count as u32, capacity));
        }
    }
    best.map(|(_, name, count, capacity)| (name, count, capacity))
}
