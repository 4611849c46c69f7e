//! CIM data model datasets, driven by `data/cim.yml`: which events belong to a
//! dataset and the fields `tstats` sees, prefixed with the dataset name
//! (`Processes.process_name`).

use crate::rules::When;
use firedrill_value::{Event, Row, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dataset {
    from: Vec<When>,
    fields: Vec<String>,
    #[serde(default)]
    unknown: Vec<String>,
}

const CIM: &str = include_str!("../data/cim.yml");

fn models() -> &'static BTreeMap<String, Dataset> {
    static MODELS: OnceLock<BTreeMap<String, Dataset>> = OnceLock::new();
    MODELS.get_or_init(|| serde_yaml_ng::from_str(CIM).unwrap_or_default())
}

/// A data model dataset firedrill has no mapping for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CimError {
    /// Not mapped.
    UnknownDataset {
        /// What was asked for.
        name: String,
        /// What is mapped.
        known: Vec<String>,
    },
}

impl fmt::Display for CimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CimError::UnknownDataset { name, known } => write!(
                f,
                "data model `{name}` has no mapping in firedrill (mapped: {})",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for CimError {}

/// The mapped datasets (`Endpoint.Processes`, ...).
pub fn datamodel_names() -> Vec<String> {
    models().keys().cloned().collect()
}

/// Resolves `Endpoint.Processes`, `Endpoint` + node, or a bare node name.
fn resolve(name: &str) -> Option<(&'static str, &'static Dataset)> {
    let m = models();
    if let Some((k, d)) = m.get_key_value(name) {
        return Some((k.as_str(), d));
    }
    // `Network_Resolution` alone means its root dataset; `Risk.All_Risk` style too.
    m.iter()
        .find(|(k, _)| k.split('.').next() == Some(name))
        .map(|(k, d)| (k.as_str(), d))
}

/// True if a data model name (`Endpoint.Processes`, `Change`...) has a mapping.
pub fn datamodel_known(name: &str) -> bool {
    resolve(name).is_some()
}

/// True if events of `sourcetype` can populate the data model `name`: one of its
/// constraints names that sourcetype, or names a Windows channel and the sourcetype
/// carries Windows event logs.
pub fn datamodel_fed_by(name: &str, sourcetype: &str) -> bool {
    let Some((_, ds)) = resolve(name) else {
        return false;
    };
    let st = sourcetype.to_ascii_lowercase();
    let windows =
        st.starts_with("xmlwineventlog") || st.starts_with("wineventlog") || st == "sysmon:linux";
    ds.from.iter().any(|w| w.could_take(&st, windows))
}

/// Rows of a data model dataset from `events`.
pub fn datamodel_rows(dataset: &str, events: &[Event]) -> Result<Vec<Row>, CimError> {
    let (name, ds) = resolve(dataset).ok_or_else(|| CimError::UnknownDataset {
        name: dataset.to_string(),
        known: datamodel_names(),
    })?;
    let node = name.rsplit('.').next().unwrap_or(name);
    let names: Vec<(&str, String, bool)> = ds
        .fields
        .iter()
        .map(|f| (f.as_str(), format!("{node}.{f}"), ds.unknown.contains(f)))
        .collect();
    let mut out = Vec::new();
    for e in events {
        if !ds.from.iter().any(|w| w.matches(&e.fields)) {
            continue;
        }
        let mut row = Row::new();
        for k in ["_time", "host", "source", "sourcetype"] {
            if let Some(v) = e.fields.get(k) {
                row.insert(k.to_string(), v.clone());
            }
        }
        for (f, key, unknown) in &names {
            let v = match e.fields.get(*f) {
                Some(Value::Str(s)) if s.is_empty() => None,
                Some(v) if !v.is_null() => Some(v.clone()),
                _ => None,
            };
            match (v, unknown) {
                (Some(v), _) => {
                    row.insert(key.clone(), v);
                }
                (None, true) => {
                    row.insert(key.clone(), Value::str("unknown"));
                }
                (None, false) => {}
            }
        }
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_sysmon_process_events_map_to_processes() {
        let raw = r#"<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593}"/><EventID>1</EventID><TimeCreated SystemTime="2022-08-09T10:42:47.749450000Z"/><EventRecordID>1</EventRecordID><Channel>Linux-Sysmon/Operational</Channel><Computer>ar-linux</Computer><Security UserId="0"/></System><EventData><Data Name="ProcessId">10268</Data><Data Name="Image">/usr/bin/sudo</Data><Data Name="CommandLine">sudo gdb -nx -ex !sh -ex quit</Data><Data Name="User">ubuntu</Data><Data Name="ParentImage">/bin/bash</Data></EventData></Event>"#;
        let out = crate::read_events(
            raw.as_bytes(),
            &crate::SourceMeta {
                sourcetype: Some("sysmon:linux".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let rows = datamodel_rows("Endpoint.Processes", &out.events).unwrap();
        assert_eq!(rows[0]["Processes.process_name"], Value::str("sudo"));
        assert_eq!(rows[0]["Processes.parent_process_name"], Value::str("bash"));
        assert_eq!(rows[0]["Processes.dest"], Value::str("ar-linux"));
        assert_eq!(
            rows[0]["Processes.original_file_name"],
            Value::str("unknown")
        );
    }

    #[test]
    fn suricata_http_records_map_to_web() {
        let eve = r#"{"timestamp":"2023-06-01T10:00:00.000000+0000","event_type":"http","src_ip":"10.0.0.5","src_port":51000,"dest_ip":"192.0.2.10","dest_port":443,"http":{"hostname":"vpn.example","url":"/remote/fgt_lang?lang=/../../x","http_user_agent":"curl/8.0","http_method":"GET","status":200,"length":12}}
{"timestamp":"2023-06-01T10:00:01.000000+0000","event_type":"dns","src_ip":"10.0.0.5"}"#;
        let out = crate::read_events(
            eve.as_bytes(),
            &crate::SourceMeta {
                sourcetype: Some("suricata".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let rows = datamodel_rows("Web", &out.events).unwrap();
        assert_eq!(rows.len(), 1, "only http records are Web events");
        let r = &rows[0];
        assert_eq!(r["Web.url"], Value::str("/remote/fgt_lang?lang=/../../x"));
        assert_eq!(r["Web.uri_path"], Value::str("/remote/fgt_lang"));
        assert_eq!(r["Web.uri_query"], Value::str("lang=/../../x"));
        assert_eq!(r["Web.url_length"], Value::Num(30.0));
        assert_eq!(r["Web.status"], Value::str("200"));
        assert_eq!(r["Web.dest"], Value::str("192.0.2.10"));
        assert_eq!(r["Web.http_method"], Value::str("GET"));
    }

    #[test]
    fn table_parses_and_unknown_names_say_what_is_mapped() {
        let parsed: Result<BTreeMap<String, Dataset>, _> = serde_yaml_ng::from_str(CIM);
        assert!(parsed.is_ok(), "{:?}", parsed.err());
        let err = datamodel_rows("Nope.Nothing", &[]).unwrap_err();
        assert!(err.to_string().contains("Endpoint.Processes"));
    }
}
