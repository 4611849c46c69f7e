//! Every reader (XmlWinEventLog, classic WinEventLog, JSON lines, EVTX, gzip, tar,
//! zip, nested) on any bytes: never a panic or a hang, and every batch and the end
//! account for the input (the first byte picks the sourcetype, so each text reader
//! is reached; binary formats are found by their magic bytes whatever it is). Seeds:
//! the repository's fixtures, `cargo +nightly fuzz run read corpus ../tests/fixtures
//! ../../../tests/fixtures/comsvcs`. `tests/mutations.rs` runs the same checks on
//! mutated fixtures with the stable toolchain, always.
#![no_main]

use firedrill_events::{open_reader, ReadOptions, SourceMeta};
use libfuzzer_sys::fuzz_target;

const SOURCETYPES: &[Option<&str>] = &[
    None,
    Some("XmlWinEventLog"),
    Some("WinEventLog"),
    Some("_json"),
    Some("linux:audit"),
    Some("suricata"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let meta = SourceMeta {
        sourcetype: SOURCETYPES[pick as usize % SOURCETYPES.len()].map(str::to_string),
        ..SourceMeta::default()
    };
    let opts = ReadOptions {
        batch_bytes: 1 + pick as usize * 64,
        ..ReadOptions::default()
    };
    let Ok(mut s) = open_reader(
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        "fuzz",
        &meta,
        &opts,
    ) else {
        return;
    };
    let mut events = 0u64;
    let mut failed = false;
    loop {
        match s.next_batch() {
            Ok(Some(b)) => events += b.len() as u64,
            Ok(None) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let end = s.finish();
    assert_eq!(end.events, events, "the end counts what was delivered");
    if !failed {
        assert_eq!(end.bytes, bytes.len() as u64, "every input byte is hashed");
    }
});
