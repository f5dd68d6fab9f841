//! The recommendation: the cheapest candidate that meets the objectives, and for every other one
//! the limit it hit or how much more it costs.

use crate::scenario::{DeviceConfig, Scenario};
use crate::summary::{Metric, Summary};

/// The outcome of comparing candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Index of the recommended candidate, if any meets the objectives.
    pub recommended: Option<usize>,
    /// One sentence naming the winner (or saying none qualifies).
    pub headline: String,
    /// For each other candidate, in candidate order: why it loses.
    pub reasons: Vec<(usize, String)>,
}

/// Picks the cheapest candidate (monthly) that meets the objectives; ties go to the one listed
/// first, so the choice is deterministic.
pub fn decide(scenario: &Scenario, summaries: &[Summary]) -> Verdict {
    let monthly = |s: &Summary| s.get(Metric::CostMonthlyUsd);
    let winner = summaries.iter().filter(|s| s.meets_slo).min_by(|a, b| {
        monthly(a)
            .total_cmp(&monthly(b))
            .then(a.candidate.cmp(&b.candidate))
    });
    let headline = match winner {
        Some(w) => format!(
            "recommended: {} ({}), ${:.2} per month, the cheapest option that meets the objectives",
            w.name,
            w.kind,
            monthly(w)
        ),
        None => "no candidate meets the objectives; relax them or add larger options".to_string(),
    };
    let headline = headline + winner.map_or("", kind_note);
    let reasons = summaries
        .iter()
        .filter(|s| Some(s.candidate) != winner.map(|w| w.candidate))
        .map(|s| (s.candidate, reason(scenario, s, winner)))
        .collect();
    Verdict {
        recommended: winner.map(|w| w.candidate),
        headline,
        reasons,
    }
}

/// What a user must know about a kind whatever its figures.
fn kind_note(summary: &Summary) -> &'static str {
    if summary.kind == "internet_gateway" {
        "; note: every client holds a public IP and is reachable from the internet unless security groups stop it"
    } else {
        ""
    }
}

fn reason(scenario: &Scenario, summary: &Summary, winner: Option<&Summary>) -> String {
    reason_without_note(scenario, summary, winner) + kind_note(summary)
}

fn reason_without_note(scenario: &Scenario, summary: &Summary, winner: Option<&Summary>) -> String {
    if !summary.meets_slo {
        let mut text = summary.slo_failures.join(", ");
        let causes = causes(scenario, summary);
        if !causes.is_empty() {
            text.push_str(": ");
            text.push_str(&causes.join("; "));
        }
        return text;
    }
    match winner {
        Some(w) => format!(
            "meets the objectives but costs ${:.2} more per month (${:.2} vs ${:.2})",
            summary.get(Metric::CostMonthlyUsd) - w.get(Metric::CostMonthlyUsd),
            summary.get(Metric::CostMonthlyUsd),
            w.get(Metric::CostMonthlyUsd)
        ),
        None => "meets the objectives".to_string(),
    }
}

/// The limits behind a missed objective, from the counters and the device's settings.
fn causes(scenario: &Scenario, summary: &Summary) -> Vec<String> {
    let device = &scenario.candidates[summary.candidate].device;
    let mut causes = Vec::new();
    if summary.get(Metric::FailPortAllocation) > 0.0
        && let DeviceConfig::NatGateway(c) = device
    {
        causes.push(format!(
            "{:.0} connections refused for lack of source ports (ErrorPortAllocation: {} IP × {} ports per destination; add IPs)",
            summary.get(Metric::FailPortAllocation),
            c.ips,
            c.ports_per_ip
        ));
    }
    if summary.get(Metric::FailConntrack) > 0.0
        && let Some(c) = device.instance()
    {
        causes.push(format!(
            "{:.0} connections refused: connection-tracking table full ({} entries per instance)",
            summary.get(Metric::FailConntrack),
            c.conntrack_max
        ));
    }
    if let (Some(at), Some(c)) = (summary.credits_exhausted_at_s, device.instance()) {
        causes.push(format!(
            "network credits ran out after {:.0} min and bandwidth fell to its {} Gbps baseline",
            at / 60.0,
            c.baseline_bps / 1e9
        ));
    }
    if summary.get(Metric::PacketsDropped) > 0.0 && causes.is_empty() {
        causes.push(format!(
            "{:.0} packets dropped at {:.2} Gbps peak capacity",
            summary.get(Metric::PacketsDropped),
            summary.get(Metric::PeakCapacityGbps)
        ));
    }
    if summary.get(Metric::OutageS) > 0.0 {
        let what = match device.instance() {
            Some(c) => format!(
                "instance failures and AZ outages, failover {}",
                c.failures.failover.as_str()
            ),
            None => "its AZ went down".to_string(),
        };
        causes.push(format!(
            "{:.1} min without egress for clients that were up ({what}), {:.0} connections reset, {:.0} refused while down",
            summary.get(Metric::OutageS) / 60.0,
            summary.get(Metric::ConnReset),
            summary.get(Metric::FailOutage)
        ));
    }
    if summary.get(Metric::FailUnsupported) > 0.0 {
        causes.push(format!(
            "{:.0} connections refused: not HTTP(S), which a proxy cannot carry",
            summary.get(Metric::FailUnsupported)
        ));
    }
    if summary.get(Metric::FailDns) > 0.0 {
        causes.push(format!(
            "{:.0} connections refused: DNS lookups over the resolver's 1,024 packets per second per interface",
            summary.get(Metric::FailDns)
        ));
    }
    if summary.get(Metric::IdleTimeouts) > 0.0 {
        causes.push(format!(
            "{:.0} idle connections cut",
            summary.get(Metric::IdleTimeouts)
        ));
    }
    causes
}
