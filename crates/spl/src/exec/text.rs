//! Text helpers of the eval functions: `urldecode`, `tostring` formats, `printf`,
//! and `replace()` back-references.

use firedrill_value::{format_number, Value};

/// Splunk's `replace()` writes back-references as `\1`; the regex crate wants `${1}`.
pub fn backrefs(rep: &str) -> String {
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let d = chars.next().unwrap_or('0');
                out.push_str(&format!("${{{d}}}"));
            }
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

pub fn urldecode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn tostring(v: Value, fmt: Option<String>) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    match fmt.as_deref() {
        Some("hex") => match v.as_num() {
            Some(n) => Value::Str(format!("0x{:X}", n as i64)),
            None => Value::Null,
        },
        Some("binary") => match v.as_num() {
            Some(n) => Value::Str(format!("{:b}", n as i64)),
            None => Value::Null,
        },
        Some("commas") => match v.as_num() {
            Some(n) => Value::Str(commas(n)),
            None => Value::Null,
        },
        Some("duration") => match v.as_num() {
            Some(n) => {
                let s = n.max(0.0) as i64;
                Value::Str(format!(
                    "{:02}:{:02}:{:02}",
                    s / 3600,
                    (s / 60) % 60,
                    s % 60
                ))
            }
            None => Value::Null,
        },
        _ => match v {
            Value::Bool(b) => Value::Str(if b { "True".into() } else { "False".into() }),
            other => Value::Str(other.to_string()),
        },
    }
}

pub fn commas(n: f64) -> String {
    let whole = format_number(n.trunc());
    let (sign, digits) = whole
        .strip_prefix('-')
        .map(|d| ("-", d))
        .unwrap_or(("", whole.as_str()));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    let frac = n.fract().abs();
    if frac > 0.0 {
        out.push_str(&format!("{:.2}", frac)[1..]);
    }
    format!("{sign}{out}")
}

pub use super::printf::printf;
