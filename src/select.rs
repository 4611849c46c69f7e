//! What a run tests and when it has failed: contentctl's selection (in
//! `firedrill_content`), notes about built-in macro definitions, and the exit rule — a
//! deprecated detection never fails a run, and detections that were not selected do
//! not count as skips.

use crate::plan::Planned;
use crate::report::RunReport;
use crate::verdict::Status;

/// Calls `note` once per detection that used firedrill's built-in definitions of
/// standard macros (no content tree defines them), naming them.
pub fn note_macro_defaults(planned: &[Planned], note: &dyn Fn(String)) {
    for p in planned.iter().filter(|p| !p.macro_defaults.is_empty()) {
        note(format!(
            "{}: no content tree defines {}; using firedrill's built-in definitions of these standard security_content macros",
            p.detection.name,
            p.macro_defaults
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// True when the run failed: a selected detection that is not deprecated failed or
/// errored (or, with `strict`, was skipped).
pub fn run_failed(planned: &[Planned], report: &RunReport, strict: bool) -> bool {
    planned.iter().zip(&report.detections).any(|(p, d)| {
        if !p.selection.selected || p.deprecated() {
            return false;
        }
        match d.status {
            Status::Fail | Status::Error => true,
            Status::Skip => strict,
            Status::Pass => false,
        }
    })
}
