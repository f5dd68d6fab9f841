//! A `kind = "internet_gateway"` candidate: instances with public IPs, no NAT in between.
//!
//! Owns how each workload's clients become the bottlenecks: sized by the workload's
//! `client_instance_type` (the catalog's figures and rules for that type) or `client_gbps`, else
//! the catalog's assumed flat rate. The candidate table has no keys of its own; the clients' keys
//! are `workload.rs`'s.

use super::Context;
use crate::io::catalog::{Catalog, InstanceType};
use crate::io::scenario::reader::{Result, Section};
use crate::io::scenario::setting::{Assumptions, CatalogDefault, Setting};
use crate::io::scenario::{Assumption, DeviceConfig, Workload};
use crate::model::device::hosts::HostSpec;
use crate::model::device::internet_gateway::{ClientGroup, Config};

pub(super) fn read(
    _s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let catalog = context.catalog;
    let mut notes = Assumptions::default();
    let groups = context
        .workloads
        .iter()
        .map(|w| {
            let typed = w
                .client_instance_type
                .as_deref()
                .and_then(|t| catalog.instance(t));
            let network = match typed {
                Some(it) => typed_client(catalog, it),
                None => flat_client(catalog, w, &mut notes),
            };
            ClientGroup {
                clients: w.clients,
                network,
            }
        })
        .collect();
    Ok((
        DeviceConfig::InternetGateway(Config { groups }),
        notes.into_vec(),
    ))
}

/// A client of a known instance type: its bandwidth, credits, internet cap and packet rate.
fn typed_client(catalog: &Catalog, it: &InstanceType) -> HostSpec {
    HostSpec {
        baseline_bps: it.baseline_gbps * 1e9,
        burst_bps: it.burst_gbps * 1e9,
        bucket_bits: (it.burst_gbps - it.baseline_gbps).max(0.0)
            * 1e9
            * catalog.burst_minutes(it)
            * 60.0,
        internet_cap_bps: catalog.internet_cap_bps(it),
        pps_limit: catalog.pps_limit(it),
    }
}

/// A client sending at a flat rate: the workload's `client_gbps`, else the catalog's.
fn flat_client(catalog: &Catalog, w: &Workload, notes: &mut Assumptions) -> HostSpec {
    let d = &catalog.nat_instance;
    let bps = Setting::new(
        &format!("client_gbps ({})", w.name),
        w.client_bps,
        CatalogDefault::new(
            d.client_gbps * 1e9,
            d.assumed("client_gbps"),
            format!("{} Gbps", d.client_gbps),
        ),
    );
    notes.add(&bps);
    HostSpec {
        baseline_bps: bps.value,
        burst_bps: bps.value,
        bucket_bits: 0.0,
        internet_cap_bps: bps.value,
        pps_limit: f64::INFINITY,
    }
}
