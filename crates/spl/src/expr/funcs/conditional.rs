//! Comparison, conditional and informational functions (Search Reference:
//! "Comparison and Conditional functions", "Informational functions").

use super::{lazy, pass, strict, Args, FnDef, MANY};
use crate::expr::{compare, like, truth, CExpr, Call, EvalError, NAN_TEXT};
use firedrill_value::{parse_number, Fields, Value};
use std::borrow::Cow;

pub(super) const FUNCS: &[FnDef] = &[
    pass("if", 3, 3, if_),
    pass("case", 2, MANY, case),
    pass("coalesce", 1, MANY, coalesce),
    lazy("validate", 2, MANY, validate),
    // `searchmatch("…")`: whether the event matches the search, as `search` would.
    lazy("searchmatch", 1, 1, |call, row| {
        Ok(Value::Bool(
            call.search.as_ref().is_some_and(|m| m.matches(row)),
        ))
    }),
    strict("null", 0, 0, |_| Ok(Value::Null)),
    strict("true", 0, 0, |_| Ok(Value::Bool(true))),
    strict("false", 0, 0, |_| Ok(Value::Bool(false))),
    strict("isnull", 1, 1, |a| Ok(Value::Bool(a.v(0).is_null()))),
    strict("ismv", 1, 1, |a| {
        Ok(Value::Bool(
            matches!(a.v(0), Value::Multi(v) if v.len() > 1),
        ))
    }),
    strict("isnotnull", 1, 1, |a| Ok(Value::Bool(!a.v(0).is_null()))),
    lazy("isnum", 1, 1, isnum),
    strict("isint", 1, 1, |a| {
        Ok(Value::Bool(
            a.v(0).as_num().is_some_and(|n| n.fract() == 0.0),
        ))
    }),
    strict("isstr", 1, 1, |a| {
        Ok(Value::Bool(matches!(a.v(0), Value::Str(_))))
    }),
    strict("isbool", 1, 1, |a| {
        Ok(Value::Bool(matches!(a.v(0), Value::Bool(_))))
    }),
    strict("typeof", 1, 1, typeof_),
    pass("nullif", 2, 2, nullif),
    lazy("in", 1, MANY, in_),
    strict("like", 2, 2, like_),
    strict("match", 2, 2, match_).regex(1),
    strict("match_regex", 2, 2, match_).regex(1),
];

const NULL: Cow<'static, Value> = Cow::Owned(Value::Null);

fn if_<'a>(c: &'a Call, row: &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError> {
    let cond = truth(&*c.args[0].eval(row)?) == Some(true);
    c.args[if cond { 1 } else { 2 }].eval(row)
}

fn case<'a>(c: &'a Call, row: &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError> {
    if let Some(s) = &c.switch {
        let v = row.get(s.key());
        // An absent dotted name may be a path into a map: tested in turn.
        if v.is_some() || !s.key().name.contains('.') {
            match s.arm(v) {
                Some(Some(i)) => return c.args[2 * i + 1].eval(row),
                Some(None) => return Ok(NULL),
                None => {}
            }
        }
    }
    for pair in c.args.chunks(2) {
        if pair.len() == 2 && truth(&*pair[0].eval(row)?) == Some(true) {
            return pair[1].eval(row);
        }
    }
    Ok(NULL)
}

fn coalesce<'a>(c: &'a Call, row: &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError> {
    for a in &c.args {
        let v = a.eval(row)?;
        if !v.is_null() {
            return Ok(v);
        }
    }
    Ok(NULL)
}

fn validate(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    for pair in c.args.chunks(2) {
        if pair.len() == 2 && truth(&*pair[0].eval(row)?) != Some(true) {
            return pair[1].value(row);
        }
    }
    Ok(Value::Null)
}

/// A quoted literal is a string, even `"NaN"` or `"3"` (as `"2" + "3"` is 23); any
/// other value is a number when it is one, reads as one, or is the text `NaN`.
fn isnum(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    if matches!(c.args[0], CExpr::Lit(Value::Str(_))) {
        return Ok(Value::Bool(false));
    }
    let v = c.args[0].eval(row)?;
    let nan = matches!(&*v, Value::Str(s) if s == NAN_TEXT);
    Ok(Value::Bool(nan || v.as_num().is_some()))
}

fn typeof_(a: &Args<'_>) -> Result<Value, EvalError> {
    Ok(Value::str(match a.v(0) {
        Value::Null => "Invalid",
        // Search Reference, "Informational functions": typeof(1==2) is `Bool`.
        Value::Bool(_) => "Bool",
        Value::Num(_) | Value::Dec(_) => "Number",
        Value::Str(s) if parse_number(s).is_some() => "Number",
        Value::Str(_) => "String",
        Value::Multi(_) => "Multivalue",
        Value::Map(_) => "Map",
    }))
}

fn nullif<'a>(c: &'a Call, row: &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError> {
    let (a, b) = (c.args[0].eval(row)?, c.args[1].eval(row)?);
    if compare(&a, &b) == Some(std::cmp::Ordering::Equal) {
        Ok(NULL)
    } else {
        Ok(a)
    }
}

fn in_(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    let v = c.args[0].eval(row)?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    for a in &c.args[1..] {
        let candidates = a.eval(row)?;
        if v.values()
            .iter()
            .any(|x| candidates.values().iter().any(|y| same_text(x, y)))
        {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// True when `x` and `y` display as the same text (without building it for two
/// strings).
fn same_text(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Str(a), Value::Str(b)) => a == b,
        // Two numbers are the same number whatever their precision (5 and 5.0).
        (Value::Num(_) | Value::Dec(_), Value::Num(_) | Value::Dec(_)) => x.as_num() == y.as_num(),
        _ => x.to_string() == y.to_string(),
    }
}

fn like_(a: &Args<'_>) -> Result<Value, EvalError> {
    match (a.v(0), a.text(1)) {
        (s, Some(p)) if !s.is_null() => Ok(Value::Bool(
            s.values().iter().any(|v| like(&v.to_string(), &p)),
        )),
        _ => Ok(Value::Null),
    }
}

fn match_(a: &Args<'_>) -> Result<Value, EvalError> {
    let s = a.v(0);
    if s.is_null() {
        return Ok(Value::Null);
    }
    match a.re(1)? {
        Some(r) => Ok(Value::Bool(s.values().iter().any(|v| match v {
            Value::Str(t) => r.is_match(t),
            other => r.is_match(&other.to_string()),
        }))),
        None => Ok(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn conditionals() {
        assert_eq!(ev("if(isnull(nope), \"y\", \"n\")"), Value::str("y"));
        assert_eq!(ev("case(1=2, \"a\", 1=1, \"b\")"), Value::str("b"));
        assert_eq!(ev("coalesce(nope, s)"), Value::str("Hello World"));
        assert_eq!(ev("like(s, \"Hello%\")"), Value::Bool(true));
        assert_eq!(ev("match(s, \"^Hel\")"), Value::Bool(true));
        assert_eq!(ev("match(nope, \"^x\")"), Value::Null);
        assert_eq!(ev("typeof(s)"), Value::str("String"));
        assert_eq!(ev("in(s, \"x\", \"Hello World\")"), Value::Bool(true));
        assert_eq!(ev("nullif(1, 1)"), Value::Null);
        assert_eq!(ev("isnum(\"NaN\" % 1)"), Value::Bool(true));
        assert_eq!(ev("isnum(\"NaN\")"), Value::Bool(false));
    }

    #[test]
    fn a_bad_literal_regex_is_reported_when_compiling() {
        let text = "match(s, \"(\")";
        let mut c = crate::cursor::Cursor::new(text, 0, text.len());
        let e = crate::parse::expr::parse_expr(&mut c, false).unwrap();
        let err = crate::expr::compile(&e).unwrap_err();
        assert!(err.what.contains("regular expression"), "{}", err.what);
    }
}
