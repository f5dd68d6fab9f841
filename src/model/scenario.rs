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

use crate::model::device::{internet_gateway, nat_gateway, nat_instance, proxy};

/// A checked scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) region: String,
    pub duration_ns: u64,
    pub warmup_ns: u64,
    pub(crate) seed: u64,
    pub(crate) replications: u32,
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
