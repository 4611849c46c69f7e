//! GitHub Actions workflow commands: one `::error` annotation per failing or erroring
//! detection, on its file at the line of its `search:` (or line 1), so that a pull
//! request shows each broken detection where it is.

use crate::plan::Planned;
use crate::report::{Mode, RunReport, Status};

/// The line (from 1) of `search:` in the detection's file, if it has one.
fn search_line(file: &str) -> usize {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| t.lines().position(|l| l.starts_with("search:")))
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// `%`, CR and LF escaped as workflow commands need them.
fn escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotation lines for `r` (deprecated detections never fail a run: none).
pub fn github(planned: &[Planned], r: &RunReport) -> Vec<String> {
    r.detections
        .iter()
        // Over `--dataset` files a quiet detection is an answer, not a failure.
        .filter(|d| {
            d.status == Status::Error || (d.status == Status::Fail && r.mode == Mode::Tests)
        })
        .filter(|d| {
            !planned
                .iter()
                .any(|p| p.detection.name == d.name && p.deprecated())
        })
        .map(|d| {
            format!(
                "::error file={},line={},title={}::{}",
                escape_property(&d.file),
                search_line(&d.file),
                escape_property(&format!("firedrill {}: {}", d.status.as_str(), d.name)),
                escape(&d.reason.to_string())
            )
        })
        .collect()
}
