//! `search`-syntax expressions compiled once — wildcards pre-built, numbers
//! pre-parsed, CIDR blocks parsed, field names interned — and matched over any
//! [`Fields`] with Splunk's semantics: values compare case-insensitively with `*`
//! wildcards, a value written as a CIDR block matches the addresses inside it, a
//! multivalue field matches if any value does, `f!=v` needs `f` to exist while
//! `NOT f=v` does not, bare terms search `_raw`.

use crate::ast::{CmpOp, SearchExpr};
use crate::exec::cidr::Cidr;
use crate::exec::wildcard::{Term, Wildcard};
use firedrill_value::{format_number, parse_number, FieldRef, Fields, Need, Value};
use std::cmp::Ordering;

/// Fields that select time ranges or indexes; firedrill has one index and no time
/// range, so these terms always match.
const ALWAYS_TRUE: &[&str] = &[
    "index",
    "earliest",
    "latest",
    "starthoursago",
    "endhoursago",
    "splunk_server",
];

/// A compiled search expression.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// Always true.
    All,
    /// Always false.
    Nothing,
    /// Every child.
    And(Vec<Matcher>),
    /// Any child.
    Or(Vec<Matcher>),
    /// Not the child.
    Not(Box<Matcher>),
    /// `field=pattern` (any value matches).
    Eq(FieldRef, Pattern),
    /// `field!=pattern` (field present and no value matches).
    Ne(FieldRef, Pattern),
    /// `field<value` and friends.
    Ord(FieldRef, CmpOp, Bound),
    /// `field IN (...)`.
    In(FieldRef, Vec<Pattern>),
    /// A bare term in `_raw`, on segment boundaries.
    Term(Term),
    /// `field=CASE(pattern)` (`!=` when negated): any value matches with its case.
    CaseEq(FieldRef, CaseWildcard, bool),
}

/// A `*` wildcard matched with case (`CASE(…)`), as an anchored regular expression.
#[derive(Clone, Debug)]
pub struct CaseWildcard(regex::Regex);

impl CaseWildcard {
    fn new(p: &str) -> CaseWildcard {
        let src: Vec<String> = p.split('*').map(regex::escape).collect();
        CaseWildcard(
            regex::Regex::new(&format!("(?s)^{}$", src.join(".*")))
                .expect("an escaped pattern is a valid regex"),
        )
    }

    fn any_value(&self, v: &Value) -> bool {
        v.values().iter().any(|x| self.0.is_match(&x.to_string()))
    }
}

/// The right-hand side of an ordering comparison, parsed once.
#[derive(Clone, Debug)]
pub struct Bound {
    text: String,
    num: Option<f64>,
}

/// A value pattern: its wildcard, its number when it is one, its CIDR block when it is
/// one.
#[derive(Clone, Debug)]
pub struct Pattern {
    w: Wildcard,
    num: Option<f64>,
    cidr: Option<Cidr>,
    /// The value itself (ASCII lower-case) when the pattern matches only values equal
    /// to it, ignoring ASCII case: no wildcard, no CIDR block, a number only in the form
    /// it prints in.
    literal: Option<String>,
}

impl Pattern {
    /// Compiles a value as `search` reads it.
    pub fn new(p: &str) -> Pattern {
        let num = parse_number(p);
        let cidr = Cidr::parse_block(p);
        let canonical = num.is_none_or(|n| format_number(n) == p);
        Pattern {
            w: Wildcard::new(p),
            literal: (!p.contains('*') && cidr.is_none() && canonical)
                .then(|| p.to_ascii_lowercase()),
            num,
            cidr,
        }
    }

    fn one(&self, x: &Value) -> bool {
        match x {
            Value::Str(s) => self.w.matches(s) || self.cidr.as_ref().is_some_and(|c| c.contains(s)),
            Value::Num(n) => self.num == Some(*n) || self.w.matches(&format_number(*n)),
            Value::Dec(d) => self.num == Some(d.value()) || self.w.matches(&d.to_string()),
            other => self.w.matches(&other.to_string()),
        }
    }

    /// What an event's raw text must hold for `field` to match, when the field's
    /// values are pieces of it. A CIDR block matches addresses it does not spell.
    fn need(&self, field: &FieldRef, raw: &dyn RawText) -> Option<Need> {
        if self.cidr.is_some() || !raw.holds_pieces(&field.name, &|c| self.one(c)) {
            return None;
        }
        texts(self.w.pieces())
    }

    /// True if any value of `v` matches (`*` matches any present value).
    pub fn any_value(&self, v: &Value) -> bool {
        if self.w.is_any() {
            return !v.is_null();
        }
        v.values().iter().any(|x| self.one(x))
    }
}

/// Which fields of an event hold pieces of its raw text (see [`Matcher::need`]).
pub trait RawText {
    /// True if every value of `field` that `matches` accepts is a piece of the raw text.
    fn holds_pieces(&self, field: &str, matches: &dyn Fn(&Value) -> bool) -> bool;
}

/// The texts every one of `pieces` puts in the raw text.
fn texts(pieces: &[Vec<u8>]) -> Option<Need> {
    Need::all(pieces.iter().filter_map(|p| Need::text(p)).collect())
}

/// Compiles a search expression. A subsearch must have been resolved first (see
/// [`prefilter`] for a superset that ignores them).
pub fn compile(expr: &SearchExpr) -> Matcher {
    build(expr, &|_| Matcher::Nothing)
}

/// A matcher that accepts every row the expression could accept whatever its
/// subsearches return: each subsearch (and any negation above one) counts as true.
/// It filters events before the subsearches have run; the exact expression is applied
/// once they have.
pub fn prefilter(expr: &SearchExpr) -> Matcher {
    build(expr, &|_| Matcher::All)
}

/// True if the expression holds a subsearch.
pub fn has_subsearch(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::Subsearch(_) => true,
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(has_subsearch),
        SearchExpr::Not(inner) => has_subsearch(inner),
        _ => false,
    }
}

fn build(expr: &SearchExpr, sub: &dyn Fn(&SearchExpr) -> Matcher) -> Matcher {
    match expr {
        SearchExpr::All => Matcher::All,
        SearchExpr::Subsearch(_) => sub(expr),
        SearchExpr::And(items) => Matcher::And(items.iter().map(|i| build(i, sub)).collect()),
        SearchExpr::Or(items) => Matcher::Or(items.iter().map(|i| build(i, sub)).collect()),
        SearchExpr::Not(inner) if has_subsearch(inner) => sub(inner),
        SearchExpr::Not(inner) => Matcher::Not(Box::new(build(inner, sub))),
        SearchExpr::Term(t) => {
            if t == "*" {
                Matcher::All
            } else {
                Matcher::Term(Term::new(t))
            }
        }
        SearchExpr::CaseTerm(t) => Matcher::Term(Term::with_case(t)),
        SearchExpr::CaseCompare {
            field,
            negate,
            value,
        } => Matcher::CaseEq(FieldRef::new(field), CaseWildcard::new(value), *negate),
        SearchExpr::In { field, values } => Matcher::In(
            FieldRef::new(field),
            values.iter().map(|v| Pattern::new(v)).collect(),
        ),
        SearchExpr::Compare {
            field, op, value, ..
        } => {
            if ALWAYS_TRUE.iter().any(|f| f.eq_ignore_ascii_case(field)) {
                return Matcher::All;
            }
            let f = FieldRef::new(field);
            match op {
                CmpOp::Eq => Matcher::Eq(f, Pattern::new(value)),
                CmpOp::Ne => Matcher::Ne(f, Pattern::new(value)),
                other => Matcher::Ord(
                    f,
                    *other,
                    Bound {
                        text: value.clone(),
                        num: parse_number(value),
                    },
                ),
            }
        }
    }
}

static NULL: Value = Value::Null;

fn raw() -> &'static FieldRef {
    static RAW: std::sync::OnceLock<FieldRef> = std::sync::OnceLock::new();
    RAW.get_or_init(|| FieldRef::new("_raw"))
}

impl Matcher {
    /// True if `row` satisfies the expression.
    pub fn matches(&self, row: &dyn Fields) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Nothing => false,
            Matcher::And(items) => items.iter().all(|m| m.matches(row)),
            Matcher::Or(items) => items.iter().any(|m| m.matches(row)),
            Matcher::Not(inner) => !inner.matches(row),
            Matcher::Eq(f, p) => p.any_value(row.get(f).unwrap_or(&NULL)),
            Matcher::Ne(f, p) => {
                let v = row.get(f).unwrap_or(&NULL);
                !v.is_null() && !p.any_value(v)
            }
            Matcher::Ord(f, op, b) => row
                .get(f)
                .is_some_and(|v| v.values().iter().any(|x| ordered(x, b, *op))),
            Matcher::In(f, ps) => {
                let v = row.get(f).unwrap_or(&NULL);
                ps.iter().any(|p| p.any_value(v))
            }
            Matcher::CaseEq(f, w, negate) => match row.get(f) {
                Some(v) if !v.is_null() => w.any_value(v) != *negate,
                _ => false,
            },
            Matcher::Term(w) => match row.get(raw()) {
                Some(Value::Str(s)) => w.matches(s),
                Some(other) => w.matches(&other.to_string()),
                None => false,
            },
        }
    }

    /// A necessary condition for a match, for indexing many matchers by value: a row can
    /// match only if one of these fields has the paired value (compared as ASCII
    /// lower-case text; numbers as they print). `None` when there is no such condition.
    pub fn guard(&self) -> Option<Vec<(FieldRef, String)>> {
        match self {
            Matcher::Eq(f, p) => Some(vec![(f.clone(), p.literal.clone()?)]),
            Matcher::In(f, ps) => ps
                .iter()
                .map(|p| Some((f.clone(), p.literal.clone()?)))
                .collect(),
            Matcher::Or(items) => {
                let mut all = Vec::new();
                for i in items {
                    all.extend(i.guard()?);
                }
                Some(all)
            }
            // The most selective conjunct with a guard: the fewest values.
            Matcher::And(items) => items
                .iter()
                .filter_map(Matcher::guard)
                .min_by_key(|g| g.len()),
            Matcher::Nothing => Some(Vec::new()),
            _ => None,
        }
    }

    /// Texts an event's raw text must hold for a match (ignoring ASCII case), from the
    /// conditions on fields whose values are pieces of it (`raw` says which); `None`
    /// when nothing is required.
    pub fn need(&self, raw: &dyn RawText) -> Option<Need> {
        match self {
            Matcher::Nothing => Some(Need::Any(Vec::new())),
            Matcher::And(items) => Need::all(items.iter().filter_map(|m| m.need(raw)).collect()),
            Matcher::Or(items) => Need::any(items.iter().map(|m| m.need(raw)).collect()),
            Matcher::Eq(f, p) => p.need(f, raw),
            Matcher::In(f, ps) => Need::any(ps.iter().map(|p| p.need(f, raw)).collect()),
            Matcher::Term(t) if raw.holds_pieces("_raw", &|_| true) => texts(t.pieces()),
            _ => None,
        }
    }

    /// The values `field` must have for a match (compared as ASCII lower-case text),
    /// when the expression requires one of a known list: `None` when it may match
    /// whatever the field holds.
    pub fn values_of(&self, field: &str) -> Option<Vec<String>> {
        match self {
            Matcher::Eq(f, p) if &*f.name == field => Some(vec![p.literal.clone()?]),
            Matcher::In(f, ps) if &*f.name == field => {
                ps.iter().map(|p| p.literal.clone()).collect()
            }
            Matcher::Or(items) => {
                let mut all = Vec::new();
                for i in items {
                    all.extend(i.values_of(field)?);
                }
                Some(all)
            }
            Matcher::And(items) => items
                .iter()
                .filter_map(|m| m.values_of(field))
                .min_by_key(Vec::len),
            Matcher::Nothing => Some(Vec::new()),
            _ => None,
        }
    }

    /// Every field the expression reads.
    pub fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Matcher::All | Matcher::Nothing => {}
            Matcher::And(items) | Matcher::Or(items) => items.iter().for_each(|m| m.fields(out)),
            Matcher::Not(inner) => inner.fields(out),
            Matcher::Eq(f, _)
            | Matcher::Ne(f, _)
            | Matcher::Ord(f, _, _)
            | Matcher::In(f, _)
            | Matcher::CaseEq(f, _, _) => out.push(&f.name),
            Matcher::Term(_) => out.push("_raw"),
        }
    }
}

fn ordered(x: &Value, b: &Bound, op: CmpOp) -> bool {
    let ord = match (x.as_num(), b.num) {
        (Some(a), Some(n)) => a.partial_cmp(&n),
        _ => Some(match x {
            Value::Str(s) => s.as_str().cmp(b.text.as_str()),
            other => other.to_string().as_str().cmp(b.text.as_str()),
        }),
    };
    match ord {
        None => false,
        Some(o) => match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
            CmpOp::Eq | CmpOp::Ne => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::Cursor;
    use crate::parse::search::parse_search;
    use firedrill_value::Row;

    fn row(pairs: &[(&str, Value)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn m(s: &str, r: &Row) -> bool {
        let mut c = Cursor::new(s, 0, s.len());
        compile(&parse_search(&mut c, &[]).unwrap()).matches(r)
    }

    /// Fields named `raw*` hold pieces of the raw text; `lit` holds pieces or the
    /// literal `created`.
    struct RawNamed;
    impl RawText for RawNamed {
        fn holds_pieces(&self, field: &str, matches: &dyn Fn(&Value) -> bool) -> bool {
            field.starts_with("raw")
                || field == "_raw"
                || (field == "lit" && !matches(&Value::str("created")))
                || (field == "num" && !matches(&Value::Num(1.0)))
        }
    }

    fn need(s: &str, text: &str) -> Option<bool> {
        let mut c = Cursor::new(s, 0, s.len());
        let n = compile(&parse_search(&mut c, &[]).unwrap()).need(&RawNamed)?;
        Some(n.admits_raw(text.as_bytes(), &mut Vec::new()))
    }

    #[test]
    fn text_conditions_come_from_fields_that_hold_pieces_of_it() {
        let s = "rawA=*comsvcs.dll* rawB IN (\"*minidump*\", \"*#24*\") other=x";
        assert_eq!(need(s, "C:\\Windows\\COMSVCS.DLL MiniDump"), Some(true));
        assert_eq!(need(s, "comsvcs.dll"), Some(false));
        // A field that may hold other text, a negation or a CIDR block requires nothing.
        assert_eq!(need("other=*comsvcs.dll*", "x"), None);
        assert_eq!(need("NOT rawA=*comsvcs.dll*", "x"), None);
        assert_eq!(need("rawA=10.0.0.0/8", "x"), None);
        assert_eq!(need("rawA=abc OR other=def", "x"), None);
        assert_eq!(need("rawA=abc OR rawB=def", "DEF"), Some(true));
        // A literal the field may take instead of a piece counts only if it matches.
        assert_eq!(need("lit=*dele*", "x"), Some(false));
        assert_eq!(need("lit=*creat*", "x"), None);
        // Numbers match as numbers: `1.0` matches the number 1.
        assert_eq!(need("num=1.0", "x"), None);
        assert_eq!(need("num=2.0", "x"), Some(false));
        // Bare terms are searched in `_raw` itself.
        assert_eq!(need("mimikatz", "Mimikatz.exe"), Some(true));
        assert_eq!(need("mimikatz", "x"), Some(false));
    }

    #[test]
    fn ne_versus_not() {
        // Splunk docs, "Difference between NOT and !=": `f!=v` drops events without f,
        // `NOT f=v` keeps them.
        let r = row(&[("a", Value::str("1"))]);
        assert!(!m("missing!=x", &r));
        assert!(m("NOT missing=x", &r));
        assert!(m("a!=2", &r));
        assert!(!m("a!=1", &r));
    }

    #[test]
    fn values_are_case_insensitive_and_multivalue() {
        let r = row(&[
            ("p", Value::str("RUNDLL32.EXE")),
            ("m", Value::Multi(vec![Value::str("x"), Value::str("Y")])),
        ]);
        assert!(m("p=rundll32.exe", &r));
        assert!(m("m=y", &r));
        assert!(m("m IN (z, y)", &r));
        assert!(!m("m=z", &r));
        assert!(m("p=*", &r));
        assert!(!m("q=*", &r));
    }

    #[test]
    fn numeric_comparisons() {
        let r = row(&[("count", Value::Num(12.0)), ("s", Value::str("9"))]);
        assert!(m("count>5", &r));
        assert!(m("s<10", &r));
        assert!(m("count=12", &r));
    }

    #[test]
    fn bare_terms_search_raw() {
        let r = row(&[("_raw", Value::str("hello Mimikatz world"))]);
        assert!(m("mimikatz", &r));
        assert!(m("\"MIMIKATZ world\"", &r));
        assert!(!m("procdump", &r));
        assert!(m("index=main sourcetype=anything OR mimikatz", &r));
    }

    #[test]
    fn cidr_values_match_by_subnet() {
        // Search Manual, "Use CIDR notation": `src_ip=10.0.0.0/8` matches the
        // addresses in the block; `!=` the others.
        let r = row(&[("dest_ip", Value::str("10.1.2.3"))]);
        assert!(m("dest_ip=10.0.0.0/8", &r));
        assert!(!m("dest_ip!=10.0.0.0/8", &r));
        assert!(!m("dest_ip=192.168.0.0/16", &r));
        assert!(m("dest_ip!=192.168.0.0/16", &r));
        assert!(m("dest_ip IN (192.168.0.0/16, 10.1.0.0/16)", &r));
        let v6 = row(&[("ip", Value::str("fe80::1"))]);
        assert!(m("ip=fe80::/10", &v6));
    }

    #[test]
    fn guards_are_necessary_literal_values() {
        let g = |s: &str| {
            let mut c = Cursor::new(s, 0, s.len());
            compile(&parse_search(&mut c, &[]).unwrap())
                .guard()
                .map(|v| {
                    v.into_iter()
                        .map(|(f, x)| format!("{}={x}", f.name))
                        .collect::<Vec<_>>()
                })
        };
        assert_eq!(
            g("EventCode=4688 process=*x*"),
            Some(vec!["EventCode=4688".into()])
        );
        assert_eq!(
            g("(p=CMD.exe OR o=Cmd.Exe) q=*"),
            Some(vec!["p=cmd.exe".into(), "o=cmd.exe".into()])
        );
        assert_eq!(g("EventCode IN (1, 3) a=b c=d"), Some(vec!["a=b".into()]));
        assert_eq!(g("p=*.exe"), None);
        assert_eq!(g("NOT p=x"), None);
        assert_eq!(g("ip=10.0.0.0/8"), None);
        assert_eq!(g("n=10.0"), None);
    }

    #[test]
    fn prefilter_accepts_whatever_a_subsearch_returns() {
        let s = "a=1 NOT [search b=2]";
        let mut c = Cursor::new(s, 0, s.len());
        let e = parse_search(&mut c, &[]).unwrap();
        assert!(has_subsearch(&e));
        let r = row(&[("a", Value::str("1"))]);
        assert!(prefilter(&e).matches(&r));
        assert!(!prefilter(&e).matches(&row(&[("a", Value::str("2"))])));
    }
}
