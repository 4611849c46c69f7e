//! Reads every real XmlWinEventLog sample under `../shared/samples` (outside the
//! repository; run by `.ci/run` with `--ignored`). Skips with a message when absent.
//! (Streams against full reads of every sample, with the add-on fields:
//! firedrill-addons' `shared_samples` test.)

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
