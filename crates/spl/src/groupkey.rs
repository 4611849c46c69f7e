//! Group keys of `stats`, `tstats` and `timechart`, packed into one allocation.
//!
//! A key is its by-field values as text, each preceded by its length (LEB128), then
//! one kind byte per value. Keys hash and compare by the text alone, so a number `5`
//! and a string `"5"` fall in one group, as they do in Splunk; the kinds give the
//! values back as they came. One allocation per group instead of one per value keeps
//! grouping by many near-unique fields (a process's command line, id and guid) within
//! a few bytes of the text itself.

use firedrill_value::{format_number, Decimal, Value};

const STR: u8 = 0;
const NUM: u8 = 1;
const BOOL: u8 = 2;
const NULL: u8 = 3;
const DEC: u8 = 4;

/// Packs `values` into `buf` (cleared first); allocates nothing once `buf` has grown.
pub fn pack(buf: &mut Vec<u8>, values: &[&Value]) {
    buf.clear();
    for v in values {
        let text: std::borrow::Cow<'_, str> = match v {
            Value::Str(s) => s.as_str().into(),
            Value::Num(n) => format_number(*n).into(),
            Value::Dec(d) => d.to_string().into(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Null => "".into(),
            other => other.to_string().into(),
        };
        push_len(buf, text.len());
        buf.extend_from_slice(text.as_bytes());
    }
    buf.extend(values.iter().map(|v| match v {
        Value::Num(_) => NUM,
        Value::Dec(_) => DEC,
        Value::Bool(_) => BOOL,
        Value::Null => NULL,
        _ => STR,
    }));
}

/// The text part of a packed key of `n` values: what hashing and equality look at.
pub fn text(packed: &[u8], n: usize) -> &[u8] {
    &packed[..packed.len() - n]
}

/// The values of a packed key of `n` values.
pub fn unpack(packed: &[u8], n: usize) -> Vec<Value> {
    let (mut rest, kinds) = packed.split_at(packed.len() - n);
    let mut out = Vec::with_capacity(n);
    for &kind in kinds {
        let (len, after) = read_len(rest);
        let (bytes, after) = after.split_at(len);
        rest = after;
        // Packed from a `&str`, so always UTF-8.
        let s = std::str::from_utf8(bytes).unwrap_or_default();
        out.push(match kind {
            NUM => Value::Num(s.parse().unwrap_or(f64::NAN)),
            // Packed as the decimal's text, which keeps its places.
            DEC => Decimal::parse(s).map_or(Value::Num(s.parse().unwrap_or(f64::NAN)), Value::Dec),
            BOOL => Value::Bool(s == "true"),
            NULL => Value::Null,
            _ => Value::Str(s.to_string()),
        });
    }
    out
}

fn push_len(buf: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf.push(low);
            return;
        }
        buf.push(low | 0x80);
    }
}

fn read_len(bytes: &[u8]) -> (usize, &[u8]) {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        n |= ((b & 0x7f) as usize) << (7 * i);
        if b & 0x80 == 0 {
            return (n, &bytes[i + 1..]);
        }
    }
    (n, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(values: &[Value]) -> Vec<u8> {
        let mut buf = Vec::new();
        pack(&mut buf, &values.iter().collect::<Vec<_>>());
        buf
    }

    #[test]
    fn values_come_back_as_they_went_in() {
        let long = "x".repeat(300);
        let values = vec![
            Value::Str("a\0b".into()),
            Value::Num(1.5),
            Value::Num(-3.0),
            Value::Bool(true),
            Value::Null,
            Value::Str(long),
            Value::Str(String::new()),
        ];
        assert_eq!(unpack(&packed(&values), values.len()), values);
    }

    #[test]
    fn keys_compare_by_text() {
        let a = packed(&[Value::Num(5.0), Value::Str("x".into())]);
        let b = packed(&[Value::Str("5".into()), Value::Str("x".into())]);
        assert_eq!(text(&a, 2), text(&b, 2));
        assert_ne!(a, b);
        // Boundaries are kept: ("ab", "c") is not ("a", "bc").
        let c = packed(&[Value::Str("ab".into()), Value::Str("c".into())]);
        let d = packed(&[Value::Str("a".into()), Value::Str("bc".into())]);
        assert_ne!(text(&c, 2), text(&d, 2));
    }
}
