//! Throughput on real-shaped data: `cargo bench --bench throughput`.
//!
//! Builds an XmlWinEventLog file of many Sysmon process events by varying the
//! bundled example events (hosts, record ids, process ids, times, command lines) —
//! the shape of attack_data's `windows-sysmon.log` files — then measures reading
//! (events/s, MB/s) and a full run of the bundled detections over it.

use firedrill::lookups::Lookups;
use firedrill::source::DatasetKey;
use firedrill::{plan, run};
use firedrill_events::{read_events, SourceMeta};
use std::path::PathBuf;
use std::time::Instant;

const EXAMPLE: &str =
    "examples/attack_data/datasets/attack_techniques/T1003.001/firedrill_example/windows-sysmon.log";

fn build(n: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(EXAMPLE).expect("bundled example data");
    let templates: Vec<String> = text
        .split("</Event>")
        .filter_map(|l| l.find("<Event").map(|i| format!("{}</Event>", &l[i..])))
        .collect();
    let mut out = String::with_capacity(n * 2200);
    for i in 0..n {
        let t = &templates[i % templates.len()];
        let ev = t
            .replace("ws-finance-07", &format!("ws-{:05}", i % 5000))
            .replace("EventRecordID>90", &format!("EventRecordID>{i}0"))
            .replace(">5216<", &format!(">{}<", 1000 + i % 60000))
            .replace(
                "notepad.exe",
                if i % 3 == 0 {
                    "svchost.exe"
                } else {
                    "notepad.exe"
                },
            )
            .replace(
                "2024-03-05T10:",
                &format!("2024-03-{:02}T10:", 1 + (i / 100_000) % 28),
            );
        out.push_str(&ev);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn main() {
    let n: usize = std::env::var("FIREDRILL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let bytes = build(n);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("windows-sysmon.log");
    std::fs::write(&file, &bytes).expect("write the benchmark data");
    let meta = SourceMeta {
        source: Some("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational".into()),
        sourcetype: Some("XmlWinEventLog".into()),
        host: None,
    };
    let started = Instant::now();
    let read = read_events(&bytes, &meta).expect("readable");
    let read_s = started.elapsed().as_secs_f64();
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "read:    {} events, {:.1} MB in {:.2} s = {:.0} events/s, {:.1} MB/s",
        read.events.len(),
        mb,
        read_s,
        read.events.len() as f64 / read_s,
        mb / read_s
    );
    drop(read);
    let loaded = plan::load(&[PathBuf::from("examples")], None).expect("examples load");
    let planned = plan::plan(&loaded, &Lookups::new(&loaded.content));
    let sysmon: Vec<_> = planned
        .iter()
        .filter(|p| {
            p.detection
                .tests
                .iter()
                .flat_map(|t| &t.attack_data)
                .any(|a| a.data.ends_with("windows-sysmon.log"))
        })
        .cloned()
        .collect();
    let fetcher = firedrill_dataset::Fetcher::new(firedrill_dataset::FetchOptions {
        data_dir: dir.path().join("cache"),
        mirror: None,
        offline: true,
        progress: false,
        allowed: vec![dir.path().to_path_buf()],
    })
    .expect("fetcher");
    let datasets = [DatasetKey {
        reference: file.display().to_string(),
        source: meta.source.clone(),
        sourcetype: meta.sourcetype.clone(),
    }];
    let opts = run::RunOptions {
        fetcher: &fetcher,
        expectations: &[],
        warn: &|_| {},
        progress: None,
        datasets: &datasets,
        hook: None,
        show_rows: 0,
        knowledge: None,
        budget: None,
        skip_by_text: true,
    };
    let started = Instant::now();
    let r = run::run(&sysmon, &opts);
    let run_s = started.elapsed().as_secs_f64();
    println!(
        "run:     {} detections over {} events in {:.2} s = {:.0} events/s ({} result rows)",
        sysmon.len(),
        r.summary.events,
        run_s,
        r.summary.events as f64 / run_s,
        r.detections.iter().map(|d| d.results).sum::<usize>()
    );
}
