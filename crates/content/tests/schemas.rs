//! One detection written in every content shape loads into the same model: the
//! fixtures are small files in the real shapes, written for these tests.

use firedrill_content::{
    expand_macros, load_content, load_detection_file, Builder, Detection, RiskOrigin, Schema,
    SearchLanguage,
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
    assert!(matches!(d.risk.origin, RiskOrigin::FromContent { .. }));
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

fn load_one(text: &str) -> Detection {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yml", text);
    load_detection_file(&dir.path().join("d.yml"))
        .unwrap()
        .remove(0)
}

fn objects(d: &Detection) -> Vec<(String, String, f64)> {
    d.risk
        .objects
        .iter()
        .map(|o| (o.field.clone(), o.kind.clone(), o.score))
        .collect()
}

fn threats(d: &Detection) -> Vec<(String, String)> {
    d.risk
        .threat_objects
        .iter()
        .map(|o| (o.field.clone(), o.kind.clone()))
        .collect()
}

fn v4_with(kind: &str, observables: &str, impact: u32, confidence: u32) -> String {
    format!(
        "name: Sample\nid: 1\nstatus: production\ntype: {kind}\nsearch: '| tstats count by Processes.dest'\ntags:\n  analytic_story:\n  - Story\n  impact: {impact}\n  confidence: {confidence}\n  message: on $dest$\n  observable:\n{observables}tests:\n- name: t\n  attack_data:\n  - data: https://example.test/a.log\n"
    )
}

fn obs(name: &str, kind: &str, role: &str) -> String {
    format!("  - name: {name}\n    type: {kind}\n    role:\n    - {role}\n")
}

#[test]
fn contentctl4_types_roles_and_rounding() {
    let all = [
        obs("user", "User", "Victim"),
        obs("dest", "Hostname", "Victim"),
        obs("src_ip", "IP Address", "Victim"),
        obs("acct", "User Name", "Victim"),
        obs("mail", "Email", "Victim"),
        obs("file_hash", "File Hash", "Victim"),
        obs("process_name", "Process", "Attacker"),
        obs("file_name", "File Name", "Attacker"),
        obs("src", "IP Address", "Attacker"),
        obs("url", "URL String", "Attacker"),
        obs("registry_path", "Registry Key", "Attacker"),
    ]
    .concat();
    // 70 * 15 / 100 = 10.5, which Python's round takes to 10.
    let d = load_one(&v4_with("TTP", &all, 70, 15));
    assert_eq!(d.risk.builder, Builder::Contentctl4);
    let o = |f: &str, k: &str| (f.to_string(), k.to_string(), 10.0);
    // User Name, Email and a Victim of a non-entity type are `other` in contentctl 4.
    assert_eq!(
        objects(&d),
        vec![
            o("user", "user"),
            o("dest", "system"),
            o("src_ip", "system"),
            o("acct", "other"),
            o("mail", "other"),
            o("file_hash", "other"),
        ]
    );
    let t = |f: &str, k: &str| (f.to_string(), k.to_string());
    assert_eq!(
        threats(&d),
        vec![
            t("process_name", "process"),
            t("file_name", "file_name"),
            t("src", "ip_address"),
            t("url", "url"),
            t("registry_path", "registry key"),
        ]
    );
    // The unit test checks Victim fields as risk objects, whatever their type.
    assert_eq!(
        d.risk.test_fields.risk,
        vec!["user", "dest", "src_ip", "acct", "mail", "file_hash"]
    );
    assert_eq!(d.risk.test_fields.threat.len(), 5);
    assert!(d.risk.action);
}

#[test]
fn no_risk_action_for_hunting_correlation_or_without_a_story() {
    let o = obs("dest", "Hostname", "Victim");
    for kind in ["Hunting", "Correlation"] {
        let d = load_one(&v4_with(kind, &o, 80, 80));
        assert!(!d.risk.action, "{kind} builds no risk action");
        // The unit test still checks the observables.
        assert_eq!(d.risk.test_fields.risk, vec!["dest"]);
    }
    let no_story = v4_with("TTP", &o, 80, 80).replace("  analytic_story:\n  - Story\n", "");
    assert!(!load_one(&no_story).risk.action);
    assert!(load_one(&v4_with("Anomaly", &o, 80, 80)).risk.action);
}

#[test]
fn no_victim_means_no_risk_object() {
    let d = load_one(&v4_with(
        "TTP",
        &obs("process_name", "Process", "Attacker"),
        80,
        80,
    ));
    assert!(d.risk.objects.is_empty());
    assert_eq!(threats(&d).len(), 1);
    let mut d2 = d.clone();
    // Not a page: nothing is invented.
    d2.resolve_risk(None);
    assert!(d2.risk.objects.is_empty());
    assert_eq!(d2.risk.origin, RiskOrigin::Documented);
}

#[test]
fn roles_contentctl4_rejects_are_built_by_the_earlier_rules() {
    // The v4 migration (January 2023) kept `Parent Process` / `Child Process` roles,
    // which contentctl 4 does not accept; security_content's builder then made every
    // non-entity type a threat object and scored tags.risk_score.
    let observables = [
        obs("user", "User", "Victim"),
        obs("dest", "Hostname", "Victim"),
        obs("parent_process_name", "Process", "Parent Process"),
        obs("process_name", "Process", "Child Process"),
    ]
    .concat();
    let text = v4_with("TTP", &observables, 80, 100).replace(
        "  message: on $dest$",
        "  risk_score: 77\n  message: on $dest$",
    );
    let d = load_one(&text);
    assert_eq!(d.schema, Schema::V4);
    assert_eq!(d.risk.builder, Builder::Legacy);
    assert_eq!(
        objects(&d),
        vec![
            ("user".into(), "user".into(), 77.0),
            ("dest".into(), "system".into(), 77.0)
        ]
    );
    assert_eq!(
        threats(&d),
        vec![
            ("parent_process_name".into(), "process".into()),
            ("process_name".into(), "process".into())
        ]
    );
    assert_eq!(d.risk.test_fields.risk, vec!["user", "dest"]);
}

#[test]
fn contentctl5_sorts_its_sets_and_v6_reads_findings() {
    let v5 = V5.replace(
        "  - field: dest\n    type: system\n    score: 49\n",
        "  - field: user\n    type: user\n    score: 20\n  - field: dest\n    type: system\n    score: 49\n  - field: dest\n    type: system\n    score: 49\n",
    );
    let d = load_one(&v5);
    assert_eq!(d.risk.builder, Builder::Contentctl5);
    assert_eq!(
        objects(&d),
        vec![
            ("dest".into(), "system".into(), 49.0),
            ("user".into(), "user".into(), 20.0)
        ]
    );
    assert!(d.risk.action);
    assert_eq!(d.risk.test_fields.risk, vec!["dest", "user"]);
    assert_eq!(d.risk.test_fields.threat, vec!["process_name"]);
    let hunting = load_one(&V5.replace("type: TTP", "type: Hunting"));
    assert!(!hunting.risk.action);

    let v6 = load_one(V6);
    assert_eq!(v6.risk.builder, Builder::Finding);
    assert_eq!(v6.risk.test_fields.risk, vec!["user", "dest"]);
    assert!(v6.risk.action);
}

#[test]
fn ssa_detections_score_the_entities_they_write() {
    let ssa = r#"name: Sample SSA
id: 2
version: 1
type: TTP
search: '| from read_ssa_enriched_events() | eval machine=ucast(map_get(input_event, "dest_device_id"), "string", null) | where machine IS NOT NULL | eval start_time=1, entities = mvappend(machine) | into write_ssa_detected_events();'
tags:
  analytic_story:
  - Story
  confidence: 100
  impact: 40
  observable:
  - name: dest_user_id
    type: User
    role:
    - Actor
  - name: dest_device_id
    type: Hostname
    role:
    - Victim
  product:
  - Splunk Behavioral Analytics
  risk_score: 40
"#;
    let d = load_one(ssa);
    assert_eq!(d.language, SearchLanguage::Spl2Ssa);
    assert_eq!(d.risk.builder, Builder::Ssa);
    assert_eq!(
        objects(&d),
        vec![("entities".into(), "system".into(), 40.0)]
    );
    assert!(d.risk.action);
}
