//! Plots and `report.html`: every plot file is a PNG and an SVG of the figure's size, and the
//! report is one page that names every candidate and carries its plots inline.

use crate::support::{read, run_cli, scratch};
use natsim::io::report::plot::{PANEL_HEIGHT, WIDTH};
use std::path::Path;

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

/// Writes `text` to `dir/scenario.toml`, runs `natsim <command>` on it into `dir/out`.
fn natsim_on(dir: &Path, command: &str, text: &str) -> std::path::PathBuf {
    let file = dir.join("input.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let output = run_cli(&[
        command,
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
fn a_run_writes_three_plots_and_a_report_naming_every_candidate() {
    let out = natsim_on(&scratch("reports-run"), "run", RUN);
    check_plot(&out, "throughput", 2);
    check_plot(&out, "refusals", 2);
    check_plot(&out, "cost", 1);
    let html = read(&out.join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("# &lt;&amp;&gt; stays text"),
        "the file is escaped"
    );
    assert!(!html.contains("<&>"), "no raw markup from the file");
    assert!(html.contains("<td>natgw</td>"));
    assert!(html.contains("tiny-instance"));
    assert_eq!(html.matches("<svg").count(), 3, "the three plots, inline");
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
        svg.contains("traffic, GB per month (swept: workload[0].rate_per_s)"),
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
