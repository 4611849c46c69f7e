//! The differential check against a real Splunk: replay each test's datasets into a
//! dedicated index over HEC (with acknowledgment), run the detection's search through
//! the REST search API over all time, and compare Splunk's answer with firedrill's.

use crate::plan::Planned;
use crate::rba::risk_events;
use crate::run::RunReport;
use crate::verdict::Status;
use firedrill_dataset::Fetcher;
use firedrill_replay::{replay, url_encode, Outgoing, ReplayOptions};
use firedrill_value::{Row, Value};
use serde::Serialize;
use std::collections::BTreeSet;

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
#[derive(Clone, Debug, Serialize, PartialEq)]
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
        let mut b = reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(insecure)
            .timeout(std::time::Duration::from_secs(600));
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| format!("{}: {e}", ca.display()))?;
            b = b.add_root_certificate(cert);
        }
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
        let resp = req
            .send()
            .map_err(|e| format!("Splunk REST at {}: {}", self.base, e.without_url()))?;
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

/// Runs every judged test again in Splunk and marks disagreements as failures with
/// both answers.
pub fn differential(
    planned: &[Planned],
    report: &mut RunReport,
    fetcher: &Fetcher,
    splunk: &SplunkClient,
    hec: &ReplayOptions,
    index_prefix: &str,
    warn: &dyn Fn(String),
) {
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut n = 0;
    for (p, d) in planned.iter().zip(report.detections.iter_mut()) {
        let Ok(_) = &p.pipeline else { continue };
        if p.detection.language != firedrill_content::SearchLanguage::Spl {
            continue;
        }
        for (test, tr) in p.detection.tests.iter().zip(d.tests.iter_mut()) {
            if !matches!(tr.status, Status::Pass | Status::Fail) {
                continue;
            }
            n += 1;
            let index = format!("{index_prefix}_{run_id}_{n}");
            let outcome = (|| -> Result<Vec<Row>, String> {
                splunk.ensure_index(&index)?;
                let mut out: Vec<Outgoing> = Vec::new();
                for ad in &test.attack_data {
                    let f = fetcher.fetch(&ad.data).map_err(|e| e.to_string())?;
                    let bytes =
                        std::fs::read(&f.path).map_err(|e| format!("{}: {e}", f.path.display()))?;
                    let meta = firedrill_events::SourceMeta {
                        source: ad
                            .source
                            .clone()
                            .or_else(|| f.meta.as_ref().and_then(|m| m.source.clone())),
                        sourcetype: ad
                            .sourcetype
                            .clone()
                            .or_else(|| f.meta.as_ref().and_then(|m| m.sourcetype.clone())),
                        host: None,
                    };
                    let events = firedrill_events::read_events(&bytes, &meta)
                        .map_err(|e| e.to_string())?
                        .events;
                    let o = crate::replay_cmd::Overrides {
                        index: Some(index.clone()),
                        ..Default::default()
                    };
                    out.extend(crate::replay_cmd::outgoing(&events, &o));
                }
                let mut opts = hec.clone();
                opts.ack = true;
                let sum = replay(out.into_iter(), &opts, &|_| {}).map_err(|e| e.to_string())?;
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
                splunk.oneshot(&search)
            })();
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
                        tr.reason = format!(
                            "Splunk and firedrill disagree: Splunk returned {} results (risk {:?}), firedrill {} (risk {:?})",
                            rows.len(),
                            theirs,
                            tr.results,
                            ours
                        );
                    }
                    tr.splunk = Some(SplunkAnswer {
                        results: rows.len(),
                        risk: theirs.into_iter().collect(),
                        agree,
                    });
                }
                Err(e) => {
                    tr.status = Status::Error;
                    tr.reason = format!("differential check in Splunk failed: {e}");
                }
            }
            if let Err(e) = splunk.oneshot(&format!("search index={index} | delete")) {
                warn(format!(
                    "could not delete the replayed events from index {index}: {e}"
                ));
            }
        }
        if let Some(w) = d.tests.iter().max_by_key(|t| t.status).cloned() {
            d.status = w.status;
            d.reason = w.reason;
        }
    }
    report.summary.pass = report
        .detections
        .iter()
        .filter(|d| d.status == Status::Pass)
        .count();
    report.summary.fail = report
        .detections
        .iter()
        .filter(|d| d.status == Status::Fail)
        .count();
    report.summary.error = report
        .detections
        .iter()
        .filter(|d| d.status == Status::Error)
        .count();
    report.summary.skip = report
        .detections
        .iter()
        .filter(|d| d.status == Status::Skip)
        .count();
}
