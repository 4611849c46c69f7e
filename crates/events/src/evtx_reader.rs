//! Binary Windows event logs (`.evtx`) through the `evtx` crate: each record is
//! rendered to the same XML Splunk's XmlWinEventLog holds and read by that reader, so
//! an EVTX file and its XmlWinEventLog export give the same events.
//!
//! The file is read chunk by chunk (64 KiB each, in the record order the `evtx` crate
//! gives, which needs random access: a log that wrapped around starts mid-file); the
//! stream parses a batch of chunks in parallel. An EVTX file inside an archive or
//! from a reader is held in memory (within the archive limits) for that access.

use crate::ReadError;
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use std::io::Cursor;
use std::sync::{Arc, OnceLock};

/// True if `bytes` start with the EVTX magic.
pub fn is_evtx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ElfFile\0")
}

/// The chunks of an EVTX file, in record order.
pub(crate) type Chunks = Box<dyn Iterator<Item = Result<EvtxChunkData, EvtxError>> + Send>;

fn unreadable(e: EvtxError) -> ReadError {
    ReadError::Evtx(format!("not a readable EVTX file: {e}"))
}

/// The chunks of a file on disk.
pub(crate) fn chunks_of_file(f: std::fs::File) -> Result<Chunks, ReadError> {
    let p = EvtxParser::from_read_seek(f).map_err(unreadable)?;
    Ok(Box::new(p.into_chunks()))
}

/// The chunks of a file in memory.
pub(crate) fn chunks_of_buffer(bytes: Vec<u8>) -> Result<Chunks, ReadError> {
    let p = EvtxParser::from_read_seek(Cursor::new(bytes)).map_err(unreadable)?;
    Ok(Box::new(p.into_chunks()))
}

fn settings() -> Arc<ParserSettings> {
    static S: OnceLock<Arc<ParserSettings>> = OnceLock::new();
    S.get_or_init(|| Arc::new(ParserSettings::default()))
        .clone()
}

/// Calls `each` with every record of a chunk as (record id, XML without its
/// declaration), or with why a record could not be read. Carved (recovered) records
/// that do not render are noise and are left out, as the `evtx` crate's own record
/// iterator does.
pub(crate) fn records(
    chunk: Result<EvtxChunkData, EvtxError>,
    mut each: impl FnMut(Result<(u64, &str), String>),
) {
    let mut data = match chunk {
        Ok(d) => d,
        Err(e) => return each(Err(format!("EVTX record could not be read: {e}"))),
    };
    let mut chunk = match data.parse(settings()) {
        Ok(c) => c,
        Err(e) => return each(Err(format!("EVTX record could not be read: {e}"))),
    };
    for record in chunk.iter() {
        let recovered = record.as_ref().is_ok_and(|r| r.recovered);
        match record.and_then(|r| r.into_xml()) {
            Ok(r) => each(Ok((r.event_record_id, strip_declaration(&r.data)))),
            Err(_) if recovered => {}
            Err(e) => each(Err(format!("EVTX record could not be read: {e}"))),
        }
    }
}

fn strip_declaration(xml: &str) -> &str {
    match xml.find("<Event") {
        Some(i) => &xml[i..],
        None => xml,
    }
}
