//! A `kind = "nat_gateway"` candidate's keys into a `nat_gateway::Config`.
//!
//! Owns the NAT gateway's part of the scenario contract: IPs and ports, the bandwidth and packet
//! ramps, timeouts, zonal or regional mode, each key defaulting to the catalog's `[nat_gateway]`
//! figure; and [`catalog_default`], the gateway a candidate that sets nothing gets, which is also
//! alterNAT's standby gateway. Converts Gbps to bits per second and seconds to nanoseconds.

use super::Context;
use crate::io::catalog::NatGatewayDefaults;
use crate::io::scenario::reader::{Check, MAX_GBPS, Result, Section};
use crate::io::scenario::setting::{Assumptions, CatalogDefault, Setting, seconds_text};
use crate::io::scenario::{Assumption, DeviceConfig, ScenarioError};
use crate::model::device::nat_gateway;
use crate::util::echo;
use crate::util::units::seconds_to_ns;

/// Ceiling of the Mpps keys: a trillion packets a second.
const MAX_MPPS: f64 = 1_000_000.0;
const IPS_HINT: &str = "AWS allows 1 primary + 7 secondary IPs per NAT gateway; for more, add another NAT gateway candidate";

pub(super) fn read(
    s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let settings = read_settings(s, &context.catalog.nat_gateway)?;
    let config = settings.config();
    let assumptions = settings.assumptions(&config);
    Ok((DeviceConfig::NatGateway(config), assumptions))
}

/// Every key of a NAT gateway, as the user set it or the catalog's default.
struct Settings {
    ips: u32,
    ports_per_ip: Setting<u32>,
    start_gbps: Setting<f64>,
    max_gbps: Setting<f64>,
    start_mpps: Setting<f64>,
    max_mpps: Setting<f64>,
    idle_timeout: Setting<f64>,
    release_delay: Setting<f64>,
    ramp: RampSettings,
    /// `None` for a zonal gateway.
    expansion: Option<Setting<f64>>,
}

fn read_settings(s: &mut Section<'_>, d: &NatGatewayDefaults) -> Result<Settings> {
    let ips = s.int("ips", 1, 8).map_err(ips_hint)?.unwrap_or(1) as u32;
    let ports_per_ip = s.count_or(
        "ports_per_ip",
        (1, 64_512),
        CatalogDefault::new(
            d.ports_per_ip,
            d.assumed("ports_per_ip"),
            format!("{} ports", d.ports_per_ip),
        ),
    )?;
    let (start_gbps, max_gbps) = ordered(
        s,
        ("start_gbps", gbps(d.start_gbps, d.assumed("start_gbps"))),
        ("max_gbps", gbps(d.max_gbps, d.assumed("max_gbps"))),
        MAX_GBPS,
    )?;
    let (start_mpps, max_mpps) = ordered(
        s,
        ("start_mpps", mpps(d.start_mpps, d.assumed("start_mpps"))),
        ("max_mpps", mpps(d.max_mpps, d.assumed("max_mpps"))),
        MAX_MPPS,
    )?;
    let idle_timeout = s.duration_or(
        "idle_timeout",
        Check::Positive,
        CatalogDefault::seconds(d.idle_timeout_s, d.assumed("idle_timeout_s")),
    )?;
    let release_delay = s.duration_or(
        "release_delay",
        Check::NonNegative,
        CatalogDefault::seconds(d.release_delay_s, d.assumed("release_delay_s")),
    )?;
    let ramp = read_ramp(s, d)?;
    let expansion = read_mode(s, d)?;
    check_ramp_order(s, &ramp)?;
    Ok(Settings {
        ips,
        ports_per_ip,
        start_gbps,
        max_gbps,
        start_mpps,
        max_mpps,
        idle_timeout,
        release_delay,
        ramp,
        expansion,
    })
}

impl Settings {
    fn config(&self) -> nat_gateway::Config {
        let ramp = &self.ramp;
        nat_gateway::Config {
            ips: self.ips,
            ports_per_ip: self.ports_per_ip.value,
            start_bps: self.start_gbps.value * 1e9,
            max_bps: self.max_gbps.value * 1e9,
            start_pps: self.start_mpps.value * 1e6,
            max_pps: self.max_mpps.value * 1e6,
            idle_timeout_ns: seconds_to_ns(self.idle_timeout.value),
            release_delay_ns: seconds_to_ns(self.release_delay.value),
            ramp: nat_gateway::Ramp {
                interval_ns: seconds_to_ns(ramp.interval.value),
                step_bps: ramp.step_gbps.value * 1e9,
                up_utilization: ramp.up.value,
                down_utilization: ramp.down.value,
                down_after_ns: seconds_to_ns(ramp.down_after.value),
            },
            regional_expansion_ns: self.expansion.as_ref().map(|e| seconds_to_ns(e.value)),
        }
    }

    fn assumptions(&self, config: &nat_gateway::Config) -> Vec<Assumption> {
        let mut notes = Assumptions::default();
        if let Some(expansion) = &self.expansion {
            notes.add(expansion);
        }
        for setting in [
            &self.start_gbps,
            &self.max_gbps,
            &self.start_mpps,
            &self.max_mpps,
        ] {
            notes.add(setting);
        }
        notes.add(&self.ports_per_ip);
        notes.add(&self.idle_timeout);
        notes.add(&self.release_delay);
        // A gateway whose start and maximum coincide never scales, so its ramp assumes nothing.
        if config.start_bps < config.max_bps || config.start_pps < config.max_pps {
            self.ramp.record(&mut notes);
        }
        notes.into_vec()
    }
}

/// A NAT gateway with every setting at the catalog's default (alterNAT's standby gateway): what
/// a `nat_gateway` candidate that sets nothing gets, and the only place the fallback's gateway is
/// configured (`device::fallback` takes it as given).
pub(super) fn catalog_default(d: &NatGatewayDefaults) -> nat_gateway::Config {
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

/// An `ips` out of range gets AWS's limit as its hint.
fn ips_hint(mut e: ScenarioError) -> ScenarioError {
    if e.problem.contains("between") {
        e.hint = IPS_HINT.to_string();
    }
    e
}

fn gbps(value: f64, basis: Option<&str>) -> CatalogDefault<'_, f64> {
    CatalogDefault::new(value, basis, format!("{value} Gbps"))
}

fn mpps(value: f64, basis: Option<&str>) -> CatalogDefault<'_, f64> {
    CatalogDefault::new(value, basis, format!("{value} Mpps"))
}

/// A (start, max) pair of positive numbers up to `ceiling` with start ≤ max, each defaulting to
/// the catalog.
fn ordered(
    s: &mut Section<'_>,
    (low_key, low_default): (&'static str, CatalogDefault<'_, f64>),
    (high_key, high_default): (&'static str, CatalogDefault<'_, f64>),
    ceiling: f64,
) -> Result<(Setting<f64>, Setting<f64>)> {
    let low = s.number_or(low_key, Check::PositiveAtMost(ceiling), low_default)?;
    let high = s.number_or(high_key, Check::PositiveAtMost(ceiling), high_default)?;
    let (lo, hi) = (low.value, high.value);
    if lo <= hi {
        return Ok((low, high));
    }
    Err(if high.given {
        s.error(
            high_key,
            format!("{hi} is below {low_key} ({lo})"),
            format!("make {high_key} at least {low_key}"),
        )
    } else {
        s.error(
            low_key,
            format!("{lo} is above {high_key} ({hi})"),
            format!("lower {low_key} or raise {high_key}"),
        )
    })
}

/// How the gateway scales: every `interval`, up by `step_gbps` above `up` utilization, down
/// below `down` after `down_after`.
struct RampSettings {
    interval: Setting<f64>,
    step_gbps: Setting<f64>,
    up: Setting<f64>,
    down: Setting<f64>,
    down_after: Setting<f64>,
}

impl RampSettings {
    fn record(&self, notes: &mut Assumptions) {
        notes.add(&self.interval);
        notes.add(&self.step_gbps);
        notes.add(&self.up);
        notes.add(&self.down);
        notes.add(&self.down_after);
    }
}

fn read_ramp(s: &mut Section<'_>, d: &NatGatewayDefaults) -> Result<RampSettings> {
    let interval = s.duration_or(
        "ramp_interval",
        Check::Positive,
        CatalogDefault::seconds(d.ramp_interval_s, d.assumed("ramp_interval_s")),
    )?;
    let step_shown = format!(
        "{} Gbps per {}",
        d.ramp_step_gbps,
        seconds_text(interval.value)
    );
    let step_gbps = s.number_or(
        "ramp_step_gbps",
        Check::PositiveAtMost(MAX_GBPS),
        CatalogDefault::new(d.ramp_step_gbps, d.assumed("ramp_step_gbps"), step_shown),
    )?;
    let up = s.number_or(
        "ramp_up_utilization",
        Check::PositiveFraction,
        CatalogDefault::plain(d.ramp_up_utilization, d.assumed("ramp_up_utilization")),
    )?;
    let down = s.number_or(
        "ramp_down_utilization",
        Check::Fraction,
        CatalogDefault::plain(d.ramp_down_utilization, d.assumed("ramp_down_utilization")),
    )?;
    let down_after = s.duration_or(
        "ramp_down_after",
        Check::NonNegative,
        CatalogDefault::seconds(d.ramp_down_after_s, d.assumed("ramp_down_after_s")),
    )?;
    Ok(RampSettings {
        interval,
        step_gbps,
        up,
        down,
        down_after,
    })
}

fn check_ramp_order(s: &Section<'_>, ramp: &RampSettings) -> Result<()> {
    let (up, down) = (ramp.up.value, ramp.down.value);
    if down < up {
        return Ok(());
    }
    let (key, problem) = if ramp.down.given {
        (
            "ramp_down_utilization",
            format!("{down} is not below ramp_up_utilization ({up})"),
        )
    } else {
        (
            "ramp_up_utilization",
            format!("{up} is not above ramp_down_utilization ({down})"),
        )
    };
    Err(s.error(
        key,
        problem,
        "keep ramp_down_utilization below ramp_up_utilization",
    ))
}

/// `mode` and `expansion_delay`: `None` for a zonal gateway, else how long a regional gateway
/// takes to reach a new AZ.
fn read_mode(s: &mut Section<'_>, d: &NatGatewayDefaults) -> Result<Option<Setting<f64>>> {
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
    let expansion = s.duration_or(
        "expansion_delay",
        Check::NonNegative,
        CatalogDefault::seconds(d.regional_expansion_s, d.assumed("regional_expansion_s")),
    )?;
    if expansion.given && !regional {
        let hint = "set mode = \"regional\", or remove expansion_delay";
        return Err(s.error(
            "expansion_delay",
            "expansion_delay applies to a regional NAT gateway",
            hint,
        ));
    }
    Ok(regional.then_some(expansion))
}
