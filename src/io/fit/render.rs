//! A [`Fit`] as scenario text: comments saying what was measured and how well each
//! distribution fits, then `[scenario]`, `[slo]`, the workloads and the candidates.

use super::{Fit, FittedCandidate, FittedWorkload, HEADROOM};
use std::fmt::Write;

/// The seed a fitted scenario runs with.
const SEED: u64 = 1;

pub(super) fn scenario(fit: &Fit) -> String {
    let mut out = String::new();
    header(&mut out, fit);
    let _ = writeln!(
        out,
        "\n[scenario]\nname = \"{}\"\nregion = \"{}\"\nduration = \"{}s\"\nseed = {SEED}\n",
        fit.name, fit.region, fit.duration_s
    );
    out.push_str("[slo]\nmax_conn_fail_rate = 0.001\n");
    for w in &fit.workloads {
        workload(&mut out, w);
    }
    for c in &fit.candidates {
        candidate(&mut out, c);
    }
    out
}

fn header(out: &mut String, fit: &Fit) {
    let m = &fit.measured;
    let _ = writeln!(
        out,
        "# Fitted by `natsim fit` from {}.",
        fit.sources.join(", ")
    );
    let _ = writeln!(
        out,
        "# Measured: {} records, {} connections over {} s{}; {:.3} GB (10^9 bytes) out in requests, {:.3} GB in in responses;",
        m.records,
        m.connections,
        fit.observed_s,
        match (m.skipped_lines, m.late_records) {
            (0, 0) => String::new(),
            (n, 0) => format!(" ({n} malformed lines skipped)"),
            (0, late) => format!(" ({late} late records left out)"),
            (n, late) => format!(" ({n} malformed lines skipped, {late} late records left out)"),
        },
        m.request_gb,
        m.response_gb
    );
    if fit.observed_s > fit.duration_s {
        let _ = writeln!(
            out,
            "# The logs span {} s; the scenario simulates {} s (a week) at their mean rate and daily profile.",
            fit.observed_s, fit.duration_s
        );
    }
    let _ = writeln!(
        out,
        "# peak {:.3} Gbps (busiest minute, larger direction); peak {} new connections per second.",
        m.peak_gbps, m.peak_new_per_s
    );
    if let Some((server, count)) = m.busiest {
        let share = count as f64 / m.connections.max(1) as f64 * 100.0;
        let _ = writeln!(
            out,
            "# Busiest destination: {server} ({count} connections, {share:.1} %)."
        );
    }
    for (protocol, count) in &fit.unsimulated {
        let _ = writeln!(
            out,
            "# Not simulated: {count} connections of IP protocol {protocol} (natsim simulates TCP and UDP)."
        );
    }
    for w in &fit.workloads {
        let _ = writeln!(
            out,
            "#\n# Workload {} ({}{} connections):",
            w.name,
            w.az_id
                .as_ref()
                .map_or(String::new(), |id| format!("AZ ID {id}, ")),
            w.connections
        );
        if let Some(class) = &w.class {
            let _ = writeln!(out, "#   traffic class: {class}");
        }
        let _ = writeln!(out, "#   request_bytes: {}", w.request.describe());
        let _ = writeln!(out, "#   response_bytes: {}", w.response.describe());
        let _ = writeln!(
            out,
            "#   destinations: {} seen; Zipf exponent by maximum likelihood on their connection counts",
            w.destinations
        );
        let _ = writeln!(
            out,
            "#   hold: mean recorded duration, which includes the transfer (an upper bound)"
        );
    }
    replay_hint(out, fit);
    let _ = writeln!(
        out,
        "#\n# NAT instances are sized on the observed peak + {:.0} % (baseline bandwidth).",
        HEADROOM * 100.0
    );
    let _ = writeln!(
        out,
        "# Check it with `natsim validate FILE`, compare with `natsim run FILE`."
    );
}

/// The AZ IDs and their zone letters, and the workloads that would replay the recorded
/// connections themselves, one per AZ and protocol (`flow_logs_az_id`), as comments.
fn replay_hint(out: &mut String, fit: &Fit) {
    let mut zones: Vec<(&str, Option<&str>, u8)> = fit
        .workloads
        .iter()
        .map(|w| (w.az.as_str(), w.az_id.as_deref(), w.protocol))
        .collect();
    zones.sort_unstable();
    zones.dedup();
    let mut ids: Vec<String> = zones
        .iter()
        .filter_map(|(az, id, _)| Some(format!("{} is zone {az}", (*id)?)))
        .collect();
    ids.dedup();
    if !ids.is_empty() {
        let _ = writeln!(
            out,
            "#\n# AZ IDs (sorted; which zone name an ID has differs by account): {}.",
            ids.join(", ")
        );
    }
    let paths: Vec<String> = fit.replay_paths.iter().map(|p| format!("{p:?}")).collect();
    let _ = writeln!(
        out,
        "# To replay the recorded connections instead of drawing them, replace the workloads below with (paths from this file's folder):"
    );
    for (az, id, protocol) in zones {
        let protocol = if protocol == 17 { "udp" } else { "tcp" };
        let _ = writeln!(
            out,
            "#   [[workload]]\n#   name = \"{az}-{protocol}-replay\"\n#   az = \"{az}\"\n#   protocol = \"{protocol}\"\n#   flow_logs = [{}]",
            paths.join(", ")
        );
        if let Some(id) = id {
            let _ = writeln!(out, "#   flow_logs_az_id = \"{id}\"");
        }
    }
}

fn workload(out: &mut String, w: &FittedWorkload) {
    let _ = writeln!(
        out,
        "\n[[workload]]\nname = \"{}\"\naz = \"{}\"",
        w.name, w.az
    );
    let udp = w.protocol == 17;
    let _ = writeln!(out, "protocol = \"{}\"", if udp { "udp" } else { "tcp" });
    // Shortest exact form: a sparse trace (AWS's examples lie years apart) has rates far below 1e-6.
    let _ = writeln!(out, "rate_per_s = {}", w.rate_per_s);
    if !w.profile.is_empty() {
        let items: Vec<String> = w.profile.iter().map(|m| format!("{m:.3}")).collect();
        let _ = writeln!(out, "profile = [{}]", items.join(", "));
    }
    let _ = writeln!(out, "request_bytes = {}", w.request.chosen.toml());
    let _ = writeln!(out, "response_bytes = {}", w.response.chosen.toml());
    if w.hold_s > 0.0 {
        let _ = writeln!(
            out,
            "hold = {{ dist = \"exponential\", mean = \"{:.3}s\" }}",
            w.hold_s
        );
    }
    let _ = writeln!(
        out,
        "destinations = {{ count = {}, zipf = {:.3} }}",
        w.destinations.max(1),
        w.zipf_exponent
    );
    if w.endpoint_share > 0.0 {
        let _ = writeln!(out, "endpoint_share = {:.4}", w.endpoint_share);
    }
    if udp {
        let _ = writeln!(out, "packet_bytes = {:.0}", w.packet_bytes);
    }
}

fn candidate(out: &mut String, c: &FittedCandidate) {
    let _ = writeln!(out, "\n# {}", c.basis);
    let _ = writeln!(
        out,
        "[[candidate]]\nname = \"{}\"\nkind = \"{}\"",
        c.name, c.kind
    );
    if c.per_az {
        out.push_str("per_az = true\n");
    } else {
        let _ = writeln!(out, "az = \"{}\"", c.az);
    }
    if let Some(instance) = &c.instance_type {
        let _ = writeln!(out, "instance_type = \"{instance}\"");
    }
    if c.count > 1 {
        let _ = writeln!(out, "count = {}", c.count);
    }
}
