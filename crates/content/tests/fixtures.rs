//! The fixture tree in `tests/fixtures/` (hand-written files in the real shapes): a
//! 2021 tree with tests in `tests/`, an SSA detection, macros, lookups and pages.

use firedrill_content::{
    expand_macros, load_content, load_detection_file, Builder, LookupKind, RiskOrigin, Schema,
    SearchLanguage,
};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn tree_2021_attaches_both_test_file_shapes() {
    let c = load_content(&fixtures().join("tree"));
    assert_eq!(c.detections.len(), 2, "{:?}", c.errors);
    let d = c
        .detections
        .iter()
        .find(|d| d.name == "Sample Dump Via Helper DLL")
        .unwrap();
    assert_eq!(d.schema, Schema::Legacy2021);
    assert_eq!(d.language, SearchLanguage::Spl);
    // The single-test shape (`file:` at the top) replaces the `tags.dataset` test.
    assert_eq!(d.tests.len(), 1);
    let a = &d.tests[0].attack_data[0];
    assert_eq!(
        a.data,
        "https://example.test/datasets/T1003.001/windows-sysmon.log"
    );
    assert_eq!(a.sourcetype.as_deref(), Some("xmlwineventlog"));
    // 2021 content is built by security_content's generate.py rules: a user or system
    // type needs the Victim or Attacker role; every other type (here `User Name`,
    // `Process`, `Process Name`) is a threat object whatever its role; the score is
    // tags.risk_score (72), not round(80 * 90 / 100).
    assert_eq!(d.risk.builder, Builder::Legacy);
    let objs: Vec<(&str, &str, f64)> = d
        .risk
        .objects
        .iter()
        .map(|o| (o.field.as_str(), o.kind.as_str(), o.score))
        .collect();
    assert_eq!(objs, vec![("dest", "system", 72.0)]);
    let threats: Vec<(&str, &str)> = d
        .risk
        .threat_objects
        .iter()
        .map(|t| (t.field.as_str(), t.kind.as_str()))
        .collect();
    assert_eq!(
        threats,
        vec![
            ("user", "user name"),
            ("parent_process_name", "process"),
            ("process_name", "process name")
        ]
    );
    assert!(d.risk.action, "a risk score and an analytic story");
    assert_eq!(
        d.tests[0].pass_condition.as_deref(),
        Some("| stats count | where count > 0")
    );
    assert_eq!(d.required_fields.len(), 3);
    assert_eq!(d.product.len(), 2);

    let ssa = c
        .detections
        .iter()
        .find(|d| d.name.ends_with("SSA"))
        .unwrap();
    assert_eq!(ssa.language, SearchLanguage::Spl2Ssa);
    // The list shape (`tests:` with `file:`), with a source but no sourcetype.
    assert_eq!(ssa.tests.len(), 1);
    assert_eq!(
        ssa.tests[0].attack_data[0].source.as_deref(),
        Some("WinEventLog:Security")
    );
    assert_eq!(ssa.tests[0].attack_data[0].sourcetype, None);
}

#[test]
fn tree_macros_lookups_and_a_broken_file() {
    let c = load_content(&fixtures().join("tree"));
    // The broken macro file is an error naming it with a line; the rest load.
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert!(c.errors[0].file.ends_with("sample_broken.yml"));
    assert!(c.errors[0].line.is_some());
    assert_eq!(c.macros.len(), 4);
    assert!(c.macros.get("sample_pair", 2).is_some());
    assert!(c.macros.get("sample_ctime", 1).is_some());
    assert!(c.macros.get("sample_ctime", 0).is_none());

    let tools = &c.lookups["sample_tools"];
    assert_eq!(tools.kind, LookupKind::Csv);
    assert_eq!(tools.match_type, vec!["WILDCARD(tool)", "WILDCARD(path)"]);
    assert_eq!((tools.min_matches, tools.max_matches), (Some(1), Some(5)));
    assert_eq!(tools.case_sensitive_match, Some(false));
    assert_eq!(tools.default_match.as_deref(), Some("false"));
    assert_eq!(c.lookups["sample_baseline"].kind, LookupKind::KvStore);
    assert_eq!(
        c.lookups["sample_baseline"].fields_list.as_deref(),
        Some("user, count, avg")
    );
    assert_eq!(c.lookups["__mlspl_sample_model"].kind, LookupKind::MlModel);

    let d = &c.detections[0];
    let e = expand_macros(&d.search, &c.macros).unwrap();
    assert!(e
        .text
        .contains("tstats summariesonly=false allow_old_summaries=true count"));
    assert!(e.text.contains("| rename Processes.* AS *"));
    assert!(e.text.contains("ctime(firstTime)"));
    assert!(e.text.ends_with("| search *"));
    assert_eq!(e.defaulted, vec!["sample_dump_via_helper_dll_filter"]);
    assert_eq!(
        e.used,
        vec![
            "sample_summaries",
            "sample_summaries_only",
            "sample_ctime(1)"
        ]
    );
}

#[test]
fn detections_folder_finds_macros_above() {
    let c = load_content(&fixtures().join("tree/detections"));
    assert_eq!(c.root, fixtures().join("tree"));
    assert_eq!(c.detections.len(), 2);
    assert_eq!(c.macros.len(), 4);
}

#[test]
fn page_reads_search_rba_and_dataset() {
    let d = load_detection_file(&fixtures().join("pages/helper_dump.md"))
        .unwrap()
        .remove(0);
    assert_eq!(d.schema, Schema::DocPage);
    assert_eq!(d.name, "Sample Dump Via Helper DLL");
    assert_eq!(
        d.id.as_deref(),
        Some("0a1b2c3d-0000-4000-8000-000000000001")
    );
    assert_eq!(d.kind.as_deref(), Some("TTP"));
    assert_eq!(d.status.as_deref(), Some("production"));
    // The first block after `#### Search`, not the one in an unknown section.
    assert!(d.search.starts_with("| tstats `sample_summaries`"));
    assert!(d.search.ends_with("`sample_dump_via_helper_dll_filter`"));
    assert_eq!(d.risk.score, Some(72.0));
    assert!(d.risk.objects.is_empty());
    assert_eq!(d.required_fields.len(), 3);
    assert_eq!(d.tests[0].attack_data.len(), 1);
    assert_eq!(d.tests[0].attack_data[0].sourcetype, None);

    // The same detection is in the content (same id): its objects, the page's score.
    let content = load_content(&fixtures().join("tree"));
    let mut from_content = d.clone();
    from_content.resolve_risk(Some(&content));
    // Only what the page's own search names: it has no parent_process_name.
    match &from_content.risk.origin {
        RiskOrigin::FromContent { file, dropped } => {
            assert!(file.ends_with("sample_dump.yml"));
            assert_eq!(dropped, &vec!["parent_process_name".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(from_content
        .risk
        .origin
        .describe()
        .contains("without `parent_process_name`"));
    let objs: Vec<(&str, f64)> = from_content
        .risk
        .objects
        .iter()
        .map(|o| (o.field.as_str(), o.score))
        .collect();
    assert_eq!(objs, vec![("dest", 72.0)]);
    let threats: Vec<&str> = from_content
        .risk
        .threat_objects
        .iter()
        .map(|t| t.field.as_str())
        .collect();
    assert_eq!(threats, vec!["user", "process_name"]);
    assert_eq!(from_content.risk.test_fields.risk, vec!["dest"]);
    assert_eq!(
        from_content.risk.test_fields.threat,
        vec!["user", "process_name"]
    );

    // Alone: the fields the message names.
    let mut alone = d;
    alone.resolve_risk(None);
    assert_eq!(alone.risk.origin, RiskOrigin::FromMessage);
    let objs: Vec<(&str, &str)> = alone
        .risk
        .objects
        .iter()
        .map(|o| (o.field.as_str(), o.kind.as_str()))
        .collect();
    assert_eq!(objs, vec![("dest", "system"), ("user", "user")]);
}

#[test]
fn ssa_page_names_its_entities_in_the_message() {
    let mut d = load_detection_file(&fixtures().join("pages/ssa_helper_dump.txt"))
        .unwrap()
        .remove(0);
    assert_eq!(d.language, SearchLanguage::Spl2Ssa);
    assert_eq!(d.product, vec!["Splunk Behavioral Analytics"]);
    d.resolve_risk(None);
    // $process_name$ is not an entity: no object for it.
    let objs: Vec<(&str, &str, f64)> = d
        .risk
        .objects
        .iter()
        .map(|o| (o.field.as_str(), o.kind.as_str(), o.score))
        .collect();
    assert_eq!(
        objs,
        vec![
            ("dest_device_id", "system", 35.0),
            ("dest_device_user", "user", 35.0)
        ]
    );
}

#[test]
fn page_without_search_is_an_error_naming_the_file() {
    let p = fixtures().join("pages/no_search.md");
    let e = load_detection_file(&p).unwrap_err();
    assert_eq!(e.file, p);
    assert!(e.to_string().contains("no_search.md"));
    // Loading the folder: the pages load, the non-page is skipped.
    let c = load_content(&fixtures().join("pages"));
    assert_eq!(c.detections.len(), 2);
}

#[test]
fn unreadable_inputs_are_errors_not_panics() {
    assert!(load_detection_file(Path::new("/nonexistent/x.yml")).is_err());
    assert!(load_detection_file(&fixtures().join("tree/lookups/sample_tools.yml")).is_err());
    let c = load_content(Path::new("/nonexistent/folder"));
    assert!(c.detections.is_empty());
}

#[test]
fn test_file_falls_back_to_the_detection_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let tree = fixtures().join("tree");
    let det = std::fs::read_to_string(tree.join("detections/endpoint/sample_dump.yml")).unwrap();
    let test = std::fs::read_to_string(tree.join("tests/endpoint/sample_dump.test.yml")).unwrap();
    // Renamed files: `file:` names nothing here, the stem pairs them.
    std::fs::write(dir.path().join("dump_2021.yml"), det).unwrap();
    std::fs::write(dir.path().join("dump_2021.test.yml"), &test).unwrap();
    std::fs::write(dir.path().join("orphan.test.yml"), &test).unwrap();
    let c = load_content(dir.path());
    assert_eq!(c.detections.len(), 1);
    assert_eq!(
        c.detections[0].tests[0].attack_data[0].data,
        "https://example.test/datasets/T1003.001/windows-sysmon.log"
    );
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert!(c.errors[0].file.ends_with("orphan.test.yml"));
    assert!(c.errors[0].message.contains("endpoint/sample_dump.yml"));
}
