//! Splunk's XmlWinEventLog text: `<Event …>…</Event>` elements one after another,
//! split on the elements (not on lines: real files have CRLF, values with embedded
//! newlines and junk between events). Fields are named as Splunk_TA_windows names them.
//!
//! [`XmlSplit`] finds the elements in a stream, across buffer boundaries, in linear
//! time; [`parse_event`] turns one element into fields, keeping only what the output
//! wants.

use crate::out::{is_meta, set_meta, Out};
use crate::stream::Unit;
use crate::{Skipped, SourceMeta};
use chrono::DateTime;
use firedrill_value::Value;
use memchr::memmem;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event as X};
use quick_xml::Reader;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The longest event kept: an `<Event` with neither `</Event>` nor another `<Event`
/// within this many bytes is reported skipped, so memory stays bounded on any input.
pub const MAX_EVENT_BYTES: u64 = 64 * 1024 * 1024;

/// How much of a region between events is kept to describe it.
const JUNK_HEAD: usize = 64 * 1024;

fn start_finder() -> &'static memmem::Finder<'static> {
    static F: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    F.get_or_init(|| memmem::Finder::new(b"<Event"))
}

fn end_finder() -> &'static memmem::Finder<'static> {
    static F: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    F.get_or_init(|| memmem::Finder::new(b"</Event>"))
}

/// Where an `<Event` element opens in `buf[from..to]` (not `<EventData`, `<EventID`…).
/// `Err(resume)`: none that can be decided yet; search again from `resume` (a match
/// whose next byte is not yet in `buf` is looked at again).
fn find_start(buf: &[u8], from: usize, to: usize, eof: bool) -> Result<usize, usize> {
    let mut pos = from;
    while pos < to {
        match start_finder().find(&buf[pos..to]) {
            None => break,
            Some(i) => {
                let at = pos + i;
                match buf.get(at + 6) {
                    Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/') => return Ok(at),
                    Some(_) => pos = at + 6,
                    None if eof => pos = at + 6,
                    None => return Err(at),
                }
            }
        }
    }
    Err(if eof {
        to
    } else {
        to.saturating_sub(5).max(from)
    })
}

/// The description of a region between events, if it is not whitespace, XML
/// declarations or an `<Events>` wrapper.
fn junk_reason(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
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
    (!trimmed.is_empty()).then(|| {
        let preview: String = trimmed.chars().take(40).collect();
        format!("text between events: {preview:?}")
    })
}

/// A region between events, seen a piece at a time: its first `JUNK_HEAD` bytes
/// (enough to describe it) and, past them, the start of the first text that is not
/// whitespace.
#[derive(Default)]
struct Junk {
    head: Vec<u8>,
    len: u64,
    later: Option<Vec<u8>>,
}

impl Junk {
    fn feed(&mut self, b: &[u8]) {
        self.len += b.len() as u64;
        let room = JUNK_HEAD - self.head.len();
        let (now, rest) = b.split_at(room.min(b.len()));
        self.head.extend_from_slice(now);
        match &mut self.later {
            None => {
                if let Some(i) = rest
                    .iter()
                    .position(|c| !c.is_ascii_whitespace() && !matches!(c, 0xEF | 0xBB | 0xBF))
                {
                    self.later = Some(rest[i..rest.len().min(i + 160)].to_vec());
                }
            }
            Some(l) if l.len() < 160 => {
                l.extend_from_slice(&rest[..rest.len().min(160 - l.len())]);
            }
            Some(_) => {}
        }
    }

    /// Reports the region `[from, from + len)` if it is junk, and starts afresh.
    fn finish(&mut self, from: u64, skipped: &mut Vec<Skipped>) {
        let j = std::mem::take(self);
        if j.len == 0 {
            return;
        }
        let reason = junk_reason(&j.head).or_else(|| {
            j.later.as_deref().and_then(|l| {
                let text = String::from_utf8_lossy(l);
                let t = text.trim_end_matches("</Events>").trim();
                (!t.is_empty()).then(|| {
                    let preview: String = t.chars().take(40).collect();
                    format!("text between events: {preview:?}")
                })
            })
        });
        if let Some(reason) = reason {
            skipped.push(Skipped {
                offset: from,
                len: j.len,
                reason,
            });
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Looking for the next `<Event`; the bytes passed are junk.
    Seek,
    /// An `<Event` opens here; looking for its `</Event>` or the next `<Event`.
    Open(u64),
    /// An `<Event` opened here and ran past [`MAX_EVENT_BYTES`]: skipping to its end.
    Oversize(u64),
    /// End of input seen.
    Done,
}

/// Finds `<Event>` elements in a stream (absolute byte offsets throughout). Each
/// search resumes where the last one stopped, so hostile input (many openings and no
/// ends) costs linear time.
pub(crate) struct XmlSplit {
    st: St,
    /// Seek: where to look for the next opening.
    scan: u64,
    /// Open: no `</Event>` before here (the first one at or after it is `end`).
    end_scan: u64,
    end: Option<u64>,
    /// Open: no opening between the current one and here.
    next_scan: u64,
    /// Seek: the current junk region starts here; bytes up to `fed` were fed.
    junk_from: u64,
    fed: u64,
    junk: Junk,
}

impl XmlSplit {
    pub(crate) fn new(base: u64) -> XmlSplit {
        XmlSplit {
            st: St::Seek,
            scan: base,
            end_scan: base,
            end: None,
            next_scan: base,
            junk_from: base,
            fed: base,
            junk: Junk::default(),
        }
    }

    /// The first byte still needed.
    pub(crate) fn needed_from(&self) -> u64 {
        match self.st {
            St::Seek => self.fed,
            St::Open(s) => s,
            St::Oversize(_) => self.end_scan.min(self.next_scan),
            St::Done => u64::MAX,
        }
    }

    fn open_at(&mut self, s: u64) {
        self.st = St::Open(s);
        self.next_scan = s + 6;
        if self.end.is_some_and(|e| e < s) {
            self.end = None;
        }
        self.end_scan = self.end_scan.max(s);
    }

    /// Scans `buf` (which starts at absolute offset `base`) for complete events.
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        base: u64,
        eof: bool,
        units: &mut Vec<Unit>,
        skipped: &mut Vec<Skipped>,
    ) {
        let len = buf.len();
        let rel = |a: u64| (a - base) as usize;
        let abs = |r: usize| base + r as u64;
        loop {
            match self.st {
                St::Done => return,
                St::Seek => {
                    let from = rel(self.scan);
                    match find_start(buf, from, len, eof) {
                        Ok(s) => {
                            self.junk.feed(&buf[rel(self.fed)..s]);
                            self.junk.finish(self.junk_from, skipped);
                            self.fed = abs(s);
                            self.open_at(abs(s));
                        }
                        Err(resume) => {
                            self.junk.feed(&buf[rel(self.fed)..resume]);
                            self.fed = abs(resume);
                            self.scan = abs(resume);
                            if eof {
                                self.junk.finish(self.junk_from, skipped);
                                self.st = St::Done;
                            }
                            return;
                        }
                    }
                }
                St::Open(s) | St::Oversize(s) => {
                    let oversize = matches!(self.st, St::Oversize(_));
                    if self.end.is_none() {
                        let from = rel(self.end_scan);
                        match end_finder().find(&buf[from..]) {
                            Some(i) => self.end = Some(abs(from + i)),
                            None => {
                                self.end_scan = abs(if eof {
                                    len
                                } else {
                                    len.saturating_sub(7).max(from)
                                })
                            }
                        }
                    }
                    let from = rel(self.next_scan);
                    let to = self.end.map(rel).unwrap_or(len);
                    let next = find_start(buf, from, to, eof || self.end.is_some());
                    let why = |tail: &str| {
                        if oversize {
                            format!("event longer than {MAX_EVENT_BYTES} bytes{tail}")
                        } else {
                            format!("event without </Event> before the next <Event>{tail}")
                        }
                    };
                    match (next, self.end) {
                        (Ok(n), _) => {
                            skipped.push(Skipped {
                                offset: s,
                                len: abs(n) - s,
                                reason: why(""),
                            });
                            self.open_at(abs(n));
                        }
                        (Err(_), Some(e)) => {
                            let end = e + 8;
                            if oversize {
                                skipped.push(Skipped {
                                    offset: s,
                                    len: end - s,
                                    reason: why(""),
                                });
                            } else {
                                units.push(Unit {
                                    start: s,
                                    end,
                                    kind: 0,
                                });
                            }
                            self.st = St::Seek;
                            self.end = None;
                            self.end_scan = end;
                            self.scan = end;
                            self.fed = end;
                            self.junk_from = end;
                        }
                        (Err(resume), None) => {
                            self.next_scan = abs(resume);
                            if eof {
                                skipped.push(Skipped {
                                    offset: s,
                                    len: abs(len) - s,
                                    reason: if oversize {
                                        why(" (no </Event>)")
                                    } else {
                                        "unterminated last event (no </Event>)".into()
                                    },
                                });
                                self.st = St::Done;
                            } else if !oversize && abs(len) - s > MAX_EVENT_BYTES {
                                self.st = St::Oversize(s);
                            }
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Splits a whole buffer (tests and small inputs).
#[cfg(test)]
pub(crate) fn split_all(bytes: &[u8]) -> (Vec<Unit>, Vec<Skipped>) {
    let mut sp = XmlSplit::new(0);
    let (mut units, mut skipped) = (Vec::new(), Vec::new());
    sp.scan(bytes, 0, true, &mut units, &mut skipped);
    (units, skipped)
}

/// `s`, a slice of `text`, with the lifetime of `text` (quick-xml hands out names
/// and attribute values borrowed from its events, which live shorter than the text).
#[inline]
fn reborrow<'t>(text: &'t str, s: &[u8]) -> Option<&'t str> {
    let off = (s.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    text.get(off..off.checked_add(s.len())?)
}

#[inline]
fn cow<'t>(text: &'t str, v: Cow<'_, str>) -> Cow<'t, str> {
    match v {
        Cow::Borrowed(b) => match reborrow(text, b.as_bytes()) {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(b.to_string()),
        },
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// The first value of attribute `name`, decoded.
fn attr<'t>(text: &'t str, e: &BytesStart<'_>, name: &[u8]) -> Option<Cow<'t, str>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| cow(text, v)))
}

/// Element text in the form Splunk's add-on extracts it.
///
/// Splunk_TA_windows takes `<Data>` values from `_raw` with a regular expression and
/// does not decode XML: Windows renders `&`, `<` and `>` in text as `&amp;`, `&lt;`
/// and `&gt;`, and that is what the fields (and the data models) hold; the content
/// relies on it (`Processes.process="*&amp;&gt;/dev/null*"`, `TaskContent="*&lt;Command&gt;*"`).
/// Quotes and other characters are literal in Windows' rendering. Decoding fully and
/// re-escaping exactly these three gives that form whatever the producer escaped
/// (the `evtx` crate's renderer also escapes quotes; hand-written files use `&quot;`).
enum Acc<'t> {
    Empty,
    /// One piece of text that needed no change: borrowed from the event.
    One(&'t str),
    Buf(String),
}

impl<'t> Acc<'t> {
    #[inline]
    fn buf(&mut self) -> &mut String {
        match self {
            Acc::Buf(b) => b,
            Acc::Empty => {
                *self = Acc::Buf(String::new());
                self.buf()
            }
            Acc::One(s) => {
                *self = Acc::Buf(s.to_string());
                self.buf()
            }
        }
    }

    /// Text as the reader gave it (no `&` or `<` can be in it; `>` may).
    #[inline]
    fn text(&mut self, t: Cow<'t, str>) {
        match t {
            Cow::Borrowed(s) if !s.contains('>') => match self {
                Acc::Empty => *self = Acc::One(s),
                _ => self.buf().push_str(s),
            },
            other => push_escaped(self.buf(), &other),
        }
    }

    #[inline]
    fn take(&mut self) -> Cow<'t, str> {
        match std::mem::replace(self, Acc::Empty) {
            Acc::Empty => Cow::Borrowed(""),
            Acc::One(s) => Cow::Borrowed(s),
            Acc::Buf(b) => Cow::Owned(b),
        }
    }
}

fn push_escaped(out: &mut String, decoded: &str) {
    let mut rest = decoded;
    while let Some(i) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

#[inline]
fn trim_cow(v: Cow<'_, str>) -> Cow<'_, str> {
    match v {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => {
            let t = s.trim();
            if t.len() == s.len() {
                Cow::Owned(s)
            } else {
                Cow::Owned(t.to_string())
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    System,
    Data,
    UserData,
    RenderingInfo,
    Other,
}

fn classify(name: &str) -> Kind {
    match name {
        "System" => Kind::System,
        "Data" => Kind::Data,
        "UserData" => Kind::UserData,
        "RenderingInfo" => Kind::RenderingInfo,
        _ => Kind::Other,
    }
}

struct Level<'t> {
    kind: Kind,
    collect: bool,
    name: &'t str,
}

/// The first values of the fields the reader itself needs, whatever is wanted.
#[derive(Default)]
struct Firsts<'t> {
    event_id: Option<Cow<'t, str>>,
    record_id: Option<Cow<'t, str>>,
    channel: Option<Cow<'t, str>>,
    computer: Option<Cow<'t, str>>,
}

impl<'t> Firsts<'t> {
    #[inline]
    fn slot(&mut self, name: &str) -> Option<&mut Option<Cow<'t, str>>> {
        match name {
            "EventID" => Some(&mut self.event_id),
            "EventRecordID" => Some(&mut self.record_id),
            "Channel" => Some(&mut self.channel),
            "Computer" => Some(&mut self.computer),
            _ => None,
        }
    }
}

#[inline]
fn tracked(name: &str) -> bool {
    matches!(name, "EventID" | "EventRecordID" | "Channel" | "Computer")
}

/// True if the output keeps field `name` (or the reader needs it).
#[inline]
fn needed<O: Out>(out: &O, name: &str) -> bool {
    out.all() || tracked(name) || (!is_meta(name) && out.key(name).is_some())
}

/// One field of the event: empty values are not fields (Splunk's `KEEP_EMPTY_VALS`
/// is false); a name given twice is a multivalue; metadata names are not data.
#[inline]
fn emit<'t, O: Out>(out: &mut O, firsts: &mut Firsts<'t>, name: &str, v: Cow<'t, str>) {
    if v.is_empty() {
        return;
    }
    if let Some(slot) = firsts.slot(name) {
        if slot.is_none() {
            *slot = Some(v.clone());
        }
    }
    if is_meta(name) {
        return;
    }
    if let Some(k) = out.key(name) {
        out.push(k, name, Value::Str(v.into_owned()));
    }
}

/// The attributes the add-on extracts from System elements.
fn system_attrs<'t, O: Out>(
    text: &'t str,
    e: &BytesStart<'_>,
    name: &str,
    out: &mut O,
    firsts: &mut Firsts<'t>,
    system_time: &mut Option<Cow<'t, str>>,
) {
    let pairs: &[(&[u8], &str)] = match name {
        "Provider" => &[(b"Name", "Name"), (b"Guid", "Guid")],
        "TimeCreated" => &[(b"SystemTime", "SystemTime")],
        "Execution" => &[(b"ProcessID", "ProcessID"), (b"ThreadID", "ThreadID")],
        "Security" => &[(b"UserID", "UserID")],
        "Correlation" => &[
            (b"ActivityID", "ActivityID"),
            (b"RelatedActivityID", "RelatedActivityID"),
        ],
        _ => return,
    };
    let time = name == "TimeCreated";
    if !time && !pairs.iter().any(|(_, f)| needed(out, f)) {
        return;
    }
    let mut found: [Option<Cow<'t, str>>; 2] = [None, None];
    for a in e.attributes().flatten() {
        for (i, (key, _)) in pairs.iter().enumerate() {
            if found[i].is_none() && a.key.as_ref() == *key {
                found[i] = a.unescape_value().ok().map(|v| cow(text, v));
            }
        }
    }
    for (i, v) in found.into_iter().enumerate() {
        if let Some(v) = v {
            if time {
                *system_time = Some(v.clone());
            }
            emit(out, firsts, pairs[i].1, v);
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

/// Parses one `<Event>` element: its System and EventData (or UserData) fields,
/// `_time`, `host`, `source`, `sourcetype`, and `_raw` when wanted.
pub(crate) fn parse_event<O: Out>(
    raw: &[u8],
    meta: &SourceMeta,
    out: &mut O,
) -> Result<(), String> {
    let text = String::from_utf8_lossy(raw);
    parse_text(&text, meta, out)
}

/// [`parse_event`] on text.
pub(crate) fn parse_text<O: Out>(text: &str, meta: &SourceMeta, out: &mut O) -> Result<(), String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Level<'_>> = Vec::with_capacity(8);
    let mut user_data = 0usize;
    let mut data_name: Option<Cow<'_, str>> = None;
    let mut acc = Acc::Empty;
    let mut firsts = Firsts::default();
    let mut system_time: Option<Cow<'_, str>> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match ev {
            X::Start(e) => {
                let name = reborrow(text, e.local_name().into_inner()).unwrap_or("");
                let parent = stack.last().map(|l| l.kind);
                if parent == Some(Kind::System) {
                    system_attrs(text, &e, name, out, &mut firsts, &mut system_time);
                }
                let kind = classify(name);
                if kind == Kind::Data {
                    data_name = attr(text, &e, b"Name");
                }
                let field = if kind == Kind::Data {
                    Some(data_name.as_deref().unwrap_or("Data"))
                } else if parent == Some(Kind::System) || user_data > 0 {
                    Some(name)
                } else if name == "Message" && parent == Some(Kind::RenderingInfo) {
                    Some("Message")
                } else {
                    None
                };
                let collect = field.is_some_and(|f| needed(out, f));
                if kind == Kind::UserData {
                    user_data += 1;
                }
                stack.push(Level {
                    kind,
                    collect,
                    name,
                });
                acc = Acc::Empty;
            }
            X::Empty(e) if stack.last().map(|l| l.kind) == Some(Kind::System) => {
                let name = reborrow(text, e.local_name().into_inner()).unwrap_or("");
                system_attrs(text, &e, name, out, &mut firsts, &mut system_time);
            }
            X::Text(t) if stack.last().is_some_and(|l| l.collect) => {
                acc.text(t.decode().map_err(|e| e.to_string())?);
            }
            X::CData(t) if stack.last().is_some_and(|l| l.collect) => {
                push_escaped(acc.buf(), &String::from_utf8_lossy(&t));
            }
            X::GeneralRef(r) if stack.last().is_some_and(|l| l.collect) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    push_escaped(acc.buf(), c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    match resolve_xml_entity(&name) {
                        Some(s) => push_escaped(acc.buf(), s),
                        None => {
                            let b = acc.buf();
                            b.push('&');
                            b.push_str(&name);
                            b.push(';');
                        }
                    }
                }
            }
            X::End(_) => {
                let Some(lvl) = stack.pop() else {
                    return Err("end tag without a start".into());
                };
                if lvl.kind == Kind::UserData {
                    user_data -= 1;
                }
                let v = acc.take();
                if !lvl.collect {
                    if lvl.kind == Kind::Data {
                        data_name = None;
                    }
                    continue;
                }
                let parent = stack.last().map(|l| l.kind);
                if lvl.kind == Kind::Data {
                    // Rendered events indent some values ("\n\t\t%{S-1-5-…}"); the
                    // add-on's values carry no surrounding whitespace.
                    let key = data_name.take();
                    emit(
                        out,
                        &mut firsts,
                        key.as_deref().unwrap_or("Data"),
                        trim_cow(v),
                    );
                } else if parent == Some(Kind::System) {
                    emit(out, &mut firsts, lvl.name, trim_cow(v));
                } else if user_data > 0 {
                    if !v.trim().is_empty() {
                        emit(out, &mut firsts, lvl.name, v);
                    }
                } else if lvl.name == "Message" && parent == Some(Kind::RenderingInfo) {
                    emit(out, &mut firsts, "Message", v);
                }
            }
            X::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        let names: Vec<&str> = stack.iter().map(|l| l.name).collect();
        return Err(format!("unclosed <{}>", names.join("><")));
    }
    for (field, open, close) in [
        ("System_Props_Xml", "<System>", "</System>"),
        ("EventData_Xml", "<EventData>", "</EventData>"),
    ] {
        if out.key(field).is_some() {
            if let Some(inner) = inner_xml(text, open, close) {
                emit(out, &mut firsts, field, Cow::Borrowed(inner));
            }
        }
    }
    if let Some(code) = firsts.event_id.clone() {
        emit(out, &mut firsts, "EventCode", code);
    }
    if let Some(rec) = firsts.record_id.clone() {
        emit(out, &mut firsts, "RecordID", rec);
    }
    let time = system_time.as_deref().and_then(parse_time).unwrap_or(0.0);
    let channel = firsts.channel.as_deref().unwrap_or("");
    let source = match &meta.source {
        Some(s) => s.clone(),
        None => format!("XmlWinEventLog:{channel}"),
    };
    let sourcetype = meta
        .sourcetype
        .clone()
        .unwrap_or_else(|| "XmlWinEventLog".to_string());
    let host = match &meta.host {
        Some(h) => h.clone(),
        None => firsts.computer.as_deref().unwrap_or("").to_string(),
    };
    set_meta(out, time, host, source, sourcetype);
    if let Some(k) = out.key("_raw") {
        out.set(k, "_raw", Value::Str(text.to_string()));
    }
    Ok(())
}

/// `SystemTime` (RFC 3339) as epoch seconds with microseconds, as chrono computes it;
/// the common `YYYY-MM-DDTHH:MM:SS.fffffffZ` form without chrono.
pub(crate) fn parse_time(s: &str) -> Option<f64> {
    fast_time(s).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_micros() as f64 / 1e6)
    })
}

fn fast_time(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut n = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + (c - b'0') as i64;
        }
        Some(n)
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = &b[19..b.len() - 1];
    let nanos = match frac {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.len() <= 9 => {
            let n = num(20..20 + digits.len())?;
            n * 10i64.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let dim = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > dim || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (yy, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    Some((secs * 1_000_000 + nanos / 1000) as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::out::RowOut;
    use firedrill_value::Row;

    const EV: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f}'/><EventID>1</EventID><TimeCreated SystemTime='2024-03-05T10:15:01.123456700Z'/><EventRecordID>9</EventRecordID><Execution ProcessID='3112' ThreadID='4020'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='Image'>C:\\a\\b.exe</Data><Data Name='CommandLine'>b.exe &quot;x&quot; &amp; y&#174;\r\nline2</Data><Data Name='Empty'></Data><Data Name='Rep'>1</Data><Data Name='Rep'>2</Data></EventData></Event>";

    fn read_str(s: &str) -> (Vec<Row>, Vec<Skipped>) {
        let (units, mut skipped) = split_all(s.as_bytes());
        let mut rows = Vec::new();
        for u in units {
            let mut out = RowOut::default();
            match parse_event(
                &s.as_bytes()[u.start as usize..u.end as usize],
                &SourceMeta::default(),
                &mut out,
            ) {
                Ok(()) => rows.push(out.row),
                Err(m) => skipped.push(Skipped {
                    offset: u.start,
                    len: u.end - u.start,
                    reason: format!("malformed event: {m}"),
                }),
            }
        }
        skipped.sort_by_key(|s| s.offset);
        (rows, skipped)
    }

    fn get<'a>(r: &'a Row, k: &str) -> &'a Value {
        r.get(k).unwrap_or(&Value::Null)
    }

    #[test]
    fn fields_entities_and_multivalues() {
        let (evs, skipped) = read_str(EV);
        assert!(skipped.is_empty(), "{skipped:?}");
        let e = &evs[0];
        assert_eq!(get(e, "EventCode"), &Value::str("1"));
        assert_eq!(get(e, "Computer"), &Value::str("ws1"));
        assert_eq!(get(e, "Name"), &Value::str("Microsoft-Windows-Sysmon"));
        assert_eq!(get(e, "ProcessID"), &Value::str("3112"));
        assert_eq!(get(e, "UserID"), &Value::str("S-1-5-18"));
        assert_eq!(
            get(e, "CommandLine"),
            &Value::str("b.exe \"x\" &amp; y\u{ae}\r\nline2")
        );
        assert_eq!(get(e, "Empty"), &Value::Null);
        assert_eq!(get(e, "Rep").values().len(), 2);
        assert_eq!(
            get(e, "source"),
            &Value::str("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(get(e, "host"), &Value::str("ws1"));
        let t = get(e, "_time").as_num().unwrap();
        assert!((t - 1_709_633_701.123456).abs() < 1e-3);
        assert_eq!(get(e, "_raw"), &Value::str(EV));
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
        assert_eq!(get(&evs[0], "Image"), &Value::str("C:\\a\\b.exe"));
        let bad = "<Event><System><EventID>1</EventID></Oops></Event>";
        let (evs, skipped) = read_str(bad);
        assert!(evs.is_empty());
        assert!(
            skipped[0].reason.starts_with("malformed event"),
            "{skipped:?}"
        );
    }

    /// The same input split in one piece and fed a few bytes at a time gives the
    /// same events and the same skipped regions, dropping what is no longer needed
    /// after each piece as the stream does.
    #[test]
    fn splitting_does_not_depend_on_buffer_boundaries() {
        let text = format!("<?xml version='1.0'?>\r\n{EV}\r\nforwarder restarted\r\n{EV}\r\n<Events><Event xmlns='x'><System>{EV}\n<EventData>{EV}</Events>\n<Event><System>");
        let whole = split_all(text.as_bytes());
        assert_eq!(whole.0.len(), 4);
        for step in [1, 2, 3, 5, 7, 8, 13, 64] {
            let bytes = text.as_bytes();
            let mut sp = XmlSplit::new(0);
            let (mut units, mut skipped) = (Vec::new(), Vec::new());
            let mut buf: Vec<u8> = Vec::new();
            let mut base = 0u64;
            let mut fed = 0;
            while fed < bytes.len() {
                let n = step.min(bytes.len() - fed);
                buf.extend_from_slice(&bytes[fed..fed + n]);
                fed += n;
                sp.scan(&buf, base, fed == bytes.len(), &mut units, &mut skipped);
                let cut = sp.needed_from().min(base + buf.len() as u64);
                buf.drain(..(cut - base) as usize);
                base = cut;
            }
            assert_eq!(units, whole.0, "step {step}");
            assert_eq!(skipped, whole.1, "step {step}");
        }
    }

    /// Many openings and no ends: linear time (the old splitter searched the rest of
    /// the input from every opening).
    #[test]
    fn hostile_openings_are_linear() {
        let mut text = "<Event >".repeat(200_000);
        text.push_str(EV);
        let started = std::time::Instant::now();
        let (units, skipped) = split_all(text.as_bytes());
        assert_eq!(units.len(), 1);
        assert_eq!(skipped.len(), 200_000);
        assert!(
            started.elapsed().as_secs_f64() < 2.0,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn fast_time_agrees_with_chrono() {
        for s in [
            "2024-03-05T10:15:01.123456700Z",
            "2025-06-26T16:17:59.8189731Z",
            "2000-02-29T23:59:59Z",
            "1969-12-31T23:59:59.5Z",
            "2100-02-28T00:00:00.000000001Z",
            "1601-01-01T00:00:00.000Z",
            "2024-12-31T12:00:00.1Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros() as f64 / 1e6;
            assert_eq!(fast_time(s), Some(chrono), "{s}");
        }
        for s in [
            "2024-02-30T00:00:00Z",
            "2024-03-05T10:15:60Z",
            "2024-03-05 10:15:01Z",
        ] {
            assert_eq!(fast_time(s), None, "{s}");
        }
        assert!(parse_time("2024-03-05T10:15:01+01:00").is_some());
    }
}
