//! The price and instance catalog: AWS prices per region, EC2 instance types, and the defaults the
//! device models start from, every figure with its source.
//!
//! Owns data, not logic. `catalog.toml` is embedded in the binary and parsed here into checked
//! types; the few rules that turn an instance type into limits (burst minutes, packets per second,
//! connection-tracking entries, internet cap) take all their constants from that same file.
//! Invariant: nothing here simulates, bills or lays out a listing (the `natsim catalog` listing
//! is `report::catalog`'s; "did you mean" hints are the scenario reader's); a user's own catalog
//! arrives as text through [`Catalog::from_toml`]. The one file access is `import` (`natsim
//! catalog import`), which reads the AWS files it is given and returns a catalog's text; it
//! writes nothing. Where AWS publishes nothing, the entry's source starts with "assumed:" and
//! scenario parsing records it as an assumption.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::cost::EgressTier;

pub(crate) mod import;
mod raw;

/// The catalog shipped inside the binary.
const EMBEDDED_TOML: &str = include_str!("catalog.toml");

/// The region every instance type has a listed price in; other regions scale from it.
pub(crate) const REFERENCE_REGION: &str = "us-east-1";

/// Prefix of a source text that marks a value as natsim's assumption rather than an AWS figure.
/// Such a source reads `assumed: REASON; see REFERENCES`; the reason alone becomes the
/// basis of the assumption a result reports.
pub(crate) const ASSUMED_PREFIX: &str = "assumed:";

const BYTES_PER_GIB: f64 = 1_073_741_824.0;

/// Every price, instance type and default natsim knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub(crate) regions: BTreeMap<String, Region>,
    pub(crate) instances: BTreeMap<String, InstanceType>,
    pub(crate) nat_gateway: NatGatewayDefaults,
    pub(crate) nat_instance: NatInstanceDefaults,
}

/// Prices in one AWS region.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Region {
    pub(crate) name: String,
    pub(crate) nat_gateway_usd_per_hour: f64,
    pub(crate) nat_gateway_usd_per_gb: f64,
    pub(crate) ipv4_usd_per_hour: f64,
    pub(crate) cross_az_usd_per_gb_each_way: f64,
    /// Internet egress volume tiers, ascending, the last one unbounded.
    pub(crate) egress_tiers: Vec<EgressTier>,
    /// Multiplier on us-east-1 instance prices where this region lists none (assumed); `None`
    /// (an imported catalog): an instance type without a listed price here has none.
    pub(crate) instance_price_factor: Option<f64>,
    pub(crate) source: String,
}

/// One EC2 instance type.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceType {
    pub(crate) name: String,
    pub(crate) vcpus: u32,
    pub(crate) memory_gib: f64,
    pub(crate) baseline_gbps: f64,
    /// The "up to" figure; equals the baseline where AWS lists none.
    pub(crate) burst_gbps: f64,
    /// On-demand Linux price by region name; has [`REFERENCE_REGION`] whenever a region
    /// without a listing scales from it.
    pub(crate) usd_per_hour: BTreeMap<String, f64>,
    pub(crate) source: String,
}

/// Defaults of a `nat_gateway` candidate. `sources` maps each field name to its source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NatGatewayDefaults {
    pub(crate) ports_per_ip: u32,
    pub(crate) start_gbps: f64,
    pub(crate) max_gbps: f64,
    pub(crate) start_mpps: f64,
    pub(crate) max_mpps: f64,
    pub(crate) idle_timeout_s: f64,
    pub(crate) release_delay_s: f64,
    pub(crate) ramp_interval_s: f64,
    pub(crate) ramp_step_gbps: f64,
    pub(crate) ramp_up_utilization: f64,
    pub(crate) ramp_down_utilization: f64,
    pub(crate) ramp_down_after_s: f64,
    /// Delay before a regional NAT gateway is present in a new AZ.
    pub(crate) regional_expansion_s: f64,
    pub(crate) sources: BTreeMap<String, String>,
}

/// Defaults of a `nat_instance` candidate: rules over the instance type's figures.
/// `sources` maps each scenario key these rules feed to its source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NatInstanceDefaults {
    /// Minutes of burst from a full credit bucket, by size suffix ("nano", "xlarge").
    pub(crate) burst_minutes_by_size: BTreeMap<String, f64>,
    /// Minutes for sizes not in `burst_minutes_by_size` (2xlarge and larger).
    pub(crate) burst_minutes_other: f64,
    /// Packets per second forwarded: `pps_vcpu_scale × vCPUs ^ pps_vcpu_exponent`, or the burst
    /// bandwidth in frames of `pps_frame_bytes` when that is more.
    pub(crate) pps_vcpu_scale: f64,
    pub(crate) pps_vcpu_exponent: f64,
    pub(crate) pps_frame_bytes: f64,
    pub(crate) conntrack_bytes_per_entry: u64,
    pub(crate) conntrack_min: u32,
    /// Fixed table sizes above memory thresholds, ascending.
    pub(crate) conntrack_steps: Vec<ConntrackStep>,
    pub(crate) idle_timeout_tcp_s: f64,
    pub(crate) idle_timeout_udp_s: f64,
    pub(crate) release_delay_tcp_s: f64,
    pub(crate) release_delay_udp_s: f64,
    /// Cap below `internet_cap_min_vcpus`, and the floor above it.
    pub(crate) internet_cap_gbps: f64,
    pub(crate) internet_cap_min_vcpus: u32,
    pub(crate) internet_cap_fraction: f64,
    /// Seconds without egress after a failure, by failover mode.
    pub(crate) asg_replace_s: f64,
    pub(crate) standby_instance_s: f64,
    /// Mean time between random failures of an on-demand instance.
    pub(crate) mtbf_hours: f64,
    /// Fraction off the on-demand price for `pricing = "spot"`.
    pub(crate) spot_discount: f64,
    /// Mean time between spot interruptions.
    pub(crate) spot_mtbf_hours: f64,
    /// Bandwidth of an internet-gateway client whose type is not given.
    pub(crate) client_gbps: f64,
    /// Seconds from an instance failure to the route pointing at the standby NAT gateway.
    pub(crate) fallback_detection_s: f64,
    /// Requests per second one vCPU of a forward proxy handles.
    pub(crate) proxy_requests_per_vcpu: f64,
    pub(crate) proxy_dns_packets_per_s: f64,
    pub(crate) proxy_dns_cache_hit_ratio: f64,
    pub(crate) sources: BTreeMap<String, String>,
}

/// Above `above_gib` of memory the kernel's default table holds `entries`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConntrackStep {
    pub(crate) above_gib: f64,
    pub(crate) entries: u32,
}

/// Where an instance price comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PriceBasis {
    /// Listed for this region in the catalog.
    Listed,
    /// us-east-1 price × the region's `instance_price_factor` (an assumption).
    DerivedByRegionFactor,
}

impl NatGatewayDefaults {
    /// Field names, each of which must have a source.
    pub(crate) const FIELDS: &'static [&'static str] = &[
        "ports_per_ip",
        "start_gbps",
        "max_gbps",
        "start_mpps",
        "max_mpps",
        "idle_timeout_s",
        "release_delay_s",
        "ramp_interval_s",
        "ramp_step_gbps",
        "ramp_up_utilization",
        "ramp_down_utilization",
        "ramp_down_after_s",
        "regional_expansion_s",
    ];

    /// Why `field` has its value, when that value is natsim's assumption; `None` for AWS figures.
    pub(crate) fn assumed(&self, field: &str) -> Option<&str> {
        assumed_basis(&self.sources, field)
    }
}

impl NatInstanceDefaults {
    /// Scenario keys whose defaults these rules supply, each of which must have a source.
    pub(crate) const SOURCED_KEYS: &'static [&'static str] = &[
        "burst_minutes",
        "pps_limit",
        "conntrack_max",
        "idle_timeout_tcp_s",
        "idle_timeout_udp_s",
        "release_delay_tcp_s",
        "release_delay_udp_s",
        "internet_cap",
        "asg_replace_s",
        "standby_instance_s",
        "mtbf_hours",
        "spot_discount",
        "spot_mtbf_hours",
        "client_gbps",
        "fallback_detection_s",
        "proxy_requests_per_vcpu",
        "proxy_dns_packets_per_s",
        "proxy_dns_cache_hit_ratio",
    ];

    /// Why `key` has its default, when that default is natsim's assumption; `None` otherwise.
    pub(crate) fn assumed(&self, key: &str) -> Option<&str> {
        assumed_basis(&self.sources, key)
    }
}

fn assumed_basis<'a>(sources: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    let reason = sources.get(key)?.strip_prefix(ASSUMED_PREFIX)?;
    Some(reason.split("; see ").next().unwrap_or(reason).trim())
}

impl Catalog {
    /// The catalog embedded in the binary. A unit test parses it, so failure here is a build bug.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::from_toml(EMBEDDED_TOML).expect("the embedded catalog.toml is valid")
        })
    }

    /// Parses and checks a catalog in the `catalog.toml` format.
    pub(crate) fn from_toml(text: &str) -> Result<Catalog, String> {
        let raw: raw::RawCatalog = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(String::new(), |span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!(" at line {line}, column {column}")
            });
            format!("not a valid catalog: {}{at}", e.message().trim())
        })?;
        raw.validate()
    }

    /// Whether this is the catalog built into the binary (not a user's `--catalog`).
    pub(crate) fn is_embedded(&self) -> bool {
        std::ptr::eq(self, Catalog::embedded())
    }

    pub(crate) fn region(&self, name: &str) -> Option<&Region> {
        self.regions.get(name)
    }

    pub fn instance(&self, name: &str) -> Option<&InstanceType> {
        self.instances.get(name)
    }

    /// On-demand price of `instance` in `region`: the listed one, else the us-east-1 price scaled
    /// by the region's factor. `None` when either name is unknown, or the region lists no price
    /// for it and has no factor.
    pub(crate) fn instance_price(&self, instance: &str, region: &str) -> Option<(f64, PriceBasis)> {
        let it = self.instance(instance)?;
        let region = self.region(region)?;
        if let Some(&price) = it.usd_per_hour.get(&region.name) {
            return Some((price, PriceBasis::Listed));
        }
        let reference = *it.usd_per_hour.get(REFERENCE_REGION)?;
        Some((
            reference * region.instance_price_factor?,
            PriceBasis::DerivedByRegionFactor,
        ))
    }

    /// Minutes a full network-credit bucket sustains the burst rate (assumed, by size).
    pub(crate) fn burst_minutes(&self, it: &InstanceType) -> f64 {
        let defaults = &self.nat_instance;
        let size = it.name.split_once('.').map_or("", |(_, size)| size);
        defaults
            .burst_minutes_by_size
            .get(size)
            .copied()
            .unwrap_or(defaults.burst_minutes_other)
    }

    /// Packets per second forwarded, both directions together (assumed): a rule fitted to
    /// measured rates, growing with vCPUs, and at least the burst bandwidth in full-size frames.
    pub fn pps_limit(&self, it: &InstanceType) -> f64 {
        let defaults = &self.nat_instance;
        let by_vcpus =
            defaults.pps_vcpu_scale * f64::from(it.vcpus).powf(defaults.pps_vcpu_exponent);
        let by_bandwidth = it.burst_gbps * 1e9 / (8.0 * defaults.pps_frame_bytes);
        by_vcpus.max(by_bandwidth)
    }

    /// The Linux default `nf_conntrack_max` for the instance's memory.
    pub(crate) fn conntrack_max(&self, it: &InstanceType) -> u32 {
        let defaults = &self.nat_instance;
        let bytes = it.memory_gib * BYTES_PER_GIB;
        let mut entries = (bytes / defaults.conntrack_bytes_per_entry as f64)
            .floor()
            .min(f64::from(u32::MAX)) as u32;
        for step in &defaults.conntrack_steps {
            if it.memory_gib > step.above_gib {
                entries = step.entries;
            }
        }
        entries.max(defaults.conntrack_min)
    }

    /// Ceiling on traffic through the internet gateway, per direction, bits per second.
    pub(crate) fn internet_cap_bps(&self, it: &InstanceType) -> f64 {
        let defaults = &self.nat_instance;
        let gbps = if it.vcpus < defaults.internet_cap_min_vcpus {
            defaults.internet_cap_gbps
        } else {
            (defaults.internet_cap_fraction * it.baseline_gbps).max(defaults.internet_cap_gbps)
        };
        gbps * 1e9
    }

    pub(crate) fn region_names(&self) -> Vec<&str> {
        self.regions.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded()
    }

    fn instance(name: &str) -> &'static InstanceType {
        catalog()
            .instance(name)
            .unwrap_or_else(|| panic!("{name} is in the catalog"))
    }

    #[test]
    fn embedded_catalog_parses_with_the_promised_contents() {
        let c = Catalog::from_toml(EMBEDDED_TOML).unwrap();
        for region in ["us-east-1", "eu-west-1", "ap-northeast-2"] {
            assert!(c.region(region).is_some(), "{region}");
        }
        for family in ["t3", "t3a", "t4g"] {
            for size in [
                "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge",
            ] {
                assert!(
                    c.instance(&format!("{family}.{size}")).is_some(),
                    "{family}.{size}"
                );
            }
        }
        for name in [
            "c6gn.medium",
            "c6gn.16xlarge",
            "c7gn.medium",
            "c7gn.8xlarge",
            "c6in.large",
            "c6in.32xlarge",
        ] {
            assert!(c.instance(name).is_some(), "{name}");
        }
        for name in ["m6i.large", "m6i.32xlarge", "c7g.medium", "c7g.16xlarge"] {
            assert!(c.instance(name).is_some(), "{name}");
        }
    }

    #[test]
    fn every_instance_has_a_us_east_1_price_and_a_source() {
        for it in catalog().instances.values() {
            assert!(
                it.usd_per_hour.contains_key(REFERENCE_REGION),
                "{}",
                it.name
            );
            assert!(
                it.source.contains("aws.amazon.com/ec2/instance-types"),
                "{}",
                it.name
            );
            assert!(it.burst_gbps >= it.baseline_gbps, "{}", it.name);
        }
    }

    #[test]
    fn t4g_nano_matches_aws_facts() {
        let it = instance("t4g.nano");
        assert_eq!(
            (it.vcpus, it.memory_gib, it.baseline_gbps, it.burst_gbps),
            (2, 0.5, 0.032, 5.0)
        );
        assert_eq!(
            catalog().instance_price("t4g.nano", "us-east-1"),
            Some((0.0042, PriceBasis::Listed))
        );
        assert_eq!(
            catalog().instance_price("t4g.nano", "ap-northeast-2"),
            Some((0.0052, PriceBasis::Listed))
        );
    }

    #[test]
    fn internet_cap_is_5_gbps_below_32_vcpus_else_half_the_baseline() {
        let c = catalog();
        assert_eq!(c.internet_cap_bps(instance("c6gn.16xlarge")), 50e9);
        assert_eq!(c.internet_cap_bps(instance("c6gn.medium")), 5e9);
        assert_eq!(c.internet_cap_bps(instance("t4g.nano")), 5e9);
        // 32 vCPUs, 12.5 Gbps: half is 6.25, above the 5 Gbps floor.
        assert_eq!(c.internet_cap_bps(instance("m6i.8xlarge")), 6.25e9);
    }

    #[test]
    fn conntrack_follows_the_kernel_default() {
        let c = catalog();
        let with_memory = |gib: f64| InstanceType {
            memory_gib: gib,
            ..instance("t4g.nano").clone()
        };
        assert_eq!(c.conntrack_max(&with_memory(0.5)), 4096);
        assert_eq!(c.conntrack_max(&with_memory(1.0)), 8192);
        assert_eq!(c.conntrack_max(&with_memory(2.0)), 65536);
        assert_eq!(c.conntrack_max(&with_memory(4.0)), 65536);
        assert_eq!(c.conntrack_max(&with_memory(8.0)), 262144);
        assert_eq!(c.conntrack_max(&with_memory(32.0)), 262144);
        assert_eq!(c.conntrack_max(&with_memory(512.0)), 262144);
        assert_eq!(c.conntrack_max(&with_memory(0.01)), 1024);
    }

    #[test]
    fn burst_minutes_and_pps_come_from_the_size_rules() {
        let c = catalog();
        assert_eq!(c.burst_minutes(instance("t4g.nano")), 5.0);
        assert_eq!(c.burst_minutes(instance("c6gn.medium")), 20.0);
        assert_eq!(c.burst_minutes(instance("c6gn.xlarge")), 45.0);
        assert_eq!(c.burst_minutes(instance("c6gn.4xlarge")), 60.0);
        let pps = |name: &str| c.pps_limit(instance(name)).round();
        // 2 vCPUs: 650,000 × 2^0.3; the 5 Gbps burst in 1,500-byte frames is less.
        assert_eq!(pps("t4g.nano"), 800_244.0);
        // 1 vCPU, but 16 Gbps of burst: 16e9 / 12,000 bits per frame.
        assert_eq!(pps("c6gn.medium"), 1_333_333.0);
        assert_eq!(pps("c7gn.large"), 2_500_000.0);
        assert_eq!(pps("c6gn.16xlarge"), 8_333_333.0);
        // 32 vCPUs at 12.5 Gbps: the vCPU term.
        assert_eq!(pps("m6i.8xlarge"), 1_838_478.0);
    }

    #[test]
    fn bulk_tcp_is_bandwidth_bound_on_every_listed_type() {
        // The allowance must not bind where bandwidth already governs: bulk TCP at an instance's
        // highest internet rate (its burst under the internet cap), 1,448-byte segments and a
        // delayed ACK per two, fits the allowance on every type, with room for the other way.
        let c = catalog();
        let tcp = crate::engine::fluid::PacketModel::Tcp { mss_bytes: 1448.0 };
        for it in c.instances.values() {
            let top_bytes_per_s = (it.burst_gbps * 1e9).min(c.internet_cap_bps(it)) / 8.0;
            let bulk_pps = top_bytes_per_s * tcp.packets_per_byte(1e12, 0.0);
            assert!(
                bulk_pps < c.pps_limit(it),
                "{}: bulk TCP needs {bulk_pps:.0} pps, the allowance is {:.0}",
                it.name,
                c.pps_limit(it)
            );
        }
    }

    #[test]
    fn prices_without_a_listing_scale_from_us_east_1() {
        let (price, basis) = catalog()
            .instance_price("c6gn.medium", "ap-northeast-2")
            .unwrap();
        assert_eq!(basis, PriceBasis::DerivedByRegionFactor);
        assert!((price - 0.0432 * 1.24).abs() < 1e-12);
        assert_eq!(catalog().instance_price("c6gn.medium", "mars-1"), None);
        assert_eq!(catalog().instance_price("c6gn.huge", "us-east-1"), None);
    }

    #[test]
    fn assumed_defaults_are_marked_in_their_sources() {
        let c = catalog();
        assert!(c.nat_gateway.assumed("ramp_step_gbps").is_some());
        assert!(c.nat_gateway.assumed("ports_per_ip").is_none());
        let pps = c.nat_instance.assumed("pps_limit").unwrap();
        assert!(
            pps.starts_with("AWS publishes no per-instance packets-per-second maximum; natsim"),
            "{pps}"
        );
        for key in NatInstanceDefaults::SOURCED_KEYS {
            assert!(
                !c.nat_instance.assumed(key).unwrap_or("").contains("; see"),
                "{key}"
            );
        }
        assert!(c.nat_instance.assumed("internet_cap").is_none());
    }

    #[test]
    fn broken_catalogs_are_refused_with_a_reason() {
        let without_price = EMBEDDED_TOML.replacen(
            "usd_per_hour = { \"us-east-1\" = 0.0042, ",
            "usd_per_hour = { ",
            1,
        );
        let err = Catalog::from_toml(&without_price).unwrap_err();
        assert!(
            err.contains("t4g.nano") && err.contains("us-east-1"),
            "{err}"
        );
        let without_source = EMBEDDED_TOML.replacen(
            "ramp_step_gbps = \"assumed",
            "ramp_step_gbpz = \"assumed",
            1,
        );
        assert!(
            Catalog::from_toml(&without_source)
                .unwrap_err()
                .contains("ramp_step_gbps")
        );
        assert!(Catalog::from_toml("regions = 1").is_err());
    }
}
