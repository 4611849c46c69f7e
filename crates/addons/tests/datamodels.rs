//! Event types, tags and data models from a user's Splunk app: `eventtypes.conf`,
//! `tags.conf` and `data/models/*.json`, layered over the built-in ones.

use firedrill_addons::{AddOns, ErrorKind};
use firedrill_events::SearchTime;
use firedrill_value::{Event, Fields, Row, Value, Want};
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const EVENTTYPES: &str = "\
[acme_login]
search = sourcetype=acme:auth action IN (success, failure)

[acme_admin]
search = sourcetype=acme:auth user=admin*
";

const TAGS: &str = "\
[eventtype=acme_login]
authentication = enabled
default = enabled

[eventtype=acme_admin]
privileged = enabled
default = disabled

[dest=vault-1]
critical = enabled
";

/// A model with a root dataset and a child that takes its constraint and fields.
const MODEL: &str = r#"{
  "modelName": "Acme_Auth",
  "objects": [
    {
      "objectName": "Logins",
      "parentName": "BaseEvent",
      "constraints": [{"search": "tag=authentication"}],
      "fields": [{"fieldName": "user"}, {"fieldName": "dest"}],
      "calculations": [
        {"calculationType": "Eval", "outputFields": [{"fieldName": "action"}],
         "expression": "if(isnull(action) OR action=\"\",\"unknown\",action)"},
        {"calculationType": "Eval", "outputFields": [{"fieldName": "user_lower"}],
         "expression": "lower(user)"}
      ]
    },
    {
      "objectName": "Admin_Logins",
      "parentName": "Logins",
      "constraints": [{"search": "tag=privileged"}],
      "fields": [{"fieldName": "role"}]
    }
  ]
}"#;

fn app(model: &str) -> (tempfile::TempDir, AddOns) {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "TA-acme/default/eventtypes.conf", EVENTTYPES);
    write(t.path(), "TA-acme/default/tags.conf", TAGS);
    write(
        t.path(),
        "TA-acme/default/data/models/Acme_Auth.json",
        model,
    );
    let a = AddOns::load(&[t.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    (t, a)
}

fn event(pairs: &[(&str, &str)]) -> Event {
    let mut fields = Row::new();
    fields.insert("sourcetype".into(), Value::str("acme:auth"));
    for (k, v) in pairs {
        fields.insert(k.to_string(), Value::str(*v));
    }
    Event { fields }
}

fn tagged(a: &AddOns, pairs: &[(&str, &str)]) -> Event {
    let mut e = event(pairs);
    a.apply(&mut e.fields, &Want::everything());
    e
}

fn text(r: &Row, f: &str) -> Option<String> {
    r.get_str(f).map(|v| v.to_string())
}

#[test]
fn event_types_and_tags_are_sorted_lists_on_the_event() {
    let (_t, a) = app(MODEL);
    let e = tagged(
        &a,
        &[
            ("action", "success"),
            ("user", "admin7"),
            ("dest", "vault-1"),
        ],
    );
    let f = &e.fields;
    assert_eq!(
        f.get_str("eventtype"),
        Some(&Value::multi(vec![
            Value::str("acme_admin"),
            Value::str("acme_login")
        ]))
    );
    // `default = disabled` on acme_admin does not take away acme_login's.
    assert_eq!(
        f.get_str("tag"),
        Some(&Value::multi(
            ["authentication", "critical", "default", "privileged"]
                .map(Value::str)
                .to_vec()
        ))
    );
    let e = tagged(&a, &[("action", "blocked"), ("user", "bob")]);
    assert_eq!(e.fields.get_str("tag"), None);
    assert_eq!(e.fields.get_str("eventtype"), None);
}

#[test]
fn tags_are_computed_only_when_wanted_and_want_their_inputs() {
    let (_t, a) = app(MODEL);
    let mut e = event(&[("action", "success")]);
    a.apply(&mut e.fields, &Want::of(["action"]));
    assert_eq!(e.fields.get_str("tag"), None);
    let mut want = Want::of(["tag"]);
    firedrill_events::expand_want_with(&mut want, Some(&a));
    for f in ["sourcetype", "action", "user", "dest"] {
        assert!(want.wants(f), "{f}");
    }
}

#[test]
fn a_dataset_takes_its_parents_constraints_and_fields_with_their_owner_prefix() {
    let (_t, a) = app(MODEL);
    let dms = a.datamodels();
    assert!(dms.known("Acme_Auth.Admin_Logins"));
    let events = vec![
        tagged(
            &a,
            &[("action", "success"), ("user", "Admin7"), ("role", "root")],
        ),
        tagged(&a, &[("action", "failure"), ("user", "Bob")]),
        tagged(&a, &[("user", "admin2")]),
        tagged(&a, &[("action", ""), ("user", "x")]),
    ];
    let logins = dms.rows("Acme_Auth.Logins", &events).unwrap();
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert_eq!(
        text(&logins[1], "Logins.user_lower").as_deref(),
        Some("bob")
    );
    assert_eq!(
        text(&logins[1], "Logins.action").as_deref(),
        Some("failure")
    );
    let admins = dms.rows("Acme_Auth.Admin_Logins", &events).unwrap();
    assert_eq!(admins.len(), 1, "{admins:?}");
    let r = &admins[0];
    assert_eq!(text(r, "Logins.user").as_deref(), Some("Admin7"));
    assert_eq!(text(r, "Logins.user_lower").as_deref(), Some("admin7"));
    // A child's own fields are named by its lineage, inherited ones by their owner.
    assert_eq!(text(r, "Logins.Admin_Logins.role").as_deref(), Some("root"));
    assert_eq!(text(r, "sourcetype").as_deref(), Some("acme:auth"));
    assert_eq!(r.get_str("role"), None, "only dataset names are visible");
    // The dataset reads `tag`, which the add-ons expand to what the event types read.
    let set = dms.resolve("Acme_Auth.Admin_Logins").unwrap();
    let inputs = set.inputs(&["Logins.user"]);
    // A calculated field needs what its expression reads.
    assert!(set
        .inputs(&["Logins.user_lower"])
        .contains(&"user".to_string()));
    assert!(
        inputs.contains(&"tag".to_string()) && inputs.contains(&"user".to_string()),
        "{inputs:?}"
    );
}

#[test]
fn the_cim_default_fills_absent_and_empty_fields() {
    let (_t, a) = app(MODEL);
    let e = tagged(&a, &[("action", "success"), ("user", "u")]);
    let set = a.datamodels().resolve("Acme_Auth.Logins").unwrap();
    let v = set.view(&e.fields);
    assert_eq!(v.get_str("Logins.action"), Some(&Value::str("success")));
    assert_eq!(v.get_str("Logins.dest"), None, "no default: absent");
    let ev = set.event(&e.fields);
    assert_eq!(ev.get_str("user_lower"), Some(&Value::str("u")));
    assert_eq!(ev.get_str("sourcetype"), Some(&Value::str("acme:auth")));
}

#[test]
fn a_users_model_replaces_the_built_in_one_of_the_same_name() {
    let t = tempfile::tempdir().unwrap();
    let web = r#"{"modelName": "Web", "objects": [{"objectName": "Web", "parentName": "BaseEvent",
        "constraints": [{"search": "sourcetype=acme:web"}], "fields": [{"fieldName": "url"}]}]}"#;
    write(t.path(), "TA-web/local/data/models/Web.json", web);
    let a = AddOns::load(&[t.path().to_path_buf()]).unwrap();
    let set = a.datamodels().resolve("Web.Web").unwrap();
    assert!(set.file().ends_with("TA-web/local/data/models/Web.json"));
    assert_eq!(set.field_names().collect::<Vec<_>>(), ["Web.url"]);
    assert!(a.datamodels().fed_by("Web", "acme:web"));
    assert!(!a.datamodels().fed_by("Web", "suricata"));
    // The other built-in models stay.
    assert!(a.datamodels().known("Endpoint.Processes"));
}

#[test]
fn broken_definitions_stop_loading_with_file_and_line() {
    let cases: &[(&str, &str, &str, ErrorKind, usize, &str)] = &[
        ("default/data/models/M.json", "{\n  \"objects\": [\n    {\"objectName\": 3}\n  ]\n}", "", ErrorKind::DataModel, 3, "not Splunk data model JSON"),
        ("default/data/models/M.json", "{\"modelName\": \"N\", \"objects\": []}", "", ErrorKind::DataModel, 1, "defines `N`"),
        ("default/data/models/M.json", "{\"objects\": [\n{\"objectName\": \"A\", \"parentName\": \"Z\"}]}", "", ErrorKind::DataModel, 2, "parent `Z`"),
        ("default/data/models/M.json", "{\"objects\": [\n{\"objectName\": \"A\", \"parentName\": \"BaseEvent\",\n \"constraints\": [{\"search\": \"tag=x (\"}]}]}", "", ErrorKind::Search, 2, "constraint of `M.A`"),
        ("default/data/models/M.json", "{\"objects\": [\n{\"objectName\": \"A\", \"parentName\": \"BaseEvent\",\n \"calculations\": [{\"calculationType\": \"Eval\", \"outputFields\": [{\"fieldName\": \"x\"}], \"expression\": \"if(\"}]}]}", "", ErrorKind::Eval, 2, "calculated field `x`"),
        ("default/eventtypes.conf", "[e]\nsearch = a=1 (b=2\n", "", ErrorKind::Search, 2, "event type `e`"),
        ("default/eventtypes.conf", "[e]\ndescription = none\n", "", ErrorKind::Value, 1, "has no `search`"),
        ("default/tags.conf", "[eventtype=e]\nx = maybe\n", "[e]\nsearch = a=1\n", ErrorKind::Value, 2, "`enabled` or `disabled`"),
    ];
    for (rel, text, eventtypes, kind, line, says) in cases {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), &format!("TA-x/{rel}"), text);
        if !eventtypes.is_empty() {
            write(t.path(), "TA-x/default/eventtypes.conf", eventtypes);
        }
        let e = AddOns::load(&[t.path().to_path_buf()])
            .err()
            .unwrap_or_else(|| panic!("{rel}: {text} loads"));
        assert_eq!(e.kind, *kind, "{e}");
        assert_eq!(e.line, *line, "{e}");
        assert!(e.file.ends_with(rel), "{e}");
        assert!(e.message.contains(says), "{e}");
    }
}

#[test]
fn what_is_not_applied_is_a_finding_with_its_line() {
    let t = tempfile::tempdir().unwrap();
    let model = r#"{"objects": [
  {"objectName": "S", "parentName": "BaseSearch", "baseSearch": "index=x"},
  {"objectName": "T", "parentName": "S"},
  {"objectName": "A", "parentName": "BaseEvent",
   "fields": [{"fieldName": "a", "fieldSearch": "a=1"}],
   "calculations": [{"calculationType": "GeoIP", "outputFields": [{"fieldName": "city"}]},
     {"calculationType": "Eval", "outputFields": [{"fieldName": "b"}], "expression": "frobnicate(a)"}]}
]}"#;
    write(t.path(), "TA-x/default/data/models/M.json", model);
    write(
        t.path(),
        "TA-x/default/eventtypes.conf",
        "[e]\nsearch = a=1\ncolor = et_red\nfoo = 1\n",
    );
    write(
        t.path(),
        "TA-x/default/tags.conf",
        "[eventtype=nope]\nx = enabled\n",
    );
    let a = AddOns::load(&[t.path().to_path_buf()]).unwrap();
    let f: Vec<String> = a
        .findings()
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}: {}",
                f.file.file_name().unwrap().to_string_lossy(),
                f.line,
                f.stanza,
                f.key,
                f.why
            )
        })
        .collect();
    let has = |s: &str| f.iter().any(|x| x.contains(s));
    assert!(
        has("M.json:2 M.S parentName: BaseSearch-based datasets"),
        "{f:#?}"
    );
    assert!(has("M.json:3 M.T parentName: its parent `S`"), "{f:#?}");
    assert!(has("M.json:4 M.A fieldSearch"), "{f:#?}");
    assert!(
        has("M.json:4 M.A calculations: GeoIP calculations are not supported"),
        "{f:#?}"
    );
    assert!(has("M.json:4 M.A b: ") && has("frobnicate"), "{f:#?}");
    assert!(has("eventtypes.conf:4 e foo"), "{f:#?}");
    assert!(!has("color"), "{f:#?}");
    assert!(has("tags.conf:1 eventtype=nope"), "{f:#?}");
    assert_eq!(f.len(), 7, "{f:#?}");
    // What could be applied still is.
    assert!(a.datamodels().known("M.A"));
    assert!(!a.datamodels().known("M.S"));
}

#[test]
fn built_in_datasets_know_their_event_codes_and_sourcetypes() {
    let dms = firedrill_addons::builtin::datamodels();
    let p = dms.resolve("Endpoint.Processes").unwrap();
    assert_eq!(p.event_codes(), Some(vec!["1", "4688"]));
    assert!(p.file().to_string_lossy().contains("firedrill_cim"));
    assert_eq!(dms.resolve("Web").unwrap().event_codes(), None);
    assert!(dms.fed_by("Endpoint.Processes", "XmlWinEventLog"));
    assert!(!dms.fed_by("Endpoint.Processes", "aws:cloudtrail"));
    assert!(dms.fed_by("Authentication", "aws:cloudtrail"));
    assert!(dms.fed_by("Web", "nginx:plus:kv"));
    assert!(!dms.fed_by("Web", "aws:cloudtrail"));
    assert!(!dms.fed_by("Nope", "aws:cloudtrail"));
}

#[test]
fn every_required_tag_narrows_event_codes_and_sourcetypes() {
    let dms = firedrill_addons::builtin::datamodels();
    // `tag=network tag=resolution tag=dns`: only Sysmon's DNS events have all three.
    let dns = dms.resolve("Network_Resolution.DNS").unwrap();
    assert_eq!(dns.event_codes(), Some(vec!["22"]));
    assert!(!dms.fed_by("Network_Resolution.DNS", "pan:traffic"));
    assert!(!dms.fed_by("Network_Resolution.DNS", "bro:conn:json"));
    assert!(dms.fed_by("Network_Resolution.DNS", "XmlWinEventLog"));
    assert!(dms.fed_by("Network_Traffic", "pan:traffic"));
    // `tag=endpoint tag=filesystem`: not the registry's codes.
    let fs = dms.resolve("Endpoint.Filesystem").unwrap();
    assert_eq!(
        fs.event_codes(),
        Some(vec!["11", "15", "2", "23", "26", "27", "29"])
    );
}

#[test]
fn a_calculation_sees_the_defaults_and_calculations_before_it() {
    let t = tempfile::tempdir().unwrap();
    let model = r#"{"objects": [{"objectName": "A", "parentName": "BaseEvent",
  "constraints": [{"search": "sourcetype=acme:auth"}],
  "calculations": [
    {"calculationType": "Eval", "outputFields": [{"fieldName": "user"}],
     "expression": "if(isnull(user) OR user=\"\",\"unknown\",user)"},
    {"calculationType": "Eval", "outputFields": [{"fieldName": "user_upper"}],
     "expression": "upper(user)"},
    {"calculationType": "Eval", "outputFields": [{"fieldName": "tagged"}],
     "expression": "user_upper.\"!\""}]}]}"#;
    write(t.path(), "TA-x/default/data/models/M.json", model);
    let a = AddOns::load(&[t.path().to_path_buf()]).unwrap();
    let rows = a.datamodels().rows("M.A", &[event(&[])]).unwrap();
    assert_eq!(text(&rows[0], "A.user").as_deref(), Some("unknown"));
    assert_eq!(text(&rows[0], "A.user_upper").as_deref(), Some("UNKNOWN"));
    assert_eq!(text(&rows[0], "A.tagged").as_deref(), Some("UNKNOWN!"));
    // By bare name too (`| from datamodel:M.A` reads them so), with their inputs.
    let set = a.datamodels().resolve("M.A").unwrap();
    assert!(set.inputs(&["tagged"]).contains(&"user".to_string()));
}

#[test]
fn macros_are_findings_and_a_bare_model_name_is_its_root_dataset() {
    let t = tempfile::tempdir().unwrap();
    let model = r#"{"modelName": "Change", "objects": [
  {"objectName": "Account_Management", "parentName": "All_Changes",
   "constraints": [{"search": "tag=account"}]},
  {"objectName": "All_Changes", "parentName": "BaseEvent",
   "constraints": [{"search": "tag=change"}]},
  {"objectName": "Audit", "parentName": "BaseEvent",
   "constraints": [{"search": "(`cim_Change_indexes`) tag=audit"}]}
]}"#;
    write(t.path(), "TA-x/default/data/models/Change.json", model);
    write(
        t.path(),
        "TA-x/default/eventtypes.conf",
        "[m]\nsearch = `acme_index` sourcetype=acme\n",
    );
    let a = AddOns::load(&[t.path().to_path_buf()]).unwrap();
    let dms = a.datamodels();
    assert_eq!(dms.resolve("Change").unwrap().name(), "Change.All_Changes");
    assert!(dms.known("Change.Account_Management"));
    assert!(!dms.known("Change.Audit"));
    let f: Vec<String> = a
        .findings()
        .iter()
        .map(|f| format!("{}:{} {}", f.line, f.stanza, f.why))
        .collect();
    assert!(
        f.iter()
            .any(|x| x.starts_with("6:Change.Audit ") && x.contains("macro")),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|x| x.starts_with("2:m ") && x.contains("macro")),
        "{f:#?}"
    );
}
