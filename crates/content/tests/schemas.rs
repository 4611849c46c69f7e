//! One detection written in every content shape loads into the same model: the
//! fixtures are small files in the real shapes, written for these tests.

use firedrill_content::{
    expand_macros, load_content, load_detection_file, RiskOrigin, Schema, SearchLanguage,
};
use std::path::Path;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const V4: &str = r#"name: Sample Dump
id: 11111111-2222-3333-4444-555555555555
status: production
type: TTP
search: '| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user | `drop_dm_object_name(Processes)` | `sample_dump_filter`'
tags:
  confidence: 90
  impact: 70
  message: Dump on $dest$ by $user$
  observable:
  - name: user
    type: User
    role: [Victim]
  - name: dest
    type: Hostname
    role: [Victim]
  - name: process_name
    type: Process
    role: [Attacker]
  risk_score: 63
tests:
- name: True Positive Test
  attack_data:
  - data: https://example.test/datasets/a/windows-sysmon.log
    source: XmlWinEventLog:Microsoft-Windows-Sysmon/Operational
    sourcetype: xmlwineventlog
"#;

const V5: &str = r#"name: Sample Dump
id: 11111111-2222-3333-4444-555555555555
status: production
type: TTP
search: '| tstats count from datamodel=Endpoint.Processes by Processes.dest'
rba:
  message: Dump on $dest$
  risk_objects:
  - field: dest
    type: system
    score: 49
  threat_objects:
  - field: process_name
    type: process_name
tests:
- name: True Positive Test
  attack_data:
  - data: https://example.test/datasets/a/windows-sysmon.log
"#;

const V6: &str = r#"name: Sample Dump
id: 11111111-2222-3333-4444-555555555555
status: production
type: TTP
search: |-
    | tstats count FROM datamodel=Endpoint.Processes
      BY Processes.dest Processes.user
finding:
    title: Dump on $dest$ by $user$
    entity:
        field: user
        type: user
        score: 50
intermediate_findings:
    entities:
        - field: dest
          type: system
          score: 30
          message: Dump seen on $dest$
threat_objects:
    - field: process_name
      type: process_name
tests:
    - name: True Positive Test
      attack_data:
        - data: https://example.test/datasets/a/windows-sysmon.log
          sourcetype: XmlWinEventLog
      test_type: unit
"#;

const LEGACY: &str = r#"name: Sample Dump
id: 11111111-2222-3333-4444-555555555555
type: TTP
search: '| tstats count from datamodel=Endpoint.Processes by Processes.dest'
tags:
  confidence: 100
  impact: 80
  dataset:
  - https://example.test/old.log
  observable:
  - name: dest
    type: Hostname
    role: [Victim]
"#;

const LEGACY_TEST: &str = r#"name: Sample Dump Unit Test
tests:
- name: Sample Dump
  file: endpoint/sample_dump.yml
  pass_condition: '| stats count | where count > 0'
  attack_data:
  - file_name: windows-sysmon.log
    data: https://example.test/datasets/a/windows-sysmon.log
    source: XmlWinEventLog:Microsoft-Windows-Sysmon/Operational
    sourcetype: xmlwineventlog
"#;

#[test]
fn v4_scores_victims_and_keeps_attackers_as_threats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yml", V4);
    let d = &load_detection_file(&dir.path().join("d.yml")).unwrap()[0];
    assert_eq!(d.schema, Schema::V4);
    assert_eq!(d.risk.objects.len(), 2);
    // contentctl: round(impact * confidence / 100) = round(70 * 90 / 100) = 63
    assert!(d.risk.objects.iter().all(|o| o.score == 63.0));
    assert_eq!(d.risk.objects[0].kind, "user");
    assert_eq!(d.risk.objects[1].kind, "system");
    assert_eq!(d.risk.threat_objects[0].field, "process_name");
    assert_eq!(
        d.tests[0].attack_data[0].sourcetype.as_deref(),
        Some("xmlwineventlog")
    );
    assert_eq!(d.language, SearchLanguage::Spl);
}

#[test]
fn v5_and_v6_read_their_blocks() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "v5.yml", V5);
    write(dir.path(), "v6.yml", V6);
    let v5 = &load_detection_file(&dir.path().join("v5.yml")).unwrap()[0];
    assert_eq!(v5.schema, Schema::V5);
    assert_eq!(
        (v5.risk.objects[0].field.as_str(), v5.risk.objects[0].score),
        ("dest", 49.0)
    );
    assert_eq!(v5.risk.message.as_deref(), Some("Dump on $dest$"));
    let v6 = &load_detection_file(&dir.path().join("v6.yml")).unwrap()[0];
    assert_eq!(v6.schema, Schema::V6);
    assert_eq!(v6.risk.objects.len(), 2);
    assert_eq!(
        v6.risk.objects[1].message.as_deref(),
        Some("Dump seen on $dest$")
    );
    assert_eq!(v6.risk.threat_objects.len(), 1);
    assert!(v6.search.contains("BY Processes.dest"));
}

#[test]
fn legacy_test_files_attach_to_their_detection() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "detections/endpoint/sample_dump.yml", LEGACY);
    write(
        dir.path(),
        "tests/endpoint/sample_dump.test.yml",
        LEGACY_TEST,
    );
    write(
        dir.path(),
        "macros/sample.yml",
        "name: sample\ndefinition: search x=1\n",
    );
    // The test file lives in tests/, so load the tree root and its detections.
    let c = load_content(dir.path());
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let d = &c.detections[0];
    assert_eq!(d.schema, Schema::Legacy2021);
    assert_eq!(d.tests.len(), 1, "{:?}", d.tests);
    // The test file's data replaces the old `tags.dataset` list.
    assert_eq!(
        d.tests[0].attack_data[0].data,
        "https://example.test/datasets/a/windows-sysmon.log"
    );
    assert_eq!(
        d.tests[0].attack_data[0].sourcetype.as_deref(),
        Some("xmlwineventlog")
    );
    assert_eq!(c.macros.len(), 1);
    // Loading a test file on its own yields no detection.
    assert!(
        load_detection_file(&dir.path().join("tests/endpoint/sample_dump.test.yml"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn test_files_beside_detections_replace_tags_dataset() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "detections/endpoint/sample_dump.yml", LEGACY);
    write(
        dir.path(),
        "detections/endpoint/sample_dump.test.yml",
        LEGACY_TEST,
    );
    let c = load_content(dir.path());
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let d = &c.detections[0];
    assert_eq!(d.tests.len(), 1);
    assert_eq!(
        d.tests[0].attack_data[0].data,
        "https://example.test/datasets/a/windows-sysmon.log"
    );
}

#[test]
fn pages_take_risk_objects_from_content_or_message() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "detections/endpoint/sample_dump.yml", V5);
    let page = "---\ntitle: \"Sample Dump\"\n---\n- **ID**: 11111111-2222-3333-4444-555555555555\n\n#### Search\n```\n| tstats count from datamodel=Endpoint.Processes by Processes.dest\n```\n\n#### RBA\n\n| Risk Score | Impact | Confidence |\n| --- | --- | --- |\n| 72.0 | 80 | 90 |\n";
    write(dir.path(), "page.md", page);
    let content = load_content(dir.path());
    let mut d = load_detection_file(&dir.path().join("page.md"))
        .unwrap()
        .remove(0);
    assert_eq!(d.schema, Schema::DocPage);
    d.resolve_risk(Some(&content));
    assert!(matches!(d.risk.origin, RiskOrigin::FromContent(_)));
    assert_eq!(
        (d.risk.objects[0].field.as_str(), d.risk.objects[0].score),
        ("dest", 72.0)
    );

    let mut lone = load_detection_file(&dir.path().join("page.md"))
        .unwrap()
        .remove(0);
    lone.resolve_risk(None);
    assert_eq!(lone.risk.origin, RiskOrigin::Default);
    assert_eq!(lone.risk.objects.len(), 2);
}

#[test]
fn bad_yaml_is_an_error_with_a_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "detections/bad.yml",
        "name: x\nsearch: 'a\n  b: [\n",
    );
    write(dir.path(), "detections/good.yml", V5);
    let c = load_content(dir.path());
    assert_eq!(c.detections.len(), 1);
    assert_eq!(c.errors.len(), 1);
    assert!(c.errors[0].line.is_some());
    assert!(c.errors[0].to_string().contains("bad.yml"));
}

#[test]
fn macros_from_a_tree_expand() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "macros/ctime.yml", "name: security_content_ctime\narguments:\n- field\ndefinition: 'convert timeformat=\"%Y\" ctime($field$)'\n");
    write(
        dir.path(),
        "macros/two.yml",
        "name: two(2)\narguments: [a, b]\ndefinition: $a$ $b$\n",
    );
    write(dir.path(), "detections/d.yml", V5);
    let c = load_content(dir.path());
    let e = expand_macros(
        "| `security_content_ctime(firstTime)` | `two(x, y)`",
        &c.macros,
    )
    .unwrap();
    assert_eq!(e.text, "| convert timeformat=\"%Y\" ctime(firstTime) | x y");
}
