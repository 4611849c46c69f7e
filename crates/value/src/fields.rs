//! Field names resolved once: a [`Sym`] is a small number for a field name that some
//! compiled search or add-on table refers to, so the hot path (one event, hundreds of
//! detections) looks fields up by number instead of by string.
//!
//! Names are interned only when searches and tables are compiled — never from data —
//! so hostile data with millions of distinct keys cannot grow the table. A reader asks
//! a [`Want`] (a frozen set of interned names) whether a field in the data is wanted.

use crate::{Row, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// An interned field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

#[derive(Default)]
struct Table {
    ids: HashMap<&'static str, u32>,
    names: Vec<&'static str>,
}

fn table() -> &'static RwLock<Table> {
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

impl Sym {
    /// The symbol of `name`, interning it on first use. Call this when compiling, not
    /// per event: the name is kept for the life of the process.
    pub fn intern(name: &str) -> Sym {
        if let Some(s) = Sym::lookup(name) {
            return s;
        }
        let mut t = match table().write() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(&id) = t.ids.get(name) {
            return Sym(id);
        }
        let id = t.names.len() as u32;
        let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
        t.names.push(leaked);
        t.ids.insert(leaked, id);
        Sym(id)
    }

    /// The symbol of `name` if it was interned; never interns.
    pub fn lookup(name: &str) -> Option<Sym> {
        let t = match table().read() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        t.ids.get(name).map(|&id| Sym(id))
    }

    /// The field name.
    pub fn name(self) -> &'static str {
        let t = match table().read() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        t.names.get(self.0 as usize).copied().unwrap_or("")
    }

    /// The symbol's number (dense from 0).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A field as compiled code refers to it: its name (for rows keyed by name) and its
/// symbol (for records keyed by symbol).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldRef {
    /// The symbol.
    pub sym: Sym,
    /// The name as written.
    pub name: Box<str>,
}

impl FieldRef {
    /// A reference to `name` (interns it).
    pub fn new(name: &str) -> FieldRef {
        FieldRef {
            sym: Sym::intern(name),
            name: name.into(),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// Read access to the fields of an event or row. Missing means null.
pub trait Fields {
    /// The value of a compiled field reference.
    fn get(&self, f: &FieldRef) -> Option<&Value>;
    /// The value of a field named at run time.
    fn get_str(&self, name: &str) -> Option<&Value>;
    /// Calls `f` for every field (for wildcards and materialising a row).
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value));

    /// Every field as a row.
    fn to_row(&self) -> Row {
        let mut row = Row::new();
        self.for_each(&mut |k, v| {
            row.insert(k.to_string(), v.clone());
        });
        row
    }
}

impl Fields for Row {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        std::collections::BTreeMap::get(self, &*f.name)
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        std::collections::BTreeMap::get(self, name)
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        for (k, v) in self {
            f(k, v);
        }
    }
    fn to_row(&self) -> Row {
        self.clone()
    }
}

/// Write access, for add-on field computation over either a [`Record`] or a [`Row`].
pub trait FieldsMut: Fields {
    /// Sets a field, replacing any earlier value.
    fn set(&mut self, f: &FieldRef, v: Value);
    /// Removes a field.
    fn remove(&mut self, f: &FieldRef);
    /// Sets a field whose name is known only at run time (an extraction's `$1::$2`).
    /// Kept only where a field without a compiled reference can be: on a row, or on a
    /// record when some search interned the name.
    fn set_named(&mut self, name: &str, v: Value) {
        if let Some(s) = Sym::lookup(name) {
            self.set(
                &FieldRef {
                    sym: s,
                    name: s.name().into(),
                },
                v,
            );
        }
    }
}

impl FieldsMut for Row {
    fn set(&mut self, f: &FieldRef, v: Value) {
        self.insert(f.name.to_string(), v);
    }
    fn remove(&mut self, f: &FieldRef) {
        std::collections::BTreeMap::remove(self, &*f.name);
    }
    fn set_named(&mut self, name: &str, v: Value) {
        self.insert(name.to_string(), v);
    }
}

/// One event on the streaming path: only the fields some compiled search or table
/// wants, keyed by symbol. A dozen to a few dozen entries, so a scan beats hashing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    fields: Vec<(Sym, Value)>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// A record of these fields, whose symbols must be distinct (as a reader that
    /// has merged repeated names gives them): building one field at a time checks
    /// each name against all before it. Checked only in debug builds.
    pub fn from_fields(fields: Vec<(Sym, Value)>) -> Record {
        debug_assert!(
            fields
                .iter()
                .enumerate()
                .all(|(i, (s, _))| fields[..i].iter().all(|(t, _)| t != s)),
            "Record::from_fields: a symbol given twice"
        );
        Record { fields }
    }

    /// The value of a field by symbol.
    #[inline]
    pub fn get_sym(&self, s: Sym) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == s).map(|(_, v)| v)
    }

    /// Sets a field, replacing any earlier value.
    pub fn set_sym(&mut self, s: Sym, v: Value) {
        match self.fields.iter_mut().find(|(k, _)| *k == s) {
            Some(slot) => slot.1 = v,
            None => self.fields.push((s, v)),
        }
    }

    /// Adds a value: a field seen twice becomes a multivalue (repeated XML `Data`
    /// names, JSON arrays).
    pub fn push_sym(&mut self, s: Sym, v: Value) {
        match self.fields.iter_mut().find(|(k, _)| *k == s) {
            Some(slot) => {
                let old = std::mem::take(&mut slot.1);
                slot.1 = Value::multi(vec![old, v]);
            }
            None => self.fields.push((s, v)),
        }
    }

    /// Removes a field.
    pub fn remove_sym(&mut self, s: Sym) -> Option<Value> {
        let i = self.fields.iter().position(|(k, _)| *k == s)?;
        Some(self.fields.swap_remove(i).1)
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (Sym, &Value)> {
        self.fields.iter().map(|(k, v)| (*k, v))
    }

    /// Approximate heap bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.fields.capacity() * std::mem::size_of::<(Sym, Value)>()
            + self
                .fields
                .iter()
                .map(|(_, v)| v.heap_bytes())
                .sum::<usize>()
    }
}

impl Fields for Record {
    #[inline]
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        self.get_sym(f.sym)
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        Sym::lookup(name).and_then(|s| self.get_sym(s))
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        for (k, v) in &self.fields {
            f(k.name(), v);
        }
    }
}

impl FieldsMut for Record {
    fn set(&mut self, f: &FieldRef, v: Value) {
        self.set_sym(f.sym, v);
    }
    fn remove(&mut self, f: &FieldRef) {
        self.remove_sym(f.sym);
    }
    fn set_named(&mut self, name: &str, v: Value) {
        if let Some(s) = Sym::lookup(name) {
            self.set_sym(s, v);
        }
    }
}

/// Which fields of the data a run keeps: a frozen map from name to symbol, built once
/// before reading. `all` keeps every field (then names are not interned: use a
/// [`Row`], not a [`Record`]).
#[derive(Clone, Debug, Default)]
pub struct Want {
    names: HashMap<&'static str, Sym>,
    /// By symbol index: named (for [`Want::wants_sym`], without hashing a name).
    by_sym: Vec<bool>,
    /// Keep everything.
    pub all: bool,
}

impl Want {
    /// Wants exactly these fields.
    pub fn of<'a>(fields: impl IntoIterator<Item = &'a str>) -> Want {
        let mut w = Want::default();
        for f in fields {
            w.add(f);
        }
        w
    }

    /// Wants every field.
    pub fn everything() -> Want {
        Want {
            names: HashMap::new(),
            by_sym: Vec::new(),
            all: true,
        }
    }

    /// Adds a field.
    pub fn add(&mut self, name: &str) -> Sym {
        let s = Sym::intern(name);
        self.insert(s.name(), s);
        s
    }

    /// Adds a field already interned.
    pub fn insert(&mut self, name: &'static str, s: Sym) {
        self.names.insert(name, s);
        if self.by_sym.len() <= s.index() {
            self.by_sym.resize(s.index() + 1, false);
        }
        self.by_sym[s.index()] = true;
    }

    /// The symbol of a wanted field (`None`: skip it). With `all`, interns nothing and
    /// answers only for names already added.
    #[inline]
    pub fn get(&self, name: &str) -> Option<Sym> {
        self.names.get(name).copied()
    }

    /// True if the field is wanted.
    pub fn wants(&self, name: &str) -> bool {
        self.all || self.names.contains_key(name)
    }

    /// True if the field with this symbol is wanted.
    #[inline]
    pub fn wants_sym(&self, s: Sym) -> bool {
        self.all || self.by_sym.get(s.index()).copied().unwrap_or(false)
    }

    /// The number of named fields.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no field is named.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The named fields.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names.keys().copied()
    }

    /// Shared, for readers on several threads.
    pub fn shared(self) -> Arc<Want> {
        Arc::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_stable_and_lookup_never_interns() {
        let a = Sym::intern("fields_test_a");
        assert_eq!(Sym::intern("fields_test_a"), a);
        assert_eq!(a.name(), "fields_test_a");
        assert_eq!(Sym::lookup("fields_test_never_interned"), None);
    }

    #[test]
    fn records_merge_repeated_fields_into_multivalues() {
        let f = FieldRef::new("fields_test_rep");
        let mut r = Record::new();
        r.push_sym(f.sym, Value::str("1"));
        r.push_sym(f.sym, Value::str("2"));
        assert_eq!(r.get(&f).map(|v| v.values().len()), Some(2));
        r.set(&f, Value::str("3"));
        assert_eq!(r.get(&f), Some(&Value::str("3")));
        assert_eq!(r.get_str("fields_test_rep"), Some(&Value::str("3")));
        assert_eq!(r.to_row().len(), 1);
    }

    #[test]
    fn want_answers_only_for_added_names() {
        let w = Want::of(["fields_test_w1"]);
        assert!(w.get("fields_test_w1").is_some());
        assert!(w.get("fields_test_w2").is_none());
        assert!(Want::everything().wants("anything"));
    }
}
