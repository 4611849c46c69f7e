//! Eval functions. Each takes its argument expressions unevaluated, so that `if`,
//! `case`, `coalesce` and the multivalue lambdas evaluate only what Splunk evaluates.

use super::eval::{compare, eval, like, truth, EvalError};
use super::re::regex;
use super::text::{backrefs, printf, tostring, urldecode};
use super::time;
use crate::ast::Expr;
use crate::span::Span;
use firedrill_value::{Row, Value};

/// Every eval function firedrill implements (SPL and the SPL2 subset).
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "case",
    "ceil",
    "ceiling",
    "cidrmatch",
    "coalesce",
    "create_map",
    "exp",
    "false",
    "floor",
    "if",
    "in",
    "isbool",
    "isint",
    "isnotnull",
    "isnull",
    "isnum",
    "isstr",
    "len",
    "like",
    "ln",
    "log",
    "lower",
    "ltrim",
    "map_get",
    "match",
    "match_regex",
    "max",
    "md5",
    "min",
    "mvappend",
    "mvcount",
    "mvdedup",
    "mvfilter",
    "mvfind",
    "mvindex",
    "mvjoin",
    "mvmap",
    "mvsort",
    "mvzip",
    "now",
    "null",
    "nullif",
    "parse_long",
    "pow",
    "printf",
    "relative_time",
    "replace",
    "round",
    "rtrim",
    "sha1",
    "sha256",
    "sha512",
    "split",
    "sqrt",
    "strftime",
    "strptime",
    "substr",
    "time",
    "tonumber",
    "tostring",
    "trim",
    "true",
    "typeof",
    "ucast",
    "upper",
    "urldecode",
    "validate",
    "exact",
    "sigfig",
];

/// True if `name` is an implemented eval function.
pub fn is_supported(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

fn err(span: Span, message: impl Into<String>) -> EvalError {
    EvalError {
        message: message.into(),
        span,
    }
}

/// Calls eval function `name`.
pub fn call(name: &str, args: &[Expr], row: &Row, span: Span) -> Result<Value, EvalError> {
    let arity = |min: usize, max: usize| -> Result<(), EvalError> {
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            Err(err(
                span,
                format!("{name}() takes {want} arguments, found {}", args.len()),
            ))
        } else {
            Ok(())
        }
    };
    let arg = |i: usize| -> Result<Value, EvalError> {
        match args.get(i) {
            Some(e) => eval(e, row),
            None => Ok(Value::Null),
        }
    };
    let text = |i: usize| -> Result<Option<String>, EvalError> { Ok(arg(i)?.as_text()) };
    let num = |i: usize| -> Result<Option<f64>, EvalError> { Ok(arg(i)?.as_num()) };
    Ok(match name {
        "if" => {
            arity(3, 3)?;
            if truth(&arg(0)?) == Some(true) {
                arg(1)?
            } else {
                arg(2)?
            }
        }
        "case" => {
            for pair in args.chunks(2) {
                if pair.len() == 2 && truth(&eval(&pair[0], row)?) == Some(true) {
                    return eval(&pair[1], row);
                }
            }
            Value::Null
        }
        "coalesce" => {
            for a in args {
                let v = eval(a, row)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        "validate" => {
            for pair in args.chunks(2) {
                if pair.len() == 2 && truth(&eval(&pair[0], row)?) != Some(true) {
                    return eval(&pair[1], row);
                }
            }
            Value::Null
        }
        "null" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "isnull" => {
            arity(1, 1)?;
            Value::Bool(arg(0)?.is_null())
        }
        "isnotnull" => {
            arity(1, 1)?;
            Value::Bool(!arg(0)?.is_null())
        }
        "isnum" => Value::Bool(matches!(arg(0)?, Value::Num(_)) || arg(0)?.as_num().is_some()),
        "isint" => Value::Bool(arg(0)?.as_num().is_some_and(|n| n.fract() == 0.0)),
        "isstr" => Value::Bool(matches!(arg(0)?, Value::Str(_))),
        "isbool" => Value::Bool(matches!(arg(0)?, Value::Bool(_))),
        "typeof" => Value::str(match arg(0)? {
            Value::Null => "Invalid",
            Value::Bool(_) => "Boolean",
            Value::Num(_) => "Number",
            Value::Str(s) if firedrill_value::parse_number(&s).is_some() => "Number",
            Value::Str(_) => "String",
            Value::Multi(_) => "Multivalue",
            Value::Map(_) => "Map",
        }),
        "nullif" => {
            let (a, b) = (arg(0)?, arg(1)?);
            if compare(&a, &b) == Some(std::cmp::Ordering::Equal) {
                Value::Null
            } else {
                a
            }
        }
        "in" => {
            let v = arg(0)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut found = false;
            for a in &args[1..] {
                let c = eval(a, row)?;
                if v.values()
                    .iter()
                    .any(|x| c.values().iter().any(|y| x.to_string() == y.to_string()))
                {
                    found = true;
                    break;
                }
            }
            Value::Bool(found)
        }
        "match" | "match_regex" => {
            arity(2, 2)?;
            let (s, p) = (arg(0)?, text(1)?);
            match (s.is_null(), p) {
                (false, Some(p)) => {
                    let r = regex(&p, span)?;
                    Value::Bool(s.values().iter().any(|v| r.is_match(&v.to_string())))
                }
                _ => Value::Null,
            }
        }
        "like" => {
            arity(2, 2)?;
            match (arg(0)?, text(1)?) {
                (s, Some(p)) if !s.is_null() => {
                    Value::Bool(s.values().iter().any(|v| like(&v.to_string(), &p)))
                }
                _ => Value::Null,
            }
        }
        "lower" => map_text(arg(0)?, |s| s.to_lowercase()),
        "upper" => map_text(arg(0)?, |s| s.to_uppercase()),
        "len" => match text(0)? {
            Some(s) => Value::Num(s.chars().count() as f64),
            None => Value::Null,
        },
        "trim" | "ltrim" | "rtrim" => {
            let chars: Vec<char> = match text(1)? {
                Some(c) => c.chars().collect(),
                None => vec![' ', '\t', '\n', '\r'],
            };
            let f = |s: &str| -> String {
                match name {
                    "trim" => s.trim_matches(chars.as_slice()).to_string(),
                    "ltrim" => s.trim_start_matches(chars.as_slice()).to_string(),
                    _ => s.trim_end_matches(chars.as_slice()).to_string(),
                }
            };
            map_text(arg(0)?, f)
        }
        "substr" => {
            arity(2, 3)?;
            let s = match text(0)? {
                Some(s) => s,
                None => return Ok(Value::Null),
            };
            let chars: Vec<char> = s.chars().collect();
            let n = chars.len() as i64;
            let start = num(1)?.unwrap_or(1.0) as i64;
            let from = if start > 0 {
                start - 1
            } else if start < 0 {
                (n + start).max(0)
            } else {
                0
            };
            let len = match num(2)? {
                Some(l) => l.max(0.0) as i64,
                None => n,
            };
            let from = from.clamp(0, n) as usize;
            let to = (from as i64 + len).clamp(0, n) as usize;
            Value::Str(chars[from..to.max(from)].iter().collect())
        }
        "replace" => {
            arity(3, 3)?;
            let (s, p, rep) = (arg(0)?, text(1)?, text(2)?);
            match (p, rep) {
                (Some(p), Some(rep)) if !s.is_null() => {
                    let r = regex(&p, span)?;
                    let rep = backrefs(&rep);
                    map_text(s, |t| r.replace(t, rep.as_str(), true).into_owned())
                }
                _ => Value::Null,
            }
        }
        "split" => {
            arity(2, 2)?;
            match (text(0)?, text(1)?) {
                (Some(s), Some(d)) => {
                    let parts: Vec<Value> = if d.is_empty() {
                        s.chars().map(|c| Value::Str(c.to_string())).collect()
                    } else {
                        s.split(d.as_str()).map(Value::str).collect()
                    };
                    Value::multi(parts)
                }
                _ => Value::Null,
            }
        }
        "urldecode" => map_text(arg(0)?, urldecode),
        "tostring" => tostring(arg(0)?, text(1)?),
        "tonumber" => {
            let base = num(1)?.unwrap_or(10.0) as u32;
            match text(0)? {
                Some(s) if base == 10 => firedrill_value::parse_number(&s)
                    .map(Value::Num)
                    .unwrap_or(Value::Null),
                Some(s) => {
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
                None => Value::Null,
            }
        }
        "parse_long" => match text(0)? {
            Some(s) => s
                .trim()
                .parse::<i64>()
                .map(|n| Value::Num(n as f64))
                .unwrap_or(Value::Null),
            None => Value::Null,
        },
        "ucast" => {
            arity(2, 3)?;
            let v = arg(0)?;
            if v.is_null() {
                return arg(2);
            }
            match text(1)?.as_deref() {
                Some("string") => Value::Str(v.to_string()),
                Some("long") | Some("integer") | Some("double") | Some("float") => {
                    v.as_num().map(Value::Num).unwrap_or(arg(2)?)
                }
                Some("boolean") => match v.to_string().to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => arg(2)?,
                },
                _ => v,
            }
        }
        "map_get" => {
            arity(2, 2)?;
            match (arg(0)?, text(1)?) {
                (Value::Map(m), Some(k)) => m.get(&k).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            }
        }
        "create_map" => {
            let flat: Vec<Value> = args
                .iter()
                .map(|a| eval(a, row))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flat_map(|v| match v {
                    Value::Multi(vs) => vs,
                    other => vec![other],
                })
                .collect();
            let mut m = std::collections::BTreeMap::new();
            for pair in flat.chunks(2) {
                if let [k, v] = pair {
                    m.insert(k.to_string(), v.clone());
                }
            }
            Value::Map(m)
        }
        "abs" | "ceil" | "ceiling" | "floor" | "sqrt" | "exp" | "ln" => match num(0)? {
            Some(n) => Value::Num(match name {
                "abs" => n.abs(),
                "ceil" | "ceiling" => n.ceil(),
                "floor" => n.floor(),
                "sqrt" => n.sqrt(),
                "exp" => n.exp(),
                _ => n.ln(),
            }),
            None => Value::Null,
        },
        "log" => match (num(0)?, num(1)?) {
            (Some(n), Some(b)) => Value::Num(n.log(b)),
            (Some(n), None) => Value::Num(n.log10()),
            _ => Value::Null,
        },
        "pow" => match (num(0)?, num(1)?) {
            (Some(a), Some(b)) => Value::Num(a.powf(b)),
            _ => Value::Null,
        },
        "round" => match num(0)? {
            Some(n) => {
                let d = num(1)?.unwrap_or(0.0) as i32;
                let f = 10f64.powi(d);
                Value::Num((n * f).round() / f)
            }
            None => Value::Null,
        },
        "exact" => arg(0)?,
        "sigfig" => arg(0)?,
        "min" | "max" => {
            let mut vals = Vec::new();
            for a in args {
                vals.extend(eval(a, row)?.values().iter().cloned());
            }
            let pick = vals.into_iter().reduce(|best, v| {
                let o = compare(&v, &best);
                let better = if name == "min" {
                    o == Some(std::cmp::Ordering::Less)
                } else {
                    o == Some(std::cmp::Ordering::Greater)
                };
                if better {
                    v
                } else {
                    best
                }
            });
            pick.unwrap_or(Value::Null)
        }
        "mvappend" => {
            let vs = args
                .iter()
                .map(|a| eval(a, row))
                .collect::<Result<Vec<_>, _>>()?;
            Value::multi(vs)
        }
        "mvcount" => {
            let v = arg(0)?;
            if v.is_null() {
                Value::Null
            } else {
                Value::Num(v.values().len() as f64)
            }
        }
        "mvindex" => {
            arity(2, 3)?;
            let v = arg(0)?;
            let vals = v.values();
            let n = vals.len() as i64;
            let idx = |x: f64| if x < 0.0 { n + x as i64 } else { x as i64 };
            let start = match num(1)? {
                Some(s) => idx(s),
                None => return Ok(Value::Null),
            };
            let end = match num(2)? {
                Some(e) => idx(e),
                None => start,
            };
            if start < 0 || start >= n || end < start {
                Value::Null
            } else {
                Value::multi(vals[start as usize..=(end.min(n - 1)) as usize].to_vec())
            }
        }
        "mvjoin" => {
            let v = arg(0)?;
            let d = text(1)?.unwrap_or_default();
            if v.is_null() {
                Value::Null
            } else {
                Value::Str(
                    v.values()
                        .iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(&d),
                )
            }
        }
        "mvdedup" => {
            let mut seen = Vec::new();
            for x in arg(0)?.values() {
                if !seen.contains(x) {
                    seen.push(x.clone());
                }
            }
            Value::multi(seen)
        }
        "mvsort" => {
            let mut vals: Vec<Value> = arg(0)?.values().to_vec();
            vals.sort_by_key(|a| a.to_string());
            Value::multi(vals)
        }
        "mvfind" => {
            let v = arg(0)?;
            match text(1)? {
                Some(p) => {
                    let r = regex(&p, span)?;
                    v.values()
                        .iter()
                        .position(|x| r.is_match(&x.to_string()))
                        .map(|i| Value::Num(i as f64))
                        .unwrap_or(Value::Null)
                }
                None => Value::Null,
            }
        }
        "mvzip" => {
            let (a, b) = (arg(0)?, arg(1)?);
            let d = text(2)?.unwrap_or_else(|| ",".into());
            let zipped: Vec<Value> = a
                .values()
                .iter()
                .zip(b.values())
                .map(|(x, y)| Value::Str(format!("{x}{d}{y}")))
                .collect();
            Value::multi(zipped)
        }
        "mvfilter" => {
            arity(1, 1)?;
            let field = first_field(&args[0])
                .ok_or_else(|| err(span, "mvfilter() needs an expression that names a field"))?;
            let mut keep = Vec::new();
            let mut scratch = row.clone();
            for v in row
                .get(&field)
                .map(|v| v.values().to_vec())
                .unwrap_or_default()
            {
                scratch.insert(field.clone(), v.clone());
                if truth(&eval(&args[0], &scratch)?) == Some(true) {
                    keep.push(v);
                }
            }
            Value::multi(keep)
        }
        "mvmap" => {
            arity(2, 2)?;
            let field = match &args[0] {
                Expr::Field(f) => f.clone(),
                _ => return Err(err(span, "mvmap() takes a field as its first argument")),
            };
            let mut out = Vec::new();
            let mut scratch = row.clone();
            for v in row
                .get(&field)
                .map(|v| v.values().to_vec())
                .unwrap_or_default()
            {
                scratch.insert(field.clone(), v);
                out.push(eval(&args[1], &scratch)?);
            }
            Value::multi(out)
        }
        "cidrmatch" => match (text(0)?, arg(1)?) {
            (Some(cidr), ip) if !ip.is_null() => Value::Bool(
                ip.values()
                    .iter()
                    .any(|x| super::cidr::cidr_match(&cidr, &x.to_string())),
            ),
            _ => Value::Null,
        },
        "md5" | "sha1" | "sha256" | "sha512" => match text(0)? {
            Some(s) => Value::Str(super::hash::digest(name, s.as_bytes())),
            None => Value::Null,
        },
        "printf" => {
            let fmt = text(0)?.unwrap_or_default();
            let vals = args[1..]
                .iter()
                .map(|a| eval(a, row))
                .collect::<Result<Vec<_>, _>>()?;
            Value::Str(printf(&fmt, &vals))
        }
        "now" | "time" => Value::Num(time::now()),
        "strftime" => match (num(0)?, text(1)?) {
            (Some(t), Some(f)) => time::strftime(t, &f).map(Value::Str).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "strptime" => match (text(0)?, text(1)?) {
            (Some(s), Some(f)) => time::strptime(&s, &f)
                .map(Value::Num)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "relative_time" => match (num(0)?, text(1)?) {
            (Some(t), Some(spec)) => time::relative_time(t, &spec)
                .map(Value::Num)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        other => {
            return Err(err(
                span,
                format!("eval function `{other}` is not supported by firedrill yet"),
            ))
        }
    })
}

fn map_text(v: Value, f: impl Fn(&str) -> String) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => {
            Value::Multi(vs.iter().map(|x| Value::Str(f(&x.to_string()))).collect())
        }
        other => Value::Str(f(&other.to_string())),
    }
}

/// The first field an expression reads.
fn first_field(e: &Expr) -> Option<String> {
    match e {
        Expr::Field(f) => Some(f.clone()),
        Expr::Lit(_) => None,
        Expr::Call { args, .. } | Expr::Array(args) => args.iter().find_map(first_field),
        Expr::Unary(_, a) => first_field(a),
        Expr::Binary(_, a, b) => first_field(a).or_else(|| first_field(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::Cursor;
    use crate::exec::re::{pcre_compat, Re};
    use crate::parse::expr::parse_expr;

    fn ev(s: &str) -> Value {
        let mut r = Row::new();
        r.insert(
            "mv".into(),
            Value::Multi(vec![
                Value::str("a.exe"),
                Value::str("b.dll"),
                Value::str("a.exe"),
            ]),
        );
        r.insert("s".into(), Value::str("Hello World"));
        let mut c = Cursor::new(s, 0, s.len());
        eval(&parse_expr(&mut c, false).unwrap(), &r).unwrap()
    }

    #[test]
    fn documented_examples() {
        // Splunk docs, "Text functions": substr("splunk", 1, 3) = "spl", substr("splunk", -3) = "unk".
        assert_eq!(ev("substr(\"splunk\", 1, 3)"), Value::str("spl"));
        assert_eq!(ev("substr(\"splunk\", -3)"), Value::str("unk"));
        // "Multivalue eval functions": mvindex(mv, 0) is the first value, -1 the last.
        assert_eq!(ev("mvindex(mv, 0)"), Value::str("a.exe"));
        assert_eq!(ev("mvindex(mv, -1)"), Value::str("a.exe"));
        assert_eq!(ev("mvcount(mv)"), Value::Num(3.0));
        assert_eq!(ev("mvcount(mvdedup(mv))"), Value::Num(2.0));
        assert_eq!(ev("mvfilter(match(mv, \"\\.dll$\"))"), Value::str("b.dll"));
        assert_eq!(ev("mvfind(mv, \"dll\")"), Value::Num(1.0));
        // replace("1/14/2023", "^(\d{1,2})/(\d{1,2})/", "\2/\1/") swaps day and month.
        assert_eq!(
            ev("replace(\"1/14/2023\", \"^(\\d{1,2})/(\\d{1,2})/\", \"\\2/\\1/\")"),
            Value::str("14/1/2023")
        );
        assert_eq!(ev("round(2.71828, 2)"), Value::Num(2.72));
        assert_eq!(ev("if(isnull(nope), \"y\", \"n\")"), Value::str("y"));
        assert_eq!(ev("case(1=2, \"a\", 1=1, \"b\")"), Value::str("b"));
        assert_eq!(ev("coalesce(nope, s)"), Value::str("Hello World"));
        assert_eq!(ev("lower(s)"), Value::str("hello world"));
        assert_eq!(ev("len(s)"), Value::Num(11.0));
        assert_eq!(
            ev("mvjoin(split(\"a,b\", \",\"), \";\")"),
            Value::str("a;b")
        );
        assert_eq!(ev("urldecode(\"a%20b+c\")"), Value::str("a b c"));
        assert_eq!(ev("tostring(1234567, \"commas\")"), Value::str("1,234,567"));
        assert_eq!(ev("tonumber(\"0x1F\", 16)"), Value::Num(31.0));
        assert_eq!(ev("printf(\"%s-%d\", \"a\", 5)"), Value::str("a-5"));
        assert_eq!(ev("like(s, \"Hello%\")"), Value::Bool(true));
        assert_eq!(
            ev("cidrmatch(\"10.0.0.0/8\", \"10.1.2.3\")"),
            Value::Bool(true)
        );
        assert_eq!(
            ev("md5(\"abc\")"),
            Value::str("900150983cd24fb0d6963f7d28e17f72")
        );
    }

    #[test]
    fn pcre_literal_braces() {
        assert_eq!(
            pcre_compat(r"(^%{|^)(?P<x>.*?)(}$|$)"),
            r"(^%\{|^)(?P<x>.*?)(\}$|$)"
        );
        assert_eq!(pcre_compat(r"\d{1,3}x{2}"), r"\d{1,3}x{2}");
        assert_eq!(pcre_compat(r"[{}]"), r"[{}]");
        assert_eq!(pcre_compat(r"\x{202E}\p{L}"), r"\x{202E}\p{L}");
        assert!(Re::new(&pcre_compat(r"(^%{|^)(?P<x>.*?)(}$|$)")).is_ok());
    }

    #[test]
    fn bad_regex_is_an_error_not_a_panic() {
        let mut c = Cursor::new("match(s, \"(\")", 0, 13);
        let e = parse_expr(&mut c, false).unwrap();
        assert!(eval(&e, &Row::new()).is_ok()); // null input short-circuits
        let mut r = Row::new();
        r.insert("s".into(), Value::str("x"));
        assert!(eval(&e, &r).is_err());
    }
}
