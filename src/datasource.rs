//! The events of one test, as the engine reads them: raw events, CIM data model rows
//! and SPL2 source views, each built once on first use and shared by every detection
//! that reads the same datasets.

use crate::lookups::Lookups;
use firedrill_spl::exec::lookup::LookupTable;
use firedrill_spl::exec::Data;
use firedrill_value::{Event, Row, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// OCSF paths and the CIM Endpoint.Processes fields that feed them (a data file).
const OCSF_PROCESS: &str = include_str!("data/ocsf_process.yml");

/// Events plus lazily built views over them.
pub struct DataView {
    events: Vec<Event>,
    lookups: Arc<Lookups>,
    datamodels: Mutex<HashMap<String, Arc<Vec<Row>>>>,
    ssa: OnceLock<Arc<Vec<Row>>>,
    ocsf: OnceLock<Result<Arc<Vec<Row>>, String>>,
}

impl DataView {
    /// A view over `events` with no lookups.
    pub fn new(events: Vec<Event>) -> DataView {
        DataView::with_lookups(events, Arc::new(Lookups::default()))
    }

    /// A view over `events` that can use the content's lookups.
    pub fn with_lookups(events: Vec<Event>, lookups: Arc<Lookups>) -> DataView {
        DataView {
            events,
            lookups,
            datamodels: Mutex::new(HashMap::new()),
            ssa: OnceLock::new(),
            ocsf: OnceLock::new(),
        }
    }

    /// How many events the view holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when there are no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    fn ssa_rows(&self) -> Arc<Vec<Row>> {
        self.ssa
            .get_or_init(|| {
                let rows = firedrill_events::ssa_enriched(&self.events)
                    .into_iter()
                    .map(|mut r| {
                        let map: BTreeMap<String, Value> =
                            r.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                        r.insert("input_event".into(), Value::Map(map));
                        r
                    })
                    .collect();
                Arc::new(rows)
            })
            .clone()
    }

    fn ocsf_rows(&self) -> Result<Arc<Vec<Row>>, String> {
        self.ocsf
            .get_or_init(|| {
                let mapping: BTreeMap<String, String> = serde_yaml_ng::from_str(OCSF_PROCESS)
                    .map_err(|e| format!("bad built-in OCSF mapping: {e}"))?;
                let cim = self.datamodel("Endpoint.Processes")?;
                let rows = cim.iter().map(|r| ocsf_row(r, &mapping)).collect();
                Ok(Arc::new(rows))
            })
            .clone()
    }
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

impl Data for DataView {
    fn events(&self) -> &[Event] {
        &self.events
    }

    fn datamodel(&self, name: &str) -> Result<Arc<Vec<Row>>, String> {
        if let Ok(cache) = self.datamodels.lock() {
            if let Some(rows) = cache.get(name) {
                return Ok(rows.clone());
            }
        }
        let rows = Arc::new(
            firedrill_events::datamodel_rows(name, &self.events).map_err(|e| e.to_string())?,
        );
        if let Ok(mut cache) = self.datamodels.lock() {
            cache.insert(name.to_string(), rows.clone());
        }
        Ok(rows)
    }

    fn lookup(&self, name: &str) -> Result<Arc<LookupTable>, String> {
        self.lookups.get(name)
    }

    fn spl2_source(&self, name: &str) -> Result<Arc<Vec<Row>>, String> {
        match name {
            "read_ssa_enriched_events" => Ok(self.ssa_rows()),
            "source" => self.ocsf_rows(),
            other => Err(format!("SPL2 source `{other}` is not available")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocsf_rows_nest_cim_fields() {
        let mapping: BTreeMap<String, String> = serde_yaml_ng::from_str(OCSF_PROCESS).unwrap();
        let cim = Row::from([
            (
                "Processes.process_name".to_string(),
                Value::str("rundll32.exe"),
            ),
            ("Processes.dest".to_string(), Value::str("host1")),
        ]);
        let row = ocsf_row(&cim, &mapping);
        match row.get("process") {
            Some(Value::Map(p)) => match p.get("file") {
                Some(Value::Map(f)) => assert_eq!(f.get("name"), Some(&Value::str("rundll32.exe"))),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}
