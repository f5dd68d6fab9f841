//! Money: what each candidate's run costs, line by line, and its projection to a 730-hour month.
//!
//! Owns prices and the bill arithmetic. Takes usage (hours, bytes, IP-hours) measured by the
//! simulation and never looks at the simulation itself, so every cost line is usage × price and
//! the identity can be checked from the summary columns alone.
//!
//! GB here is the billing GB: 2^30 bytes ([`BYTES_PER_GB`]).

/// Bytes in one billed GB.
pub(crate) const BYTES_PER_GB: f64 = 1_073_741_824.0;
/// Hours in the month AWS's calculators and natsim project to.
pub(crate) const HOURS_PER_MONTH: f64 = 730.0;

/// One volume tier (internet egress, interface-endpoint processing): `usd_per_gb` applies to
/// monthly volume up to `up_to_gb` (cumulative, `f64::INFINITY` for the last tier).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EgressTier {
    pub(crate) up_to_gb: f64,
    pub(crate) usd_per_gb: f64,
}

/// Prices for the scenario's region after `[prices]` overrides.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prices {
    pub(crate) region: String,
    pub(crate) nat_gateway_usd_per_hour: f64,
    /// Per GB processed, both directions.
    pub(crate) nat_gateway_usd_per_gb: f64,
    pub(crate) ipv4_usd_per_hour: f64,
    /// Charged on each side of an AZ boundary, so a GB that crosses once costs twice this.
    pub(crate) cross_az_usd_per_gb_each_way: f64,
    pub(crate) egress_tiers: Vec<EgressTier>,
    /// Monthly internet-egress volume billed at zero before the tiers start.
    pub(crate) free_tier_gb: f64,
    /// EBS gp3 storage, per GB provisioned per month (a NAT instance's or proxy's volume). The
    /// scenario parser refuses a candidate that needs a price its catalog lacks, so a 0 here is
    /// either AWS's or never used.
    pub(crate) ebs_usd_per_gb_month: f64,
    /// An interface VPC endpoint (PrivateLink), per endpoint per AZ per hour.
    pub(crate) endpoint_usd_per_hour: f64,
    /// Interface-endpoint data processing tiers (both directions, by the region's monthly
    /// volume); empty when the catalog has none and nothing uses them.
    pub(crate) endpoint_tiers: Vec<EgressTier>,
}

use crate::model::device::{Billing, Hourly};

/// What a candidate used over a run, in the units it is billed in.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Usage {
    pub(crate) simulated_hours: f64,
    /// Device-hours billed: NAT gateway hours are rounded up to whole hours ("each partial NAT
    /// Gateway-hour is billed as a full hour"); instances bill per second, times their count.
    pub(crate) device_hours: f64,
    /// Devices running at once (for the monthly projection).
    pub(crate) device_count: f64,
    pub(crate) device_usd_per_hour: f64,
    /// Hours of standby NAT gateways (alterNAT-style fallback), billed at the NAT gateway rate.
    pub(crate) standby_gateway_hours: f64,
    /// Standby NAT gateways running at once.
    pub(crate) standby_gateways: f64,
    /// GB processed by a NAT gateway, both directions; 0 for devices without a processing charge.
    pub(crate) processed_gb: f64,
    /// GB sent to the internet.
    pub(crate) egress_gb: f64,
    /// GB that crossed an AZ boundary (counted once; the price applies on each side).
    pub(crate) cross_az_gb: f64,
    pub(crate) ipv4_hours: f64,
    /// Public IPv4 addresses held at once.
    pub(crate) ipv4_count: f64,
    /// EBS GB-months: GB provisioned × hours held ÷ 730 (instances' volumes, standbys' too).
    pub(crate) storage_gb_months: f64,
    /// EBS GB provisioned at once.
    pub(crate) storage_gb: f64,
    /// Interface-endpoint hours, per endpoint per AZ; each partial hour billed as a full hour.
    pub(crate) endpoint_hours: f64,
    /// Interface endpoints × the AZs each sits in.
    pub(crate) endpoint_azs: f64,
    /// GB processed by interface endpoints, both directions.
    pub(crate) endpoint_gb: f64,
}

/// What a run metered, for [`Usage::measure`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metered<'a> {
    pub(crate) elapsed_hours: f64,
    /// Hours each deployment has existed, one entry per deployment.
    pub(crate) deployment_hours: &'a [f64],
    /// Bytes sent to the internet, over IPv4 or IPv6.
    pub(crate) egress_bytes: f64,
    /// Bytes through NAT gateways in both directions (what the processing charge bills).
    pub(crate) processed_bytes: f64,
    /// Bytes that crossed an AZ boundary (counted once).
    pub(crate) cross_az_bytes: f64,
    /// Interface endpoints × the AZs each sits in.
    pub(crate) endpoint_azs: u32,
    /// Bytes through interface endpoints, both directions.
    pub(crate) endpoint_bytes: f64,
}

impl Usage {
    /// Usage of a candidate's deployments, each billing as `billing` says, and of its interface
    /// endpoints, from what the run metered.
    pub(crate) fn measure(billing: &Billing, prices: &Prices, metered: &Metered<'_>) -> Usage {
        let Metered {
            elapsed_hours,
            deployment_hours,
            egress_bytes,
            processed_bytes,
            cross_az_bytes,
            endpoint_azs,
            endpoint_bytes,
        } = *metered;
        let deployments = deployment_hours.len() as f64;
        let existed_hours: f64 = deployment_hours.iter().sum();
        // Per deployment: devices billed at once, their hours, their price.
        let (devices, device_hours, usd_per_hour) = match billing.hourly {
            Hourly::NatGateway => (
                1.0,
                // Each gateway's partial hours bill as full hours.
                deployment_hours.iter().map(|h| h.ceil()).sum(),
                prices.nat_gateway_usd_per_hour,
            ),
            Hourly::Instances {
                billed,
                usd_per_hour,
            } => (billed, existed_hours * billed, usd_per_hour),
            Hourly::Nothing => (0.0, 0.0, 0.0),
        };
        let ips = billing.public_ips as f64;
        // alterNAT's standby gateway: billed by the hour whether it carries anything, with its IP.
        let standby = billing.standby_gateway_ips;
        let standby_gateway_hours = match standby {
            Some(_) => deployment_hours.iter().map(|h| h.ceil()).sum(),
            None => 0.0,
        };
        let standby_ips = standby.map_or(0.0, |ips| ips as f64);
        let endpoint_azs = f64::from(endpoint_azs);
        Usage {
            simulated_hours: elapsed_hours,
            standby_gateway_hours,
            standby_gateways: if standby.is_some() { deployments } else { 0.0 },
            device_hours,
            device_count: devices * deployments,
            device_usd_per_hour: usd_per_hour,
            processed_gb: processed_bytes / BYTES_PER_GB,
            egress_gb: egress_bytes / BYTES_PER_GB,
            cross_az_gb: cross_az_bytes / BYTES_PER_GB,
            ipv4_hours: (ips + standby_ips) * existed_hours,
            ipv4_count: (ips + standby_ips) * deployments,
            storage_gb_months: billing.storage_gb * existed_hours / HOURS_PER_MONTH,
            storage_gb: billing.storage_gb * deployments,
            // An endpoint exists from the start: each partial hour bills as a full one.
            endpoint_hours: endpoint_azs * elapsed_hours.ceil(),
            endpoint_azs,
            endpoint_gb: endpoint_bytes / BYTES_PER_GB,
        }
    }

    /// This usage stretched to a 730-hour month at the same traffic rates.
    pub(crate) fn monthly(&self) -> Usage {
        let scale = if self.simulated_hours > 0.0 {
            HOURS_PER_MONTH / self.simulated_hours
        } else {
            0.0
        };
        Usage {
            simulated_hours: HOURS_PER_MONTH,
            device_hours: self.device_count * HOURS_PER_MONTH,
            standby_gateway_hours: self.standby_gateways * HOURS_PER_MONTH,
            processed_gb: self.processed_gb * scale,
            egress_gb: self.egress_gb * scale,
            cross_az_gb: self.cross_az_gb * scale,
            ipv4_hours: self.ipv4_count * HOURS_PER_MONTH,
            storage_gb_months: self.storage_gb,
            endpoint_hours: self.endpoint_azs * HOURS_PER_MONTH,
            endpoint_gb: self.endpoint_gb * scale,
            ..*self
        }
    }
}

/// A bill, line by line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bill {
    /// The device's own hours: NAT gateways, instances (a standby instance included).
    pub(crate) fixed_usd: f64,
    /// A fallback's standby NAT gateways by the hour (alterNAT), billed whether they carry
    /// anything or not.
    pub(crate) standby_usd: f64,
    pub(crate) processing_usd: f64,
    pub(crate) transfer_usd: f64,
    pub(crate) cross_az_usd: f64,
    pub ipv4_usd: f64,
    /// EBS volumes of instances.
    pub(crate) storage_usd: f64,
    /// Interface endpoints by the hour.
    pub(crate) endpoint_hours_usd: f64,
    /// Interface-endpoint data processing.
    pub(crate) endpoint_processing_usd: f64,
}

impl Bill {
    pub fn total_usd(&self) -> f64 {
        self.fixed_usd
            + self.standby_usd
            + self.processing_usd
            + self.transfer_usd
            + self.cross_az_usd
            + self.ipv4_usd
            + self.storage_usd
            + self.endpoint_hours_usd
            + self.endpoint_processing_usd
    }
}

/// Bills `usage`. Internet egress and interface-endpoint processing are priced at the effective
/// rate of their tiers for the monthly volume this traffic would reach, so a short run and its
/// monthly projection agree per GB.
pub(crate) fn bill(usage: &Usage, prices: &Prices) -> Bill {
    let month = usage.monthly();
    Bill {
        fixed_usd: usage.device_hours * usage.device_usd_per_hour,
        standby_usd: usage.standby_gateway_hours * prices.nat_gateway_usd_per_hour,
        processing_usd: usage.processed_gb * prices.nat_gateway_usd_per_gb,
        transfer_usd: usage.egress_gb * effective_egress_usd_per_gb(&month, prices),
        cross_az_usd: usage.cross_az_gb * 2.0 * prices.cross_az_usd_per_gb_each_way,
        ipv4_usd: usage.ipv4_hours * prices.ipv4_usd_per_hour,
        storage_usd: usage.storage_gb_months * prices.ebs_usd_per_gb_month,
        endpoint_hours_usd: usage.endpoint_hours * prices.endpoint_usd_per_hour,
        endpoint_processing_usd: usage.endpoint_gb
            * effective_usd_per_gb(month.endpoint_gb, &prices.endpoint_tiers, 0.0),
    }
}

/// Average price per GB of `volume_gb` a month through `tiers`, after `free_gb`.
pub(crate) fn effective_usd_per_gb(volume_gb: f64, tiers: &[EgressTier], free_gb: f64) -> f64 {
    if volume_gb <= 0.0 {
        0.0
    } else {
        tiered_usd(volume_gb, tiers, free_gb) / volume_gb
    }
}

/// Average price per GB of internet egress at a month's volume, after the free tier.
pub(crate) fn effective_egress_usd_per_gb(month: &Usage, prices: &Prices) -> f64 {
    effective_usd_per_gb(month.egress_gb, &prices.egress_tiers, prices.free_tier_gb)
}

/// Cost of `volume_gb` in one month through `tiers`, the first `free_gb` free.
fn tiered_usd(volume_gb: f64, tiers: &[EgressTier], free_gb: f64) -> f64 {
    let mut billable = (volume_gb - free_gb).max(0.0);
    let mut tier_start = 0.0;
    let mut total = 0.0;
    for tier in tiers {
        if billable <= 0.0 {
            break;
        }
        let in_tier = billable.min(tier.up_to_gb - tier_start);
        total += in_tier * tier.usd_per_gb;
        billable -= in_tier;
        tier_start = tier.up_to_gb;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us_east_1() -> Prices {
        Prices {
            region: "us-east-1".into(),
            nat_gateway_usd_per_hour: 0.045,
            nat_gateway_usd_per_gb: 0.045,
            ipv4_usd_per_hour: 0.005,
            cross_az_usd_per_gb_each_way: 0.01,
            egress_tiers: vec![
                EgressTier {
                    up_to_gb: 10240.0,
                    usd_per_gb: 0.09,
                },
                EgressTier {
                    up_to_gb: 51200.0,
                    usd_per_gb: 0.085,
                },
                EgressTier {
                    up_to_gb: 153600.0,
                    usd_per_gb: 0.07,
                },
                EgressTier {
                    up_to_gb: f64::INFINITY,
                    usd_per_gb: 0.05,
                },
            ],
            free_tier_gb: 0.0,
            ebs_usd_per_gb_month: 0.08,
            endpoint_usd_per_hour: 0.01,
            endpoint_tiers: vec![
                EgressTier {
                    up_to_gb: 1_048_576.0,
                    usd_per_gb: 0.01,
                },
                EgressTier {
                    up_to_gb: 5_242_880.0,
                    usd_per_gb: 0.006,
                },
                EgressTier {
                    up_to_gb: f64::INFINITY,
                    usd_per_gb: 0.004,
                },
            ],
        }
    }

    fn tiered_egress_usd(volume_gb: f64, prices: &Prices) -> f64 {
        tiered_usd(volume_gb, &prices.egress_tiers, prices.free_tier_gb)
    }

    #[test]
    fn egress_tiers_apply_in_order() {
        let prices = us_east_1();
        assert!((tiered_egress_usd(100.0, &prices) - 9.0).abs() < 1e-9);
        let twenty_tb = 10240.0 * 0.09 + 10240.0 * 0.085;
        assert!((tiered_egress_usd(20480.0, &prices) - twenty_tb).abs() < 1e-6);
        let free = Prices {
            free_tier_gb: 100.0,
            ..prices
        };
        assert_eq!(tiered_egress_usd(100.0, &free), 0.0);
    }

    #[test]
    fn idle_nat_gateway_costs_its_hours_and_ip() {
        // fck-nat's "$32.85 a month" for an idle NAT gateway, plus one public IPv4 ($3.65).
        let prices = us_east_1();
        let month = Usage {
            simulated_hours: 2.0,
            device_hours: 2.0,
            device_count: 1.0,
            device_usd_per_hour: 0.045,
            ipv4_count: 1.0,
            ipv4_hours: 2.0,
            ..Usage::default()
        }
        .monthly();
        let b = bill(&month, &prices);
        assert!((b.fixed_usd - 32.85).abs() < 1e-9);
        assert!((b.ipv4_usd - 3.65).abs() < 1e-9);
    }

    #[test]
    fn an_instance_volume_bills_its_gb_months_and_a_month_is_its_size_times_the_price() {
        // fck-nat's "gp3 $0.64/month": an 8 GB volume at $0.08 per GB-month.
        let prices = us_east_1();
        let run = Usage {
            simulated_hours: 2.0,
            storage_gb: 8.0,
            storage_gb_months: 8.0 * 2.0 / HOURS_PER_MONTH,
            ..Usage::default()
        };
        let b = bill(&run, &prices);
        assert!((b.storage_usd - 0.64 * 2.0 / 730.0).abs() < 1e-12);
        assert!((bill(&run.monthly(), &prices).storage_usd - 0.64).abs() < 1e-12);
    }

    #[test]
    fn interface_endpoints_bill_whole_hours_per_az_and_tiered_gb() {
        let prices = us_east_1();
        let billing = Billing {
            hourly: crate::model::device::Hourly::Nothing,
            public_ips: 0,
            standby_gateway_ips: None,
            storage_gb: 0.0,
        };
        // Four endpoints in three AZs for 90 minutes: 12 endpoint-AZs × 2 billed hours.
        let run = Usage::measure(
            &billing,
            &prices,
            &Metered {
                elapsed_hours: 1.5,
                deployment_hours: &[1.5],
                egress_bytes: 0.0,
                processed_bytes: 0.0,
                cross_az_bytes: 0.0,
                endpoint_azs: 12,
                endpoint_bytes: 10.0 * BYTES_PER_GB,
            },
        );
        assert_eq!(run.endpoint_hours, 24.0);
        let b = bill(&run, &prices);
        assert!((b.endpoint_hours_usd - 0.24).abs() < 1e-12);
        assert!((b.endpoint_processing_usd - 0.1).abs() < 1e-12);
        let month = bill(&run.monthly(), &prices);
        assert!((month.endpoint_hours_usd - 12.0 * 730.0 * 0.01).abs() < 1e-9);
        // 10 GB in 1.5 h is 4,867 GB a month: all in the first tier.
        assert!((month.endpoint_processing_usd - 10.0 * 730.0 / 1.5 * 0.01).abs() < 1e-9);
        // Past 1 PB a month the next tiers lower the average price.
        let tiers = &prices.endpoint_tiers;
        let two_pb = 2.0 * 1_048_576.0;
        let expected = (1_048_576.0 * 0.01 + 1_048_576.0 * 0.006) / two_pb;
        assert!((effective_usd_per_gb(two_pb, tiers, 0.0) - expected).abs() < 1e-12);
    }
}
