//! The HEC client against the HEC-compatible sink on 127.0.0.1: batching, gzip on the
//! wire, acknowledgment, bad tokens, and exactly-once delivery under injected faults.

use firedrill_replay::{replay, Endpoint, HecError, Outgoing, ReplayOptions, Sink, SinkOptions};
use std::collections::HashMap;
use std::time::Duration;

const TOKEN: &str = "00000000-1111-2222-3333-444444444444";

fn events(n: usize) -> Vec<Outgoing> {
    (0..n)
        .map(|i| Outgoing {
            raw: format!("2024-03-05T10:00:{:02}Z event={i} host=ws-{} msg=\"some text to pad the line out a little\"", i % 60, i % 7),
            time: Some(1_709_632_800.0 + i as f64),
            host: Some(format!("ws-{}", i % 3)),
            source: Some("firedrill-test".into()),
            sourcetype: Some(if i % 2 == 0 { "demo:a" } else { "demo:b" }.into()),
            index: None,
        })
        .collect()
}

fn opts(urls: Vec<String>) -> ReplayOptions {
    ReplayOptions {
        urls,
        token: TOKEN.into(),
        backoff: Duration::from_millis(5),
        ack_poll: Duration::from_millis(20),
        ..ReplayOptions::default()
    }
}

fn sink(o: SinkOptions) -> Sink {
    Sink::start(
        SinkOptions {
            token: TOKEN.into(),
            ..o
        },
        0,
    )
    .unwrap()
}

/// Every sent event arrived exactly once, with its metadata.
fn exactly_once(sent: &[Outgoing], sink: &Sink) {
    let mut counts: HashMap<(String, Option<String>, Option<String>), usize> = HashMap::new();
    for e in sink.events() {
        *counts.entry((e.raw, e.host, e.sourcetype)).or_insert(0) += 1;
    }
    assert_eq!(counts.len(), sent.len(), "distinct events received");
    for e in sent {
        let k = (e.raw.clone(), e.host.clone(), e.sourcetype.clone());
        assert_eq!(
            counts.get(&k),
            Some(&1),
            "{:?} not received exactly once",
            e.raw
        );
    }
}

#[test]
fn raw_endpoint_batches_gzips_and_keeps_metadata() {
    let s = sink(SinkOptions::default());
    let sent = events(2000);
    let mut o = opts(vec![s.url().to_string()]);
    o.max_batch_bytes = 20_000;
    let sum = replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    exactly_once(&sent, &s);
    assert_eq!(sum.events, 2000);
    assert_eq!(sum.accepted + sum.failed, sum.events);
    assert_eq!(sum.failed, 0);
    let st = s.stats();
    assert_eq!(
        st.gzip_requests, st.data_requests,
        "every request gzip-encoded on the wire"
    );
    assert!(
        sum.batches >= 2000 * 100 / 20_000,
        "batches respect the size limit: {}",
        sum.batches
    );
    // Metadata changes split batches: each request carried one sourcetype.
    assert!(s
        .events()
        .iter()
        .all(|e| e.source.as_deref() == Some("firedrill-test")));
}

#[test]
fn batches_stay_under_the_limit_uncompressed() {
    let s = sink(SinkOptions::default());
    let sent = events(500);
    let mut o = opts(vec![s.url().to_string()]);
    o.gzip = false;
    o.max_batch_bytes = 5_000;
    replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    assert!(
        s.stats().max_body <= 5_000,
        "largest body {}",
        s.stats().max_body
    );
    assert_eq!(s.stats().gzip_requests, 0);
    exactly_once(&sent, &s);
}

#[test]
fn event_endpoint_sends_envelopes_with_time() {
    let s = sink(SinkOptions::default());
    let sent = events(300);
    let mut o = opts(vec![s.url().to_string()]);
    o.endpoint = Endpoint::Event;
    replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    exactly_once(&sent, &s);
    let got = s.events();
    assert!(got.iter().all(|e| e.time.is_some()));
}

#[test]
fn a_bad_token_fails_fast_without_showing_it() {
    let s = Sink::start(
        SinkOptions {
            token: "right-token".into(),
            ..SinkOptions::default()
        },
        0,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = replay(
        events(100).into_iter(),
        &opts(vec![s.url().to_string()]),
        &|_| {},
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let msg = err.to_string();
    assert!(
        matches!(
            err.cause(),
            HecError::Rejected {
                code: 4,
                status: 403,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("Invalid token") && msg.contains("check the token"),
        "{msg}"
    );
    assert!(!msg.contains(TOKEN), "the token leaked into: {msg}");
    assert!(!format!("{:?}", opts(vec![])).contains(TOKEN));
}

#[test]
fn a_bad_index_is_explained() {
    let s = sink(SinkOptions {
        indexes: Some(vec!["main".into()]),
        ..SinkOptions::default()
    });
    let mut sent = events(10);
    for e in sent.iter_mut() {
        e.index = Some("nope".into());
    }
    let err = replay(sent.into_iter(), &opts(vec![s.url().to_string()]), &|_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("code 7") && msg.contains("Incorrect index") && msg.contains("--index"),
        "{msg}"
    );
    // The counts survive the error: ten read, none accepted.
    let sum = err.summary().unwrap();
    assert_eq!((sum.events, sum.accepted), (10, 0), "{msg}");
}

#[test]
fn busy_replies_and_dropped_connections_lose_nothing() {
    let s = sink(SinkOptions {
        busy_first: 2,
        busy_every: 3,
        drop_every: 7,
        ..SinkOptions::default()
    });
    let sent = events(3000);
    let mut o = opts(vec![s.url().to_string()]);
    o.max_batch_bytes = 10_000;
    let sum = replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    assert!(sum.retries > 0 && s.stats().busy_replies > 0 && s.stats().dropped > 0);
    assert_eq!(sum.failed, 0, "{sum:?}");
    assert_eq!(sum.accepted, 3000);
    exactly_once(&sent, &s);
}

#[test]
fn acknowledgment_is_awaited() {
    let s = sink(SinkOptions {
        ack: true,
        ack_delay: Duration::from_millis(200),
        busy_every: 4,
        ..SinkOptions::default()
    });
    let sent = events(1000);
    let mut o = opts(vec![s.url().to_string()]);
    o.ack = true;
    o.max_batch_bytes = 10_000;
    let sum = replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    assert_eq!(sum.acknowledged, 1000, "{sum:?}");
    assert_eq!(sum.acknowledged + sum.failed, sum.events);
    exactly_once(&sent, &s);
}

#[test]
fn acks_that_never_come_are_counted_failed() {
    let s = sink(SinkOptions {
        ack: true,
        ack_delay: Duration::from_secs(3600),
        ..SinkOptions::default()
    });
    let mut o = opts(vec![s.url().to_string()]);
    o.ack = true;
    o.ack_timeout = Duration::from_millis(300);
    let sum = replay(events(50).into_iter(), &o, &|_| {}).unwrap();
    assert_eq!(sum.acknowledged, 0);
    assert_eq!(sum.failed, 50);
    assert_eq!(sum.acknowledged + sum.failed, sum.events);
}

#[test]
fn ack_against_a_hec_without_acknowledgment_is_an_error() {
    // The sink with acknowledgment off answers without an ackId.
    let s = sink(SinkOptions::default());
    let mut o = opts(vec![s.url().to_string()]);
    o.ack = true;
    let e = replay(events(50).into_iter(), &o, &|_| {}).unwrap_err();
    assert!(matches!(e.cause(), HecError::NoAck { .. }), "{e}");
    assert!(e.summary().is_some_and(|s| s.accepted > 0), "{e}");
    assert!(e.to_string().contains("without an ackId"), "{e}");
    // Nothing was confirmed: with --ack, every event read is failed, so it balances.
    let s = e.summary().unwrap();
    assert_eq!((s.acknowledged, s.failed), (0, s.events), "{s:?}");
}

#[test]
fn an_unhealthy_indexer_gets_no_work() {
    let good = sink(SinkOptions::default());
    let bad = sink(SinkOptions {
        unhealthy: true,
        ..SinkOptions::default()
    });
    let sent = events(400);
    let sum = replay(
        sent.clone().into_iter(),
        &opts(vec![bad.url().to_string(), good.url().to_string()]),
        &|_| {},
    )
    .unwrap();
    assert_eq!(bad.stats().data_requests, 0);
    assert_eq!(sum.per_endpoint.len(), 1);
    // The one left out is named, with why.
    assert_eq!(sum.unhealthy.len(), 1, "{:?}", sum.unhealthy);
    assert!(sum.unhealthy[0].contains(bad.url()) && sum.unhealthy[0].contains("503"));
    exactly_once(&sent, &good);
    let none = replay(
        events(1).into_iter(),
        &opts(vec![bad.url().to_string()]),
        &|_| {},
    )
    .unwrap_err();
    assert!(matches!(none, HecError::NoHealthyEndpoint(_)));
    // Why each endpoint was dropped is said: its status, or the connection's error.
    let text = none.to_string();
    assert!(text.contains(bad.url()) && text.contains("503"), "{text}");
    let tls = bad.url().replace("http://", "https://");
    let none = replay(events(1).into_iter(), &opts(vec![tls.clone()]), &|_| {}).unwrap_err();
    let text = none.to_string();
    assert!(text.contains(&tls), "{text}");
    assert!(
        text.contains("TLS") && text.contains("try http://"),
        "{text}"
    );
}

#[test]
fn work_spreads_over_several_indexers() {
    let a = sink(SinkOptions::default());
    let b = sink(SinkOptions {
        busy_every: 2,
        ..SinkOptions::default()
    });
    let sent = events(2000);
    let mut o = opts(vec![a.url().to_string(), b.url().to_string()]);
    o.max_batch_bytes = 5_000;
    let sum = replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    assert!(
        sum.per_endpoint.iter().all(|(_, n)| *n > 0),
        "{:?}",
        sum.per_endpoint
    );
    let mut all = a.events();
    all.extend(b.events());
    assert_eq!(all.len(), 2000);
    assert_eq!(sum.failed, 0);
}

/// A million events under injected faults, each accounted for exactly once; prints
/// the throughput (`cargo test --release -p firedrill-replay -- --ignored --nocapture`).
#[test]
#[ignore]
fn a_million_events_under_faults() {
    let s = sink(SinkOptions {
        ack: true,
        busy_every: 5,
        drop_every: 11,
        ..SinkOptions::default()
    });
    let sent = events(1_000_000);
    let bytes: usize = sent.iter().map(|e| e.raw.len() + 1).sum();
    let mut o = opts(vec![s.url().to_string()]);
    o.ack = true;
    let started = std::time::Instant::now();
    let sum = replay(sent.clone().into_iter(), &o, &|_| {}).unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(sum.events, 1_000_000);
    assert_eq!(sum.acknowledged + sum.failed, sum.events);
    assert_eq!(sum.failed, 0, "{sum:?}");
    exactly_once(&sent, &s);
    println!(
        "1,000,000 events ({:.1} MB) to a loopback HEC with acks, every 5th request busy and every 11th connection dropped: {:.2} s = {:.0} events/s, {:.1} MB/s, {} retries",
        bytes as f64 / 1e6,
        secs,
        1e6 / secs,
        bytes as f64 / 1e6 / secs,
        sum.retries
    );
}

#[test]
fn the_sink_refuses_a_body_past_its_limit_and_keeps_serving() {
    use std::io::{Read, Write};
    let s = sink(SinkOptions {
        max_body: Some(16 << 20),
        ..SinkOptions::default()
    });
    let addr = s.url().trim_start_matches("http://").to_string();
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        c,
        "POST /services/collector/raw HTTP/1.1\r\nAuthorization: Splunk {TOKEN}\r\nContent-Length: 100000000000\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // A gzip bomb: 256 KB on the wire that would inflate to 256 MiB is refused once
    // the inflated body passes the limit (16 MiB here), without inflating the rest.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        c,
        "POST /services/collector/raw HTTP/1.1\r\nAuthorization: Splunk {TOKEN}\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        bomb.len()
    )
    .unwrap();
    c.write_all(&bomb).unwrap();
    let started = std::time::Instant::now();
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("over 16777216 bytes"),
        "{answer}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // Still serving.
    let sent = events(10);
    let sum = replay(
        sent.clone().into_iter(),
        &opts(vec![s.url().to_string()]),
        &|_| {},
    )
    .unwrap();
    assert_eq!(sum.events, 10);
    exactly_once(&sent, &s);
}

/// A HEC that answers its health check and then never answers data: each try times
/// out, and once a batch has used every retry the replay stops, saying so, with the
/// accounting balanced — not hours of trying every other batch as long.
#[test]
fn a_hec_that_never_answers_data_stops_the_replay() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(tcp.try_clone().unwrap());
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.starts_with("GET") {
                    let body = r#"{"text":"HEC is healthy","code":17}"#;
                    let mut w = tcp;
                    let _ = write!(
                        w,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                } else {
                    // Hold the connection open, never answer.
                    std::thread::sleep(Duration::from_secs(30));
                }
            });
        }
    });
    let started = std::time::Instant::now();
    let o = ReplayOptions {
        timeout: Duration::from_millis(300),
        max_retries: 2,
        max_batch_bytes: 2_000,
        in_flight: 1,
        ..opts(vec![url.clone()])
    };
    let err = replay(events(200).into_iter(), &o, &|_| {}).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("in 3 attempts") && text.contains("no answer within 0.3 s"),
        "{text}"
    );
    let sum = err.summary().expect("the counts");
    assert_eq!(sum.events, 200);
    assert_eq!(sum.accepted + sum.failed, 200, "{sum:?}");
}

/// A refusal after some batches were accepted: the replay stops on it, and the
/// summary still counts what was accepted before and fails the rest.
#[test]
fn a_refusal_after_accepted_batches_keeps_the_counts() {
    let s = sink(SinkOptions {
        indexes: Some(vec!["main".into()]),
        ..SinkOptions::default()
    });
    let mut sent = events(300);
    for (i, e) in sent.iter_mut().enumerate() {
        e.index = Some(if i < 200 { "main" } else { "nope" }.into());
    }
    let o = ReplayOptions {
        in_flight: 1,
        max_batch_bytes: 4_000,
        ..opts(vec![s.url().to_string()])
    };
    let err = replay(sent.into_iter(), &o, &|_| {}).unwrap_err();
    assert!(err.to_string().contains("Incorrect index"), "{err}");
    let sum = err.summary().unwrap();
    assert!(sum.accepted >= 100, "{sum:?}");
    assert_eq!(sum.accepted + sum.failed, 300, "{sum:?}");
    assert_eq!(
        s.events().len() as u64,
        sum.accepted,
        "the sink holds what was accepted"
    );
}
