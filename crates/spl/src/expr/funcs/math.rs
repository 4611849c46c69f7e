//! Mathematical functions (Search Reference: "Mathematical functions").

use super::{strict, Args, FnDef, MANY};
use crate::expr::{compare, EvalError};
use firedrill_value::Value;
use std::cmp::Ordering;

pub(super) const FUNCS: &[FnDef] = &[
    strict("abs", 1, 1, |a| unary(a, f64::abs)),
    strict("ceil", 1, 1, |a| unary(a, f64::ceil)),
    strict("ceiling", 1, 1, |a| unary(a, f64::ceil)),
    strict("floor", 1, 1, |a| unary(a, f64::floor)),
    strict("sqrt", 1, 1, |a| unary(a, f64::sqrt)),
    strict("exp", 1, 1, |a| unary(a, f64::exp)),
    strict("ln", 1, 1, |a| unary(a, f64::ln)),
    strict("log", 1, 2, |a| {
        Ok(match (a.num(0), a.num(1)) {
            (Some(n), Some(b)) => Value::Num(n.log(b)),
            (Some(n), None) => Value::Num(n.log10()),
            _ => Value::Null,
        })
    }),
    strict("pow", 2, 2, |a| {
        Ok(match (a.num(0), a.num(1)) {
            (Some(x), Some(y)) => Value::Num(x.powf(y)),
            _ => Value::Null,
        })
    }),
    strict("round", 1, 2, |a| {
        Ok(match a.num(0) {
            Some(n) => {
                let d = a.num(1).unwrap_or(0.0) as i32;
                let f = 10f64.powi(d);
                Value::Num((n * f).round() / f)
            }
            None => Value::Null,
        })
    }),
    // Mathematical functions, sigfig: the significant figures the operations that made
    // the number allow; arithmetic already rounds so (a decimal), an exact number
    // stays as it is.
    strict("sigfig", 1, 1, |a| {
        Ok(match (a.v(0).precision(), a.num(0)) {
            (Some(d), _) => Value::Dec(d),
            (None, Some(n)) => Value::Num(n),
            (None, None) => Value::Null,
        })
    }),
    // eval, "Rounding": exact() gives the result without Splunk's precision rounding.
    strict("exact", 1, 1, |a| {
        Ok(match a.v(0).precision() {
            Some(d) => Value::Num(d.exact()),
            None => a.v(0).clone(),
        })
    }),
    strict("pi", 0, 0, |_| Ok(Value::Num(std::f64::consts::PI))),
    // Statistical eval functions: over every value of every argument; a value that is
    // not a number is ignored (null when none is).
    strict("sum", 1, MANY, |a| {
        Ok(nums(a)
            .map(|v| Value::Num(v.iter().sum()))
            .unwrap_or(Value::Null))
    }),
    strict("avg", 1, MANY, |a| {
        Ok(nums(a)
            .map(|v| Value::Num(v.iter().sum::<f64>() / v.len() as f64))
            .unwrap_or(Value::Null))
    }),
    strict("min", 1, MANY, |a| Ok(pick(a, Ordering::Less))),
    strict("max", 1, MANY, |a| Ok(pick(a, Ordering::Greater))),
];

fn unary(a: &Args<'_>, f: fn(f64) -> f64) -> Result<Value, EvalError> {
    Ok(a.num(0).map(|n| Value::Num(f(n))).unwrap_or(Value::Null))
}

/// The numbers among every value of every argument, if there is one.
fn nums(a: &Args<'_>) -> Option<Vec<f64>> {
    let v: Vec<f64> = a
        .all()
        .flat_map(|v| v.values())
        .filter_map(Value::as_num)
        .collect();
    (!v.is_empty()).then_some(v)
}

/// `min`/`max` over every value of every argument.
fn pick(a: &Args<'_>, want: Ordering) -> Value {
    let mut best: Option<&Value> = None;
    for v in a.all().flat_map(|v| v.values()) {
        best = match best {
            Some(b) if compare(v, b) != Some(want) => Some(b),
            _ => Some(v),
        };
    }
    best.cloned().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn math() {
        assert_eq!(ev("round(2.71828, 2)"), Value::Num(2.72));
        assert_eq!(ev("max(1, 3, 2)"), Value::Num(3.0));
        assert_eq!(ev("min(\"b\", \"a\")"), Value::str("a"));
        assert_eq!(ev("abs(-2)"), Value::Num(2.0));
        assert_eq!(ev("pow(2, 10)"), Value::Num(1024.0));
        // Search Reference, "Statistical eval functions".
        assert_eq!(ev("sum(1, 2, 3)"), Value::Num(6.0));
        assert_eq!(ev("avg(1, 2, 3, 4)"), Value::Num(2.5));
    }
}
