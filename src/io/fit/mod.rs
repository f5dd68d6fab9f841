//! `natsim fit`: the connections of some flow logs (`io::flowlogs`) into a runnable scenario's
//! text, and the flow-log generator it is tested with (`generate`). Knows no file or command
//! line: the CLI reads the logs and writes the file.
//!
//! **What is fitted, per workload** (one per AZ × protocol, or two traffic classes of it by
//! connection size when one size distribution fits it poorly, `classes`; the AZ from `az-id`,
//! its IDs given the zone letters a, b, … in sorted order, all in `a` without it):
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
//!
//! **Streaming.** [`Fitter`] takes the connections one at a time, in any order (as
//! `flowlogs::stream` hands them on), and keeps what the fit needs, not the connections: per AZ
//! and protocol, exact counts and sums, the sizes' moments and a bounded sample
//! (`dist::SizeSample`), the connections per destination, the new connections per second and
//! the traffic's rate changes per second; and the same but the rate changes per size band
//! (`classes`, at most eight, with smaller samples), for a split into traffic classes decided
//! at the end. So memory grows with the destinations and the seconds of the trace that carry
//! traffic (a day: 86,400), not with its connections.

mod classes;
mod dist;
pub mod generate;

/// Longest time a fitted scenario simulates: a week holds a weekly pattern's days and the
/// daily profile repeats, while a trace of months (or AWS's documentation examples, years
/// apart) would make a run far longer than what it says about a month.
pub(crate) const MAX_SIMULATED_S: u64 = 7 * 86_400;
mod render;

pub use dist::{FittedDist, SizeFit};

use crate::io::catalog::Catalog;
use crate::io::flowlogs::{Counts, FastMap, FlowLogs, Joined};
use dist::SizeSample;
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
    /// The inputs as the written file's folder sees them, for the replay it suggests in its
    /// comments (`flow_logs` paths start there); empty: `sources`.
    pub replay_paths: Vec<String>,
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
    /// `flow_logs` paths for a replay of the same logs (see [`Options::replay_paths`]).
    pub replay_paths: Vec<String>,
    /// Connections of protocols natsim does not simulate (neither TCP nor UDP), by protocol.
    pub unsimulated: BTreeMap<u8, u64>,
}

/// Totals over every connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub records: u64,
    pub connections: u64,
    pub skipped_lines: u64,
    /// Records left out as late (out of time order by more than the reader's tolerance).
    pub late_records: u64,
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
    /// The busiest minute's Gbps; a traffic class's is its share of its AZ × protocol's peak
    /// by bytes (the candidates use their sum per AZ).
    pub peak_gbps: f64,
    /// Why this workload is a traffic class of its AZ × protocol, when it is one (a comment).
    pub class: Option<String>,
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
    let mut fitter = Fitter::default();
    for c in &logs.connections {
        fitter.add(&c.joined());
    }
    fitter.finish(&logs.counts, catalog, options)
}

impl Fit {
    /// The scenario file's text.
    pub fn to_toml(&self) -> String {
        render::scenario(self)
    }
}

/// A fit built one connection at a time (see the module header, "Streaming").
#[derive(Debug, Default)]
pub struct Fitter {
    /// One per AZ ID and protocol, in the order first seen.
    groups: Vec<Group>,
}

/// What is kept of the connections of one AZ ID and protocol.
#[derive(Debug)]
struct Group {
    az_id: Option<String>,
    protocol: u8,
    connections: u64,
    first_start_s: u64,
    last_start_s: u64,
    request: SizeSample,
    response: SizeSample,
    request_bytes: u64,
    response_bytes: u64,
    packets: u64,
    hold_s: f64,
    aws_service: u64,
    per_server: FastMap<SocketAddr, u64>,
    /// New connections per second (Unix seconds).
    per_second: FastMap<u64, u64>,
    traffic: Traffic,
    /// The same per size band (`classes`), for a split into traffic classes; empty in a band.
    bands: Vec<Option<Box<Group>>>,
}

impl Group {
    fn new(az_id: Option<&str>, protocol: u8) -> Self {
        Group::with_sample(az_id, protocol, SizeSample::default())
    }

    /// A size band's group: smaller size samples, no bands, no traffic.
    fn band(az_id: Option<&str>, protocol: u8) -> Self {
        Group::with_sample(
            az_id,
            protocol,
            SizeSample::with_capacity(classes::BAND_SAMPLE),
        )
    }

    fn with_sample(az_id: Option<&str>, protocol: u8, sample: SizeSample) -> Self {
        Group {
            az_id: az_id.map(str::to_string),
            protocol,
            connections: 0,
            first_start_s: u64::MAX,
            last_start_s: 0,
            request: sample.clone(),
            response: sample,
            request_bytes: 0,
            response_bytes: 0,
            packets: 0,
            hold_s: 0.0,
            aws_service: 0,
            per_server: FastMap::default(),
            per_second: FastMap::default(),
            traffic: Traffic::default(),
            bands: Vec::new(),
        }
    }

    fn add(&mut self, c: &Joined<'_>) {
        self.count(c);
        self.traffic
            .add(c.start_s, c.end_s, c.request_bytes, c.response_bytes);
        if self.bands.is_empty() {
            self.bands = (0..classes::BANDS).map(|_| None).collect();
        }
        let band = classes::band_of(c.request_bytes.saturating_add(c.response_bytes));
        self.bands[band]
            .get_or_insert_with(|| Box::new(Group::band(c.az_id, c.protocol)))
            .count(c);
    }

    /// Everything but the traffic and the bands.
    fn count(&mut self, c: &Joined<'_>) {
        self.connections += 1;
        self.first_start_s = self.first_start_s.min(c.start_s);
        self.last_start_s = self.last_start_s.max(c.start_s);
        self.request.add(c.request_bytes as f64);
        self.response.add(c.response_bytes as f64);
        self.request_bytes += c.request_bytes;
        self.response_bytes += c.response_bytes;
        self.packets += c.request_packets + c.response_packets;
        self.hold_s += (c.end_s - c.start_s.min(c.end_s)) as f64;
        self.aws_service += u64::from(c.service.is_some());
        *self.per_server.entry(c.server).or_default() += 1;
        *self.per_second.entry(c.start_s).or_default() += 1;
    }
}

impl Fitter {
    pub fn add(&mut self, c: &Joined<'_>) {
        let at = match self
            .groups
            .iter()
            .position(|g| g.protocol == c.protocol && g.az_id.as_deref() == c.az_id)
        {
            Some(at) => at,
            None => {
                self.groups.push(Group::new(c.az_id, c.protocol));
                self.groups.len() - 1
            }
        };
        self.groups[at].add(c);
    }

    /// The fitted scenario; `counts` are the reader's (records, lines skipped).
    pub fn finish(
        self,
        counts: &Counts,
        catalog: &Catalog,
        options: &Options,
    ) -> Result<Fit, String> {
        let connections: u64 = self.groups.iter().map(|g| g.connections).sum();
        if connections == 0 {
            return Err(format!(
                "no connections to fit ({} records read, {} internal, {} rejected, {} without data{}); give the logs of an interface that carries internet traffic",
                counts.records,
                counts.internal_records,
                counts.rejected_records,
                counts.nodata_records,
                late_note(counts)
            ));
        }
        let region = region(&self.groups, catalog, options)?;
        let window = Window::of(&self.groups);
        let letters = zone_letters(&self.groups);
        let mut unsimulated: BTreeMap<u8, u64> = BTreeMap::new();
        let mut simulated: BTreeMap<(String, u8), Vec<&Group>> = BTreeMap::new();
        for g in &self.groups {
            if matches!(g.protocol, 6 | 17) {
                simulated
                    .entry((letter(&letters, g.az_id.as_deref()), g.protocol))
                    .or_default()
                    .push(g);
            } else {
                *unsimulated.entry(g.protocol).or_default() += g.connections;
            }
        }
        if simulated.is_empty() {
            return Err(format!(
                "no TCP or UDP connection to fit ({connections} connections of other protocols); natsim simulates TCP and UDP"
            ));
        }
        let workloads: Vec<FittedWorkload> = simulated
            .into_iter()
            .flat_map(|((az, protocol), groups)| {
                fit_classes(
                    &az,
                    protocol,
                    &Group::merged(&groups, true),
                    &letters,
                    &window,
                )
            })
            .collect();
        let all: Vec<&Group> = self.groups.iter().collect();
        let measured = measure(&Group::merged(&all, false), counts, &window);
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
            replay_paths: if options.replay_paths.is_empty() {
                options.sources.clone()
            } else {
                options.replay_paths.clone()
            },
            unsimulated,
        })
    }
}

fn late_note(counts: &Counts) -> String {
    match counts.late_records {
        0 => String::new(),
        n => format!(", {n} late"),
    }
}

impl Group {
    /// Several groups as one: AZ IDs that share a zone letter (a trace without `az-id` and the
    /// first AZ ID are both zone a), or every group for the totals (`sizes` false: the totals
    /// need no size sample).
    fn merged(groups: &[&Group], sizes: bool) -> Group {
        let mut out = Group::new(groups[0].az_id.as_deref(), groups[0].protocol);
        out.merge(groups, sizes);
        if sizes {
            out.bands = (0..classes::BANDS)
                .map(|band| {
                    let parts: Vec<&Group> = groups
                        .iter()
                        .filter_map(|g| g.bands.get(band)?.as_deref())
                        .collect();
                    (!parts.is_empty()).then(|| Box::new(Group::merged_band(&parts)))
                })
                .collect();
        }
        out
    }

    /// Size bands as one (a traffic class), with a band's sample size.
    fn merged_band(bands: &[&Group]) -> Group {
        let mut out = Group::band(bands[0].az_id.as_deref(), bands[0].protocol);
        out.merge(bands, true);
        out
    }

    fn merge(&mut self, groups: &[&Group], sizes: bool) {
        let out = self;
        for g in groups {
            out.connections += g.connections;
            out.first_start_s = out.first_start_s.min(g.first_start_s);
            out.last_start_s = out.last_start_s.max(g.last_start_s);
            if sizes {
                out.request.merge(&g.request);
                out.response.merge(&g.response);
            }
            out.request_bytes += g.request_bytes;
            out.response_bytes += g.response_bytes;
            out.packets += g.packets;
            out.hold_s += g.hold_s;
            out.aws_service += g.aws_service;
            for (server, n) in &g.per_server {
                *out.per_server.entry(*server).or_default() += n;
            }
            for (second, n) in &g.per_second {
                *out.per_second.entry(*second).or_default() += n;
            }
            out.traffic.merge(&g.traffic);
        }
    }
}

/// A trace's traffic as rate changes per second: each connection's bytes spread evenly over
/// its whole seconds `[start, max(end, start) + 1)`, so the rate is constant between changes
/// and the bytes of any minute are a sum over the seconds in it.
#[derive(Debug, Default)]
struct Traffic {
    /// Unix second → change of (request, response) bytes per second from then on.
    changes: FastMap<u64, (f64, f64)>,
}

impl Traffic {
    fn add(&mut self, start_s: u64, end_s: u64, up: u64, down: u64) {
        let stop_s = end_s.max(start_s).saturating_add(1);
        let length = (stop_s - start_s) as f64;
        let (up, down) = (up as f64 / length, down as f64 / length);
        let at = self.changes.entry(start_s).or_default();
        at.0 += up;
        at.1 += down;
        let at = self.changes.entry(stop_s).or_default();
        at.0 -= up;
        at.1 -= down;
    }

    fn merge(&mut self, other: &Traffic) {
        for (second, (up, down)) in &other.changes {
            let at = self.changes.entry(*second).or_default();
            at.0 += up;
            at.1 += down;
        }
    }

    /// The busiest minute's Gbps in the larger direction, minutes counted from `first_s`.
    fn peak_gbps(&self, first_s: u64) -> f64 {
        let mut seconds: Vec<(u64, (f64, f64))> =
            self.changes.iter().map(|(s, c)| (*s, *c)).collect();
        seconds.sort_unstable_by_key(|(s, _)| *s);
        let mut per_minute: HashMap<u64, (f64, f64)> = HashMap::new();
        let mut rate = (0.0, 0.0);
        for pair in seconds.windows(2) {
            let ((from, change), (to, _)) = (pair[0], pair[1]);
            rate = (rate.0 + change.0, rate.1 + change.1);
            if rate.0 <= 0.0 && rate.1 <= 0.0 {
                continue;
            }
            // Seconds [from, to) at a constant rate, cut at minute boundaries.
            let mut at = from.max(first_s);
            while at < to {
                let minute = (at - first_s) / MINUTE_S;
                let until = (first_s + (minute + 1) * MINUTE_S).min(to);
                let seconds = (until - at) as f64;
                let bin = per_minute.entry(minute).or_default();
                bin.0 += rate.0 * seconds;
                bin.1 += rate.1 * seconds;
                at = until;
            }
        }
        per_minute
            .values()
            .map(|(up, down)| up.max(*down) * 8.0 / MINUTE_S as f64 / 1e9)
            .fold(0.0, f64::max)
    }
}

/// The observed time: from the first start to the last, whole seconds.
struct Window {
    first_s: u64,
    span_s: u64,
}

impl Window {
    fn of(groups: &[Group]) -> Self {
        let first_s = groups.iter().map(|g| g.first_start_s).min().unwrap_or(0);
        let last_s = groups.iter().map(|g| g.last_start_s).max().unwrap_or(0);
        Window {
            first_s,
            span_s: last_s - first_s + 1,
        }
    }
}

/// AZ ID → zone letter, in sorted order.
fn zone_letters(groups: &[Group]) -> BTreeMap<String, String> {
    let mut ids: Vec<&str> = groups.iter().filter_map(|g| g.az_id.as_deref()).collect();
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

fn letter(letters: &BTreeMap<String, String>, az_id: Option<&str>) -> String {
    az_id
        .and_then(|id| letters.get(id))
        .cloned()
        .unwrap_or_else(|| "a".to_string())
}

/// `--region`, else the region the AZ IDs' prefix names (for the catalog's regions; the AZ ID
/// of the earliest connection that has one), else us-east-1.
fn region(groups: &[Group], catalog: &Catalog, options: &Options) -> Result<String, String> {
    if let Some(region) = &options.region {
        if catalog.region(region).is_none() {
            return Err(format!(
                "--region: unknown region {region:?}; the catalog has {}; for another region, build a catalog with `natsim catalog import` and pass it with --catalog",
                catalog.region_names().join(", ")
            ));
        }
        return Ok(region.clone());
    }
    let prefix = groups
        .iter()
        .filter_map(|g| Some((g.first_start_s, g.az_id.as_deref()?)))
        .min()
        .and_then(|(_, id)| id.split_once("-az").map(|(p, _)| p));
    let guess = match prefix {
        Some("euw1") => "eu-west-1",
        Some("apne2") => "ap-northeast-2",
        _ => "us-east-1",
    };
    Ok(guess.to_string())
}

/// One AZ × protocol's workload, or two traffic classes of it (`classes`).
fn fit_classes(
    az: &str,
    protocol: u8,
    group: &Group,
    letters: &BTreeMap<String, String>,
    window: &Window,
) -> Vec<FittedWorkload> {
    let protocol_name = if protocol == 17 { "udp" } else { "tcp" };
    let name = format!("{az}-{protocol_name}");
    let peak_gbps = group.traffic.peak_gbps(window.first_s);
    let whole = fit_workload(&name, az, protocol, group, letters, window, peak_gbps);
    let before = whole.request.ks().max(whole.response.ks());
    if before <= classes::POOR_FIT_KS {
        return vec![whole];
    }
    let Some(split) = best_split(group) else {
        return vec![whole];
    };
    if split.score > classes::CLEARLY_BETTER * before {
        return vec![whole];
    }
    let bytes = (group.request_bytes + group.response_bytes).max(1) as f64;
    let cut = classes::shown(classes::band_floor(split.cut));
    let why = |which: &str, part: &Group, ks: f64| {
        format!(
            "{which} of {name}, connections moving {} {cut} both ways: one size distribution for all of {name} fits poorly (worst KS D {before:.4} > {}), two classes fit better (this one {ks:.4}, the two weighted by connections {:.4}); {:.1} % of {name}'s connections, {:.1} % of its bytes",
            if which == "small" {
                "below"
            } else {
                "at or above"
            },
            classes::POOR_FIT_KS,
            split.score,
            part.connections as f64 / group.connections as f64 * 100.0,
            (part.request_bytes + part.response_bytes) as f64 / bytes * 100.0
        )
    };
    [
        ("small", &split.small, split.small_ks),
        ("bulk", &split.bulk, split.bulk_ks),
    ]
    .into_iter()
    .map(|(which, part, ks)| {
        let share = (part.request_bytes + part.response_bytes) as f64 / bytes;
        let mut w = fit_workload(
            &format!("{name}-{which}"),
            az,
            protocol,
            part,
            letters,
            window,
            peak_gbps * share,
        );
        w.class = Some(why(which, part, ks));
        w
    })
    .collect()
}

/// The best cut of a group's size bands into two classes, if any leaves both big enough.
struct Split {
    /// The first band of the bulk class.
    cut: usize,
    small: Group,
    bulk: Group,
    small_ks: f64,
    bulk_ks: f64,
    /// The classes' D weighted by their connections.
    score: f64,
}

fn best_split(group: &Group) -> Option<Split> {
    let smallest = classes::MIN_CLASS_CONNECTIONS
        .max((classes::MIN_CLASS_SHARE * group.connections as f64).ceil() as u64);
    let worst_ks = |g: &Group| g.request.fit().ks().max(g.response.fit().ks());
    let mut best: Option<Split> = None;
    let mut last_small = None;
    for cut in 1..group.bands.len() {
        let side = |bands: &[Option<Box<Group>>]| {
            let parts: Vec<&Group> = bands.iter().filter_map(|b| b.as_deref()).collect();
            (!parts.is_empty()).then(|| Group::merged_band(&parts))
        };
        let (Some(small), Some(bulk)) = (side(&group.bands[..cut]), side(&group.bands[cut..]))
        else {
            continue;
        };
        if small.connections < smallest || bulk.connections < smallest {
            continue;
        }
        // A cut past an empty band gives the classes of the cut before: the first one stands.
        if last_small.replace(small.connections) == Some(small.connections) {
            continue;
        }
        let (small_ks, bulk_ks) = (worst_ks(&small), worst_ks(&bulk));
        let n = (small.connections + bulk.connections) as f64;
        let score = (small_ks * small.connections as f64 + bulk_ks * bulk.connections as f64) / n;
        if best.as_ref().is_none_or(|b| score < b.score) {
            best = Some(Split {
                cut,
                small,
                bulk,
                small_ks,
                bulk_ks,
                score,
            });
        }
    }
    best
}

fn fit_workload(
    name: &str,
    az: &str,
    protocol: u8,
    group: &Group,
    letters: &BTreeMap<String, String>,
    window: &Window,
    peak_gbps: f64,
) -> FittedWorkload {
    let n = group.connections as f64;
    let counts: Vec<u64> = group.per_server.values().copied().collect();
    let bytes = group.request_bytes + group.response_bytes;
    FittedWorkload {
        name: name.to_string(),
        az: az.to_string(),
        az_id: letters
            .iter()
            .find(|(_, l)| *l == az)
            .map(|(id, _)| id.clone()),
        protocol,
        connections: group.connections,
        rate_per_s: n / window.span_s as f64,
        profile: profile(group, window),
        request: group.request.fit(),
        response: group.response.fit(),
        hold_s: group.hold_s / n,
        destinations: group.per_server.len() as u32,
        zipf_exponent: dist::fit_zipf(&counts),
        endpoint_share: group.aws_service as f64 / n,
        packet_bytes: (bytes as f64 / group.packets.max(1) as f64).clamp(64.0, 9001.0),
        peak_gbps,
        class: None,
    }
}

/// Each hour's rate over the mean rate; empty below two hours.
fn profile(group: &Group, window: &Window) -> Vec<f64> {
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
    for (second, n) in &group.per_second {
        let hour = (second - window.first_s) / HOUR_S;
        counts[(hour % 24) as usize] += *n as f64;
    }
    let mean_rate = group.connections as f64 / window.span_s as f64;
    counts
        .iter()
        .zip(&exposure_s)
        .map(|(count, exposure)| count / exposure / mean_rate)
        .collect()
}

/// Totals over every connection (`all`: every group merged).
fn measure(all: &Group, counts: &Counts, window: &Window) -> Measured {
    let busiest = all
        .per_server
        .iter()
        .map(|(server, n)| (*server, *n))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    const GB: f64 = 1e9;
    Measured {
        records: counts.records,
        connections: all.connections,
        skipped_lines: counts.skipped_lines,
        late_records: counts.late_records,
        request_gb: all.request_bytes as f64 / GB,
        response_gb: all.response_bytes as f64 / GB,
        peak_gbps: all.traffic.peak_gbps(window.first_s),
        peak_new_per_s: all.per_second.values().copied().max().unwrap_or(0),
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
