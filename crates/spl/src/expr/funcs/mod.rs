//! The eval function registry: one row per function — name, arity, implementation —
//! split by family as Splunk's Search Reference groups them. Compilation resolves a
//! call to its row once; an unknown name or a wrong argument count is an
//! unsupported-at-compile-time error, never a null at run time.

mod conditional;
mod hash;
mod json;
mod math;
mod multivalue;
mod network;
mod spl2;
mod text;
mod time;

use super::{CExpr, Call, EvalError};
use crate::exec::re::Re;
use firedrill_value::{Fields, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// How a function runs.
#[derive(Clone, Copy)]
pub enum Imp {
    /// Arguments are evaluated first and passed as values.
    Strict(fn(&Args<'_>) -> Result<Value, EvalError>),
    /// The function evaluates its own arguments (`if`, `case`, `coalesce`,
    /// `mvmap`…), so only what Splunk evaluates is evaluated.
    Lazy(fn(&Call, &dyn Fields) -> Result<Value, EvalError>),
    /// Lazy, and the value is one of the arguments' (`if`, `case`, `coalesce`,
    /// `nullif`): borrowed from the row when it is a field's, not copied.
    Pass(for<'a> fn(&'a Call, &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError>),
}

/// A compile-time check of a call's arguments; the error says what is wrong.
pub type ArgCheck = fn(&[CExpr]) -> Result<(), String>;

/// One function of the registry.
pub struct FnDef {
    /// The name, lower-case.
    pub name: &'static str,
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments (`usize::MAX`: any number).
    pub max: usize,
    /// The implementation.
    pub imp: Imp,
    /// The argument that is a regular expression (compiled once when literal).
    pub regex_arg: Option<usize>,
    /// A compile-time check of the arguments' shape (`mvmap`'s first argument is a
    /// field), returning what is wrong.
    pub check: Option<ArgCheck>,
}

impl std::fmt::Debug for FnDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}()", self.name)
    }
}

/// Any number of arguments.
pub const MANY: usize = usize::MAX;

/// A strict function row.
pub const fn strict(
    name: &'static str,
    min: usize,
    max: usize,
    f: fn(&Args<'_>) -> Result<Value, EvalError>,
) -> FnDef {
    FnDef {
        name,
        min,
        max,
        imp: Imp::Strict(f),
        regex_arg: None,
        check: None,
    }
}

/// A lazy function row.
pub const fn lazy(
    name: &'static str,
    min: usize,
    max: usize,
    f: fn(&Call, &dyn Fields) -> Result<Value, EvalError>,
) -> FnDef {
    FnDef {
        name,
        min,
        max,
        imp: Imp::Lazy(f),
        regex_arg: None,
        check: None,
    }
}

/// A row whose value is one of its arguments' (see [`Imp::Pass`]).
pub const fn pass(
    name: &'static str,
    min: usize,
    max: usize,
    f: for<'a> fn(&'a Call, &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError>,
) -> FnDef {
    FnDef {
        name,
        min,
        max,
        imp: Imp::Pass(f),
        regex_arg: None,
        check: None,
    }
}

impl FnDef {
    /// Marks argument `i` as a regular expression.
    pub const fn regex(mut self, i: usize) -> FnDef {
        self.regex_arg = Some(i);
        self
    }

    /// Adds a compile-time argument check.
    pub const fn checked(mut self, c: ArgCheck) -> FnDef {
        self.check = Some(c);
        self
    }
}

/// Every family's table.
fn families() -> [&'static [FnDef]; 9] {
    [
        conditional::FUNCS,
        text::FUNCS,
        math::FUNCS,
        multivalue::FUNCS,
        time::FUNCS,
        hash::FUNCS,
        network::FUNCS,
        spl2::FUNCS,
        json::FUNCS,
    ]
}

/// The row of function `name` (lower-case), if firedrill implements it.
pub fn lookup(name: &str) -> Option<&'static FnDef> {
    static INDEX: OnceLock<HashMap<&'static str, &'static FnDef>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            families()
                .into_iter()
                .flatten()
                .map(|d| (d.name, d))
                .collect()
        })
        .get(name)
        .copied()
}

/// The names of every implemented function.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&str> = families().into_iter().flatten().map(|d| d.name).collect();
    v.sort_unstable();
    v
}

/// Runs a compiled call.
pub fn call(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    call_cow(c, row).map(Cow::into_owned)
}

/// [`call`], borrowing the value from the row when the function passes on a field's.
pub fn call_cow<'a>(c: &'a Call, row: &'a dyn Fields) -> Result<Cow<'a, Value>, EvalError> {
    Ok(Cow::Owned(match c.def.imp {
        Imp::Pass(f) => return f(c, row),
        Imp::Lazy(f) => f(c, row)?,
        Imp::Strict(f) => {
            let mut vals = ArgVals::new();
            for a in &c.args {
                vals.push(a.eval(row)?);
            }
            f(&Args { vals, call: c })?
        }
    }))
}

/// Evaluated arguments, kept inline for the usual few (no allocation per call).
type ArgVals<'a> = smallvec::SmallVec<[Cow<'a, Value>; 4]>;

/// The evaluated arguments of a strict call.
pub struct Args<'a> {
    vals: ArgVals<'a>,
    call: &'a Call,
}

static NULL: Value = Value::Null;

impl Args<'_> {
    /// Argument `i` (null when absent).
    pub fn v(&self, i: usize) -> &Value {
        self.vals.get(i).map(|c| &**c).unwrap_or(&NULL)
    }

    /// All arguments.
    pub fn all(&self) -> impl Iterator<Item = &Value> {
        self.vals.iter().map(|c| &**c)
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.vals.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    /// Argument `i` as text (null: `None`).
    pub fn text(&self, i: usize) -> Option<String> {
        self.v(i).as_text()
    }

    /// Argument `i` as a number.
    pub fn num(&self, i: usize) -> Option<f64> {
        self.v(i).as_num()
    }

    /// The regular expression in argument `i`: compiled at compile time when literal,
    /// else now (an error names the call).
    pub fn re(&self, i: usize) -> Result<Option<Cow<'_, Re>>, EvalError> {
        if let Some(r) = &self.call.re {
            return Ok(Some(Cow::Borrowed(r)));
        }
        match self.text(i) {
            None => Ok(None),
            Some(p) => Re::compile(&p)
                .map(|r| Some(Cow::Owned(r)))
                .map_err(|m| self.error(format!("bad regular expression `{p}`: {m}"))),
        }
    }

    /// An error at the call.
    pub fn error(&self, message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
            span: self.call.span,
        }
    }
}

/// Applies a text function to every value (multivalues value by value).
pub(crate) fn map_text(v: &Value, f: impl Fn(&str) -> String) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => {
            Value::Multi(vs.iter().map(|x| Value::Str(f(&x.to_string()))).collect())
        }
        Value::Str(s) => Value::Str(f(s)),
        other => Value::Str(f(&other.to_string())),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::cursor::Cursor;
    use crate::parse::expr::parse_expr;
    use firedrill_value::{Row, Value};

    /// Evaluates `s` over a row with a multivalue `mv` and a string `s`.
    pub fn ev(s: &str) -> Value {
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
        super::super::compile(&parse_expr(&mut c, false).unwrap())
            .unwrap()
            .value(&r)
            .unwrap()
    }

    #[test]
    fn every_row_has_a_sane_arity() {
        for name in super::names() {
            let d = super::lookup(name).unwrap();
            assert!(d.min <= d.max, "{name}");
        }
        assert!(super::lookup("frobnicate").is_none());
    }
}
