//! Runs planned detections against their test datasets: fetch every dataset once,
//! read each file once, build one data view per distinct dataset set, then evaluate
//! every test in parallel.

use crate::datasource::DataView;
use crate::expectations::Expectation;
use crate::lookups::Lookups;
use crate::plan::{Planned, Prepared};
use crate::rba::{risk_events, RiskEvent};
use crate::verdict::{judge_test, Judgement, Outcome, Status};
use firedrill_content::{AttackData, Detection};
use firedrill_dataset::{Fetched, Fetcher};
use firedrill_events::{read_events, SourceMeta};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What happened to one dataset file.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetReport {
    /// The reference as the detection names it (URL or path).
    pub reference: String,
    /// The local file read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Events read.
    pub events: usize,
    /// Malformed or junk regions skipped (each reported on stderr with its offset).
    pub skipped: usize,
    /// The source used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The sourcetype used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sourcetype: Option<String>,
    /// True if this run downloaded it.
    pub downloaded: bool,
    /// Why it could not be used, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of one test of a detection.
#[derive(Clone, Debug, Serialize)]
pub struct TestReport {
    /// Test name.
    pub name: String,
    /// Status.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// Result rows.
    pub results: usize,
    /// Risk events raised.
    pub risk: Vec<RiskEvent>,
    /// The datasets it read.
    pub datasets: Vec<DatasetReport>,
    /// Wall time of the search, in milliseconds.
    pub duration_ms: f64,
    /// Splunk's answer, when the differential check ran (`--splunk`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splunk: Option<crate::splunk::SplunkAnswer>,
    /// What the pass rule decided (which row and field), when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// The result of one detection (its worst test decides its status).
#[derive(Clone, Debug, Serialize)]
pub struct DetectionReport {
    /// Detection name.
    pub name: String,
    /// Detection id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The file it was read from.
    pub file: String,
    /// Overall status.
    pub status: Status,
    /// Why (the worst test's reason).
    pub reason: String,
    /// Result rows over all tests.
    pub results: usize,
    /// Risk events over all tests.
    pub risk: Vec<RiskEvent>,
    /// How the risk objects were decided.
    pub risk_rule: String,
    /// Whether it was selected for testing (contentctl's rule, or the flags).
    pub selected: bool,
    /// Why not, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_reason: Option<String>,
    /// Standard macros taken from firedrill's built-in definitions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub macro_defaults: Vec<String>,
    /// Per test.
    pub tests: Vec<TestReport>,
}

/// Counts by status, plus totals.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Detections run.
    pub total: usize,
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Could not run.
    pub error: usize,
    /// Not judged.
    pub skip: usize,
    /// Distinct dataset files used.
    pub datasets: usize,
    /// Events read from them.
    pub events: usize,
    /// Wall time in milliseconds.
    pub duration_ms: f64,
}

/// Everything a run produced.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// One entry per detection.
    pub detections: Vec<DetectionReport>,
    /// Counts.
    pub summary: Summary,
}

/// One dataset file as read: events or the reason they could not be read.
struct ReadData {
    report: DatasetReport,
    events: Option<Arc<Vec<firedrill_value::Event>>>,
}

fn dataset_key(a: &AttackData) -> DatasetKey {
    (a.data.clone(), a.source.clone(), a.sourcetype.clone())
}

/// Runs `planned` detections. `warn` receives messages for stderr (skipped regions...);
/// `progress` shows a bar of detections run (the caller decides: a terminal on stderr).
pub fn run(
    planned: &[Planned],
    fetcher: &Fetcher,
    expectations: &[Expectation],
    lookups: Arc<Lookups>,
    warn: &(dyn Fn(String) + Sync),
    progress: bool,
) -> RunReport {
    let started = Instant::now();
    // Phase 1: fetch each distinct dataset reference once.
    let mut refs: Vec<String> = planned
        .iter()
        .filter(|p| p.pipeline.is_ok())
        .flat_map(|p| p.detection.tests.iter())
        .flat_map(|t| t.attack_data.iter().map(|a| a.data.clone()))
        .collect();
    refs.sort();
    refs.dedup();
    let fetched: HashMap<String, Result<Fetched, String>> = refs
        .par_iter()
        .map(|r| (r.clone(), fetcher.fetch(r).map_err(|e| e.to_string())))
        .collect();

    // Phase 2: read each distinct (file, source, sourcetype) once.
    let mut keys: Vec<DatasetKey> = planned
        .iter()
        .filter(|p| p.pipeline.is_ok())
        .flat_map(|p| p.detection.tests.iter())
        .flat_map(|t| t.attack_data.iter().map(dataset_key))
        .collect();
    keys.sort();
    keys.dedup();
    let reads: HashMap<_, ReadData> = keys
        .par_iter()
        .map(|k| (k.clone(), read_one(k, fetched.get(&k.0), warn)))
        .collect();

    // Phase 3: one data view per distinct set of datasets, then every test.
    let views: Views = Default::default();
    let bar = if progress {
        let b = indicatif::ProgressBar::new(planned.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} detections {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let detections: Vec<DetectionReport> = planned
        .par_iter()
        .map(|p| {
            let r = run_detection(p, &reads, &views, &lookups, expectations);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();

    let mut summary = Summary {
        total: detections.len(),
        datasets: reads.values().filter(|r| r.events.is_some()).count(),
        events: reads.values().map(|r| r.report.events).sum(),
        ..Summary::default()
    };
    for d in &detections {
        match d.status {
            Status::Pass => summary.pass += 1,
            Status::Fail => summary.fail += 1,
            Status::Error => summary.error += 1,
            Status::Skip => summary.skip += 1,
        }
    }
    summary.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    RunReport {
        detections,
        summary,
    }
}

fn read_one(
    key: &DatasetKey,
    fetched: Option<&Result<Fetched, String>>,
    warn: &(dyn Fn(String) + Sync),
) -> ReadData {
    let mut report = DatasetReport {
        reference: key.0.clone(),
        path: None,
        events: 0,
        skipped: 0,
        source: key.1.clone(),
        sourcetype: key.2.clone(),
        downloaded: false,
        error: None,
    };
    let f = match fetched {
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            report.error = Some(e.clone());
            return ReadData {
                report,
                events: None,
            };
        }
        None => {
            report.error = Some("dataset was not fetched".into());
            return ReadData {
                report,
                events: None,
            };
        }
    };
    report.path = Some(f.path.display().to_string());
    report.downloaded = f.downloaded;
    if report.source.is_none() {
        report.source = f.meta.as_ref().and_then(|m| m.source.clone());
    }
    if report.sourcetype.is_none() {
        report.sourcetype = f.meta.as_ref().and_then(|m| m.sourcetype.clone());
    }
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(e) => {
            report.error = Some(format!("{}: {e}", f.path.display()));
            return ReadData {
                report,
                events: None,
            };
        }
    };
    let meta = SourceMeta {
        source: report.source.clone(),
        sourcetype: report.sourcetype.clone(),
        host: None,
    };
    match read_events(&bytes, &meta) {
        Ok(out) => {
            report.events = out.events.len();
            report.skipped = out.skipped.len();
            for s in out.skipped.iter().take(5) {
                warn(format!(
                    "{}: skipped {} bytes at byte offset {}: {}",
                    f.path.display(),
                    s.len,
                    s.offset,
                    s.reason
                ));
            }
            if out.skipped.len() > 5 {
                warn(format!(
                    "{}: … and {} more skipped regions",
                    f.path.display(),
                    out.skipped.len() - 5
                ));
            }
            ReadData {
                report,
                events: Some(Arc::new(out.events)),
            }
        }
        Err(e) => {
            report.error = Some(format!("{}: {e}", f.path.display()));
            ReadData {
                report,
                events: None,
            }
        }
    }
}

/// A dataset as a test names it: reference, source, sourcetype.
type DatasetKey = (String, Option<String>, Option<String>);

/// Data views shared by tests that read the same datasets.
type Views = std::sync::Mutex<HashMap<Vec<DatasetKey>, Arc<DataView>>>;

fn view_for(
    keys: &[DatasetKey],
    reads: &HashMap<DatasetKey, ReadData>,
    views: &Views,
    lookups: &Arc<Lookups>,
) -> Option<Arc<DataView>> {
    if let Ok(v) = views.lock() {
        if let Some(view) = v.get(keys) {
            return Some(view.clone());
        }
    }
    let mut events = Vec::new();
    for k in keys {
        events.extend(reads.get(k)?.events.as_ref()?.iter().cloned());
    }
    let view = Arc::new(DataView::with_lookups(events, lookups.clone()));
    if let Ok(mut v) = views.lock() {
        return Some(v.entry(keys.to_vec()).or_insert(view).clone());
    }
    Some(view)
}

fn matching<'a>(d: &Detection, test: &str, all: &'a [Expectation]) -> Vec<&'a Expectation> {
    all.iter()
        .filter(|e| {
            (e.detection.eq_ignore_ascii_case(&d.name)
                || d.id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&e.detection)))
                && e.test.as_deref().is_none_or(|t| t == test)
        })
        .collect()
}

fn run_detection(
    p: &Planned,
    reads: &HashMap<DatasetKey, ReadData>,
    views: &Views,
    lookups: &Arc<Lookups>,
    expectations: &[Expectation],
) -> DetectionReport {
    let d = &p.detection;
    let mut report = DetectionReport {
        name: d.name.clone(),
        id: d.id.clone(),
        file: d.file.display().to_string(),
        status: Status::Pass,
        reason: String::new(),
        results: 0,
        risk: Vec::new(),
        risk_rule: p.risk_rule.clone(),
        selected: p.selection.selected,
        selection_reason: p.selection.reason.clone(),
        macro_defaults: p.macro_defaults.clone(),
        tests: Vec::new(),
    };
    let overall = |r: &mut DetectionReport, j: Judgement| {
        r.status = j.status;
        r.reason = j.reason;
    };
    let pipeline = match &p.pipeline {
        Ok(pl) => pl,
        Err(Prepared::Error(e)) => {
            overall(&mut report, Judgement::new(Status::Error, e.clone()));
            return report;
        }
        Err(Prepared::Unsupported(u)) => {
            overall(
                &mut report,
                Judgement::new(Status::Skip, format!("unsupported: {u}")),
            );
            return report;
        }
        Err(Prepared::NotSelected(why)) => {
            overall(
                &mut report,
                Judgement::new(Status::Skip, format!("not selected: {why}")),
            );
            return report;
        }
    };
    let tests: Vec<_> = d
        .tests
        .iter()
        .filter(|t| !t.attack_data.is_empty())
        .collect();
    if tests.is_empty() {
        overall(
            &mut report,
            Judgement::new(Status::Skip, "no test with attack data"),
        );
        return report;
    }
    for t in tests {
        let started = Instant::now();
        let keys: Vec<_> = t.attack_data.iter().map(dataset_key).collect();
        let datasets: Vec<DatasetReport> = keys
            .iter()
            .filter_map(|k| reads.get(k).map(|r| r.report.clone()))
            .collect();
        let mut tr = TestReport {
            name: t.name.clone(),
            status: Status::Pass,
            reason: String::new(),
            results: 0,
            risk: Vec::new(),
            datasets,
            duration_ms: 0.0,
            splunk: None,
            outcome: None,
        };
        let judgement = if t.test_type.eq_ignore_ascii_case("manual") {
            Judgement::new(Status::Skip, "manual test")
        } else if let Some(bad) = tr.datasets.iter().find(|r| r.error.is_some()) {
            Judgement::new(Status::Error, bad.error.clone().unwrap_or_default())
        } else {
            match view_for(&keys, reads, views, lookups) {
                None => Judgement::new(Status::Error, "dataset could not be read"),
                Some(view) => match firedrill_spl::run(pipeline, view.as_ref()) {
                    Ok(rows) => {
                        let risk = risk_events(d, &rows);
                        tr.results = rows.len();
                        let exp = matching(d, &t.name, expectations);
                        let j = judge_test(p.pass_rule, d, Some(t), &rows, &risk, &exp);
                        tr.risk = risk;
                        j
                    }
                    Err(firedrill_spl::ExecError::Unsupported(u)) => Judgement::new(
                        Status::Skip,
                        format!("unsupported: {}", u.render(&p.expanded)),
                    ),
                    Err(e) => Judgement::new(Status::Error, e.render(&p.expanded)),
                },
            }
        };
        tr.status = judgement.status;
        tr.reason = judgement.reason;
        tr.outcome = judgement.outcome;
        tr.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        report.tests.push(tr);
    }
    let worst = report.tests.iter().max_by_key(|t| t.status).cloned();
    if let Some(w) = worst {
        report.status = w.status;
        report.reason = if report.tests.len() > 1 {
            format!("{}: {}", w.name, w.reason)
        } else {
            w.reason
        };
    }
    report.results = report.tests.iter().map(|t| t.results).sum();
    report.risk = report
        .tests
        .iter()
        .flat_map(|t| t.risk.iter().cloned())
        .collect();
    report
}
