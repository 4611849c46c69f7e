//! Event data for firedrill: readers that turn dataset bytes into [`Event`]s with the
//! search-time fields Splunk's add-ons give them, and the CIM data model rows that
//! `tstats` reads. The add-on extractions and data model mappings are data files
//! (`data/*.yml`), so a new mapping needs no Rust.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cim;
mod rules;
mod ssa;
mod ta;
mod xmlwin;

pub use cim::{datamodel_names, datamodel_rows, CimError};
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
    /// Not recognised.
    Unknown,
}

/// A region of the input that is not an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Byte offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Why it was skipped.
    pub reason: String,
}

/// Everything read from one file.
#[derive(Clone, Debug)]
pub struct ReadOutcome {
    /// The format used.
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
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::UnsupportedFormat { sourcetype, start } => write!(
                f,
                "no reader for this data (sourcetype {}; it starts with {start:?}); firedrill reads XmlWinEventLog so far",
                sourcetype.as_deref().unwrap_or("not given")
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// Recognises a format from the first bytes.
pub fn sniff(bytes: &[u8]) -> Format {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("<Event")
        || (t.starts_with("<?xml") && t.contains("<Event"))
        || t.contains("<Event xmlns")
    {
        Format::XmlWinEventLog
    } else {
        Format::Unknown
    }
}

/// Reads a whole dataset file: the reader comes from the sourcetype
/// (`xmlwineventlog`, any case) or from sniffing; malformed events are skipped and
/// reported, never fatal; add-on fields are applied to every event.
pub fn read_events(bytes: &[u8], meta: &SourceMeta) -> Result<ReadOutcome, ReadError> {
    let by_type = meta
        .sourcetype
        .as_deref()
        .map(|s| s.to_ascii_lowercase())
        .filter(|s| s.starts_with("xmlwineventlog"))
        .map(|_| Format::XmlWinEventLog);
    let format = match by_type {
        Some(f) => f,
        None => sniff(bytes),
    };
    match format {
        Format::XmlWinEventLog => {
            let (mut events, skipped) = xmlwin::read(bytes, meta);
            events.par_iter_mut().for_each(ta::apply);
            Ok(ReadOutcome {
                format,
                events,
                skipped,
            })
        }
        Format::Unknown => Err(ReadError::UnsupportedFormat {
            sourcetype: meta.sourcetype.clone(),
            start: String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned(),
        }),
    }
}
