//! The imported catalog as text, in the format of the built-in `catalog.toml`.
//!
//! Owns the layout: a header naming every input file, the regions, the device defaults copied
//! from the catalog the import ran with (with their sources), then the instance types. The same
//! inputs give the same bytes: maps are ordered and nothing records the time.

use super::assemble::Assembled;
use super::price::Offer;
use crate::io::catalog::{NatGatewayDefaults, NatInstanceDefaults};
use serde::Serialize;
use std::fmt::Write as _;

/// A file the import read, for the header.
pub(super) struct Input {
    pub(super) file: String,
    pub(super) what: String,
}

impl Input {
    pub(super) fn prices(offer: &Offer) -> Input {
        Input {
            file: offer.file.clone(),
            what: offer.describe(),
        }
    }
}

#[derive(Serialize)]
struct Defaults<'a> {
    nat_gateway: &'a NatGatewayDefaults,
    nat_instance: &'a NatInstanceDefaults,
}

/// The catalog text.
pub(super) fn render(
    inputs: &[Input],
    assembled: &Assembled,
    nat_gateway: &NatGatewayDefaults,
    nat_instance: &NatInstanceDefaults,
) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# natsim catalog written by `natsim catalog import` (natsim {}) from:",
        env!("CARGO_PKG_VERSION")
    );
    for input in inputs {
        let _ = writeln!(out, "#   {}: {}", input.file, input.what);
    }
    out.push_str(
        "#
# Every region's and instance type's `source` names the file and SKU each figure came from.
# There is no instance_price_factor: an instance type without a listed price in a region has
# no price there (give one with hourly_usd or [prices] instance_usd_per_hour in the scenario).
# [nat_gateway] and [nat_instance] are natsim's defaults, copied with their sources from the
# catalog the import ran with. Format: src/io/catalog/catalog.toml; see docs/catalog.md.
# Units live in the key names: usd_per_hour, usd_per_gb (GB = 2^30 bytes, as billed), gbps.
",
    );
    for (name, r) in &assembled.regions {
        let _ = writeln!(out, "\n[regions.{}]", key(name));
        let _ = writeln!(
            out,
            "nat_gateway_usd_per_hour = {:?}",
            r.nat_gateway_usd_per_hour
        );
        let _ = writeln!(
            out,
            "nat_gateway_usd_per_gb = {:?}",
            r.nat_gateway_usd_per_gb
        );
        let _ = writeln!(out, "ipv4_usd_per_hour = {:?}", r.ipv4_usd_per_hour);
        let _ = writeln!(
            out,
            "cross_az_usd_per_gb_each_way = {:?}",
            r.cross_az_usd_per_gb_each_way
        );
        out.push_str("egress_tiers = [\n");
        for (up_to, usd) in &r.egress_tiers {
            let _ = writeln!(out, "    {{ up_to_gb = {up_to:?}, usd_per_gb = {usd:?} }},");
        }
        out.push_str("]\n");
        let _ = writeln!(out, "source = {}", string(&r.source));
    }
    out.push('\n');
    let defaults = toml::to_string(&Defaults {
        nat_gateway,
        nat_instance,
    })
    .map_err(|e| format!("cannot write the device defaults: {e}"))?;
    out.push_str(&defaults);
    for (name, it) in &assembled.instances {
        let s = &it.spec;
        let _ = writeln!(out, "\n[instances.{}]", key(name));
        let _ = writeln!(out, "vcpus = {}", s.vcpus);
        let _ = writeln!(out, "memory_gib = {:?}", s.memory_gib);
        let _ = writeln!(out, "baseline_gbps = {:?}", s.baseline_gbps);
        let _ = writeln!(out, "burst_gbps = {:?}", s.burst_gbps);
        let prices: Vec<String> = it
            .usd_per_hour
            .iter()
            .map(|(region, usd)| format!("{} = {usd:?}", string(region)))
            .collect();
        let _ = writeln!(out, "usd_per_hour = {{ {} }}", prices.join(", "));
        let _ = writeln!(out, "source = {}", string(&it.source));
    }
    Ok(out)
}

/// A TOML basic string.
fn string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A table key: bare when TOML allows it, quoted otherwise (`"t4g.nano"`).
fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_string()
    } else {
        string(name)
    }
}
