//! Traffic classes within an AZ and protocol: small API calls and bulk transfers through the
//! same NAT gateway are two workloads, not one whose sizes fit neither.
//!
//! **Rule.** Each connection falls in a size band by its bytes both ways (request + response):
//! a decade each, below 1 kB, 1 kB – 10 kB, …, 1 GB and above ([`BANDS`]). When the AZ ×
//! protocol's chosen size distributions fit poorly (the worse of its request and response KS
//! statistics D above [`POOR_FIT_KS`]), every cut between two bands is tried: the connections
//! below and at or above it are fitted as two classes, and a cut is scored by the classes' D
//! (each the worse of its request and response D), weighted by their connections. The best cut
//! is taken when it leaves each class at least [`MIN_CLASS_CONNECTIONS`] connections and
//! [`MIN_CLASS_SHARE`] of them, and its score is at most [`CLEARLY_BETTER`] × the whole's D;
//! else the AZ × protocol stays one workload. At most two classes: small and bulk.
//!
//! **Memory.** Each band keeps what a workload's fit needs except the peak (a band's share of
//! its group's peak is by bytes): counts, sums, the connections per destination and per second,
//! and size samples of at most [`BAND_SAMPLE`] values each way. So memory grows with the bands
//! in use (at most [`BANDS`]) times the destinations and seconds, not with the connections.

/// Size bands: below 10^3 bytes, then a decade each, 10^9 and above.
pub(super) const BANDS: usize = 8;
/// A D above this is a poor fit: a lognormal through a mixture of 20 kB calls and 150 MB pulls
/// scores 0.2 and more, while one lognormal, exponential or Pareto population scores below 0.05
/// at thousands of connections (`tests/it/fit.rs`).
pub(super) const POOR_FIT_KS: f64 = 0.1;
/// A split must at least halve D.
pub(super) const CLEARLY_BETTER: f64 = 0.5;
/// Smallest class, in connections and as a share of its AZ × protocol: fewer are too few to
/// fit, and too little of the traffic to be worth a workload.
pub(super) const MIN_CLASS_CONNECTIONS: u64 = 50;
pub(super) const MIN_CLASS_SHARE: f64 = 0.01;
/// Most values a band's size sample keeps each way (a group's keeps a million).
pub(super) const BAND_SAMPLE: usize = 100_000;

/// The band of a connection moving `bytes` both ways.
pub(super) fn band_of(bytes: u64) -> usize {
    let decades = (bytes.max(1) as f64).log10().floor() as usize;
    decades.saturating_sub(2).min(BANDS - 1)
}

/// The smallest size of band `index` (bytes both ways), for the file's comments.
pub(super) fn band_floor(index: usize) -> f64 {
    if index == 0 {
        0.0
    } else {
        10f64.powi(index as i32 + 2)
    }
}

/// A size in bytes as the comments write it: `1 MB`, `100 kB`.
pub(super) fn shown(bytes: f64) -> String {
    let units = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    for (scale, unit) in units {
        if bytes >= scale {
            return format!("{} {unit}", bytes / scale);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_decades_of_the_bytes_both_ways() {
        assert_eq!(band_of(0), 0);
        assert_eq!(band_of(999), 0);
        assert_eq!(band_of(1_000), 1);
        assert_eq!(band_of(25_000), 2);
        assert_eq!(band_of(150_000_000), 6);
        assert_eq!(band_of(u64::MAX), BANDS - 1);
        assert_eq!(shown(band_floor(4)), "1 MB");
        assert_eq!(shown(band_floor(1)), "1 kB");
    }
}
