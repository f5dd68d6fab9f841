//! Plots and `report.html`: every plot file is a PNG and an SVG of the figure's size, and the
//! report is one page that names every candidate and carries its plots inline; it answers
//! first (the recommendation, then the monthly bill), captions every chart, draws the capacity
//! that binds and names its limit, and carries confidence intervals with replications.

use crate::support::{
    column_index, csv_rows, path, read, run_cli_ok, scratch, section, sweep_file, write_file,
};
use natsim::io::report::plot::{PANEL_HEIGHT, WIDTH};
use std::path::{Path, PathBuf};

/// Two candidates, one of which refuses connections (a tiny conntrack table), for ten minutes.
const RUN: &str = r#"
[scenario]
name = "plots"
duration = "10m"
warmup = "1m"

[[workload]]
rate_per_s = 50
request_bytes = "1KB"
response_bytes = "20KB"

[[candidate]]
name = "natgw" # <&> stays text in report.html
kind = "nat_gateway"

[[candidate]]
name = "tiny-instance"
kind = "nat_instance"
instance_type = "t4g.nano"
conntrack_max = 1000
"#;

/// One numeric key, three points: the sweep plots are drawn.
const SWEEP: &str = r#"
[scenario]
name = "plot-sweep"
duration = "5m"
warmup = "30s"

[slo]
max_conn_fail_rate = 0.001

[sweep]
"workload[0].rate_per_s" = { from = 1, to = 100, steps = 3, scale = "log" }

[[workload]]
rate_per_s = 10
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
conntrack_max = 500
"#;

/// Writes `text` to `dir/input.toml`, runs `natsim <command>` on it into `dir/out`.
fn natsim_on(dir: &Path, command: &str, text: &str) -> PathBuf {
    let file = write_file(dir, "input.toml", text);
    let out = dir.join("out");
    run_cli_ok(&[command, path(&file), "--out", path(&out)]);
    out
}

/// Checks `name.png` and `name.svg` in `dir` are a `panels`-panel figure.
fn check_plot(dir: &Path, name: &str, panels: u32) {
    let (width, height) = (WIDTH, PANEL_HEIGHT * panels);
    let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
    assert_eq!(png[..8], *b"\x89PNG\r\n\x1a\n", "{name}.png signature");
    assert_eq!(&png[12..16], b"IHDR", "{name}.png starts with IHDR");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (width, height), "{name}.png size");
    assert!(png.len() > 1000, "{name}.png is not empty");
    let svg = read(&dir.join(format!("{name}.svg")));
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{name}.svg"
    );
    assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg ends");
    let size = format!("width=\"{width}\" height=\"{height}\"");
    assert!(svg.contains(&size), "{name}.svg has {size}");
    assert!(
        svg.contains("<path") || svg.contains("<polyline"),
        "{name}.svg draws lines"
    );
}

#[test]
fn a_run_writes_its_plots_and_a_report_naming_every_candidate() {
    let out = natsim_on(&scratch("reports-run"), "run", RUN);
    check_plot(&out, "cost", 1);
    check_plot(&out, "throughput", 2);
    check_plot(&out, "utilization", 1);
    check_plot(&out, "refusals", 2);
    let html = read(&out.join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("# &lt;&amp;&gt; stays text"),
        "the file is escaped"
    );
    assert!(!html.contains("<&>"), "no raw markup from the file");
    assert!(html.contains("<td>natgw</td>"));
    assert!(html.contains("tiny-instance"));
    assert_eq!(html.matches("<svg").count(), 4, "the four plots, inline");
    assert!(
        html.contains("conntrack_max = 1000"),
        "the scenario file is in the page"
    );
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "nothing fetched"
    );
    assert!(!html.contains("<script"), "no scripts");
}

/// The rows of `table` that hold cells (`<td>`), not headings.
fn data_rows(table: &str) -> Vec<&str> {
    elements(table, "tr")
        .into_iter()
        .filter(|r| r.contains("<td>"))
        .collect()
}

/// The text between `<tag` and `</tag>` of every `tag` element, in order.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        // `<p` is not `<polyline`: the name ends at a space or `>`.
        if !matches!(rest[start + open.len()..].chars().next(), Some(' ' | '>')) {
            rest = &rest[start + open.len()..];
            continue;
        }
        let Some(end) = rest[start..].find(&close) else {
            break;
        };
        found.push(&rest[start..start + end]);
        rest = &rest[start + end..];
    }
    found
}

#[test]
fn a_runs_page_answers_first_then_itemises_the_bill() {
    let out = natsim_on(&scratch("reports-run-order"), "run", RUN);
    let html = read(&out.join("report.html"));
    let at = |marker: &str| {
        html.find(marker)
            .unwrap_or_else(|| panic!("no {marker} in the page"))
    };
    // The answer, then the bill, then the table, then the charts of capacity and load.
    let order = [
        at("<section id=\"recommendation\">"),
        at("<section id=\"bill\">"),
        at("<section id=\"summary\">"),
        at("<section id=\"load\">"),
        at("<h2>Assumptions</h2>"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(
        order[0] < html.find("<table").unwrap() && order[0] < html.find("<figure").unwrap(),
        "nothing comes before the recommendation"
    );
    assert!(html[order[0]..order[1]].contains("recommended: natgw"));
    // The bill's table: each candidate's lines add up to its month's total, as summary.csv has it.
    let (header, rows) = csv_rows(&read(&out.join("summary.csv")));
    let column = |name: &str| column_index(&header, name);
    let bill = &html[order[1]..order[2]];
    assert!(bill.contains("<figure id=\"cost\">"), "the bill's chart");
    for row in &rows {
        let dollars = |name: &str| format!("${:.2}", row[column(name)].parse::<f64>().unwrap());
        let name = &row[column("candidate")];
        let line = elements(bill, "tr")
            .into_iter()
            .find(|tr| tr.contains(&format!(">{name}</")))
            .unwrap_or_else(|| panic!("{name} has no row in the bill"));
        for metric in [
            "monthly_fixed_usd",
            "monthly_processing_usd",
            "monthly_transfer_usd",
            "monthly_ipv4_usd",
            "cost_monthly_usd",
        ] {
            // Thousands separators aside, the cell reads as summary.csv's figure.
            assert!(
                line.replace(',', "").contains(&dollars(metric)),
                "{name} {metric}: {line}"
            );
        }
    }
    // Every figure has a caption that says what it shows, not a bare file name.
    let figures = elements(&html, "figure");
    assert_eq!(figures.len(), 4);
    for figure in figures {
        let caption = figure
            .split("<figcaption>")
            .nth(1)
            .unwrap_or_else(|| panic!("a figure without a caption"));
        assert!(caption.len() > 120, "{caption}");
    }
    // One replication: no interval is claimed.
    assert!(!html.contains('±'));
}

#[test]
fn with_replications_the_table_and_the_page_give_confidence_intervals() {
    let dir = scratch("reports-run-replications");
    let file = write_file(&dir, "input.toml", RUN);
    let out = dir.join("out");
    let console = run_cli_ok(&[
        "run",
        path(&file),
        "--replications",
        "3",
        "--out",
        path(&out),
    ]);
    // The console: every candidate's row carries ± figures, and a line says what they are.
    for name in ["natgw", "tiny-instance"] {
        let row = console
            .lines()
            .find(|l| l.contains(name) && l.contains("nat_"))
            .unwrap_or_else(|| panic!("{name} has no row: {console}"));
        assert!(row.matches('±').count() >= 6, "{row}");
    }
    assert!(
        console.contains("± is the 95 % confidence interval of the mean over 3 replications"),
        "{console}"
    );
    // The page: the summary's rows and the bill's totals, with the note under each table.
    let html = read(&out.join("report.html"));
    let summary = section(&html, "summary");
    for row in data_rows(summary) {
        assert!(row.contains('±'), "{row}");
    }
    assert!(summary.contains("confidence interval of the mean over 3 replications"));
    assert!(section(&html, "bill").matches('±').count() >= 2);
    // The half-widths are summary.csv's.
    let (header, rows) = csv_rows(&read(&out.join("summary.csv")));
    let column = column_index(&header, "cost_monthly_usd_ci95");
    for row in rows {
        let half: f64 = row[column].parse().unwrap();
        assert!(
            html.contains(&format!("± ${half:.2}")) || html.contains(&format!("±\u{a0}${half:.2}")),
            "{half}"
        );
    }
}

/// One instance whose packets-per-second allowance, not its bandwidth, caps a UDP stream of
/// 1,000-byte datagrams: 10,000 packets per second carry 80 Mbps whatever the bandwidth. A NAT
/// gateway beside it, bound by bandwidth.
const PACKET_BOUND: &str = r#"
[scenario]
name = "packet-bound"
duration = "5m"
warmup = "1m"

[[workload]]
rate_per_s = 20
protocol = "udp"
packet_bytes = 1000
request_bytes = "1KB"
response_bytes = "500KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "slow-packets"
kind = "nat_instance"
instance_type = "c6gn.medium"
pps_limit = 10000
"#;

#[test]
fn throughput_draws_the_capacity_that_binds_and_names_its_limit() {
    let out = natsim_on(&scratch("reports-packet-bound"), "run", PACKET_BOUND);
    let (header, rows) = csv_rows(&read(&out.join("timeseries.csv")));
    let column = |name: &str| column_index(&header, name);
    let of = |candidate: &str| {
        rows.iter()
            .filter(|r| r[column("candidate")] == candidate)
            .collect::<Vec<_>>()
    };
    for row in of("slow-packets") {
        // Both directions' bandwidth is 5 Gbps or more; the packets allow 0.08 Gbps.
        assert_eq!(row[column("capacity_limit")], "packets", "{row:?}");
        let capacity: f64 = row[column("capacity_gbps")].parse().unwrap();
        assert!((capacity - 0.08).abs() < 1e-6, "{capacity}");
        let bandwidth: f64 = row[column("capacity_in_gbps")].parse().unwrap();
        assert!(bandwidth > 10.0 * capacity, "{bandwidth}");
    }
    for row in of("natgw") {
        assert_eq!(row[column("capacity_limit")], "bandwidth", "{row:?}");
    }
    let svg = read(&out.join("throughput.svg"));
    // The legend wraps at the column's width: "… set by packets per" / "second".
    assert!(svg.contains("capacity now, set by packets"));
    assert!(svg.contains("capacity now, set by bandwidth"));
}

#[test]
fn endpoint_bytes_are_named_where_delivered_sits_below_offered() {
    let with_endpoint = RUN
        .replace(
            "response_bytes = \"20KB\"",
            "response_bytes = \"20KB\"\nendpoint_share = 0.25",
        )
        .replace(
            "kind = \"nat_gateway\"",
            "kind = \"nat_gateway\"\ns3_gateway_endpoint = true",
        );
    let out = natsim_on(&scratch("reports-endpoint"), "run", &with_endpoint);
    let html = read(&out.join("report.html"));
    let note = elements(&html, "p")
        .into_iter()
        .find(|p| p.contains("id=\"endpoint-note\""))
        .expect("a note on the endpoint's bytes");
    assert!(
        note.contains("natgw ") && !note.contains("tiny-instance"),
        "{note}"
    );
    let svg = read(&out.join("throughput.svg"));
    assert!(svg.contains("via the S3/DynamoDB gateway"));
}

#[test]
fn a_sweep_of_one_numeric_key_writes_cost_and_drop_plots() {
    let out = natsim_on(&scratch("reports-sweep"), "sweep", SWEEP);
    check_plot(&out, "sweep_cost", 1);
    check_plot(&out, "sweep_drops", 2);
    let html = read(&out.join("report.html"));
    for name in ["natgw", "nano"] {
        assert!(
            html.contains(&format!("<th>{name}</th>")),
            "{name} has a column"
        );
    }
    assert_eq!(html.matches("<svg").count(), 2);
    // The nano's 500-entry table fills from 10 connections/s: the crossover says why it lost.
    assert!(
        html.contains("<b>natgw</b> replaces nano: refused connections"),
        "{html}"
    );
}

#[test]
fn a_traffic_sweep_is_drawn_against_monthly_traffic() {
    let out = natsim_on(&scratch("reports-sweep-traffic"), "sweep", SWEEP);
    let svg = read(&out.join("sweep_cost.svg"));
    assert!(
        svg.contains("traffic per month (swept: workload[0].rate_per_s)"),
        "x is the monthly traffic, naming the swept key"
    );
}

#[test]
fn a_sweep_of_two_keys_gets_a_panel_per_value_of_the_first() {
    let two_keys = SWEEP.replace(
        "[sweep]\n",
        "[sweep]\n\"candidate[1].conntrack_max\" = [500, 100000]\n",
    );
    let out = natsim_on(&scratch("reports-sweep-two-keys"), "sweep", &two_keys);
    check_plot(&out, "sweep_cost", 2);
    check_plot(&out, "sweep_drops", 4);
    let svg = read(&out.join("sweep_cost.svg"));
    for fixed in [
        "candidate[1].conntrack_max = 500",
        "candidate[1].conntrack_max = 100000",
    ] {
        assert!(svg.contains(fixed), "a panel titled with {fixed}");
    }
}

#[test]
fn sweep_drops_has_a_panel_for_each_objective_that_decides_a_failure() {
    // A nano with room for every connection, whose credits and headroom give out as traffic
    // grows.
    let sweep = SWEEP
        .replace(
            "conntrack_max = 500",
            "conntrack_max = 100000\nburst_minutes = 1",
        )
        .replace("response_bytes = \"10KB\"", "response_bytes = \"50KB\"");
    let out = natsim_on(&scratch("reports-sweep-objectives"), "sweep", &sweep);
    let (header, rows) = csv_rows(&read(&out.join("sweep.csv")));
    let failures = column_index(&header, "slo_failures");
    // How each objective's miss begins in slo_failures, and its panel's title.
    let objectives = [
        ("drop rate", "drop rate (objective"),
        ("refused connections", "refused connections (objective"),
        ("p99 slowdown", "p99 slowdown (objective"),
        ("availability", "availability (objective"),
        ("falls behind", "offered bytes carried (objective"),
        ("no headroom", "utilisation (objective"),
        ("not sustainable", "network credits last (objective"),
    ];
    let svg = read(&out.join("sweep_drops.svg"));
    let mut panels = 0;
    for (miss, title) in objectives {
        let missed = rows.iter().any(|r| r[failures].contains(miss));
        // Drop rate and refusals always have a panel; the others where a candidate misses them.
        let drawn = missed || ["drop rate", "refused connections"].contains(&miss);
        assert_eq!(
            svg.contains(title),
            drawn,
            "{title}: missed somewhere = {missed}"
        );
        panels += usize::from(drawn);
    }
    assert!(
        panels > 2,
        "the nano misses more than refusals: {panels} panels"
    );
    check_plot(&out, "sweep_drops", panels as u32);
}

#[test]
fn a_sweep_with_replications_gives_each_points_cost_its_interval() {
    let dir = scratch("reports-sweep-replications");
    let replicated = SWEEP.replace("warmup = \"30s\"", "warmup = \"30s\"\nreplications = 2");
    let file = write_file(&dir, "input.toml", &replicated);
    let out = dir.join("out");
    let console = sweep_file(&file, &out);
    assert!(
        console.contains("± is the 95 % confidence interval of the mean over 2 replications"),
        "{console}"
    );
    let html = read(&out.join("report.html"));
    let rows = data_rows(section(&html, "points"));
    assert_eq!(rows.len(), 3, "a row per point");
    for row in rows {
        // Each candidate's monthly cost, ± its half-width.
        assert_eq!(row.matches('±').count(), 2, "{row}");
    }
    let svg = read(&out.join("sweep_cost.svg"));
    assert!(svg.contains("Whiskers") || html.contains("Whiskers give each point"));
}

/// Issue 14's lines on the page: a NAT instance's EBS volume and a NAT gateway's interface
/// endpoints are lines of the bill (so each row's lines add up to its total), and the bytes the
/// endpoints and the egress-only internet gateway carry are drawn and named past the device.
#[test]
fn issue_14_the_bill_itemises_volumes_and_endpoints_and_the_chart_draws_bypassed_bytes() {
    let text = RUN
        .replace(
            "response_bytes = \"20KB\"",
            "response_bytes = \"20KB\"\naws_services = { sts = 0.2 }\nipv6_share = 0.3",
        )
        .replace(
            "kind = \"nat_gateway\"",
            "kind = \"nat_gateway\"\ninterface_endpoints = [\"sts\"]\negress_only_igw = true",
        );
    let out = natsim_on(&scratch("reports-options"), "run", &text);
    let html = read(&out.join("report.html"));
    let bill = section(&html, "bill");
    for line in [
        "instances&#39; EBS volumes",
        "interface endpoint hours",
        "interface endpoint processing",
    ] {
        assert!(
            bill.contains(line) || bill.contains(&line.replace("&#39;", "'")),
            "{line}"
        );
    }
    let cells = |tr: &str| -> Vec<f64> {
        elements(tr, "td")
            .iter()
            .filter_map(|td| {
                let text = td.split('>').nth(1)?.split('<').next()?;
                text.strip_prefix('$')?.replace(',', "").parse().ok()
            })
            .collect()
    };
    let rows: Vec<Vec<f64>> = elements(bill, "tr")
        .into_iter()
        .map(cells)
        .filter(|c| c.len() == 9)
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "two candidates, eight lines and a total each"
    );
    for row in &rows {
        let sum: f64 = row[..8].iter().sum();
        assert!((sum - row[8]).abs() <= 0.05, "{row:?}");
    }
    let note = elements(&html, "p")
        .into_iter()
        .find(|p| p.contains("id=\"endpoint-note\""))
        .expect("a note on the bytes past the device");
    assert!(
        note.contains("interface endpoints") && note.contains("egress-only"),
        "{note}"
    );
    let svg = read(&out.join("throughput.svg"));
    // The legend wraps the label.
    assert!(
        svg.contains("past the device (endpoints,")
            && svg.contains("egress-only internet gateway)")
    );
    let (header, rows) = csv_rows(&read(&out.join("timeseries.csv")));
    let bypassed = column_index(&header, "bypassed_gbps");
    let endpoint = column_index(&header, "endpoint_gbps");
    assert!(
        rows.iter()
            .any(|r| r[bypassed].parse::<f64>().unwrap() > 0.0)
    );
    assert!(
        rows.iter()
            .all(|r| r[endpoint].parse::<f64>().unwrap() == 0.0)
    );
}
