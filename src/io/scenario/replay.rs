//! `flow_logs = [...]` in a `[[workload]]`: recorded connections replayed as the workload's
//! arrivals (issue 11, replay).
//!
//! Owns the replay keys (`flow_logs`, `flow_logs_scale`, `flow_logs_az_id`), the keys a replay
//! refuses and why, and the turn of `io::flowlogs` connections into the model's checked,
//! time-sorted trace: times from the first record (of any protocol and AZ, so workloads over
//! the same logs stay aligned), the workload's protocol and (with `flow_logs_az_id`) AZ kept,
//! the rest and connections past the scenario's duration dropped and counted, destinations
//! (server address and port) mapped to dense indices in order of first appearance. Reads the
//! logs relative to the scenario file's folder; text parsed without a file path cannot name
//! flow logs.
//!
//! **Per AZ.** `flow_logs_az_id = "use1-az1"` keeps the connections whose `az-id` is that ID, so
//! a multi-AZ trace is replayed as one workload per AZ over the same files, each in its own
//! zone (`az`). Connections without an `az-id` belong to no AZ: such a workload leaves them out
//! and counts them (`Dropped::without_az_id`). An ID no connection has is refused, naming the
//! IDs the logs have. Every workload over one list of files shares one read of it ([`Traces`]).
//!
//! **Memory.** The logs are joined as a stream and sorted on disk (`flowlogs::sorted`); the
//! workload's trace is written to a scratch file ([`TraceFile`], 30 bytes a connection) that
//! every run reads with its own buffer, and removed when the last scenario holding it goes.
//! What stays in memory is the map of distinct destinations (a dense index for each).

use std::collections::HashMap;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use toml::Value;

use super::reader::{self, Check, Result, Section};
use super::{Protocol, ScenarioError};
use crate::io::flowlogs::sorted::{Sorted, Timed};
use crate::io::flowlogs::{LATE_TOLERANCE_S, Options};
use crate::io::spill::{Fields, RecordReader, RecordWriter, SpillDir};
use crate::model::scenario::{Dropped, Recorded, RecordedReader, RecordedTrace, Replay};
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
    /// Logs already read, shared by the scenario's workloads and a sweep's points.
    pub(super) traces: &'a Traces,
    /// `[scenario] traffic_scale`, which multiplies `flow_logs_scale`.
    pub(super) traffic_scale: f64,
}

/// One read of an unchanged `flow_logs` list, or one workload's trace cut from it.
type Shared<T> = Arc<OnceLock<std::result::Result<Arc<T>, String>>>;

/// A workload's trace: which logs, which protocol, which AZ ID (all without one), cut at which
/// duration.
type TraceKey = (Vec<PathBuf>, u8, Option<String>, u64);

/// Flow logs read once and shared by every scenario parsed with it (a sweep's points): keyed by
/// the list of paths, so a point that sweeps `flow_logs_scale` (or anything but the paths) reads
/// nothing again, and each workload's trace keyed by the paths, protocol, AZ ID and duration, so
/// the points share its file too. Points parsed in parallel wait for the first read of the same
/// list. One scenario's workloads over the same list (one per AZ) share its read too: the logs
/// are joined and sorted once, and each workload's cut is one pass over the sorted connections.
#[derive(Debug, Default)]
pub(crate) struct Traces {
    read: Mutex<HashMap<Vec<PathBuf>, Shared<Sorted>>>,
    cut: Mutex<HashMap<TraceKey, Shared<Cut>>>,
}

impl Traces {
    fn get(
        &self,
        paths: &[PathBuf],
        sorted: &Sorted,
        protocol: u8,
        az: Option<(&str, u16)>,
        duration_ns: u64,
    ) -> SharedResult {
        let key = (
            paths.to_vec(),
            protocol,
            az.map(|(id, _)| id.to_string()),
            duration_ns,
        );
        let slot = {
            let mut map = self.cut.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(key).or_default())
        };
        slot.get_or_init(|| {
            cut(sorted, protocol, az.map(|(_, index)| index), duration_ns).map(Arc::new)
        })
        .clone()
    }

    fn sorted(&self, paths: &[PathBuf]) -> std::result::Result<Arc<Sorted>, String> {
        let slot = {
            let mut map = self.read.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(paths.to_vec()).or_default())
        };
        slot.get_or_init(|| read_logs(paths)).clone()
    }
}

type SharedResult = std::result::Result<Arc<Cut>, String>;

fn read_logs(paths: &[PathBuf]) -> std::result::Result<Arc<Sorted>, String> {
    Sorted::read(paths, &Options::default())
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

/// Reads `flow_logs`, `flow_logs_scale` and `flow_logs_az_id` and the logs they name.
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
    let az_id = s.string("flow_logs_az_id")?;
    let number = protocol_number(protocol);
    let sorted = context.traces.sorted(&paths).map_err(|e| {
        let hint = "check the paths (relative to the scenario file's folder) and the files";
        ScenarioError::new(&path, format!("cannot read the flow logs: {e}"), hint)
    })?;
    let az = match az_id {
        Some(id) => Some((id, known_az(s, &sorted, id)?)),
        None => None,
    };
    let cut = context
        .traces
        .get(&paths, &sorted, number, az, context.duration_ns)
        .map_err(|e| {
            let hint = "free space in the temporary folder, or point TMPDIR at a folder with room";
            ScenarioError::new(&path, format!("cannot replay the flow logs: {e}"), hint)
        })?;
    if cut.sums.replayed == 0 {
        let in_az = az_id.map_or(String::new(), |id| {
            format!(
                ", {} in another AZ than {}, {} without az-id",
                cut.dropped.other_az,
                crate::util::echo::quoted(id),
                cut.dropped.without_az_id
            )
        });
        let problem = format!(
            "the flow logs hold no {} connection to replay within the scenario's duration ({} read, {} of another protocol{in_az}, {} after the duration, {} late record(s) left out)",
            protocol_name(protocol),
            cut.read,
            cut.dropped.other_protocol,
            cut.dropped.outside_duration,
            cut.dropped.late_records
        );
        let hint = "check the files, set protocol = \"udp\" for UDP traffic, or lengthen scenario.duration";
        return Err(ScenarioError::new(&path, problem, hint));
    }
    let count = cut.sums.replayed as f64;
    let trace: Arc<dyn RecordedTrace> = Arc::clone(&cut.file) as Arc<dyn RecordedTrace>;
    Ok(Replayed {
        rate_per_s: count * scale / (context.duration_ns as f64 / NS_PER_S),
        mean_request_bytes: cut.sums.request_bytes / count,
        mean_response_bytes: cut.sums.response_bytes / count,
        endpoint_share: cut.sums.aws_service as f64 / count,
        replay: Arc::new(Replay::from_trace(
            trace,
            cut.destinations,
            scale,
            cut.dropped,
        )),
    })
}

/// The index of AZ ID `id` among the logs' ([`Timed::az`](crate::io::flowlogs::sorted)); an ID no
/// connection has is refused, listing the IDs the logs have.
fn known_az(s: &Section<'_>, sorted: &Sorted, id: &str) -> Result<u16> {
    if let Some(index) = sorted.az_of(id) {
        return Ok(index);
    }
    let mut have: Vec<String> = sorted
        .az_ids
        .iter()
        .map(|(known, n)| format!("{} ({n} connections)", crate::util::echo::quoted(known)))
        .collect();
    have.sort();
    let shown = crate::util::echo::quoted(id);
    let (problem, hint) = if have.is_empty() {
        (
            format!(
                "no connection in the flow logs has AZ ID {shown}: the logs carry no az-id ({} connections without one)",
                sorted.without_az_id
            ),
            "remove flow_logs_az_id to replay every connection in this workload's az, or log the az-id field (a custom flow-log format)".to_string(),
        )
    } else {
        (
            format!(
                "no connection in the flow logs has AZ ID {shown}; they have {}{}",
                have.join(", "),
                match sorted.without_az_id {
                    0 => String::new(),
                    n => format!(", and {n} connections without az-id"),
                }
            ),
            "write one of those IDs (an AZ ID like \"use1-az1\", as the logs' az-id field gives it, not a zone name), or remove flow_logs_az_id to replay every connection".to_string(),
        )
    };
    Err(s.error("flow_logs_az_id", problem, hint))
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

/// One workload's trace cut from the sorted logs, on disk, with its sums.
#[derive(Debug)]
struct Cut {
    file: Arc<TraceFile>,
    /// Connections in the logs (every protocol).
    read: u64,
    destinations: u32,
    dropped: Dropped,
    sums: Sums,
}

/// Sums over a trace, in its order.
#[derive(Debug, Default)]
struct Sums {
    replayed: u64,
    request_bytes: f64,
    response_bytes: f64,
    aws_service: u64,
}

/// The connections of `protocol` (IANA number) and, when given, AZ `az` (a [`Timed::az`]) that
/// start before `duration_ns` (times from the first connection of any protocol and AZ, so the
/// workloads over the same logs stay aligned), in time order, with their destinations numbered
/// in order of first appearance, written to a scratch file; and what was left out.
fn cut(
    sorted: &Sorted,
    protocol: u8,
    az: Option<u16>,
    duration_ns: u64,
) -> std::result::Result<Cut, String> {
    let scratch = |e: std::io::Error| {
        format!(
            "cannot write or read a scratch file in {}: {e}; free space there, or point TMPDIR at a folder with room",
            std::env::temp_dir().display()
        )
    };
    let dir = SpillDir::new().map_err(scratch)?;
    let path = dir.file("trace");
    let mut out = RecordWriter::create(&path).map_err(scratch)?;
    let mut first_s = None;
    let mut destinations: HashMap<SocketAddr, u32> = HashMap::new();
    let mut dropped = Dropped {
        late_records: sorted.streamed.counts.late_records,
        ..Dropped::default()
    };
    let mut sums = Sums::default();
    let mut failed = None;
    sorted
        .for_each(|c: &Timed| {
            let first_s = *first_s.get_or_insert(c.start_s);
            if c.protocol != protocol {
                dropped.other_protocol += 1;
                return;
            }
            match az {
                Some(_) if c.az == 0 => {
                    dropped.without_az_id += 1;
                    return;
                }
                Some(az) if c.az != az => {
                    dropped.other_az += 1;
                    return;
                }
                _ => {}
            }
            let at_ns = (c.start_s - first_s).saturating_mul(NS_PER_S as u64);
            if at_ns >= duration_ns {
                dropped.outside_duration += 1;
                return;
            }
            let next = destinations.len() as u32;
            let recorded = Recorded {
                at_ns,
                request_bytes: c.request_bytes as f64,
                response_bytes: c.response_bytes as f64,
                destination: *destinations.entry(c.server).or_insert(next),
                aws_service: c.service.is_some(),
            };
            sums.replayed += 1;
            sums.request_bytes += recorded.request_bytes;
            sums.response_bytes += recorded.response_bytes;
            sums.aws_service += u64::from(recorded.aws_service);
            if failed.is_none() {
                failed = out.write(|bytes| encode(&recorded, bytes)).err();
            }
        })
        .map_err(scratch)?;
    if let Some(e) = failed {
        return Err(scratch(e));
    }
    out.finish().map_err(scratch)?;
    let file = TraceFile {
        file: File::open(&path).map_err(scratch)?,
        path,
        len: sums.replayed as usize,
        _dir: dir,
    };
    Ok(Cut {
        file: Arc::new(file),
        read: sorted.streamed.counts.connections,
        destinations: destinations.len() as u32,
        dropped,
        sums,
    })
}

/// Bytes of a recorded connection in the trace file: its length byte, time (ns), request and
/// response bytes (f64), destination, S3/DynamoDB flag; the destination of connection `i`
/// is at `i × RECORD + DESTINATION_AT`.
const RECORD: u64 = 1 + 8 + 8 + 8 + 4 + 1;
const DESTINATION_AT: u64 = 1 + 8 + 8 + 8;

fn encode(c: &Recorded, out: &mut Vec<u8>) {
    out.extend_from_slice(&c.at_ns.to_le_bytes());
    out.extend_from_slice(&c.request_bytes.to_le_bytes());
    out.extend_from_slice(&c.response_bytes.to_le_bytes());
    out.extend_from_slice(&c.destination.to_le_bytes());
    out.push(u8::from(c.aws_service));
}

fn decode(bytes: &[u8]) -> Recorded {
    let mut f = Fields::new(bytes);
    Recorded {
        at_ns: u64::from_le_bytes(f.array()),
        request_bytes: f64::from_le_bytes(f.array()),
        response_bytes: f64::from_le_bytes(f.array()),
        destination: u32::from_le_bytes(f.array()),
        aws_service: f.byte() != 0,
    }
}

/// A workload's trace in a scratch file (removed with the last handle on its folder), read by
/// each run through its own buffer.
#[derive(Debug)]
struct TraceFile {
    path: PathBuf,
    /// Kept open for the copies' random reads of a destination.
    file: File,
    len: usize,
    /// The scratch folder, removed when the last run's scenario lets go of the trace.
    _dir: Arc<SpillDir>,
}

impl TraceFile {
    /// A failure to read back a file natsim wrote moments ago (deleted, or the disk failed)
    /// is not the user's input: the run stops with what happened.
    fn failed(&self, e: &std::io::Error) -> ! {
        panic!(
            "cannot read the replay's scratch file {}: {e}",
            self.path.display()
        )
    }
}

impl RecordedTrace for TraceFile {
    fn len(&self) -> usize {
        self.len
    }

    fn reader(&self) -> Box<dyn RecordedReader> {
        match RecordReader::open(&self.path) {
            Ok(reader) => Box::new(TraceReader {
                reader,
                path: self.path.clone(),
            }),
            Err(e) => self.failed(&e),
        }
    }

    fn destination(&self, index: usize) -> u32 {
        use std::os::unix::fs::FileExt;
        let mut bytes = [0u8; 4];
        let at = index as u64 * RECORD + DESTINATION_AT;
        match self.file.read_exact_at(&mut bytes, at) {
            Ok(()) => u32::from_le_bytes(bytes),
            Err(e) => self.failed(&e),
        }
    }
}

struct TraceReader {
    reader: RecordReader,
    path: PathBuf,
}

impl RecordedReader for TraceReader {
    fn next(&mut self) -> Option<Recorded> {
        match self.reader.next() {
            Ok(bytes) => bytes.map(decode),
            Err(e) => panic!(
                "cannot read the replay's scratch file {}: {e}",
                self.path.display()
            ),
        }
    }
}

fn protocol_number(protocol: Protocol) -> u8 {
    match protocol {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
    }
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
                let mut note = format!(
                    "note: workload {} replays {} recorded connections; {} started after the scenario's duration and {} of another protocol were left out",
                    crate::util::echo::quoted(&w.name),
                    replay.len(),
                    dropped.outside_duration,
                    dropped.other_protocol
                );
                if dropped.other_az + dropped.without_az_id > 0 {
                    note += &format!(
                        "; flow_logs_az_id left out {} of other AZs and {} without an az-id",
                        dropped.other_az, dropped.without_az_id
                    );
                }
                if dropped.late_records > 0 {
                    note += &format!(
                        "; {} flow-log record(s) started more than {LATE_TOLERANCE_S} s before records read earlier and were left out (files overlapping in time: natsim reads files in the order of their first record)",
                        dropped.late_records
                    );
                }
                note
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::flowlogs::read;
    use crate::io::flowlogs::sorted::tests::mixed_logs;

    /// The trace as it was built in memory before it streamed (issue 11): every connection of
    /// `protocol` sorted by start, timed from the first connection, cut at the duration, the
    /// destinations numbered in order of first appearance.
    fn in_memory(
        paths: &[PathBuf],
        protocol: u8,
        duration_ns: u64,
    ) -> (Vec<Recorded>, u32, Dropped) {
        let connections = read(paths, &Options::default()).unwrap().connections;
        let first_s = connections.iter().map(|c| c.start_s).min().unwrap();
        let mut destinations: HashMap<SocketAddr, u32> = HashMap::new();
        let mut dropped = Dropped::default();
        let mut out = Vec::new();
        for c in &connections {
            let at_ns = (c.start_s - first_s) * NS_PER_S as u64;
            if c.protocol != protocol {
                dropped.other_protocol += 1;
            } else if at_ns >= duration_ns {
                dropped.outside_duration += 1;
            } else {
                let next = destinations.len() as u32;
                out.push(Recorded {
                    at_ns,
                    request_bytes: c.request_bytes as f64,
                    response_bytes: c.response_bytes as f64,
                    destination: *destinations.entry(c.server).or_insert(next),
                    aws_service: c.service.is_some(),
                });
            }
        }
        (out, destinations.len() as u32, dropped)
    }

    /// Three per-AZ workloads and an unfiltered one over the same logs: one read of the logs,
    /// one trace per AZ ID, and each AZ's connections in its own trace.
    #[test]
    fn workloads_over_the_same_logs_share_one_read() {
        let dir = SpillDir::new().unwrap();
        let mut text = String::from(
            "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status az-id\n",
        );
        for i in 0..30u64 {
            let az = ["use1-az1", "use1-az2", "use1-az3"][(i % 3) as usize];
            let at = 1_700_000_000 + i;
            text += &format!(
                "2 eni-1 10.0.0.{i} 198.51.100.1 {port} 443 6 1 100 {at} {end} ACCEPT OK {az}\n",
                port = 30_000 + i,
                end = at + 1
            );
        }
        std::fs::write(dir.file("egress.log"), text).unwrap();
        let mut scenario = String::from(
            "[scenario]\nname = \"t\"\nduration = \"1h\"\n[[candidate]]\nname = \"gw\"\nkind = \"nat_gateway\"\n",
        );
        for (az, id) in [("a", "use1-az1"), ("b", "use1-az2"), ("c", "use1-az3")] {
            scenario += &format!(
                "[[workload]]\nname = \"{az}\"\naz = \"{az}\"\nflow_logs = [\"egress.log\"]\nflow_logs_az_id = \"{id}\"\n"
            );
        }
        scenario += "[[workload]]\nname = \"all\"\nflow_logs = [\"egress.log\"]\n";
        let traces = Traces::default();
        let parsed = super::super::parse::parse_scenario_shared(
            &scenario,
            "t.toml",
            Some(dir.path()),
            crate::io::catalog::Catalog::embedded(),
            &traces,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(traces.read.lock().unwrap().len(), 1, "one read of the logs");
        assert_eq!(
            traces.cut.lock().unwrap().len(),
            4,
            "a trace per AZ ID, and the whole"
        );
        let lengths: Vec<usize> = parsed
            .workloads
            .iter()
            .map(|w| w.replay.as_ref().unwrap().len())
            .collect();
        assert_eq!(lengths, [10, 10, 10, 30]);
    }

    #[test]
    fn the_trace_on_disk_is_the_trace_that_was_held_in_memory() {
        let dir = SpillDir::new().unwrap();
        let path = dir.file("mixed.log");
        std::fs::write(&path, mixed_logs(3_000)).unwrap();
        let paths = [path];
        let sorted = Sorted::read(&paths, &Options::default()).unwrap();
        for (protocol, duration_s) in [(6u8, 3_600u64), (17, 86_400)] {
            let duration_ns = duration_s * NS_PER_S as u64;
            let (expected, destinations, dropped) = in_memory(&paths, protocol, duration_ns);
            let cut = cut(&sorted, protocol, None, duration_ns).unwrap();
            assert_eq!((cut.destinations, cut.dropped), (destinations, dropped));
            assert_eq!(cut.file.len(), expected.len());
            let mut reader = cut.file.reader();
            let got: Vec<Recorded> = std::iter::from_fn(|| reader.next()).collect();
            assert_eq!(got, expected, "protocol {protocol}");
            for (i, c) in expected.iter().enumerate() {
                assert_eq!(cut.file.destination(i), c.destination);
            }
            let sum: f64 = expected.iter().map(|c| c.request_bytes).sum();
            assert_eq!(cut.sums.request_bytes.to_bits(), sum.to_bits());
        }
    }
}
