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
    if bytes.iter().all(|&c| xml_ws(c)) {
        return None;
    }
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

/// An element's tag: its name and attributes as written, and the name's length.
#[derive(Clone, Copy)]
struct Tag<'t> {
    content: &'t str,
    name_len: usize,
}

/// Finds attributes `keys` in a tag: the first value of each, decoded.
fn attrs_of<'t, const N: usize>(tag: Tag<'t>, keys: [&[u8]; N]) -> [Option<Cow<'t, str>>; N] {
    let mut found: [Option<Cow<'t, str>>; N] = std::array::from_fn(|_| None);
    if plain_attrs(&tag.content[tag.name_len..], |k, v| {
        for (i, key) in keys.iter().enumerate() {
            if found[i].is_none() && k.as_bytes() == *key {
                found[i] = Some(Cow::Borrowed(v));
            }
        }
    }) {
        return found;
    }
    found = std::array::from_fn(|_| None);
    let e = BytesStart::from_content(tag.content, tag.name_len);
    for a in e.attributes().flatten() {
        for (i, key) in keys.iter().enumerate() {
            if found[i].is_none() && a.key.as_ref() == *key {
                found[i] = a.unescape_value().ok().map(|v| cow(tag.content, v));
            }
        }
    }
    found
}

/// XML whitespace, as quick-xml has it.
#[inline]
fn xml_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\r' | b'\n' | b'\t')
}

/// Calls `each(key, value)` for the attributes in `raw` (what follows an element's
/// name) when they are all in the plain form Windows writes — `key='value'` or
/// `key="value"`, separated by whitespace, no entity in a value — and returns true;
/// false for anything else (then quick-xml's attribute parser decides, as before).
fn plain_attrs<'t>(raw: &'t str, mut each: impl FnMut(&'t str, &'t str)) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && xml_ws(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return true;
        }
        let k0 = i;
        while i < b.len() && b[i] != b'=' && !xml_ws(b[i]) {
            i += 1;
        }
        if i == k0 || b.get(i) != Some(&b'=') {
            return false;
        }
        let key = &raw[k0..i];
        let q = match b.get(i + 1) {
            Some(&c @ (b'\'' | b'"')) => c,
            _ => return false,
        };
        let v0 = i + 2;
        let mut n = 0;
        loop {
            match b.get(v0 + n) {
                None | Some(b'&') => return false,
                Some(&c) if c == q => break,
                Some(_) => n += 1,
            }
        }
        let v = &raw[v0..v0 + n];
        i = v0 + n + 1;
        if i < b.len() && !xml_ws(b[i]) {
            return false;
        }
        each(key, v);
    }
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

struct Level<'t, K> {
    kind: Kind,
    collect: bool,
    /// The local name (without a namespace prefix).
    name: &'t str,
    /// The name as written (end tags must repeat it).
    qname: &'t str,
    /// The output's key for the field the element gives, looked up at its start.
    key: Option<K>,
    /// For `Data`: which `Name` attribute the key is for (see `Handler::data_gen`).
    gen: u32,
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
    emit_keyed(out, firsts, name, v, None)
}

/// [`emit`] with the output's key for `name` when it is already known.
#[inline]
fn emit_keyed<'t, O: Out>(
    out: &mut O,
    firsts: &mut Firsts<'t>,
    name: &str,
    v: Cow<'t, str>,
    key: Option<Option<O::Key>>,
) {
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
    if let Some(k) = key.unwrap_or_else(|| out.key(name)) {
        out.push(k, name, Value::Str(v.into_owned()));
    }
}

/// The attributes the add-on extracts from System elements.
fn system_attrs<'t, O: Out>(
    tag: Tag<'t>,
    name: &str,
    out: &mut O,
    firsts: &mut Firsts<'t>,
    system_time: &mut Option<Cow<'t, str>>,
) {
    let pairs: [(&[u8], &str); 2] = match name {
        "Provider" => [(b"Name", "Name"), (b"Guid", "Guid")],
        "TimeCreated" => [(b"SystemTime", "SystemTime"), (b"", "")],
        "Execution" => [(b"ProcessID", "ProcessID"), (b"ThreadID", "ThreadID")],
        "Security" => [(b"UserID", "UserID"), (b"", "")],
        "Correlation" => [
            (b"ActivityID", "ActivityID"),
            (b"RelatedActivityID", "RelatedActivityID"),
        ],
        _ => return,
    };
    let time = name == "TimeCreated";
    if !time && !pairs.iter().any(|(k, f)| !k.is_empty() && needed(out, f)) {
        return;
    }
    let found = attrs_of(tag, [pairs[0].0, pairs[1].0]);
    for (i, v) in found.into_iter().enumerate() {
        if let Some(v) = v {
            if pairs[i].0.is_empty() {
                continue;
            }
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
    let start = memmem::find(raw.as_bytes(), open.as_bytes())? + open.len();
    let len = memmem::find(&raw.as_bytes()[start..], close.as_bytes())?;
    raw.get(start..start + len)
}

/// Parses one `<Event>` element: its System and EventData (or UserData) fields,
/// `_time`, `host`, `source`, `sourcetype`, and `_raw` when wanted.
pub(crate) fn parse_event<O: Out>(
    raw: &[u8],
    meta: &SourceMeta,
    out: &mut O,
) -> Result<(), String> {
    match std::str::from_utf8(raw) {
        Ok(text) => parse_text(text, meta, out),
        Err(_) => parse_text(&String::from_utf8_lossy(raw), meta, out),
    }
}

/// [`parse_event`] on text. Events in the plain form Windows renders are tokenised
/// by a small scanner; anything else (comments, CDATA, processing instructions,
/// other entities, namespace prefixes, malformed markup) by quick-xml, which also
/// decides what is malformed. Both drive the same [`Handler`], so they give the same
/// fields.
pub(crate) fn parse_text<O: Out>(text: &str, meta: &SourceMeta, out: &mut O) -> Result<(), String> {
    let mut h = Handler::new(text, out);
    if fast_tokens(&mut h).is_ok() {
        return h.finish(meta);
    }
    out.reset();
    let mut h = Handler::new(text, out);
    quick_tokens(&mut h)?;
    h.finish(meta)
}

/// What the tokens of one event make: its fields.
struct Handler<'t, 'o, O: Out> {
    out: &'o mut O,
    text: &'t str,
    stack: Vec<Level<'t, O::Key>>,
    user_data: usize,
    data_name: Option<Cow<'t, str>>,
    /// Counts the `Name`s `data_name` has held (a nested `Data` replaces it).
    data_gen: u32,
    acc: Acc<'t>,
    firsts: Firsts<'t>,
    system_time: Option<Cow<'t, str>>,
}

impl<'t, 'o, O: Out> Handler<'t, 'o, O> {
    fn new(text: &'t str, out: &'o mut O) -> Self {
        Handler {
            out,
            text,
            stack: Vec::with_capacity(8),
            user_data: 0,
            data_name: None,
            data_gen: 0,
            acc: Acc::Empty,
            firsts: Firsts::default(),
            system_time: None,
        }
    }

    #[inline]
    fn collecting(&self) -> bool {
        self.stack.last().is_some_and(|l| l.collect)
    }

    fn parent(&self) -> Option<Kind> {
        self.stack.last().map(|l| l.kind)
    }

    /// `<name …>` (`name` without a namespace prefix).
    fn start(&mut self, name: &'t str, tag: Tag<'t>) {
        let parent = self.parent();
        if parent == Some(Kind::System) {
            system_attrs(tag, name, self.out, &mut self.firsts, &mut self.system_time);
        }
        let kind = classify(name);
        if kind == Kind::Data {
            let [n] = attrs_of(tag, [b"Name"]);
            self.data_name = n;
            self.data_gen = self.data_gen.wrapping_add(1);
        }
        let field = if kind == Kind::Data {
            Some(self.data_name.as_deref().unwrap_or("Data"))
        } else if parent == Some(Kind::System) || self.user_data > 0 {
            Some(name)
        } else if name == "Message" && parent == Some(Kind::RenderingInfo) {
            Some("Message")
        } else {
            None
        };
        let (collect, key) = match field {
            Some(f) => {
                let key = if is_meta(f) { None } else { self.out.key(f) };
                (self.out.all() || tracked(f) || key.is_some(), key)
            }
            None => (false, None),
        };
        if kind == Kind::UserData {
            self.user_data += 1;
        }
        self.stack.push(Level {
            kind,
            collect,
            name,
            qname: &tag.content[..tag.name_len],
            key,
            gen: self.data_gen,
        });
        self.acc = Acc::Empty;
    }

    /// `<name …/>`.
    fn empty(&mut self, name: &'t str, tag: Tag<'t>) {
        if self.parent() == Some(Kind::System) {
            system_attrs(tag, name, self.out, &mut self.firsts, &mut self.system_time);
        }
        // As a start tag does: a value is the text after the last child element, so
        // it is always one piece of the event's text.
        self.acc = Acc::Empty;
    }

    /// Text as written (no `&` or `<` in it).
    #[inline]
    fn text(&mut self, t: Cow<'t, str>) {
        if self.collecting() {
            self.acc.text(t);
        }
    }

    /// Text with no `&`, `<` or `>` in it.
    #[inline]
    fn plain_text(&mut self, t: &'t str) {
        if self.collecting() {
            match self.acc {
                Acc::Empty => self.acc = Acc::One(t),
                _ => self.acc.buf().push_str(t),
            }
        }
    }

    /// A character or predefined entity reference, resolved.
    fn resolved(&mut self, s: &str) {
        if self.collecting() {
            push_escaped(self.acc.buf(), s);
        }
    }

    /// Another entity reference, kept as written.
    fn unresolved(&mut self, name: &str) {
        if self.collecting() {
            let b = self.acc.buf();
            b.push('&');
            b.push_str(name);
            b.push(';');
        }
    }

    /// `&name;` in text.
    fn reference(&mut self, name: &str) {
        if let Some(num) = name.strip_prefix('#') {
            match char_ref(num) {
                Some(c) => self.resolved(c.encode_utf8(&mut [0; 4])),
                None => self.unresolved(name),
            }
        } else {
            match resolve_xml_entity(name) {
                Some(s) => self.resolved(s),
                None => self.unresolved(name),
            }
        }
    }

    fn cdata(&mut self, t: &[u8]) {
        if self.collecting() {
            push_escaped(self.acc.buf(), &String::from_utf8_lossy(t));
        }
    }

    /// `</name>`.
    fn end(&mut self) -> Result<(), String> {
        let Some(lvl) = self.stack.pop() else {
            return Err("end tag without a start".into());
        };
        if lvl.kind == Kind::UserData {
            self.user_data -= 1;
        }
        let v = self.acc.take();
        if !lvl.collect {
            if lvl.kind == Kind::Data {
                self.data_name = None;
            }
            return Ok(());
        }
        let parent = self.parent();
        let (out, firsts) = (&mut *self.out, &mut self.firsts);
        if lvl.kind == Kind::Data {
            // Rendered events indent some values ("\n\t\t%{S-1-5-…}"); the
            // add-on's values carry no surrounding whitespace.
            let name = self.data_name.take();
            let key = (lvl.gen == self.data_gen).then_some(lvl.key);
            let name = name.as_deref().unwrap_or("Data");
            emit_keyed(out, firsts, name, trim_cow(v), key);
        } else if parent == Some(Kind::System) {
            emit_keyed(out, firsts, lvl.name, trim_cow(v), Some(lvl.key));
        } else if self.user_data > 0 {
            if !v.trim().is_empty() {
                emit_keyed(out, firsts, lvl.name, v, Some(lvl.key));
            }
        } else if lvl.name == "Message" && parent == Some(Kind::RenderingInfo) {
            emit_keyed(out, firsts, "Message", v, Some(lvl.key));
        }
        Ok(())
    }

    /// After the last token: the fields derived from others and the metadata.
    fn finish(mut self, meta: &SourceMeta) -> Result<(), String> {
        if !self.stack.is_empty() {
            let names: Vec<&str> = self.stack.iter().map(|l| l.name).collect();
            return Err(format!("unclosed <{}>", names.join("><")));
        }
        let (text, out, firsts) = (self.text, &mut *self.out, &mut self.firsts);
        for (field, open, close) in [
            ("System_Props_Xml", "<System>", "</System>"),
            ("EventData_Xml", "<EventData>", "</EventData>"),
        ] {
            if out.key(field).is_some() {
                if let Some(inner) = inner_xml(text, open, close) {
                    emit(out, firsts, field, Cow::Borrowed(inner));
                }
            }
        }
        if let Some(code) = firsts.event_id.clone() {
            emit(out, firsts, "EventCode", code);
        }
        if let Some(rec) = firsts.record_id.clone() {
            emit(out, firsts, "RecordID", rec);
        }
        let time = self
            .system_time
            .as_deref()
            .and_then(parse_time)
            .unwrap_or(0.0);
        let channel = firsts.channel.as_deref().unwrap_or("");
        let source = match &meta.source {
            Some(s) => s.clone(),
            None => format!("XmlWinEventLog:{channel}"),
        };
        let sourcetype = meta.sourcetype.clone().unwrap_or_else(|| {
            crate::Format::XmlWinEventLog
                .default_sourcetype()
                .to_string()
        });
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
}

/// A character reference's number (after `#`) as quick-xml resolves it.
fn char_ref(num: &str) -> Option<char> {
    let (digits, radix) = match num.strip_prefix('x') {
        Some(h) => (h, 16),
        None => (num, 10),
    };
    if digits.starts_with(['+', '-']) {
        return None;
    }
    let code = u32::from_str_radix(digits, radix).ok()?;
    if code == 0 {
        return None;
    }
    char::from_u32(code)
}

/// The first `c` in `b[from..]`: a plain loop over the first bytes (most searches
/// here end within a few), memchr after.
#[inline(always)]
fn find_byte(b: &[u8], from: usize, c: u8) -> Option<usize> {
    let near = (from + 24).min(b.len());
    if let Some(i) = b[from..near].iter().position(|&x| x == c) {
        return Some(from + i);
    }
    if near == b.len() {
        return None;
    }
    memchr::memchr(c, &b[near..]).map(|i| near + i)
}

/// Tokenises an event in the plain form Windows renders: elements, attributes
/// quoted with `'` or `"`, text with predefined entities and character references.
/// `Err` for anything else (nothing is decided here about malformed input).
fn fast_tokens<O: Out>(h: &mut Handler<'_, '_, O>) -> Result<(), ()> {
    let t = h.text;
    let b = t.as_bytes();
    let mut pos = 0;
    let mut closed = false;
    while pos < b.len() {
        // One scan finds the text's end and whether it needs more than a copy.
        let first = memchr::memchr3(b'<', b'&', b'>', &b[pos..]).map_or(b.len(), |i| pos + i);
        let plain = b.get(first).is_none_or(|&c| c == b'<');
        let lt = if plain {
            first
        } else {
            find_byte(b, first, b'<').unwrap_or(b.len())
        };
        if lt > pos {
            if closed || h.stack.is_empty() {
                if !b[pos..lt].iter().all(|&c| xml_ws(c)) {
                    return Err(());
                }
            } else if plain {
                h.plain_text(&t[pos..lt]);
            } else {
                fast_text(h, &t[pos..lt])?;
            }
        }
        if lt == b.len() {
            break;
        }
        if closed {
            return Err(());
        }
        match b.get(lt + 1) {
            Some(b'/') => {
                // The end tag must repeat the open element's name exactly.
                let q = h.stack.last().map(|l| l.qname).ok_or(())?;
                let gt = lt + 2 + q.len();
                if b.get(gt) != Some(&b'>') || &b[lt + 2..gt] != q.as_bytes() {
                    return Err(());
                }
                h.end().map_err(|_| ())?;
                closed = h.stack.is_empty();
                pos = gt + 1;
            }
            Some(b'!' | b'?') | None => return Err(()),
            Some(_) => {
                // The tag's end: the first `>` outside quotes (as quick-xml reads it).
                let mut i = lt + 1;
                let gt = loop {
                    let j = i + memchr::memchr3(b'>', b'\'', b'"', &b[i..]).ok_or(())?;
                    match b[j] {
                        b'>' => break j,
                        q => i = j + 2 + memchr::memchr(q, &b[j + 1..]).ok_or(())?,
                    }
                };
                let empty = b[gt - 1] == b'/';
                let content = &t[lt + 1..if empty { gt - 1 } else { gt }];
                let name_len = content.bytes().position(xml_ws).unwrap_or(content.len());
                let name = &content[..name_len];
                if name.is_empty() || name.contains([':', '/', '=', '\'', '"', '<']) {
                    return Err(());
                }
                let tag = Tag { content, name_len };
                if empty {
                    h.empty(name, tag);
                } else {
                    h.start(name, tag);
                }
                pos = gt + 1;
            }
        }
    }
    if closed {
        Ok(())
    } else {
        Err(())
    }
}

/// Text between tags: pieces and references.
fn fast_text<'t, O: Out>(h: &mut Handler<'t, '_, O>, mut rest: &'t str) -> Result<(), ()> {
    // References are checked even in text nobody keeps: a broken one makes the
    // event malformed (quick-xml, on the way back, says how).
    while let Some(i) = find_byte(rest.as_bytes(), 0, b'&') {
        if i > 0 {
            h.text(Cow::Borrowed(&rest[..i]));
        }
        let semi = find_byte(rest.as_bytes(), i + 1, b';').ok_or(())?;
        let name = &rest[i + 1..semi];
        let plain = match name.strip_prefix('#') {
            Some(num) => {
                let digits = num.strip_prefix('x').unwrap_or(num);
                !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_hexdigit())
            }
            None => matches!(name, "amp" | "lt" | "gt" | "quot" | "apos"),
        };
        if !plain {
            return Err(());
        }
        h.reference(name);
        rest = &rest[semi + 1..];
    }
    if !rest.is_empty() {
        h.text(Cow::Borrowed(rest));
    }
    Ok(())
}

/// Tokenises an event with quick-xml (any XML it reads; its errors are the event's).
fn quick_tokens<O: Out>(h: &mut Handler<'_, '_, O>) -> Result<(), String> {
    let text = h.text;
    let mut reader = Reader::from_str(text);
    let tag = |e: &BytesStart<'_>| Tag {
        content: reborrow(text, e).unwrap_or(""),
        name_len: e.name().as_ref().len(),
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match ev {
            X::Start(e) => {
                let name = reborrow(text, e.local_name().into_inner()).unwrap_or("");
                h.start(name, tag(&e));
            }
            X::Empty(e) => {
                let name = reborrow(text, e.local_name().into_inner()).unwrap_or("");
                h.empty(name, tag(&e));
            }
            X::Text(t) => h.text(t.decode().map_err(|e| e.to_string())?),
            X::CData(t) => h.cdata(&t),
            X::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                h.reference(&name);
            }
            X::End(_) => h.end()?,
            X::Eof => return Ok(()),
            _ => {}
        }
    }
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
    fn a_value_is_the_text_after_its_last_child_element() {
        // Text is never joined across markup, so a value is one piece of the event.
        let ev = "<Event><System><EventID>1</EventID></System><EventData><Data Name='A'>coms<b>x</b>vcs.dll</Data><Data Name='B'>coms<x/>vcs.dll</Data></EventData></Event>";
        let (evs, _) = read_str(ev);
        assert_eq!(get(&evs[0], "A"), &Value::str("vcs.dll"));
        assert_eq!(get(&evs[0], "B"), &Value::str("vcs.dll"));
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

    /// quick-xml alone, for comparing with the scanner.
    fn quick_only(text: &str) -> Result<Row, String> {
        let mut out = RowOut::default();
        let mut h = Handler::new(text, &mut out);
        quick_tokens(&mut h)?;
        h.finish(&SourceMeta::default())?;
        Ok(out.row)
    }

    fn both(text: &str) -> (Result<Row, String>, bool) {
        let mut out = RowOut::default();
        let fast = fast_tokens(&mut Handler::new(text, &mut out)).is_ok();
        let mut out = RowOut::default();
        let r = parse_text(text, &SourceMeta::default(), &mut out).map(|()| out.row);
        (r, fast)
    }

    /// The scanner takes the plain events and gives what quick-xml gives; on
    /// anything unusual quick-xml decides, so results (and errors) are the same.
    #[test]
    fn the_scanner_agrees_with_quick_xml() {
        let fixtures = ["messy.log", "sysmon_1.log", "security_4688.log"];
        let mut texts: Vec<String> = vec![EV.to_string(), EV.replace('\'', "\"")];
        for f in fixtures {
            let path = format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(path).unwrap();
            let (units, _) = split_all(&bytes);
            for u in units {
                let t =
                    String::from_utf8(bytes[u.start as usize..u.end as usize].to_vec()).unwrap();
                assert!(both(&t).1, "plain event not taken by the scanner: {t}");
                texts.push(t);
            }
        }
        let odd = [
            "<!-- c -->",
            "<![CDATA[a<b&c]]>",
            "&unknown;",
            "&#0;",
            "&#xD800;",
            "&#x41;&#65;",
            "&amp",
            "a & b",
            "<?pi x?>",
            "<x:Data Name='q'>v</x:Data>",
            "<Data Name = 'sp'>v</Data>",
            "<Data Name='a&amp;b'>v</Data>",
            "<Data Name='a' Name='b'>v</Data>",
            "<Data Name='a'Name2='b'>v</Data>",
            "<Data Name='gt>lt'>v</Data>",
            "<Data Name='x'>v</Data >",
            "<Data Name='x'>v</Dat>",
            "</Oops>",
            "<Unclosed>",
            "<Data\tName='tab'\r\n>v\r\nw</Data>",
            "<Data Name=\"dq\"/>",
            "<Data>no name</Data>",
            "<UserData><EventXML xmlns='x'><P>1</P><Q> </Q></EventXML></UserData>",
            "<RenderingInfo><Message>m &gt; n</Message></RenderingInfo>",
        ];
        for o in odd {
            texts.push(EV.replace("<Data Name='Image'>", &format!("{o}<Data Name='Image'>")));
        }
        texts.push(EV.replace("</Event>", "</Event> "));
        texts.push(EV.replace("</Event>", "</Event><x/>"));
        texts.push(format!(" {EV}"));
        for t in &texts {
            let (r, _) = both(t);
            assert_eq!(r, quick_only(t), "{t}");
        }
    }

    /// Random edits of an event (markup characters inserted, removed, changed):
    /// the scanner and quick-xml still agree on every one.
    #[test]
    fn the_scanner_agrees_with_quick_xml_on_random_edits() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"<>/&;'\"= \t\r\nax#:!?[]-";
        let base = EV.as_bytes();
        let (mut ok, mut err) = (0, 0);
        // FIREDRILL_FUZZ_EDITS=1000000 for a longer run.
        let n: usize = std::env::var("FIREDRILL_FUZZ_EDITS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        for _ in 0..n {
            let mut b = base.to_vec();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % b.len();
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => b.insert(at, c),
                    1 => {
                        b.remove(at);
                    }
                    _ => b[at] = c,
                }
            }
            let Ok(t) = String::from_utf8(b) else {
                continue;
            };
            let (r, _) = both(&t);
            let q = quick_only(&t);
            assert_eq!(r, q, "{t}");
            if q.is_ok() {
                ok += 1;
            } else {
                err += 1;
            }
        }
        assert!(ok > 500 && err > 500, "{ok} read, {err} malformed");
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

/// The text of an event's `<EventID>` element (`<EventID Qualifiers='0'>4688</EventID>`
/// gives `4688`), found by a scan without parsing the event.
pub(crate) fn event_id(bytes: &[u8]) -> Option<&str> {
    let at = memchr::memmem::find(bytes, b"<EventID")? + 8;
    let rest = bytes.get(at..)?;
    if !matches!(rest.first(), Some(b'>' | b' ' | b'\t' | b'\r' | b'\n')) {
        return None;
    }
    let open = memchr::memchr(b'>', rest)? + 1;
    let len = memchr::memchr(b'<', &rest[open..])?;
    std::str::from_utf8(&rest[open..open + len])
        .ok()
        .map(str::trim)
}

#[cfg(test)]
mod event_id_tests {
    #[test]
    fn finds_the_event_id_without_parsing() {
        assert_eq!(
            super::event_id(b"<Event><System><EventID>4688</EventID>"),
            Some("4688")
        );
        assert_eq!(
            super::event_id(b"<System><EventID Qualifiers='16384'>7045</EventID>"),
            Some("7045")
        );
        assert_eq!(super::event_id(b"<EventIDx>1</EventIDx>"), None);
        assert_eq!(super::event_id(b"<Event/>"), None);
    }
}
