//! `KV_MODE` and `INDEXED_EXTRACTIONS`: an add-on choosing how the reader takes
//! fields from a sourcetype's text.

use firedrill_addons::{AddOns, ErrorKind};
use firedrill_events::{open_reader, ReadOptions, SearchTime, SourceMeta};
use firedrill_value::{Row, Value, Want};
use std::sync::Arc;

fn load(
    props: &str,
) -> (
    tempfile::TempDir,
    Result<AddOns, firedrill_addons::AddonError>,
) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("TA-x/default");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("props.conf"), props).unwrap();
    let a = AddOns::load(&[t.path().to_path_buf()]);
    (t, a)
}

/// Every event of `text` read as `sourcetype` with `addons`' knowledge, and the
/// number of regions skipped.
fn read(addons: Option<AddOns>, sourcetype: &str, text: &str) -> (Vec<Row>, usize) {
    let meta = SourceMeta {
        sourcetype: Some(sourcetype.into()),
        ..SourceMeta::default()
    };
    let mut opts = ReadOptions::with_want(Want::everything().shared());
    opts.knowledge = addons.map(|a| Arc::new(a) as Arc<dyn SearchTime>);
    let r = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
    let mut s = open_reader(r, "t", &meta, &opts).unwrap();
    let (mut rows, mut skipped) = (Vec::new(), 0);
    while let Some(b) = s.next_batch().unwrap() {
        rows.extend(b.rows);
        skipped += b.skipped.len();
    }
    (rows, skipped)
}

#[test]
fn kv_mode_none_reads_lines_without_automatic_pairs() {
    let text = "user=ann action=login\nuser=bob action=logout\n";
    let (rows, _) = read(None, "acme:auth", text);
    assert_eq!(rows[0].get("user"), Some(&Value::str("ann")));
    let (_t, a) = load("[acme:auth]\nKV_MODE = none\nEXTRACT-who = user=(?<who>\\w+)\n");
    let (rows, _) = read(Some(a.unwrap()), "acme:auth", text);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("user"), None, "{:?}", rows[0]);
    assert_eq!(
        rows[0].get("who"),
        Some(&Value::str("ann")),
        "extractions still run"
    );
    assert_eq!(
        rows[1].get("_raw"),
        Some(&Value::str("user=bob action=logout"))
    );
}

#[test]
fn kv_mode_json_and_indexed_extractions_json_read_json() {
    // Starts like text, so firedrill would read it as lines.
    let text = "not json\n{\"user\":\"ann\",\"n\":{\"x\":1}}\n";
    let (rows, _) = read(None, "acme:json", text);
    assert_eq!(rows[1].get("user"), None);
    for setting in ["KV_MODE = json", "INDEXED_EXTRACTIONS = JSON"] {
        let (_t, a) = load(&format!("[acme:json]\n{setting}\n"));
        let (rows, skipped) = read(Some(a.unwrap()), "acme:json", text);
        assert_eq!(
            skipped, 1,
            "{setting}: the line that is not JSON is counted"
        );
        assert_eq!(rows.len(), 1, "{setting}");
        assert_eq!(rows[0].get("user"), Some(&Value::str("ann")), "{setting}");
        assert_eq!(
            rows[0].get("n.x").map(|v| v.to_string()).as_deref(),
            Some("1")
        );
    }
    // Another sourcetype is not affected.
    let (_t, a) = load("[acme:json]\nKV_MODE = json\n");
    let (rows, _) = read(Some(a.unwrap()), "acme:other", "user=ann\n");
    assert_eq!(rows[0].get("user"), Some(&Value::str("ann")));
}

#[test]
fn kv_modes_firedrill_does_not_apply_are_findings_and_bad_ones_errors() {
    for (setting, says) in [
        ("KV_MODE = xml", "Windows event logs only"),
        ("KV_MODE = multi", "KV_MODE = auto"),
        ("KV_MODE = auto_escaped", "KV_MODE = auto"),
        (
            "INDEXED_EXTRACTIONS = csv",
            "only INDEXED_EXTRACTIONS = json",
        ),
    ] {
        let (_t, a) = load(&format!("[acme:x]\n{setting}\n"));
        let a = a.unwrap();
        let f = a.findings();
        assert_eq!(f.len(), 1, "{setting}: {f:?}");
        assert_eq!(f[0].line, 2);
        assert!(f[0].why.contains(says), "{setting}: {}", f[0].why);
    }
    let (_t, a) = load("[acme:x]\nKV_MODE = auto\n");
    assert!(a.unwrap().findings().is_empty());
    for setting in ["KV_MODE = maybe", "INDEXED_EXTRACTIONS = yaml"] {
        let (_t, a) = load(&format!("[acme:x]\n{setting}\n"));
        let e = a.err().unwrap_or_else(|| panic!("{setting} loads"));
        assert_eq!(e.kind, ErrorKind::Value, "{e}");
        assert_eq!(e.line, 2, "{e}");
    }
}
