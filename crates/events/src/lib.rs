//! Event data for firedrill: readers that turn dataset bytes into [`Event`]s with the
//! search-time fields Splunk's add-ons give them, and the CIM data model rows that
//! `tstats` reads. The add-on extractions and data model mappings are data files
//! (`data/*.yml`), so a new mapping needs no Rust.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod archive;
mod cim;
mod evtx_reader;
mod json_reader;
mod lines;
mod rules;
mod ssa;
mod ta;
mod xmlwin;

pub use cim::{datamodel_fed_by, datamodel_known, datamodel_names, datamodel_rows, CimError};
pub use ssa::ssa_enriched;

use firedrill_value::Event;
use rayon::prelude::*;
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Not recognised (binary data).
    Unknown,
}

/// A region of the input that is not an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Byte offset in the file (0 when the format has no byte positions, e.g. EVTX).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Why it was skipped.
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

/// Why a file could not be read at all.
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
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::UnsupportedFormat { sourcetype, start } => write!(
                f,
                "no reader for this binary data (sourcetype {}; it starts with {start:?})",
                sourcetype.as_deref().unwrap_or("not given")
            ),
            ReadError::Archive(m) | ReadError::Evtx(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ReadError {}

/// How firedrill reads a sourcetype, when it emulates its add-on: (reader, fields).
pub fn sourcetype_support(sourcetype: &str) -> Option<(String, String)> {
    static TABLE: std::sync::OnceLock<std::collections::BTreeMap<String, Support>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        serde_yaml_ng::from_str(include_str!("../data/sourcetypes.yml")).unwrap_or_default()
    });
    let st = sourcetype.to_ascii_lowercase();
    let hit = table.get(&st).or_else(|| {
        table
            .iter()
            .find(|(k, _)| {
                k.strip_suffix('*')
                    .is_some_and(|prefix| st.starts_with(prefix))
            })
            .map(|(_, v)| v)
    })?;
    Some((hit.reader.clone(), hit.fields.clone()))
}

#[derive(serde::Deserialize)]
struct Support {
    reader: String,
    fields: String,
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

/// The format a sourcetype names, when it names one unambiguously.
fn by_sourcetype(st: &str) -> Option<Format> {
    let st = st.to_ascii_lowercase();
    if st.starts_with("xmlwineventlog") {
        Some(Format::XmlWinEventLog)
    } else if st == "wineventlog" || st.starts_with("wineventlog:") {
        Some(Format::WinEventLog)
    } else {
        None
    }
}

/// Reads a whole dataset file. gzip and tar are unpacked (within limits); EVTX is
/// recognised by its magic; otherwise the sourcetype picks the reader, or sniffing
/// does. Malformed events are skipped and reported, never fatal; add-on fields are
/// applied to every event.
pub fn read_events(bytes: &[u8], meta: &SourceMeta) -> Result<ReadOutcome, ReadError> {
    if archive::is_gzip(bytes) {
        let inner = archive::gunzip(bytes).map_err(ReadError::Archive)?;
        return read_events(&inner, meta);
    }
    if archive::is_tar(bytes) || archive::is_zip(bytes) {
        let members = if archive::is_zip(bytes) {
            archive::unzip(bytes)
        } else {
            archive::untar(bytes)
        }
        .map_err(ReadError::Archive)?;
        let mut out = ReadOutcome {
            format: Format::Unknown,
            events: Vec::new(),
            skipped: Vec::new(),
        };
        for (name, data) in members {
            match read_events(&data, meta) {
                Ok(r) => {
                    out.format = r.format;
                    out.events.extend(r.events);
                    out.skipped.extend(r.skipped.into_iter().map(|mut s| {
                        s.reason = format!("{name}: {}", s.reason);
                        s
                    }));
                }
                Err(e) => out.skipped.push(Skipped {
                    offset: 0,
                    len: data.len() as u64,
                    reason: format!("archive member {name}: {e}"),
                }),
            }
        }
        return Ok(out);
    }
    let format = if evtx_reader::is_evtx(bytes) {
        Format::Evtx
    } else {
        match meta.sourcetype.as_deref().and_then(by_sourcetype) {
            Some(f) => f,
            None => sniff(bytes),
        }
    };
    let (mut events, skipped) = match format {
        Format::XmlWinEventLog => xmlwin::read(bytes, meta),
        Format::Evtx => evtx_reader::read(bytes, meta).map_err(ReadError::Evtx)?,
        Format::Json => json_reader::read(bytes, meta),
        Format::WinEventLog => lines::read_classic(bytes, meta),
        Format::Lines => (lines::read_lines(bytes, meta), Vec::new()),
        Format::Unknown => {
            return Err(ReadError::UnsupportedFormat {
                sourcetype: meta.sourcetype.clone(),
                start: String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned(),
            })
        }
    };
    events.par_iter_mut().for_each(ta::apply);
    Ok(ReadOutcome {
        format,
        events,
        skipped,
    })
}
