//! The `test_results/summary.yml` that contentctl 4.4 writes after `contentctl test`
//! (`DetectionTestingView.getSummaryObject`, `Detection.get_summary`,
//! `BaseTestResult.get_summary_dict`), field by field, so CI scripts that read it keep
//! working when firedrill runs the tests:
//!
//! - `mode` is `all` for a content tree and `selected` for files named one by one;
//! - every detection entry has the same shape (`name`, `type`, `production_status`,
//!   `status`, `source_category`, `data_source`, `search`, `file_path`, `manual_test`,
//!   `success`, `tests`), whether tested, skipped or untested;
//! - each unit test is followed, after the unit tests, by its integration test, which
//!   contentctl skips unless integration testing is on (`TEST SKIPPED: Skipping all
//!   integration tests`);
//! - a skipped test is a success (`success: true`), as in contentctl;
//! - `skipped_detections` are those whose tests were all skipped (not production,
//!   Correlation, `manual_test`, no tests); `untested_detections` are those a run did
//!   not reach — for firedrill, selected detections whose search it cannot run
//!   (an unsupported command), each test saying `NO RESULT - Test not run` and why;
//! - `total_manual` counts detections tagged `manual_test`; `total_production`,
//!   `total_experimental`, `total_deprecated` and `total_manual` count tested and
//!   skipped detections, not untested ones;
//! - `success_rate` is passed / tested and `percent_complete` is contentctl's
//!   `getPercent(len(tested), len(untested))` — tested divided by *untested* — which
//!   contentctl prints as `UKNOWN` (sic) when there are no untested detections.

use crate::plan::{Planned, Prepared};
use crate::report::{DetectionReport, Reason, RunReport, TestReport};
use crate::verdict::Status;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Serialize, Deserialize)]
struct File {
    summary: Summary,
    tested_detections: Vec<Entry>,
    skipped_detections: Vec<Entry>,
    untested_detections: Vec<Entry>,
    percent_complete: String,
}

#[derive(Serialize, Deserialize)]
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

#[derive(Serialize, Deserialize)]
struct Entry {
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

/// A number as contentctl writes it: `0` for a test never run, seconds otherwise.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Seconds {
    Int(u8),
    Float(f64),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TestEntry {
    /// A test with a result.
    Result(ResultEntry),
    /// A test without one (`NO RESULT - Test not run`).
    NotRun(NotRunEntry),
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct ResultEntry {
    name: String,
    test_type: String,
    success: bool,
    message: String,
    exception: Option<String>,
    status: String,
    duration: Seconds,
    wait_duration: Option<u64>,
    resultCount: Option<String>,
    runDuration: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct NotRunEntry {
    name: String,
    test_type: String,
    success: bool,
    message: String,
}

/// The `mode` contentctl would report: `selected` when files were named, `all` for a
/// content tree.
pub fn mode(paths: &[PathBuf]) -> &'static str {
    if paths.is_empty() || paths.iter().any(|p| p.is_dir()) {
        "all"
    } else {
        "selected"
    }
}

/// contentctl's `Utils.getPercent`.
fn percent(numerator: usize, denominator: usize) -> String {
    if denominator == 0 {
        return "UKNOWN".into();
    }
    format!("{:.1}%", 100.0 * numerator as f64 / denominator as f64)
}

fn skipped(name: &str, test_type: &str, message: String) -> TestEntry {
    TestEntry::Result(ResultEntry {
        name: name.to_string(),
        test_type: test_type.to_string(),
        success: true,
        message,
        exception: None,
        status: "skip".into(),
        duration: Seconds::Int(0),
        wait_duration: None,
        resultCount: None,
        runDuration: None,
    })
}

fn errored(name: &str, test_type: &str, why: &str, duration_ms: f64) -> TestEntry {
    TestEntry::Result(ResultEntry {
        name: name.to_string(),
        test_type: test_type.to_string(),
        success: false,
        message: format!("EXCEPTION: {why}"),
        exception: Some(why.to_string()),
        status: "error".into(),
        duration: Seconds::Float((duration_ms / 10.0).round() / 100.0),
        wait_duration: None,
        resultCount: None,
        runDuration: None,
    })
}

fn not_run(name: &str, test_type: &str, why: &str) -> TestEntry {
    TestEntry::NotRun(NotRunEntry {
        name: name.to_string(),
        test_type: test_type.to_string(),
        success: false,
        message: format!("NO RESULT - Test not run (firedrill: {why})"),
    })
}

fn ran(test_type: &str, t: &TestReport) -> TestEntry {
    let secs = t.duration_ms / 1000.0;
    let (message, exception) = match t.status {
        Status::Pass => ("TEST PASSED".to_string(), None),
        _ => (
            "TEST FAILED".to_string(),
            match &t.outcome {
                Some(o) if !o.passed() => o.contentctl_exception(),
                // A failure the pass rule did not decide: an expectation, or Splunk's answer.
                _ => Some(t.reason.to_string()),
            },
        ),
    };
    TestEntry::Result(ResultEntry {
        name: t.name.clone(),
        test_type: test_type.to_string(),
        success: t.status == Status::Pass,
        message,
        exception,
        status: t.status.as_str().into(),
        duration: Seconds::Float((secs * 100.0).round() / 100.0),
        wait_duration: None,
        resultCount: Some(t.results.to_string()),
        runDuration: Some(format!("{secs:.3}")),
    })
}

/// Where a detection lands and its test entries.
enum Place {
    Tested,
    Skipped,
    Untested,
}

fn entries(p: &Planned, d: &DetectionReport) -> (Place, Vec<TestEntry>) {
    let det = &p.detection;
    let manual = det.manual_test.is_some();
    let test_type = if manual { "manual" } else { "unit" };
    let names: Vec<&str> = det.tests.iter().map(|t| t.name.as_str()).collect();
    let integration = |out: &mut Vec<TestEntry>| {
        if !manual {
            for n in &names {
                out.push(skipped(
                    n,
                    "integration",
                    "TEST SKIPPED: Skipping all integration tests".into(),
                ));
            }
        }
    };
    let mut out = Vec::new();
    if names.is_empty() {
        return (Place::Skipped, out);
    }
    if !p.selection.selected || matches!(p.program, Err(Prepared::NotSelected(_))) {
        let msg = p
            .selection
            .contentctl_skip
            .clone()
            .unwrap_or_else(|| "TEST SKIPPED".into());
        for n in &names {
            out.push(skipped(n, test_type, msg.clone()));
        }
        integration(&mut out);
        return (Place::Skipped, out);
    }
    let mut place = Place::Tested;
    match &p.program {
        Err(Prepared::Error(e)) => {
            for n in &names {
                out.push(errored(n, test_type, e, 0.0));
            }
        }
        Err(Prepared::Unsupported(_)) | Err(Prepared::NotSelected(_)) => {
            for n in &names {
                out.push(not_run(n, test_type, &d.reason.to_string()));
            }
            place = Place::Untested;
        }
        Ok(_) => {
            for n in &names {
                let Some(t) = d.tests.iter().find(|t| t.name == *n) else {
                    out.push(not_run(n, test_type, "no attack data"));
                    place = Place::Untested;
                    continue;
                };
                out.push(match t.status {
                    Status::Pass | Status::Fail => ran(test_type, t),
                    Status::Error => errored(n, test_type, &t.reason.to_string(), t.duration_ms),
                    Status::Skip if matches!(t.reason, Reason::Unsupported(_)) => {
                        place = Place::Untested;
                        not_run(n, test_type, &t.reason.to_string())
                    }
                    Status::Skip if t.reason == Reason::ManualTest => skipped(
                        n,
                        "manual",
                        "TEST SKIPPED (MANUAL): the test is marked manual".into(),
                    ),
                    Status::Skip => skipped(n, test_type, format!("TEST SKIPPED: {}", t.reason)),
                });
            }
        }
    }
    integration(&mut out);
    (place, out)
}

/// contentctl's `test_status` of a detection from its test entries.
fn status_of(tests: &[TestEntry]) -> &'static str {
    let statuses: Vec<&str> = tests
        .iter()
        .map(|t| match t {
            TestEntry::Result(r) => r.status.as_str(),
            TestEntry::NotRun(_) => "none",
        })
        .collect();
    if statuses.is_empty() || statuses.iter().all(|s| *s == "skip") {
        "skip"
    } else if statuses.iter().any(|s| *s == "fail" || *s == "error") {
        "fail"
    } else if statuses.contains(&"none") {
        "none"
    } else {
        "pass"
    }
}

/// Renders summary.yml for a run of `planned` detections (`mode` from [`mode`]).
pub fn render(planned: &[Planned], r: &RunReport, mode: &str) -> Result<String, String> {
    let mut tested = Vec::new();
    let mut skipped_d = Vec::new();
    let mut untested = Vec::new();
    let (mut production, mut experimental, mut deprecated, mut manual) = (0, 0, 0, 0);
    for (p, d) in planned.iter().zip(&r.detections) {
        let det = &p.detection;
        let status = det.effective_status();
        let (place, tests) = entries(p, d);
        let test_status = status_of(&tests);
        if !matches!(place, Place::Untested) {
            match status.as_str() {
                "production" => production += 1,
                "experimental" => experimental += 1,
                "deprecated" => deprecated += 1,
                _ => {}
            }
            if det.manual_test.is_some() {
                manual += 1;
            }
        }
        let success = tests.iter().all(|t| match t {
            TestEntry::Result(r) => r.success,
            TestEntry::NotRun(_) => false,
        });
        let entry = Entry {
            name: d.name.clone(),
            kind: det.kind.clone().unwrap_or_default(),
            production_status: status,
            status: test_status.into(),
            source_category: det
                .file
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            data_source: det.data_source.clone(),
            search: det.search.clone(),
            file_path: det.file.display().to_string(),
            manual_test: det.manual_test.clone(),
            success,
            tests,
        };
        match place {
            Place::Untested => untested.push(entry),
            _ if test_status == "skip" => skipped_d.push(entry),
            _ => tested.push(entry),
        }
    }
    let counts = Counts {
        production,
        experimental,
        deprecated,
        manual,
    };
    let file = finish(mode, tested, skipped_d, untested, counts);
    serde_yaml_ng::to_string(&file).map_err(|e| e.to_string())
}

/// Detections of each status among the tested and skipped ones.
struct Counts {
    production: usize,
    experimental: usize,
    deprecated: usize,
    manual: usize,
}

/// The file from its three lists: sorted as contentctl sorts them, totals counted.
fn finish(
    mode: &str,
    mut tested: Vec<Entry>,
    mut skipped_d: Vec<Entry>,
    mut untested: Vec<Entry>,
    c: Counts,
) -> File {
    // Failures first, then by name; skipped ones with tests before those without.
    tested.sort_by(|a, b| a.success.cmp(&b.success).then(a.name.cmp(&b.name)));
    skipped_d.sort_by(|a, b| {
        a.tests
            .is_empty()
            .cmp(&b.tests.is_empty())
            .then(a.name.cmp(&b.name))
    });
    untested.sort_by(|a, b| a.name.cmp(&b.name));
    let total_pass = tested.iter().filter(|t| t.status == "pass").count();
    let total_fail = tested.iter().filter(|t| t.status == "fail").count();
    let total_tested = total_pass + total_fail;
    File {
        summary: Summary {
            mode: mode.to_string(),
            enable_integration_testing: false,
            success: total_fail + untested.len() == 0,
            total_detections: total_fail + total_pass + untested.len() + skipped_d.len(),
            total_tested_detections: total_tested,
            total_pass,
            total_fail,
            total_skipped: skipped_d.len(),
            total_untested: untested.len(),
            total_production: c.production,
            total_experimental: c.experimental,
            total_deprecated: c.deprecated,
            total_manual: c.manual,
            success_rate: percent(total_pass, total_tested),
        },
        percent_complete: percent(tested.len(), untested.len()),
        tested_detections: tested,
        skipped_detections: skipped_d,
        untested_detections: untested,
    }
}

/// The summary.yml files of `run --shard K/N` runs as one: each detection once (by
/// file and name), the totals counted again as [`render`] counts them. `files` are
/// (name for errors, text).
pub fn merge(files: &[(String, String)]) -> Result<String, String> {
    let mut seen = std::collections::BTreeSet::new();
    let (mut tested, mut skipped_d, mut untested) = (Vec::new(), Vec::new(), Vec::new());
    let mut mode = "selected";
    for (name, text) in files {
        let f: File = serde_yaml_ng::from_str(text)
            .map_err(|e| format!("{name}: not a summary.yml of firedrill or contentctl: {e}"))?;
        if f.summary.mode == "all" {
            mode = "all";
        }
        for (list, into) in [
            (f.tested_detections, &mut tested),
            (f.skipped_detections, &mut skipped_d),
            (f.untested_detections, &mut untested),
        ] {
            for e in list {
                if seen.insert((e.file_path.clone(), e.name.clone())) {
                    into.push(e);
                }
            }
        }
    }
    let mut c = Counts {
        production: 0,
        experimental: 0,
        deprecated: 0,
        manual: 0,
    };
    for e in tested.iter().chain(&skipped_d) {
        match e.production_status.as_str() {
            "production" => c.production += 1,
            "experimental" => c.experimental += 1,
            "deprecated" => c.deprecated += 1,
            _ => {}
        }
        c.manual += e.manual_test.is_some() as usize;
    }
    let file = finish(mode, tested, skipped_d, untested, c);
    serde_yaml_ng::to_string(&file).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_contentctl_get_percent() {
        assert_eq!(percent(3, 4), "75.0%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(5, 0), "UKNOWN");
    }
}
