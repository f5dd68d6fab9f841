//! Scenario files into a checked [`Scenario`].
//!
//! Owns the scenario contract (docs/scenario.md): which keys exist, their
//! defaults and ranges, and how catalog defaults and `[prices]` overrides fill in what the user
//! left out. The text is parsed into `toml::Table` (the raw form) and walked with key-path-aware
//! `reader::Section`s; nothing downstream sees an unchecked value. Only [`parse_scenario_file`]
//! touches the filesystem. Invariant: any input, however broken, gives a [`ScenarioError`] naming
//! the file, key path, problem and fix; it never panics.
//!
//! Code map of src/scenario/: this file reads the file, `[scenario]`, `[slo]` and `[prices]`
//! and puts the pieces together; `workload.rs` the `[[workload]]` tables; `candidate.rs` the
//! `[[candidate]]` tables, with one module per kind under `kinds/`; `events.rs` the `[[event]]`
//! tables; `reader.rs` the generic typed reader, `setting.rs` a key with its catalog default,
//! `zone.rs` AZ names and `suggest.rs` the "did you mean" hints.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Value;

use super::overrides::Overrides;
use super::reader::{self, Check, MAX_USD, Quantity, Result, Section};
use super::replay::Traces;
use super::suggest::unknown_instance_hint;
use super::{Protocol, Scenario, ScenarioError, Slo, candidate, events, kinds, replay, workload};
use crate::io::catalog::{Catalog, Region};
use crate::model::cost::{EgressTier, Prices};
use crate::model::objectives::Objective;
use crate::util::echo;
use crate::util::units::seconds_to_ns;

/// Longest simulated time accepted.
const MAX_DURATION_S: f64 = 366.0 * 86_400.0;
const START_HINT: &str = "start from scenarios/quickstart.toml";

/// Parses scenario text against the embedded catalog. `file` names the source in errors.
pub fn parse_scenario(text: &str, file: &str) -> std::result::Result<Scenario, ScenarioError> {
    parse_scenario_with(text, file, Catalog::embedded())
}

/// Parses scenario text against a given catalog (a user's own, or the embedded one).
pub(crate) fn parse_scenario_with(
    text: &str,
    file: &str,
    catalog: &Catalog,
) -> std::result::Result<Scenario, ScenarioError> {
    parse_text(text, None, None, catalog, &Overrides::default()).map_err(|e| e.in_file(file))
}

/// Parses one of a sweep's points: `label` names it in errors, `flow_logs` are read relative to
/// `folder` (the scenario file's, when known) and through `traces`, so the points share one read.
pub(crate) fn parse_scenario_shared(
    text: &str,
    label: &str,
    folder: Option<&Path>,
    catalog: &Catalog,
    traces: &Traces,
) -> std::result::Result<Scenario, ScenarioError> {
    parse_text(text, folder, Some(traces), catalog, &Overrides::default())
        .map_err(|e| e.in_file(label))
}

/// Parses the text of the scenario file at `path` (already read, see `source.rs`): like
/// [`parse_scenario_with`], and a workload's `flow_logs` are read relative to the file's folder.
pub(crate) fn parse_scenario_at(
    text: &str,
    path: &Path,
    catalog: &Catalog,
) -> std::result::Result<Scenario, ScenarioError> {
    parse_scenario_set(text, path, catalog, None, &Overrides::default())
}

/// Parses the text of the scenario file at `path` with `--set` overrides applied to it first;
/// `flow_logs` are read relative to the file's folder, through `traces` when given (a sweep's
/// points then share the read). Errors name the file with the overrides.
pub(crate) fn parse_scenario_set(
    text: &str,
    path: &Path,
    catalog: &Catalog,
    traces: Option<&Traces>,
    overrides: &Overrides,
) -> std::result::Result<Scenario, ScenarioError> {
    let folder = path.parent().unwrap_or(Path::new(""));
    parse_text(text, Some(folder), traces, catalog, overrides)
        .map_err(|e| e.in_file(overrides.label(&path.display().to_string())))
}

/// Reads (once, see `source.rs`) and parses a scenario file; an unreadable file is an error that
/// names it.
pub fn parse_scenario_file(path: &Path) -> std::result::Result<Scenario, ScenarioError> {
    let text = super::source::read_scenario_file(path)?;
    parse_scenario_at(&text, path, Catalog::embedded())
}

/// The `[scenario]` table's settings.
struct Header {
    name: String,
    region: String,
    duration_ns: u64,
    warmup_ns: u64,
    seed: u64,
    replications: u32,
    traffic_scale: f64,
}

/// Largest `traffic_scale`: ten thousand times the traffic, far past any single device; a
/// larger factor is a typo.
const MAX_TRAFFIC_SCALE: f64 = 10_000.0;

/// `folder` is the scenario file's, where `flow_logs` and `catalog` paths start; `None` refuses
/// them. `overrides` (`--set`) edit the raw table before anything is read from it.
fn parse_text(
    text: &str,
    folder: Option<&Path>,
    traces: Option<&Traces>,
    catalog: &Catalog,
    overrides: &Overrides,
) -> Result<Scenario> {
    if text.trim().is_empty() {
        return Err(ScenarioError::new("", "the file is empty", START_HINT));
    }
    let mut root: toml::Table = text.parse().map_err(|e| toml_error(text, &e))?;
    overrides.apply(&mut root)?;
    if root.is_empty() {
        return Err(ScenarioError::new(
            "",
            "the file has no settings, only comments",
            START_HINT,
        ));
    }
    let mut top = Section::new("", &root);
    let scenario = top.table("scenario")?;
    let slo = top.table("slo")?;
    let prices = top.table("prices")?;
    let workloads = top.tables("workload")?;
    let candidates = top.tables("candidate")?;
    let events = top.tables("event")?;
    // Read by `natsim sweep` (crate::io::sweep::spec); a plain run simulates the file as written.
    let has_sweep = top.table("sweep")?.is_some();
    if top.has("traffic_scale") {
        let hint = "traffic_scale belongs in [scenario]: write it there, or as the key path \"scenario.traffic_scale\" in a [sweep]";
        return Err(top.error("traffic_scale", "traffic_scale is not a table", hint));
    }
    // Unknown top-level tables first: a misspelt [[candidates]] should not read as "no candidate".
    top.finish()?;

    let scenario = scenario.ok_or_else(|| {
        ScenarioError::new(
            "scenario",
            "the [scenario] table is missing",
            "add [scenario] with name and duration",
        )
    })?;
    let own_catalog = scenario_catalog(&root, folder, catalog)?;
    let catalog = own_catalog.as_ref().unwrap_or(catalog);
    let header = parse_header(scenario, catalog)?;
    let region = catalog
        .region(&header.region)
        .ok_or_else(|| ScenarioError::new("scenario.region", "unknown region", ""))?;
    let slo = slo.map(parse_slo).transpose()?.unwrap_or_default();
    let (prices, instance_prices) = parse_prices(prices, region, catalog)?;
    // Without a caller's (a sweep's) traces, the workloads over one list of logs (one per AZ)
    // still share one read of it.
    let own_traces;
    let traces = match traces {
        Some(traces) => traces,
        None => {
            own_traces = Traces::default();
            &own_traces
        }
    };
    let replay = replay::Context {
        base: folder,
        duration_ns: header.duration_ns,
        traces,
        traffic_scale: header.traffic_scale,
    };
    let workloads = workload::read_all(workloads, catalog, &header.region, replay)?;
    let context = kinds::Context {
        catalog,
        region: &header.region,
        instance_prices: &instance_prices,
        any_udp: workloads.iter().any(|w| w.protocol == Protocol::Udp),
        workloads: &workloads,
    };
    let mut candidates = candidate::read_all(candidates, &context)?;
    let az_outages = events::apply(
        events,
        &mut candidates,
        &workloads,
        &header.region,
        header.duration_ns,
    )?;
    Ok(Scenario {
        name: header.name,
        region: header.region,
        duration_ns: header.duration_ns,
        warmup_ns: header.warmup_ns,
        seed: header.seed,
        replications: header.replications,
        traffic_scale: header.traffic_scale,
        slo,
        prices,
        workloads,
        candidates,
        az_outages,
        has_sweep,
    })
}

/// Broken TOML: toml's message with the line and column it points at.
fn toml_error(text: &str, error: &toml::de::Error) -> ScenarioError {
    let message = lowercase_first(error.message().trim());
    if message.starts_with("duplicate key")
        && let Some(error) = error
            .span()
            .and_then(|span| duplicate_key_error(text, span))
    {
        return error;
    }
    // toml gives no position when dotted keys nest too deep: find the line ourselves.
    if error.span().is_none()
        && message.contains("recursion")
        && let Some((line, column, depth)) = deepest_key(text)
    {
        let problem = format!(
            "not valid TOML: a key nested {depth} levels deep at line {line}, column {column}; the TOML reader stops at {TOML_DEPTH_LIMIT}"
        );
        let hint = "scenario keys nest at most 4 levels (prices.instance_usd_per_hour.\"t4g.nano\"); \
                    a key that contains dots goes in quotes, as one key: \"a.b\" = 1";
        return ScenarioError::new("", problem, hint);
    }
    let problem = match error.span() {
        Some(span) => {
            let before = text.get(..span.start.min(text.len())).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("not valid TOML: {message} at line {line}, column {column}")
        }
        None => format!("not valid TOML: {message}"),
    };
    let hint = "fix the syntax there: strings need double quotes (duration = \"2h\"), tables look like [scenario] \
                or [[candidate]], and a key may appear once per table";
    ScenarioError::new("", problem, hint)
}

/// How deep the `toml` crate lets a dotted key nest before it gives up ("recursion limit").
const TOML_DEPTH_LIMIT: usize = 80;

/// The line and column (1-based) of the most deeply dotted key (in a `[table]` header or before
/// an `=`), and its depth: the first one at the TOML reader's limit, else the deepest. Quotes
/// are respected; lines inside multi-line strings are skipped.
fn deepest_key(text: &str) -> Option<(usize, usize, usize)> {
    let mut in_multiline = false;
    let mut deepest: Option<(usize, usize, usize)> = None;
    for (index, raw) in text.lines().enumerate() {
        let toggles = raw.matches("\"\"\"").count() + raw.matches("\'\'\'").count();
        if in_multiline {
            in_multiline = toggles % 2 == 0;
            continue;
        }
        in_multiline = toggles % 2 == 1;
        let line = raw.trim_start();
        let column = raw.chars().count() - line.chars().count() + 1;
        let key = if let Some(header) = line.strip_prefix('[') {
            header.trim_start_matches('[')
        } else {
            line
        };
        let depth = key_depth(key);
        if depth >= TOML_DEPTH_LIMIT {
            return Some((index + 1, column, depth));
        }
        if depth > 1 && deepest.is_none_or(|(_, _, d)| depth > d) {
            deepest = Some((index + 1, column, depth));
        }
    }
    deepest
}

/// Dotted parts of the key that starts `text` (up to `=`, `]` or a comment, outside quotes).
fn key_depth(text: &str) -> usize {
    let mut depth = 1;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => depth += 1,
            (None, '=' | ']' | '#') => break,
            _ => {}
        }
    }
    depth
}

/// A key or table written twice, named with its key path ("candidate[1].ips") and both lines.
fn duplicate_key_error(text: &str, span: std::ops::Range<usize>) -> Option<ScenarioError> {
    let key = text.get(span.clone())?.trim().trim_matches('"');
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let line = line_of(span.start);
    let lines: Vec<&str> = text.lines().collect();
    let current = lines.get(line - 1)?.trim_start();
    if current.starts_with('[') {
        let header = current.split(']').next()?.trim_start_matches('[').trim();
        let problem = format!("the table [{header}] appears twice (again at line {line})");
        let hint = "merge the two tables into one; [[...]] (double brackets) starts another entry of a list";
        return Some(ScenarioError::new(header, problem, hint));
    }
    // The table the key sits in: the nearest header above it, numbered like the key paths.
    let header = lines[..line - 1]
        .iter()
        .rposition(|l| l.trim_start().starts_with('['));
    let path = match header {
        None => String::new(),
        Some(index) => {
            let header = lines[index].trim();
            let name = header.trim_matches(|c| c == '[' || c == ']').trim();
            if header.starts_with("[[") {
                let nth = lines[..index].iter().filter(|l| l.trim() == header).count();
                format!("{name}[{nth}]")
            } else {
                name.to_string()
            }
        }
    };
    let first = lines[..line - 1]
        .iter()
        .rposition(|l| l.trim_start().starts_with(key) && l.contains('='))
        .map(|index| format!(", first set at line {}", index + 1))
        .unwrap_or_default();
    let key_path = if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    };
    let problem = format!("{key} is set twice in the same table (again at line {line}{first})");
    Some(ScenarioError::new(key_path, problem, "keep one of them"))
}

pub(super) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The catalog named by `[scenario] catalog`, relative to the scenario file's folder; `None`
/// when the key is absent. A scenario cannot both name a catalog and be given another with
/// `--catalog`: which one prices the run would be a guess.
fn scenario_catalog(
    root: &toml::Table,
    folder: Option<&Path>,
    given: &Catalog,
) -> Result<Option<Catalog>> {
    let Some(value) = root
        .get("scenario")
        .and_then(Value::as_table)
        .and_then(|t| t.get("catalog"))
    else {
        return Ok(None);
    };
    let key = "scenario.catalog";
    let Some(relative) = value.as_str().filter(|p| !p.trim().is_empty()) else {
        return Err(ScenarioError::new(
            key,
            format!("{} is not a file path", reader::shown(value)),
            "write catalog = \"catalogs/aws.toml\" (relative to the scenario file)",
        ));
    };
    if !given.is_embedded() {
        return Err(ScenarioError::new(
            key,
            "the scenario names its own catalog and --catalog gives another",
            "drop one: --catalog, or the catalog key (--set scenario.catalog=... names another file)",
        ));
    }
    let Some(folder) = folder else {
        return Err(ScenarioError::new(
            key,
            "a catalog path needs the scenario file's folder to start from, and this scenario was parsed from text without a file path",
            "run the scenario from its file",
        ));
    };
    super::source::read_catalog_file(&folder.join(relative))
        .map(Some)
        .map_err(|problem| {
            ScenarioError::new(
                key,
                problem,
                "the path is relative to the scenario file's folder",
            )
        })
}

fn parse_header(mut s: Section<'_>, catalog: &Catalog) -> Result<Header> {
    let name = s.required_name(
        "name",
        "add name = \"my-scenario\"; output goes to output/<name>/",
    )?;
    refuse_reserved_name(&s, &name)?;
    // Read by `scenario_catalog` before the rest of the file; named here so it is a known key.
    s.string("catalog")?;
    let region = s.string("region")?.unwrap_or("us-east-1");
    if catalog.region(region).is_none() {
        let hint = format!(
            "known regions: {}; for another region, import AWS's prices with `natsim catalog import` and name the file with catalog = \"...\" or --catalog (docs/catalog.md)",
            catalog.region_names().join(", ")
        );
        let problem = format!("unknown region {}", echo::quoted(region));
        return Err(s.error("region", problem, hint));
    }
    let duration_hint = "add duration = \"2h\" (the simulated time)";
    let duration_value = s.required("duration", duration_hint)?;
    let duration_s = reader::quantity(
        &s.path_of("duration"),
        duration_value,
        Quantity::Duration,
        Check::Positive,
    )?;
    if duration_s > MAX_DURATION_S {
        let problem = format!("{} is longer than 366 days", reader::shown(duration_value));
        return Err(s.error(
            "duration",
            problem,
            "simulate at most a year; costs are projected to a month anyway",
        ));
    }
    let warmup_s = s.duration_s("warmup", Check::NonNegative)?.unwrap_or(0.0);
    if warmup_s >= duration_s {
        let shown = s.raw("warmup").map(reader::shown).unwrap_or_default();
        let problem = format!(
            "{shown} is not shorter than duration ({})",
            reader::shown(duration_value)
        );
        return Err(s.error(
            "warmup",
            problem,
            "make warmup shorter than duration; it is excluded from statistics",
        ));
    }
    let seed = s.int("seed", 0, i64::MAX)?.unwrap_or(1);
    let replications = s.int("replications", 1, 10_000)?.unwrap_or(1);
    let traffic_scale = s
        .number(
            "traffic_scale",
            Check::PositiveAtMost(MAX_TRAFFIC_SCALE),
        )
        .map_err(|mut e| {
            e.hint = format!("traffic_scale multiplies every workload's traffic (1 = as written, 2 = twice); use more than 0 and at most {MAX_TRAFFIC_SCALE}");
            e
        })?
        .unwrap_or(1.0);
    s.finish()?;
    Ok(Header {
        name,
        region: region.to_string(),
        duration_ns: seconds_to_ns(duration_s),
        warmup_ns: seconds_to_ns(warmup_s),
        seed: seed as u64,
        replications: replications as u32,
        traffic_scale,
    })
}

/// Names a scenario cannot take: `output/<name>/` would collide with a batch's own files in
/// `output/` (in any case, as macOS and Windows folders ignore it), or hide as a dot-folder
/// among natsim's temporary files.
const RESERVED_NAMES: [&str; 4] = ["batch.csv", "batch.parquet", "index.html", "manifest.json"];

fn refuse_reserved_name(s: &Section<'_>, name: &str) -> Result<()> {
    let reserved = RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name));
    if reserved || name.starts_with('.') {
        let problem = if reserved {
            format!("\"{name}\" is the name of a file a batch writes beside the scenario folders")
        } else {
            format!("\"{name}\" starts with a dot, which hides its output folder")
        };
        let hint = format!(
            "output goes to output/<name>/; rename it (not {}, nor a name starting with '.')",
            RESERVED_NAMES.join(", ")
        );
        return Err(s.error("name", problem, hint));
    }
    Ok(())
}

fn parse_slo(mut s: Section<'_>) -> Result<Slo> {
    let mut slo = Slo::default();
    for objective in Objective::ALL {
        let key = objective.key();
        let Some(value) = s.raw(key) else { continue };
        let limit = match value {
            Value::String(text) if text == "off" => None,
            Value::Boolean(false) => None,
            _ => Some(
                reader::number_in(&s.path_of(key), value, slo_check(objective)).map_err(
                    |mut e| {
                        e.hint = format!("{}, or \"off\" to drop this objective", e.hint);
                        e
                    },
                )?,
            ),
        };
        slo.set(objective, limit);
    }
    s.finish()?;
    Ok(slo)
}

/// The range an objective's limit must fall in.
fn slo_check(objective: Objective) -> Check {
    match objective {
        Objective::MaxDropRate
        | Objective::MaxConnFailRate
        | Objective::MinAvailability
        | Objective::MinCarriedRatio => Check::Fraction,
        Objective::MaxP99Slowdown => Check::AtLeast(1.0),
        Objective::MaxUtilization => Check::Between(0.01, 10.0),
        Objective::MinCreditHours => Check::Between(0.0, 87_600.0),
    }
}

/// The region's prices with `[prices]` overrides applied, and the per-instance-type price
/// overrides (applied to nat_instance candidates).
fn parse_prices(
    section: Option<Section<'_>>,
    region: &Region,
    catalog: &Catalog,
) -> Result<(Prices, BTreeMap<String, f64>)> {
    let mut prices = Prices {
        region: region.name.clone(),
        nat_gateway_usd_per_hour: region.nat_gateway_usd_per_hour,
        nat_gateway_usd_per_gb: region.nat_gateway_usd_per_gb,
        ipv4_usd_per_hour: region.ipv4_usd_per_hour,
        cross_az_usd_per_gb_each_way: region.cross_az_usd_per_gb_each_way,
        egress_tiers: region.egress_tiers.clone(),
        free_tier_gb: 0.0,
    };
    let Some(mut s) = section else {
        return Ok((prices, BTreeMap::new()));
    };
    let overrides: [(&'static str, &mut f64); 5] = [
        ("free_tier_gb", &mut prices.free_tier_gb),
        (
            "nat_gateway_usd_per_hour",
            &mut prices.nat_gateway_usd_per_hour,
        ),
        ("nat_gateway_usd_per_gb", &mut prices.nat_gateway_usd_per_gb),
        ("ipv4_usd_per_hour", &mut prices.ipv4_usd_per_hour),
        (
            "cross_az_usd_per_gb_each_way",
            &mut prices.cross_az_usd_per_gb_each_way,
        ),
    ];
    for (key, slot) in overrides {
        if let Some(value) = s.number(key, Check::Between(0.0, MAX_USD))? {
            *slot = value;
        }
    }
    if let Some(flat) = s.number("egress_usd_per_gb", Check::Between(0.0, MAX_USD))? {
        prices.egress_tiers = vec![EgressTier {
            up_to_gb: f64::INFINITY,
            usd_per_gb: flat,
        }];
    }
    let mut instance_prices = BTreeMap::new();
    if let Some(table) = s.table("instance_usd_per_hour")? {
        for (name, value) in table.entries() {
            if catalog.instance(name).is_none() {
                let problem = format!("unknown instance type {}", echo::quoted(name));
                return Err(table.error(name, problem, unknown_instance_hint(catalog, name)));
            }
            let price =
                reader::number_in(&table.path_of(name), value, Check::Between(0.0, MAX_USD))?;
            instance_prices.insert(name.clone(), price);
        }
    }
    s.finish()?;
    Ok((prices, instance_prices))
}
