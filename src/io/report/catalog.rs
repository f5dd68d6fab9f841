//! `natsim catalog`: the catalog as tables (region prices, egress tiers, NAT gateway defaults,
//! instance types with the limits natsim derives for them), laid out as text or Markdown.
//!
//! Owns the layout of that listing only. It reads a [`Catalog`] already parsed and checked, asks it
//! for every figure (prices, derived limits) and never computes one itself; it writes to a
//! `String`, and the CLI prints it. Each table is built once as a [`Listing`]; the text and
//! Markdown layouts only place its cells (the JSON form is `json::catalog_document`).

use std::fmt::Write as _;

use crate::io::catalog::{Catalog, InstanceType, NatGatewayDefaults, PriceBasis, Region};
use crate::model::cost::EgressTier;

/// One table of the listing: its title, header, rows, how many leading columns hold text (the
/// rest are numbers, right-aligned in text), and notes printed under it.
struct Listing {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    text_columns: usize,
    notes: Vec<String>,
}

/// A readable table of the catalog for `natsim catalog [--region R]`: every region when
/// `region` is `None`, else that region's prices only.
pub(crate) fn render(catalog: &Catalog, region: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    for (index, listing) in listings(catalog, region)?.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", listing.title);
        let header: Vec<&str> = listing.header.iter().map(String::as_str).collect();
        out.push_str(&aligned_table(&header, &listing.rows, listing.text_columns));
        for note in &listing.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    Ok(out)
}

/// The same tables as [`render`], in Markdown (`--format markdown`).
pub(crate) fn markdown(catalog: &Catalog, region: Option<&str>) -> Result<String, String> {
    let mut out = String::from("## natsim catalog\n");
    for listing in listings(catalog, region)? {
        let _ = writeln!(out, "\n### {}\n", super::markdown::escape(&listing.title));
        let header: Vec<&str> = listing.header.iter().map(String::as_str).collect();
        let right: Vec<bool> = (0..header.len())
            .map(|c| c >= listing.text_columns)
            .collect();
        out.push_str(&super::markdown::table(&header, &right, &listing.rows));
        for note in &listing.notes {
            let _ = writeln!(out, "\n{}", super::markdown::escape(note));
        }
    }
    Ok(out)
}

/// The regions the listing shows: all, or the one asked for (an unknown name is an error that
/// lists the known ones).
pub(crate) fn regions_shown<'a>(
    catalog: &'a Catalog,
    region: Option<&str>,
) -> Result<Vec<&'a Region>, String> {
    match region {
        None => Ok(catalog.regions.values().collect()),
        Some(name) => Ok(vec![catalog.region(name).ok_or_else(|| {
            format!(
                "unknown region {}; known: {}; for another region, build a catalog from AWS's price lists with `natsim catalog import` and pass it with --catalog (docs/catalog.md)",
                crate::util::echo::quoted(name),
                catalog.region_names().join(", ")
            )
        })?]),
    }
}

/// Instance types by family, then size (vCPUs, memory), then name.
pub(crate) fn instances_in_order(catalog: &Catalog) -> Vec<&InstanceType> {
    let mut types: Vec<&InstanceType> = catalog.instances.values().collect();
    types.sort_by(|a, b| {
        family(&a.name)
            .cmp(family(&b.name))
            .then(a.vcpus.cmp(&b.vcpus))
            .then(a.memory_gib.total_cmp(&b.memory_gib))
            .then(a.name.cmp(&b.name))
    });
    types
}

fn listings(catalog: &Catalog, region: Option<&str>) -> Result<Vec<Listing>, String> {
    let regions = regions_shown(catalog, region)?;
    Ok(vec![
        region_prices(&regions),
        egress_tiers(&regions),
        nat_gateway(&catalog.nat_gateway),
        instances(catalog, &regions),
    ])
}

fn instances(catalog: &Catalog, regions: &[&Region]) -> Listing {
    let mut header: Vec<String> = [
        "type",
        "vCPU",
        "mem GiB",
        "baseline Gbps",
        "burst Gbps",
        "internet cap Gbps",
        "burst min",
        "pps",
        "conntrack",
    ]
    .map(String::from)
    .to_vec();
    header.extend(regions.iter().map(|r| format!("$/h {}", r.name)));
    let mut any_derived = false;
    let rows: Vec<Vec<String>> = instances_in_order(catalog)
        .iter()
        .map(|it| instance_row(catalog, it, regions, &mut any_derived))
        .collect();
    let mut notes = Vec::new();
    if any_derived {
        notes.push(
            "* derived, not listed: the us-east-1 price × the region's instance price factor (assumed)"
                .to_string(),
        );
    }
    notes.push(
        "burst min, pps and conntrack are natsim's assumptions (AWS publishes none); see catalog.toml sources"
            .to_string(),
    );
    Listing {
        title: "NAT instance types".to_string(),
        header,
        rows,
        text_columns: 1,
        notes,
    }
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

fn region_prices(regions: &[&Region]) -> Listing {
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
    Listing {
        title: "Region prices (USD; GB = 2^30 bytes)".to_string(),
        header: header.map(String::from).to_vec(),
        rows,
        text_columns: 1,
        notes: Vec::new(),
    }
}

fn egress_tiers(regions: &[&Region]) -> Listing {
    let rows: Vec<Vec<String>> = regions
        .iter()
        .map(|r| vec![r.name.clone(), tiers_text(&r.egress_tiers)])
        .collect();
    Listing {
        title: "Internet egress tiers ($/GB by monthly volume)".to_string(),
        header: vec!["region".to_string(), "tiers".to_string()],
        rows,
        text_columns: 2,
        notes: Vec::new(),
    }
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

fn nat_gateway(d: &NatGatewayDefaults) -> Listing {
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
    Listing {
        title: "NAT gateway defaults".to_string(),
        header: vec!["setting".to_string(), "value".to_string()],
        rows,
        text_columns: 2,
        notes: Vec::new(),
    }
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
