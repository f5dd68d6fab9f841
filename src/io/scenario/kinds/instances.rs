//! The EC2 instances a `nat_instance` or `proxy` candidate runs on, into a
//! `nat_instance::Config`: type and count, network limits, connection tracking, timeouts, price,
//! and (through `failures`) how they fail and what takes over.
//!
//! Owns those keys and their defaults: the instance type's figures, the catalog's rules over them
//! (burst minutes, packets per second, conntrack size, internet cap) and `[nat_instance]`
//! defaults, and the hourly price (the candidate's, `[prices]`, the catalog's, or derived by the
//! region's factor). Read once for both kinds; knows nothing of what a proxy adds.

use super::{Context, failures};
use crate::io::catalog::{
    Catalog, InstanceType, NatInstanceDefaults, PriceBasis, REFERENCE_REGION,
};
use crate::io::scenario::Assumption;
use crate::io::scenario::reader::{Check, MAX_GBPS, MAX_USD, Result, Section};
use crate::io::scenario::setting::{Assumptions, CatalogDefault, Setting};
use crate::io::scenario::suggest::unknown_instance_hint;
use crate::model::device::nat_instance;
use crate::util::echo;
use crate::util::units::seconds_to_ns;

/// Ceiling of `pps_limit`: a trillion packets a second.
const MAX_PPS: f64 = 1e12;
/// Ceiling of `burst_minutes`: a year of minutes; a bucket that lasts longer never runs dry.
const MAX_BURST_MINUTES: f64 = 525_960.0;

/// The instances' configuration and the assumptions behind its defaults, failures' first.
pub(super) fn read(
    s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(nat_instance::Config, Assumptions)> {
    let catalog = context.catalog;
    let d = &catalog.nat_instance;
    let it = instance_type(s, catalog)?;
    let count = s.int("count", 1, 100)?.unwrap_or(1) as u32;
    let network = read_network(s, catalog, it)?;
    let timeouts = read_timeouts(s, d)?;
    let hourly_usd = s.number("hourly_usd", Check::Between(0.0, MAX_USD))?;
    let (on_demand_usd_per_hour, derived_price) = instance_price(s, context, &it.name, hourly_usd)?;
    let (failures, mut notes) = failures::read(s, catalog)?;
    let usd_per_hour = if failures.spot {
        on_demand_usd_per_hour * (1.0 - d.spot_discount)
    } else {
        on_demand_usd_per_hour
    };
    let config = nat_instance::Config {
        instance_type: it.name.clone(),
        count,
        vcpus: it.vcpus,
        baseline_bps: network.baseline_gbps * 1e9,
        burst_bps: network.burst_gbps * 1e9,
        burst_minutes: network.burst_minutes.value,
        internet_cap_bps: network.internet_cap_bps,
        pps_limit: network.pps_limit.value,
        conntrack_max: network.conntrack_max.value,
        idle_timeout_tcp_ns: seconds_to_ns(timeouts.idle_tcp.value),
        idle_timeout_udp_ns: seconds_to_ns(timeouts.idle_udp.value),
        release_delay_tcp_ns: seconds_to_ns(timeouts.release_tcp.value),
        release_delay_udp_ns: seconds_to_ns(timeouts.release_udp.value),
        usd_per_hour,
        failures,
    };
    network.record(&mut notes);
    timeouts.record(&mut notes, context.any_udp);
    if let Some(assumption) = derived_price {
        notes.push(assumption);
    }
    Ok((config, notes))
}

/// `instance_type`, which must be in the catalog.
fn instance_type<'c>(s: &mut Section<'_>, catalog: &'c Catalog) -> Result<&'c InstanceType> {
    let type_hint =
        "add instance_type, e.g. instance_type = \"t4g.nano\"; run `natsim catalog` for the list";
    let type_name = s.required_string("instance_type", type_hint)?;
    catalog.instance(type_name).ok_or_else(|| {
        let problem = format!("unknown instance type {}", echo::quoted(type_name));
        s.error(
            "instance_type",
            problem,
            unknown_instance_hint(catalog, type_name),
        )
    })
}

/// An instance's network: bandwidth (the type's, unless overridden), its credit bucket, the
/// internet cap, packets per second and the connection-tracking table.
struct Network {
    baseline_gbps: f64,
    burst_gbps: f64,
    burst_minutes: Setting<f64>,
    internet_cap_bps: f64,
    pps_limit: Setting<f64>,
    conntrack_max: Setting<u32>,
}

impl Network {
    fn record(&self, notes: &mut Assumptions) {
        // Burst minutes matter only to an instance that bursts.
        if self.burst_gbps > self.baseline_gbps {
            notes.add(&self.burst_minutes);
        }
        notes.add(&self.pps_limit);
        notes.add(&self.conntrack_max);
    }
}

fn read_network(s: &mut Section<'_>, catalog: &Catalog, it: &InstanceType) -> Result<Network> {
    let d = &catalog.nat_instance;
    let baseline_gbps = s
        .number("baseline_gbps", Check::PositiveAtMost(MAX_GBPS))?
        .unwrap_or(it.baseline_gbps);
    let burst_gbps = read_burst_gbps(s, it, baseline_gbps)?;
    let burst_minutes = catalog.burst_minutes(it);
    let burst_minutes = s.number_or(
        "burst_minutes",
        Check::Between(0.0, MAX_BURST_MINUTES),
        CatalogDefault::new(
            burst_minutes,
            d.assumed("burst_minutes"),
            format!("{burst_minutes} min"),
        ),
    )?;
    // The internet cap follows the bandwidth as overridden; the catalog's rule is AWS's.
    let effective = InstanceType {
        baseline_gbps,
        burst_gbps,
        ..it.clone()
    };
    let internet_cap_bps = s
        .number("internet_cap_gbps", Check::PositiveAtMost(MAX_GBPS))?
        .map_or_else(|| catalog.internet_cap_bps(&effective), |g| g * 1e9);
    let pps = catalog.pps_limit(it);
    let pps_limit = s.number_or(
        "pps_limit",
        Check::PositiveAtMost(MAX_PPS),
        CatalogDefault::new(pps, d.assumed("pps_limit"), format!("{pps:.0} pps")),
    )?;
    let entries = catalog.conntrack_max(it);
    let conntrack_max = s.count_or(
        "conntrack_max",
        (1, u32::MAX),
        CatalogDefault::new(
            entries,
            d.assumed("conntrack_max"),
            format!("{entries} entries"),
        ),
    )?;
    Ok(Network {
        baseline_gbps,
        burst_gbps,
        burst_minutes,
        internet_cap_bps,
        pps_limit,
        conntrack_max,
    })
}

/// `burst_gbps`, at least the baseline. A baseline raised above the listed burst means the
/// instance no longer bursts.
fn read_burst_gbps(s: &mut Section<'_>, it: &InstanceType, baseline_gbps: f64) -> Result<f64> {
    match s.number("burst_gbps", Check::PositiveAtMost(MAX_GBPS))? {
        Some(burst) if burst < baseline_gbps => {
            let problem = format!("{burst} is below baseline_gbps ({baseline_gbps})");
            Err(s.error(
                "burst_gbps",
                problem,
                "make burst_gbps at least baseline_gbps",
            ))
        }
        Some(burst) => Ok(burst),
        None => Ok(it.burst_gbps.max(baseline_gbps)),
    }
}

/// Connection-tracking timeouts: how long an idle entry lives, and how long a closed one holds
/// its slot, for TCP and UDP.
struct Timeouts {
    idle_tcp: Setting<f64>,
    idle_udp: Setting<f64>,
    release_tcp: Setting<f64>,
    release_udp: Setting<f64>,
}

impl Timeouts {
    fn record(&self, notes: &mut Assumptions, any_udp: bool) {
        notes.add(&self.idle_tcp);
        notes.add(&self.release_tcp);
        // UDP's timeouts matter only when some workload is UDP.
        if any_udp {
            notes.add(&self.idle_udp);
            notes.add(&self.release_udp);
        }
    }
}

fn read_timeouts(s: &mut Section<'_>, d: &NatInstanceDefaults) -> Result<Timeouts> {
    let seconds = |value: f64, field: &str| CatalogDefault::seconds(value, d.assumed(field));
    Ok(Timeouts {
        idle_tcp: s.duration_or(
            "idle_timeout",
            Check::Positive,
            seconds(d.idle_timeout_tcp_s, "idle_timeout_tcp_s"),
        )?,
        idle_udp: s.duration_or(
            "idle_timeout_udp",
            Check::Positive,
            seconds(d.idle_timeout_udp_s, "idle_timeout_udp_s"),
        )?,
        release_tcp: s.duration_or(
            "release_delay",
            Check::NonNegative,
            seconds(d.release_delay_tcp_s, "release_delay_tcp_s"),
        )?,
        release_udp: s.duration_or(
            "release_delay_udp",
            Check::NonNegative,
            seconds(d.release_delay_udp_s, "release_delay_udp_s"),
        )?,
    })
}

/// The instance's hourly price: the candidate's `hourly_usd`, else `[prices]`, else the catalog.
/// A catalog price derived by region factor comes back with its assumption.
fn instance_price(
    s: &Section<'_>,
    context: &Context<'_>,
    type_name: &str,
    hourly_usd: Option<f64>,
) -> Result<(f64, Option<Assumption>)> {
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
                .and_then(|r| r.instance_price_factor)
                .unwrap_or(f64::NAN);
            let basis = format!(
                "no listed {} price for {type_name}: the {REFERENCE_REGION} price ${}/h × {factor}, the region's assumed price factor",
                context.region,
                reference.unwrap_or(f64::NAN),
            );
            let assumption = Assumption {
                key: "hourly_usd".to_string(),
                value: format!("${price:.4}/h"),
                basis,
            };
            Ok((price, Some(assumption)))
        }
        None => {
            let problem = format!(
                "the catalog has no price for \"{type_name}\" in {}",
                context.region
            );
            Err(s.error(
                "hourly_usd",
                problem,
                "set hourly_usd (or [prices] instance_usd_per_hour) to the instance's on-demand price, or import AWS's prices for the region with `natsim catalog import`",
            ))
        }
    }
}
