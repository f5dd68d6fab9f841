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

mod draw;
mod legend;
mod run;
mod sweep;
pub(crate) mod ticks;

pub(crate) use run::{BILL_LINES, batch_figure, calibration_figure, dollars, run_figures};
pub(crate) use sweep::sweep_figures;

use super::files::write_output;
use draw::draw;
use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::prelude::*;
use std::path::Path;
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
