//! Reads every real XmlWinEventLog sample under `../shared/samples` (outside the
//! repository; run by `.ci/run` with `--ignored`). Skips with a message when absent.

use firedrill_events::{read_events, Format, SourceMeta};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `<Event` followed by a space or `>`: one per event in the file.
fn openings(bytes: &[u8]) -> usize {
    bytes
        .windows(7)
        .filter(|w| w.starts_with(b"<Event") && matches!(w[6], b' ' | b'>'))
        .count()
}

#[test]
#[ignore = "reads ../shared/samples, which is not part of the repository"]
fn shared_samples_read() {
    // FIREDRILL_SHARED (absolute) as `.ci/run` sets it, else beside the repository.
    let shared = std::env::var("FIREDRILL_SHARED")
        .ok()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("samples/splunk_attack_data/xmlwineventlog");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no samples in {}", dir.display());
    let (mut events, mut bytes_total) = (0usize, 0usize);
    let mut elapsed = 0.0f64;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let started = Instant::now();
        let out = read_events(&bytes, &SourceMeta::default()).unwrap();
        elapsed += started.elapsed().as_secs_f64();
        assert_eq!(out.format, Format::XmlWinEventLog, "{}", path.display());
        assert_eq!(
            out.events.len(),
            openings(&bytes),
            "{}: events lost; skipped: {:?}",
            path.display(),
            out.skipped
        );
        for e in &out.events {
            assert!(!e.get("EventCode").is_null(), "{}", path.display());
            assert!(e.time() > 1.0e9, "{}: no _time", path.display());
            assert!(e.raw().starts_with("<Event") && e.raw().ends_with("</Event>"));
        }
        events += out.events.len();
        bytes_total += bytes.len();
    }
    println!(
        "{} files, {events} events, {bytes_total} bytes in {elapsed:.3}s: {:.0} events/s, {:.1} MB/s",
        files.len(),
        events as f64 / elapsed.max(1e-9),
        bytes_total as f64 / 1e6 / elapsed.max(1e-9)
    );
}

/// Every sample (MANIFEST.txt) read as a stream from disk: its size and SHA-256 are
/// the manifest's, and records of a large restricted want (every data model input)
/// equal the full read, field by field. (With the add-on fields: firedrill-addons'
/// `shared_samples` test.)
#[test]
#[ignore = "reads ../shared/samples, which is not part of the repository"]
fn shared_samples_stream_like_full_reads() {
    use firedrill_events::{open, DataModels, ReadOptions};
    use firedrill_value::{Fields, Want};
    let shared = std::env::var("FIREDRILL_SHARED")
        .ok()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("samples");
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.txt")) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut want = Want::default();
    let dms = DataModels::get();
    for name in dms.names() {
        let fields: Vec<&str> = dms.resolve(&name).unwrap().field_names().collect();
        for f in dms.inputs(&name, &fields).unwrap() {
            want.add(f);
        }
    }
    for f in [
        "EventID",
        "Image",
        "CommandLine",
        "TargetUserName",
        "ScriptBlockText",
        "_raw",
    ] {
        want.add(f);
    }
    let opts = ReadOptions::with_want(want.clone().shared());
    let (mut files, mut events) = (0, 0);
    let mut current: Option<String> = None;
    for line in manifest.lines() {
        let t = line.trim();
        if !line.starts_with(' ') && !t.contains('=') && t.contains('/') {
            current = Some(t.to_string());
            continue;
        }
        let (Some(file), Some(rest)) = (&current, t.strip_prefix("size=")) else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let size: u64 = parts.next().unwrap().parse().unwrap();
        let sha = parts.next().unwrap().trim_start_matches("sha256=");
        let path = dir.join(file);
        let bytes = std::fs::read(&path).unwrap();
        let full = read_events(&bytes, &SourceMeta::default()).unwrap();
        let mut s = open(&path, &SourceMeta::default(), &opts).unwrap();
        let mut recs = Vec::new();
        let mut skipped = Vec::new();
        while let Some(b) = s.next_batch().unwrap() {
            recs.extend(b.records);
            skipped.extend(b.skipped);
        }
        let end = s.finish();
        assert_eq!((end.bytes, end.sha256.as_str()), (size, sha), "{file}");
        assert_eq!(end.format, full.format, "{file}");
        assert_eq!(skipped, full.skipped, "{file}");
        assert_eq!(recs.len(), full.events.len(), "{file}");
        for (r, e) in recs.iter().zip(&full.events) {
            for (k, v) in &e.fields {
                if want.get(k).is_some()
                    || ["_time", "host", "source", "sourcetype"].contains(&k.as_str())
                {
                    assert_eq!(r.get_str(k), Some(v), "{file}: {k}");
                }
            }
            assert!(
                r.iter().all(|(s, _)| e.fields.contains_key(s.name())),
                "{file}: extra fields"
            );
        }
        files += 1;
        events += recs.len();
    }
    assert!(files >= 60, "{files} files in the manifest");
    println!("{files} files, {events} events: streams equal full reads");
}
