//! `[prices]`: the region's catalog prices with the scenario's overrides applied.
//!
//! Owns the `[prices]` keys and the rule for a price the catalog lacks (an older or partial
//! import may have no EBS or interface-endpoint price): it is an error only for a candidate
//! that would be billed for it, naming that candidate's key and the price to give. Invariant:
//! a price natsim bills with is the catalog's or the user's, never made up; a missing one that
//! nothing uses stays 0.

use std::collections::BTreeMap;

use super::reader::{self, Check, MAX_USD, Result, Section};
use super::suggest::unknown_instance_hint;
use super::{Candidate, ScenarioError};
use crate::io::catalog::{Catalog, Region};
use crate::model::cost::{EgressTier, Prices};
use crate::util::echo;

/// Prices the region's catalog entry lacks and `[prices]` did not give.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Missing {
    ebs: bool,
    endpoint_hour: bool,
    endpoint_gb: bool,
}

/// The region's prices with `[prices]` overrides applied, the per-instance-type price overrides
/// (applied to nat_instance and proxy candidates), and what is still missing.
pub(super) fn read(
    section: Option<Section<'_>>,
    region: &Region,
    catalog: &Catalog,
) -> Result<(Prices, BTreeMap<String, f64>, Missing)> {
    let mut prices = Prices {
        region: region.name.clone(),
        nat_gateway_usd_per_hour: region.nat_gateway_usd_per_hour,
        nat_gateway_usd_per_gb: region.nat_gateway_usd_per_gb,
        ipv4_usd_per_hour: region.ipv4_usd_per_hour,
        cross_az_usd_per_gb_each_way: region.cross_az_usd_per_gb_each_way,
        egress_tiers: region.egress_tiers.clone(),
        free_tier_gb: 0.0,
        ebs_usd_per_gb_month: region.ebs_gp3_usd_per_gb_month.unwrap_or(0.0),
        endpoint_usd_per_hour: region.interface_endpoint_usd_per_hour.unwrap_or(0.0),
        endpoint_tiers: region.interface_endpoint_tiers.clone().unwrap_or_default(),
    };
    let mut missing = Missing {
        ebs: region.ebs_gp3_usd_per_gb_month.is_none(),
        endpoint_hour: region.interface_endpoint_usd_per_hour.is_none(),
        endpoint_gb: region.interface_endpoint_tiers.is_none(),
    };
    let Some(mut s) = section else {
        return Ok((prices, BTreeMap::new(), missing));
    };
    let overrides: [(&'static str, &mut f64, Option<&mut bool>); 7] = [
        ("free_tier_gb", &mut prices.free_tier_gb, None),
        (
            "nat_gateway_usd_per_hour",
            &mut prices.nat_gateway_usd_per_hour,
            None,
        ),
        (
            "nat_gateway_usd_per_gb",
            &mut prices.nat_gateway_usd_per_gb,
            None,
        ),
        ("ipv4_usd_per_hour", &mut prices.ipv4_usd_per_hour, None),
        (
            "cross_az_usd_per_gb_each_way",
            &mut prices.cross_az_usd_per_gb_each_way,
            None,
        ),
        (
            "ebs_gp3_usd_per_gb_month",
            &mut prices.ebs_usd_per_gb_month,
            Some(&mut missing.ebs),
        ),
        (
            "interface_endpoint_usd_per_hour",
            &mut prices.endpoint_usd_per_hour,
            Some(&mut missing.endpoint_hour),
        ),
    ];
    for (key, slot, lacking) in overrides {
        if let Some(value) = s.number(key, Check::Between(0.0, MAX_USD))? {
            *slot = value;
            if let Some(lacking) = lacking {
                *lacking = false;
            }
        }
    }
    let flat = |usd_per_gb| {
        vec![EgressTier {
            up_to_gb: f64::INFINITY,
            usd_per_gb,
        }]
    };
    if let Some(usd) = s.number("egress_usd_per_gb", Check::Between(0.0, MAX_USD))? {
        prices.egress_tiers = flat(usd);
    }
    let endpoint_gb = "interface_endpoint_usd_per_gb";
    if let Some(usd) = s.number(endpoint_gb, Check::Between(0.0, MAX_USD))? {
        prices.endpoint_tiers = flat(usd);
        missing.endpoint_gb = false;
    }
    let instance_prices = instance_prices(&mut s, catalog)?;
    s.finish()?;
    Ok((prices, instance_prices, missing))
}

/// `[prices] instance_usd_per_hour`: an hourly price by instance type, each type in the catalog.
fn instance_prices(s: &mut Section<'_>, catalog: &Catalog) -> Result<BTreeMap<String, f64>> {
    let mut prices = BTreeMap::new();
    if let Some(table) = s.table("instance_usd_per_hour")? {
        for (name, value) in table.entries() {
            if catalog.instance(name).is_none() {
                let problem = format!("unknown instance type {}", echo::quoted(name));
                return Err(table.error(name, problem, unknown_instance_hint(catalog, name)));
            }
            let price =
                reader::number_in(&table.path_of(name), value, Check::Between(0.0, MAX_USD))?;
            prices.insert(name.clone(), price);
        }
    }
    Ok(prices)
}

impl Missing {
    /// An error for the first candidate billed for a price the catalog lacks.
    pub(super) fn check(&self, candidates: &[Candidate], region: &str) -> Result<()> {
        let reimport =
            "or import the region's prices again with `natsim catalog import` (docs/catalog.md)";
        for (index, c) in candidates.iter().enumerate() {
            let path = |key: &str| format!("candidate[{index}].{key}");
            let has_volume = c.device.instance().is_some_and(|i| i.volume_gb > 0.0);
            if self.ebs && has_volume {
                return Err(ScenarioError::new(
                    path("volume_gb"),
                    format!("the catalog has no EBS gp3 price for {region}"),
                    format!(
                        "set [prices] ebs_gp3_usd_per_gb_month to the region's gp3 price per GB-month, or volume_gb = 0 to leave the volume out of the bill, {reimport}"
                    ),
                ));
            }
            if (self.endpoint_hour || self.endpoint_gb) && !c.interface_endpoints.is_empty() {
                let which = match (self.endpoint_hour, self.endpoint_gb) {
                    (true, true) => {
                        "interface_endpoint_usd_per_hour and interface_endpoint_usd_per_gb"
                    }
                    (true, false) => "interface_endpoint_usd_per_hour",
                    _ => "interface_endpoint_usd_per_gb",
                };
                return Err(ScenarioError::new(
                    path("interface_endpoints"),
                    format!("the catalog has no interface-endpoint price for {region}"),
                    format!("set [prices] {which} to the region's PrivateLink prices, {reimport}"),
                ));
            }
        }
        Ok(())
    }
}
