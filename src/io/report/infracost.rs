//! `natsim run --export-infracost usage.yml`: one candidate's simulated month as an infracost
//! usage file, so infracost's estimate of a Terraform change carries natsim's traffic.
//!
//! Owns the file's keys, from infracost's reference usage file (`version: 0.1`,
//! github.com/infracost/infracost, infracost-usage-example.yml): `aws_nat_gateway`'s
//! `monthly_data_processed_gb` as a resource-type default (infracost applies it to every NAT
//! gateway in the plan, so it is the candidate's processed GB per gateway), and one
//! `aws_data_transfer` resource with the region's `monthly_outbound_internet_gb` and
//! `monthly_intra_region_gb` (GB that cross an AZ once; infracost bills both sides, as natsim
//! does). The figures are the summary's billed usage projected to a 730-hour month, the same
//! projection as the `monthly_*_usd` columns, so each figure times its price is that column.

use crate::io::report::number;
use crate::model::cost::HOURS_PER_MONTH;
use crate::model::scenario::{Candidate, DeviceConfig, Scenario};
use crate::results::summary::{Metric, Summary};
use crate::util::units::ns_to_seconds;
use std::fmt::Write as _;

/// The usage file for `summary` (a candidate of `scenario`); `chosen` says why this one
/// ("the recommended one", "chosen with --candidate").
pub(crate) fn usage_yaml(scenario: &Scenario, summary: &Summary, chosen: &str) -> String {
    let simulated_hours = ns_to_seconds(scenario.duration_ns) / 3600.0;
    let scale = if simulated_hours > 0.0 {
        HOURS_PER_MONTH / simulated_hours
    } else {
        0.0
    };
    let month = |metric: Metric| summary.get(metric) * scale;
    let candidate = &scenario.candidates[summary.candidate];
    let gateways = nat_gateways(scenario, candidate);
    let processed = month(Metric::BilledProcessedGb);
    let per_gateway = if gateways > 0 {
        processed / gateways as f64
    } else {
        0.0
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# infracost usage file written by natsim {} for scenario {}, candidate {} ({}), {chosen}:",
        env!("CARGO_PKG_VERSION"),
        yaml_text(&scenario.name),
        yaml_text(&summary.name),
        summary.kind,
    );
    let _ = writeln!(
        out,
        "# its simulated {simulated_hours:.2} h projected to a 730-hour month, as the summary's monthly_* columns are."
    );
    out.push_str("# GB are the billing GB (2^30 bytes). Use: infracost breakdown --path . --usage-file THIS_FILE\n");
    out.push_str("version: 0.1\n");
    out.push_str("resource_type_default_usage:\n");
    out.push_str("  aws_nat_gateway:\n");
    let note = match gateways {
        0 => "this candidate runs no NAT gateway".to_string(),
        1 => format!(
            "{} GB a month through its one NAT gateway",
            number(processed)
        ),
        n => format!(
            "per gateway: {} GB a month through {n} NAT gateways",
            number(processed)
        ),
    };
    let _ = writeln!(
        out,
        "    monthly_data_processed_gb: {} # {note}",
        number(per_gateway)
    );
    out.push_str("resource_usage:\n");
    out.push_str("  aws_data_transfer.natsim:\n");
    let _ = writeln!(
        out,
        "    region: {} # the region the data leaves",
        yaml_text(&scenario.region)
    );
    let _ = writeln!(
        out,
        "    monthly_outbound_internet_gb: {} # to the internet",
        number(month(Metric::BilledEgressGb))
    );
    let _ = writeln!(
        out,
        "    monthly_intra_region_gb: {} # across AZs, counted once (infracost bills both sides)",
        number(month(Metric::BilledCrossAzGb))
    );
    out
}

/// The `aws_nat_gateway` resources the candidate stands for: its gateways (one per AZ with
/// clients when `per_az`), a regional gateway's one, or the standby gateways of an instance
/// with `nat_gateway_fallback`.
fn nat_gateways(scenario: &Scenario, candidate: &Candidate) -> usize {
    let deployments = if candidate.per_az {
        let mut azs: Vec<&str> = scenario.workloads.iter().map(|w| w.az.as_str()).collect();
        azs.sort_unstable();
        azs.dedup();
        azs.len()
    } else {
        1
    };
    match &candidate.device {
        DeviceConfig::NatGateway(c) if c.regional_expansion_ns.is_some() => 1,
        DeviceConfig::NatGateway(_) => deployments,
        device => match device.instance() {
            Some(instance) if instance.failures.fallback.is_some() => deployments,
            _ => 0,
        },
    }
}

/// Text as a YAML double-quoted scalar.
fn yaml_text(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::yaml_text;

    #[test]
    fn names_are_quoted_for_yaml() {
        assert_eq!(yaml_text("quickstart"), "\"quickstart\"");
        assert_eq!(yaml_text("a\"b\\c\u{7}"), "\"a\\\"b\\\\c\\u0007\"");
    }
}
