//! `calibration.csv`: a run's NAT gateway candidates against measured CloudWatch metrics, one
//! row per candidate, measured point and metric (rules in `io::cloudwatch::calibrate`). A metric
//! natsim does not simulate has empty `natsim` and `error` cells and `not simulated` in `note`;
//! an undefined error (measured 0, natsim not) an empty `error` and `measured 0`; any other
//! row an empty `note`.

use super::csv::line;
use super::number;
use crate::io::cloudwatch::calibrate::{Calibration, relative_error};

pub(crate) fn calibration_csv(calibration: &Calibration) -> String {
    let header = [
        "candidate",
        "interval",
        "offset_s",
        "metric",
        "measured",
        "natsim",
        "error",
        "note",
    ];
    let mut out = line(header.iter().map(|h| h.to_string()));
    for row in &calibration.rows {
        out.push_str(&line([
            row.candidate.clone(),
            row.interval.to_string(),
            row.offset_s.to_string(),
            row.metric.name().to_string(),
            number(row.measured),
            row.natsim.map(number).unwrap_or_default(),
            row.natsim
                .and_then(|n| relative_error(row.measured, n))
                .map(number)
                .unwrap_or_default(),
            match row.natsim {
                None => "not simulated",
                Some(n) if relative_error(row.measured, n).is_none() => "measured 0",
                Some(_) => "",
            }
            .to_string(),
        ]));
    }
    out
}
