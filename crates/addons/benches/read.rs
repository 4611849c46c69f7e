//! Reading throughput on real-shaped XmlWinEventLog data:
//! `cargo bench -p firedrill-addons --bench read [-- MODE...]`.
//!
//! Builds (once) a file of FIREDRILL_BENCH_MB megabytes (default 300) under
//! /tmp/firedrill-bench by repeating the events of the XmlWinEventLog samples in
//! `../shared/samples` (FIREDRILL_SHARED) with varied record ids, hosts and process
//! ids, CRLF between events as Splunk's exports have; then reads it in each MODE and
//! prints MB/s and events/s, wall-clock and per CPU-second (user + system time of the
//! whole process: reading thread, hashing and every rayon worker). Peak memory: run one
//! mode under `/usr/bin/time -v`.
//!
//! Modes: `sha256` (hashing the file: a floor), `quickxml` (quick-xml tokenising the
//! same bytes, in memory: the parser's floor), `split` (finding the events only),
//! `want5` (5 fields), `cim` (every CIM data model and SSA input, add-on fields
//! computed for them), `addon` (every field the built-in apps compute, as Records),
//! `all` (every field and every add-on field, as Rows), `want=F1,F2…` (the named
//! fields: what one add-on field costs, against `want=EventCode`). The add-on fields are the
//! built-in apps' (`builtin/firedrill_windows` for these events), as a run computes
//! them. With `--features bench-mimalloc` the benchmark
//! runs with mimalloc as its global allocator (the library does not choose one).

#[cfg(feature = "bench-mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use firedrill_events::{open, ReadOptions, SourceMeta};
use firedrill_value::Want;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn shared() -> PathBuf {
    std::env::var("FIREDRILL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The events of the sample files, as text.
fn templates() -> Vec<String> {
    let dir = shared().join("samples/splunk_attack_data/xmlwineventlog");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set FIREDRILL_SHARED)", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("<Event xmlns") {
            let Some(e) = rest[i..].find("</Event>") else {
                break;
            };
            out.push(rest[i..i + e + 8].to_string());
            rest = &rest[i + e + 8..];
        }
    }
    assert!(out.len() > 100, "{} sample events", out.len());
    out
}

fn replace_between(s: &str, open: &str, close: &str, with: &str) -> String {
    match s.find(open) {
        Some(i) => match s[i + open.len()..].find(close) {
            Some(j) => format!("{}{with}{}", &s[..i + open.len()], &s[i + open.len() + j..]),
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

fn build(path: &Path, mb: u64) {
    let t = templates();
    let tmp = path.with_extension("part");
    let mut w = BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let (mut n, mut size) = (0u64, 0u64);
    while size < mb * 1_000_000 {
        let e = &t[(n as usize) % t.len()];
        let e = replace_between(e, "<EventRecordID>", "<", &n.to_string());
        let e = replace_between(
            &e,
            "<Computer>",
            "<",
            &format!("ws-{:04}.corp.example", n % 1500),
        );
        let e = replace_between(
            &e,
            "<Execution ProcessID='",
            "'",
            &(1000 + n % 60000).to_string(),
        );
        w.write_all(e.as_bytes()).unwrap();
        w.write_all(b"\r\n").unwrap();
        size += e.len() as u64 + 2;
        n += 1;
    }
    w.flush().unwrap();
    std::fs::rename(&tmp, path).unwrap();
    eprintln!("built {} ({n} events, {size} bytes)", path.display());
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn want_for(mode: &str) -> Option<Want> {
    Some(match mode {
        "want5" => Want::of([
            "EventCode",
            "Computer",
            "Image",
            "CommandLine",
            "TargetUserName",
        ]),
        "cim" => {
            let dms = firedrill_addons::builtin::datamodels();
            let mut w = Want::of(firedrill_events::ssa_inputs());
            for name in dms.names() {
                let fields: Vec<&str> = dms.resolve(&name).unwrap().field_names().collect();
                for f in dms.inputs(&name, &fields).unwrap() {
                    w.add(&f);
                }
            }
            w
        }
        "addon" => Want::of(firedrill_addons::builtin::get().outputs()),
        "all" => Want::everything(),
        m => Want::of(m.strip_prefix("want=")?.split(',')),
    })
}

thread_local! {
    /// (cpu, wall) seconds of a mode that times only part of its run.
    static TIMED: std::cell::Cell<Option<(f64, f64)>> = const { std::cell::Cell::new(None) };
}

fn run(mode: &str, path: &Path) -> (u64, u64) {
    match mode {
        "sha256" => {
            use sha2::Digest;
            let mut f = std::fs::File::open(path).unwrap();
            let mut sha = sha2::Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut n = 0u64;
            loop {
                let k = f.read(&mut buf).unwrap();
                if k == 0 {
                    break;
                }
                sha.update(&buf[..k]);
                n += k as u64;
            }
            std::hint::black_box(sha.finalize());
            (0, n)
        }
        "quickxml" => {
            let bytes = std::fs::read(path).unwrap();
            // Only the tokenising is timed.
            let (c0, t0) = (cpu_seconds(), Instant::now());
            let mut r = quick_xml::Reader::from_reader(&bytes[..]);
            let mut events = 0u64;
            loop {
                match r.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(quick_xml::events::Event::End(e)) if e.local_name().as_ref() == b"Event" => {
                        events += 1
                    }
                    Ok(_) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            TIMED.with(|t| t.set(Some((cpu_seconds() - c0, t0.elapsed().as_secs_f64()))));
            (events, bytes.len() as u64)
        }
        "split" => firedrill_events::split_only(std::fs::File::open(path).unwrap()).unwrap(),
        m => {
            let want = want_for(m).unwrap_or_else(|| panic!("unknown mode {m}"));
            let mut opts = ReadOptions::with_want(want.shared());
            opts.knowledge = Some(firedrill_addons::builtin::get());
            let mut s = open(path, &SourceMeta::default(), &opts).unwrap();
            let mut events = 0u64;
            while let Some(b) = s.next_batch().unwrap() {
                events += b.len() as u64;
                std::hint::black_box(&b);
            }
            let end = s.finish();
            assert_eq!(end.events, events);
            (events, end.bytes)
        }
    }
}

fn main() {
    let mb: u64 = std::env::var("FIREDRILL_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let path = PathBuf::from(format!("/tmp/firedrill-bench/xmlwineventlog-{mb}MB.log"));
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        build(&path, mb);
    }
    let modes: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let modes = if modes.is_empty() {
        [
            "sha256", "quickxml", "split", "want5", "cim", "addon", "all",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    } else {
        modes
    };
    println!(
        "{} ({} threads, {} allocator)",
        path.display(),
        rayon::current_num_threads(),
        if cfg!(feature = "bench-mimalloc") {
            "mimalloc"
        } else {
            "system"
        }
    );
    println!(
        "{:<9} {:>9} {:>8} {:>7} {:>7} {:>9} {:>10} {:>13}",
        "mode", "events", "MB", "wall s", "cpu s", "MB/s", "MB/s/core", "events/s/core"
    );
    for m in &modes {
        let (c0, t0) = (cpu_seconds(), Instant::now());
        let (events, bytes) = run(m, &path);
        let (cpu, wall) = TIMED
            .with(|t| t.take())
            .unwrap_or((cpu_seconds() - c0, t0.elapsed().as_secs_f64()));
        let mbytes = bytes as f64 / 1e6;
        println!(
            "{m:<9} {events:>9} {mbytes:>8.1} {wall:>7.2} {cpu:>7.2} {:>9.0} {:>10.0} {:>13.0}",
            mbytes / wall,
            mbytes / cpu.max(1e-9),
            events as f64 / cpu.max(1e-9)
        );
    }
}
