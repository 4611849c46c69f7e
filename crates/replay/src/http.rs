//! The minimal HTTP/1.1 the sink needs: read a request (Content-Length body), write a
//! response. Keep-alive is supported; chunked request bodies are not (HEC clients send
//! Content-Length).

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

/// One parsed request.
pub struct Request {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body announced is over [`MAX_BODY`]: it was not read (answer 413 and
    /// close the connection).
    pub too_large: bool,
}

/// The largest request body taken, compressed or not: Splunk's own default
/// (`max_content_length` in limits.conf, 800 MiB).
pub const MAX_BODY: usize = 800 << 20;

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes `%XX` and `+` in a URL or form component.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The longest request or header line read (Splunk's own limit is of this order).
pub const MAX_LINE: u64 = 64 << 10;

/// The most header lines read.
pub const MAX_HEADERS: usize = 200;

/// One line of at most [`MAX_LINE`] bytes; `None` at the end, or for a longer line.
fn line_of<R: BufRead>(r: &mut R) -> Option<String> {
    let mut line = String::new();
    let n = r.by_ref().take(MAX_LINE).read_line(&mut line).ok()?;
    (n > 0 && (line.ends_with('\n') || (n as u64) < MAX_LINE)).then_some(line)
}

/// Reads one request; `None` when the peer closed the connection or sent a line or
/// headers past the limits.
pub fn read_request<R: BufRead>(r: &mut R) -> Option<Request> {
    let line = line_of(r)?;
    let mut parts = line.split_whitespace();
    let _method = parts.next()?;
    let target = parts.next()?.to_string();
    let (path, qs) = target.split_once('?').unwrap_or((&target, ""));
    let query = qs
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (url_decode(k), url_decode(v))
        })
        .collect();
    let mut headers = Vec::new();
    loop {
        if headers.len() > MAX_HEADERS {
            return None;
        }
        let h = line_of(r)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let too_large = len > MAX_BODY;
    // Read as it arrives: a large Content-Length on a short request allocates nothing.
    let mut body = Vec::new();
    if !too_large {
        r.by_ref().take(len as u64).read_to_end(&mut body).ok()?;
        if body.len() < len {
            return None;
        }
    }
    Some(Request {
        path: path.to_string(),
        query,
        headers,
        body,
        too_large,
    })
}

/// Writes a JSON response.
pub fn respond(w: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // One write: a head and a body in two small writes meet Nagle's algorithm and the
    // peer's delayed ACK, costing ~40 ms a response.
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    w.write_all(&out)?;
    w.flush()
}
