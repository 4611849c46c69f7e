//! Data model rows from events with the built-in apps' fields.

use firedrill_events::SearchTime;

fn datamodel_rows(
    dataset: &str,
    events: &[firedrill_value::Event],
) -> Result<Vec<firedrill_value::Row>, firedrill_events::CimError> {
    firedrill_addons::builtin::datamodels().rows(dataset, events)
}
use firedrill_value::{Event, FieldRef, Fields, Value, Want};

fn read(text: &str, sourcetype: &str) -> Vec<Event> {
    let mut events = firedrill_events::read_events(
        text.as_bytes(),
        &firedrill_events::SourceMeta {
            sourcetype: Some(sourcetype.into()),
            ..Default::default()
        },
    )
    .unwrap();
    let addons = firedrill_addons::builtin::get();
    for e in &mut events.events {
        addons.apply(&mut e.fields, &Want::everything());
    }
    events.events
}

#[test]
fn linux_sysmon_process_events_map_to_processes() {
    let raw = r#"<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593}"/><EventID>1</EventID><TimeCreated SystemTime="2022-08-09T10:42:47.749450000Z"/><EventRecordID>1</EventRecordID><Channel>Linux-Sysmon/Operational</Channel><Computer>ar-linux</Computer><Security UserId="0"/></System><EventData><Data Name="ProcessId">10268</Data><Data Name="Image">/usr/bin/sudo</Data><Data Name="CommandLine">sudo gdb -nx -ex !sh -ex quit</Data><Data Name="User">ubuntu</Data><Data Name="ParentImage">/bin/bash</Data></EventData></Event>"#;
    let events = read(raw, "sysmon:linux");
    let rows = datamodel_rows("Endpoint.Processes", &events).unwrap();
    assert_eq!(rows[0]["Processes.process_name"], Value::str("sudo"));
    assert_eq!(rows[0]["Processes.parent_process_name"], Value::str("bash"));
    assert_eq!(rows[0]["Processes.dest"], Value::str("ar-linux"));
    assert_eq!(
        rows[0]["Processes.original_file_name"],
        Value::str("unknown")
    );
    // The view answers the same as the row, by symbol and by name.
    let ds = firedrill_addons::builtin::datamodels()
        .resolve("Endpoint.Processes")
        .unwrap();
    let view = ds.view(&events[0].fields);
    let f = FieldRef::new("Processes.process_name");
    assert_eq!(view.get(&f), Some(&Value::str("sudo")));
    assert_eq!(
        view.get_str("Processes.original_file_name"),
        Some(&Value::str("unknown"))
    );
    assert_eq!(view.get_str("Image"), None, "base fields are not visible");
    assert_eq!(view.get_str("host"), Some(&Value::str("ar-linux")));
    assert_eq!(view.to_row(), rows[0]);
}
