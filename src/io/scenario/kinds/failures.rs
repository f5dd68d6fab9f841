//! How a NAT instance's (or a proxy's) machines fail and what takes over: the `failover`,
//! `pricing`, `recovery_time`, `mtbf` and `random_failures` keys into `nat_instance::Failures`.
//!
//! Owns those keys, their defaults by failover mode and pricing, and the assumptions behind
//! them; configures alterNAT's standby gateway from the catalog (through
//! `nat_gateway::catalog_default`). Scheduled failures are `[[event]]`s, added later by
//! `events.rs`.

use super::nat_gateway;
use crate::io::catalog::{Catalog, NatInstanceDefaults};
use crate::io::scenario::reader::{Check, Result, Section};
use crate::io::scenario::setting::{Assumptions, CatalogDefault, Setting, seconds_text};
use crate::model::device::nat_instance::{self, Failover};
use crate::util::echo;
use crate::util::units::seconds_to_ns;

/// The failure settings and the assumptions behind their defaults.
pub(super) fn read(
    s: &mut Section<'_>,
    catalog: &Catalog,
) -> Result<(nat_instance::Failures, Assumptions)> {
    let d = &catalog.nat_instance;
    let failover = read_failover(s)?;
    let spot = read_spot(s)?;
    let recovery = read_recovery(s, d, failover)?;
    let mtbf = s.duration_or("mtbf", Check::Positive, mtbf_default(d, spot))?;
    let random = s.boolean("random_failures")?.unwrap_or(true);
    let fallback = failover == Failover::NatGatewayFallback;

    let mut notes = Assumptions::default();
    if let Some(recovery) = &recovery {
        notes.add(recovery);
    }
    if random {
        notes.add(&mtbf);
    }
    if spot {
        notes.note("pricing", d.assumed("spot_discount"), || {
            format!("spot, {} % off on-demand", d.spot_discount * 100.0)
        });
    }
    if fallback {
        notes.note(
            "fallback detection",
            d.assumed("fallback_detection_s"),
            || seconds_text(d.fallback_detection_s),
        );
    }
    let failures = nat_instance::Failures {
        failover,
        recovery_ns: recovery.map(|r| seconds_to_ns(r.value)),
        mtbf_ns: random.then(|| seconds_to_ns(mtbf.value)),
        scheduled: Vec::new(),
        spot,
        fallback: fallback.then(|| nat_instance::Fallback {
            gateway: nat_gateway::catalog_default(&catalog.nat_gateway),
            detection_ns: seconds_to_ns(d.fallback_detection_s),
        }),
    };
    Ok((failures, notes))
}

fn read_failover(s: &mut Section<'_>) -> Result<Failover> {
    match s.string("failover")? {
        None | Some("asg_replace") => Ok(Failover::AsgReplace),
        Some("none") => Ok(Failover::None),
        Some("standby_instance") => Ok(Failover::StandbyInstance),
        Some("nat_gateway_fallback") => Ok(Failover::NatGatewayFallback),
        Some(other) => Err(s.error(
            "failover",
            format!("unknown failover {}", echo::quoted(other)),
            "use \"none\", \"asg_replace\" (default), \"standby_instance\" or \"nat_gateway_fallback\"",
        )),
    }
}

/// `pricing`: whether the instances are spot instances.
fn read_spot(s: &mut Section<'_>) -> Result<bool> {
    match s.string("pricing")? {
        None | Some("on_demand") => Ok(false),
        Some("spot") => Ok(true),
        Some(other) => Err(s.error(
            "pricing",
            format!("unknown pricing {}", echo::quoted(other)),
            "use \"on_demand\" (default) or \"spot\"",
        )),
    }
}

/// Seconds without egress after a failure: the user's, else the failover mode's default. `None`
/// when nothing replaces the instance (`failover = "none"`) and the user gave no time.
fn read_recovery(
    s: &mut Section<'_>,
    d: &NatInstanceDefaults,
    failover: Failover,
) -> Result<Option<Setting<f64>>> {
    let given = s.duration_s("recovery_time", Check::NonNegative)?;
    let (field, default_s) = match failover {
        Failover::None => return Ok(given.map(Setting::given)),
        // The fallback carries traffic while the ASG replaces the instance.
        Failover::AsgReplace | Failover::NatGatewayFallback => ("asg_replace_s", d.asg_replace_s),
        Failover::StandbyInstance => ("standby_instance_s", d.standby_instance_s),
    };
    let default = CatalogDefault::seconds(default_s, d.assumed(field));
    Ok(Some(Setting::new("recovery_time", given, default)))
}

/// Mean time between failures, in seconds: an on-demand instance's, or a spot interruption's.
fn mtbf_default(d: &NatInstanceDefaults, spot: bool) -> CatalogDefault<'_, f64> {
    let (field, hours) = if spot {
        ("spot_mtbf_hours", d.spot_mtbf_hours)
    } else {
        ("mtbf_hours", d.mtbf_hours)
    };
    let seconds = hours * 3600.0;
    CatalogDefault::new(seconds, d.assumed(field), format!("{} h", seconds / 3600.0))
}
