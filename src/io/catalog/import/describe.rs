//! `aws ec2 describe-instance-types` records into the figures natsim keeps per instance type.
//!
//! Owns which fields are read: `VCpuInfo.DefaultVCpus`, `MemoryInfo.SizeInMiB`, the default
//! network card's `BaselineBandwidthInGbps` and `PeakBandwidthInGbps` (falling back to a fixed
//! `NetworkPerformance` such as "25 Gigabit", which is both), and
//! `ProcessorInfo.SupportedArchitectures` for the source. A record without the vCPUs or memory
//! is malformed (an error naming it); a type whose baseline AWS does not give ("Up to 5
//! Gigabit" without the bandwidth fields, "Moderate") is left out and said so, never guessed.

use serde::Deserialize;

/// One instance type's figures, as read.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spec {
    pub(super) name: String,
    pub(super) vcpus: u32,
    pub(super) memory_gib: f64,
    pub(super) baseline_gbps: f64,
    pub(super) burst_gbps: f64,
    /// How the bandwidth was read, for the source.
    pub(super) network_from: String,
    pub(super) architectures: Vec<String>,
    /// The file it came from.
    pub(super) file: String,
}

/// A record read, or why its type is left out (not an error: AWS gives no baseline for it).
pub(super) enum Described {
    Spec(Spec),
    LeftOut { name: String, why: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    instance_type: Option<String>,
    v_cpu_info: Option<VCpuInfo>,
    memory_info: Option<MemoryInfo>,
    network_info: Option<NetworkInfo>,
    processor_info: Option<ProcessorInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VCpuInfo {
    default_v_cpus: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MemoryInfo {
    size_in_mi_b: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NetworkInfo {
    network_performance: Option<String>,
    default_network_card_index: Option<u32>,
    #[serde(default)]
    network_cards: Option<Vec<NetworkCard>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NetworkCard {
    network_card_index: Option<u32>,
    network_performance: Option<String>,
    baseline_bandwidth_in_gbps: Option<f64>,
    peak_bandwidth_in_gbps: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessorInfo {
    #[serde(default)]
    supported_architectures: Option<Vec<String>>,
}

/// Reads `InstanceTypes[index]`; an error names the record and the field.
pub(super) fn read(
    value: serde_json::Value,
    index: usize,
    file: &str,
) -> Result<Described, String> {
    let name_hint = value
        .get("InstanceType")
        .and_then(|v| v.as_str())
        .map(|n| format!(" ({})", crate::util::echo::quoted(n)))
        .unwrap_or_default();
    let at = |problem: &str| format!("InstanceTypes[{index}]{name_hint}: {problem}");
    let record: Record = serde_json::from_value(value).map_err(|e| at(&e.to_string()))?;
    let name = record
        .instance_type
        .filter(|n| n.contains('.'))
        .ok_or_else(|| at("InstanceType is missing or not family.size"))?;
    let vcpus = record
        .v_cpu_info
        .and_then(|v| v.default_v_cpus)
        .filter(|&n| n > 0)
        .ok_or_else(|| at("VCpuInfo.DefaultVCpus is missing or 0"))?;
    let memory_mib = record
        .memory_info
        .and_then(|m| m.size_in_mi_b)
        .filter(|m| m.is_finite() && *m > 0.0)
        .ok_or_else(|| at("MemoryInfo.SizeInMiB is missing or not above 0"))?;
    let architectures = record
        .processor_info
        .and_then(|p| p.supported_architectures)
        .unwrap_or_default();
    let Some(network) = record.network_info else {
        return Err(at("NetworkInfo is missing"));
    };
    let (baseline_gbps, burst_gbps, network_from) = match bandwidth(&network) {
        Ok(found) => found,
        Err(why) => return Ok(Described::LeftOut { name, why }),
    };
    if !(baseline_gbps > 0.0 && burst_gbps >= baseline_gbps && burst_gbps.is_finite()) {
        return Err(at(&format!(
            "baseline {baseline_gbps} Gbps and peak {burst_gbps} Gbps: the baseline must be above 0 and at most the peak"
        )));
    }
    Ok(Described::Spec(Spec {
        name,
        vcpus,
        memory_gib: memory_mib / 1024.0,
        baseline_gbps,
        burst_gbps,
        network_from,
        architectures,
        file: file.to_string(),
    }))
}

/// Baseline and peak Gbps of the default network card, and where they came from; why not,
/// when AWS gives no baseline.
fn bandwidth(network: &NetworkInfo) -> Result<(f64, f64, String), String> {
    let index = network.default_network_card_index.unwrap_or(0);
    let cards = network.network_cards.as_deref().unwrap_or(&[]);
    let card = cards
        .iter()
        .find(|c| c.network_card_index.unwrap_or(0) == index);
    if let Some(card) = card
        && let (Some(base), Some(peak)) =
            (card.baseline_bandwidth_in_gbps, card.peak_bandwidth_in_gbps)
    {
        return Ok((
            base,
            peak,
            format!("NetworkCards[{index}] BaselineBandwidthInGbps / PeakBandwidthInGbps"),
        ));
    }
    let performance = card
        .and_then(|c| c.network_performance.as_deref())
        .or(network.network_performance.as_deref())
        .unwrap_or("");
    match fixed_gbps(performance) {
        Some(gbps) => Ok((
            gbps,
            gbps,
            format!("NetworkPerformance \"{performance}\" (fixed: baseline = peak)"),
        )),
        None => Err(format!(
            "NetworkPerformance \"{performance}\" and no BaselineBandwidthInGbps on NetworkCards[{index}]"
        )),
    }
}

/// `"25 Gigabit"` → 25, `"12500 Megabit"` → 12.5; `None` for "Up to …" (a burst, not a
/// baseline) and for words ("Moderate").
fn fixed_gbps(text: &str) -> Option<f64> {
    let mut words = text.split_whitespace();
    let number: f64 = words.next()?.parse().ok()?;
    let scale = match words.next()? {
        "Gigabit" => 1.0,
        "Megabit" => 1e-3,
        _ => return None,
    };
    (words.next().is_none() && number > 0.0).then_some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nano() -> serde_json::Value {
        json!({
            "InstanceType": "t4g.nano",
            "ProcessorInfo": { "SupportedArchitectures": ["arm64"], "SustainedClockSpeedInGhz": 2.5 },
            "VCpuInfo": { "DefaultVCpus": 2, "DefaultCores": 2, "DefaultThreadsPerCore": 1 },
            "MemoryInfo": { "SizeInMiB": 512 },
            "NetworkInfo": {
                "NetworkPerformance": "Up to 5 Gigabit",
                "MaximumNetworkInterfaces": 2,
                "MaximumNetworkCards": 1,
                "DefaultNetworkCardIndex": 0,
                "NetworkCards": [ { "NetworkCardIndex": 0, "NetworkPerformance": "Up to 5 Gigabit",
                    "MaximumNetworkInterfaces": 2, "BaselineBandwidthInGbps": 0.032, "PeakBandwidthInGbps": 5.0 } ]
            }
        })
    }

    fn spec(value: serde_json::Value) -> Spec {
        match read(value, 0, "f.json").unwrap() {
            Described::Spec(spec) => spec,
            Described::LeftOut { why, .. } => panic!("left out: {why}"),
        }
    }

    #[test]
    fn the_default_cards_baseline_and_peak_are_read() {
        let s = spec(nano());
        assert_eq!(
            (s.vcpus, s.memory_gib, s.baseline_gbps, s.burst_gbps),
            (2, 0.5, 0.032, 5.0)
        );
        assert_eq!(s.architectures, ["arm64"]);
    }

    #[test]
    fn a_fixed_performance_is_baseline_and_peak_but_up_to_is_not_guessed() {
        let mut fixed = nano();
        fixed["NetworkInfo"]["NetworkCards"][0] =
            json!({ "NetworkCardIndex": 0, "NetworkPerformance": "25 Gigabit" });
        let s = spec(fixed);
        assert_eq!((s.baseline_gbps, s.burst_gbps), (25.0, 25.0));
        let mut up_to = nano();
        up_to["NetworkInfo"]["NetworkCards"][0] =
            json!({ "NetworkCardIndex": 0, "NetworkPerformance": "Up to 5 Gigabit" });
        assert!(matches!(
            read(up_to, 0, "f").unwrap(),
            Described::LeftOut { .. }
        ));
        assert_eq!(fixed_gbps("Low to Moderate"), None);
        assert_eq!(fixed_gbps("12500 Megabit"), Some(12.5));
    }

    #[test]
    fn malformed_records_are_named() {
        let mut bad = nano();
        bad["VCpuInfo"]["DefaultVCpus"] = json!("two");
        let err = read(bad, 7, "f").err().unwrap();
        assert!(
            err.starts_with("InstanceTypes[7] (\"t4g.nano\"): "),
            "{err}"
        );
        let mut no_memory = nano();
        no_memory.as_object_mut().unwrap().remove("MemoryInfo");
        let err = read(no_memory, 0, "f").err().unwrap();
        assert!(err.contains("MemoryInfo.SizeInMiB"), "{err}");
        let mut upside_down = nano();
        upside_down["NetworkInfo"]["NetworkCards"][0]["PeakBandwidthInGbps"] = json!(0.01);
        assert!(
            read(upside_down, 0, "f")
                .err()
                .unwrap()
                .contains("at most the peak")
        );
    }
}
