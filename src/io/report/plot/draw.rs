//! Draws a [`Figure`] with plotters: panels of lines (axes with 1-2-5 ticks and units, shaded
//! failing ranges, limits, error bars, markers) and panels of stacked bars, each with its legend
//! in the column beside it ([`super::legend`]).

use super::legend::draw_legend;
use super::ticks::{self, Unit};
use super::{
    Bars, FAMILY, FONT, Figure, LEGEND_WIDTH, Lines, Marks, PALETTE, Panel, Shape, Stroke, WIDTH,
};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use std::ops::Range;
use std::sync::Once;

fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is compiled in and known to parse; a failure would show as missing labels.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

pub(super) fn draw<DB: DrawingBackend>(
    figure: &Figure,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
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

pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Line widths: the first series widest, so a later line drawn over it leaves it showing. A
/// line of more than 150 points (a few pixels each) is drawn 1 pixel wide: a wide stroke's
/// joins at a jagged line's sharp turns would spike far past its points.
fn line_width(index: usize, count: usize, points: usize) -> u32 {
    if points > 150 {
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
    // Not a positive number (0, or NaN where the spread is unknown): nothing to draw.
    if half.is_nan() || half <= 0.0 {
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
    use super::{failing_ranges, place, range, sparse_mark};
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
}
