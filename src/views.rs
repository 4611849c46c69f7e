//! What each kind of pipe sees of an event: the event itself, its row in a CIM data
//! model dataset (`tstats … from datamodel=X`), or its row in an SPL2 source (the SSA
//! enriched event, the OCSF process event). Computed per event, for the pipes that ask.

use firedrill_events::{DataModels, DmEvent, DmSet, DmView, SearchTime};
use firedrill_spl::{FieldSet, Source};
use firedrill_value::{Fields, Row, Value, Want};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// OCSF paths and the CIM Endpoint.Processes fields that feed them (a data file).
const OCSF_PROCESS: &str = include_str!("data/ocsf_process.yml");

/// The view a pipe reads.
#[derive(Clone)]
pub enum View {
    /// The event itself (`search`, and `tstats` without a data model: the program
    /// restricts that to indexed fields).
    Event,
    /// A data model dataset.
    DataModel(Arc<DmSet>),
    /// The events of a data model dataset, as they are (`| from datamodel:X`).
    DataModelEvents(Arc<DmSet>),
    /// The SSA enriched event (`from read_ssa_enriched_events()`).
    Ssa,
    /// The OCSF process event (`from source`), from Endpoint.Processes.
    Ocsf(Arc<DmSet>),
}

impl PartialEq for View {
    fn eq(&self, other: &View) -> bool {
        match (self, other) {
            (View::DataModel(a), View::DataModel(b)) => a.name() == b.name(),
            (View::DataModelEvents(a), View::DataModelEvents(b)) => a.name() == b.name(),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

/// What an event looks like through a view.
pub enum Seen<'e> {
    /// A data model dataset's row, read in place.
    Dm(DmView<'e, dyn Fields + 'e>),
    /// A row built for the view.
    Row(Row),
    /// The event of a data model dataset, with its own names.
    Event(DmEvent<'e, dyn Fields + 'e>),
}

impl Seen<'_> {
    /// As fields.
    pub fn fields(&self) -> &dyn Fields {
        match self {
            Seen::Dm(v) => v,
            Seen::Row(r) => r,
            Seen::Event(e) => e,
        }
    }
}

/// Which fields of a view hold pieces of an XmlWinEventLog event's text: through
/// the add-ons (`knowledge`), and through a data model dataset's plain fields.
struct RawText<'a> {
    view: &'a View,
    knowledge: &'a dyn SearchTime,
    sourcetype: &'a str,
}

impl firedrill_spl::search::RawText for RawText<'_> {
    fn holds_pieces(&self, field: &str, matches: &dyn Fn(&Value) -> bool) -> bool {
        let event = |f: &str| {
            self.knowledge
                .keeps_pieces(f, self.sourcetype, &firedrill_events::raw_piece, matches)
        };
        match self.view {
            View::Event => event(field),
            View::DataModel(set) => match set.read_from(field) {
                Some((base, default)) => default.is_none_or(|d| !matches(d)) && event(base),
                None => false,
            },
            View::DataModelEvents(_) | View::Ssa | View::Ocsf(_) => false,
        }
    }
}

impl View {
    /// Texts an XmlWinEventLog event of `sourcetype` must hold for `pipe` of
    /// `program`, reading this view, to admit it (see [`firedrill_value::Need`]);
    /// `None` when nothing is required.
    pub fn need(
        &self,
        program: &firedrill_spl::Program,
        pipe: firedrill_spl::PipeId,
        knowledge: &dyn SearchTime,
        sourcetype: &str,
    ) -> Option<firedrill_value::Need> {
        program.need(
            pipe,
            &RawText {
                view: self,
                knowledge,
                sourcetype,
            },
        )
    }

    /// The view of a program source over the data models `dms`, or why there is none.
    pub fn of(source: &Source, dms: &DataModels) -> Result<Option<View>, String> {
        let set = |name: &str| dms.dataset(name).cloned().map_err(|e| e.to_string());
        Ok(Some(match source {
            Source::Events | Source::Indexed => View::Event,
            Source::DataModel(name) => View::DataModel(set(name)?),
            Source::DataModelEvents(name) => View::DataModelEvents(set(name)?),
            Source::Spl2(name) if name == "read_ssa_enriched_events" => View::Ssa,
            Source::Spl2(name) if name == "source" => View::Ocsf(set("Endpoint.Processes")?),
            Source::Spl2(other) => return Err(format!("SPL2 source `{other}` is not available")),
            Source::Lookup(_) | Source::Input => return Ok(None),
        }))
    }

    /// The event through this view, if it belongs to it (`None` for [`View::Event`],
    /// which reads the event itself).
    pub fn see<'e>(&'e self, e: &'e dyn Fields) -> Option<Seen<'e>> {
        match self {
            View::Event => None,
            View::DataModel(set) => set.contains(e).then(|| Seen::Dm(set.view(e))),
            View::DataModelEvents(set) => set.contains(e).then(|| Seen::Event(set.event(e))),
            View::Ssa => ssa_row(e).map(Seen::Row),
            View::Ocsf(set) => {
                if !set.contains(e) {
                    return None;
                }
                Some(Seen::Row(ocsf_row(&set.row(e), ocsf_mapping())))
            }
        }
    }

    /// The event fields this view needs to show `fields` (names in the view's terms)
    /// and to know which events belong to it, added to `want`.
    pub fn want(&self, fields: &FieldSet, filter: &[&str], want: &mut Want) {
        let all_of = |set: &DmSet| -> Vec<String> { set.field_names().map(String::from).collect() };
        match self {
            View::Event => {
                for f in filter.iter().copied().chain(fields.names()) {
                    want.add(f);
                }
            }
            View::DataModelEvents(set) => {
                let names: Vec<&str> = filter.iter().copied().chain(fields.names()).collect();
                for f in &names {
                    want.add(f);
                }
                // The dataset's own fields by name, with what their calculations read.
                for f in set.inputs(&names) {
                    want.add(&f);
                }
            }
            View::DataModel(set) => {
                let mut names: Vec<String> = filter.iter().map(|s| s.to_string()).collect();
                if fields.is_all() || fields.has_globs() {
                    names.extend(all_of(set));
                } else {
                    names.extend(fields.names().map(String::from));
                }
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                for f in set.inputs(&refs) {
                    want.add(&f);
                }
            }
            View::Ssa => {
                for f in firedrill_events::ssa_inputs() {
                    want.add(f);
                }
            }
            View::Ocsf(set) => {
                let names = all_of(set);
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                for f in set.inputs(&refs) {
                    want.add(&f);
                }
            }
        }
    }
}

/// The row of `e` in `view`, or `e` itself for [`View::Event`] (batch tools and tests).
pub fn view_row(view: &View, e: &dyn Fields) -> Option<Row> {
    match view.see(e) {
        Some(s) => Some(s.fields().to_row()),
        None if *view == View::Event => Some(e.to_row()),
        None => None,
    }
}

fn ssa_row(e: &dyn Fields) -> Option<Row> {
    let mut r = firedrill_events::ssa_row(e)?;
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
