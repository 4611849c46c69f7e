//! CIM data model datasets, driven by `data/cim.yml`: which events belong to a
//! dataset and the fields `tstats` sees, prefixed with the dataset name
//! (`Processes.process_name`). Compiled once ([`DataModels::get`]); a dataset is read
//! through a [`DmView`] over an event (no row is built per event) or turned into a
//! [`Row`] when one is needed.

use crate::out::meta_refs;
use crate::rules::When;
use crate::table::{self, TableError};
use firedrill_value::{Event, FieldRef, Fields, Record, Row, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetSpec {
    from: Vec<When>,
    fields: Vec<String>,
    #[serde(default)]
    unknown: Vec<String>,
}

/// A spec checked while deserialising, so an error keeps its line and column.
#[derive(Debug, Deserialize)]
#[serde(try_from = "DatasetSpec")]
struct CheckedSpec(DatasetSpec);

impl TryFrom<DatasetSpec> for CheckedSpec {
    type Error = String;
    fn try_from(s: DatasetSpec) -> Result<Self, String> {
        if let Some(u) = s.unknown.iter().find(|u| !s.fields.contains(u)) {
            return Err(format!("`unknown` names {u}, which is not in `fields`"));
        }
        if s.from.is_empty() {
            return Err("`from` is empty: no event would belong".into());
        }
        Ok(CheckedSpec(s))
    }
}

const CIM: &str = include_str!("../data/cim.yml");

struct DmField {
    base: FieldRef,
    prefixed: FieldRef,
    unknown: bool,
}

/// What a dataset row holds, in row (name) order.
#[derive(Clone, Copy)]
enum Entry {
    /// `_time`, `host`, `source` or `sourcetype`, passed through.
    Pass(usize),
    /// A dataset field (index into `fields`).
    Field(usize),
}

/// One data model dataset (`Endpoint.Processes`).
pub struct DmSet {
    name: String,
    node: String,
    from: Vec<When>,
    fields: Vec<DmField>,
    order: Vec<Entry>,
}

/// Every mapped dataset.
pub struct DataModels {
    sets: Vec<DmSet>,
}

fn unknown_value() -> &'static Value {
    static U: OnceLock<Value> = OnceLock::new();
    U.get_or_init(|| Value::str("unknown"))
}

fn pass_refs() -> [&'static FieldRef; 4] {
    let m = meta_refs();
    [&m.time, &m.host, &m.source, &m.sourcetype]
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

impl DataModels {
    /// Compiles `data/cim.yml`; the error names the table, line and column.
    pub fn load() -> Result<DataModels, TableError> {
        let specs: BTreeMap<String, CheckedSpec> = table::parse("data/cim.yml", CIM)?;
        let sets = specs
            .into_iter()
            .map(|(name, CheckedSpec(s))| {
                let node = name.rsplit('.').next().unwrap_or(&name).to_string();
                let fields: Vec<DmField> = s
                    .fields
                    .iter()
                    .map(|f| DmField {
                        base: FieldRef::new(f),
                        prefixed: FieldRef::new(&format!("{node}.{f}")),
                        unknown: s.unknown.contains(f),
                    })
                    .collect();
                let mut order: Vec<(&str, Entry)> = pass_refs()
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.as_str(), Entry::Pass(i)))
                    .chain(
                        fields
                            .iter()
                            .enumerate()
                            .map(|(i, f)| (f.prefixed.as_str(), Entry::Field(i))),
                    )
                    .collect();
                order.sort_by(|a, b| a.0.cmp(b.0));
                order.dedup_by(|a, b| a.0 == b.0);
                let order = order.into_iter().map(|(_, e)| e).collect();
                DmSet {
                    name,
                    node,
                    from: s.from,
                    fields,
                    order,
                }
            })
            .collect();
        Ok(DataModels { sets })
    }

    /// The embedded table, compiled on first use. Panics naming the table, line and
    /// column if it is broken (a unit test loads it, so that is a build defect).
    pub fn get() -> &'static DataModels {
        static M: OnceLock<DataModels> = OnceLock::new();
        M.get_or_init(|| table::expect(DataModels::load()))
    }

    /// The mapped datasets (`Endpoint.Processes`, ...), sorted.
    pub fn names(&self) -> Vec<String> {
        self.sets.iter().map(|s| s.name.clone()).collect()
    }

    /// Resolves `Endpoint.Processes`, or a bare root name (`Network_Resolution`) to
    /// the first dataset under it.
    pub fn resolve(&self, name: &str) -> Option<&DmSet> {
        self.sets.iter().find(|s| s.name == name).or_else(|| {
            self.sets
                .iter()
                .find(|s| s.name.split('.').next() == Some(name))
        })
    }

    /// Resolves a name, or says what is mapped.
    pub fn dataset(&self, name: &str) -> Result<&DmSet, CimError> {
        self.resolve(name).ok_or_else(|| CimError::UnknownDataset {
            name: name.to_string(),
            known: self.names(),
        })
    }

    /// The base fields that the dataset fields `dm_fields` (prefixed or not) read, and
    /// the fields membership reads: what to add to a [`Want`](firedrill_value::Want)
    /// (then [`expand_want_with`](crate::expand_want_with) adds the add-on inputs).
    pub fn inputs(&self, dataset: &str, dm_fields: &[&str]) -> Result<Vec<&str>, CimError> {
        Ok(self.dataset(dataset)?.inputs(dm_fields))
    }
}

impl DmSet {
    /// The dataset's full name (`Endpoint.Processes`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node name that prefixes its fields (`Processes`).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The prefixed field names (`Processes.process_name`, ...), in table order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.prefixed.as_str())
    }

    /// The EventCodes an event must have to belong to the dataset, when every one of its
    /// `from` conditions names some (a reader may skip other events unparsed).
    pub fn event_codes(&self) -> Option<Vec<&str>> {
        let mut out = Vec::new();
        for w in &self.from {
            out.extend(w.event_codes()?.iter().map(String::as_str));
        }
        Some(out)
    }

    /// True if the event belongs to the dataset (one of its `from` conditions holds).
    #[inline]
    pub fn contains<F: Fields + ?Sized>(&self, ev: &F) -> bool {
        self.from.iter().any(|w| w.matches(ev))
    }

    /// The event as the dataset sees it (call on events it [`contains`](Self::contains)).
    pub fn view<'a, F: Fields + ?Sized>(&'a self, ev: &'a F) -> DmView<'a, F> {
        DmView { set: self, ev }
    }

    /// The dataset row of one event (as [`datamodel_rows`] builds it).
    pub fn row<F: Fields + ?Sized>(&self, ev: &F) -> Row {
        self.view(ev).to_row()
    }

    /// See [`DataModels::inputs`].
    pub fn inputs(&self, dm_fields: &[&str]) -> Vec<&str> {
        let prefix = format!("{}.", self.node);
        let mut out: Vec<&str> = Vec::new();
        for name in dm_fields {
            let bare = name.strip_prefix(&prefix).unwrap_or(name);
            if let Some(f) = self.fields.iter().find(|f| f.base.as_str() == bare) {
                out.push(f.base.as_str());
            }
        }
        for w in &self.from {
            out.extend(w.reads().into_iter().map(FieldRef::as_str));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// An event seen through a dataset: the prefixed names map to the event's fields,
/// with `unknown` for the fields the data model fills; `_time`, `host`, `source` and
/// `sourcetype` pass through; nothing else is visible.
pub struct DmView<'a, F: Fields + ?Sized = Record> {
    set: &'a DmSet,
    ev: &'a F,
}

impl<'a, F: Fields + ?Sized> DmView<'a, F> {
    #[inline]
    fn field(&self, d: &DmField) -> Option<&'a Value> {
        let v = match self.ev.get(&d.base) {
            Some(Value::Str(s)) if s.is_empty() => None,
            Some(v) if !v.is_null() => Some(v),
            _ => None,
        };
        match v {
            Some(v) => Some(v),
            None if d.unknown => Some(unknown_value()),
            None => None,
        }
    }
}

impl<F: Fields + ?Sized> Fields for DmView<'_, F> {
    #[inline]
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        if let Some(d) = self.set.fields.iter().find(|d| d.prefixed.sym == f.sym) {
            return self.field(d);
        }
        if pass_refs().iter().any(|p| p.sym == f.sym) {
            return self.ev.get(f);
        }
        None
    }

    fn get_str(&self, name: &str) -> Option<&Value> {
        if let Some(d) = self.set.fields.iter().find(|d| d.prefixed.as_str() == name) {
            return self.field(d);
        }
        pass_refs()
            .iter()
            .find(|p| p.as_str() == name)
            .and_then(|p| self.ev.get(p))
    }

    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        let pass = pass_refs();
        for e in &self.set.order {
            match *e {
                Entry::Pass(i) => {
                    if let Some(v) = self.ev.get(pass[i]) {
                        f(pass[i].as_str(), v);
                    }
                }
                Entry::Field(i) => {
                    let d = &self.set.fields[i];
                    if let Some(v) = self.field(d) {
                        f(d.prefixed.as_str(), v);
                    }
                }
            }
        }
    }
}

/// An event of a dataset with its own field names (`| from datamodel:X`): every
/// field of the event, plus `unknown` for the dataset's fields the data model fills
/// when the event has none.
pub struct DmEvent<'a, F: Fields + ?Sized> {
    set: &'a DmSet,
    ev: &'a F,
}

impl DmSet {
    /// The event with its own names (call on events it [`contains`](Self::contains)).
    pub fn event<'a, F: Fields + ?Sized>(&'a self, ev: &'a F) -> DmEvent<'a, F> {
        DmEvent { set: self, ev }
    }
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null() && !matches!(v, Value::Str(s) if s.is_empty()))
}

impl<F: Fields + ?Sized> Fields for DmEvent<'_, F> {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        present(self.ev.get(f)).or_else(|| {
            self.set
                .fields
                .iter()
                .any(|d| d.unknown && d.base.sym == f.sym)
                .then(unknown_value)
        })
    }

    fn get_str(&self, name: &str) -> Option<&Value> {
        present(self.ev.get_str(name)).or_else(|| {
            self.set
                .fields
                .iter()
                .any(|d| d.unknown && d.base.as_str() == name)
                .then(unknown_value)
        })
    }

    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.ev.for_each(f);
        for d in self.set.fields.iter().filter(|d| d.unknown) {
            if present(self.ev.get(&d.base)).is_none() {
                f(d.base.as_str(), unknown_value());
            }
        }
    }
}

/// The mapped datasets (`Endpoint.Processes`, ...).
pub fn datamodel_names() -> Vec<String> {
    DataModels::get().names()
}

/// True if a data model name (`Endpoint.Processes`, `Change`...) has a mapping.
pub fn datamodel_known(name: &str) -> bool {
    DataModels::get().resolve(name).is_some()
}

/// True if events of `sourcetype` can populate the data model `name`: one of its
/// constraints names that sourcetype, or names a Windows channel and the sourcetype
/// carries Windows event logs.
pub fn datamodel_fed_by(name: &str, sourcetype: &str) -> bool {
    let Some(ds) = DataModels::get().resolve(name) else {
        return false;
    };
    let st = sourcetype.to_ascii_lowercase();
    let channels = crate::has_channels(&st);
    ds.from.iter().any(|w| w.could_take(&st, channels))
}

/// Rows of a data model dataset from `events`.
pub fn datamodel_rows(dataset: &str, events: &[Event]) -> Result<Vec<Row>, CimError> {
    let ds = DataModels::get().dataset(dataset)?;
    Ok(events
        .iter()
        .filter(|e| ds.contains(&e.fields))
        .map(|e| ds.row(&e.fields))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_unknown_names_say_what_is_mapped() {
        let m = DataModels::load().unwrap();
        assert!(m.names().len() >= 9);
        let err = datamodel_rows("Nope.Nothing", &[]).unwrap_err();
        assert!(err.to_string().contains("Endpoint.Processes"));
        let inputs = m
            .inputs(
                "Endpoint.Processes",
                &["Processes.process_name", "dest", "nope"],
            )
            .unwrap();
        assert_eq!(inputs, ["Channel", "EventCode", "dest", "process_name"]);
        let bad = "A.B:\n  from: [{channel: x}]\n  fields: [a]\n  unknown: [b]\n";
        let err = table::parse::<BTreeMap<String, CheckedSpec>>("c.yml", bad).unwrap_err();
        assert!(err.message.contains("not in `fields`"), "{err}");
        assert!(err.at.is_some(), "{err}");
    }
}
