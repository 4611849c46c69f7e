//! JSON events (`_json`, aws:cloudtrail, o365, azure, okta, NXLog…): JSON lines,
//! concatenated or pretty-printed objects, or one array of objects. Fields are
//! flattened as Splunk's `KV_MODE=json` names them (`a.b{}.c`).
//!
//! [`JsonSplit`] finds the values in a stream sequentially (serde_json validates each
//! without building it); the stream then builds the events in parallel.

use crate::out::{is_meta, meta_refs, set_meta, Out};
use crate::stream::Unit;
use crate::xmlwin::MAX_EVENT_BYTES;
use crate::{Skipped, SourceMeta};
use chrono::{DateTime, NaiveDateTime};
use firedrill_value::json::flatten;
use firedrill_value::Value;
use serde::de::IgnoredAny;
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

/// `kind` of an element of a top-level array (its `_raw` is the element re-serialised).
const ITEM: u8 = 1;

/// One JSON value as an event.
pub(crate) fn json_event<O: Out>(
    bytes: &[u8],
    kind: u8,
    meta: &SourceMeta,
    out: &mut O,
) -> Result<(), String> {
    let json: Json = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let flat = flatten(&json);
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
    set_meta(
        out,
        time,
        host,
        meta.source.clone().unwrap_or_default(),
        meta.sourcetype
            .clone()
            .unwrap_or_else(|| crate::Format::Json.default_sourcetype().into()),
    );
    out.set_ref(&meta_refs().raw, || {
        Value::Str(if kind == ITEM {
            json.to_string()
        } else {
            String::from_utf8_lossy(bytes).trim().to_string()
        })
    });
    // NXLog-style Windows events carry EventID/Hostname; the add-on rules read
    // EventCode/Computer.
    for (from, to) in [("EventID", "EventCode"), ("Hostname", "Computer")] {
        if !flat.contains_key(to) {
            if let (Some(vals), Some(k)) = (flat.get(from), out.key(to)) {
                out.set(k, to, Value::multi(vals.clone()));
            }
        }
    }
    for (k, vals) in flat {
        if is_meta(&k) {
            continue;
        }
        if let Some(key) = out.key(&k) {
            out.set(key, &k, Value::multi(vals));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Nothing read yet: an array here is an array of events.
    Start,
    /// In the top-level array, before an element.
    Item,
    /// In the top-level array, after an element.
    After,
    /// Values one after another.
    Values,
}

/// What one value at the start of a slice is.
enum One {
    Value(usize),
    Incomplete,
    Error(String),
}

fn one(slice: &[u8], eof: bool) -> One {
    let mut it = serde_json::Deserializer::from_slice(slice).into_iter::<IgnoredAny>();
    match it.next() {
        None => One::Incomplete,
        Some(Ok(_)) => {
            let end = it.byte_offset();
            // A number at the very end may go on in the next piece.
            if !eof && end == slice.len() && matches!(slice[0], b'-' | b'0'..=b'9') {
                One::Incomplete
            } else {
                One::Value(end)
            }
        }
        Some(Err(e)) if e.is_eof() && !eof => One::Incomplete,
        Some(Err(e)) => One::Error(e.to_string()),
    }
}

/// Finds JSON values in a stream: JSON lines, concatenated or pretty-printed values,
/// or the elements of an array that starts the input. Text that is not JSON is
/// skipped to the end of its line and reported.
pub(crate) struct JsonSplit {
    pos: u64,
    mode: Mode,
    /// An incomplete value at `pos` is tried again once the input reaches here (so
    /// a large value is not re-validated for every piece).
    retry_at: u64,
}

impl JsonSplit {
    pub(crate) fn new(base: u64) -> JsonSplit {
        JsonSplit {
            pos: base,
            mode: Mode::Start,
            retry_at: 0,
        }
    }

    pub(crate) fn needed_from(&self) -> u64 {
        self.pos
    }

    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        base: u64,
        eof: bool,
        units: &mut Vec<Unit>,
        skipped: &mut Vec<Skipped>,
    ) {
        let len = base + buf.len() as u64;
        if !eof && len < self.retry_at {
            return;
        }
        loop {
            let p = (self.pos - base) as usize;
            let q = p + buf[p..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(buf.len() - p);
            self.pos = base + q as u64;
            if q == buf.len() {
                return;
            }
            let at = self.pos;
            let wait = |s: &mut JsonSplit| {
                s.retry_at = len + (len - at).max(1 << 16);
            };
            match self.mode {
                Mode::Start => {
                    if buf[q] == b'[' {
                        self.pos += 1;
                        self.mode = Mode::Item;
                    } else {
                        self.mode = Mode::Values;
                    }
                }
                Mode::After => match buf[q] {
                    b',' => {
                        self.pos += 1;
                        self.mode = Mode::Item;
                    }
                    b']' => {
                        self.pos += 1;
                        self.mode = Mode::Values;
                    }
                    _ => {
                        if !self.junk(
                            buf,
                            base,
                            q,
                            eof,
                            "expected `,` or `]` in the array",
                            skipped,
                        ) {
                            return wait(self);
                        }
                    }
                },
                Mode::Item | Mode::Values => {
                    let item = self.mode == Mode::Item;
                    if item && buf[q] == b']' {
                        self.pos += 1;
                        self.mode = Mode::Values;
                        continue;
                    }
                    match one(&buf[q..], eof) {
                        One::Value(n) => {
                            units.push(Unit {
                                start: at,
                                end: at + n as u64,
                                kind: if item { ITEM } else { 0 },
                            });
                            self.pos = at + n as u64;
                            if item {
                                self.mode = Mode::After;
                            }
                        }
                        One::Incomplete => {
                            if len - at > MAX_EVENT_BYTES {
                                let msg = format!("a value longer than {MAX_EVENT_BYTES} bytes");
                                if !self.junk(buf, base, q, eof, &msg, skipped) {
                                    return wait(self);
                                }
                            } else {
                                return wait(self);
                            }
                        }
                        One::Error(msg) => {
                            if !self.junk(buf, base, q, eof, &msg, skipped) {
                                return wait(self);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Skips from `q` to the end of its line, reporting it; false when the line's end
    /// is not in `buf` yet.
    fn junk(
        &mut self,
        buf: &[u8],
        base: u64,
        q: usize,
        eof: bool,
        msg: &str,
        skipped: &mut Vec<Skipped>,
    ) -> bool {
        let end = match memchr::memchr(b'\n', &buf[q..]) {
            Some(i) => q + i + 1,
            None if eof => buf.len(),
            None => return false,
        };
        skipped.push(Skipped {
            offset: base + q as u64,
            len: (end - q) as u64,
            reason: format!("not JSON: {msg}"),
        });
        self.pos = base + end as u64;
        self.mode = Mode::Values;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::out::RowOut;
    use firedrill_value::Row;

    fn read(text: &[u8]) -> (Vec<Row>, Vec<Skipped>) {
        let (mut units, mut skipped) = (Vec::new(), Vec::new());
        JsonSplit::new(0).scan(text, 0, true, &mut units, &mut skipped);
        let rows = units
            .iter()
            .map(|u| {
                let mut o = RowOut::default();
                json_event(
                    &text[u.start as usize..u.end as usize],
                    u.kind,
                    &SourceMeta::default(),
                    &mut o,
                )
                .unwrap();
                o.row
            })
            .collect();
        (rows, skipped)
    }

    fn get<'a>(r: &'a Row, k: &str) -> &'a Value {
        r.get(k).unwrap_or(&Value::Null)
    }

    #[test]
    fn lines_arrays_and_junk() {
        let text = b"{\"eventTime\":\"2020-01-01T00:00:01Z\",\"userIdentity\":{\"arn\":\"a\"},\"r\":[{\"id\":1},{\"id\":2}]}\nnot json here\n{\"b\": 2,\n \"time\": 1600000000}\n";
        let (evs, skipped) = read(text);
        assert_eq!(evs.len(), 2);
        assert_eq!(get(&evs[0], "userIdentity.arn"), &Value::str("a"));
        assert_eq!(get(&evs[0], "r{}.id").values().len(), 2);
        assert_eq!(get(&evs[0], "_time"), &Value::Num(1_577_836_801.0));
        assert_eq!(get(&evs[1], "_time"), &Value::Num(1_600_000_000.0));
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].offset > 0);
        let (evs, _) = read(b"[{\"a\":1},{\"a\":2}]");
        assert_eq!(evs.len(), 2);
        assert_eq!(get(&evs[1], "_raw"), &Value::str("{\"a\":2}"));
        let (evs, skipped) = read(b" [\n {\"a\":1},\n {\"a\":2\n ]\n{\"c\":3}");
        assert_eq!(evs.len(), 2, "{skipped:?}");
        assert_eq!(
            skipped.len(),
            2,
            "the broken element's line, then the stray `]`"
        );
    }

    #[test]
    fn pieces_give_the_same_values() {
        let text = b"{\"a\": 1}\n{\"b\": [1,\n 2]}\n12345\nnope\n\"s\" {\"c\":{\"d\":\"}\"}}";
        let (mut whole, mut whole_s) = (Vec::new(), Vec::new());
        JsonSplit::new(0).scan(text, 0, true, &mut whole, &mut whole_s);
        assert_eq!(whole.len(), 5, "{whole_s:?}");
        for step in [1, 2, 3, 7] {
            let mut sp = JsonSplit::new(0);
            let (mut units, mut skipped) = (Vec::new(), Vec::new());
            let mut n = 0;
            while n < text.len() {
                n = (n + step).min(text.len());
                sp.retry_at = 0;
                sp.scan(&text[..n], 0, n == text.len(), &mut units, &mut skipped);
            }
            assert_eq!(units, whole, "step {step}");
            assert_eq!(skipped, whole_s, "step {step}");
        }
    }

    #[test]
    fn nxlog_windows_fields_feed_the_addon_rules() {
        let (evs, _) = read(b"{\"EventID\":4688,\"Hostname\":\"h1\",\"Channel\":\"Security\"}");
        assert_eq!(get(&evs[0], "EventCode"), &Value::str("4688"));
        assert_eq!(get(&evs[0], "Computer"), &Value::str("h1"));
    }
}
