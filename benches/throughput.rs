//! Throughput on real-shaped data: `cargo bench --bench throughput`.
//!
//! Builds an XmlWinEventLog file of many Sysmon process events by varying the
//! bundled example events (hosts, record ids, process ids, times, command lines) —
//! the shape of attack_data's `windows-sysmon.log` files — then measures reading
//! (events/s, MB/s) and a full run of the bundled detections over it.

use firedrill::datasource::DataView;
use firedrill::plan;
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
    let loaded = plan::load(&[PathBuf::from("examples")], None).expect("examples load");
    let planned = plan::plan(&loaded);
    let sysmon: Vec<_> = planned
        .iter()
        .filter(|p| {
            p.detection
                .tests
                .iter()
                .flat_map(|t| &t.attack_data)
                .any(|a| a.data.ends_with("windows-sysmon.log"))
        })
        .collect();
    let view = DataView::new(read.events);
    let started = Instant::now();
    let dm = firedrill_spl::exec::Data::datamodel(&view, "Endpoint.Processes").map(|r| r.len());
    println!(
        "cim:     Endpoint.Processes built from {} events in {:.2} s ({dm:?} rows)",
        view.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut rows = 0;
    for p in &sysmon {
        if let Ok(pl) = &p.pipeline {
            rows += firedrill_spl::run(pl, &view).map(|r| r.len()).unwrap_or(0);
        }
    }
    let run_s = started.elapsed().as_secs_f64();
    println!(
        "search:  {} detections over {} events in {:.2} s ({} result rows; the data model is built once and shared)",
        sysmon.len(),
        view.len(),
        run_s,
        rows
    );
}
