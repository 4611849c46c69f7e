//! Checks against the real samples in `../shared` (run by `.ci/run` with
//! `cargo test -- --ignored`; `FIREDRILL_SHARED` names another place).

use firedrill_corpus::samples::splunk_xml;
use firedrill_corpus::{generate, Options};
use firedrill_dataset::{FetchOptions, Fetcher};
use firedrill_events::{read_events, SourceMeta};
use std::path::{Path, PathBuf};

/// `../shared` beside the repository, or `FIREDRILL_SHARED` (relative to the
/// repository root, as the root crate's conformance tests take it).
fn shared() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join(std::env::var_os("FIREDRILL_SHARED").unwrap_or_else(|| "../shared".into()))
}

fn evtx_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            evtx_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "evtx") {
            out.push(p);
        }
    }
}

/// Every EVTX record, rendered to XmlWinEventLog text by the corpus generator, reads
/// back through firedrill's XmlWinEventLog reader with exactly the fields firedrill's
/// EVTX reader gives it (all but `_raw` and the two raw-XML fields).
#[test]
#[ignore]
fn evtx_rendered_as_xmlwineventlog_reads_back_the_same() {
    let dir = shared().join("samples");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let mut files = Vec::new();
    evtx_files(&dir, &mut files);
    assert!(files.len() >= 10, "{} EVTX files", files.len());
    let meta = SourceMeta::default();
    let mut records = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let from_evtx = read_events(&bytes, &meta).unwrap().events;
        let mut text = String::new();
        for e in &from_evtx {
            text.push_str(&splunk_xml(&e.get("_raw").as_text().unwrap()).unwrap());
            text.push_str("\r\n");
        }
        let back = read_events(text.as_bytes(), &meta).unwrap();
        assert!(
            back.skipped.is_empty(),
            "{}: {:?}",
            f.display(),
            back.skipped
        );
        assert_eq!(back.events.len(), from_evtx.len(), "{}", f.display());
        for (a, b) in from_evtx.iter().zip(&back.events) {
            let strip = |e: &firedrill_value::Event| {
                let mut r = e.fields.clone();
                for k in ["_raw", "EventData_Xml", "System_Props_Xml"] {
                    r.remove(k);
                }
                r
            };
            assert_eq!(strip(a), strip(b), "{}: {}", f.display(), b.get("_raw"));
            records += 1;
        }
    }
    assert!(records > 4000, "{records} records");
}

/// The plan for security_content covers what the design notes say (1,498 tested
/// detections, about 7.7 GB of data), and a small corpus of it passes firedrill's
/// own lock check for every reference, offline.
#[test]
#[ignore]
fn security_content_corpus_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    let opts = Options::from_shared(&shared(), &out, 0.0005);
    let r = generate(&opts).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert_eq!(r.plan.tested, 1498);
    assert!(r.plan.files.len() > 1000, "{} files", r.plan.files.len());
    let real: u64 = r.plan.files.iter().map(|f| f.real_size).sum();
    assert!((7.6e9..7.9e9).contains(&(real as f64)), "{real} bytes");
    assert!(r.plan.not_in_index.len() < 20, "{:?}", r.plan.not_in_index);
    let fetcher = Fetcher::new(FetchOptions {
        data_dir: out.clone(),
        mirror: None,
        offline: true,
        progress: false,
        allowed: Vec::new(),
    })
    .unwrap();
    let lock = std::fs::read(out.join("firedrill.lock")).unwrap();
    for f in &r.plan.files {
        for reference in f.keys.values() {
            let got = fetcher.fetch(reference).unwrap_or_else(|e| panic!("{e}"));
            assert!(got.size > 0, "{reference}");
        }
    }
    assert_eq!(
        std::fs::read(out.join("firedrill.lock")).unwrap(),
        lock,
        "lock untouched"
    );
}
