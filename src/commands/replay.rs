//! `firedrill replay` (datasets, or the datasets detections name, into HEC) and
//! `firedrill hec-sink` (a local HEC-compatible server for dry runs).

use super::{fetcher, token, warn};
use crate::cli::{Format, HecEndpoint, ReplayArgs, SinkArgs};
use firedrill::plan;
use firedrill::source::{self, DatasetKey};
use std::io::IsTerminal;

/// The events of one input: a dataset file, or the test datasets of detections.
fn replay_inputs(a: &ReplayArgs) -> Result<Vec<firedrill_value::Event>, String> {
    let mut opened = Vec::new();
    let mut events = Vec::new();
    let mut detections = Vec::new();
    for input in &a.inputs {
        if !input.exists() {
            return Err(format!("{}: no such file or directory", input.display()));
        }
        let is_detection = input.is_dir()
            || firedrill_content::load_detection_file(input).is_ok_and(|d| !d.is_empty());
        if is_detection {
            detections.push(input.clone());
            continue;
        }
        opened.push(source::open_file(
            input,
            a.source.clone(),
            a.sourcetype.clone(),
        )?);
    }
    if !detections.is_empty() {
        let loaded = plan::load(&detections, a.content.as_deref())?;
        let f = fetcher(&a.data)?;
        let mut seen = std::collections::HashSet::new();
        for d in &loaded.detections {
            for ad in d.tests.iter().flat_map(|t| &t.attack_data) {
                let key = DatasetKey {
                    reference: ad.data.clone(),
                    source: ad.source.clone(),
                    sourcetype: ad.sourcetype.clone(),
                };
                if seen.insert(key.clone()) {
                    opened.push(source::open(&f, &key)?);
                }
            }
        }
        read_all(&opened, Some(&f), &mut events)?;
        return Ok(events);
    }
    read_all(&opened, None, &mut events)?;
    Ok(events)
}

/// Every event of the opened datasets (checked against the lock when they came
/// through the fetcher).
fn read_all(
    opened: &[source::Opened],
    lock: Option<&firedrill_dataset::Fetcher>,
    events: &mut Vec<firedrill_value::Event>,
) -> Result<(), String> {
    for o in opened {
        let mut reading = o.read(std::sync::Arc::new(firedrill_value::Want::everything()))?;
        while let Some(batch) = reading.next_batch()? {
            events.extend(
                batch
                    .into_rows()
                    .into_iter()
                    .map(|fields| firedrill_value::Event { fields }),
            );
        }
        reading.finish(o, lock, &warn)?;
    }
    Ok(())
}

pub fn replay(a: ReplayArgs) -> Result<u8, String> {
    let token = token(a.token_file.as_deref())?;
    if a.insecure {
        eprintln!("firedrill: warning: --insecure: TLS certificates are not verified; anyone on the path can read the token");
    }
    let events = replay_inputs(&a)?;
    let overrides = firedrill::replay_cmd::Overrides {
        index: a.index.clone(),
        source: a.source.clone(),
        sourcetype: a.sourcetype.clone(),
        host: a.host.clone(),
    };
    let mut out = firedrill::replay_cmd::outgoing(&events, &overrides);
    let raw = matches!(a.endpoint, HecEndpoint::Raw);
    if let Some(spec) = &a.shift_time {
        let target = firedrill::replay_cmd::target_time(spec)?;
        let delta = firedrill::replay_cmd::shift(&mut out, target, raw)?;
        eprintln!("firedrill: shifted event times by {delta:.0} s");
    }
    let opts = firedrill_replay::ReplayOptions {
        urls: a.hec.clone(),
        token,
        endpoint: if raw {
            firedrill_replay::Endpoint::Raw
        } else {
            firedrill_replay::Endpoint::Event
        },
        max_batch_bytes: a.batch_bytes,
        gzip: !a.no_gzip,
        in_flight: a.in_flight,
        ack: a.ack,
        ack_timeout: std::time::Duration::from_secs(a.ack_timeout),
        ca_file: a.ca.clone(),
        insecure: a.insecure,
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        max_retries: a.retries,
        ..firedrill_replay::ReplayOptions::default()
    };
    let total = out.len() as u64;
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} events {per_sec} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let progress = |p: firedrill_replay::Progress| {
        if let Some(why) = &p.retry {
            bar.suspend(|| eprintln!("firedrill: retrying a batch, {why}"));
        }
        bar.set_position(p.events);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{:.1} MB/s", p.bytes as f64 / 1e6 / secs));
    };
    let sum = match firedrill_replay::replay(out.into_iter(), &opts, &progress) {
        Ok(sum) => sum,
        Err(e) => {
            // The counts so far are printed before the error: nothing is unaccounted.
            bar.finish_and_clear();
            if let Some(sum) = e.summary() {
                print_summary(sum, &a.format)?;
            }
            return Err(e.to_string());
        }
    };
    bar.finish_and_clear();
    print_summary(&sum, &a.format)?;
    Ok(if sum.failed > 0 { 1 } else { 0 })
}

fn print_summary(sum: &firedrill_replay::ReplaySummary, format: &Format) -> Result<(), String> {
    for u in &sum.unhealthy {
        super::warn(format!("left out of the replay: {u}"));
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(sum).map_err(|e| e.to_string())?),
        Format::Table => println!(
            "{} events, {:.1} MB in {} batches to {} endpoint(s) in {:.2} s ({:.0} events/s, {:.1} MB/s): {} {}, {} failed, {} retries",
            sum.events,
            sum.bytes as f64 / 1e6,
            sum.batches,
            sum.per_endpoint.len(),
            sum.duration_s,
            sum.events as f64 / sum.duration_s.max(1e-9),
            sum.bytes as f64 / 1e6 / sum.duration_s.max(1e-9),
            if sum.ack { sum.acknowledged } else { sum.accepted },
            if sum.ack { "acknowledged" } else { "accepted" },
            sum.failed,
            sum.retries
        ),
    }
    Ok(())
}

pub fn sink(a: SinkArgs) -> Result<u8, String> {
    let token = token(a.token_file.as_deref())?;
    let sink = firedrill_replay::Sink::start(
        firedrill_replay::SinkOptions {
            token,
            ack: a.ack,
            busy_every: a.busy_every,
            drop_every: a.drop_every,
            ..firedrill_replay::SinkOptions::default()
        },
        a.port,
    )
    .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", a.port))?;
    println!("HEC sink listening on {}", sink.url());
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let s = sink.stats();
        eprintln!(
            "{} events, {} requests ({} gzip), {} busy, {} dropped",
            s.events, s.data_requests, s.gzip_requests, s.busy_replies, s.dropped
        );
        if a.seconds.is_some_and(|n| started.elapsed().as_secs() >= n) {
            return Ok(0);
        }
    }
}
