//! The prices and instance figures read from AWS's files into catalog regions and instance types.
//!
//! Owns the rules of completeness: a region is written only with all five of its figures (NAT
//! gateway $/h and $/GB, public IPv4 $/h, cross-AZ $/GB, internet egress tiers from 0 to
//! unbounded); one without all of them is left out and the missing ones named (an error when
//! the user asked for that region). An instance type is written with the Linux on-demand
//! prices of the written regions, and left out (said so) when it has none. Two different
//! prices for the same figure are an error naming both records: natsim never picks one.

use super::describe::Spec;
use super::price::{Item, Offer, Priced};
use std::collections::{BTreeMap, BTreeSet};

/// A region's figures, each with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RegionOut {
    pub(super) nat_gateway_usd_per_hour: f64,
    pub(super) nat_gateway_usd_per_gb: f64,
    pub(super) ipv4_usd_per_hour: f64,
    pub(super) cross_az_usd_per_gb_each_way: f64,
    /// (up to GB, $/GB), ascending, the last unbounded.
    pub(super) egress_tiers: Vec<(f64, f64)>,
    pub(super) source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct InstanceOut {
    pub(super) spec: Spec,
    pub(super) usd_per_hour: BTreeMap<String, f64>,
    pub(super) source: String,
}

/// What is written, and what was left out and why.
#[derive(Debug, Default)]
pub(super) struct Assembled {
    pub(super) regions: BTreeMap<String, RegionOut>,
    pub(super) instances: BTreeMap<String, InstanceOut>,
    pub(super) notes: Vec<String>,
}

/// Builds the catalog's regions and instances. `wanted` limits the regions (empty: all);
/// `offers` are the files, indexed by `Priced::offer`.
pub(super) fn assemble(
    specs: &BTreeMap<String, Spec>,
    left_out: &BTreeSet<String>,
    priced: &[Priced],
    offers: &[Offer],
    wanted: &[String],
) -> Result<Assembled, String> {
    let mut by_region: BTreeMap<&str, BTreeMap<&Item, Vec<&Priced>>> = BTreeMap::new();
    for p in priced {
        by_region
            .entry(&p.region)
            .or_default()
            .entry(&p.item)
            .or_default()
            .push(p);
    }
    for region in wanted {
        if !by_region.contains_key(region.as_str()) {
            return Err(format!(
                "--region {region}: the files give no price for {region}; check the region code, or add its price lists"
            ));
        }
    }
    let mut out = Assembled::default();
    let empty = Vec::new();
    for (region, items) in &by_region {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == region) {
            continue;
        }
        let get = |item: &Item| items.get(item).unwrap_or(&empty);
        let figures = [
            Item::NatGatewayHour,
            Item::NatGatewayGb,
            Item::Ipv4Hour,
            Item::CrossAzGb,
        ]
        .map(|item| scalar(region, &item, get(&item), offers));
        let tiers = tiers(region, get(&Item::EgressGb), offers)?;
        let mut missing = Vec::new();
        let mut values = Vec::new();
        for (item, figure) in [
            Item::NatGatewayHour,
            Item::NatGatewayGb,
            Item::Ipv4Hour,
            Item::CrossAzGb,
        ]
        .iter()
        .zip(figures)
        {
            match figure? {
                Some(value) => values.push(value),
                None => missing.push(missing_text(item)),
            }
        }
        if tiers.is_empty() {
            missing.push(missing_text(&Item::EgressGb));
        }
        if !missing.is_empty() {
            let problem = format!("region {region}: no {}", missing.join(", no "));
            if !wanted.is_empty() {
                return Err(format!("{problem}; add the price list that has it"));
            }
            out.notes.push(format!("{problem}; the region is left out"));
            continue;
        }
        let cited: Vec<&Priced> = [
            Item::NatGatewayHour,
            Item::NatGatewayGb,
            Item::Ipv4Hour,
            Item::CrossAzGb,
            Item::EgressGb,
        ]
        .iter()
        .flat_map(|item| get(item).iter().copied())
        .collect();
        out.regions.insert(
            region.to_string(),
            RegionOut {
                nat_gateway_usd_per_hour: values[0].0,
                nat_gateway_usd_per_gb: values[1].0,
                ipv4_usd_per_hour: values[2].0,
                cross_az_usd_per_gb_each_way: values[3].0,
                egress_tiers: tiers,
                source: format!(
                    "imported by `natsim catalog import` from the AWS Price List: {}",
                    cite(&cited, offers)
                ),
            },
        );
    }
    if out.regions.is_empty() {
        return Err(format!(
            "no region has every price natsim needs ({}); give the AmazonEC2, AmazonVPC and data transfer price lists of the same regions",
            out.notes.join("; ")
        ));
    }
    instances(specs, left_out, &by_region, offers, &mut out)?;
    Ok(out)
}

/// Each described type with its prices in the written regions.
fn instances(
    specs: &BTreeMap<String, Spec>,
    left_out: &BTreeSet<String>,
    by_region: &BTreeMap<&str, BTreeMap<&Item, Vec<&Priced>>>,
    offers: &[Offer],
    out: &mut Assembled,
) -> Result<(), String> {
    let mut unpriced = Vec::new();
    for (name, spec) in specs {
        let item = Item::InstanceHour(name.clone());
        let mut prices = BTreeMap::new();
        let mut cited = BTreeSet::new();
        for region in out.regions.keys() {
            let Some(found) = by_region
                .get(region.as_str())
                .and_then(|items| items.get(&item))
            else {
                continue;
            };
            if let Some((usd, _)) = scalar(region, &item, found, offers)? {
                prices.insert(region.clone(), usd);
                cited.extend(found.iter().map(|p| offers[p.offer].describe()));
            }
        }
        if prices.is_empty() {
            unpriced.push(name.clone());
            continue;
        }
        let arch = if spec.architectures.is_empty() {
            String::new()
        } else {
            format!(", {}", spec.architectures.join("/"))
        };
        let source = format!(
            "imported by `natsim catalog import`: vcpus, memory: aws ec2 describe-instance-types ({}{arch}); baseline/burst: {}; usd_per_hour: Linux on-demand, shared tenancy, {}",
            spec.file,
            spec.network_from,
            cited.into_iter().collect::<Vec<_>>().join(", ")
        );
        out.instances.insert(
            name.clone(),
            InstanceOut {
                spec: spec.clone(),
                usd_per_hour: prices,
                source,
            },
        );
    }
    if !unpriced.is_empty() {
        out.notes.push(format!(
            "{} described instance type(s) have no Linux on-demand price in the imported regions and are left out: {}",
            unpriced.len(),
            listed(&unpriced)
        ));
    }
    let priced_names: BTreeSet<&str> = by_region
        .iter()
        .filter(|(region, _)| out.regions.contains_key(**region))
        .flat_map(|(_, items)| items.keys())
        .filter_map(|item| match item {
            Item::InstanceHour(name) if !specs.contains_key(name) && !left_out.contains(name) => {
                Some(name.as_str())
            }
            _ => None,
        })
        .collect();
    if !priced_names.is_empty() {
        let names: Vec<String> = priced_names.iter().map(|n| n.to_string()).collect();
        out.notes.push(format!(
            "{} priced instance type(s) are not in the describe-instance-types output and are left out (natsim needs their network figures): {}",
            names.len(),
            listed(&names)
        ));
    }
    Ok(())
}

/// `NAT gateway $/h (NatGateway-Hours; AWS lists it in ...)`.
fn missing_text(item: &Item) -> String {
    format!(
        "{} ({}; AWS lists it in the {})",
        item.label(),
        item.usage(),
        where_listed(item)
    )
}

/// At most 12 names, then how many more.
pub(super) fn listed(names: &[String]) -> String {
    if names.len() <= 12 {
        names.join(", ")
    } else {
        format!("{}, and {} more", names[..12].join(", "), names.len() - 12)
    }
}

/// The one price of a figure, or `None` when no record gives it in its unit; two different
/// prices are an error.
fn scalar(
    region: &str,
    item: &Item,
    found: &[&Priced],
    offers: &[Offer],
) -> Result<Option<(f64, String)>, String> {
    let mut first: Option<(f64, &Priced)> = None;
    for p in found {
        for dim in p.dims.iter().filter(|d| unit_is(&d.unit, item.unit())) {
            match first {
                None => first = Some((dim.usd, p)),
                Some((usd, by)) if usd != dim.usd => {
                    return Err(format!(
                        "region {region}: two prices for {}: {usd} ({}) and {} ({}); give each price once (one price list per service and region)",
                        item.name(),
                        record(by, offers),
                        dim.usd,
                        record(p, offers)
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(first.map(|(usd, p)| (usd, record(p, offers))))
}

/// The internet egress tiers: every dimension of every record, the same ones once, joined from
/// 0 to unbounded; empty when there are none.
fn tiers(region: &str, found: &[&Priced], offers: &[Offer]) -> Result<Vec<(f64, f64)>, String> {
    let mut dims: Vec<(f64, f64, f64, &Priced)> = found
        .iter()
        .flat_map(|p| {
            p.dims
                .iter()
                .filter(|d| unit_is(&d.unit, "GB"))
                .map(move |d| (d.begin, d.end, d.usd, *p))
        })
        .collect();
    dims.sort_by(|a, b| {
        (a.0.total_cmp(&b.0))
            .then(a.1.total_cmp(&b.1))
            .then(a.2.total_cmp(&b.2))
    });
    // The same tier from another file (or SKU) counts once.
    dims.dedup_by(|b, a| (a.0, a.1, a.2) == (b.0, b.1, b.2));
    let mut tiers: Vec<(f64, f64)> = Vec::new();
    let mut next: f64 = 0.0;
    for (begin, end, usd, p) in &dims {
        if *begin != next {
            let problem = if *begin < next {
                format!("tiers overlap at {begin} to {end} GB")
            } else {
                format!("tiers leave a gap from {next} to {begin} GB")
            };
            return Err(format!(
                "region {region}: internet egress {problem} ({}); give one complete price list of DataTransfer-Out-Bytes",
                record(p, offers)
            ));
        }
        tiers.push((*end, *usd));
        next = *end;
    }
    if !tiers.is_empty() && next != f64::INFINITY {
        return Err(format!(
            "region {region}: internet egress tiers stop at {next} GB instead of going on without end (Inf); the price list is partial"
        ));
    }
    Ok(tiers)
}

fn unit_is(unit: &str, wanted: &str) -> bool {
    unit.eq_ignore_ascii_case(wanted) || (wanted == "Hrs" && unit.eq_ignore_ascii_case("Hours"))
}

/// `ec2.csv line 7, SKU S1`.
fn record(p: &Priced, offers: &[Offer]) -> String {
    format!("{} {}, SKU {}", offers[p.offer].file, p.record, p.sku)
}

/// The files the figures came from, each with its figures and their SKUs:
/// `AmazonEC2 price list V (published D, f.csv): NAT gateway $/h (...) SKU X, ...; AmazonVPC ...`.
fn cite(found: &[&Priced], offers: &[Offer]) -> String {
    let mut by_offer: BTreeMap<usize, BTreeMap<&Item, BTreeSet<&str>>> = BTreeMap::new();
    for p in found {
        by_offer
            .entry(p.offer)
            .or_default()
            .entry(&p.item)
            .or_default()
            .insert(&p.sku);
    }
    by_offer
        .iter()
        .map(|(offer, items)| {
            let figures: Vec<String> = items
                .iter()
                .map(|(item, skus)| {
                    let skus: Vec<&str> = skus.iter().copied().collect();
                    format!("{} SKU {}", item.name(), skus.join(", "))
                })
                .collect();
            format!("{}: {}", offers[*offer].describe(), figures.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Which of AWS's price lists has a figure, for the note when it is missing.
fn where_listed(item: &Item) -> &'static str {
    match item {
        Item::NatGatewayHour | Item::NatGatewayGb => {
            "AmazonEC2 price list, product family NAT Gateway"
        }
        Item::Ipv4Hour => "AmazonVPC price list",
        Item::CrossAzGb | Item::EgressGb => {
            "AWSDataTransfer or AmazonEC2 price list, product family Data Transfer"
        }
        Item::InstanceHour(_) => "AmazonEC2 price list, product family Compute Instance",
    }
}

#[cfg(test)]
mod tests {
    use super::super::price::Dim;
    use super::*;

    fn offers() -> Vec<Offer> {
        vec![Offer {
            file: "f.csv".into(),
            service: "AmazonEC2".into(),
            version: "1".into(),
            published: String::new(),
        }]
    }

    fn priced(region: &str, item: Item, unit: &str, dims: &[(f64, f64, f64)]) -> Priced {
        Priced {
            region: region.into(),
            item,
            sku: "S".into(),
            offer: 0,
            record: "line 9".into(),
            dims: dims
                .iter()
                .map(|&(begin, end, usd)| Dim {
                    unit: unit.into(),
                    usd,
                    begin,
                    end,
                })
                .collect(),
        }
    }

    fn complete(region: &str) -> Vec<Priced> {
        let inf = f64::INFINITY;
        vec![
            priced(region, Item::NatGatewayHour, "Hrs", &[(0.0, inf, 0.045)]),
            priced(region, Item::NatGatewayGb, "GB", &[(0.0, inf, 0.045)]),
            priced(region, Item::Ipv4Hour, "Hrs", &[(0.0, inf, 0.005)]),
            priced(region, Item::CrossAzGb, "GB", &[(0.0, inf, 0.01)]),
            priced(
                region,
                Item::EgressGb,
                "GB",
                &[
                    (10240.0, inf, 0.085),
                    (0.0, 100.0, 0.0),
                    (100.0, 10240.0, 0.09),
                ],
            ),
        ]
    }

    #[test]
    fn complete_regions_are_written_and_incomplete_ones_named() {
        let mut all = complete("us-west-2");
        all.extend(complete("eu-west-1").into_iter().skip(1));
        let out = assemble(&BTreeMap::new(), &BTreeSet::new(), &all, &offers(), &[]).unwrap();
        let west = &out.regions["us-west-2"];
        assert_eq!(
            west.egress_tiers,
            vec![(100.0, 0.0), (10240.0, 0.09), (f64::INFINITY, 0.085)]
        );
        assert!(west.source.contains("f.csv"), "{}", west.source);
        assert!(!out.regions.contains_key("eu-west-1"));
        assert!(
            out.notes[0].starts_with("region eu-west-1: no NAT gateway $/h (NatGateway-Hours; AWS lists it in the AmazonEC2"),
            "{:?}",
            out.notes
        );
        let err = assemble(
            &BTreeMap::new(),
            &BTreeSet::new(),
            &all,
            &offers(),
            &["eu-west-1".into()],
        )
        .unwrap_err();
        assert!(
            err.contains("region eu-west-1: no NAT gateway $/h"),
            "{err}"
        );
    }

    #[test]
    fn two_prices_for_one_figure_and_broken_tiers_are_refused() {
        let mut all = complete("us-west-2");
        all.push(priced(
            "us-west-2",
            Item::Ipv4Hour,
            "Hrs",
            &[(0.0, f64::INFINITY, 0.006)],
        ));
        let err = assemble(&BTreeMap::new(), &BTreeSet::new(), &all, &offers(), &[]).unwrap_err();
        assert!(
            err.contains("two prices for public IPv4") && err.contains("0.006"),
            "{err}"
        );
        let mut gap = complete("us-west-2");
        gap[4].dims.remove(2);
        let err = assemble(&BTreeMap::new(), &BTreeSet::new(), &gap, &offers(), &[]).unwrap_err();
        assert!(err.contains("gap from 100 to 10240 GB"), "{err}");
        let mut twice = complete("us-west-2");
        twice.push(twice[4].clone());
        assert!(assemble(&BTreeMap::new(), &BTreeSet::new(), &twice, &offers(), &[]).is_ok());
    }
}
