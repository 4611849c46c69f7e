//! A tiny HTTP/1.1 server on 127.0.0.1 for tests: serves files at attack_data's
//! upstream URL paths, counts requests, and can be told to answer 404 or to cut a body
//! short (Content-Length larger than what it sends, then close).

#![allow(dead_code)]

pub mod mmdb;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// How the server answers one path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with these bytes.
    Body(Vec<u8>),
    /// 404.
    NotFound,
    /// 200 announcing the full length but sending only the first `sent` bytes.
    Truncated(Vec<u8>, usize),
    /// 200 announcing this many bytes, then closing.
    Announce(u64),
}

/// A running test server; it stops when the test process ends.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Server {
    /// Starts a server with no routes (every path is 404).
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h) = (r.clone(), h.clone());
                thread::spawn(move || serve(stream, &r, &h));
            }
        });
        Server { url, routes, hits }
    }

    /// Sets the reply for `path` (e.g. `/datasets/x/y.log`).
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    /// How many requests `path` received.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    hits: &Mutex<HashMap<String, usize>>,
) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut stream = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" || line == "\n" {
                break;
            }
        }
        let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
        *hits.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
        let reply = routes
            .lock()
            .unwrap()
            .get(&path)
            .cloned()
            .unwrap_or(Reply::NotFound);
        let ok = match reply {
            Reply::Body(b) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n", b.len());
                stream
                    .write_all(head.as_bytes())
                    .and_then(|_| stream.write_all(&b))
                    .is_ok()
            }
            Reply::NotFound => {
                let body = b"404: Not Found";
                let head = format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                stream
                    .write_all(head.as_bytes())
                    .and_then(|_| stream.write_all(body))
                    .is_ok()
            }
            Reply::Truncated(b, sent) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&b[..sent.min(b.len())]);
                let _ = stream.flush();
                return;
            }
            Reply::Announce(n) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n");
                let _ = stream.write_all(head.as_bytes());
                return;
            }
        };
        if !ok {
            return;
        }
    }
}

/// The example detection with its `search:` (a multi-line scalar) replaced by `with`
/// (empty: no `search` key at all).
pub fn replace_search(text: &str, with: &str) -> String {
    let mut out = Vec::new();
    let mut in_search = false;
    for line in text.lines() {
        if line.starts_with("search:") {
            in_search = true;
            if !with.is_empty() {
                out.push(with.to_string());
            }
            continue;
        }
        if in_search && line.starts_with("  ") {
            continue;
        }
        in_search = false;
        out.push(line.to_string());
    }
    out.join("\n") + "\n"
}

/// A work dir with the v5 example detection and its macros, and an empty cache.
pub fn workdir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(content.join("detections")).unwrap();
    std::fs::create_dir_all(content.join("macros")).unwrap();
    for m in std::fs::read_dir("examples/macros").unwrap() {
        let m = m.unwrap().path();
        std::fs::copy(&m, content.join("macros").join(m.file_name().unwrap())).unwrap();
    }
    let det = content.join("detections/example_comsvcs_minidump.yml");
    std::fs::copy(
        "examples/detections/endpoint/example_comsvcs_minidump.yml",
        &det,
    )
    .unwrap();
    (dir, det)
}
