//! CloudWatch NAT gateway metrics, as `aws cloudwatch get-metric-data` writes them, and the
//! calibration of a run against them (`calibrate`).
//!
//! The file is the command's JSON output: `{"MetricDataResults": [{"Id", "Label",
//! "Timestamps": [RFC 3339 ...], "Values": [...], "StatusCode": "Complete"}, ...],
//! "Messages": [...]}`. Each result is one of the NAT gateway metrics ([`Metric`]), told by its
//! `Label`, else its `Id`: case-insensitively, ignoring everything but letters and digits, the
//! text must contain the metric's name (`BytesOutToDestination`, `nat-1 bytesouttodestination`),
//! any of the fourteen in `AWS/NATGateway`, or else the short form of one natsim simulates
//! (`bytesout`, `bytesin`, `activeconnections`, `connectionattempts`, `portallocation`,
//! `packetsdrop`, `idletimeout`): full names first, so `BytesOutToSource` is never taken for
//! `BytesOutToDestination`. A metric natsim does not simulate ([`Metric::simulated`]) is read
//! and reported as such, never compared with a zero; a result that names no NAT gateway metric
//! is ignored (and reported); a metric given twice, a `StatusCode` other than `Complete`, timestamps and
//! values of different lengths, or a timestamp that is not RFC 3339 is an error naming the file,
//! the result and the problem. Points are sorted by time (AWS writes newest first by default).

pub(crate) mod calibrate;

use crate::util::echo;
use serde::Deserialize;
use std::path::Path;

/// The NAT gateway metrics CloudWatch publishes (aws-facts.md, "NAT gateway CloudWatch
/// metrics"): the first seven natsim simulates, the rest it reads and reports as not simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    BytesOutToDestination,
    BytesInFromDestination,
    ActiveConnectionCount,
    ConnectionAttemptCount,
    ErrorPortAllocation,
    PacketsDropCount,
    IdleTimeoutCount,
    BytesInFromSource,
    BytesOutToSource,
    ConnectionEstablishedCount,
    PacketsInFromDestination,
    PacketsInFromSource,
    PacketsOutToDestination,
    PacketsOutToSource,
}

impl Metric {
    pub const ALL: [Metric; 14] = [
        Metric::BytesOutToDestination,
        Metric::BytesInFromDestination,
        Metric::ActiveConnectionCount,
        Metric::ConnectionAttemptCount,
        Metric::ErrorPortAllocation,
        Metric::PacketsDropCount,
        Metric::IdleTimeoutCount,
        Metric::BytesInFromSource,
        Metric::BytesOutToSource,
        Metric::ConnectionEstablishedCount,
        Metric::PacketsInFromDestination,
        Metric::PacketsInFromSource,
        Metric::PacketsOutToDestination,
        Metric::PacketsOutToSource,
    ];

    /// CloudWatch's name for the metric.
    pub fn name(self) -> &'static str {
        match self {
            Metric::BytesOutToDestination => "BytesOutToDestination",
            Metric::BytesInFromDestination => "BytesInFromDestination",
            Metric::ActiveConnectionCount => "ActiveConnectionCount",
            Metric::ConnectionAttemptCount => "ConnectionAttemptCount",
            Metric::ErrorPortAllocation => "ErrorPortAllocation",
            Metric::PacketsDropCount => "PacketsDropCount",
            Metric::IdleTimeoutCount => "IdleTimeoutCount",
            Metric::BytesInFromSource => "BytesInFromSource",
            Metric::BytesOutToSource => "BytesOutToSource",
            Metric::ConnectionEstablishedCount => "ConnectionEstablishedCount",
            Metric::PacketsInFromDestination => "PacketsInFromDestination",
            Metric::PacketsInFromSource => "PacketsInFromSource",
            Metric::PacketsOutToDestination => "PacketsOutToDestination",
            Metric::PacketsOutToSource => "PacketsOutToSource",
        }
    }

    /// Why natsim has no figure for the metric, or `None` when it simulates it. The model
    /// moves each direction's bytes through the gateway once (so the client-side byte counts
    /// would only repeat the destination side's), counts packets per link but not per side,
    /// answers every admitted connection (so "established" would be attempts minus refusals by
    /// construction, not by simulation).
    pub fn not_simulated_because(self) -> Option<&'static str> {
        match self {
            Metric::BytesOutToDestination
            | Metric::BytesInFromDestination
            | Metric::ActiveConnectionCount
            | Metric::ConnectionAttemptCount
            | Metric::ErrorPortAllocation
            | Metric::PacketsDropCount
            | Metric::IdleTimeoutCount => None,
            Metric::BytesInFromSource | Metric::BytesOutToSource => Some(
                "natsim counts each direction's bytes once, on the destination side; compare BytesOutToDestination and BytesInFromDestination",
            ),
            Metric::ConnectionEstablishedCount => Some(
                "natsim's destinations answer every admitted connection; compare ConnectionAttemptCount and ErrorPortAllocation",
            ),
            Metric::PacketsInFromDestination
            | Metric::PacketsInFromSource
            | Metric::PacketsOutToDestination
            | Metric::PacketsOutToSource => {
                Some("natsim does not count forwarded packets per side; compare the byte metrics")
            }
        }
    }

    /// Whether natsim has a figure for the metric to compare.
    pub fn simulated(self) -> bool {
        self.not_simulated_because().is_none()
    }

    /// The short form a label may use instead of the full name (simulated metrics only).
    fn short(self) -> Option<&'static str> {
        match self {
            Metric::BytesOutToDestination => Some("bytesout"),
            Metric::BytesInFromDestination => Some("bytesin"),
            Metric::ActiveConnectionCount => Some("activeconnection"),
            Metric::ConnectionAttemptCount => Some("connectionattempt"),
            Metric::ErrorPortAllocation => Some("portallocation"),
            Metric::PacketsDropCount => Some("packetsdrop"),
            Metric::IdleTimeoutCount => Some("idletimeout"),
            _ => None,
        }
    }

    /// The metric a label or id names, by the rules in the module header.
    pub fn identify(text: &str) -> Option<Metric> {
        let folded: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Metric::ALL
            .into_iter()
            .find(|m| folded.contains(&m.name().to_ascii_lowercase()))
            .or_else(|| {
                Metric::ALL
                    .into_iter()
                    .find(|m| m.short().is_some_and(|short| folded.contains(short)))
            })
    }

    /// Whether the metric is a count or sum per period (else a level: ActiveConnectionCount).
    pub fn is_sum(self) -> bool {
        self != Metric::ActiveConnectionCount
    }
}

/// One metric's points, oldest first: (Unix seconds, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub metric: Metric,
    pub points: Vec<(i64, f64)>,
}

/// A `get-metric-data` file read: the file as named, its series in [`Metric::ALL`] order, the
/// first timestamp of any of them, the period (the smallest spacing of timestamps; 60 s with one
/// point) and the results that were ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub source: String,
    pub series: Vec<Series>,
    pub start_s: i64,
    pub period_s: i64,
    pub ignored: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    metric_data_results: Vec<Result_>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Result_ {
    #[serde(default)]
    id: String,
    #[serde(default)]
    label: String,
    timestamps: Vec<String>,
    values: Vec<f64>,
    #[serde(default)]
    status_code: Option<String>,
}

/// Reads a `get-metric-data` JSON file; an error is `FILE: problem; hint`.
pub fn read(path: &Path) -> Result<Measured, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{file}: cannot read the CloudWatch file: {e}; check the path given to --cloudwatch"
        )
    })?;
    parse(&text, &file)
}

/// [`read`] on text already read; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Measured, String> {
    let parsed: File = serde_json::from_str(text).map_err(|e| {
        format!(
            "{file}: not the JSON `aws cloudwatch get-metric-data` writes: {e}; give that command's output (--output json) unchanged"
        )
    })?;
    let mut series: Vec<Series> = Vec::new();
    let mut ignored = Vec::new();
    for (index, result) in parsed.metric_data_results.into_iter().enumerate() {
        let name = if result.label.is_empty() {
            &result.id
        } else {
            &result.label
        };
        let shown = format!("MetricDataResults[{index}] ({})", echo::quoted(name));
        let Some(metric) = Metric::identify(&result.label).or_else(|| Metric::identify(&result.id))
        else {
            ignored.push(echo::quoted(name));
            continue;
        };
        if let Some(status) = &result.status_code
            && status != "Complete"
        {
            return Err(format!(
                "{file}: {shown}: StatusCode is {}, not Complete; page through with --next-token and merge the pages, or narrow the time range",
                echo::quoted(status)
            ));
        }
        if series.iter().any(|s| s.metric == metric) {
            return Err(format!(
                "{file}: {shown}: a second {} series; give each metric once (one NAT gateway per file)",
                metric.name()
            ));
        }
        if result.timestamps.len() != result.values.len() {
            return Err(format!(
                "{file}: {shown}: {} timestamps but {} values; give the command's output unchanged",
                result.timestamps.len(),
                result.values.len()
            ));
        }
        let mut points = Vec::with_capacity(result.values.len());
        for (i, (stamp, value)) in result.timestamps.iter().zip(result.values).enumerate() {
            let at = parse_rfc3339(stamp).map_err(|problem| {
                format!(
                    "{file}: {shown}: Timestamps[{i}] {}: {problem}; write times as RFC 3339, e.g. 2023-11-14T22:00:00Z",
                    echo::quoted(stamp)
                )
            })?;
            if !value.is_finite() || value < 0.0 {
                return Err(format!(
                    "{file}: {shown}: Values[{i}] is {value}; the NAT gateway metrics are counts, 0 or more"
                ));
            }
            points.push((at, value));
        }
        points.sort_by_key(|p| p.0);
        if points.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(format!(
                "{file}: {shown}: two points at one time; give one statistic per metric"
            ));
        }
        series.push(Series { metric, points });
    }
    series.sort_by_key(|s| s.metric);
    let Some(start_s) = series
        .iter()
        .filter_map(|s| s.points.first())
        .map(|p| p.0)
        .min()
    else {
        return Err(format!(
            "{file}: no NAT gateway metric with points (found {}); query BytesOutToDestination, BytesInFromDestination, ActiveConnectionCount, ConnectionAttemptCount, ErrorPortAllocation, PacketsDropCount or IdleTimeoutCount",
            if ignored.is_empty() {
                "none".to_string()
            } else {
                ignored.join(", ")
            }
        ));
    };
    let period_s = series
        .iter()
        .flat_map(|s| s.points.windows(2).map(|w| w[1].0 - w[0].0))
        .min()
        .unwrap_or(60);
    Ok(Measured {
        source: file.to_string(),
        series,
        start_s,
        period_s,
        ignored,
    })
}

/// An RFC 3339 date-time (`2023-11-14T22:00:00Z`, `...00.000Z`, `...00+01:00`; `t`, `z` and a
/// space for `T` accepted) as Unix seconds, fractions dropped.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Result<i64, String> {
        let part = b
            .get(from..from + len)
            .ok_or_else(|| "too short".to_string())?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(format!("expected {len} digits at character {}", from + 1));
        }
        Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let expect = |at: usize, allowed: &[u8]| -> Result<(), String> {
        match b.get(at) {
            Some(c) if allowed.contains(c) => Ok(()),
            _ => Err(format!(
                "expected {} at character {}",
                allowed.iter().map(|&c| c as char).collect::<String>(),
                at + 1
            )),
        }
    };
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    expect(4, b"-")?;
    expect(7, b"-")?;
    expect(10, b"Tt ")?;
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    expect(13, b":")?;
    expect(16, b":")?;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return Err(format!("month {month} is not 1 to 12")),
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return Err("a field is out of range".to_string());
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return Err(format!("expected digits after the point at character {at}"));
        }
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() => {
            expect(at + 3, b":")?;
            let (h, m) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            if h > 23 || m > 59 {
                return Err("the offset is out of range".to_string());
            }
            let seconds = h * 3600 + m * 60;
            if sign == b'+' { seconds } else { -seconds }
        }
        _ => {
            return Err(format!(
                "expected Z or an offset (+hh:mm) at character {}, and nothing after it",
                at + 1
            ));
        }
    };
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// A CloudWatch period in words: `minute`, `5 minutes`, `hour`, `90 s`.
pub(crate) fn period_text(period_s: i64) -> String {
    match period_s {
        60 => "minute".into(),
        3600 => "hour".into(),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} s"),
    }
}

/// Unix seconds as `2023-11-14 22:00 UTC` (seconds dropped), for captions.
pub(crate) fn format_utc_minute(unix_s: i64) -> String {
    let (days, of_day) = (unix_s.div_euclid(86_400), unix_s.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm,
/// the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/cloudwatch/nat-gateway.json"),
        )
        .unwrap()
    }

    #[test]
    fn rfc3339_times_parse_to_unix_seconds() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("2023-11-14T22:00:00Z", 1_699_999_200),
            ("2023-11-14T22:00:00.000Z", 1_699_999_200),
            ("2023-11-14T23:00:00+01:00", 1_699_999_200),
            ("2023-11-14 21:30:00-00:30", 1_699_999_200),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rfc3339(text), Ok(want), "{text}");
        }
        for bad in [
            "2023-11-14",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-11-14T22:00:00",
            "2023-11-14T22:00:00Zjunk",
            "2023-11-14T22:00:00.Z",
            "yesterday",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minutes_format_back_from_unix_seconds() {
        assert_eq!(format_utc_minute(1_699_999_200), "2023-11-14 22:00 UTC");
        assert_eq!(format_utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc_minute(1_709_164_859), "2024-02-29 00:00 UTC");
        for days in [-800_000, -1, 0, 59, 60, 365, 11_016, 800_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn labels_and_ids_name_the_metrics() {
        assert_eq!(
            Metric::identify("BytesOutToDestination"),
            Some(Metric::BytesOutToDestination)
        );
        assert_eq!(
            Metric::identify("nat-0abc bytes_in_from_destination"),
            Some(Metric::BytesInFromDestination)
        );
        assert_eq!(
            Metric::identify("portAllocation"),
            Some(Metric::ErrorPortAllocation)
        );
        assert_eq!(Metric::identify("m1"), None);
        // A full name wins over a short form another name contains.
        assert_eq!(
            Metric::identify("BytesOutToSource"),
            Some(Metric::BytesOutToSource)
        );
        assert_eq!(
            Metric::identify("nat-1 PacketsOutToDestination"),
            Some(Metric::PacketsOutToDestination)
        );
        assert!(!Metric::PacketsOutToDestination.simulated());
        assert!(Metric::IdleTimeoutCount.simulated());
        assert_eq!(Metric::ALL.iter().filter(|m| m.simulated()).count(), 7);
    }

    #[test]
    fn the_fixture_reads_sorted_with_its_period() {
        let m = parse(&fixture(), "nat-gateway.json").unwrap();
        assert_eq!(m.start_s, 1_699_999_200);
        assert_eq!(m.period_s, 60);
        assert_eq!(m.source, "nat-gateway.json");
        assert_eq!(m.ignored, ["\"CPUUtilization\""]);
        assert_eq!(
            m.series.last().map(|s| s.metric),
            Some(Metric::PacketsOutToDestination)
        );
        let out = &m.series[0];
        assert_eq!(out.metric, Metric::BytesOutToDestination);
        assert_eq!(
            out.points,
            [
                (1_699_999_200, 1_000_000.0),
                (1_699_999_260, 2_000_000.0),
                (1_699_999_320, 1_500_000.0)
            ]
        );
        assert_eq!(m.series[1].metric, Metric::BytesInFromDestination);
        assert_eq!(m.series[2].metric, Metric::ActiveConnectionCount);
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let cases = [
            ("{", "not the JSON"),
            (
                r#"{"MetricDataResults":[{"Id":"a","Label":"BytesOutToDestination","Timestamps":["x"],"Values":[1]}]}"#,
                "Timestamps[0] \"x\"",
            ),
            (
                r#"{"MetricDataResults":[{"Id":"a","Label":"BytesOutToDestination","Timestamps":[],"Values":[1]}]}"#,
                "0 timestamps but 1 values",
            ),
            (
                r#"{"MetricDataResults":[{"Id":"a","Label":"BytesOutToDestination","Timestamps":[],"Values":[],"StatusCode":"PartialData"}]}"#,
                "--next-token",
            ),
            (
                r#"{"MetricDataResults":[{"Id":"bytesout","Label":"","Timestamps":["2023-11-14T22:00:00Z"],"Values":[1]},{"Id":"b","Label":"BytesOutToDestination","Timestamps":[],"Values":[]}]}"#,
                "a second BytesOutToDestination",
            ),
            (r#"{"MetricDataResults":[]}"#, "no NAT gateway metric"),
        ];
        for (text, want) in cases {
            let err = parse(text, "cw.json").unwrap_err();
            assert!(err.starts_with("cw.json: ") && err.contains(want), "{err}");
        }
    }
}
