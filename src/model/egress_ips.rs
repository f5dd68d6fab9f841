//! The public addresses a candidate's internet traffic leaves from, as a partner that allowlists
//! source addresses sees them: how many there are, and whether they stay the same when an
//! instance fails. What `[slo] max_egress_ips` judges.
//!
//! Owns that rule. Reads the candidate's validated settings, the workloads and the public IPv4
//! addresses the run billed; never the traffic drawn, so every replication of a candidate gives
//! the same answer. Invariant: traffic that never reaches the internet (S3/DynamoDB through a
//! gateway endpoint, AWS services through interface endpoints) adds no address; only the
//! workloads the allowlist is for (`allowlisted`, or every workload when none says so) count.

use crate::model::scenario::{Candidate, DeviceConfig, Workload};

/// The addresses an allowlist must name for a candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EgressIps {
    pub(crate) count: f64,
    /// They survive an instance failure (a NAT gateway's Elastic IPs, an instance's Elastic IP
    /// that moves to its replacement); false when a replacement comes up with a new address.
    pub(crate) fixed: bool,
}

/// The addresses the allowlisted workloads' connections leave from through `candidate`, whose
/// device holds `device_ips` public IPv4 addresses across its deployments (standby NAT gateways
/// included):
/// - through a NAT gateway, NAT instances or a proxy, the device's addresses, all of them (a
///   client may be routed to any deployment when its own AZ's is down);
/// - through an internet gateway, each client's own address;
/// - over IPv6 through an egress-only internet gateway, each dual-stack client's own address.
pub(crate) fn of(candidate: &Candidate, workloads: &[Workload], device_ips: f64) -> EgressIps {
    let any_flagged = workloads.iter().any(|w| w.allowlisted);
    let scope = || {
        workloads
            .iter()
            .filter(move |w| w.allowlisted || !any_flagged)
    };
    let clients = |w: &Workload| f64::from(w.clients);
    let mut count = match &candidate.device {
        DeviceConfig::InternetGateway(_) => scope().map(clients).sum(),
        _ => {
            let all_ipv6 = |w: &Workload| candidate.egress_only_igw && w.ipv6_share >= 1.0;
            if scope().any(|w| !all_ipv6(w)) {
                device_ips
            } else {
                0.0
            }
        }
    };
    if candidate.egress_only_igw {
        count += scope()
            .filter(|w| w.ipv6_share > 0.0)
            .map(clients)
            .sum::<f64>();
    }
    let fixed = candidate
        .device
        .instance()
        .is_none_or(|instances| instances.keeps_addresses());
    EgressIps { count, fixed }
}
