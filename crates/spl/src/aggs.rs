//! Aggregations as a registry of (name, argument, accumulator) rows, shared by
//! `stats`, `eventstats`, `streamstats`, `timechart`, `tstats` and `top` — so an
//! aggregation is supported everywhere or nowhere. Accumulators take values as rows
//! stream in; a group holds what its functions need (a count, a sum, the distinct
//! values), never the rows themselves.
//!
//! Grouping follows Splunk: a multivalue by-field puts the row in one group per
//! value; a row whose by-field is null is dropped (unless `fillnull_value` fills it);
//! groups come out sorted by their keys.

use crate::ast::Agg;
use crate::expr::{self, compare, CExpr, EvalError};
use crate::span::Span;
use crate::Unsupported;
use firedrill_value::{FieldRef, Fields, Row, Value};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// What an aggregation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    /// Nothing (`count`) or a field.
    Optional,
    /// A field or `eval(...)`.
    Required,
}

/// One aggregation of the registry.
pub struct AggDef {
    /// The name, lower-case.
    pub name: &'static str,
    arg: Arg,
    make: fn(f64) -> Box<dyn Acc>,
}

const fn row(name: &'static str, arg: Arg, make: fn(f64) -> Box<dyn Acc>) -> AggDef {
    AggDef { name, arg, make }
}

/// Every aggregation firedrill implements; percentiles (`perc95`, `p99`,
/// `exactperc50`, `upperperc90`) are resolved by [`lookup`].
pub const AGGREGATIONS: &[AggDef] = &[
    row("count", Arg::Optional, |_| Box::<Count>::default()),
    row("c", Arg::Optional, |_| Box::<Count>::default()),
    row("dc", Arg::Required, |_| Box::new(Distinct::new(false))),
    row("distinct_count", Arg::Required, |_| {
        Box::new(Distinct::new(false))
    }),
    row("estdc", Arg::Required, |_| Box::new(Distinct::new(false))),
    row("values", Arg::Required, |_| Box::new(Distinct::new(true))),
    row("list", Arg::Required, |_| Box::<List>::default()),
    row("min", Arg::Required, |_| {
        Box::new(MinMax::new(Ordering::Less))
    }),
    row("max", Arg::Required, |_| {
        Box::new(MinMax::new(Ordering::Greater))
    }),
    row("avg", Arg::Required, |_| Box::new(Moments::new(Stat::Avg))),
    row("mean", Arg::Required, |_| Box::new(Moments::new(Stat::Avg))),
    row("sum", Arg::Required, |_| Box::new(Moments::new(Stat::Sum))),
    row("sumsq", Arg::Required, |_| {
        Box::new(Moments::new(Stat::Sumsq))
    }),
    row("stdev", Arg::Required, |_| {
        Box::new(Moments::new(Stat::Stdev))
    }),
    row("stdevp", Arg::Required, |_| {
        Box::new(Moments::new(Stat::Stdevp))
    }),
    row("var", Arg::Required, |_| Box::new(Moments::new(Stat::Var))),
    row("varp", Arg::Required, |_| {
        Box::new(Moments::new(Stat::Varp))
    }),
    row("range", Arg::Required, |_| {
        Box::new(Moments::new(Stat::Range))
    }),
    row("first", Arg::Required, |_| {
        Box::new(Ends {
            last: false,
            v: None,
        })
    }),
    row("last", Arg::Required, |_| {
        Box::new(Ends {
            last: true,
            v: None,
        })
    }),
    row("earliest", Arg::Required, |_| {
        Box::new(ByTime::new(false, false))
    }),
    row("latest", Arg::Required, |_| {
        Box::new(ByTime::new(true, false))
    }),
    row("earliest_time", Arg::Required, |_| {
        Box::new(ByTime::new(false, true))
    }),
    row("latest_time", Arg::Required, |_| {
        Box::new(ByTime::new(true, true))
    }),
    row("median", Arg::Required, |_| {
        // Search Reference, median: with an even count, "the higher of the two values".
        Box::new(Percentile {
            p: 50.0,
            n: Vec::new(),
            interpolate: false,
        })
    }),
    row("mode", Arg::Required, |_| Box::<Mode>::default()),
];

const PERCENTILE: AggDef = row("perc", Arg::Required, |p| {
    Box::new(Percentile {
        p,
        n: Vec::new(),
        interpolate: true,
    })
});

/// The registry row for `func`, and its parameter (the percentile).
pub fn lookup(func: &str) -> Option<(&'static AggDef, f64)> {
    if let Some(d) = AGGREGATIONS.iter().find(|d| d.name == func) {
        return Some((d, 0.0));
    }
    ["exactperc", "upperperc", "perc", "p"]
        .iter()
        .find_map(|p| func.strip_prefix(p))
        .and_then(|n| n.parse::<f64>().ok())
        .filter(|n| (0.0..=100.0).contains(n))
        .map(|p| (&PERCENTILE, p))
}

/// An accumulator: values arrive one by one; `finish` gives the aggregate.
pub trait Acc: Send {
    /// One value, with its row's `_time`.
    fn add(&mut self, v: &Value, time: f64);
    /// The result, given the number of rows in the group.
    fn finish(&self, rows: usize) -> Value;
    /// One value of the field `field` (a wildcard aggregation keeps one accumulator per
    /// field it matches).
    fn add_field(&mut self, _field: &str, v: &Value, time: f64) {
        self.add(v, time)
    }
    /// Writes the result into `row` under `alias` (a wildcard aggregation writes one
    /// field per field it matched, never over a field already there: the by-fields).
    fn finish_into(&self, rows: usize, alias: &str, row: &mut Row) {
        let v = self.finish(rows);
        if !v.is_null() {
            row.insert(alias.to_string(), v);
        }
    }
}

/// A wildcard aggregation (`values(*) AS *`, `avg(*lay)`, `latest(requestParameters.*)
/// AS *`): one accumulator per matching field, each named by the alias with its `*`s
/// replaced by what the field's name matched (`func(field)` without an alias).
/// Internal `_` fields match only a pattern that starts with `_`.
struct GlobAcc {
    make: fn(f64) -> Box<dyn Acc>,
    param: f64,
    func: &'static str,
    pattern: String,
    /// The alias pattern (`None`: `func(field)`).
    alias: Option<String>,
    fields: Vec<(String, Box<dyn Acc>)>,
}

impl Acc for GlobAcc {
    fn add(&mut self, _: &Value, _: f64) {}
    fn finish(&self, _: usize) -> Value {
        Value::Null
    }
    fn add_field(&mut self, field: &str, v: &Value, time: f64) {
        match self.fields.iter_mut().find(|(f, _)| f == field) {
            Some((_, acc)) => acc.add(v, time),
            None => {
                let mut acc = (self.make)(self.param);
                acc.add(v, time);
                self.fields.push((field.to_string(), acc));
            }
        }
    }
    fn finish_into(&self, rows: usize, _: &str, row: &mut Row) {
        for (field, acc) in &self.fields {
            let name = match (
                &self.alias,
                crate::exec::rows::field_glob(&self.pattern, field),
            ) {
                (Some(a), Some(caps)) => crate::exec::rows::glob_target(a, caps),
                _ => format!("{}({field})", self.func),
            };
            if row.contains_key(&name) {
                continue;
            }
            let v = acc.finish(rows);
            if !v.is_null() {
                row.insert(name, v);
            }
        }
    }
}

/// One compiled aggregation.
#[derive(Clone, Debug)]
pub struct CAgg {
    def: &'static AggDef,
    param: f64,
    input: Input,
    /// The output name.
    pub alias: String,
    /// Where it is written.
    pub span: Span,
}

impl std::fmt::Debug for AggDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

#[derive(Clone, Debug)]
enum Input {
    /// `count`: rows.
    Rows,
    /// `count(*)`: one per row.
    Star,
    /// A field's values.
    Field(FieldRef),
    /// `eval(...)`: its value, `false` counting as null.
    Expr(CExpr),
    /// Every field whose name matches the pattern, each on its own; with the alias
    /// pattern (`None` when there was no `AS`).
    Glob(String, Option<String>),
}

/// Compiles one aggregation: unknown functions, wildcard fields and missing
/// arguments are unsupported, with the aggregation's span.
pub fn compile(a: &Agg) -> Result<CAgg, Unsupported> {
    let unsupported = |what: String| Unsupported { what, span: a.span };
    let (def, param) = lookup(&a.func).ok_or_else(|| {
        unsupported(format!(
            "aggregation `{}` is not supported by firedrill yet",
            a.func
        ))
    })?;
    let input = match (&a.field, &a.expr) {
        (_, Some(e)) => Input::Expr(expr::compile(e)?),
        (Some(f), None) if f == "*" && def.arg == Arg::Optional => Input::Star,
        (Some(f), None) if f.contains('*') => {
            let default = format!("{}({f})", a.func);
            Input::Glob(f.clone(), (a.alias != default).then(|| a.alias.clone()))
        }
        (Some(f), None) => Input::Field(FieldRef::new(f)),
        (None, None) if def.arg == Arg::Optional => Input::Rows,
        // Search Reference, stats: `| stats avg` is `| stats avg(*)`.
        (None, None) => Input::Glob("*".into(), None),
    };
    Ok(CAgg {
        def,
        param,
        input,
        alias: a.alias.clone(),
        span: a.span,
    })
}

impl CAgg {
    /// The fields this aggregation reads.
    pub fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match &self.input {
            Input::Field(f) => out.push(&f.name),
            Input::Expr(e) => e.fields(out),
            Input::Glob(p, _) => out.push(p),
            Input::Rows | Input::Star => {}
        }
        if matches!(
            self.def.name,
            "earliest" | "latest" | "earliest_time" | "latest_time"
        ) {
            out.push("_time");
        }
    }

    pub(crate) fn start(&self) -> Box<dyn Acc> {
        match &self.input {
            Input::Glob(pattern, alias) => Box::new(GlobAcc {
                make: self.def.make,
                param: self.param,
                func: self.def.name,
                pattern: pattern.clone(),
                alias: alias.clone(),
                fields: Vec::new(),
            }),
            _ => (self.def.make)(self.param),
        }
    }

    /// True for a wildcard aggregation (it writes a field per field it matched).
    pub(crate) fn is_glob(&self) -> bool {
        matches!(self.input, Input::Glob(..))
    }

    /// Feeds one row's values into `acc`.
    pub(crate) fn feed(
        &self,
        acc: &mut dyn Acc,
        row: &dyn Fields,
        time: f64,
    ) -> Result<(), EvalError> {
        match &self.input {
            Input::Rows | Input::Star => acc.add(&Value::Num(1.0), time),
            Input::Field(f) => {
                if let Some(v) = row.get(f) {
                    for x in v.values() {
                        acc.add(x, time);
                    }
                }
            }
            Input::Expr(e) => {
                let v = e.eval(row)?;
                if !matches!(&*v, Value::Bool(false)) {
                    for x in v.values() {
                        acc.add(x, time);
                    }
                }
            }
            Input::Glob(p, _) => {
                let internal = p.starts_with('_');
                row.for_each(&mut |k, v| {
                    if (internal || !k.starts_with('_'))
                        && crate::exec::rows::field_glob(p, k).is_some()
                    {
                        for x in v.values() {
                            acc.add_field(k, x, time);
                        }
                    }
                });
            }
        }
        Ok(())
    }
}

/// The by-clause and aggregations of a stats-like command.
#[derive(Clone, Debug)]
pub struct StatsSpec {
    /// The aggregations, in output order.
    pub aggs: Vec<CAgg>,
    /// The group-by fields.
    pub by: Vec<FieldRef>,
    /// The names the by-fields have in the output rows (their own, unless a `rename`
    /// right after was folded in).
    pub by_out: Vec<String>,
    /// `tstats fillnull_value=`: the value of a missing by-field.
    pub fill: Option<Value>,
    /// Filters on the group key alone that followed the stats (`… | regex
    /// process="…"`), folded in: a key they reject never becomes a group.
    pub key_filter: Vec<KeyTest>,
}

/// A filter on a group's key (its by-fields under their output names).
#[derive(Clone, Debug)]
pub enum KeyTest {
    /// `search` terms.
    Search(crate::search::Matcher),
    /// `where`.
    Where(CExpr),
    /// `regex field="…"` (or `!=`).
    Regex {
        /// The field.
        field: FieldRef,
        /// The pattern.
        re: crate::exec::re::Re,
        /// `!=`.
        negate: bool,
    },
}

impl KeyTest {
    fn holds(&self, key: &dyn Fields) -> Result<bool, EvalError> {
        Ok(match self {
            KeyTest::Search(m) => m.matches(key),
            KeyTest::Where(e) => e.is_true(key)?,
            KeyTest::Regex { field, re, negate } => {
                crate::exec::regex_hit(key, field, re) != *negate
            }
        })
    }
}

impl StatsSpec {
    /// Compiles the aggregations and by-fields.
    pub fn compile(
        aggs: &[Agg],
        by: &[String],
        fill: Option<String>,
    ) -> Result<StatsSpec, Unsupported> {
        Ok(StatsSpec {
            aggs: aggs.iter().map(compile).collect::<Result<_, _>>()?,
            by: by.iter().map(|f| FieldRef::new(f)).collect(),
            by_out: by.to_vec(),
            key_filter: Vec::new(),
            fill: fill.map(Value::Str),
        })
    }

    /// Every field read: by-fields and aggregation inputs.
    pub fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        out.extend(self.by.iter().map(|f| &*f.name));
        for a in &self.aggs {
            a.fields(out);
        }
    }

    /// True when no aggregation depends on the order rows arrive in (`first`, `last`,
    /// `list` do): then rows can be aggregated as the events stream, whatever order
    /// the files hold them in.
    pub fn order_free(&self) -> bool {
        !self
            .aggs
            .iter()
            .any(|a| matches!(a.def.name, "first" | "last" | "list"))
    }

    /// Folds a `rename` that follows into the output names, when it maps the output
    /// names one to one (then the rename has nothing left to do). Returns whether it
    /// did.
    pub fn fold_rename(&mut self, pairs: &[(String, String)]) -> bool {
        // A wildcard aggregation's output names are known only at run time.
        if self.aggs.iter().any(CAgg::is_glob) {
            return false;
        }
        let names: Vec<&String> = self
            .by_out
            .iter()
            .chain(self.aggs.iter().map(|a| &a.alias))
            .collect();
        // Rename a row holding exactly these names, each valued with its position.
        let mut row = Row::new();
        for (i, n) in names.iter().enumerate() {
            row.insert((*n).clone(), Value::Num(i as f64));
        }
        if row.len() != names.len() {
            return false;
        }
        crate::exec::rows::rename(std::slice::from_mut(&mut row), pairs);
        if row.len() != names.len() {
            return false;
        }
        let mut renamed = vec![String::new(); names.len()];
        for (k, v) in row {
            if let Value::Num(i) = v {
                renamed[i as usize] = k;
            }
        }
        let nby = self.by_out.len();
        for (i, n) in renamed.into_iter().enumerate() {
            if i < nby {
                self.by_out[i] = n;
            } else {
                self.aggs[i - nby].alias = n;
            }
        }
        true
    }

    /// An empty accumulation.
    pub fn start(&self) -> Groups {
        Groups::default()
    }
}

struct Group {
    /// The by-field values, packed (see [`crate::groupkey`]).
    key: Box<[u8]>,
    rows: usize,
    accs: Vec<Box<dyn Acc>>,
}

/// Groups being accumulated. The index hashes each packed key's text and compares
/// against the groups' own keys, so a key is stored once.
#[derive(Default)]
pub struct Groups {
    index: hashbrown::HashTable<usize>,
    hasher: std::collections::hash_map::RandomState,
    groups: Vec<Group>,
    /// Reused for building keys.
    buf: Vec<u8>,
}

fn row_time(row: &dyn Fields) -> f64 {
    static TIME: std::sync::OnceLock<FieldRef> = std::sync::OnceLock::new();
    let t = TIME.get_or_init(|| FieldRef::new("_time"));
    row.get(t).and_then(Value::as_num).unwrap_or(0.0)
}

/// The by-fields of one group key, as a row (for a filter on the key).
struct KeyRow<'a> {
    names: &'a [String],
    values: &'a [&'a Value],
}

impl Fields for KeyRow<'_> {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        self.get_str(&f.name)
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i])
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        for (n, v) in self.names.iter().zip(self.values) {
            f(n, v);
        }
    }
}

impl Groups {
    /// Adds one row: to one group per combination of its by-field values.
    pub fn add(&mut self, spec: &StatsSpec, row: &dyn Fields) -> Result<(), EvalError> {
        let mut values: Vec<&[Value]> = Vec::with_capacity(spec.by.len());
        for f in &spec.by {
            match (row.get(f), &spec.fill) {
                (None | Some(Value::Null), Some(fill)) => values.push(std::slice::from_ref(fill)),
                (None | Some(Value::Null), None) => return Ok(()),
                (Some(v), _) => values.push(v.values()),
            }
        }
        if values.iter().any(|v| v.is_empty()) {
            return Ok(());
        }
        let time = row_time(row);
        // Every combination, in order (a multivalue by-field puts the row in several).
        let mut pick = vec![0usize; values.len()];
        let mut key: Vec<&Value> = Vec::with_capacity(values.len());
        loop {
            key.clear();
            key.extend(values.iter().zip(&pick).map(|(vs, &i)| &vs[i]));
            self.add_key(spec, &key, row, time)?;
            // Next combination (the last by-field varies fastest).
            let mut d = values.len();
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                pick[d] += 1;
                if pick[d] < values[d].len() {
                    break;
                }
                pick[d] = 0;
            }
        }
    }

    fn add_key(
        &mut self,
        spec: &StatsSpec,
        key: &[&Value],
        row: &dyn Fields,
        time: f64,
    ) -> Result<(), EvalError> {
        use crate::groupkey;
        use std::hash::BuildHasher;
        let n = key.len();
        groupkey::pack(&mut self.buf, key);
        let text = groupkey::text(&self.buf, n);
        let hash = self.hasher.hash_one(text);
        let groups = &self.groups;
        let gi = match self
            .index
            .find(hash, |&i| groupkey::text(&groups[i].key, n) == text)
        {
            Some(&i) => i,
            None => {
                let view = KeyRow {
                    names: &spec.by_out,
                    values: key,
                };
                for t in &spec.key_filter {
                    if !t.holds(&view)? {
                        return Ok(());
                    }
                }
                self.groups.push(Group {
                    key: self.buf.as_slice().into(),
                    rows: 0,
                    accs: spec.aggs.iter().map(CAgg::start).collect(),
                });
                let i = self.groups.len() - 1;
                let (groups, hasher) = (&self.groups, &self.hasher);
                self.index.insert_unique(hash, i, |&j| {
                    hasher.hash_one(groupkey::text(&groups[j].key, n))
                });
                i
            }
        };
        let g = &mut self.groups[gi];
        g.rows += 1;
        for (agg, acc) in spec.aggs.iter().zip(g.accs.iter_mut()) {
            agg.feed(acc.as_mut(), row, time)?;
        }
        Ok(())
    }

    /// The number of groups so far.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when no row was grouped.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// One row per group, sorted by key; with no by-fields always one row (so `stats
    /// count` over nothing is `count=0`, as in Splunk).
    pub fn finish(self, spec: &StatsSpec) -> Vec<Row> {
        let n = spec.by.len();
        let mut groups: Vec<(Vec<Value>, Group)> = self
            .groups
            .into_iter()
            .map(|g| (crate::groupkey::unpack(&g.key, n), g))
            .collect();
        if spec.by.is_empty() && groups.is_empty() {
            let empty = Group {
                key: Box::default(),
                rows: 0,
                accs: spec.aggs.iter().map(CAgg::start).collect(),
            };
            groups.push((Vec::new(), empty));
        }
        groups.sort_by(|a, b| compare_keys(&a.0, &b.0));
        groups
            .into_iter()
            .map(|(key, g)| {
                let mut row = Row::new();
                for (f, v) in spec.by_out.iter().zip(key) {
                    row.insert(f.clone(), v);
                }
                for (agg, acc) in spec.aggs.iter().zip(&g.accs) {
                    acc.finish_into(g.rows, &agg.alias, &mut row);
                }
                row
            })
            .collect()
    }
}

/// Stats over a batch of rows.
pub fn stats(rows: &[Row], spec: &StatsSpec) -> Result<Vec<Row>, EvalError> {
    let mut g = spec.start();
    for r in rows {
        g.add(spec, r)?;
    }
    Ok(g.finish(spec))
}

fn compare_keys(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match compare(x, y).unwrap_or(Ordering::Equal) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

#[derive(Default)]
/// `count`, `count(field)`, `count(eval(…))`: what it was given. A group where no row
/// had the field (or none made the expression true) counts 0.
struct Count {
    n: usize,
}

impl Acc for Count {
    fn add(&mut self, _: &Value, _: f64) {
        self.n += 1;
    }
    fn finish(&self, _: usize) -> Value {
        Value::Num(self.n as f64)
    }
}

struct Distinct {
    values: bool,
    set: TextSet,
}

impl Distinct {
    fn new(values: bool) -> Distinct {
        Distinct {
            values,
            set: TextSet::Few(Vec::new()),
        }
    }
}

/// Distinct texts in order: a sorted vector while few (most groups hold one or two:
/// a tree's first node alone would take hundreds of bytes), a tree past that.
enum TextSet {
    Few(Vec<String>),
    Many(BTreeSet<String>),
}

impl TextSet {
    const FEW: usize = 32;

    fn insert(&mut self, text: std::borrow::Cow<'_, str>) {
        match self {
            TextSet::Few(v) => {
                if let Err(at) = v.binary_search_by(|x| x.as_str().cmp(&text)) {
                    if v.len() < Self::FEW {
                        v.insert(at, text.into_owned());
                    } else {
                        let mut set: BTreeSet<String> = std::mem::take(v).into_iter().collect();
                        set.insert(text.into_owned());
                        *self = TextSet::Many(set);
                    }
                }
            }
            TextSet::Many(set) => {
                if !set.contains(text.as_ref()) {
                    set.insert(text.into_owned());
                }
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            TextSet::Few(v) => v.len(),
            TextSet::Many(set) => set.len(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = &String> + '_> {
        match self {
            TextSet::Few(v) => Box::new(v.iter()),
            TextSet::Many(set) => Box::new(set.iter()),
        }
    }
}

/// A value's text, borrowed when it is a string.
fn text_of(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::Str(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

impl Acc for Distinct {
    fn add(&mut self, v: &Value, _: f64) {
        self.set.insert(text_of(v));
    }
    fn finish(&self, _: usize) -> Value {
        if self.values {
            Value::multi(self.set.iter().cloned().map(Value::Str).collect())
        } else {
            Value::Num(self.set.len() as f64)
        }
    }
}

#[derive(Default)]
struct List(Vec<Value>);

impl Acc for List {
    fn add(&mut self, v: &Value, _: f64) {
        // Splunk's list() keeps the first 100 values.
        if self.0.len() < 100 {
            self.0.push(v.clone());
        }
    }
    fn finish(&self, _: usize) -> Value {
        Value::multi(self.0.clone())
    }
}

/// `min`/`max`: numerically when every value is a number, else lexicographically.
struct MinMax {
    want: Ordering,
    all_num: bool,
    /// The best value compared as numbers, while every value is one.
    by_num: Option<(f64, Value)>,
    /// The best value compared as text.
    by_text: Option<Value>,
}

impl MinMax {
    fn new(want: Ordering) -> MinMax {
        MinMax {
            want,
            all_num: true,
            by_num: None,
            by_text: None,
        }
    }
}

impl Acc for MinMax {
    fn add(&mut self, v: &Value, _: f64) {
        if self.all_num {
            match v.as_num() {
                Some(n) => {
                    if self
                        .by_num
                        .as_ref()
                        .is_none_or(|(b, _)| n.partial_cmp(b) == Some(self.want))
                    {
                        self.by_num = Some((n, v.clone()));
                    }
                }
                None => {
                    self.all_num = false;
                    self.by_num = None;
                }
            }
        }
        let better = match &self.by_text {
            None => true,
            Some(b) => text_of(v).as_ref().cmp(text_of(b).as_ref()) == self.want,
        };
        if better {
            self.by_text = Some(v.clone());
        }
    }
    /// The best number when every value is one, else the best text; the value as it
    /// came (`7.70` stays `7.70`, as in Splunk).
    fn finish(&self, _: usize) -> Value {
        match (&self.by_num, &self.by_text) {
            (Some((_, v)), _) if self.all_num => v.clone(),
            (_, Some(v)) => v.clone(),
            _ => Value::Null,
        }
    }
}

#[derive(Clone, Copy)]
enum Stat {
    Avg,
    Sum,
    Sumsq,
    Stdev,
    Stdevp,
    Var,
    Varp,
    Range,
}

/// Running count, sum, sum of squares (Welford's mean and M2) and range of the
/// numeric values.
struct Moments {
    stat: Stat,
    n: f64,
    sum: f64,
    sumsq: f64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Moments {
    fn new(stat: Stat) -> Moments {
        Moments {
            stat,
            n: 0.0,
            sum: 0.0,
            sumsq: 0.0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Acc for Moments {
    fn add(&mut self, v: &Value, _: f64) {
        let Some(x) = v.as_num() else { return };
        self.n += 1.0;
        self.sum += x;
        self.sumsq += x * x;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }
    fn finish(&self, _: usize) -> Value {
        let empty = self.n == 0.0;
        // Splunk's digits: (Σx² − Σx·mean) / k, the textbook formula (its documented
        // stdev of 65, 42, 40, 31, 47, 53, 64 is 12.615183595289349; Welford's M2 gives
        // …333). Rounding can make it a hair below zero for equal values: clamped.
        let var = |sample: bool| {
            let k = self.n - if sample { 1.0 } else { 0.0 };
            (k > 0.0).then(|| ((self.sumsq - self.sum * (self.sum / self.n)) / k).max(0.0))
        };
        let v = match self.stat {
            Stat::Sumsq => Some(self.sumsq),
            _ if empty => None,
            Stat::Avg => Some(self.sum / self.n),
            Stat::Sum => Some(self.sum),
            Stat::Range => Some(self.max - self.min),
            Stat::Var => var(true),
            Stat::Varp => var(false),
            Stat::Stdev => var(true).map(f64::sqrt),
            Stat::Stdevp => var(false).map(f64::sqrt),
        };
        v.map(Value::Num).unwrap_or(Value::Null)
    }
}

struct Ends {
    last: bool,
    v: Option<Value>,
}

impl Acc for Ends {
    fn add(&mut self, v: &Value, _: f64) {
        if self.last || self.v.is_none() {
            self.v = Some(v.clone());
        }
    }
    fn finish(&self, _: usize) -> Value {
        self.v.clone().unwrap_or(Value::Null)
    }
}

/// `earliest`/`latest` (the value at the earliest or latest `_time`) and their
/// `_time` forms.
struct ByTime {
    latest: bool,
    time_only: bool,
    best: Option<(f64, Value)>,
}

impl ByTime {
    fn new(latest: bool, time_only: bool) -> ByTime {
        ByTime {
            latest,
            time_only,
            best: None,
        }
    }
}

impl Acc for ByTime {
    fn add(&mut self, v: &Value, time: f64) {
        let better = match &self.best {
            None => true,
            // Ties: earliest keeps the first seen, latest the last.
            Some((t, _)) if self.latest => time >= *t,
            Some((t, _)) => time < *t,
        };
        if better {
            self.best = Some((time, v.clone()));
        }
    }
    fn finish(&self, _: usize) -> Value {
        match &self.best {
            Some((t, _)) if self.time_only => Value::Num(*t),
            Some((_, v)) => v.clone(),
            None => Value::Null,
        }
    }
}

struct Percentile {
    p: f64,
    n: Vec<f64>,
    /// Between the two closest ranks (`perc`), or the higher of them (`median`).
    interpolate: bool,
}

impl Acc for Percentile {
    fn add(&mut self, v: &Value, _: f64) {
        if let Some(x) = v.as_num() {
            self.n.push(x);
        }
    }
    /// Interpolated between the two closest ranks, as the Search Reference's examples
    /// give it (`perc50` of 1…10 is 5.5, `perc95` 9.55). Exact: Splunk's `perc`
    /// approximates past 1,000 values, where `exactperc` and this agree.
    fn finish(&self, _: usize) -> Value {
        if self.n.is_empty() {
            return Value::Null;
        }
        let mut n = self.n.clone();
        n.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
        let rank = self.p.clamp(0.0, 100.0) * (n.len() - 1) as f64 / 100.0;
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        let frac = if self.interpolate {
            rank - lo as f64
        } else {
            (hi - lo) as f64
        };
        // Rounded at 1e-9 so that the interpolation's float noise does not print
        // (9.549999999999999 is 9.55).
        let x = n[lo] + (n[hi] - n[lo]) * frac;
        Value::Num(if x.abs() < 1e6 {
            (x * 1e9).round() / 1e9
        } else {
            x
        })
    }
}

#[derive(Default)]
struct Mode {
    counts: HashMap<String, (usize, usize)>,
}

impl Acc for Mode {
    fn add(&mut self, v: &Value, _: f64) {
        let order = self.counts.len();
        self.counts.entry(v.to_string()).or_insert((0, order)).0 += 1;
    }
    /// The most frequent value; ties go to the one seen first.
    fn finish(&self, _: usize) -> Value {
        self.counts
            .iter()
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
            .map(|(k, _)| Value::Str(k.clone()))
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(func: &str, field: Option<&str>) -> Agg {
        Agg {
            func: func.into(),
            field: field.map(String::from),
            expr: None,
            alias: func.into(),
            span: Span::new(0, 1),
        }
    }

    fn rows(vals: &[&str]) -> Vec<Row> {
        vals.iter()
            .enumerate()
            .map(|(i, v)| {
                Row::from([
                    ("x".to_string(), Value::str(*v)),
                    ("_time".to_string(), Value::Num(i as f64)),
                ])
            })
            .collect()
    }

    fn one(func: &str, vals: &[&str]) -> Value {
        let spec = StatsSpec::compile(&[agg(func, Some("x"))], &[], None).unwrap();
        stats(&rows(vals), &spec).unwrap()[0]
            .get(func)
            .cloned()
            .unwrap_or(Value::Null)
    }

    #[test]
    fn documented_aggregations() {
        // Search Reference, "Statistical and charting functions".
        assert_eq!(one("avg", &["1", "2", "6"]), Value::Num(3.0));
        assert_eq!(one("sum", &["1", "2", "x"]), Value::Num(3.0));
        assert_eq!(one("dc", &["a", "b", "a"]), Value::Num(2.0));
        assert_eq!(
            one("values", &["b", "a", "b"]),
            Value::Multi(vec![Value::str("a"), Value::str("b")])
        );
        assert_eq!(one("min", &["10", "9", "100"]), Value::str("9"));
        // The value as it came: `7.70`, not `7.7`.
        assert_eq!(one("max", &["7.70", "2"]), Value::str("7.70"));
        assert_eq!(one("min", &["7.70", "x"]), Value::str("7.70"));
        assert_eq!(one("max", &["b", "10", "a"]), Value::str("b"));
        assert_eq!(one("range", &["4", "1", "9"]), Value::Num(8.0));
        assert_eq!(one("earliest", &["a", "b"]), Value::str("a"));
        assert_eq!(one("latest", &["a", "b"]), Value::str("b"));
        assert_eq!(one("mode", &["a", "b", "b"]), Value::str("b"));
        assert_eq!(one("median", &["1", "5", "9"]), Value::Num(5.0));
        assert_eq!(one("median", &["1", "5", "9", "20"]), Value::Num(9.0));
        assert_eq!(
            one(
                "perc95",
                &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
            ),
            Value::Num(9.55)
        );
        assert_eq!(
            one("var", &["2", "4", "4", "4", "5", "5", "7", "9"]),
            Value::Num(32.0 / 7.0)
        );
        assert_eq!(
            one("stdevp", &["2", "4", "4", "4", "5", "5", "7", "9"]),
            Value::Num(2.0)
        );
        assert_eq!(one("count", &["a", "b"]), Value::Num(2.0));
    }

    #[test]
    fn unknown_aggregations_are_unsupported() {
        let e = compile(&agg("frobnicate", Some("x"))).unwrap_err();
        assert!(e.what.contains("frobnicate"));
        assert!(compile(&agg("count", Some("*"))).is_ok());
    }

    #[test]
    fn wildcard_aggregations_expand_per_field() {
        // Search Reference, stats: `avg(*lay)` is one average per matching field;
        // `values(*) AS *` keeps each field's name; `| stats avg` is `avg(*)`.
        let rows: Vec<Row> = [("3", "5", "a"), ("5", "7", "b")]
            .iter()
            .map(|(d, x, h)| {
                Row::from([
                    ("delay".to_string(), Value::str(*d)),
                    ("xdelay".to_string(), Value::str(*x)),
                    ("host".to_string(), Value::str(*h)),
                    ("_time".to_string(), Value::Num(1.0)),
                ])
            })
            .collect();
        let mut a = agg("avg", Some("*lay"));
        a.alias = "avg(*lay)".into();
        let out = stats(&rows, &StatsSpec::compile(&[a], &[], None).unwrap()).unwrap();
        assert_eq!(out[0]["avg(delay)"], Value::Num(4.0));
        assert_eq!(out[0]["avg(xdelay)"], Value::Num(6.0));
        assert!(!out[0].contains_key("avg(host)"));
        let mut v = agg("values", Some("*"));
        v.alias = "*".into();
        let spec = StatsSpec::compile(&[v], &["host".into()], None).unwrap();
        let out = stats(&rows, &spec).unwrap();
        assert_eq!(out[0]["host"], Value::str("a"));
        assert_eq!(out[0]["delay"], Value::str("3"));
        assert!(!out[0].contains_key("_time"));
        let out = stats(
            &rows,
            &StatsSpec::compile(&[agg("max", None)], &[], None).unwrap(),
        )
        .unwrap();
        assert_eq!(out[0]["max(xdelay)"], Value::str("7"));
    }
}
