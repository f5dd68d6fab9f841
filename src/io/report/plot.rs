//! Plots, PNG and SVG, drawn with plotters: for a run, throughput and capacity, refusals and
//! drops, and cumulative cost over time (replication 0's per-minute series); for a sweep over one
//! numeric key, monthly cost and drop rates against the swept value.
//!
//! Owns the figure model ([`Figure`], [`Panel`], [`Series`]) and its rendering. It reads results
//! already in memory and never changes them. Text is laid out with DejaVu Sans embedded in the
//! binary (ab_glyph), so plotting needs no fontconfig or freetype on the machine. Log axes are
//! drawn as linear axes over log10 of the values, with ticks labelled in the values themselves;
//! points ≤ 0 cannot sit on a log axis and are left out.
//!
//! Invariant: plotters stays inside this module; the rest of natsim sees strings and files.

use super::files::write_output;
use crate::io::cloudwatch::Metric as CloudWatchMetric;
use crate::io::cloudwatch::calibrate::Calibration;
use crate::io::cloudwatch::{format_utc_minute, period_text};
use crate::io::scenario::Scenario;
use crate::io::sweep::aggregate::{PointResult, Winner};
use crate::io::sweep::plan::Plan;
use crate::results::batch::ScenarioResult;
use crate::results::summary::Metric;
use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;
use std::sync::Once;

/// Width of every figure, pixels.
pub const WIDTH: u32 = 1000;
/// Height of one panel, pixels; a figure stacks its panels.
pub const PANEL_HEIGHT: u32 = 300;
/// Width of the legend column right of each chart, pixels: the legend sits beside the data,
/// never over it.
const LEGEND_WIDTH: u32 = 230;

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
/// The measured series' colour in the calibration figure: black, after the candidates' eight.
const MEASURED_COLOR: usize = 8;
const PALETTE: [RGBColor; 9] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(0, 0, 0),
];

/// One figure: panels stacked top to bottom, written as `<name>.png` and `<name>.svg`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: &'static str,
    pub(crate) panels: Vec<Panel>,
}

/// One chart: its axes and lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Panel {
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) x_log: bool,
    pub(crate) y_log: bool,
    pub(crate) series: Vec<Series>,
    /// Vertical dashed lines with a label, e.g. crossovers: (x, label).
    pub(crate) markers: Vec<(f64, String)>,
}

/// One line. With `filled`, every point also gets a circle: solid when true, hollow when false.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub(crate) label: String,
    pub(crate) color: usize,
    pub(crate) dashed: bool,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) filled: Option<Vec<bool>>,
}

impl Series {
    /// Candidate `index`'s solid line, in its palette colour, without point markers.
    fn candidate(index: usize, name: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: name.to_string(),
            color: index % MEASURED_COLOR,
            dashed: false,
            points,
            filled: None,
        }
    }
}

impl Figure {
    /// Pixel size (width, height).
    pub(crate) fn size(&self) -> (u32, u32) {
        (WIDTH, PANEL_HEIGHT * self.panels.len().max(1) as u32)
    }

    /// The figure as an SVG document.
    pub(crate) fn svg(&self) -> Result<String, String> {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            draw(self, &root)?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(text)
    }

    /// The figure as a PNG file's bytes. Drawn and encoded in memory, so that writing it is an
    /// ordinary file write whose failure names its cause (plotters' own file output wraps it).
    pub(crate) fn png(&self) -> Result<Vec<u8>, String> {
        let (width, height) = self.size();
        let mut pixels = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
            draw(self, &root)?;
            root.present().map_err(|e| e.to_string())?;
        }
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(&pixels, width, height, ColorType::Rgb8)
            .map_err(|e| e.to_string())?;
        Ok(png)
    }
}

/// Writes every figure as `<name>.png` and `<name>.svg` into `dir` (atomically) and returns
/// each figure's name and SVG text, for `report.html`. An error names the file, the step that
/// failed and what to do.
pub(crate) fn write_figures(
    dir: &Path,
    figures: &[Figure],
) -> Result<Vec<(&'static str, String)>, String> {
    figures
        .iter()
        .map(|figure| {
            let svg_path = dir.join(format!("{}.svg", figure.name));
            let png_path = dir.join(format!("{}.png", figure.name));
            let svg = figure.svg().map_err(|e| drawing_failed(&svg_path, &e))?;
            write_output(&svg_path, &svg).map_err(|e| e.to_string())?;
            let png = figure.png().map_err(|e| drawing_failed(&png_path, &e))?;
            write_output(&png_path, png).map_err(|e| e.to_string())?;
            Ok((figure.name, svg))
        })
        .collect()
}

/// Drawing happens in memory, so its failure is natsim's, not the disk's.
fn drawing_failed(path: &Path, cause: &str) -> String {
    format!(
        "cannot write {}: drawing the plot failed: {cause}; this is a natsim bug: please report it with the scenario file",
        path.display()
    )
}

/// The three figures of a run: `throughput`, `refusals`, `cost`.
pub(crate) fn run_figures(scenario: &Scenario, result: &ScenarioResult) -> Vec<Figure> {
    let (scale_s, unit) = time_unit(scenario.duration_ns as f64 / 1e9);
    let x_label = format!("time, {unit}");
    let series_of = |candidate: usize| {
        result
            .runs
            .iter()
            .find(|r| r.candidate == candidate && r.replication == 0)
            .map(|r| r.timeseries.as_slice())
            .unwrap_or(&[])
    };
    let throughput = scenario
        .candidates
        .iter()
        .enumerate()
        .map(|(c, candidate)| {
            let rows = series_of(c);
            let line = |label: &str, color: usize, dashed: bool, f: &dyn Fn(usize) -> f64| Series {
                label: label.to_string(),
                color,
                dashed,
                points: (0..rows.len())
                    .map(|i| (rows[i].start_s / scale_s, f(i)))
                    .collect(),
                filled: None,
            };
            Panel {
                title: format!("{}: throughput and capacity (log scale)", candidate.name),
                x_label: x_label.clone(),
                y_label: "Gbps".into(),
                x_log: false,
                y_log: true,
                series: vec![
                    line("offered", 7, false, &|i| rows[i].offered_bps / 1e9),
                    line("delivered", 0, false, &|i| rows[i].delivered_bps / 1e9),
                    line("capacity out", 1, true, &|i| rows[i].capacity_out_bps / 1e9),
                ],
                markers: Vec::new(),
            }
        })
        .collect();
    let per_candidate = |f: &dyn Fn(&crate::model::sim::Interval) -> f64| -> Vec<Series> {
        scenario
            .candidates
            .iter()
            .enumerate()
            .map(|(c, candidate)| {
                let points = series_of(c)
                    .iter()
                    .map(|row| (row.start_s / scale_s, f(row)))
                    .collect();
                Series::candidate(c, &candidate.name, points)
            })
            .collect()
    };
    let panel = |title: &str, y_label: &str, series: Vec<Series>| Panel {
        title: title.to_string(),
        x_label: x_label.clone(),
        y_label: y_label.to_string(),
        x_log: false,
        y_log: false,
        series,
        markers: Vec::new(),
    };
    vec![
        Figure {
            name: "throughput",
            panels: throughput,
        },
        Figure {
            name: "refusals",
            panels: vec![
                panel(
                    "refused connections per interval",
                    "connections",
                    per_candidate(&|row| row.conn_refused as f64),
                ),
                panel(
                    "dropped packets per interval",
                    "packets",
                    per_candidate(&|row| row.packets_dropped),
                ),
            ],
        },
        Figure {
            name: "cost",
            panels: vec![panel(
                "cumulative cost",
                "USD",
                per_candidate(&|row| row.cost_cumulative_usd),
            )],
        },
    ]
}

/// The `calibration` figure of a run with `--cloudwatch`: one panel per simulated metric that
/// is not zero throughout ([`Calibration::charted`]), the measured points in black with a dot
/// each and every NAT gateway candidate's figure for the same periods in its own colour (the
/// mean over the replications), against the time from the first measured point. `None` when
/// no metric is worth a panel.
pub(crate) fn calibration_figure(scenario: &Scenario, calibration: &Calibration) -> Option<Figure> {
    let (charted, _) = calibration.charted();
    let last_s = calibration.rows.iter().map(|r| r.offset_s).max()?;
    let (scale_s, unit) = time_unit((last_s + calibration.period_s) as f64);
    let x_label = format!(
        "{unit} from {} (the first measured point)",
        format_utc_minute(calibration.start_s)
    );
    let period = period_text(calibration.period_s);
    let runs = match calibration.replications {
        1 => "1 run".to_string(),
        n => format!("mean of {n} runs"),
    };
    let panels: Vec<Panel> = charted
        .into_iter()
        .map(|metric| {
            let points = |candidate: &str, natsim: bool| -> Vec<(f64, f64)> {
                calibration
                    .rows
                    .iter()
                    .filter(|r| r.metric == metric && r.candidate == candidate)
                    .filter_map(|r| {
                        let y = if natsim { r.natsim? } else { r.measured };
                        Some((r.offset_s as f64 / scale_s, y))
                    })
                    .collect()
            };
            let first = calibration.candidates.first().map_or("", String::as_str);
            let measured = points(first, false);
            let mut series = vec![Series {
                label: "measured (CloudWatch)".into(),
                color: MEASURED_COLOR,
                dashed: false,
                filled: Some(vec![true; measured.len()]),
                points: measured,
            }];
            for name in &calibration.candidates {
                let index = scenario
                    .candidates
                    .iter()
                    .position(|c| &c.name == name)
                    .unwrap_or(0);
                series.push(Series::candidate(
                    index,
                    &format!("natsim {name} ({runs})"),
                    points(name, true),
                ));
            }
            Panel {
                title: format!("{} per {period}", metric.name()),
                x_label: x_label.clone(),
                y_label: calibration_unit(metric, &period),
                x_log: false,
                y_log: false,
                series,
                markers: Vec::new(),
            }
        })
        .collect();
    (!panels.is_empty()).then_some(Figure {
        name: "calibration",
        panels,
    })
}

/// The y axis of a calibration panel: what is counted, per period.
fn calibration_unit(metric: CloudWatchMetric, period: &str) -> String {
    match metric {
        CloudWatchMetric::BytesOutToDestination | CloudWatchMetric::BytesInFromDestination => {
            format!("bytes per {period}")
        }
        CloudWatchMetric::ActiveConnectionCount => format!("open connections (max per {period})"),
        CloudWatchMetric::ConnectionAttemptCount => format!("connections per {period}"),
        CloudWatchMetric::ErrorPortAllocation => format!("refusals per {period}"),
        CloudWatchMetric::PacketsDropCount => format!("packets per {period}"),
        CloudWatchMetric::IdleTimeoutCount => format!("connections cut per {period}"),
        _ => format!("per {period}"),
    }
}

/// Most panels a sweep figure stacks: one per combination of the keys before the last.
const MAX_SWEEP_PANELS: usize = 8;

/// The two figures of a sweep, `sweep_cost` and `sweep_drops`, drawn against the last swept key
/// when every value of it is a number. A sweep of several keys gets one panel per combination
/// of the others (at most [`MAX_SWEEP_PANELS`]); `None` when there is no numeric axis.
///
/// When the last key changes the traffic (a `workload` key, or `scenario.traffic_scale`) and
/// the monthly traffic rises with it, x is that traffic as GB per month, the unit users compare
/// NAT options in (alterNAT's "~10 TB/month"); the swept key is named in the axis label.
/// Points that miss the objectives are drawn hollow; crossovers are dashed vertical lines.
pub(crate) fn sweep_figures(
    plan: &Plan,
    results: &[PointResult],
    winners: &[Winner],
) -> Option<Vec<Figure>> {
    let param = plan.spec.params.last()?;
    let swept: Vec<f64> = param
        .values
        .iter()
        .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .collect::<Option<_>>()?;
    let per_group = swept.len();
    let groups = results.len() / per_group.max(1);
    if groups == 0 || groups > MAX_SWEEP_PANELS {
        return None;
    }
    let traffic = |point: usize| mean_over_candidates(&results[point], Metric::MonthlyTrafficGb);
    let by_traffic = (param.key.starts_with("workload") || param.key == "scenario.traffic_scale")
        && (0..groups).all(|g| {
            let base = g * per_group;
            (1..per_group).all(|i| traffic(base + i) > traffic(base + i - 1)) && traffic(base) > 0.0
        });
    let x_of = |point: usize| {
        if by_traffic {
            traffic(point)
        } else {
            swept[point % per_group]
        }
    };
    let x_label = if by_traffic {
        format!("traffic, GB per month (swept: {})", param.key)
    } else {
        param.key.clone()
    };
    let xs: Vec<f64> = (0..results.len()).map(x_of).collect();
    let x_log = xs.iter().all(|&x| x > 0.0)
        && xs.iter().copied().fold(0.0, f64::max)
            >= 10.0 * xs.iter().copied().fold(f64::INFINITY, f64::min);
    let candidates = &plan.points.first()?.scenario.candidates;
    let others = &plan.spec.params[..plan.spec.params.len() - 1];
    let group_title = |group: usize, what: &str| {
        let point = group * per_group;
        let fixed: Vec<String> = others
            .iter()
            .zip(plan.param_texts(point))
            .map(|(p, text)| format!("{} = {text}", p.key))
            .collect();
        if fixed.is_empty() {
            what.to_string()
        } else {
            format!("{what} · {}", fixed.join(", "))
        }
    };
    let panel = |group: usize, title: &str, y_label: &str, metric: Metric, y_log: bool| {
        let points = group * per_group..(group + 1) * per_group;
        Panel {
            title: group_title(group, title),
            x_label: x_label.clone(),
            y_label: y_label.to_string(),
            x_log,
            y_log,
            series: candidates
                .iter()
                .enumerate()
                .map(|(c, candidate)| {
                    let values = points
                        .clone()
                        .map(|p| (xs[p], results[p].summaries[c].get(metric)));
                    let meets = points.clone().map(|p| results[p].summaries[c].meets_slo);
                    Series {
                        filled: Some(meets.collect()),
                        ..Series::candidate(c, &candidate.name, values.collect())
                    }
                })
                .collect(),
            markers: winners[points]
                .iter()
                .filter(|w| w.crossover)
                .map(|w| {
                    let name = w
                        .recommended
                        .map_or("none", |c| candidates[c].name.as_str());
                    (xs[w.point], format!("→ {name}"))
                })
                .collect(),
        }
    };
    let cost_title =
        "monthly cost (hollow and shaded: misses the objectives; dashed: the winner changes)";
    Some(vec![
        Figure {
            name: "sweep_cost",
            panels: (0..groups)
                .map(|g| panel(g, cost_title, "USD per month", Metric::CostMonthlyUsd, true))
                .collect(),
        },
        Figure {
            name: "sweep_drops",
            panels: (0..groups)
                .flat_map(|g| {
                    [
                        panel(
                            g,
                            "drop rate (bytes lost)",
                            "drop rate",
                            Metric::DropRate,
                            false,
                        ),
                        panel(
                            g,
                            "connection fail rate",
                            "fail rate",
                            Metric::ConnFailRate,
                            false,
                        ),
                    ]
                })
                .collect(),
        },
    ])
}

/// A figure's mean over a point's candidates (the workload's traffic is the same for each; the
/// mean only guards against a candidate that differs).
fn mean_over_candidates(result: &PointResult, metric: Metric) -> f64 {
    let values: Vec<f64> = result.summaries.iter().map(|s| s.get(metric)).collect();
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Seconds per x unit and the unit's name, for a run of `duration_s`.
fn time_unit(duration_s: f64) -> (f64, &'static str) {
    if duration_s > 6.0 * 3600.0 {
        (3600.0, "hours")
    } else {
        (60.0, "minutes")
    }
}

fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is compiled in and known to parse; a failure would show as missing labels.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

fn draw<DB: DrawingBackend>(figure: &Figure, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    ensure_font();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = root.split_evenly((figure.panels.len().max(1), 1));
    for (panel, area) in figure.panels.iter().zip(&areas) {
        draw_panel(panel, area).map_err(|e| format!("{}: {e}", figure.name))?;
    }
    Ok(())
}

/// Where a value sits on an axis: itself, or its log10 (None when it cannot be drawn there).
fn place(value: f64, log: bool) -> Option<f64> {
    match (log, value.is_finite()) {
        (_, false) => None,
        (true, _) if value <= 0.0 => None,
        (true, _) => Some(value.log10()),
        (false, _) => Some(value),
    }
}

fn placed(panel: &Panel, points: &[(f64, f64)]) -> Vec<Option<(f64, f64)>> {
    points
        .iter()
        .map(|&(x, y)| Some((place(x, panel.x_log)?, place(y, panel.y_log)?)))
        .collect()
}

/// The drawn range of `values`, padded; a linear axis of non-negative values starts at 0.
fn range(values: impl Iterator<Item = f64>, log: bool) -> std::ops::Range<f64> {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if !low.is_finite() {
        return 0.0..1.0;
    }
    let low = if !log && low >= 0.0 { 0.0 } else { low };
    let span = if high > low { high - low } else { 1.0 };
    let pad = if log { 0.05 * span } else { 0.0 };
    (low - pad)..(high + 0.05 * span)
}

/// A tick label: the value itself (undoing log10 on a log axis), with three significant digits;
/// thousands and up with a k, M or G suffix, so one axis never mixes 31623 with 1.0e5.
fn tick(value: f64, log: bool) -> String {
    let v = if log { 10f64.powf(value) } else { value };
    if v == 0.0 {
        return "0".into();
    }
    for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if v.abs() >= scale && v.abs() < 1e3 * scale {
            return format!("{}{suffix}", tick(v / scale, false));
        }
    }
    if v.abs() >= 1e12 || v.abs() < 1e-3 {
        return format!("{v:.1e}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_panel<DB: DrawingBackend>(panel: &Panel, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (chart_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
    draw_legend(panel, &legend_area)?;
    let area = &chart_area;
    let drawn: Vec<Vec<Option<(f64, f64)>>> = panel
        .series
        .iter()
        .map(|s| placed(panel, &s.points))
        .collect();
    let all = || drawn.iter().flatten().flatten();
    let x_range = range(all().map(|p| p.0), panel.x_log);
    let y_range = range(all().map(|p| p.1), panel.y_log);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 16))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range, y_range.clone())?;
    let (x_log, y_log) = (panel.x_log, panel.y_log);
    let x_ticks = move |v: &f64| tick(*v, x_log);
    let y_ticks = move |v: &f64| tick(*v, y_log);
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .label_style((FAMILY, 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Shaded first, so every line and point is drawn over the shading.
    let y_pad = 0.04 * (y_range.end - y_range.start);
    for (series, points) in panel.series.iter().zip(&drawn) {
        let color = PALETTE[series.color % PALETTE.len()];
        let Some(filled) = &series.filled else {
            continue;
        };
        let boxes = failing_ranges(points, filled, y_pad)
            .into_iter()
            .map(|(a, b)| Rectangle::new([a, b], color.mix(0.18).filled()));
        chart.draw_series(boxes)?;
    }
    for (series, points) in panel.series.iter().zip(&drawn) {
        let color = PALETTE[series.color % PALETTE.len()];
        let style = color.stroke_width(2);
        // A gap (a point that cannot be drawn) splits the line rather than bridging it.
        let segments = points.split(Option::is_none).filter(|s| !s.is_empty());
        for segment in segments {
            let line: Vec<(f64, f64)> = segment.iter().flatten().copied().collect();
            if series.dashed {
                chart.draw_series(DashedLineSeries::new(line, 6, 4, style))?;
            } else {
                chart.draw_series(LineSeries::new(line, style))?;
            }
        }
        if let Some(filled) = &series.filled {
            let circles = points.iter().zip(filled).filter_map(|(p, &fill)| {
                let style = if fill {
                    color.filled()
                } else {
                    color.stroke_width(2)
                };
                p.map(|p| Circle::new(p, 4, style))
            });
            chart.draw_series(circles)?;
        }
    }
    for (x, label) in &panel.markers {
        let Some(x) = place(*x, panel.x_log) else {
            continue;
        };
        let (low, high) = (y_range.start, y_range.end);
        chart.draw_series(DashedLineSeries::new(
            vec![(x, low), (x, high)],
            5,
            5,
            BLACK.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x, high - 0.08 * (high - low)),
            (FAMILY, 12),
        )))?;
    }
    Ok(())
}

/// The shaded boxes of a series: one per run of consecutive points that miss the objectives,
/// reaching halfway to the neighbouring points along x and `y_pad` beyond the run's values
/// along y, in drawn coordinates. A single failing point still gets a box of its own.
fn failing_ranges(
    points: &[Option<(f64, f64)>],
    filled: &[bool],
    y_pad: f64,
) -> Vec<((f64, f64), (f64, f64))> {
    let x_at = |i: usize| points.get(i).copied().flatten().map(|p| p.0);
    let mut boxes = Vec::new();
    let mut i = 0;
    while i < points.len() {
        if filled.get(i).copied().unwrap_or(true) || points[i].is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < points.len()
            && !filled.get(i + 1).copied().unwrap_or(true)
            && points[i + 1].is_some()
        {
            i += 1;
        }
        let end = i;
        let run: Vec<(f64, f64)> = points[start..=end].iter().flatten().copied().collect();
        let (x0, x1) = (run[0].0, run[run.len() - 1].0);
        // Half the gap to each neighbour; a run at an end of the axis reaches as far the other way.
        let left = x_at(start.wrapping_sub(1)).map_or(0.0, |x| (x0 - x) / 2.0);
        let right = x_at(end + 1).map_or(0.0, |x| (x - x1) / 2.0);
        let (left, right) = match (left > 0.0, right > 0.0) {
            (true, true) => (left, right),
            (true, false) => (left, left),
            (false, true) => (right, right),
            (false, false) => (y_pad, y_pad),
        };
        let (y0, y1) = run
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.1), h.max(p.1))
            });
        boxes.push(((x0 - left, y1 + y_pad), (x1 + right, y0 - y_pad)));
        i += 1;
    }
    boxes
}

/// The panel's legend, one line per series, in the column right of its chart.
fn draw_legend<DB: DrawingBackend>(panel: &Panel, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    const TOP: i32 = 40;
    const LINE_HEIGHT: i32 = 18;
    for (row, series) in panel.series.iter().enumerate() {
        let y = TOP + LINE_HEIGHT * row as i32;
        let color = PALETTE[series.color % PALETTE.len()];
        let sample = vec![(4, y), (28, y)];
        if series.dashed {
            area.draw(&PathElement::new(sample, color.stroke_width(2)))?;
            area.draw(&PathElement::new(
                vec![(12, y), (18, y)],
                WHITE.stroke_width(3),
            ))?;
        } else {
            area.draw(&PathElement::new(sample, color.stroke_width(2)))?;
        }
        let label = (FAMILY, 12).into_font().color(&BLACK);
        area.draw(&Text::new(series.label.clone(), (34, y - 7), label))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{failing_ranges, place, range, tick};

    #[test]
    fn log_axes_leave_out_what_they_cannot_show() {
        assert_eq!(place(100.0, true), Some(2.0));
        assert_eq!(place(0.0, true), None);
        assert_eq!(place(0.0, false), Some(0.0));
        assert_eq!(place(f64::NAN, false), None);
    }

    #[test]
    fn failing_runs_are_shaded_halfway_to_their_neighbours() {
        let points: Vec<Option<(f64, f64)>> = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 5.0)]
            .map(Some)
            .to_vec();
        let boxes = failing_ranges(&points, &[true, false, true, false], 0.5);
        assert_eq!(boxes, [((0.5, 2.5), (1.5, 1.5)), ((2.5, 5.5), (3.5, 4.5)),]);
        assert!(failing_ranges(&points, &[true; 4], 0.5).is_empty());
    }

    #[test]
    fn ticks_read_as_values() {
        assert_eq!(tick(2.0, true), "100");
        assert_eq!(tick(0.25, false), "0.25");
        assert_eq!(tick(1234567.0, false), "1.23M");
        assert_eq!(tick(31622.8, false), "31.6k");
        assert_eq!(tick(5.0, true), "100k");
        assert_eq!(tick(999.6, false), "1000");
        assert_eq!(tick(0.0004, false), "4.0e-4");
        let r = range([1.0, 3.0].into_iter(), false);
        assert_eq!(r.start, 0.0);
    }
}
