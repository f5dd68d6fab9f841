//! Why a candidate missed its objectives: the limit that bound, whether that limit is AWS's or a
//! default natsim assumed (and so a setting away), and the change that lifts it.
//!
//! Every cause reads "what happened (the limit: whose it is; fix: what to change)", so the
//! console, report.html and sweep.csv all tell the user what to do next. Only candidates that
//! miss an objective get causes; the figures come from the summary, the limits from the
//! candidate's validated settings.

use crate::model::cost::{BYTES_PER_GB, HOURS_PER_MONTH};
use crate::model::device::nat_instance::{self, Failover};
use crate::model::objectives::Objective;
use crate::model::scenario::{Candidate, DeviceConfig, Scenario};
use crate::results::summary::{Metric, Summary};

/// The causes behind `summary`'s missed objectives (empty when it meets them all).
pub(crate) fn causes(scenario: &Scenario, summary: &Summary) -> Vec<String> {
    if summary.meets_slo {
        return Vec::new();
    }
    let candidate = &scenario.candidates[summary.candidate];
    let device = &candidate.device;
    let mut causes = Vec::new();
    let get = |metric| summary.get(metric);
    if get(Metric::FailPortAllocation) > 0.0
        && let DeviceConfig::NatGateway(c) = device
    {
        causes.push(format!(
            "{:.0} connections refused for lack of source ports (ErrorPortAllocation: {} IP × {} ports per destination, an AWS limit; fix: add IPs, up to 8 per gateway)",
            get(Metric::FailPortAllocation),
            c.ips,
            c.ports_per_ip
        ));
    }
    if get(Metric::FailConntrack) > 0.0
        && let Some(c) = device.instance()
    {
        causes.push(conntrack_cause(candidate, c, get(Metric::FailConntrack)));
    }
    if let Some(c) = device.instance() {
        causes.extend(bandwidth_cause(candidate, c, summary));
    }
    if get(Metric::PacketsDropped) > 0.0 && causes.is_empty() {
        causes.push(format!(
            "{:.0} packets dropped at {:.2} Gbps peak capacity (the packets-per-second or bandwidth limit; fix: a larger device, or larger packets)",
            get(Metric::PacketsDropped),
            get(Metric::PeakCapacityGbps)
        ));
    }
    if get(Metric::OutageS) > 0.0 {
        causes.push(outage_cause(candidate, summary));
    }
    if get(Metric::FailUnsupported) > 0.0 {
        causes.push(format!(
            "{:.0} connections refused: not HTTP(S), which a proxy cannot carry (fix: a NAT option for that traffic)",
            get(Metric::FailUnsupported)
        ));
    }
    if get(Metric::FailDns) > 0.0 {
        causes.push(format!(
            "{:.0} connections refused: DNS lookups over the resolver's 1,024 packets per second per interface (an AWS limit; fix: more proxy instances, or a higher dns_cache_hit_ratio if the proxy caches)",
            get(Metric::FailDns)
        ));
    }
    if get(Metric::IdleTimeouts) > 0.0 {
        causes.push(format!(
            "{:.0} idle connections cut (the device's idle timeout; fix: TCP keepalives shorter than it)",
            get(Metric::IdleTimeouts)
        ));
    }
    causes
}

/// True when the candidate rests on natsim's default for `key` rather than the user's value.
fn is_default(candidate: &Candidate, key: &str) -> bool {
    candidate.assumptions.iter().any(|a| a.key == key)
}

fn conntrack_cause(candidate: &Candidate, c: &nat_instance::Config, refused: f64) -> String {
    let whose = if is_default(candidate, "conntrack_max") {
        "the Linux default for its memory, assumed, not an AWS limit"
    } else {
        "the scenario's conntrack_max"
    };
    format!(
        "{refused:.0} connections refused: connection-tracking table full ({} entries per instance, {whose}; fix: raise net.netfilter.nf_conntrack_max on the instance and set conntrack_max to match, or a type with more memory)",
        c.conntrack_max
    )
}

/// Credits that ran or would run dry, or a device short of bandwidth: which rate bound it.
fn bandwidth_cause(
    candidate: &Candidate,
    c: &nat_instance::Config,
    summary: &Summary,
) -> Option<String> {
    let bucket = if is_default(candidate, "burst_minutes") {
        format!(
            "a bucket of {} min at burst, assumed (burst_minutes)",
            c.burst_minutes
        )
    } else {
        format!("the scenario's burst_minutes = {}", c.burst_minutes)
    };
    let baseline_gbps = c.baseline_bps.min(c.internet_cap_bps) / 1e9;
    let fix = format!(
        "fix: a type whose baseline covers the load, or count = {}",
        instances_needed(summary, c)
    );
    if let Some(at) = summary.credits_exhausted_at_s {
        return Some(format!(
            "network credits ran out after {:.0} min and bandwidth fell to its {} Gbps baseline ({} baseline, an AWS figure; {bucket}; {fix})",
            at / 60.0,
            baseline_gbps,
            c.instance_type
        ));
    }
    let missed = |o| summary.missed.contains(&o);
    if missed(Objective::MinCreditHours) || missed(Objective::MaxUtilization) {
        return Some(format!(
            "{} instance(s) of {} hold {} Gbps each per direction without credits (an AWS figure; {bucket}; {fix})",
            c.count, c.instance_type, baseline_gbps
        ));
    }
    None
}

/// Instances of the same type whose baselines together carry the workload's mean load within
/// the 80 % headroom (at least one more than now).
fn instances_needed(summary: &Summary, c: &nat_instance::Config) -> u32 {
    // The workload's whole traffic, refused connections included: a candidate that turned
    // most of it away must not be sized by what it let in. Both directions together, against
    // one direction's baseline: on the safe side. Bytes a gateway endpoint carried never cross
    // the device, so they are left out.
    let month_s = HOURS_PER_MONTH * 3600.0;
    let arrived_gb = summary.get(Metric::OfferedGb) + summary.get(Metric::RefusedGb);
    let through_device = if arrived_gb > 0.0 {
        1.0 - summary.get(Metric::EndpointGb) / arrived_gb
    } else {
        1.0
    };
    let workload_gbps =
        summary.get(Metric::MonthlyTrafficGb) * through_device * BYTES_PER_GB * 8.0 / month_s / 1e9;
    let baseline_gbps = (c.baseline_bps.min(c.internet_cap_bps) / 1e9).max(1e-9);
    let needed = (workload_gbps / (0.8 * baseline_gbps)).ceil();
    (needed.min(1e6) as u32).max(c.count + 1)
}

fn outage_cause(candidate: &Candidate, summary: &Summary) -> String {
    let mut fixes: Vec<&str> = Vec::new();
    let what = match candidate.device.instance() {
        Some(c) => {
            let mode = c.failures.failover;
            if matches!(mode, Failover::None | Failover::AsgReplace) {
                fixes.push("failover = \"standby_instance\" or \"nat_gateway_fallback\"");
            }
            format!(
                "instance failures and AZ outages, failover {}",
                mode.as_str()
            )
        }
        None => "its AZ went down".to_string(),
    };
    if !candidate.per_az {
        fixes.push("per_az = true (a device in every AZ with clients)");
    }
    let fix = if fixes.is_empty() {
        String::new()
    } else {
        format!("; fix: {}", fixes.join(", or "))
    };
    format!(
        "{:.1} min without egress for clients that were up ({what}{fix}), {:.0} connections reset, {:.0} refused while down",
        summary.get(Metric::OutageS) / 60.0,
        summary.get(Metric::ConnReset),
        summary.get(Metric::FailOutage)
    )
}
