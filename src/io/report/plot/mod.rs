//! Plots, PNG and SVG, drawn with plotters: a run's monthly bill, throughput against capacity,
//! utilisation and refusals ([`run`]), its calibration against CloudWatch, a sweep's cost and
//! objectives against the swept value ([`sweep`]), and a batch's bills.
//!
//! Owns the figure model ([`Figure`], [`Panel`], [`Series`], [`Bars`]) and its rendering. It
//! reads results already in memory and never changes them. Text is laid out with DejaVu Sans
//! embedded in the binary (ab_glyph), so plotting needs no fontconfig or freetype on the
//! machine. Log axes are drawn as linear axes over log10 of the values; points ≤ 0 cannot sit on
//! a log axis and are left out. Ticks fall at 1-2-5 steps and carry their unit ([`ticks`]).
//! Lines stay distinguishable where they coincide: each candidate has its own colour, dash
//! pattern and marker shape, lines drawn first are wider, and the legend sits at each line's
//! end, saying which lines coincide.
//!
//! Invariant: plotters stays inside this module; the rest of natsim sees strings and files.
//! Every figure has a caption saying what it shows.

mod run;
mod sweep;
pub(crate) mod ticks;

pub(crate) use run::{BILL_LINES, batch_figure, calibration_figure, dollars, run_figures};
pub(crate) use sweep::sweep_figures;

use super::files::write_output;
use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use std::ops::Range;
use std::path::Path;
use std::sync::Once;
use ticks::Unit;

/// Width of every figure, pixels.
pub const WIDTH: u32 = 1000;
/// Height of one panel of lines, pixels; a figure stacks its panels.
pub const PANEL_HEIGHT: u32 = 300;
/// Width of the legend column right of each chart, pixels: the legend sits beside the data,
/// never over it.
const LEGEND_WIDTH: u32 = 250;
/// Height of one bar and its gap, pixels.
const BAR_ROW: u32 = 34;

const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
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

/// One figure: panels stacked top to bottom, written as `<name>.png` and `<name>.svg`, with the
/// caption report.html shows under it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: &'static str,
    pub(crate) caption: String,
    pub(crate) panels: Vec<Panel>,
}

/// One chart: lines over two axes, or stacked bars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Panel {
    Lines(Lines),
    Bars(Bars),
}

/// An axis: its label, the unit its ticks carry, and whether it is logarithmic.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub(crate) label: String,
    pub(crate) unit: Unit,
    pub(crate) log: bool,
}

impl Axis {
    pub(crate) fn new(label: impl Into<String>, unit: Unit, log: bool) -> Axis {
        Axis {
            label: label.into(),
            unit,
            log,
        }
    }
}

/// A chart of lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lines {
    pub(crate) title: String,
    pub(crate) x: Axis,
    pub(crate) y: Axis,
    pub(crate) series: Vec<Series>,
    /// Vertical dashed lines with a label, e.g. crossovers: (x, label).
    pub(crate) markers: Vec<(f64, String)>,
    /// Horizontal dashed lines with a label, e.g. an objective's limit: (y, label).
    pub(crate) limits: Vec<(f64, String)>,
}

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stroke {
    Solid,
    Dashed,
    Dotted,
    LongDashed,
}

/// A point marker's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
}

const SHAPES: [Shape; 5] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::Cross,
];
const STROKES: [Stroke; 4] = [
    Stroke::Solid,
    Stroke::Dashed,
    Stroke::Dotted,
    Stroke::LongDashed,
];

/// Which points of a line get a marker.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Marks {
    /// A few, evenly spaced and staggered by the series' index, so lines that coincide still
    /// show each marker (time series of a hundred points and more).
    Sparse,
    /// Every point: solid when true (meets the objectives), hollow when false.
    Every(Vec<bool>),
}

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub(crate) label: String,
    pub(crate) color: usize,
    pub(crate) stroke: Stroke,
    pub(crate) shape: Shape,
    pub(crate) marks: Marks,
    pub(crate) points: Vec<(f64, f64)>,
    /// Half-width of each point's 95 % confidence interval, drawn as an error bar.
    pub(crate) errors: Option<Vec<f64>>,
}

impl Series {
    /// Candidate `index`'s line: its palette colour, dash pattern and marker shape, sparse
    /// markers.
    pub(crate) fn candidate(index: usize, name: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: name.to_string(),
            color: index % MEASURED_COLOR,
            stroke: STROKES[index % STROKES.len()],
            shape: SHAPES[index % SHAPES.len()],
            marks: Marks::Sparse,
            points,
            errors: None,
        }
    }

    /// A line of its own style (not a candidate's).
    pub(crate) fn styled(
        label: impl Into<String>,
        color: usize,
        stroke: Stroke,
        shape: Shape,
        points: Vec<(f64, f64)>,
    ) -> Series {
        Series {
            label: label.into(),
            color,
            stroke,
            shape,
            marks: Marks::Sparse,
            points,
            errors: None,
        }
    }
}

/// Horizontal stacked bars, one per category (top to bottom), each split into segments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bars {
    pub(crate) title: String,
    pub(crate) value: Axis,
    pub(crate) categories: Vec<String>,
    pub(crate) segments: Vec<Segment>,
    /// Text right of each bar (its total, whether it is recommended).
    pub(crate) notes: Vec<String>,
    /// Half-width of each bar's total's 95 % confidence interval.
    pub(crate) errors: Option<Vec<f64>>,
}

/// One part of every bar: its legend label, colour and value per category.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub(crate) label: String,
    pub(crate) color: usize,
    pub(crate) values: Vec<f64>,
}

impl Panel {
    fn height(&self) -> u32 {
        match self {
            Panel::Lines(_) => PANEL_HEIGHT,
            Panel::Bars(bars) => (110 + BAR_ROW * bars.categories.len() as u32)
                .max(40 + 20 * bars.segments.len() as u32),
        }
    }
}

impl Figure {
    /// Pixel size (width, height).
    pub(crate) fn size(&self) -> (u32, u32) {
        let height: u32 = self.panels.iter().map(Panel::height).sum();
        (WIDTH, height.max(PANEL_HEIGHT))
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

/// A figure as written: its name (the files are `<name>.png` and `<name>.svg`), its SVG text
/// and its caption, for `report.html`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drawn {
    pub(crate) name: &'static str,
    pub(crate) svg: String,
    pub(crate) caption: String,
}

/// Writes every figure as `<name>.png` and `<name>.svg` into `dir` (atomically) and returns
/// each one drawn, for `report.html`. An error names the file, the step that failed and what to
/// do.
pub(crate) fn write_figures(dir: &Path, figures: &[Figure]) -> Result<Vec<Drawn>, String> {
    figures
        .iter()
        .map(|figure| {
            let svg_path = dir.join(format!("{}.svg", figure.name));
            let png_path = dir.join(format!("{}.png", figure.name));
            let svg = figure.svg().map_err(|e| drawing_failed(&svg_path, &e))?;
            write_output(&svg_path, &svg).map_err(|e| e.to_string())?;
            let png = figure.png().map_err(|e| drawing_failed(&png_path, &e))?;
            write_output(&png_path, png).map_err(|e| e.to_string())?;
            Ok(Drawn {
                name: figure.name,
                svg,
                caption: figure.caption.clone(),
            })
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

/// Seconds per x unit and the unit, for a time axis over `duration_s`.
fn time_unit(duration_s: f64) -> (f64, Unit) {
    if duration_s > 6.0 * 3600.0 {
        (3600.0, Unit::Hours)
    } else {
        (60.0, Unit::Minutes)
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
    let mut breaks = Vec::new();
    let mut y = 0;
    for panel in figure
        .panels
        .iter()
        .take(figure.panels.len().saturating_sub(1))
    {
        y += panel.height() as i32;
        breaks.push(y);
    }
    let areas = root.split_by_breakpoints([] as [i32; 0], breaks);
    for (panel, area) in figure.panels.iter().zip(&areas) {
        let drawn = match panel {
            Panel::Lines(lines) => draw_lines(lines, area),
            Panel::Bars(bars) => draw_bars(bars, area),
        };
        drawn.map_err(|e| format!("{}: {e}", figure.name))?;
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

/// The value at a drawn coordinate.
fn unplace(drawn: f64, log: bool) -> f64 {
    if log { 10f64.powf(drawn) } else { drawn }
}

fn placed(panel: &Lines, points: &[(f64, f64)]) -> Vec<Option<(f64, f64)>> {
    points
        .iter()
        .map(|&(x, y)| Some((place(x, panel.x.log)?, place(y, panel.y.log)?)))
        .collect()
}

/// The drawn range of `values`, padded; a linear axis of non-negative values starts at 0.
fn range(values: impl Iterator<Item = f64>, log: bool) -> Range<f64> {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if !low.is_finite() {
        return 0.0..1.0;
    }
    let low = if !log && low >= 0.0 { 0.0 } else { low };
    if high <= low {
        // One value: a factor of ten around it on a log axis, up to 1 (or twice it) on a
        // linear one.
        return if log {
            (low - 0.5)..(high + 0.5)
        } else {
            low..(high + high.abs().max(1.0))
        };
    }
    let span = high - low;
    let pad = if log || low < 0.0 { 0.05 * span } else { 0.0 };
    (low - pad)..(high + 0.05 * span)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Line widths: the first series widest, so a later line drawn over it leaves it showing. A
/// line of more points than a chart has pixels to spare is drawn 1 pixel wide: a wide stroke's
/// joins at a jagged line's sharp turns would spike far past its points.
fn line_width(index: usize, count: usize, points: usize) -> u32 {
    if points > 300 {
        1
    } else if count <= 1 {
        2
    } else {
        (2 + (count - 1 - index).min(3)) as u32
    }
}

fn draw_lines<DB: DrawingBackend>(panel: &Lines, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (chart_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
    let drawn: Vec<Vec<Option<(f64, f64)>>> = panel
        .series
        .iter()
        .map(|s| placed(panel, &s.points))
        .collect();
    let all = || drawn.iter().flatten().flatten();
    let limit_ys = panel
        .limits
        .iter()
        .filter_map(|(y, _)| place(*y, panel.y.log));
    // Every point's x, drawn or not, so panels over the same points share their x axis.
    let x_range = range(
        panel
            .series
            .iter()
            .flat_map(|s| &s.points)
            .filter_map(|p| place(p.0, panel.x.log)),
        panel.x.log,
    );
    let y_range = range(all().map(|p| p.1).chain(limit_ys), panel.y.log);
    let x_ticks = ticks::positions(&x_range, panel.x.log);
    let mut y_ticks = ticks::positions(&y_range, panel.y.log);
    if panel.y.unit == Unit::Count && !panel.y.log {
        // A count has no fractional ticks.
        y_ticks.retain(|t| t.fract() == 0.0);
    }
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(&panel.title, (FAMILY, 16))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(
            Ticked::new(x_range.clone(), x_ticks),
            Ticked::new(y_range.clone(), y_ticks),
        )?;
    let (x_log, y_log, x_unit, y_unit) = (panel.x.log, panel.y.log, panel.x.unit, panel.y.unit);
    let x_label = move |v: &f64| ticks::label(unplace(*v, x_log), x_unit);
    let y_label = move |v: &f64| ticks::label(unplace(*v, y_log), y_unit);
    chart
        .configure_mesh()
        .x_desc(panel.x.label.as_str())
        .y_desc(panel.y.label.as_str())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style((FAMILY, 12))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Shaded first, so every line and point is drawn over the shading.
    let pads = (
        0.02 * (x_range.end - x_range.start),
        0.04 * (y_range.end - y_range.start),
    );
    for (series, points) in panel.series.iter().zip(&drawn) {
        let Marks::Every(filled) = &series.marks else {
            continue;
        };
        let color = PALETTE[series.color % PALETTE.len()];
        let boxes = failing_ranges(points, filled, pads)
            .into_iter()
            .map(|(a, b)| Rectangle::new([a, b], color.mix(0.15).filled()));
        chart.draw_series(boxes)?;
    }
    for (y, _) in &panel.limits {
        let Some(y) = place(*y, panel.y.log) else {
            continue;
        };
        let style = RGBColor(60, 60, 60).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(
            vec![(x_range.start, y), (x_range.end, y)],
            8,
            4,
            style,
        ))?;
    }
    let count = panel.series.len();
    for (index, (series, points)) in panel.series.iter().zip(&drawn).enumerate() {
        let color = PALETTE[series.color % PALETTE.len()];
        let style = color.stroke_width(line_width(index, count, points.len()));
        // A gap (a point that cannot be drawn) splits the line rather than bridging it.
        for segment in points.split(Option::is_none).filter(|s| !s.is_empty()) {
            let line: Vec<(f64, f64)> = segment.iter().flatten().copied().collect();
            match series.stroke {
                Stroke::Solid => chart.draw_series(LineSeries::new(line, style))?,
                Stroke::Dashed => chart.draw_series(DashedLineSeries::new(line, 8, 5, style))?,
                Stroke::Dotted => chart.draw_series(DashedLineSeries::new(line, 2, 4, style))?,
                Stroke::LongDashed => {
                    chart.draw_series(DashedLineSeries::new(line, 16, 5, style))?
                }
            };
        }
        if let Some(errors) = &series.errors {
            for (&(x, y), &half) in series.points.iter().zip(errors) {
                draw_error_bar(&mut chart, panel, (x, y), half, &y_range, color)?;
            }
        }
        for (i, point) in points.iter().enumerate() {
            let Some(point) = point else {
                continue;
            };
            let fill = match &series.marks {
                Marks::Sparse if !sparse_mark(i, points.len(), index, count) => continue,
                Marks::Sparse => true,
                Marks::Every(filled) => filled.get(i).copied().unwrap_or(true),
            };
            draw_marker(&mut chart, *point, series.shape, color, fill)?;
        }
    }
    for (x, label) in &panel.markers {
        let Some(x) = place(*x, panel.x.log) else {
            continue;
        };
        let (low, high) = (y_range.start, y_range.end);
        chart.draw_series(DashedLineSeries::new(
            vec![(x, low), (x, high)],
            5,
            5,
            BLACK.stroke_width(1),
        ))?;
        // Right of the line, or left of it near the right edge, so it stays inside the chart.
        let near_end = x > x_range.start + 0.7 * (x_range.end - x_range.start);
        let (anchor, shift) = if near_end {
            (HPos::Right, -4)
        } else {
            (HPos::Left, 4)
        };
        let style = (FAMILY, 12)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(anchor, VPos::Top));
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, high)) + Text::new(label.clone(), (shift, 4), style),
        ))?;
    }
    // Each legend entry beside its line's last point, in pixels of the legend column.
    let base_y = legend_area.get_base_pixel().1;
    let ends: Vec<Option<i32>> = drawn
        .iter()
        .map(|points| {
            let last = points.iter().rev().flatten().next()?;
            Some(chart.backend_coord(last).1 - base_y)
        })
        .collect();
    let limit_ys: Vec<Option<i32>> = panel
        .limits
        .iter()
        .map(|(y, _)| {
            let y = place(*y, panel.y.log)?;
            Some(chart.backend_coord(&(x_range.end, y)).1 - base_y)
        })
        .collect();
    draw_legend(panel, &drawn, &ends, &limit_ys, &legend_area)
}

/// Whether point `i` of `len` gets a marker on series `series` of `count`: about eight per
/// line, each series' shifted by a share of the spacing so coinciding lines show every marker.
fn sparse_mark(i: usize, len: usize, series: usize, count: usize) -> bool {
    if len <= 12 {
        return true;
    }
    let every = len / 8;
    let offset = every * series / count.max(1);
    i % every == offset % every
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// A float axis with the ticks given (plotters' own `WithKeyPoints` has no formatter, which its
/// mesh needs; ours are set on the mesh).
struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(range: Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
}

fn draw_marker<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    at: (f64, f64),
    shape: Shape,
    color: RGBColor,
    fill: bool,
) -> DrawResult<DB> {
    let style = if fill {
        color.filled()
    } else {
        color.stroke_width(2)
    };
    let white = WHITE.filled();
    match shape {
        Shape::Circle => {
            chart.draw_series(std::iter::once(Circle::new(at, 4, style)))?;
        }
        Shape::Square => {
            if !fill {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], white),
                ))?;
            }
            chart.draw_series(std::iter::once(
                EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], style),
            ))?;
        }
        Shape::Triangle => {
            chart.draw_series(std::iter::once(TriangleMarker::new(at, 5, style)))?;
        }
        Shape::Diamond => {
            let corners = vec![(0, -5), (5, 0), (0, 5), (-5, 0), (0, -5)];
            if fill {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(at) + Polygon::new(corners, style),
                ))?;
            } else {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(at) + Polygon::new(corners.clone(), white),
                ))?;
                chart.draw_series(std::iter::once(
                    EmptyElement::at(at) + PathElement::new(corners, color.stroke_width(2)),
                ))?;
            }
        }
        Shape::Cross => {
            chart.draw_series(std::iter::once(Cross::new(at, 4, color.stroke_width(2))))?;
        }
    }
    Ok(())
}

/// A vertical bar from y − half to y + half with short caps; the low end is clipped to the
/// axis where it cannot be drawn (0 or below on a log axis).
fn draw_error_bar<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    panel: &Lines,
    (x, y): (f64, f64),
    half: f64,
    y_range: &Range<f64>,
    color: RGBColor,
) -> DrawResult<DB> {
    if !(half > 0.0) {
        return Ok(());
    }
    let (Some(x), Some(high)) = (place(x, panel.x.log), place(y + half, panel.y.log)) else {
        return Ok(());
    };
    let low = place(y - half, panel.y.log).unwrap_or(y_range.start);
    let style = color.stroke_width(1);
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x, low), (x, high)],
        style,
    )))?;
    for end in [low, high] {
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, end)) + PathElement::new(vec![(-4, 0), (4, 0)], style),
        ))?;
    }
    Ok(())
}

/// The shaded boxes of a series: one per run of consecutive points that miss the objectives,
/// reaching halfway to the neighbouring points along x (`x_pad` each way where there is no
/// neighbour to go by) and `y_pad` beyond the run's values along y, in drawn coordinates. A
/// single failing point still gets a box of its own.
fn failing_ranges(
    points: &[Option<(f64, f64)>],
    filled: &[bool],
    (x_pad, y_pad): (f64, f64),
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
            (false, false) => (x_pad, x_pad),
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

/// For each series, the earlier series it coincides with (the same points drawn, within half a
/// percent of the y axis's span), if any.
fn coinciding(drawn: &[Vec<Option<(f64, f64)>>], y_span: f64) -> Vec<Option<usize>> {
    let same = |a: &[Option<(f64, f64)>], b: &[Option<(f64, f64)>]| {
        a.len() == b.len()
            && a.iter().any(Option::is_some)
            && a.iter().zip(b).all(|pair| match pair {
                (Some(p), Some(q)) => p.0 == q.0 && (p.1 - q.1).abs() <= 0.005 * y_span,
                (None, None) => true,
                _ => false,
            })
    };
    (0..drawn.len())
        .map(|j| (0..j).find(|&i| same(&drawn[i], &drawn[j])))
        .collect()
}

/// Legend text, wrapped to the column: a long label breaks at a space onto further lines.
fn wrap(label: &str) -> Vec<String> {
    const CHARS: usize = 33;
    let mut lines = vec![String::new()];
    for word in label.split(' ') {
        let current = lines.last_mut().expect("one line at least");
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > CHARS {
            lines.push(word.to_string());
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    lines
}

const LINE_HEIGHT: i32 = 15;

/// One entry of a chart's legend: what its sample looks like and its text.
struct Entry {
    /// Pixels from the legend column's top where its line ends; `None`: nothing drawn.
    end: Option<i32>,
    color: RGBColor,
    stroke: Stroke,
    shape: Option<Shape>,
    lines: Vec<String>,
}

/// The legend, each entry beside its line's end (`ends`, pixels from the column's top; `None`
/// for a line with nothing drawn, listed at the bottom) and each limit beside its level
/// (`limit_ys`), pushed apart so none overlaps; a line that coincides with another says so.
fn draw_legend<DB: DrawingBackend>(
    panel: &Lines,
    drawn: &[Vec<Option<(f64, f64)>>],
    ends: &[Option<i32>],
    limit_ys: &[Option<i32>],
    area: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let y_span = {
        let (low, high) = drawn
            .iter()
            .flatten()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.1), h.max(p.1))
            });
        if high > low { high - low } else { 1.0 }
    };
    let same_as = coinciding(drawn, y_span);
    let mut entries: Vec<Entry> = panel
        .series
        .iter()
        .enumerate()
        .map(|(i, series)| {
            let mut text = series.label.clone();
            match (same_as[i], ends[i]) {
                (Some(first), _) => {
                    text.push_str(&format!(" (same as {})", panel.series[first].label))
                }
                (None, None) => text.push_str(" (no point to draw)"),
                _ => {}
            }
            Entry {
                end: ends[i],
                color: PALETTE[series.color % PALETTE.len()],
                stroke: series.stroke,
                shape: Some(series.shape),
                lines: wrap(&text),
            }
        })
        .collect();
    entries.extend(
        panel
            .limits
            .iter()
            .zip(limit_ys)
            .map(|((_, label), &y)| Entry {
                end: y,
                color: RGBColor(60, 60, 60),
                stroke: Stroke::Dashed,
                shape: None,
                lines: wrap(label),
            }),
    );
    let height = area.dim_in_pixel().1 as i32;
    entries.sort_by_key(|e| e.end.unwrap_or(height));
    let tall = |e: &Entry| LINE_HEIGHT * e.lines.len() as i32 + 3;
    // Top down, each entry below the one before; then bottom up, inside the column.
    let mut tops: Vec<i32> = Vec::with_capacity(entries.len());
    let mut next = 30;
    for entry in &entries {
        let top = (entry.end.unwrap_or(height) - LINE_HEIGHT / 2).max(next);
        next = top + tall(entry);
        tops.push(top);
    }
    let mut limit = height - 8;
    for (top, entry) in tops.iter_mut().zip(&entries).rev() {
        *top = (*top).min(limit - tall(entry));
        limit = *top;
    }
    for (top, entry) in tops.iter().zip(&entries) {
        let y = top + LINE_HEIGHT / 2;
        area.draw(&PathElement::new(
            vec![(4, y), (30, y)],
            entry.color.stroke_width(2),
        ))?;
        // Gaps cut into the sample show the dash pattern.
        let gaps: &[(i32, i32)] = match entry.stroke {
            Stroke::Solid => &[],
            Stroke::Dashed => &[(11, 15), (22, 26)],
            Stroke::Dotted => &[(7, 10), (12, 15), (17, 20), (22, 25)],
            Stroke::LongDashed => &[(19, 23)],
        };
        for &(a, b) in gaps {
            area.draw(&PathElement::new(
                vec![(a, y), (b, y)],
                WHITE.stroke_width(4),
            ))?;
        }
        if let Some(shape) = entry.shape {
            draw_legend_marker(area, (17, y), shape, entry.color)?;
        }
        let font = (FAMILY, 12).into_font().color(&BLACK);
        for (row, line) in entry.lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (36, top + LINE_HEIGHT * row as i32 + 1),
                font.clone(),
            ))?;
        }
    }
    Ok(())
}

fn draw_legend_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    shape: Shape,
    color: RGBColor,
) -> DrawResult<DB> {
    let style = color.filled();
    match shape {
        Shape::Circle => area.draw(&Circle::new((x, y), 4, style)),
        Shape::Square => area.draw(&Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], style)),
        Shape::Triangle => area.draw(&TriangleMarker::new((x, y), 5, style)),
        Shape::Diamond => area.draw(&Polygon::new(
            vec![(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)],
            style,
        )),
        Shape::Cross => area.draw(&Cross::new((x, y), 4, color.stroke_width(2))),
    }
}

/// Horizontal stacked bars: categories top to bottom, segments left to right in their order,
/// each bar's note right of it, the segments' legend in the column beside.
fn draw_bars<DB: DrawingBackend>(bars: &Bars, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (chart_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
    let count = bars.categories.len();
    let totals: Vec<f64> = (0..count)
        .map(|c| bars.segments.iter().map(|s| s.values[c].max(0.0)).sum())
        .collect();
    let ends = totals
        .iter()
        .enumerate()
        .map(|(c, total)| total + bars.errors.as_ref().map_or(0.0, |e| e[c].max(0.0)));
    let high = ends.fold(0.0, f64::max);
    // Room right of the longest bar for its note.
    let longest_note = bars
        .notes
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0) as f64;
    let plot_px = (WIDTH - LEGEND_WIDTH) as f64 - 200.0;
    let note_share = ((longest_note * 7.0 + 10.0) / plot_px).min(0.6);
    let x_end = if high > 0.0 {
        high / (1.0 - note_share)
    } else {
        1.0
    };
    let x_range = 0.0..x_end;
    // Ticks over the bars, not over the notes' room.
    let x_ticks = ticks::positions(&(0.0..high.max(1e-9) * 1.05), false);
    let y_range = -0.5..count as f64 - 0.5;
    let y_ticks: Vec<f64> = (0..count).map(|c| c as f64).collect();
    let longest_name = bars
        .categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(&bars.title, (FAMILY, 16))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(40)
        .y_label_area_size((longest_name as u32 * 7 + 16).clamp(60, 280))
        .build_cartesian_2d(
            Ticked::new(x_range.clone(), x_ticks),
            Ticked::new(y_range.clone(), y_ticks),
        )?;
    let unit = bars.value.unit;
    let x_label = move |v: &f64| ticks::label(*v, unit);
    // Category c sits at y = count − 1 − c, so the first is on top.
    let names = bars.categories.clone();
    let y_label = move |v: &f64| {
        let row = v.round() as i64;
        let c = count as i64 - 1 - row;
        names.get(c as usize).cloned().unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_desc(bars.value.label.as_str())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style((FAMILY, 12))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(WHITE.mix(0.0))
        .disable_y_mesh()
        .draw()?;
    for c in 0..count {
        let y = (count - 1 - c) as f64;
        let mut start = 0.0;
        for segment in &bars.segments {
            let value = segment.values[c].max(0.0);
            if value <= 0.0 {
                continue;
            }
            let color = PALETTE[segment.color % PALETTE.len()];
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y - 0.32), (start + value, y + 0.32)],
                color.filled(),
            )))?;
            start += value;
        }
        let mut note_x = totals[c];
        if let Some(errors) = &bars.errors {
            let half = errors[c];
            if half > 0.0 {
                let low = (totals[c] - half).max(0.0);
                let high = totals[c] + half;
                let style = BLACK.stroke_width(1);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(low, y), (high, y)],
                    style,
                )))?;
                for end in [low, high] {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((end, y)) + PathElement::new(vec![(0, -6), (0, 6)], style),
                    ))?;
                }
                note_x = high;
            }
        }
        if let Some(note) = bars.notes.get(c) {
            chart.draw_series(std::iter::once(
                EmptyElement::at((note_x, y))
                    + Text::new(
                        note.clone(),
                        (6, -7),
                        (FAMILY, 12).into_font().color(&BLACK),
                    ),
            ))?;
        }
    }
    for (row, segment) in bars.segments.iter().enumerate() {
        let y = 40 + 20 * row as i32;
        let color = PALETTE[segment.color % PALETTE.len()];
        legend_area.draw(&Rectangle::new([(4, y - 6), (26, y + 6)], color.filled()))?;
        legend_area.draw(&Text::new(
            segment.label.clone(),
            (34, y - 7),
            (FAMILY, 12).into_font().color(&BLACK),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{coinciding, failing_ranges, place, range, sparse_mark, wrap};

    #[test]
    fn log_axes_leave_out_what_they_cannot_show() {
        assert_eq!(place(100.0, true), Some(2.0));
        assert_eq!(place(0.0, true), None);
        assert_eq!(place(0.0, false), Some(0.0));
        assert_eq!(place(f64::NAN, false), None);
        let r = range([1.0, 3.0].into_iter(), false);
        assert_eq!(r.start, 0.0);
    }

    #[test]
    fn failing_runs_are_shaded_halfway_to_their_neighbours() {
        let points: Vec<Option<(f64, f64)>> = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 5.0)]
            .map(Some)
            .to_vec();
        let boxes = failing_ranges(&points, &[true, false, true, false], (0.1, 0.5));
        assert_eq!(boxes, [((0.5, 2.5), (1.5, 1.5)), ((2.5, 5.5), (3.5, 4.5)),]);
        assert!(failing_ranges(&points, &[true; 4], (0.1, 0.5)).is_empty());
        // A lone failing point beside points that cannot be drawn: x_pad each way.
        let lone = [None, Some((2.0, 3.0)), None];
        assert_eq!(
            failing_ranges(&lone, &[true, false, true], (0.1, 0.5)),
            [((1.9, 3.5), (2.1, 2.5))]
        );
    }

    #[test]
    fn coinciding_lines_are_found_and_named_once() {
        let a = vec![Some((0.0, 1.0)), Some((1.0, 2.0))];
        let b = vec![Some((0.0, 1.001)), Some((1.0, 2.0))];
        let c = vec![Some((0.0, 1.5)), Some((1.0, 2.0))];
        let empty = vec![None, None];
        assert_eq!(
            coinciding(&[a, b, c, empty.clone(), empty], 1.0),
            [None, Some(0), None, None, None]
        );
    }

    #[test]
    fn sparse_markers_are_staggered_between_series() {
        let marked = |series| {
            (0..120)
                .filter(|&i| sparse_mark(i, 120, series, 3))
                .collect::<Vec<_>>()
        };
        let (first, second) = (marked(0), marked(1));
        assert_eq!(first.len(), 8);
        assert!(first.iter().all(|i| !second.contains(i)));
    }

    #[test]
    fn long_legend_labels_wrap() {
        assert_eq!(
            wrap("fck-nat-c6gn.medium (same as fck-nat-c6gn.medium-standby)"),
            [
                "fck-nat-c6gn.medium (same as",
                "fck-nat-c6gn.medium-standby)"
            ]
        );
        assert_eq!(wrap("natgw"), ["natgw"]);
    }
}
