//! The validated scenario: what the user asked natsim to simulate, in the types the model runs.
//!
//! Owns the typed, checked form of a scenario file (`Scenario`, `Workload`, `Candidate`,
//! `DeviceConfig`, ...). Parsing lives a layer up, in `io::scenario`, which reads TOML text,
//! walks it with key paths, resolves catalog defaults and returns these types or an error naming
//! the file, key path, problem and fix. The types sit in the model so that the devices, the
//! workload and the simulation can take them without importing the parser.
//!
//! Invariant: every value in these types has been range-checked; downstream code never sees an
//! unvalidated value and never needs to re-check (durations > 0, rates finite and ≥ 0, ...).

pub(crate) use crate::model::device::Protocol;
pub(crate) use crate::model::objectives::Slo;

use crate::engine::Nanos;
use crate::model::device::{internet_gateway, nat_gateway, nat_instance, proxy};
use std::sync::Arc;

/// A checked scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) region: String,
    pub duration_ns: u64,
    pub warmup_ns: u64,
    pub(crate) seed: u64,
    pub(crate) replications: u32,
    /// `[scenario] traffic_scale`: every workload's traffic is multiplied by it (already applied
    /// to the workloads' rates and replay scales; kept to be reported).
    pub(crate) traffic_scale: f64,
    pub slo: Slo,
    pub(crate) prices: crate::model::cost::Prices,
    pub(crate) workloads: Vec<Workload>,
    pub candidates: Vec<Candidate>,
    /// Scheduled AZ outages (`[[event]] kind = "az_outage"`).
    pub(crate) az_outages: Vec<AzOutage>,
    /// The file has a `[sweep]` table (which `natsim run` does not apply).
    pub has_sweep: bool,
}

/// An AZ down from `at_ns` for `for_ns`: devices there fail, clients there stop.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AzOutage {
    pub(crate) az: String,
    pub(crate) at_ns: u64,
    pub(crate) for_ns: u64,
}

impl AzOutage {
    pub(crate) fn covers(&self, now: u64) -> bool {
        now >= self.at_ns && now - self.at_ns < self.for_ns
    }
}

/// A random quantity (bytes for sizes, seconds for durations) with a given mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dist {
    Constant(f64),
    Exponential {
        mean: f64,
    },
    /// Lognormal with the given mean and coefficient of variation (std dev / mean).
    LogNormal {
        mean: f64,
        cv: f64,
    },
    /// Pareto (type I) with the given mean and shape α > 1; the scale is mean·(α−1)/α.
    Pareto {
        mean: f64,
        shape: f64,
    },
}

impl Dist {
    pub(crate) fn mean(&self) -> f64 {
        match *self {
            Dist::Constant(value) => value,
            Dist::Exponential { mean }
            | Dist::LogNormal { mean, .. }
            | Dist::Pareto { mean, .. } => mean,
        }
    }
}

/// One traffic class.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    pub(crate) name: String,
    pub(crate) az: String,
    pub(crate) clients: u32,
    /// Mean Poisson arrival rate of new connections, before the hourly profile.
    pub(crate) rate_per_s: f64,
    /// Hourly multipliers applied to `rate_per_s`, repeating; empty means flat.
    pub(crate) profile: Vec<f64>,
    pub(crate) request_bytes: Dist,
    pub(crate) response_bytes: Dist,
    /// Per-connection ceiling in bits per second (the far end, AWS's single-flow limit).
    pub(crate) rate_cap_bps: f64,
    /// Idle time after the transfer before the client closes, in seconds.
    pub(crate) hold_s: Dist,
    pub(crate) protocol: Protocol,
    /// Whether an L7 proxy could carry this class.
    pub(crate) http: bool,
    pub(crate) destinations: u32,
    pub(crate) zipf_exponent: f64,
    /// Mean payload per packet: UDP's datagrams; for TCP the same as `mss_bytes`.
    pub(crate) packet_bytes: f64,
    /// TCP payload per data segment (ACKs and handshakes are counted on top; see
    /// `fluid::PacketModel`). Unused for UDP.
    pub(crate) mss_bytes: f64,
    /// Fraction of connections bound for S3 or DynamoDB in the region (a gateway endpoint can
    /// carry them for free).
    pub(crate) endpoint_share: f64,
    /// The client instances' type, for an internet gateway (each client is its own bottleneck).
    pub(crate) client_instance_type: Option<String>,
    /// Or their bandwidth, flat, in bits per second.
    pub(crate) client_bps: Option<f64>,
    /// A replayed workload's recorded connections (`flow_logs`), shared by every run; `None`
    /// for drawn traffic. When set, the arrivals, sizes, destinations and S3/DynamoDB flags come
    /// from the trace, and `rate_per_s`, `request_bytes`, `response_bytes`, `destinations` and
    /// `endpoint_share` hold the trace's means (for estimates, packet sizes and failover
    /// shares).
    pub(crate) replay: Option<Arc<Replay>>,
}

/// One egress option the user weighs.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    pub(crate) az: String,
    pub(crate) device: DeviceConfig,
    /// Traffic to S3/DynamoDB goes through a free gateway endpoint instead of the device.
    pub(crate) s3_gateway_endpoint: bool,
    /// One device in every AZ that has clients, instead of one in `az`.
    pub(crate) per_az: bool,
    /// Defaults this candidate rests on where AWS publishes nothing (key, value, why).
    pub assumptions: Vec<Assumption>,
}

#[derive(Debug, Clone)]
pub(crate) enum DeviceConfig {
    NatGateway(nat_gateway::Config),
    NatInstance(nat_instance::Config),
    InternetGateway(internet_gateway::Config),
    Proxy(proxy::Config),
}

impl DeviceConfig {
    /// The EC2 instances an instance-based device runs on (a NAT instance, or a proxy's).
    pub(crate) fn instance(&self) -> Option<&nat_instance::Config> {
        match self {
            DeviceConfig::NatInstance(c) => Some(c),
            DeviceConfig::Proxy(c) => Some(&c.instance),
            DeviceConfig::NatGateway(_) | DeviceConfig::InternetGateway(_) => None,
        }
    }

    pub(crate) fn instance_mut(&mut self) -> Option<&mut nat_instance::Config> {
        match self {
            DeviceConfig::NatInstance(c) => Some(c),
            DeviceConfig::Proxy(c) => Some(&mut c.instance),
            DeviceConfig::NatGateway(_) | DeviceConfig::InternetGateway(_) => None,
        }
    }

    /// The kind's name, as `kind = "..."` spells it in the kind table (`kinds::ALL`); a test
    /// checks that the two agree.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            DeviceConfig::NatGateway(_) => "nat_gateway",
            DeviceConfig::NatInstance(_) => "nat_instance",
            DeviceConfig::InternetGateway(_) => "internet_gateway",
            DeviceConfig::Proxy(_) => "proxy",
        }
    }
}

/// A default that is natsim's assumption, not an AWS figure, recorded so that outputs can say
/// which assumptions a result rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumption {
    /// The scenario key that overrides it, e.g. `burst_minutes`.
    pub key: String,
    /// The value used, as text with its unit.
    pub value: String,
    /// Why this value (one short sentence).
    pub(crate) basis: String,
}

/// One recorded connection to replay, as the scenario parser hands it over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Recorded {
    /// Arrival time from the start of the run (the trace's first record arrives at 0).
    pub(crate) at_ns: Nanos,
    pub(crate) request_bytes: f64,
    pub(crate) response_bytes: f64,
    /// Index among the trace's distinct destinations (`0..destinations`).
    pub(crate) destination: u32,
    pub(crate) aws_service: bool,
}

/// Where a replayed workload's recorded connections come from, in arrival order. The model
/// reads no file: io hands it a trace on disk (a scratch file read through a buffer, so a run
/// holds a buffer, not the trace); the model's own tests use [`Replay::new`]'s, in memory.
pub(crate) trait RecordedTrace: Send + Sync {
    /// How many connections the trace holds.
    fn len(&self) -> usize;
    /// A reader from the first connection; each run walks the trace with its own.
    fn reader(&self) -> Box<dyn RecordedReader>;
    /// The destination of connection `index` (a scaled replay's copies borrow a random
    /// connection's).
    fn destination(&self, index: usize) -> u32;
}

/// One walk over a [`RecordedTrace`], in arrival order.
pub(crate) trait RecordedReader: Send {
    fn next(&mut self) -> Option<Recorded>;
}

/// A recorded trace, checked: sorted by arrival time, destinations dense, bytes finite and
/// non-negative. Shared by every candidate and replication (`Arc`); each run reads it through
/// its own [`RecordedReader`], so memory is the trace's source (on disk, for a replay of flow
/// logs) plus a buffer a run.
#[derive(Clone)]
pub(crate) struct Replay {
    trace: Arc<dyn RecordedTrace>,
    destinations: u32,
    /// `flow_logs_scale`: each recorded connection arrives ⌊scale⌋ times, plus once more with
    /// probability scale − ⌊scale⌋.
    scale: f64,
    dropped: Dropped,
}

/// What a trace held that its workload does not replay (counted, so a report can say so).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// Started at or after the scenario's duration (timed from the first record).
    pub(crate) outside_duration: u64,
    /// Of another protocol than the workload's.
    pub(crate) other_protocol: u64,
    /// Of the workload's protocol, in another AZ than the one it replays
    /// (`flow_logs_az_id`).
    pub(crate) other_az: u64,
    /// Of the workload's protocol, without an `az-id`, when it replays one AZ.
    pub(crate) without_az_id: u64,
    /// Flow-log records the reader left out as late (out of time order by more than its
    /// tolerance).
    pub(crate) late_records: u64,
}

impl Replay {
    /// A trace held in memory: sorts `connections` by time (stably: equal times keep their
    /// order). Destinations at or above `destinations`, negative or non-finite bytes and a
    /// scale that is not positive and finite are the parser's to refuse; here they are clamped
    /// so a run never panics.
    #[cfg(test)]
    pub(crate) fn new(
        mut connections: Vec<Recorded>,
        destinations: u32,
        scale: f64,
        dropped: Dropped,
    ) -> Self {
        let destinations = destinations.max(1);
        for c in &mut connections {
            c.destination = c.destination.min(destinations - 1);
            c.request_bytes = finite_bytes(c.request_bytes);
            c.response_bytes = finite_bytes(c.response_bytes);
        }
        connections.sort_by_key(|c| c.at_ns);
        Replay::from_trace(
            Arc::new(InMemory(Arc::new(connections))),
            destinations,
            scale,
            dropped,
        )
    }

    /// A trace from elsewhere (io's file), already checked by whoever wrote it: in time order,
    /// destinations below `destinations`, bytes finite and non-negative.
    pub(crate) fn from_trace(
        trace: Arc<dyn RecordedTrace>,
        destinations: u32,
        scale: f64,
        dropped: Dropped,
    ) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Replay {
            trace,
            destinations: destinations.max(1),
            scale,
            dropped,
        }
    }

    pub(crate) fn dropped(&self) -> Dropped {
        self.dropped
    }

    pub(crate) fn trace(&self) -> &Arc<dyn RecordedTrace> {
        &self.trace
    }

    /// Recorded connections in the trace.
    pub(crate) fn len(&self) -> usize {
        self.trace.len()
    }

    pub(crate) fn destinations(&self) -> u32 {
        self.destinations
    }

    pub(crate) fn scale(&self) -> f64 {
        self.scale
    }
}

/// A trace in memory, for the model's tests.
#[cfg(test)]
struct InMemory(Arc<Vec<Recorded>>);

#[cfg(test)]
impl RecordedTrace for InMemory {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn reader(&self) -> Box<dyn RecordedReader> {
        Box::new(InMemoryReader(Arc::clone(&self.0), 0))
    }

    fn destination(&self, index: usize) -> u32 {
        self.0[index].destination
    }
}

#[cfg(test)]
struct InMemoryReader(Arc<Vec<Recorded>>, usize);

#[cfg(test)]
impl RecordedReader for InMemoryReader {
    fn next(&mut self) -> Option<Recorded> {
        let c = self.0.get(self.1).copied();
        self.1 += 1;
        c
    }
}

#[cfg(test)]
fn finite_bytes(bytes: f64) -> f64 {
    if bytes.is_finite() {
        bytes.max(0.0)
    } else {
        0.0
    }
}

/// A trace printed in a `Debug` of the scenario: its size, not every connection.
impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("connections", &self.trace.len())
            .field("destinations", &self.destinations)
            .field("scale", &self.scale)
            .field("dropped", &self.dropped)
            .finish()
    }
}
