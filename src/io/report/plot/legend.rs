//! The legend of a chart of lines: each entry beside its line's end, pushed apart so none
//! overlaps, a line that coincides with another named with it, and each limit beside its level.

use super::draw::DrawResult;
use super::{FAMILY, Lines, PALETTE, Shape, Stroke};
use plotters::coord::Shift;
use plotters::prelude::*;

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
pub(super) fn draw_legend<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::{coinciding, wrap};
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
