//! Semantics of the add-on layer, one behaviour per test: an app written to a
//! temporary directory, one event, the fields it gets.

use firedrill_addons::{AddOns, ErrorKind};
use firedrill_events::SearchTime;
use firedrill_value::{Fields, Record, Row, Value, Want};

use std::path::PathBuf;

fn app(props: &str, transforms: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("TA-test");
    std::fs::create_dir_all(d.join("default")).unwrap();
    std::fs::write(d.join("default/props.conf"), props).unwrap();
    if !transforms.is_empty() {
        std::fs::write(d.join("default/transforms.conf"), transforms).unwrap();
    }
    (t, d)
}

fn load(props: &str, transforms: &str) -> (tempfile::TempDir, AddOns) {
    let (t, d) = app(props, transforms);
    let a = AddOns::load(&[d]).unwrap_or_else(|e| panic!("{e}"));
    (t, a)
}

fn event(st: &str, raw: &str, more: &[(&str, &str)]) -> Row {
    let mut r = Row::from([
        ("sourcetype".to_string(), Value::str(st)),
        ("source".to_string(), Value::str("/var/log/app/web.log")),
        ("host".to_string(), Value::str("web-01")),
        ("_raw".to_string(), Value::str(raw)),
    ]);
    for (k, v) in more {
        r.insert(k.to_string(), Value::str(*v));
    }
    r
}

fn get(r: &Row, f: &str) -> Option<String> {
    r.get_str(f).map(|v| v.to_string())
}

fn run(props: &str, transforms: &str, ev: Row) -> Row {
    let (_t, a) = load(props, transforms);
    let mut ev = ev;
    a.apply(&mut ev, &Want::everything());
    ev
}

#[test]
fn extract_named_groups_from_raw_or_a_field() {
    let r = run(
        "[web]\nEXTRACT-a = user=(?<user>\\w+)\nEXTRACT-b = (?<verb>[A-Z]+) in msg\n",
        "",
        event("web", "user=alice user=bob", &[("msg", "GET /")]),
    );
    assert_eq!(get(&r, "user").as_deref(), Some("alice"));
    assert_eq!(get(&r, "verb").as_deref(), Some("GET"));
}

#[test]
fn extract_overrides_a_reader_field_but_not_an_earlier_extraction() {
    let r = run(
        "[web]\nEXTRACT-a = u1=(?<user>\\w+)\nEXTRACT-b = u2=(?<user>\\w+)\n",
        "",
        event("web", "u1=first u2=second", &[("user", "from-reader")]),
    );
    assert_eq!(get(&r, "user").as_deref(), Some("first"));
}

#[test]
fn stanzas_for_other_sourcetypes_do_not_apply() {
    let r = run(
        "[other]\nEXTRACT-a = (?<x>.)\n",
        "",
        event("web", "abc", &[]),
    );
    assert_eq!(get(&r, "x"), None);
}

/// Searching `sourcetype=` ignores case, but which `[<sourcetype>]` stanza applies does
/// not (splunk/contentctl#429: "field extraction based on the sourcetype is not
/// necessarily case insensitive", `xmlwineventlog` against `XmlWinEventLog`).
#[test]
fn sourcetype_stanza_names_are_case_sensitive() {
    let r = run(
        "[Acme:Web]\nEXTRACT-a = (?<x>.)\n",
        "",
        event("acme:web", "abc", &[]),
    );
    assert_eq!(get(&r, "x"), None);
    let r = run(
        "[acme:web]\nEXTRACT-a = (?<x>.)\n",
        "",
        event("acme:web", "abc", &[]),
    );
    assert_eq!(get(&r, "x").as_deref(), Some("a"));
    // A stanza named in mixed case applies to its own sourcetype, and only to it.
    let props = "[XmlWinEventLog]\nEXTRACT-a = (?<x>.)\n";
    let r = run(props, "", event("XmlWinEventLog", "abc", &[]));
    assert_eq!(get(&r, "x").as_deref(), Some("a"));
    let r = run(props, "", event("xmlwineventlog", "abc", &[]));
    assert_eq!(get(&r, "x"), None);
}

#[test]
fn a_sourcetype_pattern_stanza_takes_every_sourcetype_it_matches() {
    let props = "[(?::){0}zeek(_|:)*]\nEVAL-zeek = 1\n";
    for (st, hit) in [
        ("zeek_conn", true),
        ("zeek:dns:json", true),
        ("zeekx", false),
        ("bro", false),
    ] {
        let r = run(props, "", event(st, "", &[]));
        assert_eq!(get(&r, "zeek").is_some(), hit, "{st}");
    }
}

#[test]
fn source_patterns_take_alternatives() {
    let props = "[source::/var/log/(app|other)/*.log]\nEVAL-hit = 1\n";
    assert_eq!(
        get(&run(props, "", event("web", "", &[])), "hit").as_deref(),
        Some("1")
    );
    let props = "[source::/var/log/(x|y)/*.log]\nEVAL-hit = 1\n";
    assert_eq!(get(&run(props, "", event("web", "", &[])), "hit"), None);
}

#[test]
fn transforms_default_stanza_gives_every_transform_its_settings() {
    let props = "[web]\nREPORT-x = t\n";
    let t = "[default]\nCLEAN_KEYS = false\n[t]\nREGEX = (\\S+)=(\\S+)\nFORMAT = $1::$2\n";
    let r = run(props, t, event("web", "user-name=al", &[]));
    assert_eq!(get(&r, "user-name").as_deref(), Some("al"));
    assert_eq!(get(&r, "user_name"), None);
}

#[test]
fn source_beats_host_beats_sourcetype_for_the_same_key() {
    let props = "[web]\nEVAL-who = \"sourcetype\"\nEVAL-st = \"yes\"\n\
                 [host::web-*]\nEVAL-who = \"host\"\n\
                 [source::/var/log/.../*.log]\nEVAL-who = \"source\"\n";
    let r = run(props, "", event("web", "", &[]));
    assert_eq!(get(&r, "who").as_deref(), Some("source"));
    assert_eq!(get(&r, "st").as_deref(), Some("yes"));
    let props = "[web]\nEVAL-who = \"sourcetype\"\n[host::web-*]\nEVAL-who = \"host\"\n";
    assert_eq!(
        get(&run(props, "", event("web", "", &[])), "who").as_deref(),
        Some("host")
    );
}

#[test]
fn default_stanza_applies_below_everything() {
    let props = "[default]\nEVAL-a = \"default\"\nEVAL-b = \"default\"\n[web]\nEVAL-b = \"web\"\n";
    let r = run(props, "", event("web", "", &[]));
    assert_eq!(
        (get(&r, "a").as_deref(), get(&r, "b").as_deref()),
        (Some("default"), Some("web"))
    );
}

#[test]
fn report_regex_format_and_key_value_pairs() {
    let props = "[web]\nREPORT-kv = pairs, action\n";
    let transforms = "[pairs]\nREGEX = (\\w+)=(\\w+)\nFORMAT = $1::$2\n\
                      [action]\nREGEX = act=(\\w+)\nFORMAT = action::$1 vendor_product::Acme\n";
    let r = run(props, transforms, event("web", "a=1 b=2 act=drop", &[]));
    assert_eq!(get(&r, "a").as_deref(), Some("1"));
    assert_eq!(get(&r, "b").as_deref(), Some("2"));
    assert_eq!(get(&r, "action").as_deref(), Some("drop"));
    assert_eq!(get(&r, "vendor_product").as_deref(), Some("Acme"));
}

#[test]
fn report_keeps_the_first_value_unless_mv_add() {
    let props = "[web]\nREPORT-x = users\n";
    let t = "[users]\nREGEX = user=(?<user>\\w+)\n";
    let r = run(props, t, event("web", "user=a user=b", &[]));
    assert_eq!(get(&r, "user").as_deref(), Some("a"));
    let t = "[users]\nREGEX = user=(?<user>\\w+)\nMV_ADD = true\n";
    let r = run(props, t, event("web", "user=a user=b", &[]));
    assert_eq!(
        r.get_str("user"),
        Some(&Value::multi(vec![Value::str("a"), Value::str("b")]))
    );
}

#[test]
fn report_delims_and_clean_keys() {
    let props = "[web]\nREPORT-x = kv, pos\n";
    let t = "[kv]\nDELIMS = \"|\", \"=\"\nSOURCE_KEY = msg\n\
             [pos]\nDELIMS = \",\"\nFIELDS = \"f1\", \"f2\"\n";
    let r = run(
        props,
        t,
        event("web", "x,y", &[("msg", "user-name=al|0code=7|empty=")]),
    );
    assert_eq!(get(&r, "user_name").as_deref(), Some("al"));
    assert_eq!(get(&r, "code").as_deref(), Some("7"));
    assert_eq!(get(&r, "empty"), None);
    assert_eq!(
        (get(&r, "f1").as_deref(), get(&r, "f2").as_deref()),
        (Some("x"), Some("y"))
    );
}

#[test]
fn field_alias_as_and_asnew() {
    let props = "[web]\nFIELDALIAS-a = src_ip AS src\nFIELDALIAS-b = user ASNEW account\n";
    let r = run(
        props,
        "",
        event(
            "web",
            "",
            &[("src_ip", "10.0.0.1"), ("user", "u"), ("account", "kept")],
        ),
    );
    assert_eq!(get(&r, "src").as_deref(), Some("10.0.0.1"));
    assert_eq!(get(&r, "account").as_deref(), Some("kept"));
    // AS with the original missing removes the alias (Splunk 7.2.4 and later).
    let r = run(props, "", event("web", "", &[("src", "stale")]));
    assert_eq!(get(&r, "src"), None);
}

#[test]
fn calculated_fields_see_the_event_before_any_of_them() {
    let props = "[web]\nEVAL-x = y*2\nEVAL-y = 100\nEVAL-gone = null()\n";
    let r = run(
        props,
        "",
        event("web", "", &[("y", "3"), ("gone", "was here")]),
    );
    assert_eq!(get(&r, "x").as_deref(), Some("6"));
    assert_eq!(get(&r, "y").as_deref(), Some("100"));
    assert_eq!(get(&r, "gone"), None);
}

#[test]
fn calculated_fields_read_extractions_and_aliases() {
    let props = "[web]\nEXTRACT-s = status=(?<status>\\d+)\nFIELDALIAS-c = status AS http_status\n\
                 EVAL-outcome = case(http_status>=500, \"error\", http_status>=400, \"denied\", true(), \"ok\")\n";
    let r = run(props, "", event("web", "GET status=503", &[]));
    assert_eq!(get(&r, "outcome").as_deref(), Some("error"));
}

#[test]
fn a_renamed_sourcetype_takes_the_targets_settings_not_its_own() {
    let props = "[web]\nrename = acme:web\nEVAL-old = 1\n[acme:web]\nEVAL-new = 2\n";
    let r = run(props, "", event("web", "", &[]));
    assert_eq!(get(&r, "sourcetype").as_deref(), Some("acme:web"));
    assert_eq!(get(&r, "_sourcetype").as_deref(), Some("web"));
    assert_eq!(
        (get(&r, "old"), get(&r, "new").as_deref()),
        (None, Some("2"))
    );
}

#[test]
fn cleaned_names_are_wanted_through_their_transform() {
    let (_t, a) = load(
        "[web]\nREPORT-x = t\n",
        "[t]\nREGEX = ip=(\\S+)\nFORMAT = src-ip::$1\nSOURCE_KEY = msg\n",
    );
    let mut want = Want::of(["src_ip"]);
    a.expand(&mut want, None);
    assert!(want.get("msg").is_some());
}

#[test]
fn expand_for_a_sourcetype_reads_only_what_its_stanzas_read() {
    let (_t, a) = load(
        "[web]\nEXTRACT-d = dest=(?<acme_dest>\\S+) in acme_msg\n\
         [win]\nEVAL-acme_dest = acme_host\n\
         [old]\nrename = win\n\
         [source::...sec]\nEVAL-acme_user = acme_account\n",
        "",
    );
    // Which of the three inputs a want of the two outputs reads.
    let expanded = |st: Option<&str>| {
        let mut want = Want::of(["acme_dest", "acme_user"]);
        a.expand(&mut want, st);
        ["acme_msg", "acme_host", "acme_account"]
            .into_iter()
            .filter(|f| want.get(f).is_some())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(expanded(None), "acme_msg acme_host acme_account");
    assert_eq!(expanded(Some("web")), "acme_msg acme_account");
    assert_eq!(expanded(Some("win")), "acme_host acme_account");
    // A renamed sourcetype takes its target's stanzas.
    assert_eq!(expanded(Some("old")), "acme_host acme_account");
    assert_eq!(expanded(Some("other")), "acme_account");
}

#[test]
fn only_wanted_fields_are_computed_and_expand_adds_their_inputs() {
    let (_t, a) = load(
        "[web]\nEXTRACT-s = status=(?<status>\\d+)\nEVAL-bad = status>=400\nEVAL-other = 1\n",
        "",
    );
    let mut want = Want::of(["bad", "sourcetype"]);
    a.expand(&mut want, None);
    a.expand(&mut want, None);
    assert!(
        want.get("status").is_some() && want.get("_raw").is_some(),
        "{:?}",
        want.names().collect::<Vec<_>>()
    );
    assert!(want.get("other").is_none());
    let row = event("web", "status=404", &[]);
    let mut rec = Record::new();
    for (k, v) in &row {
        if let Some(s) = want.get(k) {
            rec.set_sym(s, v.clone());
        }
    }
    a.apply(&mut rec, &want);
    assert_eq!(
        rec.get_str("bad").map(|v| v.to_string()).as_deref(),
        Some("true")
    );
    assert!(rec.get_str("other").is_none());
}

/// Through the real readers: a key=value line read by firedrill's line reader, its
/// reader fields aliased and computed on, with every field kept (`search`) and with
/// only some (`run`).
#[test]
fn reader_fields_feed_aliases_and_calculated_fields_on_both_paths() {
    use firedrill_events::{expand_want_with, open_reader, ReadOptions, SourceMeta};
    use std::sync::Arc;
    let (_t, d) = app(
        "[kv]\nFIELDALIAS-a = foo AS bar\nEVAL-twice = foo*2\nEVAL-foo = foo+1\n",
        "",
    );
    let a: Arc<dyn SearchTime> = Arc::new(AddOns::load(&[d]).unwrap());
    let meta = SourceMeta {
        sourcetype: Some("kv".into()),
        ..SourceMeta::default()
    };
    for want in [Want::everything(), Want::of(["bar", "twice", "foo"])] {
        let mut want = want;
        expand_want_with(&mut want, Some(&*a));
        let opts = ReadOptions {
            knowledge: Some(a.clone()),
            ..ReadOptions::with_want(Arc::new(want.clone()))
        };
        let text = "2024-03-05T10:00:00Z foo=21 other=x\n";
        let mut s = open_reader(Box::new(std::io::Cursor::new(text)), "t", &meta, &opts).unwrap();
        let b = s.next_batch().unwrap().unwrap();
        let ev: &dyn Fields = match (b.rows.first(), b.records.first()) {
            (Some(r), _) => r,
            (None, Some(r)) => r,
            _ => panic!("no event"),
        };
        let f = |n: &str| ev.get_str(n).map(|v| v.to_string());
        assert_eq!(f("bar").as_deref(), Some("21"), "all: {}", want.all);
        assert_eq!(f("twice").as_deref(), Some("42"), "all: {}", want.all);
        assert_eq!(f("foo").as_deref(), Some("22"), "all: {}", want.all);
        let mut names = Vec::new();
        ev.for_each(&mut |k, _| names.push(k.to_string()));
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(n, names.len(), "a field twice: {names:?}");
    }
}

#[test]
fn time_format_after_time_prefix_gives_time() {
    let props = "[web]\nTIME_PREFIX = \\[\nTIME_FORMAT = %d/%b/%Y:%H:%M:%S %z\nMAX_TIMESTAMP_LOOKAHEAD = 26\n";
    let r = run(
        props,
        "",
        event(
            "web",
            "1.2.3.4 - - [05/Mar/2024:10:00:00 +0100] \"GET /\"",
            &[("_time", "0")],
        ),
    );
    assert_eq!(r.get_str("_time"), Some(&Value::Num(1_709_629_200.0)));
    // No prefix match, or no time where the format says: the time stays.
    for raw in ["no bracket here", "[not a time]"] {
        let r = run(props, "", event("web", raw, &[("_time", "7")]));
        assert_eq!(get(&r, "_time").as_deref(), Some("7"), "{raw}");
    }
    // Too short a look-ahead cuts the timestamp.
    let short = props.replace("26", "10");
    let r = run(
        &short,
        "",
        event("web", "[05/Mar/2024:10:00:00 +0100]", &[("_time", "7")]),
    );
    assert_eq!(get(&r, "_time").as_deref(), Some("7"));
    // A prefix without a format is not guessed at.
    let (_t, a) = load("[web]\nTIME_PREFIX = x\n", "");
    assert!(
        a.findings()[0].why.contains("without a TIME_FORMAT"),
        "{:?}",
        a.findings()
    );
}

fn with_lookup(props: &str, transforms: &str, csv: &str) -> (tempfile::TempDir, AddOns) {
    let (t, d) = app(props, transforms);
    std::fs::create_dir_all(d.join("lookups")).unwrap();
    std::fs::write(d.join("lookups/users.csv"), csv).unwrap();
    let a = AddOns::load(&[d]).unwrap_or_else(|e| panic!("{e}"));
    (t, a)
}

#[test]
fn automatic_lookups_after_calculated_fields() {
    let csv = "user,department,risk\nalice,finance,high\nbob,it,low\n";
    let t = "[user_info]\nfilename = users.csv\ncase_sensitive_match = false\n";
    let props = "[web]\nEVAL-account = lower(acct)\nLOOKUP-u = user_info user AS account OUTPUT department AS dept risk\n";
    let (_t, a) = with_lookup(props, t, csv);
    assert!(a.findings().is_empty(), "{:?}", a.findings());
    let mut ev = event("web", "", &[("acct", "ALICE"), ("risk", "stale")]);
    a.apply(&mut ev, &Want::everything());
    assert_eq!(get(&ev, "dept").as_deref(), Some("finance"));
    assert_eq!(get(&ev, "risk").as_deref(), Some("high"));
    // No match: OUTPUT removes what it would write.
    let mut ev = event("web", "", &[("acct", "carol"), ("risk", "stale")]);
    a.apply(&mut ev, &Want::everything());
    assert_eq!((get(&ev, "dept"), get(&ev, "risk")), (None, None));
    // OUTPUTNEW keeps a field the event has.
    let props = "[web]\nLOOKUP-u = user_info user OUTPUTNEW risk\n";
    let (_t, a) = with_lookup(props, t, csv);
    let mut ev = event("web", "", &[("user", "bob"), ("risk", "kept")]);
    a.apply(&mut ev, &Want::everything());
    assert_eq!(get(&ev, "risk").as_deref(), Some("kept"));
    // Fields separated by commas, as real add-ons write them.
    let props = "[web]\nLOOKUP-u = user_info user OUTPUT department,risk\n";
    let (_t, a) = with_lookup(props, t, csv);
    let mut ev = event("web", "", &[("user", "alice")]);
    a.apply(&mut ev, &Want::everything());
    assert_eq!(
        (
            get(&ev, "department").as_deref(),
            get(&ev, "risk").as_deref()
        ),
        (Some("finance"), Some("high"))
    );
    // Without OUTPUT: every other column.
    let props = "[web]\nLOOKUP-u = user_info user\n";
    let (_t, a) = with_lookup(props, t, csv);
    let mut ev = event("web", "", &[("user", "bob")]);
    a.apply(&mut ev, &Want::everything());
    assert_eq!(
        (
            get(&ev, "department").as_deref(),
            get(&ev, "risk").as_deref()
        ),
        (Some("it"), Some("low"))
    );
}

#[test]
fn lookup_files_stay_inside_the_apps_lookups_directory() {
    for name in ["../default/props.conf", "/etc/passwd", "missing.csv"] {
        let t = format!("[user_info]\nfilename = {name}\n");
        let (_t, a) = with_lookup("[web]\nLOOKUP-u = user_info user\n", &t, "user\n");
        assert_eq!(a.user_stanzas(), 0, "{name}");
        assert!(
            a.findings()[0].why.contains("is not in"),
            "{name}: {:?}",
            a.findings()
        );
    }
    let (_t, a) = with_lookup(
        "[web]\nLOOKUP-u = kv user\n",
        "[kv]\nexternal_type = kvstore\ncollection = c\nfields_list = user\n",
        "user\n",
    );
    assert!(
        a.findings().iter().any(|f| f.why.contains("KV store")),
        "{:?}",
        a.findings()
    );
    // An unknown column is an error with the line.
    let (t, d) = app(
        "[web]\n\nLOOKUP-u = user_info nope\n",
        "[user_info]\nfilename = users.csv\n",
    );
    std::fs::create_dir_all(d.join("lookups")).unwrap();
    std::fs::write(d.join("lookups/users.csv"), "user,x\n").unwrap();
    let e = AddOns::load(&[d]).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("no column `nope`"), "{e}");
    drop(t);
}

#[test]
fn a_lookups_directory_linked_elsewhere_is_not_read() {
    let (t, d) = app(
        "[web]\nLOOKUP-u = user_info user\n",
        "[user_info]\nfilename = passwd\n",
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("passwd"), "user,secret\nroot,x\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), d.join("lookups")).unwrap();
    let a = AddOns::load(&[d]).unwrap();
    assert_eq!(a.user_stanzas(), 0);
    assert!(
        a.findings()[0].why.contains("is not in"),
        "{:?}",
        a.findings()
    );
    assert_eq!(a.findings()[0].stanza, "web");
    drop(t);
}

#[test]
fn lookup_settings_firedrill_does_not_know_are_findings() {
    let (_t, a) = with_lookup(
        "[web]\nLOOKUP-u = user_info user\n",
        "[user_info]\nfilename = users.csv\nfilter = risk>1\n",
        "user,risk\nbob,2\n",
    );
    assert_eq!(a.user_stanzas(), 1);
    assert!(
        a.findings().iter().any(|f| f.key == "filter"),
        "{:?}",
        a.findings()
    );
}

#[test]
fn time_formats_without_a_year_or_a_limit_and_broken_ones() {
    // No limit with 0 or a negative look-ahead; a syslog time takes the current year.
    for limit in ["0", "-1"] {
        let props =
            format!("[web]\nTIME_FORMAT = %b %d %H:%M:%S\nMAX_TIMESTAMP_LOOKAHEAD = {limit}\n");
        let r = run(
            &props,
            "",
            event("web", "Mar  5 10:00:00 host sshd[1]: ok", &[("_time", "0")]),
        );
        let t = r.get_str("_time").and_then(Value::as_num).unwrap();
        assert!(t > 1_700_000_000.0, "{limit}: {t}");
    }
    // A format firedrill cannot read is a finding, not applied.
    let (_t, a) = load("[web]\nTIME_FORMAT = %Q%\n", "");
    assert_eq!(a.user_stanzas(), 0);
    assert!(
        a.findings()[0].why.contains("not a strftime format"),
        "{:?}",
        a.findings()
    );
    // Splunk's sub-second codes.
    let props = "[web]\nTIME_FORMAT = %Y-%m-%dT%H:%M:%S.%6Q%z\n";
    let r = run(
        props,
        "",
        event(
            "web",
            "2024-03-05T10:00:00.250000+0000 x",
            &[("_time", "0")],
        ),
    );
    assert_eq!(r.get_str("_time"), Some(&Value::Num(1_709_632_800.25)));
}

#[test]
fn settings_not_applied_are_findings_with_their_line() {
    let (_t, a) = load(
        "[web]\nKV_MODE = xml\nSEDCMD-geo = s/a/b/\nTRANSFORMS-route = x\nFROBNICATE = 1\ncategory = Web\nEVAL-h = frobnicate(x)\n",
        "",
    );
    let f: Vec<(usize, &str)> = a
        .findings()
        .iter()
        .map(|f| (f.line, f.key.as_str()))
        .collect();
    assert_eq!(
        f,
        [
            (2, "KV_MODE"),
            (3, "SEDCMD-geo"),
            (4, "TRANSFORMS-route"),
            (5, "FROBNICATE"),
            (7, "EVAL-h")
        ]
    );
    assert!(
        a.findings()[4].why.contains("frobnicate"),
        "{}",
        a.findings()[4].why
    );
}

#[test]
fn index_time_transforms_are_not_applied() {
    let (_t, a) = load(
        "[web]\nREPORT-x = route\n",
        "[route]\nREGEX = .\nDEST_KEY = _MetaData:Index\nFORMAT = other\n",
    );
    assert_eq!(a.user_stanzas(), 0);
    assert!(a.findings().iter().any(|f| f.key == "DEST_KEY"));
}

#[test]
fn broken_settings_stop_loading_with_file_and_line() {
    for (props, transforms, kind, line, file) in [
        (
            "[web]\n\nEXTRACT-a = (?<a>[\n",
            "",
            ErrorKind::Regex,
            3,
            "props.conf",
        ),
        (
            "[web]\nEXTRACT-a = plain\n",
            "",
            ErrorKind::Regex,
            2,
            "props.conf",
        ),
        (
            "[web]\nREPORT-a = missing\n",
            "",
            ErrorKind::Reference,
            2,
            "props.conf",
        ),
        (
            "[web]\nEVAL-a = if(x,\n",
            "",
            ErrorKind::Eval,
            2,
            "props.conf",
        ),
        (
            "[web]\nFIELDALIAS-a = x TO y\n",
            "",
            ErrorKind::Value,
            2,
            "props.conf",
        ),
        (
            "[web]\nREPORT-a = t\n",
            "[t]\nREGEX = (a)\nMV_ADD = maybe\n",
            ErrorKind::Value,
            3,
            "transforms.conf",
        ),
        (
            "[web]\nREPORT-a = t\n",
            "[t]\nFORMAT = a::$1\n",
            ErrorKind::Value,
            1,
            "transforms.conf",
        ),
        ("not a setting\n", "", ErrorKind::Syntax, 1, "props.conf"),
    ] {
        let (_t, d) = app(props, transforms);
        let e = AddOns::load(&[d]).unwrap_err();
        assert_eq!((e.kind, e.line), (kind, line), "{props:?}: {e}");
        assert!(e.file.ends_with(format!("default/{file}")), "{e}");
        assert!(e.to_string().contains(&format!("{file}:{line}: ")), "{e}");
    }
}

#[test]
fn local_overrides_default() {
    let (t, d) = app("[web]\nEVAL-x = \"default\"\n", "");
    std::fs::create_dir_all(d.join("local")).unwrap();
    std::fs::write(d.join("local/props.conf"), "[web]\nEVAL-x = \"local\"\n").unwrap();
    let a = AddOns::load(&[t.path().to_path_buf()]).unwrap();
    let mut ev = event("web", "", &[]);
    a.apply(&mut ev, &Want::everything());
    assert_eq!(get(&ev, "x").as_deref(), Some("local"));
    assert!(a.feeds("web").unwrap().ends_with("local/props.conf"));
    assert!(a.feeds("WEB").is_none());
}

/// Which fields of a user's add-on hold pieces of the event text (for skipping events
/// by their text): not a `DELIMS` split (it drops quotes inside values), not a
/// `FORMAT` literal the pattern matches under its cleaned name, not a number literal
/// that matches as a number, not a `replace` whose expression has alternatives.
#[test]
fn pieces_of_the_event_text_through_a_users_add_on() {
    let (_t, a) = load(
        "[st]\nREPORT-d = split, fmt\nEVAL-flag = if(x==\"1\", 1, null())\nEVAL-cut = replace(CommandLine, \"^x|_\", \"\")\nEVAL-base = replace(Image, \"^.*[\\\\\\\\/]\", \"\")\nFIELDALIAS-a = CommandLine AS cmd\n",
        "[split]\nSOURCE_KEY = CommandLine\nDELIMS = \" \"\nFIELDS = exe, arg1\n\n[fmt]\nREGEX = (comsvcs)\nFORMAT = dump-kind::lsass_minidump found::$1\n",
    );
    let holds = |field: &str, pattern: &str| {
        let p = firedrill_spl::search::Pattern::new(pattern);
        a.keeps_pieces(field, "st", &firedrill_events::raw_piece, &|c| {
            p.any_value(c)
        })
    };
    assert!(!holds("arg1", "comsvcs.dll"));
    assert!(!holds("dump_kind", "lsass_minidump"));
    assert!(holds("dump_kind", "*other*"));
    assert!(holds("found", "comsvcs"));
    assert!(!holds("flag", "1.0"));
    assert!(holds("flag", "2"));
    assert!(!holds("cut", "*rundll32*"));
    assert!(holds("base", "*rundll32*"));
    assert!(holds("cmd", "*rundll32*"));
}
