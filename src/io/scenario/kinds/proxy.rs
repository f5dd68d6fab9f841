//! A `kind = "proxy"` candidate: a forward proxy (Squid and the like) on NAT-instance machines.
//!
//! Owns the proxy's own keys (`requests_per_vcpu`, `dns_cache_hit_ratio`, `upstream_keepalive`)
//! and their defaults from the catalog's `[nat_instance]` proxy figures; the machines it runs on
//! are read by `instances.rs`, as for a NAT instance.

use super::{Context, instances};
use crate::io::scenario::reader::{Check, Result, Section};
use crate::io::scenario::setting::CatalogDefault;
use crate::io::scenario::{Assumption, DeviceConfig};
use crate::model::device::proxy;

/// Ceiling of `requests_per_vcpu`: a billion requests a second per vCPU.
const MAX_REQUESTS_PER_VCPU: f64 = 1e9;

pub(super) fn read(
    s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let (instance, mut notes) = instances::read(s, context)?;
    if instance.failures.fallback.is_some() {
        // alterNAT swaps the route to a NAT gateway: the clients would then leave through an L4
        // NAT, not through a proxy, so there is nothing of the proxy left to simulate.
        return Err(s.error(
            "failover",
            "a proxy cannot fail over to a NAT gateway (alterNAT's design swaps the route to one, which bypasses the proxy)",
            "use \"asg_replace\" or \"standby_instance\" for a proxy, or kind = \"nat_instance\" for alterNAT's design",
        ));
    }
    let d = &context.catalog.nat_instance;
    let requests = s.number_or(
        "requests_per_vcpu",
        Check::PositiveAtMost(MAX_REQUESTS_PER_VCPU),
        CatalogDefault::new(
            d.proxy_requests_per_vcpu,
            d.assumed("proxy_requests_per_vcpu"),
            format!("{} requests/s", d.proxy_requests_per_vcpu),
        ),
    )?;
    let hit_ratio = s.number_or(
        "dns_cache_hit_ratio",
        Check::Fraction,
        CatalogDefault::plain(
            d.proxy_dns_cache_hit_ratio,
            d.assumed("proxy_dns_cache_hit_ratio"),
        ),
    )?;
    let keepalive = s.boolean("upstream_keepalive")?.unwrap_or(false);
    notes.add(&requests);
    // With upstream keep-alive the proxy looks up no name per request: the ratio goes unused.
    if !keepalive {
        notes.add(&hit_ratio);
    }
    let config = proxy::Config {
        instance,
        requests_per_s_per_vcpu: requests.value,
        dns_packets_per_s: d.proxy_dns_packets_per_s,
        dns_cache_hit_ratio: hit_ratio.value,
        upstream_keepalive: keepalive,
        http: context.workloads.iter().map(|w| w.http).collect(),
    };
    Ok((DeviceConfig::Proxy(config), notes.into_vec()))
}
