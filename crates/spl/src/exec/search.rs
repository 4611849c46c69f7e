//! Matching `search`-syntax expressions against rows, with Splunk's semantics: values
//! compare case-insensitively with `*` wildcards, a multivalue field matches if any value
//! does, `f!=v` needs `f` to exist while `NOT f=v` does not, bare terms search `_raw`.

use super::wildcard::Wildcard;
use crate::ast::{CmpOp, SearchExpr};
use firedrill_value::{parse_number, Row, Value};
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

/// True if `row` satisfies `expr` (compiles it first; use [`compile`] for many rows).
pub fn matches(expr: &SearchExpr, row: &Row) -> bool {
    compile(expr).matches(row)
}

/// A search expression compiled once: wildcards pre-built, numbers pre-parsed.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// Always true.
    All,
    /// Always false (a subsearch that was not resolved).
    Nothing,
    /// Every child.
    And(Vec<Matcher>),
    /// Any child.
    Or(Vec<Matcher>),
    /// Not the child.
    Not(Box<Matcher>),
    /// `field=pattern` (any value matches).
    Eq(String, Pattern),
    /// `field!=pattern` (field present and no value matches).
    Ne(String, Pattern),
    /// `field<value` and friends.
    Ord(String, CmpOp, String),
    /// `field IN (...)`.
    In(String, Vec<Pattern>),
    /// A bare term in `_raw`.
    Term(Wildcard),
}

/// A value pattern: its wildcard and, when it is a number, the number.
#[derive(Clone, Debug)]
pub struct Pattern {
    w: Wildcard,
    num: Option<f64>,
}

impl Pattern {
    fn new(p: &str) -> Pattern {
        Pattern {
            w: Wildcard::new(p),
            num: parse_number(p),
        }
    }

    fn any_value(&self, v: &Value) -> bool {
        if self.w.is_any() {
            return !v.is_null();
        }
        v.values().iter().any(|x| match x {
            Value::Str(s) => self.w.matches(s),
            Value::Num(n) => {
                self.num == Some(*n) || self.w.matches(&firedrill_value::format_number(*n))
            }
            other => self.w.matches(&other.to_string()),
        })
    }
}

/// Compiles a search expression.
pub fn compile(expr: &SearchExpr) -> Matcher {
    match expr {
        SearchExpr::All => Matcher::All,
        SearchExpr::Subsearch(_) => Matcher::Nothing,
        SearchExpr::And(items) => Matcher::And(items.iter().map(compile).collect()),
        SearchExpr::Or(items) => Matcher::Or(items.iter().map(compile).collect()),
        SearchExpr::Not(inner) => Matcher::Not(Box::new(compile(inner))),
        SearchExpr::Term(t) => {
            if t == "*" {
                Matcher::All
            } else {
                Matcher::Term(Wildcard::new(&format!("*{}*", t.trim_matches('*'))))
            }
        }
        SearchExpr::In { field, values } => Matcher::In(
            field.clone(),
            values.iter().map(|v| Pattern::new(v)).collect(),
        ),
        SearchExpr::Compare {
            field, op, value, ..
        } => {
            if ALWAYS_TRUE.iter().any(|f| f.eq_ignore_ascii_case(field)) {
                return Matcher::All;
            }
            match op {
                CmpOp::Eq => Matcher::Eq(field.clone(), Pattern::new(value)),
                CmpOp::Ne => Matcher::Ne(field.clone(), Pattern::new(value)),
                other => Matcher::Ord(field.clone(), *other, value.clone()),
            }
        }
    }
}

impl Matcher {
    /// True if `row` satisfies the expression.
    pub fn matches(&self, row: &Row) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Nothing => false,
            Matcher::And(items) => items.iter().all(|m| m.matches(row)),
            Matcher::Or(items) => items.iter().any(|m| m.matches(row)),
            Matcher::Not(inner) => !inner.matches(row),
            Matcher::Eq(f, p) => p.any_value(row.get(f).unwrap_or(&Value::Null)),
            Matcher::Ne(f, p) => {
                let v = row.get(f).unwrap_or(&Value::Null);
                !v.is_null() && !p.any_value(v)
            }
            Matcher::Ord(f, op, value) => row
                .get(f)
                .is_some_and(|v| v.values().iter().any(|x| ordered(x, value, *op))),
            Matcher::In(f, ps) => {
                let v = row.get(f).unwrap_or(&Value::Null);
                ps.iter().any(|p| p.any_value(v))
            }
            Matcher::Term(w) => match row.get("_raw") {
                Some(Value::Str(raw)) => w.matches(raw),
                Some(other) => w.matches(&other.to_string()),
                None => false,
            },
        }
    }
}

fn ordered(x: &Value, pattern: &str, op: CmpOp) -> bool {
    let ord = match (x.as_num(), parse_number(pattern)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(x.to_string().as_str().cmp(pattern)),
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

    fn row(pairs: &[(&str, Value)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn m(s: &str, r: &Row) -> bool {
        let mut c = Cursor::new(s, 0, s.len());
        matches(&parse_search(&mut c, &[]).unwrap(), r)
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
}
