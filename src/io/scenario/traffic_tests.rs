//! Tests of traffic in the user's terms (issue 14): a workload's `monthly_gb` in place of
//! `rate_per_s`, and `[scenario] traffic_scale` over every workload.

use super::parse_tests::{check_error, minimal_with, parse};

/// A gibibyte a connection, so that a month of 730 h at one connection a second is exactly
/// 2,628,000 GB (GB = 2^30 bytes, as billed).
const GIB_PER_CONNECTION: &str = "request_bytes = 0\nresponse_bytes = \"1GiB\"";
const ONE_PER_SECOND_GB: f64 = 730.0 * 3600.0;

fn rate_of(workload: &str) -> f64 {
    let scenario = parse(&minimal_with("rate_per_s = 10", workload)).unwrap();
    scenario.workloads[0].rate_per_s
}

#[test]
fn monthly_gb_becomes_the_rate_that_moves_it() {
    let flat = format!("monthly_gb = {ONE_PER_SECOND_GB}\n{GIB_PER_CONNECTION}");
    assert_eq!(rate_of(&flat), 1.0);
    // A profile that averages 2 over the month doubles each hour's arrivals, so the base rate
    // halves; request and response bytes both count.
    assert_eq!(rate_of(&format!("{flat}\nprofile = [1, 3]")), 0.5);
    let split = format!(
        "monthly_gb = {ONE_PER_SECOND_GB}\nrequest_bytes = \"512MiB\"\nresponse_bytes = \"512MiB\""
    );
    assert_eq!(rate_of(&split), 1.0);
    // 730 h is 30 days and 10 hours: a 24-hour profile is weighted by the hours the month
    // holds of each (hours 0-9 once more).
    let profile: Vec<String> = (0..24)
        .map(|h| if h < 10 { "2" } else { "0" }.into())
        .collect();
    let daily = format!("{flat}\nprofile = [{}]", profile.join(", "));
    let mean = (31.0 * 10.0 * 2.0) / 730.0;
    assert!((rate_of(&daily) - 1.0 / mean).abs() < 1e-12);
}

#[test]
fn traffic_scale_multiplies_every_drawn_workload() {
    let text = minimal_with("duration = \"1h\"", "duration = \"1h\"\ntraffic_scale = 2.5")
        .replace(
            "[[candidate]]",
            &format!(
                "[[workload]]\nname = \"b\"\nmonthly_gb = {ONE_PER_SECOND_GB}\n{GIB_PER_CONNECTION}\n\n[[candidate]]"
            ),
        );
    let scenario = parse(&text).unwrap();
    assert_eq!(scenario.traffic_scale, 2.5);
    assert_eq!(scenario.workloads[0].rate_per_s, 25.0);
    assert_eq!(scenario.workloads[1].rate_per_s, 2.5);
    assert_eq!(
        parse(&minimal_with("rate_per_s = 10", "rate_per_s = 10"))
            .unwrap()
            .traffic_scale,
        1.0
    );
}

#[test]
fn traffic_mistakes_name_the_key_and_the_fix() {
    let header =
        |extra: &str| minimal_with("duration = \"1h\"", &format!("duration = \"1h\"\n{extra}"));
    let cases: Vec<(String, &str, &str)> = vec![
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 10\nmonthly_gb = 5"),
            "workload[0].monthly_gb",
            "both rate_per_s and monthly_gb are set",
        ),
        (
            minimal_with("rate_per_s = 10", "clients = 2"),
            "workload[0].rate_per_s",
            "or monthly_gb",
        ),
        (
            minimal_with("rate_per_s = 10", "monthly_gb = -5"),
            "workload[0].monthly_gb",
            "GB (2^30 bytes) a month",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "monthly_gb = 5\nrequest_bytes = 0\nresponse_bytes = 0",
            ),
            "workload[0].monthly_gb",
            "both have a mean of 0",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "monthly_gb = 5e8\nrequest_bytes = 1\nresponse_bytes = 0",
            ),
            "workload[0].monthly_gb",
            "larger request_bytes or response_bytes",
        ),
        (
            minimal_with("rate_per_s = 10", "monthly_gb = 5\nprofile = [0, 1]\n").replace(
                "profile = [0, 1]",
                &format!("profile = [{}1]", "0, ".repeat(800)),
            ),
            "workload[0].profile",
            "0 for the whole first month",
        ),
        (
            header("traffic_scale = 0"),
            "scenario.traffic_scale",
            "multiplies every workload",
        ),
        (
            header("traffic_scale = 1e5"),
            "scenario.traffic_scale",
            "at most 10000",
        ),
        (
            header("traffic_scale = 1000").replace("rate_per_s = 10", "rate_per_s = 2e6"),
            "workload[0].rate_per_s",
            "scenario.traffic_scale = 1000 makes this workload's rate",
        ),
        (
            format!(
                "traffic_scale = 2\n{}",
                minimal_with("rate_per_s = 10", "rate_per_s = 10")
            ),
            "traffic_scale",
            "belongs in [scenario]",
        ),
    ];
    for (text, key_path, substring) in &cases {
        check_error(text, key_path, substring);
    }
}
