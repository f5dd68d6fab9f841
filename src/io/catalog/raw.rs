//! The catalog file's raw serde form and the checks that turn it into a [`Catalog`].
//!
//! Owns what a valid catalog is: every price finite and non-negative, egress tiers ascending and
//! ending unbounded, every instance priced somewhere and in us-east-1 whenever a region scales
//! from it (`instance_price_factor`), every default with a source. Reads text only; it never
//! opens files.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    Catalog, InstanceType, NatGatewayDefaults, NatInstanceDefaults, REFERENCE_REGION, Region,
};
use crate::model::cost::EgressTier;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalog {
    regions: BTreeMap<String, RawRegion>,
    nat_gateway: NatGatewayDefaults,
    nat_instance: NatInstanceDefaults,
    instances: BTreeMap<String, RawInstance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    nat_gateway_usd_per_hour: f64,
    nat_gateway_usd_per_gb: f64,
    ipv4_usd_per_hour: f64,
    cross_az_usd_per_gb_each_way: f64,
    egress_tiers: Vec<RawTier>,
    /// Absent in an imported catalog: no price is derived there.
    #[serde(default)]
    instance_price_factor: Option<f64>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    up_to_gb: f64,
    usd_per_gb: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstance {
    vcpus: u32,
    memory_gib: f64,
    baseline_gbps: f64,
    burst_gbps: f64,
    usd_per_hour: BTreeMap<String, f64>,
    source: String,
}

/// A table name as it appears in a key path: bare when TOML allows it, quoted otherwise
/// (`instances."t4g.nano"`).
fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_string()
    } else {
        format!("\"{}\"", name.escape_default())
    }
}

/// `Err(what)` unless `value` is finite and at least `min` (strictly above it when `strict`).
fn check(what: &str, value: f64, min: f64, strict: bool) -> Result<(), String> {
    let ok = value.is_finite() && if strict { value > min } else { value >= min };
    if ok {
        Ok(())
    } else {
        let relation = if strict { "greater than" } else { "at least" };
        Err(format!("{what} is {value}, must be {relation} {min}"))
    }
}

fn check_sources(
    what: &str,
    sources: &BTreeMap<String, String>,
    keys: &[&str],
) -> Result<(), String> {
    for key in keys {
        if sources.get(*key).is_none_or(|s| s.trim().is_empty()) {
            return Err(format!("{what}.sources has no source for \"{key}\""));
        }
    }
    if let Some(extra) = sources.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(format!(
            "{what}.sources has a source for unknown key \"{extra}\""
        ));
    }
    Ok(())
}

impl RawCatalog {
    pub(super) fn validate(self) -> Result<Catalog, String> {
        let scales = self
            .regions
            .values()
            .any(|r| r.instance_price_factor.is_some());
        if scales && !self.regions.contains_key(REFERENCE_REGION) {
            return Err(format!(
                "catalog has no region \"{REFERENCE_REGION}\", which regions with an instance_price_factor scale from"
            ));
        }
        let mut regions = BTreeMap::new();
        for (name, raw) in self.regions {
            let region = raw
                .validate(&name)
                .map_err(|e| format!("regions.{}.{e}", key(&name)))?;
            regions.insert(name, region);
        }
        let mut instances = BTreeMap::new();
        for (name, raw) in self.instances {
            let it = raw
                .validate(&name, &regions)
                .map_err(|e| format!("instances.{}.{e}", key(&name)))?;
            instances.insert(name, it);
        }
        validate_nat_gateway(&self.nat_gateway)?;
        validate_nat_instance(&self.nat_instance)?;
        Ok(Catalog {
            regions,
            instances,
            nat_gateway: self.nat_gateway,
            nat_instance: self.nat_instance,
        })
    }
}

impl RawRegion {
    fn validate(self, name: &str) -> Result<Region, String> {
        check(
            "nat_gateway_usd_per_hour",
            self.nat_gateway_usd_per_hour,
            0.0,
            false,
        )?;
        check(
            "nat_gateway_usd_per_gb",
            self.nat_gateway_usd_per_gb,
            0.0,
            false,
        )?;
        check("ipv4_usd_per_hour", self.ipv4_usd_per_hour, 0.0, false)?;
        check(
            "cross_az_usd_per_gb_each_way",
            self.cross_az_usd_per_gb_each_way,
            0.0,
            false,
        )?;
        if let Some(factor) = self.instance_price_factor {
            check("instance_price_factor", factor, 0.0, true)?;
        }
        if self.source.trim().is_empty() {
            return Err("has no source".to_string());
        }
        let mut below = 0.0;
        for (index, tier) in self.egress_tiers.iter().enumerate() {
            check(
                &format!("egress_tiers[{index}].usd_per_gb"),
                tier.usd_per_gb,
                0.0,
                false,
            )?;
            if tier.up_to_gb.is_nan() || tier.up_to_gb <= below {
                return Err(format!(
                    "egress_tiers[{index}].up_to_gb must be above the previous tier's ({below})"
                ));
            }
            below = tier.up_to_gb;
        }
        if below != f64::INFINITY {
            return Err("the last egress tier must have up_to_gb = inf".to_string());
        }
        let egress_tiers = self
            .egress_tiers
            .iter()
            .map(|t| EgressTier {
                up_to_gb: t.up_to_gb,
                usd_per_gb: t.usd_per_gb,
            })
            .collect();
        Ok(Region {
            name: name.to_string(),
            nat_gateway_usd_per_hour: self.nat_gateway_usd_per_hour,
            nat_gateway_usd_per_gb: self.nat_gateway_usd_per_gb,
            ipv4_usd_per_hour: self.ipv4_usd_per_hour,
            cross_az_usd_per_gb_each_way: self.cross_az_usd_per_gb_each_way,
            egress_tiers,
            instance_price_factor: self.instance_price_factor,
            source: self.source,
        })
    }
}

impl RawInstance {
    fn validate(
        self,
        name: &str,
        regions: &BTreeMap<String, Region>,
    ) -> Result<InstanceType, String> {
        if !name.contains('.') {
            return Err("name must be family.size, like \"c6gn.medium\"".to_string());
        }
        if self.vcpus == 0 {
            return Err("vcpus must be at least 1".to_string());
        }
        check("memory_gib", self.memory_gib, 0.0, true)?;
        check("baseline_gbps", self.baseline_gbps, 0.0, true)?;
        check("burst_gbps", self.burst_gbps, self.baseline_gbps, false)?;
        if self.usd_per_hour.is_empty() {
            return Err("usd_per_hour lists no price in any region".to_string());
        }
        if !self.usd_per_hour.contains_key(REFERENCE_REGION)
            && let Some(region) = regions.values().find(|r| {
                r.instance_price_factor.is_some() && !self.usd_per_hour.contains_key(&r.name)
            })
        {
            return Err(format!(
                "usd_per_hour has no \"{REFERENCE_REGION}\" price, which {} scales from (it lists no price of its own)",
                region.name
            ));
        }
        for (region, &price) in &self.usd_per_hour {
            if !regions.contains_key(region) {
                return Err(format!("usd_per_hour names unknown region \"{region}\""));
            }
            check(&format!("usd_per_hour.{region}"), price, 0.0, false)?;
        }
        if self.source.trim().is_empty() {
            return Err("has no source".to_string());
        }
        Ok(InstanceType {
            name: name.to_string(),
            vcpus: self.vcpus,
            memory_gib: self.memory_gib,
            baseline_gbps: self.baseline_gbps,
            burst_gbps: self.burst_gbps,
            usd_per_hour: self.usd_per_hour,
            source: self.source,
        })
    }
}

fn validate_nat_gateway(d: &NatGatewayDefaults) -> Result<(), String> {
    let checks = || -> Result<(), String> {
        if !(1..=64512).contains(&d.ports_per_ip) {
            return Err(format!(
                "ports_per_ip is {}, must be 1 to 64512",
                d.ports_per_ip
            ));
        }
        check("start_gbps", d.start_gbps, 0.0, true)?;
        check("max_gbps", d.max_gbps, d.start_gbps, false)?;
        check("start_mpps", d.start_mpps, 0.0, true)?;
        check("max_mpps", d.max_mpps, d.start_mpps, false)?;
        check("idle_timeout_s", d.idle_timeout_s, 0.0, true)?;
        check("release_delay_s", d.release_delay_s, 0.0, false)?;
        check("ramp_interval_s", d.ramp_interval_s, 0.0, true)?;
        check("ramp_step_gbps", d.ramp_step_gbps, 0.0, true)?;
        check("ramp_up_utilization", d.ramp_up_utilization, 0.0, true)?;
        check("ramp_down_utilization", d.ramp_down_utilization, 0.0, false)?;
        check("ramp_down_after_s", d.ramp_down_after_s, 0.0, false)?;
        if d.ramp_up_utilization > 1.0 || d.ramp_down_utilization >= d.ramp_up_utilization {
            return Err("need 0 <= ramp_down_utilization < ramp_up_utilization <= 1".to_string());
        }
        check_sources("nat_gateway", &d.sources, NatGatewayDefaults::FIELDS)
    };
    checks().map_err(|e| format!("nat_gateway: {e}"))
}

fn validate_nat_instance(d: &NatInstanceDefaults) -> Result<(), String> {
    let checks = || -> Result<(), String> {
        for (size, &minutes) in &d.burst_minutes_by_size {
            check(
                &format!("burst_minutes_by_size.{size}"),
                minutes,
                0.0,
                false,
            )?;
        }
        check("burst_minutes_other", d.burst_minutes_other, 0.0, false)?;
        check("pps_vcpu_scale", d.pps_vcpu_scale, 0.0, true)?;
        check("pps_vcpu_exponent", d.pps_vcpu_exponent, 0.0, false)?;
        check("pps_frame_bytes", d.pps_frame_bytes, 0.0, true)?;
        if d.conntrack_bytes_per_entry == 0 || d.conntrack_min == 0 {
            return Err(
                "conntrack_bytes_per_entry and conntrack_min must be at least 1".to_string(),
            );
        }
        let mut below = 0.0;
        for (index, step) in d.conntrack_steps.iter().enumerate() {
            if step.above_gib.is_nan() || step.above_gib <= below {
                return Err(format!(
                    "conntrack_steps[{index}].above_gib must be above the previous step's ({below})"
                ));
            }
            below = step.above_gib;
        }
        check("idle_timeout_tcp_s", d.idle_timeout_tcp_s, 0.0, true)?;
        check("idle_timeout_udp_s", d.idle_timeout_udp_s, 0.0, true)?;
        check("release_delay_tcp_s", d.release_delay_tcp_s, 0.0, false)?;
        check("release_delay_udp_s", d.release_delay_udp_s, 0.0, false)?;
        check("internet_cap_gbps", d.internet_cap_gbps, 0.0, true)?;
        check("internet_cap_fraction", d.internet_cap_fraction, 0.0, true)?;
        check_sources(
            "nat_instance",
            &d.sources,
            NatInstanceDefaults::SOURCED_KEYS,
        )
    };
    checks().map_err(|e| format!("nat_instance: {e}"))
}
