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

/// True if `row` satisfies `expr`.
pub fn matches(expr: &SearchExpr, row: &Row) -> bool {
    match expr {
        SearchExpr::All => true,
        SearchExpr::And(items) => items.iter().all(|e| matches(e, row)),
        SearchExpr::Or(items) => items.iter().any(|e| matches(e, row)),
        SearchExpr::Not(inner) => !matches(inner, row),
        SearchExpr::Subsearch(_) => false,
        SearchExpr::Term(t) => term_matches(t, row),
        SearchExpr::In { field, values } => {
            let v = row.get(field).unwrap_or(&Value::Null);
            values.iter().any(|p| any_value_matches(v, p))
        }
        SearchExpr::Compare {
            field, op, value, ..
        } => {
            if ALWAYS_TRUE.iter().any(|f| f.eq_ignore_ascii_case(field)) {
                return true;
            }
            let v = row.get(field).unwrap_or(&Value::Null);
            match op {
                CmpOp::Eq => any_value_matches(v, value),
                CmpOp::Ne => !v.is_null() && !any_value_matches(v, value),
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                    v.values().iter().any(|x| ordered(x, value, *op))
                }
            }
        }
    }
}

fn any_value_matches(v: &Value, pattern: &str) -> bool {
    let w = Wildcard::new(pattern);
    if w.is_any() {
        return !v.is_null();
    }
    v.values().iter().any(|x| match x {
        Value::Num(n) => {
            w.matches(&firedrill_value::format_number(*n)) || parse_number(pattern) == Some(*n)
        }
        other => w.matches(&other.to_string()),
    })
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

fn term_matches(term: &str, row: &Row) -> bool {
    if term == "*" {
        return true;
    }
    let raw = match row.get("_raw") {
        Some(v) => v.to_string(),
        None => return false,
    };
    let pattern = if term.starts_with('*') || term.ends_with('*') {
        format!("*{}*", term.trim_matches('*'))
    } else {
        format!("*{term}*")
    };
    Wildcard::new(&pattern).matches(&raw)
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
