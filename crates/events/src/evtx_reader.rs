//! Binary Windows event logs (`.evtx`) through the `evtx` crate: each record is
//! rendered to the same XML Splunk's XmlWinEventLog holds and read by that reader, so
//! an EVTX file and its XmlWinEventLog export give the same events.

use crate::xmlwin::parse_event;
use crate::{Skipped, SourceMeta};
use evtx::EvtxParser;
use firedrill_value::Event;

/// True if `bytes` start with the EVTX magic.
pub fn is_evtx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ElfFile\0")
}

/// Reads every record; a record that cannot be rendered or parsed is skipped and
/// reported with its record id.
pub fn read(bytes: &[u8], meta: &SourceMeta) -> Result<(Vec<Event>, Vec<Skipped>), String> {
    let mut parser = EvtxParser::from_buffer(bytes.to_vec())
        .map_err(|e| format!("not a readable EVTX file: {e}"))?;
    let mut events = Vec::new();
    let mut skipped = Vec::new();
    for record in parser.records() {
        match record {
            Ok(r) => {
                let xml = strip_declaration(&r.data);
                match parse_event(xml.as_bytes(), meta) {
                    Ok(e) => events.push(e),
                    Err(msg) => skipped.push(Skipped {
                        offset: 0,
                        len: 0,
                        reason: format!("EVTX record {}: {msg}", r.event_record_id),
                    }),
                }
            }
            Err(e) => skipped.push(Skipped {
                offset: 0,
                len: 0,
                reason: format!("EVTX record could not be read: {e}"),
            }),
        }
    }
    Ok((events, skipped))
}

fn strip_declaration(xml: &str) -> &str {
    match xml.find("<Event") {
        Some(i) => &xml[i..],
        None => xml,
    }
}
