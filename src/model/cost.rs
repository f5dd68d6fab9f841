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

/// One internet-egress volume tier: `usd_per_gb` applies to monthly volume up to `up_to_gb`
/// (cumulative, `f64::INFINITY` for the last tier).
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
}

impl Usage {
    /// Usage of a candidate's deployments, each billing as `billing` says, given how many hours
    /// each has existed (`deployment_hours`, one entry per deployment) and the bytes they moved:
    /// `egress_bytes` to the internet, `processed_bytes` through NAT gateways in both directions
    /// (what the processing charge bills).
    pub(crate) fn measure(
        billing: &Billing,
        prices: &Prices,
        elapsed_hours: f64,
        deployment_hours: &[f64],
        egress_bytes: f64,
        processed_bytes: f64,
        cross_az_bytes: f64,
    ) -> Usage {
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
            ..*self
        }
    }
}

/// A bill, line by line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bill {
    pub(crate) fixed_usd: f64,
    pub(crate) processing_usd: f64,
    pub(crate) transfer_usd: f64,
    pub(crate) cross_az_usd: f64,
    pub ipv4_usd: f64,
}

impl Bill {
    pub fn total_usd(&self) -> f64 {
        self.fixed_usd + self.processing_usd + self.transfer_usd + self.cross_az_usd + self.ipv4_usd
    }
}

/// Bills `usage`. Internet egress is priced at the effective rate of the tiers for the monthly
/// volume this traffic would reach, so a short run and its monthly projection agree per GB.
pub(crate) fn bill(usage: &Usage, prices: &Prices) -> Bill {
    Bill {
        fixed_usd: usage.device_hours * usage.device_usd_per_hour
            + usage.standby_gateway_hours * prices.nat_gateway_usd_per_hour,
        processing_usd: usage.processed_gb * prices.nat_gateway_usd_per_gb,
        transfer_usd: usage.egress_gb * effective_egress_usd_per_gb(&usage.monthly(), prices),
        cross_az_usd: usage.cross_az_gb * 2.0 * prices.cross_az_usd_per_gb_each_way,
        ipv4_usd: usage.ipv4_hours * prices.ipv4_usd_per_hour,
    }
}

/// Average price per GB of internet egress at a month's volume, after the free tier.
pub(crate) fn effective_egress_usd_per_gb(month: &Usage, prices: &Prices) -> f64 {
    let volume = month.egress_gb;
    if volume <= 0.0 {
        0.0
    } else {
        tiered_egress_usd(volume, prices) / volume
    }
}

/// Cost of `volume_gb` of internet egress in one month through the volume tiers.
pub(crate) fn tiered_egress_usd(volume_gb: f64, prices: &Prices) -> f64 {
    let mut billable = (volume_gb - prices.free_tier_gb).max(0.0);
    let mut tier_start = 0.0;
    let mut total = 0.0;
    for tier in &prices.egress_tiers {
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
        }
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
}
