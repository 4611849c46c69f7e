//! `case()` over one field's values, compiled to a table: when every condition of a
//! `case(X=="a", …, in(X, "b", "c"), …[, true(), …])` compares the same field `X`
//! with literals, the arm to take is found by looking `X`'s values up once instead of
//! testing the conditions in turn. The answer is the same arm `case` takes: the first
//! whose condition holds (`==` as [`compare`](super::compare) equality, `in()` as
//! text equality, any value of a multivalue), else the `true()` arm, else null.
//! Add-ons and detections write such tables over `EventCode` with dozens of arms.

use super::{BinOp, CExpr};
use firedrill_value::{FieldRef, Value};
use std::collections::HashMap;

/// A `case()` whose conditions all test one field against literals.
#[derive(Clone, Debug)]
pub struct Switch {
    /// The field every condition tests.
    key: FieldRef,
    /// `X == literal` conditions: the literal as compared, to its first arm.
    eq: HashMap<Key, usize>,
    /// `in(X, literals…)` conditions: each literal's text, to its first arm.
    text: HashMap<String, usize>,
    /// The first arm whose condition is the literal `true()`.
    default: Option<usize>,
}

/// A value as `==` compares it: numbers (and numeric text) by value, the rest as
/// text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Num(u64),
    Text(String),
}

impl Key {
    /// `None` for a value `==` never finds equal by value (NaN) or that the table
    /// does not cover (booleans compare as booleans, maps as text).
    fn of(v: &Value) -> Option<Key> {
        match v {
            // A null among a multivalue's values compares as empty text.
            Value::Null => Some(Key::Text(String::new())),
            Value::Multi(_) | Value::Map(_) => None,
            Value::Bool(_) => Some(Key::Text(v.to_string())),
            _ => match v.as_num() {
                // -0 and 0 are equal.
                Some(n) if n.is_finite() => Some(Key::Num((n + 0.0).to_bits())),
                // NaN and infinities: no literal is such a number (numeric text is
                // finite), so `==` compares them as text ("NaN", "inf").
                _ => Some(Key::Text(v.to_string())),
            },
        }
    }
}

/// One condition of the `case`.
enum Test<'a> {
    Eq(&'a FieldRef, &'a Value),
    In(&'a FieldRef, &'a [CExpr]),
    True,
}

fn test(e: &CExpr) -> Option<Test<'_>> {
    match e {
        CExpr::Binary(BinOp::Eq, l, r) => match (&**l, &**r) {
            (CExpr::Field(f), CExpr::Lit(v)) | (CExpr::Lit(v), CExpr::Field(f))
                if matches!(v, Value::Str(_) | Value::Num(_)) =>
            {
                Some(Test::Eq(f, v))
            }
            _ => None,
        },
        CExpr::Call(c) if c.def.name == "in" => match c.args.split_first() {
            Some((CExpr::Field(f), lits))
                if lits
                    .iter()
                    .all(|l| matches!(l, CExpr::Lit(Value::Str(_) | Value::Num(_)))) =>
            {
                Some(Test::In(f, lits))
            }
            _ => None,
        },
        CExpr::Call(c) if c.def.name == "true" => Some(Test::True),
        CExpr::Lit(Value::Bool(true)) => Some(Test::True),
        _ => None,
    }
}

/// Keeps the first field tested; `None` when `f` is another.
fn same<'a>(key: &mut Option<&'a FieldRef>, f: &'a FieldRef) -> Option<()> {
    match key {
        None => {
            *key = Some(f);
            Some(())
        }
        Some(k) => (k.name == f.name).then_some(()),
    }
}

impl Switch {
    /// The table for `case(args…)`, when its conditions have that shape (and there
    /// are enough of them for a table to pay).
    pub fn build(args: &[CExpr]) -> Option<Switch> {
        if args.len() < 6 || !args.len().is_multiple_of(2) {
            return None;
        }
        let mut key: Option<&FieldRef> = None;
        let (mut eq, mut text, mut default) = (HashMap::new(), HashMap::new(), None);
        for (arm, pair) in args.chunks(2).enumerate() {
            match test(&pair[0])? {
                Test::Eq(f, v) => {
                    same(&mut key, f)?;
                    if let Some(k) = Key::of(v) {
                        eq.entry(k).or_insert(arm);
                    }
                }
                Test::In(f, lits) => {
                    same(&mut key, f)?;
                    for l in lits {
                        if let CExpr::Lit(v) = l {
                            text.entry(v.to_string()).or_insert(arm);
                        }
                    }
                }
                Test::True => {
                    default.get_or_insert(arm);
                }
            }
        }
        Some(Switch {
            key: key?.clone(),
            eq,
            text,
            default,
        })
    }

    /// The arm `case` takes on a row whose `key` field is `v`, or `None` when the
    /// table cannot tell (a value it does not cover: the caller tests in turn).
    pub fn arm(&self, v: Option<&Value>) -> Option<Option<usize>> {
        let mut best = self.default;
        let mut take = |i: usize| best = Some(best.map_or(i, |b: usize| b.min(i)));
        for x in v.map(Value::values).unwrap_or_default() {
            if matches!(x, Value::Map(_) | Value::Multi(_)) {
                return None;
            }
            if let Some(&i) = Key::of(x).and_then(|k| self.eq.get(&k)) {
                take(i);
            }
            let hit = match x {
                Value::Str(s) => self.text.get(s.as_str()),
                other => self.text.get(&other.to_string()),
            };
            if let Some(&i) = hit {
                take(i);
            }
        }
        Some(best)
    }

    /// The field the conditions test.
    pub fn key(&self) -> &FieldRef {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::CExpr;
    use firedrill_value::{Row, Value};

    fn compiled(src: &str) -> CExpr {
        crate::expr::compile(&crate::parse::parse_eval_expr(src).unwrap()).unwrap()
    }

    /// The same `case` without its table: the conditions tested in turn.
    fn in_turn(e: &CExpr) -> CExpr {
        let mut e = e.clone();
        if let CExpr::Call(c) = &mut e {
            assert!(c.switch.is_some(), "no table built");
            c.switch = None;
        }
        e
    }

    #[test]
    fn the_table_takes_the_arm_case_takes() {
        let cases = [
            r#"case(x=="1", "a", x=="01", "b", x==2, "c", in(x, "3", "x"), "d", true(), "e", x=="9", "f")"#,
            r#"case(x=="a", 1, in(x, "b", 2), 2, x=="-0", 3, x=="", 4)"#,
            r#"case(in(x, "1.0"), "t", x=="1", "n", x=="true", "b")"#,
            r#"case(x=="NaN", "nan", x=="inf", "inf", x=="-inf", "ninf", x=="1", "one")"#,
        ];
        let values = [
            None,
            Some(Value::str("1")),
            Some(Value::str("01")),
            Some(Value::str("1.0")),
            Some(Value::str("2")),
            Some(Value::Num(2.0)),
            Some(Value::str("3")),
            Some(Value::str("x")),
            Some(Value::str("9")),
            Some(Value::str("a")),
            Some(Value::str("b")),
            Some(Value::str("0")),
            Some(Value::str("-0")),
            Some(Value::str("")),
            Some(Value::str("NaN")),
            Some(Value::Num(f64::NAN)),
            Some(Value::Num(f64::INFINITY)),
            Some(Value::Num(f64::NEG_INFINITY)),
            Some(Value::Bool(true)),
            Some(Value::multi(vec![Value::str("9"), Value::str("3")])),
            Some(Value::multi(vec![Value::str("zz"), Value::Null])),
        ];
        for src in cases {
            let fast = compiled(src);
            let slow = in_turn(&fast);
            for v in &values {
                let mut row = Row::new();
                if let Some(v) = v {
                    row.insert("x".into(), v.clone());
                }
                assert_eq!(
                    fast.value(&row).unwrap(),
                    slow.value(&row).unwrap(),
                    "{src} with x = {v:?}"
                );
            }
        }
    }

    #[test]
    fn other_shapes_get_no_table() {
        for src in [
            r#"case(x=="1", "a", y=="2", "b", x=="3", "c")"#,
            r#"case(x>1, "a", x=="2", "b", x=="3", "c")"#,
            r#"case(x=="1", "a", x=="2", "b")"#,
        ] {
            let CExpr::Call(c) = compiled(src) else {
                panic!()
            };
            assert!(c.switch.is_none(), "{src}");
        }
    }
}
