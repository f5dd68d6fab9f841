//! A sweep's figures against the last swept key: `sweep_cost` (each candidate's monthly bill)
//! and `sweep_drops` (a panel for each objective that decides a failure somewhere in the sweep,
//! with its limit drawn), each with its caption.

use super::ticks::Unit;
use super::{Axis, Figure, Lines, Marks, Panel, Series};
use crate::io::sweep::aggregate::{PointResult, Winner};
use crate::io::sweep::plan::Plan;
use crate::model::objectives::{Bound, Objective};
use crate::results::summary::{Metric, Summary};

/// Credit hours beyond this are left out of the credits panel ("more than a year").
const HOURS_PER_YEAR: f64 = 8760.0;

/// Most panels a sweep figure stacks per metric: one per combination of the keys before the
/// last.
const MAX_SWEEP_PANELS: usize = 8;

/// The figure an objective is judged on, as the sweep draws it: the summary's figure and its
/// axis unit.
fn objective_metric(objective: Objective) -> (Metric, Unit) {
    match objective {
        Objective::MaxDropRate => (Metric::DropRate, Unit::Percent),
        Objective::MaxConnFailRate => (Metric::ConnFailRate, Unit::Percent),
        Objective::MaxP99Slowdown => (Metric::SlowdownP99, Unit::Times),
        Objective::MinAvailability => (Metric::Availability, Unit::Percent),
        Objective::MinCarriedRatio => (Metric::CarriedRatio, Unit::Percent),
        Objective::MaxUtilization => (Metric::Utilization, Unit::Percent),
        Objective::MinCreditHours => (Metric::CreditDrainPerHour, Unit::Hours),
    }
}

/// A summary's figure for `objective` (hours a full credit bucket lasts for credits: infinite,
/// so not drawn, when none drains) and its 95 % half-width where it has one.
fn objective_value(summary: &Summary, objective: Objective) -> (f64, Option<f64>) {
    let (metric, _) = objective_metric(objective);
    if objective == Objective::MinCreditHours {
        let drain = summary.get(metric);
        let hours = if drain > 0.0 { 1.0 / drain } else { f64::NAN };
        // Beyond a year the figure says nothing a reader needs, and would stretch the axis.
        let hours = if hours > HOURS_PER_YEAR {
            f64::NAN
        } else {
            hours
        };
        return (hours, None);
    }
    (summary.get(metric), summary.ci95(metric))
}

/// The two figures of a sweep, `sweep_cost` and `sweep_drops`, drawn against the last swept key
/// when every value of it is a number. A sweep of several keys gets one panel per combination
/// of the others (at most [`MAX_SWEEP_PANELS`]); `None` when there is no numeric axis.
///
/// When the last key changes the traffic (a `workload` key, or `scenario.traffic_scale`) and
/// the monthly traffic rises with it, x is that traffic as GB per month, the unit users compare
/// NAT options in (alterNAT's "~10 TB/month"); the swept key is named in the axis label.
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
    let xs: Vec<f64> = (0..results.len())
        .map(|p| {
            if by_traffic {
                traffic(p)
            } else {
                swept[p % per_group]
            }
        })
        .collect();
    let x_log = xs.iter().all(|&x| x > 0.0)
        && xs.iter().copied().fold(0.0, f64::max)
            >= 10.0 * xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x = if by_traffic {
        Axis::new(
            format!("traffic per month (swept: {})", param.key),
            Unit::Gb,
            x_log,
        )
    } else {
        Axis::new(param.key.clone(), Unit::Plain, x_log)
    };
    let sweep = Sweep {
        plan,
        results,
        winners,
        per_group,
        xs,
        x,
    };
    let replications = plan.points.first()?.scenario.replications;
    let ci = if replications > 1 {
        format!(
            " Whiskers give each point's 95 % confidence interval over its {replications} replications."
        )
    } else {
        String::new()
    };
    let against = if by_traffic {
        format!(
            "the traffic it carries per month (the workload's bytes at a 730-hour month's scale; the swept key is {})",
            param.key
        )
    } else {
        format!("the swept {}", param.key)
    };
    let cost = Figure {
        name: "sweep_cost",
        caption: format!(
            "Each candidate's bill for a 730-hour month at each point of the sweep, against {against}, on a log scale. Solid markers meet the objectives; hollow ones, shaded in the candidate's colour, miss at least one (sweep_drops shows which and by how much). A dashed vertical line marks each crossover, labelled with the new winner.{ci}"
        ),
        panels: (0..groups).map(|g| sweep.cost_panel(g)).collect(),
    };
    let deciding = deciding_objectives(results);
    let objectives_named = deciding
        .iter()
        .map(|o| o.label())
        .collect::<Vec<_>>()
        .join(", ");
    let drops = Figure {
        name: "sweep_drops",
        caption: format!(
            "The figures the objectives judge, against the same x: drop rate and refused connections always, and every other objective some candidate misses somewhere in the sweep; here {objectives_named}. The dashed horizontal line is the objective's limit. Hours of network credits are drawn up to a year; a candidate whose credits never drain, or last longer, has no point there. In each panel a marker is hollow, and shaded in the candidate's colour, where the candidate misses that panel's objective.{ci}"
        ),
        panels: (0..groups)
            .flat_map(|g| deciding.iter().map(move |&o| (g, o)))
            .map(|(g, o)| sweep.objective_panel(g, o))
            .collect(),
    };
    Some(vec![cost, drops])
}

/// Drop rate and refused connections, then every other objective a candidate misses at some
/// point, in the objectives' order.
fn deciding_objectives(results: &[PointResult]) -> Vec<Objective> {
    Objective::ALL
        .into_iter()
        .filter(|&o| {
            matches!(o, Objective::MaxDropRate | Objective::MaxConnFailRate)
                || results
                    .iter()
                    .flat_map(|r| &r.summaries)
                    .any(|s| s.missed.contains(&o))
        })
        .collect()
}

/// What every panel of a sweep's figures shares.
struct Sweep<'a> {
    plan: &'a Plan,
    results: &'a [PointResult],
    winners: &'a [Winner],
    per_group: usize,
    /// Each point's x value.
    xs: Vec<f64>,
    x: Axis,
}

impl Sweep<'_> {
    fn points(&self, group: usize) -> std::ops::Range<usize> {
        group * self.per_group..(group + 1) * self.per_group
    }

    /// `what`, then the values of the keys before the last that this group holds.
    fn title(&self, group: usize, what: &str) -> String {
        let point = group * self.per_group;
        let others = &self.plan.spec.params[..self.plan.spec.params.len() - 1];
        let fixed: Vec<String> = others
            .iter()
            .zip(self.plan.param_texts(point))
            .map(|(p, text)| format!("{} = {text}", p.key))
            .collect();
        if fixed.is_empty() {
            what.to_string()
        } else {
            format!("{what} · {}", fixed.join(", "))
        }
    }

    /// One series per candidate over the group's points: `value` gives a point's figure and its
    /// half-width; `meets`, whether the marker is solid.
    fn series(
        &self,
        group: usize,
        value: impl Fn(&Summary) -> (f64, Option<f64>),
        meets: impl Fn(&Summary) -> bool,
    ) -> Vec<Series> {
        let candidates = &self.plan.points[0].scenario.candidates;
        candidates
            .iter()
            .enumerate()
            .map(|(c, candidate)| {
                let summaries: Vec<&Summary> = self
                    .points(group)
                    .map(|p| &self.results[p].summaries[c])
                    .collect();
                let figures: Vec<(f64, Option<f64>)> = summaries.iter().map(|s| value(s)).collect();
                let points = self
                    .points(group)
                    .zip(&figures)
                    .map(|(p, (y, _))| (self.xs[p], *y))
                    .collect();
                let errors = figures
                    .iter()
                    .any(|(_, e)| e.is_some())
                    .then(|| figures.iter().map(|(_, e)| e.unwrap_or(0.0)).collect());
                Series {
                    marks: Marks::Every(summaries.iter().map(|s| meets(s)).collect()),
                    errors,
                    ..Series::candidate(c, &candidate.name, points)
                }
            })
            .collect()
    }

    /// Dashed vertical lines at the group's crossovers, labelled with the new winner.
    fn crossovers(&self, group: usize) -> Vec<(f64, String)> {
        let candidates = &self.plan.points[0].scenario.candidates;
        self.winners[self.points(group)]
            .iter()
            .filter(|w| w.crossover)
            .map(|w| {
                let name = w
                    .recommended
                    .map_or("none", |c| candidates[c].name.as_str());
                (self.xs[w.point], format!("→ {name}"))
            })
            .collect()
    }

    fn cost_panel(&self, group: usize) -> Panel {
        Panel::Lines(Lines {
            // The caption says what hollow, shaded and dashed mean; the title stays short
            // enough for the keys it may carry.
            title: self.title(group, "monthly cost per candidate (log scale)"),
            x: self.x.clone(),
            y: Axis::new("per month", Unit::Usd, true),
            series: self.series(
                group,
                |s| {
                    (
                        s.get(Metric::CostMonthlyUsd),
                        s.ci95(Metric::CostMonthlyUsd),
                    )
                },
                |s| s.meets_slo,
            ),
            markers: self.crossovers(group),
            limits: Vec::new(),
        })
    }

    fn objective_panel(&self, group: usize, objective: Objective) -> Panel {
        let (_, unit) = objective_metric(objective);
        let series = self.series(
            group,
            |s| objective_value(s, objective),
            |s| !s.missed.contains(&objective),
        );
        let slo = &self.plan.points[group * self.per_group].scenario.slo;
        let limit = slo.limit(objective).value;
        let relation = match objective.bound() {
            Bound::AtMost => "≤",
            Bound::AtLeast => "≥",
        };
        let title = match limit {
            Some(l) => format!(
                "{} (objective {relation} {})",
                objective.label(),
                objective.show(l)
            ),
            None => format!("{} (objective off)", objective.label()),
        };
        // Wide-ranging figures read on a log axis; rates stay linear, where 0 shows.
        let ys: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(limit)
            .filter(|y| y.is_finite() && *y > 0.0)
            .collect();
        let spread = ys.iter().copied().fold(0.0, f64::max)
            / ys.iter().copied().fold(f64::INFINITY, f64::min);
        let log = !matches!(
            objective,
            Objective::MaxDropRate | Objective::MaxConnFailRate
        ) && spread >= 10.0;
        Panel::Lines(Lines {
            title: self.title(group, &title),
            x: self.x.clone(),
            y: Axis::new(objective.label(), unit, log),
            series,
            markers: self.crossovers(group),
            limits: limit
                .map(|l| vec![(l, format!("limit {relation} {}", objective.show(l)))])
                .unwrap_or_default(),
        })
    }
}

/// A figure's mean over a point's candidates (the workload's traffic is the same for each; the
/// mean only guards against a candidate that differs).
fn mean_over_candidates(result: &PointResult, metric: Metric) -> f64 {
    let values: Vec<f64> = result.summaries.iter().map(|s| s.get(metric)).collect();
    values.iter().sum::<f64>() / values.len().max(1) as f64
}
