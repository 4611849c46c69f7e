//! Evaluating eval expressions over a row, with Splunk's semantics: comparisons are
//! case-sensitive, strings that look like numbers compare as numbers, a null operand
//! makes the result null, and a comparison on a multivalue field is true if any value
//! satisfies it.

use super::functions::call;
use crate::ast::{BinOp, Expr, UnOp};
use crate::span::Span;
use firedrill_value::{Row, Value};
use std::cmp::Ordering;

/// A runtime error in an expression (bad regex, wrong argument count...).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// What went wrong.
    pub message: String,
    /// Where in the search text.
    pub span: Span,
}

/// Evaluates `e` against `row`.
pub fn eval(e: &Expr, row: &Row) -> Result<Value, EvalError> {
    match e {
        Expr::Lit(v) => Ok(v.clone()),
        Expr::Field(f) => Ok(field(row, f)),
        Expr::Array(items) => {
            let vs = items
                .iter()
                .map(|i| eval(i, row))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::multi(vs))
        }
        Expr::Call { name, args, span } => call(name, args, row, *span),
        Expr::Unary(op, inner) => {
            let v = eval(inner, row)?;
            Ok(match op {
                UnOp::Not => match truth(&v) {
                    Some(b) => Value::Bool(!b),
                    None => Value::Null,
                },
                UnOp::Neg => match v.as_num() {
                    Some(n) => Value::Num(-n),
                    None => Value::Null,
                },
                UnOp::IsNull => Value::Bool(v.is_null()),
                UnOp::IsNotNull => Value::Bool(!v.is_null()),
            })
        }
        Expr::Binary(op, l, r) => binary(*op, l, r, row),
    }
}

/// The value of field `name` in `row`; a dotted name that is no field reads through
/// SPL2 maps (`device.hostname`).
pub fn field(row: &Row, name: &str) -> Value {
    match row.get(name) {
        Some(v) => v.clone(),
        None => map_path(name, row),
    }
}

/// SPL2 reads map members with dots (`process.file.name`): when no field has the
/// dotted name, descend from the longest prefix that holds a map.
fn map_path(name: &str, row: &Row) -> Value {
    let mut cut = name.len();
    while let Some(dot) = name[..cut].rfind('.') {
        if let Some(Value::Map(m)) = row.get(&name[..dot]) {
            let mut cur = Value::Map(m.clone());
            for part in name[dot + 1..].split('.') {
                cur = match cur {
                    Value::Map(m) => m.get(part).cloned().unwrap_or(Value::Null),
                    _ => return Value::Null,
                };
            }
            return cur;
        }
        cut = dot;
    }
    Value::Null
}

/// Three-valued truth: booleans, and null for everything else.
pub fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Multi(vs) => vs.first().and_then(truth),
        _ => None,
    }
}

fn binary(op: BinOp, l: &Expr, r: &Expr, row: &Row) -> Result<Value, EvalError> {
    match op {
        BinOp::And => {
            let a = truth(&eval(l, row)?);
            if a == Some(false) {
                return Ok(Value::Bool(false));
            }
            let b = truth(&eval(r, row)?);
            return Ok(match (a, b) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            });
        }
        BinOp::Or => {
            let a = truth(&eval(l, row)?);
            if a == Some(true) {
                return Ok(Value::Bool(true));
            }
            let b = truth(&eval(r, row)?);
            return Ok(match (a, b) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            });
        }
        _ => {}
    }
    let a = eval(l, row)?;
    let b = eval(r, row)?;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    Ok(match op {
        BinOp::Xor => match (truth(&a), truth(&b)) {
            (Some(x), Some(y)) => Value::Bool(x != y),
            _ => Value::Null,
        },
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let any = a.values().iter().any(|x| {
                b.values().iter().any(|y| {
                    let o = compare(x, y);
                    match op {
                        BinOp::Eq => o == Some(Ordering::Equal),
                        BinOp::Ne => o.is_some_and(|o| o != Ordering::Equal),
                        BinOp::Lt => o == Some(Ordering::Less),
                        BinOp::Le => matches!(o, Some(Ordering::Less | Ordering::Equal)),
                        BinOp::Gt => o == Some(Ordering::Greater),
                        _ => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
                    }
                })
            });
            Value::Bool(any)
        }
        BinOp::Like => {
            let pat = b.to_string();
            Value::Bool(a.values().iter().any(|x| like(&x.to_string(), &pat)))
        }
        BinOp::Concat => Value::Str(format!("{a}{b}")),
        BinOp::Add => match (num_operand(&a), num_operand(&b)) {
            (Some(x), Some(y)) => Value::Num(x + y),
            _ => Value::Str(format!("{a}{b}")),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            match (num_operand(&a), num_operand(&b)) {
                (Some(x), Some(y)) => match op {
                    BinOp::Sub => Value::Num(x - y),
                    BinOp::Mul => Value::Num(x * y),
                    BinOp::Div if y == 0.0 => Value::Null,
                    BinOp::Div => Value::Num(x / y),
                    _ if y == 0.0 => Value::Null,
                    _ => Value::Num(x % y),
                },
                _ => Value::Null,
            }
        }
        BinOp::And | BinOp::Or => Value::Null,
    })
}

fn num_operand(v: &Value) -> Option<f64> {
    match v {
        Value::Multi(_) => None,
        other => other.as_num(),
    }
}

/// Compares two single values: numerically when both are numbers (or numeric
/// strings), otherwise as strings, case-sensitively.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (a.as_num(), b.as_num()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => Some(a.to_string().cmp(&b.to_string())),
        },
    }
}

/// SQL `LIKE`: `%` any run, `_` one character; case-sensitive; whole string.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative matcher with backtracking on the last `%`.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || (p[pi] == t[ti] && p[pi] != '%')) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::Cursor;
    use crate::parse::expr::parse_expr;

    fn ev(s: &str, row: &Row) -> Value {
        let mut c = Cursor::new(s, 0, s.len());
        eval(&parse_expr(&mut c, false).unwrap(), row).unwrap()
    }

    fn row() -> Row {
        let mut r = Row::new();
        r.insert("code".into(), Value::str("4688"));
        r.insert("name".into(), Value::str("Cmd.exe"));
        r.insert(
            "mv".into(),
            Value::Multi(vec![Value::str("a"), Value::str("b")]),
        );
        r
    }

    #[test]
    fn comparisons_are_case_sensitive_and_numeric() {
        let r = row();
        assert_eq!(ev("code=4688", &r), Value::Bool(true));
        assert_eq!(ev("code>100", &r), Value::Bool(true));
        assert_eq!(ev("name=\"cmd.exe\"", &r), Value::Bool(false));
        assert_eq!(ev("name=\"Cmd.exe\"", &r), Value::Bool(true));
        assert_eq!(ev("mv=\"b\"", &r), Value::Bool(true));
    }

    #[test]
    fn null_propagates() {
        let r = row();
        assert_eq!(ev("missing=1", &r), Value::Null);
        assert_eq!(ev("missing . \"x\"", &r), Value::Null);
        assert_eq!(ev("missing + 1", &r), Value::Null);
        assert_eq!(ev("missing=1 OR code=4688", &r), Value::Bool(true));
        assert_eq!(ev("NOT missing=1", &r), Value::Null);
    }

    #[test]
    fn like_patterns() {
        assert!(like("rundll32.exe", "%dll32%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "A%"));
        assert!(like("", "%"));
        assert!(!like("ab", "a"));
    }

    #[test]
    fn arithmetic_and_concat() {
        let r = row();
        assert_eq!(ev("code + 1", &r), Value::Num(4689.0));
        assert_eq!(ev("\"a\" + \"b\"", &r), Value::str("ab"));
        assert_eq!(ev("name . \"!\"", &r), Value::str("Cmd.exe!"));
        assert_eq!(ev("10 / 0", &r), Value::Null);
    }
}
