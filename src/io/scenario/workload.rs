//! `[[workload]]` tables into [`Workload`]s: the traffic each class of clients offers.
//!
//! Owns the workload keys of the scenario contract, their defaults and ranges: arrivals, sizes
//! and holds, protocol and packet sizes, destinations, and the clients' own network (for an
//! internet gateway). Knows nothing of candidates or prices.

use toml::Value;

use super::reader::{self, Check, MAX_GBPS, Quantity, Result, Section};
use super::suggest::unknown_instance_hint;
use super::{Dist, Protocol, ScenarioError, Workload, replay, zone};
use crate::io::catalog::Catalog;
use crate::model::cost::{BYTES_PER_GB, HOURS_PER_MONTH};
use crate::util::echo;

/// AWS's single-flow limit outside a cluster placement group (aws-facts.md §3).
const DEFAULT_RATE_CAP_BPS: f64 = 5e9;
const DEFAULT_REQUEST_BYTES: f64 = 1_000.0;
const DEFAULT_RESPONSE_BYTES: f64 = 10_000.0;
const DEFAULT_PACKET_BYTES: f64 = 1_200.0;
/// Linux's MSS on a 1,500-byte path (the internet's MTU) with TCP timestamps:
/// 1500 − 20 (IP) − 20 (TCP) − 12 (timestamp option).
const DEFAULT_MSS_BYTES: f64 = 1_448.0;
/// TCP segment payload: Linux's floor (TCP_MIN_MSS) to a 9001-byte jumbo frame without options.
const MSS_RANGE_BYTES: (f64, f64) = (88.0, 8_961.0);
/// Most new connections a second one workload may ask for: a billion, far beyond any single
/// egress device, so what is refused is a typo.
const MAX_RATE_PER_S: f64 = 1e9;
/// Largest `monthly_gb`: an exabyte a month, far beyond any egress path, so what is refused is a
/// typo.
const MAX_MONTHLY_GB: f64 = 1e9;
/// Largest hourly multiplier of a profile; a bigger factor belongs in `rate_per_s`.
const MAX_PROFILE_MULTIPLIER: f64 = 1_000.0;
/// Largest Zipf exponent: at 100 every connection already goes to the top destination.
const MAX_ZIPF: f64 = 100.0;
/// Most clients behind one workload; each is simulated as a host of its own.
const MAX_CLIENTS: i64 = 1_000_000;

/// Every `[[workload]]`, checked; at least one, with distinct names.
pub(super) fn read_all(
    sections: Option<Vec<Section<'_>>>,
    catalog: &Catalog,
    region: &str,
    replay: replay::Context<'_>,
) -> Result<Vec<Workload>> {
    let sections = sections.filter(|s| !s.is_empty()).ok_or_else(|| {
        let hint = "add a [[workload]] with rate_per_s, e.g. [[workload]] then rate_per_s = 100";
        ScenarioError::new("workload", "no [[workload]] describes the traffic", hint)
    })?;
    let mut workloads: Vec<Workload> = Vec::with_capacity(sections.len());
    // (AZ ID, zone, index) of each workload replaying one AZ of flow logs.
    let mut replayed_azs: Vec<(String, String, usize)> = Vec::new();
    for (index, mut section) in sections.into_iter().enumerate() {
        let path = section.path().to_string();
        let az_id = section
            .raw("flow_logs_az_id")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let workload = read(section, index, catalog, region, replay)?;
        if let Some(az_id) = az_id {
            one_zone_per_az_id(&replayed_azs, &az_id, &workload.az, &path)?;
            replayed_azs.push((az_id, workload.az.clone(), index));
        }
        if let Some(first) = workloads.iter().position(|w| w.name == workload.name) {
            let problem = format!("duplicate workload name \"{}\"", workload.name);
            let hint =
                format!("workload[{first}] already uses it; give each workload its own name");
            return Err(ScenarioError::new(format!("{path}.name"), problem, hint));
        }
        workloads.push(workload);
    }
    Ok(workloads)
}

/// An AZ ID is one zone of the account, and a zone one AZ ID: two workloads that replay
/// different AZ IDs in one zone (say both in the default `a`) would hide the cross-AZ traffic a
/// per-AZ replay is for, and one AZ ID in two zones would invent some.
fn one_zone_per_az_id(
    earlier: &[(String, String, usize)],
    az_id: &str,
    az: &str,
    path: &str,
) -> Result<()> {
    for (other_id, other_az, other) in earlier {
        let clash = if other_id == az_id && other_az != az {
            format!(
                "workload[{other}] replays AZ ID {} in zone {}, this one in zone {}",
                echo::quoted(az_id),
                echo::quoted(other_az),
                echo::quoted(az)
            )
        } else if other_id != az_id && other_az == az {
            format!(
                "workload[{other}] replays AZ ID {} in zone {}, this one AZ ID {} in the same zone",
                echo::quoted(other_id),
                echo::quoted(az),
                echo::quoted(az_id)
            )
        } else {
            continue;
        };
        let hint = "an AZ ID is one zone: give each flow_logs_az_id its own az, the same for every workload of that ID (`aws ec2 describe-availability-zones` maps IDs to zone names)";
        return Err(ScenarioError::new(
            format!("{path}.az"),
            format!("{clash}; one zone is one AZ ID"),
            hint,
        ));
    }
    Ok(())
}

fn read(
    mut s: Section<'_>,
    index: usize,
    catalog: &Catalog,
    region: &str,
    replay: replay::Context<'_>,
) -> Result<Workload> {
    let name = s
        .name("name")?
        .unwrap_or_else(|| format!("workload{index}"));
    let az = zone::read(&mut s, region)?.unwrap_or_else(|| zone::DEFAULT.to_string());
    let clients = s.int("clients", 1, MAX_CLIENTS)?.unwrap_or(1) as u32;
    if s.has("flow_logs") {
        return read_replayed(s, name, az, clients, catalog, replay);
    }
    for key in ["flow_logs_scale", "flow_logs_az_id"] {
        if s.has(key) {
            let hint =
                format!("add flow_logs = [\"...\"] to replay recorded traffic, or remove {key}");
            return Err(s.error(key, format!("{key} is set but flow_logs is not"), hint));
        }
    }
    let profile = parse_profile(&mut s)?;
    let request_bytes = s
        .dist("request_bytes", Quantity::Size)?
        .unwrap_or(Dist::Constant(DEFAULT_REQUEST_BYTES));
    let response_bytes = s
        .dist("response_bytes", Quantity::Size)?
        .unwrap_or(Dist::Constant(DEFAULT_RESPONSE_BYTES));
    let rate_per_s = parse_rate(
        &mut s,
        &profile,
        request_bytes.mean() + response_bytes.mean(),
    )?;
    let rate_per_s = scaled_rate(&s, rate_per_s, replay.traffic_scale)?;
    let rate_cap_bps = s
        .rate_bps("rate_cap", Check::Positive)?
        .unwrap_or(DEFAULT_RATE_CAP_BPS);
    let hold_s = s
        .dist("hold", Quantity::Duration)?
        .unwrap_or(Dist::Constant(0.0));
    let protocol = parse_protocol(&mut s)?;
    let http = parse_http(&mut s, protocol)?;
    let (destinations, zipf_exponent) = parse_destinations(&mut s)?;
    let (packet_bytes, mss_bytes) = parse_packet_sizes(&mut s, protocol)?;
    let endpoint_share = s.number("endpoint_share", Check::Fraction)?.unwrap_or(0.0);
    let (client_instance_type, client_bps) = parse_client_network(&mut s, catalog)?;
    s.finish()?;
    Ok(Workload {
        name,
        az,
        clients,
        rate_per_s,
        profile,
        request_bytes,
        response_bytes,
        rate_cap_bps,
        hold_s,
        protocol,
        http,
        destinations,
        zipf_exponent,
        packet_bytes,
        mss_bytes,
        endpoint_share,
        client_instance_type,
        client_bps,
        replay: None,
    })
}

/// A workload that replays flow logs: the traffic keys come from the trace, the rest as usual.
fn read_replayed(
    mut s: Section<'_>,
    name: String,
    az: String,
    clients: u32,
    catalog: &Catalog,
    context: replay::Context<'_>,
) -> Result<Workload> {
    replay::refuse_contradictions(&s)?;
    let rate_cap_bps = s
        .rate_bps("rate_cap", Check::Positive)?
        .unwrap_or(DEFAULT_RATE_CAP_BPS);
    let hold_s = s
        .dist("hold", Quantity::Duration)?
        .unwrap_or(Dist::Constant(0.0));
    let protocol = parse_protocol(&mut s)?;
    let http = parse_http(&mut s, protocol)?;
    let (packet_bytes, mss_bytes) = parse_packet_sizes(&mut s, protocol)?;
    let (client_instance_type, client_bps) = parse_client_network(&mut s, catalog)?;
    let replayed = replay::read(&mut s, protocol, context)?;
    s.finish()?;
    Ok(Workload {
        name,
        az,
        clients,
        rate_per_s: replayed.rate_per_s,
        profile: Vec::new(),
        request_bytes: Dist::Constant(replayed.mean_request_bytes),
        response_bytes: Dist::Constant(replayed.mean_response_bytes),
        rate_cap_bps,
        hold_s,
        protocol,
        http,
        destinations: replayed.replay.destinations(),
        zipf_exponent: 1.0,
        packet_bytes,
        mss_bytes,
        endpoint_share: replayed.endpoint_share,
        client_instance_type,
        client_bps,
        replay: Some(replayed.replay),
    })
}

/// `rate_per_s`, or the rate that moves `monthly_gb` in a 730-hour month through the profile
/// with `bytes_per_connection` (request and response means together): exactly one of the two.
fn parse_rate(s: &mut Section<'_>, profile: &[f64], bytes_per_connection: f64) -> Result<f64> {
    let monthly_gb = s
        .number("monthly_gb", Check::PositiveAtMost(MAX_MONTHLY_GB))
        .map_err(|mut e| {
            e.hint = "monthly_gb is the workload's traffic in GB (2^30 bytes) a month, request and response together, e.g. monthly_gb = 25000".into();
            e
        })?;
    let Some(monthly_gb) = monthly_gb.filter(|_| !s.has("rate_per_s")) else {
        let rate_hint = "add rate_per_s, the mean number of new connections per second (rate_per_s = 100), or monthly_gb, the GB a month it moves (monthly_gb = 500)";
        let rate = s.required_number(
            "rate_per_s",
            Check::PositiveAtMost(MAX_RATE_PER_S),
            rate_hint,
        )?;
        if monthly_gb.is_some() {
            let hint = "give one: rate_per_s (new connections a second) or monthly_gb (GB a month, which natsim turns into a rate with request_bytes, response_bytes and profile)";
            return Err(s.error("monthly_gb", "both rate_per_s and monthly_gb are set", hint));
        }
        return Ok(rate);
    };
    if bytes_per_connection <= 0.0 {
        let hint = "give request_bytes or response_bytes a size, or use rate_per_s";
        return Err(s.error(
            "monthly_gb",
            "monthly_gb needs connections that move bytes, but request_bytes and response_bytes both have a mean of 0",
            hint,
        ));
    }
    let profile_mean = month_mean(profile);
    if profile_mean <= 0.0 {
        let hint = "make a multiplier within the first 730 hours greater than 0, or use rate_per_s";
        return Err(s.error(
            "profile",
            "the profile is 0 for the whole first month, so monthly_gb cannot be reached",
            hint,
        ));
    }
    let month_s = HOURS_PER_MONTH * 3600.0;
    let rate = monthly_gb * BYTES_PER_GB / (month_s * profile_mean * bytes_per_connection);
    if rate > MAX_RATE_PER_S {
        let problem = format!(
            "monthly_gb = {monthly_gb} needs {rate:.3e} new connections a second with these sizes, more than {MAX_RATE_PER_S:e}"
        );
        let hint = "check the unit (GB a month) and the sizes: larger request_bytes or response_bytes carry the same GB in fewer connections";
        return Err(s.error("monthly_gb", problem, hint));
    }
    Ok(rate)
}

/// The mean hourly multiplier over a 730-hour month, the profile repeating from hour 0 (1 when
/// there is no profile).
fn month_mean(profile: &[f64]) -> f64 {
    if profile.is_empty() {
        return 1.0;
    }
    let hours = HOURS_PER_MONTH as usize;
    (0..hours).map(|h| profile[h % profile.len()]).sum::<f64>() / hours as f64
}

/// `rate_per_s` times the scenario's `traffic_scale`, within the rate ceiling.
fn scaled_rate(s: &Section<'_>, rate_per_s: f64, traffic_scale: f64) -> Result<f64> {
    let scaled = rate_per_s * traffic_scale;
    if scaled > MAX_RATE_PER_S {
        let problem = format!(
            "scenario.traffic_scale = {traffic_scale} makes this workload's rate {scaled:.3e} new connections a second, more than {MAX_RATE_PER_S:e}"
        );
        let hint =
            "use a smaller traffic_scale, or larger sizes for the same bytes in fewer connections";
        let key = if s.has("rate_per_s") {
            "rate_per_s"
        } else {
            "monthly_gb"
        };
        return Err(s.error(key, problem, hint));
    }
    Ok(scaled)
}

/// Whether an L7 proxy could carry the class: by default, TCP can and UDP cannot.
fn parse_http(s: &mut Section<'_>, protocol: Protocol) -> Result<bool> {
    match (s.boolean("http")?, protocol) {
        (Some(true), Protocol::Udp) => {
            let hint = "HTTP runs over TCP: remove http or set protocol = \"tcp\"";
            Err(s.error("http", "http = true but protocol is \"udp\"", hint))
        }
        (Some(http), _) => Ok(http),
        (None, protocol) => Ok(protocol == Protocol::Tcp),
    }
}

/// The clients' instance type or their flat bandwidth in bits per second (at most one).
fn parse_client_network(
    s: &mut Section<'_>,
    catalog: &Catalog,
) -> Result<(Option<String>, Option<f64>)> {
    let client_instance_type = match s.string("client_instance_type")? {
        Some(name) if catalog.instance(name).is_none() => {
            let problem = format!("unknown instance type {}", echo::quoted(name));
            return Err(s.error(
                "client_instance_type",
                problem,
                unknown_instance_hint(catalog, name),
            ));
        }
        other => other.map(str::to_string),
    };
    let client_bps = s
        .number("client_gbps", Check::PositiveAtMost(MAX_GBPS))?
        .map(|g| g * 1e9);
    if client_instance_type.is_some() && client_bps.is_some() {
        let hint = "give the clients' instance type or their bandwidth, not both";
        return Err(s.error(
            "client_gbps",
            "both client_instance_type and client_gbps are set",
            hint,
        ));
    }
    Ok((client_instance_type, client_bps))
}

/// `(packet_bytes, mss_bytes)`. UDP sends datagrams of `packet_bytes`. TCP sends data segments
/// of `mss_bytes`; a TCP workload may give `packet_bytes` instead (its meaning before natsim
/// counted ACKs: the data packets' size), never both.
fn parse_packet_sizes(s: &mut Section<'_>, protocol: Protocol) -> Result<(f64, f64)> {
    let packet_bytes = s
        .size_bytes("packet_bytes", Check::Between(64.0, 9001.0))
        .map_err(|mut e| {
            e.hint = "packet_bytes is the mean packet size: use 64 to 9001 bytes (9001 is the jumbo-frame MTU)".into();
            e
        })?;
    let (low, high) = MSS_RANGE_BYTES;
    let mss_bytes = s
        .size_bytes("mss_bytes", Check::Between(low, high))
        .map_err(|mut e| {
            e.hint = format!("mss_bytes is the TCP payload per data segment: {DEFAULT_MSS_BYTES} on a 1,500-byte path with timestamps (the internet), up to {high} with 9001-byte jumbo frames; Linux's floor is {low}");
            e
        })?;
    match (protocol, packet_bytes, mss_bytes) {
        (Protocol::Udp, _, Some(_)) => Err(s.error(
            "mss_bytes",
            "mss_bytes is set but protocol is \"udp\"",
            "UDP sends datagrams of packet_bytes: remove mss_bytes or set protocol = \"tcp\"",
        )),
        (Protocol::Tcp, Some(_), Some(_)) => Err(s.error(
            "packet_bytes",
            "both packet_bytes and mss_bytes are set for a TCP workload",
            "for TCP, packet_bytes is the older name of mss_bytes (the data segments' payload): keep mss_bytes and remove packet_bytes",
        )),
        (Protocol::Udp, packet, None) => Ok((packet.unwrap_or(DEFAULT_PACKET_BYTES), DEFAULT_MSS_BYTES)),
        (Protocol::Tcp, packet, mss) => {
            let mss = mss.or(packet).unwrap_or(DEFAULT_MSS_BYTES);
            Ok((mss, mss))
        }
    }
}

/// Hourly multipliers on the arrival rate, repeating; empty when not given.
fn parse_profile(s: &mut Section<'_>) -> Result<Vec<f64>> {
    let items = match s.raw("profile") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(v) => {
            let hint = "give one multiplier per hour, e.g. profile = [1.0, 0.5, 0.5]";
            return Err(reader::type_error(
                &s.path_of("profile"),
                v,
                "an array of numbers",
                hint,
            ));
        }
    };
    let profile = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            reader::number_in(
                &format!("{}[{i}]", s.path_of("profile")),
                v,
                Check::Between(0.0, MAX_PROFILE_MULTIPLIER),
            )
        })
        .collect::<Result<Vec<f64>>>()?;
    if profile.is_empty() {
        let hint = "give one multiplier per hour, e.g. [1.0, 0.5], or remove profile";
        return Err(s.error("profile", "profile is empty", hint));
    }
    if profile.iter().all(|&m| m == 0.0) {
        let hint = "make at least one multiplier greater than 0";
        return Err(s.error(
            "profile",
            "every multiplier is 0, so no connection would ever arrive",
            hint,
        ));
    }
    Ok(profile)
}

fn parse_protocol(s: &mut Section<'_>) -> Result<Protocol> {
    match s.string("protocol")? {
        None | Some("tcp") => Ok(Protocol::Tcp),
        Some("udp") => Ok(Protocol::Udp),
        Some(other) => {
            let problem = format!("unknown protocol {}", echo::quoted(other));
            Err(s.error("protocol", problem, "use \"tcp\" or \"udp\""))
        }
    }
}

/// `destinations = N` or `destinations = { count = N, zipf = s }`.
fn parse_destinations(s: &mut Section<'_>) -> Result<(u32, f64)> {
    const MAX_COUNT: i64 = 10_000_000;
    let path = s.path_of("destinations");
    match s.raw("destinations") {
        None => Ok((1, 1.0)),
        Some(Value::Table(table)) => {
            let mut t = Section::new(path, table);
            let count = t.int("count", 1, MAX_COUNT)?.unwrap_or(1);
            let zipf = t
                .number("zipf", Check::Between(0.0, MAX_ZIPF))?
                .unwrap_or(1.0);
            t.finish()?;
            Ok((count as u32, zipf))
        }
        Some(v @ (Value::Integer(_) | Value::Float(_))) => {
            Ok((reader::int_in(&path, v, 1, MAX_COUNT)? as u32, 1.0))
        }
        Some(v) => {
            let hint = "write a count (destinations = 100) or { count = 100, zipf = 1.0 }";
            Err(reader::type_error(&path, v, "a count or a table", hint))
        }
    }
}
