//! Plain data types shared by every stage of firedrill: a Splunk field [`Value`],
//! a [`Row`] of named values, and an [`Event`] (a row read from a dataset).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod decimal;
pub mod fields;
pub mod json;
pub mod kv;
pub mod need;

pub use decimal::Decimal;
pub use fields::{FieldRef, Fields, FieldsMut, Record, Sym, Want};
pub use need::Need;

use std::collections::BTreeMap;
use std::fmt;

/// One field value as Splunk sees it at search time.
///
/// Splunk fields are strings that may look like numbers, may be missing (null) or may
/// hold several values (multivalue). `Map` exists for SPL2 pipelines (`create_map`,
/// `map_get`). A `Multi` is never empty and never nested.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// Missing field or null result.
    #[default]
    Null,
    /// Boolean result of a comparison or boolean function.
    Bool(bool),
    /// A number (Splunk keeps all numbers as doubles at search time).
    Num(f64),
    /// A decimal number with the precision Splunk tracks for it (`5.0`, `8.250 * 0.2`).
    Dec(Decimal),
    /// A string.
    Str(String),
    /// A multivalue field.
    Multi(Vec<Value>),
    /// An SPL2 map.
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// Builds a multivalue from parts: nulls are dropped, nested multivalues flattened;
    /// zero parts give `Null`, one part gives that part.
    pub fn multi(parts: Vec<Value>) -> Value {
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                Value::Null => {}
                Value::Multi(vs) => out.extend(vs),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Value::Null,
            1 => out.pop().unwrap_or(Value::Null),
            _ => Value::Multi(out),
        }
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The values of this field: none for null, several for a multivalue.
    pub fn values(&self) -> &[Value] {
        match self {
            Value::Null => &[],
            Value::Multi(vs) => vs,
            other => std::slice::from_ref(other),
        }
    }

    /// The field as text, as Splunk would display it (multivalues joined by newline).
    /// Null is `None`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            _ => Some(self.to_string()),
        }
    }

    /// The value as a number, if it is one or is a string that parses as one
    /// (Splunk converts numeric strings implicitly). Hex such as `0x1F` is not a number.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Dec(d) => Some(d.value()),
            Value::Str(s) => parse_number(s),
            Value::Bool(_) | Value::Null | Value::Map(_) => None,
            Value::Multi(vs) => vs.first().and_then(Value::as_num),
        }
    }

    /// The precision Splunk tracks for this value as an arithmetic operand: a decimal's,
    /// or the one numeric text is written with (`0.5` read from an event). `None` for
    /// integers and everything else: they are exact.
    pub fn precision(&self) -> Option<Decimal> {
        match self {
            Value::Dec(d) => Some(*d),
            Value::Str(s) => Decimal::parse(s),
            _ => None,
        }
    }

    /// Truthiness for `where`: booleans as they are, everything else false.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// Approximate heap bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.capacity(),
            Value::Multi(vs) => {
                vs.capacity() * std::mem::size_of::<Value>()
                    + vs.iter().map(Value::heap_bytes).sum::<usize>()
            }
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| k.capacity() + std::mem::size_of::<Value>() + v.heap_bytes())
                .sum(),
            _ => 0,
        }
    }
}

/// Parses a Splunk numeric string: optional sign, digits, optional fraction and exponent,
/// surrounding spaces allowed. Returns `None` for anything else (including `inf`/`nan`).
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let first = body.chars().next()?;
    if !(first.is_ascii_digit() || first == '.') {
        return None;
    }
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Formats a number as Splunk prints it: integers without a fraction, others with the
/// shortest representation that round-trips.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{}", if *b { "true" } else { "false" }),
            Value::Num(n) => f.write_str(&format_number(*n)),
            Value::Dec(d) => write!(f, "{d}"),
            Value::Str(s) => f.write_str(s),
            Value::Multi(vs) => {
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {v:?}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Num(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// A result row or an event's fields: field name to value. Missing means null.
pub type Row = BTreeMap<String, Value>;

/// One event read from a dataset, with its indexed metadata and search-time fields.
///
/// `fields` holds everything the search sees, including `_raw`, `_time` (epoch
/// seconds), `host`, `source` and `sourcetype`, so the engine can treat an event as a row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// All fields, including the metadata fields named above.
    pub fields: Row,
}

impl Event {
    /// A new event with its raw text, time and metadata.
    pub fn new(raw: String, time: f64, host: &str, source: &str, sourcetype: &str) -> Event {
        let mut fields = Row::new();
        fields.insert("_raw".into(), Value::Str(raw));
        fields.insert("_time".into(), Value::Num(time));
        fields.insert("host".into(), Value::str(host));
        fields.insert("source".into(), Value::str(source));
        fields.insert("sourcetype".into(), Value::str(sourcetype));
        Event { fields }
    }

    /// The value of a field, or `Null`.
    pub fn get(&self, name: &str) -> &Value {
        self.fields.get(name).unwrap_or(&Value::Null)
    }

    /// The event's raw text.
    pub fn raw(&self) -> &str {
        match self.fields.get("_raw") {
            Some(Value::Str(s)) => s,
            _ => "",
        }
    }

    /// The event's time in epoch seconds (0 when unknown).
    pub fn time(&self) -> f64 {
        self.get("_time").as_num().unwrap_or(0.0)
    }

    /// Sets a field, replacing any earlier value.
    pub fn set(&mut self, name: &str, value: Value) {
        self.fields.insert(name.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_flattens_and_drops_nulls() {
        let v = Value::multi(vec![
            Value::Null,
            Value::str("a"),
            Value::Multi(vec![Value::str("b"), Value::str("c")]),
        ]);
        assert_eq!(v.values().len(), 3);
        assert_eq!(Value::multi(vec![Value::Null]), Value::Null);
        assert_eq!(Value::multi(vec![Value::str("x")]), Value::str("x"));
    }

    #[test]
    fn numbers_parse_like_splunk() {
        assert_eq!(parse_number(" 42 "), Some(42.0));
        assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
        assert_eq!(parse_number("0x1F"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(format_number(80.0), "80");
        assert_eq!(format_number(0.5), "0.5");
    }
}
