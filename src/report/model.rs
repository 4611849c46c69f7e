//! What a run produced, as plain data: one [`DetectionReport`] per detection with a
//! [`TestReport`] per test, each with a [`Status`] and a typed [`Reason`]. Every
//! renderer (table, JSON, JUnit, summary.yml) and `coverage` read these types; none
//! parses a reason string.

use crate::rba::RiskEvent;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The outcome of a test or a detection. Ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The detection fired as documented.
    Pass,
    /// Not judged (unsupported construct, no test data, known failure), with the reason.
    Skip,
    /// It ran and did not fire as documented.
    Fail,
    /// It could not run (bad search, missing or corrupt dataset, engine error).
    Error,
}

impl Status {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// Why a test or detection has its status.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// The pass rule and the expectations decided (passed, failed, known failure).
    Verdict(String),
    /// The search does not parse, a macro does not expand, or the search is invalid.
    Search(String),
    /// The detection's file could not be loaded (file, line and what is wrong).
    Content(String),
    /// The search uses something firedrill does not support (rendered with a caret).
    Unsupported(String),
    /// The detection has no test with attack data.
    NoTestData,
    /// A manual test (not run automatically).
    ManualTest,
    /// Not selected for testing (contentctl's rule, or the flags), and why.
    NotSelected(String),
    /// A dataset is missing, corrupt or unreadable.
    Dataset(String),
    /// The search failed while running.
    Runtime(String),
    /// The differential check against a real Splunk disagreed or failed.
    Splunk(String),
    /// Over `--dataset` files: the detection returned results on these files (name,
    /// results), out of `of`.
    Fired {
        /// Files it fired on, with their result counts.
        files: Vec<(String, usize)>,
        /// Files it ran over.
        of: usize,
    },
    /// Over `--dataset` files: no results on any of `of` files.
    Quiet {
        /// Files it ran over.
        of: usize,
    },
    /// A detection with several tests: its worst test and that test's reason.
    Test {
        /// The test's name.
        name: String,
        /// Its reason.
        reason: Box<Reason>,
    },
}

impl Reason {
    /// The reason of the test itself (unwrapping [`Reason::Test`]).
    pub fn innermost(&self) -> &Reason {
        match self {
            Reason::Test { reason, .. } => reason.innermost(),
            other => other,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Verdict(s)
            | Reason::Search(s)
            | Reason::Content(s)
            | Reason::Dataset(s)
            | Reason::Runtime(s)
            | Reason::Splunk(s) => f.write_str(s),
            Reason::Unsupported(s) => write!(f, "unsupported: {s}"),
            Reason::NoTestData => f.write_str("no test with attack data"),
            Reason::ManualTest => f.write_str("manual test"),
            Reason::NotSelected(s) => write!(f, "not selected: {s}"),
            Reason::Test { name, reason } => write!(f, "{name}: {reason}"),
            Reason::Fired { files, of } => {
                write!(f, "fired on {} of {of} files:", files.len())?;
                for (i, (name, n)) in files.iter().enumerate() {
                    if i == 3 {
                        return write!(f, " …");
                    }
                    let short = name.rsplit('/').next().unwrap_or(name);
                    write!(f, "{} {short} ({n})", if i > 0 { "," } else { "" })?;
                }
                Ok(())
            }
            Reason::Quiet { of } => write!(f, "no results on any of {of} files"),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A report read back (`firedrill merge`) keeps each reason as the text it was
/// written as: every renderer shows the same line.
impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Reason::Verdict)
    }
}

/// What happened to one dataset file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DatasetReport {
    /// The reference as the detection names it (URL or path).
    pub reference: String,
    /// The local file read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Events read.
    pub events: u64,
    /// Malformed or junk regions skipped (each reported on stderr with its offset).
    pub skipped: u64,
    /// The source used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The sourcetype used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sourcetype: Option<String>,
    /// True if this run downloaded it.
    pub downloaded: bool,
    /// Wall time of the pass over it (shared by every test that reads it), in
    /// milliseconds.
    #[serde(default)]
    pub read_ms: f64,
    /// Why it could not be used, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of one test of a detection.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestReport {
    /// Test name.
    pub name: String,
    /// Status.
    pub status: Status,
    /// Why.
    pub reason: Reason,
    /// Result rows.
    pub results: usize,
    /// Risk events raised.
    pub risk: Vec<RiskEvent>,
    /// The datasets it read.
    pub datasets: Vec<DatasetReport>,
    /// Wall time from its first event to its verdict, in milliseconds.
    pub duration_ms: f64,
    /// Splunk's answer, when the differential check ran (`--splunk`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splunk: Option<crate::splunk::SplunkAnswer>,
    /// What the pass rule decided (which row and field), when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<crate::verdict::Outcome>,
    /// Its first result rows (`--show-results N`), every field (multivalue as arrays,
    /// `_time` in ISO 8601).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// A result row as JSON: text values, multivalue fields as arrays, `_time` in ISO 8601
/// (UTC).
pub fn row_json(row: &firedrill_value::Row) -> serde_json::Map<String, serde_json::Value> {
    use firedrill_value::Value;
    fn json(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Multi(vs) => serde_json::Value::Array(vs.iter().map(json).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), json(v))).collect())
            }
            v => serde_json::Value::String(v.to_string()),
        }
    }
    let mut m = serde_json::Map::new();
    for (k, v) in row {
        let j = match v {
            Value::Null => continue,
            v if k == "_time" => serde_json::Value::String(iso_time(v)),
            v => json(v),
        };
        m.insert(k.clone(), j);
    }
    m
}

/// `_time` as `2024-03-05T10:00:00.000Z` (the text itself when it is not a number of
/// seconds: SPL2 sources count milliseconds).
pub fn iso_time(v: &firedrill_value::Value) -> String {
    match v.as_num().filter(|t| t.abs() < 1e11) {
        Some(t) => {
            let secs = t.floor() as i64;
            let nanos = (((t - t.floor()) * 1e9).round() as u32).min(999_999_999);
            match chrono::DateTime::from_timestamp(secs, nanos) {
                Some(d) => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                None => v.to_string(),
            }
        }
        None => v.to_string(),
    }
}

/// The result of one detection (its worst test decides its status).
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    pub reason: Reason,
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub macro_defaults: Vec<String>,
    /// Per test.
    pub tests: Vec<TestReport>,
}

impl DetectionReport {
    /// The entry of a detection file that could not be loaded: an error, so that the
    /// run's reports name it beside every detection that did run.
    pub fn unloadable(e: &firedrill_content::LoadError) -> DetectionReport {
        let file = e.file.display().to_string();
        DetectionReport {
            name: e
                .file
                .file_name()
                .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned()),
            id: None,
            file,
            status: Status::Error,
            reason: Reason::Content(e.to_string()),
            results: 0,
            risk: Vec::new(),
            risk_rule: String::new(),
            selected: true,
            selection_reason: None,
            macro_defaults: Vec::new(),
            tests: Vec::new(),
        }
    }

    /// Sets status, reason, results and risk from the tests (the worst test decides).
    pub fn conclude(&mut self) {
        let Some(worst) = self.tests.iter().max_by_key(|t| t.status) else {
            return;
        };
        self.status = worst.status;
        self.reason = if self.tests.len() > 1 {
            Reason::Test {
                name: worst.name.clone(),
                reason: Box::new(worst.reason.clone()),
            }
        } else {
            worst.reason.clone()
        };
        self.results = self.tests.iter().map(|t| t.results).sum();
        self.risk = self
            .tests
            .iter()
            .flat_map(|t| t.risk.iter().cloned())
            .collect();
    }
}

impl DetectionReport {
    /// Over `of` `--dataset` files, firing is the answer: a detection is `pass` (fired)
    /// if it returned results on any file, `fail` (quiet) if on none, `error` only if
    /// every file errored; the reason lists the files it fired on. `tests` holds only
    /// the files it fired on or errored on (the quiet ones are only counted).
    pub fn conclude_datasets(&mut self, of: usize) {
        let files: Vec<(String, usize)> = self
            .tests
            .iter()
            .filter(|t| t.results > 0)
            .map(|t| (t.name.clone(), t.results))
            .collect();
        self.results = self.tests.iter().map(|t| t.results).sum();
        self.risk = self
            .tests
            .iter()
            .flat_map(|t| t.risk.iter().cloned())
            .collect();
        if !files.is_empty() {
            self.status = Status::Pass;
            self.reason = Reason::Fired { files, of };
        } else if let Some(e) = self
            .tests
            .first()
            .filter(|_| self.tests.iter().all(|t| t.status == Status::Error))
        {
            self.status = Status::Error;
            self.reason = e.reason.clone();
        } else if of > 0 {
            self.status = Status::Fail;
            self.reason = Reason::Quiet { of };
        }
    }
}

/// What a run was over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Each detection's own test datasets.
    #[default]
    Tests,
    /// The `--dataset` files: which detections fire on them.
    Datasets,
}

/// Counts by status, plus totals.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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
    pub events: u64,
    /// Wall time in milliseconds.
    pub duration_ms: f64,
}

impl Summary {
    /// Recounts the statuses of `detections`.
    pub fn count(&mut self, detections: &[DetectionReport]) {
        self.total = detections.len();
        self.pass = 0;
        self.fail = 0;
        self.error = 0;
        self.skip = 0;
        for d in detections {
            match d.status {
                Status::Pass => self.pass += 1,
                Status::Fail => self.fail += 1,
                Status::Error => self.error += 1,
                Status::Skip => self.skip += 1,
            }
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunReport {
    /// What the run was over.
    pub mode: Mode,
    /// One entry per detection.
    pub detections: Vec<DetectionReport>,
    /// Counts.
    pub summary: Summary,
}
