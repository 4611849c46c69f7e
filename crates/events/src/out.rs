//! Where a reader puts an event's fields: a [`Record`] keeps only the wanted fields,
//! by symbol; a [`Row`] keeps every field, by name. Readers are written once, generic
//! over [`Out`], so both paths give the same values.

use firedrill_value::{FieldRef, Record, Row, Sym, Value, Want};
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

/// A [`Want`] as readers ask it, per field of every event: a fast map from name to
/// symbol, built once per stream.
#[derive(Debug, Clone)]
pub(crate) struct WantIdx {
    map: FxMap<&'static str, Sym>,
}

impl WantIdx {
    pub(crate) fn new(want: &Want) -> WantIdx {
        let mut map = FxMap::default();
        for n in want.names() {
            if let Some(s) = want.get(n) {
                map.insert(n, s);
            }
        }
        WantIdx { map }
    }

    /// The symbol of a wanted field.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<Sym> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get(name).copied()
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

    /// Sets `f` when it is kept.
    fn set_ref(&mut self, f: &FieldRef, v: impl FnOnce() -> Value) {
        if let Some(k) = self.key(&f.name) {
            self.set(k, &f.name, v());
        }
    }
}

/// Output into a [`Record`] of the wanted fields.
pub(crate) struct RecOut<'w> {
    pub(crate) rec: Record,
    want: &'w WantIdx,
}

impl<'w> RecOut<'w> {
    pub(crate) fn new(want: &'w WantIdx) -> RecOut<'w> {
        RecOut {
            rec: Record::new(),
            want,
        }
    }
}

impl Out for RecOut<'_> {
    type Key = Sym;
    #[inline]
    fn key(&self, name: &str) -> Option<Sym> {
        match name {
            "_time" => Some(meta_refs().time.sym),
            "host" => Some(meta_refs().host.sym),
            "source" => Some(meta_refs().source.sym),
            "sourcetype" => Some(meta_refs().sourcetype.sym),
            _ => self.want.get(name),
        }
    }
    #[inline]
    fn push(&mut self, key: Sym, _name: &str, v: Value) {
        self.rec.push_sym(key, v);
    }
    #[inline]
    fn set(&mut self, key: Sym, _name: &str, v: Value) {
        self.rec.set_sym(key, v);
    }
    fn all(&self) -> bool {
        false
    }
}

/// Output into a [`Row`] of every field.
#[derive(Default)]
pub(crate) struct RowOut {
    pub(crate) row: Row,
}

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
}

/// Sets the four metadata fields every event has.
pub(crate) fn set_meta<O: Out>(out: &mut O, time: f64, host: String, source: String, st: String) {
    let m = meta_refs();
    out.set_ref(&m.time, || Value::Num(time));
    out.set_ref(&m.host, || Value::Str(host));
    out.set_ref(&m.source, || Value::Str(source));
    out.set_ref(&m.sourcetype, || Value::Str(st));
}
