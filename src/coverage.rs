//! `firedrill coverage`: for each detection, whether its search parses, whether every
//! command, function, macro and lookup it needs is supported, and the first thing that
//! is not — so a user sees how much of their content the engine can judge.

use crate::plan::{Planned, Prepared};
use firedrill_spl::ast::{CommandKind, Pipeline};
use serde::Serialize;
use std::collections::BTreeMap;

/// Coverage of one detection.
#[derive(Clone, Debug, Serialize)]
pub struct DetectionCoverage {
    /// Detection name.
    pub name: String,
    /// File it came from.
    pub file: String,
    /// production, experimental, deprecated, ...
    pub production_status: String,
    /// TTP, Anomaly, Hunting, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Its tests name attack data.
    pub tested: bool,
    /// The search parses.
    pub parsed: bool,
    /// Everything it needs is supported.
    pub supported: bool,
    /// The first unsupported thing (or the parse error), if any.
    pub unsupported: Option<String>,
    /// Its test datasets' sourcetypes have a reader with the add-on's fields, and
    /// every data model it reads is mapped.
    pub data_covered: bool,
    /// Why the data side is not covered (first cause), if so.
    pub data_unsupported: Option<String>,
    /// Its tests replay Windows event logs.
    pub windows_data: bool,
    /// Data models it reads.
    pub datamodels: Vec<String>,
    /// Data sources it declares.
    pub data_source: Vec<String>,
    /// Each test sourcetype and what gives its fields: a `[sourcetype]` stanza's file
    /// (a built-in app's, or the user's from `--addons`), else `built-in (<reader>:
    /// <what gives the fields>)`, or nothing.
    pub fields_from: BTreeMap<String, Option<String>>,
    /// Each data model it reads and the file that defines it (a built-in app's, or the
    /// user's from `--addons`), or nothing.
    pub datamodels_from: BTreeMap<String, Option<String>>,
}

/// Counts for one group (a type, a data model, a data source).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    /// Detections in the group.
    pub total: usize,
    /// Of which parse.
    pub parsed: usize,
    /// Of which are fully supported.
    pub supported: usize,
    /// `supported / total` in percent.
    pub percent_supported: f64,
}

impl Tally {
    fn add(&mut self, d: &DetectionCoverage) {
        self.total += 1;
        self.parsed += d.parsed as usize;
        self.supported += d.supported as usize;
        self.percent_supported = 100.0 * self.supported as f64 / self.total as f64;
    }
}

/// The coverage summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Every detection.
    pub all: Tally,
    /// Detections that are not deprecated.
    pub active: Tally,
    /// Active detections whose tests name attack data.
    pub tested: Tally,
    /// By detection type.
    pub by_type: BTreeMap<String, Tally>,
    /// By data model (tested detections).
    pub by_datamodel: BTreeMap<String, Tally>,
    /// By data source (tested detections).
    pub by_data_source: BTreeMap<String, Tally>,
    /// First unsupported causes over tested detections, largest first.
    pub causes: Vec<(String, usize)>,
    /// Tested active detections whose data side is covered.
    pub tested_data_covered: usize,
    /// Tested active detections both supported and data-covered.
    pub tested_fully_covered: usize,
    /// Tested active detections that replay Windows event logs.
    pub windows_tested: usize,
    /// Of which both supported and data-covered.
    pub windows_fully_covered: usize,
    /// `windows_fully_covered / windows_tested` in percent.
    pub percent_windows_fully_covered: f64,
    /// Why tested detections' data is not covered (first cause), largest first.
    pub data_causes: Vec<(String, usize)>,
    /// Tested active detections by what gives their sourcetypes' fields (a
    /// detection counts once per source of fields).
    pub fields_from: BTreeMap<String, usize>,
    /// Tested detections by the file defining a data model they read.
    pub datamodels_from: BTreeMap<String, usize>,
}

/// The whole coverage report.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// One entry per detection.
    pub detections: Vec<DetectionCoverage>,
    /// Totals.
    pub summary: Summary,
}

fn datamodels(p: &Pipeline) -> Vec<String> {
    let mut out = Vec::new();
    for c in &p.commands {
        if let CommandKind::Tstats(t) = &c.kind {
            if let Some(dm) = &t.datamodel {
                out.push(dm.trim_matches('"').to_string());
            }
        }
    }
    out
}

/// A short cause for grouping: the message without positions and names in backticks
/// kept (so "command `join` is not supported" groups all joins).
fn cause_key(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let cut = first
        .find(" at line ")
        .map(|i| &first[..i])
        .unwrap_or(first);
    if cut.starts_with("lookup `") {
        if cut.contains("KV store") {
            return "lookup is a KV store collection (not available offline)".into();
        }
        if cut.contains("machine-learning") {
            return "lookup is a machine-learning model (not available offline)".into();
        }
    }
    if cut.starts_with("search does not parse") {
        return "search does not parse".into();
    }
    if cut.starts_with("macro `") {
        return cut.split(" (byte offset").next().unwrap_or(cut).to_string();
    }
    if cut.starts_with("regular expression not supported") {
        return "regular expression neither regex engine accepts".into();
    }
    cut.to_string()
}

/// The sourcetypes a detection's tests replay, as written (a `[sourcetype]` stanza
/// takes its name exactly), or as the reader names them when the test names none.
fn sourcetypes(d: &firedrill_content::Detection) -> Vec<String> {
    let mut out: Vec<String> = d
        .tests
        .iter()
        .flat_map(|t| &t.attack_data)
        .map(|a| match (&a.sourcetype, &a.source) {
            (Some(st), _) => st.clone(),
            (None, Some(src)) if src.to_ascii_lowercase().starts_with("xmlwineventlog") => {
                "XmlWinEventLog".into()
            }
            (None, Some(src)) if src.to_ascii_lowercase().starts_with("wineventlog") => {
                "WinEventLog".into()
            }
            _ => "unknown".into(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The data side: why a detection's data would not reach it as Splunk's add-ons and
/// data models give it, if so.
fn data_gap(
    sts: &[String],
    dms: &[String],
    from: &BTreeMap<String, Option<String>>,
    models: &firedrill_events::DataModels,
) -> Option<String> {
    if let Some(st) = sts
        .iter()
        .find(|st| from.get(*st).is_some_and(Option::is_none))
    {
        return Some(format!(
            "sourcetype `{st}` has no reader with its add-on's fields"
        ));
    }
    if let Some(dm) = dms.iter().find(|dm| !models.known(dm)) {
        return Some(format!("data model `{dm}` has no mapping"));
    }
    dms.iter()
        .find(|dm| !sts.iter().any(|st| models.fed_by(dm, st)))
        .map(|dm| format!("data model `{dm}` is not mapped from {}", sts.join(", ")))
}

/// The file that defines a data model, as coverage shows it.
fn model_file(models: &firedrill_events::DataModels, dm: &str) -> Option<String> {
    let f = models.resolve(dm)?.file();
    Some(if firedrill_addons::builtin::is_builtin(f) {
        format!("built-in ({})", f.display())
    } else {
        f.display().to_string()
    })
}

/// What gives a sourcetype's fields: a user's add-on file first (it applies over
/// the built-ins), else firedrill's built-in reader for it.
fn fields_from(st: &str, addons: Option<&firedrill_addons::AddOns>) -> Option<String> {
    if let Some(f) = addons.and_then(|a| a.feeds(st)) {
        return Some(if firedrill_addons::builtin::is_builtin(f) {
            format!("built-in ({})", f.display())
        } else {
            f.display().to_string()
        });
    }
    firedrill_events::sourcetype_support(st)
        .map(|(reader, fields)| format!("built-in ({reader}: {fields})"))
}

/// Computes coverage for planned detections: "supported" is exactly "compiles" —
/// the engine's own answer, not a separate check.
pub fn coverage(planned: &[Planned]) -> Coverage {
    coverage_with(planned, Some(&firedrill_addons::builtin::get()))
}

/// [`coverage`] with a user's add-ons giving fields to the sourcetypes they name.
pub fn coverage_with(planned: &[Planned], addons: Option<&firedrill_addons::AddOns>) -> Coverage {
    let models = match addons {
        Some(a) => a.datamodels(),
        None => firedrill_addons::builtin::datamodels(),
    };
    let mut detections = Vec::new();
    for p in planned {
        let d = &p.detection;
        let dms = p.pipeline.as_ref().map(datamodels).unwrap_or_default();
        let (parsed, unsupported) = match &p.program {
            Ok(_) => (true, None),
            Err(Prepared::Unsupported(u)) => (true, Some(u.clone())),
            Err(Prepared::Error(e)) => (p.pipeline.is_some(), Some(e.clone())),
            Err(Prepared::NotSelected(e)) => (p.pipeline.is_some(), Some(e.clone())),
        };
        let sts = sourcetypes(d);
        let from: BTreeMap<String, Option<String>> = sts
            .iter()
            .map(|st| (st.clone(), fields_from(st, addons)))
            .collect();
        let tested = d.tests.iter().any(|t| !t.attack_data.is_empty());
        let data_unsupported = if tested {
            data_gap(&sts, &dms, &from, models)
        } else {
            Some("no test data".into())
        };
        detections.push(DetectionCoverage {
            data_covered: data_unsupported.is_none(),
            data_unsupported,
            windows_data: sts
                .iter()
                .any(|s| firedrill_events::is_windows_sourcetype(s)),
            name: d.name.clone(),
            file: d.file.display().to_string(),
            production_status: d.status.clone().unwrap_or_else(|| "production".into()),
            kind: d.kind.clone().unwrap_or_else(|| "unknown".into()),
            tested: d.tests.iter().any(|t| !t.attack_data.is_empty()),
            parsed,
            supported: unsupported.is_none(),
            unsupported: unsupported.map(|u| u.lines().next().unwrap_or("").to_string()),
            datamodels_from: dms
                .iter()
                .map(|dm| (dm.clone(), model_file(models, dm)))
                .collect(),
            datamodels: dms,
            data_source: d.data_source.clone(),
            fields_from: from,
        });
    }
    let mut s = Summary::default();
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    let mut data_causes: BTreeMap<String, usize> = BTreeMap::new();
    for d in &detections {
        s.all.add(d);
        let active = d.production_status != "deprecated";
        if active {
            s.active.add(d);
            s.by_type.entry(d.kind.clone()).or_default().add(d);
        }
        if active && d.tested {
            s.tested.add(d);
            for dm in &d.datamodels {
                s.by_datamodel.entry(dm.clone()).or_default().add(d);
            }
            for ds in &d.data_source {
                s.by_data_source.entry(ds.clone()).or_default().add(d);
            }
            if let Some(u) = &d.unsupported {
                *causes.entry(cause_key(u)).or_insert(0) += 1;
            }
            s.tested_data_covered += d.data_covered as usize;
            s.tested_fully_covered += (d.data_covered && d.supported) as usize;
            if d.windows_data {
                s.windows_tested += 1;
                s.windows_fully_covered += (d.data_covered && d.supported) as usize;
            }
            if let Some(u) = &d.data_unsupported {
                *data_causes.entry(u.clone()).or_insert(0) += 1;
            }
            let mut from: Vec<String> = d
                .fields_from
                .values()
                .map(|f| {
                    f.clone()
                        .unwrap_or_else(|| "nothing (no reader with the add-on's fields)".into())
                })
                .collect();
            from.sort();
            from.dedup();
            for f in from {
                *s.fields_from.entry(f).or_insert(0) += 1;
            }
            let mut models: Vec<String> = d
                .datamodels_from
                .values()
                .map(|f| f.clone().unwrap_or_else(|| "nothing (not defined)".into()))
                .collect();
            models.sort();
            models.dedup();
            for f in models {
                *s.datamodels_from.entry(f).or_insert(0) += 1;
            }
        }
    }
    let mut causes: Vec<(String, usize)> = causes.into_iter().collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    s.causes = causes;
    s.percent_windows_fully_covered =
        100.0 * s.windows_fully_covered as f64 / s.windows_tested.max(1) as f64;
    let mut data_causes: Vec<(String, usize)> = data_causes.into_iter().collect();
    data_causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    s.data_causes = data_causes;
    Coverage {
        detections,
        summary: s,
    }
}

/// The terminal rendering: summary percentages and the top causes.
pub fn render(c: &Coverage) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let line = |out: &mut String, label: &str, t: &Tally| {
        let _ = writeln!(
            out,
            "{label:<42} {:>5} detections  {:>5.1}% parsed  {:>5.1}% supported",
            t.total,
            100.0 * t.parsed as f64 / t.total.max(1) as f64,
            t.percent_supported
        );
    };
    let s = &c.summary;
    line(&mut out, "all", &s.all);
    line(&mut out, "active (not deprecated)", &s.active);
    line(&mut out, "active with tests", &s.tested);
    let _ = writeln!(
        out,
        "\ndata side (tested): {} of {} covered ({} fully: engine and data); Windows event data: {} of {} fully covered ({:.1}%)",
        s.tested_data_covered,
        s.tested.total,
        s.tested_fully_covered,
        s.windows_fully_covered,
        s.windows_tested,
        s.percent_windows_fully_covered
    );
    let _ = writeln!(out, "\nby type (active):");
    for (k, t) in &s.by_type {
        line(&mut out, &format!("  {k}"), t);
    }
    let _ = writeln!(out, "\nby data model (tested):");
    for (k, t) in &s.by_datamodel {
        line(&mut out, &format!("  {k}"), t);
    }
    let _ = writeln!(out, "\nby data source (tested, 10 largest):");
    let mut ds: Vec<_> = s.by_data_source.iter().collect();
    ds.sort_by_key(|d| std::cmp::Reverse(d.1.total));
    for (k, t) in ds.into_iter().take(10) {
        line(&mut out, &format!("  {k}"), t);
    }
    let _ = writeln!(
        out,
        "\nwhy tested detections are not supported (first cause, largest first):"
    );
    for (k, n) in &s.causes {
        let _ = writeln!(out, "  {n:>5}  {k}");
    }
    let _ = writeln!(out, "\nwhere tested detections' fields come from:");
    for (k, n) in &s.fields_from {
        let _ = writeln!(out, "  {n:>5}  {k}");
    }
    let _ = writeln!(out, "\nwhere tested detections' data models come from:");
    for (k, n) in &s.datamodels_from {
        let _ = writeln!(out, "  {n:>5}  {k}");
    }
    let _ = writeln!(
        out,
        "\nwhy tested detections' data is not covered (first cause, 15 largest):"
    );
    for (k, n) in s.data_causes.iter().take(15) {
        let _ = writeln!(out, "  {n:>5}  {k}");
    }
    out
}
