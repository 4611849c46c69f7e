//! The differential check against a real Splunk: replay each test's datasets into a
//! dedicated index over HEC (with acknowledgment), run the detection's search through
//! the REST search API over all time, and compare Splunk's answer with firedrill's.

use crate::plan::Planned;
use crate::rba::risk_events;
use crate::report::{Reason, Status, TestReport};
use crate::run::{TestHook, TestSink};
use firedrill_replay::{replay, url_encode, Outgoing, ReplayOptions};
use firedrill_value::{Fields, Row, Value};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;

/// How to log in to the management port.
#[derive(Clone)]
enum Auth {
    Token(String),
    Basic(String, String),
}

/// A client for Splunk's REST API (the management port, usually 8089).
pub struct SplunkClient {
    base: String,
    auth: Auth,
    http: reqwest::blocking::Client,
}

/// What Splunk answered for one test.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct SplunkAnswer {
    /// Result rows in Splunk.
    pub results: usize,
    /// Risk objects and values Splunk's rows would raise.
    pub risk: Vec<(String, String)>,
    /// Whether Splunk and firedrill agree.
    pub agree: bool,
}

impl SplunkClient {
    /// A client from `SPLUNK_TOKEN`, or `SPLUNK_USERNAME` and `SPLUNK_PASSWORD`.
    pub fn from_env(
        base: &str,
        insecure: bool,
        ca: Option<&std::path::Path>,
    ) -> Result<SplunkClient, String> {
        firedrill_replay::refuse_credentials("--splunk", base)?;
        let auth = match std::env::var("SPLUNK_TOKEN") {
            Ok(t) if !t.trim().is_empty() => Auth::Token(t.trim().to_string()),
            _ => match (
                std::env::var("SPLUNK_USERNAME"),
                std::env::var("SPLUNK_PASSWORD"),
            ) {
                (Ok(u), Ok(p)) => Auth::Basic(u, p),
                _ => {
                    return Err(
                        "--splunk needs SPLUNK_TOKEN, or SPLUNK_USERNAME and SPLUNK_PASSWORD"
                            .into(),
                    )
                }
            },
        };
        let b = firedrill_replay::tls::client_builder(ca, insecure)?
            .timeout(std::time::Duration::from_secs(600));
        Ok(SplunkClient {
            base: base.trim_end_matches('/').to_string(),
            auth,
            http: b.build().map_err(|e| e.to_string())?,
        })
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<(u16, serde_json::Value), String> {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        let req = match &self.auth {
            Auth::Token(t) => req.header("Authorization", format!("Bearer {t}")),
            Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
        };
        let resp = req.send().map_err(|e| {
            format!(
                "Splunk REST at {}: {}",
                self.base,
                firedrill_replay::client::explain(&e.without_url())
            )
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().unwrap_or_default();
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// Creates an index (an existing one is fine).
    pub fn ensure_index(&self, name: &str) -> Result<(), String> {
        let (status, v) =
            self.post("/services/data/indexes?output_mode=json", &[("name", name)])?;
        match status {
            200 | 201 | 409 => Ok(()),
            401 | 403 => Err(format!("Splunk refused to create index {name} (HTTP {status}): check the credentials and the role")),
            _ => Err(format!("Splunk could not create index {name} (HTTP {status}): {}", messages(&v))),
        }
    }

    /// Runs a search over all time and returns its rows.
    pub fn oneshot(&self, search: &str) -> Result<Vec<Row>, String> {
        let (status, v) = self.post(
            "/services/search/jobs",
            &[
                ("search", search),
                ("exec_mode", "oneshot"),
                ("output_mode", "json"),
                ("earliest_time", "0"),
                ("latest_time", "now"),
                ("count", "0"),
            ],
        )?;
        if status != 200 {
            return Err(format!(
                "Splunk search failed (HTTP {status}): {}",
                messages(&v)
            ));
        }
        let rows = v
            .get("results")
            .and_then(|r| r.as_array())
            .cloned()
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter_map(|r| r.as_object())
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let value = match v {
                            serde_json::Value::Array(items) => Value::multi(
                                items
                                    .iter()
                                    .map(|i| Value::str(i.as_str().unwrap_or(&i.to_string())))
                                    .collect(),
                            ),
                            serde_json::Value::String(s) => Value::str(s.as_str()),
                            serde_json::Value::Null => Value::Null,
                            other => Value::Str(other.to_string()),
                        };
                        (k.clone(), value)
                    })
                    .collect()
            })
            .collect())
    }
}

fn messages(v: &serde_json::Value) -> String {
    v.get("messages")
        .and_then(|m| m.as_array())
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("text").and_then(|t| t.as_str()))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

fn risk_set(p: &Planned, rows: &[Row]) -> BTreeSet<(String, String)> {
    risk_events(&p.detection, rows)
        .into_iter()
        .map(|r| (r.object, r.value.to_lowercase()))
        .collect()
}

/// The differential check as a stage of the run: each SPL test's events, as the run
/// reads them, are spooled to a temporary file; when the built-in verdict is in, they
/// are replayed into a dedicated index with acknowledgment, the detection's search
/// runs in Splunk over all time, and any disagreement fails the test with both
/// answers. One test at a time is in Splunk, and its events are deleted afterwards.
pub struct Differential<'a> {
    /// The REST client.
    pub splunk: &'a SplunkClient,
    /// The HEC settings (acknowledgment is always on).
    pub hec: ReplayOptions,
    /// Index name prefix.
    pub index_prefix: String,
    /// Warnings for stderr.
    pub warn: &'a (dyn Fn(String) + Sync),
    run_id: u64,
    tests: std::sync::atomic::AtomicUsize,
}

impl<'a> Differential<'a> {
    /// A differential check against `splunk`, replaying through `hec`.
    pub fn new(
        splunk: &'a SplunkClient,
        hec: ReplayOptions,
        index_prefix: &str,
        warn: &'a (dyn Fn(String) + Sync),
    ) -> Differential<'a> {
        Differential {
            splunk,
            hec,
            index_prefix: index_prefix.to_string(),
            warn,
            run_id: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            tests: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl TestHook for Differential<'_> {
    fn start(&self, p: &Planned, _test: &str) -> Option<Box<dyn TestSink + '_>> {
        if p.detection.language != firedrill_content::SearchLanguage::Spl {
            return None;
        }
        let n = self
            .tests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let index = format!("{}_{}_{n}", self.index_prefix, self.run_id);
        let spool = tempfile::tempfile().map(std::io::BufWriter::new);
        Some(Box::new(Spool {
            check: Check {
                splunk: self.splunk,
                hec: &self.hec,
                index,
                warn: self.warn,
            },
            spool: spool.map_err(|e| e.to_string()),
        }))
    }
}

struct Check<'a> {
    splunk: &'a SplunkClient,
    hec: &'a ReplayOptions,
    index: String,
    warn: &'a (dyn Fn(String) + Sync),
}

struct Spool<'a> {
    check: Check<'a>,
    spool: Result<std::io::BufWriter<std::fs::File>, String>,
}

impl TestSink for Spool<'_> {
    fn event(&mut self, e: &dyn Fields) {
        let Ok(w) = self.spool.as_mut() else { return };
        let text = |k: &str| {
            e.get_str(k)
                .and_then(|v| v.as_text())
                .filter(|s| !s.is_empty())
        };
        let line = serde_json::json!([
            text("_raw").unwrap_or_default(),
            firedrill_spl::event_time(e),
            text("host"),
            text("source"),
            text("sourcetype")
        ]);
        if let Err(err) = writeln!(w, "{line}") {
            self.spool = Err(err.to_string());
        }
    }

    fn finish(self: Box<Self>, p: &Planned, tr: &mut TestReport) {
        if !matches!(tr.status, Status::Pass | Status::Fail) {
            return;
        }
        let Spool { check, spool } = *self;
        let outcome = spool
            .and_then(|w| w.into_inner().map_err(|e| e.to_string()))
            .and_then(|file| check.run(p, file));
        match outcome {
            Ok(rows) => {
                let ours_fire = tr.results > 0;
                let theirs = risk_set(p, &rows);
                let ours: BTreeSet<(String, String)> = tr
                    .risk
                    .iter()
                    .map(|r| (r.object.clone(), r.value.to_lowercase()))
                    .collect();
                let agree =
                    rows.is_empty() != ours_fire && rows.len() == tr.results && theirs == ours;
                if !agree {
                    tr.status = Status::Fail;
                    tr.reason = Reason::Splunk(format!(
                        "Splunk and firedrill disagree: Splunk returned {} results (risk {:?}), firedrill {} (risk {:?})",
                        rows.len(),
                        theirs,
                        tr.results,
                        ours
                    ));
                }
                tr.splunk = Some(SplunkAnswer {
                    results: rows.len(),
                    risk: theirs.into_iter().collect(),
                    agree,
                });
            }
            Err(e) => {
                tr.status = Status::Error;
                tr.reason = Reason::Splunk(format!("differential check in Splunk failed: {e}"));
            }
        }
    }
}

impl Check<'_> {
    /// Replays the spooled events into the test's index, runs the search, deletes the
    /// events.
    fn run(&self, p: &Planned, mut file: std::fs::File) -> Result<Vec<Row>, String> {
        use std::io::{BufRead, Seek};
        self.splunk.ensure_index(&self.index)?;
        file.rewind().map_err(|e| e.to_string())?;
        let index = self.index.clone();
        let events = std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(move |line| {
                let v: serde_json::Value = serde_json::from_str(&line).ok()?;
                let s = |i: usize| v.get(i).and_then(|x| x.as_str()).map(String::from);
                Some(Outgoing {
                    raw: s(0).unwrap_or_default(),
                    time: v.get(1).and_then(|x| x.as_f64()),
                    host: s(2),
                    source: s(3),
                    sourcetype: s(4),
                    index: Some(index.clone()),
                })
            });
        let mut opts = self.hec.clone();
        opts.ack = true;
        let sum = replay(events, &opts, &|_| {}).map_err(|e| e.to_string());
        let result = sum.and_then(|sum| {
            if sum.failed > 0 {
                return Err(format!(
                    "{} of {} events were not acknowledged by Splunk",
                    sum.failed, sum.events
                ));
            }
            let search = if p.detection.search.trim_start().starts_with('|') {
                p.detection.search.clone()
            } else {
                format!("search {}", p.detection.search)
            };
            self.splunk.oneshot(&search)
        });
        if let Err(e) = self
            .splunk
            .oneshot(&format!("search index={} | delete", self.index))
        {
            (self.warn)(format!(
                "could not delete the replayed events from index {}: {e}",
                self.index
            ));
        }
        result
    }
}
