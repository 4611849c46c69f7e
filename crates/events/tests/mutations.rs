//! The readers on damaged input, always run (the `cargo fuzz` target `read` in
//! `crates/events/fuzz` explores further): the fixtures cut, bit-flipped, with bytes
//! inserted and removed, wrapped in gzip and tar, under every sourcetype. None may
//! panic or hang, and every input byte is hashed whatever was read.

use firedrill_events::{open_reader, ReadOptions, SourceMeta};
use std::io::Write;

const SOURCETYPES: &[Option<&str>] = &[
    None,
    Some("XmlWinEventLog"),
    Some("WinEventLog"),
    Some("_json"),
    Some("linux:audit"),
];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let here = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for dir in [
        format!("{here}/tests/fixtures"),
        format!("{here}/../../tests/fixtures/comsvcs"),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".gitattributes"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    }
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn tar(b: &[u8]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(b.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    t.append_data(&mut h, "data/x.log", b).unwrap();
    t.into_inner().unwrap()
}

fn mutate(r: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + r.below(4) {
        if b.is_empty() {
            break;
        }
        match r.below(5) {
            0 => b.truncate(r.below(b.len())),
            1 => {
                let i = r.below(b.len());
                b[i] ^= 1 << r.below(8);
            }
            2 => {
                let i = r.below(b.len());
                let junk: Vec<u8> = (0..r.below(64)).map(|_| r.next() as u8).collect();
                b.splice(i..i, junk);
            }
            3 => {
                let i = r.below(b.len());
                let j = (i + r.below(256)).min(b.len());
                b.drain(i..j);
            }
            _ => {
                // Repeat a slice (openings without ends, duplicated records).
                let i = r.below(b.len());
                let j = (i + r.below(64)).min(b.len());
                let piece = b[i..j].to_vec();
                for _ in 0..r.below(50) {
                    b.splice(i..i, piece.iter().copied());
                }
            }
        }
    }
    b
}

fn read(bytes: &[u8], sourcetype: Option<&str>, batch_bytes: usize) {
    let meta = SourceMeta {
        sourcetype: sourcetype.map(str::to_string),
        ..SourceMeta::default()
    };
    let opts = ReadOptions {
        batch_bytes,
        ..ReadOptions::default()
    };
    let Ok(mut s) = open_reader(
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        "mutated",
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
}

#[test]
fn damaged_input_never_panics_and_is_accounted_for() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds = seeds();
    assert!(seeds.len() >= 5);
    let started = std::time::Instant::now();
    for round in 0..600 {
        let seed = seeds[round % seeds.len()].clone();
        let mut b = mutate(&mut r, seed);
        match r.below(4) {
            0 => b = gzip(&b),
            1 => b = gzip(&tar(&b)),
            _ => {}
        }
        let st = SOURCETYPES[r.below(SOURCETYPES.len())];
        read(&b, st, 1 + r.below(8192));
    }
    assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());
}
