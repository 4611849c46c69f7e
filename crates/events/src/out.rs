//! Where a reader puts an event's fields: a [`Record`] keeps only the wanted fields,
//! by symbol; a [`Row`] keeps every field, by name. Readers are written once, generic
//! over [`Out`], so both paths give the same values.

use firedrill_value::{FieldRef, Fields, FieldsMut, Record, Row, Sym, Value, Want};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FxHash (rustc's hasher): field names are short and chosen by the tables and the
/// searches, not by the data, so a fast non-keyed hash is safe here (the data only
/// asks; it never inserts).
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map keyed by field names with [`Fx`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// The field names a stream keeps, as readers ask for them (per field of every
/// event): a fast map from name to symbol, and back, built once per stream.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    map: FxMap<&'static str, Sym>,
    /// Symbol index to name, for the symbols in `map`.
    by_sym: Vec<&'static str>,
    /// Symbol index to the name's place in name order (`u32::MAX`: not in `map`).
    rank: Vec<u32>,
    /// Every field is kept, named here or not.
    all: bool,
}

impl Names {
    fn build(names: impl IntoIterator<Item = (&'static str, Sym)>, all: bool) -> Names {
        let mut map = FxMap::default();
        let mut by_sym = Vec::new();
        let m = meta_refs();
        let meta = [&m.time, &m.host, &m.source, &m.sourcetype].map(|f| (f.sym.name(), f.sym));
        for (n, s) in names.into_iter().chain(meta) {
            map.insert(n, s);
            if by_sym.len() <= s.index() {
                by_sym.resize(s.index() + 1, "");
            }
            by_sym[s.index()] = n;
        }
        let mut sorted: Vec<(&'static str, Sym)> = map.iter().map(|(n, s)| (*n, *s)).collect();
        sorted.sort_unstable();
        let mut rank = vec![u32::MAX; by_sym.len()];
        for (i, (_, s)) in sorted.iter().enumerate() {
            rank[s.index()] = i as u32;
        }
        Names {
            map,
            by_sym,
            rank,
            all,
        }
    }

    /// The fields `want` names (and the metadata every event has).
    pub(crate) fn of_want(want: &Want) -> Names {
        Names::build(
            want.names().filter_map(|n| want.get(n).map(|s| (n, s))),
            false,
        )
    }

    /// Every field: `_raw` by symbol, the others by name.
    pub(crate) fn everything() -> &'static Names {
        static N: OnceLock<Names> = OnceLock::new();
        N.get_or_init(|| Names::build([("_raw", meta_refs().raw.sym)], true))
    }

    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<Sym> {
        self.map.get(name).copied()
    }

    #[inline]
    fn name(&self, s: Sym) -> &'static str {
        match self.by_sym.get(s.index()) {
            Some(n) if !n.is_empty() => n,
            _ => s.name(),
        }
    }
}

/// One event's fields while it is read and its add-on fields computed: fields with
/// a symbol are found through a table indexed by symbol (the add-on rules look up
/// dozens per event), fields without one (kept only when everything is) by name.
/// Reused from event to event (it keeps its allocations).
#[derive(Default)]
pub(crate) struct Ev {
    known: Vec<(Sym, Value)>,
    /// Symbol index to position + 1 in `known` (0: absent).
    slot: Vec<u32>,
    /// (name, value, replaces earlier values) in the order given.
    other: Vec<(String, Value, bool)>,
}

impl Ev {
    #[inline]
    fn pos(&self, s: Sym) -> Option<usize> {
        match self.slot.get(s.index()) {
            Some(&p) if p != 0 => Some(p as usize - 1),
            _ => None,
        }
    }

    #[inline]
    fn add(&mut self, s: Sym, v: Value) {
        if self.slot.len() <= s.index() {
            self.slot.resize(s.index() + 1, 0);
        }
        self.known.push((s, v));
        self.slot[s.index()] = self.known.len() as u32;
    }

    /// Adds a value: a field given twice becomes a multivalue.
    #[inline]
    pub(crate) fn push_sym(&mut self, s: Sym, v: Value) {
        match self.pos(s) {
            Some(p) => {
                let old = std::mem::take(&mut self.known[p].1);
                self.known[p].1 = Value::multi(vec![old, v]);
            }
            None => self.add(s, v),
        }
    }

    /// Sets a value, replacing any earlier one (also one kept by name only).
    #[inline]
    pub(crate) fn set_sym(&mut self, s: Sym, v: Value) {
        if !self.other.is_empty() {
            let name = s.name();
            self.other.retain(|o| o.0 != name);
        }
        match self.pos(s) {
            Some(p) => self.known[p].1 = v,
            None => self.add(s, v),
        }
    }

    /// A field kept by name only, as [`Ev::take_row`] will merge it: the values given
    /// since the last replacing one (one value, or a multivalue).
    fn other_value(&self, name: &str) -> Option<&Value> {
        // Given more than once without replacing: the row gets a multivalue, which a
        // borrow cannot build; the last value stands for it (rare: repeated keys).
        self.other.iter().rev().find(|o| o.0 == name).map(|o| &o.1)
    }

    fn reset(&mut self) {
        for (s, _) in &self.known {
            self.slot[s.index()] = 0;
        }
        self.known.clear();
        self.other.clear();
    }

    /// The event as a record (without the `drop` fields); the builder is emptied.
    pub(crate) fn take_record(&mut self, drop: &[bool]) -> Record {
        let mut fields = Vec::with_capacity(self.known.len());
        for (s, v) in self.known.drain(..) {
            self.slot[s.index()] = 0;
            if !drop.get(s.index()).copied().unwrap_or(false) {
                fields.push((s, v));
            }
        }
        self.other.clear();
        Record::from_fields(fields)
    }

    /// The event as a row; the builder is emptied.
    pub(crate) fn take_row(&mut self, names: &Names) -> Row {
        // Both parts in name order (the symbols' by rank, no string comparisons),
        // merged: the map then builds from sorted input in one pass.
        let rank = |s: &Sym| names.rank.get(s.index()).copied().unwrap_or(u32::MAX);
        self.known.sort_unstable_by_key(|(s, _)| rank(s));
        let mut known = Vec::with_capacity(self.known.len());
        for (s, v) in self.known.drain(..) {
            self.slot[s.index()] = 0;
            known.push((names.name(s), v));
        }
        // Names given twice: merged in the order given (stable sort).
        self.other.sort_by(|a, b| a.0.cmp(&b.0));
        let mut other: Vec<(String, Value)> = Vec::with_capacity(self.other.len());
        for (n, v, replace) in self.other.drain(..) {
            match other.last_mut() {
                Some(last) if last.0 == n => {
                    let acc = std::mem::take(&mut last.1);
                    last.1 = if replace {
                        v
                    } else {
                        Value::multi(vec![acc, v])
                    };
                }
                _ => other.push((n, v)),
            }
        }
        let mut out: Vec<(String, Value)> = Vec::with_capacity(known.len() + other.len());
        let mut other = other.into_iter().peekable();
        for (n, v) in known {
            while let Some(o) = other.next_if(|o| o.0.as_str() < n) {
                out.push(o);
            }
            out.push((n.to_string(), v));
        }
        out.extend(other);
        out.into_iter().collect()
    }
}

impl Fields for Ev {
    #[inline]
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        match self.pos(f.sym) {
            Some(p) => Some(&self.known[p].1),
            // When every field is kept, the reader keeps fields no table names by
            // name only: a user's add-on may still read them.
            None if !self.other.is_empty() => self.other_value(&f.name),
            None => None,
        }
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        match Sym::lookup(name).and_then(|s| self.pos(s)) {
            Some(p) => Some(&self.known[p].1),
            None => self.other_value(name),
        }
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        for (s, v) in &self.known {
            f(s.name(), v);
        }
        for (n, v, _) in &self.other {
            f(n, v);
        }
    }
}

impl FieldsMut for Ev {
    #[inline]
    fn set(&mut self, f: &FieldRef, v: Value) {
        self.set_sym(f.sym, v);
    }
    fn remove(&mut self, f: &FieldRef) {
        if let Some(p) = self.pos(f.sym) {
            self.slot[f.sym.index()] = 0;
            self.known.swap_remove(p);
            if let Some((moved, _)) = self.known.get(p) {
                self.slot[moved.index()] = p as u32 + 1;
            }
        }
        self.other.retain(|o| *o.0 != *f.name);
    }
    fn set_named(&mut self, name: &str, v: Value) {
        match Sym::lookup(name) {
            Some(s) => self.set_sym(s, v),
            None => {
                self.other.retain(|o| o.0 != name);
                self.other.push((name.to_string(), v, true));
            }
        }
    }
}

/// A reader's output into an [`Ev`]: the fields `names` keeps.
pub(crate) struct EvOut<'a> {
    pub(crate) ev: &'a mut Ev,
    names: &'a Names,
}

impl<'a> EvOut<'a> {
    pub(crate) fn new(ev: &'a mut Ev, names: &'a Names) -> EvOut<'a> {
        ev.reset();
        EvOut { ev, names }
    }
}

impl Out for EvOut<'_> {
    type Key = Option<Sym>;
    #[inline]
    fn key(&self, name: &str) -> Option<Option<Sym>> {
        match self.names.get(name) {
            Some(s) => Some(Some(s)),
            None if self.names.all => Some(None),
            None => None,
        }
    }
    #[inline]
    fn push(&mut self, key: Option<Sym>, name: &str, v: Value) {
        match key {
            Some(s) => self.ev.push_sym(s, v),
            None => self.ev.other.push((name.to_string(), v, false)),
        }
    }
    #[inline]
    fn set(&mut self, key: Option<Sym>, name: &str, v: Value) {
        match key {
            Some(s) => self.ev.set_sym(s, v),
            None => self.ev.other.push((name.to_string(), v, true)),
        }
    }
    fn all(&self) -> bool {
        self.names.all
    }
    fn reset(&mut self) {
        self.ev.reset();
    }
}

/// The fields every event has.
pub(crate) struct MetaRefs {
    pub(crate) raw: FieldRef,
    pub(crate) time: FieldRef,
    pub(crate) host: FieldRef,
    pub(crate) source: FieldRef,
    pub(crate) sourcetype: FieldRef,
}

pub(crate) fn meta_refs() -> &'static MetaRefs {
    static M: OnceLock<MetaRefs> = OnceLock::new();
    M.get_or_init(|| MetaRefs {
        raw: FieldRef::new("_raw"),
        time: FieldRef::new("_time"),
        host: FieldRef::new("host"),
        source: FieldRef::new("source"),
        sourcetype: FieldRef::new("sourcetype"),
    })
}

/// True for the fields a reader sets from metadata; data fields of these names are
/// dropped (the metadata wins), as Splunk's indexed fields do.
#[inline]
pub(crate) fn is_meta(name: &str) -> bool {
    matches!(name, "_raw" | "_time" | "host" | "source" | "sourcetype")
}

/// A reader's output for one event.
pub(crate) trait Out {
    /// A resolved field name.
    type Key: Copy;
    /// The key of a field, or `None` when the field is not kept.
    fn key(&self, name: &str) -> Option<Self::Key>;
    /// Adds a value: a field given twice becomes a multivalue.
    fn push(&mut self, key: Self::Key, name: &str, v: Value);
    /// Sets a value, replacing any earlier one.
    fn set(&mut self, key: Self::Key, name: &str, v: Value);
    /// True when this output keeps every field.
    fn all(&self) -> bool;
    /// Forgets everything given so far.
    fn reset(&mut self);

    /// Sets `f` when it is kept.
    fn set_ref(&mut self, f: &FieldRef, v: impl FnOnce() -> Value) {
        if let Some(k) = self.key(&f.name) {
            self.set(k, &f.name, v());
        }
    }
}

/// Output into a [`Row`] of every field (the readers' unit tests).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct RowOut {
    pub(crate) row: Row,
}

#[cfg(test)]
impl Out for RowOut {
    type Key = ();
    #[inline]
    fn key(&self, _name: &str) -> Option<()> {
        Some(())
    }
    fn push(&mut self, _key: (), name: &str, v: Value) {
        match self.row.get_mut(name) {
            Some(old) => {
                let prev = std::mem::take(old);
                *old = Value::multi(vec![prev, v]);
            }
            None => {
                self.row.insert(name.to_string(), v);
            }
        }
    }
    fn set(&mut self, _key: (), name: &str, v: Value) {
        match self.row.get_mut(name) {
            Some(old) => *old = v,
            None => {
                self.row.insert(name.to_string(), v);
            }
        }
    }
    fn all(&self) -> bool {
        true
    }
    fn reset(&mut self) {
        self.row.clear();
    }
}

/// Sets the four metadata fields every event has.
pub(crate) fn set_meta<O: Out>(out: &mut O, time: f64, host: String, source: String, st: String) {
    let m = meta_refs();
    out.set_ref(&m.time, || Value::Num(time));
    out.set_ref(&m.host, || Value::Str(host));
    out.set_ref(&m.source, || Value::Str(source));
    out.set_ref(&m.sourcetype, || Value::Str(st));
}
