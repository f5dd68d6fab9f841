//! The objectives a candidate must meet to be recommended: what each one bounds, the default a
//! cautious engineer would accept when the scenario's `[slo]` leaves the key out, and the check
//! of a candidate's figures against them.
//!
//! Invariants: every objective has a default, so a scenario without `[slo]` is still judged; a
//! scenario switches an objective off only by saying so (`key = "off"`); a candidate that does
//! not carry its load (a growing backlog, credits that would run dry within the month, no
//! headroom) misses an objective, so "cheapest that meets the objectives" never picks an option
//! that is cheap because it failed to do the work. docs/objectives.md explains each default.

/// One objective. The order is the order objectives are listed and checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// Dropped bytes / offered bytes.
    MaxDropRate,
    /// Refused connections / attempted connections.
    MaxConnFailRate,
    /// p99 of completion time / unloaded completion time (open connections counted at their
    /// age).
    MaxP99Slowdown,
    /// 1 − (time without egress / window).
    MinAvailability,
    /// Share of the offered bytes carried by the end, beyond what an unloaded device would still
    /// have in flight.
    MinCarriedRatio,
    /// Highest of: peak-minute load over peak bandwidth, mean load over sustained bandwidth,
    /// deepest credit draw.
    MaxUtilization,
    /// Hours a full network-credit bucket lasts at the load seen.
    MinCreditHours,
}

/// Whether an objective bounds its figure from above or from below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    AtMost,
    AtLeast,
}

impl Objective {
    /// The objectives about what a workload's own connections got, which a workload can be
    /// judged by on its own; the others are about the device (its headroom and reserves).
    pub const PER_WORKLOAD: [Objective; 5] = [
        Objective::MaxDropRate,
        Objective::MaxConnFailRate,
        Objective::MaxP99Slowdown,
        Objective::MinAvailability,
        Objective::MinCarriedRatio,
    ];

    pub const ALL: [Objective; 7] = [
        Objective::MaxDropRate,
        Objective::MaxConnFailRate,
        Objective::MaxP99Slowdown,
        Objective::MinAvailability,
        Objective::MinCarriedRatio,
        Objective::MaxUtilization,
        Objective::MinCreditHours,
    ];

    /// The `[slo]` key.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Objective::MaxDropRate => "max_drop_rate",
            Objective::MaxConnFailRate => "max_conn_fail_rate",
            Objective::MaxP99Slowdown => "max_p99_slowdown",
            Objective::MinAvailability => "min_availability",
            Objective::MinCarriedRatio => "min_carried_ratio",
            Objective::MaxUtilization => "max_utilization",
            Objective::MinCreditHours => "min_credit_hours",
        }
    }

    /// The limit applied when the scenario does not set one; docs/objectives.md says why.
    pub(crate) fn default_limit(self) -> f64 {
        match self {
            // AWS's own alarm on a NAT gateway's PacketsDropCount is 0.01 % of traffic; a
            // sizing decision allows ten times that before calling an option lossy.
            Objective::MaxDropRate => 0.001,
            // One connection in a thousand refused is already a visible error rate.
            Objective::MaxConnFailRate => 0.001,
            // A transfer may take up to ten times its time at its own cap, at the 99th
            // percentile: queueing, not starvation.
            Objective::MaxP99Slowdown => 10.0,
            // Three nines: at most 43 minutes a month without egress.
            Objective::MinAvailability => 0.999,
            // All but 1 % of the offered bytes carried: a device that falls behind does not
            // meet this, whatever its percentiles say.
            Objective::MinCarriedRatio => 0.99,
            // 20 % headroom on every rate and reserve: room for growth and for the bursts a
            // mean hides.
            Objective::MaxUtilization => 0.8,
            // The monthly bill assumes the device carries the load all month.
            Objective::MinCreditHours => crate::model::cost::HOURS_PER_MONTH,
        }
    }

    pub(crate) fn bound(self) -> Bound {
        match self {
            Objective::MinAvailability | Objective::MinCarriedRatio | Objective::MinCreditHours => {
                Bound::AtLeast
            }
            Objective::MaxDropRate
            | Objective::MaxConnFailRate
            | Objective::MaxP99Slowdown
            | Objective::MaxUtilization => Bound::AtMost,
        }
    }

    /// What the objective bounds, for listings ("drop rate").
    pub(crate) fn label(self) -> &'static str {
        match self {
            Objective::MaxDropRate => "drop rate",
            Objective::MaxConnFailRate => "refused connections",
            Objective::MaxP99Slowdown => "p99 slowdown",
            Objective::MinAvailability => "availability",
            Objective::MinCarriedRatio => "offered bytes carried",
            Objective::MaxUtilization => "utilisation",
            Objective::MinCreditHours => "network credits last",
        }
    }

    /// A limit of this objective as text ("0.10 %", "10", "730 h").
    pub(crate) fn show(self, value: f64) -> String {
        match self {
            Objective::MaxDropRate | Objective::MaxConnFailRate => percent(value),
            Objective::MinAvailability => availability_percent(value),
            Objective::MinCarriedRatio | Objective::MaxUtilization => {
                format!("{:.0} %", value * 100.0)
            }
            Objective::MaxP99Slowdown => format!("{value}"),
            Objective::MinCreditHours => hours(value),
        }
    }
}

/// Hours as a short text: "2.6 h", "730 h", "more than a year".
pub(crate) fn hours(value: f64) -> String {
    if !value.is_finite() || value > 8760.0 {
        "more than a year".to_string()
    } else if value >= 100.0 {
        format!("{value:.0} h")
    } else {
        format!("{value:.1} h")
    }
}

/// One objective's limit in force.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// `None`: switched off by the scenario.
    pub value: Option<f64>,
    /// The limit is natsim's default, not the scenario's.
    pub is_default: bool,
}

/// The objectives in force for a scenario, one limit per [`Objective`].
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    limits: [Limit; Objective::ALL.len()],
}

impl Default for Slo {
    /// Every objective at its default.
    fn default() -> Self {
        Slo {
            limits: Objective::ALL.map(|o| Limit {
                value: Some(o.default_limit()),
                is_default: true,
            }),
        }
    }
}

impl Slo {
    pub fn limit(&self, objective: Objective) -> Limit {
        self.limits[objective as usize]
    }

    /// Sets a limit the scenario gave (`None` switches the objective off).
    pub(crate) fn set(&mut self, objective: Objective, value: Option<f64>) {
        self.limits[objective as usize] = Limit {
            value,
            is_default: false,
        };
    }

    /// The objectives in force, one line each: "drop rate ≤ 0.10 % (default)".
    pub(crate) fn describe(&self) -> Vec<String> {
        Objective::ALL
            .iter()
            .map(|&o| {
                let limit = self.limit(o);
                let relation = match o.bound() {
                    Bound::AtMost => "≤",
                    Bound::AtLeast => "≥",
                };
                match limit.value {
                    None => format!("{}: off (switched off by the scenario)", o.label()),
                    Some(value) => format!(
                        "{} {relation} {}{}",
                        o.label(),
                        o.show(value),
                        if limit.is_default { " (default)" } else { "" }
                    ),
                }
            })
            .collect()
    }
}

/// A candidate's figures an objective is checked against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measured {
    pub(crate) drop_rate: f64,
    pub(crate) conn_fail_rate: f64,
    pub(crate) slowdown_p99: f64,
    pub(crate) slowdown_p99_lower_bound: bool,
    pub(crate) availability: f64,
    pub(crate) carried_ratio: f64,
    pub(crate) offered_gbps: f64,
    pub(crate) carried_gbps: f64,
    pub(crate) backlog_gb: f64,
    pub(crate) utilization_peak: f64,
    pub(crate) utilization_sustained: f64,
    pub(crate) credit_depth: f64,
    pub(crate) credit_hours: f64,
}

/// An objective missed, with the figure that missed it in words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Miss {
    pub(crate) objective: Objective,
    pub(crate) text: String,
}

/// Every objective `measured` misses under `slo`, in objective order.
pub(crate) fn misses(slo: &Slo, measured: &Measured) -> Vec<Miss> {
    misses_among(&Objective::ALL, slo, measured)
}

/// The objectives of `among` that `measured` misses under `slo`, in the order of `among`.
pub(crate) fn misses_among(among: &[Objective], slo: &Slo, measured: &Measured) -> Vec<Miss> {
    among
        .iter()
        .filter_map(|&objective| {
            let limit = slo.limit(objective).value?;
            let figure = figure(objective, measured);
            let missed = match objective.bound() {
                Bound::AtMost => figure > limit,
                Bound::AtLeast => figure < limit,
            };
            missed.then(|| Miss {
                objective,
                text: miss_text(objective, measured, figure, limit),
            })
        })
        .collect()
}

/// The figure an objective bounds.
fn figure(objective: Objective, m: &Measured) -> f64 {
    match objective {
        Objective::MaxDropRate => m.drop_rate,
        Objective::MaxConnFailRate => m.conn_fail_rate,
        Objective::MaxP99Slowdown => m.slowdown_p99,
        Objective::MinAvailability => m.availability,
        Objective::MinCarriedRatio => m.carried_ratio,
        Objective::MaxUtilization => m
            .utilization_peak
            .max(m.utilization_sustained)
            .max(m.credit_depth),
        Objective::MinCreditHours => m.credit_hours,
    }
}

fn miss_text(objective: Objective, m: &Measured, figure: f64, limit: f64) -> String {
    let show = |v: f64| objective.show(v);
    match objective {
        Objective::MaxDropRate | Objective::MaxConnFailRate => {
            format!("{} {} > {}", objective.label(), show(figure), show(limit))
        }
        Objective::MaxP99Slowdown => {
            let at_least = if m.slowdown_p99_lower_bound {
                "≥ "
            } else {
                ""
            };
            format!("p99 slowdown {at_least}{figure:.1} > {limit}")
        }
        Objective::MinAvailability => format!("availability {} < {}", show(figure), show(limit)),
        Objective::MinCarriedRatio => format!(
            "falls behind: carried {:.1} % of the offered bytes < {} (offered {:.3} Gbps, carried {:.3} Gbps; {:.1} GB still in flight at the end)",
            figure * 100.0,
            show(limit),
            m.offered_gbps,
            m.carried_gbps,
            m.backlog_gb
        ),
        Objective::MaxUtilization => {
            let what = if m.credit_depth >= m.utilization_peak.max(m.utilization_sustained) {
                "of its network-credit bucket drawn at the deepest"
            } else if m.utilization_sustained >= m.utilization_peak {
                "of its sustained bandwidth used on average"
            } else {
                "of its peak bandwidth used in the busiest minute"
            };
            format!(
                "no headroom: {:.0} % {what} > {}",
                figure * 100.0,
                show(limit)
            )
        }
        Objective::MinCreditHours => format!(
            "not sustainable: network credits last {} at this load < {}",
            hours(figure),
            show(limit)
        ),
    }
}

/// An availability as a percentage with enough nines to compare ("99.95 %").
pub(crate) fn availability_percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    let digits = if p >= 99.0 {
        format!("{p:.3}")
    } else {
        format!("{p:.1}")
    };
    format!("{} %", digits.trim_end_matches('0').trim_end_matches('.'))
}

/// A fraction as a percentage with enough digits to show small rates.
pub(crate) fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p == 0.0 {
        "0 %".into()
    } else if p >= 1.0 {
        format!("{p:.1} %")
    } else if p >= 0.01 {
        format!("{p:.2} %")
    } else {
        format!("{p:.4} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> Measured {
        Measured {
            drop_rate: 0.0,
            conn_fail_rate: 0.0,
            slowdown_p99: 2.0,
            slowdown_p99_lower_bound: false,
            availability: 1.0,
            carried_ratio: 1.0,
            offered_gbps: 0.8,
            carried_gbps: 0.8,
            backlog_gb: 0.0,
            utilization_peak: 0.3,
            utilization_sustained: 0.3,
            credit_depth: 0.0,
            credit_hours: f64::INFINITY,
        }
    }

    #[test]
    fn defaults_judge_a_scenario_without_objectives() {
        let slo = Slo::default();
        assert!(misses(&slo, &healthy()).is_empty());
        let lossy = Measured {
            drop_rate: 0.436,
            ..healthy()
        };
        let missed = misses(&slo, &lossy);
        assert_eq!(missed.len(), 1);
        assert_eq!(missed[0].objective, Objective::MaxDropRate);
        assert_eq!(missed[0].text, "drop rate 43.6 % > 0.10 %");
    }

    #[test]
    fn an_objective_switched_off_is_not_checked() {
        let mut slo = Slo::default();
        slo.set(Objective::MaxDropRate, None);
        let lossy = Measured {
            drop_rate: 0.5,
            ..healthy()
        };
        assert!(misses(&slo, &lossy).is_empty());
        assert!(slo.describe()[0].contains("off"));
        assert!(slo.describe()[1].ends_with("(default)"));
    }

    #[test]
    fn falling_behind_says_so_in_numbers() {
        let behind = Measured {
            carried_ratio: 0.26,
            carried_gbps: 0.15,
            backlog_gb: 794.0,
            ..healthy()
        };
        let missed = misses(&Slo::default(), &behind);
        assert_eq!(missed[0].objective, Objective::MinCarriedRatio);
        assert!(
            missed[0]
                .text
                .contains("offered 0.800 Gbps, carried 0.150 Gbps; 794.0 GB")
        );
    }

    #[test]
    fn credits_that_run_dry_within_the_month_miss() {
        let draining = Measured {
            credit_hours: 2.6,
            ..healthy()
        };
        let missed = misses(&Slo::default(), &draining);
        assert_eq!(missed[0].objective, Objective::MinCreditHours);
        assert!(missed[0].text.contains("last 2.6 h at this load < 730 h"));
    }

    #[test]
    fn headroom_names_the_resource_nearest_its_limit() {
        let flat_out = Measured {
            utilization_sustained: 1.0,
            ..healthy()
        };
        let missed = misses(&Slo::default(), &flat_out);
        assert_eq!(missed[0].objective, Objective::MaxUtilization);
        assert!(missed[0].text.contains("100 % of its sustained bandwidth"));
    }
}
