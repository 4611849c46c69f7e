//! The terminal table: one line per detection (and per test when there are several),
//! then the reasons for anything that did not pass, then a summary line.

use crate::report::{Mode, RunReport};
use crate::verdict::Status;
use std::fmt::Write;

/// Renders the table. `color` adds ANSI colours to the status column.
pub fn render(r: &RunReport, color: bool) -> String {
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
    for d in &r.detections {
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
