//! A HEC-compatible server on 127.0.0.1, written from Splunk's documented behaviour:
//! `/services/collector/raw`, `/services/collector/event`, `/services/collector/ack`,
//! `/services/collector/health`, its reply codes, gzip (deflate refused with 415), ack
//! ids counted from 0 per channel and forgotten once reported true. It can inject
//! faults — busy replies, dropped connections, slow acks, an unhealthy state — and
//! keeps every event it accepted, so tests can prove nothing was lost or doubled.

use crate::http::{read_request, respond, Request, MAX_BODY};
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the sink behaves.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// The token it accepts.
    pub token: String,
    /// Indexer acknowledgment on: replies carry `ackId`, a channel is required.
    pub ack: bool,
    /// How long after acceptance an ack turns true.
    pub ack_delay: Duration,
    /// Answer the first N data requests with 503 / code 9 (busy).
    pub busy_first: usize,
    /// Answer every Nth data request with 503 / code 9 (0: never).
    pub busy_every: usize,
    /// Close the connection without a reply on every Nth data request (0: never),
    /// before storing anything.
    pub drop_every: usize,
    /// Report unhealthy (code 18, 503) on `/health`.
    pub unhealthy: bool,
    /// Indexes that exist (others get code 7); any index when `None`.
    pub indexes: Option<Vec<String>>,
    /// The largest body accepted once inflated ([`MAX_BODY`] when `None`).
    pub max_body: Option<usize>,
}

/// One event the sink accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedEvent {
    /// The event text.
    pub raw: String,
    /// `time` (event endpoint) if given.
    pub time: Option<f64>,
    /// Metadata given with it.
    pub host: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Sourcetype.
    pub sourcetype: Option<String>,
    /// Index.
    pub index: Option<String>,
}

/// Counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Every request.
    pub requests: u64,
    /// Requests to `/raw` or `/event`.
    pub data_requests: u64,
    /// Of which gzip-encoded.
    pub gzip_requests: u64,
    /// Events accepted.
    pub events: u64,
    /// Body bytes received (as sent, compressed or not).
    pub bytes: u64,
    /// Busy replies injected.
    pub busy_replies: u64,
    /// Connections dropped on purpose.
    pub dropped: u64,
    /// Largest body received (as sent).
    pub max_body: u64,
}

#[derive(Default)]
struct Channel {
    next: u64,
    pending: HashMap<u64, Instant>,
}

#[derive(Default)]
struct State {
    events: Vec<ReceivedEvent>,
    stats: SinkStats,
    channels: HashMap<String, Channel>,
}

/// Answers a REST search (`/services/search/jobs`, `exec_mode=oneshot`) over the
/// events received so far: the search text and the events in, result rows out.
pub type SearchHandler = Arc<
    dyn Fn(
            &str,
            &[ReceivedEvent],
        ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String>
        + Send
        + Sync,
>;

/// A running sink; it stops with the process.
pub struct Sink {
    url: String,
    state: Arc<Mutex<State>>,
    opts: Arc<Mutex<SinkOptions>>,
    search: Arc<Mutex<Option<SearchHandler>>>,
}

impl Sink {
    /// Starts on `127.0.0.1:port` (0: any free port).
    pub fn start(opts: SinkOptions, port: u16) -> std::io::Result<Sink> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let url = format!("http://{}", listener.local_addr()?);
        let state: Arc<Mutex<State>> = Arc::default();
        let opts = Arc::new(Mutex::new(opts));
        let search: Arc<Mutex<Option<SearchHandler>>> = Arc::default();
        let (s, o, h) = (state.clone(), opts.clone(), search.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, o, h) = (s.clone(), o.clone(), h.clone());
                std::thread::spawn(move || serve(stream, &s, &o, &h));
            }
        });
        Ok(Sink {
            url,
            state,
            opts,
            search,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every accepted event, in arrival order.
    pub fn events(&self) -> Vec<ReceivedEvent> {
        self.state
            .lock()
            .map(|s| s.events.clone())
            .unwrap_or_default()
    }

    /// The counters.
    pub fn stats(&self) -> SinkStats {
        self.state
            .lock()
            .map(|s| s.stats.clone())
            .unwrap_or_default()
    }

    /// Makes the sink answer Splunk's REST search API too (a stand-in management port).
    pub fn set_search_handler(&self, h: SearchHandler) {
        if let Ok(mut slot) = self.search.lock() {
            *slot = Some(h);
        }
    }

    /// Changes the behaviour while running (e.g. turn unhealthy).
    pub fn set_options(&self, f: impl FnOnce(&mut SinkOptions)) {
        if let Ok(mut o) = self.opts.lock() {
            f(&mut o);
        }
    }
}

fn reply(w: &mut TcpStream, status: u16, code: i64) -> bool {
    let body = format!(
        "{{\"text\":\"{}\",\"code\":{code}}}",
        crate::code_text(code)
    );
    respond(w, status, &body).is_ok()
}

fn serve(
    stream: TcpStream,
    state: &Mutex<State>,
    opts: &Mutex<SinkOptions>,
    search: &Mutex<Option<SearchHandler>>,
) {
    let _ = stream.set_nodelay(true);
    // A client that stops sending mid-request frees its connection.
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut w = stream;
    while let Some(req) = read_request(&mut reader) {
        if req.too_large {
            let _ = too_large(&mut w, MAX_BODY);
            return;
        }
        let o = match opts.lock() {
            Ok(o) => o.clone(),
            Err(_) => return,
        };
        if let Ok(mut s) = state.lock() {
            s.stats.requests += 1;
        }
        if req.path.starts_with("/services/search")
            || req.path.starts_with("/services/data/indexes")
        {
            let h = search.lock().ok().and_then(|h| h.clone());
            if !rest(&req, &mut w, state, &o, h) {
                return;
            }
            continue;
        }
        if !handle(&req, &mut w, state, &o) {
            return;
        }
    }
}

fn channel_of(req: &Request) -> Option<String> {
    req.header("X-Splunk-Request-Channel")
        .or_else(|| req.param("channel"))
        .map(str::to_string)
}

/// Handles one request; false closes the connection.
/// A body past `max` bytes, announced or once inflated.
fn too_large(w: &mut TcpStream, max: usize) -> std::io::Result<()> {
    respond(
        w,
        413,
        &format!("{{\"text\":\"Content too large (over {max} bytes)\",\"code\":413}}"),
    )
}

fn handle(req: &Request, w: &mut TcpStream, state: &Mutex<State>, o: &SinkOptions) -> bool {
    let path = req.path.trim_end_matches('/');
    if path == "/services/collector/health" || path == "/services/collector/health/1.0" {
        return if o.unhealthy {
            reply(w, 503, 18)
        } else {
            reply(w, 200, 17)
        };
    }
    let data = matches!(
        path,
        "/services/collector/raw"
            | "/services/collector/event"
            | "/services/collector"
            | "/services/collector/raw/1.0"
            | "/services/collector/event/1.0"
    );
    if !data && path != "/services/collector/ack" {
        return respond(
            w,
            404,
            "{\"text\":\"The requested URL was not found on this server.\",\"code\":404}",
        )
        .is_ok();
    }
    match req.header("Authorization") {
        None => return reply(w, 401, 2),
        Some(a) => {
            let tok = a.strip_prefix("Splunk ").unwrap_or("");
            if tok != o.token {
                return reply(w, 403, 4);
            }
        }
    }
    if path == "/services/collector/ack" {
        return ack(req, w, state, o);
    }
    // A data request: faults first, then the body.
    let n = match state.lock() {
        Ok(mut s) => {
            s.stats.data_requests += 1;
            s.stats.bytes += req.body.len() as u64;
            s.stats.max_body = s.stats.max_body.max(req.body.len() as u64);
            s.stats.data_requests as usize
        }
        Err(_) => return false,
    };
    if o.drop_every > 0 && n % o.drop_every == 0 {
        if let Ok(mut s) = state.lock() {
            s.stats.dropped += 1;
        }
        return false;
    }
    if n <= o.busy_first || (o.busy_every > 0 && n % o.busy_every == 0) {
        if let Ok(mut s) = state.lock() {
            s.stats.busy_replies += 1;
        }
        return reply(w, 503, 9);
    }
    let body = match req
        .header("Content-Encoding")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("identity") => req.body.clone(),
        Some("gzip") => {
            if let Ok(mut s) = state.lock() {
                s.stats.gzip_requests += 1;
            }
            let max = o.max_body.unwrap_or(MAX_BODY);
            let mut out = Vec::new();
            if flate2::read::GzDecoder::new(&req.body[..])
                .take(max as u64 + 1)
                .read_to_end(&mut out)
                .is_err()
            {
                return reply(w, 400, 6);
            }
            if out.len() > max {
                let _ = too_large(w, max);
                return false;
            }
            out
        }
        Some(_) => {
            return respond(
                w,
                415,
                "{\"text\":\"Unsupported content encoding\",\"code\":415}",
            )
            .is_ok()
        }
    };
    let channel = channel_of(req);
    if o.ack && channel.is_none() {
        return reply(w, 400, 10);
    }
    let events = if path.contains("/raw") {
        let meta = |k: &str| req.param(k).map(str::to_string);
        let index = meta("index");
        split_raw(&String::from_utf8_lossy(&body))
            .into_iter()
            .map(|raw| ReceivedEvent {
                raw,
                time: None,
                host: meta("host"),
                source: meta("source"),
                sourcetype: meta("sourcetype"),
                index: index.clone(),
            })
            .collect::<Vec<_>>()
    } else {
        match parse_envelopes(&body) {
            Ok(e) => e,
            Err((code, n)) => {
                let body = format!(
                    "{{\"text\":\"{}\",\"code\":{code},\"invalid-event-number\":{n}}}",
                    crate::code_text(code)
                );
                return respond(w, 400, &body).is_ok();
            }
        }
    };
    if events.is_empty() {
        return reply(w, 400, 5);
    }
    if let Some(allowed) = &o.indexes {
        if events
            .iter()
            .any(|e| e.index.as_ref().is_some_and(|i| !allowed.contains(i)))
        {
            return reply(w, 400, 7);
        }
    }
    let Ok(mut s) = state.lock() else {
        return false;
    };
    s.stats.events += events.len() as u64;
    s.events.extend(events);
    if o.ack {
        let ch = s.channels.entry(channel.unwrap_or_default()).or_default();
        let id = ch.next;
        ch.next += 1;
        ch.pending.insert(id, Instant::now() + o.ack_delay);
        drop(s);
        respond(
            w,
            200,
            &format!("{{\"text\":\"Success\",\"code\":0,\"ackId\":{id}}}"),
        )
        .is_ok()
    } else {
        drop(s);
        reply(w, 200, 0)
    }
}

/// Splits a raw body into events: `<Event>` elements for XML Windows events (their
/// values may hold newlines), lines otherwise.
pub fn split_raw(body: &str) -> Vec<String> {
    if body.trim_start().starts_with("<Event") {
        body.split("</Event>")
            .filter(|p| p.contains("<Event"))
            .map(|p| format!("{}</Event>", p.trim_start()))
            .collect()
    } else {
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Entry points for the fuzz target: what a HEC client sends the sink is read
/// without panicking, whatever it is.
#[doc(hidden)]
pub mod fuzzing {
    /// A request on the wire, then its body as event envelopes and as raw events.
    pub fn request(bytes: &[u8]) -> usize {
        let mut r = std::io::BufReader::new(bytes);
        let mut n = 0;
        while let Some(req) = crate::http::read_request(&mut r) {
            n += super::parse_envelopes(&req.body).map_or(0, |e| e.len());
            n += super::split_raw(&String::from_utf8_lossy(&req.body)).len();
            let _ = req.param("channel");
            let _ = req.header("authorization");
        }
        n
    }
}

fn parse_envelopes(body: &[u8]) -> Result<Vec<ReceivedEvent>, (i64, usize)> {
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_slice(body).into_iter::<serde_json::Value>();
    for (i, v) in stream.enumerate() {
        let v = v.map_err(|_| (6, i))?;
        let event = match v.get("event") {
            None => return Err((12, i)),
            Some(serde_json::Value::String(s)) if s.is_empty() => return Err((13, i)),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        out.push(ReceivedEvent {
            raw: event,
            time: v.get("time").and_then(|t| {
                t.as_f64()
                    .or_else(|| t.as_str().and_then(|s| s.parse().ok()))
            }),
            host: text("host"),
            source: text("source"),
            sourcetype: text("sourcetype"),
            index: text("index"),
        });
    }
    Ok(out)
}

fn ack(req: &Request, w: &mut TcpStream, state: &Mutex<State>, o: &SinkOptions) -> bool {
    if !o.ack {
        return reply(w, 400, 14);
    }
    let Some(channel) = channel_of(req) else {
        return reply(w, 400, 10);
    };
    let ids: Vec<u64> = serde_json::from_slice::<serde_json::Value>(&req.body)
        .ok()
        .and_then(|v| {
            v.get("acks")
                .and_then(|a| a.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
        })
        .unwrap_or_default();
    let now = Instant::now();
    let mut answers = Vec::new();
    if let Ok(mut s) = state.lock() {
        let ch = s.channels.entry(channel).or_default();
        for id in ids {
            let done = ch.pending.get(&id).is_some_and(|ready| *ready <= now);
            if done {
                ch.pending.remove(&id);
            }
            answers.push(format!("\"{id}\":{done}"));
        }
    }
    respond(w, 200, &format!("{{\"acks\":{{{}}}}}", answers.join(","))).is_ok()
}

/// An `application/x-www-form-urlencoded` body.
fn form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (crate::http::url_decode(k), crate::http::url_decode(v))
        })
        .collect()
}

/// The management-port stand-in: index creation and oneshot searches. Accepts a
/// `Bearer <token>` or `Splunk <token>` with the sink's token, or any Basic login.
fn rest(
    req: &Request,
    w: &mut TcpStream,
    state: &Mutex<State>,
    o: &SinkOptions,
    h: Option<SearchHandler>,
) -> bool {
    let authed = match req.header("Authorization") {
        Some(a) => {
            a.starts_with("Basic ")
                || a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("Splunk "))
                    == Some(o.token.as_str())
        }
        None => false,
    };
    if !authed {
        return respond(
            w,
            401,
            "{\"messages\":[{\"type\":\"WARN\",\"text\":\"call not properly authenticated\"}]}",
        )
        .is_ok();
    }
    if req.path.starts_with("/services/data/indexes") {
        return respond(w, 201, "{\"entry\":[]}").is_ok();
    }
    let Some(h) = h else {
        return respond(w, 404, "{\"messages\":[{\"type\":\"ERROR\",\"text\":\"search is not available on this sink\"}]}").is_ok();
    };
    let params = form(&req.body);
    let search = params
        .iter()
        .find(|(k, _)| k == "search")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let events = state.lock().map(|s| s.events.clone()).unwrap_or_default();
    match h(&search, &events) {
        Ok(rows) => {
            let body = serde_json::json!({ "results": rows }).to_string();
            respond(w, 200, &body).is_ok()
        }
        Err(e) => {
            let body =
                serde_json::json!({ "messages": [{ "type": "FATAL", "text": e }] }).to_string();
            respond(w, 400, &body).is_ok()
        }
    }
}
