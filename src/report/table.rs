//! The terminal table: one line per detection (and per test when there are several),
//! then the reasons for anything that did not pass, then a summary line.

use crate::report::{Mode, RunReport};
use crate::verdict::Status;
use std::fmt::Write;

/// How the table is drawn.
#[derive(Clone, Copy, Default)]
pub struct TableOptions {
    /// ANSI colours in the status column.
    pub color: bool,
    /// Only the detections that did not pass (and the summary).
    pub quiet: bool,
}

/// Renders the table. `color` adds ANSI colours to the status column.
pub fn render(r: &RunReport, color: bool) -> String {
    render_with(
        r,
        &TableOptions {
            color,
            quiet: false,
        },
    )
}

/// Renders the table with `o`; past ten detections a line names the slowest.
pub fn render_with(r: &RunReport, o: &TableOptions) -> String {
    let color = o.color;
    let mut out = String::new();
    let width = r
        .detections
        .iter()
        .map(|d| d.name.chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 70);
    let _ = writeln!(
        out,
        "{:<6} {:<width$} {:>7} {:>5}  REASON",
        "STATUS", "DETECTION", "RESULTS", "RISK"
    );
    for d in r
        .detections
        .iter()
        .filter(|d| !o.quiet || d.status != Status::Pass)
    {
        let name: String = d.name.chars().take(width).collect();
        let reason_text = d.reason.to_string();
        let reason = first_line(&reason_text);
        let _ = writeln!(
            out,
            "{} {:<width$} {:>7} {:>5}  {}",
            status(d.status, r.mode, color),
            name,
            d.results,
            d.risk.len(),
            reason
        );
        rows(&mut out, d);
    }
    let details: Vec<_> = r
        .detections
        .iter()
        .filter(|d| d.status != Status::Pass && d.reason.to_string().contains('\n'))
        .collect();
    if !details.is_empty() {
        let _ = writeln!(out);
        for d in details {
            let _ = writeln!(
                out,
                "{} ({}):\n{}\n",
                d.name,
                d.file,
                indent(&d.reason.to_string())
            );
        }
    }
    slowest(&mut out, r);
    let s = &r.summary;
    let (pass, fail) = match r.mode {
        Mode::Tests => ("passed", "failed"),
        Mode::Datasets => ("fired", "quiet"),
    };
    let _ = writeln!(
        out,
        "\n{} detections: {} {pass}, {} {fail}, {} errors, {} skipped ({} events from {} datasets in {:.2}s)",
        s.total,
        s.pass,
        s.fail,
        s.error,
        s.skip,
        s.events,
        s.datasets,
        s.duration_ms / 1000.0
    );
    out
}

/// `--show-results`: each test's rows under its detection, `_time` first, one line
/// each (values cut at 120 characters).
fn rows(out: &mut String, d: &crate::report::DetectionReport) {
    let several = d.tests.iter().filter(|t| !t.rows.is_empty()).count() > 1;
    for t in d.tests.iter().filter(|t| !t.rows.is_empty()) {
        if several {
            let _ = writeln!(out, "       {}:", t.name);
        }
        for (i, row) in t.rows.iter().enumerate() {
            let mut parts: Vec<String> = Vec::new();
            let mut keys: Vec<&String> = row.keys().collect();
            keys.sort_by_key(|k| (k.as_str() != "_time", k.starts_with('_'), k.as_str()));
            for k in keys {
                let v = match &row[k] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|x| match x {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                let v: String = v.replace(['\n', '\r', '\t'], " ");
                let v = if v.chars().count() > 120 {
                    v.chars().take(119).chain(['…']).collect()
                } else {
                    v
                };
                parts.push(format!("{k}={v}"));
            }
            let _ = writeln!(out, "       row {}: {}", i + 1, parts.join("  "));
        }
    }
}

/// The three detections that took longest (the sum of their tests' times), and the
/// three datasets whose pass took longest, when the run has more than ten detections.
fn slowest(out: &mut String, r: &RunReport) {
    if r.detections.len() <= 10 {
        return;
    }
    let mut times: Vec<(f64, &str)> = r
        .detections
        .iter()
        .map(|d| {
            (
                d.tests.iter().map(|t| t.duration_ms).sum::<f64>(),
                d.name.as_str(),
            )
        })
        .filter(|(t, _)| *t > 0.0)
        .collect();
    times.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    if times.is_empty() {
        return;
    }
    let parts: Vec<String> = times
        .iter()
        .take(3)
        .map(|(t, n)| format!("{n} ({:.2}s)", t / 1000.0))
        .collect();
    let _ = write!(out, "\nslowest: {}\n", parts.join(", "));
    // Datasets, each once (several tests may read one pass).
    let mut reads: Vec<(f64, &str)> = Vec::new();
    for ds in r
        .detections
        .iter()
        .flat_map(|d| &d.tests)
        .flat_map(|t| &t.datasets)
    {
        if ds.read_ms > 0.0 && !reads.iter().any(|(_, n)| *n == ds.reference) {
            reads.push((ds.read_ms, &ds.reference));
        }
    }
    reads.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    if !reads.is_empty() {
        let parts: Vec<String> = reads
            .iter()
            .take(3)
            .map(|(t, n)| {
                let short = n.rsplit('/').next().unwrap_or(n);
                format!("{short} ({:.2}s)", t / 1000.0)
            })
            .collect();
        let _ = writeln!(out, "slowest datasets: {}", parts.join(", "));
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn status(s: Status, mode: Mode, color: bool) -> String {
    let word = match (mode, s) {
        (Mode::Datasets, Status::Pass) => "FIRED".to_string(),
        (Mode::Datasets, Status::Fail) => "quiet".to_string(),
        _ => s.as_str().to_uppercase(),
    };
    let text = format!("{word:<6}");
    if !color {
        return text;
    }
    let code = match s {
        Status::Pass => "32",
        Status::Fail => "31",
        Status::Error => "35",
        Status::Skip => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
