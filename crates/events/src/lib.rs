//! Event data for firedrill: readers that turn dataset files into events with the
//! search-time fields Splunk's add-ons give them, and the CIM data model views that
//! `tstats` reads. The add-on fields come from a [`SearchTime`] the caller gives
//! (firedrill-addons compiles Splunk's `props.conf`/`transforms.conf`, its built-in
//! apps included), and so do the data models ([`DataModels`], from Splunk's data model
//! JSON).
//!
//! Two ways to read:
//!
//! - [`open`] / [`open_reader`] give a [`Stream`]: the file is read once, in bounded
//!   memory, hashed in the same pass; each [`Batch`] of events is parsed in parallel
//!   and holds only the fields the [`ReadOptions::want`] names (as
//!   [`Record`](firedrill_value::Record)s), or every field (as
//!   [`Row`](firedrill_value::Row)s) when everything is wanted.
//! - [`read_events`] reads bytes in memory into full [`Event`]s (built on the same
//!   stream), and [`reparse`] gives every field of one event from its `_raw`.
//!
//! ```
//! use firedrill_events::{open_reader, ReadOptions, SourceMeta};
//! use firedrill_value::{FieldRef, Fields, Want};
//!
//! let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
//!   <EventID>1</EventID><TimeCreated SystemTime='2024-05-14T09:21:07.4829136Z'/>\
//!   <Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>wks-1</Computer>\
//!   </System><EventData><Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data></EventData></Event>";
//! let want = Want::of(["Image", "EventCode"]);
//! let opts = ReadOptions::with_want(want.shared());
//! let mut s = open_reader(Box::new(std::io::Cursor::new(xml)), "example", &SourceMeta::default(), &opts)?;
//! let batch = s.next_batch()?.expect("one batch");
//! let image = FieldRef::new("Image");
//! assert_eq!(batch.records[0].get(&image).map(|v| v.to_string()).as_deref(), Some(r"C:\Windows\System32\cmd.exe"));
//! assert_eq!(s.finish().events, 1);
//! # Ok::<(), firedrill_events::ReadError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod archive;
mod cim;
mod evtx_reader;
mod json_reader;
mod lines;
mod out;
mod rules;
mod source;
mod ssa;
mod stream;
mod table;
mod xmlwin;

pub use archive::{MAX_EXPANDED, MAX_RATIO};
pub use cim::{
    unknown_value, Calc, CimError, DataModels, DmEvent, DmFieldSpec, DmSet, DmSetSpec, DmValue,
    DmView, Feeds, Member,
};
pub use ssa::{ssa_enriched, ssa_inputs, ssa_row};
pub use stream::{open, open_reader, Batch, ReadOptions, Stream, StreamEnd, DEFAULT_BATCH_BYTES};
pub use table::TableError;
pub use xmlwin::MAX_EVENT_BYTES;

use firedrill_value::{Event, FieldsMut, Row, Want};
use std::fmt;

/// Splunk metadata to give the events (from the test or the dataset's metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMeta {
    /// `source`, e.g. `XmlWinEventLog:Microsoft-Windows-Sysmon/Operational`.
    pub source: Option<String>,
    /// `sourcetype`, e.g. `XmlWinEventLog`.
    pub sourcetype: Option<String>,
    /// `host`.
    pub host: Option<String>,
}

/// The formats firedrill can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
pub enum Format {
    /// Splunk's XmlWinEventLog text: `<Event>` elements one after another.
    XmlWinEventLog,
    /// Binary Windows event log (`.evtx`).
    Evtx,
    /// JSON lines, concatenated objects or an array.
    Json,
    /// Classic multi-line WinEventLog text.
    WinEventLog,
    /// Any other text, one event per line, with `key=value` extraction.
    Lines,
    /// Text, one event per line, nothing extracted (an add-on's `KV_MODE = none`).
    Text,
    /// Not recognised (binary data).
    Unknown,
}

impl Format {
    /// How many formats there are (`Unknown` is the last).
    pub(crate) const COUNT: usize = Format::Unknown as usize + 1;

    /// The sourcetype its reader gives events when the metadata gives none.
    pub(crate) fn default_sourcetype(self) -> &'static str {
        match self {
            Format::XmlWinEventLog | Format::Evtx => "XmlWinEventLog",
            Format::Json => "_json",
            Format::WinEventLog => "WinEventLog",
            Format::Lines | Format::Text | Format::Unknown => "",
        }
    }
}

/// A region of the input that is not an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Byte offset in the file, or in the decompressed data (0 when the format has
    /// no byte positions, e.g. EVTX).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Why it was skipped (inside an archive, the member's name first).
    pub reason: String,
}

/// Everything read from one file.
#[derive(Clone, Debug)]
pub struct ReadOutcome {
    /// The format used (for an archive, its members' format).
    pub format: Format,
    /// The events, in file order.
    pub events: Vec<Event>,
    /// What was skipped, with offsets.
    pub skipped: Vec<Skipped>,
}

/// Why a file could not be read (at all, or past some point). Messages name archive
/// members and limits but not the file itself: callers prefix its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// No reader for this sourcetype or content.
    UnsupportedFormat {
        /// The sourcetype given, if any.
        sourcetype: Option<String>,
        /// The first bytes, escaped.
        start: String,
    },
    /// A compressed or archived dataset could not be unpacked.
    Archive(String),
    /// An EVTX file could not be opened.
    Evtx(String),
    /// Reading the bytes failed.
    Io(String),
    /// A limit against decompression bombs was reached (the message names it).
    Limit(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::UnsupportedFormat { sourcetype, start } => write!(
                f,
                "no reader for this binary data (sourcetype {}; it starts with {start:?})",
                sourcetype.as_deref().unwrap_or("not given")
            ),
            ReadError::Archive(m) | ReadError::Evtx(m) | ReadError::Io(m) | ReadError::Limit(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for ReadError {}

/// How firedrill reads a sourcetype, when it emulates its add-on: (reader, fields).
pub fn sourcetype_support(sourcetype: &str) -> Option<(String, String)> {
    support(sourcetype).map(|s| (s.reader.clone(), s.fields.clone()))
}

/// True if events of `sourcetype` are Windows event logs (`data/sourcetypes.yml`'s
/// `os: windows`), for counting what content covers.
pub fn is_windows_sourcetype(sourcetype: &str) -> bool {
    support(sourcetype).is_some_and(|s| s.os.as_deref() == Some("windows"))
}

/// True if events of `sourcetype` carry an event log's `Channel` and `EventCode`
/// (their reader is XmlWinEventLog or WinEventLog), so constraints on a channel apply.
pub fn has_channels(sourcetype: &str) -> bool {
    support(sourcetype)
        .is_some_and(|s| matches!(s.reader.as_str(), "XmlWinEventLog" | "WinEventLog"))
}

fn support(sourcetype: &str) -> Option<&'static Support> {
    static TABLE: std::sync::OnceLock<std::collections::BTreeMap<String, Support>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        table::expect(table::parse(
            "data/sourcetypes.yml",
            include_str!("../data/sourcetypes.yml"),
        ))
    });
    let st = sourcetype.to_ascii_lowercase();
    table.get(&st).or_else(|| {
        table
            .iter()
            .find(|(k, _)| {
                k.strip_suffix('*')
                    .is_some_and(|prefix| st.starts_with(prefix))
            })
            .map(|(_, v)| v)
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Support {
    reader: String,
    fields: String,
    /// The reader every file of the sourcetype gets, whatever its content looks like.
    #[serde(default)]
    format: Option<Format>,
    /// `windows` or `linux`, for sourcetypes of an operating system's event logs.
    #[serde(default)]
    os: Option<String>,
}

/// Recognises a format from the content.
pub fn sniff(bytes: &[u8]) -> Format {
    if evtx_reader::is_evtx(bytes) {
        return Format::Evtx;
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("<Event")
        || (t.starts_with("<?xml") && t.contains("<Event"))
        || t.contains("<Event xmlns")
    {
        Format::XmlWinEventLog
    } else if json_reader::looks_like_json(head) {
        Format::Json
    } else if lines::looks_classic(head) {
        Format::WinEventLog
    } else if head.contains(&0) {
        Format::Unknown
    } else {
        Format::Lines
    }
}

/// The format a sourcetype names, when it names one (`format` in
/// `data/sourcetypes.yml`).
fn by_sourcetype(st: &str) -> Option<Format> {
    support(st).and_then(|s| s.format)
}

/// Adds to `want` what computing its fields with `knowledge` reads (the inputs of
/// the settings that set wanted fields, and theirs), until nothing more is added.
/// Readers need nothing more: what they derive fields from (`EventID` for
/// `EventCode`, `Computer` for `host`) they read whether or not it is wanted.
pub fn expand_want_with(want: &mut Want, knowledge: Option<&dyn SearchTime>) {
    expand_want_for(want, knowledge, None)
}

/// [`expand_want_with`] for events of one sourcetype (as the reader gives it: the
/// settings of other sourcetypes' stanzas are left out), or of any (`None`).
pub fn expand_want_for(
    want: &mut Want,
    knowledge: Option<&dyn SearchTime>,
    sourcetype: Option<&str>,
) {
    loop {
        let before = want.len();
        match knowledge {
            Some(k) => k.expand(want, sourcetype),
            None => return,
        }
        if want.len() == before || want.all {
            return;
        }
    }
}

/// Search-time knowledge: Splunk apps' `props.conf` / `transforms.conf` (firedrill's
/// built-in apps and a user's, compiled by `firedrill-addons`), applied to each
/// event after the reader, on both reading paths.
pub trait SearchTime: Send + Sync + fmt::Debug {
    /// Adds to `want` what computing its fields reads on events of `sourcetype` (any
    /// when `None`), one step; the caller repeats.
    fn expand(&self, want: &mut Want, sourcetype: Option<&str>);
    /// Computes on `ev` the fields `want` names (every field when `want.all`).
    fn apply(&self, ev: &mut dyn FieldsMut, want: &Want);
    /// The data models the knowledge defines (Splunk's data model JSON).
    fn datamodels(&self) -> &DataModels;
    /// True if every value `field` can have after these fields are computed on an
    /// event of `sourcetype` (any source and host), among those `matches` accepts, is
    /// a piece of a field for which `reader` is true (the reader's fields that are
    /// pieces of an event's raw text), or is the reader's own value of it. The
    /// default knows nothing of its fields: false.
    fn keeps_pieces(
        &self,
        field: &str,
        sourcetype: &str,
        reader: &dyn Fn(&str) -> bool,
        matches: &dyn Fn(&firedrill_value::Value) -> bool,
    ) -> bool {
        let _ = (field, sourcetype, reader, matches);
        false
    }
    /// How the reader takes fields from a file with this metadata (`KV_MODE`,
    /// `INDEXED_EXTRACTIONS`), when the knowledge says.
    fn kv_mode(&self, meta: &SourceMeta) -> Option<KvMode> {
        let _ = meta;
        None
    }
}

/// How the reader takes fields from a file's text, as an add-on's `KV_MODE` or
/// `INDEXED_EXTRACTIONS` says (without either, firedrill reads by the data's format:
/// XML event logs, JSON, or lines with automatic `key=value` pairs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvMode {
    /// `KV_MODE = none`: one event per line, no automatic extraction (binary EVTX
    /// records are still events).
    None,
    /// `KV_MODE = json` or `INDEXED_EXTRACTIONS = json`: the JSON reader.
    Json,
}

/// Splunk's default fields that no event text gives (`index`, `linecount`,
/// `date_hour`…): set from metadata, or not at all.
const DEFAULT_FIELDS: &[&str] = &[
    "host",
    "source",
    "sourcetype",
    "index",
    "eventtype",
    "tag",
    "linecount",
    "punct",
    "splunk_server",
    "splunk_server_group",
    "timestartpos",
    "timeendpos",
];

/// True if every value the XmlWinEventLog reader gives `field` is a piece of the
/// event's text, as written (XML escapes aside): every field but the metadata
/// (`_time`, `host`, `source`, `sourcetype`) and Splunk's default fields. The
/// reader's `host` is the `Computer` it read, unless the dataset names one.
pub fn raw_piece(field: &str) -> bool {
    field == "_raw"
        || !(field.starts_with('_')
            || field.starts_with("date_")
            || field.starts_with("tag::")
            || DEFAULT_FIELDS.contains(&field))
}

/// Every field the reader gives one event, from its `_raw` (for the few events a
/// detection needs whole). `format` is the stream's ([`StreamEnd::format`]); EVTX
/// events' `_raw` is their XML.
pub fn reparse(raw: &str, format: Format, meta: &SourceMeta) -> Result<Row, String> {
    reparse_with(raw, format, meta, None)
}

/// [`reparse`] with `knowledge`'s add-on fields too.
pub fn reparse_with(
    raw: &str,
    format: Format,
    meta: &SourceMeta,
    knowledge: Option<&dyn SearchTime>,
) -> Result<Row, String> {
    let names = out::Names::everything();
    let mut ev = out::Ev::default();
    let mut o = out::EvOut::new(&mut ev, names);
    match format {
        Format::XmlWinEventLog | Format::Evtx => xmlwin::parse_text(raw, meta, &mut o)?,
        Format::Unknown => return Err("no reader for this format".into()),
        f => stream::parse_into(f, raw.as_bytes(), 0, meta, &mut o)?,
    }
    if let Some(k) = knowledge {
        k.apply(&mut ev, &Want::everything());
    }
    Ok(ev.take_row(names))
}

/// Reads a whole dataset file held in memory. gzip, tar and zip are unpacked (within
/// limits); EVTX is recognised by its magic; otherwise the sourcetype picks the
/// reader, or sniffing does. Malformed events are skipped and reported, never fatal;
/// add-on fields are applied to every event. The same stream as [`open`], with
/// everything wanted.
pub fn read_events(bytes: &[u8], meta: &SourceMeta) -> Result<ReadOutcome, ReadError> {
    let mut s = stream::open_bytes(bytes.to_vec(), meta, &ReadOptions::default())?;
    let mut events = Vec::new();
    let mut skipped = Vec::new();
    while let Some(b) = s.next_batch()? {
        events.extend(b.rows.into_iter().map(|fields| Event { fields }));
        skipped.extend(b.skipped);
    }
    Ok(ReadOutcome {
        format: s.finish().format,
        events,
        skipped,
    })
}

/// For the benchmark (`benches/read.rs`): splits XmlWinEventLog text from `r` into
/// events without parsing them (the splitter's own speed), returning the number of
/// events and of bytes.
#[doc(hidden)]
pub fn split_only(mut r: impl std::io::Read) -> std::io::Result<(u64, u64)> {
    let mut sp = xmlwin::XmlSplit::new(0);
    let (mut units, mut skipped) = (Vec::new(), Vec::new());
    let mut buf: Vec<u8> = Vec::new();
    let (mut base, mut events, mut bytes) = (0u64, 0u64, 0u64);
    let mut piece = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut piece)?;
        buf.extend_from_slice(&piece[..n]);
        bytes += n as u64;
        sp.scan(&buf, base, n == 0, &mut units, &mut skipped);
        events += units.len() as u64;
        units.clear();
        let cut = sp.needed_from().min(base + buf.len() as u64);
        buf.drain(..(cut - base) as usize);
        base = cut;
        if n == 0 {
            return Ok((events, bytes));
        }
    }
}
