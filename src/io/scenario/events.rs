//! `[[event]]` tables: things that happen at a set time, applied to the candidates they name.
//!
//! Owns the event part of the scenario contract: `kind = "instance_failure"` (a NAT instance
//! dies at `at`; its failover decides what follows) and `kind = "az_outage"` (an AZ is down from
//! `at` for `for`: every device there fails and comes back with the AZ, its clients stop).

use super::reader::{Check, Result, Section};
use crate::io::scenario::{AzOutage, Candidate, ScenarioError, Workload};
use crate::util::echo;
use crate::util::units::seconds_to_ns;

/// Checks every event, records instance failures on their candidate and returns the AZ outages.
pub(super) fn apply(
    sections: Option<Vec<Section<'_>>>,
    candidates: &mut [Candidate],
    workloads: &[Workload],
    region: &str,
    duration_ns: u64,
) -> Result<Vec<AzOutage>> {
    let occupied = occupied_zones(candidates, workloads);
    let mut outages = Vec::new();
    for mut s in sections.unwrap_or_default() {
        let kind = s.required_string(
            "kind",
            "add kind = \"instance_failure\" or kind = \"az_outage\"",
        )?;
        match kind {
            "instance_failure" => instance_failure(&mut s, candidates, duration_ns)?,
            "az_outage" => outages.push(az_outage(&mut s, region, &occupied, duration_ns)?),
            other => {
                let problem = format!("unknown event kind {}", echo::quoted(other));
                return Err(s.error(
                    "kind",
                    problem,
                    "use kind = \"instance_failure\" or \"az_outage\"",
                ));
            }
        }
        s.finish()?;
    }
    Ok(outages)
}

fn at_ns(s: &mut Section<'_>, duration_ns: u64) -> Result<u64> {
    let at_s = s.duration_s("at", Check::NonNegative)?.ok_or_else(|| {
        ScenarioError::new(
            s.path_of("at"),
            "missing key \"at\"",
            "add at = \"30m\", when it happens",
        )
    })?;
    let at_ns = seconds_to_ns(at_s);
    if at_ns >= duration_ns {
        let hint = "make at shorter than scenario.duration";
        return Err(s.error(
            "at",
            format!("{at_s} s is not before the end of the run"),
            hint,
        ));
    }
    Ok(at_ns)
}

/// The zones where a client or a device sits, sorted: the only ones an outage can touch.
fn occupied_zones(candidates: &[Candidate], workloads: &[Workload]) -> Vec<String> {
    let mut zones: Vec<String> = workloads.iter().map(|w| w.az.clone()).collect();
    zones.extend(
        candidates
            .iter()
            .filter(|c| super::kinds::is_zonal(&c.device))
            .map(|c| c.az.clone()),
    );
    zones.sort_unstable();
    zones.dedup();
    zones
}

/// `az = "b"` (or `"us-east-1b"`) of an outage: a zone of the region where something sits. An
/// outage anywhere else would change nothing, which is never what the file meant.
fn outage_zone(s: &mut Section<'_>, region: &str, occupied: &[String]) -> Result<String> {
    s.required_string("az", "add az = \"a\", the AZ that goes down")?;
    let az = super::zone::read(s, region)?.unwrap_or_default();
    if !occupied.contains(&az) {
        let problem = format!("no workload or candidate sits in AZ \"{az}\"");
        let hint = format!(
            "this scenario's clients and devices sit in {}; an outage elsewhere changes nothing",
            occupied.join(", ")
        );
        return Err(s.error("az", problem, hint));
    }
    Ok(az)
}

fn az_outage(
    s: &mut Section<'_>,
    region: &str,
    occupied: &[String],
    duration_ns: u64,
) -> Result<AzOutage> {
    let az = outage_zone(s, region, occupied)?;
    let at_ns = at_ns(s, duration_ns)?;
    let for_s = s.duration_s("for", Check::Positive)?.ok_or_else(|| {
        ScenarioError::new(
            s.path_of("for"),
            "missing key \"for\"",
            "add for = \"20m\", how long the AZ is down",
        )
    })?;
    Ok(AzOutage {
        az,
        at_ns,
        for_ns: seconds_to_ns(for_s),
    })
}

fn instance_failure(
    s: &mut Section<'_>,
    candidates: &mut [Candidate],
    duration_ns: u64,
) -> Result<()> {
    let name = s.required_string(
        "candidate",
        "add candidate = \"<name of a nat_instance candidate>\"",
    )?;
    let at_ns = at_ns(s, duration_ns)?;
    let instance = s.int("instance", 0, 99)?.unwrap_or(0) as u32;
    let Some(candidate) = candidates.iter_mut().find(|c| c.name == name) else {
        let known: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
        let problem = format!("no candidate named {}", echo::quoted(name));
        return Err(s.error(
            "candidate",
            problem,
            format!("candidates: {}", known.join(", ")),
        ));
    };
    let kind = candidate.device.kind();
    let Some(config) = candidate.device.instance_mut() else {
        let problem = format!("candidate \"{name}\" is a {kind}, which runs no instances");
        let hint = "instance failures apply to nat_instance and proxy candidates";
        return Err(s.error("candidate", problem, hint));
    };
    if instance >= config.count {
        let problem = format!(
            "instance {instance} does not exist (count = {})",
            config.count
        );
        return Err(s.error("instance", problem, "instances are numbered from 0"));
    }
    config.failures.scheduled.push((at_ns, instance));
    Ok(())
}
