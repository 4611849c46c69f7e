//! Line-based text: classic multi-line `WinEventLog` events, and any other text one
//! event per line with `key=value` pairs extracted as Splunk's automatic key-value
//! extraction does (this covers `linux:audit` records).

use crate::{Skipped, SourceMeta};
use chrono::NaiveDateTime;
use firedrill_value::{Event, Value};
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn kv_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?:^|[\s,;])([A-Za-z_][\w.:-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;"]*)"#)
            .expect("a constant, valid regular expression")
    })
}

/// Adds `key=value` fields found in `text` (quotes removed; repeats make multivalues).
pub fn auto_kv(e: &mut Event, text: &str) {
    let mut found: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for c in kv_regex().captures_iter(text) {
        let (Some(k), Some(v)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let v = v.as_str();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        if !v.is_empty() {
            found
                .entry(k.as_str().to_string())
                .or_default()
                .push(Value::str(v));
        }
    }
    for (k, vs) in found {
        e.fields.entry(k).or_insert_with(|| Value::multi(vs));
    }
}

/// `msg=audit(1602345678.123:456)` → epoch seconds.
fn audit_time(text: &str) -> Option<f64> {
    let i = text.find("audit(")?;
    let rest = &text[i + 6..];
    rest[..rest.find(':')?].parse().ok()
}

/// One event per non-empty line.
pub fn read_lines(bytes: &[u8], meta: &SourceMeta) -> Vec<Event> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut e = Event::new(
                line.to_string(),
                audit_time(line).unwrap_or(0.0),
                meta.host.as_deref().unwrap_or(""),
                meta.source.as_deref().unwrap_or(""),
                meta.sourcetype.as_deref().unwrap_or(""),
            );
            auto_kv(&mut e, line);
            e
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct Label {
    to: String,
    #[serde(default)]
    second: Option<String>,
}

#[derive(Deserialize, Default)]
struct Classic {
    header: BTreeMap<String, String>,
    labels: BTreeMap<String, Label>,
}

fn classic() -> &'static Classic {
    static C: OnceLock<Classic> = OnceLock::new();
    C.get_or_init(|| {
        serde_yaml_ng::from_str(include_str!("../data/wineventlog_classic.yml")).unwrap_or_default()
    })
}

fn header_time(line: &str) -> Option<f64> {
    NaiveDateTime::parse_from_str(line.trim(), "%m/%d/%Y %I:%M:%S %p")
        .ok()
        .map(|t| t.and_utc().timestamp() as f64)
}

/// True if the text looks like classic WinEventLog (a date line, then `LogName=`).
pub fn looks_classic(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    let mut lines = head.lines().filter(|l| !l.trim().is_empty());
    lines.next().and_then(header_time).is_some() && head.contains("LogName=")
}

/// Classic multi-line WinEventLog events, each starting at a date line.
pub fn read_classic(bytes: &[u8], meta: &SourceMeta) -> (Vec<Event>, Vec<Skipped>) {
    let text = String::from_utf8_lossy(bytes);
    let mut starts: Vec<(usize, f64)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(t) = header_time(line) {
            starts.push((offset, t));
        }
        offset += line.len();
    }
    let mut skipped = Vec::new();
    if let Some(&(first, _)) = starts.first() {
        if !text[..first].trim().is_empty() {
            skipped.push(Skipped {
                offset: 0,
                len: first as u64,
                reason: "text before the first event".into(),
            });
        }
    }
    let mut events = Vec::new();
    for (i, &(start, time)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map(|s| s.0).unwrap_or(text.len());
        let raw = text[start..end].trim_end();
        events.push(classic_event(raw, time, meta));
    }
    (events, skipped)
}

fn classic_event(raw: &str, time: f64, meta: &SourceMeta) -> Event {
    let c = classic();
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_message = false;
    for line in raw.lines().skip(1) {
        if !in_message {
            if let Some((k, v)) = line.split_once('=') {
                let k = k.trim();
                if k == "Message" {
                    in_message = true;
                    fields
                        .entry("Message".into())
                        .or_default()
                        .push(v.trim().to_string());
                    continue;
                }
                fields
                    .entry(k.to_string())
                    .or_default()
                    .push(v.trim().to_string());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            let v = v.trim();
            let k = k.trim().replace(' ', "_");
            if !v.is_empty()
                && !k.is_empty()
                && k.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
            {
                fields.entry(k).or_default().push(v.to_string());
            }
        }
    }
    let get = |k: &str| fields.get(k).and_then(|v| v.first()).cloned();
    let channel = get("LogName").unwrap_or_default();
    let host = meta
        .host
        .clone()
        .or_else(|| get("ComputerName"))
        .unwrap_or_default();
    let source = meta
        .source
        .clone()
        .unwrap_or_else(|| format!("WinEventLog:{channel}"));
    let sourcetype = meta
        .sourcetype
        .clone()
        .unwrap_or_else(|| "WinEventLog".into());
    let mut e = Event::new(raw.to_string(), time, &host, &source, &sourcetype);
    for (k, vs) in &fields {
        e.fields.insert(
            k.clone(),
            Value::multi(vs.iter().map(|v| Value::str(v.as_str())).collect()),
        );
    }
    for (from, to) in &c.header {
        if let Some(v) = get(from) {
            e.fields.insert(to.clone(), Value::Str(v));
        }
    }
    if let Some(code) = get("EventCode") {
        e.fields.insert("EventID".into(), Value::Str(code));
    }
    for (label, m) in &c.labels {
        if let Some(vs) = fields.get(label) {
            if let Some(v) = vs.first() {
                e.fields.insert(m.to.clone(), Value::str(v.as_str()));
            }
            if let (Some(second), Some(v)) = (&m.second, vs.get(1)) {
                e.fields.insert(second.clone(), Value::str(v.as_str()));
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIC: &str = "08/10/2023 02:13:45 PM\nLogName=Security\nEventCode=4688\nComputerName=ws1.corp.example\nRecordNumber=42\nMessage=A new process has been created.\n\nCreator Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tWS1$\n\nTarget Subject:\n\tAccount Name:\t\tbob\n\nProcess Information:\n\tNew Process ID:\t\t0x1a2c\n\tNew Process Name:\tC:\\Windows\\System32\\rundll32.exe\n\tCreator Process Name:\tC:\\Windows\\explorer.exe\n\tProcess Command Line:\trundll32.exe comsvcs.dll MiniDump 1 x full\n08/10/2023 02:13:46 PM\nLogName=Security\nEventCode=4624\nComputerName=ws1.corp.example\nMessage=An account was successfully logged on.\n";

    #[test]
    fn classic_events_and_labels() {
        assert!(looks_classic(CLASSIC.as_bytes()));
        let (evs, skipped) = read_classic(CLASSIC.as_bytes(), &SourceMeta::default());
        assert!(skipped.is_empty());
        assert_eq!(evs.len(), 2);
        let e = &evs[0];
        assert_eq!(e.get("Channel"), &Value::str("Security"));
        assert_eq!(e.get("EventCode"), &Value::str("4688"));
        assert_eq!(
            e.get("NewProcessName"),
            &Value::str("C:\\Windows\\System32\\rundll32.exe")
        );
        assert_eq!(
            e.get("CommandLine"),
            &Value::str("rundll32.exe comsvcs.dll MiniDump 1 x full")
        );
        assert_eq!(e.get("SubjectUserName"), &Value::str("WS1$"));
        assert_eq!(e.get("TargetUserName"), &Value::str("bob"));
        assert_eq!(e.get("source"), &Value::str("WinEventLog:Security"));
        assert_eq!(e.time(), 1_691_676_825.0);
    }

    #[test]
    fn audit_lines_get_key_values_and_time() {
        let line =
            "type=EXECVE msg=audit(1602345678.123:456): argc=3 a0=\"bash\" a1=-c exe='/bin/x'";
        let evs = read_lines(line.as_bytes(), &SourceMeta::default());
        let e = &evs[0];
        assert_eq!(e.get("type"), &Value::str("EXECVE"));
        assert_eq!(e.get("a0"), &Value::str("bash"));
        assert_eq!(e.get("exe"), &Value::str("/bin/x"));
        assert_eq!(e.time(), 1_602_345_678.123);
    }
}
