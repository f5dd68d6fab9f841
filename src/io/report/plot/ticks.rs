//! Axis ticks at 1-2-5 steps and their labels with units: `$500`, `20 GB`, `50 Mbps`, `80 %`.
//!
//! A log axis is drawn as a linear axis over log10 of the values ([`super::place`]); its ticks
//! are the values 1, 2 and 5 × 10^k that fall in its range (1 × 10^k alone when that would be
//! too many, and the linear steps of the values when the range spans too little). A linear
//! axis steps by 1, 2 or 5 × 10^k. Arithmetic only: no drawing.

use std::ops::Range;

/// What an axis measures: the unit its tick labels carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// US dollars: `$1.5k`.
    Usd,
    /// Billing GB (2^30 bytes): `10k GB`.
    Gb,
    /// Bytes, SI prefixes: `500 MB`.
    Bytes,
    /// Bits per second, values in Gbps: `5 Gbps`, `50 Mbps`.
    Gbps,
    /// A fraction shown as a percentage: `0.1 %`, `80 %`.
    Percent,
    /// A count: `2k`.
    Count,
    Minutes,
    Hours,
    /// A factor: `10×`.
    Times,
    /// A number without a unit (a swept key that is not traffic).
    Plain,
}

/// Most ticks an axis gets before a log axis keeps only the powers of ten.
const MAX_TICKS: usize = 10;

/// Tick positions for `range`, in drawn coordinates (log10 of the values on a log axis).
pub(crate) fn positions(range: &Range<f64>, log: bool) -> Vec<f64> {
    if !log {
        return linear(range.start, range.end);
    }
    let (low, high) = (10f64.powf(range.start), 10f64.powf(range.end));
    let mut ticks = Vec::new();
    for exponent in range.start.floor() as i32..=range.end.ceil() as i32 {
        for mantissa in [1.0, 2.0, 5.0] {
            let value = mantissa * 10f64.powi(exponent);
            if value >= low * (1.0 - 1e-9) && value <= high * (1.0 + 1e-9) {
                ticks.push(value);
            }
        }
    }
    if ticks.len() > MAX_TICKS {
        ticks.retain(|v| is_power_of_ten(*v));
        let every = ticks.len().div_ceil(MAX_TICKS);
        if every > 1 {
            ticks = ticks.into_iter().step_by(every).collect();
        }
    }
    if ticks.len() < 3 {
        // A narrow range: the values' own 1-2-5 steps, placed on the log axis.
        ticks = linear(low, high).into_iter().filter(|v| *v > 0.0).collect();
    }
    ticks.into_iter().map(f64::log10).collect()
}

/// Multiples of a 1, 2 or 5 × 10^k step in [low, high], about four to eight of them.
fn linear(low: f64, high: f64) -> Vec<f64> {
    let span = high - low;
    if span.is_nan() || span <= 0.0 || span.is_infinite() {
        return vec![low];
    }
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = magnitude
        * match raw / magnitude {
            n if n < 1.5 => 1.0,
            n if n < 3.5 => 2.0,
            n if n < 7.5 => 5.0,
            _ => 10.0,
        };
    let first = (low / step - 1e-9).ceil() as i64;
    let last = (high / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn is_power_of_ten(value: f64) -> bool {
    let exponent = value.log10();
    (exponent - exponent.round()).abs() < 1e-9
}

/// A tick's label: the value (undone from log10 by the caller) with its unit.
pub(crate) fn label(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Usd if value < 0.0 => format!("-${}", compact(-value)),
        Unit::Usd => format!("${}", compact(value)),
        Unit::Gb => format!("{} GB", compact(value)),
        Unit::Bytes => {
            let text = compact(value);
            match text.strip_suffix(['k', 'M', 'G']) {
                Some(number) => format!("{number} {}B", &text[number.len()..]),
                None => format!("{text} B"),
            }
        }
        Unit::Gbps => {
            let magnitude = value.abs();
            if magnitude >= 1.0 || magnitude == 0.0 {
                format!("{} Gbps", compact(value))
            } else if magnitude >= 1e-3 {
                format!("{} Mbps", compact(value * 1e3))
            } else {
                format!("{} kbps", compact(value * 1e6))
            }
        }
        Unit::Percent => format!("{} %", compact(value * 100.0)),
        Unit::Count | Unit::Plain => compact(value),
        Unit::Minutes => format!("{} min", compact(value)),
        Unit::Hours => format!("{} h", compact(value)),
        Unit::Times => format!("{}×", compact(value)),
    }
}

/// A number in at most three significant digits, thousands and up with k, M or G, so one axis
/// never mixes 31623 with 1.0e5; below 0.0001 in exponent form.
pub(crate) fn compact(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".into();
    }
    // Rounded first, so 999.6 reads 1k rather than 1000.
    let digits = 10f64.powi(2 - value.abs().log10().floor() as i32);
    let value = (value * digits).round() / digits;
    let magnitude = value.abs();
    for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if magnitude >= scale * (1.0 - 1e-9) && magnitude < 1e3 * scale {
            return format!("{}{suffix}", compact(value / scale));
        }
    }
    if !(1e-4..1e12).contains(&magnitude) {
        return format!("{value:.0e}");
    }
    let decimals = (2 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::{Unit, compact, label, positions};

    fn values(range: std::ops::Range<f64>, log: bool) -> Vec<String> {
        positions(&range, log)
            .into_iter()
            .map(|p| compact(if log { 10f64.powf(p) } else { p }))
            .collect()
    }

    #[test]
    fn log_ticks_fall_on_one_two_five() {
        // 0.13 to 4.5 Gbps: the axis read 0.158, 0.251, 0.398, 0.631, 1, 1.58, 2.51, 3.98.
        assert_eq!(
            values(0.13f64.log10()..4.5f64.log10(), true),
            ["0.2", "0.5", "1", "2"]
        );
        assert_eq!(values(1.0..2.5, true), ["10", "20", "50", "100", "200"]);
        // Four decades would take 13: the powers of ten alone.
        assert_eq!(values(1.0..5.0, true), ["10", "100", "1k", "10k", "100k"]);
        // Many decades keep every other power of ten.
        assert_eq!(values(-6.0..6.0, true).len(), 7);
        // Less than a factor of 2.5: the values' own steps.
        assert_eq!(
            values(30f64.log10()..40f64.log10(), true),
            ["30", "32", "34", "36", "38", "40"]
        );
    }

    #[test]
    fn linear_ticks_step_by_one_two_five() {
        assert_eq!(
            values(0.0..120.0, false),
            ["0", "20", "40", "60", "80", "100", "120"]
        );
        assert_eq!(values(0.0..2400.0, false), ["0", "500", "1k", "1.5k", "2k"]);
        assert_eq!(values(0.0..0.9, false), ["0", "0.2", "0.4", "0.6", "0.8"]);
        assert_eq!(
            values(0.0..7.0, false),
            ["0", "1", "2", "3", "4", "5", "6", "7"]
        );
    }

    #[test]
    fn labels_carry_their_units() {
        assert_eq!(label(1500.0, Unit::Usd), "$1.5k");
        assert_eq!(label(0.05, Unit::Gbps), "50 Mbps");
        assert_eq!(label(5.0, Unit::Gbps), "5 Gbps");
        assert_eq!(label(0.8, Unit::Percent), "80 %");
        assert_eq!(label(0.001, Unit::Percent), "0.1 %");
        assert_eq!(label(20000.0, Unit::Gb), "20k GB");
        assert_eq!(label(10.0, Unit::Times), "10×");
        assert_eq!(label(20.0, Unit::Minutes), "20 min");
        assert_eq!(label(5e8, Unit::Bytes), "500 MB");
        assert_eq!(label(512.0, Unit::Bytes), "512 B");
        assert_eq!(compact(999.6), "1k");
        assert_eq!(compact(31622.8), "31.6k");
        assert_eq!(compact(0.00004), "4e-5");
    }
}
