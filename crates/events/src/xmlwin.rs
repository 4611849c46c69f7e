//! Splunk's XmlWinEventLog text: `<Event …>…</Event>` elements one after another,
//! split on the elements (not on lines: real files have CRLF, values with embedded
//! newlines and junk between events). Fields are named as Splunk_TA_windows names them.

use crate::{Skipped, SourceMeta};
use chrono::DateTime;
use firedrill_value::{Event, Value};
use memchr::memmem;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event as X};
use quick_xml::Reader;
use rayon::prelude::*;

/// True if `<Event` at `at` opens an Event element (not `<EventData`, `<EventID`...).
fn opens_event(bytes: &[u8], at: usize) -> bool {
    matches!(
        bytes.get(at + 6),
        Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/')
    )
}

fn find_start(bytes: &[u8], from: usize) -> Option<usize> {
    let finder = memmem::Finder::new(b"<Event");
    let mut pos = from;
    while let Some(i) = finder.find(&bytes[pos..]) {
        let at = pos + i;
        if opens_event(bytes, at) {
            return Some(at);
        }
        pos = at + 6;
    }
    None
}

/// Junk between events is whitespace or XML declarations, or it is reported.
fn junk(bytes: &[u8], from: usize, to: usize, skipped: &mut Vec<Skipped>) {
    let text = String::from_utf8_lossy(&bytes[from..to]);
    let mut rest = text.as_ref();
    while let Some(i) = rest.find("<?xml") {
        let end = rest[i..]
            .find("?>")
            .map(|e| i + e + 2)
            .unwrap_or(rest.len());
        if !rest[..i].trim().is_empty() {
            break;
        }
        rest = &rest[end..];
    }
    // `wevtutil qe /f:xml` and some exports wrap the events in `<Events>…</Events>`.
    let trimmed = rest
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .trim_start_matches("<Events>")
        .trim_end_matches("</Events>")
        .trim();
    if !trimmed.is_empty() {
        let preview: String = trimmed.chars().take(40).collect();
        skipped.push(Skipped {
            offset: from as u64,
            len: (to - from) as u64,
            reason: format!("text between events: {preview:?}"),
        });
    }
}

/// Reads every event in `bytes`.
pub fn read(bytes: &[u8], meta: &SourceMeta) -> (Vec<Event>, Vec<Skipped>) {
    let end_finder = memmem::Finder::new(b"</Event>");
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut skipped = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let start = match find_start(bytes, pos) {
            Some(s) => s,
            None => {
                junk(bytes, pos, bytes.len(), &mut skipped);
                break;
            }
        };
        junk(bytes, pos, start, &mut skipped);
        let next = find_start(bytes, start + 6);
        let end = end_finder.find(&bytes[start..]).map(|i| start + i + 8);
        match (end, next) {
            (Some(e), Some(n)) if n < e => {
                skipped.push(Skipped {
                    offset: start as u64,
                    len: (n - start) as u64,
                    reason: "event without </Event> before the next <Event>".into(),
                });
                pos = n;
            }
            (Some(e), _) => {
                spans.push((start, e));
                pos = e;
            }
            (None, _) => {
                skipped.push(Skipped {
                    offset: start as u64,
                    len: (bytes.len() - start) as u64,
                    reason: "unterminated last event (no </Event>)".into(),
                });
                break;
            }
        }
    }
    // Splitting is a fast scan; parsing each event is the work, done in parallel.
    let parsed: Vec<Result<Event, Skipped>> = spans
        .par_iter()
        .map(|&(start, e)| {
            parse_event(&bytes[start..e], meta).map_err(|msg| Skipped {
                offset: start as u64,
                len: (e - start) as u64,
                reason: format!("malformed event: {msg}"),
            })
        })
        .collect();
    let mut events = Vec::with_capacity(parsed.len());
    for p in parsed {
        match p {
            Ok(ev) => events.push(ev),
            Err(s) => skipped.push(s),
        }
    }
    skipped.sort_by_key(|s| s.offset);
    (events, skipped)
}

/// Appends decoded element text in the form Splunk's add-on extracts it.
///
/// Splunk_TA_windows takes `<Data>` values from `_raw` with a regular expression and
/// does not decode XML: Windows renders `&`, `<` and `>` in text as `&amp;`, `&lt;`
/// and `&gt;`, and that is what the fields (and the data models) hold; the content
/// relies on it (`Processes.process="*&amp;&gt;/dev/null*"`, `TaskContent="*&lt;Command&gt;*"`).
/// Quotes and other characters are literal in Windows' rendering. Decoding fully and
/// re-escaping exactly these three gives that form whatever the producer escaped
/// (the `evtx` crate's renderer also escapes quotes; hand-written files use `&quot;`).
fn push_splunk_text(out: &mut String, decoded: &str) {
    for c in decoded.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The text between `<tag>` and `</tag>` in an event's raw text, as the add-on's
/// `EventData_Xml` / `System_Props_Xml` extractions take it.
fn inner_xml<'a>(raw: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = raw.find(open)? + open.len();
    let len = raw[start..].find(close)?;
    Some(&raw[start..start + len])
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn push(fields: &mut Vec<(String, String)>, k: &str, v: String) {
    if !v.is_empty() {
        fields.push((k.to_string(), v));
    }
}

/// Parses one `<Event>` element into an event with its System and EventData fields.
pub fn parse_event(raw: &[u8], meta: &SourceMeta) -> Result<Event, String> {
    let text = String::from_utf8_lossy(raw);
    let mut reader = Reader::from_str(&text);
    let mut stack: Vec<String> = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut data_name: Option<String> = None;
    let mut value = String::new();
    let mut system_time: Option<String> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match ev {
            X::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                start_element(&e, &name, &stack, &mut fields, &mut system_time);
                if name == "Data" {
                    data_name = attr(&e, b"Name");
                }
                value.clear();
                stack.push(name);
            }
            X::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                start_element(&e, &name, &stack, &mut fields, &mut system_time);
            }
            X::Text(t) => push_splunk_text(&mut value, &t.decode().map_err(|e| e.to_string())?),
            X::CData(t) => push_splunk_text(&mut value, &String::from_utf8_lossy(&t)),
            X::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    push_splunk_text(&mut value, c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    match resolve_xml_entity(&name) {
                        Some(s) => push_splunk_text(&mut value, s),
                        None => {
                            value.push('&');
                            value.push_str(&name);
                            value.push(';');
                        }
                    }
                }
            }
            X::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                let v = std::mem::take(&mut value);
                if name == "Data" {
                    // Rendered events indent some values ("\n\t\t%{S-1-5-…}"); the
                    // add-on's values carry no surrounding whitespace.
                    let key = data_name.take().unwrap_or_else(|| "Data".to_string());
                    push(&mut fields, &key, v.trim().to_string());
                } else if parent == "System" {
                    push(&mut fields, &name, v.trim().to_string());
                } else if stack.iter().any(|s| s == "UserData") && !v.trim().is_empty() {
                    push(&mut fields, &name, v);
                } else if name == "Message" && parent == "RenderingInfo" {
                    push(&mut fields, "Message", v);
                }
            }
            X::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed <{}>", stack.join("><")));
    }
    for (field, open, close) in [
        ("System_Props_Xml", "<System>", "</System>"),
        ("EventData_Xml", "<EventData>", "</EventData>"),
    ] {
        if let Some(inner) = inner_xml(&text, open, close) {
            push(&mut fields, field, inner.to_string());
        }
    }
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    let channel = get("Channel").unwrap_or_default();
    let computer = get("Computer").unwrap_or_default();
    let time = system_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_micros() as f64 / 1e6)
        .unwrap_or(0.0);
    let source = meta
        .source
        .clone()
        .unwrap_or_else(|| format!("XmlWinEventLog:{channel}"));
    let sourcetype = meta
        .sourcetype
        .clone()
        .unwrap_or_else(|| "XmlWinEventLog".to_string());
    let host = meta.host.clone().unwrap_or(computer);
    let mut event = Event::new(text.into_owned(), time, &host, &source, &sourcetype);
    let code = get("EventID");
    let record = get("EventRecordID");
    if let Some(code) = code {
        fields.push(("EventCode".into(), code));
    }
    if let Some(rec) = record {
        fields.push(("RecordID".into(), rec));
    }
    for (k, v) in fields {
        let merged = match event.fields.remove(&k) {
            Some(old)
                if !matches!(
                    k.as_str(),
                    "_raw" | "_time" | "host" | "source" | "sourcetype"
                ) =>
            {
                Value::multi(vec![old, Value::Str(v)])
            }
            Some(old) => old,
            None => Value::Str(v),
        };
        event.fields.insert(k, merged);
    }
    Ok(event)
}

/// Attributes that the add-on extracts from System elements.
fn start_element(
    e: &BytesStart<'_>,
    name: &str,
    stack: &[String],
    fields: &mut Vec<(String, String)>,
    system_time: &mut Option<String>,
) {
    if stack.last().map(String::as_str) != Some("System") {
        return;
    }
    let mut take = |attr_name: &[u8], field: &str| {
        if let Some(v) = attr(e, attr_name) {
            push(fields, field, v);
        }
    };
    match name {
        "Provider" => {
            take(b"Name", "Name");
            take(b"Guid", "Guid");
        }
        "TimeCreated" => {
            if let Some(t) = attr(e, b"SystemTime") {
                *system_time = Some(t.clone());
                push(fields, "SystemTime", t);
            }
        }
        "Execution" => {
            take(b"ProcessID", "ProcessID");
            take(b"ThreadID", "ThreadID");
        }
        "Security" => take(b"UserID", "UserID"),
        "Correlation" => {
            take(b"ActivityID", "ActivityID");
            take(b"RelatedActivityID", "RelatedActivityID");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EV: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f}'/><EventID>1</EventID><TimeCreated SystemTime='2024-03-05T10:15:01.123456700Z'/><EventRecordID>9</EventRecordID><Execution ProcessID='3112' ThreadID='4020'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='Image'>C:\\a\\b.exe</Data><Data Name='CommandLine'>b.exe &quot;x&quot; &amp; y&#174;\r\nline2</Data><Data Name='Empty'></Data><Data Name='Rep'>1</Data><Data Name='Rep'>2</Data></EventData></Event>";

    fn read_str(s: &str) -> (Vec<Event>, Vec<Skipped>) {
        read(s.as_bytes(), &SourceMeta::default())
    }

    #[test]
    fn fields_entities_and_multivalues() {
        let (evs, skipped) = read_str(EV);
        assert!(skipped.is_empty(), "{skipped:?}");
        let e = &evs[0];
        assert_eq!(e.get("EventCode"), &Value::str("1"));
        assert_eq!(e.get("Computer"), &Value::str("ws1"));
        assert_eq!(e.get("Name"), &Value::str("Microsoft-Windows-Sysmon"));
        assert_eq!(e.get("ProcessID"), &Value::str("3112"));
        assert_eq!(e.get("UserID"), &Value::str("S-1-5-18"));
        assert_eq!(
            e.get("CommandLine"),
            &Value::str("b.exe \"x\" &amp; y\u{ae}\r\nline2")
        );
        assert_eq!(e.get("Empty"), &Value::Null);
        assert_eq!(e.get("Rep").values().len(), 2);
        assert_eq!(
            e.get("source"),
            &Value::str("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(e.get("host"), &Value::str("ws1"));
        assert!((e.time() - 1_709_633_701.123456).abs() < 1e-3);
        assert_eq!(e.raw(), EV);
    }

    #[test]
    fn junk_unterminated_and_declarations_are_reported() {
        let text = format!("<?xml version='1.0'?>\r\n{EV}\r\nforwarder restarted\r\n{EV}\r\n<Event xmlns='x'><System>{EV}\n<Event><System>");
        let (evs, skipped) = read_str(&text);
        assert_eq!(evs.len(), 3);
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert!(skipped[0].reason.contains("forwarder"));
        assert_eq!(
            skipped[0].offset as usize,
            text.find("\r\nforwarder").unwrap()
        );
        assert!(skipped[1].reason.contains("without </Event>"));
        assert!(skipped[2].reason.contains("unterminated"));
    }

    #[test]
    fn events_wrapper_is_not_junk() {
        let text = format!("<?xml version=\"1.0\"?>\n<Events>\n{EV}\n{EV}\n</Events>\n");
        let (evs, skipped) = read_str(&text);
        assert_eq!(evs.len(), 2);
        assert!(skipped.is_empty(), "{skipped:?}");
    }

    #[test]
    fn double_quotes_and_malformed_xml() {
        let dq = EV.replace('\'', "\"");
        let (evs, _) = read_str(&dq);
        assert_eq!(evs[0].get("Image"), &Value::str("C:\\a\\b.exe"));
        let bad = "<Event><System><EventID>1</EventID></Oops></Event>";
        let (evs, skipped) = read_str(bad);
        assert!(evs.is_empty());
        assert!(
            skipped[0].reason.starts_with("malformed event"),
            "{skipped:?}"
        );
    }
}
