//! JSON events (`_json`, aws:cloudtrail, o365, azure, okta, NXLog…): JSON lines,
//! concatenated or pretty-printed objects, or one array of objects. Fields are
//! flattened as Splunk's `KV_MODE=json` names them (`a.b{}.c`).

use crate::{Skipped, SourceMeta};
use chrono::{DateTime, NaiveDateTime};
use firedrill_value::json::flatten;
use firedrill_value::{Event, Value};
use serde_json::Value as Json;

/// True if the data starts like JSON.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let first = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
    matches!(first, Some(b'{') | Some(b'['))
}

/// Fields that hold an event's time, by the sources that use them.
const TIME_FIELDS: &[&str] = &[
    "eventTime",
    "CreationTime",
    "published",
    "@timestamp",
    "timestamp",
    "time",
    "EventTime",
    "createdDateTime",
    "activityDateTime",
    "_time",
    "date",
];

/// Parses a time value: ISO 8601 (with or without zone), or epoch seconds/milliseconds.
pub fn parse_time(v: &Value) -> Option<f64> {
    if let Some(n) = v.as_num() {
        return Some(if n > 1e12 { n / 1000.0 } else { n });
    }
    let s = v.to_string();
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros() as f64 / 1e6);
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_micros() as f64 / 1e6);
        }
    }
    None
}

fn event_from(json: &Json, raw: &str, meta: &SourceMeta) -> Event {
    let flat = flatten(json);
    let time = TIME_FIELDS
        .iter()
        .find_map(|f| flat.get(*f).and_then(|v| v.first()).and_then(parse_time))
        .unwrap_or(0.0);
    let host = meta
        .host
        .clone()
        .or_else(|| {
            ["Hostname", "host", "Computer"]
                .iter()
                .find_map(|f| flat.get(*f).and_then(|v| v.first()).map(|v| v.to_string()))
        })
        .unwrap_or_default();
    let mut e = Event::new(
        raw.to_string(),
        time,
        &host,
        meta.source.as_deref().unwrap_or(""),
        meta.sourcetype.as_deref().unwrap_or("_json"),
    );
    for (k, vals) in flat {
        if matches!(
            k.as_str(),
            "_raw" | "_time" | "host" | "source" | "sourcetype"
        ) {
            continue;
        }
        e.fields.insert(k, Value::multi(vals));
    }
    // NXLog-style Windows events carry EventID/Hostname; the add-on rules read
    // EventCode/Computer.
    for (from, to) in [("EventID", "EventCode"), ("Hostname", "Computer")] {
        if !e.fields.contains_key(to) {
            if let Some(v) = e.fields.get(from).cloned() {
                e.fields.insert(to.to_string(), v);
            }
        }
    }
    e
}

/// Reads every JSON event; text that is not JSON is skipped up to the next line and
/// reported with its byte offset.
pub fn read(bytes: &[u8], meta: &SourceMeta) -> (Vec<Event>, Vec<Skipped>) {
    let mut events = Vec::new();
    let mut skipped = Vec::new();
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes.get(start) == Some(&b'[') {
        if let Ok(Json::Array(items)) = serde_json::from_slice::<Json>(bytes) {
            for item in &items {
                events.push(event_from(item, &item.to_string(), meta));
            }
            return (events, skipped);
        }
    }
    let mut pos = 0;
    while pos < bytes.len() {
        let slice = &bytes[pos..];
        let mut stream = serde_json::Deserializer::from_slice(slice).into_iter::<Json>();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let end = stream.byte_offset();
                let raw = String::from_utf8_lossy(&slice[..end]);
                events.push(event_from(&v, raw.trim(), meta));
                pos += end;
            }
            Some(Err(e)) => {
                let skip_from = slice
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .unwrap_or(0);
                let nl = slice[skip_from..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|i| skip_from + i + 1)
                    .unwrap_or(slice.len());
                skipped.push(Skipped {
                    offset: (pos + skip_from) as u64,
                    len: (nl - skip_from) as u64,
                    reason: format!("not JSON: {e}"),
                });
                pos += nl;
            }
        }
    }
    (events, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_arrays_and_junk() {
        let text = b"{\"eventTime\":\"2020-01-01T00:00:01Z\",\"userIdentity\":{\"arn\":\"a\"},\"r\":[{\"id\":1},{\"id\":2}]}\nnot json here\n{\"b\": 2,\n \"time\": 1600000000}\n";
        let (evs, skipped) = read(text, &SourceMeta::default());
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].get("userIdentity.arn"), &Value::str("a"));
        assert_eq!(evs[0].get("r{}.id").values().len(), 2);
        assert_eq!(evs[0].time(), 1_577_836_801.0);
        assert_eq!(evs[1].time(), 1_600_000_000.0);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].offset > 0);
        let (evs, _) = read(b"[{\"a\":1},{\"a\":2}]", &SourceMeta::default());
        assert_eq!(evs.len(), 2);
    }

    #[test]
    fn nxlog_windows_fields_feed_the_addon_rules() {
        let (evs, _) = read(
            b"{\"EventID\":4688,\"Hostname\":\"h1\",\"Channel\":\"Security\"}",
            &SourceMeta::default(),
        );
        assert_eq!(evs[0].get("EventCode"), &Value::str("4688"));
        assert_eq!(evs[0].get("Computer"), &Value::str("h1"));
    }
}
