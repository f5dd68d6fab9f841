//! One `[[candidate]]` table into a [`Candidate`]: its kind's keys, ranges and catalog defaults.
//!
//! Owns the per-kind part of the scenario contract (`nat_gateway`, `nat_instance`) and the list of
//! assumptions each candidate rests on: every default whose catalog source says "assumed" and
//! that the user did not override. Converts Gbps to bits per second and seconds to nanoseconds;
//! the device models get only checked, base-unit values.

use std::collections::BTreeMap;

use super::reader::{Check, Result, Section};
use super::{DEFAULT_AZ, checked_name, parse_az, unknown_instance_hint};
use crate::catalog::{Catalog, InstanceType, PriceBasis, REFERENCE_REGION};
use crate::device::{nat_gateway, nat_instance};
use crate::echo;
use crate::scenario::{Assumption, Candidate, DeviceConfig};
use crate::units::seconds_to_ns;

/// What a candidate's defaults depend on beyond its own table.
pub(super) struct Context<'c> {
    pub catalog: &'c Catalog,
    pub region: &'c str,
    /// `[prices] instance_usd_per_hour` overrides.
    pub instance_prices: &'c BTreeMap<String, f64>,
    /// Whether any workload is UDP (only then does the UDP release delay matter).
    pub any_udp: bool,
    /// The workloads, already checked (an internet gateway's bottlenecks are their clients).
    pub workloads: &'c [crate::scenario::Workload],
}

/// Ceiling of every Gbps key: 100 Tbps, as for rates written with a unit (`units::MAX_RATE_BPS`).
pub(super) const MAX_GBPS: f64 = 100_000.0;
/// Ceiling of the Mpps keys: a trillion packets a second.
const MAX_MPPS: f64 = 1_000_000.0;
/// Ceiling of `pps_limit`, the same trillion packets a second.
const MAX_PPS: f64 = 1e12;
/// Ceiling of `requests_per_vcpu`: a billion requests a second per vCPU.
const MAX_REQUESTS_PER_VCPU: f64 = 1e9;
/// Ceiling of `burst_minutes`: a year of minutes; a bucket that lasts longer never runs dry.
const MAX_BURST_MINUTES: f64 = 525_960.0;
/// Ceiling of an hourly price: a million dollars an hour is a typo, not an instance.
pub(super) const MAX_USD: f64 = 1e6;

const BUILT_KINDS: [&str; 4] = ["nat_gateway", "nat_instance", "internet_gateway", "proxy"];
const IPS_HINT: &str = "AWS allows 1 primary + 7 secondary IPs per NAT gateway; for more, add another NAT gateway candidate";

pub(super) fn parse_candidate(mut s: Section<'_>, context: &Context<'_>) -> Result<Candidate> {
    let name = s.required_string(
        "name",
        "add name = \"natgw\"; it labels this candidate's rows",
    )?;
    let name = checked_name(&s, "name", name)?;
    let kind_hint = "add kind = \"nat_gateway\" or kind = \"nat_instance\"";
    let kind = s.required_string("kind", kind_hint)?;
    let given_az = parse_az(&mut s, context.region)?;
    let (device, mut assumptions) = match kind {
        "nat_gateway" => nat_gateway(&mut s, context)?,
        "nat_instance" => nat_instance(&mut s, context)?,
        "internet_gateway" => internet_gateway(context),
        "proxy" => proxy(&mut s, context)?,
        other => return Err(unknown_kind(&s, other)),
    };
    let s3_gateway_endpoint = s.boolean("s3_gateway_endpoint")?.unwrap_or(false);
    let per_az = s.boolean("per_az")?.unwrap_or(false);
    if per_az && kind == "internet_gateway" {
        let hint = "remove per_az: an internet gateway already serves every AZ";
        return Err(s.error(
            "per_az",
            "per_az does not apply to an internet gateway",
            hint,
        ));
    }
    wrong_kind_keys(&s, kind)?;
    s.finish()?;
    if given_az.is_none() && kind != "internet_gateway" && !per_az {
        assumptions.extend(default_az_note(context.workloads));
    }
    Ok(Candidate {
        name,
        az: given_az.unwrap_or_else(|| DEFAULT_AZ.to_string()),
        device,
        s3_gateway_endpoint,
        per_az,
        assumptions,
    })
}

/// When a candidate without `az` sits in the default zone while clients sit elsewhere, the
/// cross-AZ bill comes from a default nobody wrote: say so among its assumptions, which the
/// printed report, summary.csv and report.html all show.
fn default_az_note(workloads: &[crate::scenario::Workload]) -> Option<Assumption> {
    let mut elsewhere: Vec<&str> = workloads
        .iter()
        .map(|w| w.az.as_str())
        .filter(|az| *az != DEFAULT_AZ)
        .collect();
    elsewhere.sort_unstable();
    elsewhere.dedup();
    if elsewhere.is_empty() {
        return None;
    }
    Some(Assumption {
        key: "az".to_string(),
        value: DEFAULT_AZ.to_string(),
        basis: format!(
            "az not given, so the default; clients in {} cross AZs to reach it and pay cross-AZ \
             transfer: set az, or per_az = true",
            elsewhere.join(", ")
        ),
    })
}

/// Keys only one kind accepts, so a key of the other kind gets a pointed message.
const NAT_GATEWAY_ONLY: [&str; 13] = [
    "mode",
    "expansion_delay",
    "ips",
    "ports_per_ip",
    "start_gbps",
    "max_gbps",
    "start_mpps",
    "max_mpps",
    "ramp_interval",
    "ramp_step_gbps",
    "ramp_up_utilization",
    "ramp_down_utilization",
    "ramp_down_after",
];
const NAT_INSTANCE_ONLY: [&str; 16] = [
    "failover",
    "recovery_time",
    "mtbf",
    "random_failures",
    "pricing",
    "instance_type",
    "count",
    "baseline_gbps",
    "burst_gbps",
    "burst_minutes",
    "internet_cap_gbps",
    "pps_limit",
    "conntrack_max",
    "idle_timeout_udp",
    "release_delay_udp",
    "hourly_usd",
];

const PROXY_ONLY: [&str; 3] = [
    "requests_per_vcpu",
    "dns_cache_hit_ratio",
    "upstream_keepalive",
];

fn wrong_kind_keys(s: &Section<'_>, kind: &str) -> Result<()> {
    let others: &[(&str, &[&str])] = match kind {
        "nat_gateway" => &[("nat_instance", &NAT_INSTANCE_ONLY), ("proxy", &PROXY_ONLY)],
        "nat_instance" => &[("nat_gateway", &NAT_GATEWAY_ONLY), ("proxy", &PROXY_ONLY)],
        "proxy" => &[("nat_gateway", &NAT_GATEWAY_ONLY)],
        _ => &[
            ("nat_gateway", &NAT_GATEWAY_ONLY),
            ("nat_instance", &NAT_INSTANCE_ONLY),
            ("proxy", &PROXY_ONLY),
        ],
    };
    let found = others
        .iter()
        .find_map(|(other, keys)| keys.iter().find(|key| s.has(key)).map(|key| (*other, *key)));
    match found {
        Some((other_kind, key)) => {
            let problem = format!("\"{key}\" applies to kind = \"{other_kind}\", not \"{kind}\"");
            Err(s.error(key, problem, format!("remove {key} or change kind")))
        }
        None => Ok(()),
    }
}

fn unknown_kind(s: &Section<'_>, kind: &str) -> crate::scenario::ScenarioError {
    let known = BUILT_KINDS.iter().copied();
    let closest = crate::catalog::closest(kind, known, 1);
    let list = "kinds: nat_gateway, nat_instance, internet_gateway, proxy";
    let hint = match closest.first() {
        Some(best) if crate::catalog::edit_distance(kind, best) <= 3 => {
            format!("did you mean \"{best}\"? {list}")
        }
        _ => list.to_string(),
    };
    s.error("kind", format!("unknown kind {}", echo::quoted(kind)), hint)
}

/// Collects the assumptions behind defaults the user left alone.
struct Assumptions(Vec<Assumption>);

impl Assumptions {
    /// Records `key = value` when the user did not set it and `basis` marks it an assumption.
    fn note(
        &mut self,
        key: &str,
        overridden: bool,
        basis: Option<&str>,
        value: impl FnOnce() -> String,
    ) {
        if let (false, Some(basis)) = (overridden, basis) {
            self.0.push(Assumption {
                key: key.to_string(),
                value: value(),
                basis: basis.to_string(),
            });
        }
    }
}

fn nat_gateway(
    s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let d = &context.catalog.nat_gateway;
    let ips = s.int("ips", 1, 8).map_err(|mut e| {
        if e.problem.contains("between") {
            e.hint = IPS_HINT.to_string();
        }
        e
    })?;
    let ports_per_ip = s.int("ports_per_ip", 1, 64_512)?;
    let (start_gbps, max_gbps) = ordered(
        s,
        ("start_gbps", d.start_gbps),
        ("max_gbps", d.max_gbps),
        MAX_GBPS,
    )?;
    let (start_mpps, max_mpps) = ordered(
        s,
        ("start_mpps", d.start_mpps),
        ("max_mpps", d.max_mpps),
        MAX_MPPS,
    )?;
    let idle_timeout_s = s
        .duration_s("idle_timeout", Check::Positive)?
        .unwrap_or(d.idle_timeout_s);
    let release_delay = s.duration_s("release_delay", Check::NonNegative)?;
    let ramp_interval = s.duration_s("ramp_interval", Check::Positive)?;
    let ramp_step = s.number("ramp_step_gbps", Check::PositiveAtMost(MAX_GBPS))?;
    let ramp_up = s.number("ramp_up_utilization", Check::PositiveFraction)?;
    let ramp_down = s.number("ramp_down_utilization", Check::Fraction)?;
    let ramp_down_after = s.duration_s("ramp_down_after", Check::NonNegative)?;
    let regional = match s.string("mode")? {
        None | Some("zonal") => false,
        Some("regional") => true,
        Some(other) => {
            let problem = format!("unknown mode {}", echo::quoted(other));
            return Err(s.error(
                "mode",
                problem,
                "use mode = \"zonal\" (default) or \"regional\"",
            ));
        }
    };
    let expansion = s.duration_s("expansion_delay", Check::NonNegative)?;
    if expansion.is_some() && !regional {
        let hint = "set mode = \"regional\", or remove expansion_delay";
        return Err(s.error(
            "expansion_delay",
            "expansion_delay applies to a regional NAT gateway",
            hint,
        ));
    }

    let up = ramp_up.unwrap_or(d.ramp_up_utilization);
    let down = ramp_down.unwrap_or(d.ramp_down_utilization);
    if down >= up {
        let (key, problem) = match ramp_down {
            Some(_) => (
                "ramp_down_utilization",
                format!("{down} is not below ramp_up_utilization ({up})"),
            ),
            None => (
                "ramp_up_utilization",
                format!("{up} is not above ramp_down_utilization ({down})"),
            ),
        };
        return Err(s.error(
            key,
            problem,
            "keep ramp_down_utilization below ramp_up_utilization",
        ));
    }
    let config = nat_gateway::Config {
        ips: ips.unwrap_or(1) as u32,
        ports_per_ip: ports_per_ip.map_or(d.ports_per_ip, |p| p as u32),
        start_bps: start_gbps * 1e9,
        max_bps: max_gbps * 1e9,
        start_pps: start_mpps * 1e6,
        max_pps: max_mpps * 1e6,
        idle_timeout_ns: seconds_to_ns(idle_timeout_s),
        release_delay_ns: seconds_to_ns(release_delay.unwrap_or(d.release_delay_s)),
        ramp: nat_gateway::Ramp {
            interval_ns: seconds_to_ns(ramp_interval.unwrap_or(d.ramp_interval_s)),
            step_bps: ramp_step.unwrap_or(d.ramp_step_gbps) * 1e9,
            up_utilization: up,
            down_utilization: down,
            down_after_ns: seconds_to_ns(ramp_down_after.unwrap_or(d.ramp_down_after_s)),
        },
        regional_expansion_ns: regional
            .then(|| seconds_to_ns(expansion.unwrap_or(d.regional_expansion_s))),
    };

    let mut notes = Assumptions(Vec::new());
    if regional {
        notes.note(
            "expansion_delay",
            expansion.is_some(),
            d.assumed("regional_expansion_s"),
            || seconds_text(d.regional_expansion_s),
        );
    }
    let interval_s = ramp_interval.unwrap_or(d.ramp_interval_s);
    notes.note(
        "release_delay",
        release_delay.is_some(),
        d.assumed("release_delay_s"),
        || seconds_text(d.release_delay_s),
    );
    // A gateway whose start and maximum coincide never scales, so its ramp assumes nothing.
    if config.start_bps < config.max_bps || config.start_pps < config.max_pps {
        notes.note(
            "ramp_interval",
            ramp_interval.is_some(),
            d.assumed("ramp_interval_s"),
            || seconds_text(interval_s),
        );
        notes.note(
            "ramp_step_gbps",
            ramp_step.is_some(),
            d.assumed("ramp_step_gbps"),
            || {
                format!(
                    "{} Gbps per {}",
                    config.ramp.step_bps / 1e9,
                    seconds_text(interval_s)
                )
            },
        );
        notes.note(
            "ramp_up_utilization",
            ramp_up.is_some(),
            d.assumed("ramp_up_utilization"),
            || up.to_string(),
        );
        notes.note(
            "ramp_down_utilization",
            ramp_down.is_some(),
            d.assumed("ramp_down_utilization"),
            || down.to_string(),
        );
        notes.note(
            "ramp_down_after",
            ramp_down_after.is_some(),
            d.assumed("ramp_down_after_s"),
            || seconds_text(d.ramp_down_after_s),
        );
    }
    Ok((DeviceConfig::NatGateway(config), notes.0))
}

/// A (start, max) pair of positive numbers up to `ceiling` with start ≤ max, each defaulting to
/// the catalog.
fn ordered(
    s: &mut Section<'_>,
    (low_key, low_default): (&'static str, f64),
    (high_key, high_default): (&'static str, f64),
    ceiling: f64,
) -> Result<(f64, f64)> {
    let low = s.number(low_key, Check::PositiveAtMost(ceiling))?;
    let high = s.number(high_key, Check::PositiveAtMost(ceiling))?;
    let (lo, hi) = (low.unwrap_or(low_default), high.unwrap_or(high_default));
    if lo <= hi {
        return Ok((lo, hi));
    }
    Err(match high {
        Some(_) => s.error(
            high_key,
            format!("{hi} is below {low_key} ({lo})"),
            format!("make {high_key} at least {low_key}"),
        ),
        None => s.error(
            low_key,
            format!("{lo} is above {high_key} ({hi})"),
            format!("lower {low_key} or raise {high_key}"),
        ),
    })
}

fn seconds_text(seconds: f64) -> String {
    format!("{seconds} s")
}

fn nat_instance(
    s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let catalog = context.catalog;
    let d = &catalog.nat_instance;
    let type_hint =
        "add instance_type, e.g. instance_type = \"t4g.nano\"; run `natsim catalog` for the list";
    let type_name = s.required_string("instance_type", type_hint)?;
    let Some(it) = catalog.instance(type_name) else {
        let problem = format!("unknown instance type {}", echo::quoted(type_name));
        return Err(s.error(
            "instance_type",
            problem,
            unknown_instance_hint(catalog, type_name),
        ));
    };
    let count = s.int("count", 1, 100)?.unwrap_or(1) as u32;
    let baseline_gbps = s
        .number("baseline_gbps", Check::PositiveAtMost(MAX_GBPS))?
        .unwrap_or(it.baseline_gbps);
    let burst_gbps = match s.number("burst_gbps", Check::PositiveAtMost(MAX_GBPS))? {
        Some(burst) if burst < baseline_gbps => {
            let problem = format!("{burst} is below baseline_gbps ({baseline_gbps})");
            return Err(s.error(
                "burst_gbps",
                problem,
                "make burst_gbps at least baseline_gbps",
            ));
        }
        Some(burst) => burst,
        // A baseline raised above the listed burst means the instance no longer bursts.
        None => it.burst_gbps.max(baseline_gbps),
    };
    let effective = InstanceType {
        baseline_gbps,
        burst_gbps,
        ..it.clone()
    };
    let burst_minutes = s.number("burst_minutes", Check::Between(0.0, MAX_BURST_MINUTES))?;
    let internet_cap_gbps = s.number("internet_cap_gbps", Check::PositiveAtMost(MAX_GBPS))?;
    let pps_limit = s.number("pps_limit", Check::PositiveAtMost(MAX_PPS))?;
    let conntrack_max = s.int("conntrack_max", 1, i64::from(u32::MAX))?;
    let idle_timeout = s.duration_s("idle_timeout", Check::Positive)?;
    let idle_timeout_udp = s.duration_s("idle_timeout_udp", Check::Positive)?;
    let release_delay = s.duration_s("release_delay", Check::NonNegative)?;
    let release_delay_udp = s.duration_s("release_delay_udp", Check::NonNegative)?;
    let hourly_usd = s.number("hourly_usd", Check::Between(0.0, MAX_USD))?;
    let (on_demand_usd_per_hour, derived_price) =
        instance_price(s, context, type_name, hourly_usd)?;
    let (failures, failure_notes) = failures(s, catalog)?;
    let usd_per_hour = if failures.spot {
        on_demand_usd_per_hour * (1.0 - d.spot_discount)
    } else {
        on_demand_usd_per_hour
    };

    let config = nat_instance::Config {
        instance_type: type_name.to_string(),
        count,
        vcpus: it.vcpus,
        baseline_bps: baseline_gbps * 1e9,
        burst_bps: burst_gbps * 1e9,
        burst_minutes: burst_minutes.unwrap_or_else(|| catalog.burst_minutes(it)),
        internet_cap_bps: internet_cap_gbps
            .map_or_else(|| catalog.internet_cap_bps(&effective), |g| g * 1e9),
        pps_limit: pps_limit.unwrap_or_else(|| catalog.pps_limit(it)),
        conntrack_max: conntrack_max.map_or_else(|| catalog.conntrack_max(it), |n| n as u32),
        idle_timeout_tcp_ns: seconds_to_ns(idle_timeout.unwrap_or(d.idle_timeout_tcp_s)),
        idle_timeout_udp_ns: seconds_to_ns(idle_timeout_udp.unwrap_or(d.idle_timeout_udp_s)),
        release_delay_tcp_ns: seconds_to_ns(release_delay.unwrap_or(d.release_delay_tcp_s)),
        release_delay_udp_ns: seconds_to_ns(release_delay_udp.unwrap_or(d.release_delay_udp_s)),
        usd_per_hour,
        failures,
    };

    let mut notes = Assumptions(failure_notes);
    // Burst minutes matter only to an instance that bursts.
    let bursts = config.burst_bps > config.baseline_bps;
    notes.note(
        "burst_minutes",
        burst_minutes.is_some() || !bursts,
        d.assumed("burst_minutes"),
        || format!("{} min", config.burst_minutes),
    );
    notes.note(
        "pps_limit",
        pps_limit.is_some(),
        d.assumed("pps_limit"),
        || format!("{:.0} pps", config.pps_limit),
    );
    notes.note(
        "conntrack_max",
        conntrack_max.is_some(),
        d.assumed("conntrack_max"),
        || format!("{} entries", config.conntrack_max),
    );
    let udp_matters = context.any_udp && release_delay_udp.is_none();
    notes.note(
        "release_delay_udp",
        !udp_matters,
        d.assumed("release_delay_udp_s"),
        || seconds_text(d.release_delay_udp_s),
    );
    if let Some((value, basis)) = derived_price {
        notes.0.push(Assumption {
            key: "hourly_usd".to_string(),
            value,
            basis,
        });
    }
    Ok((DeviceConfig::NatInstance(config), notes.0))
}

/// Failure and failover settings of a NAT instance, with the assumptions behind their defaults.
fn failures(
    s: &mut Section<'_>,
    catalog: &Catalog,
) -> Result<(nat_instance::Failures, Vec<Assumption>)> {
    let d = &catalog.nat_instance;
    use nat_instance::Failover;
    let failover = match s.string("failover")? {
        None | Some("asg_replace") => Failover::AsgReplace,
        Some("none") => Failover::None,
        Some("standby_instance") => Failover::StandbyInstance,
        Some("nat_gateway_fallback") => Failover::NatGatewayFallback,
        Some(other) => {
            return Err(s.error(
                "failover",
                format!("unknown failover {}", echo::quoted(other)),
                                "use \"none\", \"asg_replace\" (default), \"standby_instance\" or \"nat_gateway_fallback\"",
            ));
        }
    };
    let spot = match s.string("pricing")? {
        None | Some("on_demand") => false,
        Some("spot") => true,
        Some(other) => {
            return Err(s.error(
                "pricing",
                format!("unknown pricing {}", echo::quoted(other)),
                "use \"on_demand\" (default) or \"spot\"",
            ));
        }
    };
    let recovery = s.duration_s("recovery_time", Check::NonNegative)?;
    let mtbf = s.duration_s("mtbf", Check::Positive)?;
    let random = s.boolean("random_failures")?.unwrap_or(true);
    let mut notes = Assumptions(Vec::new());
    let (recovery_key, recovery_default) = match failover {
        Failover::None => ("", None),
        // The fallback carries traffic while the ASG replaces the instance.
        Failover::AsgReplace | Failover::NatGatewayFallback => {
            ("asg_replace_s", Some(d.asg_replace_s))
        }
        Failover::StandbyInstance => ("standby_instance_s", Some(d.standby_instance_s)),
    };
    let recovery_s = recovery.or(recovery_default);
    if let Some(default) = recovery_default {
        notes.note(
            "recovery_time",
            recovery.is_some(),
            d.assumed(recovery_key),
            || seconds_text(default),
        );
    }
    let (mtbf_key, mtbf_default_h) = if spot {
        ("spot_mtbf_hours", d.spot_mtbf_hours)
    } else {
        ("mtbf_hours", d.mtbf_hours)
    };
    let mtbf_s = mtbf.unwrap_or(mtbf_default_h * 3600.0);
    if random {
        notes.note("mtbf", mtbf.is_some(), d.assumed(mtbf_key), || {
            format!("{} h", mtbf_s / 3600.0)
        });
    }
    if spot {
        notes.note("pricing", false, d.assumed("spot_discount"), || {
            format!("spot, {} % off on-demand", d.spot_discount * 100.0)
        });
    }
    let failures = nat_instance::Failures {
        failover,
        recovery_ns: recovery_s.map(seconds_to_ns),
        mtbf_ns: random.then(|| seconds_to_ns(mtbf_s)),
        scheduled: Vec::new(),
        spot,
        fallback: (failover == Failover::NatGatewayFallback).then(|| nat_instance::Fallback {
            gateway: default_gateway(&catalog.nat_gateway),
            detection_ns: seconds_to_ns(d.fallback_detection_s),
        }),
    };
    if failover == Failover::NatGatewayFallback {
        notes.note(
            "fallback detection",
            false,
            d.assumed("fallback_detection_s"),
            || seconds_text(d.fallback_detection_s),
        );
    }
    Ok((failures, notes.0))
}

/// A NAT gateway with every setting at the catalog's default (alterNAT's standby gateway): what
/// a `nat_gateway` candidate that sets nothing gets, and the only place the fallback's gateway is
/// configured (`device::fallback` takes it as given).
fn default_gateway(d: &crate::catalog::NatGatewayDefaults) -> nat_gateway::Config {
    nat_gateway::Config {
        ips: 1,
        ports_per_ip: d.ports_per_ip,
        start_bps: d.start_gbps * 1e9,
        max_bps: d.max_gbps * 1e9,
        start_pps: d.start_mpps * 1e6,
        max_pps: d.max_mpps * 1e6,
        idle_timeout_ns: seconds_to_ns(d.idle_timeout_s),
        release_delay_ns: seconds_to_ns(d.release_delay_s),
        ramp: nat_gateway::Ramp {
            interval_ns: seconds_to_ns(d.ramp_interval_s),
            step_bps: d.ramp_step_gbps * 1e9,
            up_utilization: d.ramp_up_utilization,
            down_utilization: d.ramp_down_utilization,
            down_after_ns: seconds_to_ns(d.ramp_down_after_s),
        },
        regional_expansion_ns: None,
    }
}

/// A forward proxy: a NAT instance's keys for the machines it runs on, plus request handling
/// and DNS.
fn proxy(s: &mut Section<'_>, context: &Context<'_>) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let (device, assumptions) = nat_instance(s, context)?;
    let DeviceConfig::NatInstance(instance) = device else {
        unreachable!("nat_instance() builds a NatInstance config")
    };
    let d = &context.catalog.nat_instance;
    let requests = s.number(
        "requests_per_vcpu",
        Check::PositiveAtMost(MAX_REQUESTS_PER_VCPU),
    )?;
    let hit_ratio = s.number("dns_cache_hit_ratio", Check::Fraction)?;
    let keepalive = s.boolean("upstream_keepalive")?.unwrap_or(false);
    let mut notes = Assumptions(assumptions);
    notes.note(
        "requests_per_vcpu",
        requests.is_some(),
        d.assumed("proxy_requests_per_vcpu"),
        || format!("{} requests/s", d.proxy_requests_per_vcpu),
    );
    notes.note(
        "dns_cache_hit_ratio",
        hit_ratio.is_some() || keepalive,
        d.assumed("proxy_dns_cache_hit_ratio"),
        || d.proxy_dns_cache_hit_ratio.to_string(),
    );
    let config = crate::device::proxy::Config {
        instance,
        requests_per_s_per_vcpu: requests.unwrap_or(d.proxy_requests_per_vcpu),
        dns_packets_per_s: d.proxy_dns_packets_per_s,
        dns_cache_hit_ratio: hit_ratio.unwrap_or(d.proxy_dns_cache_hit_ratio),
        upstream_keepalive: keepalive,
        http: context.workloads.iter().map(|w| w.http).collect(),
    };
    Ok((DeviceConfig::Proxy(config), notes.0))
}

/// An internet gateway: each workload's clients are its bottlenecks, sized by the workload's
/// `client_instance_type` or `client_gbps` (else an assumed flat rate).
fn internet_gateway(context: &Context<'_>) -> (DeviceConfig, Vec<Assumption>) {
    use crate::device::hosts::HostSpec;
    use crate::device::internet_gateway::{ClientGroup, Config};
    let catalog = context.catalog;
    let d = &catalog.nat_instance;
    let mut notes = Assumptions(Vec::new());
    let groups = context
        .workloads
        .iter()
        .map(|w| {
            let typed = w
                .client_instance_type
                .as_deref()
                .and_then(|t| catalog.instance(t));
            let network = match (typed, w.client_bps) {
                (Some(it), _) => HostSpec {
                    baseline_bps: it.baseline_gbps * 1e9,
                    burst_bps: it.burst_gbps * 1e9,
                    bucket_bits: (it.burst_gbps - it.baseline_gbps).max(0.0)
                        * 1e9
                        * catalog.burst_minutes(it)
                        * 60.0,
                    internet_cap_bps: catalog.internet_cap_bps(it),
                    pps_limit: catalog.pps_limit(it),
                },
                (None, bps) => {
                    notes.note(
                        &format!("client_gbps ({})", w.name),
                        bps.is_some(),
                        d.assumed("client_gbps"),
                        || format!("{} Gbps", d.client_gbps),
                    );
                    let bps = bps.unwrap_or(d.client_gbps * 1e9);
                    HostSpec {
                        baseline_bps: bps,
                        burst_bps: bps,
                        bucket_bits: 0.0,
                        internet_cap_bps: bps,
                        pps_limit: f64::INFINITY,
                    }
                }
            };
            ClientGroup {
                clients: w.clients,
                network,
            }
        })
        .collect();
    (DeviceConfig::InternetGateway(Config { groups }), notes.0)
}

/// The instance's hourly price: the candidate's `hourly_usd`, else `[prices]`, else the catalog.
/// A catalog price derived by region factor comes back with its assumption (value, basis).
fn instance_price(
    s: &Section<'_>,
    context: &Context<'_>,
    type_name: &str,
    hourly_usd: Option<f64>,
) -> Result<(f64, Option<(String, String)>)> {
    if let Some(price) = hourly_usd.or_else(|| context.instance_prices.get(type_name).copied()) {
        return Ok((price, None));
    }
    let catalog = context.catalog;
    match catalog.instance_price(type_name, context.region) {
        Some((price, PriceBasis::Listed)) => Ok((price, None)),
        Some((price, PriceBasis::DerivedByRegionFactor)) => {
            let reference = catalog
                .instance(type_name)
                .and_then(|it| it.usd_per_hour.get(REFERENCE_REGION))
                .copied();
            let factor = catalog
                .region(context.region)
                .map_or(1.0, |r| r.instance_price_factor);
            let basis = format!(
                "no listed {} price for {type_name}: the {REFERENCE_REGION} price ${}/h × {factor}, the region's assumed price factor",
                context.region,
                reference.unwrap_or(f64::NAN),
            );
            Ok((price, Some((format!("${price:.4}/h"), basis))))
        }
        None => {
            let problem = format!("no price for \"{type_name}\" in {}", context.region);
            Err(s.error(
                "hourly_usd",
                problem,
                "set hourly_usd to the instance's on-demand price",
            ))
        }
    }
}
