//! Hostile and careless content (issue: nothing leaks, nothing is lost, one bad input
//! never kills a run): each finding's case, end to end through the command line.

mod common;

use assert_cmd::Command;
use common::replace_search;
use std::path::PathBuf;

const EXAMPLE: &str = "examples/detections/endpoint/example_comsvcs_minidump.yml";
const UPSTREAM_DATA: &str = "https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";
const CACHED_REL: &str =
    "datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";
const CACHED: &str =
    "examples/attack_data/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";

/// A content tree in a temp dir holding the example detection, its `data:` replaced
/// by `data`, and a copy of the examples' cache.
struct Content {
    dir: tempfile::TempDir,
}

impl Content {
    /// The tree with the example's macros and cache, and a file outside the cache
    /// (`outside/secret.log`) holding real events with a marker a leak would show.
    fn new() -> Content {
        let dir = tempfile::tempdir().unwrap();
        let macros = dir.path().join("content/macros");
        std::fs::create_dir_all(&macros).unwrap();
        for m in std::fs::read_dir("examples/macros").unwrap() {
            let m = m.unwrap().path();
            std::fs::copy(&m, macros.join(m.file_name().unwrap())).unwrap();
        }
        let cached = dir.path().join("cache").join(CACHED_REL);
        std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
        std::fs::copy(CACHED, &cached).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let secret = std::fs::read_to_string(CACHED)
            .unwrap()
            .replace("lab-admin", "SECRET-USER");
        std::fs::write(outside.join("secret.log"), secret).unwrap();
        Content { dir }
    }

    /// Writes the example detection, edited.
    fn detection(&self, edit: impl Fn(String) -> String) -> &Content {
        let det = self.path("content/detections");
        std::fs::create_dir_all(&det).unwrap();
        let text = edit(std::fs::read_to_string(EXAMPLE).unwrap());
        std::fs::write(det.join("example_comsvcs_minidump.yml"), text).unwrap();
        self
    }

    /// Writes the example detection with `data:` naming `data`.
    fn with_data(&self, data: &str) -> &Content {
        self.detection(|t| t.replace(UPSTREAM_DATA, data))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `firedrill run content --data cache --offline --format json EXTRA…`.
    fn run(&self, extra: &[&str]) -> (i32, serde_json::Value, String) {
        let out = Command::cargo_bin("firedrill")
            .unwrap()
            .arg("run")
            .arg(self.path("content"))
            .arg("--data")
            .arg(self.path("cache"))
            .args(["--offline", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap_or(-1), json, stdout + &stderr)
    }
}

fn detection(json: &serde_json::Value) -> &serde_json::Value {
    &json["detections"][0]
}

#[test]
fn content_cannot_read_files_outside_the_data_directories() {
    let c = Content::new();
    let secret = c.path("outside/secret.log").display().to_string();
    for data in [
        secret.clone(),
        format!("file://{secret}"),
        "../outside/secret.log".to_string(),
        "/proc/self/environ".to_string(),
        "/no/such/file.log".to_string(),
    ] {
        let (code, json, all) = c.with_data(&data).run(&[]);
        assert_eq!(code, 1, "{data}: {all}");
        let d = detection(&json);
        assert_eq!(d["status"], "error", "{data}: {d}");
        let reason = d["reason"].as_str().unwrap();
        assert!(
            reason.contains("outside the dataset cache") && reason.contains("--allow-path"),
            "{data}: {reason}"
        );
        assert!(!all.contains("SECRET-USER"), "{data} leaked: {all}");
    }
}

#[test]
fn allow_path_lets_content_name_local_files() {
    let c = Content::new();
    let secret = c.path("outside/secret.log").display().to_string();
    let allow = c.path("outside").display().to_string();
    let (code, json, all) = c.with_data(&secret).run(&["--allow-path", &allow]);
    assert_eq!(code, 0, "{all}");
    assert_eq!(detection(&json)["status"], "pass", "{all}");
    assert!(
        all.contains("SECRET-USER"),
        "the allowed file was read: {all}"
    );
    // A file in the cache needs no flag, named relative to it or by its full path.
    let cached = c.path("cache").join(CACHED_REL).display().to_string();
    for data in [CACHED_REL.to_string(), cached] {
        let (code, json, all) = c.with_data(&data).run(&[]);
        assert_eq!(code, 0, "{data}: {all}");
        assert_eq!(detection(&json)["status"], "pass", "{data}: {all}");
    }
}

#[test]
fn a_search_that_is_not_text_is_an_error_and_the_rest_still_run() {
    for (with, what) in [
        ("", "the detection has no `search`"),
        ("search: ''", "`search` must be text; it is empty"),
        ("search:", "`search` must be text; it is empty (null)"),
        ("search: ~", "`search` must be text; it is empty (null)"),
        (
            "search:\n- '| tstats count'",
            "`search` must be text; it is a list",
        ),
        (
            "search:\n  query: '| tstats count'",
            "`search` must be text; it is a map",
        ),
    ] {
        let c = Content::new();
        c.with_data(UPSTREAM_DATA);
        let bad = replace_search(&std::fs::read_to_string(EXAMPLE).unwrap(), with)
            .replace("name: Example", "name: Broken Example");
        std::fs::write(c.path("content/detections/broken.yml"), bad).unwrap();
        let (code, json, all) = c.run(&[]);
        assert_eq!(code, 2, "{with}: {all}");
        let entries = json["detections"].as_array().unwrap();
        let good = entries
            .iter()
            .find(|d| {
                d["file"]
                    .as_str()
                    .unwrap()
                    .ends_with("example_comsvcs_minidump.yml")
            })
            .unwrap();
        assert_eq!(
            good["status"], "pass",
            "{with}: the other detection ran: {all}"
        );
        let broken = entries
            .iter()
            .find(|d| d["file"].as_str().unwrap().ends_with("broken.yml"))
            .unwrap_or_else(|| panic!("{with}: the broken file is in the report: {json}"));
        assert_eq!(broken["status"], "error", "{with}");
        let reason = broken["reason"].as_str().unwrap();
        assert!(
            reason.contains(what) && reason.contains("broken.yml"),
            "{with}: {reason}"
        );
        if !with.is_empty() {
            assert!(
                reason.contains("broken.yml:12:"),
                "{with}: the line: {reason}"
            );
        }
        assert_eq!(json["summary"]["error"], 1, "{with}");
    }
}

#[test]
fn deep_nesting_is_an_error_of_that_detection_only() {
    let deep = [
        format!("{}Processes.dest=x{}", "(".repeat(3100), ")".repeat(3100)),
        format!("{}Processes.dest=x", "NOT ".repeat(3000)),
    ];
    let evals = [
        format!("{}1{}", "abs(".repeat(3000), ")".repeat(3000)),
        format!("{}1", "-".repeat(3000)),
    ];
    let subsearch = format!("{}search x{}", "[search ".repeat(500), "]".repeat(500));
    let nested = "nested more than 100 levels";
    let mut searches: Vec<(String, &str)> = deep
        .iter()
        .map(|w| (format!("search: '| tstats count from datamodel=Endpoint.Processes where {w} by Processes.dest'"), nested))
        .collect();
    searches.extend(
        evals
            .iter()
            .map(|e| (format!("search: '| makeresults | eval x={e}'"), nested)),
    );
    searches.push((format!("search: 'index=main {subsearch}'"), nested));
    // A long chain of operators is as deep, one operand below the other.
    let chain = format!("{}1", "1+".repeat(50_000));
    searches.push((
        format!("search: '| makeresults | eval x={chain}'"),
        "operators in a row",
    ));
    for (search, want) in searches {
        let c = Content::new();
        c.with_data(UPSTREAM_DATA);
        let bad = replace_search(&std::fs::read_to_string(EXAMPLE).unwrap(), &search)
            .replace("name: Example", "name: Deep Example");
        std::fs::write(c.path("content/detections/deep.yml"), bad).unwrap();
        let (code, json, all) = c.run(&[]);
        assert_eq!(code, 1, "{all}");
        let entries = json["detections"].as_array().unwrap();
        let by_name = |n: &str| {
            entries
                .iter()
                .find(|d| d["name"].as_str().unwrap().starts_with(n))
                .unwrap()
        };
        assert_eq!(by_name("Example")["status"], "pass", "{all}");
        let d = by_name("Deep");
        assert_eq!(d["status"], "error", "{d}");
        assert!(d["reason"].as_str().unwrap().contains(want), "{d}");
    }
}

/// Fails when `xml` holds a character XML 1.0 cannot carry.
fn assert_xml_carries(xml: &str) {
    let bad: Vec<char> = xml
        .chars()
        .filter(|&c| (c < ' ' && !"\t\n\r".contains(c)) || c == '\u{fffe}' || c == '\u{ffff}')
        .collect();
    assert!(bad.is_empty(), "{bad:?} in {xml}");
}

#[test]
fn reports_stay_valid_with_characters_xml_cannot_carry() {
    let c = Content::new();
    c.detection(|t| {
        t.replacen(
            "name: Example - Rundll32 Comsvcs MiniDump",
            "name: \"Example \\e\\0 \\uFFFE Dump\"",
            1,
        )
    });
    let junit = c.path("junit.xml");
    let (code, json, all) = c.run(&["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 0, "{all}");
    assert_eq!(
        json["detections"][0]["name"],
        "Example \u{1b}\0 \u{fffe} Dump"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_xml_carries(&xml);
    assert!(
        xml.contains("Example \\u{1b}\\u{0} \\u{fffe} Dump"),
        "{xml}"
    );
}

#[test]
fn files_with_a_byte_order_mark_load() {
    let c = Content::new();
    c.with_data(UPSTREAM_DATA);
    for dir in ["content/detections", "content/macros"] {
        for f in std::fs::read_dir(c.path(dir)).unwrap() {
            let f = f.unwrap().path();
            let text = std::fs::read(&f).unwrap();
            std::fs::write(&f, [b"\xef\xbb\xbf".as_slice(), &text].concat()).unwrap();
        }
    }
    let (code, json, all) = c.run(&[]);
    assert_eq!(code, 0, "{all}");
    assert_eq!(detection(&json)["status"], "pass", "{all}");
    assert!(!all.contains("YAML") && !all.contains("built-in"), "{all}");
}

#[test]
fn wrong_types_in_content_are_located_errors() {
    for (from, to, want, line) in [
        (
            "    score: 64\n",
            "    score: high\n",
            "`rba.risk_objects[].score` must be a number; it is the text \"high\"",
            ":26:",
        ),
        (
            "tests:\n",
            "tests: none\nx_tests:\n",
            "`tests` must be a list; it is the text \"none\"",
            ":42:",
        ),
    ] {
        let c = Content::new();
        c.detection(|t| {
            assert!(t.contains(from), "{from}");
            t.replacen(from, to, 1)
        });
        let (code, json, all) = c.run(&[]);
        assert_eq!(code, 2, "{all}");
        let d = detection(&json);
        assert_eq!(d["status"], "error", "{d}");
        let reason = d["reason"].as_str().unwrap();
        assert!(reason.contains(want) && reason.contains(line), "{reason}");
    }
}

#[test]
fn lookup_definitions_cannot_name_files_outside_their_directory() {
    let c = Content::new();
    std::fs::write(c.path("outside/secret.csv"), "user\nSECRET-USER\n").unwrap();
    let lookups = c.path("content/lookups");
    std::fs::create_dir_all(&lookups).unwrap();
    let secret = c.path("outside/secret.csv").display().to_string();
    for file in [secret.as_str(), "../../outside/secret.csv"] {
        std::fs::write(
            lookups.join("evil.yml"),
            format!("name: evil\nfilename: {file}\ndescription: x\n"),
        )
        .unwrap();
        c.detection(|t| replace_search(&t, "search: '| inputlookup evil | stats count by user'"));
        let (_, json, all) = c.run(&[]);
        let d = detection(&json);
        assert_ne!(d["status"], "pass", "{file}: {d}");
        let reason = d["reason"].as_str().unwrap();
        assert!(reason.contains("is not a file in"), "{file}: {reason}");
        assert!(!all.contains("SECRET-USER"), "{file} leaked: {all}");
    }
}

#[test]
fn a_symbolic_link_in_the_cache_cannot_lead_outside_it() {
    let c = Content::new();
    c.with_data(UPSTREAM_DATA);
    let cached = c.path("cache").join(CACHED_REL);
    std::fs::remove_file(&cached).unwrap();
    std::os::unix::fs::symlink(c.path("outside/secret.log"), &cached).unwrap();
    let (code, json, all) = c.run(&[]);
    assert_eq!(code, 1, "{all}");
    let d = detection(&json);
    assert_eq!(d["status"], "error", "{d}");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .contains("outside the dataset cache"),
        "{d}"
    );
    assert!(!all.contains("SECRET-USER"), "leaked: {all}");
}

#[test]
fn a_search_with_characters_xml_cannot_carry_gives_valid_reports() {
    let c = Content::new();
    c.detection(|t| replace_search(&t, "search: \"| frobnicate \\e\\0 \\uFFFE\""));
    let junit = c.path("junit.xml");
    let (_, json, all) = c.run(&["--junit", junit.to_str().unwrap()]);
    // Unsupported: skipped, with the search line and a caret in the reason.
    assert_eq!(detection(&json)["status"], "skip", "{all}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_xml_carries(&xml);
    assert!(
        xml.contains("| frobnicate \\u{1b}\\u{0} \\u{fffe}"),
        "{xml}"
    );
    let mut r = quick_xml::Reader::from_str(&xml);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("invalid JUnit XML at {}: {e}\n{xml}", r.buffer_position()),
        }
    }
}

#[test]
fn a_dataset_mostly_not_events_says_so() {
    let c = Content::new();
    c.with_data(UPSTREAM_DATA);
    let mut padded = std::fs::read(CACHED).unwrap();
    let events = padded.len();
    padded.extend(std::iter::repeat_n(b'\n', 40 * events.max(4096)));
    let file = c.path("outside/padded.log");
    std::fs::write(&file, &padded).unwrap();
    let (_, _, all) = c.run(&["--dataset", file.to_str().unwrap()]);
    assert!(
        all.contains("padded.log: only ")
            && all.contains(&format!("of its {} bytes", padded.len()))
            && all.contains("fewer events than its size implies"),
        "{all}"
    );
    // The dataset itself does not say so.
    let (code, _, all) = c.run(&[]);
    assert_eq!(code, 0, "{all}");
    assert!(!all.contains("fewer events"), "{all}");
}
