//! Regression tests for issue 9 ("no bad input accepted"): values that overflowed, AZ names that
//! split one zone in two, echoes that flooded a terminal. Each table row is an input that main
//! accepted or mishandled before the fix; `check_error` asserts the key path and message.

use super::parse_tests::{MINIMAL, check_error, minimal_with, parse};

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

/// `MINIMAL` with an `[[event]]` table holding `body`.
fn with_event(body: &str) -> String {
    format!("{MINIMAL}\n[[event]]\n{body}\n")
}

#[test]
fn issue_9_az_names_are_one_zone_per_spelling_and_outages_name_a_real_zone() {
    let cases: Vec<(String, &str, &str)> = vec![
        // Outage AZs were not checked at all: each of these validated and did nothing.
        (
            with_event("kind = \"az_outage\"\naz = \"\"\nat = \"1m\"\nfor = \"1m\""),
            "event[0].az",
            "\"\" is not an availability zone",
        ),
        (
            with_event("kind = \"az_outage\"\naz = \"us-east-1z\"\nat = \"1m\"\nfor = \"1m\""),
            "event[0].az",
            "no workload or candidate sits in AZ \"z\"",
        ),
        (
            with_event(&format!(
                "kind = \"az_outage\"\naz = \"{}\"\nat = \"1m\"\nfor = \"1m\"",
                "z".repeat(100_000)
            )),
            "event[0].az",
            "(100000 characters) is not an availability zone",
        ),
        // Was a zone of its own, two AZs for one.
        (
            workload_with("az = \"us-west-2a\""),
            "workload[0].az",
            "\"us-west-2a\" is in us-west-2, but scenario.region is us-east-1",
        ),
        (
            gateway_with("az = \"use1-az1\""),
            "candidate[0].az",
            "is an AZ ID, not a zone name",
        ),
        (
            gateway_with("az = \"A\""),
            "candidate[0].az",
            "write it as \"a\"",
        ),
    ];
    for (text, key_path, substring) in cases {
        check_error(&text, key_path, substring);
    }
}

#[test]
fn issue_9_a_full_zone_name_is_the_same_zone_as_its_letter() {
    let s = parse(&workload_with("az = \"us-east-1a\"")).unwrap();
    assert_eq!(
        (s.workloads[0].az.as_str(), s.candidates[0].az.as_str()),
        ("a", "a")
    );
    // One zone, so nothing about a default AZ to report.
    assert!(s.candidates[0].assumptions.iter().all(|a| a.key != "az"));
    let text = with_event("kind = \"az_outage\"\naz = \"us-east-1a\"\nat = \"1m\"\nfor = \"1m\"");
    assert_eq!(parse(&text).unwrap().az_outages[0].az, "a");
}

#[test]
fn issue_9_a_candidate_az_that_came_from_the_default_is_reported() {
    let s = parse(&workload_with("az = \"b\"")).unwrap();
    let note = s.candidates[0]
        .assumptions
        .iter()
        .find(|a| a.key == "az")
        .expect("the default AZ is listed among the assumptions");
    assert_eq!(note.value, "a");
    assert!(
        note.basis.contains("clients in b cross AZs"),
        "{}",
        note.basis
    );
    // Given explicitly, or one device per AZ: no note.
    for extra in ["az = \"a\"", "per_az = true"] {
        let s = parse(
            &minimal_with("ips = 1", &format!("ips = 1\n{extra}"))
                .replace("rate_per_s = 10", "rate_per_s = 10\naz = \"b\""),
        )
        .unwrap();
        assert!(
            s.candidates[0].assumptions.iter().all(|a| a.key != "az"),
            "{extra}"
        );
    }
}

#[test]
fn issue_9_echoed_values_are_cut_and_escaped() {
    let long = "x".repeat(100_000);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            minimal_with(
                "duration = \"1h\"",
                &format!("duration = \"1h\"\nregion = \"{long}\""),
            ),
            "scenario.region",
            "(100000 characters)",
        ),
        (
            minimal_with(
                "duration = \"1h\"",
                "duration = \"1h\"\nregion = \"us-east-1\\u0007\"",
            ),
            "scenario.region",
            "unknown region \"us-east-1\\u{7}\"",
        ),
        (
            minimal_with("name = \"t\"", &format!("name = \"{long}\"")),
            "scenario.name",
            "is longer than 64 characters",
        ),
        (
            minimal_with("ips = 1", "ips = 1\ninstance_type = \"\\u001b[31mred\"")
                .replace("nat_gateway", "nat_instance"),
            "candidate[0].instance_type",
            "unknown instance type \"\\u{1b}[31mred\"",
        ),
    ];
    for (text, key_path, substring) in cases {
        check_error(&text, key_path, substring);
        let message = parse(&text).unwrap_err().to_string();
        assert!(
            message.len() < 600,
            "{} characters: {message:.300}",
            message.len()
        );
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }
    // An unknown key of 100,000 characters: cut in the key path and in the problem.
    let text = workload_with(&format!("{long} = 1"));
    let err = parse(&text).unwrap_err();
    assert!(err.key_path.starts_with("workload[0].xxx") && err.key_path.ends_with('…'));
    assert!(err.to_string().len() < 600, "{err:.300}");
}

#[test]
fn issue_9_deeply_nested_keys_give_a_line_and_column() {
    let deep = vec!["a"; 200].join(".");
    let cases = [
        (
            format!("{MINIMAL}\n[slo]\n{deep} = 1\n"),
            "line 15, column 1",
        ),
        (format!("  [{deep}]\nx = 1\n{MINIMAL}"), "line 1, column 3"),
        (
            format!("{MINIMAL}\n[sweep]\n\"q.u.o.t.e.d\" = [1]\n{deep} = 1\n"),
            "line 16, column 1",
        ),
    ];
    for (text, position) in cases {
        let err = parse(&text).unwrap_err();
        assert!(err.problem.contains("nested 200 levels deep"), "{err}");
        assert!(err.problem.contains(position), "{err}");
        assert!(err.hint.contains("in quotes"), "{err}");
    }
}
