//! The candidate kinds natsim simulates, and the keys each accepts: the one list of them.
//!
//! Owns [`ALL`], the table from which `kind = "..."` is resolved, the "unknown kind" hint and the
//! "applies to another kind" errors come, and [`Context`], what a kind's reader may consult
//! beyond its own table. Each kind reads its keys in its own module (`nat_gateway`,
//! `nat_instance`, `internet_gateway`, `proxy`); the EC2 instances a NAT instance or a proxy runs
//! on are read once, in `instances` and `failures`. The keys common to every candidate (`name`,
//! `kind`, `az`, `per_az`, `s3_gateway_endpoint`, `interface_endpoints`, `egress_only_igw`) are
//! `candidate.rs`'s. Invariant: a kind's
//! `keys` are exactly the keys its reader asks for (a test checks every kind).

mod failures;
mod instances;
mod internet_gateway;
mod nat_gateway;
mod nat_instance;
mod proxy;

use std::collections::BTreeMap;

use super::reader::{Result, Section};
use super::{Assumption, DeviceConfig, Workload};
use crate::io::catalog::Catalog;

/// One kind of candidate.
pub(super) struct Kind {
    /// Its name in `kind = "..."` and in the outputs' `kind` column.
    pub(crate) name: &'static str,
    /// What it is, in a sentence: "per_az does not apply to an internet gateway".
    pub(crate) noun: &'static str,
    /// The keys its reader asks for, beyond the common ones. When another kind writes one that
    /// only this kind declares, the error names this kind; the list's order decides which of
    /// several such keys is named.
    pub(crate) keys: &'static [&'static str],
    /// The kind whose keys this one accepts as well (a proxy runs on NAT-instance machines).
    pub(crate) base: Option<&'static str>,
    /// Whether it sits in one AZ (`az`, `per_az`); an internet gateway serves the whole region.
    pub(crate) zonal: bool,
    /// Reads its keys into a device configuration and the assumptions behind its defaults.
    pub(crate) read: ReadFn,
}

/// A kind's reader: its keys into a device configuration, with the assumptions behind its
/// defaults.
pub(super) type ReadFn =
    fn(&mut Section<'_>, &Context<'_>) -> Result<(DeviceConfig, Vec<Assumption>)>;

/// Every kind, in the order hints list them.
pub(super) static ALL: [Kind; 4] = [
    Kind {
        name: "nat_gateway",
        noun: "a NAT gateway",
        keys: &[
            "mode",
            "expansion_delay",
            "ips",
            "ports_per_ip",
            "start_gbps",
            "max_gbps",
            "start_mpps",
            "max_mpps",
            "idle_timeout",
            "release_delay",
            "ramp_interval",
            "ramp_step_gbps",
            "ramp_up_utilization",
            "ramp_down_utilization",
            "ramp_down_after",
        ],
        base: None,
        zonal: true,
        read: nat_gateway::read,
    },
    Kind {
        name: "nat_instance",
        noun: "a NAT instance",
        keys: &[
            // failures.rs
            "failover",
            "recovery_time",
            "mtbf",
            "random_failures",
            "pricing",
            // instances.rs
            "instance_type",
            "count",
            "baseline_gbps",
            "burst_gbps",
            "burst_minutes",
            "internet_cap_gbps",
            "pps_limit",
            "conntrack_max",
            "idle_timeout",
            "idle_timeout_udp",
            "release_delay",
            "release_delay_udp",
            "hourly_usd",
            "volume_gb",
            "elastic_ip",
        ],
        base: None,
        zonal: true,
        read: nat_instance::read,
    },
    Kind {
        name: "internet_gateway",
        noun: "an internet gateway",
        keys: &[],
        base: None,
        zonal: false,
        read: internet_gateway::read,
    },
    Kind {
        name: "proxy",
        noun: "a forward proxy",
        keys: &[
            "requests_per_vcpu",
            "dns_cache_hit_ratio",
            "upstream_keepalive",
        ],
        base: Some("nat_instance"),
        zonal: true,
        read: proxy::read,
    },
];

/// What a candidate's defaults depend on beyond its own table.
pub(super) struct Context<'c> {
    pub(crate) catalog: &'c Catalog,
    pub(crate) region: &'c str,
    /// `[prices] instance_usd_per_hour` overrides.
    pub(crate) instance_prices: &'c BTreeMap<String, f64>,
    /// Whether any workload is UDP (only then does the UDP release delay matter).
    pub(crate) any_udp: bool,
    /// The workloads, already checked (an internet gateway's bottlenecks are their clients).
    pub(crate) workloads: &'c [Workload],
}

/// The kind called `name`.
pub(super) fn named(name: &str) -> Option<&'static Kind> {
    ALL.iter().find(|kind| kind.name == name)
}

/// "kinds: nat_gateway, nat_instance, ...".
pub(super) fn list() -> String {
    let names: Vec<&str> = ALL.iter().map(|kind| kind.name).collect();
    format!("kinds: {}", names.join(", "))
}

/// Whether a candidate with this device sits in one AZ (and so can be hit by an AZ outage).
pub(super) fn is_zonal(device: &DeviceConfig) -> bool {
    named(device.kind()).is_some_and(|kind| kind.zonal)
}

impl Kind {
    /// Whether this kind reads `key`: its own keys and its base kind's.
    pub(crate) fn accepts(&self, key: &str) -> bool {
        self.keys.contains(&key) || self.base.and_then(named).is_some_and(|b| b.accepts(key))
    }

    /// A key in `s` that this kind does not read but exactly one other kind declares, with that
    /// kind: what "\"ips\" applies to kind = \"nat_gateway\"" names.
    pub(crate) fn other_kinds_key(&self, s: &Section<'_>) -> Option<(&'static str, &'static Kind)> {
        ALL.iter()
            .filter(|other| other.name != self.name)
            .find_map(|other| {
                let owned = |key: &&str| sole_owner(key).is_some_and(|o| o.name == other.name);
                other
                    .keys
                    .iter()
                    .find(|key| s.has(key) && !self.accepts(key) && owned(key))
                    .map(|key| (*key, other))
            })
    }
}

/// The one kind that declares `key`, if no other does (`idle_timeout` belongs to two).
fn sole_owner(key: &str) -> Option<&'static Kind> {
    let mut owners = ALL.iter().filter(|kind| kind.keys.contains(&key));
    match (owners.next(), owners.next()) {
        (Some(owner), None) => Some(owner),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
