//! Quantities with units as users write them in scenario files: sizes ("2KB", "2KiB"), durations
//! ("350s", "5m", "2h") and rates ("5Gbps", "200Mbps").
//!
//! Owns only the text → number conversion. Every function takes `&str` and returns a plain number in
//! base units (bytes, nanoseconds, bits per second) or an error text that says what forms are
//! accepted; callers add the key path. Nothing here knows about scenarios or AWS.

/// Nanoseconds per second, the engine's time unit.
pub(crate) const NS_PER_S: f64 = 1e9;

/// Largest size accepted, in bytes: a petabyte. Sizes are per connection (or per packet), and no
/// single transfer comes near it (S3's largest object is 5 TB), while sums of many stay finite.
pub(crate) const MAX_SIZE_BYTES: f64 = 1e15;
/// How [`MAX_SIZE_BYTES`] reads in messages.
pub(crate) const MAX_SIZE_TEXT: &str = "1 PB (10^15 bytes)";
/// Longest duration accepted, in seconds: a century. The engine counts time in u64 nanoseconds
/// (584 years), so any duration plus a run's own length stays exact; a century still lets an
/// `mtbf` or a `hold` say "practically never".
pub(crate) const MAX_DURATION_S: f64 = 100.0 * 365.25 * 86_400.0;
/// How [`MAX_DURATION_S`] reads in messages.
pub(crate) const MAX_DURATION_TEXT: &str = "100 years";
/// Fastest rate accepted, in bits per second: 100 Tbps, 30 times AWS's fastest instance
/// (3,200 Gbps), so a typo of a few powers of ten is caught rather than simulated.
pub(crate) const MAX_RATE_BPS: f64 = 1e14;
/// How [`MAX_RATE_BPS`] reads in messages.
pub(crate) const MAX_RATE_TEXT: &str = "100 Tbps";

/// Parses a size: a plain number of bytes, or a number with a unit. Decimal units are powers of
/// 1,000 ("KB", "MB", "GB", "TB"), binary ones powers of 1,024 ("KiB", "MiB", "GiB", "TiB").
pub(crate) fn parse_size_bytes(text: &str) -> Result<f64, String> {
    const UNITS: &[(&str, f64)] = &[
        ("b", 1.0),
        ("kb", 1e3),
        ("mb", 1e6),
        ("gb", 1e9),
        ("tb", 1e12),
        ("kib", 1024.0),
        ("mib", 1024.0 * 1024.0),
        ("gib", 1024.0 * 1024.0 * 1024.0),
        ("tib", 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ];
    parse_with_units(text, UNITS, Some(1.0))
        .map_err(|_| format!("{} is not a size; write bytes (2000) or a size with a unit like \"2KB\", \"2KiB\", \"1.5MB\", \"10GB\"", crate::util::echo::quoted(text)))
}

/// Parses a duration into seconds: a plain number of seconds, or a number with a unit
/// ("ms", "s", "m", "h", "d").
pub(crate) fn parse_duration_s(text: &str) -> Result<f64, String> {
    const UNITS: &[(&str, f64)] = &[
        ("ns", 1e-9),
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("min", 60.0),
        ("h", 3600.0),
        ("d", 86400.0),
    ];
    parse_with_units(text, UNITS, Some(1.0)).map_err(|_| {
        format!("{} is not a duration; write seconds (350) or a duration like \"350s\", \"5m\", \"2h\", \"500ms\"", crate::util::echo::quoted(text))
    })
}

/// Parses a rate into bits per second ("5Gbps", "200Mbps", "64kbps", "1Tbps", or "10bps").
/// A bare number is refused: a rate without a unit is too easy to get wrong by 10^9.
pub(crate) fn parse_rate_bps(text: &str) -> Result<f64, String> {
    const UNITS: &[(&str, f64)] = &[
        ("bps", 1.0),
        ("kbps", 1e3),
        ("mbps", 1e6),
        ("gbps", 1e9),
        ("tbps", 1e12),
    ];
    parse_with_units(text, UNITS, None).map_err(|_| {
        format!(
            "{} is not a rate; write a rate with a unit like \"5Gbps\", \"200Mbps\", \"64kbps\"",
            crate::util::echo::quoted(text)
        )
    })
}

/// Converts seconds to integer nanoseconds, rounding to nearest. Negative or non-finite input
/// is the caller's bug (validation refuses it first), so it saturates instead of panicking.
#[inline]
pub(crate) fn seconds_to_ns(seconds: f64) -> u64 {
    let ns = seconds * NS_PER_S;
    if ns > 0.0 && ns < TWO_POW_63 {
        // Half away from zero, as `f64::round` (a libm call on the baseline x86-64 target): the
        // fraction is exact, since subtracting the whole part of a float loses nothing.
        let whole = truncate_in_range(ns);
        return if ns - whole as f64 >= 0.5 {
            whole as u64 + 1
        } else {
            whole as u64
        };
    }
    seconds_to_ns_outside(seconds)
}

/// [`seconds_to_ns`] for what is not a positive time below 2^63 ns (292 years): zero, a
/// negative or non-finite value, an underflow, a saturation. Apart so that the common case
/// compiles to a few instructions rather than every case's conversions at once.
#[cold]
#[inline(never)]
fn seconds_to_ns_outside(seconds: f64) -> u64 {
    if !seconds.is_finite() || seconds <= 0.0 {
        return 0;
    }
    let ns = seconds * NS_PER_S;
    if ns >= u64::MAX as f64 {
        return u64::MAX;
    }
    let whole = ns as u64;
    if ns - whole as f64 >= 0.5 {
        whole + 1
    } else {
        whole
    }
}

/// Seconds as whole nanoseconds, rounded up (a deadline must not fall before the instant it
/// stands for); negative and NaN give 0, beyond u64 saturates. Written out rather than with
/// `f64::ceil`, which the baseline x86-64 target calls in libm: this runs once per event.
#[inline]
pub(crate) fn seconds_to_ns_ceil(seconds: f64) -> u64 {
    let ns = seconds * NS_PER_S;
    if (0.0..TWO_POW_63).contains(&ns) {
        let whole = truncate_in_range(ns);
        return if (whole as f64) < ns {
            whole as u64 + 1
        } else {
            whole as u64
        };
    }
    seconds_to_ns_ceil_outside(ns)
}

/// `ns as i64` for an `ns` the caller has checked lies in [0, 2^63): one instruction, without
/// the saturation and NaN handling `as` adds (which the range check does not let LLVM drop).
#[inline(always)]
fn truncate_in_range(ns: f64) -> i64 {
    debug_assert!((0.0..TWO_POW_63).contains(&ns));
    // SAFETY: `ns` is not NaN and lies in [0, 2^63) (both callers test it just before), so its
    // whole part is representable as an i64, which is all `to_int_unchecked` requires.
    unsafe { ns.to_int_unchecked::<i64>() }
}

/// [`seconds_to_ns_ceil`] for a negative, NaN or huge `ns` (apart, as in [`seconds_to_ns`]).
#[cold]
#[inline(never)]
fn seconds_to_ns_ceil_outside(ns: f64) -> u64 {
    let whole = ns as u64; // saturating, NaN → 0
    if (whole as f64) < ns {
        whole.saturating_add(1)
    } else {
        whole
    }
}

/// `x.max(0.0)` without the NaN handling `f64::max` compiles to: the same value but for the sign
/// of a zero (NaN gives 0.0, as `max` does). For callers that only divide the result by a rate
/// and round it up to nanoseconds, or compare it, where a zero's sign changes nothing.
#[inline]
pub(crate) fn at_least_zero(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

/// Converts integer nanoseconds to seconds.
#[inline]
pub(crate) fn ns_to_seconds(ns: u64) -> f64 {
    u64_to_f64(ns) / NS_PER_S
}

/// Converts a span of simulated time within a run to seconds: the same value as
/// [`ns_to_seconds`], through the signed conversion alone, without its test for 2^63 ns.
///
/// For a `ns` that is an instant the engine handles, or the difference of two such instants
/// (`now` minus an earlier `now`), never for a deadline, which may lie anywhere up to `NEVER`.
/// Such a span is below 2^63 ns (292 years), where the signed and unsigned conversions agree:
/// the engine handles nothing after the horizon (`engine::run`), the horizon is the scenario's
/// `duration`, and the only place a `Scenario` is built (`io::scenario::parse`) refuses a
/// duration over 366 days, about 2^55 ns. So no input reaches a span this would convert wrongly;
/// debug builds check it anyway. Runs at every bucket settlement, link advance and
/// completion, several times per connection.
#[inline(always)]
pub(crate) fn span_to_seconds(ns: u64) -> f64 {
    debug_assert!(ns <= i64::MAX as u64, "span of {ns} ns is beyond any run");
    ns as i64 as f64 / NS_PER_S
}

/// `count as f64` for a count of things the run holds or has handled (connections open, events
/// seen): through the signed conversion alone, which agrees with the unsigned one below 2^63.
/// A count of handled things stays far below that (one per event, at billions of events per
/// hour, would take centuries); debug builds check it.
#[inline(always)]
pub(crate) fn count_to_f64(count: u64) -> f64 {
    debug_assert!(count <= i64::MAX as u64, "count {count} is beyond any run");
    count as i64 as f64
}

/// 2^63: below it, the signed conversions (one instruction each way on the baseline x86-64
/// target, where the unsigned ones are sequences) give exactly what the unsigned ones do.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// `x as f64`: the same value, rounded the same way, through the signed conversion wherever
/// `x` fits in an i64 (every simulated time does).
#[inline]
pub(crate) fn u64_to_f64(x: u64) -> f64 {
    if x <= i64::MAX as u64 {
        x as i64 as f64
    } else {
        u64_to_f64_outside(x)
    }
}

#[cold]
#[inline(never)]
fn u64_to_f64_outside(x: u64) -> f64 {
    x as f64
}

/// Splits "1.5 GB" into number and unit and applies the unit's factor. `bare` is the factor for a
/// number without a unit, or `None` when a unit is required.
fn parse_with_units(text: &str, units: &[(&str, f64)], bare: Option<f64>) -> Result<f64, ()> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '-'
                || c == '+'
                || c == 'e'
                || c == 'E'
                || c == '_')
        })
        .unwrap_or(trimmed.len());
    // "e" may start a unit rather than an exponent: back off when what follows is not a number.
    let (mut number, mut unit) = trimmed.split_at(split);
    while number.ends_with(['e', 'E']) {
        number = &number[..number.len() - 1];
        unit = &trimmed[number.len()..];
    }
    let value: f64 = number.replace('_', "").parse().map_err(|_| ())?;
    if !value.is_finite() {
        return Err(());
    }
    let unit = unit.trim().to_ascii_lowercase();
    if unit.is_empty() {
        return bare.map(|factor| value * factor).ok_or(());
    }
    units
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, factor)| value * factor)
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_like_ceil() {
        for seconds in [
            0.0,
            1e-9,
            1.5e-9,
            2e-9,
            0.3,
            1.0 / 3.0,
            12_345.678_901_234,
            1e7,
        ] {
            let expected = (seconds * NS_PER_S).ceil() as u64;
            assert_eq!(seconds_to_ns_ceil(seconds), expected, "{seconds}");
        }
        assert_eq!(seconds_to_ns_ceil(-1.0), 0);
        assert_eq!(seconds_to_ns_ceil(f64::NAN), 0);
        assert_eq!(seconds_to_ns_ceil(f64::INFINITY), u64::MAX);
    }

    #[test]
    fn fast_conversions_equal_the_plain_ones() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut integers = vec![0, 1, 2, (1 << 53) + 1, i64::MAX as u64, 1 << 63, u64::MAX];
        let mut floats = vec![
            0.0,
            -0.0,
            0.5,
            -1.0,
            1e300,
            9_223_372_036_854_775_808.0,
            9_223_372_036_854_774_784.0,
            18_446_744_073_709_551_616.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for _ in 0..100_000 {
            // xorshift: integers of every magnitude, and floats from their bits.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            integers.push(x >> (x % 64));
            floats.push(f64::from_bits(x));
            floats.push((x >> (x % 64)) as f64 * 0.999_999_9);
        }
        for &i in &integers {
            assert_eq!(u64_to_f64(i).to_bits(), (i as f64).to_bits(), "{i}");
            if i <= i64::MAX as u64 {
                assert_eq!(count_to_f64(i).to_bits(), (i as f64).to_bits(), "{i}");
                let plain = i as f64 / NS_PER_S;
                assert_eq!(span_to_seconds(i).to_bits(), plain.to_bits(), "{i}");
            }
        }
        for &f in &floats {
            for seconds in [f, f / NS_PER_S] {
                assert_eq!(
                    seconds_to_ns(seconds),
                    plain_seconds_to_ns(seconds),
                    "{seconds}"
                );
                assert_eq!(
                    seconds_to_ns_ceil(seconds),
                    plain_seconds_to_ns_ceil(seconds),
                    "{seconds}"
                );
            }
        }
    }

    /// The conversions as they were written before the fast paths (issue 15): plain `as`.
    fn plain_seconds_to_ns(seconds: f64) -> u64 {
        if !seconds.is_finite() || seconds <= 0.0 {
            return 0;
        }
        let ns = seconds * NS_PER_S;
        if ns >= u64::MAX as f64 {
            return u64::MAX;
        }
        let whole = ns as u64;
        if ns - whole as f64 >= 0.5 {
            whole + 1
        } else {
            whole
        }
    }

    fn plain_seconds_to_ns_ceil(seconds: f64) -> u64 {
        let ns = seconds * NS_PER_S;
        let whole = ns as u64;
        if (whole as f64) < ns {
            whole.saturating_add(1)
        } else {
            whole
        }
    }

    #[test]
    fn conversions_round_half_away_from_zero_like_round() {
        for seconds in [
            1e-9,
            1.5e-9,
            2.5e-9,
            0.49e-9,
            0.3,
            1.0 / 3.0,
            12_345.678_901_234_5,
            3e9,
        ] {
            let expected = (seconds * NS_PER_S).round() as u64;
            assert_eq!(seconds_to_ns(seconds), expected, "{seconds}");
        }
    }

    #[test]
    fn sizes_use_decimal_and_binary_prefixes() {
        assert_eq!(parse_size_bytes("2KB").unwrap(), 2000.0);
        assert_eq!(parse_size_bytes("2KiB").unwrap(), 2048.0);
        assert_eq!(parse_size_bytes("1.5 MB").unwrap(), 1.5e6);
        assert_eq!(parse_size_bytes("1200").unwrap(), 1200.0);
        assert!(parse_size_bytes("2 parsecs").is_err());
        assert!(parse_size_bytes("5Gbps").is_err());
    }

    #[test]
    fn durations_accept_seconds_and_units() {
        assert_eq!(parse_duration_s("350s").unwrap(), 350.0);
        assert_eq!(parse_duration_s("5m").unwrap(), 300.0);
        assert_eq!(parse_duration_s("2h").unwrap(), 7200.0);
        assert_eq!(parse_duration_s("500ms").unwrap(), 0.5);
        assert_eq!(parse_duration_s("90").unwrap(), 90.0);
        assert!(parse_duration_s("2 fortnights").is_err());
    }

    #[test]
    fn rates_need_a_unit() {
        assert_eq!(parse_rate_bps("5Gbps").unwrap(), 5e9);
        assert_eq!(parse_rate_bps("200Mbps").unwrap(), 2e8);
        assert!(parse_rate_bps("5").is_err());
        assert!(parse_rate_bps("5GB").is_err());
    }

    #[test]
    fn nanosecond_conversion_rounds_and_saturates() {
        assert_eq!(seconds_to_ns(1.5), 1_500_000_000);
        assert_eq!(seconds_to_ns(-1.0), 0);
        assert_eq!(seconds_to_ns(f64::INFINITY), 0);
        assert_eq!(seconds_to_ns(1e300), u64::MAX);
    }
}
