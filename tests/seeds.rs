//! The comsvcs.dll LSASS dump fixtures (`tests/fixtures/comsvcs/`, written by
//! `tools/make_comsvcs_fixtures.py`) as XmlWinEventLog text and as EVTX read to the
//! same events, and detection pages run on their own fire on them.

use assert_cmd::Command;
use firedrill_events::{read_events, SourceMeta};
use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/comsvcs";

fn events(file: &str) -> Vec<firedrill_value::Event> {
    let bytes = std::fs::read(Path::new(FIXTURES).join(file)).unwrap();
    let out = read_events(&bytes, &SourceMeta::default()).unwrap();
    assert!(out.skipped.is_empty(), "{file}: {:?}", out.skipped);
    out.events
}

/// The fields both forms must agree on (the EVTX renders numbers in its own way for a
/// few hex fields, so those are compared as numbers).
const FIELDS: &[&str] = &[
    "EventCode",
    "Computer",
    "Channel",
    "EventRecordID",
    "Image",
    "CommandLine",
    "ParentImage",
    "User",
    "ProcessId",
    "ProcessGuid",
    "TargetImage",
    "TargetFilename",
    "GrantedAccess",
    "NewProcessName",
    "ParentProcessName",
    "SubjectUserName",
    "SubjectUserSid",
    "MandatoryLabel",
    "SubjectLogonId",
    "NewProcessId",
    "process",
    "process_name",
    "parent_process_name",
    "user",
    "dest",
];

fn normal(v: &firedrill_value::Value) -> String {
    let s = v.to_string();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16)
            .map(|n| format!("{n:#x}"))
            .unwrap_or(s.to_lowercase()),
        None if s.starts_with('{') => s.to_lowercase(),
        None => s,
    }
}

#[test]
fn text_and_evtx_hold_the_same_events() {
    for stem in ["sysmon", "security"] {
        let text = events(&format!("{stem}.log"));
        let bin = events(&format!("{stem}.evtx"));
        assert_eq!(text.len(), bin.len(), "{stem}");
        for (t, b) in text.iter().zip(&bin) {
            assert!(
                (t.time() - b.time()).abs() < 1e-3,
                "{stem}: time {} vs {}",
                t.time(),
                b.time()
            );
            for f in FIELDS {
                assert_eq!(
                    normal(t.get(f)),
                    normal(b.get(f)),
                    "{stem} record {}: field {f}",
                    t.get("EventRecordID")
                );
            }
        }
    }
    let sysmon = events("sysmon.evtx");
    let codes: Vec<String> = sysmon
        .iter()
        .map(|e| e.get("EventCode").to_string())
        .collect();
    assert_eq!(codes, ["1", "1", "10", "11", "1", "1", "10", "11", "1"]);
    assert!(sysmon[1]
        .get("CommandLine")
        .to_string()
        .contains("comsvcs.dll, MiniDump 704"));
}

fn firedrill() -> Command {
    Command::cargo_bin("firedrill").unwrap()
}

/// A data directory holding `capture` at the path attack_data gives `upstream`, so a
/// page runs on it offline exactly as it would on the downloaded file.
fn data_dir(capture: &str, upstream: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join(upstream);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(Path::new(FIXTURES).join(capture), &dest).unwrap();
    let data = dir.path().to_path_buf();
    (dir, data)
}

/// A page in the published shape (the fields firedrill reads from it), standing in for
/// a page of ../shared/seeds (the conformance suite runs those).
fn write_page(
    dir: &Path,
    name: &str,
    search: &str,
    score: &str,
    message: &str,
    dataset: &str,
) -> PathBuf {
    let page = format!(
        "---\ntitle: \"{name}\"\n---\n\n#### Description\n\nTest page.\n\n- **Type**: [TTP](x)\n\n#### Search\n\n```\n\n{search}\n```\n\n#### RBA\n\n| Risk Score  | Impact      | Confidence   | Message      |\n| ----------- | ----------- |--------------|--------------|\n| {score} | 80 | 100 | {message} |\n\n#### Test Dataset\n\n* [{dataset}]({dataset})\n"
    );
    let p = dir.join("page.md");
    std::fs::write(&p, page).unwrap();
    p
}

const URL: &str = "https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1003.001/atomic_red_team/windows-sysmon.log";
const UPSTREAM: &str = "datasets/attack_techniques/T1003.001/atomic_red_team/windows-sysmon.log";

#[test]
fn a_tstats_page_runs_alone_on_every_capture() {
    let pages = tempfile::tempdir().unwrap();
    let page = write_page(
        pages.path(),
        "Dump LSASS via comsvcs DLL",
        "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where Processes.process_name=rundll32.exe Processes.process=*comsvcs.dll* Processes.process=*MiniDump* by Processes.user Processes.process_name Processes.process Processes.dest \n| `drop_dm_object_name(Processes)` \n| `security_content_ctime(firstTime)` \n| `dump_lsass_via_comsvcs_dll_filter`",
        "80.0",
        "",
        URL,
    );
    for capture in ["sysmon.log", "sysmon.evtx", "security.log", "security.evtx"] {
        let (_keep, data) = data_dir(capture, UPSTREAM);
        let out = firedrill()
            .arg("run")
            .arg(&page)
            .arg("--data")
            .arg(&data)
            .args(["--offline", "--format", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{capture}: {json}\n{stderr}");
        let d = &json["detections"][0];
        assert_eq!(d["status"], "pass", "{capture}");
        assert_eq!(d["results"], 2, "{capture}: both dumps");
        assert_eq!(
            d["macro_defaults"],
            serde_json::json!([
                "security_content_summariesonly",
                "security_content_ctime(1)"
            ])
        );
        assert!(stderr.contains("built-in definitions"), "{stderr}");
        let risk = d["risk"].as_array().unwrap();
        assert_eq!(risk.len(), 4, "{capture}: dest and user of two rows");
        assert!(risk.iter().all(|r| r["score"] == 80.0));
        assert!(risk
            .iter()
            .any(|r| r["object"] == "dest" && r["value"] == "WIN-FIN-07.corp.example"));
        assert!(d["risk_rule"]
            .as_str()
            .unwrap()
            .starts_with("default: dest (system) and user (user)"));
    }
}
