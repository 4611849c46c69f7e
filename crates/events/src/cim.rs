//! Data model datasets as `tstats` sees them: which events belong to a dataset and
//! its fields, prefixed with the name of the dataset that declares them
//! (`Processes.process_name`). The definitions are data: firedrill-addons reads
//! Splunk's data model JSON (built-in and a user's) and builds [`DataModels`] from
//! it, giving each dataset its compiled membership ([`Member`]) and calculated
//! fields ([`Calc`]). A dataset is read through a [`DmView`] over an event (no row
//! is built per event) or turned into a [`Row`] when one is needed.

use crate::out::meta_refs;
use firedrill_value::{Event, FieldRef, Fields, Record, Row, Value};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Which events belong to a dataset (its constraints and its parents'), compiled.
pub trait Member: Send + Sync {
    /// True if `ev` (with its search-time fields, `tag` included) belongs.
    fn contains(&self, ev: &dyn Fields) -> bool;
}

/// A calculated field that is not a plain default (see [`DmValue`]).
pub trait Calc: Send + Sync {
    /// The field's value for `ev` (which shows the calculated fields before it).
    fn eval(&self, ev: &dyn Fields) -> Option<Value>;
    /// The fields it reads.
    fn reads(&self) -> Vec<String>;
}

/// How a dataset field gets its value.
pub enum DmValue {
    /// The event's field of the same name.
    Plain,
    /// The event's field, or this value when the event has none or it is empty (the
    /// CIM's `if(isnull(x) OR x="", "unknown", x)`, recognised when compiled).
    Default(Value),
    /// Computed from the event.
    Calc(Box<dyn Calc>),
}

/// One field of a dataset, as the builder gives it.
pub struct DmFieldSpec {
    /// The name in the event (`process_name`).
    pub name: String,
    /// The dataset that declares it (`Processes`), which prefixes it.
    pub owner: String,
    /// How it gets its value.
    pub value: DmValue,
}

/// Which sourcetypes can feed a dataset, for `firedrill coverage`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feeds {
    /// Any sourcetype could (some event type that tags it names none).
    pub any: bool,
    /// Sourcetypes named (lower-case).
    pub sourcetypes: Vec<String>,
    /// Events of a Windows event log channel (`Channel=…`).
    pub channels: bool,
}

/// One dataset, as the builder gives it.
pub struct DmSetSpec {
    /// `Endpoint.Processes`.
    pub name: String,
    /// A root dataset (its parent is `BaseEvent`), which a bare model name resolves to.
    pub root: bool,
    /// Its membership.
    pub member: Box<dyn Member>,
    /// Its fields, inherited ones first.
    pub fields: Vec<DmFieldSpec>,
    /// The event fields membership reads (`tag` expanded by the add-ons).
    pub reads: Vec<String>,
    /// The EventCodes a member must have, when membership requires one of a list.
    pub event_codes: Option<Vec<String>>,
    /// Which sourcetypes can feed it.
    pub feeds: Feeds,
    /// The file that defines it.
    pub file: PathBuf,
}

struct DmField {
    base: FieldRef,
    prefixed: FieldRef,
    value: DmValue,
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
    root: bool,
    member: Box<dyn Member>,
    fields: Vec<DmField>,
    calcs: bool,
    order: Vec<Entry>,
    reads: Vec<String>,
    event_codes: Option<Vec<String>>,
    feeds: Feeds,
    file: PathBuf,
}

/// Every dataset of the data models loaded.
#[derive(Default)]
pub struct DataModels {
    sets: Vec<Arc<DmSet>>,
}

impl fmt::Debug for DataModels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.sets.iter().map(|s| &s.name))
            .finish()
    }
}

fn pass_refs() -> [&'static FieldRef; 4] {
    let m = meta_refs();
    [&m.time, &m.host, &m.source, &m.sourcetype]
}

/// A data model dataset firedrill has no definition for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CimError {
    /// Not defined.
    UnknownDataset {
        /// What was asked for.
        name: String,
        /// What is defined.
        known: Vec<String>,
    },
}

impl fmt::Display for CimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CimError::UnknownDataset { name, known } => write!(
                f,
                "data model `{name}` is not defined in any data model loaded (defined: {})",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for CimError {}

impl DmSet {
    /// Builds a dataset.
    pub fn new(spec: DmSetSpec) -> DmSet {
        let fields: Vec<DmField> = spec
            .fields
            .into_iter()
            .map(|f| DmField {
                prefixed: FieldRef::new(&format!("{}.{}", f.owner, f.name)),
                base: FieldRef::new(&f.name),
                value: f.value,
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
        let calcs = fields.iter().any(|f| matches!(f.value, DmValue::Calc(_)));
        DmSet {
            name: spec.name,
            root: spec.root,
            member: spec.member,
            fields,
            calcs,
            order,
            reads: spec.reads,
            event_codes: spec.event_codes,
            feeds: spec.feeds,
            file: spec.file,
        }
    }
}

impl DataModels {
    /// The datasets given, sorted by name.
    pub fn new(mut sets: Vec<DmSet>) -> DataModels {
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        DataModels {
            sets: sets.into_iter().map(Arc::new).collect(),
        }
    }

    /// The datasets (`Endpoint.Processes`, ...), sorted.
    pub fn names(&self) -> Vec<String> {
        self.sets.iter().map(|s| s.name.clone()).collect()
    }

    /// The datasets, sorted by name.
    pub fn sets(&self) -> impl Iterator<Item = &DmSet> {
        self.sets.iter().map(|s| &**s)
    }

    /// Resolves `Endpoint.Processes`, or a bare model name (`Network_Resolution`) to
    /// its first root dataset by name.
    pub fn resolve(&self, name: &str) -> Option<&Arc<DmSet>> {
        self.sets.iter().find(|s| s.name == name).or_else(|| {
            self.sets
                .iter()
                .find(|s| s.root && s.name.split('.').next() == Some(name))
        })
    }

    /// Resolves a name, or says what is defined.
    pub fn dataset(&self, name: &str) -> Result<&Arc<DmSet>, CimError> {
        self.resolve(name).ok_or_else(|| CimError::UnknownDataset {
            name: name.to_string(),
            known: self.names(),
        })
    }

    /// True if a data model name (`Endpoint.Processes`, `Change`...) is defined.
    pub fn known(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// True if events of `sourcetype` can populate the data model `name`: an event
    /// type that tags its events names that sourcetype, or names a Windows channel and
    /// the sourcetype carries Windows event logs, or names no sourcetype.
    pub fn fed_by(&self, name: &str, sourcetype: &str) -> bool {
        let Some(ds) = self.resolve(name) else {
            return false;
        };
        let f = &ds.feeds;
        let st = sourcetype.to_ascii_lowercase();
        f.any || f.sourcetypes.contains(&st) || (f.channels && crate::has_channels(&st))
    }

    /// The base fields that the dataset fields `dm_fields` (prefixed or not) read, and
    /// the fields membership reads: what to add to a [`Want`](firedrill_value::Want)
    /// (then [`expand_want_with`](crate::expand_want_with) adds the add-on inputs).
    pub fn inputs(&self, dataset: &str, dm_fields: &[&str]) -> Result<Vec<String>, CimError> {
        Ok(self.dataset(dataset)?.inputs(dm_fields))
    }

    /// Rows of a data model dataset from `events`.
    pub fn rows(&self, dataset: &str, events: &[Event]) -> Result<Vec<Row>, CimError> {
        let ds = self.dataset(dataset)?;
        Ok(events
            .iter()
            .filter(|e| ds.contains(&e.fields))
            .map(|e| ds.row(&e.fields))
            .collect())
    }
}

impl DmSet {
    /// The dataset's full name (`Endpoint.Processes`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file that defines it.
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// The prefixed field names (`Processes.process_name`, ...), in definition order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.prefixed.as_str())
    }

    /// The event field a dataset field (prefixed or not) is read from, with the value
    /// it takes when the event has none; `None` for a calculated field, or a name the
    /// dataset does not define.
    pub fn read_from(&self, name: &str) -> Option<(&str, Option<&Value>)> {
        let f = self
            .fields
            .iter()
            .find(|f| f.prefixed.as_str() == name)
            .or_else(|| self.fields.iter().find(|f| f.base.as_str() == name))?;
        match &f.value {
            DmValue::Plain => Some((f.base.as_str(), None)),
            DmValue::Default(v) => Some((f.base.as_str(), Some(v))),
            DmValue::Calc(_) => None,
        }
    }

    /// The EventCodes an event must have to belong to the dataset, when membership
    /// requires one of a list (a reader may skip other events unparsed).
    pub fn event_codes(&self) -> Option<Vec<&str>> {
        Some(
            self.event_codes
                .as_ref()?
                .iter()
                .map(String::as_str)
                .collect(),
        )
    }

    /// True if the event belongs to the dataset.
    #[inline]
    pub fn contains(&self, ev: &dyn Fields) -> bool {
        self.member.contains(ev)
    }

    /// The event as the dataset sees it (call on events it [`contains`](Self::contains)).
    pub fn view<'a, F: Fields + ?Sized>(&'a self, ev: &'a F) -> DmView<'a, F> {
        DmView {
            set: self,
            ev,
            computed: self.compute(ev),
        }
    }

    /// The dataset row of one event (as [`DataModels::rows`] builds it).
    pub fn row<F: Fields + ?Sized>(&self, ev: &F) -> Row {
        self.view(ev).to_row()
    }

    /// See [`DataModels::inputs`]. A calculated field needs what its expression
    /// reads (and, when that is another calculated field, what that one reads).
    pub fn inputs(&self, dm_fields: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut todo: Vec<&DmField> = Vec::new();
        for name in dm_fields {
            let found = self
                .fields
                .iter()
                .find(|f| f.prefixed.as_str() == *name)
                .or_else(|| self.fields.iter().find(|f| f.base.as_str() == *name));
            todo.extend(found);
        }
        let mut seen: Vec<&str> = Vec::new();
        while let Some(f) = todo.pop() {
            if seen.contains(&f.base.as_str()) {
                continue;
            }
            seen.push(f.base.as_str());
            out.push(f.base.as_str().to_string());
            if let DmValue::Calc(c) = &f.value {
                for r in c.reads() {
                    match self.fields.iter().find(|g| g.base.as_str() == r) {
                        Some(g) => todo.push(g),
                        None => out.push(r),
                    }
                }
            }
        }
        out.extend(self.reads.iter().cloned());
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The calculated fields' values for `ev`, in field order (empty when the dataset
    /// has none): each calculation sees those before it.
    fn compute<F: Fields + ?Sized>(&self, ev: &F) -> Vec<Option<Value>> {
        if !self.calcs {
            return Vec::new();
        }
        let mut out: Vec<Option<Value>> = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            let v = match &f.value {
                DmValue::Calc(c) => c.eval(&Overlay {
                    set: self,
                    ev,
                    computed: &out,
                }),
                _ => None,
            };
            out.push(v);
        }
        out
    }
}

/// An event with the calculated fields computed so far shown over it.
struct Overlay<'a, F: Fields + ?Sized> {
    set: &'a DmSet,
    ev: &'a F,
    computed: &'a [Option<Value>],
}

impl<F: Fields + ?Sized> Overlay<'_, F> {
    /// A field as the calculations before this one left it: computed, defaulted, or
    /// the event's own.
    fn shown<'v>(&'v self, i: usize, own: Option<&'v Value>) -> Option<&'v Value> {
        match &self.set.fields[i].value {
            DmValue::Calc(_) => self.computed.get(i).and_then(Option::as_ref),
            DmValue::Default(u) => present(own).or(Some(u)),
            DmValue::Plain => own,
        }
    }
}

impl<F: Fields + ?Sized> Fields for Overlay<'_, F> {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        let before = &self.set.fields[..self.computed.len()];
        match before.iter().position(|d| d.base.sym == f.sym) {
            Some(i) => self.shown(i, self.ev.get(f)),
            None => self.ev.get(f),
        }
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        let before = &self.set.fields[..self.computed.len()];
        match before.iter().position(|d| d.base.as_str() == name) {
            Some(i) => self.shown(i, self.ev.get_str(name)),
            None => self.ev.get_str(name),
        }
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.ev.for_each(f)
    }
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null() && !matches!(v, Value::Str(s) if s.is_empty()))
}

/// An event seen through a dataset: the prefixed names map to the event's fields
/// (or their defaults and calculations); `_time`, `host`, `source` and `sourcetype`
/// pass through; nothing else is visible.
pub struct DmView<'a, F: Fields + ?Sized = Record> {
    set: &'a DmSet,
    ev: &'a F,
    computed: Vec<Option<Value>>,
}

impl<'a, F: Fields + ?Sized> DmView<'a, F> {
    #[inline]
    fn field(&self, i: usize) -> Option<&Value> {
        let d = &self.set.fields[i];
        match &d.value {
            DmValue::Plain => present(self.ev.get(&d.base)),
            DmValue::Default(u) => present(self.ev.get(&d.base)).or(Some(u)),
            DmValue::Calc(_) => self.computed.get(i).and_then(Option::as_ref),
        }
    }
}

impl<F: Fields + ?Sized> Fields for DmView<'_, F> {
    #[inline]
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        if let Some(i) = self.set.fields.iter().position(|d| d.prefixed.sym == f.sym) {
            return self.field(i);
        }
        if pass_refs().iter().any(|p| p.sym == f.sym) {
            return self.ev.get(f);
        }
        None
    }

    fn get_str(&self, name: &str) -> Option<&Value> {
        if let Some(i) = self
            .set
            .fields
            .iter()
            .position(|d| d.prefixed.as_str() == name)
        {
            return self.field(i);
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
                    if let Some(v) = self.field(i) {
                        f(self.set.fields[i].prefixed.as_str(), v);
                    }
                }
            }
        }
    }
}

/// An event of a dataset with its own field names (`| from datamodel:X`): every
/// field of the event, with the dataset's defaults and calculations over them.
pub struct DmEvent<'a, F: Fields + ?Sized> {
    view: DmView<'a, F>,
}

impl DmSet {
    /// The event with its own names (call on events it [`contains`](Self::contains)).
    pub fn event<'a, F: Fields + ?Sized>(&'a self, ev: &'a F) -> DmEvent<'a, F> {
        DmEvent {
            view: self.view(ev),
        }
    }
}

impl<F: Fields + ?Sized> DmEvent<'_, F> {
    fn own(&self, i: usize) -> Option<&Value> {
        match self.view.set.fields[i].value {
            DmValue::Plain => None,
            _ => self.view.field(i),
        }
    }
}

impl<F: Fields + ?Sized> Fields for DmEvent<'_, F> {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        match self
            .view
            .set
            .fields
            .iter()
            .position(|d| d.base.sym == f.sym)
        {
            Some(i) if !matches!(self.view.set.fields[i].value, DmValue::Plain) => self.own(i),
            _ => present(self.view.ev.get(f)),
        }
    }

    fn get_str(&self, name: &str) -> Option<&Value> {
        match self
            .view
            .set
            .fields
            .iter()
            .position(|d| d.base.as_str() == name)
        {
            Some(i) if !matches!(self.view.set.fields[i].value, DmValue::Plain) => self.own(i),
            _ => present(self.view.ev.get_str(name)),
        }
    }

    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        let set = self.view.set;
        let own = |name: &str| {
            set.fields
                .iter()
                .any(|d| d.base.as_str() == name && !matches!(d.value, DmValue::Plain))
        };
        self.view.ev.for_each(&mut |k, v| {
            if !own(k) {
                f(k, v)
            }
        });
        for (i, d) in set.fields.iter().enumerate() {
            if matches!(d.value, DmValue::Plain) {
                continue;
            }
            if let Some(v) = self.own(i) {
                f(d.base.as_str(), v);
            }
        }
    }
}

/// The "unknown" value the CIM gives absent fields.
pub fn unknown_value() -> &'static Value {
    static U: OnceLock<Value> = OnceLock::new();
    U.get_or_init(|| Value::str("unknown"))
}
