//! Replay into Splunk's HTTP Event Collector (HEC): a client that batches, compresses,
//! retries and waits for indexer acknowledgment without losing or double-counting an
//! event, and a HEC-compatible sink (for tests, and for users' dry runs) that can
//! inject the faults a real indexer tier produces.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
mod http;
pub mod sink;

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
