//! `flow_logs = [...]` in a `[[workload]]`: recorded connections replayed as the workload's
//! arrivals (issue 11, replay).
//!
//! Owns the replay keys (`flow_logs`, `flow_logs_scale`), the keys a replay refuses and why, and
//! the turn of `io::flowlogs` connections into the model's checked, time-sorted [`Replay`]:
//! times from the first record, connections past the scenario's duration dropped and counted,
//! destinations (server address and port) mapped to dense indices. Reads the logs relative to
//! the scenario file's folder; text parsed without a file path cannot name flow logs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use toml::Value;

use super::reader::{self, Check, Result, Section};
use super::{Protocol, ScenarioError};
use crate::io::flowlogs::{self, Connection, FlowLogs, Options};
use crate::model::scenario::{Dropped, Recorded, Replay};
use crate::util::units::NS_PER_S;

/// Workload keys that describe drawn traffic, which a replay takes from the trace instead.
pub(super) const REFUSED: &[(&str, &str)] = &[
    (
        "rate_per_s",
        "the arrivals are the recorded connections' start times",
    ),
    (
        "profile",
        "the arrivals follow the recorded times, hour by hour",
    ),
    ("request_bytes", "each connection sends its recorded bytes"),
    (
        "response_bytes",
        "each connection receives its recorded bytes",
    ),
    (
        "monthly_gb",
        "the traffic is the recorded connections' bytes (flow_logs_scale or scenario.traffic_scale grows it)",
    ),
    ("destinations", "the destinations are the recorded servers"),
    (
        "endpoint_share",
        "each connection's pkt-dst-aws-service says whether it goes to S3 or DynamoDB",
    ),
];

/// Largest `flow_logs_scale`: a hundred times the recorded connections.
const MAX_SCALE: f64 = 100.0;

/// Where replayed flow logs are read from, and the window they are cut to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context<'a> {
    /// The scenario file's folder; `None` for text parsed without a path.
    pub(super) base: Option<&'a Path>,
    pub(super) duration_ns: u64,
    /// Logs already read, shared by a sweep's points; `None` reads them here.
    pub(super) traces: Option<&'a Traces>,
    /// `[scenario] traffic_scale`, which multiplies `flow_logs_scale`.
    pub(super) traffic_scale: f64,
}

/// One read of an unchanged `flow_logs` list.
type Shared = Arc<OnceLock<std::result::Result<Arc<FlowLogs>, String>>>;

/// Flow logs read once and shared by every scenario parsed with it (a sweep's points): keyed by
/// the list of paths, so a point that sweeps `flow_logs_scale` (or anything but the paths) reads
/// nothing again. Points parsed in parallel wait for the first read of the same list.
#[derive(Debug, Default)]
pub(crate) struct Traces {
    read: Mutex<HashMap<Vec<PathBuf>, Shared>>,
}

impl Traces {
    fn get(&self, paths: &[PathBuf]) -> std::result::Result<Arc<FlowLogs>, String> {
        let slot = {
            let mut map = self.read.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(paths.to_vec()).or_default())
        };
        slot.get_or_init(|| read_logs(paths)).clone()
    }
}

fn read_logs(paths: &[PathBuf]) -> std::result::Result<Arc<FlowLogs>, String> {
    flowlogs::read(paths, &Options::default())
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// A replayed workload's trace and the means that stand in for the drawn workload's settings.
pub(super) struct Replayed {
    pub(super) replay: Arc<Replay>,
    /// Expected arrivals a second over the run (recorded × scale ÷ duration).
    pub(super) rate_per_s: f64,
    pub(super) mean_request_bytes: f64,
    pub(super) mean_response_bytes: f64,
    pub(super) endpoint_share: f64,
}

/// Refuses a key of drawn traffic beside `flow_logs`, naming it and why.
pub(super) fn refuse_contradictions(s: &Section<'_>) -> Result<()> {
    for &(key, why) in REFUSED {
        if s.has(key) {
            let problem = format!("{key} cannot be set with flow_logs: {why}");
            let hint =
                format!("remove {key} to replay the logs, or remove flow_logs to draw the traffic");
            return Err(ScenarioError::new(s.path_of(key), problem, hint));
        }
    }
    Ok(())
}

/// Reads `flow_logs` and `flow_logs_scale` and the logs they name.
pub(super) fn read(
    s: &mut Section<'_>,
    protocol: Protocol,
    context: Context<'_>,
) -> Result<Replayed> {
    let path = s.path_of("flow_logs");
    let paths = read_paths(s, context.base)?;
    // The scenario's traffic_scale grows a replay as it grows drawn traffic: more copies.
    let scale = s
        .number("flow_logs_scale", Check::PositiveAtMost(MAX_SCALE))?
        .unwrap_or(1.0)
        * context.traffic_scale;
    let logs = match context.traces {
        Some(traces) => traces.get(&paths),
        None => read_logs(&paths),
    };
    let logs = logs.map_err(|e| {
        let hint = "check the paths (relative to the scenario file's folder) and the files";
        ScenarioError::new(&path, format!("cannot read the flow logs: {e}"), hint)
    })?;
    let (connections, destinations, dropped) =
        recorded(&logs.connections, protocol, context.duration_ns);
    if connections.is_empty() {
        let problem = format!(
            "the flow logs hold no {} connection to replay within the scenario's duration ({} read, {} of another protocol, {} after the duration)",
            protocol_name(protocol),
            logs.connections.len(),
            dropped.other_protocol,
            dropped.outside_duration
        );
        let hint = "check the files, set protocol = \"udp\" for UDP traffic, or lengthen scenario.duration";
        return Err(ScenarioError::new(&path, problem, hint));
    }
    let count = connections.len() as f64;
    let mean = |f: fn(&Recorded) -> f64| connections.iter().map(f).sum::<f64>() / count;
    let replayed = Replayed {
        rate_per_s: count * scale / (context.duration_ns as f64 / NS_PER_S),
        mean_request_bytes: mean(|c| c.request_bytes),
        mean_response_bytes: mean(|c| c.response_bytes),
        endpoint_share: mean(|c| f64::from(u8::from(c.aws_service))),
        replay: Arc::new(Replay::new(connections, destinations, scale, dropped)),
    };
    Ok(replayed)
}

/// `flow_logs`: a non-empty list of files or folders, relative to the scenario's folder.
fn read_paths(s: &mut Section<'_>, base: Option<&Path>) -> Result<Vec<PathBuf>> {
    let path = s.path_of("flow_logs");
    let hint = "list files or folders of flow logs, e.g. flow_logs = [\"logs/\"]";
    let items = match s.raw("flow_logs") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => return Err(ScenarioError::new(&path, "flow_logs is empty", hint)),
        Some(v) => return Err(reader::type_error(&path, v, "a list of paths", hint)),
        None => return Ok(Vec::new()),
    };
    let Some(base) = base else {
        let problem = "flow_logs needs the scenario file's folder to read the logs from, and this scenario was parsed from text without a file path";
        let hint = "run the scenario from its file (natsim run FILE, natsim sweep FILE)";
        return Err(ScenarioError::new(&path, problem, hint));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| reader::as_str(&format!("{path}[{i}]"), v).map(|p| base.join(p)))
        .collect()
}

/// The connections of `protocol` that start before `duration_ns` (times from the first record
/// of any protocol, so a TCP and a UDP workload over the same logs stay aligned), with their
/// destinations numbered in order of first appearance, and what was left out.
fn recorded(
    connections: &[Connection],
    protocol: Protocol,
    duration_ns: u64,
) -> (Vec<Recorded>, u32, Dropped) {
    let number = match protocol {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
    };
    let first_s = connections.iter().map(|c| c.start_s).min().unwrap_or(0);
    let mut order: Vec<&Connection> = connections.iter().collect();
    order.sort_by_key(|c| c.start_s);
    let mut destinations: HashMap<SocketAddr, u32> = HashMap::new();
    let mut dropped = Dropped::default();
    let mut out = Vec::with_capacity(order.len());
    for c in order {
        if c.protocol != number {
            dropped.other_protocol += 1;
            continue;
        }
        let at_ns = (c.start_s - first_s).saturating_mul(NS_PER_S as u64);
        if at_ns >= duration_ns {
            dropped.outside_duration += 1;
            continue;
        }
        let next = destinations.len() as u32;
        let destination = *destinations.entry(c.server).or_insert(next);
        out.push(Recorded {
            at_ns,
            request_bytes: c.request_bytes as f64,
            response_bytes: c.response_bytes as f64,
            destination,
            aws_service: c.service.is_some(),
        });
    }
    (out, destinations.len() as u32, dropped)
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
    }
}

/// One line per replayed workload that left recorded connections out, for stderr.
pub(crate) fn notes(scenario: &super::Scenario) -> Vec<String> {
    scenario
        .workloads
        .iter()
        .filter_map(|w| {
            let replay = w.replay.as_ref()?;
            let dropped = replay.dropped();
            (dropped != Dropped::default()).then(|| {
                format!(
                    "note: workload {} replays {} recorded connections; {} started after the scenario's duration and {} of another protocol were left out",
                    crate::util::echo::quoted(&w.name),
                    replay.connections().len(),
                    dropped.outside_duration,
                    dropped.other_protocol
                )
            })
        })
        .collect()
}
