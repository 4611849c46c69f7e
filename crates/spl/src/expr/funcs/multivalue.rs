//! Multivalue functions (Search Reference: "Multivalue eval functions").

use super::{lazy, strict, Args, FnDef, MANY};
use crate::expr::{truth, CExpr, Call, EvalError};
use firedrill_value::{FieldRef, Fields, Value};

pub(super) const FUNCS: &[FnDef] = &[
    strict("mvappend", 1, MANY, |a| {
        Ok(Value::multi(a.all().cloned().collect()))
    }),
    strict("mvcount", 1, 1, |a| {
        Ok(match a.v(0) {
            Value::Null => Value::Null,
            v => Value::Num(v.values().len() as f64),
        })
    }),
    strict("mvdedup", 1, 1, |a| {
        let mut seen: Vec<Value> = Vec::new();
        for x in a.v(0).values() {
            if !seen.contains(x) {
                seen.push(x.clone());
            }
        }
        Ok(Value::multi(seen))
    }),
    lazy("mvfilter", 1, 1, mvfilter).checked(names_a_field),
    strict("mvfind", 2, 2, mvfind).regex(1),
    strict("mvindex", 2, 3, mvindex),
    strict("mvjoin", 2, 2, |a| {
        Ok(match a.v(0) {
            Value::Null => Value::Null,
            v => {
                let d = a.text(1).unwrap_or_default();
                let parts: Vec<String> = v.values().iter().map(|x| x.to_string()).collect();
                Value::Str(parts.join(&d))
            }
        })
    }),
    lazy("mvmap", 2, 2, mvmap).checked(first_is_field),
    strict("mvrange", 2, 3, mvrange).checked(numeric_step),
    strict("mvreverse", 1, 1, |a| {
        let mut v = a.v(0).values().to_vec();
        v.reverse();
        Ok(Value::multi(v))
    }),
    strict("mvsort", 1, 1, |a| {
        let mut vals: Vec<Value> = a.v(0).values().to_vec();
        vals.sort_by_key(|a| a.to_string());
        Ok(Value::multi(vals))
    }),
    strict("mvzip", 2, 3, |a| {
        let d = a.text(2).unwrap_or_else(|| ",".into());
        let zipped: Vec<Value> = a
            .v(0)
            .values()
            .iter()
            .zip(a.v(1).values())
            .map(|(x, y)| Value::Str(format!("{x}{d}{y}")))
            .collect();
        Ok(Value::multi(zipped))
    }),
];

fn mvfind(a: &Args<'_>) -> Result<Value, EvalError> {
    let v = a.v(0);
    Ok(match a.re(1)? {
        Some(r) => v
            .values()
            .iter()
            .position(|x| r.is_match(&x.to_string()))
            .map(|i| Value::Num(i as f64))
            .unwrap_or(Value::Null),
        None => Value::Null,
    })
}

fn mvindex(a: &Args<'_>) -> Result<Value, EvalError> {
    let vals = a.v(0).values();
    let n = vals.len() as i64;
    let idx = |x: f64| if x < 0.0 { n + x as i64 } else { x as i64 };
    let Some(start) = a.num(1).map(idx) else {
        return Ok(Value::Null);
    };
    let end = a.num(2).map(idx).unwrap_or(start);
    Ok(if start < 0 || start >= n || end < start {
        Value::Null
    } else {
        Value::multi(vals[start as usize..=(end.min(n - 1)) as usize].to_vec())
    })
}

/// A row with one field replaced by one of its values (the lambda argument of
/// `mvfilter`/`mvmap`).
struct With<'a> {
    base: &'a dyn Fields,
    field: &'a str,
    value: &'a Value,
}

impl Fields for With<'_> {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        if &*f.name == self.field {
            Some(self.value)
        } else {
            self.base.get(f)
        }
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        if name == self.field {
            Some(self.value)
        } else {
            self.base.get_str(name)
        }
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.base.for_each(&mut |k, v| {
            if k != self.field {
                f(k, v)
            }
        });
        f(self.field, self.value);
    }
}

/// The first field an expression reads.
fn first_field(e: &CExpr) -> Option<&str> {
    let mut v = Vec::new();
    e.fields(&mut v);
    v.first().copied()
}

fn names_a_field(args: &[CExpr]) -> Result<(), String> {
    match first_field(&args[0]) {
        Some(_) => Ok(()),
        None => Err("mvfilter() needs an expression that names a field".into()),
    }
}

fn first_is_field(args: &[CExpr]) -> Result<(), String> {
    match &args[0] {
        CExpr::Field(_) => Ok(()),
        _ => Err("mvmap() takes a field as its first argument".into()),
    }
}

fn mvfilter(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    let field = first_field(&c.args[0]).unwrap_or_default();
    let mut keep = Vec::new();
    if let Some(v) = row.get_str(field) {
        for x in v.values() {
            let scoped = With {
                base: row,
                field,
                value: x,
            };
            if truth(&*c.args[0].eval(&scoped)?) == Some(true) {
                keep.push(x.clone());
            }
        }
    }
    Ok(Value::multi(keep))
}

fn mvmap(c: &Call, row: &dyn Fields) -> Result<Value, EvalError> {
    let CExpr::Field(f) = &c.args[0] else {
        return Ok(Value::Null);
    };
    let mut out = Vec::new();
    if let Some(v) = row.get(f) {
        for x in v.values() {
            let scoped = With {
                base: row,
                field: &f.name,
                value: x,
            };
            out.push(c.args[1].value(&scoped)?);
        }
    }
    Ok(Value::multi(out))
}

fn numeric_step(args: &[CExpr]) -> Result<(), String> {
    match args.get(2) {
        Some(CExpr::Lit(v)) if !v.is_null() && v.as_num().is_none() => {
            Err("`mvrange()` with a time-span step is not supported by firedrill yet".into())
        }
        _ => Ok(()),
    }
}

/// `mvrange(start, end[, step])`: numbers from start up to but not including end.
/// A time-span step (`"7d"`) is not supported: it is refused at compile time when
/// literal, an error when it comes from a field.
fn mvrange(a: &Args<'_>) -> Result<Value, EvalError> {
    let (Some(start), Some(end)) = (a.num(0), a.num(1)) else {
        return Ok(Value::Null);
    };
    let step = match a.v(2) {
        Value::Null => 1.0,
        v => v.as_num().ok_or_else(|| {
            a.error("`mvrange()` with a time-span step is not supported by firedrill yet")
        })?,
    };
    if step <= 0.0 || !step.is_finite() {
        return Ok(Value::Null);
    }
    const MAX: usize = 1_000_000;
    let mut out = Vec::new();
    let mut x = start;
    while x < end && out.len() < MAX {
        out.push(Value::Num(x));
        x += step;
    }
    Ok(Value::multi(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn documented_examples() {
        // "Multivalue eval functions": mvindex(mv, 0) is the first value, -1 the last.
        assert_eq!(ev("mvindex(mv, 0)"), Value::str("a.exe"));
        assert_eq!(ev("mvindex(mv, -1)"), Value::str("a.exe"));
        assert_eq!(ev("mvcount(mv)"), Value::Num(3.0));
        assert_eq!(ev("mvcount(mvdedup(mv))"), Value::Num(2.0));
        assert_eq!(ev("mvfilter(match(mv, \"\\.dll$\"))"), Value::str("b.dll"));
        assert_eq!(ev("mvfind(mv, \"dll\")"), Value::Num(1.0));
        assert_eq!(
            ev("mvjoin(split(\"a,b\", \",\"), \";\")"),
            Value::str("a;b")
        );
        assert_eq!(
            ev("mvmap(mv, upper(mv))"),
            Value::Multi(vec![
                Value::str("A.EXE"),
                Value::str("B.DLL"),
                Value::str("A.EXE")
            ])
        );
    }
}
