//! The command line end to end: detections, a dataset server on 127.0.0.1 standing in
//! for attack_data (via `--mirror`), the cache, the lock file and the reports.

mod common;

use assert_cmd::Command;
use common::{Reply, Server};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const DATASET: &str = "/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";

fn example_bytes() -> Vec<u8> {
    std::fs::read(Path::new("examples/attack_data").join(DATASET.trim_start_matches('/'))).unwrap()
}

fn firedrill() -> Command {
    Command::cargo_bin("firedrill").unwrap()
}

/// A work dir with the v5 example detection and its macros, and an empty cache.
fn workdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(content.join("detections")).unwrap();
    std::fs::create_dir_all(content.join("macros")).unwrap();
    for m in std::fs::read_dir("examples/macros").unwrap() {
        let m = m.unwrap().path();
        std::fs::copy(&m, content.join("macros").join(m.file_name().unwrap())).unwrap();
    }
    let det = content.join("detections/example_comsvcs_minidump.yml");
    std::fs::copy(
        "examples/detections/endpoint/example_comsvcs_minidump.yml",
        &det,
    )
    .unwrap();
    (dir, det)
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

#[test]
fn writes_contentctl_summary_yml() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("test_results/summary.yml");
    firedrill()
        .args([
            "run",
            "examples",
            "--data",
            "examples/attack_data",
            "--offline",
            "--summary-yml",
        ])
        .arg(&out)
        .assert()
        .success();
    let y: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let s = &y["summary"];
    for key in [
        "mode",
        "enable_integration_testing",
        "success",
        "total_detections",
        "total_tested_detections",
        "total_pass",
        "total_fail",
        "total_skipped",
        "total_untested",
        "total_production",
        "total_experimental",
        "total_deprecated",
        "total_manual",
        "success_rate",
    ] {
        assert!(s.get(key).is_some(), "summary.{key} missing");
    }
    assert_eq!(s["total_pass"].as_u64(), Some(4));
    assert_eq!(s["success_rate"].as_str(), Some("100.0%"));
    let t = &y["tested_detections"][0];
    for key in [
        "name",
        "type",
        "production_status",
        "status",
        "source_category",
        "data_source",
        "search",
        "file_path",
        "manual_test",
        "success",
        "tests",
    ] {
        assert!(t.get(key).is_some(), "tested_detections[0].{key} missing");
    }
    let test = &t["tests"][0];
    for key in [
        "name",
        "test_type",
        "success",
        "message",
        "exception",
        "status",
        "duration",
        "wait_duration",
        "resultCount",
        "runDuration",
    ] {
        assert!(test.get(key).is_some(), "tests[0].{key} missing");
    }
    assert!(
        y.get("skipped_detections").is_some()
            && y.get("untested_detections").is_some()
            && y.get("percent_complete").is_some()
    );
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
    firedrill()
        .env_remove("SPLUNK_HEC_TOKEN")
        .args(["replay", SYSMON, "--hec", sink.url()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SPLUNK_HEC_TOKEN"));
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
