//! JSON functions, as the Search Reference's "JSON functions" page documents them, and
//! the JSON type checks and conversions of "Informational functions" and "Conversion
//! functions" (`isobject`, `isarray`, `toarray`, `toobject`), with `isdouble`,
//! `todouble` and `tobool`.
//!
//! A JSON value is a field holding its JSON text, written compactly (`{"a":1,"b":[2]}`),
//! keys in the order they were given or read, as the pages' examples print them.
//! An argument that is itself a call of a function returning JSON (`json_object("a",
//! json_array(1, 2))`) is nested as JSON; any other string is a JSON string.

use super::{lazy, strict, Args, FnDef, MANY};
use crate::expr::{CExpr, Call, EvalError};
use firedrill_value::{format_number, Decimal, Fields, Value};
use std::fmt::Write as _;

pub(super) const FUNCS: &[FnDef] = &[
    lazy("json_object", 0, MANY, json_object).checked(pairs),
    lazy("json_array", 0, MANY, json_array),
    strict("json", 1, 1, json),
    strict("json_valid", 1, 1, |a| {
        Ok(Value::Bool(a.text(0).is_some_and(|s| parse(&s).is_some())))
    }),
    strict("json_extract", 1, MANY, json_extract).checked(extract_paths),
    strict("json_extract_exact", 1, MANY, json_extract_exact),
    strict("json_keys", 1, 1, json_keys),
    strict("json_has_key_exact", 2, 2, json_has_key_exact),
    strict("json_entries", 1, 1, json_entries),
    lazy("json_set", 3, MANY, json_set).checked(set_args),
    lazy("json_set_exact", 3, MANY, json_set_exact).checked(set_exact_args),
    strict("json_array_to_mv", 1, 2, json_array_to_mv),
    strict("mv_to_json_array", 1, 2, mv_to_json_array),
    strict("isobject", 1, 1, |a| {
        Ok(Value::Bool(matches!(as_json(a.v(0)), Some(J::Obj(_)))))
    }),
    strict("isarray", 1, 1, |a| {
        Ok(Value::Bool(matches!(as_json(a.v(0)), Some(J::Arr(_)))))
    }),
    strict("toobject", 1, 1, |a| {
        Ok(match as_json(a.v(0)) {
            Some(j @ J::Obj(_)) => Value::Str(j.text()),
            _ => Value::Null,
        })
    }),
    strict("toarray", 1, 1, toarray),
    // "Informational functions": isdouble(3.546) is true, isdouble(1000000) false. A
    // decimal (`5.0`, `todouble(5)`) is a double; so is any number with a fraction.
    strict("isdouble", 1, 1, |a| {
        Ok(Value::Bool(
            matches!(a.v(0), Value::Dec(_)) || a.v(0).as_num().is_some_and(|n| n.fract() != 0.0),
        ))
    }),
    // Conversion functions, todouble: 5 "becomes 5.0"; a decimal keeps its precision.
    strict("todouble", 1, 1, |a| {
        Ok(match (a.v(0).precision(), a.num(0)) {
            (Some(d), _) => Value::Dec(d),
            (None, Some(n)) if n.fract() == 0.0 => {
                Decimal::with_places(n, 1).map_or(Value::Num(n), Value::Dec)
            }
            (None, n) => n.map(Value::Num).unwrap_or(Value::Null),
        })
    }),
    strict("tobool", 1, 1, tobool),
];

/// A JSON value that keeps its object keys in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    /// A number, as Splunk writes it (`1.00` is `1`).
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    /// The compact JSON text.
    pub(crate) fn text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => quote(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            J::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as Splunk's native type: strings without quotes, numbers and
    /// booleans as such, `null` as null, objects and arrays as JSON text.
    fn native(&self) -> Value {
        match self {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Num(n) => n
                .parse::<f64>()
                .ok()
                .filter(|f| format_number(*f) == *n)
                .map(Value::Num)
                .unwrap_or_else(|| Value::Str(n.clone())),
            J::Str(s) => Value::Str(s.clone()),
            J::Arr(_) | J::Obj(_) => Value::Str(self.text()),
        }
    }

    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn num(n: f64) -> J {
        if n.is_finite() {
            J::Num(format_number(n))
        } else {
            J::Null
        }
    }

    /// Sets `key` in an object, in place when it is there, else at the end.
    fn set(members: &mut Vec<(String, J)>, key: &str, v: J) {
        match members.iter_mut().find(|(k, _)| k == key) {
            Some((_, old)) => *old = v,
            None => members.push((key.to_string(), v)),
        }
    }
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<'de> serde::Deserialize<'de> for J {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

struct JVisitor;

impl<'de> serde::de::Visitor<'de> for JVisitor {
    type Value = J;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<J, E> {
        Ok(J::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<J, E> {
        Ok(J::Num(n.to_string()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<J, E> {
        Ok(J::Num(n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<J, E> {
        Ok(J::num(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<J, E> {
        Ok(J::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<J, E> {
        Ok(J::Str(s))
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_none<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(J::Arr(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        // A repeated key keeps its first place and takes its last value; the index
        // keeps a large object linear to read.
        let mut members: Vec<(String, J)> = Vec::new();
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        while let Some((k, v)) = map.next_entry::<String, J>()? {
            match at.get(&k) {
                Some(&i) => members[i].1 = v,
                None => {
                    at.insert(k.clone(), members.len());
                    members.push((k, v));
                }
            }
        }
        Ok(J::Obj(members))
    }
}

/// Parses JSON text (surrounding white space allowed), or `None`.
pub(crate) fn parse(s: &str) -> Option<J> {
    serde_json::from_str(s).ok()
}

/// A field value read as JSON: its text parsed (an SPL2 map is an object).
fn as_json(v: &Value) -> Option<J> {
    match v {
        Value::Str(s) => parse(s),
        Value::Num(n) => Some(J::num(*n)),
        Value::Dec(d) => Some(J::Num(d.to_string())),
        Value::Bool(b) => Some(J::Bool(*b)),
        Value::Map(_) => Some(from_value(v)),
        Value::Null | Value::Multi(_) => None,
    }
}

/// A value given to a JSON-building function: strings are JSON strings, numbers and
/// booleans are themselves, a multivalue is an array.
fn from_value(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Num(n) => J::num(*n),
        Value::Dec(d) => J::Num(d.to_string()),
        Value::Str(s) => J::Str(s.clone()),
        Value::Multi(vs) => J::Arr(vs.iter().map(from_value).collect()),
        Value::Map(m) => J::Obj(m.iter().map(|(k, v)| (k.clone(), from_value(v))).collect()),
    }
}

/// The functions whose result is JSON text that an enclosing JSON function nests.
const RETURNS_JSON: &[&str] = &[
    "json_object",
    "json_array",
    "json",
    "json_extract",
    "json_extract_exact",
    "json_keys",
    "json_entries",
    "json_set",
    "json_set_exact",
    "mv_to_json_array",
    "toarray",
    "toobject",
];

/// Evaluates argument `e` as a JSON value: the result of a JSON function nests as
/// JSON when it is an object or an array; anything else is taken as it is.
fn arg(e: &CExpr, row: &dyn Fields) -> Result<J, EvalError> {
    let v = e.eval(row)?;
    if let CExpr::Call(c) = e {
        if RETURNS_JSON.contains(&c.def.name) {
            if let Value::Str(s) = &*v {
                if let Some(j @ (J::Obj(_) | J::Arr(_))) = parse(s) {
                    return Ok(j);
                }
            }
        }
    }
    Ok(from_value(&v))
}

fn pairs(args: &[CExpr]) -> Result<(), String> {
    if !args.len().is_multiple_of(2) {
        return Err("json_object() takes key-value pairs (an even number of arguments)".into());
    }
    Ok(())
}

fn json_object(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    let mut members = Vec::new();
    for kv in c.args.chunks(2) {
        let key = kv[0].eval(row)?;
        let Some(key) = key.as_text() else {
            return Ok(Value::Null);
        };
        J::set(&mut members, &key, arg(&kv[1], row)?);
    }
    Ok(Value::Str(J::Obj(members).text()))
}

fn json_array(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    let items = c
        .args
        .iter()
        .map(|e| arg(e, row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Str(J::Arr(items).text()))
}

/// `json(value)`: the value when it is JSON, else null.
fn json(a: &Args<'_>) -> Result<Value, EvalError> {
    Ok(match as_json(a.v(0)) {
        Some(_) => a.v(0).clone(),
        None => Value::Null,
    })
}

/// One step of a `json_extract` path.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
    All,
}

/// Splits a path: keys joined with `.`, each with optional `{N}` (an array index,
/// from 0) or `{}` (every element) after it. `None` for a malformed step.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('{') {
            Some(b) => (&part[..b], &part[b..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Step::Key(key));
        } else if rest.is_empty() && !path.is_empty() {
            return None;
        }
        while !rest.is_empty() {
            let r = rest.strip_prefix('{')?;
            let close = r.find('}')?;
            let inner = &r[..close];
            out.push(if inner.is_empty() {
                Step::All
            } else {
                Step::Index(inner.parse().ok()?)
            });
            rest = &r[close + 1..];
        }
    }
    Some(out)
}

/// A literal `json_extract` path must be keys joined with `.`, each with optional
/// `{N}` or `{}` steps: any other form (quoted keys, `{name}`) is refused.
fn extract_paths(args: &[CExpr]) -> Result<(), String> {
    for p in &args[1..] {
        if let CExpr::Lit(Value::Str(s)) = p {
            if steps(s).is_none() {
                return Err(format!("json_extract() path `{s}` (keys joined with `.`, each with optional `{{N}}` or `{{}}`)"));
            }
        }
    }
    Ok(())
}

/// The value at `path`: one value, or (a path with `{}`) the array of every match.
fn at_path(root: &J, path: &str) -> Option<J> {
    let steps = steps(path)?;
    let mut cur = vec![root];
    let mut many = false;
    for s in &steps {
        let mut next = Vec::new();
        for node in cur {
            match s {
                Step::Key(k) => next.extend(node.get(k)),
                Step::Index(i) => {
                    if let J::Arr(items) = node {
                        next.extend(items.get(*i));
                    }
                }
                Step::All => {
                    many = true;
                    if let J::Arr(items) = node {
                        next.extend(items.iter());
                    }
                }
            }
        }
        cur = next;
    }
    if many {
        Some(J::Arr(cur.into_iter().cloned().collect()))
    } else {
        cur.first().map(|j| (*j).clone())
    }
}

/// The results of several paths: one native value, or a JSON array of them.
fn extract(a: &Args<'_>, find: impl Fn(&J, &str) -> Option<J>) -> Result<Value, EvalError> {
    let Some(root) = as_json(a.v(0)) else {
        return Ok(Value::Null);
    };
    if a.len() == 1 {
        return Ok(root.native());
    }
    let mut found = Vec::new();
    for i in 1..a.len() {
        let Some(p) = a.text(i) else {
            return Ok(Value::Null);
        };
        found.push(find(&root, &p));
    }
    Ok(if found.len() == 1 {
        found
            .pop()
            .flatten()
            .map(|j| j.native())
            .unwrap_or(Value::Null)
    } else {
        Value::Str(J::Arr(found.into_iter().map(|j| j.unwrap_or(J::Null)).collect()).text())
    })
}

fn json_extract(a: &Args<'_>) -> Result<Value, EvalError> {
    extract(a, at_path)
}

fn json_extract_exact(a: &Args<'_>) -> Result<Value, EvalError> {
    extract(a, |root, key| root.get(key).cloned())
}

fn json_keys(a: &Args<'_>) -> Result<Value, EvalError> {
    Ok(match as_json(a.v(0)) {
        Some(J::Obj(m)) => {
            Value::Str(J::Arr(m.into_iter().map(|(k, _)| J::Str(k)).collect()).text())
        }
        _ => Value::Null,
    })
}

fn json_has_key_exact(a: &Args<'_>) -> Result<Value, EvalError> {
    let (Some(j), Some(key)) = (as_json(a.v(0)), a.text(1)) else {
        return Ok(Value::Bool(false));
    };
    Ok(Value::Bool(j.get(&key).is_some()))
}

/// `json_entries(object)`: `[{"key":…,"value":…},…]` for the top-level members.
fn json_entries(a: &Args<'_>) -> Result<Value, EvalError> {
    Ok(match as_json(a.v(0)) {
        Some(J::Obj(m)) => Value::Str(
            J::Arr(
                m.into_iter()
                    .map(|(k, v)| J::Obj(vec![("key".into(), J::Str(k)), ("value".into(), v)]))
                    .collect(),
            )
            .text(),
        ),
        _ => Value::Null,
    })
}

/// The paths of `json_set` must be literal keys joined with `.`: array steps (`{N}`)
/// are refused, as what they do on a missing or short array is not documented.
fn set_args(args: &[CExpr]) -> Result<(), String> {
    set_shape(args, "json_set")?;
    for p in args.iter().skip(1).step_by(2) {
        match p {
            CExpr::Lit(Value::Str(s)) if !s.contains(['{', '}']) && !s.is_empty() => {}
            CExpr::Lit(Value::Str(_)) => {
                return Err("json_set() with an array step (`{N}`) or an empty path".into())
            }
            _ => return Err("json_set() with a path that is not a literal string".into()),
        }
    }
    Ok(())
}

fn set_exact_args(args: &[CExpr]) -> Result<(), String> {
    set_shape(args, "json_set_exact")
}

fn set_shape(args: &[CExpr], name: &str) -> Result<(), String> {
    if args.len().is_multiple_of(2) {
        return Err(format!(
            "{name}() takes a JSON object and path-value pairs (an odd number of arguments)"
        ));
    }
    Ok(())
}

/// Sets `value` at the keys `path` in `j`, making the objects on the way; `false`
/// when a step is not an object.
fn set_at(j: &mut J, path: &[&str], value: J) -> bool {
    let J::Obj(m) = j else {
        return false;
    };
    let (first, rest) = (path[0], &path[1..]);
    if rest.is_empty() {
        J::set(m, first, value);
        return true;
    }
    if !m.iter().any(|(k, _)| k == first) {
        m.push((first.to_string(), J::Obj(Vec::new())));
    }
    let child = m
        .iter_mut()
        .rev()
        .find(|(k, _)| k == first)
        .map(|(_, v)| v)
        .expect("just set");
    set_at(child, rest, value)
}

fn set_with(c: &Call, row: &dyn Fields, exact: bool) -> Result<Value, EvalError> {
    let doc = c.args[0].eval(row)?;
    let Some(mut j @ J::Obj(_)) = as_json(&doc) else {
        return Ok(Value::Null);
    };
    for pv in c.args[1..].chunks(2) {
        let Some(path) = pv[0].eval(row)?.as_text() else {
            return Ok(Value::Null);
        };
        let value = arg(&pv[1], row)?;
        let keys: Vec<&str> = if exact {
            vec![path.as_str()]
        } else {
            path.split('.').collect()
        };
        if !set_at(&mut j, &keys, value) {
            return Ok(Value::Null);
        }
    }
    Ok(Value::Str(j.text()))
}

fn json_set(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    set_with(c, row, false)
}

fn json_set_exact(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    set_with(c, row, true)
}

/// `json_array_to_mv(array [, keep_quotes])`: the elements as a multivalue; strings
/// lose their quotes unless the second argument is true.
fn json_array_to_mv(a: &Args<'_>) -> Result<Value, EvalError> {
    let keep = a.v(1).is_true();
    Ok(match as_json(a.v(0)) {
        Some(J::Arr(items)) => Value::multi(
            items
                .iter()
                .map(|j| match j {
                    J::Str(s) if !keep => Value::Str(s.clone()),
                    other => Value::Str(other.text()),
                })
                .collect(),
        ),
        _ => Value::Null,
    })
}

/// `mv_to_json_array(field [, infer_types])`: the values as a JSON array of strings,
/// or, inferring types, of the JSON each value is (a string when it is not JSON).
fn mv_to_json_array(a: &Args<'_>) -> Result<Value, EvalError> {
    let infer = a.v(1).is_true();
    let v = a.v(0);
    if v.is_null() {
        return Ok(Value::Null);
    }
    let items = v
        .values()
        .iter()
        .map(|x| {
            let s = x.to_string();
            if infer {
                parse(&s).unwrap_or(J::Str(s))
            } else {
                J::Str(s)
            }
        })
        .collect();
    Ok(Value::Str(J::Arr(items).text()))
}

/// `toarray(value)`: a multivalue as an array of the JSON each value is (a string when
/// it is not JSON), or JSON text that is an array; anything else is null.
fn toarray(a: &Args<'_>) -> Result<Value, EvalError> {
    Ok(match a.v(0) {
        Value::Multi(vs) => Value::Str(
            J::Arr(
                vs.iter()
                    .map(|x| {
                        let s = x.to_string();
                        parse(&s).unwrap_or(J::Str(s))
                    })
                    .collect(),
            )
            .text(),
        ),
        v => match as_json(v) {
            Some(j @ J::Arr(_)) => Value::Str(j.text()),
            _ => Value::Null,
        },
    })
}

/// `tobool(value)`: a number is true unless 0; `true`/`false` (any case) are
/// themselves; anything else is null.
fn tobool(a: &Args<'_>) -> Result<Value, EvalError> {
    let v = a.v(0);
    if let Value::Bool(b) = v {
        return Ok(Value::Bool(*b));
    }
    if let Some(n) = v.as_num() {
        return Ok(Value::Bool(n != 0.0));
    }
    Ok(
        match v
            .as_text()
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("true") => Value::Bool(true),
            Some("false") => Value::Bool(false),
            _ => Value::Null,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn repeated_keys_keep_their_place_and_take_the_last_value_and_large_objects_read_fast() {
        match super::parse(r#"{"a":1,"b":2,"a":3}"#) {
            Some(super::J::Obj(m)) => {
                assert_eq!(m.len(), 2);
                assert_eq!(m[0].0, "a");
                assert!(
                    matches!(m[0].1, super::J::Num(ref n) if n == "3"),
                    "{:?}",
                    m[0].1
                );
            }
            other => panic!("{other:?}"),
        }
        // 200,000 keys: linear, not one scan of the members per key.
        let big = format!(
            "{{{}}}",
            (0..200_000)
                .map(|i| format!("\"k{i}\":0"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let t = std::time::Instant::now();
        assert!(matches!(super::parse(&big), Some(super::J::Obj(m)) if m.len() == 200_000));
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn builds_and_reads_json() {
        assert_eq!(
            ev(r#"json_object("name", "maria", "age", 25, "tags", json_array("a", 1.5, true()))"#),
            s(r#"{"name":"maria","age":25,"tags":["a",1.5,true]}"#)
        );
        assert_eq!(ev(r#"json_object()"#), s("{}"));
        assert_eq!(ev(r#"json_array(s)"#), s(r#"["Hello World"]"#));
        assert_eq!(
            ev(r#"json_extract("{\"a\":{\"b\":[1,2]}}", "a.b{1}")"#),
            Value::Num(2.0)
        );
        assert_eq!(
            ev(r#"json_extract("{\"a\":1,\"b\":\"x\"}", "a", "b", "c")"#),
            s(r#"[1,"x",null]"#)
        );
        assert_eq!(ev(r#"json_extract("{\"a\":1}", "c")"#), Value::Null);
        assert_eq!(
            ev(r#"json_keys("{\"z\":1,\"a\":{\"b\":2}}")"#),
            s(r#"["z","a"]"#)
        );
        assert_eq!(ev(r#"json_keys("[1]")"#), Value::Null);
        assert_eq!(ev(r#"json_valid("{\"a\":")"#), Value::Bool(false));
        assert_eq!(ev(r#"toobject("[1]")"#), Value::Null);
        assert_eq!(ev(r#"toarray("[1.50, \"a\"]")"#), s(r#"[1.5,"a"]"#));
        assert_eq!(ev(r#"tobool("FALSE")"#), Value::Bool(false));
        assert_eq!(ev(r#"tobool("maybe")"#), Value::Null);
        assert_eq!(ev(r#"json_array_to_mv("[\"a\"]")"#), s("a"));
        assert_eq!(
            ev(r#"json_set("{\"a\":{\"b\":1}}", "a.c", 2, "d", "x")"#),
            s(r#"{"a":{"b":1,"c":2},"d":"x"}"#)
        );
        assert_eq!(ev(r#"json_set("{\"a\":1}", "a.c", 2)"#), Value::Null);
        assert_eq!(
            ev(r#"json_extract("{\"a\":{\"b\":2}}")"#),
            s(r#"{"a":{"b":2}}"#)
        );
    }

    #[test]
    fn refuses_undocumented_forms_at_compile_time() {
        use crate::cursor::Cursor;
        use crate::parse::expr::parse_expr;
        for bad in [
            r#"json_object("a")"#,
            r#"json_set("{}", "a")"#,
            r#"json_set("{}", "a{0}", 1)"#,
            r#"json_set("{}", s, 1)"#,
            r#"json_extract(s, "a{x}")"#,
            r#"json_extract(s, "a..b")"#,
        ] {
            let mut c = Cursor::new(bad, 0, bad.len());
            let e = parse_expr(&mut c, false).unwrap();
            assert!(crate::expr::compile(&e).is_err(), "{bad} compiles");
        }
    }
}
