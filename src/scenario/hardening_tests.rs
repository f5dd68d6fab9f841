//! Regression tests for issue 9 ("no bad input accepted"): values that overflowed, AZ names that
//! split one zone in two, echoes that flooded a terminal. Each table row is an input that main
//! accepted or mishandled before the fix; `check_error` asserts the key path and message.

use super::tests::{MINIMAL, check_error, minimal_with, parse};

/// `MINIMAL` with `extra` added to its workload.
fn workload_with(extra: &str) -> String {
    minimal_with("rate_per_s = 10", &format!("rate_per_s = 10\n{extra}"))
}

/// `MINIMAL` with `extra` added to its candidate (a NAT gateway).
fn gateway_with(extra: &str) -> String {
    minimal_with("ips = 1", &format!("ips = 1\n{extra}"))
}

/// `MINIMAL` with its candidate replaced by a t4g.nano NAT instance plus `extra`.
fn instance_with(extra: &str) -> String {
    minimal_with(
        "kind = \"nat_gateway\"\nips = 1",
        &format!("kind = \"nat_instance\"\ninstance_type = \"t4g.nano\"\n{extra}"),
    )
}

#[test]
fn issue_9_values_that_overflow_after_their_unit_are_refused() {
    let cases: Vec<(String, &str, &str)> = vec![
        // Was accepted as hold = 0: 1e308 days is infinite seconds.
        (
            workload_with("hold = \"1e308d\""),
            "workload[0].hold",
            "\"1e308d\" is more than 100 years",
        ),
        // Was refused as "shorter than 1 ns".
        (
            workload_with("hold = { dist = \"exponential\", mean = \"1e308d\" }"),
            "workload[0].hold.mean",
            "is more than 100 years",
        ),
        // Was run with a blank offered_gb.
        (
            workload_with("response_bytes = \"1e308KB\""),
            "workload[0].response_bytes",
            "\"1e308KB\" is more than 1 PB (10^15 bytes)",
        ),
        (
            workload_with("response_bytes = 1e308"),
            "workload[0].response_bytes",
            "more than 1 PB",
        ),
        (
            workload_with("request_bytes = { dist = \"lognormal\", mean = \"2e15\", cv = 1 }"),
            "workload[0].request_bytes.mean",
            "more than 1 PB",
        ),
        (
            workload_with("rate_cap = \"1e308Gbps\""),
            "workload[0].rate_cap",
            "is more than 100 Tbps",
        ),
        (
            workload_with("rate_cap = \"101Tbps\""),
            "workload[0].rate_cap",
            "check the number and the unit",
        ),
        (
            gateway_with("idle_timeout = \"1e300h\""),
            "candidate[0].idle_timeout",
            "more than 100 years",
        ),
        (
            gateway_with("max_gbps = 1e308"),
            "candidate[0].max_gbps",
            "is more than 100000",
        ),
        (
            instance_with("baseline_gbps = 1e300"),
            "candidate[0].baseline_gbps",
            "is more than 100000",
        ),
        (
            instance_with("burst_minutes = 1e308"),
            "candidate[0].burst_minutes",
            "not between 0 and 525960",
        ),
        (
            instance_with("hourly_usd = 1e308"),
            "candidate[0].hourly_usd",
            "not between 0 and 1000000",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 1e300"),
            "workload[0].rate_per_s",
            "use a value above 0 and at most 1000000000",
        ),
        (
            workload_with("profile = [1, 1e308]"),
            "workload[0].profile[1]",
            "not between 0 and 1000",
        ),
        (
            workload_with("response_bytes = { dist = \"lognormal\", mean = 5, cv = 1e308 }"),
            "workload[0].response_bytes.cv",
            "more than 100",
        ),
        (
            format!("{MINIMAL}\n[prices]\nnat_gateway_usd_per_gb = 1e308\n"),
            "prices.nat_gateway_usd_per_gb",
            "not between 0 and 1000000",
        ),
    ];
    for (text, key_path, substring) in cases {
        check_error(&text, key_path, substring);
    }
}

#[test]
fn issue_9_values_at_their_ceiling_still_parse() {
    for text in [
        workload_with("hold = \"36525d\""),
        workload_with("response_bytes = \"1000TB\""),
        workload_with("rate_cap = \"100Tbps\""),
        minimal_with("rate_per_s = 10", "rate_per_s = 1e9"),
    ] {
        parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    }
}
