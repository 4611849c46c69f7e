//! The `test_results/summary.yml` file Splunk's contentctl writes, so CI scripts that
//! read it keep working when firedrill runs the tests.

use crate::plan::Planned;
use crate::report::{Reason, RunReport};
use crate::verdict::Status;
use serde::Serialize;

#[derive(Serialize)]
struct File {
    summary: Summary,
    tested_detections: Vec<Tested>,
    skipped_detections: Vec<Other>,
    untested_detections: Vec<Other>,
    percent_complete: String,
}

#[derive(Serialize)]
struct Summary {
    mode: String,
    enable_integration_testing: bool,
    success: bool,
    total_detections: usize,
    total_tested_detections: usize,
    total_pass: usize,
    total_fail: usize,
    total_skipped: usize,
    total_untested: usize,
    total_production: usize,
    total_experimental: usize,
    total_deprecated: usize,
    total_manual: usize,
    success_rate: String,
}

#[derive(Serialize)]
struct Tested {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    production_status: String,
    status: String,
    source_category: String,
    data_source: Vec<String>,
    search: String,
    file_path: String,
    manual_test: Option<String>,
    success: bool,
    tests: Vec<TestEntry>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct TestEntry {
    name: String,
    test_type: String,
    success: bool,
    message: String,
    exception: Option<String>,
    status: String,
    duration: f64,
    wait_duration: Option<f64>,
    resultCount: String,
    runDuration: String,
}

#[derive(Serialize)]
struct Other {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    production_status: String,
    status: String,
    file_path: String,
    reason: String,
}

/// Renders summary.yml for a run of `planned` detections.
pub fn render(planned: &[Planned], r: &RunReport, mode: &str) -> Result<String, String> {
    let mut tested = Vec::new();
    let mut skipped = Vec::new();
    let mut untested = Vec::new();
    let (mut production, mut experimental, mut deprecated, mut manual) = (0, 0, 0, 0);
    for (p, d) in planned.iter().zip(&r.detections) {
        let det = &p.detection;
        let status = det.status.clone().unwrap_or_else(|| "production".into());
        match status.as_str() {
            "experimental" => experimental += 1,
            "deprecated" => deprecated += 1,
            _ => production += 1,
        }
        let kind = det.kind.clone().unwrap_or_default();
        let file_path = det.file.display().to_string();
        let category = det
            .file
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if d.tests.iter().any(|t| t.reason == Reason::ManualTest) {
            manual += 1;
        }
        if d.tests.is_empty() && d.reason == Reason::NoTestData {
            untested.push(Other {
                name: d.name.clone(),
                kind,
                production_status: status,
                status: "untested".into(),
                file_path,
                reason: d.reason.to_string(),
            });
            continue;
        }
        if d.status == Status::Skip {
            skipped.push(Other {
                name: d.name.clone(),
                kind,
                production_status: status,
                status: "skip".into(),
                file_path,
                reason: d.reason.to_string(),
            });
            continue;
        }
        let tests = d
            .tests
            .iter()
            .map(|t| TestEntry {
                name: t.name.clone(),
                test_type: "unit".into(),
                success: t.status == Status::Pass,
                message: if t.status == Status::Pass {
                    "TEST PASSED".into()
                } else {
                    t.reason
                        .to_string()
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_string()
                },
                exception: (t.status == Status::Error).then(|| t.reason.to_string()),
                status: t.status.as_str().into(),
                duration: (t.duration_ms / 1000.0 * 1000.0).round() / 1000.0,
                wait_duration: None,
                resultCount: t.results.to_string(),
                runDuration: format!("{:.3}", t.duration_ms / 1000.0),
            })
            .collect();
        tested.push(Tested {
            name: d.name.clone(),
            kind,
            production_status: status,
            status: d.status.as_str().into(),
            source_category: category,
            data_source: det.data_source.clone(),
            search: det.search.clone(),
            file_path,
            manual_test: None,
            success: d.status == Status::Pass,
            tests,
        });
    }
    // Failures first, then by name (as contentctl orders them).
    tested.sort_by(|a, b| a.success.cmp(&b.success).then(a.name.cmp(&b.name)));
    let total_pass = tested.iter().filter(|t| t.success).count();
    let total_fail = tested.len() - total_pass;
    let rate = if tested.is_empty() {
        0.0
    } else {
        100.0 * total_pass as f64 / tested.len() as f64
    };
    let file = File {
        summary: Summary {
            mode: mode.to_string(),
            enable_integration_testing: false,
            success: total_fail == 0,
            total_detections: r.detections.len(),
            total_tested_detections: tested.len(),
            total_pass,
            total_fail,
            total_skipped: skipped.len(),
            total_untested: untested.len(),
            total_production: production,
            total_experimental: experimental,
            total_deprecated: deprecated,
            total_manual: manual,
            success_rate: format!("{rate:.1}%"),
        },
        tested_detections: tested,
        skipped_detections: skipped,
        untested_detections: untested,
        percent_complete: "100.0%".into(),
    };
    serde_yaml_ng::to_string(&file).map_err(|e| e.to_string())
}
