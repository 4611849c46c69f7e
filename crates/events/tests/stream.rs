//! Streams: restricted reads equal full reads for every wanted field; archives and
//! limits as streams; hashes and counts; batch boundaries do not change results.

use firedrill_events::{
    expand_want_with, open, open_reader, read_events, reparse, reparse_with, Batch, DataModels,
    Format, ReadError, ReadOptions, ReadOutcome, SearchTime, SourceMeta, Stream,
};
use firedrill_value::{Fields, Record, Row, Value, Want};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CLASSIC: &str = "08/10/2023 02:13:45 PM\nLogName=Security\nEventCode=4688\nComputerName=ws1.corp.example\nRecordNumber=42\nMessage=A new process has been created.\n\nCreator Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tWS1$\n\nTarget Subject:\n\tAccount Name:\t\tbob\n\nProcess Information:\n\tNew Process ID:\t\t0x1a2c\n\tNew Process Name:\tC:\\Windows\\System32\\rundll32.exe\n\tCreator Process Name:\tC:\\Windows\\explorer.exe\n\tProcess Command Line:\trundll32.exe comsvcs.dll MiniDump 1 x full\n08/10/2023 02:13:46 PM\nLogName=Security\nEventCode=4624\nComputerName=ws1.corp.example\nMessage=An account was successfully logged on.\n";

const NXLOG: &str = "{\"EventID\":1,\"Hostname\":\"h1\",\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"CommandLine\":\"cmd /c whoami\",\"ParentImage\":\"C:\\\\x\\\\explorer.exe\",\"EventTime\":\"2020-01-01 10:00:00\"}\nnot json\n{\"EventID\":4688,\"Hostname\":\"h2\",\"Channel\":\"Security\",\"NewProcessName\":\"C:\\\\a\\\\b.exe\",\"time\":1600000000}\n";

const AUDIT: &str = "type=EXECVE msg=audit(1602345678.123:456): argc=3 a0=\"bash\" a1=-c\ntype=SYSCALL msg=audit(1602345679.000:457): exe=\"/bin/sh\" key=x\n";

/// Inputs in every format that has no binary fixture, with the metadata to read them.
fn inputs() -> Vec<(String, Vec<u8>, SourceMeta)> {
    let st = |s: &str| SourceMeta {
        sourcetype: Some(s.into()),
        ..SourceMeta::default()
    };
    vec![
        (
            "messy.log".into(),
            fixture("messy.log"),
            SourceMeta::default(),
        ),
        (
            "sysmon_1.log".into(),
            fixture("sysmon_1.log"),
            SourceMeta::default(),
        ),
        (
            "security_4688.log".into(),
            fixture("security_4688.log"),
            SourceMeta::default(),
        ),
        (
            "sysmon_1.log as xmlwineventlog".into(),
            fixture("sysmon_1.log"),
            SourceMeta {
                source: Some("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational".into()),
                sourcetype: Some("xmlwineventlog".into()),
                host: Some("replay".into()),
            },
        ),
        (
            "classic".into(),
            CLASSIC.as_bytes().to_vec(),
            st("wineventlog"),
        ),
        (
            "nxlog".into(),
            NXLOG.as_bytes().to_vec(),
            SourceMeta::default(),
        ),
        ("audit".into(), AUDIT.as_bytes().to_vec(), st("linux:audit")),
    ]
}

fn read_all(s: &mut Stream) -> Vec<Batch> {
    let mut out = Vec::new();
    while let Some(b) = s.next_batch().unwrap() {
        out.push(b);
    }
    out
}

/// The built-in apps (firedrill-addons), whose fields a run computes.
fn addons() -> Arc<firedrill_addons::AddOns> {
    firedrill_addons::builtin::get()
}

/// A full read with every add-on field, as a run computes them for whole events.
fn read_full(bytes: &[u8], meta: &SourceMeta) -> ReadOutcome {
    let mut out = read_events(bytes, meta).unwrap();
    let a = addons();
    for e in &mut out.events {
        a.apply(&mut e.fields, &Want::everything());
    }
    out
}

/// `want` with what computing its add-on fields reads.
fn expand_want(want: &mut Want) {
    expand_want_with(want, Some(&*addons()));
}

/// The records of a restricted read, with the add-on fields `want` names.
fn records(bytes: &[u8], meta: &SourceMeta, want: Want, batch_bytes: usize) -> Vec<Record> {
    let opts = ReadOptions {
        want: Arc::new(want),
        batch_bytes,
        event_codes: None,
        need: None,
        knowledge: Some(addons()),
    };
    let mut s = open_reader(
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        "test",
        meta,
        &opts,
    )
    .unwrap();
    let b = read_all(&mut s);
    assert!(b.iter().all(|b| b.rows.is_empty()));
    b.into_iter().flat_map(|b| b.records).collect()
}

/// `full` restricted to `names` and the fields every record has.
fn expected(full: &Row, names: &BTreeSet<String>) -> Row {
    full.iter()
        .filter(|(k, _)| {
            names.contains(*k) || ["_time", "host", "source", "sourcetype"].contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn check(label: &str, bytes: &[u8], meta: &SourceMeta, names: &BTreeSet<String>, expand: bool) {
    let full = read_full(bytes, meta);
    let mut want = Want::of(names.iter().map(String::as_str));
    if expand {
        expand_want(&mut want);
    }
    let kept: BTreeSet<String> = want.names().map(str::to_string).collect();
    let recs = records(bytes, meta, want, 1 << 20);
    assert_eq!(recs.len(), full.events.len(), "{label}: event count");
    for (i, (r, e)) in recs.iter().zip(&full.events).enumerate() {
        assert_eq!(
            r.to_row(),
            expected(&e.fields, &kept),
            "{label}: event {i}, want {names:?}"
        );
    }
}

#[test]
fn every_field_alone_equals_the_full_read() {
    for (label, bytes, meta) in inputs() {
        let full = read_full(&bytes, &meta);
        let all: BTreeSet<String> = full
            .events
            .iter()
            .flat_map(|e| e.fields.keys().cloned())
            .collect();
        assert!(all.len() > 5, "{label}");
        for name in &all {
            let one = BTreeSet::from([name.clone()]);
            check(&label, &bytes, &meta, &one, false);
            check(&label, &bytes, &meta, &one, true);
        }
        // Everything at once, every add-on output, and names no event has.
        check(&label, &bytes, &meta, &all, false);
        let outputs: BTreeSet<String> =
            addons().outputs().into_iter().map(str::to_string).collect();
        check(&label, &bytes, &meta, &outputs, false);
        check(&label, &bytes, &meta, &outputs, true);
        let none = BTreeSet::from(["no_such_field".to_string()]);
        check(&label, &bytes, &meta, &none, false);
    }
}

#[test]
fn data_model_views_from_records_equal_the_rows() {
    let dms = firedrill_addons::builtin::datamodels();
    for (label, bytes, meta) in inputs() {
        let full = read_full(&bytes, &meta);
        for name in dms.names() {
            let ds = dms.resolve(&name).unwrap();
            let fields: Vec<&str> = ds.field_names().collect();
            let mut want = Want::default();
            for f in dms.inputs(&name, &fields).unwrap() {
                want.add(&f);
            }
            expand_want(&mut want);
            let recs = records(&bytes, &meta, want, 1 << 20);
            let from_records: Vec<Row> = recs
                .iter()
                .filter(|r| ds.contains(*r))
                .map(|r| ds.row(r))
                .collect();
            let rows = dms.rows(&name, &full.events).unwrap();
            assert_eq!(from_records, rows, "{label}: {name}");
            for (r, row) in recs.iter().filter(|r| ds.contains(*r)).zip(&rows) {
                let view = ds.view(r);
                for (k, v) in row {
                    assert_eq!(view.get_str(k), Some(v), "{label}: {name} {k}");
                }
            }
        }
        // The SSA view, the same way.
        let mut want = Want::of(firedrill_events::ssa_inputs());
        expand_want(&mut want);
        let recs = records(&bytes, &meta, want, 1 << 20);
        let a: Vec<Row> = recs.iter().filter_map(firedrill_events::ssa_row).collect();
        assert_eq!(
            a,
            firedrill_events::ssa_enriched(&full.events),
            "{label}: ssa"
        );
    }
}

#[test]
fn small_batches_give_the_same_events_and_skipped_regions() {
    for (label, bytes, meta) in inputs() {
        let full = read_events(&bytes, &meta).unwrap();
        for batch_bytes in [1, 100, 1000] {
            let opts = ReadOptions {
                want: Arc::new(Want::everything()),
                batch_bytes,
                event_codes: None,
                need: None,
                knowledge: None,
            };
            let mut s = open_reader(
                Box::new(std::io::Cursor::new(bytes.clone())),
                "t",
                &meta,
                &opts,
            )
            .unwrap();
            let batches = read_all(&mut s);
            let rows: Vec<Row> = batches.iter().flat_map(|b| b.rows.clone()).collect();
            let skipped: Vec<_> = batches.iter().flat_map(|b| b.skipped.clone()).collect();
            let full_rows: Vec<Row> = full.events.iter().map(|e| e.fields.clone()).collect();
            assert_eq!(rows, full_rows, "{label} at {batch_bytes}");
            assert_eq!(skipped, full.skipped, "{label} at {batch_bytes}");
            let end = s.finish();
            assert_eq!(end.events as usize, rows.len());
            assert_eq!(end.skipped as usize, skipped.len());
            assert_eq!(end.format, full.format);
        }
    }
}

#[test]
fn reparse_gives_every_field_back_from_raw() {
    for (label, bytes, meta) in inputs() {
        let full = read_events(&bytes, &meta).unwrap();
        for e in &full.events {
            let row = reparse(e.raw(), full.format, &meta).unwrap();
            assert_eq!(row, e.fields, "{label}");
        }
        let full = read_full(&bytes, &meta);
        for e in &full.events {
            let row = reparse_with(e.raw(), full.format, &meta, Some(&*addons())).unwrap();
            assert_eq!(row, e.fields, "{label}: with the add-on fields");
        }
    }
    assert!(reparse("x", Format::Unknown, &SourceMeta::default()).is_err());
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Opens `bytes` as a file on disk and reads it all.
fn read_file(bytes: &[u8], want: Want) -> (Vec<Batch>, firedrill_events::StreamEnd) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    std::fs::write(&path, bytes).unwrap();
    let mut s = open(
        &path,
        &SourceMeta::default(),
        &ReadOptions::with_want(Arc::new(want)),
    )
    .unwrap();
    let b = read_all(&mut s);
    (b, s.finish())
}

#[test]
fn files_are_hashed_as_stored_in_the_same_pass() {
    let xml = fixture("messy.log");
    let tgz = gzip(&tar(&[
        ("a/sysmon.log", &fixture("sysmon_1.log")),
        ("b/messy.log", &xml),
    ]));
    let z = zip(&[
        ("sysmon.log", &fixture("sysmon_1.log")),
        ("c.log", CLASSIC.as_bytes()),
    ]);
    for (what, bytes, events) in [
        ("plain", xml.clone(), 3),
        ("gzip", gzip(&xml), 3),
        ("tar", tar(&[("x.log", &xml)]), 3),
        ("tar.gz", tgz, 4),
        ("zip", z, 3),
        ("empty", Vec::new(), 0),
    ] {
        let (batches, end) = read_file(&bytes, Want::of(["EventCode"]));
        let n: usize = batches.iter().map(|b| b.records.len()).sum();
        assert_eq!(n, events, "{what}");
        assert_eq!(end.events as usize, events, "{what}");
        assert_eq!(end.bytes, bytes.len() as u64, "{what}");
        assert_eq!(end.sha256, sha(&bytes), "{what}");
        // The same through a reader.
        let mut s = open_reader(
            Box::new(std::io::Cursor::new(bytes.clone())),
            what,
            &SourceMeta::default(),
            &ReadOptions::default(),
        )
        .unwrap();
        read_all(&mut s);
        let end = s.finish();
        assert_eq!(end.sha256, sha(&bytes), "{what} from a reader");
        assert_eq!(end.events as usize, events, "{what} from a reader");
    }
    // finish() before the end still hashes the whole file.
    let big = xml.repeat(2000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    std::fs::write(&path, &big).unwrap();
    let opts = ReadOptions {
        want: Arc::new(Want::of(["EventCode"])),
        batch_bytes: 4096,
        event_codes: None,
        need: None,
        knowledge: None,
    };
    let mut s = open(&path, &SourceMeta::default(), &opts).unwrap();
    assert!(s.next_batch().unwrap().is_some());
    let end = s.finish();
    assert_eq!(end.sha256, sha(&big));
    assert!(end.events < 6000);
}

#[test]
fn archive_members_are_read_and_their_regions_named() {
    let xml = fixture("messy.log");
    let bytes = tar(&[
        ("one/messy.log", &xml),
        ("two/bin.dat", &[0u8, 159, 146, 150, 0, 1, 2, 3]),
        ("three/nested.log.gz", &gzip(&fixture("sysmon_1.log"))),
        ("four/broken.gz", b"\x1f\x8bnot gzip at all"),
    ]);
    let out = read_events(&bytes, &SourceMeta::default()).unwrap();
    assert_eq!(out.format, Format::XmlWinEventLog);
    assert_eq!(out.events.len(), 4);
    let reasons: Vec<&str> = out.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons[0].starts_with("one/messy.log: text between events"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("one/messy.log: unterminated"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("archive member two/bin.dat: no reader"),
        "{reasons:?}"
    );
    assert!(
        reasons[3].starts_with("archive member four/broken.gz: gzip data is corrupt"),
        "{reasons:?}"
    );
    assert_eq!(out.skipped[2].len, 8);
    // Offsets are in the member.
    let text = String::from_utf8(xml).unwrap();
    assert_eq!(
        out.skipped[1].offset as usize,
        text.rfind("<Event ").unwrap()
    );
}

#[test]
fn gzip_round_trip_corruption_and_bomb_limit() {
    let out = read_events(&gzip(b"x=1\ny=2\n"), &SourceMeta::default()).unwrap();
    assert_eq!(out.events.len(), 2);
    assert_eq!(out.format, Format::Lines);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![b'a'; 50 << 20]).unwrap();
    let bomb = e.finish().unwrap();
    match read_events(&bomb, &SourceMeta::default()) {
        Err(e @ ReadError::Limit(_)) => {
            assert!(e.to_string().contains("decompression bomb"), "{e}")
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
    // From a reader (size unknown) the ratio is of the compressed bytes read so far.
    let mut s = open_reader(
        Box::new(std::io::Cursor::new(bomb)),
        "bomb",
        &SourceMeta::default(),
        &ReadOptions::default(),
    );
    let err = loop {
        match s
            .as_mut()
            .map_err(|e| e.clone())
            .and_then(|s| s.next_batch())
        {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the bomb was read"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, ReadError::Limit(_)), "{err}");
    assert!(matches!(
        read_events(b"\x1f\x8bnot gzip", &SourceMeta::default()),
        Err(ReadError::Archive(_))
    ));
}

#[test]
fn zip_members_and_broken_zips() {
    let bytes = zip(&[("data/a.log", b"x=1\ny=2\n"), ("data/b.log", b"z=3\n")]);
    let out = read_events(&bytes, &SourceMeta::default()).unwrap();
    assert_eq!(out.events.len(), 3);
    assert_eq!(out.events[2].get("z"), &Value::str("3"));
    assert!(matches!(
        read_events(b"PK\x03\x04broken", &SourceMeta::default()),
        Err(ReadError::Archive(_))
    ));
}

#[test]
fn unsupported_data_is_refused_at_open() {
    let binary = [0u8, 159, 146, 150, 0, 1, 2, 3];
    let err = open_reader(
        Box::new(std::io::Cursor::new(binary.to_vec())),
        "bin",
        &SourceMeta::default(),
        &ReadOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, ReadError::UnsupportedFormat { .. }), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let err = open(
        &dir.path().join("missing"),
        &SourceMeta::default(),
        &ReadOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, ReadError::Io(_)), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn raw_and_xml_extras_only_when_wanted() {
    let bytes = fixture("sysmon_1.log");
    let r = &records(&bytes, &SourceMeta::default(), Want::of(["Image"]), 1 << 20)[0];
    let names: BTreeSet<&str> = r.iter().map(|(s, _)| s.name()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["Image", "_time", "host", "source", "sourcetype"])
    );
    let r = &records(
        &bytes,
        &SourceMeta::default(),
        Want::of(["_raw", "EventData_Xml"]),
        1 << 20,
    )[0];
    assert!(r.get_str("_raw").is_some());
    assert!(r.get_str("EventData_Xml").is_some());
    assert!(r.get_str("System_Props_Xml").is_none());
}

#[test]
fn streams_and_their_parts_move_between_threads() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Stream>();
    send::<Batch>();
    sync::<DataModels>();
    sync::<firedrill_addons::AddOns>();
    sync::<ReadOptions>();
}

/// `event_codes`: events with another EventID are counted but not delivered; the
/// fields of those delivered are as without the filter.
#[test]
fn event_codes_skip_other_events_unparsed_but_count_them() {
    let dir = "../../examples/attack_data/datasets/attack_techniques/T1003.001/firedrill_example";
    let mut bytes = std::fs::read(format!("{dir}/windows-sysmon.log")).unwrap();
    bytes.extend(std::fs::read(format!("{dir}/windows-security.log")).unwrap());
    let meta = SourceMeta::default();
    let read = |codes: Option<&[&str]>| {
        let opts = ReadOptions {
            want: Arc::new(Want::of(["EventCode", "Image"])),
            batch_bytes: 1 << 20,
            event_codes: codes.map(|c| Arc::new(c.iter().map(|s| s.to_string()).collect())),
            need: None,
            knowledge: None,
        };
        let mut s = open_reader(
            Box::new(std::io::Cursor::new(bytes.clone())),
            "t",
            &meta,
            &opts,
        )
        .unwrap();
        let mut got = Vec::new();
        while let Some(b) = s.next_batch().unwrap() {
            got.extend(b.records);
        }
        (got, s.finish().events)
    };
    let (all, n_all) = read(None);
    let (ones, n_ones) = read(Some(&["1"]));
    assert_eq!(n_all, n_ones, "every event is counted");
    let code = firedrill_value::FieldRef::new("EventCode");
    let expected: Vec<_> = all
        .iter()
        .filter(|r| r.get(&code).map(|v| v.to_string()) == Some("1".into()))
        .cloned()
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.len());
    assert_eq!(ones, expected);
}

/// `need`: XmlWinEventLog events whose text lacks what it requires are counted but
/// not delivered, unless a character reference may spell it; other formats are read
/// whole.
#[test]
fn events_lacking_the_needed_text_are_skipped_unparsed_but_counted() {
    let one = |cmd: &str| {
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1</Computer></System><EventData><Data Name='CommandLine'>{cmd}</Data></EventData></Event>\r\n"
        )
    };
    let text = [
        one("rundll32.exe C:\\Windows\\System32\\COMSVCS.dll, MiniDump 624"),
        one("cmd.exe /c whoami"),
        one("rundll32 &#99;omsvcs.dll MiniDump"),
        one("rundll32 comsvcs.dll"),
        one("rundll32 comsvcs.dll Mini<!-- x -->Dump"),
        one("rundll32 comsvcs.dll Mini<![CDATA[Dump]]>"),
    ]
    .concat();
    let need = firedrill_value::Need::all(vec![
        firedrill_value::Need::text(b"comsvcs.dll").unwrap(),
        firedrill_value::Need::text(b"minidump").unwrap(),
    ]);
    let read = |bytes: &[u8], need: Option<firedrill_value::Need>| {
        let opts = ReadOptions {
            need: need.map(Arc::new),
            ..ReadOptions::with_want(Arc::new(Want::of(["CommandLine"])))
        };
        let mut s = open_reader(
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            "t",
            &SourceMeta::default(),
            &opts,
        )
        .unwrap();
        let mut got = Vec::new();
        while let Some(b) = s.next_batch().unwrap() {
            got.extend(b.records);
        }
        (got, s.finish().events)
    };
    let cmd = firedrill_value::FieldRef::new("CommandLine");
    let lines = |rs: &[Record]| -> Vec<String> {
        rs.iter()
            .map(|r| r.get(&cmd).unwrap().to_string())
            .collect()
    };
    let (kept, n) = read(text.as_bytes(), need.clone());
    assert_eq!(n, 6, "every event is counted");
    assert_eq!(
        lines(&kept),
        [
            "rundll32.exe C:\\Windows\\System32\\COMSVCS.dll, MiniDump 624",
            "rundll32 comsvcs.dll MiniDump",
            "rundll32 comsvcs.dll MiniDump",
            "rundll32 comsvcs.dll MiniDump"
        ]
    );
    // JSON events are not tested against it (their escapes differ).
    let json = b"{\"CommandLine\": \"cmd.exe\"}\n";
    assert_eq!(read(json, need).0.len(), 1);
}

/// Where each record of a one-chunk EVTX file ends (records start 512 bytes into the
/// chunk, after the 4 KiB file header; each begins `**\0\0` and its size).
fn record_ends(bytes: &[u8]) -> Vec<u64> {
    let mut at = 4096 + 512;
    let mut ends = Vec::new();
    while at + 8 <= bytes.len() && bytes[at..at + 4] == [0x2a, 0x2a, 0, 0] {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += size;
        ends.push(at as u64);
    }
    ends
}

#[test]
fn a_cut_evtx_file_keeps_every_record_before_the_cut_and_says_where_it_ends() {
    let path = format!(
        "{}/../../tests/fixtures/comsvcs/sysmon.evtx",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    let ends = record_ends(&bytes);
    assert!(ends.len() >= 3, "{ends:?}");
    let dir = tempfile::tempdir().unwrap();
    let cut_file = dir.path().join("cut.evtx");
    let rows_of = |bytes: &[u8]| {
        std::fs::write(&cut_file, bytes).unwrap();
        let mut s = open(&cut_file, &SourceMeta::default(), &ReadOptions::default()).unwrap();
        let batches = read_all(&mut s);
        let skipped: Vec<_> = batches.iter().flat_map(|b| b.skipped.clone()).collect();
        let rows: Vec<Row> = batches.into_iter().flat_map(|b| b.rows).collect();
        (rows, skipped, s.finish().bytes)
    };
    let (full, none, _) = rows_of(&bytes);
    assert_eq!(full.len(), ends.len());
    assert!(none.is_empty(), "{none:?}");
    let last = *ends.last().unwrap() as usize;
    for cut in (4096 + 600..last + 50).step_by(61) {
        let (rows, skipped, read) = rows_of(&bytes[..cut]);
        // Every record wholly before the cut, each as in the whole file; none made up
        // of the bytes after it.
        let before = ends.iter().filter(|&&e| e <= cut as u64).count();
        assert_eq!(rows.len(), before, "cut at {cut}: {skipped:?}");
        assert_eq!(rows[..], full[..before], "cut at {cut}");
        let kept = if before == 0 {
            4096 + 512
        } else {
            ends[before - 1]
        };
        let said = skipped.iter().any(|s| {
            s.offset == kept && s.len == cut as u64 - kept && s.reason.contains("cut short")
        });
        assert!(said, "cut at {cut}: {skipped:?}");
        assert_eq!(read, cut as u64);
    }
    // Inside an archive (read from memory), the same.
    let cut = ends[2] as usize + 100;
    let (direct, _, _) = rows_of(&bytes[..cut]);
    let archive = tar(&[("logs/cut.evtx", &bytes[..cut])]);
    let mut s = open_reader(
        Box::new(std::io::Cursor::new(archive)),
        "cut.tar",
        &SourceMeta::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    let batches = read_all(&mut s);
    let skipped: Vec<_> = batches.iter().flat_map(|b| b.skipped.clone()).collect();
    let rows: Vec<Row> = batches.into_iter().flat_map(|b| b.rows).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.len(), direct.len());
    assert!(
        skipped
            .iter()
            .any(|s| s.reason.contains("logs/cut.evtx") && s.reason.contains("cut short")),
        "{skipped:?}"
    );
}

#[test]
fn a_bomb_nested_in_archives_is_held_to_one_budget() {
    // gzip(tar(40 gzip members)): each layer alone expands less than 200x, but the
    // data in all is thousands of times the file.
    let member = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&b"x=1\n".repeat(150_000)).unwrap(); // 600 KB, about 150x
        e.finish().unwrap()
    };
    let names: Vec<String> = (0..40).map(|i| format!("logs/{i}.log.gz")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &member[..])).collect();
    let bomb = gzip(&tar(&members));
    let expanded = 40 * 600_000;
    assert!(expanded / bomb.len() > 1000, "{} bytes", bomb.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.tar.gz");
    std::fs::write(&path, &bomb).unwrap();
    let mut s = open(&path, &SourceMeta::default(), &ReadOptions::default()).unwrap();
    let err = loop {
        match s.next_batch() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the nested bomb was read in full"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, ReadError::Limit(_)), "{err}");
    assert!(
        err.to_string().contains("nested archive counted together"),
        "{err}"
    );
}

/// A damaged EVTX record is skipped and placed at its chunk's bytes (the finest
/// position the EVTX parser gives), not at offset 0.
#[test]
fn a_damaged_evtx_record_is_placed_at_its_chunk() {
    let path = format!(
        "{}/../../tests/fixtures/comsvcs/sysmon.evtx",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let ends = record_ends(&bytes);
    // Scribble over the middle of the second record's body.
    let (start, end) = (ends[0] as usize, ends[1] as usize);
    for b in &mut bytes[start + 40..end - 8] {
        *b = 0xEE;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("damaged.evtx");
    std::fs::write(&file, &bytes).unwrap();
    let mut s = open(&file, &SourceMeta::default(), &ReadOptions::default()).unwrap();
    let batches = read_all(&mut s);
    let skipped: Vec<_> = batches.iter().flat_map(|b| b.skipped.clone()).collect();
    assert!(!skipped.is_empty(), "the damage is reported");
    for sk in &skipped {
        assert_eq!((sk.offset, sk.len), (4096, 65536), "{sk:?}");
        assert!(sk.reason.contains("EVTX chunk 0"), "{sk:?}");
    }
}

#[test]
fn content_that_is_neither_events_nor_skipped_is_a_shortfall() {
    let event = fixture("sysmon_1.log");
    // Every fixture, every archive of it: what was read accounts for the content.
    for (label, bytes, meta) in inputs() {
        let opts = ReadOptions::with_want(Arc::new(Want::everything()));
        let mut s =
            open_reader(Box::new(std::io::Cursor::new(bytes)), &label, &meta, &opts).unwrap();
        read_all(&mut s);
        let end = s.finish();
        assert!(end.accounted_bytes <= end.content_bytes, "{label}: {end:?}");
        assert_eq!(end.shortfall(), None, "{label}");
    }
    for bytes in [gzip(&event), tar(&[("a.log", &event[..])])] {
        let (_, end) = read_file(&bytes, Want::everything());
        assert_eq!(end.content_bytes, event.len() as u64);
        assert_eq!(end.shortfall(), None);
    }
    // One event and 200 KB of blank lines: the lines are no event, and no reader
    // reports them, so the dataset says that most of it was not read.
    let mut padded = event.clone();
    padded.extend(std::iter::repeat_n(b'\n', 200_000));
    let (batches, end) = read_file(&padded, Want::everything());
    assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 1);
    let why = end.shortfall().expect("a shortfall");
    assert!(
        why.contains(&format!("of its {} bytes", padded.len())),
        "{why}"
    );
    // A real EVTX file accounts for its chunks, on disk and inside an archive.
    let evtx = format!(
        "{}/../../tests/fixtures/comsvcs/sysmon.evtx",
        env!("CARGO_MANIFEST_DIR")
    );
    let evtx = std::fs::read(evtx).unwrap();
    for bytes in [evtx.clone(), gzip(&evtx)] {
        let (_, end) = read_file(&bytes, Want::everything());
        assert!(end.content_bytes >= evtx.len() as u64, "{end:?}");
        assert_eq!(end.shortfall(), None, "{end:?}");
    }
    // Zeroed chunks after the real ones are reported skipped, so they are accounted.
    let mut longer = evtx.clone();
    longer.extend(std::iter::repeat_n(0u8, evtx.len() * 2));
    let (_, end) = read_file(&longer, Want::everything());
    assert!(end.skipped > 0, "{end:?}");
    assert_eq!(end.shortfall(), None, "{end:?}");
}
