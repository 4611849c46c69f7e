//! Binary Windows event logs (`.evtx`) through the `evtx` crate: each record is
//! rendered to the same XML Splunk's XmlWinEventLog holds and read by that reader, so
//! an EVTX file and its XmlWinEventLog export give the same events.
//!
//! The file is read chunk by chunk (64 KiB each, in the record order the `evtx` crate
//! gives, which needs random access: a log that wrapped around starts mid-file); the
//! stream parses a batch of chunks in parallel. An EVTX file inside an archive or
//! from a reader is held in memory (within the archive limits) for that access.

use crate::{ReadError, Skipped};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::sync::{Arc, OnceLock};

/// What a cut chunk is filled with: not a record's magic and not a valid BinXML token,
/// so a record the cut runs through fails to parse (zeros would end its XML early and
/// give a partial event) and nothing past it is taken for a record.
const FILL: u8 = 0xff;

/// The file header, then chunks of this size.
pub(crate) const HEADER: u64 = 4096;
const CHUNK: u64 = 64 * 1024;

/// True if `bytes` start with the EVTX magic.
pub fn is_evtx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ElfFile\0")
}

/// The chunks of an EVTX file, in record order.
pub(crate) type Chunks = Box<dyn Iterator<Item = Result<EvtxChunkData, EvtxError>> + Send>;

fn unreadable(e: EvtxError) -> ReadError {
    ReadError::Evtx(format!("not a readable EVTX file: {e}"))
}

/// The chunks of a file on disk, and the cut when the file ends inside a chunk.
pub(crate) fn chunks_of_file(mut f: std::fs::File) -> Result<(Chunks, Option<Skipped>), ReadError> {
    let io = |e: std::io::Error| ReadError::Io(format!("cannot read an EVTX file: {e}"));
    let len = f.metadata().map_err(io)?.len();
    let padded = padded_len(len);
    let mut keep = len;
    if padded > len {
        let start = last_chunk_start(len);
        let mut tail = Vec::new();
        f.seek(SeekFrom::Start(start)).map_err(io)?;
        (&mut f).take(CHUNK).read_to_end(&mut tail).map_err(io)?;
        keep = start + complete_records(&tail) as u64;
    }
    f.rewind().map_err(io)?;
    let p = EvtxParser::from_read_seek(Padded::new(f, keep, padded)).map_err(unreadable)?;
    Ok((Box::new(p.into_chunks()), cut(len, keep, padded)))
}

/// The chunks of a file in memory, and the cut when it ends inside a chunk.
pub(crate) fn chunks_of_buffer(mut bytes: Vec<u8>) -> Result<(Chunks, Option<Skipped>), ReadError> {
    let len = bytes.len() as u64;
    let padded = padded_len(len);
    let mut keep = len;
    if padded > len {
        let start = last_chunk_start(len);
        keep = start + complete_records(&bytes[start as usize..]) as u64;
    }
    bytes.truncate(keep as usize);
    bytes.resize(padded as usize, FILL);
    let p = EvtxParser::from_read_seek(Cursor::new(bytes)).map_err(unreadable)?;
    Ok((Box::new(p.into_chunks()), cut(len, keep, padded)))
}

/// A file cut inside a chunk (a truncated copy, an interrupted download) is read up to
/// the end of its last complete record, the rest of the chunk [`FILL`]ed: the `evtx`
/// crate would drop the whole chunk, and with it every record wholly before the cut;
/// a record the cut runs through would give an event made of garbage. The length it
/// is read at.
fn padded_len(len: u64) -> u64 {
    match len.checked_sub(HEADER) {
        Some(body) if body % CHUNK != 0 => HEADER + body.div_ceil(CHUNK) * CHUNK,
        _ => len,
    }
}

/// The bytes of chunk `number`: (offset, length).
pub(crate) fn chunk_span(number: u64) -> (u64, u64) {
    (HEADER + number * CHUNK, CHUNK)
}

fn last_chunk_start(len: u64) -> u64 {
    HEADER + (len - HEADER) / CHUNK * CHUNK
}

/// Bytes of a cut chunk up to the end of its last complete record (0 when even the
/// chunk's 512-byte header is cut).
fn complete_records(chunk: &[u8]) -> usize {
    if chunk.len() < 512 {
        return 0;
    }
    let mut at = 512;
    while let Some(head) = chunk.get(at..at + 8) {
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        if head[..4] != [0x2a, 0x2a, 0, 0] || size < 28 || at + size > chunk.len() {
            break;
        }
        at += size;
    }
    at
}

/// The region of a cut file that is not read, as skipped bytes.
fn cut(len: u64, keep: u64, padded: u64) -> Option<Skipped> {
    (padded > len).then(|| Skipped {
        offset: keep,
        len: len - keep,
        reason: format!(
            "the file ends inside EVTX chunk {} at byte {len} (it is cut short): the record at byte {keep} and any after it are lost",
            (len - HEADER) / CHUNK
        ),
    })
}

/// A reader of `len` bytes (positioned at its start) presented as `padded` bytes,
/// [`FILL`] past the end.
struct Padded<R> {
    inner: R,
    len: u64,
    padded: u64,
    pos: u64,
}

impl<R: Seek> Padded<R> {
    fn new(inner: R, len: u64, padded: u64) -> Padded<R> {
        Padded {
            inner,
            len,
            padded,
            pos: 0,
        }
    }
}

impl<R: Read + Seek> Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.len {
            let want = buf.len().min((self.len - self.pos) as usize);
            let n = self.inner.read(&mut buf[..want])?;
            self.pos += n as u64;
            return Ok(n);
        }
        let n = buf.len().min(self.padded.saturating_sub(self.pos) as usize);
        buf[..n].fill(FILL);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Padded<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.padded.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| std::io::Error::other("seek before the start of an EVTX file"))?;
        self.inner.seek(SeekFrom::Start(pos.min(self.len)))?;
        self.pos = pos;
        Ok(pos)
    }
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
