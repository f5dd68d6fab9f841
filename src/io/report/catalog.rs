//! `natsim catalog`: the catalog as text tables (region prices, egress tiers, NAT gateway
//! defaults, instance types with the limits natsim derives for them).
//!
//! Owns the layout of that listing only. It reads a [`Catalog`] already parsed and checked, asks it
//! for every figure (prices, derived limits) and never computes one itself; it writes to a
//! `String`, and the CLI prints it.

use std::fmt::Write as _;

use crate::io::catalog::{Catalog, InstanceType, NatGatewayDefaults, PriceBasis, Region};
use crate::model::cost::EgressTier;

/// A readable table of the catalog for `natsim catalog [--region R]`: every region when
/// `region` is `None`, else that region's prices only.
pub(crate) fn render(catalog: &Catalog, region: Option<&str>) -> Result<String, String> {
    let regions: Vec<&Region> = match region {
        None => catalog.regions.values().collect(),
        Some(name) => vec![catalog.region(name).ok_or_else(|| {
            format!(
                "unknown region {}; known: {}; for another region, build a catalog from AWS's price lists with `natsim catalog import` and pass it with --catalog (docs/catalog.md)",
                crate::util::echo::quoted(name),
                catalog.region_names().join(", ")
            )
        })?],
    };
    let mut out = String::new();
    render_regions(&mut out, &regions);
    render_nat_gateway(&mut out, &catalog.nat_gateway);
    render_instances(&mut out, catalog, &regions);
    Ok(out)
}

fn render_instances(out: &mut String, catalog: &Catalog, regions: &[&Region]) {
    let mut header = vec![
        "type",
        "vCPU",
        "mem GiB",
        "baseline Gbps",
        "burst Gbps",
        "internet cap Gbps",
    ];
    header.extend(["burst min", "pps", "conntrack"]);
    let price_headers: Vec<String> = regions.iter().map(|r| format!("$/h {}", r.name)).collect();
    header.extend(price_headers.iter().map(String::as_str));
    let mut types: Vec<&InstanceType> = catalog.instances.values().collect();
    types.sort_by(|a, b| {
        family(&a.name)
            .cmp(family(&b.name))
            .then(a.vcpus.cmp(&b.vcpus))
            .then(a.memory_gib.total_cmp(&b.memory_gib))
            .then(a.name.cmp(&b.name))
    });
    let mut any_derived = false;
    let rows: Vec<Vec<String>> = types
        .iter()
        .map(|it| instance_row(catalog, it, regions, &mut any_derived))
        .collect();
    let _ = writeln!(out, "\nNAT instance types");
    out.push_str(&aligned_table(&header, &rows, 1));
    if any_derived {
        let _ = writeln!(
            out,
            "  * derived, not listed: the us-east-1 price × the region's instance price factor (assumed)"
        );
    }
    let _ = writeln!(
        out,
        "  burst min, pps and conntrack are natsim's assumptions (AWS publishes none); see catalog.toml sources"
    );
}

/// One instance type's row: its figures, the limits the catalog derives for it, and its price in
/// each region (marked `*` where derived, which sets `any_derived`).
fn instance_row(
    catalog: &Catalog,
    it: &InstanceType,
    regions: &[&Region],
    any_derived: &mut bool,
) -> Vec<String> {
    let mut row = vec![
        it.name.clone(),
        it.vcpus.to_string(),
        number(it.memory_gib),
        number(it.baseline_gbps),
        number(it.burst_gbps),
        number(catalog.internet_cap_bps(it) / 1e9),
        number(catalog.burst_minutes(it)),
        format!("{:.0}", catalog.pps_limit(it)),
        catalog.conntrack_max(it).to_string(),
    ];
    for region in regions {
        row.push(match catalog.instance_price(&it.name, &region.name) {
            Some((price, PriceBasis::Listed)) => number(price),
            Some((price, PriceBasis::DerivedByRegionFactor)) => {
                *any_derived = true;
                format!("{}*", number(price))
            }
            None => "-".to_string(),
        });
    }
    row
}

fn render_regions(out: &mut String, regions: &[&Region]) {
    let header = [
        "region",
        "NAT GW $/h",
        "NAT GW $/GB",
        "IPv4 $/h",
        "cross-AZ $/GB each way",
        "instance price factor",
    ];
    let rows: Vec<Vec<String>> = regions
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                number(r.nat_gateway_usd_per_hour),
                number(r.nat_gateway_usd_per_gb),
                number(r.ipv4_usd_per_hour),
                number(r.cross_az_usd_per_gb_each_way),
                r.instance_price_factor.map_or("-".to_string(), number),
            ]
        })
        .collect();
    let _ = writeln!(out, "Region prices (USD; GB = 2^30 bytes)");
    out.push_str(&aligned_table(&header, &rows, 1));
    let _ = writeln!(out, "\nInternet egress tiers ($/GB by monthly volume)");
    let tiers: Vec<Vec<String>> = regions
        .iter()
        .map(|r| vec![r.name.clone(), tiers_text(&r.egress_tiers)])
        .collect();
    out.push_str(&aligned_table(&["region", "tiers"], &tiers, 2));
}

fn tiers_text(tiers: &[EgressTier]) -> String {
    let parts: Vec<String> = tiers
        .iter()
        .map(|t| {
            if t.up_to_gb.is_finite() {
                format!("{} to {} GB", number(t.usd_per_gb), number(t.up_to_gb))
            } else {
                format!("{} beyond", number(t.usd_per_gb))
            }
        })
        .collect();
    parts.join(", ")
}

fn render_nat_gateway(out: &mut String, d: &NatGatewayDefaults) {
    let mark = |field: &str| {
        if d.assumed(field).is_some() {
            " (assumed)"
        } else {
            ""
        }
    };
    let rows = vec![
        vec![
            "ports per IP per destination".to_string(),
            d.ports_per_ip.to_string(),
        ],
        vec![
            "bandwidth per direction".to_string(),
            format!("{} to {} Gbps", number(d.start_gbps), number(d.max_gbps)),
        ],
        vec![
            "packets per second".to_string(),
            format!("{} to {} Mpps", number(d.start_mpps), number(d.max_mpps)),
        ],
        vec![
            "idle timeout".to_string(),
            format!("{} s{}", number(d.idle_timeout_s), mark("idle_timeout_s")),
        ],
        vec![
            "release delay".to_string(),
            format!("{} s{}", number(d.release_delay_s), mark("release_delay_s")),
        ],
        vec![
            "scaling ramp".to_string(),
            format!(
                "+{} Gbps every {} s at >= {} % load; down below {} % after {} s{}",
                number(d.ramp_step_gbps),
                number(d.ramp_interval_s),
                number(d.ramp_up_utilization * 100.0),
                number(d.ramp_down_utilization * 100.0),
                number(d.ramp_down_after_s),
                mark("ramp_step_gbps")
            ),
        ],
    ];
    let _ = writeln!(out, "\nNAT gateway defaults");
    out.push_str(&aligned_table(&["setting", "value"], &rows, 2));
}

/// The family part of an instance name ("c6gn" of "c6gn.medium").
fn family(name: &str) -> &str {
    name.split_once('.').map_or(name, |(family, _)| family)
}

/// A number without trailing zeros, at most four decimals.
fn number(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Columns padded to their widest cell, indented two spaces; the first `text_columns` columns
/// left-aligned, the rest right-aligned (they hold numbers).
fn aligned_table(header: &[&str], rows: &[Vec<String>], text_columns: usize) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let lines = std::iter::once(header.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .chain(rows.iter().cloned());
    for line in lines {
        out.push(' ');
        for (index, (cell, width)) in line.iter().zip(&widths).enumerate() {
            let pad = width - cell.chars().count();
            out.push(' ');
            if index < text_columns {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str(&" ".repeat(pad + 1));
                out.push_str(cell);
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded()
    }

    #[test]
    fn render_lists_everything_and_marks_derived_prices() {
        let all = render(catalog(), None).unwrap();
        assert!(
            all.contains("c6gn.16xlarge")
                && all.contains("ap-northeast-2")
                && all.contains("55000")
        );
        let seoul = render(catalog(), Some("ap-northeast-2")).unwrap();
        assert!(
            seoul.contains("0.0536*"),
            "c6gn.medium in Seoul is derived:\n{seoul}"
        );
        assert!(seoul.contains("* derived"));
        assert!(!seoul.contains("eu-west-1"));
        let us = render(catalog(), Some("us-east-1")).unwrap();
        assert!(!us.contains('*'));
        let err = render(catalog(), Some("mars-1")).unwrap_err();
        assert!(
            err.starts_with(
                "unknown region \"mars-1\"; known: ap-northeast-2, eu-west-1, us-east-1; "
            ),
            "{err}"
        );
        assert!(err.contains("natsim catalog import"), "{err}");
    }
}
