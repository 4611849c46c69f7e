//! Line-based text: classic multi-line `WinEventLog` events, and any other text one
//! event per line with `key=value` pairs extracted as Splunk's automatic key-value
//! extraction does (this covers `linux:audit` records).

use crate::out::{is_meta, meta_refs, set_meta, Out};
use crate::stream::Unit;
use crate::table;
use crate::xmlwin::MAX_EVENT_BYTES;
use crate::{Skipped, SourceMeta};
use chrono::NaiveDateTime;
use firedrill_value::Value;
use memchr::memchr;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Adds the `key=value` fields found in `text` that the output keeps (quotes
/// removed; repeats make multivalues; metadata names are not data).
fn auto_kv<O: Out>(out: &mut O, text: &str) {
    let mut found: BTreeMap<&str, (O::Key, Vec<Value>)> = BTreeMap::new();
    for (k, v) in firedrill_value::kv::pairs(text) {
        if is_meta(k) {
            continue;
        }
        if let Some(slot) = found.get_mut(k) {
            slot.1.push(Value::str(v));
        } else if let Some(key) = out.key(k) {
            found.insert(k, (key, vec![Value::str(v)]));
        }
    }
    for (k, (key, vs)) in found {
        out.set(key, k, Value::multi(vs));
    }
}

/// `msg=audit(1602345678.123:456)` → epoch seconds.
fn audit_time(text: &str) -> Option<f64> {
    let i = text.find("audit(")?;
    let rest = &text[i + 6..];
    rest[..rest.find(':')?].parse().ok()
}

/// True if the text is not all whitespace.
fn nonblank(b: &[u8]) -> bool {
    for &c in b {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c.is_ascii() {
            return true;
        }
        return !String::from_utf8_lossy(b).trim().is_empty();
    }
    false
}

/// Splits text into lines (`\n`, or `\r\n`), each a unit; blank lines are not events.
/// A line longer than [`MAX_EVENT_BYTES`] is reported skipped.
pub(crate) struct LineSplit {
    /// Where the current line starts.
    start: u64,
    /// Searched for `\n` up to here.
    scan: u64,
    /// The current line is too long and is being skipped.
    long: bool,
}

/// `kind` of a line that ended with `\n` (its `\r` is not part of the event).
const ENDED: u8 = 1;

impl LineSplit {
    pub(crate) fn new(base: u64) -> LineSplit {
        LineSplit {
            start: base,
            scan: base,
            long: false,
        }
    }

    pub(crate) fn needed_from(&self) -> u64 {
        if self.long {
            self.scan
        } else {
            self.start
        }
    }

    fn line(
        &mut self,
        buf: &[u8],
        base: u64,
        end: u64,
        kind: u8,
        units: &mut Vec<Unit>,
        skipped: &mut Vec<Skipped>,
    ) {
        if self.long {
            skipped.push(Skipped {
                offset: self.start,
                len: end - self.start,
                reason: format!("line longer than {MAX_EVENT_BYTES} bytes"),
            });
            self.long = false;
        } else if nonblank(&buf[(self.start - base) as usize..(end - base) as usize]) {
            units.push(Unit {
                start: self.start,
                end,
                kind,
            });
        }
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
        loop {
            let from = (self.scan - base) as usize;
            match memchr(b'\n', &buf[from..]) {
                Some(i) => {
                    let nl = base + (from + i) as u64;
                    self.line(buf, base, nl, ENDED, units, skipped);
                    self.start = nl + 1;
                    self.scan = nl + 1;
                }
                None => {
                    self.scan = len;
                    if eof {
                        if self.start < len {
                            self.line(buf, base, len, 0, units, skipped);
                            self.start = len;
                        }
                    } else if !self.long && len - self.start > MAX_EVENT_BYTES {
                        self.long = true;
                    }
                    return;
                }
            }
        }
    }
}

/// One line as an event (`kind` says whether it ended with `\n`).
pub(crate) fn line_event<O: Out>(bytes: &[u8], kind: u8, meta: &SourceMeta, out: &mut O, kv: bool) {
    let text = String::from_utf8_lossy(bytes);
    let line: &str = if kind == ENDED {
        text.strip_suffix('\r').unwrap_or(&text)
    } else {
        &text
    };
    set_meta(
        out,
        audit_time(line).unwrap_or(0.0),
        meta.host.clone().unwrap_or_default(),
        meta.source.clone().unwrap_or_default(),
        meta.sourcetype
            .clone()
            .unwrap_or_else(|| crate::Format::Lines.default_sourcetype().into()),
    );
    out.set_ref(&meta_refs().raw, || Value::str(line));
    if kv {
        auto_kv(out, line);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    to: String,
    #[serde(default)]
    second: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Classic {
    header: BTreeMap<String, String>,
    labels: BTreeMap<String, Label>,
}

fn classic() -> &'static Classic {
    static C: OnceLock<Classic> = OnceLock::new();
    C.get_or_init(|| {
        table::expect(table::parse(
            "data/wineventlog_classic.yml",
            include_str!("../data/wineventlog_classic.yml"),
        ))
    })
}

fn header_time(line: &str) -> Option<f64> {
    let t = line.trim();
    // A cheap test first: every line of an event is looked at.
    if t.len() > 40 || !t.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    NaiveDateTime::parse_from_str(t, "%m/%d/%Y %I:%M:%S %p")
        .ok()
        .map(|t| t.and_utc().timestamp() as f64)
}

/// True if the text looks like classic WinEventLog (a date line, then `LogName=`).
pub fn looks_classic(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    let mut lines = head.lines().filter(|l| !l.trim().is_empty());
    lines.next().and_then(header_time).is_some() && head.contains("LogName=")
}

/// Splits classic WinEventLog text into events, each starting at a date line.
pub(crate) struct ClassicSplit {
    /// The next line starts here.
    scan: u64,
    /// The current event starts here.
    cur: Option<u64>,
    /// Before the first event: where the text started and whether it is not blank.
    lead: u64,
    lead_text: bool,
    /// The current event is too long and is being skipped.
    long: bool,
}

impl ClassicSplit {
    pub(crate) fn new(base: u64) -> ClassicSplit {
        ClassicSplit {
            scan: base,
            cur: None,
            lead: base,
            lead_text: false,
            long: false,
        }
    }

    pub(crate) fn needed_from(&self) -> u64 {
        match self.cur {
            Some(c) if !self.long => c,
            _ => self.scan,
        }
    }

    fn close(&mut self, end: u64, units: &mut Vec<Unit>, skipped: &mut Vec<Skipped>) {
        match self.cur {
            Some(c) if self.long => skipped.push(Skipped {
                offset: c,
                len: end - c,
                reason: format!("event longer than {MAX_EVENT_BYTES} bytes"),
            }),
            Some(c) => units.push(Unit {
                start: c,
                end,
                kind: 0,
            }),
            None if self.lead_text => skipped.push(Skipped {
                offset: self.lead,
                len: end - self.lead,
                reason: "text before the first event".into(),
            }),
            None => {}
        }
        self.long = false;
    }

    fn line(&mut self, line: &[u8], at: u64, units: &mut Vec<Unit>, skipped: &mut Vec<Skipped>) {
        if header_time(&String::from_utf8_lossy(line)).is_some() {
            self.close(at, units, skipped);
            self.cur = Some(at);
        } else if self.cur.is_none() && !self.lead_text {
            self.lead_text = nonblank(line);
        }
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
        loop {
            let from = (self.scan - base) as usize;
            match memchr(b'\n', &buf[from..]) {
                Some(i) => {
                    self.line(&buf[from..from + i + 1], self.scan, units, skipped);
                    self.scan += (i + 1) as u64;
                }
                None => {
                    if eof {
                        if from < buf.len() {
                            self.line(&buf[from..], self.scan, units, skipped);
                        }
                        self.scan = len;
                        self.close(len, units, skipped);
                        self.cur = None;
                        self.lead_text = false;
                    } else if let Some(c) = self.cur {
                        if !self.long && len - c > MAX_EVENT_BYTES {
                            self.long = true;
                        }
                    }
                    return;
                }
            }
        }
    }
}

/// One classic event: `key=value` header lines, then the message's `Label: value`
/// lines (spaces made underscores); the add-on's XML names from the table.
pub(crate) fn classic_event<O: Out>(bytes: &[u8], meta: &SourceMeta, out: &mut O) {
    let c = classic();
    let text = String::from_utf8_lossy(bytes);
    let raw = text.trim_end();
    let time = raw.lines().next().and_then(header_time).unwrap_or(0.0);
    let mut fields: BTreeMap<Cow<'_, str>, Vec<&str>> = BTreeMap::new();
    let mut in_message = false;
    for line in raw.lines().skip(1) {
        if !in_message {
            if let Some((k, v)) = line.split_once('=') {
                let k = k.trim();
                if k == "Message" {
                    in_message = true;
                }
                fields.entry(Cow::Borrowed(k)).or_default().push(v.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            let v = v.trim();
            let k = k.trim().replace(' ', "_");
            if !v.is_empty()
                && !k.is_empty()
                && k.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
            {
                fields.entry(Cow::Owned(k)).or_default().push(v);
            }
        }
    }
    let get = |k: &str| fields.get(k).and_then(|v| v.first()).copied();
    let channel = get("LogName").unwrap_or_default();
    let host = meta
        .host
        .clone()
        .or_else(|| get("ComputerName").map(str::to_string))
        .unwrap_or_default();
    let source = meta
        .source
        .clone()
        .unwrap_or_else(|| format!("WinEventLog:{channel}"));
    let sourcetype = meta
        .sourcetype
        .clone()
        .unwrap_or_else(|| crate::Format::WinEventLog.default_sourcetype().into());
    set_meta(out, time, host, source, sourcetype);
    out.set_ref(&meta_refs().raw, || Value::str(raw));
    let mut set = |name: &str, v: &dyn Fn() -> Value| {
        if let Some(k) = out.key(name) {
            out.set(k, name, v());
        }
    };
    // Later lines win, as the add-on's extractions do: header lines, then the
    // table's names, then EventID, then the message labels.
    for (k, vs) in &fields {
        set(k, &|| {
            Value::multi(vs.iter().map(|v| Value::str(*v)).collect())
        });
    }
    for (from, to) in &c.header {
        if let Some(v) = get(from) {
            set(to, &|| Value::str(v));
        }
    }
    if let Some(code) = get("EventCode") {
        set("EventID", &|| Value::str(code));
    }
    for (label, m) in &c.labels {
        if let Some(vs) = fields.get(label.as_str()) {
            if let Some(v) = vs.first() {
                set(&m.to, &|| Value::str(*v));
            }
            if let (Some(second), Some(v)) = (&m.second, vs.get(1)) {
                set(second, &|| Value::str(*v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::out::RowOut;
    use firedrill_value::Row;

    const CLASSIC: &str = "08/10/2023 02:13:45 PM\nLogName=Security\nEventCode=4688\nComputerName=ws1.corp.example\nRecordNumber=42\nMessage=A new process has been created.\n\nCreator Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tWS1$\n\nTarget Subject:\n\tAccount Name:\t\tbob\n\nProcess Information:\n\tNew Process ID:\t\t0x1a2c\n\tNew Process Name:\tC:\\Windows\\System32\\rundll32.exe\n\tCreator Process Name:\tC:\\Windows\\explorer.exe\n\tProcess Command Line:\trundll32.exe comsvcs.dll MiniDump 1 x full\n08/10/2023 02:13:46 PM\nLogName=Security\nEventCode=4624\nComputerName=ws1.corp.example\nMessage=An account was successfully logged on.\n";

    fn split(text: &str, classic: bool) -> (Vec<Row>, Vec<Skipped>) {
        let (mut units, mut skipped) = (Vec::new(), Vec::new());
        if classic {
            ClassicSplit::new(0).scan(text.as_bytes(), 0, true, &mut units, &mut skipped);
        } else {
            LineSplit::new(0).scan(text.as_bytes(), 0, true, &mut units, &mut skipped);
        }
        let rows = units
            .iter()
            .map(|u| {
                let mut o = RowOut::default();
                let b = &text.as_bytes()[u.start as usize..u.end as usize];
                if classic {
                    classic_event(b, &SourceMeta::default(), &mut o);
                } else {
                    line_event(b, u.kind, &SourceMeta::default(), &mut o, true);
                }
                o.row
            })
            .collect();
        (rows, skipped)
    }

    fn get<'a>(r: &'a Row, k: &str) -> &'a Value {
        r.get(k).unwrap_or(&Value::Null)
    }

    #[test]
    fn classic_events_and_labels() {
        assert!(looks_classic(CLASSIC.as_bytes()));
        let (evs, skipped) = split(CLASSIC, true);
        assert!(skipped.is_empty());
        assert_eq!(evs.len(), 2);
        let e = &evs[0];
        assert_eq!(get(e, "Channel"), &Value::str("Security"));
        assert_eq!(get(e, "EventCode"), &Value::str("4688"));
        assert_eq!(
            get(e, "NewProcessName"),
            &Value::str("C:\\Windows\\System32\\rundll32.exe")
        );
        assert_eq!(
            get(e, "CommandLine"),
            &Value::str("rundll32.exe comsvcs.dll MiniDump 1 x full")
        );
        assert_eq!(get(e, "SubjectUserName"), &Value::str("WS1$"));
        assert_eq!(get(e, "TargetUserName"), &Value::str("bob"));
        assert_eq!(get(e, "source"), &Value::str("WinEventLog:Security"));
        assert_eq!(get(e, "_time"), &Value::Num(1_691_676_825.0));
        let (_, skipped) = split(&format!("exported\n{CLASSIC}"), true);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].len, "exported\n".len() as u64);
    }

    #[test]
    fn audit_lines_get_key_values_and_time() {
        let line =
            "type=EXECVE msg=audit(1602345678.123:456): argc=3 a0=\"bash\" a1=-c exe='/bin/x'\r\n\r\n  \nhost=h2 x=1\r";
        let (evs, _) = split(line, false);
        assert_eq!(evs.len(), 2, "blank lines are not events");
        let e = &evs[0];
        assert_eq!(get(e, "type"), &Value::str("EXECVE"));
        assert_eq!(get(e, "a0"), &Value::str("bash"));
        assert_eq!(get(e, "exe"), &Value::str("/bin/x"));
        assert_eq!(get(e, "_time"), &Value::Num(1_602_345_678.123));
        assert!(!get(e, "_raw").to_string().ends_with('\r'));
        assert_eq!(get(&evs[1], "host"), &Value::str(""), "metadata wins");
        assert_eq!(get(&evs[1], "_raw"), &Value::str("host=h2 x=1\r"));
    }
}
