//! What each kind of pipe sees of an event: the event itself, its row in a CIM data
//! model dataset (`tstats … from datamodel=X`), or its row in an SPL2 source (the SSA
//! enriched event, the OCSF process event). Computed per event, for the pipes that ask.

use firedrill_spl::Source;
use firedrill_value::{Event, Row, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// OCSF paths and the CIM Endpoint.Processes fields that feed them (a data file).
const OCSF_PROCESS: &str = include_str!("data/ocsf_process.yml");

/// The view a pipe reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// The event itself (`search`, and `tstats` without a data model: the program
    /// restricts that to indexed fields).
    Event,
    /// A data model dataset.
    DataModel(String),
    /// The SSA enriched event (`from read_ssa_enriched_events()`).
    Ssa,
    /// The OCSF process event (`from source`).
    Ocsf,
}

impl View {
    /// The view of a program source, or why there is none.
    pub fn of(source: &Source) -> Result<Option<View>, String> {
        Ok(Some(match source {
            Source::Events | Source::Indexed => View::Event,
            Source::DataModel(name) => {
                if !firedrill_events::datamodel_known(name) {
                    return Err(firedrill_events::datamodel_rows(name, &[])
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| format!("data model `{name}` has no mapping")));
                }
                View::DataModel(name.clone())
            }
            Source::Spl2(name) if name == "read_ssa_enriched_events" => View::Ssa,
            Source::Spl2(name) if name == "source" => View::Ocsf,
            Source::Spl2(other) => return Err(format!("SPL2 source `{other}` is not available")),
            Source::Lookup(_) | Source::Input => return Ok(None),
        }))
    }

    /// The event's row in this view, if it belongs to it (`None` for [`View::Event`],
    /// which reads the event in place).
    pub fn row(&self, e: &Event) -> Option<Row> {
        match self {
            View::Event => None,
            View::DataModel(name) => datamodel_row(name, e),
            View::Ssa => ssa_row(e),
            View::Ocsf => {
                let cim = datamodel_row("Endpoint.Processes", e)?;
                Some(ocsf_row(&cim, ocsf_mapping()))
            }
        }
    }
}

fn datamodel_row(name: &str, e: &Event) -> Option<Row> {
    firedrill_events::datamodel_rows(name, std::slice::from_ref(e))
        .ok()?
        .pop()
}

fn ssa_row(e: &Event) -> Option<Row> {
    let mut r = firedrill_events::ssa_enriched(std::slice::from_ref(e)).pop()?;
    let map: BTreeMap<String, Value> = r.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    r.insert("input_event".into(), Value::Map(map));
    Some(r)
}

fn ocsf_mapping() -> &'static BTreeMap<String, String> {
    static MAP: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        serde_yaml_ng::from_str(OCSF_PROCESS)
            .expect("the built-in OCSF mapping (src/data/ocsf_process.yml) parses")
    })
}

/// Nests the CIM fields of one Endpoint.Processes row under their OCSF paths.
fn ocsf_row(cim: &Row, mapping: &BTreeMap<String, String>) -> Row {
    let mut root: BTreeMap<String, Value> = BTreeMap::new();
    for (path, field) in mapping {
        let key = if field.starts_with('_') {
            field.clone()
        } else {
            format!("Processes.{field}")
        };
        let v = match cim.get(&key) {
            Some(v) if !v.is_null() => v.clone(),
            _ => continue,
        };
        insert_path(&mut root, path, v);
    }
    root.into_iter().collect()
}

fn insert_path(map: &mut BTreeMap<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), v);
        }
        Some((head, rest)) => {
            let entry = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Map(BTreeMap::new()));
            if let Value::Map(inner) = entry {
                insert_path(inner, rest, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocsf_rows_nest_cim_fields() {
        let cim = Row::from([
            (
                "Processes.process_name".to_string(),
                Value::str("rundll32.exe"),
            ),
            ("Processes.dest".to_string(), Value::str("host1")),
        ]);
        let row = ocsf_row(&cim, ocsf_mapping());
        match row.get("process") {
            Some(Value::Map(p)) => match p.get("file") {
                Some(Value::Map(f)) => assert_eq!(f.get("name"), Some(&Value::str("rundll32.exe"))),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}
