//! Eval expressions compiled once: every function name resolved to its row in the
//! registry ([`funcs`]), its arity checked, regular-expression literals compiled, field
//! names interned — then evaluated over any [`Fields`] (a streaming record or a row)
//! with Splunk's semantics: comparisons are case-sensitive, strings that look like
//! numbers compare as numbers, a null operand makes the result null, and a comparison
//! on a multivalue field is true if any value satisfies it.

pub mod funcs;
pub mod pieces;
pub mod specialize;
pub mod switch;

use crate::ast::{BinOp, Expr, UnOp};
use crate::exec::re::Re;
use crate::span::Span;
use crate::Unsupported;
use firedrill_value::decimal::{combine, Rule};
use firedrill_value::{FieldRef, Fields, Value};
use funcs::FnDef;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A runtime error in an expression (a regex computed at run time that does not
/// compile, …).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// What went wrong.
    pub message: String,
    /// Where in the search text.
    pub span: Span,
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub enum CExpr {
    /// A literal value.
    Lit(Value),
    /// A field.
    Field(FieldRef),
    /// A function call.
    Call(Box<Call>),
    /// A unary operator.
    Unary(UnOp, Box<CExpr>),
    /// A binary operator.
    Binary(BinOp, Box<CExpr>, Box<CExpr>),
    /// An SPL2 array literal.
    Array(Vec<CExpr>),
}

/// A resolved function call.
#[derive(Clone, Debug)]
pub struct Call {
    /// The function's registry row.
    pub def: &'static FnDef,
    /// Its arguments.
    pub args: Vec<CExpr>,
    /// Where it is written.
    pub span: Span,
    /// The regular-expression argument, compiled once when it is a literal.
    pub re: Option<Re>,
    /// `searchmatch()`'s search string, compiled once.
    pub search: Option<crate::search::Matcher>,
    /// `case()` over one field's values, as a table.
    pub switch: Option<switch::Switch>,
}

/// Functions whose result is a Boolean (Search Reference, "Comparison and Conditional
/// functions" and "Informational functions").
const BOOLEAN_FUNCS: &[&str] = &[
    "cidrmatch",
    "false",
    "in",
    "isarray",
    "isbool",
    "isdouble",
    "isint",
    "isnotnull",
    "isnull",
    "isnum",
    "isobject",
    "isstr",
    "json_has_key_exact",
    "json_valid",
    "like",
    "match",
    "searchmatch",
    "true",
];

/// Whether `e` gives a Boolean, which `eval` cannot assign (Search Reference, eval:
/// "The result of an eval expression cannot be a Boolean").
pub fn is_boolean(e: &Expr) -> bool {
    match e {
        Expr::Binary(op, _, _) => matches!(
            op,
            BinOp::Or
                | BinOp::Xor
                | BinOp::And
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::Like
        ),
        Expr::Unary(op, _) => matches!(op, UnOp::Not | UnOp::IsNull | UnOp::IsNotNull),
        Expr::Call { name, .. } => BOOLEAN_FUNCS.contains(&name.to_ascii_lowercase().as_str()),
        _ => false,
    }
}

/// Compiles an expression: unknown functions and wrong argument counts are
/// unsupported, with the call's span.
pub fn compile(e: &Expr) -> Result<CExpr, Unsupported> {
    Ok(match e {
        Expr::Lit(v) => CExpr::Lit(v.clone()),
        Expr::Field(f) => CExpr::Field(FieldRef::new(f)),
        Expr::Array(items) => CExpr::Array(items.iter().map(compile).collect::<Result<_, _>>()?),
        Expr::Subsearch(_, span) => {
            return Err(Unsupported {
                what: "a subsearch in an eval expression (`where`, `eval`) is not supported by firedrill yet".into(),
                span: *span,
            })
        }
        Expr::Unary(op, inner) => CExpr::Unary(*op, Box::new(compile(inner)?)),
        // Search Reference, eval: `+` adds two numbers or concatenates two strings; a
        // quoted literal is a string even when it reads as a number (`"2" + "3"` is 23).
        Expr::Binary(BinOp::Add, l, r)
            if [l, r]
                .iter()
                .any(|e| matches!(&***e, Expr::Lit(Value::Str(_)))) =>
        {
            CExpr::Binary(BinOp::Concat, Box::new(compile(l)?), Box::new(compile(r)?))
        }
        Expr::Binary(op, l, r) => CExpr::Binary(*op, Box::new(compile(l)?), Box::new(compile(r)?)),
        Expr::Call { name, args, span } => {
            let def = funcs::lookup(name).ok_or_else(|| Unsupported {
                what: format!("eval function `{name}()` is not supported by firedrill yet"),
                span: *span,
            })?;
            if args.len() < def.min || args.len() > def.max {
                let want = match (def.min, def.max) {
                    (a, b) if a == b => format!("{a}"),
                    (a, usize::MAX) => format!("at least {a}"),
                    (a, b) => format!("{a} to {b}"),
                };
                return Err(Unsupported {
                    what: format!("`{name}()` takes {want} arguments, found {}", args.len()),
                    span: *span,
                });
            }
            let args: Vec<CExpr> = args.iter().map(compile).collect::<Result<_, _>>()?;
            let re = match def.regex_arg.and_then(|i| args.get(i)) {
                Some(CExpr::Lit(Value::Str(p))) => {
                    Some(Re::shared(p).map_err(|m| Unsupported {
                        what: format!(
                            "regular expression not supported by firedrill's regex engines: {m}"
                        ),
                        span: *span,
                    })?)
                }
                _ => None,
            };
            if let Some(check) = def.check {
                check(&args).map_err(|what| Unsupported { what, span: *span })?;
            }
            let search = match (def.name, args.first()) {
                ("searchmatch", Some(CExpr::Lit(Value::Str(text)))) => {
                    Some(search_matcher(text).map_err(|what| Unsupported { what, span: *span })?)
                }
                ("searchmatch", _) => {
                    return Err(Unsupported {
                        what: "`searchmatch()` of anything but a quoted search string is not supported by firedrill yet".into(),
                        span: *span,
                    })
                }
                _ => None,
            };
            let switch = match def.name {
                "case" => switch::Switch::build(&args),
                _ => None,
            };
            CExpr::Call(Box::new(Call {
                def,
                args,
                span: *span,
                re,
                search,
                switch,
            }))
        }
    })
}

/// A search string (`searchmatch("x=hi y=*")`), parsed and compiled as `search`.
fn search_matcher(text: &str) -> Result<crate::search::Matcher, String> {
    let mut c = crate::cursor::Cursor::new(text, 0, text.len());
    let expr = crate::parse::search::parse_search(&mut c, &[])
        .map_err(|e| format!("`searchmatch()`: its search does not parse: {}", e.message))?;
    if !c.at_end() {
        return Err("`searchmatch()`: unexpected text in its search".into());
    }
    if crate::search::has_subsearch(&expr) {
        return Err("a subsearch in `searchmatch()` is not supported by firedrill yet".into());
    }
    Ok(crate::search::compile(&expr))
}

impl CExpr {
    /// Evaluates over `row`; borrows field and literal values instead of copying them.
    pub fn eval<'a>(&'a self, row: &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError> {
        Ok(match self {
            CExpr::Lit(v) => Cow::Borrowed(v),
            CExpr::Field(f) => match row.get(f) {
                Some(v) => Cow::Borrowed(v),
                None => Cow::Owned(map_path(&f.name, row)),
            },
            CExpr::Array(items) => {
                let vs = items
                    .iter()
                    .map(|i| i.eval(row).map(Cow::into_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                Cow::Owned(Value::multi(vs))
            }
            CExpr::Call(c) => funcs::call_cow(c, row)?,
            CExpr::Unary(op, inner) => {
                let v = inner.eval(row)?;
                Cow::Owned(match op {
                    UnOp::Not => match truth(&v) {
                        Some(b) => Value::Bool(!b),
                        None => Value::Null,
                    },
                    UnOp::Neg => match (v.precision(), v.as_num()) {
                        (Some(d), _) => Value::Dec(-d),
                        (None, Some(n)) => Value::Num(-n),
                        (None, None) => Value::Null,
                    },
                    UnOp::IsNull => Value::Bool(v.is_null()),
                    UnOp::IsNotNull => Value::Bool(!v.is_null()),
                })
            }
            CExpr::Binary(op, l, r) => Cow::Owned(binary(*op, l, r, row)?),
        })
    }

    /// Evaluates to an owned value.
    pub fn value(&self, row: &dyn Fields) -> Result<Value, EvalError> {
        self.eval(row).map(Cow::into_owned)
    }

    /// True when the expression is true (`where` semantics: null and non-booleans are
    /// false).
    pub fn is_true(&self, row: &dyn Fields) -> Result<bool, EvalError> {
        Ok(self.eval(row)?.is_true())
    }

    /// Every field the expression reads.
    pub fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            CExpr::Lit(_) => {}
            CExpr::Field(f) => out.push(&f.name),
            CExpr::Call(c) => {
                c.args.iter().for_each(|a| a.fields(out));
                if let Some(m) = &c.search {
                    m.fields(out);
                }
            }
            CExpr::Unary(_, a) => a.fields(out),
            CExpr::Binary(_, a, b) => {
                a.fields(out);
                b.fields(out);
            }
            CExpr::Array(items) => items.iter().for_each(|a| a.fields(out)),
        }
    }
}

/// The value of field `name`; a dotted name that is no field reads through SPL2 maps
/// (`device.hostname`).
pub fn field(row: &dyn Fields, name: &str) -> Value {
    match row.get_str(name) {
        Some(v) => v.clone(),
        None => map_path(name, row),
    }
}

/// SPL2 reads map members with dots (`process.file.name`): when no field has the
/// dotted name, descend from the longest prefix that holds a map.
fn map_path(name: &str, row: &dyn Fields) -> Value {
    let mut cut = name.len();
    while let Some(dot) = name[..cut].rfind('.') {
        if let Some(Value::Map(m)) = row.get_str(&name[..dot]) {
            let mut cur = m;
            let mut parts = name[dot + 1..].split('.').peekable();
            while let Some(part) = parts.next() {
                match cur.get(part) {
                    Some(Value::Map(inner)) if parts.peek().is_some() => cur = inner,
                    Some(v) if parts.peek().is_none() => return v.clone(),
                    _ => return Value::Null,
                }
            }
            return Value::Null;
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

fn binary(op: BinOp, l: &CExpr, r: &CExpr, row: &dyn Fields) -> Result<Value, EvalError> {
    match op {
        BinOp::And => {
            let a = truth(&*l.eval(row)?);
            if a == Some(false) {
                return Ok(Value::Bool(false));
            }
            let b = truth(&*r.eval(row)?);
            return Ok(match (a, b) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            });
        }
        BinOp::Or => {
            let a = truth(&*l.eval(row)?);
            if a == Some(true) {
                return Ok(Value::Bool(true));
            }
            let b = truth(&*r.eval(row)?);
            return Ok(match (a, b) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            });
        }
        _ => {}
    }
    let a = l.eval(row)?;
    let b = r.eval(row)?;
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
            (Some(x), Some(y)) => number(Rule::Places, (x, &a), (y, &b), |x, y| x + y),
            _ => Value::Str(format!("{a}{b}")),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            match (num_operand(&a), num_operand(&b)) {
                (Some(x), Some(y)) => match op {
                    BinOp::Sub => number(Rule::Places, (x, &a), (y, &b), |x, y| x - y),
                    BinOp::Mul => number(Rule::Figures, (x, &a), (y, &b), |x, y| x * y),
                    BinOp::Div if y == 0.0 => Value::Null,
                    BinOp::Div => number(Rule::Figures, (x, &a), (y, &b), |x, y| x / y),
                    _ if y == 0.0 => Value::Null,
                    _ => arith(x % y),
                },
                _ => Value::Null,
            }
        }
        BinOp::And | BinOp::Or => Value::Null,
    })
}

/// The text Splunk reads as, and prints for, the number NaN.
pub const NAN_TEXT: &str = "NaN";

/// An arithmetic operand as a number: numbers and numeric strings, and the text `NaN`
/// (Search Reference, isnum: `"NaN" % 1` is NaN).
fn num_operand(v: &Value) -> Option<f64> {
    match v {
        Value::Multi(_) => None,
        Value::Str(s) if s == NAN_TEXT => Some(f64::NAN),
        other => other.as_num(),
    }
}

/// `f(x, y)` with the precision Splunk keeps (eval, "Rounding"): exact when both
/// operands are exact, else rounded by `rule` to the least precise decimal operand.
fn number(
    rule: Rule,
    (x, a): (f64, &Value),
    (y, b): (f64, &Value),
    f: fn(f64, f64) -> f64,
) -> Value {
    let (pa, pb) = (a.precision(), b.precision());
    if pa.is_none() && pb.is_none() {
        return arith(f(x, y));
    }
    match combine(rule, (x, pa), (y, pb), f) {
        Some(d) => Value::Dec(d),
        None => arith(f(x, y)),
    }
}

/// An arithmetic result: a NaN is the text `NaN` (Splunk prints it so, and isnum and
/// isstr are both true of it).
fn arith(n: f64) -> Value {
    if n.is_nan() {
        Value::str(NAN_TEXT)
    } else {
        Value::Num(n)
    }
}

/// Compares two single values: numerically when both are numbers (or numeric
/// strings), otherwise as strings, case-sensitively.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        // Numerically only when both are numbers: the second is not parsed when the
        // first is not one (a literal such as "-" is usually the second).
        (Value::Str(x), Value::Str(y)) => match b.as_num() {
            Some(ny) => match a.as_num() {
                Some(nx) => nx.partial_cmp(&ny),
                None => Some(x.cmp(y)),
            },
            None => Some(x.cmp(y)),
        },
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
    use firedrill_value::Row;

    fn ev(s: &str, row: &Row) -> Value {
        let mut c = Cursor::new(s, 0, s.len());
        compile(&parse_expr(&mut c, false).unwrap())
            .unwrap()
            .value(row)
            .unwrap()
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
        assert_eq!(ev("\"NaN\" % 1", &r), Value::str("NaN"));
    }

    #[test]
    fn unknown_functions_and_arity_are_compile_errors() {
        let mut c = Cursor::new("frobnicate(x)", 0, 13);
        let e = compile(&parse_expr(&mut c, false).unwrap()).unwrap_err();
        assert!(e.what.contains("frobnicate"), "{}", e.what);
        assert_eq!((e.span.start, e.span.end), (0, 13));
        let mut c = Cursor::new("if(a, b)", 0, 8);
        let e = compile(&parse_expr(&mut c, false).unwrap()).unwrap_err();
        assert!(e.what.contains("takes 3"), "{}", e.what);
    }

    #[test]
    fn spl2_map_paths() {
        let mut inner = std::collections::BTreeMap::new();
        inner.insert("name".to_string(), Value::str("x.exe"));
        let mut outer = std::collections::BTreeMap::new();
        outer.insert("file".to_string(), Value::Map(inner));
        let mut r = Row::new();
        r.insert("process".into(), Value::Map(outer));
        assert_eq!(field(&r, "process.file.name"), Value::str("x.exe"));
        assert_eq!(field(&r, "process.file.nope"), Value::Null);
    }
}
