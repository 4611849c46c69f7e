//! Replay into Splunk's HTTP Event Collector (HEC): a client that batches, compresses,
//! retries and waits for indexer acknowledgment without losing or double-counting an
//! event, and a HEC-compatible sink (for tests, and for users' dry runs) that can
//! inject the faults a real indexer tier produces.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
mod http;
pub mod sink;
pub mod tls;

pub use client::{replay, Endpoint, HecError, Outgoing, Progress, ReplayOptions, ReplaySummary};
pub use sink::{ReceivedEvent, SearchHandler, Sink, SinkOptions, SinkStats};

/// Percent-encodes a URL query or form component (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &["token", "access_token", "password", "passwd", "key", "auth"];

/// `url` with its credentials replaced by `***`: a `user:password@` part and the
/// values of query parameters that carry secrets (`token=`, `password=`…).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let path = match path.split_once('?') {
        Some((p, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()) => {
                        format!("{k}=***")
                    }
                    _ => kv.to_string(),
                })
                .collect();
            format!("{p}?{}", query.join("&"))
        }
        None => path.to_string(),
    };
    format!("{scheme}{authority}{path}")
}

/// An error when `url` carries credentials, which would be printed and logged with
/// it: they belong in the environment or a file.
pub fn refuse_credentials(flag: &str, url: &str) -> Result<(), String> {
    let redacted = redact_url(url);
    if redacted == url {
        return Ok(());
    }
    Err(format!(
        "{flag} {redacted}: the URL carries credentials; give them in the environment or a file (see --help), never in a URL, where logs keep them"
    ))
}

/// HEC status codes and their documented texts.
pub fn code_text(code: i64) -> &'static str {
    match code {
        0 => "Success",
        1 => "Token disabled",
        2 => "Token is required",
        3 => "Invalid authorization",
        4 => "Invalid token",
        5 => "No data",
        6 => "Invalid data format",
        7 => "Incorrect index",
        8 => "Internal server error",
        9 => "Server is busy",
        10 => "Data channel is missing",
        11 => "Invalid data channel",
        12 => "Event field is required",
        13 => "Event field cannot be blank",
        14 => "ACK is disabled",
        15 => "Error in handling indexed fields",
        16 => "Query string authorization is not enabled",
        17 => "HEC is healthy",
        18 => "HEC is unhealthy, queues are full",
        19 => "HEC is unhealthy, ack service unavailable",
        20 => "HEC is unhealthy, queues are full, ack service unavailable",
        _ => "Unknown HEC code",
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_url, refuse_credentials};

    #[test]
    fn credentials_never_appear() {
        assert_eq!(
            redact_url("https://admin:s3cret@splunk:8088/services?a=1&token=abc"),
            "https://***@splunk:8088/services?a=1&token=***"
        );
        assert_eq!(redact_url("https://splunk:8088"), "https://splunk:8088");
        let e = refuse_credentials("--hec", "http://x:TOPSECRET@h:8088").unwrap_err();
        assert!(!e.contains("TOPSECRET") && e.contains("***@h:8088"), "{e}");
        assert!(refuse_credentials("--hec", "https://h:8088/x?channel=1").is_ok());
    }
}
