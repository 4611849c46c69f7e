//! The generator on the bundled example content and data (no `../shared` needed):
//! sizes within one event of the target, a lock file firedrill's own fetcher accepts,
//! the same bytes on every run, events in time order that read back without loss.

use firedrill_corpus::{generate, Options, MANIFEST};
use firedrill_dataset::{FetchOptions, Fetcher, UPSTREAM_PREFIX};
use firedrill_events::{read_events, SourceMeta};
use std::path::{Path, PathBuf};

const DATA: &str = "datasets/attack_techniques/T1003.001/firedrill_example";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A samples directory (the example XmlWinEventLog files and a JSON file) and an
/// index giving the example datasets real sizes of 200 kB and 120 kB.
fn fixture(dir: &Path) -> Options {
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    for f in ["windows-sysmon.log", "windows-security.log"] {
        std::fs::copy(
            repo().join("examples/attack_data").join(DATA).join(f),
            samples.join(f),
        )
        .unwrap();
    }
    std::fs::write(
        samples.join("nxlog.json"),
        "{\"EventTime\":\"2020-08-01 05:46:46\",\"Hostname\":\"h1\",\"RecordNumber\":951,\"Channel\":\"Security\",\"EventID\":4624}\n\
         {\"EventTime\":\"2020-08-01 05:46:47\",\"Hostname\":\"h1\",\"RecordNumber\":952,\"Channel\":\"Security\",\"EventID\":4625}\n",
    )
    .unwrap();
    let index = dir.join("index.tsv");
    std::fs::write(
        &index,
        format!(
            "# test index\npath\tkind\toid\tsize\n{DATA}/windows-sysmon.log\tlfs\t00\t200000\n{DATA}/windows-security.log\tlfs\t00\t120000\n"
        ),
    )
    .unwrap();
    Options {
        content: repo().join("examples"),
        index,
        metadata: Some(repo().join("examples/attack_data/datasets")),
        samples,
        out: dir.join("out"),
        scale: 0.5,
        plan_only: false,
        include_deprecated: false,
    }
}

#[test]
fn sizes_lock_and_order() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = fixture(tmp.path());
    let r = generate(&opts).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert_eq!(r.written.len(), 2, "{:?}", r.plan.files);
    let longest = r
        .samples
        .windows
        .values()
        .flatten()
        .map(|t| t.len_hint() + 64)
        .max()
        .unwrap() as u64;
    for (f, w) in r.plan.files.iter().zip(&r.written) {
        assert_eq!(f.target, f.real_size / 2);
        assert!(
            w.size <= f.target && w.size + longest > f.target,
            "{} of {}",
            w.size,
            f.target
        );
        let path = opts.out.join(&f.path);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), w.size);
        // Read back as firedrill reads it: every event, none skipped, in time order,
        // record ids counting up.
        let bytes = std::fs::read(&path).unwrap();
        let meta = SourceMeta {
            source: f.source.clone(),
            sourcetype: f.sourcetype.clone(),
            host: None,
        };
        let out = read_events(&bytes, &meta).unwrap();
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);
        assert_eq!(out.events.len() as u64, w.events);
        let times: Vec<f64> = out.events.iter().map(|e| e.time()).collect();
        assert!(times.windows(2).all(|p| p[0] <= p[1]), "not in time order");
        assert!(times[0] > 1.5e9);
        let ids: Vec<u64> = out
            .events
            .iter()
            .map(|e| e.get("EventRecordID").to_string().parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|p| p[0] < p[1]));
        // The channel the test's source names: the sysmon file holds Sysmon events.
        let channel = if f.path.ends_with("windows-sysmon.log") {
            "Microsoft-Windows-Sysmon/Operational"
        } else {
            "Security"
        };
        assert!(out
            .events
            .iter()
            .all(|e| e.get("Channel").to_string() == channel));
    }
    // firedrill's own fetcher, offline, accepts every file against the lock and
    // leaves the lock as it is.
    let lock = std::fs::read_to_string(opts.out.join("firedrill.lock")).unwrap();
    assert_eq!(lock.lines().filter(|l| !l.starts_with('#')).count(), 2);
    let fetcher = Fetcher::new(FetchOptions {
        data_dir: opts.out.clone(),
        mirror: None,
        offline: true,
        progress: false,
        allowed: Vec::new(),
    })
    .unwrap();
    for w in &r.written {
        let got = fetcher
            .fetch(&format!("{UPSTREAM_PREFIX}/{}", w.path))
            .unwrap();
        assert_eq!((got.size, got.sha256.as_str()), (w.size, w.sha256.as_str()));
        assert!(!got.downloaded);
        assert!(got.meta.is_some(), "metadata YAML beside the data");
    }
    assert_eq!(
        std::fs::read_to_string(opts.out.join("firedrill.lock")).unwrap(),
        lock
    );
    let manifest = std::fs::read_to_string(opts.out.join(MANIFEST)).unwrap();
    assert_eq!(manifest.lines().count(), 3);
}

#[test]
fn same_inputs_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = fixture(tmp.path());
    generate(&opts).unwrap();
    let first = opts.out.clone();
    opts.out = tmp.path().join("again");
    generate(&opts).unwrap();
    for f in [
        "firedrill.lock",
        MANIFEST,
        &format!("{DATA}/windows-sysmon.log"),
    ] {
        assert_eq!(
            std::fs::read(first.join(f)).unwrap(),
            std::fs::read(opts.out.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn tiny_targets_get_one_event_and_bad_scales_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = fixture(tmp.path());
    opts.scale = 1e-6;
    let r = generate(&opts).unwrap();
    assert!(r.written.iter().all(|w| w.events == 1), "{:?}", r.written);
    opts.scale = 0.0;
    assert!(generate(&opts).is_err());
}
