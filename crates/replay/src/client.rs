//! The HEC client: batches events under a size limit (events in a batch share their
//! metadata, which the raw endpoint takes in the query string), gzips them, keeps
//! several requests in flight, retries busy or failed requests with exponential
//! backoff and jitter, spreads batches over several indexers, and waits for indexer
//! acknowledgment. At the end, events read = acknowledged (or accepted) + failed.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// One event to send.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outgoing {
    /// The event text.
    pub raw: String,
    /// Event time (epoch seconds), sent with the event endpoint.
    pub time: Option<f64>,
    /// Host.
    pub host: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Sourcetype.
    pub sourcetype: Option<String>,
    /// Index.
    pub index: Option<String>,
}

/// Which HEC endpoint to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/services/collector/raw`: Splunk breaks lines and reads timestamps.
    Raw,
    /// `/services/collector/event`: JSON envelopes with `time` and metadata.
    Event,
}

/// How to replay.
#[derive(Clone)]
pub struct ReplayOptions {
    /// HEC base URLs (`https://splunk:8088`); several spread the load.
    pub urls: Vec<String>,
    /// The HEC token (never printed).
    pub token: String,
    /// Raw or event endpoint.
    pub endpoint: Endpoint,
    /// Most uncompressed bytes in one request.
    pub max_batch_bytes: usize,
    /// gzip request bodies.
    pub gzip: bool,
    /// Requests in flight.
    pub in_flight: usize,
    /// Wait for indexer acknowledgment.
    pub ack: bool,
    /// Give up on acknowledgment after this long.
    pub ack_timeout: Duration,
    /// Time between `/ack` polls.
    pub ack_poll: Duration,
    /// Extra CA certificate (PEM).
    pub ca_file: Option<PathBuf>,
    /// Skip TLS verification (explicit; the CLI warns).
    pub insecure: bool,
    /// Retries per batch before it counts as failed.
    pub max_retries: u32,
    /// First backoff; doubles each retry (with jitter), capped at 30 s.
    pub backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            urls: Vec::new(),
            token: String::new(),
            endpoint: Endpoint::Raw,
            max_batch_bytes: 1_000_000,
            gzip: true,
            in_flight: 4,
            ack: false,
            ack_timeout: Duration::from_secs(300),
            ack_poll: Duration::from_millis(500),
            ca_file: None,
            insecure: false,
            max_retries: 8,
            backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for ReplayOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayOptions")
            .field("urls", &self.urls)
            .field("token", &"<redacted>")
            .field("endpoint", &self.endpoint)
            .field("max_batch_bytes", &self.max_batch_bytes)
            .field("gzip", &self.gzip)
            .field("in_flight", &self.in_flight)
            .field("ack", &self.ack)
            .finish_non_exhaustive()
    }
}

/// Where the replay stands, for a progress bar; also sent when a batch is retried,
/// so that a HEC that answers nothing is never a silent wait.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// Events handed to HEC and accepted so far.
    pub events: u64,
    /// Uncompressed bytes accepted so far.
    pub bytes: u64,
    /// Why a batch is being retried, with the time it took (when this is about one).
    pub retry: Option<String>,
}

/// The accounting at the end.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ReplaySummary {
    /// Events read.
    pub events: u64,
    /// Uncompressed bytes of those events.
    pub bytes: u64,
    /// Batches built.
    pub batches: u64,
    /// Events HEC accepted (code 0).
    pub accepted: u64,
    /// Events acknowledged by the indexers (ack mode).
    pub acknowledged: u64,
    /// Events that failed (retries exhausted, or not acknowledged in time).
    pub failed: u64,
    /// Retries made.
    pub retries: u64,
    /// Batches accepted per endpoint.
    pub per_endpoint: Vec<(String, u64)>,
    /// Endpoints left out because they failed their health check, with why.
    #[serde(default)]
    pub unhealthy: Vec<String>,
    /// Wall time in seconds.
    pub duration_s: f64,
    /// Whether acknowledgment was used (then `acknowledged + failed == events`,
    /// otherwise `accepted + failed == events`).
    pub ack: bool,
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum HecError {
    /// HEC refused the data for a reason retrying cannot fix (bad token, bad index,
    /// invalid data...). The message never holds the token.
    #[error("HEC at {url} refused the data: HTTP {status}, code {code} ({text}){hint}")]
    Rejected {
        /// The endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// HEC code.
        code: i64,
        /// HEC's text.
        text: String,
        /// What to do about it.
        hint: String,
    },
    /// `--ack` was asked for, but the endpoint accepted data without an `ackId`:
    /// acknowledgment is off for the token, so nothing could ever be confirmed.
    #[error("HEC at {url} accepted data without an ackId: indexer acknowledgment is not enabled for this token; enable it, or replay without --ack")]
    NoAck {
        /// The endpoint.
        url: String,
    },
    /// A batch was refused or unanswered through every retry: HEC is not taking data,
    /// so the replay stops instead of trying every other batch as long.
    #[error("HEC gave no success for a batch in {attempts} attempts (the last: {why}); stopping")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's failure.
        why: String,
    },
    /// The replay stopped on `cause` after sending some data: what was read, accepted
    /// and failed by then, so the accounting is never lost with the error.
    #[error("{cause} (stopped after {} events read: {} accepted, {} failed, the rest not sent)", summary.events, summary.accepted, summary.failed)]
    Stopped {
        /// Why it stopped.
        cause: Box<HecError>,
        /// The counts when it stopped.
        summary: Box<ReplaySummary>,
    },
    /// No endpoint answered its health check as healthy.
    #[error("no healthy HEC endpoint: {0}")]
    NoHealthyEndpoint(String),
    /// The HTTP client could not be built (bad CA file...).
    #[error("{0}")]
    Client(String),
}

impl HecError {
    /// The error itself, past the counts a [`HecError::Stopped`] adds.
    pub fn cause(&self) -> &HecError {
        match self {
            HecError::Stopped { cause, .. } => cause.cause(),
            other => other,
        }
    }

    /// The counts when the replay stopped, if it had started sending.
    pub fn summary(&self) -> Option<&ReplaySummary> {
        match self {
            HecError::Stopped { summary, .. } => Some(summary),
            _ => None,
        }
    }
}

fn hint(code: i64) -> &'static str {
    match code {
        1..=4 => ": check the token (SPLUNK_HEC_TOKEN or --token-file) and that it is enabled",
        7 => ": the index does not exist or the token may not write to it (--index)",
        10 | 11 => ": the token uses indexer acknowledgment, which needs a channel",
        14 => ": acknowledgment is disabled for this token; run without --ack",
        5 | 6 | 12 | 13 => ": the events were not in the form this endpoint expects",
        _ => "",
    }
}

struct Batch {
    events: u64,
    bytes: u64,
    body: Vec<u8>,
    query: String,
}

fn channel_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let x = nanos ^ ((std::process::id() as u128) << 64);
    let h = format!(
        "{:032x}",
        x.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    );
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn meta_key(
    e: &Outgoing,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    (
        e.host.clone(),
        e.source.clone(),
        e.sourcetype.clone(),
        e.index.clone(),
    )
}

fn finish_batch(events: &[Outgoing], opts: &ReplayOptions) -> Batch {
    let mut body = Vec::new();
    for e in events {
        match opts.endpoint {
            Endpoint::Raw => {
                body.extend_from_slice(e.raw.as_bytes());
                body.push(b'\n');
            }
            Endpoint::Event => {
                let mut env = serde_json::Map::new();
                if let Some(t) = e.time {
                    env.insert("time".into(), serde_json::json!(t));
                }
                for (k, v) in [
                    ("host", &e.host),
                    ("source", &e.source),
                    ("sourcetype", &e.sourcetype),
                    ("index", &e.index),
                ] {
                    if let Some(v) = v {
                        env.insert(k.into(), serde_json::json!(v));
                    }
                }
                env.insert("event".into(), serde_json::json!(e.raw));
                body.extend_from_slice(serde_json::Value::Object(env).to_string().as_bytes());
                body.push(b'\n');
            }
        }
    }
    let bytes = body.len() as u64;
    let query = match opts.endpoint {
        Endpoint::Raw => {
            let (h, s, st, i) = events.first().map(meta_key).unwrap_or_default();
            let parts: Vec<String> = [("host", h), ("source", s), ("sourcetype", st), ("index", i)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| format!("{k}={}", crate::url_encode(&v))))
                .collect();
            parts.join("&")
        }
        Endpoint::Event => String::new(),
    };
    let body = if opts.gzip {
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let ok = g.write_all(&body).is_ok();
        match (ok, g.finish()) {
            (true, Ok(z)) => z,
            _ => body,
        }
    } else {
        body
    };
    Batch {
        events: events.len() as u64,
        bytes,
        body,
        query,
    }
}

/// Splits events into batches under the size limit, each sharing its metadata (one
/// open batch per host/source/sourcetype/index, so interleaved sources still batch).
fn batches(
    events: impl Iterator<Item = Outgoing>,
    opts: &ReplayOptions,
    tx: &mpsc::SyncSender<Batch>,
    read: &AtomicU64,
) {
    type Key = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut open: std::collections::HashMap<Key, (Vec<Outgoing>, usize)> =
        std::collections::HashMap::new();
    for e in events {
        read.fetch_add(1, Ordering::Relaxed);
        let cost = e.raw.len() + 200;
        let slot = open.entry(meta_key(&e)).or_default();
        if !slot.0.is_empty() && slot.1 + cost > opts.max_batch_bytes {
            let full = std::mem::take(&mut slot.0);
            slot.1 = 0;
            if tx.send(finish_batch(&full, opts)).is_err() {
                return;
            }
        }
        slot.1 += cost;
        slot.0.push(e);
    }
    for (_, (rest, _)) in open {
        if !rest.is_empty() && tx.send(finish_batch(&rest, opts)).is_err() {
            return;
        }
    }
}

enum Outcome {
    Accepted { ack_id: Option<u64> },
    Retry(String),
    Fatal(HecError),
}

fn send(
    client: &reqwest::blocking::Client,
    base: &str,
    b: &Batch,
    opts: &ReplayOptions,
    channel: &str,
) -> Outcome {
    let path = match opts.endpoint {
        Endpoint::Raw => "/services/collector/raw",
        Endpoint::Event => "/services/collector/event",
    };
    let mut url = format!("{}{path}?channel={channel}", base.trim_end_matches('/'));
    if !b.query.is_empty() {
        url.push('&');
        url.push_str(&b.query);
    }
    let mut req = client
        .post(&url)
        .header("Authorization", format!("Splunk {}", opts.token))
        .header("X-Splunk-Request-Channel", channel)
        .body(b.body.clone());
    if opts.gzip {
        req = req.header("Content-Encoding", "gzip");
    }
    let resp = match req.send() {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Outcome::Retry(format!(
                "{base}: no answer within {} s",
                opts.timeout.as_secs_f64()
            ))
        }
        Err(e) => return Outcome::Retry(format!("{base}: {}", explain(&e.without_url()))),
    };
    let status = resp.status().as_u16();
    outcome(base, status, &resp.text().unwrap_or_default())
}

/// What HEC's answer to a batch means: accepted (with its ack id), worth a retry, or
/// fatal. Any body is an answer: what is not HEC's JSON has code -1.
fn outcome(base: &str, status: u16, body: &str) -> Outcome {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let code = v.get("code").and_then(|c| c.as_i64()).unwrap_or(-1);
    let text = v
        .get("text")
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    match (status, code) {
        (200, 0) => Outcome::Accepted {
            ack_id: v.get("ackId").and_then(|a| a.as_u64()),
        },
        (503, _) | (500, _) | (_, 8) | (_, 9) | (502 | 504, _) => {
            Outcome::Retry(format!("{base}: HTTP {status} code {code} ({text})"))
        }
        _ => Outcome::Fatal(HecError::Rejected {
            url: base.to_string(),
            status,
            code,
            text: if text.is_empty() {
                crate::code_text(code).to_string()
            } else {
                text
            },
            hint: hint(code).to_string(),
        }),
    }
}

fn jitter(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 1000
}

/// Whether HEC at `base` answers its health check; if not, why (the TLS or
/// connection error with its causes, or the status).
fn healthy(client: &reqwest::blocking::Client, base: &str) -> Result<(), String> {
    let url = format!("{}/services/collector/health", base.trim_end_matches('/'));
    match client.get(url).send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{base}: health check answered {}", r.status())),
        Err(e) => Err(format!("{base}: {}", explain(&e.without_url()))),
    }
}

/// A request error with its chain of causes, and what to do when it is about TLS.
pub fn explain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    let lower = text.to_ascii_lowercase();
    // rustls's certificate errors, in words.
    for (needle, what) in [
        ("notvalidforname", "the server's certificate is not for this host name (connect by a name the certificate lists)"),
        ("not valid for name", "the server's certificate is not for this host name (connect by a name the certificate lists)"),
        ("expired", "the server's certificate has expired"),
        ("notvalidyet", "the server's certificate is not valid yet (is this machine's clock right?)"),
        ("not valid yet", "the server's certificate is not valid yet (is this machine's clock right?)"),
        ("unknownissuer", "the server's certificate is signed by a CA firedrill does not trust"),
        ("caused asendentity", "the server presents a CA certificate as its own (a self-signed one)"),
        ("causedasendentity", "the server presents a CA certificate as its own (a self-signed one)"),
        ("revoked", "the server's certificate is revoked"),
    ] {
        if lower.contains(needle) {
            text = format!("{what}: {text}");
            break;
        }
    }
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        text.push_str(
            " (give the server's certificate, or the CA's that signed it, with --ca FILE; or --insecure to skip verification)",
        );
    } else if lower.contains("corrupt message") || lower.contains("invalidcontenttype") {
        text.push_str(" (the server does not speak TLS: try http://)");
    } else if lower.contains("handshake eof") {
        text.push_str(" (the server closed the connection during the TLS handshake: if it does not speak TLS, try http://)");
    }
    text
}

/// The ack ids an `/services/collector/ack` answer says are indexed (any body: what
/// is not HEC's JSON acknowledges nothing).
fn acked(body: &str) -> Vec<u64> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("acks").and_then(|a| a.as_object()).map(|m| {
                m.iter()
                    .filter(|(_, t)| t.as_bool() == Some(true))
                    .filter_map(|(k, _)| k.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Entry points for the fuzz target (`fuzz/`) and its stable-toolchain twin: what a
/// peer sends is read without panicking, whatever it is.
#[doc(hidden)]
pub mod fuzzing {
    /// HEC's answer to a batch, with any status.
    pub fn response(status: u16, body: &str) -> String {
        match super::outcome("https://hec.example:8088", status, body) {
            super::Outcome::Accepted { ack_id } => format!("accepted {ack_id:?}"),
            super::Outcome::Retry(m) => format!("retry {m}"),
            super::Outcome::Fatal(e) => format!("fatal {e}"),
        }
    }

    /// HEC's answer to an ack poll.
    pub fn ack_response(body: &str) -> Vec<u64> {
        super::acked(body)
    }
}

/// Replays `events` into HEC.
pub fn replay(
    events: impl Iterator<Item = Outgoing> + Send,
    opts: &ReplayOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ReplaySummary, HecError> {
    let started = Instant::now();
    let builder = crate::tls::client_builder(opts.ca_file.as_deref(), opts.insecure)
        .map_err(HecError::Client)?
        .user_agent(concat!("firedrill/", env!("CARGO_PKG_VERSION")))
        .timeout(opts.timeout);
    let client = builder
        .build()
        .map_err(|e| HecError::Client(e.to_string()))?;
    for u in &opts.urls {
        crate::refuse_credentials("--hec", u).map_err(HecError::Client)?;
    }
    let mut why = Vec::new();
    let endpoints: Vec<String> = opts
        .urls
        .iter()
        .filter(|u| match healthy(&client, u) {
            Ok(()) => true,
            Err(e) => {
                why.push(e);
                false
            }
        })
        .cloned()
        .collect();
    if endpoints.is_empty() {
        return Err(HecError::NoHealthyEndpoint(why.join("; ")));
    }
    let channel = channel_id();
    let failures: Vec<AtomicUsize> = endpoints.iter().map(|_| AtomicUsize::new(0)).collect();
    let accepted_per: Vec<AtomicU64> = endpoints.iter().map(|_| AtomicU64::new(0)).collect();
    let next = AtomicUsize::new(0);
    let read = AtomicU64::new(0);
    let (accepted, failed, retries, batches_n, bytes) = (
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    );
    let abort = AtomicBool::new(false);
    let fatal: Mutex<Option<HecError>> = Mutex::new(None);
    let pending: Mutex<Vec<(usize, u64, u64)>> = Mutex::new(Vec::new());
    let (tx, rx) = mpsc::sync_channel::<Batch>(opts.in_flight.max(1) * 2);
    let rx = Arc::new(Mutex::new(rx));
    let (client_ref, endpoints_ref, failures_ref, accepted_per_ref) =
        (&client, &endpoints, &failures, &accepted_per);
    let (next_ref, read_ref, accepted_ref, failed_ref, retries_ref, batches_ref, bytes_ref) = (
        &next, &read, &accepted, &failed, &retries, &batches_n, &bytes,
    );
    let (abort_ref, fatal_ref, pending_ref, channel_ref) = (&abort, &fatal, &pending, &channel);
    std::thread::scope(|s| {
        s.spawn(move || batches(events, opts, &tx, read_ref));
        for _ in 0..opts.in_flight.max(1) {
            let rx = rx.clone();
            let (client, endpoints, failures, accepted_per) =
                (client_ref, endpoints_ref, failures_ref, accepted_per_ref);
            let (next, accepted, failed, retries, batches_n, bytes) = (
                next_ref,
                accepted_ref,
                failed_ref,
                retries_ref,
                batches_ref,
                bytes_ref,
            );
            let (abort, fatal, pending, channel) = (abort_ref, fatal_ref, pending_ref, channel_ref);
            s.spawn(move || {
                while let Some(batch) = rx.lock().ok().and_then(|r| r.recv().ok()) {
                    batches_n.fetch_add(1, Ordering::Relaxed);
                    if abort.load(Ordering::Relaxed) {
                        failed.fetch_add(batch.events, Ordering::Relaxed);
                        continue;
                    }
                    let mut attempt = 0u32;
                    loop {
                        // Round robin over endpoints that have not failed three times running.
                        let n = endpoints.len();
                        let start = next.fetch_add(1, Ordering::Relaxed);
                        let idx = (0..n)
                            .map(|k| (start + k) % n)
                            .find(|&i| failures[i].load(Ordering::Relaxed) < 3)
                            .unwrap_or(start % n);
                        let tried = Instant::now();
                        match send(client, &endpoints[idx], &batch, opts, channel) {
                            Outcome::Accepted { ack_id } => {
                                failures[idx].store(0, Ordering::Relaxed);
                                accepted.fetch_add(batch.events, Ordering::Relaxed);
                                accepted_per[idx].fetch_add(1, Ordering::Relaxed);
                                bytes.fetch_add(batch.bytes, Ordering::Relaxed);
                                match (opts.ack, ack_id) {
                                    (true, Some(id)) => {
                                        if let Ok(mut p) = pending.lock() {
                                            p.push((idx, id, batch.events));
                                        }
                                    }
                                    (true, None) => {
                                        abort.store(true, Ordering::Relaxed);
                                        if let Ok(mut f) = fatal.lock() {
                                            f.get_or_insert(HecError::NoAck {
                                                url: endpoints[idx].clone(),
                                            });
                                        }
                                    }
                                    (false, _) => {}
                                }
                                progress(Progress {
                                    events: accepted.load(Ordering::Relaxed),
                                    bytes: bytes.load(Ordering::Relaxed),
                                    retry: None,
                                });
                                break;
                            }
                            Outcome::Retry(why) => {
                                failures[idx].fetch_add(1, Ordering::Relaxed);
                                attempt += 1;
                                progress(Progress {
                                    events: accepted.load(Ordering::Relaxed),
                                    bytes: bytes.load(Ordering::Relaxed),
                                    retry: Some(format!(
                                        "attempt {attempt} of {}: {why} (after {:.1} s)",
                                        opts.max_retries + 1,
                                        tried.elapsed().as_secs_f64()
                                    )),
                                });
                                if abort.load(Ordering::Relaxed) {
                                    failed.fetch_add(batch.events, Ordering::Relaxed);
                                    break;
                                }
                                if attempt > opts.max_retries {
                                    failed.fetch_add(batch.events, Ordering::Relaxed);
                                    abort.store(true, Ordering::Relaxed);
                                    if let Ok(mut f) = fatal.lock() {
                                        f.get_or_insert(HecError::GaveUp {
                                            attempts: attempt,
                                            why,
                                        });
                                    }
                                    break;
                                }
                                retries.fetch_add(1, Ordering::Relaxed);
                                let base = opts.backoff.as_millis() as u64;
                                let wait = (base << attempt.min(8)).min(30_000);
                                let wait = wait / 2 + (wait / 2) * jitter(attempt as u64) / 1000;
                                std::thread::sleep(Duration::from_millis(wait));
                            }
                            Outcome::Fatal(e) => {
                                failed.fetch_add(batch.events, Ordering::Relaxed);
                                abort.store(true, Ordering::Relaxed);
                                if let Ok(mut f) = fatal.lock() {
                                    f.get_or_insert(e);
                                }
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    let summary = |acknowledged: u64| ReplaySummary {
        events: read.load(Ordering::Relaxed),
        bytes: bytes.load(Ordering::Relaxed),
        batches: batches_n.load(Ordering::Relaxed),
        accepted: accepted.load(Ordering::Relaxed),
        acknowledged,
        failed: failed.load(Ordering::Relaxed),
        retries: retries.load(Ordering::Relaxed),
        per_endpoint: endpoints
            .iter()
            .zip(&accepted_per)
            .map(|(u, n)| (u.clone(), n.load(Ordering::Relaxed)))
            .collect(),
        duration_s: started.elapsed().as_secs_f64(),
        unhealthy: why.clone(),
        ack: opts.ack,
    };
    if let Some(e) = fatal.lock().ok().and_then(|mut f| f.take()) {
        let mut s = summary(0);
        if opts.ack {
            // With --ack only acknowledged events count as delivered: what HEC
            // accepted without ever confirming is failed, so the counts balance.
            s.failed += s.accepted;
        }
        return Err(HecError::Stopped {
            cause: Box::new(e),
            summary: Box::new(s),
        });
    }
    let mut acknowledged = 0;
    if opts.ack {
        let mut waiting = pending.into_inner().unwrap_or_default();
        let deadline = Instant::now() + opts.ack_timeout;
        while !waiting.is_empty() && Instant::now() < deadline {
            for (i, base) in endpoints.iter().enumerate() {
                let ids: Vec<u64> = waiting.iter().filter(|p| p.0 == i).map(|p| p.1).collect();
                if ids.is_empty() {
                    continue;
                }
                let url = format!(
                    "{}/services/collector/ack?channel={channel}",
                    base.trim_end_matches('/')
                );
                let resp = client
                    .post(url)
                    .header("Authorization", format!("Splunk {}", opts.token))
                    .header("X-Splunk-Request-Channel", &channel)
                    .body(serde_json::json!({ "acks": ids }).to_string())
                    .send()
                    .and_then(|r| r.text());
                if let Ok(text) = resp {
                    let done = acked(&text);
                    waiting.retain(|p| {
                        let hit = p.0 == i && done.contains(&p.1);
                        if hit {
                            acknowledged += p.2;
                        }
                        !hit
                    });
                }
            }
            if !waiting.is_empty() {
                std::thread::sleep(opts.ack_poll);
            }
        }
        let unacked: u64 = waiting.iter().map(|p| p.2).sum();
        failed.fetch_add(unacked, Ordering::Relaxed);
    }
    Ok(summary(acknowledged))
}
