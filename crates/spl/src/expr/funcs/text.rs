//! Text and conversion functions (Search Reference: "Text functions", "Conversion
//! functions").

use super::{map_text, strict, Args, FnDef, MANY};
use crate::exec::text::{backrefs, printf, tostring, urldecode};
use crate::expr::EvalError;
use firedrill_value::Value;

pub(super) const FUNCS: &[FnDef] = &[
    strict("lower", 1, 1, |a| {
        Ok(map_text(a.v(0), |s| s.to_lowercase()))
    }),
    strict("upper", 1, 1, |a| {
        Ok(map_text(a.v(0), |s| s.to_uppercase()))
    }),
    strict("len", 1, 1, |a| {
        Ok(a.text(0)
            .map(|s| Value::Num(s.chars().count() as f64))
            .unwrap_or(Value::Null))
    }),
    strict("trim", 1, 2, |a| trim(a, |s, c| s.trim_matches(c))),
    strict("ltrim", 1, 2, |a| trim(a, |s, c| s.trim_start_matches(c))),
    strict("rtrim", 1, 2, |a| trim(a, |s, c| s.trim_end_matches(c))),
    strict("substr", 2, 3, substr),
    strict("replace", 3, 3, replace).regex(1),
    strict("split", 2, 2, split),
    strict("urldecode", 1, 1, |a| Ok(map_text(a.v(0), urldecode))),
    strict("tostring", 1, 2, |a| {
        Ok(tostring(a.v(0).clone(), a.text(1)))
    }),
    strict("tonumber", 1, 2, tonumber),
    // `spath(value, path)`: as the `spath` command reads JSON and XML.
    strict("spath", 2, 2, |a| {
        Ok(match (a.text(0), a.text(1)) {
            (Some(t), Some(p)) => crate::exec::extract::spath_value(&t, &p),
            _ => Value::Null,
        })
    }),
    // Conversion functions: `toint` drops the fraction (`toint(3.14)` is 3).
    strict("toint", 1, 1, |a| {
        Ok(a.num(0)
            .map(|n| Value::Num(n.trunc()))
            .unwrap_or(Value::Null))
    }),
    strict("printf", 1, MANY, |a| {
        let fmt = a.text(0).unwrap_or_default();
        let vals: Vec<Value> = a.all().skip(1).cloned().collect();
        Ok(Value::Str(printf(&fmt, &vals)))
    }),
];

fn trim(a: &Args<'_>, f: for<'s> fn(&'s str, &[char]) -> &'s str) -> Result<Value, EvalError> {
    let chars: Vec<char> = match a.text(1) {
        Some(c) => c.chars().collect(),
        None => vec![' ', '\t', '\n', '\r'],
    };
    Ok(map_text(a.v(0), |s| f(s, &chars).to_string()))
}

fn substr(a: &Args<'_>) -> Result<Value, EvalError> {
    let Some(s) = a.text(0) else {
        return Ok(Value::Null);
    };
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as i64;
    let start = a.num(1).unwrap_or(1.0) as i64;
    let from = if start > 0 {
        start - 1
    } else if start < 0 {
        (n + start).max(0)
    } else {
        0
    };
    let len = match a.num(2) {
        Some(l) => l.max(0.0) as i64,
        None => n,
    };
    let from = from.clamp(0, n) as usize;
    let to = (from as i64 + len).clamp(0, n) as usize;
    Ok(Value::Str(chars[from..to.max(from)].iter().collect()))
}

fn replace(a: &Args<'_>) -> Result<Value, EvalError> {
    let s = a.v(0);
    let Some(rep) = a.text(2) else {
        return Ok(Value::Null);
    };
    if s.is_null() {
        return Ok(Value::Null);
    }
    let Some(r) = a.re(1)? else {
        return Ok(Value::Null);
    };
    let rep = backrefs(&rep);
    Ok(map_text(s, |t| {
        r.replace(t, rep.as_str(), true).into_owned()
    }))
}

fn split(a: &Args<'_>) -> Result<Value, EvalError> {
    Ok(match (a.text(0), a.text(1)) {
        (Some(s), Some(d)) => {
            let parts: Vec<Value> = if d.is_empty() {
                s.chars().map(|c| Value::Str(c.to_string())).collect()
            } else {
                s.split(d.as_str()).map(Value::str).collect()
            };
            Value::multi(parts)
        }
        _ => Value::Null,
    })
}

fn tonumber(a: &Args<'_>) -> Result<Value, EvalError> {
    let base = a.num(1).unwrap_or(10.0) as u32;
    // Search Reference, "Conversion functions": a value with leading or trailing
    // spaces is not a number (`tonumber(" 23 ")` is null).
    if a.text(0).is_some_and(|s| s.trim() != s) {
        return Ok(Value::Null);
    }
    Ok(match a.text(0) {
        Some(s) if base == 10 => firedrill_value::parse_number(&s)
            .map(Value::Num)
            .unwrap_or(Value::Null),
        Some(s) if (2..=36).contains(&base) => {
            let t = s.trim();
            let t = if base == 16 {
                t.trim_start_matches("0x").trim_start_matches("0X")
            } else {
                t
            };
            i64::from_str_radix(t, base)
                .map(|n| Value::Num(n as f64))
                .unwrap_or(Value::Null)
        }
        _ => Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn documented_examples() {
        // Search Reference, "Text functions": substr("splunk", 1, 3) = "spl",
        // substr("splunk", -3) = "unk".
        assert_eq!(ev("substr(\"splunk\", 1, 3)"), Value::str("spl"));
        assert_eq!(ev("substr(\"splunk\", -3)"), Value::str("unk"));
        // replace("1/14/2023", "^(\d{1,2})/(\d{1,2})/", "\2/\1/") swaps day and month.
        assert_eq!(
            ev("replace(\"1/14/2023\", \"^(\\d{1,2})/(\\d{1,2})/\", \"\\2/\\1/\")"),
            Value::str("14/1/2023")
        );
        assert_eq!(ev("lower(s)"), Value::str("hello world"));
        assert_eq!(ev("len(s)"), Value::Num(11.0));
        assert_eq!(ev("urldecode(\"a%20b+c\")"), Value::str("a b c"));
        assert_eq!(ev("tostring(1234567, \"commas\")"), Value::str("1,234,567"));
        assert_eq!(ev("tonumber(\"0x1F\", 16)"), Value::Num(31.0));
        assert_eq!(ev("printf(\"%s-%d\", \"a\", 5)"), Value::str("a-5"));
        assert_eq!(ev("trim(\"  x \")"), Value::str("x"));
    }
}
