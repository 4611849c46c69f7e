//! Reports of a run: a table for people, JSON for scripts, JUnit XML for CI systems.

pub mod annotations;
pub mod junit;
pub mod model;
pub mod summary_yml;
pub mod table;

pub use model::{
    iso_time, row_json, DatasetReport, DetectionReport, Mode, Reason, RunReport, Status, Summary,
    TestReport,
};

/// The JSON report: `{"detections": [...], "summary": {...}}` (documented in the README).
pub fn json(r: &RunReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
